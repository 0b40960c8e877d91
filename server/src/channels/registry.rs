//! The channels this process can use right now: how each sends, what authenticates its webhooks, which have
//! templates to sync. Filled at start (environment, sandbox, and channels an admin configured in the console)
//! and changed while running when an admin saves a channel, so the worker, the webhooks and the admin page
//! all see the same set without a restart.

use crate::channels::port::{ChannelSender, MediaSource};
use crate::providers::evolution::EvolutionWebhookAuth;
use crate::providers::meta::MessengerClient;
use crate::providers::whatsapp::CloudApiClient;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Default)]
struct Entries {
    senders: HashMap<i64, Arc<dyn ChannelSender>>,
    media: HashMap<i64, Arc<dyn MediaSource>>,
    template_sync: HashMap<i64, CloudApiClient>,
    evolution: HashMap<i64, EvolutionWebhookAuth>,
    messenger: HashMap<i64, MessengerClient>,
    /// Keys of `X-Hub-Signature-256`: the environment's and the sandbox's (channel `None`), and those saved
    /// with a console channel.
    app_secrets: Vec<(Option<i64>, Arc<[u8]>)>,
    /// Tokens Meta may present in the subscription handshake.
    verify_tokens: Vec<(Option<i64>, Arc<str>)>,
    /// The provider ids a channel's own app secret may sign for (number, account, page).
    owned_ids: HashMap<i64, Vec<String>>,
}

/// Shared by the worker, the webhook routes and processor, and the admin page. Reads take a short lock and
/// clone what they need (an `Arc` or a small client), never hold it across an await.
#[derive(Default)]
pub struct ChannelRegistry {
    entries: RwLock<Entries>,
}

/// Everything one channel contributes.
#[derive(Default)]
pub struct ChannelEntry {
    pub sender: Option<Arc<dyn ChannelSender>>,
    /// Where the files contacts send are fetched.
    pub media: Option<Arc<dyn MediaSource>>,
    pub template_sync: Option<CloudApiClient>,
    pub evolution: Option<EvolutionWebhookAuth>,
    pub messenger: Option<MessengerClient>,
    pub app_secret: Option<Arc<[u8]>>,
    pub verify_token: Option<Arc<str>>,
    /// What a notification signed with `app_secret` may speak for: Meta's ids of this channel's number, business
    /// account or page (an `entry[].id` or `phone_number_id` of anything else is refused).
    pub owned_ids: Vec<String>,
}

