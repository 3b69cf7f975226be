//! The build: load → analyze → render → write, each stage timed, every error collected, and
//! nothing written unless the whole site rendered.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::analyze::{self, Asset, Page};
use crate::config::SiteConfig;
use crate::diagnostics::{BuildFailed, Diagnostic, Diagnostics, Severity};
use crate::load;
use crate::render::templates::Templates;
use crate::render::{highlight, Renderer};
use crate::theme;
use crate::write::{self, Stage};

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// No progress bar.
    pub quiet: bool,
    /// Injected before `</body>` of every page (the serve command's live-reload script).
    pub inject: Option<String>,
}

/// What one output file depends on, so a later rebuild can redo only what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputRecord {
    pub output: String,
    /// The source file, relative to `source` (or to `static/` for theme assets).
    pub source: Option<String>,
    /// Layout templates it went through.
    pub templates: Vec<String>,
}

#[derive(Debug, Default)]
pub struct BuildReport {
    pub pages: usize,
    pub assets: usize,
    pub files_written: u64,
    pub bytes_written: u64,
    pub stages: Vec<(&'static str, Duration)>,
    pub warnings: Vec<Diagnostic>,
    pub outputs: Vec<OutputRecord>,
    pub output_dir: PathBuf,
}

impl BuildReport {
    pub fn total(&self) -> Duration {
        self.stages.iter().map(|(_, d)| *d).sum()
    }
}

/// Stage timer: `lap("load")` records the time since the previous lap.
struct Laps {
    last: Instant,
    stages: Vec<(&'static str, Duration)>,
}

impl Laps {
    fn new() -> Self {
        Laps { last: Instant::now(), stages: Vec::new() }
    }
    fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.stages.push((name, now - self.last));
        self.last = now;
    }
}

/// Builds the site into `config.output`.
pub fn build(config: &SiteConfig, opts: &BuildOptions) -> Result<BuildReport> {
    let diags = Diagnostics::default();
    let mut laps = Laps::new();
    write::check_output_location(&config.output, &config.root, &config.source)?;
    if !config.source.is_dir() {
        anyhow::bail!("source folder `{}` does not exist", config.source.display());
    }

    // Load.
    let inventory = load::walk(config, &diags);
    let (loaded, plain) = load::read_pages(config, inventory.page_candidates, &diags, |_, _| ());
    let mut asset_files = inventory.assets;
    asset_files.extend(plain);
    laps.lap("load");

    // Analyze.
    let templates = Templates::load(config, &diags);
    let pages = analyze::place_pages(
        config,
        loaded.into_iter().map(|(p, ())| p).collect(),
        |l| templates.has_layout(l),
        &diags,
    );
    let mut assets: Vec<Asset> = asset_files.into_iter().map(|f| Asset { output: f.rel.clone(), file: f }).collect();
    assets.extend(theme::static_assets(config, &diags));
    let generated = theme::generated_files(config, &pages, &assets);
    analyze::check_unique_outputs(&pages, &assets, &diags);
    for page in &pages {
        if let Some(layout) = &page.layout {
            if let Err(msg) = templates.chain(layout) {
                diags.error(&page.loaded.file.abs, None, msg);
            }
        }
    }
    laps.lap("analyze");
    fail_on_errors(&diags)?;

    // Render and write, streamed: each page is written as soon as it is rendered.
    let mut renderer = Renderer::new(config, &templates);
    renderer.inject = opts.inject.clone();
    let stage = Stage::create(&config.output)?;
    let result = render_and_write(config, &pages, &assets, &generated, &renderer, &stage, &diags, opts);
    laps.lap("render+write");
    let (records, files, bytes) = match result {
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
    stage.commit()?;
    laps.lap("swap");

    Ok(BuildReport {
        pages: pages.len(),
        assets: assets.len(),
        files_written: files,
        bytes_written: bytes,
        stages: laps.stages,
        warnings: diags.take_sorted(),
        outputs: records,
        output_dir: config.output.clone(),
    })
}

#[allow(clippy::too_many_arguments)]
fn render_and_write(
    config: &SiteConfig,
    pages: &[Page],
    assets: &[Asset],
    generated: &[(String, Vec<u8>)],
    renderer: &Renderer<'_>,
    stage: &Stage,
    diags: &Diagnostics,
    opts: &BuildOptions,
) -> Result<(Vec<OutputRecord>, u64, u64)> {
    let all_outputs = pages
        .iter()
        .map(|p| p.output.as_str())
        .chain(assets.iter().map(|a| a.output.as_str()))
        .chain(generated.iter().map(|(o, _)| o.as_str()))
        .chain(std::iter::once(theme::HIGHLIGHT_CSS));
    stage.create_dirs(all_outputs)?;

    let bytes = AtomicU64::new(0);
    let highlighted = AtomicBool::new(false);
    let progress = Progress::new(pages.len() as u64, opts.quiet);
    let mut records: Vec<OutputRecord> = pages
        .par_iter()
        .filter_map(|page| {
            progress.tick();
            let body = match load::reread_body(&page.loaded) {
                Ok(b) => b,
                Err(msg) => {
                    diags.error(&page.loaded.file.abs, None, msg);
                    return None;
                }
            };
            let rendered = match renderer.render_page(page, &body, None, None) {
                Ok(r) => r,
                Err(msg) => {
                    diags.error(&page.loaded.file.abs, None, msg);
                    return None;
                }
            };
            if rendered.highlighted {
                highlighted.store(true, Ordering::Relaxed);
            }
            if let Err(e) = stage.write(&page.output, rendered.html.as_bytes()) {
                diags.error(&page.loaded.file.abs, None, format!("{e:#}"));
                return None;
            }
            bytes.fetch_add(rendered.html.len() as u64, Ordering::Relaxed);
            Some(OutputRecord {
                output: page.output.clone(),
                source: Some(page.rel().to_string()),
                templates: rendered.layouts,
            })
        })
        .collect();
    progress.finish();

    let asset_records: Vec<OutputRecord> = assets
        .par_iter()
        .filter_map(|asset| match stage.copy(&asset.file.abs, &asset.output) {
            Ok(n) => {
                bytes.fetch_add(n, Ordering::Relaxed);
                Some(OutputRecord {
                    output: asset.output.clone(),
                    source: Some(asset.file.rel.clone()),
                    templates: Vec::new(),
                })
            }
            Err(e) => {
                diags.error(&asset.file.abs, None, format!("{e:#}"));
                None
            }
        })
        .collect();
    records.extend(asset_records);

    for (output, content) in generated {
        stage.write(output, content)?;
        bytes.fetch_add(content.len() as u64, Ordering::Relaxed);
        records.push(OutputRecord { output: output.clone(), source: None, templates: Vec::new() });
    }
    match renderer.render_template("404.html", serde_json::json!({"title": "Page not found", "url": "/404.html"}), &[])
    {
        Ok(html) if !pages.iter().any(|p| p.output == "404.html") && !assets.iter().any(|a| a.output == "404.html") => {
            stage.write("404.html", html.as_bytes())?;
            bytes.fetch_add(html.len() as u64, Ordering::Relaxed);
            records.push(OutputRecord { output: "404.html".into(), source: None, templates: vec!["404.html".into()] });
        }
        Ok(_) => {}
        Err(msg) => diags.error(&config.templates_dir.join("404.html"), None, msg),
    }
    if highlighted.load(Ordering::Relaxed) {
        let css = highlight::stylesheet();
        stage.write(theme::HIGHLIGHT_CSS, css.as_bytes())?;
        bytes.fetch_add(css.len() as u64, Ordering::Relaxed);
        records.push(OutputRecord { output: theme::HIGHLIGHT_CSS.into(), source: None, templates: Vec::new() });
    }
    records.sort_by(|a, b| a.output.cmp(&b.output));
    let files = records.len() as u64;
    Ok((records, files, bytes.into_inner()))
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
