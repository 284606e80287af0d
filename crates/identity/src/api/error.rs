//! Identity's errors as HTTP answers: the one place where they become statuses.

use platform::{ApiError, StoreError};

use crate::domain::IdentityError;

impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> Self {
        match err {
            IdentityError::Invalid(errors) => ApiError::validation(errors),
            IdentityError::NoSuchUser => ApiError::not_found("no such user"),
            IdentityError::UsernameTaken | IdentityError::EmailTaken | IdentityError::Deleted => {
                ApiError::conflict(err.to_string())
            }
            IdentityError::Inactive => ApiError::unauthorized(err.to_string()),
            IdentityError::Suspended => ApiError::forbidden(err.to_string()),
            IdentityError::WrongCredentials | IdentityError::InvalidRefreshToken => {
                ApiError::unauthorized(err.to_string())
            }
            // Understood and refused (the re-authentication failed), not a malformed field.
            IdentityError::WrongPassword { field } => {
                ApiError::forbidden(format!("{field}: is not your current password"))
                    .naming(field, "is not your current password")
            }
            IdentityError::Locked { wait_ms } => ApiError::too_many_requests((wait_ms as u64).div_ceil(1000)),
            IdentityError::NoSuchSession => ApiError::not_found(err.to_string()),
            IdentityError::Unconfirmed | IdentityError::NotYourImage => ApiError::forbidden(err.to_string()),
            IdentityError::NoSuchConfirmation => ApiError::not_found(err.to_string()),
            IdentityError::NotYourSession => ApiError::forbidden(err.to_string()),
            IdentityError::OwnAccount(what) => ApiError::forbidden(what),
            IdentityError::Store(StoreError::NotFound) => ApiError::not_found("not found"),
            IdentityError::Store(store) => ApiError::internal(store),
            IdentityError::Unexpected(err) => ApiError::internal(err),
        }
    }
}
