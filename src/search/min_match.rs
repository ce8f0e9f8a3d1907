//! The n-gram match: documents holding at least `need` of a few terms, scored by the
//! sum of the matching terms' scaled BM25, added in term order.
//!
//! tantivy has this as a boolean union with a minimum number of clauses, but its
//! scorer keeps the terms in a heap and has no `seek` of its own: asked for one
//! document, it advances through every document of the union before it. The ranking
//! (`search/tiers.rs`) scores only the few listings that can reach the page, by
//! seeking to each, so a common n-gram made that read whole posting lists. Here a
//! seek moves each term's postings by their skip lists, and the score is one fixed sum
//! that the ranking computes with [`SegmentTerms::score_at`] from the terms' own
//! postings and weights, equal to the last bit to what this query's scorer gives the
//! reference (whole-query) path.

use super::explain::matched_score;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{
    Bm25Weight, EmptyScorer, EnableScoring, Explanation, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

/// At least `need` of `terms`, each term's BM25 multiplied by `scale`.
#[derive(Clone, Debug)]
pub struct MinMatchQuery {
    terms: Vec<Term>,
    need: usize,
    scale: Score,
}

impl MinMatchQuery {
    /// Documents holding at least `need` (1 ≤ need ≤ terms) of `terms`.
    pub fn new(terms: Vec<Term>, need: usize, scale: Score) -> MinMatchQuery {
        let need = need.clamp(1, terms.len().max(1));
        MinMatchQuery { terms, need, scale }
    }

    /// The query weighed, with its concrete type (the ranking reads its terms).
    pub fn min_match_weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<MinMatchWeight> {
        let record = if scoring.is_scoring_enabled() {
            IndexRecordOption::WithFreqs
        } else {
            IndexRecordOption::Basic
        };
        let terms = self
            .terms
            .iter()
            .map(|t| TermQuery::new(t.clone(), record).weight(scoring))
            .collect::<tantivy::Result<_>>()?;
        // Each term weighed as its term query weighs it (tantivy's `TermQuery`), scaled.
        let bm25 = match scoring {
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => self
                .terms
                .iter()
                .map(|t| {
                    Ok((
                        t.clone(),
                        Bm25Weight::for_terms(statistics_provider, std::slice::from_ref(t))?
                            .boost_by(self.scale),
                    ))
                })
                .collect::<tantivy::Result<_>>()?,
            EnableScoring::Disabled { .. } => Vec::new(),
        };
        Ok(MinMatchWeight {
            terms,
            bm25,
            need: self.need,
            scale: self.scale,
        })
    }
}

impl Query for MinMatchQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.min_match_weight(scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for t in &self.terms {
            visitor(t, false);
        }
    }
}

/// [`MinMatchQuery`] for one searcher.
pub struct MinMatchWeight {
    terms: Vec<Box<dyn Weight>>,
    /// Scoring: each term with its weight, scaled (empty when unscored).
    bm25: Vec<(Term, Bm25Weight)>,
    need: usize,
    scale: Score,
}

