//! The outbound worker: claims one job at a time (see [`crate::store::queue`] for the ordering and lease
//! rules), sends it through the channel's provider (the port of [`crate::channels::port`]), and records the
//! answer.
//!
//! `try_execute_task` does one step and says what it did, so tests drain the queue step by step; `run` loops
//! it. Transient failures (timeouts, 5xx, 429, Meta's throughput codes) are retried with exponential backoff,
//! keeping the conversation's later messages behind them; permanent ones are shown on the message with the
//! provider's reason explained.

use crate::channels::port::{Outbound, OutboundFile, OutboundMessage, SendFailure};
use crate::channels::registry::ChannelRegistry;
use crate::media::blob::{BlobError, BlobStore};
use crate::store::media::{KeptFile, HEADER_FILE};
use crate::store::queue::{ClaimedJob, Completion, JobId};
use crate::store::SqlStore;
use atende_domain::channel::MessageTag;
use atende_domain::media::MediaKind;
use atende_domain::ports::{Clock, StoreError};
use atende_domain::time::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex, Notify};

/// What a job carries, read from its kind and stored detail (the one place they are read back), before any
/// file's bytes are: a message ready for the port, or one whose file (an attachment, or a template's media
/// header) is read from the blob store first ([`Stored::message`]).
enum Stored {
    Ready(OutboundMessage),
    File { kind: MediaKind, kept: KeptFile, caption: Option<String> },
    Template { template: serde_json::Value, header: KeptFile },
}

impl Stored {
    fn of(job: &ClaimedJob) -> Result<Self, SendFailure> {
        /// An attachment's detail (see `Outbox::answer` in the store): a link, or a file kept in the blob store.
        #[derive(serde::Deserialize)]
        struct Attachment {
            #[serde(default)]
            link: Option<String>,
            #[serde(default)]
            filename: Option<String>,
            #[serde(default)]
            file: Option<KeptFile>,
        }
        let corrupt = |what: &str, error: serde_json::Error| SendFailure::Unsendable {
            explanation: format!("{what} guardado está corrompido e não pode ser enviado."),
            detail: error.to_string(),
        };
        match job.kind.as_str() {
            "text" => Ok(Self::Ready(OutboundMessage::Text { body: job.body.clone().unwrap_or_default() })),
            "reaction" => {
                #[derive(serde::Deserialize)]
                struct Reacted {
                    reaction: atende_domain::reply::Reaction,
                }
                let Reacted { reaction } =
                    serde_json::from_str(&job.detail).map_err(|e| corrupt("A reação", e))?;
                Ok(Self::Ready(OutboundMessage::Reaction { to: reaction.to, emoji: reaction.emoji }))
            }
            "template" => {
                let mut template: serde_json::Value =
                    serde_json::from_str(&job.detail).map_err(|e| corrupt("O modelo de mensagem", e))?;
                // The header's file is Atende's, not part of the Cloud API's object.
                let header = template.as_object_mut().and_then(|object| object.remove(HEADER_FILE));
                match header {
                    None => Ok(Self::Ready(OutboundMessage::Template { template, header: None })),
                    Some(header) => serde_json::from_value(header)
                        .map(|header| Self::Template { template, header })
                        .map_err(|e| corrupt("O arquivo do cabeçalho", e)),
                }
            }
            kind => {
                let kind = MediaKind::from_code(kind).ok_or_else(|| SendFailure::unsupported(kind))?;
                let attachment: Attachment =
                    serde_json::from_str(&job.detail).map_err(|e| corrupt("O anexo", e))?;
                match (attachment.file, attachment.link) {
                    (Some(kept), _) => Ok(Self::File { kind, kept, caption: job.body.clone() }),
                    (None, Some(link)) => Ok(Self::Ready(OutboundMessage::Media {
                        kind,
                        link,
                        caption: job.body.clone(),
                        filename: attachment.filename,
                    })),
                    (None, None) => Err(SendFailure::Unsendable {
                        explanation: "O anexo guardado não diz qual arquivo enviar.".into(),
                        detail: format!("attachment detail without link or file: {}", job.detail),
                    }),
                }
            }
        }
    }

    /// Whether it sends a file kept in the blob store (held in memory while it leaves).
    const fn carries_file(&self) -> bool {
        !matches!(self, Self::Ready(_))
    }

