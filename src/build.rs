//! The build: load → analyze → render → write, each stage timed, every error collected, and
//! nothing written unless the whole site rendered.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::analyze::kb_index::{KbSite, PageKb};
use crate::analyze::{self, kb, mentions, Asset, Page, PageId};
use crate::config::SiteConfig;
use crate::diagnostics::{BuildFailed, Diagnostic, Diagnostics, Severity};
use crate::incremental::fingerprint;
use crate::load;
use crate::measure::resident_kib;
pub use crate::measure::CpuTime;
use crate::render::kb::{GeneratedPage, KbRender};
use crate::render::markdown::TextLinker;
use crate::render::templates::Templates;
use crate::render::{highlight, Renderer};
use crate::search::{self, SearchStats};
use crate::write::{self, Sink, Stage};
use crate::{publish, theme};

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// No progress bar.
    pub quiet: bool,
    /// Keep an [`OutputRecord`] per output (what it depends on) in the report, for tools and
    /// tests that ask what an output was made from. They cost memory at archive scale (~57 MB
    /// and ~1 s of CPU at 60,000 articles), so the preview server does without them.
    pub record_outputs: bool,
    /// The build starts the preview server's incremental state: it also keeps each page's
    /// search-entry hash ([`BuildReport::search_hashes`]), unless the search index was kept.
    pub live: bool,
    /// Leave a search index that cannot be kept unmade ([`BuildReport::search_deferred`]): the
    /// preview server serves the site first and makes it afterwards
    /// ([`LiveSite::rebuild_search`](crate::incremental::LiveSite::rebuild_search)). The site's
    /// pages and the search client are written as usual.
    pub defer_search: bool,
    /// Render every output, even one the reused output folder holds from identical inputs
    /// (`kbsite build --full`). Files whose bytes did not change are still left alone, and
    /// input keys are still recorded for the next build.
    pub full: bool,
    /// Add up where the render threads' CPU time goes ([`PassTime`]; `kbsite build -v`).
    pub profile: bool,
}

/// What one output file depends on, so a later rebuild can redo only what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRecord {
    pub output: String,
    /// The source file, relative to `source` (or to `static/` for theme assets).
    pub source: Option<String>,
    /// Layout templates it went through.
    pub templates: Vec<String>,
    /// Source files of the pages it shows (an index lists them; an article shows who cites it).
    pub lists: Vec<String>,
}

impl OutputRecord {
    fn file(output: &str, source: Option<&str>) -> Self {
        OutputRecord {
            output: output.into(),
            source: source.map(str::to_string),
            templates: Vec::new(),
            lists: Vec::new(),
        }
    }
}

#[derive(Debug, Default)]
pub struct BuildReport {
    pub pages: usize,
    /// Pages that are KB articles.
    pub articles: usize,
    /// Generated index pages (products, keywords, technology, years, home).
    pub index_pages: usize,
    pub assets: usize,
    /// Output files of the site (pages, index pages, files), and their bytes; kept ones included.
    pub files_written: u64,
    pub bytes_written: u64,
    /// Of those, files kept from the reused output folder because their inputs were unchanged
    /// (not rendered again; see [`Stage::reuse`]).
    pub files_kept: u64,
    /// Of those, files rendered again with the bytes the reused folder had (not written again).
    pub files_unchanged: u64,
    pub stages: Vec<(&'static str, Duration)>,
    /// Resident and peak memory (KiB) after each stage.
    pub stage_memory: Vec<(u64, u64)>,
    /// CPU time of each stage.
    pub stage_cpu: Vec<CpuTime>,
    /// Where render+write's CPU time went, with [`BuildOptions::profile`].
    pub work: Option<WorkTime>,
    /// Where redirects+search's CPU time went, with [`BuildOptions::profile`].
    pub search_work: Option<SearchStageTime>,
    pub warnings: Vec<Diagnostic>,
    pub outputs: Vec<OutputRecord>,
    /// Mentions of articles not in the site: (source file, article number).
    pub unresolved_mentions: Vec<(String, u32)>,
    /// The search index, when enabled and built anew.
    pub search: Option<SearchStats>,
    /// The search index was kept from the reused output folder (no page's entry changed).
    pub search_kept: bool,
    /// With `defer_search`: the index could not be kept and was left to be made later; the
    /// output has no index (a reused folder's old one is removed).
    pub search_deferred: bool,
    /// With `live`: every page's `build::search_entry_hash`, by page id (serve compares them to
    /// tell whether an edit changed the index); empty when the index was kept.
    pub search_hashes: Vec<u64>,
    /// Source files (relative to `source`) of the pages that used syntax highlighting: what
    /// the highlight stylesheet depends on.
    pub highlighted: Vec<String>,
    pub output_dir: PathBuf,
}

impl BuildReport {
    pub fn total(&self) -> Duration {
        self.stages.iter().map(|(_, d)| *d).sum()
    }
}

/// Stage timer: `lap("load")` records the time since the previous lap.
pub struct Laps {
    last: Instant,
    last_cpu: CpuTime,
    pub stages: Vec<(&'static str, Duration)>,
    /// Resident and peak memory (KiB) at the end of each stage.
    pub rss: Vec<(u64, u64)>,
    /// CPU time the process spent in each stage (all threads).
    pub cpu: Vec<CpuTime>,
}

impl Default for Laps {
    fn default() -> Self {
        Self::new()
    }
}

impl Laps {
    pub fn new() -> Self {
        Laps { last: Instant::now(), last_cpu: CpuTime::now(), stages: Vec::new(), rss: Vec::new(), cpu: Vec::new() }
    }
    pub fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        let cpu = CpuTime::now();
        self.stages.push((name, now - self.last));
        self.rss.push(resident_kib());
        self.cpu.push(CpuTime { user: cpu.user - self.last_cpu.user, system: cpu.system - self.last_cpu.system });
        self.last = now;
        self.last_cpu = cpu;
    }
}

/// The kinds of work [`PassTime`] tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Reading a page's source again.
    Read,
    /// Markdown, the KB reading view and the templates.
    Render,
    /// Writing the file (the system calls that make it; waiting for its folder included).
    Write,
    /// Splitting a page's text into search terms and counting them.
    Tokenize,
}

