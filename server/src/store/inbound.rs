//! What arrives from the providers: webhook bodies (stored before anything else), the contact's messages,
//! delivery statuses and pricing.
//!
//! Invariants: a provider message id is stored once, however often a webhook repeats it; a status never moves
//! a message backwards (a late "delivered" does not undo "read"); the contact's message and the release of the
//! messages held for that conversation happen in one transaction.

use super::queue::{status_rank, MessageId};
use super::{placeholders, unavailable, SqlStore};
use atende_domain::phone::Phone;
use atende_domain::ports::StoreError;
use atende_domain::time::Timestamp;
use atende_domain::window::InboundKind;
use sqlx::{AnyConnection, Row};

/// A stored webhook body not applied yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWebhook {
    pub id: i64,
    /// `whatsapp`, `meta` or `evolution`.
    pub provider: String,
    pub body: String,
    pub received_at: Timestamp,
}

/// A stored webhook body the processor gave up on (see [`SqlStore::receipt_failed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAsideWebhook {
    pub id: i64,
    pub provider: String,
    /// The body's first characters.
    pub excerpt: String,
    pub received_at: Timestamp,
    pub set_aside_at: Timestamp,
    pub attempts: i64,
    /// Why it could not be applied (for the logs and the admin).
    pub reason: String,
}

/// How much of a set-aside body the admin's list shows.
const SET_ASIDE_EXCERPT: usize = 300;

/// What `/health` says of the webhook processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookBacklog {
    /// When the oldest receipt the processor has not looked at yet was received.
    pub oldest_pending: Option<Timestamp>,
    pub set_aside: i64,
}

/// A message the contact sent, as the webhook processor understood it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub channel_id: i64,
    /// `wa_id`, `bsuid`, `igsid`, `psid`…
    pub identity_kind: String,
    pub external_id: String,
    /// The phone number, where the identity is one.
    pub phone: Option<Phone>,
    /// The name the contact gave the provider (WhatsApp profile name).
    pub profile_name: Option<String>,
    pub provider_message_id: String,
    /// The provider's type: `text`, `image`, `reaction`…
    pub kind: String,
    /// What the agent reads in the list: the text, the caption, the emoji…
    pub body: Option<String>,
    /// JSON with everything else (media ids, the raw message).
    pub detail: String,
    pub sent_at: Timestamp,
    /// What the contact did, as the window's rules see it.
    pub activity: InboundKind,
    /// The file the message carries, to download after it is stored.
    pub media: Option<super::media::IncomingMedia>,
    /// What it holds besides text and file (a place, a reaction, the message it answers…).
    pub extras: atende_domain::content::Extras,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundOutcome {
    Stored {
        conversation_id: i64,
        message_id: MessageId,
        /// Messages that were waiting for the contact and may leave now.
        released: u64,
    },
    /// The provider sent this message before; nothing changed.
    Duplicate,
}

/// A delivery status for one of our messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub provider_message_id: String,
    /// Our message id, when the provider echoes it back (Cloud API `biz_opaque_callback_data`).
    pub our_message_id: Option<MessageId>,
    pub status: String,
    pub at: Timestamp,
    pub error_code: Option<i64>,
    pub error_text: Option<String>,
    /// The provider refused the message because the window is closed (131047 and the like).
    pub closes_window: bool,
}

/// A gateway's echo of a message it sent for us (Evolution's `send.message`), as [`SqlStore::reconcile_echo`]
/// matches it to the send it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEcho {
    pub provider_message_id: String,
    /// The chat (`…@s.whatsapp.net`, or `…@lid` for a person known only by that id).
    pub jid: String,
    /// The phone JID when `jid` is an `@lid` that came with one.
    pub phone_jid: Option<String>,
    pub phone: Option<Phone>,
    /// `text`, `image`, `video`, `audio` or `document`.
    pub kind: String,
    /// The text, or the media's caption.
    pub text: Option<String>,
    pub file_name: Option<String>,
    /// The media's address as echoed: Atende's link where the gateway keeps it, WhatsApp's own otherwise.
    pub url: Option<String>,
}

