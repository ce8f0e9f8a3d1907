//! The catalog graph and the facets a search needs.
//!
//! The graph is the schema crate's model: machines of models made by makers, in a
//! category tree, with specs in spec categories. A search hands its hit set (machine
//! keys) here and gets back, in one call, the counts by category (rolled up the tree),
//! maker and model, each **disjunctive** (a group's counts ignore its own selection
//! but apply all others, as marketplace buyers expect), the numeric spec facets, and
//! the filtered hit set itself.
//!
//! [`EmbeddedGraph`] keeps it in process, designed for speed: dense integer ids, a
//! roaring bitmap of live machines per model and per category, counts as bitmap
//! intersections.

mod browse;
mod embedded;
mod facets;
mod neo4j;
mod snapshot;

pub use browse::{CategoryTree, ModelView, SpecView};
pub use embedded::EmbeddedGraph;
pub use facets::{FacetCount, FacetRequest, Facets, NumberFilter, Range, Selections, SpecFacet};
pub use neo4j::{GraphError, Neo4jConfig, Neo4jGraph};
pub use snapshot::SnapshotError;
