//! Marking: each class's matches set a bit in a byte per document, and the hits'
//! tiers are raised by what ranking alone needs, looked up for the hits only.

use super::found::Found;
use super::NGRAM;
use tantivy::query::Weight;
use tantivy::{DocId, DocSet, SegmentReader, COLLECT_BLOCK_BUFFER_LEN};

/// A strong word is looked up by a seek per hit when its matches outnumber the hits
/// this many times, else by scanning its matches.
const SEEK_SHARE: u64 = 8;

/// Sets `bit` in the marks of every document `weight` matches in `segment`.
pub(super) fn mark(
    weight: &dyn Weight,
    segment: &SegmentReader,
    marks: &mut [u8],
    dirty: &mut [u64],
    bit: u8,
) -> tantivy::Result<()> {
    weight.for_each_no_score(segment, &mut |docs| {
        for &d in docs {
            marks[d as usize] |= bit;
            note(dirty, d);
        }
    })
}

/// Notes in `dirty` that the word of marks holding `doc` has a bit set.
#[inline(always)]
pub(super) fn note(dirty: &mut [u64], doc: DocId) {
    let word = doc as usize / 8;
    dirty[word / 64] |= 1 << (word % 64);
}

/// Raises the tier of each of `hits` (one segment's, in document order) that `weight`
/// matches, by `raise` (a class bit is set, not added: a phrase may have set it): a
/// seek per hit where its matches outnumber the hits [`SEEK_SHARE`] times, else one
/// walk along its matches beside the hits (both in document order).
pub(super) fn add_to_matches(
    weight: &dyn Weight,
    segment: &SegmentReader,
    hits: &mut [Found],
    raise: impl Fn(&mut u16),
) -> tantivy::Result<()> {
    let mut scorer = weight.scorer(segment, 1.0)?;
    if (hits.len() as u64) * SEEK_SHARE < u64::from(scorer.size_hint()) {
        for hit in hits.iter_mut() {
            let doc = hit.doc;
            if scorer.doc() < doc {
                scorer.seek(doc);
            }
            if scorer.doc() == doc {
                raise(&mut hit.tier);
            }
        }
    } else {
        let mut buffer = [0; COLLECT_BLOCK_BUFFER_LEN];
        let mut at = 0;
        loop {
            let n = scorer.fill_buffer(&mut buffer);
            for &d in &buffer[..n] {
                while hits.get(at).is_some_and(|h| h.doc < d) {
                    at += 1;
                }
                match hits.get_mut(at) {
                    Some(hit) if hit.doc == d => raise(&mut hit.tier),
                    Some(_) => {}
                    None => return Ok(()),
                }
            }
            if n < buffer.len() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Adds the n-gram bit to the tier of each of `hits` (one segment's, in document
/// order) that holds at least `need` of `terms`: a seek per hit and term where the
/// terms' matches outnumber those seeks [`SEEK_SHARE`] times, else a count over
/// their matches in `counts`.
pub(super) fn add_to_counted(
    terms: &[Box<dyn Weight>],
    need: u8,
    segment: &SegmentReader,
    hits: &mut [Found],
    counts: &mut Vec<u8>,
) -> tantivy::Result<()> {
    let mut scorers = terms
        .iter()
        .map(|t| t.scorer(segment, 1.0))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let matches: u64 = scorers.iter().map(|s| u64::from(s.size_hint())).sum();
    if (hits.len() * terms.len()) as u64 * SEEK_SHARE < matches {
        for hit in hits.iter_mut() {
            let doc = hit.doc;
            let mut held = 0u8;
            for scorer in scorers.iter_mut() {
                if scorer.doc() < doc {
                    scorer.seek(doc);
                }
                held += u8::from(scorer.doc() == doc);
            }
            if held >= need {
                hit.tier |= u16::from(NGRAM);
            }
        }
    } else {
        count_terms(terms, need, segment, counts, |_| {})?;
        for hit in hits.iter_mut() {
            if counts[hit.doc as usize] >= need {
                hit.tier |= u16::from(NGRAM);
            }
        }
    }
    Ok(())
}

/// Counts in `counts` (zeroed first), per document of `segment`, how many of `terms`
/// it holds, calling `reached` with each document as its count reaches `need`.
pub(super) fn count_terms(
    terms: &[Box<dyn Weight>],
    need: u8,
    segment: &SegmentReader,
    counts: &mut Vec<u8>,
    mut reached: impl FnMut(usize),
) -> tantivy::Result<()> {
    counts.clear();
    counts.resize(segment.max_doc() as usize, 0);
    for term in terms {
        term.for_each_no_score(segment, &mut |docs| {
            for &d in docs {
                let c = &mut counts[d as usize];
                *c = c.saturating_add(1);
                if *c == need {
                    reached(d as usize);
                }
            }
        })?;
    }
    Ok(())
}
