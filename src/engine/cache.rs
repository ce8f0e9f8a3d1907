//! Answers of the serving view, kept for repeated searches.
//!
//! A marketplace's searches repeat: the front page's category browses, the popular
//! makers, the same words typed by many buyers. An answer depends only on the plan
//! and on what the search read: the generation, its text index as of its last reload
//! and its graph snapshot (the *view*). So answers are kept for the latest view only,
//! keyed by the whole plan, and the first search that sees another view empties the
//! cache: a listing indexed a moment ago is in the next answer, never behind a kept
//! one. An answer is kept only when the view did not move while it was computed, and
//! when the plan's exchange rates are the view's own (a plan checked against an older
//! graph is answered, not kept).
//!
//! A search asked again while the same one is running (same view, same plan) waits for
//! it rather than running twice: after every commit the popular searches all miss at
//! once, and would otherwise each be searched by as many requests as arrive meanwhile.
//! Should the running one fail or be dropped, each waiter searches on its own.
//!
//! The cache is bounded by an estimate of the bytes its answers hold, least recently
//! used first out. Off (`[search] cache_mb = 0`), every search runs.

use super::SearchOutcome;
use crate::graph::EmbeddedGraph;
use lru::LruCache;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use tokio::sync::watch;

/// Where a running search's answer is announced (`None` until it is there).
type Announced = watch::Receiver<Option<Arc<SearchOutcome>>>;

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
    /// Searches of the kept view running now, by key, with their flight's number.
    running: HashMap<String, (u64, Announced)>,
    /// Flights ever started, to tell a flight's own entry from a later one's.
    flights: u64,
    hits: u64,
    joined: u64,
}

/// What a lookup found.
pub(super) enum Lookup<'a> {
    /// The answer, kept.
    Kept(Arc<SearchOutcome>),
    /// The same search is running: wait for its answer ([`SearchCache::wait`]).
    Running(Announced),
    /// Nothing: search, then [`Flight::land`] the answer.
    Search(Flight<'a>),
}

/// A search others may wait for; dropped without landing (an error, a cancelled
/// request), it tells them to search on their own.
pub(super) struct Flight<'a> {
    cache: &'a SearchCache,
    view: View,
    key: String,
    number: u64,
    announce: watch::Sender<Option<Arc<SearchOutcome>>>,
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
    /// Searches that waited for the same search running rather than running it again.
    pub joined: u64,
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
                running: HashMap::new(),
                flights: 0,
                hits: 0,
                joined: 0,
            }),
        }
    }

    /// Whether answers are kept at all.
    pub(super) fn enabled(&self) -> bool {
        self.budget > 0
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer kept for `key` in `view`, the same search running, or a flight to
    /// search in; a view other than the one kept empties the cache first.
    pub(super) fn lookup(&self, view: &View, key: String) -> Lookup<'_> {
        let mut kept = self.kept();
        if !kept.view.as_ref().is_some_and(|v| v.same(view)) {
            Self::renew(kept, view);
            return self.fly(view, key);
        }
        if let Some(answer) = kept.answers.get(&key).map(|(a, _)| a.clone()) {
            kept.hits += 1;
            return Lookup::Kept(answer);
        }
        if let Some(announced) = kept.running.get(&key).map(|(_, a)| a.clone()) {
            kept.joined += 1;
            return Lookup::Running(announced);
        }
        drop(kept);
        self.fly(view, key)
    }

    /// Empties the cache if `view`, the one served now, is not the one kept: called
    /// after every commit, so that kept answers let go of the graph the commit
    /// replaced, which the graph projection takes back as its next working copy once
    /// no reader holds it (else it copies the whole graph: `projections/graph.rs`).
    pub(super) fn retire(&self, view: &View) {
        let kept = self.kept();
        if kept.view.as_ref().is_some_and(|v| !v.same(view)) {
            Self::renew(kept, view);
        }
    }

    /// Keeps answers of `view` from now on, none yet.
    fn renew(mut kept: MutexGuard<'_, Kept>, view: &View) {
        kept.view = Some(view.clone());
        kept.bytes = 0;
        kept.running.clear();
        let stale = std::mem::replace(&mut kept.answers, LruCache::unbounded());
        // Thousands of answers are freed after the lock, not by the searches waiting
        // for it.
        drop(kept);
        drop(stale);
        metrics::gauge!("stockyard_search_cache_bytes").set(0.0);
    }

    /// Starts a flight for `key` (another may have started meanwhile: then both search,
    /// the later one announced).
    fn fly(&self, view: &View, key: String) -> Lookup<'_> {
        let (announce, announced) = watch::channel(None);
        let mut kept = self.kept();
        kept.flights += 1;
        let number = kept.flights;
        if kept.view.as_ref().is_some_and(|v| v.same(view)) {
            kept.running.insert(key.clone(), (number, announced));
        }
        Lookup::Search(Flight {
            cache: self,
            view: view.clone(),
            key,
            number,
            announce,
        })
    }

    /// The answer of the running search `announced`, or `None` if it gave none.
    pub(super) async fn wait(mut announced: Announced) -> Option<Arc<SearchOutcome>> {
        announced
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|answer| answer.clone())
    }

    /// Keeps `answer` for `key`, if `view` is still the one kept and the answer fits,
    /// making room by dropping the least recently used.
    fn put(&self, view: &View, key: String, answer: Arc<SearchOutcome>) {
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
            joined: kept.joined,
        }
    }

    /// Forgets flight `number` of `key`, unless a later one took its place.
    fn ground(&self, key: &str, number: u64) {
        let mut kept = self.kept();
        if kept.running.get(key).is_some_and(|(n, _)| *n == number) {
            kept.running.remove(key);
        }
    }
}

