//! The Messenger Platform and Instagram Messaging wire format (Graph API Send API and webhooks). Both products
//! share it: the webhook's `object` is `page` or `instagram`, the ids are page-scoped (PSID) or
//! Instagram-scoped (IGSID), and Instagram's read receipts name the message (`read.mid`) where Messenger's
//! give a watermark.

use serde::{Deserialize, Serialize};

/// `messaging_type` of an answer inside the 24-hour window.
pub const RESPONSE: &str = "RESPONSE";
/// `messaging_type` of a tagged message (HUMAN_AGENT after 24 hours).
pub const MESSAGE_TAG: &str = "MESSAGE_TAG";

/// `POST /{page-id}/messages` (Messenger) or `POST /{ig-id}/messages` (Instagram).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    pub recipient: Party,
    pub messaging_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    pub message: OutgoingMessage,
}

impl SendRequest {
    /// A text; `tag` is `Some("HUMAN_AGENT")` after the 24 hours.
    pub fn text(recipient: &str, text: impl Into<String>, tag: Option<&str>) -> Self {
        Self {
            recipient: Party { id: recipient.to_owned() },
            messaging_type: if tag.is_some() { MESSAGE_TAG } else { RESPONSE }.to_owned(),
            tag: tag.map(str::to_owned),
            message: OutgoingMessage {
                text: Some(text.into()),
                attachment: None,
                metadata: None,
                reply_to: None,
            },
        }
    }

    /// An attachment by link (`image`, `video`, `audio`, `file`).
    pub fn attachment(recipient: &str, kind: &str, url: String, tag: Option<&str>) -> Self {
        let payload = AttachmentPayload { url: Some(url), ..AttachmentPayload::default() };
        Self::with_attachment(recipient, kind, payload, tag)
    }

    /// An attachment uploaded before (see `MessengerClient::upload`), by its id.
    pub fn uploaded(recipient: &str, kind: &str, attachment_id: String, tag: Option<&str>) -> Self {
        let payload =
            AttachmentPayload { attachment_id: Some(attachment_id), ..AttachmentPayload::default() };
        Self::with_attachment(recipient, kind, payload, tag)
    }

    fn with_attachment(recipient: &str, kind: &str, payload: AttachmentPayload, tag: Option<&str>) -> Self {
        let attachment = Attachment { kind: kind.to_owned(), payload };
        Self {
            message: OutgoingMessage {
                text: None,
                attachment: Some(attachment),
                metadata: None,
                reply_to: None,
            },
            ..Self::text(recipient, "", tag)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// Echoed back in the page's `message_echoes`: Atende's message id, so a send whose answer was lost is
    /// recognised instead of sent twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// "Responder": the message answered, by its `mid` (the same object replies come in with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
}

/// `{"type":"image","payload":{"url":"…"}}`, in both directions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub payload: AttachmentPayload,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A file uploaded with the Attachment Upload API (`/message_attachments`), sent by its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_id: Option<String>,
    /// Asked of an upload: the id may be sent again (to this or another person).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_reusable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// What `/message_attachments` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedAttachment {
    pub attachment_id: String,
}

/// A send Meta accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResponse {
    #[serde(default)]
    pub recipient_id: Option<String>,
    pub message_id: String,
}

/// `GET /{psid}?fields=first_name,last_name` (Messenger) or `?fields=name,username` (Instagram).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

impl Profile {
    /// The name to show: full name, else first + last, else `@username`.
    pub fn display_name(&self) -> Option<String> {
        let joined = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        self.name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| (!joined.trim().is_empty()).then_some(joined))
            .or_else(|| self.username.as_ref().map(|u| format!("@{u}")))
    }
}

/// A webhook notification: `{"object":"page"|"instagram","entry":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub object: String,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

impl Event {
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// One page's (or Instagram account's) events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The page id or the Instagram account id.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
    #[serde(default)]
    pub messaging: Vec<Messaging>,
}

