//! The HTTP API (axum): search, browse, ingest, admin, operations, OpenAPI and the
//! search page.
//!
//! Handlers are thin: extractors validate ([`extract`]), work that touches the
//! indexes runs on blocking threads, every error is an [`ApiError`] with a JSON body.
//! One middleware gives each request an id, a tracing span, a time limit and a
//! latency observation; [`auth`] checks keys and their scopes where they are needed.
//! Read endpoints answer cross-origin browsers when origins are configured; answers
//! over 1 KB are compressed as `Accept-Encoding` asks (gzip, br, zstd).

pub mod alerts;
pub mod analytics;
pub mod auth;
pub mod browse;
pub mod error;
pub mod events;
pub mod extract;
pub mod lang;
pub mod lookup;
pub mod metrics;
pub mod notifications;
pub mod search;

pub use error::{ApiError, ErrorCode};

use crate::engine::Engine;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use extract::{Body, Q};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stockyard_schema::Lang;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// How the API behaves.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Keys accepted (`Authorization: Bearer <key>`), each with its scopes.
    pub keys: Vec<auth::ApiKey>,
    /// Whether search and browse need a key with the `search` scope.
    pub keyed_reads: bool,
    /// Origins whose browser pages may call search and browse (`*` for any); none
    /// by default. Ingest and admin never answer cross-origin requests.
    pub cors_origins: Vec<HeaderValue>,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            keys: Vec::new(),
            keyed_reads: false,
            cors_origins: Vec::new(),
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The catalog.
    pub engine: Arc<Engine>,
    /// The API's settings.
    pub config: Arc<ApiConfig>,
    /// The keys, ready to check requests against.
    pub keys: Arc<auth::Keys>,
    /// Request counters.
    pub metrics: Arc<metrics::Metrics>,
    /// The graph that answers facets and catalog pages.
    pub graph: crate::engine::GraphSource,
    /// Where searches run.
    pub pool: crate::engine::SearchPool,
    /// Signs and checks subscriber tokens, which open one subscriber's endpoints.
    pub tokens: Arc<crate::alerts::TokenKey>,
    /// Search analytics, when switched on.
    pub analytics: Option<Arc<crate::analytics::Analytics>>,
    /// Cancelled when the server starts to shut down: notification streams, which
    /// never end by themselves, end then, so that the shutdown does not wait for
    /// their clients to leave.
    pub closing: tokio_util::sync::CancellationToken,
}

/// The buyer's language for names, as a query parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// The buyer's language (ISO 639-1); defaults to Accept-Language, then English.
    #[param(pattern = "^(ja|en|zh|ko|de|fr|es|ru)$")]
    pub lang: Option<String>,
}

impl LangQuery {
    /// The language names are shown in.
    pub fn resolve(&self, headers: &HeaderMap) -> Result<Lang, ApiError> {
        match self.lang.as_deref() {
            Some(l) => l
                .parse()
                .map_err(|e| ApiError::bad(ErrorCode::BadLanguage, "lang", format!("`lang`: {e}"))),
            None => Ok(lang::names_lang(
                accept_language(headers).and_then(lang::from_accept_language),
            )),
        }
    }
}

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

/// Runs index work on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(ApiError::new(
            ErrorCode::Internal,
            format!("the request failed: {e}"),
        ))
    })
}

/// Searches: words, selections, facets, sorting, paging (query-string form).
///
/// Spec conditions are written `spec.<id>=min..max` for a number spec (either end may
/// be left out) and `spec.<id>=value` for a text spec (repeat to OR); OpenAPI cannot
/// name such parameters, so they are described here.
#[utoipa::path(get, path = "/search", tag = "search", params(search::SearchBody),
    responses((status = 200, body = search::SearchResponse), (status = 400, body = error::ErrorBody),
        (status = 401, description = "Reads are keyed and no valid key was given", body = error::ErrorBody),
        (status = 403, description = "The key lacks the `search` scope", body = error::ErrorBody),
        (status = 429, description = "The key's search rate is used up; see Retry-After", body = error::ErrorBody)))]
pub async fn search_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Q(pairs): Q<Vec<(String, String)>>,
) -> Result<Json<search::SearchResponse>, ApiError> {
    let body = search::SearchBody::from_pairs(pairs)?;
    run_search(state, headers, body).await
}

/// Searches, taking the request as JSON (spec conditions as a map).
#[utoipa::path(post, path = "/search", tag = "search", request_body = search::SearchBody,
    responses((status = 200, body = search::SearchResponse), (status = 400, body = error::ErrorBody), (status = 413, body = error::ErrorBody),
        (status = 401, description = "Reads are keyed and no valid key was given", body = error::ErrorBody),
        (status = 403, description = "The key lacks the `search` scope", body = error::ErrorBody),
        (status = 429, description = "The key's search rate is used up; see Retry-After", body = error::ErrorBody)))]
pub async fn search_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(bytes): Body,
) -> Result<Json<search::SearchResponse>, ApiError> {
    let body = search::SearchBody::from_json(&bytes)?;
    run_search(state, headers, body).await
}

async fn run_search(
    state: AppState,
    headers: HeaderMap,
    body: search::SearchBody,
) -> Result<Json<search::SearchResponse>, ApiError> {
    let answer = search::run(&state, body, accept_language(&headers)).await?;
    state.metrics.add_hits(answer.hits.len());
    Ok(Json(answer))
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// Whether the projections have caught up with the log since start.
    pub ready: bool,
    /// Events in the log.
    pub head: u64,
    /// Events visible to search.
    pub applied: u64,
}

