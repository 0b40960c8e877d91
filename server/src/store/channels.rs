//! Teams and channels, as the server configures them at start (and, later, as admins edit them).

use super::{unavailable, SqlStore};
use atende_domain::conversation::ChannelKind;
use atende_domain::ports::StoreError;
use atende_domain::time::Timestamp;
use sqlx::Row;

/// A channel as configuration describes it.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    pub kind: ChannelKind,
    pub name: String,
    /// The provider's id of our number or page (Cloud API `phone_number_id`).
    pub provider_id: String,
    /// Cloud API business account id (templates live there).
    pub account_id: Option<String>,
    pub display_phone: Option<String>,
    /// JSON with credentials. Never shown back.
    pub secret_config: String,
    /// Instagram/Messenger: answer with the HUMAN_AGENT tag up to 7 days after the contact's message.
    pub human_agent_tag: bool,
}

impl ChannelConfig {
    /// A channel known by its provider id only (no account, no display number, no stored secret, no tag).
    pub fn plain(kind: ChannelKind, name: &str, provider_id: &str) -> Self {
        Self {
            kind,
            name: name.into(),
            provider_id: provider_id.into(),
            account_id: None,
            display_phone: None,
            secret_config: "{}".into(),
            human_agent_tag: false,
        }
    }
}

impl std::fmt::Debug for ChannelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelConfig")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("provider_id", &self.provider_id)
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// The team with this name, created if missing.
    pub async fn ensure_team(&self, name: &str, now: Timestamp) -> Result<i64, StoreError> {
        sqlx::query("INSERT INTO team (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(now.as_millis())
            .execute(&self.writer)
            .await
            .map_err(unavailable)?;
        sqlx::query("SELECT team_id FROM team WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?
            .try_get("team_id")
            .map_err(unavailable)
    }

    /// Creates the channel, or updates the one with the same name. Returns its id.
    pub async fn upsert_channel(&self, channel: &ChannelConfig, now: Timestamp) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO channel (kind, name, provider_id, account_id, display_phone, secret_config, created_at, \
             updated_at, human_agent_tag) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) \
             ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, provider_id = excluded.provider_id, \
             account_id = excluded.account_id, display_phone = excluded.display_phone, \
             secret_config = excluded.secret_config, updated_at = excluded.updated_at, \
             human_agent_tag = excluded.human_agent_tag, configured_in = 'environment'",
        )
        .bind(channel.kind.code())
        .bind(&channel.name)
        .bind(&channel.provider_id)
        .bind(channel.account_id.as_deref())
        .bind(channel.display_phone.as_deref())
        .bind(&channel.secret_config)
        .bind(now.as_millis())
        .bind(i64::from(channel.human_agent_tag))
        .execute(&self.writer)
        .await
        .map_err(unavailable)?;
        sqlx::query("SELECT channel_id FROM channel WHERE name = $1")
            .bind(&channel.name)
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?
            .try_get("channel_id")
            .map_err(unavailable)
    }

    /// The channel of this kind the provider knows by `provider_id` (a Cloud API `phone_number_id`).
    pub async fn channel_id_by_provider(
        &self,
        kind: ChannelKind,
        provider_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        Self::channel_id_by_provider_on(&mut conn, kind, provider_id).await
    }

    /// [`Self::channel_id_by_provider`] on `conn` (inside a transaction that writes, a read must not wait for
    /// another connection of the pool: on SQLite those may all be waiting for this transaction's lock).
    pub(crate) async fn channel_id_by_provider_on(
        conn: &mut sqlx::AnyConnection,
        kind: ChannelKind,
        provider_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        sqlx::query("SELECT channel_id FROM channel WHERE kind = $1 AND provider_id = $2")
            .bind(kind.code())
            .bind(provider_id)
            .fetch_optional(conn)
            .await
            .map_err(unavailable)?
            .map(|row| row.try_get("channel_id"))
            .transpose()
            .map_err(unavailable)
    }

    /// Opens a conversation with a contact on a configured channel, for a team.
    pub async fn open_conversation_on(
        &self,
        contact_id: i64,
        channel_id: i64,
        team_id: Option<i64>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        self.write_returning(
            sqlx::query(
                "INSERT INTO conversation (contact_id, channel, channel_id, team_id, status, created_at, \
                 updated_at) SELECT $1, channel.kind, channel.channel_id, $3, 'open', $4, $4 FROM channel \
                 WHERE channel.channel_id = $2 AND EXISTS (SELECT 1 FROM contact WHERE contact_id = $1) \
                 RETURNING conversation_id",
            )
            .bind(contact_id)
            .bind(channel_id)
            .bind(team_id)
            .bind(now.as_millis()),
        )
        .await
        .map_err(unavailable)?
        .ok_or(StoreError::NotFound)?
        .try_get("conversation_id")
        .map_err(unavailable)
    }
}

/// A channel row as the admin page lists it (with its stored credentials, which stay on the server).
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelRecord {
    pub id: i64,
    pub config: ChannelConfig,
    /// Added by an admin in the console (else: environment or sandbox, read-only there).
    pub from_console: bool,
}

