//! Phrase checks only where they can change the answer.
//!
//! A match class (phrase, prefix) is a union: of term queries that are cheap (catalog
//! entities, one-word queries) and of phrase queries that are not (every candidate,
//! a document holding all the words, has its positions read). The class scores a
//! constant however many of its members match, so a document one cheap member matches
//! needs no phrase checked at all. For `油圧ショベル` at a million listings the
//! category entity "Excavators" already matches nearly every listing whose text holds
//! the phrase: [`EitherQuery`] checks positions only on the candidates the cheap part
//! does not match, so that reading positions, a third of the time of such a query,
//! all but goes away. The documents it matches are exactly those of the union.
//!
//! The tiered evaluation (`search/tiers.rs`) does the same with its per-document
//! marks; this query serves the boolean form of a listing query (sorted searches, the
//! tests' reference) and the catalog vocabulary.

use super::explain::matched_score;
use tantivy::query::{
    BooleanQuery, EmptyScorer, EnableScoring, Explanation, Occur, Query, Scorer, Weight,
};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// A query that is costly to match exactly (a phrase), with a cheap superset of its
/// documents (the documents holding all its terms).
#[derive(Debug)]
pub struct Costly {
    /// A superset of `exact`'s documents, cheap to list: those that all of these
    /// match (the phrase's terms; for a phrase-prefix, the last is a prefix). Kept
    /// apart so that the tiered evaluation can list the rarest and seek the others
    /// only where it must (`search/tiers/marking.rs`).
    pub candidates: Vec<Box<dyn Query>>,
    /// The query itself.
    pub exact: Box<dyn Query>,
    /// A match is also one of the prefix class: this is a phrase whose phrase-prefix
    /// (the same words, the last as a prefix) the prefix class holds, and a phrase
    /// is its own prefix. The tiered evaluation then checks the prefix only where
    /// the phrase failed (`search/tiers.rs`).
    pub implies_prefix: bool,
}

/// Matches what `cheap` or any of `costly` matches; see the [module docs](self).
/// Scores 1 (it is meant for a constant-score class).
#[derive(Debug)]
pub struct EitherQuery {
    /// Queries matched without any check.
    pub cheap: Vec<Box<dyn Query>>,
    /// Queries checked only on candidates `cheap` does not match.
    pub costly: Vec<Costly>,
}

impl Costly {
    /// The candidates as one query.
    pub fn candidate_query(&self) -> Box<dyn Query> {
        match self.candidates.as_slice() {
            [one] => one.box_clone(),
            all => Box::new(BooleanQuery::intersection(
                all.iter().map(|q| q.box_clone()).collect(),
            )),
        }
    }
}

impl Clone for Costly {
    fn clone(&self) -> Self {
        Costly {
            candidates: self.candidates.iter().map(|q| q.box_clone()).collect(),
            exact: self.exact.box_clone(),
            implies_prefix: self.implies_prefix,
        }
    }
}

impl Clone for EitherQuery {
    fn clone(&self) -> Self {
        EitherQuery {
            cheap: self.cheap.iter().map(|q| q.box_clone()).collect(),
            costly: self.costly.clone(),
        }
    }
}

impl Query for EitherQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // The cheap members as one union: tantivy's buffered union walks them far
        // faster than a minimum taken over each of them per document.
        let cheap = match self.cheap.len() {
            0 => None,
            1 => Some(self.cheap[0].weight(enable_scoring)?),
            _ => Some(
                BooleanQuery::new(
                    self.cheap
                        .iter()
                        .map(|q| (Occur::Should, q.box_clone()))
                        .collect(),
                )
                .weight(enable_scoring)?,
            ),
        };
        let costly = self
            .costly
            .iter()
            .map(|c| {
                Ok((
                    c.candidate_query().weight(enable_scoring)?,
                    c.exact.weight(enable_scoring)?,
                ))
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(EitherWeight { cheap, costly }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for q in &self.cheap {
            q.query_terms(visitor);
        }
        for c in &self.costly {
            c.exact.query_terms(visitor);
        }
    }
}

struct EitherWeight {
    cheap: Option<Box<dyn Weight>>,
    costly: Vec<(Box<dyn Weight>, Box<dyn Weight>)>,
}

impl Weight for EitherWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut cheap = Vec::with_capacity(1);
        if let Some(w) = &self.cheap {
            let s = w.scorer(reader, boost)?;
            if s.doc() != TERMINATED {
                cheap.push(s);
            }
        }
        let mut costly = Vec::with_capacity(self.costly.len());
        for (candidates, exact) in &self.costly {
            let c = candidates.scorer(reader, boost)?;
            if c.doc() != TERMINATED {
                costly.push((c, exact.scorer(reader, boost)?));
            }
        }
        if cheap.is_empty() && costly.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        let mut scorer = EitherScorer {
            cheap,
            costly,
            doc: 0,
        };
        scorer.settle();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        matched_score(self, reader, doc, || {
            format!("document {doc} does not match")
        })?;
        Ok(Explanation::new("either: cheap or checked phrase", 1.0))
    }
}

