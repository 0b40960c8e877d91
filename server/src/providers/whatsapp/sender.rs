//! The outbound worker's way out through the WhatsApp Cloud API (or the sandbox, which speaks it).

use super::wire::{MediaKind as WireMedia, OutboundMedia, ReplyTo, SendRequest, Template};
use super::{CloudApiClient, ProviderFailure};
use crate::channels::port::{
    correlation_id, ChannelSender, Outbound, OutboundMessage, SendFailure, SendOutcome,
};
use async_trait::async_trait;
use atende_domain::conversation::ChannelKind;
use atende_domain::media::MediaKind;
use atende_domain::provider_error::ProviderError;

pub struct CloudApiSender {
    pub client: CloudApiClient,
}

fn wire_kind(kind: MediaKind) -> WireMedia {
    match kind {
        MediaKind::Image => WireMedia::Image,
        MediaKind::Video => WireMedia::Video,
        MediaKind::Audio => WireMedia::Audio,
        MediaKind::Document => WireMedia::Document,
    }
}

impl CloudApiSender {
    /// The request for `outbound`; a file from the agent's computer (an attachment, or a template's media
    /// header) goes by the id `uploaded` (see [`CloudApiClient::upload`]).
    fn request(outbound: &Outbound, uploaded: Option<String>) -> Result<SendRequest, SendFailure> {
        let to = outbound.to.as_str();
        let mut request = match &outbound.message {
            OutboundMessage::Text { body } => SendRequest::text(to, body.clone()),
            OutboundMessage::Template { template, .. } => {
                let mut template: Template =
                    serde_json::from_value(template.clone()).map_err(|e| SendFailure::Unsendable {
                        explanation: "O modelo de mensagem guardado está corrompido e não pode ser enviado."
                            .into(),
                        detail: e.to_string(),
                    })?;
                if let Some(id) = uploaded {
                    template.set_header_media_id(id);
                }
                SendRequest::template(to, template)
            }
            OutboundMessage::Media { kind, link, caption, filename } => {
                let media = OutboundMedia {
                    link: Some(link.clone()),
                    caption: caption.clone(),
                    filename: filename.clone(),
                    ..OutboundMedia::default()
                };
                SendRequest::media(to, wire_kind(*kind), media)
            }
            OutboundMessage::File { file, caption } => {
                let media = OutboundMedia {
                    id: uploaded,
                    caption: caption.clone(),
                    filename: (file.kind == MediaKind::Document).then(|| file.name.clone()),
                    voice: file.voice,
                    ..OutboundMedia::default()
                };
                SendRequest::media(to, wire_kind(file.kind), media)
            }
            OutboundMessage::Reaction { to: quoted, emoji } => {
                SendRequest::reaction(to, quoted.provider_id.clone(), emoji.clone())
            }
        };
        // "Responder": quoted by its wamid (a reaction names its message itself).
        if !matches!(outbound.message, OutboundMessage::Reaction { .. }) {
            request.context =
                outbound.reply_to.as_ref().map(|q| ReplyTo { message_id: q.provider_id.clone() });
        }
        request.biz_opaque_callback_data = Some(correlation_id(outbound.message_id));
        Ok(request)
    }
}

#[async_trait]
impl ChannelSender for CloudApiSender {
    async fn acknowledge(&self, _to: &str, message_id: &str, typing: bool) -> Result<(), String> {
        self.client.mark_read(message_id, typing).await.map_err(|f| f.to_string())
    }

    async fn send(&self, outbound: &Outbound) -> SendOutcome {
        // Uploaded first (a new id at each attempt: an upload whose message never left only leaves an unused
        // id at Meta, which it deletes after 30 days).
        let file = match &outbound.message {
            OutboundMessage::File { file, .. } | OutboundMessage::Template { header: Some(file), .. } => {
                Some(file)
            }
            _ => None,
        };
        let uploaded = match file {
            Some(file) => {
                Some(self.client.upload(file).await.map_err(|f| explain(ChannelKind::WhatsappOfficial, &f))?)
            }
            None => None,
        };
        let request = Self::request(outbound, uploaded)?;
        self.client
            .send(&request)
            .await
            .map(|accepted| accepted.message_id)
            .map_err(|f| explain(ChannelKind::WhatsappOfficial, &f))
    }
}

/// A Graph API failure (WhatsApp Cloud API or Messenger/Instagram Send API), explained for the agent.
pub(crate) fn explain(channel: ChannelKind, failure: &ProviderFailure) -> SendFailure {
    let error = failure.code.map(|code| {
        ProviderError::from_code(
            channel,
            code,
            failure.subcode,
            failure.details.as_deref().or(failure.message.as_deref()).unwrap_or_default(),
        )
    });
    let explanation = match &error {
        Some(error) => error.to_string(),
        None if failure.is_transient() => {
            format!("O {} não respondeu. O envio será tentado de novo em instantes.", channel.label())
        }
        None => format!("O {} recusou o envio.", channel.label()),
    };
    let (code, detail) = (failure.code, format!("{failure:?}"));
    if failure.is_transient() {
        SendFailure::Transient { code, explanation, detail }
    } else if error.as_ref().is_some_and(ProviderError::means_window_closed) {
        SendFailure::WindowClosed { code, explanation, detail }
    } else {
        SendFailure::Refused { code, explanation, detail }
    }
}