/// Ready once the projections have caught up with the log (503 until then).
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, body = Ready), (status = 503, body = Ready)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Ready>) {
    let ready = state.engine.is_ready();
    let body = Ready {
        ready,
        head: state.engine.head(),
        applied: state.engine.applied(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String)))]
pub async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    let status = state.engine.status();
    let text = state
        .metrics
        .render(&status, state.engine.current().number());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// The OpenAPI description of this API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Stockyard", description = "Search and faceted catalog of used machinery."),
    paths(search_get, search_post, lookup::suggest, lookup::facet_values, browse::machine, browse::model, browse::makers,
        browse::maker_models, browse::categories, browse::spec_categories, events::ingest, events::status,
        events::dead_letters, events::retry, events::rebuild, analytics::queries, alerts::save_search,
        alerts::saved_searches, alerts::delete_search, alerts::watch, alerts::watches,
        alerts::unwatch, notifications::subscriber_notifications, notifications::notifications, alerts::issue_token,
        health, ready,
        metrics_text),
    modifiers(&SecurityAddon),
    tags((name = "search"), (name = "browse"), (name = "ingest"), (name = "admin"), (name = "alerts"), (name = "operations"))
)]
pub struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "subscriber_token",
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from POST /subscribers/{id}/tokens: opens that subscriber's endpoints only; may also be sent as ?token=",
                    ))
                    .build(),
            ),
        );
    }
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn docs_page() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}

async fn search_page() -> Html<&'static str> {
    Html(include_str!("page.html"))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /openapi.json")
}

/// Request id, tracing span, time limit and latency metrics for every request.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("req-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed)));
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let started = Instant::now();
    let limit = state.config.request_timeout;
    let mut response = {
        let _enter = span.enter();
        // Without a subscriber token (`?token=`): a credential never reaches a log.
        // The field is computed only when debug lines are on.
        tracing::debug!(uri = %auth::split_token(req.uri()).1.as_ref().unwrap_or(req.uri()), "start");
        drop(_enter);
        match tokio::time::timeout(limit, next.run(req)).await {
            Ok(r) => r,
            Err(_) => ApiError::new(
                ErrorCode::Timeout,
                format!("the request took longer than {limit:?}"),
            )
            .into_response(),
        }
    };
    let took = started.elapsed();
    state
        .metrics
        .observe(&route, &method, response.status().as_u16(), took);
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            took_ms = took.as_secs_f64() * 1000.0,
            "done"
        )
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    use auth::{gate, Gate, Scope};
    let with = |scope| middleware::from_fn_with_state(Gate::new(&state, scope), gate);
    let reads = Router::new()
        .route("/search", get(search_get).post(search_post))
        .route("/suggest", get(lookup::suggest))
        .route("/facets/{group}/values", get(lookup::facet_values))
        .route("/machines/{id}", get(browse::machine))
        .route("/models/{id}", get(browse::model))
        .route("/makers", get(browse::makers))
        .route("/makers/{id}/models", get(browse::maker_models))
        .route("/categories", get(browse::categories))
        .route("/spec-categories", get(browse::spec_categories))
        .route_layer(with(Scope::Search));
    // Preflight requests carry no key: CORS answers them before the key check.
    let reads = match cors(&state.config.cors_origins) {
        Some(layer) => reads.layer(layer),
        None => reads,
    };
    let ingest = Router::new()
        .route("/events", post(events::ingest))
        .route("/events/status", get(events::status))
        .route_layer(with(Scope::Ingest));
    let admin = Router::new()
        .route("/events/dead-letters", get(events::dead_letters))
        .route("/events/dead-letters/retry", post(events::retry))
        .route("/admin/rebuild", post(events::rebuild))
        .route("/analytics/queries", get(analytics::queries))
        .route_layer(with(Scope::Admin));
    // A subscriber's own endpoints: the `alerts` key, or that subscriber's token.
    let subscriber = Router::new()
        .route(
            "/subscribers/{id}/saved-searches",
            post(alerts::save_search).get(alerts::saved_searches),
        )
        .route(
            "/subscribers/{id}/saved-searches/{saved_search_id}",
            delete(alerts::delete_search),
        )
        .route(
            "/subscribers/{id}/watches",
            post(alerts::watch).get(alerts::watches),
        )
        .route(
            "/subscribers/{id}/watches/{machine_id}",
            delete(alerts::unwatch),
        )
        .route(
            "/subscribers/{id}/notifications",
            get(notifications::subscriber_notifications),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::subscriber_gate,
        ));
    // The backend's: every subscriber at once, and issuing tokens.
    let backend = Router::new()
        .route("/subscribers/{id}/tokens", post(alerts::issue_token))
        .route("/notifications", get(notifications::notifications))
        .route_layer(with(Scope::Alerts));
    Router::new()
        .merge(reads)
        .merge(ingest)
        .merge(admin)
        .merge(subscriber)
        .merge(backend)
        .route("/", get(search_page))
        .route("/docs", get(docs_page))
        .route("/openapi.json", get(openapi_json))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_body_bytes,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(compression())
        .with_state(state)
}

/// The CORS policy of the read endpoints, when origins are configured.
fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().cloned())
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT_LANGUAGE,
            ])
            .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
            .max_age(Duration::from_secs(3600)),
    )
}

/// gzip, br or zstd as the client prefers, for answers over 1 KB that are neither
/// images nor event streams (a compressed stream would hold events back).
fn compression() -> CompressionLayer<impl Predicate> {
    let worth_it = SizeAbove::new(1024)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        .and(NotForContentType::GRPC);
    CompressionLayer::new().compress_when(worth_it)
}
