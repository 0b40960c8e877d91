//! The outbound queue's contract, on SQLite and PostgreSQL.

use atende_domain::contact::ContactForm;
use atende_domain::conversation::ChannelKind;
use atende_domain::ports::Store;
use atende_domain::time::Timestamp;
use atende_server::channels::registry::ChannelRegistry;
use atende_server::store::channels::ChannelConfig;
use atende_server::store::queue::{Dispatch, NewOutbound};
use atende_server::store::SqlStore;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const T0: Timestamp = Timestamp::from_millis(1_764_000_000_000);
const LEASE: i64 = 30_000;

/// A channel and `n` conversations on it, each with its own contact.
async fn fixture(store: &SqlStore, n: usize) -> (i64, Vec<i64>) {
    let channel = store
        .upsert_channel(
            &ChannelConfig {
                kind: ChannelKind::WhatsappOfficial,
                name: "WhatsApp Oficial".into(),
                provider_id: "1111".into(),
                account_id: Some("2222".into()),
                display_phone: Some("+55 11 4000-0000".into()),
                secret_config: "{}".into(),
                human_agent_tag: false,
            },
            T0,
        )
        .await
        .expect("channel");
    let mut conversations = Vec::new();
    for i in 0..n {
        let contact =
            ContactForm { name: format!("Cliente {i}"), phone: format!("(11) 9{:08}", 10_000_000 + i) }
                .validate()
                .expect("contact");
        let contact = store.create_contact(contact, T0).await.expect("saved");
        conversations
            .push(store.open_conversation_on(contact.id.0, channel, None, T0).await.expect("opened"));
    }
    (channel, conversations)
}

contract!(messages_of_a_conversation_leave_in_the_order_they_were_written, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    let c = conversations[0];
    for body in ["um", "dois", "três"] {
        store.enqueue(&NewOutbound::text(c, channel, body), Dispatch::Now, T0).await.expect("enqueued");
    }
    let first = store.claim_next_job(T0, LEASE).await.expect("claim").expect("a job");
    assert_eq!(first.body.as_deref(), Some("um"));
    // "dois" must wait while "um" is in flight.
    assert_eq!(store.claim_next_job(T0, LEASE).await.expect("claim"), None);
    store.complete_job(&first, "wamid.1", T0).await.expect("done");
    let second = store.claim_next_job(T0, LEASE).await.expect("claim").expect("a job");
    assert_eq!(second.body.as_deref(), Some("dois"));
    assert_eq!(store.job_state(first.job_id).await.expect("state"), ("done".into(), "sent".into()));
});

contract!(a_retry_keeps_the_later_messages_of_its_conversation_waiting, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 2).await;
    let (a, b) = (conversations[0], conversations[1]);
    store.enqueue(&NewOutbound::text(a, channel, "a1"), Dispatch::Now, T0).await.expect("e");
    store.enqueue(&NewOutbound::text(a, channel, "a2"), Dispatch::Now, T0).await.expect("e");
    store.enqueue(&NewOutbound::text(b, channel, "b1"), Dispatch::Now, T0).await.expect("e");

    let a1 = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    assert_eq!(a1.body.as_deref(), Some("a1"));
    store.retry_job(&a1, "HTTP 500", T0.plus_millis(5_000)).await.expect("retry");
    // Another conversation is not held up by a's trouble; a2 is.
    let next = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    assert_eq!(next.body.as_deref(), Some("b1"));
    assert_eq!(store.claim_next_job(T0.plus_millis(1_000), LEASE).await.expect("claim"), None);
    let again = store.claim_next_job(T0.plus_millis(5_000), LEASE).await.expect("claim").expect("job");
    assert_eq!((again.body.as_deref(), again.attempts), (Some("a1"), 2));
});

