// A reading statement must end in RETURN: MATCH alone cannot be built.
use query_dsl::{match_, node};
use stockyard_schema::graph::Machine;

fn main() {
    let m = node::<Machine>("m");
    let _ = match_(&m).build();
}
