//! Live machines by bucket of year, hours and price, so that a range selection is a
//! union of bitmaps rather than a test of every hit.
//!
//! At a million listings, `year=2015..` on a broad query tested each of several
//! hundred thousand machines twice (once for the selections known before the text
//! pass, once for the facets), a random read of the machine each time: the largest
//! cost of such a search in `perf`. Here a range is the union of the buckets wholly
//! inside it, plus the machines of the (at most two) buckets it cuts, tested one by
//! one against their exact values: a few thousand tests instead of every hit.

use super::{EmbeddedGraph, MachineNode};
use crate::graph::contract::{histogram, Bars, Range, Selections, SpecFacet};
use crate::keys::{fetch, for_each_key, for_each_key_ahead};
use roaring::{MultiOps, RoaringBitmap};
use std::collections::BTreeMap;

/// Hours per bucket: a range cuts two buckets of a few thousand machines at most.
const HOURS_PER_BUCKET: u32 = 250;

/// Price buckets per doubling of the price (each about 4.4 % wide).
const PRICE_BUCKETS_PER_DOUBLING: f64 = 16.0;

/// Live machines by bucket of one attribute; machines without a value are in none
/// (a closed range never holds them).
#[derive(Debug, Default, Clone)]
pub(crate) struct RangeIndex {
    buckets: BTreeMap<i32, RoaringBitmap>,
    /// Per key, its bucket ([`NO_BUCKET`] when it has none or is not live): a set
    /// much smaller than the machines filed is counted by its keys' buckets rather
    /// than by intersecting every bucket, which reads every machine filed.
    of: Vec<i32>,
    /// Per key, its value, for an attribute whose buckets hold several values (hours,
    /// price; NaN when not filed). A histogram reads the machines of the buckets its
    /// bars cut here, 8 bytes a machine that stay in cache across searches, rather
    /// than from their nodes (64 bytes each, a cache miss per machine). Empty where a
    /// bucket is one value (the year), which `of` then gives.
    exact: Vec<f64>,
}

/// [`RangeIndex::of`] of a machine in no bucket.
const NO_BUCKET: i32 = i32::MIN;

/// Most buckets between the lowest and highest for a histogram to be counted key by
/// key (one counter per bucket in between).
const MOST_COUNTERS: usize = 4096;

impl RangeIndex {
    /// Files `key` under `bucket`; `exact` is its value where buckets hold several.
    fn insert(&mut self, bucket: Option<i32>, exact: Option<f64>, key: u32) {
        if let Some(b) = bucket {
            self.buckets.entry(b).or_default().insert(key);
            let k = key as usize;
            if self.of.len() <= k {
                self.of.resize(k + 1, NO_BUCKET);
            }
            self.of[k] = b;
            if let Some(v) = exact {
                if self.exact.len() <= k {
                    self.exact.resize(k + 1, f64::NAN);
                }
                self.exact[k] = v;
            }
        }
    }

    fn remove(&mut self, bucket: Option<i32>, key: u32) {
        if let Some(b) = bucket {
            if let Some(set) = self.buckets.get_mut(&b) {
                set.remove(key);
                if set.is_empty() {
                    self.buckets.remove(&b);
                }
            }
            if let Some(of) = self.of.get_mut(key as usize) {
                *of = NO_BUCKET;
            }
            if let Some(v) = self.exact.get_mut(key as usize) {
                *v = f64::NAN;
            }
        }
    }

    /// The value `key` is filed under: its exact value, or its bucket where a bucket
    /// is one value; `None` when it is not filed.
    #[inline]
    fn value(&self, key: u32) -> Option<f64> {
        let k = key as usize;
        if self.exact.is_empty() {
            self.of
                .get(k)
                .filter(|&&b| b != NO_BUCKET)
                .map(|&b| f64::from(b))
        } else {
            self.exact.get(k).copied().filter(|v| !v.is_nan())
        }
    }

