//! The documents holding a word that begins with a typed prefix, without a bitset of
//! the whole segment.
//!
//! tantivy answers a one-word `PhrasePrefixQuery` with a range over the term
//! dictionary whose scorer inserts every posting of every expansion into a bitset of
//! the segment's size, then walks it. At 1M listings that is a zeroed 111 KB
//! allocation per field, per segment, per search, built again by the search's cost
//! estimate, and read whole even when the prefix only has to confirm the few
//! documents an intersection seeks (a profile of model-number searches put 8 % of
//! their time there, most of it the allocator faulting in fresh zeroed pages). A
//! prefix typed by a buyer usually ends as a handful of words (`pc200`, `pc200-8`):
//! for up to eight of them (`FEW`) this query merges their posting lists as they are read,
//! with real seeks. A prefix with more expansions (the `8` of `komatsu pc200-8`
//! begins every number from 8 on) fills a bitset, the cheaper of the two for many
//! long lists, but only when its documents are first walked or sought: a cost
//! estimate, which asks only how many there may be, and a phrase whose other words
//! rule out every document first never pay for it.
use super::explain::matched_score;
use tantivy::postings::{BlockSegmentPostings, SegmentPostings};
use tantivy::query::{
    BitSetDocSet, ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

/// Most expansions merged as posting lists; above, a bitset ([`Filled`]).
const FEW: usize = 8;

/// Expansions tantivy's `PhrasePrefixQuery` considers per segment, kept so that both
/// paths give the documents it gives.
const MAX_EXPANSIONS: usize = 50;

/// Documents holding a word of `prefix`'s field that begins with `prefix`, each
/// scored the boost (the same documents and scores as a one-word
/// `tantivy::query::PhrasePrefixQuery`).
#[derive(Clone, Debug)]
pub struct PrefixQuery {
    prefix: Term,
}

impl PrefixQuery {
    /// The words beginning with `prefix`.
    pub fn new(prefix: Term) -> PrefixQuery {
        PrefixQuery { prefix }
    }
}

/// The first byte string after every string that begins with `prefix`: the prefix with
/// its last byte below 0xFF raised by one and what follows it dropped; `None` when
/// every byte is 0xFF (no end).
fn after(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|b| *b != u8::MAX)?;
    let mut end = prefix[..=last].to_vec();
    end[last] += 1;
    Some(end)
}

impl Query for PrefixQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(PrefixWeight {
            prefix: self.prefix.clone(),
            end: after(self.prefix.serialized_value_bytes()),
        }))
    }
}

struct PrefixWeight {
    prefix: Term,
    /// The first value bytes past the prefix's words (none: to the end).
    end: Option<Vec<u8>>,
}

impl Weight for PrefixWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let index = reader.inverted_index(self.prefix.field())?;
        let mut range = index
            .terms()
            .range()
            .ge(self.prefix.serialized_value_bytes());
        if let Some(end) = &self.end {
            range = range.lt(end);
        }
        let mut terms = range.into_stream()?;
        let mut infos = Vec::with_capacity(FEW);
        while terms.advance() && infos.len() < MAX_EXPANSIONS {
            infos.push(terms.value().clone());
        }
        if infos.len() > FEW {
            let lists = infos
                .iter()
                .map(|info| index.read_block_postings_from_terminfo(info, IndexRecordOption::Basic))
                .collect::<std::io::Result<Vec<_>>>()?;
            return Ok(Box::new(ConstScorer::new(
                Filled::new(lists, reader.max_doc()),
                boost,
            )));
        }
        let mut lists = infos
            .iter()
            .map(|info| index.read_postings_from_terminfo(info, IndexRecordOption::Basic))
            .collect::<std::io::Result<Vec<SegmentPostings>>>()?;
        Ok(match lists.len() {
            0 => Box::new(EmptyScorer),
            1 => Box::new(ConstScorer::new(lists.pop().expect("one list"), boost)),
            _ => Box::new(ConstScorer::new(Merged::new(lists), boost)),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let score = matched_score(self, reader, doc, || {
            format!("document {doc} holds no word beginning with the prefix")
        })?;
        Ok(Explanation::new("PrefixQuery", score))
    }
}

/// Many posting lists as one bitset of their documents, filled when first walked or
/// sought (what tantivy's range scorer fills at once). Until then only each list's
/// first block is read: enough for the first document and the size.
struct Filled {
    /// The lists, until the bitset is filled from them.
    lists: Vec<BlockSegmentPostings>,
    max_doc: u32,
    set: Option<BitSetDocSet>,
    /// The first document (that of the bitset once filled).
    doc: DocId,
    /// The lists' lengths summed.
    size: u32,
}

