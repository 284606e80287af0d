//! Content's domain: posts and their text, media types and limits, reports, the rule of who may
//! see a post, and the service's error. Pure: no database, no HTTP.

pub mod error;
pub mod media;
pub mod moderation;
pub mod posts;
pub mod text;

pub use error::ContentError;
