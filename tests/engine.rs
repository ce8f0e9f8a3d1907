//! The engine as a whole: events in through the ingest path, visible to text search
//! and the graph; out-of-order references; dead letters retried; rebuilds switch
//! generations atomically; a projection version change rebuilds at start.
//! Real tantivy indexes and graph snapshots on disk.

use std::sync::{Arc, OnceLock};
use std::time::Duration;
use stockyard::engine::{Engine, Format, IngestError, Settings};
use stockyard::search::{LanguageDetector, SearchRequest, Sort, StoredListing};
use stockyard_schema::{demo, Event};

const CATALOG: &str = include_str!("data/catalog.ndjson");
const WAIT: Duration = Duration::from_secs(60);

fn detector() -> Arc<LanguageDetector> {
    static D: OnceLock<Arc<LanguageDetector>> = OnceLock::new();
    D.get_or_init(|| Arc::new(LanguageDetector::new())).clone()
}

fn engine(dir: &std::path::Path) -> Arc<Engine> {
    let mut s = Settings::new(dir);
    s.max_delay = Duration::from_millis(20);
    Engine::open(s, detector()).unwrap()
}

fn ingest(e: &Engine, body: &str) -> u64 {
    let r = e.ingest(body, Format::Ndjson).unwrap();
    let last = r.last_position.map_or(e.head(), |p| p + 1);
    assert!(e.wait_visible(last, WAIT), "visible in time");
    last
}

fn search(e: &Engine, text: &str) -> Vec<String> {
    let r = e
        .current()
        .text()
        .search(&SearchRequest {
            text: text.into(),
            limit: 100,
            sort: Sort::Relevance,
            ..Default::default()
        })
        .unwrap();
    let mut ids: Vec<String> = r.hits.into_iter().map(|h| h.machine_id).collect();
    ids.sort();
    ids
}

fn documents(e: &Engine) -> Vec<(u64, StoredListing)> {
    e.current().text().documents().unwrap()
}

fn ndjson(events: &[Event]) -> String {
    events.iter().map(|e| e.to_json() + "\n").collect()
}

#[test]
fn ingested_events_become_searchable_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    // GIVEN the catalog, WHEN it is ingested and visible
    ingest(&e, CATALOG);
    // THEN text search finds listings through maker names and the graph counts them.
    // (M7's model is not registered: it has no maker yet.)
    assert_eq!(search(&e, "komatsu"), ["M1", "M2", "M3", "M5"]);
    let docs = documents(&e);
    let graph = e.current().graph().get();
    assert_eq!(docs.len() as u64, graph.live_count());
    // Keys agree: every document's key is the graph's key for the same machine.
    let mut g = (*graph).clone();
    for (key, doc) in &docs {
        assert_eq!(
            *key,
            u64::from(g.machine_key(doc.machine.id.as_str())),
            "{}",
            doc.machine.id
        );
    }
    e.shutdown();
}

#[test]
fn a_request_with_one_bad_event_is_rejected_whole() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    let body = format!(
        "{}\n{}\n",
        r#"{"id":"x1","type":"MakerRegistered","at":"2026-01-01T00:00:00Z","data":{"maker_id":"cat","names":{"en":"Caterpillar"}}}"#,
        r#"{"id":"x2","type":"MachineListed","at":"2026-01-01T00:00:00Z","data":{"machine_id":"Q1","model_id":"m","title":"T","year":-3}}"#
    );
    // WHEN a request holds a valid and an invalid event
    let err = e.ingest(&body, Format::Ndjson).unwrap_err();
    // THEN nothing is appended and the error names the line and the field.
    let IngestError::Rejected { count, errors } = err else {
        panic!("rejected, got {err:?}")
    };
    assert_eq!(count, 1);
    assert_eq!(errors[0].line, 2);
    assert_eq!(errors[0].event_id.as_deref(), Some("x2"));
    assert_eq!(errors[0].field.as_deref(), Some("data.year"));
    assert_eq!(e.head(), 0);
    // A JSON array is numbered by element; a resent request skips what is there.
    let array = format!("[{}]", CATALOG.trim().replace('\n', ","));
    let first = e.ingest(&array, Format::JsonArray).unwrap();
    assert_eq!((first.accepted, first.first_position), (23, Some(0)));
    let again = e.ingest(&array, Format::JsonArray).unwrap();
    assert_eq!((again.accepted, again.duplicates), (0, 23));
    assert!(matches!(
        e.ingest("{\"id\":1}", Format::JsonArray),
        Err(IngestError::NotAnArray(_))
    ));
    assert!(matches!(
        e.ingest("\n\n", Format::Ndjson),
        Err(IngestError::Empty)
    ));
    e.shutdown();
}

