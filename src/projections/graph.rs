//! The embedded graph as a projection, committed as a snapshot that carries its
//! checkpoint.
//!
//! Two costs of a batch do not depend on its size, and at a million listings they
//! outweighed a small batch's events: a copy of the whole graph (readers hold the
//! serving one) and the snapshot written to disk, 130–220 ms and 70–100 ms, so that
//! at 1,000 listing events/s an alert waited a second. So the graph before the last
//! batch is kept as a spare: once readers have let it go, it catches up by applying
//! that batch again and becomes the next working copy, without a copy. And the
//! snapshot is written at most every [`SAVE_EVERY`] (and on a clean stop): after a
//! crash the graph starts from an older snapshot and the indexer applies the events
//! after it again, which the log makes safe (the alerts' outbox drops what it has
//! told already, see `crate::alerts`).

use crate::alerts::Alerts;
use crate::graph::{EmbeddedGraph, SnapshotError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use stockyard_indexer::{DeadLetter, Projection, ProjectionError};
use stockyard_schema::Event;

/// The graph as of the last commit, for readers on other threads: each commit
/// publishes a new immutable graph, so a reader holds one consistent version for as
/// long as it needs it and never waits for the indexer.
#[derive(Clone, Default)]
pub struct GraphHandle(Arc<RwLock<Arc<EmbeddedGraph>>>);

impl GraphHandle {
    /// The current graph.
    pub fn get(&self) -> Arc<EmbeddedGraph> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, graph: Arc<EmbeddedGraph>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = graph;
    }
}

/// How often, at most, the snapshot is written while batches keep coming.
const SAVE_EVERY: Duration = Duration::from_secs(2);

/// Batches up to this many events keep their events for the spare graph to catch up
/// with; a larger one (a rebuild, a bulk ingest) lets the spare go rather than hold
/// a copy of every event.
const SPARE_UP_TO: usize = 20_000;

/// The embedded catalog graph, committed as a snapshot that carries its checkpoint.
///
/// The graph before the last batch is kept as a spare, which catches up with that
/// batch to become the next working copy once readers have let it go (a copy of a
/// million-listing graph per batch cost up to 220 ms); the snapshot is written at most
/// every 2 s and on a clean stop, the log making a crash in between safe.
pub struct GraphProjection {
    graph: Arc<EmbeddedGraph>,
    handle: GraphHandle,
    snapshot: PathBuf,
    checkpoint: u64,
    /// The checkpoint of the snapshot on disk, and when it was written.
    saved: (u64, Instant),
    /// How often, at most, the snapshot is written ([`SAVE_EVERY`]).
    save_every: Duration,
    /// The graph before the last batch, and that batch.
    spare: Option<(Arc<EmbeddedGraph>, Vec<Event>)>,
    /// The alerts, which watch the graph move event by event.
    alerts: Option<Alerts>,
}

impl GraphProjection {
    /// Loads the snapshot in `dir` (or starts empty when there is none).
    pub fn open(dir: &Path) -> Result<GraphProjection, SnapshotError> {
        std::fs::create_dir_all(dir)?;
        let snapshot = dir.join("graph.snapshot");
        let (graph, checkpoint) = if snapshot.exists() {
            let (graph, checkpoint) = EmbeddedGraph::load(&snapshot)?;
            let checkpoint = checkpoint
                .as_deref()
                .map(|c| {
                    c.parse()
                        .map_err(|_| SnapshotError::Format(format!("checkpoint {c:?}")))
                })
                .transpose()?
                .unwrap_or(0);
            (graph, checkpoint)
        } else {
            (EmbeddedGraph::new(), 0)
        };
        let graph = Arc::new(graph);
        let handle = GraphHandle::default();
        handle.set(graph.clone());
        Ok(GraphProjection {
            graph,
            handle,
            snapshot,
            checkpoint,
            saved: (checkpoint, Instant::now()),
            save_every: SAVE_EVERY,
            spare: None,
            alerts: None,
        })
    }

    /// The graph, for queries.
    pub fn graph(&self) -> &EmbeddedGraph {
        &self.graph
    }

    /// Lets `alerts` follow the graph from now on; they must have been opened on this
    /// graph at this checkpoint.
    pub fn with_alerts(mut self, alerts: Alerts) -> GraphProjection {
        self.alerts = Some(alerts);
        self
    }

    /// A handle that follows the graph's commits, for readers on other threads.
    pub fn handle(&self) -> GraphHandle {
        self.handle.clone()
    }

    /// A graph equal to the serving one, to apply the next batch to: the spare
    /// brought up to date when no reader holds it any more, else a copy.
    fn working_copy(&mut self) -> EmbeddedGraph {
        if let Some((spare, missed)) = self.spare.take() {
            if let Ok(mut graph) = Arc::try_unwrap(spare) {
                graph.apply(missed.iter());
                return graph;
            }
        }
        (*self.graph).clone()
    }

