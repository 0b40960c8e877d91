//! "Respostas rápidas" (issue #19): saved answers an agent inserts by typing `/` in the message box. An answer
//! has a title and a text with variables filled from the conversation (`{{nome}}`, `{{primeiro_nome}}`,
//! `{{agente}}`, `{{protocolo}}`); an unknown variable is refused by its name when the answer is saved, so an
//! agent never sends "{{nme}}" to a customer. What the agent inserts is then an ordinary message: the window,
//! queue and price rules apply to it as to anything typed.

use crate::access::Viewer;
use crate::contact::fold_for_search;
use serde::{Deserialize, Serialize};

/// Longest title (the list shows it on one line).
pub const TITLE_MAX_CHARS: usize = 60;
/// Longest text: WhatsApp's limit for a text message.
pub const TEXT_MAX_CHARS: usize = 4096;

/// A value an answer's text may name between double braces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Variable {
    /// The contact's name as saved.
    Name,
    /// Its first word ("Maria" of "Maria da Silva").
    FirstName,
    /// The agent's name.
    Agent,
    /// The conversation's protocol number ("2026-000123").
    Protocol,
}

impl Variable {
    pub const ALL: [Self; 4] = [Self::Name, Self::FirstName, Self::Agent, Self::Protocol];

    /// Its name between the braces.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Name => "nome",
            Self::FirstName => "primeiro_nome",
            Self::Agent => "agente",
            Self::Protocol => "protocolo",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// Why an answer was not saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum QuickAnswerError {
    #[error("Dê um título à resposta rápida.")]
    NoTitle,
    #[error("O título pode ter no máximo {max} caracteres.")]
    TitleTooLong { max: usize },
    #[error("Escreva o texto da resposta rápida.")]
    NoText,
    #[error("O texto pode ter no máximo {max} caracteres.")]
    TextTooLong { max: usize },
    #[error(
        "A variável {{{{{name}}}}} não existe: use {{{{nome}}}}, {{{{primeiro_nome}}}}, {{{{agente}}}} ou {{{{protocolo}}}}."
    )]
    UnknownVariable { name: String },
    #[error("Uma variável foi aberta com {{{{ e não foi fechada com }}}}.")]
    Unclosed,
    #[error("O anexo da resposta rápida não é válido: escolha o arquivo de novo.")]
    BadFile,
    #[error("Já existe uma resposta rápida “{title}” aqui: escolha outro título.")]
    TitleTaken { title: String },
    #[error("{}", if *global {
        "Só administradores criam, mudam ou apagam as respostas rápidas de todas as equipes."
    } else {
        "Você só pode criar, mudar ou apagar as respostas rápidas das suas equipes."
    })]
    NotAllowed { global: bool },
}

/// A saved answer, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickAnswer {
    title: String,
    text: String,
    /// The file that goes with the text ("Anexo"), if any.
    #[serde(default)]
    file: Option<AnswerFile>,
}

/// A file kept with an answer: the blob store's key (its SHA-256), the name it is sent under (whose extension
/// says its type, as a header file's: [`crate::template::HeaderFile`]) and its size. Checked as it is
/// uploaded ([`crate::outbound_media::OutgoingFile::for_answer`]) and, for the conversation's channel, as it
/// is sent ([`with_file`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerFile {
    pub sha256: String,
    pub name: String,
    pub size: u64,
}

impl AnswerFile {
    /// Its type, from its name.
    pub fn mime(&self) -> &'static str {
        crate::inbound_media::type_of_name(&self.name)
    }

    /// Whether it names a file as the upload answers it: a SHA-256 in hex and a plain name.
    fn is_well_formed(&self) -> bool {
        let value =
            crate::template::HeaderFile { sha256: self.sha256.clone(), name: self.name.clone() }.value();
        self.size > 0 && crate::template::HeaderFile::parse(&value).is_some()
    }
}

/// What "Enviar" sends for an answer with a file, in a conversation of `channel`: the file, with the text as
/// its caption where the channel takes one (WhatsApp, not on an audio, up to 1,024 characters) and the message
/// quotes nothing, else the file and then the text as a message of its own (which carries the quote). A file
/// the channel does not take (its type, its size), or a reply with no text to carry it, refuses both, before
/// anything leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAnswer {
    pub file: crate::outbound_media::OutgoingFile,
    /// The text, when it goes after the file.
    pub then_text: Option<String>,
}

