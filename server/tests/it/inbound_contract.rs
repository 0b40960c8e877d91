//! What arrives from the providers, on SQLite and PostgreSQL: contacts' messages, statuses, pricing, receipts.

use atende_domain::contact::ContactForm;
use atende_domain::conversation::ChannelKind;
use atende_domain::phone::Phone;
use atende_domain::ports::{ContactQuery, Outbox, Store};
use atende_domain::time::Timestamp;
use atende_server::store::channels::ChannelConfig;
use atende_server::store::inbound::{InboundMessage, InboundOutcome, StatusOutcome, StatusUpdate};
use atende_server::store::queue::{Dispatch, NewOutbound};
use atende_server::store::SqlStore;

const T0: Timestamp = Timestamp::from_millis(1_764_000_000_000);

async fn channel(store: &SqlStore) -> i64 {
    channel_of(store, ChannelKind::WhatsappOfficial, "WhatsApp Oficial", "1111", false).await
}

/// A Messenger page (`human_agent_tag`: may answer with HUMAN_AGENT for 7 days).
async fn messenger_page(store: &SqlStore, human_agent_tag: bool) -> i64 {
    channel_of(store, ChannelKind::Messenger, "Messenger", "PAGE", human_agent_tag).await
}

async fn channel_of(
    store: &SqlStore,
    kind: ChannelKind,
    name: &str,
    provider_id: &str,
    human_agent_tag: bool,
) -> i64 {
    store
        .upsert_channel(
            &ChannelConfig {
                kind,
                name: name.into(),
                provider_id: provider_id.into(),
                account_id: None,
                display_phone: None,
                secret_config: "{}".into(),
                human_agent_tag,
            },
            T0,
        )
        .await
        .expect("channel")
}

/// A Messenger person (known by their page-scoped id only) writing `id` on `page`.
fn from_psid(page: i64, psid: &str, id: &str) -> InboundMessage {
    InboundMessage {
        identity_kind: "psid".into(),
        external_id: psid.into(),
        phone: None,
        ..from(page, "0", id, "Oi", T0)
    }
}

fn from(channel_id: i64, wa_id: &str, id: &str, body: &str, at: Timestamp) -> InboundMessage {
    InboundMessage {
        channel_id,
        identity_kind: "wa_id".into(),
        external_id: wa_id.into(),
        phone: Phone::parse(&format!("+{wa_id}")).ok(),
        profile_name: Some("Maria Cliente".into()),
        provider_message_id: id.into(),
        kind: "text".into(),
        body: Some(body.into()),
        detail: "{}".into(),
        sent_at: at,
        activity: atende_domain::window::InboundKind::Text,
        media: None,
        extras: Default::default(),
    }
}

fn stored(outcome: InboundOutcome) -> (i64, u64) {
    match outcome {
        InboundOutcome::Stored { conversation_id, released, .. } => (conversation_id, released),
        InboundOutcome::Duplicate => panic!("stored as a duplicate"),
    }
}

contract!(a_message_from_an_unknown_number_creates_the_contact_and_the_conversation, |db| {
    let store = db.store().await;
    let ch = channel(&store).await;
    let (conversation, _) =
        stored(store.record_inbound(&from(ch, "5511987654321", "wamid.A", "Oi!", T0), T0).await.expect("in"));
    let contacts = store
        .search_contacts(&ContactQuery { text: String::new(), limit: 10, label: None })
        .await
        .expect("list");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].name.as_str(), "Maria Cliente");
    let messages = store.conversation_messages(conversation).await.expect("messages");
    assert_eq!(messages, vec![("in".into(), "text".into(), Some("Oi!".into()), "received".into())]);
});

contract!(a_webhook_delivered_twice_stores_the_message_once, |db| {
    let store = db.store().await;
    let ch = channel(&store).await;
    let message = from(ch, "5511987654321", "wamid.A", "Oi!", T0);
    let (conversation, _) = stored(store.record_inbound(&message, T0).await.expect("first"));
    assert_eq!(store.record_inbound(&message, T0).await.expect("second"), InboundOutcome::Duplicate);
    assert_eq!(store.conversation_messages(conversation).await.expect("messages").len(), 1);
});

