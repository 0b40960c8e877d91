//! What the contact sees of the agent: their messages marked read when an agent opens the conversation, and
//! "digitando…" while an agent writes, on every provider that has them (Cloud API `status: read` with its
//! typing indicator, Evolution's `markMessageAsRead` and `sendPresence`, Messenger's and Instagram's
//! `mark_seen` and `typing_on`). Best effort and off the request's path: a provider that fails is logged,
//! nothing the agent does waits for it.

use crate::channels::registry::ChannelRegistry;
use crate::store::SqlStore;
use atende_app::ssr::Presence;
use atende_domain::conversation::ConversationId;
use std::sync::Arc;

pub(crate) struct ProviderPresence {
    pub(crate) store: SqlStore,
    pub(crate) channels: Arc<ChannelRegistry>,
}

impl ProviderPresence {
    async fn acknowledge(store: SqlStore, channels: Arc<ChannelRegistry>, id: ConversationId, typing: bool) {
        let latest = match store.latest_inbound(id.0).await {
            Ok(Some(latest)) => latest,
            Ok(None) => return,
            Err(error) => {
                return tracing::warn!(%error, conversation = id.0, "read receipt: store unavailable")
            }
        };
        // Claimed before it is told, so that two opening it at once tell it once. Told, or refused (outside
        // Meta's window, a message too old): either way not asked again at every refresh of the conversation;
        // the contact's next message is acknowledged anew.
        let claimed = !latest.acknowledged
            && match store.claim_read_receipt(id.0, &latest.provider_message_id).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    return tracing::warn!(%error, conversation = id.0, "read receipt: store unavailable")
                }
            };
        // Opened again with nothing new: the provider already knows.
        if !claimed && !typing {
            return;
        }
        let Some(sender) = channels.sender(latest.channel_id) else { return };
        let answer = sender.acknowledge(&latest.recipient, &latest.provider_message_id, typing).await;
        if let Err(error) = &answer {
            tracing::info!(%error, conversation = id.0, typing, "the provider refused a read receipt");
        }
    }
}

impl Presence for ProviderPresence {
    fn seen(&self, conversation: ConversationId) {
        tokio::spawn(Self::acknowledge(self.store.clone(), self.channels.clone(), conversation, false));
    }

    fn typing(&self, conversation: ConversationId) {
        tokio::spawn(Self::acknowledge(self.store.clone(), self.channels.clone(), conversation, true));
    }
}
