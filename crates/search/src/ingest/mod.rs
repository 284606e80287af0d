//! What search keeps its indexes and tables from: content's posts (the posts index, after each
//! change commits), identity's accounts and graph's follows and blocks (the tables and the
//! people index), and the rebuilds (content's API, search's own tables).

pub mod content;
pub mod graph;
pub mod identity;
pub mod rebuild;
