//! Markdown → HTML with pulldown-cmark: GitHub-Pages-compatible heading ids, lazily loaded
//! syntect highlighting for fenced code, and a hook that turns text (KB mentions) into links.

use std::collections::HashMap;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

use super::highlight;

/// Writes text HTML-escaped into `out`, possibly wrapping parts in links (e.g. `Q123456` mentions).
pub trait TextLinker: Sync {
    fn write_text(&self, text: &str, out: &mut String);
}

/// A heading of the rendered page, for tables of contents and `#anchor` checks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Rendered {
    pub html: String,
    pub headings: Vec<Heading>,
    /// Some fenced block was highlighted, so the site needs the highlighting stylesheet.
    pub highlighted: bool,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// The parser's events for `markdown`. A KB article (headings, then the article text as one
/// indented code block to the end) skips the parser for the code block, which is walked line
/// by line instead (a median article renders in 3.6 µs instead of 6.0 µs). Same events either
/// way (the block's text as one `Text` instead of one per line; the render joins them),
/// checked against the parser on every sample article.
fn parse_events(markdown: &str) -> Vec<Event<'_>> {
    match split_code_tail(markdown) {
        Some((head, code)) => {
            let mut events: Vec<Event<'_>> = Parser::new_ext(head, options()).collect();
            events.push(Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)));
            events.push(Event::Text(code.into()));
            events.push(Event::End(TagEnd::CodeBlock));
            events
        }
        None => Parser::new_ext(markdown, options()).collect(),
    }
}

/// For a document of ATX headings and blank lines followed by one indented code block that
/// runs to the end: the text before the block, and the block's text as CommonMark reads it
/// (each line without its first four columns of indentation, trailing blank lines dropped).
/// `None` for any other shape (lists, paragraphs, fences, HTML, CR or NUL characters…): those
/// documents go to the parser whole.
fn split_code_tail(markdown: &str) -> Option<(&str, String)> {
    let bytes = markdown.as_bytes();
    if memchr::memchr2(b'\r', b'\0', bytes).is_some() {
        return None;
    }
    // Lines as (start, end without the `\n`, whether a `\n` ends it).
    let mut lines = memchr::memchr_iter(b'\n', bytes)
        .map(|end| (end, true))
        .chain((!markdown.ends_with('\n')).then_some((bytes.len(), false)))
        .scan(0, |start, (end, newline)| {
            let line = (*start, end, newline);
            *start = end + 1;
            Some(line)
        })
        .filter(|&(start, end, newline)| newline || end > start);
    let mut first_code = None;
    for (start, end, newline) in lines.by_ref() {
        let content = &markdown[start..end];
        if is_blank_line(content) {
            continue;
        }
        if code_line(content).is_some() {
            first_code = Some((start, end, newline));
            break;
        }
        if !is_atx_heading(content) {
            return None;
        }
    }
    let (head_end, ..) = first_code?;
    let mut code = String::with_capacity(markdown.len() - head_end);
    // Blank lines count only when more code follows them.
    let mut blanks = String::new();
    for (start, end, newline) in first_code.into_iter().chain(lines) {
        let content = &markdown[start..end];
        if is_blank_line(content) {
            // A blank line keeps what lies beyond four columns, like any code line.
            blanks.push_str(code_line(content).unwrap_or(""));
            blanks.push('\n');
            continue;
        }
        code.push_str(&blanks);
        blanks.clear();
        code.push_str(code_line(content)?);
        if newline {
            code.push('\n');
        }
    }
    Some((&markdown[..head_end], code))
}

fn is_blank_line(line: &str) -> bool {
    line.bytes().all(|b| b == b' ' || b == b'\t')
}

/// The text of `line` as a line of an indented code block: without its first four columns of
/// indentation (a tab advances to the next multiple of four, so it never straddles the fourth
/// column); `None` when it is indented less than that.
fn code_line(line: &str) -> Option<&str> {
    let mut col = 0;
    for (i, b) in line.bytes().enumerate() {
        if col >= 4 {
            return Some(&line[i..]);
        }
        match b {
            b' ' => col += 1,
            b'\t' => col = (col / 4 + 1) * 4,
            _ => return None,
        }
    }
    (col >= 4).then_some("")
}

/// An ATX heading line: up to three spaces, one to six `#`, then the end or white space.
fn is_atx_heading(line: &str) -> bool {
    let rest = line.trim_start_matches(' ');
    if line.len() - rest.len() > 3 {
        return false;
    }
    let hashes = rest.bytes().take_while(|&b| b == b'#').count();
    (1..=6).contains(&hashes) && rest[hashes..].chars().next().is_none_or(|c| c == ' ' || c == '\t')
}

