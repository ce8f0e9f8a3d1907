//! Saved searches and watches: `/subscribers/{id}/saved-searches` and
//! `/subscribers/{id}/watches` (their notifications are read through
//! [`super::notifications`]). All need a key with the `alerts` scope, or — for one
//! subscriber's own endpoints — a token for that subscriber
//! (`/subscribers/{id}/tokens`, see [`crate::alerts::token`]).
//!
//! Writes are events like any other (`SavedSearchCreated`, …), appended through the
//! ingest path and answered once they apply, so a read that follows sees them.

use super::error::{ApiError, ErrorCode};
use super::extract::Body;
use super::{blocking, AppState};
use crate::engine::{Engine, Format, IngestError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use stockyard_schema::event::{SavedSearch, SavedSearchRef, Watch};
use stockyard_schema::{Event, EventId, MachineId, Payload, SavedSearchId, SubscriberId};
use utoipa::ToSchema;

/// How long a write waits for its event to apply.
const WAIT_LIMIT: Duration = Duration::from_secs(20);

/// A search to save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveSearch {
    /// Its id; one is made up when left out. Saving again under an id replaces it.
    pub saved_search_id: Option<String>,
    /// The search, as `POST /search` takes it.
    #[schema(value_type = Object)]
    pub query: Map<String, Value>,
}

/// A saved search.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedSearchView {
    /// Its id.
    pub saved_search_id: String,
    /// The search.
    #[schema(value_type = Object)]
    pub query: Map<String, Value>,
}

/// A subscriber's saved searches.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedSearches {
    /// By id.
    pub saved_searches: Vec<SavedSearchView>,
}

/// A machine to watch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchMachine {
    /// The machine (it may be listed later).
    pub machine_id: String,
}

/// The machines a subscriber watches.
#[derive(Debug, Serialize, ToSchema)]
pub struct Watches {
    /// Machine ids, sorted.
    pub watches: Vec<String>,
}

pub(super) fn subscriber(id: &str) -> Result<SubscriberId, ApiError> {
    SubscriberId::new(id)
        .map_err(|e| ApiError::bad(ErrorCode::BadId, "subscriber", format!("subscriber: {e}")))
}

/// The body as `T`, from a JSON object (or `null`, where `T` takes it): serde would
/// also read a struct written as an array of its fields (`[null]`), which no client
/// means and the API's description does not allow.
fn object<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let bad = |m: String| ApiError::new(ErrorCode::BadBody, format!("the body: {m}"));
    let value: Value = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
    if !(value.is_object() || value.is_null()) {
        return Err(bad("expected a JSON object".into()));
    }
    serde_json::from_value(value).map_err(|e| bad(e.to_string()))
}

/// Whether a body holds nothing but JSON's whitespace (RFC 8259: space, tab, line
/// feed, carriage return). Rust's `is_ascii_whitespace` also counts the form feed,
/// which made a body of one form feed ask for the defaults instead of a 400.
fn blank(body: &[u8]) -> bool {
    body.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// An id for an event the API writes on a subscriber's behalf: unique per request.
fn event_id(subscriber: &SubscriberId, what: &str) -> EventId {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let digest = Sha256::digest(format!("{subscriber}\n{what}\n{now}\n{n}"));
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    EventId::new(format!("api-{hex}")).expect("a hex id is valid")
}

/// Appends one event and waits until it applies.
fn append(engine: &Engine, event: Event) -> Result<u64, ApiError> {
    let line = event.to_json();
    let done = engine.ingest(&line, Format::Ndjson).map_err(|e| match e {
        // The handler checked the fields; a refusal here names the event's field.
        IngestError::Rejected { mut errors, .. } if !errors.is_empty() => {
            let first = errors.swap_remove(0);
            let field = first
                .field
                .map(|f| f.strip_prefix("data.").unwrap_or(&f).to_owned());
            match field {
                Some(f) => ApiError::bad(ErrorCode::BadBody, f, first.message),
                None => ApiError::new(ErrorCode::BadBody, first.message),
            }
        }
        other => super::events::ingest_error(other),
    })?;
    let until = done.last_position.map_or(engine.head(), |p| p + 1);
    if !engine.wait_visible(until, WAIT_LIMIT) {
        return Err(ApiError::new(
            ErrorCode::NotVisibleYet,
            format!(
                "the change was kept (position {until}) but has not applied after {WAIT_LIMIT:?}"
            ),
        ));
    }
    Ok(until)
}

/// Appends the event a subscriber's request stands for (now, with a fresh id) and
/// waits until it applies.
async fn write(
    state: &AppState,
    who: &SubscriberId,
    what: &str,
    payload: Payload,
) -> Result<u64, ApiError> {
    let event = Event {
        id: event_id(who, what),
        at: time::OffsetDateTime::now_utc().into(),
        key: None,
        payload,
    };
    let engine = state.engine.clone();
    blocking(move || append(&engine, event)).await
}

/// How long a subscriber token lasts when the request does not say: a day.
const TOKEN_TTL: u64 = 24 * 3600;
/// The longest a subscriber token may last: 30 days.
const MAX_TOKEN_TTL: u64 = 30 * 24 * 3600;

/// What token to issue.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Seconds it lasts, 60 to 2,592,000 (30 days); default 86,400 (a day).
    #[schema(minimum = 60, maximum = 2592000)]
    pub ttl_seconds: Option<u64>,
}

