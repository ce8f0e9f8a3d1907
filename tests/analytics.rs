//! Search analytics over HTTP, against the real `stockyard` binary: GIVEN searches,
//! WHEN an operator asks for the report, THEN the counts, the zero-result list and
//! the days; a restart keeps them; switched off, the endpoint is 404.

#[path = "common/binary.rs"]
mod binary;

use binary::{stockyard, Server};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

const KEY: &str = "analytics-test-key-01";

fn start(data: &Path, analytics: bool) -> (Server, String) {
    let mut command = stockyard();
    command
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("STOCKYARD_API_KEYS", KEY)
        .env("STOCKYARD_ANALYTICS", if analytics { "on" } else { "off" })
        .env("RUST_LOG", "info");
    let (server, base) = Server::start(command);
    let started = Instant::now();
    while get(&base, "/ready", false).0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "ready in time"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, base)
}

fn get(base: &str, path: &str, keyed: bool) -> (u16, Value) {
    let client = reqwest::blocking::Client::new();
    let mut r = client.get(format!("{base}{path}"));
    if keyed {
        r = r.bearer_auth(KEY);
    }
    let r = r.send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// SIGTERM, and wait for a clean exit.
fn stop(mut server: Server) {
    let pid = server.0.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "{status}");
}

fn counted(list: &Value) -> Vec<(String, u64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["query"].as_str().unwrap().to_owned(),
                q["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn searches_are_counted_kept_across_a_restart_and_can_be_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (server, base) = start(&data, true);
    // GIVEN buyers' searches: one text four times (case and width differ), one that
    // finds nothing twice, and a browse (no words: not a query)
    let mut excavator_total = 0;
    for (path, lang) in [
        ("/search?q=excavator&lang=en", "en"),
        ("/search?q=Excavator&lang=en", "en"),
        ("/search?q=%EF%BD%85xcavator&lang=ja", "ja"),
        ("/search?q=excavator%20&lang=de", "de"),
        ("/search?q=zzqxv&lang=en", "en"),
        ("/search?q=zzqxv&lang=en", "en"),
        ("/search?category=excavators", "en"),
    ] {
        let (status, v) = get(&base, path, false);
        assert_eq!(status, 200, "{path} ({lang})");
        if path.contains("excavator") {
            excavator_total = v["total"].as_u64().unwrap();
        }
    }
    assert!(excavator_total > 0);
    // WHEN the operator asks for the report
    let (status, report) = get(&base, "/analytics/queries", true);
    assert_eq!(status, 200, "{report}");
    // THEN six searches with words, the text counted once normalised, the one that
    // found nothing listed, and one day with its languages.
    assert_eq!(report["searches"], 6);
    assert_eq!(
        counted(&report["top_queries"]),
        [("excavator".to_owned(), 4), ("zzqxv".to_owned(), 2)]
    );
    assert_eq!(
        counted(&report["zero_result_queries"]),
        [("zzqxv".to_owned(), 2)]
    );
    let days = report["days"].as_array().unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0]["searches"], 6);
    assert_eq!(days[0]["zero_results"], 2);
    assert_eq!(days[0]["by_lang"]["en"], 3 + 1);
    assert_eq!(days[0]["by_lang"]["ja"], 1);
    assert_eq!(days[0]["by_lang"]["de"], 1);
    // AND a search that found something completes what buyers type; one that found
    // nothing does not.
    let (_, s) = get(&base, "/suggest?q=excav&lang=en&limit=20", false);
    let query = s["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "query")
        .expect("a query suggestion");
    assert_eq!(query["text"], "excavator");
    assert_eq!(query["highlight"], "<mark>excav</mark>ator");
    assert_eq!(query["count"], excavator_total);
    assert!(query.get("id").is_none());
    let (_, s) = get(&base, "/suggest?q=zzq&lang=en", false);
    assert_eq!(s["suggestions"], Value::Array(Vec::new()));
    // AND the report is for operators, and checks its parameters.
    assert_eq!(get(&base, "/analytics/queries", false).0, 401);
    for (path, code, field) in [
        ("/analytics/queries?from=2026-13-01", "bad_date", "from"),
        ("/analytics/queries?to=yesterday", "bad_date", "to"),
        (
            "/analytics/queries?from=2026-02-01&to=2026-01-01",
            "out_of_range",
            "from",
        ),
        ("/analytics/queries?limit=0", "out_of_range", "limit"),
        ("/analytics/queries?ip=1", "bad_query", "query"),
    ] {
        let (status, v) = get(&base, path, true);
        assert_eq!(status, 400, "{path}: {v}");
        assert_eq!(v["error"]["code"], code, "{path}");
        assert_eq!(v["error"]["field"], field, "{path}");
    }
    let (_, one) = get(&base, "/analytics/queries?limit=1", true);
    assert_eq!(counted(&one["top_queries"]).len(), 1);
    let (_, none) = get(
        &base,
        "/analytics/queries?from=2000-01-01&to=2000-01-31",
        true,
    );
    assert_eq!(none["searches"], 0);

    // WHEN the server stops and starts again THEN the same report.
    stop(server);
    let (server, base) = start(&data, true);
    let (_, again) = get(&base, "/analytics/queries", true);
    assert_eq!(again, report);
    stop(server);

    // WHEN analytics are switched off THEN the report is 404 and searches still work.
    let (_server, base) = start(&data, false);
    assert_eq!(get(&base, "/search?q=excavator", false).0, 200);
    let (status, v) = get(&base, "/analytics/queries", true);
    assert_eq!(status, 404, "{v}");
    assert_eq!(v["error"]["code"], "not_found");
}
