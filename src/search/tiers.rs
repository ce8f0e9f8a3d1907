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
//!    real tier ([`super::unsure`]).
//!
//! For `油圧ショベル` at a million listings, 470,000 hits cost a byte write and a few
//! bit tests each; only the top tier's listings are scored. The classes' constants are
//! added in the order tantivy's boolean union adds them, and the n-gram score is the
//! n-gram query's own sum ([`SegmentTerms::score_at`]), so scores equal the boolean
//! query's to the bit (`tests/one_pass.rs` checks them).

mod found;
mod marking;

use super::collect::{Collected, Top};
use super::columns::SegmentColumns;
use super::keyset::KeySet;
use super::min_match::{MinMatchWeight, SegmentTerms};
use super::unsure::{could_earn, PhraseChecks};
use super::words::MAX_STRONG_WORDS;
use crate::keys::{fetch, fetch_at};
use found::{ranked, resolve, Entry, Found};
use marking::{
    add_to_any, add_to_counted, add_to_matches, count_terms, for_each_of_all, mark, note,
};
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
    /// A query of one word: its title match (the rest of its strong match), as the
    /// members of that union (one per language group's title), each marked on its own.
    pub title: Vec<Box<dyn Weight>>,
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
    /// Hits in the order found.
    found: Vec<Found>,
    /// Hits by tier, tier after tier (a counting sort of `found`: one buffer for all
    /// tiers, so that a thread keeps no buffer per tier).
    by_tier: Vec<Entry>,
    /// Hits whose phrases failed, with the tier they moved down to.
    moved: Vec<(u16, Entry)>,
    /// Where each tier starts in `by_tier`; one more entry for the end.
    starts: Vec<usize>,
    /// Where the counting sort writes each tier's next hit.
    next: Vec<usize>,
}

/// What to rank and keep.
pub struct TierPass<'a> {
    pub lang_bits: u8,
    pub lang_bonus: Score,
    /// How many of the best hits to keep (offset + limit).
    pub top: usize,
    pub filter: Option<&'a KeySet>,
    pub hits: Option<&'a mut KeySet>,
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

/// Which documents of each segment one thread marks and files.
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

