//! The outbound worker's way out through the WhatsApp Cloud API (or the sandbox, which speaks it).

use super::wire::{MediaKind as WireMedia, OutboundMedia, SendRequest, Template};
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

impl CloudApiSender {
    fn request(outbound: &Outbound) -> Result<SendRequest, SendFailure> {
        let to = outbound.to.as_str();
        let mut request = match &outbound.message {
            OutboundMessage::Text { body } => SendRequest::text(to, body.clone()),
            OutboundMessage::Template { template } => {
                let template: Template =
                    serde_json::from_value(template.clone()).map_err(|e| SendFailure::Unsendable {
                        explanation: "O modelo de mensagem guardado está corrompido e não pode ser enviado."
                            .into(),
                        detail: e.to_string(),
                    })?;
                SendRequest::template(to, template)
            }
            OutboundMessage::Media { kind, link, caption, filename } => {
                let media = OutboundMedia {
                    id: None,
                    link: Some(link.clone()),
                    caption: caption.clone(),
                    filename: filename.clone(),
                };
                let kind = match kind {
                    MediaKind::Image => WireMedia::Image,
                    MediaKind::Video => WireMedia::Video,
                    MediaKind::Audio => WireMedia::Audio,
                    MediaKind::Document => WireMedia::Document,
                };
                SendRequest::media(to, kind, media)
            }
        };
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
        let request = Self::request(outbound)?;
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
