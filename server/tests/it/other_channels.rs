//! The "API Não Oficial" (Evolution API), Messenger and Instagram end to end over real HTTP: the sandbox plays
//! each provider (its wire format, its authentication, its window), Atende receives, dedupes, answers and
//! follows the receipts.

use crate::common::{eventually, spawn_app, TestApp};
use atende_domain::conversation::{ChannelKind, ConversationSummary, Tab};
use atende_domain::ports::Store;
use atende_server::sandbox::others::OthersSandbox;
use serde_json::{json, Value};

const HOUR: i64 = 60 * 60;

async fn conversation_with(app: &TestApp, name: &str) -> ConversationSummary {
    eventually(&format!("a conversation with {name}"), || async {
        let conversations = app.store.list_conversations(Tab::All).await.ok()?;
        conversations.into_iter().find(|c| c.contact_name.as_str() == name)
    })
    .await
}

async fn send(app: &TestApp, conversation: i64, text: &str) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}/api/send_message", app.address))
        .form(&[("conversation", conversation.to_string()), ("text", text.to_owned())])
        .send()
        .await
        .expect("POST");
    (response.status().as_u16(), response.text().await.expect("body"))
}

/// The outbound messages of a conversation: (body, status).
async fn outbound(app: &TestApp, conversation: i64) -> Vec<(String, String)> {
    app.store
        .conversation_messages(conversation)
        .await
        .expect("messages")
        .into_iter()
        .filter(|m| m.0 == "out")
        .map(|m| (m.2.unwrap_or_default(), m.3))
        .collect()
}

async fn wait_for_status(app: &TestApp, conversation: i64, wanted: &str) -> Vec<(String, String)> {
    eventually(&format!("every message {wanted}"), || async {
        let messages = outbound(app, conversation).await;
        (!messages.is_empty() && messages.iter().all(|(_, status)| status == wanted)).then_some(messages)
    })
    .await
}

/// Posts a raw Evolution event to Atende, authenticated as `bearer` (or not at all).
async fn post_evolution(app: &TestApp, event: &Value, bearer: Option<&str>) -> u16 {
    let mut request = app.client.post(format!("{}/webhooks/evolution", app.address)).json(event);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("POST").status().as_u16()
}

fn evolution_upsert(instance: &str, id: &str, number: &str, text: &str) -> Value {
    json!({
        "event": "messages.upsert", "instance": instance, "apikey": null,
        "data": {"key": {"remoteJid": format!("{number}@s.whatsapp.net"), "fromMe": false, "id": id},
                 "pushName": "Carla", "message": {"conversation": text}, "messageType": "conversation",
                 "messageTimestamp": 1_700_000_000_i64}
    })
}

#[tokio::test]
async fn unofficial_whatsapp_receives_answers_and_follows_receipts_with_no_window() {
    let app = spawn_app().await;
    app.others
        .simulate(ChannelKind::WhatsappUnofficial, "5511955554444", "Carla", "Oi, tudo bem?", 0)
        .await
        .expect("delivered");
    let conversation = conversation_with(&app, "Carla").await;
    assert_eq!(conversation.channel, ChannelKind::WhatsappUnofficial);
    assert_eq!(conversation.last_message.as_deref(), Some("Oi, tudo bem?"));

    let (status, body) = send(&app, conversation.id.0, "Olá, Carla!").await;
    assert_eq!(status, 200, "{body}");
    let messages = wait_for_status(&app, conversation.id.0, "read").await;
    assert_eq!(messages, [("Olá, Carla!".to_owned(), "read".to_owned())]);
    let sent = app.others.sent().await;
    assert_eq!((sent[0].to.as_str(), sent[0].text.as_str()), ("5511955554444", "Olá, Carla!"));
}

#[tokio::test]
async fn unofficial_webhooks_need_the_token_and_a_repeated_event_is_stored_once() {
    let app = spawn_app().await;
    let config = app.others.config().clone();
    let event = evolution_upsert(&config.evolution_instance, "3AREPETIDA", "5521944443333", "Bom dia");
    assert_eq!(post_evolution(&app, &event, None).await, 401, "no token");
    assert_eq!(post_evolution(&app, &event, Some("token-errado")).await, 401, "wrong token");
    let mut other_instance = event.clone();
    other_instance["instance"] = json!("outra-instancia");
    assert_eq!(post_evolution(&app, &other_instance, Some(&config.evolution_webhook_token)).await, 401);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.store.list_conversations(Tab::All).await.expect("list").is_empty(), "nothing was stored");

    assert_eq!(post_evolution(&app, &event, Some(&config.evolution_webhook_token)).await, 200);
    // The instance token in the body is accepted too (Evolution's AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES).
    let mut with_key = event.clone();
    with_key["apikey"] = json!(config.evolution_api_key);
    assert_eq!(post_evolution(&app, &with_key, None).await, 200);
    let conversation = conversation_with(&app, "Carla").await;
    eventually("both receipts processed", || async {
        app.store.pending_webhooks(0, 1).await.ok()?.is_empty().then_some(())
    })
    .await;
    let messages = app.store.conversation_messages(conversation.id.0).await.expect("messages");
    assert_eq!(messages.len(), 1, "the same message id twice is one message");
}