    /// Asks for the cache line of `key`'s value without waiting for it.
    #[inline]
    fn fetch_value(&self, key: u32) {
        let k = key as usize;
        if self.exact.is_empty() {
            if let Some(b) = self.of.get(k) {
                fetch(b);
            }
        } else if let Some(v) = self.exact.get(k) {
            fetch(v);
        }
    }

    /// How many of `set`'s machines each bucket holds, for the buckets holding any,
    /// in bucket order.
    fn counts<'a>(&'a self, set: &RoaringBitmap) -> Vec<(i32, &'a RoaringBitmap, u64)> {
        let (Some((&lo, _)), Some((&hi, _))) = (
            self.buckets.first_key_value(),
            self.buckets.last_key_value(),
        ) else {
            return Vec::new();
        };
        let span = (i64::from(hi) - i64::from(lo) + 1) as usize;
        let filed: u64 = self.buckets.values().map(RoaringBitmap::len).sum();
        if set.len() * 4 >= filed || span > MOST_COUNTERS {
            return self
                .buckets
                .iter()
                .map(|(&b, bucket)| (b, bucket, bucket.intersection_len(set)))
                .filter(|(_, _, n)| *n > 0)
                .collect();
        }
        let mut counters = vec![0u64; span];
        for_each_key(set, |k| match self.of.get(k as usize) {
            Some(&b) if b != NO_BUCKET => counters[(b - lo) as usize] += 1,
            _ => {}
        });
        self.buckets
            .iter()
            .map(|(&b, bucket)| (b, bucket, counters[(b - lo) as usize]))
            .filter(|(_, _, n)| *n > 0)
            .collect()
    }

    /// The machines of the buckets from `lo` to `hi`: whole where the bucket lies
    /// inside the range (`inner`), tested one by one with `exact` where it is cut.
    fn select(
        &self,
        (lo, hi): (Option<i32>, Option<i32>),
        inner: impl Fn(i32) -> bool,
        exact: impl Fn(u32) -> bool,
    ) -> RoaringBitmap {
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if lo > hi {
                return RoaringBitmap::new();
            }
        }
        let range = (
            lo.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included),
            hi.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included),
        );
        // The buckets inside the range as one many-way union (a `price=..30000`
        // spans a hundred buckets: unioned one by one into a growing bitmap, they
        // cost ~1 ms at 1M listings), then the machines of the cut ones.
        let mut out = self
            .buckets
            .range(range)
            .filter_map(|(&b, set)| inner(b).then_some(set))
            .union();
        for (_, set) in self.buckets.range(range).filter(|(&b, _)| !inner(b)) {
            let cut = RoaringBitmap::from_sorted_iter(set.iter().filter(|&k| exact(k)))
                .expect("a bitmap iterates in order");
            out |= cut;
        }
        out
    }

    /// The histogram of the values of `set`'s machines, as [`histogram`] gives it
    /// from every value, read mostly from the buckets. A bucket whose values all fall
    /// into one bar counts whole (an intersection with `set`); the others, and the
    /// first and last (for the exact smallest and largest value), are read machine
    /// by machine from [`RangeIndex::value`]. `span` bounds a bucket's values
    /// (inclusive, or wider).
    ///
    /// Counting `wheel loaders` by price (114,000 machines) the old way read every
    /// machine, a cache miss each; here a few hundred intersections and the
    /// machines of the dozen buckets the bars cut.
    fn histogram(
        &self,
        set: &RoaringBitmap,
        span: impl Fn(i32) -> (f64, f64),
        bars: usize,
    ) -> SpecFacet {
        let counted = self.counts(set);
        // The set's machines of a bucket are spread over the keys: each value read
        // is a cache miss, asked for sixteen machines early.
        let values = |bucket: &RoaringBitmap| {
            let held = bucket & set;
            let mut values = Vec::with_capacity(held.len() as usize);
            for_each_key_ahead(
                &held,
                |k| self.fetch_value(k),
                |k| values.extend(self.value(k)),
            );
            values
        };
        let lo = counted
            .first()
            .and_then(|(_, b, _)| values(b).into_iter().reduce(f64::min));
        let hi = counted
            .last()
            .and_then(|(_, b, _)| values(b).into_iter().reduce(f64::max));
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return histogram(&[], bars);
        };
        let bars = Bars::new(lo, hi, bars);
        let mut counts = bars.counts();
        for (b, bucket, n) in counted {
            let (from, to) = span(b);
            let bar = bars.index(from.max(lo));
            if bar == bars.index(to.min(hi)) {
                counts[bar] += n;
            } else {
                for v in values(bucket) {
                    counts[bars.index(v)] += 1;
                }
            }
        }
        bars.facet(counts)
    }
}

