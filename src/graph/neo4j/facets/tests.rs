use super::*;
use neo4rs::{BoltList, BoltType, Row};

/// A row of the facets statement holding `lists`, by column.
fn row(lists: &[(&str, Vec<BoltType>)]) -> Row {
    let fields: Vec<BoltType> = lists.iter().map(|(c, _)| BoltType::from(*c)).collect();
    let data: Vec<BoltType> = lists
        .iter()
        .map(|(_, l)| BoltType::List(BoltList::from(l.clone())))
        .collect();
    Row::new(BoltList::from(fields), BoltList::from(data))
}

/// GIVEN a group's lists as the server sends them, WHEN they are read back, THEN
/// parallel lists give one count per value, and lists of different lengths are
/// an error rather than values silently dropped by zipping.
#[test]
fn a_group_is_read_from_parallel_lists_of_equal_length() {
    let statement = Neo4jGraph::facets_statement(&FacetRequest {
        hits: None,
        selections: Selections::default(),
        lang: Lang::EN,
        spec_facets: Vec::new(),
        buckets: 10,
        attribute_facets: false,
        rates: Default::default(),
    })
    .expect("a statement");
    let texts = |t: &[&str]| t.iter().map(|s| BoltType::from(*s)).collect::<Vec<_>>();
    let whole = row(&[
        ("makers_id", texts(&["komatsu", "hitachi"])),
        (
            "makers_n",
            vec![BoltType::from(3_i64), BoltType::from(5_i64)],
        ),
        ("makers_names", texts(&["", ""])),
    ]);
    let read = Reader {
        row: &whole,
        statement: &statement,
    };
    let counts = read.counts("makers", &["names"], Lang::EN).expect("read");
    let got: Vec<(&str, u64)> = counts.iter().map(|c| (c.id.as_str(), c.count)).collect();
    assert_eq!(got, [("hitachi", 5), ("komatsu", 3)]);

    let short = row(&[
        ("makers_id", texts(&["komatsu", "hitachi"])),
        ("makers_n", vec![BoltType::from(3_i64)]),
        ("makers_names", texts(&["", ""])),
    ]);
    let read = Reader {
        row: &short,
        statement: &statement,
    };
    let err = read.counts("makers", &["names"], Lang::EN).unwrap_err();
    assert!(err.to_string().contains("differ in length"), "{err}");
}
