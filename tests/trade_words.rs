//! Trade words over HTTP: GIVEN the demo catalog and the bundled dictionary, WHEN a
//! buyer types the slang or brand the trade uses for a machine type (`ユンボ`,
//! `ユニック`, `トラクターショベル`, `backhoe`, `포크레인`), THEN listings of that type
//! are found as if the catalog name had been typed; with the dictionary switched off,
//! the words are searched only as typed.

#[path = "common/server.rs"]
mod server;

use serde_json::Value;
use server::TestServer;

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn search(s: &TestServer, q: &str, lang: &str) -> Value {
    s.json(
        &format!("/search?q={}&lang={lang}&limit=100&facets=category", enc(q)),
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
