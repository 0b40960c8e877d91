//! Meta's customer-service window ("janela de conversa").
//!
//! Only the contact opens or renews it, with any message of any kind: text, emoji, reaction, media, file,
//! location, a button tap, a call. Nothing the business does moves it: not a template, not a free-form
//! message, not a delivery receipt, not concluding the conversation in Atende. The window closes 24 hours
//! after the contact's last message (7 days for a human agent on Instagram/Messenger with the HUMAN_AGENT
//! tag).

use crate::channel::{Channel, MessageTag, SERVICE_WINDOW};
use crate::time::{Duration, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the contact sent. Every kind opens or renews the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InboundKind {
    Text,
    Emoji,
    Reaction,
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    Location,
    Contacts,
    /// A tap on an interactive reply button.
    ButtonReply,
    /// A choice from an interactive list.
    ListReply,
    /// A tap on a template's quick-reply button.
    TemplateButton,
    Order,
    /// A WhatsApp call from the contact.
    Call,
    /// Messenger/Instagram: Get Started, an ice breaker, an m.me link with `ref`, an ad click.
    Postback,
    /// A message the provider could not show us (WhatsApp `unsupported`); the contact still wrote.
    Unsupported,
}

impl InboundKind {
    /// The kind of a WhatsApp `messages[].type` (with `interactive.type` for interactive replies). `None`
    /// for `system` notices (a number change), which the contact did not write. A type this version does not
    /// know is still a message from the contact, so it counts as [`InboundKind::Unsupported`].
    pub fn from_whatsapp_type(message_type: &str, interactive_type: Option<&str>) -> Option<Self> {
        Some(match message_type {
            "system" => return None,
            "text" => Self::Text,
            "reaction" => Self::Reaction,
            "image" => Self::Image,
            "video" => Self::Video,
            "audio" => Self::Audio,
            "document" => Self::Document,
            "sticker" => Self::Sticker,
            "location" => Self::Location,
            "contacts" => Self::Contacts,
            "button" => Self::TemplateButton,
            "interactive" if interactive_type == Some("list_reply") => Self::ListReply,
            "interactive" => Self::ButtonReply,
            "order" => Self::Order,
            _ => Self::Unsupported,
        })
    }

    pub const ALL: [InboundKind; 17] = [
        Self::Text,
        Self::Emoji,
        Self::Reaction,
        Self::Image,
        Self::Video,
        Self::Audio,
        Self::Document,
        Self::Sticker,
        Self::Location,
        Self::Contacts,
        Self::ButtonReply,
        Self::ListReply,
        Self::TemplateButton,
        Self::Order,
        Self::Call,
        Self::Postback,
        Self::Unsupported,
    ];
}

/// A delivery receipt for one of our messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    Failed,
    Played,
}

/// Something that happened in a conversation, as far as the window is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activity {
    /// The contact wrote (or called, reacted, tapped…).
    Inbound(InboundKind),
    /// We sent an approved template.
    OutboundTemplate,
    /// We sent a free-form message.
    OutboundMessage,
    /// A status callback for one of our messages.
    Status(DeliveryStatus),
}

impl Activity {
    /// Only the contact opens the window.
    pub const fn opens_window(&self) -> bool {
        matches!(self, Self::Inbound(_))
    }
}

/// The contact's last inbound instant after `activity` happened at `at`. Webhooks may arrive late or out of
/// order, so an older inbound never moves the window back.
pub fn last_inbound_after(
    last_inbound: Option<Timestamp>,
    activity: Activity,
    at: Timestamp,
) -> Option<Timestamp> {
    if !activity.opens_window() {
        return last_inbound;
    }
    Some(last_inbound.map_or(at, |last| last.max(at)))
}

/// The state of the window at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceWindow {
    /// The channel has no window (API Não Oficial): anything can be sent at any time.
    NoWindow,
    /// The contact never wrote on this channel.
    NeverOpened,
    /// Meta's 24-hour window is open: any message may be sent.
    Open { closes_at: Timestamp, left: Duration },
    /// The 24 hours are over, but a human agent may still answer with the HUMAN_AGENT tag.
    HumanAgentOnly { closes_at: Timestamp, left: Duration },
    /// The window closed at `closed_at`.
    Closed { closed_at: Timestamp },
}

