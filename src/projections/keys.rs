//! Machine keys: the dense numbers hit sets travel as between the text index and the
//! graph.
//!
//! A machine's key is the number of distinct machines listed before its first
//! `MachineListed` in the log. Every projection that replays the log assigns the same
//! keys, and keys never change, so hit sets need no translation, whichever projection
//! is ahead. The text index keeps its assignment in a file of ids, one per line, in key
//! order: written before each commit, so it is never behind the index; being ahead after
//! a crash is harmless, because replaying the same events assigns the same keys again.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The key assignment of one projection, persisted in one file.
pub struct MachineKeys {
    path: PathBuf,
    keys: HashMap<String, u32>,
    /// Ids assigned since the last [`MachineKeys::sync`], in key order.
    pending: Vec<String>,
}

impl MachineKeys {
    /// Loads `path` (empty when missing), cutting a line left unfinished by a crash.
    pub fn open(path: &Path) -> io::Result<MachineKeys> {
        let mut text = String::new();
        match File::open(path) {
            Ok(mut f) => {
                f.read_to_string(&mut text)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let complete = text.rfind('\n').map_or(0, |i| i + 1);
        if complete < text.len() {
            OpenOptions::new()
                .write(true)
                .open(path)?
                .set_len(complete as u64)?;
        }
        let keys = text[..complete]
            .lines()
            .enumerate()
            .map(|(i, id)| (id.to_owned(), i as u32))
            .collect();
        Ok(MachineKeys {
            path: path.to_owned(),
            keys,
            pending: Vec::new(),
        })
    }

    /// The key of `id`, assigning the next one on first sight.
    pub fn assign(&mut self, id: &str) -> u32 {
        if let Some(&k) = self.keys.get(id) {
            return k;
        }
        let k = self.keys.len() as u32;
        self.keys.insert(id.to_owned(), k);
        self.pending.push(id.to_owned());
        k
    }

    /// The key of `id`, if it was ever listed.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.keys.get(id).copied()
    }

    /// Makes the assignments durable; call before committing what uses them.
    pub fn sync(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut text = String::with_capacity(self.pending.iter().map(|s| s.len() + 1).sum());
        for id in &self.pending {
            text.push_str(id);
            text.push('\n');
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(text.as_bytes())?;
        f.sync_data()?;
        self.pending.clear();
        Ok(())
    }
}
