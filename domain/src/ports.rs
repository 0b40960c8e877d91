//! What the domain needs from the outside world, as traits with no database or HTTP types.
//! The server implements them (SQLite and PostgreSQL behind one contract suite).

use crate::contact::{Contact, ContactId, NewContact};
use crate::conversation::{AgentId, Assignee, ChannelKind, ConversationSummary, Tab};
use crate::phone::Phone;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Why the store could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum StoreError {
    /// A contact with this number (or its ninth-digit twin) exists already.
    #[error("Já existe um contato com este número: {name}.")]
    DuplicatePhone { existing: ContactId, name: String },
    #[error("Não encontrado.")]
    NotFound,
    /// Someone else changed it between reading and writing (two agents, or a double click).
    #[error("O atendimento mudou enquanto você escrevia: confira e tente de novo.")]
    Changed,
    /// A name that must be unique (a quick answer's title in its team) is taken.
    #[error("Este nome já está em uso.")]
    NameTaken,
    /// The database failed; the detail is for the logs, never for the agent.
    #[error("Não foi possível acessar os dados agora. Tente novamente.")]
    Unavailable(String),
}

/// A search over contacts by name or number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactQuery {
    /// Part of the name (any case) or of the number (digits); empty lists everyone.
    pub text: String,
    pub limit: u32,
    /// Only the contacts with this label (CRM → Contatos, "Etiqueta").
    pub label: Option<i64>,
}

/// Contacts and conversations.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a new contact.
    /// MUST return [`StoreError::DuplicatePhone`] if a contact with any of `contact.phone.variants()`
    /// exists, and store nothing then.
    async fn create_contact(&self, contact: NewContact, now: Timestamp) -> Result<Contact, StoreError>;

    /// Changes a contact's name and number.
    /// MUST return [`StoreError::NotFound`] if there is no such contact and
    /// [`StoreError::DuplicatePhone`] if another contact has the number (or its ninth-digit twin); it
    /// changes nothing then.
    async fn update_contact(&self, id: ContactId, contact: NewContact) -> Result<Contact, StoreError>;

    /// The contact with this id.
    /// MUST return [`StoreError::NotFound`] if there is none.
    async fn contact(&self, id: ContactId) -> Result<Contact, StoreError>;

    /// The contact known by any variant of `phone`, if one exists.
    async fn find_contact_by_phone(&self, phone: &Phone) -> Result<Option<Contact>, StoreError>;

    /// Contacts whose name contains `query.text` (case-insensitive) or whose number contains its digits,
    /// ordered by name, at most `query.limit`.
    async fn search_contacts(&self, query: &ContactQuery) -> Result<Vec<Contact>, StoreError>;

    /// Opens a conversation with a contact on a channel.
    /// MUST return [`StoreError::NotFound`] if the contact does not exist.
    async fn open_conversation(
        &self,
        contact: ContactId,
        channel: ChannelKind,
        now: Timestamp,
    ) -> Result<ConversationSummary, StoreError>;

    /// The contact's most recent conversation on any channel among those of `teams` and those no team has
    /// taken (`None`: all), if there is one: what an agent of `teams` may see ([`crate::access::Viewer::may_see`]).
    async fn latest_conversation(
        &self,
        contact: ContactId,
        teams: Option<&[i64]>,
    ) -> Result<Option<crate::conversation::ConversationId>, StoreError>;

    /// Every conversation of the contact among those of `teams` and those no team has taken (`None`: all),
    /// most recently updated first: the contact's history ("Outros atendimentos").
    async fn contact_conversations(
        &self,
        contact: ContactId,
        teams: Option<&[i64]>,
    ) -> Result<Vec<ConversationSummary>, StoreError>;

    /// The team of each of the contact's conversations that is not concluded (`None`: the shared inbox), on
    /// any channel.
    async fn unfinished_conversation_teams(&self, contact: ContactId)
        -> Result<Vec<Option<i64>>, StoreError>;

    /// The conversations listed under `tab` for an agent who sees everything and has none of their own
    /// ("Meus" is empty then), most recently updated first: the first [`crate::listing::PAGE_MAX`].
    async fn list_conversations(&self, tab: Tab) -> Result<Vec<ConversationSummary>, StoreError>;

    /// The conversations of `range` listed under `tab` for the agent `me` ([`Tab::lists`]) and kept by
    /// `filter`, only those of `teams` and those no team has taken (`None`: all), in the list's order
    /// ([`crate::listing::order`]). A page is made by [`crate::listing::ListPage::from_read`] out of the rows
    /// read.
    async fn list_visible(
        &self,
        tab: Tab,
        teams: Option<&[i64]>,
        me: AgentId,
        filter: &crate::label::ListFilter,
        range: &crate::listing::ListRange,
    ) -> Result<crate::listing::ListPage, StoreError>;

    /// The team a conversation belongs to, if any.
    /// MUST return [`StoreError::NotFound`] if the conversation does not exist.
    async fn conversation_team(
        &self,
        id: crate::conversation::ConversationId,
    ) -> Result<Option<i64>, StoreError>;
}

