//! Which language a text is written in, when the marketplace did not say.
//!
//! Scripts decide first, because they are certain and free: kana means Japanese,
//! Hangul means Korean. Text in Han characters only is genuinely ambiguous between
//! Japanese and Chinese (lingua reports 中古建機 as Chinese with confidence 1.0), so it
//! counts as both, and both Japanese and Chinese buyers get it boosted. Everything else
//! goes to lingua, loaded with the product's languages only (faster, smaller, and it
//! cannot answer a language Stockyard does not analyse).

use super::analysis::is_cjk;
use lingua::{Language, LanguageDetectorBuilder};
use stockyard_schema::Lang;

/// The languages Stockyard analyses, in the order of their bits in a [`LangSet`].
pub const SUPPORTED: [Lang; 8] = [
    Lang::JA,
    Lang::EN,
    Lang::ZH,
    Lang::KO,
    Lang::DE,
    Lang::FR,
    Lang::ES,
    Lang::RU,
];

const LINGUA: [Language; 8] = [
    Language::Japanese,
    Language::English,
    Language::Chinese,
    Language::Korean,
    Language::German,
    Language::French,
    Language::Spanish,
    Language::Russian,
];

/// A set of supported languages as a bit mask (stored per listing as a fast field).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LangSet(pub u64);

impl LangSet {
    /// The set holding one language; empty for a language Stockyard does not support.
    pub fn of(lang: Lang) -> LangSet {
        SUPPORTED
            .iter()
            .position(|l| *l == lang)
            .map_or(LangSet(0), |i| LangSet(1 << i))
    }

    /// Union.
    pub fn with(self, other: LangSet) -> LangSet {
        LangSet(self.0 | other.0)
    }

    /// Whether the two sets share a language.
    pub fn intersects(self, other: LangSet) -> bool {
        self.0 & other.0 != 0
    }

    /// The languages in the set.
    pub fn langs(self) -> impl Iterator<Item = Lang> {
        SUPPORTED
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, l)| l)
    }
}

/// What the script of a text says about its language.
enum Script {
    Japanese,
    Korean,
    HanOnly,
    Other,
}

fn script(text: &str) -> Script {
    let (mut kana, mut hangul, mut han) = (false, false, false);
    for c in text.chars() {
        match c as u32 {
            0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => kana = true,
            0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => hangul = true,
            _ if is_cjk(c) => han = true,
            _ => {}
        }
    }
    match (kana, hangul, han) {
        (true, _, _) => Script::Japanese,
        (false, true, _) => Script::Korean,
        (false, false, true) => Script::HanOnly,
        _ => Script::Other,
    }
}

/// Detects languages of listing text and of queries.
pub struct LanguageDetector {
    lingua: lingua::LanguageDetector,
}

impl Default for LanguageDetector {
    fn default() -> Self {
        LanguageDetector::new()
    }
}

impl LanguageDetector {
    /// A detector for the supported languages, with their models loaded now rather than
    /// on the first request.
    pub fn new() -> LanguageDetector {
        LanguageDetector {
            lingua: LanguageDetectorBuilder::from_languages(&LINGUA)
                .with_preloaded_language_models()
                .build(),
        }
    }

    /// The languages a listing text counts as written in: one, two for Han-only text
    /// (Japanese and Chinese), none when nothing is recognised.
    pub fn languages_of(&self, text: &str) -> LangSet {
        match script(text) {
            Script::Japanese => LangSet::of(Lang::JA),
            Script::Korean => LangSet::of(Lang::KO),
            Script::HanOnly => LangSet::of(Lang::JA).with(LangSet::of(Lang::ZH)),
            Script::Other => self
                .lingua
                .detect_language_of(text)
                .map_or(LangSet(0), |l| LangSet::of(from_lingua(l))),
        }
    }

    /// The language a buyer's query is most likely in, and how sure the detector is:
    /// the lead of its confidence over the runner-up's (1.0 when the script decides).
    /// Lingua's confidences are shares that sum to one, so a lead is comparable between
    /// short and long texts where the raw share is not. Han-only text yields Japanese
    /// and Chinese together; text whose every word holds a digit (model numbers) yields
    /// nothing.
    pub fn detect(&self, text: &str) -> Option<(LangSet, f64)> {
        match script(text) {
            Script::Japanese => Some((LangSet::of(Lang::JA), 1.0)),
            Script::Korean => Some((LangSet::of(Lang::KO), 1.0)),
            Script::HanOnly => Some((LangSet::of(Lang::JA).with(LangSet::of(Lang::ZH)), 1.0)),
            Script::Other => {
                // Model numbers and other words with digits say nothing of a language.
                let words: Vec<&str> = text
                    .split_whitespace()
                    .filter(|w| !w.chars().any(|c| c.is_numeric()))
                    .collect();
                if words.is_empty() {
                    return None;
                }
                let values = self
                    .lingua
                    .compute_language_confidence_values(words.join(" "));
                let (best, first) = *values.first()?;
                let second = values.get(1).map_or(0.0, |v| v.1);
                Some((LangSet::of(from_lingua(best)), first - second))
            }
        }
    }
}

fn from_lingua(l: Language) -> Lang {
    let i = LINGUA
        .iter()
        .position(|x| *x == l)
        .expect("only supported languages are loaded");
    SUPPORTED[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_hold_supported_languages() {
        let s = LangSet::of(Lang::JA).with(LangSet::of(Lang::ZH));
        assert_eq!(s.langs().collect::<Vec<_>>(), [Lang::JA, Lang::ZH]);
        assert!(s.intersects(LangSet::of(Lang::ZH)));
        assert!(!s.intersects(LangSet::of(Lang::EN)));
        assert_eq!(LangSet::of("it".parse().unwrap()), LangSet(0));
    }
}
