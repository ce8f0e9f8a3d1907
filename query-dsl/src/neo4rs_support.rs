//! Sending statements through neo4rs (feature `neo4rs`).

use crate::statement::Statement;
use crate::value::Value;
use neo4rs::BoltType;
use std::collections::HashMap;

impl From<Value> for BoltType {
    fn from(v: Value) -> BoltType {
        match v {
            Value::Null => Option::<i64>::None.into(),
            Value::Bool(b) => b.into(),
            Value::Int(i) => i.into(),
            Value::Float(f) => f.into(),
            Value::String(s) => s.into(),
            Value::List(items) => items
                .into_iter()
                .map(BoltType::from)
                .collect::<Vec<BoltType>>()
                .into(),
            Value::Map(m) => m
                .into_iter()
                .map(|(k, v)| (k, BoltType::from(v)))
                .collect::<HashMap<String, BoltType>>()
                .into(),
        }
    }
}

impl From<&Statement> for neo4rs::Query {
    fn from(s: &Statement) -> neo4rs::Query {
        s.params()
            .iter()
            .fold(neo4rs::query(s.cypher()), |q, (name, value)| {
                q.param(name, BoltType::from(value.clone()))
            })
    }
}

impl From<Statement> for neo4rs::Query {
    fn from(s: Statement) -> neo4rs::Query {
        neo4rs::Query::from(&s)
    }
}
