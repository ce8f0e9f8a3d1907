//! Typed expressions.
//!
//! `Expr<T>` is an expression whose Cypher type is `T` (a marker from [`crate::types`]).
//! Operators only exist where Cypher gives them a meaning for `T`, and their operands
//! must convert to the matching type ([`IntoExpr`]): Rust values become `$parameters`,
//! never literals in the text.

use crate::ast::{BinOp, Ex, MapItem, ParamData, Subquery};
use crate::pattern::Pattern;
use crate::statement::Statement;
use crate::types::{
    Any, Bool, CypherType, Float, Int, List, Map, Node, Numeric, Ordered, Path, Relationship, Str,
};
use crate::value::{ParamValue, Value};
use std::marker::PhantomData;
use std::sync::Arc;

/// An expression of Cypher type `T`.
pub struct Expr<T> {
    pub(crate) ex: Ex,
    marker: PhantomData<fn() -> T>,
}

impl<T> Clone for Expr<T> {
    fn clone(&self) -> Self {
        Expr::from_ast(self.ex.clone())
    }
}

impl<T> std::fmt::Debug for Expr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.ex.fmt(f)
    }
}

impl<T> Expr<T> {
    pub(crate) fn from_ast(ex: Ex) -> Self {
        Expr {
            ex,
            marker: PhantomData,
        }
    }

    fn binary<U>(self, op: BinOp, rhs: Ex) -> Expr<U> {
        Expr::from_ast(Ex::Binary(op, Box::new(self.ex), Box::new(rhs)))
    }
}

/// Anything usable where an `Expr<T>` is expected: expressions of type `T` (or of the
/// untyped [`Any`]) and Rust values, which become parameters.
pub trait IntoExpr<T> {
    /// Converts into an expression.
    fn into_expr(self) -> Expr<T>;
}

impl<T: CypherType> IntoExpr<T> for Expr<T> {
    fn into_expr(self) -> Expr<T> {
        self
    }
}

impl<T: CypherType> IntoExpr<T> for &Expr<T> {
    fn into_expr(self) -> Expr<T> {
        self.clone()
    }
}

/// `Any` converts to and from every concrete type: untyped queries stay possible.
macro_rules! any_converts {
    ($($ty:ty),*) => {$(
        impl IntoExpr<Any> for Expr<$ty> {
            fn into_expr(self) -> Expr<Any> { Expr::from_ast(self.ex) }
        }
        impl IntoExpr<Any> for &Expr<$ty> {
            fn into_expr(self) -> Expr<Any> { Expr::from_ast(self.ex.clone()) }
        }
        impl IntoExpr<$ty> for Expr<Any> {
            fn into_expr(self) -> Expr<$ty> { Expr::from_ast(self.ex) }
        }
        impl IntoExpr<$ty> for &Expr<Any> {
            fn into_expr(self) -> Expr<$ty> { Expr::from_ast(self.ex.clone()) }
        }
    )*};
}
any_converts!(Bool, Int, Float, Str, Map, Node, Relationship, Path);

impl<T: CypherType> IntoExpr<Any> for Expr<List<T>> {
    fn into_expr(self) -> Expr<Any> {
        Expr::from_ast(self.ex)
    }
}

impl<T: CypherType> IntoExpr<List<T>> for Expr<Any> {
    fn into_expr(self) -> Expr<List<T>> {
        Expr::from_ast(self.ex)
    }
}

/// Integers compare and compute with floats, as in Cypher.
impl IntoExpr<Float> for Expr<Int> {
    fn into_expr(self) -> Expr<Float> {
        Expr::from_ast(self.ex)
    }
}

/// Rust values become parameters of their Cypher type (and of `Any`).
macro_rules! values_convert {
    ($($ty:ty),*) => {$(
        impl IntoExpr<<$ty as ParamValue>::Type> for $ty {
            fn into_expr(self) -> Expr<<$ty as ParamValue>::Type> { param(self) }
        }
        impl IntoExpr<Any> for $ty {
            fn into_expr(self) -> Expr<Any> { param(self).any() }
        }
    )*};
}
values_convert!(bool, i64, i32, i16, u32, u16, u8, f64, f32, String);

impl IntoExpr<Str> for &str {
    fn into_expr(self) -> Expr<Str> {
        param(self)
    }
}

