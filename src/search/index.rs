//! The listing index on disk, with its catalog vocabulary: writing, and searching.

use super::all_words::AllWordsQuery;
use super::analysis;
use super::columns::ColumnCache;
use super::document::StoredListing;
use super::fields::{Fields, Group};
use super::language::{LangSet, LanguageDetector};
use super::query::{
    classes, listing_query, ClassQuery, Expansions, ListingQuery, Members, RequestError,
    SearchRequest, Sort, Tuning,
};
use super::relax::{relaxed_query, word_query, Relax, Target};
use super::words::{is_stop_word, own_match, query_words, WordLevel, MAX_STRONG_WORDS};
use super::writer::ListingWriter;
use prepared::{tiered, Evaluation, BUFFERS};
pub use prepared::{PreparedSearch, SearchBuffers};
use roaring::RoaringBitmap;
use std::path::Path;
use std::sync::Arc;
use stockyard_schema::Lang;
use tantivy::collector::DocSetCollector;
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, Bm25Weight, BooleanQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term};

mod prepared;

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
    /// A stored listing could not be read back (written by another version).
    #[error("stored listing: {0}")]
    Stored(String),
    /// tantivy failed (I/O, corruption…).
    #[error("text index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

/// One hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The machine's id.
    pub machine_id: String,
    /// The caller's numeric id of the machine.
    pub key: u64,
    /// Final score (after the language boost).
    pub score: f32,
    /// The listing as indexed.
    pub listing: StoredListing,
}

/// Which stored listings to read back ([`ListingWriter::stored`]).
#[derive(Debug, Clone, Copy)]
pub enum StoredBy<'a> {
    /// One machine.
    Machine(&'a str),
    /// Every listing of a model.
    Model(&'a str),
    /// Every listing in a category or below it.
    Category(&'a str),
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
    /// Every hit (at or above the minimum score, whatever the filter), when
    /// requested: what the graph counts facets over.
    pub hit_set: Option<RoaringBitmap>,
}

/// The catalog entities texts named, by text, within one search.
type Named = std::collections::HashMap<String, Expansions>;

/// How the committed listings lie on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Segments searches go through one after the other.
    pub segments: usize,
    /// Documents deleted but still in their segments' postings.
    pub deleted: u64,
}

/// One tantivy index with its reader.
struct Part {
    index: Index,
    reader: IndexReader,
}

impl Part {
    fn open(dir: Option<&Path>) -> Result<Part, SearchError> {
        let (schema, _) = Fields::schema();
        let index = match dir {
            None => Index::create_in_ram(schema),
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| SearchError::Io(dir.display().to_string(), e))?;
                let directory = MmapDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
                Index::open_or_create(directory, schema).map_err(|e| match e {
                    tantivy::TantivyError::SchemaError(_) => {
                        SearchError::SchemaMismatch(dir.display().to_string())
                    }
                    other => SearchError::Index(other),
                })?
            }
        };
        analysis::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Part { index, reader })
    }

    fn analyzers(&self, fields: &Fields) -> Result<Vec<TextAnalyzer>, SearchError> {
        Ok(Group::ALL
            .iter()
            .map(|g| self.index.tokenizer_for_field(fields.text(*g)))
            .collect::<tantivy::Result<Vec<_>>>()?)
    }
}

/// The listing index and its catalog vocabulary; cheap to share between threads.
///
/// Listings live in one tantivy index, the names of makers, models and categories in a
/// second, small one (see [`super::query`] for why); on disk they are the `listings/`
/// and `catalog/` folders of the index directory.
pub struct TextIndex {
    listings: Part,
    catalog: Part,
    fields: Fields,
    detector: Arc<LanguageDetector>,
    tuning: Tuning,
    columns: ColumnCache,
}

impl TextIndex {
    /// Opens the index in `dir`, creating it when the directory is empty or missing.
    pub fn open_or_create(
        dir: &Path,
        detector: Arc<LanguageDetector>,
    ) -> Result<Self, SearchError> {
        Ok(TextIndex {
            listings: Part::open(Some(&dir.join("listings")))?,
            catalog: Part::open(Some(&dir.join("catalog")))?,
            fields: Fields::schema().1,
            detector,
            tuning: Tuning::default(),
            columns: ColumnCache::default(),
        })
    }

    /// A throw-away index in memory (tests, tools).
    pub fn in_memory(detector: Arc<LanguageDetector>) -> Result<Self, SearchError> {
        Ok(TextIndex {
            listings: Part::open(None)?,
            catalog: Part::open(None)?,
            fields: Fields::schema().1,
            detector,
            tuning: Tuning::default(),
            columns: ColumnCache::default(),
        })
    }

    /// Replaces the scoring weights.
    pub fn set_tuning(&mut self, tuning: Tuning) {
        self.tuning = tuning;
    }

