//! Content's domain: posts (people's, and sources' made from crawled entries), media types
//! and limits, reports, the rule of who may see a post, and the service's error. Pure: no
//! database, no HTTP.

pub mod crawled;
pub mod error;
pub mod media;
pub mod moderation;
pub mod posts;

pub use error::ContentError;
