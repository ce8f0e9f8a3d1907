//! query-dsl rendering with arbitrary names and values: a statement either fails to
//! build with an error or is exactly the expected shape with every name escaped as one
//! token, and the value travels only as a parameter (never in the text).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use query_dsl::{any_node, escape_name, match_, param};

#[derive(Debug, Arbitrary)]
struct Input {
    var: String,
    label: String,
    key: String,
    alias: String,
    value: String,
}

/// Reads one name token from the front of `text`: a bare identifier, or a backtick
/// quoted name with doubled backticks. Returns the name and the rest.
fn token(text: &str) -> Option<(String, &str)> {
    if let Some(quoted) = text.strip_prefix('`') {
        let mut name = String::new();
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '`' {
                if matches!(chars.peek(), Some((_, '`'))) {
                    chars.next();
                    name.push('`');
                } else {
                    return Some((name, &quoted[i + 1..]));
                }
            } else {
                name.push(c);
            }
        }
        None
    } else {
        let end = text
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        (end > 0).then(|| (text[..end].to_owned(), &text[end..]))
    }
}

fn expect<'a>(text: &'a str, literal: &str) -> &'a str {
    text.strip_prefix(literal)
        .unwrap_or_else(|| panic!("expected {literal:?} at {text:?}"))
}

fn name<'a>(text: &'a str, want: &str) -> &'a str {
    let (got, rest) = token(text).unwrap_or_else(|| panic!("no name at {text:?}"));
    assert_eq!(got, want, "the name reads back as given");
    rest
}

fuzz_target!(|input: Input| {
    let n = any_node(&input.var).label(&input.label);
    let built = match_(&n)
        .where_(n.key(&input.key).eq(param(input.value.clone())))
        .return_(n.key(&input.key).alias(&input.alias))
        .build();
    let Ok(stmt) = built else {
        // Only names that cannot be written are refused.
        assert!(
            [&input.var, &input.label, &input.key, &input.alias]
                .iter()
                .any(|s| escape_name(s).is_err()),
            "{input:?}"
        );
        return;
    };
    // MATCH (var:label) WHERE var.key = $p RETURN var.key AS alias
    let text = stmt.cypher();
    let rest = expect(text, "MATCH (");
    let rest = name(rest, &input.var);
    let rest = name(expect(rest, ":"), &input.label);
    let rest = name(expect(rest, ") WHERE "), &input.var);
    let rest = name(expect(rest, "."), &input.key);
    let rest = expect(rest, " = $");
    let (param_name, rest) = token(rest).expect("a parameter name");
    let rest = name(expect(rest, " RETURN "), &input.var);
    let rest = name(expect(rest, "."), &input.key);
    let rest = name(expect(rest, " AS "), &input.alias);
    assert_eq!(rest, "", "nothing after the alias");
    let sent = stmt
        .params()
        .get(&param_name)
        .expect("the parameter is sent");
    assert_eq!(sent, &query_dsl::Value::String(input.value.clone()));
});
