//! The server's side of the admin screens ([`Administration`]): agents with hashed passwords, teams, API
//! tokens (only their hash kept) and template sync with the channel's provider.

use crate::channels::config::StoredSecrets;
use crate::store::channels::SaveChannelError;
use crate::store::SqlStore;
use atende_app::admin::{AgentRow, TeamRow, TokenRow};
use atende_app::error::AppError;
use atende_app::ssr::Administration;
use atende_domain::access::ValidAgent;
use atende_domain::channel_setup::ChannelSetup;
use atende_domain::ports::StoreError;
use atende_domain::time::Timestamp;
use std::sync::Arc;

/// An Argon2id hash of `password`, computed off the async workers (it takes tens of milliseconds by design).
async fn hash(password: &str) -> Result<String, AppError> {
    let hashed = crate::access::hash_in_turn(password.to_owned())
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    Ok(hashed)
}

/// The `setting` row of the rate card saved in the console.
const RATE_CARD_KEY: &str = "rate_card";

pub(crate) struct Admin {
    pub store: SqlStore,
    /// The channels in use (their Cloud API clients, for "Sincronizar agora"; console channels are put
    /// there when saved).
    pub channels: Arc<crate::channels::registry::ChannelRegistry>,
    pub links: crate::channels::config::Links,
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
        let new = crate::store::agents::NewAgent {
            password_hash: hash(&agent.password).await?,
            email: agent.email,
            name: agent.name,
            role: agent.role,
        };
        // Two admins saving the same e-mail at once: the unique index refuses the second.
        match self.store.create_agent(&new, &agent.teams, now).await {
            Ok(id) => Ok(id),
            Err(_) if self.store.email_known(&new.email).await? => Err(AppError::EmailTaken),
            Err(error) => Err(error.into()),
        }
    }

    async fn set_agent_active(&self, agent: i64, active: bool, now: Timestamp) -> Result<(), AppError> {
        Ok(self.store.set_agent_active(agent, active, now).await?)
    }

    async fn set_agent_teams(&self, agent: i64, teams: &[i64], now: Timestamp) -> Result<(), AppError> {
        Ok(self.store.set_agent_teams(agent, teams, now).await?)
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
                teams: t.teams,
            })
            .collect())
    }

    async fn create_token(
        &self,
        name: &str,
        agent: i64,
        teams: Option<&[i64]>,
        now: Timestamp,
    ) -> Result<String, AppError> {
        let token = format!("atd_{}", crate::auth::new_token());
        self.store.create_api_token(name, &crate::auth::token_hash(&token), agent, teams, now).await?;
        Ok(token)
    }

    async fn set_password(&self, agent: i64, password: &str, keep: Option<&str>) -> Result<(), AppError> {
        let record = self.store.agent_by_id(agent).await?.ok_or(StoreError::NotFound)?;
        let hash = hash(password).await?;
        self.store.set_password(agent, &hash, keep).await?;
        // Locked out by too many wrong guesses: the new password lets them in at once.
        self.store.clear_sign_in_failures(&record.email).await?;
        tracing::info!(agent, "password reset by an admin; the agent's sessions ended");
        Ok(())
    }

    async fn change_own_password(
        &self,
        agent: i64,
        change: &atende_domain::access::PasswordChange,
        keep: &str,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let record = self.store.agent_by_id(agent).await?.ok_or(StoreError::NotFound)?;
        // The current password is a guess like a sign-in's: a stolen session cannot try it without limit.
        let turn =
            crate::access::password_turn().await.map_err(|busy| StoreError::Unavailable(busy.to_string()))?;
        if let Some(until) = crate::auth::claim_attempt(&self.store, &record.email, now).await? {
            return Err(atende_domain::access::too_many_attempts(until, now).into());
        }
        let matches =
            crate::access::verify_in_turn(&turn, change.current.clone(), record.password_hash.clone()).await;
        drop(turn);
        if !matches {
            return Err(AppError::WrongPassword);
        }
        let hash = hash(&change.new).await?;
        self.store.set_password(agent, &hash, Some(keep)).await?;
        self.store.clear_sign_in_failures(&record.email).await?;
        tracing::info!(agent, "password changed; the agent's other sessions ended");
        Ok(())
    }

    async fn set_aside_webhooks(&self) -> Result<Vec<atende_app::admin::SetAsideRow>, AppError> {
        Ok(self
            .store
            .set_aside_webhooks(100)
            .await?
            .into_iter()
            .map(|w| atende_app::admin::SetAsideRow {
                id: w.id,
                provider: w.provider,
                received_at: w.received_at,
                attempts: w.attempts,
                reason: w.reason,
                excerpt: w.excerpt,
            })
            .collect())
    }

    async fn retry_webhook(&self, receipt: i64) -> Result<(), AppError> {
        Ok(self.store.retry_webhook(receipt).await?)
    }

    async fn revoke_token(&self, token: i64, now: Timestamp) -> Result<(), AppError> {
        Ok(self.store.revoke_api_token(token, now).await?)
    }

    async fn channels(&self) -> Result<Vec<atende_app::admin::ChannelRow>, AppError> {
        Ok(self
            .store
            .channel_records()
            .await?
            .into_iter()
            .map(|record| {
                let secrets = StoredSecrets::read(&record.config.secret_config);
                atende_app::admin::ChannelRow {
                    id: record.id,
                    name: record.config.name,
                    kind: record.config.kind,
                    provider_id: record.config.provider_id,
                    account_id: record.config.account_id,
                    url: secrets.url,
                    human_agent_tag: record.config.human_agent_tag,
                    from_console: record.from_console,
                    token_set: secrets.token.is_some(),
                    webhook_secret_set: secrets.webhook_secret.is_some(),
                    verify_token_set: secrets.verify_token.is_some(),
                }
            })
            .collect())
    }

    async fn save_channel(
        &self,
        channel: Option<i64>,
        setup: ChannelSetup,
        now: Timestamp,
    ) -> Result<i64, AppError> {
        let stored = match channel {
            None => StoredSecrets::default(),
            Some(id) => {
                let records = self.store.channel_records().await?;
                let record = records.iter().find(|r| r.id == id).ok_or(StoreError::NotFound)?;
                if !record.from_console {
                    return Err(AppError::ChannelFromEnvironment);
                }
                // Its conversations, history and stored credentials belong to this kind.
                if record.config.kind != setup.channel.kind() {
                    return Err(AppError::ChannelUnusable(
                        "o tipo de um canal não muda; crie um novo canal para o outro tipo.".into(),
                    ));
                }
                StoredSecrets::read(&record.config.secret_config)
            }
        };
        // Blank secrets on an edit keep the stored ones.
        let secrets = StoredSecrets {
            token: setup.token.or(stored.token),
            webhook_secret: setup.webhook_secret.or(stored.webhook_secret),
            verify_token: setup.verify_token.or(stored.verify_token),
            url: setup.url,
        };
        let config = crate::store::channels::ChannelConfig {
            kind: setup.channel.kind(),
            name: setup.name,
            provider_id: setup.provider_id,
            account_id: setup.account_id,
            display_phone: None,
            secret_config: serde_json::to_string(&secrets)
                .map_err(|e| StoreError::Unavailable(e.to_string()))?,
            human_agent_tag: setup.channel.human_agent_tag(),
        };
        // Built before storing: a configuration that cannot be used is refused, not stored.
        let record =
            crate::store::channels::ChannelRecord { id: channel.unwrap_or(0), config, from_console: true };
        let entry = crate::channels::config::console_entry(&record, &self.links)
            .map_err(|e| AppError::ChannelUnusable(e.to_string()))?;
        let id =
            self.store.save_console_channel(channel, &record.config, now).await.map_err(|e| match e {
                SaveChannelError::Taken => AppError::ChannelTaken,
                SaveChannelError::FromEnvironment => AppError::ChannelFromEnvironment,
                SaveChannelError::Store(error) => error.into(),
            })?;
        self.channels.put(id, entry);
        tracing::info!(channel = id, kind = record.config.kind.code(), "console channel saved and in use");
        Ok(id)
    }

    async fn account_currency(
        &self,
        channel: i64,
    ) -> Result<Option<atende_domain::pricing::Currency>, AppError> {
        let code =
            self.store.setting(&crate::providers::whatsapp::templates::account_currency_key(channel)).await?;
        // A currency Atende does not price in (Meta has many) says nothing rather than something wrong.
        Ok(code.and_then(|code| atende_domain::pricing::Currency::from_code(&code).ok()))
    }

    async fn saved_rate_card(&self) -> Result<Option<atende_domain::pricing::RateCard>, AppError> {
        match self.store.setting(RATE_CARD_KEY).await? {
            // Checked when saved; a table that no longer reads (after an upgrade) is logged and left aside.
            Some(text) => Ok(atende_app::ssr::parse_rate_card(&text)
                .inspect_err(|e| tracing::error!(%e, "the saved rate card does not read"))
                .ok()),
            None => Ok(None),
        }
    }

    async fn save_rate_card(
        &self,
        card: &atende_domain::pricing::RateCard,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let text = serde_json::to_string(card).map_err(|e| AppError::RateCardInvalid(e.to_string()))?;
        Ok(self.store.put_setting(RATE_CARD_KEY, &text, now).await?)
    }

    async fn set_template_service(
        &self,
        channel: i64,
        name: &str,
        language: &str,
        service: bool,
    ) -> Result<(), AppError> {
        Ok(self.store.set_template_service(channel, name, language, service).await?)
    }

    async fn set_template_labels(
        &self,
        channel: i64,
        name: &str,
        language: &str,
        labels: &[atende_domain::template::ParamLabel],
    ) -> Result<(), AppError> {
        Ok(self.store.set_template_labels(channel, name, language, labels).await?)
    }

    async fn sync_templates(&self, channel: i64) -> Result<usize, AppError> {
        let client = self.channels.template_client(channel).ok_or_else(|| {
            AppError::Provider("este canal não tem modelos de mensagem (só a API Oficial tem).".into())
        })?;
        crate::providers::whatsapp::templates::sync_templates(&self.store, channel, &client)
            .await
            .map_err(AppError::Provider)
    }
}
