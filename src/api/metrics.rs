//! Prometheus metrics through the `metrics` facade and its Prometheus exporter.
//!
//! Code anywhere in the process (the HTTP layer, the search use case, the indexer's
//! projections) records with `metrics::counter!`/`histogram!` without a lock of ours;
//! this module installs the process's recorder once and renders it, adding the
//! indexer's gauges (log head, lag, dead letters, generation) read at scrape time.
//!
//! Names: `stockyard_http_request_duration_seconds{route,method,status}`,
//! `stockyard_search_duration_seconds{kind}` (`text`, `browse`, `model_number`),
//! `stockyard_search_hits_total`, `stockyard_projection_events_total{projection}`,
//! `stockyard_projection_commit_duration_seconds{projection}`,
//! `stockyard_index_lag{projection}`, `stockyard_log_head`,
//! `stockyard_events_per_second`, `stockyard_dead_letters`, `stockyard_generation`.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BOUNDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's metrics: one recorder, shared by every server the process runs.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Self {
        static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
        let handle = HANDLE.get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("seconds".into()), &BOUNDS)
                .expect("the bucket list is not empty");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may own the process (an embedding application's):
            // then ours renders only what is recorded here through it, which is
            // nothing; the application's exporter has the figures.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
            }
            handle
        });
        Metrics {
            handle: handle.clone(),
        }
    }
}

impl Metrics {
    /// Records one request.
    pub fn observe(&self, route: &str, method: &str, status: u16, took: Duration) {
        metrics::histogram!(
            "stockyard_http_request_duration_seconds",
            "route" => route.to_owned(),
            "method" => method.to_owned(),
            "status" => status.to_string()
        )
        .record(took);
    }

    /// Counts hits returned by searches.
    pub fn add_hits(&self, n: usize) {
        metrics::counter!("stockyard_search_hits_total").increment(n as u64);
    }

    /// The exposition text, with the indexer's gauges as of now.
    pub fn render(&self, status: &stockyard_indexer::Status, generation: u64) -> String {
        metrics::gauge!("stockyard_log_head").set(status.head as f64);
        for p in &status.projections {
            metrics::gauge!("stockyard_index_lag", "projection" => p.name.clone())
                .set(p.lag as f64);
        }
        metrics::gauge!("stockyard_events_per_second").set(status.events_per_second);
        metrics::gauge!("stockyard_dead_letters").set(status.dead_letters as f64);
        metrics::gauge!("stockyard_generation").set(generation as f64);
        self.handle.render()
    }
}
