//! The one pass over the hits behind every search: final scores (language boost,
//! minimum score), the hit set for the graph, the total and the top of the requested
//! order among the hits that pass the buyer's selections.
//!
//! Each matching document costs a few array reads and bit operations: its key and
//! languages come from arrays decoded once per segment ([`super::columns`]), the hit
//! set and the selections are bit arrays ([`super::keyset`]), and only a hit that
//! passes the selections is compared with the worst of the top (a heap of
//! `offset + limit`). Stored fields are read afterwards for the page alone. Scores are
//! only computed when the order or a minimum score needs them.

use super::columns::{KeyMap, Prices, SegmentColumns, SortNumber, NO_CURRENCY};
use super::keyset::{record_hit, KeySet};
use super::query::{Order, Sort};
use crate::currency::Rates;
use crate::keys::{fetch, for_each_ahead};
use crate::two_threads::{both, Threads};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader};

/// Where a hit stands in the requested order: a primary value where larger is better
/// (missing values rank last whatever the direction), then the key ascending so that
/// pages are stable.
#[derive(Debug, Clone, Copy)]
pub struct Rank {
    primary: f64,
    key: u32,
}

impl Rank {
    /// A rank by `primary` (larger first), then by key.
    pub fn new(primary: f64, key: u32) -> Rank {
        Rank { primary, key }
    }
}

impl PartialEq for Rank {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Rank {}
impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Rank {
    fn cmp(&self, other: &Self) -> Ordering {
        self.primary
            .total_cmp(&other.primary)
            .then_with(|| other.key.cmp(&self.key))
    }
}

/// One collected hit.
#[derive(Debug, Clone, Copy)]
pub struct Ranked {
    pub rank: Rank,
    pub score: Score,
    pub key: u32,
    pub address: DocAddress,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.rank == other.rank
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank.cmp(&other.rank)
    }
}

/// What the pass gives back.
#[derive(Debug, Default)]
pub struct Collected {
    /// Hits at or above the minimum score that pass the selections.
    pub total: usize,
    /// The best `top` of those, best first.
    pub top: Vec<Ranked>,
}

impl Collected {
    /// The hits of two disjoint parts of the documents as one: the totals added, the
    /// best `n` of both pages (each part's best `n` holds every hit of that part
    /// that can be among the best `n` of all).
    pub fn merge(self, other: Collected, n: usize) -> Collected {
        let mut top = self.top;
        top.extend(other.top);
        top.sort_unstable_by(|a, b| b.cmp(a));
        top.truncate(n);
        Collected {
            total: self.total + other.total,
            top,
        }
    }
}

/// The best `n` hits seen so far: a heap whose root is the worst of them.
pub struct Top {
    n: usize,
    heap: BinaryHeap<Reverse<Ranked>>,
}

impl Top {
    /// Keeps the best `n`.
    pub fn new(n: usize) -> Top {
        Top {
            n,
            heap: BinaryHeap::with_capacity(n + 1),
        }
    }

    /// Whether `n` hits are kept already.
    pub fn is_full(&self) -> bool {
        self.heap.len() >= self.n
    }

    /// The primary value of the worst hit kept (−∞ while there is none).
    pub fn floor(&self) -> f64 {
        self.heap
            .peek()
            .map_or(f64::NEG_INFINITY, |w| w.0.rank.primary)
    }

    /// Whether a hit of `rank` would be kept now.
    pub fn admits(&self, rank: &Rank) -> bool {
        match self.heap.peek() {
            Some(worst) if self.heap.len() >= self.n => *rank > worst.0.rank,
            _ => self.n > 0,
        }
    }

    /// Keeps `ranked` if it is among the best `n`.
    pub fn offer(&mut self, ranked: Ranked) {
        if !self.admits(&ranked.rank) {
            return;
        }
        if self.heap.len() < self.n {
            self.heap.push(Reverse(ranked));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            *worst = Reverse(ranked);
        }
    }

    /// What the pass gives back: the hits best first, and the total.
    pub fn into_collected(self, total: usize) -> Collected {
        let mut top: Vec<Ranked> = self.heap.into_iter().map(|r| r.0).collect();
        top.sort_unstable_by(|a, b| b.cmp(a));
        Collected { total, top }
    }
}

/// A sort value as a rank's primary value: larger is better, a missing value last.
fn primary(value: Option<f64>, descending: bool) -> f64 {
    match value {
        Some(v) if descending => v,
        Some(v) => -v,
        None => f64::NEG_INFINITY,
    }
}

