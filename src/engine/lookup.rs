//! Looking the catalog up by name: suggestions while a buyer types, and searching
//! within a long facet list. Both match names in every language and script
//! ([`crate::search::names`]) and show them in the buyer's.

use super::search::{FacetWants, SearchFailure, SearchPlan};
use super::{Engine, GraphSource, SearchPool};
use crate::analytics::{normalized, Analytics};
use crate::graph::EmbeddedGraph;
use crate::graph::{EntityKind, FacetCount, NamedEntity};
use crate::search::names::{marked_html, Folded, NameMatch, NameQuery};
use std::collections::HashMap;
use std::sync::Arc;
use stockyard_schema::Lang;

/// Most suggestions one request may ask for.
pub const MAX_SUGGESTIONS: usize = 20;

/// Suggestions when a request does not say.
pub const DEFAULT_SUGGESTIONS: usize = 8;

/// What a suggestion stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggested {
    /// A maker, model or category: select it.
    Entity(EntityKind),
    /// A search buyers ran that found something: search its text.
    Query,
}

impl Suggested {
    /// The name of the kind in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Suggested::Entity(kind) => kind.as_str(),
            Suggested::Query => "query",
        }
    }
}

/// Something that begins like what the buyer is typing.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// What it is.
    pub kind: Suggested,
    /// The entity's id (not for a query).
    pub id: Option<String>,
    /// Its name in the buyer's language, or the query's text.
    pub text: String,
    /// `text` as HTML, the part typed in `<mark>` when that name is the one matched.
    pub highlight: String,
    /// Live listings (what a search selecting it alone totals), or the hits of the
    /// query's latest search.
    pub count: u64,
}

/// A facet value whose name matches, with its count for the search.
#[derive(Debug, Clone, PartialEq)]
pub struct FacetValueMatch {
    /// The value and its count, as the search's facet has it.
    pub value: FacetCount,
    /// Its name as HTML, the match in `<mark>` when that name is the one matched.
    pub highlight: String,
}

/// Every name of one graph snapshot's makers, models and categories, folded once.
///
/// Folding (NFKC, case, kana) costs more than matching, and suggestions match every
/// name on every keystroke; the names change only with catalog events, so they are
/// folded once per snapshot (`engine/per_snapshot.rs`), not per request.
pub(super) struct FoldedCatalog {
    /// Per kind (maker, model, category), per entity in [`EmbeddedGraph::named`]'s
    /// order, its names folded in the same order.
    names: [Vec<Vec<Folded>>; 3],
}

const KINDS: [EntityKind; 3] = [EntityKind::Maker, EntityKind::Model, EntityKind::Category];

impl FoldedCatalog {
    fn of(graph: &EmbeddedGraph) -> FoldedCatalog {
        let fold = |kind| {
            // The order and the names are the same in every language.
            graph
                .named(kind, Lang::EN)
                .iter()
                .map(|e| e.names.iter().map(|n| Folded::new(n)).collect())
                .collect()
        };
        FoldedCatalog {
            names: KINDS.map(fold),
        }
    }
}

/// How well `entity`'s names (`folded`, in order) complete `q`: the best match over
/// its names, and the byte range to mark in the shown name when the shown name itself
/// matched.
fn completion(
    q: &NameQuery,
    entity: &NamedEntity<'_>,
    folded: &[Folded],
) -> Option<(NameMatch, Option<std::ops::Range<usize>>)> {
    let best = folded
        .iter()
        .filter_map(|n| q.complete(n).map(|(m, _)| m))
        .min()?;
    let shown_at = entity
        .names
        .iter()
        .position(|n| std::ptr::eq(*n, entity.shown));
    let shown = match shown_at {
        Some(i) => q.complete(&folded[i]),
        None => q.complete(&Folded::new(entity.shown)),
    };
    match shown {
        Some((m, r)) if m == best => Some((best, Some(r))),
        _ => Some((best, None)),
    }
}

