//! The events search keeps its index and tables from: content's posts (the index, after each
//! change commits), identity's accounts and graph's follows and blocks (the tables).

pub mod content;
pub mod graph;
pub mod identity;
