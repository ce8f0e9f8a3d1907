//! The event contract: how the catalog changes.
//!
//! Every change to the catalog arrives as one event, a JSON object on one line:
//!
//! ```json
//! {"id": "e-000001", "type": "MakerRegistered", "at": "2026-11-22T10:00:00Z",
//!  "key": "maker:komatsu", "data": {"maker_id": "komatsu", "names": {"en": "Komatsu"}}}
//! ```
//!
//! `docs/events.md` documents every type. [`Decoder`] turns lines into [`Event`]s or into
//! [`DecodeError`]s that name the line and the field; `Event`'s `Serialize` writes the
//! same format back, byte for byte what the decoder reads.

mod decode;

pub use decode::{DecodeError, Decoder, NdjsonLines};

use crate::domain::{
    Category, Currency, Machine, MachineChanges, Maker, Model, Spec, SpecCategory,
};
use crate::ids::{EventId, MachineId, ModelId, SavedSearchId, SubscriberId};
use crate::synonyms::{SynonymSet, SynonymSetRef};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// One change to the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Unique id; an event whose id was applied before is ignored.
    pub id: EventId,
    /// When the change happened.
    pub at: Timestamp,
    /// The consistency key as given; see [`Event::key`].
    pub key: Option<String>,
    /// What changed.
    pub payload: Payload,
}

impl Event {
    /// The consistency key: events with the same key are applied in log order. Defaults
    /// to the entity the event is about, such as `machine:M-1001`.
    pub fn key(&self) -> Cow<'_, str> {
        match &self.key {
            Some(k) => Cow::Borrowed(k),
            None => Cow::Owned(self.payload.entity_key()),
        }
    }

    /// The event as one line of JSON (without the newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("events always serialize")
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("type", &self.payload.event_type())?;
        m.serialize_entry("at", &self.at)?;
        if let Some(key) = &self.key {
            m.serialize_entry("key", key)?;
        }
        m.serialize_entry("data", &self.payload)?;
        m.end()
    }
}

/// The payload of an event, by type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Payload {
    /// A category was defined, or redefined (renamed or moved under another parent).
    CategoryDefined(Category),
    /// A spec category was defined or redefined.
    SpecCategoryDefined(SpecCategory),
    /// A maker was registered.
    MakerRegistered(Maker),
    /// A maker's names changed.
    MakerRenamed(Maker),
    /// A model was registered.
    ModelRegistered(Model),
    /// A model's whole spec set was replaced.
    ModelSpecsChanged(ModelSpecs),
    /// A machine was listed for sale.
    MachineListed(Machine),
    /// Some fields of a listing changed.
    MachineUpdated(MachineChanges),
    /// A machine was sold: it leaves search results.
    MachineSold(MachineRef),
    /// A listing was withdrawn: it leaves search results.
    MachineWithdrawn(MachineRef),
    /// Exchange rates were published: from now on prices convert with these.
    CurrencyRatesPublished(CurrencyRates),
    /// A buyer saved a search, to be told of machines that come to match it.
    SavedSearchCreated(SavedSearch),
    /// A saved search was deleted: it matches nothing from now on.
    SavedSearchDeleted(SavedSearchRef),
    /// A buyer watches a machine, to be told when its price changes or it leaves.
    MachineWatched(Watch),
    /// A buyer stopped watching a machine.
    MachineUnwatched(Watch),
    /// The marketplace taught search a set of equivalent words (or redefined it).
    SynonymsDefined(SynonymSet),
    /// A synonym set was removed.
    SynonymsRemoved(SynonymSetRef),
}

/// Largest saved query accepted, in bytes of JSON.
pub const MAX_QUERY_BYTES: usize = 8192;

/// The data of `SavedSearchCreated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSearch {
    /// The search's id, unique among its subscriber's searches.
    pub saved_search_id: SavedSearchId,
    /// Who is told of matches.
    pub subscriber: SubscriberId,
    /// The search, as `POST /search` takes it (words, language, selections, ranges);
    /// the service checks it exactly as it checks a search before appending the event.
    pub query: serde_json::Map<String, serde_json::Value>,
}

/// The data of `SavedSearchDeleted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchRef {
    /// The search.
    pub saved_search_id: SavedSearchId,
    /// Its subscriber, whose own id `saved_search_id` is.
    pub subscriber: SubscriberId,
}

/// The data of `MachineWatched` and `MachineUnwatched`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    /// Who watches.
    pub subscriber: SubscriberId,
    /// The machine watched.
    pub machine_id: MachineId,
}

/// The data of `ModelSpecsChanged`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpecs {
    /// The model.
    pub model_id: ModelId,
    /// Its new spec set, replacing the old one whole.
    pub specs: Vec<Spec>,
}

/// The data of `MachineSold` and `MachineWithdrawn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineRef {
    /// The machine.
    pub machine_id: MachineId,
}

/// The data of `CurrencyRatesPublished`: how many units of each currency one unit of
/// `base` buys. A set replaces the one before it whole, so a currency left out has no
/// rate from then on. Prices are compared in US dollars, so a set must quote `USD`
/// (as its base or among its rates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrencyRates {
    /// The currency the rates are quoted against.
    pub base: Currency,
    /// Units of each currency per unit of `base`; finite and above zero.
    pub rates: BTreeMap<Currency, f64>,
    /// When the rates were taken.
    pub as_of: Timestamp,
}

impl CurrencyRates {
    /// Units of `currency` per unit of `base` (1 for the base itself).
    pub fn per_base(&self, currency: Currency) -> Option<f64> {
        if currency == self.base {
            Some(1.0)
        } else {
            self.rates.get(&currency).copied()
        }
    }

