//! The embedded catalog graph: the catalog in memory, kept current by events.

mod browse;
mod facets;
mod machine;
mod names;
mod ranges;
mod snapshot;

pub use machine::MachineFacts;
pub use names::{EntityKind, NamedEntity};
pub use ranges::RangeSets;
pub use snapshot::SnapshotError;

use crate::currency::Rates;
use roaring::RoaringBitmap;
use stockyard_schema::domain::{
    Category, Machine, Patch, Price, SpecCategory, SpecKind, SpecValue,
};
use stockyard_schema::synonyms::SynonymSet;
use stockyard_schema::{Event, Payload, Text};

/// Strings to dense ids and back, for one kind of entity.
///
/// Hashed with foldhash rather than SipHash: ids are looked up for every machine a
/// saved search is checked against (hundreds per listing event), and nothing here
/// needs SipHash's resistance to chosen keys more than the rest of the process does.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    ids: foldhash::HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// The dense id of `key`, assigning the next one when it is new.
    pub(crate) fn intern(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.ids.get(key) {
            return i;
        }
        let i = self.names.len() as u32;
        self.ids.insert(key.to_owned(), i);
        self.names.push(key.to_owned());
        i
    }

    /// Makes room for `n` more keys.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.ids.reserve(n);
        self.names.reserve(n);
    }

    /// The dense id of `key`, if known.
    pub(crate) fn get(&self, key: &str) -> Option<u32> {
        self.ids.get(key).copied()
    }

    /// The key of a dense id.
    pub(crate) fn key(&self, i: u32) -> &str {
        &self.names[i as usize]
    }
}

/// A node of the category tree. `names` is `None` until the category is defined (a
/// model may name it first).
#[derive(Debug, Clone, Default)]
pub(crate) struct CategoryNode {
    pub names: Option<Text>,
    pub parent: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ModelNode {
    /// `None` until the model is registered (a listing may name it first).
    pub name: Option<String>,
    pub maker: Option<u32>,
    pub category: Option<u32>,
    pub specs: Vec<(u32, SpecValue)>,
}

#[derive(Debug, Clone)]
pub(crate) struct MachineNode {
    pub model: u32,
    /// The listing's own category, overriding the model's.
    pub category: Option<u32>,
    pub live: bool,
    pub year: Option<u16>,
    pub hours: Option<u32>,
    /// The asking price as listed.
    pub price: Option<Price>,
    /// `price` in US dollars at the graph's rates: derived again whenever rates are
    /// published, so that ranges and histograms read one number per machine.
    pub price_usd: Option<f64>,
}

/// The catalog in memory; see the [graph module docs](crate::graph).
#[derive(Debug, Default, Clone)]
pub struct EmbeddedGraph {
    pub(crate) category_ids: Interner,
    pub(crate) categories: Vec<CategoryNode>,
    pub(crate) maker_ids: Interner,
    pub(crate) makers: Vec<Option<Text>>,
    pub(crate) model_ids: Interner,
    pub(crate) models: Vec<ModelNode>,
    pub(crate) spec_ids: Interner,
    pub(crate) specs: Vec<Option<SpecCategory>>,
    pub(crate) machine_ids: Interner,
    pub(crate) machines: Vec<MachineNode>,
    /// Each live machine's model, by key (set as it is filed), apart from
    /// `machines`: counting a hit set by model reads 4 bytes per hit here instead of
    /// a whole node (a cache miss each).
    pub(crate) model_of: Vec<u32>,
    /// Live machines.
    pub(crate) live: RoaringBitmap,
    /// Live machines per model.
    pub(crate) by_model: Vec<RoaringBitmap>,
    /// Live machines per category they are directly in (not rolled up).
    pub(crate) by_category: Vec<RoaringBitmap>,
    /// Live machines with a category of their own (overriding their model's).
    pub(crate) overridden: RoaringBitmap,
    /// Live machines by year, hours and price bucket.
    pub(crate) ranges: ranges::Ranges,
    /// The latest published exchange rates.
    pub(crate) rates: Rates,
    /// The marketplace's synonym sets, by id.
    pub(crate) synonyms: std::collections::BTreeMap<String, SynonymSet>,
}

fn grow<T: Default>(v: &mut Vec<T>, i: u32) {
    if v.len() <= i as usize {
        v.resize_with(i as usize + 1, T::default);
    }
}

impl EmbeddedGraph {
    /// An empty graph.
    pub fn new() -> EmbeddedGraph {
        EmbeddedGraph::default()
    }

    /// The dense key of a machine, assigned on first sight: the key the text index
    /// stores, so that hit sets need no translation.
    pub fn machine_key(&mut self, machine_id: &str) -> u32 {
        self.machine_ids.intern(machine_id)
    }

    /// The kind of every spec category defined so far (to validate new events).
    pub fn spec_kinds(&self) -> Vec<(stockyard_schema::SpecCategoryId, SpecKind)> {
        self.specs
            .iter()
            .flatten()
            .map(|s| (s.id.clone(), s.kind))
            .collect()
    }

