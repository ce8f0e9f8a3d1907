//! Event sources besides the HTTP ingest path. Each records how far it has read, so
//! that a restart neither skips nor (thanks to the log's id check) doubles anything.

pub mod file;
pub mod nats;
