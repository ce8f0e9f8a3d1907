//! The ingest path: a request's events validated as a unit, then appended to the log.

use super::Engine;
use serde_json::value::RawValue;
use stockyard_indexer::LogError;
use stockyard_schema::{DecodeError, Event, Payload};

/// Most line errors reported for one request; the count says how many there were.
const MAX_REPORTED: usize = 100;

/// How a request body holds its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// One JSON array of objects.
    JsonArray,
}

/// What an accepted request did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ingested {
    /// Events new to the log.
    pub accepted: usize,
    /// Events skipped because their id was in the log already (a retried request).
    pub duplicates: usize,
    /// Position of the first new event.
    pub first_position: Option<u64>,
    /// Position of the last new event.
    pub last_position: Option<u64>,
}

/// One invalid event of a rejected request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineError {
    /// 1-based line (NDJSON) or array element number.
    pub line: usize,
    /// The event's id, when it got that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The offending field, such as `data.specs[1].value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What was wrong.
    pub message: String,
}

/// Why a request was not taken; nothing of it was appended.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Some events are invalid (the first hundred are listed).
    #[error("{count} invalid event(s); nothing was accepted")]
    Rejected {
        /// How many events were invalid.
        count: usize,
        /// The first of them.
        errors: Vec<LineError>,
    },
    /// The body is not a JSON array of events.
    #[error("the body is not a JSON array: {0}")]
    NotAnArray(String),
    /// The body holds no event.
    #[error("the request holds no event")]
    Empty,
    /// The indexer is too far behind; try again later.
    #[error("the indexer is {lag} events behind; retry later")]
    Busy {
        /// Events not applied yet.
        lag: u64,
    },
    /// The log could not be written.
    #[error(transparent)]
    Log(#[from] LogError),
}

/// A `SavedSearchCreated` whose query `/search` would refuse, as a decode error
/// naming the field inside the query.
fn check_saved_query(e: &Event, graph: &crate::graph::EmbeddedGraph) -> Result<(), DecodeError> {
    let Payload::SavedSearchCreated(saved) = &e.payload else {
        return Ok(());
    };
    crate::api::search::saved::compile(&saved.query, graph)
        .map(|_| ())
        .map_err(|q| DecodeError {
            line: None,
            event_id: Some(e.id.to_string()),
            field: Some(match q.field {
                Some(f) => format!("data.query.{f}"),
                None => "data.query".to_owned(),
            }),
            message: q.message,
        })
}

fn line_error(line: usize, e: DecodeError) -> LineError {
    LineError {
        line: e.line.unwrap_or(line),
        event_id: e.event_id,
        field: e.field,
        message: e.message,
    }
}

impl Engine {
    /// Validates every event of `body`, and appends them all, or none when one is
    /// invalid (so that a client can fix the request and send it again; ids already
    /// in the log are skipped, which makes resending safe).
    pub fn ingest(&self, body: &str, format: Format) -> Result<Ingested, IngestError> {
        let lag = self.head().saturating_sub(self.applied());
        if lag > self.settings.max_lag {
            return Err(IngestError::Busy { lag });
        }
        // The decoder knows the spec kinds of every event in the log. It is held from
        // decoding to appending, so that ingests running at once (HTTP, NATS, the
        // file source) see each other's spec categories: decoding one request takes
        // microseconds per event, and the log serialises appends anyway. Decoding
        // happens on a copy, so that the spec kinds of a rejected request or of a
        // failed append never stay.
        let mut shared = self.decoder.lock().unwrap_or_else(|e| e.into_inner());
        let mut decoder = shared.clone();
        let mut events: Vec<Event> = Vec::new();
        let mut errors = Vec::new();
        let mut count = 0;
        // A saved search's query is checked as `/search` checks it, against the
        // catalog as it is now.
        let graph = self.current().graph().get();
        let mut take = |i: usize, r: Result<Event, DecodeError>| match r.and_then(|e| {
            check_saved_query(&e, &graph)?;
            Ok(e)
        }) {
            Ok(e) => events.push(e),
            Err(e) => {
                count += 1;
                if errors.len() < MAX_REPORTED {
                    errors.push(line_error(i + 1, e));
                }
            }
        };
        match format {
            Format::Ndjson => {
                for (i, r) in decoder.ndjson(body).enumerate() {
                    take(i, r);
                }
            }
            Format::JsonArray => {
                let items: Vec<&RawValue> = serde_json::from_str(body)
                    .map_err(|e| IngestError::NotAnArray(e.to_string()))?;
                for (i, item) in items.iter().enumerate() {
                    take(i, decoder.decode(item.get()));
                }
            }
        }
        if count > 0 {
            return Err(IngestError::Rejected { count, errors });
        }
        if events.is_empty() {
            return Err(IngestError::Empty);
        }
        let appended = self.log.append(&events)?;
        *shared = decoder;
        drop(shared);
        self.wake();
        Ok(Ingested {
            accepted: events.len() - appended.duplicates.len(),
            duplicates: appended.duplicates.len(),
            first_position: appended.first,
            last_position: appended.last,
        })
    }
}
