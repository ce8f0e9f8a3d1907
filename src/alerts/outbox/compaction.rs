//! Rewriting the outbox file without the notifications retention dropped, beside
//! the writer rather than in its way.
//!
//! A rewrite copies every kept line: gigabytes when a hundred thousand searches each
//! keep a thousand notifications. Done on the alerts' own thread it stalled the
//! projection for seconds, and every notification told meanwhile waited (seven
//! seconds at 100k saved searches). So a [`Compaction`] does the work on a thread of
//! its own, while the writer goes on appending to the old file:
//!
//! 1. it lists the kept lines a chunk at a time (each chunk a short read lock on the
//!    index, so that listing ten million lines never holds the writer up) and copies
//!    them into a new file;
//! 2. it follows the writer, copying what each commit appends (the tail);
//! 3. the writer finishes it before a commit, once the copy is close behind (a
//!    commit may append a hundred megabytes, which the writer would otherwise copy
//!    itself): it stops the copy, copies what is left, adds a commit line, syncs, and
//!    renames the new file over the old one;
//! 4. the index's offsets move to the new file a share per commit ([`Relocation`]):
//!    until a notification's offset has moved, readers read it from the old file,
//!    which stays open (and whole) until the last offset has moved.
//!
//! A crash at any point leaves the old file whole (the new one is renamed into place
//! only once complete); a leftover new file is removed on open. A clean stop waits
//! for a running copy and finishes it.

use super::entries::Slot;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Bytes of the old file read at a time while copying.
const WINDOW: u64 = 8 << 20;

/// Where a compaction writes: beside the outbox, removed on open if a crash left it.
pub fn scratch_path(outbox: &Path) -> PathBuf {
    outbox.with_extension("compacting")
}

/// How close behind the writer the copy must be for the writer to finish it: what
/// is left is copied while the writer waits.
const CATCH_UP: u64 = 1 << 20;

/// How long the copy waits for the writer's next commit when it has caught up.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(5);

/// Where a line of the old file is: all the copy and the relocation need of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// Where its line starts.
    pub offset: u64,
    /// Its length, without the newline.
    pub len: u32,
}

impl Span {
    /// Where the next line starts: after this one's newline.
    fn end(&self) -> u64 {
        self.offset + u64::from(self.len) + 1
    }
}

/// Lists the kept lines before the compaction's start, in file order, a chunk per
/// call; an empty chunk ends the list.
pub type KeptLines = Box<dyn FnMut() -> Vec<Span> + Send>;

/// A rewrite in progress.
pub struct Compaction {
    /// The old file's committed length when it started: every line it copies first
    /// lies before it, everything after it is the tail.
    end: u64,
    /// Dropped lines the old file held when it started, which the new one does not.
    pub dropped_before: usize,
    /// The old file's committed length, as the writer moves it.
    committed: Arc<AtomicU64>,
    /// How far the copy has come in the old file (0 until the kept lines are
    /// copied and the tail is being followed).
    copied_to: Arc<AtomicU64>,
    /// Tells the copy to stop following the writer.
    stop: Arc<AtomicBool>,
    thread: JoinHandle<io::Result<Copied>>,
}

/// What the copying thread wrote.
struct Copied {
    /// The lines copied before the tail, in file order.
    copied: Vec<Span>,
    /// Bytes of those lines.
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
    /// How the index's offsets move.
    pub relocation: Relocation,
}

