//! "Notificações": what each agent last saw of each conversation, and what came after it.

use super::{unavailable, SqlStore};
use async_trait::async_trait;
use atende_domain::conversation::{AgentId, Assignee, ConversationId, ConversationStatus};
use atende_domain::ports::{Seen, StoreError};
use atende_domain::time::Timestamp;
use atende_domain::unread::UnseenFacts;
use sqlx::Row;
use std::collections::HashMap;

/// Narrows notes to those whose mentions (a JSON array of ids, "[3,7]", as the store writes it) name the agent
/// bound as `$1`, on both databases; the domain still decides what counts.
const NAMES_AGENT: &str =
    "(',' || REPLACE(REPLACE(note.mentions, '[', ''), ']', '') || ',') LIKE ('%,' || CAST($1 AS TEXT) || ',%')";

#[async_trait]
impl Seen for SqlStore {
    async fn mark_seen(
        &self,
        agent: AgentId,
        conversation: ConversationId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        // Read first, on the readers: a conversation opened again with nothing new (every live refresh of an
        // open conversation) writes nothing and never waits for SQLite's one writer.
        let newest =
            "COALESCE((SELECT MAX(message_id) FROM message WHERE conversation_id = $2), 0) AS message_id, \
             COALESCE((SELECT MAX(note_id) FROM conversation_note WHERE conversation_id = $2), 0) AS note_id";
        let row = sqlx::query(&format!(
            "SELECT {newest}, (SELECT message_id FROM conversation_seen WHERE agent_id = $1 AND conversation_id = $2) \
               AS seen_message, (SELECT note_id FROM conversation_seen WHERE agent_id = $1 AND conversation_id = $2) \
               AS seen_note"
        ))
        .bind(agent.0)
        .bind(conversation.0)
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?;
        let (message, note): (i64, i64) =
            (row.try_get("message_id").map_err(unavailable)?, row.try_get("note_id").map_err(unavailable)?);
        let seen: (Option<i64>, Option<i64>) = (
            row.try_get("seen_message").map_err(unavailable)?,
            row.try_get("seen_note").map_err(unavailable)?,
        );
        if seen.0.is_some_and(|m| m >= message) && seen.1.is_some_and(|n| n >= note) {
            return Ok(());
        }
        // `WHERE 1 = 1` tells SQLite's parser the SELECT ends before ON CONFLICT; two views that overlap never
        // move the mark back.
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO conversation_seen (agent_id, conversation_id, message_id, note_id, seen_at) \
             SELECT $1, $2, $3, $4, $5 WHERE 1 = 1 \
             ON CONFLICT (agent_id, conversation_id) DO UPDATE SET \
               message_id = CASE WHEN excluded.message_id > conversation_seen.message_id \
                 THEN excluded.message_id ELSE conversation_seen.message_id END, \
               note_id = CASE WHEN excluded.note_id > conversation_seen.note_id \
                 THEN excluded.note_id ELSE conversation_seen.note_id END, \
               seen_at = excluded.seen_at",
        )
        .bind(agent.0)
        .bind(conversation.0)
        .bind(message)
        .bind(note)
        .bind(now.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.commit(tx).await
    }

