//! The Neo4j graph as a projection: each batch and the projection's offset node are
//! written in one transaction.

use crate::graph::{GraphError, Neo4jConfig, Neo4jGraph};
use crate::search::currency::Rates;
use stockyard_indexer::{DeadLetter, Projection, ProjectionError};
use stockyard_schema::Event;

/// The name its offset node is stored under.
const NAME: &str = "graph";

/// The Neo4j graph, kept current by events. It runs its own single-threaded runtime,
/// so the (synchronous) indexer can drive the (asynchronous) driver.
pub struct Neo4jProjection {
    graph: Neo4jGraph,
    runtime: tokio::runtime::Runtime,
    checkpoint: u64,
}

fn failed(e: GraphError) -> ProjectionError {
    ProjectionError {
        projection: "neo4j".into(),
        reason: e.to_string(),
    }
}

impl Neo4jProjection {
    /// Connects and reads the offset stored in the graph.
    pub fn open(config: &Neo4jConfig) -> Result<Neo4jProjection, GraphError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| GraphError::Unreachable {
                uri: config.uri.clone(),
                reason: e.to_string(),
            })?;
        let graph = runtime.block_on(Neo4jGraph::connect(config))?;
        let checkpoint = runtime.block_on(graph.offset(NAME))?;
        Ok(Neo4jProjection {
            graph,
            runtime,
            checkpoint,
        })
    }

    /// The graph, for queries; run them with [`Neo4jProjection::block_on`].
    pub fn graph(&self) -> &Neo4jGraph {
        &self.graph
    }

    /// Runs a query future on the projection's runtime.
    pub fn block_on<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.runtime.block_on(f)
    }
}

impl Projection for Neo4jProjection {
    fn name(&self) -> &str {
        "neo4j"
    }

    fn checkpoint(&self) -> Result<u64, ProjectionError> {
        Ok(self.checkpoint)
    }

    fn apply(&mut self, batch: &[(u64, Event)]) -> Result<Vec<DeadLetter>, ProjectionError> {
        let Some((last, _)) = batch.last() else {
            return Ok(Vec::new());
        };
        let events: Vec<Event> = batch.iter().map(|(_, e)| e.clone()).collect();
        let checkpoint = last + 1;
        self.runtime
            .block_on(
                self.graph
                    .apply_committed(&events, &Rates, NAME, checkpoint),
            )
            .map_err(failed)?;
        self.checkpoint = checkpoint;
        Ok(Vec::new())
    }
}
