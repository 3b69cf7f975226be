//! Splitting a file into YAML front matter and body, keeping line numbers aligned with the file
//! so YAML errors point at the right line.

use serde_yaml::Mapping;

/// The two parts of a page file. Lines are 1-based file lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'a> {
    pub yaml: &'a str,
    /// File line of the first YAML line (2 unless a BOM or blank lines shift it).
    pub yaml_line: usize,
    pub body: &'a str,
    /// File line where the body starts.
    pub body_line: usize,
}

/// Returns `None` when the file has no front matter (it does not start with a `---` line).
pub fn split(text: &str) -> Option<Split<'_>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return None;
    }
    let yaml_start = (first_end + 1).min(text.len());
    let mut pos = yaml_start;
    let mut line = 2;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let l = text[pos..end].trim_end();
        if l == "---" || l == "..." {
            let body_start = (end + 1).min(text.len());
            return Some(Split {
                yaml: &text[yaml_start..pos],
                yaml_line: 2,
                body: &text[body_start..],
                body_line: line + 1,
            });
        }
        pos = end + 1;
        line += 1;
    }
    None
}

/// A YAML problem with its file line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: Option<usize>,
    pub message: String,
}

/// Parses front matter YAML into a mapping (empty front matter is an empty mapping).
pub fn parse_yaml(split: &Split<'_>) -> Result<Mapping, YamlError> {
    if split.yaml.trim().is_empty() {
        return Ok(Mapping::new());
    }
    if let Some(m) = parse_flat(split.yaml) {
        return Ok(m);
    }
    match serde_yaml::from_str::<serde_yaml::Value>(split.yaml) {
        Ok(serde_yaml::Value::Mapping(m)) => Ok(m),
        Ok(serde_yaml::Value::Null) => Ok(Mapping::new()),
        Ok(_) => Err(YamlError {
            line: Some(split.yaml_line),
            message: "front matter must be a mapping of keys to values".into(),
        }),
        Err(e) => {
            let line = e.location().map(|l| l.line() + split.yaml_line - 1);
            // serde_yaml appends "at line X column Y" relative to the snippet; drop it, we give the file line.
            let mut message = e.to_string();
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            Err(YamlError { line, message: format!("invalid YAML front matter: {message}") })
        }
    }
}

/// The common shape of front matter, `key: value` lines of plain or double-quoted strings, read
/// without the YAML parser (a tenth of its cost, and every page of an archive pays it). Returns
/// `None` for anything else (comments, blank lines, escapes, lists, numbers, booleans, dates,
/// repeated keys…), which then goes to `serde_yaml`; when it returns a mapping, it is the one
/// `serde_yaml` would have returned (tested against it).
pub fn parse_flat(yaml: &str) -> Option<Mapping> {
    let mut map = Mapping::new();
    for line in yaml.split_terminator('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let (key, value) = line.split_once(": ")?;
        let key_ok = key.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !is_special_word(key);
        let value = if let Some(inner) = value.strip_prefix('"') {
            // Double-quoted without escapes: the text between the quotes, as is.
            let inner = inner.strip_suffix('"')?;
            (!inner.contains(['"', '\\'])).then_some(inner)?
        } else {
            plain_string(value)?
        };
        if !key_ok || map.insert(key.into(), value.into()).is_some() {
            return None;
        }
    }
    Some(map)
}

/// A plain scalar that YAML reads as this very string: starts with a letter or `/`, no
/// characters with a meaning in YAML, no surrounding space, and not a word YAML resolves to
/// a boolean or null.
fn plain_string(value: &str) -> Option<&str> {
    let first_ok = value.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'/');
    let chars_ok = value.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b' ' | b'(' | b')' | b'+' | b'=' | b'?')
    });
    (first_ok && chars_ok && !is_special_word(value) && value.trim_end() == value).then_some(value)
}

