//! A marketplace's synonyms: words its buyers use for the same thing (`パワショ` and
//! `油圧ショベル`, a house name for a model line), taught to search as catalog data,
//! without a release and without reindexing a listing.
//!
//! A set's terms are equivalent: a query holding one is also searched with each other
//! in its place. Sets replace each other by id; removing a set forgets it.

use crate::ids::SynonymSetId;
use crate::lang::Lang;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

/// Most terms in one set.
pub const MAX_TERMS: usize = 20;

/// Longest term, in characters.
pub const MAX_TERM_CHARS: usize = 100;

/// The data of `SynonymsDefined`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynonymSet {
    /// The set's id: defining it again replaces it.
    pub synonym_set_id: SynonymSetId,
    /// The equivalent terms: 2 to 20, each 1 to 100 characters, no two the same.
    #[serde(deserialize_with = "terms")]
    pub terms: Vec<String>,
    /// The language the terms are written in, when it matters to the reader; search
    /// applies a set whatever the buyer's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
}

/// The data of `SynonymsRemoved`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynonymSetRef {
    /// The set removed.
    pub synonym_set_id: SynonymSetId,
}

fn terms<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let raw = Vec::<String>::deserialize(d)?;
    if !(2..=MAX_TERMS).contains(&raw.len()) {
        return Err(de::Error::custom(format_args!(
            "a synonym set holds 2 to {MAX_TERMS} terms, got {}",
            raw.len()
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for t in raw {
        let term = t.trim();
        let chars = term.chars().count();
        if chars == 0 || chars > MAX_TERM_CHARS || term.chars().any(char::is_control) {
            return Err(de::Error::custom(format_args!(
                "a term must be 1 to {MAX_TERM_CHARS} characters without control characters, got {t:?}"
            )));
        }
        if out.iter().any(|o| o.to_lowercase() == term.to_lowercase()) {
            return Err(de::Error::custom(format_args!(
                "the term {term:?} is given twice"
            )));
        }
        out.push(term.to_owned());
    }
    Ok(out)
}