    /// The message for the port, with its file's bytes read from `blobs`.
    async fn message(self, blobs: Option<&dyn BlobStore>) -> Result<OutboundMessage, SendFailure> {
        let file = |kind: MediaKind, kept: KeptFile, bytes| OutboundFile {
            kind,
            mime: kept.mime,
            name: kept.name,
            voice: kept.voice,
            bytes,
        };
        match self {
            Self::Ready(message) => Ok(message),
            Self::File { kind, kept, caption } => {
                let bytes = read_file(blobs, &kept.sha256).await?;
                Ok(OutboundMessage::File { file: file(kind, kept, bytes), caption })
            }
            Self::Template { template, header } => {
                let bytes = read_file(blobs, &header.sha256).await?;
                let kind = MediaKind::of_type(&header.mime);
                Ok(OutboundMessage::Template { template, header: Some(file(kind, header, bytes)) })
            }
        }
    }
}

/// The message a job's message answers ("Responder"), as its stored detail says; none in a detail that does
/// not say it (or that an older version wrote).
fn reply_to(job: &ClaimedJob) -> Option<atende_domain::reply::Quoted> {
    #[derive(serde::Deserialize)]
    struct Replying {
        reply_to: Option<atende_domain::reply::Quoted>,
    }
    serde_json::from_str::<Replying>(&job.detail).ok()?.reply_to
}

/// The bytes of a file the agent sent, from the blob store: a store that does not answer is tried again
/// later; a file that is not there any more cannot be sent.
async fn read_file(blobs: Option<&dyn BlobStore>, key: &str) -> Result<bytes::Bytes, SendFailure> {
    let Some(blobs) = blobs else {
        return Err(SendFailure::Unsendable {
            explanation: "O armazenamento de arquivos não está configurado neste servidor.".into(),
            detail: "dispatcher without a blob store".into(),
        });
    };
    match blobs.get(key, None).await {
        Ok(blob) => Ok(blob.bytes),
        Err(BlobError::Unavailable(detail)) => Err(SendFailure::Transient {
            code: None,
            explanation:
                "O armazenamento de arquivos não respondeu. O envio será tentado de novo em instantes.".into(),
            detail,
        }),
        Err(error @ (BlobError::NotFound | BlobError::BadKey)) => Err(SendFailure::Unsendable {
            explanation: "O arquivo deste envio não está mais no armazenamento.".into(),
            detail: error.to_string(),
        }),
    }
}

/// Most jobs claimed at once (one statement, one commit): at 1,000 sends a second, one claim each would be
/// a thousand commits a second on top of the sends' own.
const CLAIM_BATCH: usize = 64;

/// What one step of the worker did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutionOutcome {
    /// Nothing was due.
    Idle,
    Sent(JobId),
    /// Will be tried again at this instant.
    Retried(JobId, Timestamp),
    /// Not tried: the recipient got enough messages for now (pair rate); it leaves at this instant, its
    /// conversation's later messages behind it.
    Deferred(JobId, Timestamp),
    Failed(JobId),
    /// Not sent: another worker took the job over (this one's lease had run out).
    TakenOver(JobId),
}

/// How the worker paces and retries.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// How long a claimed job belongs to this worker before another may take it.
    pub lease: Duration,
    /// How long a claimed send of a file may take (uploading up to 100 MB to the provider, then sending; each
    /// provider call of a file gives up after 5 minutes): its lease is made this long before it starts, so no
    /// other worker takes it over and sends it twice.
    pub file_lease: Duration,
    /// Sends per second per channel (business number). Meta's default is 80.
    pub per_channel_rate: u32,
    /// Per recipient (Meta's pair rate limit, error 131056: about one message every 6 seconds to the same
    /// person, short bursts tolerated): how many may leave at once, and how often one more is allowed.
    pub pair_burst: u32,
    pub pair_interval: Duration,
    /// Attempts before a transiently failing message is given up.
    pub max_attempts: i64,
    /// First retry delay; doubled at each attempt, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Sends in flight at once (each waits for the provider's answer). A provider that answers in 250 ms
    /// allows 4 sends per second per worker: the cap is reached with `rate × answer time` workers. The
    /// order within a conversation never depends on it: only a conversation's oldest pending message can
    /// be claimed.
    pub workers: usize,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            file_lease: Duration::from_secs(15 * 60),
            per_channel_rate: 80,
            pair_burst: 10,
            pair_interval: Duration::from_secs(6),
            max_attempts: 12,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            workers: 32,
        }
    }
}