impl Filled {
    fn new(lists: Vec<BlockSegmentPostings>, max_doc: u32) -> Filled {
        let doc = lists
            .iter()
            .filter_map(|l| l.docs().first().copied())
            .min()
            .unwrap_or(TERMINATED);
        let size = lists
            .iter()
            .map(|l| l.doc_freq())
            .fold(0u32, u32::saturating_add)
            .min(max_doc);
        Filled {
            lists,
            max_doc,
            set: None,
            doc,
            size,
        }
    }

    /// The bitset, filled from the lists the first time it is asked for.
    fn filled(&mut self) -> &mut BitSetDocSet {
        let (lists, max_doc) = (&mut self.lists, self.max_doc);
        self.set.get_or_insert_with(|| {
            let mut bits = BitSet::with_max_value(max_doc);
            for mut list in lists.drain(..) {
                while !list.docs().is_empty() {
                    for &d in list.docs() {
                        bits.insert(d);
                    }
                    list.advance();
                }
            }
            BitSetDocSet::from(bits)
        })
    }
}

impl DocSet for Filled {
    fn advance(&mut self) -> DocId {
        self.doc = self.filled().advance();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        self.doc = self.filled().seek(target);
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.set.as_ref().map_or(self.size, |set| set.size_hint())
    }
}

/// A few posting lists merged: the documents in any of them, in order.
struct Merged {
    lists: Vec<SegmentPostings>,
    doc: DocId,
}

impl Merged {
    fn new(lists: Vec<SegmentPostings>) -> Merged {
        let mut merged = Merged {
            lists,
            doc: TERMINATED,
        };
        merged.doc = merged.lowest();
        merged
    }

    fn lowest(&self) -> DocId {
        self.lists
            .iter()
            .map(|l| l.doc())
            .min()
            .unwrap_or(TERMINATED)
    }
}

impl DocSet for Merged {
    fn advance(&mut self) -> DocId {
        let at = self.doc;
        for list in &mut self.lists {
            if list.doc() == at {
                list.advance();
            }
        }
        self.doc = self.lowest();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for list in &mut self.lists {
            if list.doc() < target {
                list.seek(target);
            }
        }
        self.doc = self.lowest();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.lists
            .iter()
            .map(|l| l.size_hint())
            .fold(0u32, u32::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::DocSetCollector;
    use tantivy::query::PhrasePrefixQuery;
    use tantivy::schema::{Schema, STRING};
    use tantivy::{doc, Index, IndexWriter};

    /// GIVEN an index of words sharing prefixes (a few expansions, more than [`FEW`],
    /// none, bytes at 0xFF) in two segments,
    /// WHEN each prefix is searched with [`PrefixQuery`] and with tantivy's one-word
    /// `PhrasePrefixQuery`, alone and intersected with another word,
    /// THEN both find the same documents.
    #[test]
    fn a_prefix_finds_what_tantivys_phrase_prefix_finds() {
        let mut schema = Schema::builder();
        let word = schema.add_text_field("word", STRING);
        let other = schema.add_text_field("other", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let words: Vec<String> = (0..30)
            .map(|i| format!("pc{}", 100 + i * 7))
            .chain(["zx135", "zx135us", "zx200", "d6t", "d6", "\u{ff}\u{ff}"].map(String::from))
            .collect();
        for round in 0..2 {
            for i in 0..600u32 {
                let w = &words[(i as usize * 7 + round) % words.len()];
                let o = if i % 3 == 0 { "komatsu" } else { "hitachi" };
                writer
                    .add_document(doc!(word => w.as_str(), other => o))
                    .unwrap();
            }
            writer.commit().unwrap();
        }
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        for prefix in [
            "pc", "pc1", "pc10", "pc107", "zx135", "zx1", "d6", "d", "q", "\u{ff}", "",
        ] {
            let term = Term::from_field_text(word, prefix);
            let ours = searcher
                .search(&PrefixQuery::new(term.clone()), &DocSetCollector)
                .unwrap();
            let theirs = searcher
                .search(
                    &PhrasePrefixQuery::new(vec![term.clone()]),
                    &DocSetCollector,
                )
                .unwrap();
            assert_eq!(ours, theirs, "prefix {prefix:?}");
            let with = |q: Box<dyn Query>| {
                let both = tantivy::query::BooleanQuery::intersection(vec![
                    Box::new(tantivy::query::TermQuery::new(
                        Term::from_field_text(other, "komatsu"),
                        IndexRecordOption::Basic,
                    )),
                    q,
                ]);
                searcher.search(&both, &DocSetCollector).unwrap()
            };
            assert_eq!(
                with(Box::new(PrefixQuery::new(term.clone()))),
                with(Box::new(PhrasePrefixQuery::new(vec![term]))),
                "prefix {prefix:?} with another word"
            );
        }
    }

    #[test]
    fn the_end_of_a_prefix_range() {
        assert_eq!(after(b"pc2"), Some(b"pc3".to_vec()));
        assert_eq!(after(b"a\xff\xff"), Some(b"b".to_vec()));
        assert_eq!(after(b"\xff"), None);
        assert_eq!(after(b""), None);
    }
}
