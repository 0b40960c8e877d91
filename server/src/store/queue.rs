//! The outbound queue: an agent's message is stored with its job in one transaction; a worker claims jobs
//! one at a time, in job order within each conversation, and records what the provider answered.
//!
//! Invariants (the contract suite checks each on both backends):
//! - A job is claimed only when no earlier job of its conversation is still ready or in flight, so a
//!   conversation's messages leave in the order they were written, retries included. Held jobs do not block:
//!   a second template sent to re-engage the contact must not wait behind texts that wait for the reply;
//!   released, held jobs keep their original order among themselves.
//! - Held jobs (the window is closed and the contact has not answered) are never claimed; releasing a
//!   conversation makes them ready in their original order.
//! - Two workers never hold the same job: claiming is one statement (`UPDATE … WHERE id = (SELECT …)`), with
//!   `FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers.
//! - A claim is a lease. A worker that dies mid-send leaves the job in flight until the lease ends; then it is
//!   ready again. The send itself carries our message id (see the worker), so the provider's status webhooks
//!   reconcile a send that did happen.

use super::{placeholders, unavailable, Backend, SqlStore};
use atende_domain::conversation::ChannelKind;
use atende_domain::ports::StoreError;
use atende_domain::time::Timestamp;
use sqlx::{FromRow, Row};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub i64);

/// When the oldest webhook the processor has not looked at yet was received (an uncorrelated SQL scalar;
/// `NULL` when it has looked at all): what the providers said before that instant has been applied. A send
/// that failed in a way that leaves it unknown whether the provider took it (a timeout, a lost answer) is
/// tried again, and a lost worker's lease taken back, only once what the provider said until then is
/// applied: its echo or status may say the send did happen.
const LOOKED_AT_UNTIL: &str = "(SELECT w.received_at FROM webhook_receipt w \
     WHERE w.processed_at IS NULL AND w.seen_at IS NULL ORDER BY w.webhook_receipt_id LIMIT 1)";

/// How a claim ends other than sent (see [`SqlStore::end_claim`]; sent: [`SqlStore::complete_jobs`]).
#[derive(Debug, Clone, Copy)]
enum ClaimEnd<'a> {
    Retry { error: &'a str, at: Timestamp },
    Defer { at: Timestamp },
    Failed { error: &'a str },
}

/// Whether a new outbound message may leave now or must wait for the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatch {
    Now,
    Hold,
}

/// An outbound message as the queue stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutbound {
    pub conversation_id: i64,
    pub channel_id: i64,
    /// `text`, `template`, `image`, …
    pub kind: String,
    pub body: Option<String>,
    /// JSON the worker turns into the provider's request (template name, language, parameters…).
    pub detail: String,
}

impl NewOutbound {
    /// A text an agent wrote in `conversation_id`.
    pub fn text(conversation_id: i64, channel_id: i64, body: impl Into<String>) -> Self {
        Self {
            conversation_id,
            channel_id,
            kind: "text".into(),
            body: Some(body.into()),
            detail: "{}".into(),
        }
    }
}

/// A send the provider accepted: see [`SqlStore::complete_job`].
#[derive(Debug, Clone, Copy)]
pub struct Completion<'a> {
    pub job: &'a ClaimedJob,
    pub provider_message_id: &'a str,
    pub sent_at: Timestamp,
}

/// A job a worker holds the lease of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub job_id: JobId,
    pub message_id: MessageId,
    pub conversation_id: i64,
    pub channel_id: i64,
    pub kind: String,
    pub body: Option<String>,
    pub detail: String,
    /// Set when the provider already reported on this message (an earlier attempt did reach it, though its
    /// answer was lost): the job is done, not sent again.
    pub provider_message_id: Option<String>,
    /// Where the provider is to deliver it (see [`recipient_sql`]); `None` when the contact has neither an
    /// identity on the channel nor, on WhatsApp, a number.
    pub recipient: Option<String>,
    /// Including this one. It is also the claim's token: the writes that end a claim (done, retry, defer,
    /// failed) apply only while the job is in flight under this same claim, so a worker whose lease ran out
    /// and was taken over can no longer change the job.
    pub attempts: i64,
}

/// How each channel addresses the person: by the identity of this kind the provider taught us (the
/// latest), and on WhatsApp by the contact's number when there is none yet (it may lack the ninth digit;
/// the provider's id does not).
fn recipient_identity(kind: ChannelKind) -> (&'static str, bool) {
    match kind {
        ChannelKind::WhatsappOfficial => ("wa_id", true),
        ChannelKind::WhatsappUnofficial => ("evolution_jid", true),
        ChannelKind::Messenger => ("psid", false),
        ChannelKind::Instagram => ("igsid", false),
    }
}

