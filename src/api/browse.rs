//! Browse endpoints: a machine, a model, makers and their models, the category tree.

use super::error::{ApiError, ErrorCode};
use super::extract::{P, Q};
use super::search::{hit_view, HitView, Named};
use super::{blocking, AppState, LangQuery};
use crate::graph::CategoryTree;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Serialize;
use stockyard_schema::domain::SpecValue;
use utoipa::ToSchema;

/// Most "other machines of this model" shown.
const OTHERS: usize = 10;

/// A machine's page.
#[derive(Debug, Serialize, ToSchema)]
pub struct MachineView {
    /// The listing.
    #[serde(flatten)]
    pub listing: HitView,
    /// The description in the buyer's language, if any.
    pub description: Option<String>,
    /// Every photo, in the seller's order (`image` is the first).
    pub images: Vec<String>,
    /// Other live machines of the same model, newest first.
    pub same_model: Vec<String>,
}

/// A spec of a model.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpecEntry {
    /// Spec category id.
    pub id: String,
    /// Its name in the buyer's language.
    pub name: String,
    /// Unit, for numbers.
    pub unit: Option<String>,
    /// The value.
    pub value: SpecValueView,
}

/// A spec value: a number (in the spec category's unit) or a text.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SpecValueView {
    /// A number.
    Number(f64),
    /// A text.
    Text(String),
}

/// A model's page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelPage {
    /// Model id.
    pub id: String,
    /// Model number.
    pub name: String,
    /// Its maker.
    pub maker: Option<Named>,
    /// Its category.
    pub category: Option<Named>,
    /// Its specs.
    pub specs: Vec<SpecEntry>,
    /// Live machines of the model.
    pub live: u64,
    /// Some of them, newest first.
    pub machines: Vec<String>,
}

/// A maker or model with its live machines.
#[derive(Debug, Serialize, ToSchema)]
pub struct Counted {
    /// Id.
    pub id: String,
    /// Name in the buyer's language.
    pub name: String,
    /// Live machines.
    pub count: u64,
}

impl From<crate::graph::FacetCount> for Counted {
    fn from(f: crate::graph::FacetCount) -> Counted {
        Counted {
            id: f.id,
            name: f.name,
            count: f.count,
        }
    }
}

/// A category with its live machines (subcategories included) and children.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryNode {
    /// Id.
    pub id: String,
    /// Name in the buyer's language.
    pub name: String,
    /// Live machines in it and below.
    pub count: u64,
    /// Subcategories.
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

impl From<CategoryTree> for CategoryNode {
    fn from(t: CategoryTree) -> CategoryNode {
        CategoryNode {
            id: t.id,
            name: t.name,
            count: t.count,
            children: t.children.into_iter().map(CategoryNode::from).collect(),
        }
    }
}

fn check_path_id(id: &str) -> Result<(), ApiError> {
    stockyard_schema::ids::check_id(id)
        .map_err(|e| ApiError::bad(ErrorCode::BadId, "id", e.to_string()))
}

