//! What happens to a message an agent writes now, and the queue ("fila") of messages waiting for the
//! contact's reply.
//!
//! On the official API, after a template sent outside the window, new messages wait in the queue and go out
//! by themselves, in the order they were written, as soon as the contact interacts. Without a template there
//! is nothing to wait for: the agent must send one first. Instagram and Messenger cannot be restarted, so a
//! message written after their window closed is refused.

use crate::channel::{Channel, ChannelKind, MessageTag, TextLimit};
use crate::conversation::ConversationStatus;
use crate::lifecycle::Lifecycle;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest free-form text any channel takes (WhatsApp's limit for a text message body); each channel may
/// take less ([`ChannelKind::text_limit`], checked by [`MessageText::parse_for`]).
pub const MESSAGE_MAX_CHARS: usize = 4096;

/// Why a typed message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum MessageTextError {
    #[error("Escreva a mensagem.")]
    Empty,
    #[error("A mensagem pode ter no máximo {max} caracteres.")]
    TooLong { max: usize },
    #[error("No {} a mensagem pode ter no máximo {max} caracteres; esta tem {length}.", .channel.label())]
    TooLongForChannel { channel: ChannelKind, max: usize, length: usize },
    #[error(
        "No {} a mensagem pode ter no máximo {max} bytes (letras acentuadas contam 2 e emojis 4); esta tem \
         {bytes}.",
        .channel.label()
    )]
    TooManyBytesForChannel { channel: ChannelKind, max: usize, bytes: usize },
}

/// A free-form message as the agent wrote it (line breaks kept).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(input: &str) -> Result<Self, MessageTextError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(MessageTextError::Empty);
        }
        if text.chars().count() > MESSAGE_MAX_CHARS {
            return Err(MessageTextError::TooLong { max: MESSAGE_MAX_CHARS });
        }
        Ok(Self(text.to_owned()))
    }

    /// A message for a channel: as [`MessageText::parse`], within what that channel's provider takes.
    pub fn parse_for(channel: ChannelKind, input: &str) -> Result<Self, MessageTextError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(MessageTextError::Empty);
        }
        let limit = channel.text_limit();
        let used = limit.measure(text);
        if used > limit.max() {
            return Err(match limit {
                TextLimit::Characters(max) => {
                    MessageTextError::TooLongForChannel { channel, max, length: used }
                }
                TextLimit::Utf8Bytes(max) => {
                    MessageTextError::TooManyBytesForChannel { channel, max, bytes: used }
                }
            });
        }
        Self::parse(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MessageText {
    type Error = MessageTextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<MessageText> for String {
    fn from(text: MessageText) -> Self {
        text.0
    }
}

/// What to do with a message the agent writes now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComposeDecision {
    /// Send it now, with this tag if one is needed.
    SendNow {
        tag: Option<MessageTag>,
    },
    /// Official API, window closed, a template is out: keep it in the queue until the contact interacts.
    Hold,
    Refuse(ComposeRefusal),
}

/// Why a message cannot be sent or queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ComposeRefusal {
    #[error("Este atendimento foi concluído. Reinicie o atendimento para voltar a escrever ao contato.")]
    ConversationConcluded,
    #[error(
        "A janela de conversa está fechada: envie um modelo de mensagem (Reiniciar) antes de escrever ao \
         contato."
    )]
    TemplateRequired,
    #[error(
        "A janela de conversa do {} está fechada e a Meta não permite retomá-la: aguarde o contato escrever.",
        .channel.label()
    )]
    WindowClosed { channel: ChannelKind },
}

/// How an accepted message leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// Now, with this tag where the channel needs one (HUMAN_AGENT after Meta's 24 hours).
    Now { tag: Option<MessageTag> },
    /// In the queue until the contact interacts.
    WhenContactWrites,
}

/// What the agent is told of a message they sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SendOutcome {
    /// In the queue to leave now.
    Sending,
    /// Kept in the queue until the contact interacts (the window is closed and a template went out).
    Queued,
}

impl From<Delivery> for SendOutcome {
    fn from(delivery: Delivery) -> Self {
        match delivery {
            Delivery::Now { .. } => Self::Sending,
            Delivery::WhenContactWrites => Self::Queued,
        }
    }
}

impl ComposeDecision {
    /// How the message leaves, or why it may not.
    pub fn delivery(self) -> Result<Delivery, ComposeRefusal> {
        match self {
            Self::SendNow { tag } => Ok(Delivery::Now { tag }),
            Self::Hold => Ok(Delivery::WhenContactWrites),
            Self::Refuse(refusal) => Err(refusal),
        }
    }
}

