//! The answer of `/search` as clients see it: hit cards, facets, histograms.

use crate::graph::{EmbeddedGraph, SpecFacet};
use serde::Serialize;
use std::collections::BTreeMap;
use stockyard_schema::Lang;
use utoipa::ToSchema;

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
    /// The amount in the currency the search named (`currency`), at the same rates, so
    /// a page can show it beside the seller's; absent when the search named none, named
    /// the seller's own, or the seller's currency has no rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converted: Option<Money>,
}

/// An amount of money in a currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Money {
    /// The amount, to the cent.
    pub amount: f64,
    /// ISO 4217 code.
    pub currency: String,
}

impl PriceView {
    /// Adds the amount in the buyer's `currency`, worth `usd_per_unit` dollars a unit.
    pub fn convert_for(&mut self, currency: &str, usd_per_unit: f64) {
        if self.currency == currency {
            return;
        }
        if let Some(usd) = self.usd {
            self.converted = Some(Money {
                amount: (usd / usd_per_unit * 100.0).round() / 100.0,
                currency: currency.to_owned(),
            });
        }
    }
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
    /// The listing's first photo (an https URL the marketplace hosts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// What the words matched, as HTML (searches with words only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlight: Option<HighlightView>,
}

/// The title and a description snippet as HTML: escaped, with what the buyer's words
/// matched in `<mark>…</mark>`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HighlightView {
    /// The title shown (`title`), marked.
    pub title: String,
    /// At most 160 characters of the description in the title's language (else the
    /// buyer's), around its most marked stretch, `…` where cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Adds the highlights of `words` to a hit card of `machine`.
pub fn highlighted(
    mut view: HitView,
    machine: &stockyard_schema::domain::Machine,
    words: &crate::search::highlight::Highlighter,
    lang: Lang,
) -> HitView {
    let (shown, _) = machine.title.best_with_lang(lang);
    let description = machine.description.as_ref().map(|d| {
        let text = shown.and_then(|l| d.get(l)).unwrap_or_else(|| d.best(lang));
        words.snippet(text)
    });
    view.highlight = Some(HighlightView {
        title: words.mark(&view.title),
        description,
    });
    view
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

/// How far a search strayed from the words as typed, because they found nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Relaxed {
    /// Typos were forgiven (one edit from five letters, two from nine).
    Typo,
    /// Typos were forgiven and one word left out.
    Words,
}

impl Relaxed {
    /// What the engine's relaxation is called in answers.
    pub fn of(r: crate::search::relax::Relax) -> Option<Relaxed> {
        use crate::search::relax::Relax;
        match r {
            Relax::Strict => None,
            Relax::Typo => Some(Relaxed::Typo),
            Relax::Words => Some(Relaxed::Words),
        }
    }
}

/// The answer to a search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Present when the words as typed found nothing and these hits were found by
    /// forgiving typos (`typo`) or, after that, leaving one word out (`words`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relaxed: Option<Relaxed>,
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
            converted: None,
        }),
        location: machine.location.as_ref().map(|l| LocationView {
            country: l.country.as_str().to_owned(),
            region: l.region.clone(),
        }),
        image: machine.images.first().map(|u| u.as_str().to_owned()),
        highlight: None,
    }
}

pub(super) fn histogram(f: &SpecFacet, scale: f64) -> Facet {
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

pub(super) fn values(list: &[crate::graph::FacetCount]) -> Facet {
    Facet::Values(
        list.iter()
            .map(|f| FacetValue {
                id: f.id.clone(),
                name: f.name.clone(),
                count: f.count,
                parent: f.parent.clone(),
            })
            .collect(),
    )
}
