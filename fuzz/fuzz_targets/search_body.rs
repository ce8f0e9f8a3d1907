//! The `POST /search` JSON body on arbitrary bytes: parsing and checking against the
//! demo catalog never panic; what is refused is a 400.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockyard::api::search::{validate, SearchBody};
use stockyard_fuzz::demo_graph;

fuzz_target!(|data: &[u8]| {
    let checked = SearchBody::from_json(data)
        .and_then(|body| validate(&body, demo_graph(), Some("ja,en;q=0.5")).map(|_| ()));
    if let Err(e) = checked {
        assert_eq!(e.status(), 400, "{e:?}");
    }
});
