//! Times the search index builder's sequential part alone: `SearchIndexBuilder::add` (the
//! global term table and postings) and `write`, on documents analyzed beforehand.
//!
//! ```text
//! cargo run --release --example search_add -- bench/out/corpus-60k/content [bench/out/corpus-120k/content]
//! ```
//! For each folder (articles under `kb/*/*/README.md`): reads and analyzes every article in
//! parallel (not timed), then adds them in order on one thread and writes the index to a
//! temporary folder, three times each, printing the fastest round: seconds, ns per posting,
//! terms and postings. A cost per posting that rises with the corpus is what makes the
//! search stage grow faster than the archive.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use kbsite::search::{analyze_doc, DocTerms, SearchDoc, SearchIndexBuilder};

fn articles(content: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for d in std::fs::read_dir(content.join("kb")).expect("a kb/ folder").flatten() {
        for a in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
            let p = a.path().join("README.md");
            if p.is_file() {
                paths.push(p);
            }
        }
    }
    paths.sort();
    paths
}

fn analyzed(paths: &[PathBuf]) -> Vec<(SearchDoc, DocTerms)> {
    paths
        .par_iter()
        .map(|p| {
            let src = std::fs::read_to_string(p).expect("readable article");
            let title = src.lines().find_map(|l| l.strip_prefix("title: ")).unwrap_or("").trim_matches('"');
            let body = src.splitn(3, "---").nth(2).unwrap_or(&src);
            let id = p.parent().and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let doc = SearchDoc {
                url: format!("/kb/{id}/"),
                id,
                title: title.to_string(),
                product: String::new(),
                year: None,
                date: String::new(),
            };
            let terms = analyze_doc(title, body);
            (doc, terms)
        })
        .collect()
}

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: search_add CONTENT_DIR [CONTENT_DIR...]");
        std::process::exit(2);
    }
    for dir in dirs {
        let docs = analyzed(&articles(&dir));
        let postings: usize = docs.iter().map(|(_, t)| t.len()).sum();
        let (mut best_add, mut best_write, mut terms) = (f64::MAX, f64::MAX, 0);
        for _ in 0..3 {
            let input = docs.clone();
            let mut b = SearchIndexBuilder::new();
            let t = Instant::now();
            for (doc, t) in input {
                b.add(doc, t);
            }
            best_add = best_add.min(t.elapsed().as_secs_f64());
            let out = tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).expect("temp folder");
            let t = Instant::now();
            let stats = b.write(out.path()).expect("index written");
            best_write = best_write.min(t.elapsed().as_secs_f64());
            terms = stats.terms;
        }
        let ns = |s: f64| s * 1e9 / postings as f64;
        println!(
            "{}: {} docs, {terms} terms, {postings} postings (id terms not counted): add {best_add:.3} s ({:.1} ns/posting), write {best_write:.3} s ({:.1} ns/posting)",
            dir.display(),
            docs.len(),
            ns(best_add),
            ns(best_write)
        );
    }
}
