//! The public edge: cross-origin browsers, compressed answers, scoped keys and their
//! rates, each against a real server on the demo catalog.

#[path = "common/server.rs"]
mod server;

use reqwest::blocking::Response;
use server::{TestServer, KEY};
use std::io::Read;
use stockyard::api::auth::Scope;
use stockyard::config::KeyConfig;

const SHOP: &str = "https://shop.example";

fn allow_origin(r: &Response) -> Option<&str> {
    r.headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
}

fn preflight(s: &TestServer, path: &str, origin: &str) -> Response {
    s.client()
        .request(reqwest::Method::OPTIONS, format!("{}{path}", s.base))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type,authorization",
        )
        .send()
        .unwrap()
}

fn from_origin(s: &TestServer, path: &str, origin: &str) -> Response {
    s.client()
        .get(format!("{}{path}", s.base))
        .header("Origin", origin)
        .send()
        .unwrap()
}

/// GIVEN a server that lets one shop's pages in, WHEN that shop's browser asks (with a
/// preflight first), THEN search and browse answer it; other origins, and ingest and
/// admin for anyone, get no CORS headers.
#[test]
fn configured_origins_may_search_from_the_browser() {
    let s = TestServer::start(true, |c| c.cors.allowed_origins = vec![SHOP.into()]);
    let r = preflight(&s, "/search", SHOP);
    assert!(r.status().is_success(), "preflight: {}", r.status());
    assert_eq!(allow_origin(&r), Some(SHOP));
    let methods = r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let headers = r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(headers.contains("authorization") && headers.contains("content-type"));

    let r = from_origin(&s, "/search?q=excavator", SHOP);
    assert_eq!(r.status(), 200);
    assert_eq!(allow_origin(&r), Some(SHOP));
    assert_eq!(allow_origin(&from_origin(&s, "/makers", SHOP)), Some(SHOP));

    let r = from_origin(&s, "/search?q=excavator", "https://elsewhere.example");
    assert_eq!(allow_origin(&r), None, "an origin not configured");

    // Ingest and admin stay out of reach of browsers, whatever the origin.
    for path in ["/events", "/admin/rebuild", "/events/dead-letters/retry"] {
        let r = preflight(&s, path, SHOP);
        assert_eq!(allow_origin(&r), None, "preflight {path}");
        assert!(!r.status().is_success(), "preflight {path}: {}", r.status());
    }
    let r = s
        .client()
        .get(format!("{}/events/status", s.base))
        .header("Origin", SHOP)
        .bearer_auth(KEY)
        .send()
        .unwrap();
    assert_eq!((r.status().as_u16(), allow_origin(&r)), (200, None));
}

/// GIVEN no configured origin (the default) THEN no CORS at all; GIVEN `*` THEN any.
#[test]
fn cors_is_off_by_default_and_star_allows_any_origin() {
    let closed = TestServer::start(false, |_| {});
    assert_eq!(preflight(&closed, "/search", SHOP).status(), 405);
    assert_eq!(allow_origin(&from_origin(&closed, "/makers", SHOP)), None);

    let open = TestServer::start(false, |c| c.cors.allowed_origins = vec!["*".into()]);
    let r = from_origin(&open, "/makers", "https://anyone.example");
    assert_eq!(allow_origin(&r), Some("*"));
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .unwrap(),
        "br" => brotli_decompressor::Decompressor::new(body, 4096)
            .read_to_end(&mut out)
            .unwrap(),
        "zstd" => zstd::stream::read::Decoder::new(body)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap(),
        other => panic!("unexpected encoding {other}"),
    };
    out
}

/// GIVEN a search answer with facets (several KB), WHEN the client accepts gzip, br or
/// zstd, THEN it comes compressed that way and decodes to the same answer; small
/// answers and clients that accept nothing come plain.
#[test]
fn large_answers_are_compressed_as_the_client_accepts() {
    let s = TestServer::start(true, |_| {});
    let path = "/search?q=excavator&facets=category,maker,model,year,hours,price&limit=50";
    let get = |accept: Option<&str>| {
        let mut req = s.client().get(format!("{}{path}", s.base));
        if let Some(a) = accept {
            req = req.header("Accept-Encoding", a);
        }
        req.send().unwrap()
    };
    let plain = get(None);
    assert_eq!(plain.headers().get("content-encoding"), None);
    let plain: serde_json::Value = plain.json().unwrap();
    let plain_len = serde_json::to_vec(&plain).unwrap().len();
    assert!(plain_len > 1024, "the answer is worth compressing");
    let without_time = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("took_ms");
        v
    };
    for encoding in ["gzip", "br", "zstd"] {
        let r = get(Some(encoding));
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-encoding"], encoding);
        let body = r.bytes().unwrap();
        assert!(
            body.len() < plain_len / 2,
            "{encoding}: {} bytes",
            body.len()
        );
        let answer: serde_json::Value = serde_json::from_slice(&decode(encoding, &body)).unwrap();
        assert_eq!(
            without_time(answer),
            without_time(plain.clone()),
            "{encoding}"
        );
    }
    let small = s
        .client()
        .get(format!("{}/health", s.base))
        .header("Accept-Encoding", "gzip")
        .send()
        .unwrap();
    assert_eq!(small.headers().get("content-encoding"), None, "under 1 KB");
}

