//! `[web]`: where the web app finds the API.

use serde::{Deserialize, Serialize};

use platform::config::ConfigError;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// The API's base URL, e.g. `http://riffle-gateway` when the web app runs in a process of
    /// its own; empty: this process's own server (every service in one process). With the other
    /// services elsewhere, `auth.internal_token` must be the deployment's, so that the API counts
    /// the visitors' addresses rather than the web app's.
    pub api_url: String,
}

impl WebConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = &self.api_url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::key("web.api_url", url, "an http:// or https:// URL, or empty for this process"));
        }
        Ok(())
    }
}
