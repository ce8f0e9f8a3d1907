//! The `GET /search` query string on arbitrary bytes: decoding, reading the pairs and
//! checking them against the demo catalog never panic; what is refused is a 400 that
//! names a field.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockyard::api::search::{validate, SearchBody};
use stockyard_fuzz::demo_graph;

fuzz_target!(|data: &[u8]| {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return;
    };
    let checked = SearchBody::from_pairs(pairs)
        .and_then(|body| validate(&body, demo_graph(), None).map(|_| ()));
    if let Err(e) = checked {
        assert_eq!(e.status(), 400, "{e:?}");
    }
});
