//! Write: output goes to a staging folder beside the output and is swapped in only when the
//! whole build succeeded, so a failed build leaves the previous site intact.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;

/// Where rendered output goes: a staging folder on disk, or `kbsite check`'s in-memory record.
pub trait Sink: Sync {
    /// Creates every folder the given output files need, once each.
    fn create_dirs(&self, files: &mut dyn Iterator<Item = &str>) -> Result<()>;
    /// Writes one output file (its folder exists).
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<()>;
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
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        Stage::write(self, rel, bytes)
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
/// The live output is untouched until [`Stage::commit`] renames it aside.
pub struct Stage {
    pub output: PathBuf,
    pub dir: PathBuf,
    /// Output files this build produced (to remove the rest of a reused folder).
    produced: Mutex<HashSet<String>>,
    /// Subtrees whose writer cleans up after itself (the search index).
    owned_trees: Mutex<Vec<String>>,
    reused: bool,
    /// Stale files were removed; what is written after that is kept as it is.
    cleaned: AtomicBool,
}

impl Stage {
    /// Prepares `<output>.kbsite-new`: the previous site's folder when there is one, a folder
    /// left by an interrupted build, or a new empty one.
    pub fn create(output: &Path) -> Result<Stage> {
        let dir = sibling(output, "kbsite-new");
        let old = sibling(output, "kbsite-old");
        if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        let reused = if dir.is_dir() {
            true
        } else if old.is_dir() {
            std::fs::rename(&old, &dir).with_context(|| format!("failed to reuse `{}`", old.display()))?;
            true
        } else {
            std::fs::create_dir(&dir).with_context(|| format!("failed to create `{}`", dir.display()))?;
            false
        };
        Ok(Stage {
            output: output.to_path_buf(),
            dir,
            produced: Mutex::new(HashSet::new()),
            owned_trees: Mutex::new(Vec::new()),
            reused,
            cleaned: AtomicBool::new(false),
        })
    }

    fn mark(&self, rel: &str) {
        if self.reused && !self.cleaned.load(Ordering::Relaxed) {
            self.produced.lock().unwrap_or_else(|e| e.into_inner()).insert(rel.to_string());
        }
    }

    /// Declares that everything under `rel/` was written by a writer that removes its own stale
    /// files (so [`Stage::commit`] leaves that subtree alone).
    pub fn own_tree(&self, rel: &str) {
        self.owned_trees.lock().unwrap_or_else(|e| e.into_inner()).push(format!("{rel}/"));
    }

