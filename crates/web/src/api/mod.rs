//! The pages' handlers: each reads the visitor, calls the API as them, and renders a page or
//! redirects (`303 See Other` after every form post). This module owns how an API problem
//! becomes a page, the security headers of every answer, and the compiled-in assets.

mod account;
mod people;
mod proxy;
mod staff;
mod streams;

use std::sync::Arc;

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::Markup;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    Web,
    domain::{client::ApiProblem, i18n::Msg, session::Visitor},
    views::{self, Frame},
};

/// What a handler answers: a page or redirect, or a page that says what went wrong.
pub(crate) type Answer = Result<Response, Shown>;

/// A page that says what went wrong, ready to answer (boxed: it travels through `?`).
pub(crate) struct Shown(Box<Response>);

impl From<Response> for Shown {
    fn from(response: Response) -> Self {
        Self(Box::new(response))
    }
}

impl IntoResponse for Shown {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The pages and their forms. None of them is part of the API's OpenAPI document.
pub fn routes(web: Arc<Web>) -> OpenApiRouter {
    let pages = Router::new()
        .route("/", get(streams::front))
        .route("/home", get(streams::home))
        .route("/public", get(streams::public))
        .route("/for-you", get(streams::for_you))
        .route("/tags/{tag}", get(streams::tag))
        .route("/tags/{tag}/follow", post(streams::follow_tag))
        .route("/tags/{tag}/unfollow", post(streams::unfollow_tag))
        .route("/posts/{id}", get(streams::post_page))
        .route("/posts/{id}/{action}", post(streams::post_action))
        .route("/compose", get(streams::compose_page).post(streams::compose))
        .route("/search", get(streams::search))
        .route("/sign-in", get(account::sign_in_page).post(account::sign_in))
        .route("/sign-up", get(account::sign_up_page).post(account::sign_up))
        .route("/sign-out", post(account::sign_out))
        .route("/confirm", get(account::confirm_page).post(account::confirm))
        .route("/language", post(account::language))
        .route("/settings", get(account::settings))
        .route("/settings/profile", post(account::profile))
        .route("/settings/password", post(account::password))
        .route("/settings/sessions/{id}/revoke", post(account::revoke))
        .route("/sources", get(account::sources).post(account::subscribe))
        .route("/sources/import", post(account::import))
        .route("/sources/export.opml", get(proxy::export_opml))
        .route("/sources/{id}/{action}", post(account::source_action))
        .route("/notifications", get(people::notifications))
        .route("/notifications/read", post(people::mark_read))
        .route("/notifications/{id}/dismiss", post(people::dismiss))
        .route("/users/{id}/{action}", post(people::relationship_action))
        .route("/{handle}", get(people::profile))
        .route("/{handle}/followers", get(people::followers))
        .route("/{handle}/following", get(people::following))
        .route("/moderation", get(staff::moderation))
        .route("/moderation/reports/{id}", post(staff::resolve))
        .route("/admin", get(staff::admin))
        .route("/admin/users/{id}", post(staff::change_role))
        .route("/admin/users/{id}/{action}", post(staff::change_status))
        .route("/media/{id}", get(proxy::media))
        .route("/media/{id}/thumbnail", get(proxy::thumbnail))
        .route("/live/{stream}", get(proxy::live))
        .route("/uploads", post(proxy::tus))
        .route("/uploads/{id}", axum::routing::patch(proxy::tus).head(proxy::tus))
        .route("/docs", get(docs))
        .route("/assets/riffle.css", get(|| async { asset("text/css; charset=utf-8", views::STYLE) }))
        .route("/assets/riffle.js", get(|| async { asset("text/javascript; charset=utf-8", views::SCRIPT) }))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(web);
    OpenApiRouter::from(pages)
}

/// A strict Content-Security-Policy (no inline script, no other origin), no framing, no
/// sniffing, no referrer sent to the sites posts link to.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "strict-origin-when-cross-origin");
    set(headers, "x-frame-options", "DENY");
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], body)
        .into_response()
}

