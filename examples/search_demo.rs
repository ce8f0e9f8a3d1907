//! The engine in a program, without HTTP: load the demo catalog, search, count facets.
//!
//! `cargo run --release --example search_demo -- "油圧ショベル"`

use std::sync::Arc;
use std::time::Duration;
use stockyard::engine::{Engine, Format, Settings};
use stockyard::graph::{FacetRequest, Selections};
use stockyard::search::{LanguageDetector, SearchRequest};
use stockyard_schema::Lang;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let words = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "excavator".into());
    let dir = tempfile_dir()?;
    let engine = Engine::open(Settings::new(&dir), Arc::new(LanguageDetector::new()))?;
    engine.ingest(stockyard::server::DEMO_CATALOG, Format::Ndjson)?;
    engine.wait_visible(engine.head(), Duration::from_secs(60));

    let generation = engine.current();
    let found = generation.text().search(&SearchRequest {
        text: words.clone(),
        limit: 5,
        collect_keys: true,
        ..Default::default()
    })?;
    println!(
        "{words:?}: {} listings (boosted: {:?})",
        found.total, found.langs
    );
    for hit in &found.hits {
        println!(
            "  {:.2}  {}",
            hit.score,
            hit.listing.machine.title.best(Lang::EN)
        );
    }
    let hits = found
        .keys
        .unwrap_or_default()
        .into_iter()
        .filter_map(|k| u32::try_from(k).ok())
        .collect();
    let facets = generation.graph().get().facets(&FacetRequest {
        hits: Some(&hits),
        selections: Selections::default(),
        lang: Lang::EN,
        spec_facets: vec![],
        buckets: 5,
        attribute_facets: false,
    });
    for maker in facets.makers.iter().take(5) {
        println!("  maker {:<14} {}", maker.name, maker.count);
    }
    engine.shutdown();
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("stockyard-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
