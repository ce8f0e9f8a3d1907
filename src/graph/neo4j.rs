//! The catalog graph on Neo4j (or any Bolt server speaking Neo4j's Cypher), through
//! neo4rs. Every statement is built with `query-dsl` from the schema crate's typed
//! labels; writes are idempotent (MERGE on ids), so replaying events changes nothing.

use super::embedded::Interner;
use super::facets::{
    histogram, ordered, FacetCount, FacetRequest, Facets, NumberFilter, Selections, SpecFacet,
};
use crate::currency::Rates;
use neo4rs::{ConfigBuilder, Graph, Row};
use query_dsl::functions::{coalesce, count, count_distinct, count_star};
use query_dsl::types::{Any, Bool, Float, Int, Str};
use query_dsl::{
    anon, case_of, exists, match_, node, param, path, rel, var, Expr, IntoExpr, NodeVar, Query,
    Statement, Value,
};
use roaring::RoaringBitmap;
use std::collections::{BTreeMap, HashMap};
use stockyard_schema::domain::{Patch, SpecValue};
use stockyard_schema::graph::{
    BelongsToCategory, BelongsToSpecCategory, Category, HasSpec, IndexerOffset, IsOfModel, Machine,
    MadeModel, Maker, Model, Spec, SpecCategory, SubcategoryOf,
};
use stockyard_schema::{Event, Lang, Payload, Text};

/// Where the Neo4j server is and who we are there.
#[derive(Debug, Clone)]
pub struct Neo4jConfig {
    /// `bolt://host:port` or `host:port`.
    pub uri: String,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Database name.
    pub database: String,
}

/// Why the Neo4j graph could not answer.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The server could not be reached or refused us.
    #[error("Neo4j at {uri} is unreachable: {reason}")]
    Unreachable {
        /// Where we tried.
        uri: String,
        /// What the driver said.
        reason: String,
    },
    /// A statement failed on the server.
    #[error("Neo4j refused `{statement}`: {reason}")]
    Statement {
        /// The statement text.
        statement: String,
        /// What the server said.
        reason: String,
    },
    /// A statement could not be built (a bug: names come from the schema).
    #[error(transparent)]
    Build(#[from] query_dsl::BuildError),
}

/// The catalog graph on a Bolt server, through neo4rs: every statement is built with
/// `query-dsl` from the schema crate's typed labels, and writes are idempotent (MERGE
/// on ids), so replaying events changes nothing.
pub struct Neo4jGraph {
    graph: Graph,
    uri: String,
    keys: Interner,
    /// Every statement sent, when recording (tests lint them with Neo4j's parser).
    recorded: Option<std::sync::Mutex<Vec<String>>>,
}

fn names_json(t: &Text) -> String {
    serde_json::to_string(t).expect("text serializes")
}

fn opt_int(v: Option<i64>) -> Expr<Int> {
    v.map_or_else(query_dsl::null, param)
}

fn opt_float(v: Option<f64>) -> Expr<Float> {
    v.map_or_else(query_dsl::null, param)
}

fn opt_str(v: Option<&str>) -> Expr<Str> {
    v.map_or_else(query_dsl::null, param)
}

/// A machine's asking price in US dollars at `rates`, computed by the server from the
/// price as listed: `m.price * CASE m.currency WHEN 'EUR' THEN 1.08 … END`, null for a
/// currency without a rate. It is the embedded graph's multiplication, so the two
/// agree to the last bit at the bounds of a range, and a new rate set rewrites nothing.
fn price_usd(m: &NodeVar<Machine>, rates: &Rates) -> Expr<Float> {
    let mut each = rates.each().into_iter();
    let (first, rate) = each.next().expect("US dollars always have a rate");
    let currency: Expr<Str> = m.prop(Machine::CURRENCY).into_expr();
    let per_unit: Expr<Float> = each
        .fold(
            case_of::<Str, Float>(currency, first.as_str(), rate),
            |case, (c, r)| case.when(param(c.as_str()).any(), r),
        )
        .end();
    let amount: Expr<Float> = m.prop(Machine::PRICE).into_expr();
    amount * per_unit
}

/// The selection group a count leaves out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Except {
    Nothing,
    Category,
    Maker,
    Model,
    Spec(usize),
    Attribute(usize),
}

impl Neo4jGraph {
    /// Connects and creates the id constraints (idempotent).
    pub async fn connect(cfg: &Neo4jConfig) -> Result<Neo4jGraph, GraphError> {
        let unreachable = |e: neo4rs::Error| GraphError::Unreachable {
            uri: cfg.uri.clone(),
            reason: e.to_string(),
        };
        let config = ConfigBuilder::default()
            .uri(cfg.uri.trim_start_matches("bolt://"))
            .user(cfg.user.as_str())
            .password(cfg.password.as_str())
            .db(cfg.database.as_str())
            .build()
            .map_err(unreachable)?;
        let graph = Graph::connect(config).await.map_err(unreachable)?;
        let mut g = Neo4jGraph {
            graph,
            uri: cfg.uri.clone(),
            keys: Interner::default(),
            recorded: None,
        };
        for s in Self::schema_statements()? {
            g.run(&s).await?;
        }
        // Machine keys already assigned, in key order, so that new ones follow them.
        let m = node::<Machine>("m");
        let rows = g
            .rows(
                &match_(&m)
                    .return_((
                        m.prop(Machine::ID).alias("id"),
                        m.prop(Machine::KEY).alias("key"),
                    ))
                    .order_by(var::<Int>("key"))
                    .build()?,
            )
            .await?;
        for row in rows {
            if let Ok(id) = row.get::<String>("id") {
                g.keys.intern(&id);
            }
        }
        Ok(g)
    }

