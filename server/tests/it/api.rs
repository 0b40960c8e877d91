//! The application over real HTTP on a free port: the first page, health, server functions.

use crate::common::spawn_app;
use serde_json::Value;

#[tokio::test]
async fn the_first_page_is_the_atendimentos_screen_rendered_on_the_server() {
    let app = spawn_app().await;
    let response = app.client.get(&app.address).send().await.expect("GET /");
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    for text in ["Atendimentos", "Meus", "Concluídos", "Conversar", "Número com DDD", "Mais opções"] {
        assert!(html.contains(text), "the page lacks {text:?}");
    }
    // The client that hydrates the page.
    assert!(html.contains("/pkg/atende.js"), "no hydration script");
    assert!(html.contains(r#"lang="pt-BR""#));
}

#[tokio::test]
async fn the_client_is_served_under_its_content_name_precompressed_and_kept_by_browsers_for_a_year() {
    const BUILD: &str = "0123456789abcdef";
    const NAME: &str = "0123456789abcdef/atende";
    let app = crate::common::spawn_app_configured(crate::common::TestDb::sqlite().await, |settings| {
        let pkg = settings.site_root.join("pkg");
        let build = pkg.join(BUILD);
        std::fs::create_dir_all(&build).expect("the build's directory");
        std::fs::write(pkg.join("client.txt"), format!("{BUILD}\n")).expect("client.txt");
        std::fs::write(build.join("atende.js"), "export default function(){}").expect("js");
        std::fs::write(build.join("atende.js.br"), b"brotli bytes").expect("br");
        std::fs::write(build.join("atende.js.gz"), b"gzip bytes").expect("gz");
        std::fs::write(build.join("atende.css"), "body{}").expect("css");
        std::fs::write(build.join("split___contatos_view_1.wasm"), b"\0asm").expect("a screen's file");
    })
    .await;
    let html = app.client.get(&app.address).send().await.expect("GET /").text().await.expect("body");
    assert!(html.contains(&format!("/pkg/{NAME}.js")), "the hashed script");
    assert!(html.contains(&format!("/pkg/{NAME}_bg.wasm")), "the hashed module");
    assert!(html.contains(&format!("/pkg/{NAME}.css")), "the hashed stylesheet");
    assert!(!html.contains("/pkg/atende.js"));

    let get = |path: String, encodings: &'static str| {
        let client = &app.client;
        let url = format!("{}{path}", app.address);
        async move {
            let response = client.get(url).header("accept-encoding", encodings).send().await.expect("GET");
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .map(|v| v.to_str().expect("ascii").to_owned())
                    .unwrap_or_default()
            };
            let (encoding, cache) = (header("content-encoding"), header("cache-control"));
            if response.status() == 200 {
                assert_eq!(header("vary"), "accept-encoding", "a shared cache keeps each encoding apart");
            }
            (response.status().as_u16(), encoding, cache, response.bytes().await.expect("body").to_vec())
        }
    };
    let year = "public, max-age=31536000, immutable";
    let (status, encoding, cache, body) = get(format!("/pkg/{NAME}.js"), "gzip, deflate, br").await;
    assert_eq!(
        (status, encoding.as_str(), cache.as_str(), body.as_slice()),
        (200, "br", year, b"brotli bytes".as_slice())
    );
    let (status, encoding, _, body) = get(format!("/pkg/{NAME}.js"), "gzip").await;
    assert_eq!((status, encoding.as_str(), body.as_slice()), (200, "gzip", b"gzip bytes".as_slice()));
    let (status, encoding, _, body) = get(format!("/pkg/{NAME}.js"), "identity").await;
    assert_eq!(
        (status, encoding.as_str(), body.as_slice()),
        (200, "", b"export default function(){}".as_slice())
    );
    // A screen loaded on demand is kept as long, as it is in the same build.
    let (status, _, cache, _) = get(format!("/pkg/{BUILD}/split___contatos_view_1.wasm"), "br").await;
    assert_eq!((status, cache.as_str()), (200, year));
    // A file not named by its content is revalidated every time; a missing one is 404.
    let (status, _, cache, _) = get("/pkg/atende.css".into(), "br").await;
    assert_eq!((status, cache.as_str()), (200, "no-cache"));
    let (status, _, cache, _) = get("/pkg/feedfeedfeedfeed/atende.js".into(), "br").await;
    assert_eq!((status, cache.as_str()), (404, ""));
}

