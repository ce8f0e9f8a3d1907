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

use super::notification::{Card, Notification, Recipient, Told};
use compaction::{Compaction, Relocation, Span};
use foldhash::HashMap;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
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

/// Where a kept notification's line is in the file, and what retention needs of it:
/// memory holds this much per notification, not the notification.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Where its line starts.
    offset: u64,
    /// Its length, without the newline.
    len: u32,
    /// Its subscriber, interned.
    subscriber: u32,
    /// Its event's time, in seconds since the epoch.
    at: i64,
}

/// One subscriber's kept notifications.
#[derive(Default)]
struct Kept {
    /// Ids, ascending.
    ids: VecDeque<u64>,
    /// The highest id of this subscriber's that was dropped (0: none).
    dropped_through: u64,
}

impl Kept {
    /// Drops this subscriber's `n` oldest; the newest of them, if any.
    fn drop_oldest(&mut self, n: usize) -> Option<u64> {
        let mut newest = None;
        for _ in 0..n {
            newest = self.ids.pop_front().or(newest);
        }
        if let Some(id) = newest {
            self.dropped_through = self.dropped_through.max(id);
        }
        newest
    }
}

/// The kept notifications, by id and by subscriber, and the file that holds them.
#[derive(Default)]
struct Entries {
    /// The id of `all[0]`.
    first: u64,
    /// By id from `first`; `None` where a notification was dropped.
    all: VecDeque<Option<Slot>>,
    /// Subscribers by their interned number (foldhash: seeded per process, and
    /// several times faster than SipHash on every notification committed).
    subscribers: HashMap<SubscriberId, u32>,
    /// Each interned subscriber's kept notifications.
    kept: Vec<Kept>,
    /// The highest id dropped (0: none).
    dropped_through: u64,
    /// Dropped entries not yet cut from the file.
    dropped_since_rewrite: usize,
    /// How many notifications are kept (the `Some`s of `all`).
    kept_count: usize,
    retention: Retention,
    /// The file, opened for reading (replaced when the file is rewritten).
    file: Option<Arc<File>>,
    /// The move of the offsets to a rewritten file, while it lasts.
    moving: Option<Moving>,
}

/// The index's offsets moving to a rewritten file, a share per commit: the
/// notifications up to `last` whose offsets have not moved yet (ids above
/// `moved_through`) are read from the old file, kept open until the move is done.
struct Moving {
    old: Arc<File>,
    moved_through: u64,
    last: u64,
    relocation: Relocation,
}

impl Entries {
    /// Whether notification `id` at `slot` is still kept. Retention drops each
    /// subscriber's oldest first, so a subscriber's notifications are kept exactly
    /// above its `dropped_through`: a drop moves that mark and never touches the
    /// dropped entry, which sits far back in memory (a cache miss each, hundreds of
    /// times per listing event).
    fn is_kept(kept: &[Kept], id: u64, slot: &Slot) -> bool {
        id > kept[slot.subscriber as usize].dropped_through
    }

    fn slot(&self, id: u64) -> Option<Slot> {
        let i = id.checked_sub(self.first)?;
        let slot = (*self.all.get(usize::try_from(i).ok()?)?)?;
        Entries::is_kept(&self.kept, id, &slot).then_some(slot)
    }

    fn kept_of(&self, subscriber: &SubscriberId) -> Option<&Kept> {
        self.subscribers
            .get(subscriber)
            .map(|&i| &self.kept[i as usize])
    }

    fn push(&mut self, id: u64, subscriber: &SubscriberId, mut slot: Slot) {
        if self.all.is_empty() {
            self.first = id;
        }
        while self.first + (self.all.len() as u64) < id {
            self.all.push_back(None);
        }
        let who = match self.subscribers.get(subscriber) {
            Some(&who) => who,
            None => {
                let next = self.kept.len() as u32;
                self.subscribers.insert(subscriber.clone(), next);
                self.kept.push(Kept::default());
                next
            }
        };
        slot.subscriber = who;
        self.all.push_back(Some(slot));
        self.kept_count += 1;
        let kept = &mut self.kept[who as usize];
        kept.ids.push_back(id);
        let over = kept.ids.len().saturating_sub(self.retention.per_subscriber);
        if let Some(newest) = kept.drop_oldest(over) {
            self.count_dropped(over, newest);
        }
        self.trim_front();
    }