/// See [`FileAnswer`]; `limit` is the deployment's own cap per file.
pub fn with_file(
    channel: crate::channel::ChannelKind,
    file: &AnswerFile,
    text: &str,
    quoting: bool,
    limit: u64,
) -> Result<FileAnswer, crate::outbound_media::FileError> {
    use crate::outbound_media::OutgoingFile;
    let alone =
        |caption: &str| OutgoingFile::check(channel, &file.name, file.mime(), file.size, caption, limit);
    let bare = alone("")?;
    let text = text.trim();
    if text.is_empty() {
        // The quote goes on the text: without one it would be lost.
        if quoting {
            return Err(crate::outbound_media::FileError::ReplyNeedsText);
        }
        return Ok(FileAnswer { file: bare, then_text: None });
    }
    match alone(text) {
        Ok(captioned) if !quoting => Ok(FileAnswer { file: captioned, then_text: None }),
        _ => Ok(FileAnswer { file: bare, then_text: Some(text.to_owned()) }),
    }
}

/// A piece of an answer's text: as written, or a variable to fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Literal(&'a str),
    Variable(Variable),
}

/// The text's pieces; the first unknown or unclosed variable refuses it.
fn pieces(text: &str) -> Result<Vec<Piece<'_>>, QuickAnswerError> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Literal(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or(QuickAnswerError::Unclosed)?;
        let name = after[..close].trim();
        let variable = Variable::from_code(&name.to_lowercase())
            .ok_or_else(|| QuickAnswerError::UnknownVariable { name: name.to_owned() })?;
        pieces.push(Piece::Variable(variable));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest));
    }
    Ok(pieces)
}

/// What the variables are in one conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values<'a> {
    pub contact_name: &'a str,
    pub agent_name: &'a str,
    pub protocol: &'a str,
}

impl QuickAnswer {
    /// An answer of text alone.
    pub fn parse(title: &str, text: &str) -> Result<Self, QuickAnswerError> {
        Self::parse_with(title, text, None)
    }

    /// An answer whose text may be blank when a file goes with it.
    pub fn parse_with(title: &str, text: &str, file: Option<AnswerFile>) -> Result<Self, QuickAnswerError> {
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.is_empty() {
            return Err(QuickAnswerError::NoTitle);
        }
        if title.chars().count() > TITLE_MAX_CHARS {
            return Err(QuickAnswerError::TitleTooLong { max: TITLE_MAX_CHARS });
        }
        let text = text.trim();
        if text.is_empty() && file.is_none() {
            return Err(QuickAnswerError::NoText);
        }
        if text.chars().count() > TEXT_MAX_CHARS {
            return Err(QuickAnswerError::TextTooLong { max: TEXT_MAX_CHARS });
        }
        pieces(text)?;
        if file.as_ref().is_some_and(|file| !file.is_well_formed()) {
            return Err(QuickAnswerError::BadFile);
        }
        Ok(Self { title, text: text.to_owned(), file })
    }

    /// The file that goes with it.
    pub fn file(&self) -> Option<&AnswerFile> {
        self.file.as_ref()
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// What makes two titles the same one (case, accents and spaces aside): unique per [`Scope`].
    pub fn title_key(&self) -> String {
        fold_for_search(&self.title)
    }

    /// The text with its variables filled in; a value the conversation lacks (a contact saved without a
    /// name) leaves a blank, and the spaces around it are tidied.
    pub fn fill(&self, values: &Values<'_>) -> String {
        let first_name = values.contact_name.split_whitespace().next().unwrap_or_default();
        let mut blank = false;
        let filled: String = pieces(&self.text)
            .unwrap_or_default()
            .into_iter()
            .map(|piece| {
                let value = match piece {
                    Piece::Literal(text) => return text,
                    Piece::Variable(Variable::Name) => values.contact_name.trim(),
                    Piece::Variable(Variable::FirstName) => first_name,
                    Piece::Variable(Variable::Agent) => values.agent_name.trim(),
                    Piece::Variable(Variable::Protocol) => values.protocol.trim(),
                };
                blank |= value.is_empty();
                value
            })
            .collect();
        if !blank {
            return filled;
        }
        // "Olá, {{primeiro_nome}}!" with no name: "Olá!", not "Olá, !".
        filled.replace(", !", "!").replace(", .", ".").replace(" ,", ",").replace("  ", " ")
    }

    /// Whether it is one of those the agent looks for after `/`: every word of `query` begins a word of its
    /// title or text, accents and case aside ("/pix" finds "Chave PIX", "/obrig" finds "Obrigado").
    pub fn matches(&self, query: &str) -> bool {
        let file = self.file.as_ref().map(|f| f.name.as_str()).unwrap_or_default();
        let haystack = fold_for_search(&format!("{} {} {file}", self.title, self.text));
        let words: Vec<&str> =
            haystack.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        fold_for_search(query)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .all(|wanted| words.iter().any(|word| word.starts_with(wanted)))
    }
}

/// Whose an answer is: every team's (kept by admins) or one team's (kept by its agents and the admins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    Global,
    Team(i64),
}

