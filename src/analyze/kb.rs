//! The KB article model: parse the header and footer of a Microsoft
//! KnowledgeBase article.
//!
//! # Article layout
//!
//! Every article page of the archive holds, inside `{% raw %}` … `{% endraw %}`,
//! text, each line indented with one tab, that starts with a six-line
//! **header**:
//!
//! ```text
//! Article: Q151228
//! Product(s): Microsoft Exchange
//! Version(s): winnt:4.0,5.0,5.5
//! Operating System(s):
//! Keyword(s): kbusage exc4 exc5 exc55
//! Last Modified: 19-DEC-1999
//! ```
//!
//! and most articles end with **footer** fields: a few labelled lines at the
//! end of the body (`KBCategory:`, `KBSubcategory:`, `Additional query words:`)
//! and, after a line of `=`, a **trailer** block whose labels are padded to a
//! colon in column 18:
//!
//! ```text
//! Additional query words:
//!
//! ======================================================================
//! Keywords          : kbusage exc4 exc5 exc55
//! Technology        : kbExchangeSearch kbExchange500 kbExchange550
//! Version           : winnt:4.0,5.0,5.5
//!
//! =============================================================================
//! ```
//!
//! # Rules
//!
//! **Is it an article?** Leading blank lines, Markdown headings (the `## title`
//! line) and lone Liquid tags (`{% raw %}`) are skipped. The first other line
//! must start with `Article:` (any case, leading whitespace ignored), and either
//! its value is a Q-number (`Q` and digits) or a known header label
//! (`Product(s):` …) follows within the header block. Anything else is not an
//! article: `article: None` and no problems. This is decided on the first
//! content line, so non-KB pages cost almost nothing.
//!
//! **Header.** The header block is the run of lines after `Article:` up to the
//! first blank line. Labels match case-insensitively, with or without `(s)`
//! (`Product(s)`, `Products`, `Product`). Values are trimmed and kept as
//! written (mspl13 articles have `|`-separated values such as
//! `MS-DOS | OS/2`; they are kept verbatim except in `keywords`). A header line
//! that is a truncated label (`Operating Sys`) or an unknown `Label: value`
//! line is reported and skipped; any other line ends the header early (the
//! body started without a blank line). A missing header field, a duplicate one,
//! an empty `Product(s)`, an `Article:` value that is not a Q-number and a
//! `Last Modified:` value that is not a date are reported as [`KbProblem`]s;
//! the article is still returned with what could be parsed. Empty
//! `Version(s)`, `Operating System(s)` and `Keyword(s)` are normal in the
//! archive and not reported.
//!
//! **Dates.** `D-MON-YYYY` or `DD-MON-YYYY` (month names in any case, e.g.
//! `19-DEC-1999`, `9-AUG-1989`); a two-digit year means 19YY (≥ 50) or 20YY.
//! Impossible dates (`31-FEB-1999`) are problems.
//!
//! **Footer fields** (keys of [`KbArticle::footer`]):
//!
//! | label in the text                | key                          |
//! |----------------------------------|------------------------------|
//! | `Keywords`                       | `keywords`                   |
//! | `Technology`                     | `technology`                 |
//! | `Version`                        | `version`                    |
//! | `Issue type`                     | `issue_type`                 |
//! | `Solution Type`                  | `solution_type`              |
//! | `Hardware`                       | `hardware`                   |
//! | `Component`                      | `component`                  |
//! | `Platform`                       | `platform`                   |
//! | `KBCategory` / `kbcategory`      | `kbcategory`                 |
//! | `KBSubcategory`                  | `kbsubcategory`              |
//! | `Additional query word(s)`       | `additional_query_words`     |
//! | `Additional reference words`     | `additional_reference_words` |
//!
//! Labels match case-insensitively. The `KBCategory`, `KBSubcategory` and
//! `Additional … words` lines are recognised anywhere in the body when the
//! label starts the (de-tabbed) line and is followed by `:` — prose mentioning
//! "KBSubcategory keywords" does not match. The trailer starts at a line with a
//! known label right after a line of at least 20 `=` (or at a padded
//! `Keywords    :` line even without that rule line) and ends at the next
//! blank or `=` line; inside it, any `Label<spaces>:` line is a field (unknown
//! labels get a generic snake_case key). A non-blank line that is not a field
//! continues the previous field (wrapped values, e.g. `Additional reference
//! words:` in Q113278): it is appended after one space. Values are trimmed;
//! fields present with an empty value are kept with `""`. The first occurrence
//! of a field wins; a repeated field is a problem. Articles without a footer
//! (the mspl13 articles) are normal and not reported.
//!
//! **Keywords** are the header `Keyword(s):` words followed by the trailer
//! `Keywords :` words, split on whitespace and `|`, de-duplicated ignoring
//! ASCII case (first spelling kept). `technology` is the trailer `Technology`
//! value split the same way.
//!
//! Parsing is a single pass over the lines; nothing is allocated for lines
//! that are plain body text.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDate;

/// The metadata of one KB article.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct KbArticle {
    /// The id as written in `Article:`, e.g. `"Q151228"`.
    pub id: String,
    /// The article number, e.g. `151228` (0 when `Article:` is not a Q-number).
    pub number: u32,
    /// `Product(s):`, trimmed.
    pub product: String,
    /// `Version(s):`, trimmed.
    pub versions: String,
    /// `Operating System(s):`, trimmed (often empty).
    pub operating_systems: String,
    /// Header `Keyword(s):` and footer `Keywords :` words, split on whitespace
    /// and `|`, de-duplicated ignoring ASCII case, first spelling kept, in order
    /// of first appearance.
    pub keywords: Vec<String>,
    /// `Last Modified:` as a date, when it parses.
    #[serde(serialize_with = "serialize_date")]
    pub last_modified: Option<NaiveDate>,
    /// `Last Modified:` as written, trimmed.
    pub last_modified_raw: String,
    /// Footer `Technology :` words, split like `keywords`.
    pub technology: Vec<String>,
    /// Every footer field by its snake_case key (see the module docs).
    pub footer: FooterFields,
}

