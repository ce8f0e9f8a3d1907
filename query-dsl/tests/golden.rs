//! Golden tests: every clause, pattern and expression form renders to exactly the
//! expected text, with its values as parameters.

mod common;

use common::cases::cases;
use common::schema::*;
use query_dsl::functions::count_star;
use query_dsl::*;

#[test]
fn every_case_renders_as_expected() {
    let mut failures = Vec::new();
    for c in cases() {
        if c.stmt.cypher() != c.cypher {
            failures.push(format!(
                "{}:\n  got:  {}\n  want: {}",
                c.name,
                c.stmt.cypher(),
                c.cypher
            ));
        }
        // Every $name in the text has a value and every value is used.
        let used: std::collections::BTreeSet<String> = c
            .stmt
            .cypher()
            .split('$')
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|ch| ch.is_ascii_alphanumeric() || *ch == '_')
                    .collect()
            })
            .collect();
        let given: std::collections::BTreeSet<String> = c.stmt.params().keys().cloned().collect();
        if used != given {
            failures.push(format!(
                "{}: params {given:?} but text uses {used:?}",
                c.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn values_become_parameters_with_their_types() {
    let p = node::<Person>("p");
    let s = match_(p.clone().with(Person::NAME, "O'Brien\" RETURN 1 //"))
        .where_(p.prop(Person::AGE).in_list(vec![30i64, 40]))
        .return_(p.prop(Person::NAME))
        .limit(5)
        .build()
        .unwrap();
    assert_eq!(
        s.cypher(),
        "MATCH (p:Person {name: $p0}) WHERE p.age IN $p1 RETURN p.name LIMIT $p2"
    );
    let params = s.params();
    assert_eq!(params["p0"], Value::String("O'Brien\" RETURN 1 //".into()));
    assert_eq!(
        params["p1"],
        Value::List(vec![Value::Int(30), Value::Int(40)])
    );
    assert_eq!(params["p2"], Value::Int(5));
}

#[test]
fn fragments_built_apart_do_not_collide() {
    // Two filters built by different code, each naming its parameter "min".
    fn adult(p: &NodeVar<Person>) -> Expr<types::Bool> {
        p.prop(Person::AGE).ge(param_named("min", 18))
    }
    fn seen_after(m: &NodeVar<Movie>) -> Expr<types::Bool> {
        m.prop(Movie::RELEASED).ge(param_named("min", 1999))
    }
    let p = node::<Person>("p");
    let m = node::<Movie>("m");
    let s = match_(path(&p).out(rel::<ActedIn>(), &m))
        .where_(adult(&p).and(seen_after(&m)))
        .return_(count_star())
        .build()
        .unwrap();
    assert_eq!(
        s.cypher(),
        "MATCH (p:Person)-[:ACTED_IN]->(m:Movie) WHERE p.age >= $min AND m.released >= $min_1 RETURN count(*)"
    );
    assert_eq!(s.params()["min"], Value::Int(18));
    assert_eq!(s.params()["min_1"], Value::Int(1999));
}

#[test]
fn subquery_and_union_parameters_are_renamed_together() {
    let p = node::<Person>("p");
    let inner = match_(&p)
        .where_(p.prop(Person::AGE).gt(1))
        .return_(p.prop(Person::NAME).alias("n"))
        .build()
        .unwrap();
    let other = match_(&p)
        .where_(p.prop(Person::AGE).lt(2))
        .return_(p.prop(Person::NAME).alias("n"))
        .build()
        .unwrap();
    assert_eq!(inner.cypher(), other.cypher().replace('<', ">"));
    let u = inner.union(other).unwrap();
    assert_eq!(
        u.cypher(),
        "MATCH (p:Person) WHERE p.age > $p0 RETURN p.name AS n UNION MATCH (p:Person) WHERE p.age < $p1 RETURN p.name AS n"
    );
    assert_eq!(u.params()["p0"], Value::Int(1));
    assert_eq!(u.params()["p1"], Value::Int(2));
}

#[test]
fn user_name_like_a_generated_one_is_respected() {
    let p = node::<Person>("p");
    let s = match_(&p)
        .where_(
            p.prop(Person::AGE)
                .gt(param_named("p0", 1))
                .and(p.prop(Person::AGE).lt(2)),
        )
        .return_(&p)
        .build()
        .unwrap();
    assert_eq!(
        s.cypher(),
        "MATCH (p:Person) WHERE p.age > $p0 AND p.age < $p1 RETURN p"
    );
}

#[test]
fn rendering_is_deterministic() {
    let a: Vec<String> = cases().iter().map(|c| c.stmt.pretty()).collect();
    let b: Vec<String> = cases().iter().map(|c| c.stmt.pretty()).collect();
    assert_eq!(a, b);
}

#[test]
fn pretty_form_puts_clauses_on_lines_and_indents_subqueries() {
    let c = cases()
        .into_iter()
        .find(|c| c.name == "call_subquery_with_scope")
        .unwrap();
    assert_eq!(
        c.stmt.pretty(),
        "MATCH (p:Person)\n\
         CALL (p) {\n  \
           MATCH (p)-[:ACTED_IN]->(m:Movie)\n  \
           WHERE m.released >= $p0\n  \
           RETURN count(m) AS n\n\
         }\n\
         RETURN p.name, n"
    );
    let c = cases()
        .into_iter()
        .find(|c| c.name == "with_distinct_order_skip_limit_where")
        .unwrap();
    assert_eq!(
        c.stmt.pretty(),
        "MATCH (p:Person)-[:ACTED_IN]->(m:Movie)\n\
         WITH DISTINCT p, count(m) AS movies\n\
         ORDER BY movies DESC\n\
         SKIP $p0\n\
         LIMIT $p1\n\
         WHERE movies > $p2\n\
         RETURN p.name, movies"
    );
}

#[test]
fn names_are_escaped_wherever_they_appear() {
    let n = any_node("weird var").label("Lab`el").label("");
    let err = match_(&n).return_(&n).build().unwrap_err();
    assert_eq!(err, BuildError::EmptyName { what: "label" });

    let n = any_node("weird var").label("Lab`el").label("日本語");
    let s = match_(&n)
        .set(n.set_key("key\nwith newline", 1))
        .return_(n.key("a`b").alias("x y"))
        .build()
        .unwrap();
    assert_eq!(
        s.cypher(),
        "MATCH (`weird var`:`Lab``el`:`日本語`) SET `weird var`.`key\nwith newline` = $p0 \
         RETURN `weird var`.`a``b` AS `x y`"
    );
}

#[test]
fn run_time_mistakes_are_build_errors() {
    let p = node::<Person>("p");
    let q = node::<Person>("q");
    assert_eq!(
        match_(path(&p).out(rel::<Knows>().hops(3, 1), &q))
            .return_(&q)
            .build()
            .unwrap_err(),
        BuildError::InvalidHops { min: 3, max: 1 }
    );
    assert_eq!(
        match_(&p).return_(Vec::<Item>::new()).build().unwrap_err(),
        BuildError::EmptyClause("RETURN")
    );
    assert!(matches!(
        match_(&p)
            .return_(functions::call("a..b", []))
            .build()
            .unwrap_err(),
        BuildError::InvalidFunctionName(_)
    ));
    let a = match_(&p).return_(p.prop(Person::NAME)).build().unwrap();
    let b = match_(&p).return_(p.prop(Person::AGE)).build().unwrap();
    assert_eq!(
        a.union(b).unwrap_err(),
        BuildError::UnionColumns {
            left: vec!["p.name".into()],
            right: vec!["p.age".into()]
        }
    );
    let unit = Query::new().create(&p).build().unwrap();
    let ret = match_(&p).return_(&p).build().unwrap();
    assert_eq!(unit.union(ret).unwrap_err(), BuildError::UnionWithoutReturn);
    assert_eq!(
        match_(any_node(""))
            .return_(count_star())
            .build()
            .unwrap_err(),
        BuildError::EmptyName { what: "variable" }
    );
    assert!(matches!(
        match_(any_node("a\0"))
            .return_(count_star())
            .build()
            .unwrap_err(),
        BuildError::InvalidName { .. }
    ));
}

#[test]
fn errors_explain_themselves() {
    assert_eq!(
        BuildError::EmptyName { what: "label" }.to_string(),
        "a label must not be empty"
    );
    assert_eq!(
        BuildError::UnionWithoutReturn.to_string(),
        "every UNION part must end in RETURN"
    );
}
