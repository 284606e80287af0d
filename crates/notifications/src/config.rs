//! `[notifications]`: how long a group gathers, and how many live streams a process holds.

use serde::{Deserialize, Serialize};

use platform::config::ConfigError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Likes, reposts and follows of one target within this many hours of the group's first
    /// are one group (Mastodon: 12).
    pub group_window_hours: u32,
    /// Live notification streams one user may hold open.
    pub streams_per_user: usize,
    /// Live notification streams one address (an IPv6 /64) may hold open.
    pub streams_per_address: usize,
    /// Live notification streams one process holds at most.
    pub streams_total: usize,
    /// Seconds between heartbeat comments on a live stream.
    pub stream_heartbeat_secs: u64,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            group_window_hours: 12,
            streams_per_user: 8,
            streams_per_address: 64,
            streams_total: 20_000,
            stream_heartbeat_secs: 15,
        }
    }
}

impl NotificationsConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=24 * 7).contains(&self.group_window_hours) {
            return Err(ConfigError::key(
                "notifications.group_window_hours",
                self.group_window_hours,
                "must be 1 to 168 (a week)",
            ));
        }
        for (key, value) in [
            ("notifications.streams_per_user", self.streams_per_user),
            ("notifications.streams_per_address", self.streams_per_address),
            ("notifications.streams_total", self.streams_total),
        ] {
            if value == 0 {
                return Err(ConfigError::key(key, value, "must be at least 1"));
            }
        }
        if !(1..=300).contains(&self.stream_heartbeat_secs) {
            return Err(ConfigError::key(
                "notifications.stream_heartbeat_secs",
                self.stream_heartbeat_secs,
                "must be 1 to 300",
            ));
        }
        Ok(())
    }

    pub fn window_ms(&self) -> i64 {
        i64::from(self.group_window_hours) * 3_600_000
    }
}