/// "Etiquetas": the labels admins keep, and those on each conversation.
#[async_trait::async_trait]
pub trait Labels: Send + Sync + 'static {
    /// Every label, by name.
    async fn labels(&self) -> Result<Vec<crate::label::SavedLabel>, StoreError>;

    /// Adds (`id` `None`) or replaces a label.
    /// MUST return [`StoreError::NameTaken`] if another label has its
    /// [`crate::label::Label::name_key`], and [`StoreError::NotFound`] if `id` names none; it changes nothing
    /// then.
    async fn save_label(
        &self,
        id: Option<i64>,
        label: &crate::label::Label,
        now: Timestamp,
    ) -> Result<crate::label::SavedLabel, StoreError>;

    /// Deletes a label and takes it off every conversation and contact.
    /// MUST return [`StoreError::NotFound`] if there is no such label.
    async fn delete_label(&self, id: i64) -> Result<(), StoreError>;

    /// The labels on a conversation, by id.
    async fn conversation_labels(
        &self,
        conversation: crate::conversation::ConversationId,
    ) -> Result<Vec<i64>, StoreError>;

    /// The labels on each of `contacts` (at most a page's worth), as (contact, label) pairs.
    async fn contact_labels(
        &self,
        contacts: &[crate::contact::ContactId],
    ) -> Result<Vec<(crate::contact::ContactId, i64)>, StoreError>;

    /// Puts `label` on the contact (`on`) or takes it off; the same contract as
    /// [`Self::set_conversation_label`].
    async fn set_contact_label(
        &self,
        contact: crate::contact::ContactId,
        label: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Puts `label` on the conversation (`on`) or takes it off.
    /// MUST return [`StoreError::NotFound`] if the conversation or the label does not exist, or (taking it
    /// off) it is not on, and [`StoreError::NameTaken`] if (putting it on) it is on already; it changes
    /// nothing then.
    async fn set_conversation_label(
        &self,
        conversation: crate::conversation::ConversationId,
        label: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<(), StoreError>;
}

/// "Notificações": what each agent last saw of each conversation.
#[async_trait::async_trait]
pub trait Seen: Send + Sync + 'static {
    /// The agent has the conversation in front of them: what it holds now is seen.
    async fn mark_seen(
        &self,
        agent: AgentId,
        conversation: crate::conversation::ConversationId,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// For each conversation of `teams` (and none; `None`: all) that is not concluded and is the agent's,
    /// nobody's, or has a note written since the agent last opened it: how many of the contact's messages
    /// came since, and the notes since that name someone ([`crate::unread::unseen`] decides what counts),
    /// most recently updated first.
    async fn unseen_facts(
        &self,
        agent: AgentId,
        teams: Option<&[i64]>,
    ) -> Result<Vec<crate::unread::UnseenFacts>, StoreError>;
}

/// "Busca" by message text.
#[async_trait::async_trait]
pub trait MessageSearches: Send + Sync + 'static {
    /// Messages with a text whose words the full-text index finds for `search`, in conversations of `teams`
    /// and none (`None`: all), older than the message `before` (`None`: any), newest first, at most `limit`.
    /// [`crate::search::hits`] decides which match.
    async fn search_messages(
        &self,
        search: &crate::search::MessageSearch,
        teams: Option<&[i64]>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<crate::search::FoundMessage>, StoreError>;
}

/// "Respostas rápidas": saved answers, global or one team's.
#[async_trait::async_trait]
pub trait QuickAnswers: Send + Sync + 'static {
    /// The global answers and those of `teams` (`None`: every team's), by title.
    async fn quick_answers(
        &self,
        teams: Option<&[i64]>,
    ) -> Result<Vec<crate::quick_answer::SavedQuickAnswer>, StoreError>;

    /// MUST return [`StoreError::NotFound`] if there is no such answer.
    async fn quick_answer(&self, id: i64) -> Result<crate::quick_answer::SavedQuickAnswer, StoreError>;

    /// Adds (`id` `None`) or replaces an answer, in `scope`.
    /// MUST return [`StoreError::NameTaken`] if another answer of the same scope has its
    /// [`crate::quick_answer::QuickAnswer::title_key`], and [`StoreError::NotFound`] if `id` names none; it
    /// changes nothing then.
    async fn save_quick_answer(
        &self,
        id: Option<i64>,
        scope: crate::quick_answer::Scope,
        answer: &crate::quick_answer::QuickAnswer,
        by: AgentId,
        now: Timestamp,
    ) -> Result<crate::quick_answer::SavedQuickAnswer, StoreError>;

    /// MUST return [`StoreError::NotFound`] if there is no such answer.
    async fn delete_quick_answer(&self, id: i64) -> Result<(), StoreError>;

    /// Notes that `agent` uploaded the file kept under `sha256` for an answer (again: no change).
    async fn note_answer_upload(
        &self,
        sha256: &str,
        agent: AgentId,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Whether `agent` uploaded the file kept under `sha256` for an answer.
    async fn answer_uploaded_by(&self, sha256: &str, agent: AgentId) -> Result<bool, StoreError>;
}

/// "Horário de atendimento": each team's opening hours and automatic answer.
#[async_trait::async_trait]
pub trait Hours: Send + Sync + 'static {
    /// The hours kept, by team (`None`: the shared inbox); a team without any is always open.
    async fn team_hours(&self) -> Result<Vec<(Option<i64>, crate::hours::OpeningHours)>, StoreError>;

    /// Keeps the hours of `team` (`None`: the shared inbox), or (`hours` `None`) takes them off: always open.
    /// MUST return [`StoreError::NotFound`] if there is no such team; it changes nothing then.
    async fn save_team_hours(
        &self,
        team: Option<i64>,
        hours: Option<&crate::hours::OpeningHours>,
        now: Timestamp,
    ) -> Result<(), StoreError>;
}