contract!(held_messages_wait_for_the_contact_and_then_leave_in_order, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    let c = conversations[0];
    let (_, template_job) =
        store.enqueue(&NewOutbound::text(c, channel, "modelo"), Dispatch::Now, T0).await.expect("e");
    let (_, held1) =
        store.enqueue(&NewOutbound::text(c, channel, "fila 1"), Dispatch::Hold, T0).await.expect("e");
    store.enqueue(&NewOutbound::text(c, channel, "fila 2"), Dispatch::Hold, T0).await.expect("e");
    assert_eq!(store.job_state(held1).await.expect("s"), ("held".into(), "held".into()));

    let template = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    assert_eq!(template.job_id, template_job);
    store.complete_job(&template, "wamid.t", T0).await.expect("done");
    assert_eq!(store.claim_next_job(T0, LEASE).await.expect("claim"), None, "held messages left early");

    assert_eq!(store.release_held(c, T0.plus_millis(60_000)).await.expect("release"), 2);
    assert_eq!(store.job_state(held1).await.expect("s"), ("ready".into(), "queued".into()));
    let now = T0.plus_millis(60_000);
    let first = store.claim_next_job(now, LEASE).await.expect("claim").expect("job");
    assert_eq!(first.body.as_deref(), Some("fila 1"));
    store.complete_job(&first, "wamid.f1", now).await.expect("done");
    let second = store.claim_next_job(now, LEASE).await.expect("claim").expect("job");
    assert_eq!(second.body.as_deref(), Some("fila 2"));
});

contract!(a_permanent_failure_shows_on_the_message_and_frees_the_conversation, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    let c = conversations[0];
    store.enqueue(&NewOutbound::text(c, channel, "um"), Dispatch::Now, T0).await.expect("e");
    store.enqueue(&NewOutbound::text(c, channel, "dois"), Dispatch::Now, T0).await.expect("e");
    let first = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    store.fail_job(&first, Some(131_026), "Mensagem não entregue").await.expect("fail");
    assert_eq!(store.job_state(first.job_id).await.expect("s"), ("failed".into(), "failed".into()));
    let second = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    assert_eq!(second.body.as_deref(), Some("dois"));
});

contract!(a_worker_that_dies_mid_send_gives_its_job_back_when_the_lease_ends, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    store.enqueue(&NewOutbound::text(conversations[0], channel, "um"), Dispatch::Now, T0).await.expect("e");
    let claimed = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    assert_eq!(store.recover_expired_leases(T0.plus_millis(LEASE - 1)).await.expect("recover"), 0);
    assert_eq!(store.claim_next_job(T0.plus_millis(LEASE - 1), LEASE).await.expect("claim"), None);
    assert_eq!(store.recover_expired_leases(T0.plus_millis(LEASE + 1)).await.expect("recover"), 1);
    let again = store.claim_next_job(T0.plus_millis(LEASE + 1), LEASE).await.expect("claim").expect("job");
    assert_eq!((again.job_id, again.attempts), (claimed.job_id, 2));
});

contract!(a_long_file_send_keeps_its_job_and_a_worker_taken_over_cannot_lengthen_it, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    store.enqueue(&NewOutbound::text(conversations[0], channel, "um"), Dispatch::Now, T0).await.expect("e");
    let uploading = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    // A file's upload may outlast the ordinary lease: the worker lengthens it first, under its claim.
    assert!(store.extend_lease(&uploading, T0.plus_millis(10 * LEASE)).await.expect("extend"));
    assert_eq!(store.recover_expired_leases(T0.plus_millis(LEASE + 1)).await.expect("recover"), 0);
    assert_eq!(
        store.claim_next_job(T0.plus_millis(LEASE + 1), LEASE).await.expect("claim"),
        None,
        "not sent twice"
    );
    // A worker that died mid-upload gives the job back once the longer lease ends; then its claim is dead.
    assert_eq!(store.recover_expired_leases(T0.plus_millis(10 * LEASE + 1)).await.expect("recover"), 1);
    let next =
        store.claim_next_job(T0.plus_millis(10 * LEASE + 1), LEASE).await.expect("claim").expect("job");
    assert_eq!((next.job_id, next.attempts), (uploading.job_id, 2));
    assert!(
        !store.extend_lease(&uploading, T0.plus_millis(100 * LEASE)).await.expect("extend"),
        "taken over"
    );
    assert!(store.extend_lease(&next, T0.plus_millis(20 * LEASE)).await.expect("extend"));
});

