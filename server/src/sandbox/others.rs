//! The other channels of the sandbox: an Evolution API v2 instance (the "API Não Oficial") and Meta's
//! Messenger and Instagram Send API, with the same care as the Cloud API fake: their wire formats, their
//! authentication, their errors, their windows, and webhooks back to Atende (Evolution's with the instance's
//! bearer header and `apikey`, Meta's signed with the app secret), retried while Atende does not answer.
//!
//! | route (under the mount) | what |
//! |---|---|
//! | `POST /evolution/message/sendText/{instance}` | Evolution send: `apikey` header, 201 + `key`, errors as Evolution answers them |
//! | `POST /evolution/connection` | `{"connected": false}` makes sends fail with "Connection Closed" (tests) |
//! | `POST /meta/v23.0/{page or ig id}/messages` | Send API: bearer token, window (code 10 with 2018278 / 2534022), HUMAN_AGENT up to 7 days |
//! | `GET /meta/v23.0/{psid or igsid}` | the person's profile |

use super::{digits, escape_non_ascii, new_id, post_with_retry, unix_now};
use crate::evolution::wire::{
    ErrorEnvelope, ErrorResponse, Key, MessageRecord, SendText, StatusData, WebhookEvent,
};
use crate::messenger::wire::{
    Delivery, Entry, Event, IncomingMessage, Messaging, Party, Profile, Read, SendRequest, SendResponse,
};
use crate::whatsapp::wire::{signature_header, SIGNATURE_HEADER};
use atende_domain::conversation::ChannelKind;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// How the other channels behave. `Debug` prints no secret.
#[derive(Clone)]
pub struct OthersConfig {
    /// Atende's `/webhooks/evolution`.
    pub evolution_webhook_url: String,
    pub evolution_instance: String,
    /// The instance token (header `apikey` on sends; `apikey` in webhook bodies).
    pub evolution_api_key: String,
    /// Sent as `Authorization: Bearer …` on webhooks (the instance's webhook headers).
    pub evolution_webhook_token: String,
    /// Numbers Evolution finds no WhatsApp for (`[{"exists":false}]`).
    pub evolution_without_whatsapp: Vec<String>,
    /// Atende's `/webhooks/meta`.
    pub meta_webhook_url: String,
    /// Signs Messenger and Instagram webhooks.
    pub meta_app_secret: String,
    /// The page (Messenger) and the professional account (Instagram).
    pub page_id: String,
    pub instagram_id: String,
    /// The page token the Send API expects as `Authorization: Bearer …`.
    pub meta_token: String,
    /// The pause before each receipt webhook.
    pub status_delay: Duration,
    pub webhook_retry_for: Duration,
    /// Meta's standard window (24 hours) and the HUMAN_AGENT one (7 days); shorter in tests.
    pub service_window: Duration,
    pub human_agent_window: Duration,
}

impl Default for OthersConfig {
    fn default() -> Self {
        Self {
            evolution_webhook_url: "http://127.0.0.1:3000/webhooks/evolution".into(),
            evolution_instance: "atende-sandbox".into(),
            evolution_api_key: "chave-da-instancia".into(),
            evolution_webhook_token: "token-do-webhook".into(),
            evolution_without_whatsapp: vec![DEMO_NO_WHATSAPP.into()],
            meta_webhook_url: "http://127.0.0.1:3000/webhooks/meta".into(),
            meta_app_secret: "segredo-do-app".into(),
            page_id: "109876543210987".into(),
            instagram_id: "17841400000000001".into(),
            meta_token: "token-da-pagina".into(),
            status_delay: Duration::from_millis(500),
            webhook_retry_for: Duration::from_secs(3),
            service_window: Duration::from_secs(24 * 60 * 60),
            human_agent_window: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

/// A number the sandbox's Evolution instance says has no WhatsApp.
pub const DEMO_NO_WHATSAPP: &str = "5511900000000";

impl std::fmt::Debug for OthersConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OthersConfig")
            .field("evolution_instance", &self.evolution_instance)
            .field("page_id", &self.page_id)
            .field("instagram_id", &self.instagram_id)
            .finish_non_exhaustive()
    }
}

/// A message Atende sent through one of these channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherSent {
    pub channel: ChannelKind,
    /// The number (Evolution) or the scoped id (Meta).
    pub to: String,
    pub text: String,
    /// `HUMAN_AGENT` when tagged.
    pub tag: Option<String>,
    pub id: String,
}

