//! A real Stockyard server for tests: the bundled demo catalog in a fresh data
//! directory, the embedded graph, on a random 127.0.0.1 port.

use std::time::{Duration, Instant};
use stockyard::config::Config;

/// The API key the test servers accept.
pub const KEY: &str = "test-key-0123456789";

/// A running server; stops with the test process.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The engine behind it (to hold its indexer still, say).
    #[allow(dead_code)]
    pub engine: std::sync::Arc<stockyard::engine::Engine>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server, on the demo catalog when `demo` is set, and waits until it is
    /// ready.
    pub fn start(demo: bool, configure: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().join("data"),
            api_keys: vec![KEY.into()],
            ..Config::default()
        };
        config.indexer.max_delay_ms = 20;
        configure(&mut config);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime
                .block_on(stockyard::server::serve(
                    config,
                    demo,
                    |r| tx.send((r.addr, r.engine.clone())).unwrap(),
                    std::future::pending(),
                ))
                .unwrap();
        });
        let (addr, engine) = rx.recv_timeout(Duration::from_secs(120)).unwrap();
        let server = TestServer {
            base: format!("http://{addr}"),
            engine,
            _dir: dir,
        };
        let started = Instant::now();
        while server.get("/ready").status() != 200 {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "ready in time"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// A client.
    pub fn client(&self) -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap()
    }

    /// GET `path`.
    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client()
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap()
    }

    /// GET `path` as JSON, asserting the status.
    pub fn json(&self, path: &str, status: u16) -> serde_json::Value {
        let r = self.get(path);
        assert_eq!(r.status().as_u16(), status, "GET {path}");
        r.json().unwrap()
    }

    /// POSTs NDJSON events with the test key, waiting until they are visible; the
    /// status and the JSON answer (null if none).
    #[allow(dead_code)] // not every test crate ingests
    pub fn ingest(&self, ndjson: impl Into<String>) -> (u16, serde_json::Value) {
        let r = self
            .client()
            .post(format!("{}/events?wait=true", self.base))
            .bearer_auth(KEY)
            .header("Content-Type", "application/x-ndjson")
            .body(ndjson.into())
            .send()
            .unwrap();
        (
            r.status().as_u16(),
            r.json().unwrap_or(serde_json::Value::Null),
        )
    }

    /// `/events/status`, with the test key.
    #[allow(dead_code)] // not every test crate polls the status
    pub fn status(&self) -> serde_json::Value {
        self.client()
            .get(format!("{}/events/status", self.base))
            .bearer_auth(KEY)
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// Polls the status until `done` holds (at most four minutes); returns it.
    #[allow(dead_code)] // see status
    pub fn wait_status(&self, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let status = self.status();
            if done(&status) {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(240),
                "in time: {status}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The answers to `paths` (200 each), without their timings: what a buyer sees,
    /// for comparing two services.
    #[allow(dead_code)] // only the multi-service tests compare
    pub fn answers(&self, paths: &[&str]) -> Vec<serde_json::Value> {
        paths
            .iter()
            .map(|p| {
                let mut v = self.json(p, 200);
                if let Some(o) = v.as_object_mut() {
                    o.remove("took_ms");
                }
                v
            })
            .collect()
    }
}
