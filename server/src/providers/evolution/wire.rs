//! Evolution API v2 (the open-source unofficial WhatsApp gateway): the requests Atende sends, the answers
//! and errors it reads, and the webhook events it receives.
//!
//! Sends answer HTTP 201 with the message's `key`; errors are `{"status","error","response":{"message"}}`
//! where `message` is a string, a list, a list of lists, or `[{"exists":false,…}]` for a number without
//! WhatsApp. Webhooks are `{"event":"messages.upsert","instance","data",…,"apikey"}` with no signature: the
//! instance's webhook headers (a bearer token) or the instance token in `apikey` authenticate them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The header carrying the API key on every request to Evolution.
pub const API_KEY_HEADER: &str = "apikey";

/// `POST /message/sendText/{instance}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendText {
    /// Digits, or a whole JID (`…@s.whatsapp.net`, `…@lid`).
    pub number: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted: Option<QuotedMessage>,
}

/// `quoted` of a send: the message answered, by its key (Evolution reads the rest from its own store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedMessage {
    pub key: QuotedKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotedKey {
    pub id: String,
    #[serde(default)]
    pub from_me: bool,
}

/// `POST /message/sendReaction/{instance}`: `reaction` `""` takes it off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReaction {
    pub key: Key,
    pub reaction: String,
}

/// `POST /message/sendMedia/{instance}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMedia {
    pub number: String,
    /// `image`, `video`, `document` or `audio`.
    pub mediatype: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mimetype: Option<String>,
    /// A URL or raw base64.
    pub media: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted: Option<QuotedMessage>,
}

/// `POST /message/sendWhatsAppAudio/{instance}`: a voice note (push-to-talk), by URL or base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendAudio {
    pub number: String,
    pub audio: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted: Option<QuotedMessage>,
}

/// A message's key: who and which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Key {
    pub remote_jid: String,
    #[serde(default)]
    pub from_me: bool,
    pub id: String,
    /// The phone JID when `remote_jid` is an `@lid` (v2.3.6+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_jid_alt: Option<String>,
    /// The same, as v2.3.0 named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_pn: Option<String>,
}

impl Key {
    /// The person's phone JID: `remote_jid`, or its alternative when that is an `@lid`.
    pub fn phone_jid(&self) -> Option<&str> {
        if self.remote_jid.ends_with("@s.whatsapp.net") {
            return Some(&self.remote_jid);
        }
        self.remote_jid_alt
            .as_deref()
            .or(self.sender_pn.as_deref())
            .filter(|jid| jid.ends_with("@s.whatsapp.net"))
    }

    /// Groups, broadcasts and newsletters are not conversations with a contact.
    pub fn is_person(&self) -> bool {
        self.remote_jid.ends_with("@s.whatsapp.net") || self.remote_jid.ends_with("@lid")
    }
}

/// What a send answers (and what `messages.upsert` carries): the key and the message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRecord {
    pub key: Key,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// Seconds (a number; some versions send a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_timestamp: Option<Value>,
}

