//! Finding a search's hits in a span of every segment: each class marked, the marks
//! scanned into hits filed by tier, then what only ranks them looked up for the hits.

use super::found::{file, resolve, resolve_into, Found};
use super::marking::{add_to_any, add_to_matches, count_terms, for_each_of_all, mark, note};
use super::{
    Half, NgramMarking, Shared, TierPass, TierScratch, TieredQuery, ANY_NAMED, BATCH, MARKS, NAMED,
    NGRAM, NO_HIT, TITLE,
};
use crate::keys::{fetch, fetch_at};
use crate::search::unsure::PhraseChecks;
use std::cell::Cell;
use tantivy::DocId;

impl TieredQuery {
    /// Marks and files the hits of `half` of every segment, by tier in
    /// `scratch.filed` (or, for a value order, in `scratch.found`), their keys in
    /// `pass.hits`; returns how many pass the filter, and whether any is filed on
    /// trust (then it may move to a tier of no hits).
    pub(super) fn find(
        &self,
        shared: &Shared<'_>,
        half: Half,
        pass: &mut TierPass<'_>,
        scratch: &mut TierScratch,
    ) -> tantivy::Result<(usize, bool)> {
        let searcher = shared.searcher;
        scratch.found.clear();
        scratch.clear_filed(searcher.num_docs() as usize);
        // Where nothing after the scan raises hits' tiers (strong words, classes that
        // only rank), each batch of hits is filed as soon as it is resolved.
        let direct = pass.order.is_none()
            && self.strong.is_empty()
            && shared.ranking_only == 0
            && !(self.ngram.is_some() && shared.ngram_ranks_only);
        scratch
            .ngram_scores
            .resize_with(searcher.segment_readers().len(), Vec::new);
        let mut checks = PhraseChecks::new(shared.phrases.clone());
        let (mut total, mut any_unsure) = (0usize, false);
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let cols = &shared.columns[ord];
            let span = half.span(segment.max_doc());
            let segment_start = scratch.found.len();
            // Marks are all zero between uses (the scan below clears what it reads):
            // a segment only pays for the documents its query marks.
            let span_len = (segment.max_doc() as usize).div_ceil(8) * 8;
            if scratch.marks.len() < span_len {
                scratch.marks.resize(span_len, 0);
            }
            // A query without phrases has nothing unsure: no array to read.
            let unsure_span = if shared.phrases.is_empty() {
                0
            } else {
                span_len
            };
            if scratch.unsure.len() < unsure_span {
                scratch.unsure.resize(unsure_span, 0);
            }
            let dirty_span = (span_len / 8).div_ceil(64);
            if scratch.dirty.len() < dirty_span {
                scratch.dirty.resize(dirty_span, 0);
            }
            let marks = &mut scratch.marks[..span_len];
            let unsure = &mut scratch.unsure[..unsure_span];
            let dirty = &mut scratch.dirty[..dirty_span];
            for (i, (_, entities)) in self.named.iter().enumerate() {
                for weight in entities {
                    mark(weight.as_ref(), segment, &span, marks, dirty, NAMED << i)?;
                }
            }
            for (i, class) in self.classes.iter().enumerate() {
                let bit = 1u8 << i;
                if shared.ranking_only & bit != 0 {
                    continue;
                }
                for member in &class.cheap {
                    mark(member.as_ref(), segment, &span, marks, dirty, bit)?;
                }
                // Already in the class: its own bit, or its named entities' bit.
                let covered = self
                    .named
                    .iter()
                    .enumerate()
                    .filter(|(_, (class_bit, _))| *class_bit == bit)
                    .fold(bit, |c, (j, _)| c | (NAMED << j));
                // Candidates not in the class yet are only unsure of it: their
                // positions are read if they could reach the page.
                for phrase in &class.costly {
                    let unsure_at = unsure.as_ptr();
                    for_each_of_all(
                        &phrase.candidates,
                        segment,
                        &span,
                        |d| {
                            fetch(&marks[d as usize]);
                            fetch_at(unsure_at.wrapping_add(d as usize));
                        },
                        |d| marks[d as usize] & covered == 0,
                        |d| {
                            unsure[d as usize] |= bit;
                            note(dirty, d);
                        },
                    )?;
                }
            }
            // A title of one term is a walk of its list, as cheap as testing each
            // listing; one of several terms is sought only for listings no named
            // entity made strong (see `TieredQuery::title`).
            for terms in &self.title {
                match terms.as_slice() {
                    [one] => mark(one.as_ref(), segment, &span, marks, dirty, TITLE)?,
                    all => {
                        let cells = Cell::from_mut(&mut *marks).as_slice_of_cells();
                        for_each_of_all(
                            all,
                            segment,
                            &span,
                            |d| fetch(&cells[d as usize]),
                            |d| cells[d as usize].get() & ANY_NAMED == 0,
                            |d| {
                                let mark = &cells[d as usize];
                                mark.set(mark.get() | TITLE);
                                note(dirty, d);
                            },
                        )?;
                    }
                }
            }
            match self.ngram.as_ref().filter(|_| !shared.ngram_ranks_only) {
                None => {}
                Some((NgramMarking::Match(_), scored)) => {
                    // Scored as they are marked: a listing of an n-gram tier then
                    // costs a read, not a seek per term.
                    let scores = &mut scratch.ngram_scores[ord];
                    scores.resize(segment.max_doc() as usize, 0.0);
                    scored
                        .segment_terms(segment)?
                        .for_each_holding_all(&span, |d, score| {
                            marks[d as usize] |= NGRAM;
                            note(dirty, d);
                            scores[d as usize] = score;
                        });
                }
                Some((NgramMarking::Count { terms, need }, _)) => {
                    count_terms(terms, *need, segment, &span, &mut scratch.counts, |d| {
                        marks[d] |= NGRAM;
                        note(dirty, d as DocId);
                    })?;
                }
            }
            let alive = segment.alive_bitset();
            let found = &mut scratch.found;
            let filed = &mut scratch.filed;
            // First the marked documents alone, in document order, marks cleared as
            // they are read: eight at a time, only the words the summary names. Their
            // keys are read after, in a loop of independent loads (`resolve`): read
            // here, each key would wait for memory in turn.
            for (at, summary) in dirty.iter_mut().enumerate() {
                let mut words = std::mem::take(summary);
                while words != 0 {
                    let w = at * 64 + words.trailing_zeros() as usize;
                    words &= words - 1;
                    let chunk = &mut marks[w * 8..w * 8 + 8];
                    let word = u64::from_le_bytes((&*chunk).try_into().expect("eight bytes"));
                    let doubts = match unsure.get_mut(w * 8..w * 8 + 8) {
                        Some(doubt) => {
                            let doubts = u64::from_le_bytes((&*doubt).try_into().expect("eight"));
                            if doubts != 0 {
                                doubt.fill(0);
                            }
                            doubts
                        }
                        None => 0,
                    };
                    if direct && found.len() >= BATCH {
                        total += resolve_into(pass, cols, found, segment_start, filed);
                    }
                    if doubts == 0 {
                        if word == 0 {
                            continue;
                        }
                        chunk.fill(0);
                        // Written whether a hit or not, kept by the count: one growth
                        // check per eight documents, not a branch per document. All
                        // eight are appended, then cut to those kept: a copy of a
                        // known size is a few moves, where one of `kept` is a call
                        // to `memcpy` (6 % of `挖掘机`'s time).
                        let mut eight = [Found::sure(NO_HIT, 0, 0); 8];
                        let mut kept = 0;
                        for (j, raw) in word.to_le_bytes().into_iter().enumerate() {
                            let tier = shared.tiers[usize::from(raw)];
                            let d = (w * 8 + j) as DocId;
                            eight[kept] = Found::sure(tier, ord as u32, d);
                            kept +=
                                usize::from(tier != NO_HIT && alive.is_none_or(|a| a.is_alive(d)));
                        }
                        let len = found.len();
                        found.extend_from_slice(&eight);
                        found.truncate(len + kept);
                        continue;
                    }
                    chunk.fill(0);
                    for (j, (raw, doubt)) in word
                        .to_le_bytes()
                        .into_iter()
                        .zip(doubts.to_le_bytes())
                        .enumerate()
                    {
                        let tier = shared.tiers[usize::from(raw)];
                        let d = (w * 8 + j) as DocId;
                        if (doubt == 0 && tier == NO_HIT) || alive.is_some_and(|a| !a.is_alive(d)) {
                            continue;
                        }
                        if doubt == 0 {
                            found.push(Found::sure(tier, ord as u32, d));
                            continue;
                        }
                        let best =
                            shared.tiers[usize::from(raw | shared.could_earn[usize::from(doubt)])];
                        if best == NO_HIT {
                            continue;
                        }
                        if tier != NO_HIT {
                            // A hit whatever its phrases: filed at its best tier, the
                            // class bits it holds on trust noted.
                            let trusted = (best - tier) as u8;
                            any_unsure = true;
                            found.push(Found {
                                tier: best,
                                unsure: doubt | trusted << 4,
                                segment: ord as u32,
                                doc: d,
                                key: 0,
                            });
                            continue;
                        }
                        // Only a phrase can make it a hit: checked now.
                        let earned = checks.earned(segment, ord as u32, d, doubt)?;
                        let tier = shared.tiers[usize::from(raw | earned)];
                        if tier != NO_HIT {
                            found.push(Found::sure(tier, ord as u32, d));
                        }
                    }
                }
            }
            if direct {
                total += resolve_into(pass, cols, found, segment_start, filed);
                continue;
            }
            total += resolve(pass, cols, found, segment_start);
            if pass.order.is_some() {
                // A page in a value order: what only ranks hits is not looked up, and
                // every hit is kept in `found` for the order to choose from.
                continue;
            }
            // Strong words are looked up for the hits alone: where hits are few
            // (`komatsu pc200-8` among 100,000 Komatsu listings) a seek each, in
            // document order; where they are many, one walk along the word's matches.
            let hits = &mut found[segment_start..];
            for (i, class) in self.classes.iter().enumerate() {
                let bit = 1u8 << i;
                if shared.ranking_only & bit == 0 {
                    continue;
                }
                for member in &class.cheap {
                    add_to_matches(member.as_ref(), segment, hits, |t| *t |= u16::from(bit))?;
                }
            }
            for members in &self.strong {
                add_to_any(members, segment, hits, &mut scratch.held, |t| {
                    *t += MARKS as u16
                })?;
            }
            match self.ngram.as_ref().filter(|_| shared.ngram_ranks_only) {
                None => {}
                Some((NgramMarking::Match(unscored), _)) => {
                    add_to_matches(unscored.as_ref(), segment, hits, |t| *t |= u16::from(NGRAM))?;
                }
                // Counted only for the hits ranking reaches (`Shared::ngram_on_trust`).
                Some((NgramMarking::Count { .. }, _)) => {
                    for hit in hits.iter_mut() {
                        hit.tier |= u16::from(NGRAM);
                    }
                }
            }
            file(found, segment_start, filed);
        }
        Ok((total, any_unsure))
    }
}
