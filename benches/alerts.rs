//! Alerts benchmark (`cargo bench --bench alerts`): saved searches generated from the
//! demo vocabulary, narrow as buyers' alerts are (a model, or a maker and category, or
//! a model number or maker name as words, within a few model years and a price or
//! hours cap), then
//!
//! - matching: the listings' events applied to the percolator one by one after the
//!   searches are saved: events/s, time per event (p50/p99/max), notifications;
//! - latency: a service holding the listings and the searches takes 1,000 new listing
//!   events/s for 20 s; for each event that tells someone, the time from its append to
//!   the commit that makes its notifications visible (p50/p99/max; goal p99 ≤ 1 s),
//!   seen through the outbox's checkpoint; who was told is read after the run, so
//!   that reading millions of notifications does not compete with the service.
//!
//! STOCKYARD_BENCH_LISTINGS (default 20,000) and STOCKYARD_BENCH_SEARCHES (default
//! 10,000) set the scale; the is 1,000,000 and 100,000. At a million listings
//! the demo's 200 models make every listing tell hundreds of searches, so a backlog
//! with the searches saved first would tell hundreds of millions of notifications
//! before the paced part starts: STOCKYARD_BENCH_SEARCHES_LAST=1 saves the searches
//! after the backlog's listings (buyers saving searches on an established catalog; the
//! outbox starts empty), and STOCKYARD_BENCH_MATCHING=N matches only the first N
//! listing events in the matching part.

/// The allocator of the `stockyard` binary, so that the numbers are the service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stockyard::alerts::Percolator;
use stockyard::engine::{Engine, Format, Settings};
use stockyard::graph::EmbeddedGraph;
use stockyard::search::LanguageDetector;
use stockyard_schema::{demo, Event, Payload};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A small deterministic generator (xorshift), so every run saves the same searches.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// `n` saved searches over the catalog in `events`, as event lines.
fn saved_searches(events: &[Event], n: usize) -> Vec<String> {
    let mut models = Vec::new();
    let mut makers = Vec::new();
    let mut categories = Vec::new();
    for e in events {
        match &e.payload {
            Payload::ModelRegistered(m) => models.push((
                m.id.to_string(),
                m.maker_id.to_string(),
                m.category_id.to_string(),
                m.name.clone(),
            )),
            Payload::MakerRegistered(m) => {
                makers.push(m.names.best(stockyard_schema::Lang::EN).to_owned())
            }
            Payload::CategoryDefined(c) => categories.push(c.id.to_string()),
            _ => {}
        }
    }
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    (0..n)
        .map(|i| {
            let (model, maker, category, number) = rng.pick(&models).clone();
            // Narrow, as buyers' alerts are: a model or a maker and category, within a
            // few model years and a price or hours cap.
            let year = rng.between(2008, 2022);
            let query: Value = match rng.next() % 100 {
                0..=49 => json!({"model": [model], "year": format!("{year}..{}", year + 3),
                                 "price": format!("..{}", rng.between(30, 250) * 1000)}),
                50..=69 => json!({"maker": [maker], "category": [category],
                                  "year": format!("{year}..{}", year + 2),
                                  "hours": format!("..{}", rng.between(2, 12) * 1000)}),
                70..=79 => json!({"category": [category], "year": format!("{}..", year + 2),
                                  "price": format!("..{}", rng.between(20, 120) * 1000)}),
                80..=94 => json!({"q": number, "year": format!("{year}..{}", year + 4)}),
                _ => json!({"q": rng.pick(&makers), "category": [category],
                            "year": format!("{year}..{}", year + 1)}),
            };
            json!({"id": format!("bench-saved-{i}"), "type": "SavedSearchCreated",
                   "at": "2026-01-01T00:00:00Z",
                   "data": {"saved_search_id": format!("s{i}"),
                            "subscriber": format!("buyer-{}", i % 20_000), "query": query}})
            .to_string()
        })
        .collect()
}

fn vm_hwm_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// The events of `lines` decoded.
fn decode(lines: &[String]) -> Vec<Event> {
    let mut d = stockyard_schema::Decoder::new();
    lines.iter().map(|l| d.decode(l).unwrap()).collect()
}

fn matching(catalog: &[Event], listings: &[Event], searches: &[Event]) {
    let mut p = Percolator::new(stockyard::api::search::saved::compile);
    let mut graph = EmbeddedGraph::new();
    for e in catalog.iter().chain(searches) {
        p.apply(&mut graph, e);
    }
    let mut times = Vec::with_capacity(listings.len());
    let mut told = 0usize;
    let started = Instant::now();
    for e in listings {
        let t = Instant::now();
        told += p.apply(&mut graph, e).0.len();
        times.push(t.elapsed());
    }
    let total = started.elapsed();
    times.sort();
    println!(
        "matching: {} saved searches, {} listing events in {:.1} s = {:.0} events/s; per event p50 {:?}, p99 {:?}, max {:?}; {told} notifications; VmHWM {} MB",
        p.saved_searches(),
        listings.len(),
        total.as_secs_f64(),
        listings.len() as f64 / total.as_secs_f64(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1],
        vm_hwm_mb().unwrap_or(0),
    );
}

