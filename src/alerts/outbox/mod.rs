//! The notification outbox: an append-only file that commits each batch's
//! notifications with the log position they reach, and an index of it in memory for
//! readers (SSE streams, polling clients), who are woken when it grows.
//!
//! Memory holds where each kept notification's line is, whose it is and when its
//! event was (a 24-byte `Slot`, 32 with its place in the id order, plus 8 for the
//! id in its subscriber's list), not the notification: retention may keep a
//! thousand for each of a hundred thousand subscribers, and a notification with its
//! card is hundreds of bytes. Readers read the lines from the file (the page cache holds the
//! recent ones), a run of adjacent lines at a time.
//!
//! The file is JSON Lines: one notification per line, and after each batch a line
//! `{"checkpoint": N}`. A batch counts only once its checkpoint line is on disk, so on
//! open everything after the last checkpoint line (a batch cut short by a crash) is
//! cut off; the projection then applies that batch again and, being deterministic,
//! writes the same notifications with the same ids. Nothing is lost or told twice.
//!
//! Once retention has dropped more lines than the file keeps, the file is rewritten
//! without them by a compaction beside the writer, which never waits for it (see
//! `outbox/compaction.rs`).

mod compaction;
mod entries;
mod reader;

pub use reader::OutboxReader;

use super::notification::{Card, Recipient, Told};
use compaction::{Compaction, Span};
use entries::{Moving, Slot};
use foldhash::HashMap;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use stockyard_schema::SubscriberId;

/// Why the outbox could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The file system refused.
    #[error("outbox: {0}")]
    Io(#[from] std::io::Error),
    /// A committed line does not read back as a notification.
    #[error("outbox: a committed line is damaged: {0}")]
    Damaged(String),
}

/// Dropped notifications the file may hold before it is rewritten without them (and
/// only when they outnumber the kept ones).
const REWRITE_ABOVE: usize = 1000;

/// Kept lines a compaction lists per read lock on the index.
const LIST_CHUNK: usize = 1 << 16;

/// Notifications whose offsets move to a rewritten file per commit: a few
/// milliseconds under the index's lock, where moving ten million at once held the
/// alerts up for a second.
const MOVE_PER_COMMIT: u64 = 1 << 20;

/// A commit line: the projection's checkpoint and the last notification id given so
/// far (ids stay unique after older notifications are compacted away).
#[derive(Serialize, Deserialize)]
struct Checkpoint {
    checkpoint: u64,
    #[serde(default)]
    last_id: u64,
}

/// Writes notification lines by hand: each card's JSON once per write, each event's
/// time once, the recipient's fields as they were made when the search was saved,
/// numbers with `itoa`. One listing may tell hundreds of searches, and serializing
/// each line field by field cost more than matching them. A line is byte for byte
/// what serde writes for the [`Notification`] it reads back as (tested).
#[derive(Default)]
struct LineWriter {
    /// Card JSON by card; holding the card keeps its address from being reused.
    cards: HashMap<*const Card, (Arc<Card>, Box<str>)>,
    /// The last event's position and its time as JSON.
    at: Option<(u64, String)>,
}

impl LineWriter {
    /// Appends `n` as one JSON line to `out`.
    fn write_line(&mut self, n: &Told, out: &mut Vec<u8>) {
        let (_, card) = self.cards.entry(Arc::as_ptr(&n.card)).or_insert_with(|| {
            let json = serde_json::to_string(&*n.card).expect("cards serialize");
            (n.card.clone(), json.into())
        });
        if self.at.as_ref().is_none_or(|(p, _)| *p != n.position) {
            let at = serde_json::to_string(&n.at).expect("times serialize");
            self.at = Some((n.position, at));
        }
        let at = self.at.as_ref().map_or("", |(_, a)| a.as_str());
        let mut number = itoa::Buffer::new();
        out.extend_from_slice(b"{\"id\":");
        out.extend_from_slice(number.format(n.id).as_bytes());
        out.extend_from_slice(b",\"position\":");
        out.extend_from_slice(number.format(n.position).as_bytes());
        out.extend_from_slice(b",\"at\":");
        out.extend_from_slice(at.as_bytes());
        out.extend_from_slice(n.recipient.subscriber_json().as_bytes());
        out.extend_from_slice(b",\"kind\":\"");
        out.extend_from_slice(n.kind.as_str().as_bytes());
        out.push(b'"');
        out.extend_from_slice(n.recipient.search_json().as_bytes());
        out.extend_from_slice(b",\"card\":");
        out.extend_from_slice(card.as_bytes());
        out.extend_from_slice(b"}\n");
    }
}