contract!(a_wa_id_without_the_ninth_digit_finds_the_contact_saved_with_it, |db| {
    let store = db.store().await;
    let ch = channel(&store).await;
    let maria =
        ContactForm { name: "Maria".into(), phone: "(11) 98765-4321".into() }.validate().expect("valid");
    let maria = store.create_contact(maria, T0).await.expect("saved");
    store.record_inbound(&from(ch, "551187654321", "wamid.B", "Olá", T0), T0).await.expect("in");
    let contacts = store
        .search_contacts(&ContactQuery { text: String::new(), limit: 10, label: None })
        .await
        .expect("list");
    assert_eq!(contacts, vec![maria], "a second contact was created for the same person");
});

contract!(the_contacts_reply_releases_the_held_messages_in_order, |db| {
    let store = db.store().await;
    let ch = channel(&store).await;
    let (conversation, _) =
        stored(store.record_inbound(&from(ch, "5511987654321", "wamid.1", "Oi", T0), T0).await.expect("in"));
    let held = |body: &str| NewOutbound::text(conversation, ch, body);
    let (_, first) = store.enqueue(&held("primeira"), Dispatch::Hold, T0).await.expect("held");
    store.enqueue(&held("segunda"), Dispatch::Hold, T0).await.expect("held");
    let later = T0.plus_millis(90_000_000);
    let (_, released) = stored(
        store.record_inbound(&from(ch, "5511987654321", "wamid.2", "👍", later), later).await.expect("in"),
    );
    assert_eq!(released, 2);
    assert_eq!(store.job_state(first).await.expect("state"), ("ready".into(), "queued".into()));
    let job = store.claim_next_job(later, 30_000).await.expect("claim").expect("job");
    assert_eq!(job.body.as_deref(), Some("primeira"));
});

contract!(statuses_never_go_backwards_and_are_all_kept, |db| {
    let store = db.store().await;
    let ch = channel(&store).await;
    let (conversation, _) =
        stored(store.record_inbound(&from(ch, "5511987654321", "wamid.in", "Oi", T0), T0).await.expect("in"));
    let outbound = NewOutbound::text(conversation, ch, "Olá!");
    store.enqueue(&outbound, Dispatch::Now, T0).await.expect("enqueued");
    let job = store.claim_next_job(T0, 30_000).await.expect("claim").expect("job");
    store.complete_job(&job, "wamid.out", T0).await.expect("done");
    let status = |s: &str| StatusUpdate {
        provider_message_id: "wamid.out".into(),
        our_message_id: None,
        status: s.into(),
        at: T0,
        error_code: None,
        error_text: None,
        closes_window: false,
    };
    assert_eq!(store.apply_status(&status("read"), T0).await.expect("read"), StatusOutcome::Applied);
    assert_eq!(store.apply_status(&status("delivered"), T0).await.expect("late"), StatusOutcome::Stale);
    assert_eq!(store.apply_status(&status("read"), T0).await.expect("repeat"), StatusOutcome::Stale);
    assert_eq!(store.job_state(job.job_id).await.expect("state").1, "read");
});

contract!(a_status_before_the_send_is_recorded_is_matched_by_our_message_id, |db| {
    let store = db.store().await;
    let ch = channel(&store).await;
    let (conversation, _) =
        stored(store.record_inbound(&from(ch, "5511987654321", "wamid.in", "Oi", T0), T0).await.expect("in"));
    let outbound = NewOutbound::text(conversation, ch, "Olá!");
    store.enqueue(&outbound, Dispatch::Now, T0).await.expect("enqueued");
    let job = store.claim_next_job(T0, 30_000).await.expect("claim").expect("job");
    let early = StatusUpdate {
        provider_message_id: "wamid.fast".into(),
        our_message_id: Some(job.message_id),
        status: "sent".into(),
        at: T0,
        error_code: None,
        error_text: None,
        closes_window: false,
    };
    assert_eq!(store.apply_status(&early, T0).await.expect("early"), StatusOutcome::Applied);
    store.complete_job(&job, "wamid.fast", T0).await.expect("done");
    assert_eq!(store.job_state(job.job_id).await.expect("state"), ("done".into(), "sent".into()));
    let unknown = StatusUpdate { provider_message_id: "wamid.nobody".into(), our_message_id: None, ..early };
    assert_eq!(store.apply_status(&unknown, T0).await.expect("unknown"), StatusOutcome::UnknownMessage);
});

