//! Relevance ranking in tiers: exact scores for the few hits that can reach the page.
//!
//! A listing's score is `c₁ + … + c₄ + f·w + n + l`: the constants of the match
//! classes it is in, `f` for each of the `w` query words found in its title or a
//! catalog name, the BM25 of its own n-grams, and `l` in the buyer's language
//! (`docs/ranking.md`). The classes, `w` and the language put every hit in one of a few
//! hundred tiers, and within a tier only `n` differs, bounded by the n-gram terms'
//! largest possible BM25. So:
//!
//! 1. each class is listed without scoring, marking a byte per document (one bit per
//!    class, one for the n-grams; for a query of one word, also the entities it names
//!    and its title): named entities and cheap members first, then the candidates
//!    of each phrase that nothing else put in its class, marked *unsure* of it
//!    (a phrase match also counts for the prefix class: a phrase is its own prefix);
//!    marked documents are counted, put in the hit set, tested against the
//!    selections, and filed under their tier (an unsure one under the tier its
//!    phrases would give it), the words they hold in titles or catalog names looked
//!    up for the hits alone;
//! 2. tiers are taken best bound first: a tier without n-grams has one score for all
//!    its listings; in a tier with n-grams each listing's exact score is computed,
//!    until the bound can no longer beat the page's worst, and every later tier is
//!    skipped once its bound cannot. An unsure listing's positions are read only if
//!    its score would put it on the page; if its phrases fail it moves down to its
//!    real tier ([`super::unsure`]). Where the n-grams only rank hits and a share of
//!    them will do, every hit is filed with the n-gram bit on trust, and its n-grams
//!    are counted only when its tier is reached: one that holds too few moves down
//!    to the tier without the bit.
//!
//! For `油圧ショベル` at a million listings, 470,000 hits cost a byte write and a few
//! bit tests each; only the top tier's listings are scored. The classes' constants are
//! added in the order tantivy's boolean union adds them, and the n-gram score is the
//! n-gram query's own sum ([`SegmentTerms::score_at`]), so scores equal the boolean
//! query's to the bit (`tests/one_pass.rs` checks them).
//!
//! Finding the hits (step 1) is [`find`](TieredQuery::find), ranking them (step 2)
//! [`rank`](TieredQuery::rank). Both run over a span of every segment: the whole, or,
//! for a broad search on a quiet server, each half on its own thread, the two pages
//! merged ([`TierHelper`]).

mod find;
mod found;
mod marking;
mod rank;

use super::collect::{Collected, ValueOrder};
use super::columns::SegmentColumns;
use super::keyset::KeySet;
use super::min_match::MinMatchWeight;
use super::unsure::could_earn;
use super::words::MAX_STRONG_WORDS;
use crate::two_threads::both;
use found::{Entry, Found};
use std::ops::Range;
use std::sync::Arc;
use tantivy::query::Weight;
use tantivy::{DocId, Score, Searcher};

/// Bit of the n-gram match in a document's mark (the classes take the bits below).
const NGRAM: u8 = 1 << 4;
/// The class and n-gram bits of a mark.
const MATCHED: u8 = (1 << 5) - 1;
/// Bits of a one-word query's named entities (two) and title in a mark.
const NAMED: u8 = 1 << 5;
const TITLE: u8 = 1 << 7;
/// The bits of both named entities: either makes the word strong, as the title does.
const ANY_NAMED: u8 = NAMED | NAMED << 1;
/// What [`TieredQuery::tier_of_marks`] gives a mark that makes no hit.
const NO_HIT: u16 = u16::MAX;
/// Tiers per number of strong words: one per mark.
const MARKS: usize = 1 << 5;
/// Tiers per language: marks times 0 to 8 strong words.
const LANG: usize = MARKS * (MAX_STRONG_WORDS + 1);