    /// Counts `n` notifications, the newest of them `newest`, as dropped.
    fn count_dropped(&mut self, n: usize, newest: u64) {
        self.dropped_through = self.dropped_through.max(newest);
        self.dropped_since_rewrite += n;
        self.kept_count -= n;
    }

    /// Forgets dropped entries at the front, so that memory follows the oldest
    /// notification kept.
    fn trim_front(&mut self) {
        while let Some(front) = self.all.front() {
            if let Some(slot) = front {
                if Entries::is_kept(&self.kept, self.first, slot) {
                    break;
                }
            }
            self.all.pop_front();
            self.first += 1;
        }
    }

    /// Drops notifications about events older than the retention's age, oldest first.
    fn expire(&mut self, now: i64) {
        let Some(age) = self.retention.max_age else {
            return;
        };
        let oldest = now - age.as_secs() as i64;
        while let Some(front) = self.all.front() {
            if let Some(slot) = *front {
                let id = self.first;
                if Entries::is_kept(&self.kept, id, &slot) {
                    if slot.at >= oldest {
                        break;
                    }
                    self.kept[slot.subscriber as usize].drop_oldest(1);
                    self.count_dropped(1, id);
                }
            }
            self.all.pop_front();
            self.first += 1;
        }
    }

    /// The kept slots from `after` on (every one when 0), with their ids, in id (and
    /// file) order.
    fn kept_after(&self, after: u64) -> impl Iterator<Item = (u64, Slot)> + '_ {
        let skip = usize::try_from((after + 1).saturating_sub(self.first))
            .unwrap_or(usize::MAX)
            .min(self.all.len());
        self.all
            .range(skip..)
            .enumerate()
            .filter_map(move |(i, slot)| {
                let id = self.first + (skip + i) as u64;
                slot.filter(|s| Entries::is_kept(&self.kept, id, s))
                    .map(|s| (id, s))
            })
    }

    /// Moves the offsets of up to `n` more notifications to the rewritten file, in
    /// id order; closes the old file once all have moved.
    fn move_some(&mut self, n: u64) {
        let Some(moving) = self.moving.as_mut().filter(|_| n > 0) else {
            return;
        };
        let from = (moving.moved_through + 1).max(self.first);
        let through = moving.last.min(from.saturating_add(n - 1));
        for id in from..=through {
            let Some(Some(slot)) = self.all.get_mut((id - self.first) as usize) else {
                continue;
            };
            // A dropped line is never read again: its offset may stay behind.
            if Entries::is_kept(&self.kept, id, slot) {
                moving.relocation.relocate(slot);
            }
        }
        moving.moved_through = through;
        if through >= moving.last {
            self.moving = None;
        }
    }
}

/// Reads the lines of `slots` (in file order) from `file`, reading each run of
/// adjacent lines at once.
fn read_lines(file: &File, slots: &[Slot]) -> std::io::Result<Vec<Vec<u8>>> {
    use std::os::unix::fs::FileExt;
    let mut out = Vec::with_capacity(slots.len());
    let mut i = 0;
    while i < slots.len() {
        // A run: each line starts right after the previous one's newline.
        let mut j = i + 1;
        while j < slots.len()
            && slots[j].offset == slots[j - 1].offset + u64::from(slots[j - 1].len) + 1
        {
            j += 1;
        }
        let start = slots[i].offset;
        let end = slots[j - 1].offset + u64::from(slots[j - 1].len);
        let mut buf = vec![0; (end - start) as usize];
        file.read_exact_at(&mut buf, start)?;
        for s in &slots[i..j] {
            let from = (s.offset - start) as usize;
            out.push(buf[from..from + s.len as usize].to_vec());
        }
        i = j;
    }
    Ok(out)
}

