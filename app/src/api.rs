//! Server functions: thin. They take the services from context, let the domain decide, and map the error
//! (with an HTTP status an API caller can act on, see [`crate::ssr::respond`]).

use crate::error::AppError;
use atende_domain::contact::{Contact, ContactForm};
use atende_domain::conversation::{ConversationSummary, Tab};
use leptos::prelude::*;

/// How many contacts the "Novo atendimento" panel lists at once.
pub const CONTACT_PAGE: u32 = 50;

/// The conversations of a tab of the Atendimentos screen.
#[server(endpoint = "list_conversations")]
pub async fn list_conversations(tab: Tab) -> Result<Vec<ConversationSummary>, AppError> {
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let viewer = crate::ssr::viewer()?;
            Ok(services.store.list_visible(tab, viewer.team_filter(), viewer.me()).await?)
        }
        .await,
    )
}

/// Contacts whose name or number contains `text`.
#[server(endpoint = "search_contacts")]
pub async fn search_contacts(text: String) -> Result<Vec<Contact>, AppError> {
    use atende_domain::ports::ContactQuery;
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            Ok(services.store.search_contacts(&ContactQuery { text, limit: CONTACT_PAGE }).await?)
        }
        .await,
    )
}

/// "Novo contato" → "Salvar". The same validation ran in the browser; this one is the authority.
#[server(endpoint = "create_contact")]
pub async fn create_contact(form: ContactForm) -> Result<Contact, AppError> {
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let contact = form.validate()?;
            Ok(services.store.create_contact(contact, services.clock.now()).await?)
        }
        .await,
    )
}

/// "Conversar": the contact known by the typed number (or its ninth-digit twin), if any.
#[server(endpoint = "find_contact")]
pub async fn find_contact(phone: String) -> Result<Option<Contact>, AppError> {
    use atende_domain::phone::Phone;
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let phone = Phone::parse(&phone)?;
            Ok(services.store.find_contact_by_phone(&phone).await?)
        }
        .await,
    )
}

/// What happened to a message the agent sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SendOutcome {
    /// In the queue to leave now.
    Sending,
    /// Kept in the queue until the contact interacts (the window is closed and a template went out).
    Queued,
}

/// The composer: the domain decides whether the text leaves now, waits for the contact, or is refused.
#[server(endpoint = "send_message")]
pub async fn send_message(conversation: i64, text: String) -> Result<SendOutcome, AppError> {
    use atende_domain::conversation::ConversationId;
    use atende_domain::queue::{compose_decision, MessageText};
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let viewer = services.authorize(ConversationId(conversation)).await?;
            let now = services.clock.now();
            let id = ConversationId(conversation);
            let state = services.outbox.conversation_state(id).await?;
            let text = MessageText::parse_for(state.channel.kind(), &text)?;
            let delivery = compose_decision(&state.channel, &state.lifecycle, now).delivery()?;
            services.outbox.enqueue_text(id, &text, delivery, now).await?;
            answered(&services, id, &viewer, &state, delivery, now).await
        }
        .await,
    )
}

/// After a text or attachment was queued: a concluded conversation the channel let the agent write in is
/// open again (said in its history); answering a conversation nobody had makes it the agent's; the outcome
/// says whether it leaves now or waits for the contact.
#[cfg(feature = "ssr")]
async fn answered(
    services: &crate::ssr::Services,
    id: atende_domain::conversation::ConversationId,
    viewer: &atende_domain::access::Viewer,
    state: &atende_domain::ports::ConversationState,
    delivery: atende_domain::queue::Delivery,
    now: atende_domain::time::Timestamp,
) -> Result<SendOutcome, AppError> {
    use atende_domain::conversation::ConversationStatus;
    use atende_domain::queue::Delivery;
    if state.lifecycle.status() == ConversationStatus::Concluded {
        services.outbox.set_status(id, &state.lifecycle.reopened_by_agent(), now).await?;
        let reopened = atende_domain::ports::AuditAction::Reopened;
        services.outbox.record_audit(id, Some(viewer.agent), reopened, None, now).await?;
    }
    crate::ssr::take_if_unassigned(services, id, viewer, now).await;
    Ok(match delivery {
        Delivery::Now { .. } => SendOutcome::Sending,
        Delivery::WhenContactWrites => SendOutcome::Queued,
    })
}

