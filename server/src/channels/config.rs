//! The channels a server starts with: from the environment (WhatsApp Oficial, WhatsApp Não Oficial,
//! Messenger, Instagram) and, when the sandbox is on, one of each kind played by the sandbox. Each gets its
//! row in the database, its way out for the outbound worker, and what authenticates its webhooks.

use super::port::{Gates, Handlers};
use super::registry::{ChannelEntry, ChannelRegistry};
use crate::providers::evolution::inbound::{EvolutionGate, EvolutionInbound};
use crate::providers::evolution::sender::EvolutionSender;
use crate::providers::evolution::{EvolutionClient, EvolutionConfig, EvolutionWebhookAuth};
use crate::providers::meta::inbound::MetaInbound;
use crate::providers::meta::sender::MessengerSender;
use crate::providers::meta::{MessengerClient, MessengerConfig};
use crate::providers::whatsapp::inbound::{CloudApiInbound, SignedGate};
use crate::providers::whatsapp::sender::CloudApiSender;
use crate::providers::whatsapp::{CloudApiClient, CloudApiConfig};
#[cfg(feature = "sandbox")]
use crate::sandbox::others::{OthersConfig, OthersSandbox};
#[cfg(feature = "sandbox")]
use crate::sandbox::{SandboxConfig, SandboxState};
use crate::settings::{MetaPageSettings, Settings};
use crate::store::channels::ChannelConfig;
use crate::store::SqlStore;
use anyhow::Context;
use atende_domain::conversation::ChannelKind;
use atende_domain::time::Timestamp;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// What [`configure`] set up.
pub(crate) struct Configured {
    /// Every channel's way out and webhook credentials.
    pub registry: Arc<ChannelRegistry>,
    #[cfg(feature = "sandbox")]
    pub sandbox: Option<SandboxState>,
    #[cfg(feature = "sandbox")]
    pub others: Option<OthersSandbox>,
}

/// The names of the sandbox's channels.
pub const SANDBOX_CHANNEL: &str = "WhatsApp Oficial (sandbox)";
pub const SANDBOX_UNOFFICIAL: &str = "WhatsApp Não Oficial (sandbox)";
pub const SANDBOX_MESSENGER: &str = "Messenger (sandbox)";
pub const SANDBOX_INSTAGRAM: &str = "Instagram (sandbox)";

async fn upsert(store: &SqlStore, config: &ChannelConfig, now: Timestamp) -> anyhow::Result<i64> {
    // A channel an admin added in the console is theirs: the environment never takes it over.
    let records = store.channel_records().await.context("Failed to read the channels")?;
    if let Some(console) = records.iter().find(|r| {
        r.from_console
            && (r.config.name == config.name
                || (r.config.kind == config.kind && r.config.provider_id == config.provider_id))
    }) {
        anyhow::bail!(
            "O canal “{}” foi criado no console com o mesmo nome ou a mesma identificação de “{}”, que as \
             variáveis de ambiente configuram: renomeie um deles ou remova as variáveis.",
            console.config.name,
            config.name
        );
    }
    store
        .upsert_channel(config, now)
        .await
        .with_context(|| format!("Failed to configure the channel {}", config.name))
}

impl Configured {
    async fn add_official(
        &mut self,
        store: &SqlStore,
        name: &str,
        config: CloudApiConfig,
        display_phone: Option<String>,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let row = ChannelConfig {
            account_id: Some(config.waba_id.clone()),
            display_phone,
            ..ChannelConfig::plain(ChannelKind::WhatsappOfficial, name, &config.phone_number_id)
        };
        let channel = upsert(store, &row, now).await?;
        self.registry.put(channel, official_entry(config)?);
        Ok(())
    }

    async fn add_evolution(
        &mut self,
        store: &SqlStore,
        name: &str,
        config: EvolutionConfig,
        webhook_token: &str,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let row = ChannelConfig::plain(ChannelKind::WhatsappUnofficial, name, &config.instance);
        let channel = upsert(store, &row, now).await?;
        self.registry.put(channel, evolution_entry(config, webhook_token)?);
        Ok(())
    }

    async fn add_meta_page(
        &mut self,
        store: &SqlStore,
        name: &str,
        config: MessengerConfig,
        human_agent_tag: bool,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let row =
            ChannelConfig { human_agent_tag, ..ChannelConfig::plain(config.kind, name, &config.account_id) };
        let channel = upsert(store, &row, now).await?;
        self.registry.put(channel, meta_page_entry(config)?);
        Ok(())
    }
}

