//! Property tests: whatever a caller passes as a name or a value, it stays in its place.

mod common;

use common::gen;
use proptest::prelude::*;
use query_dsl::functions::count_star;
use query_dsl::*;

/// Undoes the quoting of a name written by this crate.
fn unquote(s: &str) -> String {
    match s.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
        Some(inner) => inner.replace("``", "`"),
        None => s.to_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn escaped_names_read_back_exactly(name in gen::name()) {
        let escaped = escape_name(&name).unwrap();
        prop_assert_eq!(unquote(&escaped), name.clone());
        if escaped.starts_with('`') {
            // Inside the quotes, backticks only ever come in pairs.
            let inner = &escaped[1..escaped.len() - 1];
            prop_assert!(inner.split("``").all(|run| !run.contains('`')));
        } else {
            prop_assert!(escaped.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        }
    }

    /// A statement with a random name in every name position is the same text as one
    /// built with harmless placeholders, with only the escaped names swapped in.
    #[test]
    fn names_never_change_the_statement_around_them(
        var in gen::name(), label in gen::name(), rel in gen::name(),
        key in gen::name(), alias in gen::name(),
    ) {
        prop_assume!(var != alias);
        let build = |var: &str, label: &str, rel: &str, key: &str, alias: &str| {
            let n = any_node(var).label(label);
            match_(path(&n).out_any(any_rel().of_type(rel), &any_anon()))
                .where_(n.key(key).is_not_null())
                .return_(n.key(key).alias(alias))
                .build()
                .unwrap()
                .cypher()
                .to_owned()
        };
        let weird = build(&var, &label, &rel, &key, &alias);
        let template = build("VVV", "LLL", "RRR", "KKK", "AAA");
        let expected = template
            .replace("VVV", &escape_name(&var).unwrap())
            .replace("LLL", &escape_name(&label).unwrap())
            .replace("RRR", &escape_name(&rel).unwrap())
            .replace("KKK", &escape_name(&key).unwrap())
            .replace("AAA", &escape_name(&alias).unwrap());
        prop_assert_eq!(weird, expected);
    }

    /// Values never reach the text: any two values give the same text, and the values
    /// come back unchanged as parameters.
    #[test]
    fn values_never_reach_the_text(a in gen::value(), b in gen::value(), s in ".{0,20}") {
        let build = |v: Value, s: &str| {
            let n = any_node("n").label("L").with_key("k", v);
            match_(&n)
                .where_(n.key("name").eq(s))
                .return_(count_star())
                .build()
                .unwrap()
        };
        let sa = build(a.clone(), &s);
        let sb = build(b, "other");
        prop_assert_eq!(sa.cypher(), sb.cypher());
        prop_assert_eq!(&sa.params()["p0"], &a);
        prop_assert_eq!(&sa.params()["p1"], &Value::String(s));
    }

    /// Random statements always build, render deterministically, and use exactly the
    /// parameters they carry.
    #[test]
    fn random_statements_are_consistent(parts in gen::parts()) {
        let s = parts.statement();
        let again = parts.statement();
        prop_assert_eq!(s.cypher(), again.cypher());
        for name in s.params().keys() {
            let placeholder = format!("${name}");
            prop_assert!(s.cypher().contains(&placeholder));
        }
        prop_assert!(s.pretty().lines().count() >= 1);
    }
}
