//! Facet counting over a hit set: disjunctive counts per group, spec and attribute
//! histograms, and the filtered hit set.

use super::embedded::{EmbeddedGraph, MachineNode};
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
}

/// The groups whose selections filter; a group's own counts leave out its filter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Category,
    Maker,
    Model,
    Spec(usize),
    Attributes,
}

fn intersect_all<'a>(
    base: &RoaringBitmap,
    filters: impl Iterator<Item = &'a RoaringBitmap>,
) -> RoaringBitmap {
    let mut out = base.clone();
    for f in filters {
        out &= f;
    }
    out
}

fn ordered(mut v: Vec<FacetCount>) -> Vec<FacetCount> {
    v.retain(|f| f.count > 0);
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    v
}

fn histogram(values: &[(f64, u64)], buckets: usize) -> SpecFacet {
    let present = values.iter().filter(|(_, n)| *n > 0);
    let min = present.clone().map(|(v, _)| *v).reduce(f64::min);
    let max = present.map(|(v, _)| *v).reduce(f64::max);
    let mut out = Vec::new();
    if let (Some(lo), Some(hi)) = (min, max) {
        let n = buckets.max(1);
        let width = if hi > lo { (hi - lo) / n as f64 } else { 1.0 };
        let mut counts = vec![0u64; n];
        for (v, c) in values {
            let i = (((v - lo) / width) as usize).min(n - 1);
            counts[i] += c;
        }
        for (i, c) in counts.into_iter().enumerate() {
            let from = lo + width * i as f64;
            let to = if i + 1 == n {
                hi.max(from)
            } else {
                lo + width * (i + 1) as f64
            };
            out.push((from, to, c));
        }
    }
    SpecFacet {
        id: String::new(),
        min,
        max,
        buckets: out,
    }
}

