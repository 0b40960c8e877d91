//! The "API Não Oficial" (Evolution API), Messenger and Instagram end to end over real HTTP: the sandbox plays
//! each provider (its wire format, its authentication, its window), Atende receives, dedupes, answers and
//! follows the receipts.

use crate::common::{eventually, post_signed, spawn_app, TestApp};
use atende_domain::conversation::{ChannelKind, Tab};
use atende_domain::ports::{Outbox, Store};
use atende_server::sandbox::others::OthersSandbox;
use atende_server::sandbox::Fault;
use serde_json::{json, Value};

const HOUR: i64 = 60 * 60;

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
    let conversation = app.conversation_with("Carla").await;
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
    let conversation = app.conversation_with("Carla").await;
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
    let conversation = app.conversation_with("Davi").await;
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
    let conversation = app.conversation_with("Ana Souza").await;
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
    let messenger = app.conversation_with("Bia Lima").await;
    let (status, body) = send(&app, messenger.id.0, "Desculpe a demora!").await;
    assert_eq!(status, 200, "{body}");
    wait_for_status(&app, messenger.id.0, "read").await;
    assert_eq!(app.others.sent().await[0].tag.as_deref(), Some("HUMAN_AGENT"));

    app.others
        .simulate(ChannelKind::Instagram, "5511944443333", "Caio Reis", "Oi", 25 * HOUR)
        .await
        .expect("ok");
    let instagram = app.conversation_with("Caio Reis").await;
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
    let conversation = app.conversation_with("Duda Alves").await;
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
    use atende_server::channels::port::{ChannelSender, Outbound, OutboundMessage};
    use atende_server::providers::meta::sender::MessengerSender;
    use atende_server::providers::meta::{MessengerClient, MessengerConfig};
    use atende_server::sandbox::others::{self, OthersConfig};
    use atende_server::store::queue::MessageId;
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
    let to = OthersSandbox::scoped_id(ChannelKind::Instagram, "5511977778888");
    let outbound = Outbound {
        message_id: MessageId(1),
        to,
        message: OutboundMessage::Text { body: "Oi, Eva".into() },
        tag: None,
        reply_to: None,
    };
    let failure = MessengerSender { client }.send(&outbound).await.expect_err("outside the window");
    assert_eq!(failure.code(), Some(10));
    assert!(!failure.is_transient());
    assert!(failure.closes_window());
    assert!(
        failure.explanation().contains("janela de conversa do Instagram está fechada"),
        "{}",
        failure.explanation()
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
    for (kind, name) in
        [(ChannelKind::Messenger, "Gil Messenger"), (ChannelKind::WhatsappUnofficial, "Iara Evolution")]
    {
        let conversation = app.conversation_with(name).await;
        // The provider takes the message, echoes it, and then answers 500: the worker retries, finds the echo.
        app.others.inject_fault(kind, Fault::LoseAnswer { seconds: Some(1) }, 1).await.expect("queued");
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
    let gateway = app.conversation_with("Bruna").await;
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
    let page = app.conversation_with("Caio").await;
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
    let official = app.conversation_with("Dora").await;
    let (status, body) =
        send_media(&app, official.id.0, "document", "https://loja.com.br/notas/nf-77.pdf", "Sua nota").await;
    assert_eq!(status, 200, "{body}");
    let sent = eventually("the Cloud API took the document", || async {
        app.sandbox.sent_messages().await.into_iter().find(|m| m.kind == "document")
    })
    .await;
    assert_eq!(sent.summary, "[document] nf-77.pdf Sua nota");
}

/// The sandbox's own channel of `kind`.
async fn sandbox_channel(app: &TestApp, kind: ChannelKind) -> i64 {
    let config = app.others.config();
    let provider = match kind {
        ChannelKind::WhatsappUnofficial => config.evolution_instance.clone(),
        ChannelKind::Messenger => config.page_id.clone(),
        ChannelKind::Instagram => config.instagram_id.clone(),
        ChannelKind::WhatsappOfficial => app.sandbox.config().phone_number_id.clone(),
    };
    app.store.channel_id_by_provider(kind, &provider).await.expect("lookup").expect("the sandbox's channel")
}

/// A server function called with a JSON body, as the console does: (status, body).
async fn call(app: &TestApp, function: &str, body: Value) -> (u16, String) {
    let response =
        app.client.post(format!("{}/api/{function}", app.address)).json(&body).send().await.expect("POST");
    (response.status().as_u16(), response.text().await.expect("body"))
}

/// "Concluir", as the console sends it.
async fn conclude(app: &TestApp, conversation: i64) {
    let response = app
        .client
        .post(format!("{}/api/conclude_conversation", app.address))
        .form(&[("conversation", conversation.to_string())])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
}

async fn restart(app: &TestApp, conversation: i64) -> (u16, String) {
    let body =
        json!({ "conversation": conversation, "template": "qualquer", "language": "pt_BR", "values": [] });
    call(app, "restart_conversation", body).await
}

/// The reason the conversation's failed message gives the agent.
async fn failure_reason(app: &TestApp, conversation: i64) -> String {
    use atende_domain::conversation::ConversationId;
    eventually("a failed message with its reason", || async {
        let views =
            atende_domain::ports::Outbox::messages(&app.store, ConversationId(conversation)).await.ok()?;
        views.into_iter().find(|m| m.status == "failed").and_then(|m| m.error)
    })
    .await
}

/// Polls `check` every 100 ms for up to `seconds`; panics with `what` when it never holds.
async fn within<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "timed out after {seconds} s waiting for: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn all_processed(app: &TestApp) {
    eventually("every webhook processed", || async {
        app.store.pending_webhooks(0, 1).await.ok()?.is_empty().then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_media_send_whose_answer_was_lost_on_the_unofficial_api_is_sent_exactly_once() {
    let app = spawn_app().await;
    app.others
        .simulate(ChannelKind::WhatsappUnofficial, "5511944440001", "Nina", "Manda tudo", 0)
        .await
        .expect("delivered");
    let conversation = app.conversation_with("Nina").await;
    let sends = [
        ("image", "https://loja.com.br/bolo.jpg", "Seu bolo"),
        ("document", "https://loja.com.br/notas/nf-77.pdf", "Sua nota"),
        ("video", "https://loja.com.br/receita.mp4", ""),
        ("audio", "https://loja.com.br/recado.ogg", ""),
    ];
    // Each is taken and echoed (as Baileys builds it: WhatsApp's own media link, the caption and the file
    // name), and then its answer is lost: the worker tries again and must recognise the echo.
    app.others
        .inject_fault(ChannelKind::WhatsappUnofficial, Fault::LoseAnswer { seconds: Some(0) }, 4)
        .await
        .expect("queued");
    for (kind, link, caption) in sends {
        let (status, body) = send_media(&app, conversation.id.0, kind, link, caption).await;
        assert_eq!(status, 200, "{body}");
    }
    within(30, "the four attachments read", || async {
        let messages = outbound(&app, conversation.id.0).await;
        (messages.len() == 4 && messages.iter().all(|(_, status)| status == "read")).then_some(())
    })
    .await;
    let got: Vec<(String, Option<String>, Option<String>)> = app
        .others
        .sent()
        .await
        .into_iter()
        .filter_map(|s| s.media)
        .map(|m| (m.kind, m.caption, m.file_name))
        .collect();
    assert_eq!(
        got,
        [
            ("image".to_owned(), Some("Seu bolo".to_owned()), Some("image.png".to_owned())),
            ("document".to_owned(), Some("Sua nota".to_owned()), Some("nf-77.pdf".to_owned())),
            ("video".to_owned(), None, Some("video.mp4".to_owned())),
            ("audio".to_owned(), None, None),
        ],
        "each reached the contact once, in order"
    );

    // A person known only by an `@lid` id (no number): the echo names the same id.
    let config = app.others.config().clone();
    let lid = json!({
        "event": "messages.upsert", "instance": config.evolution_instance,
        "data": {"key": {"remoteJid": "103899771998284@lid", "fromMe": false, "id": "3ALIDSOMENTE"},
                 "pushName": "Lia", "message": {"conversation": "Oi, sem número"}, "messageType": "conversation",
                 "messageTimestamp": 1_700_000_000_i64}
    });
    assert_eq!(post_evolution(&app, &lid, Some(&config.evolution_webhook_token)).await, 200);
    let lia = app.conversation_with("Lia").await;
    assert_eq!(lia.contact_phone, None);
    app.others
        .inject_fault(ChannelKind::WhatsappUnofficial, Fault::LoseAnswer { seconds: Some(0) }, 1)
        .await
        .expect("queued");
    let (status, body) = send(&app, lia.id.0, "Só uma vez, Lia").await;
    assert_eq!(status, 200, "{body}");
    wait_for_status(&app, lia.id.0, "read").await;
    let to_lia: Vec<String> =
        app.others.sent().await.into_iter().filter(|s| s.text.contains("Lia")).map(|s| s.to).collect();
    assert_eq!(to_lia, ["103899771998284"], "sent once, to the lid");
}

#[tokio::test]
async fn the_unofficial_api_carries_pictures_and_files_both_ways_with_their_captions_and_file_names() {
    use atende_server::sandbox::SimulatedContent;
    let app = spawn_app().await;
    let number = "5511944440002";
    let picture = SimulatedContent::Image { caption: Some("Olha o bolo".into()) };
    app.others
        .simulate_content(ChannelKind::WhatsappUnofficial, number, "Otto", picture, 0)
        .await
        .expect("ok");
    let conversation = app.conversation_with("Otto").await;
    let file = SimulatedContent::Document { caption: None };
    app.others.simulate_content(ChannelKind::WhatsappUnofficial, number, "Otto", file, 0).await.expect("ok");
    let captioned = SimulatedContent::Document { caption: Some("O comprovante".into()) };
    app.others
        .simulate_content(ChannelKind::WhatsappUnofficial, number, "Otto", captioned, 0)
        .await
        .expect("ok");
    let received = eventually("the three messages", || async {
        let all = app.store.conversation_messages(conversation.id.0).await.ok()?;
        (all.len() == 3).then_some(all)
    })
    .await;
    let seen: Vec<(&str, Option<&str>)> = received.iter().map(|m| (m.1.as_str(), m.2.as_deref())).collect();
    assert_eq!(
        seen,
        [
            ("image", Some("Olha o bolo")),
            ("document", Some("comprovante.txt")),
            ("document", Some("O comprovante"))
        ]
    );

    // Out: a document keeps its file name and a video its caption, up to the gateway.
    let (status, body) =
        send_media(&app, conversation.id.0, "document", "https://loja.com.br/notas/nf-77.pdf", "Sua nota")
            .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        send_media(&app, conversation.id.0, "video", "https://loja.com.br/receita.mp4", "A receita").await;
    assert_eq!(status, 200, "{body}");
    let sent = wait_for_status(&app, conversation.id.0, "read").await;
    assert_eq!(
        sent,
        [("Sua nota".to_owned(), "read".to_owned()), ("A receita".to_owned(), "read".to_owned())]
    );
    let media: Vec<_> = app.others.sent().await.into_iter().filter_map(|s| s.media).collect();
    assert_eq!(
        media.iter().map(|m| (m.kind.as_str(), m.link.as_str(), m.file_name.as_deref())).collect::<Vec<_>>(),
        [
            ("document", "https://loja.com.br/notas/nf-77.pdf", Some("nf-77.pdf")),
            ("video", "https://loja.com.br/receita.mp4", Some("video.mp4")),
        ]
    );
    assert_eq!(media[1].caption.as_deref(), Some("A receita"));
}

#[tokio::test]
async fn messenger_and_instagram_people_send_pictures_and_files() {
    use atende_server::sandbox::SimulatedContent;
    let app = spawn_app().await;
    for (kind, number, name) in [
        (ChannelKind::Messenger, "5511944440003", "Paulo Dias"),
        (ChannelKind::Instagram, "5511944440004", "Pia"),
    ] {
        let picture = SimulatedContent::Image { caption: Some("Essa aqui".into()) };
        app.others.simulate_content(kind, number, name, picture, 0).await.expect("delivered");
        let conversation = app.conversation_with(name).await;
        let file = SimulatedContent::Document { caption: None };
        app.others.simulate_content(kind, number, name, file, 0).await.expect("delivered");
        let received = eventually("the picture, its words and the file", || async {
            let all = app.store.conversation_messages(conversation.id.0).await.ok()?;
            (all.len() == 3).then_some(all)
        })
        .await;
        let kinds: Vec<(&str, Option<&str>)> =
            received.iter().map(|m| (m.1.as_str(), m.2.as_deref())).collect();
        assert_eq!(kinds, [("image", None), ("text", Some("Essa aqui")), ("document", None)], "{kind:?}");
        // The attachment links to a file the sandbox serves, as Meta's CDN does.
        let views = atende_domain::ports::Outbox::messages(&app.store, conversation.id).await.expect("views");
        assert!(views[0].body.is_none());
    }
    let picture = reqwest::get(format!("{}/sandbox/meta/cdn/amostra.jpg", app.address)).await.expect("GET");
    assert_eq!(picture.headers()["content-type"], "image/jpeg");
    // The same from the "Simulador de contato" page.
    let page = app
        .client
        .post(format!("{}/sandbox/simulador", app.address))
        .form(&[
            ("numero", "5511944440023"),
            ("nome", "Quim"),
            ("tipo", "documento"),
            ("canal", "nao_oficial"),
        ])
        .send()
        .await
        .expect("POST")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Mensagem entregue ao Atende pelo WhatsApp (API Não Oficial)"), "{page}");
    let quim = app.conversation_with("Quim").await;
    assert_eq!(quim.last_message.as_deref(), Some("📄 comprovante.txt"), "the list says what arrived");
    let refused = app
        .others
        .simulate_content(
            ChannelKind::Instagram,
            "5511944440004",
            "Pia",
            SimulatedContent::Upload {
                as_image: true,
                filename: "x.png".into(),
                mime_type: "image/png".into(),
                bytes: vec![1],
                caption: None,
            },
            0,
        )
        .await;
    assert_eq!(refused, Err(atende_server::sandbox::SandboxError::SampleOnly));
}

#[tokio::test]
async fn a_redelivered_message_is_stored_once_on_messenger_and_on_instagram() {
    let app = spawn_app().await;
    for (kind, number, name) in [
        (ChannelKind::Messenger, "5511944440005", "Rafa Messenger"),
        (ChannelKind::Instagram, "5511944440006", "Rafa Insta"),
    ] {
        app.others.simulate(kind, number, name, "Oi, chegou?", 0).await.expect("delivered");
        let conversation = app.conversation_with(name).await;
        // Meta delivers the same notification again, byte for byte.
        assert_eq!(app.others.redeliver_last_webhook().await, Ok(Some(200)));
        assert_eq!(app.others.redeliver_last_webhook().await, Ok(Some(200)));
        all_processed(&app).await;
        let messages = app.store.conversation_messages(conversation.id.0).await.expect("messages");
        assert_eq!(messages.len(), 1, "{kind:?}: one message however often it came");
        let conversations = app.store.list_conversations(Tab::All).await.expect("list");
        assert_eq!(conversations.iter().filter(|c| c.contact_name.as_str() == name).count(), 1);
    }
}

#[tokio::test]
async fn an_instagram_webhook_with_a_bad_signature_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let config = app.others.config().clone();
    let body = json!({"object":"instagram","entry":[{"id": config.instagram_id, "time": 1, "messaging": [
        {"sender":{"id":"1700000000000099"},"recipient":{"id": config.instagram_id},"timestamp":1,
         "message":{"mid":"m_forjada_ig","text":"forjada"}}]}]})
    .to_string();
    assert_eq!(post_signed(&app, "meta", &body, b"outro-segredo").await, 401, "signed with another secret");
    let unsigned = app
        .client
        .post(format!("{}/webhooks/meta", app.address))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .expect("POST");
    assert_eq!(unsigned.status(), 401, "not signed");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.store.pending_webhooks(0, 10).await.expect("pending").is_empty(), "nothing was kept");
    assert!(app.store.list_conversations(Tab::All).await.expect("list").is_empty());
    // The same body with the app's signature is Instagram's.
    assert_eq!(post_signed(&app, "meta", &body, config.meta_app_secret.as_bytes()).await, 200);
    let conversation = app.conversation_with("Contato do Instagram …0099").await;
    assert_eq!(conversation.channel, ChannelKind::Instagram);
}

#[tokio::test]
async fn after_seven_days_messenger_refuses_with_the_reason_and_neither_channel_can_be_restarted() {
    let app = spawn_app().await;
    // The sandbox's page uses HUMAN_AGENT: between 24 hours and 7 days it answers, it is not restarted.
    app.others
        .simulate(ChannelKind::Messenger, "5511944440007", "Sara Lima", "Oi", 30 * HOUR)
        .await
        .expect("ok");
    let tagged = app.conversation_with("Sara Lima").await;
    let (status, body) = restart(&app, tagged.id.0).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("HumanAgentReplyStillPossible") && body.contains("Messenger"), "{body}");

    app.others
        .simulate(ChannelKind::Messenger, "5511944440008", "Tina Reis", "Oi", 8 * 24 * HOUR)
        .await
        .expect("ok");
    let expired = app.conversation_with("Tina Reis").await;
    let (status, body) = send(&app, expired.id.0, "Ainda dá tempo?").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("WindowClosed") && body.contains("Messenger"), "{body}");
    let (status, body) = restart(&app, expired.id.0).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("MetaForbidsRestart") && body.contains("Messenger"), "{body}");

    // Concluded does not help: Instagram's window is closed whatever Atende did.
    app.others
        .simulate(ChannelKind::Instagram, "5511944440009", "Ugo Paz", "Oi", 26 * HOUR)
        .await
        .expect("ok");
    let instagram = app.conversation_with("Ugo Paz").await;
    conclude(&app, instagram.id.0).await;
    let (status, body) = restart(&app, instagram.id.0).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("MetaForbidsRestart") && body.contains("Instagram"), "{body}");
    let (status, body) = send(&app, instagram.id.0, "Oi de novo").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("WindowClosed"), "the window's reason, not \"reinicie\": {body}");
    for conversation in [tagged.id.0, expired.id.0, instagram.id.0] {
        assert!(outbound(&app, conversation).await.is_empty(), "nothing was queued");
    }
    assert!(app.others.sent().await.is_empty(), "nothing reached Meta");
}

