//! Write: output goes to a staging folder beside the output and is swapped in only when the
//! whole build succeeded, so a failed build leaves the previous site intact.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::incremental::fingerprint;
use folders::{FolderPlan, Folders};
use listing::{list_tree, KnownFolders, Skip};
pub use manifest::{content_digest, source_digest, Entry, Manifest, Recorder, Stamp, HIGHLIGHTED, TREE};

pub mod folders;
pub mod listing;
pub mod manifest;

/// Where rendered output goes: a staging folder on disk, or `kbsite check`'s in-memory record.
pub trait Sink: Sync {
    /// Makes every folder the given output files need, once each (perhaps while files are
    /// written: see [`Stage::create_dirs`]).
    fn create_dirs(&self, files: &mut dyn Iterator<Item = &str>) -> Result<()>;
    /// Waits until the folders asked for are made.
    fn finish_dirs(&self) -> Result<()> {
        Ok(())
    }
    /// Writes one output file (its folder exists).
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<()>;
    /// Writes an output made from inputs with digest `key`, noting `flags` (see [`Stage::reuse`]).
    fn write_made(&self, rel: &str, key: u64, flags: u8, bytes: &[u8]) -> Result<()> {
        let _ = (key, flags);
        self.write(rel, bytes)
    }
    /// The previous build's output `rel`, kept because it was made from the same inputs; `None`:
    /// render it.
    fn reuse(&self, rel: &str, key: u64) -> Option<Kept> {
        let _ = (rel, key);
        None
    }
    /// Keeps the previous build's subtree `tree/` when it was made from the same inputs.
    fn reuse_tree(&self, tree: &str, key: u64) -> bool {
        let _ = (tree, key);
        false
    }
    /// Notes that subtree `tree/`, just written by its own writer, was made from inputs `key`;
    /// `files` (relative to `tree/`) are the writer's own.
    fn record_tree(&self, tree: &str, key: u64, files: &[String]) -> Result<()> {
        let _ = (tree, key, files);
        Ok(())
    }
    /// Copies a file unchanged; returns its size.
    fn copy(&self, from: &Path, rel: &str) -> Result<u64>;
    /// The folder being written, for writers that need a real path (the search index).
    fn dir(&self) -> Option<&Path> {
        None
    }
}

impl Sink for Stage {
    fn create_dirs(&self, files: &mut dyn Iterator<Item = &str>) -> Result<()> {
        Stage::create_dirs(self, files)
    }
    fn finish_dirs(&self) -> Result<()> {
        Stage::finish_dirs(self)
    }
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        Stage::write(self, rel, bytes)
    }
    fn write_made(&self, rel: &str, key: u64, flags: u8, bytes: &[u8]) -> Result<()> {
        Stage::write_made(self, rel, key, flags, bytes)
    }
    fn reuse(&self, rel: &str, key: u64) -> Option<Kept> {
        Stage::reuse(self, rel, key)
    }
    fn reuse_tree(&self, tree: &str, key: u64) -> bool {
        Stage::reuse_tree(self, tree, key)
    }
    fn record_tree(&self, tree: &str, key: u64, files: &[String]) -> Result<()> {
        Stage::record_tree(self, tree, key, files)
    }
    fn copy(&self, from: &Path, rel: &str) -> Result<u64> {
        Stage::copy(self, from, rel)
    }
    fn dir(&self) -> Option<&Path> {
        Some(&self.dir)
    }
}

/// A build's output under construction, in `<output>.kbsite-new`.
///
/// The folder of the site before the current one (`<output>.kbsite-old`, kept by the last swap)
/// is reused as the staging folder: files are overwritten in place (see [`overwrite`]), folders
/// already exist, and only what the new build no longer produces is removed at the end. On this
/// kind of disk, creating files soon after deleting many costs 2–4×, so a rebuild that deleted
/// and recreated 250,000 entries paid twice; reuse pays neither.
///
/// The reused folder's [`Manifest`] says what each of its files holds and was made from: a file
/// that would be written with the same bytes is left alone ([`Stage::write`]), and one whose
/// inputs are unchanged need not even be rendered ([`Stage::reuse`]). The live output's manifest
/// serves the same way for files the reused folder does not have as they are now (a new folder
/// has none; a reused one is two builds old): those are hard-linked from the live output
/// (`Stage::link_live`). Every file this build leaves is recorded for the next build that reuses
/// this folder.
/// The live output is untouched until [`Stage::commit`] renames it aside.
pub struct Stage {
    pub output: PathBuf,
    pub dir: PathBuf,
    /// What the reused folder held (nothing for a new folder, or one an interrupted build left).
    previous: Manifest,
    /// What the live output holds, when it has a manifest: its files this build would make again
    /// as they are are hard-linked from it (see `Stage::link_live`). Read at the first file this
    /// folder does not have as current (never, in a build that changes nothing).
    live: OnceLock<Manifest>,
    /// Hard links work here (cleared at the first failure other than a missing file).
    links_work: AtomicBool,
    /// The build settings input keys are computed under; a manifest's keys count only when equal.
    global: u64,
    /// Every file this build left in the folder (written, copied or kept).
    recorded: Recorder,
    /// The threads making this build's folders (see [`Stage::create_dirs`]).
    folders: OnceLock<Folders>,
    /// Subtrees whose writer cleans up after itself (the search index).
    owned_trees: Mutex<Vec<String>>,
    reused: bool,
    /// Keys are recorded but no file is kept by them (`kbsite build --full`).
    render_everything: bool,
    /// Stale files were removed.
    cleaned: AtomicBool,
    /// Files kept because their inputs were unchanged (not made again).
    kept: AtomicU64,
    /// Files made again with the bytes they had, so left alone.
    unchanged: AtomicU64,
}

/// A file [`Stage::reuse`] kept: what the manifest says of it.
#[derive(Debug, Clone, Copy)]
pub struct Kept {
    pub len: u64,
    pub flags: u8,
}

