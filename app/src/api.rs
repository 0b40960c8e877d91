//! Server functions: thin. They take the services from context and who is signed in, call a use case
//! ([`crate::usecases`]) or read, and answer; an error carries its HTTP status ([`crate::error::AppError`]'s
//! `status`), set as it is encoded.

use crate::error::AppError;
use atende_domain::contact::{Contact, ContactForm};
use atende_domain::conversation::{ConversationSummary, Tab};
#[cfg(feature = "ssr")]
use atende_domain::listing::ListRange;
use atende_domain::listing::{ListCursor, ListPage};
use leptos::prelude::*;

/// How many contacts the "Novo atendimento" panel lists at once.
pub const CONTACT_PAGE: u32 = 50;

/// The first page of a tab of the Atendimentos screen ([`atende_domain::listing::PAGE`] rows).
#[server(endpoint = "list_conversations")]
pub async fn list_conversations(tab: Tab) -> Result<Vec<ConversationSummary>, AppError> {
    Ok(list_filtered(tab, atende_domain::label::ListFilter::default(), None).await?.rows)
}

/// A page of a tab narrowed by "Filtrar", after `after` (`None`: the first) (JSON: the filter's choices are
/// nested).
#[server(endpoint = "list_filtered", input = leptos::server_fn::codec::Json)]
pub async fn list_filtered(
    tab: Tab,
    filter: atende_domain::label::ListFilter,
    #[server(default)] after: Option<ListCursor>,
) -> Result<ListPage, AppError> {
    let range = after.map_or_else(ListRange::first, ListRange::after);
    list_range(tab, filter, range).await
}

/// Those of `conversations` the tab (narrowed by "Filtrar") lists now: the live stream said they changed.
#[server(endpoint = "list_rows", input = leptos::server_fn::codec::Json)]
pub async fn list_rows(
    tab: Tab,
    filter: atende_domain::label::ListFilter,
    conversations: Vec<atende_domain::conversation::ConversationId>,
) -> Result<Vec<ConversationSummary>, AppError> {
    Ok(list_range(tab, filter, ListRange::Only(conversations)).await?.rows)
}

#[cfg(feature = "ssr")]
async fn list_range(
    tab: Tab,
    filter: atende_domain::label::ListFilter,
    range: ListRange,
) -> Result<ListPage, AppError> {
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    range.check()?;
    Ok(services.store.list_visible(tab, viewer.team_filter(), viewer.me(), &filter, &range).await?)
}

/// Contacts whose name or number contains `text`.
#[server(endpoint = "search_contacts")]
pub async fn search_contacts(text: String) -> Result<Vec<Contact>, AppError> {
    use atende_domain::ports::ContactQuery;
    let services = crate::ssr::Services::signed_in()?;
    Ok(services.store.search_contacts(&ContactQuery { text, limit: CONTACT_PAGE, label: None }).await?)
}

/// "Busca": the messages whose text has every word typed (plurals and accents aside), in the conversations
/// the agent may see, newest first; empty when nothing typed is a word to look for.
#[server(endpoint = "search_messages")]
pub async fn search_messages(text: String) -> Result<Vec<atende_domain::search::MessageHit>, AppError> {
    use atende_domain::search::{hits, MessageSearch, RESULTS_MAX};
    let Some(search) = MessageSearch::parse(&text) else { return Ok(Vec::new()) };
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    // The index finds by prefix what the domain then narrows ("ac" for "ação" finds "acabou" too): pages of
    // candidates, older each time, until enough match or a few pages were read.
    let (page, mut kept, mut before) = (RESULTS_MAX * 4, Vec::new(), None);
    for _ in 0..5 {
        let found = services.search.search_messages(&search, viewer.team_filter(), before, page).await?;
        let last_page = found.len() < page as usize;
        before = found.last().map(|found| found.message);
        kept.extend(hits(&search, found, RESULTS_MAX as usize - kept.len()));
        if last_page || kept.len() == RESULTS_MAX as usize {
            break;
        }
    }
    Ok(kept)
}

