//! Static full-text search: an index written by the build in Rust from the article text
//! it already holds, and a dependency-free browser client (`search.js`) that downloads
//! only the parts a query needs.
//!
//! # Pipeline
//! [`analyze_doc`] tokenizes one document (pure, run in parallel); the build then calls
//! [`SearchIndexBuilder::add`] once per document in a deterministic order (or
//! [`SearchIndexBuilder::add_parallel`], which does both in bounded batches), and
//! [`SearchIndexBuilder::write`] writes the files. Build memory is a few dozen bytes per
//! distinct term plus ~2 bytes per posting (see `store`).
//!
//! # Tokens
//! See [`tokenize`]: lowercase, Latin letters folded to ASCII, split on non-alphanumerics
//! (`.` kept between digits: `4.0`), 2..=32 code points, ~50 stop words dropped. Id-like
//! tokens (`q151228`, `kb151228`) also index their digits (`151228`); queries use the
//! digits. Each document's own id is indexed as title terms.
//!
//! # Files (all under the index folder, e.g. `<output>/search/`)
//! - `manifest.json`: [`format::Manifest`] — `format` (`"kbsearch-1"`), `version` (a
//!   digest of all index files; the client fetches the manifest with `no-cache` and every
//!   other file as `<file>?v=<version>`, so a rebuilt site never mixes cached files), `docs`, `terms`,
//!   `postings`, `chunkSize`, query parameters (`titleBoost`, `minPrefix`,
//!   `maxExpansions`, `maxPrefixShards`, `prefixBudget`, `maxIdCandidates`,
//!   `maxQueryTerms`, `stopWords`), `shards` (one separator key per dictionary shard:
//!   the shortest prefix of its first term that sorts after the previous shard's last
//!   term; shard `i` holds the terms `>= shards[i]` and `< shards[i+1]` in byte order),
//!   `products` (`[name, docCount]`; a product's number is its index), `years`
//!   (`[year, docCount]`, ascending).
//! - `d/<i>.bin`, dictionary shard `i`: consecutive terms in UTF-8 byte order, ~8 KB
//!   each. Byte `1` (version), varint count, then per term: varint shared-prefix length
//!   with the previous term, varint suffix length, suffix bytes, varint `df`, varint
//!   postings byte length `plen`, varint `loc`: `0` = the `plen` postings bytes follow
//!   inline (postings ≤ 1 KB), `k > 0` = postings are the file `p/<k-1>.bin`.
//! - Postings (inline or `p/<k>.bin`) of a term with document frequency `df` among `N`
//!   docs: first the doc set, ascending — a bitmap of `N` bits (bit `d & 7` of byte
//!   `d >> 3`) when `8·df ≥ N`, else `df` varint doc deltas (the first relative to 0) —
//!   then `df` impact bytes in the same order: bits 0–6 = BM25 tf component
//!   `tf·(k1+1)/(tf + k1·(1−b+b·dl/avgdl))` scaled to 1..=127 (k1 = 1.2, b = 0.75, title
//!   and body tokens counted, tf capped at 63), bit 7 = the term is in the title.
//! - `c/<i>.json`: doc table chunk `i` = docs `i·chunkSize ..`, a JSON array of
//!   `[id, title, product number or -1, year or null, date, url]`.
//! - `f/p<n>.bin`, `f/y<year>.bin`: the docs of product `n` / of a year, varint deltas.
//!
//! Varints are unsigned LEB128. All integers a client computes are exact in `f64`.
//!
//! # Query semantics (identical in [`reader`] and `search.js`)
//! 1. Terms = [`tokenize::query_terms`] (tokens, ids → digits, deduplicated, ≤ 8).
//! 2. Each term `q` expands to dictionary terms: the exact term first; if `q` has ≥
//!    `minPrefix` code points and is not a number (digits and dots), also every term
//!    starting with `q`, looked for in the shard that would hold `q` and the following
//!    shards whose key starts with `q`, at most `maxPrefixShards` shards in all; sorted by df
//!    descending then term; at most `maxExpansions`, and beyond the first only while the
//!    postings total ≤ `prefixBudget` bytes (bounds the download). No expansion → no results.
//! 3. Score of expansion `t` in doc `d` = `idf(q) · (impact & 127 + (title ? titleBoost : 0))
//!    · w`, with `idf(q) = round(1000·ln(1 + (N − df + 0.5)/(df + 0.5)))` for the largest
//!    df among `q`'s expansions (so a rare completion cannot outrank the word itself) and
//!    `w = 4 + floor(4·len(q)/len(t))` (8 when exact). A query term scores the max over its
//!    expansions; documents must match every query term (AND); the doc score is the sum.
//! 4. Optional product and year filters intersect with `f/` lists.
//! 5. Order: score descending, then doc number ascending.
//!
//! Typing an id (`Q151228`, `KB151228`, `151228`) and pressing Enter resolves it through
//! the title postings of the `q151228`, then `151228` terms, verified against the doc
//! table ([`SearchIndex::resolve_id`]).
//!
//! # Sizes (`cargo run --release --example search_scale`)
//! - 60,000 synthetic articles (177 MB of text, Zipf vocabulary of 20,000 words, 18.6 M
//!   postings): index 46.5 MB = 26% of the text in ~11,100 files; a typical 2–3 word query
//!   downloads ~51 KB gzipped (median; manifest, dictionary shards, postings, one doc
//!   chunk), ~70 KB with the chunks of a full 20-result page; builder memory ~81 MB.
//! - The 9,107 real sample articles indexed 7 times (63,749 docs, 198 MB, 8.9 M postings):
//!   index 13% of the text, builder memory ~46 MB, median query ~13 KB gzipped (one chunk).
//!
//! Build memory ≈ 3 bytes per posting + ~65 per term + ~150 per document. Writing is
//! bound by file creation (one file per doc chunk, dictionary shard and large postings list).
//!
//! # Using it in a page
//! The build writes [`CLIENT_JS`] as `<output>/search/search.js` next to the index; a
//! search page then needs only:
//! ```html
//! <form id="kb-search" action="">
//!   <input id="q" name="q" type="search" autocomplete="off" placeholder="Search or Q151228">
//!   <select id="product"></select> <select id="year"></select>
//! </form>
//! <div id="results"></div>
//! <script src="/kbarchive/search/search.js"></script>
//! <script>
//!   KbSearch.init({ base: '/kbarchive/search/', input: '#q', results: '#results',
//!                   productFilter: '#product', yearFilter: '#year' });
//! </script>
//! ```
//! Results are rendered as `ol.kbs-results > li.kbs-hit > a.kbs-link (span.kbs-id,
//! span.kbs-title) + span.kbs-meta`, a `p.kbs-status` line and a `button.kbs-more`.
//! `?q=…&product=…&year=…` in the page URL pre-fills the search and is kept up to date.

