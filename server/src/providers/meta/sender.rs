//! The outbound worker's way out through Messenger's and Instagram's Send API (or the sandbox, which speaks
//! it).

use super::wire::SendRequest;
use super::MessengerClient;
use crate::channels::port::{
    correlation_id, ChannelSender, Outbound, OutboundMessage, SendFailure, SendOutcome,
};
use crate::providers::whatsapp::sender::explain;
use async_trait::async_trait;
use atende_domain::media::MediaKind;

/// The Send API calls a document a "file".
fn attachment_type(kind: MediaKind) -> &'static str {
    if kind == MediaKind::Document {
        "file"
    } else {
        kind.code()
    }
}

pub struct MessengerSender {
    pub client: MessengerClient,
}

#[async_trait]
impl ChannelSender for MessengerSender {
    fn has_message_tags(&self) -> bool {
        true
    }

    async fn acknowledge(&self, to: &str, _message_id: &str, typing: bool) -> Result<(), String> {
        self.client.sender_action(to, "mark_seen").await.map_err(|f| f.to_string())?;
        if typing {
            self.client.sender_action(to, "typing_on").await.map_err(|f| f.to_string())?;
        }
        Ok(())
    }

    async fn send(&self, outbound: &Outbound) -> SendOutcome {
        let to = outbound.to.as_str();
        // The tag was decided as the message left (HUMAN_AGENT after the 24 hours, on a channel that uses it).
        let tag = outbound.tag.map(|tag| tag.code());
        let channel = self.client.config().kind;
        let mut request = match &outbound.message {
            OutboundMessage::Text { body } => SendRequest::text(to, body.clone(), tag),
            OutboundMessage::Template { .. } => return Err(SendFailure::unsupported("template")),
            OutboundMessage::Media { kind, link, .. } => {
                SendRequest::attachment(to, attachment_type(*kind), link.clone(), tag)
            }
            OutboundMessage::Reaction { to: reacted, emoji } => {
                let on = emoji.is_some();
                self.client.react(to, &reacted.provider_id, on).await.map_err(|f| explain(channel, &f))?;
                // No id comes back for a sender action: Atende's own names it, so it is never sent twice.
                return Ok(format!("{}:{}", correlation_id(outbound.message_id), reacted.provider_id));
            }
            OutboundMessage::File { file, .. } => {
                // Uploaded first, then sent by its id (a new id at each attempt: one whose message never left
                // is only an unused upload).
                let kind = attachment_type(file.kind);
                let id = self.client.upload(kind, file).await.map_err(|f| explain(channel, &f))?;
                SendRequest::uploaded(to, kind, id, tag)
            }
        };
        request.message.metadata = Some(correlation_id(outbound.message_id));
        request.message.reply_to =
            outbound.reply_to.as_ref().map(|q| super::wire::ReplyTo { mid: q.provider_id.clone() });
        let kind = channel;
        self.client.send(&request).await.map(|accepted| accepted.message_id).map_err(|f| explain(kind, &f))
    }
}
