//! Shared by the integration tests: the test graph model, the golden cases, random
//! statements and the external tools.
#![allow(dead_code)] // each test binary uses its own part of these helpers

pub mod cases;
pub mod gen;
pub mod schema;
pub mod tools;