impl ChannelRegistry {
    /// Only senders (tests of the worker).
    pub fn with_senders(senders: HashMap<i64, Arc<dyn ChannelSender>>) -> Self {
        let registry = Self::default();
        for (channel, sender) in senders {
            registry.put(channel, ChannelEntry { sender: Some(sender), ..ChannelEntry::default() });
        }
        registry
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets (or replaces) everything `channel` contributes.
    pub fn put(&self, channel: i64, entry: ChannelEntry) {
        let mut entries = self.write();
        let ChannelEntry {
            sender,
            media,
            template_sync,
            evolution,
            messenger,
            app_secret,
            verify_token,
            owned_ids,
        } = entry;
        fn set<T>(map: &mut HashMap<i64, T>, channel: i64, value: Option<T>) {
            match value {
                Some(value) => map.insert(channel, value),
                None => map.remove(&channel),
            };
        }
        set(&mut entries.senders, channel, sender);
        set(&mut entries.media, channel, media);
        set(&mut entries.template_sync, channel, template_sync);
        set(&mut entries.evolution, channel, evolution);
        set(&mut entries.messenger, channel, messenger);
        set(&mut entries.owned_ids, channel, Some(owned_ids));
        entries.app_secrets.retain(|(owner, _)| *owner != Some(channel));
        entries.app_secrets.extend(app_secret.map(|secret| (Some(channel), secret)));
        entries.verify_tokens.retain(|(owner, _)| *owner != Some(channel));
        entries.verify_tokens.extend(verify_token.map(|token| (Some(channel), token)));
    }

    /// A key or token of the whole server (environment, sandbox), not of one channel.
    pub fn add_global(&self, app_secret: Option<Arc<[u8]>>, verify_token: Option<Arc<str>>) {
        let mut entries = self.write();
        entries.app_secrets.extend(app_secret.map(|secret| (None, secret)));
        entries.verify_tokens.extend(verify_token.map(|token| (None, token)));
    }

    pub fn sender(&self, channel: i64) -> Option<Arc<dyn ChannelSender>> {
        self.read().senders.get(&channel).cloned()
    }

    /// Where the channel's inbound files are fetched.
    pub fn media_source(&self, channel: i64) -> Option<Arc<dyn MediaSource>> {
        self.read().media.get(&channel).cloned()
    }

    pub fn template_client(&self, channel: i64) -> Option<CloudApiClient> {
        self.read().template_sync.get(&channel).cloned()
    }

    pub fn template_clients(&self) -> Vec<(i64, CloudApiClient)> {
        let mut clients: Vec<_> = self.read().template_sync.iter().map(|(id, c)| (*id, c.clone())).collect();
        clients.sort_by_key(|(id, _)| *id);
        clients
    }

    pub fn messenger(&self, channel: i64) -> Option<MessengerClient> {
        self.read().messenger.get(&channel).cloned()
    }

    /// The Evolution instance's webhook credentials.
    pub fn evolution(&self, instance: &str) -> Option<EvolutionWebhookAuth> {
        self.read().evolution.values().find(|auth| auth.instance == instance).cloned()
    }

    /// Whether a Meta notification is authentic: signed with a key of the whole server (environment, sandbox),
    /// or with one channel's own app secret and about that channel only (`ids`: its `entry[].id` and
    /// `phone_number_id` values), so one channel's secret cannot speak for another.
    pub fn accepts_signed(&self, verify: impl Fn(&[u8]) -> bool, ids: impl FnOnce() -> Vec<String>) -> bool {
        let entries = self.read();
        if entries.app_secrets.iter().any(|(owner, secret)| owner.is_none() && verify(secret)) {
            return true;
        }
        // Channels of one Meta app share its secret: the notification may speak for any of them.
        let owned: Vec<&String> = entries
            .app_secrets
            .iter()
            .filter(|(owner, secret)| owner.is_some() && verify(secret))
            .filter_map(|(owner, _)| owner.and_then(|channel| entries.owned_ids.get(&channel)))
            .flatten()
            .collect();
        if owned.is_empty() {
            return false;
        }
        let ids = ids();
        !ids.is_empty() && ids.iter().all(|id| owned.contains(&id))
    }

    pub fn verify_tokens(&self) -> Vec<Arc<str>> {
        self.read().verify_tokens.iter().map(|(_, token)| token.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(secret: &str, id: &str) -> ChannelEntry {
        ChannelEntry {
            app_secret: Some(Arc::from(secret.as_bytes())),
            owned_ids: vec![id.to_owned()],
            ..ChannelEntry::default()
        }
    }

    #[test]
    fn a_channel_secret_speaks_for_the_channels_that_share_it_only() {
        let registry = ChannelRegistry::default();
        registry.put(1, page("app-a", "111"));
        registry.put(2, page("app-a", "222"));
        registry.put(3, page("app-b", "333"));
        let signed_by = |key: &'static str| move |secret: &[u8]| secret == key.as_bytes();
        let ids = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(registry.accepts_signed(signed_by("app-a"), || ids(&["111"])));
        assert!(registry.accepts_signed(signed_by("app-a"), || ids(&["222", "111"])), "same Meta app");
        assert!(!registry.accepts_signed(signed_by("app-a"), || ids(&["333"])), "another app's page");
        assert!(!registry.accepts_signed(signed_by("app-a"), Vec::new), "a body naming nothing");
        assert!(!registry.accepts_signed(signed_by("nobody"), || ids(&["111"])));
        registry.add_global(Some(Arc::from(&b"global"[..])), None);
        assert!(
            registry.accepts_signed(signed_by("global"), || ids(&["333", "999"])),
            "the server's own key"
        );
        registry.put(2, ChannelEntry::default());
        assert!(
            !registry.accepts_signed(signed_by("app-a"), || ids(&["222"])),
            "replaced: its secret is gone"
        );
    }
}
