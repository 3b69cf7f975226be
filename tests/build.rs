//! End-to-end builds of fixture sites: what a user gets in `public/`, and what they are told
//! when something is wrong.

mod common;

use common::{build_site, fixture, read, tree, write};

#[test]
fn basic_site_builds_with_jekyll_urls_layouts_and_baseurl() {
    let (_tmp, root) = fixture("basic");
    let config = kbsite::config::SiteConfig::load(&root, &Default::default()).unwrap();
    let opts = kbsite::build::BuildOptions { quiet: true, record_outputs: true, ..Default::default() };
    let report = kbsite::build::build(&config, &opts).unwrap();
    let out = root.join("public");

    let article = read(&out, "kb/001/Q1001/index.html");
    // Layout chain page → default, with baseurl on generated links.
    assert!(article.contains("<article class=\"page\">"), "{article}");
    assert!(article.contains("href=\"/kbarchive/assets/kbsite.css\""));
    assert!(article.contains("<link rel=\"canonical\" href=\"https://fixture.example/kbarchive/kb/001/Q1001/\">"));
    // Raw block: Liquid inside stays literal, markers vanish; comment removed.
    assert!(article.contains("Template text {{ page.title }} and {% if x %} stays literal."));
    assert!(!article.contains("{% raw %}") && !article.contains("endraw"));
    assert!(!article.contains("This comment disappears"));
    assert!(article.contains("<p>After the block.</p>"));
    // Entities in titles: decoded once, escaped once, typographic like Jekyll.
    assert!(
        article.contains("<title>Q1001: XADM: Q&amp;A | &quot;Quotes&quot; Can’t | Fixture KB</title>"),
        "{article}"
    );
    assert!(!article.contains("&amp;amp;") && !article.contains("&amp;#124;"));

    // Nested layout gets its own front matter as `layout`.
    let guide = read(&out, "docs/guide/index.html");
    assert!(guide.contains("<div class=\"wide\" data-width=\"full\">"), "{guide}");
    assert!(guide.contains("<article class=\"page\">"));
    assert!(guide.contains("<pre class=\"highlight\"><code class=\"language-rust\">"));
    assert!(out.join("assets/highlight.css").exists());

    // layout: none renders bare; permalink "/" is the index.
    assert_eq!(read(&out, "index.html"), "<p>home</p>\n");
    // Static files, files without front matter, .nojekyll, default theme CSS.
    assert_eq!(read(&out, "img/logo.png"), "png");
    assert_eq!(read(&out, "notes.txt"), "plain file, no front matter\n");
    assert!(out.join(".nojekyll").exists());
    assert!(out.join("assets/kbsite.css").exists());
    assert!(out.join("404.html").exists());
    // Excluded and underscore folders are skipped.
    for skipped in ["deploy.sh", "drafts", "_private"] {
        assert!(!out.join(skipped).exists(), "{skipped} should be excluded");
    }
    // The stray Liquid in guide.md is kept as text and reported with its line.
    assert!(guide.contains("[the article]({{ "), "kept as text, not evaluated: {guide}");
    let warning = report.warnings.iter().find(|w| w.file.ends_with("docs/guide.md")).expect("a warning for guide.md");
    assert_eq!(warning.line, Some(7));
    assert_eq!(report.pages, 3);
    // Dependencies are recorded per output.
    let rec = report.outputs.iter().find(|o| o.output == "docs/guide/index.html").unwrap();
    assert_eq!(rec.source.as_deref(), Some("docs/guide.md"));
    assert_eq!(rec.templates, ["wide.html", "page.html", "default.html"]);
}

#[test]
fn baseurl_override_changes_every_link() {
    let (_tmp, root) = fixture("basic");
    let config = kbsite::config::SiteConfig::load(
        &root,
        &kbsite::config::Overrides { baseurl: Some("/other".into()), ..Default::default() },
    )
    .unwrap();
    kbsite::build::build(&config, &Default::default()).unwrap();
    let article = read(&root.join("public"), "kb/001/Q1001/index.html");
    assert!(article.contains("href=\"/other/assets/kbsite.css\""));
    assert!(!article.contains("/kbarchive/"));
}

/// Builds, expecting failure; returns the error text and checks the old output survived.
fn failing_build(edit: impl FnOnce(&std::path::Path)) -> String {
    let (_tmp, root) = fixture("basic");
    build_site(&root).unwrap();
    let before = read(&root.join("public"), "kb/001/Q1001/index.html");
    edit(&root);
    let err = format!("{:#}", build_site(&root).unwrap_err());
    assert_eq!(
        read(&root.join("public"), "kb/001/Q1001/index.html"),
        before,
        "a failed build must leave the previous site intact"
    );
    err
}

