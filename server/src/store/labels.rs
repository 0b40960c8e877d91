//! "Etiquetas": the labels admins keep, unique by name, and those on each conversation.

use super::{corrupt, unavailable, SqlStore};
use async_trait::async_trait;
use atende_domain::contact::ContactId;
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

/// What a label goes on: a conversation or a contact, each with its own table of labels.
#[derive(Clone, Copy)]
enum Owner {
    Conversation,
    Contact,
}

impl Owner {
    /// The labelled table (`conversation`, `contact`); its labels are in `<table>_label`, by `<table>_id`.
    const fn table(self) -> &'static str {
        match self {
            Self::Conversation => "conversation",
            Self::Contact => "contact",
        }
    }
}

impl SqlStore {
    /// The labels on each of `owners` (at most a page's worth), as (owner, label) pairs.
    async fn labels_on(&self, owner: Owner, owners: &[i64]) -> Result<Vec<(i64, i64)>, StoreError> {
        if owners.is_empty() {
            return Ok(Vec::new());
        }
        let table = owner.table();
        let sql = format!(
            "SELECT {table}_id AS owner_id, label_id FROM {table}_label WHERE {table}_id IN ({}) \
             ORDER BY {table}_id, label_id",
            super::placeholders(1, owners.len())
        );
        let mut query = sqlx::query(&sql);
        for id in owners {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("owner_id").map_err(unavailable)?,
                    row.try_get("label_id").map_err(unavailable)?,
                ))
            })
            .collect()
    }

    /// The labels on each of `conversations` (at most a list's worth), as (conversation, label) pairs.
    pub(super) async fn labels_of(
        &self,
        conversations: &[ConversationId],
    ) -> Result<Vec<(ConversationId, i64)>, StoreError> {
        let ids: Vec<i64> = conversations.iter().map(|id| id.0).collect();
        let pairs = self.labels_on(Owner::Conversation, &ids).await?;
        Ok(pairs.into_iter().map(|(id, label)| (ConversationId(id), label)).collect())
    }

    /// Puts `label` on `id` (`on`) or takes it off: see [`Labels::set_conversation_label`].
    async fn set_label_on(
        &self,
        owner: Owner,
        id: i64,
        label: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let table = owner.table();
        // Only an existing owner and label: the INSERT's SELECT finds no row otherwise.
        let sql = if on {
            format!(
                "INSERT INTO {table}_label ({table}_id, label_id, created_at) \
                 SELECT {table}.{table}_id, label.label_id, $3 FROM {table}, label \
                 WHERE {table}.{table}_id = $1 AND label.label_id = $2 RETURNING label_id"
            )
        } else {
            format!("DELETE FROM {table}_label WHERE {table}_id = $1 AND label_id = $2 RETURNING label_id")
        };
        let mut query = sqlx::query(&sql).bind(id).bind(label);
        if on {
            query = query.bind(now.as_millis());
        }
        match self.write_returning(query).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(StoreError::NotFound),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::NameTaken),
            Err(e) => Err(unavailable(e)),
        }
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
        // Off every conversation and contact first (each one's watchers hear of it), then gone, in one
        // transaction.
        let mut tx = self.write_tx().await?;
        for on in ["conversation_label", "contact_label"] {
            sqlx::query(&format!("DELETE FROM {on} WHERE label_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
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

    async fn contact_labels(&self, contacts: &[ContactId]) -> Result<Vec<(ContactId, i64)>, StoreError> {
        let ids: Vec<i64> = contacts.iter().map(|id| id.0).collect();
        let pairs = self.labels_on(Owner::Contact, &ids).await?;
        Ok(pairs.into_iter().map(|(id, label)| (ContactId(id), label)).collect())
    }

    async fn set_contact_label(
        &self,
        contact: ContactId,
        label: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.set_label_on(Owner::Contact, contact.0, label, on, now).await
    }

    async fn set_conversation_label(
        &self,
        conversation: ConversationId,
        label: i64,
        on: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.set_label_on(Owner::Conversation, conversation.0, label, on, now).await
    }
}
