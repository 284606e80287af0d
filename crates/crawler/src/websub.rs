//! WebSub: subscribing to the hub a feed names, answering the hub's verification of intent,
//! and taking pushed content, which goes through the same deduplication as a fetch and is in
//! followers' homes within the second. Polling goes on regardless: a hub that stops pushing
//! costs freshness, never entries.

use platform::db::now_ms;
use url::{Host, Url};
use uuid::Uuid;

use crate::{
    Crawler,
    domain::{CrawlerError, parse, websub},
    store::sources::{self, Source},
};

const DAY_MS: i64 = 24 * 3600 * 1000;
/// A request not verified within this long is asked again by the next fetch.
const VERIFY_WITHIN_MS: i64 = 3600 * 1000;

/// The hub's `hub.*` query parameters on a verification request.
#[derive(Debug)]
pub struct Verification<'a> {
    pub mode: &'a str,
    pub topic: &'a str,
    pub challenge: &'a str,
    pub lease_seconds: Option<u64>,
}

impl Crawler {
    /// Where hubs reach this instance, or `None` when they cannot (a loopback `public_url`).
    fn callback_base(&self) -> Option<Url> {
        let base = Url::parse(&self.public_url).ok()?;
        let loopback = match base.host()? {
            Host::Domain(name) => name == "localhost" || name.ends_with(".localhost"),
            Host::Ipv4(ip) => ip.is_loopback(),
            Host::Ipv6(ip) => ip.is_loopback(),
        };
        (!loopback).then_some(base)
    }

    /// Asks the hub `parsed` names to push `source`'s updates, unless a lease is running (and
    /// not ending within a day) or a request is waiting for verification.
    pub(crate) async fn websub_subscribe(&self, source: &Source, parsed: &parse::ParsedFeed) {
        let (Some((hub, topic)), true) = (&parsed.hub, self.config.websub) else { return };
        let Some(base) = self.callback_base() else { return };
        let now = now_ms();
        let state = &source.websub;
        let same = state.hub_url.as_deref() == Some(hub.as_str()) && state.topic_url.as_deref() == Some(topic.as_str());
        let leased = state.lease_until_ms.is_some_and(|until| until - now > DAY_MS);
        let waiting =
            state.lease_until_ms.is_none() && state.requested_at_ms.is_some_and(|at| now - at < VERIFY_WITHIN_MS);
        if same && (leased || waiting) {
            return;
        }
        let secret = websub::new_secret();
        let callback = format!("{}/api/v1/websub/{}", base.as_str().trim_end_matches('/'), source.id);
        if let Err(err) = sources::websub_requested(&self.store, source.id, hub, topic, &secret).await {
            tracing::warn!(source = %source.id, error = format!("{err:#}"), "cannot record a WebSub request");
            return;
        }
        let lease = self.config.websub_lease_secs.to_string();
        let form = [
            ("hub.mode", "subscribe"),
            ("hub.topic", topic.as_str()),
            ("hub.callback", callback.as_str()),
            ("hub.secret", secret.as_str()),
            ("hub.lease_seconds", lease.as_str()),
        ];
        match self.fetcher.post_form(hub, &form).await {
            Ok(status) if (200..300).contains(&status) => {
                tracing::info!(source = %source.id, hub = %hub, "WebSub subscription requested");
            }
            Ok(status) => {
                tracing::info!(source = %source.id, hub = %hub, status, "WebSub hub refused the subscription")
            }
            Err(err) => tracing::info!(source = %source.id, hub = %hub, error = %err, "WebSub hub unreachable"),
        }
    }

    /// Answers a hub's verification of intent: the challenge when we asked for exactly this,
    /// else `NoSuchSource` (a 404, which tells the hub no).
    pub(crate) async fn websub_verify(&self, id: Uuid, hub: Verification<'_>) -> Result<String, CrawlerError> {
        let source = sources::by_id(&self.store, id).await?.ok_or(CrawlerError::NoSuchSource)?;
        let ours = source.websub.topic_url.as_deref() == Some(hub.topic) && source.websub.secret.is_some();
        match hub.mode {
            "subscribe" if ours && source.disabled_reason.is_none() => {
                let lease_ms =
                    hub.lease_seconds.unwrap_or(self.config.websub_lease_secs).min(365 * 86_400) as i64 * 1000;
                sources::websub_leased(&self.store, id, Some(now_ms() + lease_ms)).await?;
                Ok(hub.challenge.to_owned())
            }
            // We unsubscribe only by letting the lease end; any other unsubscription is news.
            "unsubscribe" if ours => {
                sources::websub_leased(&self.store, id, None).await?;
                Ok(hub.challenge.to_owned())
            }
            _ => Err(CrawlerError::NoSuchSource),
        }
    }

    /// Takes content a hub pushed: ignored (but acknowledged) unless signed with the secret of
    /// this source's subscription; otherwise parsed and applied like a fetch. Returns the
    /// number of new entries.
    pub(crate) async fn websub_receive(
        &self,
        id: Uuid,
        signature: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<usize, CrawlerError> {
        let source = sources::by_id(&self.store, id).await?.ok_or(CrawlerError::NoSuchSource)?;
        let (Some(secret), Some(topic)) = (&source.websub.secret, &source.websub.topic_url) else {
            return Err(CrawlerError::NoSuchSource);
        };
        if !signature.is_some_and(|s| websub::signature_valid(secret, s, body)) {
            metrics::counter!("riffle_crawler_websub_pushes_total", "outcome" => "bad_signature").increment(1);
            tracing::info!(source = %id, "WebSub push ignored: its signature does not verify");
            return Ok(0);
        }
        let base = Url::parse(topic).map_or_else(|_| source.url(), Ok)?;
        let parsed = parse::feed(body, content_type, &base)?;
        let mut change = self.store.begin().await?;
        let added = self.apply(&mut change, &source, &parsed, source.last_success_at_ms.is_none()).await?;
        change.commit().await?;
        metrics::counter!("riffle_crawler_websub_pushes_total", "outcome" => "applied").increment(1);
        metrics::counter!("riffle_crawler_entries_total").increment(added as u64);
        Ok(added)
    }
}