contract!(webhook_bodies_are_kept_until_processed_and_billing_is_recorded_once, |db| {
    let store = db.store().await;
    store.record_webhooks(&[("whatsapp", "{\"a\":1}"), ("whatsapp", "{\"b\":2}")], T0).await.expect("stored");
    let pending = store.pending_webhooks(0, 10).await.expect("pending");
    let bodies: Vec<&str> = pending.iter().map(|w| w.body.as_str()).collect();
    assert_eq!(bodies, ["{\"a\":1}", "{\"b\":2}"], "both kept, in the order they came");
    let (first, second) = (pending[0].id, pending[1].id);
    assert_eq!((pending[0].provider.as_str(), pending[0].received_at), ("whatsapp", T0));
    assert!(first < second);
    store.mark_webhook_processed(first, None, T0).await.expect("processed");
    assert_eq!(store.pending_webhooks(0, 10).await.expect("pending").len(), 1);
    assert!(store.pending_webhooks(second, 10).await.expect("after the last").is_empty());
    store.record_billing("wamid.x", "marketing", Some("PMP"), true, T0).await.expect("bill");
    store.record_billing("wamid.x", "marketing", Some("PMP"), true, T0).await.expect("bill again");
    store.record_billing("wamid.y", "service", Some("PMP"), false, T0).await.expect("bill y");
    assert_eq!(store.billing_for("wamid.x").await.expect("ledger"), vec![("marketing".to_owned(), true)]);
    assert_eq!(store.billing_for("wamid.y").await.expect("ledger"), vec![("service".to_owned(), false)]);
});

contract!(a_message_delivered_after_its_window_closed_releases_nothing, |db| {
    let store = db.store().await;
    let ch = channel(&store).await;
    let (conversation, _) =
        stored(store.record_inbound(&from(ch, "5511987654321", "wamid.1", "Oi", T0), T0).await.expect("in"));
    let held = NewOutbound::text(conversation, ch, "na fila");
    let (_, job) = store.enqueue(&held, Dispatch::Hold, T0).await.expect("held");
    let late = from(ch, "5511987654321", "wamid.2", "atrasada", T0);
    let (_, released) = stored(store.record_inbound(&late, T0.plus_millis(100_000_000)).await.expect("in"));
    assert_eq!(released, 0);
    assert_eq!(store.job_state(job).await.expect("state").0, "held");
});

contract!(a_messenger_watermark_applied_before_the_send_is_recorded_still_reaches_it, |db| {
    let store = db.store().await;
    let page = messenger_page(&store, false).await;
    let person = from_psid(page, "2400000000000002", "m_in_2");
    let (conversation, _) = stored(store.record_inbound(&person, T0).await.expect("in"));
    let text = |body: &str| NewOutbound::text(conversation, page, body);
    store.enqueue(&text("um"), Dispatch::Now, T0).await.expect("queued");
    let first = store.claim_next_job(T0, 30_000).await.expect("claim").expect("job");
    // The send began at T0 + 1 s; the person read it at T0 + 2 s, and that read was applied before the
    // send's answer was recorded (the answer waited for the database).
    let moved = store
        .apply_watermark(page, "psid", "2400000000000002", "read", T0.plus_millis(2_000))
        .await
        .expect("read");
    assert_eq!(moved, 0, "not recorded as sent yet");
    store.complete_job(&first, "m_out_a", T0.plus_millis(1_000)).await.expect("sent");
    assert_eq!(store.job_state(first.job_id).await.expect("state").1, "read");
    // A send that began after the latest watermark is only sent.
    store.enqueue(&text("dois"), Dispatch::Now, T0).await.expect("queued");
    let second = store.claim_next_job(T0, 30_000).await.expect("claim").expect("job");
    store.complete_job(&second, "m_out_b", T0.plus_millis(3_000)).await.expect("sent");
    assert_eq!(store.job_state(second.job_id).await.expect("state").1, "sent");
});

