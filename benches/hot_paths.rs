//! Function-level benchmarks of the build's hot paths, on real KB articles.
//!
//! ```text
//! cargo bench --bench hot_paths                 # everything (~15-25 s on 2 cores)
//! cargo bench --bench hot_paths -- markdown     # one group (divan filter)
//! ```
//!
//! Inputs are read from the shared sample archive beside the crate
//! (`../shared/kbarchive-sample/site/kb/`):
//! - `seed`: `kb/151/Q151228` (the project's reference article, 2.4 KB);
//! - `median`: `kb/147/Q147929` (2.5 KB, the median README.md of the 9,107 articles);
//! - `large`: `kb/156/Q156063` (177 KB, the largest).
//!
//! Without `../shared`, only `seed` runs, from the bundled `content/kb/151/Q151228/README.md`.
//!
//! Every stage gets the input the build gives it: the whole file for front matter, the body
//! after the front matter for Liquid, and the Liquid-processed body for everything after load
//! (what `load::read_pages` hands to `per_page` and what `load::reread_body` returns).
//! Throughput is the size of that input.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use divan::counter::BytesCount;
use divan::{black_box, Bencher};
use kbsite::analyze::kb_index::{KbSite, PageKb, TermKind};
use kbsite::analyze::{self, kb, mentions, Page};
use kbsite::config::{Overrides, SiteConfig};
use kbsite::diagnostics::{Diagnostics, Severity};
use kbsite::load::{frontmatter, liquid, LoadedPage, SourceFile};
use kbsite::render::kb::{self as kb_render, KbRender};
use kbsite::render::markdown::{self, TextLinker};
use kbsite::render::templates::Templates;
use kbsite::render::{site_json, Renderer};
use kbsite::search;

/// The same allocator as the `kbsite` binary, so figures match what a build sees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Modest defaults so the whole run stays well under the 3-minute budget on 2 cores;
    // command-line options (`--sample-count`, `--max-time`, …) still win.
    divan::Divan::default()
        .sample_count(100)
        .min_time(Duration::from_millis(300))
        .max_time(Duration::from_secs(2))
        .config_with_args()
        .main();
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// `(name, path relative to the sample's site folder)`.
const SAMPLE: &[(&str, &str)] = &[
    ("seed", "kb/151/Q151228/README.md"),
    ("median", "kb/147/Q147929/README.md"),
    ("large", "kb/156/Q156063/README.md"),
];

/// One article as the build sees it at each stage.
struct Article {
    name: &'static str,
    /// Path relative to the site source, e.g. `kb/151/Q151228/README.md`.
    rel: String,
    abs: PathBuf,
    /// The whole file.
    text: String,
    /// File line where the body starts.
    body_line: usize,
    /// Front matter `title`.
    title: String,
    /// After the front matter, before Liquid processing.
    body: String,
    /// After Liquid processing (`{% raw %}` markers removed): the text every later stage reads.
    processed: String,
}

fn load_article(name: &'static str, rel: &str, abs: PathBuf) -> Article {
    let text = std::fs::read_to_string(&abs).unwrap_or_else(|e| panic!("{}: {e}", abs.display()));
    let split = frontmatter::split(&text).expect("the article has front matter");
    let front = frontmatter::parse_yaml(&split).expect("the front matter parses");
    let title = front.get("title").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let body = split.body.to_string();
    let body_line = split.body_line;
    let processed = liquid::process(&body, false).0.into_owned();
    Article { name, rel: rel.to_string(), abs, body_line, title, body, processed, text }
}

static ARTICLES: LazyLock<Vec<Article>> = LazyLock::new(|| {
    let crate_root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = crate_root.join("../shared/kbarchive-sample/site");
    let mut articles: Vec<Article> = SAMPLE
        .iter()
        .filter(|(_, rel)| sample.join(rel).is_file())
        .map(|&(name, rel)| load_article(name, rel, sample.join(rel)))
        .collect();
    if articles.is_empty() {
        let rel = "kb/151/Q151228/README.md";
        articles.push(load_article("seed", rel, crate_root.join("content").join(rel)));
    }
    articles
});

