//! Multilingual text: the same title or name written in one or more languages.

use crate::lang::Lang;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// Longest single text accepted, in bytes (a listing description is well under this).
pub const MAX_TEXT_LEN: usize = 16 * 1024;

/// Text in known languages, or one string whose language is not known yet.
///
/// On the wire a map from language code to text (`{"ja": "…", "en": "…"}`) or a plain
/// string; the plain string is left for language detection at indexing time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// Text whose language was not given.
    Unknown(String),
    /// Text per language; never empty.
    Langs(BTreeMap<Lang, String>),
}

impl Text {
    /// Text in one known language.
    pub fn one(lang: Lang, text: impl Into<String>) -> Text {
        Text::Langs(BTreeMap::from([(lang, text.into())]))
    }

    /// The text in `lang`, if given in that language.
    pub fn get(&self, lang: Lang) -> Option<&str> {
        match self {
            Text::Langs(m) => m.get(&lang).map(String::as_str),
            Text::Unknown(_) => None,
        }
    }

    /// The best text for a reader of `lang`: that language, else English, else any.
    pub fn best(&self, lang: Lang) -> &str {
        self.best_with_lang(lang).1
    }

    /// [`Text::best`] with the language it is written in (`None` when unknown).
    pub fn best_with_lang(&self, lang: Lang) -> (Option<Lang>, &str) {
        match self {
            Text::Unknown(s) => (None, s),
            Text::Langs(m) => m
                .get_key_value(&lang)
                .or_else(|| m.get_key_value(&Lang::EN))
                .or_else(|| m.iter().next())
                .map_or((None, ""), |(l, s)| (Some(*l), s.as_str())),
        }
    }

    /// Every text with its language, `None` where the language is unknown.
    pub fn iter(&self) -> impl Iterator<Item = (Option<Lang>, &str)> {
        let (unknown, known) = match self {
            Text::Unknown(s) => (Some(s.as_str()), None),
            Text::Langs(m) => (None, Some(m)),
        };
        unknown.map(|s| (None, s)).into_iter().chain(
            known
                .into_iter()
                .flat_map(|m| m.iter().map(|(l, s)| (Some(*l), s.as_str()))),
        )
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::Unknown(s.to_owned())
    }
}

fn check_text<E: de::Error>(s: &str) -> Result<(), E> {
    if s.trim().is_empty() {
        return Err(E::custom("text must not be empty"));
    }
    if s.len() > MAX_TEXT_LEN {
        return Err(E::custom(format_args!(
            "text must be at most {MAX_TEXT_LEN} bytes, got {}",
            s.len()
        )));
    }
    Ok(())
}

/// A string that passed [`check_text`] while being decoded.
struct CheckedText(String);

impl<'de> Deserialize<'de> for CheckedText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        check_text(&s)?;
        Ok(CheckedText(s))
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Text::Unknown(t) => s.serialize_str(t),
            Text::Langs(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a text: a string, or a map from language code to string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                check_text(v)?;
                Ok(Text::Unknown(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Text, A::Error> {
                let mut m = BTreeMap::new();
                while let Some(lang) = access.next_key::<Lang>()? {
                    // Checked inside the value, so that the error path names the language.
                    let CheckedText(text) = access.next_value()?;
                    if m.insert(lang, text).is_some() {
                        return Err(de::Error::custom(format_args!(
                            "language `{lang}` given twice"
                        )));
                    }
                }
                if m.is_empty() {
                    return Err(de::Error::custom(
                        "text must be given in at least one language",
                    ));
                }
                Ok(Text::Langs(m))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_falls_back_to_english_then_any() {
        let t: Text = serde_json::from_str(r#"{"ja":"油圧ショベル","en":"Excavator"}"#).unwrap();
        assert_eq!(t.best(Lang::JA), "油圧ショベル");
        assert_eq!(t.best(Lang::DE), "Excavator");
        let t: Text = serde_json::from_str(r#"{"zh":"挖掘机"}"#).unwrap();
        assert_eq!(t.best(Lang::DE), "挖掘机");
    }

    #[test]
    fn plain_string_is_unknown_language() {
        let t: Text = serde_json::from_str(r#""PC200-8 中古""#).unwrap();
        assert_eq!(t, Text::Unknown("PC200-8 中古".into()));
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![(None, "PC200-8 中古")]);
    }
}
