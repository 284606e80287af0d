//! The "for you" score: posts ranked for one reader by an explicit formula. Where the candidates
//! come from and how a ranking is paged is `streams::for_you`; this is the pure part.
//!
//! # Candidates
//! * `home`: the newest 300 posts of the reader's home timeline (a repost counts as its original);
//! * `tag:<tag>`: the newest 50 public posts of each of the 5 hashtags the reader cares most about;
//! * `liked_by_follows`: up to 200 posts that at least [`MIN_LIKERS`] accounts the reader follows
//!   liked in the last 3 days;
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
//! * `social_proof` (0 to 1): `ln(1+k)/ln(11)` for `k` follows who reposted it or liked it, likes
//!   counting only when at least [`MIN_LIKERS`] follows liked it (a like is not public, and one
//!   follow's like must not be told apart);
//! * `engagement`: `ln(1 + likes + 2·reposts + replies) / ln(101)`, 1 at 100 interactions;
//! * `diversity = 0.75^n` for `n` posts by the same author ranked above, and no two posts of one
//!   author in a row while another author is left.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    home,
    posts::{FeedPost, PostFacts},
};

pub const HALF_LIFE_MS: f64 = 12.0 * 3_600_000.0;
pub const WEIGHT_AFFINITY: f64 = 1.0;
pub const WEIGHT_TAGS: f64 = 0.8;
pub const WEIGHT_SOCIAL: f64 = 0.6;
pub const WEIGHT_ENGAGEMENT: f64 = 0.5;
pub const DIVERSITY_DECAY: f64 = 0.75;
pub const HOME_CANDIDATES: usize = 300;
pub const TAGS: usize = 5;
pub const TAG_CANDIDATES: usize = 50;
pub const LIKED_CANDIDATES: usize = 200;
pub const PUBLIC_CANDIDATES: usize = 100;
pub const LIKES_WINDOW_MS: i64 = 3 * 86_400_000;
pub const INTEREST_WINDOW_MS: i64 = 30 * 86_400_000;
/// Follows' likes count (as a source, and as social proof) only from this many on, so that
/// nobody learns what one account they follow liked.
pub const MIN_LIKERS: u64 = 2;
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
    /// Why, in words, by counts and never by names ("liked by 3 accounts you follow").
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// What the ranking knows of the reader.
#[derive(Debug, Default)]
pub struct Reader {
    /// Their follows, hidden authors and followed tags.
    pub graph: home::Reader,
    /// Likes of and replies to each author, recently.
    pub interactions: HashMap<Uuid, u64>,
    /// Likes and own posts with each tag, recently.
    pub engaged_tags: HashMap<String, u64>,
}

impl Reader {
    fn tag_interest(&self, tag: &str) -> f64 {
        let most = self.engaged_tags.values().copied().max().unwrap_or(0);
        let followed = if self.graph.tags.contains(tag) { 0.5 } else { 0.0 };
        let engaged = self.engaged_tags.get(tag).map_or(0.0, |&n| 0.5 * n as f64 / most as f64);
        followed + engaged
    }

    /// The tags worth drawing candidates from, most interesting first.
    pub fn top_tags(&self) -> Vec<String> {
        let mut tags: Vec<&String> = self.graph.tags.iter().chain(self.engaged_tags.keys()).collect();
        tags.sort_unstable();
        tags.dedup();
        let mut scored: Vec<(f64, &String)> = tags.into_iter().map(|t| (self.tag_interest(t), t)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored.into_iter().take(TAGS).map(|(_, t)| t.clone()).collect()
    }

    /// Whether the reader may be shown `post` here (see the module documentation).
    pub fn admits(&self, post: &PostFacts) -> bool {
        home::suggests(&self.graph, post)
    }
}

/// A candidate with what scoring needs.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub post: FeedPost,
    pub likes: u64,
    pub reposts: u64,
    pub replies: u64,
    /// Follows of the reader who liked it (counted only from [`MIN_LIKERS`] on).
    pub liked_by_follows: u64,
    /// Follows of the reader who reposted it (reposts are public).
    pub reposted_by_follows: u64,
    pub sources: Vec<String>,
}