contract!(a_messenger_watermark_moves_only_our_earlier_sent_messages_forward, |db| {
    let store = db.store().await;
    let page = messenger_page(&store, true).await;
    let person = InboundMessage {
        profile_name: Some("Ana Souza".into()),
        ..from_psid(page, "2400000000000001", "m_in")
    };
    assert!(!store.identity_known("psid", "2400000000000001").await.expect("lookup"));
    let (conversation, _) = stored(store.record_inbound(&person, T0).await.expect("in"));
    assert!(store.identity_known("psid", "2400000000000001").await.expect("lookup"));
    let text = |body: &str| NewOutbound::text(conversation, page, body);
    let mut sent = Vec::new();
    for (i, body) in ["um", "dois"].into_iter().enumerate() {
        store.enqueue(&text(body), Dispatch::Now, T0).await.expect("queued");
        let job = store.claim_next_job(T0, 30_000).await.expect("claim").expect("job");
        // Messenger addresses the person by their page-scoped id, never by a number.
        assert_eq!(job.recipient.as_deref(), Some("2400000000000001"));
        let at = T0.plus_millis(1_000 * i64::try_from(i).expect("small"));
        store.complete_job(&job, &format!("m_out_{i}"), at).await.expect("sent");
        sent.push(job.job_id);
    }
    store.enqueue(&text("na fila"), Dispatch::Now, T0).await.expect("queued");
    // Delivered up to "um" only; then read up to everything: "na fila" was never sent and stays queued.
    let moved = store
        .apply_watermark(page, "psid", "2400000000000001", "delivered", T0.plus_millis(500))
        .await
        .expect("watermark");
    assert_eq!(moved, 1);
    assert_eq!(store.job_state(sent[0]).await.expect("state").1, "delivered");
    assert_eq!(store.job_state(sent[1]).await.expect("state").1, "sent");
    store
        .apply_watermark(page, "psid", "2400000000000001", "read", T0.plus_millis(5_000))
        .await
        .expect("read");
    // A late delivery watermark never moves a read message back.
    store
        .apply_watermark(page, "psid", "2400000000000001", "delivered", T0.plus_millis(5_000))
        .await
        .expect("late");
    let statuses: Vec<String> =
        store.conversation_messages(conversation).await.expect("messages").into_iter().map(|m| m.3).collect();
    assert_eq!(statuses, ["received", "read", "read", "queued"]);
});

contract!(a_contact_is_reached_by_number_and_by_each_kind_of_id_a_provider_gave, |db| {
    use atende_domain::ports::Outbox;
    let store = db.store().await;
    let page = messenger_page(&store, false).await;
    let (conversation, _) =
        stored(store.record_inbound(&from_psid(page, "2400000000000009", "m_reach"), T0).await.expect("in"));
    let contact = store
        .list_conversations(atende_domain::conversation::Tab::All)
        .await
        .expect("list")
        .into_iter()
        .find(|c| c.id.0 == conversation)
        .expect("listed")
        .contact_id;
    let reach = store.reach(contact).await.expect("reach");
    assert_eq!((reach.phone, reach.identified_on), (false, vec![ChannelKind::Messenger]));

    let form = ContactForm { name: "Rui".into(), phone: "(11) 97777-0001".into() };
    let rui = store.create_contact(form.validate().expect("valid"), T0).await.expect("contact");
    let reach = store.reach(rui.id).await.expect("reach");
    assert_eq!((reach.phone, reach.identified_on), (true, vec![]));
    let ch = channel(&store).await;
    store.record_inbound(&from(ch, "5511977770001", "wamid.reach", "Oi", T0), T0).await.expect("in");
    assert_eq!(store.reach(rui.id).await.expect("reach").identified_on, [ChannelKind::WhatsappOfficial]);

    let unknown = store.reach(atende_domain::contact::ContactId(999_999)).await;
    assert_eq!(unknown, Err(atende_domain::ports::StoreError::NotFound));
});

