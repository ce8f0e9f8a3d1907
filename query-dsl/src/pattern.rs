//! Patterns: nodes, relationships and the paths they form.
//!
//! Typed nodes ([`node`]) and relationships ([`rel`]) carry their label and
//! relationship type as Rust types, so that [`Path::out`] only accepts a relationship
//! type whose declared start label is the path's current end, and a target node of its
//! declared end label. Untyped nodes ([`any_node`]) and relationships ([`any_rel`]) take
//! labels and types as strings, for ad-hoc queries.

use crate::ast::{Direction, Ex, Hops, NodePat, PatternPart, RelPat, RemoveItem, SetItem};
use crate::expr::{Expr, HasProperties, IntoExpr};
use crate::schema::{Label, Prop, RelType};
use crate::types::{self, Any, CypherType, Map};
use std::marker::PhantomData;

/// The label side of an untyped node: labels are given at run time.
#[derive(Debug, Clone, Copy)]
pub enum AnyLabel {}

/// The type side of an untyped relationship: types are given at run time.
#[derive(Debug, Clone, Copy)]
pub enum AnyType {}

/// A node in a pattern, with a variable, typed by its label `L` (or [`AnyLabel`]).
pub struct NodeVar<L> {
    pat: NodePat,
    marker: PhantomData<fn() -> L>,
}

impl<L> Clone for NodeVar<L> {
    fn clone(&self) -> Self {
        NodeVar {
            pat: self.pat.clone(),
            marker: PhantomData,
        }
    }
}

/// A node of label `L` bound to the variable `var`: `(var:L)`.
pub fn node<L: Label>(var: &str) -> NodeVar<L> {
    NodeVar {
        pat: NodePat {
            var: Some(var.to_owned()),
            labels: vec![L::NAME.to_owned()],
            props: Vec::new(),
        },
        marker: PhantomData,
    }
}

/// A node of label `L` without a variable: `(:L)`.
pub fn anon<L: Label>() -> NodeVar<L> {
    NodeVar {
        pat: NodePat {
            var: None,
            labels: vec![L::NAME.to_owned()],
            props: Vec::new(),
        },
        marker: PhantomData,
    }
}

/// An untyped node bound to `var`, with labels added by [`NodeVar::label`]: `(var)`.
pub fn any_node(var: &str) -> NodeVar<AnyLabel> {
    NodeVar {
        pat: NodePat {
            var: Some(var.to_owned()),
            ..NodePat::default()
        },
        marker: PhantomData,
    }
}

/// An untyped node without a variable: `()`.
pub fn any_anon() -> NodeVar<AnyLabel> {
    NodeVar {
        pat: NodePat::default(),
        marker: PhantomData,
    }
}

impl<L> NodeVar<L> {
    fn name(&self) -> &str {
        self.pat
            .var
            .as_deref()
            .expect("an anonymous node has no variable to refer to; name it with node()")
    }

    /// The node as an expression (its variable).
    ///
    /// # Panics
    /// When the node is anonymous ([`anon`], [`any_anon`]): there is nothing to refer to.
    pub fn expr(&self) -> Expr<types::Node> {
        Expr::from_ast(Ex::Var(self.name().to_owned()))
    }

    /// The same node without labels or properties, `(var)`: how a node bound by an
    /// earlier clause is written in `MERGE` or `CREATE` patterns.
    pub fn bare(&self) -> NodeVar<L> {
        NodeVar {
            pat: NodePat {
                var: self.pat.var.clone(),
                labels: Vec::new(),
                props: Vec::new(),
            },
            marker: PhantomData,
        }
    }

    /// An untyped property of this node, `var.key`.
    pub fn key(&self, key: &str) -> Expr<Any> {
        self.expr().key(key)
    }

    /// `SET var += map`: merges properties.
    pub fn merge_props(&self, map: impl IntoExpr<Map>) -> SetOp {
        SetOp(SetItem::Merge {
            var: self.name().to_owned(),
            map: map.into_expr().ex,
        })
    }

