//! Highlights: a hit's title and a snippet of its description as HTML, with what the
//! buyer's words matched in `<mark>`.
//!
//! The ranking matches in three ways (phrases, prefixes, character n-grams), so the
//! marks follow what a buyer would call a match rather than the index's tokens: a word
//! of the text that begins with a word typed (`exc` in `excavator`), that a typed word
//! begins with when they differ by an ending (`excavator` for `excavators`), or that is
//! one edit away (two from nine letters; none with a digit: `PC200` is not `PC300`);
//! and in Chinese, Japanese and Korean, which have no spaces, every run of the text
//! made of the typed characters' pairs. Text is folded as names are ([`Folded`]):
//! full width, case, hiragana and katakana do not stop a mark, and the mark lands on
//! the text as written. Everything else is escaped.

use super::analysis::is_cjk;
use super::names::{edits, escape_into, Folded};
use std::ops::Range;

/// Longest description snippet, in characters (ellipses aside).
pub const SNIPPET_CHARS: usize = 160;

/// The typed words, ready to mark many texts.
#[derive(Debug)]
pub struct Highlighter {
    /// Words of letters and digits outside CJK scripts, folded.
    words: Vec<Vec<char>>,
    /// Character pairs (or single characters) of the CJK runs typed.
    grams: Vec<Vec<char>>,
}

/// Runs of `chars` that are letters or digits, split where CJK starts or stops.
fn runs(chars: &[char]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=chars.len() {
        let continues = start.is_some_and(|s: usize| {
            i < chars.len() && chars[i].is_alphanumeric() && is_cjk(chars[i]) == is_cjk(chars[s])
        });
        if continues {
            continue;
        }
        if let Some(s) = start.take() {
            out.push(s..i);
        }
        if i < chars.len() && chars[i].is_alphanumeric() {
            start = Some(i);
        }
    }
    out
}

impl Highlighter {
    /// The highlighter of `query`; `None` when it has nothing to mark.
    pub fn new(query: &str) -> Option<Highlighter> {
        let folded = Folded::new(query);
        let mut words = Vec::new();
        let mut grams = Vec::new();
        for r in runs(&folded.chars) {
            let run = &folded.chars[r];
            if is_cjk(run[0]) {
                if run.len() == 1 {
                    grams.push(run.to_vec());
                } else {
                    grams.extend(run.windows(2).map(<[char]>::to_vec));
                }
            } else {
                words.push(run.to_vec());
            }
        }
        (!words.is_empty() || !grams.is_empty()).then_some(Highlighter { words, grams })
    }

    /// What part of a text word `w` a typed word marks, if any: its beginning, all
    /// of it, or (from four letters, as the n-grams match compounds such as
    /// `Kettenbagger` for `Bagger`) where the typed word sits inside it.
    fn marks(&self, w: &[char]) -> Option<Range<usize>> {
        let mut best: Option<Range<usize>> = None;
        for q in &self.words {
            let inside = || {
                (q.len() >= 4 && w.len() > q.len())
                    .then(|| (1..=w.len() - q.len()).find(|&at| w[at..].starts_with(q)))
                    .flatten()
                    .map(|at| at..at + q.len())
            };
            let n = if w.starts_with(q) {
                Some(0..q.len())
            } else if q.starts_with(w) && w.len() >= 3 && q.len() - w.len() <= 3 {
                Some(0..w.len())
            } else if let Some(r) = inside() {
                Some(r)
            } else {
                let typos = match q.len() {
                    _ if q.iter().any(char::is_ascii_digit) => 0,
                    0..=4 => 0,
                    5..=8 => 1,
                    _ => 2,
                };
                // The beginning of `w` closest to `q`: fewest edits, then the whole
                // word, then the longest.
                (q.len().saturating_sub(typos)..=q.len() + typos)
                    .filter(|&len| typos > 0 && len > 0 && len <= w.len())
                    .map(|len| (edits(q, &w[..len]), len != w.len(), std::cmp::Reverse(len)))
                    .filter(|&(e, ..)| e <= typos)
                    .min()
                    .map(|(.., std::cmp::Reverse(len))| 0..len)
            };
            if n.as_ref().map_or(0, |r| r.len()) > best.as_ref().map_or(0, |r| r.len()) {
                best = n;
            }
        }
        best
    }

    /// The byte ranges of `text` to mark, in order, adjacent ones merged.
    pub fn spans(&self, text: &str) -> Vec<Range<usize>> {
        let folded = Folded::new(text);
        let chars = &folded.chars;
        let mut marked = vec![false; chars.len()];
        for r in runs(chars) {
            if !is_cjk(chars[r.start]) {
                if let Some(m) = self.marks(&chars[r.clone()]) {
                    marked[r.start + m.start..r.start + m.end].fill(true);
                }
            }
        }
        for g in &self.grams {
            for at in 0..chars.len().saturating_sub(g.len() - 1) {
                if chars[at..at + g.len()] == g[..] {
                    marked[at..at + g.len()].fill(true);
                }
            }
        }
        let mut out: Vec<Range<usize>> = Vec::new();
        let mut i = 0;
        while i < marked.len() {
            if !marked[i] {
                i += 1;
                continue;
            }
            let start = i;
            while i < marked.len() && marked[i] {
                i += 1;
            }
            let bytes = folded.bytes(start..i);
            match out.last_mut() {
                // Folded characters of one written character, or touching marks.
                Some(last) if last.end >= bytes.start => last.end = last.end.max(bytes.end),
                _ => out.push(bytes),
            }
        }
        out
    }

