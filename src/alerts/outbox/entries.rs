//! What memory keeps of the outbox: where each kept notification's line is, whose
//! it is and when its event was, by id and by subscriber.

use super::compaction::Relocation;
use super::Retention;
use foldhash::HashMap;
use std::collections::VecDeque;
use std::fs::File;
use std::sync::Arc;
use stockyard_schema::SubscriberId;

/// Where a kept notification's line is in the file, and what retention needs of it:
/// memory holds this much per notification, not the notification.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    /// Where its line starts.
    pub(super) offset: u64,
    /// Its length, without the newline.
    pub(super) len: u32,
    /// Its subscriber, interned.
    pub(super) subscriber: u32,
    /// Its event's time, in seconds since the epoch.
    pub(super) at: i64,
}

/// One subscriber's kept notifications.
#[derive(Default)]
pub(super) struct Kept {
    /// Ids, ascending.
    pub(super) ids: VecDeque<u64>,
    /// The highest id of this subscriber's that was dropped (0: none).
    pub(super) dropped_through: u64,
}

impl Kept {
    /// Drops this subscriber's `n` oldest; the newest of them, if any.
    pub(super) fn drop_oldest(&mut self, n: usize) -> Option<u64> {
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
pub(super) struct Entries {
    /// The id of `all[0]`.
    pub(super) first: u64,
    /// By id from `first`; `None` where a notification was dropped.
    pub(super) all: VecDeque<Option<Slot>>,
    /// Subscribers by their interned number (foldhash: seeded per process, and
    /// several times faster than SipHash on every notification committed).
    pub(super) subscribers: HashMap<SubscriberId, u32>,
    /// Each interned subscriber's kept notifications.
    pub(super) kept: Vec<Kept>,
    /// The highest id dropped (0: none).
    pub(super) dropped_through: u64,
    /// Dropped entries not yet cut from the file.
    pub(super) dropped_since_rewrite: usize,
    /// How many notifications are kept (the `Some`s of `all`).
    pub(super) kept_count: usize,
    pub(super) retention: Retention,
    /// The file, opened for reading (replaced when the file is rewritten).
    pub(super) file: Option<Arc<File>>,
    /// The move of the offsets to a rewritten file, while it lasts.
    pub(super) moving: Option<Moving>,
}

/// The index's offsets moving to a rewritten file, a share per commit: the
/// notifications up to `last` whose offsets have not moved yet (ids above
/// `moved_through`) are read from the old file, kept open until the move is done.
pub(super) struct Moving {
    pub(super) old: Arc<File>,
    pub(super) moved_through: u64,
    pub(super) last: u64,
    pub(super) relocation: Relocation,
}

impl Entries {
    /// Whether notification `id` at `slot` is still kept. Retention drops each
    /// subscriber's oldest first, so a subscriber's notifications are kept exactly
    /// above its `dropped_through`: a drop moves that mark and never touches the
    /// dropped entry, which sits far back in memory (a cache miss each, hundreds of
    /// times per listing event).
    pub(super) fn is_kept(kept: &[Kept], id: u64, slot: &Slot) -> bool {
        id > kept[slot.subscriber as usize].dropped_through
    }

    pub(super) fn slot(&self, id: u64) -> Option<Slot> {
        let i = id.checked_sub(self.first)?;
        let slot = (*self.all.get(usize::try_from(i).ok()?)?)?;
        Entries::is_kept(&self.kept, id, &slot).then_some(slot)
    }

    pub(super) fn kept_of(&self, subscriber: &SubscriberId) -> Option<&Kept> {
        self.subscribers
            .get(subscriber)
            .map(|&i| &self.kept[i as usize])
    }

    pub(super) fn push(&mut self, id: u64, subscriber: &SubscriberId, mut slot: Slot) {
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
    pub(super) fn count_dropped(&mut self, n: usize, newest: u64) {
        self.dropped_through = self.dropped_through.max(newest);
        self.dropped_since_rewrite += n;
        self.kept_count -= n;
    }

    /// Forgets dropped entries at the front, so that memory follows the oldest
    /// notification kept.
    pub(super) fn trim_front(&mut self) {
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
    pub(super) fn expire(&mut self, now: i64) {
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
    pub(super) fn kept_after(&self, after: u64) -> impl Iterator<Item = (u64, Slot)> + '_ {
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
    pub(super) fn move_some(&mut self, n: u64) {
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