/// CPU time a render pass's threads spent per kind of work, summed over the threads, for
/// `kbsite build -v`. Off (the default), it measures nothing: reading a thread's CPU clock is a
/// system call (four per page: one at each boundary of a [`Lap`]).
#[derive(Debug, Default)]
pub struct PassTime {
    on: bool,
    nanos: [AtomicU64; 4],
}

impl PassTime {
    pub fn new(on: bool) -> Self {
        PassTime { on, ..Default::default() }
    }

    /// A timer that measures nothing, for callers that never profile (serve's rounds, `check`).
    pub fn off() -> &'static PassTime {
        static OFF: PassTime = PassTime { on: false, nanos: [const { AtomicU64::new(0) }; 4] };
        &OFF
    }

    /// Starts timing consecutive pieces of work on this thread (see [`Lap::mark`]).
    pub fn lap(&self) -> Lap<'_> {
        Lap { time: self, since: self.on.then(crate::measure::thread_cpu) }
    }

    /// Runs `f`, adding the CPU time this thread spent in it to `work` (when on).
    pub fn measure<T>(&self, work: Work, f: impl FnOnce() -> T) -> T {
        let mut lap = self.lap();
        let out = f();
        lap.mark(work);
        out
    }

    /// The totals, or `None` when off.
    pub fn totals(&self) -> Option<WorkTime> {
        self.on.then(|| WorkTime {
            read: self.total(Work::Read),
            render: self.total(Work::Render),
            write: self.total(Work::Write),
            ..Default::default()
        })
    }

    /// The CPU time added to `work` so far (zero when off).
    pub fn total(&self, work: Work) -> Duration {
        Duration::from_nanos(self.nanos[work as usize].load(Ordering::Relaxed))
    }
}

/// Consecutive pieces of work on one thread: each [`Lap::mark`] adds the CPU time since the
/// previous one (or since [`PassTime::lap`]), so each boundary reads the clock once.
pub struct Lap<'a> {
    time: &'a PassTime,
    /// The thread's CPU clock at the last boundary; `None` when the timer is off.
    since: Option<Duration>,
}

impl Lap<'_> {
    /// Adds the CPU time since the last boundary to `work`.
    pub fn mark(&mut self, work: Work) {
        if let Some(since) = self.since {
            let now = crate::measure::thread_cpu();
            let spent = crate::measure::nanos(now.saturating_sub(since));
            self.time.nanos[work as usize].fetch_add(spent, Ordering::Relaxed);
            self.since = Some(now);
        }
    }
}

/// Where the render+write stage's CPU time went (`kbsite build -v`): the render threads' CPU
/// time per kind of work, the folder threads' CPU time, and how long writers waited for folders
/// (sleeping: not CPU time), each summed over the threads.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WorkTime {
    pub read: Duration,
    pub render: Duration,
    pub write: Duration,
    pub folders: Duration,
    pub waited_for_folders: Duration,
}

/// Where the redirects+search stage's CPU time went (`kbsite build -v`), summed over threads.
/// The two run side by side, so the stage's wall time alone cannot tell them apart.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SearchStageTime {
    /// Building the search index, all of it: the CPU time of the threads that build it.
    pub search: Duration,
    /// Of which reading the pages' sources again.
    pub search_read: Duration,
    /// Of which tokenizing them; the rest is adding the terms to the index and writing it.
    pub search_tokenize: Duration,
    /// The rest of the stage: the redirect pages, and removing a reused folder's stale files.
    pub others: Duration,
}

/// The CPU time the threads of rayon's global pool have used so far, summed (the search index
/// is built there; the stage's other work runs on pools of its own).
fn global_pool_cpu() -> Duration {
    rayon::broadcast(|_| crate::measure::thread_cpu()).into_iter().sum()
}

/// What loading keeps of each page besides its front matter.
type PageExtra = PageKb;

/// Parses the KB header and collects mentions while the body is in memory; header problems
/// become warnings.
pub fn analyze_body(page: &load::LoadedPage, body: &str, diags: &Diagnostics) -> PageExtra {
    let parsed = kb::parse_article(body);
    for problem in &parsed.problems {
        diags.warning(
            &page.file.abs,
            Some(page.body_line + problem.line - 1),
            format!("KB header: {}", problem.message),
        );
    }
    let mut mentions: Vec<u32> = mentions::mentions(body).map(|m| m.number).collect();
    mentions.sort_unstable();
    mentions.dedup();
    PageKb { article: parsed.article, mentions }
}

/// A site loaded and analyzed, ready to render: everything except rendered output.
pub struct Prepared {
    pub pages: Vec<Page>,
    pub kb: KbSite,
    pub templates: Templates,
    pub assets: Vec<Asset>,
    /// Files made from data alone (theme assets, `.nojekyll`, sitemap, feed, redirects, …).
    pub generated: Vec<(String, Vec<u8>)>,
    /// Short-URL redirect pages: (output file, target URL).
    pub redirects: Vec<(String, String)>,
    pub index_pages: Vec<GeneratedPage>,
}

/// Load and analyze. Problems go to `diags`; the caller decides whether errors stop it.
pub fn prepare(config: &SiteConfig, diags: &Diagnostics, laps: &mut Laps) -> Result<Prepared> {
    if !config.source.is_dir() {
        anyhow::bail!("source folder `{}` does not exist", config.source.display());
    }
    // Load.
    let load::Loaded { pages: loaded, plain, assets: mut asset_files } =
        load::walk_and_read(config, diags, |page, body| analyze_body(page, body, diags));
    asset_files.extend(plain);
    laps.lap("load");

    // Analyze.
    let templates = Templates::load(config, diags);
    let placed = analyze::place_pages(config, loaded, |l| templates.has_layout(l), diags);
    let (pages, page_kb): (Vec<Page>, Vec<PageExtra>) = placed.into_iter().unzip();
    let kb_site = KbSite::build(page_kb);
    for &(kept, ignored) in &kb_site.duplicate_numbers {
        diags.warning(
            &pages[ignored].loaded.file.abs,
            None,
            format!("article number also used by `{}`; mentions link to that one", pages[kept].rel()),
        );
    }
    let home_taken = pages.iter().any(|p| p.url == "/");
    let index_pages = crate::render::kb::generated_pages(config, &kb_site, &pages, home_taken);
    let mut assets: Vec<Asset> = asset_files.into_iter().map(|f| Asset { output: f.rel.clone(), file: f }).collect();
    assets.extend(theme::static_assets(config, diags));
    let mut generated = theme::generated_files(config, &pages, &assets);
    let (publish_files, redirects) = publish::files(config, &pages, &kb_site, &index_pages, &assets);
    generated.extend(publish_files);
    let generated_names: Vec<(&str, &str)> = index_pages
        .iter()
        .map(|g| (g.output.as_str(), "a generated index page"))
        .chain(generated.iter().map(|(o, _)| (o.as_str(), "a generated file")))
        .chain(redirects.iter().map(|(o, _)| (o.as_str(), "a short-URL redirect")))
        .collect();
    analyze::check_unique_outputs(&pages, &assets, &generated_names, diags);
    for page in &pages {
        if let Some(layout) = &page.layout {
            if let Err(msg) = templates.chain(layout) {
                diags.error(&page.loaded.file.abs, None, msg);
            }
        }
    }
    laps.lap("analyze");
    Ok(Prepared { pages, kb: kb_site, templates, assets, generated, redirects, index_pages })
}

