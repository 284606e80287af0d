//! The events the crawler consumes, one consumer per producer: identity's (the usernames its
//! sources' accounts got; a deleted account's source stops) and graph's follows (subscriptions
//! made or removed by following a source's account directly).

pub mod graph;
pub mod identity;
