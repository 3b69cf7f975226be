//! File watching: which folders to watch, and what a batch of changed paths means.
//!
//! Events come debounced from `notify-debouncer-full` (native events, or notify's `PollWatcher`
//! with `--poll`) and are sorted by [`classify`] into a [`ChangeSet`]. The output folder and its
//! `.kbsite-*` siblings are never watched where avoidable ([`watch_plan`]) and always ignored.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use notify::{EventKindMask, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer_opt, DebounceEventResult, Debouncer, NoCache};

use crate::config::SiteConfig;

/// The kinds of change a rebuild may treat differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A file under `source`.
    Content,
    /// A layout under `templates/`.
    Template,
    /// A file under `static/`.
    Static,
    /// `site.toml`.
    Config,
}

/// Changed paths sorted by kind; each list sorted and without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// Rebuild everything (the first build); the lists are empty then.
    pub full: bool,
    pub content: Vec<PathBuf>,
    pub templates: Vec<PathBuf>,
    pub statics: Vec<PathBuf>,
    pub config: bool,
}

impl ChangeSet {
    /// Everything changed (the first build, or "rebuild all").
    pub fn everything() -> Self {
        ChangeSet { full: true, ..Default::default() }
    }

    pub fn is_empty(&self) -> bool {
        !self.full && self.content.is_empty() && self.templates.is_empty() && self.statics.is_empty() && !self.config
    }

    pub fn kinds(&self) -> Vec<ChangeKind> {
        let mut kinds = Vec::new();
        if !self.content.is_empty() {
            kinds.push(ChangeKind::Content);
        }
        if !self.templates.is_empty() {
            kinds.push(ChangeKind::Template);
        }
        if !self.statics.is_empty() {
            kinds.push(ChangeKind::Static);
        }
        if self.config {
            kinds.push(ChangeKind::Config);
        }
        kinds
    }

    /// Every changed path, for messages.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.content.iter().chain(&self.templates).chain(&self.statics).map(PathBuf::as_path)
    }
}

/// Sorts changed paths (absolute, as the watcher reports them) into kinds, dropping what must
/// not trigger a rebuild: the output folder and its `.kbsite-*` siblings, `.git`, editor
/// temporary files, and anything outside the site's folders.
pub fn classify<I, P>(paths: I, config: &SiteConfig) -> ChangeSet
where
    I: IntoIterator<Item = P>,
    P: AsRef<Path>,
{
    let mut set = ChangeSet::default();
    let site_toml = config.root.join("site.toml");
    for path in paths {
        let path = path.as_ref();
        if is_output(path, &config.output) || in_git(path, &config.root) || is_editor_temp(path) {
            continue;
        }
        if path == site_toml {
            set.config = true;
        } else if path.starts_with(&config.templates_dir) {
            set.templates.push(path.to_path_buf());
        } else if path.starts_with(&config.static_dir) {
            set.statics.push(path.to_path_buf());
        } else if path.starts_with(&config.source) {
            set.content.push(path.to_path_buf());
        }
    }
    for list in [&mut set.content, &mut set.templates, &mut set.statics] {
        list.sort();
        list.dedup();
    }
    set
}

/// Inside the output folder or one of its `<output>.kbsite-*` siblings (staging, old copy).
fn is_output(path: &Path, output: &Path) -> bool {
    if path.starts_with(output) {
        return true;
    }
    let (Some(parent), Some(name)) = (output.parent(), output.file_name()) else {
        return false;
    };
    let Ok(rel) = path.strip_prefix(parent) else {
        return false;
    };
    let Some(first) = rel.components().next() else {
        return false;
    };
    let prefix = format!("{}.kbsite-", name.to_string_lossy());
    first.as_os_str().to_string_lossy().starts_with(&prefix)
}

fn in_git(path: &Path, root: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().any(|c| c.as_os_str() == OsStr::new(".git"))
}

/// Backup and swap files of common editors: `x~`, vim's `.x.swp`/`.swo`/`.swx` and its `4913`
/// write probe, emacs' `.#x` locks and `#x#` autosaves, JetBrains' safe-write copies.
fn is_editor_temp(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    name.ends_with('~')
        || name == "4913"
        || [".swp", ".swo", ".swx", "___jb_tmp___", "___jb_old___"].iter().any(|s| name.ends_with(s))
        || name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
}

