//! `GET /search` and `POST /search`: text hits and graph facets in one answer.
//!
//! Both forms take the same request ([`SearchBody`]); the query string form spells a
//! spec condition as `spec.<id>=min..max` (or `=value` for text specs), repeats ids to
//! select several. Validation happens before any search runs and names the field at
//! fault. Then: the text index finds the hit set, the graph filters it by the
//! selections and counts the facets, and the text index ranks the filtered set for
//! the page.

mod body;
pub mod saved;
mod validate;
mod view;

pub use body::{IdString, SearchBody, SpecCondition, MAX_PARAMS};
pub use validate::{validate, Validated};
pub use view::{
    hit_view, Bucket, Facet, FacetValue, HighlightView, Histogram, HitView, LocationView, Money,
    Named, PriceView, Relaxed, SearchResponse,
};

use super::error::ApiError;
use crate::search::highlight::Highlighter;
use crate::search::Hit;
use std::collections::BTreeMap;
use std::time::Instant;
use view::{highlighted, histogram, values};

/// Runs a search on the serving generation and renders the answer.
pub async fn run(
    state: &super::AppState,
    body: SearchBody,
    accept_language: Option<&str>,
) -> Result<SearchResponse, ApiError> {
    let started = Instant::now();
    let Validated { plan, usd_per_unit } =
        validate(&body, &state.engine.catalog(), accept_language)?;
    let (browse, names, wanted) = (!plan.has_words(), plan.names, plan.facets.clone());
    let words = plan.words.clone();
    let (offset, limit) = (plan.offset, plan.limit);
    let outcome = state.engine.search(&state.pool, plan, &state.graph).await?;
    if let Some(a) = &state.analytics {
        let today = time::OffsetDateTime::now_utc().date();
        a.record(&words, names.as_str(), outcome.total, today);
    }
    let facets = &outcome.facets;
    let mut out_facets = BTreeMap::new();
    if wanted.category {
        out_facets.insert("category".to_owned(), values(&facets.categories));
    }
    if wanted.maker {
        out_facets.insert("maker".to_owned(), values(&facets.makers));
    }
    if wanted.model {
        out_facets.insert("model".to_owned(), values(&facets.models));
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
    let highlighter = (!browse).then(|| Highlighter::new(&words)).flatten();
    let hits = outcome
        .hits
        .iter()
        .map(|h: &Hit| {
            let mut view = hit_view(
                &outcome.graph,
                &h.listing.machine,
                if browse { 0.0 } else { h.score },
                names,
            );
            // Prices also in the currency the search named, if it named one.
            if let (Some(c), Some(p)) = (&body.currency, &mut view.price) {
                p.convert_for(c, usd_per_unit);
            }
            match &highlighter {
                Some(w) => highlighted(view, &h.listing.machine, w, names),
                None => view,
            }
        })
        .collect();
    Ok(SearchResponse {
        relaxed: Relaxed::of(outcome.relaxed),
        total: outcome.total,
        offset,
        limit,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
        hits,
        facets: out_facets,
        rates_as_of: outcome.graph.rates().as_of().map(|t| t.to_string()),
    })
}
