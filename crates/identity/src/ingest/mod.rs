//! The events identity consumes: content's uploads (an avatar must be the user's own image) and
//! the crawler's sources (each one an account).

pub mod content;
pub mod crawler;
