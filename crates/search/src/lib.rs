//! The search service's core: posts, people and tags found in Chinese and English alike.
//!
//! # Layout
//! * `domain`: the analyzer (script runs, jieba's dictionary with a bigram fallback, English
//!   stemming and folding) and the query language. Pure.
//! * `index`: the tantivy index of posts, and a parsed query made into tantivy's.
//!
//! Still to come (issue #14): the service itself, fed by content's, identity's and graph's
//! events, with its HTTP API and `riffle search reindex`.

pub mod domain;
pub mod index;