/// Renders Markdown; `linker` (if any) is applied to plain text and code-block text outside links.
pub fn render(markdown: &str, linker: Option<&dyn TextLinker>) -> Rendered {
    render_with(markdown, linker, false)
}

/// As [`render`]; with `structured`, indented code blocks (a KB article's text) get the
/// structured reading view instead of `<pre><code>`.
pub fn render_with(markdown: &str, linker: Option<&dyn TextLinker>, structured: bool) -> Rendered {
    let mut events = parse_events(markdown);
    let mut ids = IdGenerator::default();
    let mut headings = Vec::new();
    let mut highlighted = false;

    // Pass 1: heading ids (they need the heading's whole text).
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, id, .. }) = &events[i] {
            let level = *level as u8;
            let explicit = id.clone();
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    text.push_str(t);
                }
                j += 1;
            }
            let id = match explicit {
                Some(id) => ids.reserve(id.to_string()),
                None => ids.generate(&text),
            };
            if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i] {
                *slot = Some(CowStr::from(id.clone()));
            }
            headings.push(Heading { level, id, text });
            i = j;
        }
        i += 1;
    }

    // Pass 2: code blocks and linking of text.
    let mut out_events: Vec<Event<'_>> = Vec::with_capacity(events.len());
    let mut link_depth = 0usize;
    let mut iter = events.into_iter();
    while let Some(event) = iter.next() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match &kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let mut code = String::new();
                for e in iter.by_ref() {
                    match e {
                        Event::Text(t) => code.push_str(&t),
                        Event::End(TagEnd::CodeBlock) => break,
                        _ => {}
                    }
                }
                let mut html = String::with_capacity(code.len() + 64);
                if structured && matches!(kind, CodeBlockKind::Indented) {
                    super::structured::render_article(&code, linker, &mut ids, &mut html);
                    out_events.push(Event::Html(html.into()));
                    continue;
                }
                if let Some(body) = (!lang.is_empty()).then(|| highlight::highlight(&code, &lang)).flatten() {
                    highlighted = true;
                    html.push_str("<pre class=\"highlight\"><code class=\"language-");
                    html.push_str(&escape(&lang));
                    html.push_str("\">");
                    html.push_str(&body);
                } else {
                    html.push_str("<pre><code");
                    if !lang.is_empty() {
                        html.push_str(" class=\"language-");
                        html.push_str(&escape(&lang));
                        html.push('"');
                    }
                    html.push('>');
                    write_text(&code, linker, &mut html);
                }
                html.push_str("</code></pre>\n");
                out_events.push(Event::Html(html.into()));
            }
            Event::Start(Tag::Link { .. }) => {
                link_depth += 1;
                out_events.push(event);
            }
            Event::End(TagEnd::Link) => {
                link_depth = link_depth.saturating_sub(1);
                out_events.push(event);
            }
            Event::Text(t) if link_depth == 0 && linker.is_some() => {
                let mut html = String::with_capacity(t.len() + 16);
                write_text(&t, linker, &mut html);
                out_events.push(Event::InlineHtml(html.into()));
            }
            other => out_events.push(other),
        }
    }
    let mut html = String::with_capacity(markdown.len() + markdown.len() / 4);
    pulldown_cmark::html::push_html(&mut html, out_events.into_iter());
    Rendered { html, headings, highlighted }
}

fn write_text(text: &str, linker: Option<&dyn TextLinker>, out: &mut String) {
    match linker {
        Some(l) => l.write_text(text, out),
        None => escape_into(text, out),
    }
}

/// HTML escaping for text and attribute values (`&`, `<`, `>`, `"`, `'`).
///
/// Every page's text and every template value goes through here (~8% of a build's
/// instructions when it went byte by byte), and most runs of 8 bytes need nothing: those are
/// skipped with one word-wide test, and only a word that may hold a special byte is looked at
/// byte by byte.
pub fn escape_into(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut last = 0;
    let mut escape_byte = |i: usize, out: &mut String| {
        let rep = match bytes[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => return,
        };
        // `i` is the index of an ASCII byte: both slices end on character boundaries.
        out.push_str(&text[last..i]);
        out.push_str(rep);
        last = i + 1;
    };
    let mut i = 0;
    while let Some(word) = bytes.get(i..i + 8) {
        if may_need_escaping(u64::from_le_bytes(word.try_into().expect("8 bytes"))) {
            (i..i + 8).for_each(|j| escape_byte(j, out));
        }
        i += 8;
    }
    (i..bytes.len()).for_each(|j| escape_byte(j, out));
    out.push_str(&text[last..]);
}

