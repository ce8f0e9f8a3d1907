//! The alerts as an indexer projection: the percolator in memory, the outbox on disk
//! carrying the checkpoint.

use super::notification::Notification;
use super::outbox::{Outbox, OutboxReader, Retention};
use super::percolator::{Compile, Percolator};
use std::path::Path;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use stockyard_indexer::{DeadLetter, Projection, ProjectionError, SharedLog};

/// Events read at a time when the state is rebuilt from the log.
const REPLAY_CHUNK: u64 = 20_000;

fn failed(reason: impl ToString) -> ProjectionError {
    ProjectionError {
        projection: "alerts".into(),
        reason: reason.to_string(),
    }
}

/// What the API reads of the alerts: the outbox, and the saved searches and watches.
#[derive(Clone)]
pub struct AlertsHandle {
    percolator: Arc<RwLock<Percolator>>,
    outbox: Arc<OutboxReader>,
}

impl AlertsHandle {
    /// The committed notifications.
    pub fn outbox(&self) -> &Arc<OutboxReader> {
        &self.outbox
    }

    /// The saved searches and watches, as of the last batch applied.
    pub fn percolator(&self) -> RwLockReadGuard<'_, Percolator> {
        self.percolator.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// Saved searches and watches kept current by events, telling subscribers through
/// the outbox; see the [module docs](crate::alerts).
pub struct AlertsProjection {
    percolator: Arc<RwLock<Percolator>>,
    outbox: Outbox,
    log: SharedLog,
    compile: Compile,
    /// A commit failed after the batch was applied in memory: the state ran ahead of
    /// the checkpoint and is rebuilt from the log before the next batch.
    stale: bool,
}

/// The state after applying the log up to `upto` without telling anyone.
fn replay(log: &SharedLog, upto: u64, compile: Compile) -> Result<Percolator, ProjectionError> {
    let mut p = Percolator::new(compile);
    let mut position = 0;
    while position < upto {
        let events = log
            .read_range(position, REPLAY_CHUNK.min(upto - position))
            .map_err(failed)?;
        if events.is_empty() {
            return Err(failed(format!(
                "the outbox is at {upto} but the log ends at {position}"
            )));
        }
        for (_, e) in &events {
            p.apply(e);
        }
        position += events.len() as u64;
    }
    Ok(p)
}

impl AlertsProjection {
    /// Opens the outbox in `dir`, keeping what `retention` allows, and rebuilds the
    /// state up to its checkpoint from `log`; saved queries are checked with `compile`.
    pub fn open(
        dir: &Path,
        log: SharedLog,
        compile: Compile,
        retention: Retention,
    ) -> Result<AlertsProjection, ProjectionError> {
        std::fs::create_dir_all(dir).map_err(failed)?;
        let outbox = Outbox::open(&dir.join("outbox.ndjson"), retention).map_err(failed)?;
        let percolator = replay(&log, outbox.checkpoint(), compile)?;
        Ok(AlertsProjection {
            percolator: Arc::new(RwLock::new(percolator)),
            outbox,
            log,
            compile,
            stale: false,
        })
    }

    /// A handle for readers on other threads.
    pub fn handle(&self) -> AlertsHandle {
        AlertsHandle {
            percolator: self.percolator.clone(),
            outbox: self.outbox.reader(),
        }
    }
}

impl Projection for AlertsProjection {
    fn name(&self) -> &str {
        "alerts"
    }

    fn checkpoint(&self) -> Result<u64, ProjectionError> {
        Ok(self.outbox.checkpoint())
    }

    /// A saved query that no longer checks against the catalog is a dead letter (the
    /// search is kept and matches nothing); every other event applies.
    fn apply(
        &mut self,
        batch: &[(u64, stockyard_schema::Event)],
    ) -> Result<Vec<DeadLetter>, ProjectionError> {
        let Some((last, _)) = batch.last() else {
            return Ok(Vec::new());
        };
        let mut percolator = self.percolator.write().unwrap_or_else(|e| e.into_inner());
        if self.stale {
            *percolator = replay(&self.log, self.outbox.checkpoint(), self.compile)?;
            self.stale = false;
        }
        let mut next = self.outbox.next_id();
        let mut notifications = Vec::new();
        let mut letters = Vec::new();
        for (position, event) in batch {
            let (drafts, error) = percolator.apply(event);
            if let Some(reason) = error {
                letters.push(DeadLetter {
                    projection: "alerts".into(),
                    position: *position,
                    event_id: event.id.to_string(),
                    reason,
                });
            }
            for d in drafts {
                notifications.push(Notification {
                    id: next,
                    position: *position,
                    at: event.at,
                    subscriber: d.subscriber,
                    kind: d.kind,
                    saved_search_id: d.saved_search_id,
                    card: d.card,
                });
                next += 1;
            }
        }
        drop(percolator);
        if let Err(e) = self.outbox.commit(notifications, last + 1) {
            self.stale = true;
            return Err(failed(e));
        }
        Ok(letters)
    }
}
