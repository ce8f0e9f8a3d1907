//! Search requests and the tantivy queries made from them.
//!
//! The words typed are matched three ways at once, any of which may match:
//!
//! * **phrase**: the analysed words, in order, in any language group's field;
//! * **prefix**: the words with the last one as a prefix (`hydraulic exc`), and the
//!   normalised query as a prefix of model numbers and maker names (`pc200` →
//!   `PC200-8`, `zx 135` → `ZX135US-7`, `コマ` → `コマツ`);
//! * **ngram**: enough of the query's character n-grams (a share set by
//!   [`Tuning::ngram_min_share`] of its rarest [`Tuning::ngram_max_terms`]), for
//!   partial words, typos and unsegmented text. A one-word query needs all of its
//!   chosen n-grams (an intersection, cheap even for common words); a longer query a
//!   share of them.
//!
//! The listing's own title and description are matched, and so are the names of its
//! catalog entities: the query runs first over the small catalog vocabulary (maker
//! names in every script, model numbers, category names in every language), and each
//! entity matched joins the class it matched in as a term query on the listing's
//! `maker_id`, `model_id` or `category_id` (categories include their ancestors). A
//! listing of category "Excavators" matches `油圧ショベル` as a phrase exactly as if the
//! name were in its own text, while the names stay out of millions of listing
//! documents: indexing is cheaper, posting lists shorter, and a renamed maker needs no
//! listing reindexed.
//!
//! Phrase and prefix matches score a constant each ([`Tuning::phrase`],
//! [`Tuning::prefix`]); the n-gram match scores BM25, scaled so that the largest sum
//! the query's n-grams could reach is [`Tuning::ngram`], so it ranks within a class but never lifts an
//! n-gram-only hit over a prefix hit; an entity matched by n-grams only scores
//! [`Tuning::ngram`]. A phrase hit matches all three and ranks first.

use super::analysis::{code_form, is_cjk, ngram_terms, normalize, segments};
use super::fields::{Fields, Group};
use super::lazy::{Costly, EitherQuery};
use super::min_match::MinMatchQuery;
use super::prefix::PrefixQuery;
use super::words::WordLevel;
use stockyard_schema::Lang;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Largest page accepted.
pub const MAX_LIMIT: usize = 100;
/// Deepest page start accepted: deeper paging belongs to filters, not to scrolling.
pub const MAX_OFFSET: usize = 10_000;

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// The order of hits. Listings without the sorted value come last either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first (browse mode: all equal, so by key).
    #[default]
    Relevance,
    /// By price in a common currency.
    Price(Order),
    /// By model year.
    Year(Order),
    /// By hours.
    Hours(Order),
    /// Most recently listed first.
    Newest,
}

/// Weights of the scoring. The defaults keep phrase above prefix above n-gram hits.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Score of a phrase match.
    pub phrase: f32,
    /// Score of a prefix match.
    pub prefix: f32,
    /// Score of a listing matching every word of a query of several words (not as a
    /// phrase or prefix: those score more).
    pub words: f32,
    /// Shared by the words of a query: what words found in the title or a catalog
    /// name add, all of them together (the rest of the text adds nothing).
    pub field: f32,
    /// The most the n-gram match's BM25 can add (its largest possible sum is scaled
    /// to this), and the score of an entity matched by n-grams only: below a strong
    /// word, so that BM25 only orders listings the other criteria tie.
    pub ngram: f32,
    /// Share of the query's n-grams a listing must hold to match by n-grams.
    pub ngram_min_share: f32,
    /// How many of the query's n-grams are used: the rarest ones.
    pub ngram_max_terms: usize,
    /// Added to the score of a listing written in the buyer's language: more than
    /// the n-gram BM25 can add, less than a strong word of a query of up to four
    /// words, so that the buyer's language decides between listings that match
    /// equally well by every other criterion, whatever class they are in.
    pub lang_bonus: f32,
    /// Lead over the runner-up language the detector must reach before a query's
    /// language counts (see [`super::LanguageDetector::detect`]). Short queries are
    /// often ambiguous (`komatsu` reads as German, 0.17 ahead); they get no boost.
    pub detect_confidence: f64,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            phrase: 4.0,
            prefix: 2.0,
            words: 1.0,
            field: 1.0,
            ngram: 0.1,
            ngram_min_share: 0.6,
            ngram_max_terms: 6,
            lang_bonus: 0.15,
            detect_confidence: 0.3,
        }
    }
}

