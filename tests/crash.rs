//! Crash safety: `stockyard ingest` is killed with SIGKILL at random moments while it
//! appends and indexes ~50k events, and restarted each time. At the end every event is
//! in the log once, and the text index and the graph equal a clean build from that log.

#![cfg(unix)]

#[path = "common/catalog.rs"]
mod catalog;

use catalog::{assert_same, clean_build, everything, open};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use stockyard::search::LanguageDetector;

const KILLS: usize = 22;
const LISTINGS: usize = 43_000;

/// A small deterministic generator, seeded from the clock (printed, to replay a run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn ingest(data: &std::path::Path, file: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_stockyard"))
        .args(["ingest", "--quiet", "--data-dir"])
        .arg(data)
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn sigkill_at_random_moments_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    let mut out = std::fs::File::create(&file).unwrap();
    let events = stockyard_schema::demo::write_ndjson(11, LISTINGS, &mut out).unwrap();
    drop(out);
    assert!(events >= 50_000, "{events} events");
    let data = dir.path().join("data");

    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let mut rng = Lcg(seed);
    let mut kills = 0;
    let started = Instant::now();
    let mut completed = 0;
    while kills < KILLS {
        let mut child = ingest(&data, &file);
        // Short enough that the work (~15 s in all) outlasts most of the kills; a
        // run that finishes first is simply a run that was not killed.
        std::thread::sleep(Duration::from_millis(50 + rng.next() % 1_400));
        if child.try_wait().unwrap().is_some() {
            completed += 1;
            continue;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    eprintln!(
        "{kills} kills, {completed} runs finished first, in {:?}",
        started.elapsed()
    );
    let status = ingest(&data, &file).wait().unwrap();
    assert!(status.success(), "the last run completes");

    let detector = Arc::new(LanguageDetector::new());
    let survived = open(&data, &detector);
    assert_eq!(
        survived.head(),
        events as u64,
        "every event in the log exactly once"
    );
    let after_crashes = everything(&survived);
    let log = data.join("events.log");
    survived.shutdown();
    drop(survived);

    let rebuilt = clean_build(&log, &dir.path().join("clean"), &detector);
    assert_same(&after_crashes, &rebuilt);
}
