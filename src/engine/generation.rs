//! A generation: one complete set of projections (text index and graph) in its own
//! directory, built from the log and kept current by its own indexer.

use crate::alerts::{Alerts, AlertsHandle, Retention};
use crate::graph::Neo4jConfig;
use crate::projections::{GraphHandle, GraphProjection, Neo4jProjection, TextProjection};
use crate::search::fields::Fields;
use crate::search::{LanguageDetector, TextIndex};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use stockyard_indexer::{DeadLetters, Indexer, Projection, SharedLog};

/// Bumped whenever a projection's code changes what it writes, so that data written
/// by an older version is rebuilt rather than read wrongly.
const PROJECTION_CODE_VERSION: u32 = 6;

/// The version of what a generation holds: the projection code version and a digest
/// of the text index schema. A generation written under another version is rebuilt
/// at start.
pub fn projection_version() -> String {
    let (schema, _) = Fields::schema();
    let schema = serde_json::to_string(&schema).expect("a schema serializes");
    format!(
        "projections-v{PROJECTION_CODE_VERSION}-schema-{:08x}",
        crc32fast::hash(schema.as_bytes())
    )
}

/// Why a generation could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum GenerationError {
    /// Its files could not be read or written.
    #[error("generation {dir}: {source}")]
    Io {
        /// The generation's directory.
        dir: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A projection could not be opened.
    #[error("generation {dir}: {reason}")]
    Projection {
        /// The generation's directory.
        dir: PathBuf,
        /// What failed.
        reason: String,
    },
    /// It was written by another projection version.
    #[error("generation {dir} holds {found}, this build writes {expected}: it must be rebuilt")]
    Version {
        /// The generation's directory.
        dir: PathBuf,
        /// The version it was written with.
        found: String,
        /// The version of this build.
        expected: String,
    },
}

/// One set of projections and the indexer that feeds them.
pub struct Generation {
    number: u64,
    dir: PathBuf,
    text: Arc<TextIndex>,
    graph: GraphHandle,
    alerts: AlertsHandle,
    indexer: Mutex<Indexer>,
}

impl Generation {
    /// The directory of generation `number` under `data_dir`.
    pub fn dir_of(data_dir: &Path, number: u64) -> PathBuf {
        data_dir.join(format!("gen-{number:06}"))
    }

    /// Opens generation `number` under `settings.data_dir`, creating it (stamped with
    /// this build's version) when it does not exist; a generation of another version
    /// is refused unless `any_version` (to keep serving it while its replacement is
    /// built). Its indexer commits at most `batch` events at a time.
    pub fn open(
        settings: &super::Settings,
        number: u64,
        log: SharedLog,
        detector: Arc<LanguageDetector>,
        batch: u64,
        any_version: bool,
    ) -> Result<Generation, GenerationError> {
        let (neo4j, retention): (Option<&Neo4jConfig>, Retention) =
            (settings.neo4j.as_ref(), settings.retention);
        let dir = Generation::dir_of(&settings.data_dir, number);
        let io = |source| GenerationError::Io {
            dir: dir.clone(),
            source,
        };
        let projection = |reason: String| GenerationError::Projection {
            dir: dir.clone(),
            reason,
        };
        let version_file = dir.join("VERSION");
        let expected = projection_version();
        match std::fs::read_to_string(&version_file) {
            Ok(found) if found.trim() == expected || any_version => {}
            Ok(found) => {
                return Err(GenerationError::Version {
                    dir: dir.clone(),
                    found: found.trim().to_owned(),
                    expected,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&dir).map_err(io)?;
                crate::fsutil::write_atomic(&version_file, expected.as_bytes()).map_err(io)?;
            }
            Err(e) => return Err(io(e)),
        }
        let text = Arc::new(
            TextIndex::open_or_create(&dir.join("text"), detector)
                .map_err(|e| projection(e.to_string()))?,
        );
        let text_projection = TextProjection::open(text.clone(), &dir.join("machine-keys"))
            .map_err(|e| projection(e.to_string()))?;
        let graph_projection =
            GraphProjection::open(&dir.join("graph")).map_err(|e| projection(e.to_string()))?;
        let graph = graph_projection.handle();
        // Saved queries are `/search` requests, checked by the API's own rules.
        let alerts_follower = Alerts::open(
            &dir.join("alerts"),
            log.clone(),
            crate::api::search::saved::compile,
            retention,
            graph_projection.graph(),
            graph_projection
                .checkpoint()
                .map_err(|e| projection(e.to_string()))?,
        )
        .map_err(|e| projection(e.to_string()))?;
        let alerts = alerts_follower.handle();
        let graph_projection = graph_projection.with_alerts(alerts_follower);
        let letters = DeadLetters::open(&dir.join("dead-letters.ndjson")).map_err(io)?;
        let mut projections: Vec<Box<dyn Projection + Send>> =
            vec![Box::new(text_projection), Box::new(graph_projection)];
        if let Some(config) = neo4j {
            // Every generation replays into the same Neo4j database (writes are MERGEs
            // on ids), each under its own offset.
            projections.push(Box::new(Neo4jProjection::new(
                config.clone(),
                format!("gen-{number:06}"),
            )));
        }
        let indexer = Indexer::new(log, projections, batch).with_dead_letters(letters);
        Ok(Generation {
            number,
            dir,
            text,
            graph,
            alerts,
            indexer: Mutex::new(indexer),
        })
    }

    /// Its number (generations only ever count up).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The text index, for searching.
    pub fn text(&self) -> &Arc<TextIndex> {
        &self.text
    }

    /// The graph, for facets and browsing.
    pub fn graph(&self) -> &GraphHandle {
        &self.graph
    }

    /// Saved searches, watches and the notification outbox.
    pub fn alerts(&self) -> &AlertsHandle {
        &self.alerts
    }

    /// Its indexer (one user at a time: the engine's worker, a rebuild, a status read).
    pub fn indexer(&self) -> MutexGuard<'_, Indexer> {
        // A panic inside a projection leaves the indexer as it was before the batch.
        self.indexer.lock().unwrap_or_else(|e| e.into_inner())
    }
}
