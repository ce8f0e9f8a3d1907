//! The one-pass search path against the two-pass path it replaced, on the demo
//! catalog: GIVEN the 3,779 demo events, WHEN a few hundred generated searches run
//! (words in eight languages, model numbers, browsing; every kind of selection; every
//! sort; pages; facets), THEN totals, hits (ids, scores, order) and every facet count
//! equal the reference: a text pass collecting the whole hit set, the graph filtering
//! it and counting facets, and a second text pass ranking the filtered set, every hit
//! scored by the whole boolean query (no tiers). Each search runs twice: on one thread,
//! and split between two (as a broad query on a quiet server is).

#[path = "common/ingested.rs"]
mod ingested;
#[path = "common/rng.rs"]
mod rng;

use rng::Rng;
use std::sync::{Arc, OnceLock};
use stockyard::currency::Rates;
use stockyard::engine::{Engine, FacetWants, GraphSource, SearchOutcome, SearchPlan, SearchPool};
use stockyard::graph::{FacetRequest, Facets, NumberFilter, Range, Selections};
use stockyard::search::relax::Relax;
use stockyard::search::trade_words::TradeWords;
use stockyard::search::{LanguageDetector, Order, SearchRequest, Sort};
use stockyard_schema::Lang;

const DEMO: &str = include_str!("../data/demo-catalog.ndjson");
const SEARCHES: usize = 400;

fn detector() -> Arc<LanguageDetector> {
    static D: OnceLock<Arc<LanguageDetector>> = OnceLock::new();
    D.get_or_init(|| Arc::new(LanguageDetector::new())).clone()
}

const WORDS: &[&str] = &[
    "",
    "",
    "excavator",
    "油圧ショベル",
    "挖掘机",
    "굴착기",
    "Radlader",
    "wheel loader",
    "air conditioning",
    "pc200",
    "komatsu pc200-8",
    "zx135",
    "d6t",
    "hydraulic exc",
    "ミニショベル",
    "クレーン",
    "Bagger",
    "pelle",
    "kobelco",
    "コマツ",
    "excavatr",
    "crane 50t",
    "экскаватор",
];

/// Ids seen in the catalog, for selections.
struct Ids {
    categories: Vec<String>,
    makers: Vec<String>,
    models: Vec<String>,
}

/// One to three ids of `from`, parsed as the selection's id type.
fn some<T: std::str::FromStr>(rng: &mut Rng, from: &[String]) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    (0..1 + rng.below(3))
        .map(|_| rng.pick(from).parse().unwrap())
        .collect()
}

fn plan(rng: &mut Rng, ids: &Ids, rates: &Rates) -> SearchPlan {
    let mut sel = Selections::default();
    if rng.chance(25) {
        sel.categories = some(rng, &ids.categories);
    }
    if rng.chance(25) {
        sel.makers = some(rng, &ids.makers);
    }
    if rng.chance(10) {
        sel.models = some(rng, &ids.models);
    }
    if rng.chance(20) {
        let lo = rng.below(30) as f64;
        sel.specs.push((
            "operating_weight".parse().unwrap(),
            NumberFilter::Range(Range {
                min: Some(lo),
                max: rng.chance(50).then_some(lo + 10.0),
            }),
        ));
    }
    if rng.chance(10) {
        sel.specs.push((
            "fuel_type".parse().unwrap(),
            NumberFilter::Text(vec!["diesel".into()]),
        ));
    }
    if rng.chance(20) {
        sel.year = Range {
            min: Some(2005 + rng.below(15) as u16),
            max: None,
        };
    }
    if rng.chance(15) {
        sel.hours = Range {
            min: None,
            max: Some(1000 + rng.below(10_000) as u32),
        };
    }
    if rng.chance(15) {
        sel.price_usd = Range {
            min: Some(rng.below(50_000) as f64),
            max: Some(60_000.0 + rng.below(200_000) as f64),
        };
    }
    let order = if rng.chance(50) {
        Order::Asc
    } else {
        Order::Desc
    };
    let sort = *rng.pick(&[
        Sort::Relevance,
        Sort::Relevance,
        Sort::Price(order),
        Sort::Year(order),
        Sort::Hours(order),
        Sort::Newest,
    ]);
    let lang = *rng.pick(&[
        None,
        Some(Lang::JA),
        Some(Lang::EN),
        Some(Lang::DE),
        Some(Lang::ZH),
    ]);
    SearchPlan {
        words: rng.pick(WORDS).to_string(),
        lang,
        names: lang.unwrap_or(Lang::EN),
        selections: sel,
        facets: FacetWants {
            category: true,
            maker: true,
            model: rng.chance(70),
            year: rng.chance(30),
            hours: rng.chance(30),
            price: rng.chance(30),
            specs: if rng.chance(30) {
                vec!["operating_weight".parse().unwrap()]
            } else {
                Vec::new()
            },
        },
        sort,
        offset: *rng.pick(&[0, 0, 0, 20, 40]),
        limit: *rng.pick(&[1, 10, 20, 100]),
        min_score: rng.chance(10).then_some(2.0),
        rates: rates.clone(),
    }
}

fn has_selections(s: &Selections) -> bool {
    s != &Selections::default()
}

