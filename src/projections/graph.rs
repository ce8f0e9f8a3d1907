//! The embedded graph as a projection, committed as a snapshot that carries its
//! checkpoint.

use crate::alerts::Alerts;
use crate::graph::{EmbeddedGraph, SnapshotError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
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

/// The embedded catalog graph, committed as a snapshot that carries its checkpoint.
pub struct GraphProjection {
    graph: Arc<EmbeddedGraph>,
    handle: GraphHandle,
    snapshot: PathBuf,
    checkpoint: u64,
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
            alerts: None,
        })
    }

    /// The graph, for queries.
    pub fn graph(&self) -> &EmbeddedGraph {
        &self.graph
    }

    /// Lets `alerts` follow the graph from now on; they must have been opened on this
    /// graph at this checkpoint.
    pub fn with_alerts(self, alerts: Alerts) -> GraphProjection {
        GraphProjection {
            alerts: Some(alerts),
            ..self
        }
    }

    /// A handle that follows the graph's commits, for readers on other threads.
    pub fn handle(&self) -> GraphHandle {
        self.handle.clone()
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
        // Apply to a copy: if the snapshot cannot be written, the graph in memory must
        // not run ahead of its checkpoint.
        let mut next = (*self.graph).clone();
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
        if let Err(e) = next.save(&self.snapshot, Some(&checkpoint.to_string())) {
            if let Some(alerts) = &mut self.alerts {
                alerts.mark_stale();
            }
            return Err(ProjectionError {
                projection: "graph".into(),
                reason: e.to_string(),
            });
        }
        self.graph = Arc::new(next);
        self.handle.set(self.graph.clone());
        self.checkpoint = checkpoint;
        Ok(letters)
    }
}
