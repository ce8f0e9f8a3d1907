//! Reading notifications: `/subscribers/{id}/notifications` (one subscriber's, with a
//! key of the `alerts` scope or the subscriber's token) and `/notifications` (every
//! subscriber's, or a list's). They are read from the outbox as JSON pages
//! (`?after=&limit=`) or as a Server-Sent Events stream that resumes after
//! `Last-Event-ID`.

use super::alerts::subscriber;
use super::error::{ApiError, ErrorCode};
use super::extract::Q;
use super::AppState;
use crate::alerts::{Notification, OutboxReader};
use crate::engine::Engine;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use stockyard_schema::SubscriberId;
use tokio_util::sync::CancellationToken;
use utoipa::{IntoParams, ToSchema};

/// Most notifications per JSON page, and per read of a stream.
const MAX_PAGE: usize = 1000;
/// Notifications per JSON page when `limit` is not given.
const DEFAULT_PAGE: usize = 100;
/// A stream sends a comment this often when there is nothing to tell, so that
/// proxies keep it open and the client knows it is alive.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Where to start reading notifications, and how many.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadQuery {
    /// Notifications with ids above this (the last one seen); `Last-Event-ID` takes
    /// precedence on a stream.
    pub after: Option<u64>,
    /// At most this many per page (1 to 1000, default 100).
    pub limit: Option<usize>,
    /// For `/notifications`: comma-separated subscriber ids; every subscriber when
    /// left out.
    pub subscribers: Option<String>,
}

/// A page of notifications.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    /// Oldest first.
    #[schema(value_type = Vec<Object>)]
    pub notifications: Vec<Notification>,
    /// The id to read after next time: the last one here, else the `after` given.
    pub last_id: u64,
    /// Set when notifications after `after` were dropped by retention before they
    /// were read: the client must re-read its state (saved searches' results, watched
    /// machines), then go on from `last_id`.
    pub reset: bool,
}

/// Where a read starts: `Last-Event-ID` (a reconnecting `EventSource`), else `after`.
fn start(headers: &HeaderMap, q: &ReadQuery) -> Result<u64, ApiError> {
    match headers.get("last-event-id") {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| {
                ApiError::bad(
                    ErrorCode::BadNumber,
                    "Last-Event-ID",
                    "Last-Event-ID must be a notification id (a whole number)",
                )
            }),
        None => match q.after {
            // Ids are JSON integers: OpenAPI's int64.
            Some(a) if a > i64::MAX as u64 => Err(ApiError::bad(
                ErrorCode::OutOfRange,
                "after",
                format!("`after` must be at most {}", i64::MAX),
            )),
            a => Ok(a.unwrap_or(0)),
        },
    }
}

fn page_size(q: &ReadQuery) -> Result<usize, ApiError> {
    match q.limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad(
            ErrorCode::OutOfRange,
            "limit",
            format!("limit must be from 1 to {MAX_PAGE}, got {n}"),
        )),
    }
}

fn wants_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

/// What a stream sends next.
enum Next {
    Told(Arc<Notification>),
    /// Notifications after the stream's position were dropped by retention; it goes
    /// on after this id.
    Reset(u64),
    /// The stream ends, with a last comment saying why: the server is shutting down
    /// (the client resumes from its last id later or elsewhere), or the outbox could
    /// not be read.
    End(String),
}

/// What one stream reads: whose notifications, from where.
struct Cursor {
    engine: Arc<Engine>,
    subscribers: Option<Vec<SubscriberId>>,
    after: u64,
    /// Read but not sent yet: at most one read's worth.
    pending: VecDeque<Arc<Notification>>,
    /// The outbox being followed (a rebuild serves a new one).
    outbox: Arc<OutboxReader>,
    changes: tokio::sync::watch::Receiver<u64>,
    closing: CancellationToken,
}

impl Cursor {
    fn new(
        engine: Arc<Engine>,
        subscribers: Option<Vec<SubscriberId>>,
        after: u64,
        closing: CancellationToken,
    ) -> Cursor {
        let outbox = engine.current().alerts().outbox().clone();
        let changes = outbox.changes();
        Cursor {
            engine,
            subscribers,
            after,
            pending: VecDeque::new(),
            outbox,
            changes,
            closing,
        }
    }

