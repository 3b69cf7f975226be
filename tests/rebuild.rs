//! `kbsite build` run again over its own output: outputs made from unchanged inputs are kept
//! from the folder the build reuses (not rendered or written again), and the result is always
//! exactly what a clean build of the same sources writes.
//!
//! The site: the `basic` fixture plus ~60 real articles (as in `tests/incremental.rs`).

mod common;

use std::path::PathBuf;

use common::{add_articles, assert_same_tree, fixture, read, tree, write};
use kbsite::build::{build, BuildOptions, BuildReport};
use kbsite::config::{Overrides, SiteConfig};

struct Site {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    /// Source paths (relative to the root) of the articles, sorted.
    articles: Vec<String>,
}

impl Site {
    fn new() -> Site {
        let (tmp, root) = fixture("basic");
        let articles = add_articles(&root);
        Site { _tmp: tmp, root, articles }
    }

    fn build(&self, full: bool) -> BuildReport {
        let config = SiteConfig::load(&self.root, &Overrides::default()).unwrap();
        build(&config, &BuildOptions { quiet: true, full, ..Default::default() }).unwrap()
    }

    /// Builds three times, so that the last build reuses the first one's folder.
    fn build_until_reused(&self) -> BuildReport {
        self.build(false);
        self.build(false);
        self.build(false)
    }

    fn out(&self) -> PathBuf {
        self.root.join("public")
    }

    fn edit(&self, rel: &str, edit: impl FnOnce(String) -> String) {
        let text = read(&self.root, rel);
        let new = edit(text.clone());
        assert_ne!(text, new, "the edit changes {rel}");
        write(&self.root, rel, &new);
    }

    /// Asserts the output equals a clean build of the same sources, file for file.
    fn assert_same_as_clean_build(&self) {
        let clean = tempfile::tempdir().unwrap();
        let overrides = Overrides { output: Some(clean.path().join("out")), ..Default::default() };
        let config = SiteConfig::load(&self.root, &overrides).unwrap();
        build(&config, &BuildOptions { quiet: true, ..Default::default() }).unwrap();
        assert_same_tree(&self.out(), &clean.path().join("out"), "rebuilt output");
    }
}

/// Outputs (and the search index) kept by a rebuild of unchanged sources: every page and index
/// page of the site.
#[test]
fn a_rebuild_of_unchanged_sources_keeps_every_output() {
    let site = Site::new();
    let first = site.build(false);
    assert_eq!((first.files_kept, first.search_kept), (0, false), "a new folder has nothing to keep");
    let third = site.build_until_reused();
    let rendered = (third.pages + third.index_pages) as u64;
    assert!(third.files_kept >= rendered, "{} kept of {} pages and index pages", third.files_kept, rendered);
    assert!(third.search_kept, "no entry changed");
    assert_eq!(third.files_written, first.files_written);
    assert_eq!(third.bytes_written, first.bytes_written);
    site.assert_same_as_clean_build();

    // `--full` renders everything again: only copied files are kept (files whose bytes came
    // out the same are not written).
    let full = site.build(false);
    assert!(full.files_kept > 0);
    let full = site.build(true);
    assert!(full.files_kept == 0 && !full.search_kept, "{} kept", full.files_kept);
    assert_eq!(full.search.map(|s| s.reused_docs), Some(0), "--full tokenizes every document again");
    assert!(full.files_unchanged >= rendered, "same bytes, left alone: {}", full.files_unchanged);
    site.assert_same_as_clean_build();
    // A `--full` build still notes what its files were made from: two builds later (when its
    // folder is reused) everything is kept again.
    site.build(false);
    let after = site.build(false);
    assert!(after.files_kept >= rendered && after.search_kept, "{} kept after --full", after.files_kept);
}