#[derive(Default)]
struct OthersData {
    /// Meta people by (channel, scoped id): name and the unix second of their last message.
    people: BTreeMap<(String, String), (String, i64)>,
    sent: Vec<OtherSent>,
    disconnected: bool,
    /// How many of the next sends are taken but answered with a late 500 (the sender never learns).
    lose_answers: u32,
}

struct OthersInner {
    config: OthersConfig,
    http: reqwest::Client,
    data: Mutex<OthersData>,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct OthersSandbox {
    inner: Arc<OthersInner>,
}

fn channel_key(kind: ChannelKind) -> String {
    kind.code().to_owned()
}

impl OthersSandbox {
    pub fn new(config: OthersConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { inner: Arc::new(OthersInner { config, http, data: Mutex::new(OthersData::default()) }) }
    }

    pub fn config(&self) -> &OthersConfig {
        &self.inner.config
    }

    /// What Atende sent through these channels, oldest first.
    pub async fn sent(&self) -> Vec<OtherSent> {
        self.inner.data.lock().await.sent.clone()
    }

    /// The next `count` sends (any of these channels) are taken and echoed, but their answer is lost: a 500
    /// after `seconds`.
    pub async fn lose_next_answers(&self, count: u32) {
        self.inner.data.lock().await.lose_answers = count;
    }

    /// Whether this send's answer is to be lost (and counts it).
    async fn losing_answer(&self) -> bool {
        let mut data = self.inner.data.lock().await;
        let lose = data.lose_answers > 0;
        data.lose_answers = data.lose_answers.saturating_sub(1);
        lose
    }

    /// The id Meta would give a person (`kind` Messenger or Instagram) who writes from `number`.
    pub fn scoped_id(kind: ChannelKind, number: &str) -> String {
        let prefix = if kind == ChannelKind::Instagram { "17" } else { "24" };
        format!("{prefix}{:0>14}", digits(number))
    }

    /// A person writes `text` on `kind` (not the official WhatsApp) `seconds_ago`; Atende gets the webhook.
    /// Returns the provider's message id.
    pub async fn simulate(
        &self,
        kind: ChannelKind,
        number: &str,
        name: &str,
        text: &str,
        seconds_ago: i64,
    ) -> Result<String, super::SandboxError> {
        let number = digits(number);
        if !(10..=15).contains(&number.len()) {
            return Err(super::SandboxError::InvalidNumber);
        }
        if text.trim().is_empty() {
            return Err(super::SandboxError::EmptyMessage);
        }
        let at = unix_now().saturating_sub(seconds_ago.max(0));
        let name = if name.trim().is_empty() { number.clone() } else { name.trim().to_owned() };
        match kind {
            ChannelKind::WhatsappUnofficial => {
                let id = format!("3A{}", hex_id());
                let record = MessageRecord {
                    key: Key {
                        remote_jid: format!("{number}@s.whatsapp.net"),
                        from_me: false,
                        id: id.clone(),
                        remote_jid_alt: None,
                        sender_pn: None,
                    },
                    push_name: Some(name),
                    status: Some("DELIVERY_ACK".into()),
                    message: Some(json!({ "conversation": text })),
                    message_type: Some("conversation".into()),
                    message_timestamp: Some(json!(at)),
                };
                self.deliver_evolution("messages.upsert", serde_json::to_value(record).unwrap_or_default())
                    .await?;
                Ok(id)
            }
            ChannelKind::Messenger | ChannelKind::Instagram => {
                let person = Self::scoped_id(kind, &number);
                self.inner.data.lock().await.people.insert((channel_key(kind), person.clone()), (name, at));
                let mid = format!("m_{}", hex_id());
                let messaging = Messaging {
                    sender: Party { id: person },
                    recipient: Party { id: self.account_of(kind).to_owned() },
                    timestamp: Some(at.saturating_mul(1000)),
                    message: Some(IncomingMessage {
                        mid: mid.clone(),
                        text: Some(text.to_owned()),
                        attachments: vec![],
                        is_echo: false,
                        quick_reply: None,
                        metadata: None,
                    }),
                    delivery: None,
                    read: None,
                    reaction: None,
                    postback: None,
                };
                self.deliver_meta(kind, messaging).await?;
                Ok(mid)
            }
            ChannelKind::WhatsappOfficial => {
                Err(super::SandboxError::Delivery("use the Cloud API sandbox".into()))
            }
        }
    }

