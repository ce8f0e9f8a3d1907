//! A saved search's query: the `/search` request, checked by the same rules, in the
//! form the alerts match with.

use super::body::SearchBody;
use super::validate::validate;
use crate::alerts::{Compiled, QueryError};
use crate::graph::EmbeddedGraph;
use serde_json::{Map, Value};

/// Checks `query` as `POST /search` checks its body, against `graph` (spec kinds and
/// exchange rates as of now); an error names the field inside the query.
pub fn compile(query: &Map<String, Value>, graph: &EmbeddedGraph) -> Result<Compiled, QueryError> {
    let body: SearchBody =
        serde_path_to_error::deserialize(Value::Object(query.clone())).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            QueryError {
                field: (path != ".").then_some(path),
                message: inner,
            }
        })?;
    let checked = validate(&body, graph, None).map_err(|e| QueryError {
        field: e.field_name().map(str::to_owned),
        message: e.message().to_owned(),
    })?;
    Ok(Compiled {
        words: checked.plan.words,
        lang: checked.plan.lang,
        selections: checked.plan.selections,
    })
}
