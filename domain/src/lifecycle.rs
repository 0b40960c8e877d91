//! A conversation's life in Atende: open, waiting for the contact after a template, concluded; and when
//! "Reiniciar" and "Iniciar atendimento" may be used. Whether an open conversation is assigned to an agent
//! (and to which team) is the store's business: it changes none of these rules.
//!
//! Concluding is Atende's bookkeeping: it never changes Meta's window. A template sent outside the window
//! starts a re-engagement attempt: the conversation waits for the contact, and any further template in that
//! attempt must be of the same category as the first. The contact's reply ends the attempt.

use crate::channel::{Channel, ChannelKind};
use crate::conversation::ConversationStatus;
use crate::template::TemplateCategory;
use crate::time::Timestamp;
use crate::window::{self, Activity, InboundKind, ServiceWindow};
use serde::{Deserialize, Serialize};

/// A template sent while the window was closed, still waiting for the contact's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    category: TemplateCategory,
    started_at: Timestamp,
}

impl Attempt {
    pub const fn new(category: TemplateCategory, started_at: Timestamp) -> Self {
        Self { category, started_at }
    }

    /// The category of the template that opened the attempt; every later template must share it.
    pub const fn category(&self) -> TemplateCategory {
        self.category
    }

    pub const fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// Re-engagement: "o mesmo modelo de mensagem utilizado inicialmente ou qualquer outro modelo, desde que
    /// seja do mesmo tipo".
    pub fn check(&self, category: TemplateCategory) -> Result<(), LifecycleError> {
        if category == self.category {
            Ok(())
        } else {
            Err(LifecycleError::DifferentCategory { expected: self.category, chosen: category })
        }
    }
}

/// Why a lifecycle step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum LifecycleError {
    #[error("Este atendimento já foi concluído.")]
    AlreadyConcluded,
    #[error("{} não tem modelos de mensagem.", .channel.label())]
    NoTemplatesOnChannel { channel: ChannelKind },
    #[error(
        "Para tentar de novo, use um modelo do mesmo tipo do primeiro ({}); o escolhido é de {}.",
        .expected.label(),
        .chosen.label()
    )]
    DifferentCategory { expected: TemplateCategory, chosen: TemplateCategory },
}

/// What the rules need to know about one conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    status: ConversationStatus,
    last_inbound_at: Option<Timestamp>,
    attempt: Option<Attempt>,
}

impl Lifecycle {
    /// A conversation the contact started ("Receptiva").
    pub const fn started_by_contact(at: Timestamp) -> Self {
        Self { status: ConversationStatus::Open, last_inbound_at: Some(at), attempt: None }
    }

    /// A conversation the business opens ("Ativa") before anything is sent; `last_inbound_at` is the contact's
    /// last message on this channel, from any earlier conversation, since the window belongs to the contact
    /// and the channel, not to the conversation.
    pub const fn started_by_business(last_inbound_at: Option<Timestamp>) -> Self {
        Self { status: ConversationStatus::Open, last_inbound_at, attempt: None }
    }

    /// Rebuilds the state the store kept.
    pub const fn from_parts(
        status: ConversationStatus,
        last_inbound_at: Option<Timestamp>,
        attempt: Option<Attempt>,
    ) -> Self {
        Self { status, last_inbound_at, attempt }
    }

    pub const fn status(&self) -> ConversationStatus {
        self.status
    }

    pub const fn last_inbound_at(&self) -> Option<Timestamp> {
        self.last_inbound_at
    }

    pub const fn attempt(&self) -> Option<&Attempt> {
        self.attempt.as_ref()
    }

    pub fn window(&self, channel: &Channel, now: Timestamp) -> ServiceWindow {
        window::window(channel, self.last_inbound_at, now)
    }

    /// The contact wrote: the window opens or renews, any attempt ends, and the conversation is open again
    /// (the queue is flushed by the caller).
    pub fn contact_wrote(self, kind: InboundKind, at: Timestamp) -> Self {
        Self {
            status: ConversationStatus::Open,
            last_inbound_at: window::last_inbound_after(self.last_inbound_at, Activity::Inbound(kind), at),
            attempt: None,
        }
    }

    /// A template went out at `at`. Inside the window it is just a message; outside it starts (or continues)
    /// a re-engagement attempt and the conversation waits for the contact. The window does not move.
    pub fn template_sent(
        self,
        channel: &Channel,
        category: TemplateCategory,
        at: Timestamp,
    ) -> Result<Self, LifecycleError> {
        if !channel.kind().sends_templates() {
            return Err(LifecycleError::NoTemplatesOnChannel { channel: channel.kind() });
        }
        if self.window(channel, at).is_open() {
            return Ok(Self { status: ConversationStatus::Open, ..self });
        }
        let attempt = match self.attempt {
            Some(attempt) => attempt.check(category).map(|()| attempt)?,
            None => Attempt::new(category, at),
        };
        Ok(Self { status: ConversationStatus::WaitingForContact, attempt: Some(attempt), ..self })
    }

