//! The Liquid kbsite understands inside content: `{% raw %}` (kept literally, markers removed)
//! and `{% comment %}` (removed). Any other Liquid is left as text and reported, because
//! content is never run through a template engine.

use std::borrow::Cow;

/// A problem found while scanning; `line` is relative to the start of the scanned text (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidIssue {
    pub line: usize,
    pub message: String,
    pub is_error: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Raw,
    EndRaw,
    Comment,
    EndComment,
    Other,
}

/// A `{% … %}` tag at `start..end`.
fn next_tag(text: &str, from: usize) -> Option<(usize, usize, Tag)> {
    let mut search = from;
    while let Some(i) = memchr::memmem::find(&text.as_bytes()[search..], b"{%") {
        let start = search + i;
        let close = text[start + 2..].find("%}")?;
        // `{% a {% b %}`: the first `{%` is not a tag; retry from the inner one.
        if let Some(inner_open) = text[start + 2..start + 2 + close].find("{%") {
            search = start + 2 + inner_open;
            continue;
        }
        let end = start + 2 + close + 2;
        let inner = text[start + 2..end - 2].trim_matches(|c: char| c == '-' || c.is_whitespace());
        let name = inner.split_whitespace().next().unwrap_or("");
        let tag = match name {
            "raw" => Tag::Raw,
            "endraw" => Tag::EndRaw,
            "comment" => Tag::Comment,
            "endcomment" => Tag::EndComment,
            _ => Tag::Other,
        };
        if tag != Tag::Other || !inner.is_empty() {
            return Some((start, end, tag));
        }
        search = start + 2;
    }
    None
}

fn line_of(text: &str, pos: usize) -> usize {
    memchr::memchr_iter(b'\n', &text.as_bytes()[..pos]).count() + 1
}

/// Applies raw/comment handling. Returns the processed text (borrowed when there is no Liquid)
/// and the issues found. `report_other` controls whether stray Liquid is reported.
pub fn process(text: &str, report_other: bool) -> (Cow<'_, str>, Vec<LiquidIssue>) {
    let mut issues = Vec::new();
    if memchr::memmem::find(text.as_bytes(), b"{%").is_none() && memchr::memmem::find(text.as_bytes(), b"{{").is_none()
    {
        return (Cow::Borrowed(text), issues);
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some((start, end, tag)) = next_tag(text, pos) {
        let before = &text[pos..start];
        if report_other {
            report_output_tags(text, pos, before, &mut issues);
        }
        out.push_str(before);
        match tag {
            Tag::Raw => match find_tag(text, end, Tag::EndRaw) {
                Some((close_start, close_end)) => {
                    out.push_str(&text[end..close_start]);
                    pos = close_end;
                }
                None => {
                    issues.push(LiquidIssue {
                        line: line_of(text, start),
                        message: "`{% raw %}` is never closed by `{% endraw %}`".into(),
                        is_error: true,
                    });
                    out.push_str(&text[end..]);
                    return (Cow::Owned(out), issues);
                }
            },
            Tag::Comment => match find_comment_end(text, end) {
                Some(close_end) => pos = close_end,
                None => {
                    issues.push(LiquidIssue {
                        line: line_of(text, start),
                        message: "`{% comment %}` is never closed by `{% endcomment %}`".into(),
                        is_error: true,
                    });
                    return (Cow::Owned(out), issues);
                }
            },
            Tag::EndRaw | Tag::EndComment | Tag::Other => {
                if report_other {
                    issues.push(LiquidIssue {
                        line: line_of(text, start),
                        message: format!("Liquid tag `{}` is not supported and is kept as text", &text[start..end]),
                        is_error: false,
                    });
                }
                out.push_str(&text[start..end]);
                pos = end;
            }
        }
    }
    if report_other {
        report_output_tags(text, pos, &text[pos..], &mut issues);
    }
    out.push_str(&text[pos..]);
    (Cow::Owned(out), issues)
}

fn find_tag(text: &str, from: usize, wanted: Tag) -> Option<(usize, usize)> {
    let mut pos = from;
    while let Some((s, e, tag)) = next_tag(text, pos) {
        if tag == wanted {
            return Some((s, e));
        }
        pos = e;
    }
    None
}

/// Comments nest in Liquid 5; count them so an inner `endcomment` does not end the outer one.
fn find_comment_end(text: &str, from: usize) -> Option<usize> {
    let mut depth = 1;
    let mut pos = from;
    while let Some((_, e, tag)) = next_tag(text, pos) {
        match tag {
            Tag::Comment => depth += 1,
            Tag::EndComment => {
                depth -= 1;
                if depth == 0 {
                    return Some(e);
                }
            }
            _ => {}
        }
        pos = e;
    }
    None
}

fn report_output_tags(text: &str, offset: usize, segment: &str, issues: &mut Vec<LiquidIssue>) {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&segment.as_bytes()[from..], b"{{") {
        let start = from + i;
        if let Some(close) = segment[start..].find("}}") {
            let end = start + close + 2;
            issues.push(LiquidIssue {
                line: line_of(text, offset + start),
                message: format!("Liquid output `{}` is not supported and is kept as text", &segment[start..end]),
                is_error: false,
            });
            from = end;
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (String, Vec<LiquidIssue>) {
        let (out, issues) = process(text, true);
        (out.into_owned(), issues)
    }

    #[test]
    fn text_without_liquid_is_borrowed() {
        assert!(matches!(process("plain {text}", true).0, Cow::Borrowed(_)));
    }

    #[test]
    fn raw_keeps_liquid_literally_and_markers_vanish() {
        let (out, issues) = run("a\n{% raw %}\n\t{{ x }} and {% if y %} and {%endraw\n{% endraw %}\nb");
        assert_eq!(out, "a\n\n\t{{ x }} and {% if y %} and {%endraw\n\nb");
        assert!(issues.is_empty(), "{issues:?}");
    }

    #[test]
    fn whitespace_control_markers_are_recognised() {
        assert_eq!(run("{%- raw -%}{{a}}{%- endraw -%}").0, "{{a}}");
    }

    #[test]
    fn comments_are_removed_even_nested() {
        let (out, issues) = run("x{% comment %}gone {% comment %}in{% endcomment %} still{% endcomment %}y");
        assert_eq!(out, "xy");
        assert!(issues.is_empty());
    }

    #[test]
    fn other_liquid_is_kept_and_reported_with_line() {
        let (out, issues) = run("one\ntwo {{ site.title }}\n{% include x.html %}\n");
        assert_eq!(out, "one\ntwo {{ site.title }}\n{% include x.html %}\n");
        assert_eq!(issues.len(), 2);
        assert_eq!((issues[0].line, issues[0].is_error), (2, false));
        assert_eq!(issues[1].line, 3);
    }

    #[test]
    fn unclosed_raw_is_an_error_and_keeps_text() {
        let (out, issues) = run("a\n\n{% raw %}\n{{ kept }}");
        assert_eq!(out, "a\n\n\n{{ kept }}");
        assert_eq!(issues.len(), 1);
        assert!(issues[0].is_error);
        assert_eq!(issues[0].line, 3);
    }

    #[test]
    fn lone_braces_are_not_tags() {
        let (out, issues) = run("{% %} {%");
        assert_eq!(out, "{% %} {%");
        assert!(issues.is_empty());
    }
}
