//! What server functions need from the server: the store and the clock, provided as context, and the HTTP
//! status that tells an API caller what went wrong.

use crate::error::AppError;
use atende_domain::access::Viewer;
use atende_domain::conversation::ConversationId;
use atende_domain::ports::{Clock, Outbox, Store, StoreError};
use atende_domain::time::Timestamp;
use http::StatusCode;
use leptos::prelude::expect_context;
use leptos_axum::ResponseOptions;
use std::sync::Arc;

/// The services the server hands to every server function.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub outbox: Arc<dyn Outbox>,
    pub clock: Arc<dyn Clock>,
    /// Meta's prices the server started with (`ATENDE_RATE_CARD` or the shipped table); one an admin saved in
    /// the console takes its place (see [`Services::rate_card`]).
    pub rate_card: Option<Arc<atende_domain::pricing::RateCard>>,
    /// What only admins do (agents, teams, tokens, template sync).
    pub admin: Arc<dyn Administration>,
    /// Read receipts and "digitando…" to the contact.
    pub presence: Arc<dyn Presence>,
}

/// What the contact sees of the agent, told to the provider off the request's path (best effort).
pub trait Presence: Send + Sync + 'static {
    /// An agent opened the conversation: the contact's messages are marked read.
    fn seen(&self, conversation: ConversationId);
    /// An agent is writing in the conversation.
    fn typing(&self, conversation: ConversationId);
}

/// What the admin screens need from the server beyond the domain's ports: hashing passwords, tokens, and
/// calling providers.
#[async_trait::async_trait]
pub trait Administration: Send + Sync + 'static {
    async fn agents(&self) -> Result<Vec<crate::admin::rows::AgentRow>, AppError>;
    /// Creates an active agent. [`AppError::EmailTaken`] if the e-mail is known.
    async fn create_agent(
        &self,
        agent: atende_domain::access::ValidAgent,
        now: Timestamp,
    ) -> Result<i64, AppError>;
    /// Deactivating also ends the agent's sessions and gives their conversations back to the teams.
    async fn set_agent_active(&self, agent: i64, active: bool, now: Timestamp) -> Result<(), AppError>;
    /// An agent who leaves a team gives its conversations back.
    async fn set_agent_teams(&self, agent: i64, teams: &[i64], now: Timestamp) -> Result<(), AppError>;
    async fn teams(&self) -> Result<Vec<crate::admin::rows::TeamRow>, AppError>;
    /// [`AppError::TeamNameTaken`] if a team has this name.
    async fn create_team(&self, name: &str, now: Timestamp) -> Result<i64, AppError>;
    async fn tokens(&self) -> Result<Vec<crate::admin::rows::TokenRow>, AppError>;
    /// A new token acting for `agent`, reaching `teams` (`None`: every team): returned once, only its hash
    /// is kept.
    async fn create_token(
        &self,
        name: &str,
        agent: i64,
        teams: Option<&[i64]>,
        now: Timestamp,
    ) -> Result<String, AppError>;
    /// "Redefinir senha": the agent's new password (already checked by the domain); every session of theirs
    /// but `keep` ends, and their failed sign-ins are forgotten. [`StoreError::NotFound`] if there is no such
    /// agent.
    async fn set_password(&self, agent: i64, password: &str, keep: Option<&str>) -> Result<(), AppError>;
    /// "Alterar senha": the agent's own, after their current password is checked (a wrong one counts as a
    /// failed sign-in: [`AppError::WrongPassword`], then too many attempts); their other sessions end.
    async fn change_own_password(
        &self,
        agent: i64,
        change: &atende_domain::access::PasswordChange,
        keep: &str,
        now: Timestamp,
    ) -> Result<(), AppError>;
    async fn revoke_token(&self, token: i64, now: Timestamp) -> Result<(), AppError>;
    /// The webhooks set aside, newest first.
    async fn set_aside_webhooks(&self) -> Result<Vec<crate::admin::rows::SetAsideRow>, AppError>;
    /// Puts a webhook set aside back in the processor's way. [`StoreError::NotFound`] if none such is set
    /// aside.
    async fn retry_webhook(&self, receipt: i64) -> Result<(), AppError>;
    async fn channels(&self) -> Result<Vec<crate::admin::rows::ChannelRow>, AppError>;
    /// Adds (`channel` `None`) or changes a console channel and puts it to use at once.
    async fn save_channel(
        &self,
        channel: Option<i64>,
        setup: atende_domain::channel_setup::ChannelSetup,
        now: Timestamp,
    ) -> Result<i64, AppError>;
    /// The currency Meta bills the channel's account in, as read at the last template sync.
    async fn account_currency(
        &self,
        channel: i64,
    ) -> Result<Option<atende_domain::pricing::Currency>, AppError>;
    /// The rate card an admin saved in the console, if any.
    async fn saved_rate_card(&self) -> Result<Option<atende_domain::pricing::RateCard>, AppError>;
    async fn save_rate_card(
        &self,
        card: &atende_domain::pricing::RateCard,
        now: Timestamp,
    ) -> Result<(), AppError>;
    /// Copies a channel's templates from its provider now; how many it has.
    async fn sync_templates(&self, channel: i64) -> Result<usize, AppError>;
    /// Marks a channel's template as "de atendimento" (offered by "Reiniciar" and "Iniciar atendimento") or
    /// not. [`StoreError::NotFound`] if the channel has no such template.
    async fn set_template_service(
        &self,
        channel: i64,
        name: &str,
        language: &str,
        service: bool,
    ) -> Result<(), AppError>;
    /// Stores the names of a template's parameters, already checked by the domain.
    async fn set_template_labels(
        &self,
        channel: i64,
        name: &str,
        language: &str,
        labels: &[atende_domain::template::ParamLabel],
    ) -> Result<(), AppError>;
}

