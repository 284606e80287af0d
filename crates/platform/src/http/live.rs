//! What every live stream (server-sent events) shares: it ends with its authorization (the
//! token expires, its session ends, the account is suspended or its role changes) or with the
//! process, and says why in a final `end` event.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use super::auth::unix_now;
use super::auth::{AuthError, Principal, TokenVerifier};

/// Why a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    TokenExpired,
    SessionEnded,
    AccountRevoked,
    RoleChanged,
    ShuttingDown,
}

impl EndReason {
    pub fn reason(self) -> &'static str {
        match self {
            EndReason::TokenExpired => "token_expired",
            EndReason::SessionEnded => "session_ended",
            EndReason::AccountRevoked => "account_revoked",
            EndReason::RoleChanged => "role_changed",
            EndReason::ShuttingDown => "shutting_down",
        }
    }

    pub fn detail(self) -> &'static str {
        match self {
            EndReason::TokenExpired => "the token expired; reconnect with a fresh one",
            EndReason::SessionEnded => "the session of this token has ended",
            EndReason::AccountRevoked => "the account behind this token is no longer active",
            EndReason::RoleChanged => "the account's role changed; sign in again",
            EndReason::ShuttingDown => "the server is shutting down; reconnect to another",
        }
    }

    pub fn of(error: AuthError) -> EndReason {
        match error {
            AuthError::SessionEnded => EndReason::SessionEnded,
            AuthError::RoleChanged => EndReason::RoleChanged,
            AuthError::Revoked => EndReason::AccountRevoked,
            _ => EndReason::TokenExpired,
        }
    }

    /// The data of the final `end` event.
    pub fn event_data(self) -> serde_json::Value {
        serde_json::json!({ "reason": self.reason(), "detail": self.detail() })
    }
}

/// Resolves when a stream of `viewer` must end, and says why: at the token's expiry, when the
/// verifier learns that it no longer holds, or at shutdown.
pub async fn until_ended(viewer: &Principal, verifier: &TokenVerifier, shutdown: &CancellationToken) -> EndReason {
    let left = Duration::from_secs((viewer.expires_at - unix_now()).max(0) as u64);
    let mut revocations = verifier.revocations();
    let expired = tokio::time::sleep(left);
    tokio::pin!(expired);
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => return EndReason::ShuttingDown,
            () = &mut expired => return EndReason::TokenExpired,
            changed = revocations.changed() => {
                if changed.is_err() {
                    // The verifier is gone: only expiry and shutdown remain.
                    std::future::pending::<()>().await;
                }
                if let Err(error) = verifier.check(viewer) {
                    return EndReason::of(error);
                }
            }
        }
    }
}
