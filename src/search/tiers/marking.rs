//! Marking: each class's matches set a bit in a byte per document, and the hits'
//! tiers are raised by what ranking alone needs, looked up for the hits only.

use super::found::Found;
use std::ops::Range;
use tantivy::query::{Scorer, Weight};
use tantivy::{DocId, DocSet, SegmentReader, COLLECT_BLOCK_BUFFER_LEN, TERMINATED};

/// A strong word is looked up by a seek per hit when its matches outnumber the hits
/// this many times, else by scanning its matches.
const SEEK_SHARE: u64 = 8;

/// Sets `bit` in the marks of every document of `span` that `weight` matches in
/// `segment`.
pub(super) fn mark(
    weight: &dyn Weight,
    segment: &SegmentReader,
    span: &Range<DocId>,
    marks: &mut [u8],
    dirty: &mut [u64],
    bit: u8,
) -> tantivy::Result<()> {
    for_each_in(weight, segment, span, |d| {
        marks[d as usize] |= bit;
        note(dirty, d);
    })
}

/// Calls `each` with every document of `span` that `weight` matches in `segment`, in
/// order: the whole segment through tantivy's own listing, a part of it (a search
/// split between two threads) from a seek to its start to its end.
pub(super) fn for_each_in(
    weight: &dyn Weight,
    segment: &SegmentReader,
    span: &Range<DocId>,
    mut each: impl FnMut(DocId),
) -> tantivy::Result<()> {
    if span.start == 0 && span.end >= segment.max_doc() {
        return weight.for_each_no_score(segment, &mut |docs| docs.iter().for_each(|&d| each(d)));
    }
    let mut scorer = weight.scorer(segment, 1.0)?;
    if scorer.doc() < span.start {
        scorer.seek(span.start);
    }
    let mut buffer = [0; COLLECT_BLOCK_BUFFER_LEN];
    loop {
        let n = scorer.fill_buffer(&mut buffer);
        for &d in &buffer[..n] {
            if d >= span.end {
                return Ok(());
            }
            each(d);
        }
        if n < buffer.len() {
            return Ok(());
        }
    }
}

/// Calls `found` with each document of `span` in `segment` that all of `members` match and
/// `wanted` keeps; `ahead` is told of each listed document a batch before, to fetch
/// what `wanted` and `found` will read (the marks of a few hundred documents spread
/// over a million are a cache miss each: in `komatsu pc200-8`, half the time of
/// this function was waiting for them).
///
/// The shortest member's documents are listed, and the others are sought, by their
/// skip lists, only for the documents `wanted` keeps: a phrase's candidates that its
/// class already holds through a catalog entity (most of `油圧ショベル`'s, through
/// its category) are never looked up in its other terms' lists, where an
/// intersection would decode every one of them. Where another member has no
/// document before one further on, the listing skips ahead to it, as an
/// intersection does.
pub(super) fn for_each_of_all(
    members: &[Box<dyn Weight>],
    segment: &SegmentReader,
    span: &Range<DocId>,
    ahead: impl Fn(DocId),
    wanted: impl Fn(DocId) -> bool,
    mut found: impl FnMut(DocId),
) -> tantivy::Result<()> {
    let mut scorers = members
        .iter()
        .map(|m| m.scorer(segment, 1.0))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let Some(shortest) = (0..scorers.len()).min_by_key(|&i| scorers[i].size_hint()) else {
        return Ok(());
    };
    let mut lead = scorers.swap_remove(shortest);
    let mut buffer = [0; COLLECT_BLOCK_BUFFER_LEN];
    // No document before this one can be in all the members (nor before the span).
    let mut next: DocId = span.start;
    loop {
        if lead.doc() < next {
            lead.seek(next);
        }
        let n = lead.fill_buffer(&mut buffer);
        buffer[..n].iter().for_each(|&d| ahead(d));
        for &d in &buffer[..n] {
            if d >= span.end {
                return Ok(());
            }
            if d < next || !wanted(d) {
                continue;
            }
            let mut all = true;
            for other in scorers.iter_mut() {
                if other.doc() < d {
                    other.seek(d);
                }
                if other.doc() != d {
                    all = false;
                    next = other.doc();
                    break;
                }
            }
            if all {
                found(d);
            }
        }
        if n < buffer.len() || next == TERMINATED {
            return Ok(());
        }
    }
}

/// Notes in `dirty` that the word of marks holding `doc` has a bit set.
#[inline(always)]
pub(super) fn note(dirty: &mut [u64], doc: DocId) {
    let word = doc as usize / 8;
    dirty[word / 64] |= 1 << (word % 64);
}

