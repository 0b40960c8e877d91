//! What a hostile or broken world sends, by class: a webhook the store cannot apply, text no database keeps
//! alike, bytes that are not UTF-8, parallel guesses at a password, paths read two ways, another team's ids.
//! Each test is named after the class it holds shut, and runs on SQLite and PostgreSQL where the store is
//! involved.

use crate::common::{eventually, post_signed, sign_in_response, spawn_app_on, TestApp, TestDb};
use atende_server::providers::whatsapp::wire::signature_header;
use serde_json::{json, Value};
use sqlx::{Connection, Row};

/// Runs `$body` with `$app` on a fresh SQLite database, and again on PostgreSQL where it answers.
macro_rules! on_both {
    ($name:ident, |$app:ident| $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let $app = spawn_app_on(TestDb::sqlite().await).await;
                $body;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(db) = TestDb::postgres().await else { return };
                let $app = spawn_app_on(db).await;
                $body;
                $app.db.drop_database().await;
            }
        }
    };
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(&app.db.database.url()).await.expect("connect");
    let row = sqlx::query(sql).fetch_one(&mut conn).await.expect(sql);
    row.try_get::<i64, _>(0).expect("a number")
}

async fn execute(app: &TestApp, sql: &str) {
    let mut conn = sqlx::AnyConnection::connect(&app.db.database.url()).await.expect("connect");
    sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
}

fn on_postgres(app: &TestApp) -> bool {
    matches!(app.db.database, atende_server::Database::Postgres(_))
}

/// A Cloud API notification of a text from `number`, as Meta sends it to the sandbox's number.
fn whatsapp_text(app: &TestApp, id: &str, number: &str, text: &str) -> Value {
    let config = app.sandbox.config();
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": config.waba_id, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": config.display_phone_number,
                         "phone_number_id": config.phone_number_id},
            "contacts": [{"profile": {"name": "Cliente"}, "wa_id": number}],
            "messages": [{"from": number, "id": id, "timestamp": "1790000000", "type": "text",
                          "text": {"body": text}}]
        }}]}]
    })
}

/// A Messenger (`page`) or Instagram (`instagram`) notification of a text from `person`.
fn meta_text(app: &TestApp, object: &str, id: &str, person: &str, text: &str) -> Value {
    let config = app.others.config();
    let account = if object == "page" { &config.page_id } else { &config.instagram_id };
    json!({
        "object": object,
        "entry": [{"id": account, "time": 1_790_000_000_000_i64, "messaging": [{
            "sender": {"id": person}, "recipient": {"id": account}, "timestamp": 1_790_000_000_000_i64,
            "message": {"mid": id, "text": text}
        }]}]
    })
}

/// An Evolution API `messages.upsert` of a text from `number`.
fn evolution_text(app: &TestApp, id: &str, number: &str, text: &str) -> Value {
    json!({
        "event": "messages.upsert", "instance": app.others.config().evolution_instance, "apikey": null,
        "data": {"key": {"remoteJid": format!("{number}@s.whatsapp.net"), "fromMe": false, "id": id},
                 "pushName": "Cliente", "message": {"conversation": text}, "messageType": "conversation",
                 "messageTimestamp": 1_790_000_000_i64}
    })
}

