//! "Nota interna" (issue #19): a note in a conversation that is never sent to the contact. Seen by everyone
//! who may see the conversation; an `@Nome` names an agent who may answer it. A note is not a message: it
//! never touches the window, the queue or the price, and it may be written whatever the window says (closed,
//! concluded, waiting for the contact).

use crate::contact::fold_for_search;
use crate::conversation::AgentId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest note.
pub const NOTE_MAX_CHARS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum NoteError {
    #[error("Escreva a nota interna.")]
    Empty,
    #[error("A nota interna pode ter no máximo {max} caracteres.")]
    TooLong { max: usize },
}

/// A note's text, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteText(String);

impl NoteText {
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(NoteError::Empty);
        }
        if text.chars().count() > NOTE_MAX_CHARS {
            return Err(NoteError::TooLong { max: NOTE_MAX_CHARS });
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The agents named with `@` and their name as saved (case and accents aside), among `agents` (those
    /// who may see the conversation), in the order they are first named. The longest name wins where one
    /// begins another ("@Ana Paula" names Ana Paula, not Ana); a name must end there ("@Anabela" is not
    /// "@Ana").
    pub fn mentions(&self, agents: &[(AgentId, String)]) -> Vec<AgentId> {
        let text: Vec<char> = fold_for_search(&self.0).chars().collect();
        let mut by_length: Vec<(AgentId, Vec<char>)> = agents
            .iter()
            .map(|(id, name)| (*id, fold_for_search(name.trim()).chars().collect::<Vec<char>>()))
            .filter(|(_, name)| !name.is_empty())
            .collect();
        by_length.sort_by_key(|(_, name)| std::cmp::Reverse(name.len()));
        // Where each `@` is, and whom it names (the longest name that fits).
        let mut named: Vec<(usize, AgentId)> = Vec::new();
        // An `@` inside a word is an e-mail's, not a mention.
        for at in (0..text.len()).filter(|&i| text[i] == '@' && (i == 0 || !text[i - 1].is_alphanumeric())) {
            let rest = &text[at + 1..];
            let fits = |name: &[char]| {
                rest.starts_with(name) && rest.get(name.len()).is_none_or(|next| !next.is_alphanumeric())
            };
            if let Some((id, _)) = by_length.iter().find(|(_, name)| fits(name)) {
                named.push((at, *id));
            }
        }
        let mut mentioned: Vec<AgentId> = Vec::new();
        for (_, id) in named {
            if !mentioned.contains(&id) {
                mentioned.push(id);
            }
        }
        mentioned
    }
}

/// A note as the conversation shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteView {
    pub id: i64,
    /// Who wrote it (`None` if that agent was removed).
    pub author: Option<String>,
    pub text: String,
    /// The agents it names, by name.
    pub mentions: Vec<String>,
    pub written_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_checked_and_tidied() {
        assert_eq!(
            NoteText::parse("  Cliente pediu 2ª via  ").map(|n| n.as_str().to_owned()),
            Ok("Cliente pediu 2ª via".into())
        );
        assert_eq!(NoteText::parse(" \n "), Err(NoteError::Empty));
        assert_eq!(NoteText::parse(&"x".repeat(4097)), Err(NoteError::TooLong { max: NOTE_MAX_CHARS }));
        assert!(NoteText::parse(&"ç".repeat(4096)).is_ok(), "characters, not bytes");
    }

    #[test]
    fn an_at_names_the_agents_who_may_see_the_conversation_longest_name_first() {
        let agents = [
            (AgentId(1), "Ana".to_owned()),
            (AgentId(2), "Ana Paula".to_owned()),
            (AgentId(3), "João Vítor".to_owned()),
            (AgentId(4), " ".to_owned()),
        ];
        let mentions = |text: &str| NoteText::parse(text).expect("note").mentions(&agents);
        assert_eq!(
            mentions("@ana paula, veja; @JOAO VITOR também. @Ana"),
            [AgentId(2), AgentId(3), AgentId(1)]
        );
        assert_eq!(mentions("@Ana, @ana e @Ana."), [AgentId(1)], "once each");
        assert!(mentions("@Anabela não é agente; ana@empresa.com nem paulo@ana.com; @").is_empty());
        assert_eq!(mentions("(cc @João Vítor)"), [AgentId(3)]);
        assert!(mentions("sem menção").is_empty());
    }
}
