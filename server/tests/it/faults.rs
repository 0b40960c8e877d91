//! Bad input, over real HTTP: malformed, oversized and wrongly signed webhooks get a precise 4xx and leave
//! nothing behind; hostile strings (markup, SQL, control characters) from a contact or typed by an agent are
//! stored as the text they are, refused where a rule forbids them, and rendered inert.

use crate::common::{eventually, spawn_app, TestApp};
use atende_domain::conversation::Tab;
use atende_domain::ports::Store;
use atende_server::providers::whatsapp::wire::signature_header;
use atende_server::sandbox::{SimulatedContent, SimulatedInbound};
use serde_json::json;
use sqlx::{Connection, Row};

const HOSTILE_NAME: &str = "<script>alert('nome')</script> Robert'); DROP TABLE contact;--";
const HOSTILE_TEXT: &str = "<img src=x onerror=alert(1)> '; DELETE FROM message; -- \u{7}fim";

async fn count(app: &TestApp, table: &str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(&app.db.database.url()).await.expect("connect");
    let row =
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(&mut conn).await.expect("count");
    row.try_get("n").expect("n")
}

async fn post_webhook(app: &TestApp, body: Vec<u8>, signature: Option<String>) -> u16 {
    let mut request = app
        .client
        .post(format!("{}/webhooks/whatsapp", app.address))
        .header("content-type", "application/json")
        .body(body);
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().await.expect("POST").status().as_u16()
}

fn signed(app: &TestApp, body: &[u8]) -> Option<String> {
    Some(signature_header(app.sandbox.config().app_secret.as_bytes(), body))
}

#[tokio::test]
async fn malformed_oversized_and_unsigned_webhooks_get_a_precise_4xx_and_nothing_is_stored() {
    let app = spawn_app().await;
    let receipts = count(&app, "webhook_receipt").await;

    // More than 3 MB, even correctly signed: 413 before anything is read into the database.
    let huge = format!(r#"{{"object":"whatsapp_business_account","pad":"{}"}}"#, "a".repeat(3 * 1024 * 1024));
    assert_eq!(post_webhook(&app, huge.clone().into_bytes(), signed(&app, huge.as_bytes())).await, 413);
    // Signed, but not JSON / not UTF-8: 400.
    assert_eq!(post_webhook(&app, b"{not json".to_vec(), signed(&app, b"{not json")).await, 400);
    let latin1 = b"{\"nome\":\"Jo\xe3o\"}".to_vec();
    assert_eq!(post_webhook(&app, latin1.clone(), signed(&app, &latin1)).await, 400);
    // A good body with a wrong signature, a signature of another body, or none: 401.
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#.to_vec();
    let wrong = Some(signature_header(b"outro-segredo", &body));
    assert_eq!(post_webhook(&app, body.clone(), wrong).await, 401);
    assert_eq!(post_webhook(&app, body.clone(), signed(&app, b"outro corpo")).await, 401);
    assert_eq!(post_webhook(&app, body.clone(), Some("sha256=zz".into())).await, 401);
    assert_eq!(post_webhook(&app, body.clone(), None).await, 401);
    assert_eq!(count(&app, "webhook_receipt").await, receipts, "nothing refused was stored");

    // Signed JSON of a shape Meta never sends is acknowledged (Meta would retry it for days) and creates
    // nothing: no contact, no conversation, no message.
    let odd = br#"{"object":"whatsapp_business_account","entry":"nada","x":[1,2,3]}"#.to_vec();
    assert_eq!(post_webhook(&app, odd.clone(), signed(&app, &odd)).await, 200);
    let contacts = count(&app, "contact").await;
    eventually("the odd body is processed", || async {
        let mut conn = sqlx::AnyConnection::connect(&app.db.database.url()).await.ok()?;
        let pending: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM webhook_receipt WHERE processed_at IS NULL")
                .fetch_one(&mut conn)
                .await
                .ok()?
                .try_get("n")
                .ok()?;
        (pending == 0).then_some(())
    })
    .await;
    assert_eq!(count(&app, "contact").await, contacts);
    assert_eq!(count(&app, "message").await, 0);
}

#[tokio::test]
async fn hostile_strings_from_a_contact_are_kept_as_text_and_rendered_inert() {
    let app = spawn_app().await;
    app.sandbox
        .simulate_inbound(SimulatedInbound {
            number: "+55 11 98123-4567".into(),
            name: HOSTILE_NAME.into(),
            content: SimulatedContent::Text(HOSTILE_TEXT.into()),
        })
        .await
        .expect("delivered");
    let conversation = eventually("the hostile message is stored", || async {
        app.store.list_conversations(Tab::All).await.ok()?.into_iter().next()
    })
    .await;
    // The name keeps its markup and SQL as text.
    assert_eq!(conversation.contact_name.as_str(), HOSTILE_NAME);
    let view = app.conversation_view(conversation.id.0).await;
    let body = view["messages"][0]["body"].as_str().expect("a body");
    assert_eq!(body, HOSTILE_TEXT, "stored exactly as sent, control character included");
    assert_eq!(count(&app, "contact").await, 1, "the tables are all there");

    // Taken by the admin, it is in "Meus", which the server renders: the markup comes out as text.
    let admin = app
        .store
        .agent_by_email(&atende_domain::access::Email::parse(crate::common::ADMIN_EMAIL).expect("e-mail"))
        .await
        .expect("lookup")
        .expect("the admin");
    let taken = app
        .client
        .post(format!("{}/api/assign_conversation", app.address))
        .form(&[("conversation", conversation.id.0.to_string()), ("agent", admin.id.to_string())])
        .send()
        .await
        .expect("POST");
    assert_eq!(taken.status(), 200, "{}", taken.text().await.unwrap_or_default());
    let page =
        app.client.get(format!("{}/", app.address)).send().await.expect("GET").text().await.expect("html");
    assert!(page.contains("&lt;script&gt;alert("), "the name is server-rendered, escaped");
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the last message is server-rendered, escaped"
    );
    assert!(!page.contains("<script>alert('nome')") && !page.contains("<img src=x"), "rendered as markup");
}

