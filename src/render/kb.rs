//! KB features at render time: linking `Q123456` mentions, the `page.kb` object of an article,
//! and the generated index pages (products, keywords, technology, years, home).

use std::borrow::Cow;

use serde_json::{json, Value as Json};

use super::iso_date;
use super::markdown::{escape_into, TextLinker};
use crate::analyze::kb_index::{KbSite, Term, TermKind};
use crate::analyze::mentions::for_each_mention;
use crate::analyze::{Page, PageId};
use crate::config::SiteConfig;

/// Links mentions of articles that exist in the site, leaving every displayed character as is.
pub struct MentionLinker<'a> {
    pub kb: &'a KbSite,
    /// Per page: its URL with baseurl.
    pub urls: &'a [String],
    pub this: Option<PageId>,
}

impl TextLinker for MentionLinker<'_> {
    fn write_text(&self, text: &str, out: &mut String) {
        let mut last = 0;
        for_each_mention(text, |m| {
            let Some(&target) = self.kb.by_number.get(&m.number) else { return };
            if Some(target) == self.this {
                return;
            }
            escape_into(&text[last..m.start], out);
            out.push_str("<a class=\"kb-ref\" href=\"");
            escape_into(&self.urls[target], out);
            out.push_str("\">");
            out.push_str(&text[m.start..m.end]);
            out.push_str("</a>");
            last = m.end;
        });
        escape_into(&text[last..], out);
    }
}

/// Everything the KB templates need to know about pages, computed once per build.
pub struct KbRender<'a> {
    pub config: &'a SiteConfig,
    pub kb: &'a KbSite,
    pub pages: &'a [Page],
    /// Per page: URL with baseurl (borrowed when the caller keeps them, as serve does).
    pub urls: Cow<'a, [String]>,
    /// Made for a full render only: serve's rounds render a few pages, for which making the
    /// table (~30 ms at 60k) would cost more than it saves.
    summaries: Option<SummaryTable>,
}

/// Every page's [`summary`](KbRender::summary) fields — article id, title, URL, date — side by
/// side in one buffer. A full render asks for ~14 summaries per page of the site (~800,000 at
/// 60,000 articles: index pages, cited-by lists), each of another page: read from the pages
/// themselves, one touches scattered cache lines (the article, the page, its title, its URL
/// and their strings) and formats the date again.
struct SummaryTable {
    text: String,
    /// Per page, where each of its four fields ends in `text` (each starts where the one before
    /// it ends). An empty date is no date.
    ends: Vec<[u32; 4]>,
}

/// What other pages show of page `id` (its summary): article id (empty for other pages), title,
/// URL with baseurl (`urls[id]`), last-modified date. The one definition: [`KbRender::summary`]
/// shows it, a full render's summary table holds it, and serve's fingerprints hash it.
pub fn summary_fields<'p>(
    kb: &'p KbSite,
    pages: &'p [Page],
    urls: &'p [String],
    id: PageId,
) -> (&'p str, &'p str, &'p str, Option<chrono::NaiveDate>) {
    let art = kb.article(id);
    (art.map_or("", |a| a.id.as_str()), &pages[id].title, &urls[id], art.and_then(|a| a.last_modified))
}

impl SummaryTable {
    fn new(kb: &KbSite, pages: &[Page], urls: &[String]) -> Self {
        let bytes = pages.iter().zip(urls).map(|(p, u)| p.title.len() + u.len() + 20).sum();
        let mut table = SummaryTable { text: String::with_capacity(bytes), ends: Vec::with_capacity(pages.len()) };
        for id in 0..pages.len() {
            let (article, title, url, date) = summary_fields(kb, pages, urls, id);
            table.push(article, title, url, date);
        }
        table
    }

    /// Appends the next page's fields.
    fn push(&mut self, article: &str, title: &str, url: &str, date: Option<chrono::NaiveDate>) {
        let mut end = |field: &str| {
            self.text.push_str(field);
            u32::try_from(self.text.len()).expect("page summaries exceed 4 GiB")
        };
        let ends = [end(article), end(title), end(url), end(&date.map(iso_date).unwrap_or_default())];
        self.ends.push(ends);
    }

