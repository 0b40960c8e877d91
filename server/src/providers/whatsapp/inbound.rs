//! WhatsApp Cloud API webhooks: Meta's signed requests let in (the same gate serves Messenger and
//! Instagram, which Meta signs alike), and a stored notification applied: the contacts' messages, the
//! statuses of ours with their prices, and template status changes.

use super::wire::{self, Change, InboundContent, Notification};
use crate::access::constant_time_eq;
use crate::channels::port::{
    message_of_correlation, InboundFailure, InboundHandler, InboundSink, Refusal, WebhookGate,
};
use crate::channels::registry::ChannelRegistry;
use crate::store::inbound::{InboundMessage, StatusUpdate};
use crate::store::media::IncomingMedia;
use async_trait::async_trait;
use atende_domain::content::{Extras, Rich, SharedContact};
use atende_domain::conversation::ChannelKind;
use atende_domain::phone::Phone;
use atende_domain::provider_error::ProviderError;
use atende_domain::time::Timestamp;
use atende_domain::window::InboundKind;
use axum::http::{HeaderMap, StatusCode};
use std::collections::HashMap;
use std::sync::Arc;

/// Meta's requests (`/webhooks/whatsapp`, `/webhooks/meta`): a valid `X-Hub-Signature-256` first (nothing is
/// stored without one), by a key of the whole server or of the channel the body speaks for; and the
/// subscription handshake with one of the verify tokens.
pub struct SignedGate {
    pub channels: Arc<ChannelRegistry>,
}

impl WebhookGate for SignedGate {
    fn admit(&self, headers: &HeaderMap, body: &[u8]) -> Result<String, Refusal> {
        let signature = headers.get(wire::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        let verify = |secret: &[u8]| wire::verify_signature(secret, body, signature);
        if !self.channels.accepts_signed(verify, || payload_ids(body)) {
            tracing::warn!(bytes = body.len(), "webhook refused: bad or missing signature");
            return Err((StatusCode::UNAUTHORIZED, "invalid X-Hub-Signature-256"));
        }
        let Ok(text) = std::str::from_utf8(body) else {
            return Err((StatusCode::BAD_REQUEST, "body is not UTF-8"));
        };
        if serde_json::from_str::<serde_json::Value>(text).is_err() {
            return Err((StatusCode::BAD_REQUEST, "body is not JSON"));
        }
        Ok(text.to_owned())
    }

    /// Echoes `hub.challenge` when the token is ours.
    fn handshake(&self, query: &HashMap<String, String>) -> Option<Result<String, Refusal>> {
        let token_ok = query.get("hub.verify_token").is_some_and(|given| {
            self.channels
                .verify_tokens()
                .iter()
                .any(|ours| !ours.is_empty() && constant_time_eq(given.as_bytes(), ours.as_bytes()))
        });
        Some(match (query.get("hub.mode").map(String::as_str), query.get("hub.challenge")) {
            (Some("subscribe"), Some(challenge)) if token_ok => Ok(challenge.clone()),
            (Some("subscribe"), Some(_)) => Err((StatusCode::FORBIDDEN, "verify token does not match")),
            _ => Err((
                StatusCode::BAD_REQUEST,
                "expected hub.mode=subscribe, hub.verify_token and hub.challenge",
            )),
        })
    }
}

/// Applies stored Cloud API notifications.
pub struct CloudApiInbound;

#[async_trait]
impl InboundHandler for CloudApiInbound {
    /// `Ok(true)` when everything in the body was applied; `Ok(false)` when a status waits for its message.
    async fn apply(&self, sink: &mut dyn InboundSink, body: &str) -> Result<bool, InboundFailure> {
        let notification = Notification::parse(body.as_bytes())
            .map_err(|e| InboundFailure::Unreadable(format!("invalid notification: {e}")))?;
        let mut complete = true;
        for entry in &notification.entry {
            for change in &entry.changes {
                match change {
                    Change::Messages(value) => {
                        let number = &value.metadata.phone_number_id;
                        let Some(channel_id) = sink.channel(ChannelKind::WhatsappOfficial, number).await?
                        else {
                            return Err(InboundFailure::Unreadable(format!(
                                "no channel for phone_number_id {number}"
                            )));
                        };
                        for message in &value.messages {
                            let Some(inbound) = to_inbound(channel_id, value, message) else {
                                continue;
                            };
                            sink.message(&inbound).await?;
                        }
                        for status in &value.statuses {
                            complete &= sink.status(&to_status(status)).await?;
                            if let Some(pricing) = &status.pricing {
                                let billable = pricing.billable.unwrap_or_else(|| {
                                    pricing.kind.as_deref().is_none_or(|k| k == "regular")
                                });
                                sink.billing(
                                    &status.id,
                                    &pricing.category,
                                    Some(&pricing.pricing_model),
                                    billable,
                                )
                                .await?;
                            }
                        }
                    }
                    Change::TemplateStatus(update) => {
                        sink.template_status(
                            &entry.id,
                            &update.message_template_name,
                            &update.message_template_language,
                            &wire_name(&update.event).unwrap_or_else(|| "UNKNOWN".into()),
                        )
                        .await?;
                    }
                    Change::Other { .. } => {}
                }
            }
        }
        Ok(complete)
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
        media: media_of(&message.content, sent_at),
        extras: extras_of(message),
    })
}

