//! Writing the index files: shard planning, final postings (impacts need the average
//! document length, known only at the end), doc-table chunks, filters and the manifest.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::Path;

use rayon::prelude::*;

use super::builder::{self, SearchIndexBuilder};
use super::format::{self, Manifest};
use super::store;
use super::tokenize;
use super::varint;
use super::SearchStats;
use crate::write::overwrite;

impl SearchIndexBuilder {
    /// Writes all index files under `dir` and returns statistics. Index files an earlier index
    /// left in its `d/`, `p/`, `c/`, `f/` subfolders are overwritten in place, and those this
    /// index no longer has are removed at the end (deleting and recreating thousands of files
    /// makes ext4 slow to create the next ones).
    pub fn write(&self, dir: &Path) -> io::Result<SearchStats> {
        self.write_listed(dir).map(|(stats, _)| stats)
    }

    /// [`SearchIndexBuilder::write`], also returning the path of every file it wrote, relative
    /// to `dir` and sorted: what a build records as the index's own files (anything else under
    /// `dir`, such as a page of the site, is not the index's).
    pub fn write_listed(&self, dir: &Path) -> io::Result<(SearchStats, Vec<String>)> {
        let mut old_files = Vec::new();
        for (sub, ext) in INDEX_FOLDERS {
            list_old_files(dir, sub, ext, &mut old_files)?;
        }
        let docs = self.doc_lens.len() as u32;
        let total: u64 = self.doc_lens.iter().map(|&l| u64::from(l)).sum();
        let avg_len = if docs == 0 { 1.0 } else { total as f64 / f64::from(docs) };

        let mut order: Vec<u32> = (0..self.table.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| self.table.get(a).cmp(self.table.get(b)));
        let plans = plan_shards(&order, self, docs);

        let ctx = ShardCtx { b: self, order: &order, avg_len, dir };
        let shard_stats = plans
            .par_iter()
            .enumerate()
            .map(|(i, plan)| ctx.write_shard(i, plan))
            .collect::<io::Result<Vec<(u64, u64, u64)>>>()?;
        let mut stats = SearchStats {
            docs,
            terms: order.len() as u64,
            postings: self.postings,
            shards: plans.len() as u32,
            reused_docs: self.reused_docs,
            ..SearchStats::default()
        };
        // Each shard writes its dictionary file and its external postings files.
        let external_postings = shard_stats.iter().map(|&(files, _, _)| files - 1).sum::<u64>();
        // A digest of every file's content, in a fixed order: the manifest's `version`.
        let mut digest = 0u64;
        for (files, bytes, h) in shard_stats {
            stats.files += files;
            stats.bytes += bytes;
            digest = combine(digest, h);
        }

        let chunk_stats = self
            .chunks
            .par_iter()
            .enumerate()
            .map(|(i, rows)| {
                let body = format!("{rows}]\n");
                overwrite(&dir.join(format::chunk_path(i as u32)), body.as_bytes())?;
                Ok((body.len() as u64, store::hash(body.as_bytes())))
            })
            .collect::<io::Result<Vec<(u64, u64)>>>()?;
        let chunk_count = chunk_stats.len() as u64;
        stats.files += chunk_count;
        for (bytes, h) in chunk_stats {
            stats.bytes += bytes;
            digest = combine(digest, h);
        }

        let mut written = HashSet::new();
        let mut write = |rel: String, bytes: &[u8]| -> io::Result<()> {
            overwrite(&dir.join(&rel), bytes)?;
            written.insert(rel);
            stats.files += 1;
            stats.bytes += bytes.len() as u64;
            digest = combine(digest, store::hash(bytes));
            Ok(())
        };
        for (i, (_, list)) in self.products.iter().enumerate() {
            write(format::product_path(i), &list.bytes)?;
        }
        for (&y, list) in &self.years {
            write(format::year_path(y), &list.bytes)?;
        }
        let mut manifest = Manifest {
            format: format::FORMAT.into(),
            version: String::new(),
            docs,
            terms: order.len() as u64,
            postings: self.postings,
            chunk_size: self.opts.chunk_size,
            title_boost: format::TITLE_BOOST,
            min_prefix: format::MIN_PREFIX_CHARS,
            max_expansions: format::MAX_EXPANSIONS,
            max_prefix_shards: format::MAX_PREFIX_SHARDS,
            max_id_candidates: format::MAX_ID_CANDIDATES as u32,
            prefix_budget: format::PREFIX_BUDGET,
            max_query_terms: tokenize::MAX_QUERY_TERMS as u32,
            stop_words: tokenize::STOP_WORDS.iter().map(|s| s.to_string()).collect(),
            shards: plans
                .iter()
                .map(|p| {
                    let first = self.table.get(order[p.start]);
                    let prev = (p.start > 0).then(|| self.table.get(order[p.start - 1]));
                    separator_key(prev, first)
                })
                .collect(),
            products: self.products.iter().map(|(n, l)| (n.clone(), l.count)).collect(),
            years: self.years.iter().map(|(&y, l)| (y, l.count)).collect(),
        };
        let json = serde_json::to_vec(&manifest).map_err(io::Error::other)?;
        manifest.version = format!("{:016x}", combine(digest, store::hash(&json)));
        let json = serde_json::to_vec(&manifest).map_err(io::Error::other)?;
        overwrite(&dir.join(format::MANIFEST), &json)?;
        stats.files += 1;
        stats.bytes += json.len() as u64;

        // What the new index did not write again: shard, postings and chunk files are numbered
        // from 0; filter files were recorded by name.
        written.extend((0..plans.len()).map(format::shard_path));
        written.extend((0..external_postings as u32).map(format::postings_path));
        written.extend((0..chunk_count as u32).map(format::chunk_path));
        for rel in old_files.iter().filter(|rel| !written.contains(*rel)) {
            fs::remove_file(dir.join(rel))?;
        }
        let mut files: Vec<String> = written.into_iter().collect();
        files.push(format::MANIFEST.to_string());
        files.sort_unstable();
        Ok((stats, files))
    }
}

