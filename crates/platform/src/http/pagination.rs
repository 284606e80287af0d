//! Keyset pagination: `?limit=&cursor=` in, `{items, next_cursor}` and a `Link: rel="next"`
//! header out. Cursors are opaque to clients (base64url of a position the service chooses) so
//! the position's format can change without breaking anyone.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::problem::ApiError;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// The paging parameters of every list endpoint.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (409 when it can no longer be continued from).
    #[param(pattern = r"^[A-Za-z0-9_-]{1,1024}$")]
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit.unwrap_or(DEFAULT_LIMIT) {
            n @ 1..=MAX_LIMIT => Ok(n),
            _ => Err(ApiError::invalid_field("limit", format!("must be between 1 and {MAX_LIMIT}"))),
        }
    }

    /// The decoded position, if a cursor was given.
    pub fn position(&self) -> Result<Option<String>, ApiError> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }
}

/// The cursor a client is given for `position`.
pub fn encode_cursor(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(position)
}

/// The position `cursor` (one [`encode_cursor`] made) stands for; 409 for anything else.
pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ApiError::bad_cursor("is not a cursor this endpoint returned"))
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Not serialized: the request path and query, for the `Link` header.
    #[serde(skip)]
    link_base: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched items: the extra one only tells that more exist.
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, position_of: impl Fn(&T) -> String) -> Self {
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more { items.last().map(|last| encode_cursor(&position_of(last))) } else { None };
        Self { items, next_cursor, link_base: None }
    }

    /// The same page with each item turned into another (the cursor stays).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            link_base: self.link_base,
        }
    }

    /// Adds a `Link: <path?limit=…&cursor=…>; rel="next"` header to the response. `path` may
    /// carry a query of its own (filters the next page keeps), already validated and encoded.
    pub fn with_link(mut self, path: &str, limit: u32) -> Self {
        let joint = if path.contains('?') { '&' } else { '?' };
        self.link_base = Some(format!("{path}{joint}limit={limit}"));
        self
    }
}

impl<T: Serialize> IntoResponse for Page<T> {
    fn into_response(self) -> Response {
        let link = match (&self.link_base, &self.next_cursor) {
            (Some(base), Some(cursor)) => {
                HeaderValue::from_str(&format!("<{base}&cursor={cursor}>; rel=\"next\"")).ok()
            }
            _ => None,
        };
        let mut response = axum::Json(&self).into_response();
        if let Some(link) = link {
            response.headers_mut().insert(header::LINK, link);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overfetched_list_yields_a_cursor_to_the_rest() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, [1, 2]);
        let params = PageParams { limit: Some(2), cursor: page.next_cursor };
        assert_eq!(params.position().unwrap().as_deref(), Some("2"));
        let last = Page::from_overfetch(vec![3], 2, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn bad_limits_and_cursors_are_field_errors() {
        assert!(PageParams { limit: Some(0), cursor: None }.limit().is_err());
        assert!(PageParams { limit: Some(101), cursor: None }.limit().is_err());
        assert!(PageParams { limit: None, cursor: Some("%%%".into()) }.position().is_err());
        assert_eq!(PageParams::default().limit().unwrap(), DEFAULT_LIMIT);
    }
}
