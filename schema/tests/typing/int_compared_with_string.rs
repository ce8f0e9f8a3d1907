// Machine.year is an integer; a string parameter cannot be compared with it.
use query_dsl::{node, param};
use stockyard_schema::graph::Machine;

fn main() {
    let m = node::<Machine>("m");
    let _ = m.prop(Machine::YEAR).gt(param("2015"));
}
