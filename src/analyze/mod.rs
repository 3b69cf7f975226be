//! Analyze: what the loaded pages mean — URLs and output files (Jekyll permalinks), titles,
//! layouts, and the checks that must pass before anything is written (two pages on one URL, a
//! permalink escaping the output folder).

pub mod kb;
pub mod kb_index;
pub mod kb_update;
pub mod mentions;
pub mod permalink;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rayon::prelude::*;
use serde_yaml::Value;

use crate::config::SiteConfig;
use crate::diagnostics::Diagnostics;
use crate::load::{LoadedPage, SourceFile};

/// Index of a page in [`Prepared::pages`](crate::build::Prepared::pages); relations between pages are stored as these.
pub type PageId = usize;

/// A page ready to render: its source, its place in the output, and what templates see.
#[derive(Debug, Clone)]
pub struct Page {
    pub loaded: LoadedPage,
    /// Smartified and decoded once (`Q&amp;A` → `Q&A`); templates escape it on output.
    pub title: String,
    /// Site-relative URL without baseurl, as Jekyll's `page.url`.
    pub url: String,
    /// Output file relative to the output folder.
    pub output: String,
    /// `None` renders bare (`layout: none`, or no layout exists for it).
    pub layout: Option<String>,
    pub date: Option<NaiveDate>,
    pub is_markdown: bool,
}

impl Page {
    pub fn rel(&self) -> &str {
        &self.loaded.file.rel
    }
}

/// A file copied unchanged into the output.
#[derive(Debug, Clone)]
pub struct Asset {
    pub file: SourceFile,
    pub output: String,
}

/// The output files the site's own pages and copied files produce: a generated file (theme
/// asset, sitemap, redirect, 404 page…) is made only where none of them is.
pub fn site_outputs<'a>(pages: &'a [Page], assets: &'a [Asset]) -> HashSet<&'a str> {
    pages.iter().map(|p| p.output.as_str()).chain(assets.iter().map(|a| a.output.as_str())).collect()
}

/// Whether a page or copied file of the site produces `output` (a scan: for a few lookups;
/// many use [`site_outputs`]).
pub fn is_site_output(pages: &[Page], assets: &[Asset], output: &str) -> bool {
    pages.iter().any(|p| p.output == output) || assets.iter().any(|a| a.output == output)
}

/// Places every page and asset, reporting problems to `diags`. Pages that cannot be placed are
/// dropped (their error is reported); the build fails later if any error was reported.
pub fn place_pages<T: Send>(
    config: &SiteConfig,
    loaded: Vec<(LoadedPage, T)>,
    has_layout: impl Fn(&str) -> bool + Sync,
    diags: &Diagnostics,
) -> Vec<(Page, T)> {
    let dirs_with_index: HashSet<String> =
        loaded.iter().filter_map(|(p, _)| index_dir(&p.file.rel)).map(str::to_string).collect();
    place_pages_with(config, loaded, |dir| dirs_with_index.contains(dir), has_layout, diags)
}

/// The folder of an `index.*` page (`docs/index.md` → `docs`), whose `README.md` then is not
/// the folder's index.
pub fn index_dir(rel: &str) -> Option<&str> {
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    name.starts_with("index.").then_some(dir)
}

/// The folder of a file (`""` at the top).
pub fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// [`place_pages`] for some of a site's pages: `has_index(dir)` tells whether the site has an
/// `index.*` page in `dir` (see [`index_dir`]). Pages are placed in parallel, in order.
pub fn place_pages_with<T: Send>(
    config: &SiteConfig,
    loaded: Vec<(LoadedPage, T)>,
    has_index: impl Fn(&str) -> bool + Sync,
    has_layout: impl Fn(&str) -> bool + Sync,
    diags: &Diagnostics,
) -> Vec<(Page, T)> {
    loaded
        .into_par_iter()
        .filter_map(|(page, extra)| {
            let front = &page.front;
            let str_of = |k: &str| front.get(k).and_then(Value::as_str);
            let date = str_of("date").and_then(crate::render::filters::parse_date).map(|d| d.date_naive());
            let categories: Vec<String> = match front.get("categories") {
                Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
                Some(Value::Sequence(seq)) => seq.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                _ => Vec::new(),
            };
            let rel = page.file.rel.as_str();
            let title_raw = str_of("title");
            let vars = permalink::PageVars {
                permalink: str_of("permalink"),
                slug: str_of("slug"),
                title: title_raw,
                date,
                categories: &categories,
                has_index_sibling: has_index(dir_of(rel)),
            };
            let placement = match permalink::place(rel, &config.permalink, &vars) {
                Ok(p) => p,
                Err(msg) => {
                    diags.error(&page.file.abs, front_line(&page, "permalink"), msg);
                    return None;
                }
            };
            let is_markdown = rel.ends_with(".md") || rel.ends_with(".markdown");
            let layout = match front.get("layout") {
                Some(Value::String(l)) if l == "none" || l.is_empty() => None,
                Some(Value::String(l)) => Some(l.clone()),
                Some(Value::Null) => None,
                Some(_) => {
                    diags.error(&page.file.abs, front_line(&page, "layout"), "`layout` must be a layout name");
                    None
                }
                None => default_layout(&has_layout),
            };
            // Displayed as Jekyll shows titles: typographic punctuation, entities decoded once.
            let title = title_raw.map(display_title).unwrap_or_default();
            let page =
                Page { title, url: placement.url, output: placement.output, layout, date, is_markdown, loaded: page };
            Some((page, extra))
        })
        .collect()
}

