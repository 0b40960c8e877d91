//! The Cloud API fake's state: the people, the templates, what was sent, the faults to inject, and the
//! webhooks it sends back.

use crate::providers::whatsapp::wire::{
    signature_header, Change, Conversation, ConversationOrigin, ErrorData, GraphError, InboundContent,
    InboundMessage, MessageTemplate, MessagesValue, Metadata, Notification, Pricing, Status, StatusKind,
    TemplateStatus, TemplateStatusUpdate, WebhookContact, WebhookError, MESSAGING_PRODUCT, SIGNATURE_HEADER,
};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

/// How the sandbox behaves. `Debug` never prints the secrets.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Where the sandbox POSTs its webhooks (Atende's `/webhooks/whatsapp`).
    pub webhook_url: String,
    /// Signs the webhooks (`X-Hub-Signature-256`), as Meta does with the app secret.
    pub app_secret: String,
    /// The only business number the sandbox knows.
    pub phone_number_id: String,
    pub waba_id: String,
    /// `metadata.display_phone_number` in webhooks.
    pub display_phone_number: String,
    /// Graph calls must carry `Authorization: Bearer <this>` (else 401, code 190), as Meta's do: nobody but
    /// Atende (which was given it) may send through the sandbox or report statuses in its name. Random by
    /// default.
    pub access_token: String,
    /// The pause before each status webhook (sent, delivered, read).
    pub status_delay: Duration,
    /// Sends per second per business number before 130429 (Meta's default is 80). 0 means no limit.
    pub rate_limit_per_second: u32,
    /// Brazilian mobiles (13 digits, with the 9) whose WhatsApp account predates the ninth digit: their
    /// `wa_id` is the 12-digit form without it.
    pub old_numbers: Vec<String>,
    /// How long an unacknowledged webhook is retried (Meta retries for days).
    pub webhook_retry_for: Duration,
    /// The customer service window (24 hours; shorter in tests).
    pub service_window: Duration,
    /// The most templates one page of `message_templates` holds, whatever `limit` asks (tests lower it to
    /// exercise the client's paging).
    pub max_templates_per_page: usize,
    /// Meta's pair rate limit (131056): sends to one `wa_id` allowed at once, then one per `pair_interval`.
    /// 0 means no limit.
    pub pair_burst: u32,
    pub pair_interval: Duration,
    /// Free-form text outside the window: Meta usually accepts it and then fails it by webhook (131047);
    /// sometimes the send request itself is refused with 131047. `true` plays the second way.
    pub refuse_outside_window_at_once: bool,
    /// The most media bytes the simulator keeps; the oldest files are forgotten first.
    pub media_memory_bytes: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            webhook_url: "http://127.0.0.1:3000/webhooks/whatsapp".into(),
            app_secret: "segredo-do-sandbox".into(),
            phone_number_id: "106540352242922".into(),
            waba_id: "102290129340398".into(),
            display_phone_number: "551140028922".into(),
            access_token: crate::runtime::random_secret(),
            status_delay: Duration::from_millis(500),
            rate_limit_per_second: 80,
            old_numbers: vec![DEMO_OLD_NUMBER.into()],
            webhook_retry_for: Duration::from_secs(30),
            service_window: Duration::from_secs(24 * 60 * 60),
            max_templates_per_page: 100,
            pair_burst: 20,
            pair_interval: Duration::from_secs(6),
            refuse_outside_window_at_once: false,
            media_memory_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A Belo Horizonte mobile (DDD 31) whose account kept the 8-digit form: `wa_id` `553188887777`.
pub const DEMO_OLD_NUMBER: &str = "5531988887777";

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("webhook_url", &self.webhook_url)
            .field("app_secret", &"[oculto]")
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .field("display_phone_number", &self.display_phone_number)
            .field("access_token", &"[oculto]")
            .field("status_delay", &self.status_delay)
            .field("rate_limit_per_second", &self.rate_limit_per_second)
            .field("old_numbers", &self.old_numbers)
            .field("webhook_retry_for", &self.webhook_retry_for)
            .field("service_window", &self.service_window)
            .field("max_templates_per_page", &self.max_templates_per_page)
            .field("pair_burst", &self.pair_burst)
            .field("pair_interval", &self.pair_interval)
            .field("refuse_outside_window_at_once", &self.refuse_outside_window_at_once)
            .field("media_memory_bytes", &self.media_memory_bytes)
            .finish()
    }
}

/// What goes wrong with the next media download, as it does at Meta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaFault {
    /// The download URL answers HTTP 500.
    ServerError,
    /// The bytes are not those whose SHA-256 was declared (one is changed).
    Corrupt,
    /// The media id is no longer known (`GET /{media-id}` answers code 100, as after 7 days).
    Expired,
}

