//! Facet counting over a hit set: disjunctive counts per group, spec and attribute
//! histograms, and the filtered hit set.

use super::ranges::{attribute, RangeSets};
use super::{EmbeddedGraph, MachineNode};
use crate::graph::contract::{
    histogram, name_of, ordered, Except, FacetCount, FacetRequest, Facets, NumberFilter, Range,
    Selections, SpecFacet, ATTRIBUTES,
};
use crate::keys::{fetch, for_each_key_ahead};
use crate::two_threads::{both, Threads};
use roaring::RoaringBitmap;
use stockyard_schema::domain::SpecValue;
use stockyard_schema::{CategoryId, Lang};

/// Hit sets smaller than this are filtered by visiting each machine; larger ones by
/// bitmap unions and intersections, whose cost does not grow with the hits.
const SCAN_BELOW: u64 = 16_384;

/// Per-model counts either read each hit's model (a 4-byte read per hit, in key
/// order) or intersect the hits with the bitmap of each model whose count is needed
/// (a bit test per machine of the model, whatever the hits). Reading a hit costs
/// about 2.5 times testing a machine (`cargo bench --bench facets` at 1M machines:
/// 100,000 hits read in 0.36 ms, every model intersected in 1.24 ms): hits are read
/// while that is the cheaper, in these relative costs.
const READ_HIT_COST: u64 = 5;
const TEST_MACHINE_COST: u64 = 2;

/// Year, hours and price histograms read each machine below this many (a cache miss
/// each, for the three at once), and count from the range buckets above it (a few
/// hundred intersections, then the machines of the buckets the bars cut): at 1M
/// listings, `wheel loaders` by price (114,000) went from about 17 to 9 ms, and a
/// base of ~20,000 was slower by buckets.
const HISTOGRAMS_BY_SCAN_BELOW: u64 = 65_536;

/// The histograms' hits are tested one by one against the selections below this
/// many, and intersected with the selections' bitmap above it: building that bitmap
/// costs ~0.6 ms at 1M listings whatever the hits (1k hits with the histograms took
/// 0.65 ms, 0.05 ms without them).
const TEST_EACH_BELOW: u64 = 4_096;

/// The model-level selections (maker, model, specs), as one pass/fail per model and
/// group, so that "every selection but this group's" is a cheap test per model.
struct ModelFilters {
    /// Per group with a selection: which models pass it.
    groups: Vec<(Except, Vec<bool>)>,
}

impl ModelFilters {
    fn passes(&self, model: usize, except: Except) -> bool {
        self.groups
            .iter()
            .all(|(g, pass)| *g == except || pass[model])
    }

    fn any(&self) -> bool {
        !self.groups.is_empty()
    }
}

impl EmbeddedGraph {
    pub(super) fn spec_matches(&self, model: u32, spec: u32, filter: &NumberFilter) -> bool {
        self.models[model as usize].specs.iter().any(|(s, v)| {
            *s == spec
                && match (filter, v) {
                    (NumberFilter::Range(r), SpecValue::Number(x)) => r.contains(Some(*x)),
                    (NumberFilter::Text(opts), SpecValue::Text(t)) => opts.iter().any(|o| o == t),
                    _ => false,
                }
        })
    }

    pub(super) fn attributes_match(&self, m: &MachineNode, s: &Selections) -> bool {
        s.year.contains(m.year) && s.hours.contains(m.hours) && s.price_usd.contains(m.price_usd)
    }

    fn model_filters(&self, sel: &Selections) -> ModelFilters {
        let n = self.models.len();
        let mut groups = Vec::new();
        if !sel.makers.is_empty() {
            let makers: Vec<u32> = sel
                .makers
                .iter()
                .filter_map(|m| self.maker_ids.get(m.as_str()))
                .collect();
            let pass = (0..n)
                .map(|m| self.models[m].maker.is_some_and(|k| makers.contains(&k)))
                .collect();
            groups.push((Except::Maker, pass));
        }
        if !sel.models.is_empty() {
            let mut pass = vec![false; n];
            for m in sel
                .models
                .iter()
                .filter_map(|m| self.model_ids.get(m.as_str()))
            {
                pass[m as usize] = true;
            }
            groups.push((Except::Model, pass));
        }
        for (i, (spec, filter)) in sel.specs.iter().enumerate() {
            let pass = match self.spec_ids.get(spec.as_str()) {
                Some(s) => (0..n as u32)
                    .map(|m| self.spec_matches(m, s, filter))
                    .collect(),
                None => vec![false; n],
            };
            groups.push((Except::Spec(i), pass));
        }
        ModelFilters { groups }
    }