fn combine(h: u64, x: u64) -> u64 {
    (h.rotate_left(5) ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Makes the index's subfolders under `dir` (an index kept by linking its files, see
/// `Stage::reuse_tree`, lacks those that hold no file).
pub fn make_folders(dir: &Path) -> io::Result<()> {
    INDEX_FOLDERS.iter().try_for_each(|(sub, _)| fs::create_dir_all(dir.join(sub)))
}

/// The index's subfolders and the extension of the files it writes there.
const INDEX_FOLDERS: [(&str, &str); 4] = [("d", ".bin"), ("p", ".bin"), ("c", ".json"), ("f", ".bin")];

/// Creates `dir/sub`, or adds the `sub/*<ext>` files an earlier index left in it to `found`.
fn list_old_files(dir: &Path, sub: &str, ext: &str, found: &mut Vec<String>) -> io::Result<()> {
    let path = dir.join(sub);
    if !path.is_dir() {
        return fs::create_dir_all(path);
    }
    for e in fs::read_dir(path)? {
        let e = e?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if e.file_type()?.is_file() && name.ends_with(ext) {
            found.push(format!("{sub}/{name}"));
        }
    }
    Ok(())
}

/// A run of sorted terms forming one dictionary shard.
struct ShardPlan {
    start: usize,
    end: usize,
    /// External postings file number of the shard's first external term.
    first_ext: u32,
}

/// The shortest prefix of `first` (at a char boundary) that sorts after `prev`.
fn separator_key(prev: Option<&[u8]>, first: &[u8]) -> String {
    let first = String::from_utf8_lossy(first);
    let Some(prev) = prev else {
        return String::new();
    };
    let cut = first
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .find(|&end| first.as_bytes()[..end] > *prev)
        .unwrap_or(first.len());
    first[..cut].to_owned()
}

fn plan_shards(order: &[u32], b: &SearchIndexBuilder, docs: u32) -> Vec<ShardPlan> {
    let inline_max = b.opts.inline_max;
    let mut plans = Vec::new();
    let (mut start, mut size, mut ext, mut first_ext) = (0usize, 0usize, 0u32, 0u32);
    for (i, &id) in order.iter().enumerate() {
        let st = &b.states[id as usize];
        let plen = format::postings_len(st.df, docs, st.len);
        let entry = b.table.get(id).len() + 8 + if plen > inline_max { 0 } else { plen as usize };
        if i > start && size + entry > b.opts.shard_target {
            plans.push(ShardPlan { start, end: i, first_ext });
            (start, size, first_ext) = (i, 0, ext);
        }
        size += entry;
        if plen > inline_max {
            ext += 1;
        }
    }
    if start < order.len() {
        plans.push(ShardPlan { start, end: order.len(), first_ext });
    }
    plans
}

struct ShardCtx<'a> {
    b: &'a SearchIndexBuilder,
    order: &'a [u32],
    avg_len: f64,
    dir: &'a Path,
}

impl ShardCtx<'_> {
    /// Writes dictionary shard `i` and its external postings; returns (files, bytes, digest).
    fn write_shard(&self, i: usize, plan: &ShardPlan) -> io::Result<(u64, u64, u64)> {
        let b = self.b;
        let mut out = vec![format::SHARD_VERSION];
        varint::put(&mut out, (plan.end - plan.start) as u32);
        let (mut files, mut bytes, mut ext) = (1u64, 0u64, plan.first_ext);
        let (mut raw, mut pairs, mut enc) = (Vec::new(), Vec::new(), Vec::new());
        let docs = b.doc_lens.len() as u32;
        let mut prev: &[u8] = b"";
        let mut digest = 0u64;
        for &id in &self.order[plan.start..plan.end] {
            let st = &b.states[id as usize];
            b.pool.read(st, &mut raw);
            self.finish_postings(&raw, &mut pairs);
            enc.clear();
            format::encode_postings(&mut enc, &pairs, docs);
            debug_assert_eq!(enc.len() as u32, format::postings_len(st.df, docs, st.len));
            let raw = &enc;
            let term = b.table.get(id);
            if raw.len() as u32 > b.opts.inline_max {
                overwrite(&self.dir.join(format::postings_path(ext)), raw)?;
                digest = combine(digest, store::hash(raw));
                format::put_entry(&mut out, prev, term, st.df, raw, Some(ext));
                files += 1;
                bytes += raw.len() as u64;
                ext += 1;
            } else {
                format::put_entry(&mut out, prev, term, st.df, raw, None);
            }
            prev = term;
        }
        overwrite(&self.dir.join(format::shard_path(i)), &out)?;
        Ok((files, bytes + out.len() as u64, combine(digest, store::hash(&out))))
    }

    /// Turns build-time postings into (doc, impact) pairs.
    fn finish_postings(&self, raw: &[u8], out: &mut Vec<(u32, u8)>) {
        out.clear();
        out.extend(
            builder::build_postings(raw)
                .map(|(doc, tf, title)| (doc, format::impact(tf, title, self.b.doc_lens[doc as usize], self.avg_len))),
        );
    }
}
