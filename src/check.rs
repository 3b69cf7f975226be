//! `kbsite check`: load and render everything in memory, write nothing, and report what is
//! wrong — links and assets that point nowhere (including `#anchors`), mentions of articles not in
//! the site, duplicate URLs, front matter problems, pages without a title.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

use anyhow::Result;
use rayon::prelude::*;

use crate::analyze::permalink::percent_decode;
use crate::build::{prepare, render_all, write_redirects, BuildOptions, Laps};
use crate::config::SiteConfig;
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::write::Sink;

/// A sink that records outputs instead of writing them, and checks each HTML file's links as it
/// is "written": a link to one of the files the render pass said it would write (`create_dirs`)
/// is settled at once; the checker keeps only the others, and those with an `#anchor`, to
/// verify once every file is known. At archive scale that is a few thousand links kept instead
/// of ~1.8 million (60k corpus: peak memory 387 → 265–274 MB). A link to a planned file whose
/// page then fails to render is not reported: that page's error is.
#[derive(Default)]
struct Recorder<'a> {
    /// The site's base URL, which absolute links start with.
    baseurl: &'a str,
    /// The files the render pass plans to write.
    planned: RwLock<HashSet<String>>,
    /// The files written.
    files: Mutex<HashSet<String>>,
    /// Per HTML file, its `id` and `name` values (`#anchor` targets), one per line.
    ids: Mutex<HashMap<String, Box<str>>>,
    /// Links verified once every file is written.
    pending: Mutex<Vec<PendingLink>>,
    /// Links that cannot resolve anywhere: (page, link, why).
    broken: Mutex<Vec<(String, Box<str>, String)>>,
    /// Distinct links seen, summed over the pages.
    links: AtomicUsize,
}

/// A link whose target was not settled when its page was recorded.
struct PendingLink {
    page: String,
    link: Box<str>,
    target: String,
    anchor: Option<String>,
}

impl Recorder<'_> {
    /// Records the links of `page`'s HTML: settled, broken, or kept for later.
    fn record_links(&self, page: &str, links: &[Box<str>]) {
        let planned = self.planned.read().unwrap_or_else(|e| e.into_inner());
        let mut pending = Vec::new();
        let mut broken = Vec::new();
        for link in links {
            match resolve(link, page, self.baseurl) {
                None => {}
                Some(Err(why)) => broken.push((page.to_string(), link.clone(), why)),
                Some(Ok((target, anchor))) => {
                    let anchor = anchor.filter(|a| !a.is_empty());
                    if anchor.is_none() && existing_target(&target, |t| planned.contains(t)).is_some() {
                        continue;
                    }
                    pending.push(PendingLink { page: page.to_string(), link: link.clone(), target, anchor });
                }
            }
        }
        drop(planned);
        self.links.fetch_add(links.len(), Ordering::Relaxed);
        if !pending.is_empty() {
            self.pending.lock().unwrap_or_else(|e| e.into_inner()).extend(pending);
        }
        if !broken.is_empty() {
            self.broken.lock().unwrap_or_else(|e| e.into_inner()).extend(broken);
        }
    }
}

/// The file a resolved link target names, as a static server finds it: the file itself, the
/// folder's `index.html`, or the target with `.html` added. Runs for every link of the site:
/// the usual case, the target itself, costs no allocation.
fn existing_target<'t>(target: &'t str, exists: impl Fn(&str) -> bool) -> Option<Cow<'t, str>> {
    if exists(target) {
        return Some(Cow::Borrowed(target));
    }
    [format!("{target}/index.html"), format!("{target}.html")].into_iter().find(|t| exists(t)).map(Cow::Owned)
}

impl Sink for Recorder<'_> {
    fn create_dirs(&self, files: &mut dyn Iterator<Item = &str>) -> Result<()> {
        self.planned.write().unwrap_or_else(|e| e.into_inner()).extend(files.map(str::to_string));
        Ok(())
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).insert(rel.to_string());
        if rel.ends_with(".html") {
            let facts = html_facts(&String::from_utf8_lossy(bytes));
            self.record_links(rel, &facts.links);
            let ids: Vec<&str> = facts.ids.iter().map(AsRef::as_ref).collect();
            self.ids.lock().unwrap_or_else(|e| e.into_inner()).insert(rel.to_string(), ids.join("\n").into());
        }
        Ok(())
    }

    fn copy(&self, from: &Path, rel: &str) -> Result<u64> {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).insert(rel.to_string());
        Ok(std::fs::metadata(from).map(|m| m.len()).unwrap_or(0))
    }
}