    /// Creates every folder the given output files need, once each, parents first. Folders of
    /// one depth are created in parallel (a 60,000-article site has over 100,000 of them, and
    /// `mkdir` is mostly kernel CPU time); in a reused folder they mostly exist already.
    pub fn create_dirs<'a>(&self, files: impl Iterator<Item = &'a str>) -> Result<()> {
        let mut dirs = BTreeSet::new();
        for f in files {
            let mut path = f;
            while let Some((parent, _)) = path.rsplit_once('/') {
                if !dirs.insert(parent) {
                    break;
                }
                path = parent;
            }
        }
        let mut by_depth: Vec<Vec<&str>> = Vec::new();
        for d in dirs {
            let depth = d.matches('/').count();
            if by_depth.len() <= depth {
                by_depth.resize_with(depth + 1, Vec::new);
            }
            by_depth[depth].push(d);
        }
        for level in by_depth {
            level.par_iter().try_for_each(|d| {
                let p = self.dir.join(d);
                match std::fs::create_dir(&p) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && p.is_dir() => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        // A file of the previous site stands where this build needs a folder.
                        std::fs::remove_file(&p)
                            .and_then(|()| std::fs::create_dir(&p))
                            .with_context(|| format!("failed to create `{}`", p.display()))
                    }
                    Err(e) => Err(e).with_context(|| format!("failed to create `{}`", p.display())),
                }
            })?;
        }
        Ok(())
    }

    /// Writes one file; its folder must exist (see [`Stage::create_dirs`]). In a reused folder
    /// the old file is overwritten in place (see [`overwrite`]), not read first: the previous
    /// site is usually out of the page cache by the next build, and reading it back to skip
    /// identical files cost more than writing them (a 60k rebuild went from ~12 to ~27 s).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(rel);
        self.mark(rel);
        let result = if self.reused {
            self.replacing_folder(&path, || overwrite(&path, bytes))
        } else {
            std::fs::write(&path, bytes)
        };
        result.with_context(|| format!("failed to write `{}`", path.display()))
    }

    pub fn copy(&self, from: &Path, rel: &str) -> Result<u64> {
        let to = self.dir.join(rel);
        self.mark(rel);
        self.replacing_folder(&to, || std::fs::copy(from, &to))
            .with_context(|| format!("failed to copy `{}` to `{}`", from.display(), to.display()))
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

    /// Removes what a reused folder holds that this build did not produce (files first, then
    /// folders left empty) and frees the record of what was produced. Call it once everything
    /// outside the owned trees is written; [`Stage::commit`] calls it if nobody did.
    pub fn remove_stale(&self) -> Result<()> {
        if !self.reused || self.cleaned.swap(true, Ordering::Relaxed) {
            return Ok(());
        }
        let produced = std::mem::take(&mut *self.produced.lock().unwrap_or_else(|e| e.into_inner()));
        let owned = self.owned_trees.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let is_owned = |rel: &str| owned.iter().any(|t| rel.starts_with(t.as_str()) || format!("{rel}/") == *t);
        // Folders holding a produced file stay; only the others may have become empty.
        let mut needed: HashSet<&str> = HashSet::new();
        for file in &produced {
            let mut path = file.as_str();
            while let Some((parent, _)) = path.rsplit_once('/') {
                if !needed.insert(parent) {
                    break; // its ancestors are in already
                }
                path = parent;
            }
        }
        let pool = io_pool();
        let entries = list_tree(&self.dir, &pool)?;
        let (dirs, files): (Vec<_>, Vec<_>) = entries.iter().partition(|(_, is_dir)| *is_dir);
        pool.install(|| {
            files.par_iter().filter(|(rel, _)| !produced.contains(rel) && !is_owned(rel)).try_for_each(|(rel, _)| {
                let path = self.dir.join(rel);
                std::fs::remove_file(&path).with_context(|| format!("failed to remove `{}`", path.display()))
            })
        })?;
        let mut stale_dirs: Vec<&str> =
            dirs.iter().map(|(rel, _)| rel.as_str()).filter(|rel| !needed.contains(rel) && !is_owned(rel)).collect();
        // Deepest first, so children go before their parents; folders still holding something stay.
        stale_dirs.sort_by_key(|rel| std::cmp::Reverse(rel.matches('/').count()));
        for rel in stale_dirs {
            let _ = std::fs::remove_dir(self.dir.join(rel));
        }
        Ok(())
    }

    /// Swaps the staged site in: the live output is renamed to `<output>.kbsite-old` (kept, to be
    /// reused by the next build), the stage renamed into place. Between the two renames the output
    /// briefly does not exist, but it is never half-written.
    pub fn commit(self) -> Result<()> {
        self.remove_stale()?;
        let old = sibling(&self.output, "kbsite-old");
        if old.exists() {
            std::fs::remove_dir_all(&old).with_context(|| format!("failed to remove `{}`", old.display()))?;
        }
        let had_old = self.output.exists();
        if had_old {
            std::fs::rename(&self.output, &old)
                .with_context(|| format!("failed to move `{}` aside", self.output.display()))?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.output) {
            if had_old {
                let _ = std::fs::rename(&old, &self.output);
            }
            return Err(e).with_context(|| format!("failed to move the new site into `{}`", self.output.display()));
        }
        Ok(())
    }

    /// Abandons the staged output (the build failed). The live output is untouched; the folder
    /// stays as `<output>.kbsite-new` and is reused by the next build.
    pub fn discard(self) {}
}

