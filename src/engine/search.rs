//! The search use case: a validated plan in, domain results out, below any protocol.
//!
//! A search runs in one pass over its hits. The selections that do not depend on the
//! words (category, maker, model, specs, year, hours, price) are a bitmap the graph
//! gives first; the text pass then marks every hit in the hit set and ranks only the
//! hits inside that bitmap; the facets are counted over the hit set (each group
//! applying every selection but its own). Totals and counts are exact.
//!
//! Searches run on the [`SearchPool`]: at most as many at once as there are cores, in
//! two lanes, so that a broad query (hundreds of thousands of hits) never makes a
//! model-number query wait behind it.

use super::cache::{CacheUsage, Lookup, SearchCache, View};
use super::pool::{Lane, SearchPool};
use super::{Engine, GraphSource};
use crate::currency::Rates;
use crate::graph::{EmbeddedGraph, FacetRequest, Facets, ReadError, Selections};
use crate::search::relax::Relax;
use crate::search::trade_words::TradeWords;
use crate::search::{Hit, SearchError, SearchRequest, Sort};
use std::sync::Arc;
use stockyard_schema::{Lang, SpecCategoryId};

/// Buckets per histogram facet.
pub const BUCKETS: usize = 10;

/// Which facets to count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacetWants {
    /// Counts by category.
    pub category: bool,
    /// Counts by maker.
    pub maker: bool,
    /// Counts by model.
    pub model: bool,
    /// Model year histogram.
    pub year: bool,
    /// Hours histogram.
    pub hours: bool,
    /// Price histogram.
    pub price: bool,
    /// Histograms of these number specs.
    pub specs: Vec<SpecCategoryId>,
}

/// A validated search: everything in range, every id well-formed, every spec known.
#[derive(Debug, Clone)]
pub struct SearchPlan {
    /// The words typed; blank browses.
    pub words: String,
    /// The buyer's language, boosting listings written in it; detected when `None`.
    pub lang: Option<Lang>,
    /// The language names are shown in.
    pub names: Lang,
    /// What the buyer selected.
    pub selections: Selections,
    /// The facets to count.
    pub facets: FacetWants,
    /// The order of hits.
    pub sort: Sort,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return.
    pub limit: usize,
    /// Hits scoring below this are dropped.
    pub min_score: Option<f32>,
    /// The exchange rates the price range was converted with, which sorting and the
    /// price histogram must use too: those of the graph version the plan was checked
    /// against.
    pub rates: Rates,
}

impl FacetWants {
    /// Whether any of year, hours and price is wanted (they are counted together).
    pub fn attributes(&self) -> bool {
        self.year || self.hours || self.price
    }
}

impl SearchPlan {
    /// Whether the plan searches words (else it browses).
    pub fn has_words(&self) -> bool {
        !self.words.trim().is_empty()
    }

    /// What kind of search this is, for latency metrics: the three behave so
    /// differently (a model number touches a few postings, a broad word hundreds of
    /// thousands) that one histogram would hide each.
    pub fn kind(&self) -> SearchKind {
        let words = self.words.trim();
        if words.is_empty() {
            SearchKind::Browse
        } else if !words.contains(char::is_whitespace)
            && words.contains(|c: char| c.is_ascii_digit())
        {
            SearchKind::ModelNumber
        } else {
            SearchKind::Text
        }
    }
}

/// The kinds of search told apart in the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// Selections only, no words.
    Browse,
    /// One token with a digit in it, such as `pc200` or `ZX135US-6`.
    ModelNumber,
    /// Words.
    Text,
}

impl SearchKind {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchKind::Browse => "browse",
            SearchKind::ModelNumber => "model_number",
            SearchKind::Text => "text",
        }
    }
}

/// The answer to a plan.
pub struct SearchOutcome {
    /// How far the words were relaxed to find anything ([`Relax::Strict`]: not at all).
    pub relaxed: Relax,
    /// Hits matching the words and every selection.
    pub total: usize,
    /// The page of hits, in order.
    pub hits: Vec<Hit>,
    /// The facets asked for (and the filtered hit set).
    pub facets: Facets,
    /// The graph the hits are described from (names, placement).
    pub graph: Arc<EmbeddedGraph>,
}