fn latency(backlog: &str, fresh: &[String]) {
    let dir = tempfile::tempdir().unwrap();
    let engine =
        Engine::open(Settings::new(dir.path()), Arc::new(LanguageDetector::new())).unwrap();
    let started = Instant::now();
    engine.ingest(backlog, Format::Ndjson).unwrap();
    assert!(engine.wait_visible(engine.head(), Duration::from_secs(3600)));
    println!(
        "latency: backlog of {} events applied in {:.1} s; VmHWM {} MB",
        engine.head(),
        started.elapsed().as_secs_f64(),
        vm_hwm_mb().unwrap_or(0),
    );
    let outbox = engine.current().alerts().outbox().clone();
    let first_new = outbox.last_id();
    let appended: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
    let rate = 1_000;
    let producer = {
        let (engine, appended, fresh) = (engine.clone(), appended.clone(), fresh.to_vec());
        std::thread::spawn(move || {
            let start = Instant::now();
            for (i, line) in fresh.iter().enumerate() {
                let due = start + Duration::from_micros(i as u64 * 1_000_000 / rate);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let done = engine.ingest(line, Format::Ndjson).unwrap();
                if let Some(p) = done.last_position {
                    appended.lock().unwrap().push((p, Instant::now()));
                }
            }
        })
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut changes = outbox.changes();
    // The service's own latency: when the outbox's commit passes an event, what it
    // told is visible. Who was told is read afterwards, so that reading millions of
    // notifications does not compete with the service during the run.
    let mut committed: Vec<(u64, Instant)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(fresh.len() as u64 / rate + 60);
    while Instant::now() < deadline {
        runtime.block_on(async {
            let _ = tokio::time::timeout(Duration::from_millis(100), changes.changed()).await;
        });
        let now = Instant::now();
        let through = outbox.checkpoint();
        if committed.last().is_none_or(|(c, _)| *c < through) {
            committed.push((through, now));
        }
        // Applied means every projection committed, the outbox before the graph.
        if producer.is_finished() && engine.applied() >= engine.head() {
            break;
        }
    }
    let mut told_positions = std::collections::BTreeSet::new();
    let mut notifications = 0usize;
    let mut after = first_new;
    loop {
        let page = outbox.after(None, after, 100_000).unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        notifications += page.len();
        told_positions.extend(page.iter().map(|n| n.position));
    }
    let list = appended.lock().unwrap();
    let mut latencies = Vec::new();
    for p in &told_positions {
        let (Ok(i), Some(seen)) = (
            list.binary_search_by_key(p, |(q, _)| *q),
            committed.iter().find(|(c, _)| *c > *p),
        ) else {
            continue;
        };
        latencies.push(seen.1 - list[i].1);
    }
    drop(list);
    producer.join().unwrap();
    latencies.sort();
    if latencies.is_empty() {
        println!("latency: no event told anyone");
        return;
    }
    println!(
        "latency: {} events at {rate}/s, {} told someone ({notifications} notifications): append → notification p50 {:?}, p99 {:?}, max {:?}; VmHWM {} MB",
        fresh.len(),
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
        vm_hwm_mb().unwrap_or(0),
    );
    engine.shutdown();
}

fn main() {
    let listings = env("STOCKYARD_BENCH_LISTINGS", 20_000);
    let searches = env("STOCKYARD_BENCH_SEARCHES", 10_000);
    let seconds = env("STOCKYARD_BENCH_SECS", 20);
    let fresh_count = seconds * 1_000;
    // The stream of a catalog with `listings + fresh` listings: the last `fresh`
    // machine events are held back for the paced part.
    let all: Vec<Event> = demo::generate(7, listings + fresh_count).collect();
    let first_machine = all
        .iter()
        .position(|e| matches!(e.payload, Payload::MachineListed(_)))
        .unwrap();
    let (catalog, machines) = all.split_at(first_machine);
    let split = machines.len().saturating_sub(fresh_count);
    let (backlog_machines, fresh) = machines.split_at(split);
    let search_lines = saved_searches(catalog, searches);
    let search_events = decode(&search_lines);
    println!(
        "{} catalog events, {} machine events, {} saved searches",
        catalog.len(),
        backlog_machines.len(),
        search_events.len()
    );
    let matched = env("STOCKYARD_BENCH_MATCHING", backlog_machines.len());
    matching(
        catalog,
        &backlog_machines[..matched.min(backlog_machines.len())],
        &search_events,
    );

    let mut backlog = String::new();
    for e in catalog {
        backlog.push_str(&e.to_json());
        backlog.push('\n');
    }
    let searches_last = env("STOCKYARD_BENCH_SEARCHES_LAST", 0) == 1;
    let mut machines_json = String::new();
    for e in backlog_machines {
        machines_json.push_str(&e.to_json());
        machines_json.push('\n');
    }
    let mut searches_json = String::new();
    for l in &search_lines {
        searches_json.push_str(l);
        searches_json.push('\n');
    }
    if searches_last {
        backlog.push_str(&machines_json);
        backlog.push_str(&searches_json);
    } else {
        backlog.push_str(&searches_json);
        backlog.push_str(&machines_json);
    }
    let fresh: Vec<String> = fresh.iter().map(Event::to_json).collect();
    latency(&backlog, &fresh);
}
