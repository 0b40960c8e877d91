//! Who gets in and what they may touch, over real HTTP: sign-in, sessions, cross-site requests, and the rule
//! that an agent of team A can neither read nor change a conversation of team B.

use crate::common::{sign_in_response, spawn_app, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use atende_domain::access::Email;
use atende_domain::conversation::{Assignee, ChannelKind, ConversationId, Tab};
use atende_domain::ports::{Outbox, Store};
use atende_domain::time::Timestamp;
use serde_json::{json, Value};

const T0: Timestamp = Timestamp::from_millis(0);

fn no_redirects() -> reqwest::Client {
    crate::common::client_builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
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
    let api = crate::common::client()
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
        let mut request = crate::common::client()
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
    let forged_login = crate::common::client()
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

    // Another team's conversation is "not found", as one that does not exist (the answer tells no ids).
    let conversation = |id: i64| vec![("conversation", id.to_string())];
    assert_eq!(call(&agent, &app, "conversation_view", &conversation(of_a)).await, 200);
    assert_eq!(call(&agent, &app, "conversation_view", &conversation(of_b)).await, 404);
    let text = |id: i64| vec![("conversation", id.to_string()), ("text", "Olá".to_owned())];
    assert_eq!(call(&agent, &app, "send_message", &text(of_b)).await, 404);
    assert_eq!(call(&agent, &app, "conclude_conversation", &conversation(of_b)).await, 404);
    let restart = agent
        .post(format!("{}/api/restart_conversation", app.address))
        .json(&json!({ "conversation": of_b, "template": "x", "language": "pt_BR", "values": [] }))
        .send()
        .await
        .expect("POST");
    assert_eq!(restart.status(), 404);
    let media = |id: i64| {
        vec![
            ("conversation", id.to_string()),
            ("kind", "image".to_owned()),
            ("link", "https://loja.com.br/foto.jpg".to_owned()),
            ("caption", String::new()),
        ]
    };
    assert_eq!(call(&agent, &app, "send_media", &media(of_b)).await, 404);
    assert_eq!(call(&agent, &app, "assign_conversation", &conversation(of_b)).await, 404, "to nobody");
    let me = app.store.agent_by_email(&Email::parse("ana@teste.local").expect("valid")).await.expect("read");
    let to_me = vec![("conversation", of_b.to_string()), ("agent", me.expect("ana").id.to_string())];
    assert_eq!(call(&agent, &app, "assign_conversation", &to_me).await, 404, "to herself");

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

    // Nothing of team B changed: no message, still open, still the admin's who started it, nothing audited.
    let messages = app.store.conversation_messages(of_b).await.expect("messages");
    assert!(messages.is_empty(), "{messages:?}");
    let summary = app.store.summary(ConversationId(of_b)).await.expect("summary");
    assert!(matches!(summary.assignee, Assignee::Agent(_)), "{:?}", summary.assignee);
    assert_eq!(app.store.audit_trail(ConversationId(of_b)).await.expect("trail").len(), 1, "only Started");
}

/// The contact of `conversation`.
async fn contact_of(app: &TestApp, conversation: i64) -> i64 {
    app.store.summary(ConversationId(conversation)).await.expect("summary").contact_id.0
}

#[tokio::test]
async fn opening_a_contact_finds_only_a_conversation_the_agent_may_see() {
    let app = spawn_app().await;
    let team_a = app.store.ensure_team("Vendas", T0).await.expect("team");
    let team_b = app.store.ensure_team("Financeiro", T0).await.expect("team");
    let of_b = conversation_of(&app, team_b, "(11) 97777-3333").await;
    let contact = contact_of(&app, of_b).await;
    let agent = app.agent_in("ana@teste.local", &[team_a]).await;
    let latest = |client: &reqwest::Client| {
        let (app, client) = (&app, client.clone());
        async move {
            let response = client
                .post(format!("{}/api/latest_conversation", app.address))
                .form(&[("contact", contact.to_string())])
                .send()
                .await
                .expect("POST");
            assert_eq!(response.status(), 200);
            response.json::<Option<i64>>().await.expect("json")
        }
    };
    let opened = |client: &reqwest::Client| {
        let (app, client) = (&app, client.clone());
        async move {
            let response = client
                .post(format!("{}/api/open_contact", app.address))
                .form(&[("contact", contact.to_string())])
                .send()
                .await
                .expect("POST");
            assert_eq!(response.status(), 200);
            let (found, latest): (Value, Option<i64>) = response.json().await.expect("json");
            assert_eq!(found["id"].as_i64(), Some(contact), "the contact itself is shared");
            latest
        }
    };
    assert_eq!(latest(&agent).await, None, "team B's conversation is not offered: Enviar mensagem is");
    assert_eq!(opened(&agent).await, None);
    assert_eq!(latest(&app.client).await, Some(of_b), "the admin sees it");
    assert_eq!(opened(&app.client).await, Some(of_b));

    // A conversation of her own team with the same contact is found, though team B's changed last.
    let channel = app
        .store
        .channel_id_by_provider(ChannelKind::Messenger, &app.others.config().page_id)
        .await
        .expect("lookup")
        .expect("the sandbox's Messenger");
    // Dated at T0, long before team B's: the latest the agent may see, not the latest of all.
    let of_a = app.store.open_conversation_on(contact, channel, Some(team_a), T0).await.expect("opened");
    assert_eq!(latest(&agent).await, Some(of_a));
    assert_eq!(opened(&agent).await, Some(of_a));
    assert_eq!(latest(&app.client).await, Some(of_b));
}

#[tokio::test]
async fn an_agent_cannot_renumber_a_contact_another_team_is_talking_to() {
    let app = spawn_app().await;
    let team_a = app.store.ensure_team("Vendas", T0).await.expect("team");
    let team_b = app.store.ensure_team("Financeiro", T0).await.expect("team");
    let of_b = conversation_of(&app, team_b, "(11) 97777-4444").await;
    let contact = contact_of(&app, of_b).await;
    let agent = app.agent_in("ana@teste.local", &[team_a]).await;
    let contact_id = atende_domain::contact::ContactId(contact);
    let phone = |app: &TestApp| {
        let store = app.store.clone();
        async move { store.contact(contact_id).await.expect("contact").phone.map(|p| p.digits().to_owned()) }
    };
    let edit = |client: &reqwest::Client, name: &str, phone: &str| {
        let (app, client) = (&app, client.clone());
        let form = [
            ("contact", contact.to_string()),
            ("form[name]", name.to_owned()),
            ("form[phone]", phone.to_owned()),
        ];
        async move {
            let response = client
                .post(format!("{}/api/update_contact", app.address))
                .form(&form)
                .send()
                .await
                .expect("POST");
            (response.status().as_u16(), response.text().await.expect("body"))
        }
    };
    let (status, body) = edit(&agent, "Cliente Renomeado", "(21) 98888-0000").await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("ContactInOtherTeam"), "{body}");
    // Team B's messages with no WhatsApp id yet still go to the number it knows; nothing was stored.
    assert_eq!(phone(&app).await.as_deref(), Some("5511977774444"));
    assert_eq!(
        app.store.contact(contact_id).await.expect("contact").name.as_str(),
        "Cliente (11) 97777-4444"
    );
    let (status, body) = edit(&agent, "Cliente Renomeado", "(11) 97777-4444").await;
    assert_eq!(status, 200, "renaming is fine, contacts are shared: {body}");

    let (status, body) = edit(&app.client, "Cliente Renomeado", "(21) 98888-0000").await;
    assert_eq!(status, 200, "the admin sees every conversation: {body}");
    assert_eq!(phone(&app).await.as_deref(), Some("5521988880000"));
    assert_eq!(
        call(&app.client, &app, "conclude_conversation", &[("conversation", of_b.to_string())]).await,
        200
    );
    let (status, body) = edit(&agent, "Cliente Renomeado", "(21) 98888-1111").await;
    assert_eq!(status, 200, "nothing of team B is in progress any more: {body}");
}

