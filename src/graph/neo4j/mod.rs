//! The catalog graph on Neo4j (or any Bolt server speaking Neo4j's Cypher), through
//! neo4rs. Every statement is built with `query-dsl` from the schema crate's typed
//! labels; writes are idempotent (MERGE on ids), so replaying events changes nothing.
//!
//! By job: the connection here, event writes in [`writes`], facets in [`facets`] (one
//! statement per search), browse queries in [`browse`].

mod browse;
mod facets;
mod writes;

use super::contract::GraphError;
use super::embedded::Interner;
use neo4rs::{ConfigBuilder, Graph, Row};
use query_dsl::types::Int;
use query_dsl::{match_, node, var, Statement};
use stockyard_schema::graph::{Category, Machine, Maker, Model, Spec, SpecCategory};
use stockyard_schema::{Lang, Text};

/// A name in the buyer's language from names stored as JSON; the id without them.
fn text_name(json: Option<String>, id: &str, lang: Lang) -> String {
    json.and_then(|j| serde_json::from_str::<Text>(&j).ok())
        .map_or_else(|| id.to_owned(), |t| t.best(lang).to_owned())
}

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
            // Facets look machines up by the keys of a hit set.
            Statement::unique_constraint("machine_key", Machine::KEY)?,
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
}
