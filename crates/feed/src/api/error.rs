//! The feed's errors as HTTP answers: the one place where they become statuses.

use platform::{ApiError, StoreError};

use crate::domain::FeedError;

impl From<FeedError> for ApiError {
    fn from(err: FeedError) -> Self {
        match err {
            FeedError::BadCursor(why) => ApiError::bad_cursor(why),
            FeedError::Store(StoreError::NotFound) => ApiError::not_found("not found"),
            FeedError::Store(store) => ApiError::internal(store),
            FeedError::Timelines(err) => ApiError::internal(err),
            FeedError::Unexpected(err) => ApiError::internal(err),
        }
    }
}