    /// The constraints on ids the store relies on.
    pub fn schema_statements() -> Result<Vec<Statement>, GraphError> {
        Ok(vec![
            Statement::unique_constraint("machine_id", Machine::ID)?,
            Statement::unique_constraint("model_id", Model::ID)?,
            Statement::unique_constraint("maker_id", Maker::ID)?,
            Statement::unique_constraint("category_id", Category::ID)?,
            Statement::unique_constraint("spec_category_id", SpecCategory::ID)?,
            Statement::unique_constraint("spec_id", Spec::ID)?,
        ])
    }

    /// Starts keeping every statement sent, for [`Neo4jGraph::recorded`].
    pub fn record_statements(&mut self) {
        self.recorded = Some(Default::default());
    }

    /// The statements sent since [`Neo4jGraph::record_statements`], in order.
    pub fn recorded(&self) -> Vec<String> {
        self.recorded
            .as_ref()
            .map(|r| r.lock().expect("not poisoned").clone())
            .unwrap_or_default()
    }

    fn note(&self, s: &Statement) {
        if let Some(r) = &self.recorded {
            r.lock().expect("not poisoned").push(s.cypher().to_owned());
        }
    }

    /// Removes the whole catalog (before a rebuild).
    pub async fn clear(&mut self) -> Result<(), GraphError> {
        let n = query_dsl::any_node("n");
        self.run(&match_(&n).detach_delete(&n).build()?).await?;
        self.keys = Interner::default();
        Ok(())
    }

    /// Tells a server that cannot be reached from one that refused a statement.
    fn failure(&self, s: &Statement, e: neo4rs::Error) -> GraphError {
        match e {
            neo4rs::Error::IOError { .. } | neo4rs::Error::ConnectionError => {
                GraphError::Unreachable {
                    uri: self.uri.clone(),
                    reason: e.to_string(),
                }
            }
            other => GraphError::Statement {
                statement: s.cypher().to_owned(),
                reason: other.to_string(),
            },
        }
    }

    async fn run(&self, s: &Statement) -> Result<(), GraphError> {
        self.note(s);
        self.graph
            .run(s.into())
            .await
            .map_err(|e| self.failure(s, e))
    }

    async fn rows(&self, s: &Statement) -> Result<Vec<Row>, GraphError> {
        self.note(s);
        let fail = |e: neo4rs::Error| self.failure(s, e);
        let mut stream = self.graph.execute(s.into()).await.map_err(fail)?;
        let mut out = Vec::new();
        while let Some(row) = stream.next().await.map_err(fail)? {
            out.push(row);
        }
        Ok(out)
    }

    /// The dense key of a machine (the text index's), assigned on first sight.
    pub fn machine_key(&mut self, machine_id: &str) -> u32 {
        self.keys.intern(machine_id)
    }

