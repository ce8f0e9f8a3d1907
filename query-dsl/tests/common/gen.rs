//! Random statements for property tests: random names (any characters but NUL) in
//! every place a name goes, random values, random boolean expression trees.

use proptest::prelude::*;
use query_dsl::functions::{count, count_star};
use query_dsl::types::{Any, Bool};
use query_dsl::*;

/// Names: plain identifiers, keywords, and arbitrary strings with backticks, quotes,
/// spaces, newlines and non-ASCII characters.
pub fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,6}",
        Just("MATCH".to_owned()),
        Just("`".to_owned()),
        Just("a`) DETACH DELETE (x".to_owned()),
        "[^\u{0}]{1,10}",
        "[`'\" \n\\\\{}()a-z]{1,8}",
        "[\u{3040}-\u{30ff}\u{4e00}-\u{4e80}]{1,4}",
    ]
}

/// Values of any parameter type.
pub fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::btree_map(".{0,4}", inner, 0..3).prop_map(Value::Map),
        ]
    })
}

/// The shape of a random boolean condition over one property.
#[derive(Debug, Clone)]
pub enum Cond {
    Eq(Value),
    Gt(i64),
    StartsWith(String),
    IsNull,
    In(Vec<i64>),
    SumLe(i64, i64),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Xor(Box<Cond>, Box<Cond>),
}

pub fn cond() -> impl Strategy<Value = Cond> {
    let leaf = prop_oneof![
        value().prop_map(Cond::Eq),
        any::<i64>().prop_map(Cond::Gt),
        ".{0,6}".prop_map(Cond::StartsWith),
        Just(Cond::IsNull),
        prop::collection::vec(any::<i64>(), 0..4).prop_map(Cond::In),
        (any::<i32>(), any::<i32>()).prop_map(|(a, b)| Cond::SumLe(a.into(), b.into())),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Cond::Not(Box::new(c))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Cond::Xor(Box::new(a), Box::new(b))),
        ]
    })
}

impl Cond {
    pub fn build(&self, x: &Expr<Any>) -> Expr<Bool> {
        match self {
            Cond::Eq(v) => x.clone().eq(v.clone()),
            Cond::Gt(n) => x.clone().gt(*n),
            Cond::StartsWith(s) => x.clone().starts_with(s.as_str()),
            Cond::IsNull => x.clone().is_null(),
            Cond::In(list) => x.clone().in_list(param(list.clone()).any()),
            Cond::SumLe(a, b) => (x.clone() + *a).le(*b),
            Cond::Not(c) => !c.build(x),
            Cond::And(a, b) => a.build(x).and(b.build(x)),
            Cond::Or(a, b) => a.build(x).or(b.build(x)),
            Cond::Xor(a, b) => a.build(x).xor(b.build(x)),
        }
    }
}

/// Everything a random statement is made of.
#[derive(Debug, Clone)]
pub struct Parts {
    pub vars: [String; 3],
    pub labels: [String; 2],
    pub rel_types: Vec<String>,
    pub keys: [String; 2],
    pub alias: String,
    pub value: Value,
    pub cond: Cond,
    pub hops: Option<(u32, u32)>,
    pub shape: u8,
}

pub fn parts() -> impl Strategy<Value = Parts> {
    (
        prop::collection::hash_set(name(), 4),
        [name(), name()],
        prop::collection::vec(name(), 1..3),
        [name(), name()],
        value(),
        cond(),
        prop::option::of((0u32..3, 0u32..3).prop_map(|(a, b)| (a, a + b))),
        0u8..5,
    )
        .prop_map(
            |(names, labels, rel_types, keys, value, cond, hops, shape)| {
                let mut names: Vec<String> = names.into_iter().collect();
                names.sort();
                Parts {
                    vars: [names[0].clone(), names[1].clone(), names[2].clone()],
                    alias: names[3].clone(),
                    labels,
                    rel_types,
                    keys,
                    value,
                    cond,
                    hops,
                    shape,
                }
            },
        )
}

impl Parts {
    /// A statement of one of several shapes, using every part.
    pub fn statement(&self) -> Statement {
        let [va, vb, vr] = &self.vars;
        let a = any_node(va).label(&self.labels[0]);
        let b = any_node(vb).label(&self.labels[1]);
        let mut r = self
            .rel_types
            .iter()
            .fold(any_rel().named(vr), |r, t| r.of_type(t));
        if let Some((min, max)) = self.hops {
            r = r.hops(min, max);
        }
        let ka = a.key(&self.keys[0]);
        let built = match self.shape {
            0 => {
                let c = count(b.expr()).alias(&self.alias);
                match_(path(&a.clone().with_key(&self.keys[1], self.value.clone())).out_any(r, &b))
                    .where_(self.cond.build(&ka))
                    .with((&a, c.clone()))
                    .where_(c.var().gt(1))
                    .return_((ka.clone(), c.var()))
                    .order_by(c.var().desc())
                    .limit(10)
                    .build()
            }
            1 => Query::new()
                .merge(a.clone().with_key(&self.keys[0], self.value.clone()))
                .on_create_set(a.set_key(&self.keys[1], self.value.clone()))
                .on_match_set(a.add_labels([&self.labels[1]]))
                .return_(ka.alias(&self.alias))
                .build(),
            2 => {
                let single = self
                    .rel_types
                    .iter()
                    .take(1)
                    .fold(any_rel(), |r, t| r.of_type(t).with_key(&self.keys[1], 1));
                Query::new()
                    .create(
                        path(&a.clone().with_key(&self.keys[0], self.value.clone()))
                            .out_any(single, &b),
                    )
                    .build()
            }
            3 => {
                let (q, x) = Query::new().unwind(param(vec![1i64, 2]).any(), &self.alias);
                q.match_(&a)
                    .where_(self.cond.build(&x))
                    .return_((x, a.expr()))
                    .build()
            }
            _ => match_(path(&a).both_any(r, &b))
                .where_(exists(
                    path(&b.bare()).out_any(any_rel(), &any_anon()),
                    Some(self.cond.build(&ka)),
                ))
                .return_(count_star().alias(&self.alias))
                .build(),
        };
        built.expect("random parts always build: names are never empty or NUL")
    }
}
