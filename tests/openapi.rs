//! `/openapi.json` tells the truth: every request README shows, and a generated set of
//! searches the server answers with 200, are valid against the schema the server
//! publishes. A client that validates its requests against the schema is then never
//! refused by it for something the API accepts.

#[path = "common/rng.rs"]
mod rng;
#[path = "common/server.rs"]
mod server;

use jsonschema::Validator;
use rng::Rng;
use serde_json::{json, Value};
use server::{TestServer, KEY};

/// One request: method, path, query pairs and JSON body.
#[derive(Debug)]
struct Call {
    method: &'static str,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
}

impl Call {
    fn get(target: &str) -> Call {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Call {
            method: "GET",
            path: path.to_owned(),
            query: url_pairs(query),
            body: None,
        }
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The requests of README's API section: its `curl` commands, continuation lines
/// joined, read for method, URL and `-d` body (bodies from files are left out).
fn readme_calls() -> Vec<Call> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let joined = readme.replace("\\\n", " ");
    let mut calls = Vec::new();
    for command in joined.lines().flat_map(|l| l.split("; ")) {
        let Some(at) = command.find("curl ") else {
            continue;
        };
        let command = &command[at..];
        let Some(start) = command.find("http://127.0.0.1:7700") else {
            continue;
        };
        let url: String = command[start + "http://127.0.0.1:7700".len()..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '\'')
            .collect();
        let mut call = Call::get(&url);
        if command.contains("-X POST") {
            call.method = "POST";
        } else if command.contains("-X DELETE") {
            call.method = "DELETE";
        }
        if let Some(d) = command.find("-d '") {
            let rest = &command[d + 4..];
            let body = &rest[..rest.find('\'').unwrap()];
            call.body = Some(serde_json::from_str(body).expect("README's JSON bodies parse"));
        }
        calls.push(call);
    }
    calls
}

/// The operation of `api` that serves `method path`, with its path template.
fn operation<'a>(api: &'a Value, method: &str, path: &str) -> (&'a str, &'a Value) {
    let segments: Vec<&str> = path.split('/').collect();
    for (template, item) in api["paths"].as_object().unwrap() {
        let parts: Vec<&str> = template.split('/').collect();
        let fits = parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(p, s)| p.starts_with('{') || p == s);
        if fits {
            if let Some(op) = item.get(method.to_ascii_lowercase()) {
                return (template, op);
            }
        }
    }
    panic!("{method} {path} is not in /openapi.json");
}

/// A validator for `schema`, resolving `$ref`s against the whole document.
fn validator(api: &Value, schema: &Value) -> Validator {
    let mut root = schema.clone();
    root["components"] = api["components"].clone();
    jsonschema::validator_for(&root).expect("the published schemas compile")
}

fn check(validator: &Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what} = {instance}: {errors:?}");
}

/// Checks a call against its operation: every query parameter against its schema
/// (repeated names as arrays), path parameters, and the JSON body.
fn validate(api: &Value, call: &Call) {
    let (template, op) = operation(api, call.method, &call.path);
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let where_ = format!("{} {}", call.method, call.path);
    let mut names: Vec<&str> = call.query.iter().map(|(k, _)| k.as_str()).collect();
    names.dedup();
    for name in names {
        let values: Vec<&str> = call
            .query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        let Some(param) = params
            .iter()
            .find(|p| p["name"] == name && p["in"] == "query")
        else {
            // `spec.<id>` cannot be declared by name in OpenAPI; the operation
            // documents the convention instead.
            assert!(
                name.starts_with("spec.")
                    && op["description"]
                        .as_str()
                        .unwrap_or("")
                        .contains("spec.<id>"),
                "{where_}: query parameter {name} is not documented"
            );
            continue;
        };
        let schema = &param["schema"];
        let is_array = schema["type"] == "array"
            || schema["type"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("array")));
        // Numbers and booleans travel as text in a query string.
        let scalar = ["integer", "number", "boolean"];
        let is_scalar = |t: &Value| {
            scalar.iter().any(|s| t == s)
                || t.as_array()
                    .is_some_and(|a| scalar.iter().any(|s| a.contains(&json!(s))))
        };
        let typed = |v: &str| -> Value {
            if is_scalar(&schema["type"]) {
                serde_json::from_str(v).unwrap_or_else(|_| json!(v))
            } else {
                json!(v)
            }
        };
        let instance = if is_array {
            Value::Array(values.iter().map(|v| json!(v)).collect())
        } else {
            assert_eq!(values.len(), 1, "{where_}: {name} is not repeatable");
            typed(values[0])
        };
        check(
            &validator(api, schema),
            &instance,
            &format!("{where_} {name}"),
        );
    }
    for (i, part) in template.split('/').enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let value = call.path.split('/').nth(i).unwrap();
            let param = params
                .iter()
                .find(|p| p["name"] == name && p["in"] == "path")
                .unwrap_or_else(|| panic!("{where_}: path parameter {name} documented"));
            check(&validator(api, &param["schema"]), &json!(value), &where_);
        }
    }
    if let Some(body) = &call.body {
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "{where_}: a JSON body is documented");
        check(&validator(api, schema), body, &format!("{where_} body"));
    }
}

fn send(s: &TestServer, call: &Call) -> u16 {
    let url = format!("{}{}", s.base, call.path);
    let req = match call.method {
        "GET" => s.client().get(url),
        "DELETE" => s.client().delete(url),
        _ => s.client().post(url),
    }
    .query(&call.query)
    .bearer_auth(KEY);
    let req = match &call.body {
        Some(b) => req.json(b),
        None => req,
    };
    req.send().unwrap().status().as_u16()
}

