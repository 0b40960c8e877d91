//! Conversations ("atendimentos") and the channels they run on.

use crate::contact::{ContactId, ContactName};
use crate::phone::Phone;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConversationId(pub i64);

/// The kinds of channel a business talks through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChannelKind {
    /// WhatsApp Cloud API ("API Oficial"): 24-hour window, approved templates outside it.
    WhatsappOfficial,
    /// An unofficial WhatsApp gateway ("API Não Oficial"): no window, no templates.
    WhatsappUnofficial,
    Instagram,
    Messenger,
}

impl ChannelKind {
    /// The stable code stored in the database and used on the wire.
    pub const fn code(self) -> &'static str {
        match self {
            Self::WhatsappOfficial => "whatsapp_official",
            Self::WhatsappUnofficial => "whatsapp_unofficial",
            Self::Instagram => "instagram",
            Self::Messenger => "messenger",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::WhatsappOfficial, Self::WhatsappUnofficial, Self::Instagram, Self::Messenger]
            .into_iter()
            .find(|kind| kind.code() == code)
    }

    /// The name agents see.
    pub const fn label(self) -> &'static str {
        match self {
            Self::WhatsappOfficial => "WhatsApp (API Oficial)",
            Self::WhatsappUnofficial => "WhatsApp (API Não Oficial)",
            Self::Instagram => "Instagram",
            Self::Messenger => "Messenger",
        }
    }
}

/// Where a conversation stands in Atende. Concluding is Atende's own bookkeeping: it never changes Meta's
/// customer-service window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConversationStatus {
    Open,
    /// A template went out; the conversation waits for the contact to interact.
    WaitingForContact,
    Concluded,
}

impl ConversationStatus {
    /// What the console shows.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Open => "Em andamento",
            Self::WaitingForContact => "Aguardando o contato",
            Self::Concluded => "Concluído",
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::WaitingForContact => "waiting",
            Self::Concluded => "concluded",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Open, Self::WaitingForContact, Self::Concluded].into_iter().find(|s| s.code() == code)
    }
}

/// The tabs of the Atendimentos screen. Each lists only what the agent may see (their teams' conversations
/// and those no team has taken; an admin sees all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tab {
    /// "Meus": the agent's own conversations that are not concluded.
    Mine,
    /// "Não atribuídos": not concluded and nobody's yet; any agent of the team may take one.
    Unassigned,
    /// "Todos": every conversation that is not concluded, whoever answers it.
    All,
    /// "Concluídos".
    Concluded,
}

impl Tab {
    pub const ALL: [Self; 4] = [Self::Mine, Self::Unassigned, Self::All, Self::Concluded];

    pub const fn label(self) -> &'static str {
        match self {
            Self::Mine => "Meus",
            Self::Unassigned => "Não atribuídos",
            Self::All => "Todos",
            Self::Concluded => "Concluídos",
        }
    }

    /// Whether a conversation in `status`, assigned to `assignee`, is listed under this tab for the agent `me`.
    pub fn lists(self, status: ConversationStatus, assignee: Assignee, me: AgentId) -> bool {
        let queue = Queue::of(status, assignee, me);
        match self {
            Self::Mine => queue == Queue::Mine,
            Self::Unassigned => queue == Queue::Unassigned,
            Self::All => queue != Queue::Concluded,
            Self::Concluded => queue == Queue::Concluded,
        }
    }
}

/// An agent of the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AgentId(pub i64);

/// Who answers a conversation. An open conversation may be unassigned (waiting for an agent of its team).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Assignee {
    Unassigned,
    Agent(AgentId),
}

/// Where a conversation shows for one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Queue {
    /// "Meus": assigned to the agent, not concluded.
    Mine,
    /// Not concluded and assigned to nobody: any agent of the team may take it.
    Unassigned,
    /// Not concluded, another agent's.
    Others,
    /// "Concluídos".
    Concluded,
}

impl Queue {
    /// Where a conversation in `status`, assigned to `assignee`, shows for the agent `me`. Concluding removes
    /// a conversation from "Meus" whoever had it; the window is not involved.
    pub fn of(status: ConversationStatus, assignee: Assignee, me: AgentId) -> Self {
        match (status, assignee) {
            (ConversationStatus::Concluded, _) => Self::Concluded,
            (_, Assignee::Unassigned) => Self::Unassigned,
            (_, Assignee::Agent(agent)) if agent == me => Self::Mine,
            (_, Assignee::Agent(_)) => Self::Others,
        }
    }
}

