//! What is measured, one method per workload, each returning its line of the report.

use std::{
    collections::HashSet,
    sync::Mutex,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::{
    load::{self, Load, Outcome},
    network::{CELEBRITY, Network},
};

/// The users the workloads act as, with access tokens.
pub struct Users {
    /// Active users who read and post.
    pub readers: Vec<String>,
    /// Their ids, in the same order.
    pub reader_ids: Vec<uuid::Uuid>,
    pub celebrity: String,
    /// Returning users' tokens.
    pub returning: Vec<String>,
    /// Authors of growing follower counts, each with one of their followers' tokens.
    pub tiers: Vec<Tier>,
}

pub struct Tier {
    pub followers: usize,
    pub author: String,
    pub follower: String,
}

const READERS: usize = 10_000;
const TIER_TARGETS: [usize; 4] = [10, 100, 1_000, 10_000];

impl Users {
    /// Picks the users and signs their tokens through identity.
    pub async fn sign(runtime: &platform::Runtime, network: &Network, seed: u64) -> anyhow::Result<Users> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let returning: HashSet<u32> = network.returning.iter().copied().collect();
        let mut active: Vec<u32> = (1..network.users.len() as u32).filter(|u| !returning.contains(u)).collect();
        rng.shuffle(&mut active);
        active.truncate(READERS);
        let mut tiers: Vec<(u32, usize, u32)> = Vec::new();
        for target in TIER_TARGETS.into_iter().chain([usize::MAX]) {
            let author = if target == usize::MAX {
                CELEBRITY
            } else {
                (1..network.users.len() as u32)
                    .filter(|u| !returning.contains(u))
                    .min_by_key(|&u| network.followers[u as usize].len().abs_diff(target))
                    .expect("a network has users")
            };
            let followers = &network.followers[author as usize];
            if let Some(&follower) = followers.iter().find(|f| !returning.contains(f))
                && !tiers.iter().any(|&(a, ..)| a == author)
            {
                tiers.push((author, followers.len(), follower));
            }
        }
        let mut wanted: Vec<u32> = active.clone();
        wanted.push(CELEBRITY);
        wanted.extend(&network.returning);
        wanted.extend(tiers.iter().flat_map(|&(a, _, f)| [a, f]));
        let ids: Vec<uuid::Uuid> = wanted.iter().map(|&u| network.users[u as usize]).collect();
        let tokens = identity::access_tokens(runtime, &ids).await?;
        let token = |user: u32| tokens[wanted.iter().position(|&w| w == user).expect("signed")].clone();
        Ok(Users {
            readers: tokens[..active.len()].to_vec(),
            reader_ids: ids[..active.len()].to_vec(),
            celebrity: token(CELEBRITY),
            returning: network.returning.iter().map(|&u| token(u)).collect(),
            tiers: tiers
                .into_iter()
                .map(|(author, followers, follower)| Tier {
                    followers,
                    author: token(author),
                    follower: token(follower),
                })
                .collect(),
        })
    }
}

pub struct Bench {
    pub base: String,
    pub load: Load,
    pub users: Users,
    pub seed: u64,
    /// `/healthz` throughput, once measured, to compare the home read with.
    pub healthz: Mutex<Option<f64>>,
}

fn line(outcome: &Outcome) -> String {
    let errors = match &outcome.first_error {
        Some(first) => format!(", {} errors (first: {})", outcome.errors, first.chars().take(200).collect::<String>()),
        None => String::new(),
    };
    format!(
        "{:.0} req/s; p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.1} ms ({} requests){errors}",
        outcome.throughput(),
        outcome.ms(50.0),
        outcome.ms(90.0),
        outcome.ms(99.0),
        outcome.ms(99.9),
        outcome.latency.max() as f64 / 1000.0,
        outcome.requests,
    )
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p / 100.0).round() as usize]
}

impl Bench {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn healthz(&self) -> String {
        let url = self.url("/healthz");
        let outcome = load::drive(self.load, self.seed, move |client, _| client.get(&url)).await;
        *self.healthz.lock().expect("not poisoned") = Some(outcome.throughput());
        line(&outcome)
    }

