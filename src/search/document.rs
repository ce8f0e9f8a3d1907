//! From listings and catalog entities to index documents.

use super::fields::{Fields, Group};
use super::language::{LangSet, LanguageDetector};
use stockyard_schema::domain::{Category, Machine, Maker, Model};
use stockyard_schema::{CategoryId, MakerId, Text};
use tantivy::TantivyDocument;

/// A live listing, with the catalog ids it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Listing<'a> {
    /// The caller's dense numeric id for the machine (handed back with hits, so that
    /// hit sets can go to the graph side without string lookups).
    pub key: u64,
    /// The listing itself.
    pub machine: &'a Machine,
    /// Its model's maker; `None` while the model is not registered yet: the listing
    /// is searchable by its own text and its model id until then.
    pub maker_id: Option<&'a MakerId>,
    /// The machine's category first (its own, else its model's), then its ancestors
    /// up to the root.
    pub categories: &'a [&'a CategoryId],
    /// When it was listed, in seconds since the Unix epoch.
    pub listed_at: i64,
}

/// What the index keeps of a listing: enough to show it and to index it again.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredListing {
    /// The listing as last indexed.
    pub machine: Machine,
    /// When it was first listed, in seconds since the Unix epoch.
    pub listed_at: i64,
}

/// A catalog entity whose names are matched by queries ([`super::query`]).
#[derive(Debug, Clone, Copy)]
pub enum CatalogEntry<'a> {
    /// A maker: names in every script.
    Maker(&'a Maker),
    /// A model: its model number.
    Model(&'a Model),
    /// A category: names in every language.
    Category(&'a Category),
}

impl CatalogEntry<'_> {
    /// `maker:ID`, `model:ID` or `category:ID`: the entity's key in the vocabulary.
    pub fn entity(&self) -> String {
        match self {
            CatalogEntry::Maker(m) => format!("maker:{}", m.id),
            CatalogEntry::Model(m) => format!("model:{}", m.id),
            CatalogEntry::Category(c) => format!("category:{}", c.id),
        }
    }

    /// The vocabulary document: names in the fields of their languages, n-grams, and
    /// normalised codes of model numbers and maker names.
    pub fn document(&self, fields: &Fields) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.entity, self.entity());
        match self {
            CatalogEntry::Maker(m) => {
                add_text(&mut doc, fields, Adding::NAMES, &m.names);
                for (_, name) in m.names.iter() {
                    doc.add_text(fields.code, name);
                }
            }
            CatalogEntry::Model(m) => {
                doc.add_text(fields.text(Group::Other), &m.name);
                doc.add_text(fields.ngram, &m.name);
                doc.add_text(fields.code, &m.name);
            }
            CatalogEntry::Category(c) => {
                add_text(&mut doc, fields, Adding::NAMES, &c.names);
            }
        }
        doc
    }
}

/// How a text is added to a document.
#[derive(Clone, Copy)]
struct Adding<'a> {
    /// Detects the language of text that does not state it (listings); without one
    /// such text is "other" (catalog names: short and rarely ambiguous).
    detector: Option<&'a LanguageDetector>,
    /// The text is the listing's title: its words also go to the title fields.
    title: bool,
    /// The languages the rest of the listing states: text whose script fits several
    /// (Han characters: Japanese or Chinese) is taken to be in these when it fits
    /// them, as a description usually is in its title's language.
    stated: LangSet,
}

/// Adds every text of `text` to the field of its language group; returns the languages
/// it is written in.
fn add_text(doc: &mut TantivyDocument, fields: &Fields, how: Adding<'_>, text: &Text) -> LangSet {
    let Adding {
        detector,
        title,
        stated,
    } = how;
    let mut langs = LangSet::default();
    for (lang, s) in text.iter() {
        let group = match lang {
            Some(l) => {
                langs = langs.with(LangSet::of(l));
                Group::of(Some(l))
            }
            None => {
                let mut detected = detector.map_or(LangSet::default(), |d| d.languages_of(s));
                let narrowed = LangSet(detected.0 & stated.0);
                if detected.langs().nth(1).is_some() && narrowed.0 != 0 {
                    detected = narrowed;
                }
                langs = langs.with(detected);
                let mut it = detected.langs();
                match (it.next(), it.next()) {
                    (Some(l), None) => Group::of(Some(l)),
                    (Some(_), Some(_)) => Group::Cjk,
                    _ => Group::Other,
                }
            }
        };
        doc.add_text(fields.text(group), s);
        if detector.is_none() && group != Group::Other {
            // A catalog name also unstemmed, for typos (`search/relax.rs`).
            doc.add_text(fields.text(Group::Other), s);
        }
        if title {
            doc.add_text(fields.title(group), s);
        }
        doc.add_text(fields.ngram, s);
    }
    langs
}

impl Adding<'_> {
    /// Catalog names: no detection, not a title.
    const NAMES: Adding<'static> = Adding {
        detector: None,
        title: false,
        stated: LangSet(0),
    };
}

impl Listing<'_> {
    /// The index document of this listing.
    pub fn document(&self, fields: &Fields, detector: &LanguageDetector) -> TantivyDocument {
        let m = self.machine;
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.machine_id, m.id.as_str());
        doc.add_u64(fields.key, self.key);
        doc.add_text(fields.model_id, m.model_id.as_str());
        if let Some(maker) = self.maker_id {
            doc.add_text(fields.maker_id, maker.as_str());
        }
        for c in self.categories {
            doc.add_text(fields.category_id, c.as_str());
        }
        if let Some(y) = m.year {
            doc.add_u64(fields.year, y.get().into());
        }
        if let Some(h) = m.hours {
            doc.add_u64(fields.hours, h.get().into());
        }
        if let Some(p) = m.price {
            doc.add_f64(fields.price, p.amount);
            doc.add_u64(fields.currency, p.currency.dense().into());
        }
        doc.add_i64(fields.listed_at, self.listed_at);
        let stored = StoredListing {
            machine: m.clone(),
            listed_at: self.listed_at,
        };
        doc.add_text(
            fields.source,
            serde_json::to_string(&stored).expect("a listing serializes"),
        );
        let stated = |t: &Text| {
            t.iter()
                .filter_map(|(l, _)| l)
                .fold(LangSet::default(), |s, l| s.with(LangSet::of(l)))
        };
        let mut adding = Adding {
            detector: Some(detector),
            title: true,
            stated: m.description.as_ref().map_or(LangSet::default(), stated),
        };
        let mut langs = add_text(&mut doc, fields, adding, &m.title);
        if let Some(d) = &m.description {
            adding.title = false;
            adding.stated = stated(&m.title);
            langs = langs.with(add_text(&mut doc, fields, adding, d));
        }
        doc.add_u64(fields.langs, langs.0);
        doc
    }
}