impl Stage {
    /// Prepares `<output>.kbsite-new`: the previous site's folder when there is one, a folder
    /// left by an interrupted build, or a new empty one. `global` digests the build settings
    /// (program, configuration, templates) that input keys depend on.
    pub fn create(output: &Path, global: u64) -> Result<Stage> {
        let dir = sibling(output, "kbsite-new");
        let old = sibling(output, "kbsite-old");
        if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        // The manifest of a folder being reused is read and removed: once this build starts
        // writing, it no longer describes the folder (a new one is written by `commit`).
        let old_manifest = manifest_path(&old);
        let (reused, previous) = if dir.is_dir() {
            (true, Manifest::default()) // left by an interrupted build: no manifest describes it
        } else if old.is_dir() {
            std::fs::rename(&old, &dir).with_context(|| format!("failed to reuse `{}`", old.display()))?;
            (true, Manifest::read(&old_manifest).unwrap_or_default())
        } else {
            std::fs::create_dir(&dir).with_context(|| format!("failed to create `{}`", dir.display()))?;
            (false, Manifest::default())
        };
        remove_if_present(&old_manifest)?;
        remove_if_present(&manifest_path(&dir))?;
        Ok(Stage {
            output: output.to_path_buf(),
            dir,
            previous,
            live: OnceLock::new(),
            links_work: AtomicBool::new(true),
            global,
            recorded: Recorder::default(),
            folders: OnceLock::new(),
            owned_trees: Mutex::new(Vec::new()),
            reused,
            render_everything: false,
            cleaned: AtomicBool::new(false),
            kept: AtomicU64::new(0),
            unchanged: AtomicU64::new(0),
        })
    }

    /// Makes every file again: [`Stage::reuse`] and [`Stage::reuse_tree`] keep nothing, while
    /// keys are still recorded for the next build.
    pub fn render_everything(&mut self) {
        self.render_everything = true;
    }

    /// How many files were kept from the reused folder without being made again.
    pub fn kept(&self) -> u64 {
        self.kept.load(Ordering::Relaxed)
    }

    /// How many files were made again with the bytes the reused folder had (not written).
    pub fn unchanged(&self) -> u64 {
        self.unchanged.load(Ordering::Relaxed)
    }

    /// Whether input key `key` may keep a file at all: a real key, and not a `--full` build.
    fn may_keep(&self, key: u64) -> bool {
        key != 0 && !self.render_everything
    }

    /// Whether `manifest`'s build had this build's settings (else none of its files is kept).
    fn same_settings(&self, manifest: &Manifest) -> bool {
        manifest.global == self.global
    }

    /// The reused folder's entry for `rel` when its file is still exactly as recorded.
    fn intact_here(&self, rel: &str) -> Option<Entry> {
        let entry = self.previous.get(rel)?;
        (Stamp::at(&self.dir.join(rel)) == Some(entry.stamp)).then_some(entry)
    }

    /// The live output's manifest. Its files are linked where this folder has nothing as
    /// current: all of them in a new folder (the second build into an output), and in a reused
    /// folder, which is two builds old, those that changed in the last build (else every build
    /// after a change would make them again).
    fn live(&self) -> &Manifest {
        self.live.get_or_init(|| match Manifest::read(&manifest_path(&self.output)) {
            Some(live) if self.output.is_dir() => live,
            _ => Manifest::default(),
        })
    }

    /// The live output's entry for `rel` when its file is still exactly as recorded.
    fn intact_live(&self, rel: &str) -> Option<Entry> {
        let entry = self.live().get(rel)?;
        (Stamp::at(&self.output.join(rel)) == Some(entry.stamp)).then_some(entry)
    }

