//! Decoding and validating event lines.

use super::{CurrencyRates, Event, EventType, ModelSpecs, Payload};
use crate::domain::{Currency, Model, Spec, SpecKind};
use crate::ids::{EventId, SpecCategoryId};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::fmt;

/// Longest consistency key accepted, in bytes.
const MAX_KEY_LEN: usize = 256;

/// Why a line is not a valid event: where, which field, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// 1-based line number in the input, when decoding a stream.
    pub line: Option<usize>,
    /// The event's id, when the line got far enough to have one.
    pub event_id: Option<String>,
    /// Path of the offending field such as `data.specs[1].value`; `None` when the line
    /// is not a JSON object at all.
    pub field: Option<String>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(id) = &self.event_id {
            write!(f, "event `{id}`: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    fn at(field: impl Into<String>, message: impl Into<String>) -> DecodeError {
        DecodeError {
            line: None,
            event_id: None,
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// Turns a serde error with its path into a field error. serde reports a missing
    /// field at the path of the object that lacks it; the field named is the missing
    /// one itself.
    fn from_path(prefix: &str, e: serde_path_to_error::Error<serde_json::Error>) -> DecodeError {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return DecodeError {
                line: None,
                event_id: None,
                field: None,
                message: format!("not valid JSON: {inner}"),
            };
        }
        let mut message = inner.to_string();
        // serde_json appends " at line L column C", which is noise inside one line.
        if let Some(cut) = message.rfind(" at line ") {
            message.truncate(cut);
        }
        let mut field = join(prefix, if path == "." { "" } else { &path });
        if let Some(missing) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            field = join(&field, missing);
        }
        DecodeError::at(field, message)
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (_, true) => a.to_owned(),
        (true, false) => b.to_owned(),
        (false, false) if b.starts_with('[') => format!("{a}{b}"),
        (false, false) => format!("{a}.{b}"),
    }
}

/// The envelope every event shares; `data` is decoded once `type` is known.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    id: EventId,
    #[serde(rename = "type")]
    kind: EventType,
    at: super::Timestamp,
    #[serde(default)]
    key: Option<String>,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// Turns NDJSON lines into events, remembering what it must to validate later lines.
///
/// The decoder remembers the kind (number or text) of each spec category defined in the
/// lines it decoded, or given with [`Decoder::with_spec_kinds`], and rejects a model's
/// spec value of the other kind. References to entities it has not seen are not errors:
/// events may arrive out of order across keys, and the projections wait for them.
#[derive(Debug, Default, Clone)]
pub struct Decoder {
    spec_kinds: HashMap<SpecCategoryId, SpecKind>,
}

impl Decoder {
    /// A decoder that knows no spec categories yet.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// A decoder that knows the kinds of spec categories defined earlier (for example
    /// the catalog's current ones, when validating an ingest request).
    pub fn with_spec_kinds(kinds: impl IntoIterator<Item = (SpecCategoryId, SpecKind)>) -> Self {
        Decoder {
            spec_kinds: kinds.into_iter().collect(),
        }
    }

    /// Decodes one line (one JSON object) into an event.
    pub fn decode(&mut self, line: &str) -> Result<Event, DecodeError> {
        // serde would take a JSON array for a struct; the contract says object.
        if !line.trim_start().starts_with('{') {
            return Err(DecodeError {
                line: None,
                event_id: None,
                field: None,
                message: "expected a JSON object (one event per line)".into(),
            });
        }
        let mut de = serde_json::Deserializer::from_str(line);
        let env: Envelope<'_> =
            serde_path_to_error::deserialize(&mut de).map_err(|e| DecodeError::from_path("", e))?;
        de.end().map_err(|e| DecodeError {
            line: None,
            event_id: None,
            field: None,
            message: format!("not valid JSON: {e}"),
        })?;
        let with_id = |mut e: DecodeError| {
            e.event_id = Some(env.id.to_string());
            e
        };
        if let Some(key) = &env.key {
            if key.is_empty() || key.len() > MAX_KEY_LEN {
                return Err(with_id(DecodeError::at(
                    "key",
                    format!("a key must be 1 to {MAX_KEY_LEN} bytes"),
                )));
            }
        }
        let payload = self.payload(env.kind, env.data).map_err(with_id)?;
        Ok(Event {
            id: env.id,
            at: env.at,
            key: env.key,
            payload,
        })
    }

    /// Decodes NDJSON text line by line; blank lines are skipped, errors carry their
    /// 1-based line number.
    pub fn ndjson<'a>(&'a mut self, input: &'a str) -> NdjsonLines<'a> {
        NdjsonLines {
            decoder: self,
            lines: input.lines().enumerate(),
        }
    }

