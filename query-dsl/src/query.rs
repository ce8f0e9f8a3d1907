//! The statement builder.
//!
//! `Query<S>` carries its state `S` as a type, so that only the clauses Cypher allows
//! next can be called, and only statements Cypher accepts can be built: `build()`
//! exists after `RETURN` and after updating clauses, not after a bare `MATCH`; `WHERE`
//! exists right after `MATCH`, `OPTIONAL MATCH` and `WITH`; `ORDER BY`, `SKIP` and
//! `LIMIT` after `WITH` and `RETURN`.

use crate::ast::{Clause, Ex, ProjItem, Projection, StatementAst};
use crate::error::BuildError;
use crate::expr::{Aliased, Expr, IntoExpr, SortItem};
use crate::pattern::{NodeVar, Pattern, Patterns, RemoveOp, SetOp};
use crate::statement::Statement;
use crate::types::{Bool, CypherType, Int, List};
use std::marker::PhantomData;

/// Builder states. Each is a marker type; see the [module docs](self).
pub mod state {
    /// Nothing yet.
    pub enum Start {}
    /// After `MATCH` / `OPTIONAL MATCH`: `WHERE` may follow.
    pub enum Matched {}
    /// After a reading clause that takes no `WHERE` (`UNWIND`, `CALL`, a `WHERE`).
    pub enum Reading {}
    /// After `WITH`: `WHERE`, `ORDER BY`, `SKIP`, `LIMIT` may follow.
    pub enum Projected {}
    /// After an updating clause: the statement may end here.
    pub enum Updated {}
    /// After `MERGE`: `ON CREATE SET` / `ON MATCH SET` may follow; may end here.
    pub enum Merged {}
    /// After `RETURN`: `ORDER BY`, `SKIP`, `LIMIT`, then `build()`.
    pub enum Returned {}

    /// States after which any clause may follow.
    pub trait Open {}
    impl Open for Start {}
    impl Open for Matched {}
    impl Open for Reading {}
    impl Open for Projected {}
    impl Open for Updated {}
    impl Open for Merged {}

    /// States in which a statement is complete.
    pub trait Complete {}
    impl Complete for Updated {}
    impl Complete for Merged {}
    impl Complete for Returned {}

    /// States that take `ORDER BY`, `SKIP` and `LIMIT`.
    pub trait Paged {}
    impl Paged for Projected {}
    impl Paged for Returned {}
}

use state::*;

/// A statement being built; start with [`Query::new`] or [`match_`].
pub struct Query<S> {
    clauses: Vec<Clause>,
    marker: PhantomData<fn() -> S>,
}

impl<S> Clone for Query<S> {
    fn clone(&self) -> Self {
        Query {
            clauses: self.clauses.clone(),
            marker: PhantomData,
        }
    }
}

impl Default for Query<Start> {
    fn default() -> Self {
        Query::new()
    }
}

impl Query<Start> {
    /// An empty statement.
    pub fn new() -> Self {
        Query {
            clauses: Vec::new(),
            marker: PhantomData,
        }
    }
}

/// `MATCH patterns`: shorthand for `Query::new().match_(patterns)`.
pub fn match_(patterns: impl Patterns) -> Query<Matched> {
    Query::new().match_(patterns)
}

/// `OPTIONAL MATCH patterns` as the first clause.
pub fn optional_match(patterns: impl Patterns) -> Query<Matched> {
    Query::new().optional_match(patterns)
}

/// Items of `WITH`, `RETURN`, `DELETE`: a single expression, variable or aliased
/// expression, or a tuple of up to eight, or a `Vec` of [`Item`]s.
pub trait Items {
    #[doc(hidden)]
    fn into_items(self) -> Vec<ProjItem>;
}

/// One projection item of any type, for building item lists at run time.
#[derive(Debug, Clone)]
pub struct Item(ProjItem);

impl<T> From<Expr<T>> for Item {
    fn from(e: Expr<T>) -> Item {
        Item(ProjItem {
            ex: e.ex,
            alias: None,
        })
    }
}

impl<T> From<Aliased<T>> for Item {
    fn from(a: Aliased<T>) -> Item {
        Item(ProjItem {
            ex: a.ex,
            alias: Some(a.name),
        })
    }
}

impl<L> From<&NodeVar<L>> for Item {
    fn from(n: &NodeVar<L>) -> Item {
        n.expr().into()
    }
}