    /// The agent concluded the conversation. Meta's window is untouched.
    pub fn conclude(self) -> Result<Self, LifecycleError> {
        if self.status == ConversationStatus::Concluded {
            return Err(LifecycleError::AlreadyConcluded);
        }
        Ok(Self { status: ConversationStatus::Concluded, ..self })
    }
}

/// Which templates a restart may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestartOffer {
    /// Any approved template.
    AnyTemplate,
    /// A re-engagement attempt is under way: only templates of its category.
    SameCategory(TemplateCategory),
}

impl RestartOffer {
    /// Any template, unless a re-engagement attempt is under way.
    fn for_conversation(conversation: Option<&Lifecycle>) -> Self {
        match conversation.and_then(Lifecycle::attempt) {
            Some(attempt) => Self::SameCategory(attempt.category()),
            None => Self::AnyTemplate,
        }
    }

    pub fn allows(self, category: TemplateCategory) -> bool {
        match self {
            Self::AnyTemplate => true,
            Self::SameCategory(required) => required == category,
        }
    }
}

/// Why "Reiniciar" is not offered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum RestartRefusal {
    #[error("Na API Não Oficial não há janela de conversa nem modelos: envie a mensagem diretamente.")]
    NoWindowOnChannel,
    #[error("A janela de conversa ainda está aberta: responda diretamente no atendimento.")]
    WindowStillOpen,
    #[error(
        "A Meta não permite reiniciar uma conversa do {} depois que a janela de conversa se fecha: aguarde o \
         contato escrever.",
        .channel.label()
    )]
    MetaForbidsRestart { channel: ChannelKind },
}

/// Whether "Reiniciar" applies to a contact on `channel`, given the conversation Atende has with them
/// there (`None`: never talked on this channel).
///
/// The spec offers it for conversations in "Meus" whose window closed, for conversations in "Concluídos"
/// (at any time: concluding never touched the window) and for contacts found by search or in CRM → Contatos,
/// who fall in one of the two cases or have no conversation yet.
pub fn restart_eligibility(
    channel: &Channel,
    conversation: Option<&Lifecycle>,
    now: Timestamp,
) -> Result<RestartOffer, RestartRefusal> {
    let kind = channel.kind();
    let last_inbound = conversation.and_then(Lifecycle::last_inbound_at);
    let window = window::window(channel, last_inbound, now);
    if !kind.has_service_window() {
        return Err(RestartRefusal::NoWindowOnChannel);
    }
    if !kind.sends_templates() {
        return Err(if window.allows_free_form() {
            RestartRefusal::WindowStillOpen
        } else {
            RestartRefusal::MetaForbidsRestart { channel: kind }
        });
    }
    let concluded = conversation.is_some_and(|c| c.status() == ConversationStatus::Concluded);
    if window.is_open() && !concluded {
        return Err(RestartRefusal::WindowStillOpen);
    }
    Ok(RestartOffer::for_conversation(conversation))
}

/// How a conversation the business starts ("Iniciar atendimento") opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StartPlan {
    /// The conversation opens at once (API Não Oficial; Instagram/Messenger while the window allows it).
    OpenDirectly,
    /// API Oficial: choosing a template is mandatory, from these.
    Template(RestartOffer),
}

