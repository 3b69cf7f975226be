//! Load: find the site's files, read pages (front matter + body) in parallel, and classify
//! everything else as files to copy unchanged.

pub mod frontmatter;
pub mod liquid;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_yaml::Mapping;
use walkdir::WalkDir;

use crate::config::SiteConfig;
use crate::diagnostics::Diagnostics;

/// A file found under `source`, with its path relative to it (always `/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub rel: String,
    pub abs: PathBuf,
}

/// A page as loaded: where it is and its front matter (site `[[defaults]]` already merged).
#[derive(Debug, Clone)]
pub struct LoadedPage {
    pub file: SourceFile,
    pub front: Mapping,
    /// File line where the body starts (for messages about the body).
    pub body_line: usize,
}

/// What [`walk`] found: candidate pages and plain files.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Files that may be pages (by extension); confirmed when read.
    pub page_candidates: Vec<SourceFile>,
    /// Files copied unchanged.
    pub assets: Vec<SourceFile>,
}

const PAGE_EXTENSIONS: &[&str] = &["md", "markdown", "html", "htm"];
/// Jekyll's default excludes, plus kbsite's own files when `source = "."`.
const ALWAYS_EXCLUDED: &[&str] = &["node_modules", "vendor", "Gemfile", "Gemfile.lock", "site.toml", "target"];

/// Walks `source`, skipping what Jekyll skips: names starting with `_` or `.` (unless listed in
/// `include`), `exclude` globs, the output folder, and `templates/` / `static/` when they lie inside
/// `source`. The result is sorted by path so builds are deterministic.
pub fn walk(config: &SiteConfig, diags: &Diagnostics) -> Inventory {
    walk_under(config, &config.source, diags)
}

/// [`walk`] restricted to `dir`, a folder inside `source` that the walk would enter (serve uses
/// it for a folder that appeared).
pub fn walk_under(config: &SiteConfig, dir: &Path, diags: &Diagnostics) -> Inventory {
    let mut inv = Inventory::default();
    walk_each(config, dir, diags, |file| match is_page_candidate(&file.rel) {
        true => inv.page_candidates.push(file),
        false => inv.assets.push(file),
    });
    inv
}

/// The walk itself: calls `found` for each file, in path order.
fn walk_each(config: &SiteConfig, dir: &Path, diags: &Diagnostics, mut found: impl FnMut(SourceFile)) {
    let filter = SourceFilter::new(config);
    let walker = WalkDir::new(dir).follow_links(true).sort_by_file_name().into_iter();
    let walker =
        walker.filter_entry(|entry| entry.depth() == 0 || filter.admits(entry.path(), entry.file_type().is_dir()));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                found(SourceFile { rel: rel_path(&config.source, e.path()), abs: e.path().to_path_buf() });
            }
            Ok(_) => {}
            Err(err) => {
                let path = err.path().map(Path::to_path_buf).unwrap_or_else(|| config.source.clone());
                diags.error(&path, None, format!("cannot read: {err}"));
            }
        }
    }
}

/// What [`walk_and_read`] found: the pages with what `per_page` kept of each, files without
/// front matter, and the other files (all copied unchanged).
pub struct Loaded<T> {
    pub pages: Vec<(LoadedPage, T)>,
    pub plain: Vec<SourceFile>,
    pub assets: Vec<SourceFile>,
}

