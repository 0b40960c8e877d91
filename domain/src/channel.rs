//! What each channel allows: a customer-service window or not, templates or not, the HUMAN_AGENT tag.
//!
//! - WhatsApp official (Cloud API): 24-hour window; outside it only approved templates.
//! - WhatsApp unofficial gateway: no window and no templates; anything can be sent at any time.
//! - Instagram and Messenger: 24-hour window; a channel configured for the HUMAN_AGENT tag may still answer
//!   for 7 days after the contact's last message; the business can never restart a closed conversation.

pub use crate::conversation::ChannelKind;
use crate::time::Duration;
use serde::{Deserialize, Serialize};

/// Meta's customer-service window: 24 hours from the contact's last message.
pub const SERVICE_WINDOW: Duration = Duration::hours(24);

/// How long after the contact's last message a human agent may answer on Instagram or Messenger with the
/// HUMAN_AGENT tag.
pub const HUMAN_AGENT_WINDOW: Duration = Duration::days(7);

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] =
        [Self::WhatsappOfficial, Self::WhatsappUnofficial, Self::Instagram, Self::Messenger];

    /// Whether free-form messages are limited to a window after the contact's last message.
    pub const fn has_service_window(self) -> bool {
        !matches!(self, Self::WhatsappUnofficial)
    }

    /// Whether approved message templates exist here (and are the only way to write outside the window).
    pub const fn sends_templates(self) -> bool {
        matches!(self, Self::WhatsappOfficial)
    }

    /// Whether the HUMAN_AGENT message tag exists here.
    pub const fn offers_human_agent_tag(self) -> bool {
        matches!(self, Self::Instagram | Self::Messenger)
    }

    /// Whether Meta charges per delivered message here.
    pub const fn billed_by_meta(self) -> bool {
        matches!(self, Self::WhatsappOfficial)
    }

    /// The longest free-form text the provider takes here: WhatsApp 4096 characters (both APIs: Evolution
    /// relays to the same app), Messenger 2000 characters (Send API), Instagram 1000 bytes of UTF-8
    /// (Instagram Messaging: "UTF-8 and 1000 bytes or less"; an accented letter counts 2, an emoji 4).
    pub const fn text_limit(self) -> TextLimit {
        match self {
            Self::WhatsappOfficial | Self::WhatsappUnofficial => TextLimit::Characters(4096),
            Self::Messenger => TextLimit::Characters(2000),
            Self::Instagram => TextLimit::Utf8Bytes(1000),
        }
    }
}

/// How a channel measures the length of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextLimit {
    /// At most this many characters (Unicode scalar values).
    Characters(usize),
    /// At most this many bytes once encoded in UTF-8.
    Utf8Bytes(usize),
}

impl TextLimit {
    /// How much of the limit `text` uses, in its unit.
    pub fn measure(self, text: &str) -> usize {
        match self {
            Self::Characters(_) => text.chars().count(),
            Self::Utf8Bytes(_) => text.len(),
        }
    }

    pub const fn max(self) -> usize {
        match self {
            Self::Characters(max) | Self::Utf8Bytes(max) => max,
        }
    }
}

/// A tag that lets a message out after the standard window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageTag {
    /// Messenger/Instagram `tag: "HUMAN_AGENT"`: a person answering within 7 days of the contact's message.
    HumanAgent,
}

impl MessageTag {
    /// The value of the Send API's `tag` field.
    pub const fn code(self) -> &'static str {
        match self {
            Self::HumanAgent => "HUMAN_AGENT",
        }
    }
}

/// Why a channel configuration was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ChannelError {
    #[error("A etiqueta HUMAN_AGENT só existe no Instagram e no Messenger, não no {}.", .channel.label())]
    HumanAgentTagUnavailable { channel: ChannelKind },
}

/// A channel as the business configured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ChannelConfig", into = "ChannelConfig")]
pub struct Channel {
    kind: ChannelKind,
    human_agent_tag: bool,
}

/// The stored shape of a [`Channel`], checked on the way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelConfig {
    pub kind: ChannelKind,
    #[serde(default)]
    pub human_agent_tag: bool,
}

impl Channel {
    /// `human_agent_tag`: the page or account passed Meta's review for the HUMAN_AGENT tag and the business
    /// wants its agents to use it.
    pub fn new(kind: ChannelKind, human_agent_tag: bool) -> Result<Self, ChannelError> {
        if human_agent_tag && !kind.offers_human_agent_tag() {
            return Err(ChannelError::HumanAgentTagUnavailable { channel: kind });
        }
        Ok(Self { kind, human_agent_tag })
    }