/// An official channel: sends through the Cloud API, syncs its templates.
pub(crate) fn official_entry(config: CloudApiConfig) -> anyhow::Result<ChannelEntry> {
    let client = CloudApiClient::new(config)?;
    Ok(ChannelEntry {
        sender: Some(Arc::new(CloudApiSender { client: client.clone() })),
        media: Some(Arc::new(client.clone())),
        template_sync: Some(client),
        ..ChannelEntry::default()
    })
}

/// An Evolution API instance: sends through it, accepts its webhooks with its tokens.
pub(crate) fn evolution_entry(config: EvolutionConfig, webhook_token: &str) -> anyhow::Result<ChannelEntry> {
    let auth = EvolutionWebhookAuth {
        instance: config.instance.clone(),
        api_key: Arc::from(config.api_key.as_str()),
        webhook_token: Arc::from(webhook_token),
    };
    let client = EvolutionClient::new(config)?;
    Ok(ChannelEntry {
        sender: Some(Arc::new(EvolutionSender { client: client.clone() })),
        media: Some(Arc::new(client)),
        evolution: Some(auth),
        ..ChannelEntry::default()
    })
}

/// A Facebook page (Messenger) or Instagram account: sends through the Send API, reads profiles.
pub(crate) fn meta_page_entry(config: MessengerConfig) -> anyhow::Result<ChannelEntry> {
    let client = MessengerClient::new(config)?;
    Ok(ChannelEntry {
        sender: Some(Arc::new(MessengerSender { client: client.clone() })),
        media: Some(Arc::new(client.clone())),
        messenger: Some(client),
        ..ChannelEntry::default()
    })
}

/// Who lets each provider's webhook requests in: Meta's signature and handshake for the Cloud API and for
/// Messenger/Instagram, the instances' tokens for Evolution.
pub(crate) fn gates(registry: &Arc<ChannelRegistry>) -> Gates {
    let signed = Arc::new(SignedGate { channels: registry.clone() });
    Gates::from([
        ("whatsapp", signed.clone() as Arc<dyn crate::channels::port::WebhookGate>),
        ("meta", signed),
        ("evolution", Arc::new(EvolutionGate { channels: registry.clone() })),
    ])
}

/// Each provider's reading of its stored webhook bodies.
pub(crate) fn handlers(store: &SqlStore, registry: &Arc<ChannelRegistry>) -> Handlers {
    Handlers::from([
        ("whatsapp", Arc::new(CloudApiInbound) as Arc<dyn crate::channels::port::InboundHandler>),
        ("meta", Arc::new(MetaInbound { store: store.clone(), channels: registry.clone() })),
        ("evolution", Arc::new(EvolutionInbound)),
    ])
}

/// How long one send may take: 20 seconds, or less so that it always ends well inside the lease of its job
/// (another worker must never take a job back while its send is still running).
pub(crate) fn send_timeout(settings: &Settings) -> Duration {
    Duration::from_secs(20)
        .min(Duration::from_millis(settings.send_lease_seconds.saturating_mul(400)))
        .max(Duration::from_millis(500))
}

