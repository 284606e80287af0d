//! The crawler's errors as HTTP answers: the one place where they become statuses. What a
//! remote server did wrong is still the request's problem to the caller (422, naming `url`):
//! the address given leads nowhere usable, and the detail says why.

use platform::{ApiError, StoreError};

use crate::domain::CrawlerError;

impl From<CrawlerError> for ApiError {
    fn from(err: CrawlerError) -> Self {
        match err {
            CrawlerError::Invalid { field, message } => ApiError::invalid_field(field, message),
            CrawlerError::Denied(why) => ApiError::invalid_field("url", why),
            CrawlerError::Fetch(why) | CrawlerError::NotAFeed(why) => ApiError::invalid_field("url", why),
            CrawlerError::NoSuchSource => ApiError::not_found("no such source"),
            CrawlerError::InvalidOpml(why) => ApiError::invalid_field("body", why),
            CrawlerError::TooLarge(why) => ApiError::payload_too_large(why),
            CrawlerError::BadCursor => ApiError::bad_cursor("is not a cursor this endpoint returned"),
            CrawlerError::Store(StoreError::NotFound) => ApiError::not_found("not found"),
            CrawlerError::Store(store) => ApiError::internal(store),
            CrawlerError::Unexpected(err) => ApiError::internal(err),
        }
    }
}
