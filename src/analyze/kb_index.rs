//! The archive as a graph: which page is which article, who cites whom, and the term indexes
//! (products, keywords, technology, years). Relations are stored as [`PageId`]s, never clones.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::kb::KbArticle;
use super::PageId;

/// What loading kept of one page's KB facts (the body itself is not kept).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageKb {
    /// `None` when the page is not a KB article (its mentions still count).
    pub article: Option<KbArticle>,
    /// Article numbers mentioned in the body, sorted, without duplicates.
    pub mentions: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TermKind {
    Products,
    Keywords,
    Technology,
    Years,
}

impl TermKind {
    pub const ALL: [TermKind; 4] = [TermKind::Products, TermKind::Keywords, TermKind::Technology, TermKind::Years];

    /// The URL folder of this kind's pages (`/products/<slug>/`).
    pub fn folder(self) -> &'static str {
        match self {
            TermKind::Products => "products",
            TermKind::Keywords => "keywords",
            TermKind::Technology => "technology",
            TermKind::Years => "years",
        }
    }

    /// The path of the index page of the term `name`, `/<folder>/<slug>/` as [`Term::url`] has
    /// it, or `None` when its slug is empty: such a term has no page. Written with the slug in
    /// place (no slug string, no `format!`): articles ask this for each of their terms.
    pub fn page_path(self, name: &str) -> Option<String> {
        let folder = self.folder();
        let mut path = String::with_capacity(folder.len() + name.len() + 3);
        path.push('/');
        path.push_str(folder);
        path.push('/');
        push_term_slug(name, &mut path).then(|| {
            path.push('/');
            path
        })
    }

    pub fn title(self) -> &'static str {
        match self {
            TermKind::Products => "Products",
            TermKind::Keywords => "Keywords",
            TermKind::Technology => "Technology",
            TermKind::Years => "Years",
        }
    }
}

/// One index page's term: its display name (first spelling seen), slug and articles, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub kind: TermKind,
    pub name: String,
    pub slug: String,
    pub pages: Vec<PageId>,
}

impl Term {
    pub fn url(&self) -> String {
        format!("/{}/{}/", self.kind.folder(), self.slug)
    }
}

/// The KB view of a site.
#[derive(Debug, Default, PartialEq)]
pub struct KbSite {
    /// Per page (indexed by [`PageId`]): its article, if it is one, and its mentions.
    pub articles: Vec<PageKb>,
    pub by_number: HashMap<u32, PageId>,
    /// Per page: the articles it mentions that exist (not itself), by number.
    pub cites: Vec<Vec<PageId>>,
    /// Per page: the articles that mention it, by number.
    pub cited_by: Vec<Vec<PageId>>,
    /// Mentions of articles not in the site: (page, number).
    pub unresolved: Vec<(PageId, u32)>,
    /// Per page: previous and next article of its product, by article number.
    pub neighbours: Vec<(Option<PageId>, Option<PageId>)>,
    pub terms: BTreeMap<TermKind, Vec<Term>>,
    /// Two pages claiming one article number: (kept, ignored).
    pub duplicate_numbers: Vec<(PageId, PageId)>,
}

/// A term's URL slug: lowercase; every run of characters other than `a-z0-9` becomes one `-`,
/// trimmed at both ends. Terms that slug alike share one page.
pub fn term_slug(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    push_term_slug(term, &mut out);
    out
}

/// Appends [`term_slug`]`(term)` to `out` (e.g. to a URL being built); returns whether the slug
/// is non-empty (a term whose slug is empty has no page).
fn push_term_slug(term: &str, out: &mut String) -> bool {
    let start = out.len();
    for b in term.bytes() {
        let c = b.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c as char);
        } else if out.len() > start && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.len() > start && out.ends_with('-') {
        out.pop();
    }
    out.len() > start
}