    /// Puts a hard link to the live output's file `rel` (intact, as `entry`) into this build's
    /// folder, in place of whatever file of a reused folder is there (the same inode, so the same
    /// stamp). False when that cannot be done; the caller then makes the file.
    ///
    /// Sharing inodes with the live site is safe because nothing writes into a file in place
    /// while it has another link: [`overwrite`] and [`Stage::copy`] replace such a file instead.
    fn link_live(&self, rel: &str, entry: &Entry) -> bool {
        if !self.links_work.load(Ordering::Relaxed) {
            return false;
        }
        let (from, to) = (self.output.join(rel), self.dir.join(rel));
        // A reused folder's own, older file is replaced (a folder there is left to the writer).
        let linked = self.when_made(&to, || hard_link_over(&from, &to, self.reused));
        if let Err(e) = linked {
            if !matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::AlreadyExists) {
                self.links_work.store(false, Ordering::Relaxed); // say, a file system without links
            }
            return false;
        }
        self.recorded.record(rel, entry);
        true
    }

    /// Keeps the file `rel` when it was made from inputs with digest `key` under the same build
    /// settings and is untouched since: the reused folder's own, else the live output's (linked).
    /// The caller then need not render it. `None` when it must be made (and written with
    /// [`Stage::write_made`]).
    pub fn reuse(&self, rel: &str, key: u64) -> Option<Kept> {
        if !self.may_keep(key) {
            return None; // before `live()`, which reads the live manifest
        }
        let made_from = |e: &Entry| e.key == key;
        let entry = if let Some(entry) =
            self.same_settings(&self.previous).then(|| self.intact_here(rel)).flatten().filter(made_from)
        {
            self.recorded.record(rel, &entry);
            entry
        } else {
            let entry = self.same_settings(self.live()).then(|| self.intact_live(rel)).flatten().filter(made_from)?;
            if !self.link_live(rel, &entry) {
                return None;
            }
            entry
        };
        self.kept.fetch_add(1, Ordering::Relaxed);
        Some(Kept { len: entry.stamp.len, flags: entry.flags })
    }

    /// Keeps every file under `tree/` when the tree was made from inputs with digest `key` and
    /// none of its files changed since (see [`Stage::record_tree`]): the reused folder's tree in
    /// place, else the live output's, linked.
    pub fn reuse_tree(&self, tree: &str, key: u64) -> bool {
        if !self.may_keep(key) {
            return false;
        }
        let marker = format!("{tree}/");
        // Only the tree writer's own files: others under it (a page there) are written and
        // kept one by one.
        let tree_files = |manifest: &'_ Manifest, folder: &Path| -> Option<Vec<(String, Entry)>> {
            if !self.same_settings(manifest) || manifest.get(&marker).map(|e| e.key) != Some(key) {
                return None;
            }
            let files: Vec<(String, Entry)> = manifest
                .under(&marker)
                .filter(|(_, e)| e.flags & TREE != 0)
                .map(|(rel, e)| (rel.to_string(), e))
                .collect();
            files.par_iter().all(|(rel, e)| Stamp::at(&folder.join(rel)) == Some(e.stamp)).then_some(files)
        };
        let files = match tree_files(&self.previous, &self.dir) {
            Some(files) if self.reused => files,
            _ => match tree_files(self.live(), &self.output) {
                Some(files) if self.link_live_tree(tree, &files) => files,
                _ => return false,
            },
        };
        for (rel, e) in &files {
            self.recorded.record(rel, e); // the tree's files are not outputs of the report
        }
        self.recorded.record(&marker, &Entry { key, ..Entry::default() });
        true
    }

    /// Makes this folder's `tree/` the live output's: its tree `files` hard-linked in place of
    /// the folder's own, and the tree files the live one does not have removed (a page under
    /// `tree/`, written by someone else, stays). The tree's writer makes its own subfolders, so
    /// an empty one is not made here (see `search::make_folders`). False when a link cannot be
    /// made: the writer then writes the tree, over what is there.
    fn link_live_tree(&self, tree: &str, files: &[(String, Entry)]) -> bool {
        if !self.links_work.load(Ordering::Relaxed) {
            return false;
        }
        let prefix = format!("{tree}/");
        let keep: HashSet<&str> = files.iter().map(|(rel, _)| rel.as_str()).collect();
        let written_here: HashSet<String> =
            self.recorded.lock().paths().filter(|p| p.starts_with(&prefix)).map(str::to_string).collect();
        let root = self.dir.join(tree);
        let stale = match root.is_dir() {
            true => list_tree(
                &root,
                &io_pool(),
                &|_| false,
                &|rel, is_dir| {
                    let rel = format!("{prefix}{rel}");
                    // Left alone: a file the previous build recorded as not the tree writer's (its
                    // writer comes later in this build, as `search/search.js` does).
                    let others = self.previous.get(&rel).is_some_and(|e| e.flags & TREE == 0);
                    !is_dir && !keep.contains(rel.as_str()) && !written_here.contains(&rel) && !others
                },
                None,
            ),
            false => Ok(Vec::new()),
        };
        let Ok(stale) = stale else { return false };
        let linked = stale.iter().try_for_each(|(rel, _)| std::fs::remove_file(root.join(rel))).and_then(|()| {
            files.iter().try_for_each(|(rel, _)| {
                let (from, to) = (self.output.join(rel), self.dir.join(rel));
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                hard_link_over(&from, &to, true)
            })
        });
        linked.is_ok()
    }

    /// Records the files a tree's writer just wrote under `tree/` (`files`, relative to it) as
    /// its own, and that the tree was made from inputs with digest `key` (for
    /// [`Stage::reuse_tree`] in a later build). Other files under `tree/` are not recorded by
    /// it: a page there is recorded by its own writer, and one the site no longer has is removed
    /// by [`Stage::commit`]. The tree's writer must write with [`overwrite`]: a reused folder's
    /// tree may share its files with the live site.
    pub fn record_tree(&self, tree: &str, key: u64, files: &[String]) -> Result<()> {
        record_tree_files(&self.recorded, &self.dir, tree, key, files)
    }

    /// Declares that everything under `rel/` was written by a writer that removes its own stale
    /// files (so [`Stage::commit`] leaves that subtree alone).
    pub fn own_tree(&self, rel: &str) {
        self.owned_trees.lock().unwrap_or_else(|e| e.into_inner()).push(format!("{rel}/"));
    }

    /// Starts making every folder the given output files need, once each, parents first, in the
    /// order the files need them, on threads of their own (see [`folders`]): writes of files whose
    /// folder is not made yet wait for it. A reused folder already has the folders of the files
    /// its manifest lists: only the others are made (one removed since is made by the write that
    /// needs it), so a rebuild of an unchanged site makes none of its ~128,000 folders again.
    pub fn create_dirs<'a>(&self, files: impl Iterator<Item = &'a str>) -> Result<()> {
        let files: Vec<&str> = files.collect();
        self.recorded.reserve(files.iter().copied());
        // A new folder's manifest is empty: every folder is planned.
        let new: Vec<&str> = files.par_iter().copied().filter(|f| self.previous.get(f).is_none()).collect();
        let started = Folders::start(&self.dir, FolderPlan::new(new), self.reused)?;
        if let Err(again) = self.folders.set(started) {
            again.finish()?; // a second call: its folders are made before it returns
        }
        Ok(())
    }

    /// How many folders [`Stage::create_dirs`] set out to make.
    pub fn folders_to_make(&self) -> usize {
        self.folders.get().map_or(0, Folders::planned)
    }

    /// Waits until every folder asked of [`Stage::create_dirs`] is made; the first failure.
    pub fn finish_dirs(&self) -> Result<()> {
        self.folders.get().map_or(Ok(()), Folders::finish)
    }

    /// How long writers waited for folders, and the folder threads' CPU time (see
    /// [`Folders::waited`], [`Folders::cpu`]).
    pub fn folder_time(&self) -> (Duration, Duration) {
        self.folders.get().map_or_else(Default::default, |f| (f.waited(), f.cpu()))
    }

    /// Runs `make`, which creates the file at `path`, once the file's folder is made.
    fn when_made<T>(&self, path: &Path, make: impl Fn() -> std::io::Result<T>) -> std::io::Result<T> {
        let made = match self.folders.get() {
            Some(folders) => folders.when_made(&make),
            None => make(),
        };
        match made {
            // A folder the plan left to the reused folder, gone since (see `create_dirs`).
            Err(e) if self.reused && folders::folder_missing(&e) => {
                folders::make_parents(&self.dir, path, true)?;
                make()
            }
            other => other,
        }
    }

    /// Writes one file; its folder must exist (see [`Stage::create_dirs`]). A file of the reused
    /// folder that already holds these bytes (by the manifest's digest, and untouched since) is
    /// left alone; otherwise it is overwritten in place (see [`overwrite`]), not read first: the
    /// previous site is usually out of the page cache by the next build, and reading it back to
    /// skip identical files cost more than writing them (a 60k rebuild went from ~12 to ~27 s).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.write_made(rel, 0, 0, bytes)
    }

    /// [`Stage::write`] for a file made from inputs with digest `key` (0: none), recording `key`
    /// and `flags` for [`Stage::reuse`].
    pub fn write_made(&self, rel: &str, key: u64, flags: u8, bytes: &[u8]) -> Result<()> {
        let content = content_digest(bytes);
        let same_bytes = |e: &Entry| e.content == content;
        if let Some(entry) = self.intact_here(rel).filter(same_bytes) {
            self.recorded.record(rel, &Entry { key, flags, ..entry });
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        if let Some(entry) = self.intact_live(rel).filter(same_bytes) {
            if self.link_live(rel, &Entry { key, flags, ..entry }) {
                self.unchanged.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
        }
        let path = self.dir.join(rel);
        // In a new folder, only a file linked from the live site can be in the way (it never is:
        // each output is made once); `overwrite` would replace it rather than write through.
        let written = if self.reused || !self.live().is_empty() {
            self.when_made(&path, || self.replacing_folder(&path, || overwrite(&path, bytes)))
        } else {
            self.when_made(&path, || write_new(&path, bytes))
        };
        let meta = written.with_context(|| format!("failed to write `{}`", path.display()))?;
        let stamp = Stamp::of(&meta).unwrap_or_default();
        self.recorded.record(rel, &Entry { key, content, stamp, flags });
        Ok(())
    }

    /// Copies a file unchanged; returns its size. A copy the reused folder already has (same
    /// source path, size and time as recorded; untouched since) is kept.
    pub fn copy(&self, from: &Path, rel: &str) -> Result<u64> {
        let to = self.dir.join(rel);
        let source = std::fs::metadata(from)
            .ok()
            .and_then(|m| Stamp::of(&m))
            .map(|s| fingerprint::finish(fingerprint::hash_of(&(from, s.len, s.mtime_sec, s.mtime_nsec))));
        if let Some(kept) = source.and_then(|key| self.reuse(rel, key)) {
            return Ok(kept.len);
        }
        let n = self
            .when_made(&to, || self.replacing_folder(&to, || unshare(&to).and_then(|()| std::fs::copy(from, &to))))
            .with_context(|| format!("failed to copy `{}` to `{}`", from.display(), to.display()))?;
        let stamp = Stamp::at(&to).unwrap_or_default();
        self.recorded.record(rel, &Entry { key: source.unwrap_or(0), stamp, ..Entry::default() });
        Ok(n)
    }

    /// Runs `make` (which creates the file at `path`); when a reused folder has a folder of the
    /// previous site there, removes that folder and runs `make` again.
    fn replacing_folder<T>(&self, path: &Path, make: impl Fn() -> std::io::Result<T>) -> std::io::Result<T> {
        match make() {
            Err(_) if self.reused && path.is_dir() => {
                std::fs::remove_dir_all(path)?;
                make()
            }
            other => other,
        }
    }

    /// Removes what a reused folder holds that this build did not leave in it (files first, then
    /// folders left empty). Call it once everything outside the owned trees is written;
    /// [`Stage::commit`] calls it if nobody did. Owned trees are not even listed (their writer may
    /// be at work in them): `commit` clears them out once every writer is done.
    pub fn remove_stale(&self) -> Result<()> {
        self.finish_dirs()?;
        if !self.reused || self.cleaned.swap(true, Ordering::Relaxed) {
            return Ok(());
        }
        let owned = self.owned_trees();
        // A tree is named with its `/`: an entry under it, or the tree's folder itself.
        let is_owned =
            |rel: &str| owned.iter().any(|t| rel.starts_with(t.as_str()) || t.strip_suffix('/') == Some(rel));
        self.remove_unproduced("", &is_owned, Prune::Unneeded)
    }

    /// Removes from the owned trees of a reused folder the files this build did not leave there,
    /// and the folders that leaves empty. Their writers remove only stale files of their own (the
    /// search index's `d/`, `p/`, … files), so a page under `search/` that the site no longer has
    /// would otherwise stay. Other folders are left alone: a writer may keep empty ones (the
    /// index's `p/` of a small site). Call it once every writer is done and has recorded its files.
    fn remove_stale_in_owned_trees(&self) -> Result<()> {
        if !self.reused {
            return Ok(());
        }
        for tree in self.owned_trees() {
            let tree = tree.trim_end_matches('/');
            if self.dir.join(tree).is_dir() {
                self.remove_unproduced(tree, &|_| false, Prune::EmptiedOnly)?;
            }
        }
        Ok(())
    }

    fn owned_trees(&self) -> Vec<String> {
        self.owned_trees.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Removes every file under folder `under` (`""`: the whole folder) that this build did not
    /// record, then folders as `prune` says; `skip` leaves entries (and what is under them) alone,
    /// by path relative to `under`. For the whole folder, the folders whose entries are then
    /// exactly this build's are recorded with their stamps (see [`KnownFolders`]), and folders
    /// the previous build recorded so are not read again while their stamps hold.
    fn remove_unproduced(&self, under: &str, skip: &Skip<'_>, prune: Prune) -> Result<()> {
        // Folders changed within this margin of the listing are not recorded: a change right
        // after the stamp was taken could leave the time as it was (coarse file system clocks).
        const SETTLED: Duration = Duration::from_secs(2);
        let listed_at = std::time::SystemTime::now();
        let whole = under.is_empty() && prune == Prune::Unneeded;
        let known = whole.then(|| KnownFolders::new(&self.previous, listed_at - SETTLED, &self.recorded));
        let prefix = if under.is_empty() { String::new() } else { format!("{under}/") };
        let root = if under.is_empty() { self.dir.clone() } else { self.dir.join(under) };
        let pool = io_pool();
        let listing = {
            let recorded = self.recorded.lock();
            // Relative to `under`, as the listing gives them.
            // FxHash: ~130,000 paths at 60k, each looked up once by the listing.
            let produced: FxHashSet<&str> = recorded.paths().filter_map(|p| p.strip_prefix(prefix.as_str())).collect();
            // Folders holding a produced file stay; only the others may have become empty.
            let mut needed: FxHashSet<&str> = FxHashSet::default();
            if prune == Prune::Unneeded {
                produced.iter().for_each(|file| add_folders_of(file, &mut needed));
            }
            // Only what is stale is collected (not all 260,000 entries of a 60k site).
            let is_stale = |rel: &str, is_dir: bool| match is_dir {
                true => prune == Prune::Unneeded && !needed.contains(rel),
                false => !produced.contains(rel),
            };
            list_tree(&root, &pool, skip, &is_stale, known.as_ref())?
        };
        let (dirs, files): (Vec<_>, Vec<_>) = listing.iter().partition(|(_, is_dir)| *is_dir);
        pool.install(|| {
            files.par_iter().try_for_each(|(rel, _)| {
                let path = root.join(rel);
                std::fs::remove_file(&path).with_context(|| format!("failed to remove `{}`", path.display()))
            })
        })?;
        let mut stale_dirs: HashSet<&str> = dirs.iter().map(|(rel, _)| rel.as_str()).collect();
        if prune == Prune::EmptiedOnly {
            // The folders of the removed files, and theirs, up to `under`.
            files.iter().for_each(|(file, _)| add_folders_of(file, &mut stale_dirs));
        }
        let mut stale_dirs: Vec<&str> = stale_dirs.into_iter().collect();
        // Deepest first, so children go before their parents; folders still holding something stay.
        stale_dirs.sort_by_key(|rel| std::cmp::Reverse(rel.matches('/').count()));
        for rel in stale_dirs {
            let _ = std::fs::remove_dir(root.join(rel));
        }
        Ok(())
    }

    /// Swaps the staged site in: the live output is renamed to `<output>.kbsite-old` (kept, to be
    /// reused by the next build), the stage renamed into place, and its manifest written beside
    /// it. Between the two renames the output briefly does not exist, but it is never
    /// half-written.
    pub fn commit(self) -> Result<()> {
        self.remove_stale()?;
        self.remove_stale_in_owned_trees()?;
        let old = sibling(&self.output, "kbsite-old");
        if old.exists() {
            std::fs::remove_dir_all(&old).with_context(|| format!("failed to remove `{}`", old.display()))?;
        }
        let (live_manifest, old_manifest) = (manifest_path(&self.output), manifest_path(&old));
        remove_if_present(&old_manifest)?;
        let had_old = self.output.exists();
        if had_old {
            std::fs::rename(&self.output, &old)
                .with_context(|| format!("failed to move `{}` aside", self.output.display()))?;
            // The manifest goes with its folder; a live output without one (built by another
            // tool, or changed by `serve`) keeps none.
            if std::fs::rename(&live_manifest, &old_manifest).is_err() {
                remove_if_present(&live_manifest)?;
            }
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.output) {
            if had_old {
                let _ = std::fs::rename(&old, &self.output);
                let _ = std::fs::rename(&old_manifest, &live_manifest);
            }
            return Err(e).with_context(|| format!("failed to move the new site into `{}`", self.output.display()));
        }
        // The manifest only saves work later: a build whose manifest cannot be written is not
        // a failed build (the next one that reuses this folder rewrites every file). The
        // manifests read are no longer needed (~18 MB each at 60k).
        let Stage { output, recorded, global, previous, live, .. } = self;
        drop((previous, live));
        let _ = write_manifest(&output, recorded, global);
        Ok(())
    }

    /// Abandons the staged output (the build failed). The live output is untouched; the folder
    /// stays as `<output>.kbsite-new` and is reused by the next build.
    pub fn discard(self) {}
}

/// Adds the folders holding `path` (`a/b/c` → `a/b`, `a`) to `folders`, stopping at the first one
/// already there (its own are then in too).
fn add_folders_of<'a, S: std::hash::BuildHasher>(path: &'a str, folders: &mut HashSet<&'a str, S>) {
    let mut path = path;
    while let Some((parent, _)) = path.rsplit_once('/') {
        if !folders.insert(parent) {
            break;
        }
        path = parent;
    }
}

/// Which folders [`Stage::remove_unproduced`] removes besides stale files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prune {
    /// Every folder holding no recorded file (once empty).
    Unneeded,
    /// Only folders the removal of stale files left empty.
    EmptiedOnly,
}

