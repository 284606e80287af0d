//! Per-client rate limiting: a token bucket per client address (GCRA, via `governor`).
//! Over the limit, a request gets 429 with `Retry-After` saying when the next one will pass.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

use super::{auth::TokenVerifier, client_ip::ClientAddr, problem::ApiError};

/// The limiter shared by every route of a process.
pub struct ClientRateLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl ClientRateLimiter {
    /// `None` when `per_second` is 0 (rate limiting off).
    pub fn new(per_second: u32, burst: u32) -> Option<Arc<Self>> {
        let per_second = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst).unwrap_or(per_second);
        let limiter = RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst));
        Some(Arc::new(Self { limiter }))
    }

    /// `Err(seconds to wait)` when `client` is over its quota.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Forgets clients that have been quiet, so the table does not grow without bound.
    pub fn spawn_cleanup(self: &Arc<Self>, shutdown: tokio_util::sync::CancellationToken) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_secs(60)) => this.limiter.retain_recent(),
                }
            }
        });
    }
}

/// The middleware: one bucket per client address (an IPv6 address by its /64, see
/// `client_ip::limit_key`). Requests without an address (in-process tests) are not limited, nor
/// are the deployment's own services (the internal token): a search rebuild paging through
/// content must not spend the budget of whoever shares its address.
pub async fn limit(
    State((limiter, verifier)): State<(Arc<ClientRateLimiter>, Arc<TokenVerifier>)>,
    request: Request,
    next: Next,
) -> Response {
    let client = request
        .extensions()
        .get::<ClientAddr>()
        .filter(|_| !verifier.is_internal_call(request.headers()))
        .map(|ClientAddr(ip)| super::client_ip::limit_key(*ip));
    if let Some(Err(retry_after)) = client.map(|client| limiter.check(client)) {
        return ApiError::too_many_requests(retry_after).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_burst_is_told_when_to_retry() {
        let limiter = ClientRateLimiter::new(1, 3).unwrap();
        let client: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(client).is_ok());
        }
        let wait = limiter.check(client).unwrap_err();
        assert!((1..=2).contains(&wait), "{wait}");
        // Another client has its own bucket.
        assert!(limiter.check("10.0.0.2".parse().unwrap()).is_ok());
    }

    #[test]
    fn zero_disables_the_limiter() {
        assert!(ClientRateLimiter::new(0, 10).is_none());
    }
}
