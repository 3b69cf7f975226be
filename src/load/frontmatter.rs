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