/// A place, contact cards, a reaction, the button tapped, an unsupported kind; and the message it answers.
fn extras_of(message: &wire::InboundMessage) -> Extras {
    let text = |v: &serde_json::Value, path: &[&str]| {
        path.iter().try_fold(v, |v, key| v.get(key)).and_then(|v| v.as_str()).map(str::to_owned)
    };
    let rich = match &message.content {
        InboundContent::Location(place) => Some(Rich::Location {
            latitude: place.latitude,
            longitude: place.longitude,
            name: place.name.clone(),
            address: place.address.clone(),
        }),
        InboundContent::Contacts(cards) => Some(Rich::Contacts(
            cards
                .iter()
                .map(|card| SharedContact {
                    name: text(card, &["name", "formatted_name"]).unwrap_or_else(|| "Contato".to_owned()),
                    phones: card["phones"]
                        .as_array()
                        .map(|phones| phones.iter().filter_map(|p| text(p, &["phone"])).collect())
                        .unwrap_or_default(),
                })
                .collect(),
        )),
        InboundContent::Reaction(reaction) => {
            Some(Rich::Reaction { to: reaction.message_id.clone(), emoji: reaction.emoji.clone() })
        }
        InboundContent::Button(button) => {
            button.text.clone().or_else(|| button.payload.clone()).map(|text| Rich::ButtonReply { text })
        }
        InboundContent::Interactive(choice) => choice
            .button_reply
            .as_ref()
            .or(choice.list_reply.as_ref())
            .map(|reply| Rich::ButtonReply { text: reply.title.clone() }),
        InboundContent::Unknown { kind, .. } if kind == "unsupported" => Some(Rich::Unsupported),
        _ => None,
    };
    let reply_to = match &message.content {
        InboundContent::Reaction(_) => None,
        _ => message.context.as_ref().and_then(|c| c.id.clone()),
    };
    Extras { rich, reply_to, ..Extras::default() }
}

/// How long Meta keeps a media id that came in a webhook.
const MEDIA_ID_LIFETIME_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The file of a photo, video, audio, document or sticker: fetched later by its media id (`GET /{media-id}`).
fn media_of(content: &InboundContent, sent_at: Timestamp) -> Option<IncomingMedia> {
    let media = match content {
        InboundContent::Image(m)
        | InboundContent::Video(m)
        | InboundContent::Audio(m)
        | InboundContent::Document(m)
        | InboundContent::Sticker(m) => m,
        _ => return None,
    };
    Some(IncomingMedia {
        source: super::media::source_of(&media.id),
        mime_type: media.mime_type.clone(),
        file_name: media.filename.clone(),
        voice: media.voice == Some(true),
        declared_sha256: media.sha256.clone(),
        expires_at: Some(sent_at.plus_millis(MEDIA_ID_LIFETIME_MS)),
        keep: true,
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
        InboundContent::Interactive(choice) => {
            choice.button_reply.as_ref().or(choice.list_reply.as_ref()).map(|reply| reply.title.clone())
        }
        InboundContent::Location(location) => location.name.clone().or_else(|| location.address.clone()),
        _ => None,
    }
}

fn to_status(status: &wire::Status) -> StatusUpdate {
    let error = status.errors.first();
    StatusUpdate {
        provider_message_id: status.id.clone(),
        our_message_id: message_of_correlation(status.biz_opaque_callback_data.as_deref()),
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

/// The name Meta gives an enum value on the wire (`"delivered"`, `"APPROVED"`).
pub(crate) fn wire_name(value: &impl serde::Serialize) -> Option<String> {
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
