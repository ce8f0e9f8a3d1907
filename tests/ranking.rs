//! The ranking model of `docs/ranking.md`, as use cases: GIVEN these listings, WHEN a
//! buyer types these words, THEN these hits, in this order.

#[path = "common/ingested.rs"]
mod ingested;

use std::sync::{Arc, OnceLock};
use stockyard::currency::Rates;
use stockyard::engine::{Engine, FacetWants, GraphSource, SearchOutcome, SearchPlan, SearchPool};
use stockyard::graph::Selections;
use stockyard::search::relax::Relax;
use stockyard::search::{LanguageDetector, Sort};
use stockyard_schema::Lang;

/// Two makers, three categories, five models, and listings written to tell the
/// criteria apart (the comment after each says which).
const CATALOG: &str = r#"
{"id":"c1","type":"CategoryDefined","at":"2026-01-01T00:00:00Z","data":{"category_id":"excavators","names":{"en":"Excavators","ja":"油圧ショベル","de":"Bagger"}}}
{"id":"c2","type":"CategoryDefined","at":"2026-01-01T00:00:00Z","data":{"category_id":"dump-trucks","names":{"en":"Dump trucks","ja":"ダンプトラック"}}}
{"id":"c3","type":"CategoryDefined","at":"2026-01-01T00:00:00Z","data":{"category_id":"loaders","names":{"en":"Wheel loaders","de":"Radlader"}}}
{"id":"k1","type":"MakerRegistered","at":"2026-01-01T00:00:00Z","data":{"maker_id":"komatsu","names":{"en":"Komatsu","ja":"コマツ"}}}
{"id":"k2","type":"MakerRegistered","at":"2026-01-01T00:00:00Z","data":{"maker_id":"volvo","names":{"en":"Volvo"}}}
{"id":"m1","type":"ModelRegistered","at":"2026-01-01T00:00:00Z","data":{"model_id":"pc200-8","maker_id":"komatsu","category_id":"excavators","name":"PC200-8"}}
{"id":"m2","type":"ModelRegistered","at":"2026-01-01T00:00:00Z","data":{"model_id":"pc200-10","maker_id":"komatsu","category_id":"excavators","name":"PC200-10"}}
{"id":"m3","type":"ModelRegistered","at":"2026-01-01T00:00:00Z","data":{"model_id":"wa380-8","maker_id":"komatsu","category_id":"loaders","name":"WA380-8"}}
{"id":"m4","type":"ModelRegistered","at":"2026-01-01T00:00:00Z","data":{"model_id":"a30g","maker_id":"volvo","category_id":"dump-trucks","name":"A30G"}}
{"id":"m5","type":"ModelRegistered","at":"2026-01-01T00:00:00Z","data":{"model_id":"ec220e","maker_id":"volvo","category_id":"excavators","name":"EC220E"}}
{"id":"l1","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"PC200-8-titled","model_id":"pc200-8","title":{"en":"Komatsu PC200-8 excavator, 2016"},"description":"Good undercarriage."}}
{"id":"l2","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"PC200-8-bare","model_id":"pc200-8","title":{"en":"2014 crawler, 8,000 hours"},"description":"Air conditioning, quick coupler."}}
{"id":"l3","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"PC200-10","model_id":"pc200-10","title":{"en":"Komatsu PC200-10 excavator"},"description":"One owner."}}
{"id":"l4","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"WA380-8","model_id":"wa380-8","title":{"en":"Komatsu WA380-8 wheel loader"},"description":"Bucket 3.5 m3."}}
{"id":"l5","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"A30G","model_id":"a30g","title":{"en":"Volvo A30G articulated hauler"},"description":"Air conditioning works. Loads well from any excavator; excavator buckets not included."}}
{"id":"l6","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"EC220E-ac","model_id":"ec220e","title":{"en":"Volvo EC220E with air conditioning"},"description":"Hammer lines."}}
{"id":"l7","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"EC220E-plain","model_id":"ec220e","title":{"en":"Volvo EC220E"},"description":"Hammer lines, no cab heater."}}
{"id":"l8","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"EC220E-de","model_id":"ec220e","title":{"de":"Volvo EC220E Kettenbagger mit Klimaanlage"},"description":"Hammerleitung."}}
{"id":"l9","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"A30G-ja-described","model_id":"a30g","title":{"ja":"ボルボ A30G"},"description":"エアコン"}}
{"id":"l10","type":"MachineListed","at":"2026-01-02T00:00:00Z","data":{"machine_id":"A30G-ja-titled","model_id":"a30g","title":{"ja":"ボルボ A30G エアコン付き"},"description":"整備記録あり、足回り良好、タイヤ残り七割、荷台の補修歴なし。"}}
"#;

fn engine() -> &'static (Arc<Engine>, tokio::runtime::Runtime, SearchPool) {
    static E: OnceLock<(Arc<Engine>, tokio::runtime::Runtime, SearchPool)> = OnceLock::new();
    E.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let engine = ingested::engine(&dir, Arc::new(LanguageDetector::new()), CATALOG);
        (
            engine,
            tokio::runtime::Runtime::new().unwrap(),
            SearchPool::new(2),
        )
    })
}

fn search(words: &str, lang: Lang) -> Arc<SearchOutcome> {
    let (engine, runtime, pool) = engine();
    let plan = SearchPlan {
        words: words.to_owned(),
        lang: Some(lang),
        names: lang,
        selections: Selections::default(),
        facets: FacetWants::default(),
        sort: Sort::Relevance,
        offset: 0,
        limit: 20,
        min_score: None,
        rates: Rates::default(),
    };
    runtime
        .block_on(engine.search(pool, plan, &GraphSource::Embedded))
        .unwrap()
}

fn ids(o: &SearchOutcome) -> Vec<&str> {
    o.hits.iter().map(|h| h.machine_id.as_str()).collect()
}

/// WHEN a buyer types a maker and a model number THEN the total counts that model's
/// listings, not every listing of the maker: every word must match.
#[test]
fn every_word_must_match() {
    let r = search("komatsu pc200-8", Lang::EN);
    assert_eq!(r.total, 2, "{:?}", ids(&r));
    // The title that says both words comes first; the other matches through its
    // catalog entities (maker, model) alone.
    assert_eq!(ids(&r), ["PC200-8-titled", "PC200-8-bare"]);
    assert_eq!(r.relaxed, Relax::Strict);
    // One word alone still finds every listing it names.
    assert_eq!(search("komatsu", Lang::EN).total, 4);
    // Spaces inside a model number: the whole query is a prefix of the model number.
    assert_eq!(search("pc 200", Lang::EN).total, 3);
    assert_eq!(search("PC200 8", Lang::EN).total, 2);
}

/// WHEN a buyer types a category and a piece of equipment THEN the listings of that
/// category with that equipment come first, the one of another category whose
/// description says both words comes after them, and listings of the category
/// without the equipment are no hits.
#[test]
fn a_word_in_the_title_or_a_catalog_name_outranks_the_description() {
    let r = search("excavator air conditioning", Lang::EN);
    let found = ids(&r);
    // The title holding all three words (one through the catalog) first; then the
    // English excavator whose description says it, then the German one whose
    // description says `Klimaanlage` (the bundled equipment words); the hauler last.
    assert_eq!(found, ["EC220E-ac", "PC200-8-bare", "EC220E-de", "A30G"]);
    assert!(!found.contains(&"EC220E-plain"));
    // The same in German: the excavator whose title says both words first, then the
    // excavators with air conditioning in English; the hauler names no excavator
    // in German, and the plain excavator has no air conditioning.
    let r = search("Bagger Klimaanlage", Lang::DE);
    let found = ids(&r);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0], "EC220E-de");
    assert!(found.contains(&"EC220E-ac") && found.contains(&"PC200-8-bare"));
}

/// WHEN the words match the catalog names of another language THEN the listing is
/// found, and among equal matches the buyer's language comes first.
#[test]
fn catalog_names_count_as_the_words_in_any_language() {
    let r = search("Volvo Bagger", Lang::DE);
    assert_eq!(r.total, 3, "{:?}", ids(&r));
    assert_eq!(ids(&r)[0], "EC220E-de");
    // The hauler whose description mentions excavators matches both words too, but
    // only its maker's name holds one: every excavator comes first, the German one
    // after the English ones.
    let r = search("volvo excavator", Lang::EN);
    assert_eq!(ids(&r), ["EC220E-ac", "EC220E-plain", "EC220E-de", "A30G"]);
    // A phrase ranks above the same words apart.
    let r = search("wheel loader", Lang::EN);
    assert_eq!(ids(&r), ["WA380-8"]);
}

/// WHEN a buyer types one word that no catalog name holds (`エアコン`, three bigrams)
/// THEN the listing whose title holds it outranks the one whose description alone
/// does, though that one's text is shorter: the title makes the word strong even
/// where no named entity does. (The listings with air conditioning in other
/// languages follow, through the bundled equipment words.)
#[test]
fn a_word_of_several_terms_in_the_title_is_strong_without_a_catalog_name() {
    let r = search("エアコン", Lang::JA);
    assert_eq!(
        ids(&r)[..2],
        ["A30G-ja-titled", "A30G-ja-described"],
        "{:?}",
        r.hits.iter().map(|h| h.score).collect::<Vec<_>>()
    );
}

/// WHEN one word of several matches nowhere THEN the search relaxes (and says so)
/// rather than answering nothing; without relaxation, no listing matching only
/// some words is a hit.
#[test]
fn some_words_only_after_relaxing() {
    let r = search("komatsu xyzzy", Lang::EN);
    assert_eq!(r.relaxed, Relax::Words);
    assert_eq!(r.total, 4);
}
