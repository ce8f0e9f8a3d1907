//! `GET /suggest` (as a buyer types) and `GET /facets/{group}/values` (searching a
//! long facet list): the catalog looked up by name; see [`crate::engine::lookup`].

use super::error::{ApiError, ErrorCode};
use super::extract::{P, Q};
use super::search::{validate, SearchBody};
use super::{accept_language, AppState, LangQuery};
use crate::engine::lookup::{DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS};
use crate::graph::EntityKind;
use crate::search::query::MAX_QUERY_CHARS;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What the buyer has typed so far.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestQuery {
    /// The text typed so far (a blank one suggests nothing).
    #[param(max_length = 200)]
    pub q: String,
    /// The buyer's language (ISO 639-1) names are shown in; defaults to
    /// Accept-Language, then English.
    #[param(pattern = "^(ja|en|zh|ko|de|fr|es|ru)$")]
    pub lang: Option<String>,
    /// Most suggestions (1-20, default 8).
    #[param(minimum = 1, maximum = 20)]
    pub limit: Option<usize>,
}

/// Suggestions for what is being typed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    /// Best first: names that begin like the text before typo matches, then the
    /// most listings.
    pub suggestions: Vec<SuggestionView>,
}

/// One suggestion.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionView {
    /// `maker`, `model` or `category` (select it with that search parameter), or
    /// `query`: a search buyers ran that found something (search its `text`).
    pub kind: &'static str,
    /// The entity's id (not for `query`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its name in the buyer's language.
    pub text: String,
    /// `text` as HTML with the typed part in `<mark>`.
    pub highlight: String,
    /// Live listings: the total of `/search?<kind>=<id>`; for `query`, the hits of
    /// its latest search.
    pub count: u64,
}

fn too_long(field: &str, text: &str) -> Result<(), ApiError> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad(
            ErrorCode::OutOfRange,
            field,
            format!("`{field}` may hold at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Makers, models and categories named like the beginning of what the buyer is
/// typing, in any language or script (one typo forgiven from four characters),
/// named in the buyer's language, with their live listings.
#[utoipa::path(get, path = "/suggest", tag = "search", params(SuggestQuery),
    responses((status = 200, body = Suggestions), (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 429, body = super::error::ErrorBody)))]
pub async fn suggest(
    State(state): State<AppState>,
    Q(query): Q<SuggestQuery>,
    headers: HeaderMap,
) -> Result<Json<Suggestions>, ApiError> {
    too_long("q", &query.q)?;
    let limit = query.limit.unwrap_or(DEFAULT_SUGGESTIONS);
    if !(1..=MAX_SUGGESTIONS).contains(&limit) {
        return Err(ApiError::bad(
            ErrorCode::OutOfRange,
            "limit",
            format!("`limit` must be from 1 to {MAX_SUGGESTIONS}, got {limit}"),
        ));
    }
    let lang = LangQuery { lang: query.lang }.resolve(&headers)?;
    let suggestions = state
        .engine
        .suggest(&query.q, lang, limit, state.analytics.as_deref())
        .into_iter()
        .map(|s| SuggestionView {
            kind: s.kind.as_str(),
            id: s.id,
            text: s.text,
            highlight: s.highlight,
            count: s.count,
        })
        .collect();
    Ok(Json(Suggestions { suggestions }))
}

/// The facet value search's parameters, for OpenAPI (the handler reads the pairs,
/// since `spec.<id>` parameters have no fixed name): `q` and `words` of its own, the
/// selections of `/search`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FacetValuesQuery {
    /// Text to find in the values' names (any language); all values without it.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// The search's words, whose hits the counts are of (`/search`'s `q`).
    #[param(max_length = 200)]
    pub words: Option<String>,
    /// The buyer's language for names (ISO 639-1).
    #[param(pattern = "^(ja|en|zh|ko|de|fr|es|ru)$")]
    pub lang: Option<String>,
    /// Selected categories, as in `/search` (repeat to select several).
    pub category: Option<Vec<String>>,
    /// Selected makers, as in `/search`.
    pub maker: Option<Vec<String>>,
    /// Selected models, as in `/search`.
    pub model: Option<Vec<String>>,
    /// Model year range, as in `/search`.
    pub year: Option<String>,
    /// Hours range, as in `/search`.
    pub hours: Option<String>,
    /// Price range, as in `/search`.
    pub price: Option<String>,
    /// Currency of `price`, as in `/search`.
    pub currency: Option<String>,
}

/// The values of a facet whose names match.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValues {
    /// The facet: `maker`, `model` or `category`.
    pub group: &'static str,
    /// Matching values with their counts for the search, largest first.
    pub values: Vec<FacetValueView>,
}

/// One facet value.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValueView {
    /// The entity's id.
    pub id: String,
    /// Its name in the buyer's language.
    pub name: String,
    /// `name` as HTML with what matched in `<mark>`.
    pub highlight: String,
    /// Listings of the search that have this value, with every selection applied
    /// but those of this facet (as the search's own facet counts).
    pub count: u64,
    /// The parent category (categories only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// Searches within a facet: the values of `maker`, `model` or `category` whose name
/// holds `q` in any language or script, with their disjunctive counts for the search
/// given by `words` and the `/search` selections (spec conditions too, written
/// `spec.<id>=…`). The counts equal those of the same search's facet.
#[utoipa::path(get, path = "/facets/{group}/values", tag = "search",
    params(("group" = String, Path, description = "`maker`, `model` or `category`", pattern = "^(maker|model|category)$"),
        FacetValuesQuery),
    responses((status = 200, body = FacetValues), (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 429, body = super::error::ErrorBody)))]
pub async fn facet_values(
    State(state): State<AppState>,
    P(group): P<String>,
    Q(pairs): Q<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Json<FacetValues>, ApiError> {
    let kind = match group.as_str() {
        "maker" => EntityKind::Maker,
        "model" => EntityKind::Model,
        "category" => EntityKind::Category,
        other => {
            return Err(ApiError::bad(
                ErrorCode::UnknownFacet,
                "group",
                format!("values can be searched in maker, model or category, not {other:?}"),
            ))
        }
    };
    let mut typed = None;
    let mut rest = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match k.as_str() {
            "q" if typed.is_some() => {
                return Err(ApiError::bad(
                    ErrorCode::RepeatedParameter,
                    "q",
                    "`q` may be given once",
                ))
            }
            "q" => {
                too_long("q", &v)?;
                typed = Some(v);
            }
            "words" => rest.push(("q".to_owned(), v)),
            // The search's own `q` is `words` here.
            "facets" | "sort" | "order" | "offset" | "limit" | "min_score" => {
                return Err(ApiError::bad(
                    ErrorCode::UnknownParameter,
                    k.clone(),
                    format!("`{k}` does not apply to facet values"),
                ))
            }
            _ => rest.push((k, v)),
        }
    }
    let body = SearchBody::from_pairs(rest).map_err(|e| e.renamed("q", "words"))?;
    let checked = validate(&body, &state.engine.catalog(), accept_language(&headers))
        .map_err(|e| e.renamed("q", "words"))?;
    let values = state
        .engine
        .facet_values(
            &state.pool,
            checked.plan,
            &state.graph,
            kind,
            typed.as_deref(),
        )
        .await?;
    Ok(Json(FacetValues {
        group: kind.as_str(),
        values: values
            .into_iter()
            .map(|m| FacetValueView {
                id: m.value.id,
                name: m.value.name,
                highlight: m.highlight,
                count: m.value.count,
                parent: m.value.parent,
            })
            .collect(),
    }))
}