    fn account_of(&self, kind: ChannelKind) -> &str {
        if kind == ChannelKind::Instagram {
            &self.inner.config.instagram_id
        } else {
            &self.inner.config.page_id
        }
    }

    async fn deliver_evolution(&self, event: &str, data: Value) -> Result<u16, super::SandboxError> {
        let config = &self.inner.config;
        let event = WebhookEvent {
            event: event.into(),
            instance: config.evolution_instance.clone(),
            data,
            date_time: None,
            sender: None,
            apikey: Some(config.evolution_api_key.clone()),
        };
        let body = serde_json::to_vec(&event).map_err(|e| super::SandboxError::Delivery(e.to_string()))?;
        let bearer = format!("Bearer {}", config.evolution_webhook_token);
        post_with_retry(
            &self.inner.http,
            &config.evolution_webhook_url,
            &[(header::AUTHORIZATION.as_str(), bearer.as_str())],
            body,
            config.webhook_retry_for,
        )
        .await
    }

    async fn deliver_meta(
        &self,
        kind: ChannelKind,
        messaging: Messaging,
    ) -> Result<u16, super::SandboxError> {
        let config = &self.inner.config;
        let event = Event {
            object: if kind == ChannelKind::Instagram { "instagram" } else { "page" }.into(),
            entry: vec![Entry {
                id: self.account_of(kind).to_owned(),
                time: Some(unix_now().saturating_mul(1000)),
                messaging: vec![messaging],
            }],
        };
        let json = serde_json::to_string(&event).map_err(|e| super::SandboxError::Delivery(e.to_string()))?;
        let body = escape_non_ascii(&json).into_bytes();
        let signature = signature_header(config.meta_app_secret.as_bytes(), &body);
        post_with_retry(
            &self.inner.http,
            &config.meta_webhook_url,
            &[(SIGNATURE_HEADER, signature.as_str())],
            body,
            config.webhook_retry_for,
        )
        .await
    }

    /// Evolution's receipts for a sent message: SERVER_ACK, DELIVERY_ACK, READ.
    async fn evolution_receipts(self, key_id: String, jid: String) {
        for status in ["SERVER_ACK", "DELIVERY_ACK", "READ"] {
            tokio::time::sleep(self.inner.config.status_delay).await;
            let data = StatusData {
                key_id: key_id.clone(),
                remote_jid: Some(jid.clone()),
                from_me: true,
                status: status.into(),
            };
            if let Err(error) = self
                .deliver_evolution("messages.update", serde_json::to_value(data).unwrap_or_default())
                .await
            {
                tracing::warn!(%error, "sandbox Evolution receipt lost");
            }
        }
    }

