//! The WhatsApp Cloud API wire format (Graph API v23), exactly as Meta sends and accepts it: the send request
//! and its response, the Graph error envelope, the template listing, and the webhook notifications (inbound
//! messages, statuses, template status updates). Also the `X-Hub-Signature-256` signature of webhooks.
//!
//! Inbound types never use `deny_unknown_fields`: Meta adds fields without notice, and a webhook we cannot
//! parse is a message we lose. A message of a type this code does not know (including `unsupported`) parses as
//! [`InboundContent::Unknown`] carrying the raw JSON. Field names follow Meta's; Rust names differ only where
//! Meta uses a keyword (`type` → `kind`).
//!
//! Reference: `shared/reference/meta-platform-rules.md` §2, §3, §5 and the verbatim examples of §8.

use hmac::{Hmac, Mac};
use serde::de::{DeserializeOwned, Error as _};
use serde::ser::{Error as _, SerializeMap};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::Sha256;

/// The only value Meta accepts in `messaging_product`.
pub const MESSAGING_PRODUCT: &str = "whatsapp";
/// `object` of every WhatsApp webhook notification.
pub const WEBHOOK_OBJECT: &str = "whatsapp_business_account";
/// The header carrying the webhook signature.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

fn whatsapp() -> String {
    MESSAGING_PRODUCT.to_owned()
}

// ---------------------------------------------------------------------------------------------------------
// Sending: POST /{phone-number-id}/messages
// ---------------------------------------------------------------------------------------------------------

/// The body of `POST /{phone-number-id}/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    /// Always `"whatsapp"`.
    #[serde(default = "whatsapp")]
    pub messaging_product: String,
    /// `"individual"` (the default) or `"group"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_type: Option<String>,
    /// The recipient: E.164 (with or without `+`) or a `wa_id`.
    pub to: String,
    /// Quote a previous message (`context.message_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ReplyTo>,
    /// Echoed back in this message's status webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
    /// `type` and its body.
    #[serde(flatten)]
    pub content: OutboundContent,
}

impl SendRequest {
    fn new(to: impl Into<String>, content: OutboundContent) -> Self {
        Self {
            messaging_product: whatsapp(),
            recipient_type: Some("individual".to_owned()),
            to: to.into(),
            context: None,
            biz_opaque_callback_data: None,
            content,
        }
    }

    /// A free-form text (only inside the customer service window).
    pub fn text(to: impl Into<String>, body: impl Into<String>) -> Self {
        Self::new(to, OutboundContent::Text { text: TextBody { body: body.into(), preview_url: None } })
    }

    /// An approved template (the only thing that may be sent outside the window).
    pub fn template(to: impl Into<String>, template: Template) -> Self {
        Self::new(to, OutboundContent::Template { template })
    }

    /// A reaction (only inside the window): `emoji` `None` takes the business's off (Meta's empty emoji).
    pub fn reaction(to: impl Into<String>, message_id: String, emoji: Option<String>) -> Self {
        let reaction = Reaction { message_id, emoji: Some(emoji.unwrap_or_default()) };
        Self::new(to, OutboundContent::Reaction { reaction })
    }

    /// A media message (only inside the window).
    pub fn media(to: impl Into<String>, kind: MediaKind, media: OutboundMedia) -> Self {
        let content = match kind {
            MediaKind::Image => OutboundContent::Image { image: media },
            MediaKind::Document => OutboundContent::Document { document: media },
            MediaKind::Audio => OutboundContent::Audio { audio: media },
            MediaKind::Video => OutboundContent::Video { video: media },
        };
        Self::new(to, content)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyTo {
    pub message_id: String,
}

/// `type` of a send request with its body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OutboundContent {
    Text {
        text: TextBody,
    },
    Template {
        template: Template,
    },
    Image {
        image: OutboundMedia,
    },
    Document {
        document: OutboundMedia,
    },
    Audio {
        audio: OutboundMedia,
    },
    Video {
        video: OutboundMedia,
    },
    /// An emoji on a message (`emoji` `""` takes the business's reaction off).
    Reaction {
        reaction: Reaction,
    },
}

impl OutboundContent {
    /// Meta's `type` value.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Template { .. } => "template",
            Self::Image { .. } => "image",
            Self::Document { .. } => "document",
            Self::Audio { .. } => "audio",
            Self::Video { .. } => "video",
            Self::Reaction { .. } => "reaction",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Document,
    Audio,
    Video,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextBody {
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<bool>,
}

/// A media object to send: an uploaded media `id` or a public `link`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutboundMedia {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Not allowed on audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Documents only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Audio only: an OGG/Opus file shown as a voice note.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voice: bool,
}

/// What `POST /{phone_number_id}/media` answers: the id the message then names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedMedia {
    pub id: String,
}

/// `template` of a send request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    pub language: Language,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<TemplateComponent>,
}

