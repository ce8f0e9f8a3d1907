//! The event contract: every documented example decodes and round-trips, and every kind
//! of bad input is rejected with the field it concerns.

use stockyard_schema::event::{Decoder, Event, EventType, Payload};
use stockyard_schema::{Lang, Text};

/// The JSON examples of `docs/events.md`, one event per ```json block.
fn documented_examples() -> Vec<String> {
    let doc = include_str!("../../docs/events.md");
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for line in doc.lines() {
        match (&mut block, line.trim()) {
            (None, "```json") => block = Some(String::new()),
            (Some(b), "```") => {
                out.push(std::mem::take(b));
                block = None;
            }
            (Some(b), l) => b.push_str(l),
            (None, _) => {}
        }
    }
    out
}

#[test]
fn every_event_type_is_documented_and_round_trips() {
    let mut decoder = Decoder::new();
    let mut seen = Vec::new();
    for example in documented_examples() {
        let event = decoder
            .decode(&example)
            .unwrap_or_else(|e| panic!("documented example fails: {e}\n{example}"));
        let line = event.to_json();
        let again = Decoder::new()
            .decode(&line)
            .expect("serialized event decodes");
        assert_eq!(event, again, "round trip changed the event: {line}");
        assert_eq!(again.to_json(), line, "serialization is not stable");
        seen.push(event.payload.event_type());
    }
    for t in EventType::ALL {
        assert!(seen.contains(&t), "no documented example of {t}");
    }
}

#[test]
fn decoded_fields_hold_what_the_line_said() {
    let line = r#"{"id":"e-7","type":"MachineListed","at":"2026-11-22T19:00:00+09:00","data":{"machine_id":"M-1","model_id":"m","title":{"ja":"油圧ショベル","en":"Excavator"},"description":"中古","year":2015,"hours":5320,"price":{"amount":6800000,"currency":"JPY"},"location":{"country":"JP"}}}"#;
    let e = Decoder::new().decode(line).unwrap();
    assert_eq!(e.key(), "machine:M-1", "key defaults to the entity");
    assert_eq!(e.at.unix_seconds(), 1_795_341_600);
    let Payload::MachineListed(m) = e.payload else {
        panic!("wrong payload")
    };
    assert_eq!(m.title.get(Lang::JA), Some("油圧ショベル"));
    assert_eq!(m.description, Some(Text::Unknown("中古".into())));
    assert_eq!(m.year.unwrap().get(), 2015);
    assert_eq!(m.hours.unwrap().get(), 5320);
    let price = m.price.unwrap();
    assert_eq!(
        (price.amount, price.currency.as_str()),
        (6_800_000.0, "JPY")
    );
    assert!(m.category_id.is_none());
}

#[test]
fn update_distinguishes_absent_from_null() {
    use stockyard_schema::domain::Patch;
    let line = r#"{"id":"e-8","type":"MachineUpdated","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","year":2016,"description":null}}"#;
    let e = Decoder::new().decode(line).unwrap();
    let Payload::MachineUpdated(c) = &e.payload else {
        panic!("wrong payload")
    };
    assert!(matches!(c.year, Patch::Set(y) if y.get() == 2016));
    assert_eq!(c.description, Patch::Clear);
    assert_eq!(c.hours, Patch::Keep);
    let again = Decoder::new().decode(&e.to_json()).unwrap();
    assert_eq!(e, again, "null survives the round trip");
}

