//! Media upload and download through the public API, on the local store and on S3.

use base64::{Engine, engine::general_purpose::STANDARD};
use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, problem};

fn token(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

/// A valid 1×1 PNG.
pub(crate) fn png() -> Vec<u8> {
    STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
        .unwrap()
}

/// A PNG whose header claims `width`×`height` pixels, padded to `len` bytes.
fn png_claiming(width: u32, height: u32, len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes.resize(len.max(bytes.len()), 0);
    bytes
}

pub(crate) async fn upload(app: &TestApp, user: &Value, bytes: Vec<u8>, name: &str, mime: &str) -> reqwest::Response {
    let part = Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap();
    app.client
        .post(app.url("/api/v1/media"))
        .bearer_auth(token(user))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

crate::on_every_backend!(a_photo_is_uploaded_downloaded_and_attached_to_a_post, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let response = upload(&app, &ada, png(), "../../photo.png", "image/png").await;
    assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
    let media: Value = response.json().await.unwrap();
    assert_eq!((media["kind"].as_str(), media["mime"].as_str()), (Some("image"), Some("image/png")));
    assert_eq!((media["width"].as_i64(), media["height"].as_i64()), (Some(1), Some(1)));
    assert_eq!(media["filename"], "photo.png", "no path tricks survive");
    let url = media["url"].as_str().unwrap().to_owned();
    let owner = Some(token(&ada));

    // Not attached yet: its uploader's alone, kept by no shared cache.
    problem(app.get(&url, None).await, StatusCode::NOT_FOUND).await;
    let download = app.get(&url, owner).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["cache-control"], "private, max-age=60");
    let etag = download.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", media["sha256"].as_str().unwrap()));
    assert_eq!(download.headers()["content-type"], "image/png");
    assert_eq!(download.headers()["x-content-type-options"], "nosniff");
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("inline; filename=\"photo.png\""));
    assert_eq!(download.bytes().await.unwrap().to_vec(), png());

    let as_ada = |path: &str| app.client.get(app.url(path)).bearer_auth(token(&ada));
    let cached = as_ada(&url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);

    let gzip_ok = as_ada(&url).header("accept-encoding", "gzip, br").send().await.unwrap();
    assert!(gzip_ok.headers().get("content-encoding").is_none(), "media are never re-compressed");
    assert_eq!(gzip_ok.bytes().await.unwrap().to_vec(), png());

    let partial = as_ada(&url).header("range", "bytes=1-3").header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(partial.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(partial.headers()["content-range"].to_str().unwrap(), format!("bytes 1-3/{}", png().len()));
    assert_eq!(partial.bytes().await.unwrap().to_vec(), png()[1..=3]);

    let several = as_ada(&url).header("range", "bytes=0-1, 4-5").send().await.unwrap();
    assert_eq!(several.status(), StatusCode::PARTIAL_CONTENT);
    assert!(several.headers()["content-type"].to_str().unwrap().starts_with("multipart/byteranges; boundary="));
    let body = several.bytes().await.unwrap();
    assert!(
        body.windows(2).any(|w| w == &png()[4..=5])
            && body.windows(b"Content-Range: bytes 4-5/".len()).any(|w| w == b"Content-Range: bytes 4-5/")
    );

    let beyond = as_ada(&url).header("range", "bytes=5000-6000").send().await.unwrap();
    assert_eq!(beyond.headers()["content-range"].to_str().unwrap(), format!("bytes */{}", png().len()));
    problem(beyond, StatusCode::RANGE_NOT_SATISFIABLE).await;

    let media_id = media["id"].as_str().unwrap();
    let described_path = format!("/api/v1/media/{media_id}");
    problem(app.get(&described_path, None).await, StatusCode::NOT_FOUND).await;
    crate::helpers::eventually("the thumbnail is made in the background", || async {
        let described: Value = app.get(&described_path, owner).await.json().await.unwrap();
        described["thumbnail_url"].is_string()
    })
    .await;
    let thumbnail_path = format!("/api/v1/media/{media_id}/thumbnail");
    problem(app.get(&thumbnail_path, None).await, StatusCode::NOT_FOUND).await;
    let thumbnail = app.get(&thumbnail_path, owner).await;
    assert_eq!(thumbnail.status(), StatusCode::OK);
    let thumbnail_type = thumbnail.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(thumbnail_type == "image/png" || thumbnail_type == "image/jpeg", "{thumbnail_type}");
    assert!(!thumbnail.bytes().await.unwrap().is_empty());

    let post = app.post("/api/v1/posts", &json!({ "text": "look", "media_ids": [media_id] }), Some(token(&ada))).await;
    assert_eq!(post.status(), StatusCode::CREATED);
    let post: Value = post.json().await.unwrap();
    assert_eq!(post["media_ids"], json!([media_id]));
    // Attached to a public post: anyone's, and shared caches may keep it (but not forever).
    let described: Value = app.get(&described_path, None).await.json().await.unwrap();
    assert_eq!(described["post_id"], post["id"]);
    assert!(described.get("filename").is_none(), "the file name is the uploader's to see");
    let public = app.get(&url, None).await;
    assert_eq!(public.status(), StatusCode::OK);
    assert_eq!(public.headers()["cache-control"], "public, max-age=3600");
    assert_eq!(app.get(&thumbnail_path, None).await.status(), StatusCode::OK);
    let again =
        app.post("/api/v1/posts", &json!({ "text": "twice", "media_ids": [media_id] }), Some(token(&ada))).await;
    problem(again, StatusCode::UNPROCESSABLE_ENTITY).await;
    let bob = app.signed_up("bob").await;
    let stolen =
        app.post("/api/v1/posts", &json!({ "text": "mine now", "media_ids": [media_id] }), Some(token(&bob))).await;
    problem(stolen, StatusCode::FORBIDDEN).await;
});

