//! Agents and their teams.

use super::{unavailable, SqlStore};
use atende_domain::access::{Email, Role};
use atende_domain::ports::StoreError;
use atende_domain::time::Timestamp;
use sqlx::Row;

/// An agent to create. The password arrives hashed (see [`crate::access`]).
#[derive(Clone, PartialEq, Eq)]
pub struct NewAgent {
    pub email: Email,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
}

impl std::fmt::Debug for NewAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAgent")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// An agent as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub active: bool,
    /// The teams the agent belongs to, by id.
    pub teams: Vec<i64>,
}

impl std::fmt::Debug for AgentRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("active", &self.active)
            .field("teams", &self.teams)
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// Creates `admin` as a member of `team`, only when no agent exists yet. Returns the new agent's id, or
    /// `None` when the database already had agents (nothing is changed then: a restart with the variables
    /// still set must not reset anyone's password).
    pub async fn ensure_first_admin(
        &self,
        admin: &NewAgent,
        team: i64,
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.write_tx().await?;
        let created = sqlx::query(
            "INSERT INTO agent (email, name, password_hash, role, active, created_at) \
             SELECT $1, $2, $3, $4, 1, $5 WHERE NOT EXISTS (SELECT 1 FROM agent) \
             ON CONFLICT (email) DO NOTHING RETURNING agent_id",
        )
        .bind(admin.email.as_str())
        .bind(&admin.name)
        .bind(&admin.password_hash)
        .bind(Role::Admin.as_str())
        .bind(now.as_millis())
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some(row) = created else {
            tx.rollback().await.map_err(unavailable)?;
            return Ok(None);
        };
        let agent_id: i64 = row.try_get("agent_id").map_err(unavailable)?;
        sqlx::query("INSERT INTO team_member (team_id, agent_id) VALUES ($1, $2)")
            .bind(team)
            .bind(agent_id)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(agent_id))
    }

    /// The agent with this e-mail address, active or not.
    pub async fn agent_by_email(&self, email: &Email) -> Result<Option<AgentRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT agent_id, email, name, password_hash, role, active FROM agent WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get("agent_id").map_err(unavailable)?;
        let role: String = row.try_get("role").map_err(unavailable)?;
        let teams = self.teams_of(id).await?;
        Ok(Some(AgentRecord {
            id,
            email: row.try_get("email").map_err(unavailable)?,
            name: row.try_get("name").map_err(unavailable)?,
            password_hash: row.try_get("password_hash").map_err(unavailable)?,
            role: Role::parse(&role).map_err(|e| StoreError::Unavailable(e.to_string()))?,
            active: row.try_get::<i64, _>("active").map_err(unavailable)? != 0,
            teams,
        }))
    }

    /// The teams an agent belongs to, by id.
    async fn teams_of(&self, agent: i64) -> Result<Vec<i64>, StoreError> {
        sqlx::query("SELECT team_id FROM team_member WHERE agent_id = $1 ORDER BY team_id")
            .bind(agent)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .iter()
            .map(|r| r.try_get::<i64, _>("team_id"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(unavailable)
    }

    /// How many agents exist.
    pub async fn agent_count(&self) -> Result<i64, StoreError> {
        sqlx::query("SELECT COUNT(*) AS n FROM agent")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?
            .try_get("n")
            .map_err(unavailable)
    }
}

impl SqlStore {
    /// Creates an agent (active) in `teams`. The e-mail must be new (the unique index refuses a known one).
    pub async fn create_agent(
        &self,
        agent: &NewAgent,
        teams: &[i64],
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO agent (email, name, password_hash, role, active, created_at) \
             VALUES ($1, $2, $3, $4, 1, $5) RETURNING agent_id",
        )
        .bind(agent.email.as_str())
        .bind(&agent.name)
        .bind(&agent.password_hash)
        .bind(agent.role.as_str())
        .bind(now.as_millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?
        .try_get("agent_id")
        .map_err(unavailable)?;
        for team in teams {
            sqlx::query("INSERT INTO team_member (team_id, agent_id) VALUES ($1, $2)")
                .bind(team)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(id)
    }

    /// Stores a new session (only the token's hash).
    pub async fn create_session(
        &self,
        agent_id: i64,
        token_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO agent_session (token_hash, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(agent_id)
            .bind(now.as_millis())
            .bind(expires_at.as_millis())
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The signed-in agent of a session that has not expired, whose agent is still active.
    pub async fn session_viewer(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<atende_domain::access::Viewer>, StoreError> {
        let row = sqlx::query(
            "SELECT a.agent_id, a.name, a.role FROM agent_session s JOIN agent a ON a.agent_id = s.agent_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.active = 1",
        )
        .bind(token_hash)
        .bind(now.as_millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        let agent: i64 = row.try_get("agent_id").map_err(unavailable)?;
        let role: String = row.try_get("role").map_err(unavailable)?;
        let teams = self.teams_of(agent).await?;
        Ok(Some(atende_domain::access::Viewer {
            agent,
            name: row.try_get("name").map_err(unavailable)?,
            role: Role::parse(&role).map_err(|e| StoreError::Unavailable(e.to_string()))?,
            teams,
        }))
    }

    /// Signs a session out (and, while at it, forgets every expired one).
    pub async fn delete_session(&self, token_hash: &str, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM agent_session WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(now.as_millis())
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