#[test]
fn photos_replace_the_list_and_empty_or_null_removes_them() {
    use stockyard_schema::domain::Patch;
    let listed = r#"{"id":"e-7","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","images":["https://cdn.example.com/1.jpg","https://cdn.example.com/2.jpg"]}}"#;
    let Payload::MachineListed(mut m) = Decoder::new().decode(listed).unwrap().payload else {
        panic!("wrong payload")
    };
    let urls = |m: &stockyard_schema::domain::Machine| {
        m.images
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        urls(&m),
        [
            "https://cdn.example.com/1.jpg",
            "https://cdn.example.com/2.jpg"
        ]
    );
    let update = |images: &str| {
        let line = format!(
            r#"{{"id":"e-8","type":"MachineUpdated","at":"2026-11-22T10:00:00Z","data":{{"machine_id":"M-1","images":{images}}}}}"#
        );
        let Payload::MachineUpdated(c) = Decoder::new().decode(&line).unwrap().payload else {
            panic!("wrong payload")
        };
        c
    };
    update(r#"["https://cdn.example.com/3.jpg"]"#).apply_to(&mut m);
    assert_eq!(urls(&m), ["https://cdn.example.com/3.jpg"]);
    let empty = update("[]");
    assert!(matches!(empty.images, Patch::Set(_)), "[] is a change");
    empty.apply_to(&mut m);
    assert!(m.images.is_empty());
    update(r#"["https://cdn.example.com/4.jpg"]"#).apply_to(&mut m);
    let cleared = update("null");
    assert_eq!(cleared.images, Patch::Clear);
    cleared.apply_to(&mut m);
    assert!(m.images.is_empty());
}

/// A bad line, the field the error must name and a fragment of its message.
struct Bad {
    line: &'static str,
    field: Option<&'static str>,
    says: &'static str,
}

const fn bad(line: &'static str, field: &'static str, says: &'static str) -> Bad {
    Bad {
        line,
        field: Some(field),
        says,
    }
}

const BAD: &[Bad] = &[
    Bad {
        line: r#"{"id":"e-1","type":"MakerRegistered""#,
        field: None,
        says: "not valid JSON",
    },
    Bad {
        line: r#"[1,2]"#,
        field: None,
        says: "expected",
    },
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"2026-11-22T10:00:00Z","data":["k","K"]}"#,
        "data",
        "expected a JSON object",
    ),
    bad(
        r#"{"type":"MakerRegistered","at":"2026-11-22T10:00:00Z","data":{"maker_id":"k","names":"K"}}"#,
        "id",
        "missing field `id`",
    ),
    bad(
        r#"{"id":"","type":"MakerRegistered","at":"2026-11-22T10:00:00Z","data":{"maker_id":"k","names":"K"}}"#,
        "id",
        "must not be empty",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineBought","at":"2026-11-22T10:00:00Z","data":{}}"#,
        "type",
        "unknown variant `MachineBought`",
    ),
    bad(
        r#"{"id":"e-1","at":"2026-11-22T10:00:00Z","data":{}}"#,
        "type",
        "missing field `type`",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"yesterday","data":{"maker_id":"k","names":"K"}}"#,
        "at",
        "RFC 3339",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","data":{"maker_id":"k","names":"K"}}"#,
        "at",
        "missing field `at`",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"2026-11-22T10:00:00Z"}"#,
        "data",
        "missing field `data`",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"2026-11-22T10:00:00Z","key":"","data":{"maker_id":"k","names":"K"}}"#,
        "key",
        "key must be",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"2026-11-22T10:00:00Z","data":{"maker_id":"k","names":"K"},"extra":1}"#,
        "extra",
        "unknown field `extra`",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"2026-11-22T10:00:00Z","data":{"names":"K"}}"#,
        "data.maker_id",
        "missing field `maker_id`",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"2026-11-22T10:00:00Z","data":{"maker_id":7,"names":"K"}}"#,
        "data.maker_id",
        "invalid type: integer `7`",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"2026-11-22T10:00:00Z","data":{"maker_id":"k","names":{"jp":"コマツ"}}}"#,
        "data.names.jp",
        "`jp` is not an ISO 639-1",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"2026-11-22T10:00:00Z","data":{"maker_id":"k","names":{}}}"#,
        "data.names",
        "at least one language",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"2026-11-22T10:00:00Z","data":{"maker_id":"k","names":{"en":"  "}}}"#,
        "data.names.en",
        "must not be empty",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRegistered","at":"2026-11-22T10:00:00Z","data":{"maker_id":"k","names":["K"]}}"#,
        "data.names",
        "a text: a string, or a map",
    ),
    bad(
        r#"{"id":"e-1","type":"MakerRenamed","at":"2026-11-22T10:00:00Z","data":{"maker_id":"k","name":"K"}}"#,
        "data.name",
        "unknown field `name`",
    ),
    bad(
        r#"{"id":"e-1","type":"CategoryDefined","at":"2026-11-22T10:00:00Z","data":{"category_id":"c","parent_id":"c","names":"C"}}"#,
        "data.parent_id",
        "own parent",
    ),
    bad(
        r#"{"id":"e-1","type":"SpecCategoryDefined","at":"2026-11-22T10:00:00Z","data":{"spec_category_id":"w","names":"W","kind":"weight"}}"#,
        "data.kind",
        "unknown variant `weight`",
    ),
    bad(
        r#"{"id":"e-1","type":"SpecCategoryDefined","at":"2026-11-22T10:00:00Z","data":{"spec_category_id":"w","names":"W","unit":" ","kind":"number"}}"#,
        "data.unit",
        "must not be empty",
    ),
    bad(
        r#"{"id":"e-1","type":"ModelRegistered","at":"2026-11-22T10:00:00Z","data":{"model_id":"m","maker_id":"k","category_id":"c","name":"PC200","specs":[{"spec_category_id":"w","value":true}]}}"#,
        "data.specs[0].value",
        "a number or a non-empty string",
    ),
    bad(
        r#"{"id":"e-1","type":"ModelRegistered","at":"2026-11-22T10:00:00Z","data":{"model_id":"m","maker_id":"k","category_id":"c","name":"PC200","specs":[{"spec_category_id":"w","value":1},{"spec_category_id":"w","value":2}]}}"#,
        "data.specs[1].spec_category_id",
        "given twice",
    ),
    bad(
        r#"{"id":"e-1","type":"ModelRegistered","at":"2026-11-22T10:00:00Z","data":{"model_id":"m","maker_id":"k","category_id":"c","name":" "}}"#,
        "data.name",
        "must not be empty",
    ),
    bad(
        r#"{"id":"e-1","type":"ModelSpecsChanged","at":"2026-11-22T10:00:00Z","data":{"model_id":"m"}}"#,
        "data.specs",
        "missing field `specs`",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","year":-5}}"#,
        "data.year",
        "expected a year from 1900 to 2100, got -5",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","year":"2015"}}"#,
        "data.year",
        "invalid type: string",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","hours":-1}}"#,
        "data.hours",
        "must not be negative",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","hours":10.5}}"#,
        "data.hours",
        "invalid type: floating point",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","price":{"amount":-10,"currency":"JPY"}}}"#,
        "data.price.amount",
        "must not be negative",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","price":{"amount":10,"currency":"yen"}}}"#,
        "data.price.currency",
        "currency code",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","price":{"amount":10}}}"#,
        "data.price.currency",
        "missing field `currency`",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","location":{"country":"Japan"}}}"#,
        "data.location.country",
        "country code",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","images":["https://cdn.example.com/1.jpg","http://cdn.example.com/2.jpg"]}}"#,
        "data.images[1]",
        "must use https",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineUpdated","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","images":["https://cdn.example.com/a b.jpg"]}}"#,
        "data.images[0]",
        "no spaces",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":"T","images":"https://cdn.example.com/1.jpg"}}"#,
        "data.images",
        "expected a sequence",
    ),
    bad(
        r#"{"id":"e-1","type":"SynonymsDefined","at":"2026-11-22T10:00:00Z","data":{"synonym_set_id":"s","terms":["ユンボ","  "]}}"#,
        "data.terms",
        "1 to 100 characters",
    ),
    bad(
        r#"{"id":"e-1","type":"SynonymsDefined","at":"2026-11-22T10:00:00Z","data":{"synonym_set_id":"s","terms":["Digger","digger"]}}"#,
        "data.terms",
        "given twice",
    ),
    bad(
        r#"{"id":"e-1","type":"SynonymsDefined","at":"2026-11-22T10:00:00Z","data":{"synonym_set_id":"s","terms":["a","b"],"lang":"jp"}}"#,
        "data.lang",
        "ISO 639-1",
    ),
    bad(
        r#"{"id":"e-1","type":"SynonymsRemoved","at":"2026-11-22T10:00:00Z","data":{}}"#,
        "data.synonym_set_id",
        "missing field",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m"}}"#,
        "data.title",
        "missing field `title`",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"m","title":{"en":"T","xx":"U"}}}"#,
        "data.title.xx",
        "`xx` is not an ISO 639-1",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineUpdated","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1"}}"#,
        "data",
        "at least one field",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineUpdated","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","title":null}}"#,
        "data.title",
        "invalid type: null",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineUpdated","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","price":{"amount":-1,"currency":"EUR"}}}"#,
        "data.price.amount",
        "must not be negative",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineSold","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M 1"}}"#,
        "data.machine_id",
        "whitespace",
    ),
    bad(
        r#"{"id":"e-1","type":"MachineWithdrawn","at":"2026-11-22T10:00:00Z","data":{}}"#,
        "data.machine_id",
        "missing field `machine_id`",
    ),
];

