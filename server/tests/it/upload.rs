//! Files from the agent's computer ("Anexar", dropped or pasted), end to end over real HTTP: the browser's
//! `POST /midia/enviar/{conversation}`, the domain's checks, the blob store, the queue, and each provider's
//! way of taking a file (the Cloud API by an uploaded id, Evolution in base64, Messenger and Instagram by an
//! uploaded attachment), played by the sandbox.

use crate::common::{eventually, spawn_app, TestApp};
use crate::media::{move_to_team, PNG};
use atende_domain::conversation::{ChannelKind, ConversationId};
use atende_domain::inbound_media::MediaState;
use atende_domain::ports::{MessageView, Outbox};
use atende_server::sandbox::{Fault, SimulatedContent, SimulatedInbound};
use base64::Engine as _;
use sha2::Digest;

/// A PDF's first bytes (the domain checks the signature, not the whole file).
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
/// The first bytes of an OGG/Opus file (a voice note): the page header, then `OpusHead` at byte 28.
const OGG: &[u8] = b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead\x01\x01";

/// "Anexar" as the console sends one file: the bytes, with its type, name and caption in headers.
pub(crate) async fn send_file(
    app: &TestApp,
    client: &reqwest::Client,
    conversation: i64,
    name: &str,
    mime: &str,
    bytes: &[u8],
    caption: &str,
) -> (u16, String) {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let url = format!("{}/midia/enviar/{conversation}", app.address);
    let request =
        file_request(client, &url, &encode(name), mime, bytes).header("x-atende-legenda", encode(caption));
    let response = request.send().await.expect("POST");
    (response.status().as_u16(), response.text().await.expect("body"))
}

/// A file as the console uploads it: its bytes, with its name (percent-encoded) and type in headers.
pub(crate) fn file_request(
    client: &reqwest::Client,
    url: &str,
    name: &str,
    mime: &str,
    bytes: &[u8],
) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header("content-type", "application/octet-stream")
        .header("x-atende-tipo", mime)
        .header("x-atende-nome", name)
        .body(bytes.to_vec())
}

async fn outbound(app: &TestApp, conversation: i64) -> Vec<MessageView> {
    let messages = app.store.messages(ConversationId(conversation)).await.expect("messages");
    messages.into_iter().filter(|m| !m.inbound).collect()
}

fn sha256_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

async fn official_contact(app: &TestApp, number: &str, name: &str) -> i64 {
    app.sandbox
        .simulate_inbound(SimulatedInbound {
            number: number.into(),
            name: name.into(),
            content: SimulatedContent::Text("Oi, tudo bem?".into()),
        })
        .await
        .expect("delivered");
    app.conversation_with(name).await.id.0
}

