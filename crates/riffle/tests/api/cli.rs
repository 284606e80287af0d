//! The `riffle` binary: start-up, failures that must stop it with one clear line, shutdown.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

fn riffle() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_riffle"));
    // Isolate from the developer's environment and any riffle.toml in the working directory.
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("RIFFLE_")) {
        command.env_remove(key);
    }
    command.current_dir(std::env::temp_dir());
    command
}

/// Runs riffle to completion and returns (success, stderr).
fn run(command: &mut Command) -> (bool, String) {
    let output = command.output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Starts `riffle serve` and waits (30 s at most) for its ready line; returns the child and its
/// address.
fn serve(command: &mut Command) -> (Child, String) {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (found, ready) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if let Some(at) = line.find("addr=") {
                let _ = found.send(line[at + 5..].split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    match ready.recv_timeout(Duration::from_secs(30)) {
        Ok(addr) => (child, addr),
        Err(_) => {
            let _ = child.kill();
            panic!("riffle did not report ready within 30 s: {:?}", child.wait());
        }
    }
}

#[test]
fn a_fresh_data_directory_is_created_and_health_answers() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("nested/data");
    let (mut child, addr) = serve(
        riffle().args(["serve", "--bind", "127.0.0.1:0", "--data-dir"]).arg(&data).env("RIFFLE_LOG__FORMAT", "text"),
    );
    let health = reqwest::blocking::get(format!("http://{addr}/healthz")).unwrap();
    assert_eq!(health.status(), 200);
    assert!(data.join("identity.db").exists(), "the embedded database lives under the data directory");
    // The container health check: the binary asks itself.
    let (alive, _) = run(riffle().args(["probe", "--url", &format!("http://{addr}/readyz")]));
    assert!(alive, "riffle probe succeeds against a ready server");
    let (missing, stderr) = run(riffle().args(["probe", "--url", &format!("http://{addr}/no-such-page")]));
    assert!(!missing);
    assert_one_clear_line(&stderr, &["404"]);

    // SIGTERM drains and exits cleanly.
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            panic!("riffle did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One line on stderr, naming what to fix.
fn assert_one_clear_line(stderr: &str, must_contain: &[&str]) {
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("riffle: ")).collect();
    assert_eq!(lines.len(), 1, "exactly one error line in:\n{stderr}");
    for needle in must_contain {
        assert!(lines[0].contains(needle), "{:?} should mention {needle:?}", lines[0]);
    }
}

#[test]
fn a_bad_config_value_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = run(riffle().args(["serve", "--data-dir"]).arg(dir.path()).env("RIFFLE_WORKERS", "many"));
    assert!(!ok);
    assert_one_clear_line(&stderr, &["WORKERS", "usize"]);

    let file = dir.path().join("riffle.toml");
    std::fs::write(&file, "[database]\nurl = \"mysql://localhost/x\"\n").unwrap();
    let (ok, stderr) = run(riffle().arg("--config").arg(&file).arg("serve"));
    assert!(!ok);
    assert_one_clear_line(&stderr, &["database.url", "postgres://"]);

    std::fs::write(&file, "bind = \"0.0.0.0:8000\"\nunknown_key = 1\n").unwrap();
    let (ok, stderr) = run(riffle().arg("--config").arg(&file).arg("serve"));
    assert!(!ok);
    assert_one_clear_line(&stderr, &["unknown_key"]);
}

#[test]
fn an_unreachable_postgres_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = run(riffle()
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("RIFFLE_DATABASE__URL", "postgres://riffle:secret@127.0.0.1:1/riffle"));
    assert!(!ok);
    assert_one_clear_line(&stderr, &["identity.database", "cannot reach PostgreSQL", "127.0.0.1:1"]);
    assert!(!stderr.contains("secret"), "the password is never printed");
}

#[test]
fn a_port_in_use_stops_start_up() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = run(riffle().args(["serve", "--bind", &addr, "--data-dir"]).arg(dir.path()));
    assert!(!ok);
    assert_one_clear_line(&stderr, &["cannot listen on", &addr, "bind"]);
}

