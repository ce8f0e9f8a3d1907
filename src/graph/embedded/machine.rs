//! Questions about one machine, for matching it against saved searches as events
//! arrive: whether it passes a search's selections (the per-machine form of
//! [`EmbeddedGraph::selected`]), where it sits in the catalog, and the facts a
//! notification's card shows.

use super::EmbeddedGraph;
use crate::graph::contract::Selections;
use stockyard_schema::domain::Price;
use stockyard_schema::Text;

/// A machine as the catalog knows it, with its entities' ids and names.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineFacts<'a> {
    /// Whether it is for sale.
    pub live: bool,
    /// Its model's id and model number (the number once the model is registered).
    pub model: (&'a str, Option<&'a str>),
    /// Its maker's id and names, once its model is registered.
    pub maker: Option<(&'a str, Option<&'a Text>)>,
    /// The category it counts in (its own, else its model's), then each ancestor.
    pub categories: Vec<(&'a str, Option<&'a Text>)>,
    /// Model year.
    pub year: Option<u16>,
    /// Hours on the meter.
    pub hours: Option<u32>,
    /// The asking price as listed.
    pub price: Option<Price>,
    /// The price in US dollars at the graph's rates.
    pub price_usd: Option<f64>,
}

impl EmbeddedGraph {
    /// The dense key of a machine the graph has seen, without interning a new one.
    pub fn known_machine(&self, machine_id: &str) -> Option<u32> {
        self.machine_ids.get(machine_id)
    }

    /// What the catalog knows of machine `key`.
    pub fn machine_facts(&self, key: u32) -> Option<MachineFacts<'_>> {
        let m = self.machines.get(key as usize)?;
        let model = &self.models[m.model as usize];
        let mut categories = Vec::new();
        let mut cur = self.effective_category(m);
        while let Some(c) = cur {
            // The tree refuses cycles; the bound only guards against a damaged one.
            if categories.len() > self.categories.len() {
                break;
            }
            let node = &self.categories[c as usize];
            categories.push((self.category_ids.key(c), node.names.as_ref()));
            cur = node.parent;
        }
        Some(MachineFacts {
            live: m.live,
            model: (self.model_ids.key(m.model), model.name.as_deref()),
            maker: model
                .maker
                .map(|k| (self.maker_ids.key(k), self.makers[k as usize].as_ref())),
            categories,
            year: m.year,
            hours: m.hours,
            price: m.price,
            price_usd: m.price_usd,
        })
    }

    /// Whether machine `key` is live and passes every selection: the answer
    /// [`EmbeddedGraph::selected`] gives for this one machine, in a few lookups.
    pub fn passes(&self, key: u32, sel: &Selections) -> bool {
        let Some(m) = self.machines.get(key as usize) else {
            return false;
        };
        if !m.live || !self.attributes_match(m, sel) {
            return false;
        }
        let model = &self.models[m.model as usize];
        if !sel.makers.is_empty() {
            let maker = model.maker.map(|k| self.maker_ids.key(k));
            if !sel.makers.iter().any(|s| Some(s.as_str()) == maker) {
                return false;
            }
        }
        if !sel.models.is_empty() {
            let id = self.model_ids.key(m.model);
            if !sel.models.iter().any(|s| s.as_str() == id) {
                return false;
            }
        }
        for (spec, filter) in &sel.specs {
            match self.spec_ids.get(spec.as_str()) {
                Some(s) if self.spec_matches(m.model, s, filter) => {}
                _ => return false,
            }
        }
        if !sel.categories.is_empty() {
            let Some(c) = self.effective_category(m) else {
                return false;
            };
            // Up from the machine's category, comparing ids as strings: a chain of two
            // or three short ids costs less than hashing each selected id, and this
            // runs for every saved search a listing is checked against.
            let mut cur = Some(c);
            let mut steps = 0;
            let found = loop {
                let Some(k) = cur else { break false };
                let id = self.category_ids.key(k);
                if sel.categories.iter().any(|s| s.as_str() == id) {
                    break true;
                }
                steps += 1;
                if steps > self.categories.len() {
                    break false;
                }
                cur = self.categories[k as usize].parent;
            };
            if !found {
                return false;
            }
        }
        true
    }
}
