//! Files for publishing on GitHub Pages: `sitemap.xml` (split into a sitemap index past 50,000
//! URLs, per sitemaps.org), `robots.txt`, an Atom feed of recently modified articles, `CNAME`,
//! an OpenSearch description, and short-URL redirect pages (`/Q151228/`).

use std::fmt::Write as _;

use rayon::prelude::*;

use crate::analyze::kb_index::KbSite;
use crate::analyze::{Asset, Page};
use crate::config::SiteConfig;
use crate::render::kb::GeneratedPage;
use crate::render::markdown::escape;

/// A file made from data: (output file, bytes).
pub type GeneratedFile = (String, Vec<u8>);
/// A short-URL redirect page: (output file, target URL).
pub type Redirect = (String, String);

/// The sitemaps.org limit of URLs per sitemap file.
pub const SITEMAP_LIMIT: usize = 50_000;
const FEED_ENTRIES: usize = 50;

/// Every publishing file that the site does not provide itself, and the short-URL redirects as
/// (output file, target URL): their HTML is made when written, not held in memory.
pub fn files(
    config: &SiteConfig,
    pages: &[Page],
    kb: &KbSite,
    index_pages: &[GeneratedPage],
    assets: &[Asset],
) -> (Vec<GeneratedFile>, Vec<Redirect>) {
    let outputs = crate::analyze::site_outputs(pages, assets);
    let taken = |path: &str| outputs.contains(path);
    let mut out = sitemap_files(config, pages, kb, index_pages, &taken);
    out.extend(fixed_files(config, &taken));
    out.extend(feed_files(config, pages, kb, &taken));
    (out, redirect_targets(config, pages, kb, &taken))
}

/// The sitemap: every HTML page, articles with their last-modified date, then the index pages.
/// `taken(output)`: a page or copied file of the site has that output.
pub fn sitemap_files(
    config: &SiteConfig,
    pages: &[Page],
    kb: &KbSite,
    index_pages: &[GeneratedPage],
    taken: &(dyn Fn(&str) -> bool + Sync),
) -> Vec<GeneratedFile> {
    if taken("sitemap.xml") {
        return Vec::new();
    }
    let mut entries: Vec<(String, Option<String>)> = pages
        .par_iter()
        .enumerate()
        .filter(|(_, p)| p.output.ends_with(".html") && p.output != "404.html")
        .map(|(i, p)| (config.absolute_url(&p.url), kb.article(i).and_then(|a| a.last_modified).map(|d| d.to_string())))
        .collect();
    entries.extend(index_pages.iter().map(|g| (config.absolute_url(&g.url), None)));
    sitemaps(config, &entries)
}

/// Files made from the configuration alone: `robots.txt`, `CNAME`, `opensearch.xml`.
pub fn fixed_files(config: &SiteConfig, taken: &(dyn Fn(&str) -> bool + Sync)) -> Vec<GeneratedFile> {
    let mut out = Vec::new();
    if !taken("robots.txt") {
        out.push((
            "robots.txt".into(),
            format!("User-agent: *\nAllow: /\n\nSitemap: {}\n", config.absolute_url("/sitemap.xml")).into_bytes(),
        ));
    }
    if let Some(cname) = config.cname.as_deref().filter(|c| !c.is_empty()) {
        if !taken("CNAME") {
            out.push(("CNAME".into(), format!("{cname}\n").into_bytes()));
        }
    }
    if !taken("opensearch.xml") {
        out.push(("opensearch.xml".into(), opensearch(config).into_bytes()));
    }
    out
}

/// The Atom feed of recently modified articles, when the site has articles.
pub fn feed_files(
    config: &SiteConfig,
    pages: &[Page],
    kb: &KbSite,
    taken: &(dyn Fn(&str) -> bool + Sync),
) -> Vec<GeneratedFile> {
    if kb.article_count() == 0 || taken("feed.xml") {
        return Vec::new();
    }
    vec![("feed.xml".into(), atom_feed(config, pages, kb).into_bytes())]
}