    /// `SET var = map`: replaces all properties.
    pub fn replace_props(&self, map: impl IntoExpr<Map>) -> SetOp {
        SetOp(SetItem::Replace {
            var: self.name().to_owned(),
            map: map.into_expr().ex,
        })
    }

    /// `SET var:A:B`: adds labels.
    pub fn add_labels<S: AsRef<str>>(&self, labels: impl IntoIterator<Item = S>) -> SetOp {
        SetOp(SetItem::Labels {
            var: self.name().to_owned(),
            labels: labels.into_iter().map(|l| l.as_ref().to_owned()).collect(),
        })
    }

    /// `REMOVE var:A:B`: removes labels.
    pub fn remove_labels<S: AsRef<str>>(&self, labels: impl IntoIterator<Item = S>) -> RemoveOp {
        RemoveOp(RemoveItem::Labels {
            var: self.name().to_owned(),
            labels: labels.into_iter().map(|l| l.as_ref().to_owned()).collect(),
        })
    }

    /// `SET var.key = value`, untyped.
    pub fn set_key(&self, key: &str, value: impl IntoExpr<Any>) -> SetOp {
        SetOp(SetItem::Prop {
            target: self.key(key).ex,
            value: value.into_expr().ex,
        })
    }

    /// `REMOVE var.key`, untyped.
    pub fn remove_key(&self, key: &str) -> RemoveOp {
        RemoveOp(RemoveItem::Prop(self.key(key).ex))
    }
}

impl<L: Label> NodeVar<L> {
    /// The typed property `var.key`; only properties declared for `L` are accepted.
    pub fn prop<T: CypherType>(&self, p: Prop<L, T>) -> Expr<T> {
        Expr::from_ast(Ex::Prop(Box::new(self.expr().ex), p.key().to_owned()))
    }

    /// Adds `{key: $value}` to the node's pattern.
    pub fn with<T: CypherType>(mut self, p: Prop<L, T>, value: impl IntoExpr<T>) -> Self {
        self.pat
            .props
            .push((p.key().to_owned(), value.into_expr().ex));
        self
    }

    /// `SET var.key = value`.
    pub fn set<T: CypherType>(&self, p: Prop<L, T>, value: impl IntoExpr<T>) -> SetOp {
        SetOp(SetItem::Prop {
            target: self.prop(p).ex,
            value: value.into_expr().ex,
        })
    }

    /// `REMOVE var.key`.
    pub fn remove<T: CypherType>(&self, p: Prop<L, T>) -> RemoveOp {
        RemoveOp(RemoveItem::Prop(self.prop(p).ex))
    }
}

impl NodeVar<AnyLabel> {
    /// Adds a label, `(var:Label)`.
    pub fn label(mut self, label: &str) -> Self {
        self.pat.labels.push(label.to_owned());
        self
    }

    /// Adds `{key: $value}` to the node's pattern.
    pub fn with_key(mut self, key: &str, value: impl IntoExpr<Any>) -> Self {
        self.pat.props.push((key.to_owned(), value.into_expr().ex));
        self
    }
}

/// One `SET` item.
#[derive(Debug, Clone)]
pub struct SetOp(pub(crate) SetItem);

impl SetOp {
    /// `SET on.key = value` for any expression with properties (a variable bound by
    /// `UNWIND` or `FOREACH`, a map): the untyped form of [`NodeVar::set`].
    pub fn key<T: HasProperties>(on: Expr<T>, key: &str, value: impl IntoExpr<Any>) -> SetOp {
        SetOp(SetItem::Prop {
            target: on.key(key).ex,
            value: value.into_expr().ex,
        })
    }
}

/// One `REMOVE` item.
#[derive(Debug, Clone)]
pub struct RemoveOp(pub(crate) RemoveItem);