    /// All of `text` as HTML with its matches marked.
    pub fn mark(&self, text: &str) -> String {
        html(text, &self.spans(text), 0..text.len())
    }

    /// At most [`SNIPPET_CHARS`] characters of `text` around its most marked
    /// stretch, as HTML, with `…` where it was cut.
    pub fn snippet(&self, text: &str) -> String {
        let spans = self.spans(text);
        let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let n = starts.len();
        let byte = |c: usize| starts.get(c).copied().unwrap_or(text.len());
        let char_at = |b: usize| starts.partition_point(|&s| s < b);
        let window = |first: usize| {
            let from = first
                .saturating_sub(20)
                .min(n.saturating_sub(SNIPPET_CHARS));
            from..(from + SNIPPET_CHARS).min(n)
        };
        // The window that shows the most marked characters, earliest first.
        let mut best = window(0);
        let mut best_marked = 0;
        for s in &spans {
            let w = window(char_at(s.start));
            let (wa, wb) = (byte(w.start), byte(w.end));
            let shown: usize = spans
                .iter()
                .map(|m| m.end.min(wb).saturating_sub(m.start.max(wa)))
                .sum();
            if shown > best_marked {
                best_marked = shown;
                best = w;
            }
        }
        let (from, to) = (byte(best.start), byte(best.end));
        let mut out = String::new();
        if best.start > 0 {
            out.push('…');
        }
        out.push_str(&html(text, &spans, from..to));
        if best.end < n {
            out.push('…');
        }
        out
    }
}

/// `text[shown]` as HTML, with the parts of `spans` inside it marked.
fn html(text: &str, spans: &[Range<usize>], shown: Range<usize>) -> String {
    let mut out = String::with_capacity(shown.len() + 16);
    let mut at = shown.start;
    for s in spans {
        let (a, b) = (s.start.max(shown.start), s.end.min(shown.end));
        if a >= b {
            continue;
        }
        escape_into(&mut out, &text[at..a]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[a..b]);
        out.push_str("</mark>");
        at = b;
    }
    escape_into(&mut out, &text[at..shown.end]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(q: &str, text: &str) -> String {
        Highlighter::new(q).unwrap().mark(text)
    }

    #[test]
    fn words_prefixes_endings_and_typos() {
        assert_eq!(
            mark("hydraulic exc", "Hydraulic Excavator, 2015"),
            "<mark>Hydraulic</mark> <mark>Exc</mark>avator, 2015"
        );
        assert_eq!(
            mark("excavators", "used excavator"),
            "used <mark>excavator</mark>"
        );
        assert_eq!(
            mark("Kobleco", "KOBELCO SK200"),
            "<mark>KOBELCO</mark> SK200"
        );
        assert_eq!(
            mark("pc200", "Komatsu PC200-8"),
            "Komatsu <mark>PC200</mark>-8"
        );
        assert_eq!(mark("pc300", "Komatsu PC200-8"), "Komatsu PC200-8");
        assert_eq!(
            mark("excavater", "Komatsu excavator, 2015"),
            "Komatsu <mark>excavator</mark>, 2015"
        );
        assert_eq!(mark("loadr", "wheel loaders"), "wheel <mark>loader</mark>s");
        assert_eq!(mark("ＰＣ２００", "pc200"), "<mark>pc200</mark>");
        assert_eq!(
            mark("Bagger", "JCB Kettenbagger"),
            "JCB Ketten<mark>bagger</mark>"
        );
    }

    #[test]
    fn cjk_runs_and_escaping() {
        assert_eq!(
            mark("油圧ショベル", "コマツ 油圧ショベル PC200"),
            "コマツ <mark>油圧ショベル</mark> PC200"
        );
        assert_eq!(
            mark("挖掘机", "二手挖掘机出售"),
            "二手<mark>挖掘机</mark>出售"
        );
        assert_eq!(mark("굴착기", "중고 굴착기"), "중고 <mark>굴착기</mark>");
        assert_eq!(
            mark("bagger", "<b>Bagger</b> & Co"),
            "&lt;b&gt;<mark>Bagger</mark>&lt;/b&gt; &amp; Co"
        );
        assert!(Highlighter::new(" - ").is_none());
    }

    #[test]
    fn snippets_show_the_most_marked_stretch() {
        let text = format!(
            "{} air conditioning and a new bucket. {}",
            "Well kept machine. ".repeat(20),
            "Serviced every year. ".repeat(20)
        );
        let s = Highlighter::new("air conditioning").unwrap().snippet(&text);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(
            s.contains("<mark>air</mark> <mark>conditioning</mark>"),
            "{s}"
        );
        let plain = s.replace("<mark>", "").replace("</mark>", "");
        assert!(
            plain.trim_matches('…').chars().count() <= SNIPPET_CHARS,
            "{plain}"
        );
        // Short text: whole, no ellipsis.
        let h = Highlighter::new("bucket").unwrap();
        assert_eq!(h.snippet("New bucket."), "New <mark>bucket</mark>.");
    }
}
