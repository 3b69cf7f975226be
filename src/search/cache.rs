//! Postings carried from one build to the next, so that a rebuild reads and tokenizes only the
//! documents that changed.
//!
//! An index's impacts depend on every document's length, so one changed document means writing
//! the whole index again; what a rebuild can save is reading and tokenizing every other body
//! (~3 s of CPU at 60,000 articles). The build keeps what its [`SearchIndexBuilder`] gathered in
//! a file beside the output (`<output>.kbsite-search-terms`): per document a key (a digest of
//! everything its postings are made from, chosen by the caller) and its length in tokens, and
//! per term its build-time postings. The file is addressed by content: a document whose key it
//! holds has exactly those postings, whichever build or folder wrote it, so any intact file
//! written by the same program (`stamp`) can be used.
//!
//! Layout, little-endian: `KBSTERM1`, the stamp (u64), the document count (u32), every key
//! (u64), every length (u32), the term count (u32), then per term its byte length (varint), its
//! bytes, its document frequency (varint), its postings' byte length (varint) and postings (as
//! [`SearchIndexBuilder::post`](super::builder) writes them: doc delta varint, `tf << 1 |
//! title`); last, the xxh3 of everything before it (u64).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use xxhash_rust::xxh3::Xxh3;

use super::builder::{doc_postings, posting_byte, DocTerms, SearchIndexBuilder};
use super::varint;
use super::SearchDoc;

const MAGIC: &[u8; 8] = b"KBSTERM1";
/// A document of the new index that the cache does not hold.
const NONE: u32 = u32::MAX;

/// A cache file opened for reading ([`TermCache::read`]): its documents are read, its terms
/// are streamed once by [`SearchIndexBuilder::from_cache`] (the file is ~2.5 bytes a posting,
/// ~27 MB at 60,000 articles: not held in memory).
pub struct TermCache {
    input: Digested<io::BufReader<std::fs::File>>,
    keys: Vec<u64>,
    lens: Vec<u32>,
    terms: u32,
}

/// Which documents of a new index the cache holds ([`TermCache::plan`]).
pub struct Reuse {
    /// Per new document, its number in the cache, or [`NONE`].
    old: Vec<u32>,
    /// The new documents the cache does not hold, ascending: they must be tokenized.
    fresh: Vec<usize>,
}

impl Reuse {
    /// The documents (by position in the new index) to tokenize.
    pub fn fresh(&self) -> &[usize] {
        &self.fresh
    }
}

impl TermCache {
    /// Opens the cache at `path` and reads its documents: `None` when there is none, it is
    /// from another program (`stamp`) or cut short. Its checksum is checked as its terms are
    /// read ([`SearchIndexBuilder::from_cache`]).
    pub fn read(path: &Path, stamp: u64) -> Option<TermCache> {
        let file = std::fs::File::open(path).ok()?;
        let size = file.metadata().ok()?.len();
        let mut input =
            Digested { input: io::BufReader::with_capacity(1 << 16, file), sum: Xxh3::new(), buf: Vec::new() };
        if input.bytes(8)? != MAGIC || input.u64()? != stamp {
            return None;
        }
        let docs = input.u32()?;
        // Bounded by the file's size before anything is allocated for them.
        if u64::from(docs) * 12 > size {
            return None;
        }
        let keys = (0..docs).map(|_| input.u64()).collect::<Option<Vec<u64>>>()?;
        let lens = (0..docs).map(|_| input.u32()).collect::<Option<Vec<u32>>>()?;
        let terms = input.u32()?;
        Some(TermCache { input, keys, lens, terms })
    }

    /// Matches the new index's documents (`keys`, in index order) with the cached ones. A key
    /// the cache holds once serves one document; another with the same key is tokenized.
    pub fn plan(&self, keys: &[u64]) -> Reuse {
        let mut by_key: HashMap<u64, u32> = HashMap::with_capacity(self.keys.len());
        for (doc, &key) in self.keys.iter().enumerate() {
            by_key.entry(key).or_insert(doc as u32);
        }
        let mut old = Vec::with_capacity(keys.len());
        let mut fresh = Vec::new();
        for (n, key) in keys.iter().enumerate() {
            match by_key.remove(key) {
                Some(doc) => old.push(doc),
                None => {
                    old.push(NONE);
                    fresh.push(n);
                }
            }
        }
        Reuse { old, fresh }
    }
}

