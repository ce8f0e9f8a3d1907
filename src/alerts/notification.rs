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

/// Who a notification is for: a subscriber and, for a saved search, its id, with
/// their JSON written once, when the search is saved, rather than for each of the
/// hundreds of notifications one listing may cause.
#[derive(Debug, PartialEq)]
pub struct Recipient {
    subscriber: SubscriberId,
    saved_search_id: Option<SavedSearchId>,
    /// `,"subscriber":"…"`, as it follows `at` in a notification's line.
    subscriber_json: Box<str>,
    /// `,"saved_search_id":"…"`, or nothing for a watched machine.
    search_json: Box<str>,
}

impl Recipient {
    /// The recipient, shared by every notification it is told.
    pub fn new(subscriber: SubscriberId, saved_search_id: Option<SavedSearchId>) -> Arc<Recipient> {
        let quoted = |s: &str| serde_json::to_string(s).expect("strings serialize");
        let subscriber_json = format!(",\"subscriber\":{}", quoted(subscriber.as_str())).into();
        let search_json = saved_search_id
            .as_ref()
            .map(|s| format!(",\"saved_search_id\":{}", quoted(s.as_str())))
            .unwrap_or_default()
            .into();
        Arc::new(Recipient {
            subscriber,
            saved_search_id,
            subscriber_json,
            search_json,
        })
    }

    /// The subscriber told.
    pub fn subscriber(&self) -> &SubscriberId {
        &self.subscriber
    }

    /// The saved search concerned; none for a watched machine.
    pub fn saved_search_id(&self) -> Option<&SavedSearchId> {
        self.saved_search_id.as_ref()
    }

    /// The subscriber's field, as JSON with its leading comma.
    pub fn subscriber_json(&self) -> &str {
        &self.subscriber_json
    }

    /// The saved search's field, as JSON with its leading comma, or nothing.
    pub fn search_json(&self) -> &str {
        &self.search_json
    }
}

/// A notification as the alerts hand it to the outbox, its parts shared with the
/// other notifications of its event; the outbox writes it as the line a
/// [`Notification`] reads back from.
#[derive(Debug, Clone)]
pub struct Told {
    /// Its id (see [`Notification::id`]).
    pub id: u64,
    /// The log position of its event.
    pub position: u64,
    /// When its event happened.
    pub at: Timestamp,
    /// Who is told, and about which saved search.
    pub recipient: Arc<Recipient>,
    /// Why.
    pub kind: Kind,
    /// The machine, as of the event.
    pub card: Arc<Card>,
}

#[cfg(test)]
impl From<Notification> for Told {
    fn from(n: Notification) -> Told {
        Told {
            id: n.id,
            position: n.position,
            at: n.at,
            recipient: Recipient::new(n.subscriber, n.saved_search_id),
            kind: n.kind,
            card: n.card,
        }
    }
}
