//! Event-driven projections for Stockyard.
//!
//! An append-only log is the source of truth ([`log`]); every read model (the text
//! index, the catalog graph) is a [`Projection`] of it that can be rebuilt from event 0
//! and resumes from its own checkpoint after a restart; the [`Indexer`] feeds them in
//! batches, one commit per batch, and keeps dead letters and status. The crate depends on the schema
//! crate only: it knows events and positions, never tantivy or neo4rs; the service
//! plugs its stores in (see `docs/architecture.md`).

#![warn(missing_docs)]

pub mod dead_letters;
pub mod log;
pub mod projection;
pub mod runner;
pub mod shared;

pub use dead_letters::DeadLetters;
pub use log::{Appended, Durability, EventLog, LogError, OpenReport};
pub use projection::{DeadLetter, Projection, ProjectionError};
pub use runner::{Indexer, ProjectionStatus, RunError, Status};
pub use shared::SharedLog;
