//! The feed's domain: which timelines exist and how long they are, what the feed keeps of a
//! post, the home rule (who sees a post at home: in Rust for fan-out, in SQL for pages past the
//! cap, side by side), the "for you" score, and the service's error. Pure: no database, no HTTP.

pub mod error;
pub mod home;
pub mod posts;
pub mod score;
pub mod timelines;

pub use error::FeedError;
