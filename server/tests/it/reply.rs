//! "Responder" and "Reagir" over real HTTP on each of the four channels: the console's server functions, the
//! store, the worker and each provider's wire as the sandbox checks it (WhatsApp's `context` and `reaction`,
//! Evolution's `quoted` and `sendReaction`, the Send API's `reply_to` and `sender_action: react`).

use crate::common::{eventually, post_form, spawn_app, TestApp};
use atende_domain::content::Rich;
use atende_domain::conversation::{ChannelKind, ConversationId};
use atende_domain::ports::{MessageView, Outbox};
use atende_server::sandbox::others::OthersSandbox;
use atende_server::store::queue::{Dispatch, NewOutbound};
use serde_json::Value;

async fn messages(app: &TestApp, conversation: ConversationId) -> Vec<MessageView> {
    app.store.messages(conversation).await.expect("messages")
}

/// The contact's latest message, once stored.
async fn theirs(app: &TestApp, conversation: ConversationId) -> MessageView {
    messages(app, conversation).await.into_iter().rev().find(|m| m.inbound).expect("the contact's message")
}

async fn reply(app: &TestApp, conversation: ConversationId, to: i64, text: &str) -> (u16, Value) {
    let form =
        [("conversation", conversation.0.to_string()), ("text", text.into()), ("reply_to", to.to_string())];
    post_form(&app.client, app, "send_message", &form).await
}

async fn react(app: &TestApp, conversation: ConversationId, to: i64, emoji: &str) -> (u16, Value) {
    let form =
        [("conversation", conversation.0.to_string()), ("message", to.to_string()), ("emoji", emoji.into())];
    post_form(&app.client, app, "react_to_message", &form).await
}

/// What the agent reads for a refusal.
fn said(answer: &Value) -> String {
    serde_json::from_value::<atende_app::error::AppError>(answer.clone())
        .map_or_else(|_| answer.to_string(), |e| e.to_string())
}

/// The agent's message once its provider took it.
async fn sent(app: &TestApp, conversation: ConversationId, kind: &str) -> MessageView {
    eventually(&format!("the agent's {kind} accepted"), || async {
        let all = app.store.messages(conversation).await.ok()?;
        all.into_iter().rev().find(|m| !m.inbound && m.kind == kind && m.provider_id.is_some())
    })
    .await
}

