//! The search page in headless Chromium (driven by tests/browser/search_page.cjs with
//! playwright-core): a buyer types a query and ticks a maker; the hits and counts the
//! page shows must be what the API answers for the same requests.

#[path = "common/server.rs"]
mod server;

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Chromium, node and the script's dependencies, or `None` (skipping outside CI).
fn tools() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = Path::new(&chromium).exists()
        && dir.join("node_modules/playwright-core").is_dir()
        && Command::new("node").arg("--version").output().is_ok();
    if !ready {
        if std::env::var_os("CI").is_some() {
            panic!("CI must provide chromium, node and `npm ci` in tests/browser");
        }
        eprintln!("SKIPPED: chromium, node or tests/browser/node_modules is missing");
        return None;
    }
    Some(dir)
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["machine_id"].as_str().unwrap().to_owned())
        .collect()
}

fn shown_ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect()
}

/// `(id, count)` of a facet list, as the API or the page gives it.
fn counts(list: &Value) -> Vec<(String, u64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().into(),
                m["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn typing_a_query_and_ticking_a_maker_shows_what_the_api_answers() {
    let Some(dir) = tools() else { return };
    let s = server::TestServer::start(true, |_| {});
    let out = Command::new("node")
        .arg(dir.join("search_page.cjs"))
        .arg(&s.base)
        .arg("excavator")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "browser script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lang = page["searched"]["lang"].as_str().unwrap().to_owned();

    // Typed query: the page shows the API's total, first page and maker counts.
    let api = s.json(&format!("/search?q=excavator&lang={lang}&limit=20"), 200);
    let searched = &page["searched"];
    assert_eq!(searched["total"], api["total"]);
    assert_eq!(shown_ids(searched), ids(&api));
    assert_eq!(counts(&searched["makers"]), counts(&api["facets"]["maker"]));
    assert_ne!(
        page["start"]["total"], searched["total"],
        "the query changed the hits"
    );

    // Ticked maker: fewer hits, all of that maker, as the API says.
    let maker = page["maker"].as_str().unwrap();
    let filtered_api = s.json(
        &format!("/search?q=excavator&lang={lang}&maker={maker}&limit=20"),
        200,
    );
    let filtered = &page["filtered"];
    assert_eq!(filtered["total"], filtered_api["total"]);
    assert!(filtered["total"].as_u64() < searched["total"].as_u64());
    assert_eq!(shown_ids(filtered), ids(&filtered_api));
    let ticked = filtered["makers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == maker)
        .unwrap();
    assert_eq!(ticked["checked"], true);
    for h in filtered_api["hits"].as_array().unwrap() {
        assert_eq!(h["maker"]["id"], maker);
    }
}
