//! A search whose query is built: its cost estimate, and the one pass over its hits
//! in buffers the caller lends.

use super::super::collect::{Pass, ValueOrder};
use super::super::keyset::KeySet;
use super::super::tiers::{
    NgramMarking, TierClass, TierHelper, TierPass, TierPhrase, TierScratch, TieredQuery,
};
use super::{stored_listing, Hit, SearchError, SearchRequest, SearchResults, TextIndex};
use crate::search::language::LangSet;
use crate::search::query::{term_query, ListingQuery, Sort};
use crate::two_threads::Threads;
use std::cell::RefCell;
use tantivy::query::{BooleanQuery, EnableScoring, Query, Weight};
use tantivy::schema::Value;
use tantivy::{Searcher, TantivyDocument, Term};

/// The buffers of a search: the selections and the hits as bit arrays, and the tiered
/// evaluation's marks and tiers — a few bytes per indexed document, and a dozen per hit
/// of the broadest query run with them.
///
/// A search allocates none of this: the caller lends buffers to [`PreparedSearch::run`]
/// and keeps them for the next search. The server keeps one set per search that may run
/// at once (see `engine::pool`), not one per thread, because its blocking threads come
/// and go and outnumber the searches running.
#[derive(Default)]
pub struct SearchBuffers {
    filter: KeySet,
    hits: KeySet,
    tiers: TierScratch,
}

impl std::fmt::Debug for SearchBuffers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchBuffers").finish_non_exhaustive()
    }
}

thread_local! {
    /// The buffers of [`TextIndex::search`], kept per thread.
    pub(super) static BUFFERS: RefCell<SearchBuffers> = RefCell::default();
}

/// How a search visits its hits.
pub(super) enum Evaluation {
    /// One query, every hit scored when the order or a minimum score needs it
    /// (browsing, a minimum score, or asked for).
    Whole(Box<dyn Weight>),
    /// In tiers: by relevance, exact scores only where they can reach the page; by
    /// a value, the hits found the same way, then the best by the value.
    Tiered(TieredQuery),
}

/// About how many documents a union of sets of `sizes` documents (of `max_doc`) holds,
/// taking the sets as independent, with overlap a little above chance as words of one
/// listing tend to come together (the estimate tantivy's unions give).
fn union_hint(sizes: &[u32], max_doc: u32) -> u64 {
    if let [one] = sizes {
        return u64::from(*one);
    }
    let max = f64::from(max_doc.max(1));
    let outside: f64 = sizes
        .iter()
        .map(|&n| 1.0 - 0.8 * f64::from(n) / max)
        .product();
    (max * (1.0 - outside)).round() as u64
}

/// About how many documents lie in all of the sets of `sizes` documents (of
/// `num_docs`): the smallest set, thinned by each other set's share, the shares taken
/// as a little above chance (the estimate tantivy's intersections give).
fn intersection_hint(sizes: &mut [u32], num_docs: u32) -> u64 {
    if num_docs == 0 {
        return 0;
    }
    sizes.sort_unstable();
    let Some((&smallest, others)) = sizes.split_first() else {
        return 0;
    };
    let mut together = 1.3f64;
    let mut estimate = f64::from(smallest);
    for &size in others {
        together = (together - 0.1).max(1.0);
        estimate *= f64::from(size) / f64::from(num_docs) * together;
    }
    estimate.round().min(f64::from(smallest)) as u64
}

