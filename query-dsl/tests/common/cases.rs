//! Golden cases: one statement for every clause, pattern and expression form, with the
//! exact text it must render to. The golden test checks the text; the lint test checks
//! that Neo4j's own parser accepts every one of them.

use super::schema::*;
use query_dsl::functions::*;
use query_dsl::pattern::SetOp;
use query_dsl::types::{Any, Int, Node, Str};
use query_dsl::*;

/// A named statement and the one-line text it must render to.
pub struct Case {
    pub name: &'static str,
    pub stmt: Statement,
    pub cypher: &'static str,
}

fn case(name: &'static str, stmt: Result<Statement, BuildError>, cypher: &'static str) -> Case {
    Case {
        name,
        stmt: stmt.unwrap_or_else(|e| panic!("case {name} does not build: {e}")),
        cypher,
    }
}

// Cases read best one at a time, each next to the variables it needs.
#[allow(clippy::vec_init_then_push)]
pub fn cases() -> Vec<Case> {
    let p = node::<Person>("p");
    let q = node::<Person>("q");
    let m = node::<Movie>("m");
    let mut out = Vec::new();

    out.push(case(
        "match_return",
        match_(&p).return_(&p).build(),
        "MATCH (p:Person) RETURN p",
    ));
    out.push(case(
        "match_props_where_alias",
        match_(p.clone().with(Person::NAME, "Keanu"))
            .where_(p.prop(Person::AGE).gt(30))
            .return_(p.prop(Person::NAME).alias("name"))
            .build(),
        "MATCH (p:Person {name: $p0}) WHERE p.age > $p1 RETURN p.name AS name",
    ));
    out.push(case(
        "optional_match",
        match_(&p)
            .optional_match(path(&p.bare()).out(rel::<ActedIn>(), &m))
            .return_((&p, &m))
            .build(),
        "MATCH (p:Person) OPTIONAL MATCH (p)-[:ACTED_IN]->(m:Movie) RETURN p, m",
    ));
    out.push(case(
        "optional_match_first_with_where",
        optional_match(&m)
            .where_(m.prop(Movie::RATING).ge(7.5))
            .return_(m.prop(Movie::TITLE))
            .build(),
        "OPTIONAL MATCH (m:Movie) WHERE m.rating >= $p0 RETURN m.title",
    ));
    out.push(case(
        "several_patterns_and_where_twice",
        match_((&p, &q))
            .where_(p.prop(Person::NAME).eq("a"))
            .where_(q.prop(Person::NAME).eq("b"))
            .return_((&p, &q))
            .build(),
        "MATCH (p:Person), (q:Person) WHERE p.name = $p0 AND q.name = $p1 RETURN p, q",
    ));
    out.push(case(
        "incoming_and_collect",
        match_(path(&m).in_(rel::<ActedIn>(), &p))
            .return_((
                m.prop(Movie::TITLE),
                collect(p.prop(Person::NAME)).alias("cast"),
            ))
            .build(),
        "MATCH (m:Movie)<-[:ACTED_IN]-(p:Person) RETURN m.title, collect(p.name) AS cast",
    ));
    out.push(case(
        "chain_of_three",
        match_(path(&p).out(rel::<Knows>(), &q).out(rel::<ActedIn>(), &m))
            .return_distinct(m.prop(Movie::TITLE))
            .build(),
        "MATCH (p:Person)-[:KNOWS]->(q:Person)-[:ACTED_IN]->(m:Movie) RETURN DISTINCT m.title",
    ));
    out.push(case(
        "variable_length",
        match_(path(&p).out(rel::<Knows>().hops(1, 3), &q))
            .return_distinct(&q)
            .build(),
        "MATCH (p:Person)-[:KNOWS*1..3]->(q:Person) RETURN DISTINCT q",
    ));
    out.push(case(
        "variable_length_forms",
        match_((
            path(&p).out(rel::<Knows>().any_hops(), &anon::<Person>()),
            path(&q).out(rel::<Knows>().hops(2, 2), &anon::<Person>()),
            path(&p.bare()).out(rel::<Knows>().min_hops(2), &anon::<Person>()),
            path(&q.bare()).out(rel::<Knows>().max_hops(4), &anon::<Person>()),
        ))
        .return_(count_star())
        .build(),
        "MATCH (p:Person)-[:KNOWS*]->(:Person), (q:Person)-[:KNOWS*2]->(:Person), \
         (p)-[:KNOWS*2..]->(:Person), (q)-[:KNOWS*..4]->(:Person) RETURN count(*)",
    ));
    let (friends, route) = path(&p).out(rel::<Knows>().hops(1, 2), &q).named("route");
    out.push(case(
        "named_path",
        match_(friends)
            .return_((route.clone(), call("length", [route.any()]).alias("hops")))
            .build(),
        "MATCH route = (p:Person)-[:KNOWS*1..2]->(q:Person) RETURN route, length(route) AS hops",
    ));
    let k = rel::<Knows>().named("k").with(Knows::SINCE, 2001);
    out.push(case(
        "relationship_variable_and_props",
        match_(path(&p).out(k.clone(), &q))
            .return_((k.prop(Knows::SINCE), rel_type(k.expr())))
            .build(),
        "MATCH (p:Person)-[k:KNOWS {since: $p0}]->(q:Person) RETURN k.since, type(k)",
    ));
    let n = any_node("n").label("Odd Label").label("match");
    let o = any_node("o");
    let r = any_rel().named("r").of_type("A").of_type("B b");
    out.push(case(
        "untyped_and_escaped",
        match_(path(&n).both_any(r.clone(), &o))
            .where_(n.key("my key").eq(1).and(o.key("x").any().is_not_null()))
            .return_((
                rel_type(r.expr()),
                labels(n.expr()),
                keys(o.expr()),
                element_id(o.expr()),
            ))
            .build(),
        "MATCH (n:`Odd Label`:`match`)-[r:A|`B b`]-(o) WHERE n.`my key` = $p0 AND o.x IS NOT NULL \
         RETURN type(r), labels(n), keys(o), elementId(o)",
    ));
    out.push(case(
        "untyped_directions",
        match_(path(&any_node("a")).out_any(any_rel(), &any_anon()).in_any(
            any_rel().of_type("T").with_key("w", 2),
            &any_node("b").with_key("k", "v"),
        ))
        .return_(count_star())
        .build(),
        "MATCH (a)-->()<-[:T {w: $p0}]-(b {k: $p1}) RETURN count(*)",
    ));
    let movies = count(m.expr()).alias("movies");
    out.push(case(
        "with_distinct_order_skip_limit_where",
        match_(path(&p).out(rel::<ActedIn>(), &m))
            .with_distinct((&p, movies.clone()))
            .order_by(movies.var().desc())
            .skip(5)
            .limit(10)
            .where_(movies.var().gt(1))
            .return_((p.prop(Person::NAME), movies.var()))
            .build(),
        "MATCH (p:Person)-[:ACTED_IN]->(m:Movie) WITH DISTINCT p, count(m) AS movies \
         ORDER BY movies DESC SKIP $p0 LIMIT $p1 WHERE movies > $p2 RETURN p.name, movies",
    ));
    out.push(case(
        "with_star",
        match_(&p)
            .with_all(vec![p.prop(Person::AGE).alias("age").into()])
            .return_((&p, var::<Int>("age")))
            .build(),
        "MATCH (p:Person) WITH *, p.age AS age RETURN p, age",
    ));
    out.push(case(
        "return_order_skip_limit",
        match_(&m)
            .return_((m.prop(Movie::TITLE), m.prop(Movie::RELEASED)))
            .order_by((m.prop(Movie::RELEASED).desc(), m.prop(Movie::TITLE)))
            .skip(0)
            .limit(25)
            .build(),
        "MATCH (m:Movie) RETURN m.title, m.released ORDER BY m.released DESC, m.title SKIP $p0 LIMIT $p1",
    ));
    let names: Vec<&str> = vec!["Keanu", "Carrie"];
    let (q_unwind, name) = Query::new().unwind(names, "name");
    out.push(case(
        "unwind_parameter_list",
        q_unwind
            .match_(p.clone().with(Person::NAME, name.clone()))
            .return_((name, p.prop(Person::AGE)))
            .build(),
        "UNWIND $p0 AS name MATCH (p:Person {name: name}) RETURN name, p.age",
    ));
    out.push(case(
        "create_without_return",
        Query::new()
            .create(p.clone().with(Person::NAME, "Ann").with(Person::AGE, 41))
            .build(),
        "CREATE (p:Person {name: $p0, age: $p1})",
    ));
    out.push(case(
        "create_relationship_between_matched",
        match_((
            p.clone().with(Person::NAME, "a"),
            q.clone().with(Person::NAME, "b"),
        ))
        .create(path(&p.bare()).out(rel::<Knows>().with(Knows::SINCE, 2020), &q.bare()))
        .return_(&p)
        .build(),
        "MATCH (p:Person {name: $p0}), (q:Person {name: $p1}) \
         CREATE (p)-[:KNOWS {since: $p2}]->(q) RETURN p",
    ));
    out.push(case(
        "merge_on_create_on_match",
        Query::new()
            .merge(p.clone().with(Person::NAME, "Ann"))
            .on_create_set(p.set(Person::AGE, 1))
            .on_match_set(p.set(Person::AGE, p.prop(Person::AGE) + 1))
            .return_(&p)
            .build(),
        "MERGE (p:Person {name: $p0}) ON CREATE SET p.age = $p1 ON MATCH SET p.age = p.age + $p2 RETURN p",
    ));
    out.push(case(
        "merge_relationship_unit",
        match_((&p, &m))
            .merge(path(&p.bare()).out(rel::<ActedIn>(), &m.bare()))
            .build(),
        "MATCH (p:Person), (m:Movie) MERGE (p)-[:ACTED_IN]->(m)",
    ));
    let props = std::collections::BTreeMap::from([("age".to_owned(), 3i64)]);
    out.push(case(
        "set_forms",
        match_(&p)
            .set((
                p.set(Person::AGE, 42),
                p.merge_props(param(props.clone())),
                p.add_labels(["Actor", "Director"]),
            ))
            .set(p.set_key("nick name", "K"))
            .build(),
        "MATCH (p:Person) SET p.age = $p0, p += $p1, p:Actor:Director SET p.`nick name` = $p2",
    ));
    out.push(case(
        "set_replace_all",
        match_(&p)
            .set(p.replace_props(param(props)))
            .return_(&p)
            .build(),
        "MATCH (p:Person) SET p = $p0 RETURN p",
    ));
    out.push(case(
        "remove",
        match_(&p)
            .remove([
                p.remove(Person::AGE),
                p.remove_labels(["Actor"]),
                p.remove_key("x"),
            ])
            .build(),
        "MATCH (p:Person) REMOVE p.age, p:Actor, p.x",
    ));
    out.push(case(
        "delete_and_detach_delete",
        match_(path(&p).out(rel::<Knows>().named("k"), &q))
            .delete(rel::<Knows>().named("k").expr())
            .detach_delete(&q)
            .build(),
        "MATCH (p:Person)-[k:KNOWS]->(q:Person) DELETE k DETACH DELETE q",
    ));
    let actors = match_(path(&p).out(rel::<ActedIn>(), &m))
        .return_(p.prop(Person::NAME).alias("name"))
        .build()
        .unwrap();
    let knowers = match_(path(&p).out(rel::<Knows>(), &q))
        .return_(q.prop(Person::NAME).alias("name"))
        .build()
        .unwrap();
    out.push(case(
        "union",
        actors.clone().union(knowers.clone()),
        "MATCH (p:Person)-[:ACTED_IN]->(m:Movie) RETURN p.name AS name \
         UNION MATCH (p:Person)-[:KNOWS]->(q:Person) RETURN q.name AS name",
    ));
    out.push(case(
        "union_all",
        actors.union_all(knowers),
        "MATCH (p:Person)-[:ACTED_IN]->(m:Movie) RETURN p.name AS name \
         UNION ALL MATCH (p:Person)-[:KNOWS]->(q:Person) RETURN q.name AS name",
    ));
    let inner = match_(path(&p.bare()).out(rel::<ActedIn>(), &m))
        .where_(m.prop(Movie::RELEASED).ge(2000))
        .return_(count(m.expr()).alias("n"))
        .build()
        .unwrap();
    out.push(case(
        "call_subquery_with_scope",
        match_(&p)
            .call_with(&[&p.expr()], inner)
            .return_((p.prop(Person::NAME), var::<Int>("n")))
            .build(),
        "MATCH (p:Person) CALL (p) { MATCH (p)-[:ACTED_IN]->(m:Movie) WHERE m.released >= $p0 \
         RETURN count(m) AS n } RETURN p.name, n",
    ));
    let latest = match_(&m)
        .return_(max(m.prop(Movie::RELEASED)).alias("latest"))
        .build()
        .unwrap();
    out.push(case(
        "call_subquery",
        Query::new()
            .call(latest)
            .return_(var::<Int>("latest"))
            .build(),
        "CALL { MATCH (m:Movie) RETURN max(m.released) AS latest } RETURN latest",
    ));
    let mut labels_proc = Procedure::new("db.labels");
    let label = labels_proc.yields::<Str>("label");
    out.push(case(
        "call_procedure",
        Query::new()
            .call_procedure(labels_proc)
            .return_(label)
            .order_by(var::<Str>("label"))
            .build(),
        "CALL db.labels() YIELD label RETURN label ORDER BY label",
    ));
    let mut fulltext = Procedure::new("db.index.fulltext.queryNodes")
        .arg::<Str>("titles")
        .arg::<Str>("matrix");
    let hit = fulltext.yields_as::<Node>("node", "hit");
    let score = fulltext.yields::<Any>("score");
    out.push(case(
        "call_procedure_with_args_and_alias",
        Query::new()
            .call_procedure(fulltext)
            .return_((hit.key("title"), score))
            .build(),
        "CALL db.index.fulltext.queryNodes($p0, $p1) YIELD node AS hit, score RETURN hit.title, score",
    ));
    let (chain, route) = path(&p).out(rel::<Knows>().any_hops(), &q).named("route");
    out.push(case(
        "foreach",
        match_(chain)
            .foreach("x", call("nodes", [route.any()]), |x: Expr<Any>| {
                Updates::new().set(SetOp::key(x, "marked", true))
            })
            .build(),
        "MATCH route = (p:Person)-[:KNOWS*]->(q:Person) FOREACH (x IN nodes(route) | SET x.marked = $p0)",
    ));
    out.push(case(
        "foreach_create_merge_delete",
        Query::new()
            .foreach("name", vec!["a", "b"], |name| {
                Updates::new()
                    .create(anon::<Person>().with(Person::NAME, name.clone()))
                    .merge(anon::<Movie>().with(Movie::TITLE, name))
            })
            .build(),
        "FOREACH (name IN $p0 | CREATE (:Person {name: name}) MERGE (:Movie {title: name}))",
    ));

    // Expressions.
    let age = p.prop(Person::AGE);
    let name = p.prop(Person::NAME);
    let rating = m.prop(Movie::RATING);
    out.push(case(
        "comparisons",
        match_(&p)
            .where_(Expr::all([
                age.clone().eq(1),
                age.clone().ne(2),
                age.clone().lt(3),
                age.clone().le(4),
                age.clone().gt(5),
                age.clone().ge(6),
            ]))
            .return_(&p)
            .build(),
        "MATCH (p:Person) WHERE p.age = $p0 AND p.age <> $p1 AND p.age < $p2 AND p.age <= $p3 \
         AND p.age > $p4 AND p.age >= $p5 RETURN p",
    ));
    out.push(case(
        "boolean_precedence",
        match_(&p)
            .where_(
                (age.clone().gt(1) | age.clone().lt(0)) & !name.clone().is_null().xor(age.clone().eq(3)),
            )
            .return_(&p)
            .build(),
        "MATCH (p:Person) WHERE (p.age > $p0 OR p.age < $p1) AND NOT (p.name IS NULL XOR p.age = $p2) RETURN p",
    ));
    out.push(case(
        "arithmetic_precedence",
        match_((&p, &m))
            .return_((
                ((age.clone() + 1) * 2).alias("a"),
                (age.clone() + age.clone() * 2).alias("b"),
                (age.clone() - (age.clone() - 1)).alias("c"),
                (-(age.clone() % 7)).alias("d"),
                (rating.clone() / 2.0).pow(2.0).alias("e"),
                (age.clone() / 3).alias("f"),
            ))
            .build(),
        "MATCH (p:Person), (m:Movie) RETURN (p.age + $p0) * $p1 AS a, p.age + p.age * $p2 AS b, \
         p.age - (p.age - $p3) AS c, -(p.age % $p4) AS d, (m.rating / $p5) ^ $p6 AS e, p.age / $p7 AS f",
    ));
    out.push(case(
        "string_predicates",
        match_(&p)
            .where_(Expr::all([
                name.clone().starts_with("K"),
                name.clone().ends_with("u"),
                name.clone().contains("ean"),
                name.clone().matches("K.*"),
            ]))
            .return_((to_lower(name.clone()), to_upper(name.clone()), name.clone().concat("!")))
            .build(),
        "MATCH (p:Person) WHERE p.name STARTS WITH $p0 AND p.name ENDS WITH $p1 AND p.name CONTAINS $p2 \
         AND p.name =~ $p3 RETURN toLower(p.name), toUpper(p.name), p.name + $p4",
    ));
    out.push(case(
        "in_and_null_checks",
        match_(&p)
            .where_(
                age.clone()
                    .in_list(vec![1i64, 2, 3])
                    .and(name.clone().is_not_null())
                    .and(!age.clone().is_null()),
            )
            .return_(&p)
            .build(),
        "MATCH (p:Person) WHERE p.age IN $p0 AND p.name IS NOT NULL AND NOT p.age IS NULL RETURN p",
    ));
    out.push(case(
        "case_forms",
        match_(&m)
            .return_((
                case_when::<Str>(rating.clone().ge(8.0), "great")
                    .when(rating.clone().ge(5.0), "fine")
                    .otherwise("poor")
                    .alias("verdict"),
                case_of::<Int, Str>(m.prop(Movie::RELEASED), 1999, "matrix year")
                    .end()
                    .alias("note"),
            ))
            .build(),
        "MATCH (m:Movie) RETURN CASE WHEN m.rating >= $p0 THEN $p1 WHEN m.rating >= $p2 THEN $p3 ELSE $p4 END AS verdict, \
         CASE m.released WHEN $p5 THEN $p6 END AS note",
    ));
    out.push(case(
        "list_and_map_literals",
        match_(&p)
            .return_((
                list([age.clone(), age.clone() + 1]).alias("ages"),
                map([("name", name.clone().any()), ("odd key", age.clone().any())]).alias("m"),
                list([age.clone()]).at(0).alias("first"),
                null::<Int>().alias("nothing"),
            ))
            .build(),
        "MATCH (p:Person) RETURN [p.age, p.age + $p0] AS ages, {name: p.name, `odd key`: p.age} AS m, \
         [p.age][$p1] AS first, null AS nothing",
    ));
    out.push(case(
        "list_comprehension_and_filter",
        Query::new()
            .return_((
                list_comprehension::<Int, Int>("x", range(1, 10), Some(&|x| (x % 2).eq(0)), |x| {
                    x * 10
                })
                .alias("evens"),
                list_filter::<Int>("y", range(0, 3), |y| y.gt(1)).alias("big"),
            ))
            .build(),
        "RETURN [x IN range($p0, $p1) WHERE x % $p2 = $p3 | x * $p4] AS evens, \
         [y IN range($p5, $p6) WHERE y > $p7] AS big",
    ));
    out.push(case(
        "pattern_predicate_exists_count",
        match_(&p)
            .where_(
                pattern_predicate(path(&p.bare()).out(rel::<ActedIn>(), &anon::<Movie>()))
                    .and(exists(
                        path(&p.bare()).out(rel::<Knows>(), &q),
                        Some(q.prop(Person::AGE).gt(20)),
                    ))
                    .and(count_matches(path(&p.bare()).out(rel::<Knows>(), &anon::<Person>()), None).ge(2)),
            )
            .return_(&p)
            .build(),
        "MATCH (p:Person) WHERE (p)-[:ACTED_IN]->(:Movie) AND EXISTS { MATCH (p)-[:KNOWS]->(q:Person) \
         WHERE q.age > $p0 } AND COUNT { MATCH (p)-[:KNOWS]->(:Person) } >= $p1 RETURN p",
    ));
    let sub = match_(path(&p.bare()).out(rel::<ActedIn>(), &m))
        .return_(&m)
        .build()
        .unwrap();
    out.push(case(
        "exists_and_count_with_query",
        match_(&p)
            .where_(exists_query(sub.clone()).and(count_query(sub).lt(100)))
            .return_(&p)
            .build(),
        "MATCH (p:Person) WHERE EXISTS { MATCH (p)-[:ACTED_IN]->(m:Movie) RETURN m } \
         AND COUNT { MATCH (p)-[:ACTED_IN]->(m:Movie) RETURN m } < $p0 RETURN p",
    ));
    out.push(case(
        "map_projection",
        match_(&p)
            .return_(
                MapProjection::of("p")
                    .key("name")
                    .entry("years", age.clone())
                    .all()
                    .build()
                    .alias("person"),
            )
            .build(),
        "MATCH (p:Person) RETURN p {.name, years: p.age, .*} AS person",
    ));
    out.push(case(
        "aggregates",
        match_(path(&p).out(rel::<ActedIn>(), &m))
            .return_((
                count_distinct(m.expr()),
                sum(m.prop(Movie::RATING)),
                avg(m.prop(Movie::RATING)),
                min(m.prop(Movie::RELEASED)),
                max(m.prop(Movie::TITLE)),
                collect_distinct(m.prop(Movie::TITLE)),
                size(collect(m.prop(Movie::TITLE))),
                coalesce(p.prop(Person::NAME), [param("?")]),
            ))
            .build(),
        "MATCH (p:Person)-[:ACTED_IN]->(m:Movie) RETURN count(DISTINCT m), sum(m.rating), avg(m.rating), \
         min(m.released), max(m.title), collect(DISTINCT m.title), size(collect(m.title)), coalesce(p.name, $p0)",
    ));
    out.push(case(
        "other_functions",
        match_(&p)
            .return_((
                id(p.expr()),
                call("apoc.text.join", [list::<Str>([]).any(), param(",").any()]),
                call("toString", [age.clone().any()]),
                size(name.clone()),
            ))
            .build(),
        "MATCH (p:Person) RETURN id(p), apoc.text.join([], $p0), toString(p.age), size(p.name)",
    ));
    out.push(case(
        "named_and_shared_parameters",
        {
            let min = param_named("min", 18);
            match_((&p, &q))
                .where_(
                    p.prop(Person::AGE)
                        .ge(min.clone())
                        .and(q.prop(Person::AGE).ge(min))
                        .and(p.prop(Person::AGE).lt(param_named("min", 65))),
                )
                .return_(&p)
                .build()
        },
        "MATCH (p:Person), (q:Person) WHERE p.age >= $min AND q.age >= $min AND p.age < $min_1 RETURN p",
    ));
    out.push(case(
        "unique_constraint",
        Statement::unique_constraint("person_name", Person::NAME),
        "CREATE CONSTRAINT person_name IF NOT EXISTS FOR (n:Person) REQUIRE n.name IS UNIQUE",
    ));
    out
}
