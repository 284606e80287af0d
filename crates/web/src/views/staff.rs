//! The moderators' report queue and log, and the admins' users and audit log.

use maud::{Markup, html};

use super::{button, csrf, nothing, when};
use crate::domain::{
    i18n::Msg,
    model::{Page, ReportItem, User},
    session::Visitor,
};

pub fn moderation(v: &Visitor, reports: &Page<ReportItem>, log: &Page<serde_json::Value>) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    html! {
        h1 { (t(Msg::Moderation)) }
        h2 { (t(Msg::Reports)) }
        @if reports.items.is_empty() { (nothing(v.lang)) }
        ul.reports {
            @for r in &reports.items {
                li {
                    a href={ "/posts/" (r.post_id) } { (r.reason) } " · " (r.status) " · " (when(v.lang, r.created_at))
                    @if !r.comment.is_empty() { blockquote { (r.comment) } }
                    form.inline method="post" action={ "/moderation/reports/" (r.id) } {
                        (csrf(v))
                        button name="action" value="dismiss" type="submit" { (t(Msg::Dismiss)) }
                        " "
                        button.danger name="action" value="hide" type="submit" { (t(Msg::Hide)) }
                    }
                }
            }
        }
        h2 { (t(Msg::Log)) }
        (rows(log))
    }
}

pub fn admin(v: &Visitor, users: &Page<User>, audit: &Page<serde_json::Value>) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    html! {
        h1 { (t(Msg::Admin)) }
        h2 { (t(Msg::Users)) }
        div.scroll tabindex="0" { table.users {
            thead { tr { th { (t(Msg::Username)) } th { (t(Msg::Email)) } th { (t(Msg::Role)) } th { (t(Msg::Status)) } th {} } }
            tbody {
                @for u in &users.items {
                    tr {
                        td { a href={ "/@" (u.username) } { "@" (u.username) } }
                        td { (u.email.as_deref().unwrap_or("")) }
                        td {
                            form.inline method="post" action={ "/admin/users/" (u.id) } {
                                (csrf(v))
                                label.hidden for={ "role-" (u.id) } { (t(Msg::Role)) }
                                select id={ "role-" (u.id) } name="role" {
                                    @for role in ["user", "moderator", "admin"] { option value=(role) selected[u.role == role] { (role) } }
                                }
                                " " button type="submit" { (t(Msg::Save)) }
                            }
                        }
                        td { (u.status.as_deref().unwrap_or("")) }
                        td {
                            @if u.status.as_deref() == Some("suspended") {
                                (button(v, &format!("/admin/users/{}/restore", u.id), t(Msg::Restore), "/admin", ""))
                            } @else {
                                (button(v, &format!("/admin/users/{}/suspend", u.id), t(Msg::Suspend), "/admin", "danger"))
                            }
                        }
                    }
                }
            }
        } }
        h2 { (t(Msg::Audit)) }
        (rows(audit))
    }
}

/// A log as a table of its entries' fields (the API documents each log's fields).
fn rows(page: &Page<serde_json::Value>) -> Markup {
    let columns: Vec<String> =
        page.items.first().and_then(|e| e.as_object()).map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let cell = |value: Option<&serde_json::Value>| match value {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    html! {
        div.scroll tabindex="0" {
            table.log {
                thead { tr { @for c in &columns { th { (c) } } } }
                tbody { @for entry in &page.items { tr { @for c in &columns { td { (cell(entry.get(c))) } } } } }
            }
        }
    }
}
