//! Message templates ("modelos de mensagem") of the WhatsApp Cloud API: their parts, their parameters, the
//! values an agent fills in, the preview the agent reads and the `components` payload the provider receives.
//!
//! A template has a body and, optionally, a header (text or media), a footer and buttons. Parameters are
//! positional (`{{1}}`, `{{2}}`) or named (`{{nome}}`), never both in one template; URL-button suffixes are
//! always `{{1}}`. Only APPROVED templates can be sent.
//!
//! Authentication templates have Meta's fixed body (`*{{1}}* é seu código…`) and a single OTP button. The
//! agent gives the code once; it is sent as the body parameter and as the parameter of a `url` button at
//! index 0, which is how the Cloud API takes an authentication code whatever the OTP type.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;

/// Longest template name Meta accepts.
pub const NAME_MAX_CHARS: usize = 512;
/// Longest text header, after filling its parameter.
pub const HEADER_MAX_CHARS: usize = 60;
/// Longest body, after filling its parameters.
pub const BODY_MAX_CHARS: usize = 1024;
pub const FOOTER_MAX_CHARS: usize = 60;
pub const BUTTON_TEXT_MAX_CHARS: usize = 25;
pub const MAX_BUTTONS: usize = 10;
pub const MAX_URL_BUTTONS: usize = 2;
pub const MAX_PHONE_BUTTONS: usize = 1;
pub const MAX_COPY_CODE_BUTTONS: usize = 1;
/// Longest code a copy-code button (or an authentication template's OTP) carries.
pub const COPY_CODE_MAX_CHARS: usize = 15;
/// Longest URL a button may open, suffix included.
pub const URL_MAX_CHARS: usize = 2000;
/// Longest quick-reply payload we send. Meta documents no limit for a template's quick-reply payload; we
/// use the one it documents for the same job in interactive messages (a reply button's `id`: 256
/// characters), so a payload never fails at Meta for its length.
pub const QUICK_REPLY_PAYLOAD_MAX_CHARS: usize = 256;
/// Longest run of spaces Meta accepts inside a parameter value.
pub const MAX_CONSECUTIVE_SPACES: usize = 4;

/// Meta's template categories. A re-engagement attempt must keep the category it started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
}

impl TemplateCategory {
    pub const ALL: [TemplateCategory; 3] = [Self::Marketing, Self::Utility, Self::Authentication];

    /// Meta's spelling: `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Marketing => "MARKETING",
            Self::Utility => "UTILITY",
            Self::Authentication => "AUTHENTICATION",
        }
    }

    /// Accepts Meta's spelling in any case.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code().eq_ignore_ascii_case(code.trim()))
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Marketing => "Marketing",
            Self::Utility => "Utilidade",
            Self::Authentication => "Autenticação",
        }
    }
}

/// A template's review status, as Meta reports it (the `status` of a listed template).
///
/// `REINSTATED` and `UNARCHIVED` are not statuses: they are `message_template_status_update` events saying
/// what happened, and [`TemplateStatus::from_event_code`] turns them into the status the template has after
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
    Flagged,
    InAppeal,
    LimitExceeded,
    Locked,
    Archived,
    Deleted,
    PendingDeletion,
}

impl TemplateStatus {
    pub const ALL: [TemplateStatus; 12] = [
        Self::Approved,
        Self::Pending,
        Self::Rejected,
        Self::Paused,
        Self::Disabled,
        Self::Flagged,
        Self::InAppeal,
        Self::LimitExceeded,
        Self::Locked,
        Self::Archived,
        Self::Deleted,
        Self::PendingDeletion,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Approved => "APPROVED",
            Self::Pending => "PENDING",
            Self::Rejected => "REJECTED",
            Self::Paused => "PAUSED",
            Self::Disabled => "DISABLED",
            Self::Flagged => "FLAGGED",
            Self::InAppeal => "IN_APPEAL",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::Locked => "LOCKED",
            Self::Archived => "ARCHIVED",
            Self::Deleted => "DELETED",
            Self::PendingDeletion => "PENDING_DELETION",
        }
    }

    /// A real status in Meta's spelling (any case). `None` for the event-only codes `REINSTATED` and
    /// `UNARCHIVED` (see [`TemplateStatus::from_event_code`]) and for codes this version does not know.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The status a template has after a `message_template_status_update` `event`.
    ///
    /// Most events name the new status. Two name what happened instead:
    /// - `REINSTATED`: a paused or disabled template is back in use, so it is APPROVED;
    /// - `UNARCHIVED`: the template leaves the archive with the status it had before it was archived
    ///   (`before_archiving`, when the caller kept it), or APPROVED when that is not known.
    ///
    /// `None` for an event this version does not know.
    pub fn from_event_code(event: &str, before_archiving: Option<TemplateStatus>) -> Option<Self> {
        let event = event.trim();
        if event.eq_ignore_ascii_case("REINSTATED") {
            return Some(Self::Approved);
        }
        if event.eq_ignore_ascii_case("UNARCHIVED") {
            return Some(match before_archiving {
                Some(Self::Archived | Self::Deleted | Self::PendingDeletion) | None => Self::Approved,
                Some(status) => status,
            });
        }
        Self::from_code(event)
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Approved => "aprovado",
            Self::Pending => "em análise",
            Self::Rejected => "rejeitado",
            Self::Paused => "pausado",
            Self::Disabled => "desativado",
            Self::Flagged => "sinalizado",
            Self::InAppeal => "em recurso",
            Self::LimitExceeded => "acima do limite",
            Self::Locked => "bloqueado",
            Self::Archived => "arquivado",
            Self::Deleted => "excluído",
            Self::PendingDeletion => "aguardando exclusão",
        }
    }

    /// Only an approved template can be sent.
    pub const fn is_sendable(self) -> bool {
        matches!(self, Self::Approved)
    }
}

/// How a template names its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParameterFormat {
    /// `{{1}}`, `{{2}}`…
    Positional,
    /// `{{nome}}`, `{{pedido}}`…
    Named,
}

/// One `{{…}}` in a template's text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Placeholder {
    Positional(u16),
    Named(String),
}

impl Placeholder {
    /// What sits between the braces: `1`, `nome`.
    fn parse(inner: &str) -> Option<Self> {
        if !inner.is_empty() && inner.len() <= 3 && inner.bytes().all(|b| b.is_ascii_digit()) {
            return inner.parse::<u16>().ok().filter(|n| *n > 0).map(Self::Positional);
        }
        let mut bytes = inner.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
        let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        (first_ok && rest_ok && inner.len() <= 64).then(|| Self::Named(inner.to_owned()))
    }

    const fn format(&self) -> ParameterFormat {
        match self {
            Self::Positional(_) => ParameterFormat::Positional,
            Self::Named(_) => ParameterFormat::Named,
        }
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Positional(n) => write!(f, "{{{{{n}}}}}"),
            Self::Named(name) => write!(f, "{{{{{name}}}}}"),
        }
    }
}

/// Where each well-formed placeholder sits in `text`: (start, end, placeholder).
fn scan(text: &str) -> Vec<(usize, usize, Placeholder)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{") {
        let start = from + open;
        let Some(close) = text[start + 2..].find("}}") else { break };
        let end = start + 2 + close + 2;
        match Placeholder::parse(&text[start + 2..start + 2 + close]) {
            Some(placeholder) => {
                found.push((start, end, placeholder));
                from = end;
            }
            None => from = start + 1,
        }
    }
    found
}

/// The placeholders of `text`, each once, in the order their values are sent: positional by number, named
/// by first appearance.
fn placeholders(text: &str) -> Vec<Placeholder> {
    let mut list: Vec<Placeholder> = Vec::new();
    for (_, _, placeholder) in scan(text) {
        if !list.contains(&placeholder) {
            list.push(placeholder);
        }
    }
    if list.iter().all(|p| matches!(p, Placeholder::Positional(_))) {
        list.sort();
    }
    list
}

/// `text` with each placeholder replaced by its value, or left as `{{…}}` when there is none yet.
fn render<'a>(text: &str, value: impl Fn(&Placeholder) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for (start, end, placeholder) in scan(text) {
        out.push_str(&text[from..start]);
        match value(&placeholder) {
            Some(v) => out.push_str(v),
            None => out.push_str(&text[start..end]),
        }
        from = end;
    }
    out.push_str(&text[from..]);
    out
}

/// A template name: lowercase letters, digits and underscores.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TemplateName(String);

