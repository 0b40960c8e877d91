//! The files contacts send, end to end over real HTTP: the sandbox plays the Cloud API (media ids, URLs that
//! expire, the token check), Atende stores the message at once, downloads the file after, keeps it, and
//! serves it only to the agents who may see the conversation, never as something a browser would run.

use crate::common::{eventually, spawn_app, TestApp};
use atende_domain::conversation::{ConversationSummary, Tab};
use atende_domain::inbound_media::MediaState;
use atende_domain::ports::{Outbox, Store};
use atende_server::sandbox::{MediaFault, SimulatedContent, SimulatedInbound};
use atende_server::store::media::StoredMedia;

/// A 1×1 PNG.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00,
    0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05,
    0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42,
    0x60, 0x82,
];

/// The contact `name` sends `content` on the Cloud API; the file of their message once it is no longer
/// pending.
async fn received(app: &TestApp, number: &str, name: &str, content: SimulatedContent) -> StoredMedia {
    app.sandbox
        .simulate_inbound(SimulatedInbound { number: number.into(), name: name.into(), content })
        .await
        .expect("delivered");
    let conversation = app.conversation_with(name).await;
    eventually("the file downloaded or given up", || async {
        let files = app.store.media_of_conversation(conversation.id.0).await.ok()?;
        files.into_iter().last().filter(|media| media.state != MediaState::Pending)
    })
    .await
}

fn upload(filename: &str, mime_type: &str, bytes: &[u8], as_image: bool) -> SimulatedContent {
    SimulatedContent::Upload {
        as_image,
        filename: filename.into(),
        mime_type: mime_type.into(),
        bytes: bytes.to_vec(),
        caption: None,
    }
}

#[tokio::test]
async fn a_contacts_photo_is_downloaded_after_the_message_and_served_to_the_agent_with_ranges() {
    let app = spawn_app().await;
    let media =
        received(&app, "5511944440101", "Foto Cliente", upload("foto.png", "image/png", PNG, true)).await;
    assert_eq!(media.state, MediaState::Ready);
    assert_eq!(media.mime_type.as_deref(), Some("image/png"));
    assert_eq!(media.size_bytes, Some(PNG.len() as i64));
    // The list says what arrived.
    let conversation = app.conversation_with("Foto Cliente").await;
    assert_eq!(conversation.last_message.as_deref(), Some("📷 Foto"));
    // And the conversation shows it, with the message's id for its address.
    let view = app.conversation_view(conversation.id.0).await;
    let shown = &view["messages"][0];
    assert_eq!(shown["media"]["state"], "Ready", "{view}");
    assert_eq!(shown["id"], media.message_id);

    let url = format!("{}/midia/{}", app.address, media.message_id);
    let whole = app.client.get(&url).send().await.expect("GET");
    assert_eq!(whole.status(), 200);
    let headers = whole.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let name = format!("inline; filename=\"arquivo-{}.png\"", media.message_id);
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(disposition.starts_with(&name), "photos come unnamed: {disposition}");
    assert!(headers["cache-control"].to_str().expect("ascii").contains("immutable"));
    assert_eq!(whole.bytes().await.expect("body").as_ref(), PNG);

    let part = app.client.get(&url).header("Range", "bytes=8-15").send().await.expect("GET");
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], format!("bytes 8-15/{}", PNG.len()).as_str());
    assert_eq!(part.bytes().await.expect("body").as_ref(), &PNG[8..16]);
    let beyond = app.client.get(&url).header("Range", "bytes=9999-").send().await.expect("GET");
    assert_eq!(beyond.status(), 416);
    let unknown_unit = app.client.get(&url).header("Range", "items=0-3").send().await.expect("GET");
    assert_eq!(unknown_unit.status(), 200, "a Range this route does not read is ignored");
    assert!(
        headers["content-security-policy"].to_str().expect("ascii").contains("sandbox"),
        "opened alone, nothing runs"
    );

    // Without a session: refused, not redirected to a page.
    let anonymous = reqwest::get(&url).await.expect("GET");
    assert_eq!(anonymous.status(), 401);
}

