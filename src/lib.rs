//! Stockyard: the search and faceted-catalog service for marketplaces of used
//! machinery. See `docs/architecture.md` for how the parts fit.

#![warn(missing_docs)]

pub mod alerts;
pub mod analytics;
pub mod api;
pub mod config;
pub mod currency;
pub mod engine;
mod fsutil;
pub mod graph;
pub mod keys;
pub mod projections;
pub mod search;
pub mod server;
pub mod sources;
pub mod two_threads;