/// Posts a body as its provider would (signed, or with the gateway's token); the HTTP status.
async fn deliver(app: &TestApp, provider: &str, body: &str) -> u16 {
    if provider != "evolution" {
        return post_signed(app, provider, body, app.sandbox.config().app_secret.as_bytes()).await;
    }
    app.client
        .post(format!("{}/webhooks/evolution", app.address))
        .bearer_auth(&app.others.config().evolution_webhook_token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

async fn health(app: &TestApp) -> Value {
    reqwest::get(format!("{}/health", app.address)).await.expect("GET").json().await.expect("json")
}

async fn stored_bodies(app: &TestApp, like: &str) -> Vec<String> {
    let mut conn = sqlx::AnyConnection::connect(&app.db.database.url()).await.expect("connect");
    sqlx::query("SELECT body FROM message WHERE body LIKE $1 ORDER BY message_id")
        .bind(like)
        .fetch_all(&mut conn)
        .await
        .expect("bodies")
        .iter()
        .map(|row| row.try_get::<String, _>("body").expect("body"))
        .collect()
}

/// Makes the store refuse any message whose text is `veneno`, as a database refuses a value it cannot keep.
async fn refuse_poison(app: &TestApp) {
    if on_postgres(app) {
        execute(
            app,
            "CREATE FUNCTION veneno() RETURNS trigger AS $$ BEGIN \
               IF NEW.body = 'veneno' THEN RAISE EXCEPTION 'veneno recusado'; END IF; RETURN NEW; END $$ \
             LANGUAGE plpgsql; \
             CREATE TRIGGER veneno BEFORE INSERT ON message FOR EACH ROW EXECUTE FUNCTION veneno();",
        )
        .await;
    } else {
        execute(
            app,
            "CREATE TRIGGER veneno BEFORE INSERT ON message WHEN NEW.body = 'veneno' \
             BEGIN SELECT RAISE(ABORT, 'veneno recusado'); END;",
        )
        .await;
    }
}

/// The one receipt set aside, once it is, after [`atende_server::inbox::RECEIPT_ATTEMPTS`] attempts.
async fn poison_set_aside(app: &TestApp) -> Vec<atende_server::store::inbound::SetAsideWebhook> {
    let set_aside = eventually("the poison is set aside", || async {
        let listed = app.store.set_aside_webhooks(10).await.ok()?;
        (listed.len() == 1).then_some(listed)
    })
    .await;
    assert_eq!(set_aside[0].attempts, atende_server::inbox::RECEIPT_ATTEMPTS);
    set_aside
}

on_both!(a_receipt_the_store_cannot_apply_is_set_aside_and_holds_up_nothing, |app| {
    refuse_poison(&app).await;
    let poison = whatsapp_text(&app, "wamid.veneno", "5511977770001", "veneno").to_string();
    assert_eq!(deliver(&app, "whatsapp", &poison).await, 200, "acknowledged: it is stored");
    // The receipts behind it are applied, on every provider.
    let after = [
        ("whatsapp", whatsapp_text(&app, "wamid.depois", "5511977770002", "depois do veneno")),
        ("meta", meta_text(&app, "page", "m_depois", "psid-depois", "depois do veneno no Messenger")),
        ("evolution", evolution_text(&app, "EVO-DEPOIS", "5511977770003", "depois do veneno no Evolution")),
    ];
    for (provider, body) in &after {
        assert_eq!(deliver(&app, provider, &body.to_string()).await, 200);
    }
    eventually("the receipts behind the poison are applied", || async {
        (stored_bodies(&app, "depois do veneno%").await.len() == 3).then_some(())
    })
    .await;
    // Tried a few times while the database works, then set aside with its reason, for an admin.
    let set_aside = poison_set_aside(&app).await;
    assert!(set_aside[0].reason.contains("veneno recusado"), "{}", set_aside[0].reason);
    assert!(set_aside[0].excerpt.contains("wamid.veneno"));
    let said = health(&app).await;
    assert_eq!(said["status"], "ok", "{said}");
    assert_eq!(said["webhooks"], json!({ "oldest_pending_seconds": null, "set_aside": 1 }), "{said}");
    let overview: Value = app
        .client
        .post(format!("{}/api/admin_overview", app.address))
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    assert_eq!(overview["set_aside"][0]["id"], set_aside[0].id, "{overview}");
    assert!(stored_bodies(&app, "veneno").await.is_empty());

    // Fixed ("the database takes it now"), the admin tries it again: applied.
    execute(&app, if on_postgres(&app) { "DROP TRIGGER veneno ON message" } else { "DROP TRIGGER veneno" })
        .await;
    let retry = || {
        app.client
            .post(format!("{}/api/admin_retry_webhook", app.address))
            .form(&[("receipt", set_aside[0].id.to_string())])
            .send()
    };
    let retried = retry().await.expect("POST");
    assert_eq!(retried.status(), 200, "{}", retried.text().await.unwrap_or_default());
    eventually("the poison is applied once retried", || async {
        (stored_bodies(&app, "veneno").await.len() == 1).then_some(())
    })
    .await;
    assert!(app.store.set_aside_webhooks(10).await.expect("list").is_empty());
    assert_eq!(retry().await.expect("POST").status(), 404, "only a receipt set aside can be retried");
});

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every place in `value` (object fields and array items, nested), as the steps from the top.
fn places(value: &Value, at: &mut Vec<Step>, found: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                at.push(Step::Key(key.clone()));
                found.push(at.clone());
                places(field, at, found);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                at.push(Step::Index(index));
                found.push(at.clone());
                places(item, at, found);
                at.pop();
            }
        }
        _ => {}
    }
}

