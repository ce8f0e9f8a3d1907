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
    /// API keys that may do everything (search, ingest, admin).
    pub api_keys: Vec<Secret>,
    /// API keys with scopes of their own.
    pub keys: Vec<KeyConfig>,
    /// Whether search and browse need an API key with the `search` scope.
    pub keyed_reads: bool,
    /// Cross-origin access to search and browse.
    pub cors: CorsConfig,
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
    /// Notifications of saved searches and watches.
    pub alerts: AlertsConfig,
    /// HTTPS: with a certificate and key the listener speaks TLS only.
    pub tls: TlsConfig,
    /// Search analytics for operators (`[analytics]`).
    pub analytics: AnalyticsConfig,
    /// How words are matched (`[search]`).
    pub search: SearchConfig,
}

/// How words are matched (`[search]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Whether the bundled trade words (`data/trade-words.txt`: slang, brands used
    /// for machine types, maker aliases) are searched as their catalog names.
    pub trade_words: bool,
    /// Megabytes of answers kept for repeated searches, for the serving data only
    /// (any indexed event starts afresh); 0 turns the cache off.
    pub cache_mb: usize,
    /// Whether a broad search started while a core is idle splits its pass over the
    /// hits between two threads (see `engine::pool`); off, every search runs on one
    /// thread (a host shared with other services, or to measure the difference).
    pub split: bool,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            trade_words: true,
            cache_mb: crate::engine::DEFAULT_SEARCH_CACHE_BYTES >> 20,
            split: true,
        }
    }
}

/// Search analytics (`[analytics]`): on by default; off, nothing is recorded and
/// `/analytics/queries` answers 404.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalyticsConfig {
    /// Whether searches are counted.
    pub enabled: bool,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        AnalyticsConfig { enabled: true }
    }
}

/// The listener's certificate and key (`[tls]`): both or neither. With both, the
/// listener speaks TLS only, offering HTTP/2 and HTTP/1.1 by ALPN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain, the server's own certificate first.
    pub cert: Option<PathBuf>,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
}

/// The certificate and key files of a listener that speaks TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// How many notifications are kept, and how long (`[alerts]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// The newest this many per subscriber are kept (at least 1).
    pub keep_per_subscriber: usize,
    /// Notifications about events older than this many days (by the event's `at`)
    /// are dropped; 0 (the default) keeps them regardless of age.
    pub keep_days: u64,
    /// The secret that signs subscriber tokens (at least 32 characters); replicas
    /// serving one site must share it. Without one, each data directory makes its
    /// own (`subscriber-tokens.key`).
    pub token_secret: Option<Secret>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            keep_per_subscriber: 1000,
            keep_days: 0,
            token_secret: None,
        }
    }
}

/// A key or password: shown as `<hidden>` by `Debug`, so printing a configuration
/// never leaks one into a log.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

/// One API key with its scopes (`[[keys]]` in the file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// The secret, at least 8 characters.
    pub key: Secret,
    /// `search`, `ingest`, `admin`, `alerts`.
    pub scopes: Vec<crate::api::auth::Scope>,
    /// Most searches per second for this key; unlimited when absent.
    #[serde(default)]
    pub search_per_second: Option<u32>,
}

/// Which browser origins may call search and browse.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// Origins such as `https://shop.example`, or `["*"]` for any; none by default.
    pub allowed_origins: Vec<String>,
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
    /// When appended events reach the disk.
    pub durability: DurabilitySetting,
}

/// `indexer.durability`: when an accepted event is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DurabilitySetting {
    /// Synced before ingest answers (the default): nothing acknowledged is lost.
    #[default]
    EveryAppend,
    /// Left to the operating system: faster, may lose the last moments on power loss.
    OsBuffered,
}

/// `graph.backend`: which graph store serves facets and catalog pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GraphBackend {
    /// In process (the default).
    #[default]
    Embedded,
    /// The site's Neo4j, kept current as a third projection.
    Neo4j,
}

