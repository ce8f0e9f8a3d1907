//! NATS JetStream as a source, for deployments with several replicas: each replica
//! reads the stream through its own durable pull consumer, appends to its own log,
//! and acknowledges a batch only once its projections have committed it. A message
//! redelivered after a crash carries an event id the log has seen, so it changes
//! nothing. The last acknowledged stream sequence is recorded in the data directory;
//! a replica whose data directory is new (nothing recorded) replays the stream from
//! its first message, whatever its durable consumer had acknowledged before.

use crate::engine::{Engine, Format, IngestError};
use async_nats::jetstream::{self, consumer::pull, consumer::DeliverPolicy, AckKind};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

/// Messages fetched per batch.
const BATCH: usize = 1_000;

/// Where and what to read.
#[derive(Debug, Clone)]
pub struct NatsSource {
    /// Server URL.
    pub url: String,
    /// Stream name (created with `subject` when missing).
    pub stream: String,
    /// Subject the events are published on.
    pub subject: String,
    /// This replica's durable consumer.
    pub consumer: String,
}

/// Why the source stopped.
#[derive(Debug, thiserror::Error)]
#[error("NATS source: {0}")]
pub struct NatsError(String);

fn err(e: impl std::fmt::Display) -> NatsError {
    NatsError(e.to_string())
}

fn sequence_file(engine: &Engine, consumer: &str) -> std::path::PathBuf {
    engine
        .data_dir()
        .join(format!("source-nats-{consumer}.sequence"))
}

/// Reads the stream until `stop` resolves.
pub async fn run(
    engine: Arc<Engine>,
    source: NatsSource,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<(), NatsError> {
    let client = async_nats::connect(&source.url).await.map_err(err)?;
    let js = jetstream::new(client);
    let stream = js
        .get_or_create_stream(jetstream::stream::Config {
            name: source.stream.clone(),
            subjects: vec![source.subject.clone()],
            ..Default::default()
        })
        .await
        .map_err(err)?;
    let seq_file = sequence_file(&engine, &source.consumer);
    let recorded: Option<u64> = std::fs::read_to_string(&seq_file)
        .ok()
        .and_then(|s| s.trim().parse().ok());
    if recorded.is_none() {
        // A new data directory: replay from the start of the stream.
        let _ = stream.delete_consumer(&source.consumer).await;
    }
    let consumer: jetstream::consumer::PullConsumer = stream
        .get_or_create_consumer(
            &source.consumer,
            pull::Config {
                durable_name: Some(source.consumer.clone()),
                deliver_policy: DeliverPolicy::All,
                ack_wait: Duration::from_secs(60),
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let fetched = consumer
            .fetch()
            .max_messages(BATCH)
            .expires(Duration::from_millis(500))
            .messages()
            .await;
        let mut messages = match fetched {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("NATS fetch: {e}");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = stop.changed() => return Ok(()),
                }
            }
        };
        let mut batch = Vec::new();
        while let Some(m) = messages.next().await {
            match m {
                Ok(m) => batch.push(m),
                Err(e) => tracing::warn!("NATS message: {e}"),
            }
        }
        if batch.is_empty() {
            continue;
        }
        apply(&engine, &batch).await?;
        let last = batch
            .iter()
            .filter_map(|m| m.info().ok().map(|i| i.stream_sequence))
            .max()
            .unwrap_or(0);
        for m in &batch {
            m.ack().await.map_err(err)?;
        }
        crate::fsutil::write_atomic(&seq_file, last.to_string().as_bytes()).map_err(err)?;
    }
}

/// Appends the events of a batch and waits until they are committed. An invalid
/// message cannot become valid by redelivery: it is logged and terminated, the rest
/// of the batch goes on.
async fn apply(engine: &Arc<Engine>, batch: &[jetstream::Message]) -> Result<(), NatsError> {
    let mut body = String::new();
    for m in batch {
        body.push_str(&String::from_utf8_lossy(&m.payload));
        body.push('\n');
    }
    let e = engine.clone();
    let result = tokio::task::spawn_blocking(move || e.ingest(&body, Format::Ndjson))
        .await
        .map_err(err)?;
    match result {
        Ok(_) | Err(IngestError::Empty) => {}
        Err(IngestError::Rejected { .. }) => {
            for m in batch {
                let line = String::from_utf8_lossy(&m.payload).into_owned();
                let e = engine.clone();
                let one = tokio::task::spawn_blocking(move || e.ingest(&line, Format::Ndjson))
                    .await
                    .map_err(err)?;
                if let Err(IngestError::Rejected { errors, .. }) = one {
                    let reason = errors
                        .first()
                        .map(|e| e.message.clone())
                        .unwrap_or_default();
                    tracing::warn!(subject = %m.subject, "invalid event from NATS dropped: {reason}");
                    m.ack_with(AckKind::Term).await.map_err(err)?;
                }
            }
        }
        Err(e) => return Err(err(e)),
    }
    let head = engine.head();
    let e = engine.clone();
    // Acknowledge only what the projections committed.
    let visible =
        tokio::task::spawn_blocking(move || e.wait_visible(head, Duration::from_secs(300)))
            .await
            .map_err(err)?;
    if !visible {
        return Err(err("the projections did not commit the batch in time"));
    }
    Ok(())
}