impl Engine {
    /// Catalog entities (makers, models, categories) named like the beginning of
    /// `typed` in any language or script, with live listings, best match first and
    /// then most listings first; then, from `searched`, searches buyers ran that
    /// found something and begin so. Entities come first; searches get up to half
    /// the list, more when few entities match. Reads only memory: cheap enough to
    /// run on the caller's thread.
    pub fn suggest(
        &self,
        typed: &str,
        lang: Lang,
        limit: usize,
        searched: Option<&Analytics>,
    ) -> Vec<Suggestion> {
        let Some(q) = NameQuery::new(typed) else {
            return Vec::new();
        };
        let graph = self.catalog();
        let folded = self.folded_names.get(&graph, FoldedCatalog::of);
        let mut entities: Vec<(NameMatch, Suggestion)> = Vec::new();
        for (kind, names) in KINDS.into_iter().zip(&folded.names) {
            let named = graph.named(kind, lang);
            debug_assert_eq!(named.len(), names.len(), "one snapshot, one order");
            for (e, folded) in named.iter().zip(names) {
                if e.count == 0 {
                    continue;
                }
                if let Some((matched, marked)) = completion(&q, e, folded) {
                    let s = Suggestion {
                        kind: Suggested::Entity(kind),
                        id: Some(e.id.to_owned()),
                        text: e.shown.to_owned(),
                        highlight: marked_html(e.shown, marked),
                        count: e.count,
                    };
                    entities.push((matched, s));
                }
            }
        }
        // Exact beginnings before typo matches, then the most listings.
        entities.sort_by(|(am, a), (bm, b)| {
            bm.is_exact()
                .cmp(&am.is_exact())
                .then(b.count.cmp(&a.count))
                .then_with(|| a.text.cmp(&b.text))
        });
        let mut queries = searched.map_or_else(Vec::new, |a| a.completions(&q, limit));
        // A text that names a suggested entity adds nothing.
        queries.retain(|(text, _)| {
            !entities
                .iter()
                .any(|(_, e)| normalized(&e.text).as_deref() == Some(text))
        });
        let entities_kept = entities.len().min(limit - queries.len().min(limit / 2));
        let queries_kept = queries.len().min(limit - entities_kept);
        let mut out: Vec<Suggestion> = entities
            .into_iter()
            .take(entities_kept)
            .map(|(_, s)| s)
            .collect();
        out.extend(queries.into_iter().take(queries_kept).map(|(text, total)| {
            let marked = q.complete(&Folded::new(&text)).map(|(_, r)| r);
            Suggestion {
                kind: Suggested::Query,
                id: None,
                highlight: marked_html(&text, marked),
                text,
                count: total,
            }
        }));
        out
    }

    /// The values of facet `kind` for the search `plan` (its words and selections)
    /// whose name holds `typed` in any language, or all of them without it, each
    /// with the count the search's own facet gives it.
    pub async fn facet_values(
        self: &Arc<Self>,
        pool: &SearchPool,
        mut plan: SearchPlan,
        source: &GraphSource,
        kind: EntityKind,
        typed: Option<&str>,
    ) -> Result<Vec<FacetValueMatch>, SearchFailure> {
        // Only the facet is wanted; a search ranks at least one hit.
        plan.offset = 0;
        plan.limit = 1;
        plan.facets = FacetWants {
            category: kind == EntityKind::Category,
            maker: kind == EntityKind::Maker,
            model: kind == EntityKind::Model,
            ..FacetWants::default()
        };
        let lang = plan.names;
        let outcome = self.search(pool, plan, source).await?;
        let values = match kind {
            EntityKind::Maker => &outcome.facets.makers,
            EntityKind::Model => &outcome.facets.models,
            EntityKind::Category => &outcome.facets.categories,
        };
        let q = typed.and_then(NameQuery::new);
        let named = outcome.graph.named(kind, lang);
        let names: HashMap<&str, &NamedEntity<'_>> = named.iter().map(|e| (e.id, e)).collect();
        Ok(values
            .iter()
            .cloned()
            .filter_map(|value| {
                let Some(q) = &q else {
                    let highlight = marked_html(&value.name, None);
                    return Some(FacetValueMatch { value, highlight });
                };
                let own = names.get(value.id.as_str());
                let matches = |name: &str| {
                    let folded = Folded::new(name);
                    q.find(&folded)
                        .or_else(|| q.complete(&folded).map(|(_, r)| r))
                };
                let marked = matches(&value.name);
                let any = marked.is_some()
                    || own.is_some_and(|e| e.names.iter().any(|n| matches(n).is_some()));
                any.then(|| FacetValueMatch {
                    highlight: marked_html(&value.name, marked),
                    value,
                })
            })
            .collect())
    }
}
