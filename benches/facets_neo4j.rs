//! The same facet requests through the embedded graph and through the Neo4j graph on
//! the Bolt test server (started here from `../shared/tools/bolt-server`), timed side
//! by side; prints medians and the ratio.
//!
//!     cargo bench --bench facets_neo4j                       # 2,000 listings
//!     STOCKYARD_BENCH_LISTINGS=5000 cargo bench --bench facets_neo4j
//!     STOCKYARD_BENCH_ROUNDS=21 cargo bench --bench facets_neo4j  # medians of 21, not 7

#[path = "../tests/common/neo4j.rs"]
mod neo4j_config;
#[path = "../query-dsl/tests/common/tools.rs"]
#[allow(dead_code)]
mod tools;

use roaring::RoaringBitmap;
use std::time::{Duration, Instant};
use stockyard::graph::{
    CatalogGraph, EmbeddedGraph, FacetRequest, Neo4jWriter, NumberFilter, Range, Selections,
};
use stockyard_schema::{demo, Event, Lang};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let listings: usize = std::env::var("STOCKYARD_BENCH_LISTINGS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let Some(server) = tools::BoltServer::start("bench") else {
        eprintln!("no Bolt server tool here: see ../shared/README.md");
        return;
    };
    let config = neo4j_config::config(&server);
    let mut writer = Neo4jWriter::connect(&config).await.expect("connect");
    writer.clear().await.expect("clear");
    let events: Vec<Event> = demo::generate(5, listings).collect();
    let t = Instant::now();
    writer.apply(&events).await.expect("apply");
    let neo_load = t.elapsed();
    let neo = writer.graph();
    let mut embedded = EmbeddedGraph::new();
    let t = Instant::now();
    embedded.apply(&events);
    let embedded_load = t.elapsed();
    println!(
        "{} events ({listings} listings): applied in {neo_load:?} on the Bolt server, {embedded_load:?} embedded",
        events.len()
    );

    let all: RoaringBitmap = (0..listings as u32).collect();
    let some: RoaringBitmap = (0..listings as u32).step_by(10).collect();
    fn id<T: std::str::FromStr>(s: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        s.parse().unwrap()
    }
    let three = Selections {
        categories: vec![id("excavators")],
        makers: vec![id("komatsu"), id("hitachi")],
        specs: vec![(
            id("operating_weight"),
            NumberFilter::Range(Range {
                min: Some(10.0),
                max: Some(30.0),
            }),
        )],
        ..Selections::default()
    };
    let cases: Vec<(&str, FacetRequest<'_>)> = vec![
        (
            "all hits, no selection",
            FacetRequest {
                hits: Some(&all),
                selections: Selections::default(),
                lang: Lang::JA,
                spec_facets: vec![id("operating_weight")],
                buckets: 10,
                attribute_facets: false,
                rates: Default::default(),
            },
        ),
        (
            "10% hits, no selection",
            FacetRequest {
                hits: Some(&some),
                selections: Selections::default(),
                lang: Lang::JA,
                spec_facets: vec![id("operating_weight")],
                buckets: 10,
                attribute_facets: false,
                rates: Default::default(),
            },
        ),
        (
            "all hits, 3 selections",
            FacetRequest {
                hits: Some(&all),
                selections: three.clone(),
                lang: Lang::JA,
                spec_facets: vec![id("operating_weight")],
                buckets: 10,
                attribute_facets: false,
                rates: Default::default(),
            },
        ),
        (
            "all live, 3 selections",
            FacetRequest {
                hits: None,
                selections: three,
                lang: Lang::JA,
                spec_facets: vec![id("operating_weight")],
                buckets: 10,
                attribute_facets: false,
                rates: Default::default(),
            },
        ),
    ];
    println!(
        "{:<28} {:>12} {:>12} {:>8}",
        "request", "embedded", "neo4j", "ratio"
    );
    // The server (a JVM) compiles code and plans the first times it runs a statement:
    // a warm-up round over every case keeps that out of the medians.
    for (_, req) in &cases {
        for _ in 0..3 {
            CatalogGraph::facets(neo, req).await.expect("neo4j facets");
        }
    }
    let rounds: usize = std::env::var("STOCKYARD_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    for (name, req) in &cases {
        let mut e = Vec::new();
        let mut n = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            assert!(CatalogGraph::facets(&embedded, req).await.is_ok());
            e.push(t.elapsed());
            let t = Instant::now();
            let got = CatalogGraph::facets(neo, req).await.expect("neo4j facets");
            n.push(t.elapsed());
            assert_eq!(got, embedded.facets(req), "both give the same answer");
        }
        let (e, n) = (median(e), median(n));
        println!(
            "{name:<28} {e:>12.2?} {n:>12.2?} {:>7.0}x",
            n.as_secs_f64() / e.as_secs_f64()
        );
    }
}
