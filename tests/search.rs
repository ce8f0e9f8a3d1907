//! Text search use cases on a small hand-written catalog: GIVEN these listings, WHEN a
//! buyer searches, THEN these hits in this order.

use std::sync::{Arc, OnceLock};
use stockyard::currency::Rates;
use stockyard::search::{
    CatalogEntry, LanguageDetector, Listing, Order, RequestError, SearchError, SearchRequest,
    SearchResults, Sort, TextIndex,
};
use stockyard_schema::domain::{Category, Currency, Machine, Maker, Model, Price, Year};
use stockyard_schema::event::CurrencyRates;
use stockyard_schema::{Lang, Text};

fn detector() -> Arc<LanguageDetector> {
    static D: OnceLock<Arc<LanguageDetector>> = OnceLock::new();
    D.get_or_init(|| Arc::new(LanguageDetector::new())).clone()
}

fn text(pairs: &[(&str, &str)]) -> Text {
    Text::Langs(
        pairs
            .iter()
            .map(|(l, t)| (l.parse().unwrap(), (*t).to_owned()))
            .collect(),
    )
}

fn maker(id: &str, names: &[(&str, &str)]) -> Maker {
    Maker {
        id: parse(id),
        names: text(names),
    }
}

/// Parses an id in test data (ids implement `FromStr`).
fn parse<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

/// The catalog: makers, categories, models, and listings by id.
struct Catalog {
    makers: Vec<Maker>,
    categories: Vec<Category>,
    models: Vec<Model>,
    machines: Vec<Machine>,
}

fn catalog() -> Catalog {
    let makers = vec![
        maker(
            "komatsu",
            &[("en", "Komatsu"), ("ja", "コマツ"), ("zh", "小松")],
        ),
        maker("hitachi", &[("en", "Hitachi"), ("ja", "日立建機")]),
        maker(
            "caterpillar",
            &[
                ("en", "Caterpillar"),
                ("ja", "キャタピラー"),
                ("zh", "卡特彼勒"),
            ],
        ),
        maker("bomag", &[("en", "Bomag")]),
    ];
    let categories = vec![
        Category {
            id: parse("excavators"),
            parent_id: None,
            names: text(&[
                ("en", "Excavators"),
                ("ja", "油圧ショベル"),
                ("zh", "挖掘机"),
                ("de", "Bagger"),
            ]),
        },
        Category {
            id: parse("loaders"),
            parent_id: None,
            names: text(&[("en", "Wheel loaders"), ("ja", "ホイールローダー")]),
        },
        Category {
            id: parse("rollers"),
            parent_id: None,
            names: text(&[("en", "Rollers")]),
        },
    ];
    let model = |id: &str, maker: &str, category: &str, name: &str| Model {
        id: parse(id),
        maker_id: parse(maker),
        category_id: parse(category),
        name: name.to_owned(),
        specs: vec![],
    };
    let models = vec![
        model("pc200", "komatsu", "excavators", "PC200-8"),
        model("zx135", "hitachi", "excavators", "ZX135US-7"),
        model("320d", "caterpillar", "excavators", "320D"),
        model("wa380", "komatsu", "loaders", "WA380-8"),
        model("pc30", "komatsu", "excavators", "PC30MR-5"),
        model("bw120", "bomag", "rollers", "BW 120"),
    ];
    let machine =
        |id: &str, model: &str, title: Text, year: Option<i64>, price: Option<(f64, &str)>| {
            Machine {
                id: parse(id),
                model_id: parse(model),
                category_id: None,
                title,
                description: None,
                year: year.and_then(Year::new),
                hours: None,
                price: price.map(|(amount, c)| Price {
                    amount,
                    currency: stockyard_schema::domain::Currency::new(c).unwrap(),
                }),
                location: None,
                images: Default::default(),
            }
        };
    let machines = vec![
        machine(
            "M1",
            "pc200",
            text(&[("ja", "コマツ PC200-8 油圧ショベル 2015年式")]),
            Some(2015),
            Some((6_800_000.0, "JPY")),
        ),
        machine(
            "M2",
            "pc200",
            text(&[("en", "2016 Komatsu PC200-8 hydraulic excavator")]),
            Some(2016),
            Some((52_000.0, "USD")),
        ),
        machine(
            "M3",
            "zx135",
            Text::Unknown("日立 ZX135US-7 中古建機 整備済".into()),
            Some(2012),
            None,
        ),
        machine(
            "M4",
            "320d",
            text(&[("de", "Caterpillar 320D Kettenbagger mit Schnellwechsler")]),
            None,
            Some((38_000.0, "EUR")),
        ),
        machine(
            "M5",
            "wa380",
            text(&[("en", "Komatsu WA380-8 wheel loader")]),
            Some(2019),
            Some((90_000.0, "USD")),
        ),
        machine(
            "M6",
            "320d",
            text(&[("zh", "卡特彼勒 320D 二手挖掘机")]),
            Some(2014),
            Some((300_000.0, "CNY")),
        ),
        machine(
            "M7",
            "pc30",
            text(&[("ko", "코마츠 PC30MR-5 미니 굴착기")]),
            Some(2020),
            Some((30_000_000.0, "KRW")),
        ),
        machine(
            "M8",
            "bw120",
            text(&[("en", "Bomag BW 120 roller, loaderman approved")]),
            Some(2010),
            Some((12_000.0, "USD")),
        ),
        machine(
            "M9",
            "bw120",
            text(&[("en", "Bomag BW 120 with unloader valve")]),
            Some(2011),
            Some((11_000.0, "USD")),
        ),
    ];
    Catalog {
        makers,
        categories,
        models,
        machines,
    }
}