/// The conversation whose protocol is typed in the search ("2026-000123"), if the agent may see it; `None`
/// for any other text, another year's number or another team's conversation.
#[server(endpoint = "find_protocol")]
pub async fn find_protocol(text: String) -> Result<Option<ConversationSummary>, AppError> {
    use atende_domain::conversation::Protocol;
    use atende_domain::ports::StoreError;
    let Some((protocol, id)) = Protocol::parse(&text).and_then(|p| Some((p, p.conversation()?))) else {
        return Ok(None);
    };
    let services = crate::ssr::Services::signed_in()?;
    // Another team's is "not found" like one that does not exist: both find nothing.
    if let Err(error) = services.authorize(id).await {
        return match error {
            AppError::Store(StoreError::NotFound) => Ok(None),
            other => Err(other),
        };
    }
    let summary = services.outbox.summary(id).await?;
    Ok(protocol.matches(id, summary.created_at).then_some(summary))
}

/// "Novo contato" → "Salvar". The same validation ran in the browser; this one is the authority.
#[server(endpoint = "create_contact")]
pub async fn create_contact(form: ContactForm) -> Result<Contact, AppError> {
    let services = crate::ssr::Services::signed_in()?;
    let contact = form.validate()?;
    Ok(services.store.create_contact(contact, services.clock.now()).await?)
}

/// "Conversar": the contact known by the typed number (or its ninth-digit twin), if any.
#[server(endpoint = "find_contact")]
pub async fn find_contact(phone: String) -> Result<Option<Contact>, AppError> {
    use atende_domain::phone::Phone;
    let services = crate::ssr::Services::signed_in()?;
    let phone = Phone::parse(&phone)?;
    Ok(services.store.find_contact_by_phone(&phone).await?)
}

pub use atende_domain::queue::SendOutcome;

/// The composer: the domain decides whether the text leaves now, waits for the contact, or is refused.
/// "Responder": `reply_to` names the conversation's message it answers.
#[server(endpoint = "send_message")]
pub async fn send_message(
    conversation: i64,
    text: String,
    #[server(default)] reply_to: Option<i64>,
) -> Result<SendOutcome, AppError> {
    use atende_domain::conversation::ConversationId;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    let viewer = services.authorize(id).await?;
    crate::usecases::send_text(&services, &viewer, id, &text, reply_to).await
}

/// "Reagir" (see [`crate::usecases::react`]): `emoji` blank takes the agent's reaction off.
#[server(endpoint = "react_to_message")]
pub async fn react_to_message(
    conversation: i64,
    message: i64,
    emoji: String,
) -> Result<SendOutcome, AppError> {
    use atende_domain::conversation::ConversationId;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    let viewer = services.authorize(id).await?;
    crate::usecases::react(&services, &viewer, id, message, &emoji).await
}

/// "Anexar" → "Enviar anexo" (see [`crate::usecases::send_media`]).
#[server(endpoint = "send_media")]
pub async fn send_media(
    conversation: i64,
    kind: String,
    link: String,
    caption: String,
) -> Result<SendOutcome, AppError> {
    use atende_domain::conversation::ConversationId;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    let viewer = services.authorize(id).await?;
    crate::usecases::send_media(&services, &viewer, id, kind, &link, &caption).await
}

/// "Reiniciar" → model → parameters → "Enviar mensagem" (see [`crate::usecases::restart`]).
#[server(endpoint = "restart_conversation", input = leptos::server_fn::codec::Json)]
pub async fn restart_conversation(
    conversation: i64,
    template: String,
    language: String,
    values: atende_domain::template::TemplateValues,
) -> Result<(), AppError> {
    use atende_domain::conversation::ConversationId;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    let viewer = services.authorize(id).await?;
    crate::usecases::restart(&services, &viewer, id, template, language, &values).await
}

