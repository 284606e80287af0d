//! The "for you" stream: posts ranked for one reader by an explicit formula, served from a
//! snapshot so that paging never repeats a post however the scores move meanwhile.
//!
//! # Candidates
//! * `home`: the newest 300 posts of the reader's home timeline (a repost counts as its original);
//! * `tag:<tag>`: the newest 50 public posts of each of the 5 hashtags the reader cares most about;
//! * `liked_by_follows`: up to 200 posts that accounts the reader follows liked in the last 3 days;
//! * `public`: the newest 100 public posts, so a new reader has something too.
//!
//! Left out: the reader's own posts, authors they block or mute or who block them, replies to
//! accounts they do not follow, and what they may not see (followers-only or unlisted posts of
//! accounts they do not follow).
//!
//! # Score
//! `score = freshness × relevance × diversity`, with
//! `relevance = 1 + 1.0·affinity + 0.8·tag_interest + 0.6·social_proof + 0.5·engagement`:
//! * `freshness = 0.5^(age / 12 h)`;
//! * `affinity` (0 to 1.5): 0.5 for following the author, plus `ln(1+n)/ln(11)` (at most 1) for
//!   the reader's `n` likes of and replies to the author in the last 30 days;
//! * `tag_interest` (0 to 1): the best of the post's hashtags, each worth 0.5 when followed plus
//!   0.5 × its share of the reader's recent engagement relative to their most engaged tag;
//! * `social_proof` (0 to 1): `ln(1+k)/ln(11)` for `k` follows who liked or reposted it;
//! * `engagement`: `ln(1 + likes + 2·reposts + replies) / ln(101)`, 1 at 100 interactions;
//! * `diversity = 0.75^n` for `n` posts by the same author ranked above, and no two posts of one
//!   author in a row while another author is left.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use platform::{ApiError, db::now_ms, ids::PostId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use timeline::TimelineKey;
use utoipa::ToSchema;

use crate::{
    Feed,
    read_model::Summary,
    streams::{self, Hydrated, Stream, StreamPost},
};

const HALF_LIFE_MS: f64 = 12.0 * 3_600_000.0;
const WEIGHT_AFFINITY: f64 = 1.0;
const WEIGHT_TAGS: f64 = 0.8;
const WEIGHT_SOCIAL: f64 = 0.6;
const WEIGHT_ENGAGEMENT: f64 = 0.5;
const DIVERSITY_DECAY: f64 = 0.75;
const HOME_CANDIDATES: usize = 300;
const TAGS: usize = 5;
const TAG_CANDIDATES: usize = 50;
const LIKED_CANDIDATES: usize = 200;
const PUBLIC_CANDIDATES: usize = 100;
const LIKES_WINDOW_MS: i64 = 3 * 86_400_000;
const INTEREST_WINDOW_MS: i64 = 30 * 86_400_000;
/// How many ranked posts a snapshot keeps: ten pages of the default size.
pub const SNAPSHOT_SIZE: usize = 200;
/// How long a snapshot's cursors stay valid.
pub const SNAPSHOT_TTL_MS: i64 = 3_600_000;

/// Why a post is where it is: the components of its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Explain {
    pub score: f64,
    pub freshness: f64,
    pub relevance: f64,
    pub affinity: f64,
    pub tag_interest: f64,
    pub social_proof: f64,
    pub engagement: f64,
    pub diversity: f64,
    /// Where the post came from: `home`, `tag:<tag>`, `liked_by_follows`, `public`.
    pub sources: Vec<String>,
}

/// What the ranking knows of the reader.
#[derive(Debug, Default)]
pub struct Reader {
    pub id: String,
    pub follows: HashSet<String>,
    pub hidden: HashSet<String>,
    /// Likes of and replies to each author, recently.
    pub interactions: HashMap<String, u64>,
    pub followed_tags: HashSet<String>,
    /// Likes and own posts with each tag, recently.
    pub engaged_tags: HashMap<String, u64>,
}

impl Reader {
    fn tag_interest(&self, tag: &str) -> f64 {
        let most = self.engaged_tags.values().copied().max().unwrap_or(0);
        let followed = if self.followed_tags.contains(tag) { 0.5 } else { 0.0 };
        let engaged = self.engaged_tags.get(tag).map_or(0.0, |&n| 0.5 * n as f64 / most as f64);
        followed + engaged
    }

