//! Indexer benchmarks (`cargo bench --bench indexer`):
//!
//! - rebuild: a log of generated listings (STOCKYARD_BENCH_LISTINGS, default 1M) built
//!   into a new generation from event 0: seconds and events/s (goal ≤ 60 s for 1M);
//! - freshness: events appended at 1,000/s for 20 s to a service holding the demo
//!   catalog; for each, the time from append until a search can see it (its commit is
//!   visible): p50/p99 (goal p99 ≤ 1 s).

use std::sync::{Arc, Mutex};

/// The allocator of the `stockyard` binary, so that the numbers are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::{Duration, Instant};
use stockyard::engine::{Engine, Format, Settings};
use stockyard::search::{LanguageDetector, SearchRequest};
use stockyard_indexer::{Durability, EventLog};

fn listings() -> usize {
    std::env::var("STOCKYARD_BENCH_LISTINGS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn rebuild(detector: &Arc<LanguageDetector>) {
    let n = listings();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (mut log, _) =
        EventLog::open(&dir.path().join("events.log"), Durability::OsBuffered).unwrap();
    let mut chunk = Vec::with_capacity(10_000);
    for e in stockyard_schema::demo::generate(2026, n) {
        chunk.push(e);
        if chunk.len() == 10_000 {
            log.append(&chunk).unwrap();
            chunk.clear();
        }
    }
    log.append(&chunk).unwrap();
    let head = log.head();
    drop(log);
    println!(
        "rebuild: {n} listings, {head} events logged in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let engine = Engine::open(Settings::new(dir.path()), detector.clone()).unwrap();
    let mut last = Instant::now();
    while !engine.wait_visible(head, Duration::from_secs(5)) {
        if last.elapsed() > Duration::from_secs(10) {
            println!("  … {} / {head}", engine.applied());
            last = Instant::now();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "rebuild: {head} events into a new generation in {secs:.1} s = {:.0} events/s ({} documents)",
        head as f64 / secs,
        engine.current().text().num_docs()
    );
    engine.shutdown();
}

fn freshness(detector: &Arc<LanguageDetector>) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(Settings::new(dir.path()), detector.clone()).unwrap();
    engine
        .ingest(stockyard::server::DEMO_CATALOG, Format::Ndjson)
        .unwrap();
    assert!(engine.wait_visible(engine.head(), Duration::from_secs(120)));

    let appended: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let seconds = 20;
    let rate = 1_000;
    let producer = {
        let engine = engine.clone();
        let appended = appended.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            for i in 0..seconds * rate {
                let due = start + Duration::from_micros(i as u64 * 1_000_000 / rate as u64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let line = format!(
                    r#"{{"id":"fresh-{i}","type":"MachineListed","at":"2026-11-22T00:00:00Z","data":{{"machine_id":"F-{i}","model_id":"komatsu-pc200-10","title":{{"en":"Fresh listing token{i}"}}}}}}"#
                );
                let done = engine.ingest(&line, Format::Ndjson).unwrap();
                let position = done.last_position.unwrap();
                appended.lock().unwrap().push((position, Instant::now()));
            }
        })
    };
    // Watch the applied position; an event is visible once every projection
    // committed past it.
    let mut latencies = Vec::with_capacity(seconds * rate);
    let mut next = 0usize;
    let deadline = Instant::now() + Duration::from_secs(seconds as u64 + 30);
    while next < seconds * rate && Instant::now() < deadline {
        let applied = engine.applied();
        let now = Instant::now();
        let list = appended.lock().unwrap();
        while next < list.len() && list[next].0 < applied {
            latencies.push(now - list[next].1);
            next += 1;
        }
        drop(list);
        std::thread::sleep(Duration::from_micros(500));
    }
    producer.join().unwrap();
    // A real search sees the last one.
    let last = seconds * rate - 1;
    let r = engine
        .current()
        .text()
        .search(&SearchRequest {
            text: format!("token{last}"),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.hits[0].machine_id, format!("F-{last}"));
    latencies.sort();
    println!(
        "freshness at {rate} events/s for {seconds} s: {} events, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0
    );
    engine.shutdown();
}

fn main() {
    let detector = Arc::new(LanguageDetector::new());
    let which = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    if which.as_deref().is_none_or(|w| w == "freshness") {
        freshness(&detector);
    }
    if which.as_deref().is_none_or(|w| w == "rebuild") {
        rebuild(&detector);
    }
}
