//! "Respostas rápidas" (issue #19): saved answers an agent inserts by typing `/` in the message box. An answer
//! has a title and a text with variables filled from the conversation (`{{nome}}`, `{{primeiro_nome}}`,
//! `{{agente}}`, `{{protocolo}}`); an unknown variable is refused by its name when the answer is saved, so an
//! agent never sends "{{nme}}" to a customer. What the agent inserts is then an ordinary message: the window,
//! queue and price rules apply to it as to anything typed.

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
}

/// A saved answer, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickAnswer {
    title: String,
    text: String,
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
    pub fn parse(title: &str, text: &str) -> Result<Self, QuickAnswerError> {
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.is_empty() {
            return Err(QuickAnswerError::NoTitle);
        }
        if title.chars().count() > TITLE_MAX_CHARS {
            return Err(QuickAnswerError::TitleTooLong { max: TITLE_MAX_CHARS });
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(QuickAnswerError::NoText);
        }
        if text.chars().count() > TEXT_MAX_CHARS {
            return Err(QuickAnswerError::TextTooLong { max: TEXT_MAX_CHARS });
        }
        pieces(text)?;
        Ok(Self { title, text: text.to_owned() })
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn text(&self) -> &str {
        &self.text
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
        let haystack = fold_for_search(&format!("{} {}", self.title, self.text));
        let words: Vec<&str> =
            haystack.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        fold_for_search(query)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .all(|wanted| words.iter().any(|word| word.starts_with(wanted)))
    }
}

/// A conversation's protocol number, as Brazilian customers ask for it: the year it began and its sequence
/// in that year ("2026-000123"), unique per deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Protocol {
    pub year: u16,
    pub number: u32,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:06}", self.year, self.number)
    }
}

impl Protocol {
    /// A protocol as an agent or customer types it: "2026-000123", "2026-123", or with spaces, a slash or a
    /// dot for the dash.
    pub fn parse(input: &str) -> Option<Self> {
        let (year, number) = input.trim().split_once(['-', '/', '.', ' '])?;
        let year: u16 = year.trim().parse().ok().filter(|y| (2000..=2999).contains(y))?;
        let number: u32 = number.trim().parse().ok().filter(|n| *n > 0)?;
        Some(Self { year, number })
    }

    /// The protocol after `last` (the year's latest so far, if any) for a conversation begun in `year`.
    pub fn next(last: Option<Self>, year: u16) -> Self {
        match last {
            Some(last) if last.year == year => Self { year, number: last.number + 1 },
            _ => Self { year, number: 1 },
        }
    }
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

    #[test]
    fn a_protocol_is_the_year_and_its_sequence() {
        let first = Protocol::next(None, 2026);
        assert_eq!(first.to_string(), "2026-000001");
        let later = Protocol::next(Some(Protocol { year: 2026, number: 122 }), 2026);
        assert_eq!(later.to_string(), "2026-000123");
        assert_eq!(Protocol::next(Some(later), 2027).to_string(), "2027-000001");
        assert_eq!(Protocol::parse("2026-000123"), Some(later));
        assert_eq!(Protocol::parse(" 2026/123 "), Some(later));
        assert_eq!(Protocol::parse("2026-0"), None);
        assert_eq!(Protocol::parse("123"), None);
        assert_eq!(Protocol { year: 2026, number: 1_234_567 }.to_string(), "2026-1234567");
    }
}