    /// A writer; one at a time per index. `heap_bytes` is tantivy's indexing memory for
    /// listings (the catalog vocabulary uses the minimum).
    pub fn writer(&self, heap_bytes: usize) -> Result<ListingWriter, SearchError> {
        Ok(ListingWriter {
            listings: self.listings.index.writer(heap_bytes)?,
            catalog: self.catalog.index.writer_with_num_threads(1, 15_000_000)?,
            listing_reader: self.listings.reader.clone(),
            catalog_reader: self.catalog.reader.clone(),
            fields: self.fields.clone(),
            detector: self.detector.clone(),
        })
    }

    /// How the committed listings lie on disk: segments and deleted documents still
    /// in them (see [`super::ListingWriter::compact`]).
    pub fn layout(&self) -> Result<Layout, SearchError> {
        let segments = self.listings.index.searchable_segment_metas()?;
        Ok(Layout {
            segments: segments.len(),
            deleted: segments
                .iter()
                .map(|s| u64::from(s.num_deleted_docs()))
                .sum(),
        })
    }

    /// The generations of the readers searches use now (listings, catalog
    /// vocabulary): they count up at every reload, so equal pairs mean equal answers.
    pub fn reader_generations(&self) -> (u64, u64) {
        (
            self.listings.reader.searcher().generation().generation_id(),
            self.catalog.reader.searcher().generation().generation_id(),
        )
    }

    /// The payload of the last commit (the indexer's checkpoint), if any.
    pub fn commit_payload(&self) -> Result<Option<String>, SearchError> {
        Ok(self.listings.index.load_metas()?.payload)
    }

