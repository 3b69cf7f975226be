//! kbsite: a fast, Jekyll-compatible static site generator for knowledge-base archives.
//!
//! The pipeline, one module per stage: `config` → `load` → `analyze` → `render` → `write`,
//! orchestrated by `build`; plus `serve` and `check`.

pub mod analyze;
pub mod search;
