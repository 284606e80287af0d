//! `TestApp`: the real application on a random port, with typed request helpers.

use std::net::SocketAddr;

use reqwest::{Response, StatusCode};
use riffle::{Settings, app::Application, services};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// Which backends a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backends {
    /// SQLite files and the in-process bus: the embedded defaults.
    Embedded,
    /// PostgreSQL and NATS JetStream, from `RIFFLE_TEST_POSTGRES_URL` / `RIFFLE_TEST_NATS_URL`.
    Distributed,
}

pub use platform::testing::backend_url as external;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    data_dir: Option<TempDir>,
    pub config: Settings,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

// Besides stopping a forgotten app, having `Drop` makes test bodies (`async move` blocks)
// capture the whole app rather than only the fields they touch.
impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestApp {
    /// A configuration for a test: port 0, a fresh data directory, no rate limit.
    pub async fn config(backends: Backends) -> Option<(Settings, TempDir)> {
        let data_dir = tempfile::tempdir().unwrap();
        let process = platform::Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.path().into(),
            ..platform::Config::default()
        };
        let mut config = Settings { process, ..Settings::default() };
        config.http.rate_limit_per_second = 0;
        config.workers = 2;
        config.auth.refresh_reuse_grace_secs = 1;
        config.auth.registrations_per_address_per_hour = 10_000;
        config.mail.url = format!("file://{}", data_dir.path().join("mail").display());
        if backends == Backends::Distributed {
            let postgres = external("RIFFLE_TEST_POSTGRES_URL")?;
            let nats = external("RIFFLE_TEST_NATS_URL")?;
            config.database.url = fresh_postgres_database(&postgres).await;
            config.events.url = nats;
            config.events.stream = format!("T{}", uuid::Uuid::new_v4().simple());
            // S3: a fresh prefix is not possible with a bucket URL, but blobs are content-addressed,
            // so tests sharing the bucket cannot disturb each other.
            config.timelines.url = external("RIFFLE_TEST_REDIS_URL")?;
            config.timelines.key_prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
            config.media.url = external("RIFFLE_TEST_S3_URL")?;
            config.media.s3_access_key_id = std::env::var("RIFFLE_TEST_S3_KEY_ID").unwrap_or_default();
            config.media.s3_secret_access_key = std::env::var("RIFFLE_TEST_S3_SECRET").unwrap_or_default();
        }
        Some((config, data_dir))
    }

    pub async fn spawn(backends: Backends) -> Option<TestApp> {
        let (config, data_dir) = Self::config(backends).await?;
        Some(Self::spawn_with(config, data_dir).await)
    }

    pub async fn spawn_with(config: Settings, data_dir: TempDir) -> TestApp {
        Self::spawn_targets("all", config, data_dir).await
    }

    /// Runs only the services `targets` names, as a separately deployed process would.
    pub async fn spawn_targets(targets: &str, config: Settings, data_dir: TempDir) -> TestApp {
        let services = services::resolve(targets).unwrap();
        let application = Application::build(config.clone(), &services).await.expect("application builds");
        let addr = application.local_addr();
        let shutdown = application.shutdown_token();
        let server = tokio::spawn(application.run_until_stopped(std::future::pending()));
        TestApp {
            addr,
            client: reqwest::Client::new(),
            data_dir: Some(data_dir),
            config,
            shutdown,
            server: Some(server),
        }
    }

    /// Stops the app gracefully, waits until it has, and hands back its data directory.
    pub async fn stop(mut self) -> TempDir {
        self.shutdown.cancel();
        self.server.take().unwrap().await.unwrap().expect("clean shutdown");
        self.data_dir.take().unwrap()
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.as_ref().unwrap().path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.delete(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn register(&self, username: &str) -> Response {
        self.post(
            "/api/v1/auth/register",
            &json!({ "username": username, "email": format!("{username}@example.org"), "password": "correct horse battery" }),
            None,
        )
        .await
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.post("/api/v1/auth/login", &json!({ "login": login, "password": password }), None).await
    }

    /// The directory this app's mail is written to (`mail.url = file://…`).
    pub fn mailbox(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(self.config.mail.url.strip_prefix("file://").expect("tests mail to files"))
    }

    /// The newest mail to `to` that has a line starting with `prefix`, once it arrived: that line's
    /// rest, and the whole message. The mail is taken out of the mailbox, so that a later call
    /// waits for a newer one.
    pub async fn mailed(&self, to: &str, prefix: &str) -> (String, String) {
        let header = format!("to: {to}");
        for _ in 0..200 {
            let entries = std::fs::read_dir(self.mailbox()).into_iter().flatten().flatten();
            let mut mails: Vec<(std::time::SystemTime, std::path::PathBuf, String)> = entries
                .filter_map(|e| {
                    Some((e.metadata().ok()?.modified().ok()?, e.path(), std::fs::read_to_string(e.path()).ok()?))
                })
                .filter(|(_, _, text)| text.lines().any(|l| l.trim_end().eq_ignore_ascii_case(&header)))
                .collect();
            mails.sort_by_key(|(at, _, _)| *at);
            let newest = mails.into_iter().rev().find_map(|(_, path, text)| {
                let line = text.lines().find_map(|l| l.trim_end().strip_prefix(prefix))?.trim().to_owned();
                Some((path, line, text))
            });
            if let Some((path, line, text)) = newest {
                let _ = std::fs::remove_file(path);
                return (line, text);
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("timed out waiting for a mail to {to} with {prefix:?}");
    }

    /// Confirms `username`'s registration (mailed to `<username>@example.org`) with its token.
    pub async fn confirm(&self, username: &str) -> Response {
        let (token, _) = self.mailed(&format!("{username}@example.org"), "token:").await;
        self.post("/api/v1/auth/confirm", &json!({ "token": token }), None).await
    }

    /// Registers `username` and confirms the address; returns the new user.
    pub async fn registered(&self, username: &str) -> Value {
        assert_eq!(self.register(username).await.status(), StatusCode::ACCEPTED);
        let confirmed = self.confirm(username).await;
        assert_eq!(confirmed.status(), StatusCode::CREATED);
        confirmed.json().await.unwrap()
    }

    /// Registers `username`, confirms the address and signs in; returns the token response.
    pub async fn signed_up(&self, username: &str) -> Value {
        self.registered(username).await;
        let response = self.login(username, "correct horse battery").await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

/// Creates an empty database next to the one in `url` and returns its URL.
async fn fresh_postgres_database(url: &str) -> String {
    use sqlx::Connection;
    let name = format!("riffle_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(url).await.expect("PostgreSQL reachable");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
    format!("{base}/{name}")
}

/// Asserts a problem+json response with `status` and returns its body.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16());
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

/// Runs `$body` as `async fn(TestApp)` against the embedded and the distributed backends.
#[macro_export]
macro_rules! on_every_backend {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Backends::Embedded).await.unwrap();
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn distributed() {
                if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backends::Distributed).await {
                    ($body)(app).await;
                }
            }
        }
    };
}

impl TestApp {
    pub async fn patch(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.patch(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn delete_with(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.delete(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    /// Creates an admin the way an operator bootstraps one (`riffle admin create-user`) and signs in.
    pub async fn admin(&self, username: &str) -> Value {
        self.privileged(username, platform::Role::Admin).await
    }

    /// Creates a user with `role` from the command line's code path and signs in.
    pub async fn privileged(&self, username: &str, role: platform::Role) -> Value {
        let runtime =
            platform::Runtime::new(std::sync::Arc::new(self.config.process.clone()), CancellationToken::new())
                .await
                .unwrap();
        identity::create_user(&runtime, username, &format!("{username}@example.org"), "correct horse battery", role)
            .await
            .unwrap();
        let response = self.login(username, "correct horse battery").await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

/// Polls `check` until it holds: for effects that arrive through events (not a timing test).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for: {what}");
}
