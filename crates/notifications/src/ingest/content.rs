//! Content's events: a new post tells whom it answers, reposts or mentions, and the author's
//! "notify me" followers; a like tells the author; an unlike, a deleted or hidden post takes
//! back what they told (a hidden post tells its author instead); a report tells the
//! moderators, its resolution the reporter.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::{
    PostId,
    content::{ContentEvent, PostRef},
};
use platform::{Change, Writer, events::Event, ingest::Ingest};

use super::{Woken, nobody, tell, wake};
use crate::{
    Notifications,
    domain::{Kind, Notice},
    store::{
        groups::{self, Taken},
        people::{self, PostFacts},
        post_key,
    },
};

pub const CONSUMER: &str = "notifications.content";

pub struct Posts(pub Arc<Notifications>);

#[async_trait]
impl Ingest for Posts {
    type Family = ContentEvent;
    type Committed = Woken;

    fn writer(&self) -> &Writer {
        &self.0.store
    }

    async fn apply(&self, change: &mut Change, event: ContentEvent, envelope: &Event) -> anyhow::Result<Woken> {
        let service = &self.0;
        let at_ms = envelope.occurred_at_ms;
        let mut woken = Woken::new();
        match event {
            ContentEvent::PostCreated(snapshot) => {
                let post = snapshot.post;
                let facts =
                    PostFacts { author: post.author_id, visibility: post.visibility, repost_of: post.repost_of_id };
                people::record_post(change, post.id, &facts).await?;
                let notice = |recipient, kind, about: PostId| Notice {
                    recipient,
                    kind,
                    actor: post.author_id,
                    post: Some(about),
                    at_ms,
                };
                if let (Some(original), Some(author)) = (post.repost_of_id, post.repost_of_author_id) {
                    let reposted = people::post(change.conn(), original).await?;
                    woken.extend(
                        tell(service, change, notice(author, Kind::Repost, original), reposted.as_ref()).await?,
                    );
                    return Ok(woken);
                }
                let mut told = vec![post.author_id];
                if let Some(answered) = post.reply_to_author_id {
                    woken.extend(tell(service, change, notice(answered, Kind::Reply, post.id), Some(&facts)).await?);
                    told.push(answered);
                }
                for mentioned in people::by_usernames(change, &post.mentions).await? {
                    if !told.contains(&mentioned) {
                        woken.extend(
                            tell(service, change, notice(mentioned, Kind::Mention, post.id), Some(&facts)).await?,
                        );
                        told.push(mentioned);
                    }
                }
                // "Notify me" is about what an account writes, not its answers to others.
                if post.reply_to_id.is_none() {
                    for follower in people::notified_followers(change, post.author_id).await? {
                        if !told.contains(&follower) {
                            woken.extend(
                                tell(service, change, notice(follower, Kind::Post, post.id), Some(&facts)).await?,
                            );
                        }
                    }
                }
            }
            ContentEvent::PostEdited(snapshot) => {
                let post = snapshot.post;
                let facts =
                    PostFacts { author: post.author_id, visibility: post.visibility, repost_of: post.repost_of_id };
                people::record_post(change, post.id, &facts).await?;
            }
            ContentEvent::PostLiked(like) => {
                let post = people::post(change.conn(), like.post_id).await?;
                let notice = Notice {
                    recipient: like.author_id,
                    kind: Kind::Like,
                    actor: like.user_id,
                    post: Some(like.post_id),
                    at_ms,
                };
                woken.extend(tell(service, change, notice, post.as_ref()).await?);
            }
            ContentEvent::PostUnliked(like) => {
                let taken = Taken::One {
                    recipient: like.author_id,
                    kind: Kind::Like,
                    actor: like.user_id,
                    post_key: post_key(Some(like.post_id)),
                };
                woken.extend(groups::take_back(change, taken).await?);
            }
            ContentEvent::PostDeleted(removed) => woken.extend(taken_away(service, change, &removed, None).await?),
            ContentEvent::PostHidden(removed) => {
                woken.extend(taken_away(service, change, &removed, Some(at_ms)).await?);
            }
            ContentEvent::ReportFiled(report) => {
                for moderator in people::moderators(change).await? {
                    let notice = Notice {
                        recipient: moderator,
                        kind: Kind::Report,
                        actor: report.reporter_id,
                        post: Some(report.post_id),
                        at_ms,
                    };
                    woken.extend(tell(service, change, notice, None).await?);
                }
            }
            ContentEvent::ReportResolved(outcome) => {
                let notice = Notice {
                    recipient: outcome.reporter_id,
                    kind: Kind::ReportResolved,
                    actor: nobody(),
                    post: Some(outcome.post_id),
                    at_ms,
                };
                woken.extend(tell(service, change, notice, None).await?);
            }
            ContentEvent::MediaUploaded(_) => {}
        }
        Ok(woken)
    }

    fn committed(&self, woken: Woken) {
        wake(&self.0, &woken);
    }
}

/// A deleted or hidden post takes back what it told and what was told about it (a repost, its
/// repost notification); a post hidden at `hidden_at_ms` tells its author.
async fn taken_away(
    service: &Notifications,
    change: &mut Change,
    removed: &PostRef,
    hidden_at_ms: Option<i64>,
) -> anyhow::Result<Woken> {
    let mut woken = Woken::new();
    let forgotten = people::forget_post(change, removed.id).await?;
    if let Some(PostFacts { repost_of: Some(original), .. }) = forgotten
        && let Some(author) = people::post(change.conn(), original).await?.map(|p| p.author)
    {
        let taken = Taken::One {
            recipient: author,
            kind: Kind::Repost,
            actor: removed.author_id,
            post_key: post_key(Some(original)),
        };
        woken.extend(groups::take_back(change, taken).await?);
    }
    woken.extend(groups::take_back(change, Taken::AboutPost(post_key(Some(removed.id)))).await?);
    if let Some(at_ms) = hidden_at_ms {
        let notice = Notice {
            recipient: removed.author_id,
            kind: Kind::PostHidden,
            actor: nobody(),
            post: Some(removed.id),
            at_ms,
        };
        woken.extend(tell(service, change, notice, None).await?);
    }
    Ok(woken)
}