impl Template {
    pub fn new(name: impl Into<String>, language_code: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            language: Language { code: language_code.into(), policy: None },
            components: vec![],
        }
    }

    pub fn with_component(mut self, component: TemplateComponent) -> Self {
        self.components.push(component);
        self
    }

    /// Sends the media header's file by the id it was uploaded under (its parameter was left without a
    /// link: see `FilledTemplate::components` in the domain).
    pub fn set_header_media_id(&mut self, id: String) {
        let header = self.components.iter_mut().filter(|c| c.kind == "header");
        for media in header.flat_map(|c| c.parameters.iter_mut()).filter_map(TemplateParameter::media_mut) {
            media.id = Some(id.clone());
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Language {
    /// `pt_BR`, `en_US`…
    pub code: String,
    /// Legacy `"deterministic"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// One component of a template send: `header`, `body` or `button`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateComponent {
    /// `header`, `body` or `button`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Buttons only: `quick_reply`, `url`, `copy_code`, `flow`, `catalog`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    /// Buttons only: the button's position as a string (`"0"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<TemplateParameter>,
}

impl TemplateComponent {
    pub fn header(parameters: Vec<TemplateParameter>) -> Self {
        Self { kind: "header".into(), sub_type: None, index: None, parameters }
    }

    pub fn body(parameters: Vec<TemplateParameter>) -> Self {
        Self { kind: "body".into(), sub_type: None, index: None, parameters }
    }

    fn button(sub_type: &str, index: usize, parameters: Vec<TemplateParameter>) -> Self {
        Self {
            kind: "button".into(),
            sub_type: Some(sub_type.into()),
            index: Some(index.to_string()),
            parameters,
        }
    }

    /// The payload returned in the `button` webhook when the contact taps quick reply `index`.
    pub fn quick_reply(index: usize, payload: impl Into<String>) -> Self {
        Self::button("quick_reply", index, vec![TemplateParameter::payload(payload)])
    }

    /// The variable suffix of URL button `index`; also how authentication templates carry the code of their
    /// copy-code (OTP) button.
    pub fn url_button(index: usize, suffix: impl Into<String>) -> Self {
        Self::button("url", index, vec![TemplateParameter::text(suffix)])
    }

    /// The coupon of a marketing copy-code button.
    pub fn copy_code(index: usize, coupon_code: impl Into<String>) -> Self {
        let parameter = TemplateParameter {
            coupon_code: Some(coupon_code.into()),
            ..TemplateParameter::of("coupon_code")
        };
        Self::button("copy_code", index, vec![parameter])
    }
}

/// One parameter of a template component. A flat struct rather than an enum so that parameter types this code
/// does not model (`currency`, `date_time`, `action`…) still round-trip.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TemplateParameter {
    /// `text`, `payload`, `image`, `document`, `video`, `currency`, `date_time`, `coupon_code`…
    #[serde(rename = "type")]
    pub kind: String,
    /// NAMED templates: the placeholder's name (`{{nome}}` → `"nome"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<OutboundMedia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<OutboundMedia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<OutboundMedia>,
    /// A GIF header (Meta keeps it as a short MP4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gif: Option<OutboundMedia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Value>,
}

impl TemplateParameter {
    /// The media object of a header parameter (image, video, document or GIF), if it is one.
    pub fn media(&self) -> Option<&OutboundMedia> {
        [&self.image, &self.video, &self.document, &self.gif].into_iter().flatten().next()
    }

    pub fn media_mut(&mut self) -> Option<&mut OutboundMedia> {
        [&mut self.image, &mut self.video, &mut self.document, &mut self.gif].into_iter().flatten().next()
    }

    fn of(kind: &str) -> Self {
        Self { kind: kind.into(), ..Self::default() }
    }

    /// A positional text value (`{{1}}`, `{{2}}`… in order).
    pub fn text(value: impl Into<String>) -> Self {
        Self { text: Some(value.into()), ..Self::of("text") }
    }

    /// A named text value (`{{nome}}`).
    pub fn named_text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { parameter_name: Some(name.into()), ..Self::text(value) }
    }

    pub fn payload(payload: impl Into<String>) -> Self {
        Self { payload: Some(payload.into()), ..Self::of("payload") }
    }

    pub fn image_link(link: impl Into<String>) -> Self {
        Self {
            image: Some(OutboundMedia { link: Some(link.into()), ..OutboundMedia::default() }),
            ..Self::of("image")
        }
    }
}

/// The 200 answer to a send: Meta accepted the message (which says nothing about delivery).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendResponse {
    #[serde(default = "whatsapp")]
    pub messaging_product: String,
    #[serde(default)]
    pub contacts: Vec<SendResponseContact>,
    #[serde(default)]
    pub messages: Vec<SendResponseMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendResponseContact {
    /// `to` as sent.
    pub input: String,
    /// WhatsApp's id for the recipient. May differ from `input` (Brazilian ninth digit, §7): persist it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendResponseMessage {
    /// The `wamid.…` the status webhooks refer to.
    pub id: String,
    /// Only for paced templates (`accepted`, `held_for_quality_assessment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_status: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/// The Graph API error body: `{"error":{…}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: GraphError,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphError {
    /// `"(#131047) Re-engagement message"`.
    #[serde(default)]
    pub message: String,
    /// `"OAuthException"`…
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_subcode: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_user_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_user_msg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<ErrorData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fbtrace_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
    /// The explanation a person can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------
// Templates: GET /{waba-id}/message_templates
// ---------------------------------------------------------------------------------------------------------

/// One page of `GET /{waba-id}/message_templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateListPage {
    #[serde(default)]
    pub data: Vec<MessageTemplate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging>,
}

