//! Syntax highlighting with syntect, loaded on first use: pages without fenced code never pay
//! for loading the syntax definitions.

use std::sync::OnceLock;

use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Classes are prefixed so they never collide with the theme's own CSS.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Highlighted HTML (spans with classes) for `code`, or `None` when `lang` is unknown.
pub fn highlight(code: &str, lang: &str) -> Option<String> {
    let set = syntaxes();
    let syntax = set.find_syntax_by_token(lang)?;
    let mut gen = ClassedHTMLGenerator::new_with_class_style(syntax, set, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        gen.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(gen.finalize())
}

/// The stylesheet for the classes above: a light theme, and a dark one under `prefers-color-scheme`.
pub fn stylesheet() -> String {
    let themes = ThemeSet::load_defaults();
    let light = themes.themes.get("InspiredGitHub").and_then(|t| css_for_theme_with_class_style(t, CLASS_STYLE).ok());
    let dark = themes.themes.get("base16-ocean.dark").and_then(|t| css_for_theme_with_class_style(t, CLASS_STYLE).ok());
    let mut css = light.unwrap_or_default();
    if let Some(dark) = dark {
        css.push_str("\n@media (prefers-color-scheme: dark) {\n");
        css.push_str(&dark);
        css.push_str("\n}\n");
    }
    css
}
