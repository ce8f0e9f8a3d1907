//! Phrase checks put off until a hit could reach the page.
//!
//! Reading positions is the costly part of a phrase: `air conditioning` at a million
//! listings checked 89,000 candidates in its largest segment alone (10 ms). Yet a
//! phrase of several words rarely decides whether a listing is a hit at all: its
//! candidates hold every word, so the class of every word already makes them hits.
//! What the phrase decides is the tier. So the tiered ranking marks a phrase's
//! candidates as *unsure* of its class instead of checking them, files such a hit in
//! the tier it would have if every unsure phrase matched (a bound on its score), and
//! checks the phrases only when that bound would put the hit on the page; a hit whose
//! phrases fail moves down to the tier it really has. A hit that only an unsure phrase
//! could make is checked at once, so totals, hit sets and facets never depend on what
//! was put off.

use super::tiers::TierPhrase;
use tantivy::query::Scorer;
use tantivy::{DocId, SegmentReader, TERMINATED};

/// The phrases of a tiered query, each with the bit of its class, checked document by
/// document in ascending order within a segment (starting over where they go back).
pub struct PhraseChecks<'q> {
    phrases: Vec<(u8, &'q TierPhrase)>,
    /// The segment the scorers read, and the scorers, opened as first needed.
    segment: Option<u32>,
    scorers: Vec<Option<Opened>>,
}

/// A phrase's scorer in the current segment.
struct Opened {
    /// The last document asked about.
    last: DocId,
    /// Whether the phrase matches nothing in the segment (then it is never opened
    /// again there).
    empty: bool,
    scorer: Box<dyn Scorer>,
}

