//! Updating a [`KbSite`] after some pages changed, in time proportional to what changed rather
//! than to the archive (`kbsite serve` after a save). The result equals
//! [`KbSite::build`] of the new page list, field for field (property-tested below).
//!
//! Page ids shift when pages are added or removed, so the update first moves every row to its
//! new id ([`Remap`]: the order of surviving pages never changes, so sorted lists stay sorted),
//! then undoes what changed pages contributed (their citations, their entries in term lists)
//! and adds what they contribute now.

use std::cmp::Ordering;
use std::collections::HashSet;

use super::kb_index::{
    for_each_term, newest_first, number_index, resolve_mentions, set_neighbours, term_slug, KbSite, PageKb, Term,
    TermKind,
};
use super::PageId;

/// How a list of pages changed. Surviving pages keep their relative order (pages are sorted by
/// path), so `old_to_new` is increasing where it is `Some`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remap {
    /// The new id of every old page; `None`: removed.
    pub old_to_new: Vec<Option<PageId>>,
    pub new_len: usize,
    /// New ids, ascending, of pages that are new or whose facts were replaced. Every other new
    /// id is the image of exactly one old page.
    pub changed: Vec<PageId>,
}

impl Remap {
    /// Nothing moved, nothing changed.
    pub fn identity(len: usize) -> Remap {
        Remap { old_to_new: (0..len).map(Some).collect(), new_len: len, changed: Vec::new() }
    }

    /// No page was added or removed: ids stay, rows can be replaced in place.
    pub fn in_place(&self) -> bool {
        self.old_to_new.len() == self.new_len && self.old_to_new.iter().enumerate().all(|(i, n)| *n == Some(i))
    }

    /// Per new id: whether it is in [`Remap::changed`].
    pub fn changed_mask(&self) -> Vec<bool> {
        let mut mask = vec![false; self.new_len];
        for &c in &self.changed {
            mask[c] = true;
        }
        mask
    }

    /// Per old id: its new id if the page survived unchanged.
    pub fn kept(&self) -> Vec<Option<PageId>> {
        let mask = self.changed_mask();
        self.old_to_new.iter().map(|o| o.filter(|&n| !mask[n])).collect()
    }

    /// Moves the rows of `old` (indexed by old id) to their new ids; the rows of changed pages
    /// are dropped and new ids in [`Remap::changed`] take `fresh`'s items, in order.
    pub fn apply<T>(&self, old: Vec<T>, fresh: impl IntoIterator<Item = T>) -> Vec<T> {
        self.apply_keeping(old, fresh, |_, _| {})
    }

    /// [`Remap::apply`], handing the dropped rows (of changed and removed pages) to `dropped`
    /// with their old id.
    pub fn apply_keeping<T>(
        &self,
        mut old: Vec<T>,
        fresh: impl IntoIterator<Item = T>,
        mut dropped: impl FnMut(PageId, T),
    ) -> Vec<T> {
        let mut fresh = fresh.into_iter();
        if self.in_place() {
            for &c in &self.changed {
                let row = std::mem::replace(&mut old[c], fresh.next().expect("a row for every changed page"));
                dropped(c, row);
            }
            return old;
        }
        // One pass in new order: kept rows arrive in order, fresh ones fill the gaps.
        let kept = self.kept();
        let mut out = Vec::with_capacity(self.new_len);
        let mut changed = self.changed.iter().peekable();
        for (i, row) in old.into_iter().enumerate() {
            let Some(n) = kept[i] else {
                dropped(i, row);
                continue;
            };
            while changed.next_if(|&&c| c < n).is_some() {
                out.push(fresh.next().expect("a row for every changed page"));
            }
            debug_assert_eq!(out.len(), n);
            out.push(row);
        }
        for _ in changed {
            out.push(fresh.next().expect("a row for every changed page"));
        }
        assert_eq!(out.len(), self.new_len, "every new page is kept or changed");
        out
    }
}