/// The folders to watch: the root itself (for `site.toml` and `templates/`, `static/` appearing)
/// without recursion, and `source`, `templates/`, `static/` recursively — except that a folder
/// holding the output (or a `.git`) is split into its children, so that writing the site never
/// floods the watcher.
pub fn watch_plan(config: &SiteConfig) -> WatchPlan {
    let mut plan = BTreeMap::new();
    plan.insert(config.root.clone(), RecursiveMode::NonRecursive);
    for dir in [&config.source, &config.templates_dir, &config.static_dir] {
        if dir.is_dir() {
            add_tree(dir, &config.output, &mut plan);
        }
    }
    // Drop anything already covered by a recursive watch of a parent.
    let recursive: Vec<PathBuf> =
        plan.iter().filter(|(_, m)| **m == RecursiveMode::Recursive).map(|(p, _)| p.clone()).collect();
    plan.retain(|p, _| !recursive.iter().any(|r| p != r && p.starts_with(r)));
    plan
}

fn add_tree(dir: &Path, output: &Path, plan: &mut BTreeMap<PathBuf, RecursiveMode>) {
    if is_output(dir, output) || dir.file_name() == Some(OsStr::new(".git")) {
        return;
    }
    if !output.starts_with(dir) && !dir.join(".git").exists() {
        plan.insert(dir.to_path_buf(), RecursiveMode::Recursive);
        return;
    }
    plan.entry(dir.to_path_buf()).or_insert(RecursiveMode::NonRecursive);
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut children: Vec<PathBuf> =
        entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()).collect();
    children.sort();
    for child in children {
        add_tree(&child, output, plan);
    }
}

/// The part of a watch plan to watch before the first build, and the part under the source
/// folder, which an archive makes tens of thousands of folders (a watch each: ~1.8 s at 60,000
/// articles) and serve watches after it starts serving, catching up with [`changed_since`].
pub fn split_plan(plan: WatchPlan, source: &Path) -> (WatchPlan, WatchPlan) {
    plan.into_iter().partition(|(dir, _)| !dir.starts_with(source))
}

/// Folders to watch, and whether with their subfolders.
pub type WatchPlan = BTreeMap<PathBuf, RecursiveMode>;

/// The file system's time now as its time stamps show it: the change time of a file made for
/// the purpose, since a kernel that stamps files from a coarse clock can stamp a file written
/// after a reading of the wall clock with an earlier time. The wall clock if no file can be made.
pub fn file_clock_now() -> SystemTime {
    let path =
        std::env::temp_dir().join(format!("kbsite-clock-{}-{:?}", std::process::id(), std::thread::current().id()));
    let stamped = std::fs::File::create(&path).and_then(|f| f.metadata()).map(|m| changed_at(&m));
    let _ = std::fs::remove_file(&path);
    stamped.unwrap_or_else(|_| SystemTime::now())
}

/// When a file's status last changed: written, created, renamed, its times set (its `ctime`;
/// its modification time where there is none).
fn changed_at(meta: &std::fs::Metadata) -> SystemTime {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (secs, nanos) = (u64::try_from(meta.ctime()).unwrap_or(0), u32::try_from(meta.ctime_nsec()).unwrap_or(0));
        std::time::UNIX_EPOCH + Duration::new(secs, nanos)
    }
    #[cfg(not(unix))]
    meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)
}

