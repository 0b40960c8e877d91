//! The contacts' messages of a batch of webhooks, stored together: a few statements for the whole batch
//! instead of several for each message.
//!
//! Each statement on SQLite is a round trip to the driver's own thread, and on PostgreSQL one over the network;
//! measured (`atende-bench ingest`, 2 cores), a message stored with its six statements left the machine idle
//! half the time, waiting on those hops. Here the batch is read at once (which ids are stored already, who the
//! contacts are, their latest conversations), the domain decides each message in order in memory (so two
//! messages of one conversation in one batch are decided as if stored one after the other), and what it
//! decided is written at once.
//!
//! Invariants, as when messages were stored one by one: a provider message id is stored once (within the batch
//! too); a contact is found by identity, else by either form of the number, else created once however many of
//! its messages the batch holds; a conversation's row reflects the last of its messages; what was held for a
//! conversation is released in the same transaction as the message that released it.

use super::inbound::{preview, InboundMessage, InboundOutcome};
use super::queue::MessageId;
use super::{corrupt, kept, placeholders, unavailable, values_rows, LifecycleRow, SqlStore};
use atende_domain::channel::{Channel, ChannelKind};
use atende_domain::contact::{fold_for_search, ContactName};
use atende_domain::lifecycle::Lifecycle;
use atende_domain::phone::Phone;
use atende_domain::ports::StoreError;
use atende_domain::time::Timestamp;
use sqlx::{AnyConnection, FromRow, Row};
use std::collections::{HashMap, HashSet};

/// Most rows (or ids) to one statement: far under the bound parameters either database accepts.
const ROWS: usize = 100;

/// A conversation as the batch found (or opened) it, and what its messages changed.
struct Open {
    id: i64,
    channel: Channel,
    lifecycle: Lifecycle,
    /// The list's line, from the newest of the batch's messages that is newer than what it shows.
    preview: Option<String>,
    /// Whether one of the batch's messages lets what was held leave.
    releases: bool,
}