/// Moves the conversation to the team `name` (created if missing); the team's id.
pub(crate) async fn move_to_team(app: &TestApp, conversation: &ConversationSummary, name: &str) -> i64 {
    let team =
        app.store.ensure_team(name, atende_domain::time::Timestamp::from_millis(0)).await.expect("team");
    let channel = app.store.conversation_channel(conversation.id).await.expect("channel");
    let seen = Some((conversation.id, app.store.conversation_team(conversation.id).await.expect("team")));
    app.store
        .open_for(
            conversation.contact_id,
            channel,
            team,
            None,
            seen,
            atende_domain::time::Timestamp::from_millis(1),
        )
        .await
        .expect("moved");
    team
}

#[tokio::test]
async fn an_agent_of_another_team_cannot_fetch_the_file() {
    let app = spawn_app().await;
    let media =
        received(&app, "5511944440102", "Cliente Vendas", upload("foto.png", "image/png", PNG, true)).await;
    let conversation = app.conversation_with("Cliente Vendas").await;
    let sales = move_to_team(&app, &conversation, "Vendas").await;
    let support =
        app.store.ensure_team("Suporte", atende_domain::time::Timestamp::from_millis(0)).await.expect("team");
    let url = format!("{}/midia/{}", app.address, media.message_id);
    let outsider = app.agent_in("suporte@loja.com.br", &[support]).await;
    assert_eq!(
        outsider.get(&url).send().await.expect("GET").status(),
        404,
        "another team: as if it did not exist"
    );
    let member = app.agent_in("vendas@loja.com.br", &[sales]).await;
    assert_eq!(member.get(&url).send().await.expect("GET").status(), 200);
    let nowhere = format!("{}/midia/999999", app.address);
    assert_eq!(member.get(&nowhere).send().await.expect("GET").status(), 404);
}

#[tokio::test]
async fn a_contacts_html_or_svg_is_only_ever_downloaded_and_path_tricks_in_its_name_are_harmless() {
    let app = spawn_app().await;
    let page = b"<html><script>alert(document.cookie)</script></html>";
    let media = received(
        &app,
        "5511944440103",
        "Cliente Arteiro",
        upload("../../etc/ataque.html", "text/html", page, false),
    )
    .await;
    assert_eq!(media.state, MediaState::Ready);
    let response =
        app.client.get(format!("{}/midia/{}", app.address, media.message_id)).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"ataque.html\"; filename*=UTF-8''ataque.html"
    );
    assert!(headers["content-security-policy"].to_str().expect("ascii").contains("sandbox"));
    assert_eq!(response.bytes().await.expect("body").as_ref(), page);

    // A type a browser would read as HTML after the comma is kept as its plain first part only.
    let media = received(
        &app,
        "5511944440109",
        "Cliente Virgula",
        upload("nota.pdf", "application/pdf;,text/html", page, false),
    )
    .await;
    assert_eq!(media.mime_type.as_deref(), Some("application/pdf"));
    let response =
        app.client.get(format!("{}/midia/{}", app.address, media.message_id)).send().await.expect("GET");
    assert_eq!(response.headers()["content-type"], "application/pdf");

    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>";
    let media =
        received(&app, "5511944440104", "Cliente Svg", upload("logo.svg", "image/svg+xml", svg, false)).await;
    let response =
        app.client.get(format!("{}/midia/{}", app.address, media.message_id)).send().await.expect("GET");
    assert_eq!(response.headers()["content-type"], "application/octet-stream");
    assert!(response.headers()["content-disposition"].to_str().expect("ascii").starts_with("attachment"));
}