/// After edits that change what other pages show (a title, a new citation, an article gone, a
/// new one), a rebuild makes again exactly what changed and the output is a clean build's.
#[test]
fn a_rebuild_after_edits_equals_a_clean_build() {
    let site = Site::new();
    site.build_until_reused();
    let (renamed, citing, removed) = (&site.articles[3], &site.articles[10], &site.articles[20]);
    let renamed_id = renamed.rsplit('/').nth(1).unwrap().to_string();
    site.edit(renamed, |t| t.replacen("title: \"", "title: \"Renamed: ", 1));
    site.edit(citing, |t| t.replacen("{% endraw %}", &format!("See also {renamed_id}.\n{{% endraw %}}"), 1));
    std::fs::remove_file(site.root.join(removed)).unwrap();
    let added = read(&site.root, renamed).replace(&renamed_id, "Q999999");
    let added = added.lines().map(|l| if l.starts_with("permalink:") { "permalink: /kb/999/Q999999/" } else { l });
    let added = added.collect::<Vec<_>>().join("\n");
    write(&site.root, "content/kb/999/Q999999/README.md", &added);

    // The folder reused now is the one of two builds ago.
    let first = site.build(false);
    site.assert_same_as_clean_build();
    assert!(first.files_kept > 0 && first.files_kept < (first.pages + first.index_pages) as u64);
    assert!(!first.search_kept, "titles and texts changed");
    // The index is made again, but only the renamed, the citing and the new article are read
    // and tokenized again: the others' postings come from the last index's cache.
    let search = first.search.expect("an index is made");
    assert_eq!(search.reused_docs, search.docs - 3, "{search:?}");
    let cited = read(&site.out(), "kb/999/Q999999/index.html");
    assert!(cited.contains("Renamed: "), "the new article is rendered");
    // The next build reuses the other folder, also made before the edits: what they changed is
    // linked from the live site (the first rebuild's), so nothing is made again; the one after
    // that reuses the first rebuild's folder, which has them all.
    let second = site.build(false);
    site.assert_same_as_clean_build();
    let rendered = (second.pages + second.index_pages) as u64;
    assert!(second.files_kept >= rendered, "{} kept of {rendered}", second.files_kept);
    assert!(second.search_kept, "the live site's index is linked");
    let third = site.build(false);
    assert!(third.files_kept >= (third.pages + third.index_pages) as u64 && third.search_kept);
    site.assert_same_as_clean_build();
}

/// A template or the configuration changes every page: nothing is kept unrendered.
#[test]
fn a_template_or_configuration_change_renders_every_page() {
    let site = Site::new();
    site.build_until_reused();
    write(&site.root, "templates/wide.html", &read(&site.root, "templates/wide.html").replace("wide", "wider"));
    let after_template = site.build(false);
    assert!(after_template.files_kept <= after_template.assets as u64, "{}", after_template.files_kept);
    site.assert_same_as_clean_build();
    assert!(read(&site.out(), "docs/guide/index.html").contains("wider"));

    site.build_until_reused();
    let toml = read(&site.root, "site.toml");
    write(&site.root, "site.toml", &toml.replace("title = \"Fixture KB\"", "title = \"Renamed KB\""));
    let after_config = site.build(false);
    assert!(after_config.files_kept <= after_config.assets as u64, "{}", after_config.files_kept);
    assert!(!after_config.search_kept);
    site.assert_same_as_clean_build();
    assert!(read(&site.out(), &site.articles[0].replace("content/", "").replace("README.md", "index.html"))
        .contains("Renamed KB"));
}

/// A template that shows the build's time makes every page differ per build: none is kept.
#[test]
fn pages_showing_the_build_time_are_always_rendered() {
    let site = Site::new();
    write(
        &site.root,
        "templates/wide.html",
        &format!("{}<!-- {{{{ site.time }}}} -->", read(&site.root, "templates/wide.html")),
    );
    let third = site.build_until_reused();
    assert!(third.files_kept <= third.assets as u64, "only copied files kept: {}", third.files_kept);
    assert!(!third.search_kept);
}