struct EitherScorer {
    cheap: Vec<Box<dyn Scorer>>,
    costly: Vec<(Box<dyn Scorer>, Box<dyn Scorer>)>,
    doc: DocId,
}

impl EitherScorer {
    /// Moves to the first document, at or after the children's positions, that
    /// matches; children stay at or after it.
    fn settle(&mut self) -> DocId {
        loop {
            let cheapest = self
                .cheap
                .iter()
                .map(|s| s.doc())
                .min()
                .unwrap_or(TERMINATED);
            let candidate = self
                .costly
                .iter()
                .map(|(c, _)| c.doc())
                .min()
                .unwrap_or(TERMINATED);
            let d = cheapest.min(candidate);
            if d == TERMINATED || cheapest == d {
                self.doc = d;
                return d;
            }
            // Only candidates stand at `d`: check their phrases.
            for (c, exact) in &mut self.costly {
                if c.doc() == d {
                    if exact.doc() < d {
                        exact.seek(d);
                    }
                    if exact.doc() == d {
                        self.doc = d;
                        return d;
                    }
                }
            }
            for (c, _) in &mut self.costly {
                if c.doc() == d {
                    c.advance();
                }
            }
        }
    }
}

impl DocSet for EitherScorer {
    fn advance(&mut self) -> DocId {
        let d = self.doc;
        for s in &mut self.cheap {
            if s.doc() == d {
                s.advance();
            }
        }
        for (c, _) in &mut self.costly {
            if c.doc() == d {
                c.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for s in &mut self.cheap {
            if s.doc() < target {
                s.seek(target);
            }
        }
        for (c, _) in &mut self.costly {
            if c.doc() < target {
                c.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.cheap
            .iter()
            .map(|s| s.size_hint())
            .chain(self.costly.iter().map(|(c, _)| c.size_hint()))
            .fold(0u32, u32::saturating_add)
    }
}

impl Scorer for EitherScorer {
    fn score(&mut self) -> Score {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::tagged_index::{tagged_index, TaggedIndex};
    use tantivy::collector::DocSetCollector;
    use tantivy::query::{PhraseQuery, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::Term;

    /// GIVEN documents with a tag and a text, WHEN matching "tag a, or the phrase
    /// `wheel loader`, or the phrase `air con`", THEN the lazy query finds exactly
    /// what the plain union finds, with candidates inside and outside the cheap part.
    #[test]
    fn matches_exactly_what_the_union_matches() {
        let texts = [
            "wheel loader for sale",
            "loader wheel reversed",
            "air con wheel loader",
            "con air",
            "big wheel and a loader",
            "wheel loader",
        ];
        let tags = (0..600usize).map(|i| if i % 3 == 0 { "a" } else { "b" });
        let TaggedIndex {
            searcher,
            tag,
            text,
        } = tagged_index(tags.zip(texts.iter().copied().cycle()), usize::MAX);
        let term = |w: &str| Term::from_field_text(text, w);
        let phrase = |a: &str, b: &str| -> Box<dyn Query> {
            Box::new(PhraseQuery::new(vec![term(a), term(b)]))
        };
        let both = |a: &str, b: &str| -> Vec<Box<dyn Query>> {
            vec![
                Box::new(TermQuery::new(term(a), IndexRecordOption::Basic)),
                Box::new(TermQuery::new(term(b), IndexRecordOption::Basic)),
            ]
        };
        let cheap = || -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(tag, "a"),
                IndexRecordOption::Basic,
            ))
        };
        let lazy = EitherQuery {
            cheap: vec![cheap()],
            costly: vec![
                Costly {
                    candidates: both("wheel", "loader"),
                    exact: phrase("wheel", "loader"),
                    implies_prefix: false,
                },
                Costly {
                    candidates: both("air", "con"),
                    exact: phrase("air", "con"),
                    implies_prefix: false,
                },
            ],
        };
        let plain = BooleanQuery::new(vec![
            (Occur::Should, cheap()),
            (Occur::Should, phrase("wheel", "loader")),
            (Occur::Should, phrase("air", "con")),
        ]);
        let found = searcher.search(&lazy, &DocSetCollector).unwrap();
        let expected = searcher.search(&plain, &DocSetCollector).unwrap();
        assert_eq!(found, expected);
        assert!(
            found.len() > 200 && found.len() < 600,
            "{} found",
            found.len()
        );
        // Seeking lands on the same documents as advancing.
        let weight = lazy
            .weight(EnableScoring::disabled_from_searcher(&searcher))
            .unwrap();
        let mut scorer = weight.scorer(searcher.segment_reader(0), 1.0).unwrap();
        let mut seeked = Vec::new();
        let mut target = 0;
        while scorer.seek(target) != TERMINATED {
            seeked.push(scorer.doc());
            target = scorer.doc() + 1;
        }
        assert_eq!(seeked.len(), found.len());
    }
}
