// IS_OF_MODEL ends at a Model, not at a Maker.
use query_dsl::{node, path, rel};
use stockyard_schema::graph::{IsOfModel, Machine, Maker};

fn main() {
    let _ = path(&node::<Machine>("m")).out(rel::<IsOfModel>(), &node::<Maker>("k"));
}