    /// US dollars per unit of `currency`, if the set quotes both.
    pub fn usd_per_unit(&self, currency: Currency) -> Option<f64> {
        let usd = self.per_base(Currency::USD)?;
        Some(usd / self.per_base(currency)?)
    }
}

/// The `type` of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)] // the variants are the payload variants, documented there
pub enum EventType {
    CategoryDefined,
    SpecCategoryDefined,
    MakerRegistered,
    MakerRenamed,
    ModelRegistered,
    ModelSpecsChanged,
    MachineListed,
    MachineUpdated,
    MachineSold,
    MachineWithdrawn,
    CurrencyRatesPublished,
    SavedSearchCreated,
    SavedSearchDeleted,
    MachineWatched,
    MachineUnwatched,
    SynonymsDefined,
    SynonymsRemoved,
}

impl EventType {
    /// Every event type, in the order of `docs/events.md`.
    pub const ALL: [EventType; 17] = [
        EventType::CategoryDefined,
        EventType::SpecCategoryDefined,
        EventType::MakerRegistered,
        EventType::MakerRenamed,
        EventType::ModelRegistered,
        EventType::ModelSpecsChanged,
        EventType::MachineListed,
        EventType::MachineUpdated,
        EventType::MachineSold,
        EventType::MachineWithdrawn,
        EventType::CurrencyRatesPublished,
        EventType::SavedSearchCreated,
        EventType::SavedSearchDeleted,
        EventType::MachineWatched,
        EventType::MachineUnwatched,
        EventType::SynonymsDefined,
        EventType::SynonymsRemoved,
    ];
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Payload {
    /// The event type this payload belongs to.
    pub fn event_type(&self) -> EventType {
        match self {
            Payload::CategoryDefined(_) => EventType::CategoryDefined,
            Payload::SpecCategoryDefined(_) => EventType::SpecCategoryDefined,
            Payload::MakerRegistered(_) => EventType::MakerRegistered,
            Payload::MakerRenamed(_) => EventType::MakerRenamed,
            Payload::ModelRegistered(_) => EventType::ModelRegistered,
            Payload::ModelSpecsChanged(_) => EventType::ModelSpecsChanged,
            Payload::MachineListed(_) => EventType::MachineListed,
            Payload::MachineUpdated(_) => EventType::MachineUpdated,
            Payload::MachineSold(_) => EventType::MachineSold,
            Payload::MachineWithdrawn(_) => EventType::MachineWithdrawn,
            Payload::CurrencyRatesPublished(_) => EventType::CurrencyRatesPublished,
            Payload::SavedSearchCreated(_) => EventType::SavedSearchCreated,
            Payload::SavedSearchDeleted(_) => EventType::SavedSearchDeleted,
            Payload::MachineWatched(_) => EventType::MachineWatched,
            Payload::MachineUnwatched(_) => EventType::MachineUnwatched,
            Payload::SynonymsDefined(_) => EventType::SynonymsDefined,
            Payload::SynonymsRemoved(_) => EventType::SynonymsRemoved,
        }
    }

    /// The entity this event is about, as `kind:id`: the default consistency key.
    pub fn entity_key(&self) -> String {
        let (kind, id): (&str, &str) = match self {
            Payload::CategoryDefined(c) => ("category", c.id.as_str()),
            Payload::SpecCategoryDefined(s) => ("spec_category", s.id.as_str()),
            Payload::MakerRegistered(m) | Payload::MakerRenamed(m) => ("maker", m.id.as_str()),
            Payload::ModelRegistered(m) => ("model", m.id.as_str()),
            Payload::ModelSpecsChanged(m) => ("model", m.model_id.as_str()),
            Payload::MachineListed(m) => ("machine", m.id.as_str()),
            Payload::MachineUpdated(m) => ("machine", m.machine_id.as_str()),
            Payload::MachineSold(m) | Payload::MachineWithdrawn(m) => {
                ("machine", m.machine_id.as_str())
            }
            // One key for every set: they replace each other, so their order matters.
            Payload::CurrencyRatesPublished(_) => ("currency_rates", "all"),
            Payload::SynonymsDefined(SynonymSet { synonym_set_id, .. })
            | Payload::SynonymsRemoved(SynonymSetRef { synonym_set_id }) => {
                ("synonyms", synonym_set_id.as_str())
            }
            // A subscriber's searches and watches in the order the subscriber made them.
            Payload::SavedSearchCreated(SavedSearch { subscriber, .. })
            | Payload::SavedSearchDeleted(SavedSearchRef { subscriber, .. })
            | Payload::MachineWatched(Watch { subscriber, .. })
            | Payload::MachineUnwatched(Watch { subscriber, .. }) => {
                ("subscriber", subscriber.as_str())
            }
        };
        format!("{kind}:{id}")
    }
}

/// An RFC 3339 instant, such as `2026-11-22T10:00:00Z`; the offset given is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Parses an RFC 3339 timestamp.
    pub fn parse(s: &str) -> Option<Timestamp> {
        OffsetDateTime::parse(s, &Rfc3339).ok().map(Timestamp)
    }

    /// Seconds since the Unix epoch, whatever the offset.
    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The instant with its offset.
    pub fn get(&self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Timestamp {
        Timestamp(t)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.format(&Rfc3339).map_err(|_| fmt::Error)?;
        f.write_str(&s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp such as 2026-11-22T10:00:00Z")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Timestamp, E> {
                Timestamp::parse(s).ok_or_else(|| {
                    E::custom(format_args!(
                        "expected an RFC 3339 timestamp such as 2026-11-22T10:00:00Z, got `{s}`"
                    ))
                })
            }
        }
        d.deserialize_str(V)
    }
}
