//! The official WhatsApp channel end to end, over real HTTP: the embedded sandbox plays Meta, signs its
//! webhooks and enforces the window; Atende stores, dispatches and applies statuses.

use crate::common::{eventually, spawn_app, TestApp};
use atende_server::providers::whatsapp::signature_header;
use atende_server::store::queue::{Dispatch, NewOutbound};

async fn channel_id(app: &TestApp) -> i64 {
    let phone_number_id = app.sandbox.config().phone_number_id.clone();
    app.store
        .channel_id_by_provider(atende_domain::conversation::ChannelKind::WhatsappOfficial, &phone_number_id)
        .await
        .expect("lookup")
        .expect("the sandbox channel exists")
}

#[tokio::test]
async fn the_templates_of_the_sandbox_are_synced_at_start() {
    let app = spawn_app().await;
    let channel = channel_id(&app).await;
    let templates = eventually("templates synced", || async {
        let templates = app.store.templates_of(channel).await.ok()?;
        (!templates.is_empty()).then_some(templates)
    })
    .await;
    assert!(templates.iter().any(|t| t.status == "APPROVED" && t.category == "UTILITY"));
    assert!(templates.iter().any(|t| t.status != "APPROVED"), "the demo has a template that is not sendable");
}

#[tokio::test]
async fn a_contacts_message_arrives_signed_and_an_answer_goes_out_and_is_read() {
    let app = spawn_app().await;
    app.contact_writes("5511987654321", "Maria Cliente", "Oi, tudo bem?").await;
    let conversation = app.conversation_with("Maria Cliente").await;
    assert_eq!(conversation.last_message.as_deref(), Some("Oi, tudo bem?"));
    assert!(conversation.last_inbound_at.is_some(), "the window did not open");

    let channel = channel_id(&app).await;
    let (_, job) = app
        .store
        .enqueue(&NewOutbound::text(conversation.id.0, channel, "Olá, Maria!"), Dispatch::Now, T())
        .await
        .expect("e");
    // The worker wakes every half second at most; the sandbox reports sent, delivered and read.
    eventually("the answer was read", || async {
        let (_, status) = app.store.job_state(job).await.ok()?;
        (status == "read").then_some(())
    })
    .await;
    let sent = app.sandbox.sent_messages().await;
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].to.as_str(), sent[0].summary.as_str()), ("5511987654321", "Olá, Maria!"));
}

#[tokio::test]
async fn a_text_outside_the_window_fails_with_the_reason_explained() {
    let app = spawn_app().await;
    app.contact_writes("5521998765432", "João", "Oi").await;
    let conversation = app.conversation_with("João").await;
    // The contact's window closed long ago, as far as the sandbox (Meta) is concerned.
    app.sandbox.set_last_inbound("5521998765432", 0).await;
    let channel = channel_id(&app).await;
    let (_, job) = app
        .store
        .enqueue(&NewOutbound::text(conversation.id.0, channel, "Ainda aí?"), Dispatch::Now, T())
        .await
        .expect("e");
    eventually("the send failed with 131047", || async {
        let (_, status) = app.store.job_state(job).await.ok()?;
        (status == "failed").then_some(())
    })
    .await;
}

#[tokio::test]
async fn held_messages_leave_in_order_when_the_contact_replies() {
    let app = spawn_app().await;
    app.contact_writes("5531997776666", "Ana", "Oi").await;
    let conversation = app.conversation_with("Ana").await;
    let channel = channel_id(&app).await;
    let mut jobs = Vec::new();
    for body in ["primeira na fila", "segunda na fila", "terceira na fila"] {
        let (_, job) = app
            .store
            .enqueue(&NewOutbound::text(conversation.id.0, channel, body), Dispatch::Hold, T())
            .await
            .expect("e");
        jobs.push(job);
    }
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(app.sandbox.sent_messages().await.is_empty(), "a held message left before the reply");

    app.contact_writes("5531997776666", "Ana", "👍").await;
    eventually("the queue was flushed", || async {
        let mut done = 0;
        for job in &jobs {
            let (state, _) = app.store.job_state(*job).await.ok()?;
            done += usize::from(state == "done");
        }
        (done == jobs.len()).then_some(())
    })
    .await;
    let order: Vec<String> = app.sandbox.sent_messages().await.into_iter().map(|m| m.summary).collect();
    assert_eq!(order, ["primeira na fila", "segunda na fila", "terceira na fila"]);
}

#[tokio::test]
async fn a_send_whose_answer_was_lost_is_recognised_by_its_status_and_never_sent_twice() {
    let app = spawn_app().await;
    app.contact_writes("5541996665555", "Bruno", "Oi").await;
    let conversation = app.conversation_with("Bruno").await;
    let channel = channel_id(&app).await;
    // Meta takes the message but its answer never arrives (a 500 after a second): the worker retries, and
    // by then the "sent" webhook has carried our message id back.
    app.sandbox.inject_fault(atende_server::sandbox::Fault::LoseAnswer { seconds: Some(1) }, 1).await;
    let (_, first) = app
        .store
        .enqueue(&NewOutbound::text(conversation.id.0, channel, "um"), Dispatch::Now, T())
        .await
        .expect("e");
    let (_, second) = app
        .store
        .enqueue(&NewOutbound::text(conversation.id.0, channel, "dois"), Dispatch::Now, T())
        .await
        .expect("e");
    eventually("both were delivered", || async {
        let done = [app.store.job_state(first).await.ok()?, app.store.job_state(second).await.ok()?];
        done.iter().all(|(state, status)| state == "done" && status != "queued").then_some(())
    })
    .await;
    let sent: Vec<String> = app.sandbox.sent_messages().await.into_iter().map(|m| m.summary).collect();
    assert_eq!(sent, ["um", "dois"], "each message reached the contact exactly once, in order");
}

#[tokio::test]
async fn a_webhook_with_a_bad_or_missing_signature_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let body = r#"{"object":"whatsapp_business_account","entry":[]}"#;
    let url = format!("{}/webhooks/whatsapp", app.address);
    let unsigned = app.client.post(&url).body(body).send().await.expect("POST");
    assert_eq!(unsigned.status(), 401);
    let wrong = app
        .client
        .post(&url)
        .header("X-Hub-Signature-256", signature_header(b"not-the-secret", body.as_bytes()))
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(wrong.status(), 401);
    assert!(app.store.pending_webhooks(0, 10).await.expect("pending").is_empty());

    let secret = app.sandbox.config().app_secret.clone();
    let good = app
        .client
        .post(&url)
        .header("X-Hub-Signature-256", signature_header(secret.as_bytes(), body.as_bytes()))
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(good.status(), 200);
}

#[tokio::test]
async fn the_verification_handshake_echoes_the_challenge_only_for_our_token() {
    let app = spawn_app().await;
    let url = format!("{}/webhooks/whatsapp", app.address);
    let ok = app
        .client
        .get(format!("{url}?hub.mode=subscribe&hub.verify_token=sandbox&hub.challenge=1158201444"))
        .send()
        .await
        .expect("GET");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.expect("body"), "1158201444");
    let wrong = app
        .client
        .get(format!("{url}?hub.mode=subscribe&hub.verify_token=outro&hub.challenge=1"))
        .send()
        .await
        .expect("GET");
    assert_eq!(wrong.status(), 403);
}

/// Now, for enqueueing (the queue orders by job, not by this instant).
#[expect(non_snake_case)]
fn T() -> atende_domain::time::Timestamp {
    use atende_domain::ports::Clock;
    atende_server::SystemClock.now()
}