impl IntoExpr<Any> for &str {
    fn into_expr(self) -> Expr<Any> {
        param(self).any()
    }
}

impl IntoExpr<Str> for &String {
    fn into_expr(self) -> Expr<Str> {
        param(self)
    }
}

/// Integer values are accepted where floats are expected (sent as floats).
macro_rules! ints_as_floats {
    ($($ty:ty),*) => {$(
        impl IntoExpr<Float> for $ty {
            fn into_expr(self) -> Expr<Float> { param(f64::from(self)) }
        }
    )*};
}
ints_as_floats!(i32, i16, u32, u16, u8);

impl IntoExpr<Any> for Value {
    fn into_expr(self) -> Expr<Any> {
        param(self)
    }
}

impl<V: ParamValue> IntoExpr<List<V::Type>> for Vec<V> {
    fn into_expr(self) -> Expr<List<V::Type>> {
        param(self)
    }
}

impl<V: ParamValue> IntoExpr<Any> for Vec<V> {
    fn into_expr(self) -> Expr<Any> {
        param(self).any()
    }
}

/// A parameter holding `value`, named `$p0`, `$p1`… when rendered.
///
/// Clones of the returned expression are the same parameter: used twice, it is sent
/// once. Two calls with equal values are two parameters.
pub fn param<V: ParamValue>(value: V) -> Expr<V::Type> {
    Expr::from_ast(Ex::Param(Arc::new(ParamData {
        value: value.into_value(),
        hint: None,
    })))
}

/// A parameter with a preferred name: rendered `$name` unless another parameter of the
/// statement took that name first, then `$name_1`, `$name_2`… Characters that cannot be
/// part of a parameter name are replaced by `_`.
pub fn param_named<V: ParamValue>(name: &str, value: V) -> Expr<V::Type> {
    Expr::from_ast(Ex::Param(Arc::new(ParamData {
        value: value.into_value(),
        hint: Some(name.to_owned()),
    })))
}

/// The `null` literal, of any type.
pub fn null<T>() -> Expr<T> {
    Expr::from_ast(Ex::Null)
}

/// A variable bound earlier (by `UNWIND … AS x`, `WITH … AS x`, a procedure's `YIELD`),
/// typed by the caller.
pub fn var<T: CypherType>(name: &str) -> Expr<T> {
    Expr::from_ast(Ex::Var(name.to_owned()))
}

impl<T: CypherType> Expr<T> {
    /// `self = other`.
    pub fn eq(self, other: impl IntoExpr<T>) -> Expr<Bool> {
        self.binary(BinOp::Eq, other.into_expr().ex)
    }

    /// `self <> other`.
    pub fn ne(self, other: impl IntoExpr<T>) -> Expr<Bool> {
        self.binary(BinOp::Ne, other.into_expr().ex)
    }

    /// `self IS NULL`.
    pub fn is_null(self) -> Expr<Bool> {
        Expr::from_ast(Ex::IsNull(Box::new(self.ex), false))
    }

    /// `self IS NOT NULL`.
    pub fn is_not_null(self) -> Expr<Bool> {
        Expr::from_ast(Ex::IsNull(Box::new(self.ex), true))
    }

    /// `self IN list`.
    pub fn in_list(self, list: impl IntoExpr<List<T>>) -> Expr<Bool> {
        self.binary(BinOp::In, list.into_expr().ex)
    }

    /// Forgets the type, for untyped use.
    pub fn any(self) -> Expr<Any> {
        Expr::from_ast(self.ex)
    }

    /// `self AS name` in `WITH` and `RETURN`; [`Aliased::var`] reads it afterwards.
    pub fn alias(self, name: &str) -> Aliased<T> {
        Aliased {
            ex: self.ex,
            name: name.to_owned(),
            marker: PhantomData,
        }
    }

    /// Sort ascending by this expression.
    pub fn asc(self) -> SortItem {
        SortItem(crate::ast::SortItem {
            ex: self.ex,
            descending: false,
        })
    }

    /// Sort descending by this expression.
    pub fn desc(self) -> SortItem {
        SortItem(crate::ast::SortItem {
            ex: self.ex,
            descending: true,
        })
    }
}