/// Records in the live output's manifest that its `tree/` now holds `files` (relative to the
/// tree), made from inputs with digest `key`, in place of the tree's earlier record: for a tree
/// replaced in the live output after its build (the preview server's search index, made after
/// the site is served), so that a later build may keep it (see [`Stage::reuse_tree`]). Every
/// other entry stays as it was; an output without a valid manifest records nothing.
pub fn record_live_tree(output: &Path, tree: &str, key: u64, files: &[String]) -> Result<()> {
    let path = manifest_path(output);
    let Some(manifest) = Manifest::read(&path) else { return Ok(()) };
    let prefix = format!("{tree}/");
    let recorder = Recorder::default();
    for (rel, entry) in manifest.under("") {
        let the_trees = rel == prefix || (rel.starts_with(&prefix) && entry.flags & TREE != 0);
        if !the_trees {
            recorder.record(rel, &entry);
        }
    }
    // Folder records stay: a tree is never recorded (its writer changes it), and a record
    // another change made untrue fails its stamp.
    for (rel, stamp) in manifest.folders() {
        recorder.record_folder(rel, stamp);
    }
    record_tree_files(&recorder, output, tree, key, files)?;
    let global = manifest.global;
    drop(manifest);
    write_manifest(output, recorder, global).with_context(|| format!("failed to update `{}`", path.display()))
}