#[tokio::test]
async fn a_failed_download_is_tried_again_and_a_bad_or_expired_one_says_why() {
    let app = spawn_app().await;
    // The provider fails once: the next attempt (5 s later) keeps it.
    app.sandbox.inject_media_fault(MediaFault::ServerError, 1).await;
    let started = std::time::Instant::now();
    app.sandbox
        .simulate_inbound(SimulatedInbound {
            number: "5511944440105".into(),
            name: "Cliente Paciente".into(),
            content: upload("foto.png", "image/png", PNG, true),
        })
        .await
        .expect("delivered");
    let conversation = app.conversation_with("Cliente Paciente").await;
    let pending = app.store.media_of_conversation(conversation.id.0).await.expect("media");
    assert_eq!(pending.len(), 1, "the file is announced with the message");
    let kept = crate::common::eventually_for(15, "the retry keeps the file", || async {
        let files = app.store.media_of_conversation(conversation.id.0).await.ok()?;
        files.into_iter().find(|m| m.state == MediaState::Ready)
    })
    .await;
    assert!(started.elapsed() >= std::time::Duration::from_secs(4), "not before the backoff");
    assert_eq!(kept.size_bytes, Some(PNG.len() as i64));

    // Bytes that are not those declared are not kept.
    app.sandbox.inject_media_fault(MediaFault::Corrupt, 1).await;
    let corrupt =
        received(&app, "5511944440106", "Cliente Corrompido", upload("foto.png", "image/png", PNG, true))
            .await;
    assert_eq!(
        corrupt.state,
        MediaState::Failed(
            "arquivo não baixado: o conteúdo não confere com o que o provedor informou".into()
        )
    );
    // A media id the provider no longer knows.
    app.sandbox.inject_media_fault(MediaFault::Expired, 1).await;
    let expired =
        received(&app, "5511944440107", "Cliente Antigo", upload("foto.png", "image/png", PNG, true)).await;
    assert_eq!(expired.state, MediaState::Failed("Mídia expirada no provedor".into()));
    let gone =
        app.client.get(format!("{}/midia/{}", app.address, expired.message_id)).send().await.expect("GET");
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn a_voice_note_is_kept_as_one_with_its_type() {
    let app = spawn_app().await;
    let media = received(&app, "5511944440108", "Cliente Falante", SimulatedContent::VoiceNote).await;
    assert_eq!(media.state, MediaState::Ready);
    assert!(media.voice);
    assert_eq!(media.mime_type.as_deref(), Some("audio/ogg; codecs=opus"));
    let conversation = app.conversation_with("Cliente Falante").await;
    // Its length, read from the OGG once downloaded (one second of the sandbox's tone), is in the list's line.
    assert_eq!(conversation.last_message.as_deref(), Some("🎤 Áudio 0:01"));
    let response =
        app.client.get(format!("{}/midia/{}", app.address, media.message_id)).send().await.expect("GET");
    assert_eq!(response.headers()["content-type"], "audio/ogg; codecs=opus");
    assert_eq!(response.headers()["accept-ranges"], "bytes");
}

#[tokio::test]
async fn files_sent_through_evolution_messenger_and_instagram_are_kept_too() {
    use atende_domain::conversation::ChannelKind;
    let app = spawn_app().await;
    let mut photos = Vec::new();
    for (kind, number, name) in [
        (ChannelKind::WhatsappUnofficial, "5511944440111", "Cliente Gateway"),
        (ChannelKind::Messenger, "5511944440112", "Cliente Messenger"),
        (ChannelKind::Instagram, "5511944440113", "Cliente Instagram"),
    ] {
        for content in [
            SimulatedContent::Image { caption: None },
            SimulatedContent::VoiceNote,
            SimulatedContent::Document { caption: None },
        ] {
            app.others.simulate_content(kind, number, name, content, 0).await.expect("delivered");
        }
        let conversation = app.conversation_with(name).await;
        let files = eventually(&format!("the three files of {kind:?}"), || async {
            let files = app.store.media_of_conversation(conversation.id.0).await.ok()?;
            (files.len() == 3 && files.iter().all(|f| f.state != MediaState::Pending)).then_some(files)
        })
        .await;
        let types: Vec<(MediaState, Option<&str>)> =
            files.iter().map(|f| (f.state.clone(), f.mime_type.as_deref())).collect();
        assert_eq!(
            types,
            [
                (MediaState::Ready, Some("image/jpeg")),
                (MediaState::Ready, Some("audio/ogg; codecs=opus")),
                (MediaState::Ready, Some("text/plain")),
            ],
            "{kind:?}"
        );
        // The gateway says which audio is a voice note; Meta's pages do not.
        assert_eq!(files[1].voice, kind == ChannelKind::WhatsappUnofficial, "{kind:?}");
        assert_eq!(files[2].file_name.as_deref(), Some("comprovante.txt"), "{kind:?}");
        let photo = app
            .client
            .get(format!("{}/midia/{}", app.address, files[0].message_id))
            .send()
            .await
            .expect("GET");
        assert_eq!(photo.status(), 200);
        assert_eq!(photo.headers()["content-type"], "image/jpeg");
        photos.push(files[0].sha256.clone().expect("kept"));
    }
    // The same picture, received on three channels, is one blob (content-addressed).
    assert_eq!(photos.len(), 3);
    assert!(photos.iter().all(|key| key == &photos[0]), "{photos:?}");
}

/// A Cloud API notification of `messages` from `number`, as Meta sends it to the sandbox's number.
async fn whatsapp_sends(app: &TestApp, number: &str, messages: serde_json::Value) {
    let config = app.sandbox.config();
    let body = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": config.waba_id, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": config.display_phone_number,
                         "phone_number_id": config.phone_number_id},
            "contacts": [{"profile": {"name": "Cliente Completo"}, "wa_id": number}],
            "messages": messages
        }}]}]
    });
    let status =
        crate::common::post_signed(app, "whatsapp", &body.to_string(), config.app_secret.as_bytes()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn places_cards_reactions_replies_buttons_and_unsupported_kinds_reach_the_conversation() {
    use atende_domain::content::{Rich, SharedContact};
    let app = spawn_app().await;
    let number = "5511944440120";
    let message = |id: &str, kind: &str, body: serde_json::Value| {
        let mut message =
            serde_json::json!({"from": number, "id": id, "timestamp": "1790000000", "type": kind});
        message[kind] = body;
        message
    };
    whatsapp_sends(
        &app,
        number,
        serde_json::json!([message("wamid.T1", "text", serde_json::json!({"body": "Oi, quero trocar"}))]),
    )
    .await;
    let mut reply = message("wamid.T2", "text", serde_json::json!({"body": "É este aqui"}));
    reply["context"] = serde_json::json!({"from": number, "id": "wamid.T1"});
    let mut unsupported = serde_json::json!({"from": number, "id": "wamid.T7", "timestamp": "1790000000", "type": "unsupported",
        "errors": [{"code": 131051, "title": "Message type unknown"}]});
    unsupported["unsupported"] = serde_json::json!({"type": "poll"});
    whatsapp_sends(
        &app,
        number,
        serde_json::json!([
            reply,
            message(
                "wamid.T3",
                "location",
                serde_json::json!({"latitude": -23.5614, "longitude": -46.6559,
            "name": "Loja da Paulista", "address": "Av. Paulista, 1000"})
            ),
            message(
                "wamid.T4",
                "contacts",
                serde_json::json!([{"name": {"formatted_name": "Ana Silva"},
            "phones": [{"phone": "+55 11 98765-4321", "wa_id": "5511987654321"}]}])
            ),
            message("wamid.T5", "reaction", serde_json::json!({"message_id": "wamid.T1", "emoji": "❤️"})),
            message(
                "wamid.T6",
                "interactive",
                serde_json::json!({"type": "button_reply",
            "button_reply": {"id": "sim", "title": "Sim, confirmo"}})
            ),
            unsupported,
        ]),
    )
    .await;
    let conversation = app.conversation_with("Cliente Completo").await;
    let view = eventually("the seven messages", || async {
        let view = atende_domain::ports::Outbox::messages(&app.store, conversation.id).await.ok()?;
        (view.len() == 7).then_some(view)
    })
    .await;
    let extras: Vec<_> = view.iter().map(|m| (m.provider_id.as_deref(), m.extras.clone())).collect();
    assert_eq!(extras[0].1, Default::default());
    assert_eq!(extras[1].1.reply_to.as_deref(), Some("wamid.T1"), "a reply says what it answers");
    assert_eq!(
        extras[2].1.rich,
        Some(Rich::Location {
            latitude: -23.5614,
            longitude: -46.6559,
            name: Some("Loja da Paulista".into()),
            address: Some("Av. Paulista, 1000".into())
        })
    );
    assert_eq!(
        extras[3].1.rich,
        Some(Rich::Contacts(vec![SharedContact {
            name: "Ana Silva".into(),
            phones: vec!["+55 11 98765-4321".into()]
        }]))
    );
    assert_eq!(extras[4].1.rich, Some(Rich::Reaction { to: "wamid.T1".into(), emoji: Some("❤️".into()) }));
    assert_eq!(extras[5].1.rich, Some(Rich::ButtonReply { text: "Sim, confirmo".into() }));
    assert_eq!(view[5].body.as_deref(), Some("Sim, confirmo"), "the list shows the button's text");
    assert_eq!(extras[6].1.rich, Some(Rich::Unsupported));
    // The console's own view carries them too (the browser draws them).
    let shown = app.conversation_view(conversation.id.0).await;
    assert_eq!(shown["messages"][1]["extras"]["reply_to"], "wamid.T1", "{shown}");
}

#[tokio::test]
async fn an_instagram_story_mention_is_shown_from_meta_and_never_stored() {
    let app = spawn_app().await;
    let config = app.others.config().clone();
    let mention = |mid: &str, file: &str| {
        serde_json::json!({ "object": "instagram", "entry": [{ "id": config.instagram_id, "time": 1, "messaging": [{
            "sender": { "id": "1700000000000777" }, "recipient": { "id": config.instagram_id },
            "timestamp": 1_700_000_000_000_i64,
            "message": { "mid": mid, "attachments": [{ "type": "story_mention",
                "payload": { "url": format!("{}/meta/cdn/{file}", config.public_url) } }] } }] }] })
        .to_string()
    };
    let secret = config.meta_app_secret.as_bytes();
    assert_eq!(
        crate::common::post_signed(&app, "meta", &mention("m_story_1", "amostra.jpg"), secret).await,
        200
    );
    let conversation = eventually("the mention's conversation", || async {
        let conversations = app.store.list_conversations(Tab::All).await.ok()?;
        conversations.into_iter().find(|c| c.last_message.as_deref() == Some("📷 Mencionou você no story"))
    })
    .await;
    let media = eventually("the mention's file", || async {
        app.store.media_of_conversation(conversation.id.0).await.ok()?.into_iter().next()
    })
    .await;
    assert_eq!(media.state, MediaState::Linked);
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let media = app.store.media_of(media.message_id).await.expect("read").expect("the row");
    assert_eq!(
        (media.state, media.sha256, media.size_bytes),
        (MediaState::Linked, None, None),
        "never downloaded"
    );

    // Shown through Atende, from Meta, for this request only.
    let url = format!("{}/midia/{}", app.address, media.message_id);
    let shown = app.client.get(&url).send().await.expect("GET");
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["content-type"], "image/jpeg");
    assert_eq!(shown.headers()["cache-control"], "private, no-store");
    assert!(shown.bytes().await.expect("body").starts_with(&[0xFF, 0xD8, 0xFF]));
    assert_eq!(reqwest::get(&url).await.expect("GET").status(), 401, "only to agents");

    // Once Meta no longer has it, the agent is told so.
    assert_eq!(
        crate::common::post_signed(&app, "meta", &mention("m_story_2", "expirado.jpg"), secret).await,
        200
    );
    let gone = eventually("the second mention's file", || async {
        let files = app.store.media_of_conversation(conversation.id.0).await.ok()?;
        (files.len() == 2).then(|| files[1].message_id)
    })
    .await;
    let expired = app.client.get(format!("{}/midia/{gone}", app.address)).send().await.expect("GET");
    assert_eq!(expired.status(), 404);
    assert!(expired.text().await.expect("text").contains("expirou"));
}

