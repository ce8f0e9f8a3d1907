//! The outbox as readers see it: the kept notifications, read from the file.

use super::super::notification::Notification;
use super::entries::{Entries, Slot};
use super::{OutboxError, Retention};
use std::fs::File;
use std::sync::{Arc, RwLock};
use stockyard_schema::SubscriberId;
use tokio::sync::watch;

/// Reads the lines of `slots` (in file order) from `file`, reading each run of
/// adjacent lines at once.
pub(super) fn read_lines(file: &File, slots: &[Slot]) -> std::io::Result<Vec<Vec<u8>>> {
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
    pub(super) fn new(retention: Retention) -> OutboxReader {
        OutboxReader {
            entries: RwLock::new(Entries {
                retention,
                ..Entries::default()
            }),
            last: watch::Sender::new(0),
            checkpoint: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub(super) fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
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
    pub(super) fn publish<'a>(
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
