//! Publishing outputs, `kbsite init` and `kbsite check`, end to end on fixture sites.

mod common;

use common::{build_site, fixture, read, write};

#[test]
fn pages_outputs_are_written() {
    let (_tmp, root) = fixture("basic");
    let toml = format!("cname = \"kb.example.org\"\n{}", read(&root, "site.toml"));
    write(&root, "site.toml", &toml);
    build_site(&root).unwrap();
    let out = root.join("public");
    assert_eq!(read(&out, "CNAME"), "kb.example.org\n");
    assert!(out.join(".nojekyll").exists());
    assert!(read(&out, "404.html").contains("Page not found"));
    assert!(read(&out, "robots.txt").contains("Sitemap: https://fixture.example/kbarchive/sitemap.xml"));
    let sitemap = read(&out, "sitemap.xml");
    assert!(sitemap.contains("<loc>https://fixture.example/kbarchive/kb/001/Q1001/</loc>"), "{sitemap}");
    assert!(sitemap.contains("<loc>https://fixture.example/kbarchive/docs/guide/</loc>"));
    assert!(!sitemap.contains("404.html"));
    let feed = read(&out, "feed.xml");
    assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">") && feed.contains("kb/001/Q1001/"), "{feed}");
    assert!(
        read(&out, "opensearch.xml").contains("template=\"https://fixture.example/kbarchive/search/?q={searchTerms}\"")
    );
    // Short URL: a static redirect page to the canonical URL.
    let short = read(&out, "Q1001/index.html");
    assert!(
        short.contains("url=/kbarchive/kb/001/Q1001/")
            && short.contains("rel=\"canonical\" href=\"https://fixture.example/kbarchive/kb/001/Q1001/\"")
    );
    // Every page has canonical and Open Graph meta.
    let article = read(&out, "kb/001/Q1001/index.html");
    assert!(article.contains("<meta property=\"og:url\" content=\"https://fixture.example/kbarchive/kb/001/Q1001/\">"));
    assert!(article.contains("rel=\"search\" type=\"application/opensearchdescription+xml\""));
}

#[test]
fn a_site_file_wins_over_a_generated_one() {
    let (_tmp, root) = fixture("basic");
    write(&root, "static/robots.txt", "User-agent: *\nDisallow: /\n");
    build_site(&root).unwrap();
    assert_eq!(read(&root.join("public"), "robots.txt"), "User-agent: *\nDisallow: /\n");
}

#[test]
fn init_scaffolds_a_site_that_builds_and_a_valid_pages_workflow() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mysite");
    let written = kbsite::init::init(&dir, true).unwrap();
    assert!(written.contains(&"site.toml".to_string()) && written.contains(&"templates/page.html".to_string()));
    assert!(dir.join("static/assets/kbsite.css").exists());
    let workflow = read(&dir, ".github/workflows/pages.yml");
    let yaml: serde_yaml::Value = serde_yaml::from_str(&workflow).expect("workflow is valid YAML");
    let steps = |job: &str| -> Vec<String> {
        yaml["jobs"][job]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|s| s["uses"].as_str().map(str::to_string))
            .collect()
    };
    let build_steps = steps("build");
    assert!(build_steps.iter().any(|u| u.starts_with("actions/upload-pages-artifact@")), "{build_steps:?}");
    assert!(build_steps.iter().any(|u| u.starts_with("actions/configure-pages@")));
    assert!(steps("deploy").iter().any(|u| u.starts_with("actions/deploy-pages@")));
    assert_eq!(yaml["permissions"]["pages"].as_str(), Some("write"));
    assert_eq!(yaml["permissions"]["id-token"].as_str(), Some("write"));
    assert!(workflow.contains("--baseurl \"${{ steps.pages.outputs.base_path }}\""));
    // The scaffold builds as it is, and init refuses to overwrite it.
    let report = build_site(&dir).unwrap();
    assert_eq!(report.articles, 1);
    assert!(dir.join("public/kb/151/Q151228/index.html").exists());
    assert!(kbsite::init::init(&dir, false).is_err());
}

