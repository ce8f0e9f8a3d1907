// The well-typed counterpart of the compile-fail cases: it must compile.
use query_dsl::{match_, node, param, path, rel};
use stockyard_schema::graph::{IsOfModel, Machine, MadeModel, Maker, Model};

fn main() {
    let m = node::<Machine>("m");
    let mo = node::<Model>("mo");
    let k = node::<Maker>("k");
    let stmt = match_(path(&m).out(rel::<IsOfModel>(), &mo).in_(rel::<MadeModel>(), &k))
        .where_(m.prop(Machine::YEAR).gt(param(2015)))
        .return_((m.prop(Machine::ID), mo.prop(Model::NAME)))
        .limit(5)
        .build()
        .unwrap();
    assert!(stmt.cypher().starts_with("MATCH (m:Machine)-[:IS_OF_MODEL]->(mo:Model)<-[:MADE_MODEL]-(k:Maker)"));
}
