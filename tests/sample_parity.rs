//! Parity with Jekyll on the shared sample of the real archive: every page Jekyll built exists at
//! the same path, with the same article text and title. Skips when `../shared` is absent.

mod common;

use std::path::{Path, PathBuf};

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

#[test]
fn sample_archive_matches_jekyll_output() {
    let Some(shared) = shared() else { return };
    // Build in place, as a user would: a copy of the Jekyll repo with a site.toml at its root.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::copy_dir(&shared.join("site"), root);
    common::write(
        root,
        "site.toml",
        "title = \"KnowledgeBase Archive\"\nurl = \"http://jeffpar.github.io\"\nbaseurl = \"/kbarchive\"\nsource = \".\"\noutput = \"_site\"\n\
         exclude = [\"node_modules\",\"tmp\",\"txt\",\"Gemfile*\",\"package*.json\",\"scripts\",\"*.sh\"]\n",
    );
    let report = common::build_site(root).unwrap();
    assert!(report.pages >= 9107, "{} pages", report.pages);
    let out = root.join("_site");

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
