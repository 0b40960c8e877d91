//! The Graph API routes of the sandbox.

use super::{
    digits, new_id, pricing, templates, unix_millis, unix_now, Fault, FaultRequest, GraphFailure, MediaFault,
    Outcome, Quirks, SandboxState, SentMessage,
};
use crate::providers::whatsapp::wire::{
    Cursors, ErrorData, OutboundContent, Paging, SendRequest, SendResponse, SendResponseContact,
    SendResponseMessage, TemplateListPage, WebhookError, MESSAGING_PRODUCT,
};
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const DEFAULT_PAGE_SIZE: usize = 25;
const MAX_TEXT_LENGTH: usize = 4096;

fn authorize(state: &SandboxState, headers: &HeaderMap) -> Result<(), GraphFailure> {
    let expected = format!("Bearer {}", state.inner.config.access_token);
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if given.is_some_and(|given| crate::access::constant_time_eq(given.as_bytes(), expected.as_bytes())) {
        return Ok(());
    }
    let mut failure = GraphFailure::new(
        StatusCode::UNAUTHORIZED,
        190,
        "Invalid OAuth access token - Cannot parse access token",
        "",
    );
    failure.error.error_data = None;
    Err(failure)
}

fn http_status(code: Option<u16>, default: StatusCode) -> StatusCode {
    code.and_then(|c| StatusCode::from_u16(c).ok()).unwrap_or(default)
}

/// 131047 as Meta reports it in a `failed` status (§8 d).
fn re_engagement() -> WebhookError {
    WebhookError {
        code: 131047,
        title: Some("Re-engagement message".into()),
        message: Some("Re-engagement message".into()),
        error_data: Some(ErrorData {
            messaging_product: None,
            details: Some(
                "More than 24 hours have passed since the recipient last replied to the sender number."
                    .into(),
            ),
        }),
        href: Some("/documentation/business-messaging/whatsapp/support/error-codes".into()),
    }
}

