//! `kbsite init DIR`: scaffold a new site a user can edit — `site.toml`, one example article,
//! copies of the default templates and stylesheet, and (with `--github-pages`) a workflow that
//! builds and deploys it with the official Pages actions.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::render::templates::DEFAULT_TEMPLATES;
use crate::theme::DEFAULT_STATIC;

const EXAMPLE_ARTICLE: &str = include_str!("../content/kb/151/Q151228/README.md");

const SITE_TOML: &str = r#"# kbsite configuration: see the README for every key.
title = "KnowledgeBase Archive"
description = "An archive of knowledge-base articles"
url = "https://example.github.io"   # scheme + host, for absolute links
baseurl = ""                        # "/repo" for a GitHub Pages project site
source = "content"
output = "public"
exclude = []
permalink = "pretty"

[[defaults]]
scope = { path = "kb" }
values = { layout = "page" }

[kb]
render = "structured"   # or "preformatted" (Jekyll's exact rendering)
page_size = 100
"#;

/// The GitHub Actions workflow: build with kbsite, deploy with upload-pages-artifact and
/// deploy-pages. `baseurl` comes from configure-pages, so project sites (`/repo`) just work.
pub const PAGES_WORKFLOW: &str = r#"name: Deploy to GitHub Pages

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: pages
        uses: actions/configure-pages@v5
      - name: Install kbsite
        run: cargo install --locked kbsite
      - name: Build
        # base_path is "/<repository>" for project sites and "" for user sites.
        run: kbsite build --baseurl "${{ steps.pages.outputs.base_path }}"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: public

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"#;

pub fn init(dir: &Path, github_pages: bool) -> Result<Vec<String>> {
    if dir.join("site.toml").exists() {
        bail!("`{}` already holds a site.toml; not overwriting it", dir.display());
    }
    let mut files: Vec<(String, &str)> = vec![
        ("site.toml".into(), SITE_TOML),
        ("content/kb/151/Q151228/README.md".into(), EXAMPLE_ARTICLE),
        (".gitignore".into(), "/public\n/public.kbsite-*\n"),
    ];
    files.extend(DEFAULT_TEMPLATES.iter().map(|(name, text)| (format!("templates/{name}"), *text)));
    files.extend(DEFAULT_STATIC.iter().map(|(name, text)| (format!("static/{name}"), *text)));
    if github_pages {
        files.push((".github/workflows/pages.yml".into(), PAGES_WORKFLOW));
    }
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(&rel);
        if path.exists() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("failed to write `{}`", path.display()))?;
        written.push(rel);
    }
    Ok(written)
}
