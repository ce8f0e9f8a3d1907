//! Trade words: the slang, brand-for-category words and maker aliases buyers type
//! (`ユンボ` for a hydraulic excavator, `ユニック` for a truck-mounted crane, `backhoe`,
//! `포크레인`, `CAT`), each leading to the catalog name Stockyard searches for it.
//!
//! The dictionary ships with Stockyard (`data/trade-words.txt`, every group naming the
//! public glossary or standard it comes from) and is applied at query time, so no
//! listing is reindexed when it changes. A query holding an alias is searched as typed
//! *and* with the catalog name in the alias's place; the two searches' phrase and
//! prefix matches are one class each, so a listing found either way ranks as if the
//! buyer had typed the catalog name. An alias leads to its name only: searching the
//! name itself costs nothing more.

use super::analysis::{is_cjk, normalize};
use std::sync::OnceLock;

/// Most alternatives one query is searched with (one per alias group found): enough
/// for an equipment word in every language of its set.
pub const MAX_ALTERNATIVES: usize = 16;

/// One group: a catalog name and the words that lead to it, all normalised.
#[derive(Debug, Clone, PartialEq)]
struct Group {
    name: String,
    /// Longest first, so that `mini digger` is found before `digger`.
    aliases: Vec<String>,
}

/// A dictionary of trade words.
#[derive(Debug, Clone, Default)]
pub struct TradeWords {
    groups: Vec<Group>,
    /// Every name and alias, found in one pass over a query.
    finder: Finder,
}

impl PartialEq for TradeWords {
    fn eq(&self, other: &Self) -> bool {
        self.groups == other.groups
    }
}

/// The names and aliases of a dictionary as one automaton (Aho–Corasick): a query is
/// read once for all of them, instead of once per word (some 400 searches of the
/// query text for the bundled dictionary, 4 % of the time of a model-number search).
#[derive(Debug, Clone, Default)]
struct Finder {
    automaton: Option<aho_corasick::AhoCorasick>,
    /// Per pattern: whether it is CJK (found anywhere, not only as a whole word).
    cjk: Vec<bool>,
}

impl Finder {
    /// Patterns in order: each group's name, then its aliases.
    fn of(groups: &[Group]) -> Finder {
        let patterns: Vec<&str> = groups
            .iter()
            .flat_map(|g| std::iter::once(&g.name).chain(&g.aliases))
            .map(String::as_str)
            .collect();
        Finder {
            automaton: aho_corasick::AhoCorasick::new(&patterns).ok(),
            cjk: patterns.iter().map(|p| p.chars().any(is_cjk)).collect(),
        }
    }

    /// Per pattern, where it first stands in `text` as whole words (CJK words
    /// anywhere).
    fn first_in(&self, text: &str) -> Vec<Option<usize>> {
        let mut first: Vec<Option<usize>> = vec![None; self.cjk.len()];
        let Some(automaton) = &self.automaton else {
            return first;
        };
        for m in automaton.find_overlapping_iter(text) {
            let p = m.pattern().as_usize();
            if first[p].is_some_and(|f| f <= m.start()) {
                continue;
            }
            if self.cjk[p] || whole_words(text, m.start(), m.end()) {
                first[p] = Some(m.start());
            }
        }
        first
    }
}

/// Whether `text[start..end]` begins and ends at word boundaries.
fn whole_words(text: &str, start: usize, end: usize) -> bool {
    let bounded = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() || is_cjk(c));
    bounded(text[..start].chars().next_back()) && bounded(text[end..].chars().next())
}

/// Why a dictionary was refused: its line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trade words, line {line}: {reason}")]
pub struct TradeWordsError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// The languages a group may be written in.
const LANGS: [&str; 8] = ["ja", "en", "zh", "ko", "de", "fr", "es", "ru"];
/// The "language" of a set of equivalent terms in several languages.
const EVERY: &str = "*";