impl SearchIndexBuilder {
    /// The builder [`add`](Self::add) would have made of the documents `meta(0..count)` (in
    /// index order), taking the postings of the documents `plan` found in `cache` from it, and
    /// those of the others from `fresh` (their terms, in the order of [`Reuse::fresh`]). `None`
    /// if the cache turns out unreadable or damaged: the caller then tokenizes everything.
    pub fn from_cache(
        mut cache: TermCache,
        plan: &Reuse,
        meta: impl Fn(usize) -> SearchDoc,
        fresh: Vec<DocTerms>,
    ) -> Option<Self> {
        debug_assert_eq!(plan.fresh.len(), fresh.len());
        let mut old_to_new = vec![NONE; cache.keys.len()];
        for (n, &doc) in plan.old.iter().enumerate() {
            if doc != NONE {
                old_to_new[doc as usize] = n as u32;
            }
        }
        // The new documents' postings by term, each list ascending (documents in order).
        let mut new_postings: HashMap<String, Vec<(u32, u8)>> = HashMap::new();
        let mut fresh_docs: Vec<SearchDoc> = plan.fresh.iter().map(|&n| meta(n)).collect();
        for ((&n, terms), doc) in plan.fresh.iter().zip(&fresh).zip(&fresh_docs) {
            doc_postings(&doc.id, terms, |term, tf, title| {
                let posting = (n as u32, posting_byte(tf, title));
                match new_postings.get_mut(term) {
                    Some(list) => list.push(posting),
                    None => drop(new_postings.insert(term.to_owned(), vec![posting])),
                }
            });
        }
        let mut builder = SearchIndexBuilder::new();
        builder.table.reserve(cache.terms as usize + new_postings.len());
        let (mut term, mut raw, mut list, mut buf) = (Vec::new(), Vec::new(), Vec::<(u32, u8)>::new(), Vec::new());
        for _ in 0..cache.terms {
            let len = cache.input.varint()? as usize;
            term.clear();
            term.extend_from_slice(cache.input.bytes(len)?);
            let df = cache.input.varint()?;
            let raw_len = cache.input.varint()? as usize;
            raw.clear();
            raw.extend_from_slice(cache.input.bytes(raw_len)?);
            list.clear();
            let (mut pos, mut doc) = (0usize, 0u32);
            for i in 0..df {
                let delta = varint::get(&raw, &mut pos)?;
                doc = if i == 0 { delta } else { doc.checked_add(delta)? };
                let byte = *raw.get(pos)?;
                pos += 1;
                match *old_to_new.get(doc as usize)? {
                    NONE => {}
                    n => list.push((n, byte)),
                }
            }
            if let Some(added) = std::str::from_utf8(&term).ok().and_then(|t| new_postings.remove(t)) {
                list.extend(added);
            }
            // Kept documents keep their order unless a page moved; new ones fall in between.
            if !list.is_sorted_by_key(|p| p.0) {
                list.sort_unstable_by_key(|p| p.0);
            }
            // A term listed twice (not written so) would break the lists' order: not used.
            if !list.is_empty() && !builder.post_list(&term, &list, &mut buf) {
                return None;
            }
        }
        let sum = cache.input.sum.digest();
        if cache.input.bytes(8)? != sum.to_le_bytes() {
            return None;
        }
        for (term, list) in &new_postings {
            builder.post_list(term.as_bytes(), list, &mut buf);
        }
        // The new documents, in order, with what was made of them above.
        let mut fresh_docs = fresh_docs.drain(..).zip(&fresh).map(|(doc, terms)| (doc, terms.token_count()));
        for (n, &old) in plan.old.iter().enumerate() {
            let (doc, tokens) = match old {
                NONE => fresh_docs.next()?,
                old => (meta(n), cache.lens[old as usize]),
            };
            builder.push_doc(doc, tokens);
        }
        builder.reused_docs = (plan.old.len() - plan.fresh.len()) as u32;
        Some(builder)
    }

    /// Writes what this builder gathered to `path` for a later [`TermCache::read`]: `keys` are
    /// its documents' keys, in order. The file is replaced whole (written beside it, then
    /// renamed), so a reader never sees half of it.
    pub fn write_cache(&self, path: &Path, stamp: u64, keys: &[u64]) -> io::Result<()> {
        if keys.len() != self.len() {
            return Err(io::Error::other("one key per document"));
        }
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        crate::write::replace_whole(path, &tmp, |file| {
            let mut out = Checksummed { out: io::BufWriter::with_capacity(1 << 16, file), sum: Xxh3::new() };
            out.put(MAGIC)?;
            out.put(&stamp.to_le_bytes())?;
            out.put(&(keys.len() as u32).to_le_bytes())?;
            for key in keys {
                out.put(&key.to_le_bytes())?;
            }
            for len in &self.doc_lens {
                out.put(&len.to_le_bytes())?;
            }
            out.put(&(self.table.len() as u32).to_le_bytes())?;
            let (mut head, mut raw) = (Vec::with_capacity(16), Vec::new());
            for id in 0..self.table.len() as u32 {
                let (term, state) = (self.table.get(id), &self.states[id as usize]);
                self.pool.read(state, &mut raw);
                head.clear();
                varint::put(&mut head, term.len() as u32);
                out.put(&head)?;
                out.put(term)?;
                head.clear();
                varint::put(&mut head, state.df);
                varint::put(&mut head, raw.len() as u32);
                out.put(&head)?;
                out.put(&raw)?;
            }
            let sum = out.sum.digest();
            out.out.write_all(&sum.to_le_bytes())?;
            out.out.into_inner().map(drop).map_err(|e| e.into_error())
        })
    }
}