fn build_index(c: &Catalog, index: &TextIndex) {
    let mut w = index.writer(50_000_000).unwrap();
    for m in &c.makers {
        w.upsert_entry(CatalogEntry::Maker(m)).unwrap();
    }
    for m in &c.models {
        w.upsert_entry(CatalogEntry::Model(m)).unwrap();
    }
    for cat in &c.categories {
        w.upsert_entry(CatalogEntry::Category(cat)).unwrap();
    }
    for (i, m) in c.machines.iter().enumerate() {
        let model = c.models.iter().find(|x| x.id == m.model_id).unwrap();
        w.upsert(&Listing {
            key: i as u64 + 1,
            machine: m,
            maker_id: Some(&model.maker_id),
            categories: &[&model.category_id],
            listed_at: 1_767_225_600 + i as i64 * 60,
        })
        .unwrap();
    }
    w.commit(Some("checkpoint-9".into())).unwrap();
}

fn index() -> TextIndex {
    let idx = TextIndex::in_memory(detector()).unwrap();
    build_index(&catalog(), &idx);
    idx
}

fn search(idx: &TextIndex, text: &str, lang: Option<Lang>) -> SearchResults {
    idx.search(&SearchRequest {
        text: text.into(),
        lang,
        limit: 20,
        ..SearchRequest::default()
    })
    .unwrap()
}

fn ids(r: &SearchResults) -> Vec<&str> {
    r.hits.iter().map(|h| h.machine_id.as_str()).collect()
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort();
    v
}

#[test]
fn phrase_beats_prefix_beats_ngram() {
    let idx = index();
    // M5 says "wheel loader" (phrase), M8 "loaderman" (prefix), M9 "unloader" (n-grams).
    let r = search(&idx, "loader", Some(Lang::EN));
    assert_eq!(ids(&r), ["M5", "M8", "M9"]);
    assert!(r.hits[0].score > r.hits[1].score && r.hits[1].score > r.hits[2].score);
}

