//! Jekyll's permalink rules for pages: where a source file's URL and output file are.

use chrono::{Datelike, NaiveDate};

use crate::config::PermalinkStyle;

/// A page's URL (site-relative, without baseurl) and its output file (relative to the output folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub url: String,
    pub output: String,
}

/// What placeholders may draw on besides the source path.
#[derive(Debug, Default, Clone)]
pub struct PageVars<'a> {
    pub permalink: Option<&'a str>,
    pub slug: Option<&'a str>,
    pub title: Option<&'a str>,
    pub date: Option<NaiveDate>,
    pub categories: &'a [String],
    /// The folder also has an `index.*` page, so a `README.md` there is not the folder's index.
    pub has_index_sibling: bool,
}

/// Places a page whose source path (relative to `source`) is `rel`.
pub fn place(rel: &str, style: &PermalinkStyle, vars: &PageVars<'_>) -> Result<Placement, String> {
    let (dir, file) = rel.rsplit_once('/').unwrap_or(("", rel));
    let (basename, ext) = file.rsplit_once('.').unwrap_or((file, ""));
    let output_ext = match ext.to_ascii_lowercase().as_str() {
        "md" | "markdown" | "html" => ".html".to_string(),
        other => format!(".{other}"),
    };
    let is_html = output_ext == ".html" || output_ext == ".htm";
    let is_index = basename == "index" || (basename.eq_ignore_ascii_case("readme") && !vars.has_index_sibling);
    let template = match vars.permalink {
        Some(p) => p.to_string(),
        None if !is_html => "/:path/:basename:output_ext".to_string(),
        None if is_index => "/:path/".to_string(),
        None => match style {
            PermalinkStyle::Pretty => "/:path/:basename/".to_string(),
            PermalinkStyle::Extension => "/:path/:basename:output_ext".to_string(),
            PermalinkStyle::Custom(p) if p.ends_with('/') => "/:path/:basename/".to_string(),
            PermalinkStyle::Custom(p) if p.ends_with(":output_ext") => "/:path/:basename:output_ext".to_string(),
            PermalinkStyle::Custom(_) => "/:path/:basename".to_string(),
        },
    };
    check_template(&template)?;
    let slug = vars.slug.map(slugify).unwrap_or_else(|| slugify(basename));
    let title = vars.title.map(slugify).unwrap_or_else(|| slug.clone());
    let url = fill(&template, |name| {
        Some(match name {
            "path" => escape_path(dir),
            "basename" => escape_path(basename),
            "output_ext" => output_ext.clone(),
            "slug" => slug.clone(),
            "title" | "name" => title.clone(),
            "categories" => vars.categories.iter().map(|c| slugify(c)).collect::<Vec<_>>().join("/"),
            "year" => vars.date.map(|d| format!("{:04}", d.year())).unwrap_or_default(),
            "month" => vars.date.map(|d| format!("{:02}", d.month())).unwrap_or_default(),
            "day" => vars.date.map(|d| format!("{:02}", d.day())).unwrap_or_default(),
            "i_month" => vars.date.map(|d| d.month().to_string()).unwrap_or_default(),
            "i_day" => vars.date.map(|d| d.day().to_string()).unwrap_or_default(),
            "short_year" => vars.date.map(|d| format!("{:02}", d.year() % 100)).unwrap_or_default(),
            _ => return None,
        })
    })?;
    let url = squeeze_slashes(&format!("/{url}"));
    let mut output = percent_decode(&url).trim_start_matches('/').to_string();
    check_output(&output)?;
    if url.ends_with('/') {
        output.push_str("index.html");
    } else if !output.ends_with(&output_ext) {
        // Jekyll appends the output extension to extension-less permalinks (`/about` → about.html).
        output.push_str(&output_ext);
    }
    Ok(Placement { url, output })
}

fn check_template(template: &str) -> Result<(), String> {
    if template.contains("://") || template.starts_with("//") {
        return Err(format!("permalink {template:?} is an absolute URL; it must be a path inside the site"));
    }
    if template.contains('\\') || template.contains('\0') || template.contains('?') || template.contains('#') {
        return Err(format!("permalink {template:?} contains a character not allowed in an output path"));
    }
    Ok(())
}

/// Rejects any path that would land outside the output folder once decoded.
fn check_output(output: &str) -> Result<(), String> {
    if output.split('/').any(|seg| seg == ".." || seg == ".") || output.contains('\\') || output.contains('\0') {
        return Err(format!("permalink resolves to {output:?}, which escapes the output folder"));
    }
    Ok(())
}