/// The kind of channel an identity stored as `code` addresses the contact on (see [`recipient_identity`]).
pub(crate) fn channel_of_identity(code: &str) -> Option<ChannelKind> {
    ChannelKind::ALL.into_iter().find(|kind| recipient_identity(*kind).0 == code)
}

/// The SQL expression of the recipient of the conversation `v` of contact `c` on channel `ch`, by
/// [`recipient_identity`].
fn recipient_sql() -> String {
    let kinds = [
        ChannelKind::WhatsappOfficial,
        ChannelKind::WhatsappUnofficial,
        ChannelKind::Messenger,
        ChannelKind::Instagram,
    ];
    let identity = kinds
        .iter()
        .map(|k| format!("WHEN '{}' THEN '{}'", k.code(), recipient_identity(*k).0))
        .collect::<Vec<_>>()
        .join(" ");
    let by_phone = kinds
        .iter()
        .filter(|k| recipient_identity(**k).1)
        .map(|k| format!("'{}'", k.code()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "COALESCE((SELECT i.external_id FROM contact_identity i WHERE i.contact_id = c.contact_id \
           AND i.kind = CASE ch.kind {identity} END ORDER BY i.contact_identity_id DESC LIMIT 1), \
         CASE WHEN ch.kind IN ({by_phone}) THEN c.phone END)"
    )
}

/// The status a message that has been accepted by the provider has at `rank` (1 to 3).
fn status_of_rank(rank: i64) -> &'static str {
    match rank {
        3 => "read",
        2 => "delivered",
        _ => "sent",
    }
}

/// How far a message has got. Statuses only move forward: a late "delivered" never overwrites "read".
pub fn status_rank(status: &str) -> i64 {
    match status {
        "queued" | "held" | "received" => 0,
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        "failed" => 4,
        _ => 0,
    }
}

/// The contact's latest message in a conversation, as a read receipt needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestInbound {
    pub channel_id: i64,
    /// Where the provider knows the person (see [`recipient_sql`]).
    pub recipient: String,
    pub provider_message_id: String,
    /// Already told to the provider as read.
    pub acknowledged: bool,
}

impl SqlStore {
    /// The contact's latest message of conversation `id` that the provider knows by an id, if any.
    pub async fn latest_inbound(&self, id: i64) -> Result<Option<LatestInbound>, StoreError> {
        let sql = format!(
            "SELECT v.channel_id, m.provider_message_id, v.read_receipt_message_id, {} AS recipient FROM message m \
             JOIN conversation v ON v.conversation_id = m.conversation_id \
             JOIN contact c ON c.contact_id = v.contact_id \
             JOIN channel ch ON ch.channel_id = v.channel_id \
             WHERE m.conversation_id = $1 AND m.direction = 'in' AND m.provider_message_id IS NOT NULL \
             ORDER BY m.message_id DESC LIMIT 1",
            recipient_sql()
        );
        let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await.map_err(unavailable)?
        else {
            return Ok(None);
        };
        let Some(recipient) = row.try_get::<Option<String>, _>("recipient").map_err(unavailable)? else {
            return Ok(None);
        };
        let provider_message_id: String = row.try_get("provider_message_id").map_err(unavailable)?;
        let acknowledged: Option<String> = row.try_get("read_receipt_message_id").map_err(unavailable)?;
        Ok(Some(LatestInbound {
            channel_id: row.try_get("channel_id").map_err(unavailable)?,
            recipient,
            acknowledged: acknowledged.as_deref() == Some(provider_message_id.as_str()),
            provider_message_id,
        }))
    }

    /// Records that the provider is told the contact's messages up to `provider_message_id` were read, and
    /// whether this call is the one to tell it: of two agents opening the conversation at once, one.
    pub async fn claim_read_receipt(&self, id: i64, provider_message_id: &str) -> Result<bool, StoreError> {
        let claimed = sqlx::query(
            "UPDATE conversation SET read_receipt_message_id = $2 WHERE conversation_id = $1 \
             AND (read_receipt_message_id IS NULL OR read_receipt_message_id <> $2)",
        )
        .bind(id)
        .bind(provider_message_id)
        .execute(&self.writer)
        .await
        .map_err(unavailable)?
        .rows_affected();
        Ok(claimed > 0)
    }