mod builder;
mod cache;
pub mod format;
pub mod reader;
mod store;
pub mod tokenize;
pub mod varint;
mod writer;

#[cfg(test)]
mod tests;

pub use builder::{analyze_doc, DocTerms, SearchIndexBuilder, WriteOptions};
pub use cache::{Reuse, TermCache};
pub use reader::{DocRecord, Filters, Hit, ResultPage, SearchIndex};
pub use writer::make_folders;

/// The browser client, written by the build as `<output>/search/search.js`.
pub const CLIENT_JS: &str = include_str!("search.js");

/// One searchable document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SearchDoc {
    /// Article id such as `"Q151228"`, or `""` for non-articles.
    pub id: String,
    pub title: String,
    /// Product name, or `""`.
    pub product: String,
    pub year: Option<u16>,
    /// `"1999-12-19"` or `""`.
    pub date: String,
    /// Site-relative URL including the base URL, e.g. `"/kbarchive/kb/151/Q151228/"`.
    pub url: String,
}

/// What [`SearchIndexBuilder::write`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    pub files: u64,
    pub bytes: u64,
    pub docs: u32,
    pub terms: u64,
    pub postings: u64,
    pub shards: u32,
    /// Documents whose postings came from the last index's cache ([`TermCache`]) instead of
    /// their text being read and tokenized again.
    pub reused_docs: u32,
}
