//! The search page in headless Chromium (driven by scripts in tests/browser with
//! playwright-core):
//! - a buyer types a query, ticks a maker and picks a currency; the hits, counts,
//!   highlights, photos and prices the page shows must be what the API answers for the
//!   same requests; the search's link opened elsewhere shows the same, Back undoes
//!   each step, and typing a name's start offers the API's suggestions;
//! - a signed-in buyer saves the search and sees its notifications arrive live over
//!   the browser's own `EventSource`, and after a reload only what is new.

#[path = "common/server.rs"]
mod server;

use serde_json::{json, Value};
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

/// What the browser script `script` (in `dir`) printed, run with `args`.
fn drive(dir: &Path, script: &str, args: &[&str]) -> Value {
    let out = Command::new("node")
        .arg(dir.join(script))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "browser script {script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
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

/// The page's HTML of a highlight, as the server wrote it: the browser writes quotes
/// in text unescaped.
fn as_served(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
}

fn strings(v: &Value, f: impl Fn(&Value) -> Value) -> Vec<Value> {
    v.as_array().unwrap().iter().map(f).collect()
}

#[test]
fn typing_a_query_and_ticking_a_maker_shows_what_the_api_answers() {
    let Some(dir) = tools() else { return };
    let s = server::TestServer::start(true, |_| {});
    let page = drive(&dir, "search_page.cjs", &[&s.base, "excavator", "koma"]);
    let lang = page["searched"]["lang"].as_str().unwrap().to_owned();

    // Typed query: the page shows the API's total, first page, maker counts, marked
    // titles and photos.
    let api = s.json(&format!("/search?q=excavator&lang={lang}&limit=20"), 200);
    let searched = &page["searched"];
    assert_eq!(searched["total"], api["total"]);
    assert_eq!(shown_ids(searched), ids(&api));
    assert_eq!(counts(&searched["makers"]), counts(&api["facets"]["maker"]));
    assert_ne!(
        page["start"]["total"], searched["total"],
        "the query changed the hits"
    );
    let titles = strings(&searched["titles"], |t| {
        json!(as_served(t.as_str().unwrap()))
    });
    let marked = strings(&api["hits"], |h| h["highlight"]["title"].clone());
    assert_eq!(titles, marked);
    assert!(marked
        .iter()
        .any(|t| t.as_str().unwrap().contains("<mark>")));
    let images = strings(&api["hits"], |h| {
        h.get("image").cloned().unwrap_or(Value::Null)
    });
    assert_eq!(searched["images"], json!(images));
    assert!(
        images.iter().any(|i| i.is_string()),
        "some hits have a photo"
    );

    // Ticked maker and prices in euros: fewer hits, all of that maker, each price also
    // in euros where the API converts it.
    let maker = page["maker"].as_str().unwrap();
    let filtered_api = s.json(
        &format!("/search?q=excavator&lang={lang}&maker={maker}&currency=EUR&limit=20"),
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
    let converted = strings(&filtered_api["hits"], |h| {
        json!(h["price"]["converted"]["currency"] == "EUR")
    });
    assert_eq!(filtered["converted"], json!(converted));
    assert!(
        converted.iter().any(|c| c == true),
        "some prices are converted"
    );

    // The search's link, opened in another tab, shows the same answer.
    let opened = &page["opened"];
    for key in [
        "url", "q", "lang", "currency", "total", "hits", "makers", "titles",
    ] {
        assert_eq!(opened[key], filtered[key], "{key} of the shared link");
    }
    // Back twice undoes the currency and the maker.
    let back = &page["back"];
    for key in ["url", "q", "currency", "total", "hits", "makers"] {
        assert_eq!(back[key], searched[key], "{key} after Back");
    }

    // Typing the start of a name: the suggestions are the API's, with their counts.
    let typed = s.json(&format!("/suggest?q=koma&lang={lang}&limit=8"), 200);
    let expected = strings(&typed["suggestions"], |s| {
        json!({"kind": s["kind"], "id": s.get("id").cloned().unwrap_or(Value::Null),
            "highlight": s["highlight"], "count": s["count"]})
    });
    let suggested = strings(&page["suggestions"], |s| {
        let mut s = s.clone();
        s["highlight"] = json!(as_served(s["highlight"].as_str().unwrap()));
        s
    });
    assert_eq!(suggested, expected);
    // Picking the first (a maker) ticks it in place of the words.
    let first = &expected[0];
    assert_eq!(first["kind"], "maker", "{first}");
    let picked = &page["picked"];
    assert_eq!(picked["q"], "");
    let by_maker = s.json(
        &format!(
            "/search?lang={lang}&maker={}&limit=20",
            first["id"].as_str().unwrap()
        ),
        200,
    );
    assert_eq!(picked["total"], by_maker["total"]);
    assert_eq!(
        picked["total"], first["count"],
        "the suggestion's count is the search's"
    );
    assert_eq!(shown_ids(picked), ids(&by_maker));
}

/// One event line, as `POST /events` takes it.
fn event(id: &str, kind: &str, data: Value) -> String {
    json!({"id": id, "type": kind, "at": "2026-03-01T00:00:00Z", "data": data}).to_string() + "\n"
}

#[test]
fn a_signed_in_buyer_saves_a_search_and_sees_its_alerts_live() {
    let Some(dir) = tools() else { return };
    let s = server::TestServer::start(true, |_| {});
    let client = s.client();
    let buyer = "buyer-7";
    // GIVEN a token the marketplace's backend issued for the buyer,
    let issued: Value = client
        .post(format!("{}/subscribers/{buyer}/tokens", s.base))
        .bearer_auth(server::KEY)
        .json(&json!({}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = issued["token"].as_str().unwrap();
    // and a maker whose excavators the buyer will tick, with one of its models.
    let found = s.json("/search?q=excavator&lang=en&limit=1", 200);
    let maker = found["facets"]["maker"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let of_maker = s.json(
        &format!("/search?q=excavator&lang=en&maker={maker}&limit=1"),
        200,
    );
    let model = of_maker["hits"][0]["model"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = found["facets"]["maker"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_model = s.json(
        &format!("/search?q=excavator&lang=en&maker={other}&limit=1"),
        200,
    )["hits"][0]["model"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = |id: &str, machine: &str, model: &str| {
        event(
            id,
            "MachineListed",
            json!({"machine_id": machine, "model_id": model,
            "title": {"en": "2024 excavator, 120 hrs"}, "year": 2024, "hours": 120,
            "price": {"amount": 90000, "currency": "USD"}}),
        )
    };
    // WHEN it is saved from the page and the catalog changes: a listing of that
    // maker (and one of another maker, which matches nothing), a price cut, and,
    // after a reload of the page, the sale.
    let batches = [
        listed("t-1", "NEW-1", &model) + &listed("t-2", "OTHER-1", &other_model),
        event(
            "t-3",
            "MachineUpdated",
            json!({"machine_id": "NEW-1", "price": {"amount": 85000, "currency": "USD"}}),
        ),
        event("t-4", "MachineSold", json!({"machine_id": "NEW-1"})),
    ];
    let batches = serde_json::to_string(&batches).unwrap();
    let page = drive(
        &dir,
        "save_search.cjs",
        &[&s.base, token, server::KEY, "excavator", &maker, &batches],
    );

    // What the buyer's own endpoint `what` answers, asked with the token.
    let as_buyer = |what: &str| -> Value {
        client
            .get(format!("{}/subscribers/{buyer}/{what}", s.base))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };

    // THEN the saved search is the search on screen,
    assert_eq!(
        page["urlKeptToken"], false,
        "the token leaves the address bar"
    );
    let saved = as_buyer("saved-searches");
    let saved = &saved["saved_searches"][0];
    assert_eq!(saved["saved_search_id"], page["savedSearchId"]);
    assert_eq!(saved["query"]["q"], "excavator");
    assert_eq!(saved["query"]["maker"], json!([maker]));
    // the page showed each notification as it was told, newest first, with the ids
    // the outbox gave them,
    let told = as_buyer("notifications");
    let told: Vec<Value> = told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| json!({"id": n["id"], "kind": n["kind"], "machine": n["card"]["machine_id"]}))
        .collect();
    let kinds: Vec<&str> = told.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["new_match", "price_changed", "sold"], "{told:?}");
    assert!(told.iter().all(|n| n["machine"] == "NEW-1"));
    assert_eq!(page["beforeReload"], json!([told[1], told[0]]));
    // and after the reload, only what was told since.
    assert_eq!(page["afterReload"], json!([told[2]]));
}

/// The InstantSearch adapter's package with its npm dependencies, or `None` (skipping
/// outside CI).
fn instantsearch_client() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/instantsearch");
    if dir.join("node_modules/instantsearch.js").is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI must run `npm ci` in clients/instantsearch");
    }
    eprintln!("SKIPPED: clients/instantsearch/node_modules is missing");
    None
}

/// `(name, count)` of the first `n` values of a facet as the API lists them, sorted
/// (the widget orders equal counts by name).
fn top(list: &Value, n: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = list.as_array().unwrap()
        [..n.min(list.as_array().unwrap().len())]
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// `(label, count)` of a refinement list as the widget shows it, sorted.
fn listed(items: &Value) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["label"].as_str().unwrap().to_owned(),
                i["count"].as_u64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The id of the value named `name` in a facet list of the API.
fn id_named(list: &Value, name: &str) -> String {
    list.as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A widget step's hits against the API's: same machines in the same order, the
/// title shown with the same words marked.
fn same_hits(widgets: &Value, api: &Value) {
    let shown = widgets["hits"].as_array().unwrap();
    let answered = api["hits"].as_array().unwrap();
    assert_eq!(shown.len(), answered.len());
    for (w, a) in shown.iter().zip(answered) {
        assert_eq!(w["id"], a["machine_id"]);
        assert_eq!(w["title"], a["title"]);
        let marked: Vec<String> = a["highlight"]["title"]
            .as_str()
            .unwrap_or("")
            .split("<mark>")
            .skip(1)
            .map(|m| as_served(m.split("</mark>").next().unwrap()).replace("&amp;", "&"))
            .collect();
        assert_eq!(w["marked"], json!(marked), "{}", a["machine_id"]);
    }
}

/// A histogram bound as a range input shows it (a whole year).
fn bound(v: &Value) -> String {
    (v.as_f64().unwrap() as i64).to_string()
}

#[test]
fn instantsearch_widgets_show_what_the_api_answers() {
    let Some(browser) = tools() else { return };
    let Some(client) = instantsearch_client() else {
        return;
    };
    // The example page's origin must be allowed by Stockyard's CORS settings.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = server::TestServer::start(true, |c| {
        c.cors.allowed_origins = vec![format!("http://127.0.0.1:{port}")];
    });
    let page = drive(
        &browser,
        "instantsearch.cjs",
        &[&s.base, &port.to_string(), client.to_str().unwrap()],
    );
    assert_eq!(page["errors"], json!([]), "no error on the page");
    let search = |query: &str| {
        s.json(
            &format!(
                "/search?q=excavator&lang=en&limit=12&facets=category,maker,model,year{query}"
            ),
            200,
        )
    };

    // GIVEN the words: the hits, total and counts are the API's, from one search.
    let typed = &page["typed"];
    let api = search("");
    assert_eq!(typed["total"], api["total"]);
    same_hits(typed, &api);
    assert!(typed["hits"][0]["marked"]
        .as_array()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(listed(&typed["makers"]), top(&api["facets"]["maker"], 10));
    assert_eq!(
        typed["yearBounds"],
        json!([
            bound(&api["facets"]["year"]["min"]),
            bound(&api["facets"]["year"]["max"])
        ])
    );
    assert_eq!(typed["searches"], 1);

    // WHEN a maker is ticked: its hits; the maker counts stay disjunctive.
    let maker = id_named(&api["facets"]["maker"], page["maker"].as_str().unwrap());
    let ticked = &page["ticked"];
    let api = search(&format!("&maker={maker}"));
    assert_eq!(ticked["total"], api["total"]);
    assert!(ticked["total"].as_u64() < typed["total"].as_u64());
    same_hits(ticked, &api);
    assert_eq!(listed(&ticked["makers"]), top(&api["facets"]["maker"], 10));
    assert!(ticked["makers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["label"] == page["maker"] && m["checked"] == true));
    assert_eq!(
        ticked["searches"], 1,
        "the disjunctive maker request rides on the main search"
    );

    // WHEN the year is narrowed
    let ranged = &page["ranged"];
    let api = search(&format!("&maker={maker}&year=2015.."));
    assert_eq!(ranged["total"], api["total"]);
    same_hits(ranged, &api);
    assert_eq!(listed(&ranged["makers"]), top(&api["facets"]["maker"], 10));
    assert_eq!(ranged["searches"], 1);

    // WHEN a category is opened: its hits, the top level and its children with counts.
    let category = id_named(
        &api["facets"]["category"],
        page["category"].as_str().unwrap(),
    );
    let opened = &page["opened"];
    let api = search(&format!("&maker={maker}&year=2015..&category={category}"));
    assert_eq!(opened["total"], api["total"]);
    same_hits(opened, &api);
    let levels = |depth: u64| -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = opened["categories"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["depth"] == depth)
            .map(|c| {
                (
                    c["label"].as_str().unwrap().to_owned(),
                    c["count"].as_u64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let of = |parent: Option<&str>| -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = api["facets"]["category"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["parent"].as_str() == parent)
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_owned(),
                    c["count"].as_u64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(levels(0), of(None));
    assert_eq!(levels(1), of(Some(&category)));
    assert!(
        !levels(1).is_empty(),
        "the opened category shows its children"
    );
    assert_eq!(opened["searches"], 1);

    // WHEN searching within the models: the values Stockyard's facet search finds, with
    // the counts of the current selections.
    let found = s.json(
        &format!("/facets/model/values?q=pc&words=excavator&lang=en&maker={maker}&year=2015..&category={category}"),
        200,
    );
    let mut expected: Vec<(String, u64)> = found["values"]
        .as_array()
        .unwrap()
        .iter()
        .take(10)
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                v["count"].as_u64().unwrap(),
            )
        })
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(listed(&page["modelsFound"]), expected);

    // WHEN paging: the next twelve.
    let paged = &page["paged"];
    let api = search(&format!(
        "&maker={maker}&year=2015..&category={category}&offset=12"
    ));
    assert_eq!(paged["total"], api["total"]);
    same_hits(paged, &api);
    assert_eq!(paged["searches"], 1);

    // WHEN sorted by price: the cheapest first, from the first page.
    let sorted = &page["sorted"];
    let api = search(&format!(
        "&maker={maker}&year=2015..&category={category}&sort=price&order=asc"
    ));
    assert_eq!(sorted["total"], api["total"]);
    same_hits(sorted, &api);
    assert_eq!(sorted["searches"], 1);
}
