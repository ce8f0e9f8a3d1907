//! The cache of answers: a repeated search is answered from it, equal to a search
//! that runs; any indexed event starts it afresh; its budget bounds it. Real servers
//! on the demo catalog, one with the cache and one without.

#[path = "common/server.rs"]
mod server;

use serde_json::Value;
use server::TestServer;

/// Searches a buyer might send, no two alike: words in several languages, browses,
/// selections, sorts, pages and facets, so that a key missing any part of the request
/// would answer one with another's answer.
const SEARCHES: &[&str] = &[
    "/search?q=excavator",
    "/search?q=excavator&lang=en",
    "/search?q=excavator&lang=de",
    "/search?q=excavator&offset=20",
    "/search?q=excavator&limit=5",
    "/search?q=excavator&sort=price&order=asc",
    "/search?q=excavator&sort=price&order=desc",
    "/search?q=excavator&maker=komatsu",
    "/search?q=excavator&maker=komatsu&maker=hitachi",
    "/search?q=excavator&facets=category,maker,model,year,price",
    "/search?q=excavator&year=2015..",
    "/search?q=excavator&price=..30000",
    "/search?q=excavator&price=..30000&currency=EUR",
    "/search?q=excavator&min_score=3",
    "/search?q=%E6%B2%B9%E5%9C%A7%E3%82%B7%E3%83%A7%E3%83%99%E3%83%AB",
    "/search?q=%E6%B2%B9%E5%9C%A7%E3%82%B7%E3%83%A7%E3%83%99%E3%83%AB&lang=ja",
    "/search?q=%E6%8C%96%E6%8E%98%E6%9C%BA&lang=zh",
    "/search?q=Radlader&lang=de",
    "/search?q=pc200",
    "/search?q=komatsu%20pc200-8",
    "/search?q=excavtor",
    "/search?category=wheel_loaders&sort=price&order=asc&facets=category,maker,model,price",
    "/search?category=wheel_loaders&sort=year&order=desc",
    "/search?category=wheel_loaders&lang=ja",
    "/search?maker=kubota&hours=..3000&facets=hours",
    "/search",
];

/// An answer without its timing.
fn answer(s: &TestServer, path: &str) -> Value {
    let mut v = s.json(path, 200);
    v.as_object_mut().unwrap().remove("took_ms");
    v
}

fn total(v: &Value) -> u64 {
    v["total"].as_u64().unwrap()
}

#[test]
fn repeated_searches_equal_searches_that_run() {
    // GIVEN the demo catalog served twice: with the cache (the default) and without.
    let cached = TestServer::start(true, |_| {});
    let uncached = TestServer::start(true, |c| c.search.cache_mb = 0);
    // WHEN every search is sent twice to the first, once to the second
    let first: Vec<Value> = SEARCHES.iter().map(|p| answer(&cached, p)).collect();
    assert_eq!(cached.engine.cache_usage().hits, 0, "all new");
    let second: Vec<Value> = SEARCHES.iter().map(|p| answer(&cached, p)).collect();
    let reference: Vec<Value> = SEARCHES.iter().map(|p| answer(&uncached, p)).collect();
    // THEN the second round came from the cache, and every answer is the one a
    // search that runs gives.
    let usage = cached.engine.cache_usage();
    assert_eq!(usage.hits, SEARCHES.len() as u64, "{usage:?}");
    assert_eq!(usage.answers, SEARCHES.len());
    assert_eq!(uncached.engine.cache_usage(), Default::default());
    for ((path, a), (b, r)) in SEARCHES
        .iter()
        .zip(&first)
        .zip(second.iter().zip(&reference))
    {
        assert_eq!(a, r, "{path}");
        assert_eq!(b, r, "{path}");
    }
}

#[test]
fn an_indexed_event_is_in_the_next_answer() {
    // GIVEN a search answered once and kept
    let s = TestServer::start(true, |_| {});
    let path = "/search?q=excavator&facets=maker";
    let before = answer(&s, path);
    assert_eq!(answer(&s, path), before);
    assert_eq!(s.engine.cache_usage().hits, 1);
    // WHEN a new excavator is listed
    let event = r#"{"id":"ev-cache-1","type":"MachineListed","at":"2026-11-01T00:00:00Z","data":{"machine_id":"CACHE-1","model_id":"komatsu-pc200-10","title":{"en":"Komatsu excavator, fresh in"},"year":2021}}"#;
    let (status, body) = s.ingest(event);
    assert_eq!(status, 202, "{body}");
    // THEN the commit let go of the kept answers (and the graph they hold)
    assert_eq!(s.engine.cache_usage().answers, 0);
    // AND the same search finds it.
    let after = answer(&s, path);
    assert_eq!(total(&after), total(&before) + 1);
    let komatsu = |v: &Value| {
        v["facets"]["maker"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "komatsu")
            .map(|m| m["count"].as_u64().unwrap())
            .unwrap()
    };
    assert_eq!(komatsu(&after), komatsu(&before) + 1);
    assert_eq!(s.engine.cache_usage().hits, 1, "not from the cache");
    assert_eq!(
        s.engine.cache_usage().answers,
        1,
        "only the new answer kept"
    );
}

#[test]
fn the_budget_keeps_the_most_recent_answers() {
    // GIVEN a cache of one megabyte
    let s = TestServer::start(true, |c| c.search.cache_mb = 1);
    // WHEN more pages of 100 hits are asked than a megabyte holds
    let pages: Vec<String> = (0..60)
        .map(|p| format!("/search?q=excavator&limit=100&offset={}", p * 10))
        .collect();
    for p in &pages {
        answer(&s, p);
    }
    // THEN it holds at most its budget, fewer answers than were asked, and the
    // latest; the first was dropped.
    let usage = s.engine.cache_usage();
    assert!(usage.bytes <= 1 << 20, "{usage:?}");
    assert!(
        usage.answers > 0 && usage.answers < pages.len(),
        "{usage:?}"
    );
    answer(&s, pages.last().unwrap());
    assert_eq!(s.engine.cache_usage().hits, 1);
    answer(&s, &pages[0]);
    assert_eq!(s.engine.cache_usage().hits, 1, "the first was dropped");
}
