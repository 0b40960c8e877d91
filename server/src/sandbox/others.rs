//! The other channels of the sandbox: an Evolution API v2 instance (the "API Não Oficial") and Meta's
//! Messenger and Instagram Send API, with the same care as the Cloud API fake: their wire formats, their
//! authentication, their errors, their windows, webhooks back to Atende (Evolution's with the instance's
//! bearer header and `apikey`, Meta's signed with the app secret) retried while Atende does not answer, and
//! the same injected faults (`POST /sandbox/faults` with `"channel"`, see [`super::Fault`]).
//!
//! | route (under the mount) | what |
//! |---|---|
//! | `POST /evolution/message/sendText/{instance}` | text: `apikey` header, 201 + the message as Baileys built it, errors as Evolution answers them |
//! | `POST /evolution/message/sendMedia/{instance}` | image, video, audio or document by link or raw base64 (with its file name), with caption |
//! | `POST /evolution/message/sendWhatsAppAudio/{instance}` | a voice note by link or raw base64 |
//! | `POST /evolution/message/sendReaction/{instance}` | an emoji on a message by its key (only an emoji, as Evolution validates it); `quoted.key.id` on the other sends answers a message |
//! | `POST /evolution/connection` | `{"connected": false}` makes sends fail with "Connection Closed" (tests) |
//! | `POST /meta/v23.0/{page or ig id}/messages` | Send API: bearer token, window (code 10 with 2018278 / 2534022), HUMAN_AGENT up to 7 days, text length (2000 characters / 1000 bytes) |
//! | `POST /meta/v23.0/{page or ig id}/message_attachments` | Attachment Upload API: multipart `message` + `filedata` (`platform=instagram` on Instagram), answers the `attachment_id` a send then names |
//! | `GET /meta/v23.0/{psid or igsid}` | the person's profile |
//! | `GET /meta/cdn/{file}` | the sample picture and file simulated people send |
//!
//! Every accepted send is echoed as the provider does (Evolution's `send.message` with `imageMessage`,
//! `documentMessage`… as Baileys builds them; Meta's `message_echoes` carrying the sender's `metadata`), then
//! receipts follow (Evolution's `messages.update`; Messenger's delivery and read by watermark, Instagram's read
//! naming the message).

use super::samples::{
    SAMPLE_CONTACT, SAMPLE_DOCUMENT, SAMPLE_DOCUMENT_MIME, SAMPLE_DOCUMENT_NAME, SAMPLE_IMAGE,
    SAMPLE_IMAGE_MIME, SAMPLE_LOCATION, SAMPLE_VIDEO, SAMPLE_VIDEO_MIME, SAMPLE_VIDEO_NAME, SAMPLE_VOICE,
    SAMPLE_VOICE_MIME, SAMPLE_VOICE_NAME,
};
use super::{
    digits, escape_non_ascii, new_id, post_with_retry, unix_millis, unix_now, Fault, Quirks, SimulatedContent,
};
use crate::providers::evolution::wire::{
    ErrorEnvelope, ErrorResponse, Key, MessageRecord, SendAudio, SendMedia, SendText, StatusData,
    WebhookEvent,
};
use crate::providers::meta::wire::{
    Attachment, AttachmentPayload, Delivery, Entry, Event, IncomingMessage, Messaging, Party, Profile, Read,
    SendRequest, SendResponse,
};
use crate::providers::whatsapp::wire::{signature_header, SIGNATURE_HEADER};
use atende_domain::channel::TextLimit;
use atende_domain::conversation::ChannelKind;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// How the other channels behave. `Debug` prints no secret.
#[derive(Clone)]
pub struct OthersConfig {
    /// Atende's `/webhooks/evolution`.
    pub evolution_webhook_url: String,
    pub evolution_instance: String,
    /// The instance token (header `apikey` on sends; `apikey` in webhook bodies).
    pub evolution_api_key: String,
    /// Sent as `Authorization: Bearer …` on webhooks (the instance's webhook headers).
    pub evolution_webhook_token: String,
    /// Numbers Evolution finds no WhatsApp for (`[{"exists":false}]`).
    pub evolution_without_whatsapp: Vec<String>,
    /// Atende's `/webhooks/meta`.
    pub meta_webhook_url: String,
    /// Signs Messenger and Instagram webhooks.
    pub meta_app_secret: String,
    /// The page (Messenger) and the professional account (Instagram).
    pub page_id: String,
    pub instagram_id: String,
    /// The page token the Send API expects as `Authorization: Bearer …`.
    pub meta_token: String,
    /// Where this fake is served (`http://…/sandbox`): the attachments of simulated people link there.
    pub public_url: String,
    /// The pause before each receipt webhook.
    pub status_delay: Duration,
    pub webhook_retry_for: Duration,
    /// Meta's standard window (24 hours) and the HUMAN_AGENT one (7 days); shorter in tests.
    pub service_window: Duration,
    pub human_agent_window: Duration,
}

impl Default for OthersConfig {
    fn default() -> Self {
        Self {
            evolution_webhook_url: "http://127.0.0.1:3000/webhooks/evolution".into(),
            evolution_instance: "atende-sandbox".into(),
            evolution_api_key: "chave-da-instancia".into(),
            evolution_webhook_token: "token-do-webhook".into(),
            evolution_without_whatsapp: vec![DEMO_NO_WHATSAPP.into()],
            meta_webhook_url: "http://127.0.0.1:3000/webhooks/meta".into(),
            meta_app_secret: "segredo-do-app".into(),
            page_id: "109876543210987".into(),
            instagram_id: "17841400000000001".into(),
            meta_token: "token-da-pagina".into(),
            public_url: "http://127.0.0.1:3000/sandbox".into(),
            status_delay: Duration::from_millis(500),
            webhook_retry_for: Duration::from_secs(30),
            service_window: Duration::from_secs(24 * 60 * 60),
            human_agent_window: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

/// A number the sandbox's Evolution instance says has no WhatsApp.
pub const DEMO_NO_WHATSAPP: &str = "5511900000000";

impl std::fmt::Debug for OthersConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OthersConfig")
            .field("evolution_instance", &self.evolution_instance)
            .field("page_id", &self.page_id)
            .field("instagram_id", &self.instagram_id)
            .finish_non_exhaustive()
    }
}

/// An attachment Atende sent, as the provider took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMedia {
    /// Evolution's `mediatype` (`image`, `video`, `document`, `audio`) or the Send API's attachment `type`
    /// (`image`, `video`, `audio`, `file`).
    pub kind: String,
    pub link: String,
    pub caption: Option<String>,
    /// The file name the contact sees (Evolution's `fileName`, or what it makes up without one).
    pub file_name: Option<String>,
    /// A file given as bytes (base64 to Evolution, an upload to Meta): their SHA-256 in hex.
    pub sha256: Option<String>,
    /// Sent as a voice note (Evolution's `sendWhatsAppAudio`).
    pub voice: bool,
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Evolution's `media`/`audio` field: a link, or the file's bytes in raw base64. `Err` for anything else.
fn link_or_base64(media: &str) -> Result<(String, Option<String>), ()> {
    use base64::Engine as _;
    if media.starts_with("https://") {
        return Ok((media.to_owned(), None));
    }
    match base64::engine::general_purpose::STANDARD.decode(media) {
        Ok(bytes) if !bytes.is_empty() => Ok(("base64".to_owned(), Some(sha256_hex(&bytes)))),
        _ => Err(()),
    }
}

/// A message Atende sent through one of these channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherSent {
    pub channel: ChannelKind,
    /// The number (Evolution) or the scoped id (Meta).
    pub to: String,
    /// What the contact sees: the text, or `[image] link — caption`.
    pub text: String,
    pub media: Option<SentMedia>,
    /// `HUMAN_AGENT` when tagged.
    pub tag: Option<String>,
    pub id: String,
    /// The message it answers (Evolution's `quoted.key.id`, Meta's `reply_to.mid`), or a reaction's message.
    pub reply_to: Option<String>,
}