/// Graph cursor paging. `next` is present only when there is a next page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Paging {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursors: Option<Cursors>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Cursors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// A template as the WABA lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageTemplate {
    pub id: String,
    pub name: String,
    /// `pt_BR`…
    pub language: String,
    pub status: TemplateStatus,
    pub category: TemplateCategory,
    /// `POSITIONAL` (`{{1}}`) or `NAMED` (`{{nome}}`); absent means positional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_format: Option<String>,
    #[serde(default)]
    pub components: Vec<TemplateDefinitionComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_score: Option<Value>,
}

/// A component of a template definition: `HEADER`, `BODY`, `FOOTER` or `BUTTONS` (upper case here, unlike the
/// send request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateDefinitionComponent {
    #[serde(rename = "type")]
    pub kind: String,
    /// Headers: `TEXT`, `IMAGE`, `VIDEO`, `GIF`, `DOCUMENT`, `LOCATION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `body_text`, `header_text`, `body_text_named_params`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<TemplateButton>,
    /// Authentication bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_security_recommendation: Option<bool>,
    /// Authentication footers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_expiration_minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateButton {
    /// `QUICK_REPLY`, `URL`, `PHONE_NUMBER`, `COPY_CODE`, `OTP`, `FLOW`…
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// `OTP` buttons: `COPY_CODE`, `ONE_TAP`, `ZERO_TAP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
}

/// A template's status, in listings and in `message_template_status_update` events. Only `Approved` may be
/// sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
    Flagged,
    InAppeal,
    Reinstated,
    LimitExceeded,
    Locked,
    Archived,
    Unarchived,
    Deleted,
    PendingDeletion,
    /// A value Meta added after this code was written.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
    #[serde(other)]
    Unknown,
}

impl TemplateCategory {
    /// The lower-case spelling used by `pricing.category` in status webhooks.
    pub fn pricing_category(self) -> &'static str {
        match self {
            Self::Marketing => "marketing",
            Self::Utility => "utility",
            Self::Authentication => "authentication",
            Self::Unknown => "unknown",
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------------------

/// A webhook POST body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `"whatsapp_business_account"`.
    pub object: String,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

impl Notification {
    /// Parses a webhook body (after [`verify_signature`] accepted it).
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// Wraps one change in a notification for `waba_id`.
    pub fn single(waba_id: impl Into<String>, change: Change) -> Self {
        Self {
            object: WEBHOOK_OBJECT.into(),
            entry: vec![Entry { id: waba_id.into(), changes: vec![change] }],
        }
    }

    /// Every `field: "messages"` value, in order.
    pub fn messages_values(&self) -> impl Iterator<Item = &MessagesValue> {
        self.entry.iter().flat_map(|e| e.changes.iter()).filter_map(|c| match c {
            Change::Messages(value) => Some(value),
            _ => None,
        })
    }

    /// Every template status update, in order.
    pub fn template_updates(&self) -> impl Iterator<Item = &TemplateStatusUpdate> {
        self.entry.iter().flat_map(|e| e.changes.iter()).filter_map(|c| match c {
            Change::TemplateStatus(update) => Some(update),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The WABA id.
    pub id: String,
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// One `changes[]` element, by its `field`.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `field: "messages"`: inbound messages and/or statuses.
    Messages(MessagesValue),
    /// `field: "message_template_status_update"`.
    TemplateStatus(TemplateStatusUpdate),
    /// Any other subscribed field, kept raw.
    Other { field: String, value: Value },
}

#[derive(Serialize, Deserialize)]
struct RawChange {
    value: Value,
    field: String,
}

pub const FIELD_MESSAGES: &str = "messages";
pub const FIELD_TEMPLATE_STATUS: &str = "message_template_status_update";

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (field, value) = match self {
            Self::Messages(v) => {
                (FIELD_MESSAGES.to_owned(), serde_json::to_value(v).map_err(S::Error::custom)?)
            }
            Self::TemplateStatus(v) => {
                (FIELD_TEMPLATE_STATUS.to_owned(), serde_json::to_value(v).map_err(S::Error::custom)?)
            }
            Self::Other { field, value } => (field.clone(), value.clone()),
        };
        RawChange { value, field }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let RawChange { value, field } = RawChange::deserialize(deserializer)?;
        Ok(match field.as_str() {
            FIELD_MESSAGES => Self::Messages(serde_json::from_value(value).map_err(D::Error::custom)?),
            FIELD_TEMPLATE_STATUS => {
                Self::TemplateStatus(serde_json::from_value(value).map_err(D::Error::custom)?)
            }
            _ => Self::Other { field, value },
        })
    }
}

/// `value` of a `messages` change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesValue {
    #[serde(default = "whatsapp")]
    pub messaging_product: String,
    pub metadata: Metadata,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<WebhookContact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<InboundMessage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<Status>,
    /// Errors not tied to a message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WebhookError>,
}

/// The business number the change concerns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub display_phone_number: String,
    pub phone_number_id: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WebhookContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Absent for a user known only by a username (BSUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    /// Business-scoped user id (`BR.1502576394655843`), 2026 onwards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One `messages[]` element: something the contact sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The sender's `wa_id`; absent for username-only users (then `from_user_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_user_id: Option<String>,
    /// The `wamid.…`: the deduplication key.
    pub id: String,
    /// Unix seconds, as a string.
    pub timestamp: String,
    /// Replies and button taps point at the message they answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<MessageContext>,
    /// Click-to-WhatsApp ads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<Value>,
    /// `unsupported` messages carry `[{code: 131051, …}]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WebhookError>,
    /// `type` and its body.
    #[serde(flatten)]
    pub content: InboundContent,
}

impl InboundMessage {
    /// `timestamp` as Unix seconds, if it is a number.
    pub fn timestamp_seconds(&self) -> Option<i64> {
        self.timestamp.parse().ok()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MessageContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The wamid of the message replied to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequently_forwarded: Option<bool>,
}

/// The typed body of an inbound message, by `type`.
///
/// A body that does not fit its type's shape is kept as [`InboundContent::Unknown`] rather than failing the
/// whole notification: one odd message must not cost the others in the same webhook.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundContent {
    Text(TextContent),
    Image(InboundMedia),
    Video(InboundMedia),
    Audio(InboundMedia),
    Document(InboundMedia),
    Sticker(InboundMedia),
    Location(Location),
    /// Shared contact cards, as Meta sends them.
    Contacts(Vec<Value>),
    Reaction(Reaction),
    /// A template quick-reply tap.
    Button(ButtonContent),
    /// A reply-button or list choice.
    Interactive(InteractiveContent),
    Order(Order),
    /// `unsupported`, `system`, or any type this code does not model: `kind` is `type`, `raw` every field of the
    /// message not listed in [`InboundMessage`] (so including `type` and the body).
    Unknown {
        kind: String,
        raw: Map<String, Value>,
    },
}

impl InboundContent {
    /// Meta's `type` value.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text(_) => "text",
            Self::Image(_) => "image",
            Self::Video(_) => "video",
            Self::Audio(_) => "audio",
            Self::Document(_) => "document",
            Self::Sticker(_) => "sticker",
            Self::Location(_) => "location",
            Self::Contacts(_) => "contacts",
            Self::Reaction(_) => "reaction",
            Self::Button(_) => "button",
            Self::Interactive(_) => "interactive",
            Self::Order(_) => "order",
            Self::Unknown { kind, .. } => kind,
        }
    }
}

