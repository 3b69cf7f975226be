//! Listing what a reused output folder holds, to find the files a build did not leave there.
//!
//! A 60k site has ~128,000 folders; listing each costs an open, two `getdents` and a close, the
//! largest part of a rebuild that changes nothing. The manifest therefore records the stamps of
//! folders whose entries were exactly the build's own ([`super::Recorder::record_folder`]), and
//! a later listing given those records ([`KnownFolders`]) takes a folder whose stamp is unchanged
//! from the manifest (one `statx`) instead of reading it.

use std::path::Path;
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::Result;

use super::manifest::{Manifest, Recorder, Stamp};

/// Entries [`list_tree`] leaves out, with everything under them (by path relative to its folder).
pub type Skip<'a> = dyn Fn(&str) -> bool + Sync + 'a;
/// Entries [`list_tree`] returns (by path and whether it is a folder); it lists under every
/// folder it does not skip.
pub type Keep<'a> = dyn Fn(&str, bool) -> bool + Sync + 'a;

/// The entries [`list_tree`] found that `keep` chose: (path relative to the folder listed,
/// `/`-separated; whether it is a folder).
pub type Listing = Vec<(String, bool)>;

/// A previous manifest's account of its folders (the stamps it recorded; a folder recorded held
/// exactly the files the manifest lists in it and the folders holding such files), and where
/// [`list_tree`] records the folders fit to be taken from the next manifest.
pub struct KnownFolders<'m> {
    manifest: &'m Manifest,
    /// Folders changed at or after this are not recorded.
    settled_before: SystemTime,
    record: &'m Recorder,
}

impl<'m> KnownFolders<'m> {
    /// What `manifest` says; folders are recorded into `record` (see [`list_tree`]) unless
    /// modified at or after `settled_before`.
    pub fn new(manifest: &'m Manifest, settled_before: SystemTime, record: &'m Recorder) -> KnownFolders<'m> {
        KnownFolders { manifest, settled_before, record }
    }

    /// The entries of folder `rel` when its stamp is still `now`'s as recorded: the manifest is
    /// sorted by path, so what lies under `rel/` is one run of it, and each child folder's
    /// files follow one another.
    fn entries(&self, rel: &str, now: Option<Stamp>) -> Option<Vec<(String, bool)>> {
        if now? != self.manifest.folder(rel)? {
            return None;
        }
        let prefix = if rel.is_empty() { String::new() } else { format!("{rel}/") };
        let mut here: Vec<(String, bool)> = Vec::new();
        for (path, _) in self.manifest.under(&prefix) {
            let (child, is_dir) = match path[prefix.len()..].find('/') {
                Some(i) => (&path[..prefix.len() + i], true),
                None => (path, false),
            };
            if here.last().is_none_or(|(last, _)| last != child) {
                here.push((child.to_string(), is_dir));
            }
        }
        Some(here)
    }
}

/// Every entry under `dir` that `keep` chooses. Folders are listed in parallel on `pool` (on a
/// cold cache, listing 100,000 folders one at a time waits on the disk for each). With `known`
/// (from the manifest of `dir` itself), every folder's stamp is taken, a folder whose stamp the
/// manifest recorded and still holds is not read but taken from it, and the folders that will
/// hold exactly the manifest's entries once the chosen ones are gone are recorded with their
/// stamps: not chosen themselves, none of their entries chosen or skipped, and settled. The
/// stamp is taken before the entries are read, so an entry added after the read changes it.
/// Symbolic links are entries, never followed.
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
            Some(entries) => Ok(entries),
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
                if let Some((known, stamp)) = walk.known.zip(stamp) {
                    let chosen = !rel.is_empty() && (walk.keep)(&rel, true);
                    if !chosen && !skipped_some && here.is_empty() && stamp.modified() < known.settled_before {
                        known.record.record_folder(&rel, stamp);
                    }
                }
                walk.found.lock().unwrap_or_else(|e| e.into_inner()).extend(here);
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

    /// The entries chosen under `dir`, and the folders recorded, given `known`'s manifest and
    /// time (or no manifest at all).
    fn listed(dir: &Path, known: Option<(&Manifest, SystemTime)>) -> (Vec<String>, Vec<String>) {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let record = Recorder::default();
        let known = known.map(|(m, settled_before)| KnownFolders::new(m, settled_before, &record));
        // `old.html`, `y.html` and the folder `e` are chosen (stale, say); `skipped` is left out
        // with what is under it.
        let stale = |rel: &str, _| rel.ends_with("/old.html") || rel.ends_with("/y.html") || rel == "e";
        let listing = list_tree(dir, &pool, &|rel| rel == "skipped", &stale, known.as_ref()).unwrap();
        let mut entries: Vec<String> =
            listing.into_iter().map(|(rel, is_dir)| if is_dir { format!("{rel}/") } else { rel }).collect();
        entries.sort();
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("m"), record.finish(1)).unwrap();
        let m = Manifest::read(&tmp.path().join("m")).unwrap();
        (entries, m.folders().map(|(rel, _)| rel.to_string()).collect())
    }

    #[test]
    fn a_folder_whose_recorded_stamp_holds_is_taken_from_the_manifest_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for f in ["a/b/x.html", "a/y.html", "a/b-c.html", "c/old.html", "skipped/s.bin"] {
            std::fs::create_dir_all(dir.join(f).parent().unwrap()).unwrap();
            std::fs::write(dir.join(f), "").unwrap();
        }
        std::fs::create_dir(dir.join("e")).unwrap(); // empty, but chosen: never recorded
        let everything = ["a/y.html", "c/old.html", "e/"].map(String::from).to_vec();
        let stamp = |rel: &str| Stamp::of_folder_at(&dir.join(rel)).unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(3600);
        // Plain listing: no stamps taken, nothing settled.
        assert_eq!(listed(dir, None), (everything.clone(), vec![]));

        // The manifest says `a` holds only `b/` and `b-c.html`, and `a`'s recorded stamp is its
        // stamp now: the listing believes the manifest (how a build knows it did not read `a`).
        let m = manifest(&["a/b-c.html", "a/b/x.html", "c/old.html", "search/"], &[("a", stamp("a"))]);
        let (entries, settled) = listed(dir, Some((&m, later)));
        assert_eq!(entries, ["c/old.html", "e/"]);
        // Not settled: the root (it skipped `skipped`) and `c` (`c/old.html` goes).
        assert_eq!(settled, ["a", "a/b"]);
        let m = manifest(&["a/y.html"], &[("a", stamp("a"))]);
        let (entries, settled) = listed(dir, Some((&m, later)));
        assert_eq!(entries, everything);
        assert!(settled.is_empty(), "`a` loses `y.html`; `a/b` is not in the manifest, so not visited: {settled:?}");

        // Another stamp for `a` (say, a file added since): `a` is read.
        let older = Stamp { mtime_sec: stamp("a").mtime_sec - 10, ..stamp("a") };
        let m = manifest(&["a/b-c.html", "c/old.html"], &[("a", older)]);
        let (entries, settled) = listed(dir, Some((&m, later)));
        assert_eq!(entries, everything);
        assert_eq!(settled, ["a/b"]);

        // Folders changed at or after the time given are not settled.
        let m = manifest(&["a/b/x.html"], &[]);
        let (entries, settled) = listed(dir, Some((&m, stamp("a/b").modified())));
        assert_eq!(entries, everything);
        assert!(settled.is_empty(), "{settled:?}");
    }
}
