//! The text index as a projection: listings and the catalog vocabulary kept current
//! by events, the checkpoint stored as tantivy's commit payload.

use super::catalog::CatalogState;
use super::keys::MachineKeys;
use crate::search::{
    CatalogEntry, Listing, ListingWriter, SearchError, StoredBy, StoredListing, TextIndex,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use stockyard_indexer::{DeadLetter, Projection, ProjectionError};
use stockyard_schema::domain::Machine;
use stockyard_schema::{Event, Payload};

/// Indexing memory for listings: tantivy splits it between its indexing threads.
const WRITER_HEAP: usize = 200_000_000;

/// The text index, kept current by events.
///
/// A listing whose model is not registered yet is indexed at once (its own text and
/// model id); when the model arrives, or a model or category moves, the listings
/// concerned are rebuilt from their stored source.
pub struct TextProjection {
    index: Arc<TextIndex>,
    writer: ListingWriter,
    catalog: CatalogState,
    keys: MachineKeys,
    checkpoint: u64,
    /// Whether listings changed since the last compaction.
    changed: bool,
}

/// The commit payload: the checkpoint, and the catalog state as of it (written from
/// a borrowed state, read back into an owned one).
#[derive(Default, Serialize, Deserialize)]
struct Committed<C = CatalogState> {
    checkpoint: u64,
    catalog: C,
}

impl Committed {
    fn load(index: &TextIndex) -> Result<Committed, ProjectionError> {
        match index.commit_payload().map_err(failed)? {
            None => Ok(Committed::default()),
            Some(p) => serde_json::from_str(&p).map_err(|e| failed(format!("commit payload: {e}"))),
        }
    }
}

/// Listings changed in the batch being applied: the index shows only what was
/// committed, so reads go here first. `None`: removed.
type Overlay = HashMap<String, Option<StoredListing>>;

fn failed(reason: impl ToString) -> ProjectionError {
    ProjectionError {
        projection: "text".into(),
        reason: reason.to_string(),
    }
}

impl TextProjection {
    /// Opens the projection over `index`, with its key assignment in `keys_file`.
    pub fn open(
        index: Arc<TextIndex>,
        keys_file: &Path,
    ) -> Result<TextProjection, ProjectionError> {
        let committed = Committed::load(&index)?;
        Ok(TextProjection {
            writer: index.writer(WRITER_HEAP).map_err(failed)?,
            index,
            catalog: committed.catalog,
            keys: MachineKeys::open(keys_file).map_err(failed)?,
            checkpoint: committed.checkpoint,
            changed: false,
        })
    }

    fn current(&self, overlay: &Overlay, id: &str) -> Result<Option<StoredListing>, SearchError> {
        if let Some(s) = overlay.get(id) {
            return Ok(s.clone());
        }
        Ok(self.writer.stored(StoredBy::Machine(id))?.pop())
    }

    fn put(&mut self, overlay: &mut Overlay, stored: StoredListing) -> Result<(), SearchError> {
        let m: &Machine = &stored.machine;
        let key = self.keys.assign(m.id.as_str());
        let chain = self
            .catalog
            .category_of(m)
            .map(|c| self.catalog.chain(c))
            .unwrap_or_default();
        let refs: Vec<_> = chain.iter().collect();
        self.writer.upsert(&Listing {
            key: key.into(),
            machine: m,
            maker_id: self.catalog.model(m.model_id.as_str()).map(|p| &p.maker_id),
            categories: &refs,
            listed_at: stored.listed_at,
        })?;
        overlay.insert(m.id.as_str().to_owned(), Some(stored));
        Ok(())
    }

    /// Rebuilds the documents of every listing `by` selects, from the index and the
    /// batch so far.
    fn reindex(&mut self, overlay: &mut Overlay, by: StoredBy<'_>) -> Result<(), SearchError> {
        let mut todo: Vec<StoredListing> = self
            .writer
            .stored(by)?
            .into_iter()
            .filter(|s| !overlay.contains_key(s.machine.id.as_str()))
            .collect();
        todo.extend(
            overlay
                .values()
                .flatten()
                .filter(|s| match by {
                    StoredBy::Machine(id) => s.machine.id.as_str() == id,
                    StoredBy::Model(id) => s.machine.model_id.as_str() == id,
                    StoredBy::Category(id) => self
                        .catalog
                        .category_of(&s.machine)
                        .is_some_and(|c| self.catalog.chain(c).iter().any(|a| a.as_str() == id)),
                })
                .cloned(),
        );
        for s in todo {
            self.put(overlay, s)?;
        }
        Ok(())
    }

    fn apply_one(
        &mut self,
        overlay: &mut Overlay,
        position: u64,
        event: &Event,
    ) -> Result<Option<DeadLetter>, SearchError> {
        let not_listed = |id: &str| DeadLetter {
            projection: "text".into(),
            position,
            event_id: event.id.as_str().to_owned(),
            reason: format!("machine {id} is not listed"),
        };
        match &event.payload {
            Payload::CategoryDefined(c) => {
                self.writer.upsert_entry(CatalogEntry::Category(c))?;
                if self.catalog.define_category(c) {
                    self.reindex(overlay, StoredBy::Category(c.id.as_str()))?;
                }
            }
            // Prices are indexed as listed and converted when a search runs; synonyms
            // rewrite queries, not listings.
            Payload::SpecCategoryDefined(_)
            | Payload::ModelSpecsChanged(_)
            | Payload::CurrencyRatesPublished(_)
            | Payload::SynonymsDefined(_)
            | Payload::SynonymsRemoved(_) => {}
            // Buyers' searches and watches are the alerts' concern, not the text's.
            Payload::SavedSearchCreated(_)
            | Payload::SavedSearchDeleted(_)
            | Payload::MachineWatched(_)
            | Payload::MachineUnwatched(_) => {}
            Payload::MakerRegistered(m) | Payload::MakerRenamed(m) => {
                self.writer.upsert_entry(CatalogEntry::Maker(m))?;
            }
            Payload::ModelRegistered(m) => {
                self.writer.upsert_entry(CatalogEntry::Model(m))?;
                if self.catalog.register_model(m) {
                    self.reindex(overlay, StoredBy::Model(m.id.as_str()))?;
                }
            }
            Payload::MachineListed(m) => {
                let stored = StoredListing {
                    machine: m.clone(),
                    listed_at: event.at.unix_seconds(),
                };
                self.put(overlay, stored)?;
            }
            Payload::MachineUpdated(c) => {
                let Some(mut stored) = self.current(overlay, c.machine_id.as_str())? else {
                    return Ok(Some(not_listed(c.machine_id.as_str())));
                };
                c.clone().apply_to(&mut stored.machine);
                self.put(overlay, stored)?;
            }
            Payload::MachineSold(r) | Payload::MachineWithdrawn(r) => {
                if self.current(overlay, r.machine_id.as_str())?.is_none() {
                    return Ok(Some(not_listed(r.machine_id.as_str())));
                }
                self.writer.remove(&r.machine_id);
                overlay.insert(r.machine_id.as_str().to_owned(), None);
            }
        }
        Ok(None)
    }
}

impl Projection for TextProjection {
    fn name(&self) -> &str {
        "text"
    }

    fn checkpoint(&self) -> Result<u64, ProjectionError> {
        Ok(self.checkpoint)
    }

    fn apply(&mut self, batch: &[(u64, Event)]) -> Result<Vec<DeadLetter>, ProjectionError> {
        let Some((last, _)) = batch.last() else {
            return Ok(Vec::new());
        };
        let mut overlay = Overlay::new();
        let mut letters = Vec::new();
        let result = (|| -> Result<(), SearchError> {
            for (position, event) in batch {
                letters.extend(self.apply_one(&mut overlay, *position, event)?);
            }
            Ok(())
        })();
        let committed = result.and_then(|()| {
            self.keys
                .sync()
                .map_err(|e| SearchError::Io("machine keys".into(), e))?;
            let payload = Committed {
                checkpoint: last + 1,
                catalog: &self.catalog,
            };
            let payload = serde_json::to_string(&payload).expect("the payload serializes");
            self.writer.commit(Some(payload))
        });
        if let Err(e) = committed {
            // Nothing of the batch may stay: back to the last commit, in the index and
            // in the catalog state, so that the batch can be applied again.
            self.writer.rollback().map_err(failed)?;
            self.catalog = Committed::load(&self.index)?.catalog;
            return Err(failed(e));
        }
        self.checkpoint = last + 1;
        self.changed = true;
        Ok(letters)
    }

    /// Merges the listing segments into one (~5-10 s for 1M listings on one core;
    /// searches go on meanwhile on the segments as they were, and events that arrive
    /// wait).
    fn caught_up(&mut self) -> Result<(), ProjectionError> {
        if std::mem::take(&mut self.changed) {
            self.writer.compact().map_err(failed)?;
        }
        Ok(())
    }
}