/// An article's footer fields by snake_case key, sorted by key. A boxed slice rather than a
/// map: articles have a handful of fields, and a `BTreeMap` node takes ~540 bytes however few
/// it holds (39 MB at 60,000 articles); the usual keys are not allocated per article.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FooterFields(Box<[(Cow<'static, str>, Box<str>)]>);

impl FooterFields {
    pub fn get(&self, key: &str) -> Option<&str> {
        let i = self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok()?;
        Some(&self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// `(key, value)` pairs in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Index<&str> for FooterFields {
    type Output = str;

    /// The value of field `key`; panics when there is none (like a map's index).
    fn index(&self, key: &str) -> &str {
        self.get(key).unwrap_or_else(|| panic!("no footer field `{key}`"))
    }
}

impl From<BTreeMap<Cow<'static, str>, String>> for FooterFields {
    fn from(fields: BTreeMap<Cow<'static, str>, String>) -> Self {
        FooterFields(fields.into_iter().map(|(k, v)| (k, v.into_boxed_str())).collect())
    }
}

impl serde::Serialize for FooterFields {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// Something wrong in an article's header or footer.
#[derive(Debug, Clone, PartialEq)]
pub struct KbProblem {
    /// 1-based line within the text given to [`parse_article`].
    pub line: usize,
    pub message: String,
}

/// The result of [`parse_article`].
#[derive(Debug, Clone, Default)]
pub struct KbParse {
    /// `None` when the text is not a KB article.
    pub article: Option<KbArticle>,
    /// Problems found; always empty when `article` is `None`.
    pub problems: Vec<KbProblem>,
}

fn serialize_date<S: serde::Serializer>(date: &Option<NaiveDate>, serializer: S) -> Result<S::Ok, S::Error> {
    match date {
        // NaiveDate displays as ISO 8601: 1999-12-19.
        Some(date) => serializer.collect_str(date),
        None => serializer.serialize_none(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderField {
    Product,
    Versions,
    OperatingSystems,
    Keywords,
    LastModified,
}

impl HeaderField {
    const ALL: [HeaderField; 5] = [
        HeaderField::Product,
        HeaderField::Versions,
        HeaderField::OperatingSystems,
        HeaderField::Keywords,
        HeaderField::LastModified,
    ];

    /// The label as written in the archive.
    fn label(self) -> &'static str {
        match self {
            HeaderField::Product => "Product(s)",
            HeaderField::Versions => "Version(s)",
            HeaderField::OperatingSystems => "Operating System(s)",
            HeaderField::Keywords => "Keyword(s)",
            HeaderField::LastModified => "Last Modified",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Matches a header label, ignoring ASCII case, with `(s)`, `s` or nothing
    /// after the noun.
    fn from_label(label: &str) -> Option<HeaderField> {
        if label.eq_ignore_ascii_case("Last Modified") {
            return Some(HeaderField::LastModified);
        }
        let stem = strip_suffix_ignore_case(label, "(s)")
            .or_else(|| strip_suffix_ignore_case(label, "s"))
            .unwrap_or(label)
            .trim_end();
        [
            ("Product", HeaderField::Product),
            ("Version", HeaderField::Versions),
            ("Operating System", HeaderField::OperatingSystems),
            ("Keyword", HeaderField::Keywords),
        ]
        .into_iter()
        .find(|(name, _)| stem.eq_ignore_ascii_case(name))
        .map(|(_, field)| field)
    }

    /// Whether `text` is a truncated header label (`Operating Sys`).
    fn is_truncated_label(text: &str) -> bool {
        text.len() >= 3
            && HeaderField::ALL.iter().any(|field| {
                let label = field.label();
                label.len() > text.len() && label.as_bytes()[..text.len()].eq_ignore_ascii_case(text.as_bytes())
            })
    }
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &text[..cut])
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// Footer labels and their keys. `body` marks the labels recognised in the
/// body (outside the `=`-ruled trailer block).
const FOOTER_FIELDS: &[(&str, &str, bool)] = &[
    ("Keywords", "keywords", false),
    ("Technology", "technology", false),
    ("Version", "version", false),
    ("Issue type", "issue_type", false),
    ("Solution Type", "solution_type", false),
    ("Hardware", "hardware", false),
    ("Component", "component", false),
    ("Platform", "platform", false),
    ("KBCategory", "kbcategory", true),
    ("KBSubcategory", "kbsubcategory", true),
    ("Additional query words", "additional_query_words", true),
    ("Additional query word", "additional_query_words", true),
    ("Additional reference words", "additional_reference_words", true),
];

/// The key of a known footer label, and whether it is recognised in the body.
fn footer_key(label: &str) -> Option<(&'static str, bool)> {
    FOOTER_FIELDS.iter().find(|(name, _, _)| label.eq_ignore_ascii_case(name)).map(|&(_, key, body)| (key, body))
}

/// A generic snake_case key for an unknown footer label.
fn snake_case(label: &str) -> String {
    let mut key = String::with_capacity(label.len());
    for word in label.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if !key.is_empty() {
            key.push('_');
        }
        key.extend(word.chars().map(|c| c.to_ascii_lowercase()));
    }
    key
}

/// A `Label<spaces>: value` line: the label (ASCII letters, spaces and
/// parentheses, starting with a letter, colon within 40 bytes), whether it was padded with spaces before the
/// colon, and the trimmed value.
struct FieldLine<'a> {
    label: &'a str,
    padded: bool,
    value: &'a str,
}

fn field_line(line: &str) -> Option<FieldLine<'_>> {
    let bytes = line.as_bytes();
    let colon = memchr::memchr(b':', &bytes[..bytes.len().min(40)])?;
    let raw = &line[..colon];
    let label = raw.trim_end();
    if !label.as_bytes().first()?.is_ascii_alphabetic()
        || !label.bytes().all(|b| b.is_ascii_alphabetic() || matches!(b, b' ' | b'(' | b')'))
    {
        return None;
    }
    Some(FieldLine { label, padded: label.len() < raw.len(), value: line[colon + 1..].trim() })
}

/// A line of at least 20 `=` (the footer rules; section underlines are
/// usually shorter, and a long one is harmless because a known label must
/// follow).
fn is_rule(trimmed: &str) -> bool {
    trimmed.len() >= 20 && trimmed.bytes().all(|b| b == b'=')
}

/// A line holding a single Liquid tag, e.g. `{% raw %}` or `{%- endraw -%}`.
fn liquid_tag(trimmed: &str) -> Option<&str> {
    let inner = trimmed.strip_prefix("{%")?.strip_suffix("%}")?;
    let inner = inner.trim_matches(|c: char| c == '-' || c.is_whitespace());
    (!inner.contains("%}")).then_some(inner)
}

/// Parses a `Q` number as written in `Article:` (`Q` or `q`, then 1 to 9
/// digits).
pub fn parse_article_id(id: &str) -> Option<u32> {
    let digits = id.strip_prefix(['Q', 'q'])?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Parses a KB date: `19-DEC-1999`, `9-AUG-1989` (month in any case; a
/// two-digit year is 19YY when ≥ 50, else 20YY).
pub fn parse_kb_date(text: &str) -> Option<NaiveDate> {
    const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    let mut parts = text.trim().split('-');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let number = |s: &str, max_len: usize| -> Option<u32> {
        if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let day = number(day, 2)?;
    let month = MONTHS.iter().position(|name| month.eq_ignore_ascii_case(name))? as u32 + 1;
    let year = match year.len() {
        4 => number(year, 4)?,
        2 => {
            let yy = number(year, 2)?;
            if yy >= 50 {
                1900 + yy
            } else {
                2000 + yy
            }
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year as i32, month, day)
}

/// Splits a keyword list on whitespace and `|`, appending the words not yet
/// in `out` (ignoring ASCII case).
fn push_words(out: &mut Vec<String>, value: &str) {
    for word in value.split(|c: char| c == '|' || c.is_whitespace()) {
        if !word.is_empty() && !out.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            out.push(word.to_string());
        }
    }
}

/// Collects the footer fields, tracking the field a continuation line extends.
struct Footer {
    fields: BTreeMap<Cow<'static, str>, String>,
    /// The key a continuation line is appended to.
    open: Option<Cow<'static, str>>,
    /// Whether the open field is a duplicate (its continuations are dropped).
    open_is_duplicate: bool,
}

impl Footer {
    fn put(&mut self, key: Cow<'static, str>, value: &str, line: usize, problems: &mut Vec<KbProblem>) {
        if self.fields.contains_key(&key) {
            problems.push(KbProblem { line, message: format!("duplicate footer field `{key}` (first one kept)") });
            self.open_is_duplicate = true;
        } else {
            self.fields.insert(key.clone(), value.to_string());
            self.open_is_duplicate = false;
        }
        self.open = Some(key);
    }

    /// Appends a continuation line to the open field; false when none is open.
    fn continue_field(&mut self, text: &str) -> bool {
        let Some(key) = &self.open else {
            return false;
        };
        if !self.open_is_duplicate {
            if let Some(value) = self.fields.get_mut(key) {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(text);
            }
        }
        true
    }

    fn close(&mut self) {
        self.open = None;
    }
}

/// Parses the header and footer of a KB article.
///
/// `text` is the page body (everything after the front matter; may contain the
/// `## title`, `{% raw %}` markers and tab-indented lines). See the module docs
/// for the rules. Never panics; returns `article: None` (and no problems) for
/// text that is not a KB article.
pub fn parse_article(text: &str) -> KbParse {
    let mut lines = crate::text::lines(text).enumerate().map(|(i, line)| (i + 1, line));

    // Preamble: find the `Article:` line.
    let (article_line, id) = loop {
        let Some((number, line)) = lines.next() else {
            return KbParse::default();
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || liquid_tag(trimmed).is_some() {
            continue;
        }
        match strip_prefix_ignore_case(trimmed, "Article:") {
            Some(id) => break (number, id.trim()),
            None => return KbParse::default(),
        }
    };

    let mut problems = Vec::new();
    let mut article =
        KbArticle { id: id.to_string(), number: parse_article_id(id).unwrap_or(0), ..KbArticle::default() };
    let id_ok = parse_article_id(id).is_some();

    // Header block.
    let mut seen: [Option<usize>; 5] = [None; 5];
    let mut header_keywords = "";
    let mut header_problems = Vec::new();
    // A line that ended the header without a blank line: it belongs to the body.
    let mut first_body_line = None;
    for (number, line) in lines.by_ref() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            break;
        }
        let field = field_line(trimmed);
        let header_field = field.as_ref().and_then(|f| HeaderField::from_label(f.label).map(|h| (h, f.value)));
        let Some((header_field, value)) = header_field else {
            if let Some(tag) = liquid_tag(trimmed) {
                if tag.starts_with("endraw") {
                    first_body_line = Some((number, line));
                    break;
                }
            }
            let all_seen = seen.iter().all(Option::is_some);
            if !all_seen && HeaderField::is_truncated_label(trimmed) {
                header_problems.push(KbProblem { line: number, message: format!("truncated header line `{trimmed}`") });
                continue;
            }
            if !all_seen {
                if let Some(f) = field.filter(|f| f.label.len() <= 30) {
                    header_problems
                        .push(KbProblem { line: number, message: format!("unknown header field `{}:`", f.label) });
                    continue;
                }
            }
            first_body_line = Some((number, line));
            break;
        };
        if let Some(first) = seen[header_field.index()] {
            header_problems.push(KbProblem {
                line: number,
                message: format!("duplicate `{}:` header line (line {first} kept)", header_field.label()),
            });
            continue;
        }
        seen[header_field.index()] = Some(number);
        match header_field {
            HeaderField::Product => {
                if value.is_empty() {
                    header_problems.push(KbProblem { line: number, message: "empty `Product(s):`".to_string() });
                }
                article.product = value.to_string();
            }
            HeaderField::Versions => article.versions = value.to_string(),
            HeaderField::OperatingSystems => article.operating_systems = value.to_string(),
            HeaderField::Keywords => header_keywords = value,
            HeaderField::LastModified => {
                article.last_modified_raw = value.to_string();
                article.last_modified = parse_kb_date(value);
                if article.last_modified.is_none() {
                    header_problems.push(KbProblem {
                        line: number,
                        message: format!("unparseable `Last Modified:` date `{value}`"),
                    });
                }
            }
        }
    }

    // Is it an article at all?
    if !id_ok && seen.iter().all(Option::is_none) {
        return KbParse::default();
    }
    if !id_ok {
        problems.push(KbProblem { line: article_line, message: format!("`Article:` value `{id}` is not a Q number") });
    }
    for field in HeaderField::ALL {
        if seen[field.index()].is_none() {
            problems
                .push(KbProblem { line: article_line, message: format!("missing `{}:` header line", field.label()) });
        }
    }
    problems.append(&mut header_problems);

    // Body and footer.
    let mut footer = Footer { fields: BTreeMap::new(), open: None, open_is_duplicate: false };
    let mut in_trailer = false;
    let mut after_rule = false;
    for (number, line) in first_body_line.into_iter().chain(lines) {
        let trimmed = line.trim();
        if trimmed.is_empty() || is_rule(trimmed) {
            footer.close();
            in_trailer = false;
            after_rule = is_rule(trimmed);
            continue;
        }
        if trimmed.starts_with("{%") && liquid_tag(trimmed).is_some_and(|t| t.starts_with("endraw")) {
            break;
        }
        let was_after_rule = std::mem::replace(&mut after_rule, false);
        if in_trailer {
            if let Some(field) = field_line(trimmed) {
                if let Some((key, _)) = footer_key(field.label) {
                    footer.put(Cow::Borrowed(key), field.value, number, &mut problems);
                    continue;
                }
                if field.padded {
                    footer.put(Cow::Owned(snake_case(field.label)), field.value, number, &mut problems);
                    continue;
                }
            }
            footer.continue_field(trimmed);
            continue;
        }
        // Footer labels start the line (after the article's one tab of indent).
        let unindented = line.strip_prefix('\t').unwrap_or(line);
        let first = unindented.as_bytes().first().copied().unwrap_or(b' ');
        if first.is_ascii_alphabetic() && memchr::memchr(b':', unindented.as_bytes()).is_some() {
            if let Some(field) = field_line(unindented) {
                if let Some((key, in_body)) = footer_key(field.label) {
                    let starts_trailer =
                        was_after_rule || (key == "keywords" && field.label.len() + 2 <= field_len(unindented));
                    if starts_trailer || in_body {
                        in_trailer = starts_trailer;
                        footer.put(Cow::Borrowed(key), field.value, number, &mut problems);
                        continue;
                    }
                }
            }
        }
        footer.continue_field(trimmed);
    }

    push_words(&mut article.keywords, header_keywords);
    if let Some(words) = footer.fields.get("keywords") {
        push_words(&mut article.keywords, words);
    }
    if let Some(words) = footer.fields.get("technology") {
        push_words(&mut article.technology, words);
    }
    article.footer = footer.fields.into();
    KbParse { article: Some(article), problems }
}

/// The length of the label part (up to the colon) of a field line.
fn field_len(line: &str) -> usize {
    memchr::memchr(b':', line.as_bytes()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Indents article lines with a tab, as the archive does.
    fn raw(lines: &str) -> String {
        let mut out = String::from("{% raw %}\n\n");
        for line in lines.lines() {
            out.push('\t');
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("\n{% endraw %}\n");
        out
    }

    fn parse_ok(text: &str) -> (KbArticle, Vec<KbProblem>) {
        let parse = parse_article(text);
        (parse.article.expect("should be an article"), parse.problems)
    }

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    // Q151228, abridged: Exchange article, empty OS, standard footer.
    const Q151228: &str = "## Q151228: XFOR: Microsoft Mail Connector and Duplicate Serial Numbers

{% raw %}

\tArticle: Q151228
\tProduct(s): Microsoft Exchange
\tVersion(s): winnt:4.0,5.0,5.5
\tOperating System(s): 
\tKeyword(s): kbusage exc4 exc5 exc55
\tLast Modified: 19-DEC-1999
\t
\t-------------------------------------------------------------------------------
\tThe information in this article applies to:
\t
\t- Microsoft Exchange Server, versions 5.5, 4.0, 5.0 
\t-------------------------------------------------------------------------------
\t
\tSUMMARY
\t=======
\t
\t  Event ID: 4188
\t  Source : Microsoft PC MTA
\t  Type : Error
\t
\tAdditional query words:
\t
\t======================================================================
\tKeywords          : kbusage exc4 exc5 exc55 
\tTechnology        : kbExchangeSearch kbExchange500 kbExchange550 kbExchange400 kbZNotKeyword2
\tVersion           : winnt:4.0,5.0,5.5
\t
\t=============================================================================
\t

{% endraw %}
";

    #[test]
    fn standard_exchange_article() {
        let (a, problems) = parse_ok(Q151228);
        assert_eq!(problems, vec![]);
        assert_eq!(a.id, "Q151228");
        assert_eq!(a.number, 151228);
        assert_eq!(a.product, "Microsoft Exchange");
        assert_eq!(a.versions, "winnt:4.0,5.0,5.5");
        assert_eq!(a.operating_systems, "");
        assert_eq!(a.keywords, ["kbusage", "exc4", "exc5", "exc55"]);
        assert_eq!(a.last_modified, date(1999, 12, 19));
        assert_eq!(a.last_modified_raw, "19-DEC-1999");
        assert_eq!(
            a.technology,
            ["kbExchangeSearch", "kbExchange500", "kbExchange550", "kbExchange400", "kbZNotKeyword2"]
        );
        let keys: Vec<&str> = a.footer.keys().collect();
        assert_eq!(keys, ["additional_query_words", "keywords", "technology", "version"]);
        assert_eq!(&a.footer["additional_query_words"], "");
        assert_eq!(&a.footer["keywords"], "kbusage exc4 exc5 exc55");
        assert_eq!(&a.footer["version"], "winnt:4.0,5.0,5.5");
        // Body lines that look like fields (`  Source : ...`) are not footer fields.
        assert!(!a.footer.contains_key("source"));
    }

    #[test]
    fn serializes_date_as_iso() {
        let (a, _) = parse_ok(Q151228);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["last_modified"], "1999-12-19");
        assert_eq!(json["id"], "Q151228");
        assert_eq!(json["footer"]["version"], "winnt:4.0,5.0,5.5");
        let none = serde_json::to_value(KbArticle::default()).unwrap();
        assert!(none["last_modified"].is_null());
    }

    #[test]
    fn mspl13_pipes_and_no_footer() {
        // Q21787: mspl13 article, `|` in keywords, no footer at all.
        let text = raw("Article: Q21787
Product(s): See article
Version(s): 1.00 1.01 1.02 2.00 2.01 3.00 4.00 4.00b 4.50
Operating System(s): MS-DOS
Keyword(s): ENDUSER | docerr B_BasicCom | mspl13_basic
Last Modified: 29-DEC-1989

The communications device receiving buffer size can be set with the
/C: compiler switch. For example, in Versions 1.x, you can set the COM
receiving buffer to 1000 bytes by compiling BASCOM/C:1000. This");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(a.product, "See article");
        assert_eq!(a.operating_systems, "MS-DOS");
        assert_eq!(a.keywords, ["ENDUSER", "docerr", "B_BasicCom", "mspl13_basic"]);
        assert_eq!(a.last_modified, date(1989, 12, 29));
        assert!(a.footer.is_empty());
        assert!(a.technology.is_empty());
    }

    #[test]
    fn mspl13_empty_keyword_between_pipes_and_one_digit_day() {
        // Q24200.
        let text = raw("Article: Q24200
Product(s): See article
Version(s): 1.00 1.10 2.00 2.10 2.20 2.30
Operating System(s): MS-DOS
Keyword(s): ENDUSER | | mspl13_basic
Last Modified: 9-AUG-1989

Question:
   Does CodeView support the 3270 ERMA emulator?");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(a.keywords, ["ENDUSER", "mspl13_basic"]);
        assert_eq!(a.last_modified, date(1989, 8, 9));
        assert_eq!(a.last_modified_raw, "9-AUG-1989");
    }

    #[test]
    fn mspl13_pipes_in_versions_and_os_are_kept_verbatim() {
        // Q26588.
        let text = raw("Article: Q26588
Product(s): See article
Version(s): 5.00 5.10 6.00 6.00a | 5.00 5.10 6.00 6.00a
Operating System(s): MS-DOS | OS/2
Keyword(s): ENDUSER | s_quickc | mspl13_c
Last Modified: 15-JAN-1991

Problem:");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(a.versions, "5.00 5.10 6.00 6.00a | 5.00 5.10 6.00 6.00a");
        assert_eq!(a.operating_systems, "MS-DOS | OS/2");
        assert_eq!(a.keywords, ["ENDUSER", "s_quickc", "mspl13_c"]);
    }

    #[test]
    fn kbcategory_and_wrapped_additional_reference_words() {
        // Q113278: `Additional reference words:` wraps; KBCategory lines sit
        // right above the rule; the trailer `Keywords` is empty.
        let text = raw("Article: Q113278
Product(s): Microsoft FoxPro
Version(s): 2.00 2.50 2.50a 2.50b 2.60 | 2.5
Operating System(s): MS-DOS | MACINTOSH
Keyword(s): 
Last Modified: 03-MAY-1999

Additional reference words: VFoxWin 3.00  FoxMac FoxDos FoxWin 2.00 2.50
2.50a 2.50b 2.60
KBCategory: kbprg
KBSubcategory: FxprgGeneral
======================================================================
Keywords          :  
Technology        : kbHWMAC kbOSMAC kbVFPsearch
Version           : 2.00 2.50 2.50a 2.50b 2.60 | 2.5

=============================================================================");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(
            &a.footer["additional_reference_words"],
            "VFoxWin 3.00  FoxMac FoxDos FoxWin 2.00 2.50 2.50a 2.50b 2.60"
        );
        assert_eq!(&a.footer["kbcategory"], "kbprg");
        assert_eq!(&a.footer["kbsubcategory"], "FxprgGeneral");
        assert_eq!(&a.footer["keywords"], "");
        assert_eq!(&a.footer["version"], "2.00 2.50 2.50a 2.50b 2.60 | 2.5");
        assert!(a.keywords.is_empty());
        assert_eq!(a.technology, ["kbHWMAC", "kbOSMAC", "kbVFPsearch"]);
    }

    #[test]
    fn kbcategory_mid_body_with_empty_subcategory() {
        // Q83386: KBCategory/KBSubcategory before the REFERENCES section.
        let text = raw("Article: Q83386
Product(s): Microsoft Windows 3.x Retail Product
Version(s): WINDOWS:3.1
Operating System(s): 
Keyword(s): 
Last Modified: 12-MAY-1999

To Change:  Use Notepad to edit the SYSTEM.INI file.

KBCategory: kbref kbdisplay kbsound
KBSubcategory:

REFERENCES
==========

\"Microsoft Windows Resource Kit\"

Additional query words: 3.10 win31

======================================================================
Keywords          :  
Technology        : kbWin3xSearch kbZNotKeyword3 kbWin310
Version           : WINDOWS:3.1

=============================================================================");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(&a.footer["kbcategory"], "kbref kbdisplay kbsound");
        assert_eq!(&a.footer["kbsubcategory"], "");
        assert_eq!(&a.footer["additional_query_words"], "3.10 win31");
        // `To Change:` is not a footer field.
        assert_eq!(a.footer.len(), 6);
    }

    #[test]
    fn lowercase_kbcategory_is_recognised() {
        // From the full archive: `kbcategory: kb3rdparty kbsetup`.
        let text = raw("Article: Q140000
Product(s): Microsoft Windows 95.x Retail Product
Version(s): 
Operating System(s): 
Keyword(s): win95
Last Modified: 01-JAN-2000

kbcategory: kb3rdparty kbsetup

Additional query words: apc ups");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(&a.footer["kbcategory"], "kb3rdparty kbsetup");
        assert_eq!(&a.footer["additional_query_words"], "apc ups");
    }

    #[test]
    fn singular_additional_query_word_right_above_the_rule() {
        // Q176033: `Additional query word:` with no blank line before the rule.
        let text = raw("Article: Q176033
Product(s): Microsoft Exchange
Version(s): WinNT:4.0,5.5
Operating System(s): 
Keyword(s): kbusage
Last Modified: 22-NOV-1999

Additional query word: RAW
======================================================================
Keywords          : kbusage 
Technology        : kbExchangeSearch kbExchange550 kbExchange400 kbZNotKeyword2
Version           : WinNT:4.0,5.5
Solution Type     : kbpending

=============================================================================");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(&a.footer["additional_query_words"], "RAW");
        assert_eq!(&a.footer["solution_type"], "kbpending");
        assert_eq!(a.keywords, ["kbusage"]);
    }

    #[test]
    fn platform_component_hardware_issue_type() {
        // Q147298 (Platform), Q201271 (Component), Q44128 (Hardware, odd Version).
        let text = raw("Article: Q147298
Product(s): Microsoft Exchange
Version(s): WINDOWS:4.0,5.0
Operating System(s): 
Keyword(s): kbenv XCLN
Last Modified: 04-MAY-2001

Additional query words: faq

======================================================================
Keywords          : kbenv XCLN 
Component         : Directory
Version           : :2.0,3.0,3.0a,3.0b,4.0,4.0a,4.0c,7.0
Platform          : WINDOWS
Hardware          : MAC x86
Issue type        : kbinfo

=============================================================================");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(&a.footer["platform"], "WINDOWS");
        assert_eq!(&a.footer["component"], "Directory");
        assert_eq!(&a.footer["hardware"], "MAC x86");
        assert_eq!(&a.footer["issue_type"], "kbinfo");
        assert_eq!(&a.footer["version"], ":2.0,3.0,3.0a,3.0b,4.0,4.0a,4.0c,7.0");
        assert_eq!(a.keywords, ["kbenv", "XCLN"]);
    }

    #[test]
    fn keywords_union_is_case_insensitive_first_spelling_kept() {
        let text = raw("Article: Q10022
Product(s): Word 97 for Windows
Version(s): WINDOWS:97; winnt:4.0
Operating System(s): 
Keyword(s): kbprint kbPrinting
Last Modified: 07-SEP-2001

======================================================================
Keywords          : KBPRINT kbprinting kbfix kbPrint kbFix
Technology        : kbWordSearch kbwordsearch kbWord97

=============================================================================");
        let (a, _) = parse_ok(&text);
        assert_eq!(a.keywords, ["kbprint", "kbPrinting", "kbfix"]);
        assert_eq!(a.technology, ["kbWordSearch", "kbWord97"]);
    }

    #[test]
    fn wrapped_trailer_field_and_unknown_trailer_label() {
        let text = raw("Article: Q100001
Product(s): Microsoft Exchange
Version(s): 
Operating System(s): 
Keyword(s): 
Last Modified: 01-JAN-2000

======================================================================
Keywords          : kbusage
Technology        : kbExchangeSearch kbExchange550
                    kbExchange400
Some New Field    : value

=============================================================================");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(&a.footer["technology"], "kbExchangeSearch kbExchange550 kbExchange400");
        assert_eq!(a.technology.len(), 3);
        assert_eq!(&a.footer["some_new_field"], "value");
    }

    #[test]
    fn body_text_after_a_long_rule_is_not_a_trailer() {
        // Q83386-like: a 60-char `=` line closes a table inside the body.
        let text = raw("Article: Q100002
Product(s): Microsoft Windows 3.x Retail Product
Version(s): 
Operating System(s): 
Keyword(s): 
Last Modified: 01-JAN-2000

  ============================================================
To change:  Use Notepad to edit the SYSTEM.INI file.
Note: this is prose.");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert!(a.footer.is_empty(), "{:?}", a.footer);
    }

    #[test]
    fn duplicate_footer_field_is_reported_and_first_kept() {
        let text = raw("Article: Q100003
Product(s): Microsoft Exchange
Version(s): 
Operating System(s): 
Keyword(s): 
Last Modified: 01-JAN-2000

Additional query words: one

Additional query words: two");
        let (a, problems) = parse_ok(&text);
        assert_eq!(&a.footer["additional_query_words"], "one");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 12);
        assert!(problems[0].message.contains("duplicate footer field"));
    }

    #[test]
    fn missing_product_line_and_bad_date_are_problems() {
        let text = raw("Article: Q123456
Version(s): 1.0
Operating System(s): 
Keyword(s): kbhowto
Last Modified: 31-FEB-1999

Body.");
        let (a, problems) = parse_ok(&text);
        assert_eq!(a.id, "Q123456");
        assert_eq!(a.product, "");
        assert_eq!(a.last_modified, None);
        assert_eq!(a.last_modified_raw, "31-FEB-1999");
        assert_eq!(a.keywords, ["kbhowto"]);
        let messages: Vec<(usize, &str)> = problems.iter().map(|p| (p.line, p.message.as_str())).collect();
        assert_eq!(
            messages,
            [(3, "missing `Product(s):` header line"), (7, "unparseable `Last Modified:` date `31-FEB-1999`"),]
        );
    }

    #[test]
    fn truncated_header_lines() {
        // The header was cut short: `Operating Sys`, and no Keyword(s)/Last Modified.
        let text = raw("Article: Q54321
Product(s): Microsoft FoxPro
Version(s): 2.5
Operating Sys

Body text.");
        let (a, problems) = parse_ok(&text);
        assert_eq!(a.product, "Microsoft FoxPro");
        assert_eq!(a.versions, "2.5");
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "missing `Operating System(s):` header line",
                "missing `Keyword(s):` header line",
                "missing `Last Modified:` header line",
                "truncated header line `Operating Sys`",
            ]
        );
        assert_eq!(problems[3].line, 6);
    }

    #[test]
    fn header_without_blank_line_ends_at_body_text() {
        let text = raw("Article: Q54322
Product(s): Microsoft FoxPro
Version(s): 2.5
Operating System(s): MS-DOS
Keyword(s): kbprg
Last Modified: 01-JUN-1995
The body starts here without a blank line.
Additional query words: fox");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(&a.footer["additional_query_words"], "fox");
    }

    #[test]
    fn empty_product_and_bad_article_id() {
        let text = raw("Article: 151228
Product(s): 
Version(s): 
Operating System(s): 
Keyword(s): 
Last Modified: 19-DEC-1999");
        let (a, problems) = parse_ok(&text);
        assert_eq!(a.id, "151228");
        assert_eq!(a.number, 0);
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages, ["`Article:` value `151228` is not a Q number", "empty `Product(s):`"]);
    }

    #[test]
    fn header_labels_are_lenient() {
        let text = "Article: q000123\nPRODUCT: Microsoft Press\nVersions: 1.0\nOperating System: MS-DOS\nKeywords: kbbook\nlast modified: 1-jan-95\n";
        let (a, problems) = parse_ok(text);
        assert_eq!(problems, vec![]);
        assert_eq!(a.number, 123);
        assert_eq!(a.product, "Microsoft Press");
        assert_eq!(a.versions, "1.0");
        assert_eq!(a.operating_systems, "MS-DOS");
        assert_eq!(a.keywords, ["kbbook"]);
        assert_eq!(a.last_modified, date(1995, 1, 1));
    }

    #[test]
    fn crlf_text() {
        let text = Q151228.replace('\n', "\r\n");
        let (a, problems) = parse_ok(&text);
        assert_eq!(problems, vec![]);
        assert_eq!(a.last_modified_raw, "19-DEC-1999");
        assert_eq!(&a.footer["version"], "winnt:4.0,5.0,5.5");
        assert_eq!(a.technology.len(), 5);
    }

    #[test]
    fn non_kb_pages() {
        for text in [
            "",
            "\n\n",
            "## KB Articles by Product/Category\n\n- [Internet Information Server](id/iis/)\n",
            "{% comment %}\n\n# Microsoft KnowledgeBase Archive\n\nThis is a static archive.\n{% endcomment %}\n",
            "Some prose.\nArticle: Q151228\nProduct(s): Microsoft Exchange\n",
            "Article: see below\n\nProduct(s): Microsoft Exchange\n",
            "Article:",
        ] {
            let parse = parse_article(text);
            assert!(parse.article.is_none(), "{text:?}");
            assert!(parse.problems.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn article_with_only_an_id_is_an_article_with_problems() {
        let parse = parse_article("{% raw %}\n\tArticle: Q99999\n{% endraw %}\n");
        let a = parse.article.unwrap();
        assert_eq!(a.number, 99999);
        assert_eq!(parse.problems.len(), 5);
    }

    #[test]
    fn parse_kb_date_variants() {
        assert_eq!(parse_kb_date("19-DEC-1999"), date(1999, 12, 19));
        assert_eq!(parse_kb_date("9-AUG-1989"), date(1989, 8, 9));
        assert_eq!(parse_kb_date(" 02-feb-2002 "), date(2002, 2, 2));
        assert_eq!(parse_kb_date("02-Feb-88"), date(1988, 2, 2));
        assert_eq!(parse_kb_date("02-Feb-02"), date(2002, 2, 2));
        for bad in [
            "",
            "19-DEC",
            "19-DEC-1999-1",
            "31-FEB-1999",
            "19-DECEMBER-1999",
            "x9-DEC-1999",
            "19-DEC-199",
            "119-DEC-1999",
            "1999-12-19",
        ] {
            assert_eq!(parse_kb_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn parse_article_id_variants() {
        assert_eq!(parse_article_id("Q151228"), Some(151228));
        assert_eq!(parse_article_id("Q010022"), Some(10022));
        assert_eq!(parse_article_id("q99"), Some(99));
        assert_eq!(parse_article_id("Q"), None);
        assert_eq!(parse_article_id("Q12a"), None);
        assert_eq!(parse_article_id("151228"), None);
        assert_eq!(parse_article_id("Q1234567890"), None);
    }

    #[test]
    fn never_panics_on_any_prefix() {
        // Cut a real article at every char boundary, and mangle it.
        for (cut, _) in Q151228.char_indices() {
            let _ = parse_article(&Q151228[..cut]);
        }
        let weird = "Article: Q1\nProduct(s)\u{e9}: \u{e9}\u{e9}\n:\n: :\n\u{2003}Keywords \u{e9}: x\nLast Modified: \u{e9}-\u{e9}-\u{e9}\n\n=====================\nKeywords\u{e9}          : x\n\tKBCategory\u{e9}: y\n";
        for (cut, _) in weird.char_indices() {
            let _ = parse_article(&weird[..cut]);
        }
    }

    /// Parses every article of the sample archive (skipped when absent).
    #[test]
    fn sample_archive() {
        let Some(files) = crate::test_support::sample_articles() else { return };
        assert_eq!(files.len(), 9107);

        let texts: Vec<(String, String)> = files
            .into_iter()
            .map(|(name, path)| {
                let text = std::fs::read_to_string(&path).unwrap();
                // Drop the front matter: `---` … `---`.
                let body = text
                    .strip_prefix("---\n")
                    .and_then(|rest| rest.find("\n---\n").map(|end| rest[end + 5..].to_string()))
                    .expect("front matter");
                (name, body)
            })
            .collect();

        let started = std::time::Instant::now();
        let parses: Vec<KbParse> = texts.iter().map(|(_, body)| parse_article(body)).collect();
        let elapsed = started.elapsed();

        let mut problem_kinds: BTreeMap<String, usize> = BTreeMap::new();
        let mut with_problems = 0;
        let mut footer_keys: BTreeMap<String, usize> = BTreeMap::new();
        let mut no_footer = 0;
        let mut pipes = 0;
        let mut dated = 0;
        for ((name, _), parse) in texts.iter().zip(&parses) {
            let a = parse.article.as_ref().unwrap_or_else(|| panic!("{name} is not parsed as an article"));
            assert_eq!(&a.id, name);
            assert_eq!(a.number, name[1..].parse::<u32>().unwrap());
            assert!(!a.product.is_empty(), "{name}: empty product");
            assert!(a.keywords.iter().all(|k| !k.is_empty() && !k.contains('|')), "{name}");
            if a.last_modified.is_some() {
                dated += 1;
            }
            if a.keywords.iter().any(|k| k.starts_with("mspl13")) {
                pipes += 1;
            }
            if !a.footer.contains_key("keywords") {
                no_footer += 1;
            }
            for key in a.footer.keys() {
                *footer_keys.entry(key.to_string()).or_default() += 1;
            }
            if !parse.problems.is_empty() {
                with_problems += 1;
            }
            for p in &parse.problems {
                eprintln!("{name}:{}: {}", p.line, p.message);
                let kind = p.message.split('`').next().unwrap_or("").to_string();
                *problem_kinds.entry(kind).or_default() += 1;
            }
        }
        eprintln!("parsed {} articles in {elapsed:?}; {with_problems} with problems: {problem_kinds:?}", parses.len());
        eprintln!("footer fields: {footer_keys:?}; without trailer: {no_footer}; mspl13: {pipes}");

        // The sample is clean: every article parses without problems.
        assert_eq!(with_problems, 0, "{problem_kinds:?}");
        assert_eq!(dated, 9107);
        assert_eq!(no_footer, 173);
        assert_eq!(pipes, 173);
        let expected: BTreeMap<String, usize> = [
            ("additional_query_words", 7839),
            ("additional_reference_words", 1),
            ("component", 118),
            ("hardware", 291),
            ("issue_type", 6691),
            ("kbcategory", 7),
            ("kbsubcategory", 7),
            ("keywords", 8934),
            ("platform", 4),
            ("solution_type", 2577),
            ("technology", 8888),
            ("version", 8771),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(footer_keys, expected);
    }
}