#[test]
fn bad_yaml_names_file_and_line() {
    let err = failing_build(|root| write(root, "content/bad.md", "---\ntitle: ok\nlayout: [unclosed\n---\nbody\n"));
    assert!(err.contains("bad.md:"), "{err}");
    let line: usize = err.split("bad.md:").nth(1).unwrap().split(':').next().unwrap().parse().unwrap();
    assert!((3..=4).contains(&line), "{err}");
    assert!(err.contains("invalid YAML front matter"), "{err}");
}

#[test]
fn duplicate_permalink_names_both_files_and_writes_nothing() {
    let err = failing_build(|root| {
        write(root, "content/a.md", "---\npermalink: /kb/001/Q1001/\n---\nx\n");
    });
    assert!(
        err.contains("`a.md`") && err.contains("`kb/001/Q1001/README.md`") && err.contains("/kb/001/Q1001/"),
        "{err}"
    );
}

#[test]
fn escaping_permalink_is_an_error() {
    let err = failing_build(|root| write(root, "content/evil.md", "---\npermalink: /../../outside/\n---\nx\n"));
    assert!(err.contains("evil.md") && err.contains("escapes the output folder"), "{err}");
}

#[test]
fn template_error_names_the_template_and_all_errors_are_collected() {
    let err = failing_build(|root| {
        write(root, "templates/wide.html", "---\nlayout: page\n---\n{% if %}\n");
        write(root, "content/bad.md", "---\n: : :\n---\n");
        write(root, "content/missing-layout.md", "---\nlayout: nosuch\n---\n");
    });
    assert!(err.contains("templates/wide.html:4"), "{err}");
    assert!(err.contains("bad.md"), "{err}");
    assert!(err.contains("missing-layout.md") && err.contains("layout `nosuch` does not exist"), "{err}");
    assert!(err.starts_with("build failed with 3 errors"), "{err}");
}

#[test]
fn render_error_fails_the_build_naming_the_page() {
    let err = failing_build(|root| write(root, "templates/wide.html", "{{ page.nosuch.field }}"));
    assert!(err.contains("docs/guide.md") && err.contains("layout `wide`"), "{err}");
}

#[test]
fn jekyll_repo_builds_in_place_with_source_dot() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "site.toml", "source = \".\"\noutput = \"_site\"\nexclude = [\"scripts\"]\n");
    write(root, "README.md", "---\nlayout: page\ntitle: Home\npermalink: /\n---\n# Home\n");
    write(root, "id/README.md", "## KB Articles by Product\n\n- [x](../kb/)\n");
    write(root, "_layouts/page.html", "liquid layout, ignored");
    write(root, "_config.yml", "title: x\n");
    write(root, "scripts/x.md", "---\n---\n");
    write(root, ".git/config", "x");
    build_site(root).unwrap();
    let out = root.join("_site");
    assert!(out.join("index.html").exists());
    // GitHub Pages: Markdown without front matter is a page, titled by its first heading.
    assert!(
        read(&out, "id/index.html").contains("<title>KB Articles by Product | </title>")
            || read(&out, "id/index.html").contains("<title>KB Articles by Product")
    );
    for skipped in ["_layouts", "_config.yml", "scripts", ".git", "site.toml", "_site"] {
        assert!(!out.join(skipped).exists(), "{skipped}");
    }
    // A rebuild must not read its own output as a source.
    build_site(root).unwrap();
    assert!(!out.join("_site").exists());
}

