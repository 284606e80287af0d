//! The streams (front page, home, public, for you, tag), a post with its thread, the actions on
//! a post, the composer and search.

use std::sync::Arc;

use axum::{
    Form,
    extract::{Multipart, Path, Query, State},
    http::StatusCode,
    response::Response,
};
use maud::html;
use reqwest::Method;
use serde::Deserialize;

use super::{Action, Answer, OrShow, check_form, local, not_found, redirect, render, signed_in};
use crate::{
    Web,
    domain::{
        client::{ApiProblem, Caller, encode},
        i18n::Msg,
        model::{Context, Media, Page, Post, Standing},
        session::Visitor,
    },
    views::{Frame, notices, posts},
};

/// Posts per page of a stream.
const PAGE: usize = 20;

#[derive(Debug, Deserialize)]
pub struct Paging {
    pub cursor: Option<String>,
}

impl Paging {
    /// `?limit=…` and the cursor, for the API.
    pub fn query(&self) -> String {
        match &self.cursor {
            Some(cursor) => format!("?limit={PAGE}&cursor={}", encode(cursor)),
            None => format!("?limit={PAGE}"),
        }
    }
}

/// A page of a stream as `caller` reads it, with each post's counts and the caller's likes
/// (one more call for the whole page, not one per post).
pub(crate) async fn stream_page(caller: &Caller<'_>, path: &str) -> Result<Page<Post>, ApiProblem> {
    let page: Page<Post> = caller.get(path).await?;
    if page.items.is_empty() {
        return Ok(page);
    }
    let standings: Page<Standing> = caller.get(&format!("/api/v1/posts?ids={}", page.ids())).await?;
    Ok(page.with_standings(standings.items))
}

/// `/`: the visitor's home when signed in; else the public stream, the most used tags in it
/// and the way in.
pub async fn front(State(web): State<Arc<Web>>, v: Visitor, paging: Query<Paging>) -> Answer {
    if v.me.is_some() {
        return home(State(web), v, paging).await;
    }
    let caller = web.api.caller(None, &v.address);
    let page = stream_page(&caller, &format!("/api/v1/timelines/public{}", paging.query())).await.or_show(&v)?;
    let t = |m: Msg| m.text(v.lang);
    let body = html! {
        section.welcome {
            h1 { (t(Msg::Welcome)) }
            p { (t(Msg::WelcomeSub)) }
            p { a.button href="/sign-up" { (t(Msg::SignUp)) } " " a href="/sign-in" { (t(Msg::SignIn)) } }
        }
        div.columns {
            div { h2 { (t(Msg::Public)) } (posts::stream(&v, &page, "/", Some("/live/public"))) }
            aside {
                h2 { (t(Msg::Trending)) }
                ol.tags { @for (tag, n) in trending(&page.items) { li { a href={ "/tags/" (encode(&tag)) } { "#" (tag) } " " small { (n) } } } }
            }
        }
    };
    Ok(render(v, StatusCode::OK, &Frame { title: "Riffle", feed: Some("/feeds/public") }, body))
}

/// The tags most used by the posts on the page, most used first (ties: first seen).
fn trending(posts: &[Post]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for post in posts {
        for tag in text::extract(&post.text).tags {
            match counts.iter_mut().find(|(t, _)| *t == tag) {
                Some((_, n)) => *n += 1,
                None => counts.push((tag, 1)),
            }
        }
    }
    counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    counts.truncate(10);
    counts
}

pub async fn home(State(web): State<Arc<Web>>, v: Visitor, Query(paging): Query<Paging>) -> Answer {
    let token = signed_in(&v, "/home")?;
    let caller = web.api.caller(Some(token), &v.address);
    let page = stream_page(&caller, &format!("/api/v1/timelines/home{}", paging.query())).await.or_show(&v)?;
    let title = Msg::Home.text(v.lang);
    let body = html! {
        h1.hidden { (title) }
        @if paging.cursor.is_none() { (posts::composer(&v, None, "/home")) }
        (posts::stream(&v, &page, "/home", Some("/live/home")))
    };
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}

pub async fn public(State(web): State<Arc<Web>>, v: Visitor, Query(paging): Query<Paging>) -> Answer {
    let caller = web.api.caller(v.token(), &v.address);
    let page = stream_page(&caller, &format!("/api/v1/timelines/public{}", paging.query())).await.or_show(&v)?;
    let title = Msg::Public.text(v.lang);
    let body = html! { h1 { (title) } (posts::stream(&v, &page, "/public", Some("/live/public"))) };
    Ok(render(v, StatusCode::OK, &Frame { title, feed: Some("/feeds/public") }, body))
}

