//! The catalog graph on Neo4j (or any Bolt server speaking Neo4j's Cypher), through
//! neo4rs. Every statement is built with `query-dsl` from the schema crate's typed
//! labels; writes are idempotent (MERGE on ids), so replaying events changes nothing.
//!
//! By job: the read connection here, event writes (and the writer that owns the
//! machine keys) in [`writes`], facets in [`facets`] (one statement per search), browse
//! queries in [`browse`].

mod browse;
mod facets;
mod writes;

pub use writes::Neo4jWriter;

use super::contract::GraphError;
use neo4rs::{ConfigBuilder, Graph, Row};
use query_dsl::{param, Query, Statement};
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

/// A connection to the catalog graph on a Bolt server, through neo4rs, that answers
/// the graph's questions. It holds no state of its own beyond the connection, so a
/// reader connects quickly and reconnects cheaply; writing events needs the machine
/// keys assigned so far, which only [`Neo4jWriter`] loads.
pub struct Neo4jGraph {
    graph: Graph,
    uri: String,
    /// Every statement sent, when recording (tests lint them with Neo4j's parser).
    recorded: Option<std::sync::Mutex<Vec<String>>>,
}

impl Neo4jGraph {
    /// Connects and checks, in one round trip that reads nothing, that the server
    /// answers (the driver's pool would otherwise connect only on first use).
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
        let g = Neo4jGraph {
            graph,
            uri: cfg.uri.clone(),
            recorded: None,
        };
        g.rows(&Query::new().return_(param(1).alias("ok")).build()?)
            .await?;
        Ok(g)
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
}