/// A webhook as it was POSTed, to deliver it again byte for byte.
#[derive(Clone)]
struct Posted {
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

#[derive(Default)]
struct OthersData {
    /// Meta people by (channel, scoped id): name and the unix second of their last message.
    people: BTreeMap<(String, String), (String, i64)>,
    sent: Vec<OtherSent>,
    disconnected: bool,
    /// Faults for the next sends, per channel (its code).
    faults: BTreeMap<String, VecDeque<Fault>>,
    last_webhook: Option<Posted>,
    /// What the business told people without a message (channel, to, action): `read` with the message id
    /// on the gateway, `mark_seen`, `typing_on`, `composing`.
    acknowledgements: Vec<(ChannelKind, String, String)>,
    /// Files uploaded with `/message_attachments`, by attachment id: (channel, type, SHA-256 in hex).
    uploads: HashMap<String, (ChannelKind, String, String)>,
}

struct OthersInner {
    config: OthersConfig,
    http: reqwest::Client,
    data: Mutex<OthersData>,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct OthersSandbox {
    inner: Arc<OthersInner>,
}

fn channel_key(kind: ChannelKind) -> String {
    kind.code().to_owned()
}

/// What one send does once its fault (if any) is applied: refused with an answer, or taken, with its echo and
/// receipts misbehaving as asked.
enum Taken {
    Refused(Response),
    Accepted(Plan),
}

/// How an accepted send's webhooks and answer go.
#[derive(Debug, Clone, Copy, Default)]
struct Plan {
    quirks: Quirks,
    /// Report the message failed (Evolution's `ERROR` receipt).
    fail: bool,
    /// Take the message but answer a 500 after this long: the sender never learns it went.
    lose_answer_after: Option<Duration>,
    /// Take the message and answer normally, after this long.
    slow_answer_after: Option<Duration>,
}

/// How each provider words an error answer: HTTP status, provider code (Meta), message.
type Refusal = fn(StatusCode, Option<i64>, String) -> Response;

/// Applies the next fault of a send, as the Cloud API fake does: an error now, a hang, or an accepted send
/// whose webhooks or answer misbehave.
async fn apply_fault(fault: Option<Fault>, refuse: Refusal) -> Taken {
    let status = |code: Option<u16>, default: StatusCode| {
        code.and_then(|c| StatusCode::from_u16(c).ok()).unwrap_or(default)
    };
    let mut plan = Plan::default();
    match fault {
        None | Some(Fault::Pass) => {}
        Some(Fault::ServerError { status: code }) => {
            return Taken::Refused(refuse(
                status(code, StatusCode::INTERNAL_SERVER_ERROR),
                Some(2),
                "An unexpected error has occurred. Please retry your request later.".into(),
            ))
        }
        Some(Fault::Error { code, http_status, message, details: _ }) => {
            // Evolution has no codes of its own: a code that is an HTTP status is the status.
            let as_status = u16::try_from(code).ok().filter(|c| (400..=599).contains(c));
            return Taken::Refused(refuse(
                status(http_status.or(as_status), StatusCode::BAD_REQUEST),
                Some(code),
                message.unwrap_or_else(|| format!("(#{code}) Erro injetado no sandbox")),
            ));
        }
        Some(Fault::Timeout { seconds }) => {
            tokio::time::sleep(Duration::from_secs(seconds.unwrap_or(60))).await;
            return Taken::Refused(refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some(2),
                "The sandbox was told to time out.".into(),
            ));
        }
        Some(Fault::FailedStatus { .. }) => plan.fail = true,
        Some(Fault::DuplicateStatuses) => plan.quirks.duplicate = true,
        Some(Fault::ReorderStatuses) => plan.quirks.reorder = true,
        Some(Fault::LoseAnswer { seconds }) => {
            plan.lose_answer_after = Some(Duration::from_secs(seconds.unwrap_or(60)));
        }
        Some(Fault::SlowAnswer { seconds }) => {
            plan.slow_answer_after = Some(Duration::from_secs(seconds.unwrap_or(2)));
        }
    }
    Taken::Accepted(plan)
}

impl OthersSandbox {
    pub fn new(config: OthersConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { inner: Arc::new(OthersInner { config, http, data: Mutex::new(OthersData::default()) }) }
    }

    pub fn config(&self) -> &OthersConfig {
        &self.inner.config
    }

    /// What Atende sent through these channels, oldest first.
    pub async fn sent(&self) -> Vec<OtherSent> {
        self.inner.data.lock().await.sent.clone()
    }

    /// Read receipts and typing the business sent: (channel, to, action).
    pub async fn acknowledgements(&self) -> Vec<(ChannelKind, String, String)> {
        self.inner.data.lock().await.acknowledgements.clone()
    }

    /// Queues `fault` for the next `count` sends on `kind`. Messenger and Instagram report no failure by
    /// webhook, so `failed_status` does not exist there.
    pub async fn inject_fault(
        &self,
        kind: ChannelKind,
        fault: Fault,
        count: u32,
    ) -> Result<usize, super::SandboxError> {
        let meta = matches!(kind, ChannelKind::Messenger | ChannelKind::Instagram);
        if kind == ChannelKind::WhatsappOfficial || (meta && matches!(fault, Fault::FailedStatus { .. })) {
            return Err(super::SandboxError::FaultNotOnChannel { channel: kind.label().to_owned() });
        }
        let mut data = self.inner.data.lock().await;
        let queue = data.faults.entry(channel_key(kind)).or_default();
        queue.extend(std::iter::repeat_n(fault, count as usize));
        Ok(queue.len())
    }

    pub async fn clear_faults(&self) {
        self.inner.data.lock().await.faults.clear();
    }

    async fn next_fault(&self, kind: ChannelKind) -> Option<Fault> {
        self.inner.data.lock().await.faults.get_mut(&channel_key(kind)).and_then(VecDeque::pop_front)
    }

    /// The id Meta would give a person (`kind` Messenger or Instagram) who writes from `number`.
    pub fn scoped_id(kind: ChannelKind, number: &str) -> String {
        let prefix = if kind == ChannelKind::Instagram { "17" } else { "24" };
        format!("{prefix}{:0>14}", digits(number))
    }

    /// Moves the last message of the person who writes from `number` on `kind` (Messenger or Instagram) to
    /// `seconds_ago`, without a webhook: Meta's window closes while Atende's clock still counts it open (tests
    /// of the outside-window refusal).
    pub async fn set_last_contact(&self, kind: ChannelKind, number: &str, seconds_ago: i64) {
        let person = Self::scoped_id(kind, number);
        if let Some(entry) = self.inner.data.lock().await.people.get_mut(&(channel_key(kind), person)) {
            entry.1 = unix_now().saturating_sub(seconds_ago.max(0));
        }
    }

    /// Sends the last webhook again, byte for byte (providers redeliver): Atende must ignore it. `None` when
    /// nothing was sent yet.
    pub async fn redeliver_last_webhook(&self) -> Result<Option<u16>, super::SandboxError> {
        let last = self.inner.data.lock().await.last_webhook.clone();
        match last {
            Some(posted) => self.post(posted).await.map(Some),
            None => Ok(None),
        }
    }

    /// A person writes `text` on `kind` (not the official WhatsApp) `seconds_ago`; Atende gets the webhook.
    /// Returns the provider's message id.
    pub async fn simulate(
        &self,
        kind: ChannelKind,
        number: &str,
        name: &str,
        text: &str,
        seconds_ago: i64,
    ) -> Result<String, super::SandboxError> {
        self.simulate_content(kind, number, name, SimulatedContent::Text(text.to_owned()), seconds_ago).await
    }