impl MessageRecord {
    pub fn timestamp_seconds(&self) -> Option<i64> {
        match self.message_timestamp.as_ref()? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The message's content type (`conversation`, `imageMessage`, …): `messageType`, or else the first
    /// content key of `message` (some versions leave `messageType` out of `send.message`).
    fn content_type(&self) -> &str {
        const KNOWN: [&str; 13] = [
            "conversation",
            "extendedTextMessage",
            "imageMessage",
            "videoMessage",
            "audioMessage",
            "stickerMessage",
            "documentMessage",
            "documentWithCaptionMessage",
            "reactionMessage",
            "locationMessage",
            "contactMessage",
            "contactsArrayMessage",
            "ptvMessage",
        ];
        match self.message_type.as_deref() {
            Some(kind) if !kind.is_empty() => kind,
            _ => self
                .message
                .as_ref()
                .and_then(|m| KNOWN.into_iter().find(|key| m.get(key).is_some()))
                .unwrap_or_default(),
        }
    }

    /// The object under the content key: `message.imageMessage`, …; a document with a caption is nested
    /// one level deeper (`documentWithCaptionMessage.message.documentMessage`).
    fn content(&self, content_type: &str) -> Option<&Value> {
        let message = self.message.as_ref()?;
        match content_type {
            "documentWithCaptionMessage" => message
                .pointer("/documentWithCaptionMessage/message/documentMessage")
                .or_else(|| message.get("documentMessage")),
            "ptvMessage" => message.get("ptvMessage").or_else(|| message.get("videoMessage")),
            other => message.get(other),
        }
    }

    fn content_field(&self, content_type: &str, name: &str) -> Option<String> {
        self.content(content_type)?.get(name)?.as_str().filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// The file of a photo, video, voice note, sticker or document: its type, its name (documents) and whether
    /// it is a voice note (`ptt`); `None` for a message with no file.
    pub fn media(&self) -> Option<(Option<String>, Option<String>, bool)> {
        let content_type = self.content_type();
        let file = matches!(
            content_type,
            "imageMessage"
                | "videoMessage"
                | "audioMessage"
                | "stickerMessage"
                | "documentMessage"
                | "documentWithCaptionMessage"
        );
        if !file {
            return None;
        }
        let voice = self.content(content_type).and_then(|c| c.get("ptt")).and_then(Value::as_bool);
        Some((
            self.content_field(content_type, "mimetype"),
            self.content_field(content_type, "fileName"),
            voice == Some(true),
        ))
    }

    /// A place, contact cards, a reaction; and the message it answers (`contextInfo.stanzaId`, on the
    /// content or, as Evolution flattens it, on the record `data`).
    pub fn extras(&self, data: &Value) -> atende_domain::content::Extras {
        use atende_domain::content::{read_vcard, Extras, Rich};
        let content_type = self.content_type();
        let content = self.content(content_type).cloned().unwrap_or_default();
        let text = |name: &str| content.get(name).and_then(Value::as_str).map(str::to_owned);
        let number = |name: &str| content.get(name).and_then(Value::as_f64);
        let rich = match content_type {
            "locationMessage" => match (number("degreesLatitude"), number("degreesLongitude")) {
                (Some(latitude), Some(longitude)) => {
                    Some(Rich::Location { latitude, longitude, name: text("name"), address: text("address") })
                }
                _ => None,
            },
            "contactMessage" => {
                text("vcard").as_deref().and_then(read_vcard).map(|card| Rich::Contacts(vec![card]))
            }
            "contactsArrayMessage" => Some(Rich::Contacts(
                content["contacts"]
                    .as_array()
                    .map(|cards| {
                        cards.iter().filter_map(|c| c["vcard"].as_str().and_then(read_vcard)).collect()
                    })
                    .unwrap_or_default(),
            )),
            "reactionMessage" => content["key"]["id"].as_str().map(|to| Rich::Reaction {
                to: to.to_owned(),
                emoji: text("text").filter(|e| !e.is_empty()),
            }),
            _ => None,
        };
        let stanza = |v: &Value| v["contextInfo"]["stanzaId"].as_str().map(str::to_owned);
        let reply_to =
            if content_type == "reactionMessage" { None } else { stanza(&content).or_else(|| stanza(data)) };
        Extras { rich, reply_to, ..Extras::default() }
    }

    /// Atende's name for the message's type (`text`, `image`, …) and what an agent reads of it.
    pub fn kind_and_body(&self) -> (String, Option<String>) {
        let content_type = self.content_type();
        let field = |name: &str| self.content_field(content_type, name);
        match content_type {
            "conversation" | "extendedTextMessage" => {
                let text = self
                    .message
                    .as_ref()
                    .and_then(|m| m.get("conversation"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| self.content_field("extendedTextMessage", "text"));
                ("text".into(), text)
            }
            "imageMessage" => ("image".into(), field("caption")),
            "videoMessage" | "ptvMessage" => ("video".into(), field("caption")),
            "audioMessage" => ("audio".into(), None),
            "stickerMessage" => ("sticker".into(), None),
            "documentMessage" | "documentWithCaptionMessage" => {
                ("document".into(), field("caption").or_else(|| field("fileName")))
            }
            "reactionMessage" => ("reaction".into(), field("text")),
            "locationMessage" => ("location".into(), field("name")),
            "contactMessage" | "contactsArrayMessage" => ("contacts".into(), None),
            _ => ("unsupported".into(), None),
        }
    }

    /// What a `send.message` echo says was sent, to recognise one of Atende's sends whose answer was lost:
    /// its kind and text (or caption), and for media the file name and the `url`. `None` for what Atende never
    /// sends (stickers, reactions, …).
    ///
    /// Evolution's Baileys channel uploads the media to WhatsApp, so the echo's `url` is WhatsApp's (not the
    /// link Atende gave); the caption and the file name survive as sent.
    pub fn echoed(&self) -> Option<EchoedContent> {
        let (kind, text) = self.kind_and_body();
        if !["text", "image", "video", "audio", "document"].contains(&kind.as_str()) {
            return None;
        }
        let content_type = self.content_type();
        let media = kind != "text";
        Some(EchoedContent {
            text: if kind == "document" { self.content_field(content_type, "caption") } else { text },
            file_name: media.then(|| self.content_field(content_type, "fileName")).flatten(),
            url: media.then(|| self.content_field(content_type, "url")).flatten(),
            kind,
        })
    }
}

/// A send as its `send.message` echo describes it (see [`MessageRecord::echoed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoedContent {
    /// `text`, `image`, `video`, `audio` or `document`.
    pub kind: String,
    /// The text, or the media's caption.
    pub text: Option<String>,
    pub file_name: Option<String>,
    pub url: Option<String>,
}

/// `messages.update`: a delivery receipt for a message the instance sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusData {
    /// The WhatsApp message id (the send answer's `key.id`).
    pub key_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_jid: Option<String>,
    #[serde(default)]
    pub from_me: bool,
    /// `ERROR`, `PENDING`, `SERVER_ACK`, `DELIVERY_ACK`, `READ`, `PLAYED`.
    pub status: String,
}

impl StatusData {
    /// Atende's status name, or `None` for what adds nothing (`PENDING`, edits).
    pub fn atende_status(&self) -> Option<&'static str> {
        match self.status.as_str() {
            "SERVER_ACK" => Some("sent"),
            "DELIVERY_ACK" => Some("delivered"),
            "READ" | "PLAYED" => Some("read"),
            "ERROR" => Some("failed"),
            _ => None,
        }
    }
}

