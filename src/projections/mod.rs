//! The service's read models as indexer projections (see `stockyard_indexer`): the
//! text index and the embedded graph, each committing its checkpoint with its data.

mod catalog;
mod graph;
pub mod keys;
mod text;

pub use graph::{GraphHandle, GraphProjection};
pub use text::TextProjection;
