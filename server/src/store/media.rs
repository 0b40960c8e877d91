//! The files of messages: written "pending" with their message, claimed by the media worker, then kept (the
//! blob's key) or given up with the reason the agent reads. What to do after each attempt is the domain's
//! decision (`atende_domain::inbound_media`); this persists it.

use super::{unavailable, SqlStore};
use atende_domain::inbound_media::MediaState;
use atende_domain::outbound_media::OutgoingFile;
use atende_domain::ports::StoreError;
use atende_domain::time::Timestamp;
use sqlx::{FromRow, Row};

/// A file a provider announced with a contact's message, before it is downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMedia {
    /// How this provider gives the file, in its own terms (JSON the provider's `MediaSource` reads back).
    pub source: String,
    pub mime_type: Option<String>,
    pub file_name: Option<String>,
    /// A voice note (recorded in the app), not an audio file.
    pub voice: bool,
    /// The SHA-256 the provider declared (hex or base64), checked after download.
    pub declared_sha256: Option<String>,
    /// When the provider stops keeping it.
    pub expires_at: Option<Timestamp>,
    /// Downloaded and kept (`false`: only ever shown from the provider, see [`MediaState::Linked`]).
    pub keep: bool,
}

/// A download for the worker.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MediaJob {
    pub message_id: i64,
    pub channel_id: i64,
    pub source: String,
    pub mime_type: Option<String>,
    pub declared_sha256: Option<String>,
    /// Attempts made, this one included.
    pub attempts: i64,
    pub expires_at: Option<i64>,
}

/// A message's file, as the conversation and the media route read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    pub message_id: i64,
    pub conversation_id: i64,
    pub channel_id: i64,
    /// Where the provider keeps it, in its own terms (what its `MediaSource` reads).
    pub source: String,
    pub state: MediaState,
    pub mime_type: Option<String>,
    pub file_name: Option<String>,
    pub voice: bool,
    /// The blob's key, once kept.
    pub sha256: Option<String>,
    pub size_bytes: Option<i64>,
}

#[derive(FromRow)]
struct StoredMediaRow {
    message_id: i64,
    conversation_id: i64,
    channel_id: i64,
    source: String,
    state: String,
    reason: Option<String>,
    mime_type: Option<String>,
    file_name: Option<String>,
    voice: i64,
    sha256: Option<String>,
    size_bytes: Option<i64>,
}

impl StoredMediaRow {
    fn into_media(self) -> Result<StoredMedia, StoreError> {
        Ok(StoredMedia {
            message_id: self.message_id,
            conversation_id: self.conversation_id,
            channel_id: self.channel_id,
            source: self.source,
            state: MediaState::from_code(&self.state, self.reason.as_deref())
                .ok_or_else(|| super::corrupt("media state", &self.state))?,
            mime_type: self.mime_type,
            file_name: self.file_name,
            voice: self.voice != 0,
            sha256: self.sha256,
            size_bytes: self.size_bytes,
        })
    }
}

/// The key of a template job's detail that holds the file of its media header ([`KeptFile`]), when the agent
/// gave one from their computer.
pub const HEADER_FILE: &str = "header_file";

/// A file the agent sent from their computer, as its message's job keeps it: the outbound worker reads the
/// bytes back from the blob store by `sha256` and gives them to the provider.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptFile {
    pub sha256: String,
    pub mime: String,
    pub name: String,
    #[serde(default)]
    pub voice: bool,
}

impl KeptFile {
    pub fn of(file: &OutgoingFile, sha256: &str) -> Self {
        Self {
            sha256: sha256.to_owned(),
            mime: file.mime().to_owned(),
            name: file.name().to_owned(),
            voice: file.voice(),
        }
    }
}

const STORED_MEDIA_COLUMNS: &str =
    "message_id, conversation_id, channel_id, source, state, reason, mime_type, file_name, voice, sha256, size_bytes";

