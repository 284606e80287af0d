//! The crash drill: writers post with `Idempotency-Key`s while the real `riffle` process is
//! killed with SIGKILL three times and restarted. Afterwards every acknowledged post must be
//! readable, in its author's stream, the public stream and its followers' homes, exactly once,
//! within 5 seconds of the last restart; and retrying any key must answer with the original post.
//! Run on the embedded defaults and on PostgreSQL + NATS + Redis + S3. The figures are printed
//! (`--nocapture`) for `docs/benchmarks.md`.

use std::{
    collections::HashMap,
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use platform::testing::backend_url;
use reqwest::StatusCode;
use serde_json::{Value, json};

const WRITERS: usize = 4;
/// Between two posts of one writer: a steady load the consumers keep up with, so that what the
/// drill measures is recovery from the kills, not a backlog.
const PACE: Duration = Duration::from_millis(20);
const KILLS: usize = 3;
const PASSWORD: &str = "correct horse battery";
/// How long after the last restart everything must be in place: JetStream's redelivery wait
/// (3 s) and the restart itself, with room for a machine busy with other builds (a deadline
/// for correctness; the time it took is reported, not asserted).
const CONVERGE_WITHIN: Duration = Duration::from_secs(10);

/// One `riffle serve` process and how to start it again on the same data.
struct Server {
    env: Vec<(String, String)>,
    data_dir: std::path::PathBuf,
    bind: String,
    child: Option<Child>,
    log: std::path::PathBuf,
}

impl Server {
    fn base(&self) -> String {
        format!("http://{}", self.bind)
    }

    fn start(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_riffle"))
            .args(["serve", "--bind", &self.bind, "--data-dir"])
            .arg(&self.data_dir)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env_remove("RIFFLE_CONFIG")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("riffle starts");
        self.child = Some(child);
    }

    async fn ready(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(response) = client.get(format!("{}/readyz", self.base())).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("riffle did not become ready; log:\n{}", self.log_tail());
    }

    /// SIGTERM, and wait for the clean stop (a final timeline snapshot on the embedded store).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
            assert!(child.wait().unwrap().success(), "a clean stop; log:\n{}", self.log_tail());
        }
    }

    /// SIGKILL: no shutdown, no flush, no final snapshot.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn fresh_postgres_database(url: &str) -> String {
    use sqlx::Connection;
    let name = format!("riffle_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(url).await.expect("PostgreSQL reachable");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
    format!("{base}/{name}")
}

async fn sign_up(client: &reqwest::Client, base: &str, name: &str) -> (String, String) {
    let account = json!({ "username": name, "email": format!("{name}@example.org"), "password": PASSWORD });
    let registered = client.post(format!("{base}/api/v1/auth/register")).json(&account).send().await.unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let login = json!({ "login": name, "password": PASSWORD });
    let tokens: Value =
        client.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    (tokens["user"]["id"].as_str().unwrap().to_owned(), tokens["access_token"].as_str().unwrap().to_owned())
}

/// What a writer got back: key → (post id, text).
type Acknowledged = Arc<Mutex<HashMap<String, (String, String)>>>;

