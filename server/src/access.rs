//! Passwords: Argon2id with a random salt per password, stored as PHC strings (the parameters travel with
//! the hash, so they can be raised later without breaking old hashes).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashes `password` (already checked by [`atende_domain::access::check_new_password`]).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("could not hash the password: {e}"))
}

/// Whether `password` matches `stored` (false, never an error, for a malformed stored hash).
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// Argon2id takes 19 MiB and tens of milliseconds a password, by design: at most this many run at once (one a
/// core), so a flood of sign-ins waits its turn instead of taking gigabytes of memory.
static PASSWORD_WORK: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
});

/// How long password work waits for its turn before the caller is told to come back.
pub const PASSWORD_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Too many passwords being checked at once: try again in a moment (HTTP 503 with `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Muitos acessos ao mesmo tempo. Tente de novo em alguns segundos.")]
pub struct Busy;

/// A turn at password work, held while the caller needs it.
pub async fn password_turn() -> Result<tokio::sync::SemaphorePermit<'static>, Busy> {
    match tokio::time::timeout(PASSWORD_WAIT, PASSWORD_WORK.acquire()).await {
        Ok(Ok(turn)) => Ok(turn),
        _ => Err(Busy),
    }
}

/// [`verify_password`] off the async workers, within the caller's turn (see [`password_turn`]).
pub async fn verify_in_turn(
    _turn: &tokio::sync::SemaphorePermit<'static>,
    password: String,
    stored: String,
) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &stored)).await.unwrap_or(false)
}

/// [`hash_password`] off the async workers, after waiting for a turn.
pub async fn hash_in_turn(password: String) -> anyhow::Result<String> {
    let _turn = password_turn().await?;
    tokio::task::spawn_blocking(move || hash_password(&password)).await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_salted_and_verifies_only_its_password() -> anyhow::Result<()> {
        let first = hash_password("senha-forte-123")?;
        let second = hash_password("senha-forte-123")?;
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify_password("senha-forte-123", &first));
        assert!(verify_password("senha-forte-123", &second));
        assert!(!verify_password("senha-forte-124", &first));
        assert!(!verify_password("senha-forte-123", "não é um hash"));
        Ok(())
    }
}