/// "Anexar" → "Enviar anexo": an image, video, audio or document by its public link, under the same window
/// rules as a text (sent now, queued until the contact writes, or refused with the reason).
#[server(endpoint = "send_media")]
pub async fn send_media(
    conversation: i64,
    kind: String,
    link: String,
    caption: String,
) -> Result<SendOutcome, AppError> {
    use atende_domain::conversation::ConversationId;
    use atende_domain::media::{MediaError, MediaKind, MediaMessage};
    use atende_domain::queue::compose_decision;
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let id = ConversationId(conversation);
            let viewer = services.authorize(id).await?;
            let now = services.clock.now();
            let kind = MediaKind::from_code(&kind).ok_or(MediaError::UnknownKind(kind))?;
            let media = MediaMessage::parse(kind, &link, &caption)?;
            let state = services.outbox.conversation_state(id).await?;
            media.check_channel(state.channel.kind())?;
            let delivery = compose_decision(&state.channel, &state.lifecycle, now).delivery()?;
            services.outbox.enqueue_media(id, &media, delivery, now).await?;
            answered(&services, id, &viewer, &state, delivery, now).await
        }
        .await,
    )
}

/// "Reiniciar" → model → parameters → "Enviar mensagem": an approved template of the allowed category, its
/// values checked by the domain, sent; the conversation then waits for the contact.
#[server(endpoint = "restart_conversation", input = leptos::server_fn::codec::Json)]
pub async fn restart_conversation(
    conversation: i64,
    template: String,
    language: String,
    values: atende_domain::template::TemplateValues,
) -> Result<(), AppError> {
    use atende_domain::conversation::ConversationId;
    use atende_domain::lifecycle::{restart_eligibility, LifecycleError};
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let viewer =
                services.authorize(atende_domain::conversation::ConversationId(conversation)).await?;
            let now = services.clock.now();
            let id = ConversationId(conversation);
            let state = services.outbox.conversation_state(id).await?;
            let offer = restart_eligibility(&state.channel, Some(&state.lifecycle), now)?;
            let chosen =
                services.outbox.channel_template(id, &template, &language).await?.ok_or_else(|| {
                    AppError::TemplateNotFound { name: template.clone(), language: language.clone() }
                })?;
            if !offer.allows(chosen.category()) {
                if let Some(attempt) = state.lifecycle.attempt() {
                    return Err(LifecycleError::DifferentCategory {
                        expected: attempt.category(),
                        chosen: chosen.category(),
                    }
                    .into());
                }
            }
            if !offer.offers(&chosen) {
                return Err(AppError::TemplateNotForService { name: template });
            }
            let filled = chosen.fill(&values)?;
            let lifecycle = state.lifecycle.template_sent(&state.channel, chosen.category(), now)?;
            services.outbox.enqueue_template(id, &filled, &lifecycle, now).await?;
            let restarted = atende_domain::ports::AuditAction::Restarted;
            services.outbox.record_audit(id, Some(viewer.agent), restarted, Some(&template), now).await?;
            // Whoever restarts waits for the answer.
            let mine = atende_domain::conversation::Assignee::Agent(viewer.me());
            crate::ssr::assign(&services, id, mine, viewer.agent, now).await?;
            Ok(())
        }
        .await,
    )
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
}

#[server(endpoint = "conversation_view")]
pub async fn conversation_view(conversation: i64) -> Result<ConversationDetail, AppError> {
    use atende_domain::conversation::ConversationId;
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let viewer = services.authorize(ConversationId(conversation)).await?;
            let id = ConversationId(conversation);
            let state = services.outbox.conversation_state(id).await?;
            let team = services.store.conversation_team(id).await?;
            // Opened by an agent: the contact sees their messages read (off this request's path).
            services.presence.seen(id);
            Ok(ConversationDetail {
                agents: services.outbox.assignable_agents(team).await?,
                me: viewer.me(),
                summary: services.outbox.summary(id).await?,
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
            })
        }
        .await,
    )
}

/// The agent is writing: the contact sees "digitando…" where the provider shows it. The composer calls it
/// at most every few seconds while the agent types.
#[server(endpoint = "agent_typing")]
pub async fn agent_typing(conversation: i64) -> Result<(), AppError> {
    use atende_domain::conversation::ConversationId;
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            services.authorize(ConversationId(conversation)).await?;
            services.presence.typing(ConversationId(conversation));
            Ok(())
        }
        .await,
    )
}

