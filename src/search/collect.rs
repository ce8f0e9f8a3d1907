//! The collector behind every search: final scores (language boost, minimum score),
//! the total, the top of the requested order, and optionally every hit's key.
//!
//! One pass over the matching documents does it all, reading fast fields only; stored
//! fields are read afterwards for the page of hits alone.

use super::query::{Order, Sort};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// Where a hit stands in the requested order: a primary value where larger is better
/// (missing values rank last whatever the direction), then the key ascending so that
/// pages are stable.
#[derive(Debug, Clone, Copy)]
pub struct Rank {
    primary: f64,
    key: u64,
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
    pub key: u64,
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

/// What the collector gives back.
#[derive(Debug, Default)]
pub struct Collected {
    /// Hits at or above the minimum score.
    pub total: usize,
    /// The best `top` hits, best first.
    pub top: Vec<Ranked>,
    /// Keys of all hits, when asked for.
    pub keys: Vec<u64>,
}

/// See the [module docs](self).
pub struct RankCollector {
    pub sort: Sort,
    /// Languages of the buyer, as a [`super::LangSet`] mask; 0 for none.
    pub lang_bits: u64,
    pub lang_boost: f32,
    pub min_score: Option<f32>,
    /// How many of the best hits to keep (offset + limit).
    pub top: usize,
    pub collect_keys: bool,
    /// Only keys in this set count.
    pub only: Option<std::sync::Arc<roaring::RoaringBitmap>>,
}

/// The fast field a sort reads.
enum SortColumn {
    Score,
    U64(Column<u64>),
    F64(Column<f64>),
    I64(Column<i64>),
}

pub struct SegmentRanker {
    segment: SegmentOrdinal,
    keys: Column<u64>,
    langs: Column<u64>,
    sort_column: SortColumn,
    descending: bool,
    lang_bits: u64,
    lang_boost: f32,
    min_score: Option<f32>,
    top: usize,
    heap: BinaryHeap<Reverse<Ranked>>,
    total: usize,
    all_keys: Option<Vec<u64>>,
    only: Option<std::sync::Arc<roaring::RoaringBitmap>>,
}

impl Collector for RankCollector {
    type Fruit = Collected;
    type Child = SegmentRanker;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentRanker> {
        let ff = reader.fast_fields();
        let (sort_column, order) = match self.sort {
            Sort::Relevance => (SortColumn::Score, Order::Desc),
            Sort::Year(o) => (SortColumn::U64(ff.u64("year")?), o),
            Sort::Hours(o) => (SortColumn::U64(ff.u64("hours")?), o),
            Sort::Price(o) => (SortColumn::F64(ff.f64("price_usd")?), o),
            Sort::Newest => (SortColumn::I64(ff.i64("listed_at")?), Order::Desc),
        };
        Ok(SegmentRanker {
            segment,
            keys: ff.u64("key")?,
            langs: ff.u64("langs")?,
            sort_column,
            descending: order == Order::Desc,
            lang_bits: self.lang_bits,
            lang_boost: self.lang_boost,
            min_score: self.min_score,
            top: self.top,
            heap: BinaryHeap::with_capacity(self.top + 1),
            total: 0,
            all_keys: self.collect_keys.then(Vec::new),
            only: self.only.clone(),
        })
    }

    fn requires_scoring(&self) -> bool {
        matches!(self.sort, Sort::Relevance) || self.min_score.is_some()
    }

    fn merge_fruits(&self, fruits: Vec<Collected>) -> tantivy::Result<Collected> {
        let mut out = Collected::default();
        for f in fruits {
            out.total += f.total;
            out.top.extend(f.top);
            out.keys.extend(f.keys);
        }
        out.top.sort_unstable_by(|a, b| b.cmp(a));
        out.top.truncate(self.top);
        Ok(out)
    }
}

impl SegmentCollector for SegmentRanker {
    type Fruit = Collected;

    fn collect(&mut self, doc: DocId, score: Score) {
        let mut score = score;
        if self.lang_bits != 0 && self.langs.first(doc).unwrap_or(0) & self.lang_bits != 0 {
            score *= self.lang_boost;
        }
        if self.min_score.is_some_and(|min| score < min) {
            return;
        }
        let key = self.keys.first(doc).unwrap_or(u64::MAX);
        if let Some(only) = &self.only {
            if !u32::try_from(key).is_ok_and(|k| only.contains(k)) {
                return;
            }
        }
        self.total += 1;
        if let Some(keys) = &mut self.all_keys {
            keys.push(key);
        }
        if self.top == 0 {
            return;
        }
        let value = match &self.sort_column {
            SortColumn::Score => Some(f64::from(score)),
            SortColumn::U64(c) => c.first(doc).map(|v| v as f64),
            SortColumn::F64(c) => c.first(doc),
            SortColumn::I64(c) => c.first(doc).map(|v| v as f64),
        };
        let primary = match value {
            Some(v) if self.descending => v,
            Some(v) => -v,
            None => f64::NEG_INFINITY,
        };
        let ranked = Ranked {
            rank: Rank { primary, key },
            score,
            key,
            address: DocAddress::new(self.segment, doc),
        };
        if self.heap.len() < self.top {
            self.heap.push(Reverse(ranked));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if ranked > worst.0 {
                *worst = Reverse(ranked);
            }
        }
    }

    fn harvest(self) -> Collected {
        Collected {
            total: self.total,
            top: self.heap.into_iter().map(|r| r.0).collect(),
            keys: self.all_keys.unwrap_or_default(),
        }
    }
}
