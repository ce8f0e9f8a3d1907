//! The engine in a program, without HTTP: load the demo catalog, search, count facets.
//!
//! `cargo run --release --example search_demo -- "油圧ショベル"`

use std::sync::Arc;
use std::time::Duration;
use stockyard::engine::{
    Engine, FacetWants, Format, GraphSource, SearchPlan, SearchPool, Settings,
};
use stockyard::graph::Selections;
use stockyard::search::{LanguageDetector, Sort};
use stockyard_schema::Lang;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let words = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "excavator".into());
    let dir = tempfile_dir()?;
    let engine = Engine::open(Settings::new(&dir), Arc::new(LanguageDetector::new()))?;
    engine.ingest(stockyard::server::DEMO_CATALOG, Format::Ndjson)?;
    engine.wait_visible(engine.head(), Duration::from_secs(60));

    // The same use case the HTTP API runs: a validated plan in, hits and facets out.
    let plan = SearchPlan {
        words: words.clone(),
        lang: None,
        names: Lang::EN,
        selections: Selections::default(),
        facets: FacetWants {
            maker: true,
            ..FacetWants::default()
        },
        sort: Sort::Relevance,
        offset: 0,
        limit: 5,
        min_score: None,
        // The latest published exchange rates (the demo catalog publishes a set).
        rates: engine.current().graph().get().rates().clone(),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let found =
        runtime.block_on(engine.search(&SearchPool::default(), plan, &GraphSource::Embedded))?;
    println!("{words:?}: {} listings", found.total);
    for hit in &found.hits {
        println!(
            "  {:.2}  {}",
            hit.score,
            hit.listing.machine.title.best(Lang::EN)
        );
    }
    for maker in found.facets.makers.iter().take(5) {
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
