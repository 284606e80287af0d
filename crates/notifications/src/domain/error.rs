//! What can go wrong in notifications. The API maps each variant to a status in one place.

use platform::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    #[error("no such notification")]
    NotFound,
    /// A request that names something it may not (a kind that does not exist, a switch for
    /// an account not followed).
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for NotificationsError {
    fn from(err: sqlx::Error) -> Self {
        NotificationsError::Store(err.into())
    }
}