pub async fn for_you(State(web): State<Arc<Web>>, v: Visitor, Query(paging): Query<Paging>) -> Answer {
    let token = signed_in(&v, "/for-you")?;
    let caller = web.api.caller(Some(token), &v.address);
    let page =
        stream_page(&caller, &format!("/api/v1/timelines/for-you{}&explain=true", paging.query())).await.or_show(&v)?;
    let title = Msg::ForYou.text(v.lang);
    let body = html! { h1 { (title) } (posts::stream(&v, &page, "/for-you", None)) };
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}

pub async fn tag(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path(tag): Path<String>,
    Query(paging): Query<Paging>,
) -> Answer {
    let tag = text::normalize_tag(tag.trim_start_matches('#'));
    let caller = web.api.caller(v.token(), &v.address);
    let page =
        stream_page(&caller, &format!("/api/v1/timelines/tag/{}{}", encode(&tag), paging.query())).await.or_show(&v)?;
    let title = format!("#{tag}");
    let here = format!("/tags/{}", encode(&tag));
    let feed = format!("/feeds/tags/{}", encode(&tag));
    let body = html! {
        h1 { (title) }
        @if v.me.is_some() {
            (crate::views::button(&v, &format!("{here}/follow"), Msg::Follow.text(v.lang), &here, "primary"))
            (crate::views::button(&v, &format!("{here}/unfollow"), Msg::Unfollow.text(v.lang), &here, ""))
        }
        (posts::stream(&v, &page, &here, None))
    };
    Ok(render(v, StatusCode::OK, &Frame { title: &title, feed: Some(&feed) }, body))
}

pub async fn follow_tag(
    state: State<Arc<Web>>,
    v: Visitor,
    Path(tag): Path<String>,
    Form(form): Form<Action>,
) -> Answer {
    tag_follow(state, v, tag, form, Method::PUT).await
}

pub async fn unfollow_tag(
    state: State<Arc<Web>>,
    v: Visitor,
    Path(tag): Path<String>,
    Form(form): Form<Action>,
) -> Answer {
    tag_follow(state, v, tag, form, Method::DELETE).await
}

async fn tag_follow(State(web): State<Arc<Web>>, v: Visitor, tag: String, form: Action, method: Method) -> Answer {
    let path = format!("/api/v1/tags/{}/follow", encode(&tag));
    super::act_then(&web, &v, &form.csrf, method, &path, form.back.as_deref().unwrap_or("/home")).await
}

pub async fn post_page(State(web): State<Arc<Web>>, v: Visitor, Path(id): Path<String>) -> Answer {
    let caller = web.api.caller(v.token(), &v.address);
    let path = format!("/api/v1/posts/{}", encode(&id));
    let context_path = format!("{path}/context?limit=100");
    let (post, context) = tokio::join!(caller.get::<Post>(&path), caller.get::<Context>(&context_path));
    let post = match post {
        Ok(post) => post,
        Err(problem) if problem.status == StatusCode::NOT_FOUND => return Ok(not_found(v)),
        Err(problem) => return Err(super::problem_page(&v, &problem).into()),
    };
    let context = context.or_show(&v)?;
    let title = format!("{}: {}", post.author.name(), post.text.chars().take(40).collect::<String>());
    let body = posts::thread(&v, &post, &context.ancestors, &context.descendants);
    Ok(render(v, StatusCode::OK, &Frame::titled(&title), body))
}

/// Like, unlike, repost, unrepost or delete a post.
pub async fn post_action(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Action>,
) -> Answer {
    let back = form.back.clone().unwrap_or_else(|| format!("/posts/{id}"));
    let post = format!("/api/v1/posts/{}", encode(&id));
    let (method, path) = match action.as_str() {
        "like" => (Method::PUT, format!("{post}/like")),
        "unlike" => (Method::DELETE, format!("{post}/like")),
        "repost" => (Method::PUT, format!("{post}/repost")),
        "unrepost" => (Method::DELETE, format!("{post}/repost")),
        "delete" => (Method::DELETE, post),
        _ => return Ok(not_found(v)),
    };
    super::act_then(&web, &v, &form.csrf, method, &path, &format!("{}#post-{id}", local(&back))).await
}

pub async fn compose_page(v: Visitor) -> Answer {
    signed_in(&v, "/compose")?;
    let title = Msg::Compose.text(v.lang);
    let body = html! { h1 { (title) } (posts::composer(&v, None, "/home")) };
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}

