//! Parity with Jekyll on the shared sample of the real archive: every page Jekyll built exists at
//! the same path, with the same article text and title. Skips when `../shared` is absent.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/kbarchive-sample");
    if p.join("site").is_dir() && p.join("jekyll-output").is_dir() {
        Some(p)
    } else {
        eprintln!("SKIPPED: ../shared/kbarchive-sample not found (CI provides it beside the checkout)");
        None
    }
}

/// The text of every `<pre><code>` block, tags removed and entities decoded.
fn code_blocks(html: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<pre") {
        let Some(code) = rest[start..].find("<code").map(|i| start + i) else { break };
        let open_end = rest[code..].find('>').map(|i| code + i + 1).unwrap();
        let close = rest[open_end..].find("</code></pre>").map(|i| open_end + i).unwrap();
        blocks.push(html_escape::decode_html_entities(&strip_tags(&rest[open_end..close])).into_owned());
        rest = &rest[close..];
    }
    blocks
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn title(html: &str) -> String {
    let start = html.find("<title>").map(|i| i + 7).expect("a <title>");
    let end = html[start..].find("</title>").unwrap() + start;
    html_escape::decode_html_entities(html[start..end].trim()).into_owned()
}

fn heading_ids(html: &str) -> Vec<&str> {
    html.match_indices("<h2 id=\"")
        .map(|(i, m)| {
            let s = i + m.len();
            &html[s..s + html[s..].find('"').unwrap()]
        })
        .collect()
}

/// The sample, copied and built in place once for every test in this file.
fn built_sample() -> Option<&'static (PathBuf, PathBuf)> {
    static BUILT: OnceLock<Option<(PathBuf, PathBuf)>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let shared = shared()?;
            // Build in place, as a user would: a copy of the Jekyll repo with a site.toml at its root.
            // Under Cargo's scratch folder for integration tests, replaced on every run.
            let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sample-site");
            let _ = std::fs::remove_dir_all(&root);
            common::copy_dir(&shared.join("site"), &root);
            common::write(
                &root,
                "site.toml",
                "title = \"KnowledgeBase Archive\"\nurl = \"http://jeffpar.github.io\"\nbaseurl = \"/kbarchive\"\nsource = \".\"\noutput = \"_site\"\n\
                 exclude = [\"node_modules\",\"tmp\",\"txt\",\"Gemfile*\",\"package*.json\",\"scripts\",\"*.sh\"]\n[kb]\npage_size = 50\nrender = \"preformatted\"\n",
            );
            let report = common::build_site(&root).unwrap();
            assert!(report.pages >= 9107, "{} pages", report.pages);
            Some((shared, root.join("_site")))
        })
        .as_ref()
}

#[test]
fn sample_archive_matches_jekyll_output() {
    let Some((shared, out)) = built_sample() else { return };
    let reference = shared.join("jekyll-output");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in walkdir::WalkDir::new(&reference) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() || entry.path().extension().is_none_or(|e| e != "html") {
            continue;
        }
        let rel = entry.path().strip_prefix(&reference).unwrap();
        let ours = match std::fs::read_to_string(out.join(rel)) {
            Ok(t) => t,
            Err(_) => {
                failures.push(format!("{}: missing", rel.display()));
                continue;
            }
        };
        let theirs = std::fs::read_to_string(entry.path()).unwrap();
        checked += 1;
        if code_blocks(&ours) != code_blocks(&theirs) {
            failures.push(format!("{}: article text differs", rel.display()));
        }
        let (ours_title, theirs_title) = (title(&ours), title(&theirs));
        if ours_title != theirs_title {
            failures.push(format!("{}: title {ours_title:?} != {theirs_title:?}", rel.display()));
        }
        if heading_ids(&ours) != heading_ids(&theirs) {
            failures.push(format!(
                "{}: heading ids {:?} != {:?}",
                rel.display(),
                heading_ids(&ours),
                heading_ids(&theirs)
            ));
        }
    }
    assert!(checked >= 9109, "only {checked} reference pages checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} pages differ:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

// ---- KB features, checked against facts computed here from the sources alone ----

struct SourceArticle {
    id: String,
    number: u32,
    url: String,
    body: String,
}

fn sample_articles(shared: &Path) -> Vec<SourceArticle> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(shared.join("site/kb")).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_name() != "README.md" {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let id = entry.path().parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        let folder =
            entry.path().parent().unwrap().parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        let body = text.splitn(3, "---\n").nth(2).unwrap().replace("{% raw %}", "").replace("{% endraw %}", "");
        out.push(SourceArticle {
            number: id[1..].parse().unwrap(),
            url: format!("/kbarchive/kb/{folder}/{id}/"),
            id,
            body,
        });
    }
    out
}