/// `POST /graph/v23.0/{phone_number_id}/messages`.
pub(super) async fn send_message(
    State(state): State<SandboxState>,
    Path(phone_number_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(answer) = mark_read(&state, &phone_number_id, &headers, &body).await {
        return answer;
    }
    match send(&state, &phone_number_id, &headers, &body).await {
        Ok(accepted) => Json(accepted).into_response(),
        Err(failure) => failure.into_response(),
    }
}

/// `{"messaging_product":"whatsapp","status":"read","message_id":…}` (with `typing_indicator` perhaps): the
/// person's message shows as read; no fault is taken for it. `None`: the body is a message to send.
async fn mark_read(
    state: &SandboxState,
    phone_number_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    let request = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    if request.get("status").and_then(serde_json::Value::as_str) != Some("read") {
        return None;
    }
    if let Err(failure) = authorize(state, headers) {
        return Some(failure.into_response());
    }
    if phone_number_id != state.inner.config.phone_number_id {
        return Some(GraphFailure::unknown_object(phone_number_id).into_response());
    }
    let Some(message_id) = request.get("message_id").and_then(serde_json::Value::as_str) else {
        return Some(
            GraphFailure::new(
                StatusCode::BAD_REQUEST,
                100,
                "(#100) The parameter message_id is required.",
                "",
            )
            .into_response(),
        );
    };
    let mut data = state.inner.data.lock().await;
    let known = data.contacts.values().any(|c| c.log.iter().any(|l| l.message_id == message_id));
    if !known {
        return Some(
            GraphFailure::new(
                StatusCode::BAD_REQUEST,
                100,
                "(#100) Invalid parameter",
                "Unknown message_id.",
            )
            .into_response(),
        );
    }
    let typing =
        request.pointer("/typing_indicator/type").and_then(serde_json::Value::as_str) == Some("text");
    super::keep_last(&mut data.read_by_business, (message_id.to_owned(), typing));
    Some(Json(serde_json::json!({ "success": true })).into_response())
}

async fn send(
    state: &SandboxState,
    phone_number_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<SendResponse, GraphFailure> {
    let config = &state.inner.config;
    authorize(state, headers)?;
    if phone_number_id != config.phone_number_id {
        return Err(GraphFailure::unknown_object(phone_number_id));
    }

    let fault = state.inner.data.lock().await.faults.pop_front();
    let mut failed_status = None;
    let mut quirks = Quirks::default();
    let mut lose_answer_after = None;
    let mut slow_answer_after = None;
    match fault {
        None | Some(Fault::Pass) => {}
        Some(Fault::LoseAnswer { seconds }) => lose_answer_after = Some(seconds.unwrap_or(60)),
        Some(Fault::SlowAnswer { seconds }) => slow_answer_after = Some(seconds.unwrap_or(2)),
        Some(Fault::DuplicateStatuses) => quirks.duplicate = true,
        Some(Fault::ReorderStatuses) => quirks.reorder = true,
        Some(fault @ (Fault::ServerError { .. } | Fault::Error { .. } | Fault::Timeout { .. })) => {
            return Err(injected_failure(fault).await)
        }
        Some(Fault::FailedStatus { code, title, details }) => {
            failed_status = Some(WebhookError {
                code,
                title: Some(title.clone().unwrap_or_else(|| format!("Erro {code} injetado no sandbox"))),
                message: title,
                error_data: Some(ErrorData { messaging_product: None, details }),
                href: Some("/documentation/business-messaging/whatsapp/support/error-codes".into()),
            })
        }
    }

    {
        let mut data = state.inner.data.lock().await;
        let now = Instant::now();
        while data.recent_sends.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            data.recent_sends.pop_front();
        }
        let limit = config.rate_limit_per_second;
        if limit > 0 && data.recent_sends.len() >= limit as usize {
            return Err(GraphFailure::new(
                StatusCode::TOO_MANY_REQUESTS,
                130429,
                "(#130429) Rate limit hit",
                "Cloud API message throughput has been reached.",
            ));
        }
        data.recent_sends.push_back(now);
    }

    let request: SendRequest =
        serde_json::from_slice(body).map_err(|e| GraphFailure::invalid_parameter(e.to_string()))?;
    if request.messaging_product != MESSAGING_PRODUCT {
        return Err(GraphFailure::invalid_parameter("messaging_product must be whatsapp"));
    }
    let number = digits(&request.to);
    if !(8..=15).contains(&number.len()) {
        return Err(GraphFailure::invalid_parameter("Invalid parameter 'to': not a phone number"));
    }
    let wa_id = state.wa_id_for(&number);
    let now = unix_now();

    let mut data = state.inner.data.lock().await;
    if config.pair_burst > 0 && !config.pair_interval.is_zero() {
        // GCRA: the allowance is full again at `full_at`; one more send moves it one interval later.
        let instant = Instant::now();
        let full_at = data.pairs.get(&wa_id).copied().filter(|t| *t > instant).unwrap_or(instant);
        let next = full_at + config.pair_interval;
        if next > instant + config.pair_interval * config.pair_burst {
            return Err(GraphFailure::new(
                StatusCode::BAD_REQUEST,
                131056,
                "(#131056) (Business Account, Consumer Account) pair rate limit hit",
                "Too many messages sent from the sender phone number to the same recipient phone number in a \
                 short period of time.",
            ));
        }
        data.pairs.insert(wa_id.clone(), next);
    }
    let window = i64::try_from(config.service_window.as_secs()).unwrap_or(i64::MAX);
    let window_open = data
        .contacts
        .get(&wa_id)
        .and_then(|c| c.last_inbound)
        .is_some_and(|t| now.saturating_sub(t) < window);
    let mut uploaded = None;
    let (category, summary, template_name) = match &request.content {
        OutboundContent::Template { template } => {
            let definition = templates::validate(&data.templates, template)?;
            // Its header's file by the id of an upload.
            if let Some(id) = templates::header_media_id(template) {
                let stored = data.media.get(id).ok_or_else(|| unknown_media(id))?;
                uploaded = Some((stored.sha256.clone(), stored.mime_type.clone()));
            }
            (Some(definition.category), templates::render(definition, template), Some(template.name.clone()))
        }
        OutboundContent::Text { text } => {
            if !window_open && config.refuse_outside_window_at_once {
                return Err(GraphFailure::new(
                    StatusCode::BAD_REQUEST,
                    131047,
                    "(#131047) Re-engagement message",
                    "More than 24 hours have passed since the recipient last replied to the sender number.",
                ));
            }
            if text.body.trim().is_empty() {
                return Err(GraphFailure::invalid_parameter("text.body is required"));
            }
            if text.body.chars().count() > MAX_TEXT_LENGTH {
                return Err(GraphFailure::invalid_parameter("text.body is longer than 4096 characters"));
            }
            (None, text.body.clone(), None)
        }
        OutboundContent::Image { image: media }
        | OutboundContent::Document { document: media }
        | OutboundContent::Audio { audio: media }
        | OutboundContent::Video { video: media } => {
            if media.id.is_none() && media.link.is_none() {
                return Err(GraphFailure::invalid_parameter(format!(
                    "{}: either id or link is required",
                    request.content.kind()
                )));
            }
            if let Some(id) = &media.id {
                let stored = data.media.get(id).ok_or_else(|| unknown_media(id))?;
                uploaded = Some((stored.sha256.clone(), stored.mime_type.clone()));
            }
            let label = media.filename.clone().or_else(|| media.link.clone()).unwrap_or_default();
            let caption = media.caption.clone().unwrap_or_default();
            let kind = if media.voice {
                "[audio] (mensagem de voz)".to_owned()
            } else {
                format!("[{}]", request.content.kind())
            };
            let words: Vec<&str> = [kind.as_str(), label.as_str(), caption.as_str()]
                .into_iter()
                .filter(|w| !w.is_empty())
                .collect();
            (None, words.join(" "), None)
        }
        OutboundContent::Reaction { reaction } => {
            // A service message like a text: Meta refuses it after the window (asynchronously, as a text).
            if !reaction.message_id.starts_with("wamid.") {
                return Err(GraphFailure::invalid_parameter("reaction.message_id is not a message id"));
            }
            let summary = match reaction.emoji.as_deref() {
                Some(emoji) if !emoji.is_empty() => format!("[reação] {emoji}"),
                _ => "[reação removida]".to_owned(),
            };
            (None, summary, None)
        }
    };
    let reply_to = match &request.content {
        OutboundContent::Reaction { reaction } => Some(reaction.message_id.clone()),
        _ => request.context.as_ref().map(|c| c.message_id.clone()),
    };
    let outcome = match failed_status {
        Some(error) => Outcome::Failed(error),
        // Meta's usual way (§1): accept, then fail asynchronously.
        None if category.is_none() && !window_open => Outcome::Failed(re_engagement()),
        None => Outcome::Delivered { pricing: pricing(category, window_open) },
    };
    let id = new_id("wamid.SBX");
    data.sent.push(SentMessage {
        id: id.clone(),
        to: request.to.clone(),
        wa_id: wa_id.clone(),
        kind: request.content.kind().into(),
        template: template_name,
        summary,
        at: now,
        status: "accepted".into(),
        biz_opaque_callback_data: request.biz_opaque_callback_data.clone(),
        media: uploaded,
        reply_to,
    });
    drop(data);
    let opaque = request.biz_opaque_callback_data.clone();
    tokio::spawn(state.clone().report_statuses(id.clone(), wa_id.clone(), opaque, outcome, quirks));
    if let Some(seconds) = slow_answer_after {
        tokio::time::sleep(Duration::from_secs(seconds)).await;
    }
    if let Some(seconds) = lose_answer_after {
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        return Err(GraphFailure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            131000,
            "(#131000) Something went wrong",
            "The sandbox took the message but was told to lose its answer.",
        ));
    }
    Ok(SendResponse {
        messaging_product: MESSAGING_PRODUCT.into(),
        contacts: vec![SendResponseContact { input: request.to, wa_id: Some(wa_id) }],
        messages: vec![SendResponseMessage { id, message_status: None }],
    })
}

