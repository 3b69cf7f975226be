//! Site constants folded into the templates when they load.
//!
//! `site` is the same for every page of a build, yet Tera 1 looks each `{{ site.title }}` up
//! again on every page: ~0.4 µs apiece (a dotted lookup allocates four times, escaping twice), so
//! the default layout's site values and `{% if site.… %}` tests were a fifth of its rendering
//! time. Here they become text once: `{{ site.x }}` whose value is a string or a boolean, the
//! built-in URL filters on a string literal (`{{ '/feed.xml' | relative_url }}`), and the branch
//! an `{% if site.x %}` / `{% elif %}` takes. What Tera would print is printed, escaped as Tera
//! escapes it; anything else (other filters, missing keys, numbers, lists) is left to Tera.
//!
//! Whitespace control (`{{-`, `-%}`) is applied by Tera's parser to the neighbouring text, so a
//! folded node can be replaced by its text or its branch's nodes as they are. Nothing is folded
//! when any template assigns or loops over a name `site` (an include would see that one).

use std::collections::HashMap;

use serde_json::Value as Json;
use tera::ast::{Expr, ExprVal, Node};
use tera::Tera;

/// Keys of `site` that are not constant during a build.
const CHANGING: &[&str] = &["time"];

/// Folds `site` (the value templates see) into every template of `tera`.
pub fn fold_site_constants(tera: &mut Tera, site: &Json) {
    if tera.templates.values().any(|t| binds_site(&t.ast)) {
        return;
    }
    let folded: Vec<(String, Vec<Node>)> = {
        let tera: &Tera = tera;
        let url_filters: HashMap<&str, &dyn tera::Filter> = ["relative_url", "absolute_url"]
            .into_iter()
            .filter_map(|name| tera.get_filter(name).ok().map(|f| (name, f)))
            .collect();
        let escape = *tera.get_escape_fn();
        tera.templates
            .iter()
            .filter_map(|(name, template)| {
                let autoescape = tera.autoescape_suffixes.iter().any(|s| name.ends_with(s));
                let folder = Folder { site, autoescape, escape, url_filters: &url_filters };
                folder.fold(&template.ast).map(|ast| (name.clone(), ast))
            })
            .collect()
    };
    for (name, ast) in folded {
        if let Some(template) = tera.templates.get_mut(&name) {
            template.ast = ast;
        }
    }
}

/// Whether `nodes` assign or loop over a variable named `site`, at any depth.
fn binds_site(nodes: &[Node]) -> bool {
    nodes.iter().any(|node| match node {
        Node::Set(_, set) => set.key == "site",
        Node::Forloop(_, f, _) => {
            f.value == "site"
                || f.key.as_deref() == Some("site")
                || binds_site(&f.body)
                || f.empty_body.as_deref().is_some_and(binds_site)
        }
        Node::If(i, _) => {
            i.conditions.iter().any(|(_, _, body)| binds_site(body))
                || i.otherwise.as_ref().is_some_and(|(_, body)| binds_site(body))
        }
        Node::Block(_, b, _) => binds_site(&b.body),
        Node::FilterSection(_, f, _) => binds_site(&f.body),
        _ => false,
    })
}

struct Folder<'a> {
    site: &'a Json,
    autoescape: bool,
    escape: fn(&str) -> String,
    url_filters: &'a HashMap<&'a str, &'a dyn tera::Filter>,
}

