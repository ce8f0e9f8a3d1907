//! Walking the machine keys of a roaring bitmap, for the per-search loops over large
//! sets (a selection copied into a search's key set, a hit set counted by bucket).
//!
//! Roaring's iterator pays for finding its place in the containers on every step;
//! taking keys a batch at a time pays for it once per batch, which made copying a
//! selection of half a million keys several times faster.

use roaring::RoaringBitmap;

/// Keys taken from the bitmap per batch.
const BATCH: usize = 256;

/// Calls `f` with every key of `keys`, in increasing order.
pub fn for_each_key(keys: &RoaringBitmap, mut f: impl FnMut(u32)) {
    let mut iter = keys.iter();
    let mut batch = [0u32; BATCH];
    loop {
        let some = iter.next_many(&mut batch);
        if some.is_empty() {
            return;
        }
        for &k in some.iter() {
            f(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_walked_once_in_order() {
        // Across batches and containers, dense and sparse.
        let keys: RoaringBitmap = (0..1_000u32)
            .chain((70_000..80_000).step_by(3))
            .chain([u32::MAX - 1])
            .collect();
        let mut walked = Vec::new();
        for_each_key(&keys, |k| walked.push(k));
        assert_eq!(walked, keys.iter().collect::<Vec<_>>());
        for_each_key(&RoaringBitmap::new(), |_| panic!("no keys"));
    }
}
