//! Identity's domain: account fields that validate on construction, the rules of passwords,
//! tokens, keys and throttling, and the service's error. Pure: no database, no HTTP.

pub mod accounts;
pub mod audit;
pub mod error;
pub mod fields;
pub mod keys;
pub mod password;
pub mod registration;
pub mod sources;
pub mod throttle;
pub mod tokens;

pub use error::IdentityError;