/// Creates or updates every configured channel and, with the sandbox on ([`Settings::sandbox_on`]), the
/// sandbox's four.
pub(crate) async fn configure(
    store: &SqlStore,
    settings: &Settings,
    loopback: SocketAddr,
    now: Timestamp,
) -> anyhow::Result<Configured> {
    let mut configured = Configured {
        registry: Arc::new(ChannelRegistry::default()),
        #[cfg(feature = "sandbox")]
        sandbox: None,
        #[cfg(feature = "sandbox")]
        others: None,
    };
    if let Some(whatsapp) = &settings.whatsapp {
        let config = CloudApiConfig::new(&whatsapp.token, &whatsapp.phone_number_id, &whatsapp.waba_id)
            .with_base_url(&whatsapp.graph_url)
            .with_timeout(send_timeout(settings));
        configured.add_official(store, "WhatsApp Oficial", config, None, now).await?;
        configured.registry.add_global(
            Some(Arc::from(whatsapp.app_secret.as_bytes())),
            Some(Arc::from(whatsapp.verify_token.as_str())),
        );
    }
    if let Some(meta) = &settings.meta_app {
        configured.registry.add_global(
            Some(Arc::from(meta.app_secret.as_bytes())),
            Some(Arc::from(meta.verify_token.as_str())),
        );
    }
    if let Some(evolution) = &settings.evolution {
        let config = EvolutionConfig {
            base_url: evolution.url.clone(),
            instance: evolution.instance.clone(),
            api_key: evolution.api_key.clone(),
            timeout: send_timeout(settings),
        };
        configured
            .add_evolution(store, "WhatsApp Não Oficial", config, &evolution.webhook_token, now)
            .await?;
    }
    let pages: [(ChannelKind, &str, &Option<MetaPageSettings>); 2] = [
        (ChannelKind::Messenger, "Messenger", &settings.messenger),
        (ChannelKind::Instagram, "Instagram", &settings.instagram),
    ];
    for (kind, name, page) in pages {
        if let Some(page) = page {
            let mut config = MessengerConfig::new(kind, &page.account_id, &page.token)
                .with_base_url(&settings.meta_graph_url);
            config.timeout = send_timeout(settings);
            configured.add_meta_page(store, name, config, page.human_agent_tag, now).await?;
        }
    }
    let console_channels = store
        .channel_records()
        .await
        .context("Failed to read the channels configured in the console")?
        .iter()
        .any(|r| r.from_console);
    if settings.sandbox_on(console_channels) {
        #[cfg(feature = "sandbox")]
        add_sandbox(&mut configured, store, settings, loopback, now).await?;
        #[cfg(not(feature = "sandbox"))]
        {
            let _ = loopback;
            anyhow::bail!(
                "este servidor foi compilado sem o sandbox: configure um canal (ATENDE_WA_*, ATENDE_EVOLUTION_*, \
                 ATENDE_MESSENGER_*, ATENDE_INSTAGRAM_*) ou defina ATENDE_SANDBOX=off"
            );
        }
    }
    Ok(configured)
}

/// The sandbox's channels: WhatsApp Oficial through the Cloud API fake, WhatsApp Não Oficial through the
/// Evolution fake, Messenger (with the HUMAN_AGENT tag, to show it) and Instagram through the Send API fake.
/// Every secret is new at each start: nobody outside this process can act in the sandbox's name.
#[cfg(feature = "sandbox")]
async fn add_sandbox(
    configured: &mut Configured,
    store: &SqlStore,
    settings: &Settings,
    loopback: SocketAddr,
    now: Timestamp,
) -> anyhow::Result<()> {
    let config = SandboxConfig {
        webhook_url: format!("http://{loopback}/webhooks/whatsapp"),
        app_secret: settings
            .sandbox_app_secret
            .as_ref()
            .map_or_else(crate::runtime::random_secret, |s| s.0.clone()),
        rate_limit_per_second: settings.outbound_rate.max(1) * 2,
        ..SandboxConfig::default()
    };
    let cloud_api = CloudApiConfig::new(&config.access_token, &config.phone_number_id, &config.waba_id)
        .with_base_url(format!("http://{loopback}/sandbox/graph/v23.0"))
        .with_timeout(send_timeout(settings));
    let display_phone = Some(config.display_phone_number.clone());
    configured.add_official(store, SANDBOX_CHANNEL, cloud_api, display_phone, now).await?;
    configured.registry.add_global(Some(Arc::from(config.app_secret.as_bytes())), None);

    let others = OthersConfig {
        evolution_webhook_url: format!("http://{loopback}/webhooks/evolution"),
        evolution_api_key: crate::runtime::random_secret(),
        evolution_webhook_token: crate::runtime::random_secret(),
        meta_webhook_url: format!("http://{loopback}/webhooks/meta"),
        meta_app_secret: config.app_secret.clone(),
        meta_token: crate::runtime::random_secret(),
        public_url: format!("http://{loopback}/sandbox"),
        ..OthersConfig::default()
    };
    let evolution = EvolutionConfig {
        base_url: format!("http://{loopback}/sandbox/evolution"),
        instance: others.evolution_instance.clone(),
        api_key: others.evolution_api_key.clone(),
        timeout: send_timeout(settings),
    };
    configured
        .add_evolution(store, SANDBOX_UNOFFICIAL, evolution, &others.evolution_webhook_token, now)
        .await?;
    let meta_base = format!("http://{loopback}/sandbox/meta/v23.0");
    let mut messenger = MessengerConfig::new(ChannelKind::Messenger, &others.page_id, &others.meta_token)
        .with_base_url(&meta_base);
    messenger.timeout = send_timeout(settings);
    configured.add_meta_page(store, SANDBOX_MESSENGER, messenger, true, now).await?;
    let mut instagram =
        MessengerConfig::new(ChannelKind::Instagram, &others.instagram_id, &others.meta_token)
            .with_base_url(&meta_base);
    instagram.timeout = send_timeout(settings);
    configured.add_meta_page(store, SANDBOX_INSTAGRAM, instagram, false, now).await?;

    if configured.registry.verify_tokens().is_empty() {
        configured.registry.add_global(None, Some(Arc::from("sandbox")));
    }
    let others = OthersSandbox::new(others);
    configured.sandbox = Some(SandboxState::with_others(config, Some(others.clone())));
    configured.others = Some(others);
    Ok(())
}