/// Builds the site into `config.output`.
pub fn build(config: &SiteConfig, opts: &BuildOptions) -> Result<BuildReport> {
    let (report, prepared) = build_keeping(config, opts)?;
    // Freeing the analyzed site is hundreds of thousands of small frees at archive scale (~0.15 s
    // on one core for 60,000 articles): a helper thread does it, and a command that exits first
    // skips it.
    std::thread::spawn(move || drop(prepared));
    Ok(report)
}

/// [`build`], also returning the analyzed site (serve keeps it to rebuild incrementally).
pub fn build_keeping(config: &SiteConfig, opts: &BuildOptions) -> Result<(BuildReport, Prepared)> {
    let diags = Diagnostics::default();
    let mut laps = Laps::new();
    write::check_output_location(&config.output, &config.root, &config.source)?;
    let prepared = prepare(config, &diags, &mut laps)?;
    fail_on_errors(&diags)?;

    // Render and write, streamed: each page is written as soon as it is rendered.
    let mut stage = Stage::create(&config.output, build_settings_digest(config, &prepared.templates))?;
    if opts.full {
        stage.render_everything();
    }
    // More threads than cores: a writer often waits on the disk (most of all when overwriting a
    // reused folder whose folders and inodes are no longer cached), and rendering fills the waits.
    let result = write::io_pool().install(|| render_all(config, &prepared, &stage, &diags, opts));
    laps.lap("render+write");
    let ok = result.is_ok() && !diags.has_errors();
    if ok && config.search.enabled {
        stage.own_tree("search"); // the search writer removes its own stale files
    }
    // Serve's builds keep each page's search-entry hash; a one-off build does not.
    let keep_hashes = opts.live && config.search.enabled;
    let mut search_hashes = if keep_hashes { vec![0; prepared.pages.len()] } else { Vec::new() };
    let hashes = keep_hashes.then_some(&mut search_hashes);
    // The redirect pages mostly wait for their folders, the last to be made (see
    // `write_redirects`), and a reused folder's stale files are listed and removed after them:
    // the search stage uses the cores meanwhile.
    // A build that already failed writes nothing more: its folder is discarded.
    let search_time = PassTime::new(opts.profile);
    let search_cpu_before = opts.profile.then(|| (global_pool_cpu(), crate::measure::thread_cpu()));
    let (redirects, search, search_cpu) = std::thread::scope(|scope| {
        let redirects = ok.then(|| {
            scope.spawn(|| {
                // One thread per core (the writes mostly wait for folders); the render pool's
                // threads are gone, with the memory they held.
                let pool = rayon::ThreadPoolBuilder::new().thread_name(|i| format!("kbsite-redirects-{i}")).build()?;
                let written = pool.install(|| write_redirects(config, &prepared, &stage, opts))?;
                // Everything but the search index (whose writer cleans up after itself) is
                // written: clear out what a reused folder holds from older builds.
                stage.remove_stale()?;
                Ok(written)
            })
        });
        let search = match ok {
            true => build_search_index(config, &prepared, &stage, hashes, opts, &search_time),
            false => Ok(SearchIndex::None),
        };
        // Before joining the redirect thread: the pool's threads and this one (which does the
        // index's sequential parts) are the search's.
        let search_cpu = search_cpu_before.map(|(pool, this)| {
            global_pool_cpu().saturating_sub(pool) + crate::measure::thread_cpu().saturating_sub(this)
        });
        let redirects =
            redirects.map(|thread| thread.join().unwrap_or_else(|_| bail!("writing redirect pages panicked")));
        (redirects.unwrap_or_else(|| Ok(Default::default())), search, search_cpu)
    });
    laps.lap("redirects+search");
    let search_work = search_cpu.map(|search| {
        let stage = laps.cpu.last().map_or(Duration::ZERO, |c| c.user + c.system);
        SearchStageTime {
            search,
            search_read: search_time.total(Work::Read),
            search_tokenize: search_time.total(Work::Tokenize),
            others: stage.saturating_sub(search),
        }
    });
    let (files_kept, files_unchanged) = (stage.kept(), stage.unchanged());
    let result = result.and_then(|written| redirects.map(|more| written.and(more)));
    let (search, search_kept, search_deferred) = match search {
        Ok(SearchIndex::Built(stats)) => (Some(stats), false, false),
        Ok(SearchIndex::Kept) => (None, true, false),
        Ok(SearchIndex::Deferred) => (None, false, true),
        Ok(SearchIndex::None) => (None, false, false),
        Err(e) => {
            stage.discard();
            return Err(e);
        }
    };
    if search.is_none() {
        search_hashes.clear(); // computed only while making the entries
    }
    let Written { records, files, bytes, time, highlighted } = match result {
        Ok(r) if !diags.has_errors() => r,
        Ok(_) => {
            stage.discard();
            return Err(failure(&diags).into());
        }
        Err(e) => {
            stage.discard();
            return Err(e);
        }
    };
    // Read before the commit, which takes the stage; its folder threads are done by now.
    let work = time.map(|t| {
        let (waited_for_folders, folders) = stage.folder_time();
        WorkTime { folders, waited_for_folders, ..t }
    });
    stage.commit()?;
    laps.lap("swap");

    let Prepared { pages, kb, assets, index_pages, .. } = &prepared;
    let unresolved = kb.unresolved.iter().map(|&(page, number)| (pages[page].rel().to_string(), number)).collect();
    let report = BuildReport {
        pages: pages.len(),
        articles: kb.article_count(),
        index_pages: index_pages.len(),
        assets: assets.len(),
        files_written: files,
        bytes_written: bytes,
        files_kept,
        files_unchanged,
        stages: laps.stages,
        stage_memory: laps.rss,
        stage_cpu: laps.cpu,
        work,
        search_work,
        warnings: diags.take_sorted(),
        outputs: records,
        highlighted,
        unresolved_mentions: unresolved,
        search,
        search_kept,
        search_deferred,
        search_hashes,
        output_dir: config.output.clone(),
    };
    Ok((report, prepared))
}

