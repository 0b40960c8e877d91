//! "Etiquetas": the labels admins keep, unique by name, and those on each conversation.

use super::{corrupt, unavailable, SqlStore};
use async_trait::async_trait;
use atende_domain::conversation::ConversationId;
use atende_domain::label::{Color, Label, SavedLabel};
use atende_domain::ports::{Labels, StoreError};
use atende_domain::time::Timestamp;
use sqlx::Row;

fn saved(row: &sqlx::any::AnyRow) -> Result<SavedLabel, StoreError> {
    let name: String = row.try_get("name").map_err(unavailable)?;
    let color: String = row.try_get("color").map_err(unavailable)?;
    let color = Color::from_code(&color).ok_or_else(|| corrupt("label colour", &color))?;
    Ok(SavedLabel {
        id: row.try_get("label_id").map_err(unavailable)?,
        label: Label::parse(&name, color).map_err(|_| corrupt("label", &name))?,
    })
}

impl SqlStore {
    /// The labels on each of `conversations` (at most a list's worth), as (conversation, label) pairs.
    pub(super) async fn labels_of(
        &self,
        conversations: &[ConversationId],
    ) -> Result<Vec<(ConversationId, i64)>, StoreError> {
        if conversations.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT conversation_id, label_id FROM conversation_label WHERE conversation_id IN ({}) \
             ORDER BY conversation_id, label_id",
            super::placeholders(1, conversations.len())
        );
        let mut query = sqlx::query(&sql);
        for id in conversations {
            query = query.bind(id.0);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                Ok((
                    ConversationId(row.try_get("conversation_id").map_err(unavailable)?),
                    row.try_get("label_id").map_err(unavailable)?,
                ))
            })
            .collect()
    }
}

#[async_trait]
impl Labels for SqlStore {
    async fn labels(&self) -> Result<Vec<SavedLabel>, StoreError> {
        let rows = sqlx::query("SELECT label_id, name, color FROM label ORDER BY name_key, label_id")
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter().map(saved).collect()
    }

    async fn save_label(
        &self,
        id: Option<i64>,
        label: &Label,
        now: Timestamp,
    ) -> Result<SavedLabel, StoreError> {
        // An update names the label first ($1); an insert has no id to bind.
        let query = match id {
            None => sqlx::query(
                "INSERT INTO label (name, name_key, color, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
                 RETURNING label_id",
            ),
            Some(id) => sqlx::query(
                "UPDATE label SET name = $2, name_key = $3, color = $4, updated_at = $5 WHERE label_id = $1 \
                 RETURNING label_id",
            )
            .bind(id),
        };
        let written = self
            .write_returning(
                query
                    .bind(label.name())
                    .bind(label.name_key())
                    .bind(label.color().code())
                    .bind(now.as_millis()),
            )
            .await;
        match written {
            Ok(Some(row)) => {
                Ok(SavedLabel { id: row.try_get("label_id").map_err(unavailable)?, label: label.clone() })
            }
            Ok(None) => Err(StoreError::NotFound),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::NameTaken),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn delete_label(&self, id: i64) -> Result<(), StoreError> {
        // Off every conversation first (each one's watchers hear of it), then gone, in one transaction.
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM conversation_label WHERE label_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        let deleted = sqlx::query("DELETE FROM label WHERE label_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit(tx).await
    }

    async fn conversation_labels(&self, conversation: ConversationId) -> Result<Vec<i64>, StoreError> {
        Ok(self.labels_of(&[conversation]).await?.into_iter().map(|(_, label)| label).collect())
    }

    async fn set_conversation_label(
        &self,
        conversation: ConversationId,
        label: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let query = if on {
            // Only an existing conversation and label: the SELECT finds no row otherwise.
            sqlx::query(
                "INSERT INTO conversation_label (conversation_id, label_id, created_at) \
                 SELECT conversation.conversation_id, label.label_id, $3 FROM conversation, label \
                 WHERE conversation.conversation_id = $1 AND label.label_id = $2 RETURNING label_id",
            )
            .bind(conversation.0)
            .bind(label)
            .bind(now.as_millis())
        } else {
            sqlx::query(
                "DELETE FROM conversation_label WHERE conversation_id = $1 AND label_id = $2 RETURNING label_id",
            )
            .bind(conversation.0)
            .bind(label)
        };
        match self.write_returning(query).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(StoreError::NotFound),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::NameTaken),
            Err(e) => Err(unavailable(e)),
        }
    }
}
