//! The WhatsApp Cloud API client: send a message, list the WABA's templates. One client per business number;
//! the same code talks to Meta and to the embedded sandbox (only the base URL differs).

use super::wire::{ErrorEnvelope, SendRequest, SendResponse, TemplateListPage};
use crate::providers::http::error_chain;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Meta's Graph API, the version these wire types follow.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com/v23.0";
/// How long one request may take, connection included, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Templates asked for per page of `message_templates`.
const TEMPLATE_PAGE_SIZE: u32 = 100;
/// The fields a template listing returns (Meta returns fewer by default).
const TEMPLATE_FIELDS: &str = "id,name,language,status,category,parameter_format,components,rejected_reason";
/// A WABA holds at most 6,000 templates: this many pages means a server that never stops paging.
const MAX_TEMPLATE_PAGES: usize = 200;

/// A listed template, as Meta describes it.
pub type RemoteTemplate = super::wire::MessageTemplate;

/// Where and as whom the client talks. `Debug` never prints the access token.
#[derive(Clone)]
pub struct CloudApiConfig {
    /// `https://graph.facebook.com/v23.0`, or the sandbox's `http://<addr>/sandbox/graph/v23.0`. No trailing
    /// slash needed.
    pub base_url: String,
    /// A system-user access token (sent as `Authorization: Bearer …`).
    pub access_token: String,
    /// The business number sending messages.
    pub phone_number_id: String,
    /// The WhatsApp Business Account owning the templates.
    pub waba_id: String,
    /// Whole-request timeout (connect, send, read).
    pub timeout: Duration,
}

impl CloudApiConfig {
    /// Meta's base URL and the default timeout.
    pub fn new(
        access_token: impl Into<String>,
        phone_number_id: impl Into<String>,
        waba_id: impl Into<String>,
    ) -> Self {
        Self {
            base_url: DEFAULT_GRAPH_URL.to_owned(),
            access_token: access_token.into(),
            phone_number_id: phone_number_id.into(),
            waba_id: waba_id.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}

impl fmt::Debug for CloudApiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudApiConfig")
            .field("base_url", &self.base_url)
            .field("access_token", &"[oculto]")
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What Meta answered to an accepted send. Acceptance is not delivery: statuses arrive by webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendAccepted {
    /// The `wamid.…` the status webhooks will carry.
    pub message_id: String,
    /// `contacts[0].input`: `to` as sent.
    pub input: Option<String>,
    /// `contacts[0].wa_id`: the recipient's WhatsApp id, which may differ from `to` (Brazilian ninth digit).
    pub wa_id: Option<String>,
    /// Only for paced templates.
    pub message_status: Option<String>,
}

/// How a call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No answer within the timeout. The request may or may not have reached Meta.
    Timeout,
    /// The connection could not be made or broke (DNS, refused, reset, TLS).
    Transport,
    /// Meta answered with a non-2xx status (see `http_status` and the Meta error fields).
    Http,
    /// Meta answered 2xx with a body that is not what the API documents.
    InvalidResponse,
}

/// A failed call to the Cloud API, with everything Meta said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFailure {
    pub kind: FailureKind,
    /// The HTTP status, when Meta answered.
    pub http_status: Option<u16>,
    /// `error.code` (e.g. 131047, 132001, 130429).
    pub code: Option<i64>,
    /// `error.error_subcode`.
    pub subcode: Option<i64>,
    /// `error.error_user_title`, else `error.type` (`OAuthException`).
    pub title: Option<String>,
    /// `error.message` (`"(#132001) Template name does not exist in the translation"`), or the transport error.
    pub message: Option<String>,
    /// `error.error_data.details`: the explanation a person can act on.
    pub details: Option<String>,
    /// `error.fbtrace_id`, for Meta support.
    pub fbtrace_id: Option<String>,
}

/// Meta error codes worth retrying (the same request may succeed later):
/// 1/2 (API unknown / temporarily unavailable), 4 and 80007 (app and WABA rate limits), 130429 (throughput
/// reached), 131000 (something went wrong), 131016 (service unavailable), 131026 (undeliverable right now:
/// the recipient's app may be outdated or must accept new terms), 131056 (pair rate limit), 131057 (account in
/// maintenance / throughput upgrade), 133004 (server temporarily unavailable); and for Messenger/Instagram
/// 32 and 613 (page and send rate limits).
pub const TRANSIENT_CODES: &[i64] =
    &[1, 2, 4, 32, 613, 80007, 130429, 131000, 131016, 131026, 131056, 131057, 133004];