/// Whether one of the 8 bytes of `word` may be `&`, `'`, `<`, `>` or `"` (never false when one
/// is; rarely true when none is). `&`/`'` (0x26/0x27) and `<`/`>` (0x3C/0x3E) are tested in pairs
/// by setting the bit in which they differ.
fn may_need_escaping(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Exact for "some byte is zero": a borrow only propagates above a byte that is zero.
    let has_zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS != 0;
    has_zero_byte((word | ONES) ^ (ONES * 0x27))
        | has_zero_byte((word | (ONES * 2)) ^ (ONES * 0x3E))
        | has_zero_byte(word ^ (ONES * 0x22))
}

pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    escape_into(text, &mut s);
    s
}

/// Heading ids as GitHub Pages' kramdown (GFM input) makes them, so existing `#anchors` work:
/// lowercase; drop everything but word characters, `-`, spaces and tabs; each space or tab becomes
/// `-`; repeats get `-1`, `-2`, ….
#[derive(Default)]
pub struct IdGenerator {
    used: HashMap<String, usize>,
}

impl IdGenerator {
    pub fn generate(&mut self, text: &str) -> String {
        let mut base = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                base.extend(c.to_lowercase());
            } else if c == ' ' || c == '\t' {
                base.push('-');
            }
        }
        if base.is_empty() {
            base.push_str("section");
        }
        let count = self.used.entry(base.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            format!("{base}-{}", *count - 1)
        } else {
            base
        }
    }

    fn reserve(&mut self, id: String) -> String {
        *self.used.entry(id.clone()).or_insert(0) += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-by-byte escaper `escape_into` must equal.
    fn escape_reference(text: &str) -> String {
        text.chars()
            .map(|c| match c {
                '&' => "&amp;".to_string(),
                '<' => "&lt;".to_string(),
                '>' => "&gt;".to_string(),
                '"' => "&quot;".to_string(),
                '\'' => "&#39;".to_string(),
                c => c.to_string(),
            })
            .collect()
    }

    #[test]
    fn escaping_matches_the_byte_by_byte_reference_at_every_position() {
        // Every special byte, and bytes next to them in value (`%`, `(`, `=`, `?`, `!`, `#`), at
        // every offset of texts up to three words long, among ASCII and multi-byte characters.
        let fillers = ["a", "é", "€", "%", "(", "=", "?", "!", "#", "😀"];
        for special in ["&", "<", ">", "\"", "'", "=", "?", "%"] {
            for filler in fillers {
                for len in 0..24 {
                    for at in 0..=len {
                        let mut text = filler.repeat(at);
                        text.push_str(special);
                        text.push_str(&filler.repeat(len - at));
                        assert_eq!(escape(&text), escape_reference(&text), "{text:?}");
                    }
                }
            }
        }
        let mixed = "Q151228 <b>&amp; \"x\" it's</b> ünïcödé > 1 && 2 < 3 ''\"\"<<>>&&";
        assert_eq!(escape(mixed), escape_reference(mixed));
        assert_eq!(escape(""), "");
    }

    /// The parser's events with each code block's text joined into one `Text`.
    fn joined(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
        let mut out: Vec<Event<'_>> = Vec::new();
        let mut in_code = false;
        for e in events {
            match (&e, out.last_mut()) {
                (Event::Text(t), Some(Event::Text(prev))) if in_code => *prev = format!("{prev}{t}").into(),
                _ => {
                    in_code = matches!(e, Event::Start(Tag::CodeBlock(_))) || (in_code && !matches!(e, Event::End(_)));
                    out.push(e);
                }
            }
        }
        out
    }

    /// Whether the shortcut applies, after checking that it gives the parser's events.
    fn shortcut_matches_parser(md: &str) -> bool {
        let parsed = joined(Parser::new_ext(md, options()).collect());
        match split_code_tail(md) {
            Some(_) => {
                assert_eq!(joined(parse_events(md)), parsed, "{md:?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn kb_shaped_documents_skip_the_parser_with_the_same_events() {
        let taken = [
            "\n## Q1: Title *x* &amp; [y]\n\n\n\tArticle: Q1\n\tProduct(s): X\n\t\n\tText\n\t\n\n",
            "# A\n    code\n",
            "    only code",
            "\n\n    a\n\n\n      b\n",
            "## H {#custom}\n\n    a\n  \n      \n\t\t  tabbed\n  \tmixed\n   \t three-then-tab\n \t \tx\n",
            "   ### Indented heading ###\n\n    x\n        \n    y\n\n  \n",
            "#\n\n    empty heading\n",
            "    a\n\t\n\n    \t\n    b",
        ];
        for md in taken {
            assert!(shortcut_matches_parser(md), "{md:?} should take the shortcut");
        }
        let parsed_whole = [
            "",
            "\n\n",
            "Paragraph\n\n    code\n",
            "- item\n\n    code in the item\n",
            "> quote\n\n    code\n",
            "#nospace\n\n    code\n",
            "####### seven\n\n    code\n",
            "    code\nnot code\n",
            "    code\r\n    more\r\n",
            "    nul\0\n",
            "```\nfence\n```\n\n    code\n",
            "<div>\n\n    code\n",
        ];
        for md in parsed_whole {
            assert!(!shortcut_matches_parser(md), "{md:?} should go to the parser");
        }
    }

    /// Every article of the shared sample: the shortcut gives the parser's events, and it is
    /// taken for nearly all of them (skipped without `../shared`).
    #[test]
    fn sample_articles_skip_the_parser_with_the_same_events() {
        let Some(files) = crate::test_support::sample_articles() else { return };
        let mut taken = 0;
        for (_, path) in &files {
            let text = std::fs::read_to_string(path).unwrap();
            let split = crate::load::frontmatter::split(&text).expect("front matter");
            let (body, _) = crate::load::liquid::process(split.body, false);
            if shortcut_matches_parser(&body) {
                taken += 1;
            }
        }
        assert!(taken * 100 >= files.len() * 95, "shortcut taken for {taken} of {} articles", files.len());
    }

    #[test]
    fn heading_ids_match_github_pages() {
        let mut g = IdGenerator::default();
        assert_eq!(
            g.generate("Q151228: XFOR: Microsoft Mail Connector and Duplicate Serial Numbers"),
            "q151228-xfor-microsoft-mail-connector-and-duplicate-serial-numbers"
        );
        assert_eq!(
            g.generate("Q194742: XFOR: Support for user@[IP Address] Format"),
            "q194742-xfor-support-for-userip-address-format"
        );
        assert_eq!(g.generate("Can’t Save"), "cant-save");
        assert_eq!(g.generate("Can’t Save"), "cant-save-1");
        assert_eq!(g.generate("Can’t Save"), "cant-save-2");
        assert_eq!(g.generate("!!!"), "section");
    }

    #[test]
    fn headings_get_ids_from_decoded_text() {
        let r = render("## Q1: A &amp; B &#91;x&#93; \"q\"\n", None);
        assert!(r.html.starts_with("<h2 id=\"q1-a--b-x-q\">"), "{}", r.html);
        assert_eq!(r.headings[0].text, "Q1: A & B [x] “q”");
    }

    #[test]
    fn explicit_heading_ids_win() {
        let r = render("# Title {#custom}\n", None);
        assert!(r.html.contains("id=\"custom\""), "{}", r.html);
    }

    #[test]
    fn indented_code_becomes_pre_code_with_escaping() {
        let r = render("\tArticle: Q1\n\t  <b>&</b>\n", None);
        assert_eq!(r.html, "<pre><code>Article: Q1\n  &lt;b&gt;&amp;&lt;/b&gt;\n</code></pre>\n");
        assert!(!r.highlighted);
    }

    #[test]
    fn fenced_code_with_known_language_is_highlighted_with_classes() {
        let r = render("```rust\nfn main() {}\n```\n", None);
        assert!(r.highlighted);
        assert!(r.html.starts_with("<pre class=\"highlight\"><code class=\"language-rust\">"), "{}", r.html);
        assert!(r.html.contains("<span class=\"hl-"), "{}", r.html);
    }

    #[test]
    fn fenced_code_with_unknown_language_is_plain() {
        let r = render("```nolang\n<x>\n```\n", None);
        assert_eq!(r.html, "<pre><code class=\"language-nolang\">&lt;x&gt;\n</code></pre>\n");
    }

    #[test]
    fn extensions_are_on() {
        let r = render("| a |\n|---|\n| b |\n\n~~s~~ [^1]\n\n[^1]: n\n\n- [x] t\n", None);
        for needle in ["<table>", "<del>s</del>", "footnote", "checkbox"] {
            assert!(r.html.contains(needle), "{needle}: {}", r.html);
        }
    }

    struct Upper;
    impl TextLinker for Upper {
        fn write_text(&self, text: &str, out: &mut String) {
            out.push('[');
            escape_into(text, out);
            out.push(']');
        }
    }

    #[test]
    fn linker_sees_text_and_code_but_not_link_text() {
        let r = render("see a\n\n[inside](/x)\n\n\tcode\n", Some(&Upper));
        assert!(r.html.contains("<p>[see a]</p>"), "{}", r.html);
        assert!(r.html.contains(">inside</a>"), "{}", r.html);
        assert!(r.html.contains("<pre><code>[code\n]</code></pre>"), "{}", r.html);
    }
}
