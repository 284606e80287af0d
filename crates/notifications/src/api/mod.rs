//! Notifications' HTTP API: groups (`groups`), preferences and the per-follow "notify me"
//! switch (`preferences`), the live stream (`stream`), and the one mapping of errors to
//! answers (`error`).

mod error;
mod groups;
mod preferences;
mod stream;

use std::{collections::HashMap, sync::Arc};

use contracts::PostId;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    Notifications,
    domain::{Kind, NotificationsError},
    store::{
        groups::Group,
        people::{self, Account},
    },
};

pub(crate) fn routes() -> OpenApiRouter<Arc<Notifications>> {
    OpenApiRouter::new()
        .routes(routes!(groups::list))
        .routes(routes!(groups::unread))
        .routes(routes!(groups::read))
        .routes(routes!(groups::one, groups::dismiss))
        .routes(routes!(groups::accounts))
        .routes(routes!(preferences::show, preferences::change))
        .routes(routes!(preferences::notify_on, preferences::notify_off, preferences::notify_state))
        .routes(routes!(stream::stream))
}

/// A group of notifications: one, or likes, reposts, follows or sign-ups of one target within
/// the grouping window.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GroupView {
    pub id: String,
    pub kind: Kind,
    /// How many notifications the group holds (exact).
    pub count: i64,
    /// The post it is about (the liked or reposted post, the reply, the mention).
    pub post_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: time::OffsetDateTime,
    /// When its newest notification happened: groups are listed by it.
    #[serde(with = "time::serde::rfc3339")]
    pub latest_at: time::OffsetDateTime,
    /// Newer than the read marker.
    pub unread: bool,
    /// The newest accounts, up to 8, newest first.
    pub sample_accounts: Vec<Account>,
}

/// `groups` as the API shows them, their sample accounts named in one query.
pub(crate) async fn views(
    service: &Notifications,
    groups: Vec<Group>,
    read_up_to_ms: i64,
) -> Result<Vec<GroupView>, NotificationsError> {
    let mut ids: Vec<String> = groups.iter().flat_map(|g| g.sample_ids.iter().cloned()).collect();
    ids.sort_unstable();
    ids.dedup();
    let named: HashMap<String, Account> =
        people::accounts(&service.store, &ids).await?.into_iter().map(|a| (a.id.clone(), a)).collect();
    Ok(groups
        .into_iter()
        .map(|g| GroupView {
            post_id: (g.post_key != 0)
                .then(|| PostId::from_u64(g.post_key as u64).map(|p| p.to_string()).ok())
                .flatten(),
            kind: g.kind,
            count: g.count,
            opened_at: platform::db::from_ms(g.opened_at_ms),
            latest_at: platform::db::from_ms(g.latest_at_ms),
            unread: g.latest_at_ms > read_up_to_ms,
            sample_accounts: g.sample_ids.iter().filter_map(|id| named.get(id).cloned()).collect(),
            id: g.id,
        })
        .collect())
}

/// Leaves out the groups about posts `reader` may no longer see (a followers-only post of an
/// account they stopped following; deleted posts' groups are gone already), in two queries.
pub(crate) async fn still_visible(
    service: &Notifications,
    reader: Uuid,
    mut groups: Vec<Group>,
) -> Result<Vec<Group>, NotificationsError> {
    let about = |group: &Group| {
        PostId::from_u64(group.post_key as u64).ok().filter(|_| group.post_key != 0 && !group.kind.is_moderation())
    };
    let ids: Vec<PostId> = groups.iter().filter_map(about).collect();
    let posts = people::posts(&service.store, &ids).await?;
    let mut authors: Vec<Uuid> = posts.values().map(|p| p.author).collect();
    authors.sort_unstable();
    authors.dedup();
    let followed = people::followed_among(&service.store, reader, &authors).await?;
    // A post notifications never saw (written before they ran) is not held back.
    groups.retain(|group| match about(group).and_then(|id| posts.get(&id)) {
        Some(post) => people::visible_to(reader, post, followed.contains(&post.author)),
        None => true,
    });
    Ok(groups)
}
