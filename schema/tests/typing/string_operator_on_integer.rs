// STARTS WITH is a string operator.
use query_dsl::node;
use stockyard_schema::graph::Machine;

fn main() {
    let m = node::<Machine>("m");
    let _ = m.prop(Machine::YEAR).starts_with("19");
}