impl KbSite {
    /// Builds the graph and indexes. `articles[i]` is page `i`'s article, if any. Linear in the
    /// number of articles and mentions (hash lookups, one sort per list).
    pub fn build(articles: Vec<PageKb>) -> KbSite {
        let n = articles.len();
        let (by_number, duplicate_numbers) = number_index(&articles);
        let number_of = |id: PageId| articles[id].article.as_ref().map_or(0, |a| a.number);

        // Mentions resolved in parallel; cited-by lists gathered in page order.
        let (cites, not_found): (Vec<Vec<PageId>>, Vec<Vec<u32>>) = articles
            .par_iter()
            .enumerate()
            .map(|(id, a)| {
                let (mut cites, mut not_found) = (Vec::new(), Vec::new());
                resolve_mentions(a, id, &by_number, &mut cites, &mut |m| not_found.push(m));
                (cites, not_found)
            })
            .unzip();
        let mut cited_by: Vec<Vec<PageId>> = vec![Vec::new(); n];
        for (id, targets) in cites.iter().enumerate() {
            for &target in targets {
                cited_by[target].push(id);
            }
        }
        let unresolved: Vec<(PageId, u32)> =
            not_found.into_iter().enumerate().flat_map(|(id, ms)| ms.into_iter().map(move |m| (id, m))).collect();
        cited_by.par_iter_mut().for_each(|list| list.sort_by_key(|&p| number_of(p)));

        // Term indexes: slug → (first spelling, pages). Each distinct spelling is slugged once
        // (an archive files 60,000 articles under a few thousand spellings).
        let mut filings: BTreeMap<TermKind, Filing> = BTreeMap::new();
        for (id, a) in articles.iter().enumerate() {
            let Some(art) = &a.article else { continue };
            for_each_term(art, |kind, name| filings.entry(kind).or_default().file(name, id));
        }
        // Newest first, then by number; ids were pushed in order, so a stable sort keeps page
        // order among equals.
        let sort_key: Vec<_> = articles
            .iter()
            .map(|a| a.article.as_ref().map(|art| (std::cmp::Reverse(art.last_modified), art.number)))
            .collect();
        let mut terms = BTreeMap::new();
        for (kind, filing) in filings {
            let mut list: Vec<Term> =
                filing.terms.into_iter().map(|(slug, name, pages)| Term { kind, name, slug, pages }).collect();
            list.par_iter_mut().for_each(|t| t.pages.sort_by_key(|&p| sort_key[p]));
            list.sort_unstable_by(|a, b| a.slug.cmp(&b.slug));
            // A kind only seen with spellings that make no slug has no terms, and no entry.
            if !list.is_empty() {
                terms.insert(kind, list);
            }
        }

        // Previous/next within a product, by article number.
        let mut neighbours = vec![(None, None); n];
        if let Some(products) = terms.get(&TermKind::Products) {
            for term in products {
                set_neighbours(&term.pages, number_of, &mut neighbours);
            }
        }
        KbSite { articles, by_number, cites, cited_by, unresolved, neighbours, terms, duplicate_numbers }
    }

    pub fn terms(&self, kind: TermKind) -> &[Term] {
        self.terms.get(&kind).map_or(&[], Vec::as_slice)
    }

    pub fn article(&self, id: PageId) -> Option<&KbArticle> {
        self.articles.get(id).and_then(|a| a.article.as_ref())
    }

    pub fn article_count(&self) -> usize {
        self.articles.iter().filter(|a| a.article.is_some()).count()
    }

    /// The `count` newest of `ids` (articles), newest first: the order of index pages. Selects
    /// before sorting, so taking the 20 newest of 60,000 costs one pass.
    pub fn newest(&self, mut ids: Vec<PageId>, count: usize) -> Vec<PageId> {
        let order =
            |&a: &PageId, &b: &PageId| newest_first(self.article(a).unwrap(), self.article(b).unwrap()).then(a.cmp(&b));
        if count == 0 {
            return Vec::new();
        }
        if ids.len() > count {
            ids.select_nth_unstable_by(count - 1, order);
            ids.truncate(count);
        }
        ids.sort_unstable_by(order);
        ids
    }
}

/// The terms of one kind while [`KbSite::build`] files articles under them.
#[derive(Default)]
struct Filing {
    /// Spellings seen → their term (`None`: the spelling has an empty slug, no term).
    by_name: FxHashMap<String, Option<usize>>,
    by_slug: FxHashMap<String, usize>,
    /// (slug, first spelling, pages in the order filed).
    terms: Vec<(String, String, Vec<PageId>)>,
}

impl Filing {
    fn file(&mut self, name: &str, id: PageId) {
        let term = match self.by_name.get(name) {
            Some(&term) => term,
            None => {
                let term = self.term_of(name);
                self.by_name.insert(name.to_string(), term);
                term
            }
        };
        if let Some(term) = term {
            let pages = &mut self.terms[term].2;
            if pages.last() != Some(&id) {
                pages.push(id);
            }
        }
    }

    fn term_of(&mut self, name: &str) -> Option<usize> {
        let slug = term_slug(name);
        if slug.is_empty() {
            return None;
        }
        if let Some(&term) = self.by_slug.get(&slug) {
            return Some(term);
        }
        let term = self.terms.len();
        self.by_slug.insert(slug.clone(), term);
        self.terms.push((slug, name.to_string(), Vec::new()));
        Some(term)
    }
}

/// Article number → page (the first page claiming it), and the pages that claimed a number
/// already taken: (kept, ignored).
pub(crate) fn number_index(articles: &[PageKb]) -> (HashMap<u32, PageId>, Vec<(PageId, PageId)>) {
    let mut by_number: HashMap<u32, PageId> = HashMap::with_capacity(articles.len());
    let mut duplicate_numbers = Vec::new();
    for (id, a) in articles.iter().enumerate() {
        if let Some(art) = &a.article {
            if art.number == 0 {
                continue;
            }
            if let Some(&first) = by_number.get(&art.number) {
                duplicate_numbers.push((first, id));
            } else {
                by_number.insert(art.number, id);
            }
        }
    }
    (by_number, duplicate_numbers)
}