/// The listing query, weighed; see the [module docs](self).
pub struct TieredQuery {
    /// Constant-score classes (at most four).
    pub classes: Vec<TierClass>,
    /// Bits of the classes a hit must be in one of (0: any mark will do).
    pub required: u8,
    /// A query of one word: the catalog entities it names, by the bit of the class
    /// they belong to (at most two: phrase and prefix), marked apart from their
    /// classes' own members so that one pass over their postings gives both the
    /// class and the strong word. Each entity is marked on its own, like a class's
    /// cheap members.
    pub named: Vec<(u8, Vec<Box<dyn Weight>>)>,
    /// A query of one word: its title match (the rest of its strong match), per
    /// language group's title the word's terms, all of which a listing must hold
    /// (several for CJK bigrams). Only listings no named entity marked are looked
    /// at: a named entity already makes the word strong, and `油圧ショベル`'s
    /// 470,000 excavators would otherwise each cost a seek in four bigrams' lists.
    pub title: Vec<Vec<Box<dyn Weight>>>,
    /// Per query word (at most [`MAX_STRONG_WORDS`]): its title or catalog-name
    /// match, unscored, as the members of that union, each looked up on its own (a
    /// union sought at each of a few hits decodes all its members' documents).
    pub strong: Vec<Vec<Box<dyn Weight>>>,
    /// What each strong word adds.
    pub field_unit: Score,
    /// The n-gram match: how to mark it, and scored (for exact scores).
    pub ngram: Option<(NgramMarking, MinMatchWeight)>,
    /// The largest score the n-gram match can give any document.
    pub ngram_max: Score,
}

/// A constant-score class, unscored: what it adds, its cheap members, and its
/// phrases with their candidates. A phrase is checked only on candidates
/// nothing else put in the class (its cheap members, its named entities): the
/// marks say which, so that reading positions all but goes away where a catalog
/// entity covers most of a phrase's listings (`油圧ショベル`: the category).
pub struct TierClass {
    /// What the class adds to a score.
    pub score: Score,
    /// Its cheap members (term and prefix queries), each marked on its own: setting
    /// a bit twice changes nothing, so listing them through a union, which sorts
    /// their documents into one stream window by window, would only add work.
    pub cheap: Vec<Box<dyn Weight>>,
    /// Its phrases.
    pub costly: Vec<TierPhrase>,
}

/// A phrase of a class, unscored.
pub struct TierPhrase {
    /// A superset of its documents, cheap to list: those all of these match (its
    /// terms; for a phrase-prefix, the last a prefix).
    pub candidates: Vec<Box<dyn Weight>>,
    /// The phrase itself.
    pub exact: Box<dyn Weight>,
    /// Bits of other classes a match also puts a listing in (a phrase is its own
    /// prefix).
    pub also: u8,
}

/// How the n-gram match marks its documents.
pub enum NgramMarking {
    /// Its own matching (all n-grams: an intersection).
    Match(Box<dyn Weight>),
    /// Counting, n-gram by n-gram, the documents that hold at least `need`.
    Count {
        /// One unscored term query per n-gram.
        terms: Vec<Box<dyn Weight>>,
        /// How many a document must hold.
        need: u8,
    },
}

