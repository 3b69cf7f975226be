//! Listing what a reused output folder holds, to find the files a build did not leave there.
//!
//! A 60k site has ~128,000 folders; listing each costs an open, two `getdents` and a close, the
//! largest part of a rebuild that changes nothing. The manifest therefore records the stamps of
//! folders whose entries were exactly the build's own ([`super::Recorder::record_folder`]), and
//! a later listing given those records ([`KnownFolders`]) takes a folder whose stamp is unchanged
//! from the manifest (one `statx`) instead of reading it.

use std::path::Path;
use std::sync::Mutex;

use anyhow::Result;
use rustc_hash::FxHashMap;

use super::manifest::{Manifest, Stamp};

/// Entries [`list_tree`] leaves out, with everything under them (by path relative to its folder).
pub type Skip<'a> = dyn Fn(&str) -> bool + Sync + 'a;
/// Entries [`list_tree`] returns (by path and whether it is a folder); it lists under every
/// folder it does not skip.
pub type Keep<'a> = dyn Fn(&str, bool) -> bool + Sync + 'a;

/// What [`list_tree`] found.
#[derive(Debug, Default)]
pub struct Listing {
    /// The entries `keep` chose: (path relative to the folder listed, `/`-separated; whether it
    /// is a folder).
    pub entries: Vec<(String, bool)>,
    /// With [`KnownFolders`]: every folder visited (see [`Visited`]).
    pub folders: Vec<Visited>,
}

/// A folder [`list_tree`] visited with [`KnownFolders`].
#[derive(Debug)]
pub struct Visited {
    pub rel: String,
    /// Its stamp, taken before its entries were read (so an entry added after the read changes
    /// the stamp from the one taken); `None` when it could not be taken.
    pub stamp: Option<Stamp>,
    /// It held an entry that `skip` left out (its entries are then not all the manifest's).
    pub skipped_some: bool,
}

/// A previous manifest's account of its folders: the stamps it recorded, and each folder's
/// entries as its files say (a recorded folder held exactly those).
pub struct KnownFolders<'m> {
    manifest: &'m Manifest,
    /// Folder → its entries: (path, is a folder).
    children: FxHashMap<&'m str, Vec<(&'m str, bool)>>,
}