/// A search: the words typed (empty to browse), the buyer's language, paging, order.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The words typed; empty or blank browses all live listings.
    pub text: String,
    /// The buyer's primary language; detected from the words when `None`.
    pub lang: Option<Lang>,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return (1 to [`MAX_LIMIT`]).
    pub limit: usize,
    /// Order of hits.
    pub sort: Sort,
    /// Hits scoring below this are dropped (ignored when browsing).
    pub min_score: Option<f32>,
    /// Also return the set of every hit's key (for facets over the whole hit set).
    pub hit_set: bool,
    /// Only listings whose key is in this set count towards the total and the page
    /// (the buyer's selections, from the graph); the hit set is not filtered.
    pub filter: Option<std::sync::Arc<roaring::RoaringBitmap>>,
    /// Score every hit with the whole query instead of ranking in tiers (the same
    /// answer, slower): the reference the tiered ranking is tested against.
    pub exhaustive: bool,
    /// The exchange rates sorting by price converts with.
    pub rates: crate::currency::Rates,
    /// How far to stray from the words as typed ([`super::relax`]).
    pub relax: super::relax::Relax,
    /// Other texts the words are also searched as (trade words and the marketplace's
    /// synonyms, [`super::trade_words`]): their phrase and prefix matches and the
    /// catalog entities they name join the words' own classes.
    pub alternatives: Vec<String>,
}

/// A request that cannot be served, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// The words typed are too long.
    #[error("the query is {chars} characters long; at most {MAX_QUERY_CHARS} are accepted")]
    QueryTooLong {
        /// Its length.
        chars: usize,
    },
    /// `limit` is 0 or above the maximum.
    #[error("limit must be from 1 to {MAX_LIMIT}, got {0}")]
    Limit(usize),
    /// `offset` is beyond the deepest page.
    #[error("offset must be at most {MAX_OFFSET}, got {0}")]
    Offset(usize),
    /// The minimum score is not a finite number.
    #[error("min_score must be a finite number")]
    MinScore,
}

impl SearchRequest {
    /// Checks the limits; every search calls it first.
    pub fn validate(&self) -> Result<(), RequestError> {
        let chars = self.text.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(RequestError::QueryTooLong { chars });
        }
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err(RequestError::Limit(self.limit));
        }
        if self.offset > MAX_OFFSET {
            return Err(RequestError::Offset(self.offset));
        }
        if self.min_score.is_some_and(|s| !s.is_finite()) {
            return Err(RequestError::MinScore);
        }
        Ok(())
    }
}

fn terms(analyzer: &mut TextAnalyzer, field: tantivy::schema::Field, text: &str) -> Vec<Term> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push(Term::from_field_text(field, &t.text));
    }
    out
}

/// The members of a match class: cheap queries (terms, prefixes of one word) and
/// phrases, whose positions are read only where no cheap member matches
/// (the lazy phrase checks of `search/lazy.rs`).
#[derive(Default)]
pub struct Members {
    /// Matched as they are.
    pub cheap: Vec<Box<dyn Query>>,
    /// Phrases, with the documents holding their words as candidates.
    pub costly: Vec<Costly>,
}

impl Members {
    pub(super) fn is_empty(&self) -> bool {
        self.cheap.is_empty() && self.costly.is_empty()
    }

    /// Takes `other`'s members as its own (a trade word's catalog name matches in the
    /// same class as the words typed).
    pub fn absorb(&mut self, other: Members) {
        self.cheap.extend(other.cheap);
        self.costly.extend(other.costly);
    }

