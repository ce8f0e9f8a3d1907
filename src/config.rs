//! Configuration: defaults, then a TOML file, then `STOCKYARD_*` environment
//! variables, then command-line flags (each overriding the one before).

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use stockyard_indexer::Durability;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The file is not valid TOML for this configuration.
    #[error("config file {0}: {1}")]
    Parse(PathBuf, String),
    /// A value is out of place.
    #[error("{field}: {message}")]
    Invalid {
        /// The setting (file key or environment variable).
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// Where the indexer's events come from besides the HTTP ingest path.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum SourceConfig {
    /// Only the HTTP ingest path.
    #[default]
    None,
    /// An NDJSON file, read from where the last run stopped and followed as it grows.
    File {
        /// The file.
        path: PathBuf,
    },
    /// A NATS JetStream stream, through a durable consumer.
    Nats {
        /// Server URL, such as `nats://127.0.0.1:4222`.
        url: String,
        /// Stream name.
        stream: String,
        /// Subject the events are published on.
        subject: String,
        /// Durable consumer name: one per replica.
        consumer: String,
    },
}

/// Every setting of the service.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the event log and the indexes live.
    pub data_dir: PathBuf,
    /// API keys for ingest and admin.
    pub api_keys: Vec<String>,
    /// Whether search and browse need an API key too.
    pub keyed_reads: bool,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take, in seconds.
    pub request_timeout_secs: u64,
    /// Log lines as JSON.
    pub log_json: bool,
    /// The indexer.
    pub indexer: IndexerConfig,
    /// The catalog graph: `embedded` (the default).
    pub graph: GraphConfig,
    /// An event source besides HTTP.
    pub source: SourceConfig,
}

/// Indexer settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexerConfig {
    /// Most events per commit.
    pub batch: u64,
    /// Most events per commit while rebuilding.
    pub rebuild_batch: u64,
    /// How long events may wait to be committed together, in milliseconds.
    pub max_delay_ms: u64,
    /// Most events the indexer may be behind before ingest answers 429.
    pub max_lag: u64,
    /// `every-append` (fsync each append) or `os-buffered`.
    pub durability: String,
}

/// Which graph store serves facets and browsing.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraphConfig {
    /// `embedded` (the default) or `neo4j`.
    pub backend: String,
    /// Neo4j: `bolt://host:port`.
    pub uri: String,
    /// Neo4j user.
    pub user: String,
    /// Neo4j password.
    pub password: String,
    /// Neo4j database.
    pub database: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:7700".parse().expect("a valid address"),
            data_dir: PathBuf::from("stockyard-data"),
            api_keys: Vec::new(),
            keyed_reads: false,
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout_secs: 30,
            log_json: false,
            indexer: IndexerConfig::default(),
            graph: GraphConfig::default(),
            source: SourceConfig::None,
        }
    }
}

impl Default for IndexerConfig {
    fn default() -> Self {
        IndexerConfig {
            batch: 10_000,
            rebuild_batch: 200_000,
            max_delay_ms: 200,
            max_lag: 1_000_000,
            durability: "every-append".into(),
        }
    }
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            backend: "embedded".into(),
            uri: "bolt://127.0.0.1:7687".into(),
            user: "neo4j".into(),
            password: String::new(),
            database: "neo4j".into(),
        }
    }
}

