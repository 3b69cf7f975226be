//! Incremental rebuilds (`kbsite serve`): after each kind of change, the rebuild serve does
//! ([`kbsite::serve::rebuild`]) must leave exactly the files a clean full build writes — every
//! file, byte for byte, and no other — while rewriting only the outputs that changed.
//!
//! The site: the `basic` fixture plus ~60 real articles (from `../shared/kbarchive-sample` when
//! present, else the bundled `content/`), with `[kb] page_size = 4` so that index pages
//! paginate and pagination shifts.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use common::{add_articles, assert_same_tree, fixture, read, tree, write};
use kbsite::build::{build, BuildOptions};
use kbsite::config::{Overrides, SiteConfig};
use kbsite::serve::{
    classify, rebuild, rebuild_pages, search_pending, update_search_index, ChangeSet, Rebuild, ServeState,
};

const PAGE_SIZE: usize = 4;

struct Site {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    state: ServeState,
    /// Source paths (relative to the root) of the articles, sorted.
    articles: Vec<String>,
}

impl Site {
    /// A fixture site with articles, built once by the serve rebuild (a full build).
    fn new() -> Site {
        let (tmp, root) = fixture("basic");
        let articles = add_articles(&root);
        let toml = read(&root, "site.toml");
        write(&root, "site.toml", &format!("{toml}\n[kb]\npage_size = {PAGE_SIZE}\n"));
        // A folder with a README (its index, until an index page appears beside it).
        write(&root, "content/notes/README.md", "# Notes\n\nSee Q1001.\n");
        let (state, first) = serve(&root);
        assert!(first.search.is_some(), "a new output has no index to keep: it is made after the pages");
        let root = state.root.clone();
        Site { _tmp: tmp, root, state, articles }
    }

    /// Starts serving the site again (a new `kbsite serve` on the same folders); returns its
    /// first build.
    fn restart(&mut self) -> Rebuild {
        let (state, first) = serve(&self.root);
        self.state = state;
        first
    }

    fn out(&self) -> PathBuf {
        self.root.join("public")
    }

    /// Rebuilds after changes to `paths` (relative to the root), as the watcher reports them.
    fn rebuild(&mut self, paths: &[&str]) -> Result<Rebuild, String> {
        let abs: Vec<PathBuf> = paths.iter().map(|p| self.root.join(p)).collect();
        let changes = classify(&abs, &self.state.config);
        assert!(!changes.is_empty(), "{paths:?} are not watched");
        rebuild(&mut self.state, &changes)
    }

    fn ok(&mut self, paths: &[&str]) -> Rebuild {
        let r = self.rebuild(paths).unwrap_or_else(|e| panic!("rebuild failed: {e}"));
        assert!(!r.full, "an incremental rebuild");
        r
    }

    fn read(&self, rel: &str) -> String {
        read(&self.root, rel)
    }

    fn write(&self, rel: &str, text: &str) {
        write(&self.root, rel, text);
    }

    /// Edits a file's text: `edit` gets and returns it.
    fn edit(&self, rel: &str, edit: impl FnOnce(String) -> String) {
        let text = self.read(rel);
        let new = edit(text.clone());
        assert_ne!(text, new, "the edit changes {rel}");
        self.write(rel, &new);
    }

    /// Rewrites a file's text, changed or not (a save without changes is a change too).
    fn rewrite(&self, rel: &str, edit: impl FnOnce(String) -> String) {
        let text = self.read(rel);
        self.write(rel, &edit(text));
    }

    /// The output file of an article (`content/kb/219/Q219332/README.md` → `kb/219/Q219332/index.html`).
    fn output_of(&self, article: &str) -> String {
        let dir = article.trim_start_matches("content/").trim_end_matches("README.md");
        format!("{dir}index.html")
    }

    /// `Q219332` for an article path.
    fn id_of(&self, article: &str) -> String {
        article.rsplit('/').nth(1).unwrap().to_string()
    }