impl std::fmt::Debug for ChannelRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelRecord")
            .field("id", &self.id)
            .field("name", &self.config.name)
            .field("kind", &self.config.kind)
            .field("from_console", &self.from_console)
            .finish_non_exhaustive()
    }
}

/// Why a console channel was not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveChannelError {
    /// Another channel has this name, or this kind and provider id.
    Taken,
    /// The channel comes from the environment (or the sandbox): the console does not change it.
    FromEnvironment,
    Store(StoreError),
}

impl From<StoreError> for SaveChannelError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl SqlStore {
    /// Every channel, by name, with its stored configuration.
    pub async fn channel_records(&self) -> Result<Vec<ChannelRecord>, StoreError> {
        let rows: Vec<ChannelRow> = sqlx::query_as(
            "SELECT channel_id, kind, name, provider_id, account_id, display_phone, secret_config, \
             human_agent_tag, configured_in FROM channel ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter()
            .map(|row| {
                let kind =
                    ChannelKind::from_code(&row.kind).ok_or_else(|| super::corrupt("kind", &row.kind))?;
                Ok(ChannelRecord {
                    id: row.channel_id,
                    config: ChannelConfig {
                        kind,
                        name: row.name,
                        provider_id: row.provider_id,
                        account_id: row.account_id,
                        display_phone: row.display_phone,
                        secret_config: row.secret_config,
                        human_agent_tag: row.human_agent_tag != 0,
                    },
                    from_console: row.configured_in == "console",
                })
            })
            .collect()
    }

    /// Adds (`id` `None`) or changes a channel configured in the console, in one transaction.
    pub async fn save_console_channel(
        &self,
        id: Option<i64>,
        channel: &ChannelConfig,
        now: Timestamp,
    ) -> Result<i64, SaveChannelError> {
        let mut tx = self.write_tx().await?;
        if let Some(id) = id {
            let origin: Option<String> =
                sqlx::query("SELECT configured_in FROM channel WHERE channel_id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(unavailable)?
                    .map(|row| row.try_get("configured_in"))
                    .transpose()
                    .map_err(unavailable)?;
            match origin.as_deref() {
                None => return Err(StoreError::NotFound.into()),
                Some("console") => {}
                Some(_) => return Err(SaveChannelError::FromEnvironment),
            }
        }
        let clash = sqlx::query(
            "SELECT 1 AS found FROM channel WHERE (name = $1 OR (kind = $2 AND provider_id = $3)) \
             AND channel_id <> $4",
        )
        .bind(&channel.name)
        .bind(channel.kind.code())
        .bind(&channel.provider_id)
        .bind(id.unwrap_or(-1))
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        if clash.is_some() {
            return Err(SaveChannelError::Taken);
        }
        // A new channel gets its row first; then one UPDATE writes every field in both cases.
        let saved: i64 = match id {
            Some(id) => id,
            None => sqlx::query(
                "INSERT INTO channel (kind, name, provider_id, configured_in, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'console', $4, $4) RETURNING channel_id",
            )
            .bind(channel.kind.code())
            .bind(&channel.name)
            .bind(&channel.provider_id)
            .bind(now.as_millis())
            .fetch_one(&mut *tx)
            .await
            .map_err(unavailable)?
            .try_get("channel_id")
            .map_err(unavailable)?,
        };
        sqlx::query(
            "UPDATE channel SET kind = $2, name = $3, provider_id = $4, account_id = $5, secret_config = $6, \
             human_agent_tag = $7, updated_at = $8 WHERE channel_id = $1",
        )
        .bind(saved)
        .bind(channel.kind.code())
        .bind(&channel.name)
        .bind(&channel.provider_id)
        .bind(channel.account_id.as_deref())
        .bind(&channel.secret_config)
        .bind(i64::from(channel.human_agent_tag))
        .bind(now.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.commit(tx).await?;
        Ok(saved)
    }

    /// When a console channel last changed, and how many there are: another instance compares it to know
    /// when to reload them.
    pub async fn console_channels_stamp(&self) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(MAX(updated_at), 0) AS stamp, COUNT(*) AS n FROM channel WHERE configured_in = 'console'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok((row.try_get("stamp").map_err(unavailable)?, row.try_get("n").map_err(unavailable)?))
    }
}

impl SqlStore {
    /// A console setting, if an admin saved one.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query("SELECT value FROM setting WHERE setting_key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .map(|row| row.try_get("value"))
            .transpose()
            .map_err(unavailable)
    }

    /// Saves (or replaces) a console setting.
    pub async fn put_setting(&self, key: &str, value: &str, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO setting (setting_key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (setting_key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(now.as_millis())
        .execute(&self.writer)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}

/// A channel's row.
#[derive(sqlx::FromRow)]
struct ChannelRow {
    channel_id: i64,
    kind: String,
    name: String,
    provider_id: String,
    account_id: Option<String>,
    display_phone: Option<String>,
    secret_config: String,
    human_agent_tag: i64,
    configured_in: String,
}