impl TemplateName {
    pub fn parse(input: &str) -> Result<Self, TemplateError> {
        let name = input.trim();
        let valid = !name.is_empty()
            && name.chars().count() <= NAME_MAX_CHARS
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err(TemplateError::InvalidName(input.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TemplateName {
    type Error = TemplateError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TemplateName> for String {
    fn from(name: TemplateName) -> Self {
        name.0
    }
}

/// A template language as Meta writes it: `pt_BR`, `en_US`, `es`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LanguageCode(String);

impl LanguageCode {
    pub fn parse(input: &str) -> Result<Self, TemplateError> {
        let code = input.trim();
        let (language, region) = match code.split_once('_') {
            Some((language, region)) => (language, Some(region)),
            None => (code, None),
        };
        let language_ok =
            (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
        let region_ok = region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()));
        if language_ok && region_ok {
            Ok(Self(code.to_owned()))
        } else {
            Err(TemplateError::InvalidLanguage(input.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LanguageCode {
    type Error = TemplateError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<LanguageCode> for String {
    fn from(code: LanguageCode) -> Self {
        code.0
    }
}

/// The kind of media a header shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MediaFormat {
    Image,
    Video,
    /// An animated GIF (Meta stores it as a short MP4).
    Gif,
    Document,
}

impl MediaFormat {
    pub const ALL: [Self; 4] = [Self::Image, Self::Video, Self::Gif, Self::Document];

    /// The format whose [`Self::code`] is `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The parameter `type` (and object key) in a send.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Gif => "gif",
            Self::Document => "document",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Image => "Imagem",
            Self::Video => "Vídeo",
            Self::Gif => "GIF",
            Self::Document => "Documento",
        }
    }

    /// The types of file Meta takes in such a header, by extension as the agent knows them, and the largest
    /// size: the Cloud API's sent-media limits for JPEG/PNG images, MP4 videos and PDF documents (the types its
    /// template-media upload lists); a GIF header is a short silent MP4 (Meta's limit for it is 3.5 MB).
    pub const fn file_types(self) -> (&'static [&'static str], &'static str, u64) {
        const MB: u64 = 1024 * 1024;
        match self {
            Self::Image => (&["image/jpeg", "image/png"], "JPG ou PNG", 5 * MB),
            Self::Video => (&["video/mp4"], "MP4", 16 * MB),
            Self::Gif => (&["video/mp4"], "MP4", 7 * MB / 2),
            Self::Document => (&["application/pdf"], "PDF", 100 * MB),
        }
    }
}

/// The value of a media header's field: a public `https://` link Meta downloads, or a file the agent gave
/// Atende from their computer, which the server uploads to Meta and sends by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderMedia {
    Link(String),
    File(HeaderFile),
}

impl HeaderMedia {
    /// Reads a field's value (trimmed): [`HeaderFile::value`]'s form, or else a link (checked apart).
    pub fn parse(value: &str) -> Self {
        let value = value.trim();
        HeaderFile::parse(value).map_or_else(|| Self::Link(value.to_owned()), Self::File)
    }
}

/// A file Atende keeps for a media header: its SHA-256 (the blob store's key) and its name, whose extension
/// says its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderFile {
    pub sha256: String,
    pub name: String,
}

impl HeaderFile {
    const PREFIX: &'static str = "arquivo:";

    /// The field's value naming the file (`arquivo:<sha256>/<name>`), as the upload answers it.
    pub fn value(&self) -> String {
        format!("{}{}/{}", Self::PREFIX, self.sha256, self.name)
    }

    /// The file a field's value names, when it is in [`Self::value`]'s form.
    pub fn parse(value: &str) -> Option<Self> {
        let (sha256, name) = value.strip_prefix(Self::PREFIX)?.split_once('/')?;
        let hex =
            sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let plain =
            !name.trim().is_empty() && !name.chars().any(|c| c.is_control() || matches!(c, '/' | '\\'));
        (hex && plain).then(|| Self { sha256: sha256.to_owned(), name: name.to_owned() })
    }

    /// Its type, from its name.
    pub fn mime(&self) -> &'static str {
        crate::inbound_media::type_of_name(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Header {
    /// At most 60 characters and one parameter.
    Text(String),
    /// The link is given at send time.
    Media(MediaFormat),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Button {
    QuickReply {
        text: String,
    },
    /// `url` may end with `{{1}}`: the suffix is given at send time.
    Url {
        text: String,
        url: String,
    },
    PhoneNumber {
        text: String,
        phone: String,
    },
    /// The code is given at send time. Marketing templates only.
    CopyCode,
    /// The one-time-password button of an authentication template: the code the agent gives is both the
    /// body's `{{1}}` and the button's parameter.
    Otp {
        otp_type: OtpType,
        text: String,
    },
}

/// How an authentication template's code reaches the contact's app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OtpType {
    /// A button that copies the code.
    CopyCode,
    /// Android autofill, with a copy-code button as fallback.
    OneTap,
    /// Android autofill without a tap, with a copy-code button as fallback.
    ZeroTap,
}

impl OtpType {
    /// Meta's spelling: `COPY_CODE`, `ONE_TAP`, `ZERO_TAP`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::CopyCode => "COPY_CODE",
            Self::OneTap => "ONE_TAP",
            Self::ZeroTap => "ZERO_TAP",
        }
    }

    /// Accepts Meta's spelling in any case.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::CopyCode, Self::OneTap, Self::ZeroTap]
            .into_iter()
            .find(|t| t.code().eq_ignore_ascii_case(code.trim()))
    }
}

/// What a copy-code or OTP button shows when Meta gives no text.
const COPY_CODE_TEXT: &str = "Copiar código";

impl Button {
    /// What the button shows.
    pub fn text(&self) -> &str {
        match self {
            Self::QuickReply { text }
            | Self::Url { text, .. }
            | Self::PhoneNumber { text, .. }
            | Self::Otp { text, .. } => text,
            Self::CopyCode => COPY_CODE_TEXT,
        }
    }

    fn has_dynamic_url(&self) -> bool {
        matches!(self, Self::Url { url, .. } if url.ends_with("{{1}}"))
    }
}

/// A template as Meta describes it (`GET /{WABA-ID}/message_templates`, mapped by the server), before it is
/// checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSpec {
    /// Whether "Reiniciar" and "Iniciar atendimento" offer it (an admin's choice; `None`: by category, see
    /// [`Template::is_for_service`]). Atende's own setting: Meta knows nothing of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<bool>,
    /// Meta's example value of each parameter, as the template was submitted with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<(ParamSlot, String)>,
    /// The names an admin gave the parameters ("Nome do cliente"), and what fills them by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<ParamLabel>,
    pub name: String,
    pub language: String,
    pub category: TemplateCategory,
    pub status: TemplateStatus,
    pub parameter_format: ParameterFormat,
    pub header: Option<Header>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<Button>,
}

/// Why a template description was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TemplateError {
    #[error("O nome do modelo “{0}” é inválido: use letras minúsculas, números e _.")]
    InvalidName(String),
    #[error("O idioma “{0}” é inválido: use, por exemplo, pt_BR.")]
    InvalidLanguage(String),
    #[error("O modelo precisa de um corpo.")]
    BodyMissing,
    #[error("O corpo do modelo pode ter no máximo {max} caracteres.")]
    BodyTooLong { max: usize },
    #[error("O cabeçalho do modelo pode ter no máximo {max} caracteres.")]
    HeaderTooLong { max: usize },
    #[error("O cabeçalho do modelo pode ter no máximo um parâmetro.")]
    HeaderTooManyParameters,
    #[error("O rodapé do modelo pode ter no máximo {max} caracteres, sem parâmetros.")]
    FooterInvalid { max: usize },
    #[error("O modelo mistura parâmetros numerados ({{{{1}}}}) e nomeados ({{{{nome}}}}).")]
    MixedParameterFormats,
    #[error("Os parâmetros numerados devem seguir a ordem {{{{1}}}}, {{{{2}}}}, … sem pular números.")]
    PositionalNotSequential,
    #[error("O modelo pode ter no máximo {max} botões.")]
    TooManyButtons { max: usize },
    #[error("O modelo pode ter no máximo {max} botões de link.")]
    TooManyUrlButtons { max: usize },
    #[error("O modelo pode ter no máximo {max} botão de telefone.")]
    TooManyPhoneButtons { max: usize },
    #[error("O modelo pode ter no máximo {max} botão de copiar código.")]
    TooManyCopyCodeButtons { max: usize },
    #[error("O botão de copiar código só existe em modelos de marketing.")]
    CopyCodeOutsideMarketing,
    #[error("O botão de código de verificação só existe em modelos de autenticação.")]
    OtpOutsideAuthentication,
    #[error("Um modelo de autenticação tem um único botão, o do código de verificação.")]
    OtpNotAlone,
    #[error(
        "O corpo de um modelo de autenticação deve trazer o código como {{{{1}}}}, e nenhum outro parâmetro."
    )]
    OtpCodeNotInBody,
    #[error("Os botões de resposta rápida devem ficar juntos, antes ou depois dos demais.")]
    QuickRepliesNotGrouped,
    #[error("O texto do botão {index} deve ter de 1 a {max} caracteres.")]
    ButtonTextInvalid { index: usize, max: usize },
    #[error(
        "O link do botão {index} é inválido: deve começar com http:// ou https:// e, se tiver parte variável, \
         terminar com {{{{1}}}}."
    )]
    ButtonUrlInvalid { index: usize },
    #[error("Não foi possível ler o modelo enviado pela Meta: falta ou está inválido o campo {0}.")]
    UnreadableField(String),
    #[error("O Atende ainda não envia modelos com {0}.")]
    Unsupported(String),
    #[error("O modelo não tem o campo “{0}” (ou ele foi nomeado duas vezes).")]
    LabelForUnknownField(String),
    #[error("O nome do campo “{field}” deve ter de 1 a {max} caracteres, sem caracteres de controle.")]
    LabelInvalid { field: String, max: usize },
    #[error("O campo “{0}” não é texto: ele não pode ser preenchido com o nome do contato.")]
    FillNotText(String),
}

/// A checked template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TemplateSpec", into = "TemplateSpec")]
pub struct Template {
    service: Option<bool>,
    examples: Vec<(ParamSlot, String)>,
    labels: Vec<ParamLabel>,
    name: TemplateName,
    language: LanguageCode,
    category: TemplateCategory,
    status: TemplateStatus,
    parameter_format: ParameterFormat,
    header: Option<Header>,
    body: String,
    footer: Option<String>,
    buttons: Vec<Button>,
}

impl Template {
    pub fn new(spec: TemplateSpec) -> Result<Self, TemplateError> {
        let name = TemplateName::parse(&spec.name)?;
        let language = LanguageCode::parse(&spec.language)?;
        if spec.body.trim().is_empty() {
            return Err(TemplateError::BodyMissing);
        }
        if spec.body.chars().count() > BODY_MAX_CHARS {
            return Err(TemplateError::BodyTooLong { max: BODY_MAX_CHARS });
        }
        let mut texts = vec![spec.body.as_str()];
        if let Some(Header::Text(text)) = &spec.header {
            if text.chars().count() > HEADER_MAX_CHARS {
                return Err(TemplateError::HeaderTooLong { max: HEADER_MAX_CHARS });
            }
            if placeholders(text).len() > 1 {
                return Err(TemplateError::HeaderTooManyParameters);
            }
            texts.push(text);
        }
        if let Some(footer) = &spec.footer {
            if footer.chars().count() > FOOTER_MAX_CHARS || !scan(footer).is_empty() {
                return Err(TemplateError::FooterInvalid { max: FOOTER_MAX_CHARS });
            }
        }
        for text in texts {
            let found = placeholders(text);
            if found.iter().any(|p| p.format() != spec.parameter_format) {
                return Err(TemplateError::MixedParameterFormats);
            }
            let sequential = found.iter().zip(1u16..).all(|(p, n)| *p == Placeholder::Positional(n));
            if spec.parameter_format == ParameterFormat::Positional && !sequential {
                return Err(TemplateError::PositionalNotSequential);
            }
        }
        check_buttons(&spec.buttons, spec.category)?;
        if spec.buttons.iter().any(|b| matches!(b, Button::Otp { .. })) {
            let header_has_parameter = matches!(&spec.header, Some(Header::Text(t)) if !scan(t).is_empty());
            if placeholders(&spec.body) != [Placeholder::Positional(1)] || header_has_parameter {
                return Err(TemplateError::OtpCodeNotInBody);
            }
        }
        let mut template = Self {
            service: spec.service,
            examples: spec.examples,
            labels: Vec::new(),
            name,
            language,
            category: spec.category,
            status: spec.status,
            parameter_format: spec.parameter_format,
            header: spec.header,
            body: spec.body,
            footer: spec.footer,
            buttons: spec.buttons,
        };
        template.labels = template.checked_labels(spec.labels)?;
        Ok(template)
    }

    pub fn name(&self) -> &TemplateName {
        &self.name
    }

    pub fn language(&self) -> &LanguageCode {
        &self.language
    }

    pub const fn category(&self) -> TemplateCategory {
        self.category
    }

    pub const fn status(&self) -> TemplateStatus {
        self.status
    }

    /// What the form shows for `slot`: its name, the sentence around it, Meta's example and its default.
    pub fn hint(&self, slot: &ParamSlot) -> SlotHint {
        let named = self.labels.iter().find(|l| &l.slot == slot);
        let text_around = |text: &str, placeholder: &Placeholder| {
            let marker = placeholder.to_string();
            text.find(&marker).map(|at| around(&text[..at], &text[at + marker.len()..], 40))
        };
        let context = match (slot, &self.header) {
            (ParamSlot::Header(p), Some(Header::Text(text))) => text_around(text, p),
            (ParamSlot::Body(p), _) => text_around(&self.body, p),
            (ParamSlot::UrlSuffix { index }, _) => match self.buttons.get(usize::from(*index)) {
                Some(Button::Url { url, .. }) => {
                    url.strip_suffix("{{1}}").map(|fixed| (fixed.to_owned(), String::new()))
                }
                _ => None,
            },
            _ => None,
        };
        SlotHint {
            label: named.map_or_else(|| slot.to_string(), |l| l.name.clone()),
            context,
            example: self.examples.iter().find(|(s, _)| s == slot).map(|(_, e)| e.clone()),
            fill: named.and_then(|l| l.fill),
        }
    }

    /// The names an admin gave the parameters.
    pub fn labels(&self) -> &[ParamLabel] {
        &self.labels
    }

    /// The same template with these names for its parameters, checked: each for a parameter it has, once,
    /// with a name of 1 to 40 characters.
    pub fn with_labels(mut self, labels: Vec<ParamLabel>) -> Result<Self, TemplateError> {
        self.labels = self.checked_labels(labels)?;
        Ok(self)
    }

