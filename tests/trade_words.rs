//! Trade words over HTTP: GIVEN the demo catalog and the bundled dictionary, WHEN a
//! buyer types the slang or brand the trade uses for a machine type (`ユンボ`,
//! `ユニック`, `トラクターショベル`, `backhoe`, `포크레인`), THEN listings of that type
//! are found as if the catalog name had been typed; with the dictionary switched off,
//! the words are searched only as typed.

#[path = "common/server.rs"]
mod server;

use serde_json::Value;
use server::TestServer;

fn search(s: &TestServer, q: &str, lang: &str) -> Value {
    s.json(
        &format!("/search?q={q}&lang={lang}&limit=100&facets=category"),
        200,
    )
}

#[test]
fn trade_words_find_what_their_catalog_names_find() {
    let s = TestServer::start(true, |_| {});
    for (typed, name, lang) in [
        ("ユンボ", "油圧ショベル", "ja"),
        ("中古 ユンボ", "中古 油圧ショベル", "ja"),
        ("トラクターショベル", "ホイールローダー", "ja"),
        ("ユニック", "クレーン", "ja"),
        ("backhoe", "excavator", "en"),
        ("포크레인", "굴착기", "ko"),
        // Traditional characters fold to simplified, then the trade word leads on.
        ("挖土機", "挖掘机", "zh"),
    ] {
        let (alias, named) = (search(&s, typed, lang), search(&s, name, lang));
        assert!(
            named["total"].as_u64().unwrap() > 0,
            "{name} finds listings"
        );
        assert_eq!(
            alias["total"], named["total"],
            "{typed} finds what {name} finds"
        );
        assert_eq!(
            alias["facets"]["category"], named["facets"]["category"],
            "{typed}: the same listings"
        );
    }
}

#[test]
fn switched_off_the_words_are_searched_as_typed() {
    let s = TestServer::start(true, |c| c.search.trade_words = false);
    assert_eq!(search(&s, "ユンボ", "ja")["total"], 0);
    assert!(search(&s, "油圧ショベル", "ja")["total"].as_u64().unwrap() > 0);
}

/// Posts one event and waits until searches see it (the graph serves a snapshot).
fn post(s: &TestServer, line: &str) -> (u16, Value) {
    s.ingest(line)
}

/// Waits until searching `q` totals `expected`.
fn until_total(s: &TestServer, q: &str, lang: &str, expected: &Value) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while &search(s, q, lang)["total"] != expected {
        assert!(
            std::time::Instant::now() < deadline,
            "{q} should total {expected}, totals {}",
            search(s, q, lang)["total"]
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn a_marketplace_teaches_synonyms_as_events() {
    let s = TestServer::start(true, |_| {});
    let excavators = search(&s, "油圧ショベル", "ja")["total"].clone();
    let minis = search(&s, "ミニショベル", "ja")["total"].clone();
    assert_ne!(excavators, minis);
    assert_eq!(search(&s, "パワショ", "ja")["total"], 0);

    // WHEN the marketplace defines a set THEN each term finds what the others find.
    let (status, body) = post(
        &s,
        r#"{"id":"syn-1","type":"SynonymsDefined","at":"2026-11-01T00:00:00Z","data":{"synonym_set_id":"power-shovel","terms":["パワショ","油圧ショベル"],"lang":"ja"}}"#,
    );
    assert_eq!(status, 202, "{body}");
    until_total(&s, "パワショ", "ja", &excavators);

    // WHEN its own set names a bundled trade word THEN the marketplace's meaning wins.
    assert_eq!(search(&s, "ユンボ", "ja")["total"], excavators);
    post(
        &s,
        r#"{"id":"syn-2","type":"SynonymsDefined","at":"2026-11-01T00:00:01Z","data":{"synonym_set_id":"yumbo","terms":["ユンボ","ミニショベル"]}}"#,
    );
    until_total(&s, "ユンボ", "ja", &minis);

    // WHEN a set is removed THEN its words are searched as typed again.
    post(
        &s,
        r#"{"id":"syn-3","type":"SynonymsRemoved","at":"2026-11-01T00:00:02Z","data":{"synonym_set_id":"power-shovel"}}"#,
    );
    until_total(&s, "パワショ", "ja", &Value::from(0));

    // A set of one term is refused, naming the field; nothing of the batch is kept.
    let (status, body) = post(
        &s,
        r#"{"id":"syn-4","type":"SynonymsDefined","at":"2026-11-01T00:00:03Z","data":{"synonym_set_id":"lonely","terms":["ユンボ"]}}"#,
    );
    assert_eq!(status, 422, "{body}");
    let line = &body["error"]["lines"][0];
    assert_eq!(line["field"], "data.terms", "{body}");
    assert!(
        line["message"].as_str().unwrap().contains("2 to 20 terms"),
        "{body}"
    );
}
