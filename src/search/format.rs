//! On-disk format shared by the writer and the reader (and mirrored by `search.js`):
//! file names, the manifest, dictionary shard encoding and the scoring arithmetic.

use serde::{Deserialize, Serialize};

use super::varint;

/// Value of the manifest's `format` field.
pub const FORMAT: &str = "kbsearch-1";
/// First byte of every dictionary shard.
pub const SHARD_VERSION: u8 = 1;

/// BM25 parameters used when impacts are computed at write time.
pub const BM25_K1: f64 = 1.2;
/// BM25 length normalisation.
pub const BM25_B: f64 = 0.75;
/// Largest term frequency recorded (higher counts change BM25 by < 1%).
pub const MAX_TF: u32 = 63;
/// Score added to a posting's impact (0..=127) when the term is in the title.
pub const TITLE_BOOST: u32 = 100;
/// Query terms of at least this many code points also match longer terms (prefix search).
pub const MIN_PREFIX_CHARS: u32 = 3;
/// At most this many dictionary terms are used for one query term.
pub const MAX_EXPANSIONS: u32 = 16;
/// Completions of a prefix are looked for in at most this many dictionary shards (the
/// shard holding the query term and the next ones), bounding the download for short prefixes.
pub const MAX_PREFIX_SHARDS: u32 = 3;
/// Beyond the first, expansions are taken only while their postings total this many bytes.
pub const PREFIX_BUDGET: u32 = 32 * 1024;

/// Id lookups verify at most this many title postings per term against the doc table.
pub const MAX_ID_CANDIDATES: usize = 8;
/// Default target size of a dictionary shard (terms plus inline postings).
pub const SHARD_TARGET: usize = 8 * 1024;
/// Default: postings up to this many bytes are stored inline in the dictionary shard.
pub const INLINE_MAX: u32 = 1024;
/// Default documents per doc-table chunk.
pub const DEFAULT_CHUNK_SIZE: u32 = 25;

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: String,
    /// A digest of the whole index (hex); clients use it to bypass stale HTTP caches.
    pub version: String,
    pub docs: u32,
    pub terms: u64,
    pub postings: u64,
    pub chunk_size: u32,
    pub title_boost: u32,
    pub min_prefix: u32,
    pub max_expansions: u32,
    pub max_prefix_shards: u32,
    pub max_id_candidates: u32,
    pub prefix_budget: u32,
    pub max_query_terms: u32,
    pub stop_words: Vec<String>,
    /// Separator keys of the dictionary shards `d/<i>.bin`: key `i` is the shortest prefix
    /// of shard `i`'s first term that sorts after shard `i-1`'s last term (byte order).
    pub shards: Vec<String>,
    /// Product names; a product's number is its index here. With doc counts.
    pub products: Vec<(String, u32)>,
    /// Years present, ascending, with doc counts.
    pub years: Vec<(u16, u32)>,
}

pub const MANIFEST: &str = "manifest.json";

pub fn shard_path(i: usize) -> String {
    format!("d/{i}.bin")
}
pub fn postings_path(k: u32) -> String {
    format!("p/{k}.bin")
}
pub fn chunk_path(i: u32) -> String {
    format!("c/{i}.json")
}
pub fn product_path(i: usize) -> String {
    format!("f/p{i}.bin")
}
pub fn year_path(y: u16) -> String {
    format!("f/y{y}.bin")
}

/// Where a term's postings live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Postings {
    Inline(Vec<u8>),
    /// In `p/<k>.bin`.
    External(u32),
}

/// One dictionary entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictEntry {
    pub term: String,
    pub df: u32,
    /// Byte length of the postings.
    pub plen: u32,
    pub postings: Postings,
}

/// Appends one entry to a shard being written; `prev` is the previous term of the shard.
pub fn put_entry(out: &mut Vec<u8>, prev: &[u8], term: &[u8], df: u32, postings: &[u8], ext: Option<u32>) {
    let shared = prev.iter().zip(term).take_while(|(a, b)| a == b).count();
    varint::put(out, shared as u32);
    varint::put(out, (term.len() - shared) as u32);
    out.extend_from_slice(&term[shared..]);
    varint::put(out, df);
    varint::put(out, postings.len() as u32);
    match ext {
        None => {
            varint::put(out, 0);
            out.extend_from_slice(postings);
        }
        Some(k) => varint::put(out, k + 1),
    }
}

