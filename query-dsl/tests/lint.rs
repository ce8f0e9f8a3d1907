//! Neo4j's own Cypher parser and semantic analysis (`shared/tools/cypher-lint`) accepts
//! every statement this crate renders: all golden cases, compact and pretty, and a few
//! hundred random statements with arbitrary names and values.

mod common;

use common::{cases::cases, gen, tools};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

const RANDOM_STATEMENTS: usize = 300;

#[test]
fn neo4j_parser_accepts_every_rendered_statement() {
    let Some(linter) = tools::need(
        tools::Linter::prepare(),
        "node, npm and shared/tools/cypher-lint",
    ) else {
        return;
    };
    let mut statements = Vec::new();
    for c in cases() {
        statements.push((c.name.to_owned(), c.stmt.cypher().to_owned()));
        statements.push((format!("{}/pretty", c.name), c.stmt.pretty()));
    }
    let mut runner = TestRunner::deterministic();
    let strategy = gen::parts();
    for i in 0..RANDOM_STATEMENTS {
        let parts = strategy.new_tree(&mut runner).expect("generate").current();
        let stmt = parts.statement();
        statements.push((format!("random-{i}"), stmt.cypher().to_owned()));
    }
    // The check must be able to fail: one statement broken on purpose.
    let broken = cases()[0].stmt.cypher().replace("RETURN", "RETRUN");
    statements.push(("broken-on-purpose".to_owned(), broken));

    let report = linter.lint("statements.jsonl", &statements);
    eprintln!("cypher-lint: {}", report.summary);
    let unexpected: Vec<_> = report
        .failed
        .iter()
        .filter(|(id, _)| id != "broken-on-purpose")
        .map(|(id, msg)| {
            let text = &statements
                .iter()
                .find(|(i, _)| i == id)
                .expect("known id")
                .1;
            format!("{id}: {msg}\n    {text}")
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "Neo4j's parser refused:\n{}",
        unexpected.join("\n")
    );
    assert!(
        report
            .failed
            .iter()
            .any(|(id, _)| id == "broken-on-purpose"),
        "the linter did not catch the statement broken on purpose"
    );
    assert_eq!(report.passed, statements.len() - 1);
}