    /// The statements that apply one event, in order. Exposed so that every
    /// statement the store can send is checked by Neo4j's parser in the tests.
    pub fn statements_for(&mut self, event: &Event) -> Result<Vec<Statement>, GraphError> {
        let mut out = Vec::new();
        match &event.payload {
            Payload::CategoryDefined(c) => {
                let cat = node::<Category>("c");
                let r = rel::<SubcategoryOf>().named("r");
                out.push(
                    Query::new()
                        .merge(cat.clone().with(Category::ID, c.id.as_str()))
                        .set(cat.set(Category::NAMES, names_json(&c.names)))
                        .with(&cat)
                        .optional_match(path(&cat.bare()).out(r.clone(), &anon::<Category>()))
                        .delete(r.expr())
                        .build()?,
                );
                if let Some(parent) = &c.parent_id {
                    // The parent link is made only when it does not close a cycle.
                    let p = node::<Category>("p");
                    let cyc = anon::<Category>().with(Category::ID, c.id.as_str());
                    out.push(
                        match_(cat.clone().with(Category::ID, c.id.as_str()))
                            .merge(p.clone().with(Category::ID, parent.as_str()))
                            .with((&cat, &p))
                            .where_(!exists(
                                path(&p.bare()).out(rel::<SubcategoryOf>().min_hops(0), &cyc),
                                None,
                            ))
                            .merge(path(&cat.bare()).out(rel::<SubcategoryOf>(), &p.bare()))
                            .build()?,
                    );
                }
            }
            Payload::SpecCategoryDefined(s) => {
                let sc = node::<SpecCategory>("sc");
                let kind = match s.kind {
                    stockyard_schema::domain::SpecKind::Number => "number",
                    stockyard_schema::domain::SpecKind::Text => "text",
                };
                out.push(
                    Query::new()
                        .merge(sc.clone().with(SpecCategory::ID, s.id.as_str()))
                        .set(vec![
                            sc.set(SpecCategory::NAMES, names_json(&s.names)),
                            sc.set(SpecCategory::UNIT, opt_str(s.unit.as_deref())),
                            sc.set(SpecCategory::KIND, kind),
                        ])
                        .build()?,
                );
            }
            Payload::MakerRegistered(m) | Payload::MakerRenamed(m) => {
                let k = node::<Maker>("k");
                out.push(
                    Query::new()
                        .merge(k.clone().with(Maker::ID, m.id.as_str()))
                        .set(k.set(Maker::NAMES, names_json(&m.names)))
                        .build()?,
                );
            }
            Payload::ModelRegistered(m) => {
                let mo = node::<Model>("mo");
                let r = rel::<MadeModel>().named("r");
                out.push(
                    Query::new()
                        .merge(mo.clone().with(Model::ID, m.id.as_str()))
                        .set((
                            mo.set(Model::NAME, m.name.as_str()),
                            mo.set(Model::CATEGORY, m.category_id.as_str()),
                        ))
                        .with(&mo)
                        .optional_match(path(&mo.bare()).in_(r.clone(), &anon::<Maker>()))
                        .delete(r.expr())
                        .build()?,
                );
                let k = node::<Maker>("k");
                out.push(
                    match_(mo.clone().with(Model::ID, m.id.as_str()))
                        .merge(k.clone().with(Maker::ID, m.maker_id.as_str()))
                        .merge(path(&k.bare()).out(rel::<MadeModel>(), &mo.bare()))
                        .build()?,
                );
                out.extend(Self::spec_statements(m.id.as_str(), &m.specs)?);
                // Machines of the model without a category of their own follow it.
                let mc = node::<Machine>("m");
                let b = rel::<BelongsToCategory>().named("b");
                out.push(
                    match_(path(&mc).out(
                        rel::<IsOfModel>(),
                        &anon::<Model>().with(Model::ID, m.id.as_str()),
                    ))
                    .where_(mc.prop(Machine::OWN_CATEGORY).is_null())
                    .optional_match(path(&mc.bare()).out(b.clone(), &anon::<Category>()))
                    .delete(b.expr())
                    .build()?,
                );
                out.push(Self::link_category(None, Some(m.id.as_str()))?);
            }
            Payload::ModelSpecsChanged(m) => {
                let mo = node::<Model>("mo");
                out.push(
                    Query::new()
                        .merge(mo.with(Model::ID, m.model_id.as_str()))
                        .build()?,
                );
                out.extend(Self::spec_statements(m.model_id.as_str(), &m.specs)?);
            }
            Payload::MachineListed(m) => {
                let key = self.keys.intern(m.id.as_str());
                let mc = node::<Machine>("m");
                out.push(
                    Query::new()
                        .merge(mc.clone().with(Machine::ID, m.id.as_str()))
                        .set(vec![
                            mc.set(Machine::KEY, key),
                            mc.set(Machine::STATUS, "live"),
                            mc.set(Machine::YEAR, opt_int(m.year.map(|y| y.get().into()))),
                            mc.set(Machine::HOURS, opt_int(m.hours.map(|h| h.get().into()))),
                            mc.set(Machine::PRICE, opt_float(m.price.map(|p| p.amount))),
                            mc.set(
                                Machine::CURRENCY,
                                opt_str(m.price.as_ref().map(|p| p.currency.as_str())),
                            ),
                            mc.set(
                                Machine::OWN_CATEGORY,
                                opt_str(m.category_id.as_ref().map(|c| c.as_str())),
                            ),
                        ])
                        .build()?,
                );
                out.extend(Self::link_model(m.id.as_str(), m.model_id.as_str())?);
                out.extend(Self::unlink_category(m.id.as_str())?);
                out.push(Self::link_category(Some(m.id.as_str()), None)?);
            }
            Payload::MachineUpdated(c) => {
                let id = c.machine_id.as_str();
                let mc = node::<Machine>("m");
                let mut sets = Vec::new();
                let int_patch = |p: &Patch<i64>| match p {
                    Patch::Keep => None,
                    Patch::Clear => Some(opt_int(None)),
                    Patch::Set(v) => Some(opt_int(Some(*v))),
                };
                let year = c.year.clone().map(|y| i64::from(y.get()));
                let hours = c.hours.clone().map(|h| i64::from(h.get()));
                if let Some(e) = int_patch(&year) {
                    sets.push(mc.set(Machine::YEAR, e));
                }
                if let Some(e) = int_patch(&hours) {
                    sets.push(mc.set(Machine::HOURS, e));
                }
                match &c.price {
                    Patch::Keep => {}
                    Patch::Clear => {
                        sets.push(mc.set(Machine::PRICE, opt_float(None)));
                        sets.push(mc.set(Machine::CURRENCY, opt_str(None)));
                    }
                    Patch::Set(p) => {
                        sets.push(mc.set(Machine::PRICE, p.amount));
                        sets.push(mc.set(Machine::CURRENCY, p.currency.as_str()));
                    }
                }
                match &c.category_id {
                    Patch::Keep => {}
                    Patch::Clear => sets.push(mc.set(Machine::OWN_CATEGORY, opt_str(None))),
                    Patch::Set(cat) => sets.push(mc.set(Machine::OWN_CATEGORY, cat.as_str())),
                }
                if !sets.is_empty() {
                    out.push(match_(mc.clone().with(Machine::ID, id)).set(sets).build()?);
                }
                if let Some(model) = &c.model_id {
                    out.extend(Self::link_model(id, model.as_str())?);
                }
                if c.model_id.is_some() || !c.category_id.is_keep() {
                    out.extend(Self::unlink_category(id)?);
                    out.push(Self::link_category(Some(id), None)?);
                }
            }
            Payload::MachineSold(r) | Payload::MachineWithdrawn(r) => {
                let mc = node::<Machine>("m");
                let status = match event.payload {
                    Payload::MachineSold(_) => "sold",
                    _ => "withdrawn",
                };
                out.push(
                    match_(mc.clone().with(Machine::ID, r.machine_id.as_str()))
                        .set(mc.set(Machine::STATUS, status))
                        .build()?,
                );
            }
            // Prices are stored as listed and converted when a search runs.
            Payload::CurrencyRatesPublished(_) => {}
        }
        Ok(out)
    }

