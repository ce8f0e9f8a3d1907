//! Facets on the server in one statement: the hit set is sent once and collected, then
//! one `CALL {}` subquery per group (the filtered hit set, categories, makers, models,
//! each spec histogram and attribute) counts what it must and returns its values with
//! their names, so a search costs one round trip and reads names only for the ids it
//! returns.

use super::{text_name, Neo4jGraph};
use crate::currency::Rates;
use crate::graph::contract::{
    histogram, ordered, Except, FacetCount, FacetRequest, Facets, GraphError, NumberFilter,
    Selections, SpecFacet, ATTRIBUTES,
};
use query_dsl::functions::{coalesce, collect, count_star, size, sum};
use query_dsl::query::state::Projected;
use query_dsl::types::{Any, Bool, Float, Int, List, Map, Node, Str};
use query_dsl::{
    anon, case_of, exists, map, match_, node, param, path, rel, var, Expr, IntoExpr, Item, NodeVar,
    Query, Statement,
};
use roaring::RoaringBitmap;
use serde::Deserialize;
use stockyard_schema::graph::{
    BelongsToCategory, BelongsToSpecCategory, Category, HasSpec, IsOfModel, Machine, MadeModel,
    Maker, Model, Spec, SpecCategory, SubcategoryOf,
};
use stockyard_schema::Lang;

/// A value as the server sends it: years and hours are integers, the rest floats.
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    fn get(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
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

/// Conditions with the selection group each belongs to.
type Conditions = Vec<(Except, Expr<Bool>)>;

/// Each selection as a condition, with the group it belongs to. Category, maker, model
/// and spec selections depend only on a machine's own category link `c0` and its model
/// `mo`, so the statement tests them once per (model, category) pair; the ranges are
/// properties of the machine `m`. The answers are kept as flags, so that a group's
/// count (which applies every selection but its own) reads flags instead of matching
/// patterns again.
fn conditions(
    m: &NodeVar<Machine>,
    mo: &NodeVar<Model>,
    c0: &NodeVar<Category>,
    sel: &Selections,
    rates: &Rates,
) -> (Conditions, Conditions) {
    let mut catalog = Vec::new();
    if !sel.categories.is_empty() {
        let c = node::<Category>("fc");
        let ids: Vec<String> = sel.categories.iter().map(|c| c.to_string()).collect();
        catalog.push((
            Except::Category,
            exists(
                path(&c0.bare()).out(rel::<SubcategoryOf>().min_hops(0), &c),
                Some(c.prop(Category::ID).in_list(ids)),
            ),
        ));
    }
    if !sel.makers.is_empty() {
        let k = node::<Maker>("fk");
        let ids: Vec<String> = sel.makers.iter().map(|c| c.to_string()).collect();
        catalog.push((
            Except::Maker,
            exists(
                path(&mo.bare()).in_(rel::<MadeModel>(), &k),
                Some(k.prop(Maker::ID).in_list(ids)),
            ),
        ));
    }
    if !sel.models.is_empty() {
        let ids: Vec<String> = sel.models.iter().map(|c| c.to_string()).collect();
        catalog.push((Except::Model, mo.prop(Model::ID).in_list(ids)));
    }
    for (i, (spec, f)) in sel.specs.iter().enumerate() {
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
        catalog.push((
            Except::Spec(i),
            exists(
                path(&mo.bare()).out(rel::<HasSpec>(), &s).out(
                    rel::<BelongsToSpecCategory>(),
                    &anon::<SpecCategory>().with(SpecCategory::ID, spec.as_str()),
                ),
                Some(cond),
            ),
        ));
    }
    let mut machine = Vec::new();
    let ranges: [(Expr<Float>, Option<f64>, Option<f64>); 3] = [
        (
            m.prop(Machine::YEAR).into_expr(),
            sel.year.min.map(f64::from),
            sel.year.max.map(f64::from),
        ),
        (
            m.prop(Machine::HOURS).into_expr(),
            sel.hours.min.map(f64::from),
            sel.hours.max.map(f64::from),
        ),
        (price_usd(m, rates), sel.price_usd.min, sel.price_usd.max),
    ];
    for (i, (e, min, max)) in ranges.into_iter().enumerate() {
        let mut parts: Vec<Expr<Bool>> = Vec::new();
        parts.extend(min.map(|x| e.clone().ge(x)));
        parts.extend(max.map(|x| e.clone().le(x)));
        if !parts.is_empty() {
            machine.push((Except::Attribute(i), Expr::all(parts)));
        }
    }
    (catalog, machine)
}

/// The name of the flag holding the answer to the `i`th condition.
fn flag(i: usize) -> String {
    format!("f{i}")
}

/// `CALL { WITH hits UNWIND hits AS h WITH h WHERE <flags of every group but except's>
/// … }`: the start of a subquery over the collected hit set.
fn over_hits(groups: &[Except], except: Except) -> (Query<Projected>, Expr<Map>) {
    let hits = var::<List<Map>>("hits");
    let (q, h) = Query::new().with(hits.clone()).unwind(hits, "h");
    let flags = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| **g != except)
        .map(|(i, _)| h.clone().key(&flag(i)).eq(param(true).any()));
    (q.with(h.clone()).where_(Expr::all(flags)), h)
}

