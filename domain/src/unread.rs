//! "Notificações" (issue #19): what an agent has not seen yet, and when the console rings. An agent is told of
//! a contact's new messages in the conversations they may answer: theirs ("Meus") and those nobody has taken
//! yet in their teams ("Não atribuídos") — not another agent's, not a concluded one. A note that names them
//! (`@Ana`) tells them too, in any conversation they may see. Opening a conversation marks it seen.

use crate::conversation::{AgentId, Assignee, ConversationId, ConversationStatus, Queue};
use serde::{Deserialize, Serialize};

/// Whether the contact's new messages in a conversation (in `status`, answered by `assignee`) ring for `me`.
pub fn rings_for(status: ConversationStatus, assignee: Assignee, me: AgentId) -> bool {
    matches!(Queue::of(status, assignee, me), Queue::Mine | Queue::Unassigned)
}

/// What the agent has not seen of one conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unseen {
    pub conversation: ConversationId,
    /// Where it is listed for the agent ("Meus" or "Não atribuídos"; another's, when only a mention counts).
    pub queue: Queue,
    pub contact_name: String,
    /// The contact's messages since the agent last opened it (only where it [`rings_for`] them).
    pub messages: u32,
    /// Notes naming the agent since then.
    pub mentions: u32,
    /// The newest of them, as the notification shows it.
    pub last: Option<String>,
}

/// A conversation as the store found it for one agent, before the rule: how many of the contact's messages
/// and which notes (the agents each names) came after the agent last opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnseenFacts {
    pub conversation: ConversationId,
    pub status: ConversationStatus,
    pub assignee: Assignee,
    pub contact_name: String,
    pub messages: u32,
    pub last_message: Option<String>,
    /// Each note's mentions and text, oldest first.
    pub notes: Vec<(Vec<AgentId>, String)>,
}

/// What `me` is told of, from the facts: the conversations with something unseen, in the order given.
pub fn unseen(facts: Vec<UnseenFacts>, me: AgentId) -> Vec<Unseen> {
    facts
        .into_iter()
        .filter(|fact| fact.status != ConversationStatus::Concluded)
        .filter_map(|fact| {
            let messages = if rings_for(fact.status, fact.assignee, me) { fact.messages } else { 0 };
            let naming: Vec<&String> =
                fact.notes.iter().filter(|(named, _)| named.contains(&me)).map(|(_, text)| text).collect();
            let mentions = u32::try_from(naming.len()).unwrap_or(u32::MAX);
            if messages == 0 && mentions == 0 {
                return None;
            }
            let last = match naming.last() {
                Some(text) => Some(format!("Mencionou você: {text}")),
                None => fact.last_message,
            };
            Some(Unseen {
                conversation: fact.conversation,
                queue: Queue::of(fact.status, fact.assignee, me),
                contact_name: fact.contact_name,
                messages,
                mentions,
                last,
            })
        })
        .collect()
}

/// How many conversations of a tab have something unseen ("Meus 3").
pub fn tab_count(all: &[Unseen], queue: Queue) -> usize {
    all.iter().filter(|unseen| unseen.queue == queue).count()
}

/// The page's title: "(3) Atende" while three conversations wait to be seen.
pub fn page_title(all: &[Unseen]) -> String {
    match all.len() {
        0 => "Atende".to_owned(),
        n => format!("({n}) Atende"),
    }
}

/// Something to ring for: a conversation with more unseen than at the last reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub conversation: ConversationId,
    pub title: String,
    pub body: String,
}

/// What arrived between two readings: each conversation whose unseen messages or mentions went up (a first
/// reading, as the console opens, rings for nothing: the counts show what was waiting).
pub fn notices(before: Option<&[Unseen]>, after: &[Unseen]) -> Vec<Notice> {
    let Some(before) = before else { return Vec::new() };
    after
        .iter()
        .filter(|now| {
            before
                .iter()
                .find(|was| was.conversation == now.conversation)
                .is_none_or(|was| now.messages > was.messages || now.mentions > was.mentions)
        })
        .map(|now| Notice {
            conversation: now.conversation,
            title: if now.mentions > before_mentions(before, now.conversation) {
                format!("{} · você foi mencionado", now.contact_name)
            } else {
                now.contact_name.clone()
            },
            body: now.last.clone().unwrap_or_default(),
        })
        .collect()
}