#[tokio::test]
async fn hostile_strings_typed_by_an_agent_are_refused_by_rule_or_kept_as_text() {
    let app = spawn_app().await;
    // Control characters cannot be part of a name: 422 naming the rule (the console words it in Portuguese),
    // nothing stored. (A NUL is refused before any rule: see `hardening`.)
    let refused = app
        .client
        .post(format!("{}/api/create_contact", app.address))
        .form(&[("form[name]", "Ana\u{1}Souza"), ("form[phone]", "11 98765-4321")])
        .send()
        .await
        .expect("POST");
    let status = refused.status();
    let said = refused.text().await.expect("body");
    assert!(status == 422 && said.contains("NameHasControlCharacters"), "{status}: {said}");
    assert_eq!(count(&app, "contact").await, 0);

    // Markup and SQL are just a name.
    let contact = app.create_contact(HOSTILE_NAME, "11 98765-4321").await;
    let geral =
        app.store.ensure_team("Geral", atende_domain::time::Timestamp::from_millis(0)).await.expect("team");
    let conversation = app.start_unofficial(contact, geral).await;
    app.send_text(conversation, HOSTILE_TEXT).await;
    let view = app.conversation_view(conversation).await;
    let bodies: Vec<&str> =
        view["messages"].as_array().expect("messages").iter().filter_map(|m| m["body"].as_str()).collect();
    assert!(bodies.contains(&HOSTILE_TEXT), "{bodies:?}");
    // The conversation is the starter's, in "Meus", which the server renders: the name comes out as text.
    let page =
        app.client.get(format!("{}/", app.address)).send().await.expect("GET").text().await.expect("html");
    assert!(page.contains("&lt;script&gt;alert("), "the name is server-rendered, escaped");
    assert!(!page.contains("<script>alert('nome')"), "the name was rendered as markup");

    // A JSON body where a form is expected, and a form with a field of the wrong type: 400 or 415, not 500.
    let wrong = app
        .client
        .post(format!("{}/api/send_message", app.address))
        .form(&[("conversation", "não é número"), ("text", "oi")])
        .send()
        .await
        .expect("POST");
    assert_eq!(wrong.status(), 400, "{}", wrong.text().await.unwrap_or_default());
    let garbage = app
        .client
        .post(format!("{}/api/restart_conversation", app.address))
        .header("content-type", "application/json")
        .body(json!({ "conversation": conversation, "template": 5 }).to_string())
        .send()
        .await
        .expect("POST");
    assert_eq!(garbage.status(), 400, "{}", garbage.text().await.unwrap_or_default());
}

