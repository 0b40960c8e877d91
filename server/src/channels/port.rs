//! The port every provider implements, and all the rest of the server knows of them: a typed message goes
//! out ([`ChannelSender`]); a webhook request is let in ([`WebhookGate`]) and its stored body applied
//! ([`InboundHandler`], which writes what it read through an [`InboundSink`]).

use crate::store::inbound::{InboundMessage, SentEcho, StatusUpdate};
use crate::store::queue::MessageId;
use async_trait::async_trait;
use atende_domain::channel::{ChannelKind, MessageTag};
use atende_domain::media::MediaKind;
use atende_domain::ports::StoreError;
use atende_domain::reply::Quoted;
use atende_domain::time::Timestamp;
use axum::http::{HeaderMap, StatusCode};
use std::collections::HashMap;

/// What goes out, whatever the provider.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboundMessage {
    Text {
        body: String,
    },
    /// An approved template, filled: the Cloud API's `template` object (name, language, components), as
    /// the domain built it when the agent sent it; with the file of its media header when the agent gave one
    /// from their computer (uploaded first, its id then set in the header's parameter).
    Template {
        template: serde_json::Value,
        header: Option<OutboundFile>,
    },
    /// A file the provider fetches from `link`.
    Media {
        kind: MediaKind,
        link: String,
        caption: Option<String>,
        filename: Option<String>,
    },
    /// A file from the agent's computer, read back from the blob store: the provider is given the bytes
    /// (uploaded first where it sends by id).
    File {
        file: OutboundFile,
        caption: Option<String>,
    },
    /// "Reagir": an emoji on the message the provider knows as `to.provider_id` (`None`: the business's
    /// reaction taken off).
    Reaction {
        to: Quoted,
        emoji: Option<String>,
    },
}

/// The bytes of a file to send, and what the provider needs to know of them.
#[derive(Clone, PartialEq)]
pub struct OutboundFile {
    pub kind: MediaKind,
    /// Its type as the domain checked it (`audio/ogg; codecs=opus`).
    pub mime: String,
    /// Its name as the contact sees it (documents).
    pub name: String,
    /// OGG/Opus audio, sent as a WhatsApp voice note.
    pub voice: bool,
    pub bytes: bytes::Bytes,
}

impl std::fmt::Debug for OutboundFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundFile")
            .field("kind", &self.kind)
            .field("mime", &self.mime)
            .field("name", &self.name)
            .field("voice", &self.voice)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// One message on its way to one person.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbound {
    /// Atende's id of the message: it travels with the send (the correlation id) and comes back in the
    /// provider's statuses and echoes, so a send whose answer was lost is still recognised.
    pub message_id: MessageId,
    /// The provider's address of the person (number, `wa_id`, JID, PSID, IGSID).
    pub to: String,
    pub message: OutboundMessage,
    /// Messenger/Instagram: the tag the text needs now (HUMAN_AGENT after the 24 hours).
    pub tag: Option<MessageTag>,
    /// "Responder": the message this one answers, quoted on the person's screen.
    pub reply_to: Option<Quoted>,
}

/// The opaque text that carries Atende's message id through a provider and back.
pub fn correlation_id(message: MessageId) -> String {
    format!("{CORRELATION_PREFIX}{}", message.0)
}

/// Atende's message id in a correlation id a provider gave back.
pub fn message_of_correlation(opaque: Option<&str>) -> Option<MessageId> {
    opaque?.strip_prefix(CORRELATION_PREFIX)?.parse().ok().map(MessageId)
}

const CORRELATION_PREFIX: &str = "atende:";

/// Why a send did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// No answer, 5xx, 429, a throughput limit: worth trying again later.
    Transient { code: Option<i64>, explanation: String, detail: String },
    /// The provider refused this message for good.
    Refused { code: Option<i64>, explanation: String, detail: String },
    /// Refused because the person's window is closed (131047; Messenger/Instagram code 10 with its subcode),
    /// whatever our clock says.
    WindowClosed { code: Option<i64>, explanation: String, detail: String },
    /// Atende cannot build this message for this channel (a kind it does not send, a stored message it
    /// cannot read).
    Unsendable { explanation: String, detail: String },
}

impl SendFailure {
    /// A kind of message the channel cannot send.
    pub fn unsupported(kind: &str) -> Self {
        Self::Unsendable {
            explanation: format!("Este canal ainda não envia mensagens do tipo “{kind}”."),
            detail: format!("unsupported outbound kind {kind}"),
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    pub fn closes_window(&self) -> bool {
        matches!(self, Self::WindowClosed { .. })
    }

    /// The provider's error code, when it gave one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Transient { code, .. } | Self::Refused { code, .. } | Self::WindowClosed { code, .. } => {
                *code
            }
            Self::Unsendable { .. } => None,
        }
    }

    /// What the agent reads.
    pub fn explanation(&self) -> &str {
        match self {
            Self::Transient { explanation, .. }
            | Self::Refused { explanation, .. }
            | Self::WindowClosed { explanation, .. }
            | Self::Unsendable { explanation, .. } => explanation,
        }
    }

    /// What the log keeps.
    pub fn detail(&self) -> &str {
        match self {
            Self::Transient { detail, .. }
            | Self::Refused { detail, .. }
            | Self::WindowClosed { detail, .. }
            | Self::Unsendable { detail, .. } => detail,
        }
    }
}

/// The provider's id of a message it accepted, or why it did not.
pub type SendOutcome = Result<String, SendFailure>;