/// Records the files a tree's writer wrote under `dir/tree/` (`files`, relative to the tree)
/// with their stamps, and the tree's key (see [`Stage::record_tree`]).
fn record_tree_files(recorded: &Recorder, dir: &Path, tree: &str, key: u64, files: &[String]) -> Result<()> {
    let prefix = format!("{tree}/");
    for rel in files {
        let rel = format!("{prefix}{rel}");
        let path = dir.join(&rel);
        let stamp = Stamp::at(&path).with_context(|| format!("`{}` was not written", path.display()))?;
        recorded.record(&rel, &Entry { stamp, flags: TREE, ..Entry::default() });
    }
    recorded.record(&prefix, &Entry { key, ..Entry::default() });
    Ok(())
}

/// Replaces the manifest of output folder `output` with what `recorder` holds, whole or not at all.
fn write_manifest(output: &Path, recorder: Recorder, global: u64) -> std::io::Result<()> {
    replace_whole(&manifest_path(output), &sibling(output, "kbsite-manifest-tmp"), |file| {
        recorder.write_to(global, file)
    })
}

/// Replaces `path` whole or not at all: `fill` writes the new content into `tmp` (a new file
/// beside it, same folder so the rename is atomic), which is then renamed over `path`; on any
/// error `tmp` is removed and `path` left as it was. A reader never sees half a file.
pub fn replace_whole(
    path: &Path,
    tmp: &Path,
    fill: impl FnOnce(std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let written = std::fs::File::create(tmp).and_then(fill).and_then(|()| std::fs::rename(tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    written
}

/// Where the manifest of output folder `dir` is kept: `<dir>.kbsite-manifest`, beside it.
pub fn manifest_path(dir: &Path) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into());
    dir.with_file_name(manifest_name(&name))
}

/// `public` → `public.kbsite-manifest`; `public.kbsite-old` → `public.kbsite-old-manifest`.
fn manifest_name(folder: &str) -> String {
    if folder.ends_with(".kbsite-old") || folder.ends_with(".kbsite-new") {
        format!("{folder}-manifest")
    } else {
        format!("{folder}.kbsite-manifest")
    }
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("failed to remove `{}`", path.display()))
        }
        _ => Ok(()),
    }
}

