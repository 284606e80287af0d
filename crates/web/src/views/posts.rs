//! Posts: their text with its tags, mentions and links; a post in a stream; a stream with its
//! next page; a thread; the composer.

use maud::{Markup, html};
use text::Segment;

use super::{button, csrf, nothing, when};
use crate::domain::{
    client::encode,
    i18n::{Lang, Msg},
    model::{Page, Post},
    session::Visitor,
};

/// The longest post the composer offers (the API's default; the API has the last word).
pub const MAX_CHARS: usize = 500;
/// Media one post may carry (the API's default).
const MAX_MEDIA: usize = 4;

/// A post's text: plain runs escaped, tags to their stream, mentions to the profile, links out
/// with `rel="nofollow noopener ugc"` (user-generated: no endorsement, no access to us).
pub fn text(body: &str) -> Markup {
    html! {
        @for segment in text::segments(body) {
            @match segment {
                Segment::Text(run) => (run),
                Segment::Tag { written, tag } => a.tag href={ "/tags/" (encode(&tag)) } { (written) },
                Segment::Mention { written, name } => a.mention href={ "/@" (name) } { (written) },
                Segment::Link(url) => a href=(url) rel="nofollow noopener ugc" target="_blank" { (url) },
            }
        }
    }
}

/// One post as a stream shows it, with its actions for a signed-in visitor.
pub fn card(v: &Visitor, post: &Post, back: &str) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    let author = post.author.username.as_deref().unwrap_or(&post.author.id);
    let href = format!("/posts/{}", post.id);
    html! {
        article.post id={ "post-" (post.id) } tabindex="0" data-post=(post.id) {
            header {
                a.author href={ "/@" (author) } {
                    strong { (post.author.name()) } " " span.handle { "@" (author) }
                }
                " · "
                a.when href=(href) { (when(v.lang, post.created_at)) }
                @if post.visibility != "public" {
                    " · " span.visibility { (visibility_label(v.lang, &post.visibility)) }
                }
            }
            @if let Some(original) = &post.repost_of_id {
                p.repost { "↻ " (post.author.name()) " " (t(Msg::Reposted)) " " a href={ "/posts/" (original) } { "→" } }
            }
            @if let Some(parent) = &post.reply_to_id {
                p.reply-to { a href={ "/posts/" (parent) } { "↩ " (t(Msg::Thread)) } }
            }
            div.text { (text(&post.text)) }
            @if !post.media_ids.is_empty() {
                div.media {
                    @for (i, id) in post.media_ids.iter().enumerate() {
                        a href={ "/media/" (id) } {
                            @let alt = post.media_descriptions.get(id).cloned()
                                .unwrap_or_else(|| format!("{} {} · {}", t(Msg::Attachment), i + 1, post.author.name()));
                            img src={ "/media/" (id) "/thumbnail" } loading="lazy" width="320" height="240" alt=(alt);
                        }
                    }
                }
            }
            @if let Some(explain) = &post.explain {
                details.explain {
                    summary { (t(Msg::WhyThis)) }
                    ul { @for reason in &explain.reasons { li { (reason) } } }
                    p.score { "score " (format!("{:.3}", explain.score)) }
                }
            }
            @if v.me.is_some() {
                footer.actions {
                    a.reply href={ (href) "#reply" } data-action="reply" { (t(Msg::Reply)) @if let Some(c) = &post.counts { " " (c.replies) } }
                    @let liked = post.liked == Some(true);
                    (button(v, &format!("{href}/{}", if liked { "unlike" } else { "like" }),
                        &format!("{}{}", t(if liked { Msg::Unlike } else { Msg::Like }),
                            post.counts.as_ref().map(|c| format!(" {}", c.likes)).unwrap_or_default()),
                        back, "like"))
                    @let reposted = post.reposted == Some(true);
                    @if post.visibility == "public" {
                        (button(v, &format!("{href}/{}", if reposted { "unrepost" } else { "repost" }),
                            t(if reposted { Msg::Unrepost } else { Msg::Repost }), back, "repost"))
                    }
                    @if v.me.as_ref().is_some_and(|m| m.id.to_string() == post.author.id) {
                        (button(v, &format!("{href}/delete"), t(Msg::Delete), "/home", "delete"))
                    }
                }
            }
        }
    }
}