/// [`walk`] and [`read_pages`] in one pipelined pass: the walk (one thread, mostly `getdents`
/// and `stat`) hands each candidate page to the readers as it finds it, so reading overlaps
/// walking instead of waiting for it. The result is in walk order, as if done one after the
/// other.
pub fn walk_and_read<T, F>(config: &SiteConfig, diags: &Diagnostics, per_page: F) -> Loaded<T>
where
    T: Send,
    F: Fn(&LoadedPage, &str) -> T + Sync,
{
    let (tx, rx) = std::sync::mpsc::channel::<(usize, SourceFile)>();
    std::thread::scope(|scope| {
        let walker = scope.spawn(move || {
            let mut assets = Vec::new();
            let mut seq = 0;
            walk_each(config, &config.source, diags, |file| {
                if is_page_candidate(&file.rel) {
                    // The readers outlive the walk (they end when it hangs up), so sending fails only
                    // if they panicked, which the scope reports anyway.
                    let _ = tx.send((seq, file));
                    seq += 1;
                } else {
                    assets.push(file);
                }
            });
            assets
        });
        let mut read: Vec<(usize, Option<Read<T>>)> =
            rx.into_iter().par_bridge().map(|(seq, file)| (seq, read_page(config, file, diags, &per_page))).collect();
        read.sort_unstable_by_key(|(seq, _)| *seq);
        let (pages, plain) = split_read(read.into_iter().filter_map(|(_, r)| r));
        let assets = walker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Loaded { pages, plain, assets }
    })
}

/// Whether a file is read as a possible page (by its extension) rather than copied.
pub fn is_page_candidate(rel: &str) -> bool {
    let ext = Path::new(rel).extension().and_then(|x| x.to_str()).unwrap_or("");
    PAGE_EXTENSIONS.iter().any(|p| p.eq_ignore_ascii_case(ext))
}

/// The walk's rule for entries below `source`.
pub struct SourceFilter<'a> {
    config: &'a SiteConfig,
    /// Folders that may lie inside `source` but are never sources, as the walk will spell them
    /// (canonicalised once here, not per visited folder).
    skip_dirs: Vec<PathBuf>,
    output_prefix: Option<String>,
}

impl<'a> SourceFilter<'a> {
    pub fn new(config: &'a SiteConfig) -> Self {
        let canon_source = normalize(&config.source);
        let skip_dirs = [&config.output, &config.templates_dir, &config.static_dir]
            .iter()
            .filter_map(|p| normalize(p).strip_prefix(&canon_source).ok().map(|rel| config.source.join(rel)))
            .collect();
        let output_prefix = config.output.file_name().map(|n| format!("{}.kbsite-", n.to_string_lossy()));
        SourceFilter { config, skip_dirs, output_prefix }
    }

    /// The file (or folder) at `abs` as [`walk`] would see it: `None` when it lies outside
    /// `source` or in a folder, or under a name, that the walk skips. Whether it exists is not
    /// checked.
    pub fn entry(&self, abs: &Path, is_dir: bool) -> Option<SourceFile> {
        let source = &self.config.source;
        let rel = abs.strip_prefix(source).ok()?;
        let count = rel.components().count();
        let mut path = source.clone();
        for (i, c) in rel.components().enumerate() {
            if !matches!(c, std::path::Component::Normal(_)) {
                return None;
            }
            path.push(c);
            if !self.admits(&path, is_dir || i + 1 < count) {
                return None;
            }
        }
        (count > 0).then(|| SourceFile { rel: rel_path(source, abs), abs: abs.to_path_buf() })
    }

    /// Whether the walk enters (a folder) or lists (a file) `path`, given that it reached its
    /// parent.
    fn admits(&self, path: &Path, is_dir: bool) -> bool {
        let config = self.config;
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        let rel = rel_path(&config.source, path);
        if config.include.is_match(rel.as_str()) || config.include.is_match(name.as_ref()) {
            return true;
        }
        if name.starts_with('_') || name.starts_with('.') || ALWAYS_EXCLUDED.contains(&name.as_ref()) {
            return false;
        }
        if config.exclude.is_match(rel.as_str()) || config.exclude.is_match(name.as_ref()) {
            return false;
        }
        // Staging folders of an interrupted build (`public.kbsite-new`) are never sources.
        if self.output_prefix.as_ref().is_some_and(|prefix| name.starts_with(prefix.as_str())) {
            return false;
        }
        !(is_dir && self.skip_dirs.iter().any(|d| d == path))
    }
}

