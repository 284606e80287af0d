//! Bearer-token authentication shared by every service.
//!
//! Identity issues EdDSA-signed JWT access tokens; every service verifies them against the
//! public keys identity publishes (JWKS), in process or fetched from `auth.jwks_url`.
//! Verification is cached by the token's exact bytes, so a client that presents the same token
//! on every request pays for one signature check and then a hash lookup per request.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{header, request::Parts},
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::problem::ApiError;

/// The media type of access tokens (RFC 9068), carried in the JOSE `typ` header.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

pub use contracts::Role;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The user id.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// The session (refresh-token family) the token belongs to.
    pub sid: String,
    pub role: Role,
    pub jti: String,
}

/// The authenticated caller of a request. Extract it in a handler to require a valid token, or
/// `Option<Principal>` to accept anonymous callers too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub role: Role,
    /// Unix seconds after which the token is no longer accepted.
    pub expires_at: i64,
}

impl Principal {
    /// Fails with 403 unless the caller has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("requires the {} role", role.as_str())))
        }
    }
}

/// Why a token was refused. Every variant becomes the same 401 for the client.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("token expired")]
    Expired,
    #[error("token signed by an unknown key")]
    UnknownKey,
    #[error("token is not an access token")]
    WrongType,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("the account behind this token is no longer active")]
    Revoked,
}

/// Verifies access tokens; one per process, shared by every service in it.
pub struct TokenVerifier {
    keys: RwLock<HashMap<String, DecodingKey>>,
    validation: Validation,
    cache: quick_cache::sync::Cache<Box<str>, Principal>,
    /// Users whose tokens must be refused before they expire (suspended, deleted).
    revoked_users: RwLock<std::collections::HashSet<Uuid>>,
    remote: Option<RemoteKeys>,
}

struct RemoteKeys {
    url: String,
    client: reqwest::Client,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
}

/// A remote JWKS is fetched again at most this often when an unknown `kid` appears.
const MIN_REFETCH: Duration = Duration::from_secs(10);

impl TokenVerifier {
    /// A verifier that accepts tokens for `issuer` and `audience`. Keys arrive through
    /// [`TokenVerifier::set_keys`] (identity in the same process) or, with `jwks_url`, are fetched.
    pub fn new(issuer: &str, audience: &str, cache_capacity: usize, jwks_url: Option<String>) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.algorithms = vec![Algorithm::EdDSA];
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            keys: RwLock::new(HashMap::new()),
            validation,
            cache: quick_cache::sync::Cache::new(cache_capacity.max(16)),
            revoked_users: RwLock::default(),
            remote: jwks_url.map(|url| RemoteKeys {
                url,
                client: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client"),
                last_fetch: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// Replaces the accepted keys (identity publishes the next key before it signs with it).
    pub fn set_keys(&self, jwks: &JwkSet) {
        let mut keys = HashMap::new();
        for jwk in &jwks.keys {
            let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)) else { continue };
            keys.insert(kid, key);
        }
        *self.keys.write().expect("not poisoned") = keys;
    }

    /// Refuses every token of `user` from now on (and accepts them again with `false`).
    pub fn set_revoked(&self, user: Uuid, revoked: bool) {
        let mut set = self.revoked_users.write().expect("not poisoned");
        if revoked {
            set.insert(user)
        } else {
            set.remove(&user)
        };
    }

