//! Incremental rebuild timings on a large site (a `kbgen` corpus), through the same rebuild
//! function `kbsite serve` uses.
//!
//! ```sh
//! cargo run --release --bin kbgen -- --articles 60000 --out bench/out/corpus-60k
//! cargo run --release --example incremental_bench -- bench/out/corpus-60k [--rounds 5] [--serve] [--no-template]
//! ```
//!
//! Measures: the full build (the first rebuild); then, `--rounds` times each, on different
//! articles: editing one article's text, changing one article's product, adding an article
//! and deleting it again, editing `templates/page.html`. For each: the time from the start of the rebuild to the `reload`
//! event, and (after it) the search index rebuild. With `--serve` it also starts a real server
//! and times saving a file to the `reload` event arriving over `/__kbsite/events` (watcher and
//! 100 ms debounce included). Every edit is undone at the end (and the site rebuilt), so the
//! corpus is left as it was.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kbsite::config::Overrides;
use kbsite::render::templates::DEFAULT_TEMPLATES;
use kbsite::serve::{classify, rebuild, ChangeSet, Rebuild, ServeState};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = PathBuf::from(args.first().expect("usage: incremental_bench CORPUS [--rounds N] [--serve]"));
    let rounds: usize = args.iter().position(|a| a == "--rounds").map_or(5, |i| args[i + 1].parse().unwrap());
    let serve = args.iter().any(|a| a == "--serve");
    let templates = !args.iter().any(|a| a == "--no-template");

    let mut state = ServeState::new(&root, Overrides::default(), true).expect("a site");
    let root = state.root.clone();
    let full = rebuild(&mut state, &ChangeSet::everything()).expect("full build");
    println!("full build: {:.2} s ({} pages, {} files)", secs(full.reload_after), full.pages, full.files);
    print_stages("  ", &full);
    println!("  memory: {}", memory());

    let site = state.site.as_ref().unwrap().prepared();
    let articles: Vec<(String, String)> = (0..site.pages.len())
        .filter_map(|i| Some((site.pages[i].rel().to_string(), site.kb.article(i)?.product.clone())))
        .collect();
    let products: Vec<String> =
        site.kb.terms(kbsite::analyze::kb_index::TermKind::Products).iter().map(|t| t.name.clone()).collect();
    let source = state.config.source.clone();
    let step = articles.len() / (rounds + 1);
    let mut originals: Vec<(PathBuf, Option<String>)> = Vec::new();
    let mut edit = |path: &Path, f: &dyn Fn(&str) -> String| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if !originals.iter().any(|(p, _)| p == path) {
            originals.push((path.to_path_buf(), path.exists().then(|| text.clone())));
        }
        std::fs::write(path, f(&text)).unwrap();
    };

    let mut text = Vec::new();
    let mut product = Vec::new();
    let mut template = Vec::new();
    let mut added = Vec::new();
    let mut deleted = Vec::new();
    for k in 0..rounds {
        let (rel, old_product) = &articles[(k + 1) * step];
        let path = source.join(rel);
        edit(&path, &|t| t.replacen("{% endraw %}", &format!("\tIncremental bench edit {k}.\n{{% endraw %}}"), 1));
        text.push(timed(&mut state, &path));

        let new_product = products.iter().find(|p| *p != old_product).unwrap().clone();
        edit(&path, &|t| t.replacen(&format!("Product(s): {old_product}"), &format!("Product(s): {new_product}"), 1));
        product.push(timed(&mut state, &path));

        // A new article (a copy of this one under a new number), then its deletion.
        let number = 990_000 + k;
        let id = format!("Q{number}");
        let new_path = source.join(format!("kb/990/{id}/README.md"));
        let copy = std::fs::read_to_string(&path).unwrap();
        let old_id = rel.rsplit('/').nth(1).unwrap();
        std::fs::create_dir_all(new_path.parent().unwrap()).unwrap();
        std::fs::write(&new_path, copy.replace(old_id, &id).replace(&format!("/kb/{}/", &old_id[1..4]), "/kb/990/"))
            .unwrap();
        added.push(timed(&mut state, &new_path));
        std::fs::remove_dir_all(new_path.parent().unwrap()).unwrap();
        deleted.push(timed(&mut state, new_path.parent().unwrap()));
        let _ = std::fs::remove_dir(source.join("kb/990"));

        if !templates {
            continue;
        }
        let page = root.join("templates/page.html");
        std::fs::create_dir_all(page.parent().unwrap()).unwrap();
        edit(&page, &|_| format!("{}<!-- bench {k} -->\n", DEFAULT_TEMPLATES[1].1));
        template.push(timed(&mut state, &page));
    }
    println!();
    report("edit one article's text", &text);
    report("change one article's product", &product);
    report("add one article", &added);
    report("delete one article", &deleted);
    println!("(reload = start of the rebuild to the reload event; search = the search index rebuilt after it)");
    if templates {
        report("edit templates/page.html", &template);
        println!("full build / template edit = {:.1}", secs(full.reload_after) / median(&template, |r| r.reload_after));
    }

    if serve {
        drop(state);
        serve_roundtrips(&root, &source, &articles, rounds, &mut edit);
        state = ServeState::new(&root, Overrides::default(), true).unwrap();
    }

    // Undo every edit and bring the output back in line.
    let mut changed = Vec::new();
    for (path, text) in originals {
        match text {
            Some(t) => std::fs::write(&path, t).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
        changed.push(path);
    }
    let _ = std::fs::remove_dir(root.join("templates"));
    state.site.is_none().then(|| rebuild(&mut state, &ChangeSet::everything()).unwrap());
    let changes = classify(&changed, &state.config);
    let undo = rebuild(&mut state, &changes).unwrap();
    println!("\nundo: {} outputs rewritten in {:.0} ms", undo.written.len(), ms(undo.reload_after));
}

