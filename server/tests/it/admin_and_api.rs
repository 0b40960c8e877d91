//! The admin screens' server functions, assignment ("Meus", "Não atribuídos") and the public JSON API with
//! tokens, over real HTTP.

use crate::common::{eventually, post_form, post_json, sign_in, sign_in_response, spawn_app, TestApp};
use atende_domain::conversation::{ChannelKind, Tab};
use atende_domain::ports::{Outbox, Store};
use serde_json::{json, Value};

async fn team(app: &TestApp, name: &str) -> i64 {
    let (status, id) = post_form(&app.client, app, "admin_create_team", &[("name", name.into())]).await;
    assert_eq!(status, 200, "{id}");
    id.as_i64().expect("team id")
}

/// "Novo agente" by the admin; returns the agent's id and a signed-in client.
async fn new_agent(app: &TestApp, email: &str, name: &str, teams: &[i64]) -> (i64, reqwest::Client) {
    let form = json!({ "form": { "name": name, "email": email, "password": "senha-do-agente", "role": "agente", "teams": teams } });
    let (status, id) = post_json(&app.client, app, "admin_create_agent", form).await;
    assert_eq!(status, 200, "{id}");
    (id.as_i64().expect("agent id"), sign_in(&app.address, email, "senha-do-agente").await)
}

