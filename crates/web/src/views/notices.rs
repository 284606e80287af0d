//! Notifications, grouped as the API groups them, and search results.

use maud::{Markup, html};

use super::{button, nothing, when};
use crate::domain::{
    client::encode,
    i18n::{Lang, Msg},
    model::{Found, Group, Page},
    session::Visitor,
};

fn what(kind: &str) -> Msg {
    match kind {
        "like" => Msg::LikedYourPost,
        "repost" => Msg::RepostedYourPost,
        "follow" => Msg::FollowedYou,
        "mention" => Msg::MentionedYou,
        "reply" => Msg::RepliedToYou,
        "post" => Msg::NewPostBy,
        "post_hidden" => Msg::PostHidden,
        "report" => Msg::ReportFiled,
        "report_resolved" => Msg::ReportResolved,
        _ => Msg::SignedUp,
    }
}

/// Who did it: up to three names, and how many more.
fn who(lang: Lang, group: &Group) -> Markup {
    let shown = group.sample_accounts.iter().take(3);
    let others = group.count - group.sample_accounts.len().min(3) as i64;
    html! {
        @for (i, account) in shown.enumerate() {
            @if i > 0 { ", " }
            a href={ "/@" (account.username) } { (account.display_name) }
        }
        @if others > 0 { " " (Msg::AndOthers.text(lang)) " (+" (others) ")" }
    }
}

pub fn notifications(v: &Visitor, page: &Page<Group>) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    html! {
        h1 { (t(Msg::Notifications)) }
        @if let Some(newest) = page.items.first() {
            form.inline method="post" action="/notifications/read" {
                (super::csrf(v))
                input type="hidden" name="read_up_to" value=(newest.id);
                button type="submit" { (t(Msg::MarkRead)) }
            }
        }
        p.new-posts hidden data-live="/live/notifications" aria-live="polite" {
            a href="/notifications" { span.count { "0" } " " (t(Msg::Notifications)) }
        }
        ol.notifications data-stream {
            @for group in &page.items {
                li.notification.unread[group.unread] data-kind=(group.kind) {
                    (who(v.lang, group)) " " (t(what(&group.kind)))
                    @if let Some(post) = &group.post_id { " " a href={ "/posts/" (post) } { "→" } }
                    " · " (when(v.lang, group.latest_at))
                    " " (button(v, &format!("/notifications/{}/dismiss", group.id), t(Msg::Dismiss), "/notifications", "link"))
                }
            }
        }
        @if page.items.is_empty() { (nothing(v.lang)) }
        @if let Some(cursor) = &page.next_cursor {
            nav.pager { a.next rel="next" data-infinite href={ "/notifications?cursor=" (encode(cursor)) } { (t(Msg::More)) } }
        }
    }
}

/// A search snippet: search sends escaped text with the matches in `<mark>`. Only those marks
/// are kept as markup; everything else is decoded and escaped again here, so no other tag can
/// reach the page whatever the snippet holds.
fn highlighted(snippet: &str) -> Markup {
    let mut pieces = Vec::new();
    for (i, outside) in snippet.split("<mark>").enumerate() {
        let (inside, after) =
            if i == 0 { ("", outside) } else { outside.split_once("</mark>").unwrap_or((outside, "")) };
        pieces.push((html_escape::decode_html_entities(inside).into_owned(), true));
        pieces.push((html_escape::decode_html_entities(after).into_owned(), false));
    }
    html! {
        @for (text, marked) in pieces.iter().filter(|(t, _)| !t.is_empty()) {
            @if *marked { mark { (text) } } @else { (text) }
        }
    }
}

pub fn search(v: &Visitor, query: &str, kind: &str, results: Option<&Page<Found>>) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    let tab = |value: &str, label: Msg| {
        let current = value == kind;
        html! { a aria-current=[current.then_some("page")] href={ "/search?type=" (value) "&q=" (encode(query)) } { (t(label)) } }
    };
    html! {
        h1 { (t(Msg::Search)) }
        form.stack role="search" method="get" action="/search" {
            label for="search-q" { (t(Msg::Search)) }
            input #search-q type="search" name="q" value=(query) required maxlength="512";
            input type="hidden" name="type" value=(kind);
            button type="submit" { (t(Msg::Search)) }
        }
        nav.tabs { (tab("posts", Msg::Posts)) " " (tab("people", Msg::People)) " " (tab("tags", Msg::Tags)) }
        @if let Some(results) = results {
            @if results.items.is_empty() { p.empty { (t(Msg::NoResults)) } }
            ul.results {
                @for found in &results.items {
                    li {
                        @match found {
                            Found::Post { id, snippet, created_at, .. } => {
                                a href={ "/posts/" (id) } { (highlighted(snippet)) } " · " (when(v.lang, *created_at))
                            }
                            Found::Person { username, display_name, followers } => {
                                a href={ "/@" (username) } { (display_name) " @" (username) } " · " (followers) " " (t(Msg::Followers))
                            }
                            Found::Tag { name, posts } => {
                                a href={ "/tags/" (encode(name)) } { "#" (name) } " · " (posts) " " (t(Msg::Posts))
                            }
                        }
                    }
                }
            }
            @if let Some(cursor) = &results.next_cursor {
                nav.pager { a.next rel="next" href={ "/search?type=" (kind) "&q=" (encode(query)) "&cursor=" (encode(cursor)) } { (t(Msg::More)) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::highlighted;

    #[test]
    fn a_snippet_keeps_its_marks_and_nothing_else() {
        let html =
            highlighted("say &lt;b&gt;<mark>hello</mark> &amp; <mark>world</mark><script>x</script>").into_string();
        assert_eq!(html, "say &lt;b&gt;<mark>hello</mark> &amp; <mark>world</mark>&lt;script&gt;x&lt;/script&gt;");
    }
}