/// The order of a page by a value (price, year, hours, newest) rather than by
/// relevance: what a search with words sorted by a value ranks the hits of the
/// tiered pass by (`super::tiers`), which then only finds them.
#[derive(Clone, Copy)]
pub struct ValueOrder<'a> {
    /// Not [`Sort::Relevance`].
    pub sort: Sort,
    /// The rates a price sort converts with.
    pub rates: &'a Rates,
}

impl ValueOrder<'_> {
    /// The best `n` in this order of `hits` (segment ordinal, document, key and
    /// whether the listing is in the buyer's language, segment by segment), each
    /// scored as a pass that does not score scores it: the language bonus or
    /// nothing. `total` is passed through.
    pub fn top_of(
        &self,
        searcher: &Searcher,
        columns: &[Arc<SegmentColumns>],
        lang_bonus: Score,
        n: usize,
        total: usize,
        hits: impl Iterator<Item = (u32, DocId, u32, bool)>,
    ) -> tantivy::Result<Collected> {
        let mut top = Top::new(n);
        let mut open: Option<(u32, SortColumn<'_>, bool)> = None;
        for (segment, doc, key, in_lang) in hits {
            let (_, column, descending) = match &mut open {
                Some(o) if o.0 == segment => o,
                o => {
                    let (column, descending) = SortColumn::open(
                        self.sort,
                        self.rates,
                        searcher.segment_reader(segment),
                        &columns[segment as usize],
                    )?;
                    o.insert((segment, column, descending))
                }
            };
            let score = if in_lang { lang_bonus } else { 0.0 };
            top.offer(column.ranked(*descending, segment, doc, key, score));
        }
        Ok(top.into_collected(total))
    }
}

/// How to rank and what to keep; see the [module docs](self).
pub struct Pass<'a> {
    pub sort: Sort,
    /// The rates a price sort converts with.
    pub rates: &'a Rates,
    /// Languages of the buyer, as [`super::LangSet`] bits; 0 for none.
    pub lang_bits: u8,
    /// Added to the score of a listing in the buyer's language.
    pub lang_bonus: f32,
    pub min_score: Option<f32>,
    /// How many of the best hits to keep (offset + limit).
    pub top: usize,
    /// Only hits whose key is in this set count towards the total and the top.
    pub filter: Option<&'a KeySet>,
    /// Every hit's key is added here (before the filter applies).
    pub hits: Option<&'a mut KeySet>,
}

/// The values a sort reads, for one segment.
enum SortColumn<'a> {
    Score,
    /// Year, hours or listing time ([`SortNumber`]).
    Number(&'a [f64]),
    /// The price as listed, converted to US dollars as read.
    Price {
        prices: &'a Prices,
        rates: &'a Rates,
    },
}

impl<'a> SortColumn<'a> {
    fn open(
        sort: Sort,
        rates: &'a Rates,
        segment: &SegmentReader,
        columns: &'a SegmentColumns,
    ) -> tantivy::Result<(SortColumn<'a>, bool)> {
        let arrays = &columns.sorts;
        let (column, order) = match sort {
            Sort::Relevance => (SortColumn::Score, Order::Desc),
            Sort::Year(o) => (
                SortColumn::Number(arrays.number(SortNumber::Year, segment)?),
                o,
            ),
            Sort::Hours(o) => (
                SortColumn::Number(arrays.number(SortNumber::Hours, segment)?),
                o,
            ),
            Sort::Price(o) => (
                SortColumn::Price {
                    prices: arrays.price(segment)?,
                    rates,
                },
                o,
            ),
            Sort::Newest => (
                SortColumn::Number(arrays.number(SortNumber::ListedAt, segment)?),
                Order::Desc,
            ),
        };
        Ok((column, order == Order::Desc))
    }

    /// `doc` (key `key`, in segment `segment`, scored `score`) ranked by this column:
    /// its value, larger first where `descending`, then its key.
    #[inline]
    fn ranked(&self, descending: bool, segment: u32, doc: DocId, key: u32, score: Score) -> Ranked {
        Ranked {
            rank: Rank::new(primary(self.value(doc, score), descending), key),
            score,
            key,
            address: DocAddress::new(segment, doc),
        }
    }