/// Why a search gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum SearchFailure {
    /// The text index failed.
    #[error("search failed: {0}")]
    Text(#[from] SearchError),
    /// Neo4j, the configured graph, did not answer.
    #[error(transparent)]
    Graph(#[from] ReadError),
    /// The search was stopped before it finished (the service is shutting down).
    #[error("the search was interrupted")]
    Interrupted,
}

/// What the text stage hands on.
struct TextStage {
    relaxed: Relax,
    total: usize,
    hits: Vec<Hit>,
    hit_set: Option<roaring::RoaringBitmap>,
    facets: Option<Facets>,
    graph: Arc<EmbeddedGraph>,
}

impl Engine {
    /// Runs a search on the serving generation, or takes its answer from the cache;
    /// see the [module docs](self).
    pub async fn search(
        self: &Arc<Self>,
        pool: &SearchPool,
        plan: SearchPlan,
        source: &GraphSource,
    ) -> Result<Arc<SearchOutcome>, SearchFailure> {
        let started = std::time::Instant::now();
        let kind = plan.kind();
        // Kept answers come from the embedded graph's view alone (Neo4j's state is not
        // part of it).
        let answer = if matches!(source, GraphSource::Embedded) && self.cache.enabled() {
            self.cached(pool, plan, source).await?
        } else {
            self.searched(pool, plan, source).await?
        };
        metrics::histogram!("stockyard_search_duration_seconds", "kind" => kind.as_str())
            .record(started.elapsed());
        Ok(answer)
    }

    /// The answer kept for `plan` in the serving view, the one of the same search
    /// running, or a search's, kept (see [`super::cache`]).
    async fn cached(
        self: &Arc<Self>,
        pool: &SearchPool,
        plan: SearchPlan,
        source: &GraphSource,
    ) -> Result<Arc<SearchOutcome>, SearchFailure> {
        let count = |result: &'static str| {
            metrics::counter!("stockyard_search_cache_total", "result" => result).increment(1)
        };
        let view = self.view();
        match self.cache.lookup(&view, format!("{plan:?}")) {
            Lookup::Kept(answer) => {
                count("hit");
                Ok(answer)
            }
            Lookup::Running(announced) => {
                count("joined");
                match SearchCache::wait(announced).await {
                    Some(answer) => Ok(answer),
                    None => self.searched(pool, plan, source).await,
                }
            }
            Lookup::Search(flight) => {
                count("miss");
                // Only a plan checked against the view's own rates is answered alike
                // by every search of that view.
                let own_rates = view
                    .graph
                    .upgrade()
                    .is_some_and(|g| g.rates().same(&plan.rates));
                let answer = self.searched(pool, plan, source).await?;
                // Views only move on: the same view now means the search read that
                // view throughout.
                let unmoved = self.view().same(flight.view());
                flight.land(&answer, own_rates && unmoved);
                Ok(answer)
            }
        }
    }

    /// Runs a search on the serving generation.
    async fn searched(
        self: &Arc<Self>,
        pool: &SearchPool,
        plan: SearchPlan,
        source: &GraphSource,
    ) -> Result<Arc<SearchOutcome>, SearchFailure> {
        let embedded = matches!(source, GraphSource::Embedded);
        let engine = self.clone();
        let plan = Arc::new(plan);
        let stage = {
            let plan = plan.clone();
            pool.run(move |lane| engine.text_stage(&plan, embedded, lane))
                .await
                .ok_or(SearchFailure::Interrupted)??
        };
        let facets = match (stage.facets, source) {
            (Some(f), _) => f,
            (None, GraphSource::Neo4j(reader)) => {
                let req = facet_request(&plan);
                let hits = stage.hit_set;
                reader
                    .read(|g| async move {
                        g.facets(&FacetRequest {
                            hits: hits.as_ref(),
                            ..req
                        })
                        .await
                    })
                    .await?
            }
            (None, GraphSource::Embedded) => unreachable!("the text stage counts embedded facets"),
        };
        Ok(Arc::new(SearchOutcome {
            relaxed: stage.relaxed,
            total: stage.total,
            hits: stage.hits,
            facets,
            graph: stage.graph,
        }))
    }

    /// What a search would read now; see [`super::cache`].
    pub(super) fn view(&self) -> View {
        let generation = self.current();
        View {
            generation: generation.number(),
            text: generation.text().reader_generations(),
            graph: Arc::downgrade(&generation.graph().get()),
        }
    }

    /// What the cache of answers holds (nothing when it is off).
    pub fn cache_usage(&self) -> CacheUsage {
        self.cache.usage()
    }

    /// The selections, the text pass and (embedded) the facets, on a search thread.
    fn text_stage(
        &self,
        plan: &SearchPlan,
        embedded_facets: bool,
        lane: &mut Lane<'_>,
    ) -> Result<TextStage, SearchFailure> {
        let generation = self.current();
        let graph = generation.graph().get();
        // Worked out once, for the filter and the facets.
        let ranges = graph.range_sets(&plan.selections);
        let selected = graph.selected(&plan.selections, &ranges).map(Arc::new);
        let browse = !plan.has_words();
        let request = SearchRequest {
            text: plan.words.clone(),
            lang: plan.lang,
            offset: plan.offset,
            limit: plan.limit,
            sort: plan.sort,
            min_score: plan.min_score,
            // Browsing, the hit set is every live listing: the graph knows it.
            hit_set: !browse,
            filter: selected.clone(),
            exhaustive: false,
            rates: plan.rates.clone(),
            relax: Relax::Strict,
            alternatives: if browse {
                Vec::new()
            } else {
                self.alternatives(&graph, &plan.words)
            },
        };
        let prepared = generation.text().prepare(&request)?;
        lane.weigh(prepared.estimate()?);
        let mut results =
            lane.with_helper(|buffers, helper| prepared.run(&request, buffers, helper))?;
        // The words matched nothing at all (whatever the selections): forgive typos,
        // then leave a word out, and say so. Words that match, only not within the
        // selections, are the selections' business.
        let unmatched =
            |r: &crate::search::SearchResults| r.hit_set.as_ref().is_some_and(|h| h.is_empty());
        let mut relaxed = Relax::Strict;
        for relax in [Relax::Typo, Relax::Words] {
            if browse || !unmatched(&results) || !relax.applies(&plan.words) {
                continue;
            }
            let request = SearchRequest {
                relax,
                ..request.clone()
            };
            let prepared = generation.text().prepare(&request)?;
            results =
                lane.with_helper(|buffers, helper| prepared.run(&request, buffers, helper))?;
            relaxed = relax;
        }
        let facets = embedded_facets.then(|| {
            let req = FacetRequest {
                hits: results.hit_set.as_ref(),
                ..facet_request(plan)
            };
            lane.with_spare_core(|threads| graph.facets_on(&req, &ranges, threads))
        });
        Ok(TextStage {
            relaxed: if unmatched(&results) {
                Relax::Strict
            } else {
                relaxed
            },
            total: results.total,
            hits: results.hits,
            hit_set: results.hit_set,
            facets,
            graph,
        })
    }
}

impl Engine {
    /// What `words` are also searched as: the marketplace's synonym sets (from the
    /// serving graph), then the bundled trade words unless switched off.
    fn alternatives(&self, graph: &Arc<EmbeddedGraph>, words: &str) -> Vec<String> {
        let own = self.synonyms.get(graph, |g| {
            TradeWords::from_sets(g.synonym_sets().map(|s| s.terms.as_slice()))
        });
        let bundled = self.settings.trade_words.then(TradeWords::builtin);
        own.alternatives(words, bundled)
    }
}

/// The facet request of a plan, without its hit set.
fn facet_request(plan: &SearchPlan) -> FacetRequest<'static> {
    FacetRequest {
        hits: None,
        selections: plan.selections.clone(),
        lang: plan.names,
        spec_facets: plan.facets.specs.clone(),
        buckets: BUCKETS,
        attribute_facets: plan.facets.attributes(),
        rates: plan.rates.clone(),
    }
}
