//! What can go wrong in the crawler. The API maps each variant to a status in one place
//! (`api::error`); a source's last error is kept as the message of its variant.

use platform::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CrawlerError {
    /// A field of a request that breaks its rule.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The address is one the crawler may not fetch (an internal network, see `fetch::guard`).
    #[error("{0}")]
    Denied(String),
    /// The fetch failed: the network, the server's answer, or a limit.
    #[error("{0}")]
    Fetch(String),
    /// The server answered, but with neither a feed nor a page that names one.
    #[error("{0}")]
    NotAFeed(String),
    #[error("no such source")]
    NoSuchSource,
    /// An OPML document that cannot be read.
    #[error("{0}")]
    InvalidOpml(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("not a cursor this endpoint returned")]
    BadCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for CrawlerError {
    fn from(err: sqlx::Error) -> Self {
        CrawlerError::Store(err.into())
    }
}

impl CrawlerError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        CrawlerError::Invalid { field, message: message.into() }
    }
}
