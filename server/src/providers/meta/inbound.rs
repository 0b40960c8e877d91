//! Messenger (`object: "page"`) and Instagram (`object: "instagram"`) notifications, applied: messages and
//! reactions from people, deliveries and reads of ours. Echoes of what the page sent are ignored (Atende
//! recorded its own sends already).

use super::wire::{Event, Messaging};
use crate::channels::port::{message_of_correlation, InboundFailure, InboundHandler, InboundSink};
use crate::channels::registry::ChannelRegistry;
use crate::store::inbound::{InboundMessage, StatusUpdate};
use crate::store::media::IncomingMedia;
use crate::store::SqlStore;
use async_trait::async_trait;
use atende_domain::content::{Extras, Rich};
use atende_domain::conversation::ChannelKind;
use atende_domain::time::Timestamp;
use atende_domain::window::InboundKind;
use std::collections::HashMap;
use std::sync::Arc;

/// How long a new person's profile may take before the message is stored under a neutral name.
const PROFILE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The channel kind and the identity kind of a webhook `object`.
fn kinds(object: &str) -> Option<(ChannelKind, &'static str)> {
    match object {
        "page" => Some((ChannelKind::Messenger, "psid")),
        "instagram" => Some((ChannelKind::Instagram, "igsid")),
        _ => None,
    }
}

/// Applies stored Messenger and Instagram notifications.
pub struct MetaInbound {
    pub store: SqlStore,
    /// The pages' clients, to read a new person's name.
    pub channels: Arc<ChannelRegistry>,
}

/// One message of a Meta event, before it is given its person and channel.
struct Said {
    id: String,
    kind: &'static str,
    body: Option<String>,
    activity: InboundKind,
    media: Option<IncomingMedia>,
    extras: Extras,
}

#[async_trait]
impl InboundHandler for MetaInbound {
    async fn prepare(&self, bodies: &[&str], names: &mut HashMap<String, String>) {
        self.names_of_new_people(bodies, names).await;
    }

    /// `Ok(false)` when a receipt names a message Atende does not know yet.
    async fn apply(&self, sink: &mut dyn InboundSink, body: &str) -> Result<bool, InboundFailure> {
        let event = Event::parse(body.as_bytes())
            .map_err(|e| InboundFailure::Unreadable(format!("invalid event: {e}")))?;
        let Some((kind, identity_kind)) = kinds(&event.object) else {
            return Err(InboundFailure::Unreadable(format!(
                "object {:?} is not page or instagram",
                event.object
            )));
        };
        let mut complete = true;
        let mut unknown = Vec::new();
        for entry in &event.entry {
            // One page Atende does not know (removed, or another app's) does not hold back the others.
            let Some(channel_id) = sink.channel(kind, &entry.id).await? else {
                unknown.push(entry.id.as_str());
                continue;
            };
            for messaging in &entry.messaging {
                complete &= Self::apply_messaging(sink, channel_id, identity_kind, messaging).await?;
            }
        }
        if unknown.is_empty() || !complete {
            return Ok(complete);
        }
        // Applied what could be; the receipt keeps a note of what was left out.
        Err(InboundFailure::Unreadable(format!("no {} channel for {}", kind.label(), unknown.join(", "))))
    }
}