/// Replaces `:name` placeholders (longest identifier) using `value`; unknown names are errors.
fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 32);
    let bytes = template.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b':' {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            // Longest known placeholder that is a prefix of the identifier (`:basename.md` style).
            let ident = &template[start..end];
            let mut matched = false;
            for cut in (1..=ident.len()).rev() {
                if let Some(v) = value(&ident[..cut]) {
                    out.push_str(&v);
                    i = start + cut;
                    matched = true;
                    break;
                }
            }
            if !matched {
                if ident.is_empty() {
                    out.push(':');
                    i += 1;
                    continue;
                }
                return Err(format!("permalink {template:?} uses unknown placeholder `:{ident}`"));
            }
        } else {
            let next = template[i..].find(':').map_or(template.len(), |n| i + n);
            out.push_str(&template[i..next]);
            i = next;
        }
    }
    Ok(out)
}

fn squeeze_slashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// Percent-escapes what may not stand in a URL path, as Jekyll's `URL.escape_path` does.
pub fn escape_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (invalid ones are kept as written).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Jekyll's default `slugify`: lowercase, runs of anything but letters and digits become `-`.
pub fn slugify(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rel: &str, style: PermalinkStyle, permalink: Option<&str>) -> Result<(String, String), String> {
        let vars = PageVars { permalink, ..Default::default() };
        place(rel, &style, &vars).map(|p| (p.url, p.output))
    }

    #[test]
    fn permalink_rules_table() {
        use PermalinkStyle::*;
        let cases: &[(&str, PermalinkStyle, Option<&str>, &str, &str)] = &[
            (
                "kb/151/Q151228/README.md",
                Pretty,
                Some("/kb/151/Q151228/"),
                "/kb/151/Q151228/",
                "kb/151/Q151228/index.html",
            ),
            ("x.md", Pretty, Some("/x.html"), "/x.html", "x.html"),
            ("about.md", Pretty, Some("/about"), "/about", "about.html"),
            ("feed.xml", Pretty, None, "/feed.xml", "feed.xml"),
            ("docs/guide.md", Pretty, None, "/docs/guide/", "docs/guide/index.html"),
            ("docs/guide.md", Extension, None, "/docs/guide.html", "docs/guide.html"),
            ("docs/guide.md", Custom("/:path/:basename/".into()), None, "/docs/guide/", "docs/guide/index.html"),
            ("docs/index.md", Extension, None, "/docs/", "docs/index.html"),
            ("docs/README.md", Pretty, None, "/docs/", "docs/index.html"),
            ("README.md", Pretty, None, "/", "index.html"),
            ("index.html", Extension, None, "/", "index.html"),
            ("a/b.md", Pretty, Some("/:path/:basename:output_ext"), "/a/b.html", "a/b.html"),
            ("a/My Page.md", Pretty, Some("/p/:slug/"), "/p/my-page/", "p/my-page/index.html"),
            ("a/My Page.md", Pretty, None, "/a/My%20Page/", "a/My Page/index.html"),
            ("a/b.md", Pretty, Some("no-leading-slash/"), "/no-leading-slash/", "no-leading-slash/index.html"),
        ];
        for (rel, style, permalink, url, output) in cases {
            assert_eq!(
                at(rel, style.clone(), *permalink),
                Ok((url.to_string(), output.to_string())),
                "{rel} {permalink:?}"
            );
        }
    }

    #[test]
    fn readme_is_not_the_index_when_an_index_exists() {
        let vars = PageVars { has_index_sibling: true, ..Default::default() };
        let p = place("docs/README.md", &PermalinkStyle::Pretty, &vars).unwrap();
        assert_eq!(p.url, "/docs/README/");
    }

    #[test]
    fn escaping_permalinks_are_errors() {
        for bad in
            ["/../etc/", "/a/../../x/", "https://evil.example/x/", "//host/x", "/a/%2e%2e/%2E%2E/x/", "/a\\..\\b"]
        {
            let err = at("a.md", PermalinkStyle::Pretty, Some(bad)).unwrap_err();
            assert!(err.contains("escapes") || err.contains("absolute") || err.contains("not allowed"), "{bad}: {err}");
        }
    }

    #[test]
    fn unknown_placeholder_is_an_error() {
        assert!(at("a.md", PermalinkStyle::Pretty, Some("/:nope/")).unwrap_err().contains(":nope"));
    }

    #[test]
    fn date_placeholders() {
        let vars = PageVars {
            permalink: Some("/:year/:month/:day/:slug/"),
            date: NaiveDate::from_ymd_opt(1999, 12, 9),
            ..Default::default()
        };
        assert_eq!(place("n.md", &PermalinkStyle::Pretty, &vars).unwrap().url, "/1999/12/09/n/");
    }

    #[test]
    fn slugify_matches_jekyll_default() {
        assert_eq!(slugify("Q151228: XFOR: Mail & Serial"), "q151228-xfor-mail-serial");
        assert_eq!(slugify("--A  b--"), "a-b");
    }

    #[test]
    fn percent_decode_round_trips() {
        assert_eq!(percent_decode("a%20b%2F"), "a b/");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
