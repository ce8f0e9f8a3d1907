//! Where searches run: a bounded number at once, in two lanes.
//!
//! Every search starts in the light lane, builds its query, and moves to the heavy lane
//! when it will visit many documents. Each lane runs at most as many searches at once
//! as there are cores, so a burst of broad queries queues in its own lane while cheap
//! ones (model numbers, narrow words) keep running beside them; and no burst can start
//! more searching threads than the machine has room for.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Where searches run: at most as many at once as there are cores in each of two lanes,
/// light and heavy (see [`crate::engine::search`]).
#[derive(Debug, Clone)]
pub struct SearchPool {
    light: Arc<Semaphore>,
    heavy: Arc<Semaphore>,
}

impl Default for SearchPool {
    fn default() -> Self {
        SearchPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

/// A running search's place: it holds a light permit until it moves to the heavy lane.
pub struct Lane<'a> {
    pool: &'a SearchPool,
    permit: Option<OwnedSemaphorePermit>,
    heavy: bool,
}

impl Lane<'_> {
    /// Moves the search to the heavy lane, waiting for room there; the light lane's
    /// place is given up first.
    pub fn heavy(&mut self) {
        if self.heavy {
            return;
        }
        self.permit = None;
        let heavy = self.pool.heavy.clone();
        self.permit = tokio::runtime::Handle::current()
            .block_on(heavy.acquire_owned())
            .ok();
        self.heavy = true;
    }
}

impl SearchPool {
    /// Lanes of `per_lane` searches each.
    pub fn new(per_lane: usize) -> SearchPool {
        SearchPool {
            light: Arc::new(Semaphore::new(per_lane.max(1))),
            heavy: Arc::new(Semaphore::new(per_lane.max(1))),
        }
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
            let mut lane = Lane {
                pool: &pool,
                permit: Some(permit),
                heavy: false,
            };
            let out = f(&mut lane);
            drop(lane);
            out
        })
        .await
        .ok()
    }
}
