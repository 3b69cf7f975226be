//! Load: find the site's files, read pages (front matter + body) in parallel, and classify
//! everything else as files to copy unchanged.

pub mod frontmatter;
pub mod liquid;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use globset::{Candidate, GlobSet};
use rayon::prelude::*;
use serde_yaml::Mapping;

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
    /// A digest of the file's bytes as read (what a rebuild compares to know it is unchanged).
    pub digest: u64,
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
    for file in walk_tree(config, dir, diags, &|file| file) {
        match is_page_candidate(&file.rel) {
            true => inv.page_candidates.push(file),
            false => inv.assets.push(file),
        }
    }
    inv
}

/// The walk itself: `visit`s each file under `dir` and returns the results in path order
/// (each folder's entries sorted by name, a folder's files where the folder sorts).
///
/// Every folder is listed by its own task on the current rayon pool, and its files are visited
/// in parallel tasks too. On a cold cache each listing and each read waits on the disk:
/// `find` over 60,000 article folders took 4.4 s on this project's machines, eight `find`s
/// over parts of them 1.4 s.
fn walk_tree<T: Send>(
    config: &SiteConfig,
    dir: &Path,
    diags: &Diagnostics,
    visit: &(impl Fn(SourceFile) -> T + Sync),
) -> Vec<T> {
    let walk = TreeWalk { filter: SourceFilter::new(config), diags, visit };
    let mut out = Vec::new();
    walk.folder(dir, &normalize(dir), &rel_path(&config.source, dir), &mut out);
    out
}

/// One walk's shared state (see [`walk_tree`]).
struct TreeWalk<'a, F> {
    filter: SourceFilter<'a>,
    diags: &'a Diagnostics,
    visit: &'a F,
}

/// A folder's entry that the walk may visit (see [`list_folder`]).
struct Entry {
    path: PathBuf,
    kind: EntryKind,
}

enum EntryKind {
    File,
    /// `linked`: reached through a symbolic link.
    Folder {
        linked: bool,
    },
}

/// The files and folders in the folder at `path`, sorted by name, symbolic links followed
/// (as walkdir's `follow_links` does; other kinds of entry are left out). A folder or link that
/// cannot be read is reported to `diags` and left out. One `getdents` listing and no `stat` per
/// entry: the file system tells each entry's type, and only links are looked up.
fn list_folder(path: &Path, diags: &Diagnostics) -> Vec<Entry> {
    let cannot_read = |at: &Path, e: std::io::Error| diags.error(at, None, format!("cannot read: {e}"));
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => {
            cannot_read(path, e);
            return Vec::new();
        }
    };
    let mut named = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => named.push((entry.file_name(), entry)),
            Err(e) => cannot_read(path, e),
        }
    }
    named.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::with_capacity(named.len());
    for (_, entry) in named {
        let at = entry.path();
        match entry_kind(&entry, &at) {
            Ok(Some(kind)) => out.push(Entry { path: at, kind }),
            Ok(None) => {}
            Err(e) => cannot_read(&at, e),
        }
    }
    out
}

/// What the walk sees at `at` (the path of `entry`): a file, a folder, or nothing to visit.
fn entry_kind(entry: &std::fs::DirEntry, at: &Path) -> std::io::Result<Option<EntryKind>> {
    let listed = entry.file_type()?;
    let (is_dir, is_file) = match listed.is_symlink() {
        true => {
            let target = std::fs::metadata(at)?;
            (target.is_dir(), target.is_file())
        }
        false => (listed.is_dir(), listed.is_file()),
    };
    Ok(match (is_dir, is_file) {
        (true, _) => Some(EntryKind::Folder { linked: listed.is_symlink() }),
        (_, true) => Some(EntryKind::File),
        _ => None,
    })
}

/// An entry of a folder that the walk goes on with: a file (its relative path made and the
/// filter applied in the task that visits it: a few µs a file, too much for a listing loop that
/// a flat folder of 60,000 pages runs on one thread), or an admitted subfolder to walk (with its
/// path with links resolved, and its path relative to `source`).
enum Listed {
    File(PathBuf),
    Folder(PathBuf, PathBuf, String),
}