/// "Nota interna": notes in a conversation, never sent to the contact.
#[async_trait::async_trait]
pub trait Notes: Send + Sync + 'static {
    /// Keeps a note by `author` naming `mentions`, and returns it as shown.
    /// MUST return [`StoreError::NotFound`] if the conversation does not exist; it stores nothing then.
    async fn add_note(
        &self,
        conversation: crate::conversation::ConversationId,
        author: AgentId,
        text: &crate::note::NoteText,
        mentions: &[AgentId],
        now: Timestamp,
    ) -> Result<crate::note::NoteView, StoreError>;

    /// The conversation's notes, oldest first.
    async fn notes(
        &self,
        conversation: crate::conversation::ConversationId,
    ) -> Result<Vec<crate::note::NoteView>, StoreError>;
}

/// The time, as the server sees it. The browser never asks the domain for the time: it passes its own.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// A conversation as the sending rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationState {
    pub id: crate::conversation::ConversationId,
    pub channel: crate::channel::Channel,
    pub lifecycle: crate::lifecycle::Lifecycle,
}

/// One message of a conversation, as the agent sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    /// Atende's id of the message (its file is at `/midia/{id}`).
    pub id: i64,
    /// From the contact (`true`) or from the business.
    pub inbound: bool,
    /// `text`, `template`, `image`, `reaction`…
    pub kind: String,
    pub body: Option<String>,
    /// `received`, `held` (waiting for the contact), `queued`, `sent`, `delivered`, `read`, `failed`.
    pub status: String,
    /// Why it failed, explained.
    pub error: Option<String>,
    /// When Atende stored it: the agent wrote it (outbound), or its webhook arrived (inbound).
    pub written_at: Timestamp,
    /// When the provider says the contact sent it (inbound) or accepted it (outbound); see
    /// [`crate::timeline`] for where each is shown.
    pub provider_at: Option<Timestamp>,
    /// The file it carries (a photo, a voice note…), once announced.
    pub media: Option<MediaView>,
    /// The provider's id of the message (what reactions and replies point at).
    pub provider_id: Option<String>,
    /// A place, contact cards, a reaction, the button tapped, the message it answers.
    pub extras: crate::content::Extras,
}

