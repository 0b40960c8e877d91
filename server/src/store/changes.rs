//! The change log behind the console's live updates (SQLite; see `crate::live`), and the teams of the
//! conversations a change concerns.

use super::{unavailable, SqlStore};
use atende_domain::ports::StoreError;
use sqlx::Row;

impl SqlStore {
    /// The last change SQLite's log holds (0 when empty).
    pub async fn last_change(&self) -> Result<i64, StoreError> {
        sqlx::query("SELECT COALESCE(MAX(change_id), 0) AS last FROM change_log")
            .fetch_one(&self.pool)
            .await
            .and_then(|row| row.try_get("last"))
            .map_err(unavailable)
    }

    /// SQLite's log after `cursor`, oldest first: (change, conversation, team it left).
    pub async fn changes_after(
        &self,
        cursor: i64,
        limit: i64,
    ) -> Result<Vec<(i64, i64, Option<i64>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT change_id, conversation_id, left_team FROM change_log WHERE change_id > $1 \
             ORDER BY change_id LIMIT $2",
        )
        .bind(cursor)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                Ok((row.try_get("change_id")?, row.try_get("conversation_id")?, row.try_get("left_team")?))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(unavailable)
    }

    /// Forgets SQLite's log up to `cursor` (read already).
    pub async fn prune_changes(&self, cursor: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM change_log WHERE change_id <= $1")
            .bind(cursor)
            .execute(&self.writer)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// The team each of these conversations belongs to now (conversations that do not exist are left out).
    pub async fn teams_of_conversations(&self, ids: &[i64]) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
        let mut teams = Vec::with_capacity(ids.len());
        // Portable and bounded: a few hundred ids at a time, bound one by one.
        for chunk in ids.chunks(200) {
            let binds = super::placeholders(1, chunk.len());
            let sql = format!(
                "SELECT conversation_id, team_id FROM conversation WHERE conversation_id IN ({binds})"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
            for row in rows {
                teams.push((
                    row.try_get("conversation_id").map_err(unavailable)?,
                    row.try_get::<Option<i64>, _>("team_id").map_err(unavailable)?,
                ));
            }
        }
        Ok(teams)
    }
}
