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
use std::collections::{HashMap, VecDeque};
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

/// Dropped notifications the file may hold before it is rewritten without them (and
/// only when they outnumber the kept ones).
const REWRITE_ABOVE: usize = 1000;

/// A commit line: the projection's checkpoint and the last notification id given so
/// far (ids stay unique after older notifications are compacted away).
#[derive(Serialize, Deserialize)]
struct Checkpoint {
    checkpoint: u64,
    #[serde(default)]
    last_id: u64,
}

/// A notification line as written: the notification with its card already in JSON,
/// since the cards of one event are shared by every notification that shows them.
/// Its fields are [`Notification`]'s, in its order; the outbox reads the line back
/// as a `Notification` (tested by every reopen).
#[derive(Serialize)]
struct Written<'a> {
    id: u64,
    position: u64,
    at: &'a stockyard_schema::event::Timestamp,
    subscriber: &'a SubscriberId,
    kind: super::Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    saved_search_id: Option<&'a stockyard_schema::SavedSearchId>,
    card: &'a serde_json::value::RawValue,
}

/// The JSON of the cards seen in one write, by card: each is serialized once.
#[derive(Default)]
struct CardJson {
    by_card: HashMap<*const super::Card, Box<serde_json::value::RawValue>>,
}

impl CardJson {
    /// Appends `n` as one JSON line to `out`.
    fn write_line(&mut self, n: &Notification, out: &mut Vec<u8>) {
        let card = self
            .by_card
            .entry(Arc::as_ptr(&n.card))
            .or_insert_with(|| serde_json::value::to_raw_value(&*n.card).expect("cards serialize"));
        let line = Written {
            id: n.id,
            position: n.position,
            at: &n.at,
            subscriber: &n.subscriber,
            kind: n.kind,
            saved_search_id: n.saved_search_id.as_ref(),
            card,
        };
        serde_json::to_writer(&mut *out, &line).expect("notifications serialize");
        out.push(b'\n');
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

/// A line of the file: a notification or a commit.
#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Commit(Checkpoint),
    Notification(Box<Notification>),
}

/// One subscriber's kept notifications.
#[derive(Default)]
struct Kept {
    /// Ids, ascending.
    ids: VecDeque<u64>,
    /// The highest id of this subscriber's that was dropped (0: none).
    dropped_through: u64,
}

/// The kept notifications in memory, by id and by subscriber.
#[derive(Default)]
struct Entries {
    /// The id of `all[0]`.
    first: u64,
    /// By id from `first`; `None` where a notification was dropped.
    all: VecDeque<Option<Arc<Notification>>>,
    by_subscriber: HashMap<SubscriberId, Kept>,
    /// The highest id dropped (0: none).
    dropped_through: u64,
    /// Dropped entries not yet cut from the file.
    dropped_since_rewrite: usize,
    retention: Retention,
}

impl Entries {
    fn at(&self, id: u64) -> Option<&Arc<Notification>> {
        let i = id.checked_sub(self.first)?;
        self.all.get(usize::try_from(i).ok()?)?.as_ref()
    }

    fn drop_id(&mut self, id: u64) {
        if let Some(slot) = id
            .checked_sub(self.first)
            .and_then(|i| self.all.get_mut(i as usize))
        {
            *slot = None;
        }
        self.dropped_through = self.dropped_through.max(id);
        self.dropped_since_rewrite += 1;
    }

    fn push(&mut self, n: Arc<Notification>) {
        if self.all.is_empty() {
            self.first = n.id;
        }
        while self.first + (self.all.len() as u64) < n.id {
            self.all.push_back(None);
        }
        let id = n.id;
        let kept = self.by_subscriber.entry(n.subscriber.clone()).or_default();
        kept.ids.push_back(id);
        let over = kept.ids.len().saturating_sub(self.retention.per_subscriber);
        let mut dropped = Vec::with_capacity(over);
        for _ in 0..over {
            if let Some(old) = kept.ids.pop_front() {
                kept.dropped_through = kept.dropped_through.max(old);
                dropped.push(old);
            }
        }
        self.all.push_back(Some(n));
        for old in dropped {
            self.drop_id(old);
        }
    }

    /// Drops notifications about events older than the retention's age, oldest first.
    fn expire(&mut self, now: i64) {
        let Some(age) = self.retention.max_age else {
            return;
        };
        let oldest = now - age.as_secs() as i64;
        while let Some(front) = self.all.front() {
            match front {
                Some(n) if n.at.unix_seconds() >= oldest => break,
                Some(n) => {
                    let (id, who) = (n.id, n.subscriber.clone());
                    if let Some(kept) = self.by_subscriber.get_mut(&who) {
                        kept.ids.pop_front();
                        kept.dropped_through = kept.dropped_through.max(id);
                        if kept.ids.is_empty() {
                            self.by_subscriber.remove(&who);
                        }
                    }
                    self.dropped_through = self.dropped_through.max(id);
                    self.dropped_since_rewrite += 1;
                }
                None => {}
            }
            self.all.pop_front();
            self.first += 1;
        }
    }