#[tokio::test]
async fn iniciar_atendimento_on_instagram_and_messenger_is_refused_with_the_reason_where_meta_forbids_it() {
    let app = spawn_app().await;
    let team =
        app.store.ensure_team("Geral", atende_domain::time::Timestamp::from_millis(0)).await.expect("team");
    let start = |contact: i64, kind: ChannelKind| {
        let app = &app;
        async move {
            let channel = sandbox_channel(app, kind).await;
            let body = json!({ "contact": contact, "channel": channel, "team": team, "template": null, "values": [] });
            call(app, "start_conversation", body).await
        }
    };
    // A contact who never wrote there.
    let stranger = app.create_contact("Vera Nunca Escreveu", "(11) 94444-0010").await;
    for kind in [ChannelKind::Instagram, ChannelKind::Messenger] {
        let (status, body) = start(stranger, kind).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("ContactMustWriteFirst") && body.contains(&format!("{kind:?}")), "{body}");
    }
    // Wrote, but the window closed: Meta forbids it.
    app.others
        .simulate(ChannelKind::Instagram, "5511944440011", "Wal Souza", "Oi", 25 * HOUR)
        .await
        .expect("ok");
    let closed = app.conversation_with("Wal Souza").await;
    let (status, body) = start(closed.contact_id.0, ChannelKind::Instagram).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("MetaForbidsRestart") && body.contains("Instagram"), "{body}");
    let trail = app.store.audit_trail(closed.id).await.expect("trail");
    assert!(trail.is_empty(), "nothing was started: {trail:?}");
    // Still open: it opens at once, with no template.
    app.others.simulate(ChannelKind::Messenger, "5511944440012", "Xavi Lopes", "Oi", HOUR).await.expect("ok");
    let open = app.conversation_with("Xavi Lopes").await;
    let (status, body) = start(open.contact_id.0, ChannelKind::Messenger).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.trim(), open.id.0.to_string(), "the open conversation is the one reused");
}