impl ProviderFailure {
    pub(crate) fn bare(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            http_status: None,
            code: None,
            subcode: None,
            title: None,
            message: Some(message.into()),
            details: None,
            fbtrace_id: None,
        }
    }

    fn from_reqwest(error: &reqwest::Error) -> Self {
        let kind = if error.is_timeout() { FailureKind::Timeout } else { FailureKind::Transport };
        // `without_url`: the URL is not secret, but keep the message short and stable.
        let mut failure = Self::bare(kind, error_chain(error));
        failure.http_status = error.status().map(|s| s.as_u16());
        failure
    }

    fn from_http(status: StatusCode, body: &[u8]) -> Self {
        let mut failure = match serde_json::from_slice::<ErrorEnvelope>(body) {
            Ok(ErrorEnvelope { error }) => Self {
                kind: FailureKind::Http,
                http_status: None,
                code: Some(error.code),
                subcode: error.error_subcode,
                title: error.error_user_title.or(error.kind),
                message: Some(error.message),
                details: error.error_data.and_then(|d| d.details),
                fbtrace_id: error.fbtrace_id,
            },
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                let excerpt: String = text.chars().take(200).collect();
                Self::bare(FailureKind::Http, excerpt)
            }
        };
        failure.http_status = Some(status.as_u16());
        failure
    }

    pub(crate) fn invalid(status: StatusCode, why: impl Into<String>) -> Self {
        Self { http_status: Some(status.as_u16()), ..Self::bare(FailureKind::InvalidResponse, why) }
    }

    /// Whether the outbound queue should try again later (with backoff) rather than give up and show the error
    /// to the agent. Transient: timeouts and transport failures, HTTP 5xx and 429, and the Meta codes in
    /// [`TRANSIENT_CODES`]. Everything else (window closed 131047, template errors 132xxx, bad parameters,
    /// authentication, a 2xx with an unreadable body) is permanent: retrying would fail the same way or, for
    /// an unreadable 2xx, risk sending twice.
    pub fn is_transient(&self) -> bool {
        match self.kind {
            FailureKind::Timeout | FailureKind::Transport => true,
            FailureKind::InvalidResponse => false,
            FailureKind::Http => {
                self.http_status.is_some_and(|s| s >= 500 || s == 429)
                    || self.code.is_some_and(|c| TRANSIENT_CODES.contains(&c))
            }
        }
    }
}