contract!(a_worker_whose_lease_was_taken_over_can_no_longer_change_the_job, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    store.enqueue(&NewOutbound::text(conversations[0], channel, "um"), Dispatch::Now, T0).await.expect("e");
    let late = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    store.recover_expired_leases(T0.plus_millis(LEASE + 1)).await.expect("recover");
    let current = store.claim_next_job(T0.plus_millis(LEASE + 1), LEASE).await.expect("claim").expect("job");
    // The first worker wakes up late: its retry, deferral or failure would put the job back (or stop it)
    // while the second one is sending it.
    store.retry_job(&late, "HTTP 500", T0).await.expect("retry");
    store.defer_job(&late, T0).await.expect("defer");
    store.fail_job(&late, Some(131_026), "Mensagem não entregue").await.expect("fail");
    assert_eq!(store.job_state(current.job_id).await.expect("state"), ("in_flight".into(), "queued".into()));
    assert_eq!(store.claim_next_job(T0.plus_millis(LEASE + 2), LEASE).await.expect("claim"), None);
    // The provider did take the late worker's send: the message learns its id, the job stays the other's.
    store.complete_job(&late, "wamid.late", T0).await.expect("done");
    assert_eq!(store.job_state(current.job_id).await.expect("state"), ("in_flight".into(), "sent".into()));
    store.complete_job(&current, "wamid.current", T0).await.expect("done");
    assert_eq!(store.job_state(current.job_id).await.expect("state"), ("done".into(), "sent".into()));
});

contract!(a_claimed_job_names_its_recipient_by_the_provider_id_else_the_number, |db| {
    use atende_server::store::inbound::InboundMessage;
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 2).await;
    store.enqueue(&NewOutbound::text(conversations[0], channel, "um"), Dispatch::Now, T0).await.expect("e");
    let by_number = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    assert_eq!(by_number.recipient.as_deref(), Some("5511910000000"));
    // Once WhatsApp tells the contact's wa_id (here without the ninth digit), it is the address.
    let inbound = InboundMessage {
        channel_id: channel,
        identity_kind: "wa_id".into(),
        external_id: "551110000001".into(),
        phone: atende_domain::phone::Phone::parse("+5511910000001").ok(),
        profile_name: None,
        provider_message_id: "wamid.in.1".into(),
        kind: "text".into(),
        body: Some("oi".into()),
        detail: "{}".into(),
        sent_at: T0,
        activity: atende_domain::window::InboundKind::Text,
        media: None,
        extras: Default::default(),
    };
    store.record_inbound(&inbound, T0).await.expect("inbound");
    store.enqueue(&NewOutbound::text(conversations[1], channel, "dois"), Dispatch::Now, T0).await.expect("e");
    let by_wa_id = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    assert_eq!(by_wa_id.conversation_id, conversations[1]);
    assert_eq!(by_wa_id.recipient.as_deref(), Some("551110000001"));
});

contract!(one_claim_takes_the_oldest_job_of_each_conversation_and_never_two_of_one, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 3).await;
    for n in 0..2 {
        for &c in &conversations {
            store
                .enqueue(&NewOutbound::text(c, channel, format!("{c}:{n}")), Dispatch::Now, T0)
                .await
                .expect("e");
        }
    }
    let claimed = store.claim_jobs(T0, LEASE, 10).await.expect("claim");
    let bodies: Vec<String> = claimed.iter().filter_map(|j| j.body.clone()).collect();
    let expected: Vec<String> = conversations.iter().map(|c| format!("{c}:0")).collect();
    assert_eq!(bodies, expected, "the first of each, oldest first");
    assert!(
        store.claim_jobs(T0, LEASE, 10).await.expect("claim").is_empty(),
        "each conversation is in flight"
    );
    for job in &claimed[..2] {
        store.complete_job(job, &format!("wamid.{}", job.job_id.0), T0).await.expect("done");
    }
    let next = store.claim_jobs(T0, LEASE, 1).await.expect("claim");
    assert_eq!(next.len(), 1, "as many as asked");
    assert_eq!(next[0].body.as_deref(), Some(format!("{}:1", conversations[0]).as_str()));
});

