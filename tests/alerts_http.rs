//! Saved searches, watches and notifications over HTTP, against the real `stockyard`
//! binary: the subscriber endpoints and their errors; a Server-Sent Events client that
//! keeps reading while the server is SIGKILLed and restarted, reconnecting with
//! `Last-Event-ID`, and gets every notification exactly once; many streams sharing
//! one HTTP/2 connection (h2c).

#[path = "common/binary.rs"]
mod binary;
#[path = "common/sse.rs"]
mod sse;
#[path = "common/unlisted.rs"]
mod unlisted;

use binary::{free_port, Server};

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "alerts-test-key-0123";

fn spawn(data: &Path, addr: &str) -> Server {
    spawn_with(data, addr, None)
}

/// Starts the binary, with a configuration file when given.
fn spawn_with(data: &Path, addr: &str, config: Option<&Path>) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stockyard"));
    if let Some(c) = config {
        command.arg("--config").arg(c);
    }
    command
        .args(["serve", "--data-dir"])
        .arg(data)
        .args(["--listen", addr])
        .env("STOCKYARD_API_KEYS", KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Server)
        .unwrap()
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn wait_ready(base: &str) {
    let started = Instant::now();
    loop {
        if let Ok(r) = client().get(format!("{base}/ready")).send() {
            if r.status() == 200 {
                return;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "ready in time"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn call(method: &str, base: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let c = client();
    let url = format!("{base}{path}");
    let req = match method {
        "GET" => c.get(url),
        "POST" => c.post(url),
        "DELETE" => c.delete(url),
        _ => unreachable!(),
    }
    .bearer_auth(KEY);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let r = req.send().unwrap();
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn ingest(base: &str, lines: &str) {
    ingest_with(base, lines, "?wait=true")
}

/// Appends without waiting for the projections: the events are in the log (202),
/// their notifications may not be in the outbox yet.
fn ingest_with(base: &str, lines: &str, query: &str) {
    let r = client()
        .post(format!("{base}/events{query}"))
        .bearer_auth(KEY)
        .body(lines.to_owned())
        .send()
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().unwrap());
}

/// `n` PC200 listings (Komatsu excavators) from number `from` on.
fn listings(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| {
            json!({"id": format!("l-{i}"), "type": "MachineListed", "at": "2026-02-01T00:00:00Z",
                   "data": {"machine_id": format!("P{i:03}"), "model_id": "pc200",
                            "title": "PC200-8", "year": 2019,
                            "price": {"amount": 60000, "currency": "USD"}}})
            .to_string()
                + "\n"
        })
        .collect()
}

/// One notification as an SSE client saw it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    id: u64,
    event: String,
    machine: String,
}

/// Opens the notification stream at `path`, resuming after `last_id` when given; the
/// response has its headers, the body is read as it comes.
fn open_stream(
    base: &str,
    path: &str,
    last_id: Option<u64>,
) -> reqwest::Result<reqwest::blocking::Response> {
    let mut req = reqwest::blocking::Client::builder()
        .timeout(None)
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .bearer_auth(KEY)
        .header("Accept", "text/event-stream");
    if let Some(id) = last_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    req.send()
}

/// Reads one SSE connection until it ends (the server died), recording each event;
/// comments (heartbeats) are skipped.
fn read_stream(base: &str, path: &str, last_id: Option<u64>, seen: &Mutex<Vec<Seen>>) {
    let Ok(r) = open_stream(base, path, last_id) else {
        return;
    };
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let (mut id, mut event, mut data) = (None, String::new(), String::new());
    for line in BufReader::new(r).lines() {
        let Ok(line) = line else { return };
        if let Some(v) = line.strip_prefix("id:") {
            id = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim());
        } else if line.is_empty() && !data.is_empty() {
            let v: Value = serde_json::from_str(&data).unwrap();
            assert_eq!(v["id"].as_u64(), id, "the SSE id is the notification's id");
            assert_eq!(v["kind"], event.as_str(), "the SSE event is its kind");
            seen.lock().unwrap().push(Seen {
                id: id.unwrap(),
                event: std::mem::take(&mut event),
                machine: v["card"]["machine_id"].as_str().unwrap().to_owned(),
            });
            data.clear();
        }
    }
}

/// `b1`'s stream read on its own thread, from after `last`, into `seen`.
fn follow(
    base: &str,
    last: Option<u64>,
    seen: &Arc<Mutex<Vec<Seen>>>,
) -> std::thread::JoinHandle<()> {
    let (base, seen) = (base.to_owned(), seen.clone());
    std::thread::spawn(move || read_stream(&base, "/subscribers/b1/notifications", last, &seen))
}

fn wait_for(seen: &Mutex<Vec<Seen>>, n: usize) {
    let started = Instant::now();
    while seen.lock().unwrap().len() < n {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{n} notifications in time, got {}",
            seen.lock().unwrap().len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn subscriber_endpoints_check_and_answer() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", free_port());
    let mut server = spawn(dir.path(), base.trim_start_matches("http://"));
    wait_ready(&base);
    ingest(&base, &unlisted::catalog());

    // Without a key: 401.
    let r = client()
        .get(format!("{base}/subscribers/b1/saved-searches"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);

    let (status, v) = call(
        "POST",
        &base,
        "/subscribers/b1/saved-searches",
        Some(json!({"saved_search_id": "s1", "query": {"maker": ["komatsu"], "price": "..80000"}})),
    );
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["saved_search_id"], "s1");
    let (_, made) = call(
        "POST",
        &base,
        "/subscribers/b1/saved-searches",
        Some(json!({"query": {"q": "zx135"}})),
    );
    let made = made["saved_search_id"].as_str().unwrap().to_owned();
    let (status, v) = call("GET", &base, "/subscribers/b1/saved-searches", None);
    assert_eq!(status, 200);
    let mut ids: Vec<&str> = v["saved_searches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["saved_search_id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut want = vec!["s1", made.as_str()];
    want.sort();
    assert_eq!(ids, want);

    // A query /search would refuse is refused with its own code and field.
    for (query, code, field) in [
        (json!({"price": "cheap"}), "bad_range", "query.price"),
        (
            json!({"currency": "XYZ"}),
            "unknown_currency",
            "query.currency",
        ),
        (json!({"colour": "red"}), "bad_body", "query.colour"),
    ] {
        let (status, v) = call(
            "POST",
            &base,
            "/subscribers/b1/saved-searches",
            Some(json!({"query": query})),
        );
        assert_eq!(status, 400, "{v}");
        assert_eq!(v["error"]["code"], code, "{v}");
        assert_eq!(v["error"]["field"], field, "{v}");
    }
    let (status, v) = call(
        "POST",
        &base,
        "/subscribers/b%201/saved-searches",
        Some(json!({"query": {}})),
    );
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("bad_id")));

    let (status, _) = call(
        "DELETE",
        &base,
        &format!("/subscribers/b1/saved-searches/{made}"),
        None,
    );
    assert_eq!(status, 204);
    let (status, v) = call(
        "DELETE",
        &base,
        &format!("/subscribers/b1/saved-searches/{made}"),
        None,
    );
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (404, Some("not_found"))
    );

    let (status, v) = call(
        "POST",
        &base,
        "/subscribers/b1/watches",
        Some(json!({"machine_id": "P900"})),
    );
    assert_eq!((status, v["watches"].clone()), (201, json!(["P900"])));
    let (status, _) = call("DELETE", &base, "/subscribers/b1/watches/P900", None);
    assert_eq!(status, 204);
    let (_, v) = call("GET", &base, "/subscribers/b1/watches", None);
    assert_eq!(v["watches"], json!([]));
    let (status, _) = call("DELETE", &base, "/subscribers/b1/watches/P900", None);
    assert_eq!(status, 404);

    // Notifications as JSON pages.
    ingest(&base, &listings(0, 5));
    let (status, v) = call(
        "GET",
        &base,
        "/subscribers/b1/notifications?after=1&limit=2",
        None,
    );
    assert_eq!(status, 200);
    let page: Vec<u64> = v["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    assert_eq!(page, [2, 3]);
    assert_eq!(v["last_id"], 3);
    let (_, v) = call("GET", &base, "/notifications?subscribers=nobody,b1", None);
    assert_eq!(v["notifications"].as_array().unwrap().len(), 5);
    let (_, v) = call("GET", &base, "/notifications?subscribers=nobody", None);
    assert_eq!(v["notifications"], json!([]));
    let (status, v) = call("GET", &base, "/subscribers/b1/notifications?limit=0", None);
    assert_eq!((status, v["error"]["field"].as_str()), (400, Some("limit")));
    server.kill();
}

/// A request as a buyer's browser makes it: with a subscriber token, not the key.
fn as_buyer(method: &str, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let c = client();
    let req = match method {
        "GET" => c.get(url),
        "POST" => c.post(url),
        _ => unreachable!(),
    };
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let r = req.bearer_auth(token).send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

#[test]
fn a_subscriber_token_opens_that_subscribers_endpoints_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", free_port());
    let _server = spawn(dir.path(), base.trim_start_matches("http://"));
    wait_ready(&base);
    ingest(&base, &unlisted::catalog());

    // GIVEN a token the backend asked for, and one the operator's CLI printed.
    let (status, issued) = call(
        "POST",
        &base,
        "/subscribers/b1/tokens",
        Some(json!({"ttl_seconds": 600})),
    );
    assert_eq!(status, 201, "{issued}");
    assert_eq!(issued["subscriber"], "b1");
    let token = issued["token"].as_str().unwrap().to_owned();
    let printed = Command::new(env!("CARGO_BIN_EXE_stockyard"))
        .args(["token", "b2", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(printed.status.success(), "{printed:?}");
    let cli_token = String::from_utf8(printed.stdout).unwrap().trim().to_owned();

    // WHEN the buyer saves a search and reads its notifications with it: allowed.
    let url = |who: &str, what: &str| format!("{base}/subscribers/{who}/{what}");
    let (status, v) = as_buyer(
        "POST",
        &url("b1", "saved-searches"),
        &token,
        Some(json!({"saved_search_id": "s1", "query": {"q": "pc200"}})),
    );
    assert_eq!(status, 201, "{v}");
    ingest(&base, &listings(0, 1));
    let (status, v) = as_buyer("GET", &url("b1", "notifications"), &token, None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["notifications"][0]["kind"], "new_match");
    let (status, _) = as_buyer("GET", &url("b2", "watches"), &cli_token, None);
    assert_eq!(
        status, 200,
        "the CLI's token is signed with the server's secret"
    );

    // As `?token=` (EventSource cannot set headers); the token leaves the query, so
    // the endpoint's own parameters still check.
    let r = client()
        .get(format!(
            "{}?after=0&limit=5&token={token}",
            url("b1", "notifications")
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client()
        .get(format!(
            "{}?token={token}&nonsense=1",
            url("b1", "notifications")
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);

    // THEN it opens nothing else: another subscriber, the backend's endpoints, a
    // tampered or expired token.
    let (status, v) = as_buyer("GET", &url("b2", "saved-searches"), &token, None);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    for path in ["/notifications", "/events/status"] {
        let (status, _) = as_buyer("GET", &format!("{base}{path}"), &token, None);
        assert_eq!(status, 401, "{path}");
    }
    let (status, _) = as_buyer("POST", &url("b1", "tokens"), &token, Some(json!({})));
    assert_eq!(status, 401, "a token cannot issue tokens");
    let tampered = token.replacen("sy1.", "sy1.A", 1);
    let (status, v) = as_buyer("GET", &url("b1", "watches"), &tampered, None);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let expired = Command::new(env!("CARGO_BIN_EXE_stockyard"))
        .args(["token", "b1", "--ttl", "0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let expired = String::from_utf8(expired.stdout).unwrap().trim().to_owned();
    let (status, v) = as_buyer("GET", &url("b1", "watches"), &expired, None);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("token_expired"))
    );

    // Bad requests for a token name their field.
    for (body, field) in [
        (json!({"ttl_seconds": 5}), "ttl_seconds"),
        (json!({"ttl_seconds": 99_999_999}), "ttl_seconds"),
    ] {
        let (status, v) = call("POST", &base, "/subscribers/b1/tokens", Some(body));
        assert_eq!((status, v["error"]["field"].as_str()), (400, Some(field)));
    }
    let (status, v) = call("POST", &base, "/subscribers/b1/tokens", None);
    assert_eq!(status, 201, "no body asks for the defaults: {v}");
    // JSON's own whitespace is no body too; a form feed is not JSON (schemathesis
    // sent one, and it was taken for no body).
    for (body, expected) in [(" \r\n\t", 201), ("\x0c", 400)] {
        let status = client()
            .post(format!("{base}/subscribers/b1/tokens"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(status, expected, "body {body:?}");
    }
    // A struct as an array of its fields, which serde alone would take, is refused.
    let (status, v) = call("POST", &base, "/subscribers/b1/tokens", Some(json!([null])));
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("bad_body"))
    );
    let (status, _) = call(
        "POST",
        &base,
        "/subscribers/b1/watches",
        Some(json!(["M-1"])),
    );
    assert_eq!(status, 400);
    let (status, v) = call(
        "POST",
        &base,
        "/subscribers/b1/tokens",
        Some(json!({"ttl": 5})),
    );
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("bad_body"))
    );
}

#[test]
fn a_token_in_the_query_never_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", free_port());
    let log = dir.path().join("serve.log");
    let mut server = Command::new(env!("CARGO_BIN_EXE_stockyard"))
        .args(["serve", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["--listen", base.trim_start_matches("http://")])
        .env("STOCKYARD_API_KEYS", KEY)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .map(Server)
        .unwrap();
    wait_ready(&base);
    let (_, issued) = call("POST", &base, "/subscribers/b1/tokens", None);
    let token = issued["token"].as_str().unwrap();
    let r = client()
        .get(format!("{base}/subscribers/b1/watches?token={token}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    server.kill();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("/subscribers/b1/watches"),
        "the request is logged"
    );
    let tag = token.rsplit('.').next().unwrap();
    assert!(!logged.contains(tag), "the token is not");
}

#[test]
fn an_sse_client_gets_every_notification_once_across_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", free_port());
    let addr = base.trim_start_matches("http://").to_owned();
    let mut server = spawn(dir.path(), &addr);
    wait_ready(&base);
    ingest(&base, &unlisted::catalog());
    let (status, _) = call(
        "POST",
        &base,
        "/subscribers/b1/saved-searches",
        Some(json!({"saved_search_id": "pc200s", "query": {"model": ["pc200"]}})),
    );
    assert_eq!(status, 201);

    // GIVEN a client reading the stream
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reader = follow(&base, None, &seen);
    // WHEN machines are listed and the server is SIGKILLed while it streams, the
    // last listings taken into the log but perhaps not yet matched
    ingest(&base, &listings(0, 10));
    wait_for(&seen, 5);
    for batch in 1..4 {
        ingest_with(&base, &listings(batch * 10, 10), "");
    }
    server.kill(); // SIGKILL
    reader.join().unwrap();
    let before = seen.lock().unwrap().len();

    // THEN after a restart, reconnecting with Last-Event-ID, and more listings…
    let mut server = spawn(dir.path(), &addr);
    wait_ready(&base);
    let last = seen.lock().unwrap().last().map(|s| s.id);
    let reader = follow(&base, last, &seen);
    ingest(&base, &listings(40, 10));
    wait_for(&seen, 50);
    // …every notification arrives exactly once, in order.
    let seen = seen.lock().unwrap().clone();
    let ids: Vec<u64> = seen.iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        (1..=50).collect::<Vec<u64>>(),
        "{before} before the kill"
    );
    let mut machines: Vec<&str> = seen.iter().map(|s| s.machine.as_str()).collect();
    machines.sort();
    machines.dedup();
    assert_eq!(machines.len(), 50);
    assert!(seen.iter().all(|s| s.event == "new_match"));
    server.kill();
    drop(reader);
}

#[test]
fn many_sse_streams_share_one_http2_connection() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", free_port());
    let addr = base.trim_start_matches("http://").to_owned();
    let mut server = spawn(dir.path(), &addr);
    wait_ready(&base);
    ingest(&base, &unlisted::catalog());
    const STREAMS: usize = 12;
    for i in 0..STREAMS {
        let (status, _) = call(
            "POST",
            &base,
            &format!("/subscribers/h{i}/saved-searches"),
            Some(json!({"saved_search_id": "loaders", "query": {"category": ["loaders"]}})),
        );
        assert_eq!(status, 201);
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let got: Vec<String> = runtime.block_on(async {
        // One TCP connection, HTTP/2 with prior knowledge (h2c).
        let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let (client, connection) = h2::client::handshake(tcp).await.unwrap();
        tokio::spawn(connection);
        let mut client = client.ready().await.unwrap();
        let mut responses = Vec::new();
        for i in 0..STREAMS {
            let request = http::Request::get(format!("{base}/subscribers/h{i}/notifications"))
                .header("accept", "text/event-stream")
                .header("authorization", format!("Bearer {KEY}"))
                .body(())
                .unwrap();
            let (response, _) = client.send_request(request, true).unwrap();
            client = client.ready().await.unwrap();
            responses.push(response);
        }
        let mut bodies = Vec::new();
        for r in responses {
            let r = r.await.unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["content-type"], "text/event-stream");
            bodies.push(r.into_body());
        }
        // WHEN one wheel loader is listed, every stream on the connection tells it.
        let base2 = base.clone();
        tokio::task::spawn_blocking(move || {
            ingest(
                &base2,
                &(json!({"id": "wl-1", "type": "MachineListed", "at": "2026-02-01T00:00:00Z",
                         "data": {"machine_id": "WL1", "model_id": "wa380", "title": "WA380"}})
                .to_string()
                    + "\n"),
            )
        })
        .await
        .unwrap();
        let mut got = Vec::new();
        for mut body in bodies {
            got.push(sse::until_data_frame(&mut body).await);
        }
        got
    });
    assert_eq!(got.len(), STREAMS);
    sse::assert_each_told(&got, "h", "WL1");
    server.kill();
}

#[test]
fn a_reader_behind_what_retention_kept_is_told_to_reset() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("stockyard.toml");
    std::fs::write(&config, "[alerts]\nkeep_per_subscriber = 2\n").unwrap();
    let base = format!("http://127.0.0.1:{}", free_port());
    let mut server = spawn_with(
        &dir.path().join("data"),
        base.trim_start_matches("http://"),
        Some(&config),
    );
    wait_ready(&base);
    ingest(&base, &unlisted::catalog());
    let (status, _) = call(
        "POST",
        &base,
        "/subscribers/b1/saved-searches",
        Some(json!({"saved_search_id": "pc200s", "query": {"model": ["pc200"]}})),
    );
    assert_eq!(status, 201);
    // GIVEN five notifications of which two are kept
    ingest(&base, &listings(0, 5));
    // WHEN a client resumes from the first
    let (_, v) = call("GET", &base, "/subscribers/b1/notifications?after=1", None);
    // THEN it is told to reset, and gets what is kept
    assert_eq!(v["reset"], true, "{v}");
    let ids: Vec<u64> = v["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [4, 5]);
    let (_, v) = call("GET", &base, "/subscribers/b1/notifications?after=4", None);
    assert_eq!(v["reset"], false, "{v}");
    // and a stream says `reset` first, then goes on.
    let r = open_stream(&base, "/subscribers/b1/notifications", Some(2)).unwrap();
    let mut events = Vec::new();
    for line in BufReader::new(r).lines() {
        let line = line.unwrap();
        if let Some(e) = line.strip_prefix("event:") {
            events.push(e.trim().to_owned());
            if events.len() == 3 {
                break;
            }
        }
    }
    assert_eq!(events, ["reset", "new_match", "new_match"]);
    server.kill();
}

#[test]
fn sigterm_ends_open_streams_and_the_server_exits() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", free_port());
    let mut server = spawn(dir.path(), base.trim_start_matches("http://"));
    wait_ready(&base);
    // GIVEN a client reading its notification stream (the headers are in)
    let r = open_stream(&base, "/subscribers/b1/notifications", None).unwrap();
    assert_eq!(r.status(), 200);
    let reader = std::thread::spawn(move || {
        let mut body = String::new();
        let ended = std::io::Read::read_to_string(&mut BufReader::new(r), &mut body).is_ok();
        (ended, body)
    });
    // WHEN the server is asked to stop
    let signalled = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    // THEN it exits cleanly without waiting for the client to leave (bounded, so
    // that a stream that keeps it alive fails the test instead of hanging it)…
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let status = status.expect("the server exits while a stream is open");
    assert!(status.success(), "exit status {status}");
    // …and the stream ends whole, its last words saying why.
    let (ended, body) = reader.join().unwrap();
    assert!(ended, "the stream ends cleanly: {body:?}");
    assert!(body.contains(": the server is shutting down"), "{body:?}");
}
