//! Scale check for the search index (`src/search/`).
//!
//! ```text
//! cargo run --release --example search_scale            # 60,000 synthetic docs
//! cargo run --release --example search_scale -- 10000   # another size
//! KB_SAMPLE=/path/to/kbarchive/site cargo run --release --example search_scale
//!                                                       # the real articles under kb/ instead
//! KB_SAMPLE=... KB_SAMPLE_REPEAT=7 cargo run ...        # each real article 7 times
//! KB_SEARCH_OUT=/tmp/ix cargo run ...                    # keep the index in /tmp/ix
//! ```
//! Synthetic docs: ~2.5 KB median text (log-normal), words drawn Zipf-distributed (s = 1)
//! from a 20,000-word vocabulary, with KB id references, versions and hex codes mixed in.
//! Prints build time, memory (VmHWM), index size against text size and the gzip-compressed
//! bytes typical queries download (compressed with `gzip -c`, one file at a time).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use kbsite::search::{analyze_doc, Filters, SearchDoc, SearchIndex, SearchIndexBuilder, WriteOptions};

const VOCAB: usize = 20_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

struct Corpus {
    words: Vec<String>,
    cdf: Vec<f64>,
    products: Vec<String>,
}

impl Corpus {
    fn new() -> Self {
        let syll = [
            "ser", "vi", "ce", "win", "dows", "con", "fig", "ur", "a", "tion", "net", "work", "ex", "change", "dri",
            "ver", "mo", "dem", "print", "er", "mem", "o", "ry", "file", "sys", "tem", "reg", "is", "try", "log", "on",
            "in", "stall", "up", "date", "mail", "box", "pro", "to", "col", "dis", "play", "key", "board", "de",
            "vice", "ad", "min", "trat", "or", "que", "ry", "da", "ta", "base", "ta", "ble", "form", "mac",
        ];
        let mut rng = Rng(7);
        let mut seen = std::collections::HashSet::new();
        let mut words = Vec::with_capacity(VOCAB);
        while words.len() < VOCAB {
            let parts = 1 + rng.below(4) as usize;
            let mut w: String = (0..parts).map(|_| syll[rng.below(syll.len() as u64) as usize]).collect();
            if rng.below(6) == 0 {
                w.push('s');
            }
            if w.len() >= 2 && seen.insert(w.clone()) {
                words.push(w);
            }
        }
        // Short words are the frequent ones, as in English.
        let mut keyed: Vec<(usize, u64, String)> =
            words.into_iter().map(|w| (w.len() + rng.below(6) as usize, rng.next(), w)).collect();
        keyed.sort_unstable();
        let words: Vec<String> = keyed.into_iter().map(|k| k.2).collect();
        let mut cdf = Vec::with_capacity(VOCAB);
        let mut total = 0.0;
        for r in 1..=VOCAB {
            total += 1.0 / r as f64;
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        let products = (0..44)
            .map(|i| format!("Microsoft Product {}", (b'A' + (i % 26) as u8) as char) + &"+".repeat(i / 26))
            .collect();
        Corpus { words, cdf, products }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let u = rng.unit();
        &self.words[self.cdf.partition_point(|&c| c < u).min(VOCAB - 1)]
    }

    fn doc(&self, i: u32, n: u32) -> (SearchDoc, String) {
        let mut rng = Rng(0x1234_5678 ^ u64::from(i).wrapping_mul(0x9E37_79B9));
        let target = (2500.0 * (0.55 * rng.normal()).exp()) as usize;
        let mut body = String::with_capacity(target + 64);
        let mut sentence = 0;
        while body.len() < target {
            body.push_str(self.word(&mut rng));
            sentence += 1;
            match rng.below(200) {
                0..=1 => body.push_str(&format!(" Q{}", 100_000 + rng.below(u64::from(n)))),
                2 => body.push_str(&format!(" {}.{}", 1 + rng.below(9), rng.below(60))),
                3 => body.push_str(&format!(" 0x{:08X}", rng.next() as u32)),
                _ => {}
            }
            if sentence > 8 + rng.below(12) as usize {
                body.push_str(".\n");
                sentence = 0;
            } else {
                body.push(' ');
            }
        }
        let title_words = 4 + rng.below(6);
        let title: Vec<&str> = (0..title_words)
            .map(|_| loop {
                let w = self.word(&mut rng);
                if self.words[..50].iter().all(|c| c != w) {
                    break w;
                }
            })
            .collect();
        let id = format!("Q{}", 100_000 + i);
        let year = 1988 + rng.below(15) as u16;
        let doc = SearchDoc {
            url: format!("/kbarchive/kb/{}/{id}/", &id[1..4]),
            id,
            title: title.join(" "),
            product: self.products[rng.below(self.products.len() as u64) as usize].clone(),
            year: Some(year),
            date: format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28)),
        };
        (doc, body)
    }
}

