//! The events content consumes, one consumer per producer: identity's users (for authors, and
//! to delete a deleted user's posts and likes) and graph's follows (for followers-only posts).

pub mod graph;
pub mod identity;