/// How the hit set is sent: as keys to look up one by one, or, when it holds nearly
/// every key up to its largest, as the few keys it lacks (a scan with a short
/// exclusion list costs the server far less than thousands of index lookups).
enum HitList {
    Keys,
    AllBut { last: i64, missing: Vec<i64> },
}

/// Most keys a dense hit set may lack to be sent as [`HitList::AllBut`].
const MOST_MISSING: u64 = 1024;

impl HitList {
    fn of(hits: &RoaringBitmap) -> HitList {
        let Some(last) = hits.max() else {
            return HitList::Keys;
        };
        let lacking = u64::from(last) + 1 - hits.len();
        if lacking > MOST_MISSING || lacking * 8 > hits.len() {
            return HitList::Keys;
        }
        let mut missing = RoaringBitmap::new();
        missing.insert_range(0..last);
        missing -= hits;
        HitList::AllBut {
            last: i64::from(last),
            missing: missing.iter().map(i64::from).collect(),
        }
    }
}

/// What one row of the collected hit set stands for.
#[derive(Clone, Copy, PartialEq)]
enum Rows {
    /// A (model, category) pair with its keys (`keys`) and their number: enough when
    /// nothing depends on a machine's own properties (no year, hours or price range,
    /// no histogram of them), since every machine of a pair then counts alike; a few
    /// hundred rows instead of one per hit.
    Pairs,
    /// One machine (`key`, `n` = 1) with its year, hours, price and range flags.
    Machines,
}

/// A column of the facets row, or why it could not be read.
fn column<T: serde::de::DeserializeOwned>(
    row: &neo4rs::Row,
    statement: &Statement,
    name: &str,
) -> Result<T, GraphError> {
    row.get::<T>(name).map_err(|e| GraphError::Statement {
        statement: statement.cypher().to_owned(),
        reason: format!("column {name}: {e}"),
    })
}

/// `collect(e₁) AS group_f₁, collect(e₂) AS group_f₂, …`: a group's values as parallel
/// lists, one per field. Against a list of maps this spares the server and the driver a
/// key string and a map per value (the statement of the 10 % row of
/// `benches/facets_neo4j` took 4.2 ms instead of 4.8, timed from Python). `collect`
/// skips nulls, which would shift one list against the others, so a field that may
/// be null is sent through [`or_empty`].
/// The names of the lists go to `returned`, for the statement's final `RETURN`.
fn columns(group: &str, fields: Vec<(&str, Expr<Any>)>, returned: &mut Vec<String>) -> Vec<Item> {
    fields
        .into_iter()
        .map(|(field, e)| {
            let name = format!("{group}_{field}");
            let item = collect(e).alias(&name).into();
            returned.push(name);
            item
        })
        .collect()
}

/// `coalesce(e, '')`: a nullable text as a text that is never null (ids are never empty).
fn or_empty(e: Expr<Str>) -> Expr<Any> {
    coalesce(e, [IntoExpr::<Str>::into_expr("")]).any()
}

/// Reads back the lists of [`columns`].
struct Reader<'a> {
    row: &'a neo4rs::Row,
    statement: &'a Statement,
}