    /// As [`Self::simulate`], with a text, the sample picture or the sample file (with a caption), as each
    /// provider's webhook carries them. A file the person chose is for the official WhatsApp only.
    pub async fn simulate_content(
        &self,
        kind: ChannelKind,
        number: &str,
        name: &str,
        content: SimulatedContent,
        seconds_ago: i64,
    ) -> Result<String, super::SandboxError> {
        let number = digits(number);
        if !(10..=15).contains(&number.len()) {
            return Err(super::SandboxError::InvalidNumber);
        }
        let content = match content {
            SimulatedContent::Text(text) if text.trim().is_empty() => {
                return Err(super::SandboxError::EmptyMessage)
            }
            SimulatedContent::Upload { .. } => return Err(super::SandboxError::SampleOnly),
            SimulatedContent::Reaction { .. } => {
                return Err(super::SandboxError::NotOnChannel { channel: kind.label().to_owned() })
            }
            other => other,
        };
        let at = unix_now().saturating_sub(seconds_ago.max(0));
        let name = if name.trim().is_empty() { number.clone() } else { name.trim().to_owned() };
        match kind {
            ChannelKind::WhatsappUnofficial => {
                let id = format!("3A{}", hex_id());
                let (message_type, message) = evolution_inbound(&content, &id);
                let record = MessageRecord {
                    key: Key {
                        remote_jid: format!("{number}@s.whatsapp.net"),
                        from_me: false,
                        id: id.clone(),
                        remote_jid_alt: None,
                        sender_pn: None,
                    },
                    push_name: Some(name),
                    status: Some("DELIVERY_ACK".into()),
                    message: Some(message),
                    message_type: Some(message_type.into()),
                    message_timestamp: Some(json!(at)),
                };
                self.deliver_evolution("messages.upsert", serde_json::to_value(record).unwrap_or_default())
                    .await?;
                Ok(id)
            }
            ChannelKind::Messenger | ChannelKind::Instagram => {
                let person = Self::scoped_id(kind, &number);
                self.inner.data.lock().await.people.insert((channel_key(kind), person.clone()), (name, at));
                let message = |mid: String, text: Option<String>, attachments: Vec<Attachment>| Messaging {
                    sender: Party { id: person.clone() },
                    recipient: Party { id: self.account_of(kind).to_owned() },
                    timestamp: Some(at.saturating_mul(1000)),
                    message: Some(IncomingMessage {
                        mid,
                        text,
                        attachments,
                        is_echo: false,
                        quick_reply: None,
                        metadata: None,
                        reply_to: None,
                    }),
                    delivery: None,
                    read: None,
                    reaction: None,
                    postback: None,
                };
                let mid = format!("m_{}", hex_id());
                let (attachment, caption) = match content {
                    SimulatedContent::Image { caption } => (Some(("image", "amostra.jpg")), caption),
                    SimulatedContent::Document { caption } => (Some(("file", SAMPLE_DOCUMENT_NAME)), caption),
                    SimulatedContent::Video { caption } => (Some(("video", SAMPLE_VIDEO_NAME)), caption),
                    SimulatedContent::VoiceNote => (Some(("audio", SAMPLE_VOICE_NAME)), None),
                    SimulatedContent::Text(text) => (None, Some(text)),
                    SimulatedContent::Upload { .. } => return Err(super::SandboxError::SampleOnly),
                    SimulatedContent::SharedContact | SimulatedContent::Reaction { .. } => {
                        return Err(super::SandboxError::NotOnChannel { channel: kind.label().to_owned() })
                    }
                    // Meta no longer sends shared locations to pages (nor to Instagram accounts).
                    SimulatedContent::Location { .. } => {
                        return Err(super::SandboxError::NoLocationOnChannel {
                            channel: kind.label().to_owned(),
                        })
                    }
                };
                // Meta delivers a picture and the words typed with it as two messages.
                let events = match attachment {
                    None => vec![message(mid.clone(), caption, vec![])],
                    Some((kind, file)) => {
                        let url = format!("{}/meta/cdn/{file}", self.inner.config.public_url);
                        let payload = AttachmentPayload { url: Some(url), ..AttachmentPayload::default() };
                        let mut events =
                            vec![message(mid.clone(), None, vec![Attachment { kind: kind.into(), payload }])];
                        if let Some(caption) = caption.filter(|c| !c.trim().is_empty()) {
                            events.push(message(format!("m_{}", hex_id()), Some(caption), vec![]));
                        }
                        events
                    }
                };
                self.deliver_meta(kind, events).await?;
                Ok(mid)
            }
            ChannelKind::WhatsappOfficial => {
                Err(super::SandboxError::Delivery("use the Cloud API sandbox".into()))
            }
        }
    }

    fn account_of(&self, kind: ChannelKind) -> &str {
        if kind == ChannelKind::Instagram {
            &self.inner.config.instagram_id
        } else {
            &self.inner.config.page_id
        }
    }

    /// POSTs a webhook (retried while not acknowledged) and keeps it for [`Self::redeliver_last_webhook`].
    async fn post(&self, posted: Posted) -> Result<u16, super::SandboxError> {
        self.inner.data.lock().await.last_webhook = Some(posted.clone());
        let headers: Vec<(&str, &str)> =
            posted.headers.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        post_with_retry(
            &self.inner.http,
            &posted.url,
            &headers,
            posted.body,
            self.inner.config.webhook_retry_for,
        )
        .await
    }

    async fn deliver_evolution(&self, event: &str, data: Value) -> Result<u16, super::SandboxError> {
        let config = &self.inner.config;
        let event = WebhookEvent {
            event: event.into(),
            instance: config.evolution_instance.clone(),
            data,
            date_time: None,
            sender: None,
            apikey: Some(config.evolution_api_key.clone()),
        };
        let body = serde_json::to_vec(&event).map_err(|e| super::SandboxError::Delivery(e.to_string()))?;
        let bearer = format!("Bearer {}", config.evolution_webhook_token);
        self.post(Posted {
            url: config.evolution_webhook_url.clone(),
            headers: vec![(header::AUTHORIZATION.as_str().to_owned(), bearer)],
            body,
        })
        .await
    }

    async fn deliver_meta(
        &self,
        kind: ChannelKind,
        messaging: Vec<Messaging>,
    ) -> Result<u16, super::SandboxError> {
        let config = &self.inner.config;
        let event = Event {
            object: if kind == ChannelKind::Instagram { "instagram" } else { "page" }.into(),
            entry: vec![Entry { id: self.account_of(kind).to_owned(), time: Some(unix_millis()), messaging }],
        };
        let json = serde_json::to_string(&event).map_err(|e| super::SandboxError::Delivery(e.to_string()))?;
        let body = escape_non_ascii(&json).into_bytes();
        let signature = signature_header(config.meta_app_secret.as_bytes(), &body);
        self.post(Posted {
            url: config.meta_webhook_url.clone(),
            headers: vec![(SIGNATURE_HEADER.to_owned(), signature)],
            body,
        })
        .await
    }