impl EmbeddedGraph {
    fn union_models(&self, models: impl Iterator<Item = u32>) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        for m in models {
            out |= &self.by_model[m as usize];
        }
        out
    }

    fn spec_matches(&self, model: u32, spec: u32, filter: &NumberFilter) -> bool {
        self.models[model as usize].specs.iter().any(|(s, v)| {
            *s == spec
                && match (filter, v) {
                    (NumberFilter::Range(r), SpecValue::Number(x)) => r.contains(Some(*x)),
                    (NumberFilter::Text(opts), SpecValue::Text(t)) => opts.iter().any(|o| o == t),
                    _ => false,
                }
        })
    }

    fn attributes_match(&self, m: &MachineNode, s: &Selections) -> bool {
        s.year.contains(m.year) && s.hours.contains(m.hours) && s.price_usd.contains(m.price_usd)
    }

    /// Counts everything a search page needs; see the [module docs](super).
    pub fn facets(&self, req: &FacetRequest<'_>) -> Facets {
        let sel = &req.selections;
        let base = match req.hits {
            Some(h) => h & &self.live,
            None => self.live.clone(),
        };
        // One bitmap per group with a selection.
        let mut filters: Vec<(Group, RoaringBitmap)> = Vec::new();
        if !sel.categories.is_empty() {
            let chosen: Vec<u32> = sel
                .categories
                .iter()
                .filter_map(|c| self.category_ids.get(c.as_str()))
                .collect();
            let mut f = RoaringBitmap::new();
            for c in 0..self.categories.len() as u32 {
                if chosen.iter().any(|&s| self.is_descendant(c, s)) {
                    f |= &self.by_category[c as usize];
                }
            }
            filters.push((Group::Category, f));
        }
        if !sel.makers.is_empty() {
            let makers: Vec<u32> = sel
                .makers
                .iter()
                .filter_map(|m| self.maker_ids.get(m.as_str()))
                .collect();
            let models = (0..self.models.len() as u32).filter(|&m| {
                self.models[m as usize]
                    .maker
                    .is_some_and(|k| makers.contains(&k))
            });
            filters.push((Group::Maker, self.union_models(models)));
        }
        if !sel.models.is_empty() {
            let models = sel
                .models
                .iter()
                .filter_map(|m| self.model_ids.get(m.as_str()));
            filters.push((Group::Model, self.union_models(models)));
        }
        for (i, (spec, filter)) in sel.specs.iter().enumerate() {
            let f = match self.spec_ids.get(spec.as_str()) {
                Some(s) => self.union_models(
                    (0..self.models.len() as u32).filter(|&m| self.spec_matches(m, s, filter)),
                ),
                None => RoaringBitmap::new(),
            };
            filters.push((Group::Spec(i), f));
        }
        if !(sel.year.is_open() && sel.hours.is_open() && sel.price_usd.is_open()) {
            let f: RoaringBitmap = base
                .iter()
                .filter(|&k| self.attributes_match(&self.machines[k as usize], sel))
                .collect();
            filters.push((Group::Attributes, f));
        }
        let except = |g: Group| {
            intersect_all(
                &base,
                filters.iter().filter(|(h, _)| *h != g).map(|(_, f)| f),
            )
        };
        let matching = intersect_all(&base, filters.iter().map(|(_, f)| f));
        let has = |g: Group| filters.iter().any(|(h, _)| *h == g);

        // Per-model counts over a base, shared by the maker and model groups (and the
        // spec histograms) when the base is the same.
        let model_counts = |b: &RoaringBitmap| -> Vec<u64> {
            self.by_model
                .iter()
                .map(|m| m.intersection_len(b))
                .collect()
        };
        let counts_all = model_counts(&matching);
        let maker_counts = if has(Group::Maker) {
            model_counts(&except(Group::Maker))
        } else {
            counts_all.clone()
        };
        let model_counts_v = if has(Group::Model) {
            model_counts(&except(Group::Model))
        } else {
            counts_all.clone()
        };

        let lang = req.lang;
        let name = |t: &Option<Text>, id: &str| {
            t.as_ref()
                .map_or_else(|| id.to_owned(), |t| t.best(lang).to_owned())
        };

        let mut per_maker = vec![0u64; self.makers.len()];
        for (m, c) in maker_counts.iter().enumerate() {
            if let Some(k) = self.models[m].maker {
                per_maker[k as usize] += c;
            }
        }
        let makers = per_maker
            .iter()
            .enumerate()
            .map(|(k, &count)| {
                let id = self.maker_ids.key(k as u32);
                FacetCount {
                    id: id.to_owned(),
                    name: name(&self.makers[k], id),
                    parent: None,
                    count,
                }
            })
            .collect();
        let models = model_counts_v
            .iter()
            .enumerate()
            .map(|(m, &count)| {
                let id = self.model_ids.key(m as u32);
                let node = &self.models[m];
                FacetCount {
                    id: id.to_owned(),
                    name: node.name.clone().unwrap_or_else(|| id.to_owned()),
                    parent: None,
                    count,
                }
            })
            .collect();

        let cat_base = if has(Group::Category) {
            except(Group::Category)
        } else {
            matching.clone()
        };
        let mut per_category = vec![0u64; self.categories.len()];
        for (c, direct) in self.by_category.iter().enumerate() {
            let n = direct.intersection_len(&cat_base);
            // Roll up: every ancestor counts the machines of its descendants.
            let mut cur = Some(c as u32);
            let mut steps = 0;
            while let Some(x) = cur {
                per_category[x as usize] += n;
                cur = self.categories[x as usize].parent;
                steps += 1;
                if steps > self.categories.len() {
                    break;
                }
            }
        }
        let categories = per_category
            .iter()
            .enumerate()
            .map(|(c, &count)| {
                let id = self.category_ids.key(c as u32);
                let node = &self.categories[c];
                FacetCount {
                    id: id.to_owned(),
                    name: name(&node.names, id),
                    parent: node.parent.map(|p| self.category_ids.key(p).to_owned()),
                    count,
                }
            })
            .collect();

        let specs = req
            .spec_facets
            .iter()
            .map(|spec| {
                let i = sel.specs.iter().position(|(s, _)| s == spec);
                let counts = match i {
                    Some(i) => model_counts(&except(Group::Spec(i))),
                    None => counts_all.clone(),
                };
                let values: Vec<(f64, u64)> = match self.spec_ids.get(spec.as_str()) {
                    Some(s) => self
                        .models
                        .iter()
                        .zip(&counts)
                        .filter_map(|(m, &c)| {
                            m.specs.iter().find_map(|(x, v)| match v {
                                SpecValue::Number(n) if *x == s => Some((*n, c)),
                                _ => None,
                            })
                        })
                        .collect(),
                    None => Vec::new(),
                };
                let mut h = histogram(&values, req.buckets);
                h.id = spec.to_string();
                h
            })
            .collect();

        Facets {
            matching,
            categories: ordered(categories),
            makers: ordered(makers),
            models: ordered(models),
            specs,
        }
    }
}