    /// Year, hours and price histograms over `unranged` (hits before attribute ranges),
    /// each applying every selection but its own range.
    fn attribute_facets(
        &self,
        unranged: &RoaringBitmap,
        sel: &Selections,
        ranges: &RangeSets,
        buckets: usize,
    ) -> Vec<SpecFacet> {
        // The machines every selection but the three ranges lets through; then each
        // attribute's set applies the other two ranges (bitmaps, from the buckets).
        let but_ranges = Selections {
            year: Range::default(),
            hours: Range::default(),
            price_usd: Range::default(),
            ..sel.clone()
        };
        let base = if unranged.len() < TEST_EACH_BELOW {
            unranged
                .iter()
                .filter(|&k| self.passes(k, &but_ranges))
                .collect()
        } else {
            match self.selected(&but_ranges, &RangeSets::default()) {
                Some(s) => s & unranged,
                None => unranged.clone(),
            }
        };
        if base.len() < HISTOGRAMS_BY_SCAN_BELOW {
            // One read of each machine for the three histograms, the machines
            // sixteen on fetched meanwhile (each read is a cache miss: a few
            // thousand machines spread over a million).
            let mut values: [Vec<(f64, u64)>; 3] =
                std::array::from_fn(|_| Vec::with_capacity(base.len() as usize));
            let machines = &self.machines;
            for_each_key_ahead(
                &base,
                |later| fetch(&machines[later as usize]),
                |key| {
                    let m = &machines[key as usize];
                    let pass = [
                        sel.year.contains(m.year),
                        sel.hours.contains(m.hours),
                        sel.price_usd.contains(m.price_usd),
                    ];
                    for (a, values) in values.iter_mut().enumerate() {
                        let others = (0..3).filter(|&b| b != a).all(|b| pass[b]);
                        if let (true, Some(v)) = (others, attribute(m, a)) {
                            values.push((v, 1));
                        }
                    }
                },
            );
            return ATTRIBUTES
                .iter()
                .zip(values.iter())
                .map(|(id, v)| {
                    let mut h = histogram(v, buckets);
                    h.id = (*id).to_owned();
                    h
                })
                .collect();
        }
        let ranged = ranges.each();
        ATTRIBUTES
            .iter()
            .enumerate()
            .map(|(a, id)| {
                // Every range but the attribute's own.
                let mut set = base.clone();
                for (_, range) in ranged.iter().enumerate().filter(|(r, _)| *r != a) {
                    if let Some(range) = range {
                        set &= range;
                    }
                }
                let mut h = self.bucketed_histogram(a, &set, buckets);
                h.id = (*id).to_owned();
                h
            })
            .collect()
    }

    /// Live machines of `base` (live machines) per model; models for which `needed`
    /// is false may be left at 0 (their counts would be thrown away).
    ///
    /// `base` holds live machines only. When it holds every one (a browse whose only
    /// selection is a category, counted for the category group, or a search with no
    /// words and no selection), each model's count is the size of its bitmap: no
    /// intersection of ~200 bitmaps over every machine.
    fn per_model(
        &self,
        base: &RoaringBitmap,
        needed: impl Fn(usize) -> bool + Sync,
        threads: Threads,
    ) -> Vec<u64> {
        debug_assert!(base.is_subset(&self.live), "per_model counts live machines");
        if base.len() == self.live.len() {
            return self.by_model.iter().map(RoaringBitmap::len).collect();
        }
        let tested: u64 = (0..self.by_model.len())
            .filter(|&m| needed(m))
            .map(|m| self.by_model[m].len())
            .sum();
        if base.len() * READ_HIT_COST < tested * TEST_MACHINE_COST {
            self.per_model_by_scan(base)
        } else {
            self.per_model_by_bitmaps(base, needed, threads)
        }
    }