    /// The same template with those of `labels` that still fit it (names stored before Meta changed the
    /// template: one whose parameter is gone is dropped alone).
    #[must_use]
    pub fn with_fitting_labels(mut self, labels: Vec<ParamLabel>) -> Self {
        let slots = self.slots();
        let mut fitting = Vec::new();
        for label in labels {
            if let Ok(label) = check_label(&slots, &fitting, label) {
                fitting.push(label);
            }
        }
        self.labels = fitting;
        self
    }

    fn checked_labels(&self, labels: Vec<ParamLabel>) -> Result<Vec<ParamLabel>, TemplateError> {
        let slots = self.slots();
        let mut checked: Vec<ParamLabel> = Vec::new();
        for label in labels {
            let label = check_label(&slots, &checked, label)?;
            checked.push(label);
        }
        Ok(checked)
    }

    /// A template "de atendimento": offered by "Reiniciar" and "Iniciar atendimento" (help page, Passo 2).
    /// An admin marks which; until they do, the utility ones are (order updates, reminders: what service
    /// writes), not marketing nor authentication.
    pub fn is_for_service(&self) -> bool {
        self.service.unwrap_or(self.category == TemplateCategory::Utility)
    }

    /// The admin's choice, if they made one.
    pub const fn service_choice(&self) -> Option<bool> {
        self.service
    }

    /// The same template with the admin's choice of whether it is "de atendimento".
    #[must_use]
    pub fn with_service_choice(mut self, service: Option<bool>) -> Self {
        self.service = service;
        self
    }

    pub const fn parameter_format(&self) -> ParameterFormat {
        self.parameter_format
    }

    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    pub fn footer(&self) -> Option<&str> {
        self.footer.as_deref()
    }

    pub fn buttons(&self) -> &[Button] {
        &self.buttons
    }

    /// The index of the OTP button of an authentication template, if any.
    fn otp_index(&self) -> Option<u8> {
        self.buttons.iter().position(|b| matches!(b, Button::Otp { .. })).map(button_index)
    }

    /// Values given by the fields' labels ("Corpo {{1}}", "Botão 1: final do link"), as an integration sends
    /// them. A label the template does not have is refused (nothing is guessed); missing or bad values are
    /// left for [`Template::fill`] to explain.
    pub fn values_by_label<'a>(
        &self,
        given: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<TemplateValues, TemplateSendError> {
        let mut slots = self.slots();
        // The quick replies' payloads are optional fields.
        slots.extend(
            self.buttons
                .iter()
                .enumerate()
                .filter(|(_, button)| matches!(button, Button::QuickReply { .. }))
                .map(|(index, _)| ParamSlot::QuickReplyPayload { index: button_index(index) }),
        );
        let mut values = TemplateValues::new();
        for (label, value) in given {
            let slot = slots.iter().find(|slot| slot.to_string() == label.trim()).ok_or_else(|| {
                TemplateSendError::UnknownField {
                    name: self.name.as_str().to_owned(),
                    field: label.to_owned(),
                    expected: slots.iter().map(ToString::to_string).collect(),
                }
            })?;
            values.set(slot.clone(), value);
        }
        Ok(values)
    }

    /// The fields the agent must fill, in form order: header, body, buttons. In an authentication template
    /// the code is one field (the OTP button's), which also fills the body's `{{1}}`.
    pub fn slots(&self) -> Vec<ParamSlot> {
        let mut slots = Vec::new();
        match &self.header {
            Some(Header::Text(text)) => slots.extend(placeholders(text).into_iter().map(ParamSlot::Header)),
            Some(Header::Media(format)) => slots.push(ParamSlot::HeaderMedia(*format)),
            None => {}
        }
        if self.otp_index().is_none() {
            slots.extend(placeholders(&self.body).into_iter().map(ParamSlot::Body));
        }
        for (index, button) in self.buttons.iter().enumerate() {
            let index = button_index(index);
            if button.has_dynamic_url() {
                slots.push(ParamSlot::UrlSuffix { index });
            } else if matches!(button, Button::CopyCode | Button::Otp { .. }) {
                slots.push(ParamSlot::CopyCode { index });
            }
        }
        slots
    }

    /// The value of the body's `placeholder`: in an authentication template `{{1}}` is the code.
    fn body_value<'a>(&self, values: &'a TemplateValues, placeholder: &Placeholder) -> Option<&'a str> {
        match self.otp_index() {
            Some(index) if *placeholder == Placeholder::Positional(1) => {
                values.get(&ParamSlot::CopyCode { index })
            }
            Some(_) => None,
            None => values.get(&ParamSlot::Body(placeholder.clone())),
        }
    }

    /// Checks one value as the agent types it. Returns the value that will be sent.
    pub fn check_value(&self, slot: &ParamSlot, value: &str) -> Result<String, TemplateParamError> {
        let field = slot.to_string();
        match slot {
            ParamSlot::QuickReplyPayload { index } => match self.buttons.get(usize::from(*index)) {
                Some(Button::QuickReply { .. }) => check_payload(&field, value),
                _ => Err(TemplateParamError::Unexpected { field }),
            },
            _ if !self.slots().contains(slot) => Err(TemplateParamError::Unexpected { field }),
            ParamSlot::Header(_) | ParamSlot::Body(_) => check_text(&field, value),
            // A file is checked for the header's format where its bytes are
            // (`OutgoingFile::for_header`, as it is kept and again as the template is sent).
            ParamSlot::HeaderMedia(_) => match HeaderMedia::parse(value) {
                HeaderMedia::Link(link) => check_link(&field, &link),
                HeaderMedia::File(file) => Ok(file.value()),
            },
            ParamSlot::UrlSuffix { index } => {
                let suffix = value.trim();
                if suffix.is_empty() {
                    return Err(TemplateParamError::Missing { field });
                }
                let base = match self.buttons.get(usize::from(*index)) {
                    Some(Button::Url { url, .. }) => url.trim_end_matches("{{1}}"),
                    _ => "",
                };
                let invalid = suffix.chars().any(|c| c.is_whitespace() || c.is_control())
                    || base.chars().count() + suffix.chars().count() > URL_MAX_CHARS;
                if invalid {
                    return Err(TemplateParamError::InvalidUrlSuffix { field });
                }
                Ok(suffix.to_owned())
            }
            ParamSlot::CopyCode { .. } => {
                let code = value.trim();
                if code.is_empty() {
                    return Err(TemplateParamError::Missing { field });
                }
                if code.chars().count() > COPY_CODE_MAX_CHARS || code.chars().any(char::is_whitespace) {
                    return Err(TemplateParamError::InvalidCopyCode { field, max: COPY_CODE_MAX_CHARS });
                }
                Ok(code.to_owned())
            }
        }
    }

    /// Checks every value; on success the template is ready to send.
    pub fn fill(&self, values: &TemplateValues) -> Result<FilledTemplate, TemplateSendError> {
        if !self.status.is_sendable() {
            return Err(TemplateSendError::NotSendable { name: self.name.0.clone(), status: self.status });
        }
        let mut errors = Vec::new();
        let mut checked = TemplateValues::default();
        for (slot, value) in &values.0 {
            match self.check_value(slot, value) {
                Ok(value) => checked.set(slot.clone(), value),
                Err(error) => errors.push(error),
            }
        }
        for slot in self.slots() {
            if values.get(&slot).is_none() {
                errors.push(TemplateParamError::Missing { field: slot.to_string() });
            }
        }
        if errors.is_empty() {
            let preview = self.preview(&checked);
            if let Some(PreviewHeader::Text(text)) = &preview.header {
                if text.chars().count() > HEADER_MAX_CHARS {
                    errors.push(TemplateParamError::HeaderTooLong { max: HEADER_MAX_CHARS });
                }
            }
            if preview.body.chars().count() > BODY_MAX_CHARS {
                errors.push(TemplateParamError::BodyTooLong { max: BODY_MAX_CHARS });
            }
        }
        if errors.is_empty() {
            Ok(FilledTemplate { template: self.clone(), values: checked })
        } else {
            Err(TemplateSendError::Parameters(errors))
        }
    }

    /// What the contact will see, with the values given so far; missing ones stay as `{{…}}`.
    pub fn preview(&self, values: &TemplateValues) -> TemplatePreview {
        let header = self.header.as_ref().map(|header| match header {
            Header::Text(text) => {
                PreviewHeader::Text(render(text, |p| values.get(&ParamSlot::Header(p.clone()))))
            }
            Header::Media(format) => PreviewHeader::Media {
                format: *format,
                link: values.get(&ParamSlot::HeaderMedia(*format)).map(str::to_owned),
            },
        });
        let buttons = self
            .buttons
            .iter()
            .enumerate()
            .map(|(index, button)| {
                let index = button_index(index);
                let target = match button {
                    Button::Url { url, .. } => {
                        Some(render(url, |_| values.get(&ParamSlot::UrlSuffix { index })))
                    }
                    Button::PhoneNumber { phone, .. } => Some(phone.clone()),
                    Button::CopyCode | Button::Otp { .. } => {
                        values.get(&ParamSlot::CopyCode { index }).map(str::to_owned)
                    }
                    Button::QuickReply { .. } => None,
                };
                PreviewButton { text: button.text().to_owned(), target }
            })
            .collect();
        TemplatePreview {
            header,
            body: render(&self.body, |p| self.body_value(values, p)),
            footer: self.footer.clone(),
            buttons,
        }
    }
}

