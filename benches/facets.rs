//! Facet counting on the embedded graph at 1M machines: hit sets of 1k, 100k and 1M,
//! with 0, 1 and 3 active selections and a spec range.
//!
//!     cargo bench --bench facets
//!
//! Goals: ≤ 3 ms for 1M hits with 4 facet groups, ≤ 0.3 ms for 1k hits, ≤ 500 MB for
//! 1M machines.

use criterion::{black_box, Criterion};
use roaring::RoaringBitmap;
use std::time::Duration;
use stockyard::graph::{EmbeddedGraph, FacetRequest, NumberFilter, Range, Selections};
use stockyard_schema::{demo, Lang};

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let n: usize = std::env::var("STOCKYARD_BENCH_MACHINES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let before = rss_mb();
    let mut g = EmbeddedGraph::new();
    for event in demo::generate(11, n) {
        g.apply(std::iter::once(&event));
    }
    println!(
        "{n} machines listed, {} live; graph memory (process RSS growth) {:.0} MB",
        g.live_count(),
        rss_mb() - before
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("graph.snapshot");
    let t = std::time::Instant::now();
    g.save(&path, None).expect("save");
    let saved = t.elapsed();
    let t = std::time::Instant::now();
    let (restored, _) = EmbeddedGraph::load(&path).expect("load");
    println!(
        "snapshot: {:.0} MB, saved in {saved:?}, loaded in {:?} ({} live)",
        std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1e6,
        t.elapsed(),
        restored.live_count()
    );
    drop(restored);

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let live: Vec<u32> = (0..n as u32).collect();
    let hit_sets: Vec<(&str, RoaringBitmap)> = vec![
        ("1k", live.iter().step_by(n / 1000).copied().collect()),
        ("100k", live.iter().step_by(n / 100_000).copied().collect()),
        ("1M", live.iter().copied().collect()),
    ];
    let one = Selections {
        categories: vec!["excavators".parse().unwrap()],
        ..Selections::default()
    };
    let three = Selections {
        categories: vec!["excavators".parse().unwrap()],
        makers: vec!["komatsu".parse().unwrap(), "hitachi".parse().unwrap()],
        specs: vec![(
            "operating_weight".parse().unwrap(),
            NumberFilter::Range(Range {
                min: Some(10.0),
                max: Some(30.0),
            }),
        )],
        ..Selections::default()
    };
    for (name, hits) in &hit_sets {
        let mut group = c.benchmark_group(format!("facets_{name}_hits"));
        for (label, sel) in [
            ("no_selection", Selections::default()),
            ("1_selection", one.clone()),
            ("3_selections", three.clone()),
        ] {
            let req = FacetRequest {
                hits: Some(hits),
                selections: sel,
                lang: Lang::JA,
                spec_facets: vec!["operating_weight".parse().unwrap()],
                buckets: 10,
                attribute_facets: false,
                rates: Default::default(),
            };
            group.bench_function(label, |b| b.iter(|| black_box(g.facets(&req))));
            if label == "3_selections" {
                let mut with_attributes = req.clone();
                with_attributes.attribute_facets = true;
                group.bench_function("3_selections_with_year_hours_price", |b| {
                    b.iter(|| black_box(g.facets(&with_attributes)))
                });
            }
        }
        group.finish();
    }
    c.final_summary();
}
