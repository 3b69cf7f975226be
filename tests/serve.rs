//! `kbsite serve` end to end: a real server on a free port over a temporary copy of a fixture
//! site, real file edits, a raw HTTP client and a Server-Sent Events reader. Every wait is bounded.

mod common;
mod serve_support;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{build_site, fixture, read, write};
use kbsite::config::Overrides;
use kbsite::serve::{start, ServeHandle, ServeOptions};
use serve_support::{eventually, get, request, EventStream, TIMEOUT};

const ARTICLE: &str = "/kbarchive/kb/001/Q1001/";
const ARTICLE_SRC: &str = "content/kb/001/Q1001/README.md";

fn serve(root: &Path) -> ServeHandle {
    serve_with(root, ServeOptions::default())
}

fn serve_with(root: &Path, opts: ServeOptions) -> ServeHandle {
    start(ServeOptions { root: root.to_path_buf(), port: 0, quiet: true, ..opts }).expect("server starts")
}

/// `/__kbsite/status` as JSON.
fn status_of(addr: std::net::SocketAddr) -> serde_json::Value {
    serde_json::from_slice(&get(addr, "/__kbsite/status").body).expect("status is JSON")
}

/// An event stream that has seen its `hello`, so it is subscribed before the test edits files.
fn events(addr: std::net::SocketAddr) -> EventStream {
    let mut es = EventStream::connect(addr);
    es.expect("hello", TIMEOUT);
    es
}

/// A preview server on a fresh copy of the `basic` fixture, with an event stream open.
struct Live {
    _tmp: tempfile::TempDir,
    root: std::path::PathBuf,
    server: ServeHandle,
    addr: std::net::SocketAddr,
    es: EventStream,
}

fn live() -> Live {
    let (tmp, root) = fixture("basic");
    let server = serve(&root);
    let addr = server.addr();
    let es = events(addr);
    Live { _tmp: tmp, root, server, addr, es }
}

#[test]
fn pages_are_served_with_types_indexes_redirects_and_the_404_page() {
    let (_tmp, root) = fixture("basic");
    let server = serve(&root);
    let addr = server.addr();
    assert_eq!(server.url(), format!("http://{addr}/kbarchive/"));

    let page = get(addr, ARTICLE);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let html = page.text();
    assert!(html.contains("<article class=\"page\">"), "{html}");
    // The live-reload script sits just before </body>.
    let script = html.find("/__kbsite/events").expect("script injected");
    assert!(script < html.rfind("</body>").unwrap());
    assert_eq!(page.header("content-length"), Some(page.body.len().to_string().as_str()));

    let home = get(addr, "/kbarchive/");
    assert_eq!(home.status, 200);
    assert!(home.text().starts_with("<p>home</p>"), "index.html for the folder");

    for (path, ct) in [
        ("/kbarchive/assets/kbsite.css", "text/css; charset=utf-8"),
        ("/kbarchive/img/logo.png", "image/png"),
        ("/kbarchive/notes.txt", "text/plain; charset=utf-8"),
        ("/kbarchive/index.html", "text/html; charset=utf-8"),
        ("/kbarchive/.nojekyll", "application/octet-stream"),
    ] {
        let r = get(addr, path);
        assert_eq!((r.status, r.header("content-type")), (200, Some(ct)), "{path}");
    }
    assert_eq!(get(addr, "/kbarchive/notes.txt").text(), "plain file, no front matter\n");

    // Folder without slash → 301 to the slash form, query kept; baseurl alone likewise.
    let r = get(addr, "/kbarchive/kb/001/Q1001?x=1");
    assert_eq!((r.status, r.header("location")), (301, Some("/kbarchive/kb/001/Q1001/?x=1")));
    let r = get(addr, "/kbarchive");
    assert_eq!((r.status, r.header("location")), (301, Some("/kbarchive/")));
    let r = get(addr, "/");
    assert_eq!((r.status, r.header("location")), (302, Some("/kbarchive/")));

    // Misses get the site's 404 page with status 404, inside and outside the baseurl.
    for path in ["/kbarchive/no/such/page/", "/kbarchive/nope.html", "/other/", "/kbarchive/notes.txt/"] {
        let r = get(addr, path);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.text().contains("Page not found"), "{path}: {}", r.text());
        assert!(r.text().contains("/__kbsite/events"), "the 404 page reloads too");
    }

    // HEAD: same headers, no body.
    let head = request(addr, "HEAD", ARTICLE);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), page.header("content-length"));
    assert!(head.body.is_empty());

    // Only GET and HEAD.
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let r = request(addr, method, ARTICLE);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
    assert_eq!(request(addr, "POST", "/__kbsite/events").status, 405);

    let status = get(addr, "/__kbsite/status");
    assert_eq!(status.header("content-type"), Some("application/json"));
    let json: serde_json::Value = serde_json::from_slice(&status.body).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["generation"], 1);
    server.shutdown().unwrap();
}

