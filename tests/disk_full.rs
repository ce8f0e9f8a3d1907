//! A full disk under the event log: ingest answers 507 and keeps nothing, search goes
//! on serving what was there, nothing half-written is left in the log, and ingest
//! works again once there is room. The disk is a real 8 MB tmpfs, filled for real.

#[path = "common/server.rs"]
mod server;

use serde_json::Value;
use server::TestServer;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use stockyard_indexer::{Durability, EventLog};

/// A small tmpfs, unmounted (lazily: the test's server keeps files open) on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    /// Mounts one, or says why not (mounting needs root, as in CI).
    fn mount(dir: &Path) -> Result<SmallDisk, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(SmallDisk(dir.to_owned()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn listings(from: usize, to: usize) -> String {
    (from..to)
        .map(|i| {
            format!(
                r#"{{"id":"ev-{i}","type":"MachineListed","at":"2026-11-01T00:00:00Z","data":{{"machine_id":"M-{i}","model_id":"m","title":"sandpiper excavator number {i} with a long enough title to take some room"}}}}"#
            ) + "\n"
        })
        .collect()
}

fn post(s: &TestServer, body: String) -> (u16, Value) {
    s.ingest(body)
}

/// Writes zeros into `path` until the file system refuses; returns the bytes written.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::StorageFull, "{e}");
                break;
            }
        }
    }
    let _ = f.sync_all();
    written
}

fn total(s: &TestServer) -> u64 {
    s.json("/search?q=sandpiper&limit=1", 200)["total"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_full_disk_refuses_ingest_with_507_and_loses_nothing() {
    let root = tempfile::tempdir().unwrap();
    let mount = root.path().join("disk");
    std::fs::create_dir(&mount).unwrap();
    let _disk = match SmallDisk::mount(&mount) {
        Ok(d) => d,
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: cannot mount a tmpfs here ({why})");
            return;
        }
        Err(why) => panic!("CI runs as root and can mount a tmpfs: {why}"),
    };
    let data = mount.join("data");
    let s = TestServer::start(false, |c| c.data_dir = data.clone());

    // GIVEN twenty listings, searchable
    let (status, _) = post(&s, listings(0, 20));
    assert_eq!(status, 202);
    assert_eq!(total(&s), 20);
    let head = s.status()["head"].as_u64().unwrap();

    // WHEN the disk fills up and two hundred more arrive
    let filler = mount.join("filler");
    assert!(fill(&filler) > 0);
    let (status, body) = post(&s, listings(20, 220));

    // THEN ingest says why it kept nothing, and what was there is still served
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_storage");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("disk space"), "{message}");
    assert_eq!(
        s.status()["head"].as_u64(),
        Some(head),
        "nothing acknowledged"
    );
    assert_eq!(total(&s), 20);

    // AND the log holds whole records only: a copy opens without cutting anything
    let copy = root.path().join("events.log");
    std::fs::copy(data.join("events.log"), &copy).unwrap();
    let (log, report) = EventLog::open(&copy, Durability::OsBuffered).unwrap();
    assert_eq!((report.truncated_bytes, log.head()), (0, head));

    // WHEN room is made, THEN the same request goes through, every event once
    std::fs::remove_file(&filler).unwrap();
    let (status, body) = post(&s, listings(20, 220));
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 200);
    assert_eq!(total(&s), 220);
    assert_eq!(s.status()["head"].as_u64(), Some(head + 200));
}