    /// The channel without any tag.
    pub const fn plain(kind: ChannelKind) -> Self {
        Self { kind, human_agent_tag: false }
    }

    pub const fn kind(&self) -> ChannelKind {
        self.kind
    }

    pub const fn human_agent_tag(&self) -> bool {
        self.human_agent_tag
    }

    /// How long after the contact's last message an agent may still write freely (with the tag, where it
    /// applies); `None` where there is no window.
    pub const fn reply_limit(&self) -> Option<Duration> {
        match (self.kind.has_service_window(), self.human_agent_tag) {
            (false, _) => None,
            (true, true) => Some(HUMAN_AGENT_WINDOW),
            (true, false) => Some(SERVICE_WINDOW),
        }
    }
}

impl From<ChannelKind> for Channel {
    fn from(kind: ChannelKind) -> Self {
        Self::plain(kind)
    }
}

impl TryFrom<ChannelConfig> for Channel {
    type Error = ChannelError;
    fn try_from(config: ChannelConfig) -> Result<Self, Self::Error> {
        Self::new(config.kind, config.human_agent_tag)
    }
}

impl From<Channel> for ChannelConfig {
    fn from(channel: Channel) -> Self {
        Self { kind: channel.kind, human_agent_tag: channel.human_agent_tag }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_the_official_api_has_templates_and_only_the_unofficial_has_no_window() {
        let with_templates: Vec<_> = ChannelKind::ALL.into_iter().filter(|k| k.sends_templates()).collect();
        assert_eq!(with_templates, vec![ChannelKind::WhatsappOfficial]);
        let without_window: Vec<_> =
            ChannelKind::ALL.into_iter().filter(|k| !k.has_service_window()).collect();
        assert_eq!(without_window, vec![ChannelKind::WhatsappUnofficial]);
    }

    #[test]
    fn the_human_agent_tag_extends_instagram_and_messenger_to_seven_days() {
        let tagged = Channel::new(ChannelKind::Instagram, true).expect("Instagram offers the tag");
        assert_eq!(tagged.reply_limit(), Some(Duration::days(7)));
        assert_eq!(Channel::plain(ChannelKind::Messenger).reply_limit(), Some(Duration::hours(24)));
        assert_eq!(Channel::plain(ChannelKind::WhatsappUnofficial).reply_limit(), None);
    }

    #[test]
    fn messenger_takes_2000_characters_and_instagram_1000_bytes() {
        assert_eq!(ChannelKind::WhatsappOfficial.text_limit(), TextLimit::Characters(4096));
        assert_eq!(ChannelKind::WhatsappUnofficial.text_limit(), TextLimit::Characters(4096));
        assert_eq!(ChannelKind::Messenger.text_limit(), TextLimit::Characters(2000));
        let instagram = ChannelKind::Instagram.text_limit();
        assert_eq!(instagram, TextLimit::Utf8Bytes(1000));
        assert_eq!(instagram.measure("ação 👍"), 11, "ç and ã count 2, the emoji 4");
        assert_eq!(TextLimit::Characters(2000).measure("ação 👍"), 6);
    }

    #[test]
    fn whatsapp_has_no_human_agent_tag() {
        let refused = Channel::new(ChannelKind::WhatsappOfficial, true);
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err("A etiqueta HUMAN_AGENT só existe no Instagram e no Messenger, não no WhatsApp (API Oficial)."
                .to_owned())
        );
    }

    #[test]
    fn a_stored_configuration_is_checked_when_read() {
        let stored = r#"{"kind":"WhatsappUnofficial","human_agent_tag":true}"#;
        let read: Result<Channel, _> = serde_json::from_str(stored);
        assert!(read.is_err());
        let good: Channel =
            serde_json::from_str(r#"{"kind":"Messenger","human_agent_tag":true}"#).expect("valid");
        assert!(good.human_agent_tag());
    }

    proptest! {
        #[test]
        fn a_channel_accepts_the_tag_exactly_where_it_exists(index in 0usize..4, tag in any::<bool>()) {
            let kind = ChannelKind::ALL[index];
            let channel = Channel::new(kind, tag);
            prop_assert_eq!(channel.is_ok(), !tag || kind.offers_human_agent_tag());
            if let Ok(channel) = channel {
                let json = serde_json::to_string(&channel).expect("serialises");
                prop_assert_eq!(serde_json::from_str::<Channel>(&json).ok(), Some(channel));
            }
        }
    }
}
