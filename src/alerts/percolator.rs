//! Matching machines against saved searches as events arrive (a percolator: the
//! searches are stored, the machines are the queries), and telling watchers.
//!
//! Saved searches are indexed by what a machine must have to match them: their
//! selected models, else makers, else categories, else their longest word; searches
//! with none of these (ranges only, or nothing) are checked against every machine. A
//! machine's event looks up its model, maker, categories and words, before and after
//! the event, and only the searches found are checked in full.
//!
//! The percolator holds no catalog of its own: it reads the graph projection's graph,
//! which the caller moves one event at a time ([`Percolator::before`], apply,
//! [`Percolator::after`]), so that a machine is judged against the catalog as it was
//! just before and just after its event. Whether a search matched before is computed
//! then, not remembered, so nothing per search and machine is kept.

mod probe;
mod texts;

use super::notification::{Card, Kind, Recipient};
use super::QueryError;
use crate::graph::{EmbeddedGraph, Selections};
use crate::search::analysis::{code_form, word_terms};
use foldhash::{HashMap, HashMapExt};
use probe::Probe;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use stockyard_schema::domain::Machine;
use stockyard_schema::domain::{Patch, Price};
use stockyard_schema::{Event, Lang, MachineId, Payload, SavedSearchId, SubscriberId, Text};
use texts::{Listing, Vocabulary};

/// A saved query in the form matching needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Compiled {
    /// The words, as typed.
    pub words: String,
    /// The buyer's language, for the cards.
    pub lang: Option<Lang>,
    /// The selections, the price range in US dollars at the rates of the moment.
    pub selections: Selections,
}

/// Checks a saved query and puts it in matching form, against the catalog as it is
/// (spec kinds, exchange rates). The service passes the same checks `/search` makes,
/// so the alerts hold no second copy of them.
pub type Compile = fn(&Map<String, Value>, &EmbeddedGraph) -> Result<Compiled, QueryError>;

/// A notification before the outbox gives it an id.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Who is told, and about which saved search if any.
    pub recipient: Arc<Recipient>,
    /// Why.
    pub kind: Kind,
    /// The machine as of the event, shared by the drafts of one event and language.
    pub card: Arc<Card>,
}

/// What a machine event needs of the state just before it.
#[derive(Default)]
pub struct Before {
    /// The machine as it was, when it was known.
    probe: Option<Probe>,
    /// The saved searches it matched then, sorted.
    matched: Vec<u32>,
}

/// The machine a listing event concerns.
fn machine_of(event: &Event) -> Option<&MachineId> {
    match &event.payload {
        Payload::MachineListed(m) => Some(&m.id),
        Payload::MachineUpdated(c) => Some(&c.machine_id),
        Payload::MachineSold(r) | Payload::MachineWithdrawn(r) => Some(&r.machine_id),
        _ => None,
    }
}

/// One saved search.
struct Saved {
    /// Its subscriber and id, as every notification it tells names them.
    recipient: Arc<Recipient>,
    query: Map<String, Value>,
    /// `None` while the query does not check against the catalog (a spec category
    /// it names was redefined, say): it matches nothing until it does again.
    compiled: Option<Compiled>,
    /// The analysed words, each with its letters and digits (to compare with model
    /// numbers), computed once when filed rather than per machine checked.
    words: Vec<(String, String)>,
    /// Where it is filed in the candidate index.
    filed: Vec<String>,
}

impl Saved {
    /// Its id.
    fn id(&self) -> &SavedSearchId {
        self.recipient
            .saved_search_id()
            .expect("a saved search's recipient names it")
    }
}

/// Saved searches, watches and what matching needs of each machine.
pub struct Percolator {
    compile: Compile,
    slots: Vec<Option<Saved>>,
    free: Vec<u32>,
    /// By subscriber and id: ids are the subscriber's own.
    by_id: HashMap<(SubscriberId, SavedSearchId), u32>,
    /// Candidate key → saved searches filed under it.
    index: HashMap<String, Vec<u32>>,
    /// Saved searches checked against every machine.
    everything: Vec<u32>,
    watches: HashMap<MachineId, BTreeSet<SubscriberId>>,
    vocabulary: Vocabulary,
    listings: Vec<Listing>,
}

/// Most model years a search may span to be filed per year.
const MOST_YEARS_FILED: u16 = 12;

/// The model years a search is bounded to, when they are few.
fn few_years(sel: &Selections) -> Option<std::ops::RangeInclusive<u16>> {
    match (sel.year.min, sel.year.max) {
        (Some(a), Some(b)) if b >= a && b - a < MOST_YEARS_FILED => Some(a..=b),
        _ => None,
    }
}