impl Flight<'_> {
    /// The view the search must read throughout for its answer to be kept.
    pub(super) fn view(&self) -> &View {
        &self.view
    }

    /// Hands `answer` to the searches waiting for it, and keeps it if `keep`.
    pub(super) fn land(self, answer: &Arc<SearchOutcome>, keep: bool) {
        if keep {
            self.cache.put(&self.view, self.key.clone(), answer.clone());
        }
        self.announce.send_replace(Some(answer.clone()));
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        // Landed or not, the flight is over: later lookups find the kept answer or
        // search again; waiters of a flight that did not land see it closed.
        self.cache.ground(&self.key, self.number);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Facets;
    use crate::search::relax::Relax;

    fn view(graph: &Arc<EmbeddedGraph>) -> View {
        View {
            generation: 1,
            text: (3, 4),
            graph: Arc::downgrade(graph),
        }
    }

    fn answer(graph: &Arc<EmbeddedGraph>, total: usize) -> Arc<SearchOutcome> {
        Arc::new(SearchOutcome {
            relaxed: Relax::Strict,
            total,
            hits: Vec::new(),
            facets: Facets {
                matching: Default::default(),
                categories: Vec::new(),
                makers: Vec::new(),
                models: Vec::new(),
                specs: Vec::new(),
                attributes: Vec::new(),
            },
            graph: graph.clone(),
        })
    }

    /// A search of `q` running, and a second asking for it.
    fn running<'a>(cache: &'a SearchCache, graph: &Arc<EmbeddedGraph>) -> (Flight<'a>, Announced) {
        let Lookup::Search(flight) = cache.lookup(&view(graph), "q".into()) else {
            panic!("nothing kept yet");
        };
        let Lookup::Running(announced) = cache.lookup(&view(graph), "q".into()) else {
            panic!("the first is running");
        };
        (flight, announced)
    }

    /// `q` searched in `graph`'s view, its answer (of `total` hits) kept.
    fn kept_in(cache: &SearchCache, graph: &Arc<EmbeddedGraph>, total: usize) {
        let Lookup::Search(flight) = cache.lookup(&view(graph), "q".into()) else {
            panic!("nothing kept yet");
        };
        flight.land(&answer(graph, total), true);
    }

    fn waited(announced: Announced) -> Option<Arc<SearchOutcome>> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(SearchCache::wait(announced))
    }

    #[test]
    fn a_search_asked_while_it_runs_is_waited_for_then_kept() {
        let graph = Arc::new(EmbeddedGraph::new());
        let cache = SearchCache::new(1 << 20);
        let (flight, announced) = running(&cache, &graph);
        assert!(matches!(
            cache.lookup(&view(&graph), "other".into()),
            Lookup::Search(_)
        ));
        let landed = answer(&graph, 7);
        flight.land(&landed, true);
        assert!(Arc::ptr_eq(&waited(announced).unwrap(), &landed));
        let Lookup::Kept(kept) = cache.lookup(&view(&graph), "q".into()) else {
            panic!("kept");
        };
        assert!(Arc::ptr_eq(&kept, &landed));
        let usage = cache.usage();
        assert_eq!((usage.joined, usage.hits, usage.answers), (1, 1, 1));
    }

    #[test]
    fn waiters_of_a_search_that_gave_no_answer_search_on_their_own() {
        let graph = Arc::new(EmbeddedGraph::new());
        let cache = SearchCache::new(1 << 20);
        let (flight, announced) = running(&cache, &graph);
        drop(flight);
        assert!(waited(announced).is_none());
        assert!(matches!(
            cache.lookup(&view(&graph), "q".into()),
            Lookup::Search(_)
        ));
    }

    #[test]
    fn an_answer_not_to_keep_is_still_handed_to_its_waiters() {
        let graph = Arc::new(EmbeddedGraph::new());
        let cache = SearchCache::new(1 << 20);
        let (flight, announced) = running(&cache, &graph);
        flight.land(&answer(&graph, 7), false);
        assert_eq!(waited(announced).unwrap().total, 7);
        assert_eq!(cache.usage().answers, 0);
        assert!(matches!(
            cache.lookup(&view(&graph), "q".into()),
            Lookup::Search(_)
        ));
    }

    #[test]
    fn another_view_empties_the_cache() {
        let (old, new) = (
            Arc::new(EmbeddedGraph::new()),
            Arc::new(EmbeddedGraph::new()),
        );
        let cache = SearchCache::new(1 << 20);
        kept_in(&cache, &old, 7);
        assert!(matches!(
            cache.lookup(&view(&new), "q".into()),
            Lookup::Search(_)
        ));
        assert_eq!(cache.usage().answers, 0);
        let reloaded = View {
            text: (3, 5),
            ..view(&new)
        };
        assert!(matches!(
            cache.lookup(&reloaded, "q".into()),
            Lookup::Search(_)
        ));
        // An answer of a view no longer kept is not kept.
        let Lookup::Search(late) = cache.lookup(&view(&old), "late".into()) else {
            panic!("nothing kept");
        };
        let Lookup::Search(_) = cache.lookup(&reloaded, "x".into()) else {
            panic!("emptied again");
        };
        late.land(&answer(&old, 1), true);
        assert_eq!(cache.usage().answers, 0);
    }

    #[test]
    fn a_commit_lets_go_of_the_graph_it_replaced() {
        let (old, new) = (
            Arc::new(EmbeddedGraph::new()),
            Arc::new(EmbeddedGraph::new()),
        );
        let cache = SearchCache::new(1 << 20);
        kept_in(&cache, &old, 7);
        assert_eq!(Arc::strong_count(&old), 2, "the kept answer holds it");
        cache.retire(&view(&old));
        assert_eq!(cache.usage().answers, 1, "the view served is the one kept");
        cache.retire(&view(&new));
        assert_eq!(Arc::strong_count(&old), 1);
        assert_eq!(cache.usage().answers, 0);
    }
}