    /// Stores an outbound message and its job in one transaction.
    #[tracing::instrument(skip_all, fields(conversation = outbound.conversation_id))]
    pub async fn enqueue(
        &self,
        outbound: &NewOutbound,
        dispatch: Dispatch,
        now: Timestamp,
    ) -> Result<(MessageId, JobId), StoreError> {
        let mut tx = self.write_tx().await?;
        let ids = Self::insert_outbound(&mut tx, outbound, dispatch, now).await?;
        self.commit(tx).await?;
        Ok(ids)
    }

    /// Inserts an outbound message and its job inside `tx`, and marks the conversation as just updated.
    pub(crate) async fn insert_outbound(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        outbound: &NewOutbound,
        dispatch: Dispatch,
        now: Timestamp,
    ) -> Result<(MessageId, JobId), StoreError> {
        let (message_status, job_state) = match dispatch {
            Dispatch::Now => ("queued", "ready"),
            Dispatch::Hold => ("held", "held"),
        };
        let message_id: i64 = sqlx::query(
            "INSERT INTO message (conversation_id, direction, kind, body, detail, status, status_rank, created_at) \
             VALUES ($1, 'out', $2, $3, $4, $5, $6, $7) RETURNING message_id",
        )
        .bind(outbound.conversation_id)
        .bind(&outbound.kind)
        .bind(outbound.body.as_deref())
        .bind(&outbound.detail)
        .bind(message_status)
        .bind(status_rank(message_status))
        .bind(now.as_millis())
        .fetch_one(&mut **tx)
        .await
        .map_err(unavailable)?
        .try_get("message_id")
        .map_err(unavailable)?;
        let job_id: i64 = sqlx::query(
            "INSERT INTO outbound_job (message_id, conversation_id, channel_id, state, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING outbound_job_id",
        )
        .bind(message_id)
        .bind(outbound.conversation_id)
        .bind(outbound.channel_id)
        .bind(job_state)
        .bind(now.as_millis())
        .fetch_one(&mut **tx)
        .await
        .map_err(unavailable)?
        .try_get("outbound_job_id")
        .map_err(unavailable)?;
        sqlx::query("UPDATE conversation SET updated_at = $2 WHERE conversation_id = $1")
            .bind(outbound.conversation_id)
            .bind(now.as_millis())
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
        Ok((MessageId(message_id), JobId(job_id)))
    }

