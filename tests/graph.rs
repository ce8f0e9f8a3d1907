//! Catalog graph use cases: GIVEN these events, WHEN a search asks for facets, THEN
//! these counts. The events are data (NDJSON), as the marketplace sends them.

use roaring::RoaringBitmap;
use stockyard::graph::{EmbeddedGraph, FacetRequest, Facets, NumberFilter, Range, Selections};
use stockyard_schema::{Decoder, Event, Lang};

const CATALOG: &str = include_str!("data/catalog.ndjson");

fn events(text: &str) -> Vec<Event> {
    Decoder::new()
        .ndjson(text)
        .map(|r| r.expect("test events decode"))
        .collect()
}

fn graph() -> EmbeddedGraph {
    let mut g = EmbeddedGraph::new();
    g.apply(&events(CATALOG));
    g
}

fn request(selections: Selections) -> FacetRequest<'static> {
    FacetRequest {
        hits: None,
        selections,
        lang: Lang::EN,
        spec_facets: vec![],
        buckets: 4,
        attribute_facets: false,
        rates: Default::default(),
    }
}

fn counts(list: &[stockyard::graph::FacetCount]) -> Vec<(String, u64)> {
    list.iter().map(|f| (f.id.clone(), f.count)).collect()
}

fn pairs(v: &[(&str, u64)]) -> Vec<(String, u64)> {
    v.iter().map(|(i, c)| ((*i).to_owned(), *c)).collect()
}

fn keys(g: &mut EmbeddedGraph, ids: &[&str]) -> RoaringBitmap {
    ids.iter().map(|id| g.machine_key(id)).collect()
}

fn machines(g: &mut EmbeddedGraph, f: &Facets) -> Vec<String> {
    let mut all: Vec<String> = ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8"]
        .iter()
        .filter(|id| f.matching.contains(g.machine_key(id)))
        .map(|s| (*s).to_owned())
        .collect();
    all.sort();
    all
}

#[test]
fn counts_roll_up_the_tree_and_sold_machines_leave() {
    let g = graph();
    let f = g.facets(&request(Selections::default()));
    assert_eq!(g.live_count(), 7, "M8 was sold");
    assert_eq!(
        counts(&f.categories),
        pairs(&[("excavators", 5), ("loaders", 2), ("mini", 2)])
    );
    assert_eq!(counts(&f.makers), pairs(&[("komatsu", 4), ("hitachi", 3)]));
    assert_eq!(
        counts(&f.models),
        pairs(&[
            ("pc200", 2),
            ("later", 1),
            ("pc30", 1),
            ("wa380", 1),
            ("zx135", 1),
            ("zx17", 1)
        ])
    );
}

#[test]
fn a_machine_listed_before_its_model_counts_once_the_model_arrives() {
    let mut g = EmbeddedGraph::new();
    let all = events(CATALOG);
    let before: Vec<Event> = all
        .iter()
        .filter(|e| e.id.as_str() != "m6")
        .cloned()
        .collect();
    g.apply(&before);
    let f = g.facets(&request(Selections::default()));
    assert_eq!(counts(&f.makers), pairs(&[("komatsu", 4), ("hitachi", 2)]));
    g.apply(all.iter().filter(|e| e.id.as_str() == "m6"));
    let f = g.facets(&request(Selections::default()));
    assert_eq!(counts(&f.makers), pairs(&[("komatsu", 4), ("hitachi", 3)]));
    assert!(counts(&f.categories).contains(&("loaders".into(), 2)));
}

#[test]
fn each_group_ignores_its_own_selection_but_applies_the_others() {
    let mut g = graph();
    let sel = Selections {
        makers: vec!["komatsu".parse_id()],
        ..Selections::default()
    };
    let f = g.facets(&request(sel));
    // Makers still show every maker: the buyer can add Hitachi.
    assert_eq!(counts(&f.makers), pairs(&[("komatsu", 4), ("hitachi", 3)]));
    // Categories count Komatsu machines only.
    assert_eq!(
        counts(&f.categories),
        pairs(&[("excavators", 3), ("loaders", 1), ("mini", 1)])
    );
    assert_eq!(machines(&mut g, &f), ["M1", "M2", "M3", "M5"]);

    // Selecting a category includes its subcategories; OR within a group.
    let sel = Selections {
        categories: vec!["mini".parse_id(), "loaders".parse_id()],
        makers: vec!["hitachi".parse_id()],
        ..Selections::default()
    };
    let f = g.facets(&request(sel));
    assert_eq!(machines(&mut g, &f), ["M6", "M7"]);
    assert_eq!(counts(&f.makers), pairs(&[("hitachi", 2), ("komatsu", 2)]));
    assert_eq!(
        counts(&f.categories),
        pairs(&[("excavators", 2), ("loaders", 1), ("mini", 1)])
    );
}