impl TradeWords {
    /// Reads the dictionary format of `data/trade-words.txt` (see its header).
    pub fn parse(text: &str) -> Result<TradeWords, TradeWordsError> {
        let mut groups = Vec::new();
        let mut sourced = false;
        for (i, raw) in text.lines().enumerate() {
            let bad = |reason: String| TradeWordsError {
                line: i + 1,
                reason,
            };
            let line = raw.trim();
            if line.is_empty() {
                sourced = false;
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                if let Some(source) = comment.trim().strip_prefix("source:") {
                    if source.trim().is_empty() {
                        return Err(bad("a source must name its glossary".into()));
                    }
                    sourced = true;
                }
                continue;
            }
            if !sourced {
                return Err(bad("a group must follow a `# source:` line".into()));
            }
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            let [lang, name, aliases @ ..] = &fields[..] else {
                return Err(bad("expected `lang | name | alias …`".into()));
            };
            if *lang != EVERY && !LANGS.contains(lang) {
                return Err(bad(format!("unknown language {lang:?}")));
            }
            if aliases.is_empty() {
                return Err(bad(format!("{name:?} has no alias")));
            }
            for (k, alias) in aliases.iter().enumerate() {
                if alias.is_empty() || alias == name || aliases[..k].contains(alias) {
                    return Err(bad(format!(
                        "alias {alias:?} is empty, the name or repeated"
                    )));
                }
            }
            if *lang == EVERY {
                // Equivalent terms: each leads to every other, as a marketplace's set.
                let terms: Vec<String> = std::iter::once(*name)
                    .chain(aliases.iter().copied())
                    .map(str::to_owned)
                    .collect();
                groups.extend(groups_of_sets([terms.as_slice()]));
                continue;
            }
            let name = normalize(name);
            let mut group = Group {
                name: name.clone(),
                aliases: Vec::new(),
            };
            // Spellings the folding already joins (`ホイルローダー`, `ユンボー`) are kept
            // in the file as the trade writes them, and searched once.
            for alias in aliases.iter().map(|a| normalize(a)) {
                if alias != name && !group.aliases.contains(&alias) {
                    group.aliases.push(alias);
                }
            }
            group.aliases.sort_by_key(|a| std::cmp::Reverse(a.len()));
            groups.push(group);
        }
        Ok(TradeWords::of(groups))
    }

    fn of(groups: Vec<Group>) -> TradeWords {
        TradeWords {
            finder: Finder::of(&groups),
            groups,
        }
    }

    /// The dictionary that ships with Stockyard.
    pub fn builtin() -> &'static TradeWords {
        static BUILTIN: OnceLock<TradeWords> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            TradeWords::parse(include_str!("../../data/trade-words.txt"))
                .expect("the bundled trade words parse (tested)")
        })
    }

    /// How many aliases it holds (spellings the folding joins counted once).
    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.aliases.len()).sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// A marketplace's synonym sets as a dictionary: each term of a set leads to
    /// each other term.
    pub fn from_sets<'a>(sets: impl IntoIterator<Item = &'a [String]>) -> TradeWords {
        TradeWords::of(groups_of_sets(sets))
    }

    /// Whether `word` (normalised) is a name or an alias here.
    fn knows(&self, word: &str) -> bool {
        self.groups
            .iter()
            .any(|g| g.name == word || g.aliases.iter().any(|a| a == word))
    }

    /// The query texts to search besides `query`: for each group one of whose
    /// aliases `query` holds (as whole words; anywhere in CJK text), the query with
    /// the longest such alias replaced by the group's name. Groups whose name the
    /// query already holds add nothing (`ダンプトラック` holds the alias `ダンプ`).
    /// This dictionary's groups (a marketplace's own sets) come first, then those of
    /// `bundled` for the words this one does not know: the marketplace's word for a
    /// thing overrides the bundled one.
    pub fn alternatives(&self, query: &str, bundled: Option<&TradeWords>) -> Vec<String> {
        let text = normalize(query);
        let mut out = Vec::new();
        self.add_alternatives(&text, &mut out, &TradeWords::default());
        if let Some(b) = bundled {
            b.add_alternatives(&text, &mut out, self);
        }
        out
    }

    fn add_alternatives(&self, text: &str, out: &mut Vec<String>, overridden: &TradeWords) {
        let first = self.finder.first_in(text);
        let mut pattern = 0;
        for group in &self.groups {
            let name = pattern;
            pattern += 1 + group.aliases.len();
            if out.len() == MAX_ALTERNATIVES {
                break;
            }
            if first[name].is_some() {
                continue;
            }
            // Only an alias the query holds is looked up among the overriding words.
            let found = group.aliases.iter().enumerate().find_map(|(i, a)| {
                first[name + 1 + i]
                    .filter(|_| !overridden.knows(a))
                    .map(|at| (at, a.len()))
            });
            if let Some((at, len)) = found {
                let alt = format!("{}{}{}", &text[..at], group.name, &text[at + len..]);
                if !out.contains(&alt) {
                    out.push(alt);
                }
            }
        }
    }
}

/// The groups of synonym sets: each term of a set leads to each other term.
fn groups_of_sets<'a>(sets: impl IntoIterator<Item = &'a [String]>) -> Vec<Group> {
    let mut groups = Vec::new();
    for set in sets {
        let terms: Vec<String> = set.iter().map(|t| normalize(t)).collect();
        for name in &terms {
            let mut aliases: Vec<String> = Vec::new();
            for t in &terms {
                if t != name && !t.is_empty() && !aliases.contains(t) {
                    aliases.push(t.clone());
                }
            }
            aliases.sort_by_key(|a| std::cmp::Reverse(a.len()));
            if !name.is_empty() && !aliases.is_empty() {
                groups.push(Group {
                    name: name.clone(),
                    aliases,
                });
            }
        }
    }
    groups
}

