//! Zero results are the last resort: when the words as typed find nothing, the search
//! is run again with typos forgiven, then with a word left out, and the answer says so.
//!
//! A relaxed search matches word by word: each word of the query in the listing's own
//! words (any language group), or through a catalog entity one of whose names is that
//! word (a maker, model or category, as the strict search does), either exactly or
//! within the word's typo budget: none under five characters or with a digit in it
//! (`PC200` must not find `PC300`), one edit from five, two from nine, a swap of two
//! letters counting as one (Damerau–Levenshtein). Typo matches are found with
//! tantivy's Levenshtein automata over each field's term dictionary, not by a scan.
//!
//! * [`Relax::Typo`]: every word must match, typos forgiven;
//! * [`Relax::Words`]: all words but one must match, typos forgiven.
//!
//! Words of CJK scripts have no typos in this sense; they must match as written (their
//! bigrams in order).

use super::analysis::code_form;
use super::fields::{Fields, Group};
use super::query::all_of;
use super::words::query_words;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

/// How far a search strays from the words as typed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Relax {
    /// The words as typed (phrase, prefix or n-grams).
    #[default]
    Strict,
    /// Every word, typos forgiven.
    Typo,
    /// All words but one, typos forgiven.
    Words,
}

impl Relax {
    /// Whether relaxing `text` this way can find more than the strict search: a word
    /// with a typo budget, or (leaving a word out) at least two words.
    pub fn applies(self, text: &str) -> bool {
        let words = query_words(text);
        match self {
            Relax::Strict => true,
            Relax::Typo => words.iter().any(|w| budget(w) > 0),
            Relax::Words => words.len() >= 2,
        }
    }
}

/// Edits a word may be off by: none under five characters, with a digit or in a
/// CJK script; one from five; two from nine.
pub fn budget(word: &str) -> u8 {
    let n = word.chars().count();
    let plain = word.chars().all(char::is_alphabetic) && !word.chars().any(super::analysis::is_cjk);
    match n {
        _ if !plain => 0,
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Where [`word_query`] looks for a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A listing's text (every language group) and the code field.
    Text,
    /// A listing's title.
    Title,
    /// Catalog names: as [`Target::Text`], and the unstemmed names as prefixes (a typo
    /// in `excavtor` is one edit from the start of `excavators`, three from its
    /// English stem `excav`).
    Catalog,
}

/// What one word matches in one index: its terms in every text field (and the code
/// field), each exactly or within the word's budget.
pub fn word_query(
    fields: &Fields,
    analyzers: &mut [TextAnalyzer],
    word: &str,
    target: Target,
) -> Box<dyn Query> {
    let distance = budget(word);
    let term = |t: Term, prefix: bool| -> Box<dyn Query> {
        if distance == 0 {
            Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs))
        } else if prefix {
            Box::new(FuzzyTermQuery::new_prefix(t, distance, true))
        } else {
            Box::new(FuzzyTermQuery::new(t, distance, true))
        }
    };
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (group, analyzer) in Group::ALL.iter().zip(analyzers.iter_mut()) {
        let field = match target {
            Target::Title => fields.title(*group),
            Target::Text | Target::Catalog => fields.text(*group),
        };
        let prefix = target == Target::Catalog && *group == Group::Other;
        let mut terms = Vec::new();
        let mut stream = analyzer.token_stream(word);
        stream.process(&mut |t| terms.push(Term::from_field_text(field, &t.text)));
        match terms.len() {
            0 => {}
            1 => any.push((Occur::Should, term(terms.remove(0), prefix))),
            // A CJK run: its bigrams, in order where positions are kept.
            _ if target == Target::Title => any.push((Occur::Should, all_of(&terms))),
            _ => any.push((
                Occur::Should,
                Box::new(PhraseQuery::new(terms)) as Box<dyn Query>,
            )),
        }
    }
    let code = code_form(word);
    if target != Target::Title && code.chars().count() >= 2 {
        any.push((
            Occur::Should,
            term(Term::from_field_text(fields.code, &code), false),
        ));
    }
    Box::new(BooleanQuery::new(any))
}

/// The query of a relaxed search from one clause per word (what [`word_query`] matches
/// in the listing, or a listing of an entity named so): all required for
/// [`Relax::Typo`], all but one for [`Relax::Words`].
pub fn relaxed_query(per_word: Vec<Box<dyn Query>>, relax: Relax) -> Box<dyn Query> {
    let n = per_word.len();
    let clauses: Vec<(Occur, Box<dyn Query>)> =
        per_word.into_iter().map(|q| (Occur::Should, q)).collect();
    let need = match relax {
        Relax::Words => n.saturating_sub(1).max(1),
        _ => n,
    };
    Box::new(BooleanQuery::with_minimum_required_clauses(clauses, need))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_budgets_follow_length_and_spare_codes() {
        assert_eq!(budget("kubo"), 0);
        assert_eq!(budget("kobleco"), 1);
        assert_eq!(budget("catepillar"), 2);
        assert_eq!(budget("pc200"), 0, "a model code keeps its digits");
        assert_eq!(budget("油圧ショベル"), 0);
    }

    #[test]
    fn relaxing_applies_only_where_it_can_find_more() {
        assert!(Relax::Typo.applies("Kobleco"));
        assert!(!Relax::Typo.applies("pc200"));
        assert!(!Relax::Words.applies("Kobleco"));
        assert!(Relax::Words.applies("kobelco unicorn"));
    }
}
