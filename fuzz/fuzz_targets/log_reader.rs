//! The event log opened over arbitrary bytes (a damaged or foreign file): opening
//! either fails with an error or gives a log whose every record reads back, and a
//! second open of what the first left finds the same events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockyard_indexer::{Durability, EventLog};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("events.log");
    std::fs::write(&path, data).expect("write the bytes");
    let Ok((log, _report)) = EventLog::open(&path, Durability::OsBuffered) else {
        return;
    };
    let events = log.read_from(0).expect("an opened log reads through");
    assert_eq!(events.len() as u64, log.head());
    drop(log);
    let (again, report) = EventLog::open(&path, Durability::OsBuffered).expect("reopens");
    assert_eq!(
        report.truncated_bytes, 0,
        "the first open left whole records"
    );
    assert_eq!(again.read_from(0).expect("reads"), events);
});
