//! The browse queries of a catalog site: the category tree with live counts, makers,
//! a maker's models, a model with its specs, other machines of a model.

use super::EmbeddedGraph;
use crate::graph::contract::{
    build_tree, name_of, CategoryTree, FacetCount, ModelView, Placement, SpecCategoryView,
    SpecView, TreeNode,
};
use stockyard_schema::Lang;

impl EmbeddedGraph {
    /// Live machines per category, rolled up the tree.
    pub(super) fn rolled_counts(&self) -> Vec<u64> {
        let mut rolled = vec![0u64; self.categories.len()];
        for (c, direct) in self.by_category.iter().enumerate() {
            let n = direct.len();
            let mut cur = Some(c as u32);
            let mut steps = 0;
            while let (Some(x), true) = (cur, steps <= self.categories.len()) {
                rolled[x as usize] += n;
                cur = self.categories[x as usize].parent;
                steps += 1;
            }
        }
        rolled
    }

    /// The defined categories as a tree, with live counts; roots and children by name.
    pub fn category_tree(&self, lang: Lang) -> Vec<CategoryTree> {
        let counts = self.rolled_counts();
        let nodes: Vec<TreeNode> = (0..self.categories.len())
            .filter(|&c| self.categories[c].names.is_some())
            .map(|c| {
                let id = self.category_ids.key(c as u32);
                TreeNode {
                    id: id.to_owned(),
                    name: name_of(&self.categories[c].names, id, lang),
                    parent: self.categories[c]
                        .parent
                        .map(|p| self.category_ids.key(p).to_owned()),
                    count: counts[c],
                }
            })
            .collect();
        build_tree(&nodes)
    }

    /// Registered makers with their live machines, most first.
    pub fn makers(&self, lang: Lang) -> Vec<FacetCount> {
        let mut counts = vec![0u64; self.makers.len()];
        for (m, machines) in self.by_model.iter().enumerate() {
            if let Some(k) = self.models[m].maker {
                counts[k as usize] += machines.len();
            }
        }
        let mut out: Vec<FacetCount> = (0..self.makers.len())
            .filter(|&k| self.makers[k].is_some())
            .map(|k| {
                let id = self.maker_ids.key(k as u32);
                FacetCount {
                    id: id.to_owned(),
                    name: name_of(&self.makers[k], id, lang),
                    parent: None,
                    count: counts[k],
                }
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// A maker's registered models with their live machines, by model number; `None`
    /// for an unknown maker.
    pub fn maker_models(&self, maker_id: &str) -> Option<Vec<FacetCount>> {
        let k = self.maker_ids.get(maker_id)?;
        self.makers[k as usize].as_ref()?;
        let mut out: Vec<FacetCount> = (0..self.models.len())
            .filter(|&m| self.models[m].maker == Some(k) && self.models[m].name.is_some())
            .map(|m| FacetCount {
                id: self.model_ids.key(m as u32).to_owned(),
                name: self.models[m].name.clone().unwrap_or_default(),
                parent: None,
                count: self.by_model[m].len(),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Some(out)
    }

    /// A registered model with its specs and live count; `None` when unknown.
    pub fn model(&self, model_id: &str, lang: Lang, machines: usize) -> Option<ModelView> {
        let m = self.model_ids.get(model_id)? as usize;
        let node = &self.models[m];
        let name = node.name.clone()?;
        let maker = node.maker.map(|k| {
            let id = self.maker_ids.key(k);
            (id.to_owned(), name_of(&self.makers[k as usize], id, lang))
        });
        let category = node.category.map(|c| {
            let id = self.category_ids.key(c);
            (
                id.to_owned(),
                name_of(&self.categories[c as usize].names, id, lang),
            )
        });
        let mut specs: Vec<SpecView> = node
            .specs
            .iter()
            .map(|(s, value)| {
                let id = self.spec_ids.key(*s);
                let def = self.specs[*s as usize].as_ref();
                SpecView {
                    id: id.to_owned(),
                    name: def.map_or_else(|| id.to_owned(), |d| d.names.best(lang).to_owned()),
                    unit: def.and_then(|d| d.unit.clone()),
                    value: value.clone(),
                }
            })
            .collect();
        specs.sort_by(|a, b| a.id.cmp(&b.id));
        Some(ModelView {
            id: model_id.to_owned(),
            name,
            maker,
            category,
            specs,
            live: self.by_model[m].len(),
            machines: self.by_model[m]
                .iter()
                .rev()
                .take(machines)
                .map(|k| self.machine_ids.key(k).to_owned())
                .collect(),
        })
    }

    /// The maker, model and category of a listing of `model_id` (in `own_category`, if
    /// it has one of its own), named in `lang`.
    pub fn placement(&self, model_id: &str, own_category: Option<&str>, lang: Lang) -> Placement {
        let model = self
            .model_ids
            .get(model_id)
            .map(|m| &self.models[m as usize]);
        let maker = model.and_then(|m| m.maker).map(|k| {
            let id = self.maker_ids.key(k);
            (id.to_owned(), name_of(&self.makers[k as usize], id, lang))
        });
        let category = own_category
            .and_then(|c| self.category_ids.get(c))
            .or_else(|| model.and_then(|m| m.category))
            .map(|c| {
                let id = self.category_ids.key(c);
                (
                    id.to_owned(),
                    name_of(&self.categories[c as usize].names, id, lang),
                )
            });
        let model = Some((
            model_id.to_owned(),
            model
                .and_then(|m| m.name.clone())
                .unwrap_or_else(|| model_id.to_owned()),
        ));
        Placement {
            maker,
            model,
            category,
        }
    }

    /// Every defined spec category with its name in `lang`, by id.
    pub fn spec_categories(&self, lang: Lang) -> Vec<SpecCategoryView> {
        let mut out: Vec<SpecCategoryView> = self
            .specs
            .iter()
            .flatten()
            .map(|s| SpecCategoryView {
                id: s.id.as_str().to_owned(),
                name: s.names.best(lang).to_owned(),
                unit: s.unit.clone(),
                number: s.kind == stockyard_schema::domain::SpecKind::Number,
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Up to `limit` other live machines of the same model as `machine_id`, newest
    /// listing first.
    pub fn same_model(&self, machine_id: &str, limit: usize) -> Vec<String> {
        let Some(key) = self.machine_ids.get(machine_id) else {
            return Vec::new();
        };
        let Some(m) = self.machines.get(key as usize) else {
            return Vec::new();
        };
        self.by_model[m.model as usize]
            .iter()
            .rev()
            .filter(|&k| k != key)
            .take(limit)
            .map(|k| self.machine_ids.key(k).to_owned())
            .collect()
    }
}