impl MinMatchWeight {
    /// One scorer per term, in term order, each scaled as in the match: pass them to
    /// [`score_at`].
    pub fn term_scorers(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Vec<Box<dyn Scorer>>> {
        self.terms
            .iter()
            .map(|w| w.scorer(reader, boost * self.scale))
            .collect()
    }
}

impl MinMatchWeight {
    /// The terms of `reader`'s segment that it holds, scored as in the match, for
    /// [`SegmentTerms::score_at`].
    pub fn segment_terms(&self, reader: &SegmentReader) -> tantivy::Result<SegmentTerms> {
        let Some((first, _)) = self.bm25.first() else {
            return Ok(SegmentTerms::default());
        };
        let field = first.field();
        let index = reader.inverted_index(field)?;
        let norms = match reader.fieldnorms_readers().get_field(field)? {
            Some(norms) => norms,
            None => FieldNormReader::constant(reader.max_doc(), 1),
        };
        let mut terms = Vec::with_capacity(self.bm25.len());
        for (term, weight) in &self.bm25 {
            if let Some(postings) = index.read_postings(term, IndexRecordOption::WithFreqs)? {
                terms.push((postings, weight.clone()));
            }
        }
        Ok(SegmentTerms {
            every_term: terms.len() == self.bm25.len(),
            terms,
            norms: Some(norms),
        })
    }
}

/// One segment's n-gram terms, scored as the match scores them (tantivy's term
/// scorer's sum, to the bit), by their concrete types: the ranking seeks every term
/// for each listing it scores, and a call through `dyn Scorer` per term and listing
/// cost as much as the seek itself.
#[derive(Default)]
pub struct SegmentTerms {
    /// The terms the segment holds, in term order: their postings and weights.
    terms: Vec<(SegmentPostings, Bm25Weight)>,
    /// The n-gram field's lengths (none: no term held).
    norms: Option<FieldNormReader>,
    /// Whether the segment holds every term of the match.
    every_term: bool,
}

impl SegmentTerms {
    /// Calls `each` with every document of `span` holding all the match's terms, in
    /// order, and its [`score_at`](Self::score_at) score: where every n-gram is needed, the
    /// walk that finds the match's documents reads their frequencies on the way, so
    /// that ranking need not seek each term again for each listing it scores
    /// (`pc200`: 19,000 listings, a third of the search's instructions). The rarest
    /// term leads; the others seek to its documents, and it skips to theirs.
    pub fn for_each_holding_all(
        &mut self,
        span: &std::ops::Range<DocId>,
        mut each: impl FnMut(DocId, Score),
    ) {
        let Some(norms) = &self.norms else {
            return;
        };
        if !self.every_term {
            return;
        }
        let Some(lead) = (0..self.terms.len()).min_by_key(|&i| self.terms[i].0.doc_freq()) else {
            return;
        };
        let mut doc = self.terms[lead].0.doc();
        if doc < span.start {
            doc = self.terms[lead].0.seek(span.start);
        }
        while doc != TERMINATED && doc < span.end {
            // The furthest any term had to go: no document before it holds them all.
            let mut next = doc;
            for (postings, _) in &mut self.terms {
                if postings.doc() < doc {
                    postings.seek(doc);
                }
                next = next.max(postings.doc());
            }
            if next == doc {
                let mut sum: Score = 0.0;
                for (postings, weight) in &self.terms {
                    sum += weight.score(norms.fieldnorm_id(doc), postings.term_freq());
                }
                each(doc, sum);
                doc = self.terms[lead].0.advance();
            } else {
                doc = self.terms[lead].0.seek(next);
            }
        }
    }

    /// The scaled BM25 sum of the terms at `doc`, added in term order; documents
    /// must be asked for in increasing order.
    pub fn score_at(&mut self, doc: DocId) -> Score {
        self.count_and_score_at(doc).1
    }

    /// How many of the terms `doc` holds, and [`score_at`](Self::score_at); in
    /// increasing order of documents. Inlined, so that [`score_at`](Self::score_at)
    /// counts nothing.
    #[inline(always)]
    pub fn count_and_score_at(&mut self, doc: DocId) -> (usize, Score) {
        let Some(norms) = &self.norms else {
            return (0, 0.0);
        };
        let mut held = 0;
        let mut sum: Score = 0.0;
        for (postings, weight) in &mut self.terms {
            if postings.doc() < doc {
                postings.seek(doc);
            }
            if postings.doc() == doc {
                held += 1;
                sum += weight.score(norms.fieldnorm_id(doc), postings.term_freq());
            }
        }
        (held, sum)
    }
}

impl Weight for MinMatchWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if self.terms.len() < self.need || self.terms.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        let terms = self.term_scorers(reader, boost)?;
        let mut scorer = MinMatchScorer {
            docs: Vec::with_capacity(terms.len()),
            terms,
            need: self.need,
            doc: 0,
        };
        scorer.settle();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let score = matched_score(self, reader, doc, || {
            format!(
                "document {doc} holds fewer than {} of the n-grams",
                self.need
            )
        })?;
        Ok(Explanation::new_with_string(
            format!("scaled BM25 of at least {} n-grams", self.need),
            score,
        ))
    }
}

/// The scaled BM25 sum of the terms at `doc`, added in term order; `terms` must be
/// [`MinMatchWeight::term_scorers`] and only ever move forward.
pub fn score_at(terms: &mut [Box<dyn Scorer>], doc: DocId) -> Score {
    let mut sum: Score = 0.0;
    for t in terms {
        if t.doc() < doc {
            t.seek(doc);
        }
        if t.doc() == doc {
            sum += t.score();
        }
    }
    sum
}

