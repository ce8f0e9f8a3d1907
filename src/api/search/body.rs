//! The request of `/search`, as JSON or as a query string, and its OpenAPI schema.

use super::super::error::{ApiError, ErrorCode};
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Most query-string parameters.
pub const MAX_PARAMS: usize = 100;

/// The orders `sort` names.
pub const SORTS: [&str; 5] = ["relevance", "price", "year", "hours", "newest"];
/// The directions `order` names.
pub const ORDERS: [&str; 2] = ["asc", "desc"];
/// The facets `facets` names, besides `spec.<id>`.
pub const FACETS: [&str; 6] = ["category", "maker", "model", "year", "hours", "price"];
/// A number as ranges take it.
const NUMBER: &str = "[0-9]+(\\.[0-9]+)?";

/// Declares a string type for the OpenAPI document whose pattern is computed from the
/// vocabulary that defines it, so that the schema cannot drift from the handler.
macro_rules! string_schema {
    ($(#[$doc:meta])* $name:ident, $description:literal, $pattern:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .pattern(Some($pattern))
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

string_schema!(
    /// `min..max` with either end left out, or one number.
    RangeText,
    "`min..max` (either end may be left out) or one number",
    format!("^({NUMBER})?\\.\\.({NUMBER})?$|^{NUMBER}$")
);
string_schema!(
    /// An ISO 639-1 code; the languages with their own analysers are listed.
    LangCode,
    "an ISO 639-1 language code; ja, en, zh, ko, de, fr, es and ru have their own analysers",
    format!(
        "^[a-z]{{2}}$|^({})$",
        crate::search::language::SUPPORTED.map(|l| l.to_string()).join("|")
    )
);
string_schema!(
    /// An ISO 4217 code; which have rates depends on the latest published set.
    CurrencyCode,
    "an ISO 4217 currency code with a rate in the latest CurrencyRatesPublished set",
    "^[A-Z]{3}$".to_owned()
);
string_schema!(
    /// Facet names, comma-separated.
    FacetList,
    "comma-separated facet names: category, maker, model, year, hours, price, spec.<id>",
    {
        let one = format!("({}|spec\\.[^,\\s]{{1,128}})", FACETS.join("|"));
        format!("^({one}(,{one})*)?$")
    }
);
string_schema!(
    /// A sort name.
    SortName,
    "relevance (default; newest when browsing), price, year, hours or newest",
    format!("^({})$", SORTS.join("|"))
);
string_schema!(
    /// A direction.
    OrderName,
    "asc or desc",
    format!("^({})$", ORDERS.join("|"))
);

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
    #[param(value_type = Option<LangCode>, inline)]
    #[schema(value_type = Option<LangCode>, inline)]
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
    #[param(value_type = Option<RangeText>, inline)]
    #[schema(value_type = Option<RangeText>, inline)]
    pub year: Option<String>,
    /// Hour meter range, `min..max`.
    #[param(value_type = Option<RangeText>, inline)]
    #[schema(value_type = Option<RangeText>, inline)]
    pub hours: Option<String>,
    /// Price range, `min..max`, in `currency`.
    #[param(value_type = Option<RangeText>, inline)]
    #[schema(value_type = Option<RangeText>, inline)]
    pub price: Option<String>,
    /// Currency of `price` and of the price facet (ISO 4217); default USD.
    #[param(value_type = Option<CurrencyCode>, inline)]
    #[schema(value_type = Option<CurrencyCode>, inline)]
    pub currency: Option<String>,
    /// Facets to return: `category`, `maker`, `model`, `year`, `hours`, `price`,
    /// `spec.<id>`; default `category,maker,model`.
    #[param(value_type = Option<FacetList>, inline)]
    #[schema(value_type = Option<FacetList>, inline)]
    pub facets: Option<String>,
    /// `relevance` (default; `newest` when browsing), `price`, `year`, `hours`,
    /// `newest`.
    #[param(value_type = Option<SortName>, inline)]
    #[schema(value_type = Option<SortName>, inline)]
    pub sort: Option<String>,
    /// `asc` or `desc`; default: cheapest, fewest hours, newest year first.
    #[param(value_type = Option<OrderName>, inline)]
    #[schema(value_type = Option<OrderName>, inline)]
    pub order: Option<String>,
    /// Hits to skip, at most 10,000.
    #[param(maximum = 10000)]
    #[schema(maximum = 10000)]
    pub offset: Option<usize>,
    /// Hits to return, 1 to 100; default 20.
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// Drop hits scoring below this. Read as a double, so that the range is checked
    /// on the number sent (`1000.0000000000002` is out of range, though it rounds to
    /// 1000 as a score).
    #[param(minimum = 0, maximum = 1000)]
    #[schema(minimum = 0, maximum = 1000)]
    pub min_score: Option<f64>,
}

impl SearchBody {
    /// The JSON form (`POST /search`); a mistake names the field at fault.
    pub fn from_json(bytes: &[u8]) -> Result<SearchBody, ApiError> {
        // serde would also read the struct as an array of its fields (`["pc200"]`).
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::new(
                ErrorCode::BadBody,
                "the body must be a JSON object",
            ));
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            ApiError::bad(ErrorCode::BadBody, field, e.inner().to_string())
        })
    }

    /// The query-string form (`GET /search`), as decoded pairs: repeated ids,
    /// `spec.<id>=…`, unknown names refused.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<SearchBody, ApiError> {
        if pairs.len() > MAX_PARAMS {
            return Err(ApiError::bad(
                ErrorCode::TooManyParameters,
                "query",
                format!("at most {MAX_PARAMS} parameters, got {}", pairs.len()),
            ));
        }
        let mut b = SearchBody::default();
        let mut q = None;
        let once = |slot: &mut Option<String>, name: &str, v: String| {
            if slot.replace(v).is_some() {
                return Err(ApiError::bad(
                    ErrorCode::RepeatedParameter,
                    name,
                    format!("`{name}` may be given once"),
                ));
            }
            Ok(())
        };
        let number = |name: &str, v: &str| {
            v.parse::<usize>().map_err(|_| {
                ApiError::bad(
                    ErrorCode::BadNumber,
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
                        ApiError::bad(
                            ErrorCode::BadNumber,
                            "min_score",
                            "`min_score` must be a number",
                        )
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
                            ErrorCode::UnknownParameter,
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
