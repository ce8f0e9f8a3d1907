//! What both graphs answer, as types: the questions a search and a catalog site ask
//! (selections, facet requests) and the answers (facets, trees, model views), with the
//! error a graph may give. The embedded graph and the Neo4j graph implement them; the
//! conformance suite holds them to the same answers.

use roaring::RoaringBitmap;
use stockyard_schema::domain::SpecValue;
use stockyard_schema::{CategoryId, Lang, MakerId, ModelId, SpecCategoryId, Text};

/// An inclusive range; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Range<T> {
    /// Lowest value accepted.
    pub min: Option<T>,
    /// Highest value accepted.
    pub max: Option<T>,
}

impl<T: PartialOrd + Copy> Range<T> {
    /// Whether the range constrains anything.
    pub fn is_open(&self) -> bool {
        self.min.is_none() && self.max.is_none()
    }

    /// Whether `v` lies in the range (a missing value lies in no closed range).
    pub fn contains(&self, v: Option<T>) -> bool {
        if self.is_open() {
            return true;
        }
        let Some(v) = v else { return false };
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

/// A condition on one spec category.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberFilter {
    /// Numeric values in a range.
    Range(Range<f64>),
    /// Text values, any of these.
    Text(Vec<String>),
}

/// The buyer's selections. Within a group, any selected value matches (OR); across
/// groups, all must (AND). A category includes its subcategories.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selections {
    /// Selected categories.
    pub categories: Vec<CategoryId>,
    /// Selected makers.
    pub makers: Vec<MakerId>,
    /// Selected models.
    pub models: Vec<ModelId>,
    /// Conditions on model specs.
    pub specs: Vec<(SpecCategoryId, NumberFilter)>,
    /// Model year.
    pub year: Range<u16>,
    /// Hours.
    pub hours: Range<u32>,
    /// Price in US dollars.
    pub price_usd: Range<f64>,
}

/// What to count.
#[derive(Debug, Clone)]
pub struct FacetRequest<'a> {
    /// Machine keys that matched the text query; `None` for all live machines.
    pub hits: Option<&'a RoaringBitmap>,
    /// The buyer's selections.
    pub selections: Selections,
    /// Language of the names returned (falling back to English, then any).
    pub lang: Lang,
    /// Numeric spec categories to describe (min, max, histogram).
    pub spec_facets: Vec<SpecCategoryId>,
    /// Buckets per histogram.
    pub buckets: usize,
    /// Also describe year, hours and price (a pass over the matching machines).
    pub attribute_facets: bool,
    /// The rates price ranges and the price histogram convert with, for a graph that
    /// keeps prices as listed (Neo4j). The embedded graph converts at its own rates
    /// when they are published; the engine passes those, so both answer alike.
    pub rates: crate::currency::Rates,
}

/// One facet value with its count.
#[derive(Debug, Clone, PartialEq)]
pub struct FacetCount {
    /// The entity's id.
    pub id: String,
    /// Its name in the buyer's language.
    pub name: String,
    /// The parent's id (categories only).
    pub parent: Option<String>,
    /// Matching machines.
    pub count: u64,
}

/// Min, max and histogram of a numeric value over the matching machines.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecFacet {
    /// Spec category id.
    pub id: String,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Equal-width buckets `(from, to, count)`; the last includes `to`.
    pub buckets: Vec<(f64, f64, u64)>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Facets {
    /// Machines matching the hits and every selection.
    pub matching: RoaringBitmap,
    /// Counts by category, rolled up the tree, largest first.
    pub categories: Vec<FacetCount>,
    /// Counts by maker, largest first.
    pub makers: Vec<FacetCount>,
    /// Counts by model, largest first.
    pub models: Vec<FacetCount>,
    /// Numeric spec facets, in the order asked.
    pub specs: Vec<SpecFacet>,
    /// Year, hours and price (US dollars) facets, when asked: `year`, `hours`,
    /// `price_usd`. Each ignores its own range but applies every other selection.
    pub attributes: Vec<SpecFacet>,
}

/// A selection group whose own selection a count leaves out, so that its values show
/// what widening it would give (disjunctive facets); `Nothing` applies every selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Except {
    /// Every selection applies.
    Nothing,
    /// All but the category selection.
    Category,
    /// All but the maker selection.
    Maker,
    /// All but the model selection.
    Model,
    /// All but the spec condition at this index of [`Selections::specs`].
    Spec(usize),
    /// All but the range of an attribute: 0 year, 1 hours, 2 price.
    Attribute(usize),
}

/// A category with its live machines (its subcategories' included) and children.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryTree {
    /// Category id.
    pub id: String,
    /// Name in the buyer's language.
    pub name: String,
    /// Live machines in it and below.
    pub count: u64,
    /// Subcategories, by name.
    pub children: Vec<CategoryTree>,
}

/// One spec of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecView {
    /// Spec category id.
    pub id: String,
    /// Spec category name in the buyer's language.
    pub name: String,
    /// Unit, for numbers.
    pub unit: Option<String>,
    /// The value.
    pub value: SpecValue,
}

/// A model as a model page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelView {
    /// Model id.
    pub id: String,
    /// Model number.
    pub name: String,
    /// Maker id and name.
    pub maker: Option<(String, String)>,
    /// Category id and name.
    pub category: Option<(String, String)>,
    /// Specs, by spec category id.
    pub specs: Vec<SpecView>,
    /// Live machines of the model.
    pub live: u64,
    /// Some of them (as many as asked), newest listing first.
    pub machines: Vec<String>,
}

