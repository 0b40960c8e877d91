//! A conversation's life in Atende: open, waiting for the contact after a template, concluded; and when
//! "Reiniciar" and "Iniciar atendimento" may be used. Whether an open conversation is assigned to an agent
//! (and to which team) is the store's business: it changes none of these rules.
//!
//! Concluding is Atende's bookkeeping: it never changes Meta's window. A template sent outside the window
//! starts a re-engagement attempt: the conversation waits for the contact, and any further template in that
//! attempt must be of the same category as the first. The contact's reply ends the attempt.
//!
//! Our clock is not the last word on the window: Meta may refuse a free-form message (131047 on WhatsApp, the
//! outside-window subcodes on Instagram/Messenger) while the window looks open to us. From that report on,
//! the window counts as closed until the contact writes again ([`Lifecycle::provider_reported_closed`]).

use crate::channel::{Channel, ChannelKind};
use crate::conversation::ConversationStatus;
use crate::reach::{Reach, Unreachable};
use crate::template::{Template, TemplateCategory};
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
    #[error("O {} não tem modelos de mensagem.", .channel.label())]
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
    /// When the provider said the window was closed, if the contact has not written since.
    #[serde(default)]
    provider_closed_at: Option<Timestamp>,
}

impl Lifecycle {
    /// A conversation the contact started ("Receptiva").
    pub const fn started_by_contact(at: Timestamp) -> Self {
        Self {
            status: ConversationStatus::Open,
            last_inbound_at: Some(at),
            attempt: None,
            provider_closed_at: None,
        }
    }

    /// A conversation the business opens ("Ativa") before anything is sent; `last_inbound_at` is the contact's
    /// last message on this channel, from any earlier conversation, since the window belongs to the contact
    /// and the channel, not to the conversation.
    pub const fn started_by_business(last_inbound_at: Option<Timestamp>) -> Self {
        Self { status: ConversationStatus::Open, last_inbound_at, attempt: None, provider_closed_at: None }
    }