/// A post's place in the ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    pub id: u64,
    pub author_id: Uuid,
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
    let follows = if reader.graph.follows.contains(&post.author_id) { 0.5 } else { 0.0 };
    let interactions = reader.interactions.get(&post.author_id).copied().unwrap_or(0) as f64;
    let affinity = follows + log_scale(interactions, 10.0).min(1.0);
    let tag_interest = post.tags.iter().map(|t| reader.tag_interest(t)).fold(0.0, f64::max);
    let likers = if candidate.liked_by_follows >= MIN_LIKERS { candidate.liked_by_follows } else { 0 };
    let social_proof = log_scale((likers + candidate.reposted_by_follows) as f64, 10.0).min(1.0);
    let mut reasons = Vec::new();
    if likers > 0 {
        reasons.push(format!("liked by {likers} accounts you follow"));
    }
    match candidate.reposted_by_follows {
        0 => {}
        1 => reasons.push("reposted by an account you follow".to_owned()),
        n => reasons.push(format!("reposted by {n} accounts you follow")),
    }
    if reader.graph.follows.contains(&post.author_id) {
        reasons.push("from an account you follow".to_owned());
    }
    if let Some(tag) = post.tags.iter().find(|t| reader.graph.tags.contains(*t)) {
        reasons.push(format!("tagged #{tag}, which you follow"));
    }
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
        reasons,
    }
}

/// Orders scored posts best first, spreading authors out: each further post by an author counts
/// `0.75^n` of its score, and the next post is never by the author just placed while another
/// author is left. Quadratic, which is fine for a few hundred candidates.
pub fn diversify(mut pending: Vec<Ranked>) -> Vec<Ranked> {
    let mut placed: Vec<Ranked> = Vec::with_capacity(pending.len());
    let mut per_author: HashMap<Uuid, i32> = HashMap::new();
    // Ties go to the newer post, so the order does not depend on the input's.
    pending.sort_by(|a, b| b.explain.score.total_cmp(&a.explain.score).then(b.id.cmp(&a.id)));
    while !pending.is_empty() {
        let last_author = placed.last().map(|r| r.author_id);
        let effective =
            |r: &Ranked| r.explain.score * DIVERSITY_DECAY.powi(per_author.get(&r.author_id).copied().unwrap_or(0));
        let best = |others_only: bool| {
            pending
                .iter()
                .enumerate()
                .filter(|(_, r)| !others_only || Some(r.author_id) != last_author)
                .max_by(|(_, a), (_, b)| effective(a).total_cmp(&effective(b)).then(a.id.cmp(&b.id)))
                .map(|(i, _)| i)
        };
        let index = best(true).or_else(|| best(false)).expect("pending is not empty");
        let mut next = pending.swap_remove(index);
        let seen = per_author.entry(next.author_id).or_insert(0);
        next.explain.diversity = DIVERSITY_DECAY.powi(*seen);
        next.explain.score *= next.explain.diversity;
        *seen += 1;
        placed.push(next);
    }
    placed
}

#[cfg(test)]
mod tests {
    use contracts::Visibility;
    use proptest::prelude::*;

    use super::*;

