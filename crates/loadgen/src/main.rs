//! `riffle-bench`: builds a synthetic social network through the feed service's domain layer,
//! starts Riffle on it in this process (the server on its own threads), and drives HTTP load
//! against it, reporting throughput and latency percentiles from HdrHistogram.
//!
//! * `network`: the generated network (power-law followers, a celebrity, returning users).
//! * `seed`: writing it into the feed's read model and timelines, timing the fan-out.
//! * `load`: the closed-loop HTTP driver.
//! * `workloads`: what is measured, one function each.

mod load;
mod network;
mod seed;
mod workloads;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Instant};

use clap::Parser;
use figment::Figment;
use riffle::Settings;

/// The server in here allocates as `riffle` does (the load generator's side along with it).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Builds a synthetic social network, serves it with Riffle in this process, and measures the
/// feed under load. Results print as Markdown, ready for docs/benchmarks.md.
#[derive(Debug, Parser)]
#[command(name = "riffle-bench", version, about)]
struct Args {
    /// Users in the network (before --scale).
    #[arg(long, default_value_t = 100_000)]
    users: usize,
    /// Average follows per user.
    #[arg(long, default_value_t = 100)]
    follows: usize,
    /// Posts in the network (before --scale), spread over the last 7 days.
    #[arg(long, default_value_t = 1_000_000)]
    posts: usize,
    /// Multiplies users and posts: 0.1 builds a tenth of the default network.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Returning users, who follow 1,000 accounts and last read 60 days ago.
    #[arg(long, default_value_t = 20)]
    returning: usize,
    /// Concurrent connections of the load workloads.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds each load workload is measured, after a 2-second warm-up.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Comma-separated: healthz, home, public, returning, celebrity, tiers, post, mixed,
    /// search-word, search-phrase, search-filtered, notifications-page, notifications-big,
    /// notifications-live, web-home; or all.
    #[arg(long, default_value = "all")]
    workloads: String,
    /// Timeline store: empty for the embedded engine, or a Redis URL. The Redis database is
    /// flushed first: give it one of its own.
    #[arg(long, default_value = "")]
    timelines: String,
    /// Data directory (default: a fresh temporary directory, removed at the end). A directory
    /// seeded earlier with the same network is reused without seeding again.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Worker threads of the server (default: one per core).
    #[arg(long, default_value_t = 0)]
    server_threads: usize,
    /// Synthetic posts in the search index of the search workloads.
    #[arg(long, default_value_t = 1_000_000)]
    search_posts: u64,
    /// Seed of the generated network.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Configuration file, as for `riffle serve` (RIFFLE_* variables apply too).
    #[arg(long, short)]
    config: Option<PathBuf>,
}

