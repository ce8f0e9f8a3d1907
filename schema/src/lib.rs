//! The vocabulary of a Stockyard catalog, shared by every other crate.
//!
//! * [`domain`]: makers, models, categories, spec categories, specs and machines, with
//!   the validation rules of the event contract built into their decoding;
//! * [`images`]: a listing's photo links, checked so a page can show them as given;
//! * [`synonyms`]: a marketplace's synonym sets, taught to search as events;
//! * [`event`]: the event contract itself, with a [`Decoder`] that
//!   names the line and field of every mistake;
//! * [`graph`]: the graph model as typed labels and relationship types for the
//!   `query-dsl` crate, so that Cypher built for the catalog cannot misspell a label or
//!   connect a relationship to the wrong labels;
//! * `demo` (feature `demo`): a deterministic generator of realistic catalogs, from the
//!   bundled demo file to millions of listings for benchmarks; outside the contract,
//!   so it compiles only for those who ask for it.
//!
//! The crate knows nothing of storage: the text index, the graph stores and the indexer
//! all build on these types.

#![warn(missing_docs)]

#[cfg(feature = "demo")]
pub mod demo;
pub mod domain;
pub mod event;
pub mod graph;
pub mod ids;
pub mod images;
pub mod lang;
pub mod synonyms;
pub mod text;

pub use event::{DecodeError, Decoder, Event, EventType, Payload};
pub use ids::{
    CategoryId, EventId, MachineId, MakerId, ModelId, SavedSearchId, SpecCategoryId, SubscriberId,
    SynonymSetId,
};
pub use lang::Lang;
pub use text::Text;