    /// Evolution's echo of a send (`send.message`), then its receipts: SERVER_ACK, DELIVERY_ACK, READ (or
    /// ERROR), each as the plan says (twice, out of order).
    async fn evolution_webhooks(self, echo: Value, key_id: String, jid: String, plan: Plan) {
        let times = if plan.quirks.duplicate { 2 } else { 1 };
        for _ in 0..times {
            if let Err(error) = self.deliver_evolution("send.message", echo.clone()).await {
                tracing::warn!(%error, "sandbox Evolution echo lost");
            }
        }
        let statuses: &[&str] = match (plan.fail, plan.quirks.reorder) {
            (true, _) => &["SERVER_ACK", "ERROR"],
            (false, true) => &["SERVER_ACK", "READ", "DELIVERY_ACK"],
            (false, false) => &["SERVER_ACK", "DELIVERY_ACK", "READ"],
        };
        for status in statuses {
            tokio::time::sleep(self.inner.config.status_delay).await;
            let data = StatusData {
                key_id: key_id.clone(),
                remote_jid: Some(jid.clone()),
                from_me: true,
                status: (*status).into(),
            };
            let data = serde_json::to_value(data).unwrap_or_default();
            for _ in 0..times {
                if let Err(error) = self.deliver_evolution("messages.update", data.clone()).await {
                    tracing::warn!(%error, "sandbox Evolution receipt lost");
                }
            }
        }
    }

    /// Meta's echo (`message_echoes`, with the sender's metadata), then the receipts: Messenger a delivery (by
    /// mid and watermark) and a read (watermark); Instagram only a read naming the message.
    async fn meta_webhooks(
        self,
        kind: ChannelKind,
        echo: Messaging,
        person: String,
        mid: String,
        plan: Plan,
    ) {
        let times = if plan.quirks.duplicate { 2 } else { 1 };
        for _ in 0..times {
            if let Err(error) = self.deliver_meta(kind, vec![echo.clone()]).await {
                tracing::warn!(%error, "sandbox Meta echo lost");
            }
        }
        let account = self.account_of(kind).to_owned();
        // Watermarks are the instant each receipt is sent (everything sent before it was delivered, read).
        let receipt = |delivered: bool| {
            let now = Some(unix_millis());
            let (delivery, read) = match (delivered, kind) {
                (true, _) => (Some(Delivery { mids: vec![mid.clone()], watermark: now }), None),
                (false, ChannelKind::Instagram) => {
                    (None, Some(Read { watermark: None, mid: Some(mid.clone()) }))
                }
                (false, _) => (None, Some(Read { watermark: now, mid: None })),
            };
            Messaging {
                sender: Party { id: person.clone() },
                recipient: Party { id: account.clone() },
                timestamp: now,
                message: None,
                delivery,
                read,
                reaction: None,
                postback: None,
            }
        };
        // Messenger reports a delivery then a read; Instagram only the read.
        let mut steps = if kind == ChannelKind::Messenger { vec![true, false] } else { vec![false] };
        if plan.quirks.reorder {
            steps.reverse();
        }
        for delivered in steps {
            tokio::time::sleep(self.inner.config.status_delay).await;
            let receipt = receipt(delivered);
            for _ in 0..times {
                if let Err(error) = self.deliver_meta(kind, vec![receipt.clone()]).await {
                    tracing::warn!(%error, "sandbox Meta receipt lost");
                }
            }
        }
    }
}

/// 32 hex digits from the process's random hasher keys.
fn hex_id() -> String {
    new_id("").chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_uppercase()
}

/// The MIME type a link's extension suggests, as Evolution looks it up.
fn mime_of(link: &str) -> &'static str {
    let path = link.split(['?', '#']).next().unwrap_or_default().to_ascii_lowercase();
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("mp4") => "video/mp4",
        Some("3gp") => "video/3gpp",
        Some("ogg" | "opus") => "audio/ogg",
        Some("mp3") => "audio/mpeg",
        Some("m4a") => "audio/mp4",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        _ => "application/octet-stream",
    }
}

/// Where WhatsApp keeps an uploaded file: Baileys' echo carries this, not the link it was given.
fn whatsapp_media_url(id: &str) -> String {
    format!("https://mmg.whatsapp.net/v/t62.7118-24/{id}.enc?ccb=11-4")
}

/// A simulated person's message as Baileys reports it in `messages.upsert`: the type and the content.
fn evolution_inbound(content: &SimulatedContent, id: &str) -> (&'static str, Value) {
    let caption = |caption: &Option<String>| caption.clone().filter(|c| !c.trim().is_empty());
    match content {
        SimulatedContent::Image { caption: typed } => {
            let mut image = json!({ "url": whatsapp_media_url(id), "mimetype": SAMPLE_IMAGE_MIME,
                "fileLength": SAMPLE_IMAGE.len().to_string(), "height": 360, "width": 480 });
            if let Some(caption) = caption(typed) {
                image["caption"] = json!(caption);
            }
            ("imageMessage", json!({ "imageMessage": image }))
        }
        SimulatedContent::Document { caption: typed } => {
            let mut document = json!({ "url": whatsapp_media_url(id), "mimetype": SAMPLE_DOCUMENT_MIME,
                "title": SAMPLE_DOCUMENT_NAME, "fileName": SAMPLE_DOCUMENT_NAME,
                "fileLength": SAMPLE_DOCUMENT.len().to_string() });
            match caption(typed) {
                // WhatsApp wraps a document sent with words in one more message.
                Some(caption) => {
                    document["caption"] = json!(caption);
                    (
                        "documentWithCaptionMessage",
                        json!({ "documentWithCaptionMessage": { "message": { "documentMessage": document } } }),
                    )
                }
                None => ("documentMessage", json!({ "documentMessage": document })),
            }
        }
        SimulatedContent::Video { caption: typed } => {
            let mut video = json!({ "url": whatsapp_media_url(id), "mimetype": SAMPLE_VIDEO_MIME,
                "fileLength": SAMPLE_VIDEO.len().to_string(), "seconds": 1, "height": 64, "width": 64 });
            if let Some(caption) = caption(typed) {
                video["caption"] = json!(caption);
            }
            ("videoMessage", json!({ "videoMessage": video }))
        }
        SimulatedContent::VoiceNote => (
            "audioMessage",
            json!({ "audioMessage": { "url": whatsapp_media_url(id), "mimetype": SAMPLE_VOICE_MIME,
                "fileLength": SAMPLE_VOICE.len().to_string(), "seconds": 1, "ptt": true } }),
        ),
        SimulatedContent::Location { name } => {
            let (latitude, longitude, address) = SAMPLE_LOCATION;
            let mut location =
                json!({ "degreesLatitude": latitude, "degreesLongitude": longitude, "address": address });
            if let Some(name) = name {
                location["name"] = json!(name);
            }
            ("locationMessage", json!({ "locationMessage": location }))
        }
        SimulatedContent::Text(text) => ("conversation", json!({ "conversation": text })),
        SimulatedContent::Upload { .. } => ("conversation", json!({ "conversation": "" })),
        SimulatedContent::SharedContact => {
            let (name, phone, wa_id) = SAMPLE_CONTACT;
            let vcard = format!(
                "BEGIN:VCARD\nVERSION:3.0\nN:;{name};;;\nFN:{name}\nitem1.TEL;waid={wa_id}:{phone}\nitem1.X-ABLabel:Celular\nEND:VCARD"
            );
            ("contactMessage", json!({ "contactMessage": { "displayName": name, "vcard": vcard } }))
        }
        // Refused before: the simulator reacts only on the official API.
        SimulatedContent::Reaction { .. } => ("conversation", json!({ "conversation": "" })),
    }
}

fn evolution_error(status: StatusCode, error: &str, message: Value) -> Response {
    let envelope = ErrorEnvelope {
        status: Some(status.as_u16()),
        error: Some(error.into()),
        response: Some(ErrorResponse { message }),
    };
    (status, Json(envelope)).into_response()
}

/// An Evolution error answer for a fault.
fn evolution_refusal(status: StatusCode, _code: Option<i64>, message: String) -> Response {
    evolution_error(status, status.canonical_reason().unwrap_or("Error"), json!([message]))
}