#[tokio::test]
async fn a_send_meta_refuses_as_outside_the_window_fails_through_the_worker_explained_and_closes_the_window()
{
    let app = spawn_app().await;
    for (kind, number, name) in [
        (ChannelKind::Instagram, "5511944440013", "Yara Insta"),
        (ChannelKind::Messenger, "5511944440014", "Yuri Page"),
    ] {
        app.others.simulate(kind, number, name, "Oi", 0).await.expect("ok");
        let conversation = app.conversation_with(name).await;
        // Meta's clock says the window closed although Atende's still counts it open.
        app.others.set_last_contact(kind, number, 25 * HOUR).await;
        let (status, body) = send(&app, conversation.id.0, "Ainda está aí?").await;
        assert_eq!(status, 200, "Atende's clock lets it go: {body}");
        assert_eq!(
            failure_reason(&app, conversation.id.0).await,
            format!(
                "A mensagem não foi entregue: a janela de conversa do {} está fechada e a Meta não permite \
                 retomá-la.",
                kind.label()
            )
        );
        let summary = eventually("the window marked closed", || async {
            let summary = app.store.summary(conversation.id).await.ok()?;
            summary.provider_closed_at.is_some().then_some(summary)
        })
        .await;
        assert_eq!(summary.channel, kind);
        let (status, body) = send(&app, conversation.id.0, "E agora?").await;
        assert_eq!(status, 422, "from now on the composer refuses: {body}");
        assert!(body.contains("WindowClosed"), "{body}");
    }
    assert!(app.others.sent().await.is_empty(), "Meta took nothing");
}

