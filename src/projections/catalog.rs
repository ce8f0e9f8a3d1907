//! What the text projection must know of the catalog to build a listing's document:
//! each model's maker and category, and the category tree. Small (tens of bytes per
//! model and category), committed with the index in tantivy's commit payload, so that
//! it is exactly as current as the listings.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use stockyard_schema::domain::{Category, Machine, Model};
use stockyard_schema::{CategoryId, MakerId};

/// A model's place in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPlace {
    /// Its maker.
    pub maker_id: MakerId,
    /// Its category.
    pub category_id: CategoryId,
}

/// Models and categories by id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CatalogState {
    models: HashMap<String, ModelPlace>,
    /// Each category's parent.
    categories: HashMap<String, Option<CategoryId>>,
}

impl CatalogState {
    /// A registered model's place.
    pub fn model(&self, id: &str) -> Option<&ModelPlace> {
        self.models.get(id)
    }

    /// Registers or replaces a model; returns whether its listings' documents change
    /// (it is new, or its maker or category changed).
    pub fn register_model(&mut self, m: &Model) -> bool {
        let place = ModelPlace {
            maker_id: m.maker_id.clone(),
            category_id: m.category_id.clone(),
        };
        let old = self.models.insert(m.id.as_str().to_owned(), place.clone());
        old.as_ref() != Some(&place)
    }

    /// Defines or redefines a category; a parent that would close a cycle is refused
    /// (as the graph does). Returns whether its place in the tree changed.
    pub fn define_category(&mut self, c: &Category) -> bool {
        let parent = c
            .parent_id
            .clone()
            .filter(|p| !self.chain(p).contains(&c.id));
        let old = self
            .categories
            .insert(c.id.as_str().to_owned(), parent.clone());
        old.is_some_and(|old| old != parent)
    }

    /// `id` and its ancestors up to the root (cycle-safe).
    pub fn chain(&self, id: &CategoryId) -> Vec<CategoryId> {
        let mut out = vec![id.clone()];
        let mut cur = self.categories.get(id.as_str());
        while let Some(Some(p)) = cur {
            if out.contains(p) {
                break;
            }
            out.push(p.clone());
            cur = self.categories.get(p.as_str());
        }
        out
    }

    /// The category a listing counts in: its own, else its model's.
    pub fn category_of<'a>(&'a self, m: &'a Machine) -> Option<&'a CategoryId> {
        m.category_id
            .as_ref()
            .or_else(|| self.model(m.model_id.as_str()).map(|p| &p.category_id))
    }
}
