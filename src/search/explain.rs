//! Why a document matched one of the search's own queries (tantivy's
//! `Weight::explain`): each answers from its own scorer, sought to the document.

use tantivy::query::Weight;
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError};

/// The score `weight` gives `doc` in `reader`'s segment, or, when it does not match,
/// an error saying so in the words of `no_match`.
pub(super) fn matched_score(
    weight: &dyn Weight,
    reader: &SegmentReader,
    doc: DocId,
    no_match: impl FnOnce() -> String,
) -> tantivy::Result<Score> {
    let mut scorer = weight.scorer(reader, 1.0)?;
    if scorer.seek(doc) != doc {
        return Err(TantivyError::InvalidArgument(no_match()));
    }
    Ok(scorer.score())
}

#[cfg(test)]
mod tests {
    use crate::search::prefix::PrefixQuery;
    use crate::search::tagged_index::{tagged_index, TaggedIndex};
    use tantivy::query::{EnableScoring, Query};
    use tantivy::Term;

    /// GIVEN two listings, one holding a word beginning with `pc`,
    /// WHEN the prefix query explains each,
    /// THEN the first gets its score and the second an error saying why.
    #[test]
    fn a_match_is_explained_and_a_miss_is_an_error() {
        let TaggedIndex { searcher, text, .. } =
            tagged_index([("a", "komatsu pc200"), ("a", "hitachi zx135")], 10);
        let weight = PrefixQuery::new(Term::from_field_text(text, "pc"))
            .weight(EnableScoring::disabled_from_searcher(&searcher))
            .unwrap();
        let segment = searcher.segment_reader(0);
        assert_eq!(weight.explain(segment, 0).unwrap().value(), 1.0);
        let miss = weight.explain(segment, 1).unwrap_err().to_string();
        assert!(
            miss.contains("document 1 holds no word beginning"),
            "{miss}"
        );
    }
}
