//! What the pages are made of: the API client, the visitor, the languages, and the API's
//! answers as the pages read them.

pub mod client;
pub mod i18n;
pub mod model;
pub mod session;
