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

thread_local! {
    /// Argon2's working memory (19 MiB with the default parameters), kept by each password thread from one
    /// password to the next: allocated a password at a time, glibc kept each allocation of it and 10 sign-ins
    /// grew the server by 190 MiB.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`verify_password`], with the thread's kept working memory (the same answer: the same Argon2 over the
/// parameters, salt and output length the stored hash names, compared in constant time).
fn verify_with_kept_memory(password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let Ok(algorithm) = argon2::Algorithm::try_from(hash.algorithm) else { return false };
    let version = match hash.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let Ok(params) = argon2::Params::try_from(&hash) else { return false };
    let mut salt_bytes = [0_u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut computed = vec![0_u8; expected.len()];
    let hashed = ARGON2_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, &mut memory[..blocks])
    });
    hashed.is_ok() && constant_time_eq(&computed, expected.as_bytes())
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

/// Work for the password threads.
type PasswordJob = Box<dyn FnOnce() + Send>;

/// The threads that do password work, one a core, started on first use. Always the same few threads, so the
/// same few allocator arenas take every password's 19 MiB: on tokio's blocking pool, a flood of sign-ins
/// spread the work over new threads, each arena kept its 19 MiB, and 1,000 sign-ins left the server at
/// 395 MiB (`atende-bench signin`).
static PASSWORD_THREADS: std::sync::LazyLock<std::sync::Mutex<std::sync::mpsc::Sender<PasswordJob>>> =
    std::sync::LazyLock::new(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<PasswordJob>();
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        for index in 0..threads {
            let receiver = receiver.clone();
            let started = std::thread::Builder::new().name(format!("senhas-{index}")).spawn(move || loop {
                let job = receiver.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            });
            if let Err(error) = started {
                tracing::error!(%error, "could not start a password thread");
            }
        }
        std::sync::Mutex::new(sender)
    });

/// Runs `work` on a password thread; `None` if none runs.
async fn on_password_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: PasswordJob = Box::new(move || {
        let _ = answer.send(work());
    });
    PASSWORD_THREADS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).send(job).ok()?;
    answered.await.ok()
}

/// [`verify_password`] on a password thread, within the caller's turn (see [`password_turn`]).
pub async fn verify_in_turn(
    _turn: &tokio::sync::SemaphorePermit<'static>,
    password: String,
    stored: String,
) -> bool {
    on_password_thread(move || verify_with_kept_memory(&password, &stored)).await.unwrap_or(false)
}

/// [`hash_password`] on a password thread, after waiting for a turn.
pub async fn hash_in_turn(password: String) -> anyhow::Result<String> {
    let _turn = password_turn().await?;
    on_password_thread(move || hash_password(&password))
        .await
        .unwrap_or_else(|| Err(anyhow::anyhow!("no password thread runs")))
}

/// Whether two secrets are equal, in a time that does not tell how much of them matched.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

    #[test]
    fn the_kept_memory_check_answers_as_argon2s_own() -> anyhow::Result<()> {
        let stored = hash_password("senha-forte-123")?;
        for (typed, hash) in [
            ("senha-forte-123", stored.as_str()),
            ("senha-forte-124", stored.as_str()),
            ("", stored.as_str()),
            ("senha-forte-123", "não é um hash"),
            ("senha-forte-123", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$"),
        ] {
            assert_eq!(verify_with_kept_memory(typed, hash), verify_password(typed, hash), "{typed} {hash}");
        }
        assert!(verify_with_kept_memory("senha-forte-123", &stored), "twice on one thread's memory");
        let smaller = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$x/9bJLwhUdbJp2ZC4ffX1g";
        assert_eq!(verify_with_kept_memory("senha", smaller), verify_password("senha", smaller));
        Ok(())
    }
}