#[tokio::test]
async fn ten_wrong_passwords_lock_the_email_until_the_window_passes_and_a_success_resets_the_count() {
    use atende_domain::ports::Clock;
    let app = spawn_app().await;
    let wrong = || sign_in_response(&app.address, ADMIN_EMAIL, "senha-errada");
    for _ in 0..9 {
        assert_eq!(wrong().await.headers()["location"], "/entrar?erro=credenciais");
    }
    let accepted = sign_in_response(&app.address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(accepted.headers().get("set-cookie").is_some(), "nine failures are still allowed");
    for _ in 0..10 {
        assert_eq!(wrong().await.status(), 303, "the count started again after the success");
    }
    let locked = sign_in_response(&app.address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(locked.status(), 429, "the right password too, while locked");
    assert!(locked.headers().get("set-cookie").is_none());
    let retry: i64 = locked.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((800..=900).contains(&retry), "about 15 minutes: {retry}");
    let page = locked.text().await.expect("html");
    assert!(page.contains("Muitas tentativas com este e-mail. Tente de novo em 15 min."), "{page}");
    let other = sign_in_response(&app.address, "outro@teste.local", "qualquer").await;
    assert_eq!(other.status(), 303, "another e-mail is not locked");

    // Ten failures, the oldest of them 16 minutes ago: the window passed for it, nine remain.
    let now = atende_server::SystemClock.now();
    let minute = 60_000;
    let email = "bia@teste.local";
    let _bia = app.agent_in(email, &[]).await;
    for age in [16, 10, 9, 8, 7, 6, 5, 4, 3, 2] {
        app.store
            .claim_sign_in_attempt(
                email,
                now.plus_millis(-age * minute),
                now.plus_millis(-60 * minute),
                |_| None,
            )
            .await
            .expect("stored");
    }
    let response = sign_in_response(&app.address, email, "senha-do-agente").await;
    assert!(response.headers().get("set-cookie").is_some(), "{}", response.status());
    for age in [14, 10, 9, 8, 7, 6, 5, 4, 3, 2] {
        app.store
            .claim_sign_in_attempt(
                email,
                now.plus_millis(-age * minute),
                now.plus_millis(-60 * minute),
                |_| None,
            )
            .await
            .expect("stored");
    }
    let response = sign_in_response(&app.address, email, "senha-do-agente").await;
    assert_eq!(response.status(), 429, "the oldest of ten is still inside the window");
    assert!(response.text().await.expect("html").contains("Tente de novo em 1 min."));
}

#[tokio::test]
async fn expired_sessions_are_deleted_when_someone_signs_in() {
    use atende_domain::ports::Clock;
    let app = spawn_app().await;
    let admin = app.store.agent_by_email(&Email::parse(ADMIN_EMAIL).expect("valid")).await.expect("read");
    let admin = admin.expect("admin").id;
    let now = atende_server::SystemClock.now();
    for n in 0..3 {
        let hash = format!("vencida-{n}");
        app.store
            .create_session(admin, &hash, now.plus_millis(-10_000), now.plus_millis(-1_000))
            .await
            .expect("stored");
    }
    assert_eq!(
        app.store.session_count().await.expect("count"),
        4,
        "the test's own sign-in and three expired"
    );
    let _again = sign_in_response(&app.address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(app.store.session_count().await.expect("count"), 2, "the live one and the new one");
    assert_eq!(call(&app.client, &app, "list_conversations", &[("tab", "Mine".to_owned())]).await, 200);
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
    let status = crate::common::client()
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

#[tokio::test]
async fn the_sandbox_forms_take_posts_from_this_site_only_and_the_provider_fakes_stay_open() {
    let app = spawn_app().await;
    let simulate = |origin: Option<&str>| {
        let mut request = crate::common::client().post(format!("{}/sandbox/simulador", app.address)).form(&[
            ("numero", "5511955554444"),
            ("nome", "Contato Forjado"),
            ("texto", "Oi"),
            ("horas_atras", "0"),
            ("canal", "oficial"),
        ]);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    assert_eq!(simulate(Some("https://evil.example")).await.expect("POST").status(), 403);
    assert_eq!(simulate(None).await.expect("POST").status(), 403, "no Origin nor Referer: not from here");
    let faults = crate::common::client()
        .post(format!("{}/sandbox/faults", app.address))
        .header("origin", "https://evil.example")
        .json(&json!({ "kind": "server_error", "count": 3 }))
        .send()
        .await
        .expect("POST");
    assert_eq!(faults.status(), 403);
    assert!(app.store.list_conversations(Tab::All).await.expect("list").is_empty(), "nothing arrived");

    let page = simulate(Some(&app.address)).await.expect("POST");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("Mensagem entregue ao Atende"));
    // What Atende itself calls carries no browser's Origin, and still works.
    let config = app.others.config().clone();
    let sent = crate::common::client()
        .post(format!("{}/sandbox/evolution/message/sendText/{}", app.address, config.evolution_instance))
        .header("apikey", &config.evolution_api_key)
        .json(&json!({ "number": "5511955553333", "text": "Olá" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(sent.status(), 201, "{}", sent.text().await.unwrap_or_default());
}

#[tokio::test]
async fn with_a_channel_added_in_the_console_the_sandbox_stays_off_unless_asked_for() {
    use atende_server::store::channels::ChannelConfig;
    let db = crate::common::TestDb::sqlite().await;
    let site = tempfile::tempdir().expect("site dir");
    let build = |sandbox: Option<bool>| {
        let mut settings = atende_server::Settings::for_tests(db.database.clone(), site.path().to_path_buf());
        settings.sandbox = sandbox;
        atende_server::Application::build(settings)
    };
    let fresh = build(None).await.expect("application");
    assert!(fresh.sandbox().is_some(), "no provider anywhere: the sandbox plays them");
    drop(fresh);

    let store = db.store().await;
    let gateway = ChannelConfig {
        secret_config:
            json!({ "token": "chave", "webhook_secret": "segredo", "url": "https://evolution.loja.com.br" })
                .to_string(),
        ..ChannelConfig::plain(ChannelKind::WhatsappUnofficial, "Gateway da Loja", "loja")
    };
    store.save_console_channel(None, &gateway, T0).await.expect("saved");
    let production = build(None).await.expect("application");
    assert!(production.sandbox().is_none() && production.other_channels_sandbox().is_none());
    let address = format!("http://127.0.0.1:{}", production.port());
    tokio::spawn(production.run_until_stopped());
    let simulator = reqwest::get(format!("{address}/sandbox/simulador")).await.expect("GET");
    assert_eq!(simulator.status(), 404, "no simulator to post to");

    let asked = build(Some(true)).await.expect("application");
    assert!(asked.sandbox().is_some(), "ATENDE_SANDBOX=on still wins");
}