/// GitHub Pages (jekyll-default-layout): pages without a layout use `page`, else `default`.
fn default_layout(has_layout: &impl Fn(&str) -> bool) -> Option<String> {
    ["page", "default"].into_iter().find(|l| has_layout(l)).map(str::to_string)
}

/// The file line of a front matter key, for messages.
fn front_line(page: &LoadedPage, key: &str) -> Option<usize> {
    let text = std::fs::read_to_string(&page.file.abs).ok()?;
    text.lines().take(page.body_line).position(|l| l.starts_with(&format!("{key}:"))).map(|i| i + 1)
}

/// A front matter title as Jekyll displays it: typographic punctuation (smartify), runs of white
/// space folded (jekyll-seo-tag), entities decoded exactly once.
pub fn display_title(raw: &str) -> String {
    let smart = crate::render::filters::smartify(raw);
    decode_entities(&smart.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Decodes HTML entities exactly once (`&amp;quot;` stays `&quot;` as text).
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    html_escape::decode_html_entities(s).into_owned()
}

/// Two outputs on one URL is an error naming both sources; so is a page whose output file
/// collides with a copied asset or a generated page (`generated`: output and what makes it).
pub fn check_unique_outputs(pages: &[Page], assets: &[Asset], generated: &[(&str, &str)], diags: &Diagnostics) {
    let mut seen: HashMap<&str, Option<&SourceFile>> =
        HashMap::with_capacity(pages.len() + assets.len() + generated.len());
    let outputs = pages
        .iter()
        .map(|p| (p.output.as_str(), Some(&p.loaded.file)))
        .chain(assets.iter().map(|a| (a.output.as_str(), Some(&a.file))))
        .chain(generated.iter().map(|(o, _)| (*o, None)));
    let describe = |file: Option<&SourceFile>, output: &str| match file {
        Some(f) => format!("`{}`", f.rel),
        None => generated.iter().find(|(o, _)| *o == output).map_or_else(String::new, |(_, what)| what.to_string()),
    };
    for (output, file) in outputs {
        if let Some(first) = seen.insert(output, file) {
            let url = output.strip_suffix("index.html").unwrap_or(output);
            let blame = file.or(first).map(|f| f.abs.clone()).unwrap_or_default();
            diags.error(
                &blame,
                None,
                format!(
                    "{} and {} both produce /{url} (output file {output}); give one of them another permalink",
                    describe(first, output),
                    describe(file, output)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;
    use std::path::{Path, PathBuf};

    fn loaded(rel: &str, yaml: &str) -> (LoadedPage, ()) {
        let page = LoadedPage {
            file: SourceFile { rel: rel.into(), abs: PathBuf::from("/s").join(rel) },
            front: serde_yaml::from_str(yaml).unwrap(),
            body_line: 1,
            digest: 0,
        };
        (page, ())
    }

    fn place(
        loaded: Vec<(LoadedPage, ())>,
        has_layout: impl Fn(&str) -> bool + Sync,
        diags: &Diagnostics,
    ) -> Vec<Page> {
        place_pages(&config(), loaded, has_layout, diags).into_iter().map(|(p, ())| p).collect()
    }

    fn config() -> SiteConfig {
        SiteConfig::parse(Path::new("/s"), "", &Overrides::default()).unwrap()
    }

    #[test]
    fn titles_are_decoded_exactly_once() {
        assert_eq!(decode_entities("Q&amp;A &#124; &quot;x&quot; &#91;IP&#93;"), "Q&A | \"x\" [IP]");
        assert_eq!(decode_entities("&amp;quot;"), "&quot;");
        assert_eq!(decode_entities("plain"), "plain");
    }

    #[test]
    fn pages_get_urls_layouts_and_titles() {
        let diags = Diagnostics::default();
        let pages = place(
            vec![
                loaded(
                    "kb/151/Q151228/README.md",
                    "layout: page\ntitle: \"Q151228: A &amp; B's\"\npermalink: /kb/151/Q151228/",
                ),
                loaded("about.md", "title: About"),
                loaded("raw.html", "layout: none"),
            ],
            |l| l == "default",
            &diags,
        );
        assert!(!diags.has_errors());
        assert_eq!(pages[0].url, "/kb/151/Q151228/");
        assert_eq!(pages[0].title, "Q151228: A & B’s");
        assert_eq!(pages[0].layout.as_deref(), Some("page"));
        assert_eq!(pages[1].layout.as_deref(), Some("default"), "falls back like GitHub Pages");
        assert_eq!(pages[1].output, "about/index.html");
        assert_eq!(pages[2].layout, None);
    }

    #[test]
    fn escaping_permalink_is_an_error_naming_the_file() {
        let diags = Diagnostics::default();
        let pages = place(vec![loaded("evil.md", "permalink: /../../etc/passwd")], |_| true, &diags);
        assert!(pages.is_empty());
        let errs = diags.take_sorted();
        assert_eq!(errs[0].file, Path::new("/s/evil.md"));
        assert!(errs[0].message.contains("escapes"));
    }

    #[test]
    fn duplicate_urls_name_both_files() {
        let diags = Diagnostics::default();
        let pages = place(
            vec![loaded("a.md", "permalink: /same/"), loaded("b/index.md", "permalink: /same/")],
            |_| true,
            &diags,
        );
        check_unique_outputs(&pages, &[], &[], &diags);
        let errs = diags.take_sorted();
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].message.contains("`a.md`")
                && errs[0].message.contains("`b/index.md`")
                && errs[0].message.contains("/same/"),
            "{}",
            errs[0].message
        );
    }
}