/// Decodes a dictionary shard: version byte, varint count, entries (see module docs).
pub fn decode_shard(buf: &[u8]) -> Option<Vec<DictEntry>> {
    if buf.first() != Some(&SHARD_VERSION) {
        return None;
    }
    let mut pos = 1;
    let n = varint::get(buf, &mut pos)?;
    let mut out = Vec::with_capacity(n.min(1 << 16) as usize);
    let mut prev: Vec<u8> = Vec::new();
    for _ in 0..n {
        let shared = varint::get(buf, &mut pos)? as usize;
        let slen = varint::get(buf, &mut pos)? as usize;
        let suffix = buf.get(pos..pos.checked_add(slen)?)?;
        pos += slen;
        prev.truncate(shared);
        prev.extend_from_slice(suffix);
        let df = varint::get(buf, &mut pos)?;
        let plen = varint::get(buf, &mut pos)?;
        let postings = match varint::get(buf, &mut pos)? {
            0 => {
                let p = buf.get(pos..pos.checked_add(plen as usize)?)?.to_vec();
                pos += plen as usize;
                Postings::Inline(p)
            }
            k => Postings::External(k - 1),
        };
        let term = String::from_utf8(prev.clone()).ok()?;
        out.push(DictEntry { term, df, plen, postings });
    }
    Some(out)
}

/// Whether a postings list is stored as a bitmap: when at least 1 doc in 8 has the term
/// (then a bitmap is never larger than the deltas).
pub fn is_dense(df: u32, docs: u32) -> bool {
    u64::from(df) * 8 >= u64::from(docs) && docs > 0
}

/// Byte length of the encoded postings of a term.
pub fn postings_len(df: u32, docs: u32, sparse_len: u32) -> u32 {
    if is_dense(df, docs) {
        docs.div_ceil(8) + df
    } else {
        sparse_len
    }
}

/// Encodes `(doc, impact)` pairs in ascending doc order: the doc set (bitmap of `docs` bits
/// when [`is_dense`], else varint deltas), then one impact byte per doc.
pub fn encode_postings(out: &mut Vec<u8>, postings: &[(u32, u8)], docs: u32) {
    if is_dense(postings.len() as u32, docs) {
        let start = out.len();
        out.resize(start + docs.div_ceil(8) as usize, 0);
        for &(d, _) in postings {
            out[start + (d >> 3) as usize] |= 1 << (d & 7);
        }
    } else {
        varint::put_doc_list(out, postings.iter().map(|p| p.0));
    }
    out.extend(postings.iter().map(|p| p.1));
}

/// Decodes postings of a term with document frequency `df` in an index of `docs` docs.
/// Malformed input yields a shorter list, never a panic.
pub fn decode_postings(buf: &[u8], df: u32, docs: u32) -> Vec<(u32, u8)> {
    let df = df as usize;
    let mut out: Vec<(u32, u8)> = Vec::with_capacity(df.min(buf.len()));
    let pos = if is_dense(df as u32, docs) {
        let bytes = (docs.div_ceil(8) as usize).min(buf.len());
        for (i, &b) in buf[..bytes].iter().enumerate() {
            for bit in 0..8 {
                if b & (1 << bit) != 0 && out.len() < df {
                    out.push(((i * 8 + bit) as u32, 0));
                }
            }
        }
        bytes
    } else {
        let (mut pos, mut doc) = (0usize, 0u32);
        while out.len() < df {
            let Some(d) = varint::get(buf, &mut pos) else {
                break;
            };
            doc = if out.is_empty() { d } else { doc.saturating_add(d) };
            out.push((doc, 0));
        }
        pos
    };
    let imps = buf.get(pos..).unwrap_or_default();
    out.truncate(imps.len());
    for (p, &imp) in out.iter_mut().zip(imps) {
        p.1 = imp;
    }
    out
}

