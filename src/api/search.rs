//! `GET /search` and `POST /search`: text hits and graph facets in one answer.
//!
//! Both forms take the same request ([`SearchBody`]); the query string form spells a
//! spec condition as `spec.<id>=min..max` (or `=value` for text specs), repeats ids to
//! select several. Validation happens before any search runs and names the field at
//! fault. Then: the text index finds the hit set, the graph filters it by the
//! selections and counts the facets, and the text index ranks the filtered set for
//! the page.

use super::error::ApiError;
use super::lang::names_lang;
use crate::engine::{FacetSource, FacetWants, SearchFailure, SearchPlan};
use crate::graph::{EmbeddedGraph, NumberFilter, Range, Selections, SpecFacet};
use crate::search::{Hit, Order, SearchRequest, Sort};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;
use stockyard_schema::domain::{Currency, SpecKind};
use stockyard_schema::{ids::check_id, Lang, SpecCategoryId};
use utoipa::{IntoParams, ToSchema};

/// Most ids selected per group, and most conditions per request.
const MAX_SELECTED: usize = 50;
/// Most query-string parameters.
pub const MAX_PARAMS: usize = 100;

/// A spec condition: `"min..max"` (either end may be left out) for a number spec, or
/// one or more values for a text spec.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum SpecCondition {
    /// A range or one text value.
    One(String),
    /// Text values, any of which matches.
    Any(Vec<String>),
}