#[tokio::test]
async fn several_files_in_one_messenger_message_are_each_kept_and_an_unreact_takes_the_reaction_off() {
    use atende_domain::content::Rich;
    let app = spawn_app().await;
    let config = app.others.config().clone();
    let event = |messaging: serde_json::Value| {
        serde_json::json!({ "object": "page", "entry": [{ "id": config.page_id, "time": 1, "messaging": [messaging] }] })
            .to_string()
    };
    let person = "2400000000000091";
    let photo = |file: &str| serde_json::json!({ "type": "image", "payload": { "url": format!("{}/meta/cdn/{file}", config.public_url) } });
    let secret = config.meta_app_secret.as_bytes();
    let three = event(serde_json::json!({ "sender": { "id": person }, "recipient": { "id": config.page_id },
        "timestamp": 1_700_000_000_000_i64,
        "message": { "mid": "m_tres", "text": "Seguem as fotos", "attachments": [photo("amostra.jpg"), photo("amostra.jpg")] } }));
    assert_eq!(crate::common::post_signed(&app, "meta", &three, secret).await, 200);
    let conversation = app.conversation_with("Contato do Messenger …0091").await;
    let view = eventually("both photos kept", || async {
        let view = atende_domain::ports::Outbox::messages(&app.store, conversation.id).await.ok()?;
        let kept =
            view.iter().filter(|m| m.media.as_ref().is_some_and(|f| f.state == MediaState::Ready)).count();
        (view.len() == 2 && kept == 2).then_some(view)
    })
    .await;
    let ids: Vec<_> =
        view.iter().map(|m| (m.provider_id.as_deref(), m.kind.as_str(), m.body.as_deref())).collect();
    assert_eq!(ids, [(Some("m_tres"), "image", Some("Seguem as fotos")), (Some("m_tres#2"), "image", None)]);
    // The same event again (Meta retries) stores nothing more.
    assert_eq!(crate::common::post_signed(&app, "meta", &three, secret).await, 200);

    // A reaction, then its removal.
    for (action, at) in [("react", 1_700_000_001_000_i64), ("unreact", 1_700_000_002_000_i64)] {
        let reaction = event(
            serde_json::json!({ "sender": { "id": person }, "recipient": { "id": config.page_id },
            "timestamp": at, "reaction": { "mid": "m_tres", "action": action, "emoji": "😍", "reaction": "love" } }),
        );
        assert_eq!(crate::common::post_signed(&app, "meta", &reaction, secret).await, 200);
    }
    let view = eventually("the reaction and its removal", || async {
        let view = atende_domain::ports::Outbox::messages(&app.store, conversation.id).await.ok()?;
        (view.len() == 4).then_some(view)
    })
    .await;
    assert_eq!(view[2].extras.rich, Some(Rich::Reaction { to: "m_tres".into(), emoji: Some("😍".into()) }));
    assert_eq!(view[3].extras.rich, Some(Rich::Reaction { to: "m_tres".into(), emoji: None }));
    let listed = app.conversation_with("Contato do Messenger …0091").await;
    assert_eq!(listed.last_message.as_deref(), Some("Removeu uma reação"));
}
