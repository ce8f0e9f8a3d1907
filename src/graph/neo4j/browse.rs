//! The catalog site's questions (category tree, makers, a maker's models, a model, other
//! machines of a model), each one statement.

use super::{text_name, Neo4jGraph};
use crate::graph::contract::{FacetCount, GraphError};
use neo4rs::Row;
use query_dsl::functions::{count, count_distinct, count_star};
use query_dsl::{anon, match_, node, path, rel, Statement};
use std::collections::HashMap;
use stockyard_schema::domain::SpecValue;
use stockyard_schema::graph::{
    BelongsToCategory, BelongsToSpecCategory, Category, HasSpec, IsOfModel, Machine, MadeModel,
    Maker, Model, Spec, SpecCategory, SubcategoryOf,
};
use stockyard_schema::Lang;

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

impl Neo4jGraph {
    /// Rows of `id` and `n` as pairs.
    async fn pairs(&self, s: &Statement) -> Result<Vec<(String, u64)>, GraphError> {
        Ok(self
            .rows(s)
            .await?
            .into_iter()
            .filter_map(|r| Some((r.get::<String>("id").ok()?, r.get::<i64>("n").ok()? as u64)))
            .collect())
    }

    /// See [`crate::graph::EmbeddedGraph::category_tree`].
    pub async fn category_tree(
        &self,
        lang: Lang,
    ) -> Result<Vec<crate::graph::CategoryTree>, GraphError> {
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
        let nodes: Vec<crate::graph::contract::TreeNode> = rows
            .into_iter()
            .filter_map(|r| {
                let id = r.get::<String>("id").ok()?;
                Some(crate::graph::contract::TreeNode {
                    name: text_name(r.get::<String>("names").ok(), &id, lang),
                    parent: r.get::<String>("parent").ok(),
                    count: counts.get(&id).copied().unwrap_or(0),
                    id,
                })
            })
            .collect();
        Ok(crate::graph::contract::build_tree(&nodes))
    }

    /// See [`crate::graph::EmbeddedGraph::makers`].
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

    /// See [`crate::graph::EmbeddedGraph::maker_models`].
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

    /// See [`crate::graph::EmbeddedGraph::model`].
    pub async fn model(
        &self,
        model_id: &str,
        lang: Lang,
        machines: usize,
    ) -> Result<Option<crate::graph::ModelView>, GraphError> {
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
        let mut specs: Vec<crate::graph::SpecView> = spec_rows
            .into_iter()
            .filter_map(|r| {
                let id = r.get::<String>("id").ok()?;
                let value = match (r.get::<f64>("number"), r.get::<String>("text")) {
                    (Ok(n), _) => SpecValue::Number(n),
                    (_, Ok(t)) => SpecValue::Text(t),
                    _ => return None,
                };
                let names = r.get::<String>("names").ok();
                Some(crate::graph::SpecView {
                    name: text_name(names, &id, lang),
                    unit: r.get::<String>("unit").ok(),
                    id,
                    value,
                })
            })
            .collect();
        specs.sort_by(|a, b| a.id.cmp(&b.id));
        let newest = node::<Machine>("m").with(Machine::STATUS, "live");
        let machine_rows = self
            .rows(
                &match_(path(&mo).in_(rel::<IsOfModel>(), &newest))
                    .return_(newest.prop(Machine::ID).alias("id"))
                    .order_by(newest.prop(Machine::KEY).desc())
                    .limit(machines as i64)
                    .build()?,
            )
            .await?;
        Ok(Some(crate::graph::ModelView {
            id: model_id.to_owned(),
            name,
            maker,
            category,
            specs,
            live: r.get::<i64>("n").unwrap_or(0) as u64,
            machines: machine_rows
                .into_iter()
                .filter_map(|r| r.get::<String>("id").ok())
                .collect(),
        }))
    }

    /// See [`crate::graph::EmbeddedGraph::same_model`].
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

    /// See [`crate::graph::EmbeddedGraph::spec_categories`].
    pub async fn spec_categories(
        &self,
        lang: Lang,
    ) -> Result<Vec<crate::graph::SpecCategoryView>, GraphError> {
        let sc = node::<SpecCategory>("sc");
        let rows = self
            .rows(
                &match_(&sc)
                    .where_(sc.prop(SpecCategory::KIND).is_not_null())
                    .return_((
                        sc.prop(SpecCategory::ID).alias("id"),
                        sc.prop(SpecCategory::NAMES).alias("names"),
                        sc.prop(SpecCategory::UNIT).alias("unit"),
                        sc.prop(SpecCategory::KIND).alias("kind"),
                    ))
                    .order_by(sc.prop(SpecCategory::ID).asc())
                    .build()?,
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let id = r.get::<String>("id").ok()?;
                Some(crate::graph::SpecCategoryView {
                    name: text_name(r.get::<String>("names").ok(), &id, lang),
                    unit: r.get::<String>("unit").ok(),
                    number: r.get::<String>("kind").ok().as_deref() == Some("number"),
                    id,
                })
            })
            .collect())
    }
}
