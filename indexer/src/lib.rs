//! Event-driven projections for Stockyard.
//!
//! This crate will hold the append-only event log, the event sources and the
//! `Projection` seam through which the service keeps its text index and catalog graph
//! current (see `docs/architecture.md`). It depends on the schema crate only: it knows
//! events and positions, never tantivy or neo4rs.
