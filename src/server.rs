//! Running the service: the engine, the event sources and the HTTP API together, with
//! graceful shutdown; over TLS when a certificate is configured ([`tls`]).

pub mod tls;

use crate::api::{self, AppState};
use crate::config::{Config, SourceConfig};
use crate::engine::{Engine, EngineError, Format};
use crate::search::LanguageDetector;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// The bundled demo catalog (`stockyard generate --seed 2026 --listings 3000`).
pub const DEMO_CATALOG: &str = include_str!("../data/demo-catalog.ndjson");

/// Why the service could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The engine could not start.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The address could not be bound, or serving failed.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// The demo catalog could not be loaded.
    #[error("demo catalog: {0}")]
    Demo(String),
    /// An event source could not start.
    #[error("event source: {0}")]
    Source(String),
    /// The configuration is not usable.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The TLS certificate or key is not usable.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The search analytics could not be loaded.
    #[error("search analytics: {0}")]
    Analytics(#[from] crate::analytics::AnalyticsError),
}

/// A started service: its address, and a handle on its engine.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Whether it speaks TLS (`https://`) rather than plain HTTP.
    pub tls: bool,
    /// The catalog behind it.
    pub engine: Arc<Engine>,
}

/// Opens the engine for `config` (loading the demo catalog into an empty log when
/// `demo` is set) on a blocking thread.
pub async fn open_engine(config: &Config, demo: bool) -> Result<Arc<Engine>, ServeError> {
    let settings = config.engine();
    let engine = tokio::task::spawn_blocking(move || {
        let detector = Arc::new(LanguageDetector::new());
        let engine = Engine::open(settings, detector)?;
        if demo && engine.head() == 0 {
            engine
                .ingest(DEMO_CATALOG, Format::Ndjson)
                .map_err(|e| ServeError::Demo(e.to_string()))?;
            engine.ready_at_head();
        }
        Ok::<_, ServeError>(engine)
    })
    .await
    .map_err(|e| ServeError::Io("start".into(), std::io::Error::other(e)))??;
    Ok(engine)
}

/// Serves until `shutdown` completes; in-flight requests finish, then the indexer
/// stops after its current commit. `started` is called once listening. With
/// `[tls]` configured the listener speaks TLS only.
pub async fn serve(
    config: Config,
    demo: bool,
    started: impl FnOnce(&Running),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    // A bad certificate or key stops the start before the engine opens.
    let tls = match config.tls_files()? {
        Some(files) => Some(tls::server_config(&files)?),
        None => None,
    };
    // The recorder first, so the indexer's work at start is counted too.
    let metrics = Arc::new(api::metrics::Metrics::default());
    let engine = open_engine(&config, demo).await?;
    let sources = start_source(&config.source, engine.clone())?;
    let tokens = crate::alerts::TokenKey::load(
        config.alerts.token_secret.as_ref().map(|s| s.expose()),
        &config.data_dir,
    )
    .map_err(|e| {
        let file = config.data_dir.join(crate::alerts::token::SECRET_FILE);
        ServeError::Io(file.display().to_string(), e)
    })?;
    let analytics = match config.analytics.enabled {
        true => Some(Arc::new(crate::analytics::Analytics::open(
            &config.data_dir,
        )?)),
        false => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServeError::Io(config.listen.to_string(), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Io(config.listen.to_string(), e))?;
    let closing = tokio_util::sync::CancellationToken::new();
    let shutdown = {
        let closing = closing.clone();
        async move {
            shutdown.await;
            closing.cancel();
        }
    };
    let state = AppState {
        engine: engine.clone(),
        keys: Arc::new(api::auth::Keys::new(&config.api().keys)),
        config: Arc::new(config.api()),
        metrics,
        graph: match config.neo4j() {
            None => crate::engine::GraphSource::Embedded,
            Some(c) => crate::engine::GraphSource::Neo4j(Arc::new(crate::graph::NeoReader::new(c))),
        },
        pool: config.search_pool(),
        tokens: Arc::new(tokens),
        closing: closing.clone(),
        analytics: analytics.clone(),
    };
    let saver = analytics
        .clone()
        .map(|a| tokio::spawn(save_now_and_then(a)));
    started(&Running {
        addr,
        tls: tls.is_some(),
        engine: engine.clone(),
    });
    let app = api::router(state);
    let result = match tls {
        Some(tls) => tls::serve(listener, tls, app, shutdown).await,
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
    }
    .map_err(|e| ServeError::Io(addr.to_string(), e));
    sources.stop();
    if let Some(saver) = saver {
        saver.abort();
    }
    if let Some(a) = analytics {
        let saved = tokio::task::spawn_blocking(move || a.save(true)).await;
        if let Ok(Err(e)) = saved {
            tracing::warn!("search analytics not saved: {e}");
        }
    }
    let e = engine.clone();
    let _ = tokio::task::spawn_blocking(move || e.shutdown()).await;
    result
}

/// Writes the search analytics whenever they changed and their interval passed,
/// off the request path, until aborted.
async fn save_now_and_then(analytics: Arc<crate::analytics::Analytics>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        let a = analytics.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || a.save(false)).await {
            tracing::warn!("search analytics not saved: {e}");
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Running event sources, stopped on shutdown.
pub struct Sources {
    stop: Arc<std::sync::atomic::AtomicBool>,
    nats: Option<tokio::sync::watch::Sender<bool>>,
}

impl Sources {
    fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        if let Some(tx) = &self.nats {
            let _ = tx.send(true);
        }
    }
}

fn start_source(config: &SourceConfig, engine: Arc<Engine>) -> Result<Sources, ServeError> {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut nats = None;
    match config.clone() {
        SourceConfig::None => {}
        SourceConfig::File { path } => {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("stockyard-file-source".into())
                .spawn(move || crate::sources::file::follow(&engine, &path, &stop))
                .map_err(|e| ServeError::Source(e.to_string()))?;
        }
        SourceConfig::Nats {
            url,
            stream,
            subject,
            consumer,
        } => {
            let (tx, rx) = tokio::sync::watch::channel(false);
            let source = crate::sources::nats::NatsSource {
                url,
                stream,
                subject,
                consumer,
            };
            tokio::spawn(async move {
                // The source reconnects after failures until the service stops.
                let mut rx = rx;
                loop {
                    match crate::sources::nats::run(engine.clone(), source.clone(), rx.clone())
                        .await
                    {
                        Ok(()) => return,
                        Err(e) => tracing::warn!("{e}; reconnecting"),
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                        _ = rx.changed() => return,
                    }
                }
            });
            nats = Some(tx);
        }
    }
    Ok(Sources { stop, nats })
}
