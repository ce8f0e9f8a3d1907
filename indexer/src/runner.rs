//! Driving projections from the log: catch-up in batches, dead letters, status.

use crate::log::{EventLog, LogError};
use crate::projection::{DeadLetter, Projection, ProjectionError};
use std::time::Instant;

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
}

/// Feeds projections from the log; see [`Projection`] for the exactly-once rule.
pub struct Indexer {
    log: EventLog,
    projections: Vec<Box<dyn Projection>>,
    batch: u64,
    dead_letters: Vec<DeadLetter>,
    events_per_second: f64,
    last_error: Option<String>,
}

impl Indexer {
    /// An indexer over `log`, applying at most `batch` events per commit.
    pub fn new(log: EventLog, projections: Vec<Box<dyn Projection>>, batch: u64) -> Indexer {
        Indexer {
            log,
            projections,
            batch: batch.max(1),
            dead_letters: Vec::new(),
            events_per_second: 0.0,
            last_error: None,
        }
    }

    /// The log, for appending.
    pub fn log_mut(&mut self) -> &mut EventLog {
        &mut self.log
    }

    /// Brings every projection up to the head of the log, one batch (one commit) at a
    /// time; returns how many events were applied in all.
    pub fn catch_up(&mut self) -> Result<u64, RunError> {
        let start = Instant::now();
        let mut applied = 0;
        let result = self.catch_up_inner(&mut applied);
        let secs = start.elapsed().as_secs_f64();
        if applied > 0 && secs > 0.0 {
            self.events_per_second = applied as f64 / secs;
        }
        self.last_error = result.as_ref().err().map(|e| e.to_string());
        result.map(|()| applied)
    }

    fn catch_up_inner(&mut self, applied: &mut u64) -> Result<(), RunError> {
        let head = self.log.head();
        for p in &mut self.projections {
            loop {
                let from = p.checkpoint()?;
                if from >= head {
                    break;
                }
                let batch = self.log.read_range(from, self.batch)?;
                if batch.is_empty() {
                    break;
                }
                let n = batch.len() as u64;
                self.dead_letters.extend(p.apply(&batch)?);
                *applied += n;
            }
        }
        Ok(())
    }

    /// Dead letters recorded so far, oldest first.
    pub fn dead_letters(&self) -> &[DeadLetter] {
        &self.dead_letters
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
            dead_letters: self.dead_letters.len(),
        }
    }
}
