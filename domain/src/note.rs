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

/// The `@` being typed at the end of a note's draft, for its list of agents: where the `@` is (a byte index)
/// and what follows it (`@ana p` → "ana p"); `None` when the draft does not end in one (an `@` inside a word is
/// an e-mail's; a line break or more than [`MENTION_QUERY_MAX`] characters after it end it).
pub fn mention_query(draft: &str) -> Option<(usize, &str)> {
    let (at, _) = draft.char_indices().rev().find(|&(_, c)| c == '@')?;
    let before = draft[..at].chars().next_back();
    if before.is_some_and(char::is_alphanumeric) {
        return None;
    }
    let query = &draft[at + 1..];
    if query.contains('\n') || query.chars().count() > MENTION_QUERY_MAX || query.starts_with(' ') {
        return None;
    }
    Some((at, query))
}

/// The longest name typed after an `@` that the list still follows.
pub const MENTION_QUERY_MAX: usize = 40;

/// The agents the list offers for `query` (case and accents aside): those whose name, or a word of it,
/// begins with it, by name, at most `limit`. A space typed after a whole name ends the list ("@Ana " offers
/// "Ana Paula", not "Ana").
pub fn mention_suggestions<'a>(
    agents: &'a [(AgentId, String)],
    query: &str,
    limit: usize,
) -> Vec<&'a (AgentId, String)> {
    // Folding drops a trailing space; it is kept here, where it says the name was typed whole.
    let mut query_folded = fold_for_search(query);
    if query.ends_with(char::is_whitespace) && !query_folded.is_empty() {
        query_folded.push(' ');
    }
    let query = query_folded;
    let mut found: Vec<&(AgentId, String)> = agents
        .iter()
        .filter(|(_, name)| {
            let name = fold_for_search(name.trim());
            !name.is_empty()
                && (name.starts_with(&query) || name.split(' ').any(|word| word.starts_with(&query)))
        })
        .collect();
    found.sort_by(|a, b| fold_for_search(&a.1).cmp(&fold_for_search(&b.1)).then(a.0.cmp(&b.0)));
    found.truncate(limit);
    found
}

/// The draft with the `@` at `at` completed to `name` and a space after it, ready for the rest of the note.
pub fn complete_mention(draft: &str, at: usize, name: &str) -> String {
    format!("{}@{} ", &draft[..at.min(draft.len())], name.trim())
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
    fn the_at_being_typed_opens_the_list_and_a_choice_completes_it() {
        assert_eq!(mention_query("Oi @an"), Some((3, "an")));
        assert_eq!(mention_query("@"), Some((0, "")));
        assert_eq!(mention_query("veja @Ana P"), Some((5, "Ana P")), "names have spaces");
        assert_eq!(mention_query("ana@empresa"), None, "an e-mail's");
        assert_eq!(mention_query("@ana\ntudo certo"), None, "the line ended it");
        assert_eq!(mention_query("@ ana"), None);
        assert_eq!(mention_query("sem arroba"), None);
        assert_eq!(mention_query(&format!("@{}", "a".repeat(41))), None);
        assert_eq!(complete_mention("Oi @an", 3, "Ana Paula"), "Oi @Ana Paula ");
        let note = NoteText::parse(&complete_mention("Veja @jo", 5, "João Vítor")).expect("note");
        assert_eq!(note.mentions(&[(AgentId(3), "João Vítor".to_owned())]), [AgentId(3)]);
    }

    #[test]
    fn the_list_offers_names_or_words_that_begin_with_what_was_typed() {
        let agents = [
            (AgentId(1), "Ana".to_owned()),
            (AgentId(2), "Paula Ana".to_owned()),
            (AgentId(3), "João Vítor".to_owned()),
            (AgentId(4), "Anabela".to_owned()),
        ];
        let names = |query: &str, limit| {
            mention_suggestions(&agents, query, limit)
                .into_iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(names("an", 8), ["Ana", "Anabela", "Paula Ana"]);
        assert_eq!(names("VIT", 8), ["João Vítor"], "accents and case aside");
        assert_eq!(names("", 2), ["Ana", "Anabela"], "everyone, at most the limit");
        assert!(names("zé", 8).is_empty());
        assert_eq!(names("ana ", 8), Vec::<&str>::new(), "a whole name and a space: the list is done");
        assert_eq!(names("paula a", 8), ["Paula Ana"]);
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
