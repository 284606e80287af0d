//! A synthetic social network, generated deterministically from a seed: follower counts follow
//! a power law (each follow picks its target by Zipf's law over the accounts), one account is
//! followed by everyone, and a few "returning" users follow exactly 1,000 accounts.

use std::collections::HashSet;

use contracts::PostId;
use uuid::Uuid;

/// The network's size and shape.
#[derive(Debug, Clone)]
pub struct Spec {
    pub users: usize,
    /// Average follows per user.
    pub follows: usize,
    pub posts: usize,
    /// Users who follow exactly `returning_follows` accounts and have not read for months.
    pub returning: usize,
    pub returning_follows: usize,
    /// Posts are spread over this many days before `now_ms`.
    pub days: u64,
    pub now_ms: u64,
    pub seed: u64,
}

/// The generated network. Users are indices into `users`; user 0 is the account everyone follows.
pub struct Network {
    pub users: Vec<Uuid>,
    /// Whom each user follows.
    pub following: Vec<Vec<u32>>,
    /// Who follows each user.
    pub followers: Vec<Vec<u32>>,
    /// Posts, oldest first, each with its author and hashtags.
    pub posts: Vec<(PostId, u32, Vec<String>)>,
    /// The returning users (the last ones).
    pub returning: Vec<u32>,
}

pub const CELEBRITY: u32 = 0;
/// Zipf's exponent for whom people follow and who posts.
const ZIPF_EXPONENT: f64 = 1.0;
const TAGS: usize = 1000;

/// Draws indices `0..n` with probability proportional to `1 / (i + 1)^s`.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|i| {
                total += 1.0 / ((i + 1) as f64).powf(s);
                total
            })
            .collect();
        Self { cumulative }
    }

    fn draw(&self, rng: &mut fastrand::Rng) -> usize {
        let total = *self.cumulative.last().expect("not empty");
        let target = rng.f64() * total;
        self.cumulative.partition_point(|&c| c < target).min(self.cumulative.len() - 1)
    }
}

pub fn generate(spec: &Spec) -> Network {
    assert!(spec.users >= 2, "a network needs at least two users");
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let users: Vec<Uuid> = (0..spec.users).map(|_| Uuid::from_u128(rng.u128(..))).collect();
    // Ranks 1.. are drawn by popularity; rank 0 is the celebrity, added to everyone below.
    let popularity = Zipf::new(spec.users - 1, ZIPF_EXPONENT);
    let returning_from = spec.users - spec.returning.min(spec.users - 1);
    let mut following = Vec::with_capacity(spec.users);
    for user in 0..spec.users {
        let wanted =
            if user >= returning_from { spec.returning_follows } else { rng.usize(1..2 * spec.follows.max(1)) }
                .min(spec.users - 1);
        let mut chosen: HashSet<u32> = HashSet::with_capacity(wanted);
        if user != CELEBRITY as usize {
            chosen.insert(CELEBRITY);
        }
        // Popular accounts are drawn again and again; past a point, take anyone not yet followed.
        let mut attempts = 0;
        while chosen.len() < wanted && attempts < wanted * 20 {
            let followee = (popularity.draw(&mut rng) + 1) as u32;
            if followee as usize != user {
                chosen.insert(followee);
            }
            attempts += 1;
        }
        while chosen.len() < wanted {
            let followee = rng.u32(..spec.users as u32);
            if followee as usize != user {
                chosen.insert(followee);
            }
        }
        let mut chosen: Vec<u32> = chosen.into_iter().collect();
        chosen.sort_unstable();
        following.push(chosen);
    }
    let mut followers = vec![Vec::new(); spec.users];
    for (user, followees) in following.iter().enumerate() {
        for &followee in followees {
            followers[followee as usize].push(user as u32);
        }
    }
    // A tenth of the posts by popular accounts, the rest by anyone; evenly spread in time, oldest
    // first.
    let authors = Zipf::new(spec.users, ZIPF_EXPONENT);
    let tags = Zipf::new(TAGS, ZIPF_EXPONENT);
    let span_ms = spec.days * 86_400_000;
    let start = spec.now_ms - span_ms;
    let posts = (0..spec.posts)
        .map(|i| {
            let author = if rng.u8(..10) == 0 { authors.draw(&mut rng) } else { rng.usize(..spec.users) } as u32;
            let at = start + (i as u64 * span_ms) / spec.posts.max(1) as u64;
            // Consecutive posts differ in their low bits, so ids are unique within a millisecond.
            let id = PostId::new(at, (i & 0xF_FFFF) as u32);
            let tags = if rng.u8(..10) < 3 { vec![format!("t{}", tags.draw(&mut rng))] } else { Vec::new() };
            (id, author, tags)
        })
        .collect();
    Network { users, following, followers, posts, returning: (returning_from as u32..spec.users as u32).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(users: usize) -> Spec {
        Spec {
            users,
            follows: 20,
            posts: 5_000,
            returning: 3,
            returning_follows: 100,
            days: 7,
            now_ms: 1_800_000_000_000,
            seed: 7,
        }
    }

    #[test]
    fn the_network_has_the_promised_shape() {
        let network = generate(&spec(2_000));
        let edges: usize = network.following.iter().map(Vec::len).sum();
        let average = edges as f64 / 2_000.0;
        assert!((17.0..23.0).contains(&average), "about 20 follows each: {average}");
        assert_eq!(network.followers[CELEBRITY as usize].len(), 1_999, "everyone follows the celebrity");
        for &user in &network.returning {
            assert_eq!(network.following[user as usize].len(), 100);
        }
        // A power law: the most followed accounts (after the celebrity) have far more followers
        // than the median account.
        let mut counts: Vec<usize> = network.followers.iter().skip(1).map(Vec::len).collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        assert!(counts[0] > 20 * counts[counts.len() / 2].max(1), "{} vs {}", counts[0], counts[counts.len() / 2]);
        for (user, followees) in network.following.iter().enumerate() {
            assert!(!followees.contains(&(user as u32)), "nobody follows themselves");
        }
        let ids: HashSet<u64> = network.posts.iter().map(|p| p.0.get()).collect();
        assert_eq!(ids.len(), 5_000, "post ids are unique");
        assert!(network.posts.windows(2).all(|w| w[0].0 < w[1].0), "oldest first");
    }

    #[test]
    fn the_same_seed_gives_the_same_network() {
        let (a, b) = (generate(&spec(300)), generate(&spec(300)));
        assert_eq!(a.users, b.users);
        assert_eq!(a.following, b.following);
    }
}
