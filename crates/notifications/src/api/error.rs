//! Notifications' errors as HTTP answers: the one place where they become statuses.

use platform::{ApiError, StoreError};

use crate::domain::NotificationsError;

impl From<NotificationsError> for ApiError {
    fn from(err: NotificationsError) -> Self {
        match err {
            NotificationsError::NotFound | NotificationsError::Store(StoreError::NotFound) => {
                ApiError::not_found("no such notification")
            }
            NotificationsError::Invalid { field, message } => ApiError::invalid_field(field, message),
            NotificationsError::Store(store) => ApiError::internal(store),
            NotificationsError::Unexpected(err) => ApiError::internal(err),
        }
    }
}
