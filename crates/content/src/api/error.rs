//! Content's errors as HTTP answers: the one place where they become statuses.

use axum::http::StatusCode;
use platform::{ApiError, StoreError};

use crate::domain::ContentError;

impl From<ContentError> for ApiError {
    fn from(err: ContentError) -> Self {
        match err {
            ContentError::Invalid(errors) => ApiError::validation(errors),
            ContentError::NoSuchPost
            | ContentError::NoSuchMedia
            | ContentError::NoSuchUpload
            | ContentError::NoSuchReport => ApiError::not_found(err.to_string()),
            ContentError::Forbidden(why) => ApiError::forbidden(why),
            ContentError::Blocked(why) => ApiError::new(StatusCode::FORBIDDEN, "blocked", why),
            ContentError::Conflict(why) => ApiError::conflict(why),
            ContentError::BadRequest(why) => ApiError::bad_request(why),
            ContentError::TooLarge(why) => ApiError::payload_too_large(why),
            ContentError::NoSuchParent => ApiError::not_found(err.to_string()),
            ContentError::TooManyUploads(why) => ApiError::too_many_requests(60).with_detail(why),
            ContentError::UnsupportedMediaType(why) => ApiError::unsupported_media_type(why),
            ContentError::IdempotencyKeyReused => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused", err.to_string())
            }
            ContentError::Store(StoreError::NotFound) => ApiError::not_found("not found"),
            ContentError::Store(store) => ApiError::internal(store),
            ContentError::Unexpected(err) => ApiError::internal(err),
        }
    }
}