/// The names of the available inputs (divan `args`).
fn inputs() -> Vec<&'static str> {
    ARTICLES.iter().map(|a| a.name).collect()
}

fn article(name: &str) -> &'static Article {
    ARTICLES.iter().find(|a| a.name == name).expect("a known input")
}

// ---------------------------------------------------------------------------------------------
// 1. Front matter

mod frontmatter_split {
    use super::*;

    /// Finding the `---` lines (cost should depend on the front matter only, not the file).
    #[divan::bench(args = inputs())]
    fn split(bencher: Bencher, name: &str) {
        let a = article(name);
        bencher
            .counter(BytesCount::of_str(&a.text))
            .bench(|| frontmatter::split(black_box(&a.text)).map(|s| s.body.len()));
    }

    /// Split plus `serde_yaml` parse of the front matter, as `load::read_pages` does.
    #[divan::bench(args = inputs())]
    fn split_parse_yaml(bencher: Bencher, name: &str) {
        let a = article(name);
        bencher.counter(BytesCount::of_str(&a.text)).bench(|| {
            let split = frontmatter::split(black_box(&a.text)).unwrap();
            frontmatter::parse_yaml(&split).unwrap()
        });
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Liquid raw/comment processing

mod liquid_process {
    use super::*;

    /// At load: issues reported (`report_other = true`).
    #[divan::bench(args = inputs())]
    fn report(bencher: Bencher, name: &str) {
        let a = article(name);
        bencher.counter(BytesCount::of_str(&a.body)).bench(|| liquid::process(black_box(&a.body), true));
    }

    /// At render (`load::reread_body`): no reporting.
    #[divan::bench(args = inputs())]
    fn quiet(bencher: Bencher, name: &str) {
        let a = article(name);
        bencher.counter(BytesCount::of_str(&a.body)).bench(|| liquid::process(black_box(&a.body), false));
    }
}

// ---------------------------------------------------------------------------------------------
// 3. KB header parse

#[divan::bench(args = inputs())]
fn kb_parse_article(bencher: Bencher, name: &str) {
    let a = article(name);
    bencher.counter(BytesCount::of_str(&a.processed)).bench(|| kb::parse_article(black_box(&a.processed)));
}

// ---------------------------------------------------------------------------------------------
// 4. Q-mention scan

mod mention_scan {
    use super::*;

    /// The allocation-free iterator, as `build::analyze_body` uses it.
    #[divan::bench(args = inputs())]
    fn iter_numbers(bencher: Bencher, name: &str) {
        let a = article(name);
        bencher
            .counter(BytesCount::of_str(&a.processed))
            .bench(|| mentions::mentions(black_box(&a.processed)).map(|m| m.number).max());
    }

    /// Collecting every mention into a `Vec`.
    #[divan::bench(args = inputs())]
    fn scan_mentions(bencher: Bencher, name: &str) {
        let a = article(name);
        bencher.counter(BytesCount::of_str(&a.processed)).bench(|| mentions::scan_mentions(black_box(&a.processed)));
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Markdown render

mod markdown_render {
    use super::*;

    /// Plain Markdown (KB text as `<pre><code>`, the `preformatted` view).
    #[divan::bench(args = inputs())]
    fn plain(bencher: Bencher, name: &str) {
        let a = article(name);
        bencher.counter(BytesCount::of_str(&a.processed)).bench(|| markdown::render(black_box(&a.processed), None));
    }

    /// The structured KB reading view (the default `kb.render`).
    #[divan::bench(args = inputs())]
    fn structured(bencher: Bencher, name: &str) {
        let a = article(name);
        bencher
            .counter(BytesCount::of_str(&a.processed))
            .bench(|| markdown::render_with(black_box(&a.processed), None, true));
    }

    /// Structured view with the mention linker, as `render_page` runs it in a build.
    #[divan::bench(args = inputs())]
    fn structured_linked(bencher: Bencher, name: &str) {
        let a = article(name);
        let site = &*SITE;
        let kb_render = KbRender::new(&site.config, &site.kb, &site.pages);
        let linker = kb_render.linker(page_index(name));
        bencher
            .counter(BytesCount::of_str(&a.processed))
            .bench(|| markdown::render_with(black_box(&a.processed), Some(&linker), true));
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Template render

/// A site of the sample articles as the build prepares it: default theme (a temp folder with
/// no `templates/`), pages placed, KB graph built (so `page.kb` has prev/next and citations).
struct Site {
    _root: tempfile::TempDir,
    config: SiteConfig,
    templates: Templates,
    /// In `ARTICLES` order.
    pages: Vec<Page>,
    kb: KbSite,
}

impl Site {
    /// The default theme in a temp folder, `loaded(root)`'s pages placed, the KB graph built.
    fn new(loaded: impl FnOnce(&Path) -> Vec<(LoadedPage, PageKb)>) -> Site {
        let root = tempfile::tempdir().expect("a temp folder");
        let config = SiteConfig::parse(root.path(), "", &Overrides::default()).expect("the default config");
        let diags = Diagnostics::default();
        let templates = Templates::load(&config, &diags);
        let loaded = loaded(root.path());
        let count = loaded.len();
        let placed = analyze::place_pages(&config, loaded, |l| templates.has_layout(l), &diags);
        let errors: Vec<_> = diags.take_sorted().into_iter().filter(|d| d.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "setting up the bench site failed: {errors:?}");
        assert_eq!(placed.len(), count);
        let (pages, page_kb): (Vec<Page>, Vec<PageKb>) = placed.into_iter().unzip();
        let kb = KbSite::build(page_kb);
        Site { _root: root, config, templates, pages, kb }
    }
}

static SITE: LazyLock<Site> = LazyLock::new(|| {
    Site::new(|_| {
        ARTICLES
            .iter()
            .map(|a| {
                let split = frontmatter::split(&a.text).unwrap();
                let front = frontmatter::parse_yaml(&split).unwrap();
                let file = SourceFile { rel: a.rel.clone(), abs: a.abs.clone() };
                let page = LoadedPage { file, front, body_line: a.body_line, digest: 0 };
                let mut numbers: Vec<u32> = mentions::mentions(&a.processed).map(|m| m.number).collect();
                numbers.sort_unstable();
                numbers.dedup();
                (page, PageKb { article: kb::parse_article(&a.processed).article, mentions: numbers })
            })
            .collect()
    })
});

fn page_index(name: &str) -> usize {
    ARTICLES.iter().position(|a| a.name == name).expect("a known input")
}

mod template_render {
    use super::*;

    /// `Renderer::render_page` exactly as `build::render_and_write` calls it: structured
    /// Markdown with the mention linker, `page.kb`, then the `page` → `default` layout chain.
    #[divan::bench(args = inputs())]
    fn render_page(bencher: Bencher, name: &str) {
        let a = article(name);
        let site = &*SITE;
        let id = page_index(name);
        let renderer = Renderer::new(&site.config, &site.templates);
        let kb_render = KbRender::new(&site.config, &site.kb, &site.pages);
        let linker = kb_render.linker(id);
        let structured = site.config.kb.render == "structured";
        bencher.counter(BytesCount::of_str(&a.processed)).bench(|| {
            let linker: Option<&dyn TextLinker> = Some(&linker);
            let extra = kb_render.page_kb(id).map(|k| serde_json::json!({ "kb": k }));
            renderer.render_page(&site.pages[id], black_box(&a.processed), linker, extra, structured).unwrap()
        });
    }

    /// The `page` value templates see: front matter as JSON plus `page.kb` (term links,
    /// prev/next, citations), built per page by `render_page`'s caller and `page_json`.
    #[divan::bench(args = inputs())]
    fn page_values(bencher: Bencher, name: &str) {
        let site = &*SITE;
        let id = page_index(name);
        let kb_render = KbRender::new(&site.config, &site.kb, &site.pages);
        bencher.bench(|| {
            let mut value = Renderer::page_json(&site.pages[black_box(id)]);
            if let (serde_json::Value::Object(map), Some(k)) = (&mut value, kb_render.page_kb(id)) {
                map.insert("kb".into(), k);
            }
            value
        });
    }

    /// The layout chain alone (Tera), given the already-rendered body HTML: what
    /// `render_page` adds on top of Markdown. Throughput is the size of that HTML.
    #[divan::bench(args = inputs())]
    fn layout_chain(bencher: Bencher, name: &str) {
        let a = article(name);
        let site = &*SITE;
        let id = page_index(name);
        let page = &site.pages[id];
        let kb_render = KbRender::new(&site.config, &site.kb, &site.pages);
        let linker = kb_render.linker(id);
        let content = markdown::render_with(&a.processed, Some(&linker), true).html;
        let mut page_value = Renderer::page_json(page);
        if let (serde_json::Value::Object(map), Some(k)) = (&mut page_value, kb_render.page_kb(id)) {
            map.insert("kb".into(), k);
        }
        let mut base = tera::Context::new();
        base.insert("site", &site_json(&site.config));
        let chain = site.templates.chain(page.layout.as_deref().expect("articles have a layout")).unwrap();
        bencher.counter(BytesCount::of_str(&content)).bench(|| {
            let mut ctx = base.clone();
            ctx.insert("page", &page_value);
            site.templates.render_chain(&chain, &mut ctx, black_box(&content).clone()).unwrap()
        });
    }
}

// ---------------------------------------------------------------------------------------------
// 6b. Index pages

/// Rows on the benchmarked index page: the default `page_size`, a full page.
const ROWS: usize = 100;

/// A site of `ROWS` copies of the `median` article (one product, so one full product page).
static LIST_SITE: LazyLock<Site> = LazyLock::new(|| {
    let a = article("median");
    let split = frontmatter::split(&a.text).unwrap();
    let front = frontmatter::parse_yaml(&split).unwrap();
    let parsed = kb::parse_article(&a.processed).article.expect("the median input is an article");
    Site::new(|root| {
        (0..ROWS)
            .map(|i| {
                let rel = format!("kb/{i}/README.md");
                let file = SourceFile { abs: root.join(&rel), rel };
                let page = LoadedPage { file, front: front.clone(), body_line: a.body_line, digest: 0 };
                (page, PageKb { article: Some(parsed.clone()), mentions: Vec::new() })
            })
            .collect()
    })
});

/// A full product page (`kb_term.html` → `default.html`, `ROWS` listed articles): its `page`
/// value, then the templates. Throughput counts listed rows.
#[divan::bench]
fn index_page(bencher: Bencher) {
    let site = &*LIST_SITE;
    let renderer = Renderer::new(&site.config, &site.templates);
    let kb_render = KbRender::new(&site.config, &site.kb, &site.pages);
    let generated = kb_render::generated_pages(&site.config, &site.kb, &site.pages, false);
    let page = generated
        .iter()
        .find(|g| matches!(g.what, kb_render::Generated::Term { kind: TermKind::Products, n: 1, .. }))
        .expect("a product page");
    assert_eq!(page.lists.len(), ROWS);
    bencher
        .counter(divan::counter::ItemsCount::new(ROWS))
        .bench(|| renderer.render_template(page.template, kb_render.page_json(black_box(page))).unwrap());
}

// ---------------------------------------------------------------------------------------------
// 7. Search tokenization

#[divan::bench(args = inputs())]
fn search_analyze_doc(bencher: Bencher, name: &str) {
    let a = article(name);
    bencher
        .counter(BytesCount::new(a.title.len() + a.processed.len()))
        .bench(|| search::analyze_doc(black_box(&a.title), black_box(&a.processed)));
}
