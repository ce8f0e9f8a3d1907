//! Ingest and admin: `POST /events`, `GET /events/status`, `GET /events/dead-letters`,
//! `POST /admin/rebuild`. All need an API key.

use super::error::{ApiError, ErrorCode};
use super::extract::{Body, Q};
use super::{blocking, AppState};
use crate::engine::{Format, IngestError, Ingested};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

/// How long `?wait=true` waits for events to become visible.
const WAIT_LIMIT: Duration = Duration::from_secs(20);

/// Options of an ingest request.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IngestQuery {
    /// Answer only once the events are visible to search.
    pub wait: Option<bool>,
}

/// An accepted ingest request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Events new to the log.
    pub accepted: usize,
    /// Events already in the log (skipped).
    pub duplicates: usize,
    /// Log position of the first new event.
    pub first_position: Option<u64>,
    /// Log position of the last new event.
    pub last_position: Option<u64>,
    /// Whether the events are visible to search (always true with `wait=true`).
    pub visible: bool,
}

/// A projection's progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectionProgress {
    /// `text`, `graph`, `alerts` or `neo4j`.
    pub name: String,
    /// Events applied.
    pub applied: u64,
    /// Events in the log not applied yet.
    pub lag: u64,
}

/// The indexer's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndexerStatus {
    /// Events in the log.
    pub head: u64,
    /// Each projection of the serving generation.
    pub projections: Vec<ProjectionProgress>,
    /// Dead letters recorded.
    pub dead_letters: usize,
    /// Events applied per second in the last batch.
    pub events_per_second: f64,
    /// The last indexing failure, if the last batch failed.
    pub last_error: Option<String>,
    /// The serving generation.
    pub generation: u64,
    /// A rebuild under way: the generation being built and how far it is.
    pub rebuild: Option<RebuildView>,
}

/// A rebuild under way.
#[derive(Debug, Serialize, ToSchema)]
pub struct RebuildView {
    /// The generation being built.
    pub generation: u64,
    /// Events applied to it.
    pub applied: u64,
    /// Events in the log.
    pub head: u64,
}

/// An event a projection could not apply.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterView {
    /// The projection that refused it.
    pub projection: String,
    /// Its log position.
    pub position: u64,
    /// Its id.
    pub event_id: String,
    /// Why.
    pub reason: String,
}

/// The answer to an ingest request that was refused.
pub fn ingest_error(e: IngestError) -> ApiError {
    match e {
        IngestError::Rejected { count, errors } => ApiError::new(
            ErrorCode::InvalidEvents,
            format!(
                "{count} invalid event(s); nothing was accepted: fix them and resend the request"
            ),
        )
        .lines(errors),
        IngestError::NotAnArray(m) => ApiError::new(
            ErrorCode::BadBody,
            format!("the body is not a JSON array of events: {m}"),
        ),
        IngestError::Empty => ApiError::new(ErrorCode::Empty, "the request holds no event"),
        IngestError::Busy { lag } => ApiError::new(
            ErrorCode::IndexerBehind,
            format!("the indexer is {lag} events behind; retry shortly"),
        ),
        IngestError::Log(e) if e.is_out_of_room() => ApiError::new(
            ErrorCode::InsufficientStorage,
            format!(
                "the event log has no room to grow, so nothing of this request was kept; \
                 send it again once the operator has freed disk space ({e})"
            ),
        ),
        IngestError::Log(e) => ApiError::new(ErrorCode::LogUnavailable, e.to_string()),
    }
}

/// Appends events (NDJSON, or a JSON array with `Content-Type: application/json`).
/// The request is validated as a whole: one invalid event rejects it with every
/// error listed, and nothing is appended. Events whose id is in the log already are
/// skipped, so resending is safe.
#[utoipa::path(post, path = "/events", tag = "ingest", params(IngestQuery),
    request_body(content = Vec<Object>, description = "Events as a JSON array (application/json), or as NDJSON (any other content type, such as application/x-ndjson): one event object per line. See docs/events.md for the event contract.", content_type = "application/json"),
    security(("api_key" = [])),
    responses((status = 202, body = Accepted), (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `ingest` scope", body = super::error::ErrorBody),
        (status = 413, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody),
        (status = 507, description = "The disk holding the event log is full; nothing was kept", body = super::error::ErrorBody)))]
