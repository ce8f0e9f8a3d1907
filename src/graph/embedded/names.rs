//! The catalog by name: every maker, model and category with all its names and its
//! live machines, for buyers who look entities up by what they are called
//! (suggestions as they type, searching a long facet list).

use super::EmbeddedGraph;
use stockyard_schema::{Lang, Text};

/// A kind of catalog entity a buyer can look up by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// A maker (names in several scripts: コマツ, Komatsu, 小松).
    Maker,
    /// A model (its number).
    Model,
    /// A category (names in every language).
    Category,
}

impl EntityKind {
    /// The name of the kind in the API (`maker`, `model`, `category`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Maker => "maker",
            EntityKind::Model => "model",
            EntityKind::Category => "category",
        }
    }
}

/// One entity with its names.
#[derive(Debug, Clone)]
pub struct NamedEntity<'a> {
    /// What it is.
    pub kind: EntityKind,
    /// Its id.
    pub id: &'a str,
    /// Every name it has, in every language and script.
    pub names: Vec<&'a str>,
    /// The name to show the buyer.
    pub shown: &'a str,
    /// Live machines: of the maker's models, of the model, in the category or
    /// below it (what a browse selecting it alone totals).
    pub count: u64,
}

fn all_names(t: &Option<Text>) -> Vec<&str> {
    t.iter().flat_map(|t| t.iter().map(|(_, s)| s)).collect()
}

fn shown<'a>(t: &'a Option<Text>, id: &'a str, lang: Lang) -> &'a str {
    t.as_ref().map_or(id, |t| t.best(lang))
}

impl EmbeddedGraph {
    /// Every defined entity of `kind`, named for a buyer reading `lang`.
    pub fn named(&self, kind: EntityKind, lang: Lang) -> Vec<NamedEntity<'_>> {
        match kind {
            EntityKind::Maker => {
                let mut counts = vec![0u64; self.makers.len()];
                for (m, machines) in self.by_model.iter().enumerate() {
                    if let Some(k) = self.models[m].maker {
                        counts[k as usize] += machines.len();
                    }
                }
                (0..self.makers.len())
                    .filter(|&k| self.makers[k].is_some())
                    .map(|k| {
                        let id = self.maker_ids.key(k as u32);
                        NamedEntity {
                            kind,
                            id,
                            names: all_names(&self.makers[k]),
                            shown: shown(&self.makers[k], id, lang),
                            count: counts[k],
                        }
                    })
                    .collect()
            }
            EntityKind::Model => (0..self.models.len())
                .filter_map(|m| {
                    let name = self.models[m].name.as_deref()?;
                    Some(NamedEntity {
                        kind,
                        id: self.model_ids.key(m as u32),
                        names: vec![name],
                        shown: name,
                        count: self.by_model[m].len(),
                    })
                })
                .collect(),
            EntityKind::Category => {
                let counts = self.rolled_counts();
                (0..self.categories.len())
                    .filter(|&c| self.categories[c].names.is_some())
                    .map(|c| {
                        let id = self.category_ids.key(c as u32);
                        let names = &self.categories[c].names;
                        NamedEntity {
                            kind,
                            id,
                            names: all_names(names),
                            shown: shown(names, id, lang),
                            count: counts[c],
                        }
                    })
                    .collect()
            }
        }
    }
}