/// `None`: the place is removed; else what it becomes.
fn replacements() -> Vec<Option<Value>> {
    vec![
        None,
        Some(json!("")),
        Some(Value::String("x".repeat(100_000))),
        Some(json!("antes\u{0}depois")),
        Some(json!(1e308)),
        Some(json!(u64::MAX)),
        Some(json!(i64::MIN)),
        Some(Value::Null),
        Some(json!([])),
        Some(json!({})),
        Some(json!(true)),
    ]
}

fn mutate(value: &mut Value, path: &[Step], replacement: Option<&Value>) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut here = value;
    for step in parents {
        here = match (step, here) {
            (Step::Key(key), Value::Object(fields)) => match fields.get_mut(key) {
                Some(next) => next,
                None => return,
            },
            (Step::Index(index), Value::Array(items)) => match items.get_mut(*index) {
                Some(next) => next,
                None => return,
            },
            _ => return,
        };
    }
    match (last, here, replacement) {
        (Step::Key(key), Value::Object(fields), None) => {
            fields.remove(key);
        }
        (Step::Key(key), Value::Object(fields), Some(new)) => {
            fields.insert(key.clone(), new.clone());
        }
        (Step::Index(index), Value::Array(items), None) if *index < items.len() => {
            items.remove(*index);
        }
        (Step::Index(index), Value::Array(items), Some(new)) if *index < items.len() => {
            items[*index] = new.clone();
        }
        _ => {}
    }
}

