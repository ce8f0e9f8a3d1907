//! Event-driven projections for Stockyard.
//!
//! An append-only log is the source of truth ([`log`]); every read model (the text
//! index, the catalog graph) is a projection of it that can be rebuilt from event 0 and
//! resumes from its own checkpoint after a restart. The crate depends on the schema
//! crate only: it knows events and positions, never tantivy or neo4rs; the service
//! plugs its stores in (see `docs/architecture.md`).

#![warn(missing_docs)]

pub mod log;

pub use log::{Appended, Durability, EventLog, LogError, OpenReport};
