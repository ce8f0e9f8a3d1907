//! Text analysis: how listing text and queries become index terms.
//!
//! Three tokenizers, registered under the names in [`tokenizer`]:
//!
//! * **words** — text is NFKC-normalised (full-width `ＰＣ２００` becomes `pc200`,
//!   half-width katakana becomes full-width), lowercased and folded ([`super::forms`]:
//!   `挖土機` as `挖土机`, `ろーだー` as `ロダ`, `ä` as `ae`), then cut at Unicode word
//!   boundaries (UAX #29, via `unicode-segmentation`). Runs of CJK characters (Han,
//!   kana, Hangul) have no spaces to cut at, so they become overlapping bigrams of
//!   graphemes: `油圧ショベル` → `油圧 圧シ ショ ョベ ベル`, with consecutive positions so
//!   that phrase queries work on them. A run of one character stays a unigram. The
//!   per-language analysers add a stemmer to this for English, German, French, Spanish
//!   and Russian.
//! * **ngram** — the same segments cut into character n-grams: trigrams of alphabetic
//!   words (`excavator` → `exc xca cav …`), bigrams of CJK runs; words shorter than the
//!   n-gram stay whole. This is the fuzzy net that catches partial words and typos.
//! * **code** — for model numbers and maker names: the whole value with everything but
//!   letters and digits removed (`PC200-8` → `pc2008`, `ZX135US-7` → `zx135us7`), and
//!   the same from each later space-separated word (`John Deere` → `johndeere`,
//!   `deere`), so that a prefix query on the normalised query text (`pc200`, `zx 135` →
//!   `zx135`) finds every form.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Names under which the analysers are registered with the index.
pub mod tokenizer {
    /// Words and CJK bigrams, no stemming (languages without a stemmer, unknown text).
    pub const WORDS: &str = "sy_words";
    /// Words and CJK bigrams, English stemming.
    pub const EN: &str = "sy_en";
    /// Words and CJK bigrams, German stemming.
    pub const DE: &str = "sy_de";
    /// Words and CJK bigrams, French stemming.
    pub const FR: &str = "sy_fr";
    /// Words and CJK bigrams, Spanish stemming.
    pub const ES: &str = "sy_es";
    /// Words and CJK bigrams, Russian stemming.
    pub const RU: &str = "sy_ru";
    /// Character n-grams.
    pub const NGRAM: &str = "sy_ngram";
    /// Normalised model numbers and names.
    pub const CODE: &str = "sy_code";
}

/// Whether `c` belongs to a script written without spaces between words (or, for
/// Hangul, with particles glued to words), which is cut into bigrams.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3005 // 々
        | 0x3040..=0x309F // Hiragana
        | 0x30A0..=0x30FF // Katakana
        | 0x31F0..=0x31FF // Katakana extensions
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0x1100..=0x11FF // Hangul Jamo
        | 0x3130..=0x318F // Hangul compatibility Jamo
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0x20000..=0x2A6DF // CJK extension B
    )
}

/// NFKC, lowercase and the folds of [`super::forms`] (traditional Chinese as
/// simplified, no katakana long-vowel mark, umlauts spelled out): the form every
/// analyser starts from. ASCII text (most model numbers and much European text) takes
/// a fast path: it is already in that form.
pub fn normalize(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let lower = if unicode_normalization::is_nfkc_quick(text.chars())
        == unicode_normalization::IsNormalized::Yes
    {
        text.to_lowercase()
    } else {
        text.nfkc().flat_map(char::to_lowercase).collect()
    };
    super::forms::fold(lower)
}

/// A piece of normalised text: a word of a spaced script, or a run of CJK characters.
#[derive(Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    /// A word found at Unicode word boundaries (letters or digits).
    Word(&'a str),
    /// A maximal run of CJK characters.
    Cjk(&'a str),
}

/// Splits normalised text into words and CJK runs, in order.
pub fn segments(text: &str) -> Vec<(usize, Segment<'_>)> {
    let mut out = Vec::new();
    let mut rest_start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !is_cjk(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if !is_cjk(d) {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        push_words(text, rest_start, i, &mut out);
        out.push((i, Segment::Cjk(&text[i..end])));
        rest_start = end;
    }
    push_words(text, rest_start, text.len(), &mut out);
    out
}

fn push_words<'a>(text: &'a str, from: usize, to: usize, out: &mut Vec<(usize, Segment<'a>)>) {
    if from < to {
        for (offset, word) in text[from..to].unicode_word_indices() {
            out.push((from + offset, Segment::Word(word)));
        }
    }
}

/// Overlapping `n`-grams of graphemes (the whole string when shorter than `n`).
fn grams(s: &str, n: usize, mut emit: impl FnMut(usize, &str)) {
    if s.is_ascii() {
        // One byte, one grapheme (CR LF aside, which never occurs inside a word).
        if s.len() <= n {
            emit(0, s);
        } else {
            for k in 0..=s.len() - n {
                emit(k, &s[k..k + n]);
            }
        }
        return;
    }
    let bounds: Vec<usize> = s
        .grapheme_indices(true)
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    let count = bounds.len() - 1;
    if count <= n {
        emit(0, s);
        return;
    }
    for k in 0..=count - n {
        emit(bounds[k], &s[bounds[k]..bounds[k + n]]);
    }
}

/// The terms of the words analyser, before stemming; also used for queries.
pub fn word_terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let norm = normalize(text);
    for (_, seg) in segments(&norm) {
        match seg {
            Segment::Word(w) => out.push(w.to_owned()),
            Segment::Cjk(run) => grams(run, 2, |_, g| out.push(g.to_owned())),
        }
    }
    out
}

/// The terms of the ngram analyser; also used for queries.
pub fn ngram_terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let norm = normalize(text);
    for (_, seg) in segments(&norm) {
        match seg {
            Segment::Word(w) => grams(w, 3, |_, g| out.push(g.to_owned())),
            Segment::Cjk(run) => grams(run, 2, |_, g| out.push(g.to_owned())),
        }
    }
    out
}