impl<T: Ordered> Expr<T> {
    /// `self < other`.
    pub fn lt(self, other: impl IntoExpr<T>) -> Expr<Bool> {
        self.binary(BinOp::Lt, other.into_expr().ex)
    }

    /// `self <= other`.
    pub fn le(self, other: impl IntoExpr<T>) -> Expr<Bool> {
        self.binary(BinOp::Le, other.into_expr().ex)
    }

    /// `self > other`.
    pub fn gt(self, other: impl IntoExpr<T>) -> Expr<Bool> {
        self.binary(BinOp::Gt, other.into_expr().ex)
    }

    /// `self >= other`.
    pub fn ge(self, other: impl IntoExpr<T>) -> Expr<Bool> {
        self.binary(BinOp::Ge, other.into_expr().ex)
    }
}

/// Types on which Cypher's string operators work.
pub trait Textual: CypherType {}
impl Textual for Str {}
impl Textual for Any {}

impl<T: Textual> Expr<T> {
    /// `self STARTS WITH prefix`.
    pub fn starts_with(self, prefix: impl IntoExpr<Str>) -> Expr<Bool> {
        self.binary(BinOp::StartsWith, prefix.into_expr().ex)
    }

    /// `self ENDS WITH suffix`.
    pub fn ends_with(self, suffix: impl IntoExpr<Str>) -> Expr<Bool> {
        self.binary(BinOp::EndsWith, suffix.into_expr().ex)
    }

    /// `self CONTAINS part`.
    pub fn contains(self, part: impl IntoExpr<Str>) -> Expr<Bool> {
        self.binary(BinOp::Contains, part.into_expr().ex)
    }

    /// `self =~ regex` (the regex is a parameter, like any value).
    pub fn matches(self, regex: impl IntoExpr<Str>) -> Expr<Bool> {
        self.binary(BinOp::Regex, regex.into_expr().ex)
    }

    /// `self + other`: string concatenation.
    pub fn concat(self, other: impl IntoExpr<Str>) -> Expr<Str> {
        self.binary(BinOp::Add, other.into_expr().ex)
    }
}

impl Expr<Bool> {
    /// `self AND other`.
    pub fn and(self, other: impl IntoExpr<Bool>) -> Expr<Bool> {
        self.binary(BinOp::And, other.into_expr().ex)
    }

    /// `self OR other`.
    pub fn or(self, other: impl IntoExpr<Bool>) -> Expr<Bool> {
        self.binary(BinOp::Or, other.into_expr().ex)
    }

    /// `self XOR other`.
    pub fn xor(self, other: impl IntoExpr<Bool>) -> Expr<Bool> {
        self.binary(BinOp::Xor, other.into_expr().ex)
    }

    /// All of `conditions` (`true` when empty), without nesting parentheses.
    pub fn all(conditions: impl IntoIterator<Item = Expr<Bool>>) -> Expr<Bool> {
        conditions
            .into_iter()
            .reduce(Expr::and)
            .unwrap_or_else(|| param(true))
    }
}

impl std::ops::Not for Expr<Bool> {
    type Output = Expr<Bool>;
    fn not(self) -> Expr<Bool> {
        Expr::from_ast(Ex::Not(Box::new(self.ex)))
    }
}

impl<R: IntoExpr<Bool>> std::ops::BitAnd<R> for Expr<Bool> {
    type Output = Expr<Bool>;
    fn bitand(self, rhs: R) -> Expr<Bool> {
        self.and(rhs)
    }
}

impl<R: IntoExpr<Bool>> std::ops::BitOr<R> for Expr<Bool> {
    type Output = Expr<Bool>;
    fn bitor(self, rhs: R) -> Expr<Bool> {
        self.or(rhs)
    }
}

macro_rules! arithmetic {
    ($($tr:ident $method:ident $op:ident),*) => {$(
        impl<T: Numeric, R: IntoExpr<T>> std::ops::$tr<R> for Expr<T> {
            type Output = Expr<T>;
            fn $method(self, rhs: R) -> Expr<T> {
                self.binary(BinOp::$op, rhs.into_expr().ex)
            }
        }
    )*};
}
arithmetic!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div, Rem rem Mod);

impl<T: Numeric> std::ops::Neg for Expr<T> {
    type Output = Expr<T>;
    fn neg(self) -> Expr<T> {
        Expr::from_ast(Ex::Neg(Box::new(self.ex)))
    }
}

