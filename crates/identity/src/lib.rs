//! The identity service: accounts, sign-in, sessions and the keys every other service uses to
//! verify access tokens.
//!
//! # Layout
//! * `domain`: account fields that validate on construction; the rules of passwords (Argon2id),
//!   tokens, signing keys and throttling; the service's error. Pure.
//! * `store`: the only SQL, one module per table family; every change one transaction with its
//!   event and audit entry.
//! * `ingest`: content's uploads, so that an avatar is always its user's own image; the
//!   crawler's sources, each an account of kind `source` (no password, never signs in).
//! * `api`: HTTP handlers, one module per resource, and the one mapping of errors to answers.
//!
//! Dependencies point down: `api` and `ingest` → `store` → `domain`.
//!
//! **Invariant:** identity is the only service that reads or writes accounts and sessions;
//! others learn about users from its events and its API.

mod api;
pub mod domain;
mod ingest;
mod store;

use std::sync::Arc;

use platform::{Mounted, Runtime, http::TokenVerifier};
use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    domain::{
        IdentityError,
        accounts::{Actor, NewAccount},
        fields::{DisplayName, Email, NewPassword, Username},
        keys::{KeyRing, Rotation, StoredKey},
        password, tokens,
    },
    store::{Store, audit, keys, sessions, users},
};

pub const NAME: &str = "identity";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
pub static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything identity's handlers share.
struct Identity {
    store: Store,
    keys: KeyRing,
    config: Arc<platform::Config>,
    /// The process's verifier, told at once when an account is suspended or deleted.
    verifier: Arc<TokenVerifier>,
    mailer: platform::mail::Mailer,
}

/// The routes and their OpenAPI description, without state (used for the spec too).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::routes().split_for_parts().1
}

/// Opens identity's state: database (migrated), keys (the first one made on a fresh database),
/// relay; hands the keys to the process's verifier.
async fn open(runtime: &Runtime) -> anyhow::Result<(Arc<Identity>, platform::events::outbox::Relay)> {
    let opened = runtime.open(NAME, &MIGRATIONS).await?;
    let store = opened.writer.clone();
    let mut stored = keys::current(&store).await?;
    if stored.is_empty() {
        keys::insert(&store, &StoredKey::generate(platform::db::now_ms())?).await?;
        stored = keys::current(&store).await?;
    }
    let keys = KeyRing::new(&stored)?;
    runtime.verifier.set_keys(&keys.jwks());
    refuse_revoked(&store, runtime).await?;
    let mailer = platform::mail::Mailer::new(&runtime.config.mail)?;
    let identity =
        Identity { store, keys, config: Arc::clone(&runtime.config), verifier: Arc::clone(&runtime.verifier), mailer };
    Ok((Arc::new(identity), opened.relay))
}

/// Starts identity: opens its database, loads its keys, and hands them to the process's verifier.
pub async fn mount(runtime: &Runtime) -> anyhow::Result<Mounted> {
    let (identity, relay) = open(runtime).await?;
    let db = identity.store.db().clone();
    let router: OpenApiRouter = api::routes().with_state(Arc::clone(&identity));
    Ok(Mounted {
        name: NAME,
        routes: router,
        probes: vec![Runtime::database_probe(&db)],
        relay: Some(relay),
        subscriptions: vec![
            platform::service::subscription(
                ingest::content::CONSUMER,
                &[contracts::content::MEDIA],
                platform::ingest::handler(ingest::content::CONSUMER, ingest::content::Uploads(identity.store.clone())),
                &db,
            ),
            platform::service::subscription(
                ingest::crawler::CONSUMER,
                &[contracts::crawler::SOURCES],
                platform::ingest::handler(ingest::crawler::CONSUMER, ingest::crawler::Sources(identity.store.clone())),
                &db,
            ),
        ],
        background: vec![
            platform::service::task(maintain_keys(Arc::clone(&identity), runtime.shutdown.clone())),
            platform::service::task(housekeeping(identity, runtime.shutdown.clone())),
        ],
        database: Some(db),
    })
}