/// Writes the search client and builds the full-text index from every titled page's text
/// ([`make_search_builder`]; unless `--full`, only the bodies of documents the last index's
/// [`search_terms_path`] does not hold are read and tokenized). When outputs may be kept
/// ([`keeps_outputs`]), the sink's index is kept if no document changed; else, with
/// `defer_search`, no index is made (the stage's commit removes a reused folder's old one, the
/// search tree being owned).
pub(crate) fn build_search_index(
    config: &SiteConfig,
    prepared: &Prepared,
    sink: &dyn Sink,
    hashes: Option<&mut Vec<u64>>,
    opts: &BuildOptions,
    time: &PassTime,
) -> Result<SearchIndex> {
    if !config.search.enabled {
        return Ok(SearchIndex::None);
    }
    // Written last: a reused folder's stale-file pass may hold the record of written files
    // meanwhile (see `build_keeping`).
    let client = || sink.write("search/search.js", search::CLIENT_JS.as_bytes());
    let Some(dir) = sink.dir() else { return client().map(|()| SearchIndex::None) };
    let docs = search_docs(prepared);
    let key = if keeps_outputs(opts, &prepared.templates) { search_tree_key(prepared, &docs) } else { 0 };
    if sink.reuse_tree("search", key) {
        search::make_folders(&dir.join("search")).context("failed to write the search index")?;
        return client().map(|()| SearchIndex::Kept);
    }
    if opts.defer_search {
        return client().map(|()| SearchIndex::Deferred);
    }
    let cache = search_terms_path(&config.output);
    let (builder, keys) =
        make_search_builder(config, prepared, &docs, (!opts.full).then_some(&cache), hashes, time, None)
            .context("the search index was interrupted")?;
    let (stats, files) = write_search_index(&builder, &keys, &dir.join("search"), &cache)?;
    sink.record_tree("search", key, &files)?;
    client()?;
    Ok(SearchIndex::Built(stats))
}

/// The input key of a search index made of the pages `docs`: what every entry is made from,
/// each document's source, title and URL (its article fields come from the source). Reading
/// and tokenizing every body is what keeping an index by this key saves.
pub(crate) fn search_tree_key(prepared: &Prepared, docs: &[usize]) -> u64 {
    fingerprint::finish(docs.iter().fold(docs.len() as u64, |h, &i| {
        let page = &prepared.pages[i];
        fingerprint::mix(fingerprint::mix(h, page.loaded.digest), fingerprint::hash_of(&(&page.title, &page.url)))
    }))
}

/// What the search stage did.
pub(crate) enum SearchIndex {
    /// Nothing: search is off, or the sink has no folder to write an index into.
    None,
    /// Kept the reused folder's index: no document changed.
    Kept,
    /// Not made: left for later (`BuildOptions::defer_search`).
    Deferred,
    Built(SearchStats),
}

/// Whether a build's outputs get input keys, so that a later build may keep them (and this one
/// keep those of the reused folder, unless `--full`): not when outputs are recorded (a kept
/// output has no record), nor when a template may show the build's time. Serve writes the same
/// files as `kbsite build` (its live-reload script is added when a page is served), so each
/// keeps what the other made; a file serve rewrote since (a new inode and time) is not trusted.
pub(crate) fn keeps_outputs(opts: &BuildOptions, templates: &Templates) -> bool {
    !opts.record_outputs && !templates.shows_build_time
}

/// A digest of what every output depends on besides its own inputs: this program (version,
/// and the executable's size and time, so a rebuilt binary renders everything again), the
/// configuration as loaded (every setting of site.toml and the command line, in its `Debug`
/// form, its folders as absolute paths) and the templates. Outputs are kept from an earlier
/// build only under the same.
fn build_settings_digest(config: &SiteConfig, templates: &Templates) -> u64 {
    // The same site reached by another path (`kbsite build` run in its folder, `serve` given its
    // absolute path) has the same settings.
    let mut settings = config.clone();
    for folder in [
        &mut settings.root,
        &mut settings.source,
        &mut settings.output,
        &mut settings.templates_dir,
        &mut settings.static_dir,
    ] {
        *folder = absolute_folder(folder);
    }
    fingerprint::finish(fingerprint::hash_of(&(program_stamp(), format!("{settings:?}"), templates.digest)))
}

