//! The default theme's files that are not templates (its stylesheet), the site's `static/`
//! folder, and the small files every output gets (`.nojekyll`).

use walkdir::WalkDir;

use crate::analyze::{Asset, Page};
use crate::config::SiteConfig;
use crate::diagnostics::Diagnostics;
use crate::load::SourceFile;

/// Default static files, compiled in; a file at the same path in the site's `static/` wins.
pub const DEFAULT_STATIC: &[(&str, &str)] = &[("assets/kbsite.css", include_str!("../static/assets/kbsite.css"))];

/// Written only when some page used syntax highlighting.
pub const HIGHLIGHT_CSS: &str = "assets/highlight.css";

/// Every file under `static/`, copied to the output root.
pub fn static_assets(config: &SiteConfig, diags: &Diagnostics) -> Vec<Asset> {
    if !config.static_dir.is_dir() {
        return Vec::new();
    }
    let mut assets = Vec::new();
    for entry in WalkDir::new(&config.static_dir).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let rel =
                    e.path().strip_prefix(&config.static_dir).unwrap_or(e.path()).to_string_lossy().replace('\\', "/");
                assets.push(Asset { output: rel.clone(), file: SourceFile { rel, abs: e.path().to_path_buf() } });
            }
            Ok(_) => {}
            Err(err) => diags.error(&config.static_dir, None, format!("cannot read: {err}")),
        }
    }
    assets
}

/// Files generated from nothing but the configuration: embedded theme assets not overridden by
/// the site, and `.nojekyll` (GitHub Pages must serve the output as is).
pub fn generated_files(_config: &SiteConfig, pages: &[Page], assets: &[Asset]) -> Vec<(String, Vec<u8>)> {
    let taken = |path: &str| crate::analyze::is_site_output(pages, assets, path);
    let mut files: Vec<(String, Vec<u8>)> =
        DEFAULT_STATIC.iter().filter(|(p, _)| !taken(p)).map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())).collect();
    if !taken(".nojekyll") {
        files.push((".nojekyll".into(), Vec::new()));
    }
    files
}
