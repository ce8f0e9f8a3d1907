//! The command line: `ingest` then `rebuild` on a data directory, `status` of a
//! running service, `generate`, and configuration mistakes.

#[path = "common/server.rs"]
mod server;

use std::process::Command;

fn stockyard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stockyard"))
        .args(args)
        .env_remove("STOCKYARD_API_KEYS")
        .output()
        .unwrap()
}

fn ingest(data: &str, file: &std::path::Path) -> std::process::Output {
    stockyard(&[
        "ingest",
        "--quiet",
        "--data-dir",
        data,
        file.to_str().unwrap(),
    ])
}

/// `stockyard generate` of `listings` listings into `file`; returns the NDJSON.
fn generate(seed: u32, listings: u32, file: &std::path::Path) -> Vec<u8> {
    let seed = seed.to_string();
    let listings = listings.to_string();
    let generated = stockyard(&["generate", "--seed", &seed, "--listings", &listings]);
    assert!(generated.status.success());
    std::fs::write(file, &generated.stdout).unwrap();
    generated.stdout
}

#[test]
fn ingest_then_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.ndjson");
    let generated = generate(3, 50, &events);
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let out = ingest(data, &events);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = generated.iter().filter(|b| **b == b'\n').count();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with(&format!("{lines} events appended, 0 already")),
        "{said}"
    );
    // Again: everything is already there.
    let out = ingest(data, &events);
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with(&format!("0 events appended, {lines} already")));
    let out = stockyard(&["rebuild", "--quiet", "--data-dir", data]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("generation 2 rebuilt"));
    assert!(dir.path().join("data/gen-000002").is_dir());
    assert!(!dir.path().join("data/gen-000001").exists());
}

/// GIVEN an indexer allowed to fall only 100 events behind, and slow to commit,
/// WHEN `stockyard ingest` sends a file of several chunks,
/// THEN it waits for its own indexer instead of stopping at the backpressure, and
/// every event ends up appended and indexed.
#[test]
fn ingest_of_a_big_file_waits_for_its_indexer() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.ndjson");
    let generated = generate(5, 8000, &events);
    let lines = generated.iter().filter(|b| **b == b'\n').count();
    assert!(lines > 5_000, "more than one chunk: {lines} lines");
    let config = dir.path().join("stockyard.toml");
    std::fs::write(&config, "[indexer]\nmax_lag = 100\nmax_delay_ms = 1000\n").unwrap();
    let data = dir.path().join("data");
    let out = stockyard(&[
        "--config",
        config.to_str().unwrap(),
        "ingest",
        "--quiet",
        "--data-dir",
        data.to_str().unwrap(),
        events.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with(&format!("{lines} events appended, 0 already"))
            && said.contains(&format!("{lines} events indexed")),
        "{said}"
    );
}

#[test]
fn status_of_a_running_service() {
    let s = server::TestServer::start(true, |_| {});
    let addr = s.base.trim_start_matches("http://");
    let out = stockyard(&["status", "--addr", addr, "--api-key", server::KEY]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["head"], s.json("/ready", 200)["head"]);
    let out = stockyard(&["status", "--addr", addr, "--api-key", "wrong-key-123"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
}

#[test]
fn configuration_mistakes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("stockyard.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\n[graph]\nbackend = \"orientdb\"\n",
    )
    .unwrap();
    let out = stockyard(&["--config", config.to_str().unwrap(), "rebuild"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("backend") && said.contains("`embedded` or `neo4j`"),
        "{said}"
    );
    std::fs::write(&config, "colour = 1\n").unwrap();
    let out = stockyard(&["--config", config.to_str().unwrap(), "rebuild"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("colour"));
}

#[test]
fn sigterm_stops_serve_gracefully_with_everything_committed() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stockyard"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("STOCKYARD_API_KEYS")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // It says where it listens once it serves.
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("serve prints its address").unwrap();
        if let Some(rest) = line.split("serving on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let ready = || {
        std::net::TcpStream::connect(&addr).is_ok_and(|mut s| {
            use std::io::{Read, Write};
            let _ = write!(
                s,
                "GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            );
            let mut r = String::new();
            let _ = s.read_to_string(&mut r);
            r.starts_with("HTTP/1.1 200")
        })
    };
    let started = std::time::Instant::now();
    while !ready() {
        assert!(started.elapsed().as_secs() < 120, "ready in time");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // WHEN it gets SIGTERM THEN it exits cleanly, with every event committed.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    let engine = stockyard::engine::Engine::open(
        stockyard::engine::Settings::new(&data),
        std::sync::Arc::new(stockyard::search::LanguageDetector::new()),
    )
    .unwrap();
    let st = engine.status();
    assert!(st.head > 0);
    assert!(
        st.projections.iter().all(|p| p.applied == st.head),
        "{st:?}"
    );
    engine.shutdown();
}
