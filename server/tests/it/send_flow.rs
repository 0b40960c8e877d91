//! The composer and "Reiniciar" as the console calls them (server functions over HTTP), with the domain
//! deciding and the sandbox playing Meta.

use crate::common::{eventually, spawn_app, TestApp};
use atende_domain::conversation::{ChannelKind, ConversationSummary, Tab};
use atende_domain::phone::Phone;
use atende_domain::ports::{Clock, Store};
use atende_server::sandbox::{SimulatedContent, SimulatedInbound};
use atende_server::store::inbound::InboundMessage;
use atende_server::SystemClock;
use serde_json::{json, Value};

pub(crate) const DAY: i64 = 24 * 60 * 60 * 1000;

async fn channel_id(app: &TestApp) -> i64 {
    let phone_number_id = app.sandbox.config().phone_number_id.clone();
    app.store
        .channel_id_by_provider(ChannelKind::WhatsappOfficial, &phone_number_id)
        .await
        .expect("lookup")
        .expect("the sandbox channel exists")
}

/// A contact whose last message was `age_ms` ago, for Atende and for the sandbox alike.
pub(crate) async fn contact_who_wrote(
    app: &TestApp,
    wa_id: &str,
    name: &str,
    age_ms: i64,
) -> ConversationSummary {
    let channel = channel_id(app).await;
    let at = SystemClock.now().plus_millis(-age_ms);
    app.store
        .record_inbound(
            &InboundMessage {
                channel_id: channel,
                identity_kind: "wa_id".into(),
                external_id: wa_id.into(),
                phone: Phone::parse(&format!("+{wa_id}")).ok(),
                profile_name: Some(name.into()),
                provider_message_id: format!("wamid.old.{wa_id}"),
                kind: "text".into(),
                body: Some("Oi".into()),
                detail: "{}".into(),
                sent_at: at,
                activity: atende_domain::window::InboundKind::Text,
                media: None,
                extras: Default::default(),
            },
            SystemClock.now(),
        )
        .await
        .expect("stored");
    app.sandbox.set_last_inbound(wa_id, at.as_millis() / 1000).await;
    app.store
        .list_conversations(Tab::All)
        .await
        .expect("list")
        .into_iter()
        .find(|c| c.contact_name.as_str() == name)
        .expect("the conversation")
}

async fn call(app: &TestApp, function: &str, form: &[(&str, String)]) -> (u16, String) {
    let response =
        app.client.post(format!("{}/api/{function}", app.address)).form(form).send().await.expect("POST");
    (response.status().as_u16(), response.text().await.expect("body"))
}

pub(crate) async fn restart(
    app: &TestApp,
    conversation: i64,
    template: &str,
    values: Value,
) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}/api/restart_conversation", app.address))
        .json(&json!({ "conversation": conversation, "template": template, "language": "pt_BR", "values": values }))
        .send()
        .await
        .expect("POST");
    (response.status().as_u16(), response.text().await.expect("body"))
}

async fn sandbox_summaries(app: &TestApp) -> Vec<String> {
    app.sandbox.sent_messages().await.into_iter().map(|m| m.summary).collect()
}

