//! The alerts as a follower of the graph projection: the percolator watches the graph
//! move one event at a time, and the outbox commits the notifications before the
//! graph commits its snapshot.
//!
//! Why not a projection of their own: matching judges each machine against the
//! catalog just before and just after its event, which needs a graph at every step of
//! a batch. Keeping a second copy of the graph for that doubled the memory of a large
//! catalog; following the graph projection's own working copy costs nothing.
//!
//! **Exactly once across crashes.** The outbox is written (and synced) before the
//! graph's snapshot. A crash between the two leaves the outbox ahead: the graph
//! applies those events again, the percolator tells the same notifications again (the
//! same events give the same notifications), and the outbox drops every notification
//! of a position it has already committed.

use super::notification::Told;
use super::outbox::{Outbox, OutboxReader, Retention};
use super::percolator::{Compile, Percolator};
use crate::graph::EmbeddedGraph;
use std::path::Path;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use stockyard_indexer::{DeadLetter, ProjectionError, SharedLog};
use stockyard_schema::Event;

/// Notifications a batch gathers before they are committed, when it tells more.
const TELL_EVERY: usize = 250_000;

/// Events read at a time when the state is rebuilt from the log.
const REPLAY_CHUNK: u64 = 20_000;

/// Events' notifications matched ahead of the outbox writer: enough to keep both
/// threads busy, few enough that memory stays small.
const WRITE_AHEAD: usize = 64;

/// What the matching thread hands the outbox writer.
enum ToWrite {
    /// One event's notifications.
    Lines(Vec<Told>),
    /// Commit everything written so far with this checkpoint.
    Commit(u64),
}

/// Writes and commits what `receive` hands over, until it is closed or a write
/// fails. After a failure the rest is received and dropped, so that the matching
/// thread never blocks on a full channel.
fn write(
    outbox: &mut Outbox,
    receive: std::sync::mpsc::Receiver<ToWrite>,
) -> Result<(), super::outbox::OutboxError> {
    let mut result = Ok(());
    for message in receive {
        if result.is_err() {
            continue;
        }
        result = match message {
            ToWrite::Lines(told) => outbox.write(told),
            ToWrite::Commit(checkpoint) => outbox.commit_written(checkpoint),
        };
    }
    result
}

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
pub struct Alerts {
    percolator: Arc<RwLock<Percolator>>,
    outbox: Outbox,
    log: SharedLog,
    compile: Compile,
    /// Notifications gathered before they are committed mid-batch.
    tell_every: usize,
    /// The state ran ahead of the graph's checkpoint (a commit failed after the batch
    /// was applied): it is rebuilt from the log before the next batch.
    stale: bool,
}

/// The state after the log up to `upto`, which `graph` has applied, without telling
/// anyone.
fn replay(
    log: &SharedLog,
    upto: u64,
    graph: &EmbeddedGraph,
    compile: Compile,
) -> Result<Percolator, ProjectionError> {
    let mut p = Percolator::new(compile);
    let mut position = 0;
    while position < upto {
        let events = log
            .read_range(position, REPLAY_CHUNK.min(upto - position))
            .map_err(failed)?;
        if events.is_empty() {
            return Err(failed(format!(
                "the graph is at {upto} but the log ends at {position}"
            )));
        }
        for (_, e) in &events {
            p.remember(graph, e);
        }
        position += events.len() as u64;
    }
    Ok(p)
}