impl<I: Into<Item>> Items for I {
    fn into_items(self) -> Vec<ProjItem> {
        vec![self.into().0]
    }
}

impl Items for Vec<Item> {
    fn into_items(self) -> Vec<ProjItem> {
        self.into_iter().map(|i| i.0).collect()
    }
}

macro_rules! item_tuples {
    ($(($($p:ident),*)),*) => {$(
        impl<$($p: Into<Item>),*> Items for ($($p,)*) {
            #[allow(non_snake_case)]
            fn into_items(self) -> Vec<ProjItem> {
                let ($($p,)*) = self;
                vec![$($p.into().0),*]
            }
        }
    )*};
}
item_tuples!(
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F),
    (A, B, C, D, E, F, G),
    (A, B, C, D, E, F, G, H)
);

/// `ORDER BY` items: one sort item or expression, a tuple of up to four, or a `Vec`.
pub trait SortItems {
    #[doc(hidden)]
    fn into_sort(self) -> Vec<crate::ast::SortItem>;
}

impl<I: Into<SortItem>> SortItems for I {
    fn into_sort(self) -> Vec<crate::ast::SortItem> {
        vec![self.into().0]
    }
}

impl SortItems for Vec<SortItem> {
    fn into_sort(self) -> Vec<crate::ast::SortItem> {
        self.into_iter().map(|s| s.0).collect()
    }
}

macro_rules! sort_tuples {
    ($(($($p:ident),*)),*) => {$(
        impl<$($p: Into<SortItem>),*> SortItems for ($($p,)*) {
            #[allow(non_snake_case)]
            fn into_sort(self) -> Vec<crate::ast::SortItem> {
                let ($($p,)*) = self;
                vec![$($p.into().0),*]
            }
        }
    )*};
}
sort_tuples!((A, B), (A, B, C), (A, B, C, D));

/// `SET` items: one, a tuple of up to four, or a `Vec`.
pub trait SetOps {
    #[doc(hidden)]
    fn into_set(self) -> Vec<crate::ast::SetItem>;
}

impl SetOps for SetOp {
    fn into_set(self) -> Vec<crate::ast::SetItem> {
        vec![self.0]
    }
}

impl SetOps for Vec<SetOp> {
    fn into_set(self) -> Vec<crate::ast::SetItem> {
        self.into_iter().map(|s| s.0).collect()
    }
}

macro_rules! set_tuples {
    ($(($($p:ident),*)),*) => {$(
        impl<$($p: Into<SetOp>),*> SetOps for ($($p,)*) {
            #[allow(non_snake_case)]
            fn into_set(self) -> Vec<crate::ast::SetItem> {
                let ($($p,)*) = self;
                vec![$($p.into().0),*]
            }
        }
    )*};
}
set_tuples!((A, B), (A, B, C), (A, B, C, D));

/// A procedure call: `CALL name(args) YIELD columns`.
#[derive(Debug, Clone)]
pub struct Procedure {
    name: String,
    args: Vec<Ex>,
    yields: Vec<(String, Option<String>)>,
}

impl Procedure {
    /// A call of the procedure `name` (dotted, such as `db.labels`).
    pub fn new(name: &str) -> Procedure {
        Procedure {
            name: name.to_owned(),
            args: Vec::new(),
            yields: Vec::new(),
        }
    }

    /// Adds an argument.
    pub fn arg<T>(mut self, value: impl IntoExpr<T>) -> Self {
        self.args.push(value.into_expr().ex);
        self
    }

    /// `YIELD column`, bound as a variable of type `T` (returned for later clauses).
    pub fn yields<T: CypherType>(&mut self, column: &str) -> Expr<T> {
        self.yields.push((column.to_owned(), None));
        crate::expr::var(column)
    }

    /// `YIELD column AS alias`.
    pub fn yields_as<T: CypherType>(&mut self, column: &str, alias: &str) -> Expr<T> {
        self.yields
            .push((column.to_owned(), Some(alias.to_owned())));
        crate::expr::var(alias)
    }
}

/// The updating clauses a `FOREACH` body may hold.
#[derive(Debug, Clone, Default)]
pub struct Updates {
    clauses: Vec<Clause>,
}

impl Updates {
    /// An empty body.
    pub fn new() -> Updates {
        Updates::default()
    }

    /// `CREATE patterns`.
    pub fn create(mut self, patterns: impl Patterns) -> Self {
        self.clauses.push(Clause::Create(patterns.into_parts()));
        self
    }