#[tokio::test]
async fn a_photo_from_the_agents_computer_is_uploaded_to_the_cloud_api_sent_by_its_id_and_shown() {
    let app = spawn_app().await;
    let conversation = official_contact(&app, "5511977770001", "Rita Foto").await;
    let (status, body) =
        send_file(&app, &app.client, conversation, "foto do pedido.png", "image/png", PNG, "Seu pedido")
            .await;
    assert_eq!((status, body.as_str()), (200, "\"Sending\""));
    let sent = eventually("the Cloud API took the photo", || async {
        app.sandbox.sent_messages().await.into_iter().find(|m| m.kind == "image")
    })
    .await;
    assert_eq!(
        sent.media,
        Some((sha256_base64(PNG), "image/png".to_owned())),
        "sent by the id of these bytes"
    );
    assert!(sent.summary.ends_with("Seu pedido"), "{}", sent.summary);

    // The conversation shows the agent's photo as it shows a contact's, from the blob store.
    let mine = outbound(&app, conversation).await;
    let photo = mine.iter().find(|m| m.kind == "image").expect("the photo's message");
    let media = photo.media.as_ref().expect("its file");
    assert_eq!(media.state, MediaState::Ready);
    assert_eq!(
        (media.mime_type.as_deref(), media.file_name.as_deref()),
        (Some("image/png"), Some("foto do pedido.png"))
    );
    assert_eq!(photo.body.as_deref(), Some("Seu pedido"));
    let served = app.client.get(format!("{}/midia/{}", app.address, photo.id)).send().await.expect("GET");
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.expect("body").as_ref(), PNG);
    eventually("the photo's status came back", || async {
        let mine = outbound(&app, conversation).await;
        mine.iter()
            .find(|m| m.kind == "image")
            .filter(|m| m.status != "queued" && m.status != "sending")
            .map(|_| ())
    })
    .await;

    // Several files go as several messages, in the order they were sent.
    for (name, mime, bytes) in [("nota.pdf", "application/pdf", PDF), ("audio.ogg", "audio/ogg", OGG)] {
        let (status, body) = send_file(&app, &app.client, conversation, name, mime, bytes, "").await;
        assert_eq!(status, 200, "{name}: {body}");
    }
    let kinds = eventually("the document and the voice note went out, in order", || async {
        let kinds: Vec<String> = app.sandbox.sent_messages().await.into_iter().map(|m| m.kind).collect();
        (kinds.len() == 3).then_some(kinds)
    })
    .await;
    assert_eq!(kinds, ["image", "document", "audio"]);
    let sent = app.sandbox.sent_messages().await;
    assert!(sent[1].summary.starts_with("[document] nota.pdf"), "{}", sent[1].summary);
    assert_eq!(sent[2].media.clone(), Some((sha256_base64(OGG), "audio/ogg; codecs=opus".to_owned())));
    assert_eq!(sent[2].summary, "[audio] (mensagem de voz)", "an Opus OGG goes as a voice note");
}

#[tokio::test]
async fn a_file_the_channel_does_not_take_is_refused_in_portuguese_and_nothing_is_stored() {
    let app = spawn_app().await;
    let conversation = official_contact(&app, "5511977770002", "Rita Recusa").await;
    let (status, body) =
        send_file(&app, &app.client, conversation, "planilha.zip", "application/zip", b"PK\x03\x04", "")
            .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("não aceita arquivos do tipo ZIP"), "{body}");
    let (status, body) = send_file(&app, &app.client, conversation, "foto.jpg", "image/jpeg", PNG, "").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("não é um arquivo JPG de verdade"), "{body}");
    let mut large = PNG.to_vec();
    large.resize(6 * 1024 * 1024, 0);
    let (status, body) =
        send_file(&app, &app.client, conversation, "grande.png", "image/png", &large, "").await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("aceita imagens de até 5,0 MB"), "{body}");
    let (status, body) =
        send_file(&app, &app.client, conversation, "vazio.pdf", "application/pdf", b"", "").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("está vazio"), "{body}");
    let (status, _) = send_file(&app, &app.client, conversation, "a.ogg", "audio/ogg", OGG, "legenda").await;
    assert_eq!(status, 422, "audio has no caption");
    let vorbis = [&OGG[..28], b"\x01vorbis"].concat();
    let (status, body) =
        send_file(&app, &app.client, conversation, "musica.ogg", "audio/ogg", &vorbis, "").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("só aceita áudio OGG gravado com o codec Opus"), "{body}");
    let (status, body) =
        send_file(&app, &app.client, conversation, "foto.png", "image/png", PNG, "a\0b").await;
    assert_eq!(status, 422, "a NUL in the caption: {body}");
    assert!(outbound(&app, conversation).await.is_empty(), "nothing stored");

    // Only an agent who may see the conversation, signed in, from the console itself.
    move_to_team(&app, &app.conversation_with("Rita Recusa").await, "Vendas").await;
    let support =
        app.store.ensure_team("Suporte", atende_domain::time::Timestamp::from_millis(0)).await.expect("team");
    let other_team = app.agent_in("suporte@teste.local", &[support]).await;
    let (status, _) = send_file(&app, &other_team, conversation, "foto.png", "image/png", PNG, "").await;
    assert_eq!(status, 404, "another team's conversation does not exist for them");
    let mut same_site = reqwest::header::HeaderMap::new();
    same_site.insert(reqwest::header::ORIGIN, app.address.parse().expect("origin"));
    let anonymous = crate::common::client_builder().default_headers(same_site).build().expect("client");
    let (status, _) = send_file(&app, &anonymous, conversation, "foto.png", "image/png", PNG, "").await;
    assert_eq!(status, 401, "not signed in");
    let cross_site = app
        .client
        .post(format!("{}/midia/enviar/{conversation}", app.address))
        .header("origin", "https://outro-site.example")
        .body(PNG.to_vec())
        .send()
        .await
        .expect("POST");
    assert_eq!(cross_site.status(), 403);
    assert!(outbound(&app, conversation).await.is_empty(), "still nothing stored");
}