/// The per-search buffers, kept by each searching thread.
#[derive(Default)]
pub struct TierScratch {
    marks: Vec<u8>,
    /// Per document, the classes a phrase might put it in, unchecked (see
    /// [`super::unsure`]); all zero between uses, like `marks`.
    unsure: Vec<u8>,
    counts: Vec<u8>,
    /// Per hit of a segment, whether a member of a strong word's union matched it.
    held: Vec<bool>,
    /// Per segment, the n-gram scores of the documents given the n-gram bit, where
    /// the search reads them on the way (see `scores_read` in [`TieredQuery::run`]);
    /// the other entries are stale and never read.
    ngram_scores: Vec<Vec<Score>>,
    /// A bit per eight documents (one word of `marks` and `unsure`), set where any
    /// of them is marked or unsure, so that the scan reads only those words: a model
    /// number marks a few thousand of a million listings. All zero between uses.
    dirty: Vec<u64>,
    /// Hits in the order found: all of them where a value order or a lookup after
    /// the scan needs them, else a batch of at most [`BATCH`] on its way to `filed`.
    found: Vec<Found>,
    /// Per tier, its hits in document order, filed as they are resolved: a broad
    /// query's 470,000 hits are written once, twelve bytes each, rather than kept in
    /// `found` and sorted by tier after (sixteen bytes each, written, read back and
    /// moved three times: in a profile of `油圧ショベル`, most of the scan's time).
    filed: Vec<Vec<Entry>>,
    /// Hits whose phrases failed, or that lacked the n-grams their tier was filed
    /// on trust of, with the tier they moved down to.
    moved: Vec<(u16, Entry)>,
    /// Per tier, how many of `moved` went there: most tiers receive none, and are
    /// not searched for them.
    moved_to: Vec<u32>,
}

impl TierScratch {
    /// Clears what a search that failed half way (a read error) left marked: the next
    /// search counts on its marks being clear, and would count those as its own.
    fn forget_marks(&mut self) {
        self.marks.fill(0);
        self.unsure.fill(0);
        self.dirty.fill(0);
    }

    /// Empties every tier's list for a search of `docs` documents. The lists keep
    /// their room between searches, but not beyond twice what one search can file:
    /// searches that fill different tiers would otherwise each leave a list as long
    /// as their hits.
    fn clear_filed(&mut self, docs: usize) {
        self.filed.resize_with(2 * LANG, Vec::new);
        let room: usize = self.filed.iter().map(Vec::capacity).sum();
        for tier in &mut self.filed {
            if room > 2 * docs {
                *tier = Vec::new();
            } else {
                tier.clear();
            }
        }
    }
}

/// How many hits the scan of the marks gathers before they are resolved and filed
/// (where nothing after the scan needs them all): enough for the reads of their keys
/// to overlap, few enough to stay in the cache.
const BATCH: usize = 512;

/// What to rank and keep.
pub struct TierPass<'a> {
    pub lang_bits: u8,
    pub lang_bonus: Score,
    /// How many of the best hits to keep (offset + limit).
    pub top: usize,
    pub filter: Option<&'a KeySet>,
    pub hits: Option<&'a mut KeySet>,
    /// A page by a value rather than by relevance: the hits are found as ever
    /// (exactly: only their tiers may be taken on trust), then the best by the
    /// value kept; no tier is ranked.
    pub order: Option<ValueOrder<'a>>,
}

/// A second pair of hands for a broad search: another searching thread's buffers, in
/// which it marks, files and ranks the hits of the second half of every segment while
/// the caller's thread does the first half. The halves meet as two pages: each half's
/// best `top` holds every hit of its half that can be among the best `top` of all.
/// Lent only where a core is idle (`engine::pool`): on a busy server every core
/// already runs a search.
pub struct TierHelper<'a> {
    /// The helper's marks, tiers and hits found.
    pub scratch: &'a mut TierScratch,
    /// The helper's share of the hit set, added to the caller's at the end.
    pub hits: &'a mut KeySet,
}

/// Which documents of each segment one thread finds and ranks.
#[derive(Clone, Copy)]
enum Half {
    Whole,
    First,
    Second,
}

impl Half {
    fn span(self, max_doc: DocId) -> Range<DocId> {
        let mid = max_doc / 2;
        match self {
            Half::Whole => 0..max_doc,
            Half::First => 0..mid,
            Half::Second => mid..max_doc,
        }
    }
}

