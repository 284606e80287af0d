//! Live streams: new posts of the home and public timelines, as they enter them.
//!
//! The ingest of content's events hydrates each new post once and broadcasts it, after its
//! commit, to every open stream of the process; each stream decides in memory whether its reader
//! is shown it, by the same home rule as the timeline (`domain::home::shows`) over the reader's
//! part of the graph, which is cached per user and dropped when the graph's events change it.
//! So a post costs one read for all sockets, not one per socket.
//!
//! A client that reconnects with the last post it saw first gets what it missed (from the read
//! model, oldest first), then new posts as they arrive; the subscription starts before the
//! catch-up query, and posts already sent are skipped, so there is neither a gap nor a duplicate
//! at the seam.
//!
//! A signed-in stream lasts as long as its token: it ends, with a final event saying why, when
//! the token expires, its session ends, the account is suspended or deleted, or its role
//! changes (the verifier learns these from identity's events in every process).

use std::{collections::HashSet, sync::Arc, time::Duration};

use contracts::PostId;
use futures::Stream;
use platform::{Principal, http::live::unix_now};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::{
    Feed,
    domain::{
        FeedError,
        home::{self, Reader},
        timelines::Timeline,
    },
    store::{graph, posts},
    view::Hydrated,
};

/// What the feed's consumers tell the live streams of their process.
#[derive(Debug, Clone)]
pub enum Live {
    /// A post just entered timelines.
    Post(Arc<NewPost>),
    /// A user's follows, blocks, mutes or tag follows changed.
    Graph(Uuid),
}

/// A post that just entered some timelines, hydrated once for every stream.
#[derive(Debug)]
pub struct NewPost {
    pub post: Hydrated,
    /// The timeline keys it entered (`public`, `tag:<tag>`, ...).
    pub timelines: HashSet<String>,
}

/// What a live stream sends.
#[derive(Debug)]
pub enum Item {
    Post(Hydrated),
    /// The stream is over, and why; nothing follows.
    End(EndReason),
}

pub use platform::http::live::EndReason;

/// How many missed posts a reconnecting client is sent before live ones.
const CATCH_UP: usize = 200;
/// How often a stream looks at its reader's graph again without being told (a change handled by
/// another replica reaches it within this time).
const GRAPH_FRESH_FOR: Duration = Duration::from_secs(30);

/// Whom a stream shows posts to.
enum Audience {
    /// A home stream: the home rule over the reader's graph.
    Home(Arc<Reader>),
    /// The public stream: public posts, but for the authors a signed-in reader blocks or mutes.
    Public(Arc<HashSet<Uuid>>),
}

impl Audience {
    /// Whom `viewer` is shown posts of `timeline`; `fresh` reads the graph again rather than
    /// trust the cache (after a change: a read that raced the change may have cached the
    /// graph from before it).
    async fn of(feed: &Feed, timeline: &Timeline, viewer: Option<Uuid>, fresh: bool) -> Result<Audience, FeedError> {
        Ok(match (timeline, viewer) {
            (Timeline::Home(user), _) => Audience::Home(reader(feed, *user, fresh).await?),
            (_, Some(user)) => Audience::Public(Arc::new(graph::silenced(&feed.store, user).await?)),
            (_, None) => Audience::Public(Arc::default()),
        })
    }

    fn shows(&self, new_post: &NewPost) -> bool {
        match self {
            Audience::Home(reader) => home::shows(reader, &new_post.post.facts),
            Audience::Public(silenced) => {
                new_post.timelines.contains(Timeline::Public.key().as_str())
                    && !silenced.contains(&new_post.post.facts.author_id)
            }
        }
    }
}

/// A reader's part of the graph, shared by their streams until it changes.
async fn reader(feed: &Feed, user: Uuid, fresh: bool) -> Result<Arc<Reader>, FeedError> {
    if !fresh && let Some(reader) = feed.caches.readers.get(&user) {
        return Ok(reader);
    }
    let reader = Arc::new(graph::reader(&feed.store, user).await?);
    feed.caches.readers.insert(user, Arc::clone(&reader));
    Ok(reader)
}

/// The posts of `timeline` (home or public) from after `resume` on, as they arrive, for `viewer`
/// (required for home); ends when the viewer's token stops being good.
pub async fn follow(
    feed: Arc<Feed>,
    timeline: Timeline,
    viewer: Option<Principal>,
    resume: Option<PostId>,
) -> Result<impl Stream<Item = Item>, FeedError> {
    let mut receiver = feed.live.subscribe();
    let user = viewer.as_ref().map(|v| v.user_id);
    if let Timeline::Home(user) = timeline {
        // An open home stream is reading: fan-out goes on reaching this home.
        super::home::reading(&feed, user).await?;
    }
    let mut audience = Audience::of(&feed, &timeline, user, false).await?;
    let missed = match resume {
        Some(after) => {
            super::hydrate(&feed, &posts::newer_than(&feed.store, &timeline, after, CATCH_UP).await?).await?
        }
        None => Vec::new(),
    };
    let mut revocations = feed.verifier.revocations();
    let shutdown = feed.shutdown.clone();
    Ok(async_stream::stream! {
        let mut last = resume;
        for post in missed {
            last = post.id.parse().ok().or(last);
            yield Item::Post(post);
        }
        let expiry = viewer.as_ref().map(|v| {
            let left = (v.expires_at - unix_now()).max(0) as u64;
            tokio::time::Instant::now() + Duration::from_secs(left)
        });
        let expired = async move {
            match expiry {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(expired);
        let mut refresh = tokio::time::interval(GRAPH_FRESH_FOR);
        refresh.reset();
        loop {
            let live = tokio::select! {
                biased;
                () = shutdown.cancelled() => {
                    yield Item::End(EndReason::ShuttingDown);
                    break;
                }
                () = &mut expired => {
                    yield Item::End(EndReason::TokenExpired);
                    break;
                }
                changed = revocations.changed() => {
                    if let (Ok(()), Some(viewer)) = (changed, &viewer)
                        && let Err(error) = feed.verifier.check(viewer)
                    {
                        yield Item::End(EndReason::of(error));
                        break;
                    }
                    continue;
                }
                _ = refresh.tick() => {
                    if let Timeline::Home(user) = timeline {
                        let _ = super::home::reading(&feed, user).await;
                    }
                    if let Ok(fresh) = Audience::of(&feed, &timeline, user, false).await {
                        audience = fresh;
                    }
                    continue;
                }
                live = receiver.recv() => live,
            };
            let new_post = match live {
                Ok(Live::Post(new_post)) => new_post,
                Ok(Live::Graph(changed)) => {
                    if Some(changed) == user
                        && let Ok(fresh) = Audience::of(&feed, &timeline, user, true).await
                    {
                        audience = fresh;
                    }
                    continue;
                }
                // A slow client missed some; it can resume with Last-Event-ID.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            };
            let id = new_post.post.facts.id;
            if !audience.shows(&new_post) || last.is_some_and(|l| id <= l) {
                continue;
            }
            last = Some(id);
            yield Item::Post(Arc::clone(&new_post.post));
        }
    })
}
