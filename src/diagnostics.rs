//! Errors and warnings about the user's files, collected from every stage and reported together.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One finding about one file (and line, where known).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: impl Into<PathBuf>, line: Option<usize>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, file: file.into(), line, message: message.into() }
    }

    pub fn warning(file: impl Into<PathBuf>, line: Option<usize>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, file: file.into(), line, message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}: {}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A thread-safe collector: parallel stages push into it, the build reports it at the end.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Mutex<Vec<Diagnostic>>,
}

impl Diagnostics {
    pub fn push(&self, d: Diagnostic) {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).push(d);
    }

    pub fn error(&self, file: &Path, line: Option<usize>, message: impl Into<String>) {
        self.push(Diagnostic::error(file, line, message));
    }

    pub fn warning(&self, file: &Path, line: Option<usize>, message: impl Into<String>) {
        self.push(Diagnostic::warning(file, line, message));
    }

    pub fn has_errors(&self) -> bool {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|d| d.severity == Severity::Error)
    }

    /// All findings, sorted by file then line so reports are stable across parallel runs.
    pub fn take_sorted(&self) -> Vec<Diagnostic> {
        let mut items = std::mem::take(&mut *self.items.lock().unwrap_or_else(|e| e.into_inner()));
        items.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
        items
    }
}

/// The error a failed build returns: every error found, in order.
#[derive(Debug, thiserror::Error)]
#[error("{}", render_errors(.errors))]
pub struct BuildFailed {
    pub errors: Vec<Diagnostic>,
}

fn render_errors(errors: &[Diagnostic]) -> String {
    let mut out = format!("build failed with {} error{}:", errors.len(), if errors.len() == 1 { "" } else { "s" });
    for e in errors {
        out.push_str("\n  ");
        out.push_str(&e.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_and_line() {
        let d = Diagnostic::error("content/a.md", Some(3), "bad YAML");
        assert_eq!(d.to_string(), "error: content/a.md:3: bad YAML");
        let w = Diagnostic::warning("b.md", None, "odd");
        assert_eq!(w.to_string(), "warning: b.md: odd");
    }

    #[test]
    fn collected_findings_come_back_sorted() {
        let ds = Diagnostics::default();
        ds.error(Path::new("b.md"), Some(1), "x");
        ds.warning(Path::new("a.md"), Some(9), "y");
        ds.error(Path::new("a.md"), Some(2), "z");
        assert!(ds.has_errors());
        let files: Vec<_> = ds.take_sorted().iter().map(|d| (d.file.clone(), d.line)).collect();
        assert_eq!(files, vec![("a.md".into(), Some(2)), ("a.md".into(), Some(9)), ("b.md".into(), Some(1))]);
    }

    #[test]
    fn build_failed_lists_every_error() {
        let e =
            BuildFailed { errors: vec![Diagnostic::error("a", None, "one"), Diagnostic::error("b", Some(2), "two")] };
        let text = e.to_string();
        assert!(text.starts_with("build failed with 2 errors:"));
        assert!(text.contains("a: one") && text.contains("b:2: two"));
    }
}