    /// Rebuilds the state the store kept (add a kept provider report with
    /// [`Lifecycle::provider_reported_closed`]).
    pub const fn from_parts(
        status: ConversationStatus,
        last_inbound_at: Option<Timestamp>,
        attempt: Option<Attempt>,
    ) -> Self {
        Self { status, last_inbound_at, attempt, provider_closed_at: None }
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

    /// When the provider last said the window was closed, if the contact has not written since.
    pub const fn provider_closed_at(&self) -> Option<Timestamp> {
        self.provider_closed_at
    }

    /// The window on `channel` at `now`: our clock's answer, unless the provider has since said it is closed.
    pub fn window(&self, channel: &Channel, now: Timestamp) -> ServiceWindow {
        window::window_reported(channel, self.last_inbound_at, self.provider_closed_at, now)
    }

    /// The provider refused a message at `at` because the window is closed (WhatsApp 131047, Instagram or
    /// Messenger outside the window; see `ProviderError::means_window_closed`), whatever our clock says.
    /// Until the contact writes again the window counts as closed: messages need a template (WhatsApp) or
    /// wait for the contact (Instagram/Messenger). A report no later than the contact's last message is
    /// stale and changes nothing: the contact's message wins.
    pub fn provider_reported_closed(self, at: Timestamp) -> Self {
        if self.last_inbound_at.is_some_and(|last| last >= at) {
            return self;
        }
        let closed_at = self.provider_closed_at.map_or(at, |earlier| earlier.min(at));
        Self { provider_closed_at: Some(closed_at), ..self }
    }

    /// The contact wrote: the window opens or renews, any attempt ends, and the conversation is open again
    /// (the queue is flushed by the caller). A provider's report of a closed window older than this message
    /// no longer applies.
    pub fn contact_wrote(self, kind: InboundKind, at: Timestamp) -> Self {
        Self {
            status: ConversationStatus::Open,
            last_inbound_at: window::last_inbound_after(self.last_inbound_at, Activity::Inbound(kind), at),
            attempt: None,
            provider_closed_at: self.provider_closed_at.filter(|closed_at| *closed_at > at),
        }
    }

    /// A message the contact sent at `sent_at` arrived at `now`, on `channel`: the conversation as
    /// [`Lifecycle::contact_wrote`] leaves it, and whether what was held for the contact may leave now. It may
    /// when the message opened the window (or the channel has none); a message delivered late, after its own
    /// window closed, releases nothing (what is held would only be refused). The store writes both.
    pub fn contact_message(
        self,
        channel: &Channel,
        kind: InboundKind,
        sent_at: Timestamp,
        now: Timestamp,
    ) -> ContactMessage {
        ContactMessage {
            lifecycle: self.contact_wrote(kind, sent_at),
            releases_held: window::window(channel, Some(sent_at), now).allows_free_form(),
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

    /// The agent wrote in a concluded conversation on a channel that allows it (see
    /// [`crate::queue::compose_decision`]): it is open again. The window is untouched.
    pub fn reopened_by_agent(self) -> Self {
        Self { status: ConversationStatus::Open, ..self }
    }
}

/// What one message from the contact changes ([`Lifecycle::contact_message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactMessage {
    /// The conversation after the message.
    pub lifecycle: Lifecycle,
    /// The messages held for the contact may leave now.
    pub releases_held: bool,
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

    /// Whether "Reiniciar" / "Iniciar atendimento" offers `template`: approved, of the category this attempt
    /// allows, and "de atendimento" — except inside an attempt already under way, which goes on with its own
    /// category whatever it is (a marketing attempt is re-engaged with a marketing template).
    pub fn offers(self, template: &Template) -> bool {
        let service = template.is_for_service() || matches!(self, Self::SameCategory(_));
        template.status().is_sendable() && service && self.allows(template.category())
    }
}

/// Why "Reiniciar" is not offered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum RestartRefusal {
    #[error("Na API Não Oficial não há janela de conversa nem modelos: envie a mensagem diretamente.")]
    NoWindowOnChannel,
    #[error("A janela de conversa ainda está aberta: responda diretamente no atendimento.")]
    WindowStillOpen,
    /// Instagram/Messenger with the HUMAN_AGENT tag, between 24 hours and 7 days after the contact wrote.
    #[error(
        "Não é preciso reiniciar: a janela de 24 horas do {} já fechou, mas você ainda pode responder \
         diretamente no atendimento como atendente humano (etiqueta HUMAN_AGENT), em até 7 dias depois da \
         última mensagem do contato.",
        .channel.label()
    )]
    HumanAgentReplyStillPossible { channel: ChannelKind },
    #[error(
        "A Meta não permite reiniciar uma conversa do {} depois que a janela de conversa se fecha: aguarde o \
         contato escrever.",
        .channel.label()
    )]
    MetaForbidsRestart { channel: ChannelKind },
    /// Instagram/Messenger: the contact never wrote on this channel.
    #[error(
        "A Meta não permite que a empresa inicie uma conversa no {}: aguarde o contato escrever primeiro.",
        .channel.label()
    )]
    ContactMustWriteFirst { channel: ChannelKind },
    /// The contact has no address on the channel (no number for WhatsApp).
    #[error("{0}")]
    Unreachable(#[from] Unreachable),
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
    let window = current_window(channel, conversation, now);
    if !kind.has_service_window() {
        return Err(RestartRefusal::NoWindowOnChannel);
    }
    if !kind.sends_templates() {
        return Err(refusal_without_templates(kind, window));
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
    reach: &Reach,
    now: Timestamp,
) -> Result<StartPlan, RestartRefusal> {
    let kind = channel.kind();
    match reach.on(kind) {
        Ok(()) => {}
        // The same fact the window states on Instagram and Messenger: said in the same words.
        Err(Unreachable::NeverWrote { channel }) => {
            return Err(RestartRefusal::ContactMustWriteFirst { channel })
        }
        Err(no_number) => return Err(no_number.into()),
    }
    if kind.sends_templates() {
        return Ok(StartPlan::Template(RestartOffer::for_conversation(conversation)));
    }
    let window = current_window(channel, conversation, now);
    match window {
        ServiceWindow::NeverOpened => Err(RestartRefusal::ContactMustWriteFirst { channel: kind }),
        _ if window.allows_free_form() => Ok(StartPlan::OpenDirectly),
        _ => Err(RestartRefusal::MetaForbidsRestart { channel: kind }),
    }
}

/// The window with a contact on `channel`, given the conversation Atende has with them there, if any.
fn current_window(channel: &Channel, conversation: Option<&Lifecycle>, now: Timestamp) -> ServiceWindow {
    match conversation {
        Some(conversation) => conversation.window(channel, now),
        None => window::window(channel, None, now),
    }
}

/// Why "Reiniciar" does not apply on Instagram or Messenger, given the window there.
fn refusal_without_templates(kind: ChannelKind, window: ServiceWindow) -> RestartRefusal {
    match window {
        ServiceWindow::NeverOpened => RestartRefusal::ContactMustWriteFirst { channel: kind },
        ServiceWindow::HumanAgentOnly { .. } => {
            RestartRefusal::HumanAgentReplyStillPossible { channel: kind }
        }
        _ if window.allows_free_form() => RestartRefusal::WindowStillOpen,
        _ => RestartRefusal::MetaForbidsRestart { channel: kind },
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

    /// A contact with a number who wrote on every kind of channel.
    fn reached() -> Reach {
        Reach { phone: true, identified_on: ChannelKind::ALL.to_vec() }
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
    }

    #[test]
    fn after_24_hours_a_tagged_channel_tells_the_agent_to_answer_as_a_human_agent_not_that_the_window_is_open(
    ) {
        let conversation = Lifecycle::started_by_contact(at(0));
        let tagged = Channel::new(ChannelKind::Messenger, true).expect("Messenger offers the tag");
        let refusal = restart_eligibility(&tagged, Some(&conversation), at(30));
        assert_eq!(
            refusal,
            Err(RestartRefusal::HumanAgentReplyStillPossible { channel: ChannelKind::Messenger })
        );
        let sentence = refusal.map_err(|e| e.to_string()).expect_err("refused");
        assert_eq!(
            sentence,
            "Não é preciso reiniciar: a janela de 24 horas do Messenger já fechou, mas você ainda pode responder \
             diretamente no atendimento como atendente humano (etiqueta HUMAN_AGENT), em até 7 dias depois da \
             última mensagem do contato."
        );
        assert!(!sentence.contains("ainda está aberta"));
        assert_eq!(
            restart_eligibility(&tagged, Some(&conversation), at(2)),
            Err(RestartRefusal::WindowStillOpen)
        );
        assert_eq!(
            restart_eligibility(&tagged, Some(&conversation), at(7 * 24)),
            Err(RestartRefusal::MetaForbidsRestart { channel: ChannelKind::Messenger })
        );
    }

    #[test]
    fn instagram_and_messenger_cannot_start_a_conversation_with_a_contact_who_never_wrote() {
        let instagram = Channel::plain(ChannelKind::Instagram);
        let refusal = start_plan(&instagram, None, &reached(), at(0));
        assert_eq!(refusal, Err(RestartRefusal::ContactMustWriteFirst { channel: ChannelKind::Instagram }));
        assert_eq!(
            refusal.map_err(|e| e.to_string()),
            Err("A Meta não permite que a empresa inicie uma conversa no Instagram: aguarde o contato escrever \
                 primeiro."
                .to_owned())
        );
        let messenger = Channel::plain(ChannelKind::Messenger);
        let never_wrote = Lifecycle::started_by_business(None);
        assert_eq!(
            restart_eligibility(&messenger, Some(&never_wrote), at(0)),
            Err(RestartRefusal::ContactMustWriteFirst { channel: ChannelKind::Messenger })
        );
        assert_eq!(
            start_plan(&messenger, Some(&Lifecycle::started_by_contact(at(0))), &reached(), at(30)),
            Err(RestartRefusal::MetaForbidsRestart { channel: ChannelKind::Messenger })
        );
    }

    #[test]
    fn the_contacts_message_reopens_the_conversation_and_releases_what_waits_only_inside_its_window() {
        let channel = official();
        let waiting = Lifecycle::started_by_contact(at(0))
            .template_sent(&channel, TemplateCategory::Marketing, at(30))
            .expect("official")
            .provider_reported_closed(at(29));
        let replied = waiting.contact_message(&channel, InboundKind::Video, at(40), at(40));
        assert!(replied.releases_held);
        assert_eq!(replied.lifecycle.status(), ConversationStatus::Open);
        assert_eq!(replied.lifecycle.attempt(), None);
        assert_eq!(replied.lifecycle.last_inbound_at(), Some(at(40)));
        assert_eq!(replied.lifecycle.provider_closed_at(), None);
        // Delivered 25 hours after it was written: the conversation opens, the window does not, nothing leaves.
        let late = waiting.contact_message(&channel, InboundKind::Text, at(31), at(56));
        assert!(!late.releases_held);
        assert_eq!(late.lifecycle.status(), ConversationStatus::Open);
        // An older message never moves the window back.
        let older = replied.lifecycle.contact_message(&channel, InboundKind::Text, at(35), at(41));
        assert_eq!(older.lifecycle.last_inbound_at(), Some(at(40)));
        // The unofficial API has no window: whatever waits may go, however late the message arrives.
        let unofficial = Channel::plain(ChannelKind::WhatsappUnofficial);
        let concluded = Lifecycle::started_by_business(None).conclude().expect("open");
        let reply = concluded.contact_message(&unofficial, InboundKind::Emoji, at(0), at(100));
        assert!(reply.releases_held);
        assert_eq!(reply.lifecycle.status(), ConversationStatus::Open);
    }

    #[test]
    fn channel_names_take_their_article_in_sentences() {
        assert_eq!(
            LifecycleError::NoTemplatesOnChannel { channel: ChannelKind::Instagram }.to_string(),
            "O Instagram não tem modelos de mensagem."
        );
        assert_eq!(
            LifecycleError::NoTemplatesOnChannel { channel: ChannelKind::WhatsappUnofficial }.to_string(),
            "O WhatsApp (API Não Oficial) não tem modelos de mensagem."
        );
    }

    #[test]
    fn a_provider_report_of_a_closed_window_closes_it_until_the_contact_writes_again() {
        let channel = official();
        let open = Lifecycle::started_by_contact(at(0));
        assert!(open.window(&channel, at(10)).is_open());
        let refused = open.provider_reported_closed(at(10));
        assert_eq!(refused.provider_closed_at(), Some(at(10)));
        assert_eq!(refused.window(&channel, at(11)), ServiceWindow::Closed { closed_at: at(10) });
        // Meta decides: a template is needed now, and Reiniciar is offered though our clock said "open".
        assert_eq!(restart_eligibility(&channel, Some(&refused), at(11)), Ok(RestartOffer::AnyTemplate));
        let waiting = refused.template_sent(&channel, TemplateCategory::Utility, at(12)).expect("official");
        assert_eq!(waiting.status(), ConversationStatus::WaitingForContact);
        // The contact's next message reopens it as usual.
        let replied = waiting.contact_wrote(InboundKind::Text, at(13));
        assert_eq!(replied.provider_closed_at(), None);
        assert!(replied.window(&channel, at(14)).is_open());
        // A report about a send older than the contact's last message is stale.
        assert_eq!(replied.provider_reported_closed(at(12)), replied);
        assert_eq!(replied.provider_reported_closed(at(13)), replied);
        // A late webhook for an older inbound message does not lift a newer report.
        let late = refused.contact_wrote(InboundKind::Text, at(5));
        assert_eq!(late.provider_closed_at(), Some(at(10)));
        assert!(!late.window(&channel, at(11)).is_open());
        // Rebuilt from the store, the report still applies.
        let rebuilt = Lifecycle::from_parts(ConversationStatus::Open, Some(at(0)), None)
            .provider_reported_closed(at(10));
        assert_eq!(rebuilt, refused);
    }

    #[test]
    fn a_provider_report_on_instagram_refuses_further_messages_even_with_the_human_agent_tag() {
        let tagged = Channel::new(ChannelKind::Instagram, true).expect("Instagram offers the tag");
        let refused = Lifecycle::started_by_contact(at(0)).provider_reported_closed(at(30));
        assert_eq!(refused.window(&tagged, at(31)), ServiceWindow::Closed { closed_at: at(30) });
        assert_eq!(
            restart_eligibility(&tagged, Some(&refused), at(31)),
            Err(RestartRefusal::MetaForbidsRestart { channel: ChannelKind::Instagram })
        );
        let unofficial = Channel::plain(ChannelKind::WhatsappUnofficial);
        assert_eq!(refused.window(&unofficial, at(31)), ServiceWindow::NoWindow);
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
        assert_eq!(
            start_plan(&official(), None, &reached(), at(0)),
            Ok(StartPlan::Template(RestartOffer::AnyTemplate))
        );
        let unofficial = Channel::plain(ChannelKind::WhatsappUnofficial);
        assert_eq!(start_plan(&unofficial, None, &reached(), at(0)), Ok(StartPlan::OpenDirectly));
        let instagram = Channel::plain(ChannelKind::Instagram);
        assert_eq!(
            start_plan(&instagram, None, &reached(), at(0)),
            Err(RestartRefusal::ContactMustWriteFirst { channel: ChannelKind::Instagram })
        );
        let wrote = Lifecycle::started_by_contact(at(0)).conclude().expect("open");
        assert_eq!(start_plan(&instagram, Some(&wrote), &reached(), at(2)), Ok(StartPlan::OpenDirectly));
    }

    #[test]
    fn a_contact_known_only_on_instagram_cannot_be_started_on_whatsapp() {
        let instagram_only = Reach { phone: false, identified_on: vec![ChannelKind::Instagram] };
        for kind in [ChannelKind::WhatsappOfficial, ChannelKind::WhatsappUnofficial] {
            assert_eq!(
                start_plan(&Channel::plain(kind), None, &instagram_only, at(0)),
                Err(RestartRefusal::Unreachable(Unreachable::NoNumber { channel: kind }))
            );
        }
        let instagram = Channel::plain(ChannelKind::Instagram);
        let wrote = Lifecycle::started_by_contact(at(0));
        assert_eq!(start_plan(&instagram, Some(&wrote), &instagram_only, at(1)), Ok(StartPlan::OpenDirectly));
        // Never identified on Messenger: the same words as a window never opened there.
        assert_eq!(
            start_plan(&Channel::plain(ChannelKind::Messenger), Some(&wrote), &instagram_only, at(1)),
            Err(RestartRefusal::ContactMustWriteFirst { channel: ChannelKind::Messenger })
        );
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