/// What changed under `plan`'s folders since `since`, while they were not watched yet: files
/// whose status changed since then (written, created, renamed into place) and files of `known`
/// (what the first build read) under them that are gone. Changes made before `since` are the
/// first build's to see, so a freshly copied tree is not all "changed"; a file changed after
/// the build read it and before its folder was watched is found here. `plan` must be watched
/// already: what changes from now on is the watcher's.
pub fn changed_since<'a>(
    plan: &WatchPlan,
    since: SystemTime,
    known: impl IntoIterator<Item = &'a Path>,
) -> Vec<PathBuf> {
    let scan = Scan { since, found: Mutex::new((Vec::new(), HashSet::new())), seen_dirs: Mutex::new(HashSet::new()) };
    // Folders are listed in parallel, on more threads than cores (on a cold cache each listing
    // waits on the disk): an archive's source folder is tens of thousands of them.
    crate::write::io_pool().scope(|tasks| {
        for (dir, mode) in plan {
            let scan = &scan;
            let recursive = *mode == RecursiveMode::Recursive;
            // A folder watched without its subfolders is not listed whole: a link to it from
            // elsewhere is still followed.
            if !recursive || scan.first_visit(dir) {
                tasks.spawn(move |tasks| scan.folder(dir.clone(), recursive, tasks));
            }
        }
    });
    let (mut changed, present) = scan.found.into_inner().unwrap_or_else(|e| e.into_inner());
    let covered = |path: &Path| {
        plan.iter().any(|(dir, mode)| match mode {
            RecursiveMode::Recursive => path.starts_with(dir),
            RecursiveMode::NonRecursive => path.parent() == Some(dir.as_path()),
        })
    };
    changed.extend(known.into_iter().filter(|p| covered(p) && !present.contains(*p)).map(Path::to_path_buf));
    changed.sort();
    changed.dedup();
    changed
}

/// The state of one [`changed_since`] pass, shared by its tasks.
struct Scan {
    since: SystemTime,
    /// Files changed since, and every file present.
    found: Mutex<(Vec<PathBuf>, HashSet<PathBuf>)>,
    /// Folders listed (device, inode): a link back to an ancestor is not followed again.
    seen_dirs: Mutex<HashSet<(u64, u64)>>,
}

impl Scan {
    /// Lists `dir`: its files are noted, its subfolders listed in tasks of their own when
    /// `recursive`. Links are followed, as the build and the watcher follow them.
    fn folder<'s>(&'s self, dir: PathBuf, recursive: bool, tasks: &rayon::Scope<'s>) {
        let Ok(entries) = std::fs::read_dir(&dir) else { return };
        let (mut changed, mut present) = (Vec::new(), Vec::new());
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            // One `stat` for a file or a link; a folder's type comes with the listing.
            let meta = if kind.is_dir() { None } else { std::fs::metadata(&path).ok() };
            let is_dir = kind.is_dir() || meta.as_ref().is_some_and(std::fs::Metadata::is_dir);
            if is_dir {
                if recursive && self.first_visit(&path) {
                    tasks.spawn(move |tasks| self.folder(path, true, tasks));
                }
                continue;
            }
            // A file gone since it was listed (or a broken link) is a change too.
            if meta.as_ref().is_none_or(|m| changed_at(m) >= self.since) {
                changed.push(path.clone());
            }
            present.push(path);
        }
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        found.0.extend(changed);
        found.1.extend(present);
    }

    /// Whether folder `path` is listed for the first time in this pass.
    fn first_visit(&self, path: &Path) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let Ok(meta) = std::fs::metadata(path) else { return false };
            self.seen_dirs.lock().unwrap_or_else(|e| e.into_inner()).insert((meta.dev(), meta.ino()))
        }
        #[cfg(not(unix))]
        !std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
    }
}

/// What the watcher thread receives.
pub enum WatchMsg {
    Fs(DebounceEventResult),
    /// Paths that changed while their folders were not watched yet ([`changed_since`]).
    CaughtUp(Vec<PathBuf>),
    Stop,
}

/// No file-id cache: the debouncer uses one only to pair the two halves of a rename where the
/// platform does not (inotify does), and serve needs the changed paths, not the pairs.
enum Backend {
    Native(Debouncer<RecommendedWatcher, NoCache>),
    Poll(Debouncer<PollWatcher, NoCache>),
}

/// A debounced watcher that keeps its watched folders in line with a [`watch_plan`].
pub struct FsWatcher {
    backend: Backend,
    watched: BTreeMap<PathBuf, RecursiveMode>,
}

/// How long `--poll` rests between two scans of the watched folders.
pub const POLL_INTERVAL: Duration = Duration::from_millis(1000);

