//! A small in-memory index for the unit tests of the search's own queries: documents
//! with a tag (one keyword) and a text (analysed), in as many segments as asked.

use tantivy::schema::{Field, Schema, STRING, TEXT};
use tantivy::{doc, Index, Searcher};

/// The index, its searcher and its two fields.
pub struct TaggedIndex {
    pub searcher: Searcher,
    pub tag: Field,
    pub text: Field,
}

/// `docs` as (tag, text), committed every `per_segment` documents (each commit of a
/// single-threaded writer makes one segment).
pub fn tagged_index<'a>(
    docs: impl IntoIterator<Item = (&'a str, &'a str)>,
    per_segment: usize,
) -> TaggedIndex {
    let mut schema = Schema::builder();
    let tag = schema.add_text_field("tag", STRING);
    let text = schema.add_text_field("text", TEXT);
    let index = Index::create_in_ram(schema.build());
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
    for (i, (t, x)) in docs.into_iter().enumerate() {
        writer.add_document(doc!(tag => t, text => x)).unwrap();
        if (i + 1) % per_segment == 0 {
            writer.commit().unwrap();
        }
    }
    writer.commit().unwrap();
    TaggedIndex {
        searcher: index.reader().unwrap().searcher(),
        tag,
        text,
    }
}
