//! `GET /analytics/queries`: what buyers searched for, for operators; see
//! [`crate::analytics`].

use super::error::{ApiError, ErrorCode};
use super::extract::Q;
use super::AppState;
use crate::analytics::{day_string, parse_day, Report};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use time::Duration;
use utoipa::IntoParams;

/// Most texts per list a report may ask for.
pub const MAX_TOP: usize = 1000;

/// The period and the length of the lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// First day (UTC), `YYYY-MM-DD`; default 29 days before `to`.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub from: Option<String>,
    /// Last day (UTC), `YYYY-MM-DD`; default today.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub to: Option<String>,
    /// Texts per list (1-1000, default 20).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

fn day(field: &str, text: &str) -> Result<time::Date, ApiError> {
    parse_day(text).ok_or_else(|| {
        ApiError::bad(
            ErrorCode::BadDate,
            field,
            format!("`{field}` must be a date written YYYY-MM-DD, got {text:?}"),
        )
    })
}

/// The most searched texts, the most searched texts that found nothing, and searches
/// per day and language, over a period. Texts are stored normalised (NFKC, lower
/// case), never with who searched. 404 when analytics are switched off.
#[utoipa::path(get, path = "/analytics/queries", tag = "admin", params(AnalyticsQuery),
    security(("api_key" = [])),
    responses((status = 200, body = Report), (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 404, description = "Analytics are switched off", body = super::error::ErrorBody)))]
pub async fn queries(
    State(state): State<AppState>,
    Q(q): Q<AnalyticsQuery>,
) -> Result<Json<Report>, ApiError> {
    let Some(analytics) = &state.analytics else {
        return Err(ApiError::not_found(
            "search analytics are switched off (`[analytics] enabled = false`)",
        ));
    };
    let to = match &q.to {
        Some(t) => day("to", t)?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let from = match &q.from {
        Some(f) => day("from", f)?,
        None => to.saturating_sub(Duration::days(29)),
    };
    if from > to {
        return Err(ApiError::bad(
            ErrorCode::OutOfRange,
            "from",
            format!(
                "`from` ({}) is after `to` ({})",
                day_string(from),
                day_string(to)
            ),
        ));
    }
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_TOP).contains(&limit) {
        return Err(ApiError::bad(
            ErrorCode::OutOfRange,
            "limit",
            format!("`limit` must be from 1 to {MAX_TOP}, got {limit}"),
        ));
    }
    Ok(Json(analytics.report(from, to, limit)))
}