contract!(an_admins_choices_about_a_template_are_kept_across_syncs, |db| {
    use atende_domain::ports::Outbox;
    use atende_domain::template::{ContactField, ParamLabel, ParamSlot, Placeholder};
    use atende_server::store::templates::TemplateRecord;
    let store = db.store().await;
    let ch = channel(&store).await;
    let record = TemplateRecord {
        provider_template_id: Some("1".into()),
        name: "aviso".into(),
        language: "pt_BR".into(),
        category: "MARKETING".into(),
        status: "APPROVED".into(),
        parameter_format: None,
        components: r#"[{"type":"BODY","text":"Oi {{1}}","example":{"body_text":[["Ana"]]}}]"#.into(),
    };
    store.upsert_templates(ch, std::slice::from_ref(&record), T0).await.expect("synced");
    let read = || async { store.templates_of_channel(ch).await.expect("templates").remove(0) };
    assert!(!read().await.is_for_service(), "marketing: not for service by default");
    store.set_template_service(ch, "aviso", "pt_BR", true).await.expect("marked");
    let slot = ParamSlot::Body(Placeholder::Positional(1));
    let labels = [ParamLabel { slot: slot.clone(), name: "Nome".into(), fill: Some(ContactField::Name) }];
    store.set_template_labels(ch, "aviso", "pt_BR", &labels).await.expect("named");
    store.upsert_templates(ch, &[record], T0).await.expect("synced again");
    let template = read().await;
    assert!(template.is_for_service());
    assert_eq!(template.labels(), labels);
    assert_eq!(template.hint(&slot).example.as_deref(), Some("Ana"));
    assert_eq!(
        store.set_template_service(ch, "nao_existe", "pt_BR", true).await,
        Err(atende_domain::ports::StoreError::NotFound)
    );
});

