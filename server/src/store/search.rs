//! "Busca" by message text: candidates from the full-text index (SQLite FTS5; PostgreSQL's 'simple'
//! configuration over the text folded as the domain folds it), in the conversations of the agent's teams.

use super::{corrupt, unavailable, Backend, SqlStore};
use async_trait::async_trait;
use atende_domain::conversation::{ChannelKind, ConversationId};
use atende_domain::ports::{MessageSearches, StoreError};
use atende_domain::search::{FoundMessage, MessageSearch};
use atende_domain::time::Timestamp;
use sqlx::Row;

/// PostgreSQL's index expression (`20261212000003_message_search.sql`): the body lower-cased and without
/// accents, as `atende_domain::contact::fold_for_search` folds it, in the 'simple' configuration.
const PG_DOCUMENT: &str = "to_tsvector('simple'::regconfig, translate(lower(message.body), \
     'áàâãäéèêëíìîïóòôõöúùûüçñ', 'aaaaaeeeeiiiiooooouuuucn'))";

#[async_trait]
impl MessageSearches for SqlStore {
    async fn search_messages(
        &self,
        search: &MessageSearch,
        teams: Option<&[i64]>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<FoundMessage>, StoreError> {
        // On SQLite the order and the bound are the index's own rowid: FTS5 then walks its matches newest first
        // and stops at the limit (ordered by `message.message_id`, it collected every match and sorted them:
        // p50 124 ms at a million messages).
        let (from, matching, query, key) = match self.backend {
            Backend::Sqlite => (
                "message_fts JOIN message ON message.message_id = message_fts.rowid",
                "message_fts MATCH $1".to_owned(),
                search.fts5(),
                "message_fts.rowid",
            ),
            Backend::Postgres => (
                "message",
                format!("{PG_DOCUMENT} @@ to_tsquery('simple'::regconfig, $1)"),
                search.tsquery(),
                "message.message_id",
            ),
        };
        let visible = super::visible_to(teams, 4);
        let sql = format!(
            "SELECT message.message_id, message.conversation_id, message.direction, message.body, \
               message.created_at, conversation.channel, contact.name AS contact_name \
             FROM {from} \
             JOIN conversation ON conversation.conversation_id = message.conversation_id \
             JOIN contact ON contact.contact_id = conversation.contact_id \
             WHERE {matching} AND message.body IS NOT NULL AND {key} < $3{visible} \
             ORDER BY {key} DESC LIMIT $2"
        );
        let mut bound = sqlx::query(&sql).bind(query).bind(i64::from(limit)).bind(before.unwrap_or(i64::MAX));
        for team in teams.unwrap_or_default() {
            bound = bound.bind(*team);
        }
        let rows = bound.fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                let channel: String = row.try_get("channel").map_err(unavailable)?;
                let direction: String = row.try_get("direction").map_err(unavailable)?;
                Ok(FoundMessage {
                    message: row.try_get("message_id").map_err(unavailable)?,
                    conversation: ConversationId(row.try_get("conversation_id").map_err(unavailable)?),
                    contact_name: row.try_get("contact_name").map_err(unavailable)?,
                    channel: ChannelKind::from_code(&channel).ok_or_else(|| corrupt("channel", &channel))?,
                    inbound: direction == "in",
                    written_at: Timestamp::from_millis(row.try_get("created_at").map_err(unavailable)?),
                    body: row.try_get("body").map_err(unavailable)?,
                })
            })
            .collect()
    }
}