/// The tiered form of a listing query.
pub(super) fn tiered(
    query: &ListingQuery,
    searcher: &Searcher,
) -> Result<TieredQuery, SearchError> {
    let unscored = EnableScoring::disabled_from_searcher(searcher);
    // A query of one word: the entities it names are marked once, for their class
    // and as its strong match (with its title); see `search/tiers.rs`.
    let split = query.single_title.is_some();
    let weights = |queries: Vec<&Box<dyn Query>>| -> tantivy::Result<Vec<Box<dyn Weight>>> {
        queries.into_iter().map(|q| q.weight(unscored)).collect()
    };
    let mut classes = Vec::with_capacity(query.classes.len());
    let mut named = Vec::new();
    for (i, c) in query.classes.iter().enumerate() {
        let apart = split && c.named_is_strong && !c.named.is_empty();
        let mut cheap: Vec<&Box<dyn Query>> = c.own.cheap.iter().collect();
        if apart {
            named.push((1u8 << i, weights(c.named.iter().collect())?));
        } else {
            cheap.extend(&c.named);
        }
        let costly = c
            .own
            .costly
            .iter()
            .map(|p| {
                let also = if p.implies_prefix {
                    query.prefix_bit
                } else {
                    0
                };
                Ok(TierPhrase {
                    candidates: p
                        .candidates
                        .iter()
                        .map(|q| q.weight(unscored))
                        .collect::<tantivy::Result<_>>()?,
                    exact: p.exact.weight(unscored)?,
                    also,
                })
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        classes.push(TierClass {
            score: c.score,
            cheap: weights(cheap)?,
            costly,
        });
    }
    // Each of `terms` on its own, unscored.
    let term_weights = |terms: &[Term]| -> tantivy::Result<Vec<Box<dyn Weight>>> {
        terms
            .iter()
            .map(|t| term_query(t).weight(unscored))
            .collect()
    };
    let title = query
        .single_title
        .iter()
        .flatten()
        .map(|terms| term_weights(terms))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let (ngram, ngram_max) = match &query.ngram {
        None => (None, 0.0),
        Some(n) => {
            // A share of the n-grams is counted term by term; all of them is tantivy's
            // intersection, which skips through the rarest list block by block.
            let marking = if n.need < n.terms.len() {
                NgramMarking::Count {
                    terms: term_weights(&n.terms)?,
                    need: n.need as u8,
                }
            } else {
                let all = n.terms.iter().map(term_query).collect();
                NgramMarking::Match(BooleanQuery::intersection(all).weight(unscored)?)
            };
            let scoring = EnableScoring::enabled_from_searcher(searcher);
            let scored = n.query.min_match_weight(scoring)?;
            // Each term's BM25 is at most its weight's maximum; the sum, scaled, bounds
            // the match's score. A hair of slack keeps the bound above any rounding.
            (Some((marking, scored)), n.bm25_max * n.scale * 1.001)
        }
    };
    let strong = query
        .strong
        .iter()
        .filter(|_| !split)
        .map(|members| members.iter().map(|q| q.weight(unscored)).collect())
        .collect::<tantivy::Result<Vec<_>>>()?;
    Ok(TieredQuery {
        classes,
        required: query.required,
        named,
        title,
        strong,
        field_unit: query.field_unit,
        ngram,
        ngram_max,
    })
}

/// A search whose query is built, ready to run on the index as of when it was
/// prepared.
pub struct PreparedSearch<'a> {
    pub(super) index: &'a TextIndex,
    pub(super) searcher: Searcher,
    pub(super) evaluation: Evaluation,
    pub(super) langs: LangSet,
    pub(super) browse: bool,
    pub(super) sort: Sort,
}

impl PreparedSearch<'_> {
    /// About how many documents the search visits (tantivy's size hints, summed over
    /// segments): what tells a cheap search from a broad one before it runs.
    pub fn estimate(&self) -> Result<u64, SearchError> {
        if self.browse {
            return Ok(self.searcher.num_docs());
        }
        // Groups of weights listed as one: a class's cheap members, a named entity's
        // terms, a phrase's candidates. Each group is hinted as a union would be (its
        // members overlap); a member that is an intersection (a phrase's candidates)
        // as an intersection would be.
        fn one(w: &dyn Weight) -> Vec<&dyn Weight> {
            vec![w]
        }
        let groups: Vec<Vec<Vec<&dyn Weight>>> = match &self.evaluation {
            Evaluation::Whole(w) => vec![vec![one(w.as_ref())]],
            Evaluation::Tiered(t) => t
                .classes
                .iter()
                .flat_map(|c| {
                    std::iter::once(c.cheap.iter().map(|w| one(w.as_ref())).collect()).chain(
                        c.costly
                            .iter()
                            .map(|p| vec![p.candidates.iter().map(|w| w.as_ref()).collect()]),
                    )
                })
                .chain(
                    t.named
                        .iter()
                        .map(|(_, ws)| ws.iter().map(|w| one(w.as_ref())).collect()),
                )
                .chain(t.ngram.iter().map(|(_, w)| vec![one(w)]))
                .collect(),
        };
        let mut n = 0u64;
        let mut hints = Vec::new();
        let mut parts = Vec::new();
        for segment in self.searcher.segment_readers() {
            for group in &groups {
                hints.clear();
                for all in group {
                    parts.clear();
                    for w in all {
                        parts.push(w.scorer(segment, 1.0)?.size_hint());
                    }
                    let hint = match parts.as_mut_slice() {
                        [one] => *one,
                        many => intersection_hint(many, segment.num_docs()) as u32,
                    };
                    hints.push(hint);
                }
                n += union_hint(&hints, segment.max_doc());
            }
        }
        Ok(n)
    }

    /// Runs the search: one pass over the hits (see [`SearchRequest::filter`] and
    /// [`SearchRequest::hit_set`]), then the stored listings of the page, in the
    /// given buffers (cleared first; they may come from any earlier search). With a
    /// `helper`'s buffers, a search ranked by relevance finds and ranks its hits on
    /// two threads (`search::tiers::TierHelper`), and a browse of a selection visits
    /// half of its keys on each; the answer is the same.
    pub fn run(
        self,
        req: &SearchRequest,
        buffers: &mut SearchBuffers,
        helper: Option<&mut SearchBuffers>,
    ) -> Result<SearchResults, SearchError> {
        let index = self.index;
        let searcher = &self.searcher;
        let threads = if helper.is_some() {
            Threads::Two
        } else {
            Threads::One
        };
        let columns = index.columns.for_searcher(searcher)?;
        let (collected, hit_set) = {
            let SearchBuffers {
                filter,
                hits,
                tiers,
            } = buffers;
            let by_keys = self.browse && req.filter.is_some();
            if let Some(f) = req.filter.as_deref().filter(|_| !by_keys) {
                filter.reset();
                filter.extend_from(f);
            }
            hits.reset();
            let filter = req.filter.is_some().then_some(&*filter);
            let lang_bits = self.langs.0 as u8;
            let lang_bonus = if self.browse {
                0.0
            } else {
                index.tuning.lang_bonus
            };
            let top = req.offset + req.limit;
            let collected = match &self.evaluation {
                // Browsing a selection: visit the selected listings only.
                Evaluation::Whole(_) if self.browse && req.filter.is_some() => {
                    let keys = req.filter.as_deref().expect("a filter");
                    let map = index.columns.key_map(searcher, &columns);
                    Pass {
                        sort: self.sort,
                        rates: &req.rates,
                        lang_bits,
                        lang_bonus,
                        min_score: None,
                        top,
                        filter: None,
                        hits: None,
                    }
                    .run_keys(searcher, keys, &map, &columns, threads)?
                }
                Evaluation::Whole(weight) => Pass {
                    sort: self.sort,
                    rates: &req.rates,
                    lang_bits,
                    lang_bonus,
                    min_score: if self.browse { None } else { req.min_score },
                    top,
                    filter,
                    hits: req.hit_set.then_some(&mut *hits),
                }
                .run(searcher, weight.as_ref(), &columns)?,
                Evaluation::Tiered(query) => query.run(
                    searcher,
                    &columns,
                    TierPass {
                        lang_bits,
                        lang_bonus,
                        top,
                        filter,
                        hits: req.hit_set.then_some(&mut *hits),
                        order: (self.sort != Sort::Relevance).then_some(ValueOrder {
                            sort: self.sort,
                            rates: &req.rates,
                        }),
                    },
                    tiers,
                    helper.map(|h| TierHelper {
                        scratch: &mut h.tiers,
                        hits: &mut h.hits,
                    }),
                )?,
            };
            (collected, req.hit_set.then(|| hits.to_roaring()))
        };
        let mut hits = Vec::with_capacity(req.limit);
        for r in collected.top.iter().skip(req.offset) {
            let doc: TantivyDocument = searcher.doc(r.address)?;
            let machine_id = doc
                .get_first(index.fields.machine_id)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            hits.push(Hit {
                machine_id,
                key: u64::from(r.key),
                score: r.score,
                listing: stored_listing(&index.fields, &doc)?,
            });
        }
        Ok(SearchResults {
            total: collected.total,
            hits,
            langs: self.langs.langs().collect(),
            hit_set,
        })
    }
}