impl Serialize for InboundContent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Self::Unknown { raw, .. } = self {
            return raw.serialize(serializer);
        }
        let mut map = serializer.serialize_map(Some(2))?;
        let kind = self.kind();
        map.serialize_entry("type", kind)?;
        match self {
            Self::Text(body) => map.serialize_entry(kind, body)?,
            Self::Image(body)
            | Self::Video(body)
            | Self::Audio(body)
            | Self::Document(body)
            | Self::Sticker(body) => map.serialize_entry(kind, body)?,
            Self::Location(body) => map.serialize_entry(kind, body)?,
            Self::Contacts(body) => map.serialize_entry(kind, body)?,
            Self::Reaction(body) => map.serialize_entry(kind, body)?,
            Self::Button(body) => map.serialize_entry(kind, body)?,
            Self::Interactive(body) => map.serialize_entry(kind, body)?,
            Self::Order(body) => map.serialize_entry(kind, body)?,
            Self::Unknown { .. } => {}
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for InboundContent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Map::<String, Value>::deserialize(deserializer)?;
        let kind = match raw.get("type") {
            Some(Value::String(kind)) => kind.clone(),
            _ => return Err(D::Error::missing_field("type")),
        };
        fn body<T: DeserializeOwned>(raw: &Map<String, Value>, key: &str) -> Option<T> {
            raw.get(key).and_then(|v| serde_json::from_value(v.clone()).ok())
        }
        let parsed = match kind.as_str() {
            "text" => body(&raw, "text").map(Self::Text),
            "image" => body(&raw, "image").map(Self::Image),
            "video" => body(&raw, "video").map(Self::Video),
            "audio" => body(&raw, "audio").map(Self::Audio),
            "document" => body(&raw, "document").map(Self::Document),
            "sticker" => body(&raw, "sticker").map(Self::Sticker),
            "location" => body(&raw, "location").map(Self::Location),
            "contacts" => body(&raw, "contacts").map(Self::Contacts),
            "reaction" => body(&raw, "reaction").map(Self::Reaction),
            "button" => body(&raw, "button").map(Self::Button),
            "interactive" => body(&raw, "interactive").map(Self::Interactive),
            "order" => body(&raw, "order").map(Self::Order),
            _ => None,
        };
        Ok(parsed.unwrap_or(Self::Unknown { kind, raw }))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextContent {
    pub body: String,
}

/// Image, video, audio, document or sticker. Download with `GET /{id}` (then the returned `url`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InboundMedia {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Rolling out since 2025-11-12.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Audio recorded as a voice note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<bool>,
    /// Stickers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    /// The wamid reacted to.
    pub message_id: String,
    /// Absent when the contact removes the reaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ButtonContent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractiveContent {
    /// `button_reply`, `list_reply`, `nfm_reply`…
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_reply: Option<ReplyChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_reply: Option<ReplyChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfm_reply: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyChoice {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub product_items: Vec<OrderItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    pub product_retailer_id: String,
    pub quantity: Value,
    pub item_price: Value,
    pub currency: String,
}

/// One `statuses[]` element: what happened to a message we sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The wamid returned by the send.
    pub id: String,
    pub status: StatusKind,
    /// Unix seconds, as a string.
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    /// On `failed`: why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WebhookError>,
}

