//! The crawler's HTTP client against a fixture server that misbehaves in every way the open web
//! does: validators and 304s, permanent and temporary redirects, redirects into internal
//! networks, 410 and 429, a slow server, an endless body, a gzip bomb, and names that resolve
//! to private addresses (through a stubbed resolver).

use std::{collections::HashMap, io::Write, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use crawler::{
    CrawlerConfig,
    fetch::{
        FetchError, Fetcher, Validators,
        guard::{HostResolver, SAMPLE_INTERNAL, internal_range},
    },
};
use futures::future::BoxFuture;
use url::Url;

const FEED: &str = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";

async fn conditional(headers: HeaderMap) -> Response {
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"v1\"") {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    ([(header::ETAG, "\"v1\""), (header::LAST_MODIFIED, "Wed, 02 Dec 2026 10:00:00 GMT")], FEED).into_response()
}

async fn modified(headers: HeaderMap) -> Response {
    const AT: &str = "Wed, 02 Dec 2026 10:00:00 GMT";
    if headers.get(header::IF_MODIFIED_SINCE).is_some_and(|v| v == AT) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    ([(header::LAST_MODIFIED, AT)], FEED).into_response()
}

fn gzip_bomb() -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..64 {
        encoder.write_all(&zeros).unwrap();
    }
    encoder.finish().unwrap()
}