    /// Page `id`'s fields: article id (empty for other pages), title, URL, date (empty for none).
    fn fields(&self, id: PageId) -> [&str; 4] {
        let mut start = if id == 0 { 0 } else { self.ends[id - 1][3] as usize };
        self.ends[id].map(|end| {
            let field = &self.text[start..end as usize];
            start = end as usize;
            field
        })
    }
}

fn term_link(config: &SiteConfig, kind: TermKind, name: &str) -> Json {
    object([("name", name.into()), ("url", term_url(config, kind, name))])
}

/// The URL (with baseurl) of the index page of the term `name`, or null when it has none
/// ([`TermKind::page_path`]).
fn term_url(config: &SiteConfig, kind: TermKind, name: &str) -> Json {
    kind.page_path(name).map(|path| config.relative_url(&path)).into()
}

/// A JSON object from values that are JSON already. (`json!` would serialize each value again:
/// a deep copy of every list, once per page.)
pub(crate) fn object<const N: usize>(entries: [(&str, Json); N]) -> Json {
    // Inserted one by one: `collect` into the map would gather, sort and bulk-load the
    // entries, several times the work for a handful of keys.
    let mut map = serde_json::Map::new();
    for (k, v) in entries {
        map.insert(k.to_string(), v);
    }
    Json::Object(map)
}

impl<'a> KbRender<'a> {
    /// For rendering the whole site: page summaries are read from a table made here.
    pub fn new(config: &'a SiteConfig, kb: &'a KbSite, pages: &'a [Page]) -> Self {
        let urls: Vec<String> = pages.iter().map(|p| config.relative_url(&p.url)).collect();
        let summaries = Some(SummaryTable::new(kb, pages, &urls));
        KbRender { config, kb, pages, urls: Cow::Owned(urls), summaries }
    }

    /// For rendering a few pages (serve's rounds), with each page's URL (with baseurl) kept by
    /// the caller.
    pub fn with_urls(config: &'a SiteConfig, kb: &'a KbSite, pages: &'a [Page], urls: &'a [String]) -> Self {
        KbRender { config, kb, pages, urls: Cow::Borrowed(urls), summaries: None }
    }

    pub fn linker(&self, this: PageId) -> MentionLinker<'_> {
        MentionLinker { kb: self.kb, urls: &self.urls, this: Some(this) }
    }

    /// A short reference to an article page: id, title, url, date.
    pub fn summary(&self, id: PageId) -> Json {
        let summary = |article: &str, title: &str, url: &str, date: Option<&str>| {
            object([("id", article.into()), ("title", title.into()), ("url", url.into()), ("date", date.into())])
        };
        match &self.summaries {
            Some(table) => {
                let [article, title, url, date] = table.fields(id);
                summary(article, title, url, (!date.is_empty()).then_some(date))
            }
            None => {
                let (article, title, url, date) = summary_fields(self.kb, self.pages, &self.urls, id);
                summary(article, title, url, date.map(iso_date).as_deref())
            }
        }
    }

    /// `page.kb` for an article page, or `None` when the page is not an article.
    pub fn page_kb(&self, id: PageId) -> Option<Json> {
        let art = self.kb.article(id)?;
        let c = self.config;
        let (prev, next) = self.kb.neighbours[id];
        let summaries = |ids: &[PageId]| Json::Array(ids.iter().map(|&p| self.summary(p)).collect());
        let footer = art.footer.iter().map(|(k, v)| (k.to_string(), Json::from(v))).collect();
        Some(object([
            ("id", art.id.as_str().into()),
            ("number", art.number.into()),
            ("product", art.product.as_str().into()),
            ("product_url", (!art.product.is_empty()).then(|| term_url(c, TermKind::Products, &art.product)).into()),
            ("versions", art.versions.as_str().into()),
            ("operating_systems", art.operating_systems.as_str().into()),
            ("keywords", art.keywords.iter().map(|k| term_link(c, TermKind::Keywords, k)).collect()),
            ("technology", art.technology.iter().map(|t| term_link(c, TermKind::Technology, t)).collect()),
            ("last_modified", art.last_modified.map(iso_date).into()),
            ("last_modified_raw", art.last_modified_raw.as_str().into()),
            (
                "year",
                art.last_modified
                    .map(|d| term_link(c, TermKind::Years, &chrono::Datelike::year(&d).to_string()))
                    .into(),
            ),
            ("footer", Json::Object(footer)),
            ("prev", prev.map(|p| self.summary(p)).into()),
            ("next", next.map(|p| self.summary(p)).into()),
            ("cited_by", summaries(&self.kb.cited_by[id])),
            ("cites", summaries(&self.kb.cites[id])),
        ]))
    }
}