/// A fault for each of the next `sends` attempts, from a fixed pseudo-random sequence: about 20% answer 5xx,
/// 5% time out (the client gives up first), 30% are accepted with their status webhooks duplicated or
/// reordered, and every 25th attempt starts a burst of four 429s (130429, Meta's throughput limit).
fn fault_plan(sends: usize) -> Vec<atende_server::sandbox::Fault> {
    use atende_server::sandbox::Fault;
    let mut seed: u64 = 0x5eed_a7e1;
    let mut plan = Vec::with_capacity(sends);
    while plan.len() < sends {
        if plan.len() % 25 == 24 {
            for _ in 0..4 {
                plan.push(Fault::Error {
                    code: 130429,
                    http_status: Some(429),
                    message: None,
                    details: None,
                });
            }
            continue;
        }
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        plan.push(match (seed >> 33) % 100 {
            0..=19 => Fault::ServerError { status: Some(503) },
            20..=24 => Fault::Timeout { seconds: Some(3) },
            25..=39 => Fault::DuplicateStatuses,
            40..=54 => Fault::ReorderStatuses,
            _ => Fault::Pass,
        });
    }
    plan
}

#[tokio::test]
async fn provider_faults_delay_sends_but_never_lose_reorder_or_duplicate_them() {
    // A send lease of 3 s gives the Cloud API client a 1.2 s timeout: the sandbox's 3 s "timeouts" are real.
    let app = crate::common::spawn_app_configured(crate::common::TestDb::sqlite().await, |settings| {
        settings.send_lease_seconds = 3;
    })
    .await;
    const CONTACTS: usize = 6;
    const EACH: usize = 5;
    let numbers: Vec<String> = (0..CONTACTS).map(|i| format!("+55 11 98000-00{i:02}")).collect();
    for (i, number) in numbers.iter().enumerate() {
        app.sandbox
            .simulate_inbound(SimulatedInbound {
                number: number.clone(),
                name: format!("Cliente {i}"),
                content: SimulatedContent::Text("Oi".into()),
            })
            .await
            .expect("delivered");
    }
    let conversations = eventually("every contact's conversation", || async {
        let list = app.store.list_conversations(Tab::All).await.ok()?;
        (list.len() == CONTACTS).then_some(list)
    })
    .await;
    for fault in fault_plan(CONTACTS * EACH * 3) {
        app.sandbox.inject_fault(fault, 1).await;
    }
    // Each conversation gets its messages in order, the conversations interleaved.
    for n in 0..EACH {
        for conversation in &conversations {
            let text = format!("{} · mensagem {n}", conversation.contact_name.as_str());
            app.send_text(conversation.id.0, &text).await;
        }
    }
    // Everything is read in the end (statuses never went back, whatever order their webhooks came in).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let mut conn = sqlx::AnyConnection::connect(&app.db.database.url()).await.expect("connect");
        let rows = sqlx::query("SELECT status FROM message WHERE direction = 'out'")
            .fetch_all(&mut conn)
            .await
            .expect("statuses");
        let statuses: Vec<String> = rows.iter().map(|r| r.try_get("status").expect("status")).collect();
        assert!(!statuses.iter().any(|s| s == "failed"), "a transient fault failed a message: {statuses:?}");
        if statuses.len() == CONTACTS * EACH && statuses.iter().all(|s| s == "read") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not all read after 120 s: {statuses:?}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    // Meta took each message once, and each contact got theirs in the order they were written.
    let accepted = app.sandbox.sent_messages().await;
    assert_eq!(accepted.len(), CONTACTS * EACH, "accepted once each");
    for conversation in &conversations {
        let name = conversation.contact_name.as_str();
        let got: Vec<&str> = accepted
            .iter()
            .filter(|m| m.summary.starts_with(&format!("{name} ·")))
            .map(|m| m.summary.as_str())
            .collect();
        let expected: Vec<String> = (0..EACH).map(|n| format!("{name} · mensagem {n}")).collect();
        assert_eq!(got, expected, "the order of {name}'s messages");
    }
    // Inbound statuses: one row per (message, status), none recorded twice despite the duplicates.
    let mut conn = sqlx::AnyConnection::connect(&app.db.database.url()).await.expect("connect");
    let events: i64 = sqlx::query("SELECT COUNT(*) AS n FROM message_status_event")
        .fetch_one(&mut conn)
        .await
        .expect("count")
        .try_get("n")
        .expect("n");
    assert_eq!(events, i64::try_from(CONTACTS * EACH * 3).expect("small"), "sent, delivered, read once each");
}