impl Reader<'_> {
    fn list<T: serde::de::DeserializeOwned>(
        &self,
        group: &str,
        field: &str,
    ) -> Result<Vec<T>, GraphError> {
        column(self.row, self.statement, &format!("{group}_{field}"))
    }

    /// Fails unless a group's lists, of `lengths`, are parallel: zipped, a shorter
    /// one would silently drop values.
    fn parallel(&self, group: &str, lengths: &[usize]) -> Result<(), GraphError> {
        if lengths.windows(2).all(|w| w[0] == w[1]) {
            return Ok(());
        }
        Err(GraphError::Statement {
            statement: self.statement.cypher().to_owned(),
            reason: format!("the lists of {group} differ in length: {lengths:?}"),
        })
    }

    /// A group's counted values. Of the optional fields, the group sent those in
    /// `has`: `names` (multilingual names as JSON), `name` (a model's number) and
    /// `parent` (a category's parent).
    fn counts(&self, group: &str, has: &[&str], lang: Lang) -> Result<Vec<FacetCount>, GraphError> {
        let ids: Vec<String> = self.list(group, "id")?;
        let ns: Vec<i64> = self.list(group, "n")?;
        let optional = |field| -> Result<Vec<Option<String>>, GraphError> {
            if !has.contains(&field) {
                return Ok(vec![None; ids.len()]);
            }
            let texts: Vec<String> = self.list(group, field)?;
            Ok(texts
                .into_iter()
                .map(|s| Some(s).filter(|s| !s.is_empty()))
                .collect())
        };
        let (names, name, parent) = (optional("names")?, optional("name")?, optional("parent")?);
        self.parallel(
            group,
            &[ids.len(), ns.len(), names.len(), name.len(), parent.len()],
        )?;
        Ok(ordered(
            ids.into_iter()
                .zip(ns)
                .zip(names.into_iter().zip(name).zip(parent))
                .map(|((id, n), ((names, name), parent))| FacetCount {
                    name: name.unwrap_or_else(|| text_name(names, &id, lang)),
                    parent,
                    count: n.max(0) as u64,
                    id,
                })
                .collect(),
        ))
    }

    /// A histogram's values with how many machines have each.
    fn values(&self, group: &str) -> Result<Vec<(f64, u64)>, GraphError> {
        let vs: Vec<Number> = self.list(group, "v")?;
        let ns: Vec<i64> = self.list(group, "n")?;
        self.parallel(group, &[vs.len(), ns.len()])?;
        Ok(vs
            .into_iter()
            .zip(ns)
            .map(|(v, n)| (v.get(), n.max(0) as u64))
            .collect())
    }
}