    /// Authenticated home reads of 20 hydrated posts by random active users.
    pub async fn home(&self) -> String {
        let url = self.url("/api/v1/timelines/home?limit=20");
        let readers = self.users.readers.clone();
        let outcome = load::drive(self.load, self.seed, move |client, rng| {
            client.get(&url).bearer_auth(&readers[rng.usize(..readers.len())])
        })
        .await;
        let versus = match *self.healthz.lock().expect("not poisoned") {
            Some(healthz) => format!(" ({:.0} % of /healthz)", 100.0 * outcome.throughput() / healthz),
            None => String::new(),
        };
        format!("{}{versus}", line(&outcome))
    }

    /// The web app's home page (the posts rendered on the server) for random active users,
    /// signed in by their session cookie; and what one page weighs, plain and compressed.
    pub async fn web_home(&self) -> anyhow::Result<String> {
        let url = self.url("/home");
        let cookie = |token: &str| format!("riffle_access={token}; riffle_user=reader");
        // Without transparent decompression, so the compressed page is measured as sent.
        let sample = reqwest::Client::builder().no_gzip().build()?;
        let page = sample.get(&url).header("cookie", cookie(&self.users.readers[0])).send().await?.text().await?;
        let posts = page.matches("<article class=\"post\"").count();
        let compressed = sample
            .get(&url)
            .header("cookie", cookie(&self.users.readers[0]))
            .header("accept-encoding", "gzip")
            .send()
            .await?
            .bytes()
            .await?
            .len();
        let readers: Vec<String> = self.users.readers.iter().map(|t| cookie(t)).collect();
        let outcome = load::drive(self.load, self.seed, move |client, rng| {
            client.get(&url).header("cookie", &readers[rng.usize(..readers.len())])
        })
        .await;
        Ok(format!(
            "{}; a page of {posts} posts weighs {:.1} KB ({:.1} KB gzip), media apart",
            line(&outcome),
            page.len() as f64 / 1024.0,
            compressed as f64 / 1024.0
        ))
    }

    pub async fn public(&self) -> String {
        let url = self.url("/api/v1/timelines/public?limit=20");
        line(&load::drive(self.load, self.seed, move |client, _| client.get(&url)).await)
    }

    /// Anonymous searches of the synthetic posts (see [`crate::seed::search_index`]), 20 hits by
    /// relevance: `kind` is `word` (one Zipf-drawn word), `phrase` (two in quotes) or `filtered`
    /// (a word, `lang:en has:media #topicN`).
    pub async fn search(&self, kind: &str) -> String {
        let url = self.url("/api/v1/search");
        let mut corpus = search::synthetic::Corpus::new(self.seed);
        let queries: Vec<String> = (0..10_000)
            .map(|_| match kind {
                "phrase" => {
                    let first = corpus.word().to_owned();
                    format!("\"{first} {}\"", corpus.word())
                }
                "filtered" => {
                    let word = corpus.word().to_owned();
                    format!("{word} lang:en has:media #topic{}", corpus.below(50))
                }
                _ => corpus.word().to_owned(),
            })
            .collect();
        let outcome = load::drive(self.load, self.seed, move |client, rng| {
            client.get(&url).query(&[("q", queries[rng.usize(..queries.len())].as_str()), ("limit", "20")])
        })
        .await;
        line(&outcome)
    }

    /// Pages of 40 notification groups, read by the readers `seed::notifications` gave them to.
    pub async fn notifications_page(&self) -> String {
        let url = self.url("/api/v1/notifications?limit=40");
        let readers: Vec<String> = self.users.readers.iter().take(crate::seed::NOTIFIED_READERS).cloned().collect();
        let outcome = load::drive(self.load, self.seed, move |client, rng| {
            client.get(&url).bearer_auth(&readers[rng.usize(..readers.len())])
        })
        .await;
        line(&outcome)
    }

    /// The celebrity's post liked by `seed::BIG_GROUP` accounts: one group whose count is exact,
    /// and how fast the celebrity's first page reads.
    pub async fn notifications_big(&self) -> anyhow::Result<String> {
        let url = self.url("/api/v1/notifications?types=like&limit=40");
        let page: Value = load::client()
            .get(&url)
            .bearer_auth(&self.users.celebrity)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let groups = page["items"].as_array().map_or(0, Vec::len);
        let count = page["items"][0]["count"].as_u64().unwrap_or(0);
        let token = self.users.celebrity.clone();
        let outcome = load::drive(self.load, self.seed, move |client, _| client.get(&url).bearer_auth(&token)).await;
        Ok(format!(
            "{groups} group of {count} likes (exact: {}); its page: {}",
            if count == crate::seed::BIG_GROUP as u64 && groups == 1 { "yes" } else { "NO" },
            line(&outcome)
        ))
    }