impl TemplateSpec {
    /// Reads one entry of `GET /{WABA-ID}/message_templates` (`data[]`).
    pub fn from_graph_api(entry: &Value) -> Result<Self, TemplateError> {
        let field = |v: &Value, name: &str| -> Result<String, TemplateError> {
            v.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| TemplateError::UnreadableField(name.to_owned()))
        };
        let category = TemplateCategory::from_code(&field(entry, "category")?)
            .ok_or_else(|| TemplateError::UnreadableField("category".into()))?;
        // A status stored from an event (`REINSTATED`, `UNARCHIVED`) reads as the status it leads to.
        let status = TemplateStatus::from_event_code(&field(entry, "status")?, None)
            .ok_or_else(|| TemplateError::UnreadableField("status".into()))?;
        // `parameter_format` only comes when asked for (`?fields=`); without it the placeholders tell.
        let declared_format = match entry.get("parameter_format").and_then(Value::as_str) {
            None => None,
            Some(code) if code.eq_ignore_ascii_case("POSITIONAL") => Some(ParameterFormat::Positional),
            Some(code) if code.eq_ignore_ascii_case("NAMED") => Some(ParameterFormat::Named),
            Some(_) => return Err(TemplateError::UnreadableField("parameter_format".into())),
        };
        let mut spec = Self {
            service: None,
            examples: Vec::new(),
            labels: Vec::new(),
            name: field(entry, "name")?,
            language: field(entry, "language")?,
            category,
            status,
            parameter_format: declared_format.unwrap_or(ParameterFormat::Positional),
            header: None,
            body: String::new(),
            footer: None,
            buttons: Vec::new(),
        };
        let components = entry
            .get("components")
            .and_then(Value::as_array)
            .ok_or_else(|| TemplateError::UnreadableField("components".into()))?;
        for component in components {
            match field(component, "type")?.as_str() {
                "HEADER" => {
                    let example = component.get("example");
                    spec.examples.extend(examples_of(
                        example,
                        "header_text",
                        "header_text_named_params",
                        ParamSlot::Header,
                    ));
                    spec.header = Some(match field(component, "format")?.as_str() {
                        "TEXT" => Header::Text(field(component, "text")?),
                        "IMAGE" => Header::Media(MediaFormat::Image),
                        "VIDEO" => Header::Media(MediaFormat::Video),
                        "GIF" => Header::Media(MediaFormat::Gif),
                        "DOCUMENT" => Header::Media(MediaFormat::Document),
                        other => return Err(TemplateError::Unsupported(format!("cabeçalho {other}"))),
                    })
                }
                "BODY" => {
                    let example = component.get("example");
                    spec.examples.extend(examples_of(
                        example,
                        "body_text",
                        "body_text_named_params",
                        ParamSlot::Body,
                    ));
                    spec.body = field(component, "text")?;
                }
                "FOOTER" => spec.footer = Some(field(component, "text")?),
                "BUTTONS" => {
                    let buttons = component
                        .get("buttons")
                        .and_then(Value::as_array)
                        .ok_or_else(|| TemplateError::UnreadableField("buttons".into()))?;
                    for button in buttons {
                        spec.buttons.push(match field(button, "type")?.as_str() {
                            "QUICK_REPLY" => Button::QuickReply { text: field(button, "text")? },
                            "URL" => {
                                let url = field(button, "url")?;
                                // Meta's example is the whole link; the agent fills what follows the fixed part.
                                let example =
                                    button.get("example").and_then(|e| e.get(0)).and_then(Value::as_str);
                                let fixed = url.strip_suffix("{{1}}");
                                if let Some(suffix) = fixed.zip(example).and_then(|(f, e)| e.strip_prefix(f))
                                {
                                    let index = u8::try_from(spec.buttons.len()).unwrap_or(u8::MAX);
                                    spec.examples.push((ParamSlot::UrlSuffix { index }, suffix.to_owned()));
                                }
                                Button::Url { text: field(button, "text")?, url }
                            }
                            "PHONE_NUMBER" => Button::PhoneNumber {
                                text: field(button, "text")?,
                                phone: field(button, "phone_number")?,
                            },
                            "COPY_CODE" => Button::CopyCode,
                            "OTP" => Button::Otp {
                                otp_type: OtpType::from_code(&field(button, "otp_type")?)
                                    .ok_or_else(|| TemplateError::UnreadableField("otp_type".into()))?,
                                text: button
                                    .get("text")
                                    .and_then(Value::as_str)
                                    .unwrap_or(COPY_CODE_TEXT)
                                    .to_owned(),
                            },
                            other => return Err(TemplateError::Unsupported(format!("botão {other}"))),
                        });
                    }
                }
                other => return Err(TemplateError::Unsupported(format!("componente {other}"))),
            }
        }
        if declared_format.is_none() {
            spec.parameter_format = inferred_format(spec.header.as_ref(), &spec.body);
        }
        if spec.category == TemplateCategory::Authentication {
            spec.buttons = spec.buttons.into_iter().map(otp_from_url_button).collect();
        }
        Ok(spec)
    }
}

impl TryFrom<TemplateSpec> for Template {
    type Error = TemplateError;
    fn try_from(spec: TemplateSpec) -> Result<Self, Self::Error> {
        Self::new(spec)
    }
}

impl From<Template> for TemplateSpec {
    fn from(t: Template) -> Self {
        Self {
            service: t.service,
            examples: t.examples,
            labels: t.labels,
            name: t.name.0,
            language: t.language.0,
            category: t.category,
            status: t.status,
            parameter_format: t.parameter_format,
            header: t.header,
            body: t.body,
            footer: t.footer,
            buttons: t.buttons,
        }
    }
}

/// The example values of a header's or body's parameters: `{"body_text": [["Maria", "A-1"]]}` (positional)
/// or `{"body_text_named_params": [{"param_name": "nome", "example": "Maria"}]}`.
fn examples_of(
    example: Option<&Value>,
    positional: &str,
    named: &str,
    slot: fn(Placeholder) -> ParamSlot,
) -> Vec<(ParamSlot, String)> {
    let Some(example) = example else { return Vec::new() };
    if let Some(values) = example.get(named).and_then(Value::as_array) {
        return values
            .iter()
            .filter_map(|v| {
                let name = v.get("param_name")?.as_str()?;
                Some((slot(Placeholder::Named(name.to_owned())), v.get("example")?.as_str()?.to_owned()))
            })
            .collect();
    }
    // The body's come as one row in an array; the header's as a flat array.
    let row = match example.get(positional) {
        Some(Value::Array(rows)) if rows.first().is_some_and(Value::is_array) => rows.first(),
        other => other,
    };
    row.and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .zip(1u16..)
                .filter_map(|(v, n)| Some((slot(Placeholder::Positional(n)), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// What fills a parameter by default, from the contact the template goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContactField {
    Name,
    FirstName,
}

impl ContactField {
    pub const ALL: [Self; 2] = [Self::Name, Self::FirstName];

    pub const fn label(self) -> &'static str {
        match self {
            Self::Name => "Nome do contato",
            Self::FirstName => "Primeiro nome do contato",
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Self::Name => "nome",
            Self::FirstName => "primeiro_nome",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// Its value for a contact named `name`.
    pub fn value_for(self, name: &str) -> String {
        match self {
            Self::Name => name.trim().to_owned(),
            Self::FirstName => name.split_whitespace().next().unwrap_or_default().to_owned(),
        }
    }
}

/// The name an admin gave a template's parameter, and what fills it by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamLabel {
    pub slot: ParamSlot,
    pub name: String,
    pub fill: Option<ContactField>,
}

/// `label` checked against a template's `slots` and the labels already `checked`: for a parameter it has,
/// once, with a name of 1 to [`PARAM_LABEL_MAX_CHARS`] characters, filled from the contact only where it is
/// text.
fn check_label(
    slots: &[ParamSlot],
    checked: &[ParamLabel],
    label: ParamLabel,
) -> Result<ParamLabel, TemplateError> {
    let field = label.slot.to_string();
    if !slots.contains(&label.slot) || checked.iter().any(|c| c.slot == label.slot) {
        return Err(TemplateError::LabelForUnknownField(field));
    }
    let name = crate::contact::tidy_name(&label.name, PARAM_LABEL_MAX_CHARS)
        .map_err(|_| TemplateError::LabelInvalid { field: field.clone(), max: PARAM_LABEL_MAX_CHARS })?;
    // A name fills words of the text, never a link, a code or a picture.
    if label.fill.is_some() && !matches!(label.slot, ParamSlot::Body(_) | ParamSlot::Header(_)) {
        return Err(TemplateError::FillNotText(field));
    }
    Ok(ParamLabel { name, ..label })
}

/// Longest name of a parameter ("Número do pedido").
pub const PARAM_LABEL_MAX_CHARS: usize = 40;

/// What the form shows around a parameter's field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotHint {
    /// The admin's name for it, else the slot's own ("Corpo {{1}}").
    pub label: String,
    /// The text just before and just after the blank, as the contact will read it.
    pub context: Option<(String, String)>,
    /// Meta's example value.
    pub example: Option<String>,
    pub fill: Option<ContactField>,
}

/// Up to `max` characters of `text` next to the blank: the end of `before`, the start of `after`, cut at a
/// space and marked "…" where cut.
fn around(before: &str, after: &str, max: usize) -> (String, String) {
    let before_chars: Vec<char> = before.chars().collect();
    let start = before_chars.len().saturating_sub(max);
    let mut head: String = before_chars[start..].iter().collect();
    if start > 0 {
        if let Some(space) = head.find(' ') {
            head = head[space + 1..].to_owned();
        }
        head = format!("…{head}");
    }
    let after_chars: Vec<char> = after.chars().collect();
    let mut tail: String = after_chars.iter().take(max).collect();
    if after_chars.len() > max {
        if let Some(space) = tail.rfind(' ') {
            tail.truncate(space);
        }
        tail.push('…');
    }
    (head, tail)
}

/// Meta creates an authentication template's OTP button but may list it as a URL button pointing at
/// WhatsApp's own OTP page (`https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&…code=otp{{1}}`). Either
/// way it is the OTP button, filled with the code.
fn otp_from_url_button(button: Button) -> Button {
    match button {
        Button::Url { text, url } if url.starts_with(WHATSAPP_OTP_URL) => {
            let otp_type = url
                .split(['?', '&'])
                .find_map(|pair| pair.strip_prefix("otp_type="))
                .and_then(OtpType::from_code)
                .unwrap_or(OtpType::CopyCode);
            Button::Otp { otp_type, text }
        }
        other => other,
    }
}

/// Where WhatsApp's own OTP buttons point.
const WHATSAPP_OTP_URL: &str = "https://www.whatsapp.com/otp/";

/// The parameter format of a template whose listing did not say: named when every placeholder of the header
/// and body is named, positional otherwise (a mix is then refused by [`Template::new`]).
fn inferred_format(header: Option<&Header>, body: &str) -> ParameterFormat {
    let mut found = placeholders(body);
    if let Some(Header::Text(text)) = header {
        found.extend(placeholders(text));
    }
    if !found.is_empty() && found.iter().all(|p| p.format() == ParameterFormat::Named) {
        ParameterFormat::Named
    } else {
        ParameterFormat::Positional
    }
}

fn check_buttons(buttons: &[Button], category: TemplateCategory) -> Result<(), TemplateError> {
    let count = |f: fn(&Button) -> bool| buttons.iter().filter(|b| f(b)).count();
    if buttons.len() > MAX_BUTTONS {
        return Err(TemplateError::TooManyButtons { max: MAX_BUTTONS });
    }
    if count(|b| matches!(b, Button::Url { .. })) > MAX_URL_BUTTONS {
        return Err(TemplateError::TooManyUrlButtons { max: MAX_URL_BUTTONS });
    }
    if count(|b| matches!(b, Button::PhoneNumber { .. })) > MAX_PHONE_BUTTONS {
        return Err(TemplateError::TooManyPhoneButtons { max: MAX_PHONE_BUTTONS });
    }
    let copy_codes = count(|b| matches!(b, Button::CopyCode));
    if copy_codes > MAX_COPY_CODE_BUTTONS {
        return Err(TemplateError::TooManyCopyCodeButtons { max: MAX_COPY_CODE_BUTTONS });
    }
    if copy_codes > 0 && category != TemplateCategory::Marketing {
        return Err(TemplateError::CopyCodeOutsideMarketing);
    }
    let otps = count(|b| matches!(b, Button::Otp { .. }));
    if otps > 0 && category != TemplateCategory::Authentication {
        return Err(TemplateError::OtpOutsideAuthentication);
    }
    if otps > 0 && buttons.len() > 1 {
        return Err(TemplateError::OtpNotAlone);
    }
    // Quick replies form one block: the kind changes at most once along the list.
    let changes = buttons
        .windows(2)
        .filter(|pair| {
            matches!(pair[0], Button::QuickReply { .. }) != matches!(pair[1], Button::QuickReply { .. })
        })
        .count();
    if changes > 1 {
        return Err(TemplateError::QuickRepliesNotGrouped);
    }
    for (index, button) in buttons.iter().enumerate() {
        let text = button.text().trim();
        if text.is_empty() || text.chars().count() > BUTTON_TEXT_MAX_CHARS {
            return Err(TemplateError::ButtonTextInvalid { index: index + 1, max: BUTTON_TEXT_MAX_CHARS });
        }
        if let Button::Url { url, .. } = button {
            let base = url.strip_suffix("{{1}}").unwrap_or(url);
            let valid = base.starts_with("https://") || base.starts_with("http://");
            if !valid || !scan(base).is_empty() || base.chars().any(char::is_whitespace) {
                return Err(TemplateError::ButtonUrlInvalid { index: index + 1 });
            }
        }
    }
    Ok(())
}

/// Buttons are at most [`MAX_BUTTONS`], so their index fits a byte.
fn button_index(index: usize) -> u8 {
    u8::try_from(index).unwrap_or(u8::MAX)
}

/// A value given (once trimmed) and on one line: what every text-like parameter needs.
fn one_line<'v>(field: &str, value: &'v str) -> Result<&'v str, TemplateParamError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(TemplateParamError::Missing { field: field.to_owned() });
    }
    if value.contains(['\n', '\r', '\t']) {
        return Err(TemplateParamError::LineBreakOrTab { field: field.to_owned() });
    }
    Ok(value)
}