/// `POST /{phone_number_id}/media`, multipart: `messaging_product=whatsapp`, `type` and the `file` part. The
/// bytes are kept like a contact's file (the same `GET /{media-id}` gives them back) and the id is answered.
/// A fault queued for this number's next request (an injected error, 5xx or time-out) is taken by the upload:
/// that is how a test makes Meta refuse a file (131053), or holds an upload while the server is killed.
pub(super) async fn upload_media(
    State(state): State<SandboxState>,
    Path(phone_number_id): Path<String>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Response {
    if let Err(failure) = authorize(&state, &headers) {
        return failure.into_response();
    }
    if phone_number_id != state.inner.config.phone_number_id {
        return GraphFailure::unknown_object(&phone_number_id).into_response();
    }
    let fault = {
        let mut data = state.inner.data.lock().await;
        let failing = matches!(
            data.faults.front(),
            Some(Fault::Error { .. } | Fault::ServerError { .. } | Fault::Timeout { .. })
        );
        failing.then(|| data.faults.pop_front()).flatten()
    };
    if let Some(fault) = fault {
        return injected_failure(fault).await.into_response();
    }
    let (mut product, mut declared, mut file) = (None, None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or_default() {
            "messaging_product" => product = field.text().await.ok(),
            "type" => declared = field.text().await.ok(),
            "file" => {
                let part_type = field.content_type().map(str::to_owned);
                file = field.bytes().await.ok().map(|bytes| (part_type, bytes));
            }
            _ => {}
        }
    }
    if product.as_deref() != Some(MESSAGING_PRODUCT) {
        return GraphFailure::invalid_parameter("messaging_product must be whatsapp").into_response();
    }
    let (Some(declared), Some((part_type, bytes))) = (declared, file) else {
        return GraphFailure::invalid_parameter("type and file are required").into_response();
    };
    // Meta takes OGG audio only as Opus, and says so by its type.
    if declared.trim() == "audio/ogg" {
        return media_upload_error(
            "Unsupported Audio mime type audio/ogg. Please use one of audio/ogg; codecs=opus, audio/mpeg, \
             audio/amr, audio/mp4, audio/aac.",
        )
        .into_response();
    }
    if part_type.as_deref() != Some(declared.as_str()) || bytes.is_empty() {
        return media_upload_error(format!("The file's type {part_type:?} does not match type {declared}."))
            .into_response();
    }
    let stored = state.store_media(&declared, bytes.to_vec()).await;
    Json(serde_json::json!({ "id": stored.id })).into_response()
}

/// The path prefix the sandbox is mounted under (`/sandbox`), from the full and the nested URI.
fn mount_prefix(original: &Uri, nested: &Uri) -> String {
    original.path().strip_suffix(nested.path()).unwrap_or("").to_owned()
}

fn base_url(headers: &HeaderMap, original: &Uri, nested: &Uri) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}{}", mount_prefix(original, nested))
}