/// The decision for a message written at `now` in `conversation` on `channel`.
///
/// A concluded conversation on the official API takes a template first ("Reiniciar"). On the other channels
/// there is nothing to restart with: writing reopens it, within whatever window the channel has (none on the
/// API Não Oficial; Meta's on Instagram and Messenger, which a concluded conversation keeps).
pub fn compose_decision(channel: &Channel, conversation: &Lifecycle, now: Timestamp) -> ComposeDecision {
    if conversation.status() == ConversationStatus::Concluded && channel.kind().sends_templates() {
        return ComposeDecision::Refuse(ComposeRefusal::ConversationConcluded);
    }
    let window = conversation.window(channel, now);
    if window.allows_free_form() {
        return ComposeDecision::SendNow { tag: window.required_tag() };
    }
    if !channel.kind().sends_templates() {
        return ComposeDecision::Refuse(ComposeRefusal::WindowClosed { channel: channel.kind() });
    }
    if conversation.attempt().is_some() {
        ComposeDecision::Hold
    } else {
        ComposeDecision::Refuse(ComposeRefusal::TemplateRequired)
    }
}

/// What the composer tells the agent before they write, so that what they read matches what they can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComposerNotice {
    /// Official API, window closed, a template is out: what is written waits in the queue.
    Queued,
    /// Instagram or Messenger between 24 hours and 7 days: the answer leaves with this tag.
    Tagged { tag: MessageTag },
    /// A concluded conversation on a channel without templates, still writable: sending reopens it.
    Reopens { channel: ChannelKind, tag: Option<MessageTag> },
    /// Nothing can be written now, for this reason.
    Refused(ComposeRefusal),
}

impl std::fmt::Display for ComposerNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Queued => f.write_str(
                "A janela de conversa está fechada e um modelo foi enviado: suas mensagens ficam na fila e \
                 saem, na ordem, quando o contato responder.",
            ),
            Self::Tagged { tag } => write!(
                f,
                "As 24 horas da janela passaram: sua resposta sai com a etiqueta {} (permitida até 7 dias \
                 depois da última mensagem do contato).",
                tag.code()
            ),
            Self::Reopens { channel, tag: _ } if !channel.has_service_window() => f.write_str(
                "Este atendimento foi concluído. Na API Não Oficial não há janela de conversa: ao enviar uma \
                 mensagem, o atendimento é reaberto.",
            ),
            Self::Reopens { channel, tag: Some(tag) } => write!(
                f,
                "Este atendimento foi concluído e as 24 horas da janela do {} passaram, mas você ainda pode \
                 responder com a etiqueta {} (até 7 dias depois da última mensagem do contato): ao responder, \
                 o atendimento é reaberto.",
                channel.label(),
                tag.code()
            ),
            Self::Reopens { channel, tag: None } => write!(
                f,
                "Este atendimento foi concluído, mas a janela de conversa do {} ainda está aberta: ao \
                 responder, o atendimento é reaberto.",
                channel.label()
            ),
            Self::Refused(refusal) => refusal.fmt(f),
        }
    }
}

