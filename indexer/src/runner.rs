//! Driving projections from the log: catch-up in batches, dead letters, status.

use crate::dead_letters::DeadLetters;
use crate::log::{Appended, LogError};
use crate::projection::{DeadLetter, Projection, ProjectionError};
use crate::shared::SharedLog;
use std::time::Instant;
use stockyard_schema::{Event, EventId};

/// How far one projection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionStatus {
    /// The projection's name.
    pub name: String,
    /// Its committed checkpoint.
    pub applied: u64,
    /// Events in the log it has not applied yet.
    pub lag: u64,
}

/// The indexer's state, for the API's status and metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// Events in the log.
    pub head: u64,
    /// Each projection's progress.
    pub projections: Vec<ProjectionStatus>,
    /// Events applied per second during the last catch-up.
    pub events_per_second: f64,
    /// The last failure, if the last catch-up failed.
    pub last_error: Option<String>,
    /// Dead letters recorded so far.
    pub dead_letters: usize,
}

/// Why a catch-up stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The log could not be read.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A projection failed; it keeps its checkpoint and gets the same batch again.
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    /// The dead-letter file could not be written.
    #[error("dead letters: {0}")]
    DeadLetters(#[from] std::io::Error),
}

/// Applies the next batch (up to `head`) to one projection.
fn apply_next(
    p: &mut (dyn Projection + Send),
    log: &SharedLog,
    head: u64,
    batch: u64,
) -> Result<(u64, Vec<DeadLetter>), RunError> {
    let from = p.checkpoint()?;
    if from >= head {
        return Ok((0, Vec::new()));
    }
    let events = log.read_range(from, batch.min(head - from))?;
    let n = events.len() as u64;
    if n == 0 {
        return Ok((0, Vec::new()));
    }
    let started = Instant::now();
    let letters = p.apply(&events)?;
    // Through the `metrics` facade: free when the process installed no recorder.
    let name = p.name().to_owned();
    metrics::histogram!("stockyard_projection_commit_duration_seconds", "projection" => name.clone())
        .record(started.elapsed());
    metrics::counter!("stockyard_projection_events_total", "projection" => name).increment(n);
    Ok((n, letters))
}

/// Feeds projections from the log; see [`Projection`] for the exactly-once rule.
pub struct Indexer {
    log: SharedLog,
    projections: Vec<Box<dyn Projection + Send>>,
    batch: u64,
    dead_letters: DeadLetters,
    events_per_second: f64,
    last_error: Option<String>,
}

impl Indexer {
    /// An indexer over `log`, applying at most `batch` events per commit, with dead
    /// letters kept in memory (see [`Indexer::with_dead_letters`]).
    pub fn new(
        log: impl Into<SharedLog>,
        projections: Vec<Box<dyn Projection + Send>>,
        batch: u64,
    ) -> Indexer {
        Indexer {
            log: log.into(),
            projections,
            batch: batch.max(1),
            dead_letters: DeadLetters::in_memory(),
            events_per_second: 0.0,
            last_error: None,
        }
    }

    /// Keeps dead letters in `letters` (typically [`DeadLetters::open`] on a file).
    pub fn with_dead_letters(mut self, letters: DeadLetters) -> Indexer {
        self.dead_letters = letters;
        self
    }

    /// Changes the most events per commit.
    pub fn set_batch(&mut self, batch: u64) {
        self.batch = batch.max(1);
    }

    /// The lowest checkpoint of all projections: every event before it is applied
    /// everywhere (visible to every reader).
    pub fn applied(&self) -> Result<u64, RunError> {
        let mut min = self.log.head();
        for p in &self.projections {
            min = min.min(p.checkpoint()?);
        }
        Ok(min)
    }

    /// Applies at most one batch to each projection that is behind; returns how many
    /// events were applied in all (0 when every projection is at the head). Callers
    /// that share the log with writers use this to interleave with them.
    pub fn step(&mut self) -> Result<u64, RunError> {
        let start = Instant::now();
        let result = self.step_inner();
        let secs = start.elapsed().as_secs_f64();
        if let Ok(applied) = result {
            if applied > 0 && secs > 0.0 {
                self.events_per_second = applied as f64 / secs;
            }
        }
        self.last_error = result.as_ref().err().map(|e| e.to_string());
        result
    }

    fn step_inner(&mut self) -> Result<u64, RunError> {
        let head = self.log.head();
        let (log, batch) = (&self.log, self.batch);
        // Projections are independent stores: each takes its batch on its own thread.
        let results: Vec<Result<(u64, Vec<DeadLetter>), RunError>> = std::thread::scope(|s| {
            let running: Vec<_> = self
                .projections
                .iter_mut()
                .map(|p| s.spawn(move || apply_next(p.as_mut(), log, head, batch)))
                .collect();
            running
                .into_iter()
                .map(|r| {
                    r.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        let mut applied = 0;
        let mut first_error = None;
        for r in results {
            match r {
                Ok((n, letters)) => {
                    applied += n;
                    self.dead_letters.record(letters)?;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(applied),
        }
    }

    /// Hands every dead letter's event back to the log as a new event (same content,
    /// id `<id>~retry<position>`), to be applied again in order after what is there
    /// now, and empties the list. Returns what was appended.
    pub fn retry_dead_letters(&mut self) -> Result<Appended, RunError> {
        let mut positions: Vec<u64> = self.dead_letters.all().iter().map(|l| l.position).collect();
        positions.sort_unstable();
        positions.dedup();
        let mut events: Vec<Event> = Vec::with_capacity(positions.len());
        for p in positions {
            if let Some((_, mut event)) = self.log.read_range(p, 1)?.pop() {
                let id = format!("{}~retry{p}", event.id.as_str());
                event.id = EventId::new(id)
                    .or_else(|_| EventId::new(format!("retry~{p}")))
                    .expect("a retry id is a valid id");
                events.push(event);
            }
        }
        let appended = self.log.append(&events)?;
        self.dead_letters.clear()?;
        Ok(appended)
    }

    /// Brings every projection up to the head of the log, one batch (one commit) at a
    /// time; returns how many events were applied in all.
    pub fn catch_up(&mut self) -> Result<u64, RunError> {
        let mut applied = 0;
        loop {
            match self.step()? {
                0 => return Ok(applied),
                n => applied += n,
            }
        }
    }

    /// Tells every projection that a backlog has been applied (see
    /// [`Projection::caught_up`]); the first failure is returned after all were told.
    pub fn caught_up(&mut self) -> Result<(), RunError> {
        let mut first_error = None;
        for p in &mut self.projections {
            if let Err(e) = p.caught_up() {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), |e| Err(e.into()))
    }

    /// Dead letters recorded so far, oldest first.
    pub fn dead_letters(&self) -> &[DeadLetter] {
        self.dead_letters.all()
    }

    /// Where everything stands.
    pub fn status(&self) -> Status {
        let head = self.log.head();
        Status {
            head,
            projections: self
                .projections
                .iter()
                .map(|p| {
                    let applied = p.checkpoint().unwrap_or(0);
                    ProjectionStatus {
                        name: p.name().to_owned(),
                        applied,
                        lag: head.saturating_sub(applied),
                    }
                })
                .collect(),
            events_per_second: self.events_per_second,
            last_error: self.last_error.clone(),
            dead_letters: self.dead_letters.all().len(),
        }
    }
}
