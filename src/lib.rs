//! kbsite: a fast, Jekyll-compatible static site generator for knowledge-base archives.
//!
//! The pipeline, one module per stage: `config` → `load` → `analyze` → `render` → `write`,
//! orchestrated by `build`; `serve` builds, serves and rebuilds on change.

pub mod analyze;
pub mod build;
pub mod check;
pub mod config;
pub mod diagnostics;
pub mod incremental;
pub mod init;
pub mod load;
pub mod measure;
pub mod publish;
pub mod render;
pub mod search;
pub mod serve;
pub mod text;
pub mod theme;
pub mod write;

#[cfg(test)]
mod test_support;
