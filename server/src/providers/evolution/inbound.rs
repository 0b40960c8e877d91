//! `POST /webhooks/evolution`: the unofficial gateway's events. Evolution signs nothing, so a request is
//! accepted only with the channel's webhook token (`Authorization: Bearer …`, set in the instance's webhook
//! headers) or the instance token in the body's `apikey`, compared in constant time; then stored and
//! acknowledged like Meta's, and applied by the processor.

use super::wire::{MessageRecord, StatusData, WebhookEvent};
use super::EvolutionWebhookAuth;
use crate::access::constant_time_eq;
use crate::channels::port::{InboundFailure, InboundHandler, InboundSink, Refusal, WebhookGate};
use crate::channels::registry::ChannelRegistry;
use crate::store::inbound::{InboundMessage, SentEcho, StatusUpdate};
use crate::store::media::IncomingMedia;
use async_trait::async_trait;
use atende_domain::conversation::ChannelKind;
use atende_domain::phone::Phone;
use atende_domain::time::Timestamp;
use atende_domain::window::InboundKind;
use axum::http::{header, HeaderMap, StatusCode};
use std::sync::Arc;

impl EvolutionWebhookAuth {
    fn accepts(&self, headers: &HeaderMap, event: &WebhookEvent) -> bool {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|token| {
                !self.webhook_token.is_empty()
                    && constant_time_eq(token.as_bytes(), self.webhook_token.as_bytes())
            });
        let body_key = event.apikey.as_deref().is_some_and(|key| {
            !self.api_key.is_empty() && constant_time_eq(key.as_bytes(), self.api_key.as_bytes())
        });
        bearer || body_key
    }
}

/// The phone of a `…@s.whatsapp.net` JID (an `@lid` has none).
fn phone_of(jid: &str) -> Option<Phone> {
    jid.strip_suffix("@s.whatsapp.net").and_then(|digits| Phone::parse(&format!("+{digits}")).ok())
}

/// Lets in the events of the instances Atende knows, with their tokens.
pub struct EvolutionGate {
    pub channels: Arc<ChannelRegistry>,
}

impl WebhookGate for EvolutionGate {
    fn admit(&self, headers: &HeaderMap, body: &[u8]) -> Result<String, Refusal> {
        let Ok(text) = std::str::from_utf8(body) else {
            return Err((StatusCode::BAD_REQUEST, "body is not UTF-8"));
        };
        let Ok(event) = serde_json::from_str::<WebhookEvent>(text) else {
            return Err((StatusCode::BAD_REQUEST, "expected an Evolution API event (event, instance, data)"));
        };
        let known = self.channels.evolution(&event.instance);
        if !known.is_some_and(|auth| auth.accepts(headers, &event)) {
            tracing::warn!(instance = %event.instance, "Evolution webhook refused: unknown instance or bad token");
            return Err((StatusCode::UNAUTHORIZED, "unknown instance or invalid token"));
        }
        // The instance token may ride in the body: it is not kept.
        let mut stored = serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
        if let Some(object) = stored.as_object_mut() {
            object.remove("apikey");
        }
        Ok(stored.to_string())
    }
}

/// Applies stored Evolution events.
pub struct EvolutionInbound;

#[async_trait]
impl InboundHandler for EvolutionInbound {
    /// `Ok(false)` when a receipt names a message Atende does not know yet.
    async fn apply(&self, sink: &mut dyn InboundSink, body: &str) -> Result<bool, InboundFailure> {
        let event: WebhookEvent = serde_json::from_str(body)
            .map_err(|e| InboundFailure::Unreadable(format!("invalid event: {e}")))?;
        let Some(channel_id) = sink.channel(ChannelKind::WhatsappUnofficial, &event.instance).await? else {
            return Err(InboundFailure::Unreadable(format!("no channel for instance {}", event.instance)));
        };
        match event.name().as_str() {
            name @ ("messages.upsert" | "send.message") => {
                let record: MessageRecord = serde_json::from_value(event.data.clone())
                    .map_err(|e| InboundFailure::Unreadable(format!("invalid {name}: {e}")))?;
                if !record.key.is_person() {
                    return Ok(true); // groups are not conversations with a contact
                }
                if record.key.from_me {
                    // Our own send, echoed (text or media): a send whose answer was lost is recognised here.
                    if let Some(content) = record.echoed() {
                        let phone_jid = record.key.phone_jid().map(str::to_owned);
                        let echo = SentEcho {
                            provider_message_id: record.key.id.clone(),
                            jid: record.key.remote_jid.clone(),
                            phone: phone_jid.as_deref().and_then(phone_of),
                            phone_jid,
                            kind: content.kind,
                            text: content.text,
                            file_name: content.file_name,
                            url: content.url,
                        };
                        sink.echo(channel_id, &echo).await?;
                    }
                    return Ok(true);
                }
                let jid = record.key.phone_jid().unwrap_or(&record.key.remote_jid).to_owned();
                let phone = phone_of(&jid);
                let (kind, text) = record.kind_and_body();
                // Evolution names the contents as WhatsApp does.
                let activity =
                    InboundKind::from_whatsapp_type(&kind, None).unwrap_or(InboundKind::Unsupported);
                let sent_at = record
                    .timestamp_seconds()
                    .map_or(sink.now(), |s| Timestamp::from_millis(s.saturating_mul(1000)));
                let inbound = InboundMessage {
                    channel_id,
                    identity_kind: "evolution_jid".into(),
                    external_id: jid,
                    phone,
                    profile_name: record.push_name.clone().filter(|n| !n.trim().is_empty()),
                    provider_message_id: record.key.id.clone(),
                    kind,
                    body: text,
                    detail: event.data.to_string(),
                    sent_at,
                    activity,
                    media: record.media().map(|(mime_type, file_name, voice)| IncomingMedia {
                        source: super::media::source_of(&record),
                        mime_type,
                        file_name,
                        voice,
                        declared_sha256: None,
                        expires_at: None,
                        keep: true,
                    }),
                    extras: record.extras(&event.data),
                };
                sink.message(&inbound).await?;
                Ok(true)
            }
            "messages.update" => {
                let data: StatusData = serde_json::from_value(event.data.clone())
                    .map_err(|e| InboundFailure::Unreadable(format!("invalid messages.update: {e}")))?;
                let Some(status) = data.atende_status() else { return Ok(true) };
                if !data.from_me {
                    return Ok(true);
                }
                let failed = status == "failed";
                let update = StatusUpdate {
                    provider_message_id: data.key_id.clone(),
                    our_message_id: None,
                    status: status.into(),
                    at: sink.now(),
                    error_code: None,
                    error_text: failed.then(|| {
                        "O WhatsApp não entregou a mensagem (erro informado pela Evolution API).".into()
                    }),
                    closes_window: false,
                };
                Ok(sink.status(&update).await?)
            }
            other => {
                tracing::debug!(event = other, instance = %event.instance, "Evolution event ignored");
                Ok(true)
            }
        }
    }
}