pub struct Dispatcher {
    pub store: SqlStore,
    pub clock: Arc<dyn Clock>,
    pub channels: Arc<ChannelRegistry>,
    pub settings: DispatchSettings,
    /// When each channel may send next.
    next_slot: Mutex<HashMap<i64, tokio::time::Instant>>,
    /// Per (channel, recipient): the instant its burst allowance is full again.
    pairs: Mutex<HashMap<(i64, String), Timestamp>>,
    /// Commits accepted sends together (set by [`Dispatcher::run`]; one at a time without it).
    completions: Option<Completions>,
    /// Where the files agents send are kept (see [`Dispatcher::with_files`]).
    blobs: Option<Arc<dyn BlobStore>>,
    /// File sends in flight at once: each holds its file in memory (up to 100 MB).
    file_sends: Arc<tokio::sync::Semaphore>,
}

/// Most files being sent at once.
const FILE_SENDS_AT_ONCE: usize = 4;

/// How long a file send waits in the queue when [`FILE_SENDS_AT_ONCE`] are on their way.
const FILE_SEND_RETRY_MS: i64 = 2_000;

/// Most completions committed in one transaction.
const COMPLETION_BATCH: usize = 128;

/// Records accepted sends in batches: the sends that were answered while the last commit was being written
/// go in the next one (one commit for many, as the webhook bodies are written).
struct Completions {
    sender: tokio::sync::mpsc::Sender<PendingCompletion>,
}

struct PendingCompletion {
    job: ClaimedJob,
    provider_message_id: String,
    sent_at: Timestamp,
    recorded: tokio::sync::oneshot::Sender<Result<(), StoreError>>,
}

impl Completions {
    /// Starts the writer task (it ends when the dispatcher is gone); `committed` is told after each commit.
    /// When a batch cannot be written, each of its completions is tried alone, so that one cannot take the
    /// others with it; a batch whose writing panics is answered as a database failure (its jobs come back
    /// when their lease ends).
    fn start(store: SqlStore, committed: Arc<Notify>) -> Self {
        use futures_util::FutureExt;
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<PendingCompletion>(COMPLETION_BATCH * 8);
        tokio::spawn(async move {
            while let Some(batch) = crate::runtime::next_batch(&mut receiver, COMPLETION_BATCH).await {
                let written = std::panic::AssertUnwindSafe(async {
                    let all: Vec<Completion<'_>> = batch.iter().map(PendingCompletion::completion).collect();
                    let together = store.complete_jobs(&all).await;
                    if together.is_ok() || all.len() == 1 {
                        return vec![together; all.len()];
                    }
                    let mut each = Vec::with_capacity(all.len());
                    for one in &all {
                        each.push(store.complete_jobs(std::slice::from_ref(one)).await);
                    }
                    each
                })
                .catch_unwind()
                .await;
                let results = written.unwrap_or_else(|_| {
                    tracing::error!("recording accepted sends panicked");
                    vec![Err(StoreError::Unavailable("the completion writer failed".into())); batch.len()]
                });
                if results.iter().any(Result::is_ok) {
                    committed.notify_one();
                }
                for (pending, result) in batch.into_iter().zip(results) {
                    let _ = pending.recorded.send(result);
                }
            }
        });
        Self { sender }
    }

    async fn complete(
        &self,
        job: &ClaimedJob,
        provider_message_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), StoreError> {
        let gone = || StoreError::Unavailable("the completion writer stopped".into());
        let (recorded, committed) = tokio::sync::oneshot::channel();
        let pending = PendingCompletion {
            job: job.clone(),
            provider_message_id: provider_message_id.to_owned(),
            sent_at,
            recorded,
        };
        self.sender.send(pending).await.map_err(|_| gone())?;
        committed.await.map_err(|_| gone())?
    }
}

