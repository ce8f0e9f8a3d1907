//! One suite, two implementations: the embedded graph and the Neo4j graph (on a real
//! Bolt server started here, see `../shared/README.md`) apply the same event sequences
//! and must give identical facets, filters and counts. Scenarios and requests are data.
//! Every statement the Neo4j graph sent is then checked by Neo4j's own parser.

#[path = "common/neo4j.rs"]
mod neo4j_config;
#[path = "../query-dsl/tests/common/tools.rs"]
mod tools;

use roaring::RoaringBitmap;
use stockyard::currency::Rates;
use stockyard::graph::{
    CatalogGraph, CategoryTree, EmbeddedGraph, FacetCount, FacetRequest, Facets, ModelView,
    Neo4jConfig, Neo4jGraph, Neo4jWriter, NumberFilter, Range, Selections,
};
use stockyard_schema::{Decoder, Event, Lang, Payload};
use tools::{need, BoltServer, Linter};

fn events(text: &str) -> Vec<Event> {
    Decoder::new()
        .ndjson(text)
        .map(|r| r.expect("test events decode"))
        .collect()
}

/// A scenario: events applied in order (a list of batches), then every request.
struct Scenario {
    name: &'static str,
    batches: Vec<Vec<Event>>,
}

fn scenarios() -> Vec<Scenario> {
    let catalog = events(include_str!("data/catalog.ndjson"));
    let changes = events(include_str!("data/changes.ndjson"));
    // The machine listed before its model, with the model arriving last.
    let (late, early): (Vec<Event>, Vec<Event>) =
        catalog.iter().cloned().partition(|e| e.id.as_str() == "m6");
    // The changes before their last event, a second rate set (on another base, and
    // without the yen: M4's yen price then has no rate).
    let first_rates = changes[..changes.len() - 1].to_vec();
    vec![
        Scenario {
            name: "catalog",
            batches: vec![catalog.clone()],
        },
        Scenario {
            name: "model arrives late",
            batches: vec![early, late],
        },
        Scenario {
            name: "renames, moves, updates, withdrawals at the first rates",
            batches: vec![catalog.clone(), first_rates],
        },
        Scenario {
            name: "renames, moves, updates, withdrawals, new rates",
            batches: vec![catalog.clone(), changes.clone()],
        },
        Scenario {
            name: "everything replayed twice",
            batches: vec![catalog.clone(), changes.clone(), catalog, changes],
        },
    ]
}

/// The requests asked in every scenario; hits are machine ids.
fn requests() -> Vec<(&'static str, Option<Vec<&'static str>>, Selections)> {
    fn id<T: std::str::FromStr>(s: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        s.parse().unwrap()
    }
    vec![
        ("all, no selection", None, Selections::default()),
        (
            // Dense: sent as "every key up to the last but these" (here M4's).
            "every machine but one a hit",
            Some(vec!["M1", "M2", "M3", "M5", "M6", "M7", "M8", "M9"]),
            Selections::default(),
        ),
        (
            "hits subset",
            Some(vec!["M2", "M4", "M6", "M8", "M9"]),
            Selections::default(),
        ),
        (
            "maker",
            None,
            Selections {
                makers: vec![id("komatsu")],
                ..Selections::default()
            },
        ),
        (
            "category and maker",
            None,
            Selections {
                categories: vec![id("mini"), id("loaders")],
                makers: vec![id("hitachi")],
                ..Selections::default()
            },
        ),
        (
            "model",
            Some(vec!["M1", "M2", "M3", "M4"]),
            Selections {
                models: vec![id("pc200")],
                ..Selections::default()
            },
        ),
        (
            "spec range",
            None,
            Selections {
                specs: vec![(
                    id("weight"),
                    NumberFilter::Range(Range {
                        min: Some(10.0),
                        max: Some(25.0),
                    }),
                )],
                ..Selections::default()
            },
        ),
        (
            "text spec",
            None,
            Selections {
                specs: vec![(
                    id("fuel"),
                    NumberFilter::Text(vec!["electric".into(), "diesel".into()]),
                )],
                ..Selections::default()
            },
        ),
        (
            "attribute ranges",
            None,
            Selections {
                year: Range {
                    min: Some(2018),
                    max: None,
                },
                price_usd: Range {
                    min: None,
                    max: Some(95_000.0),
                },
                ..Selections::default()
            },
        ),
        (
            // M9's 150,000 EUR: 166,667 USD at the first rates, 187,500 at the second.
            "price range around a euro price",
            None,
            Selections {
                price_usd: Range {
                    min: Some(160_000.0),
                    max: Some(180_000.0),
                },
                ..Selections::default()
            },
        ),
    ]
}

/// One answer of a graph, labelled with the question.
#[derive(Debug, PartialEq)]
enum Answer {
    Facets(Facets),
    Tree(Vec<CategoryTree>),
    Makers(Vec<FacetCount>),
    Models(Option<Vec<FacetCount>>),
    Model(Option<ModelView>),
    Others(Vec<String>),
}

/// A graph the suite can write events into and then question: the embedded graph
/// itself, or Neo4j through its writer.
trait Store {
    type Reader: CatalogGraph;
    async fn feed(&mut self, events: &[Event]);
    fn key(&mut self, machine_id: &str) -> u32;
    fn reader(&self) -> &Self::Reader;
}

