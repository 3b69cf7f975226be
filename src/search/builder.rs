//! The index writer: [`analyze_doc`] (parallel, pure) and [`SearchIndexBuilder`]
//! (sequential `add`, then `write`).

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use super::format;
use super::store::{self, PagedVec, SlicePool, TermState, TermTable};
use super::tokenize::{self, doc_tokens, id_digits};
use super::varint;
use super::SearchDoc;

/// The distinct terms of one document with their frequencies, compactly stored
/// (one string buffer, no per-term allocation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DocTerms {
    /// Distinct terms concatenated, in order of first appearance.
    text: String,
    /// End offset of each term in `text`.
    ends: Vec<u32>,
    /// `min(tf, 63) << 1 | in_title` per term.
    counts: Vec<u8>,
    /// Number of tokens (title and body), the BM25 document length.
    tokens: u32,
}

impl DocTerms {
    /// Number of distinct terms.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the document has no terms.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Number of tokens (the document length used by BM25).
    pub fn token_count(&self) -> u32 {
        self.tokens
    }

    /// `(term, term frequency, in title)` in order of first appearance.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32, bool)> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .zip(&self.counts)
            .map(|((s, &e), &c)| (&self.text[s as usize..e as usize], u32::from(c >> 1), c & 1 == 1))
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 4 + self.counts.capacity()
    }
}

/// Counts the distinct terms of one document into a [`DocTerms`]: an open-addressing table of
/// indexes into it, grown by doubling (a document's distinct terms are not known up front).
struct TermCounter {
    out: DocTerms,
    /// Start offset of each term in `out.text` (its end is `out.ends`).
    starts: Vec<u32>,
    slots: Vec<u32>,
}

impl TermCounter {
    const EMPTY: u32 = u32::MAX;

    fn with_text_len(text_len: usize) -> Self {
        // About one token per 6–7 bytes of English, fewer distinct terms; sized so that most
        // documents never grow the table.
        let terms = text_len / 16 + 8;
        TermCounter {
            out: DocTerms {
                text: String::with_capacity(terms * 8),
                ends: Vec::with_capacity(terms),
                counts: Vec::with_capacity(terms),
                tokens: 0,
            },
            starts: Vec::with_capacity(terms),
            slots: vec![Self::EMPTY; (terms * 2).next_power_of_two()],
        }
    }

    fn add(&mut self, term: &str, in_title: bool) {
        self.out.tokens += 1;
        let mask = self.slots.len() - 1;
        let mut i = store::hash(term.as_bytes()) as usize & mask;
        loop {
            let k = self.slots[i];
            if k == Self::EMPTY {
                break;
            }
            let (s, e) = (self.starts[k as usize] as usize, self.out.ends[k as usize] as usize);
            if store::short_eq(&self.out.text.as_bytes()[s..e], term.as_bytes()) {
                let c = &mut self.out.counts[k as usize];
                if (*c >> 1) < format::MAX_TF as u8 {
                    *c += 2;
                }
                *c |= u8::from(in_title);
                return;
            }
            i = (i + 1) & mask;
        }
        self.slots[i] = self.out.ends.len() as u32;
        self.starts.push(self.out.text.len() as u32);
        self.out.text.push_str(term);
        self.out.ends.push(self.out.text.len() as u32);
        self.out.counts.push(2 | u8::from(in_title));
        if self.out.ends.len() * 2 > self.slots.len() {
            self.grow();
        }
    }

    fn grow(&mut self) {
        let cap = self.slots.len() * 2;
        let mask = cap - 1;
        self.slots = vec![Self::EMPTY; cap];
        for (k, (&s, &e)) in self.starts.iter().zip(&self.out.ends).enumerate() {
            let mut i = store::hash(&self.out.text.as_bytes()[s as usize..e as usize]) as usize & mask;
            while self.slots[i] != Self::EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = k as u32;
        }
    }
}

/// Tokenizes one document (see [`tokenize`](super::tokenize) for the rules). Pure and
/// `Send`: the build calls it in parallel. Terms are listed in order of first appearance.
pub fn analyze_doc(title: &str, body: &str) -> DocTerms {
    // Each token is counted as soon as it is found; `buf` only ever holds the current one.
    let mut counter = TermCounter::with_text_len(title.len() + body.len());
    let mut buf = String::with_capacity(64);
    for (text, in_title) in [(title, true), (body, false)] {
        tokenize::tokenize_into(text, &mut buf, |buf, start| {
            let token = &buf[start..];
            counter.add(token, in_title);
            if let Some(digits) = id_digits(token) {
                counter.add(digits, in_title);
            }
            buf.truncate(start);
        });
    }
    counter.out
}

