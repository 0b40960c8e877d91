//! Live updates over server-sent events (`GET /eventos`): each agent hears of the conversations they may see,
//! and only of those; on PostgreSQL a change made through one instance reaches the agents of another.

use crate::common::{sign_in, spawn_app, spawn_app_on, TestApp, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};
use atende_domain::time::Timestamp;
use std::time::Duration;

/// An open `/eventos` stream and the events read from it so far.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(client: &reqwest::Client, address: &str) -> Self {
        let response = client.get(format!("{address}/eventos")).send().await.expect("GET /eventos");
        assert_eq!(response.status(), 200);
        let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        let mut stream = Self { response, buffer: String::new() };
        assert_eq!(stream.next().await, ("ready".to_owned(), "{}".to_owned()), "the stream opens with ready");
        stream
    }

    /// The next event (name, data), skipping keep-alive comments; panics after 10 s of silence.
    async fn next(&mut self) -> (String, String) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        name = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim());
                    }
                }
                if block.lines().all(|line| line.starts_with(':') || line.is_empty()) {
                    continue;
                }
                return (name, data);
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("an event within 10 s")
                .expect("the stream stays readable")
                .expect("the stream stays open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads until a `change` of `conversation` arrives; returns every conversation announced before it.
    async fn until_change_of(&mut self, conversation: i64) -> Vec<i64> {
        let mut before = Vec::new();
        loop {
            let (name, data) = self.next().await;
            if name != "change" {
                continue;
            }
            let id: i64 = data.parse().expect("a change names a conversation by its id");
            if id == conversation {
                return before;
            }
            before.push(id);
        }
    }
}

async fn team(app: &TestApp, name: &str) -> i64 {
    app.store.ensure_team(name, Timestamp::from_millis(0)).await.expect("team")
}

#[tokio::test]
async fn each_agent_hears_of_the_conversations_they_may_see_and_of_no_other() {
    let app = spawn_app().await;
    let geral = team(&app, "Geral").await;
    let vendas = team(&app, "Vendas").await;
    let mut admin = Stream::open(&app.client, &app.address).await;
    let seller = app.agent_in("vendas@teste.local", &[vendas]).await;
    let mut sales = Stream::open(&seller, &app.address).await;

    let ana = app.create_contact("Ana Souza", "11 98765-4321").await;
    let of_geral = app.start_unofficial(ana, geral).await;
    let bruno = app.create_contact("Bruno Lima", "21 99876-5432").await;
    let of_vendas = app.start_unofficial(bruno, vendas).await;

    admin.until_change_of(of_geral).await;
    admin.until_change_of(of_vendas).await;
    let heard = sales.until_change_of(of_vendas).await;
    assert!(!heard.contains(&of_geral), "an agent of Vendas heard of Geral's conversation: {heard:?}");

    // A message sent in the conversation is a change too (the queue and its status follow).
    app.send_text(of_vendas, "Olá, Bruno!").await;
    sales.until_change_of(of_vendas).await;

    // Editing the name of Ana, whose conversation is quiet, changes her conversation's row: a stream opened
    // now hears of her conversation only through that.
    let mut fresh = Stream::open(&app.client, &app.address).await;
    let renamed = app
        .client
        .post(format!("{}/api/update_contact", app.address))
        .form(&[
            ("contact", ana.to_string().as_str()),
            ("form[name]", "Ana S."),
            ("form[phone]", "11 98765-4321"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(renamed.status(), 200, "{}", renamed.text().await.unwrap_or_default());
    fresh.until_change_of(of_geral).await;
}

#[tokio::test]
async fn a_conversation_that_leaves_the_shared_inbox_for_a_team_is_announced_to_those_who_saw_it_there() {
    let app = spawn_app().await;
    let geral = team(&app, "Geral").await;
    let vendas = team(&app, "Vendas").await;
    let seller = app.agent_in("vendas@teste.local", &[vendas]).await;
    let mut sales = Stream::open(&seller, &app.address).await;
    // The contact writes first: the conversation has no team yet, every agent sees it.
    app.others
        .simulate(
            atende_domain::conversation::ChannelKind::WhatsappUnofficial,
            "5531977776666",
            "Davi",
            "Oi",
            0,
        )
        .await
        .expect("delivered");
    let conversation = crate::common::eventually("Davi's conversation", || async {
        use atende_domain::ports::Store;
        app.store.list_conversations(atende_domain::conversation::Tab::All).await.ok()?.into_iter().next()
    })
    .await;
    sales.until_change_of(conversation.id.0).await;
    // The admin starts it for Geral: it leaves the inbox, and the seller hears that once more.
    let started = app.start_unofficial(conversation.contact_id.0, geral).await;
    assert_eq!(started, conversation.id.0, "the open conversation is reused");
    sales.until_change_of(started).await;
    // From then on its changes are Geral's: a message there, then one in a Vendas conversation, reach the
    // seller as the Vendas one only.
    app.send_text(started, "Olá, Davi!").await;
    let eva = app.create_contact("Eva Lima", "21 99876-1111").await;
    let of_vendas = app.start_unofficial(eva, vendas).await;
    let heard = sales.until_change_of(of_vendas).await;
    assert!(!heard.contains(&started), "the seller still hears of Geral's conversation: {heard:?}");
}

#[tokio::test]
async fn the_stream_needs_a_session_and_is_refused_once_signed_out() {
    let app = spawn_app().await;
    let anonymous =
        crate::common::client().get(format!("{}/eventos", app.address)).send().await.expect("GET");
    assert_eq!(anonymous.status(), 401, "no session, no stream");
    // Signing out ends the session: opening the stream again is refused (an open one notices at its next
    // check, every 30 s).
    let client = sign_in(&app.address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let _stream = Stream::open(&client, &app.address).await;
    let out = client.post(format!("{}/sair", app.address)).send().await.expect("POST /sair");
    assert!(out.status().is_redirection() || out.status().is_success());
    let again = client.get(format!("{}/eventos", app.address)).send().await.expect("GET");
    assert_eq!(again.status(), 401);
}

#[tokio::test]
async fn on_postgres_a_change_made_through_one_instance_reaches_the_agents_of_another() {
    let Some(db) = TestDb::postgres().await else { return };
    let second = db.shared();
    let one = spawn_app_on(db).await;
    let other = spawn_app_on(second).await;
    let geral = team(&one, "Geral").await;
    let mut listening = Stream::open(&other.client, &other.address).await;

    let ana = one.create_contact("Ana Souza", "11 98765-4321").await;
    let conversation = one.start_unofficial(ana, geral).await;
    listening.until_change_of(conversation).await;

    // And the other way round, for a message.
    let mut first = Stream::open(&one.client, &one.address).await;
    other.send_text(conversation, "Olá!").await;
    first.until_change_of(conversation).await;
    other.db.drop_database().await;
    one.db.drop_database().await;
}
