//! Shared harness: copy a fixture site into a temporary folder, build it, read the output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kbsite::build::{build, BuildOptions, BuildReport};
use kbsite::config::{Overrides, SiteConfig};

pub fn fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    copy_dir(&src, tmp.path());
    let root = tmp.path().to_path_buf();
    (tmp, root)
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn build_site(root: &Path) -> anyhow::Result<BuildReport> {
    let config = SiteConfig::load(root, &Overrides::default())?;
    build(&config, &BuildOptions { quiet: true, ..Default::default() })
}

pub fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Every file (with its bytes) and folder (as `dir/`) under `dir`.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
        if entry.file_type().is_dir() {
            out.insert(format!("{rel}/"), Vec::new());
        } else {
            out.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    out
}

/// The articles copied into the site: every 150th of the sample (~60), or the bundled ones.
pub fn article_dirs() -> Vec<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = manifest.join("../shared/kbarchive-sample/site/kb");
    let (base, step) = if sample.is_dir() { (sample, 150) } else { (manifest.join("content/kb"), 1) };
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(&base)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "README.md")
        .map(|e| e.path().parent().unwrap().to_path_buf())
        .collect();
    dirs = dirs.into_iter().step_by(step).collect();
    assert!(dirs.len() >= 25, "too few articles for the test: {}", dirs.len());
    dirs
}

/// Copies the test articles ([`article_dirs`]) into `root/content/kb/`; returns their source
/// paths (relative to the root), sorted.
pub fn add_articles(root: &Path) -> Vec<String> {
    let mut articles = Vec::new();
    for dir in article_dirs() {
        let rel =
            format!("content/kb/{}", dir.strip_prefix(dir.parent().unwrap().parent().unwrap()).unwrap().display());
        copy_dir(&dir, &root.join(&rel));
        articles.push(format!("{rel}/README.md"));
    }
    articles.sort();
    articles
}

/// Asserts that folder `ours` holds exactly what `clean` does (a clean build of the same
/// sources), file for file and byte for byte; `what` names `ours` in the message.
pub fn assert_same_tree(ours: &Path, clean: &Path, what: &str) {
    let (ours, theirs) = (tree(ours), tree(clean));
    let missing: Vec<&String> = theirs.keys().filter(|k| !ours.contains_key(*k)).take(10).collect();
    let extra: Vec<&String> = ours.keys().filter(|k| !theirs.contains_key(*k)).take(10).collect();
    let differ: Vec<&String> =
        ours.iter().filter(|(k, v)| theirs.get(*k).is_some_and(|t| t != *v)).map(|(k, _)| k).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "{what} differs from a clean build:\n  missing {missing:?}\n  extra {extra:?}\n  different {differ:?}"
    );
    assert!(ours.len() > 100, "a real site: {} entries", ours.len());
}
