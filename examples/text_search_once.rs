//! Runs text searches once each over an existing data directory's text index, for
//! instruction counts that a noisy machine cannot blur: timings on the 2-core
//! development VM vary ±20 % between rounds, while callgrind counts the same
//! instructions every run. Each search runs twice; only the second (`measured`) is
//! counted, after the first has decoded the segments' columns and faulted in pages.
//!
//!     cargo build --release --example text_search_once
//!     valgrind --tool=callgrind --toggle-collect='text_search_once::measured*' \
//!         target/release/examples/text_search_once DATA_DIR/gen-000001/text "komatsu pc200-8"
//!
//! (`Collected :` is the count.) Only the text pass is run: no graph, no facets, no
//! HTTP; the load benchmark (`benches/load`) measures the whole service.

use std::path::Path;
use std::sync::Arc;
use stockyard::search::{LanguageDetector, SearchRequest, TextIndex};

/// The counted search.
#[inline(never)]
fn measured(index: &TextIndex, req: &SearchRequest) -> usize {
    index.search(req).expect("search").total
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: text_search_once TEXT_INDEX_DIR WORDS...");
        std::process::exit(2);
    };
    // `open_or_create` would make an empty index of a mistyped path.
    if !Path::new(&dir).join("listings").is_dir() {
        eprintln!("{dir}: no text index here (a data directory's gen-*/text)");
        std::process::exit(2);
    }
    let index = TextIndex::open_or_create(Path::new(&dir), Arc::new(LanguageDetector::new()))
        .expect("open the text index");
    for words in args {
        let req = SearchRequest {
            text: words.clone(),
            limit: 20,
            ..Default::default()
        };
        index.search(&req).expect("search");
        let total = measured(&index, &req);
        println!("{words}: {total} hits");
    }
}