/// A machine with its description and other machines of its model.
#[utoipa::path(get, path = "/machines/{id}", tag = "browse",
    params(("id" = String, Path, description = "Machine id", pattern = "^[^\\s\\u0000-\\u001f\\u007f-\\u009f]{1,128}$"), LangQuery),
    responses((status = 200, body = MachineView), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn machine(
    State(state): State<AppState>,
    P(id): P<String>,
    Q(q): Q<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<MachineView>, ApiError> {
    check_path_id(&id)?;
    let lang = q.resolve(&headers)?;
    let (engine, wanted) = (state.engine.clone(), id.clone());
    let found = blocking(move || {
        let Some(live) = engine.listing(&wanted)? else {
            return Err(ApiError::not_found(format!("no live machine {wanted:?}")));
        };
        let m = &live.machine;
        Ok(MachineView {
            listing: hit_view(&live.graph, m, 0.0, lang),
            description: m.description.as_ref().map(|d| d.best(lang).to_owned()),
            images: m.images.iter().map(|u| u.as_str().to_owned()).collect(),
            same_model: Vec::new(),
        })
    })
    .await?;
    let mut view = found;
    view.same_model = state.engine.same_model(&state.graph, &id, OTHERS).await?;
    Ok(Json(view))
}

/// A model with its specs, live count and some of its machines.
#[utoipa::path(get, path = "/models/{id}", tag = "browse",
    params(("id" = String, Path, description = "Model id", pattern = "^[^\\s\\u0000-\\u001f\\u007f-\\u009f]{1,128}$"), LangQuery),
    responses((status = 200, body = ModelPage), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn model(
    State(state): State<AppState>,
    P(id): P<String>,
    Q(q): Q<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<ModelPage>, ApiError> {
    check_path_id(&id)?;
    let lang = q.resolve(&headers)?;
    let view = state
        .engine
        .model(&state.graph, &id, lang, OTHERS)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no model {id:?}")))?;
    let named = |p: Option<(String, String)>| p.map(|(id, name)| Named { id, name });
    Ok(Json(ModelPage {
        machines: view.machines,
        id: view.id,
        name: view.name,
        maker: named(view.maker),
        category: named(view.category),
        specs: view
            .specs
            .into_iter()
            .map(|s| SpecEntry {
                id: s.id,
                name: s.name,
                unit: s.unit,
                value: match s.value {
                    SpecValue::Number(n) => SpecValueView::Number(n),
                    SpecValue::Text(t) => SpecValueView::Text(t),
                },
            })
            .collect(),
        live: view.live,
    }))
}

/// Registered makers with their live machines, most first.
#[utoipa::path(get, path = "/makers", tag = "browse", params(LangQuery),
    responses((status = 200, body = Vec<Counted>), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn makers(
    State(state): State<AppState>,
    Q(q): Q<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<Vec<Counted>>, ApiError> {
    let lang = q.resolve(&headers)?;
    let makers = state.engine.makers(&state.graph, lang).await?;
    Ok(Json(makers.into_iter().map(Counted::from).collect()))
}

/// A maker's models with their live machines, by model number.
#[utoipa::path(get, path = "/makers/{id}/models", tag = "browse",
    params(("id" = String, Path, description = "Maker id", pattern = "^[^\\s\\u0000-\\u001f\\u007f-\\u009f]{1,128}$")),
    responses((status = 200, body = Vec<Counted>), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn maker_models(
    State(state): State<AppState>,
    P(id): P<String>,
) -> Result<Json<Vec<Counted>>, ApiError> {
    check_path_id(&id)?;
    let models = state
        .engine
        .maker_models(&state.graph, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no maker {id:?}")))?;
    Ok(Json(models.into_iter().map(Counted::from).collect()))
}

/// The category tree with live counts.
#[utoipa::path(get, path = "/categories", tag = "browse", params(LangQuery),
    responses((status = 200, body = Vec<CategoryNode>), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn categories(
    State(state): State<AppState>,
    Q(q): Q<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<Vec<CategoryNode>>, ApiError> {
    let lang = q.resolve(&headers)?;
    let tree = state.engine.category_tree(&state.graph, lang).await?;
    Ok(Json(tree.into_iter().map(CategoryNode::from).collect()))
}

/// A spec category, for building filters.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpecCategoryEntry {
    /// Id (use as `spec.<id>` in searches and facets).
    pub id: String,
    /// Name in the buyer's language.
    pub name: String,
    /// Unit, for numbers.
    pub unit: Option<String>,
    /// `number` (filter by `min..max`) or `text` (filter by value).
    pub kind: &'static str,
}

/// The spec categories, for building spec filters.
#[utoipa::path(get, path = "/spec-categories", tag = "browse", params(LangQuery),
    responses((status = 200, body = Vec<SpecCategoryEntry>), (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody), (status = 429, body = super::error::ErrorBody)))]
pub async fn spec_categories(
    State(state): State<AppState>,
    Q(q): Q<LangQuery>,
    headers: HeaderMap,
) -> Result<Json<Vec<SpecCategoryEntry>>, ApiError> {
    let lang = q.resolve(&headers)?;
    Ok(Json(
        state
            .engine
            .spec_categories(&state.graph, lang)
            .await?
            .into_iter()
            .map(|s| SpecCategoryEntry {
                id: s.id,
                name: s.name,
                unit: s.unit,
                kind: if s.number { "number" } else { "text" },
            })
            .collect(),
    ))
}