#[test]
fn a_listing_before_its_model_becomes_complete_when_the_model_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    // GIVEN a listing whose model (and maker) are not registered yet
    ingest(
        &e,
        r#"{"id":"l1","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"E1","model_id":"ec220","title":{"en":"Crawler excavator, low hours"}}}"#,
    );
    // THEN it is searchable by its own words, but not by its maker yet.
    assert_eq!(search(&e, "crawler"), ["E1"]);
    assert!(search(&e, "volvo").is_empty());
    // WHEN the maker, category and model arrive
    ingest(
        &e,
        &[
            r#"{"id":"k1","type":"MakerRegistered","at":"2026-01-03T00:00:00Z","data":{"maker_id":"volvo","names":{"en":"Volvo"}}}"#,
            r#"{"id":"c1","type":"CategoryDefined","at":"2026-01-03T00:00:00Z","data":{"category_id":"crawlers","names":{"en":"Crawler excavators","de":"Kettenbagger"}}}"#,
            r#"{"id":"m1","type":"ModelRegistered","at":"2026-01-03T00:00:00Z","data":{"model_id":"ec220","maker_id":"volvo","category_id":"crawlers","name":"EC220E"}}"#,
        ]
        .join("\n"),
    );
    // THEN the maker and category names find it, and the graph counts it under them.
    assert_eq!(search(&e, "volvo"), ["E1"]);
    assert_eq!(search(&e, "kettenbagger"), ["E1"]);
    let graph = e.current().graph().get();
    let makers = graph.makers(stockyard_schema::Lang::EN);
    assert_eq!(
        makers
            .iter()
            .map(|m| (m.id.as_str(), m.count))
            .collect::<Vec<_>>(),
        [("volvo", 1)]
    );
    // WHEN a parent category is defined above it THEN the listing is found by it too.
    ingest(
        &e,
        &[
            r#"{"id":"c2","type":"CategoryDefined","at":"2026-01-04T00:00:00Z","data":{"category_id":"earthmoving","names":{"en":"Earthmoving"}}}"#,
            r#"{"id":"c3","type":"CategoryDefined","at":"2026-01-04T00:00:00Z","data":{"category_id":"crawlers","parent_id":"earthmoving","names":{"en":"Crawler excavators"}}}"#,
        ]
        .join("\n"),
    );
    assert_eq!(search(&e, "earthmoving"), ["E1"]);
    e.shutdown();
}

#[test]
fn dead_letters_are_kept_across_restarts_and_retried() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = engine(dir.path());
        // GIVEN an update for a machine that is not listed (yet)
        ingest(
            &e,
            r#"{"id":"u1","type":"MachineUpdated","at":"2026-01-02T00:00:00Z","data":{"machine_id":"Z9","title":{"en":"Wheel loader with new tyres"}}}"#,
        );
        // THEN it is a dead letter with its reason, and later events still apply.
        let letters = e.dead_letters();
        assert_eq!(letters.len(), 1);
        assert_eq!(
            (letters[0].event_id.as_str(), letters[0].reason.as_str()),
            ("u1", "machine Z9 is not listed")
        );
        ingest(
            &e,
            r#"{"id":"l1","type":"MachineListed","at":"2026-01-03T00:00:00Z","data":{"machine_id":"Z9","model_id":"wa380","title":{"en":"Wheel loader"}}}"#,
        );
        assert_eq!(e.status().dead_letters, 1);
        e.shutdown();
    }
    // WHEN the service restarts THEN the dead letter is still listed
    let e = engine(dir.path());
    assert_eq!(e.dead_letters().len(), 1);
    assert!(search(&e, "tyres").is_empty());
    // WHEN it is retried THEN it applies after the listing and the list is empty.
    assert_eq!(e.retry_dead_letters().unwrap(), 1);
    assert!(e.wait_visible(e.head(), WAIT));
    assert_eq!(search(&e, "tyres"), ["Z9"]);
    assert!(e.dead_letters().is_empty());
    e.shutdown();
}

