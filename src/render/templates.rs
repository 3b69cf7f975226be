//! Tera layouts, Jekyll-style: a layout file may start with front matter naming its own parent
//! `layout`; pages render through the chain, each layer getting `content`, `page`, `site` and
//! `layout`. Default templates are embedded; a site's `templates/` overrides them file by file.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_yaml::Mapping;
use tera::{Context, Tera};
use walkdir::WalkDir;

use crate::config::SiteConfig;
use crate::diagnostics::Diagnostics;
use crate::load::frontmatter;

/// The default theme, compiled into the binary (the repo's `templates/` folder).
pub const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    ("default.html", include_str!("../../templates/default.html")),
    ("page.html", include_str!("../../templates/page.html")),
    ("404.html", include_str!("../../templates/404.html")),
    ("kb_term.html", include_str!("../../templates/kb_term.html")),
    ("kb_overview.html", include_str!("../../templates/kb_overview.html")),
    ("kb_home.html", include_str!("../../templates/kb_home.html")),
    ("search.html", include_str!("../../templates/search.html")),
];

/// One layout: its template name and the front matter it declared.
#[derive(Debug, Clone)]
pub struct Layout {
    pub name: String,
    pub template: String,
    /// Its front matter as templates see it (`layout.*`), converted once at load.
    pub front: serde_json::Value,
    pub parent: Option<String>,
    /// Where it came from, for messages (`None` = built in).
    pub file: Option<PathBuf>,
}

pub struct Templates {
    pub tera: Tera,
    layouts: HashMap<String, Layout>,
    /// A digest of every template's name and text (a build's outputs depend on all of them).
    pub digest: u64,
    /// Some template may show the time of the build (`site.time`, `now`): its pages differ
    /// on every build, so a build never keeps them from an earlier one.
    pub shows_build_time: bool,
}

/// Whether a template's text may show the build's time: `site.time` (however it is looked up)
/// or Tera's `now()` / a `"now"` date. A text test, so it errs on the side of "yes".
fn shows_build_time(text: &str) -> bool {
    ["site.time", "[\"time\"]", "['time']", "now(", "\"now\"", "'now'"].iter().any(|needle| text.contains(needle))
}

impl Templates {
    /// Loads built-in templates, then the site's own, reporting every problem to `diags`.
    pub fn load(config: &SiteConfig, diags: &Diagnostics) -> Templates {
        let mut sources: Vec<(String, String, Option<PathBuf>)> =
            DEFAULT_TEMPLATES.iter().map(|(n, t)| (n.to_string(), t.to_string(), None)).collect();
        if config.templates_dir.is_dir() {
            for entry in WalkDir::new(&config.templates_dir).sort_by_file_name().into_iter().filter_map(Result::ok) {
                if !entry.file_type().is_file() {
                    continue;
                }
                let rel = entry.path().strip_prefix(&config.templates_dir).unwrap_or(entry.path());
                let name = rel.to_string_lossy().replace('\\', "/");
                if name.starts_with('.') || name.ends_with('~') {
                    continue;
                }
                match std::fs::read_to_string(entry.path()) {
                    Ok(text) => {
                        sources.retain(|(n, _, _)| *n != name);
                        sources.push((name, text, Some(entry.path().to_path_buf())));
                    }
                    Err(e) => diags.error(entry.path(), None, format!("failed to read template: {e}")),
                }
            }
        }
        Self::from_sources(config, sources, diags)
    }