/// `path` with links resolved as far as it exists (an output folder may not exist yet: its
/// parent is resolved and its name added).
fn absolute_folder(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    match (path.parent().map(std::fs::canonicalize), path.file_name()) {
        (Some(Ok(parent)), Some(name)) => parent.join(name),
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// Per output, a digest of everything it is made from, for [`Stage::reuse`]: a page's source
/// bytes, path and URL, and what it shows of other pages ([`fingerprint`], the digests serve's
/// incremental rounds use); an index page's place and what it lists. The build settings
/// ([`build_settings_digest`]) are compared separately.
struct OutputKeys {
    pages: Vec<u64>,
    index: Vec<u64>,
}

impl OutputKeys {
    fn new(config: &SiteConfig, kb: &KbRender<'_>, index_pages: &[GeneratedPage]) -> OutputKeys {
        use fingerprint::{finish, hash_of, mix};
        let (pages, urls) = (kb.pages, &kb.urls);
        let summary: Vec<u64> =
            (0..pages.len()).into_par_iter().map(|id| fingerprint::summary_hash(kb.kb, pages, urls, id)).collect();
        let page_fp = fingerprint::page_fingerprints(kb.kb, &summary, |t| hash_of(&urls[t]));
        let index_fp = fingerprint::index_fingerprints(kb.kb, &summary, index_pages, config.kb.page_size);
        let pages = page_fp
            .par_iter()
            .zip(pages)
            .map(|(&fp, p)| finish(mix(mix(mix(p.loaded.digest, hash_of(p.rel())), hash_of(&p.url)), fp)))
            .collect();
        let index = index_fp
            .iter()
            .zip(index_pages)
            .map(|(&fp, g)| finish(mix(hash_of(&(&g.output, g.template)), fp)))
            .collect();
        OutputKeys { pages, index }
    }
}

/// Where the postings of the last search index made for `output` are kept, so that the next
/// one reads and tokenizes only the documents that changed ([`search::TermCache`]).
pub(crate) fn search_terms_path(output: &Path) -> PathBuf {
    write::sibling(output, "kbsite-search-terms")
}

/// A search index builder holding the documents of pages `docs`, in order, and each one's
/// [`search_terms_key`]. With `cache`, the postings of documents that file holds are taken from
/// it, and only the others' bodies read and tokenized (unless they are more than half: then it
/// is no saving). With `hashes` (one slot per page), also stores each one's
/// [`search_entry_hash`]. With `interrupted`, gives up (`None`) when it says so between batches.
pub(crate) fn make_search_builder(
    config: &SiteConfig,
    prepared: &Prepared,
    docs: &[usize],
    cache: Option<&Path>,
    hashes: Option<&mut Vec<u64>>,
    time: &PassTime,
    mut interrupted: Option<&mut dyn FnMut() -> bool>,
) -> Option<(search::SearchIndexBuilder, Vec<u64>)> {
    let can_stop = interrupted.is_some();
    let mut stop = || interrupted.as_mut().is_some_and(|f| f());
    let keys: Vec<u64> = docs.par_iter().map(|&i| search_terms_key(prepared, i)).collect();
    if let Some(hashes) = hashes {
        let entries: Vec<u64> = docs.par_iter().map(|&i| search_entry_hash(config, prepared, i)).collect();
        for (&i, h) in docs.iter().zip(entries) {
            hashes[i] = h;
        }
    }
    if let Some(cache) = cache.and_then(|path| search::TermCache::read(path, program_stamp())) {
        let plan = cache.plan(&keys);
        if plan.fresh().len() <= docs.len() / 2 {
            if stop() {
                return None;
            }
            let fresh = plan.fresh().par_iter().map(|&n| search_terms(prepared, docs[n], time)).collect();
            let meta = |n: usize| search_meta(config, prepared, docs[n]);
            if let Some(builder) = search::SearchIndexBuilder::from_cache(cache, &plan, meta, fresh) {
                return Some((builder, keys));
            }
        }
    }
    let mut builder = search::SearchIndexBuilder::new();
    let entry = |&i: &usize| (search_meta(config, prepared, i), search_terms(prepared, i, time));
    match can_stop {
        // Batches of 512 overlap adding one with tokenizing the next; a stop is looked for
        // every 4,096.
        true => {
            for batch in docs.chunks(4096) {
                if stop() {
                    return None;
                }
                builder.add_parallel(batch, 512, entry);
            }
        }
        false => builder.add_parallel(docs, 512, entry),
    }
    Some((builder, keys))
}

/// Writes the index of `builder` into `dir` and, beside it, what the next build can reuse of
/// it at `cache` (only a saving: the index is written even if the cache cannot be). Returns
/// the index's statistics and its files, relative to `dir`.
pub(crate) fn write_search_index(
    builder: &search::SearchIndexBuilder,
    keys: &[u64],
    dir: &Path,
    cache: &Path,
) -> Result<(SearchStats, Vec<String>)> {
    let (index, _) = rayon::join(|| builder.write_listed(dir), || builder.write_cache(cache, program_stamp(), keys));
    index.context("failed to write the search index")
}

/// Whether page `p` is in the search index: a titled HTML page other than the 404 page.
pub(crate) fn is_search_doc(p: &Page) -> bool {
    p.output.ends_with(".html") && p.output != "404.html" && !p.title.is_empty()
}

/// The pages the search index holds ([`is_search_doc`]).
pub(crate) fn search_docs(prepared: &Prepared) -> Vec<usize> {
    (0..prepared.pages.len()).filter(|&i| is_search_doc(&prepared.pages[i])).collect()
}

/// What page `i` puts in the search index, as a hash: its document and what its terms are
/// made from ([`search_terms_key`]), or 0 when it is not indexed. Equal hashes: the index need
/// not change for this page. No body is read. The one definition the full build, index rebuilds
/// and serve's rounds use.
pub(crate) fn search_entry_hash(config: &SiteConfig, prepared: &Prepared, i: usize) -> u64 {
    match is_search_doc(&prepared.pages[i]) {
        true => fingerprint::hash_of(&(search_meta(config, prepared, i), search_terms_key(prepared, i))),
        false => 0,
    }
}

/// A digest of everything page `i`'s search postings are made from: its source (which holds
/// its body and its article's id), its title and path. Equal keys, equal postings (under the
/// same program: see [`program_stamp`]).
fn search_terms_key(prepared: &Prepared, i: usize) -> u64 {
    let page = &prepared.pages[i];
    let id = prepared.kb.article(i).map_or("", |a| a.id.as_str());
    fingerprint::hash_of(&(page.loaded.digest, &page.title, page.rel(), id))
}

/// This program: its version, and the executable's size, time and inode, so that a rebuilt
/// binary trusts nothing an older one left. Looked up once per process (a build asks up to three
/// times, serve at every index), so a binary replaced under a running serve does not make it
/// distrust what it wrote itself.
fn program_stamp() -> u64 {
    static STAMP: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *STAMP.get_or_init(|| {
        let exe =
            std::env::current_exe().ok().and_then(|p| std::fs::metadata(p).ok()).and_then(|m| write::Stamp::of(&m));
        fingerprint::hash_of(&(env!("CARGO_PKG_VERSION"), exe.map(|s| (s.len, s.mtime_sec, s.mtime_nsec, s.ino))))
    })
}

/// Page `i`'s search document: its id, title, product, year, date and URL.
fn search_meta(config: &SiteConfig, prepared: &Prepared, i: usize) -> search::SearchDoc {
    let page = &prepared.pages[i];
    let art = prepared.kb.article(i);
    search::SearchDoc {
        id: art.map(|a| a.id.clone()).unwrap_or_default(),
        title: page.title.clone(),
        product: art.map(|a| a.product.clone()).unwrap_or_default(),
        year: art.and_then(|a| a.last_modified).and_then(|d| u16::try_from(chrono::Datelike::year(&d)).ok()),
        date: art.and_then(|a| a.last_modified).map(crate::render::iso_date).unwrap_or_default(),
        url: config.relative_url(&page.url),
    }
}

/// Page `i`'s search terms; its body is read again (timed by `time` as reading and tokenizing).
fn search_terms(prepared: &Prepared, i: usize, time: &PassTime) -> search::DocTerms {
    let page = &prepared.pages[i];
    let mut lap = time.lap();
    // A body that cannot be read again was already reported by the render stage.
    let body = load::reread_body(&page.loaded).unwrap_or_default();
    lap.mark(Work::Read);
    let terms = search::analyze_doc(&page.title, &body);
    lap.mark(Work::Tokenize);
    terms
}

/// Renders every output of a prepared site into `sink` (a staging folder, or the checker).
pub fn render_all(
    config: &SiteConfig,
    prepared: &Prepared,
    sink: &dyn Sink,
    diags: &Diagnostics,
    opts: &BuildOptions,
) -> Result<Written> {
    let renderer = Renderer::new(config, &prepared.templates);
    let kb_render = KbRender::new(config, &prepared.kb, &prepared.pages);
    let site = SiteParts {
        pages: &prepared.pages,
        assets: &prepared.assets,
        generated: &prepared.generated,
        redirects: &prepared.redirects,
        index_pages: &prepared.index_pages,
        kb: &kb_render,
    };
    render_and_write(config, &site, &renderer, sink, diags, opts)
}

/// Everything the render stage reads.
struct SiteParts<'a> {
    pages: &'a [Page],
    assets: &'a [Asset],
    generated: &'a [(String, Vec<u8>)],
    redirects: &'a [(String, String)],
    index_pages: &'a [GeneratedPage],
    kb: &'a KbRender<'a>,
}

fn render_and_write(
    config: &SiteConfig,
    site: &SiteParts<'_>,
    renderer: &Renderer<'_>,
    stage: &dyn Sink,
    diags: &Diagnostics,
    opts: &BuildOptions,
) -> Result<Written> {
    let SiteParts { pages, assets, generated, redirects, index_pages, kb } = *site;
    // In the order they are written (redirect pages last: see [`write_redirects`]), so that
    // the folder threads make folders in the order the writers need them.
    let mut all_outputs = pages
        .iter()
        .map(|p| p.output.as_str())
        .chain(index_pages.iter().map(|g| g.output.as_str()))
        .chain(assets.iter().map(|a| a.output.as_str()))
        .chain(generated.iter().map(|(o, _)| o.as_str()))
        .chain([theme::HIGHLIGHT_CSS, "search/search.js"])
        .chain(redirects.iter().map(|(o, _)| o.as_str()));
    stage.create_dirs(&mut all_outputs)?;

    let keys = keeps_outputs(opts, renderer.templates).then(|| OutputKeys::new(config, kb, index_pages));
    let mode = |keys: Option<&Vec<u64>>, i: usize| match (opts.record_outputs, keys) {
        (true, _) => WriteMode::Record,
        (false, Some(keys)) => WriteMode::Reuse(keys[i]),
        (false, None) => WriteMode::Plain,
    };
    let bytes = AtomicU64::new(0);
    let files = AtomicU64::new(0);
    let progress = Progress::new((pages.len() + index_pages.len()) as u64, opts.quiet);
    let writer = OutputWriter { config, kb, renderer, sink: stage, diags, time: PassTime::new(opts.profile) };
    let written: Vec<WrittenPage> = write::folders::filter_map_in_order(pages.len(), |id| {
        progress.tick();
        writer.page(id, mode(keys.as_ref().map(|k| &k.pages), id))
    });
    // Pages that used syntax highlighting (kept ones by their manifest flag): what the
    // highlight stylesheet depends on.
    let highlighted: Vec<String> =
        written.iter().filter(|w| w.highlighted).map(|w| pages[w.id].rel().to_string()).collect();
    files.fetch_add(written.len() as u64, Ordering::Relaxed);
    let mut records: Vec<OutputRecord> = written
        .into_iter()
        .filter_map(|w| {
            bytes.fetch_add(w.bytes, Ordering::Relaxed);
            w.record
        })
        .collect();

    let index_records = write::folders::filter_map_in_order(index_pages.len(), |i| {
        progress.tick();
        let mode = mode(keys.as_ref().map(|k| &k.index), i);
        let (record, n) = writer.index_page(&index_pages[i], mode)?;
        bytes.fetch_add(n, Ordering::Relaxed);
        files.fetch_add(1, Ordering::Relaxed);
        record
    });
    records.extend(index_records);
    progress.finish();

    let asset_records: Vec<OutputRecord> = assets
        .par_iter()
        .filter_map(|asset| match stage.copy(&asset.file.abs, &asset.output) {
            Ok(n) => {
                bytes.fetch_add(n, Ordering::Relaxed);
                files.fetch_add(1, Ordering::Relaxed);
                opts.record_outputs.then(|| OutputRecord::file(&asset.output, Some(&asset.file.rel)))
            }
            Err(e) => {
                diags.error(&asset.file.abs, None, format!("{e:#}"));
                None
            }
        })
        .collect();
    records.extend(asset_records);

    let generated_records: Vec<OutputRecord> = generated
        .par_iter()
        .map(|(output, content)| {
            stage.write(output, content)?;
            bytes.fetch_add(content.len() as u64, Ordering::Relaxed);
            files.fetch_add(1, Ordering::Relaxed);
            Ok(opts.record_outputs.then(|| OutputRecord::file(output, None)))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    records.extend(generated_records);
    if !analyze::is_site_output(pages, assets, "404.html") {
        if let Some((record, n)) = write_not_found(config, renderer, stage, diags)? {
            bytes.fetch_add(n, Ordering::Relaxed);
            files.fetch_add(1, Ordering::Relaxed);
            records.push(record);
        }
    }
    if !highlighted.is_empty() {
        let css = highlight::stylesheet();
        stage.write(theme::HIGHLIGHT_CSS, css.as_bytes())?;
        bytes.fetch_add(css.len() as u64, Ordering::Relaxed);
        files.fetch_add(1, Ordering::Relaxed);
        if opts.record_outputs {
            let mut record = OutputRecord::file(theme::HIGHLIGHT_CSS, None);
            record.lists = highlighted.clone();
            records.push(record);
        }
    }
    if !opts.record_outputs {
        records.clear();
    }
    records.sort_by(|a, b| a.output.cmp(&b.output));
    let time = writer.time.totals();
    Ok(Written { records, files: files.into_inner(), bytes: bytes.into_inner(), time, highlighted })
}

/// What a render pass wrote: the records of its outputs (sorted by output; kept only when
/// asked for), and how many files and bytes.
#[derive(Debug, Default)]
pub struct Written {
    pub records: Vec<OutputRecord>,
    pub files: u64,
    pub bytes: u64,
    /// Where the render threads' CPU time went, when measured ([`BuildOptions::profile`]).
    pub time: Option<WorkTime>,
    /// Pages that used syntax highlighting ([`BuildReport::highlighted`]).
    pub highlighted: Vec<String>,
}

impl Written {
    /// Both passes as one (the first one's time: only the render pass measures it).
    fn and(mut self, more: Written) -> Written {
        self.records.extend(more.records);
        self.records.sort_by(|a, b| a.output.cmp(&b.output));
        self.highlighted.extend(more.highlighted);
        Written { files: self.files + more.files, bytes: self.bytes + more.bytes, ..self }
    }
}

/// Writes the short-URL redirect pages (see [`publish::redirect_page`]), after [`render_all`],
/// and waits for the sink's folders. Their folders (one per article) sit in the output's top
/// folder, where only one thread at a time can make folders, so they are made last and take
/// longest (see [`write::folders`]); a build runs its search stage alongside.
pub fn write_redirects(
    config: &SiteConfig,
    prepared: &Prepared,
    sink: &dyn Sink,
    opts: &BuildOptions,
) -> Result<Written> {
    let redirects = &prepared.redirects;
    let written = write::folders::filter_map_in_order(redirects.len(), |i| {
        let (output, target) = &redirects[i];
        let page = publish::redirect_page(config, target);
        Some(sink.write(output, page.as_bytes()).map(|()| (output, page.len() as u64)))
    });
    sink.finish_dirs()?;
    let mut all = Written::default();
    for done in written {
        let (output, n) = done?;
        all.files += 1;
        all.bytes += n;
        if opts.record_outputs {
            all.records.push(OutputRecord::file(output, None));
        }
    }
    Ok(all)
}

/// One page rendered and written.
pub struct WrittenPage {
    pub id: PageId,
    /// What it depends on, when asked for.
    pub record: Option<OutputRecord>,
    pub bytes: u64,
    /// It used syntax highlighting (the site then needs the highlight stylesheet).
    pub highlighted: bool,
}

/// How [`OutputWriter::page`] and [`OutputWriter::index_page`] make an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Render and write it.
    Plain,
    /// Also return an [`OutputRecord`] of what it depends on.
    Record,
    /// Keep the sink's previous file when it was made from inputs with this digest (see
    /// [`Stage::reuse`]); otherwise render and write it, noting the digest.
    Reuse(u64),
}

impl WriteMode {
    fn key(self) -> u64 {
        match self {
            WriteMode::Reuse(key) => key,
            _ => 0,
        }
    }
}

/// Renders outputs and writes them to a sink: what a render pass's threads share. Problems go
/// to `diags`; with `time` on, where the threads' CPU time went is added up.
pub struct OutputWriter<'a> {
    pub config: &'a SiteConfig,
    pub kb: &'a KbRender<'a>,
    pub renderer: &'a Renderer<'a>,
    pub sink: &'a dyn Sink,
    pub diags: &'a Diagnostics,
    pub time: PassTime,
}

impl OutputWriter<'_> {
    /// Renders page `id` and writes it.
    pub fn page(&self, id: PageId, mode: WriteMode) -> Option<WrittenPage> {
        let OutputWriter { config, kb, renderer, sink, diags, .. } = *self;
        let pages = kb.pages;
        let page = &pages[id];
        if let Some(kept) = sink.reuse(&page.output, mode.key()) {
            let highlighted = kept.flags & write::HIGHLIGHTED != 0;
            return Some(WrittenPage { id, record: None, bytes: kept.len, highlighted });
        }
        let fail = |msg: String| diags.error(&page.loaded.file.abs, None, msg);
        let mut lap = self.time.lap();
        let body = load::reread_body(&page.loaded).map_err(fail).ok()?;
        lap.mark(Work::Read);
        let linker = kb.linker(id);
        let linker: Option<&dyn TextLinker> = if config.kb.cross_links { Some(&linker) } else { None };
        // Moved in (`object`), not copied: `json!` would serialize `page.kb` again.
        let extra = kb.page_kb(id).map(|k| crate::render::kb::object([("kb", k)]));
        let structured = extra.is_some() && config.kb.render == "structured";
        let rendered = renderer.render_page(page, &body, linker, extra, structured).map_err(fail).ok()?;
        lap.mark(Work::Render);
        let flags = if rendered.highlighted { write::HIGHLIGHTED } else { 0 };
        sink.write_made(&page.output, mode.key(), flags, rendered.html.as_bytes())
            .map_err(|e| fail(format!("{e:#}")))
            .ok()?;
        lap.mark(Work::Write);
        let record = (mode == WriteMode::Record).then(|| {
            // An article also shows who cites it and its neighbours.
            let mut lists: Vec<String> = kb.kb.cited_by[id].iter().map(|&p| pages[p].rel().to_string()).collect();
            let (prev, next) = kb.kb.neighbours[id];
            lists.extend(prev.into_iter().chain(next).map(|p| pages[p].rel().to_string()));
            OutputRecord {
                output: page.output.clone(),
                source: Some(page.rel().to_string()),
                templates: rendered.layouts,
                lists,
            }
        });
        Some(WrittenPage { id, record, bytes: rendered.html.len() as u64, highlighted: rendered.highlighted })
    }

    /// Renders a generated index page and writes it; returns its size and, when asked for, its
    /// record.
    pub fn index_page(&self, g: &GeneratedPage, mode: WriteMode) -> Option<(Option<OutputRecord>, u64)> {
        let OutputWriter { config, kb, renderer, sink, diags, .. } = *self;
        if let Some(kept) = sink.reuse(&g.output, mode.key()) {
            return Some((None, kept.len));
        }
        let mut lap = self.time.lap();
        let html = renderer
            .render_template(g.template, kb.page_json(g))
            .map_err(|msg| diags.error(&config.templates_dir.join(g.template), None, msg))
            .ok()?;
        lap.mark(Work::Render);
        sink.write_made(&g.output, mode.key(), 0, html.as_bytes())
            .map_err(|e| diags.error(&config.output, None, format!("{e:#}")))
            .ok()?;
        lap.mark(Work::Write);
        let record = (mode == WriteMode::Record).then(|| OutputRecord {
            output: g.output.clone(),
            source: None,
            templates: renderer.template_chain(g.template),
            lists: g.lists.iter().map(|&p| kb.pages[p].rel().to_string()).collect(),
        });
        Some((record, html.len() as u64))
    }
}