    fn kept(&self) -> impl Iterator<Item = &Arc<Notification>> {
        self.all.iter().flatten()
    }
}

/// The outbox as readers see it: every committed notification, and a signal that
/// carries the last id whenever a batch is committed.
pub struct OutboxReader {
    entries: RwLock<Entries>,
    last: watch::Sender<u64>,
}

impl OutboxReader {
    fn new(retention: Retention) -> OutboxReader {
        OutboxReader {
            entries: RwLock::new(Entries {
                retention,
                ..Entries::default()
            }),
            last: watch::Sender::new(0),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The id of the last notification committed (0 when there is none).
    pub fn last_id(&self) -> u64 {
        *self.last.borrow()
    }

    /// A receiver woken each time notifications are committed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.last.subscribe()
    }

    /// The highest id dropped by retention among the given subscribers' (or
    /// anyone's): a reader resuming below it has missed notifications for good and
    /// must re-read its state.
    pub fn dropped_through(&self, subscribers: Option<&[SubscriberId]>) -> u64 {
        let entries = self.read();
        match subscribers {
            None => entries.dropped_through,
            Some(list) => list
                .iter()
                .filter_map(|s| entries.by_subscriber.get(s))
                .map(|k| k.dropped_through)
                .max()
                .unwrap_or(0),
        }
    }

    /// Up to `limit` kept notifications with ids above `after`, oldest first: of the
    /// given subscribers, or of everyone when `subscribers` is `None`.
    pub fn after(
        &self,
        subscribers: Option<&[SubscriberId]>,
        after: u64,
        limit: usize,
    ) -> Vec<Arc<Notification>> {
        let entries = self.read();
        let Some(subscribers) = subscribers else {
            let skip = (after + 1).saturating_sub(entries.first);
            return entries
                .all
                .iter()
                .skip(usize::try_from(skip).unwrap_or(usize::MAX))
                .flatten()
                .take(limit)
                .cloned()
                .collect();
        };
        let mut out: Vec<Arc<Notification>> = Vec::new();
        for s in subscribers {
            let Some(kept) = entries.by_subscriber.get(s) else {
                continue;
            };
            let from = kept.ids.partition_point(|&id| id <= after);
            out.extend(
                kept.ids
                    .range(from..)
                    .take(limit)
                    .filter_map(|&id| entries.at(id).cloned()),
            );
        }
        out.sort_by_key(|n| n.id);
        out.dedup_by_key(|n| n.id);
        out.truncate(limit);
        out
    }

    fn publish(&self, batch: Vec<Notification>, last: u64, now: i64) {
        {
            let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
            for n in batch {
                entries.push(Arc::new(n));
            }
            entries.expire(now);
        }
        self.last.send_if_modified(|old| {
            let changed = *old != last;
            *old = last;
            changed
        });
    }
}

/// The outbox file, written by the alerts projection alone.
pub struct Outbox {
    file: File,
    path: std::path::PathBuf,
    /// Length of the file up to the last commit line.
    committed: u64,
    checkpoint: u64,
    reader: Arc<OutboxReader>,
}

/// Seconds since the epoch, now.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

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
        let mut committed = 0u64;
        let mut checkpoint = 0u64;
        let mut pending: Vec<Notification> = Vec::new();
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
            offset += read;
            match serde_json::from_str::<Line>(&line) {
                Ok(Line::Notification(mut n)) => {
                    // The notifications of one event share its card, as when told.
                    if let Some(p) = pending.last().filter(|p| p.position == n.position) {
                        if p.card == n.card {
                            n.card = p.card.clone();
                        }
                    }
                    pending.push(*n)
                }
                Ok(Line::Commit(c)) => {
                    let last = c.last_id.max(pending.last().map_or(0, |n| n.id));
                    reader.publish(std::mem::take(&mut pending), last, now);
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
            path: path.to_owned(),
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
    /// batch to readers. On failure the file is cut back to the last commit. When
    /// retention has dropped more than it keeps, the file is rewritten without them.
    pub fn commit(&mut self, batch: Vec<Notification>, checkpoint: u64) -> Result<(), OutboxError> {
        let last = batch.last().map_or(self.reader.last_id(), |n| n.id);
        let mut text: Vec<u8> = Vec::new();
        let mut cards = CardJson::default();
        for n in &batch {
            cards.write_line(n, &mut text);
        }
        let marker = Checkpoint {
            checkpoint,
            last_id: last,
        };
        serde_json::to_writer(&mut text, &marker).expect("serializes");
        text.push(b'\n');
        let written = self
            .file
            .write_all(&text)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // Best effort: open() cuts an uncommitted tail off anyway.
            let _ = self.file.set_len(self.committed);
            return Err(e.into());
        }
        self.committed += text.len() as u64;
        self.checkpoint = checkpoint;
        self.reader.publish(batch, last, now());
        let rewrite = {
            let entries = self.reader.read();
            entries.dropped_since_rewrite > REWRITE_ABOVE
                && entries.dropped_since_rewrite > entries.kept().count()
        };
        if rewrite {
            self.rewrite(checkpoint, last)?;
        }
        Ok(())
    }

    /// Writes the kept notifications and the checkpoint to a new file and puts it in
    /// place of the old one (a crash leaves one or the other, both whole).
    fn rewrite(&mut self, checkpoint: u64, last: u64) -> Result<(), OutboxError> {
        let mut text: Vec<u8> = Vec::new();
        {
            let mut entries = self
                .reader
                .entries
                .write()
                .unwrap_or_else(|e| e.into_inner());
            let mut cards = CardJson::default();
            for n in entries.kept() {
                cards.write_line(n, &mut text);
            }
            entries.dropped_since_rewrite = 0;
        }
        serde_json::to_writer(
            &mut text,
            &Checkpoint {
                checkpoint,
                last_id: last,
            },
        )
        .expect("serializes");
        text.push(b'\n');
        crate::fsutil::write_atomic(&self.path, &text)?;
        self.file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&self.path)?;
        self.committed = text.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::notification::{Card, Kind};

    fn told(id: u64, who: &str, at: &str) -> Notification {
        Notification {
            id,
            position: id,
            at: stockyard_schema::event::Timestamp::parse(at).unwrap(),
            subscriber: SubscriberId::new(who).unwrap(),
            kind: Kind::NewMatch,
            saved_search_id: None,
            card: Arc::new(Card {
                machine_id: stockyard_schema::MachineId::new(format!("M{id}")).unwrap(),
                title: String::new(),
                model: None,
                maker: None,
                year: None,
                hours: None,
                price: None,
                previous_price: None,
            }),
        }
    }

    #[test]
    fn notifications_about_old_events_expire_and_readers_are_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.ndjson");
        let retention = Retention {
            per_subscriber: 100,
            max_age: Some(std::time::Duration::from_secs(24 * 3600)),
        };
        let recent = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let mut outbox = Outbox::open(&path, retention).unwrap();
        outbox
            .commit(
                vec![
                    told(1, "a", "2020-01-01T00:00:00Z"),
                    told(2, "b", "2020-01-02T00:00:00Z"),
                    told(3, "a", &recent),
                ],
                10,
            )
            .unwrap();
        let reader = outbox.reader();
        let a = [SubscriberId::new("a").unwrap()];
        let ids = |r: &OutboxReader, who: Option<&[SubscriberId]>| -> Vec<u64> {
            r.after(who, 0, 10).iter().map(|n| n.id).collect()
        };
        assert_eq!(ids(&reader, None), [3]);
        assert_eq!(ids(&reader, Some(&a)), [3]);
        assert_eq!(reader.dropped_through(Some(&a)), 1);
        assert_eq!(reader.dropped_through(None), 2);
        drop(outbox);
        // Read again from the file: the same, and the ids go on from 3.
        let outbox = Outbox::open(&path, retention).unwrap();
        assert_eq!(ids(&outbox.reader(), None), [3]);
        assert_eq!(outbox.checkpoint(), 10);
        assert_eq!(outbox.next_id(), 4);
    }

