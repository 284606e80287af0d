//! The events the graph consumes, one consumer per producer: identity's users, and the
//! subscriptions made through the crawler's API (follows of sources).

pub mod crawler;
pub mod identity;