fn proc_status(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(key)?.trim_start_matches(':').trim().strip_suffix(" kB")?.trim().parse().ok())
        .map_or(0, |kb: u64| kb * 1024)
}

/// CPU seconds (user + system) used by the process so far.
fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = s.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

fn kb(b: u64) -> String {
    format!("{:.1} KB", b as f64 / 1e3)
}

fn dir_size(p: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    for e in std::fs::read_dir(p).unwrap().flatten() {
        let m = e.metadata().unwrap();
        if m.is_dir() {
            let (f, b) = dir_size(&e.path());
            files += f;
            bytes += b;
        } else {
            files += 1;
            bytes += m.len();
        }
    }
    (files, bytes)
}

struct Gz {
    dir: PathBuf,
    cache: HashMap<String, (u64, u64)>,
    /// Bytes downloaded per file kind (manifest, d, p, c, f) over all queries.
    by_kind: std::collections::BTreeMap<String, (u64, u64)>,
}

impl Gz {
    /// (raw, gzip) size of an index file.
    fn size(&mut self, rel: &str) -> (u64, u64) {
        if let Some(&s) = self.cache.get(rel) {
            return s;
        }
        let path = self.dir.join(rel);
        let raw = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let out = Command::new("gzip").arg("-c").arg("-6").arg(&path).output().expect("gzip on PATH");
        let s = (raw, out.stdout.len() as u64);
        self.cache.insert(rel.to_owned(), s);
        s
    }
}

/// (raw, gzip) bytes a query downloads with `shown` results displayed.
fn download(ix: &SearchIndex, gz: &mut Gz, q: &str, f: &Filters, shown: usize) -> (usize, u64, u64, u64, u64) {
    let mut trace = vec!["manifest.json".to_string()];
    let hits = ix.search_traced(q, f, &mut trace).unwrap();
    let index_files = trace.clone();
    for h in hits.iter().take(1) {
        ix.doc_traced(h.doc, &mut trace).unwrap();
    }
    let one_chunk = trace.clone();
    for h in hits.iter().take(shown) {
        ix.doc_traced(h.doc, &mut trace).unwrap();
    }
    let sum =
        |files: &[String], gz: &mut Gz| files.iter().map(|f| gz.size(f)).fold((0, 0), |a, s| (a.0 + s.0, a.1 + s.1));
    let _ = sum(&index_files, gz);
    let (raw1, gz1) = sum(&one_chunk, gz);
    for f in &one_chunk {
        let kind = f.split('/').next().unwrap_or("").to_string();
        let (r, g) = gz.size(f);
        let e = gz.by_kind.entry(kind).or_insert((0, 0));
        e.0 += r;
        e.1 += g;
    }
    let (raw_all, gz_all) = sum(&trace, gz);
    (hits.len(), raw1, gz1, raw_all, gz_all)
}

fn report_queries(ix: &SearchIndex, dir: &Path, label: &str, queries: &[(String, Filters)]) {
    let mut gz = Gz { dir: dir.to_path_buf(), cache: HashMap::new(), by_kind: Default::default() };
    println!("\n{label}: bytes downloaded (manifest + dictionary shards + postings [+ filter lists] + doc chunks)");
    println!("  {:<40} {:>8} {:>22} {:>26}", "query", "hits", "with 1 chunk raw/gzip", "with top-20 chunks raw/gzip");
    let mut gz1s = Vec::new();
    let mut gzalls = Vec::new();
    for (q, f) in queries {
        let t = Instant::now();
        let (hits, raw1, gz1, raw_all, gz_all) = download(ix, &mut gz, q, f, 20);
        let shown = match (&f.product, f.year) {
            (Some(p), _) => format!("{q} [{p}]"),
            (_, Some(y)) => format!("{q} [{y}]"),
            _ => q.clone(),
        };
        println!(
            "  {:<40} {:>8} {:>10} / {:>9} {:>12} / {:>11}   ({:.0} ms)",
            shown,
            hits,
            kb(raw1),
            kb(gz1),
            kb(raw_all),
            kb(gz_all),
            t.elapsed().as_secs_f64() * 1e3
        );
        gz1s.push(gz1);
        gzalls.push(gz_all);
    }
    gz1s.sort_unstable();
    gzalls.sort_unstable();
    let med = |v: &[u64]| v[v.len() / 2];
    println!(
        "  gzip with 1 chunk: median {}, max {}; with top-20 chunks: median {}, max {}",
        kb(med(&gz1s)),
        kb(*gz1s.last().unwrap()),
        kb(med(&gzalls)),
        kb(*gzalls.last().unwrap())
    );
    let parts: Vec<String> = gz
        .by_kind
        .iter()
        .map(|(k, (r, g))| format!("{k} {} / {}", kb(r / queries.len() as u64), kb(g / queries.len() as u64)))
        .collect();
    println!("  mean per query (1 chunk), by file kind raw / gzip: {}", parts.join(", "));
    let (raw_m, gz_m) = gz.size("manifest.json");
    println!("  manifest.json: {} raw, {} gzip", kb(raw_m), kb(gz_m));
}

