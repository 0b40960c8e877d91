//! The one error type that crosses the wire between server functions and components.

use atende_domain::contact::ContactError;
use atende_domain::lifecycle::{LifecycleError, RestartRefusal};
use atende_domain::phone::PhoneError;
use atende_domain::ports::StoreError;
use atende_domain::queue::{ComposeRefusal, MessageTextError};
use atende_domain::template::TemplateSendError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a server function can answer instead of a result. `Display` is what the agent reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("{0}")]
    Contact(#[from] ContactError),
    #[error("{0}")]
    Phone(#[from] PhoneError),
    #[error("{0}")]
    Store(StoreError),
    #[error("{0}")]
    MessageText(#[from] MessageTextError),
    #[error("{0}")]
    Compose(#[from] ComposeRefusal),
    #[error("{0}")]
    Restart(#[from] RestartRefusal),
    #[error("{0}")]
    Lifecycle(#[from] LifecycleError),
    #[error("{0}")]
    Template(#[from] TemplateSendError),
    /// A template's description (or the names of its parameters) not accepted.
    #[error("{0}")]
    TemplateDefinition(#[from] atende_domain::template::TemplateError),
    #[error("Escolha o modelo de mensagem: na API Oficial ele é obrigatório para iniciar o atendimento.")]
    TemplateMissing,
    #[error("O modelo de mensagem “{name}” ({language}) não existe neste canal.")]
    TemplateNotFound { name: String, language: String },
    /// Not marked "de atendimento" (or not approved): "Reiniciar" and "Iniciar atendimento" do not offer it.
    #[error(
        "O modelo “{name}” não é de atendimento: um administrador pode marcá-lo em Administração → Modelos de \
         mensagem."
    )]
    TemplateNotForService { name: String },
    #[error("Sua sessão terminou. Entre de novo com seu e-mail e senha.")]
    NotSignedIn,
    #[error("Este atendimento é de outra equipe: você não tem acesso a ele.")]
    Forbidden,
    #[error("Só administradores podem fazer isto.")]
    AdminOnly,
    /// An API token limited to some teams, used for another team (or a conversation of another team).
    #[error(
        "Este token de API não dá acesso a esta equipe nem aos atendimentos dela: peça a um administrador um \
         token que inclua a equipe."
    )]
    OutsideTokenScope,
    #[error("O canal escolhido não usa modelos de mensagem: inicie o atendimento sem modelo.")]
    TemplateNotUsed,
    /// Changing the number would redirect messages another team has on the way to this contact.
    #[error(
        "Este contato tem um atendimento em andamento de outra equipe: só um agente dela (ou um \
         administrador) pode mudar o número."
    )]
    ContactInOtherTeam,
    #[error("A senha atual não confere.")]
    WrongPassword,
    #[error("{0}")]
    Access(#[from] atende_domain::access::AccessError),
    #[error("{0}")]
    Media(#[from] atende_domain::media::MediaError),
    /// A file the channel does not take ([`atende_domain::outbound_media::FileError`], said in Portuguese). Kept
    /// as its text: the browser checks files itself and never reads this back from a server function, so the
    /// client carries no decoder for each kind of refusal.
    #[error("{0}")]
    File(String),
    /// A file over the channel's (or the deployment's) limit: 413 to an API caller.
    #[error("{0}")]
    FileTooLarge(String),
    /// A quick answer's file went, and the text after it did not (why, in Portuguese): only the text is to be
    /// sent again.
    #[error("O arquivo foi enviado, mas o texto não: {0} Envie o texto de novo.")]
    TextAfterFile(String),
    #[error("{0}")]
    Text(#[from] atende_domain::text::TextError),
    #[error("{0}")]
    QuickAnswer(#[from] atende_domain::quick_answer::QuickAnswerError),
    #[error("{0}")]
    Note(#[from] atende_domain::note::NoteError),
    #[error("{0}")]
    Transfer(#[from] atende_domain::conversation::TransferError),
    #[error("{0}")]
    Label(#[from] atende_domain::label::LabelError),
    #[error("{0}")]
    Reply(#[from] atende_domain::reply::ReplyError),
    #[error("{0}")]
    Hours(#[from] atende_domain::hours::HoursError),
    #[error("{0}")]
    ListRange(#[from] atende_domain::listing::ListRangeError),
    #[error("Este agente não atende a equipe deste atendimento (ou está desativado).")]
    NotAssignable,
    #[error("Já existe um agente com este e-mail.")]
    EmailTaken,
    #[error("Já existe uma equipe com este nome.")]
    TeamNameTaken,
    #[error("Você não pode desativar a si mesmo.")]
    CannotDeactivateSelf,
    #[error("{0}")]
    ChannelSetup(#[from] atende_domain::channel_setup::ChannelSetupError),
    #[error("Já existe um canal com este nome, ou com este mesmo número, instância ou página.")]
    ChannelTaken,
    #[error("Este canal vem das variáveis de ambiente (ou do sandbox): mude-o lá, não no console.")]
    ChannelFromEnvironment,
    #[error("Não foi possível usar esta configuração: {0}")]
    ChannelUnusable(String),
    #[error("A tabela de preços não é válida: {0}")]
    RateCardInvalid(String),
    /// The provider did not answer as expected (template sync): what it said, for the admin.
    #[error("O provedor recusou: {0}")]
    Provider(String),
    /// The request itself failed (network, encoding): the agent may simply try again.
    #[error("Não foi possível falar com o servidor. Verifique a conexão e tente novamente.")]
    Transport(ServerFnErrorErr),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value)
    }

    /// On the server, an error's answer also carries its HTTP status ([`AppError::status`]), whether the
    /// server function's body returned it or its arguments could not be read.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            options.set_status(self.status());
        }
        <JsonEncoding as leptos::server_fn::Encodes<Self>>::encode(self).unwrap_or_else(|e| {
            let failed = Self::Transport(ServerFnErrorErr::Serialization(e.to_string()));
            <JsonEncoding as leptos::server_fn::Encodes<Self>>::encode(&failed).unwrap_or_default()
        })
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The status a refused request answers with: the agent's mistake is a 4xx, ours a 5xx.
    pub fn status(&self) -> http::StatusCode {
        use atende_domain::label::LabelError;
        use atende_domain::quick_answer::QuickAnswerError;
        use http::StatusCode;
        match self {
            AppError::FileTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Access(atende_domain::access::AccessError::TooManyAttempts { .. }) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Text(atende_domain::text::TextError::NotUtf8) | AppError::ListRange(_) => {
                StatusCode::BAD_REQUEST
            }
            AppError::QuickAnswer(QuickAnswerError::TitleTaken { .. }) => StatusCode::CONFLICT,
            AppError::QuickAnswer(QuickAnswerError::NotAllowed { .. }) => StatusCode::FORBIDDEN,
            AppError::Label(
                LabelError::NameTaken { .. } | LabelError::AlreadyOn | LabelError::AlreadyOnContact,
            ) => StatusCode::CONFLICT,
            AppError::Label(LabelError::NotAllowed) => StatusCode::FORBIDDEN,
            AppError::Hours(atende_domain::hours::HoursError::NotAllowed) => StatusCode::FORBIDDEN,
            AppError::QuickAnswer(_)
            | AppError::Note(_)
            | AppError::Transfer(_)
            | AppError::Label(_)
            | AppError::Reply(_)
            | AppError::Hours(_) => StatusCode::UNPROCESSABLE_ENTITY,
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
            | AppError::File(_)
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
            AppError::TextAfterFile(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TemplateNotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Store(
                StoreError::DuplicatePhone { .. } | StoreError::Changed | StoreError::NameTaken,
            ) => StatusCode::CONFLICT,
            AppError::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
            AppError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            // What the caller sent could not be read (missing, wrong type, malformed): their mistake.
            AppError::Transport(
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::Deserialization(_)
                | ServerFnErrorErr::MissingArg(_),
            ) => StatusCode::BAD_REQUEST,
            AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A database failure's detail is for the server's log, never for the wire.
impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => {
                leptos::logging::error!("store unavailable: {detail}");
                Self::Store(StoreError::Unavailable(String::new()))
            }
            other => Self::Store(other),
        }
    }
}

impl From<atende_domain::outbound_media::FileError> for AppError {
    fn from(error: atende_domain::outbound_media::FileError) -> Self {
        match error {
            atende_domain::outbound_media::FileError::TooLarge { .. }
            | atende_domain::outbound_media::FileError::TooLargeEverywhere { .. } => {
                Self::FileTooLarge(error.to_string())
            }
            other => Self::File(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_failure_reaches_the_agent_without_its_detail() {
        let error = AppError::from(StoreError::Unavailable("connection refused to 10.0.0.5".into()));
        assert_eq!(error, AppError::Store(StoreError::Unavailable(String::new())));
        assert_eq!(error.to_string(), "Não foi possível acessar os dados agora. Tente novamente.");
    }
}
