//! Saved searches and watched machines: matching as events arrive, and a durable
//! outbox of notifications that clients read live or resume from.
//!
//! Buyers say what they observe — a saved search (the same object `POST /search`
//! takes) or a watched machine — through events, like every other change. The alerts
//! projection applies the log in order and, for each listing event, tells:
//!
//! * `new_match` — a machine came to match a saved search (it was listed, or an
//!   update brought it into the search's selections);
//! * `price_changed` — a machine that matches, or is watched, changed its price;
//! * `sold` / `withdrawn` — a matching or watched machine left the market;
//! * `no_longer_matches` — an update took a machine out of a saved search.
//!
//! **What matches.** A machine matches a saved search when it is live, passes every
//! selection exactly as `/search` applies them (categories with their subcategories,
//! makers, models, specs, year, hours, price in the buyer's currency at the latest
//! rates), and — when the query has words — holds every word: in its title or
//! description, in the names of its maker, model and categories (any language), or as
//! the start of its model number (`zx135` for `ZX135US-7`). Words are cut as search
//! cuts them (NFKC, lowercase, CJK bigrams), but matched whole and without typo
//! tolerance: an alert is worth sending only for what the buyer asked for, and
//! matching each machine on its own (not against the corpus, as ranking does) keeps
//! the outbox a function of the log alone.
//!
//! A search starts watching when it is saved: it reports machines as their events
//! arrive from then on, not the machines that matched before. Catalog changes (a
//! model's specs, new rates) change what later events match and tell no one by
//! themselves.
//!
//! A search's notion of "matched" is computed at each event, not remembered: a
//! machine matched a search before its event when it passes the search against the
//! catalog just before the event. So a search saved after a machine was listed is
//! told that machine's later price change as `price_changed`, and a catalog change
//! that took a machine out of a search makes its next event tell nothing.
//!
//! **Exactly once.** Notifications are numbered from 1 in log order and committed
//! to the [`outbox`] before the graph projection, which the alerts follow
//! ([`Alerts`]), commits its snapshot. Everything else (saved searches, the machines'
//! words) is rebuilt at start from the log up to the graph's checkpoint, without
//! telling anyone.

mod follower;
pub mod notification;
pub mod outbox;
mod percolator;
pub mod token;

pub use follower::{Alerts, AlertsHandle};
pub use notification::{Card, Kind, Notification};
pub use outbox::{OutboxError, OutboxReader, Retention};
pub use percolator::{Compile, Compiled, Draft, Percolator};
pub use token::{TokenError, TokenKey};

/// Why a saved query does not check: the field inside the query, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", field.as_ref().map(|f| format!("query.{f}: ")).unwrap_or_default())]
pub struct QueryError {
    /// The field of the query at fault, such as `price`.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}
