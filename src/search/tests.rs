//! End-to-end tests: write small indexes, read them back, compare with the JS client.

use std::path::Path;
use std::process::Command;

use super::*;

struct Src {
    id: &'static str,
    title: &'static str,
    product: &'static str,
    year: Option<u16>,
    body: &'static str,
}

const CORPUS: &[Src] = &[
    Src { id: "Q100001", title: "Serial Port Driver Fails to Load", product: "Microsoft Windows NT", year: Some(1998),
          body: "When the driver starts, the system logs an error. Update the driver." },
    Src { id: "Q100002", title: "Printer Configuration Overview", product: "Microsoft Windows NT", year: Some(1997),
          body: "A printer attached to a serial port needs the right port settings. The serial port speed and port parity matter." },
    Src { id: "Q151228", title: "How to Register Serials in Exchange", product: "Microsoft Exchange", year: Some(1999),
          body: "Exchange server administrators register product serials with the setup program." },
    Src { id: "Q100004", title: "Exchange Series Upgrade Notes", product: "Microsoft Exchange", year: Some(2000),
          body: "The 5.5 series of Exchange requires a new upgrade path. See Q151228 for serials." },
    Src { id: "Q100005", title: "Zebra Printing Common Issue", product: "Microsoft Word", year: Some(1996),
          body: "zebra zebra zebra common printing from Word documents with wide margins" },
    Src { id: "Q100006", title: "Margins in Printed Documents", product: "Microsoft Word", year: Some(1996),
          body: "zebra common common common printing documents with the margins set" },
    Src { id: "Q100007", title: "Common Printing Questions", product: "Microsoft Word", year: Some(1995),
          body: "common printing questions about documents and margins" },
    Src { id: "Q100008", title: "Common Setup Questions", product: "Microsoft Excel", year: Some(1995),
          body: "common setup questions about worksheets" },
    Src { id: "Q100009", title: "Common Macro Errors", product: "Microsoft Excel", year: Some(1997),
          body: "common macro errors and how to fix them in worksheets" },
    Src { id: "Q100010", title: "Modem Connects at Low Speed", product: "Microsoft Windows 95", year: Some(1996),
          body: "The modem on COM2 connects slowly. Check the serial cable and the UART." },
    Src { id: "Q100011", title: "Café Menu Fonts Display Incorrectly", product: "Microsoft Windows 95", year: Some(1996),
          body: "Accented names such as Café and Straße show as boxes with some fonts." },
    Src { id: "Q100012", title: "Windows NT 4.0 Service Pack 3 Readme", product: "Microsoft Windows NT", year: Some(1997),
          body: "Service Pack 3 for Windows NT 4.0 fixes many problems. Install SP3 after setup." },
    Src { id: "Q100013", title: "Error 0x80070005 Access Denied", product: "Microsoft Windows 95", year: None,
          body: "The error 0x80070005 means access denied; check permissions." },
    Src { id: "", title: "About This Archive", product: "", year: None,
          body: "This archive holds Microsoft KnowledgeBase articles, including Q151228." },
    Src { id: "Q100015", title: "Exchange Server Migration", product: "Microsoft Exchange", year: Some(1999),
          body: "Migration of mailboxes to Exchange server; serial numbers are not required." },
    Src { id: "Q100016", title: "Word Count Is Wrong", product: "Microsoft Word", year: Some(1998),
          body: "The word count tool counts hyphenated words twice." },
    Src { id: "Q100017", title: "Mouse Stops Responding", product: "Microsoft Windows 95", year: Some(1995),
          body: "A serial mouse stops responding after resume from suspend." },
    Src { id: "Q100018", title: "Excel Serial Date Numbers", product: "Microsoft Excel", year: Some(1998),
          body: "Excel stores dates as serial numbers starting at 1900." },
    Src { id: "Q100019", title: "Setup Hangs on Detection", product: "Microsoft Windows 95", year: Some(1995),
          body: "Setup hangs while detecting hardware on some serial ports." },
    Src { id: "Q100020", title: "Macro Virus Warning", product: "Microsoft Word", year: Some(1999),
          body: "Word displays a macro virus warning for documents with macros." },
];