    /// The kind of one spec category, if it is defined.
    pub fn spec_kind(&self, id: &str) -> Option<SpecKind> {
        let i = self.spec_ids.get(id)?;
        self.specs[i as usize].as_ref().map(|s| s.kind)
    }

    /// The latest published exchange rates: every price conversion of a search uses
    /// the rates of the graph version it reads, so ranges, histograms, sorting and
    /// hit cards agree.
    pub fn rates(&self) -> &Rates {
        &self.rates
    }

    /// Takes up a new rate set and derives every machine's US-dollar price again.
    /// The marketplace's synonym sets, in id order.
    pub fn synonym_sets(&self) -> impl Iterator<Item = &SynonymSet> {
        self.synonyms.values()
    }

    pub(crate) fn set_rates(&mut self, rates: Rates) {
        self.rates = rates;
        let rates = &self.rates;
        for m in &mut self.machines {
            m.price_usd = m.price.as_ref().and_then(|p| rates.to_usd(p));
        }
        let machines = &self.machines;
        self.ranges
            .refile_prices(self.live.iter().map(|k| (k, &machines[k as usize])));
    }

    /// Live machines.
    pub fn live_count(&self) -> u64 {
        self.live.len()
    }

    fn intern_category(&mut self, id: &str) -> u32 {
        let i = self.category_ids.intern(id);
        grow(&mut self.categories, i);
        grow(&mut self.by_category, i);
        i
    }

    fn intern_maker(&mut self, id: &str) -> u32 {
        let i = self.maker_ids.intern(id);
        grow(&mut self.makers, i);
        i
    }

    fn intern_model(&mut self, id: &str) -> u32 {
        let i = self.model_ids.intern(id);
        grow(&mut self.models, i);
        grow(&mut self.by_model, i);
        i
    }

    fn intern_spec(&mut self, id: &str) -> u32 {
        let i = self.spec_ids.intern(id);
        grow(&mut self.specs, i);
        i
    }

    fn intern_specs(&mut self, specs: &[stockyard_schema::domain::Spec]) -> Vec<(u32, SpecValue)> {
        specs
            .iter()
            .map(|s| {
                (
                    self.intern_spec(s.spec_category_id.as_str()),
                    s.value.clone(),
                )
            })
            .collect()
    }

    /// The category a machine counts in: its own, else its model's.
    pub(crate) fn effective_category(&self, m: &MachineNode) -> Option<u32> {
        m.category.or(self.models[m.model as usize].category)
    }

    /// Takes a live machine out of the per-model and per-category sets.
    fn unindex(&mut self, key: u32) {
        let m = &self.machines[key as usize];
        if !m.live {
            return;
        }
        self.by_model[m.model as usize].remove(key);
        if let Some(c) = self.effective_category(m) {
            self.by_category[c as usize].remove(key);
        }
        self.live.remove(key);
        self.overridden.remove(key);
        self.ranges.remove(key, m);
    }

    /// Puts a live machine into the per-model and per-category sets.
    pub(crate) fn index_machine(&mut self, key: u32) {
        let m = &self.machines[key as usize];
        if !m.live {
            return;
        }
        let (model, category, own) = (m.model, self.effective_category(m), m.category.is_some());
        if self.model_of.len() <= key as usize {
            self.model_of.resize(key as usize + 1, 0);
        }
        self.model_of[key as usize] = model;
        self.by_model[model as usize].insert(key);
        if let Some(c) = category {
            self.by_category[c as usize].insert(key);
        }
        self.live.insert(key);
        if own {
            self.overridden.insert(key);
        }
        self.ranges.insert(key, &self.machines[key as usize]);
    }

    fn put_machine(&mut self, m: &Machine) {
        let price_usd = m.price.as_ref().and_then(|p| self.rates.to_usd(p));
        let key = self.machine_key(m.id.as_str());
        let model = self.intern_model(m.model_id.as_str());
        let category = m
            .category_id
            .as_ref()
            .map(|c| self.intern_category(c.as_str()));
        let node = MachineNode {
            model,
            category,
            live: true,
            year: m.year.map(|y| y.get()),
            hours: m.hours.map(|h| h.get()),
            price: m.price,
            price_usd,
        };
        if (key as usize) < self.machines.len() {
            self.unindex(key);
            self.machines[key as usize] = node;
        } else {
            // Keys are assigned densely; a key may have been handed out by
            // `machine_key` before the machine itself arrives.
            while self.machines.len() < key as usize {
                self.machines.push(MachineNode {
                    model,
                    category: None,
                    live: false,
                    year: None,
                    hours: None,
                    price: None,
                    price_usd: None,
                });
            }
            self.machines.push(node);
        }
        self.index_machine(key);
    }

