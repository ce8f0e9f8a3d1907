//! Saved searches and watched machines, as use cases: GIVEN a catalog and these buyer
//! events, WHEN machines are listed, updated, sold or withdrawn, THEN exactly these
//! notifications. Each case runs on a real engine (log, projections, outbox on disk);
//! the outbox must come out the same after a restart and after a rebuild from event 0.

#[path = "common/unlisted.rs"]
mod unlisted;

use serde_json::{json, Value};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use stockyard::alerts::Notification;
use stockyard::engine::{Engine, Format, IngestError, Settings};
use stockyard::search::LanguageDetector;

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

/// One event line: `type` and `data`, with an id made from a counter.
fn event(n: &mut u32, kind: &str, data: Value) -> String {
    *n += 1;
    json!({"id": format!("a-{n}"), "type": kind, "at": "2026-02-01T00:00:00Z", "data": data})
        .to_string()
        + "\n"
}

/// A use case: the buyer events and listing events, in order (each step is one
/// ingest request), and the notifications expected as
/// `subscriber kind saved_search machine` (`-` for a watch).
struct Case {
    name: &'static str,
    steps: Vec<Vec<(&'static str, Value)>>,
    then: Vec<&'static str>,
}

fn listed(id: &str, model: &str, title: &str, year: u16, usd: u32) -> (&'static str, Value) {
    (
        "MachineListed",
        json!({"machine_id": id, "model_id": model, "title": title, "year": year,
               "price": {"amount": usd, "currency": "USD"}}),
    )
}

fn saved(id: &str, who: &str, query: Value) -> (&'static str, Value) {
    (
        "SavedSearchCreated",
        json!({"saved_search_id": id, "subscriber": who, "query": query}),
    )
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a new listing that matches a saved search is a new match; one that does not is nothing",
            steps: vec![
                vec![saved("s1", "b1", json!({"q": "pc200", "maker": ["komatsu"]}))],
                vec![
                    listed("M10", "pc200", "Komatsu PC200-8 excavator", 2019, 90_000),
                    listed("M11", "zx135", "Hitachi ZX135", 2019, 90_000),
                ],
            ],
            then: vec!["b1 new_match s1 M10"],
        },
        Case {
            name: "a price drop into the saved range (in yen, at the published rate) is a new match",
            steps: vec![
                vec![saved(
                    "s2",
                    "b1",
                    json!({"model": ["pc200"], "price": "..7000000", "currency": "JPY"}),
                )],
                vec![listed("M20", "pc200", "PC200", 2015, 60_000)],
                vec![(
                    "MachineUpdated",
                    json!({"machine_id": "M20", "price": {"amount": 45000, "currency": "USD"}}),
                )],
                vec![(
                    "MachineUpdated",
                    json!({"machine_id": "M20", "price": {"amount": 40000, "currency": "USD"}}),
                )],
            ],
            // 7,000,000 JPY is 46,667 USD: 60,000 is above, 45,000 and 40,000 inside.
            then: vec!["b1 new_match s2 M20", "b1 price_changed s2 M20"],
        },
        Case {
            name: "an update that leaves the saved range no longer matches; subcategories count",
            steps: vec![
                vec![saved("s3", "b2", json!({"category": ["excavators"], "year": "2018.."}))],
                vec![listed("M30", "pc30", "PC30 mini", 2019, 20_000)],
                vec![("MachineUpdated", json!({"machine_id": "M30", "year": 2016}))],
            ],
            then: vec!["b2 new_match s3 M30", "b2 no_longer_matches s3 M30"],
        },
        Case {
            name: "a search bounded to a few model years finds machines of those years, and tells when one leaves them",
            steps: vec![
                vec![saved("s12", "b9", json!({"model": ["pc200"], "year": "2018..2020"}))],
                vec![
                    listed("M80", "pc200", "PC200", 2019, 60_000),
                    listed("M81", "pc200", "PC200", 2015, 60_000),
                ],
                vec![("MachineUpdated", json!({"machine_id": "M80", "year": 2021}))],
                vec![("MachineUpdated", json!({"machine_id": "M81", "year": 2020}))],
            ],
            then: vec![
                "b9 new_match s12 M80",
                "b9 no_longer_matches s12 M80",
                "b9 new_match s12 M81",
            ],
        },
        Case {
            name: "a matching machine sold is told as sold",
            steps: vec![
                vec![saved("s4", "b3", json!({"maker": ["hitachi"]}))],
                vec![listed("M40", "zx17", "ZX17", 2020, 15_000)],
                vec![("MachineSold", json!({"machine_id": "M40"}))],
            ],
            then: vec!["b3 new_match s4 M40", "b3 sold s4 M40"],
        },
        Case {
            name: "a watched machine: price changes and its withdrawal are told, other changes are not",
            steps: vec![
                vec![(
                    "MachineWatched",
                    json!({"subscriber": "b4", "machine_id": "M50"}),
                )],
                vec![listed("M50", "wa380", "WA380", 2017, 70_000)],
                vec![("MachineUpdated", json!({"machine_id": "M50", "hours": 5000}))],
                vec![(
                    "MachineUpdated",
                    json!({"machine_id": "M50", "price": {"amount": 65000, "currency": "USD"}}),
                )],
                vec![("MachineWithdrawn", json!({"machine_id": "M50"}))],
            ],
            then: vec!["b4 price_changed - M50", "b4 withdrawn - M50"],
        },
        Case {
            name: "an unwatched machine is not told",
            steps: vec![
                vec![(
                    "MachineWatched",
                    json!({"subscriber": "b5", "machine_id": "M51"}),
                )],
                vec![listed("M51", "wa380", "WA380", 2017, 70_000)],
                vec![(
                    "MachineUnwatched",
                    json!({"subscriber": "b5", "machine_id": "M51"}),
                )],
                vec![("MachineSold", json!({"machine_id": "M51"}))],
            ],
            then: vec![],
        },
        Case {
            name: "a deleted saved search stops matching; ids are each subscriber's own",
            steps: vec![
                vec![
                    saved("s6", "b6", json!({"model": ["zx135"]})),
                    saved("s6", "b7", json!({"model": ["zx135"]})),
                ],
                vec![
                    (
                        "SavedSearchDeleted",
                        json!({"saved_search_id": "s6", "subscriber": "b6"}),
                    ),
                    (
                        "SavedSearchDeleted",
                        json!({"saved_search_id": "s6", "subscriber": "someone-else"}),
                    ),
                ],
                vec![listed("M60", "zx135", "ZX135", 2021, 80_000)],
            ],
            then: vec!["b7 new_match s6 M60"],
        },
        Case {
            name: "words match in the title, in catalog names of any language, and as the start of a model number",
            steps: vec![
                vec![
                    saved("s8", "b8", json!({"q": "zx135"})),
                    saved("s9", "b8", json!({"q": "ミニショベル"})),
                    saved("s10", "b8", json!({"q": "air conditioning"})),
                    saved("s11", "b8", json!({"q": "bulldozer"})),
                ],
                vec![
                    listed("M70", "zx135", "Hitachi excavator", 2021, 80_000),
                    listed("M71", "pc30", "PC30 with air conditioning", 2021, 20_000),
                ],
            ],
            then: vec!["b8 new_match s8 M70", "b8 new_match s9 M71", "b8 new_match s10 M71"],
        },
    ]
}