fn ids(listed: &Value) -> Vec<i64> {
    listed.as_array().map(|a| a.iter().filter_map(|c| c["id"].as_i64()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn admins_create_agents_and_teams_agents_cannot_and_a_deactivated_agent_is_out_at_once() {
    let app = spawn_app().await;
    let sales = team(&app, "Vendas").await;
    assert_eq!(
        post_form(&app.client, &app, "admin_create_team", &[("name", " Vendas ".into())]).await.0,
        409
    );
    assert_eq!(post_form(&app.client, &app, "admin_create_team", &[("name", "  ".into())]).await.0, 422);
    let (ana, ana_client) = new_agent(&app, "ana@teste.local", "Ana", &[sales]).await;

    let again = json!({ "form": { "name": "Outra Ana", "email": "ANA@teste.local", "password": "senha-do-agente", "role": "agente", "teams": [sales] } });
    let (status, body) = post_json(&app.client, &app, "admin_create_agent", again).await;
    assert_eq!((status, body), (409, json!("EmailTaken")));
    let teamless = json!({ "form": { "name": "Sem Equipe", "email": "sem@teste.local", "password": "senha-do-agente", "role": "agente", "teams": [] } });
    assert_eq!(post_json(&app.client, &app, "admin_create_agent", teamless).await.0, 422);
    let unknown_team = json!({ "form": { "name": "X", "email": "x@teste.local", "password": "senha-do-agente", "role": "agente", "teams": [9999] } });
    assert_eq!(post_json(&app.client, &app, "admin_create_agent", unknown_team).await.0, 404);
    assert!(app
        .store
        .agent_by_email(&atende_domain::access::Email::parse("sem@teste.local").expect("ok"))
        .await
        .expect("read")
        .is_none());

    // An agent reaches none of it.
    for function in ["admin_overview", "admin_create_team", "admin_reset_password"] {
        let form =
            [("name", "Equipe da Ana".into()), ("agent", ana.to_string()), ("password", "x".repeat(9))];
        let (status, _) = post_form(&ana_client, &app, function, &form).await;
        assert_eq!(status, 403, "{function}");
    }
    let token = json!({ "name": "Token da Ana", "all_teams": true, "teams": [] });
    assert_eq!(post_json(&ana_client, &app, "admin_create_token", token).await.0, 403);
    let (status, overview) = post_form(&app.client, &app, "admin_overview", &[]).await;
    assert_eq!(status, 200);
    let listed: Vec<&str> =
        overview["agents"].as_array().expect("agents").iter().filter_map(|a| a["email"].as_str()).collect();
    assert!(listed.contains(&"ana@teste.local"), "{listed:?}");
    assert!(!overview.to_string().contains("argon2"), "no password hash leaves the server");

    let me = overview["me"].as_i64().expect("me");
    let self_off = [("agent", me.to_string()), ("active", "false".into())];
    assert_eq!(post_form(&app.client, &app, "admin_set_agent_active", &self_off).await.0, 422);
    let off = [("agent", ana.to_string()), ("active", "false".into())];
    assert_eq!(post_form(&app.client, &app, "admin_set_agent_active", &off).await.0, 200);
    assert_eq!(post_form(&ana_client, &app, "list_conversations", &[("tab", "All".into())]).await.0, 401);
    let refused = sign_in_response(&app.address, "ana@teste.local", "senha-do-agente").await;
    assert_eq!(refused.headers()["location"], "/entrar?erro=credenciais");
}

#[tokio::test]
async fn answering_takes_a_conversation_and_it_moves_from_nao_atribuidos_to_meus() {
    let app = spawn_app().await;
    let sales = team(&app, "Vendas").await;
    let support = team(&app, "Suporte").await;
    let (ana, ana_client) = new_agent(&app, "ana@teste.local", "Ana", &[sales]).await;
    let (caio, _) = new_agent(&app, "caio@teste.local", "Caio", &[support]).await;
    let contact = app.create_contact("Cliente Fila", "(11) 95555-4321").await;
    let id = app.start_unofficial(contact, sales).await;
    let tab = |client: reqwest::Client, tab: &'static str| {
        let app = &app;
        async move { ids(&post_form(&client, app, "list_conversations", &[("tab", tab.into())]).await.1) }
    };
    assert_eq!(tab(app.client.clone(), "Mine").await, [id], "Meus of the admin who started it");
    assert!(tab(ana_client.clone(), "Mine").await.is_empty());
    assert_eq!(tab(ana_client.clone(), "All").await, [id]);

    let to = |agent: Option<i64>| {
        let mut form = vec![("conversation", id.to_string())];
        if let Some(agent) = agent {
            form.push(("agent", agent.to_string()));
        }
        form
    };
    assert_eq!(post_form(&ana_client, &app, "assign_conversation", &to(None)).await.0, 200);
    assert_eq!(tab(ana_client.clone(), "Unassigned").await, [id], "nobody's now");
    let (status, body) = post_form(&app.client, &app, "assign_conversation", &to(Some(caio))).await;
    assert_eq!(status, 422, "Caio answers another team: {body}");
    assert_eq!(tab(ana_client.clone(), "Unassigned").await, [id], "unchanged");

    let text = [("conversation", id.to_string()), ("text", "Olá, posso ajudar?".into())];
    assert_eq!(post_form(&ana_client, &app, "send_message", &text).await.0, 200);
    assert_eq!(tab(ana_client.clone(), "Mine").await, [id], "answering made it Ana's");
    assert!(tab(ana_client.clone(), "Unassigned").await.is_empty());
    let summary = app.store.summary(atende_domain::conversation::ConversationId(id)).await.expect("summary");
    assert_eq!(
        summary.assignee,
        atende_domain::conversation::Assignee::Agent(atende_domain::conversation::AgentId(ana))
    );

    let (_, view) =
        post_form(&ana_client, &app, "conversation_view", &[("conversation", id.to_string())]).await;
    let history: Vec<(String, String)> = view["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| {
            (e["action"].as_str().unwrap_or_default().into(), e["detail"].as_str().unwrap_or_default().into())
        })
        .collect();
    assert_eq!(
        history,
        [
            ("Started".into(), String::new()),
            ("Assigned".into(), "sem responsável".into()),
            ("Assigned".into(), "para Ana".into())
        ]
    );
    let agents: Vec<&str> =
        view["agents"].as_array().expect("agents").iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(agents, ["Admin de Teste", "Ana"], "who may answer a Vendas conversation");
}

/// A token made on the admin page, for every team.
pub(crate) async fn token(app: &TestApp, name: &str) -> String {
    token_for(app, name, None).await
}

/// A token made on the admin page for `teams` (`None`: every team).
async fn token_for(app: &TestApp, name: &str, teams: Option<&[i64]>) -> String {
    let body = json!({ "name": name, "all_teams": teams.is_none(), "teams": teams.unwrap_or_default() });
    let (status, token) = post_json(&app.client, app, "admin_create_token", body).await;
    assert_eq!(status, 200, "{token}");
    token.as_str().expect("the token, once").to_owned()
}

fn api(app: &TestApp, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    crate::common::client().request(method, format!("{}/api/v1/{path}", app.address)).bearer_auth(token)
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_public_api_needs_a_live_token_and_says_what_is_wrong_in_json() {
    let app = spawn_app().await;
    let document: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.address))
        .await
        .expect("GET")
        .json()
        .await
        .expect("the OpenAPI document is public JSON");
    assert_eq!(document["openapi"], "3.1.0");
    let (status, body) =
        answer(crate::common::client().get(format!("{}/api/v1/channels", app.address))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("NotSignedIn")));
    assert_eq!(answer(api(&app, reqwest::Method::GET, "channels", "atd_falso")).await.0, 401);

    let token = token(&app, "ERP da loja").await;
    // Every documented path answers (none is a 404 of the router).
    for path in document["paths"].as_object().expect("paths").keys() {
        let path = path.replace("{channel}", "1");
        let methods =
            document["paths"][&path.replace("/1/", "/{channel}/")].as_object().cloned().unwrap_or_default();
        for method in methods.keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let response = crate::common::client()
                .request(method.clone(), format!("{}{path}", app.address))
                .bearer_auth(&token)
                .json(&json!({}))
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            assert!(status != 404 && status != 405 && status < 500, "{method} {path}: {status}");
        }
    }
    let (status, channels) = answer(api(&app, reqwest::Method::GET, "channels", &token)).await;
    assert_eq!(status, 200);
    assert!(channels
        .as_array()
        .expect("list")
        .iter()
        .any(|c| c["kind"] == "whatsapp_official" && c["needs_template"] == true));

    let (status, body) = answer(
        api(&app, reqwest::Method::PUT, "contacts", &token)
            .body("{")
            .header("content-type", "application/json"),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("BadRequest")), "{body}");
    assert_eq!(answer(api(&app, reqwest::Method::PUT, "contacts", &token).body("{}")).await.0, 415);
    let (status, body) = answer(
        api(&app, reqwest::Method::PUT, "contacts", &token)
            .json(&json!({ "phone": "98765-4321", "name": "Sem DDD" })),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (422, Some("Phone")), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("DDD"), "{body}");
    let (status, body) = answer(
        api(&app, reqwest::Method::PUT, "contacts", &token).json(&json!({ "phone": "(11) 98765-4321" })),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("Contact")),
        "a new contact needs a name: {body}"
    );

    let (status, created) = answer(
        api(&app, reqwest::Method::PUT, "contacts", &token)
            .json(&json!({ "phone": "(11) 98765-4321", "name": "Joana" })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let (status, known) = answer(
        api(&app, reqwest::Method::PUT, "contacts", &token)
            .json(&json!({ "phone": "+55 11 8765-4321", "name": "Joana Lima" })),
    )
    .await;
    assert_eq!(status, 200, "the ninth-digit twin is the same contact: {known}");
    assert_eq!(
        (known["id"].clone(), known["name"].as_str(), known["phone"].as_str()),
        (created["id"].clone(), Some("Joana Lima"), Some("+5511987654321"))
    );

    let (status, revoked) = answer(api(&app, reqwest::Method::GET, "channels", &token)).await;
    assert_eq!(status, 200, "{revoked}");
    let (_, overview) = post_form(&app.client, &app, "admin_overview", &[]).await;
    let token_id = overview["tokens"][0]["id"].as_i64().expect("token id");
    assert_eq!(
        post_form(&app.client, &app, "admin_revoke_token", &[("token", token_id.to_string())]).await.0,
        200
    );
    assert_eq!(answer(api(&app, reqwest::Method::GET, "channels", &token)).await.0, 401, "revoked at once");
}

#[tokio::test]
async fn one_call_upserts_the_contact_and_opens_the_conversation_with_an_approved_template() {
    let app = spawn_app().await;
    let token = token(&app, "CRM").await;
    let official = app
        .store
        .channel_id_by_provider(ChannelKind::WhatsappOfficial, &app.sandbox.config().phone_number_id)
        .await
        .expect("lookup")
        .expect("sandbox channel");
    let geral =
        app.store.teams().await.expect("teams").into_iter().find(|t| t.name == "Geral").expect("Geral").id;
    eventually("the templates are synced", || async {
        (app.store.templates_of_channel(official).await.ok()?.len() > 3).then_some(())
    })
    .await;
    let (status, templates) =
        answer(api(&app, reqwest::Method::GET, &format!("channels/{official}/templates"), &token)).await;
    assert_eq!(status, 200);
    let delivery = templates
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["name"] == "pedido_saiu_para_entrega")
        .expect("demo template")
        .clone();
    assert_eq!(delivery["fields"], json!(["Corpo {{1}}", "Corpo {{2}}"]));

    let call = |body: Value| answer(api(&app, reqwest::Method::POST, "conversations", &token).json(&body));
    let base = json!({ "phone": "(21) 99876-5432", "name": "Pedro", "channel": official, "team": geral });
    // Refusals store nothing: no template, a wrong field, a missing value, a template that is not approved.
    let (status, body) = call(base.clone()).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("TemplateMissing")), "{body}");
    let mut wrong = base.clone();
    wrong["template"] = json!({ "name": "pedido_saiu_para_entrega", "language": "pt_BR", "parameters": { "Corpo {{3}}": "x" } });
    let (status, body) = call(wrong).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("Template")), "{body}");
    let mut missing = base.clone();
    missing["template"] = json!({ "name": "pedido_saiu_para_entrega", "language": "pt_BR", "parameters": { "Corpo {{1}}": "Pedro" } });
    assert_eq!(call(missing).await.0, 422);
    let mut other_team = base.clone();
    other_team["team"] = json!(9999);
    other_team["template"] = json!({ "name": "retomar_atendimento", "language": "pt_BR" });
    assert_eq!(call(other_team).await.0, 404);
    let phone = atende_domain::phone::Phone::parse("(21) 99876-5432").expect("valid");
    assert_eq!(app.store.find_contact_by_phone(&phone).await.expect("read"), None, "nothing stored");

    let mut good = base.clone();
    good["template"] = json!({ "name": "pedido_saiu_para_entrega", "language": "pt_BR", "parameters": { "Corpo {{1}}": "Pedro", "Corpo {{2}}": "A-77" } });
    let (status, opened) = call(good).await;
    assert_eq!(status, 201, "{opened}");
    assert_eq!(
        (opened["started"].as_str(), opened["contact_created"].as_bool()),
        (Some("template_sent"), Some(true))
    );
    let id = atende_domain::conversation::ConversationId(opened["conversation"].as_i64().expect("id"));
    let summary = app.store.summary(id).await.expect("summary");
    assert_eq!(summary.status, atende_domain::conversation::ConversationStatus::WaitingForContact);
    assert_eq!(summary.assignee, atende_domain::conversation::Assignee::Unassigned, "for the team to take");
    let unassigned = app
        .store
        .list_visible(
            Tab::Unassigned,
            None,
            atende_domain::conversation::AgentId(1),
            &atende_domain::label::ListFilter::default(),
            &atende_domain::listing::ListRange::first(),
        )
        .await
        .expect("list")
        .rows;
    assert!(unassigned.iter().any(|c| c.id == id));
    let trail = app.store.audit_trail(id).await.expect("trail");
    assert_eq!(trail[0].detail.as_deref(), Some("pedido_saiu_para_entrega · API “CRM”"));
    eventually("the template reached the sandbox", || async {
        let sent = app.sandbox.sent_messages().await;
        sent.iter()
            .any(|m| m.template.as_deref() == Some("pedido_saiu_para_entrega") && m.summary.contains("A-77"))
            .then_some(())
    })
    .await;

    // On the unofficial gateway the conversation opens at once, no template.
    let unofficial = app
        .store
        .channel_id_by_provider(ChannelKind::WhatsappUnofficial, &app.others.config().evolution_instance)
        .await
        .expect("lookup")
        .expect("channel");
    let (status, opened) =
        call(json!({ "phone": "(21) 99876-5432", "channel": unofficial, "team": geral })).await;
    assert_eq!(
        (status, opened["started"].as_str(), opened["contact_created"].as_bool()),
        (201, Some("opened"), Some(false)),
        "{opened}"
    );
}