#[tokio::test]
async fn on_the_unofficial_api_a_text_written_days_after_the_contacts_last_message_still_goes_out() {
    let app = spawn_app().await;
    app.others
        .simulate(ChannelKind::WhatsappUnofficial, "5511944440015", "Zeca", "Oi", 30 * 24 * HOUR)
        .await
        .expect("ok");
    let conversation = app.conversation_with("Zeca").await;
    let (status, body) = send(&app, conversation.id.0, "Voltando depois de um mês!").await;
    assert_eq!(status, 200, "{body}");
    wait_for_status(&app, conversation.id.0, "read").await;
    // Concluded, writing opens it again (said in its history), still with no template.
    conclude(&app, conversation.id.0).await;
    let (status, body) = send(&app, conversation.id.0, "Mais uma coisa").await;
    assert_eq!(status, 200, "{body}");
    let summary = app.store.summary(conversation.id).await.expect("summary");
    assert_eq!(summary.status, atende_domain::conversation::ConversationStatus::Open);
    let trail: Vec<_> =
        app.store.audit_trail(conversation.id).await.expect("trail").into_iter().map(|e| e.action).collect();
    assert_eq!(trail.last(), Some(&atende_domain::ports::AuditAction::Reopened), "{trail:?}");
    wait_for_status(&app, conversation.id.0, "read").await;
    let texts: Vec<String> = app.others.sent().await.into_iter().map(|s| s.text).collect();
    assert_eq!(texts, ["Voltando depois de um mês!", "Mais uma coisa"]);
}