#[tokio::test]
async fn a_number_without_whatsapp_fails_explained_and_a_disconnected_instance_is_retried() {
    let app = spawn_app().await;
    app.others.simulate(ChannelKind::WhatsappUnofficial, "5531977776666", "Davi", "Oi", 0).await.expect("ok");
    let conversation = conversation_with(&app, "Davi").await;
    let connection = |connected: bool| {
        app.client
            .post(format!("{}/sandbox/evolution/connection", app.address))
            .json(&json!({ "connected": connected }))
    };
    assert_eq!(connection(false).send().await.expect("POST").status(), 200);
    let (status, _) = send(&app, conversation.id.0, "Você está aí?").await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(outbound(&app, conversation.id.0).await[0].1, "queued", "kept for a retry, not failed");
    assert!(app.others.sent().await.is_empty(), "nothing reached the contact while disconnected");
    assert_eq!(connection(true).send().await.expect("POST").status(), 200);
    wait_for_status(&app, conversation.id.0, "read").await;

    // Iniciar atendimento on the unofficial channel opens at once; Evolution then finds no WhatsApp.
    let contact = app.create_contact("Sem WhatsApp", "(11) 90000-0000").await;
    let team =
        app.store.ensure_team("Geral", atende_domain::time::Timestamp::from_millis(0)).await.expect("team");
    let id = app.start_unofficial(contact, team).await;
    send(&app, id, "Olá!").await;
    let failed = wait_for_status(&app, id, "failed").await;
    assert_eq!(failed.len(), 1);
    let views = eventually("the reason", || async {
        let views = atende_domain::ports::Outbox::messages(
            &app.store,
            atende_domain::conversation::ConversationId(id),
        )
        .await
        .ok()?;
        views.into_iter().find_map(|m| m.error)
    })
    .await;
    assert_eq!(views, "Este número não tem WhatsApp: a mensagem não pode ser entregue.");
}

#[tokio::test]
async fn messenger_names_the_person_answers_and_marks_delivered_and_read_by_watermark() {
    let app = spawn_app().await;
    app.others
        .simulate(ChannelKind::Messenger, "5511922221111", "Ana Souza", "Oi pelo Messenger", 0)
        .await
        .expect("ok");
    let conversation = conversation_with(&app, "Ana Souza").await;
    assert_eq!(conversation.channel, ChannelKind::Messenger);
    assert_eq!(conversation.contact_phone, None, "Messenger gives no number");
    let (status, body) = send(&app, conversation.id.0, "Oi, Ana!").await;
    assert_eq!(status, 200, "{body}");
    wait_for_status(&app, conversation.id.0, "read").await;
    let sent = app.others.sent().await;
    assert_eq!(sent[0].tag, None, "inside the window: a plain response");
    assert_eq!(sent[0].to, OthersSandbox::scoped_id(ChannelKind::Messenger, "5511922221111"));
}

#[tokio::test]
async fn after_24_hours_messenger_answers_with_human_agent_and_instagram_refuses_with_the_reason() {
    let app = spawn_app().await;
    // The sandbox's Messenger page uses the HUMAN_AGENT tag; its Instagram account does not.
    app.others
        .simulate(ChannelKind::Messenger, "5511933332222", "Bia Lima", "Oi", 25 * HOUR)
        .await
        .expect("ok");
    let messenger = conversation_with(&app, "Bia Lima").await;
    let (status, body) = send(&app, messenger.id.0, "Desculpe a demora!").await;
    assert_eq!(status, 200, "{body}");
    wait_for_status(&app, messenger.id.0, "read").await;
    assert_eq!(app.others.sent().await[0].tag.as_deref(), Some("HUMAN_AGENT"));

    app.others
        .simulate(ChannelKind::Instagram, "5511944443333", "Caio Reis", "Oi", 25 * HOUR)
        .await
        .expect("ok");
    let instagram = conversation_with(&app, "Caio Reis").await;
    assert_eq!(instagram.channel, ChannelKind::Instagram);
    let (status, body) = send(&app, instagram.id.0, "Ainda aí?").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("WindowClosed") && body.contains("Instagram"), "{body}");
    let restart = app
        .client
        .post(format!("{}/api/restart_conversation", app.address))
        .json(&json!({ "conversation": instagram.id.0, "template": "qualquer", "language": "pt_BR", "values": [] }))
        .send()
        .await
        .expect("POST");
    let (status, body) = (restart.status().as_u16(), restart.text().await.expect("body"));
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("MetaForbidsRestart") && body.contains("Instagram"), "{body}");
    assert!(outbound(&app, instagram.id.0).await.is_empty(), "nothing was queued");
}

