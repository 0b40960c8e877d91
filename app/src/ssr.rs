//! What server functions need from the server: the store and the clock, provided as context, and the HTTP
//! status that tells an API caller what went wrong.

use crate::error::AppError;
use atende_domain::access::Viewer;
use atende_domain::conversation::ConversationId;
use atende_domain::ports::{Clock, Outbox, Store, StoreError};
use atende_domain::time::Timestamp;
use leptos::prelude::expect_context;
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
    /// Where the files agents send from their computer are kept.
    pub files: Arc<dyn Files>,
    /// "Respostas rápidas".
    pub quick_answers: Arc<dyn atende_domain::ports::QuickAnswers>,
    /// "Nota interna".
    pub notes: Arc<dyn atende_domain::ports::Notes>,
    /// "Etiquetas".
    pub labels: Arc<dyn atende_domain::ports::Labels>,
    /// "Notificações": what each agent has seen.
    pub seen: Arc<dyn atende_domain::ports::Seen>,
    /// "Busca" by message text.
    pub search: Arc<dyn atende_domain::ports::MessageSearches>,
    /// "Horário de atendimento".
    pub hours: Arc<dyn atende_domain::ports::Hours>,
}

/// The blob store, as the use cases see it: files kept under their SHA-256.
#[async_trait::async_trait]
pub trait Files: Send + Sync + 'static {
    /// Keeps `bytes` and returns their key (the SHA-256 in lower-case hex); a file kept before is not
    /// written twice.
    async fn keep(&self, bytes: Vec<u8>) -> Result<String, AppError>;
    /// The first bytes of the file kept under `key` (enough to know its type) and its size; `None` when no
    /// such file is kept.
    async fn head(&self, key: &str) -> Result<Option<(Vec<u8>, u64)>, AppError>;
    /// The deployment's own cap per file (`ATENDE_MEDIA_MAX_MB`), on top of each provider's.
    fn max_bytes(&self) -> u64;
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
        self.authorize_viewer(viewer()?, id).await
    }

    /// [`Self::authorize`] for an agent the server's gate already knows (a route outside Leptos).
    pub async fn authorize_viewer(&self, viewer: Viewer, id: ConversationId) -> Result<Viewer, AppError> {
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