    /// Asserts the output equals a clean full build of the same sources, file for file.
    fn assert_same_as_clean_build(&self) {
        let clean = tempfile::tempdir().unwrap();
        let overrides = Overrides { output: Some(clean.path().join("out")), ..Default::default() };
        let config = SiteConfig::load(&self.root, &overrides).unwrap();
        build(&config, &BuildOptions { quiet: true, live: true, ..Default::default() }).unwrap();
        assert_same_tree(&self.out(), &clean.path().join("out"), "incremental output");
    }
}

/// A serve state for the site at `root` after its first build, as `kbsite serve` starts: the
/// pages, then (once serving) the search index when the build could not keep it; the first
/// build's `search` says how long that took.
fn serve(root: &Path) -> (ServeState, Rebuild) {
    let mut state = ServeState::new(root, Overrides::default(), true).unwrap();
    let mut first = rebuild_pages(&mut state, &ChangeSet::everything()).unwrap();
    assert!(first.full, "serve starts with a full build");
    let index = state.config.output.join("search/manifest.json");
    let pending = search_pending(&state);
    assert_eq!(pending, !index.exists(), "an index is there when kept, and only then");
    assert!(state.config.output.join("search/search.js").exists(), "the client is there either way");
    first.search = update_search_index(&mut state, &mut || false);
    assert_eq!(first.search.is_some(), pending);
    assert!(index.exists() && !search_pending(&state));
    (state, first)
}

fn mtimes(dir: &Path) -> BTreeMap<String, SystemTime> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().display().to_string(), e.metadata().unwrap().modified().unwrap()))
        .collect()
}

