//! Helpers shared by unit tests.

use std::path::PathBuf;

/// The shared sample archive's articles as (`Q123456`, path of its `README.md`), sorted; `None`
/// (with a note on stderr) when `../shared` is not beside the checkout.
pub(crate) fn sample_articles() -> Option<Vec<(String, PathBuf)>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/kbarchive-sample/site/kb");
    if !root.is_dir() {
        eprintln!("SKIPPED: {} not found (CI provides ../shared beside the checkout)", root.display());
        return None;
    }
    let mut files = Vec::new();
    for group in std::fs::read_dir(&root).expect("the sample's kb folder is readable") {
        let group = group.expect("a sample folder entry").path();
        if !group.is_dir() {
            continue;
        }
        for article in std::fs::read_dir(&group).expect("a sample group folder is readable") {
            let dir = article.expect("a sample folder entry").path();
            let file = dir.join("README.md");
            if file.is_file() {
                files.push((dir.file_name().unwrap_or_default().to_string_lossy().into_owned(), file));
            }
        }
    }
    files.sort();
    Some(files)
}
