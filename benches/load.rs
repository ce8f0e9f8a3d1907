//! The HTTP load benchmark (`benches/load/run.sh` sets it up; see
//! `benches/load/README.md`): the query mix of `benches/load/mix.json` driven at a
//! running Stockyard (`STOCKYARD_URL`) and, when `TYPESENSE_URL` and `TYPESENSE_KEY`
//! are set, at Typesense loaded with the same listings, alternating run by run.
//!
//! Each run keeps C connections busy for `STOCKYARD_LOAD_SECS` seconds (default 10),
//! each connection sending the run's queries in turn, and prints req/s and the
//! p50/p90/p99/max latency per query class; then the ratios of the two engines.
//! Runs: the whole mix and the model numbers alone, at 1 and at 16 connections; and
//! model numbers on 8 connections while broad queries run on 8 others (whether a slow
//! query starves cheap ones).

use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One query of the mix, as each engine is asked it.
#[derive(Clone)]
struct Query {
    class: String,
    stockyard: String,
    typesense: Option<Value>,
}

#[derive(Clone, Copy, PartialEq)]
enum Engine {
    Stockyard,
    Typesense,
}

/// Latencies of one run, by class.
struct Run {
    elapsed: Duration,
    by_class: BTreeMap<String, Vec<Duration>>,
    errors: usize,
}

impl Run {
    fn all(&self) -> Vec<Duration> {
        let mut v: Vec<Duration> = self.by_class.values().flatten().copied().collect();
        v.sort();
        v
    }
    fn rate(&self) -> f64 {
        self.all().len() as f64 / self.elapsed.as_secs_f64()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// Keeps `connections` connections busy; connection `c` sends the queries of
/// `sets[c % sets.len()]` in turn.
async fn drive(
    engine: Engine,
    sets: &[&[Query]],
    connections: usize,
    secs: u64,
    base: &str,
    key: &str,
) -> Run {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .expect("http client");
        let queries = sets[c % sets.len()].to_vec();
        let (base, key) = (base.to_owned(), key.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut out: Vec<(String, Duration)> = Vec::new();
            let mut errors = 0;
            let mut i = c;
            while Instant::now() < deadline {
                let q = &queries[i % queries.len()];
                i += 1;
                let sent = Instant::now();
                let response = match engine {
                    Engine::Stockyard => client.get(format!("{base}{}", q.stockyard)).send().await,
                    Engine::Typesense => {
                        client
                            .post(format!("{base}/multi_search"))
                            .header("X-TYPESENSE-API-KEY", &key)
                            .json(q.typesense.as_ref().expect("a Typesense form"))
                            .send()
                            .await
                    }
                };
                let ok = match response {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                if ok {
                    out.push((q.class.clone(), sent.elapsed()));
                } else {
                    errors += 1;
                }
            }
            (out, errors)
        }));
    }
    let mut run = Run {
        elapsed: Duration::ZERO,
        by_class: BTreeMap::new(),
        errors: 0,
    };
    for t in tasks {
        let (out, errors) = t.await.expect("a connection task");
        run.errors += errors;
        for (class, d) in out {
            run.by_class.entry(class).or_default().push(d);
        }
    }
    run.elapsed = started.elapsed();
    for v in run.by_class.values_mut() {
        v.sort();
    }
    run
}

fn report(name: &str, run: &Run) {
    let all = run.all();
    println!(
        "| {name} | all | {:.0} | {} | {} | {} | {} | {} |",
        run.rate(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.9)),
        ms(percentile(&all, 0.99)),
        ms(all.last().copied().unwrap_or_default()),
        run.errors
    );
    for (class, v) in &run.by_class {
        println!(
            "| {name} | {class} | {:.0} | {} | {} | {} | {} | |",
            v.len() as f64 / run.elapsed.as_secs_f64(),
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.9)),
            ms(percentile(v, 0.99)),
            ms(v.last().copied().unwrap_or_default()),
        );
    }
}

