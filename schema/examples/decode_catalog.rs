//! Decodes an NDJSON event file (default: the bundled demo catalog) and reports what it
//! holds, or each bad line with its field.
//!
//!     cargo run -p stockyard-schema --example decode_catalog [FILE]

use std::collections::BTreeMap;
use stockyard_schema::{Decoder, Payload};

fn main() -> std::process::ExitCode {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        format!(
            "{}/../{}",
            env!("CARGO_MANIFEST_DIR"),
            stockyard_schema::demo::DEMO_FILE
        )
    });
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
    let mut languages: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = 0;
    for result in Decoder::new().ndjson(&text) {
        match result {
            Ok(event) => {
                *per_type
                    .entry(event.payload.event_type().to_string())
                    .or_default() += 1;
                if let Payload::MachineListed(m) = &event.payload {
                    for (lang, _) in m.title.iter() {
                        let lang = lang.map_or("unknown".to_owned(), |l| l.to_string());
                        *languages.entry(lang).or_default() += 1;
                    }
                }
            }
            Err(e) => {
                errors += 1;
                eprintln!("{e}");
            }
        }
    }
    println!("{path}");
    for (t, n) in &per_type {
        println!("  {t:<20} {n:>8}");
    }
    println!("  listing titles by language: {languages:?}");
    println!("  bad lines: {errors}");
    if errors == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
