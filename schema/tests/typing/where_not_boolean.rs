// WHERE takes a boolean expression only.
use query_dsl::{match_, node};
use stockyard_schema::graph::Machine;

fn main() {
    let m = node::<Machine>("m");
    let _ = match_(&m).where_(m.prop(Machine::YEAR));
}