    /// Replaces a model's specs.
    fn spec_statements(
        model: &str,
        specs: &[stockyard_schema::domain::Spec],
    ) -> Result<Vec<Statement>, GraphError> {
        let mo = node::<Model>("mo");
        let s = node::<Spec>("s");
        let delete = match_(mo.clone().with(Model::ID, model))
            .optional_match(path(&mo.bare()).out(rel::<HasSpec>(), &s))
            .detach_delete(&s)
            .build()?;
        let rows: Vec<Value> = specs
            .iter()
            .map(|sp| {
                let (number, text) = match &sp.value {
                    SpecValue::Number(n) => (Value::Float(*n), Value::Null),
                    SpecValue::Text(t) => (Value::Null, Value::String(t.clone())),
                };
                Value::Map(BTreeMap::from([
                    (
                        "id".to_owned(),
                        Value::String(format!("{model}/{}", sp.spec_category_id)),
                    ),
                    (
                        "category".to_owned(),
                        Value::String(sp.spec_category_id.to_string()),
                    ),
                    ("number".to_owned(), number),
                    ("text".to_owned(), text),
                ]))
            })
            .collect();
        let (q, row) = match_(mo.clone().with(Model::ID, model)).unwind::<Any>(rows, "sp");
        let sc = node::<SpecCategory>("sc");
        let create = q
            .merge(
                sc.clone()
                    .with(SpecCategory::ID, row.clone().key("category")),
            )
            .create(
                path(&mo.bare())
                    .out(
                        rel::<HasSpec>(),
                        &s.clone()
                            .with(Spec::ID, row.clone().key("id"))
                            .with(Spec::NUMBER, row.clone().key("number"))
                            .with(Spec::TEXT, row.key("text")),
                    )
                    .out(rel::<BelongsToSpecCategory>(), &sc.bare()),
            )
            .build()?;
        Ok(vec![delete, create])
    }

    fn link_model(machine: &str, model: &str) -> Result<Vec<Statement>, GraphError> {
        let mc = node::<Machine>("m");
        let mo = node::<Model>("mo");
        let r = rel::<IsOfModel>().named("r");
        Ok(vec![
            match_(mc.clone().with(Machine::ID, machine))
                .optional_match(path(&mc.bare()).out(r.clone(), &anon::<Model>()))
                .delete(r.expr())
                .build()?,
            match_(mc.clone().with(Machine::ID, machine))
                .merge(mo.clone().with(Model::ID, model))
                .merge(path(&mc.bare()).out(rel::<IsOfModel>(), &mo.bare()))
                .build()?,
        ])
    }

    fn unlink_category(machine: &str) -> Result<Vec<Statement>, GraphError> {
        let mc = node::<Machine>("m");
        let b = rel::<BelongsToCategory>().named("b");
        Ok(vec![match_(mc.clone().with(Machine::ID, machine))
            .optional_match(path(&mc.bare()).out(b.clone(), &anon::<Category>()))
            .delete(b.expr())
            .build()?])
    }

    /// Links machines (one, or all of a model) without a category link to their own
    /// category, else their model's.
    fn link_category(machine: Option<&str>, model: Option<&str>) -> Result<Statement, GraphError> {
        let mut mc = node::<Machine>("m");
        if let Some(id) = machine {
            mc = mc.with(Machine::ID, id);
        }
        let mut mo = node::<Model>("mo");
        if let Some(id) = model {
            mo = mo.with(Model::ID, id);
        }
        let cat = coalesce(mc.prop(Machine::OWN_CATEGORY), [mo.prop(Model::CATEGORY)]).alias("cat");
        let c = node::<Category>("c");
        Ok(match_(path(&mc).out(rel::<IsOfModel>(), &mo))
            .with((&mc, cat.clone()))
            .where_(cat.var().is_not_null())
            .merge(c.clone().with(Category::ID, cat.var()))
            .merge(path(&mc.bare()).out(rel::<BelongsToCategory>(), &c.bare()))
            .build()?)
    }