impl std::str::FromStr for GraphBackend {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<GraphBackend, ConfigError> {
        match s {
            "embedded" => Ok(GraphBackend::Embedded),
            "neo4j" => Ok(GraphBackend::Neo4j),
            _ => Err(ConfigError::Invalid {
                field: "graph.backend".into(),
                message: format!("use `embedded` or `neo4j`, not {s:?}"),
            }),
        }
    }
}

/// Which graph store serves facets and browsing.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraphConfig {
    /// Which store.
    pub backend: GraphBackend,
    /// Neo4j: `bolt://host:port`.
    pub uri: String,
    /// Neo4j user.
    pub user: String,
    /// Neo4j password.
    pub password: Secret,
    /// Neo4j database.
    pub database: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:7700".parse().expect("a valid address"),
            data_dir: PathBuf::from("stockyard-data"),
            api_keys: Vec::new(),
            keys: Vec::new(),
            keyed_reads: false,
            cors: CorsConfig::default(),
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout_secs: 30,
            log_json: false,
            indexer: IndexerConfig::default(),
            graph: GraphConfig::default(),
            source: SourceConfig::None,
            alerts: AlertsConfig::default(),
            tls: TlsConfig::default(),
            analytics: AnalyticsConfig::default(),
            search: SearchConfig::default(),
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
            durability: DurabilitySetting::EveryAppend,
        }
    }
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            backend: GraphBackend::Embedded,
            uri: "bolt://127.0.0.1:7687".into(),
            user: "neo4j".into(),
            password: Secret::default(),
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
    /// (comma-separated, every scope), `STOCKYARD_SEARCH_KEYS`, `STOCKYARD_INGEST_KEYS`,
    /// `STOCKYARD_ADMIN_KEYS` (one scope each; `STOCKYARD_SEARCH_KEY_RATE` limits the
    /// search keys' searches per second), `STOCKYARD_CORS_ORIGINS` (comma-separated),
    /// `STOCKYARD_GRAPH`, `STOCKYARD_NEO4J_URI`, `…_USER`, `…_PASSWORD`, `…_DATABASE`,
    /// `STOCKYARD_TLS_CERT`, `STOCKYARD_TLS_KEY`, `STOCKYARD_TOKEN_SECRET`,
    /// `STOCKYARD_LOG_JSON`, `STOCKYARD_SEARCH_SPLIT` and `STOCKYARD_SEARCH_CACHE_MB`.
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
            self.api_keys = comma_list(&v).into_iter().map(Secret).collect();
        }
        let search_rate = match var("STOCKYARD_SEARCH_KEY_RATE") {
            Some(v) => Some(v.parse::<u32>().map_err(|_| ConfigError::Invalid {
                field: "STOCKYARD_SEARCH_KEY_RATE".into(),
                message: format!("not a number of searches per second: {v:?}"),
            })?),
            None => None,
        };
        for (name, scope) in [
            ("STOCKYARD_SEARCH_KEYS", crate::api::auth::Scope::Search),
            ("STOCKYARD_INGEST_KEYS", crate::api::auth::Scope::Ingest),
            ("STOCKYARD_ADMIN_KEYS", crate::api::auth::Scope::Admin),
        ] {
            if let Some(v) = var(name) {
                self.keys
                    .extend(comma_list(&v).into_iter().map(|key| KeyConfig {
                        key: Secret(key),
                        scopes: vec![scope],
                        search_per_second:
                            search_rate.filter(|_| scope == crate::api::auth::Scope::Search),
                    }));
            }
        }
        if let Some(v) = var("STOCKYARD_CORS_ORIGINS") {
            self.cors.allowed_origins = comma_list(&v);
        }
        if let Some(v) = var("STOCKYARD_GRAPH") {
            self.graph.backend = v.parse()?;
        }
        for (name, slot) in [
            ("STOCKYARD_NEO4J_URI", &mut self.graph.uri),
            ("STOCKYARD_NEO4J_USER", &mut self.graph.user),
            ("STOCKYARD_NEO4J_DATABASE", &mut self.graph.database),
        ] {
            if let Some(v) = var(name) {
                *slot = v;
            }
        }
        if let Some(v) = var("STOCKYARD_NEO4J_PASSWORD") {
            self.graph.password = Secret(v);
        }
        if let Some(v) = var("STOCKYARD_TLS_CERT") {
            self.tls.cert = Some(v.into());
        }
        if let Some(v) = var("STOCKYARD_TLS_KEY") {
            self.tls.key = Some(v.into());
        }
        if let Some(v) = var("STOCKYARD_TOKEN_SECRET") {
            self.alerts.token_secret = Some(v.into());
        }
        if let Some(v) = var("STOCKYARD_LOG_JSON") {
            self.log_json = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = var("STOCKYARD_ANALYTICS") {
            self.analytics.enabled = !matches!(v.as_str(), "0" | "false" | "no" | "off");
        }
        if let Some(v) = var("STOCKYARD_TRADE_WORDS") {
            self.search.trade_words = !matches!(v.as_str(), "0" | "false" | "no" | "off");
        }
        if let Some(v) = var("STOCKYARD_SEARCH_SPLIT") {
            self.search.split = !matches!(v.as_str(), "0" | "false" | "no" | "off");
        }
        if let Some(v) = var("STOCKYARD_SEARCH_CACHE_MB") {
            self.search.cache_mb = v.parse().map_err(|_| ConfigError::Invalid {
                field: "STOCKYARD_SEARCH_CACHE_MB".into(),
                message: format!("not a number of megabytes: {v:?}"),
            })?;
        }
        Ok(())
    }

    /// Refuses settings that cannot work.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |field: &str, message: &str| ConfigError::Invalid {
            field: field.into(),
            message: message.into(),
        };
        if self.indexer.batch == 0 || self.indexer.rebuild_batch == 0 {
            return Err(invalid("indexer.batch", "must be at least 1"));
        }
        if self.alerts.keep_per_subscriber == 0 {
            return Err(invalid("alerts.keep_per_subscriber", "must be at least 1"));
        }
        if let Some(secret) = &self.alerts.token_secret {
            if secret.0.len() < crate::alerts::token::MIN_SECRET_LEN {
                return Err(invalid(
                    "alerts.token_secret",
                    "must be at least 32 characters",
                ));
            }
        }
        if self.api_keys.iter().any(|k| k.0.len() < 8) {
            return Err(invalid(
                "api_keys",
                "each key must be at least 8 characters",
            ));
        }
        for k in &self.keys {
            if k.key.0.len() < 8 {
                return Err(invalid("keys", "each key must be at least 8 characters"));
            }
            if k.scopes.is_empty() {
                return Err(invalid(
                    "keys",
                    "each key needs at least one scope: search, ingest, admin",
                ));
            }
            if k.search_per_second == Some(0) {
                return Err(invalid(
                    "keys",
                    "search_per_second must be at least 1 (leave it out for no limit)",
                ));
            }
        }
        self.cors_origins()?;
        self.tls_files()?;
        Ok(())
    }

    /// The certificate and key when TLS is configured; an error when only one is.
    /// Whether the files hold a usable certificate and key is checked when the
    /// service starts ([`crate::server::ServeError::Tls`]).
    pub fn tls_files(&self) -> Result<Option<TlsFiles>, ConfigError> {
        match (&self.tls.cert, &self.tls.key) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            })),
            (None, None) => Ok(None),
            (cert, _) => {
                let (missing, set) = match cert {
                    Some(_) => ("tls.key", "tls.cert"),
                    None => ("tls.cert", "tls.key"),
                };
                Err(ConfigError::Invalid {
                    field: missing.into(),
                    message: format!(
                        "not set, but {set} is: TLS needs both a certificate and a key, or neither"
                    ),
                })
            }
        }
    }

    /// The CORS origins as header values: `*` alone, or `scheme://host[:port]` each.
    fn cors_origins(&self) -> Result<Vec<axum::http::HeaderValue>, ConfigError> {
        let origins = &self.cors.allowed_origins;
        let invalid = |message: String| ConfigError::Invalid {
            field: "cors.allowed_origins".into(),
            message,
        };
        if origins.iter().any(|o| o == "*") && origins.len() > 1 {
            return Err(invalid("`*` allows every origin; list it alone".into()));
        }
        origins
            .iter()
            .map(|o| {
                let rest = o
                    .strip_prefix("https://")
                    .or_else(|| o.strip_prefix("http://"));
                let well_formed = o == "*"
                    || rest.is_some_and(|r| {
                        !r.is_empty() && !r.contains('/') && !r.chars().any(char::is_whitespace)
                    });
                if !well_formed {
                    return Err(invalid(format!(
                        "{o:?} is not an origin such as https://shop.example (scheme and host, no path)"
                    )));
                }
                axum::http::HeaderValue::from_str(o)
                    .map_err(|_| invalid(format!("{o:?} is not a valid header value")))
            })
            .collect()
    }

    /// The pool searches run on.
    pub fn search_pool(&self) -> crate::engine::SearchPool {
        let pool = crate::engine::SearchPool::default();
        if self.search.split {
            pool
        } else {
            pool.one_thread_per_search()
        }
    }

    /// The engine settings.
    pub fn engine(&self) -> crate::engine::Settings {
        let mut s = crate::engine::Settings::new(&self.data_dir);
        s.batch = self.indexer.batch;
        s.rebuild_batch = self.indexer.rebuild_batch;
        s.max_delay = Duration::from_millis(self.indexer.max_delay_ms);
        s.max_lag = self.indexer.max_lag;
        s.neo4j = self.neo4j();
        s.trade_words = self.search.trade_words;
        s.search_cache_bytes = self.search.cache_mb.saturating_mul(1 << 20);
        s.retention = crate::alerts::Retention {
            per_subscriber: self.alerts.keep_per_subscriber,
            max_age: (self.alerts.keep_days > 0)
                .then(|| Duration::from_secs(self.alerts.keep_days * 24 * 3600)),
        };
        s.durability = match self.indexer.durability {
            DurabilitySetting::EveryAppend => Durability::EveryAppend,
            DurabilitySetting::OsBuffered => Durability::OsBuffered,
        };
        s
    }

    /// The Neo4j connection, when the graph backend is Neo4j.
    pub fn neo4j(&self) -> Option<crate::graph::Neo4jConfig> {
        (self.graph.backend == GraphBackend::Neo4j).then(|| crate::graph::Neo4jConfig {
            uri: self.graph.uri.clone(),
            user: self.graph.user.clone(),
            password: self.graph.password.0.clone(),
            database: self.graph.database.clone(),
        })
    }

    /// The API settings.
    pub fn api(&self) -> crate::api::ApiConfig {
        use crate::api::auth::{ApiKey, Scope};
        let everything = self.api_keys.iter().map(|k| ApiKey {
            key: k.0.clone(),
            scopes: Scope::ALL.to_vec(),
            search_per_second: None,
        });
        let scoped = self.keys.iter().map(|k| ApiKey {
            key: k.key.0.clone(),
            scopes: k.scopes.clone(),
            search_per_second: k.search_per_second.and_then(std::num::NonZeroU32::new),
        });
        crate::api::ApiConfig {
            keys: everything.chain(scoped).collect(),
            keyed_reads: self.keyed_reads,
            cors_origins: self.cors_origins().unwrap_or_default(),
            max_body_bytes: self.max_body_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
        }
    }
}

fn comma_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests;