impl Services {
    /// The services of the current request. Panics only if the server forgot to provide them, which the
    /// router tests catch.
    pub fn current() -> Self {
        expect_context::<Self>()
    }

    /// The services, for a signed-in agent only (the server's gate already turned others away; this is the
    /// second lock).
    pub fn signed_in() -> Result<Self, AppError> {
        viewer()?;
        Ok(Self::current())
    }

    /// The prices for estimates: the table an admin saved, else the one the server started with.
    pub async fn rate_card(&self) -> Result<Option<atende_domain::pricing::RateCard>, AppError> {
        Ok(match self.admin.saved_rate_card().await? {
            Some(card) => Some(card),
            None => self.rate_card.as_deref().cloned(),
        })
    }

    /// The channel's template `name` in `language`, or [`AppError::TemplateNotFound`].
    pub async fn template_of(
        &self,
        channel: i64,
        name: &str,
        language: &str,
    ) -> Result<atende_domain::template::Template, AppError> {
        self.outbox
            .templates_of_channel(channel)
            .await?
            .into_iter()
            .find(|t| t.name().as_str() == name && t.language().as_str() == language)
            .ok_or_else(|| AppError::TemplateNotFound {
                name: name.to_owned(),
                language: language.to_owned(),
            })
    }

    /// The signed-in agent, if they may see (and so act on) the conversation.
    /// Another team's conversation is "not found", as one that does not exist: the answer must not tell
    /// which ids exist.
    pub async fn authorize(&self, id: ConversationId) -> Result<Viewer, AppError> {
        let viewer = viewer()?;
        let team = self.store.conversation_team(id).await?;
        if viewer.may_see(team) {
            Ok(viewer)
        } else {
            Err(AppError::Store(StoreError::NotFound))
        }
    }
}

impl Services {
    /// The rate card in use, as JSON an admin can edit.
    pub async fn rate_card_json(&self) -> Result<String, AppError> {
        Ok(match self.rate_card().await? {
            Some(card) => serde_json::to_string_pretty(&card).unwrap_or_default(),
            None => String::new(),
        })
    }
}

/// A rate card typed by an admin, checked by the domain.
pub fn parse_rate_card(text: &str) -> Result<atende_domain::pricing::RateCard, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::RateCardInvalid(e.to_string()))
}

/// The signed-in admin, or [`AppError::AdminOnly`].
pub fn admin() -> Result<(Services, Viewer), AppError> {
    let viewer = viewer()?;
    if !viewer.is_admin() {
        return Err(AppError::AdminOnly);
    }
    Ok((Services::current(), viewer))
}

/// Who starts a conversation: an agent in the console, or an integration with an API token (acting for the
/// admin who created it).
#[derive(Debug, Clone)]
pub struct Actor {
    pub viewer: Viewer,
    /// The conversation becomes this agent's ("Meus"); an integration leaves it to the team.
    pub takes_it: bool,
    /// The token's name, said in the audit trail.
    pub api_token: Option<String>,
}