impl MetaInbound {
    async fn apply_messaging(
        sink: &mut dyn InboundSink,
        channel_id: i64,
        identity_kind: &str,
        messaging: &Messaging,
    ) -> Result<bool, InboundFailure> {
        let person = messaging.sender.id.as_str();
        let at = messaging.timestamp.map_or(sink.now(), Timestamp::from_millis);
        // Receipts: Messenger names messages (`mids`) and/or gives a watermark; Instagram names the read one.
        let receipt = match (&messaging.delivery, &messaging.read) {
            (Some(delivery), _) => Some(("delivered", delivery.mids.clone(), delivery.watermark)),
            (None, Some(read)) => {
                Some(("read", read.mid.iter().cloned().collect::<Vec<_>>(), read.watermark))
            }
            (None, None) => None,
        };
        if let Some((status, mids, watermark)) = receipt {
            let mut complete = true;
            for mid in &mids {
                complete &= sink.status(&receipt_of(mid, status, at)).await?;
            }
            // Instagram names only the last message seen: the earlier ones were seen too.
            let watermark = match (watermark, mids.last()) {
                (None, Some(mid)) if status == "read" => sink.provider_at(mid).await?,
                _ => watermark,
            };
            if let Some(watermark) = watermark {
                let watermark = Timestamp::from_millis(watermark);
                sink.watermark(channel_id, identity_kind, person, status, watermark).await?;
            }
            // A named message Atende does not know yet waits (its send may not be recorded); one sent by another
            // tool is given up after the processor's grace period.
            return Ok(complete);
        }
        // One message, or one for each file when a person sends several at once (Messenger carries them in one
        // event; WhatsApp sends each as its own message, and the console shows them so): the text, the answered
        // message and a quick reply's button go with the first; the others' ids are the event's with `#2`, `#3`…
        let mut items: Vec<Said> = Vec::new();
        if let Some(message) = &messaging.message {
            if message.is_echo {
                // Our own send, echoed: it carries our id, so a send whose answer was lost is recognised.
                let ours = message_of_correlation(message.metadata.as_deref());
                if ours.is_none() {
                    return Ok(true);
                }
                let update = StatusUpdate {
                    provider_message_id: message.mid.clone(),
                    our_message_id: ours,
                    status: "sent".into(),
                    at,
                    error_code: None,
                    error_text: None,
                    closes_window: false,
                };
                return Ok(sink.status(&update).await?);
            }
            let attachments: Vec<Option<&super::wire::Attachment>> = if message.attachments.is_empty() {
                vec![None]
            } else {
                message.attachments.iter().map(Some).collect()
            };
            for (index, attachment) in attachments.into_iter().enumerate() {
                let first = index == 0;
                let kind = match attachment.map(|a| a.kind.as_str()) {
                    None => "text",
                    Some("image") => "image",
                    Some("video") => "video",
                    Some("audio") => "audio",
                    Some("file") => "document",
                    Some("sticker") => "sticker",
                    // The person mentioned the account in their story: shown as a picture, never stored.
                    Some("story_mention") => "image",
                    Some(_) => "unsupported",
                };
                let story = attachment.is_some_and(|a| a.kind == "story_mention");
                let said = message
                    .text
                    .clone()
                    .or_else(|| message.quick_reply.as_ref().map(|q| q.payload.clone()))
                    .filter(|_| first);
                let body = said.or_else(|| story.then(|| "Mencionou você no story".to_owned()));
                let activity = match kind {
                    "text" if message.quick_reply.is_some() => InboundKind::ButtonReply,
                    "text" => InboundKind::Text,
                    "image" => InboundKind::Image,
                    "video" => InboundKind::Video,
                    "audio" => InboundKind::Audio,
                    "document" => InboundKind::Document,
                    "sticker" => InboundKind::Sticker,
                    _ => InboundKind::Unsupported,
                };
                let media = match (kind, attachment.and_then(|a| a.payload.url.as_deref())) {
                    ("image" | "video" | "audio" | "document" | "sticker", Some(url)) => {
                        Some(IncomingMedia {
                            source: super::media::source_of(url),
                            mime_type: None,
                            file_name: (kind == "document")
                                .then(|| super::media::file_name_in(url))
                                .flatten(),
                            voice: false,
                            declared_sha256: None,
                            expires_at: None,
                            // Meta: "You must not store/cache the media content" of a story mention.
                            keep: !story,
                        })
                    }
                    _ => None,
                };
                let extras = if first {
                    Extras {
                        rich: message
                            .quick_reply
                            .as_ref()
                            .and(message.text.clone())
                            .map(|text| Rich::ButtonReply { text }),
                        reply_to: message.reply_to.as_ref().map(|r| r.mid.clone()),
                        ..Extras::default()
                    }
                } else {
                    Extras::default()
                };
                let id = if first { message.mid.clone() } else { format!("{}#{}", message.mid, index + 1) };
                items.push(Said { id, kind, body, activity, media, extras });
            }
        } else if let Some(reaction) = &messaging.reaction {
            let id = format!(
                "reaction:{}:{}:{}",
                person,
                reaction.mid.as_deref().unwrap_or_default(),
                at.as_millis()
            );
            // "unreact": the reaction is taken off the message, as WhatsApp's reaction without an emoji.
            let emoji = reaction.emoji.clone().filter(|_| reaction.action.as_deref() != Some("unreact"));
            let rich = reaction.mid.clone().map(|to| Rich::Reaction { to, emoji: emoji.clone() });
            let extras = Extras { rich, ..Extras::default() };
            items.push(Said {
                id,
                kind: "reaction",
                body: emoji,
                activity: InboundKind::Reaction,
                media: None,
                extras,
            });
        } else if let Some(postback) = &messaging.postback {
            let id = format!("{}{}:{}", atende_domain::reply::POSTBACK_PREFIX, person, at.as_millis());
            let title = postback.title.clone().or_else(|| postback.payload.clone());
            let rich = postback.title.clone().map(|text| Rich::ButtonReply { text });
            let extras = Extras { rich, ..Extras::default() };
            items.push(Said {
                id,
                kind: "button",
                body: title,
                activity: InboundKind::Postback,
                media: None,
                extras,
            });
        } else {
            return Ok(true);
        }
        // Asked of the provider before the batch began (see `names_of_new_people`); none for a known person.
        let profile_name = sink.name_of(person);
        let detail = serde_json::to_string(messaging).unwrap_or_else(|_| "{}".into());
        for Said { id: provider_message_id, kind, body, activity, media, extras } in items {
            let inbound = InboundMessage {
                channel_id,
                identity_kind: identity_kind.into(),
                external_id: person.into(),
                phone: None,
                profile_name: profile_name.clone(),
                provider_message_id,
                kind: kind.into(),
                body,
                detail: detail.clone(),
                sent_at: at,
                activity,
                media,
                extras,
            };
            sink.message(&inbound).await?;
        }
        Ok(true)
    }