    /// Applies a batch of events and records `checkpoint` as the position of the
    /// projection `name`, in one transaction: the offset node only ever moves with the
    /// data it stands for, so a batch is applied wholly and once, or not at all.
    pub async fn apply_committed<'a>(
        &mut self,
        events: impl IntoIterator<Item = &'a Event>,
        name: &str,
        checkpoint: u64,
    ) -> Result<(), GraphError> {
        let mut statements = Vec::new();
        for e in events {
            statements.extend(self.statements_for(e)?);
        }
        let [write, _] = Self::offset_statements(name, checkpoint)?;
        statements.push(write);
        let begin = |e: neo4rs::Error| GraphError::Unreachable {
            uri: self.uri.clone(),
            reason: e.to_string(),
        };
        let mut txn = self.graph.start_txn().await.map_err(begin)?;
        for s in &statements {
            self.note(s);
            if let Err(e) = txn.run(s.into()).await {
                let _ = txn.rollback().await;
                return Err(self.failure(s, e));
            }
        }
        txn.commit().await.map_err(|e| GraphError::Unreachable {
            uri: self.uri.clone(),
            reason: format!("commit: {e}"),
        })
    }

    /// The statements that write and read the offset of the projection `name`.
    /// Exposed, like [`Neo4jGraph::statements_for`], so that the tests check them with
    /// Neo4j's parser.
    pub fn offset_statements(name: &str, checkpoint: u64) -> Result<[Statement; 2], GraphError> {
        let o = node::<IndexerOffset>("o");
        Ok([
            Query::new()
                .merge(o.clone().with(IndexerOffset::NAME, name))
                .set(o.set(IndexerOffset::POSITION, checkpoint as i64))
                .build()?,
            match_(o.clone().with(IndexerOffset::NAME, name))
                .return_(o.prop(IndexerOffset::POSITION).alias("position"))
                .build()?,
        ])
    }

    /// The position recorded for the projection `name` (0 when none is).
    pub async fn offset(&self, name: &str) -> Result<u64, GraphError> {
        let [_, read] = Self::offset_statements(name, 0)?;
        let rows = self.rows(&read).await?;
        Ok(rows
            .first()
            .and_then(|r| r.get::<i64>("position").ok())
            .map_or(0, |p| p.max(0) as u64))
    }

    /// Applies events in order.
    pub async fn apply(&mut self, events: &[Event]) -> Result<(), GraphError> {
        for e in events {
            for s in self.statements_for(e)? {
                self.run(&s).await?;
            }
        }
        Ok(())
    }

    /// `WHERE` for the machines counted: live, in the hit set, and every selection but
    /// `except`'s.
    fn filter(m: &NodeVar<Machine>, sel: &Selections, except: Except, rates: &Rates) -> Expr<Bool> {
        let mut conds = vec![m.prop(Machine::STATUS).eq("live")];
        if !sel.categories.is_empty() && except != Except::Category {
            let c = node::<Category>("fc");
            let ids: Vec<String> = sel.categories.iter().map(|c| c.to_string()).collect();
            conds.push(exists(
                path(&m.bare())
                    .out(rel::<BelongsToCategory>(), &anon::<Category>())
                    .out(rel::<SubcategoryOf>().min_hops(0), &c),
                Some(c.prop(Category::ID).in_list(ids)),
            ));
        }
        if !sel.makers.is_empty() && except != Except::Maker {
            let k = node::<Maker>("fk");
            let ids: Vec<String> = sel.makers.iter().map(|c| c.to_string()).collect();
            conds.push(exists(
                path(&m.bare())
                    .out(rel::<IsOfModel>(), &anon::<Model>())
                    .in_(rel::<MadeModel>(), &k),
                Some(k.prop(Maker::ID).in_list(ids)),
            ));
        }
        if !sel.models.is_empty() && except != Except::Model {
            let mo = node::<Model>("fm");
            let ids: Vec<String> = sel.models.iter().map(|c| c.to_string()).collect();
            conds.push(exists(
                path(&m.bare()).out(rel::<IsOfModel>(), &mo),
                Some(mo.prop(Model::ID).in_list(ids)),
            ));
        }
        for (i, (spec, f)) in sel.specs.iter().enumerate() {
            if except == Except::Spec(i) {
                continue;
            }
            let s = node::<Spec>("fs");
            let cond = match f {
                NumberFilter::Range(r) => {
                    let v = s.prop(Spec::NUMBER);
                    let mut parts = vec![v.clone().is_not_null()];
                    parts.extend(r.min.map(|x| v.clone().ge(x)));
                    parts.extend(r.max.map(|x| v.clone().le(x)));
                    Expr::all(parts)
                }
                NumberFilter::Text(opts) => s.prop(Spec::TEXT).in_list(opts.clone()),
            };
            conds.push(exists(
                path(&m.bare())
                    .out(rel::<IsOfModel>(), &anon::<Model>())
                    .out(rel::<HasSpec>(), &s)
                    .out(
                        rel::<BelongsToSpecCategory>(),
                        &anon::<SpecCategory>().with(SpecCategory::ID, spec.as_str()),
                    ),
                Some(cond),
            ));
        }
        let mut range = |i: usize, e: Expr<Float>, min: Option<f64>, max: Option<f64>| {
            if except != Except::Attribute(i) {
                conds.extend(min.map(|x| e.clone().ge(x)));
                conds.extend(max.map(|x| e.clone().le(x)));
            }
        };
        let year: Expr<Float> = m.prop(Machine::YEAR).into_expr();
        let hours: Expr<Float> = m.prop(Machine::HOURS).into_expr();
        range(
            0,
            year,
            sel.year.min.map(f64::from),
            sel.year.max.map(f64::from),
        );
        range(
            1,
            hours,
            sel.hours.min.map(f64::from),
            sel.hours.max.map(f64::from),
        );
        if !sel.price_usd.is_open() {
            range(2, price_usd(m, rates), sel.price_usd.min, sel.price_usd.max);
        }
        Expr::all(conds)
    }

    /// The machines to count: the hit set, or all.
    fn base(
        hits: Option<&RoaringBitmap>,
        m: &NodeVar<Machine>,
        sel: &Selections,
        except: Except,
        rates: &Rates,
    ) -> Query<query_dsl::query::state::Matched> {
        match hits {
            Some(h) => {
                let keys: Vec<i64> = h.iter().map(i64::from).collect();
                let (q, k) = Query::new().unwind::<Int>(keys, "k");
                q.match_(m.clone().with(Machine::KEY, k))
            }
            None => match_(m),
        }
        .where_(Self::filter(m, sel, except, rates))
    }

    /// Rows with an `id` column, as a map from id to a name read from the row.
    async fn names_by_id(
        &self,
        s: &Statement,
        name: impl Fn(&Row, &str) -> String,
    ) -> Result<HashMap<String, String>, GraphError> {
        Ok(self
            .rows(s)
            .await?
            .into_iter()
            .filter_map(|r| {
                let id = r.get::<String>("id").ok()?;
                let n = name(&r, &id);
                Some((id, n))
            })
            .collect())
    }

    async fn pairs(&self, s: &Statement) -> Result<Vec<(String, u64)>, GraphError> {
        Ok(self
            .rows(s)
            .await?
            .into_iter()
            .filter_map(|r| Some((r.get::<String>("id").ok()?, r.get::<i64>("n").ok()? as u64)))
            .collect())
    }

    async fn values(&self, s: &Statement) -> Result<Vec<(f64, u64)>, GraphError> {
        Ok(self
            .rows(s)
            .await?
            .into_iter()
            .filter_map(|r| {
                let v = r
                    .get::<f64>("v")
                    .ok()
                    .or_else(|| r.get::<i64>("v").ok().map(|i| i as f64))?;
                Some((v, r.get::<i64>("n").ok()? as u64))
            })
            .collect())
    }

    /// The same answer as [`super::EmbeddedGraph::facets`], computed by the server.
    pub async fn facets(&self, req: &FacetRequest<'_>) -> Result<Facets, GraphError> {
        let sel = &req.selections;
        let m = node::<Machine>("m");
        let base = |except| Self::base(req.hits, &m, sel, except, &req.rates);

        let key = m.prop(Machine::KEY).alias("key");
        let matching: RoaringBitmap = self
            .rows(&base(Except::Nothing).return_(key).build()?)
            .await?
            .into_iter()
            .filter_map(|r| r.get::<i64>("key").ok().map(|k| k as u32))
            .collect();

        let c = node::<Category>("c");
        let cats = self
            .pairs(
                &base(Except::Category)
                    .match_(
                        path(&m.bare())
                            .out(rel::<BelongsToCategory>(), &anon::<Category>())
                            .out(rel::<SubcategoryOf>().min_hops(0), &c),
                    )
                    .return_((
                        c.prop(Category::ID).alias("id"),
                        count_distinct(m.expr()).alias("n"),
                    ))
                    .build()?,
            )
            .await?;
        let k = node::<Maker>("k");
        let makers = self
            .pairs(
                &base(Except::Maker)
                    .match_(
                        path(&m.bare())
                            .out(rel::<IsOfModel>(), &anon::<Model>())
                            .in_(rel::<MadeModel>(), &k),
                    )
                    .return_((k.prop(Maker::ID).alias("id"), count(m.expr()).alias("n")))
                    .build()?,
            )
            .await?;
        let mo = node::<Model>("mo");
        let models = self
            .pairs(
                &base(Except::Model)
                    .match_(path(&m.bare()).out(rel::<IsOfModel>(), &mo))
                    .return_((mo.prop(Model::ID).alias("id"), count(m.expr()).alias("n")))
                    .build()?,
            )
            .await?;

        let mut specs = Vec::new();
        for spec in &req.spec_facets {
            let own = sel
                .specs
                .iter()
                .position(|(s, _)| s == spec)
                .map_or(Except::Nothing, Except::Spec);
            let s = node::<Spec>("s");
            let values = self
                .values(
                    &base(own)
                        .match_(
                            path(&m.bare())
                                .out(rel::<IsOfModel>(), &anon::<Model>())
                                .out(rel::<HasSpec>(), &s)
                                .out(
                                    rel::<BelongsToSpecCategory>(),
                                    &anon::<SpecCategory>().with(SpecCategory::ID, spec.as_str()),
                                ),
                        )
                        .where_(s.prop(Spec::NUMBER).is_not_null())
                        .return_((s.prop(Spec::NUMBER).alias("v"), count(m.expr()).alias("n")))
                        .build()?,
                )
                .await?;
            let mut h = histogram(&values, req.buckets);
            h.id = spec.to_string();
            specs.push(h);
        }
        let mut attributes = Vec::new();
        if req.attribute_facets {
            let fields: [(&str, Expr<Any>); 3] = [
                ("year", m.prop(Machine::YEAR).any()),
                ("hours", m.prop(Machine::HOURS).any()),
                ("price_usd", price_usd(&m, &req.rates).any()),
            ];
            for (i, (id, v)) in fields.into_iter().enumerate() {
                let values = self
                    .values(
                        &base(Except::Attribute(i))
                            .with((v.alias("v"), count_star().alias("n")))
                            .where_(var::<Any>("v").is_not_null())
                            .return_((var::<Any>("v"), var::<Int>("n")))
                            .build()?,
                    )
                    .await?;
                let mut h: SpecFacet = histogram(&values, req.buckets);
                h.id = id.to_owned();
                attributes.push(h);
            }
        }

        // Names and parents, in the buyer's language.
        let lang = req.lang;
        let p = node::<Category>("p");
        let cat_rows = self
            .rows(
                &match_(&c)
                    .optional_match(path(&c.bare()).out(rel::<SubcategoryOf>(), &p))
                    .return_((
                        c.prop(Category::ID).alias("id"),
                        c.prop(Category::NAMES).alias("names"),
                        p.prop(Category::ID).alias("parent"),
                    ))
                    .build()?,
            )
            .await?;
        let mut cat_info: HashMap<String, (String, Option<String>)> = HashMap::new();
        for r in cat_rows {
            let Ok(id) = r.get::<String>("id") else {
                continue;
            };
            let name = text_name(r.get::<String>("names").ok(), &id, lang);
            cat_info.insert(id, (name, r.get::<String>("parent").ok()));
        }
        let maker_names = self
            .names_by_id(
                &match_(&k)
                    .return_((
                        k.prop(Maker::ID).alias("id"),
                        k.prop(Maker::NAMES).alias("names"),
                    ))
                    .build()?,
                |r, id| text_name(r.get::<String>("names").ok(), id, lang),
            )
            .await?;
        let model_names = self
            .names_by_id(
                &match_(&mo)
                    .return_((
                        mo.prop(Model::ID).alias("id"),
                        mo.prop(Model::NAME).alias("name"),
                    ))
                    .build()?,
                |r, id| r.get::<String>("name").unwrap_or_else(|_| id.to_owned()),
            )
            .await?;

        let to_counts = |pairs: Vec<(String, u64)>,
                         names: &dyn Fn(&str) -> (String, Option<String>)| {
            ordered(
                pairs
                    .into_iter()
                    .map(|(id, count)| {
                        let (name, parent) = names(&id);
                        FacetCount {
                            id,
                            name,
                            parent,
                            count,
                        }
                    })
                    .collect(),
            )
        };
        Ok(Facets {
            matching,
            categories: to_counts(cats, &|id| {
                cat_info
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| (id.to_owned(), None))
            }),
            makers: to_counts(makers, &|id| {
                (
                    maker_names
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| id.to_owned()),
                    None,
                )
            }),
            models: to_counts(models, &|id| {
                (
                    model_names
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| id.to_owned()),
                    None,
                )
            }),
            specs,
            attributes,
        })
    }
}

