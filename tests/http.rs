//! The HTTP API against a real server on a random local port with the demo catalog:
//! every endpoint, parameter and error. Answers are checked against each other and
//! against the listings themselves (not against numbers written here).

#[path = "common/server.rs"]
mod server;

use serde_json::{json, Value};
use server::{TestServer, KEY};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// One read-only server shared by the search and browse tests.
fn demo() -> &'static TestServer {
    static S: OnceLock<TestServer> = OnceLock::new();
    S.get_or_init(|| TestServer::start(true, |_| {}))
}

fn ids(v: &Value, group: &str) -> Vec<(String, u64)> {
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

fn hits(v: &Value) -> &Vec<Value> {
    v["hits"].as_array().unwrap()
}

fn error_code(v: &Value) -> (&str, Option<&str>) {
    (
        v["error"]["code"].as_str().unwrap(),
        v["error"]["field"].as_str(),
    )
}

#[test]
fn search_finds_boosts_and_counts() {
    let s = demo();
    // WHEN a Japanese buyer searches for excavators in Japanese
    let ja = s.json(
        "/search?q=%E6%B2%B9%E5%9C%A7%E3%82%B7%E3%83%A7%E3%83%99%E3%83%AB&lang=ja&limit=5",
        200,
    );
    // THEN there are hits, titles and names are in Japanese first, facets count them.
    assert!(ja["total"].as_u64().unwrap() > 0);
    assert_eq!(hits(&ja)[0]["lang"], "ja");
    let category_total: u64 = ids(&ja, "category")
        .iter()
        .filter(|(id, _)| {
            ja["facets"]["category"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["id"] == id.as_str() && f.get("parent").is_none())
        })
        .map(|(_, c)| c)
        .sum();
    assert_eq!(
        category_total,
        ja["total"].as_u64().unwrap(),
        "root categories add up to the total"
    );
    assert_eq!(ja["limit"], 5);
    assert!(ja["took_ms"].as_f64().unwrap() >= 0.0);
    // Accept-Language picks the buyer's language when `lang` is not given.
    let r = s
        .client()
        .get(format!("{}/search?q=excavator&limit=3", s.base))
        .header("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
        .send()
        .unwrap();
    let de: Value = r.json().unwrap();
    let names: Vec<&str> = de["facets"]["category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Bagger"),
        "category names in German: {names:?}"
    );
}

#[test]
fn selections_filter_and_facets_stay_disjunctive() {
    let s = demo();
    let all = s.json("/search?q=excavator&limit=1", 200);
    let makers = ids(&all, "maker");
    let (m1, c1) = makers[0].clone();
    let (m2, c2) = makers[1].clone();
    // WHEN two makers are selected THEN the total is the sum of their counts
    let two = s.json(
        &format!("/search?q=excavator&maker={m1}&maker={m2}&limit=100"),
        200,
    );
    assert_eq!(two["total"].as_u64().unwrap(), c1 + c2);
    for h in hits(&two) {
        let maker = h["maker"]["id"].as_str().unwrap();
        assert!(maker == m1 || maker == m2);
    }
    // AND the maker facet still lists every maker with its unselected count.
    assert_eq!(ids(&two, "maker"), makers);
    // WHEN a category is selected THEN every hit is in it or below it.
    let cat = s.json(
        "/search?q=excavator&category=mini_excavators&limit=100",
        200,
    );
    for h in hits(&cat) {
        assert_eq!(h["category"]["id"], "mini_excavators");
    }
    // WHEN a model is selected THEN only its machines.
    let (model, count) = ids(&all, "model")[0].clone();
    let one = s.json(&format!("/search?q=excavator&model={model}&limit=1"), 200);
    assert_eq!(one["total"].as_u64().unwrap(), count);
}

#[test]
fn ranges_sorting_and_paging() {
    let s = demo();
    // Year and hours ranges hold for every hit.
    let r = s.json(
        "/search?year=2018..2020&hours=..3000&limit=100&sort=year&order=asc",
        200,
    );
    let mut last = 0;
    for h in hits(&r) {
        let y = h["year"].as_u64().unwrap();
        assert!((2018..=2020).contains(&y));
        assert!(h["hours"].as_u64().unwrap() <= 3000);
        assert!(y >= last, "sorted by year ascending");
        last = y;
    }
    // A price range in yen is a range in US dollars, at the demo's published rate.
    let usd_per_yen = 1.0 / 150.0;
    let yen = s.json(
        "/search?price=5000000..10000000&currency=JPY&sort=price&limit=100&facets=price",
        200,
    );
    let mut prev = 0.0;
    for h in hits(&yen) {
        let usd = h["price"]["usd"].as_f64().unwrap();
        assert!(
            (5_000_000.0 * usd_per_yen - 1e-6..=10_000_000.0 * usd_per_yen + 1e-6).contains(&usd)
        );
        assert!(usd >= prev, "cheapest first");
        prev = usd;
    }
    // The price facet (which ignores its own range) is given in the request's currency.
    let usd = s.json("/search?facets=price&limit=1", 200);
    assert_eq!(usd["rates_as_of"], "2026-01-05T00:00:00Z");
    let (in_yen, in_usd) = (&yen["facets"]["price"], &usd["facets"]["price"]);
    for end in ["min", "max"] {
        let (a, b) = (
            in_yen[end].as_f64().unwrap() * usd_per_yen,
            in_usd[end].as_f64().unwrap(),
        );
        assert!((a - b).abs() < 1e-6 * b.max(1.0), "{end}: {a} vs {b}");
    }
    // A number spec range holds for every hit's model.
    let spec = s.json(
        "/search?spec.operating_weight=10..20&facets=spec.operating_weight&limit=5",
        200,
    );
    assert!(spec["total"].as_u64().unwrap() > 0);
    // Its facet ignores its own range (to show what widening it would give).
    let w = &spec["facets"]["spec.operating_weight"];
    assert!(w["min"].as_f64().unwrap() < 10.0 && w["max"].as_f64().unwrap() > 20.0);
    let counted: u64 = w["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert!(counted >= spec["total"].as_u64().unwrap());
    for h in hits(&spec) {
        let model = s.json(
            &format!("/models/{}", h["model"]["id"].as_str().unwrap()),
            200,
        );
        let weight = model["specs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|sp| sp["id"] == "operating_weight")
            .unwrap()["value"]
            .as_f64()
            .unwrap();
        assert!((10.0..=20.0).contains(&weight));
    }
    // A text spec matches by value.
    let electric = s.json("/search?spec.fuel_type=electric&limit=3", 200);
    let diesel = s.json("/search?spec.fuel_type=diesel&limit=3", 200);
    let either = s.json(
        "/search?spec.fuel_type=diesel&spec.fuel_type=electric&limit=3",
        200,
    );
    assert_eq!(
        either["total"].as_u64().unwrap(),
        electric["total"].as_u64().unwrap() + diesel["total"].as_u64().unwrap()
    );
    // Pages put together are the same as one bigger page.
    let big = s.json("/search?q=komatsu&limit=30", 200);
    let p1 = s.json("/search?q=komatsu&limit=15", 200);
    let p2 = s.json("/search?q=komatsu&limit=15&offset=15", 200);
    let joined: Vec<&Value> = hits(&p1)
        .iter()
        .chain(hits(&p2))
        .map(|h| &h["machine_id"])
        .collect();
    let whole: Vec<&Value> = hits(&big).iter().map(|h| &h["machine_id"]).collect();
    assert_eq!(joined, whole);
    // Newest first when browsing.
    let newest = s.json("/search?sort=newest&limit=3", 200);
    assert_eq!(hits(&newest).len(), 3);
}

#[test]
fn post_search_answers_like_get() {
    let s = demo();
    let get = s.json("/search?q=hitachi&year=2015..&spec.operating_weight=..30&maker=hitachi&limit=10&facets=maker,model", 200);
    let post: Value = s
        .client()
        .post(format!("{}/search", s.base))
        .json(
            &json!({"q": "hitachi", "year": "2015..", "spec": {"operating_weight": "..30"},
            "maker": ["hitachi"], "limit": 10, "facets": "maker,model"}),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(get["total"], post["total"]);
    assert_eq!(get["hits"], post["hits"]);
    assert_eq!(get["facets"], post["facets"]);
    // An unknown field in the body is named.
    let r = s
        .client()
        .post(format!("{}/search", s.base))
        .json(&json!({"query": "x"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().unwrap();
    assert_eq!(error_code(&body).0, "bad_body");
    // So is a body that is not an object, even one serde could read field by field.
    let r = s
        .client()
        .post(format!("{}/search", s.base))
        .json(&json!(["pc200"]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().unwrap();
    assert_eq!(error_code(&body).0, "bad_body");
}

#[test]
fn bad_requests_are_clear_4xx() {
    let s = demo();
    for (path, code, field) in [
        ("/search?limit=101", "out_of_range", "limit"),
        ("/search?limit=0", "out_of_range", "limit"),
        ("/search?offset=10001", "out_of_range", "offset"),
        ("/search?limit=abc", "bad_number", "limit"),
        ("/search?year=2020..2010", "bad_range", "year"),
        ("/search?year=abc", "bad_range", "year"),
        ("/search?price=..x", "bad_range", "price"),
        (
            "/search?spec.operating_weight=heavy",
            "bad_range",
            "spec.operating_weight",
        ),
        ("/search?spec.nope=1..2", "unknown_spec", "spec.nope"),
        ("/search?facets=color", "unknown_facet", "facets"),
        ("/search?facets=spec.fuel_type", "unknown_facet", "facets"),
        ("/search?sort=cheapest", "bad_sort", "sort"),
        ("/search?order=up", "bad_order", "order"),
        ("/search?lang=xx1", "bad_language", "lang"),
        ("/search?currency=XXX", "unknown_currency", "currency"),
        ("/search?colour=red", "unknown_parameter", "colour"),
        ("/search?q=a&q=b", "repeated_parameter", "q"),
        ("/search?maker=a%20b", "bad_id", "maker"),
        // Beyond 1000 though it rounds to 1000 as a single-precision score.
        (
            "/search?min_score=1000.0000000000002",
            "out_of_range",
            "min_score",
        ),
        ("/search?min_score=-0.5", "out_of_range", "min_score"),
    ] {
        let v = s.json(path, 400);
        assert_eq!(error_code(&v), (code, Some(field)), "{path}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    let r = s
        .client()
        .post(format!("{}/search", s.base))
        .json(&json!({"q": "pc200", "min_score": 1000.0000000000002}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400, "min_score past 1000 in a body");
    assert_eq!(
        error_code(&r.json::<Value>().unwrap()),
        ("out_of_range", Some("min_score"))
    );
    let long = "x".repeat(201);
    let v = s.json(&format!("/search?q={long}"), 400);
    assert_eq!(error_code(&v), ("out_of_range", Some("q")));
    let many: String = (0..101).map(|i| format!("maker=m{i}&")).collect();
    let v = s.json(&format!("/search?{many}"), 400);
    assert_eq!(error_code(&v).0, "too_many_parameters");
    assert_eq!(error_code(&s.json("/nowhere", 404)).0, "not_found");
}

#[test]
fn browse_endpoints() {
    let s = demo();
    let makers = s.json("/makers?lang=ja", 200);
    let komatsu = makers
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "komatsu")
        .unwrap();
    assert_eq!(komatsu["name"], "コマツ");
    let models = s.json("/makers/komatsu/models", 200);
    let total: u64 = models
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, komatsu["count"].as_u64().unwrap());
    let model_id = models[0]["id"].as_str().unwrap();
    let model = s.json(&format!("/models/{model_id}"), 200);
    assert_eq!(model["maker"]["id"], "komatsu");
    assert_eq!(model["live"], models[0]["count"]);
    let machine_id = model["machines"][0].as_str().unwrap();
    let machine = s.json(&format!("/machines/{machine_id}?lang=en"), 200);
    assert_eq!(machine["machine_id"], machine_id);
    assert_eq!(machine["model"]["id"], model_id);
    assert!(!machine["same_model"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == machine_id));
    let tree = s.json("/categories", 200);
    let everything = s.json("/search?limit=1&facets=category", 200);
    let roots: u64 = tree
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(roots, everything["total"].as_u64().unwrap());
    let specs = s.json("/spec-categories?lang=de", 200);
    assert!(specs
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "operating_weight"
            && s["name"] == "Einsatzgewicht"
            && s["kind"] == "number"));
    for path in ["/machines/NOPE", "/models/nope", "/makers/nope/models"] {
        assert_eq!(error_code(&s.json(path, 404)).0, "not_found", "{path}");
    }
}

#[test]
fn operations_endpoints() {
    let s = demo();
    assert_eq!(s.json("/health", 200)["status"], "ok");
    let ready = s.json("/ready", 200);
    assert_eq!(ready["head"], ready["applied"]);
    s.json("/search?q=excavator", 200);
    s.json("/search?q=pc200", 200);
    s.json("/search?maker=komatsu", 200);
    let metrics = s.get("/metrics").text().unwrap();
    // Prometheus text: every sample line is `name{labels} value`. The sum over the
    // lines whose labels begin with `labels`: other tests share the server, and
    // their requests to a route are lines of their own (another method or status).
    let sample = |name: &str, labels: &str| -> f64 {
        let prefix = format!("{name}{{{labels}");
        let values: Vec<f64> = metrics
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert!(!values.is_empty(), "{prefix} in\n{metrics}");
        values.iter().sum()
    };
    assert!(
        sample(
            "stockyard_http_request_duration_seconds_count",
            "route=\"/search\""
        ) >= 3.0
    );
    assert_eq!(sample("stockyard_index_lag", "projection=\"text\""), 0.0);
    assert!(metrics.contains("stockyard_search_hits_total"));
    for kind in ["text", "model_number", "browse"] {
        let labels = format!("kind=\"{kind}\"");
        assert!(
            sample("stockyard_search_duration_seconds_count", &labels) >= 1.0,
            "{kind}"
        );
    }
    // The demo catalog went through both projections, each commit timed.
    for projection in ["text", "graph"] {
        let labels = format!("projection=\"{projection}\"");
        assert!(sample("stockyard_projection_events_total", &labels) > 0.0);
        assert!(
            sample(
                "stockyard_projection_commit_duration_seconds_count",
                &labels
            ) >= 1.0
        );
    }
    let api = s.json("/openapi.json", 200);
    for path in [
        "/search",
        "/events",
        "/machines/{id}",
        "/admin/rebuild",
        "/metrics",
    ] {
        assert!(api["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(s.get("/docs").text().unwrap().contains("/openapi.json"));
    let page = s.get("/").text().unwrap();
    assert!(page.contains("id=\"facet-maker\""));
    let r = s.get("/health");
    assert!(r.headers().contains_key("x-request-id"));
}

fn post_events(
    s: &TestServer,
    query: &str,
    key: Option<&str>,
    content_type: &str,
    body: String,
) -> (u16, Value) {
    let mut req = s
        .client()
        .post(format!("{}/events{query}", s.base))
        .header("Content-Type", content_type)
        .body(body);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let r = req.send().unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

#[test]
fn ingest_and_admin() {
    let s = TestServer::start(true, |c| c.max_body_bytes = 64 * 1024);
    let listing = |id: &str, title: &str| {
        format!(
            r#"{{"id":"ev-{id}","type":"MachineListed","at":"2026-11-01T00:00:00Z","data":{{"machine_id":"{id}","model_id":"komatsu-pc200-10","title":{{"en":"{title}"}},"year":2020}}}}"#
        )
    };
    // Auth: no key, wrong key.
    let (status, body) = post_events(&s, "", None, "application/x-ndjson", listing("T1", "x"));
    assert_eq!((status, error_code(&body).0), (401, "unauthorized"));
    let (status, _) = post_events(
        &s,
        "",
        Some("wrong-key-123"),
        "application/x-ndjson",
        listing("T1", "x"),
    );
    assert_eq!(status, 401);
    for path in ["/events/status", "/events/dead-letters"] {
        assert_eq!(s.get(path).status(), 401, "{path}");
    }
    // WHEN a new listing is posted with wait=true THEN it is searchable at once.
    let (status, body) = post_events(
        &s,
        "?wait=true",
        Some(KEY),
        "application/x-ndjson",
        listing("T1", "Zaxis purple unicorn"),
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        (body["accepted"].as_u64(), body["visible"].as_bool()),
        (Some(1), Some(true))
    );
    let found = s.json("/search?q=unicorn", 200);
    assert_eq!(hits(&found)[0]["machine_id"], "T1");
    assert_eq!(hits(&found)[0]["maker"]["id"], "komatsu");
    // A JSON array works too, and resending is harmless.
    let array = format!(
        "[{},{}]",
        listing("T2", "Second unicorn"),
        listing("T1", "Zaxis purple unicorn")
    );
    let (status, body) = post_events(
        &s,
        "?wait=true",
        Some(KEY),
        "application/json",
        array.clone(),
    );
    assert_eq!(
        (
            status,
            body["accepted"].as_u64(),
            body["duplicates"].as_u64()
        ),
        (202, Some(1), Some(1))
    );
    let (_, body) = post_events(&s, "?wait=true", Some(KEY), "application/json", array);
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    // An invalid event rejects the whole request with per-line errors.
    let bad = format!(
        "{}\n{}\n",
        listing("T3", "ok"),
        r#"{"id":"ev-bad","type":"MachineListed","at":"yesterday","data":{}}"#
    );
    let (status, body) = post_events(&s, "", Some(KEY), "application/x-ndjson", bad);
    assert_eq!((status, error_code(&body).0), (422, "invalid_events"));
    assert_eq!(body["error"]["lines"][0]["line"], 2);
    assert_eq!(s.json("/search?q=T3", 200)["total"], 0);
    let (status, body) = post_events(
        &s,
        "",
        Some(KEY),
        "application/json",
        "{\"not\":\"array\"}".into(),
    );
    assert_eq!((status, error_code(&body).0), (400, "bad_body"));
    let (status, body) = post_events(&s, "", Some(KEY), "application/x-ndjson", "\n".into());
    assert_eq!((status, error_code(&body).0), (400, "empty"));
    let (status, body) = post_events(
        &s,
        "?wait=maybe",
        Some(KEY),
        "application/x-ndjson",
        listing("T4", "x"),
    );
    assert_eq!((status, error_code(&body).0), (400, "bad_query"));
    // Oversize bodies are 413.
    let huge = listing("T5", &"y".repeat(70 * 1024));
    let (status, body) = post_events(&s, "", Some(KEY), "application/x-ndjson", huge);
    assert_eq!((status, error_code(&body).0), (413, "too_large"));
    // Dead letters: an update of an unknown machine, listed, then retried.
    let update = r#"{"id":"ev-u9","type":"MachineUpdated","at":"2026-11-02T00:00:00Z","data":{"machine_id":"T9","title":{"en":"Retried griffin"}}}"#;
    let (status, _) = post_events(
        &s,
        "?wait=true",
        Some(KEY),
        "application/x-ndjson",
        update.into(),
    );
    assert_eq!(status, 202);
    let client = s.client();
    let letters: Value = client
        .get(format!("{}/events/dead-letters", s.base))
        .bearer_auth(KEY)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(letters[0]["event_id"], "ev-u9");
    assert_eq!(letters[0]["reason"], "machine T9 is not listed");
    post_events(
        &s,
        "?wait=true",
        Some(KEY),
        "application/x-ndjson",
        listing("T9", "Griffin"),
    );
    let retried: Value = client
        .post(format!("{}/events/dead-letters/retry", s.base))
        .bearer_auth(KEY)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(retried["retried"], 1);
    // Status: head, projections, dead letters.
    let status = s.wait_status(|st| {
        st["projections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["lag"] == 0)
    });
    let names: BTreeSet<&str> = status["projections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["graph", "text"]));
    assert_eq!(status["dead_letters"], 0);
    assert_eq!(
        hits(&s.json("/search?q=griffin", 200))[0]["machine_id"],
        "T9"
    );
    // Rebuild: 202, the same answers after the switch.
    let before = s.json("/search?q=unicorn&facets=maker", 200);
    let r = client
        .post(format!("{}/admin/rebuild", s.base))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .post(format!("{}/admin/rebuild", s.base))
        .bearer_auth(KEY)
        .send()
        .unwrap();
    assert_eq!(r.status(), 202);
    let generation = r.json::<Value>().unwrap()["generation"].as_u64().unwrap();
    s.wait_status(|st| st["generation"].as_u64() == Some(generation) && st["rebuild"].is_null());
    let after = s.json("/search?q=unicorn&facets=maker", 200);
    let listed =
        |v: &Value| -> Vec<Value> { hits(v).iter().map(|h| h["machine_id"].clone()).collect() };
    assert_eq!(listed(&before), listed(&after));
    assert_eq!(before["facets"], after["facets"]);
}

#[test]
fn reads_can_require_a_key() {
    let s = TestServer::start(true, |c| c.keyed_reads = true);
    assert_eq!(s.get("/search?q=x").status(), 401);
    assert_eq!(s.get("/health").status(), 200);
    let r = s
        .client()
        .get(format!("{}/search?q=excavator", s.base))
        .bearer_auth(KEY)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn an_indexer_too_far_behind_answers_429_and_slow_requests_503() {
    let s = TestServer::start(true, |c| c.indexer.max_lag = 0);
    let listing = |id: &str| {
        format!(
            r#"{{"id":"ev-{id}","type":"MachineListed","at":"2026-11-01T00:00:00Z","data":{{"machine_id":"{id}","model_id":"m","title":"x"}}}}"#
        )
    };
    // GIVEN an indexer held still, WHEN events arrive faster than it applies them
    let generation = s.engine.current();
    let held = generation.indexer();
    let (status, _) = post_events(&s, "", Some(KEY), "application/x-ndjson", listing("L1"));
    assert_eq!(status, 202);
    let (status, body) = post_events(&s, "", Some(KEY), "application/x-ndjson", listing("L2"));
    // THEN the next request is told to come back later, and nothing of it is kept.
    assert_eq!((status, error_code(&body).0), (429, "indexer_behind"));
    drop(held);
    // A request that cannot finish within the time limit is a 503: here an ingest
    // that waits for visibility while the indexer is held.
    let s = TestServer::start(false, |c| c.request_timeout_secs = 1);
    let generation = s.engine.current();
    let held = generation.indexer();
    let (status, body) = post_events(
        &s,
        "?wait=true",
        Some(KEY),
        "application/x-ndjson",
        listing("W1"),
    );
    assert_eq!((status, error_code(&body).0), (503, "timeout"));
    drop(held);
    assert_eq!(s.get("/health").status(), 200);
}

/// GIVEN a server taking events over HTTP and through the engine at once, each ingest
/// defining number spec categories of its own, WHEN they have all been accepted, THEN
/// a text value for any of them is refused with 422 naming the field: no ingest lost
/// another's spec kinds.
#[test]
fn concurrent_ingests_over_http_and_the_engine_keep_every_spec_kind() {
    let s = TestServer::start(false, |_| {});
    const THREADS: usize = 6;
    const ROUNDS: usize = 25;
    let define = |t: usize, r: usize| {
        format!(
            r#"{{"id":"spec-{t}-{r}","type":"SpecCategoryDefined","at":"2026-11-22T10:00:00Z","data":{{"spec_category_id":"w{t}_{r}","names":{{"en":"Weight {t} {r}"}},"kind":"number"}}}}"#
        )
    };
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let s = &s;
            scope.spawn(move || {
                for r in 0..ROUNDS {
                    if t % 2 == 0 {
                        let (status, body) =
                            post_events(s, "", Some(KEY), "application/x-ndjson", define(t, r));
                        assert_eq!(status, 202, "{body}");
                    } else {
                        s.engine
                            .ingest(&define(t, r), stockyard::engine::Format::Ndjson)
                            .unwrap();
                    }
                }
            });
        }
    });
    for t in 0..THREADS {
        for r in 0..ROUNDS {
            let wrong = format!(
                r#"{{"id":"model-{t}-{r}","type":"ModelRegistered","at":"2026-11-22T10:00:01Z","data":{{"model_id":"m{t}-{r}","maker_id":"mk","category_id":"c","name":"M{t}{r}","specs":[{{"spec_category_id":"w{t}_{r}","value":"heavy"}}]}}}}"#
            );
            let (status, body) = post_events(&s, "", Some(KEY), "application/x-ndjson", wrong);
            assert_eq!(status, 422, "w{t}_{r} took a text value: {body}");
            assert_eq!(body["error"]["lines"][0]["field"], "data.specs[0].value");
        }
    }
}

#[test]
fn a_listing_shows_its_first_photo_on_hit_cards_and_all_on_its_page() {
    let s = TestServer::start(true, |_| {});
    let event = |n: u32, kind: &str, data: &str| {
        format!(r#"{{"id":"ph-{n}","type":"{kind}","at":"2026-11-01T00:00:00Z","data":{data}}}"#)
    };
    // GIVEN a listing with two photos
    let listed = event(
        1,
        "MachineListed",
        r#"{"machine_id":"P1","model_id":"komatsu-pc200-10","title":{"en":"Photographed quokka excavator"},"images":["https://cdn.example.com/p1/front.jpg","https://cdn.example.com/p1/cab.jpg?w=640"]}"#,
    );
    let (status, body) = post_events(&s, "?wait=true", Some(KEY), "application/x-ndjson", listed);
    assert_eq!(status, 202, "{body}");
    // WHEN it is found THEN the hit card carries the first photo, the page every one
    let found = s.json("/search?q=quokka", 200);
    assert_eq!(
        hits(&found)[0]["image"],
        "https://cdn.example.com/p1/front.jpg"
    );
    let page = s.json("/machines/P1", 200);
    assert_eq!(
        page["images"],
        json!([
            "https://cdn.example.com/p1/front.jpg",
            "https://cdn.example.com/p1/cab.jpg?w=640"
        ])
    );
    assert_eq!(page["image"], "https://cdn.example.com/p1/front.jpg");

    // WHEN a batch holds a photo that is not https THEN nothing of it is taken, the
    // error names the line and field, and the listing keeps its photos
    let bad = format!(
        "{}\n{}\n",
        event(
            2,
            "MachineUpdated",
            r#"{"machine_id":"P1","title":{"en":"Renamed quokka"}}"#
        ),
        event(
            3,
            "MachineUpdated",
            r#"{"machine_id":"P1","images":["http://cdn.example.com/p1/x.jpg"]}"#
        ),
    );
    let (status, body) = post_events(&s, "", Some(KEY), "application/x-ndjson", bad);
    assert_eq!(
        (status, error_code(&body).0),
        (422, "invalid_events"),
        "{body}"
    );
    let line = &body["error"]["lines"][0];
    assert_eq!(
        (line["line"].as_u64(), line["field"].as_str()),
        (Some(2), Some("data.images[0]")),
        "{body}"
    );
    assert!(
        line["message"].as_str().unwrap().contains("https"),
        "{body}"
    );
    let page = s.json("/machines/P1", 200);
    assert_eq!(page["images"].as_array().unwrap().len(), 2);
    assert_eq!(page["title"], "Photographed quokka excavator");

    // WHEN the seller removes the photos THEN hits carry none
    let removed = event(4, "MachineUpdated", r#"{"machine_id":"P1","images":[]}"#);
    let (status, _) = post_events(&s, "?wait=true", Some(KEY), "application/x-ndjson", removed);
    assert_eq!(status, 202);
    assert!(hits(&s.json("/search?q=quokka", 200))[0]
        .get("image")
        .is_none());
    assert_eq!(s.json("/machines/P1", 200)["images"], json!([]));

    // The demo catalog shows photos on some hits, never on all of them.
    let browse = s.json("/search?limit=50", 200);
    let with = hits(&browse)
        .iter()
        .filter(|h| {
            h["image"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        })
        .count();
    assert!(with > 0 && with < 50, "{with} of 50 hits have a photo");
}

#[test]
fn prices_are_also_shown_in_the_currency_the_search_names() {
    let s = demo();
    // GIVEN the same search in dollars and in euros
    let usd = s.json("/search?q=excavator&facets=price&limit=100", 200);
    let eur = s.json(
        "/search?q=excavator&facets=price&currency=EUR&limit=100",
        200,
    );
    // The euro's worth in dollars, from the price facet (which is in the named currency).
    let usd_per_eur = usd["facets"]["price"]["max"].as_f64().unwrap()
        / eur["facets"]["price"]["max"].as_f64().unwrap();
    let (mut converted, mut own) = (0, 0);
    for h in hits(&eur) {
        let p = &h["price"];
        if p.is_null() {
            continue;
        }
        if p["currency"] == "EUR" {
            assert!(
                p.get("converted").is_none(),
                "a price in euros stays as it is"
            );
            own += 1;
        } else if let Some(dollars) = p["usd"].as_f64() {
            assert_eq!(p["converted"]["currency"], "EUR");
            let amount = p["converted"]["amount"].as_f64().unwrap();
            assert!((amount - dollars / usd_per_eur).abs() < 0.01, "{p}");
            converted += 1;
        }
    }
    assert!(
        converted > 0 && own > 0,
        "{converted} converted, {own} in euros"
    );
    // Without a named currency nothing is converted.
    assert!(hits(&usd)
        .iter()
        .all(|h| h["price"].get("converted").is_none()));
}