fn cursor(index: usize) -> String {
    hex::encode(format!("sbx:{index}"))
}

fn from_cursor(cursor: &str) -> Option<usize> {
    let text = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    text.strip_prefix("sbx:")?.parse().ok()
}

/// `GET /graph/v23.0/{waba_id}/message_templates?limit=&after=`: cursor paging like the Graph API, with
/// `paging.next` only when another page exists.
pub(super) async fn list_templates(
    State(state): State<SandboxState>,
    Path(waba_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(original): OriginalUri,
    nested: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(failure) = authorize(&state, &headers) {
        return failure.into_response();
    }
    if waba_id != state.inner.config.waba_id {
        return GraphFailure::unknown_object(&waba_id).into_response();
    }
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, state.inner.config.max_templates_per_page.max(1));
    let start = match query.get("after") {
        None => 0,
        Some(after) => match from_cursor(after) {
            Some(index) => index,
            None => return GraphFailure::invalid_parameter("Invalid cursor 'after'").into_response(),
        },
    };
    let templates = state.inner.data.lock().await.templates.clone();
    let data: Vec<_> = templates.iter().skip(start).take(limit).cloned().collect();
    let end = start + data.len();
    let next = (end < templates.len()).then(|| {
        format!(
            "{}/graph/v23.0/{waba_id}/message_templates?limit={limit}&after={}",
            base_url(&headers, &original, &nested),
            cursor(end)
        )
    });
    let paging = (!data.is_empty()).then(|| Paging {
        cursors: Some(Cursors { before: Some(cursor(start)), after: Some(cursor(end)) }),
        next,
        previous: None,
    });
    Json(TemplateListPage { data, paging }).into_response()
}

/// `GET /graph/v23.0/{media_id}`: where to download a contact's media.
pub(super) async fn media_info(
    State(state): State<SandboxState>,
    Path(media_id): Path<String>,
    OriginalUri(original): OriginalUri,
    nested: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(failure) = authorize(&state, &headers) {
        return failure.into_response();
    }
    // The business account itself (`GET /{waba_id}?fields=currency`): a Brazilian account, billed in reais.
    if media_id == state.inner.config.waba_id {
        return Json(serde_json::json!({ "id": media_id, "currency": "BRL" })).into_response();
    }
    let mut data = state.inner.data.lock().await;
    if data.media_faults.front() == Some(&MediaFault::Expired) {
        data.media_faults.pop_front();
        return GraphFailure::unknown_object(&media_id).into_response();
    }
    let Some(media) = data.media.get(&media_id) else {
        return GraphFailure::unknown_object(&media_id).into_response();
    };
    // Meta's URLs live 5 minutes: this one says until when.
    let expires = unix_millis() + MEDIA_URL_LIFETIME_MS;
    Json(serde_json::json!({
        "messaging_product": MESSAGING_PRODUCT,
        "url": format!("{}/media/{media_id}?expira={expires}", base_url(&headers, &original, &nested)),
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.bytes.len(),
        "id": media_id,
    }))
    .into_response()
}

/// How long a media URL works, as at Meta.
const MEDIA_URL_LIFETIME_MS: i64 = 5 * 60 * 1000;