#[test]
fn the_script_is_never_in_kbsite_build_output() {
    let (_tmp, root) = fixture("basic");
    build_site(&root).unwrap();
    for entry in walkdir::WalkDir::new(root.join("public")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(!String::from_utf8_lossy(&bytes).contains("__kbsite"), "{}", entry.path().display());
        }
    }
}

#[test]
fn saves_made_before_the_source_folder_is_watched_are_rebuilt() {
    let (_tmp, root) = fixture("basic");
    // Enough folders that watching the source folder, after serving starts, takes a while.
    for i in 0..3000 {
        std::fs::create_dir_all(root.join(format!("content/extra/{:02}/{i}", i % 50))).unwrap();
    }
    let server = serve(&root);
    let addr = server.addr();
    // At once: the rebuild thread is still adding the source folder's watches.
    let text = read(&root, ARTICLE_SRC).replace("After the block.", "Saved before watching.");
    write(&root, ARTICLE_SRC, &text);
    eventually(TIMEOUT, "the save to be served", || {
        get(addr, ARTICLE).text().contains("Saved before watching.").then_some(())
    });
    server.shutdown().unwrap();
}

#[test]
fn editing_a_page_reloads_with_the_new_content_and_deleting_it_404s_and_leaves_its_index() {
    let Live { _tmp, root, server, addr, mut es } = live();

    let text = read(&root, ARTICLE_SRC).replace("After the block.", "Edited while serving.");
    write(&root, ARTICLE_SRC, &text);
    es.expect("reload", TIMEOUT);
    let page = get(addr, ARTICLE).text();
    assert!(page.contains("Edited while serving."), "{page}");
    assert!(!page.contains("After the block."));

    // A new page appears.
    write(&root, "content/docs/new.md", "---\ntitle: New\n---\nBrand new page.\n");
    es.expect("reload", TIMEOUT);
    assert!(get(addr, "/kbarchive/docs/new/").text().contains("Brand new page."));

    // A second article of the same product: both are on the product's index page.
    let second = read(&root, ARTICLE_SRC).replace("Q1001", "Q1002").replace("/001/", "/002/");
    // (A file in new folders can arrive as two watcher batches, so two rebuilds and reloads: the
    // checks wait for the state rather than count events.)
    write(&root, "content/kb/002/Q1002/README.md", &second);
    es.expect("reload", TIMEOUT);
    let product = "/kbarchive/products/fixture-server/";
    eventually(TIMEOUT, "both articles on the product page", || {
        let listed = get(addr, product).text();
        (listed.contains("kb/001/Q1001/") && listed.contains("kb/002/Q1002/")).then_some(())
    });

    // A deleted page is gone: its URL 404s and its index no longer lists it.
    std::fs::remove_file(root.join(ARTICLE_SRC)).unwrap();
    es.expect("reload", TIMEOUT);
    eventually(TIMEOUT, "the deleted article's URL to 404", || (get(addr, ARTICLE).status == 404).then_some(()));
    let listed = get(addr, product).text();
    assert!(!listed.contains("kb/001/Q1001/") && listed.contains("kb/002/Q1002/"), "{listed}");
    server.shutdown().unwrap();
}

