//! Incremental rebuilds for `kbsite serve`: after the first full build the analyzed site stays
//! in memory ([`LiveSite`]), and a change rewrites only the outputs whose inputs changed.
//!
//! # Two states
//! - **The model**: the site as the sources are now — pages, the KB graph and indexes
//!   ([`KbSite::update`]), templates, files. A change is taken in only once every file it names
//!   reads and places without error; otherwise its paths stay pending and are tried again with
//!   the next change (a full build would fail the same way).
//! - **What is written**: per output, a fingerprint of the inputs it was rendered from
//!   ([`fingerprint`]); `0` when unknown (its file or a template it uses changed). A round
//!   renders every output whose wanted fingerprint differs from the written one, so a round
//!   that fails after the model took a change in (a template error, two pages on one URL) is
//!   repaired by the next successful one.
//!
//! # A round ([`LiveSite::update`])
//! 1. Read the changed files (pages: front matter, KB header, mentions) and place them (URLs);
//!    reload templates or `static/` when they changed. Errors stop here.
//! 2. Take them in: the page list is merged by path, the KB graph updated in place (work in
//!    proportion to what changed), index pages listed again (cheap), publishing files made
//!    again only when what they show changed (`generated::Refresh`).
//! 3. Fingerprint every page and index page (a hash per page; no JSON, no rendering) and
//!    render the outputs whose fingerprint changed into a staging folder; rename them into
//!    the live output, delete outputs that are gone.
//! 4. The caller tells open pages to reload; then the search index is rebuilt if a page's
//!    search entry changed ([`LiveSite::rebuild_search`]), which at 60,000 articles takes
//!    seconds, so it runs after the reload and stops early when new changes arrive.
//!
//! [`KbSite::update`]: crate::analyze::kb_index::KbSite

mod changes;
pub mod fingerprint;
mod generated;
mod output;
mod update;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::analyze::{self, Asset};
use crate::build::{self, BuildOptions, BuildReport, Prepared};
use crate::config::SiteConfig;
use crate::diagnostics::Diagnostic;
use crate::load::{self, SourceFile};
use crate::search::SearchStats;
use generated::{GeneratedFiles, Refresh};

pub use update::Changed;

/// A built site kept in memory to rebuild incrementally.
pub struct LiveSite {
    prepared: Prepared,
    opts: BuildOptions,
    /// Per page: its URL with the baseurl (what `KbRender` links to).
    urls: Vec<String>,
    /// Per page: [`fingerprint::summary_hash`].
    summary: Vec<u64>,
    /// Folder → how many `index.*` pages it has.
    index_dirs: HashMap<String, usize>,
    /// The site's files copied unchanged, in the full build's order: files that are not pages,
    /// page-like files without front matter, then `static/`.
    content_assets: Vec<SourceFile>,
    plain_assets: Vec<SourceFile>,
    static_assets: Vec<Asset>,
    generated: GeneratedFiles,
    written: Written,
    /// Changed paths not yet taken in (their round failed before it could).
    pending: Changed,
    /// Some page's search entry changed since the search index was written.
    search_stale: bool,
    /// Per page: [`build::search_entry_hash`] of what the index holds, `None` when unknown.
    search_hashes: Vec<Option<u64>>,
    /// Renders and writes changed outputs. More threads than cores: creating and renaming
    /// files blocks on the disk (~0.1 ms a file here), and rendering fills the waits.
    io_pool: rayon::ThreadPool,
}

/// What the output folder holds, by kind of output.
#[derive(Debug, Default)]
struct Written {
    /// Per page (aligned with the pages): the fingerprint it was rendered with; 0 = rewrite.
    pages: Vec<u64>,
    /// Index page output → fingerprint.
    index: HashMap<String, u64>,
    /// Generated file → digest of its bytes.
    generated: HashMap<String, u64>,
    /// The generated files equal what `generated` says (false after a failed round).
    generated_synced: bool,
    /// Generated files no longer made, to delete at the next successful round.
    generated_dropped: BTreeSet<String>,
    /// Copied file output → the file it was copied from.
    assets: HashMap<String, PathBuf>,
    /// Copied outputs whose file changed since.
    stale_assets: BTreeSet<String>,
    /// Outputs of pages that went or moved: deleted unless something else writes them now.
    stale_outputs: BTreeSet<String>,
    /// The last check found every output unique (else every round checks again).
    unique: bool,
    /// The 404 page rendered from the `404.html` template.
    not_found: bool,
    /// The highlight stylesheet, and the pages (source paths) that need it.
    highlight: bool,
    highlighted: BTreeSet<String>,
}

/// What a round did.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// Outputs written (rendered or copied), sorted.
    pub written: Vec<String>,
    /// Outputs deleted, sorted.
    pub deleted: Vec<String>,
    pub pages: usize,
    pub assets: usize,
    /// Warnings about the files read in this round.
    pub warnings: Vec<Diagnostic>,
    pub stages: Vec<(&'static str, Duration)>,
}

impl Rebuilt {
    pub fn total(&self) -> Duration {
        self.stages.iter().map(|(_, d)| *d).sum()
    }
}