/// Letters and digits only: the comparable form of a model number or name.
pub fn code_form(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The terms of the code analyser: the whole value, and the value from each later
/// space-separated word on.
pub fn code_terms(text: &str) -> Vec<String> {
    let norm = normalize(text);
    let mut out: Vec<String> = Vec::new();
    let starts = std::iter::once(0).chain(
        norm.char_indices()
            .filter(|(_, c)| c.is_whitespace())
            .map(|(i, c)| i + c.len_utf8()),
    );
    for start in starts {
        let form: String = norm[start..]
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        if !form.is_empty() && !out.contains(&form) {
            out.push(form);
        }
    }
    out
}

/// A token stream over tokens computed up front.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl VecTokenStream {
    fn new(terms: Vec<String>) -> VecTokenStream {
        let tokens = terms
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        VecTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

macro_rules! term_tokenizer {
    ($(#[$meta:meta])* $name:ident, $terms:path) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl Tokenizer for $name {
            type TokenStream<'a> = VecTokenStream;
            fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
                VecTokenStream::new($terms(text))
            }
        }
    };
}

term_tokenizer!(
    /// Words and CJK bigrams; see the [module docs](self).
    WordTokenizer,
    word_terms
);
term_tokenizer!(
    /// Character n-grams; see the [module docs](self).
    NgramTokenizer,
    ngram_terms
);
term_tokenizer!(
    /// Normalised codes; see the [module docs](self).
    CodeTokenizer,
    code_terms
);

/// Registers every analyser with an index.
pub fn register(index: &tantivy::Index) {
    use tantivy::tokenizer::{Language, Stemmer, TextAnalyzer};
    let m = index.tokenizers();
    let stemmed = |lang| {
        TextAnalyzer::builder(WordTokenizer)
            .filter(Stemmer::new(lang))
            .build()
    };
    m.register(tokenizer::WORDS, TextAnalyzer::from(WordTokenizer));
    m.register(tokenizer::EN, stemmed(Language::English));
    m.register(tokenizer::DE, stemmed(Language::German));
    m.register(tokenizer::FR, stemmed(Language::French));
    m.register(tokenizer::ES, stemmed(Language::Spanish));
    m.register(tokenizer::RU, stemmed(Language::Russian));
    m.register(tokenizer::NGRAM, TextAnalyzer::from(NgramTokenizer));
    m.register(tokenizer::CODE, TextAnalyzer::from(CodeTokenizer));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_runs_become_bigrams_and_words_stay_words() {
        assert_eq!(
            word_terms("コマツ PC200-8 油圧ショベル"),
            ["コマ", "マツ", "pc200", "8", "油圧", "圧シ", "ショ", "ョベ", "ベル"]
        );
        assert_eq!(word_terms("挖掘机"), ["挖掘", "掘机"]);
        assert_eq!(
            word_terms("굴착기를 팝니다"),
            ["굴착", "착기", "기를", "팝니", "니다"]
        );
        assert_eq!(word_terms("機"), ["机"], "traditional as simplified");
    }

    #[test]
    fn full_width_and_case_are_normalised() {
        assert_eq!(word_terms("ＰＣ２００ Excavator"), ["pc200", "excavator"]);
        assert_eq!(word_terms("ｺﾏﾂ"), ["コマ", "マツ"]);
    }

    #[test]
    fn ngrams_of_words_and_runs() {
        assert_eq!(ngram_terms("Dozer ZX"), ["doz", "oze", "zer", "zx"]);
        assert_eq!(ngram_terms("小松"), ["小松"]);
    }

    #[test]
    fn codes_compare_without_punctuation() {
        assert_eq!(code_terms("PC200-8"), ["pc2008"]);
        assert_eq!(code_terms("LTM 1060-3.1"), ["ltm106031", "106031"]);
        assert_eq!(code_terms("John Deere"), ["johndeere", "deere"]);
        assert_eq!(code_form("ZX 135"), "zx135");
        assert_eq!(code_terms("コマツ"), ["コマツ"]);
    }
}
