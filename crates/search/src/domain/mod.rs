//! What search makes of text and of what people type: the analyzer, the query language, and
//! the freshness that ranking adds to relevance.

pub mod analyzer;
pub mod query;
pub mod ranking;
