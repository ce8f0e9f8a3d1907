//! Looking the catalog up by name: suggestions while a buyer types, and searching
//! within a long facet list. Both match names in every language and script
//! ([`crate::search::names`]) and show them in the buyer's.

use super::search::{FacetWants, SearchFailure, SearchPlan};
use super::{Engine, GraphSource, SearchPool};
use crate::graph::{EntityKind, FacetCount, NamedEntity};
use crate::search::names::{marked_html, Folded, NameMatch, NameQuery};
use std::collections::HashMap;
use std::sync::Arc;
use stockyard_schema::Lang;

/// Most suggestions one request may ask for.
pub const MAX_SUGGESTIONS: usize = 20;

/// Suggestions when a request does not say.
pub const DEFAULT_SUGGESTIONS: usize = 8;

/// An entity whose name begins like what the buyer is typing.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// What it is.
    pub kind: EntityKind,
    /// Its id.
    pub id: String,
    /// Its name in the buyer's language.
    pub text: String,
    /// `text` as HTML, the part typed in `<mark>` when that name is the one matched.
    pub highlight: String,
    /// Live listings: what a search selecting it alone totals.
    pub count: u64,
    /// How it matched.
    pub matched: NameMatch,
}

/// A facet value whose name matches, with its count for the search.
#[derive(Debug, Clone, PartialEq)]
pub struct FacetValueMatch {
    /// The value and its count, as the search's facet has it.
    pub value: FacetCount,
    /// Its name as HTML, the match in `<mark>` when that name is the one matched.
    pub highlight: String,
}

/// How well `entity`'s names complete `q`: the best match over its names, and the
/// byte range to mark in the shown name when the shown name itself matched.
fn completion(
    q: &NameQuery,
    entity: &NamedEntity<'_>,
) -> Option<(NameMatch, Option<std::ops::Range<usize>>)> {
    let shown = q.complete(&Folded::new(entity.shown));
    let best = entity
        .names
        .iter()
        .filter_map(|n| q.complete(&Folded::new(n)).map(|(m, _)| m))
        .min()?;
    match shown {
        Some((m, r)) if m == best => Some((best, Some(r))),
        _ => Some((best, None)),
    }
}

impl Engine {
    /// Catalog entities (makers, models, categories) named like the beginning of
    /// `typed` in any language or script, with live listings, best match first and
    /// then most listings first. Reads only the in-memory graph: cheap enough to
    /// run on the caller's thread.
    pub fn suggest(&self, typed: &str, lang: Lang, limit: usize) -> Vec<Suggestion> {
        let Some(q) = NameQuery::new(typed) else {
            return Vec::new();
        };
        let graph = self.catalog();
        let mut out: Vec<Suggestion> = Vec::new();
        for kind in [EntityKind::Maker, EntityKind::Model, EntityKind::Category] {
            for e in graph.named(kind, lang) {
                if e.count == 0 {
                    continue;
                }
                if let Some((matched, marked)) = completion(&q, &e) {
                    out.push(Suggestion {
                        kind,
                        id: e.id.to_owned(),
                        text: e.shown.to_owned(),
                        highlight: marked_html(e.shown, marked),
                        count: e.count,
                        matched,
                    });
                }
            }
        }
        // Exact beginnings before typo matches, then the most listings.
        out.sort_by(|a, b| {
            b.matched
                .is_exact()
                .cmp(&a.matched.is_exact())
                .then(b.count.cmp(&a.count))
                .then_with(|| a.text.cmp(&b.text))
        });
        out.truncate(limit);
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
            EntityKind::Maker => outcome.facets.makers,
            EntityKind::Model => outcome.facets.models,
            EntityKind::Category => outcome.facets.categories,
        };
        let q = typed.and_then(NameQuery::new);
        let named = outcome.graph.named(kind, lang);
        let names: HashMap<&str, &NamedEntity<'_>> = named.iter().map(|e| (e.id, e)).collect();
        Ok(values
            .into_iter()
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