pub(crate) async fn wait_for_templates(app: &TestApp) {
    let channel = channel_id(app).await;
    eventually("templates synced", || async {
        (!app.store.templates_of(channel).await.ok()?.is_empty()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn inside_the_window_a_message_leaves_at_once() {
    let app = spawn_app().await;
    let conversation = contact_who_wrote(&app, "5511987650001", "Bia", 60_000).await;
    let (status, body) = call(
        &app,
        "send_message",
        &[("conversation", conversation.id.0.to_string()), ("text", "Olá, Bia!".into())],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "\"Sending\""));
    eventually("the sandbox got it", || async {
        (sandbox_summaries(&app).await == ["Olá, Bia!"]).then_some(())
    })
    .await;
}

#[tokio::test]
async fn with_the_window_closed_the_agent_must_restart_and_then_messages_wait_for_the_reply() {
    let app = spawn_app().await;
    wait_for_templates(&app).await;
    let conversation = contact_who_wrote(&app, "5511987650002", "Caio", 2 * DAY).await;
    let id = conversation.id.0.to_string();

    let (status, body) =
        call(&app, "send_message", &[("conversation", id.clone()), ("text", "Oi?".into())]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("TemplateRequired"), "{body}");

    let (status, body) = restart(&app, conversation.id.0, "retomar_atendimento", json!([])).await;
    assert_eq!(status, 200, "{body}");
    let waiting = app.store.list_conversations(Tab::All).await.expect("list");
    let waiting = waiting.iter().find(|c| c.id == conversation.id).expect("still in Meus");
    assert_eq!(waiting.status, atende_domain::conversation::ConversationStatus::WaitingForContact);

    let (status, body) =
        call(&app, "send_message", &[("conversation", id.clone()), ("text", "Fico no aguardo.".into())])
            .await;
    assert_eq!((status, body.as_str()), (200, "\"Queued\""));

    // Re-engaging is allowed only with a template of the same category (utility here, not marketing).
    let (status, body) = restart(
        &app,
        conversation.id.0,
        "promocao_aniversario",
        json!([[{"Body": {"Named": "nome"}}, "Caio"]]),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("DifferentCategory"), "{body}");

    eventually("the template went out", || async {
        (sandbox_summaries(&app).await.len() == 1).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(sandbox_summaries(&app).await.len(), 1, "the queued message left before the reply");

    app.sandbox
        .simulate_inbound(SimulatedInbound {
            number: "5511987650002".into(),
            name: "Caio".into(),
            content: SimulatedContent::Text("Oi! Pode falar".into()),
        })
        .await
        .expect("delivered");
    eventually("the queued message left after the reply", || async {
        let sent = sandbox_summaries(&app).await;
        (sent.len() == 2).then_some(sent)
    })
    .await
    .last()
    .map(|last| assert_eq!(last, "Fico no aguardo."))
    .expect("two messages");
}

#[tokio::test]
async fn a_template_with_a_missing_parameter_is_refused_with_the_field_named() {
    let app = spawn_app().await;
    wait_for_templates(&app).await;
    let conversation = contact_who_wrote(&app, "5511987650003", "Davi", 3 * DAY).await;
    let (status, body) = restart(
        &app,
        conversation.id.0,
        "pedido_saiu_para_entrega",
        json!([[{"Body": {"Positional": 1}}, "Davi"]]),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("Missing"), "{body}");
    assert!(app.sandbox.sent_messages().await.is_empty());

    let (status, body) = restart(&app, conversation.id.0, "nao_existe", json!([])).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn when_meta_says_the_window_is_closed_the_composer_asks_for_a_template() {
    let app = spawn_app().await;
    // Atende's clock says the window is open (the contact wrote an hour ago) but Meta says it is not.
    let conversation = contact_who_wrote(&app, "5511987650004", "Eva", 60 * 60 * 1000).await;
    app.sandbox.set_last_inbound("5511987650004", 0).await;
    let id = conversation.id.0.to_string();
    let (status, _) =
        call(&app, "send_message", &[("conversation", id.clone()), ("text", "Oi?".into())]).await;
    assert_eq!(status, 200);
    eventually("Meta's 131047 came back", || async {
        let messages = app.store.conversation_messages(conversation.id.0).await.ok()?;
        messages.iter().any(|(dir, _, _, status)| dir == "out" && status == "failed").then_some(())
    })
    .await;
    let (status, body) =
        call(&app, "send_message", &[("conversation", id), ("text", "E agora?".into())]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("TemplateRequired"), "{body}");
}

#[tokio::test]
async fn a_restart_is_in_the_history_with_who_did_it_and_the_template() {
    use atende_domain::ports::{AuditAction, Outbox};
    let app = spawn_app().await;
    wait_for_templates(&app).await;
    let conversation = contact_who_wrote(&app, "5511987650005", "Fábio", 2 * DAY).await;
    let (status, body) = restart(&app, conversation.id.0, "retomar_atendimento", json!([])).await;
    assert_eq!(status, 200, "{body}");
    let trail = app.store.audit_trail(conversation.id).await.expect("trail");
    let restarted: Vec<(Option<&str>, Option<&str>)> = trail
        .iter()
        .filter(|e| e.action == AuditAction::Restarted)
        .map(|e| (e.agent_name.as_deref(), e.detail.as_deref()))
        .collect();
    assert_eq!(restarted, [(Some("Admin de Teste"), Some("retomar_atendimento"))], "{trail:?}");
    let (_, view) = call(&app, "conversation_view", &[("conversation", conversation.id.0.to_string())]).await;
    assert!(view.contains("\"Restarted\""), "the console's Histórico shows it: {view}");
}

#[tokio::test]
async fn reiniciar_offers_only_templates_de_atendimento_and_an_admin_chooses_which() {
    let app = spawn_app().await;
    wait_for_templates(&app).await;
    let conversation = contact_who_wrote(&app, "5511987650011", "Dora", 2 * DAY).await;
    let channel = channel_id(&app).await;
    let birthday = json!([[{"Body": {"Named": "nome"}}, "Dora"]]);

    // By default the utility templates are for service; a marketing one is refused, and nothing is queued.
    let (status, body) = restart(&app, conversation.id.0, "promocao_aniversario", birthday.clone()).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("TemplateNotForService"), "{body}");
    let view = app.conversation_view(conversation.id.0).await;
    let marked: Vec<(&str, bool)> = view["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .filter_map(|t| Some((t["name"].as_str()?, t["service"].as_bool().unwrap_or(false))))
        .collect();
    assert!(marked.iter().all(|(_, service)| !service), "no choice stored yet: {marked:?}");

    // Administração → Modelos de mensagem → "De atendimento".
    let mark = |name: &'static str, service: bool| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(format!("{}/api/admin_set_template_service", app.address))
                .form(&[
                    ("channel", channel.to_string()),
                    ("name", name.to_owned()),
                    ("language", "pt_BR".to_owned()),
                    ("service", service.to_string()),
                ])
                .send()
                .await
                .expect("POST");
            (response.status().as_u16(), response.text().await.unwrap_or_default())
        }
    };
    assert_eq!(mark("nao_existe", true).await.0, 404);
    let (status, body) = mark("promocao_aniversario", true).await;
    assert_eq!(status, 200, "{body}");
    // A sync with Meta keeps the admin's choice.
    let (status, body) = call(&app, "admin_sync_templates", &[("channel", channel.to_string())]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = restart(&app, conversation.id.0, "promocao_aniversario", birthday).await;
    assert_eq!(status, 200, "{body}");

    // And a utility template an admin took off the list is refused.
    let other = contact_who_wrote(&app, "5511987650012", "Edu", 2 * DAY).await;
    assert_eq!(mark("retomar_atendimento", false).await.0, 200);
    let (status, body) = restart(&app, other.id.0, "retomar_atendimento", json!([])).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("TemplateNotForService"), "{body}");
}

#[tokio::test]
async fn an_admin_names_a_templates_parameters_and_the_names_survive_a_sync() {
    let app = spawn_app().await;
    wait_for_templates(&app).await;
    let channel = channel_id(&app).await;
    let label = |slot: Value, name: &str, fill: Value| json!({ "slot": slot, "name": name, "fill": fill });
    let set = |labels: Value| {
        let app = &app;
        async move {
            let body = json!({ "channel": channel, "name": "pedido_saiu_para_entrega", "language": "pt_BR", "labels": labels });
            let response = app
                .client
                .post(format!("{}/api/admin_set_template_labels", app.address))
                .json(&body)
                .send()
                .await
                .expect("POST");
            (response.status().as_u16(), response.text().await.unwrap_or_default())
        }
    };
    let first = json!({"Body": {"Positional": 1}});
    let third = json!({"Body": {"Positional": 3}});
    let (status, body) = set(json!([label(third, "Cupom", Value::Null)])).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("LabelForUnknownField") && body.contains("Corpo {{3}}"), "{body}");
    let (status, body) = set(json!([label(first.clone(), "", Value::Null)])).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("LabelInvalid"), "{body}");

    let (status, body) = set(json!([label(first, " Nome  do cliente ", json!("FirstName"))])).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(&app, "admin_sync_templates", &[("channel", channel.to_string())]).await;
    assert_eq!(status, 200, "{body}");
    let conversation = contact_who_wrote(&app, "5511987650021", "Flora Reis", 2 * DAY).await;
    let view = app.conversation_view(conversation.id.0).await;
    let template = view["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .find(|t| t["name"] == "pedido_saiu_para_entrega")
        .expect("the template")
        .clone();
    assert_eq!(
        template["labels"],
        json!([{ "slot": {"Body": {"Positional": 1}}, "name": "Nome do cliente", "fill": "FirstName" }])
    );
    assert_eq!(
        template["examples"][0],
        json!([{"Body": {"Positional": 1}}, "Maria"]),
        "Meta's examples kept"
    );
}

#[tokio::test]
async fn the_accounts_currency_read_from_meta_comes_with_the_conversation_for_the_price_note() {
    let app = spawn_app().await;
    wait_for_templates(&app).await;
    let conversation = contact_who_wrote(&app, "5511987650031", "Gil Reais", 2 * DAY).await;
    let view = app.conversation_view(conversation.id.0).await;
    // The sandbox plays a Brazilian account (billed in reais since 2026-07-01) with the shipped card in US$.
    assert_eq!(view["account_currency"], json!("Brl"), "{view}");
    assert_eq!(view["rate_card"]["rates"][0]["price"]["currency"], json!("Usd"));
}

#[tokio::test]
async fn a_file_written_while_waiting_is_held_with_its_message_and_goes_out_in_order_after_the_reply() {
    let app = spawn_app().await;
    wait_for_templates(&app).await;
    let conversation = contact_who_wrote(&app, "5511987650009", "Lia", 2 * DAY).await;
    let id = conversation.id.0.to_string();
    let (status, body) = restart(&app, conversation.id.0, "retomar_atendimento", json!([])).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        call(&app, "send_message", &[("conversation", id.clone()), ("text", "Segue o comprovante:".into())])
            .await;
    assert_eq!((status, body.as_str()), (200, "\"Queued\""));
    let (status, body) = crate::upload::send_file(
        &app,
        &app.client,
        conversation.id.0,
        "comprovante.png",
        "image/png",
        crate::media::PNG,
        "Pago",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "\"Queued\""), "the file waits with the message");
    eventually("the template went out", || async {
        (sandbox_summaries(&app).await.len() == 1).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(sandbox_summaries(&app).await.len(), 1, "nothing left before the reply");

    app.sandbox
        .simulate_inbound(SimulatedInbound {
            number: "5511987650009".into(),
            name: "Lia".into(),
            content: SimulatedContent::Text("Pode mandar".into()),
        })
        .await
        .expect("delivered");
    let sent = eventually("the text and the file left after the reply", || async {
        let sent = sandbox_summaries(&app).await;
        (sent.len() == 3).then_some(sent)
    })
    .await;
    assert_eq!(sent[1..], ["Segue o comprovante:".to_owned(), "[image] Pago".to_owned()]);
}