    /// Writes the serving graph's snapshot, unless it is on disk already.
    fn save(&mut self) -> Result<(), SnapshotError> {
        if self.saved.0 != self.checkpoint {
            self.graph
                .save(&self.snapshot, Some(&self.checkpoint.to_string()))?;
            self.saved = (self.checkpoint, Instant::now());
        }
        Ok(())
    }
}

impl Drop for GraphProjection {
    /// A clean stop leaves the snapshot current, so that the next start has nothing
    /// to apply again.
    fn drop(&mut self) {
        // A generation a rebuild replaced is deleted, not stopped: nothing to keep.
        if !self.snapshot.parent().is_some_and(Path::exists) {
            return;
        }
        if let Err(e) = self.save() {
            tracing::warn!(error = %e, "the graph snapshot could not be written at close");
        }
    }
}

impl Projection for GraphProjection {
    fn name(&self) -> &str {
        "graph"
    }

    fn checkpoint(&self) -> Result<u64, ProjectionError> {
        Ok(self.checkpoint)
    }

    /// The embedded graph takes every valid event (references to entities not seen
    /// yet resolve when they arrive); its dead letters are the alerts' (saved queries
    /// that do not check).
    fn apply(&mut self, batch: &[(u64, Event)]) -> Result<Vec<DeadLetter>, ProjectionError> {
        let Some((last, _)) = batch.last() else {
            return Ok(Vec::new());
        };
        // Apply to a working copy: if the batch fails, the serving graph must not run
        // ahead of its checkpoint.
        let mut next = self.working_copy();
        let checkpoint = last + 1;
        let letters = match &mut self.alerts {
            None => {
                next.apply(batch.iter().map(|(_, e)| e));
                Vec::new()
            }
            // The alerts' outbox commits first (see `crate::alerts`).
            Some(alerts) => {
                alerts.apply(&mut next, batch, checkpoint, (&self.graph, self.checkpoint))?
            }
        };
        if self.saved.1.elapsed() >= self.save_every {
            if let Err(e) = next.save(&self.snapshot, Some(&checkpoint.to_string())) {
                if let Some(alerts) = &mut self.alerts {
                    alerts.mark_stale();
                }
                return Err(ProjectionError {
                    projection: "graph".into(),
                    reason: e.to_string(),
                });
            }
            self.saved = (checkpoint, Instant::now());
        }
        let previous = std::mem::replace(&mut self.graph, Arc::new(next));
        self.handle.set(self.graph.clone());
        self.checkpoint = checkpoint;
        self.spare = (batch.len() <= SPARE_UP_TO)
            .then(|| (previous, batch.iter().map(|(_, e)| e.clone()).collect()));
        Ok(letters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stockyard_schema::demo;

    fn snapshot_bytes(graph: &EmbeddedGraph, dir: &Path) -> Vec<u8> {
        let path = dir.join("expected.snapshot");
        graph.save(&path, Some("0")).unwrap();
        std::fs::read(path).unwrap()
    }

    #[test]
    fn small_batches_reuse_the_spare_and_a_clean_stop_saves_the_last_one() {
        let dir = tempfile::tempdir().unwrap();
        let events: Vec<(u64, Event)> = demo::generate(3, 400)
            .enumerate()
            .map(|(i, e)| (i as u64, e))
            .collect();
        // GIVEN the demo catalog applied in batches of 25 with no snapshot due, while
        // a reader holds the graph across every third batch (so that those copy it and
        // the others reuse the spare)
        let mut projection = GraphProjection::open(&dir.path().join("graph")).unwrap();
        projection.save_every = Duration::MAX;
        let handle = projection.handle();
        let mut held = None;
        for (i, batch) in events.chunks(25).enumerate() {
            projection.apply(batch).unwrap();
            held = (i % 3 == 0).then(|| handle.get());
        }
        drop(held);
        // THEN the serving graph is the graph of all the events applied at once
        let mut whole = EmbeddedGraph::new();
        whole.apply(events.iter().map(|(_, e)| e));
        let expected = snapshot_bytes(&whole, dir.path());
        assert_eq!(snapshot_bytes(&handle.get(), dir.path()), expected);
        // and a clean stop writes the snapshot: reopened, the graph is whole and at the
        // last checkpoint.
        assert_eq!(projection.saved.0, 0, "no snapshot was due");
        drop(projection);
        let reopened = GraphProjection::open(&dir.path().join("graph")).unwrap();
        assert_eq!(reopened.checkpoint().unwrap(), events.len() as u64);
        assert_eq!(snapshot_bytes(reopened.graph(), dir.path()), expected);
    }
}