/// Posts until `stop`, each post with its own key, retrying a key (through kills and restarts)
/// until it is answered.
async fn write(
    client: reqwest::Client,
    base: String,
    token: String,
    writer: usize,
    stop: Arc<AtomicBool>,
    acked: Acknowledged,
) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let key = uuid::Uuid::new_v4().to_string();
        let text = format!("writer {writer} post {n}");
        n += 1;
        loop {
            let sent = client
                .post(format!("{base}/api/v1/posts"))
                .bearer_auth(&token)
                .header("idempotency-key", &key)
                .json(&json!({ "text": text }))
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            match sent {
                Ok(response) if response.status() == StatusCode::CREATED || response.status() == StatusCode::OK => {
                    let post: Value = response.json().await.unwrap();
                    acked.lock().unwrap().insert(key, (post["id"].as_str().unwrap().to_owned(), text));
                    tokio::time::sleep(PACE).await;
                    break;
                }
                Ok(response) if response.status().is_server_error() => {}
                Ok(response) => panic!("writer {writer}: {} {:?}", response.status(), response.text().await),
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Every post id of a listed stream, newest first, through all its pages.
async fn all_ids(client: &reqwest::Client, base: &str, path: &str, token: Option<&str>) -> Vec<String> {
    let mut ids = Vec::new();
    let mut url = format!("{base}{path}?limit=100");
    loop {
        let mut request = client.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let Ok(response) = request.send().await else { return ids };
        let Ok(page) = response.json::<Value>().await else { return ids };
        ids.extend(page["items"].as_array().into_iter().flatten().filter_map(|p| p["id"].as_str().map(str::to_owned)));
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("{base}{path}?limit=100&cursor={cursor}"),
            None => return ids,
        }
    }
}

/// What is wrong with the streams now, if anything: acknowledged posts missing or shown twice.
async fn check(
    client: &reqwest::Client,
    base: &str,
    acked: &HashMap<String, (String, String)>,
    authors: &[(String, String)],
    follower: &(String, String),
) -> (usize, usize, Vec<String>) {
    let mut problems = Vec::new();
    let (mut lost, mut duplicated) = (0, 0);
    let wanted: std::collections::HashSet<&String> = acked.values().map(|(id, _)| id).collect();
    let mut streams = vec![("public".to_owned(), all_ids(client, base, "/api/v1/timelines/public", None).await)];
    streams.push(("home".to_owned(), all_ids(client, base, "/api/v1/timelines/home", Some(&follower.1)).await));
    let mut by_author = Vec::new();
    for (id, _) in authors {
        by_author.extend(all_ids(client, base, &format!("/api/v1/users/{id}/posts"), None).await);
    }
    streams.push(("authors".to_owned(), by_author));
    for (name, ids) in &streams {
        let mut seen: HashMap<&String, usize> = HashMap::new();
        for id in ids {
            *seen.entry(id).or_default() += 1;
        }
        let missing = wanted.iter().filter(|id| !seen.contains_key(**id)).count();
        let twice = seen.values().filter(|n| **n > 1).count();
        lost = lost.max(missing);
        duplicated = duplicated.max(twice);
        if missing > 0 || twice > 0 {
            problems.push(format!("{name}: {missing} missing, {twice} twice"));
        }
    }
    // Two posts with one text would be one key answered twice.
    let texts: std::collections::HashSet<&String> = acked.values().map(|(_, t)| t).collect();
    if texts.len() != acked.len() {
        duplicated = duplicated.max(acked.len() - texts.len());
        problems.push("a text acknowledged under two keys".into());
    }
    (lost, duplicated, problems)
}

async fn drill(mode: &str, env: Vec<(String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server {
        env,
        data_dir: dir.path().join("data"),
        bind: format!("127.0.0.1:{}", free_port()),
        child: None,
        log: dir.path().join("riffle.log"),
    };
    let client = reqwest::Client::new();
    server.start();
    server.ready(&client).await;
    let base = server.base();

    let mut authors = Vec::new();
    for n in 0..WRITERS {
        authors.push(sign_up(&client, &base, &format!("writer_{n}")).await);
    }
    let follower = sign_up(&client, &base, "follower").await;
    for (id, _) in &authors {
        let followed =
            client.put(format!("{base}/api/v1/users/{id}/follow")).bearer_auth(&follower.1).send().await.unwrap();
        assert_eq!(followed.status(), StatusCode::NO_CONTENT);
    }
    // The follower reads home once, so fan-out counts it active.
    client.get(format!("{base}/api/v1/timelines/home")).bearer_auth(&follower.1).send().await.unwrap();
    // A clean stop leaves a timeline snapshot behind, which every start after a kill must distrust.
    client
        .post(format!("{base}/api/v1/posts"))
        .bearer_auth(&authors[0].1)
        .json(&json!({ "text": "before" }))
        .send()
        .await
        .unwrap();
    server.stop();
    server.start();
    server.ready(&client).await;

    let stop = Arc::new(AtomicBool::new(false));
    let acked: Acknowledged = Arc::default();
    let writers: Vec<_> = authors
        .iter()
        .enumerate()
        .map(|(n, (_, token))| {
            tokio::spawn(write(client.clone(), base.clone(), token.clone(), n, Arc::clone(&stop), Arc::clone(&acked)))
        })
        .collect();
    let mut last_restart = Instant::now();
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.kill();
        server.start();
        server.ready(&client).await;
        last_restart = Instant::now();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 50, "the writers got through: {}", acked.len());

    let (lost, duplicated, converged) = loop {
        let (lost, duplicated, problems) = check(&client, &base, &acked, &authors, &follower).await;
        if problems.is_empty() {
            break (lost, duplicated, last_restart.elapsed());
        }
        assert!(
            last_restart.elapsed() < CONVERGE_WITHIN,
            "{mode}: not in place {CONVERGE_WITHIN:?} after the last restart: {problems:?}\nlog:\n{}",
            server.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Every key, retried, answers with the post it made.
    for (key, (id, text)) in &acked {
        let token = &authors[text.split(' ').nth(1).unwrap().parse::<usize>().unwrap()].1;
        let again = client
            .post(format!("{base}/api/v1/posts"))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&json!({ "text": text }))
            .send()
            .await
            .unwrap();
        assert!(again.status().is_success(), "{key}: {}", again.status());
        let post: Value = again.json().await.unwrap();
        assert_eq!(post["id"].as_str(), Some(id.as_str()), "a retried key answers with its post");
    }
    println!(
        "crash drill ({mode}): {} posts acknowledged by {WRITERS} writers through {KILLS} SIGKILLs; lost {lost}, \
         duplicated {duplicated}; every stream complete {:.2} s after the last restart",
        acked.len(),
        converged.as_secs_f64()
    );
    assert_eq!((lost, duplicated), (0, 0));
}

fn base_env() -> Vec<(String, String)> {
    [
        ("RIFFLE_AUTH__CONFIRM_EMAIL", "false"),
        ("RIFFLE_HTTP__RATE_LIMIT_PER_SECOND", "0"),
        ("RIFFLE_LOG__LEVEL", "info"),
        ("RIFFLE_MAIL__URL", "log:"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_three_times_on_the_embedded_defaults_nothing_acknowledged_is_lost_or_doubled() {
    drill("embedded", base_env()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_three_times_on_postgres_nats_redis_and_s3_nothing_acknowledged_is_lost_or_doubled() {
    let (Some(postgres), Some(nats), Some(redis), Some(s3)) = (
        backend_url("RIFFLE_TEST_POSTGRES_URL"),
        backend_url("RIFFLE_TEST_NATS_URL"),
        backend_url("RIFFLE_TEST_REDIS_URL"),
        backend_url("RIFFLE_TEST_S3_URL"),
    ) else {
        return;
    };
    let mut env = base_env();
    env.extend(
        [
            ("RIFFLE_DATABASE__URL", fresh_postgres_database(&postgres).await),
            ("RIFFLE_EVENTS__URL", nats),
            ("RIFFLE_EVENTS__STREAM", format!("T{}", uuid::Uuid::new_v4().simple())),
            ("RIFFLE_TIMELINES__URL", redis),
            ("RIFFLE_TIMELINES__KEY_PREFIX", format!("drill:{}:", uuid::Uuid::new_v4().simple())),
            ("RIFFLE_MEDIA__URL", s3),
            ("RIFFLE_MEDIA__S3_ACCESS_KEY_ID", std::env::var("RIFFLE_TEST_S3_KEY_ID").unwrap_or_default()),
            ("RIFFLE_MEDIA__S3_SECRET_ACCESS_KEY", std::env::var("RIFFLE_TEST_S3_SECRET").unwrap_or_default()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    drill("PostgreSQL + NATS + Redis + S3", env).await;
}
