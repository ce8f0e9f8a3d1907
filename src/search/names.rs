//! Matching what a buyer types against catalog names: makers, models and categories
//! in every language and script, as they type (suggestions) or to narrow a long facet
//! list (facet value search).
//!
//! The catalog holds a few thousand names, so a match is a walk over them, each name
//! folded once per catalog snapshot: NFKC and lower case (full-width Latin, half-width
//! katakana, capitals), hiragana as katakana (`こまつ` finds `コマツ`), and the folds of
//! [`super::forms`]: without the katakana long-vowel mark (`ローダ` finds `ローダー`),
//! traditional Chinese as simplified (`輪式裝載機` finds `轮式装载机`), umlauts spelled
//! out. Each folded character remembers where it came from, so the match can be marked
//! in the name as written.

use super::analysis::{is_cjk, normalize};
use std::ops::Range;

/// How a name matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NameMatch {
    /// The name begins with what was typed.
    Prefix,
    /// A word of the name begins with it.
    WordPrefix,
    /// It is inside the name (CJK text, which has no spaces between words).
    Inside,
    /// A word of the name begins with it up to one edit (two from nine characters).
    Typo,
}

impl NameMatch {
    /// Whether the name holds what was typed as typed (no typo forgiven).
    pub fn is_exact(self) -> bool {
        self != NameMatch::Typo
    }
}

/// A name folded for matching, each character knowing its byte range in the name.
#[derive(Debug, Default)]
pub struct Folded {
    pub(super) chars: Vec<char>,
    from: Vec<Range<usize>>,
}

impl Folded {
    /// `text` folded; see the [module docs](self).
    pub fn new(text: &str) -> Folded {
        let mut out = Folded::default();
        let mut buf = [0u8; 4];
        let mut odd;
        let simple = super::forms::simplified(text);
        for (i, (at, c)) in text.char_indices().enumerate() {
            let span = at..at + c.len_utf8();
            // Most characters are their own NFKC form: lower case is all they need,
            // without a string per character.
            let own = c.is_ascii()
                || unicode_normalization::is_nfkc_quick(std::iter::once(c))
                    == unicode_normalization::IsNormalized::Yes;
            let folded: &mut dyn Iterator<Item = char> = if own {
                &mut c.to_lowercase()
            } else {
                odd = normalize(c.encode_utf8(&mut buf));
                &mut odd.chars()
            };
            for f in folded {
                let s = match &simple {
                    Some(s) if f == c => s[i],
                    _ => f,
                };
                super::forms::fold_char(f, s, |g| {
                    out.chars.push(g);
                    out.from.push(span.clone());
                });
            }
        }
        out
    }

    /// Whether nothing is left after folding.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Where each word (a run of letters or digits) begins, in folded characters.
    fn word_starts(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.chars.len()).filter(|&i| {
            self.chars[i].is_alphanumeric() && (i == 0 || !self.chars[i - 1].is_alphanumeric())
        })
    }

    /// The byte range in the original text of folded characters `r`.
    pub(super) fn bytes(&self, r: Range<usize>) -> Range<usize> {
        if r.is_empty() {
            return 0..0;
        }
        self.from[r.start].start..self.from[r.end - 1].end
    }

    /// Whether the characters from `at` begin with `q`.
    fn starts_at(&self, at: usize, q: &[char]) -> bool {
        self.chars.get(at..at + q.len()) == Some(q)
    }
}

/// What a buyer typed, folded, ready to be matched against many names.
#[derive(Debug)]
pub struct NameQuery {
    folded: Vec<char>,
    /// Letters and digits only (`pc 200` → `pc200`), for model numbers.
    code: Vec<char>,
    /// Edits tolerated in a word: none under four characters or with a digit.
    typos: usize,
    cjk: bool,
}

impl NameQuery {
    /// `text` as a query; `None` when nothing is left after folding.
    pub fn new(text: &str) -> Option<NameQuery> {
        let folded = Folded::new(text.trim()).chars;
        if folded.is_empty() {
            return None;
        }
        let code: Vec<char> = folded
            .iter()
            .copied()
            .filter(|c| c.is_alphanumeric())
            .collect();
        let n = folded.len();
        let typos = if folded.iter().any(|c| c.is_ascii_digit() || is_cjk(*c)) || n < 4 {
            0
        } else if n < 9 {
            1
        } else {
            2
        };
        Some(NameQuery {
            cjk: folded.iter().any(|c| is_cjk(*c)),
            folded,
            code,
            typos,
        })
    }

    /// How `name` matches as the beginning of something typed, with the part of the
    /// name that matched (a byte range of the name as written), or `None`.
    pub fn complete(&self, name: &Folded) -> Option<(NameMatch, Range<usize>)> {
        let q = &self.folded;
        if name.starts_at(0, q) {
            return Some((NameMatch::Prefix, name.bytes(0..q.len())));
        }
        if let Some(r) = self.code_prefix(name) {
            return Some((NameMatch::Prefix, r));
        }
        if let Some(at) = name.word_starts().find(|&at| name.starts_at(at, q)) {
            return Some((NameMatch::WordPrefix, name.bytes(at..at + q.len())));
        }
        if self.cjk {
            if let Some(at) = (0..name.chars.len()).find(|&at| name.starts_at(at, q)) {
                return Some((NameMatch::Inside, name.bytes(at..at + q.len())));
            }
        }
        if self.typos > 0 {
            for at in name.word_starts() {
                let rest = &name.chars[at..];
                let close = (q.len().saturating_sub(self.typos)..=q.len() + self.typos)
                    .filter(|&len| len <= rest.len())
                    .find(|&len| edits(q, &rest[..len]) <= self.typos);
                if let Some(len) = close {
                    return Some((NameMatch::Typo, name.bytes(at..at + len)));
                }
            }
        }
        None
    }