#[tokio::test]
async fn each_channel_refuses_a_text_longer_than_its_provider_takes_and_stores_nothing() {
    let app = spawn_app().await;
    let cases = [
        (ChannelKind::Messenger, "5511944440016", "Abel Messenger", "a".repeat(2001), "a".repeat(2000)),
        (ChannelKind::Instagram, "5511944440017", "Bela Insta", "ç".repeat(501), "ç".repeat(500)),
        (
            ChannelKind::WhatsappUnofficial,
            "5511944440018",
            "Caio Gateway",
            "a".repeat(4097),
            "a".repeat(4096),
        ),
    ];
    for (kind, number, name, too_long, longest) in cases {
        app.others.simulate(kind, number, name, "Oi", 0).await.expect("ok");
        let conversation = app.conversation_with(name).await;
        let (status, body) = send(&app, conversation.id.0, &too_long).await;
        assert_eq!(status, 422, "{kind:?}: {body}");
        assert!(body.contains("MessageText"), "{body}");
        assert!(outbound(&app, conversation.id.0).await.is_empty(), "nothing stored");
        let (status, body) = send(&app, conversation.id.0, &longest).await;
        assert_eq!(status, 200, "{kind:?}: the longest the provider takes goes: {body}");
        wait_for_status(&app, conversation.id.0, "read").await;
    }
}

#[tokio::test]
async fn wrong_gateway_credentials_on_a_send_are_explained_to_the_agent() {
    let app = spawn_app().await;
    // A gateway channel whose API key the gateway does not accept.
    let form = json!({ "kind": "WhatsappUnofficial", "name": "Gateway com chave errada", "provider_id": "loja3",
        "account_id": "", "url": format!("{}/sandbox/evolution", app.address), "token": "chave-errada",
        "webhook_secret": "token-loja-3", "verify_token": "", "human_agent_tag": false });
    let (status, body) = call(&app, "admin_save_channel", json!({ "channel": null, "form": form })).await;
    assert_eq!(status, 200, "{body}");
    let hello = evolution_upsert("loja3", "3ACHAVEERRADA", "5511944440019", "Oi");
    assert_eq!(post_evolution(&app, &hello, Some("token-loja-3")).await, 200);
    let conversation = app.conversation_with("Carla").await;
    let (status, body) = send(&app, conversation.id.0, "Olá!").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        failure_reason(&app, conversation.id.0).await,
        "A Evolution API recusou a chave de acesso do canal. Peça ao administrador para conferir a configuração."
    );
}

