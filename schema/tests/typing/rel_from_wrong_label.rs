// IS_OF_MODEL starts at a Machine, not at a Maker.
use query_dsl::{node, path, rel};
use stockyard_schema::graph::{IsOfModel, Maker, Model};

fn main() {
    let _ = path(&node::<Maker>("k")).out(rel::<IsOfModel>(), &node::<Model>("m"));
}