#[tokio::test]
async fn a_file_meta_refuses_on_upload_fails_with_the_reason_and_is_not_sent() {
    let app = spawn_app().await;
    let conversation = official_contact(&app, "5511977770003", "Rita Falha").await;
    app.sandbox
        .inject_fault(
            Fault::Error {
                code: 131_053,
                http_status: None,
                message: Some("(#131053) Media upload error".into()),
                details: Some("Unsupported Image mime type image/png".into()),
            },
            1,
        )
        .await;
    let (status, body) = send_file(&app, &app.client, conversation, "foto.png", "image/png", PNG, "").await;
    assert_eq!(status, 200, "{body}");
    let failed = eventually("the photo failed with Meta's reason", || async {
        outbound(&app, conversation).await.into_iter().find(|m| m.status == "failed")
    })
    .await;
    assert_eq!(
        failed.error.as_deref(),
        Some(
            "A Meta não aceitou o arquivo (tipo ou conteúdo não suportado). Salve-o em outro formato (JPG, PNG, \
             MP4, PDF) e envie de novo."
        )
    );
    assert!(app.sandbox.sent_messages().await.iter().all(|m| m.kind != "image"), "never sent");
    // The file is still the agent's to see.
    assert_eq!(failed.media.map(|m| m.state), Some(MediaState::Ready));
}

#[tokio::test]
async fn the_gateway_gets_the_file_in_base64_and_messenger_and_instagram_by_an_uploaded_attachment() {
    let app = spawn_app().await;
    app.others
        .simulate(ChannelKind::WhatsappUnofficial, "5511977770004", "Gil Gateway", "Manda a nota", 0)
        .await
        .expect("delivered");
    let gateway = app.conversation_with("Gil Gateway").await.id.0;
    let (status, body) =
        send_file(&app, &app.client, gateway, "nota fiscal.pdf", "application/pdf", PDF, "Sua nota").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send_file(&app, &app.client, gateway, "recado.ogg", "audio/ogg", OGG, "").await;
    assert_eq!(status, 200, "{body}");
    let media = eventually("both reached the gateway", || async {
        let sent = app.others.sent().await;
        let media: Vec<_> = sent.into_iter().filter_map(|s| s.media).collect();
        (media.len() == 2).then_some(media)
    })
    .await;
    assert_eq!(
        (media[0].kind.as_str(), media[0].file_name.as_deref(), media[0].caption.as_deref()),
        ("document", Some("nota fiscal.pdf"), Some("Sua nota"))
    );
    assert_eq!(media[0].sha256.as_deref(), Some(sha256_hex(PDF).as_str()), "the bytes, in base64");
    assert_eq!((media[1].kind.as_str(), media[1].sha256.clone()), ("audio", Some(sha256_hex(OGG))),);
    assert!(media[1].voice, "an Opus OGG goes by sendWhatsAppAudio, as a voice note");
    assert!(!media[0].voice);

    for (kind, number, name, file, mime, bytes, attachment) in [
        (ChannelKind::Messenger, "5511977770005", "Gil Messenger", "foto.png", "image/png", PNG, "image"),
        (
            ChannelKind::Instagram,
            "5511977770006",
            "Gil Instagram",
            "boleto.pdf",
            "application/pdf",
            PDF,
            "file",
        ),
    ] {
        app.others.simulate(kind, number, name, "Oi", 0).await.expect("delivered");
        let conversation = app.conversation_with(name).await.id.0;
        let (status, body) = send_file(&app, &app.client, conversation, file, mime, bytes, "legenda").await;
        assert_eq!(status, 422, "no caption on {kind:?}: {body}");
        let (status, body) = send_file(&app, &app.client, conversation, file, mime, bytes, "").await;
        assert_eq!(status, 200, "{kind:?}: {body}");
        let sent = eventually(&format!("{kind:?} got the attachment"), || async {
            app.others.sent().await.into_iter().find(|s| s.channel == kind).and_then(|s| s.media)
        })
        .await;
        assert_eq!(sent.kind, attachment);
        assert!(sent.link.starts_with("attachment:"), "sent by the uploaded id: {}", sent.link);
        assert_eq!(sent.sha256, Some(sha256_hex(bytes)), "{kind:?}");
    }
    // Instagram takes no Word file.
    let instagram = app.conversation_with("Gil Instagram").await.id.0;
    let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    let (status, body) =
        send_file(&app, &app.client, instagram, "contrato.docx", docx, b"PK\x03\x04", "").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("O Instagram não aceita arquivos do tipo DOCX"), "{body}");
}