impl FsWatcher {
    /// Debounced events go to `tx` as [`WatchMsg::Fs`].
    ///
    /// Only changes are asked for ([`EventKindMask::CORE`]): since notify 8, inotify otherwise
    /// also reports every `open()` of a watched file, so each build's reading of its sources
    /// (three times over 60,000 files) made hundreds of thousands of events for the kernel to
    /// queue and the watcher thread to drop, ~14% of `serve`'s first build, and overflowed the
    /// kernel's event queue, where a save made during a build could be lost.
    pub fn new(tx: Sender<WatchMsg>, debounce: Duration, poll: bool) -> Result<FsWatcher> {
        let handler = move |r: DebounceEventResult| {
            let _ = tx.send(WatchMsg::Fs(r));
        };
        let changes_only = notify::Config::default().with_event_kinds(EventKindMask::CORE);
        let config = notify_debouncer_full::Config::default().with_timeout(debounce);
        let backend = if poll {
            // PollWatcher compares modification times in whole seconds, so a second save within
            // the same second would be missed; comparing contents too catches every change, at
            // the cost of reading the watched files on each scan.
            let notify_config = changes_only.with_poll_interval(POLL_INTERVAL).with_compare_contents(true);
            Backend::Poll(
                new_debouncer_opt(config.with_notify_config(notify_config), handler, NoCache::new())
                    .context("failed to start the polling watcher")?,
            )
        } else {
            Backend::Native(
                new_debouncer_opt(config.with_notify_config(changes_only), handler, NoCache::new())
                    .context("failed to start the file watcher")?,
            )
        };
        Ok(FsWatcher { backend, watched: BTreeMap::new() })
    }

    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match &mut self.backend {
            Backend::Native(d) => d.watch(path, mode),
            Backend::Poll(d) => d.watch(path, mode),
        }
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        match &mut self.backend {
            Backend::Native(d) => d.unwatch(path),
            Backend::Poll(d) => d.unwatch(path),
        }
    }

    /// Watches what `plan` lists and stops watching what it no longer does. Returns the
    /// folders that could not be watched, with the reason.
    pub fn sync(&mut self, plan: &WatchPlan) -> Vec<String> {
        let mut problems = Vec::new();
        let stale: Vec<PathBuf> = self
            .watched
            .iter()
            .filter(|(p, m)| plan.get(*p) != Some(*m) || !p.exists())
            .map(|(p, _)| p.clone())
            .collect();
        for path in stale {
            self.watched.remove(&path);
            let _ = self.unwatch(&path);
        }
        for (path, mode) in plan {
            if self.watched.contains_key(path) {
                continue;
            }
            match self.watch(path, *mode) {
                Ok(()) => {
                    self.watched.insert(path.clone(), *mode);
                }
                Err(e) => problems.push(format!("cannot watch `{}`: {e}", path.display())),
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    fn config(root: &Path, toml: &str) -> SiteConfig {
        SiteConfig::parse(root, toml, &Overrides::default()).unwrap()
    }

    #[test]
    fn paths_are_sorted_into_kinds() {
        let c = config(Path::new("/site"), "");
        let set = classify(
            [
                "/site/content/kb/a.md",
                "/site/content/kb/a.md",
                "/site/templates/page.html",
                "/site/static/css/x.css",
                "/site/site.toml",
                "/site/content/b.md",
            ],
            &c,
        );
        assert_eq!(set.content, [PathBuf::from("/site/content/b.md"), PathBuf::from("/site/content/kb/a.md")]);
        assert_eq!(set.templates, [PathBuf::from("/site/templates/page.html")]);
        assert_eq!(set.statics, [PathBuf::from("/site/static/css/x.css")]);
        assert!(set.config);
        assert_eq!(set.kinds(), [ChangeKind::Content, ChangeKind::Template, ChangeKind::Static, ChangeKind::Config]);
        assert!(!set.is_empty());
    }

    #[test]
    fn output_git_editor_files_and_strangers_are_ignored() {
        let c = config(Path::new("/site"), "");
        let set = classify(
            [
                "/site/public/index.html",
                "/site/public",
                "/site/public.kbsite-new/kb/index.html",
                "/site/public.kbsite-old",
                "/site/.git/index",
                "/site/content/.git/HEAD",
                "/site/content/a.md~",
                "/site/content/.a.md.swp",
                "/site/content/.a.md.swx",
                "/site/content/4913",
                "/site/content/.#a.md",
                "/site/content/#a.md#",
                "/site/content/a.md___jb_tmp___",
                "/site/README.md",
                "/elsewhere/x.md",
                "/site/site.toml~",
            ],
            &c,
        );
        assert!(set.is_empty(), "{set:?}");
        // A name that merely starts like the output is still content.
        let c = config(Path::new("/site"), "source = \".\"");
        let set = classify(["/site/publication.md", "/site/public-notes/a.md"], &c);
        assert_eq!(set.content.len(), 2, "{set:?}");
    }

    #[test]
    fn in_place_jekyll_sites_keep_templates_static_and_config_apart() {
        let c = config(Path::new("/repo"), "source = \".\"\noutput = \"_site\"");
        let set = classify(
            [
                "/repo/kb/1/README.md",
                "/repo/templates/page.html",
                "/repo/static/a.css",
                "/repo/site.toml",
                "/repo/_site/x",
            ],
            &c,
        );
        assert_eq!(set.content, [PathBuf::from("/repo/kb/1/README.md")]);
        assert_eq!(set.templates.len(), 1);
        assert_eq!(set.statics.len(), 1);
        assert!(set.config);
    }

    #[test]
    fn plan_watches_folders_recursively_but_splits_around_the_output() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for d in ["content/kb", "templates", "public/kb", "public.kbsite-new", ".git/objects", "kb/1", "static"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let plan = watch_plan(&config(root, ""));
        let expect: BTreeMap<PathBuf, RecursiveMode> = [
            (root.to_path_buf(), RecursiveMode::NonRecursive),
            (root.join("content"), RecursiveMode::Recursive),
            (root.join("static"), RecursiveMode::Recursive),
            (root.join("templates"), RecursiveMode::Recursive),
        ]
        .into_iter()
        .collect();
        assert_eq!(plan, expect);

        // Jekyll in place: the root holds the output and .git, so it is split.
        let plan = watch_plan(&config(root, "source = \".\""));
        let expect: BTreeMap<PathBuf, RecursiveMode> = [
            (root.to_path_buf(), RecursiveMode::NonRecursive),
            (root.join("content"), RecursiveMode::Recursive),
            (root.join("kb"), RecursiveMode::Recursive),
            (root.join("static"), RecursiveMode::Recursive),
            (root.join("templates"), RecursiveMode::Recursive),
        ]
        .into_iter()
        .collect();
        assert_eq!(plan, expect);
    }

    /// What a rebuild does to the watched sources (open, read, list) must reach the rebuild
    /// loop as nothing at all; a write must. The build reads every source up to three times.
    #[test]
    fn reading_watched_files_is_no_change_but_writing_one_is() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("content");
        std::fs::create_dir_all(dir.join("kb/1")).unwrap();
        let file = dir.join("kb/1/README.md");
        std::fs::write(&file, "one").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut watcher = FsWatcher::new(tx, Duration::from_millis(50), false).unwrap();
        let plan: BTreeMap<PathBuf, RecursiveMode> = [(dir.clone(), RecursiveMode::Recursive)].into_iter().collect();
        assert!(watcher.sync(&plan).is_empty());

        for _ in 0..50 {
            assert_eq!(std::fs::read_to_string(&file).unwrap(), "one");
            assert_eq!(std::fs::read_dir(dir.join("kb/1")).unwrap().count(), 1);
        }
        // Several debounce periods: anything the reads caused would have been delivered.
        if let Ok(msg) = rx.recv_timeout(Duration::from_millis(400)) {
            let paths = match msg {
                WatchMsg::Fs(Ok(events)) => format!("{:?}", events.iter().map(|e| &e.event).collect::<Vec<_>>()),
                WatchMsg::Fs(Err(e)) => format!("errors {e:?}"),
                WatchMsg::CaughtUp(paths) => format!("{paths:?}"),
                WatchMsg::Stop => "stop".into(),
            };
            panic!("reading sources was reported as a change: {paths}");
        }

        std::fs::write(&file, "two").unwrap();
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(WatchMsg::Fs(Ok(events))) => {
                assert!(events.iter().flat_map(|e| &e.paths).any(|p| p.ends_with("kb/1/README.md")), "{events:?}")
            }
            _ => panic!("a write to a watched file was not reported"),
        }
    }

    /// Longer than a tick of the coarsest clock a kernel stamps files with (HZ = 100).
    const TICK: Duration = Duration::from_millis(30);

    #[test]
    fn what_changed_while_unwatched_is_found_and_what_was_there_before_is_not() {
        let tmp = tempfile::tempdir().unwrap();
        let (root, dir) = (tmp.path().to_path_buf(), tmp.path().join("content"));
        for d in ["kb/1", "kb/2", "kb/4"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        let untouched = dir.join("kb/1/README.md");
        let edited = dir.join("kb/2/README.md");
        let removed = dir.join("kb/4/README.md");
        let config = root.join("site.toml");
        for f in [&untouched, &edited, &removed, &config] {
            std::fs::write(f, "before").unwrap();
        }
        std::fs::create_dir_all(root.join("other")).unwrap();
        std::thread::sleep(TICK);
        let since = file_clock_now();

        std::fs::write(&edited, "after").unwrap();
        std::fs::remove_file(&removed).unwrap();
        std::fs::create_dir_all(dir.join("kb/3")).unwrap();
        let added = dir.join("kb/3/README.md");
        std::fs::write(&added, "new").unwrap();
        // Not under the plan: a file in a folder watched without its subfolders.
        std::fs::write(root.join("other/x.md"), "new").unwrap();
        let plan: WatchPlan = [(dir.clone(), RecursiveMode::Recursive), (root.clone(), RecursiveMode::NonRecursive)]
            .into_iter()
            .collect();
        let gone_elsewhere = root.join("other/gone.md");
        let known = [&untouched, &edited, &removed, &config, &gone_elsewhere];

        let changed = changed_since(&plan, since, known.iter().map(|p| p.as_path()));
        assert_eq!(changed, vec![edited.clone(), added, removed]);

        std::thread::sleep(TICK);
        assert_eq!(
            changed_since(&plan, file_clock_now(), [untouched.as_path(), edited.as_path()]),
            Vec::<PathBuf>::new()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_back_to_an_ancestor_is_listed_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("content");
        std::fs::create_dir_all(dir.join("kb/1")).unwrap();
        std::os::unix::fs::symlink("../..", dir.join("kb/1/up")).unwrap();
        std::os::unix::fs::symlink(dir.join("kb"), dir.join("kb-again")).unwrap();
        let since = file_clock_now();
        std::fs::write(dir.join("kb/1/README.md"), "new").unwrap();
        let plan: WatchPlan = [(dir.clone(), RecursiveMode::Recursive)].into_iter().collect();
        let changed = changed_since(&plan, since, []);
        // Under one of the names it is reached by (the listing's order decides which).
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert!(changed[0].ends_with("1/README.md"), "{changed:?}");
    }

    #[test]
    fn the_source_folder_is_the_part_watched_later() {
        let c = config(Path::new("/site"), "");
        let plan: WatchPlan = [
            ("/site", RecursiveMode::NonRecursive),
            ("/site/content", RecursiveMode::Recursive),
            ("/site/templates", RecursiveMode::Recursive),
        ]
        .into_iter()
        .map(|(p, m)| (PathBuf::from(p), m))
        .collect();
        let (now, later) = split_plan(plan, &c.source);
        assert_eq!(now.keys().collect::<Vec<_>>(), [Path::new("/site"), Path::new("/site/templates")]);
        assert_eq!(later.keys().collect::<Vec<_>>(), [Path::new("/site/content")]);
        // A Jekyll-style site whose source is its root is watched later whole.
        let jekyll = config(Path::new("/site"), "source = \".\"\n");
        let plan: WatchPlan = [(PathBuf::from("/site"), RecursiveMode::NonRecursive)].into_iter().collect();
        assert!(split_plan(plan, &jekyll.source).0.is_empty());
    }
}