async fn docs(State(web): State<Arc<Web>>, v: Visitor) -> Response {
    let body = maud::html! { div.reference { (web.reference.body()) } };
    render(v, StatusCode::OK, &Frame::titled("API"), body)
}

/// A page, with the visitor's cookies; never cached by shared caches.
pub(crate) fn render(v: Visitor, status: StatusCode, frame: &Frame<'_>, body: Markup) -> Response {
    let page = views::page(&v, frame, body);
    let mut response = (status, [(header::CACHE_CONTROL, "private, no-cache")], page).into_response();
    with_cookies(&v, &mut response);
    response
}

fn with_cookies(v: &Visitor, response: &mut Response) {
    for cookie in &v.cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.encoded().to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

/// `303 See Other` to one of our own paths (anything else goes home: no open redirect).
pub(crate) fn redirect(v: &Visitor, to: &str) -> Response {
    let mut response = Redirect::to(local(to)).into_response();
    with_cookies(v, &mut response);
    response
}

/// `path` if it is a path of this site, else `/`.
pub(crate) fn local(path: &str) -> &str {
    let ours =
        path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") && !path.contains(['\r', '\n']);
    if ours { path } else { "/" }
}

/// The page for an API problem, with the API's status (a failing API shows as 502).
pub(crate) fn problem_page(v: &Visitor, problem: &ApiProblem) -> Response {
    let status = if problem.status.is_client_error() { problem.status } else { StatusCode::BAD_GATEWAY };
    if problem.status == StatusCode::UNAUTHORIZED && v.me.is_none() {
        return redirect(v, "/sign-in");
    }
    let mut response =
        (status, [(header::CACHE_CONTROL, "private, no-cache")], views::problem(v, &problem.message())).into_response();
    with_cookies(v, &mut response);
    response
}

/// Shows an API problem as a page.
pub(crate) trait OrShow<T> {
    fn or_show(self, v: &Visitor) -> Result<T, Shown>;
}

impl<T> OrShow<T> for Result<T, ApiProblem> {
    fn or_show(self, v: &Visitor) -> Result<T, Shown> {
        self.map_err(|problem| problem_page(v, &problem).into())
    }
}

/// The signed-in visitor's token, or the way to sign in and come back.
pub(crate) fn signed_in<'a>(v: &'a Visitor, back: &str) -> Result<&'a str, Shown> {
    v.token()
        .ok_or_else(|| redirect(v, &format!("/sign-in?back={}", crate::domain::client::encode(local(back)))).into())
}

/// The common form post: the form's token, a signed-in visitor, one API call as them, then
/// `303` to `to` (a problem becomes its page).
pub(crate) async fn act_then(
    web: &Web,
    v: &Visitor,
    csrf: &str,
    method: reqwest::Method,
    path: &str,
    to: &str,
) -> Answer {
    check_form(v, csrf)?;
    let token = signed_in(v, to)?;
    web.api.caller(Some(token), &v.address).act(method, path).await.or_show(v)?;
    Ok(redirect(v, to))
}

/// Every form's token and where to go afterwards.
#[derive(Debug, Deserialize)]
pub(crate) struct Action {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub back: Option<String>,
}

/// Refuses a form post that did not come from one of our pages.
pub(crate) fn check_form(v: &Visitor, presented: &str) -> Result<(), Shown> {
    if v.form_is_ours(presented) {
        return Ok(());
    }
    let mut response = (StatusCode::FORBIDDEN, views::problem(v, Msg::SessionExpired.text(v.lang))).into_response();
    with_cookies(v, &mut response);
    Err(response.into())
}

/// The not-found page.
pub(crate) fn not_found(v: Visitor) -> Response {
    let title = Msg::NotFound.text(v.lang);
    render(v, StatusCode::NOT_FOUND, &Frame::titled(title), maud::html! { h1 { (title) } })
}
