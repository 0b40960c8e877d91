//! What the server's parts share: the wall clock, random secrets, and the batching of a writer's queue.

use atende_domain::ports::Clock;
use atende_domain::time::Timestamp;

/// The wall clock. The only place the server reads the time for the domain.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp::from_millis(millis)
    }
}

/// 128 bits from the standard library's per-process random hasher keys (no extra dependency), as hex.
pub(crate) fn random_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    let half = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0x5eed);
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(), half())
}

/// The next items of a writer's queue for one commit: waits for the first, then takes what else is already
/// there, up to `most` (what arrives while a batch is written goes in the next). `None` when every sender is
/// gone.
pub(crate) async fn next_batch<T>(queue: &mut tokio::sync::mpsc::Receiver<T>, most: usize) -> Option<Vec<T>> {
    let first = queue.recv().await?;
    let mut batch = vec![first];
    while batch.len() < most {
        match queue.try_recv() {
            Ok(more) => batch.push(more),
            Err(_) => break,
        }
    }
    Some(batch)
}
