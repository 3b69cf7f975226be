//! `site.toml`: read strictly (unknown keys are errors), then validated into a [`SiteConfig`]
//! with globs compiled once and URLs normalised.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

/// How pages without a `permalink` get their URL, as Jekyll's site-wide `permalink` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermalinkStyle {
    /// `/:path/:basename/`
    Pretty,
    /// `/:path/:basename:output_ext` (also Jekyll's `date`, `ordinal`, `none`, … for pages)
    Extension,
    /// A custom pattern such as `/:path/:basename/`.
    Custom(String),
}

/// `[[defaults]]`: front matter values applied to every page whose path is under `scope.path`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatterDefault {
    #[serde(default)]
    pub scope: DefaultScope,
    pub values: serde_yaml::Mapping,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultScope {
    /// A path prefix relative to `source` (`""` = every page); may contain `*` globs as in Jekyll 4.
    #[serde(default)]
    pub path: String,
    /// Accepted for Jekyll compatibility; kbsite only has `pages`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// `[kb]`: knowledge-base specific settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KbConfig {
    /// `structured` (readable HTML) or `preformatted` (Jekyll's exact `<pre>` rendering).
    pub render: String,
    /// Articles per index page (`/products/<slug>/`, `/keywords/<slug>/`, …).
    pub page_size: usize,
    /// Turn `Q123456` mentions into links.
    pub cross_links: bool,
    /// Write `/Q123456/` redirect pages (one folder and file per article).
    pub short_urls: bool,
}

impl Default for KbConfig {
    fn default() -> Self {
        KbConfig { render: "structured".into(), page_size: 100, cross_links: true, short_urls: true }
    }
}

/// `[search]`: the static full-text search index.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Build the index and the `/search/` page. Off: the build pays nothing for search.
    pub enabled: bool,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig { enabled: true }
    }
}

/// The file as written: every key optional, no unknown keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: Option<String>,
    description: Option<String>,
    url: Option<String>,
    baseurl: Option<String>,
    source: Option<PathBuf>,
    output: Option<PathBuf>,
    exclude: Option<Vec<String>>,
    include: Option<Vec<String>>,
    permalink: Option<String>,
    lang: Option<String>,
    optional_front_matter: Option<bool>,
    cname: Option<String>,
    #[serde(default)]
    defaults: Vec<FrontMatterDefault>,
    #[serde(default)]
    kb: Option<KbConfig>,
    #[serde(default)]
    search: Option<SearchConfig>,
    /// Free-form values for templates (`site.extra.*`), like Zola's `[extra]`.
    #[serde(default)]
    extra: Option<toml::Table>,
}

/// The validated configuration every stage reads.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Folder holding `site.toml`; relative paths are resolved against it.
    pub root: PathBuf,
    pub title: String,
    pub description: String,
    /// Scheme and host, no trailing slash (`https://example.github.io`).
    pub url: String,
    /// `""` or a path starting with `/` and without trailing slash (`/kbarchive`).
    pub baseurl: String,
    pub source: PathBuf,
    pub output: PathBuf,
    pub templates_dir: PathBuf,
    pub static_dir: PathBuf,
    pub exclude: GlobSet,
    pub exclude_patterns: Vec<String>,
    pub include: GlobSet,
    pub permalink: PermalinkStyle,
    pub lang: String,
    /// Markdown files without front matter are pages, as on GitHub Pages.
    pub optional_front_matter: bool,
    pub cname: Option<String>,
    pub defaults: Vec<FrontMatterDefault>,
    pub kb: KbConfig,
    pub search: SearchConfig,
    pub extra: toml::Table,
}

/// Command-line values that win over `site.toml`.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub output: Option<PathBuf>,
    pub baseurl: Option<String>,
}

impl SiteConfig {
    /// Reads `<root>/site.toml`.
    pub fn load(root: &Path, overrides: &Overrides) -> Result<SiteConfig> {
        let file = root.join("site.toml");
        let text = std::fs::read_to_string(&file).with_context(|| format!("failed to read `{}`", file.display()))?;
        Self::parse(root, &text, overrides).with_context(|| format!("invalid `{}`", file.display()))
    }

    /// Parses and validates the text of a `site.toml` whose folder is `root`.
    pub fn parse(root: &Path, text: &str, overrides: &Overrides) -> Result<SiteConfig> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?;
        let exclude_patterns = raw.exclude.unwrap_or_default();
        let source = join_tidy(root, &raw.source.unwrap_or_else(|| PathBuf::from("content")));
        let output = match &overrides.output {
            Some(o) => o.clone(),
            None => join_tidy(root, &raw.output.unwrap_or_else(|| PathBuf::from("public"))),
        };
        let baseurl = normalize_baseurl(overrides.baseurl.as_deref().or(raw.baseurl.as_deref()).unwrap_or(""))?;
        let url = raw.url.unwrap_or_default().trim_end_matches('/').to_string();
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            bail!("key `url`: expected scheme and host such as \"https://example.github.io\", got {url:?}");
        }
        let kb = raw.kb.unwrap_or_default();
        if kb.render != "structured" && kb.render != "preformatted" {
            bail!("key `kb.render`: expected \"structured\" or \"preformatted\", got {:?}", kb.render);
        }
        if kb.page_size == 0 {
            bail!("key `kb.page_size`: must be at least 1");
        }
        Ok(SiteConfig {
            root: root.to_path_buf(),
            title: raw.title.unwrap_or_default(),
            description: raw.description.unwrap_or_default(),
            url,
            baseurl,
            source,
            output,
            templates_dir: root.join("templates"),
            static_dir: root.join("static"),
            exclude: compile_globs("exclude", &exclude_patterns)?,
            exclude_patterns,
            include: compile_globs("include", &raw.include.unwrap_or_default())?,
            permalink: parse_permalink_style(raw.permalink.as_deref().unwrap_or("pretty"))?,
            lang: raw.lang.unwrap_or_else(|| "en".into()),
            optional_front_matter: raw.optional_front_matter.unwrap_or(true),
            cname: raw.cname,
            defaults: raw.defaults,
            kb,
            search: raw.search.unwrap_or_default(),
            extra: raw.extra.unwrap_or_default(),
        })
    }

    /// `/kbarchive` + `/kb/1/` → `/kbarchive/kb/1/`.
    pub fn relative_url(&self, path: &str) -> String {
        join_url(&self.baseurl, path)
    }

    /// `https://host` + baseurl + path.
    pub fn absolute_url(&self, path: &str) -> String {
        format!("{}{}", self.url, self.relative_url(path))
    }
}

