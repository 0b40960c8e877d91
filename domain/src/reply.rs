//! "Responder" and "Reagir": an agent's answer to one particular message (quoted on the contact's screen) and
//! an emoji put on one. Both point at the message by the provider's id, so the message must have gone out
//! (or come in) first; each channel takes what its provider takes:
//! - WhatsApp (Cloud API and the unofficial gateway): a reply quotes any message; a reaction is any one emoji,
//!   on a message of either side; on the Cloud API an empty reaction takes the agent's off (Evolution's
//!   `sendReaction` takes only an emoji: there another one replaces it).
//! - Messenger and Instagram: a reply quotes any message (`reply_to`); the Send API's only reaction is
//!   "love" (❤️), on a message the person sent, within the 24 hours (a sender action carries no tag).
//!
//! A reply is a text: the composer's rules decide it (sent now, held until the contact writes, or refused).
//! A reaction follows them too, except that it never reopens a concluded conversation.

use crate::conversation::ChannelKind;
use serde::{Deserialize, Serialize};

/// The message answered or reacted to, as these rules read it (see `From<&MessageView>` in
/// [`crate::ports`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// `text`, `image`, `reaction`…
    pub kind: &'a str,
    /// From the contact.
    pub inbound: bool,
    /// The provider's id, once it has one.
    pub provider_id: Option<&'a str>,
}

/// The message an agent's message answers or reacts to, as its provider knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quoted {
    /// The provider's id (`wamid.…`, Evolution's key id, Meta's `mid`).
    pub provider_id: String,
    /// Sent by the business (Evolution names a message by its key, which says whose it is).
    pub from_me: bool,
}

/// Why a message cannot be answered or reacted to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ReplyError {
    #[error("Esta mensagem ainda não saiu: espere o envio para responder ou reagir a ela.")]
    NotYetSent,
    /// A button the person tapped on Messenger/Instagram (a postback) has no message id to point at.
    #[error("O provedor não permite responder nem reagir a esta mensagem.")]
    NotQuotable,
    #[error("Na API Não Oficial não é possível tirar uma reação: escolha outro emoji para trocá-la.")]
    CannotRemove,
    #[error("No {channel}, depois de 24 horas sem mensagem do contato, não é possível reagir.")]
    WindowClosed { channel: String },
    /// What the composer says for a text, where a reaction is refused for the same reason.
    #[error("{0}")]
    Compose(crate::queue::ComposeRefusal),
    #[error("Não é possível responder ou reagir a uma reação.")]
    IsReaction,
    #[error("Escolha um emoji para reagir.")]
    NotAnEmoji,
    #[error("No {channel} a única reação que o provedor aceita é ❤️.")]
    OnlyHeart { channel: String },
    #[error("No {channel} só é possível reagir às mensagens do contato.")]
    OnlyTheirs { channel: String },
}

/// The reactions the console offers on a channel, first the one a click puts on.
pub fn palette(channel: ChannelKind) -> &'static [&'static str] {
    match channel {
        ChannelKind::WhatsappOfficial | ChannelKind::WhatsappUnofficial => WHATSAPP_PALETTE,
        ChannelKind::Messenger | ChannelKind::Instagram => &[HEART],
    }
}

const HEART: &str = "❤️";
const WHATSAPP_PALETTE: &[&str] = &["👍", HEART, "😂", "😮", "😢", "🙏"];

/// How Atende names a Messenger/Instagram postback, which has no message id.
pub const POSTBACK_PREFIX: &str = "postback:";

/// What an agent's message that answers `message` quotes.
pub fn quote<'a>(message: impl Into<Target<'a>>) -> Result<Quoted, ReplyError> {
    let message = message.into();
    if message.kind == "reaction" {
        return Err(ReplyError::IsReaction);
    }
    let provider_id = message.provider_id.filter(|id| !id.trim().is_empty());
    let provider_id = provider_id.ok_or(ReplyError::NotYetSent)?;
    // Atende's own names for what has no id of its own (see the Messenger/Instagram reading): a postback,
    // and the second and later attachments of one message (`mid#2`), which are parts of the message `mid`.
    if provider_id.starts_with(POSTBACK_PREFIX) {
        return Err(ReplyError::NotQuotable);
    }
    let provider_id = provider_id.split_once('#').map_or(provider_id, |(mid, _)| mid).to_owned();
    Ok(Quoted { provider_id, from_me: !message.inbound })
}

/// A reaction, decided: on which message, and the emoji (`None`: the agent's reaction taken off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub to: Quoted,
    pub emoji: Option<String>,
}