impl<'a> From<&'a MessageView> for crate::reply::Target<'a> {
    fn from(message: &'a MessageView) -> Self {
        Self { kind: &message.kind, inbound: message.inbound, provider_id: message.provider_id.as_deref() }
    }
}

/// A message's file, as the agent sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaView {
    pub state: crate::inbound_media::MediaState,
    pub mime_type: Option<String>,
    pub file_name: Option<String>,
    /// A voice note recorded in the app.
    pub voice: bool,
    pub size_bytes: Option<u64>,
}

/// A channel the business talks through, as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelInfo {
    pub id: i64,
    /// The name agents see ("WhatsApp Oficial").
    pub name: String,
    pub channel: crate::channel::Channel,
}

/// A team ("equipe") conversations are assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamInfo {
    pub id: i64,
    pub name: String,
}

/// An agent, as another agent sees them (to assign a conversation to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub id: AgentId,
    pub name: String,
}

/// What an agent did to a conversation, for its audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAction {
    Started,
    Restarted,
    Concluded,
    Assigned,
    /// An agent wrote in a concluded conversation where the channel allows it, which opened it again.
    Reopened,
    /// Moved to another team (by "Iniciar atendimento" for that team, in the console or through the API).
    Transferred,
}

impl AuditAction {
    pub const ALL: [Self; 6] =
        [Self::Started, Self::Restarted, Self::Concluded, Self::Assigned, Self::Reopened, Self::Transferred];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Restarted => "restarted",
            Self::Concluded => "concluded",
            Self::Assigned => "assigned",
            Self::Reopened => "reopened",
            Self::Transferred => "transferred",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// What the conversation's history says.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Started => "Atendimento iniciado",
            Self::Restarted => "Atendimento reiniciado",
            Self::Concluded => "Atendimento concluído",
            Self::Assigned => "Atendimento atribuído",
            Self::Reopened => "Atendimento reaberto",
            Self::Transferred => "Atendimento transferido de equipe",
        }
    }
}

/// The detail of an [`AuditAction::Assigned`] line: to whom (by name, when the agent is known), or to nobody.
pub fn assignment_detail(assignee: Assignee, name: Option<&str>) -> String {
    match (assignee, name) {
        (Assignee::Unassigned, _) => "sem responsável".to_owned(),
        (Assignee::Agent(_), Some(name)) => format!("para {name}"),
        (Assignee::Agent(agent), None) => format!("para agente {}", agent.0),
    }
}

/// What the line of a conversation that changed team says: from where to where, and who no longer answers
/// it (not a member of the new team).
pub fn transfer_detail(from: Option<&str>, to: &str, unassigned: Option<&str>) -> String {
    let mut detail = match from {
        None => format!("da caixa de entrada comum para {to}"),
        Some(from) => format!("de {from} para {to}"),
    };
    if let Some(name) = unassigned {
        detail.push_str(&format!("; sem responsável ({name} não é da equipe)"));
    }
    detail
}

/// A line's detail with the API token that did it ("boas_vindas · API “CRM”"); the console's has none.
pub fn through_api(detail: Option<&str>, token: Option<&str>) -> Option<String> {
    match (detail, token) {
        (Some(detail), Some(token)) => Some(format!("{detail} · API “{token}”")),
        (None, Some(token)) => Some(format!("API “{token}”")),
        (detail, None) => detail.map(str::to_owned),
    }
}

