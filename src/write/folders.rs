//! Output folders made by folder threads while pages render.
//!
//! A 60,000-article site needs ~128,000 folders (`kb/151/Q151228/`, `/Q151228/`, …), and on
//! ext4 `mkdir` is kernel work done under the parent folder's lock: several threads making
//! folders in one parent mostly spin on that lock (a 60k profile: 12% of all CPU samples in
//! `rwsem_spin_on_owner`), and two threads made them barely faster than one. So folders are
//! made by threads that never share a parent (one for the output's top folder, one per core for
//! the rest, split by parent), in the order the writers need them, while the other threads
//! render; a writer whose folder is not there yet waits for the folder threads to get further
//! (see [`Folders::when_made`]). One thread for all folders was slower: it became the critical
//! path of the build.

use std::io::ErrorKind;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::measure::{nanos, thread_cpu};

use anyhow::{Context, Result};

/// Every folder a list of output files needs, once each, parents before children, in the order
/// the files first need them. Kept as one `\0`-separated string (a few MB at 60k; a `Vec` of
/// strings would be three times that).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FolderPlan {
    joined: String,
    count: usize,
}

impl FolderPlan {
    pub fn new<'a>(files: impl IntoIterator<Item = &'a str>) -> FolderPlan {
        let mut seen = std::collections::HashSet::new();
        let mut plan = FolderPlan::default();
        let mut chain = Vec::new();
        for file in files {
            let mut path = file;
            while let Some((parent, _)) = path.rsplit_once('/') {
                if !seen.insert(parent) {
                    break; // it and its ancestors are planned already
                }
                chain.push(parent);
                path = parent;
            }
            for folder in chain.drain(..).rev() {
                plan.joined.push_str(folder);
                plan.joined.push('\0');
                plan.count += 1;
            }
        }
        plan
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.joined.split_terminator('\0')
    }
}

/// How far the folder threads have got.
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    /// Folders made (or found) by all threads together.
    made: usize,
    /// Threads still making folders.
    running: usize,
    /// A thread failed: the others stop, and nobody should wait any longer.
    failed: bool,
}

impl Progress {
    fn done(&self) -> bool {
        self.running == 0 || self.failed
    }
}

/// Shared between the folder threads and the writers.
#[derive(Default)]
struct Shared {
    progress: Mutex<Progress>,
    moved: Condvar,
    /// Nanoseconds writers spent waiting for folders (summed over the writers).
    waited: AtomicU64,
    /// CPU nanoseconds of the folder threads that have finished.
    cpu: AtomicU64,
}

impl Shared {
    fn get(&self) -> Progress {
        *self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, change: impl FnOnce(&mut Progress)) {
        change(&mut self.progress.lock().unwrap_or_else(|e| e.into_inner()));
        self.moved.notify_all();
    }