#[tokio::test]
async fn transient_faults_on_every_other_channel_are_retried_and_each_message_arrives_once_in_order() {
    // A send lease of 3 s gives the clients a 1.2 s timeout: the fakes' 3 s "timeouts" are real.
    let app = crate::common::spawn_app_configured(crate::common::TestDb::sqlite().await, |settings| {
        settings.send_lease_seconds = 3;
    })
    .await;
    let people = [
        (ChannelKind::WhatsappUnofficial, "5511944440020", "Dora Gateway", "WhatsappUnofficial"),
        (ChannelKind::Messenger, "5511944440021", "Enzo Page", "Messenger"),
        (ChannelKind::Instagram, "5511944440022", "Fabi Insta", "Instagram"),
    ];
    let faults = |channel: &str| {
        let rate_limit = if channel == "WhatsappUnofficial" {
            json!({ "kind": "error", "code": 429 })
        } else {
            json!({ "kind": "error", "code": 613, "http_status": 429, "message": "(#613) Calls to this api have exceeded the rate limit." })
        };
        vec![
            json!({ "kind": "server_error", "status": 503 }),
            rate_limit,
            json!({ "kind": "pass" }),
            json!({ "kind": "timeout", "seconds": 3 }),
            json!({ "kind": "duplicate_statuses" }),
            json!({ "kind": "lose_answer", "seconds": 0 }),
            json!({ "kind": "reorder_statuses" }),
            json!({ "kind": "server_error" }),
        ]
    };
    let mut conversations = Vec::new();
    for (kind, number, name, channel) in people {
        app.others.simulate(kind, number, name, "Oi", 0).await.expect("ok");
        conversations.push((kind, app.conversation_with(name).await));
        // Through the sandbox's faults endpoint, as a person trying Atende would.
        for fault in faults(channel) {
            let mut fault = fault;
            fault["channel"] = json!(channel);
            let queued = app.client.post(format!("{}/sandbox/faults", app.address)).json(&fault).send().await;
            assert_eq!(queued.expect("POST").status(), 200);
        }
    }
    let refused = app
        .client
        .post(format!("{}/sandbox/faults", app.address))
        .json(&json!({ "kind": "failed_status", "code": 1, "channel": "Instagram" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status(), 400, "Instagram reports no failures by webhook");
    const EACH: usize = 4;
    for n in 0..EACH {
        for (_, conversation) in &conversations {
            app.send_text(
                conversation.id.0,
                &format!("{} · mensagem {n}", conversation.contact_name.as_str()),
            )
            .await;
        }
    }
    within(120, "every message read", || async {
        let mut all_read = true;
        for (_, conversation) in &conversations {
            let messages = outbound(&app, conversation.id.0).await;
            assert!(
                !messages.iter().any(|(_, s)| s == "failed"),
                "a transient fault failed a message: {messages:?}"
            );
            all_read &= messages.len() == EACH && messages.iter().all(|(_, s)| s == "read");
        }
        all_read.then_some(())
    })
    .await;
    let sent = app.others.sent().await;
    for (kind, conversation) in &conversations {
        let name = conversation.contact_name.as_str();
        let got: Vec<&str> = sent
            .iter()
            .filter(|s| s.channel == *kind && s.text.starts_with(name))
            .map(|s| s.text.as_str())
            .collect();
        let expected: Vec<String> = (0..EACH).map(|n| format!("{name} · mensagem {n}")).collect();
        assert_eq!(got, expected, "{kind:?}: once each, in the order written");
    }
    let cleared = app.client.delete(format!("{}/sandbox/faults", app.address)).send().await.expect("DELETE");
    assert_eq!(cleared.status(), 204);
}

/// The admin overview, as the browser receives it.
async fn admin_overview(app: &TestApp) -> Value {
    let response = app
        .client
        .post(format!("{}/api/admin_overview", app.address))
        .form(&[] as &[(&str, &str)])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

/// A provider other than the sandbox's, at the address the application's `meta_graph_url` points to (so the
/// channels an admin adds in the console talk to it): its listener and its base (`http://…/sandbox`).
async fn another_provider() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let base = format!("http://{}/sandbox", listener.local_addr().expect("bound"));
    (listener, base)
}

#[tokio::test]
async fn an_instagram_account_added_in_the_console_sends_and_reads_profiles_with_its_stored_token() {
    use atende_server::sandbox::others::{self, OthersConfig};
    let (listener, base) = another_provider().await;
    let app = crate::common::spawn_app_configured(crate::common::TestDb::sqlite().await, |settings| {
        settings.meta_graph_url = format!("{base}/meta/v23.0");
    })
    .await;
    let meta = OthersSandbox::new(OthersConfig {
        meta_webhook_url: format!("{}/webhooks/meta", app.address),
        meta_app_secret: "segredo-do-app-da-loja".into(),
        instagram_id: "17841400000000777".into(),
        page_id: "109876543210777".into(),
        meta_token: "token-da-conta-da-loja".into(),
        public_url: base.clone(),
        status_delay: std::time::Duration::from_millis(100),
        ..OthersConfig::default()
    });
    let router = axum::Router::new().nest("/sandbox", others::router(meta.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let form = |token: &str, secret: &str, verify: &str| {
        json!({ "kind": "Instagram", "name": "Instagram da Loja", "provider_id": "17841400000000777",
                "account_id": "", "url": "", "token": token, "webhook_secret": secret, "verify_token": verify,
                "human_agent_tag": false })
    };
    let saved = form("token-da-conta-da-loja", "segredo-do-app-da-loja", "verifica-loja");
    let (status, id) = call(&app, "admin_save_channel", json!({ "channel": null, "form": saved })).await;
    assert_eq!(status, 200, "{id}");
    let id: i64 = id.trim().parse().expect("the channel's id");

    // Its webhooks are signed with its own app secret; the new person is named from the profile, which
    // only the stored token may read.
    meta.simulate(ChannelKind::Instagram, "5511944440030", "Gabi Rocha", "Oi, vocês entregam?", 0)
        .await
        .expect("delivered");
    let conversation = app.conversation_with("Gabi Rocha").await;
    assert_eq!(conversation.channel, ChannelKind::Instagram);
    let (status, body) = send(&app, conversation.id.0, "Entregamos, sim!").await;
    assert_eq!(status, 200, "{body}");
    wait_for_status(&app, conversation.id.0, "read").await;
    let sent = meta.sent().await;
    assert_eq!(
        (sent[0].to.as_str(), sent[0].text.as_str()),
        (OthersSandbox::scoped_id(ChannelKind::Instagram, "5511944440030").as_str(), "Entregamos, sim!")
    );
    assert!(app.others.sent().await.is_empty(), "not through the sandbox's own Instagram");

    // The console says which secrets are set and never sends one back.
    let overview = admin_overview(&app).await;
    let row = overview["channel_rows"].as_array().expect("rows").iter().find(|c| c["id"] == id).cloned();
    let row = row.expect("listed");
    assert_eq!(
        [&row["token_set"], &row["webhook_secret_set"], &row["verify_token_set"]],
        [&json!(true), &json!(true), &json!(true)],
        "{row}"
    );
    let shown = overview.to_string();
    for secret in ["token-da-conta-da-loja", "segredo-do-app-da-loja", "verifica-loja"] {
        assert!(!shown.contains(secret), "{secret} came back to the browser");
    }

    // A token Meta refuses (190) is explained to the agent; the other secrets stay as stored.
    let (status, body) =
        call(&app, "admin_save_channel", json!({ "channel": id, "form": form("token-vencido", "", "") }))
            .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(&app, conversation.id.0, "Ainda aí?").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        failure_reason(&app, conversation.id.0).await,
        "A Meta recusou o token de acesso do canal (vencido, revogado ou sem permissão). Peça ao administrador \
         para conferir a configuração do canal."
    );
    meta.simulate(ChannelKind::Instagram, "5511944440030", "Gabi Rocha", "Oi de novo", 0)
        .await
        .expect("still signed with the stored app secret");
}

#[tokio::test]
async fn an_official_whatsapp_number_added_in_the_console_sends_and_syncs_templates_with_its_stored_token() {
    use atende_server::sandbox::{self, SandboxConfig, SandboxState, SimulatedContent, SimulatedInbound};
    let (listener, base) = another_provider().await;
    let app = crate::common::spawn_app_configured(crate::common::TestDb::sqlite().await, |settings| {
        settings.meta_graph_url = format!("{base}/graph/v23.0");
    })
    .await;
    let cloud = SandboxState::new(SandboxConfig {
        webhook_url: format!("{}/webhooks/whatsapp", app.address),
        app_secret: "segredo-do-app-do-numero".into(),
        phone_number_id: "106540352200777".into(),
        waba_id: "102290129300777".into(),
        access_token: "token-do-numero-da-loja".into(),
        status_delay: std::time::Duration::from_millis(100),
        ..SandboxConfig::default()
    });
    let router = axum::Router::new().nest("/sandbox", sandbox::router(cloud.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let form = json!({ "kind": "WhatsappOfficial", "name": "WhatsApp da Loja", "provider_id": "106540352200777",
        "account_id": "102290129300777", "url": "", "token": "token-do-numero-da-loja",
        "webhook_secret": "segredo-do-app-do-numero", "verify_token": "verifica-numero", "human_agent_tag": false });
    let (status, id) = call(&app, "admin_save_channel", json!({ "channel": null, "form": form })).await;
    assert_eq!(status, 200, "{id}");
    let id: i64 = id.trim().parse().expect("the channel's id");

    // The templates come from its own business account, read with its token.
    let synced = app
        .client
        .post(format!("{}/api/admin_sync_templates", app.address))
        .form(&[("channel", id.to_string())])
        .send()
        .await
        .expect("POST");
    assert_eq!(synced.status(), 200);
    let count: usize = synced.json().await.expect("a count");
    assert_eq!(count, cloud.templates().await.len());

    cloud
        .simulate_inbound(SimulatedInbound {
            number: "5511944440031".into(),
            name: "Hugo Prado".into(),
            content: SimulatedContent::Text("Oi, tem horário amanhã?".into()),
        })
        .await
        .expect("accepted with the console channel's app secret");
    let conversation = app.conversation_with("Hugo Prado").await;
    assert_eq!(conversation.channel, ChannelKind::WhatsappOfficial);
    let (status, body) = send(&app, conversation.id.0, "Temos, sim!").await;
    assert_eq!(status, 200, "{body}");
    wait_for_status(&app, conversation.id.0, "read").await;
    let sent: Vec<String> = cloud.sent_messages().await.into_iter().map(|m| m.summary).collect();
    assert_eq!(sent, ["Temos, sim!"], "the number's own Cloud API took it, with the stored token");
    assert!(app.sandbox.sent_messages().await.is_empty(), "not through the sandbox's number");

    let shown = admin_overview(&app).await.to_string();
    for secret in ["token-do-numero-da-loja", "segredo-do-app-do-numero", "verifica-numero"] {
        assert!(!shown.contains(secret), "{secret} came back to the browser");
    }
}

#[tokio::test]
async fn a_meta_body_naming_an_unknown_page_still_applies_the_known_ones_and_keeps_a_note() {
    use sqlx::{Connection, Row};
    let app = spawn_app().await;
    let config = app.others.config().clone();
    let entry = |page: &str, person: &str, mid: &str| {
        json!({ "id": page, "time": 1, "messaging": [{ "sender": { "id": person }, "recipient": { "id": page },
            "timestamp": 1_700_000_000_000_i64, "message": { "mid": mid, "text": format!("Oi de {person}") } }] })
    };
    let body = json!({ "object": "page", "entry": [
        entry("999000999", "2400000000000071", "m_pagina_desconhecida"),
        entry(&config.page_id, "2400000000000072", "m_pagina_da_loja"),
    ]})
    .to_string();
    assert_eq!(post_signed(&app, "meta", &body, config.meta_app_secret.as_bytes()).await, 200);
    let conversation = app.conversation_with("Contato do Messenger …0072").await;
    assert_eq!(conversation.last_message.as_deref(), Some("Oi de 2400000000000072"));
    all_processed(&app).await;
    let mut conn = sqlx::AnyConnection::connect(&app.db.database.url()).await.expect("connect");
    let note: Option<String> = sqlx::query("SELECT error FROM webhook_receipt WHERE provider = 'meta'")
        .fetch_one(&mut conn)
        .await
        .expect("the receipt")
        .try_get("error")
        .expect("error");
    assert!(note.is_some_and(|n| n.contains("999000999")), "the unknown page is noted");
    assert_eq!(app.store.list_conversations(Tab::All).await.expect("list").len(), 1);
}

#[tokio::test]
async fn a_slow_profile_lookup_does_not_hold_up_the_messages_behind_it() {
    let (listener, base) = another_provider().await;
    let app = crate::common::spawn_app_configured(crate::common::TestDb::sqlite().await, |settings| {
        settings.meta_graph_url = format!("{base}/meta/v23.0");
    })
    .await;
    // A Graph API whose profile answers take half a minute.
    let slow = axum::Router::new().route(
        "/sandbox/meta/v23.0/{person}",
        axum::routing::get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            "{}"
        }),
    );
    tokio::spawn(async move { axum::serve(listener, slow).await });
    let page = json!({ "kind": "Messenger", "name": "Página Lenta", "provider_id": "5550077", "account_id": "",
        "url": "", "token": "token-da-pagina-lenta", "webhook_secret": "segredo-da-pagina-lenta",
        "verify_token": "verifica-lenta", "human_agent_tag": false });
    let (status, body) = call(&app, "admin_save_channel", json!({ "channel": null, "form": page })).await;
    assert_eq!(status, 200, "{body}");
    let started = std::time::Instant::now();
    for person in ["8800000000000081", "8800000000000082"] {
        let body = json!({ "object": "page", "entry": [{ "id": "5550077", "time": 1, "messaging": [{
            "sender": { "id": person }, "recipient": { "id": "5550077" }, "timestamp": 1_700_000_000_000_i64,
            "message": { "mid": format!("m_{person}"), "text": "Oi" } }] }] })
        .to_string();
        assert_eq!(post_signed(&app, "meta", &body, b"segredo-da-pagina-lenta").await, 200);
    }
    for name in ["Contato do Messenger …0081", "Contato do Messenger …0082"] {
        app.conversation_with(name).await;
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "two new people took {:?}: the profile lookups held the webhooks up",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_contact_known_only_on_instagram_is_not_started_on_whatsapp_until_a_number_is_added() {
    let app = spawn_app().await;
    let team =
        app.store.ensure_team("Geral", atende_domain::time::Timestamp::from_millis(0)).await.expect("team");
    app.others.simulate(ChannelKind::Instagram, "5511944440020", "Iara Só Insta", "Oi", 0).await.expect("ok");
    let instagram = app.conversation_with("Iara Só Insta").await;
    let contact = instagram.contact_id;
    assert_eq!(app.store.contact(contact).await.expect("contact").phone, None, "Instagram gives no number");
    let reach = app.store.reach(contact).await.expect("reach");
    assert_eq!(reach.identified_on, [ChannelKind::Instagram]);

    let start = |kind: ChannelKind| {
        let app = &app;
        async move {
            let channel = sandbox_channel(app, kind).await;
            // No template on the official API either: the contact's reach is refused before it is asked for.
            let body = json!({ "contact": contact.0, "channel": channel, "team": team, "template": null, "values": [] });
            call(app, "start_conversation", body).await
        }
    };
    for kind in [ChannelKind::WhatsappOfficial, ChannelKind::WhatsappUnofficial] {
        let (status, body) = start(kind).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("NoNumber") && body.contains(&format!("{kind:?}")), "{body}");
    }
    let conversations = app.store.list_conversations(Tab::All).await.expect("list");
    assert_eq!(conversations.len(), 1, "no WhatsApp conversation was opened: {conversations:?}");
    assert!(app.store.audit_trail(instagram.id).await.expect("trail").is_empty());

    // "Adicionar número": the same contact, now with a number, is started on the unofficial gateway.
    let renumbered = app
        .client
        .post(format!("{}/api/update_contact", app.address))
        .form(&[
            ("contact", contact.0.to_string().as_str()),
            ("form[name]", "Iara Só Insta"),
            ("form[phone]", "(11) 94444-0020"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(renumbered.status(), 200, "{}", renumbered.text().await.unwrap_or_default());
    let (status, body) = start(ChannelKind::WhatsappUnofficial).await;
    assert_eq!(status, 200, "{body}");

    // The public API names a contact by number: on Instagram, a number is not where Meta delivers.
    let (status, token) =
        call(&app, "admin_create_token", json!({ "name": "ERP", "all_teams": true, "teams": [] })).await;
    assert_eq!(status, 200, "{token}");
    let token: String = serde_json::from_str(&token).expect("the token");
    let instagram_channel = sandbox_channel(&app, ChannelKind::Instagram).await;
    let response = crate::common::client()
        .post(format!("{}/api/v1/conversations", app.address))
        .bearer_auth(&token)
        .json(&json!({ "phone": "(11) 94444-0021", "name": "Novo Pela API", "channel": instagram_channel, "team": team }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.expect("json");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("escrever primeiro")), "{body}");
    let found = app
        .store
        .find_contact_by_phone(&atende_domain::phone::Phone::parse("(11) 94444-0021").expect("phone"))
        .await
        .expect("lookup");
    assert_eq!(found, None, "a refused call creates no contact");
}

#[tokio::test]
async fn opening_a_conversation_marks_the_contacts_messages_read_and_typing_shows_on_every_provider() {
    use atende_server::sandbox::{SimulatedContent, SimulatedInbound};
    let app = spawn_app().await;
    let typing = |conversation: i64| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(format!("{}/api/agent_typing", app.address))
                .form(&[("conversation", conversation.to_string())])
                .send()
                .await
                .expect("POST");
            assert_eq!(response.status(), 200);
        }
    };

    // WhatsApp Cloud API: `status: read` for the latest message; the typing indicator rides on it.
    let receipt = app
        .sandbox
        .simulate_inbound(SimulatedInbound {
            number: "5511944440030".into(),
            name: "Lia Cloud".into(),
            content: SimulatedContent::Text("Oi".into()),
        })
        .await
        .expect("delivered");
    let cloud = app.conversation_with("Lia Cloud").await;
    app.conversation_view(cloud.id.0).await;
    let read = within(10, "the Cloud API read receipt", || async {
        let read = app.sandbox.read_by_business().await;
        (!read.is_empty()).then_some(read)
    })
    .await;
    assert_eq!(read, [(receipt.message_id.clone(), false)]);
    // Opened again with nothing new: not told twice.
    app.conversation_view(cloud.id.0).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.sandbox.read_by_business().await.len(), 1);
    typing(cloud.id.0).await;
    within(10, "the typing indicator", || async {
        app.sandbox.read_by_business().await.contains(&(receipt.message_id.clone(), true)).then_some(())
    })
    .await;

    // Evolution (API Não Oficial), Messenger and Instagram.
    let cases = [
        (ChannelKind::WhatsappUnofficial, "5511944440031", "Lia Gateway"),
        (ChannelKind::Messenger, "5511944440032", "Lia Page"),
        (ChannelKind::Instagram, "5511944440033", "Lia Insta"),
    ];
    for (kind, number, name) in cases {
        let id = app.others.simulate(kind, number, name, "Oi", 0).await.expect("delivered");
        let conversation = app.conversation_with(name).await;
        app.conversation_view(conversation.id.0).await;
        typing(conversation.id.0).await;
        let told = within(10, &format!("{kind:?} acknowledged"), || async {
            let told: Vec<String> = app
                .others
                .acknowledgements()
                .await
                .into_iter()
                .filter(|(k, _, _)| *k == kind)
                .map(|(_, to, action)| format!("{to} {action}"))
                .collect();
            (told.len() >= 2).then_some(told)
        })
        .await;
        let expected = match kind {
            ChannelKind::WhatsappUnofficial => {
                vec![
                    format!("{number}@s.whatsapp.net read {id}"),
                    format!("{number}@s.whatsapp.net read {id}"),
                ]
            }
            _ => {
                let person = OthersSandbox::scoped_id(kind, number);
                vec![format!("{person} mark_seen"), format!("{person} mark_seen")]
            }
        };
        assert_eq!(told[..2], expected[..], "{kind:?}: {told:?}");
        let typed = within(10, &format!("{kind:?} typing"), || async {
            let all = app.others.acknowledgements().await;
            all.into_iter()
                .find(|(k, _, action)| *k == kind && ["composing", "typing_on"].contains(&action.as_str()))
        })
        .await;
        assert!(typed.1.contains(number) || typed.1 == OthersSandbox::scoped_id(kind, number), "{typed:?}");
    }
}