#[test]
fn a_broken_file_shows_the_error_keeps_the_old_site_and_recovers() {
    let Live { _tmp, root, server, addr, mut es } = live();
    let good = read(&root, ARTICLE_SRC);
    let before = get(addr, ARTICLE).text();

    write(&root, ARTICLE_SRC, "---\ntitle: [unclosed\npermalink: /kb/001/Q1001/\n---\nbody\n");
    let error = es.expect("error", TIMEOUT);
    assert!(error.data.contains("kb/001/Q1001/README.md"), "names the file: {}", error.data);
    assert!(error.data.contains("YAML"), "{}", error.data);
    // The last good site is still served.
    let page = get(addr, ARTICLE);
    assert_eq!(page.status, 200);
    assert_eq!(page.text(), before);
    // A page loaded now learns about the error at once: from its event stream and from the status.
    let mut late = EventStream::connect(addr);
    late.expect("hello", TIMEOUT);
    let replay = late.expect("error", TIMEOUT);
    assert_eq!(replay.data, error.data);
    let status = status_of(addr);
    assert_eq!(status["ok"], false);
    assert!(status["error"].as_str().unwrap().contains("kb/001/Q1001/README.md"));

    // Fixing the file recovers without a restart.
    write(&root, ARTICLE_SRC, &good.replace("After the block.", "Fixed again."));
    es.expect("reload", TIMEOUT);
    late.expect("reload", TIMEOUT);
    assert!(get(addr, ARTICLE).text().contains("Fixed again."));
    let status = status_of(addr);
    assert_eq!(status["ok"], true);

    // A template error is reported the same way.
    write(&root, "templates/wide.html", "---\nlayout: page\n---\n{% if %}\n");
    let error = es.expect("error", TIMEOUT);
    assert!(error.data.contains("wide.html"), "{}", error.data);
    write(&root, "templates/wide.html", "---\nlayout: page\n---\n<div class=\"wider\">{{ content | safe }}</div>\n");
    es.expect("reload", TIMEOUT);
    assert!(get(addr, "/kbarchive/docs/guide/").text().contains("<div class=\"wider\">"));
    server.shutdown().unwrap();
}

#[test]
fn a_save_without_changes_reloads_nothing_but_undoing_a_broken_edit_does() {
    let Live { _tmp, root, server, addr, mut es } = live();
    let good = read(&root, ARTICLE_SRC);
    let generation = || status_of(addr)["generation"].as_u64().expect("a generation number");
    let before = generation();

    // Saved again as it was: the rebuild writes nothing, so open pages are left alone.
    write(&root, ARTICLE_SRC, &good);
    assert_eq!(es.next_within(Duration::from_millis(1500)), None, "no reload for an unchanged save");
    assert_eq!(generation(), before);

    // Broken, then put back exactly as it was: nothing to write, but pages showing the error reload.
    write(&root, ARTICLE_SRC, "---\ntitle: [unclosed\n---\nbody\n");
    es.expect("error", TIMEOUT);
    write(&root, ARTICLE_SRC, &good);
    es.expect("reload", TIMEOUT);
    let status = status_of(addr);
    assert_eq!(status["ok"], true);
    assert_eq!(generation(), before + 1);
    server.shutdown().unwrap();
}

#[test]
fn static_and_config_changes_rebuild_and_a_new_baseurl_is_served() {
    let Live { _tmp, root, server, addr, mut es } = live();

    write(&root, "static/img/new.svg", "<svg/>");
    es.expect("reload", TIMEOUT);
    let r = get(addr, "/kbarchive/img/new.svg");
    assert_eq!((r.status, r.header("content-type")), (200, Some("image/svg+xml")));

    let toml = read(&root, "site.toml").replace("baseurl = \"/kbarchive\"", "baseurl = \"/other\"");
    write(&root, "site.toml", &toml);
    es.expect("reload", TIMEOUT);
    let page = get(addr, "/other/kb/001/Q1001/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("href=\"/other/assets/kbsite.css\""));
    assert_eq!(get(addr, ARTICLE).status, 404);

    // A broken site.toml is an error; the site keeps being served with the old settings.
    write(&root, "site.toml", &format!("{toml}\ntitel = \"typo\"\n"));
    let error = es.expect("error", TIMEOUT);
    assert!(error.data.contains("titel"), "{}", error.data);
    assert_eq!(get(addr, "/other/kb/001/Q1001/").status, 200);
    write(&root, "site.toml", &toml);
    es.expect("reload", TIMEOUT);
    server.shutdown().unwrap();
}