    /// Blocks until more than `made` folders are made or the threads are done.
    fn wait_past(&self, made: usize) {
        let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        while progress.made <= made && !progress.done() {
            progress = self.moved.wait(progress).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The folder threads of one output folder.
#[derive(Default)]
pub struct Folders {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<Result<()>>>>,
    /// How many folders the plan holds.
    planned: usize,
}

/// Folders a thread makes between two reports to waiting writers.
const REPORT_EVERY: usize = 32;

impl Folders {
    /// Starts making `plan`'s folders under `root` on threads of their own: one for the
    /// folders directly under `root` (on a KB site, one per article for its short URL) and
    /// one per core for the others, split by parent folder so that no two threads make
    /// folders in the same parent. With `replace_files`, a file standing where a folder belongs
    /// (a reused output folder) is replaced; otherwise that is an error.
    pub fn start(root: &Path, plan: FolderPlan, replace_files: bool) -> Result<Folders> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let streams = if plan.is_empty() { 0 } else { 1 + cores.min(plan.len()) };
        let shared = Arc::new(Shared::default());
        shared.update(|p| p.running = streams);
        let planned = plan.len();
        // Which thread makes each folder, worked out once for all of them.
        let owners: Vec<usize> = plan.iter().map(|folder| stream_of(folder, streams)).collect();
        let work = Arc::new((plan, owners));
        let mut threads = Vec::with_capacity(streams);
        for stream in 0..streams {
            let (progress, work, root) = (Arc::clone(&shared), Arc::clone(&work), root.to_path_buf());
            let thread = std::thread::Builder::new().name(format!("kbsite-folders-{stream}")).spawn(move || {
                let (plan, owners) = &*work;
                let mine = plan.iter().zip(owners).filter(|&(_, &owner)| owner == stream).map(|(folder, _)| folder);
                make_stream(&root, mine, replace_files, &progress)
            });
            match thread {
                Ok(thread) => threads.push(thread),
                Err(e) => {
                    shared.update(|p| p.failed = true);
                    let folders = Folders { shared, threads: Mutex::new(threads), planned };
                    let _ = folders.finish();
                    return Err(e).context("failed to start a thread that makes output folders");
                }
            }
        }
        Ok(Folders { shared, threads: Mutex::new(threads), planned })
    }

    /// How many folders these threads make (or found made).
    pub fn planned(&self) -> usize {
        self.planned
    }

    /// Runs `make` (which creates a file); while it fails because the file's folder is not made
    /// yet, waits for the folder threads to make more and tries again. Once they are done,
    /// `make`'s error is returned as it is.
    pub fn when_made<T>(&self, make: impl Fn() -> std::io::Result<T>) -> std::io::Result<T> {
        loop {
            let before = self.shared.get();
            match make() {
                Err(e) if !before.done() && folder_missing(&e) => {
                    let waiting = Instant::now();
                    self.shared.wait_past(before.made);
                    self.shared.waited.fetch_add(nanos(waiting.elapsed()), Ordering::Relaxed);
                }
                other => return other,
            }
        }
    }

    /// How long writers waited for folders in [`Folders::when_made`], summed over the writers.
    pub fn waited(&self) -> Duration {
        Duration::from_nanos(self.shared.waited.load(Ordering::Relaxed))
    }

    /// The CPU time of the folder threads (complete once [`Folders::finish`] returned).
    pub fn cpu(&self) -> Duration {
        Duration::from_nanos(self.shared.cpu.load(Ordering::Relaxed))
    }

    /// Waits for the folder threads; the first error, if any.
    pub fn finish(&self) -> Result<()> {
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        let mut first = Ok(());
        for thread in threads {
            let result =
                thread.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a thread making output folders panicked")));
            if first.is_ok() {
                first = result;
            }
        }
        first
    }
}

impl Drop for Folders {
    /// A build that stops early still waits for its folder threads, so that nothing writes
    /// into the staging folder after the build returns.
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// `(0..n).filter_map(f)` on every thread of the current pool, handing out indices in rising
/// order (a few at a time) instead of splitting the range: outputs are then written in about the
/// order the folder threads make their folders, where a split range
/// would have each thread start waiting on a folder far down the list. Results in index order.
pub fn filter_map_in_order<T: Send>(n: usize, f: impl Fn(usize) -> Option<T> + Sync) -> Vec<T> {
    const RUN: usize = 8;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let parts: Vec<Vec<(usize, T)>> = rayon::broadcast(|_| {
        let mut part = Vec::new();
        loop {
            let start = next.fetch_add(RUN, std::sync::atomic::Ordering::Relaxed);
            if start >= n {
                return part;
            }
            part.extend((start..n.min(start + RUN)).filter_map(|i| Some((i, f(i)?))));
        }
    });
    let mut all: Vec<(usize, T)> = parts.into_iter().flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// Whether creating a file or folder failed because its folder is missing (or a file stands
/// in for it).
pub fn folder_missing(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// Which of `streams` threads makes `folder`: 0 for folders directly under the root, the others
/// by a digest of the parent folder (siblings share a thread, and a parent's lock).
fn stream_of(folder: &str, streams: usize) -> usize {
    match folder.rsplit_once('/') {
        None => 0,
        Some((parent, _)) => 1 + (xxhash_rust::xxh3::xxh3_64(parent.as_bytes()) % (streams as u64 - 1)) as usize,
    }
}

/// One folder thread: makes `folders` (its share of the plan), in plan order.
/// A folder whose parent another thread has not made yet waits for it: parents come first in
/// the plan, and every thread goes in plan order, so the thread holding the earliest folder
/// not yet made can always make it.
fn make_stream<'a>(
    root: &Path,
    mut folders: impl Iterator<Item = &'a str>,
    replace: bool,
    shared: &Shared,
) -> Result<()> {
    let mut unreported = 0;
    let result = folders.try_for_each(|folder| {
        let path = root.join(folder);
        loop {
            let before = shared.get();
            match make_one(&path, replace) {
                Err(e) if before.running > 1 && !before.failed && folder_missing(&e) => {
                    if unreported > 0 {
                        // Others may be waiting for what this thread made: tell them first.
                        shared.update(|p| p.made += std::mem::take(&mut unreported));
                    } else {
                        shared.wait_past(before.made);
                    }
                }
                other => break other,
            }
        }
        .with_context(|| format!("failed to create `{}`", path.display()))?;
        unreported += 1;
        if unreported == REPORT_EVERY {
            shared.update(|p| p.made += std::mem::take(&mut unreported));
        }
        Ok(())
    });
    shared.cpu.fetch_add(nanos(thread_cpu()), Ordering::Relaxed);
    shared.update(|p| {
        p.made += unreported;
        p.running -= 1;
        p.failed |= result.is_err();
    });
    result
}

/// Makes the folders holding `file` below `root` that are missing, parents first (for a file
/// whose folder no plan made: see `Stage::create_dirs`), replacing files in the way when asked.
pub fn make_parents(root: &Path, file: &Path, replace_files: bool) -> std::io::Result<()> {
    let Some(folder) = file.parent().and_then(|p| p.strip_prefix(root).ok()) else { return Ok(()) };
    let mut path = root.to_path_buf();
    for part in folder.components() {
        path.push(part);
        make_one(&path, replace_files)?;
    }
    Ok(())
}

fn make_one(path: &Path, replace_files: bool) -> std::io::Result<()> {
    match std::fs::create_dir(path) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && replace_files => {
            // A file of the previous site stands where this build needs a folder.
            std::fs::remove_file(path).and_then(|()| std::fs::create_dir(path))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_lists_each_folder_once_parents_first_in_order_of_need() {
        let plan = FolderPlan::new(["index.html", "kb/151/Q151228/index.html", "Q151228/index.html", "kb/151/x.css"]);
        let folders: Vec<&str> = plan.iter().collect();
        assert_eq!(folders, ["kb", "kb/151", "kb/151/Q151228", "Q151228"]);
        assert_eq!(plan.len(), 4);
        assert!(FolderPlan::new(["a.html", "b.html"]).is_empty());
    }

    #[test]
    fn writers_wait_for_their_folder() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<String> = (0..500).map(|i| format!("a/{}/b/{i}/index.html", i % 7)).collect();
        let folders = Folders::start(dir.path(), FolderPlan::new(files.iter().map(String::as_str)), false).unwrap();
        // Written from the end of the list: most folders do not exist yet when first tried.
        std::thread::scope(|s| {
            for part in files.rchunks(100) {
                let (folders, dir) = (&folders, &dir);
                s.spawn(move || {
                    for f in part.iter().rev() {
                        folders.when_made(|| std::fs::write(dir.path().join(f), f)).unwrap();
                    }
                });
            }
        });
        folders.finish().unwrap();
        for f in &files {
            assert_eq!(std::fs::read_to_string(dir.path().join(f)).unwrap(), *f);
        }
        // Every folder thread added its CPU time when it ended.
        assert!(folders.cpu() > Duration::ZERO);
    }

    #[test]
    fn a_file_outside_the_plan_fails_once_the_thread_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let folders = Folders::start(dir.path(), FolderPlan::new(["a/index.html"]), false).unwrap();
        let err = folders.when_made(|| std::fs::write(dir.path().join("b/index.html"), "x")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        folders.finish().unwrap();
        assert!(dir.path().join("a").is_dir());
    }

    #[test]
    fn a_file_in_the_way_is_replaced_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "old file").unwrap();
        let folders = Folders::start(dir.path(), FolderPlan::new(["a/index.html"]), false).unwrap();
        let err = folders.finish().unwrap_err();
        assert!(format!("{err:#}").contains("failed to create"), "{err:#}");
        let folders = Folders::start(dir.path(), FolderPlan::new(["a/index.html"]), true).unwrap();
        folders.when_made(|| std::fs::write(dir.path().join("a/index.html"), "x")).unwrap();
        folders.finish().unwrap();
        assert!(dir.path().join("a").is_dir());
    }
}
