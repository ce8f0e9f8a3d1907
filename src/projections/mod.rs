//! The service's read models as indexer projections (see `stockyard_indexer`): the
//! text index, the embedded graph and the Neo4j graph, each committing its checkpoint
//! with its data.

mod catalog;
mod graph;
pub mod keys;
mod neo4j;
mod text;

pub use graph::{GraphHandle, GraphProjection};
pub use neo4j::Neo4jProjection;
pub use text::TextProjection;
