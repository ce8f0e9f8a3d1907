//! Language detection accuracy on the labelled sentences that ship inside lingua's
//! language-model crates (`testdata/sentences.txt`), for every supported language.
//! Prints the accuracy per language; fails when one falls below the floor.

use std::path::PathBuf;
use stockyard::search::{language::SUPPORTED, LanguageDetector};
use stockyard_schema::Lang;

/// Lowest accuracy accepted for any language.
const FLOOR: f64 = 0.95;

fn model_crate_name(lang: Lang) -> &'static str {
    match lang.as_str() {
        "ja" => "japanese",
        "en" => "english",
        "zh" => "chinese",
        "ko" => "korean",
        "de" => "german",
        "fr" => "french",
        "es" => "spanish",
        "ru" => "russian",
        other => panic!("no model crate known for {other}"),
    }
}

/// `testdata/sentences.txt` of the language's model crate in the cargo registry.
fn sentences_file(lang: Lang) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let prefix = format!("lingua-{}-language-model-", model_crate_name(lang));
    for registry in std::fs::read_dir(home.join("registry/src")).ok()?.flatten() {
        for krate in std::fs::read_dir(registry.path()).ok()?.flatten() {
            if krate.file_name().to_string_lossy().starts_with(&prefix) {
                let f = krate.path().join("testdata/sentences.txt");
                if f.exists() {
                    return Some(f);
                }
            }
        }
    }
    None
}

#[test]
fn detection_accuracy_per_language() {
    let detector = LanguageDetector::new();
    let mut report = Vec::new();
    let mut below = Vec::new();
    for lang in SUPPORTED {
        let path = sentences_file(lang).unwrap_or_else(|| {
            panic!("lingua's test sentences for {lang} are not in the cargo registry")
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let sentences: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        // As listings are indexed: right when the languages assigned include the label
        // (Han-only sentences count as both Japanese and Chinese, by design).
        let indexed = sentences
            .iter()
            .filter(|s| detector.languages_of(s).langs().any(|l| l == lang))
            .count();
        // As a buyer's query: the languages boosted include the label.
        let top = sentences
            .iter()
            .filter(|s| {
                detector
                    .detect(s)
                    .is_some_and(|(set, _)| set.langs().any(|l| l == lang))
            })
            .count();
        let n = sentences.len() as f64;
        let (indexed, top) = (indexed as f64 / n, top as f64 / n);
        report.push(format!(
            "{lang}: {:>4} sentences, listing accuracy {:.1} %, query accuracy {:.1} %",
            sentences.len(),
            indexed * 100.0,
            top * 100.0
        ));
        if indexed < FLOOR {
            below.push(lang);
        }
    }
    let report = report.join("\n");
    eprintln!("{report}");
    std::fs::write(
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("language-accuracy.txt"),
        &report,
    )
    .unwrap();
    assert!(below.is_empty(), "below {FLOOR}: {below:?}\n{report}");
}
