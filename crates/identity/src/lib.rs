//! The identity service: accounts, sign-in, sessions and the keys every other service uses to
//! verify access tokens.
//!
//! # Layout
//! * `domain`: account fields that validate on construction.
//! * `password`: Argon2id hashing.
//! * `keys`: signing keys and the JWKS.
//! * `tokens`: access tokens (JWT) and rotating refresh tokens.
//! * `api`: HTTP handlers, one module per resource.
//!
//! **Invariant:** identity is the only service that reads or writes accounts and sessions;
//! others learn about users from its events and its API.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod domain;
pub mod keys;
pub mod password;
pub mod throttle;
pub mod tokens;

use std::sync::Arc;

use platform::{Db, Mounted, Runtime, events::outbox::RelayHandle};
use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

pub const NAME: &str = "identity";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything identity's handlers share.
pub struct Identity {
    pub db: Db,
    pub keys: keys::KeyRing,
    pub relay: RelayHandle,
    pub config: Arc<platform::Config>,
    /// The process's verifier, told at once when an account is suspended or deleted.
    pub verifier: Arc<platform::http::TokenVerifier>,
}

/// The routes and their OpenAPI description, without state (used for the spec too).
pub fn routes() -> OpenApiRouter<Arc<Identity>> {
    api::routes()
}

/// Applies identity's migrations and nothing else (`riffle migrate`).
pub async fn migrate(runtime: &Runtime) -> anyhow::Result<()> {
    runtime.open_database(NAME, &MIGRATIONS).await?.close().await;
    Ok(())
}

/// Opens identity's state: database (migrated), keys, relay.
async fn open(runtime: &Runtime) -> anyhow::Result<(Arc<Identity>, platform::events::outbox::Relay)> {
    let db = runtime.open_database(NAME, &MIGRATIONS).await?;
    let keys = keys::KeyRing::load_or_create(&db).await?;
    runtime.verifier.set_keys(&keys.jwks());
    refuse_inactive_accounts(&db, runtime).await?;
    let relay = runtime.relay(NAME, &db);
    let identity = Identity {
        db,
        keys,
        relay: relay.handle(),
        config: Arc::clone(&runtime.config),
        verifier: Arc::clone(&runtime.verifier),
    };
    Ok((Arc::new(identity), relay))
}

/// Starts identity: opens its database, loads its keys, and hands them to the process's verifier.
pub async fn mount(runtime: &Runtime) -> anyhow::Result<Mounted> {
    let (identity, relay) = open(runtime).await?;
    Ok(Mounted {
        name: NAME,
        routes: routes().with_state(Arc::clone(&identity)),
        probes: vec![Runtime::database_probe(&identity.db)],
        relay: Some(relay),
        subscriptions: Vec::new(),
        background: vec![platform::service::task(maintain_keys(Arc::clone(&identity), runtime.shutdown.clone()))],
        database: Some(identity.db.clone()),
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
                let rotate_after = auth.signing_key_rotation_days as i64 * DAY_MS;
                let ttl = auth.access_token_ttl_secs as i64 * 1000;
                if keys::rotate(&identity.db, platform::db::now_ms(), rotate_after, ttl).await? {
                    tracing::info!("signing keys rotated");
                }
            }
            identity.keys.reload(&identity.db).await?;
            identity.verifier.set_keys(&identity.keys.jwks());
            anyhow::Ok(())
        };
        if let Err(err) = step.await {
            tracing::warn!(error = format!("{err:#}"), "signing key maintenance failed; will retry");
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
        domain::Username::parse(username),
        domain::Email::parse(email),
        domain::DisplayName::parse(username),
        domain::NewPassword::parse("password", password),
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
    let account = accounts::NewAccount { username, email, display_name, password_hash, role };
    let id = accounts::create(&identity, account, Some(accounts::Actor { id: None, ip: "cli" })).await?;
    identity.db.close().await;
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
    identity.db.close().await;
    tokens
}

/// Tells the verifier about accounts suspended or deleted recently enough that tokens issued
/// before (and perhaps before a restart) could still be unexpired.
async fn refuse_inactive_accounts(db: &Db, runtime: &Runtime) -> anyhow::Result<()> {
    use sqlx::Row;
    let since = platform::db::now_ms() - (runtime.config.auth.access_token_ttl_secs as i64 + 60) * 1000;
    let rows = sqlx::query("SELECT id FROM users WHERE status <> 'active' AND updated_at_ms > $1")
        .bind(since)
        .fetch_all(db.reader())
        .await?;
    for row in rows {
        runtime.verifier.set_revoked(row.try_get::<String, _>("id")?.parse()?, true);
    }
    Ok(())
}
