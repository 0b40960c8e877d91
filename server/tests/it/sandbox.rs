//! The sandbox over real HTTP, driven by the real Cloud API client, with a webhook receiver that checks every
//! signature the way Atende must.

use atende_server::providers::whatsapp::wire::{
    InboundContent, Notification, SendRequest, Status, StatusKind, Template, TemplateComponent,
    TemplateParameter, TemplateStatus,
};
use atende_server::providers::whatsapp::{verify_signature, CloudApiClient, CloudApiConfig, FailureKind};
use atende_server::sandbox::{self, SandboxConfig, SandboxState};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

const SECRET: &str = "segredo-de-teste";
const TOKEN: &str = "token-de-teste";
const MARIA: &str = "+55 11 98765-4321";
const MARIA_WA_ID: &str = "5511987654321";

struct Harness {
    client: CloudApiClient,
    sandbox: SandboxState,
    /// `http://<addr>/sandbox`
    root: String,
    http: reqwest::Client,
    received: Arc<Mutex<Vec<Notification>>>,
    bad_signatures: Arc<AtomicUsize>,
}

async fn serve(router: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("bound");
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

async fn spawn(tweak: impl FnOnce(&mut SandboxConfig)) -> Harness {
    let received = Arc::new(Mutex::new(Vec::new()));
    let bad_signatures = Arc::new(AtomicUsize::new(0));
    let receiver = {
        let received = received.clone();
        let bad_signatures = bad_signatures.clone();
        Router::new().route(
            "/webhooks/whatsapp",
            post(move |headers: HeaderMap, body: Bytes| {
                let received = received.clone();
                let bad_signatures = bad_signatures.clone();
                async move {
                    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
                    if !verify_signature(SECRET.as_bytes(), &body, signature) {
                        bad_signatures.fetch_add(1, Ordering::SeqCst);
                        return StatusCode::UNAUTHORIZED;
                    }
                    assert!(body.is_ascii(), "Meta escapes non-ASCII characters");
                    let notification =
                        Notification::parse(&body).expect("the sandbox speaks the wire format");
                    received.lock().await.push(notification);
                    StatusCode::OK
                }
            }),
        )
    };
    let hooks = serve(receiver).await;
    let mut config = SandboxConfig {
        webhook_url: format!("http://{hooks}/webhooks/whatsapp"),
        app_secret: SECRET.into(),
        access_token: TOKEN.into(),
        status_delay: Duration::from_millis(20),
        rate_limit_per_second: 1000,
        ..SandboxConfig::default()
    };
    tweak(&mut config);
    let sandbox = SandboxState::new(config.clone());
    let address = serve(Router::new().nest("/sandbox", sandbox::router(sandbox.clone()))).await;
    let client = CloudApiClient::new(
        CloudApiConfig::new(TOKEN, config.phone_number_id.clone(), config.waba_id.clone())
            .with_base_url(format!("http://{address}/sandbox/graph/v23.0"))
            .with_timeout(Duration::from_secs(2)),
    )
    .expect("client");
    Harness {
        client,
        sandbox,
        root: format!("http://{address}/sandbox"),
        http: crate::common::client(),
        received,
        bad_signatures,
    }
}

impl Harness {
    /// The statuses received for `message_id`, once there are `count` of them (or after 5 seconds).
    async fn statuses(&self, message_id: &str, count: usize) -> Vec<Status> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let statuses: Vec<Status> = self
                .received
                .lock()
                .await
                .iter()
                .flat_map(|n| n.messages_values().flat_map(|v| v.statuses.clone()).collect::<Vec<_>>())
                .filter(|s| s.id == message_id)
                .collect();
            if statuses.len() >= count || tokio::time::Instant::now() > deadline {
                return statuses;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Writes as a contact through the simulator page.
    async fn reply_as_contact(&self, form: &[(&str, &str)]) -> String {
        let response = self
            .http
            .post(format!("{}/simulador", self.root))
            .form(form)
            .send()
            .await
            .expect("simulator answers");
        assert_eq!(response.status(), 200);
        response.text().await.expect("html")
    }

    async fn inbound_messages(
        &self,
    ) -> Vec<(String, atende_server::providers::whatsapp::wire::InboundMessage)> {
        self.received
            .lock()
            .await
            .iter()
            .flat_map(|n| {
                n.messages_values()
                    .flat_map(|v| {
                        let name =
                            v.contacts.first().and_then(|c| c.profile.as_ref()).and_then(|p| p.name.clone());
                        v.messages.iter().map(move |m| (name.clone().unwrap_or_default(), m.clone()))
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    async fn inject(&self, fault: Value) {
        let response =
            self.http.post(format!("{}/faults", self.root)).json(&fault).send().await.expect("faults answer");
        assert_eq!(response.status(), 200);
    }
}

fn delivery_template(to: &str) -> SendRequest {
    SendRequest::template(
        to,
        Template::new("pedido_saiu_para_entrega", "pt_BR").with_component(TemplateComponent::body(vec![
            TemplateParameter::text("Maria"),
            TemplateParameter::text("A-10423"),
        ])),
    )
}

#[tokio::test]
async fn an_approved_template_is_accepted_and_reported_sent_delivered_read_with_signed_priced_webhooks() {
    let h = spawn(|_| {}).await;
    let accepted = h.client.send(&delivery_template(MARIA)).await.expect("accepted");
    assert!(accepted.message_id.starts_with("wamid."));
    assert_eq!(accepted.wa_id.as_deref(), Some(MARIA_WA_ID));
    assert_eq!(accepted.input.as_deref(), Some(MARIA));

    let statuses = h.statuses(&accepted.message_id, 3).await;
    let kinds: Vec<StatusKind> = statuses.iter().map(|s| s.status).collect();
    assert_eq!(kinds, [StatusKind::Sent, StatusKind::Delivered, StatusKind::Read]);
    for status in &statuses {
        assert_eq!(status.recipient_id.as_deref(), Some(MARIA_WA_ID));
        let pricing = status.pricing.as_ref().expect("pricing on every non-failed status");
        assert_eq!(pricing.billable, Some(true), "a utility template outside the window is charged");
        assert_eq!(pricing.pricing_model, "PMP");
        assert_eq!(pricing.category, "utility");
        assert_eq!(pricing.kind.as_deref(), Some("regular"));
    }
    assert_eq!(h.bad_signatures.load(Ordering::SeqCst), 0);
    let sent = h.sandbox.sent_messages().await;
    assert_eq!(sent[0].summary, "Olá Maria, seu pedido A-10423 saiu para entrega.");
    assert_eq!(sent[0].status, "read");
}

#[tokio::test]
async fn free_text_outside_the_window_is_accepted_then_fails_with_131047() {
    let h = spawn(|_| {}).await;
    let accepted = h.client.send(&SendRequest::text(MARIA, "Oi, tudo bem?")).await.expect("accepted first");
    let statuses = h.statuses(&accepted.message_id, 1).await;
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].status, StatusKind::Failed);
    assert_eq!(statuses[0].errors[0].code, 131047);
    assert_eq!(statuses[0].errors[0].title.as_deref(), Some("Re-engagement message"));
    assert!(statuses[0].pricing.is_none());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(h.statuses(&accepted.message_id, 0).await.len(), 1, "nothing after failed");
}

#[tokio::test]
async fn after_the_contact_writes_free_text_goes_through_and_utility_templates_are_free() {
    let h = spawn(|_| {}).await;
    let page = h
        .reply_as_contact(&[
            ("numero", MARIA),
            ("nome", "Maria Silva"),
            ("tipo", "texto"),
            ("texto", "Quero ajuda 🙏"),
        ])
        .await;
    assert!(page.contains("Mensagem entregue ao Atende"), "{page}");
    let inbound = h.inbound_messages().await;
    assert_eq!(inbound.len(), 1);
    let (name, message) = &inbound[0];
    assert_eq!(name, "Maria Silva");
    assert_eq!(message.from.as_deref(), Some(MARIA_WA_ID));
    assert!(matches!(&message.content, InboundContent::Text(t) if t.body == "Quero ajuda 🙏"));

    let text =
        h.client.send(&SendRequest::text(MARIA_WA_ID, "Claro! Como posso ajudar?")).await.expect("accepted");
    let statuses = h.statuses(&text.message_id, 3).await;
    assert_eq!(
        statuses.iter().map(|s| s.status).collect::<Vec<_>>(),
        [StatusKind::Sent, StatusKind::Delivered, StatusKind::Read]
    );
    let pricing = statuses[0].pricing.as_ref().expect("pricing");
    assert_eq!((pricing.billable, pricing.category.as_str()), (Some(false), "service"));

    let template = h.client.send(&delivery_template(MARIA)).await.expect("accepted");
    let statuses = h.statuses(&template.message_id, 1).await;
    let pricing = statuses[0].pricing.as_ref().expect("pricing");
    assert_eq!(pricing.kind.as_deref(), Some("free_customer_service"));
    assert_eq!((pricing.billable, pricing.category.as_str()), (Some(false), "utility"));
}

#[tokio::test]
async fn a_closed_window_is_closed_again_after_24_hours() {
    let h = spawn(|_| {}).await;
    let a_day_ago =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs()
            as i64
            - 24 * 60 * 60
            - 1;
    h.sandbox.set_last_inbound(MARIA, a_day_ago).await;
    let accepted = h.client.send(&SendRequest::text(MARIA, "Olá?")).await.expect("accepted");
    assert_eq!(h.statuses(&accepted.message_id, 1).await[0].errors[0].code, 131047);
}

#[tokio::test]
async fn a_wrong_parameter_count_is_refused_with_132000() {
    let h = spawn(|_| {}).await;
    let request = SendRequest::template(
        MARIA,
        Template::new("pedido_saiu_para_entrega", "pt_BR")
            .with_component(TemplateComponent::body(vec![TemplateParameter::text("Maria")])),
    );
    let failure = h.client.send(&request).await.expect_err("refused");
    assert_eq!((failure.http_status, failure.code), (Some(400), Some(132000)));
    assert!(failure.details.as_deref().is_some_and(|d| d.contains("(1)") && d.contains("(2)")), "{failure}");
    assert!(!failure.is_transient());
    let newline = SendRequest::template(
        MARIA,
        Template::new("pedido_saiu_para_entrega", "pt_BR").with_component(TemplateComponent::body(vec![
            TemplateParameter::text("Maria\nSilva"),
            TemplateParameter::text("A-1"),
        ])),
    );
    assert_eq!(h.client.send(&newline).await.expect_err("refused").code, Some(132018));
    assert!(h.sandbox.sent_messages().await.is_empty());
}

#[tokio::test]
async fn unknown_unapproved_paused_and_disabled_templates_are_refused_with_metas_codes() {
    let h = spawn(|_| {}).await;
    let code = |name: &str, params: usize| {
        let template = Template::new(name, "pt_BR").with_component(TemplateComponent::body(
            (0..params).map(|i| TemplateParameter::text(format!("v{i}"))).collect(),
        ));
        let client = h.client.clone();
        async move { client.send(&SendRequest::template(MARIA, template)).await.expect_err("refused").code }
    };
    assert_eq!(code("nao_existe", 0).await, Some(132001));
    assert_eq!(code("oferta_relampago", 1).await, Some(132001), "rejected");
    assert_eq!(code("pesquisa_satisfacao", 1).await, Some(132001), "pending");
    assert_eq!(code("lembrete_pagamento", 2).await, Some(132015), "paused");
    assert_eq!(code("novidades_semana", 0).await, Some(132016), "disabled");
}

#[tokio::test]
async fn an_old_brazilian_number_gets_a_wa_id_without_the_ninth_digit_everywhere() {
    let h = spawn(|c| c.old_numbers = vec!["5531988887777".into()]).await;
    let accepted = h.client.send(&delivery_template("+55 31 98888-7777")).await.expect("accepted");
    assert_eq!(accepted.input.as_deref(), Some("+55 31 98888-7777"));
    assert_eq!(accepted.wa_id.as_deref(), Some("553188887777"));
    let statuses = h.statuses(&accepted.message_id, 1).await;
    assert_eq!(statuses[0].recipient_id.as_deref(), Some("553188887777"));

    h.reply_as_contact(&[("numero", "5531988887777"), ("nome", "João"), ("tipo", "emoji"), ("emoji", "👍")])
        .await;
    let inbound = h.inbound_messages().await;
    assert_eq!(inbound[0].1.from.as_deref(), Some("553188887777"));
    assert!(matches!(&inbound[0].1.content, InboundContent::Text(t) if t.body == "👍"));
    // The window is keyed on the wa_id, so a reply to the 13-digit number goes through.
    let reply = h.client.send(&SendRequest::text("5531988887777", "Oi João!")).await.expect("accepted");
    assert_eq!(h.statuses(&reply.message_id, 1).await[0].status, StatusKind::Sent);
}

#[tokio::test]
async fn more_sends_per_second_than_the_limit_get_130429_with_http_429() {
    let h = spawn(|c| c.rate_limit_per_second = 3).await;
    let mut outcomes = Vec::new();
    for _ in 0..4 {
        outcomes.push(h.client.send(&delivery_template(MARIA)).await);
    }
    assert!(outcomes[..3].iter().all(Result::is_ok));
    let failure = outcomes[3].clone().expect_err("limited");
    assert_eq!((failure.http_status, failure.code), (Some(429), Some(130429)));
    assert!(failure.is_transient());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(h.client.send(&delivery_template(MARIA)).await.is_ok(), "the next second has room again");
}

#[tokio::test]
async fn injected_faults_drive_the_error_paths_then_sends_succeed_again() {
    let h = spawn(|_| {}).await;
    h.inject(json!({"kind": "server_error", "count": 2})).await;
    for _ in 0..2 {
        let failure = h.client.send(&delivery_template(MARIA)).await.expect_err("injected 500");
        assert_eq!(failure.http_status, Some(500));
        assert!(failure.is_transient());
    }
    assert!(h.client.send(&delivery_template(MARIA)).await.is_ok());

    h.inject(json!({"kind": "error", "code": 131026, "details": "Message undeliverable"})).await;
    let failure = h.client.send(&delivery_template(MARIA)).await.expect_err("injected code");
    assert_eq!((failure.http_status, failure.code), (Some(400), Some(131026)));
    assert_eq!(failure.details.as_deref(), Some("Message undeliverable"));

    h.inject(json!({"kind": "failed_status", "code": 131026, "title": "Message undeliverable"})).await;
    let accepted = h.client.send(&delivery_template(MARIA)).await.expect("accepted, fails later");
    let statuses = h.statuses(&accepted.message_id, 1).await;
    assert_eq!((statuses[0].status, statuses[0].errors[0].code), (StatusKind::Failed, 131026));

    h.inject(json!({"kind": "timeout", "seconds": 10})).await;
    let quick = CloudApiClient::new(h.client.config().clone().with_timeout(Duration::from_millis(300)))
        .expect("client");
    let failure = quick.send(&delivery_template(MARIA)).await.expect_err("timed out");
    assert_eq!(failure.kind, FailureKind::Timeout);

    h.inject(json!({"kind": "server_error", "count": 5})).await;
    let cleared = h.http.delete(format!("{}/faults", h.root)).send().await.expect("answers");
    assert_eq!(cleared.status(), 204);
    assert!(h.client.send(&delivery_template(MARIA)).await.is_ok());
}

#[tokio::test]
async fn the_template_listing_pages_through_the_client_and_over_raw_http() {
    let h = spawn(|c| c.max_templates_per_page = 3).await;
    let templates = h.client.list_templates().await.expect("listed");
    assert_eq!(templates.len(), 9, "3 pages of 3");
    let names: Vec<&str> = templates.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"retomar_atendimento") && names.contains(&"codigo_verificacao"));
    assert!(templates
        .iter()
        .any(|t| t.status == TemplateStatus::Pending || t.status == TemplateStatus::Rejected));

    let mut url =
        Some(format!("{}/graph/v23.0/{}/message_templates?limit=3", h.root, h.sandbox.config().waba_id));
    let mut pages = 0;
    while let Some(next) = url {
        let page: Value =
            h.http.get(&next).bearer_auth(TOKEN).send().await.expect("answers").json().await.expect("json");
        pages += 1;
        assert!(page["data"].as_array().is_some_and(|d| !d.is_empty()));
        url = page["paging"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn a_wrong_token_is_refused_with_code_190() {
    let h = spawn(|_| {}).await;
    let stranger =
        CloudApiClient::new(CloudApiConfig { access_token: "outro".into(), ..h.client.config().clone() })
            .expect("client");
    let failure = stranger.send(&delivery_template(MARIA)).await.expect_err("refused");
    assert_eq!((failure.http_status, failure.code), (Some(401), Some(190)));
    assert!(!failure.is_transient());
}

#[tokio::test]
async fn a_contact_can_send_an_image_and_a_file_that_atende_can_download() {
    let h = spawn(|_| {}).await;
    h.reply_as_contact(&[
        ("numero", MARIA),
        ("nome", "Maria"),
        ("tipo", "imagem"),
        ("texto", "Foto do produto"),
    ])
    .await;
    h.reply_as_contact(&[("numero", MARIA), ("nome", "Maria"), ("tipo", "documento"), ("texto", "")]).await;
    let inbound = h.inbound_messages().await;
    let InboundContent::Image(image) = &inbound[0].1.content else { panic!("an image") };
    assert_eq!(image.caption.as_deref(), Some("Foto do produto"));
    assert_eq!(image.mime_type.as_deref(), Some("image/jpeg"));
    let InboundContent::Document(document) = &inbound[1].1.content else { panic!("a document") };
    assert_eq!(document.filename.as_deref(), Some("comprovante.txt"));

    let info: Value = h
        .http
        .get(format!("{}/graph/v23.0/{}", h.root, image.id))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(info["sha256"].as_str(), image.sha256.as_deref());
    let url = info["url"].as_str().expect("a url");
    assert!(url.starts_with(&h.root), "{url}");
    let bytes =
        h.http.get(url).bearer_auth(TOKEN).send().await.expect("answers").bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"\xff\xd8\xff"), "the sample photo is a JPEG");
}

#[tokio::test]
async fn the_simulator_page_lists_contacts_and_escapes_what_people_type() {
    let h = spawn(|_| {}).await;
    let page = h
        .http
        .get(format!("{}/simulador", h.root))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Simulador de contato") && page.contains("Enviar como contato"));
    assert!(page.contains("5511987654321"));
    let page = h
        .reply_as_contact(&[
            ("numero", MARIA),
            ("nome", "<script>x</script>"),
            ("tipo", "texto"),
            ("texto", "<b>oi</b>"),
        ])
        .await;
    assert!(!page.contains("<script>x") && !page.contains("<b>oi"));
    assert!(page.contains("&lt;b&gt;oi&lt;/b&gt;"));
    let refused = h.reply_as_contact(&[("numero", "12"), ("tipo", "texto"), ("texto", "oi")]).await;
    assert!(refused.contains("Número inválido"));
}

#[tokio::test]
async fn a_template_review_reaches_atende_as_a_status_update() {
    let h = spawn(|_| {}).await;
    let changed = h
        .sandbox
        .set_template_status("pesquisa_satisfacao", "pt_BR", TemplateStatus::Approved, None)
        .await
        .expect("delivered");
    assert!(changed);
    let received = h.received.lock().await;
    let update = received.iter().flat_map(|n| n.template_updates()).next().expect("an update");
    assert_eq!(update.event, TemplateStatus::Approved);
    assert_eq!(update.message_template_name, "pesquisa_satisfacao");
    drop(received);
    let request = SendRequest::template(
        MARIA,
        Template::new("pesquisa_satisfacao", "pt_BR")
            .with_component(TemplateComponent::body(vec![TemplateParameter::text("Maria")])),
    );
    assert!(h.client.send(&request).await.is_ok(), "now approved, it can be sent");
}

#[tokio::test]
async fn duplicated_and_reordered_webhooks_can_be_asked_for_to_test_dedupe_and_ordering() {
    let h = spawn(|_| {}).await;
    h.inject(json!({"kind": "duplicate_statuses"})).await;
    let twice = h.client.send(&delivery_template(MARIA)).await.expect("accepted");
    let statuses = h.statuses(&twice.message_id, 6).await;
    let kinds: Vec<StatusKind> = statuses.iter().map(|s| s.status).collect();
    use StatusKind::{Delivered, Read, Sent};
    assert_eq!(kinds, [Sent, Sent, Delivered, Delivered, Read, Read]);

    h.inject(json!({"kind": "reorder_statuses"})).await;
    let shuffled = h.client.send(&delivery_template(MARIA)).await.expect("accepted");
    let kinds: Vec<StatusKind> = h.statuses(&shuffled.message_id, 3).await.iter().map(|s| s.status).collect();
    assert_eq!(kinds, [Sent, Read, Delivered]);

    h.reply_as_contact(&[("numero", MARIA), ("nome", "Maria"), ("tipo", "texto"), ("texto", "oi")]).await;
    assert_eq!(h.sandbox.redeliver_last_webhook().await.expect("delivered"), Some(200));
    let inbound = h.inbound_messages().await;
    assert_eq!(inbound.len(), 2);
    assert_eq!(inbound[0].1.id, inbound[1].1.id, "the same message, delivered twice");
    assert_eq!(h.bad_signatures.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_contact_can_upload_their_own_picture_or_file_from_the_page() {
    let h = spawn(|_| {}).await;
    let boundary = "----atende-teste";
    let multipart = |tipo: &str, filename: &str, mime: &str, content: &[u8]| {
        let mut body = Vec::new();
        for (name, value) in [("numero", MARIA), ("nome", "Maria"), ("tipo", tipo), ("texto", "segue")] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"arquivo\"; filename=\"{filename}\"\r\nContent-Type: {mime}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        body
    };
    let post = |body: Vec<u8>| {
        h.http
            .post(format!("{}/simulador", h.root))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
    };
    let page = post(multipart("documento", "nota fiscal.pdf", "application/pdf", b"%PDF-1.4 teste"))
        .await
        .expect("answers")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Mensagem entregue ao Atende"), "{page}");
    let refused = post(multipart("imagem", "planilha.csv", "text/csv", b"a,b"))
        .await
        .expect("answers")
        .text()
        .await
        .expect("html");
    assert!(refused.contains("JPEG ou PNG"), "{refused}");

    let inbound = h.inbound_messages().await;
    assert_eq!(inbound.len(), 1, "the refused image never reached Atende");
    let InboundContent::Document(document) = &inbound[0].1.content else { panic!("a document") };
    assert_eq!(document.filename.as_deref(), Some("nota fiscal.pdf"));
    assert_eq!(document.mime_type.as_deref(), Some("application/pdf"));
    assert_eq!(document.caption.as_deref(), Some("segue"));
    let info: Value = h
        .http
        .get(format!("{}/graph/v23.0/{}", h.root, document.id))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    let bytes = h
        .http
        .get(info["url"].as_str().expect("a url"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answers")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&bytes[..], b"%PDF-1.4 teste");
}

#[tokio::test]
async fn too_many_messages_to_one_person_get_131056_and_other_people_are_not_affected() {
    let h = spawn(|c| {
        c.pair_burst = 2;
        c.pair_interval = Duration::from_millis(300);
    })
    .await;
    assert!(h.client.send(&delivery_template(MARIA)).await.is_ok());
    assert!(h.client.send(&delivery_template(MARIA)).await.is_ok());
    let failure = h.client.send(&delivery_template(MARIA)).await.expect_err("pair limit");
    assert_eq!(failure.code, Some(131056));
    assert!(failure.is_transient(), "Atende retries it later");
    assert!(h.client.send(&delivery_template("+55 21 99876-5432")).await.is_ok(), "another person");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(h.client.send(&delivery_template(MARIA)).await.is_ok(), "one more after an interval");
    assert!(h.client.send(&delivery_template(MARIA)).await.is_err(), "but only one");
}

#[tokio::test]
async fn free_text_outside_the_window_can_be_refused_at_once_with_131047() {
    let h = spawn(|c| c.refuse_outside_window_at_once = true).await;
    let failure = h.client.send(&SendRequest::text(MARIA, "Oi, tudo bem?")).await.expect_err("refused");
    assert_eq!((failure.http_status, failure.code), (Some(400), Some(131047)));
    assert!(!failure.is_transient());
    assert!(h.sandbox.sent_messages().await.is_empty(), "nothing was accepted");
    assert!(h.client.send(&delivery_template(MARIA)).await.is_ok(), "templates still go");
}

#[tokio::test]
async fn the_simulator_forgets_the_oldest_media_beyond_its_memory_cap() {
    let h = spawn(|c| c.media_memory_bytes = 1).await;
    for caption in ["primeira", "segunda"] {
        h.reply_as_contact(&[("numero", MARIA), ("nome", "Maria"), ("tipo", "imagem"), ("texto", caption)])
            .await;
    }
    let inbound = h.inbound_messages().await;
    let ids: Vec<String> = inbound
        .iter()
        .map(|(_, m)| match &m.content {
            InboundContent::Image(image) => image.id.clone(),
            other => panic!("an image, not {other:?}"),
        })
        .collect();
    let status = |id: String| {
        let request = h.http.get(format!("{}/graph/v23.0/{id}", h.root)).bearer_auth(TOKEN);
        async move { request.send().await.expect("answers").status().as_u16() }
    };
    assert_ne!(status(ids[0].clone()).await, 200, "the oldest is forgotten");
    assert_eq!(status(ids[1].clone()).await, 200, "the newest is kept");
}
