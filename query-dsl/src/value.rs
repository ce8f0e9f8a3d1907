//! Parameter values: what travels next to the Cypher text, never inside it.

use crate::types::{Any, Bool, CypherType, Float, Int, List, Map, Str};
use std::collections::BTreeMap;

/// A value sent as a statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A string.
    String(String),
    /// A list.
    List(Vec<Value>),
    /// A map with string keys.
    Map(BTreeMap<String, Value>),
}

/// A Rust value that can be sent as a parameter, with the Cypher type it has there.
pub trait ParamValue {
    /// The Cypher type of the value.
    type Type: CypherType;
    /// Converts to a parameter value.
    fn into_value(self) -> Value;
}

macro_rules! param_value {
    ($ty:ty => $cy:ty, |$v:ident| $conv:expr) => {
        impl ParamValue for $ty {
            type Type = $cy;
            fn into_value(self) -> Value {
                let $v = self;
                $conv
            }
        }
    };
}

param_value!(bool => Bool, |v| Value::Bool(v));
param_value!(i64 => Int, |v| Value::Int(v));
param_value!(i32 => Int, |v| Value::Int(v.into()));
param_value!(i16 => Int, |v| Value::Int(v.into()));
param_value!(u32 => Int, |v| Value::Int(v.into()));
param_value!(u16 => Int, |v| Value::Int(v.into()));
param_value!(u8 => Int, |v| Value::Int(v.into()));
param_value!(f64 => Float, |v| Value::Float(v));
param_value!(f32 => Float, |v| Value::Float(v.into()));
param_value!(String => Str, |v| Value::String(v));
param_value!(&str => Str, |v| Value::String(v.to_owned()));
param_value!(&String => Str, |v| Value::String(v.clone()));
param_value!(Value => Any, |v| v);

impl<V: ParamValue> ParamValue for Vec<V> {
    type Type = List<V::Type>;
    fn into_value(self) -> Value {
        Value::List(self.into_iter().map(ParamValue::into_value).collect())
    }
}

impl<V: ParamValue + Clone> ParamValue for &[V] {
    type Type = List<V::Type>;
    fn into_value(self) -> Value {
        Value::List(self.iter().cloned().map(ParamValue::into_value).collect())
    }
}

impl<V: ParamValue> ParamValue for BTreeMap<String, V> {
    type Type = Map;
    fn into_value(self) -> Value {
        Value::Map(self.into_iter().map(|(k, v)| (k, v.into_value())).collect())
    }
}
