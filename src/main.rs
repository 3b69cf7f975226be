//! The `kbsite` command: thin wrappers that configure the library and call it.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

/// mimalloc: rendering 60,000 pages on two threads is allocation-heavy (Tera contexts, JSON
/// values, HTML strings); it cut allocator time and peak memory against glibc malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use kbsite::build::{build, BuildOptions};
use kbsite::config::{Overrides, SiteConfig};
use kbsite::serve::ServeOptions;

#[derive(Parser)]
#[command(
    name = "kbsite",
    version,
    about = "A fast, Jekyll-compatible static site generator for knowledge-base archives"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into its output folder.
    Build {
        /// Folder holding site.toml.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Output folder (default: `output` from site.toml, relative to the root).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Override `baseurl` (e.g. `/kbarchive` for a GitHub Pages project site).
        #[arg(long)]
        baseurl: Option<String>,
        /// No progress bar, no summary line.
        #[arg(long, short)]
        quiet: bool,
        /// Print where the time went, per stage (time, CPU, memory), and how render+write split its
        /// CPU: reading sources, rendering, writing, making folders.
        #[arg(long, short = 'v', alias = "verbose")]
        profile: bool,
        /// Render every page again. By default a rebuild keeps the pages, index pages and search
        /// index that the output folder's previous build made from the same sources, templates,
        /// configuration and kbsite binary.
        #[arg(long)]
        full: bool,
    },
    /// Load and render everything in memory, write nothing, and report broken links and anchors,
    /// mentions of missing articles, duplicate URLs, front matter problems and untitled pages.
    Check {
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// `human` or `json` (for CI).
        #[arg(long, default_value = "human", value_parser = ["human", "json"])]
        format: String,
    },
    /// Create a new site in DIR: site.toml, an example article, editable templates and styles.
    Init {
        dir: PathBuf,
        /// Also add a GitHub Actions workflow that builds and deploys to GitHub Pages.
        #[arg(long)]
        github_pages: bool,
    },
    /// Build, serve the site, rebuild on change and reload open pages.
    Serve {
        /// Folder holding site.toml.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Port to listen on (0 picks a free one).
        #[arg(long, short, default_value_t = 4000)]
        port: u16,
        /// Address to listen on; anything but loopback makes the site reachable from elsewhere.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Open the site in a browser.
        #[arg(long)]
        open: bool,
        /// Poll for changes instead of using native file events (network or container filesystems).
        #[arg(long)]
        poll: bool,
    },
}

fn main() -> ExitCode {
    disable_transparent_huge_pages();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", format_error(&e));
            ExitCode::FAILURE
        }
    }
}

