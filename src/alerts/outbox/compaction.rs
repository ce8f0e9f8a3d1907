//! Rewriting the outbox file without the notifications retention dropped, beside
//! the writer rather than in its way.
//!
//! A rewrite copies every kept line: gigabytes when a hundred thousand searches each
//! keep a thousand notifications. Done on the alerts' own thread it stalled the
//! projection for seconds, and every notification told meanwhile waited (seven
//! seconds at 100k saved searches). So a [`Compaction`] copies the lines kept when
//! it starts into a new file on a thread of its own, while the writer goes on
//! appending to the old one, then follows the writer, copying what it appends (the
//! tail), until it is close behind. The writer finishes it at a commit: it copies the
//! last of the tail, adds a commit line, syncs, and renames the new file over the old
//! one. Readers keep reading the old file until the writer moves them
//! to the new one, offsets and file together.
//!
//! A crash at any point leaves the old file whole (the new one is renamed into place
//! only once complete); a leftover new file is removed on open. A clean stop waits
//! for a running copy and finishes it.

use super::Slot;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Bytes of the old file read at a time while copying.
const WINDOW: u64 = 8 << 20;

/// Where a compaction writes: beside the outbox, removed on open if a crash left it.
pub fn scratch_path(outbox: &Path) -> PathBuf {
    outbox.with_extension("compacting")
}

/// How far to let the writer run ahead before the copy stops following it: what
/// is left is copied while the writer waits.
const CATCH_UP: u64 = 1 << 20;

/// A rewrite in progress.
pub struct Compaction {
    /// The kept lines when it started, in file order.
    snapshot: Arc<Vec<Slot>>,
    /// The old file's committed length when it started: every line of the
    /// snapshot lies before it, everything after it is the tail.
    end: u64,
    /// Dropped lines the old file held when it started, which the new one does not.
    pub dropped_before: usize,
    /// The old file's committed length, as the writer moves it.
    committed: Arc<AtomicU64>,
    thread: JoinHandle<io::Result<Copied>>,
}

/// What the copying thread wrote.
struct Copied {
    /// Bytes of the snapshot's lines.
    lines: u64,
    /// Where in the old file the tail copied so far ends.
    tail_to: u64,
    /// The new file, still open.
    file: File,
}

/// A finished compaction: the new file, in place, and how offsets move into it.
pub struct Finished {
    /// The new file, for appending.
    pub writer: File,
    /// The new file, for readers.
    pub reader: File,
    /// Its length, up to and with its commit line.
    pub length: u64,
    /// How the readers' offsets move.
    pub relocation: Relocation,
}

impl Compaction {
    /// Starts copying the lines of `snapshot` (in file order, all before `end`, the
    /// committed length) from the file at `path` to its scratch file; then the tail,
    /// following the writer (see [`Compaction::committed`]) until it is close
    /// behind.
    pub fn start(
        path: &Path,
        snapshot: Vec<Slot>,
        end: u64,
        dropped_before: usize,
    ) -> io::Result<Compaction> {
        let source = File::open(path)?;
        let target = scratch_path(path);
        let snapshot = Arc::new(snapshot);
        let committed = Arc::new(AtomicU64::new(end));
        let thread = {
            let (lines, committed) = (snapshot.clone(), committed.clone());
            std::thread::Builder::new()
                .name("outbox-compaction".into())
                .spawn(move || {
                    yield_to_the_service();
                    let mut file = File::create(&target)?;
                    let copied = copy_lines(&source, &lines, &mut file)?;
                    let mut tail_to = end;
                    loop {
                        let now = committed.load(Ordering::Acquire);
                        if now - tail_to <= CATCH_UP {
                            break;
                        }
                        copy_range(&source, tail_to..now, &mut file)?;
                        tail_to = now;
                    }
                    // On disk here, so that finishing syncs only the last of the tail.
                    file.sync_data()?;
                    Ok(Copied {
                        lines: copied,
                        tail_to,
                        file,
                    })
                })?
        };
        Ok(Compaction {
            snapshot,
            end,
            dropped_before,
            committed,
            thread,
        })
    }

    /// Tells the copy how far the old file is committed now, so that it can copy
    /// the tail while the writer goes on.
    pub fn committed(&self, length: u64) {
        self.committed.store(length, Ordering::Release);
    }

    /// Whether the copy is done (or failed), so that finishing it will not wait.
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Waits for the copy; then appends the rest of the old file's tail (up to
    /// `committed`) and `commit_line` to the new file, syncs it and renames it over
    /// the old one. The new file's handles are opened before the rename, so that on
    /// any failure the writer simply goes on with the old file.
    pub fn finish(self, path: &Path, committed: u64, commit_line: &[u8]) -> io::Result<Finished> {
        let Copied {
            lines,
            tail_to,
            mut file,
        } = self
            .thread
            .join()
            .map_err(|_| io::Error::other("the compaction thread panicked"))??;
        copy_range(&File::open(path)?, tail_to..committed, &mut file)?;
        file.write_all(commit_line)?;
        file.sync_all()?;
        let target = scratch_path(path);
        let writer = OpenOptions::new().read(true).append(true).open(&target)?;
        let reader = File::open(&target)?;
        std::fs::rename(&target, path)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(Finished {
            writer,
            reader,
            length: lines + (committed - self.end) + commit_line.len() as u64,
            relocation: Relocation {
                snapshot: self.snapshot,
                end: self.end,
                copied: lines,
            },
        })
    }
}