#[test]
fn spec_filters_and_histograms() {
    let mut g = graph();
    let sel = Selections {
        specs: vec![(
            "weight".parse_id(),
            NumberFilter::Range(Range {
                min: Some(10.0),
                max: Some(25.0),
            }),
        )],
        ..Selections::default()
    };
    let mut req = request(sel);
    req.spec_facets = vec!["weight".parse_id()];
    let f = g.facets(&req);
    assert_eq!(machines(&mut g, &f), ["M2", "M3", "M4", "M5"]);
    // The weight facet ignores the weight filter itself: the whole range stays visible.
    let w = &f.specs[0];
    assert_eq!((w.min, w.max), (Some(1.7), Some(20.0)));
    let total: u64 = w.buckets.iter().map(|b| b.2).sum();
    assert_eq!(total, 6, "every live machine with a weight");

    let sel = Selections {
        specs: vec![(
            "fuel".parse_id(),
            NumberFilter::Text(vec!["electric".into()]),
        )],
        ..Selections::default()
    };
    let f = g.facets(&request(sel));
    assert_eq!(machines(&mut g, &f), ["M6"]);
}

#[test]
fn attribute_ranges_and_text_hits() {
    let mut g = graph();
    let sel = Selections {
        year: Range {
            min: Some(2018),
            max: None,
        },
        price_usd: Range {
            min: None,
            max: Some(95_000.0),
        },
        ..Selections::default()
    };
    let f = g.facets(&request(sel));
    // M5 costs too much, M7 has no price.
    assert_eq!(machines(&mut g, &f), ["M1", "M3", "M6"]);

    let hits = keys(&mut g, &["M2", "M4", "M6", "M8"]);
    let mut req = request(Selections::default());
    req.hits = Some(&hits);
    let f = g.facets(&req);
    assert_eq!(
        machines(&mut g, &f),
        ["M2", "M4", "M6"],
        "sold M8 never counts"
    );
    assert_eq!(counts(&f.makers), pairs(&[("hitachi", 2), ("komatsu", 1)]));
}

#[test]
fn year_hours_and_price_facets_ignore_their_own_range() {
    let g = graph();
    let mut req = request(Selections {
        year: Range {
            min: Some(2018),
            max: None,
        },
        makers: vec!["komatsu".parse_id()],
        ..Selections::default()
    });
    req.attribute_facets = true;
    let f = g.facets(&req);
    let [year, hours, price] = &f.attributes[..] else {
        panic!("three attribute facets")
    };
    // Years of all Komatsu machines (the year range is its own): 2015 to 2020.
    assert_eq!(
        (year.id.as_str(), year.min, year.max),
        ("year", Some(2015.0), Some(2020.0))
    );
    assert_eq!(year.buckets.iter().map(|b| b.2).sum::<u64>(), 4);
    // Prices of Komatsu machines from 2018 on: M1 20k, M3 90k, M5 100k.
    assert_eq!((price.min, price.max), (Some(20_000.0), Some(100_000.0)));
    assert_eq!(price.buckets.iter().map(|b| b.2).sum::<u64>(), 3);
    assert_eq!(hours.min, None, "no hours given");
}

#[test]
fn names_come_in_the_buyers_language() {
    let g = graph();
    let mut req = request(Selections::default());
    req.lang = Lang::JA;
    let f = g.facets(&req);
    let name = |list: &[stockyard::graph::FacetCount], id: &str| {
        list.iter().find(|x| x.id == id).unwrap().name.clone()
    };
    assert_eq!(name(&f.makers, "komatsu"), "コマツ");
    assert_eq!(
        name(&f.makers, "hitachi"),
        "Hitachi",
        "falls back to English"
    );
    assert_eq!(name(&f.categories, "mini"), "ミニショベル");
    assert_eq!(name(&f.models, "pc200"), "PC200-8");
}

#[test]
fn renames_moves_updates_and_replays() {
    let mut g = graph();
    let changes = events(
        r#"
{"id":"r1","type":"MakerRenamed","at":"2026-02-01T00:00:00Z","data":{"maker_id":"hitachi","names":{"en":"Hitachi Construction"}}}
{"id":"r2","type":"CategoryDefined","at":"2026-02-01T00:00:00Z","data":{"category_id":"mini","parent_id":"loaders","names":{"en":"Mini excavators"}}}
{"id":"r3","type":"MachineUpdated","at":"2026-02-01T00:00:00Z","data":{"machine_id":"M2","model_id":"zx135"}}
{"id":"r4","type":"MachineWithdrawn","at":"2026-02-01T00:00:00Z","data":{"machine_id":"M5"}}
"#,
    );
    g.apply(&changes);
    let f = g.facets(&request(Selections::default()));
    assert_eq!(
        f.makers.iter().find(|m| m.id == "hitachi").unwrap().name,
        "Hitachi Construction"
    );
    // mini (M1, M6) now rolls up into loaders, with M7.
    assert_eq!(
        counts(&f.categories),
        pairs(&[("excavators", 3), ("loaders", 3), ("mini", 2)])
    );
    assert_eq!(counts(&f.makers), pairs(&[("hitachi", 4), ("komatsu", 2)]));

    // Replaying everything again changes nothing.
    let before = f;
    g.apply(&events(CATALOG));
    g.apply(&changes);
    assert_eq!(g.facets(&request(Selections::default())), before);
}

