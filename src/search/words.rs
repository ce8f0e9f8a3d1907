//! Words as words: the first signal of the ranking (`docs/ranking.md`).
//!
//! The match classes of [`super::query`] look at the query as a whole: its words in
//! order, as a prefix, or a share of its character n-grams. Alone they let the rarest
//! n-grams decide, so a listing that holds one word of `excavator air conditioning`
//! could outrank one that holds all three, and `komatsu pc200-8` found every Komatsu.
//! So a query of several words matches a listing only when **every word** does,
//! each in one of these ways:
//!
//! * in the listing's own text, in any language group (as a prefix when it is the last
//!   word, one term and not CJK: the buyer may still be typing it; a word of several
//!   terms, such as CJK bigrams or `pc200-8`, as all its terms in any order: the
//!   whole query's phrase and prefix matches rank order and unfinished words);
//! * through a catalog entity named by it (a maker, model or category, in any of their
//!   names or languages): `komatsu 油圧ショベル` holds two words a listing titled
//!   "PC200-8" may hold none of, yet matches through its maker and category.
//!
//! A listing matching the whole query as a phrase or a prefix matches too (`pc 200`
//! is a prefix of the model number `PC200-8`, whose text holds neither word alone).
//! Relaxation (`super::relax`) is what forgives a word that matches nowhere.
//!
//! Where a word matched says how strong the match is: a word in the title or in the
//! name of the listing's maker, model or category counts for more than a word found
//! only in the description (a dump truck advertised "for loading your excavator" is
//! not an excavator).

use super::analysis::{is_cjk, normalize};
use super::fields::{Fields, Group};
use super::language::LangSet;
use super::prefix::PrefixQuery;
use super::query::all_of;
use std::sync::OnceLock;
use stockyard_schema::Lang;
use tantivy::query::{Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::{Language, LowerCaser, SimpleTokenizer, StopWordFilter, TextAnalyzer};
use tantivy::Term;

/// At most this many words of a query are told apart by where they matched (one bit
/// each per listing, in a byte); later words still have to match.
pub const MAX_STRONG_WORDS: usize = 8;

/// The words of `text`, normalised, as the buyer separated them: pieces between
/// spaces, each cut where it changes between a CJK script and another (`コマツpc200`
/// is two words, `pc200-8` one). Pieces without a letter or digit are dropped.
pub fn query_words(text: &str) -> Vec<String> {
    let norm = normalize(text);
    let mut out = Vec::new();
    for piece in norm.split_whitespace() {
        let mut start = 0;
        let mut cjk = None;
        for (i, c) in piece.char_indices() {
            let this = is_cjk(c);
            if cjk.is_some_and(|was| was != this) {
                push_word(&piece[start..i], &mut out);
                start = i;
            }
            cjk = Some(this);
        }
        push_word(&piece[start..], &mut out);
    }
    out
}

fn push_word(word: &str, out: &mut Vec<String>) {
    if word.chars().any(char::is_alphanumeric) {
        out.push(word.to_owned());
    }
}

/// Whether `word` is a stop word of one of `langs` (the buyer's languages, given or
/// detected; English when none is known): `mit` in `Bagger mit Schnellwechsler` is
/// not required. The lists are those tantivy ships (Snowball's, and Lucene's for
/// English).
pub fn is_stop_word(word: &str, langs: LangSet) -> bool {
    static FILTERS: OnceLock<Vec<(Lang, TextAnalyzer)>> = OnceLock::new();
    let filters = FILTERS.get_or_init(|| {
        [
            (Lang::EN, Language::English),
            (Lang::DE, Language::German),
            (Lang::FR, Language::French),
            (Lang::ES, Language::Spanish),
            (Lang::RU, Language::Russian),
        ]
        .into_iter()
        .filter_map(|(lang, language)| {
            let filter = StopWordFilter::new(language)?;
            let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(filter)
                .build();
            Some((lang, analyzer))
        })
        .collect()
    });
    let langs = if langs.0 == 0 {
        LangSet::of(Lang::EN)
    } else {
        langs
    };
    filters.iter().any(|(lang, analyzer)| {
        langs.intersects(LangSet::of(*lang)) && {
            let mut analyzer = analyzer.clone();
            let mut stream = analyzer.token_stream(word);
            // A stop word leaves nothing; a word of several tokens (`a/c`) is kept.
            stream.next().is_none()
        }
    })
}

/// What one word matches in a listing's own text.
pub struct OwnMatch {
    /// Anywhere in the text, per language group: the members of that union (terms,
    /// prefixes, all the terms of a word of several; no phrase).
    pub anywhere: Vec<Box<dyn Query>>,
    /// In the title, per language group: the word's terms there (a listing must hold
    /// all of them; one for most words, several for CJK bigrams or `pc200-8`).
    pub title: Vec<Vec<Term>>,
}

impl OwnMatch {
    /// The title match as queries, one per language group (any one will do).
    pub fn title_queries(&self) -> impl Iterator<Item = Box<dyn Query>> + '_ {
        self.title.iter().map(|terms| all_of(terms))
    }
}

