//! The web app's only way to the data: Riffle's public API, as the visitor (their access token)
//! and for their address (vouched for with the internal token, so per-address limits count the
//! visitor, not the web app). The API decides every rule; a page shows what it answers,
//! including its problems.
//!
//! With the API in another process the calls are HTTP. With the API in this process they are
//! the same requests handed to the process's own router: every layer and rule applies as over
//! HTTP, without the socket, the connection pool and the parsing on both sides.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, RwLock, Weak},
    time::Duration,
};

use axum::extract::ConnectInfo;
use tower::ServiceExt;

use platform::http::client_ip::{FORWARDED_CLIENT, FORWARDING_SERVICE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::{Serialize, de::DeserializeOwned};

/// What the API said when it did not do what was asked: its status and problem.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status}: {title}{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
pub struct ApiProblem {
    pub status: StatusCode,
    pub title: String,
    pub detail: Option<String>,
    /// Field errors, `field: message`.
    pub errors: Vec<(String, String)>,
}

impl ApiProblem {
    fn unreachable(error: &reqwest::Error) -> Self {
        Self {
            status: StatusCode::BAD_GATEWAY,
            title: "the API did not answer".into(),
            detail: Some(error.to_string()),
            errors: Vec::new(),
        }
    }

    /// The most specific thing to tell the visitor.
    pub fn message(&self) -> String {
        let fields = self.errors.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; ");
        match (&self.detail, fields.is_empty()) {
            (_, false) => fields,
            (Some(detail), true) => detail.clone(),
            (None, true) => self.title.clone(),
        }
    }
}

/// Where the API is and how to present the web app to it.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: Arc<dyn Fn() -> Option<String> + Send + Sync>,
    /// This process's router, when the API is served by this process. Weak: the router holds
    /// the web app, which holds this; a strong reference would keep every service of a stopped
    /// process (and its database connections) alive.
    local: Option<Weak<RwLock<Option<axum::Router>>>>,
    internal_token: String,
}

/// One visitor's calls: their token (none for visitors who are not signed in) and address.
#[derive(Clone)]
pub struct Caller<'a> {
    api: &'a Api,
    token: Option<&'a str>,
    address: &'a str,
}

impl Api {
    /// `base` yields the API's base URL (it may be known only once the server listens); `local`
    /// is this process's router when the API runs here.
    pub fn new(
        base: impl Fn() -> Option<String> + Send + Sync + 'static,
        local: Option<Weak<RwLock<Option<axum::Router>>>>,
        internal_token: &str,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .pool_max_idle_per_host(256)
            .build()
            .expect("TLS backend initializes");
        Self { http, base: Arc::new(base), local, internal_token: internal_token.to_owned() }
    }

    pub fn caller<'a>(&'a self, token: Option<&'a str>, address: &'a str) -> Caller<'a> {
        Caller { api: self, token, address }
    }

    pub fn base(&self) -> Option<String> {
        (self.base)()
    }

    fn router(&self) -> Option<axum::Router> {
        self.local.as_ref()?.upgrade()?.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl Caller<'_> {
    /// A request to `path` (which starts with `/`), as this caller.
    pub fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, ApiProblem> {
        let base = self.api.base().ok_or_else(|| ApiProblem {
            status: StatusCode::SERVICE_UNAVAILABLE,
            title: "the API is not listening yet".into(),
            detail: None,
            errors: Vec::new(),
        })?;
        let mut request = self.api.http.request(method, format!("{base}{path}"));
        if let Some(token) = self.token {
            request = request.bearer_auth(token);
        }
        if !self.address.is_empty() {
            request =
                request.header(FORWARDED_CLIENT, self.address).header(FORWARDING_SERVICE, &self.api.internal_token);
        }
        // The API's spans join the page's trace.
        let mut trace = http::HeaderMap::new();
        platform::trace_context::inject(&mut trace);
        Ok(request.headers(trace))
    }

    /// Sends a request and reads a JSON answer.
    pub async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ApiProblem> {
        let response = self.send_raw(request).await?;
        if response.status() == StatusCode::NO_CONTENT {
            return serde_json::from_value(serde_json::Value::Null).map_err(|e| decode_problem(&e));
        }
        response.json().await.map_err(|e| decode_problem(&e))
    }

    /// Sends a request and hands back a successful answer as it is (media, live streams).
    pub async fn send_raw(&self, request: RequestBuilder) -> Result<reqwest::Response, ApiProblem> {
        let response = match self.api.router() {
            Some(router) => self.in_process(router, request).await?,
            None => request.send().await.map_err(|e| ApiProblem::unreachable(&e))?,
        };
        if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
            return Ok(response);
        }
        Err(problem_of(response).await)
    }

    /// The request through this process's router, as if it had come from the visitor's address.
    async fn in_process(&self, router: axum::Router, request: RequestBuilder) -> Result<reqwest::Response, ApiProblem> {
        let request = request.build().map_err(|e| ApiProblem::unreachable(&e))?;
        let request: http::Request<reqwest::Body> = request.try_into().map_err(|e| ApiProblem::unreachable(&e))?;
        let (mut parts, body) = request.into_parts();
        if let Ok(ip) = self.address.parse::<IpAddr>() {
            parts.extensions.insert(ConnectInfo(SocketAddr::new(ip, 0)));
        }
        let request = http::Request::from_parts(parts, axum::body::Body::new(body));
        let Ok(response) = router.oneshot(request).await;
        let (parts, body) = response.into_parts();
        let body = reqwest::Body::wrap_stream(body.into_data_stream());
        Ok(reqwest::Response::from(http::Response::from_parts(parts, body)))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiProblem> {
        self.send(self.request(Method::GET, path)?).await
    }

    /// A method with a JSON body.
    pub async fn with_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ApiProblem> {
        self.send(self.request(method, path)?.json(body)).await
    }

    /// A method with a JSON body, whose answer is not needed.
    pub async fn act_with_json(&self, method: Method, path: &str, body: &impl Serialize) -> Result<(), ApiProblem> {
        self.send_raw(self.request(method, path)?.json(body)).await.map(drop)
    }

    /// A method without a body, whose answer is not needed.
    pub async fn act(&self, method: Method, path: &str) -> Result<(), ApiProblem> {
        self.send_raw(self.request(method, path)?).await.map(drop)
    }
}

fn decode_problem(error: &dyn std::fmt::Display) -> ApiProblem {
    ApiProblem {
        status: StatusCode::BAD_GATEWAY,
        title: "the API's answer could not be read".into(),
        detail: Some(error.to_string()),
        errors: Vec::new(),
    }
}

async fn problem_of(response: reqwest::Response) -> ApiProblem {
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let text = |key: &str| body.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let errors = body
        .get("errors")
        .and_then(|e| e.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|e| Some((e.get("field")?.as_str()?.to_owned(), e.get("message")?.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    ApiProblem {
        status,
        title: text("title").unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned()),
        detail: text("detail"),
        errors,
    }
}

/// Percent-encodes one path segment or query value.
pub fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}
