//! The running catalog: the event log, the generation of projections that serves
//! reads, the background indexer that keeps it current, and rebuilds.
//!
//! Writes go to the log first (durable, deduplicated by event id); a worker thread
//! applies them to the current generation in batches: as soon as events wait, it
//! gives them up to [`Settings::max_delay`] to gather (or a full batch), then commits,
//! so a new listing is searchable within about that delay. A rebuild replays the log
//! into a new generation while the current one keeps serving, then switches over
//! atomically (the `CURRENT` file names the generation in use) and deletes the old
//! one. A generation written by another projection version is rebuilt at start, and
//! keeps serving meanwhile when this build can still read it.

mod browse;
mod cache;
mod generation;
pub mod ingest;
pub mod lookup;
mod per_snapshot;
mod pool;
pub mod search;

pub use browse::{GraphSource, LiveListing};
pub use cache::CacheUsage;
pub use generation::{projection_version, Generation, GenerationError};
pub use ingest::{Format, IngestError, Ingested, LineError};
pub use lookup::{FacetValueMatch, Suggested, Suggestion};
pub use pool::{Lane, SearchPool};
pub use search::{FacetWants, SearchFailure, SearchKind, SearchOutcome, SearchPlan};

use crate::fsutil::write_atomic;
use crate::search::LanguageDetector;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};
use stockyard_indexer::{DeadLetter, Durability, EventLog, LogError, SharedLog, Status};
use stockyard_schema::Decoder;

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the log and the generations live.
    pub data_dir: PathBuf,
    /// When appended events reach the disk.
    pub durability: Durability,
    /// Most events per commit while serving.
    pub batch: u64,
    /// Most events per commit while rebuilding (bigger: fewer commits).
    pub rebuild_batch: u64,
    /// How long waiting events may gather before they are committed.
    pub max_delay: Duration,
    /// Most events the indexer may be behind before ingest is refused (backpressure).
    pub max_lag: u64,
    /// A Neo4j graph kept current as a third projection (the site's own Neo4j).
    pub neo4j: Option<crate::graph::Neo4jConfig>,
    /// How many notifications the alerts keep, and how long.
    pub retention: crate::alerts::Retention,
    /// Whether searches take the bundled trade words ([`crate::search::trade_words`]).
    pub trade_words: bool,
    /// About how many bytes of answers to keep for repeated searches (0: none), for
    /// the view being served only (any indexed event starts afresh); see
    /// [`CacheUsage`].
    pub search_cache_bytes: usize,
}