impl Config {
    /// Defaults, overridden by `file` (if given), then by the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut c = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::Read(path.to_owned(), e))?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::Parse(path.to_owned(), e.to_string()))?
            }
            None => Config::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        c.check()?;
        Ok(c)
    }

    /// Applies `STOCKYARD_LISTEN`, `STOCKYARD_DATA_DIR`, `STOCKYARD_API_KEYS`
    /// (comma-separated), `STOCKYARD_GRAPH`, `STOCKYARD_NEO4J_URI`, `…_USER`,
    /// `…_PASSWORD`, `…_DATABASE` and `STOCKYARD_LOG_JSON`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = var("STOCKYARD_LISTEN") {
            self.listen = v.parse().map_err(|_| ConfigError::Invalid {
                field: "STOCKYARD_LISTEN".into(),
                message: format!("not an address such as 127.0.0.1:7700: {v:?}"),
            })?;
        }
        if let Some(v) = var("STOCKYARD_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = var("STOCKYARD_API_KEYS") {
            self.api_keys = v
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect();
        }
        for (name, slot) in [
            ("STOCKYARD_GRAPH", &mut self.graph.backend),
            ("STOCKYARD_NEO4J_URI", &mut self.graph.uri),
            ("STOCKYARD_NEO4J_USER", &mut self.graph.user),
            ("STOCKYARD_NEO4J_PASSWORD", &mut self.graph.password),
            ("STOCKYARD_NEO4J_DATABASE", &mut self.graph.database),
        ] {
            if let Some(v) = var(name) {
                *slot = v;
            }
        }
        if let Some(v) = var("STOCKYARD_LOG_JSON") {
            self.log_json = matches!(v.as_str(), "1" | "true" | "yes");
        }
        Ok(())
    }

    /// Refuses settings that cannot work.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, message: &str| ConfigError::Invalid {
            field: field.into(),
            message: message.into(),
        };
        if self.graph.backend != "embedded" && self.graph.backend != "neo4j" {
            return Err(invalid("graph.backend", "use `embedded` or `neo4j`"));
        }
        if self.indexer.durability != "every-append" && self.indexer.durability != "os-buffered" {
            return Err(invalid(
                "indexer.durability",
                "use `every-append` or `os-buffered`",
            ));
        }
        if self.indexer.batch == 0 || self.indexer.rebuild_batch == 0 {
            return Err(invalid("indexer.batch", "must be at least 1"));
        }
        if self.api_keys.iter().any(|k| k.len() < 8) {
            return Err(invalid(
                "api_keys",
                "each key must be at least 8 characters",
            ));
        }
        Ok(())
    }

    /// The engine settings.
    pub fn engine(&self) -> crate::engine::Settings {
        let mut s = crate::engine::Settings::new(&self.data_dir);
        s.batch = self.indexer.batch;
        s.rebuild_batch = self.indexer.rebuild_batch;
        s.max_delay = Duration::from_millis(self.indexer.max_delay_ms);
        s.max_lag = self.indexer.max_lag;
        s.neo4j = self.neo4j();
        s.durability = if self.indexer.durability == "os-buffered" {
            Durability::OsBuffered
        } else {
            Durability::EveryAppend
        };
        s
    }

    /// The Neo4j connection, when the graph backend is Neo4j.
    pub fn neo4j(&self) -> Option<crate::graph::Neo4jConfig> {
        (self.graph.backend == "neo4j").then(|| crate::graph::Neo4jConfig {
            uri: self.graph.uri.clone(),
            user: self.graph.user.clone(),
            password: self.graph.password.clone(),
            database: self.graph.database.clone(),
        })
    }

    /// The API settings.
    pub fn api(&self) -> crate::api::ApiConfig {
        crate::api::ApiConfig {
            api_keys: self.api_keys.clone(),
            keyed_reads: self.keyed_reads,
            max_body_bytes: self.max_body_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        let mut c: Config = toml::from_str(
            "listen = \"0.0.0.0:8000\"\napi_keys = [\"from-file-key\"]\n[indexer]\nbatch = 500\n",
        )
        .unwrap();
        assert_eq!(c.indexer.batch, 500);
        assert_eq!(c.indexer.max_delay_ms, 200, "defaults fill the rest");
        c.apply_env(|k| match k {
            "STOCKYARD_API_KEYS" => Some("key-one-1, key-two-2".into()),
            "STOCKYARD_DATA_DIR" => Some("/srv/stockyard".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.api_keys, ["key-one-1", "key-two-2"]);
        assert_eq!(c.data_dir, PathBuf::from("/srv/stockyard"));
        assert_eq!(c.listen.port(), 8000);
        assert!(c.check().is_ok());
    }

    #[test]
    fn mistakes_are_named() {
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
        let mut c = Config::default();
        let err = c
            .apply_env(|k| (k == "STOCKYARD_LISTEN").then(|| "nowhere".into()))
            .unwrap_err();
        assert!(err.to_string().starts_with("STOCKYARD_LISTEN"));
        c.api_keys = vec!["short".into()];
        assert!(c.check().unwrap_err().to_string().contains("api_keys"));
    }
}