impl SqlStore {
    /// Stores `messages`, in order, inside the caller's transaction; one outcome each, in the same order.
    #[tracing::instrument(skip_all, fields(messages = messages.len()))]
    pub(crate) async fn record_inbound_batch_on(
        tx: &mut AnyConnection,
        messages: &[InboundMessage],
        now: Timestamp,
    ) -> Result<Vec<InboundOutcome>, StoreError> {
        let mut outcomes = vec![InboundOutcome::Duplicate; messages.len()];
        let fresh = fresh_messages(tx, messages).await?;
        if fresh.is_empty() {
            return Ok(outcomes);
        }
        let contacts = contacts_of(tx, messages, &fresh, now).await?;

        // The latest conversation of each contact on each channel, or a new one; locked until its row is
        // written (SQLite's write transaction holds the whole database already): a send refused meanwhile for a
        // closed window, or another instance applying the same contact's message, waits instead of being
        // overwritten.
        let mut pairs: Vec<(i64, i64)> =
            fresh.iter().map(|&at| (contacts[&at], messages[at].channel_id)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut open = latest_conversations(tx, &pairs).await?;
        let missing: Vec<(i64, i64)> =
            pairs.iter().filter(|pair| !open.contains_key(pair)).copied().collect();
        open.extend(open_conversations(tx, &missing, now).await?);

        // The domain decides what each message changes, one after the other.
        let mut rows = Vec::with_capacity(fresh.len());
        for &at in &fresh {
            let message = &messages[at];
            let conversation =
                open.get_mut(&(contacts[&at], message.channel_id)).ok_or(StoreError::NotFound)?;
            let before = conversation.lifecycle;
            let decided =
                before.contact_message(&conversation.channel, message.activity, message.sent_at, now);
            // The list shows the contact's newest message, even when webhooks arrive out of order.
            if before.last_inbound_at().is_none_or(|last| last <= message.sent_at) {
                conversation.preview = Some(preview(message));
            }
            conversation.lifecycle = decided.lifecycle;
            conversation.releases |= decided.releases_held;
            rows.push((at, conversation.id));
        }

        let ids = insert_messages(tx, messages, &rows, now).await?;
        for &(at, conversation_id) in &rows {
            let message = &messages[at];
            let message_id = *ids
                .get(message.provider_message_id.as_str())
                .ok_or_else(|| corrupt("stored message", &message.provider_message_id))?;
            if let Some(media) = &message.media {
                Self::insert_media_on(&mut *tx, message_id, conversation_id, message.channel_id, media, now)
                    .await?;
            }
            outcomes[at] =
                InboundOutcome::Stored { conversation_id, message_id: MessageId(message_id), released: 0 };
        }

        // Every conversation read or opened has a message of the batch.
        let mut touched: Vec<&Open> = open.values().collect();
        touched.sort_unstable_by_key(|c| c.id);
        update_conversations(tx, &touched, now).await?;
        let releasing: Vec<i64> = touched.iter().filter(|c| c.releases).map(|c| c.id).collect();
        for (conversation, released) in Self::release_held_in_each(tx, &releasing, now).await? {
            // Counted on the conversation's first message in the batch (callers add them up).
            if let Some(&(at, _)) = rows.iter().find(|(_, id)| *id == conversation) {
                if let InboundOutcome::Stored { released: count, .. } = &mut outcomes[at] {
                    *count = released;
                }
            }
        }
        Ok(outcomes)
    }
}

/// The positions of the messages not stored before (neither in an earlier batch nor earlier in this one).
async fn fresh_messages(
    tx: &mut AnyConnection,
    messages: &[InboundMessage],
) -> Result<Vec<usize>, StoreError> {
    let ids: Vec<&str> = messages.iter().map(|m| m.provider_message_id.as_str()).collect();
    let mut stored: HashSet<String> = HashSet::new();
    for chunk in ids.chunks(ROWS) {
        let sql = format!(
            "SELECT provider_message_id FROM message WHERE provider_message_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).persistent(kept(tx, chunk.len()));
        for id in chunk {
            query = query.bind(*id);
        }
        stored.extend(query.fetch_all(&mut *tx).await.map_err(unavailable)?);
    }
    let mut taken = HashSet::new();
    Ok((0..messages.len())
        .filter(|&at| {
            let id = messages[at].provider_message_id.as_str();
            !stored.contains(id) && taken.insert(id)
        })
        .collect())
}

/// The contact of each fresh message (by position): by provider identity, else by phone (either ninth-digit
/// form), else a new one, created once for all of its messages. Every identity not known yet is recorded.
async fn contacts_of(
    tx: &mut AnyConnection,
    messages: &[InboundMessage],
    fresh: &[usize],
    now: Timestamp,
) -> Result<HashMap<usize, i64>, StoreError> {
    let mut by_identity = identities(tx, messages, fresh).await?;
    let mut forms = Vec::new();
    for &at in fresh {
        let message = &messages[at];
        if let (false, Some(phone)) = (by_identity.contains_key(&identity(message)), &message.phone) {
            let (first, second) = super::phone_forms(phone);
            forms.push(first);
            forms.push(second);
        }
    }
    forms.sort_unstable();
    forms.dedup();
    let by_phone = contacts_by_phone(tx, &forms).await?;

    // Who each message is from: a contact found, or the new one an earlier message of the batch stands for.
    #[derive(Clone, Copy)]
    enum Who {
        Known(i64),
        New(usize),
    }
    let mut newcomers: Vec<usize> = Vec::new();
    // What earlier messages of the batch found, as the database would tell the later ones had each been
    // stored on its own: the identities they recorded and the numbers of the contacts they created.
    let mut batch_identities: HashMap<(String, String), Who> = HashMap::new();
    let mut new_phones: HashMap<String, usize> = HashMap::new();
    let mut who = Vec::with_capacity(fresh.len());
    for &at in fresh {
        let message = &messages[at];
        let key = identity(message);
        let forms = message.phone.as_ref().map(super::phone_forms);
        let found = if let Some(&id) = by_identity.get(&key) {
            Who::Known(id)
        } else if let Some(&earlier) = batch_identities.get(&key) {
            earlier
        } else if let Some(id) = by_forms(&by_phone, forms.as_ref()) {
            Who::Known(id)
        } else if let Some(slot) = by_forms(&new_phones, forms.as_ref()) {
            Who::New(slot)
        } else {
            newcomers.push(at);
            if let Some((first, second)) = &forms {
                new_phones.entry(first.clone()).or_insert(newcomers.len() - 1);
                new_phones.entry(second.clone()).or_insert(newcomers.len() - 1);
            }
            Who::New(newcomers.len() - 1)
        };
        batch_identities.entry(key).or_insert(found);
        who.push((at, found));
    }
    let created = create_contacts(tx, messages, &newcomers, now).await?;

    let mut contacts = HashMap::with_capacity(fresh.len());
    let mut new_identities: Vec<(i64, &str, &str)> = Vec::new();
    for (at, found) in who {
        let message = &messages[at];
        let contact_id = match found {
            Who::Known(id) => id,
            Who::New(slot) => created[slot],
        };
        let key = identity(message);
        if let std::collections::hash_map::Entry::Vacant(unknown) = by_identity.entry(key) {
            unknown.insert(contact_id);
            new_identities.push((contact_id, &message.identity_kind, &message.external_id));
        }
        contacts.insert(at, contact_id);
    }
    for chunk in new_identities.chunks(ROWS) {
        let rows = values_rows(chunk.len(), 1, &["?", "?", "?"]);
        let sql = format!(
            "INSERT INTO contact_identity (contact_id, kind, external_id) VALUES {rows} \
             ON CONFLICT (kind, external_id) DO NOTHING"
        );
        let mut query = sqlx::query(&sql).persistent(kept(tx, chunk.len()));
        for (contact_id, kind, external_id) in chunk {
            query = query.bind(*contact_id).bind(*kind).bind(*external_id);
        }
        query.execute(&mut *tx).await.map_err(unavailable)?;
    }
    Ok(contacts)
}

/// What `map` holds for either form of a number.
fn by_forms<T: Copy>(map: &HashMap<String, T>, forms: Option<&(String, String)>) -> Option<T> {
    let (first, second) = forms?;
    map.get(first).or_else(|| map.get(second)).copied()
}

fn identity(message: &InboundMessage) -> (String, String) {
    (message.identity_kind.clone(), message.external_id.clone())
}

/// The contacts already known by the identities of the fresh messages.
async fn identities(
    tx: &mut AnyConnection,
    messages: &[InboundMessage],
    fresh: &[usize],
) -> Result<HashMap<(String, String), i64>, StoreError> {
    let mut wanted: HashMap<&str, Vec<&str>> = HashMap::new();
    for &at in fresh {
        wanted.entry(&messages[at].identity_kind).or_default().push(&messages[at].external_id);
    }
    let mut found = HashMap::new();
    for (kind, mut ids) in wanted {
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(ROWS) {
            let sql = format!(
                "SELECT external_id, contact_id FROM contact_identity WHERE kind = $1 AND external_id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query =
                sqlx::query_as::<_, (String, i64)>(&sql).persistent(kept(tx, chunk.len())).bind(kind);
            for id in chunk {
                query = query.bind(*id);
            }
            for (external_id, contact_id) in query.fetch_all(&mut *tx).await.map_err(unavailable)? {
                found.insert((kind.to_owned(), external_id), contact_id);
            }
        }
    }
    Ok(found)
}

/// The contacts whose number is one of `forms`, by number.
async fn contacts_by_phone(
    tx: &mut AnyConnection,
    forms: &[String],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut found = HashMap::new();
    for chunk in forms.chunks(ROWS) {
        let sql = format!(
            "SELECT phone, contact_id FROM contact WHERE phone IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql).persistent(kept(tx, chunk.len()));
        for form in chunk {
            query = query.bind(form.as_str());
        }
        found.extend(query.fetch_all(&mut *tx).await.map_err(unavailable)?);
    }
    Ok(found)
}

/// The name a new contact of `message` gets: the profile name, else the number (or the provider's id).
fn new_contact_name(message: &InboundMessage) -> Result<ContactName, StoreError> {
    let fallback = message.phone.as_ref().map_or_else(|| message.external_id.clone(), Phone::to_string);
    message
        .profile_name
        .as_deref()
        .and_then(|n| ContactName::parse(n).ok())
        .or_else(|| ContactName::parse(&fallback).ok())
        .ok_or_else(|| StoreError::Unavailable(format!("no usable name for {fallback:?}")))
}

/// A new contact for each of the messages at `newcomers`; their ids, in the same order. Those with a number
/// (unique among contacts) are inserted many to a statement and told apart by it; the others one by one.
async fn create_contacts(
    tx: &mut AnyConnection,
    messages: &[InboundMessage],
    newcomers: &[usize],
    now: Timestamp,
) -> Result<Vec<i64>, StoreError> {
    let mut ids = vec![0; newcomers.len()];
    let mut with_phone = Vec::new();
    for (slot, &at) in newcomers.iter().enumerate() {
        let message = &messages[at];
        let name = new_contact_name(message)?;
        match &message.phone {
            Some(phone) => with_phone.push((slot, name, phone.digits())),
            None => {
                ids[slot] = sqlx::query_scalar(
                    "INSERT INTO contact (name, name_folded, phone, created_at) VALUES ($1, $2, NULL, $3) \
                     RETURNING contact_id",
                )
                .bind(name.as_str())
                .bind(fold_for_search(name.as_str()))
                .bind(now.as_millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(unavailable)?;
            }
        }
    }
    for chunk in with_phone.chunks(ROWS) {
        let rows = values_rows(chunk.len(), 2, &["?", "?", "?", "$1"]);
        let sql = format!(
            "INSERT INTO contact (name, name_folded, phone, created_at) VALUES {rows} RETURNING contact_id, phone"
        );
        let mut query =
            sqlx::query_as::<_, (i64, String)>(&sql).persistent(kept(tx, chunk.len())).bind(now.as_millis());
        for (_, name, phone) in chunk {
            query = query.bind(name.as_str()).bind(fold_for_search(name.as_str())).bind(*phone);
        }
        let inserted: HashMap<String, i64> = query
            .fetch_all(&mut *tx)
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(|(id, p)| (p, id))
            .collect();
        for (slot, _, phone) in chunk {
            ids[*slot] = *inserted.get(*phone).ok_or_else(|| corrupt("new contact", phone))?;
        }
    }
    Ok(ids)
}

/// The latest conversation of each (contact, channel) pair that has one, locked on PostgreSQL.
async fn latest_conversations(
    tx: &mut AnyConnection,
    pairs: &[(i64, i64)],
) -> Result<HashMap<(i64, i64), Open>, StoreError> {
    let lock = if tx.backend_name() == "PostgreSQL" { " FOR UPDATE" } else { "" };
    let mut contacts: Vec<i64> = pairs.iter().map(|(contact, _)| *contact).collect();
    contacts.dedup();
    let mut channels: Vec<i64> = pairs.iter().map(|(_, channel)| *channel).collect();
    channels.sort_unstable();
    channels.dedup();
    let mut found = HashMap::new();
    for chunk in contacts.chunks(ROWS) {
        let sql = format!(
            "SELECT conversation_id, contact_id, channel_id, channel, status, last_inbound_at, attempt_category, \
             attempt_started_at, provider_closed_at FROM conversation WHERE conversation_id IN \
             (SELECT MAX(conversation_id) FROM conversation WHERE contact_id IN ({}) AND channel_id IN ({}) \
              GROUP BY contact_id, channel_id) \
             ORDER BY conversation_id{lock}",
            placeholders(1, chunk.len()),
            placeholders(chunk.len() + 1, channels.len())
        );
        let mut query = sqlx::query(&sql).persistent(kept(tx, chunk.len()));
        for contact in chunk {
            query = query.bind(*contact);
        }
        for channel in &channels {
            query = query.bind(*channel);
        }
        for row in query.fetch_all(&mut *tx).await.map_err(unavailable)? {
            let lifecycle = LifecycleRow::from_row(&row).map_err(unavailable)?.lifecycle()?;
            let (key, conversation) = open_from(&row, lifecycle)?;
            if pairs.binary_search(&key).is_ok() {
                found.insert(key, conversation);
            }
        }
    }
    Ok(found)
}

/// A conversation's row (`conversation_id`, `contact_id`, `channel_id`, `channel`) as the batch holds it, by
/// (contact, channel).
fn open_from(row: &sqlx::any::AnyRow, lifecycle: Lifecycle) -> Result<((i64, i64), Open), StoreError> {
    let key =
        (row.try_get("contact_id").map_err(unavailable)?, row.try_get("channel_id").map_err(unavailable)?);
    let kind: String = row.try_get("channel").map_err(unavailable)?;
    let channel = Channel::from(ChannelKind::from_code(&kind).ok_or_else(|| corrupt("channel kind", &kind))?);
    let id = row.try_get("conversation_id").map_err(unavailable)?;
    Ok((key, Open { id, channel, lifecycle, preview: None, releases: false }))
}

/// A new open conversation for each (contact, channel) pair of `pairs`.
async fn open_conversations(
    tx: &mut AnyConnection,
    pairs: &[(i64, i64)],
    now: Timestamp,
) -> Result<HashMap<(i64, i64), Open>, StoreError> {
    let mut opened = HashMap::with_capacity(pairs.len());
    for chunk in pairs.chunks(ROWS) {
        let values = values_rows(chunk.len(), 2, &["CAST(? AS BIGINT)", "CAST(? AS BIGINT)"]);
        // A VALUES list's columns are column1, column2… in both databases.
        let sql = format!(
            "INSERT INTO conversation (contact_id, channel, channel_id, status, created_at, updated_at) \
             SELECT v.column1, c.kind, c.channel_id, 'open', $1, $1 FROM (VALUES {values}) AS v \
             JOIN channel c ON c.channel_id = v.column2 \
             RETURNING conversation_id, contact_id, channel_id, channel"
        );
        let mut query = sqlx::query(&sql).persistent(kept(tx, chunk.len())).bind(now.as_millis());
        for (contact, channel) in chunk {
            query = query.bind(*contact).bind(*channel);
        }
        for row in query.fetch_all(&mut *tx).await.map_err(unavailable)? {
            let (key, conversation) = open_from(&row, Lifecycle::started_by_business(None))?;
            opened.insert(key, conversation);
        }
    }
    // A channel that is gone.
    if opened.len() != pairs.len() {
        return Err(StoreError::NotFound);
    }
    Ok(opened)
}

/// Inserts the messages `rows` names (position, conversation); their ids by provider message id.
async fn insert_messages(
    tx: &mut AnyConnection,
    messages: &[InboundMessage],
    rows: &[(usize, i64)],
    now: Timestamp,
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS) {
        let values =
            values_rows(chunk.len(), 1, &["?", "'in'", "?", "?", "?", "?", "'received'", "0", "?", "?", "?"]);
        let sql = format!(
            "INSERT INTO message (conversation_id, direction, kind, body, detail, provider_message_id, status, \
             status_rank, created_at, provider_at, content) VALUES {values} \
             RETURNING message_id, provider_message_id"
        );
        let mut query = sqlx::query_as::<_, (i64, String)>(&sql).persistent(kept(tx, chunk.len()));
        for &(at, conversation_id) in chunk {
            let message = &messages[at];
            query = query
                .bind(conversation_id)
                .bind(message.kind.as_str())
                .bind(message.body.as_deref())
                .bind(message.detail.as_str())
                .bind(message.provider_message_id.as_str())
                .bind(now.as_millis())
                .bind(message.sent_at.as_millis())
                .bind(
                    (!message.extras.is_empty())
                        .then(|| serde_json::to_string(&message.extras).unwrap_or_default()),
                );
        }
        for (message_id, provider_id) in query.fetch_all(&mut *tx).await.map_err(unavailable)? {
            ids.insert(provider_id, message_id);
        }
    }
    Ok(ids)
}

/// Writes what the domain decided for each conversation the batch stored a message in.
async fn update_conversations(
    tx: &mut AnyConnection,
    touched: &[&Open],
    now: Timestamp,
) -> Result<(), StoreError> {
    for chunk in touched.chunks(ROWS / 2) {
        let values = values_rows(
            chunk.len(),
            2,
            &[
                "CAST(? AS BIGINT)",
                "CAST(? AS TEXT)",
                "CAST(? AS TEXT)",
                "CAST(? AS BIGINT)",
                "CAST(? AS BIGINT)",
                "CAST(? AS BIGINT)",
                "CAST(? AS TEXT)",
            ],
        );
        // A VALUES list's columns are column1, column2… in both databases (SQLite names them no other way).
        let sql = format!(
            "UPDATE conversation SET status = v.column2, attempt_category = v.column3, \
             attempt_started_at = v.column4, last_inbound_at = v.column5, provider_closed_at = v.column6, \
             updated_at = $1, last_message = COALESCE(v.column7, conversation.last_message) \
             FROM (VALUES {values}) AS v WHERE conversation.conversation_id = v.column1"
        );
        let mut query = sqlx::query(&sql).persistent(kept(tx, chunk.len())).bind(now.as_millis());
        for conversation in chunk {
            let after = conversation.lifecycle;
            query = query
                .bind(conversation.id)
                .bind(after.status().code())
                .bind(after.attempt().map(|attempt| attempt.category().code()))
                .bind(after.attempt().map(|attempt| attempt.started_at().as_millis()))
                .bind(after.last_inbound_at().map(Timestamp::as_millis))
                .bind(after.provider_closed_at().map(Timestamp::as_millis))
                .bind(conversation.preview.as_deref());
        }
        query.execute(&mut *tx).await.map_err(unavailable)?;
    }
    Ok(())
}
