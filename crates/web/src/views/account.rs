//! Signing up and in, the visitor's settings (profile, password, sessions), and their sources.

use maud::{Markup, html};

use super::{alert, button, csrf, when};
use crate::domain::{
    i18n::Msg,
    model::{Session, Source, User},
    session::Visitor,
};

/// What a form shows again after the API refused it: the message and the values typed.
#[derive(Default)]
pub struct Refused<'a> {
    pub message: Option<String>,
    pub login: &'a str,
    pub username: &'a str,
    pub email: &'a str,
}

pub fn sign_in(v: &Visitor, refused: &Refused<'_>, back: &str) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    html! {
        h1 { (t(Msg::SignIn)) }
        @if let Some(message) = &refused.message { (alert(message)) }
        form.stack method="post" action="/sign-in" {
            (csrf(v))
            input type="hidden" name="back" value=(back);
            label for="login" { (t(Msg::UsernameOrEmail)) }
            input #login name="login" required autocomplete="username" value=(refused.login);
            label for="password" { (t(Msg::Password)) }
            input #password name="password" type="password" required autocomplete="current-password";
            button type="submit" { (t(Msg::SignIn)) }
        }
        p { a href="/sign-up" { (t(Msg::SignUp)) } }
    }
}

pub fn sign_up(v: &Visitor, refused: &Refused<'_>) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    html! {
        h1 { (t(Msg::SignUp)) }
        @if let Some(message) = &refused.message { (alert(message)) }
        form.stack method="post" action="/sign-up" {
            (csrf(v))
            label for="username" { (t(Msg::Username)) }
            input #username name="username" required minlength="3" maxlength="30" autocomplete="username"
                pattern="[A-Za-z][A-Za-z0-9_]{2,29}" value=(refused.username);
            label for="email" { (t(Msg::Email)) }
            input #email name="email" type="email" required autocomplete="email" value=(refused.email);
            label for="password" { (t(Msg::Password)) }
            input #password name="password" type="password" required minlength="8" maxlength="128" autocomplete="new-password";
            button type="submit" { (t(Msg::SignUp)) }
        }
        p { a href="/sign-in" { (t(Msg::SignIn)) } }
    }
}

pub fn message(v: &Visitor, title: Msg, text: Msg) -> Markup {
    html! { h1 { (title.text(v.lang)) } p.notice role="status" { (text.text(v.lang)) } p { a href="/sign-in" { (Msg::SignIn.text(v.lang)) } } }
}

pub fn confirm(v: &Visitor, token: &str) -> Markup {
    html! {
        h1 { (Msg::SignUp.text(v.lang)) }
        form method="post" action="/confirm" {
            (csrf(v))
            input type="hidden" name="token" value=(token);
            button type="submit" { "OK" }
        }
    }
}

pub fn settings(v: &Visitor, me: &User, sessions: &[Session], saved: Option<&str>) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    html! {
        h1 { (t(Msg::Settings)) }
        @if let Some(message) = saved { p.notice role="status" { (message) } }
        section {
            h2 { (t(Msg::Profile)) }
            form.stack method="post" action="/settings/profile" enctype="multipart/form-data" {
                (csrf(v))
                label for="display_name" { (t(Msg::DisplayName)) }
                input #display_name name="display_name" maxlength="50" value=(me.display_name);
                label for="bio" { (t(Msg::Bio)) }
                textarea #bio name="bio" maxlength="500" rows="3" { (me.bio) }
                label for="avatar" { (t(Msg::Avatar)) }
                input #avatar name="avatar" type="file" accept="image/*";
                button type="submit" { (t(Msg::Save)) }
            }
        }
        section {
            h2 { (t(Msg::ChangePassword)) }
            form.stack method="post" action="/settings/password" {
                (csrf(v))
                input type="hidden" name="username" value=(me.username) autocomplete="username";
                label for="current" { (t(Msg::CurrentPassword)) }
                input #current name="current_password" type="password" required autocomplete="current-password";
                label for="new" { (t(Msg::NewPassword)) }
                input #new name="new_password" type="password" required minlength="8" autocomplete="new-password";
                button type="submit" { (t(Msg::ChangePassword)) }
            }
        }
        section {
            h2 { (t(Msg::Sessions)) }
            ul.sessions {
                @for s in sessions {
                    li {
                        (s.user_agent) " · " (when(v.lang, s.last_used_at))
                        @if s.current { " · " strong { (t(Msg::ThisSession)) } }
                        @else { " " (button(v, &format!("/settings/sessions/{}/revoke", s.id), t(Msg::Revoke), "/settings", "")) }
                    }
                }
            }
        }
    }
}

pub fn sources(v: &Visitor, sources: &[Source], notice: Option<&str>) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    html! {
        h1 { (t(Msg::Sources)) }
        @if let Some(message) = notice { (alert(message)) }
        form.stack method="post" action="/sources" {
            (csrf(v))
            label for="url" { (t(Msg::FeedUrl)) }
            input #url name="url" type="url" required placeholder="https://example.org/feed.xml";
            button type="submit" { (t(Msg::Subscribe)) }
        }
        form.stack method="post" action="/sources/import" enctype="multipart/form-data" {
            (csrf(v))
            label for="opml" { (t(Msg::ImportOpml)) }
            input #opml name="opml" type="file" accept=".opml,.xml,text/xml,application/xml" required;
            button type="submit" { (t(Msg::ImportOpml)) }
        }
        p { a href="/sources/export.opml" download { (t(Msg::ExportOpml)) } }
        div.scroll tabindex="0" {
        table.sources {
            thead { tr { th { (t(Msg::Sources)) } th { (t(Msg::Entries)) } th { (t(Msg::Status)) } th {} } }
            tbody {
                @for s in sources {
                    tr {
                        td {
                            @let home = s.home_url.as_deref().unwrap_or(&s.feed_url);
                            @if home.starts_with("https://") || home.starts_with("http://") {
                                a href=(home) rel="nofollow noopener ugc" { (s.title) }
                            } @else { (s.title) }
                            br; small { (s.kind) " · " (s.feed_url) }
                        }
                        td { (s.entries) }
                        td { @if s.enabled { "✓" } @else { "✗" } @if let Some(e) = &s.last_error { br; small { (t(Msg::LastError)) ": " (e) } } }
                        td {
                            (button(v, &format!("/sources/{}/refresh", s.id), t(Msg::Refresh), "/sources", ""))
                            (button(v, &format!("/sources/{}/unsubscribe", s.id), t(Msg::Unsubscribe), "/sources", "danger"))
                        }
                    }
                }
            }
        }
        }
    }
}