impl LiveSite {
    /// Keeps a site that [`build::build_keeping`] just wrote with `opts`.
    pub fn from_build(config: &SiteConfig, mut prepared: Prepared, report: &BuildReport, opts: BuildOptions) -> Self {
        let pages = &prepared.pages;
        let urls: Vec<String> = pages.par_iter().map(|p| config.relative_url(&p.url)).collect();
        let summary: Vec<u64> = (0..pages.len())
            .into_par_iter()
            .map(|id| fingerprint::summary_hash(&prepared.kb, pages, &urls, id))
            .collect();
        let mut index_dirs: HashMap<String, usize> = HashMap::new();
        for p in pages {
            if let Some(dir) = analyze::index_dir(p.rel()) {
                *index_dirs.entry(dir.to_string()).or_default() += 1;
            }
        }
        let (mut content_assets, mut plain_assets, mut static_assets) = (Vec::new(), Vec::new(), Vec::new());
        for asset in &prepared.assets {
            if asset.file.abs.starts_with(&config.static_dir) {
                static_assets.push(asset.clone());
            } else if load::is_page_candidate(&asset.file.rel) {
                plain_assets.push(asset.file.clone());
            } else {
                content_assets.push(asset.file.clone());
            }
        }
        // The full build made these files in one list; keep them by group instead.
        prepared.generated = Vec::new();
        prepared.redirects = Vec::new();
        let mut generated = GeneratedFiles::default();
        let (kb, index_pages, assets) = (&prepared.kb, &prepared.index_pages, &prepared.assets);
        generated.refresh(Refresh::all(), config, pages, kb, index_pages, assets);

        let written_pages = fingerprint::page_fingerprints(kb, &summary, |t| fingerprint::hash_of(&urls[t]));
        let index_fp = fingerprint::index_fingerprints(kb, &summary, index_pages, config.kb.page_size);
        let written = Written {
            pages: written_pages,
            index: index_pages.iter().zip(index_fp).map(|(g, fp)| (g.output.clone(), fp)).collect(),
            generated: generated.all().map(|(name, bytes)| (name.clone(), fingerprint::hash_of(bytes))).collect(),
            generated_synced: true,
            generated_dropped: BTreeSet::new(),
            assets: assets.iter().map(|a| (a.output.clone(), a.file.abs.clone())).collect(),
            stale_assets: BTreeSet::new(),
            stale_outputs: BTreeSet::new(),
            unique: true,
            // The build made its own 404 page where the site has none (a template error would
            // have failed it).
            not_found: !analyze::is_site_output(pages, assets, "404.html"),
            highlight: !report.highlighted.is_empty(),
            highlighted: report.highlighted.iter().cloned().collect(),
        };
        let search_hashes = match report.search_hashes.len() == pages.len() {
            true => report.search_hashes.iter().copied().map(Some).collect(),
            false => vec![None; pages.len()],
        };
        LiveSite {
            prepared,
            opts,
            urls,
            summary,
            index_dirs,
            content_assets,
            plain_assets,
            static_assets,
            generated,
            written,
            pending: Changed::default(),
            search_stale: report.search_deferred,
            search_hashes,
            io_pool: crate::write::io_pool(),
        }
    }

    /// The analyzed site as it is now.
    pub fn prepared(&self) -> &Prepared {
        &self.prepared
    }

    /// Every file of the site this build read: pages, copied files (the site's and `static/`)
    /// and the site's layouts.
    pub fn source_files(&self) -> impl Iterator<Item = &Path> {
        let prepared = &self.prepared;
        prepared
            .pages
            .iter()
            .map(|p| p.loaded.file.abs.as_path())
            .chain(self.content_assets.iter().chain(&self.plain_assets).map(|f| f.abs.as_path()))
            .chain(self.static_assets.iter().map(|a| a.file.abs.as_path()))
            .chain(prepared.templates.layout_files())
    }

    /// Whether the search index is older than the pages (see [`LiveSite::rebuild_search`]).
    pub fn search_stale(&self) -> bool {
        self.search_stale
    }

    /// Rebuilds the search index from every page's text, as the full build does, and swaps it
    /// in. Checks `interrupted` between batches of documents and gives up (returning `None`,
    /// the index staying stale) when it says so: new changes are waiting.
    pub fn rebuild_search(
        &mut self,
        config: &SiteConfig,
        interrupted: &mut dyn FnMut() -> bool,
    ) -> Result<Option<SearchStats>> {
        if !config.search.enabled {
            self.search_stale = false;
            return Ok(None);
        }
        let prepared = &self.prepared;
        let docs = build::search_docs(prepared);
        let mut hashes = vec![0; prepared.pages.len()];
        let cache = build::search_terms_path(&config.output);
        let made = build::make_search_builder(
            config,
            prepared,
            &docs,
            Some(&cache),
            Some(&mut hashes),
            build::PassTime::off(),
            Some(interrupted),
        );
        let Some((builder, keys)) = made else { return Ok(None) };
        if interrupted() {
            return Ok(None);
        }
        let fresh = output::sibling(&config.output, "kbsite-search");
        if fresh.exists() {
            std::fs::remove_dir_all(&fresh).with_context(|| format!("failed to clear `{}`", fresh.display()))?;
        }
        std::fs::create_dir_all(&fresh).with_context(|| format!("failed to create `{}`", fresh.display()))?;
        let (stats, files) = build::write_search_index(&builder, &keys, &fresh, &cache)?;
        output::swap_search_index(&config.output, &fresh)?;
        // Recorded as the full build records it, so that a restarted serve keeps this index
        // when no document changed meanwhile. Only a saving: if the manifest cannot be updated,
        // its old record no longer matches these files, and a later build makes the index.
        if build::keeps_outputs(&self.opts, &prepared.templates) {
            let key = build::search_tree_key(prepared, &docs);
            let _ = crate::write::record_live_tree(&config.output, "search", key, &files);
        }
        self.search_stale = false;
        self.search_hashes = hashes.into_iter().map(Some).collect();
        Ok(Some(stats))
    }
}
