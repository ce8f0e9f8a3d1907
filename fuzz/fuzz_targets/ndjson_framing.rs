//! NDJSON framing on arbitrary text: it never panics, errors carry line numbers in
//! order and within the text, and each line decodes as it would alone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockyard_schema::Decoder;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count();
    let mut framed = Decoder::new();
    let mut alone = Decoder::new();
    let mut last_error_line = 0;
    let mut singles = text.lines().filter(|l| !l.trim().is_empty());
    for result in framed.ndjson(text) {
        let single = singles
            .next()
            .expect("no more results than non-blank lines");
        let by_itself = alone.decode(single);
        match (result, by_itself) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(e), Err(_)) => {
                let line = e.line.expect("a framing error names its line");
                assert!(
                    line > last_error_line && line <= lines,
                    "line {line} of {lines}"
                );
                last_error_line = line;
            }
            (a, b) => panic!("framed {a:?} but alone {b:?}"),
        }
    }
    assert!(singles.next().is_none(), "every non-blank line was decoded");
});
