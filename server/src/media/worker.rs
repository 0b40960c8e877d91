//! Fetches the files contacts send, after their message is stored (the webhook's acknowledgement and the
//! message row never wait for it): claims due downloads, asks the channel's [`MediaSource`], checks the bytes
//! against what the provider declared, keeps them in the blob store, and records the outcome. What to do after
//! a failure (try again when, or give up saying why) is the domain's decision.

use super::blob::BlobStore;
use crate::channels::port::FetchFailure;
use crate::channels::registry::ChannelRegistry;
use crate::store::media::MediaJob;
use crate::store::SqlStore;
use atende_domain::inbound_media::{
    after_transient_failure, check_download, clean_mime, NotKept, Retry, MAX_ATTEMPTS,
};
use atende_domain::ports::{Clock, StoreError};
use atende_domain::time::Timestamp;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Downloads one worker takes at a time.
const CLAIM_BATCH: i64 = 4;
/// How long a claimed download is the worker's before another (or this one, restarted after a crash) takes it
/// again: longer than a download may take (the providers' clients give up after 300 s). Were one to run twice
/// anyway, it is harmless: the bytes are kept under their SHA-256, and a kept file is never undone.
const LEASE_MS: i64 = 6 * 60 * 1000;
/// How often the worker looks for retries that came due (a new file wakes it at once).
const IDLE_POLL: Duration = Duration::from_secs(1);

pub struct MediaWorker {
    pub store: SqlStore,
    pub channels: Arc<ChannelRegistry>,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: Arc<dyn Clock>,
    /// The most bytes kept of one file.
    pub max_bytes: u64,
}

impl MediaWorker {
    /// Runs until the process ends: woken by `wake` when a message with a file is stored, and every second
    /// for retries.
    pub async fn run(self, wake: Arc<Notify>) {
        loop {
            match self.work_once().await {
                Ok(0) => {
                    let _ = tokio::time::timeout(IDLE_POLL, wake.notified()).await;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "media downloads: store unavailable");
                    tokio::time::sleep(IDLE_POLL).await;
                }
            }
        }
    }

    /// Claims the downloads due now and does them, a few at once. How many it did.
    pub async fn work_once(&self) -> Result<usize, StoreError> {
        let jobs = self.store.claim_media(self.clock.now(), LEASE_MS, CLAIM_BATCH).await?;
        let count = jobs.len();
        let results = futures_util::future::join_all(jobs.into_iter().map(|job| self.download(job))).await;
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
        Ok(count)
    }

    async fn download(&self, job: MediaJob) -> Result<(), StoreError> {
        // This attempt was counted when it was claimed: a worker that dies in the middle (out of memory on a
        // huge file) does not try forever.
        let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
        if attempts > MAX_ATTEMPTS {
            return self.give_up(&job, &NotKept::Unreachable { attempts: MAX_ATTEMPTS }).await;
        }
        // A channel this instance does not serve yet (saved on another instance a moment ago) may come.
        let fetched = match self.channels.media_source(job.channel_id) {
            Some(source) => source.fetch(&job.source, self.max_bytes).await,
            None => Err(FetchFailure::Transient("o canal não está configurado nesta instância".into())),
        };
        let now = self.clock.now();
        let expires_at = job.expires_at.map(Timestamp::from_millis);
        let fetched = match fetched {
            Ok(fetched) => fetched,
            Err(FetchFailure::Transient(error)) => {
                return match after_transient_failure(attempts, now, expires_at) {
                    Retry::At(at) => {
                        tracing::info!(message_id = job.message_id, attempts, %error, "media download failed; retrying");
                        self.store.media_retry_at(job.message_id, at, &error).await
                    }
                    Retry::GiveUp(reason) => self.give_up(&job, &reason).await,
                };
            }
            Err(FetchFailure::Expired) => return self.give_up(&job, &NotKept::Expired).await,
            Err(FetchFailure::TooLarge) => {
                return self.give_up(&job, &NotKept::TooLarge { limit: self.max_bytes }).await
            }
            Err(FetchFailure::Refused(why)) => return self.give_up(&job, &NotKept::Refused(why)).await,
        };
        let digest: [u8; 32] = Sha256::digest(&fetched.bytes).into();
        let declared = job.declared_sha256.as_deref().or(fetched.sha256.as_deref());
        let size = fetched.bytes.len() as u64;
        if let Err(reason) = check_download(size, self.max_bytes, declared, &digest) {
            return self.give_up(&job, &reason).await;
        }
        // Only a plain `type/subtype` is kept: what the provider (or a contact, through a gateway) declared may
        // carry anything.
        let mime = fetched
            .mime_type
            .as_deref()
            .and_then(clean_mime)
            .or_else(|| job.mime_type.as_deref().and_then(clean_mime))
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let seconds = atende_domain::inbound_media::opus_seconds(&fetched.bytes);
        match self.blobs.put(fetched.bytes).await {
            Ok((key, _)) => self.store.media_kept(job.message_id, &key, size, &mime, seconds, now).await,
            Err(error) => {
                // The store of bytes is down: like the provider being down, it may pass.
                match after_transient_failure(attempts, now, expires_at) {
                    Retry::At(at) => self.store.media_retry_at(job.message_id, at, &error.to_string()).await,
                    Retry::GiveUp(reason) => self.give_up(&job, &reason).await,
                }
            }
        }
    }

    async fn give_up(&self, job: &MediaJob, reason: &NotKept) -> Result<(), StoreError> {
        tracing::warn!(message_id = job.message_id, %reason, "media not kept");
        self.store.media_given_up(job.message_id, &reason.to_string()).await
    }
}