/// Renders the site's 404 page from the `404.html` template (when no page or file of the site
/// provides one) and writes it; a template error goes to `diags`.
pub fn write_not_found(
    config: &SiteConfig,
    renderer: &Renderer<'_>,
    sink: &dyn Sink,
    diags: &Diagnostics,
) -> Result<Option<(OutputRecord, u64)>> {
    match renderer.render_template("404.html", serde_json::json!({"title": "Page not found", "url": "/404.html"})) {
        Ok(html) => {
            sink.write("404.html", html.as_bytes())?;
            let mut record = OutputRecord::file("404.html", None);
            record.templates = renderer.template_chain("404.html");
            Ok(Some((record, html.len() as u64)))
        }
        Err(msg) => {
            diags.error(&config.templates_dir.join("404.html"), None, msg);
            Ok(None)
        }
    }
}

fn failure(diags: &Diagnostics) -> BuildFailed {
    BuildFailed { errors: diags.take_sorted().into_iter().filter(|d| d.severity == Severity::Error).collect() }
}

fn fail_on_errors(diags: &Diagnostics) -> Result<(), BuildFailed> {
    if diags.has_errors() {
        Err(failure(diags))
    } else {
        Ok(())
    }
}

/// A progress bar that appears only once a build has run for a second.
struct Progress {
    bar: ProgressBar,
    start: Instant,
    shown: AtomicBool,
    quiet: bool,
}

