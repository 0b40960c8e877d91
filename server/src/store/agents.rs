//! Agents and their teams.

use super::{unavailable, SqlStore};
use atende_domain::access::{Email, Role};
use atende_domain::ports::StoreError;
use atende_domain::time::Timestamp;
use sqlx::{FromRow, Row};

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
        self.commit(tx).await?;
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
        match row {
            Some(row) => Ok(Some(self.agent_from_row(&row).await?)),
            None => Ok(None),
        }
    }

    /// An `agent` row (`agent_id, email, name, password_hash, role, active`) with the agent's teams.
    async fn agent_from_row(&self, row: &sqlx::any::AnyRow) -> Result<AgentRecord, StoreError> {
        #[derive(sqlx::FromRow)]
        struct AgentRow {
            agent_id: i64,
            email: String,
            name: String,
            password_hash: String,
            role: String,
            active: i64,
        }
        let row = AgentRow::from_row(row).map_err(unavailable)?;
        Ok(AgentRecord {
            id: row.agent_id,
            email: row.email,
            name: row.name,
            password_hash: row.password_hash,
            role: Role::parse(&row.role).map_err(|e| StoreError::Unavailable(e.to_string()))?,
            active: row.active != 0,
            teams: self.teams_of(row.agent_id).await?,
        })
    }

    /// The teams an agent belongs to, by id.
    async fn teams_of(&self, agent: i64) -> Result<Vec<i64>, StoreError> {
        sqlx::query_scalar("SELECT team_id FROM team_member WHERE agent_id = $1 ORDER BY team_id")
            .bind(agent)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)
    }

    /// Whether `agent` exists and is active, read inside a write transaction.
    pub(crate) async fn active_agent(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        agent: atende_domain::conversation::AgentId,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 AS found FROM agent WHERE agent_id = $1 AND active = 1")
            .bind(agent.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(unavailable)?
            .is_some())
    }

    /// Whether `agent` is a member of `team`, read inside a write transaction.
    pub(crate) async fn member_of(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        team: i64,
        agent: i64,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 AS found FROM team_member WHERE team_id = $1 AND agent_id = $2")
            .bind(team)
            .bind(agent)
            .fetch_optional(&mut **tx)
            .await
            .map_err(unavailable)?
            .is_some())
    }

    /// The agent with this id, active or not.
    pub async fn agent_by_id(&self, agent: i64) -> Result<Option<AgentRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT agent_id, email, name, password_hash, role, active FROM agent WHERE agent_id = $1",
        )
        .bind(agent)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        match row {
            Some(row) => Ok(Some(self.agent_from_row(&row).await?)),
            None => Ok(None),
        }
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
        Self::add_to_teams(&mut tx, id, teams).await?;
        self.commit(tx).await?;
        Ok(id)
    }

    /// Stores a new session (only the token's hash) and forgets every expired one, so sessions nobody signs
    /// out of do not pile up.
    pub async fn create_session(
        &self,
        agent_id: i64,
        token_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM agent_session WHERE expires_at <= $1")
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        sqlx::query("INSERT INTO agent_session (token_hash, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(agent_id)
            .bind(now.as_millis())
            .bind(expires_at.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        self.commit(tx).await
    }

    /// How many sessions are stored, expired or not (to check that expired ones are forgotten).
    pub async fn session_count(&self) -> Result<i64, StoreError> {
        sqlx::query("SELECT COUNT(*) AS n FROM agent_session")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?
            .try_get("n")
            .map_err(unavailable)
    }

    /// Replaces an agent's password hash and ends their sessions, all but `keep` (the session of an agent
    /// who changes their own password stays signed in). [`StoreError::NotFound`] if there is no such agent.
    pub async fn set_password(
        &self,
        agent: i64,
        password_hash: &str,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query("UPDATE agent SET password_hash = $2 WHERE agent_id = $1")
            .bind(agent)
            .bind(password_hash)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM agent_session WHERE agent_id = $1 AND token_hash <> $2")
            .bind(agent)
            .bind(keep.unwrap_or_default())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        self.commit(tx).await
    }

    /// When sign-ins for `email` failed after `since`, newest first (at most `limit`).
    pub async fn sign_in_failures(
        &self,
        email: &str,
        since: Timestamp,
        limit: usize,
    ) -> Result<Vec<Timestamp>, StoreError> {
        sqlx::query(
            "SELECT failed_at FROM sign_in_failure WHERE email = $1 AND failed_at > $2 \
             ORDER BY failed_at DESC LIMIT $3",
        )
        .bind(email)
        .bind(since.as_millis())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?
        .iter()
        .map(|row| row.try_get::<i64, _>("failed_at").map(Timestamp::from_millis))
        .collect::<Result<Vec<_>, _>>()
        .map_err(unavailable)
    }

    /// Counts an attempt to sign in as `email` before its password is checked, atomically: the failures
    /// within the window are read, `locked` (the domain's rule) says whether they lock the e-mail, and if not
    /// this attempt is recorded as a failure at once, in the same transaction (a success then clears it with
    /// [`Self::clear_sign_in_failures`]). So parallel attempts are counted one after the other and the limit
    /// cannot be raced. Returns until when the e-mail is locked, if it is (nothing recorded then). Failures
    /// older than `forget_before` are deleted on the way.
    pub async fn claim_sign_in_attempt(
        &self,
        email: &str,
        now: Timestamp,
        forget_before: Timestamp,
        locked: impl FnOnce(&[Timestamp]) -> Option<Timestamp> + Send,
    ) -> Result<Option<Timestamp>, StoreError> {
        let mut tx = self.write_tx().await?;
        if self.backend == super::Backend::Postgres {
            // SQLite's writer is one at a time already; PostgreSQL's attempts for one e-mail queue here.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(email)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        sqlx::query("DELETE FROM sign_in_failure WHERE failed_at <= $1")
            .bind(forget_before.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        let failures = sqlx::query("SELECT failed_at FROM sign_in_failure WHERE email = $1")
            .bind(email)
            .fetch_all(&mut *tx)
            .await
            .map_err(unavailable)?
            .iter()
            .map(|row| row.try_get::<i64, _>("failed_at").map(Timestamp::from_millis))
            .collect::<Result<Vec<_>, _>>()
            .map_err(unavailable)?;
        if let Some(until) = locked(&failures) {
            self.commit(tx).await?;
            return Ok(Some(until));
        }
        sqlx::query("INSERT INTO sign_in_failure (email, failed_at) VALUES ($1, $2)")
            .bind(email)
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        self.commit(tx).await?;
        Ok(None)
    }

    /// Forgets the failed sign-ins of `email` (it signed in, or an admin set a new password).
    pub async fn clear_sign_in_failures(&self, email: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_failure WHERE email = $1")
            .bind(email)
            .execute(&self.writer)
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
            .execute(&self.writer)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// An API token as stored (the secret itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub agent_id: i64,
    pub agent_name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// The teams it reaches (`None`: every team).
    pub teams: Option<Vec<i64>>,
}

/// What an admin changes on the admin screens.
impl SqlStore {
    /// Every agent, by name, with their teams.
    pub async fn all_agents(&self) -> Result<Vec<AgentRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT agent_id, email, name, password_hash, role, active FROM agent ORDER BY name, agent_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let mut agents = Vec::with_capacity(rows.len());
        for row in rows {
            agents.push(self.agent_from_row(&row).await?);
        }
        Ok(agents)
    }

    /// Whether an agent has this e-mail address.
    pub async fn email_known(&self, email: &Email) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 AS found FROM agent WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .is_some())
    }

    /// Activates or deactivates an agent; deactivating ends their sessions in the same transaction.
    /// [`StoreError::NotFound`] if there is no such agent.
    pub async fn set_agent_active(&self, agent: i64, active: bool, now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query("UPDATE agent SET active = $2 WHERE agent_id = $1")
            .bind(agent)
            .bind(i64::from(active))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        if !active {
            sqlx::query("DELETE FROM agent_session WHERE agent_id = $1")
                .bind(agent)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            // Their conversations go back to their teams' queue ("Não atribuídos").
            Self::unassign(&mut tx, agent, "", "sem responsável (agente desativado)", now).await?;
        }
        self.commit(tx).await
    }

    /// Unassigns `agent`'s conversations that are not concluded (only those of teams they no longer belong to,
    /// with `scope` " AND …"), each with a line in its audit trail.
    async fn unassign(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        agent: i64,
        scope: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let which = format!("assignee_id = $1 AND status <> 'concluded'{scope}");
        sqlx::query(&format!(
            "INSERT INTO audit_event (conversation_id, agent_id, action, detail, at) \
             SELECT conversation_id, NULL, $4, $2, $3 FROM conversation WHERE {which}"
        ))
        .bind(agent)
        .bind(detail)
        .bind(now.as_millis())
        .bind(atende_domain::ports::AuditAction::Assigned.code())
        .execute(&mut **tx)
        .await
        .map_err(unavailable)?;
        sqlx::query(&format!("UPDATE conversation SET assignee_id = NULL WHERE {which}"))
            .bind(agent)
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Replaces an agent's teams. [`StoreError::NotFound`] if there is no such agent. An agent (not an admin,
    /// who sees every team) gives back the conversations of the teams they left.
    pub async fn set_agent_teams(&self, agent: i64, teams: &[i64], now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        if sqlx::query("SELECT 1 AS found FROM agent WHERE agent_id = $1")
            .bind(agent)
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM team_member WHERE agent_id = $1")
            .bind(agent)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        Self::add_to_teams(&mut tx, agent, teams).await?;
        let left = " AND team_id IS NOT NULL AND team_id NOT IN (SELECT team_id FROM team_member WHERE agent_id = $1) \
                    AND (SELECT role FROM agent WHERE agent_id = $1) = 'agent'";
        Self::unassign(&mut tx, agent, left, "sem responsável (saiu da equipe)", now).await?;
        self.commit(tx).await
    }

    async fn add_to_teams(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        agent: i64,
        teams: &[i64],
    ) -> Result<(), StoreError> {
        // A team given twice is one membership (the primary key would refuse the second).
        let mut teams = teams.to_vec();
        teams.sort_unstable();
        teams.dedup();
        for team in teams {
            sqlx::query("INSERT INTO team_member (team_id, agent_id) VALUES ($1, $2)")
                .bind(team)
                .bind(agent)
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }

    /// Every team with its number of active members, by name.
    pub async fn team_rows(&self) -> Result<Vec<(i64, String, i64)>, StoreError> {
        sqlx::query(
            "SELECT t.team_id, t.name, (SELECT COUNT(*) FROM team_member m JOIN agent a ON a.agent_id = m.agent_id \
             WHERE m.team_id = t.team_id AND a.active = 1) AS members FROM team t ORDER BY t.name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?
        .iter()
        .map(|row| Ok((row.try_get("team_id")?, row.try_get("name")?, row.try_get("members")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(unavailable)
    }

    /// A new team; `None` when a team already has this name (nothing changed).
    pub async fn create_team(&self, name: &str, now: Timestamp) -> Result<Option<i64>, StoreError> {
        self.write_returning(
            sqlx::query(
                "INSERT INTO team (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING \
                 RETURNING team_id",
            )
            .bind(name)
            .bind(now.as_millis()),
        )
        .await
        .map_err(unavailable)?
        .map(|row| row.try_get("team_id"))
        .transpose()
        .map_err(unavailable)
    }

    /// Stores a new API token (its hash) acting for `agent`, reaching `teams` (`None`: every team).
    pub async fn create_api_token(
        &self,
        name: &str,
        token_hash: &str,
        agent: i64,
        teams: Option<&[i64]>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO api_token (token_hash, name, agent_id, created_at, all_teams) VALUES ($1, $2, $3, $4, $5) \
             RETURNING api_token_id",
        )
        .bind(token_hash)
        .bind(name)
        .bind(agent)
        .bind(now.as_millis())
        .bind(i64::from(teams.is_none()))
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?
        .try_get("api_token_id")
        .map_err(unavailable)?;
        let mut teams = teams.unwrap_or_default().to_vec();
        teams.sort_unstable();
        teams.dedup();
        for team in teams {
            sqlx::query("INSERT INTO api_token_team (api_token_id, team_id) VALUES ($1, $2)")
                .bind(id)
                .bind(team)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        self.commit(tx).await?;
        Ok(id)
    }

    /// Every API token, newest first.
    pub async fn api_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = sqlx::query(&format!("{TOKEN_SELECT} ORDER BY t.api_token_id DESC"))
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let mut tokens = Vec::with_capacity(rows.len());
        for row in &rows {
            tokens.push(self.token_from_row(row).await?);
        }
        Ok(tokens)
    }

    /// A token row ([`TOKEN_SELECT`]) with the teams it reaches.
    async fn token_from_row(&self, row: &sqlx::any::AnyRow) -> Result<TokenRecord, StoreError> {
        #[derive(sqlx::FromRow)]
        struct TokenRow {
            api_token_id: i64,
            name: String,
            agent_id: i64,
            agent_name: String,
            all_teams: i64,
            created_at: i64,
            revoked_at: Option<i64>,
        }
        let row = TokenRow::from_row(row).map_err(unavailable)?;
        let teams = if row.all_teams != 0 {
            None
        } else {
            Some(
                sqlx::query_scalar(
                    "SELECT team_id FROM api_token_team WHERE api_token_id = $1 ORDER BY team_id",
                )
                .bind(row.api_token_id)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?,
            )
        };
        Ok(TokenRecord {
            id: row.api_token_id,
            name: row.name,
            agent_id: row.agent_id,
            agent_name: row.agent_name,
            created_at: Timestamp::from_millis(row.created_at),
            revoked_at: row.revoked_at.map(Timestamp::from_millis),
            teams,
        })
    }

    /// Revokes a token (kept in the list, marked). [`StoreError::NotFound`] if there is none.
    pub async fn revoke_api_token(&self, token: i64, now: Timestamp) -> Result<(), StoreError> {
        let changed =
            sqlx::query("UPDATE api_token SET revoked_at = COALESCE(revoked_at, $2) WHERE api_token_id = $1")
                .bind(token)
                .bind(now.as_millis())
                .execute(&self.writer)
                .await
                .map_err(unavailable)?
                .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The token with this hash, if it is not revoked and its admin is still active, with who it acts for:
    /// the admin, limited to the token's teams ([`atende_domain::access::Viewer::through_token`]).
    pub async fn api_token_viewer(
        &self,
        token_hash: &str,
    ) -> Result<Option<(TokenRecord, atende_domain::access::Viewer)>, StoreError> {
        let row = sqlx::query(&format!(
            "{TOKEN_SELECT} WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.active = 1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        let Some(row) = row else { return Ok(None) };
        let token = self.token_from_row(&row).await?;
        let role: String = row.try_get("role").map_err(unavailable)?;
        let viewer = atende_domain::access::Viewer {
            agent: token.agent_id,
            name: token.agent_name.clone(),
            role: Role::parse(&role).map_err(|e| StoreError::Unavailable(e.to_string()))?,
            teams: self.teams_of(token.agent_id).await?,
        }
        .through_token(token.teams.clone());
        Ok(Some((token, viewer)))
    }
}

/// An API token with its admin's name and role.
const TOKEN_SELECT: &str = "SELECT t.api_token_id, t.name, t.agent_id, a.name AS agent_name, t.created_at, \
     t.revoked_at, t.all_teams, a.role FROM api_token t JOIN agent a ON a.agent_id = t.agent_id";
