//! The notification outbox: an append-only file that commits each batch's
//! notifications together with the projection's checkpoint, and the same entries in
//! memory for readers (SSE streams, polling clients), who are woken when it grows.
//!
//! The file is JSON Lines: one notification per line, and after each batch a line
//! `{"checkpoint": N}`. A batch counts only once its checkpoint line is on disk, so on
//! open everything after the last checkpoint line (a batch cut short by a crash) is
//! cut off; the projection then applies that batch again and, being deterministic,
//! writes the same notifications with the same ids. Nothing is lost or told twice.

use super::notification::Notification;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, RwLock};
use stockyard_schema::SubscriberId;
use tokio::sync::watch;

/// Why the outbox could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The file system refused.
    #[error("outbox: {0}")]
    Io(#[from] std::io::Error),
}

/// A commit line.
#[derive(Serialize, Deserialize)]
struct Checkpoint {
    checkpoint: u64,
}

/// A line of the file: a notification or a commit.
#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Commit(Checkpoint),
    Notification(Box<Notification>),
}

/// The committed notifications in memory, by id and by subscriber.
#[derive(Default)]
struct Entries {
    all: Vec<Arc<Notification>>,
    /// Indexes into `all`, per subscriber, ascending.
    by_subscriber: HashMap<SubscriberId, Vec<u32>>,
}

impl Entries {
    fn push(&mut self, n: Arc<Notification>) {
        let index = self.all.len() as u32;
        self.by_subscriber
            .entry(n.subscriber.clone())
            .or_default()
            .push(index);
        self.all.push(n);
    }
}

/// The outbox as readers see it: every committed notification, and a signal that
/// carries the last id whenever a batch is committed.
pub struct OutboxReader {
    entries: RwLock<Entries>,
    last: watch::Sender<u64>,
}

impl OutboxReader {
    fn new() -> OutboxReader {
        OutboxReader {
            entries: RwLock::default(),
            last: watch::Sender::new(0),
        }
    }

    /// The id of the last committed notification (0 when there is none).
    pub fn last_id(&self) -> u64 {
        *self.last.borrow()
    }

    /// A receiver woken each time notifications are committed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.last.subscribe()
    }

    /// Up to `limit` notifications with ids above `after`, oldest first: of the
    /// given subscribers, or of everyone when `subscribers` is `None`.
    pub fn after(
        &self,
        subscribers: Option<&[SubscriberId]>,
        after: u64,
        limit: usize,
    ) -> Vec<Arc<Notification>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        // Ids run from 1 without gaps: id n sits at index n - 1.
        let start = usize::try_from(after)
            .unwrap_or(usize::MAX)
            .min(entries.all.len());
        let Some(subscribers) = subscribers else {
            return entries.all[start..].iter().take(limit).cloned().collect();
        };
        let mut out: Vec<Arc<Notification>> = Vec::new();
        for s in subscribers {
            let Some(list) = entries.by_subscriber.get(s) else {
                continue;
            };
            let from = list.partition_point(|&i| (i as usize) < start);
            out.extend(
                list[from..]
                    .iter()
                    .take(limit)
                    .map(|&i| entries.all[i as usize].clone()),
            );
        }
        out.sort_by_key(|n| n.id);
        out.dedup_by_key(|n| n.id);
        out.truncate(limit);
        out
    }

    fn publish(&self, batch: Vec<Notification>) {
        if batch.is_empty() {
            return;
        }
        let last = {
            let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
            for n in batch {
                entries.push(Arc::new(n));
            }
            entries.all.len() as u64
        };
        self.last.send_replace(last);
    }
}

/// The outbox file, written by the alerts projection alone.
pub struct Outbox {
    file: File,
    /// Length of the file up to the last commit line.
    committed: u64,
    checkpoint: u64,
    reader: Arc<OutboxReader>,
}

impl Outbox {
    /// Opens (or creates) the outbox at `path`, cutting off a batch a crash left
    /// without its commit line.
    pub fn open(path: &Path) -> Result<Outbox, OutboxError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let reader = Arc::new(OutboxReader::new());
        let mut committed = 0u64;
        let mut checkpoint = 0u64;
        let mut pending: Vec<Notification> = Vec::new();
        let mut offset = 0u64;
        let mut lines = BufReader::new(&file);
        let mut line = String::new();
        loop {
            line.clear();
            let read = lines.read_line(&mut line)? as u64;
            if read == 0 || !line.ends_with('\n') {
                break;
            }
            offset += read;
            match serde_json::from_str::<Line>(&line) {
                Ok(Line::Notification(n)) => pending.push(*n),
                Ok(Line::Commit(c)) => {
                    reader.publish(std::mem::take(&mut pending));
                    checkpoint = c.checkpoint;
                    committed = offset;
                }
                // A torn line can only be the crash's: nothing after it counts.
                Err(_) => break,
            }
        }
        drop(lines);
        if file.metadata()?.len() != committed {
            file.set_len(committed)?;
            file.sync_data()?;
        }
        file.seek(SeekFrom::End(0))?;
        Ok(Outbox {
            file,
            committed,
            checkpoint,
            reader,
        })
    }

    /// The checkpoint of the last committed batch.
    pub fn checkpoint(&self) -> u64 {
        self.checkpoint
    }

    /// The id the next notification takes.
    pub fn next_id(&self) -> u64 {
        self.reader.last_id() + 1
    }

    /// The committed notifications, for readers on other threads.
    pub fn reader(&self) -> Arc<OutboxReader> {
        self.reader.clone()
    }

    /// Appends `batch` and its checkpoint, on disk before it returns, then shows the
    /// batch to readers. On failure the file is cut back to the last commit.
    pub fn commit(&mut self, batch: Vec<Notification>, checkpoint: u64) -> Result<(), OutboxError> {
        let mut text = String::new();
        for n in &batch {
            text.push_str(&serde_json::to_string(n).expect("notifications serialize"));
            text.push('\n');
        }
        text.push_str(&serde_json::to_string(&Checkpoint { checkpoint }).expect("serializes"));
        text.push('\n');
        let written = self
            .file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // Best effort: open() cuts an uncommitted tail off anyway.
            let _ = self.file.set_len(self.committed);
            return Err(e.into());
        }
        self.committed += text.len() as u64;
        self.checkpoint = checkpoint;
        self.reader.publish(batch);
        Ok(())
    }
}