/// A send Evolution will make, once its body was read: to whom, what the contact sees, and what Baileys
/// builds from it.
struct EvolutionRequest {
    number: String,
    summary: String,
    media: Option<SentMedia>,
    /// `conversation`, `imageMessage`, `videoMessage`, `documentMessage`, `audioMessage`, `reactionMessage`.
    message_type: &'static str,
    /// `quoted.key.id`, or the message a reaction is on.
    reply_to: Option<String>,
}

impl EvolutionRequest {
    fn text(request: SendText) -> Self {
        Self {
            number: request.number,
            summary: request.text,
            media: None,
            message_type: "conversation",
            reply_to: request.quoted.map(|q| q.key.id),
        }
    }

    /// The message as Baileys built it, once "uploaded" under `id`.
    fn message(&self, id: &str) -> Value {
        if self.message_type == "reactionMessage" {
            let text = self.summary.strip_prefix("[reação] ").unwrap_or_default();
            return json!({ "reactionMessage": { "key": { "id": self.reply_to }, "text": text } });
        }
        let Some(media) = &self.media else { return json!({ "conversation": self.summary }) };
        let mut content = json!({ "url": whatsapp_media_url(id), "mimetype": mime_of(&media.link) });
        if self.message_type == "audioMessage" {
            content["ptt"] = json!(true);
            content["mimetype"] = json!("audio/ogg; codecs=opus");
        }
        if let Some(caption) = &media.caption {
            content["caption"] = json!(caption);
        }
        if let Some(file_name) = &media.file_name {
            content["fileName"] = json!(file_name);
        }
        if self.message_type == "videoMessage" {
            content["gifPlayback"] = json!(false);
        }
        let mut message = serde_json::Map::new();
        message.insert(self.message_type.to_owned(), content);
        Value::Object(message)
    }
}

/// `sendReaction`: `{key: {remoteJid, fromMe, id}, reaction}` (an emoji; `""` is refused, as Evolution's
/// validation does), recorded as
/// "[reação] 👍" and echoed as Baileys' `reactionMessage`.
async fn evolution_send_reaction(
    State(state): State<OthersSandbox>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = serde_json::from_slice::<crate::providers::evolution::wire::SendReaction>(&body)
        .ok()
        .filter(|reaction| !reaction.reaction.trim().is_empty())
        .map(|reaction| EvolutionRequest {
            number: reaction.key.remote_jid,
            summary: format!("[reação] {}", reaction.reaction),
            media: None,
            message_type: "reactionMessage",
            reply_to: Some(reaction.key.id),
        })
        .ok_or_else(|| {
            evolution_error(StatusCode::BAD_REQUEST, "Bad Request", json!(["reaction must be an emoji"]))
        });
    evolution_deliver(state, &instance, &headers, request).await
}

/// `sendWhatsAppAudio`: a voice note by link, recorded as "[audio] link".
async fn evolution_send_audio(
    State(state): State<OthersSandbox>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = serde_json::from_slice::<SendAudio>(&body)
        .ok()
        .and_then(|audio| Some((link_or_base64(&audio.audio).ok()?, audio.number, audio.quoted)))
        .map(|((link, sha256), number, quoted)| EvolutionRequest {
            number,
            summary: format!("[audio] {link}"),
            media: Some(SentMedia {
                kind: "audio".into(),
                link,
                caption: None,
                file_name: None,
                sha256,
                voice: true,
            }),
            message_type: "audioMessage",
            reply_to: quoted.map(|q| q.key.id),
        })
        .ok_or_else(|| {
            evolution_error(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                json!([["instance requires property \"audio\" (a url or base64)"]]),
            )
        });
    evolution_deliver(state, &instance, &headers, request).await
}

/// `sendMedia`: an image, video, audio or document by link or in raw base64 (then with its file name, as
/// Evolution requires), with its caption (Evolution makes a name up for a link: `image.png`, `video.mp4`, a
/// document's link name without its extension).
async fn evolution_send_media(
    State(state): State<OthersSandbox>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = match serde_json::from_slice::<SendMedia>(&body) {
        Err(_) => Err(evolution_error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            json!([["instance requires property \"mediatype\"", "instance requires property \"media\""]]),
        )),
        Ok(media) if link_or_base64(&media.media).is_err() => Err(evolution_error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            json!(["Owned media must be a url or base64"]),
        )),
        Ok(media) if media.file_name.is_none() && !media.media.starts_with("https://") => {
            Err(evolution_error(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                json!(["For base64 the file name must be informed."]),
            ))
        }
        Ok(media) => {
            let (link, sha256) = link_or_base64(&media.media).unwrap_or_default();
            let message_type = match media.mediatype.as_str() {
                "image" => "imageMessage",
                "video" => "videoMessage",
                "document" => "documentMessage",
                "audio" => "audioMessage",
                _ => "",
            };
            if message_type.is_empty() {
                Err(evolution_error(
                    StatusCode::BAD_REQUEST,
                    "Bad Request",
                    json!([["instance.mediatype is not one of enum values: image,document,video,audio"]]),
                ))
            } else {
                let text = match &media.caption {
                    Some(caption) => format!("[{}] {link} — {caption}", media.mediatype),
                    None => format!("[{}] {link}", media.mediatype),
                };
                let file_name = media.file_name.clone().or_else(|| match media.mediatype.as_str() {
                    "image" => Some("image.png".into()),
                    "video" => Some("video.mp4".into()),
                    _ => media
                        .media
                        .rsplit('/')
                        .next()
                        .and_then(|last| last.split_once('.'))
                        .map(|(name, _)| name.to_owned()),
                });
                Ok(EvolutionRequest {
                    number: media.number,
                    summary: text,
                    media: Some(SentMedia {
                        kind: media.mediatype,
                        link,
                        caption: media.caption,
                        file_name,
                        sha256,
                        voice: false,
                    }),
                    message_type,
                    reply_to: media.quoted.map(|q| q.key.id),
                })
            }
        }
    };
    evolution_deliver(state, &instance, &headers, request).await
}

async fn evolution_send(
    State(state): State<OthersSandbox>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = serde_json::from_slice::<SendText>(&body).map(EvolutionRequest::text).map_err(|_| {
        evolution_error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            json!([["instance requires property \"number\"", "instance requires property \"text\""]]),
        )
    });
    evolution_deliver(state, &instance, &headers, request).await
}

