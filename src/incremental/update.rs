//! One incremental round ([`LiveSite::update`]); the steps are described in [`super`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;

use anyhow::Result;
use rayon::prelude::*;

use super::changes::{self, path_cmp};
use super::fingerprint::{self, hash_of};
use super::generated::Refresh;
use super::output::Overlay;
use super::{LiveSite, Rebuilt};
use crate::analyze::kb::KbArticle;
use crate::analyze::kb_index::PageKb;
use crate::analyze::kb_update::Remap;
use crate::analyze::{self, Asset, Page, PageId};
use crate::build::WriteMode::Plain;
use crate::build::{self, Laps, WrittenPage};
use crate::config::SiteConfig;
use crate::diagnostics::{BuildFailed, Diagnostics, Severity};
use crate::load::{self, LoadedPage, SourceFile};
use crate::render::kb::{generated_pages, KbRender};
use crate::render::templates::Templates;
use crate::render::{highlight, Renderer};
use crate::theme;

/// Changed paths (absolute), by kind, as the watcher sorts them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// Under `source`.
    pub content: BTreeSet<PathBuf>,
    /// Under `templates/`.
    pub templates: BTreeSet<PathBuf>,
    /// Under `static/`.
    pub statics: BTreeSet<PathBuf>,
}

impl Changed {
    pub fn is_empty(&self) -> bool {
        self.content.is_empty() && self.templates.is_empty() && self.statics.is_empty()
    }

    fn extend(&mut self, other: &Changed) {
        self.content.extend(other.content.iter().cloned());
        self.templates.extend(other.templates.iter().cloned());
        self.statics.extend(other.statics.iter().cloned());
    }
}

/// The pages at or below folder `dir` (`""`: all): one run, since pages are sorted by path.
fn below(pages: &[Page], dir: &str) -> Range<usize> {
    if dir.is_empty() {
        return 0..pages.len();
    }
    let start = pages.partition_point(|p| path_cmp(p.rel(), dir).is_lt());
    let inside = |rel: &str| rel == dir || rel.strip_prefix(dir).is_some_and(|r| r.starts_with('/'));
    start..start + pages[start..].iter().take_while(|p| inside(p.rel())).count()
}

fn find(pages: &[Page], rel: &str) -> Option<PageId> {
    pages.binary_search_by(|p| path_cmp(p.rel(), rel)).ok()
}

fn is_readme(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem).eq_ignore_ascii_case("readme")
}

fn failed(diags: &Diagnostics) -> anyhow::Error {
    BuildFailed { errors: diags.take_sorted().into_iter().filter(|d| d.severity == Severity::Error).collect() }.into()
}

