//! The judged relevance suite (`tests/relevance/`): GIVEN a hand-written multilingual
//! catalog, WHEN buyers type the queries of `queries.toml`, THEN the first page holds
//! what they asked for, in their language first.
//!
//! Each query's listings are graded by hand (2: what the buyer asked for, 1: related,
//! unnamed: not wanted). The suite prints nDCG@10 per query, and fails when the mean
//! falls below [`MIN_MEAN_NDCG`] or when fewer than [`MIN_LANGUAGE_FIRST`] of the
//! queries that have a wanted listing in the buyer's language show one of the buyer's
//! language first. Run it with `cargo test --test relevance -- --nocapture`.

#[path = "common/ingested.rs"]
mod ingested;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use stockyard::currency::Rates;
use stockyard::engine::{FacetWants, GraphSource, SearchPlan, SearchPool};
use stockyard::graph::Selections;
use stockyard::search::{LanguageDetector, Sort};
use stockyard_schema::Lang;

const CATALOG: &str = include_str!("relevance/catalog.ndjson");
const QUERIES: &str = include_str!("relevance/queries.toml");

/// The mean nDCG@10 the suite must reach.
const MIN_MEAN_NDCG: f64 = 0.90;
/// The share of queries, among those with a wanted listing in the buyer's language,
/// whose first hit is in the buyer's language.
const MIN_LANGUAGE_FIRST: f64 = 0.95;
/// The page judged.
const PAGE: usize = 10;

#[derive(Deserialize)]
struct Suite {
    query: Vec<Query>,
}

#[derive(Deserialize)]
struct Query {
    q: String,
    lang: String,
    kind: String,
    grades: BTreeMap<String, u8>,
}

/// The listings of the catalog and the one language each is written in.
fn languages() -> BTreeMap<String, Lang> {
    let mut out = BTreeMap::new();
    for line in CATALOG.lines().filter(|l| !l.trim().is_empty()) {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        if event["type"] != "MachineListed" {
            continue;
        }
        let data = &event["data"];
        let title = data["title"]
            .as_object()
            .expect("titles name their language");
        assert_eq!(
            title.len(),
            1,
            "{}: one language per listing",
            data["machine_id"]
        );
        let lang: Lang = title.keys().next().unwrap().parse().unwrap();
        out.insert(data["machine_id"].as_str().unwrap().to_owned(), lang);
    }
    out
}

/// Discounted cumulative gain of `grades` in order.
fn dcg(grades: impl Iterator<Item = u8>) -> f64 {
    grades
        .take(PAGE)
        .enumerate()
        .map(|(i, g)| (2f64.powi(i32::from(g)) - 1.0) / ((i + 2) as f64).log2())
        .sum()
}

#[test]
fn judged_queries_reach_the_thresholds() {
    let suite: Suite = toml::from_str(QUERIES).unwrap();
    let langs = languages();
    assert!(langs.len() >= 150, "{} listings", langs.len());
    let per_lang = |l: Lang| langs.values().filter(|x| **x == l).count();
    for l in [Lang::JA, Lang::EN, Lang::ZH, Lang::KO, Lang::DE, Lang::FR] {
        assert!(per_lang(l) >= 15, "{} listings in {l}", per_lang(l));
    }
    assert!(suite.query.len() >= 60, "{} queries", suite.query.len());
    for q in &suite.query {
        for id in q.grades.keys() {
            assert!(
                langs.contains_key(id),
                "{:?} grades unknown listing {id}",
                q.q
            );
        }
        assert!(
            q.grades.values().any(|g| *g == 2),
            "{:?} wants nothing",
            q.q
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let engine = ingested::engine(dir.path(), Arc::new(LanguageDetector::new()), CATALOG);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pool = SearchPool::new(2);

    let mut sum = 0.0;
    let (mut language_cases, mut language_first) = (0, 0);
    let mut worst: Vec<(f64, &str)> = Vec::new();
    println!(
        "{:<34} {:<4} {:<22} {:>6} {:>6}  first hits",
        "query", "lang", "kind", "total", "nDCG"
    );
    for q in &suite.query {
        let buyer: Lang = q.lang.parse().unwrap();
        let plan = SearchPlan {
            words: q.q.clone(),
            lang: Some(buyer),
            names: buyer,
            selections: Selections::default(),
            facets: FacetWants::default(),
            sort: Sort::Relevance,
            offset: 0,
            limit: PAGE,
            min_score: None,
            rates: Rates::default(),
        };
        let outcome = runtime
            .block_on(engine.search(&pool, plan, &GraphSource::Embedded))
            .unwrap();
        let page: Vec<&str> = outcome.hits.iter().map(|h| h.machine_id.as_str()).collect();
        let grade = |id: &str| q.grades.get(id).copied().unwrap_or(0);
        let mut ideal: Vec<u8> = q.grades.values().copied().collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let ndcg = dcg(page.iter().map(|id| grade(id))) / dcg(ideal.into_iter());
        sum += ndcg;
        worst.push((ndcg, &q.q));
        let wanted_in_buyer_language = q.grades.iter().any(|(id, g)| *g == 2 && langs[id] == buyer);
        let first_in_buyer_language = page.first().is_some_and(|id| langs[*id] == buyer);
        if wanted_in_buyer_language {
            language_cases += 1;
            language_first += usize::from(first_in_buyer_language);
        }
        let shown: Vec<String> = page
            .iter()
            .take(4)
            .map(|id| format!("{id}:{}", grade(id)))
            .collect();
        println!(
            "{:<34} {:<4} {:<22} {:>6} {:>6.3}{} {}",
            q.q,
            q.lang,
            q.kind,
            outcome.total,
            ndcg,
            if wanted_in_buyer_language && !first_in_buyer_language {
                " L"
            } else {
                "  "
            },
            shown.join(" ")
        );
        if ndcg < 0.8 {
            let missed: Vec<&str> = q
                .grades
                .iter()
                .filter(|(id, g)| **g == 2 && !page.contains(&id.as_str()))
                .map(|(id, _)| id.as_str())
                .collect();
            println!("{:>34} wanted, not on the page: {}", "", missed.join(" "));
        }
    }
    engine.shutdown();
    let mean = sum / suite.query.len() as f64;
    let share = language_first as f64 / language_cases.max(1) as f64;
    worst.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!(
        "\n{} queries: mean nDCG@{PAGE} {mean:.3}; buyer's language first in \
         {language_first} of {language_cases} ({:.1} %); lowest: {:?}",
        suite.query.len(),
        share * 100.0,
        &worst[..worst.len().min(5)]
    );
    assert!(mean >= MIN_MEAN_NDCG, "mean nDCG@{PAGE} {mean:.3}");
    assert!(
        share >= MIN_LANGUAGE_FIRST,
        "buyer's language first {share:.3}"
    );
}