/// How long notifications are kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retention {
    /// The newest this many per subscriber are kept.
    pub per_subscriber: usize,
    /// Notifications about events older than this (by the event's `at`) are
    /// dropped; `None` keeps them regardless of age.
    pub max_age: Option<std::time::Duration>,
}

impl Default for Retention {
    fn default() -> Self {
        // By count only: events may carry times long past (a backfill, a replay), and
        // their notifications would otherwise be dropped as they are written.
        Retention {
            per_subscriber: 1000,
            max_age: None,
        }
    }
}

/// A line of the file as read on open: a commit, or what memory keeps of a
/// notification (the rest stays in the file).
#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Commit(Checkpoint),
    Notification {
        id: u64,
        subscriber: SubscriberId,
        at: stockyard_schema::event::Timestamp,
    },
}

/// The outbox file, written by the alerts alone.
pub struct Outbox {
    file: File,
    path: std::path::PathBuf,
    /// Length of the file up to the last commit line.
    committed: u64,
    checkpoint: u64,
    reader: Arc<OutboxReader>,
    /// A rewrite of the file without dropped lines, when one is running.
    compaction: Option<Compaction>,
    /// The chunk of lines being written, kept for the next commit.
    buffer: Vec<u8>,
    /// Offsets to move to a rewritten file per commit ([`MOVE_PER_COMMIT`]).
    move_per_commit: u64,
    /// What was written since the last commit.
    pending: Pending,
}

/// Lines written since the last commit: what memory must learn of each once they
/// are committed, the last id and the bytes written.
#[derive(Default)]
struct Pending {
    shown: Vec<(u64, Arc<Recipient>, Slot)>,
    last: Option<u64>,
    written: u64,
}

/// Seconds since the epoch, now.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Bytes of a batch gathered before they are written, so that a large batch does
/// not sit in memory whole.
const WRITE_CHUNK: usize = 8 << 20;