impl<'q> PhraseChecks<'q> {
    /// Checks for `phrases` (each with its class bit), in the order given: a phrase
    /// of an earlier class can put a listing in a later one (a phrase is its own
    /// prefix), which then needs no check of its own.
    pub fn new(phrases: Vec<(u8, &'q TierPhrase)>) -> PhraseChecks<'q> {
        let scorers = phrases.iter().map(|_| None).collect();
        PhraseChecks {
            phrases,
            segment: None,
            scorers,
        }
    }

    /// The class bits of `unsure` (and the classes their phrases imply) that
    /// document `doc` of segment `ord` earns by a phrase.
    pub fn earned(
        &mut self,
        segment: &SegmentReader,
        ord: u32,
        doc: DocId,
        unsure: u8,
    ) -> tantivy::Result<u8> {
        if self.segment != Some(ord) {
            self.scorers.iter_mut().for_each(|s| *s = None);
            self.segment = Some(ord);
        }
        let mut earned = 0u8;
        for ((bit, phrase), slot) in self.phrases.iter().zip(&mut self.scorers) {
            if unsure & bit == 0 || earned & bit != 0 {
                continue;
            }
            // Postings only go forward: a document before the last one asked about
            // opens the phrase again.
            if slot.as_ref().is_some_and(|o| o.last > doc && !o.empty) {
                *slot = None;
            }
            let opened = match slot {
                Some(o) => o,
                None => {
                    let scorer = phrase.exact.scorer(segment, 1.0)?;
                    slot.insert(Opened {
                        last: doc,
                        empty: scorer.doc() == TERMINATED,
                        scorer,
                    })
                }
            };
            if opened.empty {
                continue;
            }
            opened.last = doc;
            if opened.scorer.doc() < doc {
                opened.scorer.seek(doc);
            }
            if opened.scorer.doc() == doc {
                earned |= bit | phrase.also;
            }
        }
        Ok(earned)
    }
}

/// For each set of unsure classes (four bits), every class bit their phrases could
/// give: the classes themselves and what their phrases imply.
pub fn could_earn(phrases: &[(u8, &TierPhrase)]) -> [u8; 16] {
    std::array::from_fn(|unsure| {
        phrases
            .iter()
            .filter(|(bit, _)| unsure as u8 & bit != 0)
            .fold(0, |all, (bit, p)| all | bit | p.also)
    })
}

#[cfg(test)]
mod tests {
    use crate::search::collect::Collected;
    use crate::search::collect::Rank;
    use crate::search::columns::SegmentColumns;
    use crate::search::keyset::KeySet;
    use crate::search::tagged_index::{tagged_index, TaggedIndex};
    use crate::search::tiers::{
        TierClass, TierHelper, TierPass, TierPhrase, TierScratch, TieredQuery,
    };
    use std::sync::Arc;
    use tantivy::collector::DocSetCollector;
    use tantivy::query::{
        EnableScoring, Explanation, PhraseQuery, Query, Scorer, TermQuery, Weight,
    };
    use tantivy::schema::IndexRecordOption;
    use tantivy::{DocId, Score, Searcher, SegmentReader, TantivyError, Term};

    /// GIVEN two segments of listings tagged `a` or `b` whose texts hold `wheel
    /// loader` as a phrase, its words apart, or neither, and a query of two classes:
    /// the phrase `wheel loader` (worth 4, implying the second class) and tag `a`
    /// (worth 2); WHEN the tiered ranking runs with the phrase class alone required
    /// (a candidate is a hit only if its phrase matches: checked at once), both
    /// required (a tagged candidate is a hit whatever its phrase: checked only if it
    /// could reach the page, moved down if it fails), or none, for pages of 1, 5 and
    /// every hit; THEN totals, hit sets and the ranked keys and scores equal those of
    /// every listing scored by hand. In the second catalog every tagged listing is a
    /// candidate, so those whose phrase fails move down to a tier that had no hits.
    /// AND a search failing half way leaves its buffers clear for the next one.
    #[test]
    fn putting_phrase_checks_off_changes_no_answer() {
        let mixed = [
            "wheel loader",
            "loader wheel",
            "a wheel and a loader",
            "crane",
        ];
        answers_equal_scoring_by_hand(&mixed, 100, 134);
        answers_equal_scoring_by_hand(&["wheel loader", "loader wheel"], 200, 134);
    }

    /// The test above for a catalog cycling through `texts`, whose phrase and tag
    /// match `phrases` and `tags_a` listings.
    fn answers_equal_scoring_by_hand(texts: &[&str], phrases: usize, tags_a: usize) {
        let tags = (0..400usize).map(|i| if i % 3 == 0 { "a" } else { "b" });
        let TaggedIndex {
            searcher,
            tag,
            text,
        } = tagged_index(tags.zip(texts.iter().copied().cycle()), 200);
        assert_eq!(searcher.segment_readers().len(), 2);
        let term = |f, w: &str| Term::from_field_text(f, w);
        let tagged = || TermQuery::new(term(tag, "a"), IndexRecordOption::Basic);
        let phrase = || PhraseQuery::new(vec![term(text, "wheel"), term(text, "loader")]);
        let both = || {
            ["wheel", "loader"].map(|w| {
                TermQuery::new(term(text, w), IndexRecordOption::Basic)
                    .weight(EnableScoring::disabled_from_searcher(&searcher))
                    .unwrap()
            })
        };
        let unscored = EnableScoring::disabled_from_searcher(&searcher);
        let query = |required: u8| TieredQuery {
            classes: vec![
                TierClass {
                    score: 4.0,
                    cheap: Vec::new(),
                    costly: vec![TierPhrase {
                        candidates: both().into(),
                        exact: phrase().weight(unscored).unwrap(),
                        also: 0b10,
                    }],
                },
                TierClass {
                    score: 2.0,
                    cheap: vec![tagged().weight(unscored).unwrap()],
                    costly: Vec::new(),
                },
            ],
            required,
            named: Vec::new(),
            title: Vec::new(),
            strong: Vec::new(),
            field_unit: 0.0,
            ngram: None,
            ngram_max: 0.0,
        };
        // Keys: segment 0's documents first, then segment 1's.
        let columns: Vec<Arc<SegmentColumns>> = [0u32, 200]
            .iter()
            .map(|&first| {
                Arc::new(SegmentColumns {
                    keys: (first..first + 200).collect(),
                    langs: vec![0; 200],
                    sorts: Default::default(),
                })
            })
            .collect();
        let keys_of = |q: &dyn Query, s: &Searcher| -> Vec<u32> {
            s.search(q, &DocSetCollector)
                .unwrap()
                .into_iter()
                .map(|a| a.segment_ord * 200 + a.doc_id)
                .collect()
        };
        let in_phrase = keys_of(&phrase(), &searcher);
        let in_tag = keys_of(&tagged(), &searcher);
        assert_eq!((in_phrase.len(), in_tag.len()), (phrases, tags_a));

        let mut scratch = TierScratch::default();
        for required in [0b01u8, 0b11, 0] {
            // By hand: a phrase match is in both classes.
            let mut expected: Vec<(Rank, f32, u32)> = (0..400u32)
                .filter_map(|k| {
                    let first = in_phrase.contains(&k);
                    let second = first || in_tag.contains(&k);
                    let hit = if required == 0 {
                        first || second
                    } else {
                        (first && required & 1 != 0) || (second && required & 2 != 0)
                    };
                    let score = if first { 4.0 } else { 0.0 } + if second { 2.0 } else { 0.0 };
                    hit.then_some((Rank::new(f64::from(score), k), score, k))
                })
                .collect();
            expected.sort_by_key(|e| std::cmp::Reverse(e.0));
            assert!(!expected.is_empty());
            // On one thread, and split between two.
            for (page, split) in [1, 5, 400]
                .into_iter()
                .flat_map(|p| [(p, false), (p, true)])
            {
                let mut hits = KeySet::default();
                let (mut their_scratch, mut their_hits) =
                    (TierScratch::default(), KeySet::default());
                let helper = split.then_some(TierHelper {
                    scratch: &mut their_scratch,
                    hits: &mut their_hits,
                });
                let got = query(required)
                    .run(
                        &searcher,
                        &columns,
                        TierPass {
                            lang_bits: 0,
                            lang_bonus: 0.0,
                            top: page,
                            filter: None,
                            hits: Some(&mut hits),
                            order: None,
                        },
                        &mut scratch,
                        helper,
                    )
                    .unwrap();
                assert_eq!(
                    got.total,
                    expected.len(),
                    "required {required:b}, split {split}"
                );
                for k in 0..400 {
                    let want = expected.iter().any(|e| e.2 == k);
                    assert_eq!(hits.contains(k), want, "key {k}, required {required:b}");
                }
                let ranked: Vec<(u32, f32)> = got.top.iter().map(|r| (r.key, r.score)).collect();
                let want: Vec<(u32, f32)> =
                    expected.iter().take(page).map(|e| (e.2, e.1)).collect();
                assert_eq!(
                    ranked, want,
                    "required {required:b}, page {page}, split {split}"
                );
            }
        }

        // A search that fails half way (a read error once its classes are marked)
        // leaves no mark behind: the next search in the same buffers, which marks
        // only the phrase's class, answers as one in fresh buffers.
        let all = || TierPass {
            lang_bits: 0,
            lang_bonus: 0.0,
            top: 400,
            filter: None,
            hits: None,
            order: None,
        };
        let failing = TieredQuery {
            title: vec![vec![Box::new(FailingRead)]],
            ..query(0)
        };
        assert!(failing
            .run(&searcher, &columns, all(), &mut scratch, None)
            .is_err());
        let phrase_only = || {
            let mut q = query(0);
            q.classes.truncate(1);
            q
        };
        let ranked = |c: Collected| -> (usize, Vec<(u32, f32)>) {
            (c.total, c.top.iter().map(|r| (r.key, r.score)).collect())
        };
        let reused = phrase_only()
            .run(&searcher, &columns, all(), &mut scratch, None)
            .unwrap();
        let fresh = phrase_only()
            .run(
                &searcher,
                &columns,
                all(),
                &mut TierScratch::default(),
                None,
            )
            .unwrap();
        assert_eq!(ranked(reused), ranked(fresh));
    }

    /// A weight whose every read fails.
    struct FailingRead;

    impl Weight for FailingRead {
        fn scorer(&self, _: &SegmentReader, _: Score) -> tantivy::Result<Box<dyn Scorer>> {
            Err(TantivyError::InternalError("a failing read".into()))
        }

        fn explain(&self, _: &SegmentReader, _: DocId) -> tantivy::Result<Explanation> {
            Err(TantivyError::InternalError("a failing read".into()))
        }
    }
}
