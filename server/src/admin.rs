//! The server's side of the admin screens ([`Administration`]): agents with hashed passwords, teams, API
//! tokens (only their hash kept) and template sync with the channel's provider.

use crate::store::SqlStore;
use crate::whatsapp::CloudApiClient;
use atende_app::admin::{AgentRow, TeamRow, TokenRow};
use atende_app::error::AppError;
use atende_app::ssr::Administration;
use atende_domain::access::ValidAgent;
use atende_domain::ports::StoreError;
use atende_domain::time::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;

pub struct Admin {
    pub store: SqlStore,
    /// The official channels' Cloud API clients, for "Sincronizar agora".
    pub template_sync: Arc<HashMap<i64, CloudApiClient>>,
}

#[async_trait::async_trait]
impl Administration for Admin {
    async fn agents(&self) -> Result<Vec<AgentRow>, AppError> {
        Ok(self
            .store
            .all_agents()
            .await?
            .into_iter()
            .map(|a| AgentRow {
                id: a.id,
                name: a.name,
                email: a.email,
                role: a.role,
                active: a.active,
                teams: a.teams,
            })
            .collect())
    }

    async fn create_agent(&self, agent: ValidAgent, now: Timestamp) -> Result<i64, AppError> {
        if self.store.email_known(&agent.email).await? {
            return Err(AppError::EmailTaken);
        }
        let password = agent.password.clone();
        let hash = tokio::task::spawn_blocking(move || crate::access::hash_password(&password))
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let new = crate::store::agents::NewAgent {
            email: agent.email,
            name: agent.name,
            password_hash: hash,
            role: agent.role,
        };
        // Two admins saving the same e-mail at once: the unique index refuses the second.
        match self.store.create_agent(&new, &agent.teams, now).await {
            Ok(id) => Ok(id),
            Err(_) if self.store.email_known(&new.email).await? => Err(AppError::EmailTaken),
            Err(error) => Err(error.into()),
        }
    }

    async fn set_agent_active(&self, agent: i64, active: bool) -> Result<(), AppError> {
        Ok(self.store.set_agent_active(agent, active).await?)
    }

    async fn set_agent_teams(&self, agent: i64, teams: &[i64]) -> Result<(), AppError> {
        Ok(self.store.set_agent_teams(agent, teams).await?)
    }

    async fn teams(&self) -> Result<Vec<TeamRow>, AppError> {
        Ok(self
            .store
            .team_rows()
            .await?
            .into_iter()
            .map(|(id, name, members)| TeamRow { id, name, members: u32::try_from(members).unwrap_or(0) })
            .collect())
    }

    async fn create_team(&self, name: &str, now: Timestamp) -> Result<i64, AppError> {
        self.store.create_team(name, now).await?.ok_or(AppError::TeamNameTaken)
    }

    async fn tokens(&self) -> Result<Vec<TokenRow>, AppError> {
        Ok(self
            .store
            .api_tokens()
            .await?
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                agent_name: t.agent_name,
                created_at: t.created_at,
                revoked_at: t.revoked_at,
            })
            .collect())
    }

    async fn create_token(&self, name: &str, agent: i64, now: Timestamp) -> Result<String, AppError> {
        let token = format!("atd_{}", crate::auth::new_token());
        self.store.create_api_token(name, &crate::auth::token_hash(&token), agent, now).await?;
        Ok(token)
    }

    async fn revoke_token(&self, token: i64, now: Timestamp) -> Result<(), AppError> {
        Ok(self.store.revoke_api_token(token, now).await?)
    }

    async fn sync_templates(&self, channel: i64) -> Result<usize, AppError> {
        let client = self.template_sync.get(&channel).ok_or_else(|| {
            AppError::Provider("este canal não tem modelos de mensagem (só a API Oficial tem).".into())
        })?;
        crate::sync_templates(&self.store, channel, client).await.map_err(AppError::Provider)
    }
}