/// Quantised BM25 tf component (1..=127) of a posting; bit 7 set when in the title.
pub fn impact(tf: u32, title: bool, doc_len: u32, avg_len: f64) -> u8 {
    let tf = f64::from(tf.max(1));
    let norm = BM25_K1 * (1.0 - BM25_B + BM25_B * f64::from(doc_len) / avg_len.max(1.0));
    let x = tf * (BM25_K1 + 1.0) / (tf + norm) / (BM25_K1 + 1.0);
    let q = (x * 127.0).round().clamp(1.0, 127.0) as u8;
    q | if title { 0x80 } else { 0 }
}

/// Integer inverse document frequency: round(1000 · ln(1 + (N − df + 0.5)/(df + 0.5))).
pub fn idf(docs: u32, df: u32) -> u64 {
    let (n, df) = (f64::from(docs), f64::from(df));
    (1000.0 * (1.0 + (n - df + 0.5) / (df + 0.5)).ln() + 0.5).floor().max(0.0) as u64
}

/// Weight of a matched dictionary term for a query term: 8 for an exact match, less for
/// longer expansions (lengths in code points).
pub fn match_weight(query_chars: u32, term_chars: u32) -> u64 {
    4 + u64::from(4 * query_chars / term_chars.max(1))
}

/// Score contribution of one posting.
pub fn posting_score(idf: u64, impact: u8, weight: u64, title_boost: u32) -> u64 {
    let title = if impact & 0x80 != 0 { u64::from(title_boost) } else { 0 };
    idf * (u64::from(impact & 0x7f) + title) * weight
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_round_trip() {
        let mut buf = vec![SHARD_VERSION];
        varint::put(&mut buf, 3);
        put_entry(&mut buf, b"", b"serial", 2, &[0, 5, 3, 9], None);
        put_entry(&mut buf, b"serial", b"serials", 1, &[4, 7], None);
        put_entry(&mut buf, b"serials", b"series", 900, &[0; 1800], Some(12));
        let e = decode_shard(&buf).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].term, "serials");
        assert_eq!(e[1].postings, Postings::Inline(vec![4, 7]));
        assert_eq!(e[2].term, "series");
        assert_eq!((e[2].df, e[2].plen), (900, 1800));
        assert_eq!(e[2].postings, Postings::External(12));
        assert_eq!(decode_postings(&[0, 3, 5, 9], 2, 100), vec![(0, 5), (3, 9)]);
        assert!(decode_shard(&buf[..buf.len() - 3]).is_none());
        assert!(decode_shard(&buf[..9]).is_none());
        assert!(decode_shard(&[]).is_none());
    }

    #[test]
    fn postings_round_trip_sparse_and_dense() {
        for docs in [1u32, 7, 8, 9, 100, 1000] {
            for step in [1u32, 2, 3, 7, 8, 9, 50, 200] {
                let list: Vec<(u32, u8)> = (0..docs).step_by(step as usize).map(|d| (d, (d % 200) as u8 + 1)).collect();
                let mut buf = Vec::new();
                encode_postings(&mut buf, &list, docs);
                let sparse = {
                    let mut b = Vec::new();
                    varint::put_doc_list(&mut b, list.iter().map(|p| p.0));
                    b.len() as u32 + list.len() as u32
                };
                assert_eq!(buf.len() as u32, postings_len(list.len() as u32, docs, sparse), "{docs} {step}");
                assert!(buf.len() as u32 <= sparse, "bitmap never larger: {docs} {step}");
                assert_eq!(decode_postings(&buf, list.len() as u32, docs), list, "{docs} {step}");
                // Truncated input never panics.
                let _ = decode_postings(&buf[..buf.len() / 2], list.len() as u32, docs);
            }
        }
    }

    #[test]
    fn scoring_helpers() {
        assert_eq!(match_weight(6, 6), 8);
        assert_eq!(match_weight(6, 7), 7);
        assert_eq!(match_weight(3, 12), 5);
        assert!(idf(1000, 1) > idf(1000, 10));
        assert!(impact(3, false, 100, 100.0) > impact(1, false, 100, 100.0));
        assert!(impact(1, false, 50, 100.0) > impact(1, false, 400, 100.0));
        assert_eq!(impact(1, true, 100, 100.0) & 0x80, 0x80);
    }
}