impl Status {
    /// `timestamp` as Unix seconds, if it is a number.
    pub fn timestamp_seconds(&self) -> Option<i64> {
        self.timestamp.parse().ok()
    }
}

/// `sent` → `delivered` → `read` (`read` may arrive without `delivered`), or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusKind {
    Sent,
    Delivered,
    Read,
    Failed,
    /// Voice messages.
    Played,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<ConversationOrigin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationOrigin {
    #[serde(rename = "type")]
    pub kind: String,
}

/// §4: `{"billable":false,"pricing_model":"PMP","type":"free_customer_service","category":"utility"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pricing {
    /// Being deprecated in favour of `type` + `category`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
    /// `PMP` (per message, since 2025-07-01) or `CBP`.
    pub pricing_model: String,
    /// `marketing`, `utility`, `authentication`, `authentication-international`, `service`,
    /// `referral_conversion`, `marketing_lite`.
    pub category: String,
    /// `regular`, `free_customer_service`, `free_entry_point`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// An error inside a webhook (failed statuses, unsupported messages).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookError {
    pub code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<ErrorData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

/// `value` of a `message_template_status_update` change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateStatusUpdate {
    pub event: TemplateStatus,
    /// A JSON number in Meta's payloads; a string is accepted too.
    #[serde(deserialize_with = "id_from_number_or_string")]
    pub message_template_id: u64,
    pub message_template_name: String,
    pub message_template_language: String,
    /// `NONE`, `PROMOTIONAL`, `INVALID_FORMAT`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_info: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_info: Option<Value>,
}

fn id_from_number_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Number(n) => n.as_u64().ok_or_else(|| D::Error::custom("message_template_id is not an id")),
        Value::String(s) => s.parse().map_err(D::Error::custom),
        other => Err(D::Error::custom(format!("message_template_id must be a number, got {other}"))),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Signature
// ---------------------------------------------------------------------------------------------------------

type HmacSha256 = Hmac<Sha256>;

fn mac(app_secret: &[u8], body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail here.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(app_secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac
}

/// The `X-Hub-Signature-256` value Meta sends with `body`: `sha256=` and the lowercase hex HMAC-SHA256 of the
/// exact bytes, keyed with the app secret.
pub fn signature_header(app_secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(app_secret, body).finalize().into_bytes()))
}

