//! What a subscriber is told: one notification per change that concerns it.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use stockyard_schema::domain::Price;
use stockyard_schema::event::Timestamp;
use stockyard_schema::{MachineId, SavedSearchId, SubscriberId};

/// Why a subscriber is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A machine came to match a saved search (listed, or changed into it).
    NewMatch,
    /// A machine that matches a saved search, or is watched, changed its price.
    PriceChanged,
    /// A matching or watched machine was sold.
    Sold,
    /// A matching or watched machine was withdrawn.
    Withdrawn,
    /// A machine that matched a saved search changed so that it no longer does.
    NoLongerMatches,
}

impl Kind {
    /// The name used on the wire (SSE `event:` and JSON `kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NewMatch => "new_match",
            Kind::PriceChanged => "price_changed",
            Kind::Sold => "sold",
            Kind::Withdrawn => "withdrawn",
            Kind::NoLongerMatches => "no_longer_matches",
        }
    }
}

/// The machine as a hit card shows it, as of the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    /// The machine.
    pub machine_id: MachineId,
    /// The listing's title, in the saved search's language when it has one.
    pub title: String,
    /// Its model number, once the model is registered.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub model: Option<String>,
    /// Its maker's name, once the model is registered.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub maker: Option<String>,
    /// Model year.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub year: Option<u16>,
    /// Hours on the meter.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hours: Option<u32>,
    /// The asking price as listed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub price: Option<Price>,
    /// The price before this event, when the event changed it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub previous_price: Option<Price>,
}

/// One entry of the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Its place in the outbox, from 1, without gaps: the SSE `id:`, and what a
    /// client resumes after.
    pub id: u64,
    /// The log position of the event that caused it.
    pub position: u64,
    /// When that event happened (its `at`); retention by age reads it.
    pub at: Timestamp,
    /// Who is told.
    pub subscriber: SubscriberId,
    /// Why.
    pub kind: Kind,
    /// The saved search concerned; absent for a watched machine.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub saved_search_id: Option<SavedSearchId>,
    /// The machine, as of the event: one card per event and language, shared by
    /// every notification that shows it (an event may tell hundreds of searches).
    pub card: Arc<Card>,
}
