//! Analyze: what the loaded pages mean (permalinks, the KB article model, links, indexes).

pub mod kb;
pub mod mentions;
