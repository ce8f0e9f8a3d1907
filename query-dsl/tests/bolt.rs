//! Statements built with the DSL, run through neo4rs on a real Bolt graph server
//! (`shared/tools/bolt-server`, started here on free local ports). Written as use
//! cases: GIVEN these writes, WHEN this query, THEN these rows.

mod common;

use common::schema::*;
use common::tools::{need, BoltServer};
use neo4rs::{ConfigBuilder, Graph};
use query_dsl::functions::{collect, count};
use query_dsl::types::{Any, Int, Str};

use query_dsl::*;
use std::collections::BTreeMap;

async fn run(graph: &Graph, stmt: &Statement) {
    graph
        .run(stmt.into())
        .await
        .unwrap_or_else(|e| panic!("{} failed: {e}", stmt.cypher()));
}

/// Runs a statement and reads the named columns of every row as strings or integers.
async fn rows(graph: &Graph, stmt: &Statement, columns: &[&str]) -> Vec<Vec<String>> {
    let mut stream = graph
        .execute(stmt.into())
        .await
        .unwrap_or_else(|e| panic!("{} failed: {e}", stmt.cypher()));
    let mut out = Vec::new();
    while let Some(row) = stream.next().await.expect("row") {
        out.push(
            columns
                .iter()
                .map(|c| {
                    row.get::<String>(c)
                        .or_else(|_| row.get::<i64>(c).map(|i| i.to_string()))
                        .or_else(|_| row.get::<Vec<String>>(c).map(|v| v.join("|")))
                        .unwrap_or_else(|_| "null".to_owned())
                })
                .collect(),
        );
    }
    out
}

fn person_rows(people: &[(&str, i64)]) -> Vec<Value> {
    people
        .iter()
        .map(|(name, age)| {
            Value::Map(BTreeMap::from([
                ("name".to_owned(), Value::String((*name).to_owned())),
                ("age".to_owned(), Value::Int(*age)),
            ]))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_run_on_a_bolt_server() {
    let Some(server) = need(
        BoltServer::start("query-dsl"),
        "python3 and shared/tools/bolt-server",
    ) else {
        return;
    };
    let config = ConfigBuilder::default()
        .uri(server.uri.trim_start_matches("bolt://"))
        .user(server.user.as_str())
        .password(server.password.as_str())
        .db(server.database.as_str())
        .build()
        .expect("neo4rs config");
    let graph = Graph::connect(config).await.expect("connect over Bolt");

    let n = any_node("n");
    run(&graph, &match_(&n).detach_delete(&n).build().unwrap()).await;

    // GIVEN people merged from a parameter list, twice (MERGE is idempotent) …
    let p = node::<Person>("p");
    let tricky = "x'}) DETACH DELETE n //";
    let people = [("Keanu", 60), ("Carrie", 58), ("Laurence", 64), (tricky, 1)];
    let merge_people = || {
        let (q, row) = Query::new().unwind::<Any>(person_rows(&people), "row");
        q.merge(p.clone().with(Person::NAME, row.clone().key("name")))
            .set(p.set(Person::AGE, row.key("age")))
            .build()
            .unwrap()
    };
    run(&graph, &merge_people()).await;
    run(&graph, &merge_people()).await;
    // … and who acted in what, from pairs.
    let m = node::<Movie>("m");
    let pairs: Vec<Value> = [
        ("Keanu", "The Matrix"),
        ("Carrie", "The Matrix"),
        ("Keanu", "John Wick"),
    ]
    .iter()
    .map(|(who, what)| {
        Value::Map(BTreeMap::from([
            ("person".to_owned(), Value::String((*who).into())),
            ("movie".to_owned(), Value::String((*what).into())),
        ]))
    })
    .collect();
    let (q, pair) = Query::new().unwind::<Any>(pairs, "pair");
    let acted = q
        .match_(p.clone().with(Person::NAME, pair.clone().key("person")))
        .merge(m.clone().with(Movie::TITLE, pair.key("movie")))
        .merge(path(&p.bare()).out(rel::<ActedIn>(), &m.bare()))
        .build()
        .unwrap();
    run(&graph, &acted).await;

    // WHEN counting people THEN the double MERGE made each one once.
    let total = match_(&p)
        .return_(count(p.expr()).alias("n"))
        .build()
        .unwrap();
    assert_eq!(rows(&graph, &total, &["n"]).await, [["4"]]);

    // WHEN aggregating per movie THEN counts and collected names come back.
    let title = m.prop(Movie::TITLE).alias("title");
    let per_movie = match_(path(&p).out(rel::<ActedIn>(), &m))
        .with((title.clone(), collect(p.prop(Person::NAME)).alias("cast")))
        .return_((
            title.var(),
            functions::size(var::<types::List<Str>>("cast")).alias("n"),
        ))
        .order_by(title.var())
        .build()
        .unwrap();
    let got = rows(&graph, &per_movie, &["title", "n"]).await;
    assert_eq!(got, [["John Wick", "1"], ["The Matrix", "2"]]);

    // WHEN an OPTIONAL MATCH finds nothing for someone THEN they still have a row.
    let name = p.prop(Person::NAME).alias("name");
    let filmography = match_(&p)
        .optional_match(path(&p.bare()).out(rel::<ActedIn>(), &m))
        .return_((name.clone(), count(m.expr()).alias("movies")))
        .order_by(name.var())
        .build()
        .unwrap();
    let got = rows(&graph, &filmography, &["name", "movies"]).await;
    assert_eq!(
        got,
        [
            vec!["Carrie".to_owned(), "1".to_owned()],
            vec!["Keanu".to_owned(), "2".to_owned()],
            vec!["Laurence".to_owned(), "0".to_owned()],
            vec![tricky.to_owned(), "0".to_owned()],
        ]
    );

    // WHEN a CALL subquery counts per outer row THEN each person gets their own count.
    let inner = Query::new()
        .match_(path(&p.bare()).out(rel::<ActedIn>(), &m))
        .return_(count(m.expr()).alias("movies"))
        .build()
        .unwrap();
    let movies = var::<Int>("movies");
    let sub = match_(&p)
        .where_(p.prop(Person::AGE).ge(param_named("min", 59)))
        .call_with(&[&p.expr()], inner)
        .return_((name.clone(), movies.clone()))
        .order_by(name.var())
        .build()
        .unwrap();
    let got = rows(&graph, &sub, &["name", "movies"]).await;
    assert_eq!(got, [["Keanu", "2"], ["Laurence", "0"]]);

    // WHEN filtering with string operators and EXISTS THEN only matching rows return.
    let q = match_(&p)
        .where_(
            p.prop(Person::NAME)
                .starts_with("K")
                .or(p.prop(Person::NAME).contains("rri"))
                .and(exists(
                    path(&p.bare()).out(rel::<ActedIn>(), &anon::<Movie>()),
                    None,
                )),
        )
        .return_(name.clone())
        .order_by(name.var())
        .build()
        .unwrap();
    assert_eq!(rows(&graph, &q, &["name"]).await, [["Carrie"], ["Keanu"]]);

    // WHEN a value looks like Cypher THEN it is stored and matched as plain data.
    let q = match_(p.clone().with(Person::NAME, tricky))
        .return_(p.prop(Person::AGE).alias("age"))
        .build()
        .unwrap();
    assert_eq!(rows(&graph, &q, &["age"]).await, [["1"]]);
    assert_eq!(
        rows(&graph, &total, &["n"]).await,
        [["4"]],
        "nothing was deleted"
    );
}