/// Creates `path` with `bytes`; returns the file's metadata as written.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<std::fs::Metadata> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.metadata()
}

/// Writes `bytes` as the whole content of `path`, over what is there without truncating it
/// first: only a longer old file is cut to the new length. Truncating to zero and writing again
/// (what `fs::write` does) frees every block and allocates it anew, and ext4 (`auto_da_alloc`)
/// starts writing a file back as soon as it is closed after such a truncation; a rebuild
/// rewrites 100,000+ files of mostly the same size.
/// Returns the file's metadata as written.
///
/// A file with another hard link (a file linked from the live site: see
/// `Stage::link_live`) is replaced, not written through: the other name must keep its bytes.
pub fn overwrite(path: &Path, bytes: &[u8]) -> std::io::Result<std::fs::Metadata> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path)?;
    if is_shared(&file.metadata()?) {
        drop(file);
        std::fs::remove_file(path)?;
        return write_new(path, bytes);
    }
    file.write_all(bytes)?;
    let meta = file.metadata()?;
    if meta.len() <= bytes.len() as u64 {
        return Ok(meta);
    }
    file.set_len(bytes.len() as u64)?;
    file.metadata()
}

/// Hard-links `from` at `to`; with `replace`, a file already at `to` is removed and the link
/// made again (if it cannot be removed, the error is the original one).
fn hard_link_over(from: &Path, to: &Path, replace: bool) -> std::io::Result<()> {
    match std::fs::hard_link(from, to) {
        Err(e) if replace && e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(to).map_err(|_| e)?;
            std::fs::hard_link(from, to)
        }
        other => other,
    }
}

/// Whether a file has another hard link.
fn is_shared(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    return std::os::unix::fs::MetadataExt::nlink(meta) > 1;
    #[cfg(not(unix))]
    return false;
}

/// Removes the file at `path` when it has another hard link, so that writing `path` next
/// cannot change the other name's bytes (see [`overwrite`]).
fn unshare(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && is_shared(&meta) => std::fs::remove_file(path),
        _ => Ok(()),
    }
}

/// A pool for work that waits on the disk (listing, removing, renaming many files): more threads
/// than cores keep more requests in flight, which a cold cache on a virtual disk rewards.
pub fn io_pool() -> rayon::ThreadPool {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    rayon::ThreadPoolBuilder::new()
        .num_threads((cores * 4).clamp(4, 16))
        .thread_name(|i| format!("kbsite-io-{i}"))
        .build()
        .expect("a thread pool")
}

/// `public` → `public.kbsite-<what>` in the same folder (same filesystem, so renames are atomic).
pub fn sibling(output: &Path, what: &str) -> PathBuf {
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into());
    output.with_file_name(format!("{name}.{what}"))
}