#[test]
fn every_request_in_readme_fits_the_published_schema() {
    let s = TestServer::start(true, |_| {});
    let api = s.json("/openapi.json", 200);
    let calls = readme_calls();
    assert!(calls.len() >= 15, "README's examples were found: {calls:?}");
    for call in &calls {
        validate(&api, call);
        // The reads README shows are answered as shown.
        if call.method == "GET" && !call.path.starts_with("/events") {
            assert_eq!(send(&s, call), 200, "{call:?}");
        }
    }
    // The search README shows as JSON answers like its query-string twin.
    let post = calls
        .iter()
        .find(|c| c.method == "POST" && c.path == "/search")
        .expect("README shows POST /search");
    assert_eq!(send(&s, post), 200);
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    fn walk(v: &Value, key: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(id)) = o.get(key) {
                    out.push(id.clone());
                }
                o.values().for_each(|c| walk(c, key, out));
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, key, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, key, &mut out);
    out
}

/// GIVEN the demo catalog's ids, WHEN searches are generated from every parameter
/// (spec conditions and spec facets among them) in both the query-string and the JSON
/// form, THEN each one the server answers with 200 is valid against the schema.
#[test]
fn generated_searches_the_server_accepts_fit_the_published_schema() {
    let s = TestServer::start(true, |_| {});
    let api = s.json("/openapi.json", 200);
    let makers = ids(&s.json("/makers", 200), "id");
    let categories = ids(&s.json("/categories", 200), "id");
    let spec_view = s.json("/spec-categories", 200);
    let specs: Vec<(String, bool)> = spec_view
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_owned(), c["number"] == true))
        .collect();
    assert!(!makers.is_empty() && !categories.is_empty() && !specs.is_empty());
    let words = [
        "excavator",
        "pc200",
        "油圧ショベル",
        "Bagger",
        "crane 25t",
        "",
    ];
    let ranges = ["10..25", "..8000", "2015..", "3", "0.5..1.5"];
    let mut rng = Rng(2026);
    let (mut accepted, mut tried) = (0, 0);
    for _ in 0..150 {
        let mut query: Vec<(String, String)> = Vec::new();
        let mut body = serde_json::Map::new();
        let q = rng.pick(&words).to_string();
        query.push(("q".into(), q.clone()));
        body.insert("q".into(), json!(q));
        if rng.chance(40) {
            let lang = rng.pick(&["ja", "en", "de", "zh"]).to_string();
            query.push(("lang".into(), lang.clone()));
            body.insert("lang".into(), json!(lang));
        }
        for (name, pool) in [("maker", &makers), ("category", &categories)] {
            if rng.chance(40) {
                let picked: Vec<String> = (0..1 + rng.next() % 2)
                    .map(|_| rng.pick(pool).clone())
                    .collect();
                query.extend(picked.iter().map(|v| (name.to_owned(), v.clone())));
                body.insert(name.into(), json!(picked));
            }
        }
        let mut facets = vec!["category".to_owned(), "maker".to_owned()];
        let mut spec_body = serde_json::Map::new();
        if rng.chance(60) {
            let (id, number) = rng.pick(&specs).clone();
            if number {
                let r = rng.pick(&ranges).to_string();
                query.push((format!("spec.{id}"), r.clone()));
                spec_body.insert(id.clone(), json!(r));
            }
            facets.push(format!("spec.{id}"));
        }
        if !spec_body.is_empty() {
            body.insert("spec".into(), Value::Object(spec_body));
        }
        for name in ["year", "hours", "price"] {
            if rng.chance(25) {
                let r = rng.pick(&ranges).to_string();
                query.push((name.into(), r.clone()));
                body.insert(name.into(), json!(r));
                facets.push(name.into());
            }
        }
        if rng.chance(30) {
            let c = rng.pick(&["EUR", "JPY", "USD"]).to_string();
            query.push(("currency".into(), c.clone()));
            body.insert("currency".into(), json!(c));
        }
        let facets = facets.join(",");
        query.push(("facets".into(), facets.clone()));
        body.insert("facets".into(), json!(facets));
        if rng.chance(50) {
            let sort = rng
                .pick(&["relevance", "price", "year", "hours", "newest"])
                .to_string();
            let order = rng.pick(&["asc", "desc"]).to_string();
            query.extend([
                ("sort".into(), sort.clone()),
                ("order".into(), order.clone()),
            ]);
            body.insert("sort".into(), json!(sort));
            body.insert("order".into(), json!(order));
        }
        let (offset, limit) = (rng.next() % 50, 1 + rng.next() % 100);
        query.extend([
            ("offset".into(), offset.to_string()),
            ("limit".into(), limit.to_string()),
        ]);
        body.insert("offset".into(), json!(offset));
        body.insert("limit".into(), json!(limit));
        let get = Call {
            method: "GET",
            path: "/search".into(),
            query,
            body: None,
        };
        let post = Call {
            method: "POST",
            path: "/search".into(),
            query: Vec::new(),
            body: Some(Value::Object(body)),
        };
        for call in [get, post] {
            tried += 1;
            if send(&s, &call) == 200 {
                accepted += 1;
                validate(&api, &call);
            }
        }
    }
    assert!(
        accepted * 10 >= tried * 8,
        "most generated searches are valid: {accepted} of {tried}"
    );
}
