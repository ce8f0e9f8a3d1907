use super::*;
use crate::alerts::notification::{Card, Kind, Notification};

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