impl Scope {
    /// Whether the agent sees the answer at all (the screen, and reading it through the server functions):
    /// an admin every answer, an agent the global ones and those of their teams. Where the `/` list offers
    /// it is [`Scope::offered_in`].
    pub fn usable_by(self, viewer: &Viewer) -> bool {
        match self {
            Self::Global => true,
            Self::Team(team) => viewer.is_admin() || viewer.teams.contains(&team),
        }
    }

    /// Whether the `/` list offers it in a conversation of `team` (`None`: the shared inbox): the global
    /// answers everywhere; a team's in that team's conversations, and in the shared inbox's to the team's
    /// agents (a conversation there is on its way to one of their teams). One team's answers (its PIX key,
    /// its prices) never reach another team's customers.
    pub fn offered_in(self, viewer: &Viewer, team: Option<i64>) -> bool {
        match (self, team) {
            (Self::Global, _) => true,
            (Self::Team(answer), Some(conversation)) => answer == conversation,
            (Self::Team(_), None) => self.usable_by(viewer),
        }
    }

    /// Who may create, change or delete answers here: admins anywhere, an agent only in their own teams.
    pub fn managed_by(self, viewer: &Viewer) -> bool {
        match self {
            Self::Global => viewer.is_admin(),
            Self::Team(team) => viewer.may_act_for(team),
        }
    }

    /// The team, if it is one team's.
    pub const fn team(self) -> Option<i64> {
        match self {
            Self::Global => None,
            Self::Team(team) => Some(team),
        }
    }
}

/// "Salvar" on the "Respostas rápidas" screen: what the agent typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickAnswerForm {
    pub title: String,
    pub text: String,
    /// The team it is for; `None`: every team.
    pub team: Option<i64>,
    /// "Anexo": the file the upload kept.
    #[serde(default)]
    pub file: Option<AnswerFile>,
}

impl QuickAnswerForm {
    /// The answer, checked, and where it goes; refused if the agent may not keep answers there.
    pub fn validate(&self, viewer: &Viewer) -> Result<(Scope, QuickAnswer), QuickAnswerError> {
        let answer = QuickAnswer::parse_with(&self.title, &self.text, self.file.clone())?;
        let scope = self.team.map_or(Scope::Global, Scope::Team);
        if !scope.managed_by(viewer) {
            return Err(QuickAnswerError::NotAllowed { global: scope == Scope::Global });
        }
        Ok((scope, answer))
    }
}

/// An answer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedQuickAnswer {
    pub id: i64,
    pub scope: Scope,
    pub answer: QuickAnswer,
}

/// The answers offered after `/` in the message box: the draft is `/` and what follows it on one line.
/// `None` when the draft is not such a search (an ordinary message, or one that merely has a slash).
pub fn slash_query(draft: &str) -> Option<&str> {
    let query = draft.strip_prefix('/')?;
    (!query.contains('\n') && query.chars().count() <= TITLE_MAX_CHARS).then_some(query)
}