/// Words some YAML version reads as a boolean or null (serde_yaml only `true`, `false`, `null`;
/// the others are left to it too rather than second-guessed).
fn is_special_word(s: &str) -> bool {
    ["true", "false", "null", "yes", "no", "on", "off", "y", "n"].iter().any(|w| s.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_body_with_lines() {
        let s = split("---\ntitle: x\nlayout: page\n---\n\nbody\n").unwrap();
        assert_eq!(s.yaml, "title: x\nlayout: page\n");
        assert_eq!(s.body, "\nbody\n");
        assert_eq!(s.body_line, 5);
    }

    #[test]
    fn no_front_matter_without_leading_dashes() {
        assert!(split("title: x\n---\n").is_none());
        assert!(split("").is_none());
        assert!(split("---\nnever closed\n").is_none());
    }

    #[test]
    fn accepts_bom_crlf_and_dots_terminator() {
        let s = split("\u{feff}---\r\na: 1\r\n...\r\nbody").unwrap();
        assert_eq!(s.yaml, "a: 1\r\n");
        assert_eq!(s.body, "body");
        let e = split("---\n---\n").unwrap();
        assert_eq!((e.yaml, e.body, e.body_line), ("", "", 3));
    }

    fn full_parse(yaml: &str) -> Option<Mapping> {
        match serde_yaml::from_str::<serde_yaml::Value>(yaml) {
            Ok(serde_yaml::Value::Mapping(m)) => Some(m),
            _ => None,
        }
    }

    #[test]
    fn flat_front_matter_is_read_without_the_yaml_parser_and_equals_it() {
        let common = [
            "layout: page\ntitle: \"Q151228: XFOR: Microsoft Mail Connector\"\npermalink: /kb/151/Q151228/\n",
            "title: \"Microsoft Access Distribution Kit\"\r\npermalink: /id/accother/\r\n",
            "layout: default\ntitle: A plain title (with parens) and dots...\n",
            "title: \"\"\nlayout: post\n",
        ];
        for yaml in common {
            let flat = parse_flat(yaml).unwrap_or_else(|| panic!("fast path taken for {yaml:?}"));
            assert_eq!(Some(flat), full_parse(yaml), "{yaml:?}");
        }
        assert_eq!(parse_flat("title: \"a: b\"\n").unwrap()["title"], serde_yaml::Value::from("a: b"));
        // Words a YAML parser might read as numbers or other types: whenever the fast path takes
        // them, it agrees with serde_yaml.
        for word in ["inf", "Inf", "infinity", "Infinity", "nan", "NaN", "e5", "E5", "x1", "Null", "TRUE", "yes", "o"] {
            let yaml = format!("title: {word}\n");
            if let Some(flat) = parse_flat(&yaml) {
                assert_eq!(Some(flat), full_parse(&yaml), "{yaml:?}");
            }
        }
    }

    #[test]
    fn everything_else_goes_to_the_yaml_parser() {
        let others = [
            "title: 'single'\n",
            "title: \"esc \\\" quote\"\n",
            "count: 12\n",
            "draft: true\n",
            "draft: False\n",
            "answer: yes\n",
            "x: null\n",
            "x: ~\n",
            "date: 1997-05-01\n",
            "version: 1.0\n",
            "title: trailing space \n",
            "title: a # comment\n",
            "# comment\ntitle: x\n",
            "title: x\n\nlayout: y\n",
            "tags:\n  - a\n",
            "tags: [a, b]\n",
            "title: x\ntitle: y\n",
            "\"quoted key\": x\n",
            "title: *alias\n",
            "title: !tag x\n",
            "title: x: y\n",
            "title: \"unterminated\n",
            "true: x\n",
            "Null: x\n",
        ];
        for yaml in others {
            assert_eq!(parse_flat(yaml), None, "{yaml:?} must go to serde_yaml");
        }
        // The pages still parse, through serde_yaml.
        let s = split("---\ncount: 12\ntitle: x\n---\n").unwrap();
        assert_eq!(parse_yaml(&s).unwrap()["count"], serde_yaml::Value::from(12));
    }

    #[test]
    fn yaml_error_reports_file_line() {
        let s = split("---\ntitle: ok\nbad: [unclosed\nmore: x\n---\n").unwrap();
        let err = parse_yaml(&s).unwrap_err();
        assert!(err.line.is_some_and(|l| (3..=5).contains(&l)), "{err:?}");
        assert!(err.message.starts_with("invalid YAML front matter"), "{}", err.message);
        assert!(!err.message.contains(" at line "));
    }

    #[test]
    fn non_mapping_front_matter_is_an_error() {
        let s = split("---\n- a\n- b\n---\n").unwrap();
        assert!(parse_yaml(&s).is_err());
        let empty = split("---\n\n---\n").unwrap();
        assert!(parse_yaml(&empty).unwrap().is_empty());
    }
}