fn main() {
    let Ok(stockyard) = std::env::var("STOCKYARD_URL") else {
        println!("load: set STOCKYARD_URL (benches/load/run.sh does); nothing measured");
        return;
    };
    let typesense = std::env::var("TYPESENSE_URL").ok();
    let ts_key = std::env::var("TYPESENSE_KEY").unwrap_or_default();
    let secs: u64 = std::env::var("STOCKYARD_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mix: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/load/mix.json"
        ))
        .expect("benches/load/mix.json"),
    )
    .expect("mix.json is JSON");
    let queries: Vec<Query> = mix["queries"]
        .as_array()
        .expect("a list of queries")
        .iter()
        .map(|q| Query {
            class: q["class"].as_str().expect("class").to_owned(),
            stockyard: q["stockyard"].as_str().expect("stockyard path").to_owned(),
            typesense: q.get("typesense").cloned(),
        })
        .collect();
    let suggestions: Vec<Query> = mix["suggest"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|p| Query {
            class: "suggest".to_owned(),
            stockyard: p.as_str().expect("a /suggest path").to_owned(),
            typesense: None,
        })
        .collect();
    let models: Vec<Query> = queries
        .iter()
        .filter(|q| q.class == "model")
        .cloned()
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut engines = vec![(Engine::Stockyard, "stockyard", stockyard.clone())];
    if let Some(url) = &typesense {
        engines.push((Engine::Typesense, "typesense", url.clone()));
    }
    println!("| engine | class | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|---|---|");
    let broad: Vec<Query> = queries
        .iter()
        .filter(|q| q.class != "model")
        .cloned()
        .collect();
    // `STOCKYARD_LOAD_ONLY=suggest` (or `mix`, `model`, comma-separated) runs those
    // sets alone, to compare two builds on one question.
    let only = std::env::var("STOCKYARD_LOAD_ONLY").ok();
    let wanted = |set: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|w| set.starts_with(w.trim())))
    };
    let mut ratios = Vec::new();
    let runs: [(&str, Vec<&[Query]>, usize); 5] = [
        ("mix", vec![&queries], 1),
        ("mix", vec![&queries], 16),
        ("model numbers", vec![&models], 1),
        ("model numbers", vec![&models], 16),
        (
            "model numbers beside broad queries",
            vec![&broad, &models],
            16,
        ),
    ];
    for (set, sets, connections) in runs {
        if !wanted(set) {
            continue;
        }
        let mut done = Vec::new();
        for (engine, name, url) in &engines {
            let run = runtime.block_on(drive(*engine, &sets, connections, secs, url, &ts_key));
            report(&format!("{name}, {set}, {connections} conn"), &run);
            done.push(run);
        }
        if let [s, t] = &done[..] {
            let (sa, ta) = (s.all(), t.all());
            ratios.push(format!(
                "| {set}, {connections} conn | {:.1}× | {:.1}× | {:.1}× |",
                s.rate() / t.rate(),
                percentile(&ta, 0.5).as_secs_f64() / percentile(&sa, 0.5).as_secs_f64(),
                percentile(&ta, 0.99).as_secs_f64() / percentile(&sa, 0.99).as_secs_f64(),
            ));
        }
    }
    // Suggestions, as a buyer types: Stockyard alone (the peer has no such endpoint).
    if !suggestions.is_empty() && wanted("suggest") {
        for connections in [1, 16] {
            let run = runtime.block_on(drive(
                Engine::Stockyard,
                &[&suggestions],
                connections,
                secs,
                &stockyard,
                &ts_key,
            ));
            report(&format!("stockyard, suggestions, {connections} conn"), &run);
        }
    }
    if !ratios.is_empty() {
        println!();
        println!("| run | throughput Stockyard/Typesense | p50 Typesense/Stockyard | p99 Typesense/Stockyard |");
        println!("|---|---|---|---|");
        for r in ratios {
            println!("{r}");
        }
    }
}