    /// From a like through the API to its group arriving on the author's live stream, 100
    /// times, one at a time.
    pub async fn notifications_live(&self) -> anyhow::Result<String> {
        use futures::StreamExt;
        let client = load::client();
        let (author, liker) = (&self.users.readers[0], &self.users.readers[1]);
        let mut posts = Vec::new();
        for n in 0..100 {
            let created: Value = client
                .post(self.url("/api/v1/posts"))
                .bearer_auth(author)
                .json(&json!({ "text": format!("like me {n}") }))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            posts.push(created["id"].as_str().unwrap_or_default().to_owned());
        }
        let stream = reqwest::Client::new()
            .get(self.url("/api/v1/notifications/stream"))
            .bearer_auth(author)
            .send()
            .await?
            .error_for_status()?;
        let mut events = stream.bytes_stream();
        let mut buffered = String::new();
        let mut latencies = Vec::with_capacity(posts.len());
        for post in &posts {
            let started = Instant::now();
            client
                .put(self.url(&format!("/api/v1/posts/{post}/like")))
                .bearer_auth(liker)
                .send()
                .await?
                .error_for_status()?;
            // Up to the event naming this post.
            loop {
                if let Some(end) = buffered.find("\n\n") {
                    let block: String = buffered.drain(..end + 2).collect();
                    if block.contains("event: group") && block.contains(post.as_str()) {
                        break;
                    }
                    continue;
                }
                let chunk = tokio::time::timeout(Duration::from_secs(10), events.next())
                    .await
                    .map_err(|_| anyhow::anyhow!("no notification within 10 s"))?
                    .ok_or_else(|| anyhow::anyhow!("the stream ended"))??;
                buffered.push_str(&String::from_utf8_lossy(&chunk));
            }
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let max = latencies.iter().copied().fold(0.0, f64::max);
        Ok(format!(
            "like to live event: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} likes)",
            percentile(&mut latencies, 50.0),
            percentile(&mut latencies, 99.0),
            max,
            posts.len()
        ))
    }

    /// Creating posts as random active users; each fans out to the author's followers.
    pub async fn post(&self) -> String {
        let url = self.url("/api/v1/posts");
        let authors = self.users.readers.clone();
        let outcome = load::drive(self.load, self.seed, move |client, rng| {
            client.post(&url).bearer_auth(&authors[rng.usize(..authors.len())]).json(&json!({ "text": "bench post" }))
        })
        .await;
        format!("{}; {}", line(&outcome), self.drain().await)
    }

    /// 85 % home reads, 10 % public reads, 5 % posts.
    pub async fn mixed(&self) -> anyhow::Result<String> {
        let (home, public, posts) = (
            self.url("/api/v1/timelines/home?limit=20"),
            self.url("/api/v1/timelines/public?limit=20"),
            self.url("/api/v1/posts"),
        );
        let users = self.users.readers.clone();
        let outcome = load::drive(self.load, self.seed, move |client, rng| {
            let user = &users[rng.usize(..users.len())];
            match rng.u8(..100) {
                0..85 => client.get(&home).bearer_auth(user),
                85..95 => client.get(&public),
                _ => client.post(&posts).bearer_auth(user).json(&json!({ "text": "mixed bench post" })),
            }
        })
        .await;
        Ok(format!("{}; {}", line(&outcome), self.drain().await))
    }

    /// First home reads of users back after 60 days, following 1,000 accounts each.
    pub async fn returning(&self) -> anyhow::Result<String> {
        let client = load::client();
        let (mut latencies, mut smallest) = (Vec::new(), usize::MAX);
        for token in &self.users.returning {
            let started = Instant::now();
            let page: Value =
                client.get(self.url("/api/v1/timelines/home?limit=20")).bearer_auth(token).send().await?.json().await?;
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            smallest = smallest.min(page["items"].as_array().map_or(0, Vec::len));
        }
        if latencies.is_empty() {
            return Ok("no returning users in this network".to_owned());
        }
        let n = latencies.len();
        Ok(format!(
            "{n} users, first page: p50 {:.1} ms, max {:.1} ms; smallest page {smallest} of 20 posts",
            percentile(&mut latencies, 50.0),
            percentile(&mut latencies, 100.0)
        ))
    }

    /// The account everyone follows posts; how long until sampled followers see it at home.
    pub async fn celebrity(&self) -> anyhow::Result<String> {
        const ROUNDS: usize = 5;
        const SAMPLE: usize = 50;
        let mut rng = fastrand::Rng::with_seed(self.seed);
        let mut worst = Vec::new();
        for round in 0..ROUNDS {
            let followers: Vec<String> =
                (0..SAMPLE).map(|_| self.users.readers[rng.usize(..self.users.readers.len())].clone()).collect();
            let started = Instant::now();
            let id = self.create(&self.users.celebrity, &format!("celebrity post {round}")).await?;
            let seen = futures::future::join_all(followers.iter().map(|f| self.until_home_has(f, &id, 5)));
            // Each poller finishes when its follower sees the post: the last one is the slowest.
            anyhow::ensure!(
                seen.await.into_iter().all(|seen| seen),
                "the celebrity's post did not reach every follower"
            );
            worst.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(format!(
            "in all {SAMPLE} sampled followers' homes, per post (of {ROUNDS}): median {:.1} ms, worst {:.1} ms after the request was sent",
            percentile(&mut worst.clone(), 50.0),
            percentile(&mut worst, 100.0)
        ))
    }

    /// Post latency, and delivery to a follower's home, for authors of growing follower counts.
    pub async fn tiers(&self) -> anyhow::Result<String> {
        const POSTS: usize = 10;
        let mut parts = Vec::new();
        for tier in &self.users.tiers {
            let (mut posting, mut delivery) = (Vec::new(), Vec::new());
            for i in 0..POSTS {
                let started = Instant::now();
                let id = self.create(&tier.author, &format!("tier post {i}")).await?;
                posting.push(started.elapsed().as_secs_f64() * 1000.0);
                self.until_home_has(&tier.follower, &id, 2).await;
                delivery.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            parts.push(format!(
                "{} followers: post p50 {:.1} ms, max {:.1} ms; at a follower's home p50 {:.1} ms, max {:.1} ms",
                tier.followers,
                percentile(&mut posting, 50.0),
                percentile(&mut posting, 100.0),
                percentile(&mut delivery, 50.0),
                percentile(&mut delivery, 100.0)
            ));
        }
        Ok(parts.join("<br>"))
    }

    async fn create(&self, token: &str, text: &str) -> anyhow::Result<String> {
        let response = load::client()
            .post(self.url("/api/v1/posts"))
            .bearer_auth(token)
            .json(&json!({ "text": text }))
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "creating a post: {}", response.status());
        let post: Value = response.json().await?;
        Ok(post["id"].as_str().unwrap_or_default().to_owned())
    }

    /// Polls `token`'s home every `every_ms` until its newest posts include `id`; false after
    /// five minutes.
    async fn until_home_has(&self, token: &str, id: &str, every_ms: u64) -> bool {
        let client = load::client();
        let deadline = Instant::now() + Duration::from_secs(300);
        while Instant::now() < deadline {
            let page = client.get(self.url("/api/v1/timelines/home?limit=5")).bearer_auth(token).send().await;
            if let Ok(response) = page {
                let page: Value = response.json().await.unwrap_or_default();
                if page["items"].as_array().is_some_and(|items| items.iter().any(|p| p["id"] == id)) {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(every_ms)).await;
        }
        eprintln!("riffle-bench: post {id} did not reach a home within 300 s");
        false
    }

    /// Waits until the feed has caught up with every post made so far. Its consumer takes events
    /// in batches, split into lanes by author, and starts a batch only when the one before is
    /// done: a first marker posted after the run reaches its author's home once its batch is
    /// under way, so a second, posted after that, can only come in a later batch, which means
    /// that every post before the first marker was handled.
    async fn drain(&self) -> String {
        let started = Instant::now();
        let author = &self.users.readers[0];
        for marker in ["drain marker", "drain marker, after the first"] {
            match self.create(author, marker).await {
                Ok(id) if self.until_home_has(author, &id, 50).await => {}
                _ => return "fan-out backlog NOT drained within 300 s of the run".to_owned(),
            }
        }
        format!("fan-out backlog drained {:.1} s after the run", started.elapsed().as_secs_f64())
    }
}