/// A file of the reused folder that was changed, replaced or removed since it was written is
/// made again, even though its inputs are unchanged.
#[test]
fn a_changed_output_file_is_made_again() {
    let site = Site::new();
    site.build(false);
    site.build(false);
    // The folder the next build reuses: change one page in place (same length), remove another.
    let old = site.root.join("public.kbsite-old");
    let (changed, removed) = (output_of(&site.articles[1]), output_of(&site.articles[2]));
    let text = read(&old, &changed);
    // Timestamps have a coarse clock on some file systems: make sure the edit gets a new one.
    std::thread::sleep(std::time::Duration::from_millis(50));
    std::fs::write(old.join(&changed), text.replacen("<", ">", 1)).unwrap();
    std::fs::remove_file(old.join(&removed)).unwrap();
    std::fs::write(old.join("search/search.js"), "tampered").unwrap();
    // And one file of the search index (not the client or the search page).
    let index_file = tree(&old.join("search"))
        .into_keys()
        .find(|k| !k.ends_with('/') && k != "search.js" && k != "index.html")
        .expect("a search index file");
    std::fs::write(old.join("search").join(&index_file), "tampered").unwrap();
    let third = site.build(false);
    assert!(third.files_kept > 0);
    assert!(!third.search_kept, "{index_file} changed: the index is built again");
    site.assert_same_as_clean_build();
}

/// The manifest lives beside the output (never published) and a damaged one is ignored.
#[test]
fn the_manifest_is_kept_beside_the_output_and_a_damaged_one_is_ignored() {
    let site = Site::new();
    site.build(false);
    site.build(false);
    let manifest = |name: &str| site.root.join(name);
    assert!(manifest("public.kbsite-manifest").is_file());
    assert!(manifest("public.kbsite-old-manifest").is_file());
    assert!(!tree(&site.out()).keys().any(|k| k.contains("kbsite-manifest")), "nothing of it in the site");
    let damage = |name: &str| {
        let bytes = std::fs::read(manifest(name)).unwrap();
        std::fs::write(manifest(name), &bytes[..bytes.len() / 2]).unwrap();
    };
    // The reused folder's manifest damaged: the live site's, intact, serves (its files linked).
    damage("public.kbsite-old-manifest");
    let third = site.build(false);
    assert!(third.files_kept > 0 && third.search_kept, "{} kept", third.files_kept);
    site.assert_same_as_clean_build();
    // Both damaged: nothing is kept.
    damage("public.kbsite-manifest");
    damage("public.kbsite-old-manifest");
    let fourth = site.build(false);
    assert!(fourth.files_kept == 0 && !fourth.search_kept, "{} kept", fourth.files_kept);
    site.assert_same_as_clean_build();
    let fifth = site.build(false);
    assert!(fifth.files_kept > 0, "the fourth build's manifest was intact");
}

fn output_of(article: &str) -> String {
    let dir = article.trim_start_matches("content/").trim_end_matches("README.md");
    format!("{dir}index.html")
}

/// The second build into an output has no folder of its own to reuse: it hard-links the live
/// site's unchanged files into its new folder. Later builds never write through such a link,
/// so the site kept aside (and the live one, until the swap) keeps its bytes.
#[cfg(unix)]
#[test]
fn the_second_build_links_unchanged_files_and_never_writes_through_a_link() {
    use std::os::unix::fs::MetadataExt;

    let site = Site::new();
    let first = site.build(false);
    let second = site.build(false);
    let rendered = (second.pages + second.index_pages) as u64;
    assert!(second.files_kept >= rendered, "{} kept of {} pages and index pages", second.files_kept, rendered);
    assert_eq!(second.files_written, first.files_written);
    site.assert_same_as_clean_build();
    let article = site.articles[0].clone();
    let page = tree(&site.out()).into_keys().find(|p| p.starts_with("kb/") && p.ends_with(".html"));
    let page = page.expect("an article page");
    let live_page = site.out().join(&page);
    assert_eq!(std::fs::metadata(&live_page).unwrap().nlink(), 2, "{page} is linked, not written again");

    // The third build reuses the first build's folder, whose files share inodes with the live
    // site: what it writes there must not show through in the site it replaces.
    let before = tree(&site.out());
    site.edit(&article, |text| text.replace("\t", "\t~"));
    std::fs::write(site.root.join("templates/page.html"), "changed {{ content | safe }}").ok();
    site.build(false);
    let aside = PathBuf::from(format!("{}.kbsite-old", site.out().display()));
    assert_eq!(tree(&aside), before, "the site kept aside is the one the third build replaced");
    site.assert_same_as_clean_build();
}