/// Resident and peak memory of this process (Linux).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field =
        |k: &str| status.lines().find(|l| l.starts_with(k)).map_or("?".into(), |l| l[k.len()..].trim().to_string());
    format!("resident {} (peak {}) with the site kept for incremental rebuilds", field("VmRSS:"), field("VmHWM:"))
}

/// Rebuilds after `path` changed; prints one line.
fn timed(state: &mut ServeState, path: &Path) -> Rebuild {
    let changes = classify([path], &state.config);
    let r = rebuild(state, &changes).unwrap_or_else(|e| panic!("rebuild failed: {e}"));
    println!(
        "{:<44} reload {:>6.0} ms  search {:>6.0} ms  written {:>6}  deleted {:>3}",
        short(path),
        ms(r.reload_after),
        r.search.map_or(0.0, ms),
        r.written.len(),
        r.deleted.len()
    );
    print_stages("    ", &r);
    r
}

/// The last three components of a path.
fn short(path: &Path) -> String {
    let parts: Vec<String> = path.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    parts[parts.len().saturating_sub(3)..].join("/")
}

fn print_stages(indent: &str, r: &Rebuild) {
    let stages: Vec<String> = r.stages.iter().map(|(n, d)| format!("{n} {:.0}", ms(*d))).collect();
    println!("{indent}stages (ms): {}", stages.join(", "));
}

fn report(what: &str, runs: &[Rebuild]) {
    println!(
        "{what:<32} reload: median {:>5.0} ms, max {:>5.0} ms; search after it: median {:>5.0} ms; outputs written: median {}",
        median(runs, |r| r.reload_after) * 1000.0,
        runs.iter().map(|r| ms(r.reload_after)).fold(0.0, f64::max),
        median(runs, |r| r.search.unwrap_or_default()) * 1000.0,
        {
            let mut n: Vec<usize> = runs.iter().map(|r| r.written.len()).collect();
            n.sort_unstable();
            n[n.len() / 2]
        }
    );
}

fn median(runs: &[Rebuild], f: impl Fn(&Rebuild) -> Duration) -> f64 {
    let mut v: Vec<f64> = runs.iter().map(|r| secs(f(r))).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Applies an edit to a file, remembering its first version.
type Editor<'a> = dyn FnMut(&Path, &dyn Fn(&str) -> String) + 'a;

/// A real server: save an article, wait for `event: reload` on the event stream.
fn serve_roundtrips(root: &Path, source: &Path, articles: &[(String, String)], rounds: usize, edit: &mut Editor<'_>) {
    let opts = kbsite::serve::ServeOptions { root: root.to_path_buf(), port: 0, quiet: true, ..Default::default() };
    let started = Instant::now();
    let server = kbsite::serve::start(opts).expect("server starts");
    println!("\nserve: first build {:.1} s", started.elapsed().as_secs_f64());
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(stream, "GET /__kbsite/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n").unwrap();
    wait_for(&mut stream, "event: hello");
    // Let the watcher settle after the first build.
    std::thread::sleep(Duration::from_millis(500));
    let mut times = Vec::new();
    let step = articles.len() / (rounds + 1);
    for k in 0..rounds {
        let path = source.join(&articles[(k + 1) * step + 7].0);
        let saved = Instant::now();
        edit(&path, &|t| t.replacen("{% endraw %}", &format!("\tServed edit {k}.\n{{% endraw %}}"), 1));
        wait_for(&mut stream, "event: reload");
        let t = saved.elapsed();
        println!("save → reload event: {:.0} ms", ms(t));
        times.push(t);
        // Let the search index rebuild that follows finish before the next save.
        std::thread::sleep(Duration::from_secs(8));
    }
    times.sort();
    println!("save → reload event (watcher + 100 ms debounce + rebuild): median {:.0} ms", ms(times[times.len() / 2]));
    server.shutdown().unwrap();
}

fn wait_for(stream: &mut TcpStream, needle: &str) {
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains(needle) {
        let n = stream.read(&mut buf).expect("event stream");
        assert!(n > 0, "event stream closed");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}
