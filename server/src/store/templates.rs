//! Message templates as the provider approved (or refused) them, per channel.

use super::{unavailable, SqlStore};
use atende_domain::ports::StoreError;
use atende_domain::time::Timestamp;

/// A template as the provider lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TemplateRecord {
    pub provider_template_id: Option<String>,
    pub name: String,
    pub language: String,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub category: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`…
    pub status: String,
    /// `POSITIONAL` or `NAMED`; `None` means positional.
    pub parameter_format: Option<String>,
    /// The components, as the provider describes them (JSON).
    pub components: String,
}

impl SqlStore {
    /// Stores the templates a sync found: new ones added, known ones updated. Returns how many.
    pub async fn upsert_templates(
        &self,
        channel_id: i64,
        templates: &[TemplateRecord],
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut tx = self.write_tx().await?;
        for template in templates {
            sqlx::query(
                "INSERT INTO template (channel_id, provider_template_id, name, language, category, status, \
                 components, updated_at, parameter_format) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (channel_id, name, language) DO UPDATE SET \
                 provider_template_id = excluded.provider_template_id, category = excluded.category, \
                 status = excluded.status, components = excluded.components, updated_at = excluded.updated_at, \
                 parameter_format = excluded.parameter_format",
            )
            .bind(channel_id)
            .bind(template.provider_template_id.as_deref())
            .bind(&template.name)
            .bind(&template.language)
            .bind(&template.category)
            .bind(&template.status)
            .bind(&template.components)
            .bind(now.as_millis())
            .bind(template.parameter_format.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        self.commit(tx).await?;
        Ok(templates.len())
    }

    /// An admin's choice of whether a template is "de atendimento"; kept across syncs.
    pub async fn set_template_service(
        &self,
        channel_id: i64,
        name: &str,
        language: &str,
        service: bool,
    ) -> Result<(), StoreError> {
        let sql =
            "UPDATE template SET for_service = $4 WHERE channel_id = $1 AND name = $2 AND language = $3";
        self.update_template(
            sqlx::query(sql).bind(channel_id).bind(name).bind(language).bind(i64::from(service)),
        )
        .await
    }

    /// The names an admin gave a template's parameters (checked by the domain), kept across syncs.
    pub async fn set_template_labels(
        &self,
        channel_id: i64,
        name: &str,
        language: &str,
        labels: &[atende_domain::template::ParamLabel],
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(labels).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let sql =
            "UPDATE template SET parameter_labels = $4 WHERE channel_id = $1 AND name = $2 AND language = $3";
        self.update_template(sqlx::query(sql).bind(channel_id).bind(name).bind(language).bind(text)).await
    }

    /// Runs an admin's change of one template: [`StoreError::NotFound`] if it names none.
    async fn update_template<'q>(
        &self,
        update: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<(), StoreError> {
        let changed = update.execute(&self.writer).await.map_err(unavailable)?.rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// A template status webhook: the template of the channel whose business account is `account_id`.
    /// Returns whether a template was changed.
    pub async fn set_template_status(
        &self,
        account_id: &str,
        name: &str,
        language: &str,
        status: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut conn = self.writer.acquire().await.map_err(unavailable)?;
        Self::set_template_status_on(&mut conn, account_id, name, language, status, now).await
    }

    /// [`Self::set_template_status`] on `conn`.
    pub(crate) async fn set_template_status_on(
        conn: &mut sqlx::AnyConnection,
        account_id: &str,
        name: &str,
        language: &str,
        status: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE template SET status = $4, updated_at = $5 WHERE name = $2 AND language = $3 \
             AND channel_id IN (SELECT channel_id FROM channel WHERE account_id = $1)",
        )
        .bind(account_id)
        .bind(name)
        .bind(language)
        .bind(status)
        .bind(now.as_millis())
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?
        .rows_affected();
        Ok(changed > 0)
    }

    /// The templates of a channel, by name.
    pub async fn templates_of(&self, channel_id: i64) -> Result<Vec<TemplateRecord>, StoreError> {
        sqlx::query_as(
            "SELECT provider_template_id, name, language, category, status, components, parameter_format FROM template \
             WHERE channel_id = $1 ORDER BY name, language",
        )
        .bind(channel_id)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)
    }
}
