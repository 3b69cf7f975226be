//! The search page in a real browser: builds the bundled demo site under a baseurl and runs
//! `tests/browser/search.mjs` (Node + playwright-core driving Chromium) against it.
//!
//! Needs Chromium (`/usr/bin/chromium`, or `$CHROMIUM`), `node`, and
//! `npm ci --prefix tests/browser`; without them the test prints why and skips.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kbsite::build::{build, BuildOptions};
use kbsite::config::{Overrides, SiteConfig};

const BASEURL: &str = "/kbarchive";
const TIMEOUT: Duration = Duration::from_secs(120);

/// Why the browser test cannot run here, if it cannot.
fn missing_prerequisite(repo: &Path, chromium: &Path) -> Option<String> {
    if !chromium.is_file() {
        return Some(format!(
            "no Chromium at {} (install it, e.g. `apt-get install chromium`, or set CHROMIUM)",
            chromium.display()
        ));
    }
    let node = Command::new("node").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if !node.is_ok_and(|s| s.success()) {
        return Some("`node` is not on PATH (install Node.js 20 or later)".into());
    }
    if !repo.join("tests/browser/node_modules/playwright-core").is_dir() {
        return Some(
            "tests/browser/node_modules/playwright-core is missing: run `npm ci --prefix tests/browser`".into(),
        );
    }
    None
}

#[test]
fn search_page_works_in_chromium() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if let Some(why) = missing_prerequisite(repo, &chromium) {
        eprintln!("SKIPPED: browser search test: {why}");
        return;
    }

    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let overrides = Overrides { output: Some(site.clone()), baseurl: Some(BASEURL.into()) };
    let config = SiteConfig::load(repo, &overrides).unwrap();
    build(&config, &BuildOptions { quiet: true, ..Default::default() }).unwrap();
    let built = started.elapsed();

    let mut child = Command::new("node")
        .arg(repo.join("tests/browser/search.mjs"))
        .current_dir(repo)
        .env("SITE_DIR", &site)
        .env("BASEURL", BASEURL)
        .env("CHROMIUM", &chromium)
        .env("TEST_TIMEOUT_MS", (TIMEOUT - Duration::from_secs(20)).as_millis().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("failed to start node");
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = stdout.join().unwrap();
    let err = stderr.join().unwrap();
    println!("{out}");
    if !err.is_empty() {
        eprintln!("{err}");
    }
    println!("browser search test: site built in {:.1?}, whole test {:.1?}", built, started.elapsed());
    match status {
        None => panic!("tests/browser/search.mjs did not finish within {TIMEOUT:?}"),
        Some(s) => assert!(s.success(), "tests/browser/search.mjs failed ({s}):\n{out}\n{err}"),
    }
}

/// Reads a child's pipe to the end on its own thread, so a full pipe never blocks it.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}
