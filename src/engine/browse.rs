//! The catalog site's questions (category tree, makers, a maker's models, a model,
//! other machines of a model, spec categories), asked of the configured graph.
//!
//! A [`GraphSource`] says which graph answers: the embedded graph of the serving
//! generation, or the site's Neo4j. Each question is one call on the
//! [`CatalogGraph`] seam, so an answer comes from one store, and callers above the
//! engine never name one.

use super::Engine;
use crate::graph::{
    CatalogGraph, CategoryTree, EmbeddedGraph, FacetCount, ModelView, NeoReader, ReadError,
    SpecCategoryView,
};
use crate::search::SearchError;
use std::sync::Arc;
use stockyard_schema::domain::Machine;
use stockyard_schema::Lang;

/// A live listing as stored, with the graph version that names its maker, model and
/// category.
pub struct LiveListing {
    /// The listing.
    pub machine: Machine,
    /// The serving generation's graph when it was read.
    pub graph: Arc<EmbeddedGraph>,
}

impl Engine {
    /// The catalog as of the serving generation: what requests are checked against
    /// (spec kinds, rates) before they run. Always the embedded graph, which every
    /// generation keeps, also when Neo4j answers the facets.
    pub fn catalog(&self) -> Arc<EmbeddedGraph> {
        self.current().graph().get()
    }

    /// A live listing by machine id, from the serving generation; `None` when it is
    /// not listed (or sold, or withdrawn). Reads the text index: call it off the
    /// async runtime.
    pub fn listing(&self, machine_id: &str) -> Result<Option<LiveListing>, SearchError> {
        let generation = self.current();
        Ok(generation
            .text()
            .listing(machine_id)?
            .map(|(_, stored)| LiveListing {
                machine: stored.machine,
                graph: generation.graph().get(),
            }))
    }
}

/// Which graph answers the questions of a search or a catalog page.
#[derive(Clone)]
pub enum GraphSource {
    /// The embedded graph of the serving generation (the default).
    Embedded,
    /// The site's Neo4j, through a reader that reconnects after losing it.
    Neo4j(Arc<NeoReader>),
}

/// Declares each question as an engine method that asks the configured graph.
macro_rules! questions {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl Engine {
            $(
                $(#[$doc])*
                pub async fn $name(
                    &self,
                    source: &GraphSource,
                    $($arg: $ty),*
                ) -> Result<$out, ReadError> {
                    match source {
                        GraphSource::Embedded => {
                            let graph = self.current().graph().get();
                            CatalogGraph::$name(&*graph, $($arg),*)
                                .await
                                .map_err(ReadError::Failed)
                        }
                        GraphSource::Neo4j(reader) => {
                            reader
                                .read(|g| async move { CatalogGraph::$name(&*g, $($arg),*).await })
                                .await
                        }
                    }
                }
            )*
        }
    };
}

questions! {
    /// The category tree with live counts, names in `lang`.
    category_tree(lang: Lang) -> Vec<CategoryTree>;
    /// Registered makers with live counts, most first.
    makers(lang: Lang) -> Vec<FacetCount>;
    /// A maker's models with live counts; `None` for an unknown maker.
    maker_models(maker_id: &str) -> Option<Vec<FacetCount>>;
    /// A model with its specs and up to `machines` live machines, newest first.
    model(model_id: &str, lang: Lang, machines: usize) -> Option<ModelView>;
    /// Up to `limit` other live machines of a machine's model, newest first.
    same_model(machine_id: &str, limit: usize) -> Vec<String>;
    /// The defined spec categories, by id.
    spec_categories(lang: Lang) -> Vec<SpecCategoryView>;
}