#[test]
fn a_rebuild_switches_to_an_equal_new_generation_and_removes_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    let events: Vec<Event> = demo::generate(5, 400).collect();
    ingest(&e, &ndjson(&events));
    let before = documents(&e);
    let before_tree = e
        .current()
        .graph()
        .get()
        .category_tree(stockyard_schema::Lang::JA);
    let old = e.current();
    assert_eq!(old.number(), 1);
    // WHEN the catalog is rebuilt from event 0
    let mut reports = 0;
    let number = e.rebuild_blocking(|_| reports += 1).unwrap();
    // THEN the new generation serves, holds the same, and the old one is gone.
    assert_eq!(number, 2);
    assert!(reports > 0);
    assert_eq!(e.current().number(), 2);
    assert_eq!(documents(&e), before);
    assert_eq!(
        e.current()
            .graph()
            .get()
            .category_tree(stockyard_schema::Lang::JA),
        before_tree
    );
    assert!(!old.dir().exists(), "old generation removed");
    // A reader holding the old generation still gets answers from it.
    assert_eq!(old.text().documents().unwrap(), before);
    e.shutdown();
    drop(e);
    // And the switch survives a restart, with the new generation (built from a
    // backlog) compacted into one segment.
    let e = engine(dir.path());
    assert_eq!(e.current().number(), 2);
    assert_eq!(documents(&e), before);
    assert_eq!(
        e.current().text().layout().unwrap(),
        stockyard::search::Layout {
            segments: 1,
            deleted: 0
        }
    );
    e.shutdown();
}

#[test]
fn a_new_projection_version_rebuilds_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let e = engine(dir.path());
        ingest(&e, CATALOG);
        let docs = documents(&e);
        e.shutdown();
        docs
    };
    // GIVEN a generation written by another projection version
    std::fs::write(dir.path().join("gen-000001/VERSION"), "projections-v0").unwrap();
    // WHEN the engine starts THEN the old generation serves at once, while the next
    // one is built from the log and takes over.
    let e = engine(dir.path());
    // Whichever generation serves, from the first moment, it holds everything: the
    // old one until the new one has caught up.
    assert_eq!(documents(&e), before);
    let started = std::time::Instant::now();
    while e.current().number() != 2 || e.rebuild_progress().is_some() {
        assert!(started.elapsed() < WAIT, "rebuilt in time");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(e.wait_visible(e.head(), WAIT));
    assert_eq!(documents(&e), before);
    assert!(!dir.path().join("gen-000001").exists());
    e.shutdown();
}

#[test]
fn events_of_one_machine_apply_in_log_order_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Settings::new(dir.path());
    s.batch = 2;
    s.max_delay = Duration::from_millis(1);
    let e = Engine::open(s, detector()).unwrap();
    // GIVEN one machine's life interleaved with another's, committed two at a time
    let lines = [
        r#"{"id":"a1","type":"MachineListed","at":"2026-01-01T00:00:00Z","data":{"machine_id":"A","model_id":"m","title":{"en":"First title"},"price":{"amount":100,"currency":"USD"}}}"#,
        r#"{"id":"b1","type":"MachineListed","at":"2026-01-01T00:00:00Z","data":{"machine_id":"B","model_id":"m","title":{"en":"Other"}}}"#,
        r#"{"id":"a2","type":"MachineUpdated","at":"2026-01-02T00:00:00Z","data":{"machine_id":"A","price":{"amount":200,"currency":"USD"}}}"#,
        r#"{"id":"a3","type":"MachineSold","at":"2026-01-03T00:00:00Z","data":{"machine_id":"A"}}"#,
        r#"{"id":"b2","type":"MachineUpdated","at":"2026-01-03T00:00:00Z","data":{"machine_id":"B","year":2011}}"#,
        r#"{"id":"a4","type":"MachineListed","at":"2026-01-04T00:00:00Z","data":{"machine_id":"A","model_id":"m","title":{"en":"Listed again"}}}"#,
        r#"{"id":"a5","type":"MachineUpdated","at":"2026-01-05T00:00:00Z","data":{"machine_id":"A","year":2020}}"#,
    ];
    ingest(&e, &lines.join("\n"));
    // THEN the machine is as its last events made it: listed again, without the old
    // price, with the later year; its key is the one of its first listing.
    let docs = documents(&e);
    let a = docs
        .iter()
        .find(|(_, d)| d.machine.id.as_str() == "A")
        .unwrap();
    assert_eq!(a.0, 0);
    assert_eq!(
        a.1.machine.title.best(stockyard_schema::Lang::EN),
        "Listed again"
    );
    assert_eq!(a.1.machine.year.map(|y| y.get()), Some(2020));
    assert_eq!(a.1.machine.price, None);
    let b = docs
        .iter()
        .find(|(_, d)| d.machine.id.as_str() == "B")
        .unwrap();
    assert_eq!(b.1.machine.year.map(|y| y.get()), Some(2011));
    assert_eq!(e.current().graph().get().live_count(), 2);
    assert!(e.dead_letters().is_empty());
    e.shutdown();
}

