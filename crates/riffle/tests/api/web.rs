//! The web app as a browser without JavaScript uses it: plain links and form posts, cookies,
//! redirects. (The script's additions are driven in Chromium by `scripts/e2e`.)

use std::collections::BTreeMap;

use reqwest::{
    StatusCode,
    header::{HeaderMap, LOCATION, SET_COOKIE},
    multipart::{Form, Part},
};
use scraper::{Html, Selector};
use serde_json::Value;

use crate::{
    helpers::{Backends, TestApp, eventually},
    media::png,
};

/// A page as the browser got it.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The texts of the elements `selector` matches.
    fn texts(&self, selector: &str) -> Vec<String> {
        let selector = Selector::parse(selector).unwrap();
        self.html().select(&selector).map(|e| e.text().collect::<String>()).collect()
    }

    /// The values of `attribute` of the elements `selector` matches.
    fn attrs(&self, selector: &str, attribute: &str) -> Vec<String> {
        let selector = Selector::parse(selector).unwrap();
        self.html().select(&selector).filter_map(|e| e.value().attr(attribute).map(str::to_owned)).collect()
    }
}

/// A browser without JavaScript: keeps cookies, does not follow redirects (tests look at them).
struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
    /// The raw `Set-Cookie` values seen, for their attributes.
    set_cookies: Vec<String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { app, client, cookies: BTreeMap::new(), set_cookies: Vec::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all(SET_COOKIE) {
            let raw = value.to_str().unwrap().to_owned();
            let (pair, attributes) = raw.split_once(';').unwrap_or((&raw, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.to_ascii_lowercase().contains("max-age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
            self.set_cookies.push(raw);
        }
        let (status, headers) = (response.status(), response.headers().clone());
        Page { status, headers, body: response.text().await.unwrap() }
    }

    async fn get(&mut self, path: &str) -> Page {
        let response = self.client.get(self.app.url(path)).header("cookie", self.cookie_header()).send().await.unwrap();
        self.keep(response).await
    }

    async fn get_with(&mut self, path: &str, header: (&str, &str)) -> Page {
        let response = self
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header(header.0, header.1)
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    fn csrf(&self) -> String {
        self.cookies.get("riffle_csrf").cloned().expect("a page set the form token")
    }

    /// Posts a form as the page's form would, with the form token.
    async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        all.extend_from_slice(fields);
        self.submit_raw(path, &all).await
    }

    async fn submit_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    async fn submit_multipart(&mut self, path: &str, form: Form) -> Page {
        let response = self
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    /// Signs up through the pages, confirms the mailed link through the pages, signs in.
    async fn sign_up(&mut self, username: &str) {
        self.get("/sign-up").await;
        let email = format!("{username}@example.org");
        let page = self
            .submit("/sign-up", &[("username", username), ("email", &email), ("password", "correct horse battery")])
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Check your mail"), "{}", page.body);
        let (token, mail) = self.app.mailed(&email, "token:").await;
        assert!(mail.contains("/confirm?token="), "the mail links the confirmation page: {mail}");
        let page = self.get(&format!("/confirm?token={token}")).await;
        let token = page.attrs("form[action='/confirm'] input[name=token]", "value").pop().unwrap();
        let confirmed = self.submit("/confirm", &[("token", &token)]).await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
        let signed_in = self
            .submit("/sign-in", &[("login", username), ("password", "correct horse battery"), ("back", "/home")])
            .await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
        assert_eq!(signed_in.location(), "/home");
    }
}

/// Scripts only from our own files: the Content-Security-Policy forbids inline script.
fn assert_no_inline_script(page: &Page) {
    let scripts = Selector::parse("script").unwrap();
    for script in page.html().select(&scripts) {
        assert!(
            script.value().attr("src").is_some_and(|s| s.starts_with("/assets/")),
            "inline script in {}",
            page.body
        );
        assert!(script.text().collect::<String>().is_empty());
    }
    let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
}

#[tokio::test]
async fn a_visitor_is_shown_the_public_stream_and_the_way_in() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let ada = app.signed_up("ada").await;
    let token = ada["access_token"].as_str().unwrap();
    let post = app.post("/api/v1/posts", &serde_json::json!({ "text": "hello #riffle world" }), Some(token)).await;
    assert_eq!(post.status(), StatusCode::CREATED);
    let mut browser = Browser::new(&app);
    eventually("the public stream shows the post", || {
        let app = &app;
        async move { Browser::new(app).get("/").await.body.contains("hello") }
    })
    .await;
    let page = browser.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(page.attrs("a[href='/sign-up']", "href").len(), 2, "the way in, twice");
    assert_eq!(page.texts("ol.tags a"), ["#riffle"], "the page's tags, as trending");
    assert_eq!(page.attrs("link[rel=alternate]", "href")[0], "/feeds/public.atom");
    assert_no_inline_script(&page);
    let unknown = browser.get("/nothing-here").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let asleep = browser.get("/home").await;
    assert_eq!((asleep.status, asleep.location()), (StatusCode::SEE_OTHER, "/sign-in?back=%2Fhome"));
}

#[tokio::test]
async fn the_whole_path_works_without_javascript() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let mut ada = Browser::new(&app);
    ada.sign_up("ada").await;
    for raw in ada.set_cookies.iter().filter(|c| c.starts_with("riffle_access=") || c.starts_with("riffle_refresh=")) {
        assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Lax"), "{raw}");
    }

    // A post with an image and text a hostile author wrote.
    let home = ada.get("/home").await;
    let key = home.attrs("form.composer input[name=idempotency_key]", "value").pop().unwrap();
    let text = "hello #rust <script>alert(1)</script> https://example.org/x @bob";
    let csrf = ada.csrf();
    let form = || {
        Form::new()
            .text("csrf", csrf.clone())
            .text("idempotency_key", key.clone())
            .text("back", "/home")
            .text("text", text)
            .part("file", Part::bytes(png()).file_name("dot.png").mime_str("image/png").unwrap())
            .text("alt", "a white dot")
            .text("file", "")
            .text("alt", "nothing: its row has no file")
            .text("visibility", "public")
    };
    let posted = ada.submit_multipart("/compose", form()).await;
    assert_eq!((posted.status, posted.location()), (StatusCode::SEE_OTHER, "/home"), "{}", posted.body);
    let again = ada.submit_multipart("/compose", form()).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "a second submit of the same form is the same post");

    let mut bob = Browser::new(&app);
    bob.sign_up("bob").await;
    let profile = bob.get("/@ada").await;
    assert_eq!(profile.status, StatusCode::OK);
    let follow = profile.attrs("form[action$='/follow']", "action").pop().expect("a follow button");
    let followed = bob.submit(&follow, &[("back", "/@ada")]).await;
    assert_eq!((followed.status, followed.location()), (StatusCode::SEE_OTHER, "/@ada"));
    assert!(!bob.get("/@ada").await.attrs("form[action$='/unfollow']", "action").is_empty());

    // Bob's home has Ada's post once, escaped, with its entities linked.
    let mut home = bob.get("/home").await;
    for _ in 0..100 {
        if home.body.contains("hello") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        home = bob.get("/home").await;
    }
    assert_eq!(home.texts("article.post .text").len(), 1, "one post: {}", home.body);
    assert_eq!(home.texts("article.post .text")[0], text, "the text as written");
    assert!(!home.body.contains("<script>alert"), "escaped");
    assert_eq!(home.attrs("article.post .text a[rel='nofollow noopener ugc']", "href"), ["https://example.org/x"]);
    assert_eq!(home.attrs("article.post .text a.tag", "href"), ["/tags/rust"]);
    assert_eq!(home.attrs("article.post .text a.mention", "href"), ["/@bob"]);
    let thumbnail = home.attrs("article.post .media img", "src").pop().expect("the image is shown");
    assert_eq!(home.attrs("article.post .media img", "alt"), ["a white dot"], "one image, with its alt text");
    let post_id = home.attrs("article.post", "data-post").pop().unwrap();

    // The image comes through the web app, as Bob (media follow their post's visibility).
    let media = thumbnail.trim_end_matches("/thumbnail").to_owned();
    let bytes = bob.client.get(app.url(&media)).header("cookie", bob.cookie_header()).send().await.unwrap();
    assert_eq!(bytes.status(), StatusCode::OK);
    assert_eq!(bytes.bytes().await.unwrap().as_ref(), png().as_slice());

    // Bob likes and replies; Ada is told.
    let like = home.attrs("article.post form[action$='/like']", "action").pop().unwrap();
    let liked = bob.submit(&like, &[("back", "/home")]).await;
    assert_eq!(liked.status, StatusCode::SEE_OTHER, "{}", liked.body);
    let thread = bob.get(&format!("/posts/{post_id}")).await;
    assert_eq!(thread.texts(".focus form[action$='/unlike'] button"), ["Unlike 1"]);
    let home = bob.get("/home").await;
    assert_eq!(home.texts("article.post form[action$='/unlike'] button"), ["Unlike 1"], "streams show likes too");
    let reply_key = thread.attrs("#reply input[name=idempotency_key]", "value").pop().unwrap();
    let reply = Form::new()
        .text("csrf", bob.csrf())
        .text("idempotency_key", reply_key)
        .text("reply_to_id", post_id.clone())
        .text("text", "nice one")
        .text("visibility", "public");
    let replied = bob.submit_multipart("/compose", reply).await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.body);
    let thread = bob.get(&format!("/posts/{post_id}")).await;
    assert_eq!(thread.texts(".replies article.post .text"), ["nice one"]);

    let mut told = Vec::new();
    for _ in 0..100 {
        told = ada.get("/notifications").await.texts("li.notification");
        if told.iter().any(|n| n.contains("liked your post")) && told.iter().any(|n| n.contains("replied to you")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(told.iter().any(|n| n.contains("liked your post")), "{told:?}");
    assert!(told.iter().any(|n| n.contains("replied to you")), "{told:?}");

    // Search finds the post.
    let mut found = Vec::new();
    for _ in 0..100 {
        found = bob.get("/search?q=hello").await.attrs("ul.results a", "href");
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found, [format!("/posts/{post_id}")]);

    let settings = bob.get("/settings").await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.body);
    assert_eq!(settings.texts("ul.sessions strong"), ["this session"]);

    // Signing out ends the session with the API too.
    let refresh = bob.cookies.get("riffle_refresh").cloned().unwrap();
    let out = bob.submit("/sign-out", &[]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/"));
    assert!(!bob.cookies.contains_key("riffle_access") && !bob.cookies.contains_key("riffle_refresh"));
    assert_eq!(bob.get("/home").await.status, StatusCode::SEE_OTHER);
    let reused = app.post("/api/v1/auth/refresh", &serde_json::json!({ "refresh_token": refresh }), None).await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forms_from_elsewhere_are_refused_and_redirects_stay_here() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let mut ada = Browser::new(&app);
    ada.sign_up("ada").await;
    let forged = ada.submit_multipart("/compose", Form::new().text("text", "forged")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let not_a_form = ada.submit_raw("/compose", &[("text", "forged")]).await;
    assert_eq!(not_a_form.status, StatusCode::BAD_REQUEST);
    let wrong = ada.submit_raw("/sign-out", &[("csrf", "x".repeat(43).as_str())]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(ada.get("/home").await.status == StatusCode::OK, "still signed in");
    let posts: Value = app.get("/api/v1/timelines/public", None).await.json().await.unwrap();
    assert_eq!(posts["items"].as_array().unwrap().len(), 0, "nothing was posted");

    for back in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
        ada.submit("/sign-out", &[]).await;
        let page =
            ada.submit("/sign-in", &[("login", "ada"), ("password", "correct horse battery"), ("back", back)]).await;
        assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/"), "{back}");
    }
    let refused = ada.submit("/sign-in", &[("login", "ada"), ("password", "wrong password!")]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.texts(".alert").len(), 1, "the page says why");
    assert_eq!(refused.attrs("input[name=login]", "value"), ["ada"], "and keeps what was typed");
}

#[tokio::test]
async fn the_api_reference_documents_every_operation_without_script_from_elsewhere() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let mut browser = Browser::new(&app);
    let page = browser.get("/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_no_inline_script(&page);
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let headings = page.texts("section.operation h2");
    let mut expected = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let heading = format!("{} {path}", method.to_uppercase());
            assert!(headings.contains(&heading), "{heading} is documented");
            expected += 1;
        }
    }
    assert_eq!(headings.len(), expected);
    let problems = page.texts("section#op-post-api-v1-posts td code");
    assert!(problems.iter().any(|s| s == "422") && problems.iter().any(|s| s == "401"), "{problems:?}");
    assert_eq!(page.texts("section#schema-CreatePost h3"), ["CreatePost"]);
}