    fn payload(&mut self, kind: EventType, data: &RawValue) -> Result<Payload, DecodeError> {
        Ok(match kind {
            EventType::CategoryDefined => {
                let c: crate::domain::Category = parse(data)?;
                if c.parent_id.as_ref() == Some(&c.id) {
                    return Err(DecodeError::at(
                        "data.parent_id",
                        "a category cannot be its own parent",
                    ));
                }
                Payload::CategoryDefined(c)
            }
            EventType::SpecCategoryDefined => {
                let s: crate::domain::SpecCategory = parse(data)?;
                if s.unit.as_deref().is_some_and(|u| u.trim().is_empty()) {
                    return Err(DecodeError::at(
                        "data.unit",
                        "a unit must not be empty; leave it out instead",
                    ));
                }
                self.spec_kinds.insert(s.id.clone(), s.kind);
                Payload::SpecCategoryDefined(s)
            }
            EventType::MakerRegistered => Payload::MakerRegistered(parse(data)?),
            EventType::MakerRenamed => Payload::MakerRenamed(parse(data)?),
            EventType::ModelRegistered => {
                let m: Model = parse(data)?;
                if m.name.trim().is_empty() {
                    return Err(DecodeError::at(
                        "data.name",
                        "a model name must not be empty",
                    ));
                }
                self.check_specs(&m.specs)?;
                Payload::ModelRegistered(m)
            }
            EventType::ModelSpecsChanged => {
                let m: ModelSpecs = parse(data)?;
                self.check_specs(&m.specs)?;
                Payload::ModelSpecsChanged(m)
            }
            EventType::MachineListed => Payload::MachineListed(parse(data)?),
            EventType::MachineUpdated => {
                let c: crate::domain::MachineChanges = parse(data)?;
                if c.is_empty() {
                    return Err(DecodeError::at(
                        "data",
                        "MachineUpdated must change at least one field besides machine_id",
                    ));
                }
                Payload::MachineUpdated(c)
            }
            EventType::MachineSold => Payload::MachineSold(parse(data)?),
            EventType::MachineWithdrawn => Payload::MachineWithdrawn(parse(data)?),
            EventType::CurrencyRatesPublished => {
                let r: CurrencyRates = parse(data)?;
                check_rates(&r)?;
                Payload::CurrencyRatesPublished(r)
            }
            EventType::SavedSearchCreated => {
                let saved: super::SavedSearch = parse(data)?;
                let bytes = serde_json::to_string(&saved.query).map_or(0, |q| q.len());
                if bytes > super::MAX_QUERY_BYTES {
                    return Err(DecodeError::at(
                        "data.query",
                        format!(
                            "a saved query must be at most {} bytes of JSON, got {bytes}",
                            super::MAX_QUERY_BYTES
                        ),
                    ));
                }
                Payload::SavedSearchCreated(saved)
            }
            EventType::SavedSearchDeleted => Payload::SavedSearchDeleted(parse(data)?),
            EventType::MachineWatched => Payload::MachineWatched(parse(data)?),
            EventType::MachineUnwatched => Payload::MachineUnwatched(parse(data)?),
            EventType::SynonymsDefined => Payload::SynonymsDefined(parse(data)?),
            EventType::SynonymsRemoved => Payload::SynonymsRemoved(parse(data)?),
        })
    }

    /// Each spec category at most once, and values of the kind their category holds.
    fn check_specs(&self, specs: &[Spec]) -> Result<(), DecodeError> {
        for (i, spec) in specs.iter().enumerate() {
            if specs[..i]
                .iter()
                .any(|s| s.spec_category_id == spec.spec_category_id)
            {
                return Err(DecodeError::at(
                    format!("data.specs[{i}].spec_category_id"),
                    format!("spec category `{}` is given twice", spec.spec_category_id),
                ));
            }
            if let Some(kind) = self.spec_kinds.get(&spec.spec_category_id) {
                if *kind != spec.value.kind() {
                    let (want, got) = match kind {
                        SpecKind::Number => ("numbers", "a text"),
                        SpecKind::Text => ("texts", "a number"),
                    };
                    return Err(DecodeError::at(
                        format!("data.specs[{i}].value"),
                        format!(
                            "spec category `{}` holds {want}, got {got}",
                            spec.spec_category_id
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Most currencies one rate set may quote (ISO 4217 lists fewer than 200).
const MAX_RATES: usize = 400;

/// Rates that convert: each finite and above zero, the base's own rate 1, USD quoted.
fn check_rates(r: &CurrencyRates) -> Result<(), DecodeError> {
    if r.rates.len() > MAX_RATES {
        return Err(DecodeError::at(
            "data.rates",
            format!("at most {MAX_RATES} rates in one set"),
        ));
    }
    for (currency, rate) in &r.rates {
        let field = format!("data.rates.{currency}");
        if !(rate.is_finite() && *rate > 0.0) {
            return Err(DecodeError::at(
                field,
                format!("a rate must be a finite number above zero, got {rate}"),
            ));
        }
        if *currency == r.base && *rate != 1.0 {
            return Err(DecodeError::at(
                field,
                format!("the base currency's own rate must be 1, got {rate}"),
            ));
        }
    }
    if r.per_base(Currency::USD).is_none() {
        return Err(DecodeError::at(
            "data.rates.USD",
            "prices are compared in US dollars: quote USD, as the base or among the rates",
        ));
    }
    Ok(())
}

fn parse<T: DeserializeOwned>(data: &RawValue) -> Result<T, DecodeError> {
    if !data.get().starts_with('{') {
        return Err(DecodeError::at("data", "expected a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_str(data.get());
    serde_path_to_error::deserialize(&mut de).map_err(|e| DecodeError::from_path("data", e))
}

/// Iterator over the events of NDJSON text; see [`Decoder::ndjson`].
pub struct NdjsonLines<'a> {
    decoder: &'a mut Decoder,
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
}

impl Iterator for NdjsonLines<'_> {
    type Item = Result<Event, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (i, line) = self.lines.next()?;
            if line.trim().is_empty() {
                continue;
            }
            return Some(self.decoder.decode(line).map_err(|mut e| {
                e.line = Some(i + 1);
                e
            }));
        }
    }
}