    /// Meta's receipts: Messenger a delivery (by mid and watermark) then a read (watermark); Instagram only a
    /// read naming the message.
    async fn meta_receipts(self, kind: ChannelKind, person: String, mid: String) {
        let account = self.account_of(kind).to_owned();
        let base = |delivery: Option<Delivery>, read: Option<Read>| Messaging {
            sender: Party { id: person.clone() },
            recipient: Party { id: account.clone() },
            timestamp: Some(unix_now().saturating_mul(1000)),
            message: None,
            delivery,
            read,
            reaction: None,
            postback: None,
        };
        let watermark = || Some(unix_now().saturating_mul(1000));
        tokio::time::sleep(self.inner.config.status_delay).await;
        if kind == ChannelKind::Messenger {
            let delivery = base(Some(Delivery { mids: vec![mid.clone()], watermark: watermark() }), None);
            if let Err(error) = self.deliver_meta(kind, delivery).await {
                tracing::warn!(%error, "sandbox Meta receipt lost");
            }
        }
        tokio::time::sleep(self.inner.config.status_delay).await;
        let read = if kind == ChannelKind::Instagram {
            Read { watermark: None, mid: Some(mid) }
        } else {
            Read { watermark: watermark(), mid: None }
        };
        if let Err(error) = self.deliver_meta(kind, base(None, Some(read))).await {
            tracing::warn!(%error, "sandbox Meta receipt lost");
        }
    }
}

/// 32 hex digits from the process's random hasher keys.
fn hex_id() -> String {
    new_id("").chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_uppercase()
}

fn evolution_error(status: StatusCode, error: &str, message: Value) -> Response {
    let envelope = ErrorEnvelope {
        status: Some(status.as_u16()),
        error: Some(error.into()),
        response: Some(ErrorResponse { message }),
    };
    (status, Json(envelope)).into_response()
}

/// `sendWhatsAppAudio`: as `sendText`, recorded as "[audio] link".
async fn evolution_send_audio(
    State(state): State<OthersSandbox>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = serde_json::from_slice::<crate::evolution::wire::SendAudio>(&body)
        .map(|audio| SendText { number: audio.number, text: format!("[audio] {}", audio.audio) })
        .map_err(|_| {
            evolution_error(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                json!([["instance requires property \"audio\""]]),
            )
        });
    evolution_deliver(state, &instance, &headers, request).await
}

/// `sendMedia`: as `sendText`, the attachment recorded as "[image] link — caption".
async fn evolution_send_media(
    State(state): State<OthersSandbox>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = match serde_json::from_slice::<crate::evolution::wire::SendMedia>(&body) {
        Err(_) => Err(evolution_error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            json!([["instance requires property \"mediatype\"", "instance requires property \"media\""]]),
        )),
        Ok(media) if !media.media.starts_with("https://") => Err(evolution_error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            json!(["Owned media must be a url or base64"]),
        )),
        Ok(media) => {
            let text = match &media.caption {
                Some(caption) => format!("[{}] {} — {caption}", media.mediatype, media.media),
                None => format!("[{}] {}", media.mediatype, media.media),
            };
            Ok(SendText { number: media.number, text })
        }
    };
    evolution_deliver(state, &instance, &headers, request).await
}

async fn evolution_send(
    State(state): State<OthersSandbox>,
    Path(instance): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = serde_json::from_slice::<SendText>(&body).map_err(|_| {
        evolution_error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            json!([["instance requires property \"number\"", "instance requires property \"text\""]]),
        )
    });
    evolution_deliver(state, &instance, &headers, request).await
}

/// Every Evolution send, once its body was read (what the contact sees, or why the body was refused): the
/// instance's key and name are checked first, as Evolution does, then the number, then it is "sent".
async fn evolution_deliver(
    state: OthersSandbox,
    instance: &str,
    headers: &HeaderMap,
    request: Result<SendText, Response>,
) -> Response {
    let config = &state.inner.config;
    if headers.get("apikey").and_then(|v| v.to_str().ok()) != Some(config.evolution_api_key.as_str()) {
        return evolution_error(StatusCode::UNAUTHORIZED, "Unauthorized", json!("Unauthorized"));
    }
    if instance != config.evolution_instance {
        return evolution_error(
            StatusCode::NOT_FOUND,
            "Not Found",
            json!([format!("The \"{instance}\" instance does not exist")]),
        );
    }
    let request = match request {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    if request.text.trim().is_empty() {
        return evolution_error(StatusCode::BAD_REQUEST, "Bad Request", json!(["Text is required"]));
    }
    if state.inner.data.lock().await.disconnected {
        return evolution_error(StatusCode::BAD_REQUEST, "Bad Request", json!(["Error: Connection Closed"]));
    }
    let number = digits(request.number.split('@').next().unwrap_or_default());
    let jid = format!("{number}@s.whatsapp.net");
    if !(10..=15).contains(&number.len())
        || config.evolution_without_whatsapp.iter().any(|n| digits(n) == number)
    {
        return evolution_error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            json!([{ "exists": false, "jid": jid, "number": request.number }]),
        );
    }
    let id = format!("3EB0{}", hex_id());
    state.inner.data.lock().await.sent.push(OtherSent {
        channel: ChannelKind::WhatsappUnofficial,
        to: number.clone(),
        text: request.text.clone(),
        tag: None,
        id: id.clone(),
    });
    let record = MessageRecord {
        key: Key {
            remote_jid: jid.clone(),
            from_me: true,
            id: id.clone(),
            remote_jid_alt: None,
            sender_pn: None,
        },
        push_name: Some(String::new()),
        status: Some("PENDING".into()),
        message: Some(json!({ "conversation": request.text })),
        message_type: Some("conversation".into()),
        message_timestamp: Some(json!(unix_now())),
    };
    // Evolution reports its own sends as `send.message`, then the receipts.
    let echo = state.clone();
    let echoed = serde_json::to_value(&record).unwrap_or_default();
    tokio::spawn(async move {
        if let Err(error) = echo.deliver_evolution("send.message", echoed).await {
            tracing::warn!(%error, "sandbox Evolution echo lost");
        }
        echo.evolution_receipts(id, jid).await;
    });
    if state.losing_answer().await {
        tokio::time::sleep(Duration::from_secs(1)).await;
        return evolution_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            json!(["socket hang up"]),
        );
    }
    (StatusCode::CREATED, Json(record)).into_response()
}

