//! Fingerprints: a 64-bit digest of everything an output shows that comes from other pages, so
//! that a rebuild rewrites an output exactly when its inputs changed.
//!
//! - A page's own inputs (its file, front matter, URL, layout) are not hashed: a page whose
//!   file was read again or that moved is rewritten anyway (its written fingerprint is reset).
//! - What a page shows of another page is what [`KbRender::summary`] shows — id, title, URL,
//!   date — hashed once per page when it is read ([`summary_hash`]).
//! - An article shows its previous/next, who cites it and whom it cites (`page.kb`); mentions
//!   link to the articles it cites, so for articles that covers links too. Other pages link
//!   mentions without citing: their fingerprint hashes where each mention points.
//! - An index page shows its term, its place in the pagination and the summaries of the
//!   articles it lists (plus, for a product's first page, the articles per year of the chart).
//!
//! [`KbRender::summary`]: crate::render::kb::KbRender::summary

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use rayon::prelude::*;

use crate::analyze::kb_index::{KbSite, TermKind};
use crate::analyze::{Page, PageId};
use crate::render::kb::{summary_fields, Generated, GeneratedPage};

/// Mixes `x` into `h` (a multiply-rotate step; [`finish`] avalanches).
pub fn mix(h: u64, x: u64) -> u64 {
    (h ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
}

/// splitmix64's finaliser; never returns 0 (0 means "not written" in the written state).
pub fn finish(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) | 1
}

/// A digest of any hashable value (SipHash with fixed keys: stable within a process).
pub fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// What other pages show of page `id`: its [`summary_fields`], `urls` holding each page's URL
/// with baseurl.
pub fn summary_hash(kb: &KbSite, pages: &[Page], urls: &[String], id: PageId) -> u64 {
    hash_of(&summary_fields(kb, pages, urls, id))
}

/// The fingerprint of every page (see the module docs), computed in parallel.
pub fn page_fingerprints(kb: &KbSite, summary: &[u64], url_hash: impl Fn(PageId) -> u64 + Sync) -> Vec<u64> {
    let list = |h: u64, ids: &[PageId]| ids.iter().fold(mix(h, ids.len() as u64), |h, &p| mix(h, summary[p]));
    let opt = |h: u64, id: Option<PageId>| mix(h, id.map_or(0, |p| summary[p]));
    (0..summary.len())
        .into_par_iter()
        .map(|id| {
            let facts = &kb.articles[id];
            let mut h = 0x5151;
            if facts.article.is_some() {
                let (prev, next) = kb.neighbours[id];
                h = opt(opt(h, prev), next);
                h = list(h, &kb.cited_by[id]);
                h = list(h, &kb.cites[id]);
            } else {
                for &m in &facts.mentions {
                    let target = match kb.by_number.get(&m) {
                        None => 0,
                        Some(&t) if t == id => 1,
                        Some(&t) => url_hash(t),
                    };
                    h = mix(mix(h, u64::from(m)), target);
                }
            }
            finish(h)
        })
        .collect()
}

/// The fingerprint of each generated index page, in order.
pub fn index_fingerprints(kb: &KbSite, summary: &[u64], index_pages: &[GeneratedPage], page_size: usize) -> Vec<u64> {
    let term_digest =
        |h: u64, name: &str, slug: &str, count: usize| mix(mix(mix(h, hash_of(name)), hash_of(slug)), count as u64);
    index_pages
        .par_iter()
        .map(|g| {
            let mut h = mix(0x1d3, hash_of(&g.what_key()));
            h = g.lists.iter().fold(mix(h, g.lists.len() as u64), |h, &p| mix(h, summary[p]));
            match g.what {
                Generated::Term { kind, index, n } => {
                    let term = &kb.terms(kind)[index];
                    h = term_digest(h, &term.name, &term.slug, term.pages.len());
                    h = mix(mix(h, n as u64), page_size as u64);
                    if kind == TermKind::Products && n == 1 {
                        let mut per_year: BTreeMap<i32, usize> = BTreeMap::new();
                        for &p in &term.pages {
                            if let Some(d) = kb.article(p).and_then(|a| a.last_modified) {
                                *per_year.entry(chrono::Datelike::year(&d)).or_default() += 1;
                            }
                        }
                        h = mix(h, hash_of(&per_year));
                    }
                }
                Generated::Overview(kind) => {
                    for t in kb.terms(kind) {
                        h = term_digest(h, &t.name, &t.slug, t.pages.len());
                    }
                }
                Generated::Home => {
                    h = mix(h, kb.article_count() as u64);
                    for t in kb.terms(TermKind::Products) {
                        h = term_digest(h, &t.name, &t.slug, t.pages.len());
                    }
                    for kind in TermKind::ALL {
                        h = mix(h, kb.terms(kind).len() as u64);
                    }
                }
                Generated::Search => {}
            }
            finish(h)
        })
        .collect()
}

/// A stable key for what a generated page shows (its variant and place).
trait WhatKey {
    fn what_key(&self) -> (u8, u8, usize, usize);
}

impl WhatKey for GeneratedPage {
    fn what_key(&self) -> (u8, u8, usize, usize) {
        match self.what {
            // The term is hashed by name and slug: its index moves when other terms come and go.
            Generated::Term { kind, n, .. } => (0, kind as u8, 0, n),
            Generated::Overview(kind) => (1, kind as u8, 0, 0),
            Generated::Home => (2, 0, 0, 0),
            Generated::Search => (3, 0, 0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_digests_are_never_zero_and_mixing_is_order_sensitive() {
        assert_ne!(finish(0), 0);
        assert_ne!(mix(mix(0, 1), 2), mix(mix(0, 2), 1));
        assert_eq!(hash_of("a"), hash_of("a"));
    }
}