/// `POST /chat/markMessageAsRead/{instance}` `{"readMessages":[{"remoteJid","fromMe","id"}]}`.
/// `POST /chat/getBase64FromMediaMessage/{instance}` with `{"message": {key, message}}`: the file of a
/// simulated person's message (the sample its type names), decrypted and in base64, as Evolution answers (201).
async fn evolution_media(
    State(state): State<OthersSandbox>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = evolution_instance(&state, &instance, &headers) {
        return refused;
    }
    let asked = serde_json::from_slice::<Value>(&body).unwrap_or_default();
    let content = &asked["message"]["message"];
    let document = content
        .get("documentMessage")
        .or_else(|| content["documentWithCaptionMessage"]["message"].get("documentMessage"));
    let sample: Option<(&str, &[u8], &str, String)> = if content.get("imageMessage").is_some() {
        Some(("imageMessage", SAMPLE_IMAGE, SAMPLE_IMAGE_MIME, "amostra.jpg".into()))
    } else if content.get("videoMessage").is_some() {
        Some(("videoMessage", SAMPLE_VIDEO, SAMPLE_VIDEO_MIME, SAMPLE_VIDEO_NAME.into()))
    } else if content.get("audioMessage").is_some() {
        Some(("audioMessage", SAMPLE_VOICE, SAMPLE_VOICE_MIME, SAMPLE_VOICE_NAME.into()))
    } else {
        document.map(|_| {
            ("documentMessage", SAMPLE_DOCUMENT.as_bytes(), SAMPLE_DOCUMENT_MIME, SAMPLE_DOCUMENT_NAME.into())
        })
    };
    let Some((media_type, bytes, mimetype, file_name)) = sample else {
        return evolution_error(StatusCode::BAD_REQUEST, "Bad Request", json!(["Message not found"]));
    };
    use base64::Engine;
    let answer = json!({
        "mediaType": media_type,
        "fileName": file_name,
        "size": { "fileLength": bytes.len().to_string() },
        "mimetype": mimetype,
        "base64": base64::engine::general_purpose::STANDARD.encode(bytes),
    });
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn evolution_mark_read(
    State(state): State<OthersSandbox>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = evolution_instance(&state, &instance, &headers) {
        return refused;
    }
    let read = serde_json::from_slice::<Value>(&body).ok();
    let messages = read.as_ref().and_then(|r| r["readMessages"].as_array()).filter(|m| !m.is_empty());
    let Some(messages) = messages else {
        return evolution_error(StatusCode::BAD_REQUEST, "Bad Request", json!(["readMessages is required"]));
    };
    let mut data = state.inner.data.lock().await;
    for message in messages {
        let (Some(jid), Some(id)) = (message["remoteJid"].as_str(), message["id"].as_str()) else {
            return evolution_error(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                json!(["remoteJid and id are required"]),
            );
        };
        let entry = (ChannelKind::WhatsappUnofficial, jid.to_owned(), format!("read {id}"));
        super::keep_last(&mut data.acknowledgements, entry);
    }
    Json(json!({ "message": "Read messages", "read": "success" })).into_response()
}

/// `POST /chat/sendPresence/{instance}` `{"number","presence":"composing","delay"}`.
async fn evolution_presence(
    State(state): State<OthersSandbox>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = evolution_instance(&state, &instance, &headers) {
        return refused;
    }
    let presence = serde_json::from_slice::<Value>(&body).unwrap_or_default();
    let (Some(number), Some(what)) = (presence["number"].as_str(), presence["presence"].as_str()) else {
        return evolution_error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            json!(["number and presence are required"]),
        );
    };
    let entry = (ChannelKind::WhatsappUnofficial, number.to_owned(), what.to_owned());
    super::keep_last(&mut state.inner.data.lock().await.acknowledgements, entry);
    StatusCode::CREATED.into_response()
}

/// The instance's key and name, checked as Evolution does before anything else: the refusal, if any.
fn evolution_instance(state: &OthersSandbox, instance: &str, headers: &HeaderMap) -> Option<Response> {
    let config = &state.inner.config;
    if headers.get("apikey").and_then(|v| v.to_str().ok()) != Some(config.evolution_api_key.as_str()) {
        return Some(evolution_error(StatusCode::UNAUTHORIZED, "Unauthorized", json!("Unauthorized")));
    }
    if instance != config.evolution_instance {
        return Some(evolution_error(
            StatusCode::NOT_FOUND,
            "Not Found",
            json!([format!("The \"{instance}\" instance does not exist")]),
        ));
    }
    None
}

/// Every Evolution send, once its body was read (what the contact sees, or why the body was refused): the
/// instance's key and name are checked first, as Evolution does, then an injected fault, then the number;
/// then it is "sent", echoed and receipted.
async fn evolution_deliver(
    state: OthersSandbox,
    instance: &str,
    headers: &HeaderMap,
    request: Result<EvolutionRequest, Response>,
) -> Response {
    if let Some(refused) = evolution_instance(&state, instance, headers) {
        return refused;
    }
    let plan =
        match apply_fault(state.next_fault(ChannelKind::WhatsappUnofficial).await, evolution_refusal).await {
            Taken::Refused(answer) => return answer,
            Taken::Accepted(plan) => plan,
        };
    let request = match request {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    if request.summary.trim().is_empty() {
        return evolution_error(StatusCode::BAD_REQUEST, "Bad Request", json!(["Text is required"]));
    }
    if state.inner.data.lock().await.disconnected {
        return evolution_error(StatusCode::BAD_REQUEST, "Bad Request", json!(["Error: Connection Closed"]));
    }
    // As Evolution's createJid: a whole JID (`…@s.whatsapp.net`, `…@lid`) is kept, digits become one.
    let (user, domain) = request.number.split_once('@').unwrap_or((&request.number, "s.whatsapp.net"));
    let number = digits(user);
    let jid = format!("{number}@{domain}");
    let phone_jid = domain == "s.whatsapp.net";
    let no_whatsapp = !(10..=15).contains(&number.len())
        || state.inner.config.evolution_without_whatsapp.iter().any(|n| digits(n) == number);
    if phone_jid && no_whatsapp {
        return evolution_error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            json!([{ "exists": false, "jid": jid, "number": request.number }]),
        );
    }
    let id = format!("3EB0{}", hex_id());
    state.inner.data.lock().await.sent.push(OtherSent {
        channel: ChannelKind::WhatsappUnofficial,
        to: number,
        text: request.summary.clone(),
        media: request.media.clone(),
        tag: None,
        id: id.clone(),
        reply_to: request.reply_to.clone(),
    });
    let record = MessageRecord {
        key: Key {
            remote_jid: jid.clone(),
            from_me: true,
            id: id.clone(),
            remote_jid_alt: None,
            sender_pn: None,
        },
        push_name: Some(String::new()),
        status: Some("PENDING".into()),
        message: Some(request.message(&id)),
        message_type: Some(request.message_type.into()),
        message_timestamp: Some(json!(unix_now())),
    };
    // Evolution reports its own sends as `send.message`, then the receipts.
    let echo = serde_json::to_value(&record).unwrap_or_default();
    tokio::spawn(state.clone().evolution_webhooks(echo, id, jid, plan));
    if let Some(after) = plan.slow_answer_after {
        tokio::time::sleep(after).await;
    }
    if let Some(after) = plan.lose_answer_after {
        tokio::time::sleep(after).await;
        return evolution_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            json!(["socket hang up"]),
        );
    }
    (StatusCode::CREATED, Json(record)).into_response()
}

#[derive(serde::Deserialize)]
struct Connection {
    connected: bool,
}

async fn evolution_connection(
    State(state): State<OthersSandbox>,
    Json(connection): Json<Connection>,
) -> StatusCode {
    state.inner.data.lock().await.disconnected = !connection.connected;
    StatusCode::OK
}

fn meta_error(status: StatusCode, kind: &str, code: i64, subcode: Option<i64>, message: &str) -> Response {
    let mut error = json!({ "message": message, "type": kind, "code": code, "fbtrace_id": new_id("SBX") });
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    (status, Json(json!({ "error": error }))).into_response()
}

/// A Send API error answer for a fault.
fn meta_refusal(status: StatusCode, code: Option<i64>, message: String) -> Response {
    meta_error(status, "OAuthException", code.unwrap_or(2), None, &message)
}

/// Meta's answer to a missing or wrong token.
fn unauthorized() -> Response {
    meta_error(StatusCode::UNAUTHORIZED, "OAuthException", 190, None, "Invalid OAuth access token.")
}

