//! The `kbsite` command: thin wrappers that configure the library and call it.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
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
        /// Print where the time went, per stage.
        #[arg(long, short = 'v', alias = "verbose")]
        profile: bool,
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
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", format_error(&e));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Build { root, output, baseurl, quiet, profile } => {
            let started = Instant::now();
            let config = SiteConfig::load(&root, &Overrides { output, baseurl })?;
            let report = build(&config, &BuildOptions { quiet, ..Default::default() })?;
            for w in &report.warnings {
                if !quiet {
                    eprintln!("{w}");
                }
            }
            if profile {
                for (stage, d) in &report.stages {
                    eprintln!("  {stage:<14} {:>8.3} s", d.as_secs_f64());
                }
            }
            if !quiet {
                println!(
                    "built {} pages and {} files in {:.2} s → {}",
                    report.pages,
                    report.assets,
                    started.elapsed().as_secs_f64(),
                    report.output_dir.display()
                );
            }
            Ok(())
        }
        Command::Serve { root, port, bind, open, poll } => {
            kbsite::serve::run(ServeOptions { root, port, bind, poll, ..Default::default() }, open)
        }
    }
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
}