    /// [`Self::per_model`] by reading each machine's model.
    fn per_model_by_scan(&self, base: &RoaringBitmap) -> Vec<u64> {
        let mut counts = vec![0u64; self.models.len()];
        let model_of = &self.model_of;
        for_each_key_ahead(
            base,
            |later| fetch(&model_of[later as usize]),
            |key| counts[model_of[key as usize] as usize] += 1,
        );
        counts
    }

    /// [`Self::per_model`] by intersecting each needed model's machines; on
    /// [`Threads::Two`], the second half of the models on a second thread.
    fn per_model_by_bitmaps(
        &self,
        base: &RoaringBitmap,
        needed: impl Fn(usize) -> bool + Sync,
        threads: Threads,
    ) -> Vec<u64> {
        let count = |models: std::ops::Range<usize>| -> Vec<u64> {
            self.by_model[models.clone()]
                .iter()
                .zip(models)
                .map(|(machines, m)| {
                    if needed(m) {
                        machines.intersection_len(base)
                    } else {
                        0
                    }
                })
                .collect()
        };
        let all = self.by_model.len();
        if threads == Threads::One {
            return count(0..all);
        }
        let (mut first, second) = both(|| count(0..all / 2), || count(all / 2..all));
        first.extend(second);
        first
    }

    /// The live machines that pass every selection, whatever the words: what a
    /// search ranks among, known before its text pass runs. `None` when nothing is
    /// selected (every live machine passes). Equal to the `matching` set of
    /// [`EmbeddedGraph::facets`] over all live machines. `ranges` are
    /// [`EmbeddedGraph::range_sets`] of `sel`.
    pub fn selected(&self, sel: &Selections, ranges: &RangeSets) -> Option<RoaringBitmap> {
        let filters = self.model_filters(sel);
        let mut set: Option<RoaringBitmap> = None;
        if filters.any() {
            set = Some(self.passing_models(&filters));
        }
        if !sel.categories.is_empty() {
            let in_category = self.in_categories(&self.selected_categories(&sel.categories));
            set = Some(match set {
                Some(s) => s & in_category,
                None => in_category,
            });
        }
        set = match set {
            Some(mut s) => {
                ranges.narrow(&mut s);
                Some(s)
            }
            None => ranges.all(),
        };
        set.map(|s| s & &self.live)
    }

    /// The live machines of every model that passes all model-level selections.
    fn passing_models(&self, filters: &ModelFilters) -> RoaringBitmap {
        let mut models = RoaringBitmap::new();
        for m in (0..self.models.len()).filter(|&m| filters.passes(m, Except::Nothing)) {
            models |= &self.by_model[m];
        }
        models
    }

    /// The live machines directly in one of the `selected` categories.
    fn in_categories(&self, selected: &[bool]) -> RoaringBitmap {
        let mut in_category = RoaringBitmap::new();
        for (c, _) in selected.iter().enumerate().filter(|(_, s)| **s) {
            in_category |= &self.by_category[c];
        }
        in_category
    }

    /// Of `base`, the machines in a selected category: one check per machine for a
    /// small set, bitmap unions for a large one.
    fn filter_categories(&self, base: &RoaringBitmap, chosen: &[CategoryId]) -> RoaringBitmap {
        let selected = self.selected_categories(chosen);
        if base.len() < SCAN_BELOW {
            base.iter()
                .filter(|&k| {
                    self.effective_category(&self.machines[k as usize])
                        .is_some_and(|c| selected[c as usize])
                })
                .collect()
        } else {
            base & &self.in_categories(&selected)
        }
    }

    /// Of `filtered`, the machines whose model passes every model-level selection.
    fn filter_models(&self, filtered: &RoaringBitmap, filters: &ModelFilters) -> RoaringBitmap {
        if !filters.any() {
            filtered.clone()
        } else if filtered.len() < SCAN_BELOW {
            filtered
                .iter()
                .filter(|&k| filters.passes(self.model_of[k as usize] as usize, Except::Nothing))
                .collect()
        } else {
            filtered & &self.passing_models(filters)
        }
    }

