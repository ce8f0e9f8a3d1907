//! The service with Neo4j as its graph, on a real Bolt server: facets and browse
//! answers equal those of the embedded graph; while the server is down, the endpoints
//! that need it answer 503 (ingest still takes events); when it is back, the service
//! recovers by itself and the Neo4j projection catches up.

#[path = "common/neo4j.rs"]
mod neo4j_config;
#[path = "common/server.rs"]
mod server;
#[path = "../query-dsl/tests/common/tools.rs"]
mod tools;

use serde_json::Value;
use server::{TestServer, KEY};
use stockyard_schema::{demo, Event};
use tools::{need, BoltServer};

fn post(s: &TestServer, body: String) -> u16 {
    s.client()
        .post(format!("{}/events", s.base))
        .bearer_auth(KEY)
        .header("Content-Type", "application/x-ndjson")
        .body(body)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// Waits until every projection of `s` has applied the whole log.
fn caught_up(s: &TestServer) {
    s.wait_status(|st| {
        let projections = st["projections"].as_array().unwrap();
        !projections.is_empty() && projections.iter().all(|p| p["lag"] == 0)
    });
}

/// The answers, with relevance scores to 3 decimal places: the two services' text
/// indexes hold the same documents but were committed in different batches (the
/// Neo4j service's indexer retried while Neo4j was down), and BM25 sums f32 terms per
/// segment, so the last digit of a score may differ; the graph answers must not.
fn answers(s: &TestServer) -> Vec<Value> {
    fn round_scores(v: &mut Value) {
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    match (k.as_str(), x.as_f64()) {
                        ("score", Some(f)) => *x = ((f * 1e3).round() / 1e3).into(),
                        _ => round_scores(x),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(round_scores),
            _ => {}
        }
    }
    let mut all = s.answers(&[
        "/search?q=excavator&facets=category,maker,model&limit=20",
        "/search?maker=komatsu&maker=hitachi&facets=category,maker,model&limit=20",
        "/categories?lang=ja",
        "/makers",
        "/makers/komatsu/models",
    ]);
    all.iter_mut().for_each(round_scores);
    all
}

#[test]
fn neo4j_answers_like_embedded_goes_503_when_down_and_recovers() {
    let Some(bolt) = need(
        BoltServer::start("serve"),
        "python3 and shared/tools/bolt-server",
    ) else {
        return;
    };
    let events: Vec<Event> = demo::generate(6, 120).collect();
    let body: String = events.iter().map(|e| e.to_json() + "\n").collect();
    let graph = neo4j_config::config(&bolt);
    // GIVEN the same events in a service on Neo4j and one on the embedded graph
    let neo = TestServer::start(false, move |c| {
        c.graph.backend = stockyard::config::GraphBackend::Neo4j;
        c.graph.uri = graph.uri;
        c.graph.user = graph.user;
        c.graph.password = graph.password.into();
        c.graph.database = graph.database;
    });
    let embedded = TestServer::start(false, |_| {});
    assert_eq!(post(&neo, body.clone()), 202);
    assert_eq!(post(&embedded, body), 202);
    caught_up(&neo);
    caught_up(&embedded);
    // THEN they answer alike.
    assert_eq!(answers(&neo), answers(&embedded));

    // WHEN Neo4j goes down THEN what needs it is a 503 with a clear message …
    bolt.stop();
    let v = neo.json("/search?q=excavator", 503);
    assert_eq!(v["error"]["code"], "graph_unavailable");
    assert!(v["error"]["message"].as_str().unwrap().contains("Neo4j"));
    assert_eq!(
        neo.json("/categories", 503)["error"]["code"],
        "graph_unavailable"
    );
    // … while events are still taken.
    let late = r#"{"id":"late-1","type":"MachineListed","at":"2026-11-22T00:00:00Z","data":{"machine_id":"LATE-1","model_id":"komatsu-pc200-10","title":{"en":"Listed while Neo4j was down"}}}"#;
    assert_eq!(post(&neo, format!("{late}\n")), 202);
    assert_eq!(post(&embedded, format!("{late}\n")), 202);

    // WHEN it is back THEN the service recovers by itself and catches up.
    bolt.restart();
    caught_up(&neo);
    caught_up(&embedded);
    assert_eq!(answers(&neo), answers(&embedded));
}
