//! Reads from Neo4j when it is the configured graph: one shared connection, made on
//! first use and again after the server was lost, so that the service answers 503
//! while Neo4j is down and recovers by itself when it is back.

use super::{GraphError, Neo4jConfig, Neo4jGraph};
use std::sync::Arc;
use std::time::Duration;

/// Longest wait for a connection or an answer (the driver itself would retry for up
/// to a minute).
const TIMEOUT: Duration = Duration::from_secs(8);

/// Why a read from Neo4j gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The server cannot be reached now; the next read connects again.
    #[error("the Neo4j graph at {uri} cannot be reached ({reason}); retry shortly")]
    Unavailable {
        /// The server's address.
        uri: String,
        /// What happened.
        reason: String,
    },
    /// The server answered with an error.
    #[error("the Neo4j graph failed: {0}")]
    Failed(GraphError),
}

/// The read side of a Neo4j graph.
pub struct NeoReader {
    config: Neo4jConfig,
    graph: tokio::sync::Mutex<Option<Arc<Neo4jGraph>>>,
}

impl NeoReader {
    /// A reader for `config` (connects on first use).
    pub fn new(config: Neo4jConfig) -> NeoReader {
        NeoReader {
            config,
            graph: tokio::sync::Mutex::new(None),
        }
    }

    fn unavailable(&self, reason: impl std::fmt::Display) -> ReadError {
        ReadError::Unavailable {
            uri: self.config.uri.clone(),
            reason: reason.to_string(),
        }
    }

    /// Runs a read, connecting first when needed. A lost server answers 503 and
    /// drops the connection, so that the next request connects again.
    pub async fn read<T, F, Fut>(&self, f: F) -> Result<T, ReadError>
    where
        F: FnOnce(Arc<Neo4jGraph>) -> Fut,
        Fut: std::future::Future<Output = Result<T, GraphError>>,
    {
        let graph = {
            let mut slot = self.graph.lock().await;
            match slot.as_ref() {
                Some(g) => g.clone(),
                None => {
                    let g = tokio::time::timeout(TIMEOUT, Neo4jGraph::connect(&self.config))
                        .await
                        .map_err(|_| self.unavailable("no answer"))?
                        .map_err(|e| self.unavailable(e))?;
                    let g = Arc::new(g);
                    *slot = Some(g.clone());
                    g
                }
            }
        };
        let answer = tokio::time::timeout(TIMEOUT, f(graph))
            .await
            .unwrap_or_else(|_| {
                Err(GraphError::Unreachable {
                    uri: self.config.uri.clone(),
                    reason: format!("no answer within {TIMEOUT:?}"),
                })
            });
        match answer {
            Ok(v) => Ok(v),
            Err(e @ GraphError::Unreachable { .. }) => {
                *self.graph.lock().await = None;
                Err(self.unavailable(e))
            }
            Err(e) => Err(ReadError::Failed(e)),
        }
    }
}
