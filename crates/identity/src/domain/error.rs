//! What can go wrong in identity, whatever layer notices it. The API maps each variant to a
//! status in one place (`api::error`).

use platform::{StoreError, http::FieldError};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Fields that are not acceptable, each with what is wrong.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("no such user")]
    NoSuchUser,
    #[error("username is taken")]
    UsernameTaken,
    #[error("email is already registered")]
    EmailTaken,
    #[error("a deleted account cannot change")]
    Deleted,
    /// The signed-in account is suspended or gone.
    #[error("this account is no longer active")]
    Inactive,
    #[error("this account is suspended")]
    Suspended,
    /// Wrong login or password: the same answer for both.
    #[error("wrong login or password")]
    WrongCredentials,
    /// A password re-check (`field`) failed.
    #[error("{field} is not your current password")]
    WrongPassword { field: &'static str },
    /// Too many failures for this login or address.
    #[error("too many failed attempts; retry in {wait_ms} ms")]
    Locked { wait_ms: i64 },
    /// A pending registration signed in before its address was confirmed.
    #[error("confirm your email address first: follow the link we sent to it")]
    Unconfirmed,
    /// An avatar that is not an image the caller uploaded (or no media at all: the same answer).
    #[error("avatar_media_id: must be an image you uploaded")]
    NotYourImage,
    #[error("no such confirmation: the token is wrong, used, or older than 24 hours")]
    NoSuchConfirmation,
    #[error("invalid or expired refresh token")]
    InvalidRefreshToken,
    #[error("no such session")]
    NoSuchSession,
    #[error("this session belongs to another user")]
    NotYourSession,
    #[error("an admin cannot do this to their own account: {0}")]
    OwnAccount(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for IdentityError {
    fn from(err: sqlx::Error) -> Self {
        IdentityError::Store(err.into())
    }
}

impl IdentityError {
    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        IdentityError::Invalid(vec![FieldError::new(field, message)])
    }
}