/// An id of a maker, model, category or machine: no whitespace or control
/// characters, at most 128 bytes.
#[derive(ToSchema)]
#[schema(pattern = "^[^\\s\\u0000-\\u001f\\u007f-\\u009f]{1,128}$")]
pub struct IdString(#[allow(dead_code)] String);

/// A search. Every field is optional; an empty `q` browses.
#[derive(Debug, Default, Clone, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchBody {
    /// The words typed, at most 200 characters; empty to browse.
    #[serde(default)]
    #[param(max_length = 200, required = false)]
    #[schema(max_length = 200)]
    pub q: String,
    /// The buyer's language (ISO 639-1); defaults to the first of Accept-Language.
    #[param(pattern = "^(ja|en|zh|ko|de|fr|es|ru)$")]
    #[schema(pattern = "^(ja|en|zh|ko|de|fr|es|ru)$")]
    pub lang: Option<String>,
    /// Category ids (a category includes its subcategories); any matches.
    #[serde(default)]
    #[param(explode = true, inline, value_type = Option<Vec<IdString>>, required = false)]
    #[schema(inline, value_type = Vec<IdString>)]
    pub category: Vec<String>,
    /// Maker ids; any matches.
    #[serde(default)]
    #[param(explode = true, inline, value_type = Option<Vec<IdString>>, required = false)]
    #[schema(inline, value_type = Vec<IdString>)]
    pub maker: Vec<String>,
    /// Model ids; any matches.
    #[serde(default)]
    #[param(explode = true, inline, value_type = Option<Vec<IdString>>, required = false)]
    #[schema(inline, value_type = Vec<IdString>)]
    pub model: Vec<String>,
    /// Spec conditions by spec category id (query string: `spec.<id>=…`).
    #[serde(default)]
    #[param(ignore)]
    pub spec: BTreeMap<String, SpecCondition>,
    /// Model year range, `min..max`.
    #[param(pattern = "^([0-9]+(\\.[0-9]+)?)?\\.\\.([0-9]+(\\.[0-9]+)?)?$|^[0-9]+(\\.[0-9]+)?$")]
    #[schema(pattern = "^([0-9]+(\\.[0-9]+)?)?\\.\\.([0-9]+(\\.[0-9]+)?)?$|^[0-9]+(\\.[0-9]+)?$")]
    pub year: Option<String>,
    /// Hour meter range, `min..max`.
    #[param(pattern = "^([0-9]+(\\.[0-9]+)?)?\\.\\.([0-9]+(\\.[0-9]+)?)?$|^[0-9]+(\\.[0-9]+)?$")]
    #[schema(pattern = "^([0-9]+(\\.[0-9]+)?)?\\.\\.([0-9]+(\\.[0-9]+)?)?$|^[0-9]+(\\.[0-9]+)?$")]
    pub hours: Option<String>,
    /// Price range, `min..max`, in `currency`.
    #[param(pattern = "^([0-9]+(\\.[0-9]+)?)?\\.\\.([0-9]+(\\.[0-9]+)?)?$|^[0-9]+(\\.[0-9]+)?$")]
    #[schema(pattern = "^([0-9]+(\\.[0-9]+)?)?\\.\\.([0-9]+(\\.[0-9]+)?)?$|^[0-9]+(\\.[0-9]+)?$")]
    pub price: Option<String>,
    /// Currency of `price` and of the price facet (ISO 4217); default USD.
    #[param(
        pattern = "^(AED|AUD|BRL|CAD|CHF|CNY|CZK|DKK|EUR|GBP|HKD|IDR|INR|JPY|KRW|MXN|MYR|NOK|NZD|PHP|PLN|RUB|SEK|SGD|THB|TRY|USD|VND|ZAR)$"
    )]
    #[schema(
        pattern = "^(AED|AUD|BRL|CAD|CHF|CNY|CZK|DKK|EUR|GBP|HKD|IDR|INR|JPY|KRW|MXN|MYR|NOK|NZD|PHP|PLN|RUB|SEK|SGD|THB|TRY|USD|VND|ZAR)$"
    )]
    pub currency: Option<String>,
    /// Facets to return: `category`, `maker`, `model`, `year`, `hours`, `price`,
    /// `spec.<id>`; default `category,maker,model`.
    #[param(
        pattern = "^((category|maker|model|year|hours|price|spec\\.[^,\\s]{1,128})(,(category|maker|model|year|hours|price|spec\\.[^,\\s]{1,128}))*)?$"
    )]
    #[schema(
        pattern = "^((category|maker|model|year|hours|price|spec\\.[^,\\s]{1,128})(,(category|maker|model|year|hours|price|spec\\.[^,\\s]{1,128}))*)?$"
    )]
    pub facets: Option<String>,
    /// `relevance` (default; `newest` when browsing), `price`, `year`, `hours`,
    /// `newest`.
    #[param(pattern = "^(relevance|price|year|hours|newest)$")]
    #[schema(pattern = "^(relevance|price|year|hours|newest)$")]
    pub sort: Option<String>,
    /// `asc` or `desc`; default: cheapest, fewest hours, newest year first.
    #[param(pattern = "^(asc|desc)$")]
    #[schema(pattern = "^(asc|desc)$")]
    pub order: Option<String>,
    /// Hits to skip, at most 10,000.
    #[param(maximum = 10000)]
    #[schema(maximum = 10000)]
    pub offset: Option<usize>,
    /// Hits to return, 1 to 100; default 20.
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// Drop hits scoring below this.
    #[param(minimum = 0, maximum = 1000)]
    #[schema(minimum = 0, maximum = 1000)]
    pub min_score: Option<f32>,
}

/// A name with its id.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Named {
    /// The id.
    pub id: String,
    /// The name in the buyer's language.
    pub name: String,
}

/// An asking price.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriceView {
    /// Amount in `currency`.
    pub amount: f64,
    /// The seller's currency.
    pub currency: String,
    /// The amount in US dollars at the latest published rates, for comparing; absent
    /// when the currency has no rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd: Option<f64>,
}

/// Where a machine stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocationView {
    /// ISO 3166-1 country code.
    pub country: String,
    /// Region or city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// One listing as search and browse show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HitView {
    /// The machine's id.
    pub machine_id: String,
    /// Relevance (0 when browsing or sorting by a value).
    pub score: f32,
    /// The title in the buyer's language (else English, else any).
    pub title: String,
    /// The language of `title`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The maker, once the model is registered.
    pub maker: Option<Named>,
    /// The model.
    pub model: Option<Named>,
    /// The category (the listing's own, else its model's).
    pub category: Option<Named>,
    /// Model year.
    pub year: Option<u16>,
    /// Hour meter reading.
    pub hours: Option<u32>,
    /// Asking price.
    pub price: Option<PriceView>,
    /// Where it stands.
    pub location: Option<LocationView>,
}