contract!(a_file_is_claimed_by_one_worker_at_a_time_and_once_kept_stays_kept, |db| {
    use atende_domain::inbound_media::MediaState;
    use atende_server::store::media::IncomingMedia;
    let store = db.store().await;
    let ch = channel(&store).await;
    let with_file = |id: &str| InboundMessage {
        kind: "image".into(),
        body: None,
        media: Some(IncomingMedia {
            source: format!(r#"{{"id":"{id}"}}"#),
            mime_type: Some("image/jpeg".into()),
            file_name: None,
            voice: false,
            declared_sha256: None,
            expires_at: None,
            keep: true,
        }),
        ..from(ch, "5511987654321", id, "", T0)
    };
    let (conversation, _) = stored(store.record_inbound(&with_file("wamid.F1"), T0).await.expect("in"));
    stored(store.record_inbound(&with_file("wamid.F2"), T0).await.expect("in"));
    let files = store.media_of_conversation(conversation).await.expect("files");
    assert_eq!(
        files.iter().map(|f| f.state.clone()).collect::<Vec<_>>(),
        [MediaState::Pending, MediaState::Pending]
    );

    // One worker takes both; another finds nothing until the lease runs out.
    let lease = 60_000;
    let claimed = store.claim_media(T0, lease, 10).await.expect("claim");
    assert_eq!(claimed.len(), 2);
    assert!(store.claim_media(T0.plus_millis(1), lease, 10).await.expect("claim").is_empty());
    let (first, second) = (claimed[0].message_id, claimed[1].message_id);

    // The first is kept; a slower attempt at it that fails afterwards does not undo that.
    store.media_kept(first, &"a".repeat(64), 10, "image/jpeg", None, T0).await.expect("kept");
    store.media_given_up(first, "Mídia expirada no provedor").await.expect("given up");
    assert_eq!(store.media_of(first).await.expect("read").map(|m| m.state), Some(MediaState::Ready));

    // The second waits for its retry, then is taken again, and given up.
    store.media_retry_at(second, T0.plus_millis(5_000), "HTTP 500").await.expect("retry");
    assert!(store.claim_media(T0.plus_millis(4_999), lease, 10).await.expect("claim").is_empty());
    let again = store.claim_media(T0.plus_millis(5_000), lease, 10).await.expect("claim");
    assert_eq!((again.len(), again[0].message_id, again[0].attempts), (1, second, 2), "counted as claimed");
    // A worker that died: after the lease another takes it.
    let taken_over = store.claim_media(T0.plus_millis(5_000 + lease), lease, 10).await.expect("claim");
    assert_eq!(taken_over.iter().map(|j| j.message_id).collect::<Vec<_>>(), [second]);
    store.media_given_up(second, "Mídia expirada no provedor").await.expect("given up");
    assert_eq!(
        store.media_of(second).await.expect("read").map(|m| m.state),
        Some(MediaState::Failed("Mídia expirada no provedor".into()))
    );
    assert!(store.claim_media(T0.plus_millis(10_000_000), lease, 10).await.expect("claim").is_empty());
});

contract!(a_voice_notes_length_reaches_the_list_only_while_the_line_is_its_own, |db| {
    use atende_server::store::media::IncomingMedia;
    let store = db.store().await;
    let ch = channel(&store).await;
    let voice = |id: &str, at| InboundMessage {
        kind: "audio".into(),
        body: None,
        media: Some(IncomingMedia {
            source: format!(r#"{{"id":"{id}"}}"#),
            mime_type: Some("audio/ogg; codecs=opus".into()),
            file_name: None,
            voice: true,
            declared_sha256: None,
            expires_at: None,
            keep: true,
        }),
        ..from(ch, "5511987654399", id, "", at)
    };
    let message_id = |outcome| match outcome {
        InboundOutcome::Stored { message_id, .. } => message_id.0,
        InboundOutcome::Duplicate => panic!("stored as a duplicate"),
    };
    let first = message_id(store.record_inbound(&voice("wamid.V1", T0), T0).await.expect("in"));
    let later = T0.plus_millis(1_000);
    let second = message_id(store.record_inbound(&voice("wamid.V2", later), later).await.expect("in"));
    assert_eq!(last_line(&store).await.as_deref(), Some("🎤 Áudio"));
    // The first note is kept while the second, which the line now shows, still downloads: the line stays.
    store.media_kept(first, &"a".repeat(64), 10, "audio/ogg", Some(42), later).await.expect("kept");
    assert_eq!(last_line(&store).await.as_deref(), Some("🎤 Áudio"));
    store.media_kept(second, &"b".repeat(64), 10, "audio/ogg", Some(7), later).await.expect("kept");
    assert_eq!(last_line(&store).await.as_deref(), Some("🎤 Áudio 0:07"));
});

/// The list line of the store's only conversation.
async fn last_line(store: &SqlStore) -> Option<String> {
    let conversations = store.list_conversations(atende_domain::conversation::Tab::All).await.expect("list");
    conversations.into_iter().next().and_then(|c| c.last_message)
}

/// A fresh database of the same kind as `db` (SQLite or PostgreSQL).
async fn another_like(db: &crate::common::TestDb) -> crate::common::TestDb {
    match db.database {
        atende_server::Database::Sqlite(_) => crate::common::TestDb::sqlite().await,
        atende_server::Database::Postgres(_) => crate::common::TestDb::postgres().await.expect("PostgreSQL"),
    }
}

/// What a store holds after the contacts wrote, without the ids (which the two ways may number apart): each
/// conversation with its contact, status, window, list line and messages; every contact.
async fn what_was_stored(store: &SqlStore) -> (Vec<String>, Vec<String>) {
    use atende_domain::conversation::Tab;
    let mut conversations = Vec::new();
    for c in store.list_conversations(Tab::All).await.expect("list") {
        let messages = store.conversation_messages(c.id.0).await.expect("messages");
        conversations.push(format!(
            "{} {:?} {:?} {:?} last_inbound={:?} closed={:?} line={:?} updated={:?} {messages:?}",
            c.contact_name.as_str(),
            c.contact_phone.as_ref().map(Phone::digits),
            c.channel,
            c.status,
            c.last_inbound_at,
            c.provider_closed_at,
            c.last_message,
            c.updated_at,
        ));
    }
    conversations.sort();
    let mut contacts: Vec<String> = store
        .search_contacts(&ContactQuery { text: String::new(), limit: 500, label: None })
        .await
        .expect("contacts")
        .into_iter()
        .map(|c| format!("{} {:?}", c.name.as_str(), c.phone.as_ref().map(Phone::digits)))
        .collect();
    contacts.sort();
    (conversations, contacts)
}

contract!(a_batch_stores_what_the_same_messages_stored_one_at_a_time_do, |db| {
    let other = another_like(&db).await;
    let (one_by_one, together) = (db.store().await, other.store().await);
    let now = T0.plus_millis(2 * 86_400_000);
    let mut released = Vec::new();
    for store in [&one_by_one, &together] {
        let wa = channel(store).await;
        let page = messenger_page(store, false).await;
        // Known before: a contact saved by hand (found by number), and one who wrote two days ago, whose
        // conversation was concluded and who has a message held for them.
        let saved =
            ContactForm { name: "Joana".into(), phone: "(21) 98888-7777".into() }.validate().expect("valid");
        store.create_contact(saved, T0).await.expect("saved");
        let (old, _) = stored(
            store.record_inbound(&from(wa, "5531977776666", "wamid.old", "Oi", T0), T0).await.expect("in"),
        );
        let id = atende_domain::conversation::ConversationId(old);
        let concluded =
            store.conversation_state(id).await.expect("state").lifecycle.conclude().expect("open");
        store.set_status(id, &concluded, None, T0).await.expect("concluded");
        store
            .enqueue(&NewOutbound::text(old, wa, "Seu pedido saiu"), Dispatch::Hold, T0)
            .await
            .expect("held");
        let at = |seconds: i64| now.plus_millis(seconds * 1_000);
        let mut batch = vec![
            // A new contact writing twice, the first message delivered twice.
            from(wa, "5511987654321", "wamid.1", "Oi", at(1)),
            from(wa, "5511987654321", "wamid.2", "Tudo bem?", at(2)),
            from(wa, "5511987654321", "wamid.1", "Oi", at(1)),
            // The same person under the number without the ninth digit.
            from(wa, "551187654321", "wamid.3", "Sou eu de novo", at(3)),
            // The contact saved by hand, by number; its two messages arrive out of order.
            from(wa, "5521988887777", "wamid.5", "Mais novo", at(10)),
            from(wa, "5521988887777", "wamid.4", "Mais antigo", at(5)),
            // The one whose conversation was concluded: it reopens and what was held leaves.
            from(wa, "5531977776666", "wamid.6", "Voltei", at(6)),
            // Someone known by their page-scoped id only, twice.
            from_psid(page, "PSID-1", "mid.1"),
            from_psid(page, "PSID-1", "mid.2"),
            // A message already stored before the batch.
            from(wa, "5531977776666", "wamid.old", "Oi", T0),
        ];
        // More contacts than one statement takes (100 rows; 50 conversations to an update).
        batch.extend(
            (0..120).map(|i| from(wa, &format!("55119{i:08}"), &format!("wamid.n{i}"), "Olá", at(20 + i))),
        );
        let outcomes = if std::ptr::eq(store, &one_by_one) {
            let mut outcomes = Vec::new();
            for message in &batch {
                outcomes.push(store.record_inbound(message, now).await.expect("one"));
            }
            outcomes
        } else {
            store.record_inbound_batch(&batch, now).await.expect("together")
        };
        let duplicates: Vec<bool> = outcomes.iter().map(|o| *o == InboundOutcome::Duplicate).collect();
        assert_eq!(
            duplicates,
            [[false, false, true, false, false, false, false, false, false, true].as_slice(), &[false; 120]]
                .concat(),
            "which messages were new"
        );
        released.push(
            outcomes
                .iter()
                .map(|o| match o {
                    InboundOutcome::Stored { released, .. } => *released,
                    InboundOutcome::Duplicate => 0,
                })
                .sum::<u64>(),
        );
    }
    assert_eq!(released, [1, 1], "the held message left once, either way");
    let (a, b) = (what_was_stored(&one_by_one).await, what_was_stored(&together).await);
    assert_eq!(a.1.len(), 124, "four contacts and the 120: {:?}", a.1);
    assert_eq!(a.0.len(), 124, "four conversations and the 120: {:#?}", a.0);
    assert!(
        a.0.iter().any(|c| c.starts_with("Joana") && c.contains("line=Some(\"Mais novo\")")),
        "{:#?}",
        a.0
    );
    assert_eq!(a, b, "the batch stored something else");
    other.drop_database().await;
});
