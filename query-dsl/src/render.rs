//! The one renderer: syntax tree to Cypher text plus parameters.
//!
//! Rendering is deterministic: parameters are named in the order they are met
//! (`$p0`, `$p1`… or their hint), so the same builder calls give the same text and the
//! same parameter names. Parameters are told apart by identity, not value, so fragments
//! built separately never share or clash on a name when combined.

use crate::ast::*;
use crate::error::BuildError;
use crate::name::{param_base, write_name, write_qualified};
use crate::value::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

/// Text and parameters of a rendered statement.
pub(crate) struct Rendered {
    pub text: String,
    pub params: BTreeMap<String, Value>,
}

#[derive(Default)]
struct ParamNames {
    by_identity: HashMap<*const ParamData, String>,
    taken: HashSet<String>,
    next: usize,
    values: BTreeMap<String, Value>,
}

impl ParamNames {
    fn name(&mut self, p: &Arc<ParamData>) -> &str {
        let key = Arc::as_ptr(p);
        if !self.by_identity.contains_key(&key) {
            let name = match &p.hint {
                Some(hint) => {
                    let base = param_base(hint);
                    let mut name = base.clone();
                    let mut k = 1;
                    while self.taken.contains(&name) {
                        name = format!("{base}_{k}");
                        k += 1;
                    }
                    name
                }
                None => loop {
                    let name = format!("p{}", self.next);
                    self.next += 1;
                    if !self.taken.contains(&name) {
                        break name;
                    }
                },
            };
            self.taken.insert(name.clone());
            self.values.insert(name.clone(), p.value.clone());
            self.by_identity.insert(key, name);
        }
        &self.by_identity[&key]
    }
}

pub(crate) struct Renderer {
    out: String,
    pretty: bool,
    depth: usize,
    params: ParamNames,
}

type R = Result<(), BuildError>;

/// Renders a whole statement.
pub(crate) fn render(ast: &StatementAst, pretty: bool) -> Result<Rendered, BuildError> {
    let mut r = Renderer {
        out: String::with_capacity(256),
        pretty,
        depth: 0,
        params: ParamNames::default(),
    };
    r.statement(ast)?;
    Ok(Rendered {
        text: r.out,
        params: r.params.values,
    })
}

/// Renders one expression on its own (for column names); parameters get fresh names.
pub(crate) fn render_expr(ex: &Ex) -> Result<String, BuildError> {
    let mut r = Renderer {
        out: String::new(),
        pretty: false,
        depth: 0,
        params: ParamNames::default(),
    };
    r.expr(ex, 0)?;
    Ok(r.out)
}

fn precedence(ex: &Ex) -> u8 {
    match ex {
        Ex::Binary(op, ..) => match op {
            BinOp::Or => 1,
            BinOp::Xor => 2,
            BinOp::And => 3,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 5,
            BinOp::StartsWith | BinOp::EndsWith | BinOp::Contains | BinOp::Regex | BinOp::In => 6,
            BinOp::Add | BinOp::Sub => 7,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 8,
            BinOp::Pow => 9,
        },
        Ex::Not(_) => 4,
        Ex::IsNull(..) => 6,
        Ex::Neg(_) => 10,
        _ => 11,
    }
}

fn op_text(op: BinOp) -> &'static str {
    match op {
        BinOp::Or => " OR ",
        BinOp::Xor => " XOR ",
        BinOp::And => " AND ",
        BinOp::Eq => " = ",
        BinOp::Ne => " <> ",
        BinOp::Lt => " < ",
        BinOp::Le => " <= ",
        BinOp::Gt => " > ",
        BinOp::Ge => " >= ",
        BinOp::StartsWith => " STARTS WITH ",
        BinOp::EndsWith => " ENDS WITH ",
        BinOp::Contains => " CONTAINS ",
        BinOp::Regex => " =~ ",
        BinOp::In => " IN ",
        BinOp::Add => " + ",
        BinOp::Sub => " - ",
        BinOp::Mul => " * ",
        BinOp::Div => " / ",
        BinOp::Mod => " % ",
        BinOp::Pow => " ^ ",
    }
}