/// Joins a baseurl and a site path the way Jekyll's `relative_url` does: exactly one `/` between.
pub fn join_url(baseurl: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") || path.starts_with("//") {
        return path.to_string();
    }
    let path = path.trim_start_matches('/');
    let mut out = String::with_capacity(baseurl.len() + path.len() + 1);
    out.push_str(baseurl);
    out.push('/');
    out.push_str(path);
    out
}

fn normalize_baseurl(raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if trimmed.contains("://") || trimmed.contains("..") {
        bail!("key `baseurl`: expected a path such as \"/kbarchive\", got {raw:?}");
    }
    Ok(if trimmed.starts_with('/') { trimmed.to_string() } else { format!("/{trimmed}") })
}

fn parse_permalink_style(raw: &str) -> Result<PermalinkStyle> {
    Ok(match raw {
        "pretty" => PermalinkStyle::Pretty,
        "date" | "ordinal" | "weekdate" | "none" => PermalinkStyle::Extension,
        custom if custom.starts_with('/') => PermalinkStyle::Custom(custom.to_string()),
        other => bail!(
            "key `permalink`: expected pretty, date, ordinal, weekdate, none or a pattern starting with `/`, got {other:?}"
        ),
    })
}

fn compile_globs(key: &str, patterns: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).with_context(|| format!("key `{key}`: bad glob {pattern:?}"))?;
        builder.add(glob);
    }
    builder.build().with_context(|| format!("key `{key}`"))
}

/// `root` joined with a configured folder, without `.` components: `source = "."` names files
/// `site/kb/…` in messages rather than `site/./kb/…`.
fn join_tidy(root: &Path, rel: &Path) -> PathBuf {
    let joined: PathBuf = root.join(rel).components().collect();
    if joined.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SiteConfig> {
        SiteConfig::parse(Path::new("/site"), text, &Overrides::default())
    }

    #[test]
    fn defaults_apply_when_keys_are_missing() {
        let c = parse("").unwrap();
        assert_eq!(c.source, Path::new("/site/content"));
        assert_eq!(c.output, Path::new("/site/public"));
        assert_eq!(c.baseurl, "");
        assert_eq!(c.permalink, PermalinkStyle::Pretty);
    }

    #[test]
    fn configured_folders_are_joined_without_dot_components() {
        let c = parse("source = \".\"\noutput = \"./_site\"").unwrap();
        assert_eq!(c.source.as_os_str(), "/site");
        assert_eq!(c.output.as_os_str(), "/site/_site");
        let here = SiteConfig::parse(Path::new("."), "source = \".\"", &Overrides::default()).unwrap();
        assert_eq!(here.source.as_os_str(), ".");
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let err = format!("{:#}", parse("titel = \"x\"").unwrap_err());
        assert!(err.contains("titel"), "{err}");
    }

    #[test]
    fn wrong_type_is_an_error_naming_the_key() {
        let err = format!("{:#}", parse("exclude = \"scripts\"").unwrap_err());
        assert!(err.contains("exclude"), "{err}");
    }

    #[test]
    fn baseurl_is_normalised() {
        assert_eq!(parse("baseurl = \"kbarchive/\"").unwrap().baseurl, "/kbarchive");
        assert_eq!(parse("baseurl = \"/\"").unwrap().baseurl, "");
        assert!(parse("baseurl = \"https://x/y\"").is_err());
    }

    #[test]
    fn overrides_win() {
        let o = Overrides { output: Some("/tmp/o".into()), baseurl: Some("/sub".into()) };
        let c = SiteConfig::parse(Path::new("/s"), "baseurl = \"/x\"", &o).unwrap();
        assert_eq!(c.baseurl, "/sub");
        assert_eq!(c.output, Path::new("/tmp/o"));
    }

    #[test]
    fn urls_join_with_one_slash() {
        let c = parse("url = \"https://h.io/\"\nbaseurl = \"/kb\"").unwrap();
        assert_eq!(c.relative_url("/a/"), "/kb/a/");
        assert_eq!(c.relative_url("a"), "/kb/a");
        assert_eq!(c.absolute_url("/"), "https://h.io/kb/");
        assert_eq!(join_url("", "/"), "/");
    }

    #[test]
    fn exclude_globs_compile_and_match() {
        let c = parse("exclude = [\"scripts\", \"*.sh\"]").unwrap();
        assert!(c.exclude.is_match("scripts"));
        assert!(c.exclude.is_match("build.sh"));
        assert!(!c.exclude.is_match("kb"));
    }
}
