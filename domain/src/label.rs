//! "Etiquetas" (issue #19): colour labels an agent puts on a conversation from its header ("Pedido",
//! "Reclamação", "VIP"), shown in the list, and the list's filter by label, team, channel, status and agent.
//! Admins keep the labels (create, rename, recolour, delete); anyone who may see a conversation labels it.

use crate::access::Viewer;
use crate::contact::fold_for_search;
use crate::conversation::{AgentId, Assignee, ChannelKind, ConversationStatus, ConversationSummary};
use serde::{Deserialize, Serialize};

/// Longest name (a chip in the list).
pub const NAME_MAX_CHARS: usize = 30;

/// The colours a label may have: few, apart from each other, and readable as a chip's background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Color {
    Gray,
    Red,
    Orange,
    Yellow,
    Green,
    Teal,
    Blue,
    Purple,
    Pink,
}

impl Color {
    pub const ALL: [Self; 9] = [
        Self::Gray,
        Self::Red,
        Self::Orange,
        Self::Yellow,
        Self::Green,
        Self::Teal,
        Self::Blue,
        Self::Purple,
        Self::Pink,
    ];

    /// The stable code stored in the database and used on the wire (and as a CSS class).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Gray => "cinza",
            Self::Red => "vermelho",
            Self::Orange => "laranja",
            Self::Yellow => "amarelo",
            Self::Green => "verde",
            Self::Teal => "turquesa",
            Self::Blue => "azul",
            Self::Purple => "roxo",
            Self::Pink => "rosa",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|color| color.code() == code)
    }

    /// Its name in the colour picker.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Gray => "Cinza",
            Self::Red => "Vermelho",
            Self::Orange => "Laranja",
            Self::Yellow => "Amarelo",
            Self::Green => "Verde",
            Self::Teal => "Turquesa",
            Self::Blue => "Azul",
            Self::Purple => "Roxo",
            Self::Pink => "Rosa",
        }
    }
}

/// Why a label was not saved, or not put on a conversation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum LabelError {
    #[error("Dê um nome à etiqueta.")]
    NoName,
    #[error("O nome da etiqueta pode ter no máximo {max} caracteres.")]
    NameTooLong { max: usize },
    #[error("Já existe uma etiqueta “{name}”: escolha outro nome.")]
    NameTaken { name: String },
    #[error("Só administradores criam, mudam ou apagam etiquetas.")]
    NotAllowed,
    #[error("Esta etiqueta já está no atendimento.")]
    AlreadyOn,
    #[error("Esta etiqueta já está no contato.")]
    AlreadyOnContact,
}

/// A label, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    name: String,
    color: Color,
}

impl Label {
    pub fn parse(name: &str, color: Color) -> Result<Self, LabelError> {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(LabelError::NoName);
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err(LabelError::NameTooLong { max: NAME_MAX_CHARS });
        }
        Ok(Self { name, color })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub const fn color(&self) -> Color {
        self.color
    }

    /// What makes two names the same label ("vip", "VIP", " Vip "): unique among the labels.
    pub fn name_key(&self) -> String {
        fold_for_search(&self.name)
    }
}

/// "Salvar" on the labels' screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelForm {
    pub name: String,
    pub color: Color,
}

impl Default for LabelForm {
    fn default() -> Self {
        Self { name: String::new(), color: Color::Blue }
    }
}

impl LabelForm {
    /// The label, checked; refused to anyone but an admin.
    pub fn validate(&self, viewer: &Viewer) -> Result<Label, LabelError> {
        let label = Label::parse(&self.name, self.color)?;
        if !viewer.is_admin() {
            return Err(LabelError::NotAllowed);
        }
        Ok(label)
    }
}

/// A label as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedLabel {
    pub id: i64,
    pub label: Label,
}

/// Whether `label` may go on a conversation that has `on` already (the same label twice is refused).
pub fn check_add(on: &[i64], label: i64) -> Result<(), LabelError> {
    if on.contains(&label) {
        return Err(LabelError::AlreadyOn);
    }
    Ok(())
}

/// Whether `label` may go on a contact that has `on` already (the same label twice is refused).
pub fn check_add_to_contact(on: &[i64], label: i64) -> Result<(), LabelError> {
    check_add(on, label).map_err(|_| LabelError::AlreadyOnContact)
}

