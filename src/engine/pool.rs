//! Where searches run: a bounded number at once, in two lanes.
//!
//! Every search starts in the light lane, builds its query, and moves to the heavy lane
//! when it will visit many documents. The heavy lane runs as many searches at once as
//! there are cores, the light lane four times as many, so a burst of broad queries
//! queues in its own lane while cheap ones (model numbers, narrow words) keep running
//! beside them; and no burst can start more searching threads than that.

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Where searches run: a light lane of four searches per core and a heavy lane of one
/// per core, so a burst of broad queries waits in its own lane.
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
    /// Lanes for `cores` cores: up to four light searches per core (cheap ones finish
    /// in a few milliseconds, and the system shares the cores among them fairly), and
    /// as many heavy ones as cores, so that broad queries queue among themselves
    /// instead of crowding out cheap ones.
    pub fn new(cores: usize) -> SearchPool {
        let cores = cores.max(1);
        SearchPool {
            light: Arc::new(Semaphore::new(4 * cores)),
            heavy: Arc::new(Semaphore::new(cores)),
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