    /// The tags worth drawing candidates from, most interesting first.
    fn top_tags(&self) -> Vec<String> {
        let mut tags: Vec<&String> = self.followed_tags.iter().chain(self.engaged_tags.keys()).collect();
        tags.sort_unstable();
        tags.dedup();
        let mut scored: Vec<(f64, &String)> = tags.into_iter().map(|t| (self.tag_interest(t), t)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored.into_iter().take(TAGS).map(|(_, t)| t.clone()).collect()
    }

    /// Whether the reader may be shown `post` here (see the module documentation).
    fn admits(&self, post: &Summary) -> bool {
        let follows_author = self.follows.contains(&post.author_id);
        post.author_id != self.id
            && !self.hidden.contains(&post.author_id)
            && (post.visibility == "public" || follows_author)
            && post.reply_to_author_id.as_ref().is_none_or(|to| *to == self.id || self.follows.contains(to))
    }
}

/// A candidate with what scoring needs.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub post: Summary,
    pub likes: u64,
    pub reposts: u64,
    pub replies: u64,
    /// Follows of the reader who liked or reposted it.
    pub endorsements: u64,
    pub sources: Vec<String>,
}

/// A post's place in the ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    pub id: u64,
    pub author_id: String,
    pub explain: Explain,
}

fn log_scale(n: f64, at_one: f64) -> f64 {
    (1.0 + n).ln() / (1.0 + at_one).ln()
}

/// Scores a candidate for a reader at `now_ms`, before diversity.
pub fn score(reader: &Reader, candidate: &Candidate, now_ms: i64) -> Explain {
    let post = &candidate.post;
    let age = (now_ms - post.created_at_ms).max(0) as f64;
    let freshness = 0.5f64.powf(age / HALF_LIFE_MS);
    let follows = if reader.follows.contains(&post.author_id) { 0.5 } else { 0.0 };
    let interactions = reader.interactions.get(&post.author_id).copied().unwrap_or(0) as f64;
    let affinity = follows + log_scale(interactions, 10.0).min(1.0);
    let tag_interest = post.tags.iter().map(|t| reader.tag_interest(t)).fold(0.0, f64::max);
    let social_proof = log_scale(candidate.endorsements as f64, 10.0).min(1.0);
    let interactions = candidate.likes + 2 * candidate.reposts + candidate.replies;
    let engagement = log_scale(interactions as f64, 100.0);
    let relevance = 1.0
        + WEIGHT_AFFINITY * affinity
        + WEIGHT_TAGS * tag_interest
        + WEIGHT_SOCIAL * social_proof
        + WEIGHT_ENGAGEMENT * engagement;
    Explain {
        score: freshness * relevance,
        freshness,
        relevance,
        affinity,
        tag_interest,
        social_proof,
        engagement,
        diversity: 1.0,
        sources: candidate.sources.clone(),
    }
}

/// Orders scored posts best first, spreading authors out: each further post by an author counts
/// `0.75^n` of its score, and the next post is never by the author just placed while another
/// author is left. Quadratic, which is fine for a few hundred candidates.
pub fn diversify(mut pending: Vec<Ranked>) -> Vec<Ranked> {
    let mut placed: Vec<Ranked> = Vec::with_capacity(pending.len());
    let mut per_author: HashMap<String, i32> = HashMap::new();
    // Ties go to the newer post, so the order does not depend on the input's.
    pending.sort_by(|a, b| b.explain.score.total_cmp(&a.explain.score).then(b.id.cmp(&a.id)));
    while !pending.is_empty() {
        let last_author = placed.last().map(|r| r.author_id.as_str());
        let effective =
            |r: &Ranked| r.explain.score * DIVERSITY_DECAY.powi(per_author.get(&r.author_id).copied().unwrap_or(0));
        let best = |others_only: bool| {
            pending
                .iter()
                .enumerate()
                .filter(|(_, r)| !others_only || Some(r.author_id.as_str()) != last_author)
                .max_by(|(_, a), (_, b)| effective(a).total_cmp(&effective(b)).then(a.id.cmp(&b.id)))
                .map(|(i, _)| i)
        };
        let index = best(true).or_else(|| best(false)).expect("pending is not empty");
        let mut next = pending.swap_remove(index);
        let seen = per_author.entry(next.author_id.clone()).or_insert(0);
        next.explain.diversity = DIVERSITY_DECAY.powi(*seen);
        next.explain.score *= next.explain.diversity;
        *seen += 1;
        placed.push(next);
    }
    placed
}