    /// `MERGE pattern`.
    pub fn merge(mut self, pattern: impl Pattern) -> Self {
        self.clauses.push(Clause::Merge {
            pattern: pattern.into_part(),
            on_create: Vec::new(),
            on_match: Vec::new(),
        });
        self
    }

    /// `SET items`.
    pub fn set(mut self, items: impl SetOps) -> Self {
        self.clauses.push(Clause::Set(items.into_set()));
        self
    }

    /// `DELETE items`.
    pub fn delete(mut self, items: impl Items) -> Self {
        self.clauses.push(delete(false, items));
        self
    }
}

fn delete(detach: bool, items: impl Items) -> Clause {
    Clause::Delete {
        detach,
        items: items.into_items().into_iter().map(|i| i.ex).collect(),
    }
}

impl<S> Query<S> {
    fn push<N>(mut self, clause: Clause) -> Query<N> {
        self.clauses.push(clause);
        Query {
            clauses: self.clauses,
            marker: PhantomData,
        }
    }

    fn last_projection(&mut self) -> &mut Projection {
        match self.clauses.last_mut() {
            Some(Clause::With { projection, .. }) | Some(Clause::Return(projection)) => projection,
            _ => unreachable!("the Paged state follows WITH or RETURN only"),
        }
    }
}

impl<S: Open> Query<S> {
    /// `MATCH patterns`.
    pub fn match_(self, patterns: impl Patterns) -> Query<Matched> {
        self.push(Clause::Match {
            optional: false,
            patterns: patterns.into_parts(),
            filter: None,
        })
    }

    /// `OPTIONAL MATCH patterns`.
    pub fn optional_match(self, patterns: impl Patterns) -> Query<Matched> {
        self.push(Clause::Match {
            optional: true,
            patterns: patterns.into_parts(),
            filter: None,
        })
    }

    /// `UNWIND list AS var`; returns the element variable too.
    pub fn unwind<T: CypherType>(
        self,
        list: impl IntoExpr<List<T>>,
        var: &str,
    ) -> (Query<Reading>, Expr<T>) {
        let q = self.push(Clause::Unwind {
            list: list.into_expr().ex,
            var: var.to_owned(),
        });
        (q, crate::expr::var(var))
    }

    /// `WITH items`.
    pub fn with(self, items: impl Items) -> Query<Projected> {
        self.push(Clause::With {
            projection: Projection {
                items: items.into_items(),
                ..Projection::default()
            },
            filter: None,
        })
    }

    /// `WITH DISTINCT items`.
    pub fn with_distinct(self, items: impl Items) -> Query<Projected> {
        self.push(Clause::With {
            projection: Projection {
                distinct: true,
                items: items.into_items(),
                ..Projection::default()
            },
            filter: None,
        })
    }

    /// `WITH *, items`: keeps every variable in scope and adds `items` (may be empty).
    pub fn with_all(self, items: Vec<Item>) -> Query<Projected> {
        self.push(Clause::With {
            projection: Projection {
                star: true,
                items: items.into_items(),
                ..Projection::default()
            },
            filter: None,
        })
    }

    /// `RETURN items`.
    pub fn return_(self, items: impl Items) -> Query<Returned> {
        self.push(Clause::Return(Projection {
            items: items.into_items(),
            ..Projection::default()
        }))
    }

    /// `RETURN DISTINCT items`.
    pub fn return_distinct(self, items: impl Items) -> Query<Returned> {
        self.push(Clause::Return(Projection {
            distinct: true,
            items: items.into_items(),
            ..Projection::default()
        }))
    }

    /// `CREATE patterns`.
    pub fn create(self, patterns: impl Patterns) -> Query<Updated> {
        self.push(Clause::Create(patterns.into_parts()))
    }

    /// `MERGE pattern`.
    pub fn merge(self, pattern: impl Pattern) -> Query<Merged> {
        self.push(Clause::Merge {
            pattern: pattern.into_part(),
            on_create: Vec::new(),
            on_match: Vec::new(),
        })
    }

    /// `SET items`.
    pub fn set(self, items: impl SetOps) -> Query<Updated> {
        self.push(Clause::Set(items.into_set()))
    }

    /// `REMOVE items`.
    pub fn remove(self, items: impl IntoIterator<Item = RemoveOp>) -> Query<Updated> {
        self.push(Clause::Remove(items.into_iter().map(|r| r.0).collect()))
    }

