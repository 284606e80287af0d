//! The events identity consumes: content's uploads (an avatar must be the user's own image).

pub mod content;