/// Ranks the reader's candidates: at most [`SNAPSHOT_SIZE`] posts, best first.
pub async fn rank(feed: &Feed, user: &str) -> Result<Vec<Ranked>, ApiError> {
    let now = now_ms();
    let reader = reader(feed, user, now).await?;
    let mut sources: HashMap<u64, Vec<String>> = HashMap::new();
    let mut add = |ids: Vec<PostId>, source: &str| {
        for id in ids {
            sources.entry(id.get()).or_default().push(source.to_owned());
        }
    };
    add(streams::ids(feed, &Stream::Home(user.to_owned()), None, HOME_CANDIDATES).await?, "home");
    for tag in reader.top_tags() {
        let key = TimelineKey::new(format!("tag:{tag}"));
        add(feed.timelines.page(&key, None, TAG_CANDIDATES).await.map_err(anyhow::Error::from)?, &format!("tag:{tag}"));
    }
    let liked = sqlx::query(
        "SELECT l.post_id AS id FROM feed_likes l JOIN feed_follows f ON f.followee_id = l.user_id \
         WHERE f.follower_id = $1 AND l.created_at_ms >= $2 \
         GROUP BY l.post_id ORDER BY COUNT(*) DESC, l.post_id DESC LIMIT $3",
    )
    .bind(user)
    .bind(now - LIKES_WINDOW_MS)
    .bind(LIKED_CANDIDATES as i64)
    .fetch_all(feed.db.reader())
    .await?;
    add(crate::home::ids_of(&liked)?, "liked_by_follows");
    let public = feed.timelines.page(&TimelineKey::new("public"), None, PUBLIC_CANDIDATES).await;
    add(public.map_err(anyhow::Error::from)?, "public");

    let candidates = candidates(feed, &reader, sources).await?;
    let scored = candidates
        .iter()
        .map(|c| Ranked { id: c.post.id, author_id: c.post.author_id.clone(), explain: score(&reader, c, now) })
        .collect();
    let mut ranked = diversify(scored);
    ranked.truncate(SNAPSHOT_SIZE);
    Ok(ranked)
}

/// Gathers what the ranking knows of `user` (one query each).
async fn reader(feed: &Feed, user: &str, now: i64) -> Result<Reader, ApiError> {
    let db = feed.db.reader();
    let strings = |rows: Vec<sqlx::any::AnyRow>, column: &str| -> Result<HashSet<String>, sqlx::Error> {
        rows.iter().map(|r| r.try_get::<String, _>(column)).collect()
    };
    let counts = |rows: Vec<sqlx::any::AnyRow>, counts: &mut HashMap<String, u64>| -> Result<(), sqlx::Error> {
        for row in rows {
            *counts.entry(row.try_get("k")?).or_default() += row.try_get::<i64, _>("n")? as u64;
        }
        Ok(())
    };
    let since = now - INTEREST_WINDOW_MS;
    let mut reader = Reader { id: user.to_owned(), ..Reader::default() };
    reader.follows = strings(
        sqlx::query("SELECT followee_id FROM feed_follows WHERE follower_id = $1").bind(user).fetch_all(db).await?,
        "followee_id",
    )?;
    reader.hidden = strings(
        sqlx::query("SELECT author_id FROM feed_hidden_authors WHERE user_id = $1").bind(user).fetch_all(db).await?,
        "author_id",
    )?;
    reader.followed_tags = strings(
        sqlx::query("SELECT tag FROM feed_tag_follows WHERE user_id = $1").bind(user).fetch_all(db).await?,
        "tag",
    )?;
    for sql in [
        "SELECT author_id AS k, COUNT(*) AS n FROM feed_likes WHERE user_id = $1 AND created_at_ms >= $2 GROUP BY author_id",
        "SELECT reply_to_author_id AS k, COUNT(*) AS n FROM feed_posts WHERE author_id = $1 \
         AND reply_to_author_id IS NOT NULL AND reply_to_author_id <> $1 AND created_at_ms >= $2 GROUP BY reply_to_author_id",
    ] {
        counts(sqlx::query(sql).bind(user).bind(since).fetch_all(db).await?, &mut reader.interactions)?;
    }
    let engaged = sqlx::query(
        "SELECT tag AS k, COUNT(*) AS n FROM feed_post_tags WHERE post_id IN \
         (SELECT post_id FROM feed_likes WHERE user_id = $1 AND created_at_ms >= $2 \
          UNION SELECT id FROM feed_posts WHERE author_id = $1 AND created_at_ms >= $2) GROUP BY tag",
    )
    .bind(user)
    .bind(since)
    .fetch_all(db)
    .await?;
    counts(engaged, &mut reader.engaged_tags)?;
    Ok(reader)
}