impl SqlStore {
    /// The file announced with message `message_id`, inside the transaction that stores the message: pending
    /// (the worker downloads it), or linked when it must not be kept.
    pub(crate) async fn insert_media_on(
        conn: &mut sqlx::AnyConnection,
        message_id: i64,
        conversation_id: i64,
        channel_id: i64,
        media: &IncomingMedia,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO media (message_id, conversation_id, channel_id, state, source, mime_type, file_name, voice, \
             declared_sha256, next_attempt_at, expires_at, created_at) \
             VALUES ($1, $2, $3, $11, $4, $5, $6, $7, $8, $9, $10, $9)",
        )
        .bind(message_id)
        .bind(conversation_id)
        .bind(channel_id)
        .bind(&media.source)
        .bind(media.mime_type.as_deref())
        .bind(media.file_name.as_deref())
        .bind(i64::from(media.voice))
        .bind(media.declared_sha256.as_deref())
        .bind(now.as_millis())
        .bind(media.expires_at.map(Timestamp::as_millis))
        .bind(if media.keep { MediaState::Pending.code() } else { MediaState::Linked.code() })
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// The agent's file of message `message_id`, already kept (nothing to download), inside the transaction
    /// that stores the message.
    pub(crate) async fn insert_sent_media_on(
        conn: &mut sqlx::AnyConnection,
        message_id: i64,
        outbound: &super::queue::NewOutbound,
        file: &KeptFile,
        size: Option<u64>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO media (message_id, conversation_id, channel_id, state, source, mime_type, file_name, voice, \
             sha256, size_bytes, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $10, 'agent', $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(message_id)
        .bind(outbound.conversation_id)
        .bind(outbound.channel_id)
        .bind(&file.mime)
        .bind(&file.name)
        .bind(i64::from(file.voice))
        .bind(&file.sha256)
        .bind(size.map(|size| i64::try_from(size).unwrap_or(i64::MAX)))
        .bind(now.as_millis())
        .bind(MediaState::Ready.code())
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// Up to `limit` downloads due at `now` that no worker holds, oldest first, each held for `lease_ms` (a
    /// worker that dies leaves it to the next after that).
    pub async fn claim_media(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<MediaJob>, StoreError> {
        // Looked at first without the writer (SQLite has one): most of the time nothing is due.
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT message_id FROM media WHERE state = 'pending' AND next_attempt_at <= $1 \
             AND (leased_until IS NULL OR leased_until <= $1) LIMIT 1",
        )
        .bind(now.as_millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.write_tx().await?;
        let lock = match self.backend() {
            super::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            super::Backend::Sqlite => "",
        };
        let jobs: Vec<MediaJob> = sqlx::query_as(&format!(
            "SELECT message_id, channel_id, source, mime_type, declared_sha256, attempts, expires_at FROM media \
             WHERE state = 'pending' AND next_attempt_at <= $1 AND (leased_until IS NULL OR leased_until <= $1) \
             ORDER BY next_attempt_at, message_id LIMIT $2{lock}"
        ))
        .bind(now.as_millis())
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
        // The attempt is counted as it is claimed (the jobs returned say how many, this one included).
        let jobs: Vec<MediaJob> =
            jobs.into_iter().map(|job| MediaJob { attempts: job.attempts + 1, ..job }).collect();
        for job in &jobs {
            sqlx::query("UPDATE media SET leased_until = $2, attempts = attempts + 1 WHERE message_id = $1")
                .bind(job.message_id)
                .bind(now.plus_millis(lease_ms).as_millis())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        self.commit(tx).await?;
        Ok(jobs)
    }

    /// The file of `message_id` is kept: the blob `sha256` of `size` bytes, of type `mime_type`.
    /// `seconds`: how long the audio lasts, once its bytes say so: the conversation's line in the list then
    /// says it ("🎤 Áudio 0:42") while it still shows this message.
    pub async fn media_kept(
        &self,
        message_id: i64,
        sha256: &str,
        size: u64,
        mime_type: &str,
        seconds: Option<u32>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE media SET state = 'ready', sha256 = $2, size_bytes = $3, mime_type = $4, reason = NULL, \
             leased_until = NULL, next_attempt_at = $5 WHERE message_id = $1",
        )
        .bind(message_id)
        .bind(sha256)
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .bind(mime_type)
        .bind(now.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if let Some(seconds) = seconds {
            let row = sqlx::query(
                "SELECT message.kind, media.voice, media.conversation_id FROM media \
                 JOIN message ON message.message_id = media.message_id WHERE media.message_id = $1",
            )
            .bind(message_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?;
            if let Some(row) = row {
                let kind: String = row.try_get("kind").map_err(unavailable)?;
                let voice = row.try_get::<i64, _>("voice").map_err(unavailable)? != 0;
                let conversation: i64 = row.try_get("conversation_id").map_err(unavailable)?;
                let line = |seconds| atende_domain::inbound_media::preview(&kind, voice, seconds, None, None);
                // Only while the line is this message's: no later message of the contact's since.
                sqlx::query(
                    "UPDATE conversation SET last_message = $3 WHERE conversation_id = $1 AND last_message = $2 \
                     AND NOT EXISTS (SELECT 1 FROM message newer, message this WHERE this.message_id = $4 \
                     AND newer.conversation_id = $1 AND newer.direction = 'in' \
                     AND newer.message_id <> this.message_id AND newer.provider_at >= this.provider_at)",
                )
                .bind(conversation)
                .bind(line(None))
                .bind(line(Some(seconds)))
                .bind(message_id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            }
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(())
    }

    /// The file of `message_id` is not kept, for `reason` (the agent reads it). A file another attempt kept
    /// meanwhile stays kept.
    pub async fn media_given_up(&self, message_id: i64, reason: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE media SET state = 'failed', reason = $2, leased_until = NULL \
             WHERE message_id = $1 AND state = 'pending'",
        )
        .bind(message_id)
        .bind(reason)
        .execute(&self.writer)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// The download of `message_id` failed for a reason that may pass: tried again at `at` (unless another
    /// attempt kept it meanwhile).
    pub async fn media_retry_at(
        &self,
        message_id: i64,
        at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE media SET next_attempt_at = $2, reason = $3, leased_until = NULL \
             WHERE message_id = $1 AND state = 'pending'",
        )
        .bind(message_id)
        .bind(at.as_millis())
        .bind(error)
        .execute(&self.writer)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// The file of message `message_id`, if it has one.
    pub async fn media_of(&self, message_id: i64) -> Result<Option<StoredMedia>, StoreError> {
        let row: Option<StoredMediaRow> =
            sqlx::query_as(&format!("SELECT {STORED_MEDIA_COLUMNS} FROM media WHERE message_id = $1"))
                .bind(message_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        row.map(StoredMediaRow::into_media).transpose()
    }

    /// The files of a conversation's messages, by message.
    pub async fn media_of_conversation(&self, conversation_id: i64) -> Result<Vec<StoredMedia>, StoreError> {
        let rows: Vec<StoredMediaRow> = sqlx::query_as(&format!(
            "SELECT {STORED_MEDIA_COLUMNS} FROM media WHERE conversation_id = $1 ORDER BY message_id"
        ))
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter().map(StoredMediaRow::into_media).collect()
    }
}
