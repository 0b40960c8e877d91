//! The outbound worker's way out through Evolution.

use super::wire::{self, SendText};
use super::EvolutionClient;
use crate::channels::port::{ChannelSender, Outbound, OutboundMessage, SendFailure, SendOutcome};
use async_trait::async_trait;
use atende_domain::media::MediaKind;
use base64::Engine as _;

pub struct EvolutionSender {
    pub client: EvolutionClient,
}

#[async_trait]
impl ChannelSender for EvolutionSender {
    async fn acknowledge(&self, to: &str, message_id: &str, typing: bool) -> Result<(), String> {
        let remote_jid = if to.contains('@') { to.to_owned() } else { format!("{to}@s.whatsapp.net") };
        self.client.acknowledge(&remote_jid, message_id, typing).await
    }

    async fn send(&self, outbound: &Outbound) -> SendOutcome {
        let to = outbound.to.clone();
        // "Responder": quoted by its key's id (Evolution finds the message in its own store).
        let quoted = outbound.reply_to.as_ref().map(|q| wire::QuotedMessage {
            key: wire::QuotedKey { id: q.provider_id.clone(), from_me: q.from_me },
        });
        let sent = match &outbound.message {
            OutboundMessage::Text { body } => {
                self.client.send_text(&SendText { number: to, text: body.clone(), quoted }).await
            }
            OutboundMessage::Reaction { to: reacted, emoji } => {
                let key = wire::Key {
                    remote_jid: if to.contains('@') { to } else { format!("{to}@s.whatsapp.net") },
                    from_me: reacted.from_me,
                    id: reacted.provider_id.clone(),
                    remote_jid_alt: None,
                    sender_pn: None,
                };
                let reaction = emoji.clone().unwrap_or_default();
                self.client.send_reaction(&wire::SendReaction { key, reaction }).await
            }
            OutboundMessage::Template { .. } => return Err(SendFailure::unsupported("template")),
            OutboundMessage::Media { kind: MediaKind::Audio, link, .. } => {
                self.client
                    .send_audio(&wire::SendAudio { number: to, audio: link.clone(), quoted }, false)
                    .await
            }
            OutboundMessage::Media { kind, link, caption, filename } => {
                let request = wire::SendMedia {
                    number: to,
                    mediatype: kind.code().to_owned(),
                    mimetype: None,
                    media: link.clone(),
                    file_name: filename.clone(),
                    caption: caption.clone(),
                    quoted,
                };
                self.client.send_media(&request, false).await
            }
            // A file from the agent's computer goes as raw base64 (Evolution takes a URL or base64 in the same
            // field); an OGG/Opus audio as a voice note, as the phone's app records them.
            OutboundMessage::File { file, .. } if file.voice => {
                let audio = base64::engine::general_purpose::STANDARD.encode(&file.bytes);
                self.client.send_audio(&wire::SendAudio { number: to, audio, quoted }, true).await
            }
            OutboundMessage::File { file, caption } => {
                let request = wire::SendMedia {
                    number: to,
                    mediatype: file.kind.code().to_owned(),
                    mimetype: Some(atende_domain::inbound_media::essence(&file.mime)),
                    media: base64::engine::general_purpose::STANDARD.encode(&file.bytes),
                    // Evolution requires a name with base64, and takes the type from its extension.
                    file_name: Some(file.name.clone()),
                    caption: caption.clone(),
                    quoted,
                };
                self.client.send_media(&request, true).await
            }
        };
        sent.map_err(|failure| {
            let (code, explanation, detail) = (
                failure.http_status.map(i64::from),
                failure.explanation(&self.client.config().instance),
                format!("{failure:?}"),
            );
            if failure.is_transient() {
                SendFailure::Transient { code, explanation, detail }
            } else {
                SendFailure::Refused { code, explanation, detail }
            }
        })
    }
}
