//! Type markers for Cypher values: `Expr<Int>` is an expression Cypher evaluates to an
//! integer. They are never instantiated; they exist so that the compiler can refuse
//! `WHERE m.year > $name` when `year` is an integer and `$name` a string.

use std::marker::PhantomData;

/// A Cypher value type. Implemented by the markers below only.
pub trait CypherType: 'static {}

/// `BOOLEAN`: the only type `WHERE` accepts.
pub enum Bool {}
/// `INTEGER` (64-bit).
pub enum Int {}
/// `FLOAT` (64-bit).
pub enum Float {}
/// `STRING`.
pub enum Str {}
/// `MAP`.
pub enum Map {}
/// `NODE`.
pub enum Node {}
/// `RELATIONSHIP`.
pub enum Relationship {}
/// `PATH`.
pub enum Path {}
/// Unknown or mixed type: what untyped (ad-hoc) queries use. An `Expr<Any>` compares
/// with anything, and any expression can be used where `Any` is expected.
pub enum Any {}
/// `LIST<T>`.
pub struct List<T>(PhantomData<fn() -> T>);

impl CypherType for Bool {}
impl CypherType for Int {}
impl CypherType for Float {}
impl CypherType for Str {}
impl CypherType for Map {}
impl CypherType for Node {}
impl CypherType for Relationship {}
impl CypherType for Path {}
impl CypherType for Any {}
impl<T: CypherType> CypherType for List<T> {}

/// Types with a total order in Cypher, so `<`, `<=`, `>`, `>=`, `min` and `max` make sense.
pub trait Ordered: CypherType {}
impl Ordered for Int {}
impl Ordered for Float {}
impl Ordered for Str {}
impl Ordered for Bool {}
impl Ordered for Any {}

/// Numeric types: arithmetic, `sum` and `avg`.
pub trait Numeric: CypherType {}
impl Numeric for Int {}
impl Numeric for Float {}
impl Numeric for Any {}