impl KbSite {
    /// Brings the site up to date with the new page list described by `remap`: `changed` holds
    /// the facts of every page in [`Remap::changed`], in that order. Afterwards `self` equals
    /// `KbSite::build` of the new list. When no page was added or removed, the work is in
    /// proportion to the changed pages and what they touch; otherwise rows are moved once.
    pub fn update(&mut self, remap: &Remap, changed: Vec<PageKb>) {
        assert_eq!(changed.len(), remap.changed.len(), "facts for every changed page");
        let n = remap.new_len;
        let pos = &remap.old_to_new;
        let keep = remap.kept();
        let in_place = remap.in_place();

        // Facts: unchanged pages move; the old facts of changed and removed pages are dropped.
        let mut dropped: Vec<(PageId, PageKb)> = Vec::new();
        self.articles = remap.apply_keeping(std::mem::take(&mut self.articles), changed, |i, a| dropped.push((i, a)));
        let articles = &self.articles;
        let number_of = |id: PageId| articles[id].article.as_ref().map_or(0, |a| a.number);
        let number = |a: &PageKb| a.article.as_ref().map(|x| x.number);

        // Numbers: rebuilt (one hash insert per article) unless no number changed. Only a
        // number of a changed or removed page can have moved to another page (or appeared, or
        // gone).
        let same_numbers = in_place && dropped.iter().all(|(i, old)| number(old) == number(&articles[*i]));
        let moved: HashSet<u32> = if same_numbers {
            HashSet::new()
        } else {
            let (by_number, duplicate_numbers) = number_index(articles);
            let new_numbers = remap.changed.iter().filter_map(|&c| number(&articles[c]));
            let moved = dropped
                .iter()
                .filter_map(|(_, a)| number(a))
                .chain(new_numbers)
                .filter(|&m| self.by_number.get(&m).map(|&o| pos[o]) != by_number.get(&m).map(|&p| Some(p)))
                .collect();
            self.by_number = by_number;
            self.duplicate_numbers = duplicate_numbers;
            moved
        };

        // Citations are recomputed for changed pages and for pages mentioning a moved number.
        let mut recompute = remap.changed_mask();
        if !moved.is_empty() {
            for (id, a) in articles.iter().enumerate() {
                if a.mentions.iter().any(|m| moved.contains(m)) {
                    recompute[id] = true;
                }
            }
        }
        let redo: Vec<PageId> = (0..n).filter(|&id| recompute[id]).collect();
        if in_place {
            // Undo what the recomputed pages cited.
            for &p in &redo {
                for t in std::mem::take(&mut self.cites[p]) {
                    self.cited_by[t].retain(|&c| c != p);
                }
            }
            self.unresolved.retain(|&(p, _)| !recompute[p]);
        } else {
            let citer = |old: PageId| keep[old].filter(|&c| !recompute[c]);
            let mut cites: Vec<Vec<PageId>> = vec![Vec::new(); n];
            for (i, row) in std::mem::take(&mut self.cites).into_iter().enumerate() {
                if let Some(c) = citer(i) {
                    cites[c] = row.into_iter().map(|t| pos[t].expect("a cited page survives")).collect();
                }
            }
            let mut cited_by: Vec<Vec<PageId>> = vec![Vec::new(); n];
            for (t, row) in std::mem::take(&mut self.cited_by).into_iter().enumerate() {
                if let Some(new) = pos[t] {
                    cited_by[new] = row.into_iter().filter_map(citer).collect();
                }
            }
            self.unresolved = self.unresolved.iter().filter_map(|&(p, m)| citer(p).map(|c| (c, m))).collect();
            self.cites = cites;
            self.cited_by = cited_by;
        }
        let mut resort = Vec::new();
        for &id in &redo {
            let unresolved = &mut self.unresolved;
            resolve_mentions(&articles[id], id, &self.by_number, &mut self.cites[id], &mut |m| {
                unresolved.push((id, m))
            });
            for &t in &self.cites[id] {
                self.cited_by[t].push(id);
                resort.push(t);
            }
        }
        resort.sort_unstable();
        resort.dedup();
        for t in resort {
            self.cited_by[t].sort_by_key(|&p| (number_of(p), p));
        }
        self.unresolved.sort_unstable();

        // Term lists: remove changed and removed pages, add changed pages where they belong.
        let order = |a: PageId, b: PageId| {
            newest_first(articles[a].article.as_ref().unwrap(), articles[b].article.as_ref().unwrap()).then(a.cmp(&b))
        };
        let mut touched: HashSet<(TermKind, String)> = HashSet::new();
        if in_place {
            for (p, old) in &dropped {
                let Some(art) = old.article.as_ref() else { continue };
                for_each_term(art, |kind, name| {
                    let slug = term_slug(name);
                    let Some(list) = self.terms.get_mut(&kind) else { return };
                    if let Ok(at) = list.binary_search_by(|t| t.slug.as_str().cmp(&slug)) {
                        list[at].pages.retain(|q| q != p);
                        touched.insert((kind, slug));
                    }
                });
            }
        } else {
            for (&kind, list) in self.terms.iter_mut() {
                for term in list.iter_mut() {
                    let before = term.pages.len();
                    term.pages.retain_mut(|p| match keep[*p] {
                        Some(new) => {
                            *p = new;
                            true
                        }
                        None => false,
                    });
                    if term.pages.len() != before {
                        touched.insert((kind, term.slug.clone()));
                    }
                }
            }
        }
        for &p in &remap.changed {
            let Some(art) = articles[p].article.as_ref() else { continue };
            // A page is filed once per term, even when two of its spellings slug alike.
            let mut filed: HashSet<(TermKind, String)> = HashSet::new();
            for_each_term(art, |kind, name| {
                let slug = term_slug(name);
                if slug.is_empty() || !filed.insert((kind, slug.clone())) {
                    return;
                }
                let list = self.terms.entry(kind).or_default();
                let at = match list.binary_search_by(|t| t.slug.as_str().cmp(&slug)) {
                    Ok(i) => i,
                    Err(i) => {
                        list.insert(i, Term { kind, name: name.to_string(), slug: slug.clone(), pages: Vec::new() });
                        i
                    }
                };
                let pages = &mut list[at].pages;
                let i = pages.partition_point(|&q| order(q, p) == Ordering::Less);
                pages.insert(i, p);
                touched.insert((kind, slug));
            });
        }
        // A touched term is named by its first page's spelling, or goes when it has no pages.
        for (kind, slug) in &touched {
            let Some(list) = self.terms.get_mut(kind) else { continue };
            let Ok(at) = list.binary_search_by(|t| t.slug.as_str().cmp(slug)) else { continue };
            match list[at].pages.iter().min() {
                None => {
                    list.remove(at);
                }
                Some(&first) => {
                    let mut name = None;
                    for_each_term(articles[first].article.as_ref().unwrap(), |k, spelling| {
                        if name.is_none() && k == *kind && term_slug(spelling) == *slug {
                            name = Some(spelling.to_string());
                        }
                    });
                    list[at].name = name.expect("a term's page spells it");
                }
            }
        }
        self.terms.retain(|_, list| !list.is_empty());

        // Neighbours move; products that gained or lost a page are recomputed.
        if in_place {
            for &c in &remap.changed {
                self.neighbours[c] = (None, None);
            }
        } else {
            let mut neighbours = vec![(None, None); n];
            for (i, (prev, next)) in std::mem::take(&mut self.neighbours).into_iter().enumerate() {
                if let Some(new) = keep[i] {
                    neighbours[new] = (prev.and_then(|p| pos[p]), next.and_then(|p| pos[p]));
                }
            }
            self.neighbours = neighbours;
        }
        if let Some(products) = self.terms.get(&TermKind::Products) {
            for term in products {
                if touched.contains(&(TermKind::Products, term.slug.clone())) {
                    set_neighbours(&term.pages, number_of, &mut self.neighbours);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::kb::KbArticle;
    use chrono::NaiveDate;

    /// A tiny deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len() as u64) as usize]
        }
    }

    /// Facts drawn from small sets so that numbers, terms, dates and slugs collide often.
    fn random_kb(rng: &mut Rng) -> PageKb {
        let mentions = {
            let mut m: Vec<u32> = (0..rng.below(4)).map(|_| 100 + rng.below(14) as u32).collect();
            m.sort_unstable();
            m.dedup();
            m
        };
        if rng.below(6) == 0 {
            return PageKb { article: None, mentions };
        }
        let number = 100 + rng.below(12) as u32;
        let keywords: Vec<String> = (0..rng.below(4))
            .map(|_| rng.pick(&["kbusage", "KBUSAGE", "C++", "c", "kbbug", "|", "x y"]).to_string())
            .collect();
        let article = KbArticle {
            id: format!("Q{number}"),
            number,
            product: rng.pick(&["Exchange", "exchange", "Mail", "", "Windows NT"]).to_string(),
            keywords,
            technology: (0..rng.below(2)).map(|_| rng.pick(&["kbExchange500", "kbmail"]).to_string()).collect(),
            last_modified: (rng.below(5) != 0)
                .then(|| NaiveDate::from_ymd_opt(1998 + rng.below(3) as i32, 1 + rng.below(2) as u32, 1).unwrap()),
            ..Default::default()
        };
        PageKb { article: Some(article), mentions }
    }

    #[test]
    fn updates_equal_a_fresh_build() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..1000 {
            let len = rng.below(20) as usize;
            let old: Vec<PageKb> = (0..len).map(|_| random_kb(&mut rng)).collect();
            let mut site = KbSite::build(old.clone());
            // Remove, replace and insert pages at random.
            let mut new: Vec<PageKb> = Vec::new();
            let mut remap = Remap { old_to_new: Vec::new(), new_len: 0, changed: Vec::new() };
            let mut fresh = Vec::new();
            let insert = |new: &mut Vec<PageKb>, remap: &mut Remap, fresh: &mut Vec<PageKb>, rng: &mut Rng| {
                let kb = random_kb(rng);
                remap.changed.push(new.len());
                fresh.push(kb.clone());
                new.push(kb);
            };
            // Half the rounds only replace pages (ids stay: the in-place path).
            let shift = round % 2 == 0;
            for a in &old {
                while shift && rng.below(5) == 0 {
                    insert(&mut new, &mut remap, &mut fresh, &mut rng);
                }
                match rng.below(6) {
                    0 if shift => remap.old_to_new.push(None),
                    0 | 1 if !shift && rng.below(2) == 0 => {
                        remap.old_to_new.push(Some(new.len()));
                        insert(&mut new, &mut remap, &mut fresh, &mut rng);
                    }
                    1 => {
                        remap.old_to_new.push(Some(new.len()));
                        insert(&mut new, &mut remap, &mut fresh, &mut rng);
                    }
                    _ => {
                        remap.old_to_new.push(Some(new.len()));
                        new.push(a.clone());
                    }
                }
            }
            if shift && rng.below(3) == 0 {
                insert(&mut new, &mut remap, &mut fresh, &mut rng);
            }
            remap.new_len = new.len();
            assert_eq!(
                remap.in_place(),
                !shift || remap.old_to_new.iter().enumerate().all(|(i, n)| *n == Some(i)) && new.len() == old.len()
            );
            site.update(&remap, fresh);
            let expected = KbSite::build(new.clone());
            assert_eq!(site, expected, "round {round}: {old:#?}\n→ {new:#?}\n{remap:?}");
        }
    }

    #[test]
    fn apply_moves_rows_and_takes_fresh_ones_in_order() {
        let remap = Remap { old_to_new: vec![Some(0), None, Some(2), Some(3)], new_len: 5, changed: vec![1, 3, 4] };
        assert_eq!(remap.apply(vec!["a", "b", "c", "d"], ["x", "y", "z"]), ["a", "x", "c", "y", "z"]);
        assert_eq!(Remap::identity(2).apply(vec![1, 2], []), [1, 2]);
    }
}