/// One row of the conversation list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub contact_id: ContactId,
    pub contact_name: ContactName,
    pub contact_phone: Option<Phone>,
    pub channel: ChannelKind,
    pub status: ConversationStatus,
    /// Who answers it.
    pub assignee: Assignee,
    pub last_message: Option<String>,
    /// The contact's last message, which opened or renewed the customer-service window.
    pub last_inbound_at: Option<Timestamp>,
    /// When the provider said the window was closed, if the contact has not written since.
    #[serde(default)]
    pub provider_closed_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    /// When it began (its protocol's year).
    #[serde(default)]
    pub created_at: Timestamp,
    /// The team it is for (`None`: the shared inbox).
    #[serde(default)]
    pub team: Option<i64>,
    /// Its labels ("Etiquetas"), by id.
    #[serde(default)]
    pub labels: Vec<i64>,
}

impl ConversationSummary {
    /// "Protocolo 2026-000123".
    pub fn protocol(&self) -> Protocol {
        Protocol::of(self.id, self.created_at)
    }
}

/// A conversation's protocol number, as Brazilian customers ask for it (consumer-protection practice): the
/// year it began, in Brasília, and its number ("2026-000123").
///
/// Chosen: the number is the conversation's own, which the database gave it, so it is unique without a
/// counter every new conversation would wait on; it does not go back to 1 each year, and it stays the same
/// when the conversation is concluded and later restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Protocol {
    pub year: u16,
    pub number: u64,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:06}", self.year, self.number)
    }
}

/// Why "Transferir" was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TransferError {
    #[error("O atendimento já está com esta equipe e este responsável: escolha outra equipe ou outro responsável.")]
    Unchanged,
}

/// "Transferir" must change something: the team, or who answers.
pub fn check_transfer(
    team_now: Option<i64>,
    assignee_now: Assignee,
    team: i64,
    assignee: Assignee,
) -> Result<(), TransferError> {
    if team_now == Some(team) && assignee_now == assignee {
        return Err(TransferError::Unchanged);
    }
    Ok(())
}

/// Brasília: UTC−3 all year since 2019.
const BRASILIA_MINUTES: i32 = -180;

impl Protocol {
    pub fn of(conversation: ConversationId, created_at: Timestamp) -> Self {
        let year = u16::try_from(created_at.local_year(BRASILIA_MINUTES)).unwrap_or(0);
        Self { year, number: u64::try_from(conversation.0).unwrap_or(0) }
    }

    /// A protocol as an agent or customer types it: "2026-000123", "2026-123", "Protocolo 2026/123", or
    /// with a dot or a space for the dash.
    pub fn parse(input: &str) -> Option<Self> {
        let input = input.trim();
        let input = ["protocolo", "Protocolo", "PROTOCOLO"]
            .iter()
            .find_map(|word| input.strip_prefix(word))
            .unwrap_or(input)
            .trim_start_matches([' ', ':', 'º', '°', 'n', '.'])
            .trim();
        let (year, number) = input.split_once(['-', '/', '.', ' '])?;
        let year: u16 = year.trim().parse().ok().filter(|y| (2000..=2999).contains(y))?;
        let number: u64 = number.trim().parse().ok().filter(|n| *n > 0)?;
        Some(Self { year, number })
    }

    /// The conversation it names, if its number is one ([`Self::matches`] checks the year).
    pub fn conversation(self) -> Option<ConversationId> {
        i64::try_from(self.number).ok().map(ConversationId)
    }