/// What a generated page shows; its `page` value is built only when it is rendered, so the
/// thousands of index pages of a large archive never sit in memory as JSON at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generated {
    /// Page `n` (1-based) of the `index`-th term of `kind`.
    Term {
        kind: TermKind,
        index: usize,
        n: usize,
    },
    Overview(TermKind),
    Home,
    /// The full-text search page.
    Search,
}

/// One generated page: where it goes, its template, what it shows, and which pages it lists
/// (what it depends on).
pub struct GeneratedPage {
    pub url: String,
    pub output: String,
    pub template: &'static str,
    pub what: Generated,
    pub lists: Vec<PageId>,
}

/// `/products/<slug>/`, `…/page/2/`: the URL of page `n` (1-based) of a term.
pub fn term_page_url(term: &Term, n: usize) -> String {
    if n <= 1 {
        term.url()
    } else {
        format!("{}page/{n}/", term.url())
    }
}

/// The `count` most recently modified articles.
fn recent(kb: &KbSite, pages: &[Page], count: usize) -> Vec<PageId> {
    let articles: Vec<PageId> = (0..pages.len()).filter(|&i| kb.article(i).is_some()).collect();
    kb.newest(articles, count)
}

fn output_of(url: &str) -> String {
    format!("{}index.html", url.trim_start_matches('/'))
}

/// Every index page of the archive: term pages (paginated), overviews, and the home page when
/// the site has no page of its own at `/`.
pub fn generated_pages(config: &SiteConfig, kb: &KbSite, pages: &[Page], home_taken: bool) -> Vec<GeneratedPage> {
    let mut out = Vec::new();
    if config.search.enabled {
        out.push(GeneratedPage {
            url: "/search/".into(),
            output: "search/index.html".into(),
            template: "search.html",
            what: Generated::Search,
            lists: Vec::new(),
        });
    }
    let size = config.kb.page_size;
    // A site without KB articles gets no archive indexes.
    let kinds = if kb.article_count() > 0 { &TermKind::ALL[..] } else { &[] };
    for &kind in kinds {
        for (index, term) in kb.terms(kind).iter().enumerate() {
            for (i, chunk) in term.pages.chunks(size).enumerate() {
                let url = term_page_url(term, i + 1);
                out.push(GeneratedPage {
                    output: output_of(&url),
                    url,
                    template: "kb_term.html",
                    what: Generated::Term { kind, index, n: i + 1 },
                    lists: chunk.to_vec(),
                });
            }
        }
        let url = format!("/{}/", kind.folder());
        out.push(GeneratedPage {
            output: output_of(&url),
            url,
            template: "kb_overview.html",
            what: Generated::Overview(kind),
            lists: Vec::new(),
        });
    }
    if !home_taken && !kinds.is_empty() {
        let recent = recent(kb, pages, 20);
        out.push(GeneratedPage {
            url: "/".into(),
            output: "index.html".into(),
            template: "kb_home.html",
            what: Generated::Home,
            lists: recent,
        });
    }
    out
}