/// Every notification in the outbox of the serving generation.
fn everything(e: &Engine) -> Vec<Arc<Notification>> {
    e.current()
        .alerts()
        .outbox()
        .after(None, 0, 10_000)
        .unwrap()
}

/// The outbox of the serving generation as `subscriber kind saved_search machine`.
fn told(e: &Engine) -> Vec<String> {
    everything(e)
        .iter()
        .map(|n| {
            format!(
                "{} {} {} {}",
                n.subscriber,
                n.kind.as_str(),
                n.saved_search_id.as_ref().map_or("-", |s| s.as_str()),
                n.card.machine_id
            )
        })
        .collect()
}

fn run(e: &Engine, case: &Case, n: &mut u32) {
    for step in &case.steps {
        let body: String = step
            .iter()
            .map(|(kind, data)| event(n, kind, data.clone()))
            .collect();
        let r = e
            .ingest(&body, Format::Ndjson)
            .unwrap_or_else(|err| panic!("{}: {err:?}", case.name));
        let last = r.last_position.map_or(e.head(), |p| p + 1);
        assert!(e.wait_visible(last, WAIT), "{}: visible in time", case.name);
    }
}

#[test]
fn each_use_case_tells_exactly_what_it_should() {
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        e.ingest(&unlisted::catalog(), Format::Ndjson).unwrap();
        assert!(e.wait_visible(e.head(), WAIT));
        let mut n = 0;
        run(&e, &case, &mut n);
        assert_eq!(told(&e), case.then, "{}", case.name);
        e.shutdown();
    }
}