/// A webhook POST.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct WebhookEvent {
    /// `messages.upsert`, `messages.update`, `connection.update`, … (some setups send `MESSAGES_UPSERT`).
    pub event: String,
    pub instance: String,
    #[serde(default)]
    pub data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// The instance token, when Evolution exposes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apikey: Option<String>,
}

impl WebhookEvent {
    /// The event name in its dotted lower-case form.
    pub fn name(&self) -> String {
        self.event.to_ascii_lowercase().replace('_', ".")
    }
}

/// An error answer: `{"status":400,"error":"Bad Request","response":{"message":…}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub response: Option<ErrorResponse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    #[serde(default)]
    pub message: Value,
}

impl ErrorEnvelope {
    /// Every text in `response.message`, however nested.
    pub fn messages(&self) -> Vec<String> {
        fn collect(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::String(s) => out.push(s.clone()),
                Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
                Value::Object(_) => out.push(value.to_string()),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if let Some(response) = &self.response {
            collect(&response.message, &mut out);
        }
        out
    }

    /// `[{"exists":false,…}]`: the number has no WhatsApp.
    pub fn number_without_whatsapp(&self) -> bool {
        let Some(Value::Array(items)) = self.response.as_ref().map(|r| &r.message) else { return false };
        items.iter().any(|item| item.get("exists").and_then(Value::as_bool) == Some(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_upsert_with_an_lid_sender_is_addressed_by_its_phone_jid() {
        let record: MessageRecord = serde_json::from_value(json!({
            "key": {"remoteJid": "103899771998284@lid", "fromMe": false, "id": "3A5F", "remoteJidAlt": "5511987654321@s.whatsapp.net"},
            "pushName": "Maria", "status": "DELIVERY_ACK", "message": {"conversation": "Oi"},
            "messageType": "conversation", "messageTimestamp": 1_773_027_345_i64
        }))
        .expect("parses");
        assert_eq!(record.key.phone_jid(), Some("5511987654321@s.whatsapp.net"));
        assert!(record.key.is_person());
        assert_eq!(record.kind_and_body(), ("text".into(), Some("Oi".into())));
        assert_eq!(record.timestamp_seconds(), Some(1_773_027_345));
        let group = Key {
            remote_jid: "1203@g.us".into(),
            from_me: false,
            id: "x".into(),
            remote_jid_alt: None,
            sender_pn: None,
        };
        assert!(!group.is_person());
    }

    #[test]
    fn media_and_reactions_say_what_the_agent_reads() {
        let image: MessageRecord = serde_json::from_value(json!({
            "key": {"remoteJid": "5511987654321@s.whatsapp.net", "id": "A"},
            "message": {"imageMessage": {"caption": "Foto", "mimetype": "image/jpeg"}}, "messageType": "imageMessage",
            "messageTimestamp": "1773027345"
        }))
        .expect("parses");
        assert_eq!(image.kind_and_body(), ("image".into(), Some("Foto".into())));
        assert_eq!(image.timestamp_seconds(), Some(1_773_027_345));
        let document: MessageRecord = serde_json::from_value(json!({
            "key": {"remoteJid": "5511987654321@s.whatsapp.net", "id": "B"},
            "message": {"documentMessage": {"fileName": "boleto.pdf"}}, "messageType": "documentMessage"
        }))
        .expect("parses");
        assert_eq!(document.kind_and_body(), ("document".into(), Some("boleto.pdf".into())));
    }

    #[test]
    fn an_echo_says_the_kind_caption_and_file_name_that_were_sent() {
        let echo = |message_type: &str, message: Value| -> MessageRecord {
            serde_json::from_value(json!({
                "key": {"remoteJid": "5511987654321@s.whatsapp.net", "fromMe": true, "id": "3EB0"},
                "message": message, "messageType": message_type, "status": "PENDING"
            }))
            .expect("parses")
        };
        let image = echo(
            "imageMessage",
            json!({"imageMessage": {"url": "https://mmg.whatsapp.net/v/x.enc", "mimetype": "image/jpeg",
                   "caption": "Seu bolo", "fileName": "image.png"}}),
        );
        assert_eq!(
            image.echoed(),
            Some(EchoedContent {
                kind: "image".into(),
                text: Some("Seu bolo".into()),
                file_name: Some("image.png".into()),
                url: Some("https://mmg.whatsapp.net/v/x.enc".into()),
            })
        );
        let document = echo(
            "documentWithCaptionMessage",
            json!({"documentWithCaptionMessage": {"message": {"documentMessage": {
                "fileName": "nf-77.pdf", "caption": "Sua nota", "mimetype": "application/pdf"}}}}),
        );
        let echoed = document.echoed().expect("a document");
        assert_eq!(
            (echoed.kind.as_str(), echoed.text.as_deref(), echoed.file_name.as_deref()),
            ("document", Some("Sua nota"), Some("nf-77.pdf"))
        );
        assert_eq!(document.kind_and_body(), ("document".into(), Some("Sua nota".into())));
        let bare = echo("documentMessage", json!({"documentMessage": {"fileName": "nf-77.pdf"}}));
        assert_eq!(bare.echoed().and_then(|e| e.text), None, "no caption: the file name is not a caption");
        let voice = echo(
            "audioMessage",
            json!({"audioMessage": {"ptt": true, "mimetype": "audio/ogg; codecs=opus"}}),
        );
        assert_eq!(voice.echoed().map(|e| (e.kind, e.text)), Some(("audio".into(), None)));
        let text = echo("", json!({"conversation": "Oi"}));
        assert_eq!(text.echoed().map(|e| (e.kind, e.text)), Some(("text".into(), Some("Oi".into()))));
        let sticker = echo("stickerMessage", json!({"stickerMessage": {}}));
        assert_eq!(sticker.echoed(), None);
    }

    #[test]
    fn errors_are_read_however_nested() {
        let schema: ErrorEnvelope = serde_json::from_value(json!({"status":400,"error":"Bad Request",
            "response":{"message":[["instance requires property \"text\""]]}}))
        .expect("parses");
        assert_eq!(schema.messages(), ["instance requires property \"text\""]);
        assert!(!schema.number_without_whatsapp());
        let missing: ErrorEnvelope = serde_json::from_value(json!({"status":400,"error":"Bad Request",
            "response":{"message":[{"exists":false,"jid":"5511900000000@s.whatsapp.net","number":"5511900000000"}]}}))
        .expect("parses");
        assert!(missing.number_without_whatsapp());
        let unauthorized: ErrorEnvelope = serde_json::from_value(
            json!({"status":401,"error":"Unauthorized","response":{"message":"Unauthorized"}}),
        )
        .expect("parses");
        assert_eq!(unauthorized.messages(), ["Unauthorized"]);
    }

    #[test]
    fn receipts_map_to_atende_statuses_and_event_names_are_normalised() {
        let status =
            |s: &str| StatusData { key_id: "k".into(), remote_jid: None, from_me: true, status: s.into() };
        assert_eq!(status("SERVER_ACK").atende_status(), Some("sent"));
        assert_eq!(status("DELIVERY_ACK").atende_status(), Some("delivered"));
        assert_eq!(status("PLAYED").atende_status(), Some("read"));
        assert_eq!(status("PENDING").atende_status(), None);
        let event: WebhookEvent =
            serde_json::from_value(json!({"event":"MESSAGES_UPSERT","instance":"loja","data":{}}))
                .expect("parses");
        assert_eq!(event.name(), "messages.upsert");
    }
}