/// What both halves of a search share: the index read, and what is worked out once.
struct Shared<'q> {
    searcher: &'q Searcher,
    /// The segments' arrays (keys, languages), in segment order.
    columns: &'q [Arc<SegmentColumns>],
    /// [`TieredQuery::ranking_only`].
    ranking_only: u8,
    /// Whether the n-gram match only ranks hits (looked up for them after the scan).
    ngram_ranks_only: bool,
    /// [`TieredQuery::tier_of_marks`].
    tiers: [u16; 256],
    /// Per set of unsure class bits, the class bits its phrases could earn.
    could_earn: [u8; 16],
    phrases: Vec<(u8, &'q TierPhrase)>,
    /// Whether the marking puts the n-gram scores of the hits it gives the n-gram
    /// bit in `ngram_scores` (else ranking reads them from the postings).
    scores_read: bool,
    /// Where the n-gram match only ranks hits and a share of its n-grams will do:
    /// how many a listing must hold. Every hit is then filed in its tier *with* the
    /// n-gram bit, on trust, and ranking counts its n-grams only if the tier is
    /// reached, moving it down if it holds too few: `air conditioning` has 248,000
    /// hits at 1M listings, of which the page is drawn from the best 99,000.
    ngram_on_trust: Option<u8>,
}

impl TieredQuery {
    /// The constant part of a tier's score, added in the boolean query's order:
    /// classes, then strong words.
    fn base(&self, tier: usize) -> Score {
        let mut c: Score = 0.0;
        for (i, class) in self.classes.iter().enumerate() {
            if tier & (1 << i) != 0 {
                c += class.score;
            }
        }
        for _ in 0..(tier % LANG) / MARKS {
            c += self.field_unit;
        }
        c
    }

    /// The bits of the classes that only rank hits the required classes made: they
    /// are looked up for those hits after the scan, like strong words, rather than
    /// marked (in `komatsu pc200-8`, the n-gram class of the maker's name holds
    /// 100,000 listings, which the scan would visit to keep 4,700). A class with
    /// phrases or a named entity is marked as ever.
    fn ranking_only(&self) -> u8 {
        if self.required == 0 {
            return 0;
        }
        (0..self.classes.len())
            .map(|i| 1u8 << i)
            .filter(|&bit| {
                self.required & bit == 0
                    && self.classes[bit.trailing_zeros() as usize]
                        .costly
                        .is_empty()
                    && !self.named.iter().any(|(b, _)| *b == bit)
            })
            .fold(0, |all, bit| all | bit)
    }

    /// The tier (without the language) of a document by its mark, or [`NO_HIT`]: a
    /// named entity stands for its class and, with the title, makes the one word
    /// strong; a title match alone makes no hit, nor a mark outside the required
    /// classes. Worked out once per search, so that the scan of the marks is a
    /// lookup per marked document.
    fn tier_of_marks(&self) -> [u16; 256] {
        std::array::from_fn(|raw| {
            let raw = raw as u8;
            let m = self
                .named
                .iter()
                .enumerate()
                .filter(|(i, _)| raw & (NAMED << i) != 0)
                .fold(raw & MATCHED, |m, (_, (class, _))| m | class);
            if m == 0 || (self.required != 0 && m & self.required == 0) {
                return NO_HIT;
            }
            let words = u16::from(raw & !MATCHED != 0);
            u16::from(m) + words * MARKS as u16
        })
    }

    /// Every phrase with the bit of its class, classes in order.
    fn phrases(&self) -> Vec<(u8, &TierPhrase)> {
        self.classes
            .iter()
            .enumerate()
            .flat_map(|(i, class)| class.costly.iter().map(move |p| (1u8 << i, p)))
            .collect()
    }

