//! The typing guarantees of the catalog's graph model, checked by the compiler: each
//! file in `tests/typing/` must fail to compile with the error recorded beside it, and
//! the well-typed counterpart in `tests/typing-pass/` must compile and run.

#[test]
fn ill_typed_catalog_queries_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/typing/*.rs");
    t.pass("tests/typing-pass/*.rs");
}