/// Opts this process out of transparent huge pages. With THP set to `always` (common on
/// servers and CI), each 2 MiB region mimalloc touches becomes resident as a whole: peak
/// memory was 150 MB instead of 90 MB on the 9,107-article sample and 320 MB instead of
/// 290 MB at 60,000 articles, at the same build time. Failing to opt out changes nothing else.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { root, format } => check(root, &format),
        Command::Init { dir, github_pages } => {
            let written = kbsite::init::init(&dir, github_pages)?;
            for f in &written {
                println!("  created {}", dir.join(f).display());
            }
            println!("new site in {}: cd there and run `kbsite build`", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Build { root, output, baseurl, quiet, profile, full } => {
            let started = Instant::now();
            let config = SiteConfig::load(&root, &Overrides { output, baseurl })?;
            let report = build(&config, &BuildOptions { quiet, full, profile, ..Default::default() })?;
            for w in &report.warnings {
                if !quiet {
                    eprintln!("{w}");
                }
            }
            if profile {
                // The first column is as wide as the longest stage name ("redirects+search").
                let width = report.stages.iter().map(|(stage, _)| stage.len()).max().unwrap_or(0).max(5);
                eprintln!(
                    "  {:<width$} {:>9} {:>9} {:>9} {:>6} {:>12} {:>12}",
                    "stage", "time", "user", "system", "cores", "resident", "peak"
                );
                let stages = report.stages.iter().zip(&report.stage_memory).zip(&report.stage_cpu);
                for (((stage, d), (rss, peak)), cpu) in stages {
                    eprintln!(
                        "  {stage:<width$} {:>7.3} s {:>7.2} s {:>7.2} s {:>6.2} {:>8} MiB {:>8} MiB",
                        d.as_secs_f64(),
                        cpu.user.as_secs_f64(),
                        cpu.system.as_secs_f64(),
                        cpu.cores(*d),
                        rss / 1024,
                        peak / 1024
                    );
                }
                if let Some(w) = report.work {
                    eprintln!(
                        "  render+write, CPU summed over threads: reading sources {:.2} s, rendering {:.2} s, \
                         writing {:.2} s; making folders {:.2} s (its threads run into the next stage); \
                         writers waited {:.2} s for folders",
                        w.read.as_secs_f64(),
                        w.render.as_secs_f64(),
                        w.write.as_secs_f64(),
                        w.folders.as_secs_f64(),
                        w.waited_for_folders.as_secs_f64()
                    );
                }
                if let Some(s) = report.search_work {
                    let search = match (report.search_kept, report.search.is_some()) {
                        (true, _) => "search index kept".to_string(),
                        (false, false) => "no search index".to_string(),
                        (false, true) => format!(
                            "search index {:.2} s (reading sources {:.2} s, tokenizing {:.2} s, adding and writing {:.2} s)",
                            s.search.as_secs_f64(),
                            s.search_read.as_secs_f64(),
                            s.search_tokenize.as_secs_f64(),
                            s.search.saturating_sub(s.search_read + s.search_tokenize).as_secs_f64()
                        ),
                    };
                    eprintln!(
                        "  redirects+search, CPU summed over threads: {search}; redirect pages with their folders, and stale files {:.2} s",
                        s.others.as_secs_f64()
                    );
                }
            }
            if !quiet && !report.unresolved_mentions.is_empty() {
                let mut numbers: Vec<u32> = report.unresolved_mentions.iter().map(|(_, n)| *n).collect();
                numbers.sort_unstable();
                numbers.dedup();
                eprintln!(
                    "note: {} mentions of {} articles not in the site stay plain text",
                    report.unresolved_mentions.len(),
                    numbers.len()
                );
            }
            if !quiet {
                let mut notes = Vec::new();
                if report.files_kept > 0 {
                    notes.push(format!("{} kept from the last build", report.files_kept));
                }
                if report.files_unchanged > 0 {
                    notes.push(format!("{} unchanged, not rewritten", report.files_unchanged));
                }
                if report.search_kept {
                    notes.push("search index kept".to_string());
                }
                if let Some(s) = report.search.filter(|s| s.reused_docs > 0) {
                    notes.push(format!("search index: {} of {} documents' terms reused", s.reused_docs, s.docs));
                }
                let kept = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) };
                println!(
                    "built {} pages ({} articles, {} index pages): {} files{kept}, {:.1} MB in {:.2} s → {}",
                    report.pages,
                    report.articles,
                    report.index_pages,
                    report.files_written,
                    report.bytes_written as f64 / 1e6,
                    started.elapsed().as_secs_f64(),
                    report.output_dir.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { root, port, bind, open, poll } => {
            kbsite::serve::run(ServeOptions { root, port, bind, poll, ..Default::default() }, open)
                .map(|()| ExitCode::SUCCESS)
        }
    }
}

fn check(root: PathBuf, format: &str) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let config = SiteConfig::load(&root, &Overrides::default())?;
    let report = kbsite::check::check(&config)?;
    if format == "json" {
        let json = serde_json::json!({
            "errors": report.errors(),
            "warnings": report.findings.len() - report.errors(),
            "pages": report.pages,
            "links": report.links,
            "findings": report.findings,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        for f in &report.findings {
            println!("{f}");
        }
        println!(
            "checked {} pages and {} links in {:.2} s: {} errors, {} warnings",
            report.pages,
            report.links,
            started.elapsed().as_secs_f64(),
            report.errors(),
            report.findings.len() - report.errors()
        );
    }
    Ok(if report.errors() > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The error and its causes, once: `error: outer: inner`.
fn format_error(e: &anyhow::Error) -> String {
    if let Some(failed) = e.downcast_ref::<kbsite::diagnostics::BuildFailed>() {
        return failed.to_string();
    }
    format!("error: {e:#}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_process_opts_out_of_transparent_huge_pages() {
        disable_transparent_huge_pages();
        assert_eq!(rustix::thread::transparent_huge_pages_are_disabled().ok(), Some(true));
    }
}