/// A channel's way out.
#[async_trait]
pub trait ChannelSender: Send + Sync {
    async fn send(&self, outbound: &Outbound) -> SendOutcome;

    /// Tells the person `to` that their messages up to `message_id` were read (and, with `typing`, that the
    /// agent is writing). Best effort: what went wrong is only logged.
    async fn acknowledge(&self, to: &str, message_id: &str, typing: bool) -> Result<(), String>;

    /// Whether the channel has message tags (Messenger/Instagram HUMAN_AGENT), to be decided as the text
    /// leaves; only then does the worker read the conversation's window before sending.
    fn has_message_tags(&self) -> bool {
        false
    }
}

/// A contact's file, as the provider delivered it (not yet checked: the media worker asks the domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMedia {
    pub bytes: bytes::Bytes,
    /// The type the provider declares (its media info, else the download's `Content-Type`).
    pub mime_type: Option<String>,
    /// The SHA-256 the provider declares now, if it did not in the webhook.
    pub sha256: Option<String>,
}

/// Why a file could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// The provider or the network failed in a way that may pass: tried again later.
    Transient(String),
    /// The provider no longer has it (an expired media id or URL).
    Expired,
    /// Larger than the limit (declared, or found while downloading): not fetched further.
    TooLarge,
    /// The provider refused for good (a token without permission, a malformed id).
    Refused(String),
}

/// A channel's way to the files contacts send.
#[async_trait]
pub trait MediaSource: Send + Sync {
    /// The file `source` names (what this provider's inbound parsing stored), at most `max_bytes`.
    async fn fetch(&self, source: &str, max_bytes: u64) -> Result<FetchedMedia, FetchFailure>;
}

/// Why a stored webhook body was not applied.
#[derive(Debug)]
pub enum InboundFailure {
    /// The body is not a notification Atende can apply: kept with this reason, not retried.
    Unreadable(String),
    /// The database failed: the receipt stays pending and is tried again.
    Store(StoreError),
}

impl From<StoreError> for InboundFailure {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// Where a provider writes what a body says, inside the inbox's transaction.
#[async_trait]
pub trait InboundSink: Send {
    /// When the batch is applied.
    fn now(&self) -> Timestamp;

    /// The channel of `kind` the provider calls `provider_id` (a number's id, an instance, a page).
    async fn channel(&mut self, kind: ChannelKind, provider_id: &str) -> Result<Option<i64>, StoreError>;

    /// A person's message, stored once.
    async fn message(&mut self, message: &InboundMessage) -> Result<(), StoreError>;

    /// A status of one of our messages; `false` when the message is not known (yet).
    async fn status(&mut self, update: &StatusUpdate) -> Result<bool, StoreError>;

    /// What Meta will bill for a message (from its status).
    async fn billing(
        &mut self,
        provider_message_id: &str,
        category: &str,
        model: Option<&str>,
        billable: bool,
    ) -> Result<(), StoreError>;

    /// Meta changed a template's status (approved, rejected, paused…).
    async fn template_status(
        &mut self,
        account_id: &str,
        name: &str,
        language: &str,
        status: &str,
    ) -> Result<(), StoreError>;

    /// One of our sends, echoed by the provider: a send whose answer was lost is recognised.
    async fn echo(&mut self, channel_id: i64, echo: &SentEcho) -> Result<(), StoreError>;

    /// When the provider took our message `provider_message_id`, if Atende knows it.
    async fn provider_at(&mut self, provider_message_id: &str) -> Result<Option<i64>, StoreError>;

    /// Everything we sent `person` up to `watermark` reached `status`; how many messages moved.
    async fn watermark(
        &mut self,
        channel_id: i64,
        identity_kind: &str,
        person: &str,
        status: &str,
        watermark: Timestamp,
    ) -> Result<u64, StoreError>;

    /// The name read for a person before the transaction began ([`InboundHandler::prepare`]).
    fn name_of(&self, person: &str) -> Option<String>;
}

/// A provider's reading of its stored webhook bodies.
#[async_trait]
pub trait InboundHandler: Send + Sync {
    /// Before a batch's transaction begins, with the bodies of this provider in it: what needs a call to the
    /// provider (a new person's name) is asked here and kept in `names`, so no call holds the database's
    /// writer.
    async fn prepare(&self, _bodies: &[&str], _names: &mut HashMap<String, String>) {}

    /// Applies one body; `Ok(false)` when a status in it waits for its message.
    async fn apply(&self, sink: &mut dyn InboundSink, body: &str) -> Result<bool, InboundFailure>;
}

/// Why a webhook request was turned away: the status and a short text for the caller.
pub type Refusal = (StatusCode, &'static str);

/// How one provider's webhook requests are let in, before anything is stored.
pub trait WebhookGate: Send + Sync {
    /// The text to store for a request that is authentic and readable, or why it is refused.
    fn admit(&self, headers: &HeaderMap, body: &[u8]) -> Result<String, Refusal>;

    /// The answer to the provider's subscription handshake (`GET` with `hub.mode`, `hub.verify_token`,
    /// `hub.challenge`), when it has one.
    fn handshake(&self, _query: &HashMap<String, String>) -> Option<Result<String, Refusal>> {
        None
    }
}

/// The gates by provider (the path's last segment: `whatsapp`, `meta`, `evolution`).
pub type Gates = HashMap<&'static str, std::sync::Arc<dyn WebhookGate>>;

/// The providers' readings of stored bodies, by the provider the body came through.
pub type Handlers = HashMap<&'static str, std::sync::Arc<dyn InboundHandler>>;
