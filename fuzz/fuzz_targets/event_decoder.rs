//! The event decoder on arbitrary text: it never panics, and an event it accepts
//! writes back (`to_json`) to a line that decodes to the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockyard_schema::Decoder;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let mut decoder = Decoder::new();
    let before = decoder.clone();
    if let Ok(event) = decoder.decode(line) {
        let written = event.to_json();
        let again = before
            .clone()
            .decode(&written)
            .unwrap_or_else(|e| panic!("{written} does not decode again: {e}"));
        assert_eq!(again, event, "round trip through {written}");
    }
});
