//! Fetching over HTTP, the way a well-behaved crawler does: conditional GET (ETag,
//! Last-Modified), `br`/`gzip` with a cap on the decoded size (a gzip bomb stops at the cap),
//! total and connect timeouts, a streamed body cap, redirects followed by hand (each hop
//! checked by the SSRF guard, permanent ones reported so the stored URL can follow), and a
//! User-Agent that names Riffle and the instance.

pub mod guard;

use std::{sync::Arc, time::Duration};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::{StatusCode, header};
use url::Url;

use self::guard::{Guard, GuardedResolver, HostResolver, Refused};
use crate::config::CrawlerConfig;

/// What a fetch may send besides the URL.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful answer.
#[derive(Debug)]
pub struct Fetched {
    /// Where the body came from, after redirects.
    pub url: Url,
    /// Set when every redirect from the requested URL was permanent (301, 308): where the
    /// source now lives.
    pub moved_to: Option<Url>,
    /// `None`: 304 Not Modified.
    pub body: Option<Bytes>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// The longest wait the server asked for (`Cache-Control: max-age`, `Expires`).
    pub hint: Option<Duration>,
}

/// Why a fetch failed. `Display` is what the source's last error says.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Refused(String),
    #[error("the server says the feed is gone for good (410)")]
    Gone,
    #[error("the server asks to wait (429)")]
    TooManyRequests { retry_after: Option<Duration> },
    #[error("the server answered {status}")]
    Status { status: u16, retry_after: Option<Duration> },
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("the body is larger than {0} bytes")]
    TooLarge(u64),
    #[error("no answer within {0} seconds")]
    Timeout(u64),
    #[error("{0}")]
    Network(String),
    /// Fetched, but not a feed that can be read (counted as a failure like the others).
    #[error("{0}")]
    Unreadable(String),
}

impl FetchError {
    /// How long the server asked to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::TooManyRequests { retry_after } | FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The crawler's HTTP client.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    guard: Arc<Guard>,
    max_body_bytes: u64,
    max_redirects: usize,
    timeout_secs: u64,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").field("guard", &self.guard).finish_non_exhaustive()
    }
}

/// What the crawler accepts, feeds first.
const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, \
                      application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5";