/// "Iniciar atendimento", decided: what [`Outbox::start`] writes in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct Start<'a> {
    pub contact: ContactId,
    pub channel_id: i64,
    pub team_id: i64,
    /// What the checks saw: the conversation to reuse and its team (`None`: none to reuse).
    pub seen: Option<(crate::conversation::ConversationId, Option<i64>)>,
    /// The agent who takes the conversation (`None`: a new one waits for an agent of the team, a reused one
    /// keeps whoever may still answer it).
    pub taker: Option<AgentId>,
    /// The template sent (`None`: it opens at once).
    pub template: Option<TemplateSend<'a>>,
    /// The agent who started it (for an API call, the token's agent).
    pub by: i64,
    /// The API token that did it, named in the audit lines.
    pub api_token: Option<&'a str>,
}

/// A template to send ("Iniciar atendimento", "Reiniciar"), with the lifecycle the rules were checked on and
/// the one after it.
#[derive(Debug, Clone, Copy)]
pub struct TemplateSend<'a> {
    pub filled: &'a crate::template::FilledTemplate,
    /// What the checks saw: if the conversation's lifecycle is no longer this (the contact wrote meanwhile),
    /// the start is refused with [`StoreError::Changed`].
    pub before: &'a crate::lifecycle::Lifecycle,
    pub after: &'a crate::lifecycle::Lifecycle,
}

/// An audit line, written in the same transaction as the change it tells of.
#[derive(Debug, Clone, Copy)]
pub struct AuditLine<'a> {
    /// Who did it (`None`: the system).
    pub agent: Option<i64>,
    pub action: AuditAction,
    pub detail: Option<&'a str>,
}

/// An agent's message: a text, an attachment by its link, or a file from their computer already kept in the
/// blob store under `sha256`.
#[derive(Debug, Clone, Copy)]
pub enum FreeForm<'a> {
    Text(&'a crate::queue::MessageText),
    Media(&'a crate::media::MediaMessage),
    File {
        file: &'a crate::outbound_media::OutgoingFile,
        sha256: &'a str,
    },
    /// "Reagir": an emoji on one of the conversation's messages (or the agent's taken off).
    Reaction(&'a crate::reply::Reaction),
}

/// The composer's message and what the rules decided it changes, written by [`Outbox::answer`].
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub conversation: crate::conversation::ConversationId,
    pub message: FreeForm<'a>,
    /// Held until the contact interacts, or leaving now.
    pub delivery: crate::queue::Delivery,
    /// The conversation after the message, when writing opened it again (it was concluded).
    pub reopened: Option<crate::lifecycle::Lifecycle>,
    /// Who writes: they take the conversation if nobody has it.
    pub agent: AgentId,
    /// "Responder": the message it answers, quoted on the contact's screen.
    pub reply_to: Option<&'a crate::reply::Quoted>,
}

/// One line of a conversation's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub action: AuditAction,
    /// Who did it (`None`: the system).
    pub agent_name: Option<String>,
    /// The template, the team…
    pub detail: Option<String>,
    pub at: Timestamp,
}

/// What [`Outbox::start`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub id: crate::conversation::ConversationId,
    /// Set when an existing conversation changed team.
    pub moved: Option<TeamMove>,
}

/// A conversation that changed team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamMove {
    /// The team it left (`None`: the shared inbox).
    pub from: Option<i64>,
    /// Who answered it and is not a member of the new team: the conversation no longer has them.
    pub unassigned: Option<AgentId>,
}

