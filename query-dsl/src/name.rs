//! Escaping of names: labels, relationship types, property keys, variables and aliases.
//!
//! A name is written bare when it is a plain identifier that is not a keyword, and
//! quoted in backticks otherwise, with every backtick inside doubled. Nothing a caller
//! passes as a name can therefore end the quoted name early and change the statement.

use crate::error::BuildError;

/// Words that must be quoted to be used as names (Cypher's reserved words and the
/// keywords that would read as clause or operator starts). Compared case-insensitively.
const RESERVED: &[&str] = &[
    "ALL",
    "AND",
    "ANY",
    "AS",
    "ASC",
    "ASCENDING",
    "BY",
    "CALL",
    "CASE",
    "COLLECT",
    "CONSTRAINT",
    "CONTAINS",
    "COUNT",
    "CREATE",
    "CSV",
    "DELETE",
    "DESC",
    "DESCENDING",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "ELSE",
    "END",
    "ENDS",
    "EXISTS",
    "FALSE",
    "FOR",
    "FOREACH",
    "FROM",
    "IN",
    "INDEX",
    "IS",
    "LIMIT",
    "LOAD",
    "MANDATORY",
    "MATCH",
    "MERGE",
    "NONE",
    "NOT",
    "NULL",
    "OF",
    "ON",
    "OPTIONAL",
    "OR",
    "ORDER",
    "REMOVE",
    "REQUIRE",
    "RETURN",
    "SCALAR",
    "SET",
    "SINGLE",
    "SKIP",
    "STARTS",
    "THEN",
    "TRUE",
    "UNION",
    "UNIQUE",
    "UNWIND",
    "USE",
    "USING",
    "WHEN",
    "WHERE",
    "WITH",
    "XOR",
    "YIELD",
];

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_plain(s: &str) -> bool {
    is_identifier(s) && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

/// Appends `name` to `out`, quoted when needed.
pub(crate) fn write_name(
    out: &mut String,
    what: &'static str,
    name: &str,
) -> Result<(), BuildError> {
    if name.is_empty() {
        return Err(BuildError::EmptyName { what });
    }
    if name.contains('\0') {
        return Err(BuildError::InvalidName {
            what,
            name: name.to_owned(),
        });
    }
    if is_plain(name) {
        out.push_str(name);
    } else {
        out.push('`');
        for c in name.chars() {
            if c == '`' {
                out.push('`');
            }
            out.push(c);
        }
        out.push('`');
    }
    Ok(())
}

/// The name as it appears in Cypher text: bare or quoted.
///
/// ```
/// assert_eq!(query_dsl::escape_name("Machine").unwrap(), "Machine");
/// assert_eq!(query_dsl::escape_name("operating weight").unwrap(), "`operating weight`");
/// assert_eq!(query_dsl::escape_name("a`b").unwrap(), "`a``b`");
/// assert!(query_dsl::escape_name("").is_err());
/// ```
pub fn escape_name(name: &str) -> Result<String, BuildError> {
    let mut s = String::with_capacity(name.len() + 2);
    write_name(&mut s, "name", name)?;
    Ok(s)
}

/// Checks a dotted function or procedure name such as `apoc.text.join`. Parts that are
/// identifiers are written bare even when they are keywords (`count`, `exists`): in
/// call position they cannot be read as anything else. Other parts are quoted.
pub(crate) fn write_qualified(out: &mut String, name: &str) -> Result<(), BuildError> {
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return Err(BuildError::InvalidFunctionName(name.to_owned()));
    }
    for (i, part) in name.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        if is_identifier(part) {
            out.push_str(part);
        } else {
            write_name(out, "function name", part)?;
        }
    }
    Ok(())
}

/// Turns a caller's parameter name hint into a safe parameter name (letters, digits,
/// underscores, starting with a letter).
pub(crate) fn param_base(hint: &str) -> String {
    let mut s: String = hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.insert(0, 'p');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_rules() {
        assert_eq!(escape_name("n").unwrap(), "n");
        assert_eq!(escape_name("_x1").unwrap(), "_x1");
        assert_eq!(escape_name("1x").unwrap(), "`1x`");
        assert_eq!(escape_name("match").unwrap(), "`match`");
        assert_eq!(escape_name("コマツ").unwrap(), "`コマツ`");
        assert_eq!(escape_name("a\nb").unwrap(), "`a\nb`");
        assert_eq!(escape_name("``").unwrap(), "``````");
        assert!(matches!(
            escape_name("a\0"),
            Err(BuildError::InvalidName { .. })
        ));
    }

    #[test]
    fn param_names_are_identifiers() {
        assert_eq!(param_base("min"), "min");
        assert_eq!(param_base("spec.weight"), "spec_weight");
        assert_eq!(param_base("1st"), "p1st");
        assert_eq!(param_base(""), "p");
    }
}
