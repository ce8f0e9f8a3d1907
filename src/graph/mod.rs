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

mod contract;
mod embedded;
mod neo4j;
mod reader;

pub use contract::{
    CategoryTree, FacetCount, FacetRequest, Facets, GraphError, ModelView, NumberFilter, Placement,
    Range, Selections, SpecCategoryView, SpecFacet, SpecView,
};
pub use embedded::{
    EmbeddedGraph, EntityKind, MachineFacts, NamedEntity, RangeSets, SnapshotError,
};
pub use neo4j::{Neo4jConfig, Neo4jGraph, Neo4jWriter};
pub use reader::{NeoReader, ReadError};

use std::future::Future;
use stockyard_schema::Lang;

/// The seam between the service and a catalog graph: one method per question, named
/// as each implementation names it, with the same answers (the conformance suite holds
/// them to it). The engine asks the configured graph through it; nothing above the
/// engine names a store. Only questions: the embedded graph is written by its
/// projection, Neo4j by a [`Neo4jWriter`], and readers never write.
pub trait CatalogGraph {
    /// Facets over a hit set; see [`EmbeddedGraph::facets`].
    fn facets(
        &self,
        req: &FacetRequest<'_>,
    ) -> impl Future<Output = Result<Facets, GraphError>> + Send;

    /// The category tree with live counts.
    fn category_tree(
        &self,
        lang: Lang,
    ) -> impl Future<Output = Result<Vec<CategoryTree>, GraphError>> + Send;

    /// Registered makers with live counts.
    fn makers(
        &self,
        lang: Lang,
    ) -> impl Future<Output = Result<Vec<FacetCount>, GraphError>> + Send;

    /// A maker's models with live counts; `None` for an unknown maker.
    fn maker_models(
        &self,
        maker_id: &str,
    ) -> impl Future<Output = Result<Option<Vec<FacetCount>>, GraphError>> + Send;

    /// A model with its specs and up to `machines` of its live machines, newest first;
    /// `None` when unknown.
    fn model(
        &self,
        model_id: &str,
        lang: Lang,
        machines: usize,
    ) -> impl Future<Output = Result<Option<ModelView>, GraphError>> + Send;

    /// Other live machines of a machine's model, newest first.
    fn same_model(
        &self,
        machine_id: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<String>, GraphError>> + Send;

    /// The defined spec categories, by id.
    fn spec_categories(
        &self,
        lang: Lang,
    ) -> impl Future<Output = Result<Vec<SpecCategoryView>, GraphError>> + Send;
}

/// An inherent method's answer as a question's: `ready` for the embedded graph,
/// whose answers are immediate, `awaited` for Neo4j.
macro_rules! answer {
    (ready, $e:expr) => {
        Ok($e)
    };
    (awaited, $e:expr) => {
        $e.await
    };
}

/// Forwards each question of [`CatalogGraph`] to the implementation's inherent method
/// of the same name.
macro_rules! forward_questions {
    ($ty:ty, $mode:ident) => {
        impl CatalogGraph for $ty {
            async fn facets(&self, req: &FacetRequest<'_>) -> Result<Facets, GraphError> {
                answer!($mode, <$ty>::facets(self, req))
            }

            async fn category_tree(&self, lang: Lang) -> Result<Vec<CategoryTree>, GraphError> {
                answer!($mode, <$ty>::category_tree(self, lang))
            }

            async fn makers(&self, lang: Lang) -> Result<Vec<FacetCount>, GraphError> {
                answer!($mode, <$ty>::makers(self, lang))
            }

            async fn maker_models(
                &self,
                maker_id: &str,
            ) -> Result<Option<Vec<FacetCount>>, GraphError> {
                answer!($mode, <$ty>::maker_models(self, maker_id))
            }

            async fn model(
                &self,
                model_id: &str,
                lang: Lang,
                machines: usize,
            ) -> Result<Option<ModelView>, GraphError> {
                answer!($mode, <$ty>::model(self, model_id, lang, machines))
            }

            async fn same_model(
                &self,
                machine_id: &str,
                limit: usize,
            ) -> Result<Vec<String>, GraphError> {
                answer!($mode, <$ty>::same_model(self, machine_id, limit))
            }

            async fn spec_categories(
                &self,
                lang: Lang,
            ) -> Result<Vec<SpecCategoryView>, GraphError> {
                answer!($mode, <$ty>::spec_categories(self, lang))
            }
        }
    };
}

forward_questions!(EmbeddedGraph, ready);
forward_questions!(Neo4jGraph, awaited);
