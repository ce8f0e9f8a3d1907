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

#[test]
fn ingest_then_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.ndjson");
    let generated = stockyard(&["generate", "--seed", "3", "--listings", "50"]);
    assert!(generated.status.success());
    std::fs::write(&events, &generated.stdout).unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let out = stockyard(&[
        "ingest",
        "--quiet",
        "--data-dir",
        data,
        events.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = generated.stdout.iter().filter(|b| **b == b'\n').count();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with(&format!("{lines} events appended, 0 already")),
        "{said}"
    );
    // Again: everything is already there.
    let out = stockyard(&[
        "ingest",
        "--quiet",
        "--data-dir",
        data,
        events.to_str().unwrap(),
    ]);
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
    assert!(String::from_utf8_lossy(&out.stderr).contains("graph.backend"));
    std::fs::write(&config, "colour = 1\n").unwrap();
    let out = stockyard(&["--config", config.to_str().unwrap(), "rebuild"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("colour"));
}