/// A spec category as filters show it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecCategoryView {
    /// Its id.
    pub id: String,
    /// Its name in the buyer's language.
    pub name: String,
    /// Unit, for numbers.
    pub unit: Option<String>,
    /// Numbers (filtered by range) rather than text (filtered by value).
    pub number: bool,
}

/// Where a listing sits in the catalog, with names in the buyer's language.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Placement {
    /// Maker id and name, once the model is registered.
    pub maker: Option<(String, String)>,
    /// Model id and number (the id alone while the model is not registered).
    pub model: Option<(String, String)>,
    /// Category id and name: the listing's own, else its model's.
    pub category: Option<(String, String)>,
}

/// A defined category, flat, before the tree is built.
pub(crate) struct TreeNode {
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
    pub count: u64,
}

/// The tree of defined categories: roots are those without a parent; children sorted
/// by name, then id. Shared by both graph implementations so that they agree.
pub(crate) fn build_tree(nodes: &[TreeNode]) -> Vec<CategoryTree> {
    fn level(nodes: &[TreeNode], parent: Option<&str>, depth: usize) -> Vec<CategoryTree> {
        if depth > nodes.len() {
            return Vec::new();
        }
        let mut out: Vec<CategoryTree> = nodes
            .iter()
            .filter(|n| n.parent.as_deref() == parent)
            .map(|n| CategoryTree {
                id: n.id.clone(),
                name: n.name.clone(),
                count: n.count,
                children: level(nodes, Some(&n.id), depth + 1),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        out
    }
    level(nodes, None, 0)
}

pub(crate) fn name_of(t: &Option<Text>, id: &str, lang: Lang) -> String {
    t.as_ref()
        .map_or_else(|| id.to_owned(), |t| t.best(lang).to_owned())
}

/// Why the Neo4j graph could not answer.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The server could not be reached or refused us.
    #[error("Neo4j at {uri} is unreachable: {reason}")]
    Unreachable {
        /// Where we tried.
        uri: String,
        /// What the driver said.
        reason: String,
    },
    /// A statement failed on the server.
    #[error("Neo4j refused `{statement}`: {reason}")]
    Statement {
        /// The statement text.
        statement: String,
        /// What the server said.
        reason: String,
    },
    /// A statement could not be built (a bug: names come from the schema).
    #[error(transparent)]
    Build(#[from] query_dsl::BuildError),
}

/// Facet counts with a count, largest first (then by id), as both graphs give them.
pub(crate) fn ordered(mut v: Vec<FacetCount>) -> Vec<FacetCount> {
    v.retain(|f| f.count > 0);
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    v
}

/// The machine attributes with ranges and histograms, in [`Facets::attributes`] order.
pub(crate) const ATTRIBUTES: [&str; 3] = ["year", "hours", "price_usd"];

/// Equal-width buckets over `(value, count)` pairs, as both graphs compute them.
pub(crate) fn histogram(values: &[(f64, u64)], buckets: usize) -> SpecFacet {
    let present = values.iter().filter(|(_, n)| *n > 0);
    let min = present.clone().map(|(v, _)| *v).reduce(f64::min);
    let max = present.map(|(v, _)| *v).reduce(f64::max);
    match (min, max) {
        (Some(lo), Some(hi)) => {
            let bars = Bars::new(lo, hi, buckets);
            let mut counts = bars.counts();
            for (v, c) in values {
                counts[bars.index(*v)] += c;
            }
            bars.facet(counts)
        }
        _ => SpecFacet {
            id: String::new(),
            min,
            max,
            buckets: Vec::new(),
        },
    }
}

/// The equal-width bars of a histogram from `lo` to `hi`: which bar a value falls
/// in, and the facet of their counts. One definition, so that a histogram counted
/// another way (from the range buckets) gives the same bars.
pub(crate) struct Bars {
    lo: f64,
    hi: f64,
    n: usize,
    width: f64,
}

impl Bars {
    pub(crate) fn new(lo: f64, hi: f64, buckets: usize) -> Bars {
        let n = buckets.max(1);
        let width = if hi > lo { (hi - lo) / n as f64 } else { 1.0 };
        Bars { lo, hi, n, width }
    }

    /// Zero counts, one per bar.
    pub(crate) fn counts(&self) -> Vec<u64> {
        vec![0; self.n]
    }

    /// The bar of `v` (the values lie within `lo..=hi`); monotone in `v`.
    pub(crate) fn index(&self, v: f64) -> usize {
        (((v - self.lo) / self.width) as usize).min(self.n - 1)
    }

    /// The facet of the bars' `counts`.
    pub(crate) fn facet(&self, counts: Vec<u64>) -> SpecFacet {
        let (lo, hi, n, width) = (self.lo, self.hi, self.n, self.width);
        let buckets = counts
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let from = lo + width * i as f64;
                let to = if i + 1 == n {
                    hi.max(from)
                } else {
                    lo + width * (i + 1) as f64
                };
                (from, to, c)
            })
            .collect();
        SpecFacet {
            id: String::new(),
            min: Some(lo),
            max: Some(hi),
            buckets,
        }
    }
}