/// Where `word` stands in `text` as whole words (CJK words anywhere), word by word:
/// the reference [`Finder`] is checked against.
#[cfg(test)]
fn find(text: &str, word: &str) -> Option<usize> {
    let cjk = word.chars().any(is_cjk);
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        if cjk || whole_words(text, at, at + word.len()) {
            return Some(at);
        }
        from = at + text[at..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GIVEN the bundled dictionary, WHEN each of its names and aliases is looked for
    /// in texts holding it as a word, inside a longer word, after CJK text, twice, and
    /// in texts of the other words, THEN the one-pass finder gives every word the same
    /// first position as searching the text for that word alone.
    #[test]
    fn the_one_pass_finder_finds_what_word_by_word_search_finds() {
        let words = TradeWords::builtin();
        let patterns: Vec<&str> = words
            .groups
            .iter()
            .flat_map(|g| std::iter::once(&g.name).chain(&g.aliases))
            .map(String::as_str)
            .collect();
        let mut texts = vec![
            String::new(),
            "komatsu pc200-8".to_owned(),
            "air conditioning".to_owned(),
        ];
        for w in &patterns {
            texts.push(format!("used {w} for sale"));
            texts.push(format!("{w}s and {w}"));
            texts.push(format!("x{w} {w}"));
            texts.push(format!("中古{w}"));
            texts.push(w.to_string());
        }
        let mut found = 0;
        for text in &texts {
            let first = words.finder.first_in(text);
            for (p, w) in patterns.iter().enumerate() {
                assert_eq!(first[p], find(text, w), "{w:?} in {text:?}");
                found += usize::from(first[p].is_some());
            }
        }
        assert!(found >= 4 * patterns.len(), "{found} found");
    }

    #[test]
    fn the_bundled_dictionary_parses_and_covers_every_language() {
        let words = TradeWords::builtin();
        assert!(words.len() >= 150, "{} aliases", words.len());
        let text = include_str!("../../data/trade-words.txt");
        for lang in LANGS {
            assert!(
                text.lines().any(|l| l.starts_with(&format!("{lang} |"))),
                "{lang}"
            );
        }
    }

    #[test]
    fn an_alias_leads_to_its_name() {
        let words = TradeWords::builtin();
        // Alternatives come normalised, as the analysers see them.
        let leads = |typed: &str, to: &str| {
            assert_eq!(words.alternatives(typed, None), [normalize(to)], "{typed}");
        };
        leads("ユンボ", "油圧ショベル");
        leads("ユンボー", "油圧ショベル");
        leads("コマツ ユンボ PC200", "コマツ 油圧ショベル pc200");
        leads("used backhoe", "used excavator");
        leads("Mini Digger", "mini excavator");
        leads("ユニック", "クレーン");
        leads("トラクターショベル", "ホイールローダー");
        leads("挖機", "挖掘机");
        // The name itself, and words that only contain an alias, lead nowhere new.
        assert!(words.alternatives("油圧ショベル", None).is_empty());
        assert!(words.alternatives("ダンプトラック", None).is_empty());
        assert!(
            words.alternatives("category", None).is_empty(),
            "`cat` is a word, not a prefix"
        );
    }

    #[test]
    fn a_marketplace_set_leads_each_term_to_the_others_and_overrides_the_bundle() {
        let sets = [vec!["ユンボ".to_owned(), "ミニショベル".to_owned()]];
        let own = TradeWords::from_sets(sets.iter().map(Vec::as_slice));
        let bundled = TradeWords::builtin();
        assert_eq!(
            own.alternatives("ユンボ", Some(bundled)),
            [normalize("ミニショベル")]
        );
        assert_eq!(
            own.alternatives("ミニショベル", Some(bundled)),
            [normalize("ユンボ")]
        );
        // Words the marketplace does not name still take the bundled dictionary.
        assert_eq!(own.alternatives("backhoe", Some(bundled)), ["excavator"]);
        assert!(own.alternatives("ユニック", None).is_empty());
    }

    #[test]
    fn a_dictionary_without_sources_or_with_repeats_is_refused() {
        let err = TradeWords::parse("en | excavator | digger\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.reason.contains("source"), "{err}");
        let err = TradeWords::parse("# source: ISO 6165\nen | excavator | digger | digger\n")
            .unwrap_err();
        assert!(err.reason.contains("repeated"), "{err}");
        let err = TradeWords::parse("# source: x\nxx | a | b\n").unwrap_err();
        assert!(err.reason.contains("unknown language"), "{err}");
        let err = TradeWords::parse("# source: x\nen | excavator\n").unwrap_err();
        assert!(err.reason.contains("no alias"), "{err}");
    }
}