#[test]
fn targets_that_do_not_exist_are_refused_by_name() {
    let (ok, stderr) = run(riffle().args(["serve", "--target", "identity,bogus"]));
    assert!(!ok);
    assert_one_clear_line(&stderr, &["bogus"]);
    let listing = riffle().arg("targets").output().unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert!(listing.contains("identity") && listing.contains("all"), "{listing}");
}

#[test]
fn config_prints_the_effective_values_without_secrets() {
    let output = riffle()
        .arg("config")
        .env("RIFFLE_DATABASE__URL", "postgres://riffle:hunter2@db.internal/riffle")
        .env("RIFFLE_HTTP__RATE_LIMIT_PER_SECOND", "7")
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("postgres://riffle:***@db.internal/riffle"), "{text}");
    assert!(!text.contains("hunter2"));
    assert!(text.contains("rate_limit_per_second = 7"), "{text}");
    assert!(text.contains("bind = \"0.0.0.0:8000\""), "the documented default");
}

#[test]
fn the_first_admin_is_created_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = riffle()
        .args(["admin", "create-user", "--username", "first_admin", "--email", "root@example.org"])
        .env("RIFFLE_DATA_DIR", dir.path())
        .env("RIFFLE_ADMIN_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("created admin first_admin"));

    let weak = riffle()
        .args(["admin", "create-user", "--username", "second", "--email", "two@example.org"])
        .env("RIFFLE_DATA_DIR", dir.path())
        .env("RIFFLE_ADMIN_PASSWORD", "password")
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
}

#[test]
fn a_target_whose_needs_are_not_met_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = run(riffle().args(["serve", "--target", "feed", "--data-dir"]).arg(dir.path()));
    assert!(!ok);
    assert_one_clear_line(&stderr, &["feed", "events.url", "nats://"]);
    let (ok, stderr) = run(riffle()
        .args(["serve", "--target", "content,graph", "--data-dir"])
        .arg(dir.path())
        .env("RIFFLE_EVENTS__URL", "nats://127.0.0.1:4222"));
    assert!(!ok);
    assert_one_clear_line(&stderr, &["content", "auth.jwks_url"]);
}

#[tokio::test]
async fn dead_letters_are_listed_and_replayed_from_the_command_line() {
    use platform::events::{Event, dead_letters, outbox};
    let dir = tempfile::tempdir().unwrap();
    let location = platform::config::DatabaseLocation::Sqlite(dir.path().join("feed.db"));
    let db = platform::Db::connect("feed", &location, 2).await.unwrap();
    outbox::install(&db).await.unwrap();
    let event = Event {
        id: uuid::Uuid::now_v7(),
        topic: "content.post.created".into(),
        version: 1,
        occurred_at_ms: 0,
        traceparent: None,
        payload: serde_json::json!({}),
    };
    dead_letters::park(&db, "feed.content", &event, 10, "the timeline store is down").await.unwrap();

    let listing = riffle()
        .args(["events", "dead-letters", "--target", "feed"])
        .env("RIFFLE_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(listing.status.success(), "{}", String::from_utf8_lossy(&listing.stderr));
    let text = String::from_utf8(listing.stdout).unwrap();
    for needle in
        ["feed.content", &event.id.to_string(), "content.post.created", "attempts=10", "the timeline store is down"]
    {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    let replay = riffle()
        .args(["events", "dead-letters", "--target", "feed", "--replay"])
        .env("RIFFLE_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(replay.status.success());
    assert!(String::from_utf8_lossy(&replay.stdout).contains("feed: 1 dead letters to replay"));
    let letters = dead_letters::list(&db).await.unwrap();
    assert!(letters[0].replay_requested, "the running consumer will apply it again");
}