impl PendingCompletion {
    fn completion(&self) -> Completion<'_> {
        Completion { job: &self.job, provider_message_id: &self.provider_message_id, sent_at: self.sent_at }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Dispatcher {
    pub fn new(
        store: SqlStore,
        clock: Arc<dyn Clock>,
        channels: Arc<ChannelRegistry>,
        settings: DispatchSettings,
    ) -> Self {
        Self {
            store,
            clock,
            channels,
            settings,
            next_slot: Mutex::new(HashMap::new()),
            pairs: Mutex::new(HashMap::new()),
            completions: None,
            blobs: None,
            file_sends: Arc::new(tokio::sync::Semaphore::new(FILE_SENDS_AT_ONCE)),
        }
    }

    /// Sends the files agents choose from their computer, read from `blobs`.
    #[must_use]
    pub fn with_files(mut self, blobs: Arc<dyn BlobStore>) -> Self {
        self.blobs = Some(blobs);
        self
    }

    /// The delay before attempt `attempts + 1`.
    fn backoff(&self, attempts: i64) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        self.settings
            .base_backoff
            .saturating_mul(2_u32.saturating_pow(exponent))
            .min(self.settings.max_backoff)
    }

    /// Takes the channel's next free slot (per-number pacing) and waits for it — unless it is further away
    /// than a quarter of the lease: then nothing is taken and `Err(wait)` says how far it is, and the job is
    /// put back for then. A claimed job never waits long enough for its lease to run out (another worker
    /// would take it back and send it too), however many workers are queued on the same number.
    async fn pace(&self, channel_id: i64) -> Result<(), Duration> {
        if self.settings.per_channel_rate == 0 {
            return Ok(());
        }
        let interval = Duration::from_secs(1) / self.settings.per_channel_rate;
        let wait_until = {
            let mut slots = self.next_slot.lock().await;
            let now = tokio::time::Instant::now();
            let slot = slots.get(&channel_id).copied().filter(|s| *s > now).unwrap_or(now);
            let wait = slot.saturating_duration_since(now);
            if wait > self.settings.lease / 4 {
                return Err(wait);
            }
            slots.insert(channel_id, slot + interval);
            slot
        };
        tokio::time::sleep_until(wait_until).await;
        Ok(())
    }

    /// Takes one send from the recipient's allowance (a token bucket kept as the instant it is full again:
    /// GCRA). `Err(at)` when the allowance is spent: the send may go at `at`.
    async fn take_pair_slot(&self, channel_id: i64, to: &str, now: Timestamp) -> Result<(), Timestamp> {
        if self.settings.pair_burst == 0 || self.settings.pair_interval.is_zero() {
            return Ok(());
        }
        let interval = millis(self.settings.pair_interval);
        let tolerance = interval.saturating_mul(i64::from(self.settings.pair_burst));
        let mut pairs = self.pairs.lock().await;
        // Forget recipients whose allowance is full again, so the map stays small.
        if pairs.len() > 10_000 {
            pairs.retain(|_, full_at| *full_at > now);
        }
        let key = (channel_id, to.to_owned());
        let full_at = pairs.get(&key).copied().filter(|t| *t > now).unwrap_or(now);
        let next_full_at = full_at.plus_millis(interval);
        let earliest = next_full_at.plus_millis(-tolerance);
        if earliest > now {
            return Err(earliest);
        }
        pairs.insert(key, next_full_at);
        Ok(())
    }

    /// Messenger/Instagram: whether the text needs the HUMAN_AGENT tag is decided as it leaves, not when it was
    /// written (a retry or a paced send may cross the 24 hours).
    async fn tag_for_now(&self, job: &ClaimedJob, now: Timestamp) -> Result<Option<MessageTag>, StoreError> {
        use atende_domain::ports::Outbox;
        if job.kind == "template" {
            return Ok(None);
        }
        let state = self
            .store
            .conversation_state(atende_domain::conversation::ConversationId(job.conversation_id))
            .await?;
        if !state.channel.kind().offers_human_agent_tag() {
            return Ok(None);
        }
        Ok(state.lifecycle.window(&state.channel, now).required_tag())
    }

    /// Claims and sends one job.
    pub async fn try_execute_task(&self) -> Result<ExecutionOutcome, StoreError> {
        let now = self.clock.now();
        let Some(job) = self.store.claim_next_job(now, millis(self.settings.lease)).await? else {
            return Ok(ExecutionOutcome::Idle);
        };
        self.execute(job, now, None).await
    }

    /// Records that the provider accepted `job`'s send.
    async fn complete(
        &self,
        job: &ClaimedJob,
        provider_id: &str,
        sent_at: Timestamp,
    ) -> Result<(), StoreError> {
        match &self.completions {
            Some(completions) => completions.complete(job, provider_id, sent_at).await,
            None => self.store.complete_job(job, provider_id, sent_at).await,
        }
    }