fn before_mentions(before: &[Unseen], conversation: ConversationId) -> u32 {
    before.iter().find(|was| was.conversation == conversation).map_or(0, |was| was.mentions)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: AgentId = AgentId(7);

    fn fact(id: i64, assignee: Assignee, messages: u32, notes: Vec<(Vec<AgentId>, &str)>) -> UnseenFacts {
        UnseenFacts {
            conversation: ConversationId(id),
            status: ConversationStatus::Open,
            assignee,
            contact_name: format!("Contato {id}"),
            messages,
            last_message: (messages > 0).then(|| format!("mensagem de {id}")),
            notes: notes.into_iter().map(|(named, text)| (named, text.to_owned())).collect(),
        }
    }

    #[test]
    fn messages_ring_in_my_conversations_and_nobodys_but_not_in_another_agents_nor_a_concluded_one() {
        assert!(rings_for(ConversationStatus::Open, Assignee::Agent(ME), ME));
        assert!(rings_for(ConversationStatus::WaitingForContact, Assignee::Unassigned, ME));
        assert!(!rings_for(ConversationStatus::Open, Assignee::Agent(AgentId(8)), ME));
        assert!(!rings_for(ConversationStatus::Concluded, Assignee::Agent(ME), ME));

        let mut concluded = fact(4, Assignee::Agent(ME), 2, vec![]);
        concluded.status = ConversationStatus::Concluded;
        let found = unseen(
            vec![
                fact(1, Assignee::Agent(ME), 2, vec![]),
                fact(2, Assignee::Unassigned, 1, vec![]),
                fact(3, Assignee::Agent(AgentId(8)), 5, vec![]),
                concluded,
                fact(5, Assignee::Agent(ME), 0, vec![]),
            ],
            ME,
        );
        let counts: Vec<_> = found.iter().map(|u| (u.conversation.0, u.queue, u.messages)).collect();
        assert_eq!(counts, [(1, Queue::Mine, 2), (2, Queue::Unassigned, 1)]);
        assert_eq!(tab_count(&found, Queue::Mine), 1);
        assert_eq!(tab_count(&found, Queue::Unassigned), 1);
        assert_eq!(page_title(&found), "(2) Atende");
        assert_eq!(page_title(&[]), "Atende");
    }

    #[test]
    fn a_note_naming_me_counts_even_in_another_agents_conversation_and_a_note_naming_others_does_not() {
        let found = unseen(
            vec![
                fact(3, Assignee::Agent(AgentId(8)), 5, vec![(vec![ME], "@Ana confere o boleto?")]),
                fact(1, Assignee::Agent(ME), 0, vec![(vec![AgentId(9)], "@Bia veja isto")]),
            ],
            ME,
        );
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].messages, found[0].mentions), (0, 1), "another's messages never ring for me");
        assert_eq!(found[0].queue, Queue::Others);
        assert_eq!(found[0].last.as_deref(), Some("Mencionou você: @Ana confere o boleto?"));
    }

    #[test]
    fn only_what_went_up_since_the_last_reading_rings_and_the_first_reading_rings_for_nothing() {
        let first = unseen(vec![fact(1, Assignee::Agent(ME), 1, vec![])], ME);
        assert!(
            notices(None, &first).is_empty(),
            "what was waiting as the console opened is counted, not rung"
        );
        let same = first.clone();
        assert!(notices(Some(&first), &same).is_empty());
        let more = unseen(
            vec![fact(1, Assignee::Agent(ME), 2, vec![]), fact(2, Assignee::Unassigned, 1, vec![])],
            ME,
        );
        let rung = notices(Some(&first), &more);
        assert_eq!(
            rung,
            [
                Notice {
                    conversation: ConversationId(1),
                    title: "Contato 1".into(),
                    body: "mensagem de 1".into()
                },
                Notice {
                    conversation: ConversationId(2),
                    title: "Contato 2".into(),
                    body: "mensagem de 2".into()
                },
            ]
        );
        // Seen (opened): gone from the list, and nothing rings for a count that went down.
        let seen = unseen(vec![fact(2, Assignee::Unassigned, 1, vec![])], ME);
        assert!(notices(Some(&more), &seen).is_empty());
        let named = unseen(vec![fact(2, Assignee::Unassigned, 1, vec![(vec![ME], "@Ana")])], ME);
        assert_eq!(notices(Some(&seen), &named)[0].title, "Contato 2 · você foi mencionado");
    }
}