/// A failure to inject into the next sends (`POST /sandbox/faults`), of the Cloud API fake or of the
/// Evolution, Messenger and Instagram fakes ([`super::others::OthersSandbox::inject_fault`]), which play each the
/// way their provider would answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer HTTP `status` (500 by default) with Meta's unknown-error envelope (code 1).
    ServerError {
        #[serde(default)]
        status: Option<u16>,
    },
    /// Answer Meta's error envelope with `code` (HTTP 400 by default).
    Error {
        code: i64,
        #[serde(default)]
        http_status: Option<u16>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        details: Option<String>,
    },
    /// Answer nothing for `seconds` (60 by default), then a 500: the client times out first.
    Timeout {
        #[serde(default)]
        seconds: Option<u64>,
    },
    /// Accept the send, then report a `failed` status with `code` (e.g. 131026).
    FailedStatus {
        code: i64,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        details: Option<String>,
    },
    /// Answer normally: a gap in a queue of faults (`[pass, server_error, pass]` faults the second send only).
    Pass,
    /// Accept the send and deliver each of its status webhooks twice (Meta retries and may duplicate, §3).
    DuplicateStatuses,
    /// Accept the send and report `read` before `delivered` (webhooks may arrive out of order, §3).
    ReorderStatuses,
    /// Accept the send (its statuses follow as usual), but answer only after `seconds` (60 by default), with
    /// a 500: the sender never learns that Meta took it.
    LoseAnswer {
        #[serde(default)]
        seconds: Option<u64>,
    },
    /// Accept the send and answer it normally, but only after `seconds` (2 by default): a send that is
    /// still on its way when Atende is asked to stop.
    SlowAnswer {
        #[serde(default)]
        seconds: Option<u64>,
    },
}

/// The body of `POST /sandbox/faults`: `{"kind":"server_error","count":2}`, and for the other channels'
/// fakes `"channel": "WhatsappUnofficial"` (or `"Messenger"`, `"Instagram"`).
#[derive(Debug, Clone, Deserialize)]
pub struct FaultRequest {
    /// How many of the next sends fail this way (1 by default).
    #[serde(default = "one")]
    pub count: u32,
    /// Whose sends: the Cloud API's (by default) or another channel's.
    #[serde(default)]
    pub channel: Option<atende_domain::conversation::ChannelKind>,
    #[serde(flatten)]
    pub fault: Fault,
}

pub(super) fn one() -> u32 {
    1
}

/// A message Atende sent through the sandbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentMessage {
    pub id: String,
    /// `to` as Atende sent it.
    pub to: String,
    /// The recipient's WhatsApp id (may lack the ninth digit).
    pub wa_id: String,
    /// `text`, `template`, `image`…
    pub kind: String,
    pub template: Option<String>,
    /// What the contact reads.
    pub summary: String,
    /// Unix seconds.
    pub at: i64,
    /// The last status reported (`sent`, `delivered`, `read`, `failed`; `accepted` before the first).
    pub status: String,
    /// What the sender asked to be echoed in the status webhooks.
    pub biz_opaque_callback_data: Option<String>,
    /// A file sent by the id of an upload: its SHA-256 (base64, as Meta gives it) and type.
    pub media: Option<(String, String)>,
    /// The wamid it answers (`context.message_id`), or a reaction's message.
    pub reply_to: Option<String>,
}

/// One line of a simulated contact's conversation, for the simulator page.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LogLine {
    pub(super) inbound: bool,
    pub(super) at: i64,
    pub(super) text: String,
    pub(super) message_id: String,
}

#[derive(Debug, Clone)]
pub(super) struct ContactRecord {
    pub(super) name: String,
    /// Unix seconds of the contact's last message: the customer service window.
    pub(super) last_inbound: Option<i64>,
    pub(super) log: Vec<LogLine>,
}

#[derive(Debug, Clone)]
pub(super) struct StoredMedia {
    pub(super) mime_type: String,
    pub(super) sha256: String,
    pub(super) bytes: Vec<u8>,
}

pub(super) struct Data {
    pub(super) templates: Vec<MessageTemplate>,
    /// By `wa_id`.
    pub(super) contacts: BTreeMap<String, ContactRecord>,
    pub(super) sent: Vec<SentMessage>,
    pub(super) media: HashMap<String, StoredMedia>,
    /// Media ids, oldest first, and the bytes they hold together (capped by `media_memory_bytes`).
    pub(super) media_order: VecDeque<String>,
    pub(super) media_bytes: usize,
    pub(super) faults: VecDeque<Fault>,
    /// Faults of the media downloads, in order.
    pub(super) media_faults: VecDeque<MediaFault>,
    pub(super) recent_sends: VecDeque<Instant>,
    /// Per `wa_id`: the instant its pair allowance is full again.
    pub(super) pairs: HashMap<String, Instant>,
    pub(super) last_webhook: Option<Notification>,
    /// The person's messages the business marked read (`status: read`), and whether it showed typing.
    pub(super) read_by_business: Vec<(String, bool)>,
}

