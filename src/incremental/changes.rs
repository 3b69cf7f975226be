//! What changed paths mean for the page list: which files to read again, what is gone, and how
//! page ids move ([`merge`]).

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use crate::analyze::kb_update::Remap;
use crate::config::SiteConfig;
use crate::diagnostics::Diagnostics;
use crate::load::{self, SourceFile, SourceFilter};

/// Content changes resolved against the file system.
#[derive(Debug, Default)]
pub struct ContentDelta {
    /// Files to read again (or for the first time), sorted by path, each once.
    pub present: Vec<SourceFile>,
    /// Source-relative paths (files or folders) whose pages and files are removed, except
    /// those listed in `present`.
    pub gone: Vec<String>,
}

impl ContentDelta {
    /// Whether `rel` is at or below a gone path.
    pub fn is_gone(&self, rel: &str) -> bool {
        self.gone
            .iter()
            .any(|g| g.is_empty() || rel == g || rel.strip_prefix(g.as_str()).is_some_and(|r| r.starts_with('/')))
    }
}

/// Sorts changed paths under `source` into files to read and paths that are gone. A folder
/// that appeared (or was renamed into place) is walked as the full build walks `source`.
pub fn resolve(config: &SiteConfig, paths: &[PathBuf], diags: &Diagnostics) -> ContentDelta {
    let filter = SourceFilter::new(config);
    let mut delta = ContentDelta::default();
    for path in paths {
        let Ok(rel) = path.strip_prefix(&config.source) else { continue };
        let rel = load::rel_path(Path::new(""), rel);
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                // Everything below is read again; what is no longer there goes.
                delta.gone.push(rel);
                if filter.entry(path, true).is_some() {
                    let inv = load::walk_under(config, path, diags);
                    delta.present.extend(inv.page_candidates);
                    delta.present.extend(inv.assets);
                }
            }
            Ok(_) => match filter.entry(path, false) {
                Some(file) => delta.present.push(file),
                None => delta.gone.push(rel),
            },
            Err(_) => delta.gone.push(rel),
        }
    }
    delta.present.sort_by(|a, b| path_cmp(&a.rel, &b.rel));
    delta.present.dedup_by(|a, b| a.rel == b.rel);
    delta
}

/// The order in which the walk lists files: component by component (`a/b/c` before `a/b.md`).
pub fn path_cmp(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

/// The new page list's ids: old pages (`old(i)` is the path of old page `i`, sorted) are kept
/// unless `removed(i)`, or replaced by the fresh page of the same path; fresh pages (sorted
/// paths, unique) are the changed ones.
pub fn merge<'a>(
    old_len: usize,
    old: impl Fn(usize) -> &'a str,
    removed: impl Fn(usize) -> bool,
    fresh: &[&str],
) -> Remap {
    let mut remap = Remap { old_to_new: vec![None; old_len], new_len: 0, changed: Vec::with_capacity(fresh.len()) };
    let (mut i, mut j) = (0, 0);
    while i < old_len || j < fresh.len() {
        let order = match (i < old_len, j < fresh.len()) {
            (true, true) => path_cmp(old(i), fresh[j]),
            (true, false) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                if !removed(i) {
                    remap.old_to_new[i] = Some(remap.new_len);
                    remap.new_len += 1;
                }
                i += 1;
            }
            Ordering::Equal => {
                remap.old_to_new[i] = Some(remap.new_len);
                remap.changed.push(remap.new_len);
                remap.new_len += 1;
                i += 1;
                j += 1;
            }
            Ordering::Greater => {
                remap.changed.push(remap.new_len);
                remap.new_len += 1;
                j += 1;
            }
        }
    }
    remap
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_by_component_like_the_walk() {
        let mut v = vec!["a/b.md", "a/b/c.md", "a-b.md", "a/a.md"];
        v.sort_by(|a, b| path_cmp(a, b));
        assert_eq!(v, ["a/a.md", "a/b/c.md", "a/b.md", "a-b.md"]);
    }

    #[test]
    fn merge_keeps_replaces_removes_and_inserts_in_path_order() {
        let old = ["a.md", "b.md", "c.md", "d/x.md"];
        let remap = merge(old.len(), |i| old[i], |i| i == 2, &["b.md", "bb.md", "d/x.md", "e.md"]);
        assert_eq!(remap.old_to_new, [Some(0), Some(1), None, Some(3)]);
        assert_eq!(remap.changed, [1, 2, 3, 4]);
        assert_eq!(remap.new_len, 5);
    }

    #[test]
    fn gone_folders_cover_what_is_below_them() {
        let delta = ContentDelta { present: Vec::new(), gone: vec!["kb/1".into()] };
        assert!(delta.is_gone("kb/1") && delta.is_gone("kb/1/x.md"));
        assert!(!delta.is_gone("kb/10/x.md"));
    }
}
