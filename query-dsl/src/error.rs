//! Why a statement could not be built.

use std::fmt;

/// A statement that cannot be rendered as valid, safe Cypher.
///
/// Most mistakes are refused by the compiler (see the crate docs); what only shows at run
/// time — a name that is empty, a `UNION` of statements whose columns differ — is
/// reported here, when `build()` is called, never as broken Cypher text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// A label, type, key, alias or variable is the empty string.
    EmptyName {
        /// What the name was for: `label`, `relationship type`, `property key`…
        what: &'static str,
    },
    /// A name holds a character Cypher cannot express even when quoted (NUL).
    InvalidName {
        /// What the name was for.
        what: &'static str,
        /// The offending name.
        name: String,
    },
    /// A function or procedure name is not a dotted list of non-empty parts.
    InvalidFunctionName(String),
    /// A clause was given no items (`RETURN` with nothing to return…).
    EmptyClause(&'static str),
    /// The statements of a `UNION` return different columns.
    UnionColumns {
        /// Columns of the first statement.
        left: Vec<String>,
        /// Columns of the statement being added.
        right: Vec<String>,
    },
    /// A `UNION` part does not end in `RETURN`.
    UnionWithoutReturn,
    /// A variable-length relationship whose minimum exceeds its maximum.
    InvalidHops {
        /// Lower bound.
        min: u32,
        /// Upper bound.
        max: u32,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::EmptyName { what } => write!(f, "a {what} must not be empty"),
            BuildError::InvalidName { what, name } => {
                write!(f, "the {what} {name:?} holds a NUL character")
            }
            BuildError::InvalidFunctionName(n) => write!(
                f,
                "{n:?} is not a function or procedure name (dotted parts such as apoc.text.join)"
            ),
            BuildError::EmptyClause(c) => write!(f, "{c} needs at least one item"),
            BuildError::UnionColumns { left, right } => write!(
                f,
                "UNION parts must return the same columns: {left:?} vs {right:?}"
            ),
            BuildError::UnionWithoutReturn => f.write_str("every UNION part must end in RETURN"),
            BuildError::InvalidHops { min, max } => write!(
                f,
                "a variable-length relationship cannot have more minimum hops ({min}) than maximum ({max})"
            ),
        }
    }
}

impl std::error::Error for BuildError {}