/// Calls `f` with every term an article is filed under, in the order [`KbSite::build`] files
/// them (the first spelling seen names a term): product, keywords, technology, year.
pub(crate) fn for_each_term(art: &KbArticle, mut f: impl FnMut(TermKind, &str)) {
    if !art.product.is_empty() {
        f(TermKind::Products, &art.product);
    }
    for k in &art.keywords {
        f(TermKind::Keywords, k);
    }
    for t in &art.technology {
        f(TermKind::Technology, t);
    }
    if let Some(d) = art.last_modified {
        f(TermKind::Years, &chrono::Datelike::year(&d).to_string());
    }
}

/// Index page order: newest first, then by article number (then, in a stable sort, by page).
pub(crate) fn newest_first(x: &KbArticle, y: &KbArticle) -> std::cmp::Ordering {
    y.last_modified.cmp(&x.last_modified).then(x.number.cmp(&y.number))
}

/// Page `id`'s resolved citations (pushed to `cites`, in mention order) and its mentions of
/// articles not in the site (given to `unresolved`). Only articles cite: an index page listing
/// articles is not a citation.
pub(crate) fn resolve_mentions(
    a: &PageKb,
    id: PageId,
    by_number: &HashMap<u32, PageId>,
    cites: &mut Vec<PageId>,
    unresolved: &mut dyn FnMut(u32),
) {
    for &m in &a.mentions {
        match by_number.get(&m) {
            Some(&target) if target != id && a.article.is_some() => cites.push(target),
            Some(_) => {}
            None => unresolved(m),
        }
    }
}

/// Previous/next of every page of one product (its pages newest first), by article number.
pub(crate) fn set_neighbours(
    pages: &[PageId],
    number_of: impl Fn(PageId) -> u32,
    neighbours: &mut [(Option<PageId>, Option<PageId>)],
) {
    let mut ids = pages.to_vec();
    ids.sort_by_key(|&p| number_of(p));
    for (i, &id) in ids.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| ids[j]);
        neighbours[id] = (prev, ids.get(i + 1).copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn art(number: u32, product: &str, keywords: &[&str], date: (i32, u32, u32), mentions: &[u32]) -> PageKb {
        PageKb {
            article: Some(KbArticle {
                id: format!("Q{number}"),
                number,
                product: product.into(),
                keywords: keywords.iter().map(|s| s.to_string()).collect(),
                last_modified: NaiveDate::from_ymd_opt(date.0, date.1, date.2),
                ..Default::default()
            }),
            mentions: mentions.to_vec(),
        }
    }

    #[test]
    fn term_slugs_follow_the_rule() {
        assert_eq!(term_slug("Microsoft Exchange"), "microsoft-exchange");
        assert_eq!(term_slug("  C++ / MFC 4.0!! "), "c-mfc-4-0");
        assert_eq!(term_slug("kbExchange500"), "kbexchange500");
        assert_eq!(term_slug("|"), "");
        assert_eq!(term_slug("Überprüfung"), "berpr-fung");
    }

    #[test]
    fn graph_cites_cited_by_and_unresolved() {
        let site = KbSite::build(vec![
            art(100, "Exchange", &["kbusage"], (1999, 1, 1), &[100, 200, 999]),
            PageKb { article: None, mentions: vec![100, 888] },
            art(200, "Exchange", &["KBUSAGE", "exc5"], (2000, 5, 1), &[100]),
            art(300, "Mail", &[], (1998, 1, 1), &[100, 200]),
        ]);
        assert_eq!(site.cites[0], vec![2], "self-mention and unknown article are not links");
        assert_eq!(site.cited_by[0], vec![2, 3]);
        assert_eq!(site.cited_by[2], vec![0, 3]);
        assert_eq!(site.unresolved, vec![(0, 999), (1, 888)], "non-articles' mentions count too");
        assert_eq!(site.cites[1], Vec::<PageId>::new(), "only articles cite");
        let kw = site.terms(TermKind::Keywords);
        assert_eq!(
            kw.iter().map(|t| (t.name.as_str(), t.pages.clone())).collect::<Vec<_>>(),
            [("exc5", vec![2]), ("kbusage", vec![2, 0])]
        );
        let years: Vec<_> = site.terms(TermKind::Years).iter().map(|t| t.slug.clone()).collect();
        assert_eq!(years, ["1998", "1999", "2000"]);
        assert_eq!(site.neighbours[0], (None, Some(2)));
        assert_eq!(site.neighbours[2], (Some(0), None));
        assert_eq!(site.neighbours[3], (None, None));
        assert_eq!(site.terms(TermKind::Products)[0].url(), "/products/exchange/");
    }

    #[test]
    fn duplicate_numbers_are_reported_and_first_wins() {
        let site = KbSite::build(vec![art(5, "P", &[], (1999, 1, 1), &[]), art(5, "P", &[], (1999, 1, 1), &[])]);
        assert_eq!(site.duplicate_numbers, vec![(0, 1)]);
        assert_eq!(site.by_number[&5], 0);
    }
}