impl<'m> KnownFolders<'m> {
    /// What `manifest` says (nothing, when it records no folder).
    pub fn of(manifest: &'m Manifest) -> KnownFolders<'m> {
        let mut children: FxHashMap<&str, Vec<(&str, bool)>> = FxHashMap::default();
        if !manifest.has_folders() {
            return KnownFolders { manifest, children };
        }
        // Tree markers (`search/`) are records, not files.
        for (file, _) in manifest.under("").filter(|(rel, _)| !rel.ends_with('/')) {
            let (mut rel, mut is_dir) = (file, false);
            loop {
                let parent = rel.rfind('/').map_or("", |i| &rel[..i]);
                let new_folder = !children.contains_key(parent);
                children.entry(parent).or_default().push((rel, is_dir));
                // A folder seen for the first time is an entry of its own parent.
                if !new_folder || parent.is_empty() {
                    break;
                }
                (rel, is_dir) = (parent, true);
            }
        }
        KnownFolders { manifest, children }
    }

    /// The entries of folder `rel` when its stamp is still `now`'s as recorded.
    fn entries(&self, rel: &str, now: Option<Stamp>) -> Option<&[(&'m str, bool)]> {
        let recorded = self.manifest.folder(rel)?;
        (now? == recorded).then(|| self.children.get(rel).map_or(&[][..], Vec::as_slice))
    }
}

/// Every entry under `dir` that `keep` chooses. Folders are listed in parallel on `pool` (on a
/// cold cache, listing 100,000 folders one at a time waits on the disk for each). With `known`
/// (from the manifest of `dir` itself), every folder's stamp is taken and returned, and a folder
/// whose stamp the manifest recorded and still holds is not read but taken from it. Symbolic
/// links are entries, never followed.
pub fn list_tree(
    dir: &Path,
    pool: &rayon::ThreadPool,
    skip: &Skip<'_>,
    keep: &Keep<'_>,
    known: Option<&KnownFolders<'_>>,
) -> Result<Listing> {
    struct Walk<'a> {
        root: &'a Path,
        skip: &'a Skip<'a>,
        keep: &'a Keep<'a>,
        known: Option<&'a KnownFolders<'a>>,
        found: Mutex<Listing>,
        failed: Mutex<Option<anyhow::Error>>,
    }
    fn read_folder(path: &Path, rel: &str) -> std::io::Result<Vec<(String, bool)>> {
        let mut here = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let name = entry.file_name();
            let child = match rel.is_empty() {
                true => name.to_string_lossy().into_owned(),
                false => format!("{rel}/{}", name.to_string_lossy()),
            };
            here.push((child, entry.file_type()?.is_dir()));
        }
        Ok(here)
    }
    fn visit<'s>(scope: &rayon::Scope<'s>, walk: &'s Walk<'s>, rel: String) {
        let path = if rel.is_empty() { walk.root.to_path_buf() } else { walk.root.join(&rel) };
        let stamp = walk.known.and_then(|_| Stamp::of_folder_at(&path));
        let listed = match walk.known.and_then(|known| known.entries(&rel, stamp)) {
            Some(entries) => Ok(entries.iter().map(|&(child, is_dir)| (child.to_string(), is_dir)).collect()),
            None => read_folder(&path, &rel),
        };
        match listed {
            Ok(mut here) => {
                let before = here.len();
                here.retain(|(child, _)| !(walk.skip)(child));
                let skipped_some = here.len() < before;
                for (child, _) in here.iter().filter(|(_, is_dir)| *is_dir) {
                    let child = child.clone();
                    scope.spawn(move |s| visit(s, walk, child));
                }
                here.retain(|(child, is_dir)| (walk.keep)(child, *is_dir));
                let mut found = walk.found.lock().unwrap_or_else(|e| e.into_inner());
                found.entries.extend(here);
                if walk.known.is_some() {
                    found.folders.push(Visited { rel, stamp, skipped_some });
                }
            }
            Err(e) => {
                let e = anyhow::Error::new(e).context(format!("failed to read `{}`", path.display()));
                walk.failed.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e);
            }
        }
    }
    let walk = Walk { root: dir, skip, keep, known, found: Mutex::default(), failed: Mutex::default() };
    pool.scope(|s| visit(s, &walk, String::new()));
    match walk.failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(e),
        None => Ok(walk.found.into_inner().unwrap_or_else(|e| e.into_inner())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::manifest::{Entry, Recorder};

    fn manifest(files: &[&str], folders: &[(&str, Stamp)]) -> Manifest {
        let rec = Recorder::default();
        for f in files {
            rec.record(f, &Entry::default());
        }
        for (rel, stamp) in folders {
            rec.record_folder(rel, *stamp);
        }
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("m");
        std::fs::write(&path, rec.finish(1)).unwrap();
        Manifest::read(&path).unwrap()
    }

    fn listed(dir: &Path, known: Option<&KnownFolders<'_>>) -> (Vec<String>, Vec<String>) {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let listing = list_tree(dir, &pool, &|rel| rel == "skipped", &|_, _| true, known).unwrap();
        let mut entries: Vec<String> =
            listing.entries.into_iter().map(|(rel, is_dir)| if is_dir { format!("{rel}/") } else { rel }).collect();
        entries.sort();
        let mut folders: Vec<String> = listing
            .folders
            .into_iter()
            .map(|v| {
                format!(
                    "{}{}{}",
                    v.rel,
                    if v.skipped_some { " skipped some" } else { "" },
                    if v.stamp.is_some() { "" } else { " no stamp" }
                )
            })
            .collect();
        folders.sort();
        (entries, folders)
    }

    #[test]
    fn a_folder_whose_recorded_stamp_holds_is_taken_from_the_manifest_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for f in ["a/b/x.html", "a/y.html", "c/z.html", "skipped/s.bin"] {
            std::fs::create_dir_all(dir.join(f).parent().unwrap()).unwrap();
            std::fs::write(dir.join(f), "").unwrap();
        }
        let everything = ["a/", "a/b/", "a/b/x.html", "a/y.html", "c/", "c/z.html"].map(String::from).to_vec();
        let all_folders = ["", "a", "a/b", "c"];
        // Plain listing: no stamps taken, no folders returned.
        assert_eq!(listed(dir, None), (everything.clone(), vec![]));

        // The manifest leaves out `a/y.html`; `a`'s recorded stamp is its stamp now, so the
        // listing believes the manifest (which is how a build knows it did not read `a`).
        let stamp = |rel: &str| Stamp::of_folder_at(&dir.join(rel)).unwrap();
        let m = manifest(&["a/b/x.html", "c/z.html", "search/"], &[("a", stamp("a"))]);
        let known = KnownFolders::of(&m);
        let (entries, folders) = listed(dir, Some(&known));
        assert_eq!(entries, ["a/", "a/b/", "a/b/x.html", "c/", "c/z.html"]);
        assert_eq!(folders, [" skipped some", "a", "a/b", "c"], "the root held `skipped`");

        // Another stamp for `a` (say, a file added since): `a` is read.
        let older = Stamp { mtime_sec: stamp("a").mtime_sec - 10, ..stamp("a") };
        let m = manifest(&["a/b/x.html", "c/z.html"], &[("a", older), ("", stamp(""))]);
        let (entries, folders) = listed(dir, Some(&KnownFolders::of(&m)));
        assert_eq!(entries, everything);
        assert_eq!(folders.len(), all_folders.len());

        // No folder records at all: every folder is read, and stamped.
        let m = manifest(&["a/b/x.html"], &[]);
        let (entries, folders) = listed(dir, Some(&KnownFolders::of(&m)));
        assert_eq!(entries, everything);
        assert!(folders.iter().all(|f| !f.contains("no stamp")), "{folders:?}");
    }
}