/// A relationship in a pattern, typed by its relationship type `R` (or [`AnyType`]).
pub struct RelVar<R> {
    pat: RelPat,
    marker: PhantomData<fn() -> R>,
}

impl<R> Clone for RelVar<R> {
    fn clone(&self) -> Self {
        RelVar {
            pat: self.pat.clone(),
            marker: PhantomData,
        }
    }
}

/// A relationship of type `R` without a variable: `-[:R]->`.
pub fn rel<R: RelType>() -> RelVar<R> {
    RelVar {
        pat: RelPat {
            types: vec![R::NAME.to_owned()],
            ..RelPat::default()
        },
        marker: PhantomData,
    }
}

/// An untyped relationship; add types with [`RelVar::of_type`]: `-[:A|B]->`.
pub fn any_rel() -> RelVar<AnyType> {
    RelVar {
        pat: RelPat::default(),
        marker: PhantomData,
    }
}

impl<R> RelVar<R> {
    /// Binds the relationship to the variable `var`.
    pub fn named(mut self, var: &str) -> Self {
        self.pat.var = Some(var.to_owned());
        self
    }

    /// Variable length `*min..max`.
    pub fn hops(mut self, min: u32, max: u32) -> Self {
        self.pat.hops = Some(Hops::Range(Some(min), Some(max)));
        self
    }

    /// Variable length with only a lower bound, `*min..`.
    pub fn min_hops(mut self, min: u32) -> Self {
        self.pat.hops = Some(Hops::Range(Some(min), None));
        self
    }

    /// Variable length with only an upper bound, `*..max`.
    pub fn max_hops(mut self, max: u32) -> Self {
        self.pat.hops = Some(Hops::Range(None, Some(max)));
        self
    }

    /// Any length, `*`.
    pub fn any_hops(mut self) -> Self {
        self.pat.hops = Some(Hops::Any);
        self
    }

    /// The relationship as an expression (its variable).
    ///
    /// # Panics
    /// When the relationship has no variable ([`RelVar::named`]).
    pub fn expr(&self) -> Expr<types::Relationship> {
        let var = self
            .pat
            .var
            .as_deref()
            .expect("an anonymous relationship has no variable; name it with named()");
        Expr::from_ast(Ex::Var(var.to_owned()))
    }
}

impl<R: RelType> RelVar<R> {
    /// The typed property `var.key` of the relationship.
    pub fn prop<T: CypherType>(&self, p: Prop<R, T>) -> Expr<T> {
        Expr::from_ast(Ex::Prop(Box::new(self.expr().ex), p.key().to_owned()))
    }

    /// Adds `{key: $value}` to the relationship's pattern.
    pub fn with<T: CypherType>(mut self, p: Prop<R, T>, value: impl IntoExpr<T>) -> Self {
        self.pat
            .props
            .push((p.key().to_owned(), value.into_expr().ex));
        self
    }
}

impl RelVar<AnyType> {
    /// Adds an alternative type: `[:A|B]`.
    pub fn of_type(mut self, t: &str) -> Self {
        self.pat.types.push(t.to_owned());
        self
    }

    /// Adds `{key: $value}` to the relationship's pattern.
    pub fn with_key(mut self, key: &str, value: impl IntoExpr<Any>) -> Self {
        self.pat.props.push((key.to_owned(), value.into_expr().ex));
        self
    }
}

/// A chain of nodes and relationships whose last node has label `L`.
pub struct Path<L> {
    part: PatternPart,
    marker: PhantomData<fn() -> L>,
}

impl<L> Clone for Path<L> {
    fn clone(&self) -> Self {
        Path {
            part: self.part.clone(),
            marker: PhantomData,
        }
    }
}

/// Starts a path at `start`.
pub fn path<L>(start: &NodeVar<L>) -> Path<L> {
    Path {
        part: PatternPart {
            name: None,
            start: start.pat.clone(),
            steps: Vec::new(),
        },
        marker: PhantomData,
    }
}