/// A template's media header from the agent's computer, as the "Reiniciar" form sends it.
async fn header_file(
    app: &TestApp,
    format: &str,
    name: &str,
    mime: &str,
    bytes: &[u8],
) -> (u16, serde_json::Value) {
    let url = format!("{}/midia/cabecalho?formato={format}", app.address);
    let response = file_request(&app.client, &url, name, mime, bytes).send().await.expect("POST");
    (response.status().as_u16(), response.json().await.expect("JSON"))
}

#[tokio::test]
async fn a_template_header_from_the_agents_computer_is_uploaded_to_meta_and_the_template_sent_by_its_id() {
    use crate::send_flow::{contact_who_wrote, restart, wait_for_templates, DAY};
    use serde_json::json;
    let app = spawn_app().await;
    wait_for_templates(&app).await;
    let conversation = contact_who_wrote(&app, "5511977770019", "Rita Entrega", 2 * DAY).await.id.0;

    // A file the header does not take is refused before anything is kept.
    let (status, refused) = header_file(&app, "image", "nota.pdf", "application/pdf", PDF).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["erro"],
        "O cabeçalho deste modelo é Imagem: escolha um arquivo JPG ou PNG (“nota.pdf” é PDF)."
    );
    let (status, refused) = header_file(&app, "planilha", "foto.png", "image/png", PNG).await;
    assert_eq!(status, 400, "{refused}");

    let (status, kept) = header_file(&app, "image", "entrega.png", "image/png", PNG).await;
    assert_eq!(status, 200, "{kept}");
    let value = kept["valor"].as_str().expect("the field's value").to_owned();
    assert_eq!(value, format!("arquivo:{}/entrega.png", sha256_hex(PNG)));

    // A value naming a file the server does not keep is refused, and nothing is sent.
    let values = |header: &str| {
        json!([
            [{"HeaderMedia": "Image"}, header],
            [{"Body": {"Positional": 1}}, "Rita"],
            [{"Body": {"Positional": 2}}, "A-77"]
        ])
    };
    let unknown = format!("arquivo:{}/entrega.png", "0".repeat(64));
    let (status, body) = restart(&app, conversation, "comprovante_entrega", values(&unknown)).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("não está mais no servidor"), "{body}");
    assert!(app.sandbox.sent_messages().await.is_empty());

    // A kept file of another type (an integration may name any) is refused by the header's rule.
    let (status, pdf) = header_file(&app, "document", "nota.pdf", "application/pdf", PDF).await;
    assert_eq!(status, 200, "{pdf}");
    let (status, body) =
        restart(&app, conversation, "comprovante_entrega", values(pdf["valor"].as_str().expect("value")))
            .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("O cabeçalho deste modelo é Imagem"), "{body}");
    assert!(app.sandbox.sent_messages().await.is_empty());

    let (status, body) = restart(&app, conversation, "comprovante_entrega", values(&value)).await;
    assert_eq!(status, 200, "{body}");
    let sent = eventually("Meta took the template", || async {
        app.sandbox.sent_messages().await.into_iter().find(|m| m.kind == "template")
    })
    .await;
    assert_eq!(sent.template.as_deref(), Some("comprovante_entrega"));
    assert_eq!(
        sent.media,
        Some((sha256_base64(PNG), "image/png".to_owned())),
        "its header went by the id of these bytes"
    );
    // The conversation shows the header's picture with the template.
    let mine = outbound(&app, conversation).await;
    let template = mine.iter().find(|m| m.kind == "template").expect("the template's message");
    let media = template.media.as_ref().expect("its header's file");
    assert_eq!((&media.state, media.mime_type.as_deref()), (&MediaState::Ready, Some("image/png")));
    let served = app.client.get(format!("{}/midia/{}", app.address, template.id)).send().await.expect("GET");
    assert_eq!(served.bytes().await.expect("body").as_ref(), PNG);
    // A player's first request (`Range: bytes=0-`) is answered from the file's real size.
    let ranged = app
        .client
        .get(format!("{}/midia/{}", app.address, template.id))
        .header("range", "bytes=0-")
        .send()
        .await
        .expect("GET");
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.expect("body").as_ref(), PNG);
}