#[tokio::test]
async fn pages_speak_the_visitors_language() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let mut browser = Browser::new(&app);
    let page = browser.get_with("/", ("accept-language", "zh-CN,zh;q=0.9,en;q=0.5")).await;
    assert_eq!(page.attrs("html", "lang"), ["zh-Hans"]);
    assert!(page.texts("a.button").contains(&"注册".to_owned()));
    let chosen = browser.submit("/language", &[("lang", "en")]).await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    let page = browser.get_with("/", ("accept-language", "zh-CN")).await;
    assert_eq!(page.attrs("html", "lang"), ["en"], "the setting wins over the header");
}

#[tokio::test]
async fn the_composer_uploads_resumably_through_the_web_app() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let mut ada = Browser::new(&app);
    ada.sign_up("ada").await;
    let image = png();
    let half = image.len() / 2;
    let tus = |method: reqwest::Method, path: &str, csrf: Option<&str>| {
        let mut request = ada
            .client
            .request(method, app.url(path))
            .header("cookie", ada.cookie_header())
            .header("tus-resumable", "1.0.0");
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        request
    };
    let csrf = ada.csrf();
    let forged =
        tus(reqwest::Method::POST, "/uploads", None).header("upload-length", image.len()).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "no upload without the form token");
    let created =
        tus(reqwest::Method::POST, "/uploads", Some(&csrf)).header("upload-length", image.len()).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("/uploads/"), "the browser keeps talking to the web app: {location}");
    let patch = |offset: usize, bytes: Vec<u8>| {
        tus(reqwest::Method::PATCH, &location, Some(&csrf))
            .header("upload-offset", offset)
            .header("content-type", "application/offset+octet-stream")
            .body(bytes)
            .send()
    };
    let first = patch(0, image[..half].to_vec()).await.unwrap();
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    // The connection drops here; the script asks where the server stands and resumes.
    let head = tus(reqwest::Method::HEAD, &location, Some(&csrf)).send().await.unwrap();
    assert_eq!(head.headers()["upload-offset"].to_str().unwrap(), half.to_string());
    let last = patch(half, image[half..].to_vec()).await.unwrap();
    assert_eq!(last.status(), StatusCode::NO_CONTENT);
    let media_id = last.headers()["riffle-media-id"].to_str().unwrap().to_owned();

    let home = ada.get("/home").await;
    let key = home.attrs("form.composer input[name=idempotency_key]", "value").pop().unwrap();
    let form = Form::new()
        .text("csrf", csrf.clone())
        .text("idempotency_key", key)
        .text("text", "sent in two halves")
        .text("media_id", media_id)
        .text("alt", "two halves of a dot")
        .text("visibility", "public");
    let posted = ada.submit_multipart("/compose", form).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let mut alts = Vec::new();
    for _ in 0..100 {
        alts = ada.get("/home").await.attrs("article.post .media img", "alt");
        if !alts.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(alts, ["two halves of a dot"]);
}