pub async fn ingest(
    State(state): State<AppState>,
    Q(q): Q<IngestQuery>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::new(ErrorCode::BadBody, "the body is not UTF-8"))?
        .to_owned();
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let format = if json {
        Format::JsonArray
    } else {
        Format::Ndjson
    };
    let wait = q.wait.unwrap_or(false);
    blocking(move || {
        let done: Ingested = state.engine.ingest(&text, format).map_err(ingest_error)?;
        let until = done.last_position.map_or(0, |p| p + 1);
        let visible = if wait {
            if !state.engine.wait_visible(until, WAIT_LIMIT) {
                return Err(ApiError::new(ErrorCode::NotVisibleYet, format!("the events were accepted (positions up to {until}) but are not visible after {WAIT_LIMIT:?}"),
                ));
            }
            true
        } else {
            state.engine.applied() >= until
        };
        Ok((
            StatusCode::ACCEPTED,
            Json(Accepted {
                accepted: done.accepted,
                duplicates: done.duplicates,
                first_position: done.first_position,
                last_position: done.last_position,
                visible,
            }),
        ))
    })
    .await
}

/// Where the indexer stands.
#[utoipa::path(get, path = "/events/status", tag = "ingest", security(("api_key" = [])),
    responses((status = 200, body = IndexerStatus), (status = 401, body = super::error::ErrorBody),
        (status = 403, description = "The key lacks the scope", body = super::error::ErrorBody)))]
pub async fn status(State(state): State<AppState>) -> Json<IndexerStatus> {
    Json(indexer_status(&state))
}

/// The indexer's state, as the status endpoint and the CLI show it.
pub fn indexer_status(state: &AppState) -> IndexerStatus {
    let s = state.engine.status();
    IndexerStatus {
        head: s.head,
        projections: s
            .projections
            .into_iter()
            .map(|p| ProjectionProgress {
                name: p.name,
                applied: p.applied,
                lag: p.lag,
            })
            .collect(),
        dead_letters: s.dead_letters,
        events_per_second: s.events_per_second,
        last_error: s.last_error,
        generation: state.engine.current().number(),
        rebuild: state.engine.rebuild_progress().map(|r| RebuildView {
            generation: r.generation,
            applied: r.applied,
            head: r.head,
        }),
    }
}

/// Events the projections could not apply, with the reason.
#[utoipa::path(get, path = "/events/dead-letters", tag = "ingest", security(("api_key" = [])),
    responses((status = 200, body = Vec<DeadLetterView>), (status = 401, body = super::error::ErrorBody),
        (status = 403, description = "The key lacks the scope", body = super::error::ErrorBody)))]
pub async fn dead_letters(State(state): State<AppState>) -> Json<Vec<DeadLetterView>> {
    Json(
        state
            .engine
            .dead_letters()
            .into_iter()
            .map(|l| DeadLetterView {
                projection: l.projection,
                position: l.position,
                event_id: l.event_id,
                reason: l.reason,
            })
            .collect(),
    )
}

/// How many dead letters were handed back.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    /// Events appended again.
    pub retried: usize,
}

/// Hands every dead letter back to the log, to be applied again after what is there.
#[utoipa::path(post, path = "/events/dead-letters/retry", tag = "ingest", security(("api_key" = [])),
    responses((status = 202, body = Retried), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `admin` scope", body = super::error::ErrorBody), (status = 503, body = super::error::ErrorBody)))]
pub async fn retry(State(state): State<AppState>) -> Result<(StatusCode, Json<Retried>), ApiError> {
    blocking(move || {
        let retried = state
            .engine
            .retry_dead_letters()
            .map_err(|e| ApiError::new(ErrorCode::RetryFailed, e.to_string()))?;
        Ok((StatusCode::ACCEPTED, Json(Retried { retried })))
    })
    .await
}

/// A rebuild started.
#[derive(Debug, Serialize, ToSchema)]
pub struct RebuildStarted {
    /// The generation being built; it serves once it has caught up.
    pub generation: u64,
}

/// Replays the log from event 0 into a new generation while the current one keeps
/// serving; the new one takes over once it has caught up.
#[utoipa::path(post, path = "/admin/rebuild", tag = "admin", security(("api_key" = [])),
    responses((status = 202, body = RebuildStarted), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `admin` scope", body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn rebuild(
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<RebuildStarted>), ApiError> {
    let generation = state.engine.rebuild().map_err(|e| match e {
        crate::engine::EngineError::RebuildRunning => {
            ApiError::new(ErrorCode::RebuildRunning, e.to_string())
        }
        other => ApiError::new(ErrorCode::RebuildFailed, other.to_string()),
    })?;
    Ok((StatusCode::ACCEPTED, Json(RebuildStarted { generation })))
}
