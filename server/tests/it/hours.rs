//! "Horário de atendimento" over real HTTP: an admin sets the hours (the shared inbox's and a team's), a
//! contact who writes while it is closed gets the automatic answer once per closed period, through the
//! provider like any message and marked as automatic; off (the default) or open, nothing is sent.

use crate::common::{eventually, post_json, spawn_app, TestApp};
use atende_domain::conversation::ConversationId;
use atende_domain::ports::{Hours, Outbox};
use serde_json::{json, Value};

const ANSWER: &str = "Olá! Estamos fechados agora; voltamos às 8h.";

/// Every day closed (or open all day), with the automatic answer on or off.
fn week(open: bool, answer: bool) -> Value {
    let day = json!({ "open": open, "opens": "00:00", "closes": "24:00" });
    json!({
        "days": [day, day, day, day, day, day, day],
        "utc_offset_minutes": -180,
        "auto_answer_on": answer,
        "auto_answer": ANSWER,
    })
}

async fn writes(app: &TestApp, number: &str, name: &str, text: &str) -> ConversationId {
    app.contact_writes(number, name, text).await;
    let id = app.conversation_with(name).await.id;
    eventually(&format!("{name}'s message stored"), || async {
        let messages = app.store.messages(id).await.ok()?;
        messages.iter().any(|m| m.inbound && m.body.as_deref() == Some(text)).then_some(id)
    })
    .await
}

/// The automatic answers that reached Meta.
async fn answers(app: &TestApp) -> usize {
    app.sandbox.sent_messages().await.iter().filter(|s| s.summary == ANSWER).count()
}

#[tokio::test]
async fn a_contact_who_writes_while_closed_gets_the_automatic_answer_once_marked_as_automatic() {
    let app = spawn_app().await;
    let (status, body) =
        post_json(&app.client, &app, "save_team_hours", json!({ "team": null, "form": week(false, true) }))
            .await;
    assert_eq!(status, 200, "{body}");

    let id = writes(&app, "5511987652001", "Noite", "Oi, vocês estão aí?").await;
    let answer = eventually("the automatic answer accepted by Meta", || async {
        let messages = app.store.messages(id).await.ok()?;
        messages.into_iter().find(|m| !m.inbound && m.provider_id.is_some())
    })
    .await;
    assert_eq!(answer.body.as_deref(), Some(ANSWER));
    assert!(answer.extras.automatic, "shown as automatic");
    let summary = app.store.summary(id).await.expect("summary");
    assert_eq!(summary.assignee, atende_domain::conversation::Assignee::Unassigned, "waits for the morning");

    // The same night, again: no second answer.
    writes(&app, "5511987652001", "Noite", "Alô?").await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(answers(&app).await, 1);
    let outbound = app.store.messages(id).await.expect("messages").into_iter().filter(|m| !m.inbound).count();
    assert_eq!(outbound, 1);
}

#[tokio::test]
async fn open_or_with_the_answer_off_nothing_is_sent_and_only_admins_change_the_hours() {
    let app = spawn_app().await;
    let geral =
        app.store.ensure_team("Geral", atende_domain::time::Timestamp::from_millis(0)).await.expect("team");
    // Off by default: closed, but no answer.
    let (status, _) =
        post_json(&app.client, &app, "save_team_hours", json!({ "team": null, "form": week(false, false) }))
            .await;
    assert_eq!(status, 200);
    let quiet = writes(&app, "5511987652002", "Calado", "Oi").await;
    // Open all day, answer on: nothing either.
    let (status, _) =
        post_json(&app.client, &app, "save_team_hours", json!({ "team": null, "form": week(true, true) }))
            .await;
    assert_eq!(status, 200);
    let open = writes(&app, "5511987652003", "Aberto", "Oi").await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    for id in [quiet, open] {
        assert!(app.store.messages(id).await.expect("messages").iter().all(|m| m.inbound), "nothing sent");
    }

    // Refusals change nothing: a day closing before it opens, a team that does not exist, an agent.
    let saved = app.store.team_hours().await.expect("hours");
    let mut backwards = week(true, true);
    backwards["days"][2] = json!({ "open": true, "opens": "18:00", "closes": "08:00" });
    let (status, body) =
        post_json(&app.client, &app, "save_team_hours", json!({ "team": geral, "form": backwards })).await;
    assert_eq!((status, body), (422, json!({ "Hours": { "ClosesBeforeOpens": { "day": "Quarta" } } })));
    let (status, _) =
        post_json(&app.client, &app, "save_team_hours", json!({ "team": 9_999, "form": week(true, false) }))
            .await;
    assert_eq!(status, 404);
    let ana = app.agent_in("ana.horario@loja.com.br", &[geral]).await;
    let (status, body) =
        post_json(&ana, &app, "save_team_hours", json!({ "team": geral, "form": null })).await;
    assert_eq!((status, body), (403, json!({ "Hours": "NotAllowed" })));
    assert_eq!(app.store.team_hours().await.expect("hours"), saved);
    // An agent sees the hours of the shared inbox and of their teams.
    let (status, body) = post_json(&ana, &app, "hours_of_teams", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["manages"], json!(false));
    let names: Vec<Value> =
        body["teams"].as_array().expect("teams").iter().map(|t| t["team"]["name"].clone()).collect();
    assert_eq!(names, [Value::Null, json!("Geral")]);

    // A team's own hours, and back to always open.
    let (status, _) =
        post_json(&app.client, &app, "save_team_hours", json!({ "team": geral, "form": week(false, true) }))
            .await;
    assert_eq!(status, 200);
    let (status, _) =
        post_json(&app.client, &app, "save_team_hours", json!({ "team": geral, "form": null })).await;
    assert_eq!(status, 200);
    assert_eq!(app.store.team_hours().await.expect("hours").len(), 1, "only the inbox's are left");
}