fn build_report(label: &str, text_bytes: u64, rss0: u64, t_add: f64, builder: SearchIndexBuilder, out: &Path) {
    let heap = builder.heap_bytes();
    let hwm_add = proc_status("VmHWM");
    let t = Instant::now();
    let cpu = cpu_seconds();
    let stats = builder.write(out).unwrap();
    let t_write = t.elapsed().as_secs_f64();
    let cpu_write = cpu_seconds() - cpu;
    let hwm = proc_status("VmHWM");
    let (files, bytes) = dir_size(out);
    println!("{label}");
    println!("  docs {}, text {} (title + body)", stats.docs, mb(text_bytes));
    println!("  {:?}", options());
    println!(
        "  analyze+add {t_add:.2} s, write {t_write:.2} s ({cpu_write:.2} s CPU), total {:.2} s (2 cores)",
        t_add + t_write
    );
    println!("  terms {}, postings {}, dictionary shards {}", stats.terms, stats.postings, stats.shards);
    println!(
        "  memory: RSS before {}, peak (VmHWM) after add {}, after write {}; growth {}; builder heap {}",
        mb(rss0),
        mb(hwm_add),
        mb(hwm),
        mb(hwm.saturating_sub(rss0)),
        mb(heap as u64)
    );
    println!(
        "  index: {files} files, {} ({:.1}% of text); stats say {} files, {}",
        mb(bytes),
        100.0 * bytes as f64 / text_bytes as f64,
        stats.files,
        mb(stats.bytes)
    );
    for sub in ["d", "p", "c", "f"] {
        let (f, b) = dir_size(&out.join(sub));
        println!("    {sub}/: {f} files, {}", mb(b));
    }
}

/// Layout options from `KB_SEARCH_CHUNK`, `KB_SEARCH_SHARD`, `KB_SEARCH_INLINE` (for tuning).
fn options() -> WriteOptions {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u32>().ok());
    let d = WriteOptions::default();
    WriteOptions {
        chunk_size: env("KB_SEARCH_CHUNK").unwrap_or(d.chunk_size),
        shard_target: env("KB_SEARCH_SHARD").map_or(d.shard_target, |v| v as usize),
        inline_max: env("KB_SEARCH_INLINE").unwrap_or(d.inline_max),
    }
}

fn synthetic(n: u32, out: &Path) {
    let corpus = Corpus::new();
    let nums: Vec<u32> = (0..n).collect();
    // Generating the text is not part of indexing: time it alone first.
    let t = Instant::now();
    let cpu = cpu_seconds();
    nums.par_chunks(2048).for_each(|c| {
        for &i in c {
            std::hint::black_box(corpus.doc(i, n));
        }
    });
    let t_gen = t.elapsed().as_secs_f64();
    let cpu_gen = cpu_seconds() - cpu;
    println!("(generating the synthetic text alone takes {t_gen:.2} s, {cpu_gen:.2} s CPU; subtracted below)");
    let cpu = cpu_seconds();
    let rss0 = proc_status("VmRSS");
    let text = AtomicU64::new(0);
    let t = Instant::now();
    let mut b = SearchIndexBuilder::with_options(options());
    b.add_parallel(&nums, 1024, |&i| {
        let (doc, body) = corpus.doc(i, n);
        text.fetch_add((doc.title.len() + body.len()) as u64, Ordering::Relaxed);
        let terms = analyze_doc(&doc.title, &body);
        (doc, terms)
    });
    let t_add = t.elapsed().as_secs_f64() - t_gen;
    let cpu_add = cpu_seconds() - cpu - cpu_gen;
    println!("(analyze+add without text generation: {cpu_add:.2} s CPU)");
    build_report(&format!("synthetic corpus, {n} docs"), text.into_inner(), rss0, t_add, b, out);

    let ix = SearchIndex::open(out).unwrap();
    let w = &corpus.words;
    let mut rng = Rng(99);
    let mut typical = Vec::new();
    for k in 0..12 {
        let words = 2 + (k % 2);
        let q: Vec<&str> = (0..words).map(|_| w[100 + rng.below(4900) as usize].as_str()).collect();
        typical.push((q.join(" "), Filters::default()));
    }
    // A title typed from memory, partly, with the last word unfinished.
    for i in [17u32, 4242, 31_000] {
        let (doc, _) = corpus.doc(i.min(n - 1), n);
        let t: Vec<&str> = doc.title.split(' ').collect();
        let last = &t[2][..t[2].len().min(4)];
        typical.push((format!("{} {} {last}", t[0], t[1]), Filters::default()));
    }
    typical.push(("Q123456".into(), Filters::default()));
    report_queries(&ix, out, "typical queries (2-3 words of rank 100-5000, typed titles, an id)", &typical);

    let common = vec![
        (format!("{} {}", w[5], w[12]), Filters::default()),
        (format!("{} {} {}", w[20], w[40], w[60]), Filters::default()),
        (w[30][..3.min(w[30].len())].to_string(), Filters::default()),
        (format!("{} {}", w[200], w[300]), Filters { product: Some(corpus.products[3].clone()), year: None }),
        (format!("{} {}", w[200], w[300]), Filters { product: None, year: Some(1995) }),
    ];
    report_queries(&ix, out, "heavy queries (very common words, a 3-letter prefix, filters)", &common);
}

