//! The templates: pure functions from what the API answered to HTML. maud escapes every
//! interpolated string, so user-written text can only ever be text.

pub mod account;
pub mod notices;
pub mod people;
pub mod posts;
pub mod reference;
pub mod staff;

use maud::{DOCTYPE, Markup, html};
use platform::http::Role;

use crate::domain::{
    i18n::{Lang, Msg},
    session::Visitor,
};

/// The stylesheet's and the script's addresses carry a digest of their content, so they can be
/// cached for a year and still change with a release.
pub const STYLE: &str = include_str!("../../assets/riffle.css");
pub const SCRIPT: &str = include_str!("../../assets/riffle.js");

pub fn asset_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (STYLE, SCRIPT).hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    })
}

/// What the frame of a page needs besides its body.
pub struct Frame<'a> {
    pub title: &'a str,
    /// A feed of this page's stream (`rel=alternate`): its path without extension.
    pub feed: Option<&'a str>,
}

impl<'a> Frame<'a> {
    pub fn titled(title: &'a str) -> Self {
        Self { title, feed: None }
    }
}

/// A whole page: the head, the navigation for the visitor, the body, the footer.
pub fn page(v: &Visitor, frame: &Frame<'_>, body: Markup) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    let version = asset_version();
    html! {
        (DOCTYPE)
        html lang=(v.lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf-token" content=(v.csrf);
                title { (frame.title) " · Riffle" }
                link rel="stylesheet" href={ "/assets/riffle.css?v=" (version) };
                @if let Some(feed) = frame.feed {
                    link rel="alternate" type="application/atom+xml" title={ (frame.title) " (Atom)" } href={ (feed) ".atom" };
                    link rel="alternate" type="application/rss+xml" title={ (frame.title) " (RSS)" } href={ (feed) ".rss" };
                    link rel="alternate" type="application/feed+json" title={ (frame.title) " (JSON Feed)" } href={ (feed) ".json" };
                }
                script src={ "/assets/riffle.js?v=" (version) } defer {}
            }
            body {
                a.skip href="#main" { (t(Msg::SkipToContent)) }
                header.top {
                    nav aria-label="Riffle" {
                        a.brand href="/" { "Riffle" }
                        @if v.me.is_some() {
                            a href="/home" data-key="g h" { (t(Msg::Home)) }
                        }
                        a href="/public" { (t(Msg::Public)) }
                        @if let Some(me) = &v.me {
                            a href="/for-you" { (t(Msg::ForYou)) }
                            a href="/notifications" data-key="g n" { (t(Msg::Notifications)) }
                            a href="/sources" { (t(Msg::Sources)) }
                            a href={ "/@" (me.username) } { (t(Msg::Profile)) }
                            a href="/settings" { (t(Msg::Settings)) }
                            @if v.is(Role::Moderator) { a href="/moderation" { (t(Msg::Moderation)) } }
                            @if v.is(Role::Admin) { a href="/admin" { (t(Msg::Admin)) } }
                        }
                    }
                    form.search role="search" method="get" action="/search" {
                        label.hidden for="q" { (t(Msg::Search)) }
                        input #q type="search" name="q" placeholder=(t(Msg::Search)) maxlength="512";
                    }
                    @if v.me.is_some() {
                        form.inline method="post" action="/sign-out" {
                            (csrf(v))
                            button.link type="submit" { (t(Msg::SignOut)) }
                        }
                    } @else {
                        a href="/sign-in" { (t(Msg::SignIn)) }
                        " "
                        a.button href="/sign-up" { (t(Msg::SignUp)) }
                    }
                }
                main #main tabindex="-1" { (body) }
                footer {
                    form.inline method="post" action="/language" {
                        (csrf(v))
                        label for="lang" { (t(Msg::Language)) " " }
                        select #lang name="lang" {
                            option value="en" selected[v.lang == Lang::En] { "English" }
                            option value="zh" selected[v.lang == Lang::Zh] { "简体中文" }
                        }
                        " "
                        button type="submit" { (t(Msg::Save)) }
                    }
                    " · " a href="/docs" { (t(Msg::ApiReference)) }
                    " · " a href="/feeds/public.atom" { "Atom" }
                    " · " button.link type="button" data-help { (t(Msg::KeyboardHelp)) " (?)" }
                }
                dialog #help aria-labelledby="help-title" {
                    h2 #help-title { (t(Msg::KeyboardHelp)) }
                    dl.keys {
                        dt { kbd { "j" } " / " kbd { "k" } } dd { "next / previous post" }
                        dt { kbd { "n" } } dd { (t(Msg::Compose)) }
                        dt { kbd { "r" } } dd { (t(Msg::Reply)) }
                        dt { kbd { "l" } } dd { (t(Msg::Like)) }
                        dt { kbd { "g" } " " kbd { "h" } } dd { (t(Msg::Home)) }
                        dt { kbd { "g" } " " kbd { "n" } } dd { (t(Msg::Notifications)) }
                        dt { kbd { "/" } } dd { (t(Msg::Search)) }
                        dt { kbd { "?" } } dd { (t(Msg::KeyboardHelp)) }
                    }
                    form method="dialog" { button { "OK" } }
                }
            }
        }
    }
}

/// The hidden field every form carries.
pub fn csrf(v: &Visitor) -> Markup {
    html! { input type="hidden" name="csrf" value=(v.csrf); }
}

/// A one-button form posting to `action`, coming back to `back`.
pub fn button(v: &Visitor, action: &str, label: &str, back: &str, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf(v))
            input type="hidden" name="back" value=(back);
            button type="submit" class=(class) { (label) }
        }
    }
}

/// A message after something went wrong, in the page.
pub fn alert(message: &str) -> Markup {
    html! { p.alert role="alert" { (message) } }
}

/// The page shown when the API refused or failed.
pub fn problem(v: &Visitor, message: &str) -> Markup {
    let title = Msg::SomethingWrong.text(v.lang);
    page(v, &Frame::titled(title), html! { h1 { (title) } (alert(message)) p { a href="/" { "Riffle" } } })
}

/// A `<time>` read relative to now, with the exact moment in its `datetime` and title.
pub fn when(lang: Lang, at: time::OffsetDateTime) -> Markup {
    let exact = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    html! { time datetime=(exact) title=(exact) { (lang.ago(at, time::OffsetDateTime::now_utc())) } }
}

/// An inline SVG-free empty-state line.
pub fn nothing(lang: Lang) -> Markup {
    html! { p.empty { (Msg::Nothing.text(lang)) } }
}