#[test]
fn requests_during_rebuilds_never_fail() {
    let Live { _tmp, root, server, addr, mut es } = live();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut statuses = std::collections::BTreeMap::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for path in [ARTICLE, "/kbarchive/notes.txt", "/kbarchive/"] {
                    *statuses.entry(get(addr, path).status).or_insert(0) += 1;
                }
            }
            statuses
        })
    };
    let text = read(&root, "content/notes.txt");
    for i in 0..5 {
        write(&root, "content/notes.txt", &format!("{text}{i}\n"));
        es.expect("reload", TIMEOUT);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let statuses = client.join().unwrap();
    assert_eq!(statuses.keys().copied().collect::<Vec<u16>>(), [200], "{statuses:?}");
    server.shutdown().unwrap();
}

#[test]
fn output_editor_and_git_files_do_not_trigger_rebuilds() {
    let (_tmp, root) = fixture("basic");
    let server = serve(&root);
    let mut es = events(server.addr());
    write(&root, "content/docs/.guide.md.swp", "swap");
    write(&root, "content/docs/guide.md~", "backup");
    write(&root, "content/4913", "");
    write(&root, ".git/index", "git");
    write(&root, "public/stray.html", "written into the output");
    assert_eq!(es.next_within(Duration::from_millis(600)), None, "no rebuild for ignored files");
    // A real change still comes through.
    write(&root, "content/notes.txt", "changed\n");
    es.expect("reload", TIMEOUT);
    server.shutdown().unwrap();
}

#[test]
fn polling_watcher_picks_up_changes() {
    let (_tmp, root) = fixture("basic");
    let server = serve_with(&root, ServeOptions { poll: true, ..Default::default() });
    let mut es = events(server.addr());
    write(&root, "content/notes.txt", "polled\n");
    es.expect("reload", TIMEOUT);
    assert_eq!(get(server.addr(), "/kbarchive/notes.txt").text(), "polled\n");
    server.shutdown().unwrap();
}

/// Requests that try to leave the output folder, as raw request targets (clients would
/// normalise them). `secret.txt` sits in the site root, right beside the output folder.
const HOSTILE: &[&str] = &[
    "{b}/../secret.txt",
    "{b}/../../secret.txt",
    "{b}/%2e%2e/secret.txt",
    "{b}/%2E%2E/secret.txt",
    "{b}/.%2e/secret.txt",
    "{b}/%2e./secret.txt",
    "{b}/..%2fsecret.txt",
    "{b}/..%2Fsecret.txt",
    "{b}/%2e%2e%2fsecret.txt",
    "{b}/%2e%2e%2Fsecret.txt",
    "{b}/..%5csecret.txt",
    "{b}/..%5Csecret.txt",
    "{b}/%2e%2e%5csecret.txt",
    "{b}/..\\secret.txt",
    "{b}/kb\\..\\..\\secret.txt",
    "{b}/kb/../../secret.txt",
    "{b}/kb/%2e%2e/%2e%2e/secret.txt",
    "{b}/%252e%252e/secret.txt",
    "{b}//../secret.txt",
    "{b}/./../secret.txt",
    "{b}/%c0%ae%c0%ae/secret.txt",
    "{b}/..;/secret.txt",
    "{b}/secret.txt%00.html",
    "{b}/%00/../secret.txt",
    "{b}/leak.txt",
    "{b}/leakdir/secret.txt",
    "{b}/leakdir/",
    "{b}/{root}/secret.txt",
    "{b}/%2f{root}/secret.txt",
    "{b}/..",
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "//secret.txt",
    "{root}/secret.txt",
    "http://127.0.0.1{b}/../secret.txt",
    "http://127.0.0.1{b}/%2e%2e/secret.txt",
];