    /// Asks for the cache lines of `doc`'s value without waiting for them.
    #[inline]
    fn fetch(&self, doc: DocId) {
        let d = doc as usize;
        match self {
            SortColumn::Score => {}
            SortColumn::Number(values) => {
                if let Some(v) = values.get(d) {
                    fetch(v);
                }
            }
            // Its currencies are two bytes a document, read in step with the amounts.
            SortColumn::Price { prices, .. } => {
                if let Some(a) = prices.amount.get(d) {
                    fetch(a);
                }
            }
        }
    }

    #[inline]
    fn value(&self, doc: DocId, score: Score) -> Option<f64> {
        let d = doc as usize;
        match self {
            SortColumn::Score => Some(f64::from(score)),
            SortColumn::Number(values) => Some(values[d]).filter(|v| !v.is_nan()),
            SortColumn::Price { prices, rates } => {
                let currency = prices.currency[d];
                if currency == NO_CURRENCY {
                    return None;
                }
                let rate = rates.usd_per_dense(currency)?;
                Some(prices.amount[d] * rate).filter(|v| !v.is_nan())
            }
        }
    }
}

impl Pass<'_> {
    /// Browses the listings of `keys` (the buyer's selections) in the requested order,
    /// visiting each through `map` rather than every document of the index. Nothing
    /// is scored and no hit set is kept (browsing has no words). On two `threads`,
    /// each browses half of the keys and the two pages merge.
    pub fn run_keys(
        self,
        searcher: &Searcher,
        keys: &roaring::RoaringBitmap,
        map: &KeyMap,
        arrays: &[Arc<SegmentColumns>],
        threads: Threads,
    ) -> tantivy::Result<Collected> {
        let columns = searcher
            .segment_readers()
            .iter()
            .zip(arrays)
            .map(|(s, a)| SortColumn::open(self.sort, self.rates, s, a))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let n = self.top;
        // A selection's listings are spread over the documents: each value read is a
        // cache miss, asked for sixteen keys before it is needed.
        let browse = |part: roaring::bitmap::Iter<'_>| -> Collected {
            let mut top = Top::new(n);
            let mut total = 0usize;
            for_each_ahead(
                part,
                |later| {
                    if let Some((segment, doc)) = map.get(later) {
                        columns[segment as usize].0.fetch(doc);
                    }
                },
                |key| {
                    let Some((segment, doc)) = map.get(key) else {
                        return;
                    };
                    total += 1;
                    let (column, descending) = &columns[segment as usize];
                    top.offer(column.ranked(*descending, segment, doc, key, 0.0));
                },
            );
            top.into_collected(total)
        };
        let middle = keys
            .select((keys.len() / 2) as u32)
            .filter(|_| threads == Threads::Two);
        Ok(match middle {
            None => browse(keys.iter()),
            Some(middle) => {
                let (first, second) = both(
                    || browse(keys.range(..middle)),
                    || browse(keys.range(middle..)),
                );
                first.merge(second, n)
            }
        })
    }

    fn scores(&self) -> bool {
        matches!(self.sort, Sort::Relevance) || self.min_score.is_some()
    }

    /// Runs `weight` over every segment of `searcher`; `columns` are the segments'
    /// arrays in segment order.
    pub fn run(
        mut self,
        searcher: &Searcher,
        weight: &dyn Weight,
        columns: &[Arc<SegmentColumns>],
    ) -> tantivy::Result<Collected> {
        let mut top = Top::new(self.top);
        let mut total = 0usize;
        let scores = self.scores();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let cols = &columns[ord];
            let alive = segment.alive_bitset();
            let (sort_column, descending) = SortColumn::open(self.sort, self.rates, segment, cols)?;
            let mut on_hit = |doc: DocId, score: Score| {
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    return;
                }
                let d = doc as usize;
                let score = if cols.langs[d] & self.lang_bits != 0 {
                    score + self.lang_bonus
                } else {
                    score
                };
                if self.min_score.is_some_and(|min| score < min) {
                    return;
                }
                let key = cols.keys[d];
                if !record_hit(self.hits.as_deref_mut(), self.filter, key) {
                    return;
                }
                total += 1;
                top.offer(sort_column.ranked(descending, ord as u32, doc, key, score));
            };
            if scores {
                weight.for_each(segment, &mut on_hit)?;
            } else {
                weight.for_each_no_score(segment, &mut |docs| {
                    for &doc in docs {
                        on_hit(doc, 0.0);
                    }
                })?;
            }
        }
        Ok(top.into_collected(total))
    }
}
