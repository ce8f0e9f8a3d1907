// Model.name is not a property of Machine.
use query_dsl::node;
use stockyard_schema::graph::{Machine, Model};

fn main() {
    let m = node::<Machine>("m");
    let _ = m.prop(Model::NAME);
}