    /// Whether this is the protocol of a conversation begun at `created_at`: the year must match too, so a
    /// typo in the year finds nothing rather than another conversation.
    pub fn matches(self, conversation: ConversationId, created_at: Timestamp) -> bool {
        Self::of(conversation, created_at) == self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protocol_is_the_year_in_brasilia_and_the_conversations_number() {
        // 2026-01-01 01:00 UTC is still 2025 in Brasília.
        let new_year = Timestamp::from_utc_date(2026, 1, 1).expect("date").plus_millis(3_600_000);
        assert_eq!(Protocol::of(ConversationId(123), new_year).to_string(), "2025-000123");
        let later = new_year.plus_millis(3 * 3_600_000);
        let protocol = Protocol::of(ConversationId(123), later);
        assert_eq!(protocol.to_string(), "2026-000123");
        assert_eq!(Protocol::of(ConversationId(1_234_567), later).to_string(), "2026-1234567");
        for typed in
            ["2026-000123", " 2026/123 ", "2026.123", "Protocolo 2026-000123", "protocolo nº 2026 123"]
        {
            assert_eq!(Protocol::parse(typed), Some(protocol), "{typed}");
        }
        for typed in ["2026-0", "123", "1999-5", "2026-x", ""] {
            assert_eq!(Protocol::parse(typed), None, "{typed}");
        }
        assert_eq!(protocol.conversation(), Some(ConversationId(123)));
        assert!(protocol.matches(ConversationId(123), later));
        assert!(!protocol.matches(ConversationId(123), new_year), "another year");
    }

    #[test]
    fn a_transfer_changes_the_team_or_who_answers() {
        let ana = Assignee::Agent(AgentId(1));
        assert_eq!(check_transfer(Some(1), ana, 1, ana), Err(TransferError::Unchanged));
        assert_eq!(check_transfer(Some(1), ana, 2, ana), Ok(()));
        assert_eq!(check_transfer(Some(1), ana, 1, Assignee::Unassigned), Ok(()));
        assert_eq!(
            check_transfer(None, Assignee::Unassigned, 1, Assignee::Unassigned),
            Ok(()),
            "from the shared inbox"
        );
    }

    #[test]
    fn codes_round_trip() {
        for kind in [
            ChannelKind::WhatsappOfficial,
            ChannelKind::WhatsappUnofficial,
            ChannelKind::Instagram,
            ChannelKind::Messenger,
        ] {
            assert_eq!(ChannelKind::from_code(kind.code()), Some(kind));
        }
        for status in
            [ConversationStatus::Open, ConversationStatus::WaitingForContact, ConversationStatus::Concluded]
        {
            assert_eq!(ConversationStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(ChannelKind::from_code("telegram"), None);
    }

    #[test]
    fn meus_holds_the_agents_own_open_conversations_and_concluding_moves_them_to_concluidos() {
        let me = AgentId(1);
        let other = AgentId(2);
        for status in [ConversationStatus::Open, ConversationStatus::WaitingForContact] {
            assert_eq!(Queue::of(status, Assignee::Agent(me), me), Queue::Mine);
            assert_eq!(Queue::of(status, Assignee::Agent(other), me), Queue::Others);
            assert_eq!(Queue::of(status, Assignee::Unassigned, me), Queue::Unassigned);
        }
        for assignee in [Assignee::Agent(me), Assignee::Agent(other), Assignee::Unassigned] {
            assert_eq!(Queue::of(ConversationStatus::Concluded, assignee, me), Queue::Concluded);
        }
    }

    #[test]
    fn every_conversation_shows_in_todos_or_concluidos_and_in_exactly_one_of_the_other_tabs() {
        let me = AgentId(1);
        let statuses =
            [ConversationStatus::Open, ConversationStatus::WaitingForContact, ConversationStatus::Concluded];
        let assignees = [Assignee::Agent(me), Assignee::Agent(AgentId(2)), Assignee::Unassigned];
        for status in statuses {
            for assignee in assignees {
                let tabs: Vec<Tab> = Tab::ALL.into_iter().filter(|t| t.lists(status, assignee, me)).collect();
                let concluded = status == ConversationStatus::Concluded;
                assert_eq!(tabs.contains(&Tab::All), !concluded, "{status:?} {assignee:?}");
                assert_eq!(tabs.contains(&Tab::Concluded), concluded);
                let expected = match (concluded, assignee) {
                    (true, _) => vec![Tab::Concluded],
                    (false, Assignee::Agent(a)) if a == me => vec![Tab::Mine, Tab::All],
                    (false, Assignee::Unassigned) => vec![Tab::Unassigned, Tab::All],
                    (false, Assignee::Agent(_)) => vec![Tab::All],
                };
                assert_eq!(tabs, expected, "{status:?} {assignee:?}");
            }
        }
    }
}