impl Folder<'_> {
    /// The folded copy of `nodes`, or `None` when nothing in them folds.
    fn fold(&self, nodes: &[Node]) -> Option<Vec<Node>> {
        let mut out = Vec::with_capacity(nodes.len());
        let mut changed = false;
        for node in nodes {
            match self.fold_node(node) {
                Some(replacement) => {
                    out.extend(replacement);
                    changed = true;
                }
                None => out.push(node.clone()),
            }
        }
        changed.then_some(out)
    }

    /// What replaces `node` (possibly several nodes, or none), or `None` to keep it.
    fn fold_node(&self, node: &Node) -> Option<Vec<Node>> {
        match node {
            Node::VariableBlock(_, expr) => self.text_of(expr).map(|t| vec![Node::Text(t)]),
            Node::If(if_node, ws) => {
                let mut if_node = if_node.clone();
                let mut changed = false;
                // Leading conditions that are known: a true one decides, a false one drops out.
                while let Some((_, cond, body)) = if_node.conditions.first() {
                    match self.truth_of(cond) {
                        Some(true) => return Some(self.fold(body).unwrap_or_else(|| body.clone())),
                        Some(false) => {
                            if_node.conditions.remove(0);
                            changed = true;
                        }
                        None => break,
                    }
                }
                if if_node.conditions.is_empty() {
                    let body = if_node.otherwise.map(|(_, body)| body).unwrap_or_default();
                    return Some(self.fold(&body).unwrap_or(body));
                }
                for (_, _, body) in &mut if_node.conditions {
                    changed |= self.fold_in_place(body);
                }
                if let Some((_, body)) = &mut if_node.otherwise {
                    changed |= self.fold_in_place(body);
                }
                changed.then(|| vec![Node::If(if_node, *ws)])
            }
            Node::Forloop(a, f, b) => {
                let mut f = f.clone();
                let mut changed = self.fold_in_place(&mut f.body);
                if let Some(body) = &mut f.empty_body {
                    changed |= self.fold_in_place(body);
                }
                changed.then(|| vec![Node::Forloop(*a, f, *b)])
            }
            Node::Block(a, block, b) => {
                let body = self.fold(&block.body)?;
                let mut block = block.clone();
                block.body = body;
                Some(vec![Node::Block(*a, block, *b)])
            }
            Node::FilterSection(a, section, b) => {
                let body = self.fold(&section.body)?;
                let mut section = section.clone();
                section.body = body;
                Some(vec![Node::FilterSection(*a, section, *b)])
            }
            _ => None,
        }
    }

    fn fold_in_place(&self, nodes: &mut Vec<Node>) -> bool {
        match self.fold(nodes) {
            Some(folded) => {
                *nodes = folded;
                true
            }
            None => false,
        }
    }

    /// The value of a plain `site.key` expression (no filters), when it is a constant.
    fn site_value(&self, expr: &Expr) -> Option<&Json> {
        let ExprVal::Ident(path) = &expr.val else { return None };
        let key = path.strip_prefix("site.")?;
        if !expr.filters.is_empty() || key.contains(['.', '[']) || CHANGING.contains(&key) {
            return None;
        }
        self.site.get(key)
    }

    /// What Tera prints for `expr`, when it is a site constant or a URL filter on a literal.
    fn text_of(&self, expr: &Expr) -> Option<String> {
        if expr.negated {
            return None;
        }
        let printed = match (&expr.val, expr.filters.as_slice()) {
            (ExprVal::String(literal), [filter]) if filter.args.is_empty() => {
                let f = self.url_filters.get(filter.name.as_str())?;
                match f.filter(&Json::String(literal.clone()), &HashMap::new()).ok()? {
                    Json::String(s) if f.is_safe() => return Some(s),
                    Json::String(s) => s,
                    _ => return None,
                }
            }
            _ => match self.site_value(expr)? {
                Json::String(s) => s.clone(),
                Json::Bool(b) => return Some(b.to_string()),
                _ => return None,
            },
        };
        Some(if self.autoescape { (self.escape)(&printed) } else { printed })
    }

    /// Whether an `if` condition on a site constant holds, as Tera decides it.
    fn truth_of(&self, expr: &Expr) -> Option<bool> {
        let truthy = match self.site_value(expr)? {
            Json::Null => false,
            Json::Bool(b) => *b,
            Json::Number(n) => n.as_f64() != Some(0.0),
            Json::String(s) => !s.is_empty(),
            Json::Array(a) => !a.is_empty(),
            Json::Object(o) => !o.is_empty(),
        };
        Some(truthy != expr.negated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tera::Context;

    fn tera_with(templates: &[(&str, &str)]) -> Tera {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".htm", ".xml"]);
        tera.set_escape_fn(crate::render::templates::escape_html);
        let config = crate::config::SiteConfig::parse(
            std::path::Path::new("/s"),
            "url = \"https://h.io\"\nbaseurl = \"/kb\"",
            &crate::config::Overrides::default(),
        )
        .unwrap();
        crate::render::filters::register(&mut tera, &config);
        tera.add_raw_templates(templates.to_vec()).unwrap();
        tera
    }

    fn site() -> Json {
        json!({"title": "A & B <archive>", "description": "", "lang": "en", "search": true,
               "baseurl": "/kb", "time": "2026-11-24T00:00:00Z", "extra": {"n": 3}, "count": 0})
    }

    /// Renders every template with and without folding: same text.
    fn same_either_way(templates: &[(&str, &str)]) -> Tera {
        let plain = tera_with(templates);
        let mut folded = tera_with(templates);
        fold_site_constants(&mut folded, &site());
        let mut ctx = Context::new();
        ctx.insert("site", &site());
        ctx.insert("page", &json!({"title": "T", "url": "/x/"}));
        for (name, _) in templates {
            assert_eq!(folded.render(name, &ctx).unwrap(), plain.render(name, &ctx).unwrap(), "{name}");
        }
        folded
    }

    fn site_lookups(nodes: &[Node]) -> usize {
        nodes
            .iter()
            .map(|n| match n {
                Node::VariableBlock(_, e) => usize::from(matches!(&e.val, ExprVal::Ident(p) if p.starts_with("site."))),
                Node::If(i, _) => {
                    i.conditions
                        .iter()
                        .map(|(_, c, body)| {
                            usize::from(matches!(&c.val, ExprVal::Ident(p) if p.starts_with("site.")))
                                + site_lookups(body)
                        })
                        .sum::<usize>()
                        + i.otherwise.as_ref().map_or(0, |(_, b)| site_lookups(b))
                }
                Node::Forloop(_, f, _) => site_lookups(&f.body),
                _ => 0,
            })
            .sum()
    }

    #[test]
    fn site_values_url_literals_and_site_ifs_become_text() {
        let page = "<title>{{ page.title }} | {{ site.title }}</title><html lang=\"{{ site.lang }}\">\
            <link href=\"{{ '/a b.css' | relative_url }}\"><link href=\"{{ page.url | absolute_url }}\">\
            {% if site.description %}<p>{{ site.description }}</p>{% elif site.search %}S{% else %}N{% endif %}\
            {% if not site.search %}off{% endif %}{% if site.count %}c{% endif %}{% if site.extra %}x{% endif %}\
            {% for i in [1, 2] %}{{ site.title }}{% if site.missing %}m{% endif %}{% endfor %}\
            {{ site.time }}{{ site.extra.n }}{{ site.title | upper }}{{- site.lang -}} !";
        let xml = "<t>{{ site.title }}</t>";
        let tera = same_either_way(&[("page.html", page), ("feed.txt", xml)]);
        let ast = &tera.templates["page.html"].ast;
        // Left to Tera: the missing key's test; site.time, site.extra.n, site.title | upper print.
        assert_eq!(site_lookups(ast), 4, "{ast:#?}");
        assert_eq!(site_lookups(&tera.templates["feed.txt"].ast), 0);
    }

    #[test]
    fn nothing_folds_when_a_template_binds_site() {
        let a = "{% set site = page %}{% include \"b.html\" %}";
        let b = "{{ site.title }}";
        let tera = same_either_way(&[("a.html", a), ("b.html", b)]);
        assert_eq!(site_lookups(&tera.templates["b.html"].ast), 1);
    }
}