fn authorized(state: &OthersSandbox, headers: &HeaderMap) -> bool {
    let expected = format!("Bearer {}", state.inner.config.meta_token);
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

fn kind_of(state: &OthersSandbox, account: &str) -> Option<ChannelKind> {
    let config = &state.inner.config;
    if account == config.page_id || account == "me" {
        Some(ChannelKind::Messenger)
    } else if account == config.instagram_id {
        Some(ChannelKind::Instagram)
    } else {
        None
    }
}

/// The channel of the page or Instagram account a Send API request names, once its token is checked; else
/// Meta's refusal.
#[expect(clippy::result_large_err, reason = "the refusal is the answer, returned as it is")]
fn meta_account(state: &OthersSandbox, headers: &HeaderMap, account: &str) -> Result<ChannelKind, Response> {
    if !authorized(state, headers) {
        return Err(unauthorized());
    }
    kind_of(state, account).ok_or_else(|| {
        meta_error(
            StatusCode::BAD_REQUEST,
            "GraphMethodException",
            100,
            Some(33),
            &format!("Unsupported post request. Object with ID '{account}' does not exist."),
        )
    })
}

/// The largest body the fakes' upload routes read (Meta's own limit is 25 MB; a little over, so that the
/// domain's check, not the fake, is what refuses).
const UPLOAD_LIMIT: usize = 30 * 1024 * 1024;

/// Evolution's own body limit (`json 136mb`).
const EVOLUTION_BODY_LIMIT: usize = 136 * 1024 * 1024;

/// `POST /{account}/message_attachments`, multipart: the `message` (the attachment's `type`, with
/// `is_reusable`), `platform=instagram` on Instagram, and the `filedata`. Answers the attachment id.
async fn meta_upload(
    State(state): State<OthersSandbox>,
    Path(account): Path<String>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Response {
    let kind = match meta_account(&state, &headers, &account) {
        Ok(kind) => kind,
        Err(refused) => return refused,
    };
    let (mut message, mut platform, mut file) = (None, None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or_default() {
            "message" => message = field.text().await.ok(),
            "platform" => platform = field.text().await.ok(),
            "filedata" => file = field.bytes().await.ok(),
            _ => {}
        }
    }
    let attachment_type = message
        .as_deref()
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .and_then(|m| m["attachment"]["type"].as_str().map(str::to_owned));
    let instagram = platform.as_deref() == Some("instagram");
    let (Some(attachment_type), Some(file)) = (attachment_type, file.filter(|f| !f.is_empty())) else {
        return meta_error(StatusCode::BAD_REQUEST, "OAuthException", 100, None, "(#100) Invalid parameter");
    };
    if instagram != (kind == ChannelKind::Instagram) {
        return meta_error(StatusCode::BAD_REQUEST, "OAuthException", 100, None, "(#100) Invalid platform");
    }
    let id = format!("{}", 1_000_000_000_000_u64 + u64::from_str_radix(&hex_id()[..8], 16).unwrap_or(0));
    state.inner.data.lock().await.uploads.insert(id.clone(), (kind, attachment_type, sha256_hex(&file)));
    Json(json!({ "attachment_id": id })).into_response()
}

impl OthersSandbox {
    /// How long since the person last wrote on `kind` (what the Send API's window counts), or Meta's answer for
    /// a person it does not know.
    async fn silence_of(&self, kind: ChannelKind, person: &str) -> Result<Duration, Response> {
        let last =
            self.inner.data.lock().await.people.get(&(channel_key(kind), person.to_owned())).map(|p| p.1);
        let Some(last) = last else {
            return Err(meta_error(
                StatusCode::BAD_REQUEST,
                "OAuthException",
                100,
                Some(2_018_001),
                "(#100) No matching user found",
            ));
        };
        Ok(Duration::from_secs(u64::try_from(unix_now().saturating_sub(last)).unwrap_or(0)))
    }
}

/// `sender_action` `react` (`payload.reaction` `love`, the only one) or `unreact` on the person's message
/// `payload.message_id`, within the person's 24 hours; recorded as a send (`[reação] love`).
async fn meta_react(
    state: &OthersSandbox,
    kind: ChannelKind,
    to: &str,
    what: &str,
    action: &Value,
) -> Response {
    let invalid = |message: &str| meta_error(StatusCode::BAD_REQUEST, "OAuthException", 100, None, message);
    let Some(mid) = action["payload"]["message_id"].as_str().filter(|m| m.starts_with("m_")) else {
        return invalid("(#100) Invalid message_id");
    };
    if what == "react" && action["payload"]["reaction"].as_str() != Some("love") {
        return invalid("(#100) Invalid reaction");
    }
    let age = match state.silence_of(kind, to).await {
        Ok(age) => age,
        Err(unknown) => return unknown,
    };
    if age >= state.inner.config.service_window {
        return meta_error(
            StatusCode::BAD_REQUEST,
            "OAuthException",
            10,
            Some(2_018_278),
            "(#10) This message is sent outside of allowed window.",
        );
    }
    let text = if what == "react" { "[reação] love".to_owned() } else { "[reação removida]".to_owned() };
    state.inner.data.lock().await.sent.push(OtherSent {
        channel: kind,
        to: to.to_owned(),
        text,
        media: None,
        tag: None,
        id: String::new(),
        reply_to: Some(mid.to_owned()),
    });
    Json(json!({ "recipient_id": to })).into_response()
}

async fn meta_send(
    State(state): State<OthersSandbox>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let kind = match meta_account(&state, &headers, &account) {
        Ok(kind) => kind,
        Err(refused) => return refused,
    };
    // A sender action (`mark_seen`, `typing_on`) is no message: recorded, answered, no fault taken for it.
    if let Ok(action) = serde_json::from_slice::<Value>(&body) {
        if let (Some(to), Some(what)) =
            (action["recipient"]["id"].as_str(), action.get("sender_action").and_then(Value::as_str))
        {
            if ["react", "unreact"].contains(&what) {
                return meta_react(&state, kind, to, what, &action).await;
            }
            if !["mark_seen", "typing_on", "typing_off"].contains(&what) {
                return meta_error(
                    StatusCode::BAD_REQUEST,
                    "OAuthException",
                    100,
                    None,
                    "(#100) Invalid parameter",
                );
            }
            let entry = (kind, to.to_owned(), what.to_owned());
            super::keep_last(&mut state.inner.data.lock().await.acknowledgements, entry);
            return Json(json!({ "recipient_id": to })).into_response();
        }
    }
    let plan = match apply_fault(state.next_fault(kind).await, meta_refusal).await {
        Taken::Refused(answer) => return answer,
        Taken::Accepted(plan) => plan,
    };
    let Ok(request) = serde_json::from_slice::<SendRequest>(&body) else {
        return meta_error(StatusCode::BAD_REQUEST, "OAuthException", 100, None, "(#100) Invalid parameter");
    };
    let mut media = request.message.attachment.as_ref().and_then(|a| {
        let url = a.payload.url.clone().filter(|u| u.starts_with("https://"))?;
        Some(SentMedia {
            kind: a.kind.clone(),
            link: url,
            caption: None,
            file_name: None,
            sha256: None,
            voice: false,
        })
    });
    if let Some(attachment) = &request.message.attachment {
        if let Some(id) = &attachment.payload.attachment_id {
            let upload = state.inner.data.lock().await.uploads.get(id).cloned();
            let kind_of_sender = kind;
            match upload {
                Some((channel, kind, sha256)) if channel == kind_of_sender && kind == attachment.kind => {
                    media = Some(SentMedia {
                        kind,
                        link: format!("attachment:{id}"),
                        caption: None,
                        file_name: None,
                        sha256: Some(sha256),
                        voice: false,
                    });
                }
                _ => {
                    return meta_error(
                        StatusCode::BAD_REQUEST,
                        "OAuthException",
                        100,
                        None,
                        "(#100) Invalid attachment_id",
                    )
                }
            }
        }
    }
    let attached = media.as_ref().map(|m| format!("[{}] {}", m.kind, m.link));
    let typed = request.message.text.clone().filter(|t| !t.trim().is_empty());
    if let Some(text) = &typed {
        // Messenger takes 2000 characters, Instagram 1000 bytes.
        let limit = kind.text_limit();
        if limit.measure(text) > limit.max() {
            let unit = if matches!(limit, TextLimit::Utf8Bytes(_)) { "bytes" } else { "characters" };
            return meta_error(
                StatusCode::BAD_REQUEST,
                "OAuthException",
                100,
                None,
                &format!(
                    "(#100) Length of param message[text] must be less than or equal to {} {unit}",
                    limit.max()
                ),
            );
        }
    }
    let Some(text) = typed.or(attached) else {
        return meta_error(
            StatusCode::BAD_REQUEST,
            "OAuthException",
            100,
            None,
            "(#100) Message cannot be empty",
        );
    };
    let config = &state.inner.config;
    let age = match state.silence_of(kind, &request.recipient.id).await {
        Ok(age) => age,
        Err(unknown) => return unknown,
    };
    let tagged = request.messaging_type == crate::providers::meta::wire::MESSAGE_TAG
        && request.tag.as_deref() == Some("HUMAN_AGENT");
    let limit = if tagged { config.human_agent_window } else { config.service_window };
    if age >= limit {
        return match kind {
            ChannelKind::Instagram => meta_error(
                StatusCode::FORBIDDEN,
                "IGApiException",
                10,
                Some(2_534_022),
                "This message is sent outside of allowed window.",
            ),
            _ => meta_error(
                StatusCode::BAD_REQUEST,
                "OAuthException",
                10,
                Some(2_018_278),
                "(#10) This message is sent outside of allowed window. Learn more about the new policy here: \
                 https://developers.facebook.com/docs/messenger-platform/policy-overview",
            ),
        };
    }
    let mid = format!("m_{}", hex_id());
    state.inner.data.lock().await.sent.push(OtherSent {
        channel: kind,
        to: request.recipient.id.clone(),
        text,
        media,
        tag: request.tag.clone(),
        id: mid.clone(),
        reply_to: request.message.reply_to.as_ref().map(|r| r.mid.clone()),
    });
    // The page's echo (message_echoes) carries the sender's metadata back, then the receipts follow.
    let echo = Messaging {
        sender: Party { id: state.account_of(kind).to_owned() },
        recipient: Party { id: request.recipient.id.clone() },
        timestamp: Some(unix_millis()),
        message: Some(IncomingMessage {
            mid: mid.clone(),
            text: request.message.text.clone(),
            attachments: request.message.attachment.clone().into_iter().collect(),
            is_echo: true,
            quick_reply: None,
            metadata: request.message.metadata.clone(),
            reply_to: None,
        }),
        delivery: None,
        read: None,
        reaction: None,
        postback: None,
    };
    let (person, echoed_mid) = (request.recipient.id.clone(), mid.clone());
    tokio::spawn(state.clone().meta_webhooks(kind, echo, person, echoed_mid, plan));
    if let Some(after) = plan.slow_answer_after {
        tokio::time::sleep(after).await;
    }
    if let Some(after) = plan.lose_answer_after {
        tokio::time::sleep(after).await;
        return meta_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "OAuthException",
            2,
            None,
            "An unexpected error has occurred. Please retry your request later.",
        );
    }
    Json(SendResponse { recipient_id: Some(request.recipient.id), message_id: mid }).into_response()
}

async fn meta_profile(
    State(state): State<OthersSandbox>,
    Path(person): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&state, &headers) {
        return unauthorized();
    }
    let data = state.inner.data.lock().await;
    let found = data
        .people
        .iter()
        .find(|((_, id), _)| *id == person)
        .map(|((kind, _), (name, _))| (kind.clone(), name.clone()));
    drop(data);
    match found {
        Some((kind, name)) if kind == channel_key(ChannelKind::Instagram) => {
            let username = name.to_lowercase().split_whitespace().collect::<Vec<_>>().join(".");
            Json(Profile { name: Some(name), username: Some(username), ..Profile::default() }).into_response()
        }
        Some((_, name)) => {
            let mut parts = name.splitn(2, ' ');
            let first_name = parts.next().map(str::to_owned);
            let last_name = parts.next().map(str::to_owned);
            Json(Profile { first_name, last_name, ..Profile::default() }).into_response()
        }
        None => meta_error(
            StatusCode::BAD_REQUEST,
            "OAuthException",
            230,
            Some(9010),
            "User consent is required to access user profile",
        ),
    }
}