/// What "Iniciar atendimento" needs on `channel` for a contact with whom Atende has `conversation` there.
pub fn start_plan(
    channel: &Channel,
    conversation: Option<&Lifecycle>,
    now: Timestamp,
) -> Result<StartPlan, RestartRefusal> {
    let kind = channel.kind();
    if kind.sends_templates() {
        return Ok(StartPlan::Template(RestartOffer::for_conversation(conversation)));
    }
    let last_inbound = conversation.and_then(Lifecycle::last_inbound_at);
    if window::window(channel, last_inbound, now).allows_free_form() {
        Ok(StartPlan::OpenDirectly)
    } else {
        Err(RestartRefusal::MetaForbidsRestart { channel: kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: Timestamp = Timestamp::from_millis(1_767_225_600_000);
    const HOUR: i64 = 3_600_000;

    fn at(hours: i64) -> Timestamp {
        T0.plus_millis(hours * HOUR)
    }

    fn official() -> Channel {
        Channel::plain(ChannelKind::WhatsappOfficial)
    }

    #[test]
    fn a_conversation_in_meus_whose_window_closed_can_be_restarted() {
        let mine = Lifecycle::started_by_contact(at(0));
        assert_eq!(restart_eligibility(&official(), Some(&mine), at(25)), Ok(RestartOffer::AnyTemplate));
        assert_eq!(
            restart_eligibility(&official(), Some(&mine), at(23)),
            Err(RestartRefusal::WindowStillOpen)
        );
    }

    #[test]
    fn a_concluded_conversation_can_be_restarted_at_any_time() {
        let concluded = Lifecycle::started_by_contact(at(0)).conclude().expect("open conversation");
        for hour in [1, 23, 24, 100] {
            assert_eq!(
                restart_eligibility(&official(), Some(&concluded), at(hour)),
                Ok(RestartOffer::AnyTemplate),
                "{hour} h"
            );
        }
    }

    #[test]
    fn a_contact_found_by_search_without_a_conversation_can_be_restarted() {
        assert_eq!(restart_eligibility(&official(), None, at(0)), Ok(RestartOffer::AnyTemplate));
    }

    #[test]
    fn concluding_does_not_interfere_with_metas_24_hour_window() {
        let open = Lifecycle::started_by_contact(at(0));
        let concluded = open.conclude().expect("open conversation");
        assert_eq!(concluded.window(&official(), at(5)), open.window(&official(), at(5)));
        assert!(concluded.window(&official(), at(5)).is_open());
        assert_eq!(concluded.conclude(), Err(LifecycleError::AlreadyConcluded));
    }

    #[test]
    fn meta_does_not_allow_restarting_instagram_or_messenger_after_the_window_closed() {
        let conversation = Lifecycle::started_by_contact(at(0));
        for kind in [ChannelKind::Instagram, ChannelKind::Messenger] {
            let refusal = restart_eligibility(&Channel::plain(kind), Some(&conversation), at(30));
            assert_eq!(refusal, Err(RestartRefusal::MetaForbidsRestart { channel: kind }));
        }
        let refusal =
            restart_eligibility(&Channel::plain(ChannelKind::Instagram), Some(&conversation), at(30));
        assert_eq!(
            refusal.map_err(|e| e.to_string()),
            Err("A Meta não permite reiniciar uma conversa do Instagram depois que a janela de conversa se \
                 fecha: aguarde o contato escrever."
                .to_owned())
        );
        let tagged = Channel::new(ChannelKind::Messenger, true).expect("Messenger offers the tag");
        assert_eq!(
            restart_eligibility(&tagged, Some(&conversation), at(30)),
            Err(RestartRefusal::WindowStillOpen)
        );
    }

    #[test]
    fn the_unofficial_api_needs_no_restart() {
        let conversation = Lifecycle::started_by_contact(at(0)).conclude().expect("open conversation");
        assert_eq!(
            restart_eligibility(
                &Channel::plain(ChannelKind::WhatsappUnofficial),
                Some(&conversation),
                at(99)
            ),
            Err(RestartRefusal::NoWindowOnChannel)
        );
    }

    #[test]
    fn after_a_template_the_conversation_waits_for_the_contact_to_interact() {
        let channel = official();
        let waiting = Lifecycle::started_by_contact(at(0))
            .template_sent(&channel, TemplateCategory::Utility, at(30))
            .expect("official channel");
        assert_eq!(waiting.status(), ConversationStatus::WaitingForContact);
        assert!(!waiting.window(&channel, at(31)).is_open());
        let replied = waiting.contact_wrote(InboundKind::Emoji, at(32));
        assert_eq!(replied.status(), ConversationStatus::Open);
        assert_eq!(replied.attempt(), None);
        assert!(replied.window(&channel, at(33)).is_open());
    }

    #[test]
    fn another_template_may_follow_only_if_it_is_of_the_same_type() {
        let channel = official();
        let waiting = Lifecycle::started_by_business(None)
            .template_sent(&channel, TemplateCategory::Marketing, at(0))
            .expect("official channel");
        assert_eq!(
            restart_eligibility(&channel, Some(&waiting), at(5)),
            Ok(RestartOffer::SameCategory(TemplateCategory::Marketing))
        );
        let offer = restart_eligibility(&channel, Some(&waiting), at(5)).expect("window closed");
        let offered: Vec<_> = TemplateCategory::ALL.into_iter().filter(|c| offer.allows(*c)).collect();
        assert_eq!(offered, vec![TemplateCategory::Marketing]);
        let again = waiting.template_sent(&channel, TemplateCategory::Marketing, at(6)).expect("same type");
        assert_eq!(again.attempt().map(Attempt::started_at), Some(at(0)));
        let other = waiting.template_sent(&channel, TemplateCategory::Utility, at(6));
        assert_eq!(
            other.map_err(|e| e.to_string()),
            Err(
                "Para tentar de novo, use um modelo do mesmo tipo do primeiro (Marketing); o escolhido é de \
                 Utilidade."
                    .to_owned()
            )
        );
    }

    #[test]
    fn a_template_inside_the_window_is_just_a_message() {
        let channel = official();
        let open = Lifecycle::started_by_contact(at(0)).conclude().expect("open");
        let restarted = open.template_sent(&channel, TemplateCategory::Utility, at(2)).expect("official");
        assert_eq!(restarted.status(), ConversationStatus::Open);
        assert_eq!(restarted.attempt(), None);
    }

    #[test]
    fn templates_exist_only_on_the_official_api() {
        for kind in [ChannelKind::WhatsappUnofficial, ChannelKind::Instagram, ChannelKind::Messenger] {
            let sent = Lifecycle::started_by_business(None).template_sent(
                &Channel::plain(kind),
                TemplateCategory::Utility,
                at(0),
            );
            assert_eq!(sent, Err(LifecycleError::NoTemplatesOnChannel { channel: kind }));
        }
    }

    #[test]
    fn starting_on_the_official_api_requires_a_template_and_on_the_unofficial_opens_at_once() {
        assert_eq!(start_plan(&official(), None, at(0)), Ok(StartPlan::Template(RestartOffer::AnyTemplate)));
        let unofficial = Channel::plain(ChannelKind::WhatsappUnofficial);
        assert_eq!(start_plan(&unofficial, None, at(0)), Ok(StartPlan::OpenDirectly));
        let instagram = Channel::plain(ChannelKind::Instagram);
        assert_eq!(
            start_plan(&instagram, None, at(0)),
            Err(RestartRefusal::MetaForbidsRestart { channel: ChannelKind::Instagram })
        );
        let wrote = Lifecycle::started_by_contact(at(0)).conclude().expect("open");
        assert_eq!(start_plan(&instagram, Some(&wrote), at(2)), Ok(StartPlan::OpenDirectly));
    }

    #[derive(Debug, Clone, Copy)]
    enum Step {
        Wrote(i64),
        Template(TemplateCategory, i64),
        Conclude,
    }

    fn any_step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0i64..200).prop_map(Step::Wrote),
            (prop::sample::select(TemplateCategory::ALL.to_vec()), 0i64..200)
                .prop_map(|(c, h)| Step::Template(c, h)),
            Just(Step::Conclude),
        ]
    }

    proptest! {
        #[test]
        fn only_the_contact_moves_the_window_whatever_the_agent_does(steps in prop::collection::vec(any_step(), 0..25)) {
            let channel = official();
            let mut state = Lifecycle::started_by_business(None);
            let mut latest_inbound: Option<Timestamp> = None;
            for step in steps {
                state = match step {
                    Step::Wrote(h) => {
                        latest_inbound = Some(latest_inbound.map_or(at(h), |l| l.max(at(h))));
                        state.contact_wrote(InboundKind::Text, at(h))
                    }
                    Step::Template(category, h) => state.template_sent(&channel, category, at(h)).unwrap_or(state),
                    Step::Conclude => state.conclude().unwrap_or(state),
                };
                prop_assert_eq!(state.last_inbound_at(), latest_inbound);
            }
        }

        #[test]
        fn an_attempt_keeps_the_category_it_started_with(steps in prop::collection::vec(any_step(), 0..25)) {
            let channel = official();
            let mut state = Lifecycle::started_by_business(None);
            for step in steps {
                let before = state.attempt().copied();
                state = match step {
                    Step::Wrote(h) => state.contact_wrote(InboundKind::Reaction, at(h)),
                    Step::Template(category, h) => state.template_sent(&channel, category, at(h)).unwrap_or(state),
                    Step::Conclude => state.conclude().unwrap_or(state),
                };
                if let (Some(before), Some(after)) = (before, state.attempt()) {
                    prop_assert_eq!(before, *after);
                }
                prop_assert!(state.status() != ConversationStatus::WaitingForContact || state.attempt().is_some());
            }
        }

        #[test]
        fn restart_is_refused_only_while_an_unconcluded_conversation_has_an_open_window(
            last in prop::option::of(0i64..100), now in 0i64..200, concluded in any::<bool>()
        ) {
            let base = Lifecycle::started_by_business(last.map(at));
            let state = if concluded { base.conclude().expect("open") } else { base };
            let result = restart_eligibility(&official(), Some(&state), at(now));
            let open = state.window(&official(), at(now)).is_open();
            prop_assert_eq!(result.is_err(), open && !concluded);
        }
    }
}