    /// Adds `terms` in order: a term query for one, else a phrase.
    pub(super) fn phrase(&mut self, terms: Vec<Term>) {
        if terms.len() == 1 {
            let t = terms.into_iter().next().expect("one term");
            self.cheap
                .push(Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)));
        } else {
            self.costly.push(Costly {
                candidates: terms.iter().map(term_query).collect(),
                exact: Box::new(PhraseQuery::new(terms)),
                implies_prefix: false,
            });
        }
    }

    /// Adds `terms` in order with the last one as a prefix.
    pub(super) fn phrase_prefix(&mut self, terms: Vec<Term>) {
        if terms.len() == 1 {
            let t = terms.into_iter().next().expect("one term");
            self.cheap.push(Box::new(PrefixQuery::new(t)));
        } else {
            // Candidates: the leading words, and any word the last one begins.
            let (last, leading) = terms.split_last().expect("two terms or more");
            let mut candidates: Vec<Box<dyn Query>> = leading.iter().map(term_query).collect();
            candidates.push(Box::new(PrefixQuery::new(last.clone())));
            self.costly.push(Costly {
                candidates,
                exact: Box::new(PhrasePrefixQuery::new(terms)),
                implies_prefix: false,
            });
        }
    }

    /// The class as one query.
    pub fn into_query(self) -> Box<dyn Query> {
        Box::new(EitherQuery {
            cheap: self.cheap,
            costly: self.costly,
        })
    }
}

/// Documents holding `term`, unscored.
pub(super) fn term_query(term: &Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic))
}

/// Documents holding every one of `terms`.
pub(super) fn all_of(terms: &[Term]) -> Box<dyn Query> {
    match terms {
        [one] => term_query(one),
        _ => Box::new(BooleanQuery::intersection(
            terms.iter().map(term_query).collect(),
        )),
    }
}

/// The three ways a query can match, each as its own query over one index.
pub struct Classes {
    /// The words in order, in any language group's field.
    pub phrase: Members,
    /// The words with the last as a prefix; normalised codes as prefixes.
    pub prefix: Members,
    /// Enough of the rarest n-grams (BM25-scored).
    pub ngram: Option<Ngrams>,
}

/// The n-gram match of a text.
pub struct Ngrams {
    /// The n-grams, rarest first.
    pub terms: Vec<Term>,
    /// How many of them a document must hold.
    pub need: usize,
}

impl Ngrams {
    /// The match, BM25-scored (unscaled).
    pub fn query(&self) -> Box<dyn Query> {
        Box::new(MinMatchQuery::new(self.terms.clone(), self.need, 1.0))
    }
}

/// The match classes of non-blank `text`. `analyzers` are the text fields' analysers
/// in [`Group::ALL`] order; `doc_freq` tells how common a term is in the index
/// searched.
pub fn classes(
    fields: &Fields,
    analyzers: &mut [TextAnalyzer],
    text: &str,
    tuning: &Tuning,
    doc_freq: impl Fn(&Term) -> u64,
) -> Classes {
    let mut phrase = Members::default();
    let mut prefix = Members::default();
    let single_word = segments(&normalize(text)).len() == 1;
    for (group, analyzer) in Group::ALL.iter().zip(analyzers.iter_mut()) {
        let field = fields.text(*group);
        let ts = terms(analyzer, field, text);
        if ts.is_empty() {
            continue;
        }
        // A prefix of a CJK bigram means nothing (the n-grams cover partial CJK words);
        // for other scripts the last word may be unfinished.
        let last_is_cjk = ts
            .last()
            .is_some_and(|t| t.value().as_str().is_some_and(|s| s.chars().any(is_cjk)));
        if !last_is_cjk {
            prefix.phrase_prefix(ts.clone());
        }
        let before = phrase.costly.len();
        phrase.phrase(ts);
        if !last_is_cjk {
            for c in &mut phrase.costly[before..] {
                c.implies_prefix = true;
            }
        }
    }
    // Model numbers and maker names: the whole query as a prefix (`pc 200` → `PC200-8`).
    // Each word is matched as a prefix by itself in the word-level part
    // ([`super::words`]): here it would let one word of several match.
    let whole = code_form(text);
    if whole.chars().count() >= 2 {
        prefix.phrase_prefix(vec![Term::from_field_text(fields.code, &whole)]);
    }

    let mut grams: Vec<Term> = ngram_terms(text)
        .iter()
        .map(|g| Term::from_field_text(fields.ngram, g))
        .collect();
    grams.sort();
    grams.dedup();
    // The rarest n-grams are the most telling and the cheapest to read: keep those.
    grams.sort_by_cached_key(|t| doc_freq(t));
    grams.truncate(tuning.ngram_max_terms);
    let ngram = (!grams.is_empty()).then(|| {
        let n = grams.len();
        // One word: all its chosen n-grams, which reads little more than the rarest
        // list. Several words: a share of them, in any word.
        let need = if single_word {
            n
        } else {
            ((n as f32 * tuning.ngram_min_share).ceil() as usize).clamp(1, n)
        };
        Ngrams { terms: grams, need }
    });
    Classes {
        phrase,
        prefix,
        ngram,
    }
}

