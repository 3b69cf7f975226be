//! `kbsite serve`: build, serve the output under the baseurl, watch the sources, rebuild on
//! change and reload open pages.
//!
//! Three parts, each in its own thread: the HTTP server (axum on a tokio runtime, [`http`]),
//! the watcher's debouncer (notify), and the rebuild loop that owns the [`ServeState`] and calls
//! [`rebuild`]. They share one [`state::Shared`]: where the site is, the last build's outcome,
//! and a broadcast channel of live-reload events.

pub mod http;
pub mod resolve;
pub mod state;
pub mod watch;

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::sync::watch as tokio_watch;

use crate::config::{Overrides, SiteConfig};
pub use state::{rebuild, rebuild_pages, rebuild_with, search_pending, update_search_index, Rebuild, ServeState};
pub use watch::{classify, ChangeKind, ChangeSet};
use watch::{FsWatcher, WatchMsg};

/// How `serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Folder holding `site.toml`.
    pub root: PathBuf,
    pub overrides: Overrides,
    pub bind: IpAddr,
    /// `0` picks a free port (see [`ServeHandle::addr`]).
    pub port: u16,
    /// Use notify's polling watcher instead of native events.
    pub poll: bool,
    /// Quiet period before a burst of changes triggers a rebuild.
    pub debounce: Duration,
    /// No messages except errors.
    pub quiet: bool,
    /// Stop on Ctrl-C (the command does; embedders and tests stop through the handle).
    pub ctrl_c: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            root: PathBuf::from("."),
            overrides: Overrides::default(),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 4000,
            poll: false,
            debounce: Duration::from_millis(100),
            quiet: false,
            ctrl_c: false,
        }
    }
}

/// A running server. Dropping it stops the server too.
pub struct ServeHandle {
    addr: SocketAddr,
    url: String,
    stop: tokio_watch::Sender<bool>,
    watch_tx: Sender<WatchMsg>,
    server: Option<JoinHandle<Result<()>>>,
    rebuilder: Option<JoinHandle<()>>,
}

impl ServeHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The site's URL, baseurl included (`http://127.0.0.1:4000/kbarchive/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops serving: open event streams end, in-flight requests finish, threads are joined.
    pub fn shutdown(mut self) -> Result<()> {
        let _ = self.stop.send(true);
        self.join()
    }

    /// Blocks until the server stops (with [`ServeOptions::ctrl_c`], on Ctrl-C).
    pub fn wait(mut self) -> Result<()> {
        self.join()
    }

    fn join(&mut self) -> Result<()> {
        let result = match self.server.take() {
            Some(t) => t.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the server thread panicked"))),
            None => Ok(()),
        };
        let _ = self.watch_tx.send(WatchMsg::Stop);
        if let Some(t) = self.rebuilder.take() {
            // A rebuild in progress is given a few seconds; past that the process may exit
            // under it (the build writes to a staging folder, so nothing is left half-written).
            let deadline = Instant::now() + Duration::from_secs(5);
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
        result
    }
}

impl Drop for ServeHandle {
    fn drop(&mut self) {
        if self.server.is_some() {
            let _ = self.stop.send(true);
            let _ = self.join();
        }
    }
}

/// Loads the site, starts watching, builds once, and serves in background threads.
/// A failed first build still starts the server (pages show the error and recover on a fix);
/// an unreadable `site.toml` or a port in use is an error.
pub fn start(opts: ServeOptions) -> Result<ServeHandle> {
    let root = std::fs::canonicalize(&opts.root)
        .with_context(|| format!("site folder `{}` does not exist", opts.root.display()))?;
    let config = SiteConfig::load(&root, &opts.overrides)?;
    let listener = TcpListener::bind((opts.bind, opts.port))
        .with_context(|| format!("cannot listen on {}", SocketAddr::new(opts.bind, opts.port)))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    if !opts.bind.is_loopback() {
        eprintln!(
            "warning: listening on {addr}: the site and its live-reload endpoints are reachable from other machines"
        );
    }

    let (stop, stop_rx) = tokio_watch::channel(false);
    let shared = Arc::new(state::Shared::new(
        state::SiteView { output: config.output.clone(), baseurl: config.baseurl.clone() },
        stop_rx,
    ));
    let (watch_tx, watch_rx) = mpsc::channel();
    let mut watcher = FsWatcher::new(watch_tx.clone(), opts.debounce, opts.poll)?;
    // The source folder is watched once serving has started (see `CatchUp`); the rest now.
    // The polling watcher's first scan of a folder is what it compares later scans with, so it
    // takes everything now.
    let catch_up = CatchUp { since: watch::file_clock_now() };
    let plan = watch::watch_plan(&config);
    let (now, later) = if opts.poll { (plan, Default::default()) } else { watch::split_plan(plan, &config.source) };
    let catch_up = (!later.is_empty()).then_some(catch_up);
    for problem in watcher.sync(&now) {
        eprintln!("warning: {problem}{}", if opts.poll { "" } else { " (try --poll)" });
    }

    let mut serve_state = ServeState {
        root: root.clone(),
        overrides: opts.overrides.clone(),
        config,
        quiet: opts.quiet,
        shared: shared.clone(),
        site: None,
    };
    // Serving starts with the pages; the search index, when the build could not keep it, is
    // made on the rebuild thread next (seconds at archive scale, as after an edit).
    let _ = rebuild_pages(&mut serve_state, &ChangeSet::everything());
    let url = site_url(addr, &serve_state.config.baseurl);

    let rebuilder = std::thread::Builder::new()
        .name("kbsite-rebuild".into())
        .spawn(move || rebuild_loop(serve_state, watcher, watch_rx, catch_up))?;
    let server_stop = stop.clone();
    let ctrl_c = opts.ctrl_c;
    let server = std::thread::Builder::new()
        .name("kbsite-http".into())
        .spawn(move || serve_http(listener, shared, server_stop, ctrl_c))?;

    Ok(ServeHandle { addr, url, stop, watch_tx, server: Some(server), rebuilder: Some(rebuilder) })
}

