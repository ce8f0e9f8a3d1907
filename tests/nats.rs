//! Several replicas fed by one NATS JetStream stream (a real nats-server started on
//! 127.0.0.1): they converge to identical answers, redelivered messages do not count
//! twice, and a replica started late catches up.

#[path = "common/nats.rs"]
mod nats;
#[path = "common/server.rs"]
mod server;

use serde_json::Value;
use server::TestServer;
use stockyard::config::SourceConfig;
use stockyard_schema::{demo, Event};

const SUBJECT: &str = "catalog.events";

fn replica(url: &str, consumer: &str) -> TestServer {
    let source = SourceConfig::Nats {
        url: url.into(),
        stream: "CATALOG".into(),
        subject: SUBJECT.into(),
        consumer: consumer.into(),
    };
    TestServer::start(false, |c| c.source = source)
}

fn publish(url: &str, events: &[Event]) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        js.get_or_create_stream(async_nats::jetstream::stream::Config {
            name: "CATALOG".into(),
            subjects: vec![SUBJECT.into()],
            ..Default::default()
        })
        .await
        .unwrap();
        for e in events {
            js.publish(SUBJECT, e.to_json().into())
                .await
                .unwrap()
                .await
                .unwrap();
        }
    });
}

/// Waits until the replica's log holds `head` events, all applied.
fn settle(s: &TestServer, head: u64) {
    s.wait_status(|st| {
        st["head"].as_u64() == Some(head)
            && st["projections"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["applied"].as_u64() == Some(head))
    });
}

/// What a buyer would see: searches with facets, and the browse views.
fn answers(s: &TestServer) -> Vec<Value> {
    s.answers(&[
        "/search?q=excavator&facets=category,maker,model&limit=50",
        "/search?lang=ja&facets=category,maker,model,year,price&limit=50&sort=price",
        "/categories?lang=ja",
        "/makers",
    ])
}

#[test]
fn replicas_converge_ignore_redeliveries_and_catch_up() {
    let Some(nats) = nats::NatsServer::start() else {
        return;
    };
    let events: Vec<Event> = demo::generate(3, 400).collect();
    let unique = events.len() as u64;
    let (first, second) = events.split_at(events.len() / 2);
    // GIVEN half the catalog in the stream and two replicas reading it
    publish(&nats.url, first);
    let a = replica(&nats.url, "replica-a");
    let b = replica(&nats.url, "replica-b");
    // WHEN the rest arrives, with a stretch of old events published again
    publish(&nats.url, second);
    publish(&nats.url, &first[..50]);
    // THEN both hold every event once and give the same answers.
    settle(&a, unique);
    settle(&b, unique);
    let answers_a = answers(&a);
    assert!(answers_a[0]["total"].as_u64().unwrap() > 0);
    assert_eq!(answers_a, answers(&b));
    // AND a replica started late catches up to the same answers.
    let c = replica(&nats.url, "replica-c");
    settle(&c, unique);
    assert_eq!(answers(&c), answers_a);
}
