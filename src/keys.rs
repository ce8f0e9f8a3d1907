//! Walking the machine keys of a roaring bitmap, for the per-search loops over large
//! sets (a selection copied into a search's key set, a hit set counted by bucket).
//!
//! Roaring's iterator pays for finding its place in the containers on every step;
//! taking keys a batch at a time pays for it once per batch, which made copying a
//! selection of half a million keys several times faster. Loops that read an array
//! by key ask for each key's entry a few keys early ([`for_each_key_ahead`]).

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

/// Keys ahead of the one handled whose data [`for_each_key_ahead`] asks for early:
/// enough to keep several reads from memory in flight.
const AHEAD: usize = 16;

/// As [`for_each_key`], first calling `ahead` with the key sixteen places on (see
/// [`fetch`]), so that `f`'s reads of arrays indexed by key overlap: for a sparse set
/// (a model number's ten thousand of a million machines) each read is a cache miss.
pub fn for_each_key_ahead(keys: &RoaringBitmap, ahead: impl FnMut(u32), f: impl FnMut(u32)) {
    for_each_ahead(keys.iter(), ahead, f);
}

/// As [`for_each_key_ahead`], over the keys an iterator of a bitmap gives (a range of
/// them: the half of a selection one thread browses).
pub fn for_each_ahead(
    mut iter: roaring::bitmap::Iter<'_>,
    mut ahead: impl FnMut(u32),
    mut f: impl FnMut(u32),
) {
    let mut batch = [0u32; BATCH];
    loop {
        let some = iter.next_many(&mut batch);
        if some.is_empty() {
            return;
        }
        some.iter().take(AHEAD).for_each(|&k| ahead(k));
        for (i, &k) in some.iter().enumerate() {
            if let Some(&later) = some.get(i + AHEAD) {
                ahead(later);
            }
            f(k);
        }
    }
}

/// Asks for the cache line holding `value` without waiting for it.
#[inline(always)]
pub fn fetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of x86_64, and a prefetch only hints the cache: it
        // reads nothing the program sees and cannot fault.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Asks for the cache line at `at` without waiting for it: for an element of a
/// buffer that is mutably borrowed elsewhere by the time it is used. No memory is
/// read, so `at` may point anywhere.
#[inline(always)]
pub fn fetch_at<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch only hints the cache: it reads nothing the program sees
        // and cannot fault, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(at.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys across batches and containers, dense and sparse.
    fn mixed_keys() -> RoaringBitmap {
        (0..1_000u32)
            .chain((70_000..80_000).step_by(3))
            .chain([u32::MAX - 1])
            .collect()
    }

    #[test]
    fn every_key_is_walked_once_in_order() {
        let keys = mixed_keys();
        let mut walked = Vec::new();
        for_each_key(&keys, |k| walked.push(k));
        assert_eq!(walked, keys.iter().collect::<Vec<_>>());
        for_each_key(&RoaringBitmap::new(), |_| panic!("no keys"));
    }

    #[test]
    fn walking_ahead_visits_every_key_once_in_order_and_looks_ahead_at_each() {
        let keys = mixed_keys();
        let (mut walked, mut looked) = (Vec::new(), Vec::new());
        for_each_key_ahead(&keys, |k| looked.push(k), |k| walked.push(k));
        let all: Vec<u32> = keys.iter().collect();
        assert_eq!(walked, all);
        // Each key is looked at once, before it is handled: in batch order.
        assert_eq!(looked, all);
        let few: RoaringBitmap = [3, 9].into_iter().collect();
        let order = std::cell::RefCell::new(Vec::new());
        for_each_key_ahead(
            &few,
            |k| order.borrow_mut().push(('a', k)),
            |k| order.borrow_mut().push(('f', k)),
        );
        assert_eq!(order.into_inner(), [('a', 3), ('a', 9), ('f', 3), ('f', 9)]);
    }
}