/// Refuses outputs that would destroy sources: the root, the source folder or one of its parents.
pub fn check_output_location(output: &Path, root: &Path, source: &Path) -> Result<()> {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let out = canon(output);
    for (what, p) in [("the site root", root), ("the source folder", source)] {
        if canon(p).starts_with(&out) {
            bail!("output `{}` would replace {what} `{}`; choose another output folder", output.display(), p.display());
        }
    }
    if out.join("site.toml").exists() {
        bail!("output `{}` holds a site.toml; refusing to replace a site's sources", output.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_tree_record_replaces_only_the_trees_own_entries() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        std::fs::create_dir_all(out.join("search/d")).unwrap();
        std::fs::write(out.join("search/d/0.bin"), "new shard").unwrap();
        let rec = Recorder::default();
        let page = Entry { key: 7, content: 8, stamp: Stamp { len: 3, ..Stamp::default() }, flags: 0 };
        rec.record("a/index.html", &page);
        rec.record("search/search.js", &page); // not the tree writer's
        rec.record("search/", &Entry { key: 1, ..Entry::default() });
        rec.record("search/d/0.bin", &Entry { flags: TREE, ..Entry::default() });
        rec.record("search/d/1.bin", &Entry { flags: TREE, ..Entry::default() });
        rec.record_folder("a", Stamp { ino: 5, ..Stamp::default() });
        std::fs::write(manifest_path(&out), rec.finish(42)).unwrap();

        record_live_tree(&out, "search", 99, &["d/0.bin".to_string()]).unwrap();
        let m = Manifest::read(&manifest_path(&out)).unwrap();
        assert_eq!(m.global, 42);
        let paths: Vec<&str> = m.under("").map(|(rel, _)| rel).collect();
        assert_eq!(paths, ["a/index.html", "search/", "search/d/0.bin", "search/search.js"]);
        assert_eq!((m.get("a/index.html"), m.get("search/search.js")), (Some(page), Some(page)));
        assert_eq!(m.get("search/").unwrap().key, 99);
        assert_eq!(m.folders().map(|(rel, s)| (rel, s.ino)).collect::<Vec<_>>(), [("a", 5)], "folder records stay");
        let shard = m.get("search/d/0.bin").unwrap();
        assert_eq!((shard.flags, Some(shard.stamp)), (TREE, Stamp::at(&out.join("search/d/0.bin"))));

        // No manifest: nothing to record into, and nothing made.
        let bare = tmp.path().join("bare");
        record_live_tree(&bare, "search", 99, &[]).unwrap();
        assert!(!manifest_path(&bare).exists());
    }

    /// Every file under `dir` with its text, and every folder as `name/`.
    fn tree(dir: &Path) -> Vec<String> {
        let mut out: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .map(|e| e.unwrap())
            .map(|e| {
                let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                match e.file_type().is_dir() {
                    true => format!("{rel}/"),
                    false => format!("{rel}={}", std::fs::read_to_string(e.path()).unwrap_or_default()),
                }
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_reused_folder_ends_up_exactly_as_the_new_build() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        // `search/` is a tree whose own writer writes (and records) `s.bin`; other files under it
        // are pages, written like any other.
        let build = |files: &[(&str, &str)]| {
            let stage = Stage::create(&out, 1).unwrap();
            stage.create_dirs(files.iter().map(|(f, _)| *f)).unwrap();
            for (f, text) in files {
                stage.write(f, text.as_bytes()).unwrap();
            }
            stage.own_tree("search");
            std::fs::create_dir_all(stage.dir.join("search/empty")).unwrap();
            overwrite(&stage.dir.join("search/s.bin"), b"s").unwrap();
            stage.record_tree("search", 0, &["s.bin".to_string()]).unwrap();
            stage.commit().unwrap();
        };
        // Two builds, so that the third reuses the first one's folder.
        let first = [
            ("a/index.html", "a1, longer than a3"),
            ("b/c/d/index.html", "d1"),
            ("x.html", "x1"),
            ("search/help/index.html", "h1"),
            ("search/index.html", "p1"),
        ];
        build(&first);
        build(&[("a/index.html", "a2")]);
        assert!(tmp.path().join("public.kbsite-old/b/c/d/index.html").exists(), "the first site is kept aside");
        // The third build: a file where a folder was, a folder where a file was, deep stale folders,
        // a page under the tree gone (its folder with it; the writer's empty folder stays).
        build(&[("a/index.html", "a3"), ("b", "b3"), ("x.html/index.html", "x3"), ("search/index.html", "p3")]);
        assert_eq!(
            tree(&out),
            [
                "a/",
                "a/index.html=a3",
                "b=b3",
                "search/",
                "search/empty/",
                "search/index.html=p3",
                "search/s.bin=s",
                "x.html/",
                "x.html/index.html=x3"
            ]
        );
    }

    /// Sets the modification time of every folder under `dir` (and its own) a minute back, as
    /// if the folder had been built a while ago (a build records only folders settled for a
    /// moment: see `Stage::remove_unproduced`).
    fn age_folders(dir: &Path) {
        let past = std::time::SystemTime::now() - Duration::from_secs(60);
        for entry in walkdir::WalkDir::new(dir).into_iter().map(|e| e.unwrap()) {
            if entry.file_type().is_dir() {
                std::fs::File::open(entry.path()).unwrap().set_modified(past).unwrap();
            }
        }
    }

    #[test]
    fn files_added_to_a_recorded_folder_are_found_and_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let old = tmp.path().join("public.kbsite-old");
        let files = ["a/index.html", "b/c/index.html", "b/d/index.html", "x.html"];
        let build = || {
            let stage = Stage::create(&out, 1).unwrap();
            stage.create_dirs(files.iter().copied()).unwrap();
            for f in files {
                stage.write(f, f.as_bytes()).unwrap();
            }
            stage.commit().unwrap();
        };
        let recorded = |dir: &Path| {
            let m = Manifest::read(&manifest_path(dir)).unwrap();
            m.folders().map(|(rel, _)| rel.to_string()).collect::<Vec<_>>()
        };
        build();
        build();
        assert!(recorded(&out).is_empty(), "new folders are not listed, so not recorded");
        age_folders(&old);
        build(); // reuses the first folder: lists it and records its folders
        assert_eq!(recorded(&out), ["", "a", "b", "b/c", "b/d"]);
        age_folders(&old);
        build();
        // The kept-aside folder (recorded) and the live one each get a stray file: both are
        // found by the builds that reuse them, though their other folders are not read.
        std::fs::write(old.join("b/c/stray.html"), "").unwrap();
        std::fs::create_dir(old.join("b/d/new")).unwrap();
        std::fs::write(out.join("a/stray.html"), "").unwrap();
        let want: Vec<String> =
            ["a/", "a/index.html", "b/", "b/c/", "b/c/index.html", "b/d/", "b/d/index.html", "x.html"]
                .iter()
                .map(|f| if f.ends_with('/') { f.to_string() } else { format!("{f}={f}") })
                .collect();
        build();
        assert_eq!(tree(&out), want);
        assert!(!recorded(&out).contains(&"b/c".to_string()), "b/c was changed just now: {:?}", recorded(&out));
        build();
        assert_eq!(tree(&out), want);
    }

    #[test]
    fn a_reused_folder_makes_only_the_folders_it_lacks() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        let build = |files: &[&str]| {
            let stage = Stage::create(&out, 1).unwrap();
            stage.create_dirs(files.iter().copied()).unwrap();
            let planned = stage.folders_to_make();
            for f in files {
                stage.write(f, f.as_bytes()).unwrap();
            }
            stage.commit().unwrap();
            planned
        };
        let files = ["a/b/index.html", "a/c/index.html", "d/index.html", "x.html"];
        assert_eq!(build(&files), 4, "a, a/b, a/c, d");
        assert_eq!(build(&files), 4, "the second build has no folder of its own yet");
        assert_eq!(build(&files), 0, "the first build's folder has them all");
        // The folder the next build reuses lost one of its folders, and has a file where
        // another stood: both are made again when written.
        let old = tmp.path().join("public.kbsite-old");
        std::fs::remove_dir_all(old.join("a/c")).unwrap();
        std::fs::remove_dir_all(old.join("d")).unwrap();
        std::fs::write(old.join("d"), "in the way").unwrap();
        let more = ["a/b/index.html", "a/c/index.html", "d/index.html", "x.html", "e/f/index.html"];
        assert_eq!(build(&more), 2, "only e and e/f are new");
        let mut want: Vec<String> = more.iter().map(|f| format!("{f}={f}")).collect();
        want.extend(["a/", "a/b/", "a/c/", "d/", "e/", "e/f/"].map(String::from));
        want.sort();
        assert_eq!(tree(&out), want);
    }

    #[test]
    fn a_reused_folder_keeps_files_made_from_the_same_inputs_under_the_same_settings() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        // Each build: (path, key, bytes); returns what `reuse` kept and how many were unchanged.
        let build = |global: u64, files: &[(&str, u64, &str)]| {
            let stage = Stage::create(&out, global).unwrap();
            stage.create_dirs(files.iter().map(|(f, _, _)| *f)).unwrap();
            let mut kept = Vec::new();
            for (f, key, text) in files {
                match stage.reuse(f, *key) {
                    Some(k) => kept.push((f.to_string(), k.len, k.flags)),
                    None => stage.write_made(f, *key, HIGHLIGHTED, text.as_bytes()).unwrap(),
                }
            }
            let unchanged = stage.unchanged();
            stage.commit().unwrap();
            (kept, unchanged)
        };
        let files = [("a/index.html", 1, "aaa"), ("b.html", 2, "bb"), ("c.html", 0, "c")];
        assert_eq!(build(7, &files), (vec![], 0));
        let linked = vec![("a/index.html".to_string(), 3, HIGHLIGHTED), ("b.html".to_string(), 2, HIGHLIGHTED)];
        assert_eq!(build(7, &files), (linked, 1), "a new folder links the live site's unchanged files");
        // The first build's folder: same keys are kept (never key 0), others made again.
        let (kept, unchanged) = build(7, &[("a/index.html", 1, "aaa"), ("b.html", 3, "bb"), ("c.html", 0, "c")]);
        assert_eq!(kept, [("a/index.html".to_string(), 3, HIGHLIGHTED)]);
        assert_eq!(unchanged, 2, "made again with the same bytes: not written");
        // Other build settings: no key counts, but unchanged bytes are still not written.
        let (kept, unchanged) = build(8, &files);
        assert_eq!((kept.len(), unchanged), (0, 3));
        assert_eq!(std::fs::read_to_string(out.join("b.html")).unwrap(), "bb");
    }

    #[test]
    fn after_a_change_the_next_build_links_the_live_sites_files_instead_of_making_them_again() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        // One build: page `a.html` from inputs `key`, and a `search/` tree made from `key` too.
        // Returns what was kept (the page; the tree) and the live page's text just before commit.
        let build = |key: u64, text: &str| {
            let stage = Stage::create(&out, 7).unwrap();
            stage.create_dirs(["a.html"].into_iter()).unwrap();
            let kept_page = stage.reuse("a.html", key).is_some();
            if !kept_page {
                stage.write_made("a.html", key, 0, text.as_bytes()).unwrap();
            }
            let kept_tree = stage.reuse_tree("search", key);
            if !kept_tree {
                std::fs::create_dir_all(stage.dir.join("search/f")).unwrap();
                overwrite(&stage.dir.join("search/f/x.bin"), text.as_bytes()).unwrap();
                stage.record_tree("search", key, &["f/x.bin".to_string()]).unwrap();
            }
            let live = std::fs::read_to_string(out.join("a.html")).ok();
            stage.commit().unwrap();
            (kept_page, kept_tree, live)
        };
        assert_eq!(build(1, "one"), (false, false, None));
        assert_eq!(build(1, "one"), (true, true, Some("one".into())), "a new folder links the live files");
        assert_eq!(build(2, "two"), (false, false, Some("one".into())), "changed: made again");
        // The reused folder is the one made for key 1; the live site was made for key 2.
        assert_eq!(build(2, "two"), (true, true, Some("two".into())), "unchanged since: linked from the live site");
        assert_eq!(std::fs::read_to_string(out.join("a.html")).unwrap(), "two");
        assert_eq!(std::fs::read_to_string(out.join("search/f/x.bin")).unwrap(), "two");
        // Writing over a file shared with the live site leaves the live one as it was.
        assert_eq!(build(3, "three"), (false, false, Some("two".into())));
        assert_eq!(std::fs::read_to_string(out.join("a.html")).unwrap(), "three");
        assert_eq!(std::fs::read_to_string(out.join("search/f/x.bin")).unwrap(), "three");
        let old = sibling(&out, "kbsite-old");
        assert_eq!(std::fs::read_to_string(old.join("a.html")).unwrap(), "two");
        assert_eq!(std::fs::read_to_string(old.join("search/f/x.bin")).unwrap(), "two");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_with_another_link_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let (live, staged) = (dir.path().join("live.html"), dir.path().join("staged.html"));
        std::fs::write(&live, "the live site's page").unwrap();
        std::fs::hard_link(&live, &staged).unwrap();
        overwrite(&staged, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&staged).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(&live).unwrap(), "the live site's page");
        std::fs::hard_link(&live, dir.path().join("copied.css")).unwrap();
        unshare(&dir.path().join("copied.css")).unwrap();
        assert!(!dir.path().join("copied.css").exists(), "a linked file is removed before a copy");
        unshare(&live).unwrap();
        assert!(live.exists(), "a file without another link stays");
    }

    #[test]
    fn overwrite_leaves_exactly_the_new_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f.html");
        for text in ["a fairly long first version", "short", "short", "a longer third version!", ""] {
            overwrite(&path, text.as_bytes()).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
    }

    #[test]
    fn stage_commit_replaces_output_and_discard_keeps_it() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("old.html"), "old").unwrap();

        let failed = Stage::create(&out, 1).unwrap();
        failed.create_dirs(["a/b/index.html"].into_iter()).unwrap();
        failed.write("a/b/index.html", b"half").unwrap();
        failed.discard();
        assert!(out.join("old.html").exists(), "a failed build leaves the old site");

        let ok = Stage::create(&out, 1).unwrap();
        ok.create_dirs(["a/b/index.html", "a/c.html", "z.html"].into_iter()).unwrap();
        ok.write("a/b/index.html", b"new").unwrap();
        ok.commit().unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a/b/index.html")).unwrap(), "new");
        assert!(!out.join("old.html").exists());
        // The previous site is kept aside for reuse.
        assert!(tmp.path().join("public.kbsite-old/old.html").exists());

        // The next build reuses it: stale files and folders go, identical files stay untouched.
        let next = Stage::create(&out, 1).unwrap();
        assert!(!tmp.path().join("public.kbsite-old").exists());
        next.create_dirs(["a/b/index.html", "x/y.html"].into_iter()).unwrap();
        next.write("a/b/index.html", b"new").unwrap();
        next.write("x/y.html", b"y").unwrap();
        next.commit().unwrap();
        assert_eq!(std::fs::read_to_string(out.join("x/y.html")).unwrap(), "y");
        assert_eq!(std::fs::read_to_string(out.join("a/b/index.html")).unwrap(), "new");
        assert!(!out.join("old.html").exists(), "stale file of the reused folder removed");
        assert!(!out.join("a/c.html").exists());
        assert!(!out.join("z.html").exists());
    }

    #[test]
    fn refuses_to_replace_sources() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::write(root.join("site.toml"), "").unwrap();
        assert!(check_output_location(root, root, &root.join("content")).is_err());
        assert!(check_output_location(&root.join("content"), root, &root.join("content")).is_err());
        assert!(check_output_location(&root.join("public"), root, &root.join("content")).is_ok());
    }
}
