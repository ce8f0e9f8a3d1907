//! Every word of a query, each through any of its members: the class of every word
//! ([`super::words`]).
//!
//! Each word is a union (the word in any language group's text, the catalog
//! entities it names). As tantivy's intersection of tantivy's unions, the word with
//! the fewest listings leads and the others are sought at each of its documents; but a
//! union sought at documents a few hundred apart decodes every document of every
//! member into its window before it answers (`komatsu pc200-8`: the 4,700 listings of
//! `pc200-8` sought in the 100,000 of `komatsu`, a tenth of the search). Here the
//! leading word is walked as a union, which is what a union does best, and each other
//! word is asked member by member, by their skip lists, stopping at the first that
//! holds the document.
//!
//! Where every word is common (`air conditioning`: each word in at least its 248,000
//! hits at 1M listings), the lead is as long as the others and asking them costs a
//! seek per member at nearly every one of its documents. There each word's members are walked once instead, a bit per word
//! set in a byte per document, and the documents holding every bit become a bitset:
//! a byte written per posting rather than a union's window and seeks per document.
//! The bitset is worked out once per segment and search, shared by the cost estimate,
//! the pass and its second thread.

use super::explain::matched_score;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use tantivy::index::SegmentId;
use tantivy::query::{
    BitSetDocSet, BooleanQuery, ConstScorer, EmptyScorer, EnableScoring, Explanation, Occur, Query,
    Scorer, Weight,
};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, COLLECT_BLOCK_BUFFER_LEN, TERMINATED};

/// The words' lists are walked whole (see the [module docs](self)) when together they
/// hold at most this many times the lead's documents: asking the others costs a
/// union's step and a seek or more per lead document, a walk a byte written per
/// posting.
const WALK_WHOLE_WITHIN: u64 = 8;

/// Words walked whole set a bit each in a byte per document.
const MAX_WALKED_WORDS: usize = 8;

/// Documents matching every word, a word matching when any of its members does.
/// Scores 1 (it is meant for a constant-score class).
#[derive(Debug)]
pub struct AllWordsQuery {
    words: Vec<Vec<Box<dyn Query>>>,
    /// [`WALK_WHOLE_WITHIN`], or another bound for tests of either way.
    walk_whole_within: u64,
}

impl AllWordsQuery {
    /// Every one of `words`, each as the members of its union.
    pub fn new(words: Vec<Vec<Box<dyn Query>>>) -> AllWordsQuery {
        AllWordsQuery {
            words,
            walk_whole_within: WALK_WHOLE_WITHIN,
        }
    }
}

impl Clone for AllWordsQuery {
    fn clone(&self) -> Self {
        AllWordsQuery {
            words: self
                .words
                .iter()
                .map(|w| w.iter().map(|q| q.box_clone()).collect())
                .collect(),
            walk_whole_within: self.walk_whole_within,
        }
    }
}

