//! The files made from data alone (theme files, sitemap, feed, redirects, …), kept in groups so a
//! rebuild makes again only the groups whose inputs changed.

use std::collections::HashSet;

use crate::analyze::kb_index::KbSite;
use crate::analyze::{self, Asset, Page};
use crate::config::SiteConfig;
use crate::render::kb::GeneratedPage;
use crate::{publish, theme};

pub type File = (String, Vec<u8>);

/// Which groups to make again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refresh {
    /// `.nojekyll`, the default stylesheet (unless the site has its own): pages and files.
    pub theme: bool,
    /// Every page's URL and date, and the index pages.
    pub sitemap: bool,
    /// `robots.txt`, `CNAME`, `opensearch.xml`: whether the site provides its own.
    pub fixed: bool,
    /// The newest articles' titles, dates, products.
    pub feed: bool,
    /// Article ids and URLs.
    pub redirects: bool,
}

impl Refresh {
    pub fn all() -> Refresh {
        Refresh { theme: true, sitemap: true, fixed: true, feed: true, redirects: true }
    }

    pub fn any(&self) -> bool {
        self.theme || self.sitemap || self.fixed || self.feed || self.redirects
    }
}

#[derive(Debug, Default)]
pub struct GeneratedFiles {
    theme: Vec<File>,
    sitemap: Vec<File>,
    fixed: Vec<File>,
    feed: Vec<File>,
    redirects: Vec<File>,
}

impl GeneratedFiles {
    /// Makes the groups in `what` again, as a full build makes them; returns the names those
    /// groups had and no longer have.
    pub fn refresh(
        &mut self,
        what: Refresh,
        config: &SiteConfig,
        pages: &[Page],
        kb: &KbSite,
        index_pages: &[GeneratedPage],
        assets: &[Asset],
    ) -> Vec<String> {
        // The site's own outputs: looked up per article for redirects, so hashed then.
        let outputs: Option<HashSet<&str>> = what.redirects.then(|| analyze::site_outputs(pages, assets));
        let taken = |path: &str| match &outputs {
            Some(set) => set.contains(path),
            None => analyze::is_site_output(pages, assets, path),
        };
        let mut dropped = Vec::new();
        let mut set = |group: &mut Vec<File>, files: Vec<File>| {
            if group.iter().map(|f| &f.0).ne(files.iter().map(|f| &f.0)) {
                let names: HashSet<&str> = files.iter().map(|f| f.0.as_str()).collect();
                dropped.extend(group.iter().filter(|f| !names.contains(f.0.as_str())).map(|f| f.0.clone()));
            }
            *group = files;
        };
        if what.theme {
            set(&mut self.theme, theme::generated_files(config, pages, assets));
        }
        // The two big groups are made side by side.
        let (sitemap, redirects) = rayon::join(
            || what.sitemap.then(|| publish::sitemap_files(config, pages, kb, index_pages, &taken)),
            || what.redirects.then(|| publish::redirect_files(config, pages, kb, &taken)),
        );
        if let Some(files) = sitemap {
            set(&mut self.sitemap, files);
        }
        if what.fixed {
            set(&mut self.fixed, publish::fixed_files(config, &taken));
        }
        if what.feed {
            set(&mut self.feed, publish::feed_files(config, pages, kb, &taken));
        }
        if let Some(files) = redirects {
            set(&mut self.redirects, files);
        }
        dropped
    }

    /// The files of the groups in `what`.
    pub fn of(&self, what: Refresh) -> impl Iterator<Item = &File> {
        fn pick(on: bool, files: &[File]) -> &[File] {
            if on {
                files
            } else {
                &[]
            }
        }
        pick(what.theme, &self.theme)
            .iter()
            .chain(pick(what.sitemap, &self.sitemap))
            .chain(pick(what.fixed, &self.fixed))
            .chain(pick(what.feed, &self.feed))
            .chain(pick(what.redirects, &self.redirects))
    }

    pub fn all(&self) -> impl Iterator<Item = &File> {
        self.of(Refresh::all())
    }
}