impl<F, T> TreeWalk<'_, F>
where
    F: Fn(SourceFile) -> T + Sync,
    T: Send,
{
    /// Appends what the folder at `path` holds to `out`: its files filtered and visited and its
    /// subfolders walked in parallel, results in name order (a flat folder of 60,000 pages is
    /// read in parallel too). `real` is the folder's path with symbolic links resolved: a linked
    /// folder that resolves to it or to one of its ancestors would make the walk endless, and is
    /// reported instead. `rel` is its path relative to `source`: each entry's is made from it and
    /// the entry's name.
    fn folder(&self, path: &Path, real: &Path, rel: &str, out: &mut Vec<T>) {
        let mut listed = Vec::new();
        for entry in list_folder(path, self.diags) {
            let Entry { path: at, kind } = entry;
            match kind {
                EntryKind::Folder { linked } => {
                    let rel = child_rel(rel, at.file_name().unwrap_or_default());
                    if !self.filter.admits(&at, &rel, true) {
                        continue;
                    }
                    let real_child = match (linked, at.file_name()) {
                        (false, Some(name)) => real.join(name),
                        _ => normalize(&at),
                    };
                    if real.starts_with(&real_child) {
                        let msg = format!(
                            "cannot read: a symbolic link to a folder that contains it ({})",
                            real_child.display()
                        );
                        self.diags.error(&at, None, msg);
                        continue;
                    }
                    listed.push(Listed::Folder(at, real_child, rel));
                }
                EntryKind::File => listed.push(Listed::File(at)),
            }
        }
        let walked: Vec<Vec<T>> = listed
            .into_par_iter()
            .map(|l| match l {
                Listed::File(at) => {
                    let rel = child_rel(rel, at.file_name().unwrap_or_default());
                    if self.filter.admits(&at, &rel, false) {
                        vec![(self.visit)(SourceFile { rel, abs: at })]
                    } else {
                        Vec::new()
                    }
                }
                Listed::Folder(sub, real_sub, rel) => {
                    let mut found = Vec::new();
                    self.folder(&sub, &real_sub, &rel, &mut found);
                    found
                }
            })
            .collect();
        out.extend(walked.into_iter().flatten());
    }
}

/// What [`walk_and_read`] found: the pages with what `per_page` kept of each, files without
/// front matter, and the other files (all copied unchanged).
pub struct Loaded<T> {
    pub pages: Vec<(LoadedPage, T)>,
    pub plain: Vec<SourceFile>,
    pub assets: Vec<SourceFile>,
}

/// What [`walk_and_read`] makes of one file: a candidate page as read (`None`: not built), or
/// a file copied unchanged.
enum Found<T> {
    Candidate(Option<Read<T>>),
    Asset(SourceFile),
}