contract!(many_sends_are_recorded_in_one_commit_and_a_claim_taken_over_stays_its_new_owners, |db| {
    use atende_server::store::inbound::{StatusOutcome, StatusUpdate};
    use atende_server::store::queue::Completion;
    let store = db.store().await;
    // More than one statement's worth (200), so the batch is written in two parts.
    let (channel, conversations) = fixture(&store, 203).await;
    store.enqueue(&NewOutbound::text(conversations[0], channel, "late"), Dispatch::Now, T0).await.expect("e");
    let late = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    let later = T0.plus_millis(LEASE + 1);
    store.recover_expired_leases(later).await.expect("recover");
    let current = store.claim_next_job(later, LEASE).await.expect("claim").expect("job");
    for &c in &conversations[1..] {
        store.enqueue(&NewOutbound::text(c, channel, format!("{c}")), Dispatch::Now, later).await.expect("e");
    }
    let others = store.claim_jobs(later, LEASE, 500).await.expect("claim");
    assert_eq!(others.len(), 202);
    let ids: Vec<String> =
        std::iter::once(&late).chain(&others).map(|job| format!("wamid.{}", job.job_id.0)).collect();
    let done: Vec<Completion<'_>> = std::iter::once(&late)
        .chain(&others)
        .zip(&ids)
        .map(|(job, id)| Completion { job, provider_message_id: id, sent_at: later })
        .collect();
    store.complete_jobs(&done).await.expect("recorded");
    for job in &others {
        assert_eq!(store.job_state(job.job_id).await.expect("state"), ("done".into(), "sent".into()));
    }
    // The late worker's send did happen: its message learns the provider's id, the job stays the other's.
    assert_eq!(store.job_state(current.job_id).await.expect("state"), ("in_flight".into(), "sent".into()));
    let read = StatusUpdate {
        provider_message_id: ids[0].clone(),
        our_message_id: None,
        status: "read".into(),
        at: later,
        error_code: None,
        error_text: None,
        closes_window: false,
    };
    assert_eq!(store.apply_status(&read, later).await.expect("read"), StatusOutcome::Applied);
    assert_eq!(store.job_state(current.job_id).await.expect("state"), ("in_flight".into(), "read".into()));
});

contract!(concurrent_workers_never_claim_the_same_job_nor_break_the_order, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 8).await;
    for round in 0..5 {
        for &c in &conversations {
            store
                .enqueue(&NewOutbound::text(c, channel, format!("{c}:{round}")), Dispatch::Now, T0)
                .await
                .expect("e");
        }
    }
    let clock = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        let clock = clock.clone();
        workers.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            let mut idle = 0;
            while idle < 50 {
                match store.claim_next_job(T0, LEASE).await.expect("claim") {
                    Some(job) => {
                        idle = 0;
                        // The claim's place in time: a later job of a conversation is claimable only after
                        // the earlier one is completed, which happens after this tick.
                        let tick = clock.fetch_add(1, Ordering::SeqCst);
                        sent.push((tick, job.job_id, job.body.clone().unwrap_or_default()));
                        let wamid = format!("w{}", job.job_id.0);
                        store.complete_job(&job, &wamid, T0).await.expect("done");
                    }
                    None => {
                        idle += 1;
                        tokio::task::yield_now().await;
                    }
                }
            }
            sent
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.expect("worker"));
    }
    let unique: HashSet<_> = all.iter().map(|(_, job, _)| *job).collect();
    assert_eq!((all.len(), unique.len()), (40, 40), "a job was lost or sent twice");
    all.sort_by_key(|(tick, _, _)| *tick);
    for &c in &conversations {
        let prefix = format!("{c}:");
        let rounds: Vec<&str> =
            all.iter().filter(|(_, _, b)| b.starts_with(&prefix)).map(|(_, _, b)| b.as_str()).collect();
        let expected: Vec<String> = (0..5).map(|r| format!("{c}:{r}")).collect();
        assert_eq!(rounds, expected, "conversation {c} left out of order");
    }
});

contract!(a_send_the_provider_reported_on_before_the_worker_died_is_not_sent_again, |db| {
    use atende_server::store::inbound::StatusUpdate;
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    store.enqueue(&NewOutbound::text(conversations[0], channel, "um"), Dispatch::Now, T0).await.expect("e");
    let claimed = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    // The provider accepted it and its "sent" webhook came back with our id; then the worker died.
    let sent = StatusUpdate {
        provider_message_id: "wamid.before-crash".into(),
        our_message_id: Some(claimed.message_id),
        status: "sent".into(),
        at: T0,
        error_code: None,
        error_text: None,
        closes_window: false,
    };
    store.apply_status(&sent, T0).await.expect("status");
    assert_eq!(store.recover_expired_leases(T0.plus_millis(LEASE + 1)).await.expect("recover"), 0);
    assert_eq!(store.claim_next_job(T0.plus_millis(LEASE + 1), LEASE).await.expect("claim"), None);
    assert_eq!(store.job_state(claimed.job_id).await.expect("state"), ("done".into(), "sent".into()));
});