/// A text parameter: required, on one line, without long runs of spaces.
fn check_text(field: &str, value: &str) -> Result<String, TemplateParamError> {
    let value = one_line(field, value)?;
    let field = field.to_owned();
    if value.contains(&" ".repeat(MAX_CONSECUTIVE_SPACES + 1)) {
        return Err(TemplateParamError::TooManySpaces { field, max: MAX_CONSECUTIVE_SPACES });
    }
    Ok(value.to_owned())
}

/// A quick-reply payload: optional, but when given on one line and not too long. It comes back in the
/// webhook when the contact taps the button.
fn check_payload(field: &str, value: &str) -> Result<String, TemplateParamError> {
    let payload = one_line(field, value)?;
    let field = field.to_owned();
    if payload.chars().count() > QUICK_REPLY_PAYLOAD_MAX_CHARS {
        return Err(TemplateParamError::TooLong { field, max: QUICK_REPLY_PAYLOAD_MAX_CHARS });
    }
    Ok(payload.to_owned())
}

/// A media link the provider will download: https only (the same rule as the message the agent reads), a
/// host with a dot, no spaces.
fn check_link(field: &str, link: &str) -> Result<String, TemplateParamError> {
    let field = field.to_owned();
    if link.is_empty() {
        return Err(TemplateParamError::Missing { field });
    }
    let rest = link.strip_prefix("https://");
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    let valid = host.is_some_and(|h| h.contains('.') && !h.starts_with('.') && !h.ends_with('.'))
        && !link.chars().any(|c| c.is_whitespace() || c.is_control())
        && link.chars().count() <= URL_MAX_CHARS;
    if valid {
        Ok(link.to_owned())
    } else {
        Err(TemplateParamError::InvalidLink { field })
    }
}

/// One value to fill in a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ParamSlot {
    /// The text header's parameter.
    Header(Placeholder),
    /// The link of a media header.
    HeaderMedia(MediaFormat),
    Body(Placeholder),
    /// The end of the link of the URL button at `index` (0-based among all buttons).
    UrlSuffix {
        index: u8,
    },
    /// The code of the copy-code button at `index`.
    CopyCode {
        index: u8,
    },
    /// Optional: what comes back in the webhook when the quick-reply button at `index` is tapped.
    QuickReplyPayload {
        index: u8,
    },
}

impl fmt::Display for ParamSlot {
    /// The field's label in the form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(p) => write!(f, "Cabeçalho {p}"),
            Self::HeaderMedia(format) => write!(f, "{} do cabeçalho (link)", format.label()),
            Self::Body(p) => write!(f, "Corpo {p}"),
            Self::UrlSuffix { index } => write!(f, "Botão {}: final do link", u16::from(*index) + 1),
            Self::CopyCode { index } => write!(f, "Botão {}: código", u16::from(*index) + 1),
            Self::QuickReplyPayload { index } => write!(f, "Botão {}: resposta", u16::from(*index) + 1),
        }
    }
}

/// The values an agent typed, by field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateValues(Vec<(ParamSlot, String)>);

impl TemplateValues {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) the value of `slot`.
    pub fn set(&mut self, slot: ParamSlot, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, existing)) => *existing = value,
            None => self.0.push((slot, value)),
        }
    }

    pub fn with(mut self, slot: ParamSlot, value: impl Into<String>) -> Self {
        self.set(slot, value);
        self
    }

    pub fn get(&self, slot: &ParamSlot) -> Option<&str> {
        self.0.iter().find(|(s, _)| s == slot).map(|(_, v)| v.as_str())
    }
}

/// Why a filled template cannot go out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TemplateParamError {
    #[error("Preencha o campo “{field}”.")]
    Missing { field: String },
    #[error("O campo “{field}” não pode ter quebras de linha nem tabulações.")]
    LineBreakOrTab { field: String },
    #[error("O campo “{field}” não pode ter mais de {max} espaços seguidos.")]
    TooManySpaces { field: String, max: usize },
    #[error("O campo “{field}” precisa de um link válido, começando com https://.")]
    InvalidLink { field: String },
    #[error("O campo “{field}” deve completar o link: sem espaços e sem deixá-lo longo demais.")]
    InvalidUrlSuffix { field: String },
    #[error("O campo “{field}” deve ter até {max} caracteres, sem espaços.")]
    InvalidCopyCode { field: String, max: usize },
    #[error("O campo “{field}” pode ter no máximo {max} caracteres.")]
    TooLong { field: String, max: usize },
    #[error("O modelo não tem o campo “{field}”.")]
    Unexpected { field: String },
    #[error("Com os valores preenchidos, o cabeçalho passa de {max} caracteres.")]
    HeaderTooLong { max: usize },
    #[error("Com os valores preenchidos, a mensagem passa de {max} caracteres.")]
    BodyTooLong { max: usize },
}

/// Why a template was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TemplateSendError {
    #[error("O modelo “{name}” não pode ser enviado: está {}. Só modelos aprovados podem ser enviados.", .status.label())]
    NotSendable { name: String, status: TemplateStatus },
    #[error("{}", join_sentences(.0))]
    Parameters(Vec<TemplateParamError>),
    /// A value given for a field the template does not have (an API caller's typo).
    #[error("O modelo “{name}” não tem o campo “{field}”. Campos: {}.", .expected.join(", "))]
    UnknownField { name: String, field: String, expected: Vec<String> },
}