impl Store for EmbeddedGraph {
    type Reader = EmbeddedGraph;
    async fn feed(&mut self, events: &[Event]) {
        self.apply(events);
    }
    fn key(&mut self, machine_id: &str) -> u32 {
        self.machine_key(machine_id)
    }
    fn reader(&self) -> &EmbeddedGraph {
        self
    }
}

impl Store for Neo4jWriter {
    type Reader = Neo4jGraph;
    async fn feed(&mut self, events: &[Event]) {
        self.apply(events).await.expect("events written");
    }
    fn key(&mut self, machine_id: &str) -> u32 {
        self.machine_key(machine_id)
    }
    fn reader(&self) -> &Neo4jGraph {
        self.graph()
    }
}

/// Applies a scenario to a graph and asks it every question.
async fn answers<S: Store>(store: &mut S, scenario: &Scenario) -> Vec<(String, Answer)> {
    for batch in &scenario.batches {
        store.feed(batch).await;
    }
    // The rates the engine would pass: the latest set of the scenario.
    let rates = scenario
        .batches
        .iter()
        .flatten()
        .rev()
        .find_map(|e| match &e.payload {
            Payload::CurrencyRatesPublished(set) => Some(Rates::published(set)),
            _ => None,
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for (name, hits, selections) in requests() {
        let keys: Option<RoaringBitmap> = hits
            .as_ref()
            .map(|ids| ids.iter().map(|id| store.key(id)).collect());
        let g = store.reader();
        for lang in [Lang::EN, Lang::JA] {
            let req = FacetRequest {
                hits: keys.as_ref(),
                selections: selections.clone(),
                lang,
                spec_facets: vec!["weight".parse().unwrap()],
                buckets: 4,
                // Without the attribute histograms in Japanese: a request with no year,
                // hours or price to look at is counted per (model, category) pair on
                // Neo4j, so both shapes of its statement are compared.
                attribute_facets: lang == Lang::EN,
                rates: rates.clone(),
            };
            let facets = g
                .facets(&req)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            out.push((format!("facets {name} {lang}"), Answer::Facets(facets)));
        }
    }
    let g = store.reader();
    for lang in [Lang::EN, Lang::JA] {
        out.push((
            format!("tree {lang}"),
            Answer::Tree(g.category_tree(lang).await.unwrap()),
        ));
        out.push((
            format!("makers {lang}"),
            Answer::Makers(g.makers(lang).await.unwrap()),
        ));
        for model in ["pc200", "zx17", "later", "nothing"] {
            out.push((
                format!("model {model} {lang}"),
                Answer::Model(g.model(model, lang, 3).await.unwrap()),
            ));
        }
    }
    for maker in ["komatsu", "hitachi", "nobody"] {
        out.push((
            format!("models of {maker}"),
            Answer::Models(g.maker_models(maker).await.unwrap()),
        ));
    }
    for machine in ["M2", "M3", "M7", "M9", "nothing"] {
        out.push((
            format!("same model as {machine}"),
            Answer::Others(g.same_model(machine, 10).await.unwrap()),
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_and_neo4j_give_the_same_answers() {
    let Some(server) = need(
        BoltServer::start("graph"),
        "python3 and shared/tools/bolt-server",
    ) else {
        return;
    };
    let config = neo4j_config::config(&server);
    let mut neo = Neo4jWriter::connect(&config).await.expect("connect");
    neo.record_statements();
    let mut compared = 0;
    for scenario in scenarios() {
        neo.clear().await.unwrap();
        let want = answers(&mut EmbeddedGraph::new(), &scenario).await;
        let got = answers(&mut neo, &scenario).await;
        assert_eq!(want.len(), got.len());
        for ((question, w), (_, g)) in want.iter().zip(&got) {
            assert_eq!(g, w, "{} / {question}", scenario.name);
            compared += 1;
        }
    }
    assert_eq!(compared, 5 * (10 * 2 + 2 * 6 + 3 + 5));

    // Every statement sent passes Neo4j's own parser.
    let Some(linter) = need(Linter::prepare(), "node, npm and shared/tools/cypher-lint") else {
        return;
    };
    let mut sent = neo.graph().recorded();
    sent.sort();
    sent.dedup();
    let statements: Vec<(String, String)> = sent
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("neo4j-{i}"), s))
        .collect();
    let report = linter.lint("graph-statements.jsonl", &statements);
    assert!(
        report.failed.is_empty(),
        "Neo4j's parser refused: {:?}",
        report.failed
    );
    assert_eq!(report.passed, statements.len());
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = Neo4jConfig {
        uri: format!("bolt://127.0.0.1:{port}"),
        user: "neo4j".into(),
        password: "x".into(),
        database: "neo4j".into(),
    };
    match Neo4jGraph::connect(&config).await {
        Err(e @ stockyard::graph::GraphError::Unreachable { .. }) => {
            assert!(
                e.to_string()
                    .contains(&format!("127.0.0.1:{port} is unreachable")),
                "{e}"
            )
        }
        Err(other) => panic!("expected Unreachable, got {other}"),
        Ok(_) => panic!("connected to a closed port"),
    }
}
