//! The graph's errors as HTTP answers: the one place where they become statuses.

use platform::{ApiError, StoreError};

use crate::domain::GraphError;

impl From<GraphError> for ApiError {
    fn from(err: GraphError) -> Self {
        match err {
            GraphError::Invalid { field, message } => ApiError::invalid_field(field, message),
            GraphError::NoSuchUser => ApiError::not_found("no such user"),
            GraphError::BlockedByThem | GraphError::BlockedByYou | GraphError::Myself(_) => {
                ApiError::forbidden(err.to_string())
            }
            GraphError::BadCursor => ApiError::bad_cursor("is not a cursor this endpoint returned"),
            GraphError::Store(StoreError::NotFound) => ApiError::not_found("not found"),
            GraphError::Store(store) => ApiError::internal(store),
        }
    }
}