#[tokio::test]
async fn instagram_inside_the_window_answers_and_is_read_by_message_id() {
    let app = spawn_app().await;
    app.others
        .simulate(ChannelKind::Instagram, "5511966665555", "Duda Alves", "Oi pelo Insta", 0)
        .await
        .expect("ok");
    let conversation = conversation_with(&app, "Duda Alves").await;
    let (status, body) = send(&app, conversation.id.0, "Oi, Duda!").await;
    assert_eq!(status, 200, "{body}");
    wait_for_status(&app, conversation.id.0, "read").await;
}

#[tokio::test]
async fn a_meta_webhook_with_a_bad_signature_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let event = json!({"object":"page","entry":[{"id": app.others.config().page_id, "time": 1, "messaging": [
        {"sender":{"id":"2400000000000001"},"recipient":{"id": app.others.config().page_id},"timestamp":1,
         "message":{"mid":"m_forjada","text":"forjada"}}]}]});
    let response = app
        .client
        .post(format!("{}/webhooks/meta", app.address))
        .header("X-Hub-Signature-256", "sha256=00")
        .json(&event)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 401);
    let handshake = app
        .client
        .get(format!(
            "{}/webhooks/meta?hub.mode=subscribe&hub.verify_token=sandbox&hub.challenge=42",
            app.address
        ))
        .send()
        .await
        .expect("GET");
    assert_eq!(handshake.text().await.expect("body"), "42");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.store.list_conversations(Tab::All).await.expect("list").is_empty());
}