/// A row with `id` and `n` columns as a facet count, named by `name`.
fn count_row(r: &Row, name: impl FnOnce(&Row, &str) -> Option<String>) -> Option<FacetCount> {
    let id = r.get::<String>("id").ok()?;
    Some(FacetCount {
        name: name(r, &id)?,
        count: r.get::<i64>("n").ok()? as u64,
        parent: None,
        id,
    })
}

fn text_name(json: Option<String>, id: &str, lang: Lang) -> String {
    json.and_then(|j| serde_json::from_str::<Text>(&j).ok())
        .map_or_else(|| id.to_owned(), |t| t.best(lang).to_owned())
}

impl Neo4jGraph {
    /// See [`super::EmbeddedGraph::category_tree`].
    pub async fn category_tree(&self, lang: Lang) -> Result<Vec<super::CategoryTree>, GraphError> {
        let c = node::<Category>("c");
        let p = node::<Category>("p");
        let rows = self
            .rows(
                &match_(&c)
                    .where_(c.prop(Category::NAMES).is_not_null())
                    .optional_match(path(&c.bare()).out(rel::<SubcategoryOf>(), &p))
                    .return_((
                        c.prop(Category::ID).alias("id"),
                        c.prop(Category::NAMES).alias("names"),
                        p.prop(Category::ID).alias("parent"),
                    ))
                    .build()?,
            )
            .await?;
        let m = node::<Machine>("m");
        let counts: HashMap<String, u64> = self
            .pairs(
                &match_(
                    path(&m)
                        .out(rel::<BelongsToCategory>(), &anon::<Category>())
                        .out(rel::<SubcategoryOf>().min_hops(0), &c),
                )
                .where_(m.prop(Machine::STATUS).eq("live"))
                .return_((
                    c.prop(Category::ID).alias("id"),
                    count_distinct(m.expr()).alias("n"),
                ))
                .build()?,
            )
            .await?
            .into_iter()
            .collect();
        let nodes: Vec<super::browse::TreeNode> = rows
            .into_iter()
            .filter_map(|r| {
                let id = r.get::<String>("id").ok()?;
                Some(super::browse::TreeNode {
                    name: text_name(r.get::<String>("names").ok(), &id, lang),
                    parent: r.get::<String>("parent").ok(),
                    count: counts.get(&id).copied().unwrap_or(0),
                    id,
                })
            })
            .collect();
        Ok(super::browse::build_tree(&nodes))
    }