impl Neo4jGraph {
    /// The statement of [`Neo4jGraph::facets`] (the conformance suite checks every
    /// statement sent with Neo4j's parser).
    ///
    /// The hits are grouped by (model, own category link) once up front, and the
    /// catalog selections tested once per pair. Each row of the collected set is then
    /// a pair or a machine (see [`Rows`]): its model, category, weight, flags and, per
    /// machine, year, hours and dollar price. The groups count from those maps, by model or category first, and only then follow the
    /// graph from the few distinct models and categories (to makers, the category
    /// tree, specs), so that no pattern is matched once per hit per group.
    fn facets_statement(req: &FacetRequest<'_>) -> Result<Statement, GraphError> {
        let sel = &req.selections;
        let rates = &req.rates;
        let m = node::<Machine>("m");
        let mo = node::<Model>("mo");
        let c0 = node::<Category>("c0");
        let live = m.prop(Machine::STATUS).eq("live");
        let start = match req.hits.map(|h| (h, HitList::of(h))) {
            Some((h, HitList::Keys)) => {
                let keys: Vec<i64> = h.iter().map(i64::from).collect();
                let (q, k) = Query::new().unwind::<Int>(keys, "k");
                q.match_(m.clone().with(Machine::KEY, k)).where_(live)
            }
            Some((_, HitList::AllBut { last, missing })) => {
                let key: Expr<Int> = m.prop(Machine::KEY).into_expr();
                match_(&m).where_(Expr::all([
                    live,
                    key.clone().le(last),
                    !key.in_list(missing),
                ]))
            }
            None => match_(&m).where_(live),
        }
        .optional_match(path(&m.bare()).out(rel::<IsOfModel>(), &mo))
        .optional_match(path(&m.bare()).out(rel::<BelongsToCategory>(), &c0));
        let (catalog, machine) = conditions(&m, &mo, &c0, sel, rates);
        let groups: Vec<Except> = catalog.iter().chain(&machine).map(|(g, _)| *g).collect();
        let shape = if machine.is_empty() && !req.attribute_facets {
            Rows::Pairs
        } else {
            Rows::Machines
        };
        let per_pair = shape == Rows::Pairs;
        // The catalog conditions, once per (model, category) pair of the hits.
        let ms = var::<List<Node>>("ms");
        let keys = var::<List<Int>>("keys");
        let members: Item = if per_pair {
            collect::<Int>(m.prop(Machine::KEY).into_expr())
                .alias("keys")
                .into()
        } else {
            collect(m.expr()).alias("ms").into()
        };
        let mut pair: Vec<Item> = vec![
            mo.expr().into(),
            c0.expr().into(),
            if per_pair {
                keys.clone().into()
            } else {
                ms.clone().into()
            },
        ];
        pair.extend(
            catalog
                .into_iter()
                .enumerate()
                .map(|(i, (_, c))| c.alias(&flag(i)).into()),
        );
        let start = start
            .with(vec![Item::from(mo.expr()), c0.expr().into(), members])
            .with(pair);
        let first_machine_flag = groups.len() - machine.len();
        let mut entries = vec![
            ("mo".to_owned(), mo.expr().any()),
            ("c0".to_owned(), c0.expr().any()),
        ];
        entries.extend((0..first_machine_flag).map(|i| (flag(i), var::<Any>(&flag(i)))));
        let rows = if per_pair {
            entries.push(("keys".to_owned(), keys.clone().any()));
            entries.push(("n".to_owned(), size(keys).any()));
            start.with(collect(map(entries)).alias("hits"))
        } else {
            let (start, _) = start.unwind(ms, "m");
            entries.push(("key".to_owned(), m.prop(Machine::KEY).any()));
            entries.push(("n".to_owned(), IntoExpr::<Int>::into_expr(1_i64).any()));
            if req.attribute_facets {
                entries.push(("year".to_owned(), m.prop(Machine::YEAR).any()));
                entries.push(("hours".to_owned(), m.prop(Machine::HOURS).any()));
                entries.push(("price".to_owned(), price_usd(&m, rates).any()));
            }
            entries.extend(
                machine
                    .into_iter()
                    .enumerate()
                    .map(|(i, (_, c))| (flag(first_machine_flag + i), c.any())),
            );
            start.with(collect(map(entries)).alias("hits"))
        };
        let over = |except| over_hits(&groups, except);
        let n0 = var::<Int>("n0");
        let n = var::<Int>("n");

        let mut returned = vec!["matching".to_owned()];
        // The matching keys, one list (a pair's keys are unwound: a list of lists
        // costs the driver a list per pair).
        let (matching, h) = over(Except::Nothing);
        let matching = if per_pair {
            let (q, key) = matching.unwind::<Int>(h.key("keys"), "key");
            q.return_(collect(key).alias("matching"))
        } else {
            matching.return_(collect(h.key("key")).alias("matching"))
        };
        let mut q = rows.call(matching.build()?);

        // Categories: hits per own category, then up the tree (a tree: sums are
        // counts of distinct machines).
        let c = node::<Category>("c");
        let p = node::<Category>("p");
        let (by_category, h) = over(Except::Category);
        q = q.call(
            by_category
                .with((h.clone().key("c0").alias("c0"), sum(h.key("n")).alias("n0")))
                .match_(path(&c0.bare()).out(rel::<SubcategoryOf>().min_hops(0), &c))
                .with((c.expr(), sum(n0.clone()).alias("n")))
                .optional_match(path(&c.bare()).out(rel::<SubcategoryOf>(), &p))
                .return_(columns(
                    "categories",
                    vec![
                        ("id", c.prop(Category::ID).any()),
                        ("n", n.clone().any()),
                        ("names", or_empty(c.prop(Category::NAMES).into_expr())),
                        ("parent", or_empty(p.prop(Category::ID).into_expr())),
                    ],
                    &mut returned,
                ))
                .build()?,
        );

        // Makers: hits per model, then each model's maker.
        let k = node::<Maker>("k");
        let (by_maker, h) = over(Except::Maker);
        q = q.call(
            by_maker
                .with((h.clone().key("mo").alias("mo"), sum(h.key("n")).alias("n0")))
                .match_(path(&mo.bare()).in_(rel::<MadeModel>(), &k))
                .with((k.expr(), sum(n0.clone()).alias("n")))
                .return_(columns(
                    "makers",
                    vec![
                        ("id", k.prop(Maker::ID).any()),
                        ("n", n.clone().any()),
                        ("names", or_empty(k.prop(Maker::NAMES).into_expr())),
                    ],
                    &mut returned,
                ))
                .build()?,
        );

        let (by_model, h) = over(Except::Model);
        q = q.call(
            by_model
                .with((h.clone().key("mo").alias("mo"), sum(h.key("n")).alias("n")))
                .where_(var::<Any>("mo").is_not_null())
                .return_(columns(
                    "models",
                    vec![
                        ("id", mo.prop(Model::ID).any()),
                        ("n", n.clone().any()),
                        ("name", or_empty(mo.prop(Model::NAME).into_expr())),
                    ],
                    &mut returned,
                ))
                .build()?,
        );

        // Spec histograms: hits per model, then each model's value.
        for (i, spec) in req.spec_facets.iter().enumerate() {
            let own = sel
                .specs
                .iter()
                .position(|(s, _)| s == spec)
                .map_or(Except::Nothing, Except::Spec);
            let s = node::<Spec>("s");
            let (by_spec, h) = over(own);
            q = q.call(
                by_spec
                    .with((h.clone().key("mo").alias("mo"), sum(h.key("n")).alias("n0")))
                    .match_(path(&mo.bare()).out(rel::<HasSpec>(), &s).out(
                        rel::<BelongsToSpecCategory>(),
                        &anon::<SpecCategory>().with(SpecCategory::ID, spec.as_str()),
                    ))
                    .where_(s.prop(Spec::NUMBER).is_not_null())
                    .with((s.prop(Spec::NUMBER).alias("v"), sum(n0.clone()).alias("n")))
                    .return_(values(&format!("spec{i}"), &mut returned))
                    .build()?,
            );
        }
        if req.attribute_facets {
            for (i, key) in ["year", "hours", "price"].into_iter().enumerate() {
                let (by_value, h) = over(Except::Attribute(i));
                q = q.call(
                    by_value
                        .with(h.key(key).alias("v"))
                        .where_(var::<Any>("v").is_not_null())
                        .with((var::<Any>("v"), count_star().alias("n")))
                        .return_(values(ATTRIBUTES[i], &mut returned))
                        .build()?,
                );
            }
        }
        let items: Vec<Item> = returned.iter().map(|c| var::<Any>(c).into()).collect();
        Ok(q.return_(items).build()?)
    }

