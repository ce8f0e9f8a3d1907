//! Answers of the serving view, kept for repeated searches.
//!
//! A marketplace's searches repeat: the front page's category browses, the popular
//! makers, the same words typed by many buyers. An answer depends only on the plan
//! and on what the search read: the generation, its text index as of its last reload
//! and its graph snapshot (the *view*). So answers are kept for the latest view only,
//! keyed by the whole plan, and the first search that sees a newer view empties the
//! cache: a listing indexed a moment ago is in the next answer, never behind a kept
//! one. An answer is kept only when the view did not move while it was computed, and
//! when the plan's exchange rates are the view's own (a plan checked against an older
//! graph is answered, not kept).
//!
//! The cache is bounded by an estimate of the bytes its answers hold, least recently
//! used first out. Off (`[search] cache_mb = 0`), every search runs.

use super::SearchOutcome;
use crate::graph::EmbeddedGraph;
use lru::LruCache;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// What a search reads: equal views give equal answers to equal plans.
#[derive(Clone)]
pub(super) struct View {
    /// The serving generation's number.
    pub generation: u64,
    /// The text index's reader generations (listings, catalog vocabulary).
    pub text: (u64, u64),
    /// The graph snapshot, held weakly: its allocation, and so its address, stays
    /// unique while the view is kept, and the graph itself is freed as usual.
    pub graph: Weak<EmbeddedGraph>,
}

impl View {
    /// Whether both are the same view.
    pub(super) fn same(&self, other: &View) -> bool {
        self.generation == other.generation
            && self.text == other.text
            && Weak::ptr_eq(&self.graph, &other.graph)
    }
}

/// Kept answers; see the [module docs](self).
pub(super) struct SearchCache {
    budget: usize,
    inner: Mutex<Kept>,
}

struct Kept {
    view: Option<View>,
    answers: LruCache<String, (Arc<SearchOutcome>, usize)>,
    bytes: usize,
    hits: u64,
}

/// What the cache holds and has done, for operators and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheUsage {
    /// Answers kept.
    pub answers: usize,
    /// Their estimated bytes.
    pub bytes: usize,
    /// Searches answered from the cache since the service started.
    pub hits: u64,
}

impl SearchCache {
    /// A cache holding answers of about `budget` bytes at most (0: off).
    pub(super) fn new(budget: usize) -> SearchCache {
        SearchCache {
            budget,
            inner: Mutex::new(Kept {
                view: None,
                answers: LruCache::unbounded(),
                bytes: 0,
                hits: 0,
            }),
        }
    }

    /// Whether answers are kept at all.
    pub(super) fn enabled(&self) -> bool {
        self.budget > 0
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer kept for `key` in `view`; a newer view than the one kept empties
    /// the cache first.
    pub(super) fn get(&self, view: &View, key: &str) -> Option<Arc<SearchOutcome>> {
        let mut kept = self.kept();
        if !kept.view.as_ref().is_some_and(|v| v.same(view)) {
            kept.view = Some(view.clone());
            kept.bytes = 0;
            let stale = std::mem::replace(&mut kept.answers, LruCache::unbounded());
            // Thousands of answers are freed after the lock, not by the searches
            // waiting for it.
            drop(kept);
            drop(stale);
            metrics::gauge!("stockyard_search_cache_bytes").set(0.0);
            return None;
        }
        let answer = kept.answers.get(key).map(|(answer, _)| answer.clone());
        kept.hits += u64::from(answer.is_some());
        answer
    }

    /// Keeps `answer` for `key`, if `view` is still the one kept and the answer fits,
    /// making room by dropping the least recently used.
    pub(super) fn put(&self, view: &View, key: String, answer: Arc<SearchOutcome>) {
        let size = key.len() + answer_bytes(&answer);
        if size > self.budget / 4 {
            return;
        }
        let mut kept = self.kept();
        if !kept.view.as_ref().is_some_and(|v| v.same(view)) {
            return;
        }
        if let Some((_, (_, old))) = kept.answers.push(key, (answer, size)) {
            kept.bytes -= old;
        }
        kept.bytes += size;
        while kept.bytes > self.budget {
            match kept.answers.pop_lru() {
                Some((_, (_, dropped))) => kept.bytes -= dropped,
                None => break,
            }
        }
        metrics::gauge!("stockyard_search_cache_bytes").set(kept.bytes as f64);
    }

    /// What it holds now.
    pub(super) fn usage(&self) -> CacheUsage {
        let kept = self.kept();
        CacheUsage {
            answers: kept.answers.len(),
            bytes: kept.bytes,
            hits: kept.hits,
        }
    }
}

/// An estimate of the heap an answer holds: its hit set, the page's listings (their
/// texts dominate) and the facet values.
fn answer_bytes(answer: &SearchOutcome) -> usize {
    use std::mem::size_of;
    let hits: usize = answer
        .hits
        .iter()
        .map(|h| {
            let m = &h.listing.machine;
            let texts: usize = m
                .title
                .iter()
                .chain(m.description.iter().flat_map(|d| d.iter()))
                .map(|(_, t)| t.len() + 32)
                .sum();
            size_of::<crate::search::Hit>() + h.machine_id.len() + texts + 256
        })
        .sum();
    let f = &answer.facets;
    let values: usize = [&f.categories, &f.makers, &f.models]
        .into_iter()
        .flatten()
        .map(|v| {
            size_of::<crate::graph::FacetCount>()
                + v.id.len()
                + v.name.len()
                + v.parent.as_ref().map_or(0, String::len)
        })
        .sum();
    let histograms: usize = f
        .specs
        .iter()
        .chain(&f.attributes)
        .map(|s| 64 + s.id.len() + s.buckets.len() * size_of::<(f64, f64, u64)>())
        .sum();
    size_of::<SearchOutcome>() + f.matching.serialized_size() + hits + values + histograms
}