    fn from_sources(
        config: &SiteConfig,
        sources: Vec<(String, String, Option<PathBuf>)>,
        diags: &Diagnostics,
    ) -> Templates {
        let mut layouts = HashMap::new();
        let mut bodies = Vec::with_capacity(sources.len());
        let digest =
            crate::incremental::fingerprint::hash_of(&sources.iter().map(|(n, t, _)| (n, t)).collect::<Vec<_>>());
        let shows_build_time = sources.iter().any(|(_, text, _)| shows_build_time(text));
        for (name, text, file) in sources {
            let shown = file.clone().unwrap_or_else(|| PathBuf::from(format!("<built-in>/{name}")));
            let (front, body) = strip_front_matter(&text, &shown, diags);
            let parent = front.get("layout").and_then(|v| v.as_str()).filter(|l| *l != "none").map(str::to_string);
            let layout_name = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem).to_string();
            layouts.insert(
                layout_name.clone(),
                Layout {
                    name: layout_name,
                    template: name.clone(),
                    front: yaml_to_json(&front),
                    parent,
                    file: file.clone(),
                },
            );
            bodies.push((name, body, shown));
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".htm", ".xml"]);
        // Tera's default escaper also rewrites `/` as `&#x2F;`, bloating every URL and title.
        tera.set_escape_fn(escape_html);
        super::filters::register(&mut tera, config);
        let all: Vec<(String, String)> = bodies.iter().map(|(n, b, _)| (n.clone(), b.clone())).collect();
        if let Err(err) = tera.add_raw_templates(all) {
            // Find each broken file on its own so every one is reported with its name.
            let mut found = false;
            for (name, body, shown) in &bodies {
                let mut single = Tera::default();
                if let Err(e) = single.add_raw_template(name, body) {
                    let text = error_chain(&e);
                    if !text.contains("doesn't exist") && !text.contains("not found") {
                        diags.error(shown, error_line(&text), format!("template error: {text}"));
                        found = true;
                    }
                }
            }
            if !found {
                diags.error(&config.templates_dir, None, format!("template error: {}", error_chain(&err)));
            }
        }
        super::fold::fold_site_constants(&mut tera, &super::site_json(config));
        Templates { tera, layouts, digest, shows_build_time }
    }

    /// The files the site's own layouts were loaded from.
    pub fn layout_files(&self) -> impl Iterator<Item = &Path> {
        self.layouts.values().filter_map(|l| l.file.as_deref())
    }

    pub fn has_layout(&self, name: &str) -> bool {
        self.layouts.contains_key(name)
    }

    /// The chain of layouts from `name` up to its outermost parent.
    pub fn chain(&self, name: &str) -> Result<Vec<&Layout>, String> {
        let mut chain: Vec<&Layout> = Vec::new();
        let mut next = Some(name.to_string());
        while let Some(n) = next {
            let layout = self.layouts.get(&n).ok_or_else(|| match chain.last() {
                None => format!("layout `{n}` does not exist (looked for templates/{n}.html)"),
                Some(child) => format!("layout `{}` names parent layout `{n}`, which does not exist", child.name),
            })?;
            if chain.iter().any(|l| l.name == layout.name) {
                return Err(format!("layout `{n}` includes itself through its parents"));
            }
            next = layout.parent.clone();
            chain.push(layout);
        }
        Ok(chain)
    }

    /// Renders `content` through the layout chain. `base` holds `page` and `site`.
    pub fn render_chain(&self, chain: &[&Layout], base: &mut Context, mut content: String) -> Result<String, String> {
        for layout in chain {
            // The output holds the content plus the layout: sized once instead of grown from
            // Tera's 2 KB by doubling (each doubling copies the page).
            let mut out = Vec::with_capacity(content.len() + 8 * 1024);
            // Moved in, not serialized: `Context::insert` would copy the page HTML each time.
            let mut values = serde_json::Map::new();
            values.insert("content".into(), content.into());
            values.insert("layout".into(), layout.front.clone());
            base.extend(owned_context(values));
            let where_ = || {
                let file = layout
                    .file
                    .as_ref()
                    .map_or_else(|| format!("built-in {}", layout.template), |f| f.display().to_string());
                format!("in layout `{}` ({file})", layout.name)
            };
            self.tera
                .render_to(&layout.template, base, &mut out)
                .map_err(|e| format!("{}: {}", where_(), error_chain(&e)))?;
            content = String::from_utf8(out).map_err(|e| format!("{}: output is not UTF-8: {e}", where_()))?;
        }
        Ok(content)
    }

    /// Every template that uses one of `changed`, directly or through others — by `{% extends %}`,
    /// `{% include %}` or `{% import %}` — together with `changed` themselves. (Layout parents
    /// named in front matter are not included: a page's recorded chain already lists them.)
    pub fn users_of(&self, changed: &BTreeSet<String>) -> BTreeSet<String> {
        let mut users: HashMap<&str, Vec<&str>> = HashMap::new();
        for (name, template) in &self.tera.templates {
            let mut uses = Vec::new();
            uses.extend(template.parent.as_deref());
            uses.extend(template.imported_macro_files.iter().map(|(file, _)| file.as_str()));
            included(&template.ast, &mut uses);
            for m in template.macros.values() {
                included(&m.body, &mut uses);
            }
            for used in uses {
                users.entry(used).or_default().push(name);
            }
        }
        let mut out = changed.clone();
        let mut todo: Vec<String> = changed.iter().cloned().collect();
        while let Some(name) = todo.pop() {
            for &user in users.get(name.as_str()).into_iter().flatten() {
                if out.insert(user.to_string()) {
                    todo.push(user.to_string());
                }
            }
        }
        out
    }

    /// Renders a named template (not a layout chain), e.g. `404.html` or an index page.
    pub fn render(&self, template: &str, ctx: &Context) -> Result<String, String> {
        self.tera.render(template, ctx).map_err(|e| format!("in template `{template}`: {}", error_chain(&e)))
    }
}

