//! An NDJSON file as a source: read from the byte offset the last run stopped at, in
//! chunks of whole lines, and followed as it grows.

use crate::engine::{Engine, Format, IngestError};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Bytes read per chunk (whole lines only are ingested).
const CHUNK: usize = 4 * 1024 * 1024;

/// Where the offset of `file` is kept in the data directory.
fn offset_path(engine: &Engine, file: &Path) -> PathBuf {
    let name = file.to_string_lossy();
    engine.data_dir().join(format!(
        "source-file-{:08x}.offset",
        crc32fast::hash(name.as_bytes())
    ))
}

/// Ingests what `file` holds past the recorded offset; returns the new offset.
/// A chunk with an invalid event stops the reading at that chunk (reported), so
/// that nothing after a bad line is taken out of order.
pub fn read_new(engine: &Engine, file: &Path) -> Result<u64, String> {
    let offset_file = offset_path(engine, file);
    let mut offset: u64 = std::fs::read_to_string(&offset_file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let mut f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    if len < offset {
        // The file was replaced by a shorter one: read it again from the start (ids
        // already in the log are skipped).
        offset = 0;
    }
    f.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(CHUNK);
    loop {
        buf.clear();
        (&mut f)
            .take(CHUNK as u64)
            .read_to_end(&mut buf)
            .map_err(|e| e.to_string())?;
        let Some(end) = buf.iter().rposition(|b| *b == b'\n') else {
            return Ok(offset);
        };
        let text = std::str::from_utf8(&buf[..=end]).map_err(|e| e.to_string())?;
        match engine.ingest(text, Format::Ndjson) {
            Ok(_) | Err(IngestError::Empty) => {}
            Err(e) => return Err(format!("{} at byte {offset}: {e}", file.display())),
        }
        offset += end as u64 + 1;
        crate::fsutil::write_atomic(&offset_file, offset.to_string().as_bytes())
            .map_err(|e| e.to_string())?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
    }
}

/// Reads `file` and follows it until `stop` is set, polling once a second.
pub fn follow(engine: &Engine, file: &Path, stop: &AtomicBool) {
    while !stop.load(Ordering::Acquire) {
        if let Err(e) = read_new(engine, file) {
            tracing::warn!("file source: {e}");
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
