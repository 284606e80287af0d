//! The web app: Riffle in a browser. Pages are rendered on the server with compiled templates
//! (maud) and work without JavaScript; a small script of our own adds infinite scroll, live
//! "new posts", upload progress, drafts and keyboard shortcuts on top.
//!
//! The web app owns no data and decides no rule: every page is built from Riffle's public API,
//! called as the visitor (their own access token, kept in an `HttpOnly` cookie) over HTTP, so
//! the same rules hold in the browser as for any client, and the web app runs in a process of
//! its own as well as beside the other services.
//!
//! # Layout
//! * `config`: the `[web]` section.
//! * `domain`: the API client, the visitor's session and form token, the languages, and the
//!   view models the API's answers are read into.
//! * `views`: the templates (layout, posts, forms, the API reference). Pure functions of their
//!   input to HTML; everything user-written is escaped by maud, and links in posts carry
//!   `rel="nofollow noopener ugc"`.
//! * `api`: the HTTP handlers: read the visitor, call the API, render or redirect; the one place
//!   where an API problem becomes a page.
//! * `assets/`: the stylesheet and the script, compiled in.
//!
//! Dependencies point down: `api` → `views` → `domain`.
//!
//! **Invariants:** every form post carries the visitor's form token and is refused without it;
//! no page has inline script (the Content-Security-Policy forbids it); a redirect target comes
//! from our own paths only.

mod api;
pub mod config;
mod domain;
mod views;

use std::sync::Arc;

use platform::{Mounted, Runtime, http::TokenVerifier};

pub use crate::config::WebConfig;

pub const NAME: &str = "web";

/// What the handlers share.
pub(crate) struct Web {
    api: domain::client::Api,
    verifier: Arc<TokenVerifier>,
    /// Cookies are `Secure` when the public URL is https.
    secure: bool,
    renewals: domain::session::Renewals,
    /// Composer forms already posted, by their idempotency key: a second submit of the same
    /// form (a double click, a reload) goes where the first went without uploading its files
    /// again (new uploads would make the API see a different request under the same key).
    submitted: std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, String)>>,
    /// The whole API's OpenAPI document, for `/docs`.
    reference: views::reference::Reference,
}

/// How long a submitted composer form is remembered.
const SUBMITTED_FOR: std::time::Duration = std::time::Duration::from_secs(600);

impl Web {
    /// Where the composer form with this idempotency key went, if it was posted lately.
    fn already_posted(&self, key: &str) -> Option<String> {
        let submitted = self.submitted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        submitted.get(key).filter(|(at, _)| at.elapsed() < SUBMITTED_FOR).map(|(_, to)| to.clone())
    }

    fn posted(&self, key: &str, to: &str) {
        let mut submitted = self.submitted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        submitted.retain(|_, (at, _)| at.elapsed() < SUBMITTED_FOR);
        submitted.insert(key.to_owned(), (std::time::Instant::now(), to.to_owned()));
    }
}

/// The web app adds no API operation.
pub fn openapi() -> utoipa::openapi::OpenApi {
    utoipa::openapi::OpenApi::default()
}

/// Mounts the pages. `spec` is the OpenAPI document of every service, rendered at `/docs`.
pub fn mount(runtime: &Runtime, config: &WebConfig, spec: serde_json::Value) -> anyhow::Result<Mounted> {
    let api_url = config.api_url.trim_end_matches('/').to_owned();
    let local_router = api_url.is_empty().then(|| Arc::downgrade(&runtime.local_router));
    let local = Arc::clone(&runtime.local_addr);
    let base = move || {
        if api_url.is_empty() { local.get().map(|addr| format!("http://{addr}")) } else { Some(api_url.clone()) }
    };
    let web = Arc::new(Web {
        api: domain::client::Api::new(base, local_router, runtime.verifier.internal_token()),
        verifier: Arc::clone(&runtime.verifier),
        secure: runtime.config.public_url.starts_with("https://"),
        renewals: domain::session::Renewals::default(),
        submitted: std::sync::Mutex::default(),
        reference: views::reference::Reference::new(spec),
    });
    Ok(Mounted {
        name: NAME,
        routes: api::routes(web),
        probes: Vec::new(),
        relay: None,
        subscriptions: Vec::new(),
        background: Vec::new(),
        database: None,
    })
}
