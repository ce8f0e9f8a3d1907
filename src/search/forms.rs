//! The forms buyers write one word in, folded to one, so that a listing is found
//! whichever form its seller and its buyer used. Applied to listing text and queries
//! alike ([`super::analysis::normalize`]) and to the names buyers look up
//! ([`super::names::Folded`]), after NFKC and lower case:
//!
//! * **traditional Chinese as simplified**: buyers in Taiwan and Hong Kong write
//!   `挖土機`, sellers on the mainland `挖土机`. The character table is `fast2s`'s (from
//!   the OpenCC-derived `simplet2s` data), applied character by character so that every
//!   folded character still stands where it stood. Japanese kanji that have a
//!   simplified form fold too; as both sides fold, Japanese text still finds itself;
//! * **hiragana as katakana**: a buyer typing `こまつ` or `ほいーるろーだー` means the
//!   katakana word;
//! * **the katakana long-vowel mark dropped**: `ローダー` and `ローダ`, `コンピューター`
//!   and `コンピュータ` are the same word in different house styles;
//! * **German umlauts and ß spelled out**: model and equipment lists often write
//!   `Raeumschild` for `Räumschild` and `Strasse` for `Straße`.

/// The katakana-hiragana prolonged sound mark `ー`.
const LONG_VOWEL: char = '\u{30FC}';

/// Whether `c` is a Han ideograph (the characters with traditional and simplified
/// forms).
fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF)
}

/// What `c` is spelled as, when folding changes more than the character itself.
fn spelled(c: char) -> Option<&'static str> {
    Some(match c {
        'ä' => "ae",
        'ö' => "oe",
        'ü' => "ue",
        'ß' => "ss",
        LONG_VOWEL => "",
        _ => return None,
    })
}

/// Hiragana ぁ..ゖ sit 0x60 below their katakana.
fn katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// Whether folding could change `text` (most text: ASCII, katakana, Hangul without the
/// long-vowel mark, takes no copy).
fn affected(text: &str) -> bool {
    !text.is_ascii()
        && text
            .chars()
            .any(|c| is_han(c) || spelled(c).is_some() || katakana(c) != c)
}

/// The simplified form of each character of `text`, one for one; `None` when `text`
/// has no Han character.
pub fn simplified(text: &str) -> Option<Vec<char>> {
    if !text.chars().any(is_han) {
        return None;
    }
    let out: Vec<char> = fast2s::convert(text).chars().collect();
    // The table maps characters to characters; should a future table map one to
    // several, leave the text as written rather than misplace every later character.
    (out.len() == text.chars().count()).then_some(out)
}

/// Appends `c`, folded (given its simplified form `simple`), to `out` through `push`.
pub fn fold_char(c: char, simple: char, mut push: impl FnMut(char)) {
    match spelled(c) {
        Some(s) => s.chars().for_each(push),
        None => push(katakana(simple)),
    }
}

/// `text` (already NFKC and lower case) folded; see the [module docs](self).
pub fn fold(text: String) -> String {
    if !affected(&text) {
        return text;
    }
    let simple = simplified(&text);
    let mut out = String::with_capacity(text.len() + 4);
    for (i, c) in text.chars().enumerate() {
        let s = simple.as_ref().map_or(c, |s| s[i]);
        fold_char(c, s, |f| out.push(f));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn each_form_folds_to_one() {
        let same = |a: &str, b: &str| assert_eq!(fold(a.into()), fold(b.into()), "{a} / {b}");
        same("挖土機", "挖土机");
        same("輪式裝載機", "轮式装载机");
        same("ホイールローダー", "ホイールローダ");
        same("räumschild", "raeumschild");
        same("straße", "strasse");
        same("ほいーるろーだー", "ホイールローダー");
        assert_eq!(fold("excavator pc200".into()), "excavator pc200");
        assert_eq!(fold("油圧ショベル".into()), "油圧ショベル");
        assert_eq!(fold("굴착기".into()), "굴착기");
    }
}