/// Reads every candidate in parallel. Files with front matter become pages; `per_page` sees each
/// page's processed body (Liquid applied) while it is in memory and returns what later stages keep
/// of it, so bodies need not stay in memory. Files without front matter are copied unchanged.
pub fn read_pages<T, F>(
    config: &SiteConfig,
    candidates: Vec<SourceFile>,
    diags: &Diagnostics,
    per_page: F,
) -> (Vec<(LoadedPage, T)>, Vec<SourceFile>)
where
    T: Send,
    F: Fn(&LoadedPage, &str) -> T + Sync,
{
    let read: Vec<Read<T>> =
        candidates.into_par_iter().filter_map(|file| read_page(config, file, diags, &per_page)).collect();
    split_read(read.into_iter())
}

/// One candidate read: a page, or a file without front matter (copied unchanged).
type Read<T> = Result<(LoadedPage, T), SourceFile>;

/// Reads one candidate; `None` when it is not built (unreadable or bad front matter, reported
/// to `diags`; or `published: false`).
fn read_page<T>(
    config: &SiteConfig,
    file: SourceFile,
    diags: &Diagnostics,
    per_page: &impl Fn(&LoadedPage, &str) -> T,
) -> Option<Read<T>> {
    let text = match read_text(&file.abs) {
        Ok(t) => t,
        Err(msg) => {
            diags.error(&file.abs, None, msg);
            return None;
        }
    };
    let split = match frontmatter::split(&text) {
        Some(split) => split,
        None if config.optional_front_matter && is_optional_front_matter_page(&file.rel) => {
            frontmatter::Split { yaml: "", yaml_line: 1, body: &text, body_line: 1 }
        }
        None => return Some(Err(file)),
    };
    let mut front = match frontmatter::parse_yaml(&split) {
        Ok(m) => m,
        Err(e) => {
            diags.error(&file.abs, e.line, e.message);
            return None;
        }
    };
    if front.get("published").and_then(serde_yaml::Value::as_bool) == Some(false) {
        return None;
    }
    apply_defaults(config, &file.rel, &mut front);
    let body = process_body(&file.abs, split.body, split.body_line, Some(diags));
    if !front.contains_key("title") && is_markdown(&file.rel) {
        if let Some(title) = first_heading(&body) {
            front.insert("title".into(), title.into());
        }
    }
    let page = LoadedPage { file, front, body_line: split.body_line };
    let extra = per_page(&page, &body);
    Some(Ok((page, extra)))
}

/// Pages apart from files without front matter, each in the order given.
fn split_read<T>(read: impl Iterator<Item = Read<T>>) -> (Vec<(LoadedPage, T)>, Vec<SourceFile>) {
    let mut pages = Vec::new();
    let mut plain = Vec::new();
    for r in read {
        match r {
            Ok(p) => pages.push(p),
            Err(f) => plain.push(f),
        }
    }
    (pages, plain)
}

/// Reads a page's body again for rendering (bodies are not kept between stages).
pub fn reread_body(page: &LoadedPage) -> Result<String, String> {
    let text = read_text(&page.file.abs)?;
    let body = frontmatter::split(&text).map_or(text.as_str(), |s| s.body);
    Ok(process_body(&page.file.abs, body, page.body_line, None).into_owned())
}

fn is_markdown(rel: &str) -> bool {
    let ext = rel.rsplit_once('.').map_or("", |(_, e)| e);
    ext.eq_ignore_ascii_case("md") || ext.eq_ignore_ascii_case("markdown")
}

/// GitHub Pages renders Markdown files without front matter (jekyll-optional-front-matter),
/// except the repository's meta files.
fn is_optional_front_matter_page(rel: &str) -> bool {
    const META: &[&str] = &[
        "LICENSE",
        "LICENCE",
        "COPYING",
        "CODE_OF_CONDUCT",
        "CONTRIBUTING",
        "ISSUE_TEMPLATE",
        "PULL_REQUEST_TEMPLATE",
    ];
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    is_markdown(rel) && !META.iter().any(|m| m.eq_ignore_ascii_case(stem))
}