/// A reader that also digests what it reads (all but the checksum at the end).
struct Digested<R> {
    input: R,
    sum: Xxh3,
    buf: Vec<u8>,
}

impl<R: io::BufRead> Digested<R> {
    fn bytes(&mut self, n: usize) -> Option<&[u8]> {
        self.buf.clear();
        // Grown as bytes arrive: a damaged length cannot make it allocate more than the file holds.
        while self.buf.len() < n {
            let available = self.input.fill_buf().ok()?;
            if available.is_empty() {
                return None;
            }
            let take = available.len().min(n - self.buf.len());
            self.buf.extend_from_slice(&available[..take]);
            self.input.consume(take);
        }
        self.sum.update(&self.buf);
        Some(&self.buf)
    }

    fn u32(&mut self) -> Option<u32> {
        self.bytes(4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Option<u64> {
        self.bytes(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn varint(&mut self) -> Option<u32> {
        let mut v: u32 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.bytes(1)?[0];
            v |= u32::from(b & 0x7f).checked_shl(shift)?;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }
}

/// A writer that also digests what goes through it.
struct Checksummed<W: Write> {
    out: W,
    sum: Xxh3,
}

impl<W: Write> Checksummed<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.sum.update(bytes);
        self.out.write_all(bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::search::analyze_doc;

    struct Doc {
        key: u64,
        meta: SearchDoc,
        body: String,
    }

    /// `n` documents with overlapping vocabularies, ids (some cited in other bodies) and products.
    fn docs(n: u64) -> Vec<Doc> {
        let words = ["serial", "port", "exchange", "printer", "zebra", "modem", "café", "driver", "setup", "macro"];
        (0..n)
            .map(|i| {
                let id = if i % 7 == 3 { String::new() } else { format!("Q{}", 100_000 + i) };
                let mut body: Vec<String> = (0..(i % 11 + 2))
                    .map(|j| words[((i * 3 + j * j) % words.len() as u64) as usize].to_string())
                    .collect();
                body.push(format!("see Q{}", 100_000 + (i * 5) % n));
                let body = body.join(" ");
                Doc {
                    key: 1_000 + i,
                    meta: SearchDoc {
                        id,
                        title: format!("{} Notes {i}", words[(i % 10) as usize]),
                        product: ["Exchange", "Word", ""][(i % 3) as usize].into(),
                        year: (i % 4 != 0).then_some(1995 + (i % 5) as u16),
                        date: String::new(),
                        url: format!("/kb/{i}/"),
                    },
                    body,
                }
            })
            .collect()
    }

    fn terms(d: &Doc) -> DocTerms {
        analyze_doc(&d.meta.title, &d.body)
    }

    fn full(docs: &[Doc]) -> SearchIndexBuilder {
        let mut b = SearchIndexBuilder::new();
        for d in docs {
            b.add(d.meta.clone(), terms(d));
        }
        b
    }

    fn keys(docs: &[Doc]) -> Vec<u64> {
        docs.iter().map(|d| d.key).collect()
    }

    /// Every file of the index `b` writes, by path.
    fn written(b: &SearchIndexBuilder) -> BTreeMap<String, Vec<u8>> {
        let tmp = tempfile::tempdir().unwrap();
        let (_, files) = b.write_listed(tmp.path()).unwrap();
        files.into_iter().map(|f| (f.clone(), std::fs::read(tmp.path().join(f)).unwrap())).collect()
    }

    fn from_cache(path: &Path, stamp: u64, docs: &[Doc]) -> Option<(SearchIndexBuilder, Vec<usize>)> {
        let cache = TermCache::read(path, stamp)?;
        let plan = cache.plan(&keys(docs));
        let fresh = plan.fresh().iter().map(|&n| terms(&docs[n])).collect();
        let fresh_docs = plan.fresh().to_vec();
        SearchIndexBuilder::from_cache(cache, &plan, |n| docs[n].meta.clone(), fresh).map(|b| (b, fresh_docs))
    }

    /// A cache of a full build of `docs`, written with `stamp`, in a folder of its own.
    fn cached(docs: &[Doc], stamp: u64) -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("terms");
        full(docs).write_cache(&path, stamp, &keys(docs)).unwrap();
        (tmp, path)
    }

    #[test]
    fn a_builder_made_from_the_cache_writes_the_index_a_full_build_writes() {
        let (_tmp, path) = cached(&docs(40), 7);

        let mut new = docs(40);
        new[5].body.push_str(" quokka serial"); // edited: a new key
        new[5].key = 5_000;
        new.remove(9);
        let mut added = docs(41).pop().unwrap();
        (added.key, added.meta.url) = (6_000, "/kb/new/".into());
        new.insert(20, added);
        new.swap(30, 31); // a page that moved: its postings go elsewhere in each list
        let (patched, fresh) = from_cache(&path, 7, &new).expect("the cache is read");
        assert_eq!(fresh, [5, 20], "only the edited and the new document are tokenized");
        assert_eq!(patched.reused_docs, 38);
        assert_eq!(written(&patched), written(&full(&new)), "the same index, file for file");

        // The patched builder's own cache serves the next build as well.
        patched.write_cache(&path, 7, &keys(&new)).unwrap();
        let (again, fresh) = from_cache(&path, 7, &new).unwrap();
        assert!(fresh.is_empty());
        assert_eq!(written(&again), written(&full(&new)));
    }

    #[test]
    fn a_key_the_cache_holds_once_serves_one_document() {
        let (_tmp, path) = cached(&docs(6), 1);
        let mut new = docs(6);
        new[4].key = new[2].key; // two pages made from the same inputs would share a key
        new[4].body = new[2].body.clone();
        new[4].meta.title = new[2].meta.title.clone();
        let (patched, fresh) = from_cache(&path, 1, &new).unwrap();
        assert_eq!(fresh, [4]);
        assert_eq!(written(&patched), written(&full(&new)));
    }

    #[test]
    fn a_cache_of_another_program_or_a_damaged_one_is_not_used() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("terms");
        let docs = docs(30);
        assert!(TermCache::read(&path, 1).is_none(), "no cache");
        full(&docs).write_cache(&path, 1, &keys(&docs)).unwrap();
        assert!(from_cache(&path, 1, &docs).is_some());
        assert!(TermCache::read(&path, 2).is_none(), "another program's");
        assert!(!tmp.path().read_dir().unwrap().any(|e| e.unwrap().file_name() != "terms"), "no temporary file left");

        let good = std::fs::read(&path).unwrap();
        let mut flipped = good.clone();
        let middle = flipped.len() * 2 / 3;
        flipped[middle] ^= 0x40;
        for (what, bytes) in [
            ("cut short", &good[..good.len() - 3]),
            ("cut in its terms", &good[..good.len() / 2]),
            ("a byte changed", &flipped[..]),
            ("empty", &[][..]),
            ("cut in its header", &good[..10]),
        ] {
            std::fs::write(&path, bytes).unwrap();
            assert!(from_cache(&path, 1, &docs).is_none(), "{what}");
        }
        // A damaged document count cannot make it allocate beyond the file.
        let mut huge = good.clone();
        huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, &huge).unwrap();
        assert!(TermCache::read(&path, 1).is_none());
    }

    #[test]
    fn a_cache_listing_a_term_twice_is_not_used() {
        // Checksummed as this program writes it, but "serial" is listed twice (doc 1, then doc 0).
        let mut body = Vec::new();
        body.extend_from_slice(MAGIC);
        body.extend_from_slice(&1u64.to_le_bytes());
        body.extend_from_slice(&2u32.to_le_bytes());
        [10u64, 11].iter().for_each(|k| body.extend_from_slice(&k.to_le_bytes()));
        [1u32, 1].iter().for_each(|l| body.extend_from_slice(&l.to_le_bytes()));
        body.extend_from_slice(&2u32.to_le_bytes());
        for doc in [1u8, 0] {
            body.extend_from_slice(&[6]);
            body.extend_from_slice(b"serial");
            body.extend_from_slice(&[1, 2, doc, posting_byte(1, false)]);
        }
        let sum = xxhash_rust::xxh3::xxh3_64(&body);
        body.extend_from_slice(&sum.to_le_bytes());
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("terms");
        std::fs::write(&path, &body).unwrap();
        let docs: Vec<Doc> = docs(2).into_iter().zip([10, 11]).map(|(d, key)| Doc { key, ..d }).collect();
        let cache = TermCache::read(&path, 1).expect("a well-formed header");
        let plan = cache.plan(&keys(&docs));
        assert!(plan.fresh().is_empty());
        assert!(SearchIndexBuilder::from_cache(cache, &plan, |n| docs[n].meta.clone(), Vec::new()).is_none());
    }

    #[test]
    fn a_cache_is_written_only_with_one_key_per_document() {
        let tmp = tempfile::tempdir().unwrap();
        let docs = docs(3);
        assert!(full(&docs).write_cache(&tmp.path().join("terms"), 1, &[1, 2]).is_err());
        assert!(!tmp.path().join("terms").exists());
    }
}