impl LiveSite {
    /// Takes `changed` in and rewrites the outputs that changed. On error the output folder is
    /// left as it was; see the module docs for what is kept for the next round.
    pub fn update(&mut self, config: &SiteConfig, changed: &Changed) -> Result<Rebuilt> {
        let mut laps = Laps::new();
        self.pending.extend(changed);
        let todo = self.pending.clone();
        let diags = Diagnostics::default();

        // 1. Read what changed.
        let content: Vec<PathBuf> = todo.content.iter().cloned().collect();
        let delta = changes::resolve(config, &content, &diags);
        let (candidates, files): (Vec<SourceFile>, Vec<SourceFile>) =
            delta.present.iter().cloned().partition(|f| load::is_page_candidate(&f.rel));
        let (loaded, plain) =
            load::read_pages(config, candidates, &diags, |page, body| build::analyze_body(page, body, &diags));
        let templates = (!todo.templates.is_empty()).then(|| Templates::load(config, &diags));
        let statics = (!todo.statics.is_empty()).then(|| theme::static_assets(config, &diags));
        if diags.has_errors() {
            return Err(failed(&diags));
        }
        laps.lap("read");

        // Old pages at a changed path: re-read, or gone (deleted, or no longer a page).
        let pages = &self.prepared.pages;
        let fresh_rels: HashSet<&str> = loaded.iter().map(|(p, _)| p.file.rel.as_str()).collect();
        let mut touched: BTreeSet<PageId> = delta.gone.iter().flat_map(|g| below(pages, g)).collect();
        touched.extend(delta.present.iter().filter_map(|f| find(pages, &f.rel)));
        let removed: BTreeSet<PageId> =
            touched.iter().copied().filter(|&i| !fresh_rels.contains(pages[i].rel())).collect();

        // Folders gaining or losing their `index.*` page; their README pages move.
        let mut index_delta: HashMap<String, isize> = HashMap::new();
        for &i in &touched {
            if let Some(dir) = analyze::index_dir(pages[i].rel()) {
                *index_delta.entry(dir.to_string()).or_default() -= 1;
            }
        }
        for (page, _) in &loaded {
            if let Some(dir) = analyze::index_dir(&page.file.rel) {
                *index_delta.entry(dir.to_string()).or_default() += 1;
            }
        }
        let index_count = |dir: &str| self.index_dirs.get(dir).map_or(0, |&n| n as isize);
        let has_index = |dir: &str| index_count(dir) + index_delta.get(dir).copied().unwrap_or(0) > 0;
        let mut fresh: Vec<(LoadedPage, PageKb)> = loaded;
        for dir in index_delta.keys().filter(|d| (index_count(d) > 0) != has_index(d)) {
            for i in below(pages, dir) {
                let rel = pages[i].rel();
                if analyze::dir_of(rel) == dir && is_readme(rel) && !touched.contains(&i) {
                    fresh.push((pages[i].loaded.clone(), self.prepared.kb.articles[i].clone()));
                }
            }
        }
        fresh.sort_by(|a, b| path_cmp(&a.0.file.rel, &b.0.file.rel));

        // Place them; check layouts (all pages' when templates changed).
        let templates_now = templates.as_ref().unwrap_or(&self.prepared.templates);
        let placed = analyze::place_pages_with(config, fresh, has_index, |l| templates_now.has_layout(l), &diags);
        for (page, _) in &placed {
            if let Some(Err(msg)) = page.layout.as_deref().map(|l| templates_now.chain(l)) {
                diags.error(&page.loaded.file.abs, None, msg);
            }
        }
        if templates.is_some() {
            let mut broken: HashMap<&str, Option<String>> = HashMap::new();
            for (i, page) in pages.iter().enumerate().filter(|(i, _)| !touched.contains(i)) {
                let Some(layout) = page.layout.as_deref() else { continue };
                let problem = broken.entry(layout).or_insert_with(|| templates_now.chain(layout).err());
                if let Some(msg) = problem {
                    diags.error(&pages[i].loaded.file.abs, None, msg.clone());
                }
            }
        }
        if diags.has_errors() {
            return Err(failed(&diags));
        }
        laps.lap("place");

        // 2. Take the change in: from here on the model describes the sources.
        self.pending = Changed::default();
        let mut structural = !removed.is_empty();
        let mut refresh = Refresh { feed: !placed.is_empty() || !removed.is_empty(), ..Refresh::default() };
        let date = |a: Option<&KbArticle>| a.and_then(|a| a.last_modified);
        let ident = |a: Option<&KbArticle>| a.map(|a| (a.id.clone(), a.number));
        for (page, kb) in &placed {
            let Some(i) = find(pages, page.rel()) else {
                structural = true;
                continue;
            };
            let old = &pages[i];
            if (&old.output, &old.url) != (&page.output, &page.url) {
                structural = true;
                self.written.stale_outputs.insert(old.output.clone());
            }
            let (was, is) = (self.prepared.kb.article(i), kb.article.as_ref());
            refresh.sitemap |= date(was) != date(is);
            refresh.redirects |= ident(was) != ident(is);
        }
        for &i in &removed {
            self.written.stale_outputs.insert(pages[i].output.clone());
        }
        let old_duplicates = self.prepared.kb.duplicate_numbers.clone();

        let old_pages = std::mem::take(&mut self.prepared.pages);
        let fresh_rels: Vec<&str> = placed.iter().map(|(p, _)| p.rel()).collect();
        let remap = changes::merge(old_pages.len(), |i| old_pages[i].rel(), |i| removed.contains(&i), &fresh_rels);
        let (fresh_pages, fresh_kb): (Vec<Page>, Vec<PageKb>) = placed.into_iter().unzip();
        let fresh_urls: Vec<String> = fresh_pages.iter().map(|p| config.relative_url(&p.url)).collect();
        for (dir, d) in index_delta {
            let n = self.index_dirs.get(&dir).map_or(0, |&n| n as isize) + d;
            match n > 0 {
                true => self.index_dirs.insert(dir, n as usize),
                false => self.index_dirs.remove(&dir),
            };
        }
        self.prepared.pages = remap.apply(old_pages, fresh_pages);
        laps.lap("pages");
        self.prepared.kb.update(&remap, fresh_kb);
        laps.lap("kb");
        self.urls = remap.apply(std::mem::take(&mut self.urls), fresh_urls);
        self.search_stale |= self.search_entries_changed(config, &remap);
        let (pages, kb) = (&self.prepared.pages, &self.prepared.kb);
        let fresh_summary: Vec<u64> =
            remap.changed.iter().map(|&id| fingerprint::summary_hash(kb, pages, &self.urls, id)).collect();
        self.summary = remap.apply(std::mem::take(&mut self.summary), fresh_summary);
        self.written.pages = remap.apply(std::mem::take(&mut self.written.pages), vec![0; remap.changed.len()]);
        refresh.redirects |= kb.duplicate_numbers != old_duplicates;
        let changed_ids: HashSet<PageId> = remap.changed.iter().copied().collect();
        for &(kept, ignored) in &kb.duplicate_numbers {
            if changed_ids.contains(&kept) || changed_ids.contains(&ignored) {
                diags.warning(
                    &pages[ignored].loaded.file.abs,
                    None,
                    format!("article number also used by `{}`; mentions link to that one", pages[kept].rel()),
                );
            }
        }

        // Files copied unchanged.
        let old_assets: Vec<String> = self.prepared.assets.iter().map(|a| a.output.clone()).collect();
        if !delta.present.is_empty() || !delta.gone.is_empty() {
            let present: HashSet<&str> = delta.present.iter().map(|f| f.rel.as_str()).collect();
            let keep = |f: &SourceFile| !delta.is_gone(&f.rel) && !present.contains(f.rel.as_str());
            self.content_assets.retain(keep);
            self.plain_assets.retain(keep);
            for f in files.iter().chain(&plain) {
                self.written.stale_assets.insert(f.rel.clone());
            }
            self.content_assets.extend(files);
            self.plain_assets.extend(plain);
            self.content_assets.sort_by(|a, b| path_cmp(&a.rel, &b.rel));
            self.plain_assets.sort_by(|a, b| path_cmp(&a.rel, &b.rel));
        }
        if let Some(statics) = statics {
            for p in &todo.statics {
                if let Ok(rel) = p.strip_prefix(&config.static_dir) {
                    self.written.stale_assets.insert(load::rel_path(std::path::Path::new(""), rel));
                }
            }
            self.static_assets = statics;
        }
        let as_asset = |f: &SourceFile| Asset { output: f.rel.clone(), file: f.clone() };
        self.prepared.assets = self.content_assets.iter().chain(&self.plain_assets).map(as_asset).collect();
        self.prepared.assets.extend(self.static_assets.iter().cloned());
        structural |= self.prepared.assets.iter().map(|a| &a.output).ne(old_assets.iter());

        // Templates: outputs that went through a changed template (or one using it) are redone.
        if let Some(new) = templates {
            let names: BTreeSet<String> = todo
                .templates
                .iter()
                .filter_map(|p| p.strip_prefix(&config.templates_dir).ok())
                .map(|rel| load::rel_path(std::path::Path::new(""), rel))
                .collect();
            let old = &self.prepared.templates;
            let affected: BTreeSet<String> = old.users_of(&names).into_iter().chain(new.users_of(&names)).collect();
            let mut memo: HashMap<String, bool> = HashMap::new();
            let mut uses = |layout: &str| {
                *memo.entry(layout.to_string()).or_insert_with(|| {
                    [old, &new].iter().any(|t| {
                        t.chain(layout).map_or(true, |chain| chain.iter().any(|l| affected.contains(&l.template)))
                    })
                })
            };
            for (i, page) in self.prepared.pages.iter().enumerate() {
                if page.layout.as_deref().is_some_and(&mut uses) {
                    self.written.pages[i] = 0;
                }
            }
            for g in &self.prepared.index_pages {
                if uses(g.template.rsplit_once('.').map_or(g.template, |(stem, _)| stem)) {
                    self.written.index.remove(&g.output);
                }
            }
            if uses("404") {
                self.written.not_found = false;
            }
            self.prepared.templates = new;
        }
        laps.lap("update");

        self.finish_round(config, structural, refresh, diags, laps)
    }