    /// What an agent's (or Atende's) message carries besides its text: the message it answers, the reaction,
    /// that it was automatic; shown with it as a contact's are.
    pub(crate) async fn set_extras_on(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        message: MessageId,
        extras: &atende_domain::content::Extras,
    ) -> Result<(), StoreError> {
        let content = serde_json::to_string(extras).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        sqlx::query("UPDATE message SET content = $2 WHERE message_id = $1")
            .bind(message.0)
            .bind(content)
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Claims the next job that may leave now, for `lease_ms`. `None` when nothing is due.
    pub async fn claim_next_job(
        &self,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        Ok(self.claim_jobs(now, lease_ms, 1).await?.pop())
    }

    /// Claims up to `limit` jobs that may leave now, for `lease_ms`, oldest first, in one statement (one
    /// commit). A conversation's job is claimable only when no earlier job of it is ready and none of it is
    /// in flight: one conversation never has two messages on the way (nor two in one claim), whatever the
    /// number of workers and instances.
    #[tracing::instrument(skip_all)]
    pub async fn claim_jobs(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        // `+j.next_attempt_at`: the ready jobs are walked in id order on (state, outbound_job_id) and the walk
        // stops at `limit`, instead of sorting every ready job on each claim.
        let sql = format!(
            "UPDATE outbound_job SET state = 'in_flight', attempts = attempts + 1, lease_until = $2 \
             WHERE outbound_job_id IN ( \
               SELECT j.outbound_job_id FROM outbound_job j \
               WHERE j.state = 'ready' AND +j.next_attempt_at <= $1 \
                 AND (j.attempts = 0 OR j.next_attempt_at < COALESCE({LOOKED_AT_UNTIL}, $1 + 1)) \
                 AND NOT EXISTS (SELECT 1 FROM outbound_job e WHERE e.conversation_id = j.conversation_id \
                                 AND ((e.outbound_job_id < j.outbound_job_id AND e.state = 'ready') \
                                      OR e.state = 'in_flight')) \
               ORDER BY j.outbound_job_id LIMIT $3 {lock}) \
             AND state = 'ready' \
             RETURNING outbound_job_id, message_id, conversation_id, channel_id, attempts"
        );
        let jobs = sqlx::query(&sql)
            .bind(now.as_millis())
            .bind(now.plus_millis(lease_ms).as_millis())
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.writer)
            .await
            .map_err(unavailable)?;
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        // What to send and to whom, in one read.
        let message_ids =
            jobs.iter().map(|job| job.try_get::<i64, _>("message_id")).collect::<Result<Vec<_>, _>>();
        let message_ids = message_ids.map_err(unavailable)?;
        let list = placeholders(1, message_ids.len());
        let sql = format!(
            "SELECT m.message_id, m.kind, m.body, m.detail, m.provider_message_id, {} AS recipient FROM message m \
             JOIN conversation v ON v.conversation_id = m.conversation_id \
             JOIN contact c ON c.contact_id = v.contact_id \
             LEFT JOIN channel ch ON ch.channel_id = v.channel_id WHERE m.message_id IN ({list})",
            recipient_sql()
        );
        let mut query = sqlx::query(&sql);
        for id in &message_ids {
            query = query.bind(*id);
        }
        /// A claimed job's own columns.
        #[derive(sqlx::FromRow)]
        struct JobRow {
            outbound_job_id: i64,
            message_id: i64,
            conversation_id: i64,
            channel_id: i64,
            attempts: i64,
        }
        /// What its message says, and to whom.
        #[derive(sqlx::FromRow)]
        struct MessageRow {
            message_id: i64,
            kind: String,
            body: Option<String>,
            detail: String,
            provider_message_id: Option<String>,
            recipient: Option<String>,
        }
        let mut messages: Vec<MessageRow> = query
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .iter()
            .map(MessageRow::from_row)
            .collect::<Result<_, _>>()
            .map_err(unavailable)?;
        let mut claimed = Vec::with_capacity(jobs.len());
        for job in &jobs {
            let job = JobRow::from_row(job).map_err(unavailable)?;
            let Some(at) = messages.iter().position(|m| m.message_id == job.message_id) else {
                return Err(StoreError::Unavailable(format!(
                    "message {} of a claimed job is gone",
                    job.message_id
                )));
            };
            let message = messages.swap_remove(at);
            claimed.push(ClaimedJob {
                job_id: JobId(job.outbound_job_id),
                message_id: MessageId(job.message_id),
                conversation_id: job.conversation_id,
                channel_id: job.channel_id,
                kind: message.kind,
                body: message.body,
                detail: message.detail,
                provider_message_id: message.provider_message_id,
                recipient: message.recipient,
                attempts: job.attempts,
            });
        }
        claimed.sort_by_key(|job| job.job_id);
        Ok(claimed)
    }

    /// The provider accepted the send that began at `sent_at`: the job is done and the message carries the
    /// provider's id. A status webhook may have reconciled the message already; its status is then kept, and
    /// so is a receipt by watermark (Messenger) given after the send began, even if it was applied before
    /// this answer was recorded. The message learns the provider's id even when the claim was taken over
    /// meanwhile (the send did happen).
    pub async fn complete_job(
        &self,
        job: &ClaimedJob,
        provider_message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), StoreError> {
        self.complete_jobs(&[Completion { job, provider_message_id, sent_at }]).await
    }