impl fmt::Display for ProviderFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FailureKind::Timeout => f.write_str("WhatsApp Cloud API did not answer in time")?,
            FailureKind::Transport => f.write_str("WhatsApp Cloud API unreachable")?,
            FailureKind::Http => f.write_str("WhatsApp Cloud API refused the request")?,
            FailureKind::InvalidResponse => {
                f.write_str("WhatsApp Cloud API answered something unexpected")?
            }
        }
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(code) = self.code {
            write!(f, " code {code}")?;
            if let Some(subcode) = self.subcode {
                write!(f, "/{subcode}")?;
            }
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(details) = &self.details {
            write!(f, " ({details})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProviderFailure {}

/// The Cloud API over HTTP. Cheap to clone (shares the connection pool).
#[derive(Clone)]
pub struct CloudApiClient {
    http: reqwest::Client,
    config: Arc<CloudApiConfig>,
}

impl fmt::Debug for CloudApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudApiClient").field("config", &self.config).finish()
    }
}

impl CloudApiClient {
    /// Fails only if the TLS stack cannot start.
    pub fn new(config: CloudApiConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("atende/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("Failed to build the WhatsApp HTTP client: {}", error_chain(&e)))?;
        Ok(Self { http, config: Arc::new(config) })
    }

    pub fn config(&self) -> &CloudApiConfig {
        &self.config
    }

    /// `POST {base}/{phone_number_id}/messages`. `Ok` means Meta accepted the message, not that it was
    /// delivered; a closed window (131047) usually comes later as a `failed` status webhook.
    #[tracing::instrument(
        skip_all,
        fields(phone_number_id = %self.config.phone_number_id, message_type = request.content.kind())
    )]
    pub async fn send(&self, request: &SendRequest) -> Result<SendAccepted, ProviderFailure> {
        let url = format!("{}/{}/messages", self.config.base(), self.config.phone_number_id);
        let (status, body) =
            self.call(self.http.post(url).bearer_auth(&self.config.access_token).json(request)).await?;
        let response: SendResponse = parse(status, &body)?;
        let Some(message) = response.messages.into_iter().next() else {
            return Err(ProviderFailure::invalid(status, "the answer carries no message id"));
        };
        let contact = response.contacts.into_iter().next();
        tracing::debug!(message_id = %message.id, "message accepted");
        Ok(SendAccepted {
            message_id: message.id,
            input: contact.as_ref().map(|c| c.input.clone()),
            wa_id: contact.and_then(|c| c.wa_id),
            message_status: message.message_status,
        })
    }

    /// `POST {base}/{phone_number_id}/media`, multipart (`messaging_product`, `type`, and the `file` with its
    /// type): the id a message then sends the file by. The file's type goes both as the form field and as
    /// the part's `Content-Type`, as Meta's reference asks.
    #[tracing::instrument(skip_all, fields(phone_number_id = %self.config.phone_number_id, mime = %file.mime, bytes = file.bytes.len()))]
    pub async fn upload(
        &self,
        file: &crate::channels::port::OutboundFile,
    ) -> Result<String, ProviderFailure> {
        let url = format!("{}/{}/media", self.config.base(), self.config.phone_number_id);
        let part = file_part(file)?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", file.mime.clone())
            .part("file", part);
        let request = self
            .http
            .post(url)
            .bearer_auth(&self.config.access_token)
            .multipart(form)
            .timeout(MEDIA_DOWNLOAD_TIMEOUT);
        let (status, body) = self.call(request).await?;
        let uploaded: super::wire::UploadedMedia = parse(status, &body)?;
        Ok(uploaded.id)
    }

    /// The currency Meta bills the WhatsApp Business Account in: `GET {base}/{waba_id}?fields=currency`
    /// (`"BRL"` for Brazilian accounts since 2026-07-01). `None` if Meta does not say.
    pub async fn account_currency(&self) -> Result<Option<String>, ProviderFailure> {
        let url = format!("{}/{}", self.config.base(), self.config.waba_id);
        let request =
            self.http.get(url).bearer_auth(&self.config.access_token).query(&[("fields", "currency")]);
        let (status, body) = self.call(request).await?;
        let account: serde_json::Value = parse(status, &body)?;
        Ok(account.get("currency").and_then(serde_json::Value::as_str).map(str::to_owned))
    }

    /// `POST {base}/{phone_number_id}/messages` with `status: read`: the person's message (and those before
    /// it) show as read on their phone; with `typing`, the typing indicator shows for up to 25 seconds or
    /// until the next message.
    pub async fn mark_read(&self, message_id: &str, typing: bool) -> Result<(), ProviderFailure> {
        let url = format!("{}/{}/messages", self.config.base(), self.config.phone_number_id);
        let mut body = serde_json::json!({ "messaging_product": "whatsapp", "status": "read", "message_id": message_id });
        if typing {
            body["typing_indicator"] = serde_json::json!({ "type": "text" });
        }
        self.call(self.http.post(url).bearer_auth(&self.config.access_token).json(&body)).await.map(|_| ())
    }

    /// Every template of the WABA: `GET {base}/{waba_id}/message_templates`, following the cursor paging
    /// (`paging.cursors.after`) for as long as Meta announces a `paging.next` page. The absolute `next` URL
    /// itself is not followed, so the token is only ever sent to the configured base URL.
    #[tracing::instrument(skip_all, fields(waba_id = %self.config.waba_id, pages, templates))]
    pub async fn list_templates(&self) -> Result<Vec<RemoteTemplate>, ProviderFailure> {
        let url = format!("{}/{}/message_templates", self.config.base(), self.config.waba_id);
        let limit = TEMPLATE_PAGE_SIZE.to_string();
        let mut templates = Vec::new();
        let mut after: Option<String> = None;
        for page_number in 1..=MAX_TEMPLATE_PAGES {
            let mut query = vec![("fields", TEMPLATE_FIELDS), ("limit", limit.as_str())];
            if let Some(cursor) = &after {
                query.push(("after", cursor.as_str()));
            }
            let request = self.http.get(&url).bearer_auth(&self.config.access_token).query(&query);
            let (status, body) = self.call(request).await?;
            let page: TemplateListPage = parse(status, &body)?;
            templates.extend(page.data);
            let next = page
                .paging
                .filter(|p| p.next.is_some())
                .and_then(|p| p.cursors)
                .and_then(|c| c.after)
                .filter(|cursor| after.as_ref() != Some(cursor));
            match next {
                Some(cursor) => after = Some(cursor),
                None => {
                    let span = tracing::Span::current();
                    span.record("pages", page_number);
                    span.record("templates", templates.len());
                    return Ok(templates);
                }
            }
        }
        Err(ProviderFailure::bare(
            FailureKind::InvalidResponse,
            format!("template listing did not end after {MAX_TEMPLATE_PAGES} pages"),
        ))
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Result<(StatusCode, Vec<u8>), ProviderFailure> {
        graph_call(request).await
    }

    /// Where a contact's file is: `GET {base}/{media_id}?phone_number_id=…` (only this number's media).
    pub async fn media_info(&self, media_id: &str) -> Result<MediaInfo, ProviderFailure> {
        let url = format!("{}/{}", self.config.base(), media_id);
        let request = self
            .http
            .get(url)
            .bearer_auth(&self.config.access_token)
            .query(&[("phone_number_id", self.config.phone_number_id.as_str())]);
        let (status, body) = self.call(request).await?;
        parse(status, &body)
    }

    /// The bytes at `url` (a URL [`Self::media_info`] gave, which lives 5 minutes), with the token as Meta
    /// requires; `Ok(None)` as soon as more than `max_bytes` arrive.
    pub async fn download(
        &self,
        url: &str,
        max_bytes: u64,
    ) -> Result<Option<(Vec<u8>, Option<String>)>, ProviderFailure> {
        let request =
            self.http.get(url).bearer_auth(&self.config.access_token).timeout(MEDIA_DOWNLOAD_TIMEOUT);
        let mut response = request.send().await.map_err(|e| ProviderFailure::from_reqwest(&e))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.bytes().await.unwrap_or_default();
            return Err(ProviderFailure::from_http(status, &body));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = crate::providers::download::body_capped(&mut response, max_bytes)
            .await
            .map_err(|e| ProviderFailure::from_reqwest(&e))?;
        Ok(bytes.map(|bytes| (bytes, content_type)))
    }
}

/// A file as one part of a Graph API upload (the Cloud API's `/media`, Messenger's `/message_attachments`):
/// its bytes, name and type.
#[expect(clippy::result_large_err, reason = "failures are rare and the caller returns them by value anyway")]
pub(crate) fn file_part(
    file: &crate::channels::port::OutboundFile,
) -> Result<reqwest::multipart::Part, ProviderFailure> {
    reqwest::multipart::Part::stream(file.bytes.clone())
        .file_name(file.name.clone())
        .mime_str(&file.mime)
        .map_err(|e| {
            ProviderFailure::bare(FailureKind::InvalidResponse, format!("file type {}: {e}", file.mime))
        })
}

/// How long one media download or upload may take (a 100 MB video on a slow link).
const MEDIA_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// What `GET /{media-id}` says of a contact's file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct MediaInfo {
    pub url: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    /// A quoted number in Meta's syntax, a bare one elsewhere: both read.
    #[serde(default, deserialize_with = "number_or_string")]
    pub file_size: Option<u64>,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Sends a Graph API request, reads the whole body, and turns a non-2xx answer into a [`ProviderFailure`]
/// (WhatsApp Cloud API and the Messenger/Instagram Send API share the error envelope).
pub(crate) async fn graph_call(
    request: reqwest::RequestBuilder,
) -> Result<(StatusCode, Vec<u8>), ProviderFailure> {
    let response = request.send().await.map_err(|e| ProviderFailure::from_reqwest(&e))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| ProviderFailure::from_reqwest(&e))?.to_vec();
    if !status.is_success() {
        let failure = ProviderFailure::from_http(status, &body);
        tracing::warn!(
            http_status = status.as_u16(),
            code = failure.code,
            subcode = failure.subcode,
            fbtrace_id = failure.fbtrace_id.as_deref(),
            "Graph API refused the request"
        );
        return Err(failure);
    }
    Ok((status, body))
}