impl KbRender<'_> {
    /// The `page` value of a generated page.
    pub fn page_json(&self, g: &GeneratedPage) -> Json {
        match g.what {
            Generated::Term { kind, index, n } => self.term_json(kind, &self.kb.terms(kind)[index], n),
            Generated::Overview(kind) => {
                let entries: Vec<Json> = self
                    .kb
                    .terms(kind)
                    .iter()
                    .map(|t| json!({"name": t.name, "url": self.config.relative_url(&t.url()), "count": t.pages.len(), "letter": initial(&t.name)}))
                    .collect();
                let mut page = json!({
                    "title": kind.title(),
                    "url": g.url,
                    "kb_overview": { "kind": kind.folder(), "kind_title": kind.title() },
                });
                page["kb_overview"]["terms"] = Json::Array(entries);
                page
            }
            Generated::Home => self.home_json(&g.lists),
            Generated::Search => json!({
                "title": "Search",
                "url": g.url,
                "kb_search": {
                    "script": self.config.relative_url("/search/search.js"),
                    "base": self.config.relative_url("/search/"),
                }
            }),
        }
    }

    fn term_json(&self, kind: TermKind, term: &Term, n: usize) -> Json {
        let size = self.config.kb.page_size;
        let total_pages = term.pages.len().div_ceil(size);
        let chunk = &term.pages[(n - 1) * size..(n * size).min(term.pages.len())];
        let mut page = json!({
            "title": format!("{}: {}", kind_singular(kind), term.name),
            "url": term_page_url(term, n),
            "kb_index": {
                "kind": kind.folder(),
                "kind_title": kind.title(),
                "kind_url": self.config.relative_url(&format!("/{}/", kind.folder())),
                "name": term.name,
                "total": term.pages.len(),
                "page": n,
                "pages": total_pages,
                "prev_url": (n > 1).then(|| self.config.relative_url(&term_page_url(term, n - 1))),
                "next_url": (n < total_pages).then(|| self.config.relative_url(&term_page_url(term, n + 1))),
                "first": (n - 1) * size + 1,
                "chart": (kind == TermKind::Products && n == 1).then(|| self.year_chart(&term.pages)),
            }
        });
        // Set apart: `json!` would copy the list once more.
        page["kb_index"]["articles"] = chunk.iter().map(|&p| self.summary(p)).collect();
        page
    }

    fn home_json(&self, recent: &[PageId]) -> Json {
        let products: Vec<Json> = self
            .kb
            .terms(TermKind::Products)
            .iter()
            .map(|t| json!({"name": t.name, "url": self.config.relative_url(&t.url()), "count": t.pages.len()}))
            .collect();
        let counts: Vec<Json> = TermKind::ALL
            .iter()
            .map(|&k| json!({"title": k.title(), "url": self.config.relative_url(&format!("/{}/", k.folder())), "count": self.kb.terms(k).len()}))
            .collect();
        let mut page = json!({
            "title": self.config.title,
            "url": "/",
            "kb_home": { "articles": self.kb.article_count() }
        });
        page["kb_home"]["products"] = Json::Array(products);
        page["kb_home"]["indexes"] = Json::Array(counts);
        page["kb_home"]["recent"] = recent.iter().map(|&p| self.summary(p)).collect();
        page
    }

    /// A small bar chart of articles per year, as inline SVG (no JavaScript).
    pub fn year_chart(&self, pages: &[PageId]) -> String {
        use std::collections::BTreeMap;
        let mut per_year: BTreeMap<i32, usize> = BTreeMap::new();
        for &p in pages {
            if let Some(d) = self.kb.article(p).and_then(|a| a.last_modified) {
                *per_year.entry(chrono::Datelike::year(&d)).or_default() += 1;
            }
        }
        let (Some(&first), Some(&last)) = (per_year.keys().next(), per_year.keys().next_back()) else {
            return String::new();
        };
        let max = per_year.values().copied().max().unwrap_or(1).max(1);
        let years = (last - first + 1) as usize;
        let (bar, gap, height) = (22usize, 4usize, 80usize);
        let width = years * (bar + gap);
        let mut svg = format!(
            "<svg class=\"kb-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\" role=\"img\" aria-label=\"Articles per year\">",
            height + 30,
            height + 30
        );
        for (i, year) in (first..=last).enumerate() {
            let count = per_year.get(&year).copied().unwrap_or(0);
            let h = (count * height).div_ceil(max);
            let x = i * (bar + gap);
            svg.push_str(&format!(
                "<g><title>{year}: {count} articles</title><rect x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{h}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{:02}</text></g>",
                height - h,
                x + bar / 2,
                height + 14,
                year % 100
            ));
        }
        svg.push_str("</svg>");
        svg
    }
}

