//! Dead letters kept on disk, so that a restart does not forget them and a client can
//! list and retry them.

use crate::projection::DeadLetter;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// The dead-letter list: in memory, mirrored to an NDJSON file when it has one.
///
/// New letters are appended and synced right after the projection that produced them
/// committed. A crash in between loses that batch's letters (never its events: a
/// rebuild reports them again); a batch replayed after a crash finds its letters
/// already listed and does not list them twice.
#[derive(Debug, Default)]
pub struct DeadLetters {
    path: Option<PathBuf>,
    letters: Vec<DeadLetter>,
}

impl DeadLetters {
    /// A list kept in memory only.
    pub fn in_memory() -> DeadLetters {
        DeadLetters::default()
    }

    /// Loads the list kept in `path` (empty when the file does not exist); a line cut
    /// by a crash is dropped.
    pub fn open(path: &Path) -> io::Result<DeadLetters> {
        let mut letters = Vec::new();
        match File::open(path) {
            Ok(f) => {
                for line in BufReader::new(f).lines() {
                    if let Ok(letter) = serde_json::from_str::<DeadLetter>(&line?) {
                        letters.push(letter);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(DeadLetters {
            path: Some(path.to_owned()),
            letters,
        })
    }

    /// Every letter, oldest first.
    pub fn all(&self) -> &[DeadLetter] {
        &self.letters
    }

    /// Adds letters not listed yet (by projection and position).
    pub fn record(&mut self, new: Vec<DeadLetter>) -> io::Result<()> {
        let new: Vec<DeadLetter> = new
            .into_iter()
            .filter(|n| {
                !self
                    .letters
                    .iter()
                    .any(|l| l.projection == n.projection && l.position == n.position)
            })
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        if let Some(path) = &self.path {
            let mut f = OpenOptions::new().create(true).append(true).open(path)?;
            let mut text = String::new();
            for l in &new {
                text.push_str(&serde_json::to_string(l).map_err(io::Error::other)?);
                text.push('\n');
            }
            f.write_all(text.as_bytes())?;
            f.sync_data()?;
        }
        self.letters.extend(new);
        Ok(())
    }

    /// Empties the list (its events were handed back to the log to be tried again).
    pub fn clear(&mut self) -> io::Result<()> {
        if let Some(path) = &self.path {
            let tmp = path.with_extension("tmp");
            File::create(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, path)?;
        }
        self.letters.clear();
        Ok(())
    }
}
