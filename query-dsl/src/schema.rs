//! The schema layer: labels, relationship types and properties declared once, as types.
//!
//! A graph model declared with [`label!`](crate::label) and
//! [`relationship!`](crate::relationship) turns mistakes into compile errors: a typed
//! pattern can only follow a relationship type from its declared start label to its
//! declared end label, and a property can only be read from the label (or relationship
//! type) that declares it, with the value type it declares.
//!
//! ```
//! use query_dsl::{label, relationship};
//! use query_dsl::types::{Int, Str};
//!
//! label! {
//!     /// A person.
//!     pub Person = "Person" {
//!         /// Unique name.
//!         pub const NAME: Str = "name";
//!         pub const AGE: Int = "age";
//!     }
//! }
//! relationship! {
//!     /// Friendship, stored in one direction.
//!     pub Knows = "KNOWS" (Person -> Person) {
//!         pub const SINCE: Int = "since";
//!     }
//! }
//! assert_eq!(Person::AGE.key(), "age");
//! ```

use std::fmt;
use std::marker::PhantomData;

/// A node label known at compile time.
pub trait Label: 'static {
    /// The label as stored in the graph (escaped when rendered).
    const NAME: &'static str;
}

/// A relationship type known at compile time, with the labels it connects.
///
/// Cypher itself does not constrain endpoints; declaring them lets the builder refuse a
/// pattern such as `(:Maker)-[:IS_OF_MODEL]->(:Model)` before it ever reaches a database.
pub trait RelType: 'static {
    /// The relationship type as stored in the graph (escaped when rendered).
    const NAME: &'static str;
    /// The label at the tail of the arrow.
    type Start: Label;
    /// The label at the head of the arrow.
    type End: Label;
}

/// A property key owned by the label or relationship type `O`, whose values have the
/// Cypher type `T` (one of the markers in [`crate::types`]).
pub struct Prop<O, T> {
    key: &'static str,
    marker: PhantomData<fn() -> (O, T)>,
}

impl<O, T> Prop<O, T> {
    /// Declares a property; usually called by [`label!`](crate::label).
    pub const fn new(key: &'static str) -> Self {
        Prop {
            key,
            marker: PhantomData,
        }
    }

    /// The property key as stored in the graph.
    pub const fn key(&self) -> &'static str {
        self.key
    }
}

impl<O, T> Clone for Prop<O, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O, T> Copy for Prop<O, T> {}

impl<O, T> fmt::Debug for Prop<O, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prop({})", self.key)
    }
}

/// Declares a node label as a unit struct, with its typed properties as associated
/// constants. See the [module docs](crate::schema) for an example.
#[macro_export]
macro_rules! label {
    (
        $(#[$meta:meta])*
        $vis:vis $ty:ident = $name:literal {
            $( $(#[$pmeta:meta])* $pvis:vis const $pconst:ident : $pty:ty = $pkey:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        $vis struct $ty;

        impl $crate::schema::Label for $ty {
            const NAME: &'static str = $name;
        }

        impl $ty {
            $(
                $(#[$pmeta])*
                $pvis const $pconst: $crate::schema::Prop<$ty, $pty> = $crate::schema::Prop::new($pkey);
            )*
        }
    };
}

/// Declares a relationship type as a unit struct connecting two labels, with its typed
/// properties as associated constants. See the [module docs](crate::schema).
#[macro_export]
macro_rules! relationship {
    (
        $(#[$meta:meta])*
        $vis:vis $ty:ident = $name:literal ($start:ident -> $end:ident) {
            $( $(#[$pmeta:meta])* $pvis:vis const $pconst:ident : $pty:ty = $pkey:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        $vis struct $ty;

        impl $crate::schema::RelType for $ty {
            const NAME: &'static str = $name;
            type Start = $start;
            type End = $end;
        }

        impl $ty {
            $(
                $(#[$pmeta])*
                $pvis const $pconst: $crate::schema::Prop<$ty, $pty> = $crate::schema::Prop::new($pkey);
            )*
        }
    };
}