async fn server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let bomb = gzip_bomb();
    let app =
        Router::new()
            .route("/feed", get(|| async { FEED }))
            .route("/conditional", get(conditional))
            .route("/modified", get(modified))
            .route("/moved", get(|| async { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/feed")]) }))
            .route("/moved-twice", get(|| async { (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, "/moved")]) }))
            .route("/found", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/feed")]) }))
            .route("/loop", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop")]) }))
            .route(
                "/to-internal",
                get(|| async { (StatusCode::FOUND, [(header::LOCATION, "http://127.0.0.2:9/feed")]) }),
            )
            .route(
                "/to-metadata",
                get(|| async { (StatusCode::FOUND, [(header::LOCATION, "http://169.254.169.254/")]) }),
            )
            .route("/gone", get(|| async { StatusCode::GONE }))
            .route("/busy", get(|| async { (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "7200")]) }))
            .route("/cached", get(|| async { ([(header::CACHE_CONTROL, "max-age=3600")], FEED) }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    FEED
                }),
            )
            .route(
                "/endless",
                get(|| async {
                    let chunks = futures::stream::repeat_with(|| {
                        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'x'; 64 * 1024]))
                    });
                    Body::from_stream(chunks)
                }),
            )
            .route(
                "/bomb",
                get(move || {
                    let bomb = bomb.clone();
                    async move {
                        ([(header::CONTENT_ENCODING, "gzip"), (header::CONTENT_TYPE, "application/rss+xml")], bomb)
                    }
                }),
            );
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Names as a test wants them resolved.
struct Stub(HashMap<&'static str, Vec<SocketAddr>>);

impl HostResolver for Stub {
    fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<SocketAddr>>> {
        let found = self.0.get(host.as_str()).cloned();
        Box::pin(async move { found.ok_or_else(|| std::io::Error::other(format!("{host}: no such host"))) })
    }
}

fn fetcher(addr: SocketAddr) -> Fetcher {
    let config = CrawlerConfig {
        allow_hosts: vec![addr.to_string(), "fixture.test".into()],
        timeout_secs: 2,
        max_body_bytes: 1024 * 1024,
        ..CrawlerConfig::default()
    };
    let stub = Stub(HashMap::from([
        ("fixture.test", vec![addr]),
        ("evil.test", vec![SocketAddr::from(([10, 0, 0, 1], addr.port()))]),
        ("rebind.test", vec![SocketAddr::from(([127, 0, 0, 1], addr.port()))]),
    ]));
    Fetcher::new(&config, "https://riffle.example", Arc::new(stub)).unwrap()
}

fn at(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

#[tokio::test]
async fn validators_make_a_304_and_redirects_say_where_a_feed_moved() {
    let addr = server().await;
    let fetcher = fetcher(addr);
    let first = fetcher.get(&at(addr, "/conditional"), &Validators::default()).await.unwrap();
    assert_eq!(first.body.as_deref(), Some(FEED.as_bytes()));
    assert_eq!(first.validators.etag.as_deref(), Some("\"v1\""));
    let again = fetcher.get(&at(addr, "/conditional"), &first.validators).await.unwrap();
    assert!(again.body.is_none(), "304: nothing to parse");
    let dated = fetcher.get(&at(addr, "/modified"), &Validators::default()).await.unwrap();
    assert_eq!(dated.validators.etag, None);
    let again = fetcher.get(&at(addr, "/modified"), &dated.validators).await.unwrap();
    assert!(again.body.is_none(), "Last-Modified alone makes a 304 too");

    let moved = fetcher.get(&at(addr, "/moved-twice"), &Validators::default()).await.unwrap();
    assert_eq!(moved.moved_to, Some(at(addr, "/feed")), "308 then 301: the feed lives at /feed now");
    let found = fetcher.get(&at(addr, "/found"), &Validators::default()).await.unwrap();
    assert_eq!((found.url, found.moved_to), (at(addr, "/feed"), None), "a 302 is followed but not remembered");
    let cached = fetcher.get(&at(addr, "/cached"), &Validators::default()).await.unwrap();
    assert_eq!(cached.hint, Some(Duration::from_secs(3600)));
    assert!(matches!(
        fetcher.get(&at(addr, "/loop"), &Validators::default()).await,
        Err(FetchError::TooManyRedirects(5))
    ));
}

#[tokio::test]
async fn servers_that_misbehave_are_errors_with_reasons() {
    let addr = server().await;
    let fetcher = fetcher(addr);
    let get = |path: &'static str| {
        let fetcher = fetcher.clone();
        async move { fetcher.get(&at(addr, path), &Validators::default()).await.unwrap_err() }
    };
    assert!(matches!(get("/gone").await, FetchError::Gone));
    let busy = get("/busy").await;
    assert_eq!(busy.retry_after(), Some(Duration::from_secs(7200)));
    assert!(matches!(get("/slow").await, FetchError::Timeout(2)));
    assert!(matches!(get("/endless").await, FetchError::TooLarge(_)), "the body cap holds");
    assert!(matches!(get("/bomb").await, FetchError::TooLarge(_)), "64 MiB of zeros in 64 KiB of gzip");
}

#[tokio::test]
async fn internal_addresses_are_refused_on_every_hop() {
    let addr = server().await;
    let fetcher = fetcher(addr);
    let refused = |result: Result<_, FetchError>| match result {
        Err(FetchError::Refused(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let why = refused(fetcher.get(&at(addr, "/to-internal"), &Validators::default()).await);
    assert!(why.contains("127.0.0.2") && why.contains("loopback"), "{why}");
    let why = refused(fetcher.get(&at(addr, "/to-metadata"), &Validators::default()).await);
    assert!(why.contains("link-local"), "{why}");
    let evil = Url::parse(&format!("http://evil.test:{}/feed", addr.port())).unwrap();
    let why = refused(fetcher.get(&evil, &Validators::default()).await);
    assert!(why.contains("10.0.0.1") && why.contains("private"), "{why}");
    let rebind = Url::parse(&format!("http://rebind.test:{}/feed", addr.port())).unwrap();
    assert!(refused(fetcher.get(&rebind, &Validators::default()).await).contains("loopback"));
    let allowed = Url::parse(&format!("http://fixture.test:{}/feed", addr.port())).unwrap();
    assert!(fetcher.get(&allowed, &Validators::default()).await.is_ok(), "an allowed name gets through");
    for ip in SAMPLE_INTERNAL {
        let host = if ip.is_ipv6() { format!("[{ip}]") } else { ip.to_string() };
        // Another port than the allowed fixture's.
        let url = Url::parse(&format!("http://{host}:{}/feed", addr.port() + 1)).unwrap();
        let why = refused(fetcher.get(&url, &Validators::default()).await);
        assert!(why.contains(internal_range(*ip).unwrap()), "{ip}: {why}");
    }
}