    /// Adds to `names` the names of the people in `page`'s Messenger and Instagram messages whom Atende does
    /// not know yet and `names` does not have, from the provider's profile API; a neutral name when the profile cannot be read (no permission, or the
    /// provider is down or slow: the message is not held up for it). Asked before the batch's transaction
    /// begins, so a slow Graph call never holds the database's writer.
    async fn names_of_new_people(&self, bodies: &[&str], names: &mut HashMap<String, String>) {
        for body in bodies {
            let Ok(event) = Event::parse(body.as_bytes()) else { continue };
            let Some((kind, identity_kind)) = kinds(&event.object) else { continue };
            for entry in &event.entry {
                // A lookup the database fails is left to the batch, which meets the same failure and handles
                // it (a passing fault is retried; a receipt the store refuses is set aside): a name is a
                // nicety, it must not stop the pass.
                let Ok(Some(channel_id)) = self.store.channel_id_by_provider(kind, &entry.id).await else {
                    continue;
                };
                for messaging in &entry.messaging {
                    let writes = messaging.message.as_ref().is_some_and(|m| !m.is_echo)
                        || messaging.reaction.is_some()
                        || messaging.postback.is_some();
                    let person = messaging.sender.id.as_str();
                    if !writes
                        || names.contains_key(person)
                        || self.store.identity_known(identity_kind, person).await.unwrap_or(true)
                    {
                        continue;
                    }
                    let name = self.profile_name(channel_id, kind, person).await;
                    names.insert(person.to_owned(), name);
                }
            }
        }
    }

    /// The person's name from the provider, or a neutral one.
    async fn profile_name(&self, channel_id: i64, kind: ChannelKind, person: &str) -> String {
        let looked_up = match self.channels.messenger(channel_id) {
            Some(client) => match tokio::time::timeout(PROFILE_TIMEOUT, client.profile(person)).await {
                Ok(Ok(profile)) => profile.display_name(),
                Ok(Err(failure)) => {
                    tracing::warn!(%failure, "could not read the contact's profile");
                    None
                }
                Err(_) => {
                    tracing::warn!(timeout = ?PROFILE_TIMEOUT, "the contact's profile took too long; named later by hand");
                    None
                }
            },
            None => None,
        };
        let tail: String = person.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        looked_up.unwrap_or_else(|| format!("Contato do {} …{tail}", kind.label()))
    }
}

/// A Messenger or Instagram receipt naming one of our messages.
fn receipt_of(mid: &str, status: &str, at: Timestamp) -> StatusUpdate {
    StatusUpdate {
        provider_message_id: mid.into(),
        our_message_id: None,
        status: status.into(),
        at,
        error_code: None,
        error_text: None,
        closes_window: false,
    }
}