fn join_sentences(errors: &[TemplateParamError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
}

/// What the contact will see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatePreview {
    pub header: Option<PreviewHeader>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<PreviewButton>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PreviewHeader {
    Text(String),
    Media { format: MediaFormat, link: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewButton {
    pub text: String,
    /// The link it opens, the number it calls or the code it copies, when known.
    pub target: Option<String>,
}

/// An approved template with every value checked: ready to send. It is only ever built by
/// [`Template::fill`], so it does not deserialise: the server fills the template again from the values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilledTemplate {
    template: Template,
    values: TemplateValues,
}

impl FilledTemplate {
    pub fn template(&self) -> &Template {
        &self.template
    }

    pub fn values(&self) -> &TemplateValues {
        &self.values
    }

    pub fn preview(&self) -> TemplatePreview {
        self.template.preview(&self.values)
    }

    /// The file of its media header, when the agent gave one from their computer (not a link).
    pub fn header_file(&self) -> Option<(MediaFormat, HeaderFile)> {
        let Some(Header::Media(format)) = self.template.header else { return None };
        match HeaderMedia::parse(self.values.get(&ParamSlot::HeaderMedia(format))?) {
            HeaderMedia::File(file) => Some((format, file)),
            HeaderMedia::Link(_) => None,
        }
    }

    /// The Cloud API `template.components` array.
    pub fn components(&self) -> Vec<Value> {
        let template = &self.template;
        let mut components = Vec::new();
        let text_parameters = |list: Vec<ParamSlot>| -> Vec<Value> {
            list.iter()
                .filter_map(|slot| {
                    let text = self.values.get(slot)?;
                    Some(match slot {
                        ParamSlot::Header(Placeholder::Named(name))
                        | ParamSlot::Body(Placeholder::Named(name)) => {
                            json!({ "type": "text", "parameter_name": name, "text": text })
                        }
                        _ => json!({ "type": "text", "text": text }),
                    })
                })
                .collect()
        };
        match &template.header {
            Some(Header::Text(text)) => {
                let parameters =
                    text_parameters(placeholders(text).into_iter().map(ParamSlot::Header).collect());
                if !parameters.is_empty() {
                    components.push(json!({ "type": "header", "parameters": parameters }));
                }
            }
            Some(Header::Media(format)) => {
                if let Some(value) = self.values.get(&ParamSlot::HeaderMedia(*format)) {
                    let code = format.code();
                    // A file from the agent's computer: the provider uploads it and adds its `id` as it sends.
                    let media = match HeaderMedia::parse(value) {
                        HeaderMedia::Link(link) => json!({ "link": link }),
                        HeaderMedia::File(file) if *format == MediaFormat::Document => {
                            json!({ "filename": file.name })
                        }
                        HeaderMedia::File(_) => json!({}),
                    };
                    components.push(json!({
                        "type": "header",
                        "parameters": [{ "type": code, code: media }]
                    }));
                }
            }
            None => {}
        }
        let body = match template.otp_index() {
            // Authentication: the code is the body's only parameter.
            Some(index) => self
                .values
                .get(&ParamSlot::CopyCode { index })
                .map(|code| vec![json!({ "type": "text", "text": code })])
                .unwrap_or_default(),
            None => text_parameters(placeholders(&template.body).into_iter().map(ParamSlot::Body).collect()),
        };
        if !body.is_empty() {
            components.push(json!({ "type": "body", "parameters": body }));
        }
        for (index, button) in template.buttons.iter().enumerate() {
            let slot_index = button_index(index);
            let (sub_type, parameter) = match button {
                Button::Url { .. } => match self.values.get(&ParamSlot::UrlSuffix { index: slot_index }) {
                    Some(suffix) => ("url", json!({ "type": "text", "text": suffix })),
                    None => continue,
                },
                Button::CopyCode => match self.values.get(&ParamSlot::CopyCode { index: slot_index }) {
                    Some(code) => ("copy_code", json!({ "type": "coupon_code", "coupon_code": code })),
                    None => continue,
                },
                // Meta sends an authentication code as a `url` button parameter, whatever the OTP type.
                Button::Otp { .. } => match self.values.get(&ParamSlot::CopyCode { index: slot_index }) {
                    Some(code) => ("url", json!({ "type": "text", "text": code })),
                    None => continue,
                },
                Button::QuickReply { .. } => {
                    match self.values.get(&ParamSlot::QuickReplyPayload { index: slot_index }) {
                        Some(payload) => ("quick_reply", json!({ "type": "payload", "payload": payload })),
                        None => continue,
                    }
                }
                Button::PhoneNumber { .. } => continue,
            };
            components.push(json!({
                "type": "button",
                "sub_type": sub_type,
                "index": index.to_string(),
                "parameters": [parameter]
            }));
        }
        components
    }

    /// The whole `POST /{Phone-Number-ID}/messages` body for a send to `to` (E.164 or a `wa_id`).
    pub fn message_payload(&self, to: &str) -> Value {
        let mut template = json!({
            "name": self.template.name.as_str(),
            "language": { "code": self.template.language.as_str() },
        });
        let components = self.components();
        if !components.is_empty() {
            template["components"] = Value::Array(components);
        }
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": template
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn order_update() -> Template {
        Template::new(TemplateSpec {
            service: None,
            examples: Vec::new(),
            labels: Vec::new(),
            name: "order_update".into(),
            language: "pt_BR".into(),
            category: TemplateCategory::Utility,
            status: TemplateStatus::Approved,
            parameter_format: ParameterFormat::Positional,
            header: Some(Header::Media(MediaFormat::Image)),
            body: "Olá, {{1}}! Seu pedido {{2}} saiu para entrega.".into(),
            footer: Some("Loja Exemplo".into()),
            buttons: vec![
                Button::Url { text: "Ver pedido".into(), url: "https://example.com/pedidos/{{1}}".into() },
                Button::QuickReply { text: "Falar com atendente".into() },
            ],
        })
        .expect("valid template")
    }

    fn named_welcome(status: TemplateStatus) -> Template {
        Template::new(TemplateSpec {
            service: None,
            examples: Vec::new(),
            labels: Vec::new(),
            name: "boas_vindas".into(),
            language: "pt_BR".into(),
            category: TemplateCategory::Marketing,
            status,
            parameter_format: ParameterFormat::Named,
            header: Some(Header::Text("Oi, {{nome}}".into())),
            body: "Olá {{nome}}, use o cupom abaixo até {{data}}. Até logo, {{nome}}!".into(),
            footer: None,
            buttons: vec![Button::CopyCode],
        })
        .expect("valid template")
    }

    fn filled_order_update() -> FilledTemplate {
        let values = TemplateValues::new()
            .with(ParamSlot::HeaderMedia(MediaFormat::Image), "https://example.com/order.jpg")
            .with(ParamSlot::Body(Placeholder::Positional(1)), "Maria")
            .with(ParamSlot::Body(Placeholder::Positional(2)), "A-10423")
            .with(ParamSlot::UrlSuffix { index: 0 }, "A-10423")
            .with(ParamSlot::QuickReplyPayload { index: 1 }, "TALK_TO_AGENT");
        order_update().fill(&values).expect("every value is valid")
    }

    #[test]
    fn an_integration_names_the_fields_by_their_labels_and_a_wrong_label_is_refused() {
        let template = order_update();
        let given = [
            ("Imagem do cabeçalho (link)", "https://example.com/order.jpg"),
            ("Corpo {{1}}", "Maria"),
            (" Corpo {{2}} ", "A-10423"),
            ("Botão 1: final do link", "A-10423"),
            ("Botão 2: resposta", "TALK_TO_AGENT"),
        ];
        let values = template.values_by_label(given).expect("every label is a field");
        assert_eq!(template.fill(&values), Ok(filled_order_update()));
        let refused = template.values_by_label([("Corpo {{3}}", "x")]).expect_err("no such field");
        let TemplateSendError::UnknownField { field, expected, .. } = &refused else { panic!("{refused:?}") };
        assert_eq!(field, "Corpo {{3}}");
        assert!(expected.contains(&"Corpo {{2}}".to_owned()), "{expected:?}");
        assert!(refused.to_string().starts_with("O modelo “order_update” não tem o campo “Corpo {{3}}”."));
        let missing = template.values_by_label([("Corpo {{1}}", "Maria")]).expect("known label");
        assert!(
            matches!(template.fill(&missing), Err(TemplateSendError::Parameters(_))),
            "missing ones explained"
        );
    }

    #[test]
    fn the_send_payload_is_the_cloud_api_template_message() {
        let expected: Value = serde_json::from_str(
            r#"{
              "messaging_product": "whatsapp",
              "recipient_type": "individual",
              "to": "+5511987654321",
              "type": "template",
              "template": {
                "name": "order_update",
                "language": { "code": "pt_BR" },
                "components": [
                  { "type": "header",
                    "parameters": [ { "type": "image", "image": { "link": "https://example.com/order.jpg" } } ] },
                  { "type": "body",
                    "parameters": [ { "type": "text", "text": "Maria" }, { "type": "text", "text": "A-10423" } ] },
                  { "type": "button", "sub_type": "url", "index": "0",
                    "parameters": [ { "type": "text", "text": "A-10423" } ] },
                  { "type": "button", "sub_type": "quick_reply", "index": "1",
                    "parameters": [ { "type": "payload", "payload": "TALK_TO_AGENT" } ] }
                ]
              }
            }"#,
        )
        .expect("the reference example is JSON");
        assert_eq!(filled_order_update().message_payload("+5511987654321"), expected);
    }

    #[test]
    fn named_parameters_carry_their_names_and_are_sent_once() {
        let template = named_welcome(TemplateStatus::Approved);
        assert_eq!(
            template.slots(),
            vec![
                ParamSlot::Header(Placeholder::Named("nome".into())),
                ParamSlot::Body(Placeholder::Named("nome".into())),
                ParamSlot::Body(Placeholder::Named("data".into())),
                ParamSlot::CopyCode { index: 0 },
            ]
        );
        let values = TemplateValues::new()
            .with(ParamSlot::Header(Placeholder::Named("nome".into())), "Ana")
            .with(ParamSlot::Body(Placeholder::Named("nome".into())), "Ana")
            .with(ParamSlot::Body(Placeholder::Named("data".into())), "31/12")
            .with(ParamSlot::CopyCode { index: 0 }, "NATAL25");
        let filled = template.fill(&values).expect("valid values");
        assert_eq!(
            filled.components(),
            vec![
                json!({ "type": "header", "parameters": [{ "type": "text", "parameter_name": "nome", "text": "Ana" }] }),
                json!({ "type": "body", "parameters": [
                    { "type": "text", "parameter_name": "nome", "text": "Ana" },
                    { "type": "text", "parameter_name": "data", "text": "31/12" }
                ] }),
                json!({ "type": "button", "sub_type": "copy_code", "index": "0",
                        "parameters": [{ "type": "coupon_code", "coupon_code": "NATAL25" }] }),
            ]
        );
        assert_eq!(filled.preview().body, "Olá Ana, use o cupom abaixo até 31/12. Até logo, Ana!");
    }

    #[test]
    fn the_preview_shows_what_is_filled_and_keeps_the_rest_as_placeholders() {
        let values = TemplateValues::new().with(ParamSlot::Body(Placeholder::Positional(1)), "Maria");
        let preview = order_update().preview(&values);
        assert_eq!(preview.body, "Olá, Maria! Seu pedido {{2}} saiu para entrega.");
        assert_eq!(preview.header, Some(PreviewHeader::Media { format: MediaFormat::Image, link: None }));
        assert_eq!(
            preview.buttons[0],
            PreviewButton {
                text: "Ver pedido".into(),
                target: Some("https://example.com/pedidos/{{1}}".into())
            }
        );
        let full = filled_order_update().preview();
        assert_eq!(full.buttons[0].target.as_deref(), Some("https://example.com/pedidos/A-10423"));
        assert_eq!(full.footer.as_deref(), Some("Loja Exemplo"));
    }

    #[test]
    fn only_approved_templates_can_be_sent() {
        for status in TemplateStatus::ALL {
            let template = named_welcome(status);
            let values = TemplateValues::new()
                .with(ParamSlot::Header(Placeholder::Named("nome".into())), "Ana")
                .with(ParamSlot::Body(Placeholder::Named("nome".into())), "Ana")
                .with(ParamSlot::Body(Placeholder::Named("data".into())), "31/12")
                .with(ParamSlot::CopyCode { index: 0 }, "NATAL25");
            assert_eq!(template.fill(&values).is_ok(), status == TemplateStatus::Approved, "{status:?}");
        }
        let paused = named_welcome(TemplateStatus::Paused).fill(&TemplateValues::new());
        assert_eq!(
            paused.map_err(|e| e.to_string()),
            Err("O modelo “boas_vindas” não pode ser enviado: está pausado. Só modelos aprovados podem ser enviados."
                .to_owned())
        );
    }

    #[test]
    fn each_parameter_shows_the_sentence_around_it_metas_example_and_the_admins_name() {
        let entry = json!({
            "name": "pedido", "language": "pt_BR", "category": "UTILITY", "status": "APPROVED",
            "components": [
                {"type": "BODY", "text": "Olá, {{1}}! Seu pedido {{2}} saiu para entrega e chega hoje até as 18 horas, combinado?",
                 "example": {"body_text": [["Maria", "A-10423"]]}},
                {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Ver pedido",
                 "url": "https://loja.example/pedidos/{{1}}", "example": ["https://loja.example/pedidos/A-10423"]}]}
            ]
        });
        let template = Template::new(TemplateSpec::from_graph_api(&entry).expect("spec")).expect("valid");
        let name = ParamSlot::Body(Placeholder::Positional(1));
        let order = ParamSlot::Body(Placeholder::Positional(2));
        let link = ParamSlot::UrlSuffix { index: 0 };
        let hint = template.hint(&name);
        assert_eq!(hint.label, "Corpo {{1}}");
        assert_eq!(hint.context, Some(("Olá, ".into(), "! Seu pedido {{2}} saiu para entrega e…".into())));
        assert_eq!(hint.example.as_deref(), Some("Maria"));
        assert_eq!(template.hint(&order).example.as_deref(), Some("A-10423"));
        assert_eq!(
            template.hint(&link).context,
            Some(("https://loja.example/pedidos/".into(), String::new()))
        );
        assert_eq!(template.hint(&link).example.as_deref(), Some("A-10423"));

        let named = template
            .clone()
            .with_labels(vec![
                ParamLabel {
                    slot: name.clone(),
                    name: "  Nome do  cliente ".into(),
                    fill: Some(ContactField::FirstName),
                },
                ParamLabel { slot: order.clone(), name: "Número do pedido".into(), fill: None },
            ])
            .expect("named");
        assert_eq!(named.hint(&name).label, "Nome do cliente");
        assert_eq!(named.hint(&name).fill, Some(ContactField::FirstName));
        assert_eq!(ContactField::FirstName.value_for("Maria da Silva"), "Maria");
        // The same names survive the trip through storage.
        let stored = serde_json::to_string(&named).expect("json");
        assert_eq!(serde_json::from_str::<Template>(&stored).expect("back"), named);

        let unknown =
            ParamLabel { slot: ParamSlot::Body(Placeholder::Positional(3)), name: "X".into(), fill: None };
        assert_eq!(
            template.clone().with_labels(vec![unknown.clone()]),
            Err(TemplateError::LabelForUnknownField("Corpo {{3}}".into()))
        );
        // Stored names read against a template Meta changed: those that fit stay, each other one is dropped.
        let first_again = named.labels()[0].clone();
        let stored = vec![unknown, named.labels()[0].clone(), first_again, named.labels()[1].clone()];
        assert_eq!(template.clone().with_fitting_labels(stored).labels(), named.labels());
        let empty = ParamLabel { slot: name, name: " ".into(), fill: None };
        assert!(matches!(template.clone().with_labels(vec![empty]), Err(TemplateError::LabelInvalid { .. })));
        let link_by_name = ParamLabel { slot: link, name: "Pedido".into(), fill: Some(ContactField::Name) };
        assert_eq!(
            template.with_labels(vec![link_by_name]),
            Err(TemplateError::FillNotText("Botão 1: final do link".into()))
        );
    }

    #[test]
    fn marketing_is_not_de_atendimento_unless_an_admin_says_so_but_a_marketing_attempt_goes_on_with_its_own()
    {
        use crate::lifecycle::RestartOffer;
        let welcome = named_welcome(TemplateStatus::Approved);
        assert!(!welcome.is_for_service(), "marketing, no choice made");
        assert!(order_update().is_for_service(), "utility, no choice made");
        assert!(!RestartOffer::AnyTemplate.offers(&welcome));
        assert!(RestartOffer::AnyTemplate.offers(&welcome.clone().with_service_choice(Some(true))));
        assert!(!RestartOffer::AnyTemplate.offers(&order_update().with_service_choice(Some(false))));
        // An unanswered marketing attempt is re-engaged with a marketing template, listed or not.
        assert!(RestartOffer::SameCategory(TemplateCategory::Marketing).offers(&welcome));
        assert!(!RestartOffer::SameCategory(TemplateCategory::Marketing).offers(&order_update()));
        assert!(!RestartOffer::SameCategory(TemplateCategory::Marketing)
            .offers(&named_welcome(TemplateStatus::Paused)));
    }

    #[test]
    fn named_examples_are_read_by_their_names() {
        let entry = json!({
            "name": "boas_vindas", "language": "pt_BR", "category": "MARKETING", "status": "APPROVED",
            "parameter_format": "NAMED",
            "components": [{"type": "BODY", "text": "Oi {{nome}}!",
                "example": {"body_text_named_params": [{"param_name": "nome", "example": "Ana"}]}}]
        });
        let template = Template::new(TemplateSpec::from_graph_api(&entry).expect("spec")).expect("valid");
        let hint = template.hint(&ParamSlot::Body(Placeholder::Named("nome".into())));
        assert_eq!((hint.example.as_deref(), hint.context), (Some("Ana"), Some(("Oi ".into(), "!".into()))));
    }

    #[test]
    fn every_missing_parameter_is_reported_by_its_field() {
        let result = order_update()
            .fill(&TemplateValues::new().with(ParamSlot::Body(Placeholder::Positional(1)), "Maria"));
        let Err(TemplateSendError::Parameters(errors)) = result else { panic!("expected parameter errors") };
        assert_eq!(
            errors,
            vec![
                TemplateParamError::Missing { field: "Imagem do cabeçalho (link)".into() },
                TemplateParamError::Missing { field: "Corpo {{2}}".into() },
                TemplateParamError::Missing { field: "Botão 1: final do link".into() },
            ]
        );
        assert_eq!(errors[1].to_string(), "Preencha o campo “Corpo {{2}}”.");
    }

    #[test]
    fn a_parameter_cannot_have_new_lines_tabs_or_more_than_four_spaces_in_a_row() {
        let template = order_update();
        let slot = ParamSlot::Body(Placeholder::Positional(1));
        assert_eq!(
            template.check_value(&slot, "Maria\nSilva"),
            Err(TemplateParamError::LineBreakOrTab { field: "Corpo {{1}}".into() })
        );
        assert_eq!(
            template.check_value(&slot, "Maria\tSilva"),
            Err(TemplateParamError::LineBreakOrTab { field: "Corpo {{1}}".into() })
        );
        assert_eq!(template.check_value(&slot, "Maria    Silva"), Ok("Maria    Silva".into()));
        assert_eq!(
            template.check_value(&slot, "Maria     Silva"),
            Err(TemplateParamError::TooManySpaces { field: "Corpo {{1}}".into(), max: 4 })
        );
        assert_eq!(
            template.check_value(&slot, "   "),
            Err(TemplateParamError::Missing { field: "Corpo {{1}}".into() })
        );
    }

    #[test]
    fn a_media_header_may_be_a_file_kept_by_atende_which_the_provider_sends_by_id() {
        let template = order_update();
        let media = ParamSlot::HeaderMedia(MediaFormat::Image);
        let file = HeaderFile { sha256: "0f".repeat(32), name: "promo.png".into() };
        assert_eq!(template.check_value(&media, &format!(" {} ", file.value())), Ok(file.value()));
        // Not a hash, or a path in the name: not a file's value, so it is read as a (bad) link.
        for bad in ["arquivo:abc/promo.png", &format!("arquivo:{}/../x.png", "0f".repeat(32))] {
            assert!(template.check_value(&media, bad).is_err(), "{bad}");
        }
        let values = TemplateValues::new()
            .with(media, file.value())
            .with(ParamSlot::Body(Placeholder::Positional(1)), "Maria")
            .with(ParamSlot::Body(Placeholder::Positional(2)), "A-1")
            .with(ParamSlot::UrlSuffix { index: 0 }, "A-1");
        let filled = template.fill(&values).expect("a file is a valid header");
        assert_eq!(filled.header_file(), Some((MediaFormat::Image, file)));
        assert_eq!(
            filled.components()[0],
            json!({ "type": "header", "parameters": [{ "type": "image", "image": {} }] })
        );
        assert_eq!(filled_order_update().header_file(), None, "a link is no file");
    }

    #[test]
    fn media_links_and_url_suffixes_are_checked() {
        let template = order_update();
        let media = ParamSlot::HeaderMedia(MediaFormat::Image);
        assert!(template.check_value(&media, "https://cdn.example.com/a.jpg").is_ok());
        for bad in [
            "example.com/a.jpg",
            "http://example.com/a.jpg",
            "ftp://example.com/a.jpg",
            "https://localhost/a.jpg",
            "https://ex ample.com",
        ] {
            assert_eq!(
                template.check_value(&media, bad),
                Err(TemplateParamError::InvalidLink { field: "Imagem do cabeçalho (link)".into() }),
                "{bad}"
            );
        }
        let suffix = ParamSlot::UrlSuffix { index: 0 };
        assert_eq!(template.check_value(&suffix, " A-1 "), Ok("A-1".into()));
        assert_eq!(
            template.check_value(&suffix, "A 1"),
            Err(TemplateParamError::InvalidUrlSuffix { field: "Botão 1: final do link".into() })
        );
        assert_eq!(
            template.check_value(&ParamSlot::Body(Placeholder::Positional(3)), "x"),
            Err(TemplateParamError::Unexpected { field: "Corpo {{3}}".into() })
        );
    }

    #[test]
    fn a_filled_header_or_body_may_not_pass_its_length_limit() {
        let template = named_welcome(TemplateStatus::Approved);
        let long_name = "A".repeat(HEADER_MAX_CHARS);
        let values = TemplateValues::new()
            .with(ParamSlot::Header(Placeholder::Named("nome".into())), long_name.as_str())
            .with(ParamSlot::Body(Placeholder::Named("nome".into())), "Ana")
            .with(ParamSlot::Body(Placeholder::Named("data".into())), "31/12")
            .with(ParamSlot::CopyCode { index: 0 }, "NATAL25");
        assert_eq!(
            template.fill(&values),
            Err(TemplateSendError::Parameters(vec![TemplateParamError::HeaderTooLong {
                max: HEADER_MAX_CHARS
            }]))
        );
    }

    #[test]
    fn template_definitions_follow_metas_limits() {
        let base = TemplateSpec {
            service: None,
            examples: Vec::new(),
            labels: Vec::new(),
            name: "aviso".into(),
            language: "pt_BR".into(),
            category: TemplateCategory::Utility,
            status: TemplateStatus::Approved,
            parameter_format: ParameterFormat::Positional,
            header: None,
            body: "Olá {{1}}, tudo certo?".into(),
            footer: None,
            buttons: vec![],
        };
        let with = |change: fn(&mut TemplateSpec)| {
            let mut spec = base.clone();
            change(&mut spec);
            Template::new(spec)
        };
        assert!(Template::new(base.clone()).is_ok());
        assert_eq!(with(|s| s.body = " ".into()), Err(TemplateError::BodyMissing));
        assert_eq!(
            with(|s| s.name = "Aviso Novo".into()),
            Err(TemplateError::InvalidName("Aviso Novo".into()))
        );
        assert_eq!(
            with(|s| s.language = "pt-br".into()),
            Err(TemplateError::InvalidLanguage("pt-br".into()))
        );
        assert_eq!(with(|s| s.body = "Olá {{2}}".into()), Err(TemplateError::PositionalNotSequential));
        assert_eq!(with(|s| s.body = "Olá {{1}} {{nome}}".into()), Err(TemplateError::MixedParameterFormats));
        assert_eq!(
            with(|s| s.header = Some(Header::Text("{{1}} e {{2}}".into()))),
            Err(TemplateError::HeaderTooManyParameters)
        );
        assert_eq!(
            with(|s| s.buttons = vec![Button::CopyCode]),
            Err(TemplateError::CopyCodeOutsideMarketing)
        );
        assert_eq!(
            with(|s| s.buttons = vec![
                Button::QuickReply { text: "Sim".into() },
                Button::Url { text: "Site".into(), url: "https://example.com".into() },
                Button::QuickReply { text: "Não".into() },
            ]),
            Err(TemplateError::QuickRepliesNotGrouped)
        );
        assert_eq!(
            with(|s| s.buttons =
                vec![Button::Url { text: "Site".into(), url: "https://example.com/{{1}}/x".into() }]),
            Err(TemplateError::ButtonUrlInvalid { index: 1 })
        );
        assert_eq!(
            with(|s| s.buttons = vec![Button::QuickReply { text: "x".repeat(26) }]),
            Err(TemplateError::ButtonTextInvalid { index: 1, max: 25 })
        );
    }

    #[test]
    fn a_template_is_read_from_metas_template_list() {
        let entry: Value = serde_json::from_str(
            r#"{"name":"seasonal_promotion","components":[
                {"type":"HEADER","format":"TEXT","text":"Our {{1}} is on!"},
                {"type":"BODY","text":"Shop now through {{1}} and use code {{2}} to get {{3}} off.",
                 "example":{"body_text":[["the end of August","25OFF","25%"]]}},
                {"type":"FOOTER","text":"Use the buttons below to manage your marketing subscriptions"},
                {"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Unsubscribe from Promos"},
                                             {"type":"URL","text":"Shop","url":"https://example.com/shop/{{1}}"}]}],
              "language":"en_US","status":"APPROVED","category":"MARKETING","id":"920070352646140"}"#,
        )
        .expect("JSON");
        let template = Template::new(TemplateSpec::from_graph_api(&entry).expect("readable")).expect("valid");
        assert_eq!(template.name().as_str(), "seasonal_promotion");
        assert_eq!(template.category(), TemplateCategory::Marketing);
        assert_eq!(
            template.slots(),
            vec![
                ParamSlot::Header(Placeholder::Positional(1)),
                ParamSlot::Body(Placeholder::Positional(1)),
                ParamSlot::Body(Placeholder::Positional(2)),
                ParamSlot::Body(Placeholder::Positional(3)),
                ParamSlot::UrlSuffix { index: 1 },
            ]
        );
        let mut flow = entry.clone();
        flow["components"][3]["buttons"][0] = serde_json::json!({ "type": "FLOW", "text": "Abrir" });
        assert_eq!(TemplateSpec::from_graph_api(&flow), Err(TemplateError::Unsupported("botão FLOW".into())));
        let mut nameless = entry;
        nameless["name"] = Value::Null;
        assert_eq!(
            TemplateSpec::from_graph_api(&nameless),
            Err(TemplateError::UnreadableField("name".into()))
        );
    }

    #[test]
    fn categories_and_statuses_read_metas_codes() {
        for category in TemplateCategory::ALL {
            assert_eq!(TemplateCategory::from_code(&category.code().to_lowercase()), Some(category));
        }
        for status in TemplateStatus::ALL {
            assert_eq!(TemplateStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(TemplateStatus::from_code("IN_APPEAL"), Some(TemplateStatus::InAppeal));
        assert_eq!(TemplateCategory::from_code("SERVICE"), None);
    }

    fn authentication_code(otp_type: &str) -> Value {
        json!({
            "name": "codigo_de_acesso", "language": "pt_BR", "status": "APPROVED", "category": "AUTHENTICATION",
            "components": [
                { "type": "BODY", "text": "*{{1}}* é seu código de verificação. Por segurança, não o compartilhe." },
                { "type": "FOOTER", "text": "Este código expira em 10 minutos." },
                { "type": "BUTTONS", "buttons": [ { "type": "OTP", "otp_type": otp_type, "text": "Copiar código" } ] }
            ]
        })
    }

    #[test]
    fn a_listing_without_parameter_format_is_named_when_every_placeholder_is_named() {
        let entry = json!({
            "name": "pedido_enviado", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY",
            "components": [
                { "type": "HEADER", "format": "TEXT", "text": "Pedido {{pedido}}" },
                { "type": "BODY", "text": "Olá {{nome}}, seu pedido {{pedido}} foi enviado." }
            ]
        });
        let spec = TemplateSpec::from_graph_api(&entry).expect("readable");
        assert_eq!(spec.parameter_format, ParameterFormat::Named);
        let template = Template::new(spec).expect("valid");
        assert_eq!(
            template.slots(),
            vec![
                ParamSlot::Header(Placeholder::Named("pedido".into())),
                ParamSlot::Body(Placeholder::Named("nome".into())),
                ParamSlot::Body(Placeholder::Named("pedido".into())),
            ]
        );
        let mut positional = entry.clone();
        positional["components"][1]["text"] = json!("Olá {{1}}!");
        positional["components"].as_array_mut().expect("array").remove(0);
        let spec = TemplateSpec::from_graph_api(&positional).expect("readable");
        assert_eq!(spec.parameter_format, ParameterFormat::Positional);
        let mut mixed = entry;
        mixed["components"][1]["text"] = json!("Olá {{1}}, pedido {{pedido}}");
        let spec = TemplateSpec::from_graph_api(&mixed).expect("readable");
        assert_eq!(Template::new(spec), Err(TemplateError::MixedParameterFormats));
    }

    #[test]
    fn a_gif_header_is_read_and_sent_as_a_gif_link() {
        let entry = json!({
            "name": "promo_animada", "language": "pt_BR", "status": "APPROVED", "category": "MARKETING",
            "components": [ { "type": "HEADER", "format": "GIF" }, { "type": "BODY", "text": "Confira!" } ]
        });
        let template = Template::new(TemplateSpec::from_graph_api(&entry).expect("readable")).expect("valid");
        assert_eq!(template.slots(), vec![ParamSlot::HeaderMedia(MediaFormat::Gif)]);
        assert_eq!(ParamSlot::HeaderMedia(MediaFormat::Gif).to_string(), "GIF do cabeçalho (link)");
        let values = TemplateValues::new()
            .with(ParamSlot::HeaderMedia(MediaFormat::Gif), "https://cdn.example.com/promo.mp4");
        let filled = template.fill(&values).expect("valid link");
        assert_eq!(
            filled.components(),
            vec![json!({ "type": "header", "parameters": [
                { "type": "gif", "gif": { "link": "https://cdn.example.com/promo.mp4" } }
            ] })]
        );
    }

    #[test]
    fn an_authentication_code_goes_in_the_body_and_as_the_url_button_parameter() {
        for otp_type in ["COPY_CODE", "ONE_TAP"] {
            let spec = TemplateSpec::from_graph_api(&authentication_code(otp_type)).expect("readable");
            let template = Template::new(spec).expect("valid");
            // One field: the code fills both the body and the button.
            assert_eq!(template.slots(), vec![ParamSlot::CopyCode { index: 0 }], "{otp_type}");
            let filled = template
                .fill(&TemplateValues::new().with(ParamSlot::CopyCode { index: 0 }, " 482913 "))
                .expect("valid code");
            let expected: Value = serde_json::from_str(
                r#"{
                  "messaging_product": "whatsapp",
                  "recipient_type": "individual",
                  "to": "+5511987654321",
                  "type": "template",
                  "template": {
                    "name": "codigo_de_acesso",
                    "language": { "code": "pt_BR" },
                    "components": [
                      { "type": "body", "parameters": [ { "type": "text", "text": "482913" } ] },
                      { "type": "button", "sub_type": "url", "index": "0",
                        "parameters": [ { "type": "text", "text": "482913" } ] }
                    ]
                  }
                }"#,
            )
            .expect("JSON");
            assert_eq!(filled.message_payload("+5511987654321"), expected, "{otp_type}");
            let preview = filled.preview();
            assert!(preview.body.starts_with("*482913* é seu código"), "{}", preview.body);
            assert_eq!(preview.buttons[0].target.as_deref(), Some("482913"));
        }
        let template =
            Template::new(TemplateSpec::from_graph_api(&authentication_code("COPY_CODE")).expect("readable"))
                .expect("valid");
        assert_eq!(
            template.check_value(&ParamSlot::CopyCode { index: 0 }, "1234 5678"),
            Err(TemplateParamError::InvalidCopyCode { field: "Botão 1: código".into(), max: 15 })
        );
    }

    #[test]
    fn an_otp_button_listed_as_a_whatsapp_url_button_is_still_the_otp_button() {
        let mut listed = authentication_code("COPY_CODE");
        listed["components"][2]["buttons"][0] = json!({
            "type": "URL", "text": "Copiar código",
            "url": "https://www.whatsapp.com/otp/code/?otp_type=ONE_TAP&cta_display_name=Autofill&code=otp{{1}}"
        });
        let spec = TemplateSpec::from_graph_api(&listed).expect("readable");
        assert_eq!(
            spec.buttons,
            vec![Button::Otp { otp_type: OtpType::OneTap, text: "Copiar código".into() }]
        );
        let template = Template::new(spec).expect("valid");
        assert_eq!(template.slots(), vec![ParamSlot::CopyCode { index: 0 }]);
    }

    #[test]
    fn an_otp_button_is_the_only_button_of_an_authentication_template() {
        let otp = Button::Otp { otp_type: OtpType::CopyCode, text: "Copiar código".into() };
        let spec = TemplateSpec::from_graph_api(&authentication_code("COPY_CODE")).expect("readable");
        let with = |change: &dyn Fn(&mut TemplateSpec)| {
            let mut changed = spec.clone();
            change(&mut changed);
            Template::new(changed)
        };
        assert!(with(&|_| {}).is_ok());
        assert_eq!(
            with(&|s| s.category = TemplateCategory::Utility),
            Err(TemplateError::OtpOutsideAuthentication)
        );
        assert_eq!(
            with(&|s| s.buttons.push(Button::QuickReply { text: "Não fui eu".into() })),
            Err(TemplateError::OtpNotAlone)
        );
        assert_eq!(with(&|s| s.body = "Seu código chegou.".into()), Err(TemplateError::OtpCodeNotInBody));
        assert_eq!(with(&|s| s.body = "{{1}} e {{2}}".into()), Err(TemplateError::OtpCodeNotInBody));
        assert_eq!(spec.buttons, vec![otp]);
        let mut unknown = authentication_code("COPY_CODE");
        unknown["components"][2]["buttons"][0]["otp_type"] = json!("SOMETHING_NEW");
        assert_eq!(
            TemplateSpec::from_graph_api(&unknown),
            Err(TemplateError::UnreadableField("otp_type".into()))
        );
    }

    #[test]
    fn a_media_link_must_start_with_https_as_the_message_says() {
        let template = order_update();
        let media = ParamSlot::HeaderMedia(MediaFormat::Image);
        let refused = template.check_value(&media, "http://example.com/a.jpg");
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err("O campo “Imagem do cabeçalho (link)” precisa de um link válido, começando com https://."
                .to_owned())
        );
        assert_eq!(
            template.check_value(&media, " https://example.com/a.jpg "),
            Ok("https://example.com/a.jpg".into())
        );
        assert_eq!(
            TemplateError::ButtonUrlInvalid { index: 1 }.to_string(),
            "O link do botão 1 é inválido: deve começar com http:// ou https:// e, se tiver parte variável, \
             terminar com {{1}}."
        );
    }

    #[test]
    fn a_quick_reply_payload_is_trimmed_on_one_line_and_at_most_256_characters() {
        let template = order_update();
        let slot = ParamSlot::QuickReplyPayload { index: 1 };
        assert_eq!(template.check_value(&slot, "  TALK_TO_AGENT \n"), Ok("TALK_TO_AGENT".into()));
        assert_eq!(
            template.check_value(&slot, "TALK\nTO_AGENT"),
            Err(TemplateParamError::LineBreakOrTab { field: "Botão 2: resposta".into() })
        );
        assert_eq!(template.check_value(&slot, &"x".repeat(256)), Ok("x".repeat(256)));
        let too_long = template.check_value(&slot, &"x".repeat(257));
        assert_eq!(
            too_long.map_err(|e| e.to_string()),
            Err("O campo “Botão 2: resposta” pode ter no máximo 256 caracteres.".to_owned())
        );
        assert_eq!(
            template.check_value(&ParamSlot::QuickReplyPayload { index: 0 }, "X"),
            Err(TemplateParamError::Unexpected { field: "Botão 1: resposta".into() })
        );
    }

    #[test]
    fn reinstated_and_unarchived_are_events_that_lead_to_a_status() {
        assert_eq!(TemplateStatus::from_code("REINSTATED"), None);
        assert_eq!(TemplateStatus::from_code("UNARCHIVED"), None);
        assert_eq!(TemplateStatus::from_event_code("REINSTATED", None), Some(TemplateStatus::Approved));
        assert_eq!(TemplateStatus::from_event_code("UNARCHIVED", None), Some(TemplateStatus::Approved));
        assert_eq!(
            TemplateStatus::from_event_code("unarchived", Some(TemplateStatus::Paused)),
            Some(TemplateStatus::Paused)
        );
        assert_eq!(
            TemplateStatus::from_event_code("UNARCHIVED", Some(TemplateStatus::Archived)),
            Some(TemplateStatus::Approved)
        );
        for status in TemplateStatus::ALL {
            assert_eq!(TemplateStatus::from_event_code(status.code(), None), Some(status));
        }
        assert_eq!(TemplateStatus::from_event_code("SOMETHING_NEW", None), None);
        let mut stored = authentication_code("COPY_CODE");
        stored["status"] = json!("REINSTATED");
        let template =
            Template::new(TemplateSpec::from_graph_api(&stored).expect("readable")).expect("valid");
        assert!(template.status().is_sendable());
    }

    proptest! {
        #[test]
        fn no_text_makes_the_placeholder_scanner_panic(text in ".{0,80}") {
            let _ = placeholders(&text);
            let rendered = render(&text, |_| None);
            prop_assert_eq!(rendered, text);
        }

        #[test]
        fn an_accepted_value_is_on_one_line_without_long_runs_of_spaces(value in "[a-z \\t\\n]{0,30}") {
            if let Ok(checked) = check_text("Corpo {{1}}", &value) {
                prop_assert!(!checked.is_empty());
                prop_assert!(!checked.contains(['\n', '\t', '\r']));
                prop_assert!(!checked.contains("     "));
            }
        }

        #[test]
        fn filling_every_slot_renders_no_placeholder(a in "[A-Za-z0-9]{1,20}", b in "[A-Za-z0-9-]{1,20}") {
            let template = order_update();
            let mut values = TemplateValues::new();
            for slot in template.slots() {
                let value = match slot {
                    ParamSlot::HeaderMedia(_) => format!("https://example.com/{a}.jpg"),
                    ParamSlot::Body(Placeholder::Positional(1)) => a.clone(),
                    _ => b.clone(),
                };
                values.set(slot, value);
            }
            let filled = template.fill(&values).expect("valid values");
            let preview = filled.preview();
            prop_assert!(scan(&preview.body).is_empty());
            prop_assert!(preview.body.contains(&a));
            prop_assert_eq!(filled.components().len(), 3);
        }

        #[test]
        fn a_template_survives_a_trip_through_json(status in prop::sample::select(TemplateStatus::ALL.to_vec())) {
            let template = named_welcome(status);
            let json = serde_json::to_string(&template).expect("serialises");
            prop_assert_eq!(serde_json::from_str::<Template>(&json).ok(), Some(template));
        }
    }
}