/// Where an agent's messages go: stored with their job in one transaction, then sent by the server's worker.
#[async_trait::async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// The conversation's row in the list.
    /// MUST return [`StoreError::NotFound`] if it does not exist.
    async fn summary(
        &self,
        id: crate::conversation::ConversationId,
    ) -> Result<ConversationSummary, StoreError>;

    /// Adds a line to the conversation's audit trail.
    async fn record_audit(
        &self,
        id: crate::conversation::ConversationId,
        agent: Option<i64>,
        action: AuditAction,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The conversation's audit trail, oldest first.
    async fn audit_trail(
        &self,
        id: crate::conversation::ConversationId,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// One of the conversation's messages.
    /// MUST return [`StoreError::NotFound`] if the conversation has no message `message`.
    async fn message(
        &self,
        id: crate::conversation::ConversationId,
        message: i64,
    ) -> Result<MessageView, StoreError>;

    /// The conversation's messages, oldest first.
    async fn messages(&self, id: crate::conversation::ConversationId)
        -> Result<Vec<MessageView>, StoreError>;

    /// Every template of the conversation's channel that Atende can read, whatever its status, by name.
    async fn channel_templates(
        &self,
        id: crate::conversation::ConversationId,
    ) -> Result<Vec<crate::template::Template>, StoreError>;

    /// Every configured channel, by name.
    async fn channels(&self) -> Result<Vec<ChannelInfo>, StoreError>;

    /// Every team, by name.
    async fn teams(&self) -> Result<Vec<TeamInfo>, StoreError>;

    /// Every template of a channel that Atende can read, whatever its status, by name.
    async fn templates_of_channel(
        &self,
        channel_id: i64,
    ) -> Result<Vec<crate::template::Template>, StoreError>;

    /// The channel a conversation is on. [`StoreError::NotFound`] for an unknown conversation.
    async fn conversation_channel(&self, id: crate::conversation::ConversationId) -> Result<i64, StoreError>;

    /// Where the contact can be written to: whether they have a number, and the kinds of channel on which a
    /// provider gave their id. MUST return [`StoreError::NotFound`] for an unknown contact.
    async fn reach(&self, contact: crate::contact::ContactId) -> Result<crate::reach::Reach, StoreError>;

    /// The contact's last message on a channel, in any conversation: what the window counts from.
    async fn last_inbound(
        &self,
        contact: crate::contact::ContactId,
        channel_id: i64,
    ) -> Result<Option<Timestamp>, StoreError>;

    /// "Iniciar atendimento", in one transaction: the contact's conversation on the channel that is not
    /// concluded, moved to `start.team_id` (with a line saying from where, and who no longer answers it: not
    /// a member of the new team), or a new one; given to `start.taker` (a reused one with a line naming them
    /// when that changed who answers); the template queued with the lifecycle after it; the line that tells
    /// it was started (the template's name).
    /// The rules were decided on `start.seen`, so the change applies only to it.
    /// MUST return [`StoreError::NotFound`] if the contact, the channel or the team does not exist or the
    /// taker is not active, and [`StoreError::Changed`] if the contact's conversation on the channel is no
    /// longer the one seen, or has changed team since (another agent started it meanwhile), or its lifecycle is
    /// no longer the one the template was decided on (the contact wrote, another template went out); it stores
    /// nothing then.
    async fn start(&self, start: &Start<'_>, now: Timestamp) -> Result<Opened, StoreError>;

    /// The contact's conversation on the channel that is not concluded, if any (what "Iniciar atendimento"
    /// reuses).
    async fn open_conversation_of(
        &self,
        contact: crate::contact::ContactId,
        channel_id: i64,
    ) -> Result<Option<crate::conversation::ConversationId>, StoreError>;

    /// Gives the conversation to `assignee` (or to nobody) and, when that changed who answers, writes the
    /// audit line that says so ("para Ana", "sem responsável"), done by `by` (`None`: the system), in one
    /// transaction; returns who had it.
    /// MUST return [`StoreError::NotFound`] if the conversation or the agent does not exist (or the agent is
    /// deactivated), changing nothing then.
    async fn assign(
        &self,
        id: crate::conversation::ConversationId,
        assignee: Assignee,
        by: Option<i64>,
        now: Timestamp,
    ) -> Result<Assignee, StoreError>;

    /// "Transferir": moves the conversation to `team` (the audit line says from where, when it changed) and
    /// gives it to `assignee` (nobody: it waits in the team's "Não atribuídos"; the line says so when that
    /// changed who answers), with `note` and the agents it names, as done by `by`: one transaction.
    /// MUST return [`StoreError::NotFound`] if the conversation, the team or the agent does not exist (or
    /// the agent is deactivated), changing nothing then.
    async fn transfer(
        &self,
        id: crate::conversation::ConversationId,
        team: i64,
        assignee: Assignee,
        by: i64,
        note: Option<(&crate::note::NoteText, &[AgentId])>,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The active agents who may answer a conversation of `team` (its members, and every admin), by name.
    async fn assignable_agents(&self, team: Option<i64>) -> Result<Vec<AgentInfo>, StoreError>;

    /// Stores the conversation's new status ("Concluir"; the window is not touched) with the audit line that
    /// tells of it, in one transaction. MUST return [`StoreError::NotFound`], storing nothing, if the
    /// conversation does not exist.
    async fn set_status(
        &self,
        id: crate::conversation::ConversationId,
        lifecycle: &crate::lifecycle::Lifecycle,
        audit: Option<AuditLine<'_>>,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The conversation's channel and lifecycle. The window is the contact's on that channel: the latest
    /// message they sent in any conversation there.
    /// MUST return [`StoreError::NotFound`] if the conversation does not exist or has no configured channel.
    async fn conversation_state(
        &self,
        id: crate::conversation::ConversationId,
    ) -> Result<ConversationState, StoreError>;

    /// The composer's message, in one transaction with what it changes: the message and its job (held, or
    /// ready to leave); the conversation open again with its audit line, when `answer.reopened` says so; and,
    /// if nobody has the conversation, `answer.agent` taking it (an active agent), with its audit line.
    /// Whether the agent took it. MUST store nothing if it returns an error.
    async fn answer(&self, answer: &Answer<'_>, now: Timestamp) -> Result<bool, StoreError>;

    /// The template of the conversation's channel with this name and language, whatever its status.
    async fn channel_template(
        &self,
        id: crate::conversation::ConversationId,
        name: &str,
        language: &str,
    ) -> Result<Option<crate::template::Template>, StoreError>;

    /// Stores a template send with its job, the conversation's lifecycle after it, the audit line that tells
    /// of it and, with `assign_to`, the conversation given to that agent (with its own audit line naming them
    /// when that changed who answers), in one transaction. MUST store nothing if it returns an error:
    /// [`StoreError::Changed`] when the conversation's lifecycle is no longer `template.before` (the contact
    /// wrote, another template went out), [`StoreError::NotFound`] when the agent is not active.
    async fn enqueue_template(
        &self,
        id: crate::conversation::ConversationId,
        template: TemplateSend<'_>,
        audit: Option<AuditLine<'_>>,
        assign_to: Option<AgentId>,
        now: Timestamp,
    ) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audit_action_reads_back_from_its_stored_code_and_has_its_own_label() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(action.code()), Some(action));
        }
        let labels: std::collections::BTreeSet<_> = AuditAction::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(labels.len(), AuditAction::ALL.len());
        assert_eq!(AuditAction::from_code("moved"), None);
    }

    #[test]
    fn an_assignment_names_who_answers_or_says_nobody_does() {
        assert_eq!(assignment_detail(Assignee::Agent(AgentId(7)), Some("Ana")), "para Ana");
        assert_eq!(assignment_detail(Assignee::Agent(AgentId(7)), None), "para agente 7");
        assert_eq!(assignment_detail(Assignee::Unassigned, Some("Ana")), "sem responsável");
    }

    #[test]
    fn a_transfer_says_from_where_to_where_and_who_no_longer_answers() {
        assert_eq!(transfer_detail(None, "Vendas", None), "da caixa de entrada comum para Vendas");
        assert_eq!(
            transfer_detail(Some("Vendas"), "Suporte", Some("Ana")),
            "de Vendas para Suporte; sem responsável (Ana não é da equipe)"
        );
        assert_eq!(through_api(Some("boas_vindas"), Some("CRM")).as_deref(), Some("boas_vindas · API “CRM”"));
        assert_eq!(through_api(None, Some("CRM")).as_deref(), Some("API “CRM”"));
        assert_eq!(through_api(Some("boas_vindas"), None).as_deref(), Some("boas_vindas"));
        assert_eq!(through_api(None, None), None);
    }
}
