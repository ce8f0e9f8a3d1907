//! Checking a request against the catalog before anything runs: every mistake is a
//! 400 naming its field.

use super::super::error::{ApiError, ErrorCode};
use super::super::lang::names_lang;
use super::body::{SearchBody, SpecCondition, FACETS, ORDERS, SORTS};
use crate::engine::{FacetWants, SearchPlan};
use crate::graph::{EmbeddedGraph, NumberFilter, Range, Selections};
use crate::search::{Order, SearchRequest, Sort};
use stockyard_schema::domain::{Currency, SpecKind};
use stockyard_schema::{ids::check_id, Lang, SpecCategoryId};

/// Most ids selected per group, and most conditions per request.
const MAX_SELECTED: usize = 50;

/// Parses `min..max` (either end may be empty) or a single value (min = max).
fn range<T: std::str::FromStr + PartialOrd + Copy>(
    field: &str,
    s: &str,
) -> Result<Range<T>, ApiError> {
    let bad = || {
        ApiError::bad(
            ErrorCode::BadRange,
            field,
            format!(
                "`{field}` must be `min..max` with numbers (either end may be left out), got {s:?}"
            ),
        )
    };
    // Plain non-negative decimals only: no signs, exponents, `inf` or `NaN`.
    let plain = |x: &str| {
        let (int, frac) = x.split_once('.').unwrap_or((x, "0"));
        !int.is_empty()
            && !frac.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    let end = |x: &str| -> Result<Option<T>, ApiError> {
        if x.is_empty() {
            Ok(None)
        } else if plain(x) {
            x.parse::<T>().map(Some).map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let r = match s.split_once("..") {
        Some((a, b)) => Range {
            min: end(a)?,
            max: end(b)?,
        },
        None => {
            let v = end(s)?.ok_or_else(bad)?;
            Range {
                min: Some(v),
                max: Some(v),
            }
        }
    };
    if let (Some(a), Some(b)) = (r.min, r.max) {
        if a > b {
            return Err(ApiError::bad(
                ErrorCode::BadRange,
                field,
                format!("`{field}`: the minimum is above the maximum in {s:?}"),
            ));
        }
    }
    Ok(r)
}

fn finite(field: &str, r: Range<f64>) -> Result<Range<f64>, ApiError> {
    if r.min.is_some_and(|v| !v.is_finite()) || r.max.is_some_and(|v| !v.is_finite()) {
        return Err(ApiError::bad(
            ErrorCode::BadRange,
            field,
            format!("`{field}` must be finite numbers"),
        ));
    }
    Ok(r)
}

fn ids<T: std::str::FromStr>(field: &str, values: &[String]) -> Result<Vec<T>, ApiError> {
    if values.len() > MAX_SELECTED {
        return Err(ApiError::bad(
            ErrorCode::TooManyValues,
            field,
            format!("at most {MAX_SELECTED} `{field}` values"),
        ));
    }
    values
        .iter()
        .map(|v| {
            check_id(v)
                .map_err(|e| ApiError::bad(ErrorCode::BadId, field, format!("`{field}`: {e}")))?;
            v.parse::<T>().map_err(|_| {
                ApiError::bad(ErrorCode::BadId, field, format!("`{field}`: bad id {v:?}"))
            })
        })
        .collect()
}

/// A validated search and what rendering its answer needs.
/// A search request checked against the catalog, ready to run.
pub struct Validated {
    /// What to search for.
    pub plan: SearchPlan,
    /// US dollars per unit of the request's currency.
    pub usd_per_unit: f64,
}

/// Checks a request against the catalog (spec kinds, ids, ranges, currency): every
/// mistake is a 400 naming its field, before any index is touched.
pub fn validate(
    b: &SearchBody,
    graph: &EmbeddedGraph,
    accept_language: Option<&str>,
) -> Result<Validated, ApiError> {
    let lang =
        match b.lang.as_deref() {
            Some(l) => Some(l.parse::<Lang>().map_err(|e| {
                ApiError::bad(ErrorCode::BadLanguage, "lang", format!("`lang`: {e}"))
            })?),
            None => None,
        };
    let buyer = lang.or_else(|| accept_language.and_then(super::super::lang::from_accept_language));
    let rates = graph.rates();
    let currency = b.currency.as_deref().unwrap_or("USD");
    let usd_per_unit = Currency::new(currency)
        .and_then(|c| rates.usd_per_unit(c))
        .ok_or_else(|| {
            let known: Vec<String> = rates.each().iter().map(|(c, _)| c.to_string()).collect();
            let as_of = rates
                .as_of()
                .map_or("no rates are published yet".to_owned(), |t| {
                    format!("the rates as of {t}")
                });
            ApiError::bad(
                ErrorCode::UnknownCurrency,
                "currency",
                format!(
                    "no rate for currency {currency:?} ({as_of}): use one of {}",
                    known.join(", ")
                ),
            )
        })?;
    if b.spec.len() > MAX_SELECTED {
        return Err(ApiError::bad(
            ErrorCode::TooManyValues,
            "spec",
            format!("at most {MAX_SELECTED} spec conditions"),
        ));
    }
    let mut specs = Vec::new();
    for (id, cond) in &b.spec {
        let field = format!("spec.{id}");
        let kind = graph.spec_kind(id).ok_or_else(|| {
            ApiError::bad(
                ErrorCode::UnknownSpec,
                &field,
                format!("unknown spec category {id:?}"),
            )
        })?;
        let spec_id: SpecCategoryId = id
            .parse()
            .map_err(|_| ApiError::bad(ErrorCode::BadId, &field, format!("bad id {id:?}")))?;
        let filter = match (kind, cond) {
            (SpecKind::Number, SpecCondition::One(s)) => {
                NumberFilter::Range(finite(&field, range::<f64>(&field, s)?)?)
            }
            (SpecKind::Number, SpecCondition::Any(_)) => {
                return Err(ApiError::bad(
                    ErrorCode::BadRange,
                    &field,
                    format!("`{field}` is a number spec: give one `min..max`"),
                ))
            }
            (SpecKind::Text, SpecCondition::One(s)) => NumberFilter::Text(vec![s.clone()]),
            (SpecKind::Text, SpecCondition::Any(v)) => NumberFilter::Text(v.clone()),
        };
        specs.push((spec_id, filter));
    }
    let price = match b.price.as_deref() {
        Some(s) => {
            let r = finite("price", range::<f64>("price", s)?)?;
            Range {
                min: r.min.map(|v| v * usd_per_unit),
                max: r.max.map(|v| v * usd_per_unit),
            }
        }
        None => Range::default(),
    };
    let selections = Selections {
        categories: ids("category", &b.category)?,
        makers: ids("maker", &b.maker)?,
        models: ids("model", &b.model)?,
        specs,
        year: b
            .year
            .as_deref()
            .map_or(Ok(Range::default()), |s| range("year", s))?,
        hours: b
            .hours
            .as_deref()
            .map_or(Ok(Range::default()), |s| range("hours", s))?,
        price_usd: price,
    };
    let mut wanted = FacetWants::default();
    let facets = b.facets.as_deref().unwrap_or("category,maker,model");
    for name in facets.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match name {
            "category" => wanted.category = true,
            "maker" => wanted.maker = true,
            "model" => wanted.model = true,
            "year" => wanted.year = true,
            "hours" => wanted.hours = true,
            "price" => wanted.price = true,
            other => {
                let id = other
                    .strip_prefix("spec.")
                    .filter(|id| graph.spec_kind(id) == Some(SpecKind::Number));
                match id.and_then(|id| id.parse().ok()) {
                    Some(id) => wanted.specs.push(id),
                    None => {
                        return Err(ApiError::bad(
                            ErrorCode::UnknownFacet,
                            "facets",
                            format!(
                                "unknown facet {other:?}: use {} or spec.<number spec id>",
                                FACETS.join(", ")
                            ),
                        ))
                    }
                }
            }
        }
    }
    let order = match b.order.as_deref() {
        None => None,
        Some("asc") => Some(Order::Asc),
        Some("desc") => Some(Order::Desc),
        Some(o) => {
            return Err(ApiError::bad(
                ErrorCode::BadOrder,
                "order",
                format!("`order` must be {}, got {o:?}", ORDERS.join(" or ")),
            ))
        }
    };
    let sort = match b.sort.as_deref().unwrap_or("relevance") {
        "relevance" => Sort::Relevance,
        "newest" => Sort::Newest,
        "price" => Sort::Price(order.unwrap_or(Order::Asc)),
        "hours" => Sort::Hours(order.unwrap_or(Order::Asc)),
        "year" => Sort::Year(order.unwrap_or(Order::Desc)),
        s => {
            return Err(ApiError::bad(
                ErrorCode::BadSort,
                "sort",
                format!("`sort` must be one of {}, got {s:?}", SORTS.join(", ")),
            ))
        }
    };
    let text = SearchRequest {
        text: b.q.clone(),
        lang: buyer,
        offset: b.offset.unwrap_or(0),
        limit: b.limit.unwrap_or(20),
        sort,
        // Scores are single precision; the range is checked on the number sent, below.
        min_score: b.min_score.map(|m| m as f32),
        ..SearchRequest::default()
    };
    if b.min_score.is_some_and(|m| !(0.0..=1000.0).contains(&m)) {
        return Err(ApiError::bad(
            ErrorCode::OutOfRange,
            "min_score",
            "min_score must be from 0 to 1000",
        ));
    }
    text.validate().map_err(|e| {
        let field = match e {
            crate::search::RequestError::QueryTooLong { .. } => "q",
            crate::search::RequestError::Limit(_) => "limit",
            crate::search::RequestError::Offset(_) => "offset",
            crate::search::RequestError::MinScore => "min_score",
        };
        ApiError::bad(ErrorCode::OutOfRange, field, e.to_string())
    })?;
    Ok(Validated {
        plan: SearchPlan {
            words: text.text,
            lang: buyer,
            names: names_lang(buyer),
            selections,
            facets: wanted,
            sort,
            offset: text.offset,
            limit: text.limit,
            min_score: text.min_score,
            rates: rates.clone(),
        },
        usd_per_unit,
    })
}