/// [`walk`] and [`read_pages`] in one pass: each candidate page is read by a task of the walk,
/// on the I/O pool (more threads than cores: on a cold cache most of loading is waiting on the
/// disk). The result is in walk order, as if done one after the other.
pub fn walk_and_read<T, F>(config: &SiteConfig, diags: &Diagnostics, per_page: F) -> Loaded<T>
where
    T: Send,
    F: Fn(&LoadedPage, &str) -> T + Sync,
{
    let visit = |file: SourceFile| match is_page_candidate(&file.rel) {
        true => Found::Candidate(read_page(config, file, diags, &per_page)),
        false => Found::Asset(file),
    };
    let found = crate::write::io_pool().install(|| walk_tree(config, &config.source, diags, &visit));
    let mut assets = Vec::new();
    let read = found.into_iter().filter_map(|f| match f {
        Found::Candidate(read) => read,
        Found::Asset(asset) => {
            assets.push(asset);
            None
        }
    });
    let (pages, plain) = split_read(read);
    Loaded { pages, plain, assets }
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
        let (mut path, mut path_rel) = (source.clone(), String::new());
        for (i, c) in rel.components().enumerate() {
            let std::path::Component::Normal(name) = c else { return None };
            path.push(name);
            path_rel = child_rel(&path_rel, name);
            if !self.admits(&path, &path_rel, is_dir || i + 1 < count) {
                return None;
            }
        }
        (count > 0).then(|| SourceFile { rel: path_rel, abs: abs.to_path_buf() })
    }

    /// Whether the walk enters (a folder) or lists (a file) `path`, whose path relative to
    /// `source` is `rel`, given that it reached its parent.
    fn admits(&self, path: &Path, rel: &str, is_dir: bool) -> bool {
        let config = self.config;
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        // Each path is prepared for matching once for both sets (`is_match` would do it per call).
        let (rel_candidate, name_candidate) = (Candidate::new(rel), Candidate::new(name.as_ref()));
        let matches = |set: &GlobSet| {
            !set.is_empty() && (set.is_match_candidate(&rel_candidate) || set.is_match_candidate(&name_candidate))
        };
        if matches(&config.include) {
            return true;
        }
        if name.starts_with('_') || name.starts_with('.') || ALWAYS_EXCLUDED.contains(&name.as_ref()) {
            return false;
        }
        if matches(&config.exclude) {
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
    let page =
        LoadedPage { file, front, body_line: split.body_line, digest: crate::write::source_digest(text.as_bytes()) };
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

/// The relative path (`/`-separated, as [`rel_path`] makes it) of the entry `name` in the
/// folder whose relative path is `parent` (`""` for `source` itself). The walk makes every
/// entry's this way: parsing each full path again (`rel_path`) cost ~3,000 instructions a path.
fn child_rel(parent: &str, name: &std::ffi::OsStr) -> String {
    let name = name.to_string_lossy();
    if parent.is_empty() {
        return name.into_owned();
    }
    let mut rel = String::with_capacity(parent.len() + 1 + name.len());
    rel.push_str(parent);
    rel.push('/');
    rel.push_str(&name);
    rel
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

    /// A site in a temporary folder whose `content/` holds `files` (empty files).
    fn site_with(files: &[&str]) -> (tempfile::TempDir, SiteConfig) {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let path = dir.path().join("content").join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let config = SiteConfig::parse(dir.path(), "", &crate::config::Overrides::default()).unwrap();
        (dir, config)
    }

    fn walked(config: &SiteConfig, diags: &Diagnostics) -> Vec<String> {
        let inv = walk(config, diags);
        let mut all: Vec<String> = inv.page_candidates.into_iter().chain(inv.assets).map(|f| f.rel).collect();
        // Candidates and assets are each in walk order; merge them back the way the walk found them.
        all.sort_by(|a, b| Path::new(a).cmp(Path::new(b)));
        all
    }

    #[test]
    fn the_walk_lists_files_depth_first_by_name_and_skips_what_jekyll_skips() {
        let files = [
            "b.md",
            "a/z.md",
            "a/b/c.md",
            "a.txt",
            "_drafts/x.md",
            ".git/config",
            "kb/2/Q2/README.md",
            "kb/10/Q10/README.md",
            "kb/10/Q10/img.gif",
            "node_modules/m.js",
        ];
        let (_dir, config) = site_with(&files);
        let diags = Diagnostics::default();
        let inv = walk(&config, &diags);
        assert!(!diags.has_errors());
        let rels = |v: &[SourceFile]| v.iter().map(|f| f.rel.clone()).collect::<Vec<_>>();
        // Each folder's entries by name, a folder's files where the folder sorts ("a" < "a.txt" < "b.md").
        assert_eq!(
            rels(&inv.page_candidates),
            ["a/b/c.md", "a/z.md", "b.md", "kb/10/Q10/README.md", "kb/2/Q2/README.md"]
        );
        assert_eq!(rels(&inv.assets), ["a.txt", "kb/10/Q10/img.gif"]);
        assert_eq!(inv.page_candidates[0].abs, config.source.join("a/b/c.md"));
    }

    #[test]
    fn the_walk_reads_pages_in_walk_order_however_the_threads_interleave() {
        // Enough folders that the listing tasks run on several threads.
        let names: Vec<String> = (0..300).map(|i| format!("kb/{}/Q{i}/README.md", i % 7)).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let (_dir, config) = site_with(&refs);
        for f in &names {
            std::fs::write(config.source.join(f), format!("---\ntitle: {f}\n---\nbody\n")).unwrap();
        }
        let diags = Diagnostics::default();
        let loaded = walk_and_read(&config, &diags, |page, body| (page.file.rel.clone(), body.to_string()));
        let order: Vec<&str> = loaded.pages.iter().map(|(p, _)| p.file.rel.as_str()).collect();
        let mut expected = refs.clone();
        expected.sort_by(|a, b| Path::new(a).cmp(Path::new(b)));
        assert_eq!(order, expected);
        assert!(loaded.pages.iter().all(|(p, (rel, body))| *rel == p.file.rel && body == "body\n"));
        assert_eq!(walked(&config, &diags).len(), 300);
    }

    #[cfg(unix)]
    #[test]
    fn linked_folders_are_followed_and_a_link_to_an_ancestor_is_reported_not_walked() {
        let (_dir, config) = site_with(&["a/x.md", "shared/y.md"]);
        let src = &config.source;
        std::os::unix::fs::symlink(src.join("shared"), src.join("a/linked")).unwrap();
        std::os::unix::fs::symlink(src.join("a"), src.join("a/loop")).unwrap();
        std::os::unix::fs::symlink(src.join("missing"), src.join("a/broken")).unwrap();
        let diags = Diagnostics::default();
        assert_eq!(walked(&config, &diags), ["a/linked/y.md", "a/x.md", "shared/y.md"]);
        let errors = diags.take_sorted();
        let at = |name: &str| errors.iter().find(|d| d.file.ends_with(name)).map(|d| d.message.clone());
        assert!(at("a/loop").is_some_and(|m| m.contains("contains it")), "{errors:?}");
        assert!(at("a/broken").is_some_and(|m| m.starts_with("cannot read")), "{errors:?}");
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn rel_paths_use_forward_slashes() {
        assert_eq!(rel_path(Path::new("/s"), Path::new("/s/a/b.md")), "a/b.md");
        assert_eq!(child_rel("", std::ffi::OsStr::new("a")), "a");
        assert_eq!(child_rel("a/b", std::ffi::OsStr::new("c.md")), rel_path(Path::new("/s"), Path::new("/s/a/b/c.md")));
    }
}