#[derive(serde::Deserialize)]
struct Connection {
    connected: bool,
}

async fn evolution_connection(
    State(state): State<OthersSandbox>,
    Json(connection): Json<Connection>,
) -> StatusCode {
    state.inner.data.lock().await.disconnected = !connection.connected;
    StatusCode::OK
}

fn meta_error(status: StatusCode, kind: &str, code: i64, subcode: Option<i64>, message: &str) -> Response {
    let mut error = json!({ "message": message, "type": kind, "code": code, "fbtrace_id": new_id("SBX") });
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    (status, Json(json!({ "error": error }))).into_response()
}

/// Meta's answer to a missing or wrong token.
fn unauthorized() -> Response {
    meta_error(StatusCode::UNAUTHORIZED, "OAuthException", 190, None, "Invalid OAuth access token.")
}

fn authorized(state: &OthersSandbox, headers: &HeaderMap) -> bool {
    let expected = format!("Bearer {}", state.inner.config.meta_token);
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

fn kind_of(state: &OthersSandbox, account: &str) -> Option<ChannelKind> {
    let config = &state.inner.config;
    if account == config.page_id || account == "me" {
        Some(ChannelKind::Messenger)
    } else if account == config.instagram_id {
        Some(ChannelKind::Instagram)
    } else {
        None
    }
}

async fn meta_send(
    State(state): State<OthersSandbox>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&state, &headers) {
        return unauthorized();
    }
    let Some(kind) = kind_of(&state, &account) else {
        return meta_error(
            StatusCode::BAD_REQUEST,
            "GraphMethodException",
            100,
            Some(33),
            &format!("Unsupported post request. Object with ID '{account}' does not exist."),
        );
    };
    let Ok(request) = serde_json::from_slice::<SendRequest>(&body) else {
        return meta_error(StatusCode::BAD_REQUEST, "OAuthException", 100, None, "(#100) Invalid parameter");
    };
    let attached = request.message.attachment.as_ref().and_then(|a| {
        let url = a.payload.url.as_deref().filter(|u| u.starts_with("https://"))?;
        Some(format!("[{}] {url}", a.kind))
    });
    let Some(text) = request.message.text.clone().filter(|t| !t.trim().is_empty()).or(attached) else {
        return meta_error(
            StatusCode::BAD_REQUEST,
            "OAuthException",
            100,
            None,
            "(#100) Message cannot be empty",
        );
    };
    let config = &state.inner.config;
    let last = state
        .inner
        .data
        .lock()
        .await
        .people
        .get(&(channel_key(kind), request.recipient.id.clone()))
        .map(|p| p.1);
    let Some(last) = last else {
        return meta_error(
            StatusCode::BAD_REQUEST,
            "OAuthException",
            100,
            Some(2_018_001),
            "(#100) No matching user found",
        );
    };
    let age = Duration::from_secs(u64::try_from(unix_now().saturating_sub(last)).unwrap_or(0));
    let tagged = request.messaging_type == crate::messenger::wire::MESSAGE_TAG
        && request.tag.as_deref() == Some("HUMAN_AGENT");
    let limit = if tagged { config.human_agent_window } else { config.service_window };
    if age >= limit {
        return match kind {
            ChannelKind::Instagram => meta_error(
                StatusCode::FORBIDDEN,
                "IGApiException",
                10,
                Some(2_534_022),
                "This message is sent outside of allowed window.",
            ),
            _ => meta_error(
                StatusCode::BAD_REQUEST,
                "OAuthException",
                10,
                Some(2_018_278),
                "(#10) This message is sent outside of allowed window. Learn more about the new policy here: \
                 https://developers.facebook.com/docs/messenger-platform/policy-overview",
            ),
        };
    }
    let mid = format!("m_{}", hex_id());
    state.inner.data.lock().await.sent.push(OtherSent {
        channel: kind,
        to: request.recipient.id.clone(),
        text,
        tag: request.tag.clone(),
        id: mid.clone(),
    });
    // The page's echo (message_echoes) carries the sender's metadata back, then the receipts follow.
    let echo = Messaging {
        sender: Party { id: state.account_of(kind).to_owned() },
        recipient: Party { id: request.recipient.id.clone() },
        timestamp: Some(unix_now().saturating_mul(1000)),
        message: Some(IncomingMessage {
            mid: mid.clone(),
            text: request.message.text.clone(),
            attachments: vec![],
            is_echo: true,
            quick_reply: None,
            metadata: request.message.metadata.clone(),
        }),
        delivery: None,
        read: None,
        reaction: None,
        postback: None,
    };
    let background = state.clone();
    let (person, echoed_mid) = (request.recipient.id.clone(), mid.clone());
    tokio::spawn(async move {
        if let Err(error) = background.deliver_meta(kind, echo).await {
            tracing::warn!(%error, "sandbox Meta echo lost");
        }
        background.meta_receipts(kind, person, echoed_mid).await;
    });
    if state.losing_answer().await {
        tokio::time::sleep(Duration::from_secs(1)).await;
        return meta_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "OAuthException",
            2,
            None,
            "An unexpected error has occurred.",
        );
    }
    Json(SendResponse { recipient_id: Some(request.recipient.id), message_id: mid }).into_response()
}