/// The postings one document adds, as `(term, tf, in title)`: its terms, and the terms of
/// its id (`q151228`, `151228`) as title terms. An id has two or three terms: a linear scan
/// (lengths compared first) finds them and marks those the text holds, so the others are
/// added after it without searching it.
pub(super) fn doc_postings(id: &str, terms: &DocTerms, mut post: impl FnMut(&str, u32, bool)) {
    let mut id_terms = doc_tokens(id);
    id_terms.sort_unstable();
    id_terms.dedup();
    let mut id_terms: Vec<(String, bool)> = id_terms.into_iter().map(|t| (t, false)).collect();
    for (term, tf, title) in terms.iter() {
        let id_term = id_terms.iter_mut().find(|(t, _)| t == term);
        let is_id = id_term.is_some();
        if let Some((_, in_text)) = id_term {
            *in_text = true;
        }
        post(term, tf, title || is_id);
    }
    for (t, _) in id_terms.iter().filter(|(_, in_text)| !in_text) {
        post(t, 1, true);
    }
}

/// A build-time posting's last byte: `tf << 1 | in title`, tf clamped to 1..=[`format::MAX_TF`].
pub(super) fn posting_byte(tf: u32, title: bool) -> u8 {
    (tf.clamp(1, format::MAX_TF) as u8) << 1 | u8::from(title)
}

/// An ascending doc-number list, delta-encoded as it grows.
#[derive(Default)]
pub(super) struct DocList {
    pub(super) bytes: Vec<u8>,
    pub(super) last: u32,
    pub(super) count: u32,
}

impl DocList {
    fn push(&mut self, doc: u32) {
        varint::put(&mut self.bytes, if self.count == 0 { doc } else { doc - self.last });
        self.last = doc;
        self.count += 1;
    }
}

/// Reads a term's build-time postings as [`SearchIndexBuilder::post`] wrote them:
/// `(doc, tf, in title)` in doc order.
pub(super) fn build_postings(raw: &[u8]) -> impl Iterator<Item = (u32, u32, bool)> + '_ {
    let (mut pos, mut doc) = (0usize, 0u32);
    std::iter::from_fn(move || {
        let delta = varint::get(raw, &mut pos)?;
        doc += delta;
        let c = raw[pos];
        pos += 1;
        Some((doc, u32::from(c >> 1), c & 1 == 1))
    })
}

/// Layout choices of the written index (the reader and the client need none of them: the
/// manifest and the shards describe the result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Documents per doc-table chunk `c/<i>.json`.
    pub chunk_size: u32,
    /// Target bytes of a dictionary shard (terms plus inline postings).
    pub shard_target: usize,
    /// Postings up to this many bytes are stored inline in their dictionary shard.
    pub inline_max: u32,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            chunk_size: format::DEFAULT_CHUNK_SIZE,
            shard_target: format::SHARD_TARGET,
            inline_max: format::INLINE_MAX,
        }
    }
}

/// Accumulates documents in order, then writes the index files.
pub struct SearchIndexBuilder {
    pub(super) table: TermTable,
    pub(super) states: PagedVec<TermState>,
    pub(super) pool: SlicePool,
    pub(super) doc_lens: Vec<u32>,
    pub(super) postings: u64,
    pub(super) opts: WriteOptions,
    pub(super) chunks: Vec<String>,
    pub(super) products: Vec<(String, DocList)>,
    pub(super) product_ix: HashMap<String, u32>,
    pub(super) years: BTreeMap<u16, DocList>,
    /// Documents whose postings came from a [`TermCache`](super::TermCache).
    pub(super) reused_docs: u32,
}

impl Default for SearchIndexBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl SearchIndexBuilder {
    /// A builder with the default [`WriteOptions`].
    pub fn new() -> Self {
        Self::with_options(WriteOptions::default())
    }

    /// A builder with the given layout options.
    pub fn with_options(opts: WriteOptions) -> Self {
        let opts = WriteOptions { chunk_size: opts.chunk_size.max(1), ..opts };
        SearchIndexBuilder {
            table: TermTable::default(),
            states: PagedVec::default(),
            pool: SlicePool::default(),
            doc_lens: Vec::new(),
            postings: 0,
            opts,
            chunks: Vec::new(),
            products: Vec::new(),
            product_ix: HashMap::new(),
            years: BTreeMap::new(),
            reused_docs: 0,
        }
    }

    /// Number of documents added.
    pub fn len(&self) -> usize {
        self.doc_lens.len()
    }

    /// Whether no document was added.
    pub fn is_empty(&self) -> bool {
        self.doc_lens.is_empty()
    }

