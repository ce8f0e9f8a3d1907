//! Shared by the integration tests: the test graph model and the golden cases.
#![allow(dead_code)] // each test binary uses its own part of these helpers

pub mod cases;
pub mod schema;