/// Walks the documents holding at least `need` terms.
struct MinMatchScorer {
    terms: Vec<Box<dyn Scorer>>,
    need: usize,
    doc: DocId,
    /// Scratch: the terms' current documents.
    docs: Vec<DocId>,
}

impl MinMatchScorer {
    /// Moves to the first document at or after every term's position that at least
    /// `need` terms hold. A document before the `need`-th smallest position cannot be
    /// one, so that is the next candidate; every term behind it seeks to it, and if
    /// too few land there, the next candidate lies strictly beyond.
    fn settle(&mut self) -> DocId {
        loop {
            self.docs.clear();
            self.docs.extend(self.terms.iter().map(|t| t.doc()));
            let (_, &mut candidate, _) = self.docs.select_nth_unstable(self.need - 1);
            if candidate == TERMINATED {
                self.doc = TERMINATED;
                return TERMINATED;
            }
            let mut there = 0;
            for t in &mut self.terms {
                if t.doc() < candidate {
                    t.seek(candidate);
                }
                if t.doc() == candidate {
                    there += 1;
                }
            }
            if there >= self.need {
                self.doc = candidate;
                return candidate;
            }
        }
    }
}

impl DocSet for MinMatchScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        for t in &mut self.terms {
            if t.doc() == self.doc {
                t.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for t in &mut self.terms {
            if t.doc() < target {
                t.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        // At most the need-th largest term's documents could match; the smallest
        // list is a cheap, safe answer.
        self.terms.iter().map(|t| t.size_hint()).min().unwrap_or(0)
    }

    fn cost(&self) -> u64 {
        self.terms.iter().map(|t| t.cost()).sum()
    }
}

impl Scorer for MinMatchScorer {
    fn score(&mut self) -> Score {
        score_at(&mut self.terms, self.doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, BoostQuery};
    use tantivy::schema::{Schema, STRING};
    use tantivy::{doc, Index, Searcher};

    /// GIVEN 600 documents holding terms a–d by their number's bits (a: bit 0, …),
    /// WHEN at least `need` terms are asked for, THEN the documents and their order
    /// are those of tantivy's union with a minimum, and each score its sum up to
    /// rounding (the union adds in heap order).
    #[test]
    fn matches_what_tantivys_union_with_a_minimum_matches() {
        let mut schema = Schema::builder();
        let f = schema.add_text_field("t", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for n in 0..600u32 {
            let mut d = doc!();
            for (bit, word) in ["a", "b", "c", "d"].iter().enumerate() {
                if n & (1 << bit) != 0 || (n % 7 == 0 && bit == 3) {
                    d.add_text(f, word);
                }
            }
            d.add_text(f, "all");
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        let searcher: Searcher = index.reader().unwrap().searcher();
        let terms: Vec<Term> = ["a", "b", "c", "d"]
            .iter()
            .map(|s| Term::from_field_text(f, s))
            .collect();
        for need in 1..=4 {
            let ours = MinMatchQuery::new(terms.clone(), need, 0.5);
            let clauses: Vec<Box<dyn Query>> = terms
                .iter()
                .map(|t| {
                    Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs))
                        as Box<dyn Query>
                })
                .collect();
            let theirs = BoostQuery::new(
                if need == 1 {
                    Box::new(BooleanQuery::union(clauses))
                } else {
                    Box::new(BooleanQuery::union_with_minimum_required_clauses(
                        clauses, need,
                    ))
                },
                0.5,
            );
            let count = searcher.search(&ours, &Count).unwrap();
            assert_eq!(count, searcher.search(&theirs, &Count).unwrap());
            assert!(count > 0 && count < 600, "need {need}: {count}");
            let top = TopDocs::with_limit(600).order_by_score();
            let a = searcher.search(&ours, &top).unwrap();
            let b = searcher.search(&theirs, &top).unwrap();
            let mut a_docs: Vec<_> = a.iter().map(|(_, d)| *d).collect();
            let mut b_docs: Vec<_> = b.iter().map(|(_, d)| *d).collect();
            a_docs.sort();
            b_docs.sort();
            assert_eq!(a_docs, b_docs, "need {need}");
            for ((sa, _), (sb, _)) in a.iter().zip(&b) {
                assert!((sa - sb).abs() <= 1e-5 * sb.abs(), "need {need}: {sa} {sb}");
            }
        }
    }

    /// GIVEN the same documents, WHEN the scorer seeks forward to chosen documents,
    /// THEN it lands on the first match at or after each, and [`score_at`] over a
    /// separate set of term scorers gives the very same score.
    #[test]
    fn seeks_land_on_the_next_match_with_the_scorers_score() {
        let mut schema = Schema::builder();
        let f = schema.add_text_field("t", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for n in 0..3000u32 {
            let mut d = doc!();
            for (word, every) in [("x", 3), ("y", 5), ("z", 7)] {
                if n % every == 0 {
                    d.add_text(f, word);
                }
            }
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let terms: Vec<Term> = ["x", "y", "z"]
            .iter()
            .map(|s| Term::from_field_text(f, s))
            .collect();
        let weight = MinMatchQuery::new(terms, 2, 0.25)
            .min_match_weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap();
        let reader = searcher.segment_reader(0);
        let mut scorer = weight.scorer(reader, 1.0).unwrap();
        let mut separate = weight.term_scorers(reader, 1.0).unwrap();
        let holds = |n: u32| [3, 5, 7].iter().filter(|e| n.is_multiple_of(**e)).count() >= 2;
        for target in [1u32, 16, 17, 100, 101, 1000, 2999] {
            let expected = (target..3000).find(|&n| holds(n)).unwrap_or(TERMINATED);
            assert_eq!(scorer.seek(target), expected, "seek {target}");
            if expected != TERMINATED {
                let s = scorer.score();
                assert!(s > 0.0);
                assert_eq!(s.to_bits(), score_at(&mut separate, expected).to_bits());
            }
        }
    }

    /// GIVEN documents holding x, y and z by their number's divisors, in one segment,
    /// WHEN the documents holding all three are walked with their scores,
    /// THEN they are exactly the multiples of 3, 5 and 7, in order, each with the
    /// very score that [`SegmentTerms::score_at`] gives it, walked whole or in two
    /// spans; and a segment lacking one of the terms walks nothing.
    #[test]
    fn walks_the_documents_holding_every_term_with_their_scores() {
        let mut schema = Schema::builder();
        let f = schema.add_text_field("t", tantivy::schema::TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for n in 0..5000u32 {
            let mut text = String::new();
            for (word, every) in [("x", 3), ("y", 5), ("z", 7)] {
                if n % every == 0 {
                    // Frequencies and lengths vary, so that scores do.
                    for _ in 0..=(n % 4) {
                        text.push_str(word);
                        text.push(' ');
                    }
                }
            }
            text.push_str(&"pad ".repeat((n % 11) as usize));
            w.add_document(doc!(f => text)).unwrap();
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |s: &str| Term::from_field_text(f, s);
        let weight = MinMatchQuery::new(vec![term("x"), term("y"), term("z")], 3, 0.25)
            .min_match_weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap();
        let reader = searcher.segment_reader(0);
        let mut walked = Vec::new();
        weight
            .segment_terms(reader)
            .unwrap()
            .for_each_holding_all(&(0..DocId::MAX), |d, s| walked.push((d, s)));
        let expected: Vec<DocId> = (0..5000).filter(|n| n % 105 == 0).collect();
        assert_eq!(walked.iter().map(|(d, _)| *d).collect::<Vec<_>>(), expected);
        // Walked in two parts split at a matching document, the same documents.
        let mut halves = Vec::new();
        for span in [0..2100, 2100..reader.max_doc()] {
            weight
                .segment_terms(reader)
                .unwrap()
                .for_each_holding_all(&span, |d, s| halves.push((d, s)));
        }
        assert_eq!(halves, walked);
        let mut sought = weight.segment_terms(reader).unwrap();
        let distinct: std::collections::HashSet<u32> =
            walked.iter().map(|(_, s)| s.to_bits()).collect();
        assert!(distinct.len() > 1, "scores should differ");
        for (d, s) in walked {
            assert_eq!(s.to_bits(), sought.score_at(d).to_bits(), "doc {d}");
        }
        let missing = MinMatchQuery::new(vec![term("x"), term("absent")], 2, 0.25)
            .min_match_weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap();
        let mut none = 0;
        missing
            .segment_terms(reader)
            .unwrap()
            .for_each_holding_all(&(0..DocId::MAX), |_, _| none += 1);
        assert_eq!(none, 0);
    }
}