/// The outbox as readers see it: every committed notification, and a signal that
/// carries the last id whenever a batch is committed.
pub struct OutboxReader {
    entries: RwLock<Entries>,
    last: watch::Sender<u64>,
    /// The checkpoint of the last commit.
    checkpoint: std::sync::atomic::AtomicU64,
}

impl OutboxReader {
    fn new(retention: Retention) -> OutboxReader {
        OutboxReader {
            entries: RwLock::new(Entries {
                retention,
                ..Entries::default()
            }),
            last: watch::Sender::new(0),
            checkpoint: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The id of the last notification committed (0 when there is none).
    pub fn last_id(&self) -> u64 {
        *self.last.borrow()
    }

    /// The log position up to which every notification is committed (the checkpoint
    /// of the last batch that told anyone): what an event told is visible once this
    /// passes its position.
    pub fn checkpoint(&self) -> u64 {
        self.checkpoint.load(std::sync::atomic::Ordering::Acquire)
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
                .filter_map(|s| entries.kept_of(s))
                .map(|k| k.dropped_through)
                .max()
                .unwrap_or(0),
        }
    }

    /// Up to `limit` kept notifications with ids above `after`, oldest first: of the
    /// given subscribers, or of everyone when `subscribers` is `None`. They are read
    /// from the file.
    pub fn after(
        &self,
        subscribers: Option<&[SubscriberId]>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Arc<Notification>>, OutboxError> {
        let (slots, file, moving) = {
            let entries = self.read();
            let slots: Vec<(u64, Slot)> = match subscribers {
                None => entries.kept_after(after).take(limit).collect(),
                Some(subscribers) => {
                    let mut ids: Vec<u64> = Vec::new();
                    for s in subscribers {
                        let Some(kept) = entries.kept_of(s) else {
                            continue;
                        };
                        let from = kept.ids.partition_point(|&id| id <= after);
                        ids.extend(kept.ids.range(from..).take(limit));
                    }
                    ids.sort_unstable();
                    ids.dedup();
                    ids.truncate(limit);
                    ids.iter()
                        .filter_map(|&id| entries.slot(id).map(|s| (id, s)))
                        .collect()
                }
            };
            // The files and the offsets are taken together: a rewrite replaces both.
            let moving = entries
                .moving
                .as_ref()
                .map(|m| (m.old.clone(), m.moved_through, m.last));
            (slots, entries.file.clone(), moving)
        };
        let Some(file) = file else {
            return Ok(Vec::new());
        };
        let (ids, slots): (Vec<u64>, Vec<Slot>) = slots.into_iter().unzip();
        // Ids ascend, so those still in the old file of a rewrite are one run.
        let (old, from, to) = match &moving {
            Some((old, moved_through, last)) => (
                old,
                ids.partition_point(|id| id <= moved_through),
                ids.partition_point(|id| id <= last),
            ),
            None => (&file, 0, 0),
        };
        let mut lines = read_lines(&file, &slots[..from])?;
        lines.extend(read_lines(old, &slots[from..to])?);
        lines.extend(read_lines(&file, &slots[to..])?);
        lines
            .iter()
            .map(|line| {
                serde_json::from_slice::<Notification>(line)
                    .map(Arc::new)
                    .map_err(|e| OutboxError::Damaged(e.to_string()))
            })
            .collect()
    }

    /// Shows a committed batch to readers: `(id, subscriber, slot)` of each line.
    fn publish<'a>(
        &self,
        batch: impl IntoIterator<Item = (u64, &'a SubscriberId, Slot)>,
        (last, checkpoint): (u64, u64),
        now: i64,
    ) {
        {
            let mut entries = self.write();
            for (id, subscriber, slot) in batch {
                entries.push(id, subscriber, slot);
            }
            entries.expire(now);
        }
        self.checkpoint
            .store(checkpoint, std::sync::atomic::Ordering::Release);
        self.last.send_if_modified(|old| {
            let changed = *old != last;
            *old = last;
            changed
        });
    }
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
mod tests {
    use super::*;
    use crate::alerts::notification::{Card, Kind};

    /// Commits notifications as the alerts hand them over.
    fn commit(outbox: &mut Outbox, batch: Vec<Notification>, checkpoint: u64) {
        outbox
            .commit(batch.into_iter().map(Told::from), checkpoint)
            .unwrap();
    }

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
        commit(
            &mut outbox,
            vec![
                told(1, "a", "2020-01-01T00:00:00Z"),
                told(2, "b", "2020-01-02T00:00:00Z"),
                told(3, "a", &recent),
            ],
            10,
        );
        let reader = outbox.reader();
        let a = [SubscriberId::new("a").unwrap()];
        let ids = |r: &OutboxReader, who: Option<&[SubscriberId]>| -> Vec<u64> {
            r.after(who, 0, 10).unwrap().iter().map(|n| n.id).collect()
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
    fn a_line_is_what_serde_writes_for_the_notification() {
        // Ids may hold quotes and backslashes, and a title anything.
        let mut watched = told(7, "buyer\"q\"\\1", "2026-03-04T05:06:07Z");
        Arc::make_mut(&mut watched.card).title = "PC200 \"-8\" ユンボ\n".into();
        let searched = Notification {
            id: 8,
            saved_search_id: Some(stockyard_schema::SavedSearchId::new("s\\1").unwrap()),
            kind: Kind::PriceChanged,
            ..watched.clone()
        };
        let mut lines = LineWriter::default();
        for n in [watched, searched] {
            let mut out = Vec::new();
            lines.write_line(&Told::from(n.clone()), &mut out);
            let expected = serde_json::to_string(&n).unwrap() + "\n";
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }

    #[test]
    fn the_index_holds_forty_bytes_per_kept_notification() {
        // One `Option<Slot>` in the id order, one id in the subscriber's list: what
        // the module docs and docs/alerts.md promise.
        let per_notification = std::mem::size_of::<Option<Slot>>() + std::mem::size_of::<u64>();
        assert_eq!(per_notification, 40);
    }

    #[test]
    fn notifications_are_read_back_from_the_file_after_a_rewrite_and_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.ndjson");
        let retention = Retention {
            per_subscriber: 2,
            max_age: None,
        };
        let mut outbox = Outbox::open(&path, retention).unwrap();
        let reader = outbox.reader();
        // GIVEN one event telling two subscribers with one card
        let one = told(1, "a", "2026-01-01T00:00:00Z");
        let to_b = Notification {
            id: 2,
            subscriber: SubscriberId::new("b").unwrap(),
            ..one.clone()
        };
        commit(&mut outbox, vec![one, to_b.clone()], 2);
        // WHEN "a" is told so much more that retention drops more than the file
        // may hold, and the file is rewritten with the kept lines only
        let many: Vec<Notification> = (3..=1_203)
            .map(|id| told(id, "a", "2026-01-02T00:00:00Z"))
            .collect();
        let newest = many[many.len() - 2..].to_vec();
        commit(&mut outbox, many, 3);
        assert!(outbox.compaction.is_some(), "a compaction started");
        // and "b" is told once more while it runs (the next commit finishes it if
        // its copy is done; the new line then lands in the old file's tail or in
        // the new file)
        let again = Notification {
            id: 1_204,
            position: 1_204,
            ..to_b.clone()
        };
        commit(&mut outbox, vec![again.clone()], 4);
        outbox.settle();
        let text = std::fs::read_to_string(&path).unwrap();
        let notifications = text
            .lines()
            .filter(|l| !l.starts_with("{\"checkpoint\""))
            .count();
        assert_eq!(notifications, 4, "the four kept lines: {text}");
        // THEN readers read the kept notifications whole, from the new file…
        let mut expected = vec![to_b.clone()];
        expected.extend(newest.iter().cloned());
        expected.push(again.clone());
        assert_eq!(everyone(&reader), expected);
        let b = [SubscriberId::new("b").unwrap()];
        let of_b: Vec<Notification> = reader
            .after(Some(&b), 0, 10)
            .unwrap()
            .iter()
            .map(|n| (**n).clone())
            .collect();
        assert_eq!(of_b, [to_b, again]);
        // and what is committed after it goes on in the new file.
        let last = Notification {
            id: 1_205,
            position: 1_205,
            ..one_more(&expected)
        };
        commit(&mut outbox, vec![last.clone()], 5);
        expected.push(last);
        assert_eq!(everyone(&reader), expected);
        drop(outbox);
        // …and so does the outbox opened again, which goes on after the last id.
        let outbox = Outbox::open(&path, retention).unwrap();
        assert_eq!(everyone(&outbox.reader()), expected);
        assert_eq!(outbox.next_id(), 1_206);
    }

    #[test]
    fn readers_read_every_notification_while_offsets_move_to_the_rewritten_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.ndjson");
        let retention = Retention {
            per_subscriber: 3,
            max_age: None,
        };
        let mut outbox = Outbox::open(&path, retention).unwrap();
        let reader = outbox.reader();
        // GIVEN subscribers "a" and "b" told in turn until retention has dropped more
        // than the file keeps, so that a rewrite starts
        let batch: Vec<Notification> = (1..=2_400)
            .map(|id| {
                told(
                    id,
                    if id % 2 == 0 { "a" } else { "b" },
                    "2026-01-02T00:00:00Z",
                )
            })
            .collect();
        commit(&mut outbox, batch, 1);
        let before = everyone(&reader);
        assert_eq!(before.len(), 6, "the newest three of a and of b");
        assert!(outbox.compaction.is_some(), "a rewrite started");
        // WHEN "c" is told while it copies (its line lands in the old file's tail,
        // unless the copy was already close behind), then "d" once it is close behind,
        // which puts the rewrite in place before d's line, no offset moved yet
        outbox.move_per_commit = 0;
        let tail = told(2_401, "c", "2026-01-02T00:00:00Z");
        commit(&mut outbox, vec![tail.clone()], 2);
        while outbox
            .compaction
            .as_ref()
            .is_some_and(|c| !c.is_close_behind(outbox.committed))
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let after = told(2_402, "d", "2026-01-02T00:00:00Z");
        commit(&mut outbox, vec![after.clone()], 3);
        assert!(outbox.compaction.is_none() && reader.read().moving.is_some());
        let mut expected = before.clone();
        expected.extend([tail.clone(), after]);
        // THEN readers read the same notifications: from the old file (but d's),
        assert_eq!(everyone(&reader), expected);
        // from both while some have moved (2395 and 2396 of the kept 2395..=2402),
        let first = reader.read().first;
        reader.write().move_some(2_396 - first + 1);
        let moved_through = reader.read().moving.as_ref().map(|m| m.moved_through);
        assert_eq!(moved_through, Some(2_396));
        assert_eq!(everyone(&reader), expected);
        let c = [SubscriberId::new("c").unwrap()];
        assert_eq!(*reader.after(Some(&c), 0, 10).unwrap()[0], tail);
        // and from the new one once all have, when the old file is let go.
        reader.write().move_some(u64::MAX);
        assert!(reader.read().moving.is_none());
        assert_eq!(everyone(&reader), expected);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().filter(|l| l.starts_with("{\"id\"")).count(), 8);
    }

    /// Every kept notification, as readers read it.
    fn everyone(reader: &OutboxReader) -> Vec<Notification> {
        let read = reader.after(None, 0, 100).unwrap();
        read.iter().map(|n| (**n).clone()).collect()
    }

    /// A notification for "c", like the first of `seen`.
    fn one_more(seen: &[Notification]) -> Notification {
        Notification {
            subscriber: SubscriberId::new("c").unwrap(),
            ..seen[0].clone()
        }
    }
}