/// Article numbers mentioned, in order: `Q` + 5–6 digits as a whole word.
fn mentions_in(text: &str) -> Vec<u32> {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut found = Vec::new();
    for i in 0..b.len() {
        if b[i] != b'Q' || (i > 0 && word(b[i - 1])) {
            continue;
        }
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if (5..=6).contains(&digits) && !b.get(i + 1 + digits).is_some_and(|&c| word(c)) {
            found.push(text[i + 1..i + 1 + digits].parse().unwrap());
        }
    }
    found
}

/// `href`s of elements with the given class, in order, within `html`.
fn hrefs_with_class<'a>(html: &'a str, class: &str) -> Vec<&'a str> {
    let needle = format!("<a class=\"{class}\" href=\"");
    html.match_indices(&needle)
        .map(|(i, m)| {
            let s = i + m.len();
            &html[s..s + html[s..].find('"').unwrap()]
        })
        .collect()
}

fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let s = html.find(start).unwrap_or_else(|| panic!("no {start}"));
    let e = html[s..].find(end).map_or(html.len(), |e| s + e);
    &html[s..e]
}

fn hrefs_in(html: &str) -> Vec<&str> {
    html.match_indices("href=\"")
        .map(|(i, m)| {
            let s = i + m.len();
            &html[s..s + html[s..].find('"').unwrap()]
        })
        .collect()
}