contract!(a_lease_is_not_taken_back_while_a_webhook_received_before_it_ran_out_waits_to_be_applied, |db| {
    use atende_server::store::inbound::StatusUpdate;
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    store.enqueue(&NewOutbound::text(conversations[0], channel, "um"), Dispatch::Now, T0).await.expect("e");
    let claimed = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    // The worker died after Meta took the message; Meta's "sent" arrived and was stored, but the processor
    // (with a backlog after the restart) has not applied it when the lease runs out.
    let received = T0.plus_millis(1_000);
    store.record_webhooks(&[("whatsapp", "{\"status\": \"sent\"}")], received).await.expect("stored");
    assert_eq!(store.recover_expired_leases(T0.plus_millis(LEASE + 1)).await.expect("recover"), 0);
    assert_eq!(store.claim_next_job(T0.plus_millis(LEASE + 1), LEASE).await.expect("claim"), None);
    // Applied: the send is recognised as done, never sent again.
    let sent = StatusUpdate {
        provider_message_id: "wamid.after-restart".into(),
        our_message_id: Some(claimed.message_id),
        status: "sent".into(),
        at: T0,
        error_code: None,
        error_text: None,
        closes_window: false,
    };
    store.apply_status(&sent, T0.plus_millis(LEASE + 2)).await.expect("status");
    let receipt = store.pending_webhooks(0, 10).await.expect("pending").remove(0).id;
    store.mark_webhook_processed(receipt, None, T0.plus_millis(LEASE + 2)).await.expect("processed");
    assert_eq!(store.recover_expired_leases(T0.plus_millis(LEASE + 3)).await.expect("recover"), 0);
    assert_eq!(store.job_state(claimed.job_id).await.expect("state"), ("done".into(), "sent".into()));
    // Without a report, once everything received is applied, the lease is taken back as before.
    store.enqueue(&NewOutbound::text(conversations[0], channel, "dois"), Dispatch::Now, T0).await.expect("e");
    let second = store.claim_next_job(T0.plus_millis(LEASE + 3), LEASE).await.expect("claim").expect("job");
    assert_eq!(store.recover_expired_leases(T0.plus_millis(2 * LEASE + 4)).await.expect("recover"), 1);
    let again =
        store.claim_next_job(T0.plus_millis(2 * LEASE + 4), LEASE).await.expect("claim").expect("job");
    assert_eq!((again.job_id, again.attempts), (second.job_id, 2));
});

contract!(a_send_tried_again_waits_until_what_the_provider_said_before_its_retry_is_applied, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    store.enqueue(&NewOutbound::text(conversations[0], channel, "um"), Dispatch::Now, T0).await.expect("e");
    let first = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    // The answer was lost (a 500 after Meta took it); the echo saying it went arrived and waits to be applied.
    store.retry_job(&first, "HTTP 500", T0.plus_millis(1_000)).await.expect("retry");
    store.record_webhooks(&[("evolution", "{\"echo\": 1}")], T0.plus_millis(500)).await.expect("stored");
    assert_eq!(store.claim_next_job(T0.plus_millis(2_000), LEASE).await.expect("claim"), None);
    // Looked at and kept waiting (it names a message not known yet): it holds nothing up any more.
    let echo = store.pending_webhooks(0, 10).await.expect("pending").remove(0).id;
    store.mark_webhooks_seen(&[echo], T0.plus_millis(2_000)).await.expect("seen");
    let again = store.claim_next_job(T0.plus_millis(2_000), LEASE).await.expect("claim").expect("job");
    assert_eq!((again.job_id, again.attempts), (first.job_id, 2));
    // A receipt received after the retry was due does not hold it up either.
    store.retry_job(&again, "HTTP 500", T0.plus_millis(3_000)).await.expect("retry");
    store.record_webhooks(&[("whatsapp", "{\"later\": 1}")], T0.plus_millis(3_500)).await.expect("stored");
    assert!(store.claim_next_job(T0.plus_millis(4_000), LEASE).await.expect("claim").is_some());
});

contract!(a_second_template_is_not_held_up_by_texts_waiting_for_the_reply, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    let c = conversations[0];
    store.enqueue(&NewOutbound::text(c, channel, "modelo 1"), Dispatch::Now, T0).await.expect("e");
    let job = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    store.complete_job(&job, "wamid.t1", T0).await.expect("done");
    let (_, held) =
        store.enqueue(&NewOutbound::text(c, channel, "texto na fila"), Dispatch::Hold, T0).await.expect("e");
    store.enqueue(&NewOutbound::text(c, channel, "modelo 2"), Dispatch::Now, T0).await.expect("e");
    let second = store.claim_next_job(T0, LEASE).await.expect("claim").expect("the second template leaves");
    assert_eq!(second.body.as_deref(), Some("modelo 2"));
    assert_eq!(store.job_state(held).await.expect("state"), ("held".into(), "held".into()));
});

