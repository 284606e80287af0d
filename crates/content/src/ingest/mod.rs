//! The events content consumes, one consumer per producer: identity's users (for authors, and
//! to delete a deleted user's posts and likes), graph's follows (for followers-only posts) and
//! the crawler's entries (the posts of sources).

pub mod crawler;
pub mod graph;
pub mod identity;