/// Everything the conversation pane shows; the browser applies the domain's rules to it with its own clock.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConversationDetail {
    pub summary: atende_domain::conversation::ConversationSummary,
    pub channel: atende_domain::channel::Channel,
    pub lifecycle: atende_domain::lifecycle::Lifecycle,
    pub messages: Vec<atende_domain::ports::MessageView>,
    /// Every template of the channel (the panel offers the approved ones of the allowed category).
    pub templates: Vec<atende_domain::template::Template>,
    pub rate_card: Option<atende_domain::pricing::RateCard>,
    /// The currency Meta bills the channel's account in, if known.
    pub account_currency: Option<atende_domain::pricing::Currency>,
    /// Who started, restarted, concluded and assigned it.
    pub history: Vec<atende_domain::ports::AuditEntry>,
    /// Who may answer it (the members of its team, and the admins).
    pub agents: Vec<atende_domain::ports::AgentInfo>,
    /// The signed-in agent.
    pub me: atende_domain::conversation::AgentId,
    /// "Nota interna": the notes, oldest first (shown among the messages by time).
    pub notes: Vec<atende_domain::note::NoteView>,
    /// Every team ("Transferir").
    pub teams: Vec<atende_domain::ports::TeamInfo>,
    /// The team it belongs to (`None`: the shared inbox).
    pub team: Option<i64>,
    /// The contact's other conversations the agent may see ("Outros atendimentos"), most recent first.
    pub others: Vec<atende_domain::conversation::ConversationSummary>,
    /// Every label ("Etiquetas"); those on the conversation are in `summary.labels`.
    pub labels: Vec<atende_domain::label::SavedLabel>,
    /// The labels on the contact ("Etiquetas do contato").
    pub contact_labels: Vec<i64>,
}

#[server(endpoint = "conversation_view")]
pub async fn conversation_view(conversation: i64) -> Result<ConversationDetail, AppError> {
    use atende_domain::conversation::ConversationId;
    let services = crate::ssr::Services::signed_in()?;
    let viewer = services.authorize(ConversationId(conversation)).await?;
    let id = ConversationId(conversation);
    let state = services.outbox.conversation_state(id).await?;
    let team = services.store.conversation_team(id).await?;
    // Opened by an agent: the contact sees their messages read (off this request's path), and what it holds
    // is no longer new to the agent (a failure to note that only leaves the counts as they were).
    services.presence.seen(id);
    let _ = services.seen.mark_seen(viewer.me(), id, services.clock.now()).await;
    let mut summary = services.outbox.summary(id).await?;
    summary.labels = services.labels.conversation_labels(id).await?;
    Ok(ConversationDetail {
        agents: services.outbox.assignable_agents(team).await?,
        me: viewer.me(),
        channel: state.channel,
        lifecycle: state.lifecycle,
        messages: atende_domain::timeline::in_order(services.outbox.messages(id).await?),
        templates: services.outbox.channel_templates(id).await?,
        rate_card: services.rate_card().await?,
        account_currency: services
            .admin
            .account_currency(services.outbox.conversation_channel(id).await?)
            .await?,
        history: services.outbox.audit_trail(id).await?,
        notes: services.notes.notes(id).await?,
        teams: services.outbox.teams().await?,
        team,
        others: services
            .store
            .contact_conversations(summary.contact_id, viewer.team_filter())
            .await?
            .into_iter()
            .filter(|other| other.id != id)
            .collect(),
        labels: services.labels.labels().await?,
        contact_labels: services
            .labels
            .contact_labels(&[summary.contact_id])
            .await?
            .into_iter()
            .map(|(_, label)| label)
            .collect(),
        summary,
    })
}

/// "Transferir" → "Transferir": see [`crate::usecases::transfer`]. Whether the agent still sees it.
#[server(endpoint = "transfer_conversation")]
pub async fn transfer_conversation(
    conversation: i64,
    team: i64,
    agent: Option<i64>,
    note: String,
) -> Result<bool, AppError> {
    use atende_domain::conversation::ConversationId;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    let viewer = services.authorize(id).await?;
    crate::usecases::transfer(&services, &viewer, id, team, agent, &note).await
}

