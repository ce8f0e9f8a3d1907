//! Prometheus metrics: request latency per route, hits served, and the indexer's
//! state. Written by hand in the text exposition format: a few counters do not need
//! a metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BOUNDS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BOUNDS.len()],
    count: u64,
    sum: f64,
}

/// Counters shared by every request.
#[derive(Default)]
pub struct Metrics {
    /// By (route, method, status class).
    requests: Mutex<BTreeMap<(String, String, u16), Histogram>>,
    hits: Mutex<u64>,
}

impl Metrics {
    /// Records one request.
    pub fn observe(&self, route: &str, method: &str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let h = map
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default();
        for (i, b) in BOUNDS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// Counts hits returned by searches.
    pub fn add_hits(&self, n: usize) {
        *self.hits.lock().unwrap_or_else(|e| e.into_inner()) += n as u64;
    }

    /// The exposition text, with the indexer's gauges.
    pub fn render(&self, status: &stockyard_indexer::Status, generation: u64) -> String {
        let mut out = String::new();
        out.push_str("# HELP stockyard_http_request_duration_seconds Request latency by route.\n");
        out.push_str("# TYPE stockyard_http_request_duration_seconds histogram\n");
        let map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        for ((route, method, code), h) in map.iter() {
            let labels = format!("route=\"{route}\",method=\"{method}\",status=\"{code}\"");
            for (i, b) in BOUNDS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "stockyard_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "stockyard_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "stockyard_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "stockyard_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        drop(map);
        let hits = *self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "# HELP stockyard_search_hits_total Hits returned by searches.\n# TYPE stockyard_search_hits_total counter\nstockyard_search_hits_total {hits}");
        let _ = writeln!(out, "# HELP stockyard_log_head Events in the log.\n# TYPE stockyard_log_head gauge\nstockyard_log_head {}", status.head);
        let _ = writeln!(out, "# HELP stockyard_index_lag Events not applied yet, by projection.\n# TYPE stockyard_index_lag gauge");
        for p in &status.projections {
            let _ = writeln!(
                out,
                "stockyard_index_lag{{projection=\"{}\"}} {}",
                p.name, p.lag
            );
        }
        let _ = writeln!(out, "# HELP stockyard_events_per_second Events applied per second in the last batch.\n# TYPE stockyard_events_per_second gauge\nstockyard_events_per_second {}", status.events_per_second);
        let _ = writeln!(out, "# HELP stockyard_dead_letters Events the projections could not apply.\n# TYPE stockyard_dead_letters gauge\nstockyard_dead_letters {}", status.dead_letters);
        let _ = writeln!(out, "# HELP stockyard_generation The serving generation.\n# TYPE stockyard_generation gauge\nstockyard_generation {generation}");
        out
    }
}
