//! The archive as a graph: which page is which article, who cites whom, and the term indexes
//! (products, keywords, technology, years). Relations are stored as [`PageId`]s, never clones.

use std::collections::{BTreeMap, HashMap};

use super::kb::KbArticle;
use super::PageId;

/// What loading kept of one page's KB facts (the body itself is not kept).
#[derive(Debug, Clone, Default)]
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
#[derive(Debug, Clone)]
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
#[derive(Debug, Default)]
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
    for b in term.bytes() {
        let c = b.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c as char);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

impl KbSite {
    /// Builds the graph and indexes. `articles[i]` is page `i`'s article, if any. Linear in the
    /// number of articles and mentions (hash lookups, one sort per list).
    pub fn build(articles: Vec<PageKb>) -> KbSite {
        let n = articles.len();
        let mut by_number: HashMap<u32, PageId> = HashMap::with_capacity(n);
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
        let number_of = |id: PageId| articles[id].article.as_ref().map_or(0, |a| a.number);

        let mut cites = vec![Vec::new(); n];
        let mut cited_by: Vec<Vec<PageId>> = vec![Vec::new(); n];
        let mut unresolved = Vec::new();
        for (id, a) in articles.iter().enumerate() {
            for &m in &a.mentions {
                match by_number.get(&m) {
                    // Only articles cite: an index page listing articles is not a citation.
                    Some(&target) if target != id && a.article.is_some() => {
                        cites[id].push(target);
                        cited_by[target].push(id);
                    }
                    Some(_) => {}
                    None => unresolved.push((id, m)),
                }
            }
        }
        for list in cited_by.iter_mut() {
            list.sort_by_key(|&p| number_of(p));
        }

        // Term indexes: slug → (first spelling, pages).
        let mut maps: BTreeMap<TermKind, BTreeMap<String, (String, Vec<PageId>)>> = BTreeMap::new();
        let mut add = |kind: TermKind, name: &str, id: PageId| {
            let slug = term_slug(name);
            if slug.is_empty() {
                return;
            }
            let entry = maps.entry(kind).or_default().entry(slug).or_insert_with(|| (name.to_string(), Vec::new()));
            if entry.1.last() != Some(&id) {
                entry.1.push(id);
            }
        };
        for (id, a) in articles.iter().enumerate() {
            let Some(art) = &a.article else { continue };
            if !art.product.is_empty() {
                add(TermKind::Products, &art.product, id);
            }
            for k in &art.keywords {
                add(TermKind::Keywords, k, id);
            }
            for t in &art.technology {
                add(TermKind::Technology, t, id);
            }
            if let Some(d) = art.last_modified {
                add(TermKind::Years, &chrono::Datelike::year(&d).to_string(), id);
            }
        }
        let newest_first = |a: &PageId, b: &PageId| {
            let (x, y) = (articles[*a].article.as_ref().unwrap(), articles[*b].article.as_ref().unwrap());
            y.last_modified.cmp(&x.last_modified).then(x.number.cmp(&y.number))
        };
        let mut terms = BTreeMap::new();
        for (kind, map) in maps {
            let list: Vec<Term> = map
                .into_iter()
                .map(|(slug, (name, mut pages))| {
                    pages.sort_by(newest_first);
                    Term { kind, name, slug, pages }
                })
                .collect();
            terms.insert(kind, list);
        }

        // Previous/next within a product, by article number.
        let mut neighbours = vec![(None, None); n];
        if let Some(products) = terms.get(&TermKind::Products) {
            for term in products {
                let mut ids = term.pages.clone();
                ids.sort_by_key(|&p| number_of(p));
                for (i, &id) in ids.iter().enumerate() {
                    let prev = i.checked_sub(1).map(|j| ids[j]);
                    neighbours[id] = (prev, ids.get(i + 1).copied());
                }
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
