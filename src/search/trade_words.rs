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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TradeWords {
    groups: Vec<Group>,
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
                groups.extend(TradeWords::from_sets([terms.as_slice()]).groups);
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
        Ok(TradeWords { groups })
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
        TradeWords { groups }
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
        for group in &self.groups {
            if out.len() == MAX_ALTERNATIVES {
                break;
            }
            if find(text, &group.name).is_some() {
                continue;
            }
            // Only an alias the query holds is looked up among the overriding words.
            let found = group.aliases.iter().find_map(|a| {
                find(text, a)
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

/// Where `word` stands in `text` as whole words (CJK words anywhere).
fn find(text: &str, word: &str) -> Option<usize> {
    let cjk = word.chars().any(is_cjk);
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let end = at + word.len();
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        let bounded = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() || is_cjk(c));
        if cjk || (bounded(before) && bounded(after)) {
            return Some(at);
        }
        from = at + text[at..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
