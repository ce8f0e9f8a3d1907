//! Per-segment arrays of the values every hit needs (its machine key and languages),
//! indexed by doc id.
//!
//! tantivy's fast-field columns are compressed and read through a codec per value; a
//! broad query at a million listings reads them hundreds of thousands of times. The
//! arrays here are decoded once per segment (segments are immutable), shared by every
//! search of every thread, and dropped with the segment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::{DocId, Searcher, SegmentReader};

/// The values of one segment, by doc id.
#[derive(Debug)]
pub struct SegmentColumns {
    /// Machine key of each document.
    pub keys: Vec<u32>,
    /// Languages of each document ([`super::LangSet`] bits; eight languages fit).
    pub langs: Vec<u8>,
    /// The values searches sort by, decoded on the first search in each order.
    pub sorts: SortArrays,
}

impl SegmentColumns {
    fn load(segment: &SegmentReader) -> tantivy::Result<SegmentColumns> {
        let ff = segment.fast_fields();
        let keys = ff.u64("key")?;
        let langs = ff.u64("langs")?;
        let n = segment.max_doc();
        Ok(SegmentColumns {
            keys: (0..n)
                .map(|d| keys.first(d).map_or(u32::MAX, |k| k as u32))
                .collect(),
            langs: (0..n).map(|d| langs.first(d).unwrap_or(0) as u8).collect(),
            sorts: SortArrays::default(),
        })
    }
}

/// A segment's sort values by doc id, NaN where a document has none.
///
/// Browsing a category by price reads the price of each of its 100,000 listings;
/// through tantivy's optional columns that was a rank in the column's index and a
/// bit-unpacking per value, twice (amount and currency): a quarter of such a search.
/// Here it is one read of an array that stays in cache (8 bytes a listing, plus 2
/// for the currency).
#[derive(Debug, Default)]
pub struct SortArrays {
    /// By [`SortNumber`].
    numbers: [OnceLock<Vec<f64>>; 3],
    price: OnceLock<Prices>,
}

/// A number searches sort by, as it is read (the price needs its rates: [`Prices`]).
#[derive(Debug, Clone, Copy)]
pub enum SortNumber {
    /// The model year.
    Year,
    /// The operating hours.
    Hours,
    /// When the listing was first listed (seconds since the epoch).
    ListedAt,
}

/// The price of each document as listed: amount (NaN when none) and currency (the
/// rates' dense index, [`NO_CURRENCY`] when none); converted as read, since rates
/// change without the segment changing.
#[derive(Debug)]
pub struct Prices {
    /// The amount, in `currency`.
    pub amount: Vec<f64>,
    /// The currency's dense index in [`crate::currency::Rates`].
    pub currency: Vec<u16>,
}

/// [`Prices::currency`] of a document without a price.
pub const NO_CURRENCY: u16 = u16::MAX;

impl SortArrays {
    /// `which` of each document of `segment`.
    pub fn number(&self, which: SortNumber, segment: &SegmentReader) -> tantivy::Result<&[f64]> {
        let slot = &self.numbers[which as usize];
        if let Some(values) = slot.get() {
            return Ok(values);
        }
        let ff = segment.fast_fields();
        let n = segment.max_doc();
        let values = match which {
            SortNumber::Year => decode(n, &ff.u64("year")?, |v| v as f64),
            SortNumber::Hours => decode(n, &ff.u64("hours")?, |v| v as f64),
            SortNumber::ListedAt => decode(n, &ff.i64("listed_at")?, |v| v as f64),
        };
        // Two searches may decode at once; either result is the same.
        Ok(slot.get_or_init(|| values))
    }

    /// The price of each document as listed.
    pub fn price(&self, segment: &SegmentReader) -> tantivy::Result<&Prices> {
        if let Some(p) = self.price.get() {
            return Ok(p);
        }
        let ff = segment.fast_fields();
        let (amount, currency) = (ff.f64("price")?, ff.u64("currency")?);
        let n = segment.max_doc();
        let prices = Prices {
            amount: decode(n, &amount, |v| v),
            currency: (0..n)
                .map(|d| {
                    currency
                        .first(d)
                        .and_then(|c| u16::try_from(c).ok())
                        .unwrap_or(NO_CURRENCY)
                })
                .collect(),
        };
        Ok(self.price.get_or_init(|| prices))
    }
}

/// The values of `column` for documents `0..n` as numbers, NaN where a document has
/// none.
fn decode<T>(n: DocId, column: &Column<T>, number: impl Fn(T) -> f64) -> Vec<f64>
where
    T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static,
{
    (0..n)
        .map(|d| column.first(d).map_or(f64::NAN, &number))
        .collect()
}

/// Where each live listing's document is, by machine key: `(segment, doc)`, or
/// `(u32::MAX, _)` for a key with no live document. Browsing a selection visits the
/// selected keys through it instead of every document of the index.
#[derive(Debug)]
pub struct KeyMap {
    generation: u64,
    places: Vec<(u32, u32)>,
}

impl KeyMap {
    /// The live document of a key.
    #[inline]
    pub fn get(&self, key: u32) -> Option<(u32, u32)> {
        self.places
            .get(key as usize)
            .copied()
            .filter(|(segment, _)| *segment != u32::MAX)
    }
}

/// The arrays of the segments in use, built on first use.
#[derive(Debug, Default)]
pub struct ColumnCache {
    segments: Mutex<HashMap<SegmentId, Arc<SegmentColumns>>>,
    keys: Mutex<Option<Arc<KeyMap>>>,
}

impl ColumnCache {
    /// The arrays of every segment of `searcher`, in segment order; segments no longer
    /// searched are forgotten.
    pub fn for_searcher(&self, searcher: &Searcher) -> tantivy::Result<Vec<Arc<SegmentColumns>>> {
        let mut cache = self.segments.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            let id = segment.segment_id();
            let columns = match cache.get(&id) {
                Some(c) => c.clone(),
                None => {
                    let c = Arc::new(SegmentColumns::load(segment)?);
                    cache.insert(id, c.clone());
                    c
                }
            };
            out.push(columns);
        }
        if cache.len() > out.len() {
            let live: Vec<SegmentId> = searcher
                .segment_readers()
                .iter()
                .map(|s| s.segment_id())
                .collect();
            cache.retain(|id, _| live.contains(id));
        }
        Ok(out)
    }

    /// The key map of `searcher` (built once per searcher generation: after each
    /// commit that changed the index).
    pub fn key_map(&self, searcher: &Searcher, columns: &[Arc<SegmentColumns>]) -> Arc<KeyMap> {
        let generation = searcher.generation().generation_id();
        let mut slot = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(map) = slot.as_ref().filter(|m| m.generation == generation) {
            return map.clone();
        }
        let mut places = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let keys = &columns[ord].keys;
            for doc in segment.doc_ids_alive() {
                let key = keys[doc as usize];
                if key == u32::MAX {
                    continue;
                }
                if places.len() <= key as usize {
                    places.resize(key as usize + 1, (u32::MAX, 0));
                }
                places[key as usize] = (ord as u32, doc);
            }
        }
        let map = Arc::new(KeyMap { generation, places });
        *slot = Some(map.clone());
        map
    }
}