#[test]
fn check_reports_exactly_the_known_problems_and_writes_nothing() {
    let (_tmp, root) = fixture("basic");
    write(
        &root,
        "content/links.md",
        "---\ntitle: Links\n---\n# Links\n\n[ok](/kbarchive/kb/001/Q1001/) [ok anchor](/kbarchive/docs/guide/#guide) \
         [bad page](/kbarchive/nowhere/) [bad anchor](/kbarchive/docs/guide/#nope) [outside](/elsewhere/) \
         [relative ok](../kb/001/Q1001/) [ext](https://example.org/x) [img](/kbarchive/img/missing.png)\n\nSee Q999999 and Q1001.\n",
    );
    write(&root, "content/untitled.md", "---\nlayout: page\n---\nno heading here\n");
    let config = kbsite::config::SiteConfig::load(&root, &Default::default()).unwrap();
    let report = kbsite::check::check(&config).unwrap();
    assert!(!root.join("public").exists(), "check writes nothing");
    let mut got: Vec<String> = report
        .findings
        .iter()
        .map(|d| format!("{:?} {} {}", d.severity, d.file.file_name().unwrap().to_string_lossy(), d.message))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "Error links.md link `/elsewhere/` points outside the site's baseurl `/kbarchive`",
            "Error links.md link `/kbarchive/docs/guide/#nope` anchor `#nope` does not exist on that page",
            "Error links.md link `/kbarchive/img/missing.png` points to no page or file in the site",
            "Error links.md link `/kbarchive/nowhere/` points to no page or file in the site",
            "Warning guide.md Liquid output `{{ '/kb/001/Q1001/' }}` is not supported and is kept as text",
            "Warning links.md mentions articles not in the site: Q999999",
            "Warning untitled.md page has no title",
        ]
    );
    assert_eq!(report.errors(), 4);
}

#[test]
fn check_cli_exits_non_zero_and_speaks_json() {
    let (_tmp, root) = fixture("basic");
    write(&root, "content/bad.md", "---\ntitle: Bad\n---\n[x](/kbarchive/missing/)\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kbsite"))
        .args(["check", "--format", "json", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["errors"], 1);
    assert_eq!(json["findings"][0]["severity"], "error");
    assert!(json["findings"][0]["file"].as_str().unwrap().ends_with("bad.md"));
}

#[test]
fn sitemap_of_a_site_over_50000_urls_is_an_index_of_shards() {
    // A generated site: 50,001 small pages in one folder (extension URLs, so no folder per page).
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "site.toml", "url = \"https://big.example\"\npermalink = \"none\"\n[search]\nenabled = false\n");
    std::fs::create_dir_all(root.join("content/p")).unwrap();
    for i in 0..50_001 {
        std::fs::write(root.join(format!("content/p/{i}.md")), format!("---\ntitle: P{i}\n---\n")).unwrap();
    }
    build_site(root).unwrap();
    let out = root.join("public");
    let index = read(&out, "sitemap.xml");
    assert!(index.contains("<sitemapindex"), "{}", &index[..index.len().min(300)]);
    assert!(index.contains("<loc>https://big.example/sitemap-1.xml</loc>"));
    assert!(index.contains("<loc>https://big.example/sitemap-2.xml</loc>"));
    assert!(!out.join("sitemap-3.xml").exists());
    let urls = |f: &str| read(&out, f).matches("<url>").count();
    assert_eq!(urls("sitemap-1.xml"), 50_000, "a shard holds at most 50,000 URLs");
    assert_eq!(urls("sitemap-1.xml") + urls("sitemap-2.xml"), 50_001, "no KB articles: no index pages");
    assert!(read(&out, "sitemap-2.xml").contains("<urlset"));
}
