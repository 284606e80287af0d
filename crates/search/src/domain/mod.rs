//! What search makes of text and of what people type: the analyzer and the query language.

pub mod analyzer;
pub mod query;
