//! Ranking the hits a search found, tier by tier, best bound first: exact scores only
//! for the tiers that can still reach the page.

use super::found::{ranked, Entry, FETCH_AHEAD};
use super::{Shared, TierPass, TierScratch, TieredQuery, LANG, NGRAM};
use crate::keys::fetch;
use crate::search::collect::{Collected, Top};
use crate::search::min_match::SegmentTerms;
use crate::search::unsure::PhraseChecks;
use tantivy::{DocId, Score};

impl TieredQuery {
    /// Ranks the hits [`TieredQuery::find`] filed in `scratch`, tier by tier, best
    /// bound first (see the [module docs](super)).
    pub(super) fn rank(
        &self,
        shared: &Shared<'_>,
        pass: &TierPass<'_>,
        scratch: &mut TierScratch,
        total: usize,
        any_unsure: bool,
    ) -> tantivy::Result<Collected> {
        let searcher = shared.searcher;
        let mut checks = PhraseChecks::new(shared.phrases.clone());
        let TierScratch {
            filed,
            moved,
            moved_to,
            ngram_scores,
            ..
        } = scratch;
        moved.clear();
        moved_to.clear();
        moved_to.resize(2 * LANG, 0);
        // Hits may move down to a tier that holds none yet: a phrase failed, or n-grams
        // filed on trust were too few.
        let may_move = any_unsure || shared.ngram_on_trust.is_some();

        // The tiers by their best possible score, best first: those with hits, or all
        // where a hit whose phrases fail may move down to a tier of no hits.
        let mut order: Vec<(Score, Score, usize)> = (0..2 * LANG)
            .filter(|&t| may_move || !filed[t].is_empty())
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
        // Of equal bounds, the higher tier first: hits only move to lower tiers.
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.2.cmp(&a.2)));

        let mut top = Top::new(pass.top);
        let mut arrived: Vec<Entry> = Vec::new();
        for (best, bonus, t) in order {
            if top.is_full() && f64::from(best) < top.floor() {
                break;
            }
            arrived.clear();
            if moved_to[t] != 0 {
                arrived.extend(
                    moved
                        .iter()
                        .filter(|(to, _)| usize::from(*to) == t)
                        .map(|(_, e)| *e),
                );
                arrived.sort_unstable_by_key(|e| (e.segment, e.doc));
            }
            let base = self.base(t);
            // A listing of an n-gram tier holds the n-grams the match needs (filed
            // there on trust, it is counted first and moves down if it holds too
            // few), so its exact score is the scaled sum of its terms' BM25, each
            // term's postings seeking forward by their skip lists (opened again where
            // the documents start over: at a new segment, and at the hits that moved
            // here).
            let scored = self
                .ngram
                .as_ref()
                .filter(|_| t & usize::from(NGRAM) != 0)
                .map(|(_, scored)| scored);
            let mut terms = SegmentTerms::default();
            // The segment's n-gram scores, where the marking read them on the way.
            let mut read: Option<&[Score]> = None;
            let mut at: Option<(u16, DocId)> = None;
            let listed = &filed[t];
            for (i, &e) in listed.iter().chain(&arrived).enumerate() {
                if top.is_full() && f64::from(best) < top.floor() {
                    break;
                }
                // A tier's listings are spread over the segment: each score read is
                // a cache miss, asked for `FETCH_AHEAD` listings before it is needed.
                if scored.is_some() && shared.scores_read {
                    if let Some(later) = listed.get(i + FETCH_AHEAD) {
                        if let Some(s) =
                            ngram_scores[usize::from(later.segment)].get(later.doc as usize)
                        {
                            fetch(s);
                        }
                    }
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
                        let n = match (read, shared.ngram_on_trust) {
                            (Some(scores), _) => scores[e.doc as usize],
                            (None, None) => terms.score_at(e.doc),
                            (None, Some(need)) => {
                                let (held, n) = terms.count_and_score_at(e.doc);
                                if held < usize::from(need) {
                                    move_down(moved, moved_to, t - usize::from(NGRAM), e);
                                    continue;
                                }
                                n
                            }
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
                        move_down(
                            moved,
                            moved_to,
                            t - usize::from(lost),
                            Entry { unsure: 0, ..e },
                        );
                        continue;
                    }
                }
                top.offer(hit);
            }
        }
        Ok(top.into_collected(total))
    }
}

/// Files `e` to be ranked again in tier `to`, below the one it was filed in.
fn move_down(moved: &mut Vec<(u16, Entry)>, moved_to: &mut [u32], to: usize, e: Entry) {
    moved.push((to as u16, e));
    moved_to[to] += 1;
}