    #[test]
    fn the_notifications_of_one_event_share_its_card_in_memory_and_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.ndjson");
        let mut outbox = Outbox::open(&path, Retention::default()).unwrap();
        // GIVEN one event telling three subscribers with one card, and another event
        let one = told(1, "a", "2026-01-01T00:00:00Z");
        let same = |id: u64, who: &str| Notification {
            id,
            subscriber: SubscriberId::new(who).unwrap(),
            ..one.clone()
        };
        let batch = vec![
            same(1, "a"),
            same(2, "b"),
            same(3, "c"),
            told(4, "a", "2026-01-01T00:00:00Z"),
        ];
        outbox.commit(batch.clone(), 5).unwrap();
        drop(outbox);
        // WHEN the outbox is read back from its file
        let outbox = Outbox::open(&path, Retention::default()).unwrap();
        let back = outbox.reader().after(None, 0, 10);
        // THEN it holds the same notifications, the first three sharing one card
        assert_eq!(
            back.iter().map(|n| (**n).clone()).collect::<Vec<_>>(),
            batch
        );
        assert!(Arc::ptr_eq(&back[0].card, &back[1].card));
        assert!(Arc::ptr_eq(&back[1].card, &back[2].card));
        assert!(!Arc::ptr_eq(&back[2].card, &back[3].card));
    }
}