#[test]
fn rebuilds_reuse_the_previous_folder_and_equal_a_clean_build() {
    let (_tmp, root) = fixture("basic");
    build_site(&root).unwrap();
    build_site(&root).unwrap(); // now <output>.kbsite-old exists and will be reused
                                // A failed build writes part of a site into the staging folder …
    write(&root, "content/extra.md", "---\ntitle: Extra\n---\nextra page\n");
    let wide = read(&root, "templates/wide.html");
    write(&root, "templates/wide.html", "{{ page.nosuch.field }}");
    assert!(build_site(&root).is_err());
    // … the next good build reuses that folder and must carry nothing over.
    std::fs::remove_file(root.join("content/extra.md")).unwrap();
    std::fs::remove_file(root.join("static/img/logo.png")).unwrap();
    write(&root, "templates/wide.html", &wide);
    build_site(&root).unwrap();
    let clean = root.join("clean");
    let config = kbsite::config::SiteConfig::load(
        &root,
        &kbsite::config::Overrides { output: Some(clean.clone()), ..Default::default() },
    )
    .unwrap();
    kbsite::build::build(&config, &Default::default()).unwrap();
    let (rebuilt, fresh) = (tree(&root.join("public")), tree(&clean));
    assert_eq!(rebuilt.keys().collect::<Vec<_>>(), fresh.keys().collect::<Vec<_>>());
    assert!(rebuilt == fresh, "same bytes in every file");
    assert!(!root.join("public/extra").exists() && !root.join("public/img/logo.png").exists());
}

#[test]
fn kb_terms_link_to_their_pages_and_terms_without_a_page_stay_text() {
    // A keyword made only of punctuation has an empty slug, so no `/keywords/<slug>/` page: the
    // article names it without a link (never `/keywords//`).
    let (_tmp, root) = fixture("basic");
    let article = read(&root, "content/kb/001/Q1001/README.md")
        .replace("Keyword(s): kbfixture kbtest", "Keyword(s): kbFixture --- kbtest");
    write(&root, "content/kb/001/Q1001/README.md", &article);
    build_site(&root).unwrap();
    let out = root.join("public");
    let html = read(&out, "kb/001/Q1001/index.html");
    let meta = &html[html.find("<nav class=\"kb-meta\"").unwrap()..];
    let meta = &meta[..meta.find("</nav>").unwrap()];
    assert!(meta.contains("<a href=\"/kbarchive/products/fixture-server/\">Fixture Server</a>"), "{meta}");
    assert!(
        meta.contains(
            "Keywords: <a href=\"/kbarchive/keywords/kbfixture/\">kbFixture</a> --- <a href=\"/kbarchive/keywords/kbtest/\">kbtest</a>"
        ),
        "{meta}"
    );
    assert!(meta.contains("<a href=\"/kbarchive/years/1999/\">1999</a>"), "{meta}");
    assert!(!html.contains("/keywords//"));
    for page in ["products/fixture-server", "keywords/kbfixture", "keywords/kbtest", "years/1999"] {
        assert!(read(&out, &format!("{page}/index.html")).contains("/kbarchive/kb/001/Q1001/"), "{page}");
    }
}

#[test]
fn profile_prints_each_stage_and_where_render_write_and_search_spent_their_cpu() {
    let (_tmp, root) = fixture("basic");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kbsite"))
        .args(["build", "-q", "-v", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    for stage in ["load", "analyze", "render+write", "redirects+search", "swap"] {
        assert!(err.lines().any(|l| l.trim_start().starts_with(&format!("{stage} "))), "{stage}: {err}");
    }
    let split =
        err.lines().find(|l| l.contains("render+write, CPU summed over threads")).unwrap_or_else(|| panic!("{err}"));
    for part in ["reading sources", "rendering", "writing", "making folders", "waited"] {
        assert!(split.contains(part), "{part}: {split}");
    }
    // The search index and the redirect pages run side by side: their CPU time is told apart.
    let search = err
        .lines()
        .find(|l| l.contains("redirects+search, CPU summed over threads"))
        .unwrap_or_else(|| panic!("{err}"));
    for part in ["search index", "reading sources", "tokenizing", "adding and writing", "redirect pages"] {
        assert!(search.contains(part), "{part}: {search}");
    }

    // The report has the split only when asked for it (measuring costs system calls).
    let config = kbsite::config::SiteConfig::load(&root, &Default::default()).unwrap();
    let plain = kbsite::build::BuildOptions { quiet: true, ..Default::default() };
    let report = kbsite::build::build(&config, &plain).unwrap();
    assert_eq!((report.work, report.search_work), (None, None));
    // `--full`: this second build would otherwise link every page from the first, rendering none.
    let profiled = kbsite::build::BuildOptions { profile: true, full: true, ..plain };
    let report = kbsite::build::build(&config, &profiled).unwrap();
    let work = report.work.unwrap();
    assert!(work.render > std::time::Duration::ZERO, "{work:?}");
    let search = report.search_work.unwrap();
    assert!(search.search_tokenize > std::time::Duration::ZERO, "{search:?}");
    assert!(search.search >= search.search_read + search.search_tokenize, "the parts are within the whole: {search:?}");
}
