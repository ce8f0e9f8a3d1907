//! Language codes (ISO 639-1) for multilingual text.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// All two-letter codes of ISO 639-1, sorted, for binary search.
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bi",
    "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de",
    "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy",
    "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia",
    "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk",
    "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln", "lo",
    "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd",
    "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl",
    "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl",
    "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti", "tk",
    "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo", "wa",
    "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// An ISO 639-1 language code such as `ja` or `en`, stored in two bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lang([u8; 2]);

/// Why a string is not a language code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 639-1 language code (two lowercase letters such as ja, en, zh)")]
pub struct LangError(pub String);

impl Lang {
    /// Japanese.
    pub const JA: Lang = Lang(*b"ja");
    /// English.
    pub const EN: Lang = Lang(*b"en");
    /// Chinese.
    pub const ZH: Lang = Lang(*b"zh");
    /// Korean.
    pub const KO: Lang = Lang(*b"ko");
    /// German.
    pub const DE: Lang = Lang(*b"de");
    /// French.
    pub const FR: Lang = Lang(*b"fr");
    /// Spanish.
    pub const ES: Lang = Lang(*b"es");
    /// Russian.
    pub const RU: Lang = Lang(*b"ru");

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        // Only ever built from entries of ISO_639_1, which are ASCII.
        std::str::from_utf8(&self.0).expect("language codes are ASCII")
    }
}

impl FromStr for Lang {
    type Err = LangError;

    fn from_str(s: &str) -> Result<Self, LangError> {
        match ISO_639_1.binary_search(&s) {
            Ok(_) => {
                let b = s.as_bytes();
                Ok(Lang([b[0], b[1]]))
            }
            Err(_) => Err(LangError(s.to_owned())),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Lang;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 639-1 language code")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Lang, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_codes_parse() {
        assert!(ISO_639_1.windows(2).all(|w| w[0] < w[1]));
        assert_eq!("ja".parse::<Lang>().unwrap(), Lang::JA);
        assert!("jp".parse::<Lang>().is_err());
        assert!("EN".parse::<Lang>().is_err());
        assert!("eng".parse::<Lang>().is_err());
    }
}