impl Settings {
    /// Defaults for a data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Settings {
        Settings {
            data_dir: data_dir.into(),
            durability: Durability::EveryAppend,
            batch: 10_000,
            rebuild_batch: 200_000,
            max_delay: Duration::from_millis(200),
            max_lag: 1_000_000,
            neo4j: None,
            retention: crate::alerts::Retention::default(),
            trade_words: true,
            search_cache_bytes: DEFAULT_SEARCH_CACHE_BYTES,
        }
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The event log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A generation failed.
    #[error(transparent)]
    Generation(#[from] GenerationError),
    /// The data directory could not be used.
    #[error("data directory {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A rebuild is running already.
    #[error("a rebuild is already running")]
    RebuildRunning,
    /// The new generation's indexer failed (the current one keeps serving).
    #[error("rebuild: {0}")]
    Indexer(#[from] stockyard_indexer::RunError),
    /// Another process has the data directory open.
    #[error("data directory {0} is in use by another stockyard process")]
    Locked(PathBuf),
}

/// How far a rebuild is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildProgress {
    /// The generation being built.
    pub generation: u64,
    /// Events applied to it (by its slowest projection).
    pub applied: u64,
    /// Events in the log.
    pub head: u64,
}

/// Signals between ingest, the worker and waiters.
#[derive(Default)]
struct Signals {
    /// Set by ingest, cleared by the worker.
    pending: Mutex<bool>,
    wake: Condvar,
    /// Notified after every commit.
    progress: Condvar,
    progress_lock: Mutex<()>,
}

/// The running catalog; see the [module docs](self).
pub struct Engine {
    settings: Settings,
    log: SharedLog,
    detector: Arc<LanguageDetector>,
    /// Validates ingested events, knowing the spec categories seen so far.
    decoder: Mutex<Decoder>,
    current: RwLock<Arc<Generation>>,
    status: Mutex<Status>,
    rebuild: Mutex<Option<RebuildProgress>>,
    signals: Signals,
    stop: AtomicBool,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The log position the serving generation must reach to be ready: the head at
    /// start (or after loading a catalog at start, see [`Engine::ready_at_head`]).
    ready_at: AtomicU64,
    /// The catalog's names folded for matching, for the latest graph snapshot asked.
    folded_names: per_snapshot::PerSnapshot<lookup::FoldedCatalog>,
    /// The marketplace's synonym sets as a dictionary, for the latest snapshot asked.
    synonyms: per_snapshot::PerSnapshot<crate::search::trade_words::TradeWords>,
    /// Answers of the serving view, for repeated searches.
    cache: cache::SearchCache,
    /// Held while the engine lives: one process per data directory (released by the
    /// system when the process dies, however it dies).
    _lock: std::fs::File,
}

const CURRENT: &str = "CURRENT";

/// Bytes of answers kept for repeated searches unless configured otherwise: a few
/// thousand typical answers (a page of hits, the facets, the hit set).
pub const DEFAULT_SEARCH_CACHE_BYTES: usize = 64 << 20;

/// What opening found of the serving generation's version.
#[derive(Debug, PartialEq, Eq)]
enum Outdated {
    /// Current.
    No,
    /// Another version, still readable: it serves while a rebuild runs.
    Serving,
    /// Another version, unreadable: a new generation took its place.
    Replaced,
}

impl Engine {
    /// Opens the data directory (creating it), starts the background indexer and, when
    /// the generation on disk was written by another projection version, a rebuild.
    pub fn open(
        settings: Settings,
        detector: Arc<LanguageDetector>,
    ) -> Result<Arc<Engine>, EngineError> {
        let dir = settings.data_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|e| EngineError::Io(dir.clone(), e))?;
        let lock =
            std::fs::File::create(dir.join("LOCK")).map_err(|e| EngineError::Io(dir.clone(), e))?;
        lock.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => EngineError::Locked(dir.clone()),
            std::fs::TryLockError::Error(e) => EngineError::Io(dir.clone(), e),
        })?;
        let (log, report) = EventLog::open(&dir.join("events.log"), settings.durability)?;
        if report.truncated_bytes > 0 {
            tracing::warn!(
                bytes = report.truncated_bytes,
                "event log: cut an interrupted write at its end"
            );
        }
        let log = SharedLog::from(log);
        let number = match std::fs::read_to_string(dir.join(CURRENT)) {
            Ok(s) => s.trim().parse().unwrap_or(1),
            Err(_) => 1,
        };
        let open = |n, any_version| {
            Generation::open(
                &settings,
                n,
                log.clone(),
                detector.clone(),
                settings.batch,
                any_version,
            )
        };
        let (generation, outdated) = match open(number, false) {
            Ok(g) => (g, Outdated::No),
            // Written by another version: keep serving it while the next generation is
            // built, if this build can still read it; else build the next one in its
            // place (not ready until it has caught up).
            Err(GenerationError::Version { .. }) => match open(number, true) {
                Ok(old) => (old, Outdated::Serving),
                Err(_) => (open(number + 1, false)?, Outdated::Replaced),
            },
            Err(e) => return Err(e.into()),
        };
        write_atomic(
            &dir.join(CURRENT),
            generation.number().to_string().as_bytes(),
        )
        .map_err(|e| EngineError::Io(dir.clone(), e))?;
        let spec_kinds = generation.graph().get().spec_kinds();
        let status = generation.indexer().status();
        let answers = cache::SearchCache::new(settings.search_cache_bytes);
        let engine = Arc::new(Engine {
            settings,
            log,
            detector,
            decoder: Mutex::new(Decoder::with_spec_kinds(spec_kinds)),
            current: RwLock::new(Arc::new(generation)),
            status: Mutex::new(status),
            rebuild: Mutex::new(None),
            signals: Signals::default(),
            stop: AtomicBool::new(false),
            worker: Mutex::new(None),
            ready_at: AtomicU64::new(0),
            folded_names: Default::default(),
            synonyms: Default::default(),
            cache: answers,
            _lock: lock,
        });
        engine.ready_at_head();
        if outdated == Outdated::Replaced {
            engine.remove_other_generations();
        }
        let worker = {
            let engine = engine.clone();
            std::thread::Builder::new()
                .name("stockyard-indexer".into())
                .spawn(move || engine.run_worker())
                .map_err(|e| EngineError::Io(dir.clone(), e))?
        };
        *engine.worker.lock().unwrap_or_else(|e| e.into_inner()) = Some(worker);
        engine.wake();
        if outdated == Outdated::Serving {
            engine.rebuild()?;
        }
        Ok(engine)
    }

    /// The generation serving reads now.
    pub fn current(&self) -> Arc<Generation> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The indexer's state as of its last commit (never waits for a running batch).
    pub fn status(&self) -> Status {
        let mut s = self
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        s.head = self.log.head();
        for p in &mut s.projections {
            p.lag = s.head.saturating_sub(p.applied);
        }
        s
    }

    /// Whether the serving generation has caught up with the log as it was at start.
    pub fn is_ready(&self) -> bool {
        self.applied() >= self.ready_at.load(Ordering::Acquire)
    }

    /// Not ready until everything in the log now is applied (called at start, and
    /// after loading a catalog at start).
    pub fn ready_at_head(&self) {
        self.ready_at.fetch_max(self.log.head(), Ordering::AcqRel);
    }

    /// The running rebuild, if any.
    pub fn rebuild_progress(&self) -> Option<RebuildProgress> {
        *self.rebuild.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Dead letters of the serving generation.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.current().indexer().dead_letters().to_vec()
    }

    /// Hands the dead letters back to the log to be applied again; returns how many.
    pub fn retry_dead_letters(&self) -> Result<usize, stockyard_indexer::RunError> {
        let appended = self.current().indexer().retry_dead_letters()?;
        self.wake();
        Ok(appended
            .first
            .zip(appended.last)
            .map_or(0, |(f, l)| (l - f + 1) as usize))
    }

    fn wake(&self) {
        *self
            .signals
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = true;
        self.signals.wake.notify_all();
    }

    fn notify_progress(&self) {
        let _guard = self.signals.progress_lock.lock();
        self.signals.progress.notify_all();
    }

    /// Waits until every event before `position` is visible to searches, at most
    /// `timeout`; returns whether it is.
    pub fn wait_visible(&self, position: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut guard = self
            .signals
            .progress_lock
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        loop {
            if self.applied() >= position {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = self
                .signals
                .progress
                .wait_timeout(guard, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Events applied by every projection of the serving generation.
    pub fn applied(&self) -> u64 {
        let s = self.status.lock().unwrap_or_else(|e| e.into_inner());
        s.projections.iter().map(|p| p.applied).min().unwrap_or(0)
    }

    /// Events in the log.
    pub fn head(&self) -> u64 {
        self.log.head()
    }

    fn run_worker(&self) {
        // Whether events came as a backlog (big batches) since projections were last
        // told they had caught up (see `Projection::caught_up`); a generation that a
        // rebuild switched to was built from one.
        let mut backlog = false;
        let mut serving = self.current().number();
        while !self.stop.load(Ordering::Acquire) {
            let generation = self.current();
            if generation.number() != serving {
                serving = generation.number();
                backlog = true;
            }
            let lag = self.log.head().saturating_sub(self.applied());
            if lag == 0 {
                let mut pending = self
                    .signals
                    .pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                if !*pending {
                    pending = self
                        .signals
                        .wake
                        .wait_timeout(pending, Duration::from_secs(1))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                let woken = std::mem::take(&mut *pending);
                drop(pending);
                // A quiet second after a backlog: a bulk import that pauses between
                // its files is not reorganised after each.
                if !woken && backlog && self.log.head() <= self.applied() {
                    backlog = false;
                    Self::caught_up(&generation);
                }
                if self.log.head() > self.applied() {
                    // Let a burst gather into one commit.
                    std::thread::sleep(self.settings.max_delay);
                }
                continue;
            }
            let mut indexer = generation.indexer();
            // A backlog (start-up, a burst) goes in big batches: fewer commits.
            backlog |= lag > self.settings.batch;
            indexer.set_batch(if lag > self.settings.batch {
                self.settings.rebuild_batch
            } else {
                self.settings.batch
            });
            // A projection that panics must not stop indexing for good: its batch was
            // not committed, so it is tried again.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| indexer.step()))
                .unwrap_or_else(|_| {
                    Err(stockyard_indexer::RunError::Projection(
                        stockyard_indexer::ProjectionError {
                            projection: "?".into(),
                            reason: "a projection panicked; see the log".into(),
                        },
                    ))
                });
            let status = indexer.status();
            drop(indexer);
            // Before the events count as applied: an answer of the view before them
            // is never found once they are visible.
            if self.cache.enabled() {
                self.cache.retire(&self.view());
            }
            if let Err(e) = &result {
                tracing::error!("indexer: {e}; retrying");
                std::thread::sleep(Duration::from_millis(500));
            }
            // A rebuild may have switched generations meanwhile: only the serving
            // generation's status counts.
            if Arc::ptr_eq(&generation, &self.current()) {
                *self.status.lock().unwrap_or_else(|e| e.into_inner()) = status;
            }
            self.notify_progress();
        }
        // Stopped right after a backlog (the CLI's `ingest`): the next start would
        // begin with the index as the backlog left it.
        backlog |= self.current().number() != serving;
        if backlog && self.log.head() <= self.applied() {
            Self::caught_up(&self.current());
        }
    }

    /// Tells `generation`'s projections a backlog is applied; a failure leaves their
    /// stores as they were, so it is only logged.
    fn caught_up(generation: &Generation) {
        if let Err(e) = generation.indexer().caught_up() {
            tracing::warn!("indexer: after the backlog: {e}");
        }
    }

    /// Replays the whole log into a new generation on a background thread, switching
    /// over once it has caught up; returns the new generation's number.
    pub fn rebuild(self: &Arc<Self>) -> Result<u64, EngineError> {
        let number = self.claim_rebuild()?;
        let engine = self.clone();
        std::thread::Builder::new()
            .name("stockyard-rebuild".into())
            .spawn(move || {
                if let Err(e) = engine.rebuild_with(number, |_| {}) {
                    tracing::error!("rebuild of generation {number} failed: {e}");
                }
                *engine.rebuild.lock().unwrap_or_else(|e| e.into_inner()) = None;
            })
            .map_err(|e| EngineError::Io(self.settings.data_dir.clone(), e))?;
        Ok(number)
    }

    /// Rebuilds on this thread (the CLI's `rebuild`): calls `progress` after each
    /// commit; returns once the new generation serves.
    pub fn rebuild_blocking(
        &self,
        progress: impl FnMut(RebuildProgress),
    ) -> Result<u64, EngineError> {
        let number = self.claim_rebuild()?;
        let result = self.rebuild_with(number, progress);
        *self.rebuild.lock().unwrap_or_else(|e| e.into_inner()) = None;
        result.map(|()| number)
    }

    /// Marks a rebuild as running (one at a time); returns the generation it builds.
    fn claim_rebuild(&self) -> Result<u64, EngineError> {
        let mut running = self.rebuild.lock().unwrap_or_else(|e| e.into_inner());
        if running.is_some() {
            return Err(EngineError::RebuildRunning);
        }
        let number = self.current().number() + 1;
        *running = Some(RebuildProgress {
            generation: number,
            applied: 0,
            head: self.log.head(),
        });
        Ok(number)
    }

    fn rebuild_with(
        &self,
        number: u64,
        mut progress: impl FnMut(RebuildProgress),
    ) -> Result<(), EngineError> {
        let dir = Generation::dir_of(&self.settings.data_dir, number);
        if dir.exists() {
            // Left by a rebuild that did not finish: start it over.
            std::fs::remove_dir_all(&dir).map_err(|e| EngineError::Io(dir.clone(), e))?;
        }
        let generation = Generation::open(
            &self.settings,
            number,
            self.log.clone(),
            self.detector.clone(),
            self.settings.rebuild_batch,
            false,
        )?;
        let step = |generation: &Generation| -> Result<Status, EngineError> {
            let mut indexer = generation.indexer();
            indexer.step()?;
            Ok(indexer.status())
        };
        loop {
            let status = step(&generation)?;
            let applied = status
                .projections
                .iter()
                .map(|p| p.applied)
                .min()
                .unwrap_or(0);
            let p = RebuildProgress {
                generation: number,
                applied,
                head: status.head,
            };
            *self.rebuild.lock().unwrap_or_else(|e| e.into_inner()) = Some(p);
            progress(p);
            if status.head - applied < self.settings.batch {
                break;
            }
        }
        // Switch: hold the serving slot while the last few events are applied, so that
        // readers go from the old generation straight to a caught-up new one.
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let status = loop {
            let status = step(&generation)?;
            if status.projections.iter().all(|p| p.lag == 0) {
                break status;
            }
        };
        write_atomic(
            &self.settings.data_dir.join(CURRENT),
            number.to_string().as_bytes(),
        )
        .map_err(|e| EngineError::Io(self.settings.data_dir.clone(), e))?;
        generation.indexer().set_batch(self.settings.batch);
        *current = Arc::new(generation);
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = status;
        drop(current);
        self.notify_progress();
        self.remove_other_generations();
        Ok(())
    }

    /// Deletes every generation but the serving one (readers still holding an old one
    /// keep their open files until they let go).
    fn remove_other_generations(&self) {
        let keep = Generation::dir_of(&self.settings.data_dir, self.current().number());
        let Ok(entries) = std::fs::read_dir(&self.settings.data_dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_generation = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("gen-"));
            if is_generation && path != keep {
                if let Err(e) = std::fs::remove_dir_all(&path) {
                    tracing::warn!("cannot remove old generation {}: {e}", path.display());
                }
            }
        }
    }

    /// Stops the worker after its current batch (every commit is durable, so nothing
    /// else needs flushing).
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::Release);
        self.wake();
        let worker = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = worker {
            let _ = w.join();
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.settings.data_dir
    }
}