/// Writes `bytes` as the whole content of `path`, over what is there without truncating it
/// first: only a longer old file is cut to the new length. Truncating to zero and writing again
/// (what `fs::write` does) frees every block and allocates it anew, and ext4 (`auto_da_alloc`)
/// starts writing a file back as soon as it is closed after such a truncation; a rebuild
/// rewrites 100,000+ files of mostly the same size.
pub fn overwrite(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path)?;
    file.write_all(bytes)?;
    let len = bytes.len() as u64;
    if file.metadata()?.len() > len {
        file.set_len(len)?;
    }
    Ok(())
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

/// Every entry under `dir`: (path relative to it, `/`-separated; whether it is a folder).
/// Folders are listed in parallel on `pool` (on a cold cache, listing 100,000 folders one at a
/// time waits on the disk for each). Symbolic links are entries, never followed.
fn list_tree(dir: &Path, pool: &rayon::ThreadPool) -> Result<Vec<(String, bool)>> {
    type Found = Mutex<Vec<(String, bool)>>;
    type Failed = Mutex<Option<anyhow::Error>>;
    fn visit<'s>(scope: &rayon::Scope<'s>, root: &'s Path, rel: String, found: &'s Found, failed: &'s Failed) {
        let path = if rel.is_empty() { root.to_path_buf() } else { root.join(&rel) };
        let listed = std::fs::read_dir(&path).and_then(|entries| {
            let mut here = Vec::new();
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let child = if rel.is_empty() { name } else { format!("{rel}/{name}") };
                here.push((child, entry.file_type()?.is_dir()));
            }
            Ok(here)
        });
        match listed {
            Ok(here) => {
                for (child, _) in here.iter().filter(|(_, is_dir)| *is_dir) {
                    let child = child.clone();
                    scope.spawn(move |s| visit(s, root, child, found, failed));
                }
                found.lock().unwrap_or_else(|e| e.into_inner()).extend(here);
            }
            Err(e) => {
                let e = anyhow::Error::new(e).context(format!("failed to read `{}`", path.display()));
                failed.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e);
            }
        }
    }
    let (found, failed): (Found, Failed) = Default::default();
    pool.scope(|s| visit(s, dir, String::new(), &found, &failed));
    match failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(e),
        None => Ok(found.into_inner().unwrap_or_else(|e| e.into_inner())),
    }
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
        let build = |files: &[(&str, &str)]| {
            let stage = Stage::create(&out).unwrap();
            stage.create_dirs(files.iter().map(|(f, _)| *f)).unwrap();
            for (f, text) in files {
                stage.write(f, text.as_bytes()).unwrap();
            }
            stage.own_tree("search");
            stage.commit().unwrap();
        };
        // Two builds, so that the third reuses the first one's folder.
        let first = [
            ("a/index.html", "a1, longer than a3"),
            ("b/c/d/index.html", "d1"),
            ("x.html", "x1"),
            ("search/s.bin", "s"),
        ];
        build(&first);
        build(&[("a/index.html", "a2")]);
        assert!(tmp.path().join("public.kbsite-old/b/c/d/index.html").exists(), "the first site is kept aside");
        // The third build: a file where a folder was, a folder where a file was, deep stale folders.
        build(&[("a/index.html", "a3"), ("b", "b3"), ("x.html/index.html", "x3")]);
        assert_eq!(
            tree(&out),
            ["a/", "a/index.html=a3", "b=b3", "search/", "search/s.bin=s", "x.html/", "x.html/index.html=x3"]
        );
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

        let failed = Stage::create(&out).unwrap();
        failed.create_dirs(["a/b/index.html"].into_iter()).unwrap();
        failed.write("a/b/index.html", b"half").unwrap();
        failed.discard();
        assert!(out.join("old.html").exists(), "a failed build leaves the old site");

        let ok = Stage::create(&out).unwrap();
        ok.create_dirs(["a/b/index.html", "a/c.html", "z.html"].into_iter()).unwrap();
        ok.write("a/b/index.html", b"new").unwrap();
        ok.commit().unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a/b/index.html")).unwrap(), "new");
        assert!(!out.join("old.html").exists());
        // The previous site is kept aside for reuse.
        assert!(tmp.path().join("public.kbsite-old/old.html").exists());

        // The next build reuses it: stale files and folders go, identical files stay untouched.
        let next = Stage::create(&out).unwrap();
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
