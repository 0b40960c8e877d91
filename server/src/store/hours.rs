//! "Horário de atendimento": each team's hours (and the shared inbox's, kept as team 0) as the domain's
//! [`OpeningHours`], and the automatic answer
//! written for a conversation (at most once per closed period: the domain decides; the store writes it only if
//! nobody else did meanwhile).

use super::queue::{Dispatch, NewOutbound};
use super::{corrupt, unavailable, SqlStore};
use async_trait::async_trait;
use atende_domain::content::Extras;
use atende_domain::hours::OpeningHours;
use atende_domain::ports::{Hours, StoreError};
use atende_domain::queue::MessageText;
use atende_domain::time::Timestamp;
use sqlx::Row;

/// A conversation that just got a contact's message, as the automatic answer's rule needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerCandidate {
    pub conversation_id: i64,
    /// `None`: the shared inbox.
    pub team_id: Option<i64>,
    /// When it last got the automatic answer.
    pub answered: Option<Timestamp>,
}

impl SqlStore {
    /// The teams whose hours have an automatic answer, with those hours: usually none, and then nothing
    /// more is read.
    pub async fn teams_answering_automatically(
        &self,
    ) -> Result<Vec<(Option<i64>, OpeningHours)>, StoreError> {
        let all = self.team_hours().await?;
        Ok(all.into_iter().filter(|(_, hours)| hours.auto_answer.is_some()).collect())
    }

    /// Those of `conversations` that belong to one of `teams` (`None`: the shared inbox).
    pub async fn answer_candidates(
        &self,
        conversations: &[i64],
        teams: &[Option<i64>],
    ) -> Result<Vec<AnswerCandidate>, StoreError> {
        if conversations.is_empty() || teams.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT conversation_id, team_id, auto_answered_at FROM conversation \
             WHERE conversation_id IN ({}) AND COALESCE(team_id, {INBOX}) IN ({})",
            super::placeholders(1, conversations.len()),
            super::placeholders(1 + conversations.len(), teams.len()),
        );
        let mut query = sqlx::query(&sql);
        for id in conversations {
            query = query.bind(*id);
        }
        for team in teams {
            query = query.bind(team.unwrap_or(INBOX));
        }
        let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                Ok(AnswerCandidate {
                    conversation_id: row.try_get("conversation_id").map_err(unavailable)?,
                    team_id: row.try_get::<Option<i64>, _>("team_id").map_err(unavailable)?,
                    answered: row
                        .try_get::<Option<i64>, _>("auto_answered_at")
                        .map_err(unavailable)?
                        .map(Timestamp::from_millis),
                })
            })
            .collect()
    }

    /// The automatic answer, leaving now, marked as automatic; and the conversation answered at `now`. Only if
    /// it was last answered at `answered` (what the rule was decided on): two processors never answer one
    /// closed period twice. Whether it was written.
    pub async fn write_automatic_answer(
        &self,
        candidate: &AnswerCandidate,
        channel_id: i64,
        text: &MessageText,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let claimed = sqlx::query(
            "UPDATE conversation SET auto_answered_at = $2 \
             WHERE conversation_id = $1 AND COALESCE(auto_answered_at, -1) = $3",
        )
        .bind(candidate.conversation_id)
        .bind(now.as_millis())
        .bind(candidate.answered.map_or(-1, Timestamp::as_millis))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?
        .rows_affected()
            == 1;
        if !claimed {
            return Ok(false);
        }
        let outbound = NewOutbound::text(candidate.conversation_id, channel_id, text.as_str());
        let (message, _) = Self::insert_outbound(&mut tx, &outbound, Dispatch::Now, now).await?;
        Self::set_extras_on(&mut tx, message, &Extras { automatic: true, ..Extras::default() }).await?;
        self.commit(tx).await?;
        Ok(true)
    }
}

/// The shared inbox's row (no team is 0).
const INBOX: i64 = 0;

#[async_trait]
impl Hours for SqlStore {
    async fn team_hours(&self) -> Result<Vec<(Option<i64>, OpeningHours)>, StoreError> {
        let rows = sqlx::query("SELECT team_id, hours FROM team_hours ORDER BY team_id")
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                let team: i64 = row.try_get("team_id").map_err(unavailable)?;
                let hours: String = row.try_get("hours").map_err(unavailable)?;
                let hours = serde_json::from_str(&hours).map_err(|_| corrupt("team hours", &hours))?;
                Ok(((team != INBOX).then_some(team), hours))
            })
            .collect()
    }

    async fn save_team_hours(
        &self,
        team: Option<i64>,
        hours: Option<&OpeningHours>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(team) = team {
            let exists = sqlx::query("SELECT 1 AS one FROM team WHERE team_id = $1")
                .bind(team)
                .fetch_optional(&mut *tx)
                .await
                .map_err(unavailable)?
                .is_some();
            if !exists {
                return Err(StoreError::NotFound);
            }
        }
        let team = team.unwrap_or(INBOX);
        match hours {
            // One statement: two admins saving at once leave the last one's, never a conflict.
            Some(hours) => {
                let json =
                    serde_json::to_string(hours).map_err(|e| StoreError::Unavailable(e.to_string()))?;
                sqlx::query(
                    "INSERT INTO team_hours (team_id, hours, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (team_id) DO UPDATE SET hours = excluded.hours, updated_at = excluded.updated_at",
                )
                .bind(team)
                .bind(json)
                .bind(now.as_millis())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            }
            None => {
                sqlx::query("DELETE FROM team_hours WHERE team_id = $1")
                    .bind(team)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            }
        }
        self.commit(tx).await
    }
}