#[tokio::test]
async fn a_send_meta_refuses_for_the_window_is_explained_and_closes_the_window() {
    use atende_server::dispatch::{ChannelSender, MessengerSender};
    use atende_server::messenger::{MessengerClient, MessengerConfig};
    use atende_server::sandbox::others::{self, OthersConfig};
    use atende_server::store::queue::{ClaimedJob, JobId, MessageId};
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let hooks = receiver.local_addr().expect("bound");
    let accept_all = axum::Router::new().route("/webhooks/meta", axum::routing::post(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(receiver, accept_all).await });
    let config = OthersConfig {
        meta_webhook_url: format!("http://{hooks}/webhooks/meta"),
        service_window: std::time::Duration::from_secs(1),
        ..OthersConfig::default()
    };
    let sandbox = OthersSandbox::new(config.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let address = listener.local_addr().expect("bound");
    let router = axum::Router::new().nest("/sandbox", others::router(sandbox.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    sandbox.simulate(ChannelKind::Instagram, "5511977778888", "Eva", "Oi", 0).await.expect("delivered");
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;

    let client = MessengerClient::new(
        MessengerConfig::new(ChannelKind::Instagram, &config.instagram_id, &config.meta_token)
            .with_base_url(format!("http://{address}/sandbox/meta/v23.0")),
    )
    .expect("client");
    let job = ClaimedJob {
        job_id: JobId(1),
        message_id: MessageId(1),
        conversation_id: 1,
        channel_id: 1,
        kind: "text".into(),
        body: Some("Oi, Eva".into()),
        detail: "{}".into(),
        provider_message_id: None,
        recipient: None,
        attempts: 1,
    };
    let to = OthersSandbox::scoped_id(ChannelKind::Instagram, "5511977778888");
    let failure = MessengerSender { client }.send(&to, &job).await.expect_err("outside the window");
    assert_eq!(failure.code, Some(10));
    assert!(!failure.transient);
    assert!(failure.closes_window);
    assert!(
        failure.explanation.contains("janela de conversa do Instagram está fechada"),
        "{}",
        failure.explanation
    );
}

#[tokio::test]
async fn a_send_whose_answer_was_lost_is_recognised_by_its_echo_on_messenger_and_evolution() {
    let app = spawn_app().await;
    app.others.simulate(ChannelKind::Messenger, "5511911110000", "Gil Messenger", "Oi", 0).await.expect("ok");
    app.others
        .simulate(ChannelKind::WhatsappUnofficial, "5511922220000", "Iara Evolution", "Oi", 0)
        .await
        .expect("ok");
    for name in ["Gil Messenger", "Iara Evolution"] {
        let conversation = conversation_with(&app, name).await;
        // The provider takes the message, echoes it, and then answers 500: the worker retries, finds the echo.
        app.others.lose_next_answers(1).await;
        let (status, body) = send(&app, conversation.id.0, &format!("Só uma vez, {name}")).await;
        assert_eq!(status, 200, "{body}");
        wait_for_status(&app, conversation.id.0, "read").await;
    }
    let sent: Vec<String> = app.others.sent().await.into_iter().map(|m| m.text).collect();
    assert_eq!(
        sent,
        ["Só uma vez, Gil Messenger", "Só uma vez, Iara Evolution"],
        "each reached the person once"
    );
}

async fn send_media(
    app: &TestApp,
    conversation: i64,
    kind: &str,
    link: &str,
    caption: &str,
) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}/api/send_media", app.address))
        .form(&[
            ("conversation", conversation.to_string()),
            ("kind", kind.to_owned()),
            ("link", link.to_owned()),
            ("caption", caption.to_owned()),
        ])
        .send()
        .await
        .expect("POST");
    (response.status().as_u16(), response.text().await.expect("body"))
}

#[tokio::test]
async fn attachments_go_by_link_on_the_gateway_messenger_and_the_cloud_api() {
    let app = spawn_app().await;
    // Evolution: sendMedia with the caption.
    app.others
        .simulate(ChannelKind::WhatsappUnofficial, "5511955550001", "Bruna", "Manda a foto?", 0)
        .await
        .expect("delivered");
    let gateway = conversation_with(&app, "Bruna").await;
    let (status, body) =
        send_media(&app, gateway.id.0, "image", "https://loja.com.br/bolo.jpg", "Seu bolo").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        wait_for_status(&app, gateway.id.0, "read").await,
        [("Seu bolo".to_owned(), "read".to_owned())]
    );
    let sent = app.others.sent().await;
    assert!(
        sent.iter().any(|s| s.text == "[image] https://loja.com.br/bolo.jpg — Seu bolo"),
        "{:?}",
        sent.iter().map(|s| &s.text).collect::<Vec<_>>()
    );

    // Refused before anything is stored: not https, a caption on audio, a caption on Messenger.
    let (status, body) = send_media(&app, gateway.id.0, "image", "http://loja.com.br/bolo.jpg", "").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("LinkNotHttps"), "{body}");
    assert_eq!(send_media(&app, gateway.id.0, "audio", "https://loja.com.br/a.ogg", "oi").await.0, 422);
    // An audio goes as a voice note (sendWhatsAppAudio).
    assert_eq!(send_media(&app, gateway.id.0, "audio", "https://loja.com.br/a.ogg", "").await.0, 200);
    eventually("the voice note reached the gateway", || async {
        app.others.sent().await.iter().any(|s| s.text == "[audio] https://loja.com.br/a.ogg").then_some(())
    })
    .await;
    app.others
        .simulate(ChannelKind::Messenger, "5511955550002", "Caio", "Oi pela página", 0)
        .await
        .expect("delivered");
    let page = conversation_with(&app, "Caio").await;
    let (status, body) =
        send_media(&app, page.id.0, "image", "https://loja.com.br/bolo.jpg", "legenda").await;
    assert_eq!(status, 422, "{body}");
    assert!(outbound(&app, page.id.0).await.is_empty(), "nothing stored");
    // Messenger: an attachment with no caption.
    assert_eq!(send_media(&app, page.id.0, "document", "https://loja.com.br/nf.pdf", "").await.0, 200);
    wait_for_status(&app, page.id.0, "read").await;
    assert!(app
        .others
        .sent()
        .await
        .iter()
        .any(|s| s.channel == ChannelKind::Messenger && s.text == "[file] https://loja.com.br/nf.pdf"));

    // Cloud API: a document with its file name taken from the link.
    app.sandbox
        .simulate_inbound(atende_server::sandbox::SimulatedInbound {
            number: "5511955550003".into(),
            name: "Dora".into(),
            content: atende_server::sandbox::SimulatedContent::Text("Pode mandar a nota?".into()),
        })
        .await
        .expect("delivered");
    let official = conversation_with(&app, "Dora").await;
    let (status, body) =
        send_media(&app, official.id.0, "document", "https://loja.com.br/notas/nf-77.pdf", "Sua nota").await;
    assert_eq!(status, 200, "{body}");
    let sent = eventually("the Cloud API took the document", || async {
        app.sandbox.sent_messages().await.into_iter().find(|m| m.kind == "document")
    })
    .await;
    assert_eq!(sent.summary, "[document] nf-77.pdf Sua nota");
}