/// Short URLs: /Q151228/ → the article, as (output file, target URL), when `[kb] short_urls` is on.
/// (Lower case /q151228/ is handled by the 404 page's script, which sends it here: GitHub Pages
/// paths are case-sensitive, and a second set of 60,000 files would double the site's file
/// count for a rarely typed form.)
pub fn redirect_targets(
    config: &SiteConfig,
    pages: &[Page],
    kb: &KbSite,
    taken: &(dyn Fn(&str) -> bool + Sync),
) -> Vec<Redirect> {
    if !config.kb.short_urls {
        return Vec::new();
    }
    pages
        .par_iter()
        .enumerate()
        .filter_map(|(i, page)| {
            let article = kb.article(i)?;
            if kb.by_number.get(&article.number) != Some(&i) || article.id.is_empty() {
                return None;
            }
            let short = format!("{}/index.html", article.id);
            let own = page.url.strip_prefix('/').and_then(|u| u.strip_suffix('/')) == Some(article.id.as_str());
            if own || taken(&short) {
                return None;
            }
            Some((short, page.url.clone()))
        })
        .collect()
}

/// The short-URL redirect pages with their HTML (the preview server keeps them to compare).
pub fn redirect_files(
    config: &SiteConfig,
    pages: &[Page],
    kb: &KbSite,
    taken: &(dyn Fn(&str) -> bool + Sync),
) -> Vec<GeneratedFile> {
    redirect_targets(config, pages, kb, taken)
        .into_par_iter()
        .map(|(short, target)| (short, redirect_page(config, &target).into_bytes()))
        .collect()
}

/// A static redirect that works without a server: canonical link, meta refresh, and a link.
pub fn redirect_page(config: &SiteConfig, target: &str) -> String {
    let rel = escape(&config.relative_url(target));
    let abs = escape(&config.absolute_url(target));
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>Redirecting…</title>\
         <link rel=\"canonical\" href=\"{abs}\"><meta name=\"robots\" content=\"noindex\">\
         <meta http-equiv=\"refresh\" content=\"0; url={rel}\"></head>\
         <body><p><a href=\"{rel}\">Continue to {rel}</a></p></body></html>\n",
        escape(&config.lang)
    )
}

/// `sitemap.xml`, or past [`SITEMAP_LIMIT`] URLs a sitemap index plus `sitemap-N.xml` shards.
pub fn sitemaps(config: &SiteConfig, entries: &[(String, Option<String>)]) -> Vec<GeneratedFile> {
    let urlset = |chunk: &[(String, Option<String>)]| {
        let mut xml = String::with_capacity(chunk.len() * 90 + 128);
        xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        for (loc, lastmod) in chunk {
            let _ = write!(xml, "<url><loc>{}</loc>", escape(loc));
            if let Some(d) = lastmod {
                let _ = write!(xml, "<lastmod>{d}</lastmod>");
            }
            xml.push_str("</url>\n");
        }
        xml.push_str("</urlset>\n");
        xml.into_bytes()
    };
    if entries.len() <= SITEMAP_LIMIT {
        return vec![("sitemap.xml".into(), urlset(entries))];
    }
    let mut files = Vec::new();
    let mut index = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (n, chunk) in entries.chunks(SITEMAP_LIMIT).enumerate() {
        let name = format!("sitemap-{}.xml", n + 1);
        let _ = writeln!(index, "<sitemap><loc>{}</loc></sitemap>", escape(&config.absolute_url(&format!("/{name}"))));
        files.push((name, urlset(chunk)));
    }
    index.push_str("</sitemapindex>\n");
    files.insert(0, ("sitemap.xml".into(), index.into_bytes()));
    files
}

