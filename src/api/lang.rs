//! The buyer's language: given, or taken from Accept-Language.

use stockyard_schema::Lang;

/// The first language of an Accept-Language header this service can name, by the
/// header's order of preference (q-values honoured, ties in written order).
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut tags: Vec<(f32, usize, Lang)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut it = part.split(';');
            let tag = it.next()?.trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next()?.to_ascii_lowercase();
            let lang = primary.parse::<Lang>().ok()?;
            (q > 0.0).then_some((q, i, lang))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.first().map(|t| t.2)
}

/// The language names are shown in: the buyer's, else English.
pub fn names_lang(buyer: Option<Lang>) -> Lang {
    buyer.unwrap_or(Lang::EN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_order_and_q_values() {
        assert_eq!(
            from_accept_language("ja-JP,ja;q=0.9,en;q=0.8"),
            Some(Lang::JA)
        );
        assert_eq!(from_accept_language("en;q=0.5, de"), Some(Lang::DE));
        assert_eq!(from_accept_language("*"), None);
        assert_eq!(from_accept_language("fr;q=0"), None);
    }
}