/// The credentials of a channel configured in the console, as `secret_config` keeps them (JSON). Never sent
/// to a browser; the admin page only says which are set.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredSecrets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
    /// The Evolution API's address (not secret, kept with the rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl StoredSecrets {
    pub(crate) fn read(secret_config: &str) -> Self {
        serde_json::from_str(secret_config).unwrap_or_default()
    }
}

/// Where console channels send, and how long a send may take.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    pub whatsapp_graph_url: String,
    pub meta_graph_url: String,
    pub timeout: Duration,
}

impl Links {
    pub(crate) fn from_settings(settings: &Settings) -> Self {
        Self {
            whatsapp_graph_url: settings
                .whatsapp
                .as_ref()
                .map_or_else(|| settings.meta_graph_url.clone(), |w| w.graph_url.clone()),
            meta_graph_url: settings.meta_graph_url.clone(),
            timeout: send_timeout(settings),
        }
    }
}

/// What a console channel contributes to the registry, from its stored row.
pub(crate) fn console_entry(
    record: &crate::store::channels::ChannelRecord,
    links: &Links,
) -> anyhow::Result<ChannelEntry> {
    let config = &record.config;
    let secrets = StoredSecrets::read(&config.secret_config);
    let token = secrets.token.clone().unwrap_or_default();
    let meta_keys = |entry: ChannelEntry| ChannelEntry {
        app_secret: secrets.webhook_secret.as_deref().map(|s| Arc::from(s.as_bytes())),
        verify_token: secrets.verify_token.as_deref().map(Arc::from),
        owned_ids: [Some(config.provider_id.clone()), config.account_id.clone()]
            .into_iter()
            .flatten()
            .collect(),
        ..entry
    };
    Ok(match config.kind {
        ChannelKind::WhatsappOfficial => {
            let account = config.account_id.clone().unwrap_or_default();
            let cloud = CloudApiConfig::new(&token, &config.provider_id, &account)
                .with_base_url(&links.whatsapp_graph_url)
                .with_timeout(links.timeout);
            meta_keys(official_entry(cloud)?)
        }
        ChannelKind::WhatsappUnofficial => {
            let evolution = EvolutionConfig {
                base_url: secrets.url.clone().unwrap_or_default(),
                instance: config.provider_id.clone(),
                api_key: token,
                timeout: links.timeout,
            };
            evolution_entry(evolution, secrets.webhook_secret.as_deref().unwrap_or_default())?
        }
        ChannelKind::Messenger | ChannelKind::Instagram => {
            let mut page = MessengerConfig::new(config.kind, &config.provider_id, &token)
                .with_base_url(&links.meta_graph_url);
            page.timeout = links.timeout;
            meta_keys(meta_page_entry(page)?)
        }
    })
}

/// Puts every console channel in the registry (at start, and when another instance changed one). A channel
/// whose stored configuration cannot be used is logged and left out; the others still work.
pub(crate) async fn load_console_channels(
    store: &SqlStore,
    registry: &ChannelRegistry,
    links: &Links,
) -> Result<(), atende_domain::ports::StoreError> {
    for record in store.channel_records().await?.into_iter().filter(|r| r.from_console) {
        match console_entry(&record, links) {
            Ok(entry) => registry.put(record.id, entry),
            Err(error) => tracing::error!(channel = record.id, %error, "console channel not usable"),
        }
    }
    Ok(())
}
