//! Changing the live output folder file by file. A changed file is first written beside its
//! target under a temporary name (`.<name>.kbsite-tmp`, same folder, so the rename is atomic
//! and creates no folder); only when every changed file rendered are they renamed into place,
//! each rename replacing one file, so a request sees either the old or the new file. Renames
//! run in parallel: on a busy disk they cost as much as the writes.
//! The search index's folders are swapped as wholes ([`swap_search_index`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::write::Sink;

/// Changed output files waiting, under temporary names, until all of them rendered.
pub struct Overlay {
    pub output: PathBuf,
    files: Mutex<BTreeSet<String>>,
}

/// `a/b/index.html` → `a/b/.index.html.kbsite-tmp`.
fn temp_name(output: &Path, rel: &str) -> PathBuf {
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    output.join(dir).join(format!(".{name}.kbsite-tmp"))
}

impl Overlay {
    pub fn create(output: &Path) -> Result<Overlay> {
        std::fs::create_dir_all(output).with_context(|| format!("failed to create `{}`", output.display()))?;
        Ok(Overlay { output: output.to_path_buf(), files: Mutex::new(BTreeSet::new()) })
    }

    fn target(&self, rel: &str) -> Result<PathBuf> {
        let path = temp_name(&self.output, rel);
        if let Some(parent) = path.parent().filter(|p| !p.is_dir()) {
            std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        self.files.lock().unwrap_or_else(|e| e.into_inner()).insert(rel.to_string());
        Ok(path)
    }

    /// The files staged so far.
    pub fn staged(&self) -> Vec<String> {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    /// Renames every staged file into place, then deletes `deletes` (and folders left empty by
    /// that).
    pub fn commit(self, deletes: &[String]) -> Result<()> {
        let staged = self.staged();
        staged.par_iter().try_for_each(|rel| {
            let to = self.output.join(rel);
            std::fs::rename(temp_name(&self.output, rel), &to)
                .with_context(|| format!("failed to write `{}`", to.display()))
        })?;
        for rel in deletes {
            remove_output(&self.output, rel)?;
        }
        Ok(())
    }

    /// Throws the staged files away (and the folders made for them, once empty).
    pub fn discard(self) {
        for rel in self.staged() {
            let _ = remove_output(&self.output, &temp_name(Path::new(""), &rel).to_string_lossy());
        }
    }
}

impl Sink for Overlay {
    fn create_dirs(&self, _files: &mut dyn Iterator<Item = &str>) -> Result<()> {
        Ok(())
    }

    /// Stages `bytes` for `rel`, unless the live file holds exactly these bytes already: a save
    /// that changes nothing visible then writes, renames and reloads nothing.
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        if holds(&self.output.join(rel), bytes) {
            return Ok(());
        }
        let path = self.target(rel)?;
        std::fs::write(&path, bytes).with_context(|| format!("failed to write `{}`", path.display()))
    }

    fn copy(&self, from: &Path, rel: &str) -> Result<u64> {
        let path = self.target(rel)?;
        std::fs::copy(from, &path)
            .with_context(|| format!("failed to copy `{}` to `{}`", from.display(), path.display()))
    }
}

/// Whether the file at `path` holds exactly `bytes` (read only when the sizes match; the live
/// output is usually in the page cache while serving).
fn holds(path: &Path, bytes: &[u8]) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|old| old == bytes)
}

/// Deletes one output file and the folders it leaves empty (up to the output folder).
fn remove_output(output: &Path, rel: &str) -> Result<()> {
    let path = output.join(rel);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("failed to delete `{}`", path.display())),
    }
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| *d != output && d.starts_with(output)) {
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

/// Replaces the search index in `<output>/search/` by the one written under `fresh` (same
/// layout: `manifest.json`, `d/`, `p/`, `c/`, `f/`): each folder is renamed into place, the
/// manifest last. `fresh` is removed.
pub fn swap_search_index(output: &Path, fresh: &Path) -> Result<()> {
    let live = output.join("search");
    std::fs::create_dir_all(&live).with_context(|| format!("failed to create `{}`", live.display()))?;
    let aside = fresh.join(".old");
    std::fs::create_dir_all(&aside)?;
    for sub in ["d", "p", "c", "f"] {
        let (new, old) = (fresh.join(sub), live.join(sub));
        if old.exists() {
            std::fs::rename(&old, aside.join(sub)).with_context(|| format!("failed to move `{}`", old.display()))?;
        }
        if new.exists() {
            std::fs::rename(&new, &old).with_context(|| format!("failed to move in `{}`", old.display()))?;
        }
    }
    let manifest = fresh.join("manifest.json");
    if manifest.exists() {
        std::fs::rename(&manifest, live.join("manifest.json")).context("failed to replace the search manifest")?;
    }
    let _ = std::fs::remove_dir_all(fresh);
    Ok(())
}

pub use crate::write::sibling;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_replace_outputs_and_deletes_remove_empty_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        std::fs::create_dir_all(out.join("kb/1/Q1")).unwrap();
        std::fs::write(out.join("kb/1/Q1/index.html"), "gone").unwrap();
        std::fs::write(out.join("a.html"), "old").unwrap();
        let overlay = Overlay::create(&out).unwrap();
        overlay.write("a.html", b"new").unwrap();
        overlay.write("b/c/index.html", b"fresh").unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.html")).unwrap(), "old", "nothing moves before commit");
        overlay.commit(&["kb/1/Q1/index.html".to_string()]).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.html")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(out.join("b/c/index.html")).unwrap(), "fresh");
        assert!(!out.join("kb").exists(), "empty folders go with the last file");
        let names: Vec<_> =
            walkdir::WalkDir::new(&out).into_iter().map(|e| e.unwrap().file_name().to_owned()).collect();
        assert!(!names.iter().any(|n| n.to_string_lossy().contains("kbsite-tmp")), "{names:?}");
    }

    #[test]
    fn discarded_files_leave_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("public");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("a.html"), "old").unwrap();
        let overlay = Overlay::create(&out).unwrap();
        overlay.write("a.html", b"new").unwrap();
        overlay.write("new/dir/index.html", b"x").unwrap();
        overlay.discard();
        let names: Vec<_> =
            walkdir::WalkDir::new(&out).min_depth(1).into_iter().map(|e| e.unwrap().file_name().to_owned()).collect();
        assert_eq!(names, ["a.html"]);
        assert_eq!(std::fs::read_to_string(out.join("a.html")).unwrap(), "old");
    }
}
