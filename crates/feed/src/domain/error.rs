//! What can go wrong in the feed. The API maps each variant to a status in one place.

use platform::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// A cursor this endpoint did not return, or one that expired.
    #[error("{0}")]
    BadCursor(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Timelines(#[from] timeline::TimelineError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for FeedError {
    fn from(err: sqlx::Error) -> Self {
        FeedError::Store(err.into())
    }
}