    fn ranked(id: u64, author: u128, score: f64) -> Ranked {
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
            reasons: vec![],
        };
        Ranked { id, author_id: Uuid::from_u128(author), explain }
    }

    proptest! {
        #[test]
        fn diversity_keeps_every_post_and_breaks_runs(posts in proptest::collection::vec((0u8..4, 0.0f64..10.0), 0..60)) {
            let input: Vec<Ranked> =
                posts.iter().enumerate().map(|(i, (a, s))| ranked(i as u64, u128::from(*a), *s)).collect();
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
        let post = |author: u128, tags: &[&str], age_ms: i64| FeedPost {
            author_id: Uuid::from_u128(author),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            created_at_ms: now - age_ms,
            ..FeedPost::example()
        };
        let candidate = |post: FeedPost| Candidate {
            post,
            likes: 0,
            reposts: 0,
            replies: 0,
            liked_by_follows: 0,
            reposted_by_follows: 0,
            sources: vec!["public".to_owned()],
        };
        let (me, friend, stranger) = (1, 2, 3);
        let mut reader =
            Reader { graph: home::Reader { id: Uuid::from_u128(me), ..Default::default() }, ..Reader::default() };
        reader.graph.follows.insert(Uuid::from_u128(friend));
        reader.interactions.insert(Uuid::from_u128(friend), 10);
        reader.graph.tags.insert("rust".to_owned());
        let plain = score(&reader, &candidate(post(stranger, &[], 0)), now);
        assert_eq!((plain.freshness, plain.relevance, plain.score), (1.0, 1.0, 1.0));

        let older = score(&reader, &candidate(post(stranger, &[], 12 * 3_600_000)), now);
        assert!((older.freshness - 0.5).abs() < 1e-12, "a half-life of 12 hours");
        let friend = score(&reader, &candidate(post(friend, &[], 0)), now);
        assert!((friend.affinity - 1.5).abs() < 1e-12);
        let tagged = score(&reader, &candidate(post(stranger, &["rust"], 0)), now);
        assert!((tagged.tag_interest - 0.5).abs() < 1e-12);
        let mut liked = candidate(post(stranger, &[], 0));
        (liked.likes, liked.liked_by_follows) = (100, 10);
        let liked = score(&reader, &liked, now);
        assert!((liked.engagement - 1.0).abs() < 1e-12 && (liked.social_proof - 1.0).abs() < 1e-12);
        assert_eq!(liked.reasons, ["liked by 10 accounts you follow"]);
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
    fn one_follow_s_like_is_never_told_apart() {
        let reader = Reader::default();
        let mut candidate = Candidate {
            post: FeedPost::example(),
            likes: 1,
            reposts: 0,
            replies: 0,
            liked_by_follows: 1,
            reposted_by_follows: 0,
            sources: vec![],
        };
        let one = score(&reader, &candidate, 0);
        assert_eq!((one.social_proof, one.reasons.len()), (0.0, 0), "a single like is no social proof");
        candidate.liked_by_follows = 2;
        let two = score(&reader, &candidate, 0);
        assert!(two.social_proof > 0.0);
        assert_eq!(two.reasons, ["liked by 2 accounts you follow"]);
    }

    #[test]
    fn readers_are_not_shown_what_they_may_not_see() {
        let (me, friend, muted, stranger) = (1, 2, 3, 4);
        let mut reader =
            Reader { graph: home::Reader { id: Uuid::from_u128(me), ..Default::default() }, ..Reader::default() };
        reader.graph.follows.insert(Uuid::from_u128(friend));
        reader.graph.hidden.insert(Uuid::from_u128(muted));
        let post = |author: u128, visibility: Visibility, reply_to: Option<u128>| FeedPost {
            author_id: Uuid::from_u128(author),
            visibility,
            reply_to_author_id: reply_to.map(Uuid::from_u128),
            ..FeedPost::example()
        };
        assert!(reader.admits(&post(stranger, Visibility::Public, None).facts()));
        assert!(reader.admits(&post(friend, Visibility::Followers, None).facts()));
        assert!(reader.admits(&post(stranger, Visibility::Public, Some(friend)).facts()));
        assert!(!reader.admits(&post(me, Visibility::Public, None).facts()), "own posts");
        assert!(!reader.admits(&post(muted, Visibility::Public, None).facts()));
        assert!(!reader.admits(&post(stranger, Visibility::Followers, None).facts()));
        assert!(!reader.admits(&post(stranger, Visibility::Unlisted, None).facts()));
        assert!(!reader.admits(&post(friend, Visibility::Public, Some(stranger)).facts()), "replies to strangers");
    }
}