pub(super) struct Inner {
    pub(super) config: SandboxConfig,
    pub(super) http: reqwest::Client,
    pub(super) data: Mutex<Data>,
    pub(super) old_numbers: Vec<String>,
    /// The Evolution, Messenger and Instagram fakes, for the simulator page.
    pub(super) others: Option<super::others::OthersSandbox>,
}

/// The most read receipts and typing notices a fake keeps (a long session of typing must not grow it forever).
pub(super) const ACKNOWLEDGEMENTS_KEPT: usize = 1_000;

/// Adds `entry` to a fake's log of acknowledgements, forgetting the oldest beyond [`ACKNOWLEDGEMENTS_KEPT`].
pub(super) fn keep_last<T>(log: &mut Vec<T>, entry: T) {
    log.push(entry);
    if log.len() > ACKNOWLEDGEMENTS_KEPT {
        log.drain(..log.len() - ACKNOWLEDGEMENTS_KEPT);
    }
}

/// The sandbox's memory. Cheap to clone.
#[derive(Clone)]
pub struct SandboxState {
    pub(super) inner: Arc<Inner>,
}

impl fmt::Debug for SandboxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxState").field("config", &self.inner.config).finish()
    }
}

/// Why a simulated contact's message did not reach Atende.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SandboxError {
    #[error("Número inválido: informe o número com DDI e DDD, por exemplo 5511987654321.")]
    InvalidNumber,
    #[error("Escreva a mensagem antes de enviar.")]
    EmptyMessage,
    #[error("Para enviar como imagem, escolha um arquivo JPEG ou PNG (ou envie-o como arquivo).")]
    NotAnImage,
    #[error("Arquivo grande demais: o limite do simulador é de 16 MB.")]
    TooLarge,
    #[error("O Atende não confirmou o recebimento do webhook: {0}")]
    Delivery(String),
    #[error(
        "Neste canal o simulador envia a imagem e o arquivo de exemplo: deixe o campo de arquivo vazio (arquivos          escolhidos só no WhatsApp Oficial)."
    )]
    SampleOnly,
    #[error("Esta falha não existe no {channel}.")]
    FaultNotOnChannel { channel: String },
    #[error("O {channel} não entrega localizações pela API: escolha outro tipo de mensagem.")]
    NoLocationOnChannel { channel: String },
    #[error("O {channel} não entrega contatos compartilhados nem reações pelo simulador: escolha outro tipo de mensagem.")]
    NotOnChannel { channel: String },
    #[error("Para reagir, o contato precisa ter recebido uma mensagem do Atende antes.")]
    NothingToReactTo,
}

/// What a simulated contact sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimulatedContent {
    /// Text, emoji included.
    Text(String),
    /// The sandbox's sample contact card (Ana Silva, +55 11 98765-4321).
    SharedContact,
    /// A reaction with `emoji` to the last message Atende sent the person.
    Reaction { emoji: String },
    /// The sandbox's sample picture.
    Image { caption: Option<String> },
    /// The sandbox's sample file.
    Document { caption: Option<String> },
    /// The sandbox's sample video (one second, H.264 in MP4).
    Video { caption: Option<String> },
    /// The sandbox's sample voice note (one second, Opus in OGG, as WhatsApp records them).
    VoiceNote,
    /// A shared location (Avenida Paulista, São Paulo), with `name` if one was typed.
    Location { name: Option<String> },
    /// A file the person chose, sent as a picture (`as_image`, JPEG or PNG only, as on WhatsApp) or as a
    /// document.
    Upload { as_image: bool, filename: String, mime_type: String, bytes: Vec<u8>, caption: Option<String> },
}

/// The largest upload the simulator takes.
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

/// A message from a simulated contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedInbound {
    /// With country and area code, any punctuation (`+55 (11) 98765-4321`).
    pub number: String,
    pub name: String,
    pub content: SimulatedContent,
}

/// The message the contact sent, as Atende was told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundReceipt {
    pub message_id: String,
    pub wa_id: String,
}

static SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// A unique id in Meta's style (`wamid.…`).
pub(crate) fn new_id(prefix: &str) -> String {
    let started = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros()).unwrap_or(0);
    format!("{prefix}{started:X}{:06X}", SEQUENCE.fetch_add(1, Ordering::Relaxed))
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Milliseconds, as Messenger and Instagram give their timestamps and watermarks (a watermark in whole
/// seconds would leave out a message sent earlier in the same second).
pub(crate) fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Only the digits.
pub(crate) fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// The 13-digit form of a Brazilian mobile given with or without the ninth digit; other numbers unchanged.
pub(super) fn with_ninth_digit(digits: &str) -> String {
    let mobile_without_nine = digits.len() == 12
        && digits.starts_with("55")
        && digits.as_bytes().get(4).is_some_and(|d| (b'6'..=b'9').contains(d));
    if mobile_without_nine {
        format!("{}9{}", &digits[..4], &digits[4..])
    } else {
        digits.to_owned()
    }
}

impl SandboxState {
    pub fn new(config: SandboxConfig) -> Self {
        Self::with_others(config, None)
    }

    /// With the other channels' fakes, so the simulator page can write on them too.
    pub fn with_others(config: SandboxConfig, others: Option<super::others::OthersSandbox>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let old_numbers = config.old_numbers.iter().map(|n| with_ninth_digit(&digits(n))).collect();
        let data = Data {
            templates: super::templates::demo_templates(),
            contacts: BTreeMap::new(),
            sent: Vec::new(),
            media: HashMap::new(),
            media_order: VecDeque::new(),
            media_bytes: 0,
            media_faults: VecDeque::new(),
            faults: VecDeque::new(),
            recent_sends: VecDeque::new(),
            pairs: HashMap::new(),
            last_webhook: None,
            read_by_business: Vec::new(),
        };
        Self { inner: Arc::new(Inner { config, http, data: Mutex::new(data), old_numbers, others }) }
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    pub fn others(&self) -> Option<&super::others::OthersSandbox> {
        self.inner.others.as_ref()
    }

    /// WhatsApp's id for `number` (any punctuation): its digits, the Brazilian ninth digit added when missing,
    /// then removed again for the configured old numbers (§7).
    pub fn wa_id_for(&self, number: &str) -> String {
        let full = with_ninth_digit(&digits(number));
        if self.inner.old_numbers.contains(&full) {
            format!("{}{}", &full[..4], &full[5..])
        } else {
            full
        }
    }

    /// Every message sent so far, oldest first.
    pub async fn sent_messages(&self) -> Vec<SentMessage> {
        self.inner.data.lock().await.sent.clone()
    }

    /// The templates of the WABA, as listed.
    /// The person's messages the business marked read, and whether it showed "digitando…" with it.
    pub async fn read_by_business(&self) -> Vec<(String, bool)> {
        self.inner.data.lock().await.read_by_business.clone()
    }

    pub async fn templates(&self) -> Vec<MessageTemplate> {
        self.inner.data.lock().await.templates.clone()
    }

    /// Queues a fault for the next `count` sends.
    pub async fn inject_fault(&self, fault: Fault, count: u32) {
        let mut data = self.inner.data.lock().await;
        for _ in 0..count {
            data.faults.push_back(fault.clone());
        }
    }

    /// How many injected faults no request has taken yet.
    pub async fn faults_left(&self) -> usize {
        self.inner.data.lock().await.faults.len()
    }

    pub async fn clear_faults(&self) {
        let mut data = self.inner.data.lock().await;
        data.faults.clear();
        data.media_faults.clear();
    }

    /// Queues a fault for the next `count` media downloads (`GET /{media-id}` and its URL).
    pub async fn inject_media_fault(&self, fault: MediaFault, count: u32) {
        let mut data = self.inner.data.lock().await;
        for _ in 0..count {
            data.media_faults.push_back(fault);
        }
    }

    /// Moves the contact's last message to `at` (Unix seconds) without a webhook: tests open or close the
    /// window this way.
    pub async fn set_last_inbound(&self, number: &str, at: i64) {
        let wa_id = self.wa_id_for(number);
        let mut data = self.inner.data.lock().await;
        let contact = data.contacts.entry(wa_id.clone()).or_insert_with(|| ContactRecord {
            name: wa_id.clone(),
            last_inbound: None,
            log: vec![],
        });
        contact.last_inbound = Some(at);
    }

    /// Changes a template's status and tells Atende (`message_template_status_update`), as Meta does after a
    /// review. `false` when no such template exists.
    pub async fn set_template_status(
        &self,
        name: &str,
        language: &str,
        status: TemplateStatus,
        reason: Option<&str>,
    ) -> Result<bool, SandboxError> {
        let update = {
            let mut data = self.inner.data.lock().await;
            let Some(template) = data.templates.iter_mut().find(|t| t.name == name && t.language == language)
            else {
                return Ok(false);
            };
            template.status = status;
            TemplateStatusUpdate {
                event: status,
                message_template_id: template.id.parse().unwrap_or(0),
                message_template_name: template.name.clone(),
                message_template_language: template.language.clone(),
                reason: Some(reason.unwrap_or("NONE").to_owned()),
                other_info: None,
                rejection_info: None,
            }
        };
        let notification =
            Notification::single(self.inner.config.waba_id.clone(), Change::TemplateStatus(update));
        self.deliver(&notification).await.map(|_| true)
    }

    /// A contact writes to the business: the window opens (or restarts) and Atende receives the signed
    /// webhook. Returns once Atende acknowledged it.
    pub async fn simulate_inbound(&self, inbound: SimulatedInbound) -> Result<InboundReceipt, SandboxError> {
        self.simulate_inbound_at(inbound, 0).await
    }

    /// As [`Self::simulate_inbound`], for a message the contact sent `seconds_ago` (to try a window that
    /// closed meanwhile).
    pub async fn simulate_inbound_at(
        &self,
        inbound: SimulatedInbound,
        seconds_ago: i64,
    ) -> Result<InboundReceipt, SandboxError> {
        let number = digits(&inbound.number);
        if !(10..=15).contains(&number.len()) {
            return Err(SandboxError::InvalidNumber);
        }
        let wa_id = self.wa_id_for(&number);
        let name =
            if inbound.name.trim().is_empty() { wa_id.clone() } else { inbound.name.trim().to_owned() };
        let message_id = new_id("wamid.SBXIN");
        let now = unix_now().saturating_sub(seconds_ago.max(0));
        let (content, summary) = match inbound.content {
            SimulatedContent::Text(text) => {
                if text.trim().is_empty() {
                    return Err(SandboxError::EmptyMessage);
                }
                (
                    InboundContent::Text(crate::providers::whatsapp::wire::TextContent {
                        body: text.clone(),
                    }),
                    text,
                )
            }
            SimulatedContent::Image { caption } => {
                let media = self
                    .store_media(super::samples::SAMPLE_IMAGE_MIME, super::samples::SAMPLE_IMAGE.to_vec())
                    .await;
                let summary = format!("[imagem] {}", caption.clone().unwrap_or_default());
                (
                    InboundContent::Image(crate::providers::whatsapp::wire::InboundMedia {
                        caption,
                        ..media
                    }),
                    summary,
                )
            }
            SimulatedContent::Document { caption } => {
                let media = self
                    .store_media(
                        super::samples::SAMPLE_DOCUMENT_MIME,
                        super::samples::SAMPLE_DOCUMENT.as_bytes().to_vec(),
                    )
                    .await;
                let summary = format!(
                    "[arquivo {}] {}",
                    super::samples::SAMPLE_DOCUMENT_NAME,
                    caption.clone().unwrap_or_default()
                );
                let media = crate::providers::whatsapp::wire::InboundMedia {
                    caption,
                    filename: Some(super::samples::SAMPLE_DOCUMENT_NAME.into()),
                    ..media
                };
                (InboundContent::Document(media), summary)
            }
            SimulatedContent::Video { caption } => {
                let media = self
                    .store_media(super::samples::SAMPLE_VIDEO_MIME, super::samples::SAMPLE_VIDEO.to_vec())
                    .await;
                let summary = format!("[vídeo] {}", caption.clone().unwrap_or_default());
                (
                    InboundContent::Video(crate::providers::whatsapp::wire::InboundMedia {
                        caption,
                        ..media
                    }),
                    summary,
                )
            }
            SimulatedContent::VoiceNote => {
                let media = self
                    .store_media(super::samples::SAMPLE_VOICE_MIME, super::samples::SAMPLE_VOICE.to_vec())
                    .await;
                let media = crate::providers::whatsapp::wire::InboundMedia { voice: Some(true), ..media };
                (InboundContent::Audio(media), "[áudio de voz]".to_owned())
            }
            SimulatedContent::SharedContact => {
                let (name, phone, wa_id) = super::samples::SAMPLE_CONTACT;
                let card = serde_json::json!({ "name": { "formatted_name": name, "first_name": name },
                    "phones": [{ "phone": phone, "wa_id": wa_id, "type": "CELL" }] });
                (InboundContent::Contacts(vec![card]), format!("[contato] {name}"))
            }
            SimulatedContent::Reaction { emoji } => {
                let wa_id = self.wa_id_for(&number);
                let last = self
                    .inner
                    .data
                    .lock()
                    .await
                    .sent
                    .iter()
                    .rev()
                    .find(|s| s.wa_id == wa_id)
                    .map(|s| s.id.clone());
                let Some(message_id) = last else { return Err(SandboxError::NothingToReactTo) };
                let reaction =
                    crate::providers::whatsapp::wire::Reaction { message_id, emoji: Some(emoji.clone()) };
                (InboundContent::Reaction(reaction), format!("[reação] {emoji}"))
            }
            SimulatedContent::Location { name } => {
                let (latitude, longitude, address) = super::samples::SAMPLE_LOCATION;
                let summary = format!("[localização] {}", name.clone().unwrap_or_else(|| address.to_owned()));
                let location = crate::providers::whatsapp::wire::Location {
                    latitude,
                    longitude,
                    name,
                    address: Some(address.to_owned()),
                    url: None,
                };
                (InboundContent::Location(location), summary)
            }
            SimulatedContent::Upload { as_image, filename, mime_type, bytes, caption } => {
                if bytes.len() > MAX_UPLOAD_BYTES {
                    return Err(SandboxError::TooLarge);
                }
                if as_image {
                    if !["image/jpeg", "image/png"].contains(&mime_type.as_str()) {
                        return Err(SandboxError::NotAnImage);
                    }
                    let media = self.store_media(&mime_type, bytes).await;
                    let summary = format!("[imagem {filename}] {}", caption.clone().unwrap_or_default());
                    (
                        InboundContent::Image(crate::providers::whatsapp::wire::InboundMedia {
                            caption,
                            ..media
                        }),
                        summary,
                    )
                } else {
                    let media = self.store_media(&mime_type, bytes).await;
                    let summary = format!("[arquivo {filename}] {}", caption.clone().unwrap_or_default());
                    let media = crate::providers::whatsapp::wire::InboundMedia {
                        caption,
                        filename: Some(filename),
                        ..media
                    };
                    (InboundContent::Document(media), summary)
                }
            }
        };
        {
            let mut data = self.inner.data.lock().await;
            let contact = data.contacts.entry(wa_id.clone()).or_insert_with(|| ContactRecord {
                name: name.clone(),
                last_inbound: None,
                log: vec![],
            });
            contact.name = name.clone();
            contact.last_inbound = Some(now);
            contact.log.push(LogLine {
                inbound: true,
                at: now,
                text: summary,
                message_id: message_id.clone(),
            });
        }
        let value = MessagesValue {
            messaging_product: MESSAGING_PRODUCT.into(),
            metadata: self.metadata(),
            contacts: vec![WebhookContact {
                profile: Some(crate::providers::whatsapp::wire::Profile { name: Some(name) }),
                wa_id: Some(wa_id.clone()),
                user_id: None,
            }],
            messages: vec![InboundMessage {
                from: Some(wa_id.clone()),
                from_user_id: None,
                id: message_id.clone(),
                timestamp: now.to_string(),
                context: None,
                referral: None,
                errors: vec![],
                content,
            }],
            statuses: vec![],
            errors: vec![],
        };
        let notification = Notification::single(self.inner.config.waba_id.clone(), Change::Messages(value));
        self.deliver(&notification).await?;
        Ok(InboundReceipt { message_id, wa_id })
    }

    pub(super) async fn store_media(
        &self,
        mime_type: &str,
        bytes: Vec<u8>,
    ) -> crate::providers::whatsapp::wire::InboundMedia {
        use sha2::Digest;
        let id = new_id("").chars().filter(char::is_ascii_digit).collect::<String>();
        let id = format!("9{id}");
        let sha256 = base64(&sha2::Sha256::digest(&bytes));
        let cap = self.inner.config.media_memory_bytes;
        let mut data = self.inner.data.lock().await;
        data.media_bytes += bytes.len();
        data.media_order.push_back(id.clone());
        data.media
            .insert(id.clone(), StoredMedia { mime_type: mime_type.into(), sha256: sha256.clone(), bytes });
        // Forget the oldest files beyond the cap (never the one just stored).
        while data.media_bytes > cap && data.media_order.len() > 1 {
            let Some(oldest) = data.media_order.pop_front() else { break };
            if let Some(gone) = data.media.remove(&oldest) {
                data.media_bytes -= gone.bytes.len();
            }
        }
        drop(data);
        crate::providers::whatsapp::wire::InboundMedia {
            id,
            mime_type: Some(mime_type.into()),
            sha256: Some(sha256),
            ..Default::default()
        }
    }

    fn metadata(&self) -> Metadata {
        Metadata {
            display_phone_number: self.inner.config.display_phone_number.clone(),
            phone_number_id: self.inner.config.phone_number_id.clone(),
        }
    }

    /// Sends the last webhook again, byte for byte the same (Meta's duplicate deliveries): Atende must ignore
    /// it. `None` when nothing was sent yet.
    pub async fn redeliver_last_webhook(&self) -> Result<Option<u16>, SandboxError> {
        let last = self.inner.data.lock().await.last_webhook.clone();
        match last {
            Some(notification) => self.deliver(&notification).await.map(Some),
            None => Ok(None),
        }
    }

    /// POSTs the notification to Atende, signed over the exact bytes sent, retrying while it is not
    /// acknowledged, for `webhook_retry_for` (Meta retries for days).
    async fn deliver(&self, notification: &Notification) -> Result<u16, SandboxError> {
        let json = serde_json::to_string(notification).map_err(|e| SandboxError::Delivery(e.to_string()))?;
        // Meta sends non-ASCII characters escaped (\u00e9) and signs that text.
        let body = escape_non_ascii(&json).into_bytes();
        let signature = signature_header(self.inner.config.app_secret.as_bytes(), &body);
        self.inner.data.lock().await.last_webhook = Some(notification.clone());
        let headers = [(SIGNATURE_HEADER, signature.as_str())];
        let config = &self.inner.config;
        post_with_retry(&self.inner.http, &config.webhook_url, &headers, body, config.webhook_retry_for).await
    }

    /// Reports `sent`, `delivered` and `read` (each after `status_delay`), or a single `failed`.
    pub(super) async fn report_statuses(
        self,
        message_id: String,
        wa_id: String,
        opaque: Option<String>,
        outcome: Outcome,
        quirks: Quirks,
    ) {
        let delay = self.inner.config.status_delay;
        let steps: Vec<(StatusKind, Option<WebhookError>)> = match &outcome {
            Outcome::Delivered { .. } if quirks.reorder => {
                vec![(StatusKind::Sent, None), (StatusKind::Read, None), (StatusKind::Delivered, None)]
            }
            Outcome::Delivered { .. } => {
                vec![(StatusKind::Sent, None), (StatusKind::Delivered, None), (StatusKind::Read, None)]
            }
            Outcome::Failed(error) => vec![(StatusKind::Failed, Some(error.clone()))],
        };
        for (kind, error) in steps {
            tokio::time::sleep(delay).await;
            let now = unix_now();
            let (pricing, conversation) = match &outcome {
                Outcome::Delivered { pricing } => {
                    let conversation = (kind != StatusKind::Read).then(|| Conversation {
                        id: format!("CONV{}", digits(&message_id)),
                        expiration_timestamp: (kind == StatusKind::Sent)
                            .then(|| (now + 24 * 60 * 60).to_string()),
                        origin: Some(ConversationOrigin { kind: pricing.category.clone() }),
                    });
                    (Some(pricing.clone()), conversation)
                }
                Outcome::Failed(_) => (None, None),
            };
            let status = Status {
                id: message_id.clone(),
                status: kind,
                timestamp: now.to_string(),
                recipient_id: Some(wa_id.clone()),
                recipient_user_id: None,
                biz_opaque_callback_data: opaque.clone(),
                conversation,
                pricing,
                errors: error.into_iter().collect(),
            };
            {
                let mut data = self.inner.data.lock().await;
                // From the newest: the message is one of the last sent.
                if let Some(sent) = data.sent.iter_mut().rev().find(|m| m.id == message_id) {
                    sent.status = serde_json::to_value(kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                }
            }
            let value = MessagesValue {
                messaging_product: MESSAGING_PRODUCT.into(),
                metadata: self.metadata(),
                contacts: vec![],
                messages: vec![],
                statuses: vec![status],
                errors: vec![],
            };
            let notification =
                Notification::single(self.inner.config.waba_id.clone(), Change::Messages(value));
            for _ in 0..if quirks.duplicate { 2 } else { 1 } {
                if let Err(e) = self.deliver(&notification).await {
                    tracing::warn!(%message_id, error = %e, "sandbox status webhook lost");
                }
            }
        }
    }
}

/// How the status webhooks of one message misbehave, when a fault asked for it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Quirks {
    pub(super) duplicate: bool,
    pub(super) reorder: bool,
}

/// What will happen to an accepted message.
#[derive(Debug, Clone)]
pub(super) enum Outcome {
    Delivered { pricing: Pricing },
    Failed(WebhookError),
}

/// Per-message pricing (§4, §9): templates are billed by category, except utility inside an open window;
/// free-form messages are free customer service.
pub(super) fn pricing(
    category: Option<crate::providers::whatsapp::wire::TemplateCategory>,
    window_open: bool,
) -> Pricing {
    use crate::providers::whatsapp::wire::TemplateCategory;
    let (billable, kind, category) = match category {
        None => (false, "free_customer_service", "service"),
        Some(TemplateCategory::Utility) if window_open => (false, "free_customer_service", "utility"),
        Some(category) => (true, "regular", category.pricing_category()),
    };
    Pricing {
        billable: Some(billable),
        pricing_model: "PMP".into(),
        category: category.into(),
        kind: Some(kind.into()),
    }
}

/// POSTs a JSON `body` with `headers` to `url`, retrying while it is not acknowledged (any 2xx), for up to
/// `retry_for`, as Meta and Evolution do with webhooks.
pub(crate) async fn post_with_retry(
    http: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    retry_for: Duration,
) -> Result<u16, SandboxError> {
    let give_up_at = Instant::now() + retry_for;
    let mut pause = Duration::from_millis(100);
    for attempt in 1.. {
        let mut request =
            http.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body.clone());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let error = match request.send().await {
            Ok(response) if response.status().is_success() => return Ok(response.status().as_u16()),
            Ok(response) => format!("HTTP {}", response.status()),
            Err(e) => e.to_string(),
        };
        tracing::warn!(attempt, %error, url, "sandbox webhook not acknowledged");
        if Instant::now() + pause > give_up_at {
            return Err(SandboxError::Delivery(error));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
    unreachable!("the loop only ends by returning")
}

/// Escapes every non-ASCII character as `\uXXXX` (UTF-16, surrogate pairs beyond the BMP). Only valid on JSON
/// text, where non-ASCII characters can only appear inside strings.
pub(crate) fn escape_non_ascii(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Standard base64 with padding (Meta's `sha256` of media).
pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A Graph error answer: an HTTP status and Meta's envelope.
#[derive(Debug, Clone)]
pub(crate) struct GraphFailure {
    pub(super) status: StatusCode,
    // Boxed: handlers return `Result<_, GraphFailure>` and the envelope is large.
    pub(super) error: Box<GraphError>,
}

impl GraphFailure {
    pub(super) fn new(
        status: StatusCode,
        code: i64,
        message: impl Into<String>,
        details: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error: Box::new(GraphError {
                message: message.into(),
                kind: Some("OAuthException".into()),
                code,
                error_subcode: None,
                error_user_title: None,
                error_user_msg: None,
                error_data: Some(ErrorData {
                    messaging_product: Some(MESSAGING_PRODUCT.into()),
                    details: Some(details.into()),
                }),
                fbtrace_id: Some(new_id("SBX")),
            }),
        }
    }

    pub(super) fn template(code: i64, message: &str, details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message, details)
    }

    pub(super) fn invalid_parameter(details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 100, "(#100) Invalid parameter", details)
    }

    pub(super) fn unknown_object(id: &str) -> Self {
        let mut failure = Self::new(
            StatusCode::BAD_REQUEST,
            100,
            format!(
                "Unsupported post request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
            "",
        );
        failure.error.error_subcode = Some(33);
        failure.error.error_data = None;
        failure
    }
}

impl IntoResponse for GraphFailure {
    fn into_response(self) -> Response {
        (self.status, Json(crate::providers::whatsapp::wire::ErrorEnvelope { error: *self.error }))
            .into_response()
    }
}

/// The sandbox's routes, to be mounted under `/sandbox`.
pub fn router(state: SandboxState) -> Router {
    Router::new()
        .route("/graph/v23.0/{phone_number_id}/messages", post(super::graph::send_message))
        .route("/graph/v23.0/{waba_id}/message_templates", get(super::graph::list_templates))
        .route("/graph/v23.0/{media_id}", get(super::graph::media_info))
        .route(
            "/graph/v23.0/{phone_number_id}/media",
            post(super::graph::upload_media).layer(axum::extract::DefaultBodyLimit::max(110 * 1024 * 1024)),
        )
        .route("/media/{media_id}", get(super::graph::media_bytes))
        .route("/faults", post(super::graph::add_faults).delete(super::graph::clear_faults))
        .route(
            "/simulador",
            get(super::simulator::page)
                .post(super::simulator::submit)
                // Room for the upload plus the form fields.
                .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ninth_digit_is_dropped_only_for_configured_old_numbers() {
        let state = SandboxState::new(SandboxConfig {
            old_numbers: vec!["+55 (31) 98888-7777".into()],
            ..SandboxConfig::default()
        });
        assert_eq!(state.wa_id_for("+55 31 98888-7777"), "553188887777");
        assert_eq!(state.wa_id_for("553188887777"), "553188887777");
        assert_eq!(state.wa_id_for("+55 11 98765-4321"), "5511987654321");
        assert_eq!(state.wa_id_for("551187654321"), "5511987654321", "a 12-digit mobile gains its 9");
        assert_eq!(state.wa_id_for("551132654321"), "551132654321", "landlines are left alone");
        assert_eq!(state.wa_id_for("+1 650 555 1234"), "16505551234");
    }

    #[test]
    fn pricing_follows_per_message_rules() {
        use crate::providers::whatsapp::wire::TemplateCategory::{Authentication, Marketing, Utility};
        let p = pricing(Some(Utility), true);
        assert_eq!(
            (p.billable, p.kind.as_deref(), p.category.as_str()),
            (Some(false), Some("free_customer_service"), "utility")
        );
        let p = pricing(Some(Utility), false);
        assert_eq!(
            (p.billable, p.kind.as_deref(), p.category.as_str()),
            (Some(true), Some("regular"), "utility")
        );
        assert_eq!(pricing(Some(Marketing), true).category, "marketing");
        assert_eq!(pricing(Some(Authentication), true).billable, Some(true));
        let p = pricing(None, true);
        assert_eq!((p.billable, p.category.as_str()), (Some(false), "service"));
        assert_eq!(p.pricing_model, "PMP");
    }

    #[test]
    fn non_ascii_is_escaped_like_meta_does() {
        assert_eq!(escape_non_ascii(r#"{"a":"é 👍"}"#), r#"{"a":"\u00e9 \ud83d\udc4d"}"#);
        let parsed: serde_json::Value =
            serde_json::from_str(&escape_non_ascii(r#"{"a":"é 👍"}"#)).expect("JSON");
        assert_eq!(parsed["a"], "é 👍");
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn secrets_are_never_printed() {
        let state = SandboxState::new(SandboxConfig {
            app_secret: "segredo-xyz".into(),
            access_token: "token-xyz".into(),
            ..SandboxConfig::default()
        });
        let printed = format!("{state:?}");
        assert!(!printed.contains("segredo-xyz") && !printed.contains("token-xyz"), "{printed}");
    }
}
