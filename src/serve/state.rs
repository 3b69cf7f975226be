//! Serve-mode state: what the rebuild side owns ([`ServeState`]), what it shares with the HTTP
//! side ([`Shared`]), and the one function that rebuilds the site after a change ([`rebuild`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch};

use super::watch::ChangeSet;
use crate::build::{build_keeping, BuildOptions};
use crate::config::{Overrides, SiteConfig};
use crate::diagnostics::{BuildFailed, Diagnostic};
use crate::incremental::{Changed, LiveSite};

/// The live-reload script, added before `</body>` of every HTML page `serve` sends (never to the
/// files it writes: those are the site as `kbsite build` makes it, ready to publish).
pub const LIVE_RELOAD_JS: &str = include_str!("livereload.js");

/// The `<script>` element added to served pages.
pub fn inject_script() -> &'static str {
    static SCRIPT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| format!("<script>{}</script>", LIVE_RELOAD_JS.trim_end()))
}

/// What open pages are told, over `/__kbsite/events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// A build succeeded: reload.
    Reload,
    /// A build failed: show this text (the last good site is still served).
    Error(String),
}

/// Where the site being served is (changes only when a build with a new `site.toml` succeeds).
#[derive(Debug, Clone)]
pub struct SiteView {
    pub output: PathBuf,
    pub baseurl: String,
}

/// The outcome of the latest build.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Successful builds so far; pages compare it to notice they are stale.
    pub generation: u64,
    /// The last build's error text, while the site is broken.
    pub error: Option<String>,
}

/// State shared by the rebuild thread and the HTTP handlers; owned by one server.
pub struct Shared {
    pub site: RwLock<SiteView>,
    pub status: Mutex<Status>,
    pub events: broadcast::Sender<LiveEvent>,
    /// Differs per server process, so pages notice a restart.
    pub instance: String,
    /// Becomes `true` when the server stops (ends open event streams).
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub fn new(site: SiteView, shutdown: watch::Receiver<bool>) -> Shared {
        let (events, _) = broadcast::channel(16);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        Shared {
            site: RwLock::new(site),
            status: Mutex::new(Status::default()),
            events,
            instance: format!("{:x}-{:x}", std::process::id(), nanos & 0xffff_ffff_ffff),
            shutdown,
        }
    }