/// Loads the candidates the reader may be shown, a repost standing for its original.
async fn candidates(
    feed: &Feed,
    reader: &Reader,
    mut sources: HashMap<u64, Vec<String>>,
) -> Result<Vec<Candidate>, ApiError> {
    let mut loaded = load(feed, sources.keys().copied().collect()).await?;
    // Reposts by follows stand for their originals and endorse them.
    let mut endorsements: HashMap<u64, u64> = HashMap::new();
    let mut originals = Vec::new();
    loaded.retain(|c| match c.post.repost_of_id {
        Some(original) => {
            if reader.follows.contains(&c.post.author_id) {
                *endorsements.entry(original).or_default() += 1;
            }
            let from = sources.remove(&c.post.id).unwrap_or_default();
            sources.entry(original).or_default().extend(from);
            originals.push(original);
            false
        }
        None => true,
    });
    originals.retain(|id| !loaded.iter().any(|c| c.post.id == *id));
    originals.sort_unstable();
    originals.dedup();
    loaded.extend(load(feed, originals).await?.into_iter().filter(|c| c.post.repost_of_id.is_none()));
    loaded.retain(|c| reader.admits(&c.post));
    if loaded.is_empty() {
        return Ok(loaded);
    }
    // How many of the reader's follows liked each candidate.
    let placeholders: Vec<String> = (0..loaded.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT l.post_id, COUNT(*) AS n FROM feed_likes l JOIN feed_follows f ON f.followee_id = l.user_id \
         WHERE f.follower_id = $1 AND l.post_id IN ({}) GROUP BY l.post_id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(&reader.id);
    for candidate in &loaded {
        query = query.bind(candidate.post.id as i64);
    }
    for row in query.fetch_all(feed.db.reader()).await? {
        *endorsements.entry(row.try_get::<i64, _>("post_id")? as u64).or_default() +=
            row.try_get::<i64, _>("n")? as u64;
    }
    for candidate in &mut loaded {
        candidate.endorsements = endorsements.get(&candidate.post.id).copied().unwrap_or(0);
        candidate.sources = sources.remove(&candidate.post.id).unwrap_or_default();
        candidate.sources.sort_unstable();
        candidate.sources.dedup();
    }
    Ok(loaded)
}

/// The posts with these ids that are not removed, with their counts.
async fn load(feed: &Feed, ids: Vec<u64>) -> Result<Vec<Candidate>, ApiError> {
    let mut loaded = Vec::with_capacity(ids.len());
    // Well under every database's limit on bound parameters.
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT summary, likes, reposts, replies FROM feed_posts WHERE removed = FALSE AND id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id as i64);
        }
        for row in query.fetch_all(feed.db.reader()).await? {
            let count = |c: &str| row.try_get::<i64, _>(c).map(|n| n.max(0) as u64);
            loaded.push(Candidate {
                post: serde_json::from_str(&row.try_get::<String, _>("summary")?).map_err(anyhow::Error::from)?,
                likes: count("likes")?,
                reposts: count("reposts")?,
                replies: count("replies")?,
                endorsements: 0,
                sources: Vec::new(),
            });
        }
    }
    Ok(loaded)
}

/// A ranked list as computed for its first page.
pub struct Snapshot {
    pub id: String,
    pub items: Vec<Ranked>,
}

