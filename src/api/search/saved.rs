//! A saved search's query: the `/search` request, checked by the same rules, in the
//! form the alerts match with.

use super::super::error::{ApiError, ErrorCode};
use super::body::SearchBody;
use super::validate::{validate, Validated};
use crate::alerts::{Compiled, QueryError};
use crate::graph::EmbeddedGraph;
use serde_json::{Map, Value};

/// `query` read as a `/search` body and checked against `graph`; an error names the
/// field inside the query.
fn checked(query: &Map<String, Value>, graph: &EmbeddedGraph) -> Result<Validated, ApiError> {
    let body: SearchBody =
        serde_path_to_error::deserialize(Value::Object(query.clone())).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            match path.as_str() {
                "." => ApiError::new(ErrorCode::BadBody, message),
                _ => ApiError::bad(ErrorCode::BadBody, path, message),
            }
        })?;
    validate(&body, graph, None)
}

/// Checks `query` as `POST /search` checks its body, against `graph` (spec kinds and
/// exchange rates as of now), for the alerts.
pub fn compile(query: &Map<String, Value>, graph: &EmbeddedGraph) -> Result<Compiled, QueryError> {
    let checked = checked(query, graph).map_err(|e| QueryError {
        field: e.field_name().map(str::to_owned),
        message: e.message().to_owned(),
    })?;
    Ok(Compiled {
        words: checked.plan.words,
        lang: checked.plan.lang,
        selections: checked.plan.selections,
    })
}

/// Checks `query` for an endpoint that takes it as its `query` field: the search's
/// own error, its field named `query.<field>`.
pub fn check(query: &Map<String, Value>, graph: &EmbeddedGraph) -> Result<(), ApiError> {
    checked(query, graph).map(|_| ()).map_err(|e| {
        let field = match e.field_name() {
            Some(f) => format!("query.{f}"),
            None => "query".to_owned(),
        };
        e.field(field)
    })
}