/// How a conversation was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Started {
    /// Open at once (no template needed: unofficial gateway, or the window is open).
    Opened,
    /// A template went out; the conversation waits for the contact.
    TemplateSent,
}

/// What "Iniciar atendimento" will do, decided with nothing written.
pub struct StartChecked {
    channel: i64,
    team: i64,
    /// The contact's conversation on the channel that is not concluded, reused, with the team it had when
    /// the rules were checked (the write applies only if it still has it).
    existing: Option<(ConversationId, Option<i64>)>,
    /// The template to send, filled, with its name (none: the conversation opens at once).
    template:
        Option<(atende_domain::template::FilledTemplate, atende_domain::template::TemplateCategory, String)>,
}

/// Every rule of "Iniciar atendimento", with no write: the channel and team exist and the actor may act for
/// the team (and may see the conversation it would reuse, whatever its team), the domain's start plan, the
/// mandatory template on the official API (approved, of an allowed category — the same one while an attempt
/// waits —, its values checked). `contact` is `None` for a contact not stored yet.
pub async fn check_start(
    services: &Services,
    by: &Actor,
    contact: Option<atende_domain::contact::ContactId>,
    channel: i64,
    team: i64,
    template: Option<(String, String)>,
    values: &atende_domain::template::TemplateValues,
) -> Result<StartChecked, AppError> {
    use atende_domain::lifecycle::{start_plan, Lifecycle, StartPlan};
    let now = services.clock.now();
    let info = services
        .outbox
        .channels()
        .await?
        .into_iter()
        .find(|c| c.id == channel)
        .ok_or(AppError::Store(StoreError::NotFound))?;
    if !services.outbox.teams().await?.iter().any(|t| t.id == team) {
        return Err(AppError::Store(StoreError::NotFound));
    }
    // A token limited to teams says so, not "another team's conversation".
    let refused = || if by.api_token.is_some() { AppError::OutsideTokenScope } else { AppError::Forbidden };
    if !by.viewer.may_act_for(team) {
        return Err(refused());
    }
    if template.is_some() && !info.channel.kind().sends_templates() {
        return Err(AppError::TemplateNotUsed);
    }
    let existing = match contact {
        Some(contact) => services.outbox.open_conversation_of(contact, channel).await?,
        None => None,
    };
    let existing = match existing {
        Some(id) => Some((id, services.store.conversation_team(id).await?)),
        None => None,
    };
    let lifecycle = match (existing, contact) {
        (Some((id, seen_team)), _) => {
            if !by.viewer.may_see(seen_team) {
                return Err(refused());
            }
            services.outbox.conversation_state(id).await?.lifecycle
        }
        (None, Some(contact)) => {
            Lifecycle::started_by_business(services.outbox.last_inbound(contact, channel).await?)
        }
        (None, None) => Lifecycle::started_by_business(None),
    };
    // A contact the API call is about to create has the number it was given.
    let reach = match contact {
        Some(contact) => services.outbox.reach(contact).await?,
        None => atende_domain::reach::Reach { phone: true, identified_on: Vec::new() },
    };
    let template = match start_plan(&info.channel, Some(&lifecycle), &reach, now)? {
        StartPlan::OpenDirectly => None,
        StartPlan::Template(offer) => {
            let (name, language) = template.ok_or(AppError::TemplateMissing)?;
            let chosen = services.template_of(channel, &name, &language).await?;
            if !offer.allows(chosen.category()) {
                return Err(AppError::TemplateNotFound { name, language });
            }
            // The console offers only templates "de atendimento"; an integration (public API) names its
            // template itself and is not bound by the console's list.
            if by.api_token.is_none() && !offer.offers(&chosen) {
                return Err(AppError::TemplateNotForService { name });
            }
            let filled = chosen.fill(values)?;
            lifecycle.template_sent(&info.channel, chosen.category(), now)?;
            Some((filled, chosen.category(), name))
        }
    };
    Ok(StartChecked { channel, team, existing, template })
}

