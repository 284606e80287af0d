//! The events the graph consumes, one consumer per producer.

pub mod identity;