    /// [`Self::complete_job`] for many sends in one transaction (one commit: at hundreds of sends a second,
    /// a commit each would keep the database's one writer busy with little else).
    pub async fn complete_jobs(&self, done: &[Completion<'_>]) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        // Chunks keep the statements' parameters well under both databases' limits.
        for chunk in done.chunks(200) {
            // Every claim ended in one statement (one that was taken over meanwhile is left to its new owner).
            let claims = (0..chunk.len())
                .map(|i| format!("(outbound_job_id = ${} AND attempts = ${})", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!(
                "UPDATE outbound_job SET state = 'done', lease_until = NULL WHERE state = 'in_flight' AND ({claims})"
            );
            let mut query = sqlx::query(&sql);
            for completion in chunk {
                query = query.bind(completion.job.job_id.0).bind(completion.job.attempts);
            }
            query.execute(&mut *tx).await.map_err(unavailable)?;
            // How far each conversation's receipts by watermark reach, in one read.
            let mut conversations: Vec<i64> = chunk.iter().map(|c| c.job.conversation_id).collect();
            conversations.sort_unstable();
            conversations.dedup();
            let sql = format!(
                "SELECT conversation_id, delivered_watermark, read_watermark FROM conversation \
                 WHERE conversation_id IN ({})",
                placeholders(1, conversations.len())
            );
            let mut query = sqlx::query(&sql);
            for id in &conversations {
                query = query.bind(*id);
            }
            let mut watermarks = HashMap::new();
            for row in query.fetch_all(&mut *tx).await.map_err(unavailable)? {
                let id: i64 = row.try_get("conversation_id").map_err(unavailable)?;
                let delivered: Option<i64> = row.try_get("delivered_watermark").map_err(unavailable)?;
                let read: Option<i64> = row.try_get("read_watermark").map_err(unavailable)?;
                watermarks.insert(id, (delivered, read));
            }
            for completion in chunk {
                let (delivered, read) =
                    watermarks.get(&completion.job.conversation_id).copied().unwrap_or_default();
                let sent_at = completion.sent_at.as_millis();
                let reached = if read.is_some_and(|w| w >= sent_at) {
                    3
                } else if delivered.is_some_and(|w| w >= sent_at) {
                    2
                } else {
                    1
                };
                sqlx::query(
                    "UPDATE message SET provider_message_id = COALESCE(provider_message_id, $2), \
                     provider_at = COALESCE(provider_at, $3), \
                     status = CASE WHEN status_rank < $4 THEN $5 ELSE status END, \
                     status_rank = CASE WHEN status_rank < $4 THEN $4 ELSE status_rank END \
                     WHERE message_id = $1",
                )
                .bind(completion.job.message_id.0)
                .bind(completion.provider_message_id)
                .bind(sent_at)
                .bind(reached)
                .bind(status_of_rank(reached))
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            }
        }
        self.commit(tx).await
    }

    /// A transient failure: try again at `next_attempt_at`. Later jobs of the conversation keep waiting.
    pub async fn retry_job(
        &self,
        job: &ClaimedJob,
        error: &str,
        next_attempt_at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await.map_err(unavailable)?;
        Self::end_claim(&mut conn, job, ClaimEnd::Retry { error, at: next_attempt_at }).await?;
        Ok(())
    }

    /// Not tried now (the recipient's pair rate): ready again at `at`, and this claim does not count as an
    /// attempt.
    pub async fn defer_job(&self, job: &ClaimedJob, at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await.map_err(unavailable)?;
        Self::end_claim(&mut conn, job, ClaimEnd::Defer { at }).await?;
        Ok(())
    }

    /// A permanent failure: the job stops and the message shows the agent why (unless the claim was taken
    /// over meanwhile: the job is then another worker's).
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        code: Option<i64>,
        explanation: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        if !Self::end_claim(&mut tx, job, ClaimEnd::Failed { error: explanation }).await? {
            return Ok(());
        }
        sqlx::query(
            "UPDATE message SET status = 'failed', status_rank = $4, error_code = $2, error_text = $3 \
             WHERE message_id = $1",
        )
        .bind(job.message_id.0)
        .bind(code)
        .bind(explanation)
        .bind(status_rank("failed"))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.commit(tx).await
    }

    /// Holds `job` until `until` (a long send), if it is still in flight under this claim. Returns whether it
    /// was.
    pub async fn extend_lease(&self, job: &ClaimedJob, until: Timestamp) -> Result<bool, StoreError> {
        let extended = sqlx::query(
            "UPDATE outbound_job SET lease_until = $3 \
             WHERE outbound_job_id = $1 AND state = 'in_flight' AND attempts = $2",
        )
        .bind(job.job_id.0)
        .bind(job.attempts)
        .bind(until.as_millis())
        .execute(&self.writer)
        .await
        .map_err(unavailable)?
        .rows_affected();
        Ok(extended > 0)
    }

    /// Ends `job`'s claim as `end` says, if the job is still in flight under this claim. Returns whether it
    /// was.
    async fn end_claim(
        conn: &mut sqlx::AnyConnection,
        job: &ClaimedJob,
        end: ClaimEnd<'_>,
    ) -> Result<bool, StoreError> {
        let set = match end {
            ClaimEnd::Retry { .. } => "state = 'ready', last_error = $3, next_attempt_at = $4",
            ClaimEnd::Defer { .. } => "state = 'ready', attempts = attempts - 1, next_attempt_at = $3",
            ClaimEnd::Failed { .. } => "state = 'failed', last_error = $3",
        };
        let sql = format!(
            "UPDATE outbound_job SET {set}, lease_until = NULL \
             WHERE outbound_job_id = $1 AND state = 'in_flight' AND attempts = $2"
        );
        let query = sqlx::query(&sql).bind(job.job_id.0).bind(job.attempts);
        let query = match end {
            ClaimEnd::Retry { error, at } => query.bind(error).bind(at.as_millis()),
            ClaimEnd::Defer { at } => query.bind(at.as_millis()),
            ClaimEnd::Failed { error } => query.bind(error),
        };
        let ended = query.execute(conn).await.map_err(unavailable)?.rows_affected();
        Ok(ended > 0)
    }

    /// The contact answered: every held message of the conversation becomes ready, in its original order.
    /// Returns how many were released.
    pub async fn release_held(&self, conversation_id: i64, now: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let released = Self::release_held_in(&mut tx, conversation_id, now).await?;
        self.commit(tx).await?;
        Ok(released)
    }

    /// [`Self::release_held`] inside `tx` (the contact's message and the release commit together).
    pub(crate) async fn release_held_in(
        tx: &mut sqlx::AnyConnection,
        conversation_id: i64,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let released = Self::release_held_in_each(tx, &[conversation_id], now).await?;
        Ok(released.values().sum())
    }

    /// [`Self::release_held_in`] for each of `conversations` at once: how many were released in each (only
    /// those where some were).
    pub(crate) async fn release_held_in_each(
        tx: &mut sqlx::AnyConnection,
        conversations: &[i64],
        now: Timestamp,
    ) -> Result<std::collections::HashMap<i64, u64>, StoreError> {
        let mut released = std::collections::HashMap::new();
        for chunk in conversations.chunks(200) {
            let sql = format!(
                "UPDATE message SET status = 'queued' WHERE message_id IN \
                 (SELECT message_id FROM outbound_job WHERE conversation_id IN ({}) AND state = 'held')",
                super::placeholders(1, chunk.len())
            );
            let kept = super::kept(tx, chunk.len());
            let mut query = sqlx::query(&sql).persistent(kept);
            for id in chunk {
                query = query.bind(*id);
            }
            // Nothing held (the usual case): the jobs are not looked at again.
            if query.execute(&mut *tx).await.map_err(unavailable)?.rows_affected() == 0 {
                continue;
            }
            let sql = format!(
                "UPDATE outbound_job SET state = 'ready', next_attempt_at = $1 \
                 WHERE conversation_id IN ({}) AND state = 'held' RETURNING conversation_id",
                super::placeholders(2, chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, i64>(&sql).persistent(kept).bind(now.as_millis());
            for id in chunk {
                query = query.bind(*id);
            }
            for conversation in query.fetch_all(&mut *tx).await.map_err(unavailable)? {
                *released.entry(conversation).or_insert(0) += 1;
            }
        }
        Ok(released)
    }

    /// Jobs whose worker died mid-send (lease over) become ready again. Returns how many.
    ///
    /// A job whose message the provider has already reported on (a status webhook carried our message id
    /// back, so the send did happen before the worker died) is done instead: sending it again would make the
    /// contact read it twice. That report may be stored and not yet applied (the processor works behind the
    /// acknowledgement, and after a crash it has a backlog): a lease is therefore taken back only once every
    /// webhook received before it ran out has been looked at ([`LOOKED_AT_UNTIL`]).
    pub async fn recover_expired_leases(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE outbound_job SET state = 'done', lease_until = NULL \
             WHERE state = 'in_flight' AND lease_until < $1 AND EXISTS (SELECT 1 FROM message m \
               WHERE m.message_id = outbound_job.message_id AND m.provider_message_id IS NOT NULL)",
        )
        .bind(now.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        let recovered = sqlx::query(&format!(
            "UPDATE outbound_job SET state = 'ready', lease_until = NULL \
             WHERE state = 'in_flight' AND lease_until < $1 AND lease_until < COALESCE({LOOKED_AT_UNTIL}, $1)"
        ))
        .bind(now.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?
        .rows_affected();
        self.commit(tx).await?;
        Ok(recovered)
    }

    /// The state of a job and the status of its message, for tests and the console.
    pub async fn job_state(&self, job: JobId) -> Result<(String, String), StoreError> {
        let row = sqlx::query(
            "SELECT j.state, m.status FROM outbound_job j JOIN message m ON m.message_id = j.message_id \
             WHERE j.outbound_job_id = $1",
        )
        .bind(job.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?
        .ok_or(StoreError::NotFound)?;
        Ok((row.try_get("state").map_err(unavailable)?, row.try_get("status").map_err(unavailable)?))
    }
}