/// "Iniciar atendimento", for the console and the public API alike: [`check_start`] first (nothing is
/// stored when it refuses), then the conversation opened (or reused), taken by the agent, the template
/// queued, the audit line.
pub async fn start(
    services: &Services,
    by: &Actor,
    contact: atende_domain::contact::ContactId,
    channel: i64,
    team: i64,
    template: Option<(String, String)>,
    values: &atende_domain::template::TemplateValues,
) -> Result<(ConversationId, Started), AppError> {
    let checked = check_start(services, by, Some(contact), channel, team, template, values).await?;
    start_checked(services, by, contact, checked).await
}

/// The writes of "Iniciar atendimento", after [`check_start`] accepted them for `contact` (for an API call
/// the check ran before the contact was stored: a new contact has no conversation to reuse).
pub async fn start_checked(
    services: &Services,
    by: &Actor,
    contact: atende_domain::contact::ContactId,
    checked: StartChecked,
) -> Result<(ConversationId, Started), AppError> {
    let StartChecked { channel, team, .. } = checked;
    let now = services.clock.now();
    let me = by.takes_it.then(|| by.viewer.me());
    // A new conversation is the starter's from its first line; one reused changes hands with an audit line
    // (and, moved from another team, says so: the console and the API alike).
    let reused = checked.existing.is_some();
    let assignee = if reused { None } else { me };
    let opened = services.outbox.open_for(contact, channel, team, assignee, checked.existing, now).await?;
    let id = opened.id;
    if let Some(moved) = opened.moved {
        record_transfer(services, id, moved, team, by, now).await?;
    }
    if let (true, Some(me)) = (reused, me) {
        let mine = atende_domain::conversation::Assignee::Agent(me);
        assign(services, id, mine, by.viewer.agent, now).await?;
    }
    let (started, template_name) = match checked.template {
        None => (Started::Opened, None),
        Some((filled, category, name)) => {
            let state = services.outbox.conversation_state(id).await?;
            let lifecycle = state.lifecycle.template_sent(&state.channel, category, now)?;
            services.outbox.enqueue_template(id, &filled, &lifecycle, now).await?;
            (Started::TemplateSent, Some(name))
        }
    };
    let detail = match (template_name, &by.api_token) {
        (Some(template), Some(token)) => Some(format!("{template} · API “{token}”")),
        (None, Some(token)) => Some(format!("API “{token}”")),
        (template, None) => template,
    };
    let action = atende_domain::ports::AuditAction::Started;
    services.outbox.record_audit(id, Some(by.viewer.agent), action, detail.as_deref(), now).await?;
    Ok((id, started))
}

/// The audit line of a conversation "Iniciar atendimento" moved to `team`: from where, and who no longer
/// answers it (not a member of the new team).
async fn record_transfer(
    services: &Services,
    id: ConversationId,
    moved: atende_domain::ports::TeamMove,
    team: i64,
    by: &Actor,
    now: Timestamp,
) -> Result<(), AppError> {
    let teams = services.outbox.teams().await?;
    let team_name = |team: i64| {
        teams.iter().find(|t| t.id == team).map_or_else(|| format!("equipe {team}"), |t| t.name.clone())
    };
    let mut detail = match moved.from {
        None => format!("da caixa de entrada comum para {}", team_name(team)),
        Some(from) => format!("de {} para {}", team_name(from), team_name(team)),
    };
    if let Some(agent) = moved.unassigned {
        let agents = services.outbox.assignable_agents(None).await?;
        let name = agents
            .into_iter()
            .find(|a| a.id == agent)
            .map_or_else(|| format!("agente {}", agent.0), |a| a.name);
        detail.push_str(&format!("; sem responsável ({name} não é da equipe)"));
    }
    if let Some(token) = &by.api_token {
        detail.push_str(&format!(" · API “{token}”"));
    }
    let action = atende_domain::ports::AuditAction::Transferred;
    services.outbox.record_audit(id, Some(by.viewer.agent), action, Some(&detail), now).await?;
    Ok(())
}

/// Gives the conversation to `assignee` (or to nobody) and, when that changed who answers, says so in the
/// audit trail, as done by `agent`.
pub async fn assign(
    services: &Services,
    id: ConversationId,
    assignee: atende_domain::conversation::Assignee,
    agent: i64,
    now: Timestamp,
) -> Result<(), AppError> {
    let before = services.outbox.assign(id, assignee, now).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotAssignable,
        other => other.into(),
    })?;
    if before != assignee {
        record_assignment(services, id, assignee, agent, now).await?;
    }
    Ok(())
}