contract!(a_retried_send_that_had_reached_the_provider_is_recognised_and_not_sent_again, |db| {
    use atende_server::store::inbound::StatusUpdate;
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    store.enqueue(&NewOutbound::text(conversations[0], channel, "um"), Dispatch::Now, T0).await.expect("e");
    let first = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    assert_eq!(first.provider_message_id, None);
    // The request timed out, but Meta had accepted it: its status webhook carries our id back.
    store.retry_job(&first, "timeout", T0.plus_millis(1_000)).await.expect("retry");
    let sent = StatusUpdate {
        provider_message_id: "wamid.late".into(),
        our_message_id: Some(first.message_id),
        status: "sent".into(),
        at: T0,
        error_code: None,
        error_text: None,
        closes_window: false,
    };
    store.apply_status(&sent, T0).await.expect("status");
    let again = store.claim_next_job(T0.plus_millis(1_000), LEASE).await.expect("claim").expect("job");
    assert_eq!(again.provider_message_id.as_deref(), Some("wamid.late"));
    // A stale worker cannot flip a finished job back to ready.
    store.complete_job(&again, "wamid.late", T0).await.expect("done");
    store.retry_job(&again, "late retry", T0).await.expect("ignored");
    assert_eq!(store.job_state(again.job_id).await.expect("state").0, "done");
});

/// A clock the test moves by hand.
struct ManualClock(std::sync::Mutex<Timestamp>);

impl atende_domain::ports::Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock")
    }
}

impl ManualClock {
    fn advance(&self, millis: i64) {
        let mut now = self.0.lock().expect("clock");
        *now = now.plus_millis(millis);
    }
}

/// The worker's senders: `sender` for `channel`, nothing else.
fn only_sender(
    channel: i64,
    sender: Arc<dyn atende_server::channels::port::ChannelSender>,
) -> std::collections::HashMap<i64, Arc<dyn atende_server::channels::port::ChannelSender>> {
    std::collections::HashMap::from([(channel, sender)])
}

/// A provider that accepts everything and remembers to whom, in order.
#[derive(Default)]
struct RecordingSender(std::sync::Mutex<Vec<(String, String)>>);

#[async_trait::async_trait]
impl atende_server::channels::port::ChannelSender for RecordingSender {
    /// Read receipts are not the outbound worker's: these tests have none.
    async fn acknowledge(&self, _to: &str, _message_id: &str, _typing: bool) -> Result<(), String> {
        Ok(())
    }

    async fn send(
        &self,
        outbound: &atende_server::channels::port::Outbound,
    ) -> atende_server::channels::port::SendOutcome {
        use atende_server::channels::port::OutboundMessage;
        let mut sent = self.0.lock().expect("sent");
        let body = match &outbound.message {
            OutboundMessage::Text { body } => body.clone(),
            other => format!("{other:?}"),
        };
        sent.push((outbound.to.clone(), body));
        Ok(format!("wamid.{}", sent.len()))
    }
}