/// Stores a new snapshot for `user`, dropping expired ones.
pub async fn save(feed: &Feed, user: &str, items: Vec<Ranked>) -> Result<Snapshot, ApiError> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = now_ms();
    let mut tx = feed.db.begin().await?;
    sqlx::query("DELETE FROM feed_for_you_snapshots WHERE created_at_ms < $1")
        .bind(now - SNAPSHOT_TTL_MS)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO feed_for_you_snapshots (id, user_id, created_at_ms, items) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(user)
        .bind(now)
        .bind(serde_json::to_string(&items).map_err(anyhow::Error::from)?)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Snapshot { id, items })
}

/// The snapshot `id` of `user`, if it exists and has not expired.
pub async fn load_snapshot(feed: &Feed, user: &str, id: &str) -> Result<Option<Snapshot>, ApiError> {
    let row =
        sqlx::query("SELECT items FROM feed_for_you_snapshots WHERE id = $1 AND user_id = $2 AND created_at_ms >= $3")
            .bind(id)
            .bind(user)
            .bind(now_ms() - SNAPSHOT_TTL_MS)
            .fetch_optional(feed.db.reader())
            .await?;
    row.map(|row| {
        let items = serde_json::from_str(&row.try_get::<String, _>("items")?).map_err(anyhow::Error::from)?;
        Ok(Snapshot { id: id.to_owned(), items })
    })
    .transpose()
}

/// A post in the "for you" stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedPost {
    #[serde(flatten)]
    #[schema(value_type = StreamPost)]
    pub post: Arc<StreamPost>,
    /// The score's components, with `?explain=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explain>,
    /// Position in the snapshot, for the cursor.
    #[serde(skip)]
    pub position: usize,
}

/// Up to `limit` posts of `snapshot` from `offset` on, skipping posts removed since it was made.
pub async fn page(
    feed: &Feed,
    snapshot: &Snapshot,
    offset: usize,
    limit: usize,
    explain: bool,
) -> Result<Vec<RankedPost>, ApiError> {
    let mut out = Vec::with_capacity(limit);
    let mut next = offset;
    while out.len() < limit && next < snapshot.items.len() {
        let end = (next + limit - out.len()).min(snapshot.items.len());
        let slice = &snapshot.items[next..end];
        let ids: Vec<PostId> = slice.iter().filter_map(|r| PostId::from_u64(r.id).ok()).collect();
        let mut posts: HashMap<String, Hydrated> =
            streams::hydrate(feed, &ids).await?.into_iter().map(|p| (p.id.clone(), p)).collect();
        for (i, ranked) in slice.iter().enumerate() {
            if let Some(post) = posts.remove(&ranked.id.to_string()) {
                out.push(RankedPost { post, explain: explain.then(|| ranked.explain.clone()), position: next + i });
            }
        }
        next = end;
    }
    Ok(out)
}