fn scoped(key: &str, scopes: &[Scope], rate: Option<u32>) -> KeyConfig {
    KeyConfig {
        key: key.into(),
        scopes: scopes.to_vec(),
        search_per_second: rate,
    }
}

/// GIVEN keys with one scope each and keyed reads, WHEN each key calls each kind of
/// endpoint, THEN only its own scope's endpoints answer (401 without or with a wrong
/// key, 403 with a key that lacks the scope).
#[test]
fn each_key_opens_only_its_scope() {
    let s = TestServer::start(true, |c| {
        c.keyed_reads = true;
        c.keys = vec![
            scoped("search-only-key", &[Scope::Search], None),
            scoped("ingest-only-key", &[Scope::Ingest], None),
            scoped("admin-only-key", &[Scope::Admin], None),
        ];
    });
    let call = |method: &str, path: &str, key: Option<&str>| -> u16 {
        let url = format!("{}{path}", s.base);
        let mut req = match method {
            "GET" => s.client().get(url),
            _ => s
                .client()
                .post(url)
                .header("Content-Type", "application/x-ndjson")
                .body(""),
        };
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        req.send().unwrap().status().as_u16()
    };
    let search = ("GET", "/search?q=excavator");
    let browse = ("GET", "/makers");
    let status = ("GET", "/events/status");
    let ingest = ("POST", "/events");
    let dead = ("GET", "/events/dead-letters");
    // (endpoint, search key, ingest key, admin key, no key, unknown key)
    let table = [
        (search, 200, 403, 403, 401, 401),
        (browse, 200, 403, 403, 401, 401),
        (status, 403, 200, 403, 401, 401),
        (ingest, 403, 400, 403, 401, 401),
        (dead, 403, 403, 200, 401, 401),
    ];
    for ((method, path), want_search, want_ingest, want_admin, want_none, want_unknown) in table {
        let got = (
            call(method, path, Some("search-only-key")),
            call(method, path, Some("ingest-only-key")),
            call(method, path, Some("admin-only-key")),
            call(method, path, None),
            call(method, path, Some("not-a-key-at-all")),
        );
        assert_eq!(
            got,
            (
                want_search,
                want_ingest,
                want_admin,
                want_none,
                want_unknown
            ),
            "{method} {path}"
        );
    }
    // The legacy `api_keys` may do everything.
    assert_eq!(call("GET", "/events/dead-letters", Some(KEY)), 200);
    assert_eq!(call("GET", "/search?q=x", Some(KEY)), 200);
    // A refusal names the missing scope.
    let r = s
        .client()
        .post(format!("{}/admin/rebuild", s.base))
        .bearer_auth("ingest-only-key")
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("`admin`"));
}

/// GIVEN a front-end key limited to one search a second on open reads, WHEN it
/// searches in a burst, THEN the surplus is refused with 429 and a `Retry-After`,
/// while anonymous searches and other keys go on.
#[test]
fn a_key_over_its_search_rate_is_told_when_to_retry() {
    let s = TestServer::start(true, |c| {
        c.keys = vec![scoped("front-end-key", &[Scope::Search], Some(1))];
    });
    let search = |key: Option<&str>| {
        let mut req = s.client().get(format!("{}/makers", s.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        req.send().unwrap()
    };
    let answers: Vec<Response> = (0..20).map(|_| search(Some("front-end-key"))).collect();
    assert_eq!(
        answers[0].status(),
        200,
        "the first search is within the rate"
    );
    let limited = answers
        .iter()
        .find(|r| r.status() == 429)
        .expect("a burst of 20 at one a second is limited");
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        search(None).status(),
        200,
        "anonymous reads are not this key's"
    );
    assert_eq!(
        search(Some(KEY)).status(),
        200,
        "another key has its own rate"
    );
    // Keys never reach the configuration's debug output (what a log would print).
    let shown = format!("{:?}", scoped("front-end-key", &[Scope::Search], None));
    assert!(!shown.contains("front-end-key"), "{shown}");
}