pub fn visibility_label(lang: Lang, visibility: &str) -> &'static str {
    match visibility {
        "public" => Msg::VisPublic.text(lang),
        "unlisted" => Msg::VisUnlisted.text(lang),
        _ => Msg::VisFollowers.text(lang),
    }
}

/// A stream: its posts, a link to the next page (which the script follows as the reader
/// scrolls), and, when `live` is given, the live stream the script listens to for "N new".
pub fn stream(v: &Visitor, page: &Page<Post>, here: &str, live: Option<&str>) -> Markup {
    let separator = if here.contains('?') { '&' } else { '?' };
    html! {
        @if let Some(live) = live {
            p.new-posts hidden data-live=(live) aria-live="polite" {
                a href=(here) { span.count { "0" } " " (Msg::NewPosts.text(v.lang)) }
            }
        }
        section.stream data-stream {
            @if page.items.is_empty() { (nothing(v.lang)) }
            @for post in &page.items { (card(v, post, here)) }
        }
        @if let Some(cursor) = &page.next_cursor {
            nav.pager {
                a.next rel="next" data-infinite href={ (here) (separator) "cursor=" (encode(cursor)) } {
                    (Msg::Older.text(v.lang))
                }
            }
        }
    }
}

/// The composer: text with a live character count, media, visibility, and the post it
/// answers. A fresh `Idempotency-Key` per form makes a double submit one post.
pub fn composer(v: &Visitor, reply_to: Option<&str>, back: &str) -> Markup {
    let t = |m: Msg| m.text(v.lang);
    let key = uuid::Uuid::new_v4();
    html! {
        form.composer #compose method="post" action="/compose" enctype="multipart/form-data"
            data-draft=(reply_to.map_or_else(|| "new".to_owned(), |id| format!("reply-{id}"))) {
            (csrf(v))
            input type="hidden" name="idempotency_key" value=(key);
            input type="hidden" name="back" value=(back);
            @if let Some(parent) = reply_to { input type="hidden" name="reply_to_id" value=(parent); }
            label for="compose-text" { (t(if reply_to.is_some() { Msg::Reply } else { Msg::Compose })) }
            textarea #compose-text name="text" required maxlength=(MAX_CHARS) rows="3"
                placeholder=(t(Msg::ComposePlaceholder)) data-max=(MAX_CHARS) aria-describedby="compose-count" {}
            p #compose-count.count aria-live="polite" { span { (MAX_CHARS) } " " (t(Msg::CharsLeft)) }
            details.media-rows {
                summary { (t(Msg::Media)) }
                @for i in 1..=MAX_MEDIA {
                    div.row {
                        label for={ "compose-media-" (i) } { (t(Msg::Attachment)) " " (i) }
                        input id={ "compose-media-" (i) } type="file" name="file" accept="image/*,video/*";
                        label for={ "compose-alt-" (i) } { (t(Msg::AltText)) }
                        input id={ "compose-alt-" (i) } name="alt" maxlength="1500";
                    }
                }
            }
            progress hidden max="100" value="0" {}
            div.row {
                label for="compose-visibility" { (t(Msg::Visibility)) }
                select #compose-visibility name="visibility" {
                    option value="public" { (t(Msg::VisPublic)) }
                    option value="unlisted" { (t(Msg::VisUnlisted)) }
                    option value="followers" { (t(Msg::VisFollowers)) }
                }
                button type="submit" { (t(if reply_to.is_some() { Msg::Reply } else { Msg::Post })) }
            }
        }
    }
}

/// A post with the thread around it and the reply form.
pub fn thread(v: &Visitor, post: &Post, ancestors: &[Post], replies: &[Post]) -> Markup {
    let here = format!("/posts/{}", post.id);
    html! {
        @for earlier in ancestors { (card(v, earlier, &here)) }
        div.focus { (card(v, post, &here)) }
        @if v.me.is_some() { div #reply { (composer(v, Some(&post.id), &here)) } }
        section.replies aria-label=(Msg::Reply.text(v.lang)) {
            @for reply in replies { (card(v, reply, &here)) }
        }
    }
}