    /// The same answer as [`crate::graph::EmbeddedGraph::facets`], computed by the
    /// server in one round trip.
    pub async fn facets(&self, req: &FacetRequest<'_>) -> Result<Facets, GraphError> {
        let statement = Self::facets_statement(req)?;
        let rows = self.rows(&statement).await?;
        let row = rows.first().ok_or_else(|| GraphError::Statement {
            statement: statement.cypher().to_owned(),
            reason: "no row returned".into(),
        })?;
        let read = Reader {
            row,
            statement: &statement,
        };
        let histogram_of = |group: &str, id: String| -> Result<SpecFacet, GraphError> {
            let mut h = histogram(&read.values(group)?, req.buckets);
            h.id = id;
            Ok(h)
        };
        let matching: RoaringBitmap = column::<Vec<i64>>(row, &statement, "matching")?
            .into_iter()
            .map(|k| k as u32)
            .collect();
        let specs = req
            .spec_facets
            .iter()
            .enumerate()
            .map(|(i, spec)| histogram_of(&format!("spec{i}"), spec.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let attributes = if req.attribute_facets {
            ATTRIBUTES
                .iter()
                .map(|a| histogram_of(a, (*a).to_owned()))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        let lang = req.lang;
        Ok(Facets {
            matching,
            categories: read.counts("categories", &["names", "parent"], lang)?,
            makers: read.counts("makers", &["names"], lang)?,
            models: read.counts("models", &["name"], lang)?,
            specs,
            attributes,
        })
    }
}

/// A histogram's values (`v`, never null) with their counts (`n`), as [`columns`].
fn values(group: &str, returned: &mut Vec<String>) -> Vec<Item> {
    columns(
        group,
        vec![("v", var::<Any>("v")), ("n", var::<Int>("n").any())],
        returned,
    )
}

#[cfg(test)]
mod tests;