impl<T: Numeric> Expr<T> {
    /// `self ^ exponent` (always a float in Cypher).
    pub fn pow(self, exponent: impl IntoExpr<T>) -> Expr<Float> {
        self.binary(BinOp::Pow, exponent.into_expr().ex)
    }
}

impl<T: CypherType> Expr<List<T>> {
    /// `self[i]`.
    pub fn at(self, i: impl IntoExpr<Int>) -> Expr<T> {
        Expr::from_ast(Ex::Index(Box::new(self.ex), Box::new(i.into_expr().ex)))
    }
}

/// Types whose values have properties reachable with `.key` without a schema.
pub trait HasProperties: CypherType {}
impl HasProperties for Node {}
impl HasProperties for Relationship {}
impl HasProperties for Map {}
impl HasProperties for Any {}

impl<T: HasProperties> Expr<T> {
    /// `self.key`, untyped; typed nodes offer `NodeVar::prop` instead.
    pub fn key(self, key: &str) -> Expr<Any> {
        Expr::from_ast(Ex::Prop(Box::new(self.ex), key.to_owned()))
    }
}

/// An expression with an alias, for `WITH` and `RETURN`.
pub struct Aliased<T> {
    pub(crate) ex: Ex,
    pub(crate) name: String,
    marker: PhantomData<fn() -> T>,
}

impl<T> Clone for Aliased<T> {
    fn clone(&self) -> Self {
        Aliased {
            ex: self.ex.clone(),
            name: self.name.clone(),
            marker: PhantomData,
        }
    }
}

impl<T: CypherType> Aliased<T> {
    /// The alias as a variable, for the clauses after the one that binds it.
    pub fn var(&self) -> Expr<T> {
        var(&self.name)
    }
}

/// One `ORDER BY` item.
#[derive(Debug, Clone)]
pub struct SortItem(pub(crate) crate::ast::SortItem);

impl<T: CypherType> From<Expr<T>> for SortItem {
    fn from(e: Expr<T>) -> SortItem {
        e.asc()
    }
}

/// A `CASE` expression being built; finish it with [`Case::otherwise`] or [`Case::end`].
pub struct Case<T> {
    subject: Option<Ex>,
    whens: Vec<(Ex, Ex)>,
    marker: PhantomData<fn() -> T>,
}

/// `CASE WHEN condition THEN value …`: the generic form.
pub fn case_when<T: CypherType>(condition: Expr<Bool>, then: impl IntoExpr<T>) -> Case<T> {
    Case {
        subject: None,
        whens: vec![(condition.ex, then.into_expr().ex)],
        marker: PhantomData,
    }
}

/// `CASE subject WHEN value THEN result …`: the simple form, comparing one subject.
pub fn case_of<S: CypherType, T: CypherType>(
    subject: Expr<S>,
    value: impl IntoExpr<S>,
    then: impl IntoExpr<T>,
) -> Case<T> {
    Case {
        subject: Some(subject.ex),
        whens: vec![(value.into_expr().ex, then.into_expr().ex)],
        marker: PhantomData,
    }
}

impl<T: CypherType> Case<T> {
    /// Another `WHEN … THEN …` branch. In the simple form, `when` is compared with the
    /// subject; in the generic form it is a condition.
    pub fn when(mut self, when: impl IntoExpr<Any>, then: impl IntoExpr<T>) -> Case<T> {
        self.whens.push((when.into_expr().ex, then.into_expr().ex));
        self
    }

    /// `ELSE value END`.
    pub fn otherwise(self, value: impl IntoExpr<T>) -> Expr<T> {
        self.finish(Some(value.into_expr().ex))
    }

    /// `END`: `null` when no branch matches.
    pub fn end(self) -> Expr<T> {
        self.finish(None)
    }

    fn finish(self, otherwise: Option<Ex>) -> Expr<T> {
        Expr::from_ast(Ex::Case {
            subject: self.subject.map(Box::new),
            whens: self.whens,
            otherwise: otherwise.map(Box::new),
        })
    }
}

