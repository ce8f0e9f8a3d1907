//! Events as Cypher writes, and the projection's offset written with them.

use super::{Neo4jConfig, Neo4jGraph};
use crate::graph::contract::GraphError;
use crate::graph::embedded::Interner;
use query_dsl::functions::coalesce;
use query_dsl::types::{Any, Float, Int, Str};
use query_dsl::{anon, exists, match_, node, param, path, rel, var, Expr, Query, Statement, Value};
use std::collections::BTreeMap;
use stockyard_schema::domain::{Patch, SpecValue};
use stockyard_schema::graph::{
    BelongsToCategory, BelongsToSpecCategory, Category, HasSpec, IndexerOffset, IsOfModel, Machine,
    MadeModel, Maker, Model, Spec, SpecCategory, SubcategoryOf,
};
use stockyard_schema::{Event, Payload, Text};

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

/// Writes events into the graph on a Bolt server. Machines get the text index's dense
/// keys in the order they are first listed, so the writer loads the keys already
/// assigned when it connects and assigns the next ones; readers ([`Neo4jGraph`]) never
/// need them.
pub struct Neo4jWriter {
    graph: Neo4jGraph,
    keys: Interner,
}

impl Neo4jWriter {
    /// Connects, creates the id constraints (idempotent) and loads the machine keys
    /// already assigned.
    pub async fn connect(cfg: &Neo4jConfig) -> Result<Neo4jWriter, GraphError> {
        let mut w = Neo4jWriter {
            graph: Neo4jGraph::connect(cfg).await?,
            keys: Interner::default(),
        };
        for s in Self::schema_statements()? {
            w.graph.run(&s).await?;
        }
        // In key order, so that new keys follow them.
        let m = node::<Machine>("m");
        let rows = w
            .graph
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
                w.keys.intern(&id);
            }
        }
        Ok(w)
    }

    /// The constraints on ids the store relies on.
    fn schema_statements() -> Result<Vec<Statement>, GraphError> {
        Ok(vec![
            Statement::unique_constraint("machine_id", Machine::ID)?,
            // Facets look machines up by the keys of a hit set.
            Statement::unique_constraint("machine_key", Machine::KEY)?,
            Statement::unique_constraint("model_id", Model::ID)?,
            Statement::unique_constraint("maker_id", Maker::ID)?,
            Statement::unique_constraint("category_id", Category::ID)?,
            Statement::unique_constraint("spec_category_id", SpecCategory::ID)?,
            Statement::unique_constraint("spec_id", Spec::ID)?,
        ])
    }

    /// The connection the writer sends through, to ask the graph's questions too.
    pub fn graph(&self) -> &Neo4jGraph {
        &self.graph
    }

    /// Starts keeping every statement sent; see [`Neo4jGraph::recorded`].
    pub fn record_statements(&mut self) {
        self.graph.record_statements();
    }

    /// The dense key of a machine (the text index's), assigned on first sight.
    pub fn machine_key(&mut self, machine_id: &str) -> u32 {
        self.keys.intern(machine_id)
    }

    /// Removes the whole catalog (before a rebuild).
    pub async fn clear(&mut self) -> Result<(), GraphError> {
        let n = query_dsl::any_node("n");
        self.graph
            .run(&match_(&n).detach_delete(&n).build()?)
            .await?;
        self.keys = Interner::default();
        Ok(())
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
            // Prices are stored as listed and converted when a search runs; synonyms
            // are applied to words when a search runs, from the embedded graph.
            Payload::CurrencyRatesPublished(_)
            | Payload::SynonymsDefined(_)
            | Payload::SynonymsRemoved(_) => {}
            // Buyers' searches and watches are the alerts' concern, not the catalog's.
            Payload::SavedSearchCreated(_)
            | Payload::SavedSearchDeleted(_)
            | Payload::MachineWatched(_)
            | Payload::MachineUnwatched(_) => {}
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
        let [write, _] = Neo4jGraph::offset_statements(name, checkpoint)?;
        statements.push(write);
        let begin = |e: neo4rs::Error| GraphError::Unreachable {
            uri: self.graph.uri.clone(),
            reason: e.to_string(),
        };
        let mut txn = self.graph.graph.start_txn().await.map_err(begin)?;
        for s in &statements {
            self.graph.note(s);
            if let Err(e) = txn.run(s.into()).await {
                let _ = txn.rollback().await;
                return Err(self.graph.failure(s, e));
            }
        }
        txn.commit().await.map_err(|e| GraphError::Unreachable {
            uri: self.graph.uri.clone(),
            reason: format!("commit: {e}"),
        })
    }

    /// Applies events in order.
    pub async fn apply(&mut self, events: &[Event]) -> Result<(), GraphError> {
        for e in events {
            for s in self.statements_for(e)? {
                self.graph.run(&s).await?;
            }
        }
        Ok(())
    }
}

impl Neo4jGraph {
    /// The statements that write and read the offset of the projection `name`.
    /// Exposed, like [`Neo4jWriter::statements_for`], so that the tests check them with
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
}
