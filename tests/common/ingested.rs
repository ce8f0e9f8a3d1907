//! An engine holding a catalog of events, ready to search: the GIVEN of the search
//! use-case tests.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use stockyard::engine::{Engine, Format, Settings};
use stockyard::search::LanguageDetector;

/// An engine in `dir` that has ingested `events` (NDJSON) and made them visible.
pub fn engine(dir: &Path, detector: Arc<LanguageDetector>, events: &str) -> Arc<Engine> {
    let mut settings = Settings::new(dir);
    settings.max_delay = Duration::from_millis(10);
    // Every search runs the search path: a repeated one would be answered from the
    // cache (`tests/search_cache.rs` covers that).
    settings.search_cache_bytes = 0;
    let engine = Engine::open(settings, detector).unwrap();
    let ingested = engine.ingest(events, Format::Ndjson).unwrap();
    assert!(engine.wait_visible(
        ingested.last_position.unwrap() + 1,
        Duration::from_secs(120)
    ));
    engine
}