contract!(a_recipient_gets_a_burst_and_then_one_message_per_interval_without_holding_up_others, |db| {
    use atende_server::outbox::{DispatchSettings, Dispatcher, ExecutionOutcome};
    use std::time::Duration;
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 2).await;
    let (a, b) = (conversations[0], conversations[1]);
    for body in ["a1", "a2", "a3", "a4"] {
        store.enqueue(&NewOutbound::text(a, channel, body), Dispatch::Now, T0).await.expect("e");
    }
    store.enqueue(&NewOutbound::text(b, channel, "b1"), Dispatch::Now, T0).await.expect("e");
    let clock = Arc::new(ManualClock(std::sync::Mutex::new(T0)));
    let sender = Arc::new(RecordingSender::default());
    let senders = only_sender(channel, sender.clone());
    let settings = DispatchSettings {
        per_channel_rate: 0,
        pair_burst: 2,
        pair_interval: Duration::from_secs(6),
        ..DispatchSettings::default()
    };
    let dispatcher = Dispatcher::new(
        store.clone(),
        clock.clone(),
        Arc::new(ChannelRegistry::with_senders(senders)),
        settings,
    );
    let step = || async { dispatcher.try_execute_task().await.expect("step") };

    assert!(matches!(step().await, ExecutionOutcome::Sent(_)));
    assert!(matches!(step().await, ExecutionOutcome::Sent(_)));
    // The burst is spent: a3 waits one interval, and does not count as an attempt.
    let ExecutionOutcome::Deferred(a3, at) = step().await else { panic!("a3 should be deferred") };
    assert_eq!(at, T0.plus_millis(6_000));
    // Another recipient is not held up; a4 stays behind a3.
    assert!(matches!(step().await, ExecutionOutcome::Sent(_)));
    assert_eq!(step().await, ExecutionOutcome::Idle);
    clock.advance(5_999);
    assert_eq!(step().await, ExecutionOutcome::Idle);
    clock.advance(1);
    assert_eq!(step().await, ExecutionOutcome::Sent(a3));
    assert!(matches!(step().await, ExecutionOutcome::Deferred(_, _)));
    clock.advance(6_000);
    assert!(matches!(step().await, ExecutionOutcome::Sent(_)));
    let sent: Vec<String> = sender.0.lock().expect("sent").iter().map(|(_, body)| body.clone()).collect();
    assert_eq!(sent, ["a1", "a2", "b1", "a3", "a4"]);
    let claimed_once = store.claim_next_job(T0, LEASE).await.expect("claim");
    assert_eq!(claimed_once, None, "nothing left");
});

contract!(a_deferred_job_waits_its_turn_without_counting_an_attempt, |db| {
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    store.enqueue(&NewOutbound::text(conversations[0], channel, "um"), Dispatch::Now, T0).await.expect("e");
    store.enqueue(&NewOutbound::text(conversations[0], channel, "dois"), Dispatch::Now, T0).await.expect("e");
    let first = store.claim_next_job(T0, LEASE).await.expect("claim").expect("job");
    assert_eq!(first.attempts, 1);
    store.defer_job(&first, T0.plus_millis(6_000)).await.expect("deferred");
    assert_eq!(store.claim_next_job(T0.plus_millis(5_999), LEASE).await.expect("claim"), None);
    let again = store.claim_next_job(T0.plus_millis(6_000), LEASE).await.expect("claim").expect("job");
    assert_eq!((again.job_id, again.attempts), (first.job_id, 1));
});

/// A provider that refuses every send at once with `code`.
struct RefusingSender(i64);

#[async_trait::async_trait]
impl atende_server::channels::port::ChannelSender for RefusingSender {
    /// Read receipts are not the outbound worker's: these tests have none.
    async fn acknowledge(&self, _to: &str, _message_id: &str, _typing: bool) -> Result<(), String> {
        Ok(())
    }

    async fn send(
        &self,
        _outbound: &atende_server::channels::port::Outbound,
    ) -> atende_server::channels::port::SendOutcome {
        use atende_server::channels::port::SendFailure;
        let (code, explanation, detail) = (
            Some(self.0),
            "Mais de 24 horas se passaram desde a última mensagem do contato.".into(),
            format!("code {}", self.0),
        );
        Err(if self.0 == 131047 {
            SendFailure::WindowClosed { code, explanation, detail }
        } else {
            SendFailure::Refused { code, explanation, detail }
        })
    }
}

contract!(a_send_refused_at_once_because_the_window_closed_marks_the_window_closed, |db| {
    use atende_domain::conversation::ConversationId;
    use atende_domain::ports::Outbox;
    use atende_server::outbox::{DispatchSettings, Dispatcher, ExecutionOutcome};
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    let (_, job) = store
        .enqueue(&NewOutbound::text(conversations[0], channel, "oi"), Dispatch::Now, T0)
        .await
        .expect("e");
    let senders = only_sender(channel, Arc::new(RefusingSender(131047)));
    let clock = Arc::new(ManualClock(std::sync::Mutex::new(T0)));
    let dispatcher = Dispatcher::new(
        store.clone(),
        clock,
        Arc::new(ChannelRegistry::with_senders(senders)),
        DispatchSettings::default(),
    );
    assert_eq!(dispatcher.try_execute_task().await.expect("step"), ExecutionOutcome::Failed(job));
    assert_eq!(store.job_state(job).await.expect("state"), ("failed".into(), "failed".into()));
    let state = store.conversation_state(ConversationId(conversations[0])).await.expect("state");
    assert_eq!(state.lifecycle.provider_closed_at(), Some(T0));
});

