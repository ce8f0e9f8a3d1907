//! A projection in a few lines: counts live listings per model, from a log on disk.
//!
//! `cargo run -p stockyard-indexer --example count_listings`
//!
//! Appends a few events (one twice: the log keeps it once), catches up, and prints
//! where the projection stands. A real projection commits its checkpoint with its data
//! (see `Projection`); this one keeps both in memory.

use std::collections::BTreeMap;
use stockyard_indexer::{DeadLetter, Durability, EventLog, Indexer, Projection, ProjectionError};
use stockyard_schema::{Decoder, Event, Payload};

#[derive(Default)]
struct LiveByModel {
    models: BTreeMap<String, String>,
    live: BTreeMap<String, u64>,
    checkpoint: u64,
}

impl Projection for LiveByModel {
    fn name(&self) -> &str {
        "live-by-model"
    }

    fn checkpoint(&self) -> Result<u64, ProjectionError> {
        Ok(self.checkpoint)
    }

    fn apply(&mut self, batch: &[(u64, Event)]) -> Result<Vec<DeadLetter>, ProjectionError> {
        let mut letters = Vec::new();
        for (position, event) in batch {
            match &event.payload {
                Payload::MachineListed(m) => {
                    self.models.insert(m.id.to_string(), m.model_id.to_string());
                    *self.live.entry(m.model_id.to_string()).or_default() += 1;
                }
                Payload::MachineSold(r) => match self.models.remove(r.machine_id.as_str()) {
                    Some(model) => *self.live.entry(model).or_default() -= 1,
                    None => letters.push(DeadLetter {
                        projection: self.name().into(),
                        position: *position,
                        event_id: event.id.to_string(),
                        reason: format!("machine {} is not listed", r.machine_id),
                    }),
                },
                _ => {}
            }
            self.checkpoint = position + 1;
        }
        Ok(letters)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lines = r#"{"id":"e1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M1","model_id":"pc200","title":"PC200-8"}}
{"id":"e2","type":"MachineListed","at":"2026-11-22T10:01:00Z","data":{"machine_id":"M2","model_id":"pc200","title":"PC200-10"}}
{"id":"e3","type":"MachineListed","at":"2026-11-22T10:02:00Z","data":{"machine_id":"M3","model_id":"zx135","title":"ZX135US"}}
{"id":"e4","type":"MachineSold","at":"2026-11-22T11:00:00Z","data":{"machine_id":"M1"}}
{"id":"e5","type":"MachineSold","at":"2026-11-22T11:00:00Z","data":{"machine_id":"M9"}}"#;
    let mut decoder = Decoder::new();
    let events: Vec<Event> = decoder.ndjson(lines).collect::<Result<_, _>>()?;

    let dir = std::env::temp_dir().join(format!("stockyard-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (mut log, _) = EventLog::open(&dir.join("events.log"), Durability::EveryAppend)?;
    log.append(&events)?;
    let again = log.append(&events[..1])?;
    println!(
        "appended {} events; resent e1 skipped: {:?}",
        log.head(),
        again.duplicates
    );

    let mut indexer = Indexer::new(log, vec![Box::new(LiveByModel::default())], 2);
    let applied = indexer.catch_up()?;
    let status = indexer.status();
    println!(
        "applied {applied}; head {}, lag {}",
        status.head, status.projections[0].lag
    );
    for letter in indexer.dead_letters() {
        println!(
            "dead letter at {}: {} ({})",
            letter.position, letter.event_id, letter.reason
        );
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
