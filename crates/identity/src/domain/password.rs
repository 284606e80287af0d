//! Password hashing with Argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane). The PHC
//! string stores the parameters with the hash, so they can be raised later: a hash made with
//! weaker parameters is re-made at the next successful sign-in.

use std::sync::OnceLock;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};

/// OWASP Password Storage Cheat Sheet, Argon2id option 1.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn hasher() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid params"),
    )
}

/// How many hashes run at once: each holds 19 MiB and a core for ~20 ms, so more than the cores
/// only queue in memory; the rest wait here, without a thread.
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// Hashes on the blocking pool: ~20 ms of CPU must not stall the async workers.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await?
}

/// Outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Wrong,
    Right,
    /// Right, but hashed with weaker parameters than today's: store a new hash.
    RightNeedsRehash,
}

/// Verifies on the blocking pool. `stored = None` (no such account) or a hash that is no hash
/// (a deleted account's `!`) still does the full work against a fixed hash and fails, so the
/// response time does not tell whether the account exists.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<Verdict> {
    let _permit = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let real = stored.as_deref().and_then(|s| PasswordHash::new(s).ok());
        let parsed = match real {
            Some(parsed) => parsed,
            None => {
                let dummy = PasswordHash::new(dummy_hash()).expect("dummy hash parses");
                let _ = hasher().verify_password(password.as_bytes(), &dummy);
                return Ok(Verdict::Wrong);
            }
        };
        if hasher().verify_password(password.as_bytes(), &parsed).is_err() {
            return Ok(Verdict::Wrong);
        }
        let current = Params::try_from(&parsed).ok();
        let weaker = current.is_none_or(|p| p.m_cost() < MEMORY_KIB || p.t_cost() < PASSES);
        Ok(if weaker { Verdict::RightNeedsRehash } else { Verdict::Right })
    })
    .await?
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        hasher().hash_password(b"no account has this password", &salt).expect("hashing works").to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert_eq!(verify("correct horse battery".into(), Some(stored.clone())).await.unwrap(), Verdict::Right);
        assert_eq!(verify("wrong horse battery".into(), Some(stored)).await.unwrap(), Verdict::Wrong);
        assert_eq!(verify("anything".into(), None).await.unwrap(), Verdict::Wrong);
        assert_eq!(verify("anything".into(), Some("!".into())).await.unwrap(), Verdict::Wrong, "a disabled hash");
    }

    #[tokio::test]
    async fn weaker_parameters_ask_for_a_rehash() {
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 1, 1, None).unwrap());
        let salt = SaltString::generate(&mut OsRng);
        let stored = weak.hash_password(b"correct horse battery", &salt).unwrap().to_string();
        assert_eq!(verify("correct horse battery".into(), Some(stored)).await.unwrap(), Verdict::RightNeedsRehash);
    }
}
