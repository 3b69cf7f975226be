//! The structured reading view of a KB article's plain text: the metadata header as a
//! definition list, underlined headings as real headings with anchors, paragraphs reflowed,
//! lists as lists, indented blocks kept as `<pre>`.
//!
//! Guarantee: the text content of the output equals the input apart from white space. Nothing is
//! dropped: underlines and separator rules stay in the text as faint decorative lines
//! (`.kb-rule`), list markers stay as written.

use super::markdown::{escape_into, IdGenerator, TextLinker};

/// Writes `text` escaped, through the linker when there is one.
fn text_out(text: &str, linker: Option<&dyn TextLinker>, out: &mut String) {
    match linker {
        Some(l) => l.write_text(text, out),
        None => escape_into(text, out),
    }
}

fn is_rule_trimmed(t: &str) -> bool {
    t.len() >= 3 && (t.bytes().all(|b| b == b'=') || t.bytes().all(|b| b == b'-'))
}

/// `Label: value` in the metadata header (`Article:`, `Product(s):`, …).
fn header_field(line: &str) -> Option<(&str, &str)> {
    let (label, value) = line.split_once(':')?;
    let ok = !label.is_empty()
        && label.len() <= 24
        && label.starts_with(|c: char| c.is_ascii_uppercase())
        && label.chars().all(|c| c.is_ascii_alphanumeric() || " ()-".contains(c));
    ok.then_some((label, value))
}

/// A list item marker at the start of a line: `- `, `* `, `o `, `1. `, `1) `, `a. `.
fn list_marker(line: &str) -> Option<usize> {
    let t = line.trim_start();
    let indent = line.len() - t.len();
    if indent > 4 {
        return None;
    }
    let bytes = t.as_bytes();
    let marker_len = match bytes.first()? {
        b'-' | b'*' | b'o' if bytes.get(1) == Some(&b' ') => 1,
        b'0'..=b'9' => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            (digits <= 3 && matches!(bytes.get(digits), Some(b'.') | Some(b')'))).then_some(digits + 1)?
        }
        b'a'..=b'z' if matches!(bytes.get(1), Some(b'.') | Some(b')')) => 2,
        _ => return None,
    };
    (bytes.get(marker_len) == Some(&b' ')).then_some(indent + marker_len)
}

/// One line of the article with what the block rules ask of it, worked out once.
struct Line<'a> {
    raw: &'a str,
    trimmed: &'a str,
    rule: bool,
}

impl<'a> Line<'a> {
    fn new(raw: &'a str) -> Self {
        let trimmed = raw.trim();
        Line { raw, trimmed, rule: is_rule_trimmed(trimmed) }
    }

    fn is_blank(&self) -> bool {
        self.trimmed.is_empty()
    }
}

/// A heading: a text line (not a list item) underlined by a rule of about its own length.
fn is_heading(line: &Line, next: Option<&Line>) -> bool {
    let Some(next) = next.filter(|n| n.rule) else { return false };
    let (text, rule) = (line.trimmed.chars().count(), next.trimmed.len());
    !is_indented(line.raw) && !line.rule && list_marker(line.raw).is_none() && rule.abs_diff(text) <= (text / 4).max(3)
}

/// Whether line `i` ends the block that began at `start`: a blank line, a rule, or a heading.
fn ends_block(lines: &[Line], start: usize, i: usize) -> bool {
    let line = &lines[i];
    line.is_blank() || line.rule || (i > start && is_heading(line, lines.get(i + 1)))
}

/// A footer field line (`Keywords          : kbusage`), or a `Label: value` line.
fn is_field_line(line: &Line) -> bool {
    header_field(line.trimmed).is_some() || line.raw.contains(" : ")
}

fn is_indented(line: &str) -> bool {
    line.starts_with("  ") || line.starts_with('\t')
}

/// Renders an article's text (the de-indented content of its code block) as structured HTML.
pub fn render_article(text: &str, linker: Option<&dyn TextLinker>, ids: &mut IdGenerator, out: &mut String) {
    let lines: Vec<Line> = crate::text::lines(text).map(Line::new).collect();
    out.push_str("<div class=\"kb-article\">\n");
    let mut i = 0;
    // Metadata header: the leading `Label: value` lines.
    let fields: Vec<(&str, &str)> = lines.iter().map_while(|l| header_field(l.raw)).collect();
    if fields.len() >= 2 {
        out.push_str("<dl class=\"kb-header\">\n");
        for (label, value) in &fields {
            out.push_str("<dt>");
            escape_into(label, out);
            out.push_str(":</dt><dd>");
            text_out(value.trim(), linker, out);
            out.push_str("</dd>\n");
        }
        out.push_str("</dl>\n");
        i = fields.len();
    }
    // A paragraph's lines joined by single spaces (reused across paragraphs).
    let mut joined = String::new();
    while i < lines.len() {
        let line = &lines[i];
        if line.is_blank() {
            i += 1;
            continue;
        }
        // Underlined heading: a text line followed by a rule of `=` or `-`.
        if is_heading(line, lines.get(i + 1)) {
            let id = ids.generate(line.trimmed);
            out.push_str("<h3 id=\"");
            out.push_str(&id);
            out.push_str("\">");
            text_out(line.trimmed, linker, out);
            out.push_str("<span class=\"kb-rule\" aria-hidden=\"true\">");
            escape_into(lines[i + 1].trimmed, out);
            out.push_str("</span></h3>\n");
            i += 2;
            continue;
        }
        if line.rule {
            out.push_str("<div class=\"kb-rule\" aria-hidden=\"true\">");
            escape_into(line.trimmed, out);
            out.push_str("</div>\n");
            i += 1;
            continue;
        }
        // A block runs to the next blank line, rule or heading.
        let start = i;
        while i < lines.len() && !ends_block(&lines, start, i) {
            i += 1;
        }
        let block = &lines[start..i];
        if block.iter().all(|l| is_indented(l.raw)) {
            out.push_str("<pre>");
            for (n, l) in block.iter().enumerate() {
                if n > 0 {
                    out.push('\n');
                }
                text_out(l.raw, linker, out);
            }
            out.push_str("</pre>\n");
        } else if list_marker(block[0].raw).is_some() {
            render_list(block, linker, out);
        } else if block.len() > 1 && block.iter().all(is_field_line) {
            // Footer fields (`Keywords          : …`): one line each.
            out.push_str("<p class=\"kb-fields\">");
            for (n, l) in block.iter().enumerate() {
                if n > 0 {
                    out.push('\n');
                }
                text_out(l.trimmed, linker, out);
            }
            out.push_str("</p>\n");
        } else {
            out.push_str("<p>");
            joined.clear();
            for (n, l) in block.iter().enumerate() {
                if n > 0 {
                    joined.push(' ');
                }
                joined.push_str(l.trimmed);
            }
            text_out(&joined, linker, out);
            out.push_str("</p>\n");
        }
    }
    out.push_str("</div>\n");
}

