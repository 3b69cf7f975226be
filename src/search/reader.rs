//! Reads an index written by [`SearchIndexBuilder`](super::SearchIndexBuilder) and answers
//! queries exactly as `search.js` does. Used by tests to prove the format and the ranking,
//! and by the scale example to list the files a query downloads.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::format::{self, DictEntry, Manifest, Postings};
use super::tokenize::query_terms;
use super::varint;

/// Optional result filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Exact product name (as in the manifest).
    pub product: Option<String>,
    pub year: Option<u16>,
}

/// One ranked result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub doc: u32,
    pub score: u64,
}

/// A row of the document table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRecord {
    pub id: String,
    pub title: String,
    pub product: Option<String>,
    pub year: Option<u16>,
    pub date: String,
    pub url: String,
}

/// One page of results with their doc-table records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultPage {
    /// Number of matching documents.
    pub total: usize,
    pub hits: Vec<(Hit, DocRecord)>,
}

/// A dictionary term chosen for a query term, with its match weight.
#[derive(Debug, Clone)]
pub struct Expansion {
    pub entry: DictEntry,
    pub weight: u64,
}

type Row = (String, String, i64, Option<u16>, String, String);

/// An opened index folder.
pub struct SearchIndex {
    dir: PathBuf,
    manifest: Manifest,
    shard_keys: Vec<Vec<u8>>,
    shards: Mutex<HashMap<usize, Arc<Vec<DictEntry>>>>,
}

