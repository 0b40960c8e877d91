//! Who gets in and what they may touch, over real HTTP: sign-in, sessions, cross-site requests, and the rule
//! that an agent of team A can neither read nor change a conversation of team B.

use crate::common::{sign_in_response, spawn_app, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use atende_domain::access::Email;
use atende_domain::conversation::Tab;
use atende_domain::time::Timestamp;
use serde_json::{json, Value};

const T0: Timestamp = Timestamp::from_millis(0);

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// A conversation of `team`, opened by the admin on the unofficial channel (no template needed).
async fn conversation_of(app: &TestApp, team: i64, phone: &str) -> i64 {
    let contact = app.create_contact(&format!("Cliente {phone}"), phone).await;
    app.start_unofficial(contact, team).await
}

async fn call(client: &reqwest::Client, app: &TestApp, function: &str, form: &[(&str, String)]) -> u16 {
    client
        .post(format!("{}/api/{function}", app.address))
        .form(form)
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

#[tokio::test]
async fn nothing_but_the_sign_in_page_opens_without_a_session() {
    let app = spawn_app().await;
    let page = no_redirects().get(format!("{}/", app.address)).send().await.expect("GET");
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/entrar");
    let form = no_redirects().get(format!("{}/entrar", app.address)).send().await.expect("GET");
    assert_eq!(form.status(), 200);
    let html = form.text().await.expect("html");
    assert!(html.contains("Entrar no Atende") && html.contains(r#"name="senha""#), "{html}");
    let api = reqwest::Client::new()
        .post(format!("{}/api/list_conversations", app.address))
        .header("origin", &app.address)
        .form(&[("tab", "Mine")])
        .send()
        .await
        .expect("POST");
    assert_eq!(api.status(), 401);
    assert_eq!(reqwest::get(format!("{}/health", app.address)).await.expect("GET").status(), 200);
}

#[tokio::test]
async fn a_wrong_password_or_unknown_email_gets_the_same_refusal_and_no_cookie() {
    let app = spawn_app().await;
    for (email, password) in
        [(ADMIN_EMAIL, "senha-errada"), ("ninguem@teste.local", ADMIN_PASSWORD), ("", "")]
    {
        let refused = sign_in_response(&app.address, email, password).await;
        assert_eq!(refused.status(), 303);
        assert_eq!(refused.headers()["location"], "/entrar?erro=credenciais");
        assert!(refused.headers().get("set-cookie").is_none());
    }
    let accepted = sign_in_response(&app.address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = accepted.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age=43200"),
        "{cookie}"
    );
}

#[tokio::test]
async fn requests_from_another_site_are_refused_even_with_a_session() {
    let app = spawn_app().await;
    let cookie = sign_in_response(&app.address, ADMIN_EMAIL, ADMIN_PASSWORD).await.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let post = |origin: Option<&str>| {
        let mut request = reqwest::Client::new()
            .post(format!("{}/api/create_contact", app.address))
            .header("cookie", &cookie)
            .form(&[("form[name]", "Forjado"), ("form[phone]", "(11) 98888-7777")]);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    assert_eq!(post(Some("https://evil.example")).await.expect("POST").status(), 403);
    assert_eq!(post(None).await.expect("POST").status(), 403);
    let forged_login = reqwest::Client::new()
        .post(format!("{}/entrar", app.address))
        .header("origin", "https://evil.example")
        .form(&[("email", ADMIN_EMAIL), ("senha", ADMIN_PASSWORD)])
        .send()
        .await
        .expect("POST");
    assert_eq!(forged_login.status(), 403, "no login CSRF either");
    assert_eq!(post(Some(&app.address)).await.expect("POST").status(), 200, "from the site itself");
}

#[tokio::test]
async fn an_agent_of_team_a_can_neither_read_nor_change_a_conversation_of_team_b() {
    let app = spawn_app().await;
    let team_a = app.store.ensure_team("Vendas", T0).await.expect("team");
    let team_b = app.store.ensure_team("Financeiro", T0).await.expect("team");
    let of_a = conversation_of(&app, team_a, "(11) 97777-1111").await;
    let of_b = conversation_of(&app, team_b, "(11) 97777-2222").await;
    let agent = app.agent_in("ana@teste.local", &[team_a]).await;

    let conversation = |id: i64| vec![("conversation", id.to_string())];
    assert_eq!(call(&agent, &app, "conversation_view", &conversation(of_a)).await, 200);
    assert_eq!(call(&agent, &app, "conversation_view", &conversation(of_b)).await, 403);
    let text = |id: i64| vec![("conversation", id.to_string()), ("text", "Olá".to_owned())];
    assert_eq!(call(&agent, &app, "send_message", &text(of_b)).await, 403);
    assert_eq!(call(&agent, &app, "conclude_conversation", &conversation(of_b)).await, 403);
    let restart = agent
        .post(format!("{}/api/restart_conversation", app.address))
        .json(&json!({ "conversation": of_b, "template": "x", "language": "pt_BR", "values": [] }))
        .send()
        .await
        .expect("POST");
    assert_eq!(restart.status(), 403);

    let listed: Vec<Value> = agent
        .post(format!("{}/api/list_conversations", app.address))
        .form(&[("tab", "All")])
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    let ids: Vec<i64> = listed.iter().filter_map(|c| c["id"].as_i64()).collect();
    assert!(ids.contains(&of_a) && !ids.contains(&of_b), "{ids:?}");
    let all = atende_domain::ports::Store::list_conversations(&app.store, Tab::All).await.expect("list");
    assert_eq!(all.len(), 2, "the admin's view has both");
    assert_eq!(
        call(&app.client, &app, "conversation_view", &conversation(of_b)).await,
        200,
        "the admin sees all"
    );

    // Nothing of team B changed: no message, still open.
    let messages = app.store.conversation_messages(of_b).await.expect("messages");
    assert!(messages.is_empty(), "{messages:?}");
}

#[tokio::test]
async fn signing_out_ends_the_session_and_an_expired_session_opens_nothing() {
    let app = spawn_app().await;
    let agent = app.agent_in("bia@teste.local", &[]).await;
    let tab = [("tab", "Mine".to_owned())];
    assert_eq!(call(&agent, &app, "list_conversations", &tab).await, 200);
    let out = agent.post(format!("{}/sair", app.address)).send().await.expect("POST");
    assert!(out.url().path().ends_with("/entrar"), "back to the sign-in page");
    assert_eq!(call(&agent, &app, "list_conversations", &tab).await, 401, "the old cookie is dead");

    let expired = "token-vencido";
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(expired.as_bytes()))
    };
    let admin = app.store.agent_by_email(&Email::parse(ADMIN_EMAIL).expect("valid")).await.expect("read");
    let now = atende_domain::time::Timestamp::from_millis(
        i64::try_from(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis(),
        )
        .expect("fits"),
    );
    app.store
        .create_session(admin.expect("admin").id, &hash, now.plus_millis(-2_000), now.plus_millis(-1_000))
        .await
        .expect("stored");
    let status = reqwest::Client::new()
        .post(format!("{}/api/list_conversations", app.address))
        .header("cookie", format!("atende_sessao={expired}"))
        .header("origin", &app.address)
        .form(&tab)
        .send()
        .await
        .expect("POST")
        .status();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_history_says_who_started_and_concluded_each_conversation() {
    let app = spawn_app().await;
    let team = app.store.ensure_team("Geral", T0).await.expect("team");
    let agent = app.agent_in("caio@teste.local", &[team]).await;
    let contact = app.create_contact("Cliente Auditado", "(11) 96666-1234").await;
    let channel = app
        .store
        .channel_id_by_provider(
            atende_domain::conversation::ChannelKind::WhatsappUnofficial,
            &app.others.config().evolution_instance,
        )
        .await
        .expect("lookup")
        .expect("channel");
    let started = agent
        .post(format!("{}/api/start_conversation", app.address))
        .json(
            &json!({ "contact": contact, "channel": channel, "team": team, "template": null, "values": [] }),
        )
        .send()
        .await
        .expect("POST");
    assert_eq!(started.status(), 200);
    let id: i64 = started.json().await.expect("id");
    assert_eq!(
        call(&app.client, &app, "conclude_conversation", &[("conversation", id.to_string())]).await,
        200
    );
    let view: Value = agent
        .post(format!("{}/api/conversation_view", app.address))
        .form(&[("conversation", id.to_string())])
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    let history: Vec<(String, String)> = view["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["agent_name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [("Started".to_owned(), "caio".to_owned()), ("Concluded".to_owned(), "Admin de Teste".to_owned())]
    );
}
