//! Write: output goes to a staging folder beside the output and is swapped in only when the
//! whole build succeeded, so a failed build leaves the previous site intact.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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

/// A build's output under construction.
pub struct Stage {
    pub output: PathBuf,
    pub dir: PathBuf,
}

impl Stage {
    /// Creates an empty staging folder `<output>.kbsite-new` (clearing one left by a crash).
    pub fn create(output: &Path) -> Result<Stage> {
        let dir = sibling(output, "kbsite-new");
        if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("failed to clear `{}`", dir.display()))?;
        }
        std::fs::create_dir(&dir).with_context(|| format!("failed to create `{}`", dir.display()))?;
        Ok(Stage { output: output.to_path_buf(), dir })
    }

    /// Creates every folder the given output files need, once each, parents first. Folders of
    /// one depth are created in parallel (a 60,000-article site has over 100,000 of them, and
    /// `mkdir` is mostly kernel CPU time).
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
                    Err(e) => Err(e).with_context(|| format!("failed to create `{}`", p.display())),
                }
            })?;
        }
        Ok(())
    }

    /// Writes one file; its folder must exist (see [`Stage::create_dirs`]).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(rel);
        std::fs::write(&path, bytes).with_context(|| format!("failed to write `{}`", path.display()))
    }

    pub fn copy(&self, from: &Path, rel: &str) -> Result<u64> {
        let to = self.dir.join(rel);
        std::fs::copy(from, &to).with_context(|| format!("failed to copy `{}` to `{}`", from.display(), to.display()))
    }

    /// Swaps the staged site in: old output is renamed aside, the stage renamed into place,
    /// then the old one deleted. Between the two renames the output briefly does not exist, but
    /// it is never half-written.
    pub fn commit(self) -> Result<()> {
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
        if had_old {
            std::fs::remove_dir_all(&old)
                .with_context(|| format!("failed to remove the previous site `{}`", old.display()))?;
        }
        Ok(())
    }

    /// Throws the staged output away (the build failed).
    pub fn discard(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `public` → `public.kbsite-<what>` in the same folder (same filesystem, so renames are atomic).
fn sibling(output: &Path, what: &str) -> PathBuf {
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
        assert!(!tmp.path().join("public.kbsite-new").exists());

        let ok = Stage::create(&out).unwrap();
        ok.create_dirs(["a/b/index.html", "a/c.html", "z.html"].into_iter()).unwrap();
        ok.write("a/b/index.html", b"new").unwrap();
        ok.commit().unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a/b/index.html")).unwrap(), "new");
        assert!(!out.join("old.html").exists());
        assert!(!tmp.path().join("public.kbsite-old").exists());
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