/// `GET /media/{media_id}?expira=…`: the bytes (with the token, as Meta requires), until the URL expires.
pub(super) async fn media_bytes(
    State(state): State<SandboxState>,
    Path(media_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(failure) = authorize(&state, &headers) {
        return failure.into_response();
    }
    let expires = query.get("expira").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    if expires < unix_millis() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut data = state.inner.data.lock().await;
    let fault = match data.media_faults.front() {
        Some(MediaFault::ServerError | MediaFault::Corrupt) => data.media_faults.pop_front(),
        _ => None,
    };
    if fault == Some(MediaFault::ServerError) {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    match data.media.get(&media_id) {
        Some(media) => {
            let mut bytes = media.bytes.clone();
            if fault == Some(MediaFault::Corrupt) {
                if let Some(last) = bytes.last_mut() {
                    *last ^= 0xff;
                }
            }
            ([(header::CONTENT_TYPE, media.mime_type.clone())], bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `POST /faults`: `{"kind":"server_error","count":2}`, `{"kind":"error","code":131026}`,
/// `{"kind":"timeout","seconds":30}`, `{"kind":"failed_status","code":131026}`, `{"kind":"duplicate_statuses"}`,
/// `{"kind":"reorder_statuses"}`, `{"kind":"lose_answer","seconds":2}`.
/// With `"channel"` (`WhatsappUnofficial`, `Messenger`, `Instagram`), the same faults for that fake's sends.
pub(super) async fn add_faults(
    State(state): State<SandboxState>,
    Json(request): Json<FaultRequest>,
) -> Response {
    use atende_domain::conversation::ChannelKind;
    let queued = match (request.channel, state.others()) {
        (None | Some(ChannelKind::WhatsappOfficial), _) => {
            state.inject_fault(request.fault, request.count).await;
            state.inner.data.lock().await.faults.len()
        }
        (Some(kind), Some(others)) => match others.inject_fault(kind, request.fault, request.count).await {
            Ok(queued) => queued,
            Err(refused) => {
                return (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": refused.to_string() })))
                    .into_response()
            }
        },
        (Some(kind), None) => {
            let error = format!("O {} não está ligado neste sandbox.", kind.label());
            return (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": error }))).into_response();
        }
    };
    Json(serde_json::json!({ "queued": queued })).into_response()
}

/// `DELETE /faults`: every channel's.
pub(super) async fn clear_faults(State(state): State<SandboxState>) -> StatusCode {
    state.clear_faults().await;
    if let Some(others) = state.others() {
        others.clear_faults().await;
    }
    StatusCode::NO_CONTENT
}

/// The answer to a request that takes an injected failure: Meta's error envelope with the code asked for, an
/// unknown error (5xx), or, after `seconds` of silence, a 500 (the caller has given up by then). Any other
/// fault is answered as an unknown error.
async fn injected_failure(fault: Fault) -> GraphFailure {
    match fault {
        Fault::Error { code, http_status: status, message, details } => GraphFailure::new(
            http_status(status, StatusCode::BAD_REQUEST),
            code,
            message.unwrap_or_else(|| format!("(#{code}) Erro injetado no sandbox")),
            details.unwrap_or_default(),
        ),
        Fault::Timeout { seconds } => {
            tokio::time::sleep(Duration::from_secs(seconds.unwrap_or(60))).await;
            GraphFailure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                131000,
                "(#131000) Something went wrong",
                "The sandbox was told to time out.",
            )
        }
        other => {
            let status = match other {
                Fault::ServerError { status } => status,
                _ => None,
            };
            GraphFailure::new(
                http_status(status, StatusCode::INTERNAL_SERVER_ERROR),
                1,
                "An unknown error has occurred.",
                "An unknown error has occurred.",
            )
        }
    }
}

/// Meta's refusal of a file: an upload it cannot take, or a send naming an id it does not know.
fn media_upload_error(details: impl Into<String>) -> GraphFailure {
    GraphFailure::new(StatusCode::BAD_REQUEST, 131053, "(#131053) Media upload error", details)
}

/// A send that names an upload this number does not have.
fn unknown_media(id: &str) -> GraphFailure {
    media_upload_error(format!("Unknown media id {id}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(from_cursor(&cursor(42)), Some(42));
        assert_eq!(from_cursor("zz"), None);
        assert_eq!(from_cursor(&hex::encode("other:1")), None);
    }

    #[test]
    fn the_mount_prefix_is_what_the_nesting_removed() {
        let original: Uri = "/sandbox/graph/v23.0/1/message_templates?limit=2".parse().expect("uri");
        let nested: Uri = "/graph/v23.0/1/message_templates?limit=2".parse().expect("uri");
        assert_eq!(mount_prefix(&original, &nested), "/sandbox");
    }
}