impl Reaction {
    /// The agent's `emoji` (blank: take theirs off) on `message`, as the channel allows.
    pub fn decide<'a>(
        channel: ChannelKind,
        message: impl Into<Target<'a>>,
        emoji: &str,
    ) -> Result<Self, ReplyError> {
        let to = quote(message)?;
        let emoji = emoji.trim();
        let meta = matches!(channel, ChannelKind::Messenger | ChannelKind::Instagram);
        if meta && to.from_me {
            return Err(ReplyError::OnlyTheirs { channel: channel.label().to_owned() });
        }
        if emoji.is_empty() {
            if channel == ChannelKind::WhatsappUnofficial {
                return Err(ReplyError::CannotRemove);
            }
            return Ok(Self { to, emoji: None });
        }
        if !is_one_emoji(emoji) {
            return Err(ReplyError::NotAnEmoji);
        }
        if meta && emoji.trim_end_matches('\u{fe0f}') != HEART.trim_end_matches('\u{fe0f}') {
            return Err(ReplyError::OnlyHeart { channel: channel.label().to_owned() });
        }
        Ok(Self { to, emoji: Some(emoji.to_owned()) })
    }

    /// When it leaves, as the composer decided for a text: a sender action (Messenger, Instagram) carries
    /// no tag, so after the 24 hours there is none.
    pub fn delivery(
        channel: ChannelKind,
        decision: crate::queue::ComposeDecision,
    ) -> Result<crate::queue::Delivery, ReplyError> {
        use crate::queue::{ComposeDecision, Delivery};
        match decision {
            ComposeDecision::SendNow { tag: Some(_) } | ComposeDecision::Refuse(_)
                if matches!(channel, ChannelKind::Messenger | ChannelKind::Instagram) =>
            {
                Err(ReplyError::WindowClosed { channel: channel.label().to_owned() })
            }
            ComposeDecision::SendNow { tag } => Ok(Delivery::Now { tag }),
            ComposeDecision::Hold => Ok(Delivery::WhenContactWrites),
            ComposeDecision::Refuse(refusal) => Err(ReplyError::Compose(refusal)),
        }
    }

    /// Whether a click on the agent's own reaction takes it off on this channel (the unofficial gateway
    /// only replaces one).
    pub const fn removable(channel: ChannelKind) -> bool {
        !matches!(channel, ChannelKind::WhatsappUnofficial)
    }
}