/// Catalog entities (makers, models, categories) whose names matched the query, by
/// class, as queries over the listing index's id fields.
#[derive(Default)]
pub struct Expansions {
    /// Entities matched as a phrase.
    pub phrase: Vec<Box<dyn Query>>,
    /// Entities matched by prefix.
    pub prefix: Vec<Box<dyn Query>>,
    /// Entities matched only by n-grams.
    pub ngram: Vec<Box<dyn Query>>,
}

impl Expansions {
    /// A copy (queries are boxed trait objects).
    pub fn cloned(&self) -> Expansions {
        let copy = |v: &Vec<Box<dyn Query>>| v.iter().map(|q| q.box_clone()).collect();
        Expansions {
            phrase: copy(&self.phrase),
            prefix: copy(&self.prefix),
            ngram: copy(&self.ngram),
        }
    }

    /// Takes `other`'s entities as its own, class by class.
    pub fn absorb(&mut self, other: Expansions) {
        self.phrase.extend(other.phrase);
        self.prefix.extend(other.prefix);
        self.ngram.extend(other.ngram);
    }
}

/// The listing query, class by class: each constant-score class matches when either
/// the listing's own text or a catalog entity it belongs to matches; each word found
/// in the title or a catalog name adds [`ListingQuery::field_unit`]; n-grams of its
/// own text add BM25. A listing's score is the sum, in this order (the order
/// tantivy's union adds them in, which the tiered evaluation of `search/tiers.rs`
/// repeats to the bit). With several words, a listing must match one of the
/// [`ListingQuery::required`] classes (phrase, prefix, every word): see
/// [`super::words`].
pub struct ListingQuery {
    /// Constant-score classes, best first.
    pub classes: Vec<ClassQuery>,
    /// Bits (by index in `classes`) of the classes a listing must match one of;
    /// 0 when any class or the n-grams will do.
    pub required: u8,
    /// Per word: listings holding it in the title or a catalog name, as the members
    /// of that union (the ranking looks each up on its own: `search/tiers.rs`).
    pub strong: Vec<Vec<Box<dyn Query>>>,
    /// For a query of one word, the title part of its strong match alone: its
    /// catalog part is the classes' `named` entities (`search/tiers.rs` marks them
    /// once for both). Per language group, the word's terms in that group's title: a
    /// listing holding all the terms of any one has the word in its title.
    pub single_title: Option<Vec<Vec<Term>>>,
    /// What each word in `strong` adds.
    pub field_unit: f32,
    /// The listing's own n-grams, BM25 already scaled.
    pub ngram: Option<ScaledNgrams>,
    /// The bit (by index in `classes`) of the prefix class, which a phrase flagged
    /// `implies_prefix` (`search/lazy.rs`) also puts a listing in; 0 when there is none.
    pub prefix_bit: u8,
}

/// One constant-score class of a listing query.
pub struct ClassQuery {
    /// What it adds.
    pub score: f32,
    /// What matches in the listing's own text (and entities of trade-word
    /// alternatives).
    pub own: Members,
    /// Catalog entities the words as typed name in this class.
    pub named: Vec<Box<dyn Query>>,
    /// Whether `named` is the strong match of a query of one word (phrase and
    /// prefix classes).
    pub named_is_strong: bool,
}

impl ClassQuery {
    /// The whole class as one query.
    pub fn query(&self) -> Box<dyn Query> {
        Box::new(EitherQuery {
            cheap: self
                .own
                .cheap
                .iter()
                .chain(&self.named)
                .map(|q| q.box_clone())
                .collect(),
            costly: self.own.costly.clone(),
        })
    }
}