impl<L> Path<L> {
    fn step<M>(mut self, dir: Direction, rel: RelPat, to: NodePat) -> Path<M> {
        self.part.steps.push((dir, rel, to));
        Path {
            part: self.part,
            marker: PhantomData,
        }
    }

    /// `-[:R]->(to)` of an untyped relationship; the path continues from `to`.
    pub fn out_any<M>(self, rel: RelVar<AnyType>, to: &NodeVar<M>) -> Path<M> {
        self.step(Direction::Out, rel.pat, to.pat.clone())
    }

    /// `<-[:R]-(from)` of an untyped relationship.
    pub fn in_any<M>(self, rel: RelVar<AnyType>, from: &NodeVar<M>) -> Path<M> {
        self.step(Direction::In, rel.pat, from.pat.clone())
    }

    /// `-[:R]-(other)`, either direction, of an untyped relationship.
    pub fn both_any<M>(self, rel: RelVar<AnyType>, other: &NodeVar<M>) -> Path<M> {
        self.step(Direction::Both, rel.pat, other.pat.clone())
    }

    /// Names the path, `name = (…)`, and returns it with the path variable.
    pub fn named(mut self, name: &str) -> (Self, Expr<types::Path>) {
        self.part.name = Some(name.to_owned());
        (self, Expr::from_ast(Ex::Var(name.to_owned())))
    }
}

impl<L: Label> Path<L> {
    /// `-[:R]->(to)`: `R` must start at `L` and `to` must have `R`'s end label.
    pub fn out<R: RelType<Start = L>>(self, rel: RelVar<R>, to: &NodeVar<R::End>) -> Path<R::End> {
        self.step(Direction::Out, rel.pat, to.pat.clone())
    }

    /// `<-[:R]-(from)`: `R` must end at `L` and `from` must have `R`'s start label.
    pub fn in_<R: RelType<End = L>>(
        self,
        rel: RelVar<R>,
        from: &NodeVar<R::Start>,
    ) -> Path<R::Start> {
        self.step(Direction::In, rel.pat, from.pat.clone())
    }
}

/// Anything that is one pattern part: a path or a single node.
pub trait Pattern {
    #[doc(hidden)]
    fn into_part(self) -> PatternPart;
}

impl<L> Pattern for Path<L> {
    fn into_part(self) -> PatternPart {
        self.part
    }
}

impl<L> Pattern for &Path<L> {
    fn into_part(self) -> PatternPart {
        self.part.clone()
    }
}

impl<L> Pattern for NodeVar<L> {
    fn into_part(self) -> PatternPart {
        path(&self).part
    }
}

impl<L> Pattern for &NodeVar<L> {
    fn into_part(self) -> PatternPart {
        path(self).part
    }
}

/// One or more patterns, for clauses that take a comma-separated list (`MATCH`,
/// `CREATE`): a single pattern, a tuple of up to four, or a `Vec` of one kind.
pub trait Patterns {
    #[doc(hidden)]
    fn into_parts(self) -> Vec<PatternPart>;
}

impl<P: Pattern> Patterns for P {
    fn into_parts(self) -> Vec<PatternPart> {
        vec![self.into_part()]
    }
}

impl<P: Pattern> Patterns for Vec<P> {
    fn into_parts(self) -> Vec<PatternPart> {
        self.into_iter().map(Pattern::into_part).collect()
    }
}

macro_rules! pattern_tuples {
    ($(($($p:ident),*)),*) => {$(
        impl<$($p: Pattern),*> Patterns for ($($p,)*) {
            #[allow(non_snake_case)]
            fn into_parts(self) -> Vec<PatternPart> {
                let ($($p,)*) = self;
                vec![$($p.into_part()),*]
            }
        }
    )*};
}
pattern_tuples!((A, B), (A, B, C), (A, B, C, D));
