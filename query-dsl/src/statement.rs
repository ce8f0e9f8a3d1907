//! Built statements: checked, rendered, ready to send.

use crate::ast::{Clause, StatementAst};
use crate::error::BuildError;
use crate::render::{render, render_expr};
use crate::value::Value;
use std::collections::BTreeMap;
use std::fmt;

/// A complete Cypher statement: its text and its parameters.
///
/// Only builders make statements, and only complete ones; the text is rendered once,
/// when the statement is built, so reading it is free.
#[derive(Debug, Clone)]
pub struct Statement {
    pub(crate) ast: StatementAst,
    text: String,
    params: BTreeMap<String, Value>,
}

impl Statement {
    pub(crate) fn new(ast: StatementAst) -> Result<Statement, BuildError> {
        let r = render(&ast, false)?;
        Ok(Statement {
            ast,
            text: r.text,
            params: r.params,
        })
    }

    /// `CREATE CONSTRAINT name IF NOT EXISTS FOR (n:L) REQUIRE n.key IS UNIQUE`: a
    /// schema command, idempotent, for start-up.
    pub fn unique_constraint<L: crate::schema::Label, T>(
        name: &str,
        key: crate::schema::Prop<L, T>,
    ) -> Result<Statement, BuildError> {
        Statement::new(StatementAst {
            first: vec![Clause::UniqueConstraint {
                name: name.to_owned(),
                label: L::NAME.to_owned(),
                key: key.key().to_owned(),
            }],
            unions: Vec::new(),
        })
    }

    /// The statement on one line.
    pub fn cypher(&self) -> &str {
        &self.text
    }

    /// The statement over several lines, one clause a line, subqueries indented. Same
    /// parameter names as [`Statement::cypher`].
    pub fn pretty(&self) -> String {
        render(&self.ast, true)
            .expect("a built statement renders: names were checked by build()")
            .text
    }

    /// The parameters, by name (without `$`).
    pub fn params(&self) -> &BTreeMap<String, Value> {
        &self.params
    }

    /// The column names the statement returns, if it ends in `RETURN`.
    pub fn columns(&self) -> Option<Vec<String>> {
        columns(last_part(&self.ast))
    }

    /// `self UNION other`: both must return the same columns.
    pub fn union(self, other: Statement) -> Result<Statement, BuildError> {
        self.join(false, other)
    }

    /// `self UNION ALL other`: keeps duplicate rows.
    pub fn union_all(self, other: Statement) -> Result<Statement, BuildError> {
        self.join(true, other)
    }

    fn join(self, all: bool, other: Statement) -> Result<Statement, BuildError> {
        let left = self.columns().ok_or(BuildError::UnionWithoutReturn)?;
        let right = other.columns().ok_or(BuildError::UnionWithoutReturn)?;
        if left != right {
            return Err(BuildError::UnionColumns { left, right });
        }
        let mut ast = self.ast;
        ast.unions.push((all, other.ast.first));
        ast.unions.extend(other.ast.unions);
        Statement::new(ast)
    }
}

fn last_part(ast: &StatementAst) -> &[Clause] {
    ast.unions.last().map_or(&ast.first, |(_, part)| part)
}

fn columns(clauses: &[Clause]) -> Option<Vec<String>> {
    match clauses.last()? {
        Clause::Return(p) => p
            .items
            .iter()
            .map(|i| match &i.alias {
                Some(a) => Some(a.clone()),
                None => render_expr(&i.ex).ok(),
            })
            .collect(),
        _ => None,
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