/// Raises the tier of each of `hits` (one segment's, in document order) that `weight`
/// matches, by `raise` (a class bit is set, not added: a phrase may have set it).
pub(super) fn add_to_matches(
    weight: &dyn Weight,
    segment: &SegmentReader,
    hits: &mut [Found],
    raise: impl Fn(&mut u16),
) -> tantivy::Result<()> {
    let mut scorer = weight.scorer(segment, 1.0)?;
    let all = hits.len();
    for_each_matched(scorer.as_mut(), hits, None, all, |hit| raise(&mut hit.tier));
    Ok(())
}

/// Raises by `raise`, once, the tier of each of `hits` (one segment's, in document
/// order) that any of `members` matches: each member is looked up on its own, by
/// the cheaper of seeks and a walk for its own length, `held` noting the hits. The
/// longest member goes first, and the others are sought only for the hits it left:
/// a listing's title is in one or two of the language groups' title fields, so the
/// rest would each seek every hit for nothing.
pub(super) fn add_to_any(
    members: &[Box<dyn Weight>],
    segment: &SegmentReader,
    hits: &mut [Found],
    held: &mut Vec<bool>,
    raise: impl Fn(&mut u16),
) -> tantivy::Result<()> {
    held.clear();
    held.resize(hits.len(), false);
    let mut scorers = members
        .iter()
        .map(|m| m.scorer(segment, 1.0))
        .collect::<tantivy::Result<Vec<_>>>()?;
    scorers.sort_by_key(|s| std::cmp::Reverse(s.size_hint()));
    let mut open = hits.len();
    for scorer in &mut scorers {
        if open == 0 {
            break;
        }
        let mut newly = 0;
        for_each_matched(scorer.as_mut(), hits, Some(&mut held[..]), open, |_| {
            newly += 1
        });
        open -= newly;
    }
    for (hit, _) in hits.iter_mut().zip(held.iter()).filter(|(_, h)| **h) {
        raise(&mut hit.tier);
    }
    Ok(())
}

/// Calls `matched` with each of `hits` (one segment's, in document order) that
/// `scorer` matches: a seek per hit where its matches outnumber the `open` hits
/// [`SEEK_SHARE`] times, else one walk along its matches beside the hits (both in
/// document order). With `held`, only the `open` hits not held yet are sought,
/// and those matched are noted there.
fn for_each_matched(
    scorer: &mut dyn Scorer,
    hits: &mut [Found],
    mut held: Option<&mut [bool]>,
    open: usize,
    mut matched: impl FnMut(&mut Found),
) {
    if (open as u64) * SEEK_SHARE < u64::from(scorer.size_hint()) {
        for (at, hit) in hits.iter_mut().enumerate() {
            if held.as_deref().is_some_and(|h| h[at]) {
                continue;
            }
            let doc = hit.doc;
            if scorer.doc() < doc {
                scorer.seek(doc);
            }
            if scorer.doc() == doc {
                if let Some(held) = held.as_deref_mut() {
                    held[at] = true;
                }
                matched(hit);
            }
        }
        return;
    }
    // Whether hit `at` is still to be matched; noted as held if so.
    let mut take = |at: usize| match held.as_deref_mut() {
        Some(held) => !std::mem::replace(&mut held[at], true),
        None => true,
    };
    let mut buffer = [0; COLLECT_BLOCK_BUFFER_LEN];
    let mut at = 0;
    loop {
        let n = scorer.fill_buffer(&mut buffer);
        for &d in &buffer[..n] {
            while hits.get(at).is_some_and(|h| h.doc < d) {
                at += 1;
            }
            match hits.get_mut(at) {
                Some(hit) if hit.doc == d => {
                    if take(at) {
                        matched(hit);
                    }
                }
                Some(_) => {}
                None => return,
            }
        }
        if n < buffer.len() {
            return;
        }
    }
}