#[expect(clippy::result_large_err, reason = "failures are rare and the caller returns them by value anyway")]
pub(crate) fn parse<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T, ProviderFailure> {
    serde_json::from_slice(body)
        .map_err(|e| ProviderFailure::invalid(status, format!("unreadable answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::whatsapp::wire::{Template, TemplateComponent, TemplateParameter, TemplateStatus};
    use axum::extract::{Path, Query};
    use axum::http::HeaderMap;
    use axum::response::IntoResponse;
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use serde_json::{json, Value};
    use std::collections::HashMap;

    /// Serves `router` on a free local port; returns the base URL a client would be configured with.
    async fn serve(router: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("bound");
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{address}/v23.0")
    }

    fn client(base_url: String) -> CloudApiClient {
        CloudApiClient::new(
            CloudApiConfig::new("token-secreto", "PNID", "WABA")
                .with_base_url(base_url)
                .with_timeout(Duration::from_millis(500)),
        )
        .expect("client")
    }

    fn a_template_send() -> SendRequest {
        SendRequest::template(
            "+5511987654321",
            Template::new("pedido_saiu_para_entrega", "pt_BR").with_component(TemplateComponent::body(vec![
                TemplateParameter::text("Maria"),
                TemplateParameter::text("A-10423"),
            ])),
        )
    }

    /// A double answering every send with `status` and `body`.
    async fn answering(status: u16, body: Value) -> CloudApiClient {
        let status = StatusCode::from_u16(status).expect("status");
        let router = Router::new().route(
            "/v23.0/{phone}/messages",
            post(move || {
                let body = body.clone();
                async move { (status, Json(body)) }
            }),
        );
        client(serve(router).await)
    }

    fn envelope(code: i64, message: &str, details: &str) -> Value {
        json!({"error":{"message":message,"type":"OAuthException","code":code,
            "error_data":{"messaging_product":"whatsapp","details":details},"fbtrace_id":"AbC123"}})
    }

    #[tokio::test]
    async fn a_send_posts_the_request_with_the_token_and_returns_the_wamid_and_wa_id() {
        let router = Router::new().route(
            "/v23.0/{phone}/messages",
            post(|Path(phone): Path<String>, headers: HeaderMap, Json(body): Json<Value>| async move {
                let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
                    == Some("Bearer token-secreto");
                if phone != "PNID" || !authorized || body["type"] != "template" {
                    return (StatusCode::BAD_REQUEST, Json(json!({"unexpected": body}))).into_response();
                }
                assert_eq!(body["template"]["components"][0]["parameters"][1]["text"], "A-10423");
                Json(json!({"messaging_product":"whatsapp",
                    "contacts":[{"input": body["to"], "wa_id":"5511987654321"}],
                    "messages":[{"id":"wamid.OK"}]}))
                .into_response()
            }),
        );
        let accepted = client(serve(router).await).send(&a_template_send()).await.expect("accepted");
        assert_eq!(
            accepted,
            SendAccepted {
                message_id: "wamid.OK".into(),
                input: Some("+5511987654321".into()),
                wa_id: Some("5511987654321".into()),
                message_status: None,
            }
        );
    }

    #[tokio::test]
    async fn the_template_listing_follows_the_cursors_across_three_pages() {
        fn template(n: usize) -> Value {
            json!({"id": n.to_string(), "name": format!("modelo_{n}"), "language":"pt_BR", "status":"APPROVED",
                   "category":"UTILITY", "components":[{"type":"BODY","text":"Olá"}]})
        }
        let router = Router::new().route(
            "/v23.0/{waba}/message_templates",
            get(|Path(waba): Path<String>, Query(query): Query<HashMap<String, String>>| async move {
                assert_eq!(waba, "WABA");
                assert!(query.get("fields").is_some_and(|f| f.contains("components")));
                let (data, after, next) = match query.get("after").map(String::as_str) {
                    None => (vec![template(1), template(2)], "c1", true),
                    Some("c1") => (vec![template(3), template(4)], "c2", true),
                    Some("c2") => (vec![template(5)], "c3", false),
                    Some(other) => panic!("unexpected cursor {other}"),
                };
                let mut paging = json!({"cursors":{"before":"b","after":after}});
                if next {
                    paging["next"] = json!(format!(
                        "https://graph.facebook.com/v23.0/WABA/message_templates?after={after}"
                    ));
                }
                Json(json!({"data": data, "paging": paging}))
            }),
        );
        let templates = client(serve(router).await).list_templates().await.expect("listed");
        let names: Vec<&str> = templates.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["modelo_1", "modelo_2", "modelo_3", "modelo_4", "modelo_5"]);
        assert!(templates.iter().all(|t| t.status == TemplateStatus::Approved));
    }

    #[tokio::test]
    async fn a_closed_window_error_keeps_metas_code_and_details_and_is_permanent() {
        let client = answering(
            400,
            envelope(
                131047,
                "(#131047) Re-engagement message",
                "More than 24 hours have passed since the recipient last replied to the sender number.",
            ),
        )
        .await;
        let failure = client.send(&SendRequest::text("5511987654321", "oi")).await.expect_err("refused");
        assert_eq!(failure.kind, FailureKind::Http);
        assert_eq!(failure.http_status, Some(400));
        assert_eq!(failure.code, Some(131047));
        assert_eq!(failure.title.as_deref(), Some("OAuthException"));
        assert_eq!(failure.message.as_deref(), Some("(#131047) Re-engagement message"));
        assert!(failure.details.as_deref().is_some_and(|d| d.starts_with("More than 24 hours")));
        assert_eq!(failure.fbtrace_id.as_deref(), Some("AbC123"));
        assert!(!failure.is_transient());
    }

    #[tokio::test]
    async fn an_unknown_template_is_a_permanent_132001() {
        let client = answering(
            400,
            envelope(
                132001,
                "(#132001) Template name does not exist in the translation",
                "template name (nao_existe) does not exist in pt_BR",
            ),
        )
        .await;
        let failure = client.send(&a_template_send()).await.expect_err("refused");
        assert_eq!(failure.code, Some(132001));
        assert!(!failure.is_transient());
        assert!(failure.to_string().contains("132001"), "{failure}");
    }

    #[tokio::test]
    async fn a_server_error_is_transient_even_without_an_envelope() {
        let router = Router::new()
            .route("/v23.0/{phone}/messages", post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }));
        let failure = client(serve(router).await).send(&a_template_send()).await.expect_err("failed");
        assert_eq!(failure.kind, FailureKind::Http);
        assert_eq!(failure.http_status, Some(500));
        assert_eq!(failure.code, None);
        assert_eq!(failure.message.as_deref(), Some("boom"));
        assert!(failure.is_transient());
    }

    #[tokio::test]
    async fn a_rate_limit_is_transient() {
        let client = answering(
            429,
            envelope(130429, "(#130429) Rate limit hit", "Cloud API message throughput has been reached."),
        )
        .await;
        let failure = client.send(&a_template_send()).await.expect_err("limited");
        assert_eq!((failure.http_status, failure.code), (Some(429), Some(130429)));
        assert!(failure.is_transient());
    }

    #[tokio::test]
    async fn an_undeliverable_131026_is_retried_but_a_template_error_is_not() {
        let undeliverable = ProviderFailure {
            code: Some(131026),
            http_status: Some(400),
            ..ProviderFailure::bare(FailureKind::Http, "(#131026) Message undeliverable")
        };
        assert!(undeliverable.is_transient());
        let bad_params = ProviderFailure { code: Some(132000), ..undeliverable.clone() };
        assert!(!bad_params.is_transient());
        let unreadable = ProviderFailure::invalid(StatusCode::OK, "garbage");
        assert!(!unreadable.is_transient());
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_a_transient_timeout() {
        let router = Router::new().route(
            "/v23.0/{phone}/messages",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }),
        );
        let started = std::time::Instant::now();
        let failure = client(serve(router).await).send(&a_template_send()).await.expect_err("timed out");
        assert_eq!(failure.kind, FailureKind::Timeout, "{failure:?}");
        assert!(failure.is_transient());
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_transient_transport_failure() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("bound");
        drop(listener);
        let failure = client(format!("http://{address}/v23.0"))
            .send(&a_template_send())
            .await
            .expect_err("unreachable");
        assert_eq!(failure.kind, FailureKind::Transport, "{failure:?}");
        assert!(failure.is_transient());
    }

    #[tokio::test]
    async fn a_2xx_without_a_message_id_is_an_invalid_response() {
        let client =
            answering(200, json!({"messaging_product":"whatsapp","contacts":[],"messages":[]})).await;
        let failure = client.send(&a_template_send()).await.expect_err("invalid");
        assert_eq!(failure.kind, FailureKind::InvalidResponse);
        assert!(!failure.is_transient());
    }

    #[test]
    fn the_access_token_is_never_printed() {
        let client = client("http://127.0.0.1:1/v23.0".into());
        let printed = format!("{client:?} {:?}", client.config());
        assert!(!printed.contains("token-secreto"), "{printed}");
        assert!(printed.contains("PNID"));
    }
}