/// Shared by the handler: the snapshot and offset a request continues from.
pub async fn resume(feed: &Feed, user: &str, position: Option<String>) -> Result<(Snapshot, usize), ApiError> {
    let Some(position) = position else {
        // Reading "for you" is reading: it keeps the home timeline it draws on fresh.
        crate::home::reading(feed, user).await?;
        let ranked = rank(feed, user).await?;
        return Ok((save(feed, user, ranked).await?, 0));
    };
    let expired = || ApiError::invalid_field("cursor", "has expired or is not yours; read the first page again");
    let (id, offset) = position.split_once(':').ok_or_else(expired)?;
    let offset: usize = offset.parse().map_err(|_| expired())?;
    let snapshot = load_snapshot(feed, user, id).await?.ok_or_else(expired)?;
    Ok((snapshot, offset))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ranked(id: u64, author: &str, score: f64) -> Ranked {
        let explain = Explain {
            score,
            freshness: 1.0,
            relevance: score,
            affinity: 0.0,
            tag_interest: 0.0,
            social_proof: 0.0,
            engagement: 0.0,
            diversity: 1.0,
            sources: vec![],
        };
        Ranked { id, author_id: author.to_owned(), explain }
    }

    proptest! {
        #[test]
        fn diversity_keeps_every_post_and_breaks_runs(posts in proptest::collection::vec((0u8..4, 0.0f64..10.0), 0..60)) {
            let input: Vec<Ranked> =
                posts.iter().enumerate().map(|(i, (a, s))| ranked(i as u64, &a.to_string(), *s)).collect();
            let output = diversify(input.clone());
            let mut ids: Vec<u64> = output.iter().map(|r| r.id).collect();
            ids.sort_unstable();
            prop_assert_eq!(ids, (0..input.len() as u64).collect::<Vec<_>>());
            for (i, pair) in output.windows(2).enumerate() {
                if pair[0].author_id == pair[1].author_id {
                    // A run only when nobody else is left.
                    prop_assert!(output[i + 1..].iter().all(|r| r.author_id == pair[0].author_id));
                }
            }
            for r in &output {
                let original = &input[r.id as usize];
                prop_assert!((r.explain.score - original.explain.score * r.explain.diversity).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn each_component_raises_the_score() {
        let now = 1_000_000_000_000;
        let post = |author: &str, tags: &[&str], age_ms: i64| Summary {
            id: 1,
            author_id: author.to_owned(),
            visibility: "public".to_owned(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            created_at_ms: now - age_ms,
            reply_to_author_id: None,
            reply_to_id: None,
            repost_of_id: None,
        };
        let candidate = |post: Summary| Candidate {
            post,
            likes: 0,
            reposts: 0,
            replies: 0,
            endorsements: 0,
            sources: vec!["public".to_owned()],
        };
        let mut reader = Reader { id: "me".to_owned(), ..Reader::default() };
        reader.follows.insert("friend".to_owned());
        reader.interactions.insert("friend".to_owned(), 10);
        reader.followed_tags.insert("rust".to_owned());
        let plain = score(&reader, &candidate(post("stranger", &[], 0)), now);
        assert_eq!((plain.freshness, plain.relevance, plain.score), (1.0, 1.0, 1.0));

        let older = score(&reader, &candidate(post("stranger", &[], 12 * 3_600_000)), now);
        assert!((older.freshness - 0.5).abs() < 1e-12, "a half-life of 12 hours");
        let friend = score(&reader, &candidate(post("friend", &[], 0)), now);
        assert!((friend.affinity - 1.5).abs() < 1e-12);
        let tagged = score(&reader, &candidate(post("stranger", &["rust"], 0)), now);
        assert!((tagged.tag_interest - 0.5).abs() < 1e-12);
        let mut liked = candidate(post("stranger", &[], 0));
        (liked.likes, liked.endorsements) = (100, 10);
        let liked = score(&reader, &liked, now);
        assert!((liked.engagement - 1.0).abs() < 1e-12 && (liked.social_proof - 1.0).abs() < 1e-12);
        for explain in [&friend, &tagged, &liked] {
            assert!(explain.score > plain.score, "{explain:?}");
            let relevance = 1.0
                + WEIGHT_AFFINITY * explain.affinity
                + WEIGHT_TAGS * explain.tag_interest
                + WEIGHT_SOCIAL * explain.social_proof
                + WEIGHT_ENGAGEMENT * explain.engagement;
            assert!((explain.score - explain.freshness * relevance).abs() < 1e-12);
        }
    }

    #[test]
    fn readers_are_not_shown_what_they_may_not_see() {
        let mut reader = Reader { id: "me".to_owned(), ..Reader::default() };
        reader.follows.insert("friend".to_owned());
        reader.hidden.insert("muted".to_owned());
        let post = |author: &str, visibility: &str, reply_to: Option<&str>| Summary {
            id: 1,
            author_id: author.to_owned(),
            visibility: visibility.to_owned(),
            tags: vec![],
            created_at_ms: 0,
            reply_to_author_id: reply_to.map(str::to_owned),
            reply_to_id: None,
            repost_of_id: None,
        };
        assert!(reader.admits(&post("stranger", "public", None)));
        assert!(reader.admits(&post("friend", "followers", None)));
        assert!(reader.admits(&post("stranger", "public", Some("friend"))));
        assert!(!reader.admits(&post("me", "public", None)), "own posts");
        assert!(!reader.admits(&post("muted", "public", None)));
        assert!(!reader.admits(&post("stranger", "followers", None)));
        assert!(!reader.admits(&post("stranger", "unlisted", None)));
        assert!(!reader.admits(&post("friend", "public", Some("stranger"))), "replies to strangers");
    }
}