/// The conversation becomes the agent's if nobody has it (answering takes it); two agents answering at once:
/// the first one gets it. Best effort: the message is already queued, so a failure here is only logged.
pub async fn take_if_unassigned(services: &Services, id: ConversationId, viewer: &Viewer, now: Timestamp) {
    match services.outbox.take_if_unassigned(id, viewer.me(), now).await {
        Ok(true) => {
            let mine = atende_domain::conversation::Assignee::Agent(viewer.me());
            if let Err(error) = record_assignment(services, id, mine, viewer.agent, now).await {
                leptos::logging::error!("assignment not recorded: {error}");
            }
        }
        Ok(false) => {}
        Err(error) => leptos::logging::error!("could not take the conversation: {error}"),
    }
}

async fn record_assignment(
    services: &Services,
    id: ConversationId,
    assignee: atende_domain::conversation::Assignee,
    agent: i64,
    now: Timestamp,
) -> Result<(), AppError> {
    use atende_domain::conversation::Assignee;
    let detail = match assignee {
        Assignee::Unassigned => "sem responsável".to_owned(),
        Assignee::Agent(to) => {
            let team = services.store.conversation_team(id).await?;
            let name = services.outbox.assignable_agents(team).await?.into_iter().find(|a| a.id == to);
            format!("para {}", name.map_or_else(|| format!("agente {}", to.0), |a| a.name))
        }
    };
    let action = atende_domain::ports::AuditAction::Assigned;
    services.outbox.record_audit(id, Some(agent), action, Some(&detail), now).await?;
    Ok(())
}

/// The agent the server's gate let in, from the request.
pub fn viewer() -> Result<Viewer, AppError> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Viewer>().cloned())
        .ok_or(AppError::NotSignedIn)
}

/// The SHA-256 of the signed-in agent's session token, handed on by the server's gate beside the [`Viewer`]
/// (a live stream checks now and then that its session still holds; "Alterar senha" keeps it signed in).
#[derive(Debug, Clone)]
pub struct SessionHash(pub String);

/// The current request's session, from the gate.
pub fn session_hash() -> Result<SessionHash, AppError> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SessionHash>().cloned())
        .ok_or(AppError::NotSignedIn)
}

/// The status a refused request answers with: the agent's mistake is a 4xx, ours a 5xx.
pub fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Access(atende_domain::access::AccessError::TooManyAttempts { .. }) => {
            StatusCode::TOO_MANY_REQUESTS
        }
        AppError::Text(atende_domain::text::TextError::NotUtf8) => StatusCode::BAD_REQUEST,
        AppError::Text(atende_domain::text::TextError::Nul)
        | AppError::Contact(_)
        | AppError::Phone(_)
        | AppError::MessageText(_)
        | AppError::Compose(_)
        | AppError::Restart(_)
        | AppError::Lifecycle(_)
        | AppError::Template(_)
        | AppError::TemplateDefinition(_)
        | AppError::Access(_)
        | AppError::Media(_)
        | AppError::NotAssignable
        | AppError::CannotDeactivateSelf
        | AppError::ChannelSetup(_)
        | AppError::ChannelFromEnvironment
        | AppError::ChannelUnusable(_)
        | AppError::RateCardInvalid(_)
        | AppError::TemplateNotUsed
        | AppError::WrongPassword
        | AppError::TemplateMissing
        | AppError::TemplateNotForService { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
        AppError::Forbidden
        | AppError::AdminOnly
        | AppError::OutsideTokenScope
        | AppError::ContactInOtherTeam => StatusCode::FORBIDDEN,
        AppError::EmailTaken | AppError::TeamNameTaken | AppError::ChannelTaken => StatusCode::CONFLICT,
        AppError::Provider(_) => StatusCode::BAD_GATEWAY,
        AppError::TemplateNotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Store(StoreError::DuplicatePhone { .. } | StoreError::Changed) => StatusCode::CONFLICT,
        AppError::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
        AppError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Transport(_) => StatusCode::BAD_REQUEST,
    }
}

/// Passes a server function's result through, setting the response status when it is an error.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        if let Some(options) = leptos::prelude::use_context::<ResponseOptions>() {
            options.set_status(status_of(error));
        }
    }
    result
}
