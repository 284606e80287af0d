//! What can go wrong in content, whatever layer notices it. The API maps each variant to a
//! status in one place (`api::error`).

use platform::{StoreError, http::FieldError};

#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// Fields that are not acceptable, each with what is wrong.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// A post the caller may not see is answered as if it did not exist.
    #[error("no such post")]
    NoSuchPost,
    #[error("no such media")]
    NoSuchMedia,
    #[error("no such upload")]
    NoSuchUpload,
    #[error("no such report")]
    NoSuchReport,
    /// The caller may see it but not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A block stands between the caller and the post's author.
    #[error("{0}")]
    Blocked(&'static str),
    /// The request clashes with the state of the resource.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    TooLarge(String),
    /// A reply to a post that does not exist or that the author may not see.
    #[error("reply_to_id: no such post")]
    NoSuchParent,
    /// Too many uploads in progress: says the limit.
    #[error("{0}")]
    TooManyUploads(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ContentError {
    fn from(err: sqlx::Error) -> Self {
        ContentError::Store(err.into())
    }
}

impl From<object_store::Error> for ContentError {
    fn from(err: object_store::Error) -> Self {
        ContentError::Unexpected(err.into())
    }
}

impl From<std::io::Error> for ContentError {
    fn from(err: std::io::Error) -> Self {
        ContentError::Unexpected(err.into())
    }
}

impl ContentError {
    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ContentError::Invalid(vec![FieldError::new(field, message)])
    }
}
