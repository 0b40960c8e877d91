//! "Nota interna": notes kept beside a conversation's messages, never among them.

use super::{placeholders, unavailable, SqlStore};
use async_trait::async_trait;
use atende_domain::conversation::{AgentId, ConversationId};
use atende_domain::note::{NoteText, NoteView};
use atende_domain::ports::{Notes, StoreError};
use atende_domain::time::Timestamp;
use sqlx::Row;
use std::collections::HashMap;

impl SqlStore {
    /// The conversation's notes (only `only` when given), oldest first, with their authors' and mentioned
    /// agents' names.
    async fn read_notes(
        &self,
        conversation: ConversationId,
        only: Option<i64>,
    ) -> Result<Vec<NoteView>, StoreError> {
        let rows = sqlx::query(
            "SELECT conversation_note.note_id, conversation_note.body, conversation_note.mentions, \
             conversation_note.created_at, agent.name AS author FROM conversation_note \
             LEFT JOIN agent ON agent.agent_id = conversation_note.agent_id \
             WHERE conversation_note.conversation_id = $1 AND ($2 IS NULL OR conversation_note.note_id = $2) \
             ORDER BY conversation_note.note_id",
        )
        .bind(conversation.0)
        .bind(only)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let mut notes = Vec::with_capacity(rows.len());
        let mut mentioned: Vec<Vec<i64>> = Vec::with_capacity(rows.len());
        for row in &rows {
            let ids: String = row.try_get("mentions").map_err(unavailable)?;
            mentioned.push(serde_json::from_str(&ids).map_err(|_| super::corrupt("note mentions", &ids))?);
            notes.push(NoteView {
                id: row.try_get("note_id").map_err(unavailable)?,
                author: row.try_get("author").map_err(unavailable)?,
                text: row.try_get("body").map_err(unavailable)?,
                mentions: Vec::new(),
                written_at: Timestamp::from_millis(row.try_get("created_at").map_err(unavailable)?),
            });
        }
        let mut all: Vec<i64> = mentioned.iter().flatten().copied().collect();
        all.sort_unstable();
        all.dedup();
        if all.is_empty() {
            return Ok(notes);
        }
        let sql =
            format!("SELECT agent_id, name FROM agent WHERE agent_id IN ({})", placeholders(1, all.len()));
        let mut query = sqlx::query(&sql);
        for id in &all {
            query = query.bind(*id);
        }
        let names: HashMap<i64, String> = query
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .iter()
            .map(|row| Ok((row.try_get("agent_id")?, row.try_get("name")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(unavailable)?;
        for (note, ids) in notes.iter_mut().zip(mentioned) {
            note.mentions = ids.iter().filter_map(|id| names.get(id).cloned()).collect();
        }
        Ok(notes)
    }
}

impl SqlStore {
    /// Keeps a note inside `tx` (a note alone, or with a transfer); its id, `None` if the conversation does
    /// not exist.
    pub(super) async fn note_on(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        conversation: ConversationId,
        author: AgentId,
        text: &NoteText,
        mentions: &[AgentId],
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        let ids: Vec<i64> = mentions.iter().map(|agent| agent.0).collect();
        let row = sqlx::query(
            "INSERT INTO conversation_note (conversation_id, agent_id, body, mentions, created_at) \
             SELECT conversation_id, $2, $3, $4, $5 FROM conversation WHERE conversation_id = $1 \
             RETURNING note_id",
        )
        .bind(conversation.0)
        .bind(author.0)
        .bind(text.as_str())
        .bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
        .bind(now.as_millis())
        .fetch_optional(&mut **tx)
        .await
        .map_err(unavailable)?;
        row.map(|row| row.try_get("note_id")).transpose().map_err(unavailable)
    }
}

#[async_trait]
impl Notes for SqlStore {
    async fn add_note(
        &self,
        conversation: ConversationId,
        author: AgentId,
        text: &NoteText,
        mentions: &[AgentId],
        now: Timestamp,
    ) -> Result<NoteView, StoreError> {
        let mut tx = self.write_tx().await?;
        let id = Self::note_on(&mut tx, conversation, author, text, mentions, now)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.commit(tx).await?;
        self.read_notes(conversation, Some(id)).await?.pop().ok_or(StoreError::NotFound)
    }

    async fn notes(&self, conversation: ConversationId) -> Result<Vec<NoteView>, StoreError> {
        self.read_notes(conversation, None).await
    }
}