/// What the checker reads of one rendered HTML file.
#[derive(Debug, Default)]
struct HtmlFacts {
    ids: HashSet<Box<str>>,
    /// Distinct link targets (`href` / `src`) as written.
    links: Vec<Box<str>>,
}

/// Values of `name="…"` / `name='…'` attributes, in order.
fn attribute_values<'a>(html: &'a str, name: &str, mut f: impl FnMut(&'a str)) {
    for quote in ['"', '\''] {
        let needle = format!(" {name}={quote}");
        let mut from = 0;
        while let Some(i) = html[from..].find(&needle) {
            let start = from + i + needle.len();
            let Some(len) = html[start..].find(quote) else { break };
            f(&html[start..start + len]);
            from = start + len;
        }
    }
}

fn html_facts(html: &str) -> HtmlFacts {
    let mut facts = HtmlFacts::default();
    attribute_values(html, "id", |v| {
        facts.ids.insert(html_escape::decode_html_entities(v).into());
    });
    attribute_values(html, "name", |v| {
        facts.ids.insert(html_escape::decode_html_entities(v).into());
    });
    let mut seen = HashSet::new();
    for attr in ["href", "src"] {
        attribute_values(html, attr, |v| {
            if seen.insert(v) {
                facts.links.push(html_escape::decode_html_entities(v).into());
            }
        });
    }
    facts
}

/// Where an internal link lands: the output file and the anchor, or `None` for external links.
fn resolve(link: &str, page_output: &str, baseurl: &str) -> Option<Result<(String, Option<String>), String>> {
    let lower = link.to_ascii_lowercase();
    if link.is_empty()
        || link.starts_with("//")
        || ["http:", "https:", "mailto:", "javascript:", "data:", "tel:", "ftp:"].iter().any(|s| lower.starts_with(s))
    {
        return None;
    }
    let (rest, anchor) = match link.split_once('#') {
        Some((r, a)) => (r, Some(percent_decode(a))),
        None => (link, None),
    };
    let path = rest.split('?').next().unwrap_or("");
    let dir = page_output.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = if path.is_empty() {
        return Some(Ok((page_output.to_string(), anchor)));
    } else if let Some(abs) = path.strip_prefix('/') {
        let full = format!("/{abs}");
        match full.strip_prefix(baseurl) {
            Some(inside) if baseurl.is_empty() || inside.is_empty() || inside.starts_with('/') => {
                inside.trim_start_matches('/').to_string()
            }
            _ => return Some(Err(format!("points outside the site's baseurl `{baseurl}`"))),
        }
    } else {
        format!("{dir}/{path}")
    };
    // Normalise `.` and `..` segments.
    let mut parts: Vec<&str> = Vec::new();
    let decoded = percent_decode(&joined);
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Some(Err("climbs above the site root".into()));
                }
            }
            s => parts.push(s),
        }
    }
    let mut target = parts.join("/");
    if path.ends_with('/') || target.is_empty() {
        if !target.is_empty() {
            target.push('/');
        }
        target.push_str("index.html");
    }
    Some(Ok((target, anchor)))
}

/// The findings of a check, in a stable order.
pub struct CheckReport {
    pub findings: Vec<Diagnostic>,
    pub pages: usize,
    pub links: usize,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|d| d.severity == Severity::Error).count()
    }
}

