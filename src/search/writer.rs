//! Writing the listing index and its catalog vocabulary: upserts, removals, reads of
//! what was committed (to rebuild a listing whose catalog moved), and the commit that
//! carries the indexer's checkpoint.

use super::document::{CatalogEntry, Listing, StoredListing};
use super::fields::Fields;
use super::index::{stored_listing, SearchError, StoredBy};
use super::language::LanguageDetector;
use std::sync::Arc;
use stockyard_schema::MachineId;
use tantivy::collector::DocSetCollector;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{IndexReader, IndexWriter, TantivyDocument, Term};

/// Adds, replaces and removes listings and catalog entities; changes become visible at
/// [`ListingWriter::commit`].
pub struct ListingWriter {
    pub(super) listings: IndexWriter,
    pub(super) catalog: IndexWriter,
    pub(super) listing_reader: IndexReader,
    pub(super) catalog_reader: IndexReader,
    pub(super) fields: Fields,
    pub(super) detector: Arc<LanguageDetector>,
}

impl ListingWriter {
    /// Indexes a listing, replacing any earlier version of the same machine.
    pub fn upsert(&mut self, listing: &Listing<'_>) -> Result<(), SearchError> {
        self.remove(&listing.machine.id);
        let doc = listing.document(&self.fields, &self.detector);
        self.listings.add_document(doc)?;
        Ok(())
    }

    /// Removes a listing (sold, withdrawn); unknown ids are fine.
    pub fn remove(&mut self, id: &MachineId) {
        self.listings
            .delete_term(Term::from_field_text(self.fields.machine_id, id.as_str()));
    }

    /// Adds or replaces the names of a maker, model or category. Listings refer to
    /// entities by id, so a renamed maker needs no listing reindexed.
    pub fn upsert_entry(&mut self, entry: CatalogEntry<'_>) -> Result<(), SearchError> {
        self.catalog
            .delete_term(Term::from_field_text(self.fields.entity, &entry.entity()));
        self.catalog.add_document(entry.document(&self.fields))?;
        Ok(())
    }

    /// Drops everything written since the last commit.
    pub fn rollback(&mut self) -> Result<(), SearchError> {
        self.catalog.rollback()?;
        self.listings.rollback()?;
        Ok(())
    }

    /// Listings as of the last commit (changes since are not visible here).
    pub fn stored(&self, by: StoredBy<'_>) -> Result<Vec<StoredListing>, SearchError> {
        let (field, value) = match by {
            StoredBy::Machine(id) => (self.fields.machine_id, id),
            StoredBy::Model(id) => (self.fields.model_id, id),
            StoredBy::Category(id) => (self.fields.category_id, id),
        };
        let searcher = self.listing_reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        );
        let mut out = Vec::new();
        for address in searcher.search(&query, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            out.push(stored_listing(&self.fields, &doc)?);
        }
        Ok(out)
    }

    /// Makes everything written so far durable and searchable, with an optional
    /// payload stored atomically with the listings' commit (the indexer's checkpoint).
    /// The catalog commits first: after a crash between the two, the vocabulary is
    /// ahead, never behind, and replaying the same events rewrites the same entries.
    pub fn commit(&mut self, payload: Option<String>) -> Result<(), SearchError> {
        self.catalog.commit()?;
        let mut prepared = self.listings.prepare_commit()?;
        if let Some(p) = payload {
            prepared.set_payload(&p);
        }
        prepared.commit()?;
        self.catalog_reader.reload()?;
        self.listing_reader.reload()?;
        Ok(())
    }

    /// Merges every committed listing segment into one, waiting for it; `false` when
    /// the index was one segment without deleted documents already.
    ///
    /// A backlog leaves the listings in several segments, a sixth of their documents
    /// deleted (each sold, withdrawn or updated listing): every search then sets up its
    /// scorers once per segment and walks postings of documents that are gone. Merged,
    /// the 1M-listing index answers the load benchmark's model numbers ~1.5x faster
    /// (README). The merge keeps the last commit's payload.
    pub fn compact(&mut self) -> Result<bool, SearchError> {
        let mut tries = 0;
        loop {
            // From the metas on disk: tantivy's own merges move segments on without
            // the reader being reloaded.
            let segments = self.listings.index().searchable_segment_metas()?;
            let deleted: u32 = segments.iter().map(|s| s.num_deleted_docs()).sum();
            if segments.len() < 2 && deleted == 0 {
                return Ok(false);
            }
            let ids: Vec<_> = segments.iter().map(|s| s.id()).collect();
            match self.listings.merge(&ids).wait() {
                Ok(_) => break,
                // One of them is in a merge of tantivy's merge policy: once that is
                // done, the segments are listed again.
                Err(tantivy::TantivyError::InvalidArgument(_)) if tries < MERGE_TRIES => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.listing_reader.reload()?;
        Ok(true)
    }
}

/// How often [`ListingWriter::compact`] waits for a merge already under way (100 ms
/// apart) before it gives up.
const MERGE_TRIES: u32 = 100;
