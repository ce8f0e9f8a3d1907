//! A machine as matching sees it for one event, and the saved searches it may match.

use super::Percolator;
use crate::graph::EmbeddedGraph;
use crate::search::analysis::{code_form, word_terms};
use stockyard_schema::domain::Price;

/// A machine's place in the catalog and its catalog words, for one event.
pub(super) struct Probe {
    pub(super) key: u32,
    pub(super) model: String,
    pub(super) maker: Option<String>,
    /// Its category and each ancestor.
    pub(super) categories: Vec<String>,
    /// The letters and digits of its model number.
    pub(super) number: String,
    /// Its model year: searches bounded to a few years are filed under each.
    pub(super) year: Option<u16>,
    /// Whether it is for sale.
    pub(super) live: bool,
    /// Its asking price as listed.
    pub(super) price: Option<Price>,
    /// Words of its model number, maker names and category names, sorted.
    pub(super) catalog_words: Vec<String>,
}

impl Percolator {
    /// What matching needs of machine `key` as it is now, gathered once per event.
    pub(super) fn probe(&self, graph: &EmbeddedGraph, key: u32) -> Option<Probe> {
        let facts = graph.machine_facts(key)?;
        let mut catalog_words = Vec::new();
        let mut add = |t: &str| catalog_words.extend(word_terms(t));
        if let Some(number) = facts.model.1 {
            add(number);
        }
        if let Some((_, Some(names))) = facts.maker {
            names.iter().for_each(|(_, n)| add(n));
        }
        for (_, names) in &facts.categories {
            if let Some(names) = names {
                names.iter().for_each(|(_, n)| add(n));
            }
        }
        catalog_words.sort_unstable();
        catalog_words.dedup();
        Some(Probe {
            key,
            model: facts.model.0.to_owned(),
            maker: facts.maker.map(|(m, _)| m.to_owned()),
            categories: facts
                .categories
                .iter()
                .map(|(c, _)| (*c).to_owned())
                .collect(),
            number: facts.model.1.map(code_form).unwrap_or_default(),
            year: facts.year,
            live: facts.live,
            price: facts.price,
            catalog_words,
        })
    }

    /// The saved searches that may match the machine of `probe`.
    pub(super) fn candidates(&self, probe: &Probe) -> Vec<u32> {
        let mut out: Vec<u32> = self.everything.clone();
        if let Some(list) = probe.year.and_then(|y| self.index.get(&format!("@{y}"))) {
            out.extend_from_slice(list);
        }
        // One buffer for every key looked up: no allocation per key. Each key is
        // looked up as it is and, for a machine with a year, with that year.
        let mut key = String::new();
        let year = probe.year.map(|y| format!("@{y}"));
        let mut look = |kind: &str, id: &str| {
            key.clear();
            key.push_str(kind);
            key.push_str(id);
            if let Some(list) = self.index.get(key.as_str()) {
                out.extend_from_slice(list);
            }
            if let Some(y) = &year {
                key.push_str(y);
                if let Some(list) = self.index.get(key.as_str()) {
                    out.extend_from_slice(list);
                }
            }
        };
        look("model:", &probe.model);
        if let Some(maker) = &probe.maker {
            look("maker:", maker);
        }
        for c in &probe.categories {
            look("category:", c);
        }
        if let Some(listing) = self.listings.get(probe.key as usize) {
            for w in listing.words() {
                look("word:", self.vocabulary.spell(w));
            }
        }
        for w in &probe.catalog_words {
            look("word:", w);
        }
        // A query word may be the start of the model number (`zx135` of `ZX135US-7`).
        for (end, c) in probe.number.char_indices().skip(1) {
            look("word:", &probe.number[..end + c.len_utf8()]);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether the machine of `probe` matches saved search `slot` now.
    pub(super) fn matches(&self, graph: &EmbeddedGraph, slot: u32, probe: &Probe) -> bool {
        let Some(saved) = &self.slots[slot as usize] else {
            return false;
        };
        let Some(compiled) = &saved.compiled else {
            return false;
        };
        if !graph.passes(probe.key, &compiled.selections) {
            return false;
        }
        let own = self.listings.get(probe.key as usize);
        saved.words.iter().all(|(w, code)| {
            self.vocabulary
                .get(w)
                .is_some_and(|id| own.is_some_and(|l| l.has(id)))
                || probe.catalog_words.binary_search(w).is_ok()
                || (!code.is_empty() && probe.number.starts_with(code.as_str()))
        })
    }
}
