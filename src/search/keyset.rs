//! Sets of machine keys as plain bit arrays, for the per-hit work of a search.
//!
//! A search marks every hit's key and tests every hit against the selections; at a
//! million listings that is a million operations per broad query. A bit per key
//! (128 KiB for a million keys, so it stays in cache) makes each of them one load and
//! one store, where a roaring bitmap would search its containers each time. Roaring
//! bitmaps stay the currency between the text index and the graph: a set is turned
//! into one once, at the end (container by container, not key by key).

use crate::keys::for_each_key;
use roaring::RoaringBitmap;

/// A hit of machine `key` (`u32::MAX`: a document of no machine, never a hit) goes
/// into the hit set `hits`; whether it passes `filter`, the selections, and so may be
/// counted and ranked.
#[inline]
pub fn record_hit(hits: Option<&mut KeySet>, filter: Option<&KeySet>, key: u32) -> bool {
    if key == u32::MAX {
        return false;
    }
    if let Some(hits) = hits {
        hits.insert(key);
    }
    filter.is_none_or(|f| f.contains(key))
}

/// A set of keys below a bound, one bit each. Reused between searches of a thread
/// ([`KeySet::reset`]), so that a search allocates nothing for it.
#[derive(Debug, Default, Clone)]
pub struct KeySet {
    bytes: Vec<u8>,
}

impl KeySet {
    /// Empties the set, keeping its room (it grows to the largest key it held).
    pub fn reset(&mut self) {
        self.bytes.fill(0);
    }

    /// Adds a key.
    #[inline]
    pub fn insert(&mut self, key: u32) {
        let i = (key >> 3) as usize;
        if i >= self.bytes.len() {
            self.bytes.resize(i + 1, 0);
        }
        self.bytes[i] |= 1 << (key & 7);
    }

    /// Whether the set holds `key`.
    #[inline]
    pub fn contains(&self, key: u32) -> bool {
        self.bytes
            .get((key >> 3) as usize)
            .is_some_and(|b| b & (1 << (key & 7)) != 0)
    }

    /// Adds every key of a roaring bitmap (a selection of half a million keys is
    /// copied per search): grown once to its largest key, then filled in batches.
    pub fn extend_from(&mut self, keys: &RoaringBitmap) {
        let Some(max) = keys.max() else {
            return;
        };
        let need = (max >> 3) as usize + 1;
        if self.bytes.len() < need {
            self.bytes.resize(need, 0);
        }
        let bytes = &mut self.bytes;
        for_each_key(keys, |k| bytes[(k >> 3) as usize] |= 1 << (k & 7));
    }

    /// Adds every key of `other` (the hits a second searching thread found).
    pub fn union_with(&mut self, other: &KeySet) {
        if self.bytes.len() < other.bytes.len() {
            self.bytes.resize(other.bytes.len(), 0);
        }
        for (mine, theirs) in self.bytes.iter_mut().zip(&other.bytes) {
            *mine |= theirs;
        }
    }

    /// The set as a roaring bitmap.
    pub fn to_roaring(&self) -> RoaringBitmap {
        RoaringBitmap::from_lsb0_bytes(0, &self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_set_round_trips_through_roaring() {
        let keys: RoaringBitmap = [0u32, 7, 8, 65_535, 65_536, 1_000_003]
            .into_iter()
            .collect();
        let mut set = KeySet::default();
        set.extend_from(&keys);
        assert!(set.contains(1_000_003) && set.contains(7) && !set.contains(6));
        assert!(!set.contains(u32::MAX));
        assert_eq!(set.to_roaring(), keys);
        let mut more = KeySet::default();
        more.insert(3);
        more.union_with(&set);
        set.insert(3);
        assert_eq!(more.to_roaring(), set.to_roaring());
        set.reset();
        assert!(set.to_roaring().is_empty() && !set.contains(7));
    }
}
