//! Every error the API answers with: a status and `{error: {code, message, field?}}`.
//!
//! The codes are one table, [`ErrorCode`]: each names its HTTP status and what it means,
//! OpenAPI lists them, and handlers pick one rather than write a string, so a code
//! cannot drift from its status or its documentation.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// Declares the error codes: variant, status, and a one-line meaning.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $status:ident, $meaning:literal;)*) => {
        /// A stable, machine-readable error code (its variant's name in snake case).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $(
                #[doc = $meaning]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as sent.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status it answers with.
            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }

            /// What it means, in one line.
            pub fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => $meaning,)* }
            }
        }
    };
}

error_codes! {
    BadBody = "bad_body", BAD_REQUEST, "The body is not what the endpoint reads (JSON, UTF-8 NDJSON, a JSON array).";
    BadDate = "bad_date", BAD_REQUEST, "A date is not written `YYYY-MM-DD` or does not exist.";
    BadId = "bad_id", BAD_REQUEST, "An id is malformed (1-128 bytes, no whitespace or control characters).";
    BadLanguage = "bad_language", BAD_REQUEST, "A language is not an ISO 639-1 code Stockyard knows.";
    BadNumber = "bad_number", BAD_REQUEST, "A parameter that must be a number is not one.";
    BadOrder = "bad_order", BAD_REQUEST, "`order` is neither `asc` nor `desc`.";
    BadPath = "bad_path", BAD_REQUEST, "A path segment is malformed.";
    BadQuery = "bad_query", BAD_REQUEST, "The query string cannot be read.";
    BadRange = "bad_range", BAD_REQUEST, "A range is not `min..max` with either end open.";
    BadSort = "bad_sort", BAD_REQUEST, "`sort` names no order Stockyard has.";
    Empty = "empty", BAD_REQUEST, "The request holds no event.";
    OutOfRange = "out_of_range", BAD_REQUEST, "A number is outside the range the parameter takes.";
    RepeatedParameter = "repeated_parameter", BAD_REQUEST, "A parameter that takes one value was given twice.";
    TooManyParameters = "too_many_parameters", BAD_REQUEST, "The query string holds more parameters than a search can use.";
    TooManyValues = "too_many_values", BAD_REQUEST, "A selection lists more values than allowed.";
    UnknownCurrency = "unknown_currency", BAD_REQUEST, "The currency has no rate in the latest published set.";
    UnknownFacet = "unknown_facet", BAD_REQUEST, "`facets` names a facet Stockyard does not count.";
    UnknownParameter = "unknown_parameter", BAD_REQUEST, "The request names a parameter the endpoint does not take.";
    UnknownSpec = "unknown_spec", BAD_REQUEST, "A spec category is not defined in the catalog.";
    Unauthorized = "unauthorized", UNAUTHORIZED, "The endpoint needs an API key or subscriber token, and none or an unknown one was sent.";
    TokenExpired = "token_expired", UNAUTHORIZED, "The subscriber token has expired; the marketplace's backend issues a new one.";
    Forbidden = "forbidden", FORBIDDEN, "The API key lacks the scope the endpoint needs, or the subscriber token is another subscriber's.";
    NotFound = "not_found", NOT_FOUND, "No such entity (machine, model, maker) or route.";
    RebuildRunning = "rebuild_running", CONFLICT, "A rebuild is running already.";
    TooLarge = "too_large", PAYLOAD_TOO_LARGE, "The body is larger than `max_body_bytes`.";
    InvalidEvents = "invalid_events", UNPROCESSABLE_ENTITY, "Some events of the request are invalid; `lines` says which and why; nothing was kept.";
    RateLimited = "rate_limited", TOO_MANY_REQUESTS, "The API key's search rate is used up; `Retry-After` says when to come back.";
    IndexerBehind = "indexer_behind", TOO_MANY_REQUESTS, "The indexer is too far behind to take more events now; retry shortly.";
    Internal = "internal", INTERNAL_SERVER_ERROR, "A bug: the request failed unexpectedly.";
    GraphUnavailable = "graph_unavailable", SERVICE_UNAVAILABLE, "The site's Neo4j cannot be reached.";
    GraphFailed = "graph_failed", SERVICE_UNAVAILABLE, "The site's Neo4j refused or failed a query.";
    LogUnavailable = "log_unavailable", SERVICE_UNAVAILABLE, "The event log cannot be written.";
    NotVisibleYet = "not_visible_yet", SERVICE_UNAVAILABLE, "The events were kept but are not searchable within the wait limit.";
    RebuildFailed = "rebuild_failed", SERVICE_UNAVAILABLE, "A rebuild could not start.";
    RetryFailed = "retry_failed", SERVICE_UNAVAILABLE, "Dead letters could not be appended again.";
    SearchFailed = "search_failed", SERVICE_UNAVAILABLE, "The text index failed or the search was interrupted.";
    Timeout = "timeout", SERVICE_UNAVAILABLE, "The request took longer than `request_timeout_ms`.";
    InsufficientStorage = "insufficient_storage", INSUFFICIENT_STORAGE, "The event log has no room to grow; nothing of the request was kept.";
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// What kind of error, from the table of codes.
    pub code: ErrorCode,
    /// What was wrong and what is expected, for people.
    pub message: String,
    /// The request parameter or field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Per-event errors of a rejected ingest request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<crate::engine::LineError>,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: ErrorDetail,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error of a code (which gives the status), with a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: code.status(),
            detail: ErrorDetail {
                code,
                message: message.into(),
                field: None,
                lines: Vec::new(),
            },
            retry_after: None,
        }
    }

    /// The same error told of parameter `to` where it named `from`: for an endpoint
    /// that takes another endpoint's parameter under another name.
    pub fn renamed(mut self, from: &str, to: &str) -> ApiError {
        if self.detail.field.as_deref() == Some(from) {
            self.detail.field = Some(to.to_owned());
            self.detail.message = self
                .detail
                .message
                .replace(&format!("`{from}`"), &format!("`{to}`"));
        }
        self
    }

    /// An error about one parameter or field.
    pub fn bad(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::new(code, message).field(field)
    }

    /// A 404.
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, what)
    }

    /// Names the field at fault.
    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.detail.field = Some(field.into());
        self
    }

    /// Adds per-event errors.
    pub fn lines(mut self, lines: Vec<crate::engine::LineError>) -> ApiError {
        self.detail.lines = lines;
        self
    }

    /// Tells the client when to come back (`Retry-After`, seconds); 429 and 503
    /// answers say 1 s unless told otherwise.
    pub fn retry_after(mut self, secs: u64) -> ApiError {
        self.retry_after = Some(secs);
        self
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The field at fault, if one is named.
    pub fn field_name(&self) -> Option<&str> {
        self.detail.field.as_deref()
    }

    /// What was wrong, for people.
    pub fn message(&self) -> &str {
        &self.detail.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let retry_after = self.retry_after;
        let mut response = (status, Json(ErrorBody { error: self.detail })).into_response();
        let headers = response.headers_mut();
        match status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after.unwrap_or(1)),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<crate::graph::ReadError> for ApiError {
    fn from(e: crate::graph::ReadError) -> ApiError {
        let code = match e {
            crate::graph::ReadError::Unavailable { .. } => ErrorCode::GraphUnavailable,
            crate::graph::ReadError::Failed(_) => ErrorCode::GraphFailed,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<crate::engine::SearchFailure> for ApiError {
    fn from(e: crate::engine::SearchFailure) -> ApiError {
        match e {
            crate::engine::SearchFailure::Graph(e) => e.into(),
            other => ApiError::new(ErrorCode::SearchFailed, other.to_string()),
        }
    }
}

impl From<crate::search::SearchError> for ApiError {
    fn from(e: crate::search::SearchError) -> ApiError {
        ApiError::new(ErrorCode::SearchFailed, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_errors_by_status_class() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str(), "serialises as its code");
            let status = code.status();
            assert!(status.is_client_error() || status.is_server_error());
            assert!(!code.meaning().is_empty());
        }
    }

    #[test]
    fn openapi_lists_exactly_the_codes_sent() {
        let schema = serde_json::to_value(<ErrorCode as utoipa::PartialSchema>::schema()).unwrap();
        let listed: Vec<&str> = schema["enum"]
            .as_array()
            .expect("an enum of strings")
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let sent: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, sent);
    }
}