    /// `DELETE items`.
    pub fn delete(self, items: impl Items) -> Query<Updated> {
        self.push(delete(false, items))
    }

    /// `DETACH DELETE items`.
    pub fn detach_delete(self, items: impl Items) -> Query<Updated> {
        self.push(delete(true, items))
    }

    /// `CALL { body }`: a subquery that sees no outer variables.
    pub fn call(self, body: Statement) -> Query<Reading> {
        self.push(Clause::CallSubquery {
            scope: None,
            body: Box::new(body.ast),
        })
    }

    /// `CALL (vars) { body }`: a subquery that sees the listed outer variables.
    pub fn call_with<T: CypherType>(self, vars: &[&Expr<T>], body: Statement) -> Query<Reading> {
        let scope = vars
            .iter()
            .map(|v| match &v.ex {
                Ex::Var(name) => name.clone(),
                other => unreachable_var(other),
            })
            .collect();
        self.push(Clause::CallSubquery {
            scope: Some(scope),
            body: Box::new(body.ast),
        })
    }

    /// `CALL name(args) YIELD …`.
    pub fn call_procedure(self, p: Procedure) -> Query<Reading> {
        self.push(Clause::CallProcedure {
            name: p.name,
            args: p.args,
            yields: p.yields,
        })
    }

    /// `FOREACH (var IN list | body)`; `body` gets the element variable.
    pub fn foreach<T: CypherType>(
        self,
        var: &str,
        list: impl IntoExpr<List<T>>,
        body: impl FnOnce(Expr<T>) -> Updates,
    ) -> Query<Updated> {
        let clauses = body(crate::expr::var(var)).clauses;
        self.push(Clause::Foreach {
            var: var.to_owned(),
            list: list.into_expr().ex,
            body: clauses,
        })
    }
}

#[track_caller]
fn unreachable_var(ex: &Ex) -> String {
    panic!("CALL (…) imports variables only, not {ex:?}")
}

impl Query<Matched> {
    /// `WHERE condition` on the `MATCH` just added (several calls are joined by `AND`).
    pub fn where_(mut self, condition: Expr<Bool>) -> Query<Matched> {
        if let Some(Clause::Match { filter, .. }) = self.clauses.last_mut() {
            *filter = Some(and(filter.take(), condition.ex));
        }
        self
    }
}

impl Query<Projected> {
    /// `WHERE condition` after the `WITH` just added (several calls are joined by `AND`).
    pub fn where_(mut self, condition: Expr<Bool>) -> Query<Projected> {
        if let Some(Clause::With { filter, .. }) = self.clauses.last_mut() {
            *filter = Some(and(filter.take(), condition.ex));
        }
        self
    }
}

fn and(prev: Option<Ex>, next: Ex) -> Ex {
    match prev {
        Some(p) => Ex::Binary(crate::ast::BinOp::And, Box::new(p), Box::new(next)),
        None => next,
    }
}

impl Query<Merged> {
    /// `ON CREATE SET items`.
    pub fn on_create_set(mut self, items: impl SetOps) -> Query<Merged> {
        if let Some(Clause::Merge { on_create, .. }) = self.clauses.last_mut() {
            on_create.extend(items.into_set());
        }
        self
    }

    /// `ON MATCH SET items`.
    pub fn on_match_set(mut self, items: impl SetOps) -> Query<Merged> {
        if let Some(Clause::Merge { on_match, .. }) = self.clauses.last_mut() {
            on_match.extend(items.into_set());
        }
        self
    }
}

impl<S: Paged> Query<S> {
    /// `ORDER BY items` (appends to earlier calls).
    pub fn order_by(mut self, items: impl SortItems) -> Query<S> {
        self.last_projection().order.extend(items.into_sort());
        self
    }

    /// `SKIP n` (a parameter).
    pub fn skip(mut self, n: impl IntoExpr<Int>) -> Query<S> {
        self.last_projection().skip = Some(n.into_expr().ex);
        self
    }

    /// `LIMIT n` (a parameter).
    pub fn limit(mut self, n: impl IntoExpr<Int>) -> Query<S> {
        self.last_projection().limit = Some(n.into_expr().ex);
        self
    }
}

impl<S: Complete> Query<S> {
    /// Checks and renders the statement: the only way to get Cypher out of a builder.
    pub fn build(self) -> Result<Statement, BuildError> {
        Statement::new(StatementAst {
            first: self.clauses,
            unions: Vec::new(),
        })
    }
}