/// Rotates signing keys on schedule and keeps this replica's keys (and the process's verifier)
/// in step with the database, where another replica may have rotated them.
async fn maintain_keys(identity: Arc<Identity>, shutdown: tokio_util::sync::CancellationToken) {
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let auth = &identity.config.auth;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
        }
        let step = async {
            if auth.signing_key_rotation_days > 0 {
                let now = platform::db::now_ms();
                let rotate_after = auth.signing_key_rotation_days as i64 * DAY_MS;
                let ttl = auth.access_token_ttl_secs as i64 * 1000;
                let rotation = Rotation::plan(&keys::current(&identity.store).await?, now, rotate_after, ttl);
                if rotation.changes_anything() {
                    keys::rotate(&identity.store, &rotation, now).await?;
                    tracing::info!("signing keys rotated");
                }
            }
            identity.keys.replace(&keys::current(&identity.store).await?)?;
            identity.verifier.set_keys(&identity.keys.jwks());
            anyhow::Ok(())
        };
        if let Err(err) = step.await {
            tracing::warn!(error = format!("{err:#}"), "signing key maintenance failed; will retry");
        }
    }
}

/// Forgets what identity keeps only for a while: throttle counters past their windows and
/// registrations nobody confirmed.
async fn housekeeping(identity: Arc<Identity>, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        let expired = async {
            let counters = store::throttle::expire(&identity.store).await?;
            let registrations = store::registrations::expire(&identity.store).await?;
            Ok::<_, IdentityError>((counters, registrations))
        };
        match expired.await {
            Ok((0, 0)) => {}
            Ok((counters, registrations)) => tracing::debug!(counters, registrations, "identity housekeeping"),
            Err(err) => tracing::warn!(error = format!("{err:#}"), "identity housekeeping failed; will retry"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
        }
    }
}

/// Creates an account from the command line (`riffle admin create-user`), e.g. the first admin.
/// Its `identity.user.registered` event is relayed when the server next runs.
pub async fn create_user(
    runtime: &Runtime,
    username: &str,
    email: &str,
    password: &str,
    role: platform::Role,
) -> anyhow::Result<uuid::Uuid> {
    let fields = (
        Username::parse(username),
        Email::parse(email),
        DisplayName::parse(username),
        NewPassword::parse("password", password, &[username, email]),
    );
    let (Ok(username), Ok(email), Ok(display_name), Ok(password)) = fields else {
        let errors: Vec<String> = [fields.0.err(), fields.1.err(), fields.2.err(), fields.3.err()]
            .into_iter()
            .flatten()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect();
        anyhow::bail!("{}", errors.join("; "));
    };
    let (identity, _relay) = open(runtime).await?;
    let password_hash = password::hash(password.expose().to_owned()).await?;
    let account = NewAccount { username, email, display_name, password_hash, role };
    let id = users::create(&identity.store, account, Some(Actor { id: None, ip: "cli" })).await?;
    identity.store.db().close().await;
    Ok(id)
}

/// Signs access tokens for `users` without a sign-in, for tools that act as many users at once
/// (the load generator). Whoever can call this can read the signing keys anyway.
pub async fn access_tokens(runtime: &Runtime, users: &[uuid::Uuid]) -> anyhow::Result<Vec<String>> {
    let (identity, _relay) = open(runtime).await?;
    let tokens = users
        .iter()
        .map(|&user| {
            let session = uuid::Uuid::new_v4();
            tokens::access_token(&identity.keys, &identity.config, user, session, platform::Role::User).map(|t| t.0)
        })
        .collect();
    identity.store.db().close().await;
    tokens
}

/// Tells the verifier what was revoked recently enough that tokens issued before (and perhaps
/// before a restart) could still be unexpired: suspended and deleted accounts, ended sessions,
/// changed roles. Other processes learn the same from identity's events.
async fn refuse_revoked(store: &Store, runtime: &Runtime) -> anyhow::Result<()> {
    let since = platform::db::now_ms() - (runtime.config.auth.access_token_ttl_secs as i64 + 60) * 1000;
    for user in users::inactive_since(store, since).await? {
        runtime.verifier.set_revoked(user, true);
    }
    for session in sessions::ended_since(store, since).await? {
        runtime.verifier.end_session(session);
    }
    for user in audit::role_changed_since(store, since).await? {
        if let Some(account) = users::by_id(store, user).await? {
            runtime.verifier.role_changed(user, account.role);
        }
    }
    Ok(())
}