/// An outbound message still waiting for its provider id.
struct PendingSend {
    message_id: i64,
    body: Option<String>,
    link: Option<String>,
    file_name: Option<String>,
}

impl SentEcho {
    /// The send this echo is of, among `pending` (same kind and person, oldest first): the one whose link the
    /// echo carries, else the oldest whose text or caption (and a document's file name, when both are known)
    /// is the same.
    fn pick(&self, pending: &[PendingSend]) -> Option<i64> {
        let same = |a: Option<&str>, b: Option<&str>| {
            a.map(str::trim).filter(|t| !t.is_empty()) == b.map(str::trim).filter(|t| !t.is_empty())
        };
        if let Some(url) = self.url.as_deref() {
            if let Some(by_link) = pending.iter().find(|p| p.link.as_deref() == Some(url)) {
                return Some(by_link.message_id);
            }
        }
        pending
            .iter()
            .find(|p| {
                same(p.body.as_deref(), self.text.as_deref())
                    && match (&p.file_name, &self.file_name) {
                        (Some(ours), Some(echoed)) if self.kind == "document" => ours == echoed,
                        _ => true,
                    }
            })
            .map(|p| p.message_id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    Applied,
    /// Older than what we know (or a repeat): kept in the history, the message unchanged.
    Stale,
    /// No message of ours has this id (yet: the send may not be recorded). The caller may try again later.
    UnknownMessage,
}

const PREVIEW_CHARS: usize = 120;

pub(super) fn preview(message: &InboundMessage) -> String {
    let body = message.body.as_deref();
    if let Some(line) = message.extras.rich.as_ref().and_then(atende_domain::content::Rich::preview) {
        return line.chars().take(PREVIEW_CHARS).collect();
    }
    if let Some(media) = &message.media {
        // "📷 Foto", "🎤 Áudio", "📄 boleto.pdf", or the caption after its emoji.
        let caption = body.filter(|b| Some(*b) != media.file_name.as_deref());
        let line = atende_domain::inbound_media::preview(
            &message.kind,
            media.voice,
            None,
            media.file_name.as_deref(),
            caption,
        );
        return line.chars().take(PREVIEW_CHARS).collect();
    }
    match body.map(str::trim).filter(|b| !b.is_empty()) {
        Some(text) => text.chars().take(PREVIEW_CHARS).collect(),
        None => format!("[{}]", message.kind),
    }
}

impl SqlStore {
    /// Stores several webhook bodies in one transaction (all or none), in the order given.
    pub async fn record_webhooks(&self, bodies: &[(&str, &str)], now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        // Many rows to a statement, in the order received (their ids keep it).
        for chunk in bodies.chunks(200) {
            let rows = super::values_rows(chunk.len(), 2, &["?", "?", "$1"]);
            let sql = format!("INSERT INTO webhook_receipt (provider, body, received_at) VALUES {rows}");
            let mut query = sqlx::query(&sql).bind(now.as_millis());
            for (provider, body) in chunk {
                query = query.bind(*provider).bind(*body);
            }
            query.execute(&mut *tx).await.map_err(unavailable)?;
        }
        self.commit(tx).await
    }

    /// Webhook bodies not processed yet, oldest first, received after receipt `after` (0: from the start).
    pub async fn pending_webhooks(&self, after: i64, limit: i64) -> Result<Vec<PendingWebhook>, StoreError> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT webhook_receipt_id, provider, body, received_at FROM webhook_receipt \
             WHERE processed_at IS NULL AND set_aside_at IS NULL AND webhook_receipt_id > $1 \
             ORDER BY webhook_receipt_id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|(id, provider, body, received_at)| PendingWebhook {
                id,
                provider,
                body,
                received_at: Timestamp::from_millis(received_at),
            })
            .collect())
    }

    /// Counts a failed attempt at applying receipt `receipt` while the database works (this very write is
    /// the proof: when the database is down it fails too, and nothing is counted). The receipt counts as
    /// looked at (it holds up no retry nor lease recovery); after `most` attempts it is set aside with
    /// `reason`, and the processor no longer tries it until an admin asks. Returns whether it was set aside.
    pub async fn receipt_failed(
        &self,
        receipt: i64,
        reason: &str,
        most: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let attempts: i64 = sqlx::query_scalar(
            "UPDATE webhook_receipt SET attempts = attempts + 1, error = $2, seen_at = COALESCE(seen_at, $3) \
             WHERE webhook_receipt_id = $1 RETURNING attempts",
        )
        .bind(receipt)
        .bind(reason)
        .bind(now.as_millis())
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?
        .ok_or(StoreError::NotFound)?;
        let set_aside = attempts >= most;
        if set_aside {
            sqlx::query("UPDATE webhook_receipt SET set_aside_at = $2 WHERE webhook_receipt_id = $1")
                .bind(receipt)
                .bind(now.as_millis())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        self.commit(tx).await?;
        Ok(set_aside)
    }

    /// The receipts set aside, newest first (at most `limit`).
    pub async fn set_aside_webhooks(&self, limit: i64) -> Result<Vec<SetAsideWebhook>, StoreError> {
        let rows: Vec<SetAsideRow> = sqlx::query_as(
            "SELECT webhook_receipt_id, provider, body, received_at, set_aside_at, attempts, error \
             FROM webhook_receipt WHERE set_aside_at IS NOT NULL ORDER BY webhook_receipt_id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|row| SetAsideWebhook {
                id: row.webhook_receipt_id,
                provider: row.provider,
                excerpt: row.body.chars().take(SET_ASIDE_EXCERPT).collect(),
                received_at: Timestamp::from_millis(row.received_at),
                set_aside_at: Timestamp::from_millis(row.set_aside_at),
                attempts: row.attempts,
                reason: row.error.unwrap_or_default(),
            })
            .collect())
    }

    /// Puts a receipt set aside back in the processor's way, its attempts counted anew.
    /// MUST return [`StoreError::NotFound`] if no receipt `receipt` is set aside.
    pub async fn retry_webhook(&self, receipt: i64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE webhook_receipt SET set_aside_at = NULL, attempts = 0, error = NULL, seen_at = NULL \
             WHERE webhook_receipt_id = $1 AND set_aside_at IS NOT NULL",
        )
        .bind(receipt)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit(tx).await
    }

    /// How the processor keeps up: receipts neither applied nor looked at, and since when the oldest of them
    /// waits; receipts set aside.
    pub async fn webhook_backlog(&self) -> Result<WebhookBacklog, StoreError> {
        let oldest = sqlx::query(
            "SELECT received_at FROM webhook_receipt \
             WHERE processed_at IS NULL AND seen_at IS NULL AND set_aside_at IS NULL \
             ORDER BY webhook_receipt_id LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?
        .map(|row| row.try_get::<i64, _>("received_at"))
        .transpose()
        .map_err(unavailable)?
        .map(Timestamp::from_millis);
        let set_aside: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM webhook_receipt WHERE processed_at IS NULL AND set_aside_at IS NOT NULL",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?
        .try_get("n")
        .map_err(unavailable)?;
        Ok(WebhookBacklog { oldest_pending: oldest, set_aside })
    }

    /// Deletes receipts processed before `before`, at most `most` of them (oldest first), in one short
    /// transaction; how many. Receipts set aside or still pending are never deleted.
    pub async fn prune_webhooks(&self, before: Timestamp, most: i64) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let deleted = sqlx::query(
            "DELETE FROM webhook_receipt WHERE webhook_receipt_id IN (SELECT webhook_receipt_id \
             FROM webhook_receipt WHERE processed_at IS NOT NULL AND processed_at < $1 \
             ORDER BY processed_at LIMIT $2)",
        )
        .bind(before.as_millis())
        .bind(most)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?
        .rows_affected();
        self.commit(tx).await?;
        Ok(deleted)
    }

    pub async fn mark_webhook_processed(
        &self,
        receipt: i64,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await.map_err(unavailable)?;
        Self::mark_webhooks_processed_on(&mut conn, &[(receipt, error.map(str::to_owned))], now).await
    }

    /// [`Self::mark_webhooks_seen_on`] on a connection of its own.
    pub async fn mark_webhooks_seen(&self, receipts: &[i64], now: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await.map_err(unavailable)?;
        Self::mark_webhooks_seen_on(&mut conn, receipts, now).await
    }

    /// Notes that the processor looked at these receipts and keeps them pending (each waits for its message):
    /// what they say cannot be applied yet, so they no longer hold up a retry or a lease recovery (see
    /// `LOOKED_AT_UNTIL` in the queue).
    pub(crate) async fn mark_webhooks_seen_on(
        conn: &mut AnyConnection,
        receipts: &[i64],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        Self::stamp_receipts(conn, "seen_at = $1 WHERE seen_at IS NULL AND", receipts, now).await
    }

    /// `UPDATE webhook_receipt SET {set_where} webhook_receipt_id IN (receipts)`, `$1` being `now`, 500
    /// receipts to a statement.
    async fn stamp_receipts(
        conn: &mut AnyConnection,
        set_where: &str,
        receipts: &[i64],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        for chunk in receipts.chunks(500) {
            let sql = format!(
                "UPDATE webhook_receipt SET {set_where} webhook_receipt_id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(now.as_millis());
            for id in chunk {
                query = query.bind(*id);
            }
            query.execute(&mut *conn).await.map_err(unavailable)?;
        }
        Ok(())
    }

    /// Marks receipts processed, each with its note (`None`: applied in full); the plain ones in one
    /// statement.
    pub(crate) async fn mark_webhooks_processed_on(
        conn: &mut AnyConnection,
        receipts: &[(i64, Option<String>)],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let plain: Vec<i64> = receipts.iter().filter(|(_, note)| note.is_none()).map(|(id, _)| *id).collect();
        Self::stamp_receipts(&mut *conn, "processed_at = $1, error = NULL WHERE", &plain, now).await?;
        for (receipt, note) in receipts {
            let Some(note) = note else { continue };
            sqlx::query(
                "UPDATE webhook_receipt SET processed_at = $2, error = $3 WHERE webhook_receipt_id = $1",
            )
            .bind(*receipt)
            .bind(now.as_millis())
            .bind(note.as_str())
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
        }
        Ok(())
    }

    /// Stores a message from the contact: finds (or creates) the contact and the conversation, renews the
    /// window, reopens a concluded or waiting conversation and releases what was held for it.
    pub async fn record_inbound(
        &self,
        message: &InboundMessage,
        now: Timestamp,
    ) -> Result<InboundOutcome, StoreError> {
        let outcomes = self.record_inbound_batch(std::slice::from_ref(message), now).await?;
        Ok(outcomes.first().copied().unwrap_or(InboundOutcome::Duplicate))
    }

    /// Stores several contacts' messages in one transaction, in order, as [`Self::record_inbound`] would one
    /// after the other (what the webhook processor does with a batch of notifications).
    pub async fn record_inbound_batch(
        &self,
        messages: &[InboundMessage],
        now: Timestamp,
    ) -> Result<Vec<InboundOutcome>, StoreError> {
        let mut tx = self.write_tx().await?;
        let outcomes = Self::record_inbound_batch_on(&mut tx, messages, now).await?;
        self.commit(tx).await?;
        Ok(outcomes)
    }

    /// Applies a delivery status, never backwards, keeping every status in the history.
    pub async fn apply_status(
        &self,
        update: &StatusUpdate,
        now: Timestamp,
    ) -> Result<StatusOutcome, StoreError> {
        let mut tx = self.write_tx().await?;
        let outcome = Self::apply_status_on(&mut tx, update, now).await?;
        self.commit(tx).await?;
        Ok(outcome)
    }

    /// [`Self::apply_status`] on `conn`, inside the caller's transaction.
    #[tracing::instrument(skip_all, fields(status = %update.status))]
    pub(crate) async fn apply_status_on(
        tx: &mut AnyConnection,
        update: &StatusUpdate,
        now: Timestamp,
    ) -> Result<StatusOutcome, StoreError> {
        let new_rank = status_rank(&update.status);
        if !update.closes_window {
            // The usual case in two statements: a message whose send was recorded moves forward.
            let moved = sqlx::query(
                "UPDATE message SET status = $2, status_rank = $3, \
                 error_code = COALESCE($4, error_code), error_text = COALESCE($5, error_text) \
                 WHERE provider_message_id = $1 AND status_rank < $3 RETURNING message_id",
            )
            .bind(&update.provider_message_id)
            .bind(&update.status)
            .bind(new_rank)
            .bind(update.error_code)
            .bind(update.error_text.as_deref())
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?;
            if let Some(row) = moved {
                let message_id: i64 = row.try_get("message_id").map_err(unavailable)?;
                Self::record_status_event_on(tx, message_id, update, now).await?;
                return Ok(StatusOutcome::Applied);
            }
        }
        // Our own id (Cloud API `biz_opaque_callback_data`) names a message only while its send's answer is
        // not recorded, and only once a send of it began: a report can never mark a message read that was
        // never sent (a held one, say), nor move one the provider knows by another id.
        let found = sqlx::query(
            "SELECT message_id, provider_message_id, status_rank FROM message \
             WHERE provider_message_id = $1 OR (message_id = $2 AND direction = 'out' \
               AND provider_message_id IS NULL AND EXISTS (SELECT 1 FROM outbound_job j \
                   WHERE j.message_id = message.message_id AND j.attempts > 0))",
        )
        .bind(&update.provider_message_id)
        .bind(update.our_message_id.map(|m| m.0))
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some(row) = found else {
            return Ok(StatusOutcome::UnknownMessage);
        };
        let message_id: i64 = row.try_get("message_id").map_err(unavailable)?;
        let known_id: Option<String> = row.try_get("provider_message_id").map_err(unavailable)?;
        let rank: i64 = row.try_get("status_rank").map_err(unavailable)?;
        Self::record_status_event_on(tx, message_id, update, now).await?;
        if known_id.is_none() {
            // The status came before our send was recorded: the provider's id (and when it took the message,
            // for watermark receipts) is learnt here.
            sqlx::query(
                "UPDATE message SET provider_message_id = $2, provider_at = COALESCE(provider_at, $3) \
                 WHERE message_id = $1",
            )
            .bind(message_id)
            .bind(&update.provider_message_id)
            .bind(update.at.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        if update.closes_window {
            Self::note_provider_closed(tx, message_id, update.at).await?;
        }
        let outcome = if new_rank > rank {
            sqlx::query(
                "UPDATE message SET status = $2, status_rank = $3, \
                 error_code = COALESCE($4, error_code), error_text = COALESCE($5, error_text) \
                 WHERE message_id = $1",
            )
            .bind(message_id)
            .bind(&update.status)
            .bind(new_rank)
            .bind(update.error_code)
            .bind(update.error_text.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
            StatusOutcome::Applied
        } else {
            StatusOutcome::Stale
        };
        Ok(outcome)
    }

    /// The status in the message's history (once per status).
    async fn record_status_event_on(
        tx: &mut AnyConnection,
        message_id: i64,
        update: &StatusUpdate,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO message_status_event (message_id, status, provider_at, error_code, recorded_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id, status) DO NOTHING",
        )
        .bind(message_id)
        .bind(&update.status)
        .bind(update.at.as_millis())
        .bind(update.error_code)
        .bind(now.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// A gateway's echo of a message we sent (Evolution's `send.message`): the oldest outbound message of
    /// this kind to this person on this channel whose send has no provider id yet, with the same text or
    /// caption (and file name, for a document), learns `provider_message_id`. A send whose answer was lost is
    /// so recognised by the worker instead of sent twice. The person is found by phone or, for a contact known
    /// only by an `@lid` id, by that identity. Returns whether one was matched.
    pub(crate) async fn reconcile_echo_on(
        conn: &mut AnyConnection,
        channel_id: i64,
        echo: &SentEcho,
    ) -> Result<bool, StoreError> {
        let (first, second) = echo.phone.as_ref().map(super::phone_forms).unwrap_or_default();
        let rows = sqlx::query(
            "SELECT m.message_id, m.body, m.detail FROM message m \
             JOIN outbound_job j ON j.message_id = m.message_id \
             JOIN conversation v ON v.conversation_id = m.conversation_id \
             JOIN contact c ON c.contact_id = v.contact_id \
             WHERE v.channel_id = $1 AND m.direction = 'out' AND m.provider_message_id IS NULL \
               AND j.state IN ('in_flight', 'ready') AND m.kind = $2 \
               AND (c.phone = $3 OR c.phone = $4 OR EXISTS (SELECT 1 FROM contact_identity i \
                    WHERE i.contact_id = c.contact_id AND i.kind = 'evolution_jid' \
                      AND (i.external_id = $5 OR i.external_id = $6))) \
             ORDER BY m.message_id LIMIT 50",
        )
        .bind(channel_id)
        .bind(&echo.kind)
        .bind(first)
        .bind(second)
        .bind(&echo.jid)
        .bind(echo.phone_jid.as_deref().unwrap_or(&echo.jid))
        .fetch_all(&mut *conn)
        .await
        .map_err(unavailable)?;
        let mut candidates = Vec::with_capacity(rows.len());
        for row in &rows {
            let detail: String = row.try_get("detail").map_err(unavailable)?;
            let detail = serde_json::from_str::<serde_json::Value>(&detail).unwrap_or_default();
            let field = |name: &str| detail.get(name).and_then(|v| v.as_str()).map(str::to_owned);
            candidates.push(PendingSend {
                message_id: row.try_get("message_id").map_err(unavailable)?,
                body: row.try_get("body").map_err(unavailable)?,
                link: field("link"),
                file_name: field("filename"),
            });
        }
        let Some(message_id) = echo.pick(&candidates) else { return Ok(false) };
        let matched = sqlx::query(
            "UPDATE message SET provider_message_id = $1 WHERE message_id = $2 AND provider_message_id IS NULL \
             AND NOT EXISTS (SELECT 1 FROM message e WHERE e.provider_message_id = $1)",
        )
        .bind(&echo.provider_message_id)
        .bind(message_id)
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?
        .rows_affected();
        Ok(matched > 0)
    }

    /// When the provider accepted our message `provider_message_id` (milliseconds), if it is ours and sent.
    pub(crate) async fn provider_at_of_on(
        conn: &mut AnyConnection,
        provider_message_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query(
            "SELECT provider_at FROM message WHERE provider_message_id = $1 AND direction = 'out'",
        )
        .bind(provider_message_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?
        .map(|row| row.try_get::<Option<i64>, _>("provider_at"))
        .transpose()
        .map_err(unavailable)?
        .flatten())
    }

    /// Whether a contact with this provider identity exists (so its name need not be looked up).
    pub async fn identity_known(&self, kind: &str, external_id: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 AS one FROM contact_identity WHERE kind = $1 AND external_id = $2")
            .bind(kind)
            .bind(external_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .is_some())
    }

    /// Messenger's receipts by watermark: every message we sent to this person on this channel that the
    /// provider accepted at or before `watermark` reached `status` (never moving one backwards). Returns how
    /// many moved. The watermark is also kept on the conversations, for a send whose answer is recorded
    /// later (see [`SqlStore::complete_job`]).
    pub async fn apply_watermark(
        &self,
        channel_id: i64,
        identity_kind: &str,
        external_id: &str,
        status: &str,
        watermark: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let moved =
            Self::apply_watermark_on(&mut tx, channel_id, identity_kind, external_id, status, watermark)
                .await?;
        self.commit(tx).await?;
        Ok(moved)
    }

    /// [`Self::apply_watermark`] on `conn`, inside the caller's transaction.
    pub(crate) async fn apply_watermark_on(
        tx: &mut AnyConnection,
        channel_id: i64,
        identity_kind: &str,
        external_id: &str,
        status: &str,
        watermark: Timestamp,
    ) -> Result<u64, StoreError> {
        const CONVERSATIONS: &str = "SELECT v.conversation_id FROM conversation v \
             JOIN contact_identity i ON i.contact_id = v.contact_id \
             WHERE v.channel_id = $2 AND i.kind = $3 AND i.external_id = $4";
        let rank = status_rank(status);
        let column = if status == "read" { "read_watermark" } else { "delivered_watermark" };
        sqlx::query(&format!(
            "UPDATE conversation SET {column} = $1 \
             WHERE ({column} IS NULL OR {column} < $1) AND conversation_id IN ({CONVERSATIONS})"
        ))
        .bind(watermark.as_millis())
        .bind(channel_id)
        .bind(identity_kind)
        .bind(external_id)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        let moved = sqlx::query(&format!(
            "UPDATE message SET status = $5, status_rank = $6 \
             WHERE direction = 'out' AND status_rank >= 1 AND status_rank < $6 AND status <> 'failed' \
               AND provider_at <= $1 AND conversation_id IN ({CONVERSATIONS})"
        ))
        .bind(watermark.as_millis())
        .bind(channel_id)
        .bind(identity_kind)
        .bind(external_id)
        .bind(status)
        .bind(rank)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?
        .rows_affected();
        Ok(moved)
    }

    /// The provider said the window of `message`'s conversation was closed at `at` (the earliest report wins).
    async fn note_provider_closed(
        tx: &mut AnyConnection,
        message_id: i64,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE conversation SET provider_closed_at = CASE \
               WHEN provider_closed_at IS NULL OR provider_closed_at > $2 THEN $2 ELSE provider_closed_at END \
             WHERE conversation_id = (SELECT conversation_id FROM message WHERE message_id = $1)",
        )
        .bind(message_id)
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// As a status webhook would: a send refused because the window is closed (the synchronous 131047).
    pub async fn provider_closed_window(&self, message: MessageId, at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        Self::note_provider_closed(&mut tx, message.0, at).await?;
        self.commit(tx).await
    }

    /// Records what the provider says a message costs, once per message and category.
    pub async fn record_billing(
        &self,
        provider_message_id: &str,
        category: &str,
        pricing_model: Option<&str>,
        billable: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await.map_err(unavailable)?;
        Self::record_billing_on(&mut conn, provider_message_id, category, pricing_model, billable, now).await
    }

    /// [`Self::record_billing`] on `conn`.
    pub(crate) async fn record_billing_on(
        conn: &mut AnyConnection,
        provider_message_id: &str,
        category: &str,
        pricing_model: Option<&str>,
        billable: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO billing_entry (provider_message_id, message_id, category, pricing_model, billable, \
             recorded_at) SELECT $1, (SELECT message_id FROM message WHERE provider_message_id = $1), $2, $3, $4, $5 \
             WHERE true \
             ON CONFLICT (provider_message_id, category) DO NOTHING",
        )
        .bind(provider_message_id)
        .bind(category)
        .bind(pricing_model)
        .bind(i64::from(billable))
        .bind(now.as_millis())
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// What the ledger holds for a provider message: (category, billable).
    pub async fn billing_for(&self, provider_message_id: &str) -> Result<Vec<(String, bool)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT category, billable FROM billing_entry WHERE provider_message_id = $1 ORDER BY billing_entry_id",
        )
        .bind(provider_message_id)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows.into_iter().map(|(category, billable)| (category, billable != 0)).collect())
    }

    /// The messages of a conversation, oldest first: (direction, kind, body, status).
    pub async fn conversation_messages(
        &self,
        conversation_id: i64,
    ) -> Result<Vec<(String, String, Option<String>, String)>, StoreError> {
        sqlx::query_as(
            "SELECT direction, kind, body, status FROM message WHERE conversation_id = $1 ORDER BY message_id",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)
    }
}

/// A receipt set aside, as stored.
#[derive(sqlx::FromRow)]
struct SetAsideRow {
    webhook_receipt_id: i64,
    provider: String,
    body: String,
    received_at: i64,
    set_aside_at: i64,
    attempts: i64,
    error: Option<String>,
}