    /// Whether `name` holds what was typed anywhere (letters and digits alone for
    /// model numbers), with where.
    pub fn find(&self, name: &Folded) -> Option<Range<usize>> {
        let q = &self.folded;
        if let Some(at) = (0..name.chars.len()).find(|&at| name.starts_at(at, q)) {
            return Some(name.bytes(at..at + q.len()));
        }
        self.code_prefix(name)
    }

    /// The name's letters and digits begin with the query's (`PC200-8` for `pc 200`).
    fn code_prefix(&self, name: &Folded) -> Option<Range<usize>> {
        if self.code.is_empty() || self.code.len() == self.folded.len() {
            return None;
        }
        let mut seen = 0;
        for (i, c) in name.chars.iter().enumerate() {
            if !c.is_alphanumeric() {
                continue;
            }
            if *c != self.code[seen] {
                return None;
            }
            seen += 1;
            if seen == self.code.len() {
                return Some(name.bytes(0..i + 1));
            }
        }
        None
    }
}

/// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`: the
/// Damerau–Levenshtein distance in its common restricted form, on short words.
pub(super) fn edits(a: &[char], b: &[char]) -> usize {
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * w + j] = if i == 0 {
                j
            } else if j == 0 {
                i
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[(i - 1) * w + j] + 1)
                    .min(d[i * w + j - 1] + 1)
                    .min(d[(i - 1) * w + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[(i - 2) * w + j - 2] + 1);
                }
                v
            };
        }
    }
    d[a.len() * w + b.len()]
}

/// `text` as HTML, with `<mark>…</mark>` around the byte range `marked`.
pub fn marked_html(text: &str, marked: Option<Range<usize>>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    match marked.filter(|r| !r.is_empty() && r.end <= text.len()) {
        Some(r) => {
            escape_into(&mut out, &text[..r.start]);
            out.push_str("<mark>");
            escape_into(&mut out, &text[r.clone()]);
            out.push_str("</mark>");
            escape_into(&mut out, &text[r.end..]);
        }
        None => escape_into(&mut out, text),
    }
    out
}

/// Appends `text` with the five characters that are markup in HTML escaped.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(q: &str, name: &str) -> Option<(NameMatch, String)> {
        NameQuery::new(q)
            .unwrap()
            .complete(&Folded::new(name))
            .map(|(m, r)| (m, name[r].to_owned()))
    }

    #[test]
    fn prefixes_words_scripts_and_codes() {
        assert_eq!(
            complete("Koma", "Komatsu"),
            Some((NameMatch::Prefix, "Komatsu"[..4].to_owned()))
        );
        assert_eq!(
            complete("load", "Wheel loader"),
            Some((NameMatch::WordPrefix, "load".to_owned()))
        );
        // Hiragana for katakana, full width for ASCII, long vowels dropped.
        assert_eq!(
            complete("こま", "コマツ"),
            Some((NameMatch::Prefix, "コマ".to_owned()))
        );
        assert_eq!(
            complete("ＫＯＭＡ", "Komatsu"),
            Some((NameMatch::Prefix, "Koma".to_owned()))
        );
        assert_eq!(
            complete("ホイールローダ", "ホイールローダー"),
            Some((NameMatch::Prefix, "ホイールローダ".to_owned()))
        );
        assert_eq!(
            complete("ローダ", "ホイールローダー"),
            Some((NameMatch::Inside, "ローダ".to_owned()))
        );
        assert_eq!(
            complete("pc 200", "PC200-8"),
            Some((NameMatch::Prefix, "PC200".to_owned()))
        );
        assert_eq!(complete("pc300", "PC200-8"), None);
    }

    #[test]
    fn one_typo_from_four_characters_none_with_digits() {
        assert_eq!(
            complete("Kobleco", "Kobelco"),
            Some((NameMatch::Typo, "Kobelco".to_owned()))
        );
        assert_eq!(
            complete("catepil", "Caterpillar"),
            Some((NameMatch::Typo, "Caterpil".to_owned()))
        );
        assert_eq!(
            complete("kbo", "Kobelco"),
            None,
            "three characters: exact only"
        );
        assert_eq!(complete("pc21", "PC200-8"), None, "digits: exact only");
        assert_eq!(complete("xyzzy", "Kobelco"), None);
    }

    #[test]
    fn find_anywhere_and_mark_escaped() {
        let q = NameQuery::new("excav").unwrap();
        let name = "Mini <excavators> & more";
        let r = q.find(&Folded::new(name));
        assert_eq!(
            marked_html(name, r),
            "Mini &lt;<mark>excav</mark>ators&gt; &amp; more"
        );
        assert!(NameQuery::new("  ").is_none());
        assert_eq!(edits(&['a', 'b'], &['b', 'a']), 1);
    }
}