/// Lowers this thread's priority (nice 10): on a small machine the copy would
/// otherwise take CPU time from the alerts and the text index, and every notification
/// told while it runs would wait longer. It finishes later instead, which costs
/// only disk space meanwhile.
fn yield_to_the_service() {
    // SAFETY: gettid and setpriority take no pointers; a failure leaves the thread
    // at its normal priority, which is only slower for others.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

/// Copies the lines of `slots` from `source` to `out`, reading a window of the old
/// file at a time. Returns the bytes written.
fn copy_lines(source: &File, slots: &[Slot], out: &mut File) -> io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut buf = Vec::new();
    let mut written = 0u64;
    let mut i = 0;
    while i < slots.len() {
        let start = slots[i].offset;
        let mut j = i + 1;
        while j < slots.len() && slots[j].end() - start <= WINDOW {
            j += 1;
        }
        let end = slots[j - 1].end();
        buf.resize((end - start) as usize, 0);
        source.read_exact_at(&mut buf, start)?;
        for s in &slots[i..j] {
            let from = (s.offset - start) as usize;
            out.write_all(&buf[from..from + s.len as usize + 1])?;
            written += u64::from(s.len) + 1;
        }
        i = j;
    }
    out.flush()?;
    Ok(written)
}

/// Copies the bytes `range` of `source` to `out`, a window at a time.
fn copy_range(source: &File, range: std::ops::Range<u64>, out: &mut File) -> io::Result<()> {
    let mut buf = vec![0u8; WINDOW.min(range.end - range.start) as usize];
    let mut at = range.start;
    while at < range.end {
        let n = buf.len().min((range.end - at) as usize);
        source.read_exact_at(&mut buf[..n], at)?;
        out.write_all(&buf[..n])?;
        at += n as u64;
    }
    Ok(())
}

/// How the offsets of the old file map onto the new one.
pub struct Relocation {
    snapshot: Arc<Vec<Slot>>,
    end: u64,
    copied: u64,
}

impl Relocation {
    /// Moves `kept` (the slots kept now, in file order) to their places in the new
    /// file. Lines of the snapshot were copied in order, including those dropped
    /// since, which still take their room; lines of the tail moved as one block.
    pub fn apply<'a>(&self, kept: impl Iterator<Item = &'a mut Slot>) {
        let mut copied = self.snapshot.iter();
        let mut offset = 0u64;
        for slot in kept {
            if slot.offset >= self.end {
                slot.offset = slot.offset - self.end + self.copied;
                continue;
            }
            // Both run in file order, and a line kept now was kept then.
            for old in copied.by_ref() {
                let at = offset;
                offset += u64::from(old.len) + 1;
                if old.offset == slot.offset {
                    slot.offset = at;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(offset: u64, len: u32) -> Slot {
        Slot {
            offset,
            len,
            subscriber: 0,
            at: 0,
        }
    }

    #[test]
    fn offsets_follow_their_lines_into_the_new_file() {
        // GIVEN an old file of lines at 0 (len 9), 10 (dropped before), 20, 30 and a
        // tail from 40; the snapshot kept 0, 20 and 30, and 20 was dropped since
        let relocation = Relocation {
            snapshot: Arc::new(vec![slot(0, 9), slot(20, 9), slot(30, 4)]),
            end: 40,
            copied: 25,
        };
        let mut kept = [slot(0, 9), slot(30, 4), slot(40, 9), slot(50, 3)];
        // WHEN they are relocated
        relocation.apply(kept.iter_mut());
        // THEN each lands where the copy put it: 0, then after 0 and 20 (which still
        // takes room), then the tail after the 25 copied bytes
        let offsets: Vec<u64> = kept.iter().map(|s| s.offset).collect();
        assert_eq!(offsets, [0, 20, 25, 35]);
    }

    #[test]
    fn the_copy_holds_the_kept_lines_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.ndjson");
        std::fs::write(&path, "aaaa\nbb\ncccccc\nd\n").unwrap();
        let kept = [slot(0, 4), slot(8, 6), slot(15, 1)];
        let target = scratch_path(&path);
        let source = File::open(&path).unwrap();
        let n = copy_lines(&source, &kept, &mut File::create(&target).unwrap()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "aaaa\ncccccc\nd\n"
        );
        assert_eq!(n, 14);
    }
}
