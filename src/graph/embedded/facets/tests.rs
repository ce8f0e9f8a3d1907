use super::*;
use stockyard_schema::{demo, Event, Payload};

/// Counting by model reads `model_of` below the bound, intersects bitmaps above it
/// (on one thread or two) and takes the bitmaps' sizes for every live machine: all give the same counts,
/// over the demo log (with its sales) and after machines change model (what keeps
/// `model_of` in step with `machines`).
#[test]
fn every_way_of_counting_by_model_agrees() {
    let mut g = EmbeddedGraph::new();
    g.apply(&demo::generate(3, 3_000).collect::<Vec<Event>>());
    let agree = |g: &EmbeddedGraph| {
        let every: RoaringBitmap = g.live.clone();
        let some: RoaringBitmap = every.iter().step_by(7).collect();
        for base in [&every, &some, &RoaringBitmap::new()] {
            for threads in [Threads::One, Threads::Two] {
                assert_eq!(
                    g.per_model_by_scan(base),
                    g.per_model_by_bitmaps(base, |_| true, threads),
                    "{} machines",
                    base.len()
                );
            }
            // And the way `per_model` picks (every live machine: the bitmaps' sizes).
            assert_eq!(
                g.per_model(base, |_| true, Threads::One),
                g.per_model_by_scan(base),
                "{} machines",
                base.len()
            );
        }
    };
    agree(&g);
    let moved: Vec<u32> = g.live.iter().step_by(5).collect();
    for (i, key) in moved.iter().enumerate() {
        let machine_id = g.machine_ids.key(*key).to_owned();
        let model_id = g.model_ids.key((i % g.models.len()) as u32).to_owned();
        let changes = serde_json::from_value(serde_json::json!({
            "machine_id": machine_id, "model_id": model_id,
        }))
        .expect("changes");
        g.apply_one(&Payload::MachineUpdated(changes));
    }
    agree(&g);
    assert!(moved.iter().any(|&k| g.model_of[k as usize] != 0));
}

/// The histograms test few hits one by one with [`EmbeddedGraph::passes`] and
/// intersect many with [`EmbeddedGraph::selected`]: GIVEN the demo catalog, WHEN
/// each selection below is applied both ways, THEN both keep the same machines.
#[test]
fn testing_each_machine_selects_what_the_bitmaps_select() {
    let mut g = EmbeddedGraph::new();
    g.apply(&demo::generate(5, 3_000).collect::<Vec<Event>>());
    fn id<T: std::str::FromStr>(s: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        s.parse().expect("an id")
    }
    let weight = NumberFilter::Range(Range {
        min: Some(10.0),
        max: Some(30.0),
    });
    let cases = [
        Selections::default(),
        Selections {
            categories: vec![id("excavators")],
            ..Selections::default()
        },
        Selections {
            makers: vec![id("komatsu"), id("hitachi")],
            specs: vec![(id("operating_weight"), weight.clone())],
            ..Selections::default()
        },
        Selections {
            models: vec![id(g.model_ids.key(0))],
            year: Range {
                min: Some(2012),
                max: None,
            },
            ..Selections::default()
        },
        Selections {
            categories: vec![id("excavators"), id("wheel_loaders")],
            makers: vec![id("komatsu")],
            specs: vec![(id("operating_weight"), weight)],
            hours: Range {
                min: None,
                max: Some(8_000),
            },
            price_usd: Range {
                min: Some(20_000.0),
                max: Some(200_000.0),
            },
            ..Selections::default()
        },
    ];
    let mut kept = 0;
    for sel in &cases {
        let by_bitmaps = g
            .selected(sel, &g.range_sets(sel))
            .unwrap_or_else(|| g.live.clone());
        let one_by_one: RoaringBitmap = g.live.iter().filter(|&k| g.passes(k, sel)).collect();
        assert_eq!(one_by_one, by_bitmaps, "{sel:?}");
        kept += usize::from(!by_bitmaps.is_empty() && by_bitmaps != g.live);
    }
    assert!(kept >= 3, "the selections keep some machines, not all");
}

/// GIVEN the demo log, WHEN facets are counted on one thread and on two, with and
/// without the year, hours and price histograms, over every live machine and over a
/// third of them with a year selected, THEN the answers are equal.
#[test]
fn facets_on_two_threads_equal_facets_on_one() {
    let mut g = EmbeddedGraph::new();
    g.apply(&demo::generate(3, 3_000).collect::<Vec<Event>>());
    let some: RoaringBitmap = g.live.iter().step_by(3).collect();
    let since_2015 = Selections {
        year: Range {
            min: Some(2015),
            max: None,
        },
        ..Selections::default()
    };
    for (hits, selections) in [(None, Selections::default()), (Some(&some), since_2015)] {
        for attribute_facets in [false, true] {
            let req = FacetRequest {
                hits,
                selections: selections.clone(),
                lang: Lang::EN,
                spec_facets: Vec::new(),
                buckets: 10,
                attribute_facets,
                rates: Default::default(),
            };
            let ranges = g.range_sets(&req.selections);
            let one = g.facets_on(&req, &ranges, Threads::One);
            assert_eq!(g.facets_on(&req, &ranges, Threads::Two), one);
            assert_eq!(g.facets(&req), one);
            assert_eq!(one.attributes.is_empty(), !attribute_facets);
        }
    }
}