/// The agents who may answer a conversation of `team` (its members and the admins), for "Transferir".
#[server(endpoint = "team_agents")]
pub async fn team_agents(team: i64) -> Result<Vec<atende_domain::ports::AgentInfo>, AppError> {
    let services = crate::ssr::Services::signed_in()?;
    Ok(services.outbox.assignable_agents(Some(team)).await?)
}

/// Whom a note in the conversation may name with `@` (its `@` list): those who may answer it, the same
/// "Salvar nota" reads the names against.
#[server(endpoint = "note_agents")]
pub async fn note_agents(conversation: i64) -> Result<Vec<atende_domain::ports::AgentInfo>, AppError> {
    use atende_domain::conversation::ConversationId;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    services.authorize(id).await?;
    let team = services.store.conversation_team(id).await?;
    Ok(services.outbox.assignable_agents(team).await?)
}

/// "Nota interna" → "Salvar nota": a note nobody outside sees, naming with `@` the agents who may answer
/// the conversation. Nothing is sent, and the window, the queue and the price stay as they were.
#[server(endpoint = "add_note")]
pub async fn add_note(conversation: i64, text: String) -> Result<atende_domain::note::NoteView, AppError> {
    use atende_domain::conversation::ConversationId;
    use atende_domain::note::NoteText;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    let viewer = services.authorize(id).await?;
    let note = NoteText::parse(&text)?;
    let team = services.store.conversation_team(id).await?;
    let agents: Vec<_> = services
        .outbox
        .assignable_agents(team)
        .await?
        .into_iter()
        .map(|agent| (agent.id, agent.name))
        .collect();
    let mentions = note.mentions(&agents);
    Ok(services.notes.add_note(id, viewer.me(), &note, &mentions, services.clock.now()).await?)
}

/// The agent is writing: the contact sees "digitando…" where the provider shows it. The composer calls it
/// at most every few seconds while the agent types.
#[server(endpoint = "agent_typing")]
pub async fn agent_typing(conversation: i64) -> Result<(), AppError> {
    use atende_domain::conversation::ConversationId;
    let services = crate::ssr::Services::signed_in()?;
    services.authorize(ConversationId(conversation)).await?;
    services.presence.typing(ConversationId(conversation));
    Ok(())
}

/// "Concluir": Atende's bookkeeping only; Meta's window is not touched.
#[server(endpoint = "conclude_conversation")]
pub async fn conclude_conversation(conversation: i64) -> Result<(), AppError> {
    use atende_domain::conversation::ConversationId;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    let viewer = services.authorize(id).await?;
    crate::usecases::conclude(&services, &viewer, id).await
}

/// A channel offered by "Iniciar atendimento", with what the rules need to decide how it starts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StartChannel {
    pub info: atende_domain::ports::ChannelInfo,
    /// The contact's last message on this channel: the window counts from it.
    pub last_inbound: Option<atende_domain::time::Timestamp>,
    pub templates: Vec<atende_domain::template::Template>,
    /// The currency Meta bills the channel's account in, if known.
    pub account_currency: Option<atende_domain::pricing::Currency>,
}

/// What the "Enviar mensagem" panel offers for a contact.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StartChoices {
    pub contact: Contact,
    pub channels: Vec<StartChannel>,
    pub teams: Vec<atende_domain::ports::TeamInfo>,
    pub rate_card: Option<atende_domain::pricing::RateCard>,
    /// Where the contact can be written to: the domain offers only those channels.
    pub reach: atende_domain::reach::Reach,
}

#[server(endpoint = "start_options")]
pub async fn start_options(contact: i64) -> Result<StartChoices, AppError> {
    use atende_domain::contact::ContactId;
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let contact = services.store.contact(ContactId(contact)).await?;
    let mut channels = Vec::new();
    for info in services.outbox.channels().await? {
        channels.push(StartChannel {
            last_inbound: services.outbox.last_inbound(contact.id, info.id).await?,
            templates: services.outbox.templates_of_channel(info.id).await?,
            account_currency: services.admin.account_currency(info.id).await?,
            info,
        });
    }
    Ok(StartChoices {
        reach: services.outbox.reach(contact.id).await?,
        contact,
        channels,
        // Only the teams the agent may start for (an admin: all).
        teams: services.outbox.teams().await?.into_iter().filter(|t| viewer.may_act_for(t.id)).collect(),
        rate_card: services.rate_card().await?,
    })
}

