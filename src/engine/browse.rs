//! The catalog site's questions (category tree, makers, a maker's models, a model,
//! other machines of a model, spec categories), asked of the configured graph.
//!
//! A [`GraphSource`] says which graph answers: the embedded graph of the serving
//! generation, or the site's Neo4j. Each question is one call on the
//! [`CatalogGraph`] seam, so an answer comes from one store, and callers above the
//! engine never name one.

use super::Engine;
use crate::graph::{
    CatalogGraph, CategoryTree, FacetCount, ModelView, NeoReader, ReadError, SpecCategoryView,
};
use std::sync::Arc;
use stockyard_schema::Lang;

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
