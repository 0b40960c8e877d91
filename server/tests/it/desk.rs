//! The agent's everyday tools (issue #19) over real HTTP: quick answers kept per team and globally, and the
//! protocol number found by the search, each behind the same team isolation as the conversations.

use crate::common::{post_form, post_json, spawn_app, TestApp};
use atende_domain::conversation::{ConversationId, Protocol};
use atende_domain::ports::{Outbox, QuickAnswers};
use atende_domain::time::Timestamp;
use serde_json::{json, Value};

const T0: Timestamp = Timestamp::from_millis(0);

async fn save(
    client: &reqwest::Client,
    app: &TestApp,
    id: Option<i64>,
    title: &str,
    text: &str,
    team: Option<i64>,
) -> (u16, Value) {
    let response = client
        .post(format!("{}/api/save_quick_answer", app.address))
        .json(&json!({ "id": id, "form": { "title": title, "text": text, "team": team } }))
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn listed(client: &reqwest::Client, app: &TestApp) -> Vec<String> {
    let data: Value = client
        .post(format!("{}/api/quick_answers", app.address))
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    data["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| a["answer"]["title"].as_str().expect("title").to_owned())
        .collect()
}

#[tokio::test]
async fn quick_answers_are_kept_per_team_and_an_agent_of_another_team_can_neither_see_nor_change_them() {
    let app = spawn_app().await;
    let sales = app.store.ensure_team("Vendas", T0).await.expect("team");
    let finance = app.store.ensure_team("Financeiro", T0).await.expect("team");
    let ana = app.agent_in("ana@teste.local", &[sales]).await;
    let bia = app.agent_in("bia@teste.local", &[finance]).await;

    let (status, _) =
        save(&app.client, &app, None, "Saudação", "Olá, {{primeiro_nome}}! Sou {{agente}}.", None).await;
    assert_eq!(status, 200, "an admin keeps the global answers");
    let (status, pix) =
        save(&ana, &app, None, "Chave PIX", "Nossa chave é o CNPJ. Protocolo {{protocolo}}.", Some(sales))
            .await;
    assert_eq!(status, 200, "{pix}");
    let pix_id = pix["id"].as_i64().expect("id");

    // Refusals: each with its reason, nothing stored.
    let (status, body) = save(&ana, &app, None, "Geral", "Texto", None).await;
    assert_eq!((status, body), (403, json!({ "QuickAnswer": { "NotAllowed": { "global": true } } })));
    let (status, _) = save(&ana, &app, None, "Cobrança", "Texto", Some(finance)).await;
    assert_eq!(status, 403, "another team's");
    let (status, body) = save(&ana, &app, None, "Oi", "Olá, {{nme}}!", Some(sales)).await;
    assert_eq!((status, body), (422, json!({ "QuickAnswer": { "UnknownVariable": { "name": "nme" } } })));
    let (status, body) = save(&ana, &app, None, "chave pix", "Outra", Some(sales)).await;
    assert_eq!((status, body), (409, json!({ "QuickAnswer": { "TitleTaken": { "title": "chave pix" } } })));
    assert_eq!(app.store.quick_answers(None).await.expect("all").len(), 2);

    assert_eq!(listed(&ana, &app).await, ["Chave PIX", "Saudação"]);
    assert_eq!(listed(&bia, &app).await, ["Saudação"], "another team's answers are not listed");
    assert_eq!(listed(&app.client, &app).await, ["Chave PIX", "Saudação"]);

    // Bia can neither change nor delete Vendas' answer, nor move it to her team: to her it does not exist.
    let (status, _) = save(&bia, &app, Some(pix_id), "Chave PIX", "Mudado", Some(finance)).await;
    assert_eq!(status, 404);
    let delete = |client: &reqwest::Client, id: i64| {
        client.post(format!("{}/api/delete_quick_answer", app.address)).form(&[("id", id.to_string())]).send()
    };
    assert_eq!(delete(&bia, pix_id).await.expect("POST").status(), 404);
    // Ana (an agent) may use the global answer but not change it.
    let global = app.store.quick_answers(Some(&[])).await.expect("global")[0].id;
    let (status, _) = save(&ana, &app, Some(global), "Saudação", "Mudado", None).await;
    assert_eq!(status, 403);
    assert_eq!(delete(&ana, global).await.expect("POST").status(), 403);
    let kept = app.store.quick_answer(pix_id).await.expect("kept");
    assert_eq!(kept.answer.text(), "Nossa chave é o CNPJ. Protocolo {{protocolo}}.");

    // Ana changes hers (same id), then deletes it; a second delete is "not found".
    let (status, changed) =
        save(&ana, &app, Some(pix_id), "Chave PIX", "CNPJ 12.345.678/0001-90", Some(sales)).await;
    assert_eq!((status, changed["id"].as_i64()), (200, Some(pix_id)));
    assert_eq!(delete(&ana, pix_id).await.expect("POST").status(), 200);
    assert_eq!(delete(&ana, pix_id).await.expect("POST").status(), 404);
    assert_eq!(listed(&ana, &app).await, ["Saudação"]);
}

#[tokio::test]
async fn a_protocol_typed_in_the_search_finds_its_conversation_only_for_who_may_see_it() {
    let app = spawn_app().await;
    let sales = app.store.ensure_team("Vendas", T0).await.expect("team");
    let finance = app.store.ensure_team("Financeiro", T0).await.expect("team");
    let contact = app.create_contact("Maria da Silva", "(11) 98765-4321").await;
    let id = app.start_unofficial(contact, sales).await;
    let view = app.conversation_view(id).await;
    let created_at = Timestamp::from_millis(view["summary"]["created_at"].as_i64().expect("created_at"));
    let protocol = Protocol::of(ConversationId(id), created_at);
    assert!(protocol.to_string().ends_with(&format!("-{id:06}")), "{protocol}");

    let find = |client: reqwest::Client, text: String| {
        let address = app.address.clone();
        async move {
            let found: Value = client
                .post(format!("{address}/api/find_protocol"))
                .form(&[("text", text)])
                .send()
                .await
                .expect("POST")
                .json()
                .await
                .expect("json");
            found["id"].as_i64()
        }
    };
    let ana = app.agent_in("ana@teste.local", &[sales]).await;
    let bia = app.agent_in("bia@teste.local", &[finance]).await;
    assert_eq!(find(app.client.clone(), protocol.to_string()).await, Some(id));
    assert_eq!(find(ana.clone(), format!("Protocolo {}/{}", protocol.year, id)).await, Some(id));
    assert_eq!(find(bia, protocol.to_string()).await, None, "another team's conversation is not found");
    let other_year = Protocol { year: protocol.year - 1, number: protocol.number };
    assert_eq!(find(ana.clone(), other_year.to_string()).await, None, "a typo in the year finds nothing");
    assert_eq!(find(ana.clone(), format!("{}-999999", protocol.year)).await, None);
    assert_eq!(find(ana, "Maria".into()).await, None);
}

#[tokio::test]
async fn a_note_stays_in_atende_and_touches_neither_the_messages_nor_the_window_nor_the_conversation() {
    use atende_domain::ports::{Notes, Store};
    let app = spawn_app().await;
    let sales = app.store.ensure_team("Vendas", T0).await.expect("team");
    let finance = app.store.ensure_team("Financeiro", T0).await.expect("team");
    // The contact writes on the official API: the conversation waits in the shared inbox.
    app.sandbox
        .simulate_inbound(atende_server::sandbox::SimulatedInbound {
            number: "5511987654321".into(),
            name: "Maria da Silva".into(),
            content: atende_server::sandbox::SimulatedContent::Text("Quero a 2ª via".into()),
        })
        .await
        .expect("the webhook reached Atende");
    let closed = crate::common::eventually("the conversation", || async {
        let listed = app.store.list_conversations(atende_domain::conversation::Tab::All).await.ok()?;
        listed.first().map(|c| c.id.0)
    })
    .await;
    let before = app.conversation_view(closed).await;
    assert_eq!(before["summary"]["id"], json!(closed), "{before}");
    let note = |client: &reqwest::Client, conversation: i64, text: &str| {
        client
            .post(format!("{}/api/add_note", app.address))
            .form(&[("conversation", conversation.to_string()), ("text", text.to_owned())])
            .send()
    };

    let added = note(&app.client, closed, "  Cliente pediu a 2ª via do boleto. @admin de teste, confere?  ")
        .await
        .expect("POST");
    assert_eq!(added.status(), 200);
    let added: Value = added.json().await.expect("json");
    assert_eq!(added["text"], "Cliente pediu a 2ª via do boleto. @admin de teste, confere?");
    assert_eq!(added["mentions"], json!(["Admin de Teste"]));
    assert_eq!(added["author"], "Admin de Teste");

    let after = app.conversation_view(closed).await;
    assert_eq!(after["notes"].as_array().map(Vec::len), Some(1));
    assert_eq!(after["messages"], before["messages"], "a note is not a message");
    assert_eq!(after["messages"].as_array().map(Vec::len), Some(1));
    for unchanged in ["lifecycle", "channel", "summary"] {
        assert_eq!(after[unchanged], before[unchanged], "{unchanged}");
    }

    // Refusals store nothing: an empty note (422), another team's conversation (404, as if it did not exist),
    // a conversation that does not exist.
    let empty = note(&app.client, closed, " \n ").await.expect("POST");
    assert_eq!(empty.status(), 422);
    assert_eq!(empty.json::<Value>().await.expect("json"), json!({ "Note": "Empty" }));
    let of_sales =
        app.start_unofficial(app.create_contact("Cliente Vendas", "(11) 97777-1111").await, sales).await;
    let bia = app.agent_in("bia@teste.local", &[finance]).await;
    assert_eq!(note(&bia, of_sales, "Olhando").await.expect("POST").status(), 404);
    let ana = app.agent_in("ana@teste.local", &[sales]).await;
    assert_eq!(note(&ana, of_sales, "Olhando, @bia").await.expect("POST").status(), 200);
    let notes = app.store.notes(ConversationId(of_sales)).await.expect("notes");
    assert_eq!(notes.len(), 1, "bia's note was not kept");
    assert!(notes[0].mentions.is_empty(), "bia may not see Vendas' conversation: not named");
    assert_eq!(note(&app.client, 999_999, "x").await.expect("POST").status(), 404);
}

#[tokio::test]
async fn each_conversation_has_its_own_address_served_whole_to_who_may_see_it_and_to_no_one_else() {
    let app = spawn_app().await;
    let sales = app.store.ensure_team("Vendas", T0).await.expect("team");
    let finance = app.store.ensure_team("Financeiro", T0).await.expect("team");
    let contact = app.create_contact("Maria Endereço", "(11) 98765-4321").await;
    let id = app.start_unofficial(contact, sales).await;
    let page = |client: reqwest::Client, path: String| {
        let address = app.address.clone();
        async move {
            let response = client.get(format!("{address}{path}")).send().await.expect("GET");
            (response.status().as_u16(), response.text().await.expect("html"))
        }
    };
    // Rendered on the server with the conversation open: a reload or a shared link shows it at once.
    let (status, html) = page(app.client.clone(), format!("/atendimentos/{id}")).await;
    assert_eq!(status, 200);
    // (The heading's text may be followed by a hydration marker, `<!>`, before `</h2>`.)
    assert!(html.contains("<h2>Maria Endereço<") && html.contains("Protocolo "), "{html}");
    let ana = app.agent_in("ana@teste.local", &[sales]).await;
    let (_, html) = page(ana, format!("/atendimentos/{id}")).await;
    assert!(html.contains("<h2>Maria Endereço<"), "an agent of the team");
    // Another team's agent gets the screen without it, told it is not theirs; so does a number that is none.
    let bia = app.agent_in("bia@teste.local", &[finance]).await;
    for path in [format!("/atendimentos/{id}"), "/atendimentos/999999".to_owned()] {
        let (status, html) = page(bia.clone(), path).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Este atendimento não existe ou é de uma equipe que você não atende."),
            "{html}"
        );
        assert!(!html.contains("Maria Endereço"), "nothing of it is shown");
    }
    // Without a session: the sign-in page, as for any page.
    let (status, html) = page(crate::common::client(), format!("/atendimentos/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Entrar no Atende"), "{html}");
}

#[tokio::test]
async fn a_transfer_moves_the_team_gives_it_to_one_of_its_agents_and_leaves_a_note_in_one_step() {
    let app = spawn_app().await;
    let sales = app.store.ensure_team("Vendas", T0).await.expect("team");
    let finance = app.store.ensure_team("Financeiro", T0).await.expect("team");
    let ana = app.agent_in("ana@teste.local", &[sales]).await;
    let bia = app.agent_in("bia@teste.local", &[finance]).await;
    let id = app.start_unofficial(app.create_contact("Cliente Dívida", "(11) 97777-1111").await, sales).await;
    let agents: Value = app
        .client
        .post(format!("{}/api/team_agents", app.address))
        .form(&[("team", finance.to_string())])
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    let named = |name: &str| {
        agents
            .as_array()
            .expect("agents")
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| a["id"].as_i64().expect("id"))
    };
    let bia_id = named("bia").expect("bia may answer Financeiro");
    assert_eq!(named("ana"), None, "ana is not of Financeiro");
    let transfer = |client: &reqwest::Client, team: i64, agent: Option<i64>, note: &str| {
        let mut form =
            vec![("conversation", id.to_string()), ("team", team.to_string()), ("note", note.to_owned())];
        if let Some(agent) = agent {
            form.push(("agent", agent.to_string()));
        }
        client.post(format!("{}/api/transfer_conversation", app.address)).form(&form).send()
    };

    let moved =
        transfer(&ana, finance, Some(bia_id), "Cliente quer negociar a dívida, @bia.").await.expect("POST");
    assert_eq!(moved.status(), 200);
    assert_eq!(moved.json::<Value>().await.expect("json"), json!(false), "ana no longer sees it");
    let view = app.conversation_view(id).await;
    assert_eq!(view["team"], json!(finance));
    assert_eq!(view["summary"]["assignee"], json!({ "Agent": bia_id }));
    let note = view["notes"].as_array().and_then(|n| n.last()).expect("the note").clone();
    assert_eq!(
        (note["text"].clone(), note["mentions"].clone(), note["author"].clone()),
        (json!("Cliente quer negociar a dívida, @bia."), json!(["bia"]), json!("ana"))
    );
    let history = view["history"].to_string();
    assert!(history.contains("de Vendas para Financeiro") && history.contains("Transferred"), "{history}");
    assert!(history.contains("para bia"), "{history}");
    let sees = |client: reqwest::Client| {
        let address = app.address.clone();
        async move {
            client
                .post(format!("{address}/api/conversation_view"))
                .form(&[("conversation", id.to_string())])
                .send()
                .await
                .expect("POST")
                .status()
                .as_u16()
        }
    };
    assert_eq!((sees(bia.clone()).await, sees(ana.clone()).await), (200, 404));

    // Refusals change nothing: the same team and agent again, an agent of another team, a team that does not
    // exist, a note too long; and ana may no longer touch it.
    let status = |response: reqwest::Response| response.status().as_u16();
    let unchanged = transfer(&bia, finance, Some(bia_id), "").await.expect("POST");
    assert_eq!(unchanged.status(), 422);
    assert_eq!(unchanged.json::<Value>().await.expect("json"), json!({ "Transfer": "Unchanged" }));
    assert_eq!(
        status(transfer(&bia, sales, Some(bia_id), "").await.expect("POST")),
        422,
        "bia is not of Vendas"
    );
    assert_eq!(status(transfer(&bia, 999_999, None, "").await.expect("POST")), 404);
    assert_eq!(status(transfer(&bia, sales, None, &"x".repeat(4097)).await.expect("POST")), 422);
    assert_eq!(status(transfer(&ana, sales, None, "").await.expect("POST")), 404);
    let after = app.conversation_view(id).await;
    for kept in ["team", "notes", "history"] {
        assert_eq!(after[kept], view[kept], "{kept}");
    }
    assert_eq!(after["summary"]["assignee"], view["summary"]["assignee"]);

    // To the team with nobody: it waits in the team's "Não atribuídos", and bia still sees it.
    let back = transfer(&bia, sales, None, "").await.expect("POST");
    assert_eq!(back.json::<Value>().await.expect("json"), json!(false));
    let view = app.conversation_view(id).await;
    assert_eq!(
        (view["team"].clone(), view["summary"]["assignee"].clone()),
        (json!(sales), json!("Unassigned"))
    );
    assert_eq!(sees(ana).await, 200);
}

