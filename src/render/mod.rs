//! Render: a page's body (Markdown or HTML) through its layout chain to the final HTML.

pub mod filters;
pub mod fold;
pub mod highlight;
pub mod kb;
pub mod markdown;
pub mod structured;
pub mod templates;

use serde_json::{json, Value as Json};
use tera::Context;

use crate::analyze::Page;
use crate::config::SiteConfig;
use markdown::TextLinker;
use templates::{yaml_to_json, Templates};

/// What a rendered page produced, besides its HTML.
pub struct RenderedPage {
    pub html: String,
    pub highlighted: bool,
    /// The layout templates it went through (what it depends on besides its source).
    pub layouts: Vec<String>,
}

/// Renders pages; shared read-only by the parallel render stage.
pub struct Renderer<'a> {
    pub templates: &'a Templates,
    base: Context,
}

impl<'a> Renderer<'a> {
    pub fn new(config: &SiteConfig, templates: &'a Templates) -> Self {
        let mut base = Context::new();
        base.insert("site", &site_json(config));
        Renderer { templates, base }
    }

    /// The `page` object templates see: front matter plus computed fields.
    pub fn page_json(page: &Page) -> Json {
        let mut value = yaml_to_json(&page.loaded.front);
        if let Json::Object(map) = &mut value {
            map.insert("title".into(), page.title.clone().into());
            map.insert("url".into(), page.url.clone().into());
            map.insert("path".into(), page.rel().into());
            if let Some(d) = page.date {
                map.insert("date".into(), iso_date(d).into());
            }
        }
        value
    }

    /// Renders one page from its (Liquid-processed) body. `extra` is merged into `page`.
    pub fn render_page(
        &self,
        page: &Page,
        body: &str,
        linker: Option<&dyn TextLinker>,
        extra: Option<Json>,
        structured: bool,
    ) -> Result<RenderedPage, String> {
        let (content, highlighted) = if page.is_markdown {
            let r = markdown::render_with(body, linker, structured);
            (r.html, r.highlighted)
        } else {
            (body.to_string(), false)
        };
        let mut page_value = Self::page_json(page);
        if let (Json::Object(map), Some(Json::Object(more))) = (&mut page_value, extra) {
            map.extend(more);
        }
        let (html, layouts) = match &page.layout {
            Some(layout) => {
                let chain = self.templates.chain(layout)?;
                let mut ctx = self.base.clone();
                ctx.extend(page_context(page_value));
                let html = self.templates.render_chain(&chain, &mut ctx, content)?;
                (html, chain.iter().map(|l| l.template.clone()).collect())
            }
            None => (content, Vec::new()),
        };
        Ok(RenderedPage { html, highlighted, layouts })
    }

    /// The templates a generated page's `template` renders through (itself, then its layouts);
    /// just `template` when its chain is broken (rendering reports that).
    pub fn template_chain(&self, template: &str) -> Vec<String> {
        let name = template.rsplit_once('.').map_or(template, |(stem, _)| stem);
        match self.templates.chain(name) {
            Ok(chain) => chain.iter().map(|l| l.template.clone()).collect(),
            Err(_) => vec![template.to_string()],
        }
    }

    /// Renders a generated page (404, index pages) through the layout chain of `template`
    /// (`kb_term.html` → its front matter `layout: default` → …), with `page` values.
    pub fn render_template(&self, template: &str, page: Json) -> Result<String, String> {
        let mut ctx = self.base.clone();
        ctx.extend(page_context(page));
        let name = template.rsplit_once('.').map_or(template, |(stem, _)| stem);
        let chain = self.templates.chain(name)?;
        self.templates.render_chain(&chain, &mut ctx, String::new())
    }
}

/// A context with `page` moved in (index pages list up to `page_size` articles: copying them
/// into the context was a measurable part of rendering).
fn page_context(page: Json) -> Context {
    let mut values = serde_json::Map::new();
    values.insert("page".into(), page);
    templates::owned_context(values)
}

/// The `site` object: configuration only, never the list of all pages (that would make every
/// page's context as big as the site).
pub fn site_json(config: &SiteConfig) -> Json {
    json!({
        "title": config.title,
        "description": config.description,
        "url": config.url,
        "baseurl": config.baseurl,
        "lang": config.lang,
        "extra": config.extra,
        "time": chrono::Utc::now().to_rfc3339(),
        "kb": { "render": config.kb.render },
        "search": config.search.enabled,
    })
}

/// `YYYY-MM-DD`. Written digit by digit: it runs for every listed article of every index page,
/// and chrono's `format` parses its pattern on each call.
pub fn iso_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        return d.format("%Y-%m-%d").to_string();
    }
    let y = y as u32;
    let digits = [y / 1000, y / 100 % 10, y / 10 % 10, y % 10, 10, m / 10, m % 10, 10, day / 10, day % 10];
    digits.iter().map(|&n| if n == 10 { '-' } else { char::from(b'0' + n as u8) }).collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    #[test]
    fn iso_date_matches_chrono() {
        for (y, m, d) in [(1997, 6, 19), (2002, 12, 31), (1988, 1, 1), (999, 10, 5), (0, 2, 29), (12345, 3, 4)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(super::iso_date(date), date.format("%Y-%m-%d").to_string());
        }
        assert_eq!(super::iso_date(NaiveDate::from_ymd_opt(1997, 6, 9).unwrap()), "1997-06-09");
    }
}