/// A page the site no longer has is removed from a reused folder, also when its URL is inside
/// a tree whose writer cleans up after itself (the search index's `search/`).
#[test]
fn a_removed_page_under_the_search_folder_is_gone_after_a_rebuild() {
    let site = Site::new();
    let help = "content/search/help.md";
    write(&site.root, help, "---\ntitle: Search help\n---\nType a word or an article id.\n");
    site.build_until_reused();
    assert!(site.out().join("search/help/index.html").is_file(), "the page is built");
    std::fs::remove_file(site.root.join(help)).unwrap();
    // Each of the next builds reuses a folder that has the page: the older one, then the one
    // the first rebuild replaced.
    site.build(false);
    site.assert_same_as_clean_build();
    site.build(false);
    site.assert_same_as_clean_build();
    assert!(!site.out().join("search/help").exists());
}

/// Sets the modification time of every folder under `dir` a minute back, as if it had been
/// built a while ago: a build records only folders unchanged for a moment (see
/// `kbsite::write::listing`), and these builds follow one another within a second.
fn age_folders(dir: &std::path::Path) {
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    for entry in walkdir::WalkDir::new(dir).into_iter().map(|e| e.unwrap()) {
        if entry.file_type().is_dir() {
            std::fs::File::open(entry.path()).unwrap().set_modified(past).unwrap();
        }
    }
}

/// Folders a rebuild knows from the manifest are not read again; whatever is added to one, or
/// removed from it, is still found, and the output is still a clean build's.
#[test]
fn files_added_to_an_output_whose_folders_were_recorded_are_removed() {
    let site = Site::new();
    let old = site.root.join("public.kbsite-old");
    let recorded_folders = |dir: &std::path::Path| {
        kbsite::write::Manifest::read(&kbsite::write::manifest_path(dir)).map_or(0, |m| m.folders().count())
    };
    site.build(false);
    site.build(false);
    // Each of the next two builds reuses a folder, lists it and records its folders.
    for _ in 0..2 {
        age_folders(&old);
        site.build(false);
    }
    let (live, kept_aside) = (recorded_folders(&site.out()), recorded_folders(&old));
    assert!(live > 10 && kept_aside > 10, "folders recorded: {live} live, {kept_aside} kept aside");

    // Strays in an article's folder of each, a new folder in one, and an article's folder gone
    // from the other (its page is made again).
    let article_dir = site.articles[5].trim_start_matches("content/").trim_end_matches("/README.md").to_string();
    let article_out = |dir: &std::path::Path| dir.join(&article_dir);
    assert!(article_out(&old).join("index.html").is_file(), "{article_dir}");
    std::fs::write(article_out(&old).join("stray.html"), "not the site's").unwrap();
    std::fs::create_dir_all(old.join("kb/stray")).unwrap();
    std::fs::write(old.join("kb/stray/index.html"), "not the site's").unwrap();
    std::fs::write(article_out(&site.out()).join("stray.txt"), "not the site's").unwrap();
    let other = site.articles[6].trim_start_matches("content/").trim_end_matches("/README.md").to_string();
    std::fs::remove_dir_all(site.out().join(&other)).unwrap();
    // The build that reuses the kept-aside folder, then the one that reuses the other.
    site.build(false);
    site.assert_same_as_clean_build();
    site.build(false);
    site.assert_same_as_clean_build();
}