fn evolution_event(instance: &str, id: &str, number: &str, text: &str) -> Value {
    json!({
        "event": "messages.upsert", "instance": instance,
        "data": {"key": {"remoteJid": format!("{number}@s.whatsapp.net"), "fromMe": false, "id": id},
                 "pushName": "Rita", "message": {"conversation": text}, "messageType": "conversation",
                 "messageTimestamp": 1_700_000_000_i64}
    })
}

async fn evolution_webhook(app: &TestApp, event: &Value, token: &str) -> u16 {
    crate::common::client()
        .post(format!("{}/webhooks/evolution", app.address))
        .bearer_auth(token)
        .json(event)
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_channel_added_in_the_console_is_used_at_once_and_its_secrets_never_come_back() {
    let app = spawn_app().await;
    let sandbox = app.others.config().clone();
    let form = |instance: &str, api_key: &str, webhook: &str| {
        json!({ "kind": "WhatsappUnofficial", "name": "Gateway Loja 2", "provider_id": instance,
                "account_id": "", "url": format!("{}/sandbox/evolution", app.address), "token": api_key,
                "webhook_secret": webhook, "verify_token": "", "human_agent_tag": false })
    };
    let save = |channel: Option<i64>, form: Value| {
        let app = &app;
        async move {
            post_json(&app.client, app, "admin_save_channel", json!({ "channel": channel, "form": form }))
                .await
        }
    };
    let (status, body) = save(None, json!({ "kind": "WhatsappUnofficial", "name": "Sem endereço", "provider_id": "x",
        "account_id": "", "url": "evolution.loja", "token": "k", "webhook_secret": "w", "verify_token": "", "human_agent_tag": false })).await;
    assert_eq!((status, body["ChannelSetup"].as_str()), (422, Some("BadUrl")), "{body}");
    let (status, _) = save(None, form(&sandbox.evolution_instance, "k", "w")).await;
    assert_eq!(status, 409, "the sandbox has this instance already");
    let (status, id) = save(None, form("loja2", &sandbox.evolution_api_key, "token-loja-2")).await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_i64().expect("channel id");

    // Its webhooks are accepted with its token, at once.
    let hello = evolution_event("loja2", "3ACONSOLE1", "5511933332222", "Oi pela loja 2");
    assert_eq!(evolution_webhook(&app, &hello, "token-errado").await, 401);
    assert_eq!(evolution_webhook(&app, &hello, "token-loja-2").await, 200);
    let conversation = eventually("the message reached a conversation", || async {
        app.store
            .list_conversations(Tab::All)
            .await
            .ok()?
            .into_iter()
            .find(|c| c.contact_name.as_str() == "Rita")
    })
    .await;
    assert_eq!(
        app.store.conversation_state(conversation.id).await.expect("state").channel.kind(),
        ChannelKind::WhatsappUnofficial
    );

    // Its sends go through its own instance: the sandbox's Evolution knows no "loja2" and says so.
    let text = [("conversation", conversation.id.0.to_string()), ("text", "Olá, Rita!".into())];
    assert_eq!(post_form(&app.client, &app, "send_message", &text).await.0, 200);
    let (_, view) = eventually("the send failed with the gateway's reason", || async {
        let (status, view) = post_form(
            &app.client,
            &app,
            "conversation_view",
            &[("conversation", conversation.id.0.to_string())],
        )
        .await;
        let failed = view["messages"].as_array()?.iter().any(|m| m["status"] == "failed");
        (status == 200 && failed).then_some((status, view))
    })
    .await;
    let error = view["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find_map(|m| m["error"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("loja2"), "{error}");

    // Editing: blank secrets keep the stored ones; a new webhook token replaces the old one at once.
    let (status, _) = save(Some(id), form("loja2", "", "token-novo")).await;
    assert_eq!(status, 200);
    let again = evolution_event("loja2", "3ACONSOLE2", "5511933332222", "De novo");
    assert_eq!(evolution_webhook(&app, &again, "token-loja-2").await, 401, "the old token stopped working");
    assert_eq!(evolution_webhook(&app, &again, "token-novo").await, 200);
    let (_, overview) = post_form(&app.client, &app, "admin_overview", &[]).await;
    let row = overview["channel_rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|c| c["id"] == id)
        .expect("listed")
        .clone();
    assert_eq!(
        (row["from_console"].as_bool(), row["token_set"].as_bool()),
        (Some(true), Some(true)),
        "{row}"
    );
    let shown = overview.to_string();
    assert!(
        !shown.contains(&sandbox.evolution_api_key) && !shown.contains("token-novo"),
        "no secret is sent back"
    );

    // The sandbox's channels come from the environment: the console does not change them.
    let sandbox_channel = overview["channel_rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|c| c["from_console"] == false)
        .expect("sandbox")["id"]
        .as_i64();
    let (status, body) = save(sandbox_channel, form("outra", "k", "w")).await;
    assert_eq!((status, body), (422, json!("ChannelFromEnvironment")));
}

#[tokio::test]
async fn the_rate_card_saved_in_the_console_is_what_every_estimate_uses() {
    let app = spawn_app().await;
    let (_, overview) = post_form(&app.client, &app, "admin_overview", &[]).await;
    let mut card: Value =
        serde_json::from_str(overview["rate_card_json"].as_str().expect("json")).expect("valid json");
    let shipped = card["rates"].as_array().expect("rates").len();
    assert!(shipped > 1);
    let (status, body) =
        post_form(&app.client, &app, "admin_save_rate_card", &[("text", "{\"rates\": 3}".into())]).await;
    assert_eq!(status, 422, "{body}");
    let first = card["rates"][0].clone();
    card["rates"] = json!([first.clone(), first]);
    let (status, body) =
        post_form(&app.client, &app, "admin_save_rate_card", &[("text", card.to_string())]).await;
    assert_eq!(status, 422, "a price given twice is refused by the domain: {body}");
    card["rates"] = json!([card["rates"][0].clone()]);
    let (status, body) =
        post_form(&app.client, &app, "admin_save_rate_card", &[("text", card.to_string())]).await;
    assert_eq!(status, 200, "{body}");
    let contact = app.create_contact("Cliente Preço", "(11) 94444-1212").await;
    let (status, options) =
        post_form(&app.client, &app, "start_options", &[("contact", contact.to_string())]).await;
    assert_eq!(status, 200);
    assert_eq!(
        options["rate_card"]["rates"].as_array().map(Vec::len),
        Some(1),
        "the agents' estimates use it"
    );
    let (status, _) = post_form(&app.client, &app, "admin_save_rate_card", &[]).await;
    assert_eq!(status, 400, "a missing argument is the caller's mistake");
}

#[tokio::test]
async fn a_console_channels_app_secret_signs_for_that_channel_only() {
    use atende_server::providers::whatsapp::wire::signature_header;
    let app = spawn_app().await;
    let page = json!({ "kind": "Messenger", "name": "Página da Loja", "provider_id": "5550001", "account_id": "",
        "url": "", "token": "token-da-pagina", "webhook_secret": "segredo-da-pagina", "verify_token": "verifica",
        "human_agent_tag": false });
    let (status, body) =
        post_json(&app.client, &app, "admin_save_channel", json!({ "channel": null, "form": page })).await;
    assert_eq!(status, 200, "{body}");
    let event = |page_id: &str| {
        json!({ "object": "page", "entry": [{ "id": page_id, "time": 1_700_000_000_000_i64, "messaging": [{
            "sender": { "id": "8800001" }, "recipient": { "id": page_id }, "timestamp": 1_700_000_000_000_i64,
            "message": { "mid": format!("m_{page_id}"), "text": "Oi" } }] }] })
        .to_string()
    };
    let post = |body: String| {
        let app = &app;
        async move {
            crate::common::client()
                .post(format!("{}/webhooks/meta", app.address))
                .header("X-Hub-Signature-256", signature_header(b"segredo-da-pagina", body.as_bytes()))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("POST")
                .status()
                .as_u16()
        }
    };
    assert_eq!(post(event("5550001")).await, 200, "about its own page");
    let sandbox_page = app.others.config().page_id.clone();
    assert_eq!(post(event(&sandbox_page)).await, 401, "not about another channel's page");
    let verified = reqwest::get(format!(
        "{}/webhooks/meta?hub.mode=subscribe&hub.verify_token=verifica&hub.challenge=42",
        app.address
    ))
    .await
    .expect("GET");
    assert_eq!(verified.text().await.expect("body"), "42", "its verify token answers the handshake");
}

#[tokio::test]
async fn an_agent_cannot_pull_another_teams_conversation_by_starting_one_with_the_same_contact() {
    let app = spawn_app().await;
    let sales = team(&app, "Vendas").await;
    let support = team(&app, "Suporte").await;
    let (_, ana) = new_agent(&app, "ana@teste.local", "Ana", &[sales]).await;
    let contact = app.create_contact("Cliente do Suporte", "(11) 93333-4444").await;
    let id = app.start_unofficial(contact, support).await;
    let channel = app
        .store
        .channel_id_by_provider(ChannelKind::WhatsappUnofficial, &app.others.config().evolution_instance)
        .await
        .expect("lookup")
        .expect("channel");
    let (status, body) = post_json(
        &ana,
        &app,
        "start_conversation",
        json!({ "contact": contact, "channel": channel, "team": sales, "template": null, "values": [] }),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (_, options) = post_form(&ana, &app, "start_options", &[("contact", contact.to_string())]).await;
    let offered: Vec<&str> =
        options["teams"].as_array().expect("teams").iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(offered, ["Vendas"], "only the teams Ana may start for");
    let conversation = atende_domain::conversation::ConversationId(id);
    assert_eq!(
        app.store.conversation_team(conversation).await.expect("team"),
        Some(support),
        "still Suporte's"
    );
    let summary = app.store.summary(conversation).await.expect("summary");
    assert!(matches!(summary.assignee, atende_domain::conversation::Assignee::Agent(_)), "still the admin's");
    assert_eq!(app.store.audit_trail(conversation).await.expect("trail").len(), 1, "only Started");
}

/// The sandbox's unofficial channel (conversations open there without a template).
async fn unofficial(app: &TestApp) -> i64 {
    app.store
        .channel_id_by_provider(ChannelKind::WhatsappUnofficial, &app.others.config().evolution_instance)
        .await
        .expect("lookup")
        .expect("channel")
}

/// The conversation's history as (action, detail).
async fn history(app: &TestApp, id: i64) -> Vec<(String, String)> {
    app.store
        .audit_trail(atende_domain::conversation::ConversationId(id))
        .await
        .expect("trail")
        .into_iter()
        .map(|e| (e.action.code().to_owned(), e.detail.unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn a_token_of_team_a_can_neither_read_nor_start_nor_reopen_a_conversation_of_team_b() {
    let app = spawn_app().await;
    let sales = team(&app, "Vendas").await;
    let support = team(&app, "Suporte").await;
    let channel = unofficial(&app).await;
    let contact = app.create_contact("Cliente do Suporte", "(11) 93333-5555").await;
    let of_support = app.start_unofficial(contact, support).await;

    let empty = json!({ "name": "Sem equipe", "all_teams": false, "teams": [] });
    let (status, body) = post_json(&app.client, &app, "admin_create_token", empty).await;
    assert_eq!((status, body["Access"].as_str()), (422, Some("TokenTeamsMissing")), "{body}");
    let unknown = json!({ "name": "Equipe fantasma", "all_teams": false, "teams": [9999] });
    assert_eq!(post_json(&app.client, &app, "admin_create_token", unknown).await.0, 404);
    let token = token_for(&app, "Loja de Vendas", Some(&[sales, sales])).await;
    let (_, overview) = post_form(&app.client, &app, "admin_overview", &[]).await;
    assert_eq!(overview["tokens"][0]["teams"], json!([sales]), "{overview}");

    let (status, teams) = answer(api(&app, reqwest::Method::GET, "teams", &token)).await;
    assert_eq!(status, 200);
    let names: Vec<&str> =
        teams.as_array().expect("list").iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["Vendas"], "only the token's team, though its admin sees all");

    let call = |body: Value| answer(api(&app, reqwest::Method::POST, "conversations", &token).json(&body));
    let (status, body) =
        call(json!({ "phone": "(11) 93333-6666", "name": "Novo", "channel": channel, "team": support }))
            .await;
    assert_eq!((status, body["error"].as_str()), (403, Some("OutsideTokenScope")), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("token"), "{body}");
    let phone = atende_domain::phone::Phone::parse("(11) 93333-6666").expect("valid");
    assert_eq!(app.store.find_contact_by_phone(&phone).await.expect("read"), None, "nothing stored");

    // Reopening the contact's conversation in progress with Suporte, for Vendas: refused, nothing moves, and
    // the answer does not name the conversation.
    let (status, body) = call(json!({ "phone": "(11) 93333-5555", "channel": channel, "team": sales })).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("OutsideTokenScope")), "{body}");
    assert!(body.get("conversation").is_none());
    let id = atende_domain::conversation::ConversationId(of_support);
    assert_eq!(app.store.conversation_team(id).await.expect("team"), Some(support));
    assert_eq!(history(&app, of_support).await.len(), 1, "only Started");

    // Its own team still works, and a concluded conversation of the other team is left alone.
    let (status, opened) = call(
        json!({ "phone": "(11) 93333-7777", "name": "Cliente de Vendas", "channel": channel, "team": sales }),
    )
    .await;
    assert_eq!(status, 201, "{opened}");
    let conclude = [("conversation", of_support.to_string())];
    assert_eq!(post_form(&app.client, &app, "conclude_conversation", &conclude).await.0, 200);
    let (status, reopened) =
        call(json!({ "phone": "(11) 93333-5555", "channel": channel, "team": sales })).await;
    assert_eq!(status, 201, "{reopened}");
    assert_ne!(reopened["conversation"].as_i64(), Some(of_support), "a new conversation for Vendas");
    assert_eq!(app.store.conversation_team(id).await.expect("team"), Some(support));
}

#[tokio::test]
async fn starting_a_conversation_for_another_team_hands_it_to_that_team_and_says_so() {
    let app = spawn_app().await;
    let sales = team(&app, "Vendas").await;
    let support = team(&app, "Suporte").await;
    let channel = unofficial(&app).await;
    let (ana, ana_client) = new_agent(&app, "ana@teste.local", "Ana", &[sales]).await;
    let (_, caio_client) = new_agent(&app, "caio@teste.local", "Caio", &[support]).await;
    let (bia, _) = new_agent(&app, "bia@teste.local", "Bia", &[sales, support]).await;
    let contact = app.create_contact("Cliente Itinerante", "(11) 92222-1111").await;
    let id = app.start_unofficial(contact, sales).await;
    let assign = |agent: i64| [("conversation", id.to_string()), ("agent", agent.to_string())];
    assert_eq!(post_form(&app.client, &app, "assign_conversation", &assign(ana)).await.0, 200);

    // Through the API, for Suporte: Ana is not of Suporte, so it waits in Suporte's "Não atribuídos".
    let token = token(&app, "CRM").await;
    let (status, opened) = answer(
        api(&app, reqwest::Method::POST, "conversations", &token)
            .json(&json!({ "phone": "(11) 92222-1111", "channel": channel, "team": support })),
    )
    .await;
    assert_eq!((status, opened["conversation"].as_i64()), (201, Some(id)), "{opened}");
    let conversation = atende_domain::conversation::ConversationId(id);
    assert_eq!(app.store.conversation_team(conversation).await.expect("team"), Some(support));
    let summary = app.store.summary(conversation).await.expect("summary");
    assert_eq!(summary.assignee, atende_domain::conversation::Assignee::Unassigned);
    let tab = |client: &reqwest::Client, tab: &'static str| {
        let (app, client) = (&app, client.clone());
        async move { ids(&post_form(&client, app, "list_conversations", &[("tab", tab.into())]).await.1) }
    };
    assert_eq!(tab(&caio_client, "Unassigned").await, [id], "Suporte finds it");
    assert!(tab(&ana_client, "All").await.is_empty(), "Ana no longer sees it");
    let trail = history(&app, id).await;
    assert_eq!(
        trail.iter().find(|(action, _)| action == "transferred").map(|(_, detail)| detail.as_str()),
        Some("de Vendas para Suporte; sem responsável (Ana não é da equipe) · API “CRM”"),
        "{trail:?}"
    );

    // Back to Vendas with Bia (of both teams) answering: she keeps it.
    assert_eq!(post_form(&app.client, &app, "assign_conversation", &assign(bia)).await.0, 200);
    let (status, opened) = answer(
        api(&app, reqwest::Method::POST, "conversations", &token)
            .json(&json!({ "phone": "(11) 92222-1111", "channel": channel, "team": sales })),
    )
    .await;
    assert_eq!(status, 201, "{opened}");
    let summary = app.store.summary(conversation).await.expect("summary");
    assert_eq!(
        summary.assignee,
        atende_domain::conversation::Assignee::Agent(atende_domain::conversation::AgentId(bia))
    );
    let moves = |trail: Vec<(String, String)>| -> Vec<String> {
        trail.into_iter().filter(|(action, _)| action == "transferred").map(|(_, detail)| detail).collect()
    };
    assert_eq!(
        moves(history(&app, id).await).last().map(String::as_str),
        Some("de Suporte para Vendas · API “CRM”")
    );

    // The console's "Iniciar atendimento" moves it the same way, and the starter takes it.
    let (status, body) = post_json(
        &app.client,
        &app,
        "start_conversation",
        json!({ "contact": contact, "channel": channel, "team": support, "template": null, "values": [] }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let trail = history(&app, id).await;
    let last: Vec<(&str, &str)> =
        trail.iter().rev().take(3).rev().map(|(a, d)| (a.as_str(), d.as_str())).collect();
    assert_eq!(
        last,
        [("transferred", "de Vendas para Suporte"), ("assigned", "para Admin de Teste"), ("started", "")],
        "{trail:?}"
    );
    assert_eq!(app.store.conversation_team(conversation).await.expect("team"), Some(support));
}

#[tokio::test]
async fn a_template_for_a_channel_without_templates_is_refused_not_dropped() {
    let app = spawn_app().await;
    let channel = unofficial(&app).await;
    let geral =
        app.store.teams().await.expect("teams").into_iter().find(|t| t.name == "Geral").expect("Geral").id;
    let token = token(&app, "ERP").await;
    let (status, body) = answer(api(&app, reqwest::Method::POST, "conversations", &token).json(&json!({
        "phone": "(11) 91111-2222", "name": "Rui", "channel": channel, "team": geral,
        "template": { "name": "pedido_saiu_para_entrega", "language": "pt_BR" }
    })))
    .await;
    assert_eq!((status, body["error"].as_str()), (422, Some("TemplateNotUsed")), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("não usa modelos"), "{body}");
    let contact = app.create_contact("Rui", "(11) 91111-2222").await;
    let (status, body) = post_json(
        &app.client,
        &app,
        "start_conversation",
        json!({ "contact": contact, "channel": channel, "team": geral,
                "template": ["pedido_saiu_para_entrega", "pt_BR"], "values": [] }),
    )
    .await;
    assert_eq!((status, body), (422, json!("TemplateNotUsed")));
    assert!(app.store.list_conversations(Tab::All).await.expect("list").is_empty(), "nothing opened");
}

#[tokio::test]
async fn an_admin_resets_a_password_and_an_agent_changes_their_own_and_sessions_end() {
    let app = spawn_app().await;
    let sales = team(&app, "Vendas").await;
    let (ana, first) = new_agent(&app, "ana@teste.local", "Ana", &[sales]).await;
    let second = sign_in(&app.address, "ana@teste.local", "senha-do-agente").await;
    let works = |client: &reqwest::Client| {
        let (app, client) = (&app, client.clone());
        async move { post_form(&client, app, "list_conversations", &[("tab", "Mine".into())]).await.0 }
    };
    let change = |client: &reqwest::Client, current: &str, new: &str| {
        let (app, client) = (&app, client.clone());
        let body = json!({ "change": { "current": current, "new": new } });
        async move { post_json(&client, app, "change_password", body).await }
    };
    let (status, body) = change(&first, "senha-errada", "nova-senha-da-ana").await;
    assert_eq!((status, body), (422, json!("WrongPassword")));
    let (status, body) = change(&first, "senha-do-agente", "curta").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!((works(&first).await, works(&second).await), (200, 200), "nothing changed yet");
    let (status, body) = change(&first, "senha-do-agente", "nova-senha-da-ana").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(works(&first).await, 200, "this session stays signed in");
    assert_eq!(works(&second).await, 401, "the other one ended");
    let old = sign_in_response(&app.address, "ana@teste.local", "senha-do-agente").await;
    assert_eq!(old.headers()["location"], "/entrar?erro=credenciais");
    let agent = app
        .store
        .agent_by_email(&atende_domain::access::Email::parse("ana@teste.local").expect("valid"))
        .await
        .expect("read")
        .expect("ana");
    assert!(agent.password_hash.starts_with("$argon2id$"));

    // The admin sets a new one: every session of Ana's ends, and only the new password opens.
    let reset = |password: &str| [("agent", ana.to_string()), ("password", password.to_owned())];
    assert_eq!(post_form(&app.client, &app, "admin_reset_password", &reset("curta")).await.0, 422);
    let unknown = [("agent", "9999".to_owned()), ("password", "senha-qualquer".to_owned())];
    assert_eq!(post_form(&app.client, &app, "admin_reset_password", &unknown).await.0, 404);
    assert_eq!(
        post_form(&app.client, &app, "admin_reset_password", &reset("senha-nova-do-admin")).await.0,
        200
    );
    assert_eq!(works(&first).await, 401);
    let old = sign_in_response(&app.address, "ana@teste.local", "nova-senha-da-ana").await;
    assert_eq!(old.headers()["location"], "/entrar?erro=credenciais");
    let again = sign_in(&app.address, "ana@teste.local", "senha-nova-do-admin").await;
    assert_eq!(works(&again).await, 200);
    assert_eq!(works(&app.client).await, 200, "the admin's own session is untouched");
}

#[tokio::test]
async fn a_team_ticked_twice_is_one_membership() {
    let app = spawn_app().await;
    let sales = team(&app, "Vendas").await;
    let (ana, _) = new_agent(&app, "ana@teste.local", "Ana", &[sales]).await;
    let (status, body) = post_json(
        &app.client,
        &app,
        "admin_set_agent_teams",
        json!({ "agent": ana, "teams": [sales, sales] }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, overview) = post_form(&app.client, &app, "admin_overview", &[]).await;
    let row = overview["agents"].as_array().expect("agents").iter().find(|a| a["id"] == ana).cloned();
    assert_eq!(row.map(|r| r["teams"].clone()), Some(json!([sales])));
}

#[tokio::test]
async fn an_integration_sends_a_file_through_the_api_with_the_consoles_checks() {
    let app = spawn_app().await;
    let token = token(&app, "ERP").await;
    app.others
        .simulate(ChannelKind::WhatsappUnofficial, "5511966660001", "Cliente do ERP", "Manda o boleto", 0)
        .await
        .expect("delivered");
    let conversation = app.conversation_with("Cliente do ERP").await.id.0;
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n".to_vec();
    let path = format!("conversations/{conversation}/files?name=boleto%20maio.pdf&caption=Seu%20boleto");
    let send = |body: Vec<u8>, mime: &str, path: &str| {
        api(&app, reqwest::Method::POST, path, &token).header("content-type", mime).body(body)
    };
    let (status, body) = answer(send(pdf.clone(), "application/pdf", &path)).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("sending")), "{body}");
    let sent = eventually("the gateway got the file", || async {
        app.others.sent().await.into_iter().find_map(|s| s.media)
    })
    .await;
    assert_eq!(
        (sent.file_name.as_deref(), sent.caption.as_deref()),
        (Some("boleto maio.pdf"), Some("Seu boleto"))
    );

    // Refused with the kind and the reason in Portuguese, and nothing stored.
    let before =
        app.store.messages(atende_domain::conversation::ConversationId(conversation)).await.expect("m").len();
    let (status, body) = answer(send(b"<html>".to_vec(), "application/pdf", &path)).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("File")), "{body}");
    assert!(
        body["message"].as_str().unwrap_or_default().contains("não é um arquivo PDF de verdade"),
        "{body}"
    );
    let (status, body) =
        answer(send(pdf.clone(), "application/pdf", &format!("conversations/{conversation}/files"))).await;
    assert_eq!(status, 400, "no name: {body}");
    let (status, _) =
        answer(send(pdf.clone(), "application/pdf", "conversations/999999/files?name=a.pdf")).await;
    assert_eq!(status, 404);
    let large = [pdf.as_slice(), &vec![b' '; 101 * 1024 * 1024]].concat();
    let (status, body) = answer(send(large, "application/pdf", &path)).await;
    assert_eq!((status, body["error"].as_str()), (413, Some("FileTooLarge")), "{body}");
    let after =
        app.store.messages(atende_domain::conversation::ConversationId(conversation)).await.expect("m").len();
    assert_eq!(after, before, "nothing stored");
    let (status, _) = answer(
        crate::common::client()
            .post(format!("{}/api/v1/{path}", app.address))
            .header("content-type", "application/pdf")
            .body(pdf),
    )
    .await;
    assert_eq!(status, 401);
}