/// The window on `channel` at `now`, given the contact's last inbound message.
pub fn window(channel: &Channel, last_inbound: Option<Timestamp>, now: Timestamp) -> ServiceWindow {
    let Some(limit) = channel.reply_limit() else {
        return ServiceWindow::NoWindow;
    };
    let Some(last) = last_inbound else {
        return ServiceWindow::NeverOpened;
    };
    // The contact's message may carry a time a little ahead of the clock reading it (the provider's clock,
    // or a countdown's clock that last ticked before the message arrived): the window then has just opened,
    // and never has more than its length left.
    let now = now.max(last);
    let standard_close = last.plus(SERVICE_WINDOW);
    let tagged_close = last.plus(limit);
    if now < standard_close {
        ServiceWindow::Open { closes_at: standard_close, left: standard_close.since(now) }
    } else if now < tagged_close {
        ServiceWindow::HumanAgentOnly { closes_at: tagged_close, left: tagged_close.since(now) }
    } else {
        ServiceWindow::Closed { closed_at: tagged_close }
    }
}

/// [`window`], unless the provider has said since the contact's last message that the window is closed
/// (`provider_closed_at`): then it is closed, whatever our clock says.
pub fn window_reported(
    channel: &Channel,
    last_inbound: Option<Timestamp>,
    provider_closed_at: Option<Timestamp>,
    now: Timestamp,
) -> ServiceWindow {
    let ours = window(channel, last_inbound, now);
    match provider_closed_at {
        Some(closed_at) if ours.allows_free_form() && ours != ServiceWindow::NoWindow => {
            ServiceWindow::Closed { closed_at }
        }
        _ => ours,
    }
}

impl ServiceWindow {
    /// Whether Meta's 24-hour window is open (what makes utility templates free and lets anything through).
    pub const fn is_open(&self) -> bool {
        matches!(self, Self::Open { .. })
    }

    /// Whether an agent may write a free-form message now (perhaps with a tag).
    pub const fn allows_free_form(&self) -> bool {
        matches!(self, Self::NoWindow | Self::Open { .. } | Self::HumanAgentOnly { .. })
    }

    /// The tag a free-form message needs now, if any.
    pub const fn required_tag(&self) -> Option<MessageTag> {
        match self {
            Self::HumanAgentOnly { .. } => Some(MessageTag::HumanAgent),
            _ => None,
        }
    }

    /// When free-form writing stops being possible, while it still is.
    pub const fn closes_at(&self) -> Option<Timestamp> {
        match self {
            Self::Open { closes_at, .. } | Self::HumanAgentOnly { closes_at, .. } => Some(*closes_at),
            _ => None,
        }
    }

    /// How long free-form writing remains possible, while it still is.
    pub const fn time_left(&self) -> Option<Duration> {
        match self {
            Self::Open { left, .. } | Self::HumanAgentOnly { left, .. } => Some(*left),
            _ => None,
        }
    }

    /// The short form a row of the conversation list shows (`None`: the channel has no window).
    pub fn row_label(&self) -> Option<String> {
        match self {
            Self::NoWindow => None,
            Self::Open { left, .. } => Some(format!("Janela: {left}")),
            Self::HumanAgentOnly { left, .. } => Some(format!("Atendente humano: {left}")),
            Self::NeverOpened | Self::Closed { .. } => Some("Janela fechada".to_owned()),
        }
    }
}