    /// Ranks the hits of every segment of `searcher` by relevance. With a `helper`,
    /// another thread finds and ranks the second half of every segment meanwhile (see
    /// [`TierHelper`]); the answer is the same.
    pub fn run(
        &self,
        searcher: &Searcher,
        columns: &[Arc<SegmentColumns>],
        mut pass: TierPass<'_>,
        scratch: &mut TierScratch,
        helper: Option<TierHelper<'_>>,
    ) -> tantivy::Result<Collected> {
        if searcher.segment_readers().len() > usize::from(u16::MAX) {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "{} segments: the tiered ranking files hits of at most {} segments",
                searcher.segment_readers().len(),
                u16::MAX
            )));
        }
        let phrases = self.phrases();
        // Where a class is required, an n-gram match makes no hit, it only ranks one:
        // it is looked up for the hits after the scan too, rather than counted over
        // every listing holding one of its n-grams.
        let ngram_ranks_only = self.required != 0;
        let shared = Shared {
            searcher,
            columns,
            ranking_only: self.ranking_only(),
            ngram_ranks_only,
            tiers: self.tier_of_marks(),
            could_earn: could_earn(&phrases),
            phrases,
            // Whether giving a listing the n-gram bit also puts its n-gram score in
            // `ngram_scores`: only the walk of every n-gram marks with scores; a
            // count over every listing (the n-grams make hits) reads none, and a
            // match or count that only ranks is looked up for the hits ranked.
            scores_read: matches!(
                (self.ngram.as_ref(), ngram_ranks_only),
                (Some((NgramMarking::Match(_), _)), false)
            ),
            ngram_on_trust: match &self.ngram {
                Some((NgramMarking::Count { need, .. }, _)) if ngram_ranks_only => Some(*need),
                _ => None,
            },
        };
        let Some(TierHelper {
            scratch: their_scratch,
            hits: their_hits,
        }) = helper
        else {
            return self.half(&shared, Half::Whole, &mut pass, scratch);
        };
        let mut their_pass = TierPass {
            hits: pass.hits.is_some().then(|| {
                their_hits.reset();
                &mut *their_hits
            }),
            ..pass
        };
        let (mine, theirs) = both(
            || self.half(&shared, Half::First, &mut pass, scratch),
            || self.half(&shared, Half::Second, &mut their_pass, their_scratch),
        );
        let (mine, theirs) = (mine?, theirs?);
        if let Some(hits) = pass.hits.as_deref_mut() {
            hits.union_with(their_hits);
        }
        Ok(mine.merge(theirs, pass.top))
    }

    /// Finds the hits of `half` of every segment and ranks them: how many there are,
    /// and the best `pass.top`.
    fn half(
        &self,
        shared: &Shared<'_>,
        half: Half,
        pass: &mut TierPass<'_>,
        scratch: &mut TierScratch,
    ) -> tantivy::Result<Collected> {
        let (total, any_unsure) = self
            .find(shared, half, pass, scratch)
            .inspect_err(|_| scratch.forget_marks())?;
        match pass.order {
            None => self.rank(shared, pass, scratch, total, any_unsure),
            Some(order) => order.top_of(
                shared.searcher,
                shared.columns,
                pass.lang_bonus,
                pass.top,
                total,
                scratch
                    .found
                    .iter()
                    .map(|f| (f.segment, f.doc, f.key, usize::from(f.tier) >= LANG)),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{TierScratch, LANG};

    /// GIVEN tiers' lists left with room by earlier searches,
    /// WHEN a search clears them,
    /// THEN they keep their room while it is at most twice the documents searched, and
    /// give it back beyond that (each search may fill other tiers).
    #[test]
    fn the_tiers_lists_keep_at_most_twice_the_documents_of_room() {
        let mut scratch = TierScratch::default();
        scratch.clear_filed(100);
        assert_eq!(scratch.filed.len(), 2 * LANG);
        scratch.filed[3].reserve_exact(150);
        scratch.filed[3].push(Default::default());
        scratch.clear_filed(100);
        assert!(scratch.filed[3].is_empty() && scratch.filed[3].capacity() >= 150);
        scratch.filed[7].reserve_exact(100);
        scratch.clear_filed(100);
        assert!(scratch.filed.iter().all(|t| t.capacity() == 0));
    }
}
