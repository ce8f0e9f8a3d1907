//! The NDJSON file source: whole lines only, the offset kept across restarts, nothing
//! read twice, and a file that grows is followed.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use stockyard::engine::{Engine, Settings};
use stockyard::search::LanguageDetector;
use stockyard::sources::file::read_new;

fn listing(id: &str) -> String {
    format!(
        r#"{{"id":"f-{id}","type":"MachineListed","at":"2026-11-22T00:00:00Z","data":{{"machine_id":"{id}","model_id":"m","title":"T"}}}}"#
    )
}

#[test]
fn a_file_is_read_from_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    let data = dir.path().join("data");
    let detector = Arc::new(LanguageDetector::new());
    // GIVEN a file with two whole lines and half of a third
    let mut f = std::fs::File::create(&file).unwrap();
    write!(
        f,
        "{}\n{}\n{}",
        listing("A"),
        listing("B"),
        &listing("C")[..20]
    )
    .unwrap();
    f.flush().unwrap();
    {
        let e = Engine::open(Settings::new(&data), detector.clone()).unwrap();
        // WHEN it is read THEN the whole lines are ingested, the half line waits.
        read_new(&e, &file).unwrap();
        assert_eq!(e.head(), 2);
        e.shutdown();
    }
    // WHEN the line is finished and the service restarts THEN only what is new is read.
    let rest = format!("{}\n{}\n", &listing("C")[20..], listing("D"));
    f.write_all(rest.as_bytes()).unwrap();
    f.flush().unwrap();
    let e = Engine::open(Settings::new(&data), detector).unwrap();
    let offset = read_new(&e, &file).unwrap();
    assert_eq!(offset, std::fs::metadata(&file).unwrap().len());
    assert_eq!(e.head(), 4);
    read_new(&e, &file).unwrap();
    assert_eq!(e.head(), 4, "nothing read twice");
    assert!(e.wait_visible(4, Duration::from_secs(60)));
    assert_eq!(e.current().text().num_docs(), 4);
    // An invalid line stops the reading there, with its place.
    writeln!(f, "{{\"id\":\"bad\"}}").unwrap();
    let err = read_new(&e, &file).unwrap_err();
    assert!(err.contains("at byte"), "{err}");
    assert_eq!(e.head(), 4);
    e.shutdown();
}
