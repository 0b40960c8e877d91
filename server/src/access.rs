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