fn real(site: &Path, out: &Path) {
    let mut paths = Vec::new();
    let kb = site.join("kb");
    for d in std::fs::read_dir(&kb).unwrap().flatten() {
        for a in std::fs::read_dir(d.path()).unwrap().flatten() {
            let p = a.path().join("README.md");
            if p.exists() {
                paths.push(p);
            }
        }
    }
    paths.sort();
    // KB_SAMPLE_REPEAT=n indexes every article n times (as distinct documents), to
    // approximate a full-size archive from a sample; the vocabulary does not grow.
    let repeat: usize = std::env::var("KB_SAMPLE_REPEAT").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let items: Vec<(usize, &PathBuf)> = (0..repeat).flat_map(|k| paths.iter().map(move |p| (k, p))).collect();
    let rss0 = proc_status("VmRSS");
    let text = AtomicU64::new(0);
    let t = Instant::now();
    let mut b = SearchIndexBuilder::with_options(options());
    b.add_parallel(&items, 1024, |&(copy, p)| {
        let src = std::fs::read_to_string(p).unwrap();
        let title_line = src.lines().find_map(|l| l.strip_prefix("title: ")).unwrap_or("").trim_matches('"');
        let (id, title) = title_line.split_once(": ").unwrap_or(("", title_line));
        let body = src.splitn(3, "---").nth(2).unwrap_or(&src);
        let field = |k: &str| body.lines().find_map(|l| l.trim().strip_prefix(k)).unwrap_or("").trim().to_string();
        let product = field("Product(s):");
        let modified = field("Last Modified:");
        let year: Option<u16> = modified.rsplit('-').next().and_then(|y| y.parse().ok());
        let rel = p.parent().unwrap().strip_prefix(site).unwrap().to_string_lossy().into_owned();
        text.fetch_add((title.len() + body.len()) as u64, Ordering::Relaxed);
        let (id, rel) = match copy {
            0 => (id.to_string(), rel),
            k => (format!("{id}{k}"), format!("{rel}/{k}")),
        };
        let doc = SearchDoc {
            id,
            title: title.to_string(),
            product,
            year,
            date: modified,
            url: format!("/kbarchive/{rel}/"),
        };
        let terms = analyze_doc(title, body);
        (doc, terms)
    });
    let t_add = t.elapsed().as_secs_f64();
    build_report(&format!("real articles from {}", site.display()), text.into_inner(), rss0, t_add, b, out);
    let ix = SearchIndex::open(out).unwrap();
    let qs = [
        "exchange server",
        "memory leak rpc",
        "serial port",
        "outlook calendar",
        "internet mail connector",
        "windows nt 4.0 service pack",
        "Q219332",
        "access denied",
        "excel macro",
        "printer driver",
        "mailbox",
        "directory replication",
        "exch",
    ];
    let queries: Vec<(String, Filters)> = qs.iter().map(|q| (q.to_string(), Filters::default())).collect();
    report_queries(&ix, out, "real queries", &queries);
    println!("\ntop results:");
    for q in qs {
        println!("  {q}");
        for h in ix.search(q, &Filters::default()).unwrap().iter().take(3) {
            let d = ix.doc(h.doc).unwrap();
            println!("    {:>9} {} {}", h.score, d.id, d.title);
        }
    }
}

fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(60_000);
    let tmp = tempfile::tempdir().unwrap();
    // KB_SEARCH_OUT=dir keeps the index (e.g. for `KB_SEARCH_INDEX=dir node --test ...`).
    let out = std::env::var_os("KB_SEARCH_OUT").map_or_else(|| tmp.path().join("search"), PathBuf::from);
    match std::env::var_os("KB_SAMPLE") {
        Some(site) => real(Path::new(&site), &out),
        None => synthetic(n, &out),
    }
}