/// GIVEN many ingests at once, each defining number spec categories of its own,
/// WHEN they have all been accepted,
/// THEN every one of those categories refuses a text value: no ingest lost another's
/// spec kinds (the decoder changes exactly with what the log accepted).
#[test]
fn concurrent_ingests_keep_every_spec_kind() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Settings::new(dir.path());
    s.max_delay = Duration::from_millis(5);
    s.durability = stockyard_indexer::Durability::OsBuffered;
    let e = Engine::open(s, detector()).unwrap();
    const THREADS: usize = 8;
    const ROUNDS: usize = 40;
    let define = |t: usize, r: usize| {
        format!(
            r#"{{"id":"spec-{t}-{r}","type":"SpecCategoryDefined","at":"2026-11-22T10:00:00Z","data":{{"spec_category_id":"w{t}_{r}","names":{{"en":"Weight {t} {r}"}},"kind":"number"}}}}"#
        )
    };
    let wrong = |t: usize, r: usize| {
        format!(
            r#"{{"id":"model-{t}-{r}","type":"ModelRegistered","at":"2026-11-22T10:00:01Z","data":{{"model_id":"m{t}-{r}","maker_id":"mk","category_id":"c","name":"M{t}{r}","specs":[{{"spec_category_id":"w{t}_{r}","value":"heavy"}}]}}}}"#
        )
    };
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let e = &e;
            scope.spawn(move || {
                for r in 0..ROUNDS {
                    e.ingest(&(define(t, r) + "\n"), Format::Ndjson).unwrap();
                }
            });
        }
    });
    let mut passed = Vec::new();
    for t in 0..THREADS {
        for r in 0..ROUNDS {
            match e.ingest(&(wrong(t, r) + "\n"), Format::Ndjson) {
                Err(IngestError::Rejected { errors, .. }) => {
                    assert_eq!(errors[0].field.as_deref(), Some("data.specs[0].value"));
                }
                other => passed.push(format!("w{t}_{r}: {other:?}")),
            }
        }
    }
    assert!(
        passed.is_empty(),
        "text values accepted for number specs: {passed:?}"
    );
    e.shutdown();
}

/// GIVEN a backlog of listings, sales and updates applied in big batches (several
/// commits: several segments, sold and updated listings still in them as deleted
/// documents),
/// WHEN the indexer has caught up and the engine is closed,
/// THEN the listing index is one segment without deleted documents, holding and
/// finding exactly what an index built in small steps (no backlog, never compacted)
/// holds and finds.
#[test]
fn a_backlog_is_compacted_into_one_segment_that_answers_the_same() {
    let events: Vec<Event> = demo::generate(5, 1500).collect();
    let small_steps = tempfile::tempdir().unwrap();
    let reference = engine(small_steps.path());
    for chunk in events.chunks(200) {
        ingest(&reference, &ndjson(chunk));
    }
    let layout = reference.current().text().layout().unwrap();
    assert!(
        layout.deleted > 0,
        "the reference keeps deleted documents: {layout:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let open = || {
        let mut s = Settings::new(dir.path());
        s.batch = 100;
        s.rebuild_batch = 400;
        s.max_delay = Duration::from_millis(20);
        Engine::open(s, detector()).unwrap()
    };
    let e = open();
    ingest(&e, &ndjson(&events));
    e.shutdown();
    drop(e);
    let e = open();
    assert_eq!(
        e.current().text().layout().unwrap(),
        stockyard::search::Layout {
            segments: 1,
            deleted: 0
        }
    );
    assert_eq!(documents(&e), documents(&reference));
    for words in [
        "excavator",
        "油圧ショベル",
        "komatsu",
        "pc200",
        "wheel loader",
    ] {
        // Every hit, page by page (ranks may differ: scores count deleted documents).
        let all = |e: &Engine| {
            let mut ids = Vec::new();
            let total = loop {
                let r = e
                    .current()
                    .text()
                    .search(&SearchRequest {
                        text: words.into(),
                        limit: 100,
                        offset: ids.len(),
                        ..Default::default()
                    })
                    .unwrap();
                let page = r.hits.len();
                ids.extend(r.hits.into_iter().map(|h| h.machine_id));
                if page == 0 || ids.len() >= r.total {
                    break r.total;
                }
            };
            ids.sort();
            (total, ids)
        };
        let (total, ids) = all(&e);
        assert!(total > 0, "{words} finds listings");
        assert_eq!((total, ids), all(&reference), "{words}");
    }
    e.shutdown();
    reference.shutdown();
}