/// The n-gram match with its BM25 scaled to at most [`Tuning::ngram`].
pub struct ScaledNgrams {
    /// The scaled match.
    pub query: MinMatchQuery,
    /// The scale.
    pub scale: f32,
    /// The n-grams.
    pub terms: Vec<Term>,
    /// How many of them a document must hold.
    pub need: usize,
    /// The largest BM25 sum the n-grams could reach, unscaled.
    pub bm25_max: f32,
}

impl ListingQuery {
    /// The whole query as one boolean query: every class and strong word a `Should`
    /// clause, and what makes a hit as a `Must` clause scoring nothing.
    pub fn boolean(&self) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = self
            .classes
            .iter()
            .map(|c| {
                (
                    Occur::Should,
                    Box::new(ConstScoreQuery::new(c.query(), c.score)) as Box<dyn Query>,
                )
            })
            .collect();
        for members in &self.strong {
            let any = members
                .iter()
                .map(|q| (Occur::Should, q.box_clone()))
                .collect();
            clauses.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    Box::new(BooleanQuery::new(any)),
                    self.field_unit,
                )),
            ));
        }
        if let Some(n) = &self.ngram {
            clauses.push((Occur::Should, Box::new(n.query.clone())));
        }
        // What makes a hit: a required class, or (none required) any class or the
        // n-grams. Strong words only add to the score of hits.
        let mut gate: Vec<(Occur, Box<dyn Query>)> = self
            .classes
            .iter()
            .enumerate()
            .filter(|(i, _)| self.required == 0 || self.required & (1 << i) != 0)
            .map(|(_, c)| (Occur::Should, c.query()))
            .collect();
        if let Some(n) = self.ngram.as_ref().filter(|_| self.required == 0) {
            gate.push((Occur::Should, Box::new(n.query.clone())));
        }
        clauses.insert(
            0,
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(gate)), 0.0)),
            ),
        );
        Box::new(BooleanQuery::new(clauses))
    }
}

/// The listing query of a text's own classes (trade-word alternatives' entities
/// among them), the entities the words as typed named, and its word-level part.
/// `ngram_bm25_max` is the largest BM25 sum the own n-grams could reach in the
/// index searched.
pub fn listing_query(
    own: Classes,
    entities: Expansions,
    words: WordLevel,
    ngram_bm25_max: f32,
    tuning: &Tuning,
) -> ListingQuery {
    let mut classes: Vec<ClassQuery> = Vec::new();
    let mut required = 0u8;
    let mut prefix_bit = 0u8;
    let several = words.all.is_some();
    let all_words = words.all.map(|alternatives| Members {
        cheap: alternatives,
        costly: Vec::new(),
    });
    for (k, (own, named, score, suffices, strong)) in [
        (own.phrase, entities.phrase, tuning.phrase, true, true),
        (own.prefix, entities.prefix, tuning.prefix, true, true),
        (
            all_words.unwrap_or_default(),
            Vec::new(),
            tuning.words,
            true,
            false,
        ),
        (
            Members::default(),
            entities.ngram,
            tuning.ngram,
            false,
            false,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        if !own.is_empty() || !named.is_empty() {
            if k == 1 {
                prefix_bit = 1 << classes.len();
            }
            if several && suffices {
                required |= 1 << classes.len();
            }
            classes.push(ClassQuery {
                score,
                own,
                named,
                named_is_strong: strong,
            });
        }
    }
    let field_unit = tuning.field / words.strong.len().max(1) as f32;
    let ngram = own_ngram(own.ngram, ngram_bm25_max, tuning);
    ListingQuery {
        classes,
        required,
        strong: words.strong,
        single_title: words.single_title,
        field_unit,
        ngram,
        prefix_bit,
    }
}

/// The own n-gram match, scaled so that its largest possible sum is
/// [`Tuning::ngram`].
fn own_ngram(ngram: Option<Ngrams>, bm25_max: f32, tuning: &Tuning) -> Option<ScaledNgrams> {
    ngram.map(|n| {
        let scale = if bm25_max > 0.0 {
            tuning.ngram / bm25_max
        } else {
            tuning.ngram
        };
        ScaledNgrams {
            query: MinMatchQuery::new(n.terms.clone(), n.need, scale),
            scale,
            terms: n.terms,
            need: n.need,
            bm25_max,
        }
    })
}
