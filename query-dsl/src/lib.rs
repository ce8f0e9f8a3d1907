//! A typed Cypher builder: statements that are checked by the compiler, rendered by one
//! renderer, and never carry a value in their text.
//!
//! Hand-written Cypher strings break in three ways: a typo in a label or relationship
//! type matches nothing and says nothing; a value pasted into the text opens the door
//! to injection and defeats the query plan cache; and a statement assembled from pieces
//! at run time (a buyer's spec filters) ends up syntactically broken in some branch.
//! This crate closes all three:
//!
//! * **Schema types.** Labels, relationship types (with their start and end labels) and
//!   properties (with their value types) are declared once with [`label!`] and
//!   [`relationship!`]. A typed pattern cannot follow `IS_OF_MODEL` from a `Maker`, a
//!   property of `Model` cannot be read from a `Machine` variable, and comparing an
//!   integer property with a string does not compile. Untyped use ([`any_node`],
//!   [`any_rel`], `Expr<Any>`) stays available for ad-hoc queries.
//! * **Typed expressions.** [`Expr<T>`] knows its Cypher type: `WHERE` only takes an
//!   `Expr<Bool>`, `STARTS WITH` only strings, `sum` only numbers.
//! * **Parameters only.** Every Rust value becomes a `$parameter`; parameter names are
//!   assigned when the statement is rendered, so fragments built separately never
//!   collide. Labels, types, keys and variables are escaped ([`escape_name`]).
//! * **Complete statements only.** The builder's state is a type: `build()` exists
//!   after `RETURN` or an updating clause, `WHERE` only after `MATCH` or `WITH`.
//!   What only shows at run time (an empty name, a `UNION` of different columns) is a
//!   [`BuildError`] from `build()`, never broken text.
//!
//! With the `neo4rs` feature, a [`Statement`] converts into a `neo4rs::Query`.
//!
//! # Users with more than ten friends
//!
//! ```
//! use query_dsl::{label, relationship, match_, node, path, rel, functions::count};
//! use query_dsl::types::{Int, Str};
//!
//! label! { pub User = "User" {
//!     pub const NAME: Str = "name";
//!     pub const AGE: Int = "age";
//! } }
//! relationship! { pub Friend = "FRIEND" (User -> User) {} }
//!
//! let u = node::<User>("u");
//! let f = node::<User>("f");
//! let friends = count(f.expr()).alias("friends");
//! let stmt = match_(path(&u).out(rel::<Friend>(), &f))
//!     .where_(u.prop(User::AGE).ge(18))
//!     .with((&u, friends.clone()))
//!     .where_(friends.var().gt(10))
//!     .return_((u.prop(User::NAME), friends.var()))
//!     .order_by(friends.var().desc())
//!     .limit(20)
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     stmt.cypher(),
//!     "MATCH (u:User)-[:FRIEND]->(f:User) WHERE u.age >= $p0 \
//!      WITH u, count(f) AS friends WHERE friends > $p1 \
//!      RETURN u.name, friends ORDER BY friends DESC LIMIT $p2"
//! );
//! assert_eq!(stmt.params().len(), 3);
//! ```
//!
//! # A spec filter built from a buyer's ranges at run time
//!
//! ```
//! use query_dsl::{label, relationship, match_, node, path, rel, anon, exists, Expr};
//! use query_dsl::types::{Float, Str};
//!
//! label! { pub Model = "Model" { pub const ID: Str = "id"; } }
//! label! { pub Spec = "Spec" { pub const NUMBER: Float = "number"; } }
//! label! { pub SpecCategory = "SpecCategory" { pub const ID: Str = "id"; } }
//! relationship! { pub HasSpec = "HAS_SPEC" (Model -> Spec) {} }
//! relationship! { pub InCategory = "BELONGS_TO_SPEC_CATEGORY" (Spec -> SpecCategory) {} }
//!
//! // (spec category, min, max) as they come from the request; either end may be open.
//! let ranges = [("operating_weight", Some(10.0), Some(25.0)), ("engine_power", None, Some(120.0))];
//!
//! let m = node::<Model>("m");
//! let conditions = ranges.iter().map(|(category, min, max)| {
//!     let s = node::<Spec>("s");
//!     let value = s.prop(Spec::NUMBER);
//!     let bounds = [min.map(|v| value.clone().ge(v)), max.map(|v| value.clone().le(v))];
//!     let sc = anon::<SpecCategory>().with(SpecCategory::ID, *category);
//!     exists(
//!         path(&m.bare()).out(rel::<HasSpec>(), &s).out(rel::<InCategory>(), &sc),
//!         Some(Expr::all(bounds.into_iter().flatten())),
//!     )
//! });
//! let stmt = match_(&m)
//!     .where_(Expr::all(conditions))
//!     .return_(m.prop(Model::ID))
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     stmt.cypher(),
//!     "MATCH (m:Model) WHERE \
//!      EXISTS { MATCH (m)-[:HAS_SPEC]->(s:Spec)-[:BELONGS_TO_SPEC_CATEGORY]->(:SpecCategory {id: $p0}) \
//!      WHERE s.number >= $p1 AND s.number <= $p2 } AND \
//!      EXISTS { MATCH (m)-[:HAS_SPEC]->(s:Spec)-[:BELONGS_TO_SPEC_CATEGORY]->(:SpecCategory {id: $p3}) \
//!      WHERE s.number <= $p4 } \
//!      RETURN m.id"
//! );
//! ```

#![warn(missing_docs)]

mod ast;
mod error;
pub mod expr;
pub mod functions;
mod name;
#[cfg(feature = "neo4rs")]
mod neo4rs_support;
pub mod pattern;
pub mod query;
mod render;
pub mod schema;
mod statement;
pub mod types;
mod value;

pub use error::BuildError;
pub use expr::{
    case_of, case_when, count_matches, count_query, exists, exists_query, list, list_comprehension,
    list_filter, map, null, param, param_named, pattern_predicate, var, Aliased, Case, Expr,
    IntoExpr, MapProjection, SortItem,
};
pub use name::escape_name;
pub use pattern::{anon, any_anon, any_node, any_rel, node, path, rel, NodeVar, Path, RelVar};
pub use query::{match_, optional_match, Item, Procedure, Query, Updates};
pub use statement::Statement;
pub use value::{ParamValue, Value};