/// "Concluir": Atende's bookkeeping only; Meta's window is not touched.
#[server(endpoint = "conclude_conversation")]
pub async fn conclude_conversation(conversation: i64) -> Result<(), AppError> {
    use atende_domain::conversation::ConversationId;
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let viewer =
                services.authorize(atende_domain::conversation::ConversationId(conversation)).await?;
            let id = ConversationId(conversation);
            let state = services.outbox.conversation_state(id).await?;
            let concluded = state.lifecycle.conclude()?;
            let now = services.clock.now();
            services.outbox.set_status(id, &concluded, now).await?;
            let action = atende_domain::ports::AuditAction::Concluded;
            services.outbox.record_audit(id, Some(viewer.agent), action, None, now).await?;
            Ok(())
        }
        .await,
    )
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
    crate::ssr::respond(
        async {
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
                teams: services
                    .outbox
                    .teams()
                    .await?
                    .into_iter()
                    .filter(|t| viewer.may_act_for(t.id))
                    .collect(),
                rate_card: services.rate_card().await?,
            })
        }
        .await,
    )
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
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let viewer = crate::ssr::viewer()?;
            let by = crate::ssr::Actor { viewer, takes_it: true, api_token: None };
            let (id, _) =
                crate::ssr::start(&services, &by, ContactId(contact), channel, team, template, &values)
                    .await?;
            Ok(id.0)
        }
        .await,
    )
}

/// "Assumir" / "Responsável": gives the conversation to an agent who may answer it, or to nobody.
#[server(endpoint = "assign_conversation")]
pub async fn assign_conversation(conversation: i64, agent: Option<i64>) -> Result<(), AppError> {
    use atende_domain::conversation::{AgentId, Assignee, ConversationId};
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let id = ConversationId(conversation);
            let viewer = services.authorize(id).await?;
            let now = services.clock.now();
            let assignee = match agent {
                None => Assignee::Unassigned,
                Some(agent) => {
                    let team = services.store.conversation_team(id).await?;
                    let agents = services.outbox.assignable_agents(team).await?;
                    if !agents.iter().any(|a| a.id == AgentId(agent)) {
                        return Err(AppError::NotAssignable);
                    }
                    Assignee::Agent(AgentId(agent))
                }
            };
            crate::ssr::assign(&services, id, assignee, viewer.agent, now).await
        }
        .await,
    )
}

/// A contact found by the search of the Atendimentos screen: their latest conversation the agent may see,
/// if any (else the screen offers "Enviar mensagem").
#[server(endpoint = "latest_conversation")]
pub async fn latest_conversation(contact: i64) -> Result<Option<i64>, AppError> {
    use atende_domain::contact::ContactId;
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let viewer = crate::ssr::viewer()?;
            let latest = services.store.latest_conversation(ContactId(contact), viewer.team_filter()).await?;
            Ok(latest.map(|id| id.0))
        }
        .await,
    )
}

/// CRM → Contatos → "Salvar" on an edited contact. Contacts are shared by every agent, but the number is
/// where a WhatsApp conversation with no provider identity yet sends: it changes only if no conversation
/// the agent may not see is open or waiting with the contact (its queued messages would go elsewhere).
#[server(endpoint = "update_contact")]
pub async fn update_contact(contact: i64, form: ContactForm) -> Result<Contact, AppError> {
    use atende_domain::contact::ContactId;
    crate::ssr::respond(
        async {
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
        .await,
    )
}

/// A contact opened from CRM → Contatos: the contact and their latest conversation the agent may see, if
/// any.
#[server(endpoint = "open_contact")]
pub async fn open_contact(contact: i64) -> Result<(Contact, Option<i64>), AppError> {
    use atende_domain::contact::ContactId;
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let viewer = crate::ssr::viewer()?;
            let id = ContactId(contact);
            let found = services.store.contact(id).await?;
            let latest = services.store.latest_conversation(id, viewer.team_filter()).await?;
            Ok((found, latest.map(|c| c.0)))
        }
        .await,
    )
}

/// "Alterar senha", for any signed-in agent: the current password, then the new one (Argon2id). The agent's
/// other sessions end; this one stays signed in.
#[server(endpoint = "change_password", input = leptos::server_fn::codec::Json)]
pub async fn change_password(change: atende_domain::access::PasswordChange) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let services = crate::ssr::Services::signed_in()?;
            let viewer = crate::ssr::viewer()?;
            let session = crate::ssr::session_hash()?;
            change.validate()?;
            services.admin.change_own_password(viewer.agent, &change, &session.0, services.clock.now()).await
        }
        .await,
    )
}