#[test]
fn each_bad_line_names_its_field() {
    for case in BAD {
        let err = Decoder::new()
            .decode(case.line)
            .expect_err(&format!("accepted: {}", case.line));
        assert_eq!(
            err.field.as_deref(),
            case.field,
            "wrong field for {}: {err}",
            case.line
        );
        assert!(
            err.message.contains(case.says),
            "message for {} should say {:?}, said: {err}",
            case.line,
            case.says
        );
    }
}

#[test]
fn spec_values_must_match_the_kind_of_their_category() {
    let defs = concat!(
        r#"{"id":"e-1","type":"SpecCategoryDefined","at":"2026-11-22T10:00:00Z","data":{"spec_category_id":"operating_weight","names":"W","unit":"t","kind":"number"}}"#,
        "\n",
        r#"{"id":"e-2","type":"SpecCategoryDefined","at":"2026-11-22T10:00:00Z","data":{"spec_category_id":"fuel_type","names":"F","kind":"text"}}"#,
        "\n\n",
        r#"{"id":"e-3","type":"ModelRegistered","at":"2026-11-22T10:00:00Z","data":{"model_id":"m","maker_id":"k","category_id":"c","name":"PC200","specs":[{"spec_category_id":"fuel_type","value":"diesel"},{"spec_category_id":"operating_weight","value":"heavy"}]}}"#,
        "\n",
        r#"{"id":"e-4","type":"ModelSpecsChanged","at":"2026-11-22T10:00:00Z","data":{"model_id":"m","specs":[{"spec_category_id":"fuel_type","value":1}]}}"#,
        "\n",
        r#"{"id":"e-5","type":"ModelSpecsChanged","at":"2026-11-22T10:00:00Z","data":{"model_id":"m","specs":[{"spec_category_id":"unknown_yet","value":1}]}}"#,
    );
    let results: Vec<_> = Decoder::new().ndjson(defs).collect();
    assert_eq!(results.len(), 5, "blank lines are skipped");
    assert!(results[0].is_ok() && results[1].is_ok());
    let e = results[2].as_ref().unwrap_err();
    assert_eq!(e.line, Some(4));
    assert_eq!(e.event_id.as_deref(), Some("e-3"));
    assert_eq!(e.field.as_deref(), Some("data.specs[1].value"));
    assert_eq!(
        e.to_string(),
        "line 4: event `e-3`: field `data.specs[1].value`: spec category `operating_weight` holds numbers, got a text"
    );
    let e = results[3].as_ref().unwrap_err();
    assert_eq!(e.field.as_deref(), Some("data.specs[0].value"));
    assert!(e.message.contains("holds texts, got a number"));
    assert!(
        results[4].is_ok(),
        "a spec category not seen yet is a reference, not a decode error"
    );
}