async fn meta_profile(
    State(state): State<OthersSandbox>,
    Path(person): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&state, &headers) {
        return unauthorized();
    }
    let data = state.inner.data.lock().await;
    let found = data
        .people
        .iter()
        .find(|((_, id), _)| *id == person)
        .map(|((kind, _), (name, _))| (kind.clone(), name.clone()));
    drop(data);
    match found {
        Some((kind, name)) if kind == channel_key(ChannelKind::Instagram) => {
            let username = name.to_lowercase().split_whitespace().collect::<Vec<_>>().join(".");
            Json(Profile { name: Some(name), username: Some(username), ..Profile::default() }).into_response()
        }
        Some((_, name)) => {
            let mut parts = name.splitn(2, ' ');
            let first_name = parts.next().map(str::to_owned);
            let last_name = parts.next().map(str::to_owned);
            Json(Profile { first_name, last_name, ..Profile::default() }).into_response()
        }
        None => meta_error(
            StatusCode::BAD_REQUEST,
            "OAuthException",
            230,
            Some(9010),
            "User consent is required to access user profile",
        ),
    }
}

/// The routes of the other channels, to be mounted under `/sandbox`.
pub fn router(state: OthersSandbox) -> Router {
    Router::new()
        .route("/evolution/message/sendText/{instance}", post(evolution_send))
        .route("/evolution/message/sendMedia/{instance}", post(evolution_send_media))
        .route("/evolution/message/sendWhatsAppAudio/{instance}", post(evolution_send_audio))
        .route("/evolution/connection", post(evolution_connection))
        .route("/meta/v23.0/{account}/messages", post(meta_send))
        .route("/meta/v23.0/{person}", get(meta_profile))
        .with_state(state)
}