/// What the marking of every half of every segment shares, worked out once per search.
struct Marking<'q> {
    /// [`TieredQuery::ranking_only`].
    ranking_only: u8,
    /// Whether the n-gram match only ranks hits (looked up for them after the scan).
    ngram_ranks_only: bool,
    /// [`TieredQuery::tier_of_marks`].
    tiers: [u16; 256],
    /// Per set of unsure class bits, the class bits its phrases could earn.
    could_earn: [u8; 16],
    has_phrases: bool,
    phrases: Vec<(u8, &'q TierPhrase)>,
    /// Whether the marking puts the n-gram scores of the hits it gives the n-gram
    /// bit in `ngram_scores` (else ranking reads them from the postings).
    scores_read: bool,
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
        let shared = Marking {
            ranking_only: self.ranking_only(),
            // Where a class is required, an n-gram match makes no hit, it only ranks
            // one: it is looked up for the hits after the scan too, rather than counted
            // over every listing holding one of its n-grams.
            ngram_ranks_only: self.required != 0,
            tiers: self.tier_of_marks(),
            could_earn: could_earn(&phrases),
            has_phrases: !phrases.is_empty(),
            phrases,
            // Whether giving a listing the n-gram bit also puts its n-gram score in
            // `ngram_scores`: the walk of every n-gram marks with scores, and the
            // lookups for the hits count with scores; only a count over every listing
            // (the n-grams make hits) and a match looked up for the hits read none.
            scores_read: matches!(
                (self.ngram.as_ref(), self.required != 0),
                (Some((NgramMarking::Match(_), _)), false)
                    | (Some((NgramMarking::Count { .. }, _)), true)
            ),
        };
        match helper {
            None => self.half(searcher, columns, Half::Whole, &shared, &mut pass, scratch),
            Some(TierHelper {
                scratch: their_scratch,
                hits: their_hits,
            }) => {
                if pass.hits.is_some() {
                    their_hits.reset();
                }
                let mut their_pass = TierPass {
                    hits: pass.hits.is_some().then_some(&mut *their_hits),
                    filter: pass.filter,
                    ..pass
                };
                let (mine, theirs) = std::thread::scope(|s| {
                    let theirs = s.spawn(|| {
                        self.half(
                            searcher,
                            columns,
                            Half::Second,
                            &shared,
                            &mut their_pass,
                            their_scratch,
                        )
                    });
                    let mine =
                        self.half(searcher, columns, Half::First, &shared, &mut pass, scratch);
                    (mine, theirs.join())
                });
                let theirs = theirs.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                let mine = mine?;
                if let Some(hits) = pass.hits.as_deref_mut() {
                    hits.union_with(their_hits);
                }
                Ok(mine.merge(theirs, pass.top))
            }
        }
    }

    /// Finds the hits of `half` of every segment and ranks them: how many there are,
    /// and the best `pass.top`.
    fn half(
        &self,
        searcher: &Searcher,
        columns: &[Arc<SegmentColumns>],
        half: Half,
        shared: &Marking<'_>,
        pass: &mut TierPass<'_>,
        scratch: &mut TierScratch,
    ) -> tantivy::Result<Collected> {
        let (total, any_unsure) = self.find(searcher, columns, half, shared, pass, scratch)?;
        self.rank(searcher, shared, pass, scratch, total, any_unsure)
    }

    /// Ranks the hits [`TieredQuery::find`] filed in `scratch`, tier by tier, best
    /// bound first (see the [module docs](self)).
    fn rank(
        &self,
        searcher: &Searcher,
        shared: &Marking<'_>,
        pass: &TierPass<'_>,
        scratch: &mut TierScratch,
        total: usize,
        any_unsure: bool,
    ) -> tantivy::Result<Collected> {
        let mut checks = PhraseChecks::new(shared.phrases.clone());

        let TierScratch {
            found,
            by_tier,
            moved,
            starts,
            next,
            ngram_scores,
            ..
        } = scratch;
        starts.clear();
        starts.resize(2 * LANG + 1, 0);
        for f in found.iter() {
            starts[usize::from(f.tier) + 1] += 1;
        }
        for t in 1..starts.len() {
            starts[t] += starts[t - 1];
        }
        by_tier.clear();
        by_tier.resize(found.len(), Entry::default());
        next.clear();
        next.extend_from_slice(starts);
        for f in found.iter() {
            let at = &mut next[usize::from(f.tier)];
            by_tier[*at] = f.entry();
            *at += 1;
        }
        moved.clear();

        // The tiers by their best possible score, best first: those with hits, or all
        // where a hit whose phrases fail may move down to a tier of no hits.
        let mut order: Vec<(Score, Score, usize)> = (0..2 * LANG)
            .filter(|&t| any_unsure || starts[t] < starts[t + 1])
            .map(|t| {
                let bonus = if t >= LANG { pass.lang_bonus } else { 0.0 };
                let base = self.base(t);
                let best = if t & usize::from(NGRAM) != 0 {
                    (base + self.ngram_max) + bonus
                } else {
                    base + bonus
                };
                (best, bonus, t)
            })
            .collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0));

        let mut top = Top::new(pass.top);
        let mut arrived: Vec<Entry> = Vec::new();
        for (best, bonus, t) in order {
            if top.is_full() && f64::from(best) < top.floor() {
                break;
            }
            arrived.clear();
            arrived.extend(
                moved
                    .iter()
                    .filter(|(to, _)| usize::from(*to) == t)
                    .map(|(_, e)| *e),
            );
            arrived.sort_unstable_by_key(|e| (e.segment, e.doc));
            let base = self.base(t);
            // A listing of an n-gram tier holds the n-grams the match needs, so its
            // exact score is the scaled sum of its terms' BM25, each term's postings
            // seeking forward by their skip lists (opened again where the documents
            // start over: at a new segment, and at the hits that moved here).
            let scored = self
                .ngram
                .as_ref()
                .filter(|_| t & usize::from(NGRAM) != 0)
                .map(|(_, scored)| scored);
            let mut terms = SegmentTerms::default();
            // The segment's n-gram scores, where the marking read them on the way.
            let mut read: Option<&[Score]> = None;
            let mut at: Option<(u16, DocId)> = None;
            for &e in by_tier[starts[t]..starts[t + 1]].iter().chain(&arrived) {
                if top.is_full() && f64::from(best) < top.floor() {
                    break;
                }
                let score = match scored {
                    Some(scored) => {
                        if at.is_none_or(|(seg, doc)| seg != e.segment || doc > e.doc) {
                            let ord = usize::from(e.segment);
                            read = shared.scores_read.then(|| ngram_scores[ord].as_slice());
                            if read.is_none() {
                                let segment = searcher.segment_reader(u32::from(e.segment));
                                terms = scored.segment_terms(segment)?;
                            }
                        }
                        at = Some((e.segment, e.doc));
                        let n = match read {
                            Some(scores) => scores[e.doc as usize],
                            None => terms.score_at(e.doc),
                        };
                        (base + n) + bonus
                    }
                    None => base + bonus,
                };
                let hit = ranked(score, e.key, u32::from(e.segment), e.doc);
                if e.unsure != 0 {
                    // Its phrases are checked only if it would make the page.
                    if !top.admits(&hit.rank) {
                        continue;
                    }
                    let ord = u32::from(e.segment);
                    let segment = searcher.segment_reader(ord);
                    let earned = checks.earned(segment, ord, e.doc, e.unsure & 0x0F)?;
                    let lost = (e.unsure >> 4) & !earned;
                    if lost != 0 {
                        moved.push((t as u16 - u16::from(lost), Entry { unsure: 0, ..e }));
                        continue;
                    }
                }
                top.offer(hit);
            }
        }
        Ok(top.into_collected(total))
    }

    /// Marks and files the hits of `half` of every segment in `scratch.found`, their
    /// keys in `pass.hits`; returns how many pass the filter, and whether any is filed
    /// on trust (then it may move to a tier of no hits).
    fn find(
        &self,
        searcher: &Searcher,
        columns: &[Arc<SegmentColumns>],
        half: Half,
        shared: &Marking<'_>,
        pass: &mut TierPass<'_>,
        scratch: &mut TierScratch,
    ) -> tantivy::Result<(usize, bool)> {
        scratch.found.clear();
        scratch
            .ngram_scores
            .resize_with(searcher.segment_readers().len(), Vec::new);
        let mut checks = PhraseChecks::new(shared.phrases.clone());
        let (mut total, mut any_unsure) = (0usize, false);
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let cols = &columns[ord];
            let span = half.span(segment.max_doc());
            let segment_start = scratch.found.len();
            // Marks are all zero between uses (the scan below clears what it reads):
            // a segment only pays for the documents its query marks.
            let span_len = (segment.max_doc() as usize).div_ceil(8) * 8;
            if scratch.marks.len() < span_len {
                scratch.marks.resize(span_len, 0);
            }
            // A query without phrases has nothing unsure: no array to read.
            let unsure_span = if shared.has_phrases { span_len } else { 0 };
            if scratch.unsure.len() < unsure_span {
                scratch.unsure.resize(unsure_span, 0);
            }
            let dirty_span = (span_len / 8).div_ceil(64);
            if scratch.dirty.len() < dirty_span {
                scratch.dirty.resize(dirty_span, 0);
            }
            let marks = &mut scratch.marks[..span_len];
            let unsure = &mut scratch.unsure[..unsure_span];
            let dirty = &mut scratch.dirty[..dirty_span];
            for (i, (_, entities)) in self.named.iter().enumerate() {
                for weight in entities {
                    mark(weight.as_ref(), segment, &span, marks, dirty, NAMED << i)?;
                }
            }
            for (i, class) in self.classes.iter().enumerate() {
                let bit = 1u8 << i;
                if shared.ranking_only & bit != 0 {
                    continue;
                }
                for member in &class.cheap {
                    mark(member.as_ref(), segment, &span, marks, dirty, bit)?;
                }
                // Already in the class: its own bit, or its named entities' bit.
                let covered = self
                    .named
                    .iter()
                    .enumerate()
                    .filter(|(_, (class_bit, _))| *class_bit == bit)
                    .fold(bit, |c, (j, _)| c | (NAMED << j));
                // Candidates not in the class yet are only unsure of it: their
                // positions are read if they could reach the page.
                for phrase in &class.costly {
                    let unsure_at = unsure.as_ptr();
                    for_each_of_all(
                        &phrase.candidates,
                        segment,
                        &span,
                        |d| {
                            fetch(&marks[d as usize]);
                            fetch_at(unsure_at.wrapping_add(d as usize));
                        },
                        |d| marks[d as usize] & covered == 0,
                        |d| {
                            unsure[d as usize] |= bit;
                            note(dirty, d);
                        },
                    )?;
                }
            }
            for weight in &self.title {
                mark(weight.as_ref(), segment, &span, marks, dirty, TITLE)?;
            }
            match self.ngram.as_ref().filter(|_| !shared.ngram_ranks_only) {
                None => {}
                Some((NgramMarking::Match(_), scored)) => {
                    // Scored as they are marked: a listing of an n-gram tier then
                    // costs a read, not a seek per term.
                    let scores = &mut scratch.ngram_scores[ord];
                    scores.resize(segment.max_doc() as usize, 0.0);
                    scored
                        .segment_terms(segment)?
                        .for_each_holding_all(&span, |d, score| {
                            marks[d as usize] |= NGRAM;
                            note(dirty, d);
                            scores[d as usize] = score;
                        });
                }
                Some((NgramMarking::Count { terms, need }, _)) => {
                    count_terms(terms, *need, segment, &span, &mut scratch.counts, |d| {
                        marks[d] |= NGRAM;
                        note(dirty, d as DocId);
                    })?;
                }
            }
            let alive = segment.alive_bitset();
            let found = &mut scratch.found;
            // First the marked documents alone, in document order, marks cleared as
            // they are read: eight at a time, only the words the summary names. Their
            // keys are read after, in a loop of independent loads (`resolve`): read
            // here, each key would wait for memory in turn.
            for (at, summary) in dirty.iter_mut().enumerate() {
                let mut words = std::mem::take(summary);
                while words != 0 {
                    let w = at * 64 + words.trailing_zeros() as usize;
                    words &= words - 1;
                    let chunk = &mut marks[w * 8..w * 8 + 8];
                    let word = u64::from_le_bytes((&*chunk).try_into().expect("eight bytes"));
                    let doubts = match unsure.get_mut(w * 8..w * 8 + 8) {
                        Some(doubt) => {
                            let doubts = u64::from_le_bytes((&*doubt).try_into().expect("eight"));
                            if doubts != 0 {
                                doubt.fill(0);
                            }
                            doubts
                        }
                        None => 0,
                    };
                    if doubts == 0 {
                        if word == 0 {
                            continue;
                        }
                        chunk.fill(0);
                        for (j, raw) in word.to_le_bytes().into_iter().enumerate() {
                            let tier = shared.tiers[usize::from(raw)];
                            let d = (w * 8 + j) as DocId;
                            if tier != NO_HIT && alive.is_none_or(|a| a.is_alive(d)) {
                                found.push(Found::sure(tier, ord as u32, d));
                            }
                        }
                        continue;
                    }
                    chunk.fill(0);
                    for (j, (raw, doubt)) in word
                        .to_le_bytes()
                        .into_iter()
                        .zip(doubts.to_le_bytes())
                        .enumerate()
                    {
                        let tier = shared.tiers[usize::from(raw)];
                        let d = (w * 8 + j) as DocId;
                        if (doubt == 0 && tier == NO_HIT) || alive.is_some_and(|a| !a.is_alive(d)) {
                            continue;
                        }
                        if doubt == 0 {
                            found.push(Found::sure(tier, ord as u32, d));
                            continue;
                        }
                        let best =
                            shared.tiers[usize::from(raw | shared.could_earn[usize::from(doubt)])];
                        if best == NO_HIT {
                            continue;
                        }
                        if tier != NO_HIT {
                            // A hit whatever its phrases: filed at its best tier, the
                            // class bits it holds on trust noted.
                            let trusted = (best - tier) as u8;
                            any_unsure = true;
                            found.push(Found {
                                tier: best,
                                unsure: doubt | trusted << 4,
                                segment: ord as u32,
                                doc: d,
                                key: 0,
                            });
                            continue;
                        }
                        // Only a phrase can make it a hit: checked now.
                        let earned = checks.earned(segment, ord as u32, d, doubt)?;
                        let tier = shared.tiers[usize::from(raw | earned)];
                        if tier != NO_HIT {
                            found.push(Found::sure(tier, ord as u32, d));
                        }
                    }
                }
            }
            total += resolve(pass, cols, found, segment_start);
            // Strong words are looked up for the hits alone: where hits are few
            // (`komatsu pc200-8` among 100,000 Komatsu listings) a seek each, in
            // document order; where they are many, one walk along the word's matches.
            let hits = &mut found[segment_start..];
            for (i, class) in self.classes.iter().enumerate() {
                let bit = 1u8 << i;
                if shared.ranking_only & bit == 0 {
                    continue;
                }
                for member in &class.cheap {
                    add_to_matches(member.as_ref(), segment, hits, |t| *t |= u16::from(bit))?;
                }
            }
            for members in &self.strong {
                add_to_any(members, segment, hits, &mut scratch.held, |t| {
                    *t += MARKS as u16
                })?;
            }
            match self.ngram.as_ref().filter(|_| shared.ngram_ranks_only) {
                None => {}
                Some((NgramMarking::Match(unscored), _)) => {
                    add_to_matches(unscored.as_ref(), segment, hits, |t| *t |= u16::from(NGRAM))?;
                }
                Some((NgramMarking::Count { need, .. }, scored)) => {
                    add_to_counted(scored, *need, segment, hits, &mut scratch.ngram_scores[ord])?;
                }
            }
        }
        Ok((total, any_unsure))
    }
}
