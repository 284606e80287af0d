//! Bearer-token authentication shared by every service.
//!
//! Identity issues EdDSA-signed JWT access tokens; every service verifies them against the
//! public keys identity publishes (JWKS), in process or fetched from `auth.jwks_url`.
//! Verification is cached by the token's exact bytes, so a client that presents the same token
//! on every request pays for one signature check and then a hash lookup per request.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use contracts::identity::IdentityEvent;

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{HeaderMap, header, request::Parts},
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
    #[error("the session of this token has ended")]
    SessionEnded,
    #[error("the account's role changed since this token was issued; sign in again")]
    RoleChanged,
}

/// What was revoked before tokens expire: accounts (suspended, deleted), sessions (signed out,
/// revoked, ended by a password change), and roles (a token carrying a user's former role).
#[derive(Debug, Default)]
struct Revocations {
    users: HashSet<Uuid>,
    /// Session → when the entry may be forgotten (unix seconds).
    sessions: HashMap<Uuid, i64>,
    /// User → their role now, and when the entry may be forgotten.
    roles: HashMap<Uuid, (Role, i64)>,
}

/// How long a revoked session or a role change is remembered: longer than any access token
/// lives (`auth.access_token_ttl_secs` is at most a day).
const REMEMBER_SECS: i64 = 86_400 + 60;

/// Verifies access tokens; one per process, shared by every service in it.
pub struct TokenVerifier {
    keys: RwLock<HashMap<String, DecodingKey>>,
    validation: Validation,
    cache: quick_cache::sync::Cache<Box<str>, Principal>,
    revocations: RwLock<Revocations>,
    /// Bumped on every revocation, so that open streams re-check their token at once.
    revoked: tokio::sync::watch::Sender<u64>,
    remote: Option<RemoteKeys>,
    /// `auth.internal_token`, or a random one when it is not set.
    internal_token: String,
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
            revocations: RwLock::default(),
            revoked: tokio::sync::watch::Sender::new(0),
            remote: jwks_url.map(|url| RemoteKeys {
                url,
                client: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client"),
                last_fetch: tokio::sync::Mutex::new(None),
            }),
            internal_token: random_secret(),
        }
    }

    /// Accepts `token` from the deployment's other services (see [`Trusted`]); an empty one
    /// keeps the random secret this process was given.
    pub fn with_internal_token(mut self, token: &str) -> Self {
        if !token.is_empty() {
            self.internal_token = token.to_owned();
        }
        self
    }

    /// What this process presents to the deployment's other services.
    pub fn internal_token(&self) -> &str {
        &self.internal_token
    }

    /// Whether a request carries the internal token: another service of this deployment.
    pub fn is_internal_call(&self, headers: &HeaderMap) -> bool {
        matches!(bearer_in(headers), Some(Ok(token)) if self.is_internal_token(token))
    }

    /// Whether `token` is the deployment's internal token.
    pub fn is_internal_token(&self, token: &str) -> bool {
        crate::http::constant_time_eq(token, &self.internal_token)
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
        self.revise(|r| {
            if revoked {
                r.users.insert(user);
            } else {
                r.users.remove(&user);
            }
        });
    }

    /// Refuses every token of `session` from now on.
    pub fn end_session(&self, session: Uuid) {
        self.revise(|r| {
            r.sessions.insert(session, unix_now() + REMEMBER_SECS);
        });
    }

    /// Refuses the tokens of `user` that carry another role than `role`: holders sign in again
    /// (or refresh) and get one with the role they have now.
    pub fn role_changed(&self, user: Uuid, role: Role) {
        self.revise(|r| {
            r.roles.insert(user, (role, unix_now() + REMEMBER_SECS));
        });
    }

    /// Applies what identity says about accounts and sessions. Every process runs this on
    /// identity's events (see `service::Runtime::new`), so a revocation reaches every process.
    pub fn apply(&self, event: &IdentityEvent) {
        match event {
            IdentityEvent::UserSuspended(u) | IdentityEvent::UserDeleted(u) => self.set_revoked(u.user_id, true),
            IdentityEvent::UserRestored(u) => self.set_revoked(u.user_id, false),
            IdentityEvent::SessionEnded(s) => self.end_session(s.session_id),
            IdentityEvent::RoleChanged(r) => self.role_changed(r.user_id, r.role),
            IdentityEvent::UserRegistered(_) | IdentityEvent::UserUpdated(_) => {}
        }
    }

    /// Changes the revocations, forgets entries that no token can need any more, and tells the
    /// open streams.
    fn revise(&self, change: impl FnOnce(&mut Revocations)) {
        {
            let mut revocations = self.revocations.write().expect("not poisoned");
            change(&mut revocations);
            let now = unix_now();
            revocations.sessions.retain(|_, until| *until > now);
            revocations.roles.retain(|_, (_, until)| *until > now);
        }
        self.revoked.send_modify(|n| *n += 1);
    }

    /// A receiver that changes whenever something is revoked, for long-lived requests (live
    /// streams) to check their token again with [`TokenVerifier::check`].
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.revoked.subscribe()
    }

    /// Whether a token verified before is still good: not expired, its account, session and role
    /// not revoked since.
    pub fn check(&self, principal: &Principal) -> Result<(), AuthError> {
        if principal.expires_at < unix_now() {
            return Err(AuthError::Expired);
        }
        let revoked = self.revocations.read().expect("not poisoned");
        if revoked.users.contains(&principal.user_id) {
            return Err(AuthError::Revoked);
        }
        if revoked.sessions.contains_key(&principal.session_id) {
            return Err(AuthError::SessionEnded);
        }
        if revoked.roles.get(&principal.user_id).is_some_and(|(role, _)| *role != principal.role) {
            return Err(AuthError::RoleChanged);
        }
        Ok(())
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

    /// What can change after a token was verified: time passes, and accounts, sessions and
    /// roles get revoked.
    fn still_valid(&self, principal: Principal) -> Result<Principal, AuthError> {
        self.check(&principal).map(|()| principal)
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

fn random_secret() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::thread_rng().r#gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds since the epoch.
pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn bearer(parts: &Parts) -> Option<Result<&str, ApiError>> {
    bearer_in(&parts.headers)
}

fn bearer_in(headers: &HeaderMap) -> Option<Result<&str, ApiError>> {
    let value = headers.get(header::AUTHORIZATION)?;
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
            AuthError::SessionEnded => "the session of this access token has ended; sign in again",
            AuthError::RoleChanged => "the account's role changed; refresh the access token",
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

/// The caller of an endpoint that serves the deployment's other services as well as its
/// admins: the internal token (`auth.internal_token`), or an admin's access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trusted {
    Service,
    Admin(Principal),
}

impl<S: Send + Sync> FromRequestParts<S> for Trusted {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.extensions.get::<Arc<TokenVerifier>>().is_some_and(|v| v.is_internal_call(&parts.headers)) {
            return Ok(Trusted::Service);
        }
        let principal = <Principal as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        principal.require(Role::Admin)?;
        Ok(Trusted::Admin(principal))
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