/// Replaces the value of a KB header line (`\tProduct(s): …`).
fn set_header(text: &str, key: &str, value: &str) -> String {
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if !found && l.trim_start().starts_with(key) {
                found = true;
                format!("\t{key} {value}")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(found, "no `{key}` line");
    lines.join("\n") + "\n"
}

/// Inserts a line into the article text (inside its raw block, after the header).
fn add_text(text: &str, line: &str) -> String {
    text.replacen("{% endraw %}", &format!("\t{line}\n{{% endraw %}}"), 1)
}

#[test]
fn editing_an_articles_text_rewrites_that_article_only() {
    let mut site = Site::new();
    let a = site.articles[3].clone();
    let before = mtimes(&site.out());
    site.edit(&a, |t| add_text(&t, "An added sentence about incremental builds."));
    let r = site.ok(&[&a]);
    assert_eq!(r.written, [site.output_of(&a)], "only the article");
    assert!(r.deleted.is_empty());
    assert!(r.search.is_some(), "the search index follows the text");
    assert!(site.read(&format!("public/{}", site.output_of(&a))).contains("An added sentence"));
    let after = mtimes(&site.out());
    let touched: Vec<&String> =
        after.iter().filter(|(k, t)| before.get(*k) != Some(t) && !k.starts_with("search/")).map(|(k, _)| k).collect();
    assert_eq!(touched, [&site.output_of(&a)], "no other file was rewritten");
    site.assert_same_as_clean_build();
}

#[test]
fn only_a_change_to_what_the_index_holds_rebuilds_the_search_index() {
    let mut site = Site::new();
    let a = site.articles[5].clone();
    let search = site.out().join("search");
    let search_files = || tree(&search);
    let indexed = search_files();
    site.rewrite(&a, |t| t);
    let r = site.ok(&[&a]);
    assert!(r.search.is_none(), "a save without changes leaves the search index alone");
    site.edit(&a, |t| add_text(&t, "Zyxwvutsr is a word no other article has."));
    let r = site.ok(&[&a]);
    assert!(r.search.is_some(), "new text is indexed");
    assert_ne!(search_files(), indexed);
    let other = site.articles[6].clone();
    site.rewrite(&other, |t| t);
    assert!(site.ok(&[&other]).search.is_none(), "hashes are kept by the rebuilt index too");
    site.edit(&a, |t| t.replace("\tZyxwvutsr is a word no other article has.\n", ""));
    assert!(site.ok(&[&a]).search.is_some(), "taking the text out is a change too");
    assert_eq!(search_files(), indexed, "back to the first index, file for file");
    site.assert_same_as_clean_build();
}

#[test]
fn editing_a_title_updates_the_pages_that_show_it() {
    let mut site = Site::new();
    let a = site.articles[5].clone();
    site.edit(&a, |t| {
        let title_line = t.lines().find(|l| l.starts_with("title:")).unwrap().to_string();
        t.replacen(&title_line, "title: \"A brand new title & more\"", 1)
    });
    let r = site.ok(&[&a]);
    assert!(r.written.contains(&site.output_of(&a)));
    assert!(r.written.iter().any(|o| o.starts_with("products/")), "its product page lists the title: {:?}", r.written);
    assert!(r.written.len() < 40, "not the whole site: {:?}", r.written);
    site.assert_same_as_clean_build();
}

#[test]
fn a_new_mention_updates_the_cited_articles_cited_by() {
    let mut site = Site::new();
    let (a, b) = (site.articles[1].clone(), site.articles[10].clone());
    let b_id = site.id_of(&b);
    site.edit(&a, |t| add_text(&t, &format!("For more information, see {b_id}.")));
    let r = site.ok(&[&a]);
    assert!(r.written.contains(&site.output_of(&a)));
    assert!(r.written.contains(&site.output_of(&b)), "{b} is now cited by {a}: {:?}", r.written);
    site.assert_same_as_clean_build();

    // And the mention goes again.
    site.edit(&a, |t| t.replace(&format!("\tFor more information, see {b_id}.\n"), ""));
    let r = site.ok(&[&a]);
    assert!(r.written.contains(&site.output_of(&b)));
    site.assert_same_as_clean_build();
}

#[test]
fn product_keyword_and_date_changes_move_articles_between_index_pages() {
    let mut site = Site::new();
    let a = site.articles[2].clone();
    let b = site.articles[7].clone();

    // A product of its own: a new term page (and overview entry) appears.
    site.edit(&a, |t| set_header(&t, "Product(s):", "Incremental Test Product"));
    let r = site.ok(&[&a]);
    assert!(r.written.iter().any(|o| o == "products/incremental-test-product/index.html"), "{:?}", r.written);
    assert!(r.written.contains(&"products/index.html".to_string()));
    site.assert_same_as_clean_build();

    // A new keyword, and a date that moves it to the front of every list (pagination shifts).
    site.edit(&a, |t| {
        set_header(&set_header(&t, "Keyword(s):", "kbincrementalonly kbtest"), "Last Modified:", "31-DEC-2004")
    });
    site.ok(&[&a]);
    assert!(site.out().join("keywords/kbincrementalonly/index.html").exists());
    assert!(site.out().join("years/2004/index.html").exists());
    site.assert_same_as_clean_build();

    // Back to an existing product and another year: the term pages of its own go.
    site.edit(&a, |t| {
        set_header(&set_header(&t, "Product(s):", "Microsoft Exchange"), "Last Modified:", "01-JAN-1995")
    });
    site.edit(&a, |t| set_header(&t, "Keyword(s):", "kbtest"));
    let r = site.ok(&[&a]);
    assert!(r.deleted.contains(&"products/incremental-test-product/index.html".to_string()), "{:?}", r.deleted);
    assert!(!site.out().join("products/incremental-test-product").exists(), "its folder goes too");
    assert!(!site.out().join("keywords/kbincrementalonly").exists());
    site.assert_same_as_clean_build();

    // Two files at once.
    site.edit(&b, |t| set_header(&t, "Last Modified:", "02-FEB-1996"));
    site.edit(&a, |t| set_header(&t, "Last Modified:", "03-MAR-1996"));
    site.ok(&[&a, &b]);
    site.assert_same_as_clean_build();
}

#[test]
fn a_new_article_appears_everywhere_it_belongs() {
    let mut site = Site::new();
    let cited = site.articles[4].clone();
    let cited_id = site.id_of(&cited);
    let text = format!(
        "---\nlayout: page\ntitle: \"Q999001: A New Article\"\npermalink: /kb/999/Q999001/\n---\n\n## Q999001: A New Article\n\n{{% raw %}}\n\n\tArticle: Q999001\n\tProduct(s): Microsoft Exchange\n\tVersion(s): 5.5\n\tOperating System(s): \n\tKeyword(s): kbnewarticle exc55\n\tLast Modified: 15-JUN-2001\n\t\n\tThis new article mentions {cited_id} and Q1001.\n\n{{% endraw %}}\n"
    );
    site.write("content/kb/999/Q999001/README.md", &text);
    let r = site.ok(&["content/kb/999", "content/kb/999/Q999001", "content/kb/999/Q999001/README.md"]);
    assert!(r.written.contains(&"kb/999/Q999001/index.html".to_string()));
    assert!(r.written.contains(&"Q999001/index.html".to_string()), "its short URL");
    assert!(r.written.contains(&site.output_of(&cited)), "cited by the new article");
    site.assert_same_as_clean_build();
}

#[test]
fn a_deleted_article_disappears_from_indexes_and_its_url_404s() {
    let mut site = Site::new();
    let (a, b) = (site.articles[0].clone(), site.articles[6].clone());
    let b_id = site.id_of(&b);
    // `a` cites `b` first.
    site.edit(&a, |t| add_text(&t, &format!("See also {b_id}.")));
    site.ok(&[&a]);
    assert!(site.read(&format!("public/{}", site.output_of(&a))).contains(&format!("{b_id}</a>")));

    // Delete `b`'s whole folder, as `rm -r` does.
    let folder = b.trim_end_matches("/README.md").to_string();
    std::fs::remove_dir_all(site.root.join(&folder)).unwrap();
    let r = site.ok(&[&folder]);
    let out = site.output_of(&b);
    assert!(r.deleted.contains(&out), "{:?}", r.deleted);
    assert!(r.deleted.contains(&format!("{b_id}/index.html")), "its short URL goes");
    assert!(!site.out().join(&out).exists());
    assert!(!site.out().join(out.trim_end_matches("/index.html")).exists(), "no empty folder is left");
    assert!(r.written.contains(&site.output_of(&a)), "the mention is no longer a link");
    site.assert_same_as_clean_build();

    // Delete a single file.
    let c = site.articles[12].clone();
    std::fs::remove_file(site.root.join(&c)).unwrap();
    site.ok(&[&c]);
    site.assert_same_as_clean_build();
}

#[test]
fn a_template_edit_rewrites_only_the_pages_that_use_it() {
    let mut site = Site::new();
    // `wide` is used by docs/guide.md only.
    let before = mtimes(&site.out());
    site.edit("templates/wide.html", |t| t.replace("<div class=\"wide\"", "<div class=\"wider\""));
    let r = site.ok(&["templates/wide.html"]);
    assert_eq!(r.written, ["docs/guide/index.html"]);
    let after = mtimes(&site.out());
    let touched: Vec<&String> = after.iter().filter(|(k, t)| before.get(*k) != Some(t)).map(|(k, _)| k).collect();
    assert_eq!(touched, ["docs/guide/index.html"], "no other file was rewritten");
    site.assert_same_as_clean_build();

    // `page` is used by the articles, and by layouts built on it, but not by index pages.
    site.write(
        "templates/page.html",
        &format!("{}<!-- edited -->\n", kbsite::render::templates::DEFAULT_TEMPLATES[1].1),
    );
    let r = site.ok(&["templates/page.html"]);
    assert!(r.written.contains(&site.output_of(&site.articles[0])));
    assert!(r.written.contains(&"docs/guide/index.html".to_string()), "wide's parent is page");
    assert!(!r.written.iter().any(|o| o.starts_with("products/") || o == "404.html"), "{:?}", r.written);
    site.assert_same_as_clean_build();

    // A partial included by `wide`: pages through `wide` change.
    site.write("templates/partials/note.html", "<p class=\"note\">included</p>");
    site.edit("templates/wide.html", |t| t.replace("</div>", "{% include \"partials/note.html\" %}</div>"));
    let r = site.ok(&["templates/partials/note.html", "templates/wide.html"]);
    assert_eq!(r.written, ["docs/guide/index.html"]);
    site.write("templates/partials/note.html", "<p class=\"note\">included, edited</p>");
    let r = site.ok(&["templates/partials/note.html"]);
    assert_eq!(r.written, ["docs/guide/index.html"]);
    site.assert_same_as_clean_build();

    // The default layout: everything that renders through it.
    site.write(
        "templates/default.html",
        &kbsite::render::templates::DEFAULT_TEMPLATES[0].1.replace("</body>", "<footer>edited</footer></body>"),
    );
    let r = site.ok(&["templates/default.html"]);
    assert!(r.written.contains(&"products/index.html".to_string()), "{:?}", r.written);
    assert!(!r.written.contains(&"404.html".to_string()), "the 404 template has no layout");
    site.assert_same_as_clean_build();

    // Deleting an override goes back to the built-in template.
    std::fs::remove_file(site.root.join("templates/default.html")).unwrap();
    site.ok(&["templates/default.html"]);
    site.assert_same_as_clean_build();
}

#[test]
fn static_files_come_and_go() {
    let mut site = Site::new();
    site.write("static/img/new.svg", "<svg/>");
    let r = site.ok(&["static/img/new.svg"]);
    assert_eq!(r.written, ["img/new.svg"]);
    site.assert_same_as_clean_build();

    std::fs::remove_file(site.root.join("static/img/logo.png")).unwrap();
    let r = site.ok(&["static/img/logo.png"]);
    assert_eq!(r.deleted, ["img/logo.png"]);
    site.assert_same_as_clean_build();

    // The site's own stylesheet replaces the theme's, and back.
    site.write("static/assets/kbsite.css", "body { color: red }");
    site.ok(&["static/assets/kbsite.css"]);
    site.assert_same_as_clean_build();
    std::fs::remove_file(site.root.join("static/assets/kbsite.css")).unwrap();
    site.ok(&["static/assets/kbsite.css"]);
    site.assert_same_as_clean_build();

    // Files in the content folder, and a page that loses its front matter.
    site.write("content/files/data.txt", "data");
    site.ok(&["content/files/data.txt"]);
    site.write("content/docs/guide.md", "no front matter any more\n");
    site.ok(&["content/docs/guide.md"]);
    site.assert_same_as_clean_build();
}

#[test]
fn bad_yaml_keeps_the_site_and_the_fix_recovers() {
    let mut site = Site::new();
    let a = site.articles[8].clone();
    let good = site.read(&a);
    let before = tree(&site.out());
    site.write(&a, &good.replacen("title:", "title: [unclosed", 1));
    let err = site.rebuild(&[&a]).unwrap_err();
    assert!(err.contains("README.md"), "{err}");
    assert_eq!(tree(&site.out()), before, "nothing written");
    assert!(site.state.shared.status().error.is_some());

    // Another file changes meanwhile: still failing, as a full build would.
    let b = site.articles[9].clone();
    site.edit(&b, |t| add_text(&t, "Edited while another file is broken."));
    assert!(site.rebuild(&[&b]).is_err());
    assert_eq!(tree(&site.out()), before);

    // The fix brings both changes in.
    site.write(&a, &good.replace("## ", "## Fixed: "));
    site.ok(&[&a]);
    assert!(site.read(&format!("public/{}", site.output_of(&b))).contains("Edited while another file is broken."));
    site.assert_same_as_clean_build();
}

#[test]
fn errors_found_after_a_change_was_taken_in_are_repaired_by_the_next_rebuild() {
    let mut site = Site::new();
    // Two pages on one URL: an error, until one of them moves.
    site.write("content/docs/clash.md", "---\ntitle: Clash\npermalink: /docs/guide/\n---\nclash\n");
    let err = site.rebuild(&["content/docs/clash.md"]).unwrap_err();
    assert!(err.contains("clash.md") && err.contains("guide.md"), "{err}");
    let a = site.articles[2].clone();
    site.edit(&a, |t| add_text(&t, "Meanwhile."));
    assert!(site.rebuild(&[&a]).is_err(), "the clash still stands");
    site.write("content/docs/clash.md", "---\ntitle: Clash\n---\nno clash\n");
    site.ok(&["content/docs/clash.md"]);
    site.assert_same_as_clean_build();

    // A template that fails while rendering: nothing is written until it is fixed.
    site.write("templates/wide.html", "---\nlayout: page\n---\n{{ missing.value }}\n");
    assert!(site.rebuild(&["templates/wide.html"]).is_err());
    site.edit(&a, |t| add_text(&t, "And again."));
    assert!(site.rebuild(&[&a]).is_err());
    site.write("templates/wide.html", "---\nlayout: page\n---\n<div>{{ content | safe }}</div>\n");
    site.ok(&["templates/wide.html"]);
    site.assert_same_as_clean_build();
}

#[test]
fn an_index_page_beside_a_readme_takes_over_the_folder() {
    let mut site = Site::new();
    assert!(site.out().join("notes/index.html").exists());
    site.write("content/notes/index.md", "---\ntitle: Notes index\n---\nThe index.\n");
    let r = site.ok(&["content/notes/index.md"]);
    assert!(r.written.contains(&"notes/README/index.html".to_string()), "the README moves: {:?}", r.written);
    site.assert_same_as_clean_build();
    std::fs::remove_file(site.root.join("content/notes/index.md")).unwrap();
    site.ok(&["content/notes/index.md"]);
    assert!(!site.out().join("notes/README").exists());
    site.assert_same_as_clean_build();
}

#[test]
fn a_page_at_the_root_replaces_the_generated_home_page_and_back() {
    let mut site = Site::new();
    // The fixture's content/index.html owns `/`; without it the KB home page is generated.
    std::fs::remove_file(site.root.join("content/index.html")).unwrap();
    let r = site.ok(&["content/index.html"]);
    assert!(r.written.contains(&"index.html".to_string()));
    assert!(site.read("public/index.html").contains("kb-home") || site.read("public/index.html").len() > 100);
    site.assert_same_as_clean_build();
    site.write("content/index.html", "---\ntitle: Home\nlayout: none\npermalink: /\n---\n<p>home</p>\n");
    site.ok(&["content/index.html"]);
    site.assert_same_as_clean_build();
}

#[test]
fn renaming_a_folder_moves_its_articles() {
    let mut site = Site::new();
    let a = site.articles[11].clone();
    let from = a.trim_end_matches("/README.md").to_string();
    let to = format!("{from}-moved");
    std::fs::rename(site.root.join(&from), site.root.join(&to)).unwrap();
    // The watcher reports both folders (and maybe the files); the folders are enough.
    let r = site.ok(&[&from, &to]);
    // Its permalink keeps its URL and nothing it shows changed, so its page is not rewritten.
    assert!(site.out().join(site.output_of(&a)).is_file());
    assert!(!r.written.contains(&site.output_of(&a)), "{:?}", r.written);
    site.assert_same_as_clean_build();

    // A file renamed within the site: a page at a new path (its permalink keeps its URL).
    let b = site.articles[13].clone();
    let renamed = b.replace("README.md", "article.md");
    std::fs::rename(site.root.join(&b), site.root.join(&renamed)).unwrap();
    site.ok(&[&b, &renamed]);
    site.assert_same_as_clean_build();
}

/// Random edits, several per rebuild, compared with a clean build after each rebuild.
#[test]
fn random_edit_sequences_match_clean_builds() {
    let mut site = Site::new();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let products = ["Microsoft Exchange", "Microsoft Windows NT", "Random Product", "Fixture Server"];
    let keywords = ["kbbug kbfix", "kbrandom", "kbusage exc55", "kbtest"];
    let dates = ["01-JAN-1998", "15-JUN-2001", "31-DEC-2004", "10-NOV-2000"];
    let mut added = 0;
    for round in 0..25 {
        let mut paths: Vec<String> = Vec::new();
        for _ in 0..1 + next(3) {
            let live: Vec<String> = site.articles.iter().filter(|a| site.root.join(a).exists()).cloned().collect();
            let a = live[next(live.len())].clone();
            match next(7) {
                0 => site.rewrite(&a, |t| set_header(&t, "Product(s):", products[next(products.len())])),
                1 => site.rewrite(&a, |t| set_header(&t, "Keyword(s):", keywords[next(keywords.len())])),
                2 => site.rewrite(&a, |t| set_header(&t, "Last Modified:", dates[next(dates.len())])),
                3 => {
                    let b = site.id_of(&live[next(live.len())]);
                    site.rewrite(&a, |t| add_text(&t, &format!("Round {round}: see {b}.")));
                }
                4 => site.rewrite(&a, |t| t.replacen("title: \"", &format!("title: \"R{round} "), 1)),
                5 => {
                    std::fs::remove_file(site.root.join(&a)).unwrap();
                }
                _ => {
                    added += 1;
                    let id = format!("Q{}", 998_000 + added);
                    let rel = format!("content/kb/998/{id}/README.md");
                    let text = site.read(&a).replace(&site.id_of(&a), &id);
                    let text = text
                        .lines()
                        .map(|l| {
                            if l.starts_with("permalink:") {
                                format!("permalink: /kb/998/{id}/")
                            } else {
                                l.to_string()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    site.write(&rel, &text);
                    site.articles.push(rel.clone());
                    paths.push(rel);
                    continue;
                }
            }
            paths.push(a);
        }
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        site.ok(&refs);
        site.assert_same_as_clean_build();
    }
}

#[test]
fn a_config_change_after_incremental_rounds_rebuilds_everything_in_the_reused_folder() {
    let mut site = Site::new();
    let (a, b) = (site.articles[1].clone(), site.articles[2].clone());
    site.edit(&a, |t| add_text(&t, "An incremental edit."));
    site.ok(&[&a]);
    std::fs::remove_file(site.root.join(&b)).unwrap();
    site.ok(&[&b]);
    let short = format!("{}/index.html", site.id_of(&a));
    assert!(site.out().join(&short).exists(), "short URLs are on by default");

    // site.toml → a full build, which reuses the folder the previous full build left aside.
    let toml = site.read("site.toml");
    site.write("site.toml", &toml.replace("[kb]\n", "[kb]\nshort_urls = false\n"));
    let r = site.rebuild(&["site.toml"]).unwrap();
    assert!(r.full, "a configuration change is a full build");
    assert!(!site.out().join(&short).exists(), "short URL pages gone with short_urls = false");
    site.assert_same_as_clean_build();

    // And incremental rounds go on from there.
    site.edit(&a, |t| add_text(&t, "Another edit."));
    site.ok(&[&a]);
    assert!(!site.out().join(&short).exists());
    site.assert_same_as_clean_build();
}

#[test]
fn the_highlight_stylesheet_follows_the_pages_that_use_highlighting() {
    let mut site = Site::new();
    let css = site.out().join("assets/highlight.css");
    assert!(css.exists(), "the fixture's guide.md highlights Rust");
    let snippet = "\n```rust\nfn main() { println!(\"hi\"); }\n```\n";
    site.write("content/notes/code.md", &format!("---\ntitle: Code\n---\nSome code:\n{snippet}"));
    site.ok(&["content/notes/code.md"]);
    site.assert_same_as_clean_build();

    // The new highlighted page gone: the one the full build found keeps the stylesheet.
    std::fs::remove_file(site.root.join("content/notes/code.md")).unwrap();
    site.ok(&["content/notes/code.md"]);
    assert!(css.exists(), "guide.md still highlights code");
    site.assert_same_as_clean_build();

    // The last highlighted page loses its code: the stylesheet goes.
    site.edit("content/docs/guide.md", |t| t.replace("```rust", "```"));
    site.ok(&["content/docs/guide.md"]);
    assert!(!css.exists(), "no page highlights code any more");
    site.assert_same_as_clean_build();
}

#[test]
fn a_restarted_serve_keeps_what_its_last_run_made_and_equals_a_clean_build() {
    let mut site = Site::new();
    let (a, b) = (site.articles[1].clone(), site.articles[2].clone());
    // Written into the live folder by an incremental round: those files are not the full
    // build's any more, and must not be taken for it.
    site.edit(&a, |t| add_text(&t, "Edited while serving."));
    site.ok(&[&a]);
    // Changed while no serve runs: what lists it moves too.
    site.edit(&b, |t| set_header(&t, "Product(s):", "Restart Test Product"));

    let first = site.restart();
    assert!(first.kept > 0, "pages unchanged since the last run are kept");
    assert!(first.search.is_some(), "an article's text changed: a new index, made after the pages");
    site.assert_same_as_clean_build();

    // Nothing changed since: the search index is kept too (the one serve made after serving),
    // and rounds go on from there.
    let again = site.restart();
    assert!(again.kept > first.kept, "everything keyed is kept: {} then {}", first.kept, again.kept);
    assert!(again.search.is_none(), "the index serve made is kept");
    site.assert_same_as_clean_build();

    // An index an incremental round made is recorded as well.
    site.edit(&b, |t| add_text(&t, "Indexed by a round."));
    assert!(site.ok(&[&b]).search.is_some());
    assert!(site.restart().search.is_none(), "the round's index is kept");
    site.assert_same_as_clean_build();
    site.edit(&a, |t| add_text(&t, "Edited after the restart."));
    site.ok(&[&a]);
    site.assert_same_as_clean_build();
}

#[test]
fn serve_writes_the_site_kbsite_build_writes_and_each_keeps_the_others_pages() {
    let mut site = Site::new();
    let out = site.out();
    let no_script = |what: &str| {
        for (path, text) in tree(&out) {
            assert!(
                !String::from_utf8_lossy(&text).contains("__kbsite"),
                "{what}: the live-reload script is in {path}"
            );
        }
    };
    no_script("serve's first build");
    let a = site.articles[3].clone();
    site.edit(&a, |t| add_text(&t, "Edited while serving."));
    site.ok(&[&a]);
    no_script("an incremental round");

    // `kbsite build` over serve's output keeps what serve made (the article serve's round
    // rewrote is made again, and comes out the same).
    let config = SiteConfig::load(&site.root, &Overrides::default()).unwrap();
    let built = build(&config, &BuildOptions { quiet: true, ..Default::default() }).unwrap();
    let outputs = (built.pages + built.index_pages) as u64;
    assert!(built.files_kept + 1 >= outputs, "{} of {outputs} kept", built.files_kept);
    assert!(built.files_unchanged >= 1, "the rewritten article is made again");
    assert!(built.search_kept, "serve's index is recorded and kept");
    site.assert_same_as_clean_build();

    // And serve after `kbsite build` keeps every page and the index.
    let first = site.restart();
    assert!(first.kept >= outputs, "every page and index page kept: {} of {outputs}", first.kept);
    assert!(first.search.is_none(), "the index kept");
    no_script("serve after kbsite build");
    site.assert_same_as_clean_build();
}
