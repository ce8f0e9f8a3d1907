//! Identifiers chosen by the marketplace: non-empty strings of printable characters.
//!
//! Each kind of id is its own type so that a maker id can never be passed where a model
//! id is expected, while on the wire all of them are plain JSON strings.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Longest id accepted, in bytes: ids end up in index terms and graph keys.
pub const MAX_ID_LEN: usize = 128;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string is empty.
    #[error("an id must not be empty")]
    Empty,
    /// The string is longer than [`MAX_ID_LEN`] bytes.
    #[error("an id must be at most {MAX_ID_LEN} bytes, got {0}")]
    TooLong(usize),
    /// The string holds whitespace or a control character.
    #[error("an id must not contain whitespace or control characters")]
    BadChar,
}

/// Checks the rules every id obeys.
pub fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong(s.len()));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(IdError::BadChar);
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps an id.
            pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
                let id = id.into();
                check_id(&id)?;
                Ok($name(id))
            }

            /// The id as the marketplace wrote it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<$name, IdError> {
                $name::new(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::new(v).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

id_type!(
    /// Identifies an event; applying an event whose id was applied before changes nothing.
    EventId,
    "an event id (string)"
);
id_type!(
    /// Identifies a category of machines (a node in the category tree).
    CategoryId,
    "a category id (string)"
);
id_type!(
    /// Identifies a spec category: a dimension such as operating weight.
    SpecCategoryId,
    "a spec category id (string)"
);
id_type!(
    /// Identifies a maker (manufacturer).
    MakerId,
    "a maker id (string)"
);
id_type!(
    /// Identifies a model (a model number made by one maker).
    ModelId,
    "a model id (string)"
);
id_type!(
    /// Identifies one listed machine.
    MachineId,
    "a machine id (string)"
);
id_type!(
    /// Identifies a buyer who saves searches and watches machines: opaque to
    /// Stockyard, chosen by the marketplace that owns its users.
    SubscriberId,
    "a subscriber id (string)"
);
id_type!(
    /// Identifies a saved search.
    SavedSearchId,
    "a saved search id (string)"
);
id_type!(
    /// Identifies a marketplace's synonym set.
    SynonymSetId,
    "a synonym set id (string)"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_empty_long_and_blank() {
        assert_eq!(MakerId::new(""), Err(IdError::Empty));
        assert_eq!(MakerId::new("a b"), Err(IdError::BadChar));
        assert_eq!(MakerId::new("a\n"), Err(IdError::BadChar));
        assert_eq!(
            MakerId::new("x".repeat(MAX_ID_LEN + 1)),
            Err(IdError::TooLong(MAX_ID_LEN + 1))
        );
        assert_eq!(MakerId::new("コマツ").unwrap().as_str(), "コマツ");
    }
}