/// The answers that match `query`, those whose title begins with it first, then by title; at most `limit`.
pub fn suggestions<'a>(
    answers: &'a [SavedQuickAnswer],
    query: &str,
    limit: usize,
) -> Vec<&'a SavedQuickAnswer> {
    let wanted = fold_for_search(query.trim());
    let mut found: Vec<(bool, String, &SavedQuickAnswer)> = answers
        .iter()
        .filter(|saved| saved.answer.matches(query))
        .map(|saved| {
            let title = fold_for_search(saved.answer.title());
            (!title.starts_with(&wanted), title, saved)
        })
        .collect();
    found.sort_by(|a, b| (a.0, &a.1, a.2.id).cmp(&(b.0, &b.1, b.2.id)));
    found.into_iter().take(limit).map(|(_, _, saved)| saved).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_with_known_variables_is_saved_and_filled_from_the_conversation() {
        let answer = QuickAnswer::parse(
            "  Boas-vindas ",
            "Olá, {{primeiro_nome}}! Sou {{ agente }} e seu protocolo é {{PROTOCOLO}}. Até logo, {{nome}}.",
        )
        .expect("saved");
        assert_eq!(answer.title(), "Boas-vindas");
        let values = Values { contact_name: "Maria da Silva", agent_name: "Ana", protocol: "2026-000123" };
        assert_eq!(
            answer.fill(&values),
            "Olá, Maria! Sou Ana e seu protocolo é 2026-000123. Até logo, Maria da Silva."
        );
        let nameless = Values { contact_name: "", ..values };
        assert_eq!(QuickAnswer::parse("Oi", "Olá, {{primeiro_nome}}!").expect("ok").fill(&nameless), "Olá!");
    }

    #[test]
    fn an_unknown_or_unclosed_variable_is_refused_by_its_name() {
        assert_eq!(
            QuickAnswer::parse("Oi", "Olá, {{nme}}!"),
            Err(QuickAnswerError::UnknownVariable { name: "nme".into() })
        );
        let said = QuickAnswer::parse("Oi", "Olá, {{nme}}!").expect_err("refused").to_string();
        assert!(said.starts_with("A variável {{nme}} não existe: use {{nome}}, {{primeiro_nome}}"), "{said}");
        assert_eq!(QuickAnswer::parse("Oi", "Olá, {{nome"), Err(QuickAnswerError::Unclosed));
        assert_eq!(QuickAnswer::parse(" ", "x"), Err(QuickAnswerError::NoTitle));
        assert_eq!(QuickAnswer::parse("t", "  "), Err(QuickAnswerError::NoText));
        assert_eq!(
            QuickAnswer::parse(&"t".repeat(61), "x"),
            Err(QuickAnswerError::TitleTooLong { max: TITLE_MAX_CHARS })
        );
        assert_eq!(
            QuickAnswer::parse("t", &"x".repeat(4097)),
            Err(QuickAnswerError::TextTooLong { max: TEXT_MAX_CHARS })
        );
        // A single brace is text.
        assert!(QuickAnswer::parse("Chaves", "Use {chave} e }} à vontade").is_ok());
    }

    #[test]
    fn the_slash_search_matches_the_start_of_words_without_accents() {
        let pix = QuickAnswer::parse("Chave PIX", "Nossa chave é o CNPJ 12.345.678/0001-90.").expect("ok");
        assert!(pix.matches("pix"));
        assert!(pix.matches("chave cnpj"));
        assert!(pix.matches("nossa"));
        assert!(pix.matches(""));
        assert!(!pix.matches("boleto"));
        assert!(!pix.matches("ix"), "inside a word is not a match");
        let thanks = QuickAnswer::parse("Obrigado", "Agradecemos o contato, {{primeiro_nome}}.").expect("ok");
        assert!(thanks.matches("OBRIG"));
        assert!(thanks.matches("agradeç"));
    }

    fn viewer(role: crate::access::Role, teams: &[i64]) -> Viewer {
        Viewer { agent: 7, name: "Ana".into(), role, teams: teams.to_vec() }
    }

    #[test]
    fn admins_keep_the_global_answers_and_agents_those_of_their_teams() {
        use crate::access::Role;
        let (admin, agent) = (viewer(Role::Admin, &[]), viewer(Role::Agent, &[1]));
        let form = |team| QuickAnswerForm { title: "Oi".into(), text: "Olá!".into(), team, file: None };
        assert_eq!(form(None).validate(&admin).map(|(scope, _)| scope), Ok(Scope::Global));
        assert_eq!(form(Some(2)).validate(&admin).map(|(scope, _)| scope), Ok(Scope::Team(2)));
        assert_eq!(form(Some(1)).validate(&agent).map(|(scope, _)| scope), Ok(Scope::Team(1)));
        assert_eq!(form(None).validate(&agent), Err(QuickAnswerError::NotAllowed { global: true }));
        assert_eq!(form(Some(2)).validate(&agent), Err(QuickAnswerError::NotAllowed { global: false }));
        assert!(QuickAnswerError::NotAllowed { global: true }.to_string().starts_with("Só administradores"));
        // A bad answer is refused for what it is, before who may keep it.
        let bad = QuickAnswerForm { title: "Oi".into(), text: "{{nme}}".into(), team: None, file: None };
        assert_eq!(bad.validate(&agent), Err(QuickAnswerError::UnknownVariable { name: "nme".into() }));
        // Using: the global ones and the agent's teams'; an admin every one.
        assert!(Scope::Global.usable_by(&agent));
        assert!(Scope::Team(1).usable_by(&agent));
        assert!(!Scope::Team(2).usable_by(&agent));
        assert!(Scope::Team(2).usable_by(&admin));
        // Offered after "/": the global ones and the conversation's team's, never another team's.
        assert!(Scope::Global.offered_in(&agent, Some(2)));
        assert!(Scope::Team(1).offered_in(&agent, Some(1)));
        assert!(!Scope::Team(1).offered_in(&admin, Some(2)), "not even to an admin");
        assert!(Scope::Team(1).offered_in(&agent, None), "the shared inbox: the agent's teams'");
        assert!(!Scope::Team(2).offered_in(&agent, None));
    }

    #[test]
    fn the_slash_opens_the_list_and_titles_that_begin_with_the_query_come_first() {
        assert_eq!(slash_query("/pix"), Some("pix"));
        assert_eq!(slash_query("/"), Some(""));
        assert_eq!(slash_query("Olá /pix"), None);
        assert_eq!(slash_query("/pix\nsegunda linha"), None);
        let saved = |id, title: &str, text: &str| SavedQuickAnswer {
            id,
            scope: Scope::Global,
            answer: QuickAnswer::parse(title, text).expect("ok"),
        };
        let answers = [
            saved(1, "Boleto", "Segue o boleto; a chave PIX também serve."),
            saved(2, "Chave PIX", "CNPJ 12.345.678/0001-90"),
            saved(3, "PIX recebido", "Recebemos seu PIX, obrigado!"),
            saved(4, "Horário", "Atendemos das 8h às 18h."),
        ];
        let ids = |query, limit| suggestions(&answers, query, limit).iter().map(|s| s.id).collect::<Vec<_>>();
        assert_eq!(ids("pix", 10), [3, 1, 2]);
        assert_eq!(ids("", 10), [1, 2, 4, 3]);
        assert_eq!(ids("", 2), [1, 2]);
        assert_eq!(ids("horario", 10), [4]);
        assert!(ids("nada", 10).is_empty());
        assert_eq!(answers[2].answer.title_key(), "pix recebido");
    }

    fn pdf() -> AnswerFile {
        AnswerFile { sha256: "a".repeat(64), name: "tabela.pdf".into(), size: 120 * 1024 }
    }

    #[test]
    fn an_answer_may_be_a_file_alone_and_a_file_must_be_one_the_upload_kept() {
        let answer = QuickAnswer::parse_with("Tabela", "  ", Some(pdf())).expect("a file alone");
        assert_eq!((answer.text(), answer.file()), ("", Some(&pdf())));
        assert_eq!(answer.fill(&Values::default()), "");
        assert!(answer.matches("tabela pdf"), "its file's name is searched too");
        assert_eq!(QuickAnswer::parse_with("Tabela", "", None), Err(QuickAnswerError::NoText));
        for bad in [
            AnswerFile { sha256: "xyz".into(), ..pdf() },
            AnswerFile { name: "../etc/passwd".into(), ..pdf() },
            AnswerFile { size: 0, ..pdf() },
        ] {
            assert_eq!(QuickAnswer::parse_with("Tabela", "x", Some(bad)), Err(QuickAnswerError::BadFile));
        }
        let form =
            QuickAnswerForm { title: "T".into(), text: String::new(), team: Some(7), file: Some(pdf()) };
        let agent = Viewer { agent: 2, name: "Bia".into(), role: crate::access::Role::Agent, teams: vec![7] };
        assert_eq!(form.validate(&agent).map(|(_, a)| a.file().cloned()), Ok(Some(pdf())));
    }

    #[test]
    fn a_file_answer_takes_its_text_as_caption_where_the_channel_allows_else_sends_it_after() {
        use crate::channel::ChannelKind::{Instagram, Messenger, WhatsappOfficial, WhatsappUnofficial};
        use crate::outbound_media::FileError;
        let caption = with_file(WhatsappOfficial, &pdf(), " Segue a tabela ", false, u64::MAX).expect("ok");
        assert_eq!((caption.file.caption(), caption.then_text), (Some("Segue a tabela"), None));
        let quoting = with_file(WhatsappUnofficial, &pdf(), "Segue", true, u64::MAX).expect("ok");
        assert_eq!((quoting.file.caption(), quoting.then_text.as_deref()), (None, Some("Segue")));
        for channel in [Messenger, Instagram] {
            let split = with_file(channel, &pdf(), "Segue", false, u64::MAX).expect("ok");
            assert_eq!(
                (split.file.caption(), split.then_text.as_deref()),
                (None, Some("Segue")),
                "{channel:?}"
            );
        }
        let long = "x".repeat(crate::outbound_media::CAPTION_MAX_CHARS + 1);
        let split = with_file(WhatsappOfficial, &pdf(), &long, false, u64::MAX).expect("ok");
        assert_eq!(split.then_text.as_deref(), Some(long.as_str()));
        let audio = AnswerFile { name: "aviso.mp3".into(), ..pdf() };
        let split = with_file(WhatsappOfficial, &audio, "Ouça", false, u64::MAX).expect("ok");
        assert_eq!(split.then_text.as_deref(), Some("Ouça"));
        let alone = with_file(Messenger, &pdf(), "  ", false, u64::MAX).expect("ok");
        assert_eq!((alone.file.name(), alone.then_text), ("tabela.pdf", None));
        // A reply's quote goes on the text: a file alone cannot carry it.
        assert_eq!(with_file(WhatsappOfficial, &pdf(), " ", true, u64::MAX), Err(FileError::ReplyNeedsText));
        // What the channel does not take refuses the whole answer.
        let docx = AnswerFile { name: "contrato.docx".into(), ..pdf() };
        assert!(matches!(
            with_file(Instagram, &docx, "Segue", false, u64::MAX),
            Err(FileError::NotAccepted { .. })
        ));
        let big = AnswerFile { size: 30 * 1024 * 1024, ..pdf() };
        assert!(matches!(with_file(Messenger, &big, "", false, u64::MAX), Err(FileError::TooLarge { .. })));
        assert!(with_file(WhatsappOfficial, &big, "", false, u64::MAX).is_ok());
        assert!(matches!(
            with_file(WhatsappOfficial, &big, "", false, 10 * 1024 * 1024),
            Err(FileError::OverServerLimit { .. })
        ));
    }

    #[test]
    fn a_file_is_kept_with_an_answer_only_if_some_channel_takes_it_and_it_is_what_it_says() {
        use crate::outbound_media::{FileError, OutgoingFile};
        let pdf = b"%PDF-1.7 ...";
        assert_eq!(
            OutgoingFile::for_answer("Tabela 2026.pdf", "application/pdf", 10, pdf, u64::MAX),
            Ok("Tabela 2026.pdf".to_owned())
        );
        assert!(matches!(
            OutgoingFile::for_answer("tabela.pdf", "application/pdf", 10, b"PK\x03\x04", u64::MAX),
            Err(FileError::ContentMismatch { .. })
        ));
        assert!(matches!(
            OutgoingFile::for_answer("vazio.pdf", "application/pdf", 0, b"", u64::MAX),
            Err(FileError::Empty { .. })
        ));
        // A gateway takes any file as a document.
        assert!(OutgoingFile::for_answer("app.zip", "application/zip", 10, b"PK", u64::MAX).is_ok());
        let huge = 101 * 1024 * 1024;
        let said = OutgoingFile::for_answer("filme.pdf", "application/pdf", huge, pdf, u64::MAX)
            .expect_err("over every channel's size")
            .to_string();
        assert_eq!(
            said,
            "“filme.pdf” tem 101,0 MB: nenhum canal aceita arquivos deste tipo com mais de 100,0 MB."
        );
        assert!(matches!(
            OutgoingFile::for_answer(
                "tabela.pdf",
                "application/pdf",
                11 * 1024 * 1024,
                pdf,
                10 * 1024 * 1024
            ),
            Err(FileError::OverServerLimit { .. })
        ));
    }
}