impl Outbox {
    /// Opens (or creates) the outbox at `path`, cutting off a batch a crash left
    /// without its commit line; keeps what `retention` allows.
    pub fn open(path: &Path, retention: Retention) -> Result<Outbox, OutboxError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let reader = Arc::new(OutboxReader::new(retention));
        reader.write().file = Some(Arc::new(File::open(path)?));
        let mut committed = 0u64;
        let mut checkpoint = 0u64;
        let mut pending: Vec<(u64, SubscriberId, Slot)> = Vec::new();
        let mut offset = 0u64;
        let mut lines = BufReader::new(&file);
        let mut line = String::new();
        let now = now();
        loop {
            line.clear();
            let read = lines.read_line(&mut line)? as u64;
            if read == 0 || !line.ends_with('\n') {
                break;
            }
            let start = offset;
            offset += read;
            match serde_json::from_str::<Line>(&line) {
                Ok(Line::Notification { id, subscriber, at }) => {
                    let slot = Slot {
                        offset: start,
                        len: (read - 1) as u32,
                        subscriber: 0,
                        at: at.unix_seconds(),
                    };
                    pending.push((id, subscriber, slot));
                }
                Ok(Line::Commit(c)) => {
                    let last = c.last_id.max(pending.last().map_or(0, |n| n.0));
                    let batch = pending.iter().map(|(id, who, slot)| (*id, who, *slot));
                    reader.publish(batch, (last, c.checkpoint), now);
                    pending.clear();
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
        // A compaction a crash or a stop cut short: the file above is whole without it.
        match std::fs::remove_file(compaction::scratch_path(path)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        Ok(Outbox {
            file,
            path: path.to_owned(),
            committed,
            checkpoint,
            reader,
            compaction: None,
            buffer: Vec::new(),
            move_per_commit: MOVE_PER_COMMIT,
            pending: Pending::default(),
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
    /// batch to readers: [`Outbox::write`] and [`Outbox::commit_written`] in one.
    pub fn commit(
        &mut self,
        batch: impl IntoIterator<Item = Told>,
        checkpoint: u64,
    ) -> Result<(), OutboxError> {
        self.write(batch)?;
        self.commit_written(checkpoint)
    }

    /// Appends the lines of `batch` after what was written since the last commit;
    /// they count once [`Outbox::commit_written`] commits them. Writing and
    /// committing apart lets the alerts write one event's notifications on one
    /// thread while they match the next event's on another. On failure the file is
    /// cut back to the last commit and everything written since is forgotten.
    pub fn write(&mut self, batch: impl IntoIterator<Item = Told>) -> Result<(), OutboxError> {
        self.finish_compaction();
        self.write_lines(batch).map_err(|e| {
            self.abandon();
            e.into()
        })
    }

    /// Commits what was written since the last commit, with `checkpoint`: on disk
    /// before it returns, then shown to readers. When retention has dropped more than
    /// it keeps, the file is rewritten without them (see `outbox/compaction.rs`).
    pub fn commit_written(&mut self, checkpoint: u64) -> Result<(), OutboxError> {
        self.finish_compaction();
        let pending = std::mem::take(&mut self.pending);
        let last = pending.last.unwrap_or_else(|| self.reader.last_id());
        let marker = Checkpoint {
            checkpoint,
            last_id: last,
        };
        let mut line = serde_json::to_vec(&marker).expect("serializes");
        line.push(b'\n');
        if let Err(e) = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
        {
            self.abandon();
            return Err(e.into());
        }
        self.committed += pending.written + line.len() as u64;
        self.checkpoint = checkpoint;
        let shown = pending
            .shown
            .iter()
            .map(|(id, r, slot)| (*id, r.subscriber(), *slot));
        self.reader.publish(shown, (last, checkpoint), now());
        if let Some(running) = &self.compaction {
            running.committed(self.committed);
        }
        self.reader.write().move_some(self.move_per_commit);
        self.start_compaction();
        Ok(())
    }

    /// Forgets what was written since the last commit, cutting it off the file (best
    /// effort: opening cuts an uncommitted tail off anyway).
    fn abandon(&mut self) {
        let _ = self.file.set_len(self.committed);
        self.pending = Pending::default();
    }

    /// Writes the lines of `batch` in chunks, noting what memory must learn of each.
    fn write_lines(&mut self, batch: impl IntoIterator<Item = Told>) -> std::io::Result<()> {
        // The chunk buffer is kept from write to write: growing a fresh one to
        // megabytes each time cost more than filling it.
        let mut text = std::mem::take(&mut self.buffer);
        text.clear();
        let mut lines = LineWriter::default();
        let batch = batch.into_iter();
        self.pending.shown.reserve(batch.size_hint().0);
        for n in batch {
            let start = text.len();
            lines.write_line(&n, &mut text);
            let slot = Slot {
                offset: self.committed + self.pending.written + start as u64,
                len: (text.len() - start - 1) as u32,
                subscriber: 0,
                at: n.at.unix_seconds(),
            };
            self.pending.last = Some(n.id);
            self.pending.shown.push((n.id, n.recipient, slot));
            if text.len() >= WRITE_CHUNK {
                self.file.write_all(&text)?;
                self.pending.written += text.len() as u64;
                text.clear();
            }
        }
        let result = self.file.write_all(&text);
        if result.is_ok() {
            self.pending.written += text.len() as u64;
        }
        self.buffer = text;
        result
    }

    /// Finishes the running compaction if its copy is close behind, at the start of
    /// a commit (before its first line is written), so that little is left to copy.
    /// A failure is logged and changes nothing: the old file stays whole, and a later
    /// commit starts another.
    fn finish_compaction(&mut self) {
        let starting = self.pending.shown.is_empty() && self.pending.written == 0;
        if !starting
            || !self
                .compaction
                .as_ref()
                .is_some_and(|c| c.is_close_behind(self.committed))
        {
            return;
        }
        let running = self.compaction.take().expect("checked above");
        let last = self.reader.last_id();
        if let Err(e) = self.finish(running, self.checkpoint, last) {
            tracing::warn!(error = %e, path = %self.path.display(), "outbox compaction failed");
            let _ = std::fs::remove_file(compaction::scratch_path(&self.path));
        }
    }

    /// Starts a compaction when retention has dropped more lines than the file
    /// keeps, unless one is running or its offsets are still moving.
    fn start_compaction(&mut self) {
        if self.compaction.is_some() {
            return;
        }
        let dropped = {
            let entries = self.reader.read();
            let due = entries.moving.is_none()
                && entries.dropped_since_rewrite > REWRITE_ABOVE
                && entries.dropped_since_rewrite > entries.kept_count;
            if !due {
                return;
            }
            entries.dropped_since_rewrite
        };
        match Compaction::start(&self.path, self.kept_lines(), self.committed, dropped) {
            Ok(c) => self.compaction = Some(c),
            Err(e) => tracing::warn!(error = %e, "outbox compaction could not start"),
        }
    }

    /// The kept lines up to the end of the last commit, for a compaction to list a
    /// chunk at a time on its own thread.
    fn kept_lines(&self) -> compaction::KeptLines {
        let (reader, end) = (self.reader.clone(), self.committed);
        let mut after = 0;
        Box::new(move || {
            let entries = reader.read();
            let chunk: Vec<(u64, Slot)> = entries
                .kept_after(after)
                .take_while(|(_, s)| s.offset < end)
                .take(LIST_CHUNK)
                .collect();
            if let Some((id, _)) = chunk.last() {
                after = *id;
            }
            chunk
                .iter()
                .map(|(_, s)| Span {
                    offset: s.offset,
                    len: s.len,
                })
                .collect()
        })
    }

    /// Puts the compacted file in place (see [`compaction`]) and moves the writer and
    /// the readers to it.
    fn finish(
        &mut self,
        running: Compaction,
        checkpoint: u64,
        last: u64,
    ) -> Result<(), OutboxError> {
        let marker = Checkpoint {
            checkpoint,
            last_id: last,
        };
        let mut line = serde_json::to_vec(&marker).expect("serializes");
        line.push(b'\n');
        let dropped_before = running.dropped_before;
        let done = running.finish(&self.path, self.committed, &line)?;
        self.file = done.writer;
        self.committed = done.length;
        // Readers go on reading what is not moved yet from the old file.
        let mut entries = self.reader.write();
        let old = entries.file.replace(Arc::new(done.reader));
        entries.moving = old.map(|old| Moving {
            old,
            moved_through: 0,
            last,
            relocation: done.relocation,
        });
        entries.dropped_since_rewrite -= dropped_before.min(entries.dropped_since_rewrite);
        Ok(())
    }
}

#[cfg(test)]
impl Outbox {
    /// Waits for a running compaction and finishes it: what a later commit or the
    /// close would do, now.
    fn settle(&mut self) {
        if let Some(running) = self.compaction.take() {
            let last = self.reader.last_id();
            self.finish(running, self.checkpoint, last).unwrap();
            self.reader.write().move_some(u64::MAX);
        }
    }
}

impl Drop for Outbox {
    /// A clean stop leaves the file compact: a running compaction is waited for
    /// and finished.
    fn drop(&mut self) {
        if let Some(running) = self.compaction.take() {
            let last = self.reader.last_id();
            if let Err(e) = self.finish(running, self.checkpoint, last) {
                tracing::warn!(error = %e, "outbox compaction failed at close");
                let _ = std::fs::remove_file(compaction::scratch_path(&self.path));
            }
            self.reader.write().move_some(u64::MAX);
        }
    }
}

#[cfg(test)]
mod tests;
