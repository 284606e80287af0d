//! The admins' side of a rebuild, for `riffle search reindex`: asks a running search service
//! to rebuild (`POST /api/v1/admin/search/rebuild`) and follows its progress until it ends.

use std::time::Duration;

use serde::Deserialize;

/// How far a rebuild is, as the service reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct Progress {
    pub state: String,
    pub posts: u64,
    pub total: Option<u64>,
    pub error: Option<String>,
}

/// Rebuilds the index of the search service at `base_url` as the holder of `token` (an
/// admin's, or the internal one), calling `on_progress` about four times a second. Returns the
/// final progress; an error when the rebuild failed or could not be started.
pub async fn reindex(base_url: &str, token: &str, mut on_progress: impl FnMut(&Progress)) -> anyhow::Result<Progress> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let url = format!("{}/api/v1/admin/search/rebuild", base_url.trim_end_matches('/'));
    let started = client.post(&url).bearer_auth(token).send().await?;
    if !started.status().is_success() {
        let status = started.status();
        let detail =
            started.json::<serde_json::Value>().await.ok().and_then(|p| p["detail"].as_str().map(str::to_owned));
        anyhow::bail!("{url} answered {status}: {}", detail.unwrap_or_default());
    }
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let progress: Progress = client.get(&url).bearer_auth(token).send().await?.error_for_status()?.json().await?;
        on_progress(&progress);
        match progress.state.as_str() {
            "running" => {}
            "failed" => anyhow::bail!("the rebuild failed: {}", progress.error.unwrap_or_default()),
            _ => return Ok(progress),
        }
    }
}
