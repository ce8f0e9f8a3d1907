//! Looking the catalog up by name over HTTP, on the demo catalog: suggestions as a
//! buyer types (`/suggest`) and searching within a facet (`/facets/{group}/values`).
//! Counts are checked against what `/search` answers for the same question.

#[path = "common/server.rs"]
mod server;

use serde_json::Value;
use server::TestServer;
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn demo() -> &'static TestServer {
    static S: OnceLock<TestServer> = OnceLock::new();
    S.get_or_init(|| TestServer::start(true, |_| {}))
}

fn suggestions(v: &Value) -> Vec<(String, String, String, String, u64)> {
    v["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["id"].as_str().unwrap_or_default().to_owned(),
                s["text"].as_str().unwrap().to_owned(),
                s["highlight"].as_str().unwrap().to_owned(),
                s["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every suggestion's count is the total of a search selecting it alone (or, for a
/// search buyers ran, of that search).
fn counts_equal_search_totals(s: &TestServer, v: &Value) {
    for (kind, id, text, _, count) in suggestions(v) {
        let path = match kind.as_str() {
            "query" => format!("/search?q={}&limit=1", text.replace(' ', "%20")),
            _ => format!("/search?{kind}={id}&limit=1"),
        };
        let total = s.json(&path, 200)["total"].as_u64().unwrap();
        assert_eq!(count, total, "{kind} {id}");
    }
}

#[test]
fn suggestions_complete_names_in_any_script_named_in_the_buyers_language() {
    let s = demo();
    // GIVEN the demo catalog WHEN an English buyer types コマ (katakana)
    let v = s.json("/suggest?q=%E3%82%B3%E3%83%9E&lang=en", 200);
    let got = suggestions(&v);
    // THEN Komatsu is suggested, named in English, with no mark (the English name is
    // not what matched), and its count is that of a search for Komatsu.
    let komatsu = got.iter().find(|x| x.1 == "komatsu").expect("komatsu");
    assert_eq!(
        (komatsu.0.as_str(), komatsu.2.as_str()),
        ("maker", "Komatsu")
    );
    assert_eq!(komatsu.3, "Komatsu");
    counts_equal_search_totals(s, &v);

    // WHEN a Japanese buyer types the same in hiragana THEN コマツ with the typed part marked.
    let v = s.json("/suggest?q=%E3%81%93%E3%81%BE&lang=ja", 200);
    let got = suggestions(&v);
    let komatsu = got.iter().find(|x| x.1 == "komatsu").expect("komatsu");
    assert_eq!(komatsu.3, "<mark>コマ</mark>ツ");

    // WHEN a German buyer types "bag" THEN the excavator categories come, in German,
    // most listings first.
    let v = s.json("/suggest?q=bag&lang=de", 200);
    let got = suggestions(&v);
    assert!(got
        .iter()
        .any(|x| x.0 == "category" && x.1 == "excavators" && x.3 == "<mark>Bag</mark>ger"));
    let counts: Vec<u64> = got.iter().filter(|x| x.0 != "query").map(|x| x.4).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    counts_equal_search_totals(s, &v);

    // WHEN a model number is typed with a space THEN the models beginning with it.
    let v = s.json("/suggest?q=pc%20200&lang=en&limit=20", 200);
    let got = suggestions(&v);
    assert!(!got.is_empty());
    for (kind, _, text, highlight, _) in got.iter().filter(|x| x.0 != "query") {
        assert_eq!(kind, "model");
        assert!(text.to_lowercase().starts_with("pc200"), "{text}");
        assert!(highlight.starts_with("<mark>PC200</mark>"), "{highlight}");
    }
    counts_equal_search_totals(s, &v);
}

#[test]
fn suggestions_forgive_one_typo_from_four_characters() {
    let s = demo();
    // WHEN "Kobleco" (two letters swapped) is typed THEN Kobelco is suggested.
    let v = s.json("/suggest?q=Kobleco&lang=en", 200);
    assert!(suggestions(&v).iter().any(|x| x.1 == "kobelco"));
    // WHEN "catepillar" (a letter missing) THEN Caterpillar.
    let v = s.json("/suggest?q=catepillar&lang=en", 200);
    assert!(suggestions(&v).iter().any(|x| x.1 == "caterpillar"));
    counts_equal_search_totals(s, &v);
    // WHEN three letters are wrong THEN nothing of them; a blank query suggests nothing.
    let v = s.json("/suggest?q=kxb&lang=en", 200);
    assert!(!suggestions(&v).iter().any(|x| x.1 == "kobelco"));
    let v = s.json("/suggest?q=%20&lang=en", 200);
    assert!(suggestions(&v).is_empty());
}

#[test]
fn suggestions_follow_the_catalog_as_it_changes() {
    let s = TestServer::start(true, |_| {});
    let typed = |q: &str| {
        let v = s.json(&format!("/suggest?q={q}&lang=en"), 200);
        suggestions(&v)
            .into_iter()
            .map(|x| (x.1, x.2))
            .collect::<Vec<_>>()
    };
    // GIVEN suggestions were asked (the catalog's names are folded once per snapshot)
    assert!(typed("Kob").iter().any(|x| x.0 == "kobelco"));
    assert!(typed("Zephyr").is_empty());
    // WHEN the maker is renamed
    let event = r#"{"id":"ren-1","type":"MakerRenamed","at":"2026-11-01T00:00:00Z","data":{"maker_id":"kobelco","names":{"en":"Zephyrco","ja":"ゼファー"}}}"#;
    let (status, answer) = s.ingest(event);
    assert_eq!(status, 202, "{answer}");
    // THEN the next suggestions know only the new names
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !typed("Zephyr").contains(&("kobelco".into(), "Zephyrco".into())) {
        assert!(
            std::time::Instant::now() < deadline,
            "the new name is suggested"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!typed("Kob").iter().any(|x| x.0 == "kobelco"));
    assert!(typed("%E3%82%BC%E3%83%95%E3%82%A1")
        .iter()
        .any(|x| x.0 == "kobelco"));
}

#[test]
fn suggestion_requests_are_checked() {
    let s = demo();
    for (path, code, field) in [
        ("/suggest?q=ko&limit=0", "out_of_range", "limit"),
        ("/suggest?q=ko&limit=21", "out_of_range", "limit"),
        ("/suggest?q=ko&lang=xx", "bad_language", "lang"),
        ("/suggest?q=ko&color=red", "bad_query", "query"),
        ("/suggest?lang=en", "bad_query", "query"),
    ] {
        let v = s.json(path, 400);
        assert_eq!(v["error"]["code"], code, "{path}");
        assert_eq!(v["error"]["field"], field, "{path}");
    }
    let long = "a".repeat(201);
    let v = s.json(&format!("/suggest?q={long}"), 400);
    assert_eq!(v["error"]["field"], "q");
    // AND the limit holds.
    let v = s.json("/suggest?q=e&lang=en&limit=3", 200);
    assert!(suggestions(&v).len() <= 3);
}

/// (id → count) of a search's facet.
fn facet(v: &Value, group: &str) -> BTreeMap<String, u64> {
    v["facets"][group]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn values(v: &Value) -> Vec<(String, String, String, u64)> {
    v["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["name"].as_str().unwrap().to_owned(),
                f["highlight"].as_str().unwrap().to_owned(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn facet_value_search_counts_equal_the_searchs_facets() {
    let s = demo();
    for (search, selections) in [
        ("excavator", ""),
        ("excavator", "&maker=komatsu&maker=hitachi&year=2012.."),
        ("", "&category=excavators&spec.operating_weight=5..30"),
        (
            "%E6%8C%96%E6%8E%98%E6%9C%BA",
            "&price=..100000&currency=USD",
        ),
    ] {
        let full = s.json(
            &format!("/search?q={search}&lang=en&limit=1&facets=category,maker,model{selections}"),
            200,
        );
        for group in ["maker", "model", "category"] {
            // WHEN the facet's values are asked for without a text THEN all of them,
            // with the search's counts.
            let all = s.json(
                &format!("/facets/{group}/values?words={search}&lang=en{selections}"),
                200,
            );
            assert_eq!(all["group"], group);
            let got: BTreeMap<String, u64> = values(&all)
                .into_iter()
                .map(|(id, _, _, n)| (id, n))
                .collect();
            assert_eq!(got, facet(&full, group), "{group} {search} {selections}");
        }
        // WHEN makers are searched for "ko" THEN those named so, counts as the facet's.
        let ko = s.json(
            &format!("/facets/maker/values?q=ko&words={search}&lang=en{selections}"),
            200,
        );
        let makers = facet(&full, "maker");
        let found = values(&ko);
        for (id, name, highlight, count) in &found {
            assert!(name.to_lowercase().contains("ko"), "{name}");
            assert!(highlight.contains("<mark>"), "{highlight}");
            assert_eq!(makers[id], *count);
        }
        // Every maker of the facet named with "ko" in some language is found.
        let named_ko: Vec<String> = ["en", "ja", "zh", "ko", "de", "fr", "es", "ru"]
            .iter()
            .flat_map(|l| {
                s.json(&format!("/makers?lang={l}"), 200)
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|m| m["name"].as_str().unwrap().to_lowercase().contains("ko"))
                    .map(|m| m["id"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        let expected = makers.keys().filter(|id| named_ko.contains(id)).count();
        assert!(expected > 0);
        assert_eq!(found.len(), expected, "{search} {selections}: {found:?}");
    }
}

#[test]
fn facet_values_match_names_in_any_language() {
    let s = demo();
    // WHEN an English buyer searches the category facet for 挖掘 (Chinese)
    let v = s.json("/facets/category/values?q=%E6%8C%96%E6%8E%98&lang=en", 200);
    let found = values(&v);
    // THEN the excavator categories, named in English (the English name did not match).
    let ids: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert!(ids.contains(&"excavators"), "{ids:?}");
    assert!(ids.contains(&"mini_excavators"), "{ids:?}");
    let excavators = found.iter().find(|f| f.0 == "excavators").unwrap();
    assert_eq!(excavators.1, "Excavators");
    assert_eq!(excavators.2, "Excavators");
    // AND the counts are those of browsing everything.
    let browse = s.json("/search?limit=1&facets=category", 200);
    assert_eq!(facet(&browse, "category")["excavators"], excavators.3);
    // WHEN the model facet is searched for "pc 200" THEN the PC200 models.
    let v = s.json("/facets/model/values?q=pc%20200", 200);
    let found = values(&v);
    assert!(!found.is_empty());
    assert!(found.iter().all(|f| f.1.starts_with("PC200")), "{found:?}");
}

#[test]
fn facet_value_requests_are_checked() {
    let s = demo();
    for (path, code, field) in [
        ("/facets/year/values?q=20", "unknown_facet", "group"),
        (
            "/facets/maker/values?q=ko&limit=5",
            "unknown_parameter",
            "limit",
        ),
        ("/facets/maker/values?q=ko&q=ka", "repeated_parameter", "q"),
        ("/facets/maker/values?maker=%20", "bad_id", "maker"),
        ("/facets/maker/values?year=abc", "bad_range", "year"),
        (
            "/facets/maker/values?color=red",
            "unknown_parameter",
            "color",
        ),
    ] {
        let v = s.json(path, 400);
        assert_eq!(v["error"]["code"], code, "{path}: {v}");
        assert_eq!(v["error"]["field"], field, "{path}: {v}");
    }
    let long = "a".repeat(201);
    let v = s.json(&format!("/facets/maker/values?words={long}"), 400);
    assert_eq!(v["error"]["field"], "words", "{v}");
}