fn bad(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl SearchIndex {
    /// Opens the index in `dir` (reads `manifest.json`).
    pub fn open(dir: &Path) -> io::Result<Self> {
        let json = fs::read(dir.join(format::MANIFEST))?;
        let manifest: Manifest = serde_json::from_slice(&json).map_err(bad)?;
        if manifest.format != format::FORMAT {
            return Err(bad(format!("unknown search index format {:?}", manifest.format)));
        }
        let shard_keys = manifest.shards.iter().map(|s| s.as_bytes().to_vec()).collect();
        Ok(SearchIndex { dir: dir.to_path_buf(), manifest, shard_keys, shards: Mutex::new(HashMap::new()) })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn read(&self, rel: &str, trace: &mut Vec<String>) -> io::Result<Vec<u8>> {
        note(trace, rel);
        fs::read(self.dir.join(rel))
    }

    fn shard(&self, i: usize, trace: &mut Vec<String>) -> io::Result<Arc<Vec<DictEntry>>> {
        let path = format::shard_path(i);
        if let Some(s) = self.shards.lock().expect("cache lock").get(&i) {
            note(trace, &path);
            return Ok(s.clone());
        }
        let bytes = self.read(&path, trace)?;
        let entries = Arc::new(format::decode_shard(&bytes).ok_or_else(|| bad(&path))?);
        self.shards.lock().expect("cache lock").insert(i, entries.clone());
        Ok(entries)
    }

    /// Shards that may hold `q` (or, with `prefix`, terms starting with `q`).
    fn shard_range(&self, q: &[u8], prefix: bool) -> std::ops::Range<usize> {
        let n = self.shard_keys.len();
        let lo = self.shard_keys.partition_point(|k| k.as_slice() <= q).saturating_sub(1);
        let mut hi = (lo + 1).min(n);
        let max = lo + self.manifest.max_prefix_shards.max(1) as usize;
        while prefix && hi < n.min(max) && self.shard_keys[hi].starts_with(q) {
            hi += 1;
        }
        lo..hi
    }

    /// Looks up one exact term.
    pub fn lookup(&self, term: &str) -> io::Result<Option<DictEntry>> {
        let mut trace = Vec::new();
        for i in self.shard_range(term.as_bytes(), false) {
            if let Some(e) = self.shard(i, &mut trace)?.iter().find(|e| e.term == term) {
                return Ok(Some(e.clone()));
            }
        }
        Ok(None)
    }

    /// The dictionary terms used for query term `q`: the exact term first, then (for
    /// terms of `minPrefix`+ code points, except numbers such as `4.0` or `151228`)
    /// terms starting with `q` by descending df and
    /// term, at most `maxExpansions`, beyond the first only within `prefixBudget` bytes.
    pub fn expand(&self, q: &str, trace: &mut Vec<String>) -> io::Result<Vec<Expansion>> {
        let m = &self.manifest;
        let qchars = q.chars().count() as u32;
        let prefix = qchars >= m.min_prefix && !q.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let mut cands: Vec<DictEntry> = Vec::new();
        for i in self.shard_range(q.as_bytes(), prefix) {
            let shard = self.shard(i, trace)?;
            cands.extend(shard.iter().filter(|e| e.term == q || (prefix && e.term.starts_with(q))).cloned());
        }
        cands.sort_by(|a, b| {
            (b.term == q).cmp(&(a.term == q)).then(b.df.cmp(&a.df)).then(a.term.as_bytes().cmp(b.term.as_bytes()))
        });
        let mut out: Vec<Expansion> = Vec::new();
        let mut bytes = 0u64;
        for e in cands {
            if out.len() as u32 >= m.max_expansions {
                break;
            }
            if out.is_empty() || bytes + u64::from(e.plen) <= u64::from(m.prefix_budget) {
                bytes += u64::from(e.plen);
                let weight = format::match_weight(qchars, e.term.chars().count() as u32);
                out.push(Expansion { entry: e, weight });
            }
        }
        Ok(out)
    }

    fn postings(&self, e: &DictEntry, trace: &mut Vec<String>) -> io::Result<Vec<(u32, u8)>> {
        let docs = self.manifest.docs;
        Ok(match &e.postings {
            Postings::Inline(p) => format::decode_postings(p, e.df, docs),
            Postings::External(k) => {
                format::decode_postings(&self.read(&format::postings_path(*k), trace)?, e.df, docs)
            }
        })
    }

    fn filter_mask(&self, f: &Filters, trace: &mut Vec<String>) -> io::Result<Option<Vec<bool>>> {
        let m = &self.manifest;
        let mut lists: Vec<Vec<u32>> = Vec::new();
        if let Some(p) = &f.product {
            match m.products.iter().position(|(n, _)| n == p) {
                Some(i) => lists.push(varint::get_doc_list(&self.read(&format::product_path(i), trace)?)),
                None => lists.push(Vec::new()),
            }
        }
        if let Some(y) = f.year {
            match m.years.iter().any(|&(yy, _)| yy == y) {
                true => lists.push(varint::get_doc_list(&self.read(&format::year_path(y), trace)?)),
                false => lists.push(Vec::new()),
            }
        }
        if lists.is_empty() {
            return Ok(None);
        }
        let mut count = vec![0u8; m.docs as usize];
        for l in &lists {
            for &d in l.iter().filter(|&&d| d < m.docs) {
                count[d as usize] += 1;
            }
        }
        Ok(Some(count.into_iter().map(|c| c as usize == lists.len()).collect()))
    }

    /// All matching documents, best first (score descending, then doc number).
    pub fn search(&self, text: &str, filters: &Filters) -> io::Result<Vec<Hit>> {
        self.search_traced(text, filters, &mut Vec::new())
    }

    /// Like [`search`](Self::search), recording every index file read in `trace`.
    pub fn search_traced(&self, text: &str, filters: &Filters, trace: &mut Vec<String>) -> io::Result<Vec<Hit>> {
        let m = &self.manifest;
        let n = m.docs as usize;
        let terms = query_terms(text);
        if terms.is_empty() || n == 0 {
            return Ok(Vec::new());
        }
        let mut plans = Vec::with_capacity(terms.len());
        for t in &terms {
            let exp = self.expand(t, trace)?;
            if exp.is_empty() {
                return Ok(Vec::new());
            }
            plans.push(exp);
        }
        let mut acc = vec![0u64; n];
        let mut matched = vec![0u8; n];
        let mut best = vec![0u64; n];
        let mut seen = vec![0u8; n];
        let mut touched = Vec::new();
        for (ti, exp) in plans.iter().enumerate() {
            let stamp = ti as u8 + 1;
            // One idf per query term, from its most frequent expansion: a rare completion
            // must not outrank the word itself.
            let idf = format::idf(m.docs, exp.iter().map(|x| x.entry.df).max().unwrap_or(0));
            for x in exp {
                for (doc, imp) in self.postings(&x.entry, trace)? {
                    let d = doc as usize;
                    if d >= n {
                        continue;
                    }
                    let s = format::posting_score(idf, imp, x.weight, m.title_boost);
                    if seen[d] != stamp {
                        seen[d] = stamp;
                        best[d] = s;
                        touched.push(d);
                    } else if s > best[d] {
                        best[d] = s;
                    }
                }
            }
            for d in touched.drain(..) {
                acc[d] += best[d];
                matched[d] += 1;
            }
        }
        let mask = self.filter_mask(filters, trace)?;
        let want = plans.len() as u8;
        let mut hits: Vec<Hit> = (0..n)
            .filter(|&d| matched[d] == want && mask.as_ref().is_none_or(|m| m[d]))
            .map(|d| Hit { doc: d as u32, score: acc[d] })
            .collect();
        hits.sort_by(|a, b| b.score.cmp(&a.score).then(a.doc.cmp(&b.doc)));
        Ok(hits)
    }

    /// Results `offset..offset + limit` of a query, with their records (what the client
    /// shows: `KbSearch.query` returns the same).
    pub fn query(&self, text: &str, filters: &Filters, offset: usize, limit: usize) -> io::Result<ResultPage> {
        let hits = self.search(text, filters)?;
        let page =
            hits.iter().skip(offset).take(limit).map(|&h| Ok((h, self.doc(h.doc)?))).collect::<io::Result<Vec<_>>>()?;
        Ok(ResultPage { total: hits.len(), hits: page })
    }

    /// The document table row of `doc`.
    pub fn doc(&self, doc: u32) -> io::Result<DocRecord> {
        self.doc_traced(doc, &mut Vec::new())
    }

    /// Like [`doc`](Self::doc), recording the chunk file read in `trace`.
    pub fn doc_traced(&self, doc: u32, trace: &mut Vec<String>) -> io::Result<DocRecord> {
        let cs = self.manifest.chunk_size;
        let path = format::chunk_path(doc / cs);
        let rows: Vec<Row> = serde_json::from_slice(&self.read(&path, trace)?).map_err(bad)?;
        let (id, title, product, year, date, url) =
            rows.into_iter().nth((doc % cs) as usize).ok_or_else(|| bad(&path))?;
        let product = usize::try_from(product).ok().and_then(|p| self.manifest.products.get(p)).map(|(n, _)| n.clone());
        Ok(DocRecord { id, title, product, year, date, url })
    }

    /// Resolves an article id typed as `Q151228`, `q151228`, `KB151228` or `151228` to its
    /// document: the title postings of the term `q<digits>`, then of `<digits>`, in doc
    /// order, are checked against the doc table (at most `maxIdCandidates` per term, so
    /// a number such as `2000` that many titles contain costs a few chunk fetches at most).
    pub fn resolve_id(&self, text: &str) -> io::Result<Option<u32>> {
        let Some(digits) = id_query_digits(text) else {
            return Ok(None);
        };
        let mut trace = Vec::new();
        for term in [format!("q{digits}"), digits.clone()] {
            let Some(e) = self.lookup(&term)? else {
                continue;
            };
            let cands = self.postings(&e, &mut trace)?.into_iter().filter(|p| p.1 & 0x80 != 0);
            for (d, _) in cands.take(self.manifest.max_id_candidates as usize) {
                if d < self.manifest.docs && id_digits_of(&self.doc(d)?.id) == digits {
                    return Ok(Some(d));
                }
            }
        }
        Ok(None)
    }
}

/// The digits of a query that looks like an article id: optional `q`/`kb`, then 3+ digits.
pub fn id_query_digits(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase();
    let d = t.strip_prefix("kb").or_else(|| t.strip_prefix('q')).unwrap_or(&t);
    (d.len() >= 3 && d.len() <= 12 && d.bytes().all(|b| b.is_ascii_digit())).then(|| d.to_owned())
}

fn note(trace: &mut Vec<String>, rel: &str) {
    if !trace.iter().any(|t| t == rel) {
        trace.push(rel.to_owned());
    }
}

fn id_digits_of(id: &str) -> &str {
    id.trim_start_matches(|c: char| c.is_ascii_alphabetic())
}
