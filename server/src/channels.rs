//! The channels a server starts with: from the environment (WhatsApp Oficial, WhatsApp Não Oficial,
//! Messenger, Instagram) and, when the sandbox is on, one of each kind played by the sandbox. Each gets its
//! row in the database, its way out for the outbound worker, and what authenticates its webhooks.

use crate::dispatch::{ChannelSender, CloudApiSender, MessengerSender};
use crate::evolution::{EvolutionClient, EvolutionConfig, EvolutionSender};
use crate::messenger::{MessengerClient, MessengerConfig};
use crate::sandbox::others::{OthersConfig, OthersSandbox};
use crate::sandbox::{SandboxConfig, SandboxState};
use crate::settings::{MetaPageSettings, Settings};
use crate::store::channels::ChannelConfig;
use crate::store::SqlStore;
use crate::webhooks::EvolutionWebhookAuth;
use crate::whatsapp::{CloudApiClient, CloudApiConfig};
use anyhow::Context;
use atende_domain::conversation::ChannelKind;
use atende_domain::time::Timestamp;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// What [`configure`] set up.
pub(crate) struct Configured {
    pub senders: HashMap<i64, Arc<dyn ChannelSender>>,
    /// Official channels whose templates are synced at start.
    pub template_sync: Vec<(i64, CloudApiClient)>,
    /// Keys of `X-Hub-Signature-256` (Meta's app secret; the sandbox's).
    pub app_secrets: Vec<Arc<[u8]>>,
    pub verify_token: Arc<str>,
    pub evolution: Vec<EvolutionWebhookAuth>,
    /// Messenger/Instagram clients by channel id (profiles of new contacts).
    pub messenger: HashMap<i64, MessengerClient>,
    pub sandbox: Option<SandboxState>,
    pub others: Option<OthersSandbox>,
}

/// The names of the sandbox's channels.
pub const SANDBOX_UNOFFICIAL: &str = "WhatsApp Não Oficial (sandbox)";
pub const SANDBOX_MESSENGER: &str = "Messenger (sandbox)";
pub const SANDBOX_INSTAGRAM: &str = "Instagram (sandbox)";

async fn upsert(store: &SqlStore, config: &ChannelConfig, now: Timestamp) -> anyhow::Result<i64> {
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
        let client = CloudApiClient::new(config)?;
        self.senders.insert(channel, Arc::new(CloudApiSender { client: client.clone() }));
        self.template_sync.push((channel, client));
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
        self.evolution.push(EvolutionWebhookAuth {
            instance: config.instance.clone(),
            api_key: Arc::from(config.api_key.as_str()),
            webhook_token: Arc::from(webhook_token),
        });
        self.senders.insert(channel, Arc::new(EvolutionSender { client: EvolutionClient::new(config)? }));
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
        let client = MessengerClient::new(config)?;
        self.senders.insert(channel, Arc::new(MessengerSender { client: client.clone() }));
        self.messenger.insert(channel, client);
        Ok(())
    }
}

/// How long one send may take: 20 seconds, or less so that it always ends well inside the lease of its job
/// (another worker must never take a job back while its send is still running).
fn send_timeout(settings: &Settings) -> Duration {
    Duration::from_secs(20)
        .min(Duration::from_millis(settings.send_lease_seconds.saturating_mul(400)))
        .max(Duration::from_millis(500))
}

/// Creates or updates every configured channel and, with the sandbox on, the sandbox's four.
pub(crate) async fn configure(
    store: &SqlStore,
    settings: &Settings,
    loopback: SocketAddr,
    now: Timestamp,
) -> anyhow::Result<Configured> {
    let mut configured = Configured {
        senders: HashMap::new(),
        template_sync: Vec::new(),
        app_secrets: Vec::new(),
        verify_token: Arc::from(""),
        evolution: Vec::new(),
        messenger: HashMap::new(),
        sandbox: None,
        others: None,
    };
    if let Some(whatsapp) = &settings.whatsapp {
        let config = CloudApiConfig::new(&whatsapp.token, &whatsapp.phone_number_id, &whatsapp.waba_id)
            .with_base_url(&whatsapp.graph_url)
            .with_timeout(send_timeout(settings));
        configured.add_official(store, "WhatsApp Oficial", config, None, now).await?;
        configured.app_secrets.push(Arc::from(whatsapp.app_secret.as_bytes()));
        configured.verify_token = Arc::from(whatsapp.verify_token.as_str());
    }
    if let Some(meta) = &settings.meta_app {
        configured.app_secrets.push(Arc::from(meta.app_secret.as_bytes()));
        configured.verify_token = Arc::from(meta.verify_token.as_str());
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
    if settings.sandbox {
        add_sandbox(&mut configured, store, settings, loopback, now).await?;
    }
    Ok(configured)
}

/// The sandbox's channels: WhatsApp Oficial through the Cloud API fake, WhatsApp Não Oficial through the
/// Evolution fake, Messenger (with the HUMAN_AGENT tag, to show it) and Instagram through the Send API fake.
/// Every secret is new at each start: nobody outside this process can act in the sandbox's name.
async fn add_sandbox(
    configured: &mut Configured,
    store: &SqlStore,
    settings: &Settings,
    loopback: SocketAddr,
    now: Timestamp,
) -> anyhow::Result<()> {
    let config = SandboxConfig {
        webhook_url: format!("http://{loopback}/webhooks/whatsapp"),
        app_secret: crate::random_secret(),
        rate_limit_per_second: settings.outbound_rate.max(1) * 2,
        ..SandboxConfig::default()
    };
    let cloud_api = CloudApiConfig::new("sandbox", &config.phone_number_id, &config.waba_id)
        .with_base_url(format!("http://{loopback}/sandbox/graph/v23.0"))
        .with_timeout(send_timeout(settings));
    let display_phone = Some(config.display_phone_number.clone());
    configured.add_official(store, crate::SANDBOX_CHANNEL, cloud_api, display_phone, now).await?;
    configured.app_secrets.push(Arc::from(config.app_secret.as_bytes()));

    let others = OthersConfig {
        evolution_webhook_url: format!("http://{loopback}/webhooks/evolution"),
        evolution_api_key: crate::random_secret(),
        evolution_webhook_token: crate::random_secret(),
        meta_webhook_url: format!("http://{loopback}/webhooks/meta"),
        meta_app_secret: config.app_secret.clone(),
        meta_token: crate::random_secret(),
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

    if configured.verify_token.is_empty() {
        configured.verify_token = Arc::from("sandbox");
    }
    let others = OthersSandbox::new(others);
    configured.sandbox = Some(SandboxState::with_others(config, Some(others.clone())));
    configured.others = Some(others);
    Ok(())
}