#[test]
fn the_outbox_survives_a_restart_and_a_rebuild_gives_the_same_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    let before = {
        let e = engine(dir.path());
        e.ingest(&unlisted::catalog(), Format::Ndjson).unwrap();
        assert!(e.wait_visible(e.head(), WAIT));
        for case in cases() {
            run(&e, &case, &mut n);
        }
        let all = everything(&e);
        assert!(all.len() >= 10, "the cases tell something: {}", all.len());
        assert!(
            all.iter().enumerate().all(|(i, x)| x.id == i as u64 + 1),
            "ids run from 1 without gaps"
        );
        e.shutdown();
        all
    };
    // A restart rebuilds the matching state from the log: M10 still matches s1, so a
    // price change is a price change, not a second new match. It also matches s3
    // (excavators from 2018) and s12 (PC200s of 2018-2020), saved after M10 was
    // listed: whether a machine matched is judged at its event, so for them too this
    // is a price change.
    let e = engine(dir.path());
    assert_eq!(everything(&e), before);
    let update = event(
        &mut n,
        "MachineUpdated",
        json!({"machine_id": "M10", "price": {"amount": 85000, "currency": "USD"}}),
    );
    let r = e.ingest(&update, Format::Ndjson).unwrap();
    assert!(e.wait_visible(r.last_position.unwrap() + 1, WAIT));
    let after: Vec<String> = e
        .current()
        .alerts()
        .outbox()
        .after(None, before.len() as u64, 10)
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{} {} {} {:?}",
                x.id,
                x.kind.as_str(),
                x.saved_search_id.as_ref().map_or("-", |s| s.as_str()),
                x.card.previous_price.map(|p| p.amount)
            )
        })
        .collect();
    let next = before.len() + 1;
    assert_eq!(
        after,
        [
            format!("{next} price_changed s1 Some(90000.0)"),
            format!("{} price_changed s3 Some(90000.0)", next + 1),
            format!("{} price_changed s12 Some(90000.0)", next + 2),
        ]
    );
    let before_rebuild = everything(&e);
    e.rebuild_blocking(|_| {}).unwrap();
    assert_eq!(
        everything(&e),
        before_rebuild,
        "a rebuild from event 0 writes the same outbox"
    );
}

/// The graph's snapshot file of the generation under `dir`.
fn graph_snapshot(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().join("graph/graph.snapshot"))
        .find(|p| p.exists())
        .expect("a generation with a graph snapshot")
}

#[test]
fn a_crash_between_the_outbox_and_the_graph_snapshot_tells_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let (first, rest) = cases.split_at(3);
    let mut n = 0;
    // GIVEN the graph's snapshot as it was after the first cases…
    {
        let e = engine(dir.path());
        e.ingest(&unlisted::catalog(), Format::Ndjson).unwrap();
        assert!(e.wait_visible(e.head(), WAIT));
        for case in first {
            run(&e, case, &mut n);
        }
        e.shutdown();
    }
    let snapshot = graph_snapshot(dir.path());
    let early = std::fs::read(&snapshot).unwrap();
    // …and an outbox that went on to commit the other cases' notifications
    let all = {
        let e = engine(dir.path());
        for case in rest {
            run(&e, case, &mut n);
        }
        let all = everything(&e);
        e.shutdown();
        all
    };
    assert!(all.len() > told_by(first), "the later cases tell something");
    // WHEN the service comes back with the graph behind the outbox, as after a crash
    // between the outbox's commit and the snapshot's
    std::fs::write(&snapshot, early).unwrap();
    let e = engine(dir.path());
    assert!(e.wait_visible(e.head(), WAIT));
    // THEN the graph applies those events again and the outbox is as it was
    assert_eq!(everything(&e), all);
    e.shutdown();
}

/// How many notifications `cases` tell.
fn told_by(cases: &[Case]) -> usize {
    cases.iter().map(|c| c.then.len()).sum()
}

