//! The append-only event log: the source of truth every projection is rebuilt from.
//!
//! One file of records, each `[length: u32][crc32: u32][event as one JSON line]`
//! (little-endian). An event's position is its record's index, from 0. Appends skip
//! events whose id is already in the log, so a source that redelivers cannot double
//! anything. On open the file is read through: a record that is cut short or fails its
//! checksum marks where a crash interrupted a write, and the file is truncated there
//! (reported in [`OpenReport`]), so the log always ends on a whole record. A damaged
//! record with whole records after it is not an interrupted write but damage: the log
//! refuses to open ([`LogError::Damaged`]) rather than cut events that were there.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use stockyard_schema::{Decoder, Event, EventId};

/// Largest record accepted (an event line is far smaller).
const MAX_RECORD: u32 = 16 << 20;

impl LogError {
    /// Whether the file system is out of room for the log (a full disk, a quota, a
    /// file-size limit): a condition that passes once room is made, unlike damage.
    pub fn is_out_of_room(&self) -> bool {
        use io::ErrorKind::{FileTooLarge, QuotaExceeded, StorageFull};
        matches!(self, LogError::Io { source, .. }
            if matches!(source.kind(), StorageFull | QuotaExceeded | FileTooLarge))
    }
}

/// When appended records are forced to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `fsync` after every append call: nothing acknowledged is ever lost.
    #[default]
    EveryAppend,
    /// Leave flushing to the operating system: faster, but a power cut may lose the
    /// last appends (a process crash does not).
    OsBuffered,
}

/// Why the log could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file system failed.
    #[error("event log {path}: {source}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// A record passed its checksum but does not hold a valid event: the file was
    /// written by something else.
    #[error("event log {path}: record {position} is not a valid event: {reason}")]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// The record's position.
        position: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A record in the middle of the log is damaged (whole records follow it): cutting
    /// there would lose events, so the log is left as it is for an operator.
    #[error("event log {path}: the record at byte {offset} is damaged and {after} bytes follow it; restore the log from a copy (nothing was cut)")]
    Damaged {
        /// The log file.
        path: PathBuf,
        /// Where the damaged record starts.
        offset: u64,
        /// Bytes after it.
        after: u64,
    },
}

/// Longest tail an interrupted write can leave: one append of the largest request.
const MAX_TORN_TAIL: u64 = 64 << 20;

/// What opening found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// Whole records in the log.
    pub records: u64,
    /// Bytes cut from the end: an interrupted write (0 when the log was clean).
    pub truncated_bytes: u64,
}

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Position of the first event written, if any was.
    pub first: Option<u64>,
    /// Position of the last event written, if any was.
    pub last: Option<u64>,
    /// Events skipped because their id was already in the log.
    pub duplicates: Vec<EventId>,
}

/// The append-only event log; see the [module docs](self).
pub struct EventLog {
    path: PathBuf,
    file: BufWriter<File>,
    durability: Durability,
    /// Byte offset of every record, by position.
    offsets: Vec<u64>,
    /// Byte length of the file (where the next record goes).
    end: u64,
    /// Every event id in the log, with its position.
    ids: HashMap<EventId, u64>,
}