/// The first ATX heading's text (jekyll-titles-from-headings, on by default on GitHub Pages).
fn first_heading(body: &str) -> Option<String> {
    let mut in_fence = false;
    for line in body.lines() {
        let t = line.trim_start_matches(' ');
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if in_fence || line.starts_with('\t') || line.starts_with("    ") {
            continue;
        }
        let hashes = t.bytes().take_while(|&b| b == b'#').count();
        if (1..=6).contains(&hashes) && t[hashes..].starts_with([' ', '\t']) {
            let text = t[hashes..].trim().trim_end_matches('#').trim_end();
            if !text.is_empty() {
                return Some(text.to_string());
            }
        }
    }
    None
}

/// Applies Liquid raw/comment handling; reports issues when `diags` is given.
fn process_body<'a>(path: &Path, body: &'a str, body_line: usize, diags: Option<&Diagnostics>) -> Cow<'a, str> {
    let (out, issues) = liquid::process(body, diags.is_some());
    if let Some(diags) = diags {
        for issue in issues {
            let line = Some(body_line + issue.line - 1);
            if issue.is_error {
                diags.error(path, line, issue.message);
            } else {
                diags.warning(path, line, issue.message);
            }
        }
    }
    out
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("failed to read: {e}"))?;
    String::from_utf8(bytes).or_else(|e| {
        // Old archives contain stray Latin-1 bytes; keep the page rather than failing it.
        Ok(e.into_bytes().iter().map(|&b| b as char).collect())
    })
}

/// Jekyll's front matter defaults: every matching scope's values, front matter winning;
/// longer (more specific) scope paths win over shorter ones.
fn apply_defaults(config: &SiteConfig, rel: &str, front: &mut Mapping) {
    if config.defaults.is_empty() {
        return;
    }
    let mut matching: Vec<_> = config.defaults.iter().filter(|d| scope_matches(&d.scope.path, rel)).collect();
    matching.sort_by_key(|d| std::cmp::Reverse(d.scope.path.len()));
    for d in matching {
        for (k, v) in &d.values {
            if !front.contains_key(k) {
                front.insert(k.clone(), v.clone());
            }
        }
    }
}

fn scope_matches(scope: &str, rel: &str) -> bool {
    let scope = scope.trim_matches('/');
    if scope.is_empty() {
        return true;
    }
    if scope.contains('*') {
        return globset::Glob::new(scope)
            .map(|g| {
                let m = g.compile_matcher();
                m.is_match(rel) || Path::new(rel).ancestors().any(|a| m.is_match(a))
            })
            .unwrap_or(false);
    }
    rel == scope || rel.starts_with(&format!("{scope}/"))
}

/// `path` relative to `base`, `/`-separated.
pub fn rel_path(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let mut s = String::new();
    for (i, c) in rel.components().enumerate() {
        if i > 0 {
            s.push('/');
        }
        s.push_str(&c.as_os_str().to_string_lossy());
    }
    s
}

fn normalize(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_match_by_path_prefix_and_glob() {
        assert!(scope_matches("", "a/b.md"));
        assert!(scope_matches("kb", "kb/1/x.md"));
        assert!(scope_matches("/kb/", "kb/1/x.md"));
        assert!(!scope_matches("kb", "kbx/1.md"));
        assert!(scope_matches("kb/*/Q1*", "kb/151/Q151228/README.md"));
        assert!(!scope_matches("id/*", "kb/151/Q151228/README.md"));
    }

    #[test]
    fn titles_come_from_the_first_heading() {
        assert_eq!(
            first_heading("text\n\n## KB Articles by Product ##\n# Later\n").as_deref(),
            Some("KB Articles by Product")
        );
        assert_eq!(first_heading("\t# code\n```\n# fenced\n```\n#nospace\n"), None);
    }

    #[test]
    fn markdown_without_front_matter_is_a_page_but_not_meta_files() {
        assert!(is_optional_front_matter_page("id/README.md"));
        assert!(is_optional_front_matter_page("notes.markdown"));
        assert!(!is_optional_front_matter_page("LICENSE.md"));
        assert!(!is_optional_front_matter_page("x.html"));
    }

    #[test]
    fn rel_paths_use_forward_slashes() {
        assert_eq!(rel_path(Path::new("/s"), Path::new("/s/a/b.md")), "a/b.md");
    }
}