/// `GET /meta/cdn/{file}`: the sample picture and file simulated people send (Meta's attachment URLs are
/// public for a while, no token).
async fn meta_cdn(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "amostra.jpg" => ([(header::CONTENT_TYPE, SAMPLE_IMAGE_MIME)], SAMPLE_IMAGE).into_response(),
        SAMPLE_DOCUMENT_NAME => {
            ([(header::CONTENT_TYPE, SAMPLE_DOCUMENT_MIME)], SAMPLE_DOCUMENT).into_response()
        }
        SAMPLE_VIDEO_NAME => ([(header::CONTENT_TYPE, SAMPLE_VIDEO_MIME)], SAMPLE_VIDEO).into_response(),
        SAMPLE_VOICE_NAME => ([(header::CONTENT_TYPE, SAMPLE_VOICE_MIME)], SAMPLE_VOICE).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The routes of the other channels, to be mounted under `/sandbox`.
pub fn router(state: OthersSandbox) -> Router {
    Router::new()
        .route("/evolution/message/sendText/{instance}", post(evolution_send))
        // Evolution reads bodies of up to 136 MB (a file in base64).
        .route(
            "/evolution/message/sendMedia/{instance}",
            post(evolution_send_media).layer(axum::extract::DefaultBodyLimit::max(EVOLUTION_BODY_LIMIT)),
        )
        .route(
            "/evolution/message/sendWhatsAppAudio/{instance}",
            post(evolution_send_audio).layer(axum::extract::DefaultBodyLimit::max(EVOLUTION_BODY_LIMIT)),
        )
        .route("/evolution/message/sendReaction/{instance}", post(evolution_send_reaction))
        .route("/evolution/connection", post(evolution_connection))
        .route("/evolution/chat/markMessageAsRead/{instance}", post(evolution_mark_read))
        .route("/evolution/chat/getBase64FromMediaMessage/{instance}", post(evolution_media))
        .route("/evolution/chat/sendPresence/{instance}", post(evolution_presence))
        .route("/meta/cdn/{file}", get(meta_cdn))
        .route("/meta/v23.0/{account}/messages", post(meta_send))
        .route(
            "/meta/v23.0/{account}/message_attachments",
            post(meta_upload).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/meta/v23.0/{person}", get(meta_profile))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_links_extension_gives_the_mime_type_evolution_would_look_up() {
        assert_eq!(mime_of("https://loja.com.br/bolo.JPG?v=2"), "image/jpeg");
        assert_eq!(mime_of("https://loja.com.br/nf-77.pdf"), "application/pdf");
        assert_eq!(mime_of("https://loja.com.br/sem-extensao"), "application/octet-stream");
    }

    #[test]
    fn a_media_send_is_echoed_as_baileys_builds_it() {
        let request = EvolutionRequest {
            number: "5511987654321".into(),
            summary: "[document] https://loja.com.br/nf-77.pdf — Sua nota".into(),
            media: Some(SentMedia {
                kind: "document".into(),
                link: "https://loja.com.br/nf-77.pdf".into(),
                caption: Some("Sua nota".into()),
                file_name: Some("nf-77.pdf".into()),
                sha256: None,
                voice: false,
            }),
            message_type: "documentMessage",
            reply_to: None,
        };
        let message = request.message("3EB0AB");
        let document = &message["documentMessage"];
        assert_eq!(document["fileName"], "nf-77.pdf");
        assert_eq!(document["caption"], "Sua nota");
        assert_eq!(document["mimetype"], "application/pdf");
        assert!(document["url"].as_str().is_some_and(|u| u.starts_with("https://mmg.whatsapp.net/")));
    }
}