on_both!(mutated_webhooks_of_every_provider_never_stop_the_next_valid_message, |app| {
    type Sample = fn(&TestApp, usize) -> (&'static str, Value);
    let samples: [Sample; 4] = [
        |app, n| ("whatsapp", whatsapp_text(app, &format!("wamid.mut{n}"), "5511977771111", "mutação")),
        |app, n| ("meta", meta_text(app, "page", &format!("m_mut{n}"), "psid-mutante", "mutação")),
        |app, n| ("meta", meta_text(app, "instagram", &format!("ig_mut{n}"), "igsid-mutante", "mutação")),
        |app, n| ("evolution", evolution_text(app, &format!("EVO-MUT{n}"), "5511977772222", "mutação")),
    ];
    let mut n = 0;
    for sample in samples {
        let (provider, base) = sample(&app, 0);
        let mut found = Vec::new();
        places(&base, &mut Vec::new(), &mut found);
        for path in &found {
            for replacement in replacements() {
                n += 1;
                let (_, mut body) = sample(&app, n);
                mutate(&mut body, path, replacement.as_ref());
                let status = deliver(&app, provider, &body.to_string()).await;
                assert!(status < 500, "{provider} {path:?} → {replacement:?}: {status}");
            }
        }
        // A lone surrogate is not JSON a parser takes: refused at the door.
        n += 1;
        let (_, body) = sample(&app, n);
        let raw = body.to_string().replace("mutação", "\\ud800");
        assert!(deliver(&app, provider, &raw).await < 500, "{provider}: lone surrogate");
    }
    assert_eq!(n, 752, "every place of every sample, eleven ways, and a lone surrogate each");
    // The next valid message of each provider is applied, behind all of them.
    for sample in samples {
        let (provider, mut body) = sample(&app, 1_000_000);
        let text = format!("válida depois de {provider} {n}");
        let replaced = body.to_string().replace("mutação", &text);
        body = serde_json::from_str(&replaced).expect("json");
        assert_eq!(deliver(&app, provider, &body.to_string()).await, 200);
    }
    eventually("the valid messages after the mutants are applied", || async {
        (stored_bodies(&app, "válida depois de%").await.len() == 4).then_some(())
    })
    .await;
    // Nothing stays unlooked at: each was applied, kept as unreadable, or is being tried and set aside.
    eventually("the processor has looked at everything", || async {
        let said = health(&app).await;
        (said["webhooks"]["oldest_pending_seconds"].is_null() && said["status"] == "ok").then_some(())
    })
    .await;
    // A NUL from a contact is dropped, on both databases: the text is kept without it.
    assert!(stored_bodies(&app, "antesdepois").await.len() >= 3, "{:?}", stored_bodies(&app, "antes%").await);
});

async fn api_token(app: &TestApp) -> String {
    let response = app
        .client
        .post(format!("{}/api/admin_create_token", app.address))
        .json(&json!({ "name": "loja", "all_teams": true, "teams": [] }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    response.json::<String>().await.expect("the token")
}

on_both!(text_with_a_nul_is_refused_at_the_boundary_and_stores_nothing, |app| {
    let contacts = scalar(&app, "SELECT COUNT(*) FROM contact").await;
    let console = |endpoint: &str| format!("{}/api/{endpoint}", app.address);
    // The console's forms: a name, a message, a search.
    for (endpoint, form) in [
        ("create_contact", vec![("form[name]", "Ana\u{0}Souza"), ("form[phone]", "11 98765-4321")]),
        ("send_message", vec![("conversation", "1"), ("text", "olá\u{0}")]),
        ("search_contacts", vec![("text", "a\u{0}")]),
    ] {
        let refused = app.client.post(console(endpoint)).form(&form).send().await.expect("POST");
        assert_eq!(refused.status(), 422, "{endpoint}");
        let said: Value = refused.json().await.expect("the console's error");
        assert_eq!(said, json!({ "Text": "Nul" }), "{endpoint}");
    }
    // A template's value, in JSON.
    let refused = app
        .client
        .post(console("restart_conversation"))
        .json(&json!({ "conversation": 1, "template": "t", "language": "pt_BR", "values": ["x\u{0}"] }))
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status(), 422);
    // The public API: 422 with the reason, and the contact the call would have created does not exist.
    let token = api_token(&app).await;
    let api = crate::common::client();
    let upsert = api
        .put(format!("{}/api/v1/contacts", app.address))
        .bearer_auth(&token)
        .json(&json!({ "phone": "(21) 99876-5432", "name": "Pedro\u{0}" }))
        .send()
        .await
        .expect("PUT");
    assert_eq!(upsert.status(), 422);
    let said: Value = upsert.json().await.expect("json");
    assert_eq!(said["error"], "TextHasNul", "{said}");
    assert!(said["message"].as_str().is_some_and(|m| m.contains("U+0000")), "{said}");
    let start = api
        .post(format!("{}/api/v1/conversations", app.address))
        .bearer_auth(&token)
        .json(&json!({ "phone": "(21) 99876-5432", "name": "Pedro", "channel": 1, "team": 1,
                       "template": { "name": "t", "language": "pt_BR", "parameters": { "Corpo {{1}}": "\u{0}" } } }))
        .send()
        .await
        .expect("POST");
    assert_eq!(start.status(), 422);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contact").await, contacts, "a refused call stores nothing");
    // Other control characters are the rules' business, not the boundary's: a tab in a message is text.
    let named = app
        .client
        .post(console("create_contact"))
        .form(&[("form[name]", "Ana Souza"), ("form[phone]", "11 98765-4321")])
        .send()
        .await
        .expect("POST");
    assert_eq!(named.status(), 200);
});

on_both!(percent_encoded_bytes_that_are_not_utf8_are_refused_and_store_nothing, |app| {
    let contacts = scalar(&app, "SELECT COUNT(*) FROM contact").await;
    for body in [
        "form%5Bname%5D=Jo%E3o&form%5Bphone%5D=11987654321",
        "form%5Bname%5D=%FF%FE&form%5Bphone%5D=11987654321",
    ] {
        let refused = app
            .client
            .post(format!("{}/api/create_contact", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        assert_eq!(refused.status(), 400, "{body}");
        let said: Value = refused.json().await.expect("the console's error");
        assert_eq!(said, json!({ "Text": "NotUtf8" }));
    }
    let query =
        app.client.get(format!("{}/crm/contatos?busca=%C3%28", app.address)).send().await.expect("GET");
    assert_eq!(query.status(), 400, "in a query string too");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM contact").await, contacts);
    // The same name, well encoded, is a name.
    let kept = app
        .client
        .post(format!("{}/api/create_contact", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("form%5Bname%5D=Jo%C3%A3o&form%5Bphone%5D=11987654321")
        .send()
        .await
        .expect("POST");
    assert_eq!(kept.status(), 200);
    let contact: Value = kept.json().await.expect("json");
    assert_eq!(contact["name"], "João");
});

on_both!(parallel_guesses_at_one_password_are_counted_before_they_are_checked, |app| {
    let email = "alvo@teste.local";
    let _agent = app.agent_in(email, &[]).await;
    // 59 wrong guesses at once: at most ten are checked, the rest refused before their password is looked at
    // (or told to come back, when too many passwords are being checked at once).
    let attempts: Vec<_> = (0..59)
        .map(|i| {
            let address = app.address.clone();
            tokio::spawn(async move {
                let response = sign_in_response(&address, email, &format!("chute-{i}")).await;
                let retry_after = response.headers().contains_key("retry-after");
                (response.status().as_u16(), retry_after)
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.expect("answered"));
    }
    let count = |wanted: u16| statuses.iter().filter(|(status, _)| *status == wanted).count();
    assert!(count(303) <= atende_domain::access::SIGN_IN_FAILURES_ALLOWED, "{statuses:?}");
    assert_eq!(count(303) + count(429) + count(503), 59, "{statuses:?}");
    assert!(statuses.iter().all(|(status, retry_after)| *status == 303 || *retry_after), "{statuses:?}");
    // Then the right password: the e-mail is locked, it gets no session.
    let after = sign_in_response(&app.address, email, "senha-do-agente").await;
    assert_eq!(after.status(), 429);
    assert!(after.headers().get("set-cookie").is_none());
});

/// Sends `request` as raw bytes (no client normalises its path) and reads the answer's status line.
async fn raw(app: &TestApp, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_path_read_two_ways_is_refused_before_the_gate_and_the_router() {
    let app = spawn_app_on(TestDb::sqlite().await).await;
    for path in [
        "/sandbox/../admin",
        "/pkg/%2e%2e/crm/contatos",
        "/pkg/%2E%2E/admin",
        "/webhooks/../",
        "/sandbox/./../crm/contatos",
        "/pkg/..%2fadmin",
    ] {
        let answer = raw(&app, &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {}", answer.lines().next().unwrap_or_default());
        assert!(!answer.contains("Administração") && !answer.contains("Contatos"), "{path} rendered a page");
    }
    // The plain paths still work as before: the console needs a session, static files do not.
    let console = raw(&app, "GET /admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(console.starts_with("HTTP/1.1 303"), "{}", console.lines().next().unwrap_or_default());
}

#[tokio::test]
async fn pages_carry_a_policy_their_scripts_work_under_and_another_teams_ids_are_not_found() {
    let app = spawn_app_on(TestDb::sqlite().await).await;
    let page = app.client.get(format!("{}/", app.address)).send().await.expect("GET");
    let header = |name: &str| page.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let policy = header("content-security-policy").expect("a Content-Security-Policy");
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("referrer-policy").as_deref(), Some("same-origin"));
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("'wasm-unsafe-eval'"), "{policy}");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the policy names a nonce")
        .to_owned();
    let html = page.text().await.expect("html");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the policy's nonce");
    let second = app.client.get(format!("{}/", app.address)).send().await.expect("GET");
    let again =
        second.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(!again.contains(&nonce), "a nonce is used once");
    // Other HTML (the sign-in refusal, the simulator) may run no script at all.
    let simulator = app.client.get(format!("{}/sandbox/simulador", app.address)).send().await.expect("GET");
    let plain =
        simulator.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(plain.contains("script-src 'none'"), "{plain}");

    // Another team's conversation answers as one that does not exist.
    let team_a =
        app.store.ensure_team("Vendas", atende_domain::time::Timestamp::from_millis(0)).await.expect("team");
    let team_b = app
        .store
        .ensure_team("Financeiro", atende_domain::time::Timestamp::from_millis(0))
        .await
        .expect("team");
    let contact = app.create_contact("Cliente do Financeiro", "(11) 97777-3333").await;
    let of_b = app.start_unofficial(contact, team_b).await;
    let agent = app.agent_in("ana@teste.local", &[team_a]).await;
    let view = |id: i64| {
        agent
            .post(format!("{}/api/conversation_view", app.address))
            .form(&[("conversation", id.to_string())])
            .send()
    };
    let theirs = view(of_b).await.expect("POST");
    let missing = view(999_999).await.expect("POST");
    assert_eq!(theirs.status(), 404);
    assert_eq!(missing.status(), 404);
    assert_eq!(theirs.text().await.expect("body"), missing.text().await.expect("body"), "the same answer");
}

#[tokio::test]
async fn processed_webhook_bodies_are_deleted_after_the_retention_and_set_aside_ones_kept() {
    use atende_domain::time::Timestamp;
    for db in [Some(TestDb::sqlite().await), TestDb::postgres().await].into_iter().flatten() {
        let store = db.store().await;
        let day = 86_400_000;
        let t0 = Timestamp::from_millis(1_790_000_000_000);
        store
            .record_webhooks(
                &[
                    ("whatsapp", "{\"velho\":1}"),
                    ("whatsapp", "{\"novo\":2}"),
                    ("whatsapp", "{\"preso\":3}"),
                    ("whatsapp", "{\"pendente\":4}"),
                ],
                t0,
            )
            .await
            .expect("stored");
        let ids: Vec<i64> =
            store.pending_webhooks(0, 10).await.expect("pending").iter().map(|w| w.id).collect();
        store.mark_webhook_processed(ids[0], None, t0).await.expect("processed long ago");
        store.mark_webhook_processed(ids[1], None, t0.plus_millis(29 * day)).await.expect("processed lately");
        for _ in 0..atende_server::inbox::RECEIPT_ATTEMPTS {
            store
                .receipt_failed(ids[2], "recusado", atende_server::inbox::RECEIPT_ATTEMPTS, t0)
                .await
                .expect("counted");
        }
        let now = t0.plus_millis(31 * day);
        assert_eq!(store.prune_webhooks(now.plus_millis(-30 * day), 1000).await.expect("pruned"), 1);
        assert_eq!(store.prune_webhooks(now.plus_millis(-30 * day), 1000).await.expect("pruned"), 0);
        let pending: Vec<i64> =
            store.pending_webhooks(0, 10).await.expect("pending").iter().map(|w| w.id).collect();
        assert_eq!(pending, [ids[3]], "the set-aside one is not pending, the pending one stays");
        assert_eq!(store.set_aside_webhooks(10).await.expect("list").len(), 1, "kept until an admin acts");
        // In chunks: the oldest first, never more than asked.
        assert_eq!(store.prune_webhooks(now.plus_millis(day), 1).await.expect("pruned"), 1);
        db.drop_database().await;
    }
}

on_both!(two_teams_starting_one_conversation_at_once_never_both_win, |app| {
    use atende_domain::conversation::ChannelKind;
    let t0 = atende_domain::time::Timestamp::from_millis(0);
    let vendas = app.store.ensure_team("Vendas", t0).await.expect("team");
    let financeiro = app.store.ensure_team("Financeiro", t0).await.expect("team");
    let ana = app.agent_in("ana@teste.local", &[vendas]).await;
    let bia = app.agent_in("bia@teste.local", &[financeiro]).await;
    let channel = app
        .store
        .channel_id_by_provider(ChannelKind::WhatsappUnofficial, &app.others.config().evolution_instance)
        .await
        .expect("lookup")
        .expect("the sandbox's unofficial channel");
    for round in 0..20 {
        // A contact writes first: the conversation is in the shared inbox, which both agents see.
        let number = format!("55119777{round:05}");
        let name = format!("Cliente {round}");
        app.others.simulate(ChannelKind::WhatsappUnofficial, &number, &name, "Oi", 0).await.expect("sent");
        let contact = eventually("the contact's conversation", || async {
            let listed = atende_domain::ports::Store::list_conversations(
                &app.store,
                atende_domain::conversation::Tab::All,
            )
            .await
            .ok()?;
            listed.into_iter().find(|c| c.contact_name.as_str() == name).map(|c| c.contact_id.0)
        })
        .await;
        let start = |client: reqwest::Client, team: i64| {
            let url = format!("{}/api/start_conversation", app.address);
            tokio::spawn(async move {
                let body = json!({ "contact": contact, "channel": channel, "team": team, "template": null, "values": [] });
                client.post(url).json(&body).send().await.expect("POST").status().as_u16()
            })
        };
        let (a, b) = (start(ana.clone(), vendas), start(bia.clone(), financeiro));
        let (a, b) = (a.await.expect("answered"), b.await.expect("answered"));
        let winners = [a, b].iter().filter(|s| **s == 200).count();
        assert_eq!(winners, 1, "round {round}: Vendas {a}, Financeiro {b}");
        let loser = if a == 200 { b } else { a };
        assert!(loser == 409 || loser == 403, "round {round}: the other is refused, not moved: {loser}");
        let moves = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM audit_event a JOIN conversation c ON c.conversation_id = a.conversation_id \
                 WHERE c.contact_id = {contact} AND a.action = 'started'"
            ),
        )
        .await;
        assert_eq!(moves, 1, "round {round}: started once");
    }
});

/// A small filesystem of its own (tmpfs), where the test runs as root; `None`, said loudly, elsewhere (on
/// CI, which runs as root, it must work).
fn small_filesystem(megabytes: u32) -> Option<(tempfile::TempDir, Unmount)> {
    let dir = tempfile::tempdir().expect("dir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI runs as root and must mount a tmpfs");
        eprintln!("!!! disk-full test SKIPPED: cannot mount a tmpfs here (not root?) !!!");
        return None;
    }
    let unmount = Unmount(dir.path().to_path_buf());
    Some((dir, unmount))
}

struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes to `path` until the filesystem is full.
fn fill(path: &std::path::Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).expect("filler");
    let chunk = vec![0_u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.flush();
    let mut byte = vec![0_u8; 512];
    while file.write_all(&byte[..1]).is_ok() {
        byte.push(0);
    }
}

#[tokio::test]
async fn a_full_disk_is_an_error_to_the_caller_and_writes_work_again_once_space_is_freed() {
    let Some((dir, _unmount)) = small_filesystem(24) else { return };
    let app = spawn_app_on(TestDb::sqlite_in(dir.path())).await;
    let contact = |name: &str, phone: &str| {
        app.client
            .post(format!("{}/api/create_contact", app.address))
            .form(&[("form[name]", name.to_owned()), ("form[phone]", phone.to_owned())])
            .send()
    };
    assert_eq!(contact("Antes", "(11) 98888-0001").await.expect("POST").status(), 200);
    let filler = dir.path().join("enchimento");
    fill(&filler);

    // Nothing is answered as saved that is not: the contact, the team.
    let refused = contact("Durante", "(11) 98888-0002").await.expect("POST");
    assert_eq!(refused.status(), 503, "{}", refused.text().await.unwrap_or_default());
    let team = app
        .client
        .post(format!("{}/api/admin_create_team", app.address))
        .form(&[("name", "Equipe do disco cheio")])
        .send()
        .await
        .expect("POST");
    assert_eq!(team.status(), 503);
    let said = health(&app).await;
    assert_eq!(said["status"], "indisponível", "{said}");
    assert!(said["reason"].as_str().is_some_and(|r| r.contains("gravações")), "{said}");

    // Space freed: everything works again, with no restart.
    std::fs::remove_file(&filler).expect("freed");
    eventually("health says ok again", || async { (health(&app).await["status"] == "ok").then_some(()) })
        .await;
    assert_eq!(contact("Depois", "(11) 98888-0003").await.expect("POST").status(), 200);
    let mut names: Vec<String> = atende_domain::ports::Store::search_contacts(
        &app.store,
        &atende_domain::ports::ContactQuery { text: String::new(), limit: 10, label: None },
    )
    .await
    .expect("read")
    .into_iter()
    .map(|c| c.name.as_str().to_owned())
    .collect();
    names.sort();
    assert_eq!(names, ["Antes", "Depois"], "what was answered as saved, and only that");
    let webhook = whatsapp_text(&app, "wamid.depois-do-disco", "5511977779999", "depois do disco cheio");
    assert_eq!(deliver(&app, "whatsapp", &webhook.to_string()).await, 200);
    eventually("a webhook is applied again", || async {
        (stored_bodies(&app, "depois do disco cheio").await.len() == 1).then_some(())
    })
    .await;
    let again =
        sign_in_response(&app.address, crate::common::ADMIN_EMAIL, crate::common::ADMIN_PASSWORD).await;
    assert_eq!(again.status(), 303);
    assert!(again.headers().get("set-cookie").is_some(), "signing in works again");
}

/// A TCP relay to PostgreSQL that can play a server that went away: while down, it drops every connection
/// it carries and refuses the new ones (closes them at once).
struct Relay {
    address: std::net::SocketAddr,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    carried: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn to(target: &str) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let carried = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (target, is_up, tasks) = (target.to_owned(), up.clone(), carried.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !is_up.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().expect("tasks").push(task);
            }
        });
        Self { address, up, carried }
    }

    fn down(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for task in self.carried.lock().expect("tasks").drain(..) {
            task.abort();
        }
    }

    fn up(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn postgresql_gone_fails_each_request_in_seconds_and_recovery_needs_no_restart() {
    let Some(mut db) = TestDb::postgres().await else { return };
    let atende_server::Database::Postgres(url) = db.database.clone() else { unreachable!() };
    // postgres://host:port/name → the same through the relay.
    let (scheme_host, name) = url.rsplit_once('/').expect("a database name");
    let target =
        scheme_host.rsplit('@').next().unwrap_or(scheme_host).trim_start_matches("postgres://").to_owned();
    let target = if target.contains(':') { target } else { format!("{target}:5432") };
    let relay = Relay::to(&target).await;
    let user =
        scheme_host.trim_start_matches("postgres://").split_once('@').map(|(user, _)| format!("{user}@"));
    db.database = atende_server::Database::Postgres(format!(
        "postgres://{}{}/{name}",
        user.unwrap_or_default(),
        relay.address
    ));
    let app = spawn_app_on(db).await;
    assert_eq!(health(&app).await["status"], "ok");

    relay.down();
    let began = std::time::Instant::now();
    let checked = reqwest::get(format!("{}/health", app.address)).await.expect("GET");
    assert_eq!(checked.status(), 503);
    assert!(began.elapsed() < std::time::Duration::from_millis(1_500), "/health took {:?}", began.elapsed());
    let said: Value = checked.json().await.expect("json");
    assert!(said["reason"].as_str().is_some_and(|r| r.contains("banco de dados")), "{said}");
    for (what, request) in [
        ("page", app.client.get(format!("{}/", app.address))),
        ("webhook", {
            let body = whatsapp_text(&app, "wamid.sem-banco", "5511977778888", "sem banco").to_string();
            let signature = signature_header(app.sandbox.config().app_secret.as_bytes(), body.as_bytes());
            app.client
                .post(format!("{}/webhooks/whatsapp", app.address))
                .header("x-hub-signature-256", signature)
                .header("content-type", "application/json")
                .body(body)
        }),
        (
            "server function",
            app.client.post(format!("{}/api/list_conversations", app.address)).form(&[("tab", "All")]),
        ),
    ] {
        let began = std::time::Instant::now();
        let answer = request.send().await.expect("answered");
        assert_eq!(answer.status(), 503, "{what}");
        assert!(began.elapsed() < std::time::Duration::from_secs(5), "{what} took {:?}", began.elapsed());
    }

    relay.up();
    eventually("health is ok again", || async { (health(&app).await["status"] == "ok").then_some(()) }).await;
    let page = app.client.get(format!("{}/", app.address)).send().await.expect("GET");
    assert_eq!(page.status(), 200, "no restart needed");
    app.db.drop_database().await;
}

/// Opens a connection and sends `head` (an unfinished request); the stream, kept open.
async fn stalled(address: &str, head: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream =
        tokio::net::TcpStream::connect(address.trim_start_matches("http://")).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
}

/// Whether the server closed `stream` (or answered and closed) within `most`.
async fn closed_within(stream: &mut tokio::net::TcpStream, most: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0_u8; 4096];
    let until = tokio::time::Instant::now() + most;
    loop {
        match tokio::time::timeout_at(until, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_never_keep_others_out() {
    let second = std::time::Duration::from_secs(1);
    let app = crate::common::spawn_app_configured(TestDb::sqlite().await, |settings| {
        settings.request_head_timeout = second;
        settings.request_body_timeout = second;
        settings.max_connections = 16;
    })
    .await;
    // An unfinished head, a body trickled a byte at a time: both cut off after their second.
    let mut head = stalled(&app.address, "GET /health HTTP/1.1\r\nHost: x\r\n").await;
    assert!(closed_within(&mut head, 3 * second).await, "an unfinished head keeps its connection");
    let mut body = stalled(
        &app.address,
        "POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    )
    .await;
    let trickle = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        for _ in 0..40 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if body.write_all(b" ").await.is_err() {
                break;
            }
        }
        closed_within(&mut body, 3 * second).await
    });
    assert!(trickle.await.expect("trickled"), "a trickled body keeps its connection");
    // Twice as many stalled clients as there are places: the others are still served within a head's time.
    let mut held = Vec::new();
    for _ in 0..32 {
        held.push(stalled(&app.address, "GET / HTTP/1.1\r\nHost: x\r\n").await);
    }
    let began = std::time::Instant::now();
    let answer = crate::common::client()
        .get(format!("{}/health", app.address))
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .expect("served");
    assert_eq!(answer.status(), 200);
    assert!(began.elapsed() < 5 * second, "/health waited {:?}", began.elapsed());
}

on_both!(a_receipt_the_store_refuses_amid_a_page_holds_up_none_of_the_others, |app| {
    refuse_poison(&app).await;
    // Eleven receipts stored at once, read by the processor as one page: the poison is the sixth.
    let bodies: Vec<String> = (0..11)
        .map(|i| {
            let text = if i == 5 { "veneno".to_owned() } else { format!("vizinho {i} do veneno") };
            whatsapp_text(&app, &format!("wamid.vizinho{i}"), &format!("55119777700{i:02}"), &text)
                .to_string()
        })
        .collect();
    let receipts: Vec<(&str, &str)> = bodies.iter().map(|body| ("whatsapp", body.as_str())).collect();
    app.store
        .record_webhooks(&receipts, atende_domain::time::Timestamp::from_millis(1_790_000_000_000))
        .await
        .expect("stored");
    let set_aside = poison_set_aside(&app).await;
    assert!(set_aside[0].excerpt.contains("wamid.vizinho5"), "{}", set_aside[0].excerpt);
    let stored = stored_bodies(&app, "vizinho % do veneno").await;
    assert_eq!(stored.len(), 10, "every receipt but the poison, once each: {stored:?}");
    assert!(stored_bodies(&app, "veneno").await.is_empty());
});