    /// Re-files the live machines of a model whose category may have changed.
    fn refile_model(&mut self, model: u32, old_category: Option<u32>) {
        let new_category = self.models[model as usize].category;
        if old_category == new_category {
            return;
        }
        let keys: Vec<u32> = self.by_model[model as usize].iter().collect();
        for key in keys {
            if self.machines[key as usize].category.is_some() {
                continue;
            }
            if let Some(c) = old_category {
                self.by_category[c as usize].remove(key);
            }
            if let Some(c) = new_category {
                self.by_category[c as usize].insert(key);
            }
        }
    }

    /// Applies events in order. Events are upserts of whole entities or of fields,
    /// so applying the same sequence again leaves the same graph; references to
    /// entities not defined yet are kept and resolve when they arrive.
    pub fn apply<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) {
        for e in events {
            self.apply_one(&e.payload);
        }
    }

    fn apply_one(&mut self, p: &Payload) {
        match p {
            Payload::CategoryDefined(Category {
                id,
                parent_id,
                names,
            }) => {
                let c = self.intern_category(id.as_str());
                let parent = parent_id.as_ref().map(|p| self.intern_category(p.as_str()));
                // A parent that would close a cycle is refused: the tree stays a tree.
                let parent = parent.filter(|&p| !self.is_descendant(p, c));
                self.categories[c as usize] = CategoryNode {
                    names: Some(names.clone()),
                    parent,
                };
            }
            Payload::SpecCategoryDefined(s) => {
                let i = self.intern_spec(s.id.as_str());
                self.specs[i as usize] = Some(s.clone());
            }
            Payload::MakerRegistered(m) | Payload::MakerRenamed(m) => {
                let i = self.intern_maker(m.id.as_str());
                self.makers[i as usize] = Some(m.names.clone());
            }
            Payload::ModelRegistered(m) => {
                let i = self.intern_model(m.id.as_str());
                let maker = self.intern_maker(m.maker_id.as_str());
                let category = self.intern_category(m.category_id.as_str());
                let specs = self.intern_specs(&m.specs);
                let old = self.models[i as usize].category;
                self.models[i as usize] = ModelNode {
                    name: Some(m.name.clone()),
                    maker: Some(maker),
                    category: Some(category),
                    specs,
                };
                self.refile_model(i, old);
            }
            Payload::ModelSpecsChanged(m) => {
                let i = self.intern_model(m.model_id.as_str());
                let specs = self.intern_specs(&m.specs);
                self.models[i as usize].specs = specs;
            }
            Payload::MachineListed(m) => self.put_machine(m),
            Payload::MachineUpdated(c) => {
                let Some(key) = self.machine_ids.get(c.machine_id.as_str()) else {
                    return;
                };
                if key as usize >= self.machines.len() {
                    return;
                }
                self.unindex(key);
                let model = c.model_id.as_ref().map(|m| self.intern_model(m.as_str()));
                let category = match &c.category_id {
                    Patch::Keep => None,
                    Patch::Clear => Some(None),
                    Patch::Set(id) => Some(Some(self.intern_category(id.as_str()))),
                };
                let rates = &self.rates;
                let m = &mut self.machines[key as usize];
                if let Some(model) = model {
                    m.model = model;
                }
                if let Some(category) = category {
                    m.category = category;
                }
                c.year.clone().map(|y| y.get()).apply_to(&mut m.year);
                c.hours.clone().map(|h| h.get()).apply_to(&mut m.hours);
                if !matches!(c.price, Patch::Keep) {
                    c.price.clone().apply_to(&mut m.price);
                    // A price in a currency without a rate has no place in US dollars.
                    m.price_usd = m.price.as_ref().and_then(|p| rates.to_usd(p));
                }
                self.index_machine(key);
            }
            Payload::MachineSold(r) | Payload::MachineWithdrawn(r) => {
                if let Some(key) = self.machine_ids.get(r.machine_id.as_str()) {
                    if (key as usize) < self.machines.len() {
                        self.unindex(key);
                        self.machines[key as usize].live = false;
                    }
                }
            }
            Payload::CurrencyRatesPublished(set) => self.set_rates(Rates::published(set)),
            Payload::SynonymsDefined(set) => {
                self.synonyms
                    .insert(set.synonym_set_id.as_str().to_owned(), set.clone());
            }
            Payload::SynonymsRemoved(r) => {
                self.synonyms.remove(r.synonym_set_id.as_str());
            }
            // Buyers' searches and watches are the alerts' concern, not the catalog's.
            Payload::SavedSearchCreated(_)
            | Payload::SavedSearchDeleted(_)
            | Payload::MachineWatched(_)
            | Payload::MachineUnwatched(_) => {}
        }
    }

    /// Whether `a` is `b` or lies under it.
    pub(crate) fn is_descendant(&self, a: u32, b: u32) -> bool {
        let mut cur = Some(a);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == b {
                return true;
            }
            steps += 1;
            if steps > self.categories.len() {
                return false;
            }
            cur = self.categories[c as usize].parent;
        }
        false
    }
}
