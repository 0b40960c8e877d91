//! What a hostile or broken world sends, by class: a webhook the store cannot apply, text no database keeps
//! alike, bytes that are not UTF-8, parallel guesses at a password, paths read two ways, another team's ids.
//! Each test is named after the class it holds shut, and runs on SQLite and PostgreSQL where the store is
//! involved.

use crate::common::{eventually, sign_in_response, spawn_app_on, TestApp, TestDb};
use atende_server::whatsapp::wire::signature_header;
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
    let secret = app.sandbox.config().app_secret.as_bytes();
    let request = match provider {
        "evolution" => app
            .client
            .post(format!("{}/webhooks/evolution", app.address))
            .bearer_auth(&app.others.config().evolution_webhook_token),
        "meta" => app
            .client
            .post(format!("{}/webhooks/meta", app.address))
            .header("x-hub-signature-256", signature_header(secret, body.as_bytes())),
        _ => app
            .client
            .post(format!("{}/webhooks/whatsapp", app.address))
            .header("x-hub-signature-256", signature_header(secret, body.as_bytes())),
    };
    request
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
    let set_aside = eventually("the poison is set aside", || async {
        let listed = app.store.set_aside_webhooks(10).await.ok()?;
        (listed.len() == 1).then_some(listed)
    })
    .await;
    assert_eq!(set_aside[0].attempts, atende_server::webhooks::RECEIPT_ATTEMPTS);
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
    let retried = app
        .client
        .post(format!("{}/api/admin_retry_webhook", app.address))
        .form(&[("receipt", set_aside[0].id.to_string())])
        .send()
        .await
        .expect("POST");
    assert_eq!(retried.status(), 200, "{}", retried.text().await.unwrap_or_default());
    eventually("the poison is applied once retried", || async {
        (stored_bodies(&app, "veneno").await.len() == 1).then_some(())
    })
    .await;
    assert!(app.store.set_aside_webhooks(10).await.expect("list").is_empty());
    let again = app
        .client
        .post(format!("{}/api/admin_retry_webhook", app.address))
        .form(&[("receipt", set_aside[0].id.to_string())])
        .send()
        .await
        .expect("POST");
    assert_eq!(again.status(), 404, "only a receipt set aside can be retried");
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
    assert!(n > 500, "{n} mutated webhooks");
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
    let api = reqwest::Client::new();
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
        for _ in 0..atende_server::webhooks::RECEIPT_ATTEMPTS {
            store
                .receipt_failed(ids[2], "recusado", atende_server::webhooks::RECEIPT_ATTEMPTS, t0)
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