/// The composer's form: its media are uploaded first (each through the API's checks), then
/// the post is created with them, under the form's idempotency key.
pub async fn compose(
    State(web): State<Arc<Web>>,
    v: Visitor,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Answer {
    let token = signed_in(&v, "/compose")?.to_owned();
    let mut form = form.map_err(|e| bad_form(&v, &e.body_text()))?;
    let caller = web.api.caller(Some(&token), &v.address);
    let mut fields = std::collections::HashMap::<String, String>::new();
    let mut media_ids = Vec::new();
    // Each file row is a file and its alt text, in that order; the text describes the file of
    // its row (none when the row's file was left empty).
    let mut row_media: Option<String> = None;
    while let Some(field) = form.next_field().await.map_err(|e| bad_form(&v, &e.body_text()))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "alt" {
            let alt = field.text().await.map_err(|e| bad_form(&v, &e.body_text()))?;
            if let (Some(id), false) = (row_media.take(), alt.trim().is_empty()) {
                let path = format!("/api/v1/media/{}", encode(&id));
                caller
                    .act_with_json(Method::PATCH, &path, &serde_json::json!({ "description": alt }))
                    .await
                    .or_show(&v)?;
            }
            continue;
        }
        if name == "media_id" {
            // Uploaded already, resumably, by the composer's script (`/uploads`).
            check_form(&v, fields.get("csrf").map_or("", String::as_str))?;
            let id = field.text().await.map_err(|e| bad_form(&v, &e.body_text()))?.trim().to_owned();
            if !id.is_empty() {
                row_media = Some(id.clone());
                media_ids.push(id);
            }
            continue;
        }
        if name != "file" {
            let value = field.text().await.map_err(|e| bad_form(&v, &e.body_text()))?;
            fields.insert(name, value);
            continue;
        }
        if let Some(done) = fields.get("idempotency_key").and_then(|key| web.already_posted(key)) {
            check_form(&v, fields.get("csrf").map_or("", String::as_str))?;
            return Ok(redirect(&v, fields.get("back").map_or(&done, |b| b)));
        }
        // The form token comes before the files in the form, so nothing is uploaded for a form
        // that is not ours.
        check_form(&v, fields.get("csrf").map_or("", String::as_str))?;
        row_media = upload(&caller, &v, field).await?;
        media_ids.extend(row_media.clone());
    }
    check_form(&v, fields.get("csrf").map_or("", String::as_str))?;
    let field = |name: &str| fields.get(name).map(|s| s.trim()).filter(|s| !s.is_empty());
    let mut body = serde_json::json!({
        "text": fields.get("text").cloned().unwrap_or_default(),
        "visibility": field("visibility").unwrap_or("public"),
        "media_ids": media_ids,
    });
    if let Some(parent) = field("reply_to_id") {
        body["reply_to_id"] = parent.into();
    }
    let mut request = caller.request(Method::POST, "/api/v1/posts").or_show(&v)?.json(&body);
    if let Some(key) = field("idempotency_key") {
        request = request.header("idempotency-key", key);
    }
    let created: Result<Post, ApiProblem> = caller.send(request).await;
    let post = created.or_show(&v)?;
    if let Some(key) = field("idempotency_key") {
        web.posted(key, &format!("/posts/{}", post.id));
    }
    let back = field("back").map_or_else(|| format!("/posts/{}", post.id), str::to_owned);
    Ok(redirect(&v, &back))
}

/// Uploads a form's file through the API's media checks: its media id, or none for a file input
/// left empty.
pub(crate) async fn upload(
    caller: &Caller<'_>,
    v: &Visitor,
    field: axum::extract::multipart::Field<'_>,
) -> Result<Option<String>, super::Shown> {
    let filename = field.file_name().unwrap_or_default().to_owned();
    let mime = field.content_type().unwrap_or("application/octet-stream").to_owned();
    let bytes = field.bytes().await.map_err(|e| bad_form(v, &e.body_text()))?;
    if bytes.is_empty() {
        return Ok(None);
    }
    let part = reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name(filename)
        .mime_str(&mime)
        .map_err(|_| bad_form(v, "the file's type is not a media type"))?;
    let request = caller
        .request(Method::POST, "/api/v1/media")
        .or_show(v)?
        .multipart(reqwest::multipart::Form::new().part("file", part));
    let media: Media = caller.send(request).await.or_show(v)?;
    Ok(Some(media.id))
}

pub(crate) fn bad_form(v: &Visitor, why: &str) -> Response {
    super::problem_page(
        v,
        &ApiProblem {
            status: StatusCode::BAD_REQUEST,
            title: "bad form".into(),
            detail: Some(why.into()),
            errors: Vec::new(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    cursor: Option<String>,
}

pub async fn search(State(web): State<Arc<Web>>, v: Visitor, Query(query): Query<SearchQuery>) -> Answer {
    let kind = match query.kind.as_deref() {
        Some("people") => "people",
        Some("tags") => "tags",
        _ => "posts",
    };
    let q = query.q.trim();
    let results = if q.is_empty() {
        None
    } else {
        let mut path = format!("/api/v1/search?type={kind}&q={}", encode(q));
        if let Some(cursor) = &query.cursor {
            path.push_str(&format!("&cursor={}", encode(cursor)));
        }
        Some(web.api.caller(v.token(), &v.address).get(&path).await.or_show(&v)?)
    };
    let title = Msg::Search.text(v.lang);
    let body = notices::search(&v, q, kind, results.as_ref());
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}
