//! A profile: who they are, the relationship with the visitor and its buttons, their posts;
//! and the lists of followers and following.

use maud::{Markup, html};

use super::{button, posts, when};
use crate::domain::{
    i18n::Msg,
    model::{Edge, Page, Post, Relationship, User},
    session::Visitor,
};

pub fn profile(v: &Visitor, user: &User, relation: Option<&Relationship>, page: &Page<Post>) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    let here = format!("/@{}", user.username);
    let own = v.me.as_ref().is_some_and(|m| m.id.to_string() == user.id);
    html! {
        section.profile {
            @if let Some(avatar) = &user.avatar_media_id {
                img.avatar src={ "/media/" (avatar) "/thumbnail" } alt="" width="96" height="96";
            }
            h1 { (user.display_name) " " span.handle { "@" (user.username) } }
            @if !user.bio.is_empty() { p.bio { (posts::text(&user.bio)) } }
            p.meta {
                a href={ (here) "/followers" } { (t(Msg::Followers)) } " · "
                a href={ (here) "/following" } { (t(Msg::Following)) } " · "
                (when(v.lang, user.created_at))
                @if relation.is_some_and(|r| r.followed_by) { " · " span.badge { (t(Msg::FollowsYou)) } }
            }
            @if let (Some(r), false) = (relation, own) {
                div.actions {
                    @let base = format!("/users/{}", user.id);
                    (button(v, &format!("{base}/{}", if r.following { "unfollow" } else { "follow" }),
                        t(if r.following { Msg::Unfollow } else { Msg::Follow }), &here, "primary"))
                    (button(v, &format!("{base}/{}", if r.muting { "unmute" } else { "mute" }),
                        t(if r.muting { Msg::Unmute } else { Msg::Mute }), &here, ""))
                    (button(v, &format!("{base}/{}", if r.blocking { "unblock" } else { "block" }),
                        t(if r.blocking { Msg::Unblock } else { Msg::Block }), &here, "danger"))
                }
            }
        }
        h2 { (t(Msg::Posts)) }
        (posts::stream(v, page, &here, None))
    }
}

/// Followers or following of `user`.
pub fn edges(v: &Visitor, user: &User, title: &str, page: &Page<Edge>, here: &str) -> Markup {
    html! {
        h1 { (title) " · @" (user.username) }
        ul.people {
            @for edge in &page.items { li { a href={ "/@" (edge.username) } { "@" (edge.username) } } }
        }
        @if page.items.is_empty() { (super::nothing(v.lang)) }
        @if let Some(cursor) = &page.next_cursor {
            nav.pager { a.next rel="next" href={ (here) "?cursor=" (crate::domain::client::encode(cursor)) } { (Msg::More.text(v.lang)) } }
        }
    }
}