/// What the service did before: two text passes around the graph.
fn two_pass(engine: &Engine, plan: &SearchPlan) -> (usize, Vec<(String, f32)>, Facets) {
    let generation = engine.current();
    let graph = generation.graph().get();
    let browse = !plan.has_words();
    let filtered = has_selections(&plan.selections);
    let mut request = SearchRequest {
        text: plan.words.clone(),
        lang: plan.lang,
        offset: plan.offset,
        limit: plan.limit,
        sort: plan.sort,
        min_score: plan.min_score,
        // Every hit scored by the whole boolean query, as before the tiers.
        exhaustive: true,
        rates: plan.rates.clone(),
        // The demo catalog has no synonym sets: the bundled trade words alone.
        alternatives: if browse {
            Vec::new()
        } else {
            TradeWords::default().alternatives(&plan.words, Some(TradeWords::builtin()))
        },
        ..SearchRequest::default()
    };
    let first_pass = |request: &SearchRequest| {
        (!(browse && filtered)).then(|| {
            generation
                .text()
                .search(&SearchRequest {
                    hit_set: !browse,
                    ..request.clone()
                })
                .unwrap()
        })
    };
    let mut first = first_pass(&request);
    // Words that match nothing at all are relaxed: typos, then a word fewer.
    for relax in [Relax::Typo, Relax::Words] {
        let unmatched = first
            .as_ref()
            .is_some_and(|r| r.hit_set.as_ref().is_some_and(|h| h.is_empty()));
        if unmatched && relax.applies(&plan.words) {
            request.relax = relax;
            first = first_pass(&request);
        }
    }
    let hits = first.as_ref().and_then(|r| r.hit_set.clone());
    let facets = graph.facets(&FacetRequest {
        hits: hits.as_ref(),
        selections: plan.selections.clone(),
        lang: plan.names,
        spec_facets: plan.facets.specs.clone(),
        buckets: stockyard::engine::search::BUCKETS,
        attribute_facets: plan.facets.attributes(),
        rates: plan.rates.clone(),
    });
    let results = match first {
        Some(r) if !filtered => r,
        _ => generation
            .text()
            .search(&SearchRequest {
                filter: Some(Arc::new(facets.matching.clone())),
                ..request
            })
            .unwrap(),
    };
    let page = results
        .hits
        .into_iter()
        .map(|h| (h.machine_id, h.score))
        .collect();
    (results.total, page, facets)
}

#[test]
fn one_pass_answers_equal_the_two_pass_reference() {
    let dir = tempfile::tempdir().unwrap();
    let engine = ingested::engine(dir.path(), detector(), DEMO);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pool = SearchPool::new(2);
    // Every search split: each finds a core idle and a heavy place free (they run one
    // at a time), and splits its pass over the hits between two threads.
    let splitting = SearchPool::new(2).split_from(0);
    let run_in = |pool: &SearchPool, plan: SearchPlan| -> Arc<SearchOutcome> {
        runtime
            .block_on(engine.search(pool, plan, &GraphSource::Embedded))
            .unwrap()
    };
    let run = |plan: SearchPlan| run_in(&pool, plan);
    let everything = run(SearchPlan {
        words: String::new(),
        lang: None,
        names: Lang::EN,
        selections: Selections::default(),
        facets: FacetWants {
            category: true,
            maker: true,
            model: true,
            ..FacetWants::default()
        },
        sort: Sort::Relevance,
        offset: 0,
        limit: 1,
        min_score: None,
        rates: Rates::default(),
    });
    let ids = Ids {
        categories: everything
            .facets
            .categories
            .iter()
            .map(|f| f.id.clone())
            .collect(),
        makers: everything
            .facets
            .makers
            .iter()
            .map(|f| f.id.clone())
            .collect(),
        models: everything
            .facets
            .models
            .iter()
            .map(|f| f.id.clone())
            .collect(),
    };
    assert!(ids.categories.len() > 10 && ids.makers.len() > 10 && ids.models.len() > 100);

    let mut rng = Rng(0x5eed_2026);
    let (mut with_hits, mut with_selections) = (0, 0);
    for i in 0..SEARCHES {
        let plan = plan(&mut rng, &ids, engine.current().graph().get().rates());
        let (total, page, facets) = two_pass(&engine, &plan);
        for (outcome, how) in [
            (run(plan.clone()), "one thread"),
            (run_in(&splitting, plan.clone()), "split"),
        ] {
            let new_page: Vec<(String, f32)> = outcome
                .hits
                .iter()
                .map(|h| (h.machine_id.clone(), h.score))
                .collect();
            let context = format!("search {i} ({how}): {plan:?}");
            assert_eq!(outcome.total, total, "total of {context}");
            assert_eq!(new_page, page, "hits of {context}");
            assert_eq!(
                outcome.facets.categories, facets.categories,
                "categories of {context}"
            );
            assert_eq!(outcome.facets.makers, facets.makers, "makers of {context}");
            assert_eq!(outcome.facets.models, facets.models, "models of {context}");
            assert_eq!(
                outcome.facets.specs, facets.specs,
                "spec facets of {context}"
            );
            assert_eq!(
                outcome.facets.attributes, facets.attributes,
                "attributes of {context}"
            );
            assert_eq!(
                outcome.facets.matching, facets.matching,
                "filtered set of {context}"
            );
        }
        with_hits += usize::from(total > 0);
        with_selections += usize::from(has_selections(&plan.selections));
    }
    // The generated searches cover the ground: most find something, many select.
    assert!(with_hits > SEARCHES / 2, "{with_hits} searches found hits");
    assert!(
        with_selections > SEARCHES / 3,
        "{with_selections} searches selected"
    );
    let lent = splitting.cores_lent();
    assert!(lent >= SEARCHES as u64, "a second core lent {lent} times");
    engine.shutdown();
}