#[test]
fn browse_the_catalog() {
    let g = graph();
    let tree = g.category_tree(Lang::EN);
    let summary: Vec<String> = tree
        .iter()
        .map(|c| {
            let children: Vec<String> = c
                .children
                .iter()
                .map(|x| format!("{} {}", x.id, x.count))
                .collect();
            format!("{} {} [{}]", c.id, c.count, children.join(", "))
        })
        .collect();
    assert_eq!(summary, ["excavators 5 [mini 2]", "loaders 2 []"]);
    assert_eq!(
        counts(&g.makers(Lang::EN)),
        pairs(&[("komatsu", 4), ("hitachi", 3)])
    );
    let models = g.maker_models("komatsu").unwrap();
    assert_eq!(
        models
            .iter()
            .map(|m| (m.name.as_str(), m.count))
            .collect::<Vec<_>>(),
        [("PC200-8", 2), ("PC30MR-5", 1), ("WA380-8", 1)]
    );
    assert!(g.maker_models("nobody").is_none());

    let pc200 = g.model("pc200", Lang::EN, 10).unwrap();
    assert_eq!(pc200.live, 2);
    assert_eq!(pc200.machines, ["M3", "M2"], "newest listing first");
    assert_eq!(g.model("pc200", Lang::EN, 1).unwrap().machines, ["M3"]);
    assert_eq!(pc200.maker, Some(("komatsu".into(), "Komatsu".into())));
    assert_eq!(
        pc200.category,
        Some(("excavators".into(), "Excavators".into()))
    );
    let weight = &pc200.specs[1];
    assert_eq!(pc200.specs[0].id, "fuel", "specs by id");
    assert_eq!(
        (weight.name.as_str(), weight.unit.as_deref(), &weight.value),
        (
            "Operating weight",
            Some("t"),
            &stockyard_schema::domain::SpecValue::Number(20.0)
        )
    );
    assert!(g.model("unknown", Lang::EN, 10).is_none());
    assert_eq!(g.same_model("M2", 5), ["M3"]);
    assert!(g.same_model("M1", 5).is_empty());
}

#[test]
fn snapshot_restores_the_same_answers() {
    let mut g = graph();
    g.apply(
        &events(r#"{"id":"u1","type":"MachineUpdated","at":"2026-02-01T00:00:00Z","data":{"machine_id":"M4","category_id":"mini","hours":1200}}"#)
    );
    // Prices in yen and euros, and a second rate set on the euro.
    g.apply(&events(include_str!("data/changes.ndjson")));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.snapshot");
    g.save(&path, Some("position-23")).unwrap();
    let (restored, checkpoint) = EmbeddedGraph::load(&path).unwrap();
    assert_eq!(checkpoint.as_deref(), Some("position-23"));
    let mut req = request(Selections {
        makers: vec!["hitachi".parse_id()],
        ..Selections::default()
    });
    req.spec_facets = vec!["weight".parse_id()];
    req.attribute_facets = true;
    assert_eq!(restored.facets(&req), g.facets(&req));
    // The latest rate set comes back with the prices as listed, so ranges convert alike.
    assert_eq!(restored.rates().as_of(), g.rates().as_of());
    assert!(g.rates().as_of().is_some());
    let priced = request(Selections {
        price_usd: stockyard::graph::Range {
            min: Some(150_000.0),
            max: None,
        },
        ..Selections::default()
    });
    let (a, b) = (restored.facets(&priced), g.facets(&priced));
    assert_eq!(a, b);
    assert_eq!(a.matching.len(), 1, "M9's 150,000 EUR is 187,500 USD");
    assert_eq!(restored.category_tree(Lang::JA), g.category_tree(Lang::JA));
    assert_eq!(
        restored.model("zx17", Lang::EN, 10),
        g.model("zx17", Lang::EN, 10)
    );

    // A damaged file is refused with a reason, not read as garbage.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(EmbeddedGraph::load(&path).is_err());
    std::fs::write(&path, b"not a snapshot").unwrap();
    assert!(matches!(
        EmbeddedGraph::load(&path),
        Err(stockyard::graph::SnapshotError::Format(_))
            | Err(stockyard::graph::SnapshotError::Io(_))
    ));
}

trait ParseId {
    fn parse_id<T: std::str::FromStr>(&self) -> T
    where
        T::Err: std::fmt::Debug;
}

impl ParseId for str {
    fn parse_id<T: std::str::FromStr>(&self) -> T
    where
        T::Err: std::fmt::Debug,
    {
        self.parse().unwrap()
    }
}