impl Query for AllWordsQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let unscored = match scoring {
            EnableScoring::Enabled { searcher, .. } => {
                EnableScoring::disabled_from_searcher(searcher)
            }
            disabled => disabled,
        };
        let words = self
            .words
            .iter()
            .map(|members| {
                let union = BooleanQuery::new(
                    members
                        .iter()
                        .map(|q| (Occur::Should, q.box_clone()))
                        .collect(),
                )
                .weight(unscored)?;
                let members = members
                    .iter()
                    .map(|q| q.weight(unscored))
                    .collect::<tantivy::Result<_>>()?;
                Ok(WordWeight { union, members })
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(Box::new(AllWordsWeight {
            words,
            walk_whole_within: self.walk_whole_within,
            walked: Mutex::default(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for q in self.words.iter().flatten() {
            q.query_terms(visitor);
        }
    }
}

/// One word, weighed: as one union (to lead) and member by member (to be asked).
struct WordWeight {
    union: Box<dyn Weight>,
    members: Vec<Box<dyn Weight>>,
}

struct AllWordsWeight {
    words: Vec<WordWeight>,
    walk_whole_within: u64,
    /// Per segment, the documents holding every word where the words were walked
    /// whole, worked out by the first scorer that needs them.
    walked: Mutex<Vec<(SegmentId, Arc<OnceLock<BitSet>>)>>,
}

impl AllWordsWeight {
    /// The documents of `reader`'s segment holding every word, walked whole from
    /// `words` (each word's member scorers) the first time any scorer asks.
    fn walked(&self, reader: &SegmentReader, words: Vec<Vec<Box<dyn Scorer>>>) -> BitSet {
        let once = {
            let mut walked = self.walked.lock().unwrap_or_else(PoisonError::into_inner);
            let id = reader.segment_id();
            match walked.iter().find(|(s, _)| *s == id) {
                Some((_, once)) => Arc::clone(once),
                None => {
                    let once = Arc::default();
                    walked.push((id, Arc::clone(&once)));
                    once
                }
            }
        };
        once.get_or_init(|| holding_all(words, reader.max_doc()))
            .clone()
    }
}

/// The documents (below `max_doc`) that a member of each of `words` holds: every word
/// but the last sets its bit in a byte per document, then the last word's documents
/// holding every other bit are kept.
fn holding_all(mut words: Vec<Vec<Box<dyn Scorer>>>, max_doc: DocId) -> BitSet {
    let mut all = BitSet::with_max_value(max_doc);
    let Some(last) = words.pop() else {
        return all;
    };
    HELD.with_borrow_mut(|held| {
        held.clear();
        held.resize(max_doc as usize, 0);
        mark_all(words, last, held, &mut all);
    });
    all
}

thread_local! {
    /// The byte per document of [`holding_all`], kept per thread: a fresh one would
    /// be a zeroed allocation of a megabyte per search at a million listings.
    static HELD: RefCell<Vec<u8>> = RefCell::default();
}

/// [`holding_all`] in `held` (all zero, a byte per document).
fn mark_all(
    mut words: Vec<Vec<Box<dyn Scorer>>>,
    last: Vec<Box<dyn Scorer>>,
    held: &mut [u8],
    all: &mut BitSet,
) {
    let mut buffer = [0; COLLECT_BLOCK_BUFFER_LEN];
    let mut walk = |member: &mut Box<dyn Scorer>, each: &mut dyn FnMut(DocId)| loop {
        let n = member.fill_buffer(&mut buffer);
        buffer[..n].iter().for_each(|&d| each(d));
        if n < buffer.len() {
            break;
        }
    };
    for (i, members) in words.iter_mut().enumerate() {
        let bit = 1u8 << i;
        for member in members {
            walk(member, &mut |d| held[d as usize] |= bit);
        }
    }
    let every = ((1u16 << words.len()) - 1) as u8;
    for mut member in last {
        walk(&mut member, &mut |d| {
            if held[d as usize] == every {
                all.insert(d);
            }
        });
    }
}

impl Weight for AllWordsWeight {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut asked = Vec::with_capacity(self.words.len());
        for word in &self.words {
            let mut members = word
                .members
                .iter()
                .map(|m| m.scorer(reader, 1.0))
                .collect::<tantivy::Result<Vec<_>>>()?;
            // The longest lists first: the likeliest to hold a document asked for
            // (`komatsu`'s maker entity, before the word in each language's text).
            members.sort_by_key(|m| std::cmp::Reverse(m.size_hint()));
            let size = members
                .iter()
                .map(|m| u64::from(m.size_hint()))
                .sum::<u64>();
            asked.push((size, AnyOf { members }));
        }
        let Some(lead) = (0..asked.len()).min_by_key(|&i| asked[i].0) else {
            return Ok(Box::new(EmptyScorer));
        };
        let together: u64 = asked.iter().map(|(size, _)| size).sum();
        if asked.len() <= MAX_WALKED_WORDS
            && together <= asked[lead].0.saturating_mul(self.walk_whole_within)
        {
            // The smallest word last: its documents are the ones tested.
            let last = asked.len() - 1;
            asked.swap(lead, last);
            let words = asked.into_iter().map(|(_, any)| any.members).collect();
            let all = self.walked(reader, words);
            return Ok(Box::new(ConstScorer::new(BitSetDocSet::from(all), 1.0)));
        }
        asked.swap_remove(lead);
        let mut scorer = AllWordsScorer {
            lead: self.words[lead].union.scorer(reader, 1.0)?,
            others: asked.into_iter().map(|(_, any)| any).collect(),
            doc: TERMINATED,
        };
        scorer.settle();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        matched_score(self, reader, doc, || {
            format!("document {doc} does not hold every word")
        })?;
        Ok(Explanation::new("every word", 1.0))
    }
}

/// A word asked document by document: its members, each moved only forward.
struct AnyOf {
    members: Vec<Box<dyn Scorer>>,
}

impl AnyOf {
    /// Whether a member holds `doc`; documents must be asked in increasing order.
    fn holds(&mut self, doc: DocId) -> bool {
        self.members.iter_mut().any(|m| {
            if m.doc() < doc {
                m.seek(doc);
            }
            m.doc() == doc
        })
    }
}

struct AllWordsScorer {
    lead: Box<dyn Scorer>,
    others: Vec<AnyOf>,
    doc: DocId,
}

impl AllWordsScorer {
    /// Moves the lead to its first document, from where it stands, that every other
    /// word holds.
    fn settle(&mut self) -> DocId {
        loop {
            let d = self.lead.doc();
            if d == TERMINATED || self.others.iter_mut().all(|o| o.holds(d)) {
                self.doc = d;
                return d;
            }
            self.lead.advance();
        }
    }
}

impl DocSet for AllWordsScorer {
    fn advance(&mut self) -> DocId {
        self.lead.advance();
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        self.lead.seek(target);
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.lead.size_hint()
    }
}

impl Scorer for AllWordsScorer {
    fn score(&mut self) -> Score {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::tagged_index::{tagged_index, TaggedIndex};
    use tantivy::collector::DocSetCollector;
    use tantivy::query::TermQuery;
    use tantivy::schema::IndexRecordOption;
    use tantivy::Term;

    /// GIVEN listings whose tag and text hold words in every combination, in two
    /// segments,
    /// WHEN every word is asked for, each word matching in the text or through a tag,
    /// THEN the documents are those of tantivy's intersection of the words' unions,
    /// whichever word has the fewest, the lead asking the others or every word
    /// walked whole.
    #[test]
    fn matches_what_an_intersection_of_unions_matches() {
        let texts = [
            "komatsu pc200",
            "pc200 crane",
            "komatsu",
            "hitachi zx135",
            "komatsu crane pc200",
            "crane",
        ];
        let TaggedIndex {
            searcher,
            tag,
            text,
        } = tagged_index(
            (0..900).map(|i| {
                let t = if i % 7 == 0 { "komatsu" } else { "other" };
                (t, texts[i % texts.len()])
            }),
            400,
        );
        let term = |f, w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f, w),
                IndexRecordOption::Basic,
            ))
        };
        let words = |which: &[&str]| -> Vec<Vec<Box<dyn Query>>> {
            which
                .iter()
                .map(|w| vec![term(text, w), term(tag, w)])
                .collect()
        };
        for which in [
            &["komatsu", "pc200"][..],
            &["pc200", "komatsu", "crane"],
            &["crane"],
            &["hitachi", "komatsu"],
        ] {
            // Led by the word of fewest listings, and walked whole.
            let [led, walked] = [0, u64::MAX].map(|bound| {
                let query = AllWordsQuery {
                    walk_whole_within: bound,
                    ..AllWordsQuery::new(words(which))
                };
                searcher.search(&query, &DocSetCollector).unwrap()
            });
            let unions: Vec<Box<dyn Query>> = words(which)
                .into_iter()
                .map(|members| {
                    Box::new(BooleanQuery::new(
                        members.into_iter().map(|q| (Occur::Should, q)).collect(),
                    )) as Box<dyn Query>
                })
                .collect();
            let theirs = searcher
                .search(&BooleanQuery::intersection(unions), &DocSetCollector)
                .unwrap();
            assert_eq!(led, theirs, "{which:?}");
            assert_eq!(walked, theirs, "{which:?}");
            assert!(!led.is_empty(), "{which:?}");
        }
    }
}