/// One emoji as people type them: a single pictograph, maybe with its modifiers (skin tone, variation
/// selector, keycap) or joined by ZWJ into one (👨‍👩‍👧), or a flag's two regional indicators; no letters,
/// digits alone, spaces or punctuation.
fn is_one_emoji(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() || chars.len() > 16 {
        return false;
    }
    let pictograph = |c: char| {
        matches!(u32::from(c),
            0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0x2B00..=0x2BFF | 0x2190..=0x21FF
            | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139)
    };
    let modifier = |c: char| matches!(u32::from(c), 0xFE0F | 0xFE0E | 0x200D | 0x20E3 | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F);
    let keycap = chars.len() >= 2 && matches!(chars[0], '0'..='9' | '#' | '*') && chars.contains(&'\u{20e3}');
    let flag = chars.len() == 2 && chars.iter().all(|c| (0x1F1E6..=0x1F1FF).contains(&u32::from(*c)));
    // Pictographs joined by ZWJ make one; side by side they are several.
    let mut shown = 0;
    let mut joined = false;
    for &c in &chars {
        if pictograph(c) && !(0x1F3FB..=0x1F3FF).contains(&u32::from(c)) {
            if !joined {
                shown += 1;
            }
            joined = false;
        } else if c == '\u{200d}' {
            joined = true;
        } else if !modifier(c) {
            return keycap;
        }
    }
    flag || keycap || shown == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<'a>(inbound: bool, kind: &'a str, provider_id: Option<&'a str>) -> Target<'a> {
        Target { kind, inbound, provider_id }
    }

    #[test]
    fn a_reply_quotes_the_providers_id_and_says_whose_message_it_was() {
        let theirs = message(true, "text", Some("wamid.A"));
        assert_eq!(quote(theirs), Ok(Quoted { provider_id: "wamid.A".into(), from_me: false }));
        let ours = message(false, "image", Some("3EB0F1"));
        assert_eq!(quote(ours), Ok(Quoted { provider_id: "3EB0F1".into(), from_me: true }));
    }

    #[test]
    fn a_message_still_in_the_queue_or_a_reaction_cannot_be_answered() {
        assert_eq!(quote(message(false, "text", None)), Err(ReplyError::NotYetSent));
        assert_eq!(quote(message(false, "text", Some("  "))), Err(ReplyError::NotYetSent));
        assert_eq!(quote(message(true, "reaction", Some("wamid.R"))), Err(ReplyError::IsReaction));
        assert_eq!(
            ReplyError::NotYetSent.to_string(),
            "Esta mensagem ainda não saiu: espere o envio para responder ou reagir a ela."
        );
    }

    #[test]
    fn whatsapp_takes_any_one_emoji_on_either_sides_message_and_blank_takes_it_off() {
        let theirs = message(true, "text", Some("wamid.A"));
        let ours = message(false, "text", Some("wamid.B"));
        for emoji in ["👍", "❤️", "❤", "👍🏽", "👨‍👩‍👧", "🇧🇷", "1️⃣", "🙏", "✅"]
        {
            let reaction = Reaction::decide(ChannelKind::WhatsappOfficial, theirs, emoji);
            assert_eq!(reaction.map(|r| r.emoji), Ok(Some(emoji.to_owned())), "{emoji}");
        }
        let mine = Reaction::decide(ChannelKind::WhatsappUnofficial, ours, "😂").expect("valid");
        assert_eq!(mine.to, Quoted { provider_id: "wamid.B".into(), from_me: true });
        let off = Reaction::decide(ChannelKind::WhatsappOfficial, theirs, " ").expect("valid");
        assert_eq!(off.emoji, None);
        assert_eq!(mine.emoji.as_deref(), Some("😂"));
        // Evolution's sendReaction takes only an emoji.
        assert_eq!(
            Reaction::decide(ChannelKind::WhatsappUnofficial, ours, ""),
            Err(ReplyError::CannotRemove)
        );
        assert!(!Reaction::removable(ChannelKind::WhatsappUnofficial));
        assert!(Reaction::removable(ChannelKind::WhatsappOfficial));
    }

    #[test]
    fn a_postback_cannot_be_pointed_at_and_a_later_attachment_points_at_its_message() {
        assert_eq!(quote(message(true, "text", Some("postback:71:1700"))), Err(ReplyError::NotQuotable));
        assert_eq!(quote(message(true, "image", Some("m_ABC#2"))).map(|q| q.provider_id), Ok("m_ABC".into()));
    }

    #[test]
    fn a_reaction_leaves_as_a_text_would_but_never_tagged() {
        use crate::channel::MessageTag;
        use crate::queue::{ComposeDecision, ComposeRefusal, Delivery};
        let now = ComposeDecision::SendNow { tag: None };
        let tagged = ComposeDecision::SendNow { tag: Some(MessageTag::HumanAgent) };
        assert_eq!(Reaction::delivery(ChannelKind::Messenger, now), Ok(Delivery::Now { tag: None }));
        assert_eq!(
            Reaction::delivery(ChannelKind::Instagram, tagged),
            Err(ReplyError::WindowClosed { channel: "Instagram".into() })
        );
        assert_eq!(
            Reaction::delivery(ChannelKind::WhatsappOfficial, ComposeDecision::Hold),
            Ok(Delivery::WhenContactWrites)
        );
        let refused = ComposeDecision::Refuse(ComposeRefusal::TemplateRequired);
        assert_eq!(
            Reaction::delivery(ChannelKind::WhatsappOfficial, refused),
            Err(ReplyError::Compose(ComposeRefusal::TemplateRequired))
        );
    }

    #[test]
    fn a_word_a_digit_or_two_emojis_is_not_a_reaction() {
        let theirs = message(true, "text", Some("wamid.A"));
        for text in ["ok", "1", "👍👍", "👍 ok", ":)", "👍 👍", "a\u{fe0f}"] {
            assert_eq!(
                Reaction::decide(ChannelKind::WhatsappOfficial, theirs, text),
                Err(ReplyError::NotAnEmoji),
                "{text}"
            );
        }
    }

    #[test]
    fn messenger_and_instagram_take_only_the_heart_on_the_persons_message() {
        let theirs = message(true, "text", Some("m_1"));
        let ours = message(false, "text", Some("m_2"));
        for channel in [ChannelKind::Messenger, ChannelKind::Instagram] {
            assert_eq!(Reaction::decide(channel, theirs, "❤️").expect("valid").emoji.as_deref(), Some("❤️"));
            assert!(Reaction::decide(channel, theirs, "❤").is_ok());
            assert_eq!(
                Reaction::decide(channel, theirs, "👍"),
                Err(ReplyError::OnlyHeart { channel: channel.label().into() })
            );
            assert_eq!(
                Reaction::decide(channel, ours, "❤️"),
                Err(ReplyError::OnlyTheirs { channel: channel.label().into() })
            );
            assert_eq!(palette(channel), &["❤️"]);
        }
        assert_eq!(palette(ChannelKind::WhatsappOfficial).len(), 6);
        assert_eq!(
            ReplyError::OnlyHeart { channel: "Instagram".into() }.to_string(),
            "No Instagram a única reação que o provedor aceita é ❤️."
        );
    }
}
