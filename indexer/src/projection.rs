//! The seam between the indexer and the read models it keeps current.

use stockyard_schema::Event;

/// An event a projection could not apply, kept with the reason so that it can be
/// inspected and retried; the events after it are applied regardless.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeadLetter {
    /// Which projection refused it.
    pub projection: String,
    /// The event's position in the log.
    pub position: u64,
    /// The event's id.
    pub event_id: String,
    /// Why it could not be applied.
    pub reason: String,
}

/// A projection failed as a whole (its store is down, its disk is full): nothing of
/// the batch was committed, and the indexer will try the same batch again.
#[derive(Debug, thiserror::Error)]
#[error("projection {projection}: {reason}")]
pub struct ProjectionError {
    /// Which projection.
    pub projection: String,
    /// What went wrong.
    pub reason: String,
}

/// A read model fed from the event log.
///
/// Exactly-once effect rests on one rule: a projection commits its checkpoint (the
/// position after the last event it applied) atomically with its own data, and reports
/// that committed checkpoint on start. The indexer then only ever hands it the events
/// from there on, so a crash between two commits replays the uncommitted batch, and
/// nothing is applied twice or skipped.
pub trait Projection {
    /// A stable name, for status and dead letters.
    fn name(&self) -> &str;

    /// The committed checkpoint: every event before this position is applied.
    fn checkpoint(&self) -> Result<u64, ProjectionError>;

    /// Applies `batch` (consecutive positions starting at the checkpoint) and commits
    /// it with the checkpoint `batch`'s last position + 1, atomically. Events it cannot
    /// apply are returned as dead letters; they count as applied.
    fn apply(&mut self, batch: &[(u64, Event)]) -> Result<Vec<DeadLetter>, ProjectionError>;

    /// Told that a backlog (a catch-up in big batches: start-up, a burst, a rebuild)
    /// has been applied and the log has nothing more for now: the moment to reorganise
    /// the store for reads, which doing during the catch-up would only redo batch after
    /// batch. Runs on the indexer's thread: new events wait until it returns. Nothing
    /// it does may change what the projection answers.
    fn caught_up(&mut self) -> Result<(), ProjectionError> {
        Ok(())
    }
}