impl Progress {
    fn new(len: u64, quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} rendering {pos}/{len} pages [{bar:30}] {eta}") {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress { bar, start: Instant::now(), shown: AtomicBool::new(false), quiet }
    }

    fn tick(&self) {
        self.bar.inc(1);
        if !self.quiet && self.start.elapsed() > Duration::from_secs(1) && !self.shown.swap(true, Ordering::Relaxed) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_site_by_another_path_has_the_same_build_settings() {
        let tmp = tempfile::tempdir().unwrap();
        let site = tmp.path().join("site");
        std::fs::create_dir_all(site.join("content")).unwrap();
        let toml = "title = \"T\"\n";
        let settings = |root: &Path, toml: &str| {
            let config = SiteConfig::parse(root, toml, &Default::default()).unwrap();
            let templates = Templates::load(&config, &Diagnostics::default());
            build_settings_digest(&config, &templates)
        };
        let plain = settings(&site, toml);
        assert_eq!(settings(&site.join("content/.."), toml), plain);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&site, tmp.path().join("link")).unwrap();
            assert_eq!(settings(&tmp.path().join("link"), toml), plain);
        }
        assert_ne!(settings(&site, "title = \"Other\"\n"), plain, "a setting changes them");
        assert_ne!(settings(&tmp.path().join("elsewhere"), toml), plain, "another site's folders too");
        // An output folder not made yet is named from its resolved parent.
        assert_eq!(absolute_folder(&site.join("content/../public")), site.canonicalize().unwrap().join("public"));
    }

    #[test]
    fn a_full_render_and_a_round_give_the_same_page_summaries() {
        // `KbRender::new` reads summaries from its table, serve's `with_urls` from the pages.
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let seed = root.join("content/kb/151/Q151228");
        std::fs::create_dir_all(&seed).unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(repo.join("content/kb/151/Q151228/README.md"), seed.join("README.md")).unwrap();
        std::fs::write(root.join("content/about.md"), "---\ntitle: About Q151228\n---\nText.\n").unwrap();
        std::fs::write(root.join("site.toml"), "title = \"T\"\nbaseurl = \"/kb-archive\"\n").unwrap();
        let config = SiteConfig::load(root, &Default::default()).unwrap();
        let prepared = prepare(&config, &Diagnostics::default(), &mut Laps::default()).unwrap();
        let (kb, pages) = (&prepared.kb, &prepared.pages);
        let full = KbRender::new(&config, kb, pages);
        let round = KbRender::with_urls(&config, kb, pages, &full.urls);
        for (id, page) in pages.iter().enumerate() {
            assert_eq!(full.summary(id), round.summary(id), "{}", page.rel());
        }
        let seed = pages.iter().position(|p| p.rel() == "kb/151/Q151228/README.md").unwrap();
        let summary = full.summary(seed);
        assert_eq!(summary["id"], "Q151228");
        assert_eq!(summary["url"], full.urls[seed].as_str());
        assert!(summary["date"].as_str().is_some_and(|d| d.len() == 10), "{summary}");
        let other = (0..pages.len()).find(|&id| kb.article(id).is_none()).expect("a page that is not an article");
        assert_eq!(full.summary(other)["id"], "");
        assert_eq!(full.summary(other)["date"], serde_json::Value::Null);
    }

    #[test]
    fn pass_time_adds_each_kind_of_work_only_when_on() {
        let burn = |d: Duration| {
            let start = crate::measure::thread_cpu();
            while crate::measure::thread_cpu() - start < d {}
            7
        };
        let off = PassTime::new(false);
        assert_eq!(off.measure(Work::Render, || burn(Duration::from_millis(1))), 7);
        assert_eq!(off.totals(), None);

        let on = PassTime::new(true);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| on.measure(Work::Render, || burn(Duration::from_millis(20))));
            }
        });
        on.measure(Work::Write, || burn(Duration::from_millis(5)));
        let t = on.totals().unwrap();
        assert!(t.render >= Duration::from_millis(40), "{t:?}"); // summed over both threads
        assert!(t.write >= Duration::from_millis(5) && t.write < t.render, "{t:?}");
        assert_eq!(t.read, Duration::ZERO);
    }
}