    /// Approximate heap bytes held (for diagnostics).
    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes()
            + self.states.heap_bytes()
            + self.pool.capacity_bytes()
            + self.doc_lens.capacity() * 4
            + self.chunks.iter().map(String::capacity).sum::<usize>()
    }

    /// Appends one posting to `term`'s build-time list: the doc number as a delta from the
    /// previous one (the first as is), then `tf << 1 | title` ([`build_postings`] reads it back).
    fn post(&mut self, term: &str, doc: u32, tf: u32, title: bool) {
        let (id, _) = self.term_id(term.as_bytes());
        let st = &mut self.states[id as usize];
        let mut tmp = [0u8; 6];
        // A new term's `last_doc` is 0: its first doc is written as is.
        let n = varint::put_slice(&mut tmp, doc - st.last_doc);
        tmp[n] = posting_byte(tf, title);
        self.pool.append(st, &tmp[..=n]);
        st.last_doc = doc;
        st.df += 1;
        self.postings += 1;
    }

    /// Adds one document (call in a deterministic order); returns its doc number.
    /// The terms of `doc.id` (`q151228`, `151228`) are added as title terms, which is how
    /// an id typed in the search box resolves to its article.
    pub fn add(&mut self, doc: SearchDoc, terms: DocTerms) -> u32 {
        let n = self.doc_lens.len() as u32;
        doc_postings(&doc.id, &terms, |term, tf, title| self.post(term, n, tf, title));
        self.push_doc(doc, terms.token_count())
    }

    /// Appends postings for `term` at once (`(doc, tf << 1 | title)`, docs ascending and above
    /// any this term already has): what [`add`](Self::add) does one posting at a time, for
    /// postings carried over from an earlier build. `buf` is scratch space. Returns whether the
    /// term was new.
    pub(super) fn post_list(&mut self, term: &[u8], list: &[(u32, u8)], buf: &mut Vec<u8>) -> bool {
        let (id, new) = self.term_id(term);
        let st = &mut self.states[id as usize];
        buf.clear();
        for &(doc, byte) in list {
            varint::put(buf, doc - st.last_doc);
            buf.push(byte);
            st.last_doc = doc;
        }
        self.pool.append(st, buf);
        st.df += list.len() as u32;
        self.postings += list.len() as u64;
        new
    }

    /// `term`'s id, and whether it is new (its postings list then made, empty).
    fn term_id(&mut self, term: &[u8]) -> (u32, bool) {
        let (id, new) = self.table.intern(term);
        if new {
            self.states.push(self.pool.new_state());
        }
        (id, new)
    }

    /// Records the next document (number `len()`): its length and its row, product and year;
    /// its postings are added separately ([`add`](Self::add), [`post_list`](Self::post_list)).
    pub(super) fn push_doc(&mut self, doc: SearchDoc, tokens: u32) -> u32 {
        let n = self.doc_lens.len() as u32;
        self.doc_lens.push(tokens);

        let product = if doc.product.is_empty() {
            -1
        } else {
            // Looked up before inserting: `entry` would take an owned copy of the name per document.
            let ix = match self.product_ix.get(&doc.product) {
                Some(&ix) => ix,
                None => {
                    let ix = self.products.len() as u32;
                    self.product_ix.insert(doc.product.clone(), ix);
                    self.products.push((doc.product.clone(), DocList::default()));
                    ix
                }
            };
            self.products[ix as usize].1.push(n);
            i64::from(ix)
        };
        if let Some(y) = doc.year {
            self.years.entry(y).or_default().push(n);
        }
        let row = (&doc.id, &doc.title, product, doc.year, &doc.date, &doc.url);
        let row = serde_json::to_string(&row).expect("doc row serializes");
        if n.is_multiple_of(self.opts.chunk_size) {
            self.chunks.push(String::from("["));
        } else {
            self.chunks.last_mut().expect("chunk open").push_str(",\n");
        }
        self.chunks.last_mut().expect("chunk open").push_str(&row);
        n
    }

    /// Analyzes `items` in parallel, `batch` at a time (bounding memory), and adds them in
    /// order; adding one batch overlaps with analyzing the next. `f` returns the document
    /// and its terms (usually `analyze_doc(title, body)`).
    pub fn add_parallel<T, F>(&mut self, items: &[T], batch: usize, f: F)
    where
        T: Sync,
        F: Fn(&T) -> (SearchDoc, DocTerms) + Sync,
    {
        let analyze = |c: &[T]| -> Vec<(SearchDoc, DocTerms)> { c.par_iter().map(&f).collect() };
        let mut chunks = items.chunks(batch.max(1));
        let mut pending = chunks.next().map(analyze);
        while let Some(current) = pending.take() {
            let next = chunks.next();
            let ((), analyzed) = rayon::join(
                || {
                    for (doc, terms) in current {
                        self.add(doc, terms);
                    }
                },
                || next.map(analyze),
            );
            pending = analyzed;
        }
    }
}