#[tokio::test]
async fn health_says_which_database_answers() {
    let app = spawn_app().await;
    let body: Value = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(
        body,
        serde_json::json!({
            "status": "ok",
            "database": "sqlite",
            "webhooks": { "oldest_pending_seconds": null, "set_aside": 0 },
        })
    );
}

#[tokio::test]
async fn a_contact_created_through_the_server_function_is_then_listed() {
    let app = spawn_app().await;
    let created = app
        .client
        .post(format!("{}/api/create_contact", app.address))
        .form(&[("form[name]", "Maria da Silva"), ("form[phone]", "(11) 98765-4321")])
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap_or_default());
    let contact: Value = created.json().await.expect("json");
    assert_eq!(contact["name"], "Maria da Silva");
    assert_eq!(contact["phone"], "+5511987654321");

    let listed: Value = app
        .client
        .post(format!("{}/api/search_contacts", app.address))
        .form(&[("text", "silva")])
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["name"], "Maria da Silva");
}

#[tokio::test]
async fn an_invalid_contact_is_refused_with_the_reason_in_portuguese_and_nothing_is_stored() {
    let app = spawn_app().await;
    let refused = app
        .client
        .post(format!("{}/api/create_contact", app.address))
        .form(&[("form[name]", "Maria"), ("form[phone]", "98765-4321")])
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.expect("body");
    assert!(body.contains("MissingDdd"), "{body}");

    let listed: Value = app
        .client
        .post(format!("{}/api/search_contacts", app.address))
        .form(&[("text", "")])
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("json");
    assert_eq!(listed, serde_json::json!([]));
}

#[tokio::test]
async fn the_first_admin_comes_from_the_environment_with_an_argon2id_password_once() {
    use atende_domain::access::Email;
    use atende_server::settings::AdminSettings;
    let db = crate::common::TestDb::sqlite().await;
    let site = tempfile::tempdir().expect("site dir");
    let admin = |password: &str| AdminSettings {
        email: Email::parse("dona@loja.com.br").expect("valid"),
        name: "Dona da Loja".into(),
        password: password.into(),
    };
    for password in ["primeira-senha", "outra-senha-depois"] {
        let mut settings = atende_server::Settings::for_tests(db.database.clone(), site.path().to_path_buf());
        settings.admin = Some(admin(password));
        drop(atende_server::Application::build(settings).await.expect("application"));
    }
    let store = db.store().await;
    let stored = store.agent_by_email(&Email::parse("dona@loja.com.br").expect("valid")).await.expect("read");
    let stored = stored.expect("the first admin exists");
    assert!(stored.password_hash.starts_with("$argon2id$"));
    assert!(atende_server::access::verify_password("primeira-senha", &stored.password_hash));
    assert!(!atende_server::access::verify_password("outra-senha-depois", &stored.password_hash), "reset");
    let geral =
        store.ensure_team("Geral", atende_domain::time::Timestamp::from_millis(0)).await.expect("team");
    assert_eq!(stored.teams, [geral]);
}

#[tokio::test]
async fn a_server_function_called_with_unreadable_arguments_answers_400_not_500() {
    let app = spawn_app().await;
    let malformed = app
        .client
        .post(format!("{}/api/restart_conversation", app.address))
        .header("content-type", "application/json")
        .body(r#"{"conversation": 1, "template": "x", "language": "pt_BR", "values": {}}"#)
        .send()
        .await
        .expect("POST");
    assert_eq!(malformed.status(), 400, "{}", malformed.text().await.unwrap_or_default());
    let missing = app
        .client
        .post(format!("{}/api/send_message", app.address))
        .form(&[("conversation", "1")])
        .send()
        .await
        .expect("POST");
    assert_eq!(missing.status(), 400);
    let not_json = app
        .client
        .post(format!("{}/api/start_conversation", app.address))
        .header("content-type", "application/json")
        .body("isto não é JSON")
        .send()
        .await
        .expect("POST");
    assert_eq!(not_json.status(), 400);
}
