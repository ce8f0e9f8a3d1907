//! Text search at scale: indexing throughput and query latency (p50/p99) over a fixed
//! mix of Japanese, English and Chinese words, model-number prefixes and phrases, on
//! generated catalogs of 100k and 1M listings.
//!
//!     cargo bench --bench search                 # 100k and 1M
//!     STOCKYARD_BENCH_SIZES=100000 cargo bench --bench search
//!
//! Goals on the 2-core machine: p99 ≤ 10 ms at 1M listings, indexing ≥ 20k listings/s.

use criterion::{black_box, Criterion};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use stockyard::search::{CatalogEntry, LanguageDetector, Listing, SearchRequest, TextIndex};
use stockyard_schema::domain::Model;
use stockyard_schema::{demo, CategoryId, ModelId, Payload};

const QUERIES: &[&str] = &[
    "油圧ショベル",
    "ミニショベル",
    "コマツ",
    "中古建機",
    "excavator",
    "wheel loader",
    "crane",
    "挖掘机",
    "小松",
    "pc200",
    "zx135",
    "320d",
    "sk200",
    "vio",
    "hydraulic excavator",
    "mini excavator quick coupler",
    "air conditioning",
    "Radlader",
    "굴착기",
    "one owner",
];

/// Indexes the first `n` listings of the demo generator; returns listings/s.
fn build(index: &TextIndex, n: usize) -> f64 {
    let mut models: HashMap<ModelId, Model> = HashMap::new();
    let mut parents: HashMap<CategoryId, Option<CategoryId>> = HashMap::new();
    let mut writer = index.writer(512 << 20).expect("writer");
    let start = Instant::now();
    let mut key = 0u64;
    for event in demo::generate(7, n) {
        match event.payload {
            Payload::CategoryDefined(c) => {
                writer
                    .upsert_entry(CatalogEntry::Category(&c))
                    .expect("index");
                parents.insert(c.id.clone(), c.parent_id.clone());
            }
            Payload::MakerRegistered(m) => {
                writer.upsert_entry(CatalogEntry::Maker(&m)).expect("index");
            }
            Payload::ModelRegistered(m) => {
                writer.upsert_entry(CatalogEntry::Model(&m)).expect("index");
                models.insert(m.id.clone(), m);
            }
            Payload::MachineListed(machine) => {
                let model = &models[&machine.model_id];
                let mut chain = Vec::new();
                let mut next = Some(machine.category_id.as_ref().unwrap_or(&model.category_id));
                while let Some(id) = next {
                    chain.push(id);
                    next = parents[id].as_ref();
                }
                key += 1;
                writer
                    .upsert(&Listing {
                        key,
                        machine: &machine,
                        maker_id: Some(&model.maker_id),
                        categories: &chain,
                        listed_at: event.at.unix_seconds(),
                    })
                    .expect("index");
            }
            _ => {}
        }
        if key as usize == n {
            break;
        }
    }
    writer.commit(None).expect("commit");
    n as f64 / start.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let sizes: Vec<usize> = std::env::var("STOCKYARD_BENCH_SIZES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("sizes are numbers"))
        .collect();
    let detector = Arc::new(LanguageDetector::new());
    let mut criterion = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = TextIndex::open_or_create(dir.path(), detector.clone()).expect("index");
        let rate = build(&index, n);
        println!("index {n} listings: {rate:.0} listings/s");

        let request = |q: &str| SearchRequest {
            text: q.to_owned(),
            limit: 20,
            ..SearchRequest::default()
        };
        // Latency distribution over the fixed mix, several rounds.
        let mut times = Vec::new();
        let mut per_query: Vec<(String, Duration, usize)> = Vec::new();
        for round in 0..20 {
            for q in QUERIES {
                let t = Instant::now();
                let r = index.search(&request(q)).expect("search");
                let d = t.elapsed();
                times.push(d);
                if round == 0 {
                    per_query.push((q.to_string(), d, r.total));
                }
            }
        }
        times.sort();
        println!(
            "query mix at {n}: p50 {:?}, p99 {:?}, max {:?} ({} queries)",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times.last().unwrap(),
            times.len()
        );
        for (q, d, total) in per_query {
            println!("  {q:<30} {d:>10.2?} {total:>8} hits");
        }
        let mut group = criterion.benchmark_group(format!("search_{n}"));
        for q in ["excavator", "pc200", "油圧ショベル", "hydraulic excavator"] {
            group.bench_function(q, |b| {
                b.iter(|| black_box(index.search(&request(q)).unwrap()))
            });
        }
        group.finish();
    }
    criterion.final_summary();
}