/// Items start at a marker; other lines continue the current item (reflowed).
fn render_list(block: &[Line], linker: Option<&dyn TextLinker>, out: &mut String) {
    out.push_str("<ul class=\"kb-list\">\n");
    let mut item: Option<(String, String)> = None;
    let flush = |item: &mut Option<(String, String)>, out: &mut String| {
        if let Some((marker, text)) = item.take() {
            out.push_str("<li><span class=\"kb-marker\">");
            escape_into(&marker, out);
            out.push_str("</span> ");
            text_out(&text, linker, out);
            out.push_str("</li>\n");
        }
    };
    for line in block {
        match list_marker(line.raw) {
            Some(end) => {
                flush(&mut item, out);
                item = Some((line.raw[..end].trim().to_string(), line.raw[end..].trim().to_string()));
            }
            None => match &mut item {
                Some((_, text)) => {
                    text.push(' ');
                    text.push_str(line.trimmed);
                }
                None => item = Some((String::new(), line.trimmed.to_string())),
            },
        }
    }
    flush(&mut item, out);
    out.push_str("</ul>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> String {
        let mut out = String::new();
        render_article(text, None, &mut IdGenerator::default(), &mut out);
        out
    }

    /// Text content with all white space removed.
    fn visible(html: &str) -> String {
        let mut s = String::new();
        let mut tag = false;
        for c in html.chars() {
            match c {
                '<' => tag = true,
                '>' if tag => tag = false,
                c if !tag && !c.is_whitespace() => s.push(c),
                _ => {}
            }
        }
        html_escape::decode_html_entities(&s).into_owned()
    }

    const ARTICLE: &str = "Article: Q151228\nProduct(s): Microsoft Exchange\nOperating System(s): \n\n\
        -------------------------------------------------------------------------------\n\
        SUMMARY\n=======\n\nWhen you install the Microsoft Mail Connector\nit will create a database.\n\n\
        \x20 The Microsoft PC MTA service returned error 3\n\x20 Event ID: 4188\n\n\
        - Microsoft Exchange Server, versions 5.5\n  continued here\n- Second <item> & more\n\n\
        ======================================================================\n\
        Keywords          : kbusage exc4\nTechnology        : kbExchangeSearch\n";

    #[test]
    fn structure_is_recognised() {
        let html = render(ARTICLE);
        assert!(html.contains("<dl class=\"kb-header\">\n<dt>Article:</dt><dd>Q151228</dd>"), "{html}");
        assert!(html.contains("<h3 id=\"summary\">SUMMARY<span class=\"kb-rule\""), "{html}");
        assert!(html.contains("<p>When you install the Microsoft Mail Connector it will create a database.</p>"));
        assert!(html.contains("<pre>  The Microsoft PC MTA service returned error 3\n  Event ID: 4188</pre>"));
        assert!(html.contains(
            "<li><span class=\"kb-marker\">-</span> Microsoft Exchange Server, versions 5.5 continued here</li>"
        ));
        assert!(html.contains("Second &lt;item&gt; &amp; more"));
        assert!(html.contains("<p class=\"kb-fields\">Keywords          : kbusage exc4\nTechnology"), "{html}");
    }

    #[test]
    fn visible_text_is_preserved() {
        let expected: String = ARTICLE.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(visible(&render(ARTICLE)), expected);
    }

    #[test]
    fn only_matching_underlines_make_headings() {
        let html = render("Intro:\n\n- Exchange Server 5.5\n----------------------------------------\n\nMORE INFORMATION\n================\n");
        assert!(!html.contains("<h3 id=\"exchange"), "{html}");
        assert!(html.contains("<h3 id=\"more-information\">"), "{html}");
    }

    #[test]
    fn list_markers() {
        assert_eq!(list_marker("- a"), Some(1));
        assert_eq!(list_marker("12. a"), Some(3));
        assert_eq!(list_marker("  b) a"), Some(4));
        assert_eq!(list_marker("-1"), None);
        assert_eq!(list_marker("1.5 GB"), None);
    }
}