    /// Whether the round's page changes (`remap`, already applied to the pages) change what the
    /// search index holds: a page was removed or added, or a changed page's search entry differs
    /// from the indexed one (or that one is unknown). A save without changes leaves it alone.
    /// Keeps the per-page hashes in step with the pages.
    fn search_entries_changed(&mut self, config: &SiteConfig, remap: &Remap) -> bool {
        let fresh: Vec<Option<u64>> = match config.search.enabled {
            true => {
                remap.changed.par_iter().map(|&i| Some(build::search_entry_hash(config, &self.prepared, i))).collect()
            }
            false => vec![None; remap.changed.len()],
        };
        let mut indexed: HashMap<PageId, Option<u64>> = HashMap::new();
        let mut removed = false;
        let old = std::mem::take(&mut self.search_hashes);
        self.search_hashes = remap.apply_keeping(old, fresh, |old_id, hash| match remap.old_to_new[old_id] {
            Some(new_id) => drop(indexed.insert(new_id, hash)),
            None => removed = true,
        });
        removed
            || remap.changed.iter().any(|i| {
                let before = indexed.get(i).copied().flatten();
                before.is_none() || before != self.search_hashes[*i]
            })
    }

    /// Steps 2 (derived files and checks) to 3 (render, write) of a round whose change was taken in.
    fn finish_round(
        &mut self,
        config: &SiteConfig,
        structural: bool,
        mut refresh: Refresh,
        diags: Diagnostics,
        mut laps: Laps,
    ) -> Result<Rebuilt> {
        let LiveSite { prepared, urls, summary, generated, written, io_pool, .. } = self;
        let (pages, kb, assets) = (&prepared.pages, &prepared.kb, &prepared.assets);
        let kb_render = KbRender::with_urls(config, kb, pages, urls);
        let home_taken = pages.iter().any(|p| p.url == "/");
        let index_pages = generated_pages(config, kb, pages, home_taken);
        let index_moved = index_pages.iter().map(|g| &g.output).ne(prepared.index_pages.iter().map(|g| &g.output));
        if index_moved {
            let now: HashSet<&str> = index_pages.iter().map(|g| g.output.as_str()).collect();
            let gone = prepared.index_pages.iter().filter(|g| !now.contains(g.output.as_str()));
            written.stale_outputs.extend(gone.map(|g| g.output.clone()));
        }
        let structural = structural || index_moved;
        prepared.index_pages = index_pages;
        let index_pages = &prepared.index_pages;
        if structural {
            refresh = Refresh::all();
        }
        laps.lap("index");
        let dropped = generated.refresh(refresh, config, pages, kb, index_pages, assets);
        written.generated_dropped.extend(dropped);
        laps.lap("publish");
        if structural || refresh.redirects || !written.unique {
            let names: Vec<(&str, &str)> = index_pages
                .iter()
                .map(|g| (g.output.as_str(), "a generated index page"))
                .chain(generated.all().map(|(o, _)| (o.as_str(), "a generated file")))
                .collect();
            let before = diags.has_errors();
            analyze::check_unique_outputs(pages, assets, &names, &diags);
            written.unique = diags.has_errors() == before;
        }
        laps.lap("check");
        if diags.has_errors() {
            written.generated_synced &= !refresh.any();
            return Err(failed(&diags));
        }

        // What to write: outputs whose fingerprint differs from the written one.
        let page_fp = fingerprint::page_fingerprints(kb, summary, |t| hash_of(&urls[t]));
        let dirty_pages: Vec<PageId> = (0..pages.len()).filter(|&i| written.pages[i] != page_fp[i]).collect();
        let index_fp = fingerprint::index_fingerprints(kb, summary, index_pages, config.kb.page_size);
        let dirty_index: Vec<usize> = (0..index_pages.len())
            .filter(|&i| written.index.get(&index_pages[i].output) != Some(&index_fp[i]))
            .collect();
        let dirty_assets: Vec<&Asset> = assets
            .iter()
            .filter(|a| written.assets.get(&a.output) != Some(&a.file.abs) || written.stale_assets.contains(&a.output))
            .collect();
        laps.lap("fingerprint");
        let compare = if written.generated_synced { refresh } else { Refresh::all() };
        let gen_files: Vec<_> = generated.of(compare).collect();
        let gen_hashes: Vec<u64> = gen_files.par_iter().map(|(_, bytes)| hash_of(bytes)).collect();
        let not_found_wanted = !crate::analyze::is_site_output(pages, assets, "404.html");
        laps.lap("plan");

        // Render, into temporary files beside their targets.
        let overlay = Overlay::create(&config.output)?;
        let renderer = Renderer::new(config, &prepared.templates);
        let writer = build::OutputWriter {
            config,
            kb: &kb_render,
            renderer: &renderer,
            sink: &overlay,
            diags: &diags,
            time: build::PassTime::new(false),
        };
        let rendered: Vec<WrittenPage> = io_pool.install(|| {
            dirty_index.par_iter().for_each(|&i| {
                writer.index_page(&index_pages[i], Plain);
            });
            dirty_pages.par_iter().filter_map(|&id| writer.page(id, Plain)).collect()
        });
        for a in &dirty_assets {
            if let Err(e) = crate::write::Sink::copy(&overlay, &a.file.abs, &a.output) {
                diags.error(&a.file.abs, None, format!("{e:#}"));
            }
        }
        for ((name, bytes), h) in gen_files.iter().zip(&gen_hashes) {
            if written.generated.get(name) != Some(h) {
                if let Err(e) = crate::write::Sink::write(&overlay, name, bytes) {
                    diags.error(&config.output, None, format!("{e:#}"));
                }
            }
        }
        if not_found_wanted && !written.not_found {
            if let Err(e) = build::write_not_found(config, &renderer, &overlay, &diags) {
                diags.error(&config.output, None, format!("{e:#}"));
            }
        }
        let mut highlighted = written.highlighted.clone();
        for w in &rendered {
            let rel = pages[w.id].rel().to_string();
            match w.highlighted {
                true => highlighted.insert(rel),
                false => highlighted.remove(&rel),
            };
        }
        highlighted.retain(|rel| find(pages, rel).is_some());
        let highlight_wanted = !highlighted.is_empty();
        if highlight_wanted && !written.highlight {
            if let Err(e) =
                crate::write::Sink::write(&overlay, theme::HIGHLIGHT_CSS, highlight::stylesheet().as_bytes())
            {
                diags.error(&config.output, None, format!("{e:#}"));
            }
        }
        if diags.has_errors() {
            overlay.discard();
            written.generated_synced &= !refresh.any();
            return Err(failed(&diags));
        }
        laps.lap("render");

        // Outputs nothing writes any more.
        let mut candidates: BTreeSet<&str> = written.stale_outputs.iter().map(String::as_str).collect();
        candidates.extend(written.generated_dropped.iter().map(String::as_str));
        let asset_outputs: HashSet<&str> = assets.iter().map(|a| a.output.as_str()).collect();
        candidates.extend(written.assets.keys().map(String::as_str).filter(|o| !asset_outputs.contains(o)));
        if written.highlight && !highlight_wanted {
            candidates.insert(theme::HIGHLIGHT_CSS);
        }
        let deletes: Vec<String> = if candidates.is_empty() {
            Vec::new()
        } else {
            let page_outputs: HashSet<&str> = pages.iter().map(|p| p.output.as_str()).collect();
            let index_outputs: HashSet<&str> = index_pages.iter().map(|g| g.output.as_str()).collect();
            let gen_names: HashSet<&str> = generated.all().map(|(n, _)| n.as_str()).collect();
            let claimed = |o: &str| {
                page_outputs.contains(o)
                    || index_outputs.contains(o)
                    || asset_outputs.contains(o)
                    || gen_names.contains(o)
                    || (o == "404.html" && not_found_wanted)
                    || (o == theme::HIGHLIGHT_CSS && highlight_wanted)
                    || (o == "search/search.js" && config.search.enabled)
            };
            candidates.into_iter().filter(|o| !claimed(o)).map(str::to_string).collect()
        };

        // 3. Rename the changed files into place; delete what is gone.
        let staged = overlay.staged();
        io_pool.install(|| overlay.commit(&deletes))?;
        for &id in &dirty_pages {
            written.pages[id] = page_fp[id];
        }
        for &i in &dirty_index {
            written.index.insert(index_pages[i].output.clone(), index_fp[i]);
        }
        let now: HashSet<&str> = index_pages.iter().map(|g| g.output.as_str()).collect();
        written.index.retain(|o, _| now.contains(o.as_str()));
        for name in std::mem::take(&mut written.generated_dropped) {
            written.generated.remove(&name);
        }
        for ((name, _), h) in gen_files.iter().zip(gen_hashes) {
            written.generated.insert(name.clone(), h);
        }
        written.generated_synced = true;
        written.assets = assets.iter().map(|a| (a.output.clone(), a.file.abs.clone())).collect();
        written.stale_assets.clear();
        written.stale_outputs.clear();
        written.not_found = not_found_wanted;
        written.highlight = highlight_wanted;
        written.highlighted = highlighted;
        laps.lap("write");
        Ok(Rebuilt {
            written: staged,
            deleted: deletes,
            pages: pages.len(),
            assets: assets.len(),
            warnings: diags.take_sorted(),
            stages: laps.stages,
        })
    }
}