    /// Per category: whether it is one of `chosen` or below one.
    fn selected_categories(&self, chosen: &[CategoryId]) -> Vec<bool> {
        let chosen: Vec<u32> = chosen
            .iter()
            .filter_map(|c| self.category_ids.get(c.as_str()))
            .collect();
        (0..self.categories.len() as u32)
            .map(|c| chosen.iter().any(|&s| self.is_descendant(c, s)))
            .collect()
    }

    /// Counts everything a search page needs; see the [graph module docs](crate::graph).
    pub fn facets(&self, req: &FacetRequest<'_>) -> Facets {
        self.facets_on(req, &self.range_sets(&req.selections), Threads::One)
    }

    /// [`Self::facets`] on `threads`: on two, the year, hours and price histograms on
    /// the second thread when they are asked for, else half of the models'
    /// intersections. The same answer. `ranges` are [`EmbeddedGraph::range_sets`] of
    /// the request's selections, as the search's filter used them.
    pub fn facets_on(
        &self,
        req: &FacetRequest<'_>,
        ranges: &RangeSets,
        threads: Threads,
    ) -> Facets {
        let unranged = self.live_hits(req);
        let attributes = |unranged: &RoaringBitmap| {
            self.attribute_facets(unranged, &req.selections, ranges, req.buckets)
        };
        match (req.attribute_facets, threads) {
            (false, _) => self.count(req, unranged, Vec::new(), ranges, threads),
            (true, Threads::One) => {
                let attributes = attributes(&unranged);
                self.count(req, unranged, attributes, ranges, Threads::One)
            }
            (true, Threads::Two) => {
                let (mut facets, attributes) = both(
                    || self.count(req, unranged.clone(), Vec::new(), ranges, Threads::One),
                    || attributes(&unranged),
                );
                facets.attributes = attributes;
                facets
            }
        }
    }

    /// The live machines of the request's hits (all live machines without hits).
    fn live_hits(&self, req: &FacetRequest<'_>) -> RoaringBitmap {
        match req.hits {
            Some(h) => h & &self.live,
            None => self.live.clone(),
        }
    }

    /// Every facet but the attribute histograms (given) over `base`, the live hits.
    fn count(
        &self,
        req: &FacetRequest<'_>,
        mut base: RoaringBitmap,
        attributes: Vec<SpecFacet>,
        ranges: &RangeSets,
        threads: Threads,
    ) -> Facets {
        let sel = &req.selections;
        // Machine-level selections: attribute ranges apply to every group; the
        // category selection to every group but the category's own.
        ranges.narrow(&mut base);
        let in_category =
            (!sel.categories.is_empty()).then(|| self.filter_categories(&base, &sel.categories));
        let filtered = in_category.as_ref().unwrap_or(&base);
        let filters = self.model_filters(sel);

        // Everything below works per model: a handful of bitmap intersections (or one
        // pass over a small hit set), then arithmetic over the models.
        // A model's count is used by a group only if the model passes every other
        // group's selection; spare the intersections of the others.
        let spec_groups: Vec<Except> = req
            .spec_facets
            .iter()
            .map(|spec| {
                sel.specs
                    .iter()
                    .position(|(s, _)| s == spec)
                    .map_or(Except::Nothing, Except::Spec)
            })
            .collect();
        let counts = self.per_model(
            filtered,
            |m| {
                filters.passes(m, Except::Maker)
                    || filters.passes(m, Except::Model)
                    || spec_groups.iter().any(|g| filters.passes(m, *g))
            },
            threads,
        );
        let uncategorised = match &in_category {
            Some(_) => self.per_model(&base, |m| filters.passes(m, Except::Nothing), threads),
            None => counts.clone(),
        };

        let matching = self.filter_models(filtered, &filters);
        Facets {
            attributes,
            matching,
            categories: ordered(self.category_counts(&uncategorised, &base, &filters, req.lang)),
            makers: ordered(self.maker_counts(&counts, &filters, req.lang)),
            models: ordered(self.model_counts(&counts, &filters)),
            specs: self.spec_facets(req, &filters, &counts),
        }
    }

