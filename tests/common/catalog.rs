//! The whole catalog of an engine, for comparing a service that went through faults
//! with a clean build from the same log.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use stockyard::engine::{Engine, Settings};
use stockyard::graph::{FacetRequest, Facets, Selections};
use stockyard::search::{LanguageDetector, StoredListing};
use stockyard_schema::Lang;

/// Every document with its key, the facet counts of everything, and the category
/// tree and makers as shown.
pub type Everything = (Vec<(u64, StoredListing)>, Facets, String);

/// What `e` serves, whole.
pub fn everything(e: &Engine) -> Everything {
    let g = e.current().graph().get();
    let facets = g.facets(&FacetRequest {
        hits: None,
        selections: Selections::default(),
        lang: Lang::EN,
        spec_facets: vec!["operating_weight".parse().unwrap()],
        buckets: 8,
        attribute_facets: true,
        rates: Default::default(),
    });
    let views = format!("{:?}{:?}", g.category_tree(Lang::JA), g.makers(Lang::EN));
    (e.current().text().documents().unwrap(), facets, views)
}

/// Opens the engine of `dir` and waits until it has applied its whole log.
pub fn open(dir: &Path, detector: &Arc<LanguageDetector>) -> Arc<Engine> {
    let e = Engine::open(Settings::new(dir), detector.clone()).unwrap();
    assert!(e.wait_visible(e.head(), Duration::from_secs(600)));
    e
}

/// The catalog a clean build from a copy of `log` serves (built in `dir`).
pub fn clean_build(log: &Path, dir: &Path, detector: &Arc<LanguageDetector>) -> Everything {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(log, dir.join("events.log")).unwrap();
    let clean = open(dir, detector);
    let built = everything(&clean);
    clean.shutdown();
    built
}

/// Asserts two catalogs are the same.
pub fn assert_same(after_faults: &Everything, clean: &Everything) {
    assert_eq!(
        after_faults.0.len(),
        clean.0.len(),
        "same number of documents"
    );
    assert!(after_faults.0 == clean.0, "same documents, same keys");
    assert_eq!(after_faults.1, clean.1, "same facet counts");
    assert_eq!(after_faults.2, clean.2, "same category tree and makers");
}