impl Percolator {
    /// An empty percolator that checks saved queries with `compile`.
    pub fn new(compile: Compile) -> Percolator {
        Percolator {
            compile,
            slots: Vec::new(),
            free: Vec::new(),
            by_id: HashMap::new(),
            index: HashMap::new(),
            everything: Vec::new(),
            watches: HashMap::new(),
            vocabulary: Vocabulary::default(),
            listings: Vec::new(),
        }
    }

    /// How many saved searches are held.
    pub fn saved_searches(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no one observes anything: machine events then only leave their words.
    fn idle(&self) -> bool {
        self.by_id.is_empty() && self.watches.is_empty()
    }

    /// The saved searches of `subscriber`: id and query, by id.
    pub fn searches_of(
        &self,
        subscriber: &SubscriberId,
    ) -> Vec<(SavedSearchId, Map<String, Value>)> {
        let mut out: Vec<_> = self
            .slots
            .iter()
            .flatten()
            .filter(|s| s.recipient.subscriber() == subscriber)
            .map(|s| (s.id().clone(), s.query.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The machines `subscriber` watches, by id.
    pub fn watched_by(&self, subscriber: &SubscriberId) -> Vec<MachineId> {
        let mut out: Vec<MachineId> = self
            .watches
            .iter()
            .filter(|(_, who)| who.contains(subscriber))
            .map(|(m, _)| m.clone())
            .collect();
        out.sort();
        out
    }

    /// Takes what `event` needs of the state before it: the machine it concerns as
    /// `graph` has it now, and the saved searches that machine matches. Call it just
    /// before `graph` applies the event, then [`Percolator::after`].
    pub fn before(&self, graph: &EmbeddedGraph, event: &Event) -> Before {
        if self.idle() {
            return Before::default();
        }
        let probe = machine_of(event)
            .and_then(|id| graph.known_machine(id.as_str()))
            .and_then(|key| self.probe(graph, key));
        let Some(probe) = probe else {
            return Before::default();
        };
        let mut matched = self.candidates(&probe);
        matched.retain(|&slot| self.matches(graph, slot, &probe));
        Before {
            probe: Some(probe),
            matched,
        }
    }

    /// Takes in `event`, which `graph` has just applied, given what [`Percolator::before`]
    /// saw; returns who must be told what, in a fixed order (the same events always
    /// give the same notifications). A saved query that does not check is an error
    /// naming why; the search is kept, matching nothing.
    pub fn after(
        &mut self,
        graph: &EmbeddedGraph,
        event: &Event,
        before: Before,
    ) -> (Vec<Draft>, Option<String>) {
        if let Some(error) = self.buyer_event(graph, event) {
            return (Vec::new(), error);
        }
        match &event.payload {
            Payload::MachineListed(_)
            | Payload::MachineUpdated(_)
            | Payload::MachineSold(_)
            | Payload::MachineWithdrawn(_) => (self.machine_event(graph, event, before), None),
            // Price ranges were converted at the old rates; a spec's kind may have
            // changed what its conditions mean.
            Payload::CurrencyRatesPublished(_) | Payload::SpecCategoryDefined(_) => {
                self.recompile_all(graph);
                (Vec::new(), None)
            }
            _ => (Vec::new(), None),
        }
    }

    /// Moves `graph` and the percolator over `event` together, for callers that own
    /// the graph.
    pub fn apply(
        &mut self,
        graph: &mut EmbeddedGraph,
        event: &Event,
    ) -> (Vec<Draft>, Option<String>) {
        let before = self.before(graph, event);
        graph.apply(std::iter::once(event));
        self.after(graph, event, before)
    }

    /// Takes in `event` without matching anything, against `graph` as it is after
    /// every event being taken in: how the state is rebuilt at start. Queries are
    /// checked against that graph, which is what applying the events one by one
    /// arrives at too, since a query is checked again whenever the rates or the spec
    /// kinds it depends on change.
    pub fn remember(&mut self, graph: &EmbeddedGraph, event: &Event) {
        if self.buyer_event(graph, event).is_none() {
            if let Some(key) = machine_of(event).and_then(|id| graph.known_machine(id.as_str())) {
                self.take_text(key, event);
            }
        }
    }

    /// Applies a saved search or watch event: `None` when `event` is not one, else
    /// the reason a saved query does not check, if it does not.
    fn buyer_event(&mut self, graph: &EmbeddedGraph, event: &Event) -> Option<Option<String>> {
        match &event.payload {
            Payload::SavedSearchCreated(s) => Some(self.save(
                graph,
                s.saved_search_id.clone(),
                s.subscriber.clone(),
                s.query.clone(),
            )),
            Payload::SavedSearchDeleted(s) => {
                let key = (s.subscriber.clone(), s.saved_search_id.clone());
                if let Some(&slot) = self.by_id.get(&key) {
                    self.remove(slot);
                }
                Some(None)
            }
            Payload::MachineWatched(w) => {
                self.watches
                    .entry(w.machine_id.clone())
                    .or_default()
                    .insert(w.subscriber.clone());
                Some(None)
            }
            Payload::MachineUnwatched(w) => {
                if let Some(who) = self.watches.get_mut(&w.machine_id) {
                    who.remove(&w.subscriber);
                    if who.is_empty() {
                        self.watches.remove(&w.machine_id);
                    }
                }
                Some(None)
            }
            _ => None,
        }
    }

    fn save(
        &mut self,
        graph: &EmbeddedGraph,
        id: SavedSearchId,
        subscriber: SubscriberId,
        query: Map<String, Value>,
    ) -> Option<String> {
        let key = (subscriber.clone(), id.clone());
        if let Some(&slot) = self.by_id.get(&key) {
            self.remove(slot);
        }
        let (compiled, error) = match (self.compile)(&query, graph) {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let mut saved = Saved {
            recipient: Recipient::new(subscriber, Some(id)),
            query,
            compiled,
            words: Vec::new(),
            filed: Vec::new(),
        };
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        self.file(slot, &mut saved);
        self.slots[slot as usize] = Some(saved);
        self.by_id.insert(key, slot);
        error
    }

    /// Files a search in the candidate index by what it requires.
    fn file(&mut self, slot: u32, saved: &mut Saved) {
        saved.words = saved
            .compiled
            .as_ref()
            .map(|c| word_terms(&c.words))
            .unwrap_or_default()
            .into_iter()
            .map(|w| {
                let code = code_form(&w);
                (w, code)
            })
            .collect();
        saved.filed = match &saved.compiled {
            None => Vec::new(),
            Some(c) => {
                let sel = &c.selections;
                if !sel.models.is_empty() {
                    sel.models.iter().map(|m| format!("model:{m}")).collect()
                } else if !sel.makers.is_empty() {
                    sel.makers.iter().map(|m| format!("maker:{m}")).collect()
                } else if !sel.categories.is_empty() {
                    sel.categories
                        .iter()
                        .map(|m| format!("category:{m}"))
                        .collect()
                } else if let Some((w, _)) =
                    saved.words.iter().max_by_key(|(w, _)| w.chars().count())
                {
                    vec![format!("word:{w}")]
                } else {
                    vec![String::new()]
                }
            }
        };
        // A search bounded to a few model years is filed once per year, so that a
        // machine finds it only under its own year.
        if let Some(years) = saved
            .compiled
            .as_ref()
            .and_then(|c| few_years(&c.selections))
        {
            saved.filed = saved
                .filed
                .iter()
                .flat_map(|k| years.clone().map(move |y| format!("{k}@{y}")))
                .collect();
        }
        for key in &saved.filed {
            if key.is_empty() {
                self.everything.push(slot);
            } else {
                self.index.entry(key.clone()).or_default().push(slot);
            }
        }
    }

    fn unfile(&mut self, slot: u32, filed: &[String]) {
        for key in filed {
            if key.is_empty() {
                self.everything.retain(|&s| s != slot);
            } else if let Some(list) = self.index.get_mut(key) {
                list.retain(|&s| s != slot);
                if list.is_empty() {
                    self.index.remove(key);
                }
            }
        }
    }

    fn remove(&mut self, slot: u32) {
        if let Some(saved) = self.slots[slot as usize].take() {
            self.unfile(slot, &saved.filed);
            let key = (saved.recipient.subscriber().clone(), saved.id().clone());
            self.by_id.remove(&key);
            self.free.push(slot);
        }
    }

    fn recompile_all(&mut self, graph: &EmbeddedGraph) {
        for slot in 0..self.slots.len() as u32 {
            let Some(mut saved) = self.slots[slot as usize].take() else {
                continue;
            };
            let compiled = (self.compile)(&saved.query, graph).ok();
            if compiled != saved.compiled {
                self.unfile(slot, &saved.filed);
                saved.compiled = compiled;
                self.file(slot, &mut saved);
            }
            self.slots[slot as usize] = Some(saved);
        }
    }

    /// Keeps a listing's words and title when an event gives them: `description` is
    /// `None` when unchanged, `Some(None)` when removed.
    fn remember_text(
        &mut self,
        key: u32,
        title: Option<&Text>,
        description: Option<Option<&Text>>,
    ) {
        let i = key as usize;
        if self.listings.len() <= i {
            self.listings.resize(i + 1, Listing::default());
        }
        let title_words = title.map(|t| self.vocabulary.ids_of(t));
        let description_words = description.map(|d| match d {
            None => Vec::new(),
            Some(d) => self.vocabulary.ids_of(d),
        });
        let listing = &mut self.listings[i];
        if let Some(title) = title {
            listing.title = title.iter().map(|(l, t)| (l, t.into())).collect();
        }
        listing.set_words(title_words, description_words);
    }

    /// Keeps the words and title `event` gives machine `key`, if any.
    fn take_text(&mut self, key: u32, event: &Event) {
        match &event.payload {
            Payload::MachineListed(Machine {
                title, description, ..
            }) => self.remember_text(key, Some(title), Some(description.as_ref())),
            Payload::MachineUpdated(c) => {
                let description = match &c.description {
                    Patch::Keep => None,
                    Patch::Clear => Some(None),
                    Patch::Set(d) => Some(Some(d)),
                };
                self.remember_text(key, c.title.as_ref(), description)
            }
            _ => {}
        }
    }

    fn machine_event(
        &mut self,
        graph: &EmbeddedGraph,
        event: &Event,
        before: Before,
    ) -> Vec<Draft> {
        let Some(machine_id) = machine_of(event) else {
            return Vec::new();
        };
        let Some(key) = graph.known_machine(machine_id.as_str()) else {
            return Vec::new();
        };
        self.take_text(key, event);
        if self.idle() {
            return Vec::new();
        }
        let Some(probe) = self.probe(graph, key) else {
            return Vec::new();
        };
        let before_probe = before.probe.as_ref();
        let was_live = before_probe.is_some_and(|b| b.live);
        let previous_price = before_probe.and_then(|b| b.price);
        let price_changed = was_live && probe.live && previous_price != probe.price;
        let gone = match &event.payload {
            Payload::MachineSold(_) => Some(Kind::Sold),
            Payload::MachineWithdrawn(_) => Some(Kind::Withdrawn),
            _ => None,
        };
        let mut slots = self.candidates(&probe);
        slots.extend_from_slice(&before.matched);
        slots.sort_unstable();
        slots.dedup();
        let previous_price = previous_price.filter(|_| price_changed);
        // The card is the same for every search in one language: made once each.
        let mut cards: Vec<(Option<Lang>, Arc<Card>)> = Vec::new();
        let mut card = |this: &Self, lang: Option<Lang>| -> Arc<Card> {
            if let Some((_, c)) = cards.iter().find(|(l, _)| *l == lang) {
                return c.clone();
            }
            let c = Arc::new(this.card(graph, key, machine_id, lang, previous_price));
            cards.push((lang, c.clone()));
            c
        };
        let mut drafts = Vec::new();
        for slot in slots {
            let now = self.matches(graph, slot, &probe);
            let Some(saved) = &self.slots[slot as usize] else {
                continue;
            };
            let was = before.matched.binary_search(&slot).is_ok();
            let kind = match (was, now) {
                (false, true) => Some(Kind::NewMatch),
                (true, true) if price_changed => Some(Kind::PriceChanged),
                (true, false) => Some(gone.unwrap_or(Kind::NoLongerMatches)),
                _ => None,
            };
            if let Some(kind) = kind {
                let lang = saved.compiled.as_ref().and_then(|c| c.lang);
                drafts.push(Draft {
                    recipient: saved.recipient.clone(),
                    kind,
                    card: card(self, lang),
                });
            }
        }
        let watch_kind = match gone {
            Some(kind) if was_live => Some(kind),
            Some(_) => None,
            None if price_changed => Some(Kind::PriceChanged),
            None => None,
        };
        if let (Some(kind), Some(who)) = (watch_kind, self.watches.get(machine_id)) {
            for subscriber in who {
                drafts.push(Draft {
                    recipient: Recipient::new(subscriber.clone(), None),
                    kind,
                    card: card(self, None),
                });
            }
        }
        drafts
    }

    fn card(
        &self,
        graph: &EmbeddedGraph,
        key: u32,
        machine_id: &MachineId,
        lang: Option<Lang>,
        previous_price: Option<Price>,
    ) -> Card {
        let lang = lang.unwrap_or(Lang::EN);
        let facts = graph.machine_facts(key);
        let title = self
            .listings
            .get(key as usize)
            .map_or_else(String::new, |l| l.title(lang).to_owned());
        Card {
            machine_id: machine_id.clone(),
            title,
            model: facts.as_ref().and_then(|f| f.model.1.map(str::to_owned)),
            maker: facts
                .as_ref()
                .and_then(|f| f.maker)
                .and_then(|(_, names)| names)
                .map(|n| n.best(lang).to_owned()),
            year: facts.as_ref().and_then(|f| f.year),
            hours: facts.as_ref().and_then(|f| f.hours),
            price: facts.as_ref().and_then(|f| f.price),
            previous_price,
        }
    }
}
