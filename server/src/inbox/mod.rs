//! `GET/POST /webhooks/{provider}`: each provider's gate ([`WebhookGate`]) lets its requests in (Meta's
//! signature and handshake, Evolution's tokens); what it admits is stored before it is acknowledged; and the
//! processor turns stored bodies into messages, statuses, prices and template changes through each
//! provider's [`InboundHandler`].
//!
//! Meta asks for a fast acknowledgement (median under 250 ms) and redelivers what was not acknowledged, so the
//! request path only checks the request and stores the raw body; everything else happens in
//! [`WebhookProcessor`], which a crash simply resumes (unprocessed receipts stay pending).

use crate::channels::port::{Gates, Handlers, InboundFailure, InboundSink};
use crate::store::inbound::{
    InboundMessage, InboundOutcome, PendingWebhook, SentEcho, StatusOutcome, StatusUpdate,
};
use crate::store::SqlStore;
use async_trait::async_trait;
use atende_domain::conversation::ChannelKind;
use atende_domain::ports::{Clock, StoreError};
use atende_domain::time::Timestamp;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Largest webhook body accepted (Meta's notifications are far smaller; anything this big is not Meta).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

#[derive(Clone)]
pub struct WebhookState {
    pub store: SqlStore,
    pub clock: Arc<dyn Clock>,
    /// Who lets each provider's requests in.
    pub gates: Arc<Gates>,
    /// Wakes the processor as soon as something was stored.
    pub stored: Arc<Notify>,
    /// Stores the bodies, several to a transaction when they arrive together.
    pub receipts: ReceiptWriter,
}

/// Group commit for webhook bodies: the bodies that arrive while one transaction is being written are stored
/// together in the next, and each request is acknowledged once its own body is committed. Under load that is
/// one commit (one fsync on SQLite) for many notifications instead of one each; alone, a body is written at
/// once, as before.
#[derive(Clone)]
pub struct ReceiptWriter {
    sender: tokio::sync::mpsc::Sender<PendingReceipt>,
    /// Bytes of bodies waiting for their commit: a burst of large bodies waits for room instead of filling
    /// the memory (the count of bodies alone would allow gigabytes).
    room: Arc<tokio::sync::Semaphore>,
}

struct PendingReceipt {
    provider: &'static str,
    body: String,
    stored: tokio::sync::oneshot::Sender<Result<(), StoreError>>,
}

/// Most bodies committed in one transaction.
const RECEIPT_BATCH: usize = 256;

/// Most bytes of bodies waiting for their commit (a body larger than this waits until it is alone).
const RECEIPT_BYTES_WAITING: usize = 64 * 1024 * 1024;

impl ReceiptWriter {
    /// Starts the writer task (it ends when every clone of the writer is gone). A batch whose writing
    /// panics is answered as a database failure (not acknowledged, so the provider delivers it again) and the
    /// writer goes on with the next.
    pub fn start(store: SqlStore, clock: Arc<dyn Clock>, stored: Arc<Notify>) -> Self {
        use futures_util::FutureExt;
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<PendingReceipt>(RECEIPT_BATCH * 8);
        tokio::spawn(async move {
            while let Some(batch) = crate::runtime::next_batch(&mut receiver, RECEIPT_BATCH).await {
                let bodies: Vec<(&str, &str)> = batch.iter().map(|p| (p.provider, p.body.as_str())).collect();
                let written = std::panic::AssertUnwindSafe(store.record_webhooks(&bodies, clock.now()))
                    .catch_unwind()
                    .await;
                let result = written.unwrap_or_else(|_| {
                    tracing::error!("writing webhook bodies panicked; they were not acknowledged");
                    Err(StoreError::Unavailable("the webhook writer failed".into()))
                });
                if result.is_ok() {
                    stored.notify_one();
                }
                for pending in batch {
                    let _ = pending.stored.send(result.clone());
                }
            }
        });
        let room = Arc::new(tokio::sync::Semaphore::new(RECEIPT_BYTES_WAITING));
        Self { sender, room }
    }

    /// Stores one body; `Ok` once it is committed.
    pub async fn record(&self, provider: &'static str, body: String) -> Result<(), StoreError> {
        let gone = || StoreError::Unavailable("the webhook writer stopped".into());
        let bytes = u32::try_from(body.len().clamp(1, RECEIPT_BYTES_WAITING)).unwrap_or(u32::MAX);
        let _room = self.room.acquire_many(bytes).await.map_err(|_| gone())?;
        let (stored, committed) = tokio::sync::oneshot::channel();
        self.sender.send(PendingReceipt { provider, body, stored }).await.map_err(|_| gone())?;
        committed.await.map_err(|_| gone())?
    }
}

pub fn router(state: WebhookState) -> Router {
    Router::new()
        .route("/webhooks/{provider}", get(handshake).post(receive))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// The provider's subscription check (Meta's: echo `hub.challenge` when the token is ours).
async fn handshake(
    State(state): State<WebhookState>,
    Path(provider): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(gate) = state.gates.get(provider.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match gate.handshake(&query) {
        Some(Ok(challenge)) => (StatusCode::OK, challenge).into_response(),
        Some(Err(refusal)) => refusal.into_response(),
        None => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

/// A provider's request: let in by its gate (nothing is stored otherwise), then stored, then acknowledged.
async fn receive(
    State(state): State<WebhookState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((&provider, gate)) = state.gates.get_key_value(provider.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match gate.admit(&headers, &body) {
        Ok(text) => store_receipt(&state, provider, text).await,
        Err(refusal) => refusal.into_response(),
    }
}

/// Stores an admitted body and acknowledges it; a database failure is not acknowledged, so the provider
/// delivers it again later.
async fn store_receipt(state: &WebhookState, provider: &'static str, text: String) -> Response {
    match state.receipts.record(provider, text).await {
        Ok(()) => (StatusCode::OK, "EVENT_RECEIVED").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
    }
}

/// What one pass of the processor did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Processed {
    pub receipts: usize,
    pub messages: usize,
    pub duplicates: usize,
    pub statuses: usize,
    /// Messages that had been held for the contact and may leave now.
    pub released: u64,
}

impl Processed {
    fn add(&mut self, other: &Self) {
        self.receipts += other.receipts;
        self.messages += other.messages;
        self.duplicates += other.duplicates;
        self.statuses += other.statuses;
        self.released += other.released;
    }
}

/// Turns stored notifications into data, oldest first.
#[derive(Clone)]
pub struct WebhookProcessor {
    pub store: SqlStore,
    pub clock: Arc<dyn Clock>,
    /// Wakes the outbound worker when the contact's reply released held messages.
    pub released: Arc<Notify>,
    /// Wakes the media worker after a batch is stored (a message may carry a file to download).
    pub media: Arc<Notify>,
    /// How long a status for a message we do not know yet is kept pending before it is given up.
    pub unknown_status_grace: Duration,
    /// Each provider's reading of its bodies.
    pub handlers: Arc<Handlers>,
}

/// Receipts applied together, in one transaction: one commit (one fsync on SQLite) for this many instead of
/// several each.
const BATCH: i64 = 128;

/// About the longest a batch holds SQLite's one writer: then it commits (once the messages read so far are
/// stored, see [`FLUSH_WHILE_WAITED_FOR`]), and the webhooks waiting to be acknowledged and the sends waiting
/// to be recorded have their turn before the next. Measured (`atende-bench ingest`, 2 cores, when each message
/// was stored on its own): 128 receipts a batch acknowledged 1,391/s with p99 91 ms, 10 ms 2,790/s, 3 ms
/// 6,467/s, 1 ms 11,938/s with p99 10 ms, and applied more a second, not fewer. PostgreSQL's writers do not
/// wait for each other, and there a commit is a round trip: its batches stay whole (284 applied a second at
/// 1 ms, 981 whole).
const BATCH_TIME: std::time::Duration = std::time::Duration::from_millis(1);

/// On SQLite, how many contacts' messages are stored together (see [`SqlStore::record_inbound_batch_on`]):
/// [`FLUSH_WHILE_WAITED_FOR`] while another writer waits (a webhook to be acknowledged, say), else
/// [`FLUSH_ALONE`]. Measured (`atende-bench ingest`, 20,000 webhooks, 2 cores), always 8: acknowledged
/// 13,196/s (p99 9.7 ms), applied 5,174/s; always 16: 10,794/s (p99 12.8 ms), 4,756/s; always 32: 7,988/s
/// (p99 18.9 ms), 5,354/s; a whole page of 128: 5,585/s (p99 33.7 ms), 5,423/s. PostgreSQL stores a page's
/// messages together.
const FLUSH_WHILE_WAITED_FOR: usize = 8;
const FLUSH_ALONE: usize = 32;

/// How many pending messages a batch on SQLite stores at once now.
fn flush_step(store: &SqlStore) -> usize {
    if store.writers_waiting() {
        FLUSH_WHILE_WAITED_FOR
    } else {
        FLUSH_ALONE
    }
}

/// A batch of receipts being applied, in one transaction.
struct Batch {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    now: Timestamp,
    done: Processed,
    /// Channels by kind and provider id, looked up once a batch.
    channels: HashMap<(ChannelKind, String), Option<i64>>,
    /// The names of people writing for the first time on Messenger or Instagram, read from the Graph API
    /// before the transaction began (a call to a provider must not hold the database's writer).
    names: HashMap<String, String>,
    /// The conversations a contact's message that may get the automatic answer was stored in (see
    /// [`atende_domain::hours::prompts_auto_answer`]): it is decided for them once the batch is committed.
    written_to: Vec<i64>,
    /// The contacts' messages read so far and not stored yet: stored together (see
    /// [`SqlStore::record_inbound_batch_on`]) before anything else is written and before the commit.
    pending: Vec<InboundMessage>,
    /// The position in the page of the receipt being applied, and of the one the first pending message came
    /// from (a failure to store the pending messages is that receipt's, or one after it).
    at: usize,
    pending_from: Option<usize>,
    /// On SQLite, the store whose one writer this batch holds, to see whether others wait for it (`None`:
    /// PostgreSQL, where the page's messages are stored together).
    shared_writer: Option<SqlStore>,
}

impl Batch {
    /// Stores the pending messages.
    async fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let messages = std::mem::take(&mut self.pending);
        let outcomes = SqlStore::record_inbound_batch_on(&mut self.tx, &messages, self.now).await?;
        for (message, outcome) in messages.iter().zip(outcomes) {
            match outcome {
                InboundOutcome::Stored { released, conversation_id, .. } => {
                    self.done.messages += 1;
                    self.done.released += released;
                    if atende_domain::hours::prompts_auto_answer(message.activity, message.sent_at, self.now)
                    {
                        self.written_to.push(conversation_id);
                    }
                }
                InboundOutcome::Duplicate => self.done.duplicates += 1,
            }
        }
        self.pending_from = None;
        Ok(())
    }
}

#[async_trait]
impl InboundSink for Batch {
    fn now(&self) -> Timestamp {
        self.now
    }

    /// Read on the batch's own connection: while it holds the writer, the pool's other connections may all be
    /// waiting for it.
    async fn channel(&mut self, kind: ChannelKind, provider_id: &str) -> Result<Option<i64>, StoreError> {
        let key = (kind, provider_id.to_owned());
        if let Some(known) = self.channels.get(&key) {
            return Ok(*known);
        }
        let found = SqlStore::channel_id_by_provider_on(&mut self.tx, kind, provider_id).await?;
        self.channels.insert(key, found);
        Ok(found)
    }

    /// Kept until the batch's messages are stored together.
    async fn message(&mut self, message: &InboundMessage) -> Result<(), StoreError> {
        self.pending_from.get_or_insert(self.at);
        self.pending.push(message.clone());
        if self.shared_writer.as_ref().is_some_and(|store| self.pending.len() >= flush_step(store)) {
            self.flush().await?;
        }
        Ok(())
    }

    async fn status(&mut self, update: &StatusUpdate) -> Result<bool, StoreError> {
        self.flush().await?;
        match SqlStore::apply_status_on(&mut self.tx, update, self.now).await? {
            StatusOutcome::Applied | StatusOutcome::Stale => {
                self.done.statuses += 1;
                Ok(true)
            }
            StatusOutcome::UnknownMessage => Ok(false),
        }
    }

    async fn billing(
        &mut self,
        provider_message_id: &str,
        category: &str,
        model: Option<&str>,
        billable: bool,
    ) -> Result<(), StoreError> {
        self.flush().await?;
        SqlStore::record_billing_on(&mut self.tx, provider_message_id, category, model, billable, self.now)
            .await
    }

    async fn template_status(
        &mut self,
        account_id: &str,
        name: &str,
        language: &str,
        status: &str,
    ) -> Result<(), StoreError> {
        self.flush().await?;
        SqlStore::set_template_status_on(&mut self.tx, account_id, name, language, status, self.now)
            .await
            .map(|_| ())
    }

    async fn echo(&mut self, channel_id: i64, echo: &SentEcho) -> Result<(), StoreError> {
        self.flush().await?;
        SqlStore::reconcile_echo_on(&mut self.tx, channel_id, echo).await.map(|_| ())
    }

    async fn provider_at(&mut self, provider_message_id: &str) -> Result<Option<i64>, StoreError> {
        self.flush().await?;
        SqlStore::provider_at_of_on(&mut self.tx, provider_message_id).await
    }

    async fn watermark(
        &mut self,
        channel_id: i64,
        identity_kind: &str,
        person: &str,
        status: &str,
        watermark: Timestamp,
    ) -> Result<u64, StoreError> {
        self.flush().await?;
        let moved =
            SqlStore::apply_watermark_on(&mut self.tx, channel_id, identity_kind, person, status, watermark)
                .await?;
        self.done.statuses += usize::try_from(moved).unwrap_or(usize::MAX);
        Ok(moved)
    }

    fn name_of(&self, person: &str) -> Option<String> {
        self.names.get(person).cloned()
    }
}

/// How often a receipt that fails while the database works is tried before it is set aside.
pub const RECEIPT_ATTEMPTS: i64 = 5;

/// A batch that failed: at which receipt of its page, and why.
struct BatchFailure {
    at: usize,
    error: StoreError,
    /// Whether the failure is known to be receipt `at`'s, or may be one of the receipts after it whose
    /// messages were being stored together with its own.
    exact: bool,
}

impl WebhookProcessor {
    /// Processes what is pending, once, oldest first, [`BATCH`] receipts to a transaction (on SQLite, fewer
    /// when they take longer than [`BATCH_TIME`]). A body that cannot be understood is kept with its error.
    /// A database failure rolls its batch back, so nothing Meta delivered (and was told was received) is lost
    /// to a passing fault (every step is idempotent: a message is stored once, a status never goes back); the
    /// receipts before the failing one are applied again, then that one alone. If it fails alone while the
    /// database takes the count of its failure, the failure is the receipt's own (a body the store refuses):
    /// it is counted and passed over, so it never holds up the receipts behind it, and after
    /// [`RECEIPT_ATTEMPTS`] it is set aside for an admin. When the database is down nothing can be counted:
    /// the pass stops and the next one tries again. When several receipts' messages were being stored together
    /// and that failed, the page is first applied again with each receipt's messages stored on their own, so
    /// the failure is found at the receipt it belongs to.
    pub async fn process_pending(&self) -> Result<Processed, StoreError> {
        let mut done = Processed::default();
        let mut after = 0;
        let mut one_by_one = false;
        // Kept for the whole pass: a page read again after a short batch does not ask the provider again.
        let mut names = HashMap::new();
        loop {
            let mut page = self.store.pending_webhooks(after, BATCH).await?;
            if page.is_empty() {
                break;
            }
            for webhook in &mut page {
                if let std::borrow::Cow::Owned(clean) = without_nul(&webhook.body) {
                    tracing::warn!(
                        receipt = webhook.id,
                        "webhook text had NUL characters; applied without them"
                    );
                    webhook.body = clean;
                }
            }
            self.prepare(&page, &mut names).await;
            match self.apply_batch(&page, &mut names, &mut done, one_by_one).await {
                Ok(applied) => {
                    after = page[applied - 1].id;
                    one_by_one = false;
                }
                // The same page again, each receipt's messages stored on their own.
                Err(BatchFailure { exact: false, .. }) if !one_by_one => one_by_one = true,
                Err(BatchFailure { at, error, .. }) => {
                    one_by_one = false;
                    if at > 0 {
                        let before = &page[..at];
                        let applied = self
                            .apply_batch(before, &mut names, &mut done, true)
                            .await
                            .map_err(|failure| failure.error)?;
                        after = before[applied - 1].id;
                        if applied < at {
                            continue;
                        }
                    }
                    let receipt = &page[at];
                    if let Err(alone) =
                        self.apply_batch(std::slice::from_ref(receipt), &mut names, &mut done, true).await
                    {
                        let reason = match alone.error {
                            StoreError::Unavailable(detail) => detail,
                            other => other.to_string(),
                        };
                        let now = self.clock.now();
                        // Fails too when the database is down: then the pass stops here, nothing counted.
                        let set_aside =
                            self.store.receipt_failed(receipt.id, &reason, RECEIPT_ATTEMPTS, now).await?;
                        tracing::warn!(receipt = receipt.id, set_aside, error = %error, "webhook receipt failed");
                    }
                    after = receipt.id;
                }
            }
        }
        Ok(done)
    }

    /// Applies the receipts of `page` in one transaction, from the first, until the page ends or (SQLite) the
    /// batch has held the writer for [`BATCH_TIME`]; how many were applied. On a database failure nothing
    /// of it is kept. `one_by_one`: each receipt's messages are stored before the next receipt is read, so a
    /// failure is always found at its own receipt.
    async fn apply_batch(
        &self,
        page: &[PendingWebhook],
        names: &mut HashMap<String, String>,
        done: &mut Processed,
        one_by_one: bool,
    ) -> Result<usize, BatchFailure> {
        let grace = i64::try_from(self.unknown_status_grace.as_millis()).unwrap_or(i64::MAX);
        let sqlite = self.store.backend == crate::store::Backend::Sqlite;
        let now = self.clock.now();
        let mut batch = Batch {
            tx: self.store.write_tx().await.map_err(|error| BatchFailure { at: 0, error, exact: true })?,
            now,
            done: Processed::default(),
            channels: HashMap::new(),
            names: std::mem::take(names),
            written_to: Vec::new(),
            pending: Vec::new(),
            at: 0,
            pending_from: None,
            shared_writer: sqlite.then(|| self.store.clone()),
        };
        let mut finished = Vec::with_capacity(page.len());
        let mut waiting = Vec::new();
        let began = std::time::Instant::now();
        let mut applied = 0;
        let mut failure = None;
        for (at, webhook) in page.iter().enumerate() {
            let body = webhook.body.as_str();
            batch.at = at;
            let outcome = match self.handlers.get(webhook.provider.as_str()) {
                Some(handler) => handler.apply(&mut batch, body).await,
                None => Err(InboundFailure::Unreadable(format!("unknown provider {:?}", webhook.provider))),
            };
            let outcome = match outcome {
                Ok(applied) if one_by_one => {
                    batch.flush().await.map(|()| applied).map_err(InboundFailure::Store)
                }
                other => other,
            };
            match outcome {
                Ok(true) => finished.push((webhook.id, None)),
                // A status whose message is not known yet: tried again on a later pass, for a while.
                Ok(false) if now.as_millis().saturating_sub(webhook.received_at.as_millis()) > grace => {
                    finished.push((webhook.id, Some("status for a message Atende does not know".into())));
                }
                Ok(false) => waiting.push(webhook.id),
                Err(InboundFailure::Unreadable(error)) => {
                    tracing::warn!(receipt = webhook.id, %error, "webhook not understood; kept with the error");
                    finished.push((webhook.id, Some(error)));
                }
                Err(InboundFailure::Store(error)) => {
                    let from = batch.pending_from.unwrap_or(at);
                    failure = Some(BatchFailure { at: from, error, exact: from == at });
                    break;
                }
            }
            batch.done.receipts += 1;
            applied = at + 1;
            if sqlite && began.elapsed() >= BATCH_TIME {
                break;
            }
        }
        if failure.is_none() {
            if let Err(error) = batch.flush().await {
                let from = batch.pending_from.unwrap_or(0);
                failure = Some(BatchFailure { at: from, error, exact: from + 1 == applied });
            }
        }
        *names = std::mem::take(&mut batch.names);
        if let Some(failure) = failure {
            return Err(failure);
        }
        let at = applied.saturating_sub(1);
        SqlStore::mark_webhooks_processed_on(&mut batch.tx, &finished, now)
            .await
            .map_err(|error| BatchFailure { at, error, exact: true })?;
        SqlStore::mark_webhooks_seen_on(&mut batch.tx, &waiting, now)
            .await
            .map_err(|error| BatchFailure { at, error, exact: true })?;
        self.store.commit(batch.tx).await.map_err(|error| BatchFailure { at, error, exact: true })?;
        // Only now may the workers see what the contacts' replies released.
        if batch.done.released > 0 {
            self.released.notify_one();
        }
        self.media.notify_one();
        done.add(&batch.done);
        // Best effort: the contacts' messages are stored whatever happens to an automatic answer.
        if let Err(error) = self.answer_outside_hours(&batch.written_to, now).await {
            tracing::warn!(%error, "automatic answers not written");
        }
        Ok(applied)
    }

    /// "Horário de atendimento": each conversation a contact just wrote to, of a team that answers
    /// automatically while closed, gets the answer the domain decides (once per closed period; only where a
    /// text may leave now: inside the window, never a template).
    async fn answer_outside_hours(&self, written_to: &[i64], now: Timestamp) -> Result<(), StoreError> {
        use atende_domain::ports::Outbox;
        use atende_domain::queue::{compose_decision, ComposeDecision, MessageText};
        if written_to.is_empty() {
            return Ok(());
        }
        let teams = self.store.teams_answering_automatically().await?;
        if teams.is_empty() {
            return Ok(());
        }
        let mut conversations = written_to.to_vec();
        conversations.sort_unstable();
        conversations.dedup();
        let ids: Vec<Option<i64>> = teams.iter().map(|(team, _)| *team).collect();
        let mut written = false;
        for candidate in self.store.answer_candidates(&conversations, &ids).await? {
            let Some((_, hours)) = teams.iter().find(|(team, _)| *team == candidate.team_id) else {
                continue;
            };
            let Some(text) = hours.auto_answer_due(now, candidate.answered) else { continue };
            let id = atende_domain::conversation::ConversationId(candidate.conversation_id);
            let state = self.store.conversation_state(id).await?;
            // Untagged: HUMAN_AGENT is for a person's answer, never an automatic one.
            if !matches!(
                compose_decision(&state.channel, &state.lifecycle, now),
                ComposeDecision::SendNow { tag: None }
            ) {
                continue;
            }
            let Ok(text) = MessageText::parse_for(state.channel.kind(), text) else {
                tracing::warn!(conversation = id.0, "automatic answer too long for the channel; not sent");
                continue;
            };
            let channel = self.store.conversation_channel(id).await?;
            written |= self.store.write_automatic_answer(&candidate, channel, &text, now).await?;
        }
        if written {
            self.released.notify_one();
        }
        Ok(())
    }

    /// Lets each provider ask what it needs of its own API for `page` (a new person's name) before the
    /// batch's transaction begins, so a slow call never holds the database's writer.
    async fn prepare(&self, page: &[PendingWebhook], names: &mut HashMap<String, String>) {
        for (provider, handler) in self.handlers.iter() {
            let bodies: Vec<&str> =
                page.iter().filter(|w| w.provider == *provider).map(|w| w.body.as_str()).collect();
            if !bodies.is_empty() {
                handler.prepare(&bodies, names).await;
            }
        }
    }

    /// Runs until the process ends: wakes when a webhook was stored, and every second regardless. A pass that
    /// panics is logged and the next one starts as usual (what it did not finish is still pending).
    pub async fn run(self, stored: Arc<Notify>) {
        use futures_util::FutureExt;
        loop {
            match std::panic::AssertUnwindSafe(self.process_pending()).catch_unwind().await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::error!(%error, "webhook processing failed; retrying"),
                Err(_) => tracing::error!("webhook processing panicked; retrying"),
            }
            tokio::select! {
                () = stored.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}

/// A provider's body without the NUL characters its strings may carry (`\u0000`: JSON allows it, PostgreSQL's
/// text does not, and a NUL is never part of what a person wrote), so a body is applied the same on both
/// databases. Anything else is kept as it came.
pub(crate) fn without_nul(body: &str) -> std::borrow::Cow<'_, str> {
    if !body.contains("\\u0000") {
        return std::borrow::Cow::Borrowed(body);
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut value) => {
            strip_nul(&mut value);
            serde_json::to_string(&value).map_or(std::borrow::Cow::Borrowed(body), std::borrow::Cow::Owned)
        }
        Err(_) => std::borrow::Cow::Borrowed(body),
    }
}

fn strip_nul(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => text.retain(|c| c != '\0'),
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nul),
        serde_json::Value::Object(fields) => {
            let keyed: Vec<(String, serde_json::Value)> = std::mem::take(fields)
                .into_iter()
                .map(|(mut key, mut field)| {
                    key.retain(|c| c != '\0');
                    strip_nul(&mut field);
                    (key, field)
                })
                .collect();
            fields.extend(keyed);
        }
        _ => {}
    }
}
