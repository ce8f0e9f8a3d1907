//! Where searches run: a bounded number at once, in two lanes.
//!
//! Every search starts in the light lane, builds its query, and moves to the heavy lane
//! when it will visit many documents. The heavy lane runs as many searches at once as
//! there are cores, the light lane four times as many, so a burst of broad queries
//! queues in its own lane while cheap ones (model numbers, narrow words) keep running
//! beside them; and no burst can start more searching threads than that.
//!
//! Each lane also keeps the buffers its searches run in ([`SearchBuffers`]: a few bytes
//! per indexed document, a dozen per hit), lent to a search while it holds a permit: so
//! the server keeps at most one set per search that can run at once, and only the
//! heavy lane's few sets grow to the size of the broadest queries. (Buffers per thread
//! would multiply by the blocking threads, which outnumber the permits and come and
//! go: at a million listings that kept several hundred megabytes more resident.)

use crate::search::SearchBuffers;
use crate::two_threads::Threads;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Documents to visit (summed size hints of the match classes, which overcount: a
/// union hints the sum of its members) above which a search runs in the heavy lane.
/// At 20k, `pc200` (hinted above 20k) queued behind broad queries in the load
/// benchmark; with 80k, model numbers beside broad queries answer at p50 18 ms
/// (README's "model numbers beside broad queries" row).
const HEAVY_ABOVE: u64 = 80_000;

/// Documents to visit from which a search splits between two threads where a core
/// is idle: the heavy lane's bound. Model numbers (`pc200`, `komatsu pc200-8`, hinted
/// at 20k–80k) gained little from a second thread at one connection and lost 6–8 % of
/// their throughput at 16 (the idle test counts searches, not the HTTP work beside
/// them, so short searches found "idle" cores that were not).
const SPLIT_FROM: u64 = HEAVY_ABOVE + 1;

/// Where searches run: a light lane of four searches per core and a heavy lane of one
/// per core, so a burst of broad queries waits in its own lane.
///
/// A search visiting many documents that finds a core idle (fewer searches running
/// than cores) and a heavy place free takes that place too, and splits its pass over
/// the hits between two threads ([`Lane::with_helper`]): a buyer alone on the server
/// gets a broad query's answer in little more than half the time, and a busy server
/// runs each search on one thread as before.
#[derive(Debug, Clone)]
pub struct SearchPool {
    light: Arc<Semaphore>,
    heavy: Arc<Semaphore>,
    light_buffers: Shelf,
    heavy_buffers: Shelf,
    cores: usize,
    /// Searches running now, in either lane.
    running: Arc<AtomicUsize>,
    split_from: u64,
    /// Steps of searches (a pass over the hits, facets) that took a second core.
    split: Arc<AtomicU64>,
}

/// The buffers of a lane's searches not running now.
type Shelf = Arc<Mutex<Vec<SearchBuffers>>>;

impl Default for SearchPool {
    fn default() -> Self {
        SearchPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

/// A running search's place: it holds a light permit until it moves to the heavy lane,
/// and the buffers of its lane once it asks for them.
pub struct Lane<'a> {
    pool: &'a SearchPool,
    permit: Option<OwnedSemaphorePermit>,
    heavy: bool,
    buffers: Option<SearchBuffers>,
    /// The search's estimate of documents to visit ([`Lane::weigh`]).
    documents: u64,
}

impl<'a> Lane<'a> {
    /// Moves the search to the heavy lane, waiting for room there; the light lane's
    /// place (and buffers) are given up first.
    pub fn heavy(&mut self) {
        if self.heavy {
            return;
        }
        self.give_back();
        self.permit = None;
        let heavy = self.pool.heavy.clone();
        self.permit = tokio::runtime::Handle::current()
            .block_on(heavy.acquire_owned())
            .ok();
        self.heavy = true;
    }

    /// Moves the search to the heavy lane if it will visit more than the pool's bound
    /// of documents (its estimate), and notes the estimate for [`Lane::with_helper`].
    pub fn weigh(&mut self, documents: u64) {
        self.documents = documents;
        if documents > HEAVY_ABOVE {
            self.heavy();
        }
    }

    /// Runs `f` with the search's buffers and, for a search weighed at the pool's
    /// splitting bound or more when a core is idle and a heavy place free right now, a
    /// second set, lent with that place for `f` alone: the search then splits its pass
    /// over the hits between two threads. Never waits for the place.
    pub fn with_helper<T>(
        &mut self,
        f: impl FnOnce(&mut SearchBuffers, Option<&mut SearchBuffers>) -> T,
    ) -> T {
        let place = self.spare_place();
        let mut helper = place
            .as_ref()
            .map(|_| lock(&self.pool.heavy_buffers).pop().unwrap_or_default());
        let out = f(self.buffers(), helper.as_mut());
        if let Some(buffers) = helper {
            lock(&self.pool.heavy_buffers).push(buffers);
        }
        drop(place);
        out
    }

    /// Runs `f` on the threads it may use: two where a second core is lent to it, as
    /// [`Lane::with_helper`] lends one (the facets of a broad search).
    pub fn with_spare_core<T>(&mut self, f: impl FnOnce(Threads) -> T) -> T {
        // The place is held until `f` returns.
        let place = self.spare_place();
        f(if place.is_some() {
            Threads::Two
        } else {
            Threads::One
        })
    }

    /// A free heavy place for a search weighed at the splitting bound or more, when
    /// fewer searches run than there are cores.
    fn spare_place(&self) -> Option<OwnedSemaphorePermit> {
        let idle = self.pool.running.load(Ordering::Relaxed) < self.pool.cores;
        let place = (self.documents >= self.pool.split_from && idle)
            .then(|| self.pool.heavy.clone().try_acquire_owned().ok())
            .flatten()?;
        self.pool.split.fetch_add(1, Ordering::Relaxed);
        Some(place)
    }

    /// The buffers to search in: the lane's, lent until the search ends or moves lanes.
    pub fn buffers(&mut self) -> &mut SearchBuffers {
        let shelf = self.shelf();
        self.buffers
            .get_or_insert_with(|| lock(shelf).pop().unwrap_or_default())
    }

    fn shelf(&self) -> &'a Shelf {
        if self.heavy {
            &self.pool.heavy_buffers
        } else {
            &self.pool.light_buffers
        }
    }

    /// Returns the buffers to their shelf, unless a panic may have left them half used
    /// (the tiered pass counts on its marks being clear between searches).
    fn give_back(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Some(buffers) = self.buffers.take() {
            lock(self.shelf()).push(buffers);
        }
    }
}

impl Drop for Lane<'_> {
    fn drop(&mut self) {
        self.give_back();
        self.pool.running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The shelf, whether or not a search panicked while holding it (a shelf is a list of
/// buffers; none is left half moved).
fn lock(shelf: &Shelf) -> std::sync::MutexGuard<'_, Vec<SearchBuffers>> {
    shelf
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SearchPool {
    /// Lanes for `cores` cores: up to four light searches per core (cheap ones finish
    /// in a few milliseconds, and the system shares the cores among them fairly), and
    /// as many heavy ones as cores, so that broad queries queue among themselves
    /// instead of crowding out cheap ones.
    pub fn new(cores: usize) -> SearchPool {
        let cores = cores.max(1);
        SearchPool {
            light: Arc::new(Semaphore::new(4 * cores)),
            heavy: Arc::new(Semaphore::new(cores)),
            light_buffers: Shelf::default(),
            heavy_buffers: Shelf::default(),
            cores,
            running: Arc::default(),
            split_from: SPLIT_FROM,
            split: Arc::default(),
        }
    }

    /// The same pool with searches visiting at least `documents` split where a core
    /// is idle (tests split every search, so that small catalogs exercise it).
    pub fn split_from(self, documents: u64) -> SearchPool {
        SearchPool {
            split_from: documents,
            ..self
        }
    }

    /// The same pool with every search on one thread.
    pub fn one_thread_per_search(self) -> SearchPool {
        self.split_from(u64::MAX)
    }

    /// Whether a search may take a second core.
    pub fn splits(&self) -> bool {
        self.split_from < u64::MAX
    }

    /// How many steps of searches (a pass over the hits, a facet count) took a second
    /// core so far.
    pub fn cores_lent(&self) -> u64 {
        self.split.load(Ordering::Relaxed)
    }

    /// Runs `f` on a blocking thread once the light lane has room; `None` when the
    /// pool was closed or the work panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Lane<'_>) -> T + Send + 'static,
    ) -> Option<T> {
        let permit = self.light.clone().acquire_owned().await.ok()?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            pool.running.fetch_add(1, Ordering::Relaxed);
            let mut lane = Lane {
                pool: &pool,
                permit: Some(permit),
                heavy: false,
                buffers: None,
                documents: 0,
            };
            let out = f(&mut lane);
            drop(lane);
            out
        })
        .await
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn shelved(shelf: &Shelf) -> usize {
        lock(shelf).len()
    }

    /// GIVEN a pool for one core (four light searches at once, one heavy), WHEN forty
    /// searches arrive together and half of them move to the heavy lane, THEN at most
    /// four sets of buffers exist for the light lane and one for the heavy, all back on
    /// their shelves — however many blocking threads ran the searches.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn buffers_are_kept_per_running_search_not_per_thread() {
        let pool = SearchPool::new(1);
        let searches: Vec<_> = (0..40)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    pool.run(move |lane| {
                        lane.buffers();
                        std::thread::sleep(Duration::from_millis(2));
                        if i % 2 == 0 {
                            lane.heavy();
                            lane.buffers();
                            std::thread::sleep(Duration::from_millis(2));
                        }
                    })
                    .await
                })
            })
            .collect();
        for search in searches {
            search.await.unwrap().expect("the search ran");
        }
        let light = shelved(&pool.light_buffers);
        assert!((1..=4).contains(&light), "{light} light sets");
        assert_eq!(shelved(&pool.heavy_buffers), 1);
    }

    /// GIVEN a search that panics while it holds buffers, THEN the pool says it failed
    /// and does not shelve buffers it may have left half used; the next search gets
    /// fresh ones.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_search_does_not_shelve_its_buffers() {
        let pool = SearchPool::new(1);
        let failed = pool
            .run(|lane| {
                lane.buffers();
                panic!("a search gone wrong");
            })
            .await;
        assert!(failed.is_none());
        assert_eq!(shelved(&pool.light_buffers), 0);
        pool.run(|lane| {
            lane.buffers();
        })
        .await
        .expect("the next search ran");
        assert_eq!(shelved(&pool.light_buffers), 1);
    }
}
