//! `GET/POST /webhooks/whatsapp` (Cloud API) and `GET/POST /webhooks/meta` (Messenger and Instagram): Meta's
//! verification handshake, signed notifications stored before they are acknowledged; `POST
//! /webhooks/evolution` (the unofficial gateway, token-authenticated, see [`evolution`]); and the processor
//! that turns stored notifications into messages, statuses, prices and template changes.
//!
//! Meta asks for a fast acknowledgement (median under 250 ms) and redelivers what was not acknowledged, so the
//! request path only checks the signature and stores the raw body; everything else happens in
//! [`WebhookProcessor`], which a crash simply resumes (unprocessed receipts stay pending).

use crate::store::inbound::{InboundMessage, InboundOutcome, PendingWebhook, StatusOutcome, StatusUpdate};
use crate::store::queue::MessageId;
use crate::store::SqlStore;
use crate::whatsapp::wire::{self, Change, InboundContent, Notification};
use atende_domain::conversation::ChannelKind;
use atende_domain::phone::Phone;
use atende_domain::ports::{Clock, StoreError};
use atende_domain::provider_error::ProviderError;
use atende_domain::time::Timestamp;
use atende_domain::window::InboundKind;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub mod evolution;
mod meta;

pub use evolution::EvolutionWebhookAuth;

/// Largest webhook body accepted (Meta's notifications are far smaller; anything this big is not Meta).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// Our message id travels in `biz_opaque_callback_data` so statuses can be matched even before the send's
/// answer is recorded.
pub const OPAQUE_PREFIX: &str = "atende:";

pub fn opaque_for(message: MessageId) -> String {
    format!("{OPAQUE_PREFIX}{}", message.0)
}

pub(crate) fn message_from_opaque(opaque: Option<&str>) -> Option<MessageId> {
    opaque?.strip_prefix(OPAQUE_PREFIX)?.parse().ok().map(MessageId)
}