/// The bucket of a model year: the year itself, so no bucket is ever cut.
fn year_bucket(year: Option<u16>) -> Option<i32> {
    year.map(i32::from)
}

fn hours_bucket(hours: Option<u32>) -> Option<i32> {
    hours.map(|h| (h / HOURS_PER_BUCKET) as i32)
}

fn price_bucket(usd: Option<f64>) -> Option<i32> {
    usd.filter(|p| p.is_finite())
        .map(|p| (p.max(1.0).log2() * PRICE_BUCKETS_PER_DOUBLING).floor() as i32)
}

/// Bounds of the values of an hours bucket.
fn hours_span(b: i32) -> (f64, f64) {
    let from = f64::from(b) * f64::from(HOURS_PER_BUCKET);
    (from, from + f64::from(HOURS_PER_BUCKET - 1))
}

/// Bounds of the prices of a price bucket, widened by a billionth against the
/// rounding of `log2` (bucket 0 also holds every price under 1).
fn price_span(b: i32) -> (f64, f64) {
    let edge = |b: i32| (f64::from(b) / PRICE_BUCKETS_PER_DOUBLING).exp2();
    let from = if b <= 0 {
        f64::NEG_INFINITY
    } else {
        edge(b) * (1.0 - 1e-9)
    };
    (from, edge(b + 1) * (1.0 + 1e-9))
}

/// The buckets a price range spans, `None` when it holds no finite price (a bound
/// that is NaN, a lowest price of +∞ or a highest of −∞); an infinite bound on its
/// own side is open.
fn price_buckets(r: &Range<f64>) -> Option<(Option<i32>, Option<i32>)> {
    let lo = match r.min {
        Some(m) if m.is_nan() || m == f64::INFINITY => return None,
        Some(m) if m == f64::NEG_INFINITY => None,
        m => price_bucket(m),
    };
    let hi = match r.max {
        Some(m) if m.is_nan() || m == f64::NEG_INFINITY => return None,
        Some(m) if m == f64::INFINITY => None,
        m => price_bucket(m),
    };
    Some((lo, hi))
}

/// The live machines inside each attribute range a search selected (year, hours,
/// price, in that order; `None` for a range left open), from
/// [`EmbeddedGraph::range_sets`]. A price range below 30,000 USD spans a hundred
/// buckets at 1M listings: worked out once, not for each of the filter, the facet
/// groups and the histograms.
#[derive(Debug, Default)]
pub struct RangeSets([Option<RoaringBitmap>; 3]);

impl RangeSets {
    /// Each range's machines, in [`ATTRIBUTES`] order.
    ///
    /// [`ATTRIBUTES`]: crate::graph::contract::ATTRIBUTES
    pub(crate) fn each(&self) -> &[Option<RoaringBitmap>; 3] {
        &self.0
    }

    /// `set` narrowed to the machines inside every range.
    pub(crate) fn narrow(&self, set: &mut RoaringBitmap) {
        for range in self.0.iter().flatten() {
            *set &= range;
        }
    }

    /// The machines inside every range; `None` when no range is selected.
    pub(crate) fn all(&self) -> Option<RoaringBitmap> {
        let mut ranges = self.0.iter().flatten();
        let mut all = ranges.next()?.clone();
        for range in ranges {
            all &= range;
        }
        Some(all)
    }
}

/// The three attribute indexes of the graph.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ranges {
    year: RangeIndex,
    hours: RangeIndex,
    price: RangeIndex,
}

