//! Per-segment arrays of the values every hit needs (its machine key and languages),
//! indexed by doc id.
//!
//! tantivy's fast-field columns are compressed and read through a codec per value; a
//! broad query at a million listings reads them hundreds of thousands of times. The
//! arrays here are decoded once per segment (segments are immutable), shared by every
//! search of every thread, and dropped with the segment.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tantivy::index::SegmentId;
use tantivy::{Searcher, SegmentReader};

/// The values of one segment, by doc id.
#[derive(Debug)]
pub struct SegmentColumns {
    /// Machine key of each document.
    pub keys: Vec<u32>,
    /// Languages of each document ([`super::LangSet`] bits; eight languages fit).
    pub langs: Vec<u8>,
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
        })
    }
}

/// The arrays of the segments in use, built on first use.
#[derive(Debug, Default)]
pub struct ColumnCache {
    segments: Mutex<HashMap<SegmentId, Arc<SegmentColumns>>>,
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
}
