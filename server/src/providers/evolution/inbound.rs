//! `POST /webhooks/evolution`: the unofficial gateway's events. Evolution signs nothing, so a request is
//! accepted only with the channel's webhook token (`Authorization: Bearer …`, set in the instance's webhook
//! headers) or the instance token in the body's `apikey`, compared in constant time; then stored and
//! acknowledged like Meta's, and applied by the processor.

use super::{constant_time_eq, Batch, Failure, WebhookProcessor, WebhookState};
use crate::evolution::wire::{MessageRecord, StatusData, WebhookEvent};
use crate::store::inbound::{InboundMessage, SentEcho, StatusUpdate};
use crate::store::SqlStore;
use atende_domain::conversation::ChannelKind;
use atende_domain::phone::Phone;
use atende_domain::time::Timestamp;
use atende_domain::window::InboundKind;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// What authenticates one instance's webhooks. `Debug` prints no secret.
#[derive(Clone)]
pub struct EvolutionWebhookAuth {
    pub instance: String,
    /// The instance's token (or the global key), which Evolution may put in the body's `apikey`.
    pub api_key: Arc<str>,
    /// What the instance's webhook headers send as `Authorization: Bearer …`.
    pub webhook_token: Arc<str>,
}

impl std::fmt::Debug for EvolutionWebhookAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvolutionWebhookAuth").field("instance", &self.instance).finish_non_exhaustive()
    }
}

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

pub(super) async fn receive(State(state): State<WebhookState>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "body is not UTF-8").into_response();
    };
    let Ok(event) = serde_json::from_str::<WebhookEvent>(text) else {
        return (StatusCode::BAD_REQUEST, "expected an Evolution API event (event, instance, data)")
            .into_response();
    };
    let known = state.channels.evolution(&event.instance);
    if !known.is_some_and(|auth| auth.accepts(&headers, &event)) {
        tracing::warn!(instance = %event.instance, "Evolution webhook refused: unknown instance or bad token");
        return (StatusCode::UNAUTHORIZED, "unknown instance or invalid token").into_response();
    }
    // The instance token may ride in the body: it is not kept.
    let mut stored = serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
    if let Some(object) = stored.as_object_mut() {
        object.remove("apikey");
    }
    super::store_receipt(&state, "evolution", &stored.to_string()).await
}

impl WebhookProcessor {
    /// `Ok(false)` when a receipt names a message Atende does not know yet.
    pub(super) async fn process_evolution(&self, batch: &mut Batch, body: &str) -> Result<bool, Failure> {
        let event: WebhookEvent =
            serde_json::from_str(body).map_err(|e| Failure::Unreadable(format!("invalid event: {e}")))?;
        let Some(channel_id) = batch.channel(ChannelKind::WhatsappUnofficial, &event.instance).await? else {
            return Err(Failure::Unreadable(format!("no channel for instance {}", event.instance)));
        };
        match event.name().as_str() {
            name @ ("messages.upsert" | "send.message") => {
                let record: MessageRecord = serde_json::from_value(event.data.clone())
                    .map_err(|e| Failure::Unreadable(format!("invalid {name}: {e}")))?;
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
                        SqlStore::reconcile_echo_on(&mut batch.tx, channel_id, &echo).await?;
                    }
                    return Ok(true);
                }
                let jid = record.key.phone_jid().unwrap_or(&record.key.remote_jid).to_owned();
                let phone = phone_of(&jid);
                let (kind, text) = record.kind_and_body();
                // Evolution names the contents as WhatsApp does.
                let activity = InboundKind::from_whatsapp_type(&kind, None).unwrap_or(InboundKind::Unsupported);
                let sent_at = record
                    .timestamp_seconds()
                    .map_or(batch.now, |s| Timestamp::from_millis(s.saturating_mul(1000)));
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
                };
                batch.record(&inbound).await?;
                Ok(true)
            }
            "messages.update" => {
                let data: StatusData = serde_json::from_value(event.data.clone())
                    .map_err(|e| Failure::Unreadable(format!("invalid messages.update: {e}")))?;
                let Some(status) = data.atende_status() else { return Ok(true) };
                if !data.from_me {
                    return Ok(true);
                }
                let failed = status == "failed";
                let update = StatusUpdate {
                    provider_message_id: data.key_id.clone(),
                    our_message_id: None,
                    status: status.into(),
                    at: batch.now,
                    error_code: None,
                    error_text: failed.then(|| {
                        "O WhatsApp não entregou a mensagem (erro informado pela Evolution API).".into()
                    }),
                    closes_window: false,
                };
                batch.apply(&update).await
            }
            other => {
                tracing::debug!(event = other, instance = %event.instance, "Evolution event ignored");
                Ok(true)
            }
        }
    }
}