impl fmt::Display for ServiceWindow {
    /// The line under the conversation header.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoWindow => write!(f, "Sem janela de conversa: envie mensagens a qualquer momento."),
            Self::NeverOpened => {
                write!(f, "O contato ainda não escreveu: a janela de conversa está fechada.")
            }
            Self::Open { left, .. } => write!(f, "Janela de conversa aberta: fecha em {left}."),
            Self::HumanAgentOnly { left, .. } => write!(
                f,
                "Janela de 24 horas encerrada: como atendente humano, você ainda pode responder por {left}."
            ),
            Self::Closed { .. } => write!(f, "Janela de conversa encerrada."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::ChannelKind;
    use proptest::prelude::*;

    const T0: Timestamp = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01 00:00 UTC
    const HOUR: i64 = 3_600_000;

    fn official() -> Channel {
        Channel::plain(ChannelKind::WhatsappOfficial)
    }

    #[test]
    fn a_row_shows_the_countdown_in_short_and_nothing_where_there_is_no_window() {
        let opened = T0;
        let open = window(&official(), Some(opened), T0.plus_millis(HOUR + 60_000));
        assert_eq!(open.row_label().as_deref(), Some("Janela: 22 h 59 min"));
        let closed = window(&official(), Some(opened), T0.plus_millis(25 * HOUR));
        assert_eq!(closed.row_label().as_deref(), Some("Janela fechada"));
        assert_eq!(window(&official(), None, T0).row_label().as_deref(), Some("Janela fechada"));
        let gateway = Channel::plain(ChannelKind::WhatsappUnofficial);
        assert_eq!(window(&gateway, Some(opened), T0.plus_millis(100 * HOUR)).row_label(), None);
    }

    #[test]
    fn the_window_closes_24_hours_after_the_contacts_last_message() {
        let now = T0.plus_millis(20 * HOUR);
        let open = window(&official(), Some(T0), now);
        assert_eq!(
            open,
            ServiceWindow::Open { closes_at: T0.plus_millis(24 * HOUR), left: Duration::hours(4) }
        );
        assert_eq!(open.to_string(), "Janela de conversa aberta: fecha em 4 h 00 min.");
        let at_the_limit = window(&official(), Some(T0), T0.plus_millis(24 * HOUR));
        assert_eq!(at_the_limit, ServiceWindow::Closed { closed_at: T0.plus_millis(24 * HOUR) });
        assert!(!at_the_limit.allows_free_form());
    }

    #[test]
    fn a_message_read_by_a_clock_a_little_behind_it_leaves_24_hours_not_a_day_and_more() {
        let last = T0.plus_millis(5 * HOUR);
        let early = window(&official(), Some(last), last.plus_millis(-7_000));
        assert_eq!(early.time_left(), Some(SERVICE_WINDOW));
        assert_eq!(early.row_label().as_deref(), Some("Janela: 24 h 00 min"));
        assert_eq!(early.to_string(), "Janela de conversa aberta: fecha em 24 h 00 min.");
        let just_after = window(&official(), Some(last), last.plus_millis(1));
        assert_eq!(just_after.row_label().as_deref(), Some("Janela: 23 h 59 min"));
    }

    #[test]
    fn a_new_message_from_the_contact_renews_the_window() {
        let renewed =
            last_inbound_after(Some(T0), Activity::Inbound(InboundKind::Emoji), T0.plus_millis(23 * HOUR));
        let now = T0.plus_millis(30 * HOUR);
        assert_eq!(window(&official(), renewed, now).closes_at(), Some(T0.plus_millis(47 * HOUR)));
    }

    #[test]
    fn the_window_reopens_when_the_contact_sends_text_emoji_video_or_a_file() {
        // Reiniciar atendimento, passo 4: "mensagem de texto, emoji, vídeo ou arquivo".
        let closed_since = T0.plus_millis(48 * HOUR);
        for kind in [InboundKind::Text, InboundKind::Emoji, InboundKind::Video, InboundKind::Document] {
            let last = last_inbound_after(Some(T0), Activity::Inbound(kind), closed_since);
            assert!(window(&official(), last, closed_since.plus_millis(1)).is_open(), "{kind:?}");
        }
    }

    #[test]
    fn a_template_sent_outside_the_window_does_not_open_it() {
        let sent_at = T0.plus_millis(30 * HOUR);
        let last = last_inbound_after(Some(T0), Activity::OutboundTemplate, sent_at);
        assert_eq!(last, Some(T0));
        assert_eq!(
            window(&official(), last, sent_at.plus_millis(1)),
            ServiceWindow::Closed { closed_at: T0.plus_millis(24 * HOUR) }
        );
    }

    #[test]
    fn delivery_receipts_never_open_the_window() {
        for status in
            [DeliveryStatus::Sent, DeliveryStatus::Delivered, DeliveryStatus::Read, DeliveryStatus::Failed]
        {
            assert_eq!(last_inbound_after(None, Activity::Status(status), T0), None);
        }
    }

    #[test]
    fn the_unofficial_api_has_no_window() {
        let unofficial = Channel::plain(ChannelKind::WhatsappUnofficial);
        let years_later = T0.plus_millis(24 * 365 * 24 * HOUR);
        assert_eq!(window(&unofficial, Some(T0), years_later), ServiceWindow::NoWindow);
        assert_eq!(window(&unofficial, None, T0), ServiceWindow::NoWindow);
        assert!(ServiceWindow::NoWindow.allows_free_form());
    }

    #[test]
    fn every_whatsapp_message_type_opens_the_window_but_system_notices() {
        let expected = [
            ("text", InboundKind::Text),
            ("reaction", InboundKind::Reaction),
            ("document", InboundKind::Document),
            ("location", InboundKind::Location),
            ("button", InboundKind::TemplateButton),
            ("interactive", InboundKind::ButtonReply),
            ("a_type_from_the_future", InboundKind::Unsupported),
        ];
        for (message_type, kind) in expected {
            assert_eq!(InboundKind::from_whatsapp_type(message_type, None), Some(kind), "{message_type}");
        }
        assert_eq!(
            InboundKind::from_whatsapp_type("interactive", Some("list_reply")),
            Some(InboundKind::ListReply)
        );
        assert_eq!(InboundKind::from_whatsapp_type("system", None), None);
    }

    #[test]
    fn a_contact_who_never_wrote_has_no_open_window() {
        assert_eq!(window(&official(), None, T0), ServiceWindow::NeverOpened);
    }

    #[test]
    fn a_human_agent_may_answer_for_seven_days_on_a_tagged_messenger_page() {
        let tagged = Channel::new(ChannelKind::Messenger, true).expect("Messenger offers the tag");
        let day_three = T0.plus_millis(72 * HOUR);
        let state = window(&tagged, Some(T0), day_three);
        assert_eq!(
            state,
            ServiceWindow::HumanAgentOnly {
                closes_at: T0.plus_millis(7 * 24 * HOUR),
                left: Duration::days(4)
            }
        );
        assert_eq!(state.required_tag(), Some(MessageTag::HumanAgent));
        assert!(!state.is_open());
        assert_eq!(
            window(&Channel::plain(ChannelKind::Messenger), Some(T0), day_three),
            ServiceWindow::Closed { closed_at: T0.plus_millis(24 * HOUR) }
        );
    }

    fn any_activity() -> impl Strategy<Value = Activity> {
        prop_oneof![
            prop::sample::select(InboundKind::ALL.to_vec()).prop_map(Activity::Inbound),
            Just(Activity::OutboundTemplate),
            Just(Activity::OutboundMessage),
            prop::sample::select(vec![
                DeliveryStatus::Sent,
                DeliveryStatus::Delivered,
                DeliveryStatus::Read,
                DeliveryStatus::Failed,
                DeliveryStatus::Played
            ])
            .prop_map(Activity::Status),
        ]
    }

    fn any_channel() -> impl Strategy<Value = Channel> {
        (0usize..4, any::<bool>()).prop_map(|(i, tag)| {
            let kind = ChannelKind::ALL[i];
            Channel::new(kind, tag).unwrap_or(Channel::plain(kind))
        })
    }

    proptest! {
        #[test]
        fn only_the_contact_moves_the_window(
            history in prop::collection::vec((any_activity(), 0i64..1_000 * HOUR), 0..30),
            channel in any_channel(),
            now in 0i64..1_100 * HOUR,
        ) {
            // The oracle is written from the rule itself, not from `opens_window()`, the code under test.
            let mut last_inbound: Option<Timestamp> = None;
            let mut expected: Option<Timestamp> = None;
            for (activity, at) in &history {
                let at = T0.plus_millis(*at);
                let before = last_inbound;
                last_inbound = last_inbound_after(last_inbound, *activity, at);
                if matches!(activity, Activity::Inbound(_)) {
                    expected = Some(expected.map_or(at, |e: Timestamp| e.max(at)));
                } else {
                    // A template, a free-form message of ours or a receipt never moves it.
                    prop_assert_eq!(last_inbound, before, "{:?} moved the window", activity);
                }
                prop_assert_eq!(last_inbound, expected);
            }
            let now = T0.plus_millis(now);
            prop_assert_eq!(window(&channel, last_inbound, now), window(&channel, expected, now));
        }

        #[test]
        fn the_window_is_open_exactly_within_24_hours_of_the_last_inbound(last in 0i64..100 * HOUR, now in 0i64..200 * HOUR) {
            let (last, now) = (T0.plus_millis(last), T0.plus_millis(now));
            let state = window(&official(), Some(last), now);
            prop_assert_eq!(state.is_open(), now < last.plus(SERVICE_WINDOW));
            if let Some(left) = state.time_left() {
                // Counted from the contact's message when a clock reads it a little early.
                prop_assert_eq!(now.max(last).plus(left), last.plus(SERVICE_WINDOW));
                prop_assert!(left <= SERVICE_WINDOW, "more than 24 hours left: {}", left);
            }
        }

        #[test]
        fn an_older_inbound_never_shortens_the_window(a in 0i64..100 * HOUR, b in 0i64..100 * HOUR, kind in prop::sample::select(InboundKind::ALL.to_vec())) {
            let after_both = last_inbound_after(Some(T0.plus_millis(a)), Activity::Inbound(kind), T0.plus_millis(b));
            prop_assert_eq!(after_both, Some(T0.plus_millis(a.max(b))));
        }
    }
}