/// An Atom feed of the most recently modified articles.
fn atom_feed(config: &SiteConfig, pages: &[Page], kb: &KbSite) -> String {
    let recent: Vec<usize> =
        (0..pages.len()).filter(|&i| kb.article(i).is_some_and(|a| a.last_modified.is_some())).collect();
    let recent = kb.newest(recent, FEED_ENTRIES);
    let updated = recent
        .first()
        .and_then(|&i| kb.article(i)?.last_modified)
        .map(|d| format!("{d}T00:00:00Z"))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let home = config.absolute_url("/");
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>{}</title>\n<subtitle>{}</subtitle>\n\
         <link href=\"{}\" rel=\"self\"/>\n<link href=\"{}\"/>\n<id>{}</id>\n<updated>{updated}</updated>\n",
        escape(&config.title),
        escape(&config.description),
        escape(&config.absolute_url("/feed.xml")),
        escape(&home),
        escape(&home),
    );
    for i in recent {
        let (page, art) = (&pages[i], kb.article(i).unwrap());
        let url = escape(&config.absolute_url(&page.url));
        let date = art.last_modified.map(|d| format!("{d}T00:00:00Z")).unwrap_or_default();
        let _ = writeln!(
            xml,
            "<entry><title>{}</title><link href=\"{url}\"/><id>{url}</id><updated>{date}</updated><summary>{} · {}</summary></entry>",
            escape(&page.title),
            escape(&art.id),
            escape(&art.product)
        );
    }
    xml.push_str("</feed>\n");
    xml
}

fn opensearch(config: &SiteConfig) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpenSearchDescription xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">\n\
         <ShortName>{}</ShortName>\n<Description>Search {}</Description>\n<InputEncoding>UTF-8</InputEncoding>\n\
         <Url type=\"text/html\" method=\"get\" template=\"{}?q={{searchTerms}}\"/>\n</OpenSearchDescription>\n",
        escape(&config.title.chars().take(16).collect::<String>()),
        escape(&config.title),
        escape(&config.absolute_url("/search/")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;
    use std::path::Path;

    fn config() -> SiteConfig {
        SiteConfig::parse(
            Path::new("/s"),
            "url = \"https://h.io\"\nbaseurl = \"/kb\"\ntitle = \"KB & Co\"",
            &Overrides::default(),
        )
        .unwrap()
    }

    #[test]
    fn small_sitemap_is_one_urlset() {
        let files = sitemaps(&config(), &[("https://h.io/kb/a/".into(), Some("1999-12-19".into()))]);
        assert_eq!(files.len(), 1);
        let xml = String::from_utf8(files[0].1.clone()).unwrap();
        assert!(xml.contains("<url><loc>https://h.io/kb/a/</loc><lastmod>1999-12-19</lastmod></url>"), "{xml}");
    }

    #[test]
    fn large_sitemap_splits_into_an_index_and_shards() {
        let entries: Vec<(String, Option<String>)> =
            (0..SITEMAP_LIMIT + 10).map(|i| (format!("https://h.io/kb/{i}/"), None)).collect();
        let files = sitemaps(&config(), &entries);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml"]);
        let index = String::from_utf8(files[0].1.clone()).unwrap();
        assert!(
            index.contains("<sitemapindex") && index.contains("<loc>https://h.io/kb/sitemap-2.xml</loc>"),
            "{index}"
        );
        let count = |b: &[u8]| String::from_utf8_lossy(b).matches("<url>").count();
        assert_eq!((count(&files[1].1), count(&files[2].1)), (SITEMAP_LIMIT, 10));
    }

    #[test]
    fn redirect_pages_point_at_the_canonical_url() {
        let html = redirect_page(&config(), "/kb/151/Q151228/");
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"0; url=/kb/kb/151/Q151228/\">"));
        assert!(html.contains("<link rel=\"canonical\" href=\"https://h.io/kb/kb/151/Q151228/\">"));
    }

    #[test]
    fn opensearch_names_the_search_page() {
        let xml = opensearch(&config());
        assert!(xml.contains("template=\"https://h.io/kb/search/?q={searchTerms}\""), "{xml}");
        assert!(xml.contains("<ShortName>KB &amp; Co</ShortName>"));
    }
}