fn kind_singular(kind: TermKind) -> &'static str {
    match kind {
        TermKind::Products => "Product",
        TermKind::Keywords => "Keyword",
        TermKind::Technology => "Technology",
        TermKind::Years => "Year",
    }
}

/// A–Z grouping letter for overview pages (`#` for anything else).
fn initial(name: &str) -> String {
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => c.to_ascii_uppercase().to_string(),
        _ => "#".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::kb::KbArticle;
    use crate::analyze::kb_index::{term_slug, PageKb};

    fn site() -> KbSite {
        let art = |n: u32| PageKb {
            article: Some(KbArticle { id: format!("Q{n}"), number: n, ..Default::default() }),
            mentions: vec![],
        };
        KbSite::build(vec![art(151228), art(151261), PageKb::default()])
    }

    #[test]
    fn linker_links_existing_articles_only_and_keeps_text() {
        let kb = site();
        let urls = vec!["/kb/151/Q151228/".to_string(), "/kb/151/Q151261/".to_string(), "/x/".to_string()];
        let linker = MentionLinker { kb: &kb, urls: &urls, this: Some(0) };
        let mut out = String::new();
        linker.write_text("Q151228 & Q151261 <x> Q999999 Q151261.", &mut out);
        assert_eq!(
            out,
            "Q151228 &amp; <a class=\"kb-ref\" href=\"/kb/151/Q151261/\">Q151261</a> &lt;x&gt; Q999999 <a class=\"kb-ref\" href=\"/kb/151/Q151261/\">Q151261</a>."
        );
    }

    #[test]
    fn term_urls_are_the_index_page_urls_and_null_without_a_page() {
        for baseurl in ["", "baseurl = \"/kbarchive\""] {
            let config = SiteConfig::parse(std::path::Path::new("/x"), baseurl, &Default::default()).unwrap();
            for (kind, name) in [
                (TermKind::Keywords, "kbSetup"),
                (TermKind::Products, "Microsoft Exchange Server 5.5"),
                (TermKind::Technology, "--kb_Exchange (5.5)--"),
                (TermKind::Years, "1997"),
            ] {
                let term = Term { kind, name: name.into(), slug: term_slug(name), pages: vec![] };
                assert_eq!(term_url(&config, kind, name), Json::from(config.relative_url(&term.url())), "{name}");
            }
            assert_eq!(term_url(&config, TermKind::Keywords, "-&-"), Json::Null);
            assert_eq!(term_url(&config, TermKind::Keywords, "日本"), Json::Null);
        }
    }

    #[test]
    fn summary_fields_come_back_per_page() {
        let mut table = SummaryTable { text: String::new(), ends: vec![] };
        let date = chrono::NaiveDate::from_ymd_opt(1997, 3, 4);
        table.push("Q151228", "XFOR: Q&A", "/kb/151/Q151228/", date);
        table.push("", "About", "/about/", None);
        table.push("Q2", "", "/q2/", date);
        assert_eq!(table.fields(0), ["Q151228", "XFOR: Q&A", "/kb/151/Q151228/", "1997-03-04"]);
        assert_eq!(table.fields(1), ["", "About", "/about/", ""]);
        assert_eq!(table.fields(2), ["Q2", "", "/q2/", "1997-03-04"]);
    }

    #[test]
    fn initials_group_a_to_z() {
        assert_eq!(initial("kbusage"), "K");
        assert_eq!(initial("3com"), "#");
    }
}
