//! "Busca" by message text: candidates from the full-text index (SQLite FTS5; PostgreSQL's 'simple'
//! configuration over the text folded as the domain folds it), in the conversations of the agent's teams.

use super::{corrupt, unavailable, Backend, SqlStore};
use async_trait::async_trait;
use atende_domain::conversation::{ChannelKind, ConversationId};
use atende_domain::ports::{MessageSearches, StoreError};
use atende_domain::search::{FoundMessage, MessageSearch};
use atende_domain::time::Timestamp;
use sqlx::Row;

/// On PostgreSQL, the newest messages tested one by one before the index is asked: first these many, then (if
/// they held some matches but not enough) up to the second (see [`SqlStore::search_messages`]).
const NEWEST: [i64; 2] = [2_000, 10_000];

/// How one reading of the messages finds its matches.
struct Reading {
    /// The tables read.
    from: &'static str,
    /// The condition a message matching the search ($1) meets.
    matching: &'static str,
    /// The messages' order and bound, newest first.
    key: &'static str,
    /// What the rows are sorted by (on PostgreSQL's index reading, `key + 0`: then no index gives the order).
    order: &'static str,
}

const FTS5: Reading = Reading {
    from: "message_fts JOIN message ON message.message_id = message_fts.rowid",
    matching: "message_fts MATCH $1",
    key: "message_fts.rowid",
    order: "message_fts.rowid",
};

/// Each message tested: `ts_match_vq` is `@@` under a name no index serves, so the plan is a walk down the
/// primary key that stops at the limit.
const PG_WALK: Reading = Reading {
    from: "message",
    matching: "ts_match_vq(message.search_document, to_tsquery('simple'::regconfig, $1))",
    key: "message.message_id",
    order: "message.message_id",
};

/// The matches from the GIN index of the words (`20261216000001_message_search_document.sql`), sorted.
const PG_INDEX: Reading = Reading {
    from: "message",
    matching: "message.search_document @@ to_tsquery('simple'::regconfig, $1)",
    key: "message.message_id",
    order: "message.message_id + 0",
};

#[async_trait]
impl MessageSearches for SqlStore {
    /// On SQLite the order and the bound are the index's own rowid: FTS5 walks its matches newest first and
    /// stops at the limit (ordered by `message.message_id`, it collected every match and sorted them: p50
    /// 124 ms at a million messages).
    ///
    /// PostgreSQL's planner cannot tell how many messages a prefix query matches (it guesses 2% for any), so
    /// it chose one plan for all: a walk down the newest messages, which for a word nobody wrote read the
    /// million (p99 15 s), or else every match of the index, sorted (128,000 for a common word: 200 ms). The
    /// store chooses instead, with a bound on each: first the newest 2,000 messages below `before`, each
    /// tested ([`NEWEST`]); if some matched but not `limit`, the next 8,000. When those did not hold `limit`
    /// matches the words are rare (none in 2,000, or fewer than `limit` in 10,000) and the rest come from the
    /// index, where they are few. A walk costs about a third of what a match read from the index costs, so
    /// neither reads much more than the other would have.
    async fn search_messages(
        &self,
        search: &MessageSearch,
        teams: Option<&[i64]>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<FoundMessage>, StoreError> {
        let below = before.unwrap_or(i64::MAX);
        match self.backend {
            Backend::Sqlite => {
                self.read_matches(&FTS5, &search.fts5(), teams, (i64::MIN, below), limit).await
            }
            Backend::Postgres => {
                let query = search.tsquery();
                let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(message_id) FROM message")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(unavailable)?;
                let top = below.min(newest.unwrap_or(0).saturating_add(1));
                let wanted = |found: &Vec<FoundMessage>| {
                    limit.saturating_sub(u32::try_from(found.len()).unwrap_or(u32::MAX))
                };
                let mut walked = top.saturating_sub(NEWEST[0]);
                let mut found = self.read_matches(&PG_WALK, &query, teams, (walked, top), limit).await?;
                if !found.is_empty() && wanted(&found) > 0 {
                    let next = top.saturating_sub(NEWEST[1]);
                    let more =
                        self.read_matches(&PG_WALK, &query, teams, (next, walked), wanted(&found)).await?;
                    found.extend(more);
                    walked = next;
                }
                if wanted(&found) > 0 {
                    let rest =
                        self.read_matches(&PG_INDEX, &query, teams, (i64::MIN, walked), wanted(&found));
                    found.extend(rest.await?);
                }
                Ok(found)
            }
        }
    }
}

impl SqlStore {
    /// The messages matching `query` (in the reading's language) with ids in `range` (from, below), newest
    /// first, at most `limit`, in the conversations of `teams`.
    async fn read_matches(
        &self,
        reading: &Reading,
        query: &str,
        teams: Option<&[i64]>,
        (from, below): (i64, i64),
        limit: u32,
    ) -> Result<Vec<FoundMessage>, StoreError> {
        let Reading { from: tables, matching, key, order } = reading;
        let visible = super::visible_to(teams, 5);
        let sql = format!(
            "SELECT message.message_id, message.conversation_id, message.direction, message.body, \
               message.created_at, conversation.channel, contact.name AS contact_name \
             FROM {tables} \
             JOIN conversation ON conversation.conversation_id = message.conversation_id \
             JOIN contact ON contact.contact_id = conversation.contact_id \
             WHERE {matching} AND message.body IS NOT NULL AND {key} < $3 AND {key} >= $4{visible} \
             ORDER BY {order} DESC LIMIT $2"
        );
        // Not kept prepared on PostgreSQL: a statement it keeps is planned, after its fifth use, for any words at
        // all (a walk that reads every message, measured at p99 15 s); planned for the words typed, the index's
        // plan is the one chosen. SQLite's plan does not depend on the words: there it is kept.
        let mut bound = sqlx::query(&sql)
            .persistent(self.backend == Backend::Sqlite)
            .bind(query)
            .bind(i64::from(limit))
            .bind(below)
            .bind(from);
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