    /// The next notification, waiting for one as long as it takes.
    async fn next(&mut self) -> Next {
        loop {
            if self.closing.is_cancelled() {
                return Next::End("the server is shutting down: resume from your last id".into());
            }
            if let Some(n) = self.pending.pop_front() {
                self.after = n.id;
                return Next::Told(n);
            }
            let current = self.engine.current().alerts().outbox().clone();
            if !Arc::ptr_eq(&current, &self.outbox) {
                self.changes = current.changes();
                self.outbox = current;
            }
            self.changes.borrow_and_update();
            let dropped = self.outbox.dropped_through(self.subscribers.as_deref());
            if self.after < dropped {
                self.after = dropped;
                return Next::Reset(dropped);
            }
            match self
                .outbox
                .after(self.subscribers.as_deref(), self.after, MAX_PAGE)
            {
                Ok(read) => self.pending.extend(read),
                Err(e) => {
                    tracing::error!("a notification stream ends: {e}");
                    return Next::End(e.to_string());
                }
            }
            if self.pending.is_empty() {
                // Woken by a commit or the shutdown; the timeout re-checks which
                // outbox serves.
                tokio::select! {
                    _ = tokio::time::timeout(HEARTBEAT, self.changes.changed()) => {}
                    () = self.closing.cancelled() => {}
                }
            }
        }
    }
}

fn stream_of(cursor: Cursor) -> impl Stream<Item = Result<SseEvent, std::convert::Infallible>> {
    stream::unfold((cursor, false), |(mut c, ended)| async move {
        if ended {
            return None;
        }
        let event = match c.next().await {
            Next::End(why) => return Some((Ok(SseEvent::default().comment(why)), (c, true))),
            Next::Told(n) => SseEvent::default()
                .id(n.id.to_string())
                .event(n.kind.as_str())
                .json_data(&*n)
                .expect("notifications serialize"),
            Next::Reset(after) => SseEvent::default()
                .id(after.to_string())
                .event("reset")
                .json_data(json!({
                    "after": after,
                    "reason": "notifications after the id you resumed from were dropped \
                               (retention): re-read your state; this stream goes on after `after`",
                }))
                .expect("serializes"),
        };
        Some((Ok(event), (c, false)))
    })
}

fn read(
    state: AppState,
    headers: &HeaderMap,
    q: &ReadQuery,
    subscribers: Option<Vec<SubscriberId>>,
) -> Result<Response, ApiError> {
    let after = start(headers, q)?;
    let limit = page_size(q)?;
    if wants_stream(headers) {
        let cursor = Cursor::new(
            state.engine.clone(),
            subscribers,
            after,
            state.closing.clone(),
        );
        let sse = Sse::new(stream_of(cursor)).keep_alive(KeepAlive::new().interval(HEARTBEAT));
        return Ok(sse.into_response());
    }
    let generation = state.engine.current();
    let outbox = generation.alerts().outbox();
    let dropped = outbox.dropped_through(subscribers.as_deref());
    let reset = after < dropped;
    let from = after.max(dropped);
    let notifications = outbox
        .after(subscribers.as_deref(), from, limit)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let last_id = notifications.last().map_or(from, |n| n.id);
    Ok(Json(NotificationPage {
        notifications: notifications.iter().map(|n| (**n).clone()).collect(),
        last_id,
        reset,
    })
    .into_response())
}

/// A subscriber's notifications: a JSON page, or with `Accept: text/event-stream` a
/// live stream (`id:` the notification id, `event:` its kind, `data:` the JSON) that
/// resumes after `Last-Event-ID`.
#[utoipa::path(get, path = "/subscribers/{id}/notifications", tag = "alerts",
    security(("api_key" = []), ("subscriber_token" = [])),
    params(("id" = String, Path, description = "the subscriber"), ReadQuery,
        ("token" = Option<String>, Query, description = "a subscriber token, for clients that cannot set `Authorization` (`EventSource`)")),
    responses((status = 200, body = NotificationPage, description = "a JSON page; with `Accept: text/event-stream`, a stream of the same notifications"), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `alerts` scope, or the token is another subscriber's", body = super::error::ErrorBody)))]
pub async fn subscriber_notifications(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Q(q): Q<ReadQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let who = subscriber(&id)?;
    if q.subscribers.is_some() {
        return Err(ApiError::bad(
            ErrorCode::UnknownParameter,
            "subscribers",
            "`subscribers` belongs to /notifications; this path names its subscriber",
        ));
    }
    read(state, &headers, &q, Some(vec![who]))
}

/// Notifications of several subscribers (`?subscribers=a,b,c`) or of all, in one
/// page or one stream: for the marketplace's backend, which relays them.
#[utoipa::path(get, path = "/notifications", tag = "alerts", security(("api_key" = [])),
    params(ReadQuery),
    responses((status = 200, body = NotificationPage, description = "a JSON page; with `Accept: text/event-stream`, a stream of the same notifications"), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, description = "The key lacks the `alerts` scope", body = super::error::ErrorBody)))]
pub async fn notifications(
    State(state): State<AppState>,
    Q(q): Q<ReadQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let subscribers = match q.subscribers.as_deref() {
        None => None,
        Some(list) => Some(
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(subscriber)
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    read(state, &headers, &q, subscribers)
}
