//! The order of a conversation's messages and the time each shows. A message is placed where it happened in
//! the conversation: the contact's when it reached Atende, the agent's when the provider accepted it. A message
//! held until the contact answered therefore shows below the answer that released it, with the time it was
//! written (and the time it went out).

use crate::ports::MessageView;
use crate::time::Timestamp;

/// The statuses of a message the provider accepted.
const ACCEPTED: [&str; 3] = ["sent", "delivered", "read"];

impl MessageView {
    /// Where the message stands in the conversation (see the module's note).
    pub fn placed_at(&self) -> Timestamp {
        match (self.inbound, self.sent_at()) {
            (false, Some(sent)) => sent.max(self.written_at),
            _ => self.written_at,
        }
    }

    /// The time the agent reads on it: the contact's own for theirs, when it was written for the agent's.
    pub fn shown_at(&self) -> Timestamp {
        if self.inbound {
            self.provider_at.unwrap_or(self.written_at)
        } else {
            self.written_at
        }
    }

    /// When the provider accepted one of the business's messages.
    pub fn sent_at(&self) -> Option<Timestamp> {
        (!self.inbound && ACCEPTED.contains(&self.status.as_str())).then_some(self.provider_at).flatten()
    }
}

/// The messages in the order they happened; those placed at the same moment keep the order they were stored
/// in.
pub fn in_order(mut messages: Vec<MessageView>) -> Vec<MessageView> {
    messages.sort_by_key(MessageView::placed_at);
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(inbound: bool, body: &str, status: &str, written: i64, provider: Option<i64>) -> MessageView {
        MessageView {
            id: written,
            inbound,
            kind: "text".into(),
            body: Some(body.into()),
            status: status.into(),
            error: None,
            written_at: Timestamp::from_millis(written),
            provider_at: provider.map(Timestamp::from_millis),
            media: None,
            provider_id: None,
            extras: crate::content::Extras::default(),
        }
    }

    fn bodies(messages: &[MessageView]) -> Vec<&str> {
        messages.iter().filter_map(|m| m.body.as_deref()).collect()
    }

    #[test]
    fn a_held_message_goes_below_the_answer_that_released_it_with_the_time_it_was_written() {
        let stored = vec![
            message(false, "modelo", "read", 1_000, Some(1_100)),
            message(false, "escrita na espera", "sent", 5_000, Some(60_200)),
            message(false, "segunda na espera", "delivered", 6_000, Some(60_300)),
            // The contact's answer: sent by their phone at 59.0 s (WhatsApp counts whole seconds), stored at 60.0 s.
            message(true, "resposta", "received", 60_000, Some(59_000)),
        ];
        let ordered = in_order(stored);
        assert_eq!(bodies(&ordered), ["modelo", "resposta", "escrita na espera", "segunda na espera"]);
        assert_eq!(ordered[2].shown_at(), Timestamp::from_millis(5_000), "the time it was written");
        assert_eq!(ordered[2].sent_at(), Some(Timestamp::from_millis(60_200)));
        assert_eq!(ordered[1].shown_at(), Timestamp::from_millis(59_000), "the contact's own time");
    }

    #[test]
    fn messages_not_accepted_stay_where_they_were_written_and_ties_keep_the_stored_order() {
        let stored = vec![
            message(true, "oi", "received", 1_000, None),
            message(false, "na fila", "held", 2_000, None),
            message(false, "falhou", "failed", 2_000, Some(9_000)),
            message(false, "enviando", "queued", 2_000, None),
        ];
        let ordered = in_order(stored);
        assert_eq!(bodies(&ordered), ["oi", "na fila", "falhou", "enviando"]);
        assert_eq!(ordered[2].sent_at(), None, "a failed message was not sent");
    }
}