#[test]
fn a_saved_query_is_checked_as_a_search_is() {
    let dir = tempfile::tempdir().unwrap();
    let e = engine(dir.path());
    e.ingest(&unlisted::catalog(), Format::Ndjson).unwrap();
    assert!(e.wait_visible(e.head(), WAIT));
    let mut n = 0;
    for (query, field) in [
        (json!({"price": "cheap"}), "data.query.price"),
        (json!({"currency": "XYZ"}), "data.query.currency"),
        (json!({"spec": {"nope": "1..2"}}), "data.query.spec.nope"),
        (json!({"colour": "red"}), "data.query.colour"),
    ] {
        let body = event(
            &mut n,
            "SavedSearchCreated",
            json!({"saved_search_id": "s", "subscriber": "b", "query": query}),
        );
        match e.ingest(&body, Format::Ndjson) {
            Err(IngestError::Rejected { errors, .. }) => {
                assert_eq!(errors[0].field.as_deref(), Some(field), "{errors:?}")
            }
            other => panic!("{query}: {other:?}"),
        }
    }
}

#[test]
fn retention_keeps_the_newest_per_subscriber_and_says_what_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        let mut s = Settings::new(dir.path());
        s.max_delay = Duration::from_millis(20);
        s.retention = stockyard::alerts::Retention {
            per_subscriber: 3,
            max_age: None,
        };
        Engine::open(s, detector()).unwrap()
    };
    let e = open();
    e.ingest(&unlisted::catalog(), Format::Ndjson).unwrap();
    assert!(e.wait_visible(e.head(), WAIT));
    let mut n = 0;
    // GIVEN two subscribers, one told of every PC200 and one of a single machine
    let setup = Case {
        name: "retention",
        steps: vec![vec![
            saved("all", "busy", json!({"model": ["pc200"]})),
            (
                "MachineWatched",
                json!({"subscriber": "quiet", "machine_id": "R0"}),
            ),
        ]],
        then: vec![],
    };
    run(&e, &setup, &mut n);
    // WHEN 1,200 PC200s are listed (more dropped than the file may hold) and R0's
    // price changes
    let listings: Vec<(&'static str, Value)> = (0..1200)
        .map(|i| listed(&format!("R{i}"), "pc200", "PC200", 2019, 50_000))
        .collect();
    let batch = Case {
        name: "listings",
        steps: vec![
            listings,
            vec![(
                "MachineUpdated",
                json!({"machine_id": "R0", "price": {"amount": 1, "currency": "USD"}}),
            )],
        ],
        then: vec![],
    };
    run(&e, &batch, &mut n);
    let check = |e: &Engine| {
        let outbox = e.current().alerts().outbox().clone();
        let busy = [stockyard_schema::SubscriberId::new("busy").unwrap()];
        let quiet = [stockyard_schema::SubscriberId::new("quiet").unwrap()];
        // THEN the busy subscriber keeps its newest three…
        let kept: Vec<u64> = outbox
            .after(Some(&busy), 0, 100)
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect();
        assert_eq!(
            kept,
            [1199, 1200, 1201],
            "R1198, R1199 and R0's price change"
        );
        // …and a reader resuming before them is told they are gone
        assert_eq!(outbox.dropped_through(Some(&busy)), 1198);
        // while the quiet one lost nothing.
        assert_eq!(outbox.dropped_through(Some(&quiet)), 0);
        let quiet_told: Vec<String> = outbox
            .after(Some(&quiet), 0, 100)
            .unwrap()
            .iter()
            .map(|x| format!("{} {}", x.id, x.kind.as_str()))
            .collect();
        assert_eq!(quiet_told, ["1202 price_changed"]);
        outbox.last_id()
    };
    assert_eq!(check(&e), 1202);
    e.shutdown();
    drop(e);
    // The file was rewritten without what was dropped, and a restart reads the same.
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .find(|d| d.file_name().to_string_lossy().starts_with("gen-"))
        .unwrap()
        .path()
        .join("alerts/outbox.ndjson");
    let lines = std::fs::read_to_string(&file).unwrap().lines().count();
    assert!(lines < 300, "{lines} lines after the rewrite");
    let e = open();
    assert_eq!(check(&e), 1202);
    // New notifications go on from the last id, never reusing a dropped one.
    let more = Case {
        name: "one more",
        steps: vec![vec![listed("R5000", "pc200", "PC200", 2019, 50_000)]],
        then: vec![],
    };
    run(&e, &more, &mut n);
    let busy = [stockyard_schema::SubscriberId::new("busy").unwrap()];
    let last = e
        .current()
        .alerts()
        .outbox()
        .after(Some(&busy), 1201, 10)
        .unwrap();
    assert_eq!(last.iter().map(|x| x.id).collect::<Vec<_>>(), [1203]);
    e.shutdown();
}