impl Ranges {
    /// Files a live machine under its values.
    pub(crate) fn insert(&mut self, key: u32, m: &MachineNode) {
        self.year.insert(year_bucket(m.year), None, key);
        self.hours
            .insert(hours_bucket(m.hours), m.hours.map(f64::from), key);
        self.price
            .insert(price_bucket(m.price_usd), m.price_usd, key);
    }

    /// Takes a machine out, as filed under its values.
    pub(crate) fn remove(&mut self, key: u32, m: &MachineNode) {
        self.year.remove(year_bucket(m.year), key);
        self.hours.remove(hours_bucket(m.hours), key);
        self.price.remove(price_bucket(m.price_usd), key);
    }

    /// Files every live machine again under its price (the rates changed).
    pub(crate) fn refile_prices<'a>(&mut self, live: impl Iterator<Item = (u32, &'a MachineNode)>) {
        self.price = RangeIndex::default();
        for (key, m) in live {
            self.price
                .insert(price_bucket(m.price_usd), m.price_usd, key);
        }
    }
}

impl EmbeddedGraph {
    /// The live machines inside each attribute range selected: a search works them
    /// out once, for the filter of its text pass and again for its facets.
    pub fn range_sets(&self, sel: &Selections) -> RangeSets {
        let year = (!sel.year.is_open()).then(|| {
            let r = &sel.year;
            let b = (year_bucket(r.min), year_bucket(r.max));
            self.ranges.year.select(
                b,
                |_| true,
                |k| r.contains(self.ranges.year.value(k).map(|v| v as u16)),
            )
        });
        let hours = (!sel.hours.is_open()).then(|| {
            let r = &sel.hours;
            let b = (hours_bucket(r.min), hours_bucket(r.max));
            self.ranges.hours.select(
                b,
                |x| b.0.is_none_or(|lo| x > lo) && b.1.is_none_or(|hi| x < hi),
                |k| r.contains(self.ranges.hours.value(k).map(|v| v as u32)),
            )
        });
        let price = (!sel.price_usd.is_open()).then(|| {
            let r = &sel.price_usd;
            match price_buckets(r) {
                Some(b) => self.ranges.price.select(
                    b,
                    |x| b.0.is_none_or(|lo| x > lo) && b.1.is_none_or(|hi| x < hi),
                    |k| r.contains(self.ranges.price.value(k)),
                ),
                None => RoaringBitmap::new(),
            }
        });
        RangeSets([year, hours, price])
    }

    /// The histogram of attribute `a` (in [`ATTRIBUTES`] order) over `set`, from
    /// the range buckets (see [`RangeIndex::histogram`]).
    ///
    /// [`ATTRIBUTES`]: crate::graph::contract::ATTRIBUTES
    pub(crate) fn bucketed_histogram(
        &self,
        a: usize,
        set: &RoaringBitmap,
        bars: usize,
    ) -> SpecFacet {
        match a {
            0 => self
                .ranges
                .year
                .histogram(set, |b| (f64::from(b), f64::from(b)), bars),
            1 => self.ranges.hours.histogram(set, hours_span, bars),
            _ => self.ranges.price.histogram(set, price_span, bars),
        }
    }
}