impl Compaction {
    /// Starts copying the lines `kept` lists (in file order, all before `end`, the
    /// committed length) from the file at `path` to its scratch file; then the tail,
    /// following the writer (see [`Compaction::committed`]) until it is finished.
    pub fn start(
        path: &Path,
        mut kept: KeptLines,
        end: u64,
        dropped_before: usize,
    ) -> io::Result<Compaction> {
        let source = File::open(path)?;
        let target = scratch_path(path);
        let committed = Arc::new(AtomicU64::new(end));
        let copied_to = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (committed, copied_to, stop) = (committed.clone(), copied_to.clone(), stop.clone());
            std::thread::Builder::new()
                .name("outbox-compaction".into())
                .spawn(move || {
                    yield_to_the_service();
                    let mut out = BufWriter::with_capacity(1 << 20, File::create(&target)?);
                    let mut copied = Vec::new();
                    let mut lines = 0;
                    loop {
                        let chunk = kept();
                        if chunk.is_empty() {
                            break;
                        }
                        lines += copy_lines(&source, &chunk, &mut out)?;
                        copied.extend_from_slice(&chunk);
                        // Synced a chunk at a time: gigabytes left to the kernel's
                        // write-back made each commit's own sync wait behind them
                        // (a tenth of a second instead of a few milliseconds).
                        out.flush()?;
                        out.get_ref().sync_data()?;
                    }
                    let mut file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
                    let mut tail_to = end;
                    copied_to.store(end, Ordering::Release);
                    while !stop.load(Ordering::Acquire) {
                        let now = committed.load(Ordering::Acquire);
                        if now == tail_to {
                            std::thread::sleep(FOLLOW_EVERY);
                            continue;
                        }
                        copy_range(&source, tail_to..now, &mut file)?;
                        // On disk here, so that finishing syncs only the last of it.
                        file.sync_data()?;
                        tail_to = now;
                        copied_to.store(tail_to, Ordering::Release);
                    }
                    Ok(Copied {
                        copied,
                        lines,
                        tail_to,
                        file,
                    })
                })?
        };
        Ok(Compaction {
            end,
            dropped_before,
            committed,
            copied_to,
            stop,
            thread,
        })
    }

    /// Tells the copy how far the old file is committed now, so that it can copy
    /// the tail while the writer goes on.
    pub fn committed(&self, length: u64) {
        self.committed.store(length, Ordering::Release);
    }

    /// Whether finishing now would copy little: the kept lines are copied and the
    /// tail is close behind `length`, the old file's committed length (or the copy
    /// failed, which finishing reports).
    pub fn is_close_behind(&self, length: u64) -> bool {
        let copied = self.copied_to.load(Ordering::Acquire);
        self.thread.is_finished() || (copied > 0 && length - copied <= CATCH_UP)
    }

    /// Stops the copy and waits for it; then appends the rest of the old file's tail (up to
    /// `committed`) and `commit_line` to the new file, syncs it and renames it over
    /// the old one. The new file's handles are opened before the rename, so that on
    /// any failure the writer simply goes on with the old file.
    pub fn finish(self, path: &Path, committed: u64, commit_line: &[u8]) -> io::Result<Finished> {
        self.stop.store(true, Ordering::Release);
        let Copied {
            copied,
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
                copied,
                end: self.end,
                copied_bytes: lines,
                next: 0,
                at: 0,
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

/// Copies the lines of `spans` (in file order) from `source` to `out`, reading a
/// window of the old file at a time. Returns the bytes written.
fn copy_lines(source: &File, spans: &[Span], out: &mut impl Write) -> io::Result<u64> {
    let mut buf = Vec::new();
    let mut written = 0u64;
    let mut i = 0;
    while i < spans.len() {
        let start = spans[i].offset;
        let mut j = i + 1;
        while j < spans.len() && spans[j].end() - start <= WINDOW {
            j += 1;
        }
        let end = spans[j - 1].end();
        buf.resize((end - start) as usize, 0);
        source.read_exact_at(&mut buf, start)?;
        for s in &spans[i..j] {
            let from = (s.offset - start) as usize;
            out.write_all(&buf[from..from + s.len as usize + 1])?;
            written += u64::from(s.len) + 1;
        }
        i = j;
    }
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

/// How the offsets of the old file map onto the new one, applied notification by
/// notification in file order, in as many steps as the writer likes.
pub struct Relocation {
    /// The lines copied before the tail, in file order (including those dropped
    /// since, which still take their room in the new file).
    copied: Vec<Span>,
    /// Where the tail started in the old file.
    end: u64,
    /// Bytes of `copied`: where the tail starts in the new file.
    copied_bytes: u64,
    /// The first line of `copied` not yet passed.
    next: usize,
    /// Where that line is in the new file.
    at: u64,
}

impl Relocation {
    /// Moves `slot` to its place in the new file. Slots must come in file order,
    /// and each must be kept now (a line kept now was kept when it was copied).
    pub fn relocate(&mut self, slot: &mut Slot) {
        if slot.offset >= self.end {
            slot.offset = slot.offset - self.end + self.copied_bytes;
            return;
        }
        while let Some(old) = self.copied.get(self.next) {
            let at = self.at;
            self.next += 1;
            self.at += u64::from(old.len) + 1;
            if old.offset == slot.offset {
                slot.offset = at;
                return;
            }
        }
        debug_assert!(false, "a kept line at {} was not copied", slot.offset);
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

    fn span(offset: u64, len: u32) -> Span {
        Span { offset, len }
    }

    #[test]
    fn offsets_follow_their_lines_into_the_new_file() {
        // GIVEN an old file of lines at 0 (len 9), 10 (dropped before), 20, 30 and a
        // tail from 40; the copy kept 0, 20 and 30, and 20 was dropped since
        let mut relocation = Relocation {
            copied: vec![span(0, 9), span(20, 9), span(30, 4)],
            end: 40,
            copied_bytes: 25,
            next: 0,
            at: 0,
        };
        let mut kept = [slot(0, 9), slot(30, 4), slot(40, 9), slot(50, 3)];
        // WHEN they are relocated, in two steps
        let (first, rest) = kept.split_at_mut(1);
        relocation.relocate(&mut first[0]);
        for s in rest {
            relocation.relocate(s);
        }
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
        let kept = [span(0, 4), span(8, 6), span(15, 1)];
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
