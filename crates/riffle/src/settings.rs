//! The whole configuration of a process: the process-wide part that every service shares
//! (`platform::Config`, whose keys are the top level of `riffle.toml`) and each service's own
//! section, typed in its crate. All of it comes from the same layers (defaults, file,
//! `RIFFLE_*` variables, flags) and is checked once, at start.

use std::{
    ops::{Deref, DerefMut},
    path::Path,
};

use figment::Figment;
use platform::config::{self, ConfigError};
use serde::Serialize;

/// The sections that belong to services, besides the process-wide keys.
const SECTIONS: &[&str] = &["content", "media", "timelines", "crawler", "search", "notifications", "web"];

/// The effective configuration. It reads like the file: the process-wide keys at the top
/// (through `Deref`), the services' sections as fields.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Settings {
    #[serde(flatten)]
    pub process: platform::Config,
    pub content: content::ContentConfig,
    pub media: content::MediaConfig,
    pub timelines: feed::TimelinesConfig,
    pub crawler: crawler::CrawlerConfig,
    pub search: search::SearchConfig,
    pub notifications: notifications::NotificationsConfig,
    pub web: web::WebConfig,
}

impl Deref for Settings {
    type Target = platform::Config;

    fn deref(&self) -> &platform::Config {
        &self.process
    }
}

impl DerefMut for Settings {
    fn deref_mut(&mut self) -> &mut platform::Config {
        &mut self.process
    }
}

impl Settings {
    /// Loads the layers: built-in defaults, then `file` (or `./riffle.toml` when present), then
    /// `RIFFLE_*` variables, then `flags`.
    pub fn load(file: Option<&Path>, flags: Figment) -> Result<Settings, ConfigError> {
        Self::from_layers(&config::layers(file, flags)?)
    }

    /// Reads and checks every section of `figment`.
    pub fn from_layers(figment: &Figment) -> Result<Settings, ConfigError> {
        config::check_keys(figment, SECTIONS)?;
        let settings = Settings {
            process: platform::Config::from_layers(figment)?,
            content: config::extract(figment, Some("content"))?,
            media: config::extract(figment, Some("media"))?,
            timelines: config::extract(figment, Some("timelines"))?,
            crawler: config::extract(figment, Some("crawler"))?,
            search: config::extract(figment, Some("search"))?,
            notifications: config::extract(figment, Some("notifications"))?,
            web: config::extract(figment, Some("web"))?,
        };
        settings.content.validate()?;
        settings.media.validate()?;
        settings.timelines.validate()?;
        settings.crawler.validate()?;
        settings.search.validate()?;
        settings.notifications.validate()?;
        settings.web.validate()?;
        Ok(settings)
    }

    /// The configuration as TOML, with every password in a URL and every secret replaced by `***`.
    pub fn to_redacted_toml(&self) -> String {
        let shown = Settings {
            process: self.process.redacted(),
            content: self.content.clone(),
            media: self.media.redacted(),
            timelines: self.timelines.redacted(),
            crawler: self.crawler.clone(),
            search: self.search.clone(),
            notifications: self.notifications.clone(),
            web: self.web.clone(),
        };
        // Through a `toml::Value`, which puts plain keys before tables as TOML requires.
        let value = toml::Value::try_from(&shown).expect("configuration serializes");
        toml::to_string_pretty(&value).expect("configuration serializes")
    }
}

#[cfg(test)]
mod tests {
    use figment::providers::{Format, Toml};

    use super::*;

    /// `riffle.toml.example` documents every key with its default; this keeps it true.
    #[test]
    fn the_example_file_lists_the_real_defaults() {
        let example = Figment::from(Toml::string(include_str!("../../../riffle.toml.example")));
        let example = Settings::from_layers(&example).expect("the example is valid");
        let as_json = |s: &Settings| serde_json::to_value(s).unwrap();
        assert_eq!(as_json(&example), as_json(&Settings::default()));
    }

    #[test]
    fn sections_are_validated_and_secrets_redacted() {
        let bad = Figment::from(Toml::string("[content]\nmax_post_chars = 0\n"));
        let err = Settings::from_layers(&bad).unwrap_err().to_string();
        assert!(err.contains("content.max_post_chars"), "{err}");
        let unknown = Figment::from(Toml::string("[contnet]\nmax_post_chars = 5\n"));
        assert!(Settings::from_layers(&unknown).unwrap_err().to_string().contains("`contnet`"));
        let mut settings = Settings::default();
        settings.media.s3_secret_access_key = "hunter2".into();
        settings.timelines.url = "redis://u:hunter3@h/1".into();
        settings.database.url = "postgres://u:hunter4@h/db".into();
        let shown = settings.to_redacted_toml();
        assert!(!shown.contains("hunter"), "{shown}");
        assert!(shown.contains("[timelines]") && shown.contains("bind = "), "{shown}");
    }
}