impl EventLog {
    /// Opens (or creates) the log at `path`, cutting an interrupted write at its end.
    pub fn open(path: &Path, durability: Durability) -> Result<(EventLog, OpenReport), LogError> {
        let io_err = |source| LogError::Io {
            path: path.to_owned(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err)?;
        let len = file.metadata().map_err(io_err)?.len();
        let mut reader = BufReader::new(file.try_clone().map_err(io_err)?);
        let mut offsets = Vec::new();
        let mut ids = HashMap::new();
        let mut pos = 0u64;
        let mut decoder = Decoder::new();
        while let Some(payload) = read_record(&mut reader, len - pos).map_err(io_err)? {
            let position = offsets.len() as u64;
            let event = decode(&mut decoder, &payload).map_err(|reason| LogError::Corrupt {
                path: path.to_owned(),
                position,
                reason,
            })?;
            offsets.push(pos);
            ids.insert(event.id, position);
            pos += 8 + payload.len() as u64;
        }
        let truncated_bytes = len - pos;
        if truncated_bytes > 0 && !is_torn_tail(&file, pos, len).map_err(io_err)? {
            return Err(LogError::Damaged {
                path: path.to_owned(),
                offset: pos,
                after: truncated_bytes,
            });
        }
        if truncated_bytes > 0 {
            file.set_len(pos).map_err(io_err)?;
            file.sync_all().map_err(io_err)?;
        }
        let mut file = file;
        file.seek(SeekFrom::Start(pos)).map_err(io_err)?;
        let report = OpenReport {
            records: offsets.len() as u64,
            truncated_bytes,
        };
        Ok((
            EventLog {
                path: path.to_owned(),
                file: BufWriter::new(file),
                durability,
                offsets,
                end: pos,
                ids,
            },
            report,
        ))
    }

    fn io_err(&self, source: io::Error) -> LogError {
        LogError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// The position the next event will get (the number of events in the log).
    pub fn head(&self) -> u64 {
        self.offsets.len() as u64
    }

    /// The position of the event with this id, if it is in the log.
    pub fn position_of(&self, id: &EventId) -> Option<u64> {
        self.ids.get(id).copied()
    }

    /// Appends events in order, skipping those whose id is already in the log (also
    /// within `events`), and makes them durable as the [`Durability`] says.
    ///
    /// All or nothing: when a write fails (a full disk, a file-size limit), the file is
    /// cut back to where it ended before the call and the log forgets the call's
    /// events, so no half-written record is ever read and the same events can be
    /// appended again once there is room.
    pub fn append(&mut self, events: &[Event]) -> Result<Appended, LogError> {
        let (end, count) = (self.end, self.offsets.len());
        let result = self.append_all(events);
        if let Err(e) = result {
            for event in events {
                if self
                    .ids
                    .get(&event.id)
                    .is_some_and(|&p| p as usize >= count)
                {
                    self.ids.remove(&event.id);
                }
            }
            self.offsets.truncate(count);
            self.end = end;
            return Err(match self.cut_back(end) {
                Ok(()) => e,
                // The file could not even be cut: the log is unusable until reopened
                // (which cuts a torn tail), so say so rather than append after it.
                Err(cut) => cut,
            });
        }
        result
    }

    fn append_all(&mut self, events: &[Event]) -> Result<Appended, LogError> {
        let mut out = Appended {
            first: None,
            last: None,
            duplicates: Vec::new(),
        };
        for event in events {
            if self.ids.contains_key(&event.id) {
                out.duplicates.push(event.id.clone());
                continue;
            }
            let payload = event.to_json();
            let bytes = payload.as_bytes();
            let crc = crc32fast::hash(bytes);
            let position = self.head();
            let write = |f: &mut BufWriter<File>| -> io::Result<()> {
                f.write_all(&(bytes.len() as u32).to_le_bytes())?;
                f.write_all(&crc.to_le_bytes())?;
                f.write_all(bytes)
            };
            write(&mut self.file).map_err(|e| self.io_err(e))?;
            self.offsets.push(self.end);
            self.end += 8 + bytes.len() as u64;
            self.ids.insert(event.id.clone(), position);
            out.first.get_or_insert(position);
            out.last = Some(position);
        }
        self.file.flush().map_err(|e| self.io_err(e))?;
        if self.durability == Durability::EveryAppend && out.last.is_some() {
            self.file
                .get_ref()
                .sync_data()
                .map_err(|e| self.io_err(e))?;
        }
        Ok(out)
    }

    /// Drops what a failed append left in the buffer and in the file after `end`.
    fn cut_back(&mut self, end: u64) -> Result<(), LogError> {
        // The buffer is taken apart rather than dropped: dropping it would try to
        // write the failed call's bytes once more.
        let clone = self.file.get_ref().try_clone();
        let placeholder = BufWriter::new(clone.map_err(|e| self.io_err(e))?);
        let (mut file, _unwritten) = std::mem::replace(&mut self.file, placeholder).into_parts();
        file.set_len(end).map_err(|e| self.io_err(e))?;
        file.seek(SeekFrom::Start(end))
            .map_err(|e| self.io_err(e))?;
        self.file = BufWriter::new(file);
        Ok(())
    }

    /// Reads events from `position` on, in order, with their positions.
    pub fn read_from(&self, position: u64) -> Result<Vec<(u64, Event)>, LogError> {
        self.read_range(position, u64::MAX)
    }

    /// Reads up to `max` events from `position` on, with their positions.
    pub fn read_range(&self, position: u64, max: u64) -> Result<Vec<(u64, Event)>, LogError> {
        let Some(&start) = self.offsets.get(position as usize) else {
            return Ok(Vec::new());
        };
        let mut file = File::open(&self.path).map_err(|e| self.io_err(e))?;
        file.seek(SeekFrom::Start(start))
            .map_err(|e| self.io_err(e))?;
        let mut reader = BufReader::new(file);
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        let mut remaining = self.end - start;
        let mut p = position;
        while p < self.head() && (out.len() as u64) < max {
            let Some(payload) = read_record(&mut reader, remaining).map_err(|e| self.io_err(e))?
            else {
                break;
            };
            remaining -= 8 + payload.len() as u64;
            let event = decode(&mut decoder, &payload).map_err(|reason| LogError::Corrupt {
                path: self.path.clone(),
                position: p,
                reason,
            })?;
            out.push((p, event));
            p += 1;
        }
        Ok(out)
    }
}

/// Whether the bytes from `pos` to `len` can be what an interrupted write leaves: not
/// longer than one append, and holding no whole record with a valid checksum.
fn is_torn_tail(file: &File, pos: u64, len: u64) -> io::Result<bool> {
    if len - pos > MAX_TORN_TAIL {
        return Ok(false);
    }
    let mut tail = Vec::with_capacity((len - pos) as usize);
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(pos))?;
    f.take(len - pos).read_to_end(&mut tail)?;
    // Any later offset where a whole, checksummed record starts means damage.
    for start in 1..tail.len() {
        let rest = &tail[start..];
        if rest.len() < 8 {
            break;
        }
        let n = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes"));
        let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes"));
        if n == 0 || n > MAX_RECORD || n as usize > rest.len() - 8 {
            continue;
        }
        if crc32fast::hash(&rest[8..8 + n as usize]) == crc {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Reads one whole record with a valid checksum, or `None` at the end of the log or
/// at an interrupted write (short record, bad length, bad checksum).
fn read_record(r: &mut impl Read, remaining: u64) -> io::Result<Option<Vec<u8>>> {
    if remaining < 8 {
        return Ok(None);
    }
    let mut header = [0u8; 8];
    r.read_exact(&mut header)?;
    let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes"));
    let crc = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
    if len > MAX_RECORD || u64::from(len) > remaining - 8 {
        return Ok(None);
    }
    let mut payload = vec![0u8; len as usize];
    r.read_exact(&mut payload)?;
    if crc32fast::hash(&payload) != crc {
        return Ok(None);
    }
    Ok(Some(payload))
}

fn decode(decoder: &mut Decoder, payload: &[u8]) -> Result<Event, String> {
    let line = std::str::from_utf8(payload).map_err(|e| e.to_string())?;
    decoder.decode(line).map_err(|e| e.to_string())
}