/// Counts in `counts` (zeroed first), per document of `span` in `segment`, how many of
/// `terms` it holds, calling `reached` with each document as its count reaches `need`.
pub(super) fn count_terms(
    terms: &[Box<dyn Weight>],
    need: u8,
    segment: &SegmentReader,
    span: &Range<DocId>,
    counts: &mut Vec<u8>,
    mut reached: impl FnMut(usize),
) -> tantivy::Result<()> {
    counts.clear();
    counts.resize(segment.max_doc() as usize, 0);
    for term in terms {
        for_each_in(term.as_ref(), segment, span, |d| {
            let c = &mut counts[d as usize];
            *c = c.saturating_add(1);
            if *c == need {
                reached(d as usize);
            }
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::prefix::PrefixQuery;
    use crate::search::tagged_index::{tagged_index, TaggedIndex};
    use tantivy::collector::DocSetCollector;
    use tantivy::query::{BooleanQuery, EnableScoring, Query, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::Term;

    /// GIVEN texts cycling through words, numbers that begin with `8` (more of them
    /// than a prefix merges as lists) and both, in two segments,
    /// WHEN the documents holding `wheel`, `loader` and a word beginning with `8` are
    /// listed with every third one unwanted (the segments whole, and each in two
    /// spans), and again with every one unwanted,
    /// THEN they are those of tantivy's intersection less the unwanted, and none.
    #[test]
    fn lists_what_an_intersection_lists_where_wanted() {
        let texts: Vec<String> = (0..12)
            .map(|i| match i % 4 {
                0 => format!("wheel loader 8{i}"),
                1 => format!("loader {}", 80 + i),
                2 => "wheel loader".to_string(),
                _ => format!("wheel 8{i} crane"),
            })
            .collect();
        let TaggedIndex { searcher, text, .. } = tagged_index(
            (0..500).map(|i| ("a", texts[i % texts.len()].as_str())),
            300,
        );
        assert_eq!(searcher.segment_readers().len(), 2);
        let term = |w: &str| Term::from_field_text(text, w);
        let members = || -> Vec<Box<dyn Query>> {
            vec![
                Box::new(TermQuery::new(term("wheel"), IndexRecordOption::Basic)),
                Box::new(TermQuery::new(term("loader"), IndexRecordOption::Basic)),
                Box::new(PrefixQuery::new(term("8"))),
            ]
        };
        let all = searcher
            .search(&BooleanQuery::intersection(members()), &DocSetCollector)
            .unwrap();
        assert!(all.len() > 50, "{} documents", all.len());
        let unscored = EnableScoring::disabled_from_searcher(&searcher);
        let weights: Vec<Box<dyn Weight>> = members()
            .iter()
            .map(|q| q.weight(unscored).unwrap())
            .collect();
        for (every_third, split) in [(true, false), (true, true), (false, false)] {
            let wanted = |d: DocId| every_third && !d.is_multiple_of(3);
            let mut listed = Vec::new();
            for (ord, segment) in searcher.segment_readers().iter().enumerate() {
                // Whole, or in two spans split inside a run of matches.
                let max = segment.max_doc();
                let cut = if split { 101 } else { max };
                for span in [0..cut, cut..max] {
                    for_each_of_all(
                        &weights,
                        segment,
                        &span,
                        |_| {},
                        wanted,
                        |d| listed.push(tantivy::DocAddress::new(ord as u32, d)),
                    )
                    .unwrap();
                }
            }
            let expected: Vec<_> = all.iter().copied().filter(|a| wanted(a.doc_id)).collect();
            let mut expected = expected;
            expected.sort();
            assert_eq!(
                listed, expected,
                "every third unwanted: {every_third}, split: {split}"
            );
        }
    }

    /// GIVEN texts holding `wheel`, `loader`, both or neither, in two segments,
    /// WHEN the hits (every document, or every 40th: a walk or seeks) are raised for
    /// the union of the two words' lists, member by member,
    /// THEN each hit holding either word is raised once, and no other.
    #[test]
    fn a_union_raises_each_hit_once() {
        let texts = ["wheel loader", "wheel", "loader", "crane"];
        let TaggedIndex { searcher, text, .. } =
            tagged_index((0..800).map(|i| ("a", texts[i % texts.len()])), 500);
        let unscored = EnableScoring::disabled_from_searcher(&searcher);
        let members: Vec<Box<dyn Weight>> = ["wheel", "loader"]
            .map(|w| {
                TermQuery::new(Term::from_field_text(text, w), IndexRecordOption::Basic)
                    .weight(unscored)
                    .unwrap()
            })
            .into();
        let mut held = Vec::new();
        for step in [1, 40] {
            for (ord, segment) in searcher.segment_readers().iter().enumerate() {
                let first = if ord == 0 { 0 } else { 500 };
                let mut hits: Vec<Found> = (0..segment.max_doc())
                    .step_by(step)
                    .map(|d| Found::sure(0, ord as u32, d))
                    .collect();
                add_to_any(&members, segment, &mut hits, &mut held, |t| *t += 1).unwrap();
                for hit in &hits {
                    let holds = (first + hit.doc as usize) % texts.len() != 3;
                    assert_eq!(hit.tier, u16::from(holds), "doc {} of {ord}", hit.doc);
                }
            }
        }
    }
}