/// "Iniciar atendimento": on the official API with the mandatory template (checked and sent), on a channel
/// without templates opened at once. Returns the conversation.
#[server(endpoint = "start_conversation", input = leptos::server_fn::codec::Json)]
pub async fn start_conversation(
    contact: i64,
    channel: i64,
    team: i64,
    template: Option<(String, String)>,
    values: atende_domain::template::TemplateValues,
) -> Result<i64, AppError> {
    use atende_domain::contact::ContactId;
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let by = crate::usecases::Actor { viewer, takes_it: true, api_token: None };
    let (id, _) =
        crate::usecases::start(&services, &by, ContactId(contact), channel, team, template, &values).await?;
    Ok(id.0)
}

/// "Assumir" / "Responsável" (see [`crate::usecases::assign_to`]).
#[server(endpoint = "assign_conversation")]
pub async fn assign_conversation(conversation: i64, agent: Option<i64>) -> Result<(), AppError> {
    use atende_domain::conversation::ConversationId;
    let (services, id) = (crate::ssr::Services::signed_in()?, ConversationId(conversation));
    let viewer = services.authorize(id).await?;
    crate::usecases::assign_to(&services, &viewer, id, agent).await
}

/// A contact found by the search of the Atendimentos screen: their latest conversation the agent may see,
/// if any (else the screen offers "Enviar mensagem").
#[server(endpoint = "latest_conversation")]
pub async fn latest_conversation(contact: i64) -> Result<Option<i64>, AppError> {
    use atende_domain::contact::ContactId;
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let latest = services.store.latest_conversation(ContactId(contact), viewer.team_filter()).await?;
    Ok(latest.map(|id| id.0))
}

/// CRM → Contatos → "Salvar" on an edited contact. Contacts are shared by every agent, but the number is
/// where a WhatsApp conversation with no provider identity yet sends: it changes only if no conversation
/// the agent may not see is open or waiting with the contact (its queued messages would go elsewhere).
#[server(endpoint = "update_contact")]
pub async fn update_contact(contact: i64, form: ContactForm) -> Result<Contact, AppError> {
    use atende_domain::contact::ContactId;
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let validated = form.validate()?;
    let id = ContactId(contact);
    let stored = services.store.contact(id).await?;
    let renumbered = stored.phone.as_ref().map(|p| p.digits()) != Some(validated.phone.digits());
    if renumbered {
        let teams = services.store.unfinished_conversation_teams(id).await?;
        if teams.into_iter().any(|team| !viewer.may_see(team)) {
            return Err(AppError::ContactInOtherTeam);
        }
    }
    Ok(services.store.update_contact(id, validated).await?)
}

/// A contact opened from CRM → Contatos: the contact and their latest conversation the agent may see, if
/// any.
#[server(endpoint = "open_contact")]
pub async fn open_contact(contact: i64) -> Result<(Contact, Option<i64>), AppError> {
    use atende_domain::contact::ContactId;
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let id = ContactId(contact);
    let found = services.store.contact(id).await?;
    let latest = services.store.latest_conversation(id, viewer.team_filter()).await?;
    Ok((found, latest.map(|c| c.0)))
}

/// "Alterar senha", for any signed-in agent: the current password, then the new one (Argon2id). The agent's
/// other sessions end; this one stays signed in.
#[server(endpoint = "change_password", input = leptos::server_fn::codec::Json)]
pub async fn change_password(change: atende_domain::access::PasswordChange) -> Result<(), AppError> {
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let session = crate::ssr::session_hash()?;
    change.validate()?;
    services.admin.change_own_password(viewer.agent, &change, &session.0, services.clock.now()).await
}
