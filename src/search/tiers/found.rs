//! Hits as the scan finds them and as they wait in their tiers, and how they get
//! their keys and languages.

use super::super::collect::{Rank, Ranked};
use super::super::columns::SegmentColumns;
use super::super::keyset::record_hit;
use super::{TierPass, LANG};
use crate::keys::fetch;
use tantivy::{DocAddress, DocId, Score};

/// A hit as the scan finds it.
#[derive(Clone, Copy)]
pub(super) struct Found {
    /// Its tier, without the language until its languages are read.
    pub(super) tier: u16,
    /// The classes its phrases might add, unchecked (low four bits), and the class
    /// bits its tier holds on that trust (high four bits).
    pub(super) unsure: u8,
    pub(super) segment: u32,
    pub(super) doc: DocId,
    /// Its machine key, once read.
    pub(super) key: u32,
}

impl Found {
    pub(super) fn sure(tier: u16, segment: u32, doc: DocId) -> Found {
        Found {
            tier,
            unsure: 0,
            segment,
            doc,
            key: 0,
        }
    }

    /// Files the hit, resolved, in its tier's list.
    fn file_in(self, filed: &mut [Vec<Entry>]) {
        filed[usize::from(self.tier)].push(self.entry());
    }

    pub(super) fn entry(&self) -> Entry {
        Entry {
            // `run` refuses more segments than fit.
            segment: self.segment as u16,
            doc: self.doc,
            key: self.key,
            unsure: self.unsure,
        }
    }
}

/// A hit filed in its tier.
#[derive(Clone, Copy, Default)]
pub(super) struct Entry {
    /// Its segment's ordinal: the tiers' lists hold every hit of a broad query
    /// (470,000 for `油圧ショベル` at 1M), so twelve bytes an entry, not sixteen.
    pub(super) segment: u16,
    pub(super) doc: DocId,
    pub(super) key: u32,
    /// As [`Found::unsure`].
    pub(super) unsure: u8,
}
const _: () = assert!(std::mem::size_of::<Entry>() == 12);

/// Documents ahead whose key and languages are fetched into the cache while a hit is
/// resolved: enough to keep several reads from memory in flight.
pub(super) const FETCH_AHEAD: usize = 16;

/// Gives the hits of one segment (`found[from..]`, tiers without the language) their
/// keys and languages: puts each key in the hit set, drops the hits outside the filter
/// and those of no machine, and returns how many are left.
pub(super) fn resolve(
    pass: &mut TierPass<'_>,
    cols: &SegmentColumns,
    found: &mut Vec<Found>,
    from: usize,
) -> usize {
    let mut kept = 0;
    each_resolved(pass, cols, &mut found[from..], |found, hit| {
        // Never ahead of the hit being read: `kept` counts those read and kept.
        found[kept] = hit;
        kept += 1;
    });
    found.truncate(from + kept);
    kept
}

/// As [`resolve`], and files the hits left in their tiers' lists, taking them out
/// of `found`.
pub(super) fn resolve_into(
    pass: &mut TierPass<'_>,
    cols: &SegmentColumns,
    found: &mut Vec<Found>,
    from: usize,
    filed: &mut [Vec<Entry>],
) -> usize {
    let mut kept = 0;
    each_resolved(pass, cols, &mut found[from..], |_, hit| {
        hit.file_in(filed);
        kept += 1;
    });
    found.truncate(from);
    kept
}

/// Calls `keep` with each of `found` that has a machine and passes the filter, its
/// key and language read, its key put in the hit set. The arrays are read in document
/// order, each read independent of the last, so that reads from memory overlap (a
/// hit's key read in the scan of the marks waited ~130 ns at 1M listings).
fn each_resolved(
    pass: &mut TierPass<'_>,
    cols: &SegmentColumns,
    found: &mut [Found],
    mut keep: impl FnMut(&mut [Found], Found),
) {
    for i in 0..found.len() {
        if let Some(ahead) = found.get(i + FETCH_AHEAD) {
            fetch(&cols.keys[ahead.doc as usize]);
            fetch(&cols.langs[ahead.doc as usize]);
        }
        let hit = found[i];
        let d = hit.doc;
        let key = cols.keys[d as usize];
        if !record_hit(pass.hits.as_deref_mut(), pass.filter, key) {
            continue;
        }
        let lang = if cols.langs[d as usize] & pass.lang_bits != 0 {
            LANG as u16
        } else {
            0
        };
        let resolved = Found {
            tier: hit.tier + lang,
            key,
            ..hit
        };
        keep(found, resolved);
    }
}

/// Files the resolved hits `found[from..]` in their tiers' lists, taking them out of
/// `found`.
pub(super) fn file(found: &mut Vec<Found>, from: usize, filed: &mut [Vec<Entry>]) {
    found.drain(from..).for_each(|hit| hit.file_in(filed));
}

pub(super) fn ranked(score: Score, key: u32, segment: u32, doc: DocId) -> Ranked {
    Ranked {
        rank: Rank::new(f64::from(score), key),
        score,
        key,
        address: DocAddress::new(segment, doc),
    }
}