pub fn check(config: &SiteConfig) -> Result<CheckReport> {
    let diags = Diagnostics::default();
    let mut laps = Laps::new();
    let prepared = prepare(config, &diags, &mut laps)?;
    let recorder = Recorder { baseurl: &config.baseurl, ..Recorder::default() };
    let opts = BuildOptions { quiet: true, ..Default::default() };
    // Render even when loading found errors: report everything in one run.
    let _ = render_all(config, &prepared, &recorder, &diags, &opts);
    let _ = write_redirects(config, &prepared, &recorder, &opts);
    // Records the search client; the index itself is only written by a build.
    let _ = crate::build::build_search_index(config, &prepared, &recorder, None, &opts, crate::build::PassTime::off());

    let Recorder { files, ids, pending, broken, links, .. } = recorder;
    fn inner<T>(m: Mutex<T>) -> T {
        m.into_inner().unwrap_or_else(|e| e.into_inner())
    }
    let (files, ids, pending, broken) = (inner(files), inner(ids), inner(pending), inner(broken));
    let source_of: HashMap<&str, &Path> =
        prepared.pages.iter().map(|p| (p.output.as_str(), p.loaded.file.abs.as_path())).collect();
    let blame = |output: &str| source_of.get(output).map_or_else(|| config.output.join(output), |p| p.to_path_buf());

    let unresolved_links = pending.into_par_iter().filter_map(|l| {
        let why = match (existing_target(&l.target, |t| files.contains(t)), &l.anchor) {
            (None, _) => "points to no page or file in the site".to_string(),
            (Some(t), Some(a)) => match ids.get(t.as_ref()) {
                Some(list) if !list.split('\n').any(|id| id == a) => {
                    format!("anchor `#{a}` does not exist on that page")
                }
                _ => return None,
            },
            (Some(_), None) => return None,
        };
        Some((l.page, l.link, why))
    });
    let found: Vec<Diagnostic> = unresolved_links
        .chain(broken.into_par_iter())
        .map(|(page, link, why)| Diagnostic::error(blame(&page), None, format!("link `{link}` {why}")))
        .collect();
    for d in found {
        diags.push(d);
    }
    let link_count = links.into_inner();
    let page_count = ids.len();

    for page in &prepared.pages {
        if page.title.trim().is_empty() && page.output.ends_with(".html") {
            diags.warning(&page.loaded.file.abs, None, "page has no title");
        }
    }
    let mut unresolved: HashMap<usize, Vec<u32>> = HashMap::new();
    for &(page, number) in &prepared.kb.unresolved {
        unresolved.entry(page).or_default().push(number);
    }
    for (page, mut numbers) in unresolved {
        numbers.sort_unstable();
        let list: Vec<String> = numbers.iter().map(|n| format!("Q{n}")).collect();
        diags.warning(
            &prepared.pages[page].loaded.file.abs,
            None,
            format!("mentions articles not in the site: {}", list.join(", ")),
        );
    }
    Ok(CheckReport { findings: diags.take_sorted(), pages: page_count, links: link_count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_like_a_static_server() {
        let r = |link: &str| resolve(link, "kb/151/Q151228/index.html", "/kbarchive");
        assert_eq!(r("https://x.org/"), None);
        assert_eq!(r("mailto:a@b"), None);
        assert_eq!(r("/kbarchive/kb/1/Q1/"), Some(Ok(("kb/1/Q1/index.html".into(), None))));
        assert_eq!(r("/kbarchive/"), Some(Ok(("index.html".into(), None))));
        assert_eq!(
            r("../../152/Q152000/#summary"),
            Some(Ok(("kb/152/Q152000/index.html".into(), Some("summary".into()))))
        );
        assert_eq!(r("#cited-by"), Some(Ok(("kb/151/Q151228/index.html".into(), Some("cited-by".into())))));
        assert_eq!(r("/kbarchive/assets/kbsite.css?v=1"), Some(Ok(("assets/kbsite.css".into(), None))));
        assert!(r("/other/x/").unwrap().is_err());
        assert!(r("../../../../../x").unwrap().is_err());
    }

    #[test]
    fn facts_collect_ids_and_distinct_links() {
        let f = html_facts(
            "<h2 id=\"a\">x</h2><a href=\"/x/\">1</a><a href='/x/'>2</a><img src=\"i.png\"><a name=\"old\"></a>",
        );
        assert!(f.ids.contains("a") && f.ids.contains("old"));
        assert_eq!(f.links.iter().map(|l| l.as_ref()).collect::<Vec<_>>(), ["/x/", "i.png"]);
    }
}