#[test]
fn sample_mentions_link_exactly_and_cited_by_is_exact() {
    let Some((shared, out)) = built_sample() else { return };
    let articles = sample_articles(shared);
    let by_number: std::collections::HashMap<u32, usize> =
        articles.iter().enumerate().map(|(i, a)| (a.number, i)).collect();
    let mut cited_by: Vec<std::collections::BTreeSet<u32>> = vec![Default::default(); articles.len()];
    let mut total_links = 0;
    let mut failures = Vec::new();
    for (i, a) in articles.iter().enumerate() {
        let expected: Vec<&str> = mentions_in(&a.body)
            .into_iter()
            .filter_map(|n| by_number.get(&n).copied())
            .filter(|&t| t != i)
            .inspect(|&t| {
                cited_by[t].insert(a.number);
            })
            .map(|t| articles[t].url.as_str())
            .collect();
        total_links += expected.len();
        let html =
            std::fs::read_to_string(out.join(a.url.trim_start_matches("/kbarchive/")).join("index.html")).unwrap();
        let article = section(&html, "<article", "</article>");
        if hrefs_with_class(article, "kb-ref") != expected {
            failures.push(format!(
                "{}: links {:?} != expected {:?}",
                a.id,
                hrefs_with_class(article, "kb-ref"),
                expected
            ));
        }
    }
    assert!(total_links > 1000, "the sample has many resolvable mentions ({total_links})");
    for (i, a) in articles.iter().enumerate() {
        let html =
            std::fs::read_to_string(out.join(a.url.trim_start_matches("/kbarchive/")).join("index.html")).unwrap();
        let listed: Vec<&str> = hrefs_in(section(&html, "<section class=\"kb-cited-by\"", "</section>"));
        let expected: Vec<&str> = cited_by[i].iter().map(|n| articles[by_number[n]].url.as_str()).collect();
        if listed != expected {
            failures.push(format!("{}: cited by {listed:?} != expected {expected:?}", a.id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// The value of a header or footer line `Label: value` (first occurrence, tab-indented text).
fn field<'a>(body: &'a str, label: &str) -> Option<&'a str> {
    body.lines().map(str::trim_start).find_map(|l| l.strip_prefix(label)).map(str::trim)
}

fn slug(term: &str) -> String {
    let mut s = String::new();
    for c in term.to_ascii_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_string()
}

/// Every article URL listed by a term's pages, following `…/page/N/` until there is no next page.
fn listed_by_term(out: &Path, kind: &str, slug: &str) -> Vec<String> {
    let mut urls = Vec::new();
    let mut n = 1;
    loop {
        let rel =
            if n == 1 { format!("{kind}/{slug}/index.html") } else { format!("{kind}/{slug}/page/{n}/index.html") };
        let html = std::fs::read_to_string(out.join(&rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let list = section(&html, "<ol class=\"article-list\"", "</ol>");
        urls.extend(hrefs_in(list).into_iter().map(str::to_string));
        if !html.contains("rel=\"next\"") {
            return urls;
        }
        n += 1;
    }
}

#[test]
fn sample_term_pages_list_exactly_their_articles() {
    use std::collections::{BTreeMap, BTreeSet};
    let Some((shared, out)) = built_sample() else { return };
    let articles = sample_articles(shared);
    let mut expected: BTreeMap<(&str, String), BTreeSet<String>> = BTreeMap::new();
    for a in &articles {
        let mut add = |kind: &'static str, term: &str| {
            let s = slug(term);
            if !s.is_empty() {
                expected.entry((kind, s)).or_default().insert(a.url.clone());
            }
        };
        add("products", field(&a.body, "Product(s):").unwrap());
        let footer = a
            .body
            .lines()
            .map(str::trim_start)
            .find_map(|l| l.strip_prefix("Keywords ").and_then(|r| r.trim_start().strip_prefix(':')));
        for kw in field(&a.body, "Keyword(s):")
            .into_iter()
            .chain(footer)
            .flat_map(|v| v.split(|c: char| c.is_whitespace() || c == '|'))
        {
            add("keywords", kw);
        }
        let date = field(&a.body, "Last Modified:").unwrap();
        add("years", date.rsplit('-').next().unwrap());
    }
    assert!(expected.keys().filter(|(k, _)| *k == "keywords").count() > 500);
    let mut failures = Vec::new();
    for ((kind, slug), urls) in &expected {
        let listed = listed_by_term(out, kind, slug);
        let set: BTreeSet<String> = listed.iter().cloned().collect();
        if set.len() != listed.len() || &set != urls {
            failures.push(format!("{kind}/{slug}: {} listed, {} expected", listed.len(), urls.len()));
        }
    }
    // No term page exists that the sources do not call for.
    for kind in ["products", "keywords", "years"] {
        for entry in std::fs::read_dir(out.join(kind)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir()
                && !expected.contains_key(&(kind, entry.file_name().to_string_lossy().into_owned()))
            {
                failures.push(format!("unexpected page {kind}/{}", entry.file_name().to_string_lossy()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn sample_structured_view_keeps_every_visible_character() {
    let Some((shared, out)) = built_sample() else { return };
    // Build the same copy again with the structured reading view, into its own folder.
    let root = out.parent().unwrap();
    let text = std::fs::read_to_string(root.join("site.toml"))
        .unwrap()
        .replace("render = \"preformatted\"", "render = \"structured\"");
    let structured_out = root.join("_site_structured");
    let overrides = kbsite::config::Overrides { output: Some(structured_out.clone()), ..Default::default() };
    let config = kbsite::config::SiteConfig::parse(root, &text, &overrides).unwrap();
    kbsite::build::build(&config, &kbsite::build::BuildOptions { quiet: true, ..Default::default() }).unwrap();

    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let mut failures = Vec::new();
    let articles = sample_articles(shared);
    for a in &articles {
        let html =
            std::fs::read_to_string(structured_out.join(a.url.trim_start_matches("/kbarchive/")).join("index.html"))
                .unwrap();
        let Some(start) = html.find("<div class=\"kb-article\">") else {
            failures.push(format!("{}: no structured view", a.id));
            continue;
        };
        let end = html[start..].find("</article>").unwrap() + start;
        let shown = squeeze(&html_escape::decode_html_entities(&strip_tags(&html[start..end])));
        let source = a.body.split_once("\n\n").map_or("", |(_, rest)| rest);
        if shown != squeeze(source) {
            failures.push(format!("{}: visible text differs", a.id));
        }
        if html.contains("<pre><code>Article:") {
            failures.push(format!("{}: still preformatted", a.id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} articles:\n{}",
        failures.len(),
        articles.len(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// The front-matter fast path (`parse_flat`) returns exactly what serde_yaml returns, on every
/// page of the sample, and it is the path the sample's pages take.
#[test]
fn sample_front_matter_fast_path_equals_serde_yaml() {
    let Some(shared) = shared() else { return };
    let (mut pages, mut flat) = (0, 0);
    for entry in walkdir::WalkDir::new(shared.join("site")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let Some(split) = kbsite::load::frontmatter::split(&text) else { continue };
        pages += 1;
        let full: serde_yaml::Value = serde_yaml::from_str(split.yaml).unwrap();
        if let Some(m) = kbsite::load::frontmatter::parse_flat(split.yaml) {
            assert_eq!(serde_yaml::Value::Mapping(m), full, "{}", entry.path().display());
            flat += 1;
        }
    }
    assert!(pages > 9_000, "sample pages with front matter: {pages}");
    eprintln!("fast path: {flat} of {pages} pages");
    assert!(flat * 100 >= pages * 99, "fast path taken for {flat} of {pages} pages");
}