/// A subscriber token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// The token: `Authorization: Bearer <token>`, or `?token=` where headers cannot
    /// be set (`EventSource`). It opens `/subscribers/{id}/…` of this subscriber only.
    pub token: String,
    /// The subscriber it speaks for.
    pub subscriber: String,
    /// When it stops working, Unix seconds.
    pub expires_at: u64,
}

/// Issues a token that speaks for one subscriber, for the buyer's browser: the
/// marketplace's backend, which holds the `alerts` key, hands it to the page of a
/// signed-in buyer. A token cannot issue tokens.
#[utoipa::path(post, path = "/subscribers/{id}/tokens", tag = "alerts",
    security(("api_key" = [])), request_body = Option<TokenRequest>,
    params(("id" = String, Path, description = "the subscriber")),
    responses((status = 201, body = TokenView), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `alerts` scope", body = super::error::ErrorBody), (status = 413, body = super::error::ErrorBody)))]
pub async fn issue_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<(StatusCode, Json<TokenView>), ApiError> {
    let who = subscriber(&id)?;
    // No body (or `null`) asks for the defaults.
    let asked: TokenRequest = match blank(&body) {
        true => TokenRequest::default(),
        false => object::<Option<TokenRequest>>(&body)?.unwrap_or_default(),
    };
    let ttl = asked.ttl_seconds.unwrap_or(TOKEN_TTL);
    if !(60..=MAX_TOKEN_TTL).contains(&ttl) {
        return Err(ApiError::bad(
            ErrorCode::OutOfRange,
            "ttl_seconds",
            format!("ttl_seconds must be 60 to {MAX_TOKEN_TTL} (30 days)"),
        ));
    }
    let expires_at = crate::alerts::token::unix_now() + ttl;
    Ok((
        StatusCode::CREATED,
        Json(TokenView {
            token: state.tokens.mint(&who, expires_at),
            subscriber: who.to_string(),
            expires_at,
        }),
    ))
}

/// Saves a search for a subscriber.
#[utoipa::path(post, path = "/subscribers/{id}/saved-searches", tag = "alerts",
    security(("api_key" = []), ("subscriber_token" = [])), request_body = SaveSearch,
    params(("id" = String, Path, description = "the subscriber")),
    responses((status = 201, body = SavedSearchView), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `alerts` scope, or the token is another subscriber's", body = super::error::ErrorBody), (status = 413, body = super::error::ErrorBody), (status = 429, description = "The indexer is behind; retry shortly", body = super::error::ErrorBody), (status = 503, description = "Kept but not applied in time, or the log cannot be written", body = super::error::ErrorBody), (status = 507, description = "The disk holding the event log is full", body = super::error::ErrorBody)))]
pub async fn save_search(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<(StatusCode, Json<SavedSearchView>), ApiError> {
    let who = subscriber(&id)?;
    let save: SaveSearch = object(&body)?;
    let saved_search_id = match save.saved_search_id {
        Some(s) => SavedSearchId::new(s).map_err(|e| {
            ApiError::bad(
                ErrorCode::BadId,
                "saved_search_id",
                format!("saved_search_id: {e}"),
            )
        })?,
        None => {
            let made = event_id(&who, "saved-search");
            SavedSearchId::new(format!("s-{}", &made.as_str()[4..])).expect("valid")
        }
    };
    crate::api::search::saved::check(&save.query, &state.engine.current().graph().get())?;
    let payload = Payload::SavedSearchCreated(SavedSearch {
        saved_search_id: saved_search_id.clone(),
        subscriber: who.clone(),
        query: save.query.clone(),
    });
    write(&state, &who, saved_search_id.as_str(), payload).await?;
    Ok((
        StatusCode::CREATED,
        Json(SavedSearchView {
            saved_search_id: saved_search_id.to_string(),
            query: save.query,
        }),
    ))
}

/// A subscriber's saved searches.
#[utoipa::path(get, path = "/subscribers/{id}/saved-searches", tag = "alerts",
    security(("api_key" = []), ("subscriber_token" = [])), params(("id" = String, Path, description = "the subscriber")),
    responses((status = 200, body = SavedSearches), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `alerts` scope, or the token is another subscriber's", body = super::error::ErrorBody)))]
pub async fn saved_searches(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SavedSearches>, ApiError> {
    let who = subscriber(&id)?;
    let generation = state.engine.current();
    let list = generation.alerts().percolator().searches_of(&who);
    Ok(Json(SavedSearches {
        saved_searches: list
            .into_iter()
            .map(|(id, query)| SavedSearchView {
                saved_search_id: id.to_string(),
                query,
            })
            .collect(),
    }))
}

/// Deletes a saved search.
#[utoipa::path(delete, path = "/subscribers/{id}/saved-searches/{saved_search_id}",
    tag = "alerts", security(("api_key" = []), ("subscriber_token" = [])),
    params(("id" = String, Path, description = "the subscriber"),
        ("saved_search_id" = String, Path, description = "the saved search")),
    responses((status = 204, description = "Deleted"), (status = 404, body = super::error::ErrorBody), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `alerts` scope, or the token is another subscriber's", body = super::error::ErrorBody), (status = 413, body = super::error::ErrorBody), (status = 429, description = "The indexer is behind; retry shortly", body = super::error::ErrorBody), (status = 503, description = "Kept but not applied in time, or the log cannot be written", body = super::error::ErrorBody), (status = 507, description = "The disk holding the event log is full", body = super::error::ErrorBody)))]
pub async fn delete_search(
    State(state): State<AppState>,
    Path((id, search)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let who = subscriber(&id)?;
    let search = SavedSearchId::new(search)
        .map_err(|e| ApiError::bad(ErrorCode::BadId, "saved_search_id", e.to_string()))?;
    let exists = state
        .engine
        .current()
        .alerts()
        .percolator()
        .searches_of(&who)
        .iter()
        .any(|(s, _)| *s == search);
    if !exists {
        return Err(ApiError::not_found(format!(
            "subscriber {who} has no saved search {search}"
        )));
    }
    let what = search.to_string();
    let payload = Payload::SavedSearchDeleted(SavedSearchRef {
        saved_search_id: search,
        subscriber: who.clone(),
    });
    write(&state, &who, &what, payload).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts watching a machine.
#[utoipa::path(post, path = "/subscribers/{id}/watches", tag = "alerts",
    security(("api_key" = []), ("subscriber_token" = [])), request_body = WatchMachine,
    params(("id" = String, Path, description = "the subscriber")),
    responses((status = 201, body = Watches), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `alerts` scope, or the token is another subscriber's", body = super::error::ErrorBody), (status = 413, body = super::error::ErrorBody), (status = 429, description = "The indexer is behind; retry shortly", body = super::error::ErrorBody), (status = 503, description = "Kept but not applied in time, or the log cannot be written", body = super::error::ErrorBody), (status = 507, description = "The disk holding the event log is full", body = super::error::ErrorBody)))]
pub async fn watch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<(StatusCode, Json<Watches>), ApiError> {
    let who = subscriber(&id)?;
    let w: WatchMachine = object(&body)?;
    let machine = MachineId::new(w.machine_id)
        .map_err(|e| ApiError::bad(ErrorCode::BadId, "machine_id", format!("machine_id: {e}")))?;
    let what = machine.to_string();
    let payload = Payload::MachineWatched(Watch {
        subscriber: who.clone(),
        machine_id: machine,
    });
    write(&state, &who, &what, payload).await?;
    let watches = watch_list(&state, &who);
    Ok((StatusCode::CREATED, Json(watches)))
}

fn watch_list(state: &AppState, who: &SubscriberId) -> Watches {
    let generation = state.engine.current();
    let list = generation.alerts().percolator().watched_by(who);
    Watches {
        watches: list.into_iter().map(|m| m.to_string()).collect(),
    }
}

/// The machines a subscriber watches.
#[utoipa::path(get, path = "/subscribers/{id}/watches", tag = "alerts",
    security(("api_key" = []), ("subscriber_token" = [])), params(("id" = String, Path, description = "the subscriber")),
    responses((status = 200, body = Watches), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `alerts` scope, or the token is another subscriber's", body = super::error::ErrorBody)))]
pub async fn watches(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Watches>, ApiError> {
    let who = subscriber(&id)?;
    Ok(Json(watch_list(&state, &who)))
}

/// Stops watching a machine.
#[utoipa::path(delete, path = "/subscribers/{id}/watches/{machine_id}", tag = "alerts",
    security(("api_key" = []), ("subscriber_token" = [])),
    params(("id" = String, Path, description = "the subscriber"),
        ("machine_id" = String, Path, description = "the machine")),
    responses((status = 204, description = "No longer watched"), (status = 404, body = super::error::ErrorBody), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `alerts` scope, or the token is another subscriber's", body = super::error::ErrorBody), (status = 413, body = super::error::ErrorBody), (status = 429, description = "The indexer is behind; retry shortly", body = super::error::ErrorBody), (status = 503, description = "Kept but not applied in time, or the log cannot be written", body = super::error::ErrorBody), (status = 507, description = "The disk holding the event log is full", body = super::error::ErrorBody)))]
pub async fn unwatch(
    State(state): State<AppState>,
    Path((id, machine)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let who = subscriber(&id)?;
    let machine = MachineId::new(machine)
        .map_err(|e| ApiError::bad(ErrorCode::BadId, "machine_id", e.to_string()))?;
    if !watch_list(&state, &who)
        .watches
        .iter()
        .any(|m| m == machine.as_str())
    {
        return Err(ApiError::not_found(format!(
            "subscriber {who} does not watch machine {machine}"
        )));
    }
    let what = machine.to_string();
    let payload = Payload::MachineUnwatched(Watch {
        subscriber: who.clone(),
        machine_id: machine,
    });
    write(&state, &who, &what, payload).await?;
    Ok(StatusCode::NO_CONTENT)
}