    /// See [`super::EmbeddedGraph::makers`].
    pub async fn makers(&self, lang: Lang) -> Result<Vec<FacetCount>, GraphError> {
        let k = node::<Maker>("k");
        let m = node::<Machine>("m").with(Machine::STATUS, "live");
        let rows = self
            .rows(
                &match_(&k)
                    .where_(k.prop(Maker::NAMES).is_not_null())
                    .optional_match(
                        path(&k.bare())
                            .out(rel::<MadeModel>(), &anon::<Model>())
                            .in_(rel::<IsOfModel>(), &m),
                    )
                    .return_((
                        k.prop(Maker::ID).alias("id"),
                        k.prop(Maker::NAMES).alias("names"),
                        count(m.expr()).alias("n"),
                    ))
                    .build()?,
            )
            .await?;
        let mut out: Vec<FacetCount> = rows
            .iter()
            .filter_map(|r| {
                count_row(r, |r, id| {
                    Some(text_name(r.get::<String>("names").ok(), id, lang))
                })
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// See [`super::EmbeddedGraph::maker_models`].
    pub async fn maker_models(
        &self,
        maker_id: &str,
    ) -> Result<Option<Vec<FacetCount>>, GraphError> {
        let k = node::<Maker>("k").with(Maker::ID, maker_id);
        let found = self
            .rows(
                &match_(&k)
                    .where_(k.prop(Maker::NAMES).is_not_null())
                    .return_(count_star().alias("n"))
                    .build()?,
            )
            .await?;
        if found
            .first()
            .and_then(|r| r.get::<i64>("n").ok())
            .unwrap_or(0)
            == 0
        {
            return Ok(None);
        }
        let mo = node::<Model>("mo");
        let m = node::<Machine>("m").with(Machine::STATUS, "live");
        let rows = self
            .rows(
                &match_(path(&k).out(rel::<MadeModel>(), &mo))
                    .where_(mo.prop(Model::NAME).is_not_null())
                    .optional_match(path(&mo.bare()).in_(rel::<IsOfModel>(), &m))
                    .return_((
                        mo.prop(Model::ID).alias("id"),
                        mo.prop(Model::NAME).alias("name"),
                        count(m.expr()).alias("n"),
                    ))
                    .build()?,
            )
            .await?;
        let mut out: Vec<FacetCount> = rows
            .iter()
            .filter_map(|r| count_row(r, |r, _| r.get::<String>("name").ok()))
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(out))
    }

    /// See [`super::EmbeddedGraph::model`].
    pub async fn model(
        &self,
        model_id: &str,
        lang: Lang,
    ) -> Result<Option<super::ModelView>, GraphError> {
        let mo = node::<Model>("mo").with(Model::ID, model_id);
        let k = node::<Maker>("k");
        let c = node::<Category>("c");
        let m = node::<Machine>("m").with(Machine::STATUS, "live");
        let rows = self
            .rows(
                &match_(&mo)
                    .where_(mo.prop(Model::NAME).is_not_null())
                    .optional_match(path(&k).out(rel::<MadeModel>(), &mo.bare()))
                    .optional_match(c.clone().with(Category::ID, mo.prop(Model::CATEGORY)))
                    .optional_match(path(&mo.bare()).in_(rel::<IsOfModel>(), &m))
                    .return_((
                        mo.prop(Model::NAME).alias("name"),
                        mo.prop(Model::CATEGORY).alias("category"),
                        c.prop(Category::NAMES).alias("category_names"),
                        k.prop(Maker::ID).alias("maker"),
                        k.prop(Maker::NAMES).alias("maker_names"),
                        count(m.expr()).alias("n"),
                    ))
                    .build()?,
            )
            .await?;
        let Some(r) = rows.into_iter().next() else {
            return Ok(None);
        };
        let Ok(name) = r.get::<String>("name") else {
            return Ok(None);
        };
        let maker = r.get::<String>("maker").ok().map(|id| {
            let n = text_name(r.get::<String>("maker_names").ok(), &id, lang);
            (id, n)
        });
        let category = r.get::<String>("category").ok().map(|id| {
            let n = text_name(r.get::<String>("category_names").ok(), &id, lang);
            (id, n)
        });
        let s = node::<Spec>("s");
        let sc = node::<SpecCategory>("sc");
        let spec_rows = self
            .rows(
                &match_(
                    path(&mo)
                        .out(rel::<HasSpec>(), &s)
                        .out(rel::<BelongsToSpecCategory>(), &sc),
                )
                .return_((
                    sc.prop(SpecCategory::ID).alias("id"),
                    sc.prop(SpecCategory::NAMES).alias("names"),
                    sc.prop(SpecCategory::UNIT).alias("unit"),
                    s.prop(Spec::NUMBER).alias("number"),
                    s.prop(Spec::TEXT).alias("text"),
                ))
                .build()?,
            )
            .await?;
        let mut specs: Vec<super::SpecView> = spec_rows
            .into_iter()
            .filter_map(|r| {
                let id = r.get::<String>("id").ok()?;
                let value = match (r.get::<f64>("number"), r.get::<String>("text")) {
                    (Ok(n), _) => SpecValue::Number(n),
                    (_, Ok(t)) => SpecValue::Text(t),
                    _ => return None,
                };
                let names = r.get::<String>("names").ok();
                Some(super::SpecView {
                    name: text_name(names, &id, lang),
                    unit: r.get::<String>("unit").ok(),
                    id,
                    value,
                })
            })
            .collect();
        specs.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Some(super::ModelView {
            id: model_id.to_owned(),
            name,
            maker,
            category,
            specs,
            live: r.get::<i64>("n").unwrap_or(0) as u64,
        }))
    }

    /// See [`super::EmbeddedGraph::same_model`].
    pub async fn same_model(
        &self,
        machine_id: &str,
        limit: usize,
    ) -> Result<Vec<String>, GraphError> {
        let x = node::<Machine>("x").with(Machine::ID, machine_id);
        let m = node::<Machine>("m").with(Machine::STATUS, "live");
        let rows = self
            .rows(
                &match_(
                    path(&x)
                        .out(rel::<IsOfModel>(), &anon::<Model>())
                        .in_(rel::<IsOfModel>(), &m),
                )
                .where_(m.prop(Machine::ID).ne(machine_id))
                .return_(m.prop(Machine::ID).alias("id"))
                .order_by(m.prop(Machine::KEY).desc())
                .limit(limit as i64)
                .build()?,
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.get::<String>("id").ok())
            .collect())
    }
}