/// The labels named by `ids`, in the order of `all` (by name), skipping any deleted meanwhile.
pub fn named<'a>(all: &'a [SavedLabel], ids: &[i64]) -> Vec<&'a SavedLabel> {
    all.iter().filter(|saved| ids.contains(&saved.id)).collect()
}

/// Who answers the conversations a filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AgentChoice {
    /// Nobody yet.
    Nobody,
    Agent(AgentId),
}

/// Which team's conversations a filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TeamChoice {
    /// Those no team has taken (the shared inbox).
    NoTeam,
    Team(i64),
}

/// "Filtrar" above the conversation list: every part left out (`None`) keeps everything; the parts given
/// must all hold. It narrows the tab, never widens it: another team's conversation stays out whatever the
/// filter says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListFilter {
    pub label: Option<i64>,
    pub team: Option<TeamChoice>,
    pub channel: Option<ChannelKind>,
    pub status: Option<ConversationStatus>,
    pub agent: Option<AgentChoice>,
}

impl ListFilter {
    /// Whether it filters at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// How many parts are given ("Filtrar (2)").
    pub fn count(&self) -> usize {
        [
            self.label.is_some(),
            self.team.is_some(),
            self.channel.is_some(),
            self.status.is_some(),
            self.agent.is_some(),
        ]
        .into_iter()
        .filter(|given| *given)
        .count()
    }

    /// Whether the list shows `conversation`.
    pub fn keeps(&self, conversation: &ConversationSummary) -> bool {
        let label = self.label.is_none_or(|label| conversation.labels.contains(&label));
        let team = self.team.is_none_or(|team| match team {
            TeamChoice::NoTeam => conversation.team.is_none(),
            TeamChoice::Team(team) => conversation.team == Some(team),
        });
        let channel = self.channel.is_none_or(|channel| conversation.channel == channel);
        let status = self.status.is_none_or(|status| conversation.status == status);
        let agent = self.agent.is_none_or(|agent| match agent {
            AgentChoice::Nobody => conversation.assignee == Assignee::Unassigned,
            AgentChoice::Agent(agent) => conversation.assignee == Assignee::Agent(agent),
        });
        label && team && channel && status && agent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::{ContactId, ContactName};
    use crate::conversation::ConversationId;
    use crate::time::Timestamp;

    fn admin() -> Viewer {
        Viewer { agent: 1, name: "Ana".into(), role: crate::access::Role::Admin, teams: vec![] }
    }

    fn agent() -> Viewer {
        Viewer { agent: 2, name: "Bia".into(), role: crate::access::Role::Agent, teams: vec![7] }
    }

    #[test]
    fn a_label_is_named_and_coloured_and_two_names_that_differ_only_in_case_or_accents_are_one() {
        let label = Label::parse("  Reclamação   grave ", Color::Red).expect("valid");
        assert_eq!(label.name(), "Reclamação grave");
        assert_eq!(label.color(), Color::Red);
        let other = Label::parse("RECLAMACAO GRAVE", Color::Blue).expect("valid");
        assert_eq!(label.name_key(), other.name_key());
        assert_ne!(label.name_key(), Label::parse("Reclamação", Color::Red).expect("valid").name_key());
    }

    #[test]
    fn an_empty_or_too_long_name_is_refused_in_portuguese() {
        assert_eq!(Label::parse("   ", Color::Gray), Err(LabelError::NoName));
        let long = "x".repeat(NAME_MAX_CHARS + 1);
        assert_eq!(Label::parse(&long, Color::Gray), Err(LabelError::NameTooLong { max: NAME_MAX_CHARS }));
        assert!(Label::parse(&"é".repeat(NAME_MAX_CHARS), Color::Gray).is_ok(), "characters, not bytes");
        assert_eq!(LabelError::NoName.to_string(), "Dê um nome à etiqueta.");
        assert_eq!(
            LabelError::NameTaken { name: "VIP".into() }.to_string(),
            "Já existe uma etiqueta “VIP”: escolha outro nome."
        );
    }

    #[test]
    fn only_an_admin_keeps_labels_and_a_bad_name_is_named_before_the_permission() {
        let form = LabelForm { name: "VIP".into(), color: Color::Yellow };
        assert_eq!(form.validate(&admin()).map(|l| l.name().to_owned()), Ok("VIP".to_owned()));
        assert_eq!(form.validate(&agent()), Err(LabelError::NotAllowed));
        let empty = LabelForm { name: String::new(), color: Color::Yellow };
        assert_eq!(empty.validate(&agent()), Err(LabelError::NoName));
    }

    #[test]
    fn every_colour_has_its_own_code_that_reads_back() {
        for color in Color::ALL {
            assert_eq!(Color::from_code(color.code()), Some(color));
        }
        let mut codes: Vec<_> = Color::ALL.iter().map(|c| c.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), Color::ALL.len());
        assert_eq!(Color::from_code("magenta"), None);
    }