#[tokio::test]
async fn whatsapp_quotes_the_message_answered_and_reacts_with_any_one_emoji() {
    let app = spawn_app().await;
    app.contact_writes("5511987650001", "Rita", "Meu pedido 4411 chegou quebrado").await;
    let conversation = app.conversation_with("Rita").await.id;
    let asked = theirs(&app, conversation).await;
    let wamid = asked.provider_id.clone().expect("the contact's wamid");

    let (status, body) = reply(&app, conversation, asked.id, "Sinto muito, Rita: vamos trocar.").await;
    assert_eq!(status, 200, "{body}");
    let answer = sent(&app, conversation, "text").await;
    assert_eq!(answer.extras.reply_to.as_deref(), Some(wamid.as_str()), "the conversation shows the quote");
    let on_the_wire = app.sandbox.sent_messages().await;
    let text = on_the_wire.iter().find(|s| s.kind == "text").expect("the text reached Meta");
    assert_eq!(text.reply_to.as_deref(), Some(wamid.as_str()), "context.message_id");

    let (status, body) = react(&app, conversation, asked.id, "🙏").await;
    assert_eq!(status, 200, "{body}");
    let reaction = sent(&app, conversation, "reaction").await;
    assert_eq!(reaction.extras.rich, Some(Rich::Reaction { to: wamid.clone(), emoji: Some("🙏".into()) }));
    let on_the_wire = app.sandbox.sent_messages().await;
    let wire = on_the_wire.iter().find(|s| s.kind == "reaction").expect("the reaction reached Meta");
    assert_eq!((wire.summary.as_str(), wire.reply_to.as_deref()), ("[reação] 🙏", Some(wamid.as_str())));
    // On the agent's own message too; blank takes it off.
    let (status, body) = react(&app, conversation, answer.id, "").await;
    assert_eq!(status, 200, "{body}");
    eventually("the reaction taken off reached Meta", || async {
        let all = app.sandbox.sent_messages().await;
        all.iter().any(|s| s.summary == "[reação removida]").then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_refused_reply_or_reaction_says_why_and_stores_nothing() {
    let app = spawn_app().await;
    app.contact_writes("5511987650002", "Sara", "Oi").await;
    app.contact_writes("5511987650003", "Tomé", "Oi").await;
    let sara = app.conversation_with("Sara").await;
    let tome = app.conversation_with("Tomé").await;
    let asked = theirs(&app, sara.id).await;
    // A message still waiting for the contact has no provider id yet.
    let channel = app.store.conversation_channel(sara.id).await.expect("channel");
    let held = NewOutbound::text(sara.id.0, channel, "Na fila");
    let (message, _) = app
        .store
        .enqueue(&held, Dispatch::Hold, atende_domain::time::Timestamp::from_millis(1))
        .await
        .expect("held");
    let before = messages(&app, sara.id).await.len();

    let (status, body) = reply(&app, sara.id, message.0, "Sobre isto").await;
    assert_eq!(
        (status, said(&body).as_str()),
        (422, "Esta mensagem ainda não saiu: espere o envio para responder ou reagir a ela.")
    );
    let (status, body) = react(&app, sara.id, asked.id, "ok").await;
    assert_eq!((status, said(&body).as_str()), (422, "Escolha um emoji para reagir."));
    let (status, body) = react(&app, sara.id, asked.id, "👍👍").await;
    assert_eq!(status, 422, "{body}");
    // Another conversation's message is not this one's: nothing tells what it is.
    let (status, _) = reply(&app, tome.id, asked.id, "Oi").await;
    assert_eq!(status, 404);
    let (status, _) = react(&app, tome.id, asked.id, "👍").await;
    assert_eq!(status, 404);
    assert_eq!(messages(&app, sara.id).await.len(), before, "nothing stored in Sara's");
    assert!(messages(&app, tome.id).await.iter().all(|m| m.inbound), "nothing stored in Tomé's");
    assert!(app.sandbox.sent_messages().await.is_empty(), "nothing reached Meta");
}

#[tokio::test]
async fn the_unofficial_gateway_quotes_by_key_and_reacts_with_send_reaction() {
    let app = spawn_app().await;
    let number = "5511955550004";
    app.others
        .simulate(ChannelKind::WhatsappUnofficial, number, "Ulisses", "Tem em azul?", 0)
        .await
        .expect("ok");
    let conversation = app.conversation_with("Ulisses").await.id;
    let asked = theirs(&app, conversation).await;
    let key = asked.provider_id.clone().expect("the key's id");

    let (status, body) = reply(&app, conversation, asked.id, "Temos, sim!").await;
    assert_eq!(status, 200, "{body}");
    sent(&app, conversation, "text").await;
    let (status, body) = react(&app, conversation, asked.id, "👍").await;
    assert_eq!(status, 200, "{body}");
    sent(&app, conversation, "reaction").await;
    let wire = app.others.sent().await;
    let text = wire.iter().find(|s| s.text == "Temos, sim!").expect("the text");
    assert_eq!(text.reply_to.as_deref(), Some(key.as_str()), "quoted.key.id");
    let reaction = wire.iter().find(|s| s.text == "[reação] 👍").expect("sendReaction");
    assert_eq!((reaction.to.as_str(), reaction.reply_to.as_deref()), (number, Some(key.as_str())));
    // Evolution takes only an emoji: another replaces it, none cannot be sent.
    let (status, body) = react(&app, conversation, asked.id, "").await;
    assert_eq!(
        (status, said(&body).as_str()),
        (422, "Na API Não Oficial não é possível tirar uma reação: escolha outro emoji para trocá-la.")
    );
}

#[tokio::test]
async fn messenger_and_instagram_answer_by_mid_and_take_only_a_heart_on_the_persons_message() {
    let app = spawn_app().await;
    for (kind, number, name) in [
        (ChannelKind::Messenger, "5511977770005", "Vera"),
        (ChannelKind::Instagram, "5511977770006", "Wagner"),
    ] {
        app.others.simulate(kind, number, name, "Vocês entregam?", 0).await.expect("ok");
        let person = OthersSandbox::scoped_id(kind, number);
        let conversation = app.conversation_with(name).await.id;
        let asked = theirs(&app, conversation).await;
        let mid = asked.provider_id.clone().expect("the mid");

        let (status, body) = reply(&app, conversation, asked.id, "Entregamos, sim.").await;
        assert_eq!(status, 200, "{body}");
        let answer = sent(&app, conversation, "text").await;
        let (status, body) = react(&app, conversation, asked.id, "👍").await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(said(&body), format!("No {} a única reação que o provedor aceita é ❤️.", kind.label()));
        let (status, body) = react(&app, conversation, answer.id, "❤️").await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(said(&body), format!("No {} só é possível reagir às mensagens do contato.", kind.label()));
        let (status, body) = react(&app, conversation, asked.id, "❤️").await;
        assert_eq!(status, 200, "{body}");
        let reaction = sent(&app, conversation, "reaction").await;
        // No id comes back for a sender action; Messenger's receipts by watermark may still cover it.
        assert!(["sent", "delivered", "read"].contains(&reaction.status.as_str()), "{}", reaction.status);

        let wire = app.others.sent().await;
        let text = wire.iter().find(|s| s.channel == kind && s.text == "Entregamos, sim.").expect("the text");
        assert_eq!(text.reply_to.as_deref(), Some(mid.as_str()), "reply_to.mid");
        let heart = wire.iter().find(|s| s.channel == kind && s.text == "[reação] love").expect("react");
        assert_eq!((heart.to.as_str(), heart.reply_to.as_deref()), (person.as_str(), Some(mid.as_str())));
    }
}

#[tokio::test]
async fn after_the_24_hours_messenger_takes_no_reaction() {
    let app = spawn_app().await;
    let day_and_more = 25 * 60 * 60;
    app.others
        .simulate(ChannelKind::Messenger, "5511977770007", "Xavier", "Oi", day_and_more)
        .await
        .expect("ok");
    let conversation = app.conversation_with("Xavier").await.id;
    let asked = theirs(&app, conversation).await;
    let before = messages(&app, conversation).await.len();
    let (status, body) = react(&app, conversation, asked.id, "❤️").await;
    assert_eq!(
        (status, said(&body).as_str()),
        (422, "No Messenger, depois de 24 horas sem mensagem do contato, não é possível reagir.")
    );
    assert_eq!(messages(&app, conversation).await.len(), before, "nothing stored");
}