#[tokio::test]
async fn labels_are_kept_by_admins_put_on_by_who_sees_the_conversation_and_filter_the_list() {
    use atende_domain::ports::Labels;
    let app = spawn_app().await;
    let sales = app.store.ensure_team("Vendas", T0).await.expect("team");
    let finance = app.store.ensure_team("Financeiro", T0).await.expect("team");
    let ana = app.agent_in("ana@teste.local", &[sales]).await;
    let bia = app.agent_in("bia@teste.local", &[finance]).await;

    let (status, vip) = post_json(
        &app.client,
        &app,
        "save_label",
        json!({ "id": null, "form": { "name": "VIP", "color": "Yellow" } }),
    )
    .await;
    assert_eq!(status, 200, "{vip}");
    let vip = vip["id"].as_i64().expect("id");
    let (status, _) = post_json(
        &app.client,
        &app,
        "save_label",
        json!({ "id": null, "form": { "name": "Reclamação", "color": "Red" } }),
    )
    .await;
    assert_eq!(status, 200);
    // Refusals, each with its reason; nothing stored changes.
    let (status, body) = post_json(
        &app.client,
        &app,
        "save_label",
        json!({ "id": null, "form": { "name": " vip ", "color": "Blue" } }),
    )
    .await;
    assert_eq!((status, body), (409, json!({ "Label": { "NameTaken": { "name": "vip" } } })));
    let (status, body) = post_json(
        &ana,
        &app,
        "save_label",
        json!({ "id": null, "form": { "name": "Urgente", "color": "Red" } }),
    )
    .await;
    assert_eq!((status, body), (403, json!({ "Label": "NotAllowed" })));
    let (status, body) = post_json(
        &app.client,
        &app,
        "save_label",
        json!({ "id": null, "form": { "name": "  ", "color": "Red" } }),
    )
    .await;
    assert_eq!((status, body), (422, json!({ "Label": "NoName" })));
    let (status, _) = post_form(&ana, &app, "delete_label", &[("id", vip.to_string())]).await;
    assert_eq!(status, 403, "an agent deletes no label");
    let names: Vec<_> =
        app.store.labels().await.expect("labels").iter().map(|l| l.label.name().to_owned()).collect();
    assert_eq!(names, ["Reclamação", "VIP"], "sorted by name, the refusals stored nothing");

    let maria = app.start_unofficial(app.create_contact("Maria", "(11) 98765-4321").await, sales).await;
    let joao = app.start_unofficial(app.create_contact("João", "(11) 98765-1111").await, sales).await;
    let carla = app.start_unofficial(app.create_contact("Carla", "(11) 98765-2222").await, finance).await;
    let label = |client: reqwest::Client, conversation: i64, on: bool| {
        let app = &app;
        async move {
            post_form(
                &client,
                app,
                "label_conversation",
                &[
                    ("conversation", conversation.to_string()),
                    ("label", vip.to_string()),
                    ("on", on.to_string()),
                ],
            )
            .await
        }
    };
    assert_eq!(label(ana.clone(), maria, true).await, (200, json!([vip])));
    assert_eq!(label(ana.clone(), maria, true).await, (409, json!({ "Label": "AlreadyOn" })), "once");
    assert_eq!(
        label(ana.clone(), carla, true).await.0,
        404,
        "another team's conversation does not exist for ana"
    );
    assert_eq!(label(bia.clone(), carla, true).await, (200, json!([vip])));
    assert_eq!(app.conversation_view(maria).await["summary"]["labels"], json!([vip]));

    // The list: every row carries its labels, and "Filtrar" by label keeps only the labelled ones.
    let list = |client: reqwest::Client, filter: Value| {
        let app = &app;
        async move {
            let (status, body) =
                post_json(&client, app, "list_filtered", json!({ "tab": "All", "filter": filter })).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["next"], Value::Null, "one page");
            body["rows"]
                .as_array()
                .expect("list")
                .iter()
                .map(|c| (c["contact_name"].as_str().expect("name").to_owned(), c["labels"].clone()))
                .collect::<Vec<_>>()
        }
    };
    let all = list(ana.clone(), json!({})).await;
    assert_eq!(all.len(), 2, "ana sees Vendas' two: {all:?}");
    assert!(
        all.contains(&("Maria".to_owned(), json!([vip]))) && all.contains(&("João".to_owned(), json!([])))
    );
    assert_eq!(list(ana.clone(), json!({ "label": vip })).await, [("Maria".to_owned(), json!([vip]))]);
    assert!(
        list(ana.clone(), json!({ "label": vip, "team": { "Team": finance } })).await.is_empty(),
        "the filter narrows what ana may see, never widens it"
    );
    let admin_vip: Vec<_> =
        list(app.client.clone(), json!({ "label": vip })).await.into_iter().map(|(n, _)| n).collect();
    assert_eq!(admin_vip.len(), 2, "{admin_vip:?}");
    assert_eq!(
        list(app.client.clone(), json!({ "label": vip, "team": { "Team": finance } })).await,
        [("Carla".to_owned(), json!([vip]))]
    );
    // The three were started the same way: the same agent answers them (or nobody), on the gateway, open.
    let assignee = app.conversation_view(maria).await["summary"]["assignee"].clone();
    let agent = if assignee == json!("Unassigned") { json!("Nobody") } else { assignee };
    let same = json!({ "agent": agent, "channel": "WhatsappUnofficial", "status": "Open" });
    assert_eq!(list(app.client.clone(), same).await.len(), 3);
    assert!(list(app.client.clone(), json!({ "agent": agent, "channel": "Instagram" })).await.is_empty());
    assert!(list(app.client.clone(), json!({ "status": "WaitingForContact" })).await.is_empty());

    // A live update reads again only the rows it names, of those the agent may see; it names one to 200.
    let rows = |conversations: Value| {
        let (app, ana) = (&app, ana.clone());
        async move {
            let body = json!({ "tab": "All", "filter": {}, "conversations": conversations });
            post_json(&ana, app, "list_rows", body).await
        }
    };
    let (status, body) = rows(json!([maria, carla])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body.as_array().expect("rows").iter().map(|c| c["id"].clone()).collect::<Vec<_>>(),
        [json!(maria)]
    );
    assert_eq!(rows(json!([])).await, (400, json!({ "ListRange": "NoneNamed" })));
    assert_eq!(
        rows(json!((1..=201).collect::<Vec<i64>>())).await,
        (400, json!({ "ListRange": { "TooMany": 201 } }))
    );
    assert_eq!(rows(json!(["x"])).await.0, 400, "not an id");

    // The same labels on contacts: any agent puts them on (contacts are everyone's), once; the conversation's
    // header and CRM → Contatos show them, and CRM filters by them.
    let maria_contact = app.conversation_view(maria).await["summary"]["contact_id"].clone();
    let label_contact = |client: reqwest::Client, on: bool| {
        let (app, contact) = (&app, maria_contact.to_string());
        async move {
            let form = [("contact", contact), ("label", vip.to_string()), ("on", on.to_string())];
            post_form(&client, app, "label_contact", &form).await
        }
    };
    assert_eq!(label_contact(bia.clone(), true).await, (200, json!([vip])));
    assert_eq!(label_contact(ana.clone(), true).await, (409, json!({ "Label": "AlreadyOnContact" })));
    assert_eq!(app.conversation_view(maria).await["contact_labels"], json!([vip]));
    let crm = |label: Option<i64>| {
        let app = &app;
        async move {
            let mut form = vec![("text", String::new())];
            form.extend(label.map(|label| ("label", label.to_string())));
            let (status, body) = post_form(&app.client, app, "crm_contacts", &form).await;
            assert_eq!(status, 200, "{body}");
            body["contacts"]
                .as_array()
                .expect("contacts")
                .iter()
                .map(|c| (c["contact"]["name"].as_str().expect("name").to_owned(), c["labels"].clone()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(crm(Some(vip)).await, [("Maria".to_owned(), json!([vip]))]);
    assert_eq!(crm(None).await.len(), 3, "all three contacts without a filter");
    assert_eq!(label_contact(ana.clone(), false).await, (200, json!([])));
    assert_eq!(label_contact(ana.clone(), false).await.0, 404, "not on");
    assert!(crm(Some(vip)).await.is_empty());
    assert_eq!(label_contact(ana.clone(), true).await, (200, json!([vip])));

    // Off again; and a deleted label leaves every conversation (and contact).
    assert_eq!(label(ana.clone(), maria, false).await, (200, json!([])));
    assert_eq!(label(ana.clone(), maria, false).await.0, 404, "not on");
    let (status, _) = post_form(&app.client, &app, "delete_label", &[("id", vip.to_string())]).await;
    assert_eq!(status, 200);
    assert_eq!(app.conversation_view(carla).await["summary"]["labels"], json!([]));
    assert_eq!(app.conversation_view(maria).await["contact_labels"], json!([]));
    assert_eq!(label(ana, joao, true).await.0, 404, "a deleted label is not found");
    assert_eq!(label(bia, joao, false).await.0, 404, "nor another team's conversation");
}

#[tokio::test]
async fn an_agent_is_counted_the_contacts_new_messages_of_conversations_they_may_answer_until_they_open_them()
{
    use crate::send_flow::contact_who_wrote;
    let app = spawn_app().await;
    let sales = app.store.ensure_team("Vendas", T0).await.expect("team");
    let finance = app.store.ensure_team("Financeiro", T0).await.expect("team");
    let ana = app.agent_in("ana@teste.local", &[sales]).await;
    let bia = app.agent_in("bia@teste.local", &[finance]).await;
    // A contact's first message lands in the shared inbox: nobody's yet, so it counts for every agent.
    let maria = contact_who_wrote(&app, "5511987654321", "Maria", 1_000).await.id.0;
    let unseen = |client: reqwest::Client| {
        let app = &app;
        async move {
            let (status, body) = post_form(&client, app, "unseen", &[]).await;
            assert_eq!(status, 200, "{body}");
            body.as_array()
                .expect("list")
                .iter()
                .map(|u| (u["conversation"].as_i64().expect("id"), u["queue"].clone(), u["messages"].clone()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(unseen(ana.clone()).await, [(maria, json!("Unassigned"), json!(1))]);
    assert_eq!(unseen(bia.clone()).await, [(maria, json!("Unassigned"), json!(1))]);

    // Ana opens it: seen for her, not for Bia.
    let (status, _) =
        post_form(&ana, &app, "conversation_view", &[("conversation", maria.to_string())]).await;
    assert_eq!(status, 200);
    assert!(unseen(ana.clone()).await.is_empty(), "seen by ana");
    assert_eq!(unseen(bia.clone()).await, [(maria, json!("Unassigned"), json!(1))]);

    // Moved to Vendas: Bia (Financeiro) is no longer counted anything of it; a note naming Bia would not
    // reach her either, as she may not see it.
    let (status, _) = post_form(
        &app.client,
        &app,
        "transfer_conversation",
        &[("conversation", maria.to_string()), ("team", sales.to_string()), ("note", "Para Vendas".into())],
    )
    .await;
    assert_eq!(status, 200);
    assert!(unseen(bia).await.is_empty(), "another team's conversation");
}

/// "Respostas rápidas" → "Anexo" as the screen uploads it (`name` percent-encoded): the kept file, or the
/// refusal.
async fn keep_answer_file(app: &TestApp, name: &str, mime: &str, bytes: &[u8]) -> (u16, Value) {
    let url = format!("{}/midia/resposta-rapida", app.address);
    let response =
        crate::upload::file_request(&app.client, &url, name, mime, bytes).send().await.expect("POST");
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn send_quick(
    client: &reqwest::Client,
    app: &TestApp,
    conversation: i64,
    answer: i64,
    text: &str,
) -> (u16, String) {
    let response = client
        .post(format!("{}/api/send_quick_answer", app.address))
        .form(&[
            ("conversation", conversation.to_string()),
            ("answer", answer.to_string()),
            ("text", text.to_owned()),
        ])
        .send()
        .await
        .expect("POST");
    (response.status().as_u16(), response.text().await.expect("body"))
}

#[tokio::test]
async fn a_quick_answers_file_is_kept_with_it_and_goes_with_its_text_as_each_channel_takes_it() {
    use atende_domain::conversation::ChannelKind;
    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
    let app = spawn_app().await;
    let sales = app.store.ensure_team("Vendas", T0).await.expect("team");
    let finance = app.store.ensure_team("Financeiro", T0).await.expect("team");
    let bia = app.agent_in("bia@teste.local", &[finance]).await;

    // The upload checks the file and keeps it; a PNG named ".pdf" or an empty file is refused with its reason.
    let (status, file) =
        keep_answer_file(&app, "Tabela%20de%20pre%C3%A7os.pdf", "application/pdf", PDF).await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(
        (file["name"].as_str(), file["size"].as_u64()),
        (Some("Tabela de preços.pdf"), Some(PDF.len() as u64))
    );
    let (status, body) = keep_answer_file(&app, "tabela.pdf", "application/pdf", crate::media::PNG).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["erro"].as_str().expect("erro").contains("não é um arquivo PDF de verdade"), "{body}");
    let (status, _) = keep_answer_file(&app, "vazio.pdf", "application/pdf", b"").await;
    assert_eq!(status, 422);

    // Saved with its answer; a file the upload did not keep (a forged hash, another size) is refused and
    // nothing is stored.
    let save_with = |title: &str, text: &str, file: Value| {
        let body =
            json!({ "id": null, "form": { "title": title, "text": text, "team": sales, "file": file } });
        app.client.post(format!("{}/api/save_quick_answer", app.address)).json(&body).send()
    };
    let forged = json!({ "sha256": "a".repeat(64), "name": "tabela.pdf", "size": 10 });
    let refused = save_with("Forjada", "x", forged).await.expect("POST");
    assert_eq!(refused.status(), 422);
    let said: Value = refused.json().await.expect("json");
    assert_eq!(
        said,
        json!({ "File": "O anexo “tabela.pdf” não está mais no servidor: escolha o arquivo de novo." })
    );
    let mut resized = file.clone();
    resized["size"] = json!(PDF.len() + 1);
    assert_eq!(save_with("Forjada", "x", resized).await.expect("POST").status(), 422);
    assert!(app.store.quick_answers(None).await.expect("all").is_empty());
    let saved: Value = save_with("Tabela", "Segue a tabela, {{primeiro_nome}}.", file.clone())
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    let answer = saved["id"].as_i64().expect("id");
    let kept = app.store.quick_answer(answer).await.expect("kept");
    assert_eq!(kept.answer.file().map(|f| f.name.as_str()), Some("Tabela de preços.pdf"));

    // A kept file goes on an answer only from the agent who uploaded it: Bia cannot attach the admin's by
    // naming its hash (to her it is not there); uploaded by her, the same bytes are hers to attach.
    let bia_saves = |file: Value| {
        let body =
            json!({ "id": null, "form": { "title": "Dela", "text": "x", "team": finance, "file": file } });
        bia.post(format!("{}/api/save_quick_answer", app.address)).json(&body).send()
    };
    assert_eq!(bia_saves(file.clone()).await.expect("POST").status(), 422, "not hers");
    let url = format!("{}/midia/resposta-rapida", app.address);
    let hers = crate::upload::file_request(&bia, &url, "tabela.pdf", "application/pdf", PDF).send().await;
    let hers: Value = hers.expect("POST").json().await.expect("json");
    assert_eq!(hers["sha256"], file["sha256"], "the same bytes");
    assert_eq!(bia_saves(hers).await.expect("POST").status(), 200);
    // Ana, of Vendas, changes the admin's answer and keeps its file: the answer had it already.
    let ana = app.agent_in("ana@teste.local", &[sales]).await;
    let body = json!({ "id": answer, "form": {
        "title": "Tabela", "text": "Segue a tabela, {{primeiro_nome}}.", "team": sales, "file": file } });
    let edited = ana.post(format!("{}/api/save_quick_answer", app.address)).json(&body).send().await;
    assert_eq!(edited.expect("POST").status(), 200);

    // On the Cloud API the text is the document's caption: one message.
    app.contact_writes("5511977770031", "Rita Tabela", "Qual o preço?").await;
    let official = app.conversation_with("Rita Tabela").await;
    crate::media::move_to_team(&app, &official, "Vendas").await;
    let (status, body) = send_quick(&app.client, &app, official.id.0, answer, "Segue a tabela, Rita.").await;
    assert_eq!((status, body.as_str()), (200, "\"Sending\""));
    let sent = crate::common::eventually("the Cloud API took the document", || async {
        app.sandbox.sent_messages().await.into_iter().find(|m| m.kind == "document")
    })
    .await;
    assert!(sent.summary.ends_with("Segue a tabela, Rita."), "{}", sent.summary);
    let mine: Vec<_> =
        app.store.messages(official.id).await.expect("messages").into_iter().filter(|m| !m.inbound).collect();
    assert_eq!(mine.len(), 1, "the text is the caption, not a message of its own");
    // Bia, of another team, cannot use Vendas' answer, even in a conversation she sees.
    app.contact_writes("5511977770032", "Gil Financeiro", "Oi").await;
    let hers = app.conversation_with("Gil Financeiro").await;
    crate::media::move_to_team(&app, &hers, "Financeiro").await;
    assert_eq!(send_quick(&bia, &app, hers.id.0, answer, "x").await.0, 404);
    assert_eq!(
        send_quick(&bia, &app, official.id.0, answer, "x").await.0,
        404,
        "nor see Vendas' conversation"
    );

    // Messenger takes no caption: the file, then the text, in that order.
    app.others
        .simulate(ChannelKind::Messenger, "5511977770033", "Gil Messenger", "Preço?", 0)
        .await
        .expect("delivered");
    let messenger = app.conversation_with("Gil Messenger").await;
    let (status, body) = send_quick(&app.client, &app, messenger.id.0, answer, "Segue a tabela, Gil.").await;
    assert_eq!(status, 200, "{body}");
    let sent = crate::common::eventually("Messenger got both", || async {
        let sent: Vec<_> =
            app.others.sent().await.into_iter().filter(|s| s.channel == ChannelKind::Messenger).collect();
        (sent.len() == 2).then_some(sent)
    })
    .await;
    assert_eq!(sent[0].media.as_ref().map(|m| m.kind.as_str()), Some("file"));
    assert_eq!((sent[1].media.is_none(), sent[1].text.as_str()), (true, "Segue a tabela, Gil."));
}
