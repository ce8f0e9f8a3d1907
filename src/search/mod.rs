//! Multilingual full-text search over listings, on a tantivy index.
//!
//! Buyers type in their own language, often model numbers (`PC200`, `320D`), maker
//! names in any script (コマツ / Komatsu / 小松) and partial words. Listings are written
//! in one or several languages, or in a language nobody stated. So:
//!
//! * each text is indexed in the field of its language group with an analyser fit for
//!   it ([`analysis`]): stemming for English, German, French, Spanish and Russian, CJK
//!   bigrams for Japanese, Chinese and Korean; a character n-gram companion field for
//!   everything; a normalised code field for model numbers and maker names;
//! * the names of makers, models and categories form a small catalog vocabulary that
//!   queries run through first; what matches there reaches listings through their ids
//!   ([`query`]), as if the names were in every listing's text;
//! * text of unknown language is assigned by script and lingua ([`language`]);
//!   Han-only text counts as both Japanese and Chinese;
//! * a query matches as phrase, prefix or n-grams ([`query`]), listings in the buyer's
//!   language are boosted, and one pass over the hits computes the hit
//!   set for the graph side, and the total and the page among the hits that pass the
//!   buyer's selections.

pub mod all_words;
pub mod analysis;
mod collect;
mod columns;
mod document;
mod explain;
pub mod fields;
pub mod forms;
pub mod highlight;
mod index;
pub mod keyset;
pub mod language;
mod lazy;
pub mod min_match;
pub mod names;
pub mod prefix;
pub mod query;
pub mod relax;
#[cfg(test)]
mod tagged_index;
mod tiers;
pub mod trade_words;
mod unsure;
pub mod words;
mod writer;

pub use document::{CatalogEntry, Listing, StoredListing};
pub use index::{
    Hit, Layout, PreparedSearch, SearchBuffers, SearchError, SearchResults, StoredBy, TextIndex,
};
pub use language::{LangSet, LanguageDetector};
pub use query::{Order, RequestError, SearchRequest, Sort, Tuning};
pub use writer::ListingWriter;