    #[test]
    fn a_label_goes_on_a_conversation_once() {
        assert_eq!(check_add(&[1, 2], 3), Ok(()));
        assert_eq!(check_add(&[1, 2], 2), Err(LabelError::AlreadyOn));
        assert_eq!(check_add_to_contact(&[1, 2], 2), Err(LabelError::AlreadyOnContact));
        assert_eq!(check_add_to_contact(&[], 2), Ok(()));
        assert_eq!(LabelError::AlreadyOnContact.to_string(), "Esta etiqueta já está no contato.");
    }

    #[test]
    fn a_conversations_labels_are_named_in_the_order_of_the_list_and_deleted_ones_are_skipped() {
        let all = vec![
            SavedLabel { id: 5, label: Label::parse("Pedido", Color::Blue).expect("valid") },
            SavedLabel { id: 2, label: Label::parse("VIP", Color::Yellow).expect("valid") },
        ];
        let names: Vec<_> = named(&all, &[2, 9, 5]).iter().map(|s| s.label.name()).collect();
        assert_eq!(names, ["Pedido", "VIP"]);
    }

    fn conversation(team: Option<i64>, assignee: Assignee, labels: Vec<i64>) -> ConversationSummary {
        ConversationSummary {
            id: ConversationId(1),
            contact_id: ContactId(1),
            contact_name: ContactName::parse("Maria").expect("valid"),
            contact_phone: None,
            channel: ChannelKind::WhatsappOfficial,
            status: ConversationStatus::Open,
            assignee,
            last_message: None,
            last_inbound_at: None,
            provider_closed_at: None,
            updated_at: Timestamp::from_millis(0),
            created_at: Timestamp::from_millis(0),
            team,
            labels,
        }
    }

    #[test]
    fn an_empty_filter_keeps_everything_and_each_part_given_must_hold() {
        let vip = conversation(Some(7), Assignee::Agent(AgentId(2)), vec![3, 4]);
        let plain = conversation(None, Assignee::Unassigned, vec![]);
        let all = ListFilter::default();
        assert!(all.is_empty() && all.keeps(&vip) && all.keeps(&plain));

        let by_label = ListFilter { label: Some(4), ..ListFilter::default() };
        assert!(by_label.keeps(&vip) && !by_label.keeps(&plain));

        let no_team = ListFilter { team: Some(TeamChoice::NoTeam), ..ListFilter::default() };
        assert!(!no_team.keeps(&vip) && no_team.keeps(&plain));
        let team = ListFilter { team: Some(TeamChoice::Team(7)), ..ListFilter::default() };
        assert!(team.keeps(&vip) && !team.keeps(&plain));

        let nobody = ListFilter { agent: Some(AgentChoice::Nobody), ..ListFilter::default() };
        assert!(!nobody.keeps(&vip) && nobody.keeps(&plain));
        let mine = ListFilter { agent: Some(AgentChoice::Agent(AgentId(2))), ..ListFilter::default() };
        assert!(mine.keeps(&vip) && !mine.keeps(&plain));

        let channel = ListFilter { channel: Some(ChannelKind::Instagram), ..ListFilter::default() };
        assert!(!channel.keeps(&vip));
        let waiting =
            ListFilter { status: Some(ConversationStatus::WaitingForContact), ..ListFilter::default() };
        assert!(!waiting.keeps(&vip));

        let both = ListFilter { label: Some(3), team: Some(TeamChoice::Team(8)), ..ListFilter::default() };
        assert_eq!(both.count(), 2);
        assert!(!both.keeps(&vip), "every part must hold, not any");
    }
}