    async fn unseen_facts(
        &self,
        agent: AgentId,
        teams: Option<&[i64]>,
    ) -> Result<Vec<UnseenFacts>, StoreError> {
        // Narrowed to what the domain may count (not concluded, the agent's or nobody's, or with a note since):
        // the rule itself is `atende_domain::unread::unseen`, applied to every row.
        let visible = super::visible_to(teams, 2);
        let sql = format!(
            "SELECT conversation.conversation_id, conversation.status, conversation.assignee_id, \
               contact.name AS contact_name, conversation.last_message, COALESCE(seen.note_id, 0) AS seen_note, \
               (SELECT COUNT(*) FROM message WHERE message.conversation_id = conversation.conversation_id \
                  AND message.direction = 'in' AND message.message_id > COALESCE(seen.message_id, 0)) AS unseen \
             FROM conversation JOIN contact ON contact.contact_id = conversation.contact_id \
             LEFT JOIN conversation_seen seen ON seen.conversation_id = conversation.conversation_id \
               AND seen.agent_id = $1 \
             WHERE conversation.status <> 'concluded'{visible} \
               AND (conversation.assignee_id = $1 OR conversation.assignee_id IS NULL OR EXISTS ( \
                 SELECT 1 FROM conversation_note note WHERE note.conversation_id = conversation.conversation_id \
                   AND note.note_id > COALESCE(seen.note_id, 0) AND {NAMES_AGENT})) \
             ORDER BY conversation.updated_at DESC, conversation.conversation_id DESC LIMIT 500"
        );
        let mut query = sqlx::query(&sql).bind(agent.0);
        for team in teams.unwrap_or_default() {
            query = query.bind(*team);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        let mut notes = self.named_notes_after_seen(agent, teams).await?;
        let mut facts = Vec::with_capacity(rows.len());
        for row in &rows {
            let status: String = row.try_get("status").map_err(unavailable)?;
            let conversation = ConversationId(row.try_get("conversation_id").map_err(unavailable)?);
            let unseen: i64 = row.try_get("unseen").map_err(unavailable)?;
            facts.push(UnseenFacts {
                conversation,
                status: ConversationStatus::from_code(&status)
                    .ok_or_else(|| super::corrupt("status", &status))?,
                assignee: row
                    .try_get::<Option<i64>, _>("assignee_id")
                    .map_err(unavailable)?
                    .map_or(Assignee::Unassigned, |agent| Assignee::Agent(AgentId(agent))),
                contact_name: row.try_get("contact_name").map_err(unavailable)?,
                messages: u32::try_from(unseen).unwrap_or(u32::MAX),
                last_message: row.try_get("last_message").map_err(unavailable)?,
                notes: notes.remove(&conversation).unwrap_or_default(),
            });
        }
        Ok(facts)
    }
}

impl SqlStore {
    /// The notes that name someone, written after `agent` last opened their conversation (not concluded,
    /// of `teams` or none): whom each names and what it says, oldest first, by conversation.
    async fn named_notes_after_seen(
        &self,
        agent: AgentId,
        teams: Option<&[i64]>,
    ) -> Result<HashMap<ConversationId, Vec<(Vec<AgentId>, String)>>, StoreError> {
        let visible = super::visible_to(teams, 2);
        let sql = format!(
            "SELECT note.conversation_id, note.mentions, note.body FROM conversation_note note \
             JOIN conversation ON conversation.conversation_id = note.conversation_id \
             LEFT JOIN conversation_seen seen ON seen.conversation_id = note.conversation_id \
               AND seen.agent_id = $1 \
             WHERE conversation.status <> 'concluded'{visible} AND note.note_id > COALESCE(seen.note_id, 0) \
               AND {NAMES_AGENT} ORDER BY note.note_id"
        );
        let mut query = sqlx::query(&sql).bind(agent.0);
        for team in teams.unwrap_or_default() {
            query = query.bind(*team);
        }
        let mut by_conversation: HashMap<ConversationId, Vec<(Vec<AgentId>, String)>> = HashMap::new();
        for row in query.fetch_all(&self.pool).await.map_err(unavailable)? {
            let mentions: String = row.try_get("mentions").map_err(unavailable)?;
            let ids: Vec<i64> =
                serde_json::from_str(&mentions).map_err(|_| super::corrupt("note mentions", &mentions))?;
            by_conversation
                .entry(ConversationId(row.try_get("conversation_id").map_err(unavailable)?))
                .or_default()
                .push((ids.into_iter().map(AgentId).collect(), row.try_get("body").map_err(unavailable)?));
        }
        Ok(by_conversation)
    }
}
