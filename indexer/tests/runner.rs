//! The indexer drives projections from the log: each event applied exactly once across
//! failures and restarts, dead letters kept, status reported. The projection here is a
//! real one on disk: a ledger of applied event ids committed atomically with its
//! checkpoint (write to a temporary file, rename).

use std::path::{Path, PathBuf};
use stockyard_indexer::{DeadLetter, Durability, EventLog, Indexer, Projection, ProjectionError};
use stockyard_schema::{Decoder, Event, Payload};

fn event(id: &str, kind: &str, machine: &str) -> Event {
    let data = match kind {
        "MachineListed" => {
            format!(r#"{{"machine_id":"{machine}","model_id":"pc200","title":"T"}}"#)
        }
        _ => format!(r#"{{"machine_id":"{machine}"}}"#),
    };
    let line =
        format!(r#"{{"id":"{id}","type":"{kind}","at":"2026-11-22T10:00:00Z","data":{data}}}"#);
    Decoder::new().decode(&line).unwrap()
}

/// Applied event ids and the checkpoint, committed together.
struct Ledger {
    path: PathBuf,
    applied: Vec<String>,
    checkpoint: u64,
    /// Fails (commits nothing) on the batch holding this position, once.
    fail_at: Option<u64>,
}

impl Ledger {
    fn open(path: &Path) -> Ledger {
        let (checkpoint, applied) = match std::fs::read_to_string(path) {
            Ok(text) => {
                let mut lines = text.lines();
                let checkpoint = lines.next().unwrap().parse().unwrap();
                (checkpoint, lines.map(str::to_owned).collect())
            }
            Err(_) => (0, Vec::new()),
        };
        Ledger {
            path: path.to_owned(),
            applied,
            checkpoint,
            fail_at: None,
        }
    }
}

impl Projection for Ledger {
    fn name(&self) -> &str {
        "ledger"
    }

    fn checkpoint(&self) -> Result<u64, ProjectionError> {
        Ok(self.checkpoint)
    }

    fn apply(&mut self, batch: &[(u64, Event)]) -> Result<Vec<DeadLetter>, ProjectionError> {
        if let Some(p) = self.fail_at {
            if batch.iter().any(|(q, _)| *q == p) {
                self.fail_at = None;
                return Err(ProjectionError {
                    projection: "ledger".into(),
                    reason: "disk full".into(),
                });
            }
        }
        let mut applied = self.applied.clone();
        let mut dead = Vec::new();
        for (position, e) in batch {
            // Selling a machine never listed cannot be applied.
            if let Payload::MachineSold(r) = &e.payload {
                if !applied
                    .iter()
                    .any(|a| a == &format!("listed {}", r.machine_id))
                {
                    dead.push(DeadLetter {
                        projection: "ledger".into(),
                        position: *position,
                        event_id: e.id.to_string(),
                        reason: format!("machine {} was never listed", r.machine_id),
                    });
                    continue;
                }
            }
            let what = match &e.payload {
                Payload::MachineListed(m) => format!("listed {}", m.id),
                _ => e.id.to_string(),
            };
            applied.push(what);
        }
        let checkpoint = batch.last().map_or(self.checkpoint, |(p, _)| p + 1);
        let tmp = self.path.with_extension("tmp");
        let mut text = format!("{checkpoint}\n");
        for a in &applied {
            text.push_str(a);
            text.push('\n');
        }
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, &self.path).unwrap();
        self.applied = applied;
        self.checkpoint = checkpoint;
        Ok(dead)
    }
}

fn events() -> Vec<Event> {
    vec![
        event("e1", "MachineListed", "M1"),
        event("e2", "MachineListed", "M2"),
        event("e3", "MachineSold", "M9"),
        event("e4", "MachineSold", "M1"),
        event("e5", "MachineListed", "M3"),
    ]
}

#[test]
fn each_event_is_applied_once_across_failures_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("events.log");
    let ledger_path = dir.path().join("ledger");
    let (mut log, _) = EventLog::open(&log_path, Durability::EveryAppend).unwrap();
    log.append(&events()).unwrap();

    // GIVEN a projection whose store fails on the second batch …
    let mut ledger = Ledger::open(&ledger_path);
    ledger.fail_at = Some(2);
    let mut indexer = Indexer::new(log, vec![Box::new(ledger)], 2);
    // WHEN it catches up THEN the first batch is committed and the failure reported.
    let err = indexer.catch_up().unwrap_err();
    assert!(err.to_string().contains("disk full"));
    let status = indexer.status();
    assert_eq!(
        (
            status.head,
            status.projections[0].applied,
            status.projections[0].lag
        ),
        (5, 2, 3)
    );
    assert_eq!(
        status.last_error.as_deref(),
        Some("projection ledger: disk full")
    );
    // WHEN it tries again THEN it resumes from the checkpoint, not from 0.
    assert_eq!(indexer.catch_up().unwrap(), 3);
    assert_eq!(indexer.status().last_error, None);
    drop(indexer);

    // WHEN the process restarts with more events THEN only the new ones are applied.
    let (mut log, report) = EventLog::open(&log_path, Durability::EveryAppend).unwrap();
    assert_eq!(report.records, 5);
    let more = log
        .append(&[
            event("e5", "MachineListed", "M3"),
            event("e6", "MachineWithdrawn", "M2"),
        ])
        .unwrap();
    assert_eq!(
        more.duplicates.len(),
        1,
        "e5 redelivered is not logged again"
    );
    let mut indexer = Indexer::new(log, vec![Box::new(Ledger::open(&ledger_path))], 2);
    assert_eq!(indexer.catch_up().unwrap(), 1);
    assert_eq!(indexer.catch_up().unwrap(), 0);

    let ledger = Ledger::open(&ledger_path);
    assert_eq!(ledger.checkpoint, 6);
    assert_eq!(
        ledger.applied,
        ["listed M1", "listed M2", "e4", "listed M3", "e6"],
        "every applicable event exactly once, in log order"
    );
}

#[test]
fn a_bad_event_is_a_dead_letter_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) =
        EventLog::open(&dir.path().join("events.log"), Durability::OsBuffered).unwrap();
    log.append(&events()).unwrap();
    let mut indexer = Indexer::new(
        log,
        vec![Box::new(Ledger::open(&dir.path().join("ledger")))],
        100,
    );
    assert_eq!(indexer.catch_up().unwrap(), 5);
    assert_eq!(
        indexer.dead_letters(),
        [DeadLetter {
            projection: "ledger".into(),
            position: 2,
            event_id: "e3".into(),
            reason: "machine M9 was never listed".into(),
        }]
    );
    let status = indexer.status();
    assert_eq!((status.dead_letters, status.projections[0].lag), (1, 0));
    assert!(status.events_per_second > 0.0);
}