fn doc_of(s: &Src) -> SearchDoc {
    let dir = s.id.get(1..4).unwrap_or("x");
    SearchDoc {
        id: s.id.into(),
        title: s.title.into(),
        product: s.product.into(),
        year: s.year,
        date: s.year.map(|y| format!("{y}-01-15")).unwrap_or_default(),
        url: if s.id.is_empty() { "/kbarchive/about/".into() } else { format!("/kbarchive/kb/{dir}/{}/", s.id) },
    }
}

fn write_corpus(dir: &Path) -> SearchStats {
    write_corpus_with(dir, WriteOptions { chunk_size: 8, ..WriteOptions::default() })
}

/// Tiny shards and inline limit: many shards, external postings, even for 20 docs.
const TINY: WriteOptions = WriteOptions { chunk_size: 3, shard_target: 200, inline_max: 3 };

fn write_corpus_with(dir: &Path, opts: WriteOptions) -> SearchStats {
    let mut b = SearchIndexBuilder::with_options(opts);
    for (i, s) in CORPUS.iter().enumerate() {
        assert_eq!(b.add(doc_of(s), analyze_doc(s.title, s.body)), i as u32);
    }
    b.write(dir).unwrap()
}

fn corpus_index() -> (tempfile::TempDir, SearchIndex) {
    let tmp = tempfile::tempdir().unwrap();
    write_corpus(tmp.path());
    let ix = SearchIndex::open(tmp.path()).unwrap();
    (tmp, ix)
}

fn ids(ix: &SearchIndex, q: &str, f: &Filters) -> Vec<String> {
    ix.search(q, f).unwrap().iter().map(|h| ix.doc(h.doc).unwrap().id).collect()
}

fn none() -> Filters {
    Filters::default()
}

#[test]
fn round_trip_docs_and_stats() {
    let tmp = tempfile::tempdir().unwrap();
    let stats = write_corpus(tmp.path());
    assert_eq!(stats.docs, CORPUS.len() as u32);
    assert!(stats.terms > 50 && stats.postings > stats.terms);
    let ix = SearchIndex::open(tmp.path()).unwrap();
    assert_eq!(ix.manifest().docs, 20);
    assert_eq!(ix.manifest().chunk_size, 8);
    let rec = ix.doc(2).unwrap();
    assert_eq!(rec.id, "Q151228");
    assert_eq!(rec.title, "How to Register Serials in Exchange");
    assert_eq!(rec.product.as_deref(), Some("Microsoft Exchange"));
    assert_eq!((rec.year, rec.date.as_str()), (Some(1999), "1999-01-15"));
    assert_eq!(rec.url, "/kbarchive/kb/151/Q151228/");
    let about = ix.doc(13).unwrap();
    assert_eq!((about.id.as_str(), about.product, about.year), ("", None, None));
    assert!(ix.doc(20).is_err());
    // Rewriting into the same folder replaces the old files.
    write_corpus(tmp.path());
    assert_eq!(SearchIndex::open(tmp.path()).unwrap().doc(2).unwrap().id, "Q151228");
}

fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["", "d", "p", "c", "f"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap().flatten() {
            if e.file_type().unwrap().is_file() {
                out.push((format!("{sub}/{}", e.file_name().to_string_lossy()), std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn output_is_deterministic_and_rewrites_clean() {
    let docs = synthetic(600);
    let build = |dir: &Path, opts: WriteOptions| {
        let mut b = SearchIndexBuilder::with_options(opts);
        b.add_parallel(&docs, 64, |(d, body)| (d.clone(), analyze_doc(&d.title, body)));
        b.write(dir).unwrap()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    build(a.path(), WriteOptions::default());
    // b first gets a bigger layout, then the same one: stale files must be gone.
    build(b.path(), TINY);
    std::fs::write(b.path().join("d/keep.txt"), "not ours").unwrap();
    let stats = build(b.path(), WriteOptions::default());
    let mut tb = read_tree(b.path());
    tb.retain(|(n, _)| n != "d/keep.txt");
    assert_eq!(read_tree(a.path()), tb);
    // The version digest changes with the content.
    let version = |d: &Path| SearchIndex::open(d).unwrap().manifest().version.clone();
    let c = tempfile::tempdir().unwrap();
    let mut bc = SearchIndexBuilder::new();
    bc.add_parallel(&docs[..599], 64, |(d, body)| (d.clone(), analyze_doc(&d.title, body)));
    bc.write(c.path()).unwrap();
    assert_eq!(version(a.path()).len(), 16);
    assert_ne!(version(a.path()), version(c.path()));
    assert_eq!(stats.files as usize, tb.len());
    assert_eq!(stats.bytes, tb.iter().map(|(_, b)| b.len() as u64).sum::<u64>());
    // And back: the smaller layout's files overwrite the bigger one's in place.
    let t = tempfile::tempdir().unwrap();
    build(t.path(), TINY);
    build(b.path(), TINY);
    let mut tb = read_tree(b.path());
    tb.retain(|(n, _)| n != "d/keep.txt");
    assert_eq!(read_tree(t.path()), tb);
}

#[test]
fn title_matches_outrank_body_matches() {
    let (_t, ix) = corpus_index();
    let got = ids(&ix, "serial port", &none());
    assert_eq!(got[0], "Q100001", "{got:?}");
    assert!(got.contains(&"Q100002".to_string()));
    let got = ids(&ix, "print margins", &none());
    assert_eq!(got[0], "Q100006", "title 'Margins in Printed Documents': {got:?}");
}

#[test]
fn bm25_prefers_rarer_terms() {
    let (_t, ix) = corpus_index();
    // Both docs hold "zebra" and "common"; Q100005 has the rare term 3x, Q100006 the common one.
    let got = ids(&ix, "zebra common", &none());
    assert_eq!(got.len(), 2, "{got:?}");
    let hits = ix.search("zebra common", &none()).unwrap();
    let q5 = hits.iter().find(|h| h.doc == 4).unwrap();
    let q6 = hits.iter().find(|h| h.doc == 5).unwrap();
    // Q100005 has both terms in the title too, so compare body-only docs separately:
    assert!(q5.score > q6.score);
    let idf_rare = format::idf(20, ix.lookup("zebra").unwrap().unwrap().df);
    let idf_common = format::idf(20, ix.lookup("common").unwrap().unwrap().df);
    assert!(idf_rare > idf_common);
}

#[test]
fn prefix_matching() {
    let (_t, ix) = corpus_index();
    let serial = ids(&ix, "serial", &none());
    assert!(serial.contains(&"Q151228".to_string()), "serial finds serials: {serial:?}");
    assert!(serial.contains(&"Q100019".to_string()), "serial finds ports doc: {serial:?}");
    let seri = ids(&ix, "seri", &none());
    for id in ["Q151228", "Q100004", "Q100001"] {
        assert!(seri.contains(&id.to_string()), "seri finds {id}: {seri:?}");
    }
    // Exact matches outrank expansions at equal footing: "serial" in the body of Q100015
    // beats the rarer completion "serials" in the body of Q100004.
    let pos = |id: &str| serial.iter().position(|x| x == id).unwrap();
    assert!(pos("Q100015") < pos("Q100004"), "{serial:?}");
    let hits = ix.search("serials", &none()).unwrap();
    assert_eq!(ix.doc(hits[0].doc).unwrap().id, "Q151228");
    // Numbers are never expanded: 4.0 does not find 4.01.
    assert_eq!(ids(&ix, "4.0", &none()), ["Q100012"]);
    // Two-letter terms are exact only.
    assert!(ids(&ix, "se", &none()).is_empty());
    assert_eq!(ids(&ix, "nt", &none()).len(), 1);
    assert!(ids(&ix, "serialx", &none()).is_empty());
}

#[test]
fn id_lookups() {
    let (_t, ix) = corpus_index();
    assert!(ix.lookup("q151228").unwrap().is_some(), "q151228 is a term");
    assert!(ix.lookup("151228").unwrap().is_some(), "151228 is a term");
    for q in ["Q151228", "q151228", "151228", " KB151228 "] {
        assert_eq!(ix.resolve_id(q).unwrap(), Some(2), "{q}");
        let got = ids(&ix, q, &none());
        assert_eq!(got[0], "Q151228", "{q}: {got:?}");
        assert!(got.contains(&"Q100004".to_string()) && got.contains(&String::new()), "mentions: {got:?}");
    }
    assert_eq!(ix.resolve_id("Q999999").unwrap(), None);
    assert_eq!(ix.resolve_id("serial").unwrap(), None);
    assert_eq!(ix.resolve_id("Q100020").unwrap(), Some(19));
    // "4.0" is not an id; "100" has too few digits to be indexed as a number of an id.
    assert_eq!(ix.resolve_id("4.0").unwrap(), None);
    assert_eq!(ix.resolve_id("100").unwrap(), None);
}

#[test]
fn product_and_year_filters() {
    let (_t, ix) = corpus_index();
    let f = |p: Option<&str>, y: Option<u16>| Filters { product: p.map(String::from), year: y };
    assert_eq!(ids(&ix, "serial", &f(Some("Microsoft Exchange"), None)), ["Q151228", "Q100015", "Q100004"]);
    assert_eq!(ids(&ix, "serial", &f(None, Some(1998))), ["Q100018", "Q100001"]);
    assert_eq!(ids(&ix, "serial", &f(Some("Microsoft Excel"), Some(1998))), ["Q100018"]);
    assert!(ids(&ix, "serial", &f(Some("No Such Product"), None)).is_empty());
    assert!(ids(&ix, "serial", &f(None, Some(1980))).is_empty());
    let m = ix.manifest();
    assert_eq!(m.products.len(), 5);
    assert_eq!(m.years.first(), Some(&(1995, 4)));
}

#[test]
fn odd_queries_never_panic() {
    let (_t, ix) = corpus_index();
    let long = "serial ".repeat(20_000) + &"x".repeat(100_000);
    for q in [
        "",
        "   ",
        "!!!",
        "...",
        "a",
        "the and of",
        "\u{0}\u{ffff}\u{10ffff}",
        "日本語",
        "é",
        &long,
        "q",
        "Q",
        "0",
        "4.0",
        "*",
        "\"serial\"",
    ] {
        let _ = ix.search(q, &none()).unwrap();
        let _ = ix.resolve_id(q).unwrap();
    }
    assert_eq!(ids(&ix, "\"Serial\"  PORT!!", &none())[0], "Q100001");
    assert_eq!(ids(&ix, "4.0", &none()), ["Q100012"]);
    assert_eq!(ids(&ix, "cafe", &none()), ["Q100011"]);
    assert_eq!(ids(&ix, "STRASSE", &none()), ["Q100011"]);
    assert_eq!(ids(&ix, "0x80070005", &none()), ["Q100013"]);
}

#[test]
fn layout_does_not_change_exact_results() {
    let (_t, ix) = corpus_index();
    let tiny_dir = tempfile::tempdir().unwrap();
    let stats = write_corpus_with(tiny_dir.path(), TINY);
    assert!(stats.shards > 10, "{stats:?}");
    assert!(std::fs::read_dir(tiny_dir.path().join("p")).unwrap().count() > 5);
    let tiny = SearchIndex::open(tiny_dir.path()).unwrap();
    for q in ["nt 4.0", "zebra common", "0x80070005", "151228", "word", "exchange server", "modem"] {
        assert_eq!(ix.search(q, &none()).unwrap(), tiny.search(q, &none()).unwrap(), "{q}");
    }
    for d in 0..20 {
        assert_eq!(ix.doc(d).unwrap(), tiny.doc(d).unwrap());
    }
    assert_eq!(tiny.resolve_id("Q151228").unwrap(), Some(2));
}

#[test]
fn prefix_search_scans_a_bounded_number_of_shards() {
    let tiny_dir = tempfile::tempdir().unwrap();
    write_corpus_with(tiny_dir.path(), TINY);
    let tiny = SearchIndex::open(tiny_dir.path()).unwrap();
    let mut trace = Vec::new();
    let exp = tiny.expand("ser", &mut trace).unwrap();
    assert!(!exp.is_empty());
    let shards = trace.iter().filter(|t| t.starts_with("d/")).count();
    assert!(shards as u32 <= format::MAX_PREFIX_SHARDS, "{trace:?}");
}

#[test]
fn empty_index() {
    let tmp = tempfile::tempdir().unwrap();
    let stats = SearchIndexBuilder::new().write(tmp.path()).unwrap();
    assert_eq!((stats.docs, stats.terms), (0, 0));
    let ix = SearchIndex::open(tmp.path()).unwrap();
    assert!(ix.search("anything", &none()).unwrap().is_empty());
    assert_eq!(ix.resolve_id("Q151228").unwrap(), None);
}

/// A deterministic synthetic corpus big enough for several shards and external postings.
fn synthetic(n: u32) -> Vec<(SearchDoc, String)> {
    let words: Vec<String> = (0..400)
        .map(|i: u32| {
            let syll =
                ["ser", "ial", "con", "fig", "net", "work", "ex", "change", "dri", "ver", "mo", "dem", "print", "er"];
            let mut w = String::new();
            let mut x = i.wrapping_mul(2_654_435_761).rotate_left(7) | 1;
            for _ in 0..(2 + i % 3) {
                w.push_str(syll[(x % syll.len() as u32) as usize]);
                x /= 7;
            }
            format!("{w}{}", if i.is_multiple_of(5) { "s" } else { "" })
        })
        .collect();
    let mut seed: u64 = 42;
    let mut rnd = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as u32
    };
    let products = ["Microsoft Exchange", "Microsoft Word", "Microsoft Windows NT", "Microsoft Excel"];
    (0..n)
        .map(|i| {
            let pick = |rnd: &mut dyn FnMut() -> u32| {
                let r = rnd() % 1000;
                &words[((r * r) / 2500) as usize % words.len()]
            };
            let title: Vec<&String> = (0..5).map(|_| pick(&mut rnd)).collect();
            let mut body = String::new();
            for k in 0..(30 + rnd() % 120) {
                body.push_str(pick(&mut rnd));
                body.push(if k % 11 == 10 { '.' } else { ' ' });
                if rnd() % 97 == 0 {
                    body.push_str(&format!(" Q{} ", 100_000 + rnd() % n));
                }
            }
            let id = format!("Q{}", 100_000 + i);
            let year = 1990 + (rnd() % 12) as u16;
            let doc = SearchDoc {
                url: format!("/kb/{}/{id}/", &id[1..4]),
                id,
                title: title.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
                product: products[(rnd() % 4) as usize].into(),
                year: Some(year),
                date: format!("{year}-03-0{}", 1 + rnd() % 9),
            };
            (doc, body)
        })
        .collect()
}

#[test]
fn synthetic_index_has_shards_and_external_postings() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = SearchIndexBuilder::new();
    let docs = synthetic(1500);
    b.add_parallel(&docs, 256, |(d, body)| (d.clone(), analyze_doc(&d.title, body)));
    let stats = b.write(tmp.path()).unwrap();
    assert!(stats.shards > 3, "{stats:?}");
    assert!(std::fs::read_dir(tmp.path().join("p")).unwrap().count() > 5);
    let ix = SearchIndex::open(tmp.path()).unwrap();
    assert_eq!(ix.resolve_id("Q100777").unwrap(), Some(777));
    assert_eq!(ix.resolve_id("101234").unwrap(), Some(1234));
    // Every term of a doc's title finds that doc.
    for d in [0u32, 99, 1499] {
        let title = &docs[d as usize].0.title;
        let hits = ix.search(title, &none()).unwrap();
        assert!(hits.iter().any(|h| h.doc == d), "doc {d} for {title:?}");
    }
}

const PARITY_QUERIES: &[(&str, Option<&str>, Option<u16>)] = &[
    ("serial", None, None),
    ("seri", None, None),
    ("serial port", None, None),
    ("Q151228", None, None),
    ("151228", None, None),
    ("zebra common", None, None),
    ("print margins", None, None),
    ("serial", Some("Microsoft Exchange"), None),
    ("serial", None, Some(1998)),
    ("cafe", None, None),
    ("4.0", None, None),
    ("", None, None),
    ("!!!", None, None),
    ("the", None, None),
];

#[test]
fn builder_types_are_send() {
    fn send<T: Send>() {}
    send::<DocTerms>();
    send::<SearchDoc>();
    send::<SearchIndexBuilder>();
    send::<SearchIndex>();
}

#[test]
fn result_pages() {
    let (_t, ix) = corpus_index();
    let all = ix.search("serial", &none()).unwrap();
    let page = ix.query("serial", &none(), 2, 3).unwrap();
    assert_eq!(page.total, all.len());
    assert_eq!(page.hits.len(), 3);
    for (k, (h, rec)) in page.hits.iter().enumerate() {
        assert_eq!(*h, all[2 + k]);
        assert_eq!(*rec, ix.doc(h.doc).unwrap());
    }
    assert!(ix.query("serial", &none(), 100, 20).unwrap().hits.is_empty());
}

fn expected_json(ix: &SearchIndex, queries: &[(String, Option<String>, Option<u16>)]) -> serde_json::Value {
    let qs: Vec<serde_json::Value> = queries
        .iter()
        .map(|(q, p, y)| {
            let f = Filters { product: p.clone(), year: *y };
            let hits = ix.search(q, &f).unwrap();
            let top: Vec<serde_json::Value> = hits
                .iter()
                .take(20)
                .map(|h| {
                    let r = ix.doc(h.doc).unwrap();
                    serde_json::json!({"doc": h.doc, "score": h.score, "id": r.id, "url": r.url, "title": r.title})
                })
                .collect();
            serde_json::json!({"text": q, "filters": {"product": p, "year": y}, "total": hits.len(), "top": top})
        })
        .collect();
    let token_cases = [
        "The Serial-Port DRIVER fails!",
        "Windows NT 4.0 SP4, ip 192.168.0.1.",
        "See Q151228 and KB151228",
        "Café Straße ÆON Łódź cafe\u{301} naïve 3×4",
        "Windows™ “quoted” — dash ΑΒΓ ЖУК 日本語 ＡＢＣ 😀x😀 İstanbul",
        "to be or not to be a b c x1",
        "HKEY_LOCAL_MACHINE\\Software 1. step 2.x v3.1",
    ];
    let tokens: Vec<serde_json::Value> = token_cases
        .iter()
        .map(|t| serde_json::json!({"text": t, "doc": tokenize::doc_tokens(t), "query": tokenize::query_terms(t)}))
        .collect();
    let resolve: Vec<serde_json::Value> = ["Q151228", "151228", "kb151228", "Q999999", "serial", "Q100777", "Q100020"]
        .iter()
        .map(|q| {
            let url = ix.resolve_id(q).unwrap().map(|d| ix.doc(d).unwrap().url);
            serde_json::json!({"text": q, "url": url})
        })
        .collect();
    serde_json::json!({"queries": qs, "tokens": tokens, "resolve": resolve})
}

fn run_node_parity(dir: &Path, queries: &[(String, Option<String>, Option<u16>)]) {
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("SKIPPED: `node` is not on PATH; the JS client parity test did not run");
        return;
    }
    let ix = SearchIndex::open(dir).unwrap();
    let expected = expected_json(&ix, queries);
    std::fs::write(dir.join("expected.json"), serde_json::to_vec_pretty(&expected).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/search/search.test.mjs");
    let out = Command::new("node").arg("--test").arg(&script).env("KB_SEARCH_INDEX", dir).output().unwrap();
    eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "node test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn js_client_matches_rust_reader() {
    let tmp = tempfile::tempdir().unwrap();
    write_corpus(tmp.path());
    let queries: Vec<_> = PARITY_QUERIES.iter().map(|(q, p, y)| (q.to_string(), p.map(String::from), *y)).collect();
    run_node_parity(tmp.path(), &queries);
}

#[test]
fn js_client_matches_rust_reader_with_tiny_shards() {
    let tmp = tempfile::tempdir().unwrap();
    write_corpus_with(tmp.path(), TINY);
    let queries: Vec<_> = PARITY_QUERIES
        .iter()
        .map(|(q, p, y)| (q.to_string(), p.map(String::from), *y))
        .chain([("ser".to_string(), None, None), ("exc".to_string(), None, None)])
        .collect();
    run_node_parity(tmp.path(), &queries);
}

#[test]
fn js_client_matches_rust_reader_on_sharded_index() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = synthetic(1500);
    let mut b = SearchIndexBuilder::new();
    b.add_parallel(&docs, 256, |(d, body)| (d.clone(), analyze_doc(&d.title, body)));
    b.write(tmp.path()).unwrap();
    let mut queries: Vec<(String, Option<String>, Option<u16>)> = Vec::new();
    for d in [3usize, 50, 700, 1200] {
        let words: Vec<&str> = docs[d].0.title.split(' ').collect();
        queries.push((words[..2].join(" "), None, None));
        queries.push((words[0][..3].to_string(), None, None));
        queries.push((
            format!("{} {}", words[1], &words[2][..4.min(words[2].len())]),
            Some("Microsoft Word".into()),
            None,
        ));
        queries.push((words[3].to_string(), None, Some(1995)));
    }
    queries.push(("Q100777".into(), None, None));
    queries.push(("ser".into(), None, None));
    queries.push(("con".into(), None, None));
    run_node_parity(tmp.path(), &queries);
}

/// `analyze_doc` against a plain model built from `doc_tokens`: distinct terms in order of first
/// appearance, capped counts, the title flag, and the token count — on short documents and on
/// one with thousands of distinct terms (the counting table grows several times).
#[test]
fn analyze_doc_counts_like_a_plain_model() {
    fn model(title: &str, body: &str) -> (Vec<(String, u32, bool)>, u32) {
        let mut terms: Vec<(String, u32, bool)> = Vec::new();
        let mut tokens = 0;
        for (text, in_title) in [(title, true), (body, false)] {
            for t in tokenize::doc_tokens(text) {
                tokens += 1;
                match terms.iter_mut().find(|(x, _, _)| *x == t) {
                    Some((_, tf, title)) => {
                        *tf = (*tf + 1).min(format::MAX_TF);
                        *title |= in_title;
                    }
                    None => terms.push((t, 1, in_title)),
                }
            }
        }
        (terms, tokens)
    }
    // Short distinct tokens: more distinct terms than the table is sized for, so it grows.
    let many: String = (0..20_000).map(|i| format!("x{i:x} w{} ", i % 7)).collect();
    let repeated = "zebra ".repeat(100);
    let cases: Vec<(&str, &str)> = vec![
        ("", ""),
        ("Serial Port", "serial serial PORT q151228 Q151228 kb12345 4.0 the and"),
        ("Café Straße", "cafe strasse CAFÉ ÆON"),
        ("Many", &many),
        ("Zebra", &repeated),
    ];
    for &(title, body) in &cases {
        let got = analyze_doc(title, body);
        let (want, tokens) = model(title, body);
        let got_terms: Vec<(String, u32, bool)> = got.iter().map(|(t, tf, ti)| (t.to_string(), tf, ti)).collect();
        assert_eq!(got_terms, want, "title {title:?}");
        assert_eq!(got.token_count(), tokens, "title {title:?}");
    }
}

/// An article's own id terms (`q100001`, `100001`) count as title terms: flagged so when the
/// text holds them, added once (tf 1, title) when it does not. Other documents that mention
/// the id keep their own flags. Read from the builder's postings, before the writer turns them
/// into impacts.
#[test]
fn id_terms_are_title_terms() {
    let mut b = SearchIndexBuilder::new();
    let doc = |id: &str| SearchDoc { id: id.into(), ..SearchDoc::default() };
    b.add(doc("Q100001"), analyze_doc("Serial port", "See Q100001 and Q100001 again."));
    b.add(doc("Q100002"), analyze_doc("Article Q100002", "Unlike Q100001, this one has no id in its text."));
    b.add(doc("Q100003"), analyze_doc("Other", "Nothing about ids here."));
    let mut postings = |term: &str| -> Vec<(u32, u32, bool)> {
        let (id, new) = b.table.intern(term.as_bytes());
        assert!(!new, "{term} is a term");
        let mut bytes = Vec::new();
        b.pool.read(&b.states[id as usize], &mut bytes);
        builder::build_postings(&bytes).collect()
    };
    // Doc 0 names its id twice, in the body only: still a title term. Doc 1 mentions it once.
    assert_eq!(postings("q100001"), [(0, 2, true), (1, 1, false)]);
    assert_eq!(postings("100001"), [(0, 2, true), (1, 1, false)]);
    // Doc 1's id is in its title anyway; doc 2's text never names its id: added as a title term.
    assert_eq!(postings("q100002"), [(1, 1, true)]);
    assert_eq!(postings("q100003"), [(2, 1, true)]);
    assert_eq!(postings("100003"), [(2, 1, true)]);
    assert_eq!(postings("serial"), [(0, 1, true)]);
}
