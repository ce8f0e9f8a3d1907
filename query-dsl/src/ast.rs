//! The untyped syntax tree every builder produces and the renderer reads.
//!
//! (Items are `pub` inside this private module so that the sealed builder traits can
//! name them; nothing here is reachable from outside the crate.)
//!
//! Builders wrap these nodes in typed handles (`Expr<T>`, `Query<S>`); once built, a
//! tree is never changed, so fragments can be shared and combined freely.

use crate::value::Value;
use std::sync::Arc;

/// A parameter: its value and an optional name hint. Identity (the `Arc`) decides
/// whether two uses are the same parameter: a cloned expression reuses its `$name`.
#[derive(Debug)]
pub struct ParamData {
    pub value: Value,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    Xor,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    StartsWith,
    EndsWith,
    Contains,
    Regex,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

#[derive(Debug, Clone)]
pub enum Ex {
    Param(Arc<ParamData>),
    Null,
    Var(String),
    Prop(Box<Ex>, String),
    Index(Box<Ex>, Box<Ex>),
    Binary(BinOp, Box<Ex>, Box<Ex>),
    Not(Box<Ex>),
    Neg(Box<Ex>),
    IsNull(Box<Ex>, bool),
    Call {
        name: String,
        distinct: bool,
        args: Vec<Ex>,
    },
    CountStar,
    List(Vec<Ex>),
    Map(Vec<(String, Ex)>),
    Case {
        subject: Option<Box<Ex>>,
        whens: Vec<(Ex, Ex)>,
        otherwise: Option<Box<Ex>>,
    },
    Comprehension {
        var: String,
        list: Box<Ex>,
        filter: Option<Box<Ex>>,
        map: Option<Box<Ex>>,
    },
    PatternPredicate(PatternPart),
    Exists(Box<Subquery>),
    CountSubquery(Box<Subquery>),
    MapProjection {
        var: String,
        items: Vec<MapItem>,
    },
}

#[derive(Debug, Clone)]
pub enum MapItem {
    Prop(String),
    AllProps,
    Entry(String, Ex),
}

#[derive(Debug, Clone)]
pub enum Subquery {
    Pattern {
        patterns: Vec<PatternPart>,
        filter: Option<Ex>,
    },
    Query(StatementAst),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Out,
    In,
    Both,
}

#[derive(Debug, Clone, Default)]
pub struct NodePat {
    pub var: Option<String>,
    pub labels: Vec<String>,
    pub props: Vec<(String, Ex)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hops {
    Any,
    Range(Option<u32>, Option<u32>),
}

#[derive(Debug, Clone, Default)]
pub struct RelPat {
    pub var: Option<String>,
    pub types: Vec<String>,
    pub hops: Option<Hops>,
    pub props: Vec<(String, Ex)>,
}

#[derive(Debug, Clone)]
pub struct PatternPart {
    pub name: Option<String>,
    pub start: NodePat,
    pub steps: Vec<(Direction, RelPat, NodePat)>,
}

#[derive(Debug, Clone)]
pub struct ProjItem {
    pub ex: Ex,
    pub alias: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SortItem {
    pub ex: Ex,
    pub descending: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Projection {
    pub distinct: bool,
    pub star: bool,
    pub items: Vec<ProjItem>,
    pub order: Vec<SortItem>,
    pub skip: Option<Ex>,
    pub limit: Option<Ex>,
}

#[derive(Debug, Clone)]
pub enum SetItem {
    Prop { target: Ex, value: Ex },
    Replace { var: String, map: Ex },
    Merge { var: String, map: Ex },
    Labels { var: String, labels: Vec<String> },
}

#[derive(Debug, Clone)]
pub enum RemoveItem {
    Prop(Ex),
    Labels { var: String, labels: Vec<String> },
}

#[derive(Debug, Clone)]
pub enum Clause {
    Match {
        optional: bool,
        patterns: Vec<PatternPart>,
        filter: Option<Ex>,
    },
    Unwind {
        list: Ex,
        var: String,
    },
    With {
        projection: Projection,
        filter: Option<Ex>,
    },
    Return(Projection),
    Create(Vec<PatternPart>),
    Merge {
        pattern: PatternPart,
        on_create: Vec<SetItem>,
        on_match: Vec<SetItem>,
    },
    Set(Vec<SetItem>),
    Remove(Vec<RemoveItem>),
    Delete {
        detach: bool,
        items: Vec<Ex>,
    },
    CallSubquery {
        scope: Option<Vec<String>>,
        body: Box<StatementAst>,
    },
    CallProcedure {
        name: String,
        args: Vec<Ex>,
        yields: Vec<(String, Option<String>)>,
    },
    Foreach {
        var: String,
        list: Ex,
        body: Vec<Clause>,
    },
    UniqueConstraint {
        name: String,
        label: String,
        key: String,
    },
}

/// A single query (clauses) or several joined by `UNION [ALL]`.
#[derive(Debug, Clone)]
pub struct StatementAst {
    pub first: Vec<Clause>,
    /// Further parts: `true` for `UNION ALL`.
    pub unions: Vec<(bool, Vec<Clause>)>,
}