impl Alerts {
    /// Opens the outbox in `dir`, keeping what `retention` allows, and rebuilds the
    /// state of `graph`, which has applied `log` up to `checkpoint`; saved queries are
    /// checked with `compile`.
    pub fn open(
        dir: &Path,
        log: SharedLog,
        compile: Compile,
        retention: Retention,
        graph: &EmbeddedGraph,
        checkpoint: u64,
    ) -> Result<Alerts, ProjectionError> {
        std::fs::create_dir_all(dir).map_err(failed)?;
        let outbox = Outbox::open(&dir.join("outbox.ndjson"), retention).map_err(failed)?;
        let percolator = replay(&log, checkpoint, graph, compile)?;
        Ok(Alerts {
            percolator: Arc::new(RwLock::new(percolator)),
            outbox,
            log,
            compile,
            tell_every: TELL_EVERY,
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

    /// Applies `batch` to `graph` one event at a time, matching each machine against
    /// the saved searches before and after its event, and commits the notifications
    /// told with `checkpoint`. `committed` is `graph` as of the last commit, at
    /// `committed_at`, to rebuild from when an earlier commit failed. A saved query
    /// that does not check is a dead letter (the search is kept and matches nothing).
    ///
    /// The outbox writes on a thread of its own, an event's notifications while the
    /// next event is matched: at a hundred thousand saved searches a listing tells
    /// hundreds, and writing them cost as much as matching them.
    pub fn apply(
        &mut self,
        graph: &mut EmbeddedGraph,
        batch: &[(u64, Event)],
        checkpoint: u64,
        (committed, committed_at): (&EmbeddedGraph, u64),
    ) -> Result<Vec<DeadLetter>, ProjectionError> {
        let shared = self.percolator.clone();
        let mut percolator = shared.write().unwrap_or_else(|e| e.into_inner());
        if self.stale {
            *percolator = replay(&self.log, committed_at, committed, self.compile)?;
            self.stale = false;
        }
        // Told already when the outbox is ahead of the graph (see the module docs).
        let done = self.outbox.checkpoint();
        let mut next = self.outbox.next_id();
        let tell_every = self.tell_every;
        let outbox = &mut self.outbox;
        let (letters, written) = std::thread::scope(|s| {
            let (send, receive) = std::sync::mpsc::sync_channel::<ToWrite>(WRITE_AHEAD);
            let writer = std::thread::Builder::new()
                .name("outbox-writer".into())
                .spawn_scoped(s, move || write(outbox, receive))
                .expect("a thread for the outbox writer");
            let mut letters = Vec::new();
            let mut uncommitted = 0;
            for (position, event) in batch {
                let before = percolator.before(graph, event);
                graph.apply(std::iter::once(event));
                let (drafts, error) = percolator.after(graph, event, before);
                if let Some(reason) = error {
                    letters.push(DeadLetter {
                        projection: "alerts".into(),
                        position: *position,
                        event_id: event.id.to_string(),
                        reason,
                    });
                }
                if drafts.is_empty() || *position < done {
                    continue;
                }
                let told: Vec<Told> = drafts
                    .into_iter()
                    .map(|d| {
                        next += 1;
                        Told {
                            id: next - 1,
                            position: *position,
                            at: event.at,
                            recipient: d.recipient,
                            kind: d.kind,
                            card: d.card,
                        }
                    })
                    .collect();
                uncommitted += told.len();
                // A send fails only once the writer has failed: it says why below.
                let _ = send.send(ToWrite::Lines(told));
                // A long batch tells as it goes, and subscribers hear sooner. Should
                // the graph's snapshot then fail, the outbox is ahead of it, as after
                // a crash between the two.
                if uncommitted >= tell_every {
                    let _ = send.send(ToWrite::Commit(position + 1));
                    uncommitted = 0;
                }
            }
            // A batch that tells no one leaves the outbox as it is: its checkpoint
            // only marks what was told.
            if uncommitted > 0 {
                let _ = send.send(ToWrite::Commit(checkpoint));
            }
            drop(send);
            let written = writer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (letters, written)
        });
        drop(percolator);
        if let Err(e) = written {
            self.stale = true;
            return Err(failed(e));
        }
        Ok(letters)
    }

    /// The state ran ahead of the graph's checkpoint: rebuild it before the next batch.
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Notification;
    use stockyard_indexer::{Durability, EventLog};

    /// The hand-written test catalog without its listings, then a search for PC200s
    /// saved by three subscribers and three PC200s listed, as positioned events.
    fn events() -> Vec<(u64, Event)> {
        let mut lines: Vec<String> = include_str!("../../tests/data/catalog.ndjson")
            .lines()
            .filter(|l| !l.contains("\"MachineListed\""))
            .map(str::to_owned)
            .collect();
        for who in ["a", "b", "c"] {
            lines.push(format!(
                r#"{{"id":"s-{who}","type":"SavedSearchCreated","at":"2026-02-01T00:00:00Z","data":{{"saved_search_id":"pc200s","subscriber":"{who}","query":{{"model":["pc200"]}}}}}}"#
            ));
        }
        for m in 1..=3 {
            lines.push(format!(
                r#"{{"id":"m-{m}","type":"MachineListed","at":"2026-02-01T00:00:00Z","data":{{"machine_id":"M{m}","model_id":"pc200","title":"PC200"}}}}"#
            ));
        }
        let mut decoder = stockyard_schema::Decoder::new();
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i as u64, decoder.decode(l).unwrap()))
            .collect()
    }

    /// The outbox of `dir` after one batch of `events`, telling every `tell_every`.
    fn outbox_after_one_batch(dir: &Path, tell_every: usize) -> (Vec<Notification>, usize) {
        let (log, _) = EventLog::open(&dir.join("events.log"), Durability::OsBuffered).unwrap();
        let graph = EmbeddedGraph::new();
        let mut alerts = Alerts::open(
            &dir.join("alerts"),
            SharedLog::from(log),
            crate::api::search::saved::compile,
            Retention::default(),
            &graph,
            0,
        )
        .unwrap();
        alerts.tell_every = tell_every;
        let batch = events();
        let end = batch.len() as u64;
        let mut working = graph.clone();
        alerts
            .apply(&mut working, &batch, end, (&graph, 0))
            .unwrap();
        let told = alerts.handle().outbox().after(None, 0, 100).unwrap();
        let commits = std::fs::read_to_string(dir.join("alerts/outbox.ndjson"))
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("{\"checkpoint\""))
            .count();
        (told.iter().map(|n| (**n).clone()).collect(), commits)
    }

    #[test]
    fn a_batch_that_tells_much_commits_as_it_goes_and_tells_the_same() {
        // GIVEN one batch that tells nine notifications (three listings, three searches)
        let (whole, one_commit) = outbox_after_one_batch(tempfile::tempdir().unwrap().path(), 100);
        assert_eq!(whole.len(), 9);
        assert_eq!(one_commit, 1);
        // WHEN the alerts commit every two
        let (in_parts, commits) = outbox_after_one_batch(tempfile::tempdir().unwrap().path(), 2);
        // THEN the outbox is committed in parts and holds the same notifications
        assert!(commits > 1, "{commits} commits");
        assert_eq!(in_parts, whole);
    }
}
