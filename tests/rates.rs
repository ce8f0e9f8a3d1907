//! Exchange rates as events, over HTTP on a real server: GIVEN listings priced in yen,
//! euros and dollars, WHEN the marketplace publishes a new rate set, THEN price ranges,
//! sorting by price, the price histogram and the hits' dollar amounts follow it at
//! once, with no listing written again. (That a restart keeps the latest set is
//! `tests/graph.rs::snapshot_restores_the_same_answers`.)

#[path = "common/server.rs"]
mod server;

use serde_json::Value;
use server::TestServer;

fn publish(s: &TestServer, body: &str) -> (u16, Value) {
    s.ingest(body)
}

fn rates(id: &str, base: &str, rates: &str, as_of: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"CurrencyRatesPublished","at":"{as_of}","data":{{"base":"{base}","rates":{rates},"as_of":"{as_of}"}}}}"#
    )
}

fn listing(id: &str, amount: f64, currency: &str) -> String {
    format!(
        r#"{{"id":"l-{id}","type":"MachineListed","at":"2026-11-01T00:00:00Z","data":{{"machine_id":"{id}","model_id":"pc200","title":{{"en":"Excavator {id}"}},"price":{{"amount":{amount},"currency":"{currency}"}}}}}}"#
    )
}

/// Machine ids of the hits, in order.
fn order(v: &Value) -> Vec<&str> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["machine_id"].as_str().unwrap())
        .collect()
}

/// Each hit's dollar amount, by machine id.
fn dollars(v: &Value) -> Vec<(String, Option<f64>)> {
    let mut out: Vec<_> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["machine_id"].as_str().unwrap().to_owned(),
                h["price"]["usd"].as_f64(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

const BY_PRICE: &str = "/search?sort=price&order=asc&facets=price&limit=10";

#[test]
fn published_rates_drive_ranges_sorting_histograms_and_hit_cards() {
    let s = TestServer::start(false, |_| {});
    // GIVEN three excavators: 3,000,000 yen, 20,000 euros, 25,000 dollars; no rates yet.
    let listings = [
        listing("JP1", 3_000_000.0, "JPY"),
        listing("EU1", 20_000.0, "EUR"),
        listing("US1", 25_000.0, "USD"),
    ]
    .join("\n");
    assert_eq!(publish(&s, &listings).0, 202);

    // THEN before any set only dollars convert: the others sort last and have no
    // dollar amount, and a range in yen is refused with the reason.
    let before = s.json(BY_PRICE, 200);
    assert_eq!(order(&before)[0], "US1");
    assert!(before.get("rates_as_of").is_none(), "{before}");
    assert_eq!(
        dollars(&before),
        [
            ("EU1".to_owned(), None),
            ("JP1".to_owned(), None),
            ("US1".to_owned(), Some(25_000.0))
        ]
    );
    let refused = s.json("/search?price=..1000000&currency=JPY", 400);
    assert_eq!(refused["error"]["code"], "unknown_currency");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no rates are published yet"));

    // WHEN rates are published (1 USD = 100 JPY = 0.8 EUR)
    let (status, body) = publish(
        &s,
        &rates(
            "fx-1",
            "USD",
            r#"{"JPY":100,"EUR":0.8}"#,
            "2026-11-02T00:00:00Z",
        ),
    );
    assert_eq!(status, 202, "{body}");
    // THEN 3,000,000 JPY = 30,000 USD; 20,000 EUR = 25,000 USD.
    let first = s.json(BY_PRICE, 200);
    assert_eq!(first["rates_as_of"], "2026-11-02T00:00:00Z");
    assert_eq!(
        dollars(&first),
        [
            ("EU1".to_owned(), Some(25_000.0)),
            ("JP1".to_owned(), Some(30_000.0)),
            ("US1".to_owned(), Some(25_000.0))
        ]
    );
    assert_eq!(order(&first)[2], "JP1", "the yen listing is dearest");
    let under = s.json("/search?price=..2600000&currency=JPY&limit=10", 200);
    assert_eq!(under["total"], 2, "26,000 USD at most: {under}");
    let histogram = &first["facets"]["price"];
    assert_eq!(
        (histogram["min"].as_f64(), histogram["max"].as_f64()),
        (Some(25_000.0), Some(30_000.0))
    );

    // WHEN a new set makes the yen stronger and the euro weaker, quoted on the euro
    // (1 EUR = 1.0 USD = 50 JPY, so 1 JPY = 0.02 USD)
    let (status, _) = publish(
        &s,
        &rates(
            "fx-2",
            "EUR",
            r#"{"USD":1.0,"JPY":50}"#,
            "2026-11-03T00:00:00Z",
        ),
    );
    assert_eq!(status, 202);
    // THEN the same listings, never written again, convert at the new rates:
    // 3,000,000 JPY = 60,000 USD; 20,000 EUR = 20,000 USD.
    let second = s.json(BY_PRICE, 200);
    assert_eq!(second["rates_as_of"], "2026-11-03T00:00:00Z");
    assert_eq!(order(&second), ["EU1", "US1", "JP1"]);
    assert_eq!(
        dollars(&second),
        [
            ("EU1".to_owned(), Some(20_000.0)),
            ("JP1".to_owned(), Some(60_000.0)),
            ("US1".to_owned(), Some(25_000.0))
        ]
    );
    let histogram = &second["facets"]["price"];
    assert_eq!(
        (histogram["min"].as_f64(), histogram["max"].as_f64()),
        (Some(20_000.0), Some(60_000.0))
    );
    // A range in euros: 21,000 EUR = 21,000 USD at most now holds the euro listing only.
    let euros = s.json("/search?price=..21000&currency=EUR&limit=10", 200);
    assert_eq!(order(&euros), ["EU1"]);
    // The histogram in yen is the dollar histogram at the new yen rate.
    let in_yen = s.json("/search?facets=price&currency=JPY&limit=1", 200);
    assert_eq!(in_yen["facets"]["price"]["max"].as_f64(), Some(3_000_000.0));

    // WHEN a set leaves the yen out THEN yen prices lose their dollar amount and sort
    // last, and yen ranges are refused.
    let (status, _) = publish(
        &s,
        &rates("fx-3", "USD", r#"{"EUR":0.5}"#, "2026-11-04T00:00:00Z"),
    );
    assert_eq!(status, 202);
    let third = s.json(BY_PRICE, 200);
    assert_eq!(order(&third), ["US1", "EU1", "JP1"]);
    assert_eq!(dollars(&third)[1], ("JP1".to_owned(), None));
    let refused = s.json("/search?price=..1&currency=JPY", 400);
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("2026-11-04T00:00:00Z"));
}

#[test]
fn a_bad_rate_set_is_refused_and_changes_nothing() {
    let s = TestServer::start(false, |_| {});
    let good = rates("fx-1", "USD", r#"{"JPY":150}"#, "2026-11-02T00:00:00Z");
    assert_eq!(publish(&s, &good).0, 202);
    for (bad, field) in [
        (
            rates("fx-2", "EUR", r#"{"JPY":160}"#, "2026-11-03T00:00:00Z"),
            "data.rates.USD",
        ),
        (
            rates("fx-3", "USD", r#"{"JPY":-1}"#, "2026-11-03T00:00:00Z"),
            "data.rates.JPY",
        ),
    ] {
        let (status, body) = publish(&s, &bad);
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "invalid_events");
        assert_eq!(body["error"]["lines"][0]["field"], field, "{body}");
    }
    let r = s.json("/search?limit=1", 200);
    assert_eq!(
        r["rates_as_of"], "2026-11-02T00:00:00Z",
        "the good set stays"
    );
}
