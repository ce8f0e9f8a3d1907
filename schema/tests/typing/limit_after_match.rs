// LIMIT belongs to WITH or RETURN, not to MATCH.
use query_dsl::{match_, node};
use stockyard_schema::graph::Machine;

fn main() {
    let m = node::<Machine>("m");
    let _ = match_(&m).limit(5);
}