/// A facet value with its count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetValue {
    /// The entity's id.
    pub id: String,
    /// Its name in the buyer's language.
    pub name: String,
    /// Matching listings.
    pub count: u64,
    /// The parent category (categories only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// One histogram bucket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bucket {
    /// Lower bound.
    pub from: f64,
    /// Upper bound (included in the last bucket).
    pub to: f64,
    /// Matching listings.
    pub count: u64,
}

/// Range and histogram of a numeric value over the matching listings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Histogram {
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Equal-width buckets.
    pub buckets: Vec<Bucket>,
}

/// A facet: counts per value, or a histogram.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Facet {
    /// Category, maker or model counts, largest first.
    Values(Vec<FacetValue>),
    /// Spec, year, hours or price.
    Histogram(Histogram),
}

/// The answer to a search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Listings matching the words and every selection.
    pub total: usize,
    /// As requested.
    pub offset: usize,
    /// As requested.
    pub limit: usize,
    /// Time spent searching and counting.
    pub took_ms: f64,
    /// The page of hits.
    pub hits: Vec<HitView>,
    /// Facets by name (`category`, `maker`, `model`, `spec.<id>`, …); each counts as if
    /// its own group were not selected (disjunctive).
    pub facets: BTreeMap<String, Facet>,
    /// When the exchange rates prices were converted with were taken (the latest
    /// `CurrencyRatesPublished`); absent before any set was published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rates_as_of: Option<String>,
}

impl SearchBody {
    /// The JSON form (`POST /search`); a mistake names the field at fault.
    pub fn from_json(bytes: &[u8]) -> Result<SearchBody, ApiError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            ApiError::bad("bad_body", field, e.inner().to_string())
        })
    }

    /// The query-string form (`GET /search`), as decoded pairs: repeated ids,
    /// `spec.<id>=…`, unknown names refused.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<SearchBody, ApiError> {
        if pairs.len() > MAX_PARAMS {
            return Err(ApiError::bad(
                "too_many_parameters",
                "query",
                format!("at most {MAX_PARAMS} parameters, got {}", pairs.len()),
            ));
        }
        let mut b = SearchBody::default();
        let mut q = None;
        let once = |slot: &mut Option<String>, name: &str, v: String| {
            if slot.replace(v).is_some() {
                return Err(ApiError::bad(
                    "repeated_parameter",
                    name,
                    format!("`{name}` may be given once"),
                ));
            }
            Ok(())
        };
        let number = |name: &str, v: &str| {
            v.parse::<usize>().map_err(|_| {
                ApiError::bad(
                    "bad_number",
                    name,
                    format!("`{name}` must be a whole number, got {v:?}"),
                )
            })
        };
        for (k, v) in pairs {
            match k.as_str() {
                "q" => once(&mut q, "q", v)?,
                "lang" => once(&mut b.lang, "lang", v)?,
                "category" => b.category.push(v),
                "maker" => b.maker.push(v),
                "model" => b.model.push(v),
                "year" => once(&mut b.year, "year", v)?,
                "hours" => once(&mut b.hours, "hours", v)?,
                "price" => once(&mut b.price, "price", v)?,
                "currency" => once(&mut b.currency, "currency", v)?,
                "facets" => once(&mut b.facets, "facets", v)?,
                "sort" => once(&mut b.sort, "sort", v)?,
                "order" => once(&mut b.order, "order", v)?,
                "offset" => b.offset = Some(number("offset", &v)?),
                "limit" => b.limit = Some(number("limit", &v)?),
                "min_score" => {
                    b.min_score = Some(v.parse().map_err(|_| {
                        ApiError::bad("bad_number", "min_score", "`min_score` must be a number")
                    })?)
                }
                other => match other.strip_prefix("spec.") {
                    Some(id) => match b.spec.remove(id) {
                        None => {
                            b.spec.insert(id.to_owned(), SpecCondition::One(v));
                        }
                        Some(SpecCondition::One(first)) => {
                            b.spec
                                .insert(id.to_owned(), SpecCondition::Any(vec![first, v]));
                        }
                        Some(SpecCondition::Any(mut all)) => {
                            all.push(v);
                            b.spec.insert(id.to_owned(), SpecCondition::Any(all));
                        }
                    },
                    None => {
                        return Err(ApiError::bad(
                            "unknown_parameter",
                            other,
                            format!("unknown parameter `{other}`"),
                        ))
                    }
                },
            }
        }
        b.q = q.unwrap_or_default();
        Ok(b)
    }
}