fn files_under(dir: &std::path::Path) -> usize {
    walk(dir).len()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] }).collect()
}

#[tokio::test]
async fn the_same_bytes_are_stored_once() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let ada = app.signed_up("ada").await;
    let first: Value = upload(&app, &ada, png(), "a.png", "image/png").await.json().await.unwrap();
    let second: Value = upload(&app, &ada, png(), "b.png", "image/png").await.json().await.unwrap();
    assert_ne!(first["id"], second["id"]);
    assert_eq!(first["sha256"], second["sha256"]);
    assert_eq!(files_under(&app.data_dir().join("media/blobs")), 1);
}

#[tokio::test]
async fn bad_uploads_are_refused_and_leave_nothing_behind() {
    let (mut config, dir) = TestApp::config(Backends::Embedded).await.unwrap();
    config.media.max_image_bytes = 4096;
    config.media.max_document_bytes = 4096;
    let app = TestApp::spawn_with(config, dir).await;
    let ada = app.signed_up("ada").await;

    let body = problem(
        upload(&app, &ada, png_claiming(1, 1, 10_000), "big.png", "image/png").await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("4096"), "{body}");
    problem(
        upload(&app, &ada, b"#!/bin/sh\necho hi\n".to_vec(), "run.sh", "text/x-sh").await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    problem(upload(&app, &ada, png(), "photo.jpg", "image/jpeg").await, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    problem(upload(&app, &ada, Vec::new(), "empty.png", "image/png").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let bomb = problem(
        upload(&app, &ada, png_claiming(100_000, 100_000, 200), "bomb.png", "image/png").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(bomb["detail"].as_str().unwrap().contains("pixels"), "{bomb}");
    let no_file = Form::new().text("note", "hello");
    let response =
        app.client.post(app.url("/api/v1/media")).bearer_auth(token(&ada)).multipart(no_file).send().await.unwrap();
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    // A field after the file refuses the whole form, and the file's bytes are not kept.
    let files_before = files_under(&app.data_dir().join("media"));
    let extra = Form::new().part("file", Part::bytes(png()).file_name("a.png")).text("note", "hello");
    let response =
        app.client.post(app.url("/api/v1/media")).bearer_auth(token(&ada)).multipart(extra).send().await.unwrap();
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "note", "{body}");
    assert_eq!(files_under(&app.data_dir().join("media")), files_before, "no bytes of a refused form stay");
    let anonymous = app
        .client
        .post(app.url("/api/v1/media"))
        .multipart(Form::new().part("file", Part::bytes(png())))
        .send()
        .await
        .unwrap();
    problem(anonymous, StatusCode::UNAUTHORIZED).await;

    // An upload the client abandons half way.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(png_claiming(1, 1, 1000)), Err(std::io::Error::other("client went away"))];
    let part = Part::stream(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .file_name("cut.png")
        .mime_str("image/png")
        .unwrap();
    let _ = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(token(&ada))
        .multipart(Form::new().part("file", part))
        .send()
        .await;

    crate::helpers::eventually("temporary files are gone", || async { files_under(&app.data_dir().join("tmp")) == 0 })
        .await;
    assert_eq!(files_under(&app.data_dir().join("media")), 0, "no blob was stored by a refused upload");
}

/// Speaks tus 1.0 the way tus clients do.
fn tus(app: &TestApp, user: &Value, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).bearer_auth(token(user)).header("tus-resumable", "1.0.0")
}

crate::on_every_backend!(a_large_file_is_uploaded_resumably_with_tus, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let options = app.client.request(reqwest::Method::OPTIONS, app.url("/api/v1/media/uploads")).send().await.unwrap();
    assert_eq!(options.headers()["tus-version"], "1.0.0");
    assert_eq!(options.headers()["tus-extension"], "creation,termination");

    let bytes = png_claiming(640, 480, 300_000);
    let metadata = format!("filename {},filetype {}", STANDARD.encode("clip.png"), STANDARD.encode("image/png"));
    let created = tus(&app, &ada, reqwest::Method::POST, "/api/v1/media/uploads")
        .header("upload-length", bytes.len())
        .header("upload-metadata", metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["tus-resumable"], "1.0.0");
    let location = created.headers()["location"].to_str().unwrap().to_owned();

    let patch = |offset: usize, chunk: Vec<u8>| {
        let location = location.clone();
        let app = &app;
        let ada = &ada;
        async move {
            tus(app, ada, reqwest::Method::PATCH, &location)
                .header("upload-offset", offset)
                .header("content-type", "application/offset+octet-stream")
                .body(chunk)
                .send()
                .await
                .unwrap()
        }
    };
    let half = bytes.len() / 2;
    let first = patch(0, bytes[..half].to_vec()).await;
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    assert_eq!(first.headers()["upload-offset"].to_str().unwrap(), half.to_string());

    // A client that lost track and resends from 0 is told where the upload really is.
    problem(patch(0, bytes[..10].to_vec()).await, StatusCode::CONFLICT).await;
    let head = tus(&app, &ada, reqwest::Method::HEAD, &location).send().await.unwrap();
    assert_eq!(head.headers()["upload-offset"].to_str().unwrap(), half.to_string());
    assert_eq!(head.headers()["cache-control"], "no-store");

    let bob = app.signed_up("bob").await;
    let foreign = tus(&app, &bob, reqwest::Method::HEAD, &location).send().await.unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND, "other users cannot see or resume it");
    let no_tus = app.client.head(app.url(&location)).bearer_auth(token(&ada)).send().await.unwrap();
    assert_eq!(no_tus.status(), StatusCode::BAD_REQUEST, "no Tus-Resumable at all");
    let other = app.client.head(app.url(&location)).bearer_auth(token(&ada)).header("tus-resumable", "0.2.2");
    let other = other.send().await.unwrap();
    assert_eq!(other.status(), StatusCode::PRECONDITION_FAILED, "another version");
    assert_eq!(other.headers()["tus-version"], "1.0.0");
    let wrong_type = tus(&app, &ada, reqwest::Method::PATCH, &location)
        .header("upload-offset", half)
        .header("content-type", "application/octet-stream")
        .body(bytes[half..].to_vec())
        .send()
        .await
        .unwrap();
    problem(wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let too_much = patch(half, [&bytes[half..], b"extra"].concat()).await;
    problem(too_much, StatusCode::PAYLOAD_TOO_LARGE).await;

    let last = patch(half, bytes[half..].to_vec()).await;
    assert_eq!(last.status(), StatusCode::NO_CONTENT, "{:?}", last.text().await);
    let head = tus(&app, &ada, reqwest::Method::HEAD, &location).send().await.unwrap();
    let media_id = head.headers()["riffle-media-id"].to_str().unwrap().to_owned();
    let media: Value = app.get(&format!("/api/v1/media/{media_id}"), Some(token(&ada))).await.json().await.unwrap();
    assert_eq!((media["width"].as_i64(), media["height"].as_i64()), (Some(640), Some(480)));
    assert_eq!(media["filename"], "clip.png");
    let downloaded = app.get(media["url"].as_str().unwrap(), Some(token(&ada))).await.bytes().await.unwrap();
    assert_eq!(downloaded.len(), bytes.len());
    assert!(downloaded == bytes, "the bytes survive the round trip");
});

#[tokio::test]
async fn a_terminated_upload_is_gone() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let ada = app.signed_up("ada").await;
    let created = tus(&app, &ada, reqwest::Method::POST, "/api/v1/media/uploads")
        .header("upload-length", 1000)
        .send()
        .await
        .unwrap();
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    tus(&app, &ada, reqwest::Method::PATCH, &location)
        .header("upload-offset", 0)
        .header("content-type", "application/offset+octet-stream")
        .body(png_claiming(1, 1, 500))
        .send()
        .await
        .unwrap();
    let deleted = tus(&app, &ada, reqwest::Method::DELETE, &location).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let head = tus(&app, &ada, reqwest::Method::HEAD, &location).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    assert_eq!(files_under(&app.data_dir().join("uploads")), 0);
    let too_big = tus(&app, &ada, reqwest::Method::POST, "/api/v1/media/uploads")
        .header("upload-length", u64::MAX / 2)
        .send()
        .await
        .unwrap();
    problem(too_big, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn an_image_that_does_not_decode_gets_no_thumbnail_and_breaks_nothing() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let ada = app.signed_up("ada").await;
    // A PNG header with nothing decodable behind it.
    let broken: Value =
        upload(&app, &ada, png_claiming(64, 64, 2000), "broken.png", "image/png").await.json().await.unwrap();
    let good: Value = upload(&app, &ada, png(), "good.png", "image/png").await.json().await.unwrap();
    let good_path = format!("/api/v1/media/{}", good["id"].as_str().unwrap());
    let owner = Some(token(&ada));
    crate::helpers::eventually("the good image still gets its thumbnail", || async {
        let described: Value = app.get(&good_path, owner).await.json().await.unwrap();
        described["thumbnail_url"].is_string()
    })
    .await;
    let broken_id = broken["id"].as_str().unwrap();
    let described: Value = app.get(&format!("/api/v1/media/{broken_id}"), owner).await.json().await.unwrap();
    assert!(described["thumbnail_url"].is_null());
    problem(app.get(&format!("/api/v1/media/{broken_id}/thumbnail"), owner).await, StatusCode::NOT_FOUND).await;
    assert_eq!(
        app.get(&format!("/api/v1/media/{broken_id}/content"), owner).await.status(),
        StatusCode::OK,
        "the original is still served"
    );
}

#[tokio::test]
async fn uploads_never_attached_are_collected_and_attached_ones_stay() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let ada = app.signed_up("ada").await;
    let kept: Value = upload(&app, &ada, png(), "kept.png", "image/png").await.json().await.unwrap();
    let dropped: Value =
        upload(&app, &ada, png_claiming(2, 2, 300), "dropped.png", "image/png").await.json().await.unwrap();
    let post = json!({ "text": "keep this", "media_ids": [kept["id"]] });
    assert_eq!(app.post("/api/v1/posts", &post, Some(token(&ada))).await.status(), StatusCode::CREATED);
    let sha = dropped["sha256"].as_str().unwrap();
    let dropped_blob = app.data_dir().join("media/blobs").join(&sha[..2]).join(sha);
    assert!(dropped_blob.exists());

    // Collection runs at start; with a zero time-to-live everything unattached goes at once.
    let mut config = app.config.clone();
    config.media.unattached_ttl_secs = 0;
    let app = TestApp::spawn_with(config, app.stop().await).await;
    let dropped_path = format!("/api/v1/media/{}", dropped["id"].as_str().unwrap());
    assert_eq!(app.get(&dropped_path, None).await.status(), StatusCode::NOT_FOUND, "never anyone's but ada's");
    crate::helpers::eventually("the unattached upload is collected", || async {
        app.get(&dropped_path, Some(token(&ada))).await.status() == StatusCode::NOT_FOUND
    })
    .await;
    let kept_content = app.get(&format!("/api/v1/media/{}/content", kept["id"].as_str().unwrap()), None).await;
    assert_eq!(kept_content.status(), StatusCode::OK);
    assert!(!dropped_blob.exists(), "its blob is deleted too");
}

#[tokio::test]
async fn storage_is_limited_per_user_and_so_are_uploads_in_progress() {
    let (mut config, dir) = TestApp::config(Backends::Embedded).await.unwrap();
    config.media.quota_bytes_per_user = 1_000;
    config.media.max_uploads_in_progress = 2;
    let app = TestApp::spawn_with(config, dir).await;
    let ada = app.signed_up("ada").await;
    assert_eq!(upload(&app, &ada, png(), "a.png", "image/png").await.status(), StatusCode::CREATED);
    let big = upload(&app, &ada, png_claiming(1, 1, 990), "big.png", "image/png").await;
    let body = problem(big, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(body["detail"].as_str().unwrap().contains("quota is 1000 bytes"), "{body}");

    let start = |length: u64| {
        tus(&app, &ada, reqwest::Method::POST, "/api/v1/media/uploads").header("upload-length", length).send()
    };
    let body = problem(start(5_000).await.unwrap(), StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(body["detail"].as_str().unwrap().contains("quota"), "{body}");
    assert_eq!(start(100).await.unwrap().status(), StatusCode::CREATED);
    let second = start(100).await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    let third = start(100).await.unwrap();
    assert!(third.headers().contains_key("retry-after"));
    let body = problem(third, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(body["detail"].as_str().unwrap().contains("the most allowed is 2"), "{body}");
    // Cancelling one makes room.
    let location = second.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        tus(&app, &ada, reqwest::Method::DELETE, &location).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(start(100).await.unwrap().status(), StatusCode::CREATED);
    // Another user has a quota of their own.
    let bob = app.signed_up("bob").await;
    assert_eq!(upload(&app, &bob, png(), "b.png", "image/png").await.status(), StatusCode::CREATED);
}

crate::on_every_backend!(an_uploader_describes_their_media_for_people_who_cannot_see_it, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let bob = app.signed_up("bob").await;
    let media: Value = upload(&app, &ada, png(), "dot.png", "image/png").await.json().await.unwrap();
    let id = media["id"].as_str().unwrap();
    assert_eq!(media["description"], "");
    let describe = |who: &Value, text: String| {
        app.client
            .patch(app.url(&format!("/api/v1/media/{id}")))
            .bearer_auth(token(who))
            .json(&json!({ "description": text }))
            .send()
    };
    let described = describe(&ada, "  a white dot  ".into()).await.unwrap();
    assert_eq!(described.status(), StatusCode::OK);
    assert_eq!(described.json::<Value>().await.unwrap()["description"], "a white dot");
    problem(describe(&bob, "mine now".into()).await.unwrap(), StatusCode::NOT_FOUND).await;
    problem(describe(&ada, "x".repeat(1501)).await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;

    let post = app.post("/api/v1/posts", &json!({ "text": "look", "media_ids": [id] }), Some(token(&ada))).await;
    let post: Value = post.json().await.unwrap();
    let read: Value =
        app.get(&format!("/api/v1/posts/{}", post["id"].as_str().unwrap()), None).await.json().await.unwrap();
    assert_eq!(read["media_descriptions"][id], "a white dot", "a post's view carries its media's alt text");
});
