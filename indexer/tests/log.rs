//! The event log: positions, deduplication by id, and recovery from interrupted writes.

use std::io::Write;
use stockyard_indexer::{Durability, EventLog};
use stockyard_schema::{Decoder, Event};

fn event(id: &str, machine: &str) -> Event {
    let line = format!(
        r#"{{"id":"{id}","type":"MachineSold","at":"2026-11-22T10:00:00Z","data":{{"machine_id":"{machine}"}}}}"#
    );
    Decoder::new().decode(&line).unwrap()
}

fn ids(events: &[(u64, Event)]) -> Vec<(u64, String)> {
    events.iter().map(|(p, e)| (*p, e.id.to_string())).collect()
}

#[test]
fn appends_get_positions_and_read_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, report) =
        EventLog::open(&dir.path().join("events.log"), Durability::EveryAppend).unwrap();
    assert_eq!((report.records, report.truncated_bytes), (0, 0));
    let a = log.append(&[event("e1", "M1"), event("e2", "M2")]).unwrap();
    assert_eq!((a.first, a.last), (Some(0), Some(1)));
    let b = log.append(&[event("e3", "M3")]).unwrap();
    assert_eq!((b.first, b.last), (Some(2), Some(2)));
    assert_eq!(log.head(), 3);
    assert_eq!(
        ids(&log.read_from(1).unwrap()),
        [(1, "e2".to_owned()), (2, "e3".to_owned())]
    );
    assert_eq!(
        ids(&log.read_range(0, 2).unwrap()),
        [(0, "e1".to_owned()), (1, "e2".to_owned())]
    );
    assert!(log.read_from(3).unwrap().is_empty());
    let back = &log.read_from(0).unwrap()[2].1;
    assert_eq!(back, &event("e3", "M3"), "events come back whole");
}

#[test]
fn an_event_id_is_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.log");
    let (mut log, _) = EventLog::open(&path, Durability::OsBuffered).unwrap();
    log.append(&[event("e1", "M1"), event("e2", "M2")]).unwrap();
    let again = log
        .append(&[event("e2", "M2"), event("e3", "M3"), event("e3", "M3")])
        .unwrap();
    assert_eq!((again.first, again.last), (Some(2), Some(2)));
    let dups: Vec<String> = again.duplicates.iter().map(|d| d.to_string()).collect();
    assert_eq!(dups, ["e2", "e3"]);
    drop(log);
    // Deduplication survives a restart.
    let (mut log, report) = EventLog::open(&path, Durability::EveryAppend).unwrap();
    assert_eq!(report.records, 3);
    let none = log.append(&[event("e1", "M1")]).unwrap();
    assert_eq!((none.first, none.duplicates.len()), (None, 1));
    assert_eq!(log.position_of(&event("e3", "M3").id), Some(2));
}

#[test]
fn an_interrupted_write_is_cut_and_appends_continue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.log");
    {
        let (mut log, _) = EventLog::open(&path, Durability::EveryAppend).unwrap();
        log.append(&[event("e1", "M1"), event("e2", "M2"), event("e3", "M3")])
            .unwrap();
    }
    let whole = std::fs::metadata(&path).unwrap().len();
    // A crash in the middle of the next record: its header and half its bytes.
    let payload = event("e4", "M4").to_json();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(&(payload.len() as u32).to_le_bytes()).unwrap();
    f.write_all(&crc32fast_hash(payload.as_bytes()).to_le_bytes())
        .unwrap();
    f.write_all(&payload.as_bytes()[..payload.len() / 2])
        .unwrap();
    drop(f);

    let (mut log, report) = EventLog::open(&path, Durability::EveryAppend).unwrap();
    assert_eq!(report.records, 3);
    assert_eq!(report.truncated_bytes, 8 + payload.len() as u64 / 2);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
    let a = log.append(&[event("e4", "M4")]).unwrap();
    assert_eq!(a.first, Some(3));
    assert_eq!(
        ids(&log.read_from(2).unwrap()),
        [(2, "e3".to_owned()), (3, "e4".to_owned())]
    );
}

#[test]
fn a_last_record_with_a_bad_checksum_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.log");
    {
        let (mut log, _) = EventLog::open(&path, Durability::EveryAppend).unwrap();
        log.append(&[event("e1", "M1"), event("e2", "M2")]).unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let (log, report) = EventLog::open(&path, Durability::EveryAppend).unwrap();
    assert_eq!(report.records, 1);
    assert!(report.truncated_bytes > 0);
    assert_eq!(ids(&log.read_from(0).unwrap()), [(0, "e1".to_owned())]);
    assert_eq!(
        log.position_of(&event("e2", "M2").id),
        None,
        "the cut event can come again"
    );
}

/// The log's checksum, computed independently of the crate under test.
#[test]
fn a_damaged_record_in_the_middle_is_refused_not_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.log");
    let (mut log, _) = EventLog::open(&path, Durability::EveryAppend).unwrap();
    log.append(&[event("e1", "M1"), event("e2", "M2"), event("e3", "M3")])
        .unwrap();
    drop(log);
    // GIVEN a flipped byte inside the second record (a disk fault, not a crash)
    let mut bytes = std::fs::read(&path).unwrap();
    let first_len = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
    bytes[8 + first_len + 8 + 3] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    // WHEN the log opens THEN it refuses, and the file is left whole.
    let err = EventLog::open(&path, Durability::EveryAppend)
        .err()
        .unwrap();
    assert!(err.to_string().contains("damaged"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing was cut");
}

fn crc32fast_hash(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