/// The command: start, print the URL, open a browser if asked, serve until Ctrl-C.
pub fn run(mut opts: ServeOptions, open: bool) -> Result<()> {
    opts.ctrl_c = true;
    let quiet = opts.quiet;
    let handle = start(opts)?;
    if !quiet {
        println!("serving {}  (Ctrl-C to stop)", handle.url());
    }
    if open {
        open_browser(handle.url());
    }
    handle.wait()?;
    if !quiet {
        println!("stopped");
    }
    Ok(())
}

/// `http://127.0.0.1:4000/kbarchive/`; a wildcard bind address is shown as loopback.
fn site_url(addr: SocketAddr, baseurl: &str) -> String {
    let mut shown = addr;
    if addr.ip().is_unspecified() {
        shown.set_ip(if addr.is_ipv4() { Ipv4Addr::LOCALHOST.into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    format!("http://{shown}{baseurl}/")
}

/// Opens `url` in the desktop's browser; failure is only reported.
fn open_browser(url: &str) {
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    cmd.arg(url).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
    cmd.stderr(std::process::Stdio::null());
    if let Err(e) = cmd.spawn() {
        eprintln!("note: could not open a browser ({e}); open {url} yourself");
    }
}

/// The source folder's watches, left to the rebuild thread: an archive's source folder has
/// tens of thousands of folders, each a watch to add (~1.8 s at 60,000 articles), which would
/// delay serving. Once they are in place, what changed since `since` (taken before the first
/// build read anything) and was not seen by a watch yet is found with [`watch::changed_since`]
/// and rebuilt like any change.
struct CatchUp {
    since: std::time::SystemTime,
}

impl CatchUp {
    /// Watches everything the plan lists, then returns what changed meanwhile, as a message.
    fn run(self, state: &ServeState, watcher: &mut FsWatcher) -> Option<WatchMsg> {
        let plan = watch::watch_plan(&state.config);
        for problem in watcher.sync(&plan) {
            eprintln!("warning: {problem} (try --poll)");
        }
        let (_, later) = watch::split_plan(plan, &state.config.source);
        // After a failed first build no file is known: a deletion that fixes it is noticed
        // with the next change.
        let known = state.site.iter().flat_map(|site| site.source_files());
        let changed = watch::changed_since(&later, self.since, known);
        (!changed.is_empty()).then_some(WatchMsg::CaughtUp(changed))
    }
}

/// Rebuilds on every batch of relevant changes until told to stop.
fn rebuild_loop(mut state: ServeState, mut watcher: FsWatcher, rx: Receiver<WatchMsg>, catch_up: Option<CatchUp>) {
    // Messages taken from the channel while the search index was being rebuilt.
    let mut queued: VecDeque<WatchMsg> = VecDeque::new();
    if let Some(missed) = catch_up.and_then(|c| c.run(&state, &mut watcher)) {
        queued.push_back(missed);
    }
    loop {
        // A search index left pending (the first build's, or one cut short by changes already
        // handled) is made while nothing waits; a relevant change (or stop) cuts it short.
        if queued.is_empty() && search_pending(&state) {
            let config = state.config.clone();
            update_search_index(&mut state, &mut interruption(&rx, &mut queued, &config));
        }
        let Some(msg) = queued.pop_front().or_else(|| rx.recv().ok()) else { return };
        let mut paths = Vec::new();
        let mut next = Some(msg);
        // Take everything already queued, so one burst of saves is one rebuild.
        while let Some(msg) = next.take().or_else(|| queued.pop_front()).or_else(|| rx.try_recv().ok()) {
            match msg {
                WatchMsg::Stop => return,
                WatchMsg::Fs(Ok(events)) => paths.extend(events.into_iter().flat_map(|e| e.event.paths)),
                WatchMsg::CaughtUp(missed) => paths.extend(missed),
                WatchMsg::Fs(Err(errors)) => {
                    for e in errors {
                        eprintln!("warning: file watcher: {e}");
                    }
                }
            }
        }
        let changes = classify(&paths, &state.config);
        if changes.is_empty() {
            continue;
        }
        if !state.quiet {
            let mut names: Vec<String> =
                changes.paths().map(|p| p.strip_prefix(&state.root).unwrap_or(p).display().to_string()).collect();
            if changes.config {
                names.push("site.toml".into());
            }
            let more = names.len().saturating_sub(3);
            names.truncate(3);
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            println!("changed: {}{more}", names.join(", "));
        }
        // The search index is rebuilt after the reload; a relevant change (or stop) arriving
        // meanwhile cuts it short, and the next rebuild does it again.
        let config = state.config.clone();
        let _ = rebuild_with(&mut state, &changes, &mut interruption(&rx, &mut queued, &config));
        for problem in watcher.sync(&watch::watch_plan(&state.config)) {
            eprintln!("warning: {problem}");
        }
    }
}

/// Whether work in progress should stop because more waits: moves the messages that arrived
/// meanwhile to `queued` (handled next), and says yes once one is a relevant change or stop.
fn interruption<'a>(
    rx: &'a Receiver<WatchMsg>,
    queued: &'a mut VecDeque<WatchMsg>,
    config: &'a SiteConfig,
) -> impl FnMut() -> bool + 'a {
    let mut urgent = false;
    move || {
        while let Ok(msg) = rx.try_recv() {
            urgent |= match &msg {
                WatchMsg::Stop => true,
                WatchMsg::Fs(Ok(events)) => !classify(events.iter().flat_map(|e| &e.paths), config).is_empty(),
                WatchMsg::CaughtUp(paths) => !classify(paths, config).is_empty(),
                WatchMsg::Fs(Err(_)) => false,
            };
            queued.push_back(msg);
        }
        urgent
    }
}

/// Runs the HTTP server until `stop` becomes true (or Ctrl-C, when asked to handle it).
fn serve_http(
    listener: TcpListener,
    shared: Arc<state::Shared>,
    stop: tokio_watch::Sender<bool>,
    ctrl_c: bool,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("kbsite-http")
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let app = http::router(shared);
        let mut stopped = stop.subscribe();
        if ctrl_c {
            let stop = stop.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("\nstopping…");
                    let _ = stop.send(true);
                    // A second Ctrl-C does not wait for anything.
                    if tokio::signal::ctrl_c().await.is_ok() {
                        std::process::exit(130);
                    }
                }
            });
        }
        let mut grace = stopped.clone();
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|s| *s).await;
        });
        // Graceful: stop accepting, end event streams, let requests finish; give up after a while.
        tokio::select! {
            r = server => r.context("the HTTP server failed"),
            _ = async {
                let _ = grace.wait_for(|s| *s).await;
                tokio::time::sleep(Duration::from_secs(3)).await;
            } => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caught_up(state: &ServeState, since: std::time::SystemTime) -> Option<Vec<PathBuf>> {
        let (tx, _rx) = mpsc::channel();
        let mut watcher = FsWatcher::new(tx, Duration::from_millis(50), false).unwrap();
        match (CatchUp { since }).run(state, &mut watcher) {
            Some(WatchMsg::CaughtUp(paths)) => Some(paths),
            Some(_) => panic!("not a catch-up message"),
            None => None,
        }
    }

    #[test]
    fn the_catch_up_finds_what_changed_during_the_first_build_and_nothing_before_it() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        std::fs::write(root.join("site.toml"), "title = \"T\"\n").unwrap();
        std::fs::create_dir_all(root.join("content/kb")).unwrap();
        let (edited, removed) = (root.join("content/kb/a.md"), root.join("content/kb/b.md"));
        std::fs::write(&edited, "---\ntitle: A\n---\nA\n").unwrap();
        std::fs::write(&removed, "---\ntitle: B\n---\nB\n").unwrap();
        // Sources written just before serve starts (a checkout, a copy) are the build's.
        std::thread::sleep(Duration::from_millis(30));
        let since = watch::file_clock_now();
        let mut state = ServeState::new(&root, Overrides::default(), true).unwrap();
        rebuild_pages(&mut state, &ChangeSet::everything()).unwrap();
        assert_eq!(caught_up(&state, since), None);

        // Saved after the build read it, deleted, and added, all before the source folder is
        // watched: each is reported once it is.
        std::fs::write(&edited, "---\ntitle: A\n---\nA, edited\n").unwrap();
        std::fs::remove_file(&removed).unwrap();
        let added = root.join("content/kb/c.md");
        std::fs::write(&added, "---\ntitle: C\n---\nC\n").unwrap();
        assert_eq!(caught_up(&state, since), Some(vec![edited, removed, added]));
    }

    #[test]
    fn urls_carry_the_baseurl_and_a_usable_host() {
        assert_eq!(site_url("127.0.0.1:4000".parse().unwrap(), "/kbarchive"), "http://127.0.0.1:4000/kbarchive/");
        assert_eq!(site_url("0.0.0.0:80".parse().unwrap(), ""), "http://127.0.0.1:80/");
        assert_eq!(site_url("[::]:4000".parse().unwrap(), ""), "http://[::1]:4000/");
    }
}
