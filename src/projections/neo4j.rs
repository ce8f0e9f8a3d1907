//! The Neo4j graph as a projection: each batch and the projection's offset node are
//! written in one transaction.

use crate::graph::{GraphError, Neo4jConfig, Neo4jWriter};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use stockyard_indexer::{DeadLetter, Projection, ProjectionError};
use stockyard_schema::Event;

/// Longest a connection or a batch may take before the server counts as unreachable
/// (the driver itself retries for up to a minute).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(15);
/// How long to wait after losing the server before trying again: meanwhile every call
/// fails at once, so the other projections are not held back.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The Neo4j graph, kept current by events. It connects when first used and again
/// after losing the server, so a Neo4j that is down holds back only this projection
/// (reported in the status, retried by the indexer). It runs its own single-threaded
/// runtime, so that the synchronous indexer can drive the asynchronous driver.
pub struct Neo4jProjection {
    config: Neo4jConfig,
    /// Its offset node's name (one per generation).
    offset: String,
    runtime: tokio::runtime::Runtime,
    connection: Mutex<Option<Connected>>,
    /// No new attempt before this instant (set when the server was lost).
    retry_at: Mutex<Option<Instant>>,
}

struct Connected {
    graph: Neo4jWriter,
    checkpoint: u64,
}

fn failed(e: impl ToString) -> ProjectionError {
    ProjectionError {
        projection: "neo4j".into(),
        reason: e.to_string(),
    }
}

impl Neo4jProjection {
    /// A projection into the database of `config`, its position stored in the offset
    /// node `offset`. Does not connect yet.
    pub fn new(config: Neo4jConfig, offset: impl Into<String>) -> Neo4jProjection {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a single-threaded runtime needs no more than the process has");
        Neo4jProjection {
            config,
            offset: offset.into(),
            runtime,
            connection: Mutex::new(None),
            retry_at: Mutex::new(None),
        }
    }

    /// Runs `f` on the projection's runtime within [`OPERATION_TIMEOUT`].
    fn timed<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, GraphError>>,
    ) -> Result<T, GraphError> {
        // The timer must be made inside the runtime.
        self.runtime
            .block_on(async { tokio::time::timeout(OPERATION_TIMEOUT, f).await })
            .unwrap_or_else(|_| {
                Err(GraphError::Unreachable {
                    uri: self.config.uri.clone(),
                    reason: format!("no answer within {OPERATION_TIMEOUT:?}"),
                })
            })
    }

    /// Runs `f` on the connection, connecting first when needed; a lost server drops
    /// the connection so that the next call connects again.
    fn with<T>(
        &self,
        f: impl FnOnce(&Self, &mut Connected) -> Result<T, GraphError>,
    ) -> Result<T, ProjectionError> {
        let mut retry_at = self.retry_at.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = *retry_at {
            if Instant::now() < at {
                return Err(failed(format!(
                    "Neo4j at {} is unreachable; next attempt in {:?}",
                    self.config.uri,
                    at - Instant::now()
                )));
            }
        }
        let mut slot = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        let result = (|| {
            if slot.is_none() {
                let graph = self.timed(Neo4jWriter::connect(&self.config))?;
                let checkpoint = self.timed(graph.graph().offset(&self.offset))?;
                *slot = Some(Connected { graph, checkpoint });
            }
            f(self, slot.as_mut().expect("connected above"))
        })();
        match &result {
            Err(GraphError::Unreachable { .. }) => {
                *slot = None;
                *retry_at = Some(Instant::now() + RETRY_AFTER);
            }
            _ => *retry_at = None,
        }
        result.map_err(failed)
    }
}

impl Projection for Neo4jProjection {
    fn name(&self) -> &str {
        "neo4j"
    }

    fn checkpoint(&self) -> Result<u64, ProjectionError> {
        self.with(|_, c| Ok(c.checkpoint))
    }

    fn apply(&mut self, batch: &[(u64, Event)]) -> Result<Vec<DeadLetter>, ProjectionError> {
        let Some((last, _)) = batch.last() else {
            return Ok(Vec::new());
        };
        let checkpoint = last + 1;
        let offset = self.offset.clone();
        self.with(|this, c| {
            this.timed(
                c.graph
                    .apply_committed(batch.iter().map(|(_, e)| e), &offset, checkpoint),
            )?;
            c.checkpoint = checkpoint;
            Ok(())
        })?;
        Ok(Vec::new())
    }
}