/// Parses `min..max` (either end may be empty) or a single value (min = max).
fn range<T: std::str::FromStr + PartialOrd + Copy>(
    field: &str,
    s: &str,
) -> Result<Range<T>, ApiError> {
    let bad = || {
        ApiError::bad(
            "bad_range",
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
                "bad_range",
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
            "bad_range",
            field,
            format!("`{field}` must be finite numbers"),
        ));
    }
    Ok(r)
}

fn ids<T: std::str::FromStr>(field: &str, values: &[String]) -> Result<Vec<T>, ApiError> {
    if values.len() > MAX_SELECTED {
        return Err(ApiError::bad(
            "too_many_values",
            field,
            format!("at most {MAX_SELECTED} `{field}` values"),
        ));
    }
    values
        .iter()
        .map(|v| {
            check_id(v).map_err(|e| ApiError::bad("bad_id", field, format!("`{field}`: {e}")))?;
            v.parse::<T>()
                .map_err(|_| ApiError::bad("bad_id", field, format!("`{field}`: bad id {v:?}")))
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
    let lang = match b.lang.as_deref() {
        Some(l) => Some(
            l.parse::<Lang>()
                .map_err(|e| ApiError::bad("bad_language", "lang", format!("`lang`: {e}")))?,
        ),
        None => None,
    };
    let buyer = lang.or_else(|| accept_language.and_then(super::lang::from_accept_language));
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
                "unknown_currency",
                "currency",
                format!(
                    "no rate for currency {currency:?} ({as_of}): use one of {}",
                    known.join(", ")
                ),
            )
        })?;
    if b.spec.len() > MAX_SELECTED {
        return Err(ApiError::bad(
            "too_many_values",
            "spec",
            format!("at most {MAX_SELECTED} spec conditions"),
        ));
    }
    let mut specs = Vec::new();
    for (id, cond) in &b.spec {
        let field = format!("spec.{id}");
        let kind = graph.spec_kind(id).ok_or_else(|| {
            ApiError::bad(
                "unknown_spec",
                &field,
                format!("unknown spec category {id:?}"),
            )
        })?;
        let spec_id: SpecCategoryId = id
            .parse()
            .map_err(|_| ApiError::bad("bad_id", &field, format!("bad id {id:?}")))?;
        let filter = match (kind, cond) {
            (SpecKind::Number, SpecCondition::One(s)) => {
                NumberFilter::Range(finite(&field, range::<f64>(&field, s)?)?)
            }
            (SpecKind::Number, SpecCondition::Any(_)) => {
                return Err(ApiError::bad(
                    "bad_range",
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
                            "unknown_facet",
                            "facets",
                            format!("unknown facet {other:?}: use category, maker, model, year, hours, price or spec.<number spec id>"),
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
                "bad_order",
                "order",
                format!("`order` must be asc or desc, got {o:?}"),
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
                "bad_sort",
                "sort",
                format!("`sort` must be relevance, price, year, hours or newest, got {s:?}"),
            ))
        }
    };
    let text = SearchRequest {
        text: b.q.clone(),
        lang: buyer,
        offset: b.offset.unwrap_or(0),
        limit: b.limit.unwrap_or(20),
        sort,
        min_score: b.min_score,
        ..SearchRequest::default()
    };
    if b.min_score.is_some_and(|m| !(0.0..=1000.0).contains(&m)) {
        return Err(ApiError::bad(
            "out_of_range",
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
        ApiError::bad("out_of_range", field, e.to_string())
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

/// A listing as shown to a reader of `lang`.
pub fn hit_view(
    graph: &EmbeddedGraph,
    machine: &stockyard_schema::domain::Machine,
    score: f32,
    lang: Lang,
) -> HitView {
    let place = graph.placement(
        machine.model_id.as_str(),
        machine.category_id.as_ref().map(|c| c.as_str()),
        lang,
    );
    let named = |p: Option<(String, String)>| p.map(|(id, name)| Named { id, name });
    let (title_lang, title) = machine.title.best_with_lang(lang);
    HitView {
        machine_id: machine.id.as_str().to_owned(),
        score,
        title: title.to_owned(),
        lang: title_lang.map(|l| l.to_string()),
        maker: named(place.maker),
        model: named(place.model),
        category: named(place.category),
        year: machine.year.map(|y| y.get()),
        hours: machine.hours.map(|h| h.get()),
        price: machine.price.as_ref().map(|p| PriceView {
            amount: p.amount,
            currency: p.currency.as_str().to_owned(),
            usd: graph.rates().to_usd(p),
        }),
        location: machine.location.as_ref().map(|l| LocationView {
            country: l.country.as_str().to_owned(),
            region: l.region.clone(),
        }),
    }
}

fn histogram(f: &SpecFacet, scale: f64) -> Facet {
    Facet::Histogram(Histogram {
        min: f.min.map(|v| v / scale),
        max: f.max.map(|v| v / scale),
        buckets: f
            .buckets
            .iter()
            .map(|(from, to, count)| Bucket {
                from: from / scale,
                to: to / scale,
                count: *count,
            })
            .collect(),
    })
}

fn values(list: Vec<crate::graph::FacetCount>) -> Facet {
    Facet::Values(
        list.into_iter()
            .map(|f| FacetValue {
                id: f.id,
                name: f.name,
                count: f.count,
                parent: f.parent,
            })
            .collect(),
    )
}

/// Runs a search on the serving generation and renders the answer.
pub async fn run(
    state: &super::AppState,
    body: SearchBody,
    accept_language: Option<&str>,
) -> Result<SearchResponse, ApiError> {
    let started = Instant::now();
    let Validated { plan, usd_per_unit } = {
        let graph = state.engine.current().graph().get();
        validate(&body, &graph, accept_language)?
    };
    let source = match &state.neo4j {
        None => FacetSource::Embedded,
        Some(reader) => FacetSource::Neo4j(reader),
    };
    let (browse, names, wanted) = (!plan.has_words(), plan.names, plan.facets.clone());
    let (offset, limit) = (plan.offset, plan.limit);
    let outcome = state.engine.search(&state.pool, plan, source).await?;
    let facets = outcome.facets;
    let mut out_facets = BTreeMap::new();
    if wanted.category {
        out_facets.insert("category".to_owned(), values(facets.categories));
    }
    if wanted.maker {
        out_facets.insert("maker".to_owned(), values(facets.makers));
    }
    if wanted.model {
        out_facets.insert("model".to_owned(), values(facets.models));
    }
    for f in &facets.specs {
        out_facets.insert(format!("spec.{}", f.id), histogram(f, 1.0));
    }
    for f in &facets.attributes {
        let (name, scale, on) = match f.id.as_str() {
            "price_usd" => ("price", usd_per_unit, wanted.price),
            "year" => ("year", 1.0, wanted.year),
            other => (other, 1.0, wanted.hours),
        };
        if on {
            out_facets.insert(name.to_owned(), histogram(f, scale));
        }
    }
    let hits = outcome
        .hits
        .iter()
        .map(|h: &Hit| {
            hit_view(
                &outcome.graph,
                &h.listing.machine,
                if browse { 0.0 } else { h.score },
                names,
            )
        })
        .collect();
    Ok(SearchResponse {
        total: outcome.total,
        offset,
        limit,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
        hits,
        facets: out_facets,
        rates_as_of: outcome.graph.rates().as_of().map(|t| t.to_string()),
    })
}

impl From<SearchFailure> for ApiError {
    fn from(e: SearchFailure) -> ApiError {
        match e {
            SearchFailure::Graph(e) => e.into(),
            other => ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "search_failed",
                other.to_string(),
            ),
        }
    }
}