/// One event: a message, a delivery, a read, a reaction or a postback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Messaging {
    pub sender: Party,
    pub recipient: Party,
    /// Milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<IncomingMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Read>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<Reaction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postback: Option<Postback>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingMessage {
    pub mid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// A message the page itself sent (from Atende or another tool), echoed back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_echo: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply: Option<QuickReply>,
    /// On echoes: the `metadata` the sender attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// The message this one answers (Messenger and Instagram replies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTo {
    pub mid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReply {
    pub payload: String,
}

/// Messenger: the listed messages (or all before `watermark`) were delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    #[serde(default)]
    pub mids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<i64>,
}

/// Messenger: everything sent before `watermark` was read. Instagram: the message `mid` was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    /// `react` or `unreact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Postback {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_tagged_text_is_a_message_tag_send_and_an_answer_is_a_response() {
        let tagged = serde_json::to_value(SendRequest::text("123", "Oi", Some("HUMAN_AGENT"))).expect("json");
        assert_eq!(
            tagged,
            json!({"recipient":{"id":"123"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT","message":{"text":"Oi"}})
        );
        let plain = serde_json::to_value(SendRequest::text("123", "Oi", None)).expect("json");
        assert_eq!(
            plain,
            json!({"recipient":{"id":"123"},"messaging_type":"RESPONSE","message":{"text":"Oi"}})
        );
    }

    #[test]
    fn messenger_and_instagram_events_parse() {
        let body = json!({"object":"page","entry":[{"id":"PAGE","time":1,"messaging":[
            {"sender":{"id":"PSID"},"recipient":{"id":"PAGE"},"timestamp":1_700_000_000_000_i64,
             "message":{"mid":"m_1","text":"Olá","attachments":[{"type":"image","payload":{"url":"https://x/y.png"}}]}},
            {"sender":{"id":"PSID"},"recipient":{"id":"PAGE"},"delivery":{"mids":["m_2"],"watermark":1_700_000_000_001_i64}},
            {"sender":{"id":"PSID"},"recipient":{"id":"PAGE"},"read":{"watermark":1_700_000_000_002_i64}},
            {"sender":{"id":"PAGE"},"recipient":{"id":"PSID"},"message":{"mid":"m_3","text":"eco","is_echo":true}}
        ]}]});
        let event = Event::parse(body.to_string().as_bytes()).expect("parses");
        let messaging = &event.entry[0].messaging;
        assert_eq!(messaging[0].message.as_ref().map(|m| m.attachments.len()), Some(1));
        assert_eq!(messaging[1].delivery.as_ref().map(|d| d.mids.clone()), Some(vec!["m_2".to_owned()]));
        assert_eq!(messaging[2].read.as_ref().and_then(|r| r.watermark), Some(1_700_000_000_002));
        assert!(messaging[3].message.as_ref().is_some_and(|m| m.is_echo));
        let instagram = json!({"object":"instagram","entry":[{"id":"IG","time":1,"messaging":[
            {"sender":{"id":"IGSID"},"recipient":{"id":"IG"},"timestamp":1,"read":{"mid":"m_9"}}]}]});
        let event = Event::parse(instagram.to_string().as_bytes()).expect("parses");
        assert_eq!(event.entry[0].messaging[0].read.as_ref().and_then(|r| r.mid.as_deref()), Some("m_9"));
    }

    #[test]
    fn a_profile_names_the_person_as_best_it_can() {
        let messenger =
            Profile { first_name: Some("Ana".into()), last_name: Some("Souza".into()), ..Profile::default() };
        assert_eq!(messenger.display_name().as_deref(), Some("Ana Souza"));
        let instagram = Profile { username: Some("ana.souza".into()), ..Profile::default() };
        assert_eq!(instagram.display_name().as_deref(), Some("@ana.souza"));
        assert_eq!(Profile::default().display_name(), None);
    }
}
