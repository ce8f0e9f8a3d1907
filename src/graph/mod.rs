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
pub use embedded::{EmbeddedGraph, SnapshotError};
pub use neo4j::{Neo4jConfig, Neo4jGraph};
pub use reader::{NeoReader, ReadError};

use std::future::Future;
use stockyard_schema::{Event, Lang};

/// The seam between the service and a catalog graph: both implementations answer the
/// same questions with the same answers (the conformance suite holds them to it).
pub trait CatalogGraph {
    /// Applies events in order; replays change nothing.
    fn apply_events(
        &mut self,
        events: &[Event],
    ) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// The dense key of a machine (the text index's key for it).
    fn key_of(&mut self, machine_id: &str) -> u32;

    /// Facets over a hit set; see [`EmbeddedGraph::facets`].
    fn count_facets(
        &self,
        req: &FacetRequest<'_>,
    ) -> impl Future<Output = Result<Facets, GraphError>> + Send;

    /// The category tree with live counts.
    fn categories(
        &self,
        lang: Lang,
    ) -> impl Future<Output = Result<Vec<CategoryTree>, GraphError>> + Send;

    /// Registered makers with live counts.
    fn maker_list(
        &self,
        lang: Lang,
    ) -> impl Future<Output = Result<Vec<FacetCount>, GraphError>> + Send;

    /// A maker's models with live counts; `None` for an unknown maker.
    fn models_of(
        &self,
        maker_id: &str,
    ) -> impl Future<Output = Result<Option<Vec<FacetCount>>, GraphError>> + Send;

    /// A model with its specs; `None` when unknown.
    fn model_view(
        &self,
        model_id: &str,
        lang: Lang,
    ) -> impl Future<Output = Result<Option<ModelView>, GraphError>> + Send;

    /// Other live machines of a machine's model, newest first.
    fn others_of_model(
        &self,
        machine_id: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<String>, GraphError>> + Send;
}

impl CatalogGraph for EmbeddedGraph {
    async fn apply_events(&mut self, events: &[Event]) -> Result<(), GraphError> {
        self.apply(events);
        Ok(())
    }

    fn key_of(&mut self, machine_id: &str) -> u32 {
        self.machine_key(machine_id)
    }

    async fn count_facets(&self, req: &FacetRequest<'_>) -> Result<Facets, GraphError> {
        Ok(self.facets(req))
    }

    async fn categories(&self, lang: Lang) -> Result<Vec<CategoryTree>, GraphError> {
        Ok(self.category_tree(lang))
    }

    async fn maker_list(&self, lang: Lang) -> Result<Vec<FacetCount>, GraphError> {
        Ok(self.makers(lang))
    }

    async fn models_of(&self, maker_id: &str) -> Result<Option<Vec<FacetCount>>, GraphError> {
        Ok(self.maker_models(maker_id))
    }

    async fn model_view(
        &self,
        model_id: &str,
        lang: Lang,
    ) -> Result<Option<ModelView>, GraphError> {
        Ok(self.model(model_id, lang))
    }

    async fn others_of_model(
        &self,
        machine_id: &str,
        limit: usize,
    ) -> Result<Vec<String>, GraphError> {
        Ok(self.same_model(machine_id, limit))
    }
}

impl CatalogGraph for Neo4jGraph {
    async fn apply_events(&mut self, events: &[Event]) -> Result<(), GraphError> {
        self.apply(events).await
    }

    fn key_of(&mut self, machine_id: &str) -> u32 {
        self.machine_key(machine_id)
    }

    async fn count_facets(&self, req: &FacetRequest<'_>) -> Result<Facets, GraphError> {
        self.facets(req).await
    }

    async fn categories(&self, lang: Lang) -> Result<Vec<CategoryTree>, GraphError> {
        self.category_tree(lang).await
    }

    async fn maker_list(&self, lang: Lang) -> Result<Vec<FacetCount>, GraphError> {
        self.makers(lang).await
    }

    async fn models_of(&self, maker_id: &str) -> Result<Option<Vec<FacetCount>>, GraphError> {
        self.maker_models(maker_id).await
    }

    async fn model_view(
        &self,
        model_id: &str,
        lang: Lang,
    ) -> Result<Option<ModelView>, GraphError> {
        self.model(model_id, lang).await
    }

    async fn others_of_model(
        &self,
        machine_id: &str,
        limit: usize,
    ) -> Result<Vec<String>, GraphError> {
        self.same_model(machine_id, limit).await
    }
}