#[derive(Clone)]
pub struct WebhookState {
    pub store: SqlStore,
    pub clock: Arc<dyn Clock>,
    /// The keys of `X-Hub-Signature-256` (`ATENDE_META_APP_SECRET`, the sandbox's, those saved with a
    /// channel), the handshake's verify tokens, and the unofficial gateway's instances with their secrets.
    pub channels: Arc<crate::registry::ChannelRegistry>,
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
            while let Some(batch) = crate::next_batch(&mut receiver, RECEIPT_BATCH).await {
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
        .route("/webhooks/whatsapp", get(verify).post(receive_whatsapp))
        .route("/webhooks/meta", get(verify).post(receive_meta))
        .route("/webhooks/evolution", axum::routing::post(evolution::receive))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

#[derive(Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's subscription check: echo `hub.challenge` when the token is ours.
async fn verify(State(state): State<WebhookState>, Query(handshake): Query<Handshake>) -> Response {
    let token_ok = handshake.verify_token.as_deref().is_some_and(|given| {
        state
            .channels
            .verify_tokens()
            .iter()
            .any(|ours| !ours.is_empty() && constant_time_eq(given.as_bytes(), ours.as_bytes()))
    });
    match (handshake.mode.as_deref(), handshake.challenge) {
        (Some("subscribe"), Some(challenge)) if token_ok => (StatusCode::OK, challenge).into_response(),
        (Some("subscribe"), Some(_)) => {
            (StatusCode::FORBIDDEN, "verify token does not match").into_response()
        }
        _ => (StatusCode::BAD_REQUEST, "expected hub.mode=subscribe, hub.verify_token and hub.challenge")
            .into_response(),
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn receive_whatsapp(state: State<WebhookState>, headers: HeaderMap, body: Bytes) -> Response {
    receive_signed(state, headers, body, "whatsapp").await
}

async fn receive_meta(state: State<WebhookState>, headers: HeaderMap, body: Bytes) -> Response {
    receive_signed(state, headers, body, "meta").await
}

/// A Meta notification: signature first (nothing is stored without a valid one), then stored, then
/// acknowledged.
async fn receive_signed(
    State(state): State<WebhookState>,
    headers: HeaderMap,
    body: Bytes,
    provider: &'static str,
) -> Response {
    let signature = headers.get(wire::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let verify = |secret: &[u8]| wire::verify_signature(secret, &body, signature);
    if !state.channels.accepts_signed(verify, || payload_ids(&body)) {
        tracing::warn!(bytes = body.len(), provider, "webhook refused: bad or missing signature");
        return (StatusCode::UNAUTHORIZED, "invalid X-Hub-Signature-256").into_response();
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "body is not UTF-8").into_response();
    };
    if serde_json::from_str::<serde_json::Value>(text).is_err() {
        return (StatusCode::BAD_REQUEST, "body is not JSON").into_response();
    }
    store_receipt(&state, provider, text).await
}

/// Stores an authenticated body and acknowledges it; a database failure is not acknowledged, so the
/// provider delivers it again later.
async fn store_receipt(state: &WebhookState, provider: &'static str, text: &str) -> Response {
    match state.receipts.record(provider, text.to_owned()).await {
        Ok(()) => (StatusCode::OK, "EVENT_RECEIVED").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
    }
}

/// Why a stored notification was not applied.
#[derive(Debug)]
pub(super) enum Failure {
    /// The body is not a notification Atende can apply: kept with this reason, not retried.
    Unreadable(String),
    /// The database failed: the receipt stays pending and is tried again.
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
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
    /// How long a status for a message we do not know yet is kept pending before it is given up.
    pub unknown_status_grace: Duration,
    /// Messenger/Instagram clients by channel, to read a new contact's name.
    pub channels: Arc<crate::registry::ChannelRegistry>,
}

/// Receipts applied together, in one transaction: one commit (one fsync on SQLite) for this many instead of
/// several each.
const BATCH: i64 = 128;

/// Longest a batch holds SQLite's one writer: then it commits, and the webhooks waiting to be acknowledged
/// and the sends waiting to be recorded have their turn before the next. Measured (`atende-bench ingest`, 2
/// cores): 128 receipts a batch acknowledged 1,391/s with p99 91 ms, 10 ms 2,790/s, 3 ms 6,467/s, 1 ms
/// 11,938/s with p99 10 ms, and applied more a second, not fewer. PostgreSQL's writers do not wait for each
/// other, and there a commit is a round trip: its batches stay whole (284 applied a second at 1 ms, 981 whole).
const BATCH_TIME: std::time::Duration = std::time::Duration::from_millis(1);

/// A batch of receipts being applied, in one transaction.
pub(super) struct Batch {
    pub(super) tx: sqlx::Transaction<'static, sqlx::Any>,
    pub(super) now: Timestamp,
    pub(super) done: Processed,
    /// Channels by kind and provider id, looked up once a batch.
    channels: HashMap<(ChannelKind, String), Option<i64>>,
    /// The names of people writing for the first time on Messenger or Instagram, read from the Graph API
    /// before the transaction began (a call to a provider must not hold the database's writer).
    pub(super) names: HashMap<String, String>,
}

impl Batch {
    /// The channel of `kind` the provider calls `provider_id`. Read on the batch's own connection: while it
    /// holds the writer, the pool's other connections may all be waiting for it.
    pub(super) async fn channel(
        &mut self,
        kind: ChannelKind,
        provider_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let key = (kind, provider_id.to_owned());
        if let Some(known) = self.channels.get(&key) {
            return Ok(*known);
        }
        let found = SqlStore::channel_id_by_provider_on(&mut self.tx, kind, provider_id).await?;
        self.channels.insert(key, found);
        Ok(found)
    }

    /// Stores a person's message (once) and counts it.
    pub(super) async fn record(&mut self, inbound: &InboundMessage) -> Result<(), Failure> {
        match SqlStore::record_inbound_on(&mut self.tx, inbound, self.now).await? {
            InboundOutcome::Stored { released, .. } => {
                self.done.messages += 1;
                self.done.released += released;
            }
            InboundOutcome::Duplicate => self.done.duplicates += 1,
        }
        Ok(())
    }

    /// Applies a receipt; `Ok(false)` when its message is not known (yet).
    pub(super) async fn apply(&mut self, update: &StatusUpdate) -> Result<bool, Failure> {
        match SqlStore::apply_status_on(&mut self.tx, update, self.now).await? {
            StatusOutcome::Applied | StatusOutcome::Stale => {
                self.done.statuses += 1;
                Ok(true)
            }
            StatusOutcome::UnknownMessage => Ok(false),
        }
    }
}

/// How often a receipt that fails while the database works is tried before it is set aside.
pub const RECEIPT_ATTEMPTS: i64 = 5;

/// A batch that failed: at which receipt of its page, and why.
struct BatchFailure {
    at: usize,
    error: StoreError,
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
    /// the pass stops and the next one tries again.
    pub async fn process_pending(&self) -> Result<Processed, StoreError> {
        let mut done = Processed::default();
        let mut after = 0;
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
            self.names_of_new_people(&page, &mut names).await;
            match self.apply_batch(&page, &mut names, &mut done).await {
                Ok(applied) => after = page[applied - 1].id,
                Err(BatchFailure { at, error }) => {
                    if at > 0 {
                        let before = &page[..at];
                        let applied = self
                            .apply_batch(before, &mut names, &mut done)
                            .await
                            .map_err(|failure| failure.error)?;
                        after = before[applied - 1].id;
                        if applied < at {
                            continue;
                        }
                    }
                    let receipt = &page[at];
                    if let Err(alone) =
                        self.apply_batch(std::slice::from_ref(receipt), &mut names, &mut done).await
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
    /// of it is kept.
    async fn apply_batch(
        &self,
        page: &[PendingWebhook],
        names: &mut HashMap<String, String>,
        done: &mut Processed,
    ) -> Result<usize, BatchFailure> {
        let grace = i64::try_from(self.unknown_status_grace.as_millis()).unwrap_or(i64::MAX);
        let now = self.clock.now();
        let mut batch = Batch {
            tx: self.store.write_tx().await.map_err(|error| BatchFailure { at: 0, error })?,
            now,
            done: Processed::default(),
            channels: HashMap::new(),
            names: std::mem::take(names),
        };
        let mut finished = Vec::with_capacity(page.len());
        let mut waiting = Vec::new();
        let began = std::time::Instant::now();
        let hold = (self.store.backend == crate::store::Backend::Sqlite).then_some(BATCH_TIME);
        let mut applied = 0;
        let mut failure = None;
        for (at, webhook) in page.iter().enumerate() {
            let body = webhook.body.as_str();
            let outcome = match webhook.provider.as_str() {
                "meta" => self.process_meta(&mut batch, body).await,
                "evolution" => self.process_evolution(&mut batch, body).await,
                "whatsapp" => self.process_whatsapp(&mut batch, body).await,
                other => Err(Failure::Unreadable(format!("unknown provider {other:?}"))),
            };
            match outcome {
                Ok(true) => finished.push((webhook.id, None)),
                // A status whose message is not known yet: tried again on a later pass, for a while.
                Ok(false) if now.as_millis().saturating_sub(webhook.received_at.as_millis()) > grace => {
                    finished.push((webhook.id, Some("status for a message Atende does not know".into())));
                }
                Ok(false) => waiting.push(webhook.id),
                Err(Failure::Unreadable(error)) => {
                    tracing::warn!(receipt = webhook.id, %error, "webhook not understood; kept with the error");
                    finished.push((webhook.id, Some(error)));
                }
                Err(Failure::Store(error)) => {
                    failure = Some(BatchFailure { at, error });
                    break;
                }
            }
            batch.done.receipts += 1;
            applied = at + 1;
            if hold.is_some_and(|most| began.elapsed() >= most) {
                break;
            }
        }
        *names = std::mem::take(&mut batch.names);
        if let Some(failure) = failure {
            return Err(failure);
        }
        let at = applied.saturating_sub(1);
        SqlStore::mark_webhooks_processed_on(&mut batch.tx, &finished, now)
            .await
            .map_err(|error| BatchFailure { at, error })?;
        SqlStore::mark_webhooks_seen_on(&mut batch.tx, &waiting, now)
            .await
            .map_err(|error| BatchFailure { at, error })?;
        self.store.commit(batch.tx).await.map_err(|error| BatchFailure { at, error })?;
        // Only now may the workers see what the contacts' replies released.
        if batch.done.released > 0 {
            self.released.notify_one();
        }
        done.add(&batch.done);
        Ok(applied)
    }

    /// `Ok(true)` when everything in the body was applied; `Ok(false)` when a status waits for its message.
    async fn process_whatsapp(&self, batch: &mut Batch, body: &str) -> Result<bool, Failure> {
        let notification = Notification::parse(body.as_bytes())
            .map_err(|e| Failure::Unreadable(format!("invalid notification: {e}")))?;
        let mut complete = true;
        for entry in &notification.entry {
            for change in &entry.changes {
                match change {
                    Change::Messages(value) => {
                        let number = &value.metadata.phone_number_id;
                        let Some(channel_id) = batch.channel(ChannelKind::WhatsappOfficial, number).await?
                        else {
                            return Err(Failure::Unreadable(format!(
                                "no channel for phone_number_id {number}"
                            )));
                        };
                        for message in &value.messages {
                            let Some(inbound) = to_inbound(channel_id, value, message) else {
                                continue;
                            };
                            batch.record(&inbound).await?;
                        }
                        for status in &value.statuses {
                            complete &= batch.apply(&to_status(status)).await?;
                            if let Some(pricing) = &status.pricing {
                                let billable = pricing.billable.unwrap_or_else(|| {
                                    pricing.kind.as_deref().is_none_or(|k| k == "regular")
                                });
                                SqlStore::record_billing_on(
                                    &mut batch.tx,
                                    &status.id,
                                    &pricing.category,
                                    Some(&pricing.pricing_model),
                                    billable,
                                    batch.now,
                                )
                                .await?;
                            }
                        }
                    }
                    Change::TemplateStatus(update) => {
                        SqlStore::set_template_status_on(
                            &mut batch.tx,
                            &entry.id,
                            &update.message_template_name,
                            &update.message_template_language,
                            &wire_name(&update.event).unwrap_or_else(|| "UNKNOWN".into()),
                            batch.now,
                        )
                        .await?;
                    }
                    Change::Other { .. } => {}
                }
            }
        }
        Ok(complete)
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

/// A contact's message in the store's terms; `None` for what the contact did not write (system notices).
fn to_inbound(
    channel_id: i64,
    value: &wire::MessagesValue,
    message: &wire::InboundMessage,
) -> Option<InboundMessage> {
    let interactive_type = match &message.content {
        InboundContent::Interactive(i) => Some(i.kind.as_str()),
        _ => None,
    };
    let activity = InboundKind::from_whatsapp_type(message.content.kind(), interactive_type)?;
    let (identity_kind, external_id) = match (&message.from, &message.from_user_id) {
        (Some(wa_id), _) => ("wa_id", wa_id.clone()),
        (None, Some(user_id)) => ("bsuid", user_id.clone()),
        (None, None) => return None,
    };
    let profile_name = value
        .contacts
        .iter()
        .find(|c| c.wa_id.as_deref() == message.from.as_deref() || c.user_id.as_deref() == Some(&external_id))
        .and_then(|c| c.profile.as_ref())
        .and_then(|p| p.name.clone());
    let phone = message.from.as_deref().and_then(|wa_id| Phone::parse(&format!("+{wa_id}")).ok());
    let sent_at = Timestamp::from_millis(message.timestamp_seconds().unwrap_or(0).saturating_mul(1000));
    Some(InboundMessage {
        channel_id,
        identity_kind: identity_kind.into(),
        external_id,
        phone,
        profile_name,
        provider_message_id: message.id.clone(),
        kind: message.content.kind().to_owned(),
        body: readable_body(&message.content),
        detail: serde_json::to_string(message).unwrap_or_else(|_| "{}".into()),
        sent_at,
        activity,
    })
}

/// What an agent reads of a message in a list.
fn readable_body(content: &InboundContent) -> Option<String> {
    match content {
        InboundContent::Text(text) => Some(text.body.clone()),
        InboundContent::Image(m)
        | InboundContent::Video(m)
        | InboundContent::Audio(m)
        | InboundContent::Document(m)
        | InboundContent::Sticker(m) => m.caption.clone().or_else(|| m.filename.clone()),
        InboundContent::Reaction(reaction) => reaction.emoji.clone(),
        InboundContent::Button(button) => button.text.clone().or_else(|| button.payload.clone()),
        InboundContent::Location(location) => location.name.clone().or_else(|| location.address.clone()),
        _ => None,
    }
}

fn to_status(status: &wire::Status) -> StatusUpdate {
    let error = status.errors.first();
    StatusUpdate {
        provider_message_id: status.id.clone(),
        our_message_id: message_from_opaque(status.biz_opaque_callback_data.as_deref()),
        status: wire_name(&status.status).unwrap_or_else(|| "unknown".into()),
        at: Timestamp::from_millis(status.timestamp_seconds().unwrap_or(0).saturating_mul(1000)),
        error_code: error.map(|e| e.code),
        closes_window: error.is_some_and(|e| {
            ProviderError::from_code(ChannelKind::WhatsappOfficial, e.code, None, "").means_window_closed()
        }),
        error_text: error.map(|e| {
            let details = e.error_data.as_ref().and_then(|d| d.details.as_deref()).or(e.message.as_deref());
            ProviderError::from_code(ChannelKind::WhatsappOfficial, e.code, None, details.unwrap_or_default())
                .to_string()
        }),
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

/// The name Meta gives an enum value on the wire (`"delivered"`, `"APPROVED"`).
fn wire_name(value: &impl serde::Serialize) -> Option<String> {
    serde_json::to_value(value).ok()?.as_str().map(str::to_owned)
}

/// The ids a Meta notification speaks for: every `entry[].id` (business account, page, Instagram account) and
/// every `entry[].changes[].value.metadata.phone_number_id`.
fn payload_ids(body: &[u8]) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else { return Vec::new() };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let mut ids = Vec::new();
    for entry in value.get("entry").and_then(|e| e.as_array()).into_iter().flatten() {
        ids.extend(entry.get("id").and_then(text));
        for change in entry.get("changes").and_then(|c| c.as_array()).into_iter().flatten() {
            ids.extend(change.pointer("/value/metadata/phone_number_id").and_then(text));
        }
    }
    ids
}

#[cfg(test)]
mod payload_tests {
    #[test]
    fn the_ids_of_a_notification_are_its_entries_and_numbers() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[
            {"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"}}}]},{"id":123}]}"#;
        assert_eq!(super::payload_ids(body), ["102290129340398", "106540352242922", "123"]);
        assert!(super::payload_ids(b"not json").is_empty());
    }
}