    /// Sends a claimed job at `now`, and records the outcome. `in_flight` (a place among the sends waiting for
    /// the provider) is given back as soon as the provider answered.
    async fn execute(
        &self,
        job: ClaimedJob,
        now: Timestamp,
        in_flight: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Result<ExecutionOutcome, StoreError> {
        if let Some(provider_id) = &job.provider_message_id {
            // A timed-out attempt did reach the provider (its status webhook told us): never send twice.
            self.complete(&job, provider_id, now).await?;
            return Ok(ExecutionOutcome::Sent(job.job_id));
        }
        let Some(sender) = self.channels.sender(job.channel_id) else {
            let why = "O canal deste atendimento não está configurado para envio.";
            self.store.fail_job(&job, None, why).await?;
            return Ok(ExecutionOutcome::Failed(job.job_id));
        };
        let Some(to) = job.recipient.clone() else {
            let why = "O contato não tem número nem identificação no canal.";
            self.store.fail_job(&job, None, why).await?;
            return Ok(ExecutionOutcome::Failed(job.job_id));
        };
        let tag = if sender.has_message_tags() { self.tag_for_now(&job, now).await? } else { None };
        if let Err(at) = self.take_pair_slot(job.channel_id, &to, now).await {
            self.store.defer_job(&job, at).await?;
            return Ok(ExecutionOutcome::Deferred(job.job_id, at));
        }
        if let Err(wait) = self.pace(job.channel_id).await {
            let at = now.plus_millis(millis(wait));
            self.store.defer_job(&job, at).await?;
            return Ok(ExecutionOutcome::Deferred(job.job_id, at));
        }
        // When the send began: Meta took the message after it, and a receipt by watermark covers it if given
        // after it.
        let sent_at = self.clock.now();
        let stored = Stored::of(&job);
        let _file_slot = if stored.as_ref().is_ok_and(Stored::carries_file) {
            // Few files at once (each is held in memory): without a free place, the job waits a moment in the
            // queue instead of holding its lease (and a worker) while it waits.
            let Ok(slot) = Arc::clone(&self.file_sends).try_acquire_owned() else {
                let at = now.plus_millis(FILE_SEND_RETRY_MS);
                self.store.defer_job(&job, at).await?;
                return Ok(ExecutionOutcome::Deferred(job.job_id, at));
            };
            // The upload may outlast the ordinary lease: it is made long enough first, under this claim.
            // Never shorter than an ordinary send's.
            let lease = self.settings.file_lease.max(self.settings.lease);
            let until = self.clock.now().plus_millis(millis(lease));
            if !self.store.extend_lease(&job, until).await? {
                return Ok(ExecutionOutcome::TakenOver(job.job_id));
            }
            Some(slot)
        } else {
            None
        };
        let message = match stored {
            Ok(stored) => stored.message(self.blobs.as_deref()).await,
            Err(unsendable) => Err(unsendable),
        };
        let answer = match message {
            Ok(message) => {
                let reply_to = reply_to(&job);
                sender.send(&Outbound { message_id: job.message_id, to, message, tag, reply_to }).await
            }
            Err(unsendable) => Err(unsendable),
        };
        drop(in_flight);
        match answer {
            Ok(provider_id) => {
                self.complete(&job, &provider_id, sent_at).await?;
                Ok(ExecutionOutcome::Sent(job.job_id))
            }
            Err(failure) if failure.is_transient() && job.attempts < self.settings.max_attempts => {
                let at = self.clock.now().plus_millis(millis(self.backoff(job.attempts)));
                tracing::warn!(job = job.job_id.0, attempts = job.attempts, detail = %failure.detail(), "send failed; will retry");
                self.store.retry_job(&job, failure.detail(), at).await?;
                Ok(ExecutionOutcome::Retried(job.job_id, at))
            }
            Err(failure) => {
                tracing::warn!(job = job.job_id.0, detail = %failure.detail(), "send failed for good");
                if failure.closes_window() {
                    self.store.provider_closed_window(job.message_id, self.clock.now()).await?;
                }
                self.store.fail_job(&job, failure.code(), failure.explanation()).await?;
                Ok(ExecutionOutcome::Failed(job.job_id))
            }
        }
    }

    /// Runs until `stop` says so (or this future is dropped, which stops every send at once): a claimer takes
    /// what is due, [`CLAIM_BATCH`] to a claim (one commit for many), while the jobs of the last claim are
    /// sent, each in a task of its own, up to `workers` waiting for the provider at once; the accepted ones
    /// are recorded in batches ([`Completions`]), and each batch wakes the claimer (a conversation's next
    /// message may leave). A ticker recovers expired leases and, every half second, wakes the claimer to look
    /// for due retries.
    ///
    /// Stopping claims nothing more, puts back in the queue at once what was claimed and not sent, and gives
    /// the sends on their way up to `drain` to be answered and recorded: a send the provider took but whose
    /// answer was never recorded would only be recognised by a status webhook, and one that never comes would
    /// make it leave twice.
    pub async fn run(mut self, wake: Arc<Notify>, mut stop: watch::Receiver<bool>, drain: Duration) {
        self.completions = Some(Completions::start(self.store.clone(), wake.clone()));
        let this = Arc::new(self);
        let ticker = Arc::clone(&this);
        let tick = wake.clone();
        let ticking = tokio::spawn(async move {
            loop {
                if let Err(error) = ticker.store.recover_expired_leases(ticker.clock.now()).await {
                    tracing::error!(%error, "could not recover expired leases");
                }
                tick.notify_one();
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        let (claimed, mut ready) = tokio::sync::mpsc::channel::<ClaimedJob>(2 * CLAIM_BATCH);
        let claiming = tokio::spawn(Arc::clone(&this).claim(wake, stop.clone(), claimed));
        let slots = Arc::new(tokio::sync::Semaphore::new(this.settings.workers.max(1)));
        let mut sending = tokio::task::JoinSet::new();
        let mut unsent = Vec::new();
        while !*stop.borrow_and_update() {
            // Finished sends are reaped as they end (a panicking one only loses its own send: its job comes
            // back when its lease ends).
            while let Some(ended) = sending.try_join_next() {
                if let Err(error) = ended {
                    tracing::error!(%error, "a send task stopped abnormally");
                }
            }
            let job = tokio::select! {
                job = ready.recv() => match job { Some(job) => job, None => break },
                changed = stop.changed() => if changed.is_err() { break } else { continue },
            };
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => match slot { Ok(slot) => slot, Err(_) => break },
                _ = stop.changed() => {
                    unsent.push(job);
                    break;
                }
            };
            let sender = Arc::clone(&this);
            sending.spawn(async move {
                let now = sender.clock.now();
                if let Err(error) = sender.execute(job, now, Some(slot)).await {
                    tracing::error!(%error, "outbound send step failed");
                }
            });
        }
        ticking.abort();
        // Claimed and not sent: back to the queue now, not when their lease ends.
        ready.close();
        let _ = claiming.await;
        while let Some(job) = ready.recv().await {
            unsent.push(job);
        }
        let now = this.clock.now();
        for job in &unsent {
            if let Err(error) = this.store.defer_job(job, now).await {
                tracing::warn!(%error, job = job.job_id.0, "a claimed job goes back to the queue when its lease ends");
            }
        }
        let drained =
            tokio::time::timeout(drain, async { while sending.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(
                in_flight = sending.len(),
                "sends still unanswered at shutdown; their jobs go back to the queue when their lease ends"
            );
            sending.abort_all();
        }
    }

    /// Claims what is due whenever a whole batch fits in `claimed` (what is claimed waits there with its lease
    /// running, so never more than that), and rests until woken when nothing is.
    async fn claim(
        self: Arc<Self>,
        wake: Arc<Notify>,
        mut stop: watch::Receiver<bool>,
        claimed: tokio::sync::mpsc::Sender<ClaimedJob>,
    ) {
        while !*stop.borrow_and_update() {
            let room = tokio::select! {
                room = claimed.reserve_many(CLAIM_BATCH) => match room { Ok(room) => room, Err(_) => return },
                changed = stop.changed() => if changed.is_err() { return } else { continue },
            };
            let jobs =
                match self.store.claim_jobs(self.clock.now(), millis(self.settings.lease), CLAIM_BATCH).await
                {
                    Ok(jobs) => jobs,
                    Err(error) => {
                        tracing::error!(%error, "could not claim the next sends");
                        Vec::new()
                    }
                };
            if jobs.is_empty() {
                drop(room);
                tokio::select! {
                    () = wake.notified() => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            for (permit, job) in room.zip(jobs) {
                permit.send(job);
            }
        }
    }
}