contract!(the_contacts_message_lifts_a_providers_report_of_a_closed_window_and_a_later_report_counts, |db| {
    use atende_domain::conversation::ConversationId;
    use atende_domain::ports::Outbox;
    use atende_server::store::inbound::InboundMessage;
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    let id = ConversationId(conversations[0]);
    let (ours, _) =
        store.enqueue(&NewOutbound::text(id.0, channel, "oi"), Dispatch::Now, T0).await.expect("queued");
    let closed_at = |store: SqlStore| async move {
        let state = store.conversation_state(id).await.expect("state");
        let listed = store.summary(id).await.expect("summary");
        (state.lifecycle.provider_closed_at(), listed.provider_closed_at)
    };
    store.provider_closed_window(ours, T0.plus_millis(1_000)).await.expect("reported");
    let reported = Some(T0.plus_millis(1_000));
    assert_eq!(closed_at(store.clone()).await, (reported, reported));
    let wrote = InboundMessage {
        channel_id: channel,
        identity_kind: "wa_id".into(),
        external_id: "5511910000000".into(),
        phone: atende_domain::phone::Phone::parse("+5511910000000").ok(),
        profile_name: None,
        provider_message_id: "wamid.in.voltou".into(),
        kind: "text".into(),
        body: Some("voltei".into()),
        detail: "{}".into(),
        sent_at: T0.plus_millis(2_000),
        activity: atende_domain::window::InboundKind::Text,
        media: None,
        extras: Default::default(),
    };
    store.record_inbound(&wrote, T0.plus_millis(2_000)).await.expect("inbound");
    assert_eq!(closed_at(store.clone()).await, (None, None), "the contact wrote after the report: lifted");
    // A report after the contact's message is Meta's word again (an older one kept would have hidden it).
    store.provider_closed_window(ours, T0.plus_millis(3_000)).await.expect("reported");
    let later = Some(T0.plus_millis(3_000));
    assert_eq!(closed_at(store.clone()).await, (later, later));
});

contract!(a_status_is_applied_only_to_a_send_atende_recorded_never_to_a_held_message, |db| {
    use atende_server::store::inbound::{StatusOutcome, StatusUpdate};
    let store = db.store().await;
    let (channel, conversations) = fixture(&store, 1).await;
    let c = conversations[0];
    let (held, held_job) =
        store.enqueue(&NewOutbound::text(c, channel, "na fila"), Dispatch::Hold, T0).await.expect("e");
    let naming = |ours, wamid: &str| StatusUpdate {
        provider_message_id: wamid.into(),
        our_message_id: Some(ours),
        status: "read".into(),
        at: T0,
        error_code: None,
        error_text: None,
        closes_window: false,
    };
    // Someone reports our held message "read" through the opaque id: nothing was ever sent, nothing changes.
    let forged = store.apply_status(&naming(held, "wamid.forjado"), T0).await.expect("looked at");
    assert_eq!(forged, StatusOutcome::UnknownMessage);
    assert_eq!(store.job_state(held_job).await.expect("s"), ("held".into(), "held".into()));
    // Released but not claimed yet: still no send, still nothing.
    store.release_held(c, T0).await.expect("released");
    let early = store.apply_status(&naming(held, "wamid.forjado"), T0).await.expect("looked at");
    assert_eq!(early, StatusOutcome::UnknownMessage);
    assert_eq!(store.job_state(held_job).await.expect("s"), ("ready".into(), "queued".into()));
    // Claimed (the send began) and its answer lost: the provider's report through the opaque id is its own.
    let claimed = store.claim_next_job(T0, LEASE).await.expect("claim").expect("the job");
    let learned = store.apply_status(&naming(held, "wamid.verdadeiro"), T0).await.expect("applied");
    assert_eq!(learned, StatusOutcome::Applied);
    // Once its provider id is known, a report of another id through the same opaque id is not its own.
    let other = store.apply_status(&naming(held, "wamid.outro"), T0).await.expect("looked at");
    assert_eq!(other, StatusOutcome::UnknownMessage);
    store.complete_job(&claimed, "wamid.verdadeiro", T0).await.expect("done");
});