/// A context holding `values`, moved rather than copied (for large values: page HTML, lists).
pub fn owned_context(values: serde_json::Map<String, serde_json::Value>) -> Context {
    // `from_value` fails only for a value that is not an object.
    Context::from_value(serde_json::Value::Object(values)).unwrap_or_default()
}

/// The templates named by `{% include %}` anywhere in `nodes`.
fn included<'a>(nodes: &'a [tera::ast::Node], out: &mut Vec<&'a str>) {
    use tera::ast::Node;
    for node in nodes {
        match node {
            Node::Include(_, names, _) => out.extend(names.iter().map(String::as_str)),
            Node::MacroDefinition(_, m, _) => included(&m.body, out),
            Node::FilterSection(_, f, _) => included(&f.body, out),
            Node::Block(_, b, _) => included(&b.body, out),
            Node::Forloop(_, f, _) => {
                included(&f.body, out);
                included(f.empty_body.as_deref().unwrap_or_default(), out);
            }
            Node::If(i, _) => {
                for (_, _, body) in &i.conditions {
                    included(body, out);
                }
                included(i.otherwise.as_ref().map_or(&[][..], |(_, body)| body), out);
            }
            _ => {}
        }
    }
}

/// Replaces a template's front matter with a Tera comment of the same number of lines, so the
/// line numbers Tera reports still match the file.
fn strip_front_matter(text: &str, file: &Path, diags: &Diagnostics) -> (Mapping, String) {
    let Some(split) = frontmatter::split(text) else { return (Mapping::new(), text.to_string()) };
    let front = frontmatter::parse_yaml(&split).unwrap_or_else(|e| {
        diags.error(file, e.line, e.message);
        Mapping::new()
    });
    let header_lines = split.body_line - 1;
    let mut body = String::with_capacity(split.body.len() + header_lines + 4);
    body.push_str("{#");
    body.extend(std::iter::repeat_n('\n', header_lines));
    body.push_str("#}");
    body.push_str(split.body);
    (front, body)
}

pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    super::markdown::escape_into(s, &mut out);
    out
}

/// Tera puts the useful part of a message in the error's sources; join them.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Tera parse errors say ` --> 12:5`; take the line.
fn error_line(text: &str) -> Option<usize> {
    let at = text.find("--> ")?;
    text[at + 4..].split(':').next()?.trim().parse().ok()
}

/// Front matter (YAML) as the JSON value templates see; non-string keys become strings.
pub fn yaml_to_json(map: &Mapping) -> serde_json::Value {
    let mut out = serde_json::Map::with_capacity(map.len());
    for (k, v) in map {
        let key = match k {
            serde_yaml::Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other).unwrap_or_default().trim().to_string(),
        };
        out.insert(key, yaml_value_to_json(v));
    }
    serde_json::Value::Object(out)
}

