//! `[search]`: which replica this is, and where a rebuild reads content from.

use serde::{Deserialize, Serialize};

use platform::config::ConfigError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// This replica's name. Each search replica keeps its own index from its own durable
    /// consumers (`search.posts.<replica>`…), so that every replica sees every event. Empty: a
    /// single replica (consumers `search.posts`…). In Kubernetes, the pod's name.
    pub replica: String,
    /// Content's base URL, whose `GET /api/v1/admin/posts` a rebuild reads. Empty: this
    /// process's own server (content runs in the same binary).
    pub content_url: String,
    /// Posts read per page of a rebuild.
    pub rebuild_batch: u32,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self { replica: String::new(), content_url: String::new(), rebuild_batch: 1000 }
    }
}

impl SearchConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.replica.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || self.replica.len() > 64 {
            return Err(ConfigError::key(
                "search.replica",
                &self.replica,
                "must be at most 64 letters, digits, `-` or `_`",
            ));
        }
        let url = &self.content_url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::key(
                "search.content_url",
                &self.content_url,
                "must be an http(s):// URL or empty",
            ));
        }
        if !(1..=1000).contains(&self.rebuild_batch) {
            return Err(ConfigError::key("search.rebuild_batch", self.rebuild_batch, "must be 1 to 1000"));
        }
        Ok(())
    }

    /// The durable name of the consumer `base` on this replica.
    pub fn consumer(&self, base: &str) -> String {
        if self.replica.is_empty() { base.to_owned() } else { format!("{base}.{}", self.replica) }
    }
}