/// Attribute `a` of a machine, in [`ATTRIBUTES`] order.
///
/// [`ATTRIBUTES`]: crate::graph::contract::ATTRIBUTES
pub(crate) fn attribute(m: &MachineNode, a: usize) -> Option<f64> {
    match a {
        0 => m.year.map(f64::from),
        1 => m.hours.map(f64::from),
        _ => m.price_usd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stockyard_schema::{demo, Event, Payload};

    /// The live machines inside every range of `sel`, tested one by one.
    fn by_scan(g: &EmbeddedGraph, sel: &Selections) -> RoaringBitmap {
        g.live
            .iter()
            .filter(|&k| g.attributes_match(&g.machines[k as usize], sel))
            .collect()
    }

    fn selections(year: Range<u16>, hours: Range<u32>, price_usd: Range<f64>) -> Selections {
        Selections {
            year,
            hours,
            price_usd,
            ..Selections::default()
        }
    }

    #[test]
    fn ranges_select_what_testing_every_machine_selects() {
        // GIVEN the demo catalog, listed, updated, sold and re-priced by new rates
        let events: Vec<Event> = demo::generate(7, 3_000).collect();
        assert!(events
            .iter()
            .any(|e| matches!(e.payload, Payload::CurrencyRatesPublished(_))));
        let mut g = EmbeddedGraph::new();
        g.apply(events.iter());
        fn some<T>(min: Option<T>, max: Option<T>) -> Range<T> {
            Range { min, max }
        }
        fn open<T>() -> Range<T> {
            Range {
                min: None,
                max: None,
            }
        }
        // WHEN ranges are selected: bucket edges, values held and not, open ends,
        // empty and inverted ranges, and prices that no finite number satisfies
        let mut cases = vec![
            selections(some(Some(2015), None), open(), open()),
            selections(
                some(Some(2010), Some(2012)),
                some(None, Some(5_000)),
                open(),
            ),
            selections(some(Some(2020), Some(2010)), open(), open()),
            selections(open(), some(Some(250), Some(499)), open()),
            selections(open(), some(Some(3_001), Some(3_001)), open()),
            selections(open(), open(), some(Some(f64::NAN), None)),
            selections(open(), open(), some(Some(f64::INFINITY), None)),
            selections(open(), open(), some(None, Some(f64::NEG_INFINITY))),
            selections(
                open(),
                open(),
                some(Some(f64::NEG_INFINITY), Some(f64::INFINITY)),
            ),
            selections(open(), open(), some(Some(-10.0), Some(0.5))),
        ];
        for (i, m) in g.machines.iter().enumerate().step_by(97) {
            cases.push(selections(
                some(m.year, m.year.map(|y| y + i as u16 % 3)),
                some(m.hours.map(|h| h / 2), m.hours),
                some(m.price_usd, m.price_usd.map(|p| p * 1.3)),
            ));
            cases.push(selections(open(), open(), some(None, m.price_usd)));
        }
        // THEN the bitmaps hold exactly the machines a test of each would let through
        for sel in &cases {
            let expected = by_scan(&g, sel);
            let ranges = g.range_sets(sel);
            assert_eq!(ranges.all(), Some(expected.clone()), "{sel:?}");
            let mut within = g.live.clone();
            ranges.narrow(&mut within);
            assert_eq!(within, expected, "{sel:?}");
        }
        assert!(g.range_sets(&Selections::default()).all().is_none());
        let priced = selections(open(), open(), some(Some(20_000.0), Some(60_000.0)));
        assert!(
            !by_scan(&g, &priced).is_empty(),
            "a range that selects something"
        );
    }

    /// GIVEN the demo catalog, WHEN a histogram of each attribute is read from the
    /// range buckets, THEN it equals the one counted from every machine's value, for
    /// sets large and small and any number of bars (the cut buckets are read value
    /// by value, the others counted whole).
    #[test]
    fn bucketed_histograms_equal_histograms_of_every_value() {
        let events: Vec<Event> = demo::generate(11, 4_000).collect();
        let mut g = EmbeddedGraph::new();
        g.apply(events.iter());
        let every = g.live.clone();
        let sets = [
            every.clone(),
            every.iter().step_by(3).collect(),
            // Small enough to be counted key by key.
            every.iter().step_by(7).collect(),
            every.iter().take(1).collect(),
            RoaringBitmap::new(),
        ];
        let mut cut = 0;
        for set in &sets {
            for a in 0..3 {
                let values: Vec<(f64, u64)> = set
                    .iter()
                    .filter_map(|k| attribute(&g.machines[k as usize], a))
                    .map(|v| (v, 1))
                    .collect();
                for bars in [1, 7, 10, 40] {
                    let expected = histogram(&values, bars);
                    assert_eq!(
                        g.bucketed_histogram(a, set, bars),
                        expected,
                        "attribute {a}, {} machines, {bars} bars",
                        set.len()
                    );
                    cut += usize::from(expected.buckets.len() > 1);
                }
            }
        }
        assert!(cut > 0, "histograms with several bars were compared");
    }
}