fn yaml_value_to_json(v: &serde_yaml::Value) -> serde_json::Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => serde_json::Value::Null,
        Y::Bool(b) => (*b).into(),
        Y::Number(n) => serde_json::to_value(n).unwrap_or(serde_json::Value::Null),
        Y::String(s) => s.clone().into(),
        Y::Sequence(seq) => seq.iter().map(yaml_value_to_json).collect(),
        Y::Mapping(m) => yaml_to_json(m),
        Y::Tagged(t) => yaml_value_to_json(&t.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    fn templates(files: &[(&str, &str)]) -> (Templates, Diagnostics) {
        let config = SiteConfig::parse(Path::new("/nonexistent"), "baseurl = \"/kb\"", &Overrides::default()).unwrap();
        let diags = Diagnostics::default();
        let sources = files
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string(), Some(PathBuf::from(format!("templates/{n}")))))
            .collect();
        (Templates::from_sources(&config, sources, &diags), diags)
    }

    fn ctx() -> Context {
        let mut c = Context::new();
        c.insert("page", &serde_json::json!({"title": "Q&A <1>"}));
        c.insert("site", &serde_json::json!({"title": "S"}));
        c
    }

    #[test]
    fn layouts_chain_through_front_matter() {
        let (t, d) = templates(&[
            ("default.html", "<html>{{ content | safe }}</html>"),
            ("page.html", "---\nlayout: default\nwide: true\n---\n<main>{{ layout.wide }}|{{ page.title }}|{{ content | safe }}</main>"),
        ]);
        assert!(!d.has_errors());
        let chain = t.chain("page").unwrap();
        assert_eq!(chain.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["page", "default"]);
        let out = t.render_chain(&chain, &mut ctx(), "<p>x</p>".into()).unwrap();
        assert_eq!(out, "<html><main>true|Q&amp;A &lt;1&gt;|<p>x</p></main></html>");
    }

    #[test]
    fn missing_and_cyclic_layouts_are_errors() {
        let (t, _) = templates(&[
            ("a.html", "---\nlayout: b\n---\n"),
            ("b.html", "---\nlayout: a\n---\n"),
            ("c.html", "---\nlayout: gone\n---\n"),
        ]);
        assert!(t.chain("a").unwrap_err().contains("itself"));
        assert!(t.chain("c").unwrap_err().contains("`gone`"));
        assert!(t.chain("zzz").unwrap_err().contains("templates/zzz.html"));
    }

    #[test]
    fn template_syntax_error_names_file_and_line() {
        let (_, d) = templates(&[("ok.html", "fine"), ("bad.html", "---\nlayout: ok\n---\nline4\n{% if %}\n")]);
        let errs = d.take_sorted();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].file, Path::new("templates/bad.html"));
        assert_eq!(errs[0].line, Some(5), "{}", errs[0].message);
    }

    #[test]
    fn render_errors_name_the_layout() {
        let (t, _) = templates(&[("page.html", "{{ missing.value }}")]);
        let err = t.render_chain(&t.chain("page").unwrap(), &mut ctx(), String::new()).unwrap_err();
        assert!(err.contains("layout `page`") && err.contains("templates/page.html"), "{err}");
    }

    #[test]
    fn users_of_follow_extends_include_and_import() {
        let (t, d) = templates(&[
            ("base.html", "{% block body %}{% endblock %}"),
            ("child.html", "{% extends \"base.html\" %}{% block body %}{% if x %}{% include \"part.html\" %}{% endif %}{% endblock %}"),
            ("part.html", "{% for i in l %}{% else %}{% include \"leaf.html\" %}{% endfor %}"),
            ("leaf.html", "leaf"),
            ("macros.html", "{% macro m() %}{% include \"leaf.html\" %}{% endmacro %}"),
            ("user.html", "{% import \"macros.html\" as k %}{{ k::m() }}"),
            ("alone.html", "alone"),
        ]);
        assert!(!d.has_errors(), "{:?}", d.take_sorted());
        let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
        assert_eq!(
            t.users_of(&set(&["leaf.html"])),
            set(&["child.html", "leaf.html", "macros.html", "part.html", "user.html"])
        );
        assert_eq!(t.users_of(&set(&["base.html"])), set(&["base.html", "child.html"]));
        assert_eq!(t.users_of(&set(&["alone.html"])), set(&["alone.html"]));
    }

    #[test]
    fn dotted_lookups_find_plain_nested_indexed_and_escaped_keys() {
        // Tera's dotted lookup is patched (vendor/tera/KBSITE-PATCH.md: only segments holding `~`
        // are unescaped); `m["a/b"]` reaches the lookup as `m."a~1b"`, so it needs the unescaping.
        let (t, d) = templates(&[(
            "page.html",
            r#"{{ m.plain }}|{{ m.nested.deep }}|{{ m.list.1 }}|{{ m["a/b"] }}|{{ m["t~x"] }}|{% for r in m.rows %}{{ r.url }};{% endfor %}"#,
        )]);
        assert!(!d.has_errors(), "{:?}", d.take_sorted());
        let mut c = ctx();
        let m = serde_json::json!({"plain": "p", "nested": {"deep": "d"}, "list": ["x", "y"], "a/b": "slash",
                                   "t~x": "tilde", "rows": [{"url": "/1/"}, {"url": "/2/"}]});
        c.insert("m", &m);
        let out = t.render_chain(&t.chain("page").unwrap(), &mut c, String::new()).unwrap();
        assert_eq!(out, "p|d|y|slash|tilde|/1/;/2/;");
    }

    #[test]
    fn frame_variables_and_plain_paths_resolve() {
        // Patch 4 (vendor/tera/KBSITE-PATCH.md): plain paths are split at dots without Tera's
        // state machine, and `{% set %}` variables and macro arguments live in a map with a
        // cheaper hasher. Both must find what they found before, and a missing key must still
        // be an error naming it.
        let (t, d) = templates(&[
            ("macros.html", "{% macro pair(a, b=2) %}{{ a }}{{ b }}{% endmacro %}"),
            (
                "page.html",
                r#"{% import "macros.html" as k %}{% set s = m.nested %}{% set long_variable_name_over_8 = m.list %}{{ s.deep }}|{{ long_variable_name_over_8.0 }}|{{ m.obj.3 }}|{{ m._u }}|{{ k::pair(a=s.deep) }}|{% for r in m.rows %}{% set x = r.url %}{{ x }}{{ loop.index }};{% endfor %}"#,
            ),
            ("missing.html", "{{ m.nested.nope }}"),
        ]);
        assert!(!d.has_errors(), "{:?}", d.take_sorted());
        let mut c = ctx();
        let m = serde_json::json!({"nested": {"deep": "d"}, "list": ["x", "y"], "obj": {"3": "three"}, "_u": "u",
                                   "rows": [{"url": "/1/"}, {"url": "/2/"}]});
        c.insert("m", &m);
        let out = t.render_chain(&t.chain("page").unwrap(), &mut c, String::new()).unwrap();
        assert_eq!(out, "d|x|three|u|d2|/1/1;/2/2;");
        let err = t.render("missing.html", &c).unwrap_err();
        assert!(err.contains("m.nested.nope"), "{err}");
    }

    #[test]
    fn conditions_test_strings_unescaped_and_output_stays_escaped() {
        // Tera is patched not to HTML-escape a value that is only tested (`{% if %}`): the test
        // must not change, and printed values must still be escaped (unless `safe`).
        let (t, d) = templates(&[(
            "page.html",
            r#"{% if m.lt %}1{% endif %}{% if m.empty %}2{% else %}3{% endif %}{% if not m.empty %}4{% endif %}{% if m.missing %}5{% endif %}|{{ m.lt }}|{{ m.lt | safe }}|{{ m.amp | upper }}"#,
        )]);
        assert!(!d.has_errors(), "{:?}", d.take_sorted());
        let mut c = ctx();
        c.insert("m", &serde_json::json!({"lt": "<", "empty": "", "amp": "a&b"}));
        let out = t.render_chain(&t.chain("page").unwrap(), &mut c, String::new()).unwrap();
        assert_eq!(out, "134|&lt;|<|A&amp;B");
    }

    #[test]
    fn yaml_front_matter_converts_to_json() {
        let m: Mapping = serde_yaml::from_str("a: 1\nb: [x, true]\n3: c\n").unwrap();
        assert_eq!(yaml_to_json(&m), serde_json::json!({"a": 1, "b": ["x", true], "3": "c"}));
    }
}
