//! The events the feed consumes, one consumer per producer: content's posts and likes (the read
//! model, fan-out, live streams), graph's edges (follows, blocks, mutes, tag follows, and the
//! home timelines they change) and identity's users (the names shown with posts).

pub mod content;
pub mod graph;
pub mod identity;