#[tokio::test]
async fn an_integration_keeps_a_template_header_file_and_names_it_by_the_value_it_is_given() {
    let app = spawn_app().await;
    let token = crate::admin_and_api::token(&app, "CRM").await;
    let keep = |format: &str, name: &str, bytes: &'static [u8]| {
        app.client
            .post(format!("{}/api/v1/template-files?format={format}&name={name}", app.address))
            .bearer_auth(&token)
            .header("content-type", "application/pdf")
            .body(bytes)
            .send()
    };
    let kept = keep("document", "boleto.pdf", PDF).await.expect("POST");
    assert_eq!(kept.status(), 201);
    let kept: serde_json::Value = kept.json().await.expect("JSON");
    assert_eq!(kept["value"], format!("arquivo:{}/boleto.pdf", sha256_hex(PDF)));
    let wrong = keep("image", "boleto.pdf", PDF).await.expect("POST");
    assert_eq!(wrong.status(), 422);
    let unknown = keep("planilha", "boleto.pdf", PDF).await.expect("POST");
    assert_eq!(unknown.status(), 400);
    let unnamed = app
        .client
        .post(format!("{}/api/v1/template-files?format=document", app.address))
        .bearer_auth(&token)
        .body(PDF)
        .send()
        .await
        .expect("POST");
    assert_eq!(unnamed.status(), 400);
}

