//! One word, several forms: GIVEN the demo catalog, WHEN a buyer writes a word in
//! another form than the seller did (traditional Chinese for simplified, a katakana
//! word without its long-vowel mark or in hiragana, a German umlaut spelled out), THEN the same
//! listings are found, the words are marked in them, and suggestions know the
//! catalog's names in either form.

#[path = "common/server.rs"]
mod server;

use serde_json::Value;
use server::TestServer;
use std::sync::OnceLock;

fn demo() -> &'static TestServer {
    static S: OnceLock<TestServer> = OnceLock::new();
    S.get_or_init(|| TestServer::start(true, |_| {}))
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["machine_id"].as_str().unwrap().to_owned())
        .collect()
}

/// A search of the demo catalog (the client percent-encodes the words).
fn search(q: &str, lang: &str) -> Value {
    demo().json(&format!("/search?q={q}&lang={lang}&limit=50"), 200)
}

#[test]
fn a_word_in_another_form_finds_the_same_listings() {
    for (written, as_listed, lang) in [
        ("輪式裝載機", "轮式装载机", "zh"),
        ("挖掘機", "挖掘机", "zh"),
        ("ホイールローダ", "ホイールローダー", "ja"),
        ("ほいーるろーだー", "ホイールローダー", "ja"),
        ("Gelaendekran", "Geländekran", "de"),
    ] {
        let (a, b) = (search(written, lang), search(as_listed, lang));
        assert!(
            b["total"].as_u64().unwrap() > 0,
            "{as_listed} is in the catalog"
        );
        assert_eq!(
            a["total"], b["total"],
            "{written} finds what {as_listed} finds"
        );
        assert_eq!(ids(&a), ids(&b), "{written}: same order");
        let marked = a["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| {
                let hl = &h["highlight"];
                [hl["title"].as_str(), hl["description"].as_str()]
                    .into_iter()
                    .flatten()
                    .any(|t| t.contains("<mark>"))
            })
            .count();
        assert!(marked > 0, "{written}: the listed form is marked");
    }
}

#[test]
fn suggestions_know_names_in_either_form() {
    // The simplified category name, typed in traditional characters.
    let v = demo().json("/suggest?q=輪式&lang=zh", 200);
    let found: Vec<&str> = v["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(found.contains(&"wheel_loaders"), "{v}");
}