const ALL: [&str; 15] = [
    "healthz",
    "home",
    "public",
    "returning",
    "celebrity",
    "tiers",
    "post",
    "mixed",
    "search-word",
    "search-phrase",
    "search-filtered",
    "notifications-page",
    "notifications-big",
    "notifications-live",
    "web-home",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let chosen: Vec<&str> = if args.workloads == "all" { ALL.to_vec() } else { args.workloads.split(',').collect() };
    if let Some(unknown) = chosen.iter().find(|w| !ALL.contains(w)) {
        anyhow::bail!("unknown workload {unknown}; choose from {}", ALL.join(", "));
    }
    let temp = tempfile::tempdir()?;
    let mut config = Settings::load(args.config.as_deref(), Figment::new())?;
    config.data_dir = args.data_dir.clone().unwrap_or_else(|| temp.path().to_owned());
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    config.http.rate_limit_per_second = 0;
    config.log.level = "warn".to_owned();
    config.timelines.url = args.timelines.clone();
    platform::telemetry::init(&config.log);
    let reusing = args.data_dir.as_ref().is_some_and(|dir| dir.join("riffle-bench.seeded").exists());
    if !config.timelines.url.is_empty() && !reusing {
        let client = redis::Client::open(config.timelines.url.as_str())?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("FLUSHDB").query_async::<()>(&mut connection).await?;
    }

    let now_ms = platform::db::now_ms();
    let spec = network::Spec {
        users: ((args.users as f64 * args.scale) as usize).max(2),
        follows: args.follows,
        posts: (args.posts as f64 * args.scale) as usize,
        returning: args.returning,
        returning_follows: 1000,
        days: 7,
        now_ms: now_ms as u64,
        seed: args.seed,
    };
    let started = Instant::now();
    let network = network::generate(&spec);
    let edges: usize = network.following.iter().map(Vec::len).sum();
    println!(
        "# riffle-bench\n\nnetwork: {} users, {edges} follows, {} posts (generated in {:.1} s); timelines: {}; database: {}",
        spec.users,
        spec.posts,
        started.elapsed().as_secs_f64(),
        if config.timelines.url.is_empty() { "embedded" } else { "redis" },
        if config.database.url.is_empty() { "sqlite" } else { "configured" },
    );
    let config = Arc::new(config);
    let runtime = platform::Runtime::new(Arc::new(config.process.clone()), Default::default()).await?;
    // A data directory seeded with the same network before is used as it is (`--data-dir`).
    let marker = config.data_dir.join("riffle-bench.seeded");
    let fingerprint = format!(
        "users {} follows {} posts {} returning {} seed {} timelines {}",
        spec.users, spec.follows, spec.posts, spec.returning, spec.seed, config.timelines.url
    );
    if std::fs::read_to_string(&marker).is_ok_and(|seeded| seeded == fingerprint) {
        println!("reusing the network seeded earlier in {}", config.data_dir.display());
    } else {
        let seeded = seed::seed(&runtime, &config.timelines, &network, now_ms).await?;
        println!(
            "seeded in {:.1} s; fan-out: {} home inserts in {:.2} s = {:.0} inserts/s; {} accounts above the push threshold",
            seeded.seconds,
            seeded.fanout_inserts,
            seeded.fanout_seconds,
            seeded.fanout_inserts as f64 / seeded.fanout_seconds,
            seeded.pulled_authors,
        );
        std::fs::write(&marker, &fingerprint)?;
    }
    let users = workloads::Users::sign(&runtime, &network, args.seed).await?;
    if chosen.iter().any(|w| *w == "notifications-page" || *w == "notifications-big") {
        let (recorded, seconds) =
            seed::notifications(&runtime, &config.notifications, &network, &users.reader_ids, now_ms, args.seed)
                .await?;
        println!(
            "notifications: {recorded} recorded through the grouping in {seconds:.1} s = {:.0}/s",
            recorded as f64 / seconds
        );
    }
    drop(runtime);
    let searching = chosen.iter().any(|w| w.starts_with("search-"));
    if searching {
        let (dir, posts, seed) = (config.data_dir.clone(), args.search_posts, args.seed);
        match tokio::task::spawn_blocking(move || seed::search_index(&dir, posts, seed)).await?? {
            Some(rate) => println!("search index: {posts} synthetic posts written at {rate:.0} posts/s"),
            None => println!("search index: reusing {posts} synthetic posts"),
        }
    }

    let server = Server::start((*config).clone(), args.server_threads)?;
    let bench = workloads::Bench {
        base: format!("http://{}", server.address),
        load: load::Load {
            connections: args.connections,
            warmup: std::time::Duration::from_secs(2),
            duration: std::time::Duration::from_secs(args.duration),
        },
        users,
        seed: args.seed,
        healthz: Default::default(),
    };
    println!("\n| workload | result |\n|---|---|");
    for workload in chosen {
        let line = match workload {
            "healthz" => bench.healthz().await,
            "home" => bench.home().await,
            "public" => bench.public().await,
            "returning" => bench.returning().await?,
            "celebrity" => bench.celebrity().await?,
            "tiers" => bench.tiers().await?,
            "post" => bench.post().await,
            "mixed" => bench.mixed().await?,
            "search-word" => bench.search("word").await,
            "search-phrase" => bench.search("phrase").await,
            "search-filtered" => bench.search("filtered").await,
            "notifications-page" => bench.notifications_page().await,
            "notifications-big" => bench.notifications_big().await?,
            "notifications-live" => bench.notifications_live().await?,
            "web-home" => bench.web_home().await?,
            _ => unreachable!("checked above"),
        };
        println!("| {workload} | {line} |");
    }
    if searching {
        // The server runs in this process: its resident memory is the service's (all of them).
        println!("\nresident memory of the process after the search workloads: {:.0} MB", resident_mb());
    }
    server.stop()
}

/// This process's resident set (Linux), in megabytes; 0 where it cannot be read.
fn resident_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Riffle, built from the configuration and served on its own threads.
struct Server {
    address: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<anyhow::Result<()>>,
}

impl Server {
    fn start(config: Settings, threads: usize) -> anyhow::Result<Server> {
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let threads = if threads == 0 { config.worker_threads() } else { threads };
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()?;
            runtime.block_on(async move {
                let services = riffle::services::resolve("all")?;
                let application = riffle::app::Application::build(config, &services).await?;
                let _ = address_tx.send(application.local_addr());
                application
                    .run_until_stopped(async {
                        let _ = stopped.await;
                    })
                    .await
            })
        });
        match address_rx.recv() {
            Ok(address) => Ok(Server { address, stop, thread }),
            Err(_) => Err(thread
                .join()
                .map_err(|_| anyhow::anyhow!("server thread panicked"))?
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("server stopped before it was ready"))),
        }
    }

    fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.thread.join().map_err(|_| anyhow::anyhow!("server thread panicked"))?
    }
}