    /// A listing as of the last commit, with its key.
    pub fn listing(&self, machine_id: &str) -> Result<Option<(u64, StoredListing)>, SearchError> {
        let searcher = self.listings.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.machine_id, machine_id),
            IndexRecordOption::Basic,
        );
        let Some(address) = searcher
            .search(&query, &DocSetCollector)?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let segment = searcher.segment_reader(address.segment_ord);
        let key = segment
            .fast_fields()
            .u64("key")?
            .first(address.doc_id)
            .unwrap_or_default();
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(Some((key, stored_listing(&self.fields, &doc)?)))
    }

    /// Every listing as of the last commit with its key, by key: what the index holds,
    /// for comparing two indexes (rebuilds, crash tests).
    pub fn documents(&self) -> Result<Vec<(u64, StoredListing)>, SearchError> {
        let searcher = self.listings.reader.searcher();
        let mut out = Vec::with_capacity(searcher.num_docs() as usize);
        for segment in searcher.segment_readers() {
            let keys = segment.fast_fields().u64("key")?;
            let store = segment
                .get_store_reader(64)
                .map_err(tantivy::TantivyError::from)?;
            for doc in segment.doc_ids_alive() {
                let key = keys.first(doc).unwrap_or_default();
                let stored: TantivyDocument = store.get(doc)?;
                out.push((key, stored_listing(&self.fields, &stored)?));
            }
        }
        out.sort_by_key(|(k, _)| *k);
        Ok(out)
    }

    /// Live listings in the index (as of the last commit).
    pub fn num_docs(&self) -> u64 {
        self.listings.reader.searcher().num_docs()
    }

    /// [`Self::expansions`] of `text`, looked up once per search.
    fn expansions_once(&self, text: &str, seen: &mut Named) -> Result<Expansions, SearchError> {
        if let Some(known) = seen.get(text) {
            return Ok(known.cloned());
        }
        let found = self.expansions(text)?;
        seen.insert(text.to_owned(), found.cloned());
        Ok(found)
    }

    /// The catalog entities whose names match `text`, by class, as queries on the
    /// listing id fields.
    fn expansions(&self, text: &str) -> Result<Expansions, SearchError> {
        let searcher = self.catalog.reader.searcher();
        if searcher.num_docs() == 0 {
            return Ok(Expansions::default());
        }
        let mut analyzers = self.catalog.analyzers(&self.fields)?;
        let c = classes(&self.fields, &mut analyzers, text, &self.tuning, |t| {
            searcher.doc_freq(t).unwrap_or(0)
        });
        let mut out = Expansions::default();
        let mut seen = std::collections::HashSet::new();
        // Best class first, so that an entity counts once, in its best class.
        for (members, into) in [(c.phrase, &mut out.phrase), (c.prefix, &mut out.prefix)] {
            self.match_entities(&searcher, vec![members.into_query()], into, &mut seen)?;
        }
        if let Some(n) = c.ngram {
            self.match_entities(&searcher, vec![n.query()], &mut out.ngram, &mut seen)?;
        }
        Ok(out)
    }

    /// The query of a relaxed search ([`super::relax`]): each word in the listing's
    /// own words or naming one of its catalog entities, exactly or within its typo
    /// budget; one constant-score class.
    fn relaxed(&self, text: &str, relax: Relax) -> Result<ListingQuery, SearchError> {
        let catalog = self.catalog.reader.searcher();
        let mut listing_analyzers = self.listings.analyzers(&self.fields)?;
        let mut catalog_analyzers = self.catalog.analyzers(&self.fields)?;
        let mut per_word = Vec::new();
        let mut strong = Vec::new();
        for word in query_words(text) {
            let mut named = Vec::new();
            if catalog.num_docs() > 0 {
                let names =
                    word_query(&self.fields, &mut catalog_analyzers, &word, Target::Catalog);
                self.match_entities(&catalog, vec![names], &mut named, &mut Default::default())?;
            }
            let mut any: Vec<(Occur, Box<dyn Query>)> = vec![(
                Occur::Should,
                word_query(&self.fields, &mut listing_analyzers, &word, Target::Text),
            )];
            any.extend(named.iter().map(|q| (Occur::Should, q.box_clone())));
            per_word.push(Box::new(BooleanQuery::new(any)) as Box<dyn Query>);
            if strong.len() < MAX_STRONG_WORDS {
                let mut title_or_name = vec![word_query(
                    &self.fields,
                    &mut listing_analyzers,
                    &word,
                    Target::Title,
                )];
                title_or_name.extend(named);
                strong.push(title_or_name);
            }
        }
        let field_unit = self.tuning.field / strong.len().max(1) as f32;
        let mut own = Members::default();
        own.cheap.push(relaxed_query(per_word, relax));
        Ok(ListingQuery {
            classes: vec![ClassQuery {
                score: self.tuning.prefix,
                own,
                named: Vec::new(),
                named_is_strong: false,
            }],
            required: 0,
            strong,
            single_title: None,
            field_unit,
            ngram: None,
            prefix_bit: 0,
        })
    }

    /// The word-level part of a query ([`super::words`]): `texts` are the words as
    /// typed, then their alternatives. Each word matches in the listing's own text
    /// or through an entity it names; the strong matches are those of the words as
    /// typed, in the title or the name of an entity the word or the whole query
    /// (`whole`: `PC200 8` names the model PC200-8) names. Stop words of the buyer's
    /// `langs` are left out (unless the query holds nothing else).
    fn word_level(
        &self,
        texts: &[&str],
        whole: &Expansions,
        langs: LangSet,
        analyzers: &mut [TextAnalyzer],
        seen: &mut Named,
    ) -> Result<WordLevel, SearchError> {
        let mut all_words: Vec<Box<dyn Query>> = Vec::new();
        let mut strong = Vec::new();
        let mut single_title = None;
        let mut several = false;
        for (t, text) in texts.iter().enumerate() {
            let typed = query_words(text);
            let mut words: Vec<&String> =
                typed.iter().filter(|w| !is_stop_word(w, langs)).collect();
            if words.is_empty() {
                words = typed.iter().collect();
            }
            if t == 0 {
                several = words.len() >= 2;
            }
            let mut each: Vec<Vec<Box<dyn Query>>> = Vec::with_capacity(words.len());
            for (i, word) in words.iter().enumerate() {
                let last = t == 0 && i + 1 == words.len();
                let own = own_match(&self.fields, analyzers, word, last);
                let one_word = t == 0 && typed.len() == 1;
                // A query of one word names what the whole query names.
                let named = if one_word {
                    whole.cloned()
                } else {
                    self.expansions_once(word, seen)?
                };
                if one_word {
                    single_title = Some(own.title.clone());
                }
                if t == 0 && i < MAX_STRONG_WORDS {
                    let strong_of_word: Vec<Box<dyn Query>> = own
                        .title_queries()
                        .chain(named.phrase.iter().map(|q| q.box_clone()))
                        .chain(named.prefix.iter().map(|q| q.box_clone()))
                        .chain(
                            whole
                                .phrase
                                .iter()
                                .chain(&whole.prefix)
                                .filter(|_| several)
                                .map(|q| q.box_clone()),
                        )
                        .collect();
                    strong.push(strong_of_word);
                }
                if several {
                    let mut anywhere = own.anywhere;
                    anywhere.extend(named.phrase);
                    anywhere.extend(named.prefix);
                    each.push(anywhere);
                }
            }
            if several && !each.is_empty() {
                all_words.push(Box::new(AllWordsQuery::new(each)) as Box<dyn Query>);
            }
        }
        Ok(WordLevel {
            all: several.then_some(all_words),
            strong,
            single_title,
        })
    }

    fn match_entities(
        &self,
        searcher: &Searcher,
        queries: Vec<Box<dyn Query>>,
        into: &mut Vec<Box<dyn Query>>,
        seen: &mut std::collections::HashSet<String>,
    ) -> Result<(), SearchError> {
        if queries.is_empty() {
            return Ok(());
        }
        let q = BooleanQuery::new(
            queries
                .into_iter()
                .map(|q| (tantivy::query::Occur::Should, q))
                .collect(),
        );
        for address in searcher.search(&q, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            let Some(entity) = doc.get_first(self.fields.entity).and_then(|v| v.as_str()) else {
                continue;
            };
            if !seen.insert(entity.to_owned()) {
                continue;
            }
            let (kind, id) = entity.split_once(':').unwrap_or(("", entity));
            let field = match kind {
                "maker" => self.fields.maker_id,
                "model" => self.fields.model_id,
                _ => self.fields.category_id,
            };
            into.push(Box::new(TermQuery::new(
                Term::from_field_text(field, id),
                IndexRecordOption::Basic,
            )));
        }
        Ok(())
    }

    /// Runs a search with buffers kept by the calling thread.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let prepared = self.prepare(req)?;
        BUFFERS.with(|buffers| prepared.run(req, &mut buffers.borrow_mut(), None))
    }

    /// Builds the query of a search without running it, so that the caller can judge
    /// its cost first ([`PreparedSearch::estimate`]).
    pub fn prepare(&self, req: &SearchRequest) -> Result<PreparedSearch<'_>, SearchError> {
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
        let searcher = self.listings.reader.searcher();
        let sort = if browse && req.sort == Sort::Relevance {
            Sort::Newest
        } else {
            req.sort
        };
        let scoring = matches!(sort, Sort::Relevance) || (!browse && req.min_score.is_some());
        let enable = if scoring {
            EnableScoring::enabled_from_searcher(&searcher)
        } else {
            EnableScoring::disabled_from_searcher(&searcher)
        };
        let evaluation = if browse {
            Evaluation::Whole(AllQuery.weight(enable)?)
        } else {
            let query = if req.relax == Relax::Strict {
                let mut analyzers = self.listings.analyzers(&self.fields)?;
                let doc_freq = |t: &tantivy::Term| searcher.doc_freq(t).unwrap_or(0);
                let mut own = classes(&self.fields, &mut analyzers, text, &self.tuning, doc_freq);
                // A query's alternatives and words often name the same texts
                // (`klimaanlage` is an alternative and its word): looked up once.
                let mut seen = Named::new();
                let mut entities = self.expansions_once(text, &mut seen)?;
                let texts: Vec<&str> = std::iter::once(text)
                    .chain(req.alternatives.iter().map(String::as_str))
                    .collect();
                let words = self.word_level(&texts, &entities, langs, &mut analyzers, &mut seen)?;
                // A trade word or synonym is also searched as what it stands for, in
                // the same classes; the n-grams stay those of the words typed. Its
                // words are whole (the alias was found as whole words), so it adds no
                // prefix matches of its own. For a query of several words, its
                // alternatives match word by word (the words class) and add nothing
                // here: the words as typed rank first.
                let one_word = words.all.is_none();
                for alt in req.alternatives.iter().filter(|_| one_word) {
                    // What an alternative names joins the classes, not the strong
                    // words: the words as typed rank first.
                    let named = self.expansions_once(alt, &mut seen)?;
                    let mut c = classes(&self.fields, &mut analyzers, alt, &self.tuning, doc_freq);
                    // Its prefixes are not searched: its phrases imply none.
                    for p in &mut c.phrase.costly {
                        p.implies_prefix = false;
                    }
                    own.phrase.absorb(c.phrase);
                    own.phrase.cheap.extend(named.phrase);
                    own.prefix.cheap.extend(named.prefix);
                    entities.ngram.extend(named.ngram);
                }
                let mut bm25_max = 0.0;
                for t in own.ngram.iter().flat_map(|n| &n.terms) {
                    bm25_max +=
                        Bm25Weight::for_terms(&searcher, std::slice::from_ref(t))?.max_score();
                }
                listing_query(own, entities, words, bm25_max, &self.tuning)
            } else {
                self.relaxed(text, req.relax)?
            };
            // In tiers whatever the order: finding the hits is the same work; only
            // scoring every hit (a minimum score) needs the whole query.
            if req.min_score.is_none() && !req.exhaustive {
                Evaluation::Tiered(tiered(&query, &searcher)?)
            } else {
                Evaluation::Whole(query.boolean().weight(enable)?)
            }
        };
        Ok(PreparedSearch {
            index: self,
            searcher,
            evaluation,
            langs,
            browse,
            sort,
        })
    }
}

/// The stored source of a listing document.
pub(super) fn stored_listing(
    fields: &Fields,
    doc: &TantivyDocument,
) -> Result<StoredListing, SearchError> {
    let source = doc
        .get_first(fields.source)
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    serde_json::from_str(source).map_err(|e| SearchError::Stored(e.to_string()))
}
