//! The Neo4j graph as an indexer projection, on a real Bolt server: each batch and its
//! offset node commit in one transaction; a restart resumes from the offset stored in
//! the graph; the result answers like the embedded graph fed the same events.

#[path = "common/neo4j.rs"]
mod neo4j_config;
#[path = "../query-dsl/tests/common/tools.rs"]
mod tools;

use stockyard::graph::{EmbeddedGraph, FacetRequest, Neo4jGraph, Selections};
use stockyard::projections::Neo4jProjection;
use stockyard_indexer::{Durability, EventLog, Indexer, Projection};
use stockyard_schema::{demo, Event, Lang};
use tools::{need, BoltServer, Linter};

fn request() -> FacetRequest<'static> {
    FacetRequest {
        hits: None,
        selections: Selections::default(),
        lang: Lang::EN,
        spec_facets: vec![],
        buckets: 4,
        attribute_facets: false,
        rates: Default::default(),
    }
}

#[test]
fn batches_commit_with_their_offset_and_restarts_resume() {
    let Some(server) = need(
        BoltServer::start("neo4j-projection"),
        "python3 and shared/tools/bolt-server",
    ) else {
        return;
    };
    let config = neo4j_config::config(&server);
    let events: Vec<Event> = demo::generate(4, 60).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.log");
    let half = events.len() / 2;

    // GIVEN the first half of the log applied, then the process stops
    {
        let (mut log, _) = EventLog::open(&path, Durability::OsBuffered).unwrap();
        log.append(&events[..half]).unwrap();
        let projection = Neo4jProjection::new(config.clone(), "graph");
        assert_eq!(projection.checkpoint().unwrap(), 0);
        let mut indexer = Indexer::new(log, vec![Box::new(projection)], 7);
        assert_eq!(indexer.catch_up().unwrap(), half as u64);
    }
    // WHEN it starts again with the rest THEN it resumes from the offset in the graph
    let (mut log, _) = EventLog::open(&path, Durability::OsBuffered).unwrap();
    log.append(&events[half..]).unwrap();
    let projection = Neo4jProjection::new(config.clone(), "graph");
    assert_eq!(projection.checkpoint().unwrap(), half as u64);
    let mut indexer = Indexer::new(log, vec![Box::new(projection)], 7);
    assert_eq!(indexer.catch_up().unwrap(), (events.len() - half) as u64);
    drop(indexer);

    // THEN the graph answers like the embedded graph fed every event once.
    let projection = Neo4jProjection::new(config.clone(), "graph");
    assert_eq!(projection.checkpoint().unwrap(), events.len() as u64);
    let mut embedded = EmbeddedGraph::new();
    embedded.apply(&events);
    let want = embedded.facets(&request());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let got = runtime
        .block_on(async {
            let neo = Neo4jGraph::connect(&config).await?;
            neo.facets(&request()).await
        })
        .unwrap();
    assert_eq!(got.categories, want.categories);
    assert_eq!(got.makers, want.makers);
    assert_eq!(got.models, want.models);
    assert_eq!(got.matching, want.matching, "same machine keys");
}

#[test]
fn the_offset_statements_pass_neo4j_s_parser() {
    let Some(linter) = need(Linter::prepare(), "node, npm and shared/tools/cypher-lint") else {
        return;
    };
    let statements: Vec<(String, String)> = Neo4jGraph::offset_statements("graph", 42)
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("offset {i}"), s.cypher().to_owned()))
        .collect();
    let report = linter.lint("offset", &statements);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.passed, 2, "{}", report.summary);
}