impl Fetcher {
    pub fn new(config: &CrawlerConfig, public_url: &str, resolver: Arc<dyn HostResolver>) -> anyhow::Result<Fetcher> {
        let guard = Arc::new(Guard::new(config.allow_private_networks, &config.allow_hosts));
        let client = reqwest::Client::builder()
            .user_agent(format!("Riffle/{} (feed crawler; +{public_url})", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(config.timeout_secs))
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
            .pool_idle_timeout(Duration::from_secs(15))
            .dns_resolver(Arc::new(GuardedResolver { guard: Arc::clone(&guard), inner: resolver }))
            .build()?;
        Ok(Fetcher {
            client,
            guard,
            max_body_bytes: config.max_body_bytes,
            max_redirects: config.max_redirects,
            timeout_secs: config.timeout_secs,
        })
    }

    /// Fetches `url`, following redirects; with `validators`, a 304 is a success without a body.
    pub async fn get(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let mut current = url.clone();
        let mut all_permanent = true;
        for _ in 0..=self.max_redirects {
            self.guard.check_url(&current).map_err(|r| FetchError::Refused(r.0))?;
            let mut request = self.client.get(current.clone()).header(header::ACCEPT, ACCEPT);
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, modified);
            }
            let response = request.send().await.map_err(|e| self.network_error(&e))?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| current.join(l).ok())
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| FetchError::Network(format!("a {status} without a usable Location")))?;
                all_permanent &= matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT);
                current = location;
                continue;
            }
            let moved_to = (all_permanent && current != *url).then(|| current.clone());
            return self.finish(response, current, moved_to).await;
        }
        Err(FetchError::TooManyRedirects(self.max_redirects))
    }

    /// Posts a form (to a WebSub hub): checked by the guard like any fetch, no redirect
    /// followed; answers with the status.
    pub async fn post_form(&self, url: &Url, form: &[(&str, &str)]) -> Result<u16, FetchError> {
        self.guard.check_url(url).map_err(|r| FetchError::Refused(r.0))?;
        let response = self.client.post(url.clone()).form(form).send().await.map_err(|e| self.network_error(&e))?;
        Ok(response.status().as_u16())
    }

    async fn finish(
        &self,
        response: reqwest::Response,
        url: Url,
        moved_to: Option<Url>,
    ) -> Result<Fetched, FetchError> {
        let status = response.status();
        let headers = response.headers().clone();
        let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let retry_after = text(header::RETRY_AFTER).and_then(|v| wait_from_header(&v));
        match status {
            StatusCode::GONE => return Err(FetchError::Gone),
            StatusCode::TOO_MANY_REQUESTS => return Err(FetchError::TooManyRequests { retry_after }),
            s if !s.is_success() && s != StatusCode::NOT_MODIFIED => {
                return Err(FetchError::Status { status: s.as_u16(), retry_after });
            }
            _ => {}
        }
        let hint = [
            cache_max_age(text(header::CACHE_CONTROL).as_deref()),
            text(header::EXPIRES).and_then(|v| wait_from_header(&v)),
        ]
        .into_iter()
        .flatten()
        .max();
        let validators = Validators { etag: text(header::ETAG), last_modified: text(header::LAST_MODIFIED) };
        let content_type = text(header::CONTENT_TYPE);
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched { url, moved_to, body: None, content_type, validators, hint });
        }
        if response.content_length().is_some_and(|n| n > self.max_body_bytes) {
            return Err(FetchError::TooLarge(self.max_body_bytes));
        }
        // Counted after decompression: the cap holds for what a gzip bomb expands to.
        let mut body = BytesMut::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.network_error(&e))?;
            if body.len() as u64 + chunk.len() as u64 > self.max_body_bytes {
                return Err(FetchError::TooLarge(self.max_body_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { url, moved_to, body: Some(body.freeze()), content_type, validators, hint })
    }

    fn network_error(&self, err: &reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(cause) = source {
            if let Some(refused) = cause.downcast_ref::<Refused>() {
                return FetchError::Refused(refused.0.clone());
            }
            source = cause.source();
        }
        if err.is_timeout() {
            return FetchError::Timeout(self.timeout_secs);
        }
        let mut message = err.to_string();
        let mut cause = std::error::Error::source(err);
        while let Some(inner) = cause {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            cause = inner.source();
        }
        FetchError::Network(message)
    }
}

/// `Retry-After` or `Expires`: seconds, or an HTTP date from now.
fn wait_from_header(value: &str) -> Option<Duration> {
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value.trim()).ok()?;
    when.duration_since(std::time::SystemTime::now()).ok()
}

/// `max-age` of a `Cache-Control` value (`no-cache` and the like ask for nothing).
fn cache_max_age(value: Option<&str>) -> Option<Duration> {
    value?.split(',').find_map(|directive| {
        let (name, secs) = directive.trim().split_once('=')?;
        (name.eq_ignore_ascii_case("max-age"))
            .then(|| secs.trim().trim_matches('"').parse().ok().map(Duration::from_secs))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_come_from_seconds_dates_and_max_age() {
        assert_eq!(wait_from_header("120"), Some(Duration::from_secs(120)));
        let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
        let wait = wait_from_header(&later).unwrap();
        assert!(wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600), "{wait:?}");
        assert_eq!(wait_from_header("Thu, 01 Jan 1970 00:00:00 GMT"), None, "the past asks for nothing");
        assert_eq!(cache_max_age(Some("public, max-age=900")), Some(Duration::from_secs(900)));
        assert_eq!(cache_max_age(Some("no-cache")), None);
    }
}