#[cfg(unix)]
#[test]
fn traversal_requests_never_reach_files_outside_the_output() {
    for baseurl in ["/kbarchive", ""] {
        let (_tmp, root) = fixture("basic");
        let secret = "TOP-SECRET-4f7c1a";
        write(&root, "secret.txt", secret);
        let overrides = Overrides { baseurl: Some(baseurl.into()), ..Default::default() };
        let server = serve_with(&root, ServeOptions { overrides, ..Default::default() });
        // Symlinks inside the output that point out of it.
        let out = root.join("public");
        std::os::unix::fs::symlink(root.join("secret.txt"), out.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink(&root, out.join("leakdir")).unwrap();
        let root_text = std::fs::canonicalize(&root).unwrap().display().to_string();

        for pattern in HOSTILE {
            let target = pattern.replace("{b}", baseurl).replace("{root}", &root_text);
            let r = request(server.addr(), "GET", &target);
            assert!(matches!(r.status, 400 | 403 | 404), "{target:?} → {}", r.status);
            assert!(!r.text().contains(secret), "{target:?} leaked the secret");
        }
        // Control: the file inside is served.
        assert_eq!(get(server.addr(), &format!("{baseurl}/notes.txt")).status, 200);
        server.shutdown().unwrap();
    }
}

#[test]
fn shutdown_ends_event_streams_promptly() {
    let (_tmp, root) = fixture("basic");
    let server = serve(&root);
    let mut es = events(server.addr());
    let started = Instant::now();
    server.shutdown().unwrap();
    assert!(es.ends_within(Duration::from_secs(5)), "the stream ends");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
}

#[test]
fn a_first_build_that_fails_still_serves_and_recovers() {
    let (_tmp, root) = fixture("basic");
    let good = read(&root, ARTICLE_SRC);
    write(&root, ARTICLE_SRC, "---\ntitle: [bad\n---\n");
    let server = serve(&root);
    let addr = server.addr();
    // No site yet: a 404 that still carries the script, and the error for new pages.
    let r = get(addr, ARTICLE);
    assert_eq!(r.status, 404);
    assert!(r.text().contains("/__kbsite/events"));
    let mut es = EventStream::connect(addr);
    es.expect("hello", TIMEOUT);
    assert!(es.expect("error", TIMEOUT).data.contains("README.md"));
    write(&root, ARTICLE_SRC, &good);
    es.expect("reload", TIMEOUT);
    eventually(TIMEOUT, "the article", || (get(addr, ARTICLE).status == 200).then_some(()));
    server.shutdown().unwrap();
}

/// The command itself: prints the URL, serves, and stops cleanly on Ctrl-C (SIGINT).
#[cfg(unix)]
#[test]
fn the_serve_command_prints_its_url_and_stops_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let (_tmp, root) = fixture("basic");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kbsite"))
        .args(["serve", "--port", "0", "--root"])
        .arg(&root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let url = loop {
        let line = rx.recv_timeout(TIMEOUT).expect("the command prints its URL");
        if let Some(rest) = line.strip_prefix("serving ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/kbarchive/"), "{url}");
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").trim_end_matches("/kbarchive/").parse().unwrap();
    assert_eq!(get(addr, ARTICLE).status, 200);
    let _es = events(addr);

    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + TIMEOUT;
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not stop on SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(), "port closed");
}

#[test]
fn the_search_index_follows_the_pages_and_then_every_edit() {
    let (_tmp, root) = fixture("basic");
    let server = serve(&root);
    let addr = server.addr();
    // Pages and the search client are there from the start; the index is made next, on the
    // rebuild thread (at archive scale, seconds after serving begins).
    assert_eq!(get(addr, ARTICLE).status, 200);
    assert_eq!(get(addr, "/kbarchive/search/search.js").status, 200);
    let finds = |word: &str| {
        let index = kbsite::search::SearchIndex::open(&root.join("public/search")).ok()?;
        let hits = index.search(word, &Default::default()).ok()?;
        hits.iter().any(|h| index.doc(h.doc).is_ok_and(|d| d.url.ends_with("/kb/001/Q1001/"))).then_some(())
    };
    eventually(TIMEOUT, "the search index", || {
        (get(addr, "/kbarchive/search/manifest.json").status == 200).then_some(())
    });
    eventually(TIMEOUT, "the article found by its text", || finds("literal"));
    assert!(finds("zebrafish").is_none());

    let text = read(&root, ARTICLE_SRC);
    write(&root, ARTICLE_SRC, &text.replace("After the block.", "After the block, a zebrafish."));
    eventually(TIMEOUT, "the edited text found", || finds("zebrafish"));
    server.shutdown().unwrap();
}
