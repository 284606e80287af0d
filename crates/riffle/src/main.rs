//! `riffle`: parses the command line, loads the configuration, and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use figment::{Figment, providers::Serialized};
use riffle::{
    Settings,
    app::{self, Application},
    cli::{AdminCommand, Cli, Command, CrawlCommand, EventsCommand, SearchCommand},
    services,
};

/// mimalloc: the crawler's parsing and the feeds' fan-out allocate many small, short-lived
/// objects, which it serves faster than the system allocator (`docs/benchmarks.md`, crawler).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut flags = Figment::new();
    if let Command::Serve { bind, data_dir, .. } = &cli.command {
        if let Some(bind) = bind {
            flags = flags.merge(Serialized::default("bind", bind));
        }
        if let Some(dir) = data_dir {
            flags = flags.merge(Serialized::default("data_dir", dir));
        }
    }
    let config = match Settings::load(cli.config.as_deref(), flags) {
        Ok(config) => config,
        Err(err) => return fail(&err),
    };
    match cli.command {
        Command::Config => {
            print!("{}", config.to_redacted_toml());
            ExitCode::SUCCESS
        }
        Command::Targets => {
            print!("{}", services::describe());
            ExitCode::SUCCESS
        }
        Command::Probe { url } => {
            let url = url.unwrap_or_else(|| format!("http://127.0.0.1:{}/healthz", config.bind.port()));
            run(1, async move {
                let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(3)).build()?;
                let status = client.get(&url).send().await?.status();
                anyhow::ensure!(status.is_success(), "{url} answered {status}");
                Ok(())
            })
        }
        Command::Openapi { target } => match services::resolve(&target) {
            Ok(services) => {
                println!("{}", services::openapi(&services).to_pretty_json().expect("spec serializes"));
                ExitCode::SUCCESS
            }
            Err(err) => fail(&err),
        },
        Command::Migrate { target } => {
            let services = match services::resolve(&target) {
                Ok(services) => services,
                Err(err) => return fail(&err),
            };
            platform::telemetry::init(&config.log);
            run(config.worker_threads(), app::migrate(config, &services))
        }
        Command::Events { command: EventsCommand::DeadLetters { target, replay, event } } => {
            let services = match services::resolve(&target) {
                Ok(services) => services,
                Err(err) => return fail(&err),
            };
            run(config.worker_threads(), async move {
                print!("{}", app::dead_letters(&config, &services, replay, event).await?);
                Ok(())
            })
        }
        Command::Admin { command: AdminCommand::CreateUser { username, email, role } } => {
            let password = match std::env::var("RIFFLE_ADMIN_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    let mut line = String::new();
                    if std::io::stdin().read_line(&mut line).is_err() {
                        return fail(&"cannot read the password from standard input");
                    }
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let role = platform::Role::parse(&role).expect("clap checked the role");
            platform::telemetry::init(&config.log);
            run(config.worker_threads(), async move {
                let runtime = platform::Runtime::new(std::sync::Arc::new(config.process), Default::default()).await?;
                let id = identity::create_user(&runtime, &username, &email, &password, role).await?;
                println!("created {} {username} ({id})", role.as_str());
                Ok(())
            })
        }
        Command::Crawl { command: CrawlCommand::Seed { opml } } => {
            platform::telemetry::init(&config.log);
            run(config.worker_threads(), async move {
                let runtime =
                    platform::Runtime::new(std::sync::Arc::new(config.process.clone()), Default::default()).await?;
                let bar = indicatif::ProgressBar::new(0).with_style(
                    indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} sources  {wide_msg}")
                        .expect("a valid template"),
                );
                let (done, failed) = crawler::seed::run(&runtime, &config.crawler, &opml, |progress| {
                    bar.set_length(progress.total as u64);
                    bar.set_position(progress.done as u64);
                    match progress.error {
                        Some(error) => bar.println(format!("{}: {error}", progress.url)),
                        None => bar.set_message(progress.url.to_owned()),
                    }
                })
                .await?;
                bar.finish_and_clear();
                println!("{done} sources fetched, {failed} failed; `riffle serve` publishes their posts");
                Ok(())
            })
        }
        Command::Search { command: SearchCommand::Reindex { url, token } } => {
            let url = url.unwrap_or_else(|| config.public_url.clone());
            let Some(token) = token.or_else(|| Some(config.auth.internal_token.clone()).filter(|t| !t.is_empty()))
            else {
                return fail(&"give an admin's access token with --token or RIFFLE_TOKEN (or set auth.internal_token)");
            };
            run(config.worker_threads(), async move {
                let bar = indicatif::ProgressBar::new(0).with_style(
                    indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} posts  {per_sec}  {eta}")
                        .expect("a valid template"),
                );
                let done = search::remote::reindex(&url, &token, |progress| {
                    bar.set_length(progress.total.unwrap_or(progress.posts).max(progress.posts));
                    bar.set_position(progress.posts);
                })
                .await;
                bar.finish_and_clear();
                let done = done?;
                println!("search index rebuilt: {} posts", done.posts);
                Ok(())
            })
        }
        Command::Serve { target, .. } => {
            let services = match services::resolve(&target) {
                Ok(services) => services,
                Err(err) => return fail(&err),
            };
            platform::telemetry::init(&config.log);
            let service_name = services::trace_name(&config.telemetry, &services);
            let _spans = match platform::telemetry::export_traces(&config.telemetry, &service_name) {
                Ok(guard) => guard,
                Err(err) => return fail(&format!("{err:#}")),
            };
            run(config.worker_threads(), async move {
                let application = Application::build(config, &services).await?;
                application.run_until_stopped(shutdown_signal()).await
            })
        }
    }
}

/// Runs `work` on a runtime with `workers` threads; an error becomes one line on stderr.
fn run(workers: usize, work: impl Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build();
    match runtime.map_err(anyhow::Error::from).and_then(|rt| rt.block_on(work)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&format!("{err:#}")),
    }
}

fn fail(err: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("riffle: {err}");
    ExitCode::FAILURE
}

/// Completes on SIGTERM or ctrl-c.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