/// Whether `header` (the `X-Hub-Signature-256` value, if any) signs `body` with `app_secret`. Compares in
/// constant time. A missing or malformed header, or an empty secret (a misconfiguration, not a key), is `false`.
pub fn verify_signature(app_secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    if app_secret.is_empty() {
        return false;
    }
    let Some(hex_digest) = header.map(str::trim).and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_digest) else {
        return false;
    };
    mac(app_secret, body).verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// §8 (a), verbatim.
    const TEMPLATE_SEND: &str = r#"{
      "messaging_product": "whatsapp",
      "recipient_type": "individual",
      "to": "+5511987654321",
      "type": "template",
      "template": {
        "name": "order_update",
        "language": { "code": "pt_BR" },
        "components": [
          { "type": "header",
            "parameters": [ { "type": "image", "image": { "link": "https://example.com/order.jpg" } } ] },
          { "type": "body",
            "parameters": [ { "type": "text", "text": "Maria" }, { "type": "text", "text": "A-10423" } ] },
          { "type": "button", "sub_type": "url", "index": "0",
            "parameters": [ { "type": "text", "text": "A-10423" } ] },
          { "type": "button", "sub_type": "quick_reply", "index": "1",
            "parameters": [ { "type": "payload", "payload": "TALK_TO_AGENT" } ] }
        ]
      }
    }"#;

    /// §8 (a) response, verbatim.
    const SEND_RESPONSE: &str = r#"{ "messaging_product": "whatsapp",
      "contacts": [ { "input": "+16505551234", "wa_id": "16505551234" } ],
      "messages": [ { "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA" } ] }"#;

    /// §8 (b), verbatim.
    const INBOUND_TEXT: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]},"field":"messages"}]}]}"#;

    /// §8 (c), verbatim.
    const INBOUND_IMAGE: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1744344496","type":"image","image":{"caption":"Taj Mahal","mime_type":"image/jpeg","sha256":"SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=","id":"1003383421387256","url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133..."}}]},"field":"messages"}]}]}"#;

    /// §8 (d), verbatim.
    const FAILED_131047: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA","status":"failed","timestamp":"1751142888","recipient_id":"16505551234","errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message","error_data":{"details":"More than 24 hours have passed since the recipient last replied to the sender number."},"href":"/documentation/business-messaging/whatsapp/support/error-codes"}]}]},"field":"messages"}]}]}"#;

    /// Parses `text` as `T`, serializes it back, and checks nothing was lost or added.
    fn round_trip<T: Serialize + DeserializeOwned>(text: &str) -> T {
        let parsed: T = serde_json::from_str(text).expect("the example parses");
        let original: Value = serde_json::from_str(text).expect("the example is JSON");
        let again = serde_json::to_value(&parsed).expect("it serializes");
        assert_eq!(again, original, "round trip changed the JSON");
        parsed
    }

    #[test]
    fn the_template_send_example_round_trips_and_is_typed() {
        let request: SendRequest = round_trip(TEMPLATE_SEND);
        assert_eq!(request.to, "+5511987654321");
        let OutboundContent::Template { template } = &request.content else { panic!("a template") };
        assert_eq!(template.name, "order_update");
        assert_eq!(template.language.code, "pt_BR");
        assert_eq!(template.components.len(), 4);
        assert_eq!(template.components[1].parameters[1].text.as_deref(), Some("A-10423"));
        assert_eq!(template.components[3].parameters[0].payload.as_deref(), Some("TALK_TO_AGENT"));
    }

    #[test]
    fn the_builders_produce_the_same_template_send_as_the_example() {
        let built = SendRequest::template(
            "+5511987654321",
            Template::new("order_update", "pt_BR")
                .with_component(TemplateComponent::header(vec![TemplateParameter::image_link(
                    "https://example.com/order.jpg",
                )]))
                .with_component(TemplateComponent::body(vec![
                    TemplateParameter::text("Maria"),
                    TemplateParameter::text("A-10423"),
                ]))
                .with_component(TemplateComponent::url_button(0, "A-10423"))
                .with_component(TemplateComponent::quick_reply(1, "TALK_TO_AGENT")),
        );
        let expected: Value = serde_json::from_str(TEMPLATE_SEND).expect("JSON");
        assert_eq!(serde_json::to_value(&built).expect("serializes"), expected);
    }

    #[test]
    fn a_text_send_is_what_meta_documents() {
        let request = SendRequest::text("5511987654321", "Olá!");
        assert_eq!(
            serde_json::to_value(&request).expect("serializes"),
            json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"5511987654321",
                   "type":"text","text":{"body":"Olá!"}})
        );
        let doc = SendRequest::media(
            "5511987654321",
            MediaKind::Document,
            OutboundMedia {
                link: Some("https://x/nota.pdf".into()),
                filename: Some("nota.pdf".into()),
                ..OutboundMedia::default()
            },
        );
        assert_eq!(
            serde_json::to_value(&doc).expect("serializes"),
            json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"5511987654321",
                   "type":"document","document":{"link":"https://x/nota.pdf","filename":"nota.pdf"}})
        );
    }

    #[test]
    fn a_named_parameter_carries_its_name() {
        let parameter = TemplateParameter::named_text("first_name", "Maria");
        assert_eq!(
            serde_json::to_value(&parameter).expect("serializes"),
            json!({"type":"text","parameter_name":"first_name","text":"Maria"})
        );
    }

    #[test]
    fn the_send_response_example_round_trips() {
        let response: SendResponse = round_trip(SEND_RESPONSE);
        assert_eq!(response.contacts[0].wa_id.as_deref(), Some("16505551234"));
        assert_eq!(response.messages[0].id, "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA");
    }

    #[test]
    fn the_error_envelope_of_section_5_parses() {
        let envelope: ErrorEnvelope = round_trip(
            r#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,
                "error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},
                "fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}"#,
        );
        assert_eq!(envelope.error.code, 130429);
        assert_eq!(envelope.error.kind.as_deref(), Some("OAuthException"));
        assert_eq!(
            envelope.error.error_data.and_then(|d| d.details).as_deref(),
            Some("Cloud API message throughput has been reached.")
        );
    }

    #[test]
    fn the_inbound_text_example_round_trips() {
        let notification: Notification = round_trip(INBOUND_TEXT);
        assert_eq!(notification.object, WEBHOOK_OBJECT);
        assert_eq!(notification.entry[0].id, "102290129340398");
        let value = notification.messages_values().next().expect("a messages change");
        assert_eq!(value.metadata.phone_number_id, "106540352242922");
        assert_eq!(value.contacts[0].profile.as_ref().and_then(|p| p.name.as_deref()), Some("Sheena Nelson"));
        assert_eq!(value.contacts[0].wa_id.as_deref(), Some("16505551234"));
        let message = &value.messages[0];
        assert_eq!(message.from.as_deref(), Some("16505551234"));
        assert_eq!(message.timestamp_seconds(), Some(1749416383));
        assert_eq!(
            message.content,
            InboundContent::Text(TextContent { body: "Does it come in another color?".into() })
        );
    }

    #[test]
    fn the_inbound_image_example_round_trips() {
        let notification: Notification = round_trip(INBOUND_IMAGE);
        let value = notification.messages_values().next().expect("a messages change");
        let InboundContent::Image(image) = &value.messages[0].content else { panic!("an image") };
        assert_eq!(image.id, "1003383421387256");
        assert_eq!(image.caption.as_deref(), Some("Taj Mahal"));
        assert_eq!(image.mime_type.as_deref(), Some("image/jpeg"));
        assert_eq!(image.sha256.as_deref(), Some("SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="));
    }

    #[test]
    fn the_failed_131047_status_example_round_trips() {
        let notification: Notification = round_trip(FAILED_131047);
        let value = notification.messages_values().next().expect("a messages change");
        let status = &value.statuses[0];
        assert_eq!(status.status, StatusKind::Failed);
        assert_eq!(status.recipient_id.as_deref(), Some("16505551234"));
        assert_eq!(status.errors[0].code, 131047);
        assert_eq!(status.errors[0].title.as_deref(), Some("Re-engagement message"));
        assert_eq!(
            status.errors[0].error_data.as_ref().and_then(|d| d.details.as_deref()),
            Some("More than 24 hours have passed since the recipient last replied to the sender number.")
        );
    }

    #[test]
    fn a_status_with_pricing_and_conversation_round_trips() {
        let notification: Notification = round_trip(
            r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
              "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"2"},
              "statuses":[{"id":"wamid.X","status":"delivered","timestamp":"1751142888","recipient_id":"5511987654321",
                "conversation":{"id":"c1","origin":{"type":"utility"}},
                "pricing":{"billable":false,"pricing_model":"PMP","type":"free_customer_service","category":"utility"}}]}}]}]}"#,
        );
        let value = notification.messages_values().next().expect("a messages change");
        let pricing = value.statuses[0].pricing.as_ref().expect("pricing");
        assert_eq!(pricing.billable, Some(false));
        assert_eq!(pricing.kind.as_deref(), Some("free_customer_service"));
        assert_eq!(pricing.category, "utility");
    }

    #[test]
    fn every_modelled_message_type_parses_to_its_variant() {
        let cases = [
            (json!({"type":"video","video":{"id":"1","mime_type":"video/mp4","sha256":"h"}}), "video"),
            (json!({"type":"audio","audio":{"id":"1","mime_type":"audio/ogg","voice":true}}), "audio"),
            (
                json!({"type":"document","document":{"id":"1","filename":"nota.pdf","mime_type":"application/pdf","caption":"Nota"}}),
                "document",
            ),
            (
                json!({"type":"sticker","sticker":{"id":"1","mime_type":"image/webp","animated":false}}),
                "sticker",
            ),
            (
                json!({"type":"location","location":{"latitude":-23.5,"longitude":-46.6,"name":"Loja"}}),
                "location",
            ),
            (json!({"type":"contacts","contacts":[{"name":{"formatted_name":"Ana"}}]}), "contacts"),
            (json!({"type":"reaction","reaction":{"message_id":"wamid.A","emoji":"👍"}}), "reaction"),
            (
                json!({"type":"button","button":{"payload":"TALK_TO_AGENT","text":"Falar com atendente"}}),
                "button",
            ),
            (
                json!({"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"1","title":"Segunda via","description":"Boleto"}}}),
                "interactive",
            ),
            (
                json!({"type":"order","order":{"catalog_id":"9","text":"ok","product_items":[{"product_retailer_id":"sku","quantity":1,"item_price":10.5,"currency":"BRL"}]}}),
                "order",
            ),
        ];
        for (body, kind) in cases {
            let mut message = json!({"from":"5511987654321","id":"wamid.A","timestamp":"1"});
            for (k, v) in body.as_object().expect("object") {
                message[k] = v.clone();
            }
            let parsed: InboundMessage = serde_json::from_value(message.clone()).expect("parses");
            assert_eq!(parsed.content.kind(), kind);
            assert!(!matches!(parsed.content, InboundContent::Unknown { .. }), "{kind} is typed");
            assert_eq!(serde_json::to_value(&parsed).expect("serializes"), message, "{kind} round-trips");
        }
    }

    #[test]
    fn a_reaction_removal_and_a_button_reply_with_context_parse() {
        let removal: InboundMessage = serde_json::from_value(
            json!({"from":"1","id":"wamid.R","timestamp":"1","type":"reaction","reaction":{"message_id":"wamid.A"}}),
        )
        .expect("parses");
        assert_eq!(
            removal.content,
            InboundContent::Reaction(Reaction { message_id: "wamid.A".into(), emoji: None })
        );
        let tap: InboundMessage = serde_json::from_value(json!({"from":"1","id":"wamid.B","timestamp":"1",
            "context":{"from":"15550783881","id":"wamid.T"},
            "type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"sim","title":"Sim"}}}))
        .expect("parses");
        assert_eq!(tap.context.and_then(|c| c.id).as_deref(), Some("wamid.T"));
        let InboundContent::Interactive(interactive) = tap.content else { panic!("interactive") };
        assert_eq!(interactive.button_reply.map(|b| b.title).as_deref(), Some("Sim"));
    }

    #[test]
    fn unknown_and_unsupported_types_keep_their_raw_json() {
        let unsupported = json!({"from":"1","id":"wamid.U","timestamp":"1","type":"unsupported",
            "errors":[{"code":131051,"title":"Message type unknown"}],"unsupported":{"type":"poll"}});
        let parsed: InboundMessage = serde_json::from_value(unsupported.clone()).expect("parses");
        assert_eq!(parsed.errors[0].code, 131051);
        let InboundContent::Unknown { kind, raw } = &parsed.content else { panic!("unknown") };
        assert_eq!(kind, "unsupported");
        assert_eq!(raw["unsupported"], json!({"type":"poll"}));
        assert_eq!(serde_json::to_value(&parsed).expect("serializes"), unsupported);

        let future = json!({"from":"1","id":"wamid.F","timestamp":"1","type":"hologram","hologram":{"x":1}});
        let parsed: InboundMessage = serde_json::from_value(future.clone()).expect("parses");
        assert_eq!(parsed.content.kind(), "hologram");
        assert_eq!(serde_json::to_value(&parsed).expect("serializes"), future);
    }

    #[test]
    fn unknown_fields_and_bsuid_only_contacts_do_not_break_parsing() {
        let body = json!({"object":"whatsapp_business_account","brand_new":true,"entry":[{"id":"1","time":5,
            "changes":[{"field":"messages","value":{"messaging_product":"whatsapp","new_thing":[1],
              "metadata":{"display_phone_number":"1","phone_number_id":"2","extra":"x"},
              "contacts":[{"profile":{"name":"Ana","username":"ana"},"user_id":"BR.1502576394655843"}],
              "messages":[{"from_user_id":"BR.1502576394655843","id":"wamid.Z","timestamp":"9","type":"text",
                "text":{"body":"oi","new":1}}]}}]}]});
        let notification =
            Notification::parse(body.to_string().as_bytes()).expect("unknown fields are ignored");
        let value = notification.messages_values().next().expect("messages");
        assert_eq!(value.contacts[0].user_id.as_deref(), Some("BR.1502576394655843"));
        assert_eq!(value.contacts[0].wa_id, None);
        assert_eq!(value.messages[0].from, None);
        assert_eq!(value.messages[0].from_user_id.as_deref(), Some("BR.1502576394655843"));
    }

    #[test]
    fn a_template_status_update_parses_with_a_numeric_id_and_other_fields_are_kept() {
        let notification: Notification = round_trip(
            r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
              {"value":{"event":"REJECTED","message_template_id":806312974732579,"message_template_name":"promo",
                "message_template_language":"pt_BR","reason":"PROMOTIONAL"},"field":"message_template_status_update"},
              {"value":{"anything":1},"field":"account_update"}]}]}"#,
        );
        let update = notification.template_updates().next().expect("an update");
        assert_eq!(update.event, TemplateStatus::Rejected);
        assert_eq!(update.message_template_id, 806312974732579);
        assert_eq!(update.reason.as_deref(), Some("PROMOTIONAL"));
        assert!(
            matches!(&notification.entry[0].changes[1], Change::Other { field, .. } if field == "account_update")
        );
        let as_string: TemplateStatusUpdate = serde_json::from_value(json!({"event":"PAUSED",
            "message_template_id":"42","message_template_name":"x","message_template_language":"pt_BR"}))
        .expect("parses");
        assert_eq!(as_string.message_template_id, 42);
        let future: TemplateStatusUpdate = serde_json::from_value(json!({"event":"SOMETHING_NEW",
            "message_template_id":1,"message_template_name":"x","message_template_language":"pt_BR"}))
        .expect("parses");
        assert_eq!(future.event, TemplateStatus::Unknown);
    }

    #[test]
    fn a_template_listing_page_parses() {
        let page: TemplateListPage = round_trip(
            r#"{"data":[{"name":"seasonal_promotion","components":[
                {"type":"HEADER","format":"TEXT","text":"Our {{1}} is on!"},
                {"type":"BODY","text":"Shop now through {{1}}","example":{"body_text":[["the end of August"]]}},
                {"type":"FOOTER","text":"Use the buttons below"},
                {"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Unsubscribe"}]}],
              "language":"en_US","status":"APPROVED","category":"MARKETING","id":"920070352646140"}],
              "paging":{"cursors":{"before":"MAZDZD","after":"MjQZD"}}}"#,
        );
        assert_eq!(page.data[0].status, TemplateStatus::Approved);
        assert_eq!(page.data[0].category, TemplateCategory::Marketing);
        assert_eq!(page.data[0].components[3].buttons[0].kind, "QUICK_REPLY");
        assert_eq!(page.paging.and_then(|p| p.cursors).and_then(|c| c.after).as_deref(), Some("MjQZD"));
    }

    #[test]
    fn a_good_signature_verifies() {
        let body = INBOUND_TEXT.as_bytes();
        let header = signature_header(b"segredo-do-app", body);
        assert!(header.starts_with("sha256="));
        assert_eq!(header.len(), "sha256=".len() + 64);
        assert_eq!(header, header.to_lowercase());
        assert!(verify_signature(b"segredo-do-app", body, Some(&header)));
    }

    #[test]
    fn the_signature_matches_a_known_hmac_sha256_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature_header(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_tampered_body_or_a_bad_signature_is_refused() {
        let header = signature_header(b"segredo", b"{\"a\":1}");
        assert!(!verify_signature(b"segredo", b"{\"a\":2}", Some(&header)));
        let mut flipped = header.clone();
        flipped.replace_range(header.len() - 1.., if header.ends_with('0') { "1" } else { "0" });
        assert!(!verify_signature(b"segredo", b"{\"a\":1}", Some(&flipped)));
    }

    #[test]
    fn a_missing_signature_is_refused() {
        assert!(!verify_signature(b"segredo", b"{}", None));
        assert!(!verify_signature(b"segredo", b"{}", Some("")));
    }

    #[test]
    fn a_malformed_signature_header_is_refused() {
        let good = signature_header(b"segredo", b"{}");
        let digest = good.trim_start_matches("sha256=");
        for bad in [
            digest.to_owned(),
            format!("sha1={digest}"),
            "sha256=zz".into(),
            format!("sha256={}", &digest[..10]),
        ] {
            assert!(!verify_signature(b"segredo", b"{}", Some(&bad)), "{bad} must be refused");
        }
    }

    #[test]
    fn a_signature_made_with_another_secret_is_refused_and_an_empty_secret_refuses_all() {
        let header = signature_header(b"outro-segredo", b"{}");
        assert!(!verify_signature(b"segredo", b"{}", Some(&header)));
        let unkeyed = signature_header(b"", b"{}");
        assert!(!verify_signature(b"", b"{}", Some(&unkeyed)));
    }
}
