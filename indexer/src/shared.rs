//! One log, many users: the ingest path appends while indexers (one per generation)
//! read behind it.

use crate::log::{Appended, EventLog, LogError};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use stockyard_schema::Event;

/// A cheap-to-clone handle on an [`EventLog`]: appends take it exclusively for the
/// length of one append, reads share it (each read opens its own file handle).
#[derive(Clone)]
pub struct SharedLog(Arc<RwLock<EventLog>>);

impl From<EventLog> for SharedLog {
    fn from(log: EventLog) -> SharedLog {
        SharedLog(Arc::new(RwLock::new(log)))
    }
}

impl SharedLog {
    fn read(&self) -> RwLockReadGuard<'_, EventLog> {
        // A panic while holding the lock cannot leave the log half-written in memory:
        // `append` updates its index only after each record is written.
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, EventLog> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    /// See [`EventLog::append`].
    pub fn append(&self, events: &[Event]) -> Result<Appended, LogError> {
        self.write().append(events)
    }

    /// See [`EventLog::head`].
    pub fn head(&self) -> u64 {
        self.read().head()
    }

    /// See [`EventLog::read_range`].
    pub fn read_range(&self, position: u64, max: u64) -> Result<Vec<(u64, Event)>, LogError> {
        self.read().read_range(position, max)
    }
}