/// `[x IN list WHERE filter | map]`: `var` names the element, `filter` and `map` get
/// it as a typed expression.
pub fn list_comprehension<T: CypherType, U: CypherType>(
    var_name: &str,
    list: impl IntoExpr<List<T>>,
    filter: Option<&dyn Fn(Expr<T>) -> Expr<Bool>>,
    map: impl FnOnce(Expr<T>) -> Expr<U>,
) -> Expr<List<U>> {
    let x = var::<T>(var_name);
    Expr::from_ast(Ex::Comprehension {
        var: var_name.to_owned(),
        list: Box::new(list.into_expr().ex),
        filter: filter.map(|f| Box::new(f(x.clone()).ex)),
        map: Some(Box::new(map(x).ex)),
    })
}

/// `[x IN list WHERE filter]`: the elements of `list` that pass `filter`.
pub fn list_filter<T: CypherType>(
    var_name: &str,
    list: impl IntoExpr<List<T>>,
    filter: impl FnOnce(Expr<T>) -> Expr<Bool>,
) -> Expr<List<T>> {
    let x = var::<T>(var_name);
    Expr::from_ast(Ex::Comprehension {
        var: var_name.to_owned(),
        list: Box::new(list.into_expr().ex),
        filter: Some(Box::new(filter(x).ex)),
        map: None,
    })
}

/// A list literal `[a, b, c]` of expressions (values inside are parameters).
pub fn list<T: CypherType>(items: impl IntoIterator<Item = Expr<T>>) -> Expr<List<T>> {
    Expr::from_ast(Ex::List(items.into_iter().map(|e| e.ex).collect()))
}

/// A map literal `{key: value, …}` of expressions; keys are escaped.
pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Expr<Any>)>) -> Expr<Map> {
    Expr::from_ast(Ex::Map(
        entries.into_iter().map(|(k, v)| (k.into(), v.ex)).collect(),
    ))
}

/// A map projection `var {.key, .*, alias: expr}`, built from a node or map variable.
#[derive(Clone)]
pub struct MapProjection {
    var: String,
    items: Vec<MapItem>,
}

impl MapProjection {
    /// Starts a projection of the variable `var`.
    pub fn of(var: &str) -> MapProjection {
        MapProjection {
            var: var.to_owned(),
            items: Vec::new(),
        }
    }

    /// `.key`.
    pub fn key(mut self, key: &str) -> Self {
        self.items.push(MapItem::Prop(key.to_owned()));
        self
    }

    /// `.*`: all properties.
    pub fn all(mut self) -> Self {
        self.items.push(MapItem::AllProps);
        self
    }

    /// `name: expr`.
    pub fn entry<T>(mut self, name: &str, value: Expr<T>) -> Self {
        self.items.push(MapItem::Entry(name.to_owned(), value.ex));
        self
    }

    /// The projection as a map expression.
    pub fn build(self) -> Expr<Map> {
        Expr::from_ast(Ex::MapProjection {
            var: self.var,
            items: self.items,
        })
    }
}

/// A pattern used as a predicate: true when it matches at least once.
pub fn pattern_predicate(pattern: impl Pattern) -> Expr<Bool> {
    Expr::from_ast(Ex::PatternPredicate(pattern.into_part()))
}

/// `EXISTS { MATCH pattern [WHERE filter] }`.
pub fn exists(pattern: impl Pattern, filter: Option<Expr<Bool>>) -> Expr<Bool> {
    Expr::from_ast(Ex::Exists(Box::new(Subquery::Pattern {
        patterns: vec![pattern.into_part()],
        filter: filter.map(|f| f.ex),
    })))
}

/// `EXISTS { query }` with a whole statement inside.
pub fn exists_query(query: Statement) -> Expr<Bool> {
    Expr::from_ast(Ex::Exists(Box::new(Subquery::Query(query.ast))))
}

/// `COUNT { MATCH pattern [WHERE filter] }`: how many times the pattern matches.
pub fn count_matches(pattern: impl Pattern, filter: Option<Expr<Bool>>) -> Expr<Int> {
    Expr::from_ast(Ex::CountSubquery(Box::new(Subquery::Pattern {
        patterns: vec![pattern.into_part()],
        filter: filter.map(|f| f.ex),
    })))
}

/// `COUNT { query }` with a whole statement inside.
pub fn count_query(query: Statement) -> Expr<Int> {
    Expr::from_ast(Ex::CountSubquery(Box::new(Subquery::Query(query.ast))))
}