    /// Checks a token: signature, algorithm, `typ`, issuer, audience, expiry.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if let Some(result) = self.verify_cached(token) {
            return result;
        }
        let principal = self.verify_uncached(token).await?;
        self.cache.insert(token.into(), principal.clone());
        self.still_valid(principal)
    }

    /// The hot path: the answer for a token verified before, or `None` for a token not seen yet.
    pub fn verify_cached(&self, token: &str) -> Option<Result<Principal, AuthError>> {
        self.cache.get(token).map(|principal| self.still_valid(principal))
    }

    /// What can change after a token was verified: time passes, and accounts get suspended.
    fn still_valid(&self, principal: Principal) -> Result<Principal, AuthError> {
        if principal.expires_at < unix_now() {
            return Err(AuthError::Expired);
        }
        let revoked = self.revoked_users.read().expect("not poisoned");
        if !revoked.is_empty() && revoked.contains(&principal.user_id) {
            return Err(AuthError::Revoked);
        }
        Ok(principal)
    }

    /// The full check, without the cache: what a token seen for the first time costs.
    pub async fn verify_uncached(&self, token: &str) -> Result<Principal, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::Invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        if header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Err(AuthError::WrongType);
        }
        let kid = header.kid.ok_or_else(|| AuthError::Invalid("no key id".into()))?;
        let key = match self.key(&kid) {
            Some(key) => key,
            None => {
                self.refresh_remote().await;
                self.key(&kid).ok_or(AuthError::UnknownKey)?
            }
        };
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
            _ => AuthError::Invalid(e.to_string()),
        })?;
        let claims = data.claims;
        let parse = |s: &str| Uuid::parse_str(s).map_err(|_| AuthError::Invalid("malformed subject".into()));
        Ok(Principal {
            user_id: parse(&claims.sub)?,
            session_id: parse(&claims.sid)?,
            role: claims.role,
            expires_at: claims.exp,
        })
    }

    fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().expect("not poisoned").get(kid).cloned()
    }

    /// Fetches the remote JWKS, at most once per [`MIN_REFETCH`], so a flood of tokens with
    /// made-up key ids cannot turn into a flood of requests to identity.
    pub async fn refresh_remote(&self) {
        let Some(remote) = &self.remote else { return };
        let mut last = remote.last_fetch.lock().await;
        if last.is_some_and(|t| t.elapsed() < MIN_REFETCH) {
            return;
        }
        *last = Some(Instant::now());
        let mut request = remote.client.get(&remote.url);
        let mut headers = http::HeaderMap::new();
        crate::trace_context::inject(&mut headers);
        request = request.headers(headers);
        match request.send().await.and_then(reqwest::Response::error_for_status) {
            Ok(response) => match response.json::<JwkSet>().await {
                Ok(jwks) => self.set_keys(&jwks),
                Err(err) => tracing::warn!(url = %remote.url, error = %err, "JWKS is not valid JSON"),
            },
            Err(err) => tracing::warn!(url = %remote.url, error = %err, "cannot fetch JWKS"),
        }
    }

    /// For `/readyz`: a remote key set must have been fetched at least once.
    pub async fn ping(&self) -> Result<(), String> {
        if self.remote.is_some() && self.keys.read().expect("not poisoned").is_empty() {
            self.refresh_remote().await;
            if self.keys.read().expect("not poisoned").is_empty() {
                return Err("no signing keys fetched from auth.jwks_url yet".into());
            }
        }
        Ok(())
    }

    pub fn is_remote(&self) -> bool {
        self.remote.is_some()
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn bearer(parts: &Parts) -> Option<Result<&str, ApiError>> {
    let value = parts.headers.get(header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("expected `Authorization: Bearer <token>`"));
    Some(token)
}

async fn authenticate(parts: &Parts, token: &str) -> Result<Principal, ApiError> {
    let verifier = parts
        .extensions
        .get::<Arc<TokenVerifier>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("TokenVerifier extension missing")))?;
    verifier.verify(token).await.map_err(|err| {
        tracing::debug!(error = %err, "token refused");
        ApiError::unauthorized(match err {
            AuthError::Expired => "access token expired",
            _ => "invalid access token",
        })
    })
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match bearer(parts) {
            None => Err(ApiError::unauthorized("this endpoint requires `Authorization: Bearer <token>`")),
            Some(token) => authenticate(parts, token?).await,
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        match bearer(parts) {
            None => Ok(None),
            Some(token) => authenticate(parts, token?).await.map(Some),
        }
    }
}