#[tokio::test]
async fn a_voice_note_recorded_in_the_browser_goes_to_whatsapp_as_ogg_opus_with_its_own_packets() {
    // One second recorded by Chromium's MediaRecorder: WebM with Opus, as "Gravar áudio" uploads it.
    let webm: &[u8] = include_bytes!("../../../domain/tests/chromium-recording.webm");
    let ogg = atende_domain::recording::voice_note(webm).expect("the domain's remux");
    let app = spawn_app().await;
    let conversation = official_contact(&app, "5511977770011", "Rita Gravação").await;
    let (status, body) =
        send_file(&app, &app.client, conversation, "gravacao.webm", "audio/webm", webm, "").await;
    assert_eq!((status, body.as_str()), (200, "\"Sending\""));
    let sent = eventually("the Cloud API took the voice note", || async {
        app.sandbox.sent_messages().await.into_iter().find(|m| m.kind == "audio")
    })
    .await;
    assert_eq!(
        sent.media,
        Some((sha256_base64(&ogg), "audio/ogg; codecs=opus".to_owned())),
        "the OGG's bytes"
    );
    assert_eq!(sent.summary, "[audio] (mensagem de voz)");
    // The conversation keeps and shows the OGG, which Chromium plays too.
    let mine = outbound(&app, conversation).await;
    let media = mine.iter().find(|m| m.kind == "audio").and_then(|m| m.media.clone()).expect("its file");
    assert_eq!(
        (media.mime_type.as_deref(), media.file_name.as_deref()),
        (Some("audio/ogg; codecs=opus"), Some("gravacao.ogg"))
    );
    let id = mine.iter().find(|m| m.kind == "audio").map(|m| m.id).expect("id");
    let served = app.client.get(format!("{}/midia/{id}", app.address)).send().await.expect("GET");
    assert_eq!(served.bytes().await.expect("body").as_ref(), ogg.as_slice());

    // The gateway gets it as a voice note too.
    app.others
        .simulate(ChannelKind::WhatsappUnofficial, "5511977770012", "Gil Gravação", "Oi", 0)
        .await
        .expect("delivered");
    let gateway = app.conversation_with("Gil Gravação").await.id.0;
    let (status, body) = send_file(&app, &app.client, gateway, "gravacao.webm", "audio/webm", webm, "").await;
    assert_eq!(status, 200, "{body}");
    let media = eventually("the gateway got it", || async {
        app.others.sent().await.into_iter().find_map(|s| s.media)
    })
    .await;
    assert!(media.voice, "by sendWhatsAppAudio");
    assert_eq!(media.sha256, Some(sha256_hex(&ogg)));

    // What is not a recording is refused with the reason, and nothing is kept or sent.
    let before = outbound(&app, conversation).await.len();
    let (status, body) =
        send_file(&app, &app.client, conversation, "gravacao.webm", "audio/webm", b"not a webm", "").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains(
            "O áudio gravado “gravacao.webm” não pôde virar mensagem de voz: não é um arquivo WebM"
        ),
        "{body}"
    );
    let (status, body) =
        send_file(&app, &app.client, conversation, "gravacao.webm", "audio/webm", &webm[..200], "").await;
    assert_eq!(status, 422, "cut before its first block: {body}");
    assert_eq!(outbound(&app, conversation).await.len(), before);
    // Instagram takes no voice note.
    app.others
        .simulate(ChannelKind::Instagram, "5511977770013", "Gil Insta Voz", "Oi", 0)
        .await
        .expect("delivered");
    let instagram = app.conversation_with("Gil Insta Voz").await.id.0;
    let (status, body) =
        send_file(&app, &app.client, instagram, "gravacao.webm", "audio/webm", webm, "").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("O Instagram não aceita arquivos do tipo OGG"), "{body}");
}

#[tokio::test]
async fn a_file_sent_in_chunks_without_its_length_is_refused_as_soon_as_it_passes_the_limit() {
    use atende_server::media::upload::read_file;
    // No Content-Length (a chunked upload): the limit is only known once the bytes pass it.
    let chunks = |count: usize| {
        let pieces = (0..count).map(|_| Ok::<_, std::convert::Infallible>(vec![7u8; 1024]));
        axum::body::Body::from_stream(futures_util::stream::iter(pieces))
    };
    let headers = axum::http::HeaderMap::new();
    let refused = read_file(&headers, chunks(5), 4 * 1024).await.expect_err("over the limit");
    assert_eq!(refused.status, 413, "{}", refused.message);
    assert!(refused.message.contains("passa do limite de 4 KB"), "{}", refused.message);
    let (bytes, _slot) = read_file(&headers, chunks(4), 4 * 1024).await.expect("at the limit");
    assert_eq!(bytes.len(), 4 * 1024);
    // A body that breaks off is 400, not 413.
    let broken = futures_util::stream::iter([Ok(vec![1u8; 10]), Err(std::io::Error::other("cut"))]);
    let refused =
        read_file(&headers, axum::body::Body::from_stream(broken), 4 * 1024).await.expect_err("cut");
    assert_eq!(refused.status, 400, "{}", refused.message);
}