impl Renderer {
    fn w(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn name(&mut self, what: &'static str, name: &str) -> R {
        write_name(&mut self.out, what, name)
    }

    /// Between clauses: a space, or a new line at the current depth.
    fn sep(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("  ");
            }
        } else {
            self.out.push(' ');
        }
    }

    fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T) -> R) -> R {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.w(", ");
            }
            f(self, item)?;
        }
        Ok(())
    }

    fn statement(&mut self, s: &StatementAst) -> R {
        self.clauses(&s.first)?;
        for (all, part) in &s.unions {
            self.sep();
            self.w(if *all { "UNION ALL" } else { "UNION" });
            self.sep();
            self.clauses(part)?;
        }
        Ok(())
    }

    fn clauses(&mut self, clauses: &[Clause]) -> R {
        for (i, c) in clauses.iter().enumerate() {
            if i > 0 {
                self.sep();
            }
            self.clause(c)?;
        }
        Ok(())
    }

    /// A `{ … }` block holding a statement, indented when pretty.
    fn block(&mut self, s: &StatementAst) -> R {
        self.w("{");
        self.depth += 1;
        self.sep();
        self.statement(s)?;
        self.depth -= 1;
        self.sep();
        self.w("}");
        Ok(())
    }

    fn clause(&mut self, c: &Clause) -> R {
        match c {
            Clause::Match {
                optional,
                patterns,
                filter,
            } => {
                self.w(if *optional {
                    "OPTIONAL MATCH "
                } else {
                    "MATCH "
                });
                self.list(patterns, Self::pattern)?;
                if let Some(f) = filter {
                    self.sep();
                    self.w("WHERE ");
                    self.expr(f, 0)?;
                }
            }
            Clause::Unwind { list, var } => {
                self.w("UNWIND ");
                self.expr(list, 11)?;
                self.w(" AS ");
                self.name("variable", var)?;
            }
            Clause::With { projection, filter } => {
                self.w("WITH ");
                self.projection("WITH", projection)?;
                if let Some(f) = filter {
                    self.sep();
                    self.w("WHERE ");
                    self.expr(f, 0)?;
                }
            }
            Clause::Return(p) => {
                self.w("RETURN ");
                self.projection("RETURN", p)?;
            }
            Clause::Create(patterns) => {
                self.w("CREATE ");
                self.list(patterns, Self::pattern)?;
            }
            Clause::Merge {
                pattern,
                on_create,
                on_match,
            } => {
                self.w("MERGE ");
                self.pattern(pattern)?;
                if !on_create.is_empty() {
                    self.sep();
                    self.w("ON CREATE SET ");
                    self.list(on_create, Self::set_item)?;
                }
                if !on_match.is_empty() {
                    self.sep();
                    self.w("ON MATCH SET ");
                    self.list(on_match, Self::set_item)?;
                }
            }
            Clause::Set(items) => {
                if items.is_empty() {
                    return Err(BuildError::EmptyClause("SET"));
                }
                self.w("SET ");
                self.list(items, Self::set_item)?;
            }
            Clause::Remove(items) => {
                if items.is_empty() {
                    return Err(BuildError::EmptyClause("REMOVE"));
                }
                self.w("REMOVE ");
                self.list(items, |r, item| match item {
                    RemoveItem::Prop(target) => r.expr(target, 11),
                    RemoveItem::Labels { var, labels } => r.labeled(var, labels),
                })?;
            }
            Clause::Delete { detach, items } => {
                if items.is_empty() {
                    return Err(BuildError::EmptyClause("DELETE"));
                }
                self.w(if *detach { "DETACH DELETE " } else { "DELETE " });
                self.list(items, |r, e| r.expr(e, 0))?;
            }
            Clause::CallSubquery { scope, body } => {
                self.w("CALL ");
                if let Some(vars) = scope {
                    self.w("(");
                    self.list(vars, |r, v| r.name("variable", v))?;
                    self.w(") ");
                }
                self.block(body)?;
            }
            Clause::CallProcedure { name, args, yields } => {
                self.w("CALL ");
                write_qualified(&mut self.out, name)?;
                self.w("(");
                self.list(args, |r, e| r.expr(e, 0))?;
                self.w(")");
                if !yields.is_empty() {
                    self.w(" YIELD ");
                    self.list(yields, |r, (column, alias)| {
                        r.name("column", column)?;
                        if let Some(a) = alias {
                            r.w(" AS ");
                            r.name("alias", a)?;
                        }
                        Ok(())
                    })?;
                }
            }
            Clause::UniqueConstraint { name, label, key } => {
                self.w("CREATE CONSTRAINT ");
                self.name("constraint name", name)?;
                self.w(" IF NOT EXISTS FOR (n:");
                self.name("label", label)?;
                self.w(") REQUIRE n.");
                self.name("property key", key)?;
                self.w(" IS UNIQUE");
            }
            Clause::Foreach { var, list, body } => {
                if body.is_empty() {
                    return Err(BuildError::EmptyClause("FOREACH"));
                }
                self.w("FOREACH (");
                self.name("variable", var)?;
                self.w(" IN ");
                self.expr(list, 7)?;
                self.w(" | ");
                for (i, c) in body.iter().enumerate() {
                    if i > 0 {
                        self.w(" ");
                    }
                    self.clause(c)?;
                }
                self.w(")");
            }
        }
        Ok(())
    }

    fn labeled(&mut self, var: &str, labels: &[String]) -> R {
        self.name("variable", var)?;
        for l in labels {
            self.w(":");
            self.name("label", l)?;
        }
        Ok(())
    }

    fn set_item(&mut self, item: &SetItem) -> R {
        match item {
            SetItem::Prop { target, value } => {
                self.expr(target, 11)?;
                self.w(" = ");
                self.expr(value, 0)
            }
            SetItem::Replace { var, map } => {
                self.name("variable", var)?;
                self.w(" = ");
                self.expr(map, 0)
            }
            SetItem::Merge { var, map } => {
                self.name("variable", var)?;
                self.w(" += ");
                self.expr(map, 0)
            }
            SetItem::Labels { var, labels } => {
                if labels.is_empty() {
                    return Err(BuildError::EmptyName { what: "label" });
                }
                self.labeled(var, labels)
            }
        }
    }

    fn projection(&mut self, clause: &'static str, p: &Projection) -> R {
        if p.items.is_empty() && !p.star {
            return Err(BuildError::EmptyClause(clause));
        }
        if p.distinct {
            self.w("DISTINCT ");
        }
        if p.star {
            self.w("*");
            if !p.items.is_empty() {
                self.w(", ");
            }
        }
        self.list(&p.items, |r, item| {
            r.expr(&item.ex, 0)?;
            if let Some(a) = &item.alias {
                r.w(" AS ");
                r.name("alias", a)?;
            }
            Ok(())
        })?;
        if !p.order.is_empty() {
            self.sep();
            self.w("ORDER BY ");
            self.list(&p.order, |r, s| {
                r.expr(&s.ex, 0)?;
                if s.descending {
                    r.w(" DESC");
                }
                Ok(())
            })?;
        }
        if let Some(skip) = &p.skip {
            self.sep();
            self.w("SKIP ");
            self.expr(skip, 0)?;
        }
        if let Some(limit) = &p.limit {
            self.sep();
            self.w("LIMIT ");
            self.expr(limit, 0)?;
        }
        Ok(())
    }

    fn pattern(&mut self, p: &PatternPart) -> R {
        if let Some(name) = &p.name {
            self.name("path name", name)?;
            self.w(" = ");
        }
        self.node(&p.start)?;
        for (dir, rel, node) in &p.steps {
            self.rel(*dir, rel)?;
            self.node(node)?;
        }
        Ok(())
    }

    fn props(&mut self, props: &[(String, Ex)]) -> R {
        if props.is_empty() {
            return Ok(());
        }
        self.w(" {");
        self.list(props, |r, (k, v)| {
            r.name("property key", k)?;
            r.w(": ");
            r.expr(v, 0)
        })?;
        self.w("}");
        Ok(())
    }

    fn node(&mut self, n: &NodePat) -> R {
        self.w("(");
        if let Some(v) = &n.var {
            self.name("variable", v)?;
        }
        for l in &n.labels {
            self.w(":");
            self.name("label", l)?;
        }
        self.props(&n.props)?;
        self.w(")");
        Ok(())
    }

    fn rel(&mut self, dir: Direction, r: &RelPat) -> R {
        self.w(if dir == Direction::In { "<-" } else { "-" });
        let empty = r.var.is_none() && r.types.is_empty() && r.hops.is_none() && r.props.is_empty();
        if !empty {
            self.w("[");
            if let Some(v) = &r.var {
                self.name("variable", v)?;
            }
            for (i, t) in r.types.iter().enumerate() {
                self.w(if i == 0 { ":" } else { "|" });
                self.name("relationship type", t)?;
            }
            match r.hops {
                None => {}
                Some(Hops::Any) | Some(Hops::Range(None, None)) => self.w("*"),
                Some(Hops::Range(Some(min), Some(max))) if min > max => {
                    return Err(BuildError::InvalidHops { min, max })
                }
                Some(Hops::Range(Some(min), Some(max))) if min == max => {
                    let _ = write!(self.out, "*{min}");
                }
                Some(Hops::Range(min, max)) => {
                    self.w("*");
                    if let Some(min) = min {
                        let _ = write!(self.out, "{min}");
                    }
                    self.w("..");
                    if let Some(max) = max {
                        let _ = write!(self.out, "{max}");
                    }
                }
            }
            self.props(&r.props)?;
            self.w("]");
        }
        self.w(if dir == Direction::Out { "->" } else { "-" });
        Ok(())
    }

    /// Writes `ex`, in parentheses when it binds less tightly than `min`.
    fn expr(&mut self, ex: &Ex, min: u8) -> R {
        let paren = precedence(ex) < min;
        if paren {
            self.w("(");
        }
        self.expr_inner(ex)?;
        if paren {
            self.w(")");
        }
        Ok(())
    }

    fn expr_inner(&mut self, ex: &Ex) -> R {
        match ex {
            Ex::Param(p) => {
                self.out.push('$');
                let name = self.params.name(p);
                self.out.push_str(name);
            }
            Ex::Null => self.w("null"),
            Ex::Var(v) => self.name("variable", v)?,
            Ex::Prop(base, key) => {
                self.expr(base, 11)?;
                self.w(".");
                self.name("property key", key)?;
            }
            Ex::Index(base, i) => {
                self.expr(base, 11)?;
                self.w("[");
                self.expr(i, 0)?;
                self.w("]");
            }
            Ex::Binary(op, l, r) => {
                let p = precedence(ex);
                let left_assoc = matches!(
                    op,
                    BinOp::Or
                        | BinOp::Xor
                        | BinOp::And
                        | BinOp::Add
                        | BinOp::Sub
                        | BinOp::Mul
                        | BinOp::Div
                        | BinOp::Mod
                );
                // AND, OR and XOR are associative: `a AND (b AND c)` needs no parentheses.
                let associative = matches!(op, BinOp::Or | BinOp::Xor | BinOp::And);
                self.expr(l, if left_assoc { p } else { p + 1 })?;
                self.w(op_text(*op));
                self.expr(r, if associative { p } else { p + 1 })?;
            }
            Ex::Not(x) => {
                self.w("NOT ");
                self.expr(x, 4)?;
            }
            Ex::Neg(x) => {
                self.w("-");
                self.expr(x, 10)?;
            }
            Ex::IsNull(x, negated) => {
                self.expr(x, 7)?;
                self.w(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            Ex::Call {
                name,
                distinct,
                args,
            } => {
                write_qualified(&mut self.out, name)?;
                self.w("(");
                if *distinct {
                    self.w("DISTINCT ");
                }
                self.list(args, |r, a| r.expr(a, 0))?;
                self.w(")");
            }
            Ex::CountStar => self.w("count(*)"),
            Ex::List(items) => {
                self.w("[");
                self.list(items, |r, a| r.expr(a, 0))?;
                self.w("]");
            }
            Ex::Map(entries) => {
                self.w("{");
                self.list(entries, |r, (k, v)| {
                    r.name("map key", k)?;
                    r.w(": ");
                    r.expr(v, 0)
                })?;
                self.w("}");
            }
            Ex::Case {
                subject,
                whens,
                otherwise,
            } => {
                self.w("CASE");
                if let Some(s) = subject {
                    self.w(" ");
                    self.expr(s, 0)?;
                }
                for (when, then) in whens {
                    self.w(" WHEN ");
                    self.expr(when, 0)?;
                    self.w(" THEN ");
                    self.expr(then, 0)?;
                }
                if let Some(e) = otherwise {
                    self.w(" ELSE ");
                    self.expr(e, 0)?;
                }
                self.w(" END");
            }
            Ex::Comprehension {
                var,
                list,
                filter,
                map,
            } => {
                self.w("[");
                self.name("variable", var)?;
                self.w(" IN ");
                self.expr(list, 7)?;
                if let Some(f) = filter {
                    self.w(" WHERE ");
                    self.expr(f, 0)?;
                }
                if let Some(m) = map {
                    self.w(" | ");
                    self.expr(m, 0)?;
                }
                self.w("]");
            }
            Ex::PatternPredicate(p) => self.pattern(p)?,
            Ex::Exists(sub) => {
                self.w("EXISTS ");
                self.subquery(sub)?;
            }
            Ex::CountSubquery(sub) => {
                self.w("COUNT ");
                self.subquery(sub)?;
            }
            Ex::MapProjection { var, items } => {
                self.name("variable", var)?;
                self.w(" {");
                self.list(items, |r, item| match item {
                    MapItem::Prop(k) => {
                        r.w(".");
                        r.name("property key", k)
                    }
                    MapItem::AllProps => {
                        r.w(".*");
                        Ok(())
                    }
                    MapItem::Entry(k, v) => {
                        r.name("map key", k)?;
                        r.w(": ");
                        r.expr(v, 0)
                    }
                })?;
                self.w("}");
            }
        }
        Ok(())
    }

    /// `{ MATCH … WHERE … }` or `{ statement }`, always on one line: it sits inside an
    /// expression.
    fn subquery(&mut self, sub: &Subquery) -> R {
        let pretty = std::mem::replace(&mut self.pretty, false);
        self.w("{ ");
        let result = match sub {
            Subquery::Pattern { patterns, filter } => {
                self.w("MATCH ");
                self.list(patterns, Self::pattern).and_then(|()| {
                    if let Some(f) = filter {
                        self.w(" WHERE ");
                        self.expr(f, 0)?;
                    }
                    Ok(())
                })
            }
            Subquery::Query(s) => self.statement(s),
        };
        self.w(" }");
        self.pretty = pretty;
        result
    }
}