/// What the composer says for `conversation` on `channel` at `now`, if anything.
pub fn composer_notice(
    channel: &Channel,
    conversation: &Lifecycle,
    now: Timestamp,
) -> Option<ComposerNotice> {
    let concluded = conversation.status() == ConversationStatus::Concluded;
    match compose_decision(channel, conversation, now) {
        ComposeDecision::Refuse(refusal) => Some(ComposerNotice::Refused(refusal)),
        ComposeDecision::Hold => Some(ComposerNotice::Queued),
        ComposeDecision::SendNow { tag } if concluded => {
            Some(ComposerNotice::Reopens { channel: channel.kind(), tag })
        }
        ComposeDecision::SendNow { tag: Some(tag) } => Some(ComposerNotice::Tagged { tag }),
        ComposeDecision::SendNow { tag: None } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateCategory;
    use crate::window::InboundKind;
    use proptest::prelude::*;

    const T0: Timestamp = Timestamp::from_millis(1_767_225_600_000);
    const HOUR: i64 = 3_600_000;

    fn at(hours: i64) -> Timestamp {
        T0.plus_millis(hours * HOUR)
    }

    fn official() -> Channel {
        Channel::plain(ChannelKind::WhatsappOfficial)
    }

    fn waiting_after_template() -> Lifecycle {
        Lifecycle::started_by_contact(at(0))
            .template_sent(&official(), TemplateCategory::Utility, at(30))
            .expect("official channel")
    }

    #[test]
    fn the_agent_is_told_whether_a_message_leaves_now_or_waits() {
        assert_eq!(SendOutcome::from(Delivery::WhenContactWrites), SendOutcome::Queued);
        assert_eq!(SendOutcome::from(Delivery::Now { tag: None }), SendOutcome::Sending);
        let tagged = Delivery::Now { tag: Some(MessageTag::HumanAgent) };
        assert_eq!(SendOutcome::from(tagged), SendOutcome::Sending);
    }

    #[test]
    fn with_the_window_closed_and_no_template_the_agent_must_send_one_first() {
        let conversation = Lifecycle::started_by_contact(at(0));
        let decision = compose_decision(&official(), &conversation, at(25));
        assert_eq!(decision, ComposeDecision::Refuse(ComposeRefusal::TemplateRequired));
        assert_eq!(
            decision.delivery().map_err(|e| e.to_string()),
            Err("A janela de conversa está fechada: envie um modelo de mensagem (Reiniciar) antes de escrever ao \
                 contato."
                .to_owned())
        );
    }

    #[test]
    fn instagram_and_messenger_refuse_messages_after_the_window_closed() {
        let conversation = Lifecycle::started_by_contact(at(0));
        let instagram = Channel::plain(ChannelKind::Instagram);
        assert_eq!(
            compose_decision(&instagram, &conversation, at(23)),
            ComposeDecision::SendNow { tag: None }
        );
        assert_eq!(
            compose_decision(&instagram, &conversation, at(25)),
            ComposeDecision::Refuse(ComposeRefusal::WindowClosed { channel: ChannelKind::Instagram })
        );
        let tagged = Channel::new(ChannelKind::Instagram, true).expect("Instagram offers the tag");
        assert_eq!(
            compose_decision(&tagged, &conversation, at(25)),
            ComposeDecision::SendNow { tag: Some(MessageTag::HumanAgent) }
        );
        assert_eq!(
            compose_decision(&tagged, &conversation, at(7 * 24)),
            ComposeDecision::Refuse(ComposeRefusal::WindowClosed { channel: ChannelKind::Instagram })
        );
    }

    #[test]
    fn the_unofficial_api_sends_at_any_time() {
        let conversation = Lifecycle::started_by_business(None);
        let unofficial = Channel::plain(ChannelKind::WhatsappUnofficial);
        assert_eq!(
            compose_decision(&unofficial, &conversation, at(1000)),
            ComposeDecision::SendNow { tag: None }
        );
    }

    #[test]
    fn a_concluded_conversation_on_the_official_api_takes_a_template_first() {
        let concluded = Lifecycle::started_by_contact(at(0)).conclude().expect("open");
        let decision = compose_decision(&official(), &concluded, at(1));
        assert_eq!(decision, ComposeDecision::Refuse(ComposeRefusal::ConversationConcluded));
        assert_eq!(
            composer_notice(&official(), &concluded, at(1)).map(|n| n.to_string()).as_deref(),
            Some("Este atendimento foi concluído. Reinicie o atendimento para voltar a escrever ao contato.")
        );
        // …which is what "Reiniciar" offers.
        assert!(crate::lifecycle::restart_eligibility(&official(), Some(&concluded), at(1)).is_ok());
    }

    #[test]
    fn on_the_unofficial_api_writing_in_a_concluded_conversation_reopens_it() {
        let unofficial = Channel::plain(ChannelKind::WhatsappUnofficial);
        let concluded = Lifecycle::started_by_contact(at(0)).conclude().expect("open");
        assert_eq!(
            compose_decision(&unofficial, &concluded, at(500)),
            ComposeDecision::SendNow { tag: None }
        );
        let notice = composer_notice(&unofficial, &concluded, at(500)).map(|n| n.to_string());
        assert_eq!(
            notice.as_deref(),
            Some(
                "Este atendimento foi concluído. Na API Não Oficial não há janela de conversa: ao enviar uma \
                 mensagem, o atendimento é reaberto."
            )
        );
        assert!(!notice.unwrap_or_default().contains("Reinicie"), "no Reiniciar is offered here");
        assert!(crate::lifecycle::restart_eligibility(&unofficial, Some(&concluded), at(500)).is_err());
        assert_eq!(composer_notice(&unofficial, &Lifecycle::started_by_contact(at(0)), at(500)), None);
    }

    #[test]
    fn a_concluded_instagram_or_messenger_conversation_is_answered_while_metas_window_is_open() {
        let concluded = Lifecycle::started_by_contact(at(0)).conclude().expect("open");
        let instagram = Channel::plain(ChannelKind::Instagram);
        assert_eq!(compose_decision(&instagram, &concluded, at(2)), ComposeDecision::SendNow { tag: None });
        assert_eq!(
            composer_notice(&instagram, &concluded, at(2)).map(|n| n.to_string()).as_deref(),
            Some(
                "Este atendimento foi concluído, mas a janela de conversa do Instagram ainda está aberta: ao \
                 responder, o atendimento é reaberto."
            )
        );
        let tagged = Channel::new(ChannelKind::Messenger, true).expect("Messenger offers the tag");
        assert_eq!(
            compose_decision(&tagged, &concluded, at(30)),
            ComposeDecision::SendNow { tag: Some(MessageTag::HumanAgent) }
        );
        assert_eq!(
            composer_notice(&tagged, &concluded, at(30)).map(|n| n.to_string()).as_deref(),
            Some(
                "Este atendimento foi concluído e as 24 horas da janela do Messenger passaram, mas você ainda \
                 pode responder com a etiqueta HUMAN_AGENT (até 7 dias depois da última mensagem do contato): \
                 ao responder, o atendimento é reaberto."
            )
        );
        // Closed: the reason, never "Reinicie", and no Reiniciar either.
        for (channel, hour) in [(instagram, 25), (tagged, 7 * 24 + 1)] {
            let notice = composer_notice(&channel, &concluded, at(hour)).map(|n| n.to_string());
            assert_eq!(
                notice.as_deref(),
                Some(
                    format!(
                        "A janela de conversa do {} está fechada e a Meta não permite retomá-la: aguarde o \
                         contato escrever.",
                        channel.kind().label()
                    )
                    .as_str()
                )
            );
            assert!(crate::lifecycle::restart_eligibility(&channel, Some(&concluded), at(hour)).is_err());
        }
    }

    #[test]
    fn the_composer_says_why_a_message_waits_or_carries_a_tag() {
        assert_eq!(
            composer_notice(&official(), &waiting_after_template(), at(31)).map(|n| n.to_string()).as_deref(),
            Some(
                "A janela de conversa está fechada e um modelo foi enviado: suas mensagens ficam na fila e saem, \
                 na ordem, quando o contato responder."
            )
        );
        let tagged = Channel::new(ChannelKind::Instagram, true).expect("Instagram offers the tag");
        assert_eq!(
            composer_notice(&tagged, &Lifecycle::started_by_contact(at(0)), at(30))
                .map(|n| n.to_string())
                .as_deref(),
            Some(
                "As 24 horas da janela passaram: sua resposta sai com a etiqueta HUMAN_AGENT (permitida até 7 \
                 dias depois da última mensagem do contato)."
            )
        );
        assert_eq!(composer_notice(&official(), &Lifecycle::started_by_contact(at(0)), at(1)), None);
    }

    #[test]
    fn an_empty_or_too_long_message_is_refused() {
        assert_eq!(MessageText::parse(" \n "), Err(MessageTextError::Empty));
        let long = "a".repeat(MESSAGE_MAX_CHARS + 1);
        assert_eq!(MessageText::parse(&long), Err(MessageTextError::TooLong { max: MESSAGE_MAX_CHARS }));
        assert_eq!(
            MessageText::parse(" linha 1\nlinha 2 ").map(String::from),
            Ok("linha 1\nlinha 2".to_owned())
        );
    }

    #[test]
    fn each_channel_takes_texts_as_long_as_its_provider_does() {
        let messenger_max = "a".repeat(2000);
        assert!(MessageText::parse_for(ChannelKind::Messenger, &messenger_max).is_ok());
        let refused = MessageText::parse_for(ChannelKind::Messenger, &format!("{messenger_max}b"));
        assert_eq!(
            refused.clone().map_err(|e| e.to_string()),
            Err("No Messenger a mensagem pode ter no máximo 2000 caracteres; esta tem 2001.".to_owned())
        );
        assert_eq!(
            refused,
            Err(MessageTextError::TooLongForChannel {
                channel: ChannelKind::Messenger,
                max: 2000,
                length: 2001
            })
        );
        // Instagram counts bytes: 500 "ç" are 1000 bytes, one more letter is too many.
        assert!(MessageText::parse_for(ChannelKind::Instagram, &"ç".repeat(500)).is_ok());
        assert_eq!(
            MessageText::parse_for(ChannelKind::Instagram, &format!("{}a", "ç".repeat(500)))
                .map_err(|e| e.to_string()),
            Err(
                "No Instagram a mensagem pode ter no máximo 1000 bytes (letras acentuadas contam 2 e emojis 4); \
                 esta tem 1001."
                    .to_owned()
            )
        );
        assert!(MessageText::parse_for(ChannelKind::Instagram, &"a".repeat(1000)).is_ok());
        // WhatsApp, both APIs: 4096 characters; spaces around the text do not count.
        let whatsapp_max = format!("  {}  ", "é".repeat(4096));
        for kind in [ChannelKind::WhatsappOfficial, ChannelKind::WhatsappUnofficial] {
            assert!(MessageText::parse_for(kind, &whatsapp_max).is_ok());
            assert!(matches!(
                MessageText::parse_for(kind, &"é".repeat(4097)),
                Err(MessageTextError::TooLongForChannel { max: 4096, length: 4097, .. })
            ));
            assert_eq!(MessageText::parse_for(kind, " "), Err(MessageTextError::Empty));
        }
    }

    #[test]
    fn after_the_provider_says_the_window_is_closed_messages_wait_for_a_template_and_the_reply() {
        let channel = official();
        let open = Lifecycle::started_by_contact(at(0));
        assert_eq!(compose_decision(&channel, &open, at(10)), ComposeDecision::SendNow { tag: None });
        // 131047 came back although our clock said the window was open.
        let refused = open.provider_reported_closed(at(10));
        assert_eq!(
            compose_decision(&channel, &refused, at(11)),
            ComposeDecision::Refuse(ComposeRefusal::TemplateRequired)
        );
        let waiting = refused.template_sent(&channel, TemplateCategory::Utility, at(11)).expect("official");
        assert_eq!(compose_decision(&channel, &waiting, at(12)), ComposeDecision::Hold);
        let replied = waiting.contact_wrote(InboundKind::Text, at(13));
        assert_eq!(compose_decision(&channel, &replied, at(13)), ComposeDecision::SendNow { tag: None });
        let instagram = Channel::plain(ChannelKind::Instagram);
        assert_eq!(
            compose_decision(&instagram, &refused, at(11)),
            ComposeDecision::Refuse(ComposeRefusal::WindowClosed { channel: ChannelKind::Instagram })
        );
    }

    proptest! {
        #[test]
        fn after_a_provider_report_nothing_is_sent_freely_until_the_contact_writes_again(
            last in 0i64..100, report in 0i64..100, wrote in prop::option::of(0i64..200), later in 0i64..200,
        ) {
            let channel = official();
            let mut state = Lifecycle::started_by_contact(at(last)).provider_reported_closed(at(report));
            if let Some(wrote) = wrote {
                state = state.contact_wrote(InboundKind::Text, at(wrote));
            }
            let now = at(report.max(wrote.unwrap_or(0)) + later);
            let newest_inbound = last.max(wrote.unwrap_or(last));
            let decision = compose_decision(&channel, &state, now);
            if newest_inbound >= report {
                // The contact's message is at least as recent: our clock decides again.
                let by_clock = compose_decision(&channel, &Lifecycle::started_by_contact(at(newest_inbound)), now);
                prop_assert_eq!(decision, by_clock);
            } else {
                prop_assert!(!matches!(decision, ComposeDecision::SendNow { .. }), "{:?}", decision);
            }
        }

        #[test]
        fn a_text_accepted_for_a_channel_fits_its_limit_and_is_accepted_anywhere_larger(
            input in "\\PC{0,40}", repeat in 1usize..80, index in 0usize..4,
        ) {
            let kind = ChannelKind::ALL[index];
            let text = input.repeat(repeat);
            if let Ok(accepted) = MessageText::parse_for(kind, &text) {
                let limit = kind.text_limit();
                prop_assert!(limit.measure(accepted.as_str()) <= limit.max());
                prop_assert_eq!(MessageText::parse(&text), Ok(accepted));
            }
        }

        #[test]
        fn no_typed_message_panics(input in "\\PC{0,50}") {
            if let Ok(text) = MessageText::parse(&input) {
                prop_assert_eq!(text.as_str(), input.trim());
            }
        }
    }
}
