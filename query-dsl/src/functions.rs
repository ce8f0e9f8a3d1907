//! Cypher functions, typed. [`call`] reaches any other function by name.

use crate::ast::Ex;
use crate::expr::{Expr, IntoExpr, Textual};
use crate::types::{Any, CypherType, Float, Int, List, Node, Numeric, Ordered, Relationship, Str};

fn call_fn<T>(name: &str, distinct: bool, args: Vec<Ex>) -> Expr<T> {
    Expr::from_ast(Ex::Call {
        name: name.to_owned(),
        distinct,
        args,
    })
}

/// `count(x)`: non-null values.
pub fn count<T: CypherType>(x: Expr<T>) -> Expr<Int> {
    call_fn("count", false, vec![x.ex])
}

/// `count(DISTINCT x)`.
pub fn count_distinct<T: CypherType>(x: Expr<T>) -> Expr<Int> {
    call_fn("count", true, vec![x.ex])
}

/// `count(*)`: rows.
pub fn count_star() -> Expr<Int> {
    Expr::from_ast(Ex::CountStar)
}

/// `collect(x)`.
pub fn collect<T: CypherType>(x: Expr<T>) -> Expr<List<T>> {
    call_fn("collect", false, vec![x.ex])
}

/// `collect(DISTINCT x)`.
pub fn collect_distinct<T: CypherType>(x: Expr<T>) -> Expr<List<T>> {
    call_fn("collect", true, vec![x.ex])
}

/// `sum(x)`.
pub fn sum<T: Numeric>(x: Expr<T>) -> Expr<T> {
    call_fn("sum", false, vec![x.ex])
}

/// `avg(x)`.
pub fn avg<T: Numeric>(x: Expr<T>) -> Expr<Float> {
    call_fn("avg", false, vec![x.ex])
}

/// `min(x)`.
pub fn min<T: Ordered>(x: Expr<T>) -> Expr<T> {
    call_fn("min", false, vec![x.ex])
}

/// `max(x)`.
pub fn max<T: Ordered>(x: Expr<T>) -> Expr<T> {
    call_fn("max", false, vec![x.ex])
}

/// `coalesce(a, b, …)`: the first non-null.
pub fn coalesce<T: CypherType>(first: Expr<T>, rest: impl IntoIterator<Item = Expr<T>>) -> Expr<T> {
    let mut args = vec![first.ex];
    args.extend(rest.into_iter().map(|e| e.ex));
    call_fn("coalesce", false, args)
}

/// Types `size()` measures: lists and strings.
pub trait HasSize: CypherType {}
impl<T: CypherType> HasSize for List<T> {}
impl HasSize for Str {}
impl HasSize for Any {}

/// `size(x)`: length of a list or string.
pub fn size<T: HasSize>(x: Expr<T>) -> Expr<Int> {
    call_fn("size", false, vec![x.ex])
}

/// `toLower(s)`.
pub fn to_lower<T: Textual>(s: Expr<T>) -> Expr<Str> {
    call_fn("toLower", false, vec![s.ex])
}

/// `toUpper(s)`.
pub fn to_upper<T: Textual>(s: Expr<T>) -> Expr<Str> {
    call_fn("toUpper", false, vec![s.ex])
}

/// `labels(n)`.
pub fn labels(n: Expr<Node>) -> Expr<List<Str>> {
    call_fn("labels", false, vec![n.ex])
}

/// `type(r)`.
pub fn rel_type(r: Expr<Relationship>) -> Expr<Str> {
    call_fn("type", false, vec![r.ex])
}

/// `id(n)`: the legacy numeric id (deprecated in Neo4j 5; prefer [`element_id`]).
pub fn id(n: Expr<Node>) -> Expr<Int> {
    call_fn("id", false, vec![n.ex])
}

/// `elementId(n)`.
pub fn element_id(n: Expr<Node>) -> Expr<Str> {
    call_fn("elementId", false, vec![n.ex])
}

/// `keys(x)`: property keys of a node, relationship or map.
pub fn keys<T: crate::expr::HasProperties>(x: Expr<T>) -> Expr<List<Str>> {
    call_fn("keys", false, vec![x.ex])
}

/// `range(start, end)`: integers from `start` to `end` inclusive.
pub fn range(start: impl IntoExpr<Int>, end: impl IntoExpr<Int>) -> Expr<List<Int>> {
    call_fn(
        "range",
        false,
        vec![start.into_expr().ex, end.into_expr().ex],
    )
}

/// Any other function, by name (dotted names such as `apoc.text.join` are fine; each
/// part is escaped). The result is untyped.
pub fn call(name: &str, args: impl IntoIterator<Item = Expr<Any>>) -> Expr<Any> {
    call_fn(name, false, args.into_iter().map(|e| e.ex).collect())
}
