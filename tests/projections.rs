//! The graph as an indexer projection: stopping at any point and restarting gives the
//! same graph as one clean pass over the log, with every event applied once.

use stockyard::graph::{FacetRequest, Selections};
use stockyard::projections::GraphProjection;
use stockyard_indexer::{Durability, EventLog, Indexer, Projection};
use stockyard_schema::{demo, Event, Lang};

fn facets(p: &GraphProjection) -> stockyard::graph::Facets {
    p.graph().facets(&FacetRequest {
        hits: None,
        selections: Selections::default(),
        lang: Lang::EN,
        spec_facets: vec!["operating_weight".parse().unwrap()],
        buckets: 5,
        attribute_facets: true,
        rates: Default::default(),
    })
}

#[test]
fn restarts_resume_from_the_snapshot_checkpoint() {
    let events: Vec<Event> = demo::generate(9, 300).collect();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("events.log");

    // One clean pass.
    let clean_dir = dir.path().join("clean");
    {
        let (mut log, _) =
            EventLog::open(&dir.path().join("clean.log"), Durability::OsBuffered).unwrap();
        log.append(&events).unwrap();
        let mut indexer = Indexer::new(
            log,
            vec![Box::new(GraphProjection::open(&clean_dir).unwrap())],
            1000,
        );
        indexer.catch_up().unwrap();
    }
    let clean = GraphProjection::open(&clean_dir).unwrap();

    // Events arrive in three parts; the process stops after each and starts again.
    let graph_dir = dir.path().join("graph");
    for part in events.chunks(events.len() / 3 + 1) {
        let (mut log, _) = EventLog::open(&log_path, Durability::EveryAppend).unwrap();
        log.append(part).unwrap();
        // A source redelivering what came before changes nothing.
        log.append(&events[..10]).unwrap();
        let projection = GraphProjection::open(&graph_dir).unwrap();
        let before = projection.checkpoint().unwrap();
        let mut indexer = Indexer::new(log, vec![Box::new(projection)], 97);
        let applied = indexer.catch_up().unwrap();
        let status = indexer.status();
        assert_eq!(
            applied,
            status.head - before,
            "only what was not applied yet"
        );
        assert_eq!(status.projections[0].lag, 0);
    }
    let restarted = GraphProjection::open(&graph_dir).unwrap();
    assert_eq!(restarted.checkpoint().unwrap(), events.len() as u64);
    assert_eq!(facets(&restarted), facets(&clean));
    assert_eq!(
        restarted.graph().category_tree(Lang::JA),
        clean.graph().category_tree(Lang::JA)
    );
}
