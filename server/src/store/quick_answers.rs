//! "Respostas rápidas": saved answers, every team's or one team's, unique by title within their scope.

use super::{corrupt, unavailable, SqlStore};
use async_trait::async_trait;
use atende_domain::conversation::AgentId;
use atende_domain::ports::{QuickAnswers, StoreError};
use atende_domain::quick_answer::{AnswerFile, QuickAnswer, SavedQuickAnswer, Scope};
use atende_domain::time::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

#[derive(sqlx::FromRow)]
struct QuickAnswerRow {
    quick_answer_id: i64,
    team_id: Option<i64>,
    title: String,
    body: String,
    file_sha256: Option<String>,
    file_name: Option<String>,
    file_size: Option<i64>,
}

impl QuickAnswerRow {
    fn saved(self) -> Result<SavedQuickAnswer, StoreError> {
        let file = match (self.file_sha256, self.file_name, self.file_size) {
            (Some(sha256), Some(name), Some(size)) => Some(AnswerFile {
                sha256,
                name,
                size: u64::try_from(size)
                    .map_err(|_| corrupt("quick answer file size", &size.to_string()))?,
            }),
            _ => None,
        };
        Ok(SavedQuickAnswer {
            id: self.quick_answer_id,
            scope: self.team_id.map_or(Scope::Global, Scope::Team),
            answer: QuickAnswer::parse_with(&self.title, &self.body, file)
                .map_err(|_| corrupt("quick answer", &self.title))?,
        })
    }
}

fn saved(row: &AnyRow) -> Result<SavedQuickAnswer, StoreError> {
    QuickAnswerRow::from_row(row).map_err(unavailable)?.saved()
}

const COLUMNS: &str = "quick_answer_id, team_id, title, body, file_sha256, file_name, file_size";

#[async_trait]
impl QuickAnswers for SqlStore {
    async fn quick_answers(&self, teams: Option<&[i64]>) -> Result<Vec<SavedQuickAnswer>, StoreError> {
        // The global answers and those of `teams`: the same rule as a conversation's visibility.
        let narrowing =
            super::theirs_or_shared("team_id", teams, 1).map(|c| format!(" WHERE {c}")).unwrap_or_default();
        let sql =
            format!("SELECT {COLUMNS} FROM quick_answer{narrowing} ORDER BY title_key, quick_answer_id");
        let mut query = sqlx::query(&sql);
        for team in teams.unwrap_or_default() {
            query = query.bind(*team);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter().map(saved).collect()
    }

    async fn quick_answer(&self, id: i64) -> Result<SavedQuickAnswer, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM quick_answer WHERE quick_answer_id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .ok_or(StoreError::NotFound)?;
        saved(&row)
    }

    async fn save_quick_answer(
        &self,
        id: Option<i64>,
        scope: Scope,
        answer: &QuickAnswer,
        by: AgentId,
        now: Timestamp,
    ) -> Result<SavedQuickAnswer, StoreError> {
        // An update names the answer first ($1); an insert has no id to bind.
        let query = match id {
            None => sqlx::query(
                "INSERT INTO quick_answer (team_id, scope_key, title, title_key, body, updated_by, created_at, \
                 updated_at, file_sha256, file_name, file_size) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, \
                 $10) RETURNING quick_answer_id",
            ),
            Some(id) => sqlx::query(
                "UPDATE quick_answer SET team_id = $2, scope_key = $3, title = $4, title_key = $5, body = $6, \
                 updated_by = $7, updated_at = $8, file_sha256 = $9, file_name = $10, file_size = $11 \
                 WHERE quick_answer_id = $1 RETURNING quick_answer_id",
            )
            .bind(id),
        };
        let file = answer.file();
        let size = file.map(|f| i64::try_from(f.size).unwrap_or(i64::MAX));
        let written = self
            .write_returning(
                query
                    .bind(scope.team())
                    .bind(scope.team().unwrap_or(0))
                    .bind(answer.title())
                    .bind(answer.title_key())
                    .bind(answer.text())
                    .bind(by.0)
                    .bind(now.as_millis())
                    .bind(file.map(|f| f.sha256.clone()))
                    .bind(file.map(|f| f.name.clone()))
                    .bind(size),
            )
            .await;
        match written {
            Ok(Some(row)) => Ok(SavedQuickAnswer {
                id: row.try_get("quick_answer_id").map_err(unavailable)?,
                scope,
                answer: answer.clone(),
            }),
            Ok(None) => Err(StoreError::NotFound),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::NameTaken),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn delete_quick_answer(&self, id: i64) -> Result<(), StoreError> {
        let deleted = self
            .write_returning(
                sqlx::query("DELETE FROM quick_answer WHERE quick_answer_id = $1 RETURNING quick_answer_id")
                    .bind(id),
            )
            .await
            .map_err(unavailable)?;
        deleted.map(|_| ()).ok_or(StoreError::NotFound)
    }

    async fn note_answer_upload(
        &self,
        sha256: &str,
        agent: AgentId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO answer_upload (sha256, agent_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (sha256, agent_id) DO NOTHING",
        )
        .bind(sha256)
        .bind(agent.0)
        .bind(now.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.commit(tx).await
    }

    async fn answer_uploaded_by(&self, sha256: &str, agent: AgentId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS found FROM answer_upload WHERE sha256 = $1 AND agent_id = $2")
            .bind(sha256)
            .bind(agent.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(row.is_some())
    }
}
