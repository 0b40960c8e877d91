//! The conversation list a page at a time (issue #20): the page the server renders has the first 50 rows and
//! "Carregar mais"; the next page starts where the first ended; a conversation that moves is read again.

use crate::common::{post_json, spawn_app_on, TestApp};
use serde_json::{json, Value};

const T0: atende_domain::time::Timestamp = atende_domain::time::Timestamp::from_millis(1_700_000_000_000);

async fn page(app: &TestApp, tab: &str, after: Value) -> Value {
    let (status, body) =
        post_json(&app.client, app, "list_filtered", json!({ "tab": tab, "filter": {}, "after": after }))
            .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn ids(page: &Value) -> Vec<i64> {
    page["rows"].as_array().expect("rows").iter().map(|row| row["id"].as_i64().expect("id")).collect()
}

contract!(the_first_page_has_fifty_rows_and_the_next_starts_where_it_ended, |db| {
    let app = spawn_app_on(db.shared()).await;
    let team = app.store.ensure_team("Vendas", T0).await.expect("team");
    let mut started = Vec::new();
    for i in 0..55 {
        let contact = app.create_contact(&format!("Cliente {i:02}"), &format!("(11) 93000-{i:04}")).await;
        started.push(app.start_unofficial(contact, team).await);
    }
    let html =
        app.client.get(format!("{}/", app.address)).send().await.expect("GET").text().await.expect("html");
    assert_eq!(html.matches("<li class=\"row").count(), 50, "the first page of \"Meus\" only");
    assert!(html.contains("Carregar mais"));

    let first = page(&app, "Mine", Value::Null).await;
    let second = page(&app, "Mine", first["next"].clone()).await;
    assert_eq!(second["next"], Value::Null, "the last page");
    let mut listed = ids(&first);
    listed.extend(ids(&second));
    let newest_first: Vec<i64> = started.iter().rev().copied().collect();
    assert_eq!(listed, newest_first);

    // The oldest gets a message: it moves to the top of the first page and leaves the second.
    app.send_text(started[0], "Bom dia!").await;
    let first = page(&app, "Mine", Value::Null).await;
    assert_eq!(ids(&first)[0], started[0]);
    let second = page(&app, "Mine", first["next"].clone()).await;
    assert!(!ids(&second).contains(&started[0]));
    assert_eq!(ids(&first).len() + ids(&second).len(), 55);

    let (status, _) = post_json(
        &app.client,
        &app,
        "list_filtered",
        json!({ "tab": "Mine", "filter": {}, "after": { "updated_at": "ontem", "id": 1 } }),
    )
    .await;
    assert_eq!(status, 400, "a cursor that is not one");
});