/// The own-text match of `word`; `last` makes a one-term word a prefix (unless CJK).
/// `analyzers` are the text fields' analysers in [`Group::ALL`] order.
pub fn own_match(
    fields: &Fields,
    analyzers: &mut [TextAnalyzer],
    word: &str,
    last: bool,
) -> OwnMatch {
    let mut anywhere: Vec<Box<dyn Query>> = Vec::new();
    let mut title = Vec::new();
    let prefix = last && !word.chars().any(is_cjk);
    for (group, analyzer) in Group::ALL.iter().zip(analyzers.iter_mut()) {
        let mut tokens = Vec::new();
        let mut stream = analyzer.token_stream(word);
        stream.process(&mut |t| tokens.push(t.text.clone()));
        if tokens.is_empty() {
            continue;
        }
        let in_field = |field| -> Vec<Term> {
            tokens
                .iter()
                .map(|t| Term::from_field_text(field, t))
                .collect()
        };
        title.push(in_field(fields.title(*group)));
        let mut terms = in_field(fields.text(*group));
        if terms.len() == 1 {
            let term = terms.remove(0);
            anywhere.push(if prefix {
                Box::new(PrefixQuery::new(term))
            } else {
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
            });
        } else {
            // A word of several terms (CJK bigrams, `pc200-8`): all of them, in any
            // order. Order is the phrase class's business; reading positions for
            // every listing holding `エア`, `アコ` and `コン` is not this one's.
            anywhere.push(all_of(&terms));
        }
    }
    OwnMatch { anywhere, title }
}

/// The word-level part of a listing query.
#[derive(Default)]
pub struct WordLevel {
    /// Listings matching every word of the query, or of one of its alternatives (trade
    /// words, synonyms): one query each, the class's members, each marked on its own
    /// rather than merged into one stream; `None` for a query of one word, whose
    /// match classes say all.
    pub all: Option<Vec<Box<dyn Query>>>,
    /// For each of the first [`MAX_STRONG_WORDS`] words as typed: the listings holding
    /// it in the title or in the name of one of their catalog entities, as the members
    /// of that union (any one will do).
    pub strong: Vec<Vec<Box<dyn Query>>>,
    /// For a query of one word: its title match alone (the catalog part of its strong
    /// match is what the match classes name), as [`OwnMatch::title`].
    pub single_title: Option<Vec<Vec<Term>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_at_spaces_and_script_changes() {
        assert_eq!(query_words("Komatsu  PC200-8"), ["komatsu", "pc200-8"]);
        assert_eq!(query_words("コマツpc200"), ["コマツ", "pc200"]);
        assert_eq!(
            query_words("油圧ショベル エアコン"),
            ["油圧ショベル", "エアコン"]
        );
        assert_eq!(query_words("excavator - a/c"), ["excavator", "a/c"]);
        assert!(query_words("  ").is_empty());
    }

    #[test]
    fn stop_words_are_those_of_the_buyers_language() {
        assert!(is_stop_word("mit", LangSet::of(Lang::DE)));
        assert!(!is_stop_word("mit", LangSet::of(Lang::EN)));
        assert!(is_stop_word("with", LangSet::default()));
        assert!(is_stop_word("avec", LangSet::of(Lang::FR)));
        assert!(!is_stop_word("bagger", LangSet::of(Lang::DE)));
    }
}