#[test]
fn each_buyer_sees_the_listing_in_their_language_first() {
    let idx = index();
    assert_eq!(ids(&search(&idx, "PC200", Some(Lang::JA)))[0], "M1");
    assert_eq!(ids(&search(&idx, "PC200", Some(Lang::EN)))[0], "M2");
    // Without a stated language, the query's own language counts.
    let r = search(&idx, "油圧ショベル", None);
    assert_eq!(r.langs, [Lang::JA]);
    assert_eq!(ids(&r)[0], "M1");
    let r = search(&idx, "wheel loader", None);
    assert_eq!(r.langs, [Lang::EN]);
    assert_eq!(ids(&r)[0], "M5");
    // A model number or a bare maker name says nothing reliable about the buyer.
    assert!(search(&idx, "PC200", None).langs.is_empty());
    assert!(search(&idx, "komatsu", None).langs.is_empty());
    // Han characters alone could be either: both get the boost.
    assert_eq!(search(&idx, "中古建機", None).langs, [Lang::JA, Lang::ZH]);
}

#[test]
fn kanji_only_listing_is_found_and_boosted_for_japanese_and_chinese_buyers() {
    let idx = index();
    let ja = search(&idx, "中古建機", Some(Lang::JA));
    let zh = search(&idx, "中古建機", Some(Lang::ZH));
    let en = search(&idx, "中古建機", Some(Lang::EN));
    assert_eq!(ids(&ja), ["M3"]);
    assert_eq!(ids(&zh), ["M3"]);
    assert_eq!(ja.hits[0].score, zh.hits[0].score);
    assert!(
        ja.hits[0].score > en.hits[0].score,
        "boosted for ja and zh, not en"
    );
}

#[test]
fn model_numbers_match_across_forms() {
    let idx = index();
    assert_eq!(sorted(ids(&search(&idx, "pc200", None))), ["M1", "M2"]);
    assert_eq!(sorted(ids(&search(&idx, "ＰＣ２００", None))), ["M1", "M2"]);
    assert_eq!(ids(&search(&idx, "ZX 135", None))[0], "M3");
    assert_eq!(ids(&search(&idx, "zx135us", None))[0], "M3");
    assert_eq!(sorted(ids(&search(&idx, "320d", None))), ["M4", "M6"]);
}

#[test]
fn maker_names_match_in_every_script() {
    let idx = index();
    let komatsu = ["M1", "M2", "M5", "M7"];
    for q in ["コマツ", "小松", "Komatsu", "komatsu", "コマ"] {
        assert_eq!(sorted(ids(&search(&idx, q, None))), komatsu, "query {q}");
    }
    assert_eq!(sorted(ids(&search(&idx, "卡特彼勒", None))), ["M4", "M6"]);
}

#[test]
fn stemming_and_category_names_in_other_languages() {
    let idx = index();
    // German stemming: "Kettenbaggers" finds "Kettenbagger".
    assert_eq!(ids(&search(&idx, "Kettenbaggers", Some(Lang::DE)))[0], "M4");
    // Category names are searchable in their languages: "Bagger" (de) finds excavators.
    let r = search(&idx, "Bagger", Some(Lang::DE));
    assert!(ids(&r).contains(&"M1") && ids(&r).contains(&"M6"));
    // Korean without spaces between particles: bigrams match.
    assert_eq!(ids(&search(&idx, "굴착기", Some(Lang::KO)))[0], "M7");
}