    /// Counts by maker: each model's count goes to its maker, unless the model fails a
    /// selection other than the maker's.
    fn maker_counts(&self, counts: &[u64], filters: &ModelFilters, lang: Lang) -> Vec<FacetCount> {
        let mut per_maker = vec![0u64; self.makers.len()];
        for (m, c) in counts.iter().enumerate() {
            if let (Some(k), true) = (self.models[m].maker, filters.passes(m, Except::Maker)) {
                per_maker[k as usize] += c;
            }
        }
        per_maker
            .iter()
            .enumerate()
            .map(|(k, &count)| {
                let id = self.maker_ids.key(k as u32);
                FacetCount {
                    id: id.to_owned(),
                    name: name_of(&self.makers[k], id, lang),
                    parent: None,
                    count,
                }
            })
            .collect()
    }

    /// Counts by model, zero for a model that fails a selection other than the
    /// model's.
    fn model_counts(&self, counts: &[u64], filters: &ModelFilters) -> Vec<FacetCount> {
        counts
            .iter()
            .enumerate()
            .map(|(m, &c)| {
                let id = self.model_ids.key(m as u32);
                FacetCount {
                    id: id.to_owned(),
                    name: self.models[m].name.clone().unwrap_or_else(|| id.to_owned()),
                    parent: None,
                    count: if filters.passes(m, Except::Model) {
                        c
                    } else {
                        0
                    },
                }
            })
            .collect()
    }

    /// Counts by category, rolled up the tree. Machines count in their model's
    /// category, except those with a category of their own, which are moved over one
    /// by one (they are few).
    fn category_counts(
        &self,
        uncategorised: &[u64],
        base: &RoaringBitmap,
        filters: &ModelFilters,
        lang: Lang,
    ) -> Vec<FacetCount> {
        let mut direct = vec![0u64; self.categories.len()];
        for (m, c) in uncategorised.iter().enumerate() {
            if let (Some(cat), true) = (self.models[m].category, filters.passes(m, Except::Nothing))
            {
                direct[cat as usize] += c;
            }
        }
        // A browse counts every overridden machine of the catalog (tens of thousands
        // at 1M listings), each a cache miss: the machine sixteen on is asked for early.
        for_each_key_ahead(
            &(&self.overridden & base),
            |later| fetch(&self.machines[later as usize]),
            |key| {
                let machine = &self.machines[key as usize];
                let m = machine.model as usize;
                if !filters.passes(m, Except::Nothing) {
                    return;
                }
                if let Some(model_cat) = self.models[m].category {
                    direct[model_cat as usize] -= 1;
                }
                if let Some(own) = machine.category {
                    direct[own as usize] += 1;
                }
            },
        );
        let mut rolled = vec![0u64; self.categories.len()];
        for (c, &n) in direct.iter().enumerate() {
            let mut cur = Some(c as u32);
            let mut steps = 0;
            while let Some(x) = cur {
                rolled[x as usize] += n;
                cur = self.categories[x as usize].parent;
                steps += 1;
                if steps > self.categories.len() {
                    break;
                }
            }
        }
        rolled
            .iter()
            .enumerate()
            .map(|(c, &count)| {
                let id = self.category_ids.key(c as u32);
                let node = &self.categories[c];
                FacetCount {
                    id: id.to_owned(),
                    name: name_of(&node.names, id, lang),
                    parent: node.parent.map(|p| self.category_ids.key(p).to_owned()),
                    count,
                }
            })
            .collect()
    }

    /// The histograms of the requested number specs, each over the models that pass
    /// every selection but its own, weighted by their counts.
    fn spec_facets(
        &self,
        req: &FacetRequest<'_>,
        filters: &ModelFilters,
        counts: &[u64],
    ) -> Vec<SpecFacet> {
        let sel = &req.selections;
        req.spec_facets
            .iter()
            .map(|spec| {
                let own = sel
                    .specs
                    .iter()
                    .position(|(s, _)| s == spec)
                    .map_or(Except::Nothing, Except::Spec);
                let values: Vec<(f64, u64)> = match self.spec_ids.get(spec.as_str()) {
                    Some(s) => self
                        .models
                        .iter()
                        .enumerate()
                        .filter(|(m, _)| filters.passes(*m, own))
                        .filter_map(|(m, node)| {
                            node.specs.iter().find_map(|(x, v)| match v {
                                SpecValue::Number(n) if *x == s => Some((*n, counts[m])),
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
            .collect()
    }
}

#[cfg(test)]
mod tests;