#[test]
fn kinds_can_be_given_from_the_catalog() {
    use stockyard_schema::domain::SpecKind;
    use stockyard_schema::SpecCategoryId;
    let mut d = Decoder::with_spec_kinds([(
        SpecCategoryId::new("operating_weight").unwrap(),
        SpecKind::Number,
    )]);
    let line = r#"{"id":"e-3","type":"ModelSpecsChanged","at":"2026-11-22T10:00:00Z","data":{"model_id":"m","specs":[{"spec_category_id":"operating_weight","value":"heavy"}]}}"#;
    assert!(d.decode(line).is_err());
}

#[test]
fn references_to_unknown_entities_decode() {
    let line = r#"{"id":"e-1","type":"MachineListed","at":"2026-11-22T10:00:00Z","data":{"machine_id":"M-1","model_id":"not-registered-yet","category_id":"nowhere","title":"T"}}"#;
    let e: Event = Decoder::new().decode(line).unwrap();
    assert_eq!(e.payload.event_type(), EventType::MachineListed);
}

#[test]
fn explicit_key_is_kept() {
    let line = r#"{"id":"e-1","type":"MachineSold","at":"2026-11-22T10:00:00Z","key":"seller:42","data":{"machine_id":"M-1"}}"#;
    let e = Decoder::new().decode(line).unwrap();
    assert_eq!(e.key(), "seller:42");
    assert!(e.to_json().contains(r#""key":"seller:42""#));
}

#[test]
fn a_rate_set_must_convert_to_us_dollars() {
    let at = |data: &str| {
        format!(
            r#"{{"id":"r","type":"CurrencyRatesPublished","at":"2026-11-22T10:00:00Z","data":{data}}}"#
        )
    };
    let ok = Decoder::new()
        .decode(&at(r#"{"base":"EUR","rates":{"USD":1.08,"JPY":162.0,"EUR":1},"as_of":"2026-11-22T00:00:00Z"}"#))
        .unwrap();
    assert_eq!(ok.key(), "currency_rates:all", "every set shares one key");
    let Payload::CurrencyRatesPublished(r) = &ok.payload else {
        panic!("wrong payload")
    };
    let jpy = stockyard_schema::domain::Currency::new("JPY").unwrap();
    let usd_per_yen = r.usd_per_unit(jpy).unwrap();
    assert!((usd_per_yen - 1.08 / 162.0).abs() < 1e-12);
    for (data, field, says) in [
        (
            r#"{"base":"EUR","rates":{"JPY":162.0},"as_of":"2026-11-22T00:00:00Z"}"#,
            "data.rates.USD",
            "quote USD",
        ),
        (
            r#"{"base":"USD","rates":{"JPY":0},"as_of":"2026-11-22T00:00:00Z"}"#,
            "data.rates.JPY",
            "above zero",
        ),
        (
            r#"{"base":"USD","rates":{"JPY":-3},"as_of":"2026-11-22T00:00:00Z"}"#,
            "data.rates.JPY",
            "above zero",
        ),
        (
            r#"{"base":"USD","rates":{"USD":2},"as_of":"2026-11-22T00:00:00Z"}"#,
            "data.rates.USD",
            "must be 1",
        ),
        (
            r#"{"base":"USD","rates":{"jpy":150},"as_of":"2026-11-22T00:00:00Z"}"#,
            "data.rates.jpy",
            "three uppercase",
        ),
        (
            r#"{"base":"USD","rates":{"JPY":150}}"#,
            "data.as_of",
            "missing field",
        ),
        (
            r#"{"base":"USD","rates":{"JPY":"150"},"as_of":"2026-11-22T00:00:00Z"}"#,
            "data.rates.JPY",
            "f64",
        ),
    ] {
        let e = Decoder::new().decode(&at(data)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{data}: {e}");
        assert!(e.message.contains(says), "{data}: {e}");
    }
}

#[test]
fn buyer_events_are_checked_field_by_field() {
    let bad = |data: &str| {
        let line = format!(
            r#"{{"id":"e-1","type":"SavedSearchCreated","at":"2026-11-22T10:00:00Z","data":{data}}}"#
        );
        Decoder::new().decode(&line).unwrap_err()
    };
    let e = bad(r#"{"saved_search_id":"s-1","subscriber":"b","query":"pc200"}"#);
    assert_eq!(e.field.as_deref(), Some("data.query"), "{e}");
    let e = bad(r#"{"saved_search_id":"s-1","query":{}}"#);
    assert_eq!(e.field.as_deref(), Some("data.subscriber"), "{e}");
    let e = bad(r#"{"saved_search_id":"s 1","subscriber":"b","query":{}}"#);
    assert_eq!(e.field.as_deref(), Some("data.saved_search_id"), "{e}");
    let long = "x".repeat(9000);
    let e = bad(&format!(
        r#"{{"saved_search_id":"s-1","subscriber":"b","query":{{"q":"{long}"}}}}"#
    ));
    assert_eq!(e.field.as_deref(), Some("data.query"), "{e}");
    assert!(e.message.contains("8192"), "{e}");

    let ok = Decoder::new()
        .decode(r#"{"id":"e-2","type":"MachineWatched","at":"2026-11-22T10:00:00Z","data":{"subscriber":"b-9","machine_id":"M-1"}}"#)
        .unwrap();
    assert_eq!(ok.key(), "subscriber:b-9", "a buyer's events share a key");
    let e = Decoder::new()
        .decode(r#"{"id":"e-3","type":"MachineUnwatched","at":"2026-11-22T10:00:00Z","data":{"subscriber":"b-9"}}"#)
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("data.machine_id"), "{e}");
}