#[test]
fn min_score_drops_junk() {
    let idx = index();
    let all = search(&idx, "loader", Some(Lang::EN));
    let strict = idx
        .search(&SearchRequest {
            text: "loader".into(),
            lang: Some(Lang::EN),
            limit: 20,
            min_score: Some(1.0),
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(ids(&strict), ["M5", "M8"]);
    assert_eq!(strict.total, all.total - 1);
}

#[test]
fn browse_lists_all_live_listings_in_the_chosen_order() {
    let idx = index();
    // The rates sorting by price converts with (1 USD = 150 JPY = 7.2 CNY = 0.92 EUR =
    // 1,350 KRW); the index holds amounts as listed.
    let rates = Rates::published(&CurrencyRates {
        base: Currency::USD,
        rates: [("JPY", 150.0), ("CNY", 7.2), ("EUR", 0.92), ("KRW", 1350.0)]
            .map(|(c, r)| (Currency::new(c).unwrap(), r))
            .into(),
        as_of: stockyard_schema::event::Timestamp::parse("2026-11-30T00:00:00Z").unwrap(),
    });
    let browse_at = |sort, rates: &Rates| {
        idx.search(&SearchRequest {
            text: "  ".into(),
            limit: 20,
            sort,
            rates: rates.clone(),
            ..SearchRequest::default()
        })
        .unwrap()
    };
    let browse = |sort| browse_at(sort, &rates);
    let newest = browse(Sort::Relevance);
    assert_eq!(newest.total, 9);
    assert_eq!(
        ids(&newest),
        ["M9", "M8", "M7", "M6", "M5", "M4", "M3", "M2", "M1"]
    );
    let by_year = browse(Sort::Year(Order::Asc));
    assert_eq!(
        ids(&by_year),
        ["M8", "M9", "M3", "M6", "M1", "M2", "M5", "M7", "M4"]
    );
    // Sorting by listing time gives the browse's own order.
    assert_eq!(ids(&browse(Sort::Newest)), ids(&newest));
    // No listing states its hours: all rank as missing, by key, in either direction.
    for order in [Order::Asc, Order::Desc] {
        assert_eq!(
            ids(&browse(Sort::Hours(order))),
            ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9"]
        );
    }
    let by_price = browse(Sort::Price(Order::Desc));
    // M5 90k USD, M2 52k, M1 ≈45.6k (JPY), M6 ≈41.7k (CNY), M4 ≈41k (EUR), M7 22.2k (KRW),
    // M8 12k, M9 11k, M3 without price last.
    assert_eq!(
        ids(&by_price),
        ["M5", "M2", "M1", "M6", "M4", "M7", "M8", "M9", "M3"]
    );
    // Before any rates are published only dollar prices convert: the rest sort after
    // them (by key), as listings without a price do.
    let dollars_only = browse_at(Sort::Price(Order::Desc), &Rates::default());
    assert_eq!(
        ids(&dollars_only),
        ["M5", "M2", "M8", "M9", "M1", "M3", "M4", "M6", "M7"]
    );
}

#[test]
fn paging_is_stable_and_complete() {
    let idx = index();
    for text in ["", "komatsu", "excavator"] {
        let full = idx
            .search(&SearchRequest {
                text: text.into(),
                limit: 100,
                ..SearchRequest::default()
            })
            .unwrap();
        let mut paged = Vec::new();
        for offset in (0..full.total).step_by(2) {
            let page = idx
                .search(&SearchRequest {
                    text: text.into(),
                    offset,
                    limit: 2,
                    ..SearchRequest::default()
                })
                .unwrap();
            assert_eq!(page.total, full.total);
            paged.extend(page.hits.into_iter().map(|h| h.machine_id));
        }
        let full_ids: Vec<String> = full.hits.iter().map(|h| h.machine_id.clone()).collect();
        assert_eq!(paged, full_ids, "pages of {text:?}");
    }
}

#[test]
fn whole_hit_set_is_available_for_facets() {
    let idx = index();
    let r = idx
        .search(&SearchRequest {
            text: "komatsu".into(),
            limit: 1,
            hit_set: true,
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(r.hits.len(), 1);
    let keys: Vec<u32> = r.hit_set.unwrap().into_iter().collect();
    assert_eq!(keys, [1, 2, 5, 7]);
}

/// GIVEN a filter (the buyer's selections), WHEN searching, THEN the total and the
/// page hold only filtered hits, while the hit set (for the facets) holds them all.
#[test]
fn a_filter_ranks_among_selected_hits_and_keeps_the_whole_hit_set() {
    let idx = index();
    let filter: roaring::RoaringBitmap = [2u32, 7].into_iter().collect();
    let r = idx
        .search(&SearchRequest {
            text: "komatsu".into(),
            limit: 10,
            hit_set: true,
            filter: Some(std::sync::Arc::new(filter)),
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(r.total, 2);
    let mut page: Vec<u64> = r.hits.iter().map(|h| h.key).collect();
    page.sort();
    assert_eq!(page, [2, 7]);
    let keys: Vec<u32> = r.hit_set.unwrap().into_iter().collect();
    assert_eq!(keys, [1, 2, 5, 7]);
}

#[test]
fn bad_requests_are_refused_with_a_reason() {
    let idx = index();
    let req = |text: &str, offset, limit| SearchRequest {
        text: text.into(),
        offset,
        limit,
        ..SearchRequest::default()
    };
    let err = |r: SearchRequest| match idx.search(&r) {
        Err(SearchError::Request(e)) => e,
        other => panic!("expected a request error, got {other:?}"),
    };
    assert_eq!(
        err(req(&"x".repeat(201), 0, 10)),
        RequestError::QueryTooLong { chars: 201 }
    );
    assert_eq!(err(req("x", 0, 0)), RequestError::Limit(0));
    assert_eq!(err(req("x", 0, 101)), RequestError::Limit(101));
    assert_eq!(err(req("x", 10_001, 10)), RequestError::Offset(10_001));
    assert!(idx.search(&req(&"語".repeat(200), 0, 10)).is_ok());
}

#[test]
fn removed_and_replaced_listings() {
    let c = catalog();
    let idx = index();
    let mut w = idx.writer(20_000_000).unwrap();
    w.remove(&c.machines[0].id);
    let mut m2 = c.machines[1].clone();
    m2.title = text(&[("en", "Komatsu PC200-8 excavator, price reduced")]);
    w.upsert(&Listing {
        key: 2,
        machine: &m2,
        maker_id: Some(&c.models[0].maker_id),
        categories: &[&c.categories[0].id],
        listed_at: 0,
    })
    .unwrap();
    w.commit(None).unwrap();
    assert_eq!(idx.num_docs(), 8);
    assert_eq!(ids(&search(&idx, "pc200", None)), ["M2"]);
    assert_eq!(ids(&search(&idx, "price reduced", None)), ["M2"]);
    assert!(search(&idx, "hydraulic", Some(Lang::EN)).hits.is_empty());
}

#[test]
fn renamed_maker_is_found_by_its_new_names_without_reindexing_listings() {
    let idx = index();
    let mut w = idx.writer(20_000_000).unwrap();
    let renamed = maker("komatsu", &[("en", "Develon"), ("ko", "디벨론")]);
    w.upsert_entry(CatalogEntry::Maker(&renamed)).unwrap();
    w.commit(None).unwrap();
    let komatsu = ["M1", "M2", "M5", "M7"];
    assert_eq!(sorted(ids(&search(&idx, "develon", None))), komatsu);
    assert_eq!(sorted(ids(&search(&idx, "디벨론", None))), komatsu);
    // The old names are gone from the vocabulary; only the titles that say so match.
    assert_eq!(sorted(ids(&search(&idx, "小松", None))), Vec::<&str>::new());
    assert_eq!(sorted(ids(&search(&idx, "Komatsu", None))), ["M2", "M5"]);
    assert_eq!(sorted(ids(&search(&idx, "コマツ", None))), ["M1"]);
}

#[test]
fn index_on_disk_survives_reopening_with_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    {
        let idx = TextIndex::open_or_create(dir.path(), detector()).unwrap();
        build_index(&catalog(), &idx);
    }
    let idx = TextIndex::open_or_create(dir.path(), detector()).unwrap();
    assert_eq!(idx.num_docs(), 9);
    assert_eq!(
        idx.commit_payload().unwrap().as_deref(),
        Some("checkpoint-9")
    );
    assert_eq!(ids(&search(&idx, "zx135", None))[0], "M3");
}
