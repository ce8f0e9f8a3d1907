//! Zero results are the last resort, over HTTP on the demo catalog: WHEN the words as
//! typed find nothing, THEN typos are forgiven (and the answer says `"relaxed":
//! "typo"`), then a word is left out (`"words"`); words with digits are never
//! stretched, and a search that finds something as typed is never relaxed.

#[path = "common/server.rs"]
mod server;

use serde_json::Value;
use server::TestServer;
use std::sync::OnceLock;

fn demo() -> &'static TestServer {
    static S: OnceLock<TestServer> = OnceLock::new();
    S.get_or_init(|| TestServer::start(true, |_| {}))
}

fn makers(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["maker"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_misspelt_maker_finds_the_maker_and_says_so() {
    let s = demo();
    for (typed, maker) in [
        ("Kobleco", "kobelco"),
        ("Kubotta", "kubota"),
        ("catepillar", "caterpillar"),
    ] {
        let v = s.json(&format!("/search?q={typed}&lang=en&limit=20"), 200);
        assert_eq!(v["relaxed"], "typo", "{typed}");
        let all = s.json(&format!("/search?maker={maker}&limit=1"), 200);
        assert_eq!(v["total"], all["total"], "{typed}: every {maker} listing");
        assert!(makers(&v).iter().all(|m| m == maker), "{typed}");
        // The maker's name is marked in the titles that carry it.
        let marked = v["hits"].as_array().unwrap().iter().any(|h| {
            h["highlight"]["title"]
                .as_str()
                .is_some_and(|t| t.contains("<mark>"))
        });
        assert!(marked, "{typed}: the name is marked");
    }
}

#[test]
fn a_word_that_matches_nothing_is_left_out_last() {
    let s = demo();
    // Both words fail as typed; forgiving typos is not enough for the second.
    let v = s.json("/search?q=Kobleco%20zzzzqqq&lang=en&limit=20", 200);
    assert_eq!(v["relaxed"], "words");
    assert!(v["total"].as_u64().unwrap() > 0);
    assert!(makers(&v).iter().all(|m| m == "kobelco"));
}

#[test]
fn exact_searches_and_codes_are_not_relaxed() {
    let s = demo();
    let v = s.json("/search?q=kobelco&lang=en&limit=1", 200);
    assert!(v.get("relaxed").is_none(), "found as typed: {v}");
    // A model code's digits are never stretched, and nonsense stays nothing.
    for typed in ["zx999", "xqzvwk"] {
        let v = s.json(&format!("/search?q={typed}&lang=en&limit=1"), 200);
        assert_eq!(v["total"], 0, "{typed}");
        assert!(v.get("relaxed").is_none(), "{typed}: {v}");
    }
}
