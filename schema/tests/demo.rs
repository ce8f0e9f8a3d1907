//! The demo catalog generator: deterministic, valid, complete, and the bundled file is
//! exactly its output.

use std::collections::{HashMap, HashSet};
use stockyard_schema::demo::{self, DEMO_FILE, DEMO_LISTINGS, DEMO_SEED};
use stockyard_schema::{Decoder, EventType, Lang, Payload, Text};

fn generated(seed: u64, listings: usize) -> Vec<u8> {
    let mut out = Vec::new();
    demo::write_ndjson(seed, listings, &mut out).unwrap();
    out
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = generated(7, 300);
    assert_eq!(a, generated(7, 300));
    assert_ne!(a, generated(8, 300));
}

#[test]
fn bundled_demo_file_is_what_the_generator_makes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../");
    let bundled = std::fs::read(format!("{path}{DEMO_FILE}")).expect("bundled demo file");
    let fresh = generated(DEMO_SEED, DEMO_LISTINGS);
    assert!(
        bundled == fresh,
        "{DEMO_FILE} is stale: regenerate it with \
         `cargo run -- generate --seed {DEMO_SEED} --listings {DEMO_LISTINGS} > {DEMO_FILE}`"
    );
}

#[test]
fn output_decodes_and_exercises_the_whole_contract() {
    let bytes = generated(DEMO_SEED, DEMO_LISTINGS);
    let text = std::str::from_utf8(&bytes).unwrap();
    let mut decoder = Decoder::new();
    let mut types: HashMap<EventType, usize> = HashMap::new();
    let mut ids = HashSet::new();
    let mut listing_langs: HashMap<&'static str, usize> = HashMap::new();
    let (mut bilingual, mut unknown) = (0, 0);
    let mut last_at = None;
    for event in decoder.ndjson(text) {
        let event = event.unwrap_or_else(|e| panic!("generated line does not decode: {e}"));
        assert!(ids.insert(event.id.clone()), "duplicate id {}", event.id);
        assert!(
            last_at <= Some(event.at),
            "time goes backwards at {}",
            event.id
        );
        last_at = Some(event.at);
        *types.entry(event.payload.event_type()).or_default() += 1;
        if let Payload::MachineListed(m) = &event.payload {
            match &m.title {
                Text::Unknown(_) => unknown += 1,
                Text::Langs(langs) => {
                    if langs.len() > 1 {
                        bilingual += 1;
                    }
                    for (lang, name) in [
                        (Lang::JA, "ja"),
                        (Lang::EN, "en"),
                        (Lang::ZH, "zh"),
                        (Lang::KO, "ko"),
                        (Lang::DE, "de"),
                        (Lang::FR, "fr"),
                        (Lang::ES, "es"),
                        (Lang::RU, "ru"),
                    ] {
                        if langs.contains_key(&lang) {
                            *listing_langs.entry(name).or_default() += 1;
                        }
                    }
                }
            }
        }
    }
    // Saved searches and watches are the buyers' doing, not the catalog's: the demo
    // leaves them to the marketplace (and to the alerts tests); so are synonyms, the
    // marketplace's own words (the bundled trade words cover the trade's).
    let buyers = [
        EventType::SavedSearchCreated,
        EventType::SavedSearchDeleted,
        EventType::MachineWatched,
        EventType::MachineUnwatched,
        EventType::SynonymsDefined,
        EventType::SynonymsRemoved,
    ];
    for t in EventType::ALL.into_iter().filter(|t| !buyers.contains(t)) {
        assert!(types.get(&t).copied().unwrap_or(0) > 0, "no {t} event");
    }
    assert_eq!(types[&EventType::MachineListed], DEMO_LISTINGS);
    for lang in ["ja", "en", "zh", "ko", "de", "fr", "es", "ru"] {
        assert!(
            listing_langs.get(lang).copied().unwrap_or(0) >= 30,
            "too few listings in {lang}: {listing_langs:?}"
        );
    }
    assert!(bilingual > DEMO_LISTINGS / 10, "bilingual: {bilingual}");
    assert!(unknown > DEMO_LISTINGS / 20, "unknown language: {unknown}");
}

#[test]
fn catalog_comes_before_the_listings_that_need_it() {
    let bytes = generated(3, 200);
    let text = std::str::from_utf8(&bytes).unwrap();
    let mut models = HashSet::new();
    let mut makers = HashSet::new();
    let mut listed = HashSet::new();
    for event in Decoder::new().ndjson(text) {
        match event.unwrap().payload {
            Payload::MakerRegistered(m) => {
                makers.insert(m.id);
            }
            Payload::ModelRegistered(m) => {
                assert!(makers.contains(&m.maker_id), "model before maker");
                models.insert(m.id);
            }
            Payload::MachineListed(m) => {
                assert!(models.contains(&m.model_id), "listing before model");
                listed.insert(m.id);
            }
            Payload::MachineSold(m) | Payload::MachineWithdrawn(m) => {
                assert!(listed.contains(&m.machine_id), "sold before listed");
            }
            _ => {}
        }
    }
}
