//! The listing index on disk: writing listings, and searching them.

use super::analysis;
use super::collect::RankCollector;
use super::currency::Rates;
use super::document::Listing;
use super::fields::{Fields, Group};
use super::language::{LangSet, LanguageDetector};
use super::query::{text_query, RequestError, SearchRequest, Sort, Tuning};
use std::path::Path;
use std::sync::Arc;
use stockyard_schema::{Lang, MachineId, Text};
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, Query};
use tantivy::schema::Value;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Why the index could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request breaks a limit; nothing was searched.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The directory holds an index of another schema: it must be rebuilt.
    #[error("the index in {0} was built with another schema; rebuild it")]
    SchemaMismatch(String),
    /// The index directory could not be created.
    #[error("cannot create {0}: {1}")]
    Io(String, std::io::Error),
    /// tantivy failed (I/O, corruption…).
    #[error("text index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// One hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The machine.
    pub machine_id: String,
    /// The caller's numeric id of the machine.
    pub key: u64,
    /// Final score (after the language boost).
    pub score: f32,
    /// The listing's title in all its languages.
    pub title: Text,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// Hits in all (at or above the minimum score).
    pub total: usize,
    /// The requested page.
    pub hits: Vec<Hit>,
    /// The languages whose listings were boosted: the buyer's, given or detected (both
    /// Japanese and Chinese for a query in Han characters only).
    pub langs: Vec<Lang>,
    /// Keys of every hit, when requested.
    pub keys: Option<Vec<u64>>,
}

/// The listing index; cheap to share between threads.
pub struct TextIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    detector: Arc<LanguageDetector>,
    tuning: Tuning,
}

impl TextIndex {
    /// Opens the index in `dir`, creating it when the directory is empty or missing.
    pub fn open_or_create(
        dir: &Path,
        detector: Arc<LanguageDetector>,
    ) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| SearchError::Io(dir.display().to_string(), e))?;
        let (schema, fields) = Fields::schema();
        let directory = MmapDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
        let index = Index::open_or_create(directory, schema).map_err(|e| match e {
            tantivy::TantivyError::SchemaError(_) => {
                SearchError::SchemaMismatch(dir.display().to_string())
            }
            other => SearchError::Index(other),
        })?;
        Self::with_index(index, fields, detector)
    }

    /// A throw-away index in memory (tests, tools).
    pub fn in_memory(detector: Arc<LanguageDetector>) -> Result<Self, SearchError> {
        let (schema, fields) = Fields::schema();
        Self::with_index(Index::create_in_ram(schema), fields, detector)
    }

    fn with_index(
        index: Index,
        fields: Fields,
        detector: Arc<LanguageDetector>,
    ) -> Result<Self, SearchError> {
        analysis::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(TextIndex {
            index,
            reader,
            fields,
            detector,
            tuning: Tuning::default(),
        })
    }

    /// Replaces the scoring weights.
    pub fn set_tuning(&mut self, tuning: Tuning) {
        self.tuning = tuning;
    }

    /// A writer; one at a time per index. `heap_bytes` is tantivy's indexing memory.
    pub fn writer(&self, heap_bytes: usize) -> Result<ListingWriter, SearchError> {
        Ok(ListingWriter {
            writer: self.index.writer(heap_bytes)?,
            reader: self.reader.clone(),
            fields: self.fields.clone(),
            detector: self.detector.clone(),
        })
    }

    /// The payload of the last commit (the indexer's checkpoint), if any.
    pub fn commit_payload(&self) -> Result<Option<String>, SearchError> {
        Ok(self.index.load_metas()?.payload)
    }

    /// Live listings in the index (as of the last commit).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        req.validate()?;
        let text = req.text.trim();
        let langs = match req.lang {
            Some(l) => LangSet::of(l),
            None => self
                .detector
                .detect(text)
                .filter(|(_, lead)| *lead >= self.tuning.detect_confidence)
                .map_or(LangSet::default(), |(set, _)| set),
        };
        let browse = text.is_empty();
        let searcher = self.reader.searcher();
        let query: Box<dyn Query> = if browse {
            Box::new(AllQuery)
        } else {
            let mut analyzers = Group::ALL
                .iter()
                .map(|g| self.index.tokenizer_for_field(self.fields.text(*g)))
                .collect::<tantivy::Result<Vec<_>>>()?;
            text_query(&self.fields, &mut analyzers, text, &self.tuning, |t| {
                searcher.doc_freq(t).unwrap_or(0)
            })
        };
        let sort = if browse && req.sort == Sort::Relevance {
            Sort::Newest
        } else {
            req.sort
        };
        let collector = RankCollector {
            sort,
            lang_bits: langs.0,
            lang_boost: if browse { 1.0 } else { self.tuning.lang_boost },
            min_score: if browse { None } else { req.min_score },
            top: req.offset + req.limit,
            collect_keys: req.collect_keys,
        };
        let collected = searcher.search(query.as_ref(), &collector)?;
        let mut hits = Vec::with_capacity(req.limit);
        for r in collected.top.iter().skip(req.offset) {
            let doc: TantivyDocument = searcher.doc(r.address)?;
            let machine_id = doc
                .get_first(self.fields.machine_id)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let title = doc
                .get_first(self.fields.title)
                .and_then(|v| v.as_str())
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_else(|| Text::Unknown(machine_id.clone()));
            hits.push(Hit {
                machine_id,
                key: r.key,
                score: r.score,
                title,
            });
        }
        Ok(SearchResults {
            total: collected.total,
            hits,
            langs: langs.langs().collect(),
            keys: req.collect_keys.then_some(collected.keys),
        })
    }
}

/// Adds, replaces and removes listings; changes become visible at [`ListingWriter::commit`].
pub struct ListingWriter {
    writer: IndexWriter,
    reader: IndexReader,
    fields: Fields,
    detector: Arc<LanguageDetector>,
}

impl ListingWriter {
    /// Indexes a listing, replacing any earlier version of the same machine.
    pub fn upsert(&mut self, listing: &Listing<'_>) -> Result<(), SearchError> {
        self.remove(&listing.machine.id);
        let doc = listing.document(&self.fields, &self.detector, &Rates);
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Removes a listing (sold, withdrawn); unknown ids are fine.
    pub fn remove(&mut self, id: &MachineId) {
        self.writer
            .delete_term(Term::from_field_text(self.fields.machine_id, id.as_str()));
    }

    /// Makes everything written so far durable and searchable, with an optional
    /// payload stored atomically with the commit (the indexer's checkpoint).
    pub fn commit(&mut self, payload: Option<String>) -> Result<(), SearchError> {
        let mut prepared = self.writer.prepare_commit()?;
        if let Some(p) = payload {
            prepared.set_payload(&p);
        }
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }
}