    pub fn site(&self) -> SiteView {
        self.site.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn status(&self) -> Status {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_status(&self, f: impl FnOnce(&mut Status)) {
        f(&mut self.status.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// Everything the rebuild side needs; owned by the watcher thread.
pub struct ServeState {
    pub root: PathBuf,
    pub overrides: Overrides,
    pub config: SiteConfig,
    /// No messages on success (errors are always printed).
    pub quiet: bool,
    pub shared: Arc<Shared>,
    /// The last successful build, kept to rebuild incrementally; `None` until a full build
    /// succeeds (and after `site.toml` changes).
    pub site: Option<LiveSite>,
}

impl ServeState {
    /// A state for the site at `root`, not built yet, with its own [`Shared`] (for embedders
    /// and tests that drive [`rebuild`] themselves).
    pub fn new(root: &Path, overrides: Overrides, quiet: bool) -> anyhow::Result<ServeState> {
        let root = std::fs::canonicalize(root)?;
        let config = SiteConfig::load(&root, &overrides)?;
        let (_stop, stopped) = watch::channel(false);
        let view = SiteView { output: config.output.clone(), baseurl: config.baseurl.clone() };
        Ok(ServeState { root, overrides, config, quiet, shared: Arc::new(Shared::new(view, stopped)), site: None })
    }
}

/// What one [`rebuild`] did.
#[derive(Debug, Default)]
pub struct Rebuild {
    /// A full build: the first one, after `site.toml` changed, or while no build has succeeded.
    pub full: bool,
    pub pages: usize,
    pub files: usize,
    /// Files a full build kept from serve's previous full build of this output folder.
    pub kept: u64,
    /// Outputs an incremental rebuild wrote (rendered or copied) and deleted; empty for a full
    /// build, which writes everything.
    pub written: Vec<String>,
    pub deleted: Vec<String>,
    pub warnings: Vec<Diagnostic>,
    /// Time per stage of an incremental rebuild (`read`, `place`, `update`, `plan`, `render`,
    /// `write`), or of the full build.
    pub stages: Vec<(&'static str, Duration)>,
    /// From the start of the rebuild to the `reload` event.
    pub reload_after: Duration,
    /// How long rebuilding the search index after the reload took, when it was rebuilt.
    pub search: Option<Duration>,
}

/// Rebuilds the site after `changes`, then tells open pages: `reload` on success, `error` with
/// the text on failure (the previous output stays in place and keeps being served).
///
/// This is the single place serve mode builds. The first build, and any after `site.toml`
/// changed or while no build has succeeded yet, is a full [`build`](crate::build::build); later ones are incremental
/// ([`LiveSite::update`]): only outputs whose inputs changed are rewritten, and the search index
/// is rebuilt after the reload event.
pub fn rebuild(state: &mut ServeState, changes: &ChangeSet) -> Result<Rebuild, String> {
    rebuild_with(state, changes, &mut || false)
}

/// [`rebuild`]; the search index rebuild that follows stops early (and stays pending) when
/// `interrupted` says more changes are waiting.
pub fn rebuild_with(
    state: &mut ServeState,
    changes: &ChangeSet,
    interrupted: &mut dyn FnMut() -> bool,
) -> Result<Rebuild, String> {
    let mut outcome = rebuild_pages(state, changes)?;
    outcome.search = update_search_index(state, interrupted);
    Ok(outcome)
}

/// [`rebuild`] without the search index: the pages are rebuilt and open pages told, and the
/// index, when a page's entry changed (or the full build could not keep it), is left pending
/// for [`update_search_index`]. `kbsite serve` starts serving after this.
pub fn rebuild_pages(state: &mut ServeState, changes: &ChangeSet) -> Result<Rebuild, String> {
    let started = Instant::now();
    if changes.config {
        match SiteConfig::load(&state.root, &state.overrides) {
            Ok(config) => {
                state.config = config;
                state.site = None;
            }
            Err(e) => return Err(fail(state, format!("error: {e:#}"))),
        }
    }
    // An output folder removed behind our back needs everything written again.
    let output_there = state.config.output.is_dir();
    let mut outcome = match state.site.as_mut() {
        Some(site) if !changes.full && output_there => {
            let changed = Changed {
                content: changes.content.iter().cloned().collect(),
                templates: changes.templates.iter().cloned().collect(),
                statics: changes.statics.iter().cloned().collect(),
            };
            match site.update(&state.config, &changed) {
                Ok(r) => Rebuild {
                    full: false,
                    pages: r.pages,
                    files: r.assets,
                    written: r.written,
                    deleted: r.deleted,
                    warnings: r.warnings,
                    stages: r.stages,
                    ..Rebuild::default()
                },
                Err(e) => return Err(fail(state, describe_error(&e, &state.root))),
            }
        }
        _ => {
            // Drop the kept site first: a full build must not hold two copies in memory.
            state.site = None;
            let opts = BuildOptions { quiet: true, live: true, defer_search: true, ..Default::default() };
            match build_keeping(&state.config, &opts) {
                Ok((report, prepared)) => {
                    let outcome = Rebuild {
                        full: true,
                        pages: report.pages,
                        files: report.assets,
                        kept: report.files_kept,
                        warnings: report.warnings.clone(),
                        stages: report.stages.clone(),
                        ..Rebuild::default()
                    };
                    state.site = Some(LiveSite::from_build(&state.config, prepared, &report, opts));
                    outcome
                }
                Err(e) => return Err(fail(state, describe_error(&e, &state.root))),
            }
        }
    };
    let shared = &state.shared;
    // A round that wrote and deleted nothing (a save without changes, the second watcher batch
    // of one change) leaves open pages as they are, unless they show the last build's error.
    let unchanged = !outcome.full && outcome.written.is_empty() && outcome.deleted.is_empty();
    if !unchanged || shared.status().error.is_some() {
        *shared.site.write().unwrap_or_else(|e| e.into_inner()) =
            SiteView { output: state.config.output.clone(), baseurl: state.config.baseurl.clone() };
        shared.set_status(|s| {
            s.generation += 1;
            s.error = None;
        });
        let _ = shared.events.send(LiveEvent::Reload);
    }
    outcome.reload_after = started.elapsed();
    if !state.quiet {
        for w in &outcome.warnings {
            eprintln!("{}", relative_diagnostic(&w.to_string(), &state.root));
        }
        match outcome.full {
            true => println!(
                "built {} pages and {} files in {} ms{}",
                outcome.pages,
                outcome.files,
                outcome.reload_after.as_millis(),
                match outcome.kept {
                    0 => String::new(),
                    n => format!(" ({n} output files kept from the last run)"),
                }
            ),
            false => println!(
                "rebuilt {} and deleted {} of {} pages and {} files in {} ms",
                count(outcome.written.len(), "output"),
                outcome.deleted.len(),
                outcome.pages,
                outcome.files,
                outcome.reload_after.as_millis()
            ),
        }
    }
    Ok(outcome)
}

/// Whether the search index is older than the pages (see [`update_search_index`]).
pub fn search_pending(state: &ServeState) -> bool {
    state.site.as_ref().is_some_and(|s| s.search_stale())
}

/// Makes the search index again when it is older than the pages: after an incremental round
/// that changed a page's entry, and after a full build that could not keep it. Stops early (the
/// index staying pending) when `interrupted` says more changes are waiting. Returns how long it
/// took when it was made. Open pages are not reloaded: the index is fetched per query.
pub fn update_search_index(state: &mut ServeState, interrupted: &mut dyn FnMut() -> bool) -> Option<Duration> {
    let site = state.site.as_mut().filter(|s| s.search_stale())?;
    let started = Instant::now();
    match site.rebuild_search(&state.config, interrupted) {
        Ok(Some(stats)) => {
            if !state.quiet {
                let reused = match stats.reused_docs {
                    0 => String::new(),
                    n => format!(" ({n} of {} documents' terms reused)", stats.docs),
                };
                println!("search index made in {} ms{reused}", started.elapsed().as_millis());
            }
            Some(started.elapsed())
        }
        Ok(None) => None,
        Err(e) => {
            eprintln!("warning: the search index was not rebuilt: {e:#}");
            None
        }
    }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn fail(state: &ServeState, text: String) -> String {
    eprintln!("{text}");
    if !state.quiet {
        eprintln!("(still serving the last good build; fix the file and it rebuilds)");
    }
    state.shared.set_status(|s| s.error = Some(text.clone()));
    let _ = state.shared.events.send(LiveEvent::Error(text.clone()));
    text
}

/// A failed build as the terminal and the overlay show it: every error, paths relative to the
/// site root.
pub fn describe_error(e: &anyhow::Error, root: &Path) -> String {
    match e.downcast_ref::<BuildFailed>() {
        Some(failed) => relative_diagnostic(&failed.to_string(), root),
        None => format!("error: {e:#}"),
    }
}

fn relative_diagnostic(text: &str, root: &Path) -> String {
    let prefix = format!("{}/", root.display());
    text.replace(&prefix, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Diagnostic;

    #[test]
    fn errors_name_files_relative_to_the_root() {
        let e: anyhow::Error =
            BuildFailed { errors: vec![Diagnostic::error("/site/content/a.md", Some(2), "bad YAML")] }.into();
        let text = describe_error(&e, Path::new("/site"));
        assert_eq!(text, "build failed with 1 error:\n  error: content/a.md:2: bad YAML");
        let other = anyhow::anyhow!("disk full").context("failed to write `x`");
        assert_eq!(describe_error(&other, Path::new("/site")), "error: failed to write `x`: disk full");
    }

    #[test]
    fn the_script_is_one_inline_element() {
        let s = inject_script();
        assert!(s.starts_with("<script>") && s.ends_with("</script>"));
        assert_eq!(s.matches("</script>").count(), 1);
        assert!(s.contains("/__kbsite/events"));
    }
}
