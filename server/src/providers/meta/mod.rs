//! Messenger and Instagram through Meta's Graph API: the Send API client, the wire format ([`wire`]), the
//! sender ([`sender`]) and the webhooks ([`inbound`]).
//! The same client talks to Meta and to the embedded sandbox (only the base URL differs).

pub mod inbound;
pub mod media;
pub mod sender;
pub mod wire;

use crate::providers::http::error_chain;
use crate::providers::whatsapp::cloud_api::{
    file_part, graph_call, parse, DEFAULT_GRAPH_URL, DEFAULT_TIMEOUT,
};
use crate::providers::whatsapp::ProviderFailure;
use atende_domain::conversation::ChannelKind;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use wire::{Profile, SendRequest, SendResponse};

/// How long one upload may take (25 MB on a slow link).
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// Where and as whom the client talks. `Debug` never prints the access token.
#[derive(Clone)]
pub struct MessengerConfig {
    /// [`ChannelKind::Messenger`] or [`ChannelKind::Instagram`].
    pub kind: ChannelKind,
    /// `https://graph.facebook.com/v23.0` or the sandbox's.
    pub base_url: String,
    /// The Facebook page id (Messenger) or the Instagram professional account id.
    pub account_id: String,
    /// A page access token (sent as `Authorization: Bearer …`).
    pub access_token: String,
    pub timeout: Duration,
}

impl MessengerConfig {
    pub fn new(kind: ChannelKind, account_id: impl Into<String>, access_token: impl Into<String>) -> Self {
        Self {
            kind,
            base_url: DEFAULT_GRAPH_URL.into(),
            account_id: account_id.into(),
            access_token: access_token.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    #[must_use]
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    fn base(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}

impl fmt::Debug for MessengerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessengerConfig")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("account_id", &self.account_id)
            .field("access_token", &"[oculto]")
            .finish()
    }
}

/// The Send API over HTTP. Cheap to clone.
#[derive(Clone, Debug)]
pub struct MessengerClient {
    http: reqwest::Client,
    config: Arc<MessengerConfig>,
}

impl MessengerClient {
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The Graph API address this client was configured with.
    pub(crate) fn base_url(&self) -> &str {
        &self.config.base_url
    }

    pub fn new(config: MessengerConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("atende/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("Failed to build the Messenger HTTP client: {}", error_chain(&e)))?;
        Ok(Self { http, config: Arc::new(config) })
    }

    pub fn config(&self) -> &MessengerConfig {
        &self.config
    }

    /// `POST {base}/{account_id}/messages`. Outside the window Meta answers code 10 (subcode 2018278 on
    /// Messenger, 2534022 on Instagram) at once.
    #[tracing::instrument(skip_all, fields(kind = ?self.config.kind, account = %self.config.account_id))]
    pub async fn send(&self, request: &SendRequest) -> Result<SendResponse, ProviderFailure> {
        let url = format!("{}/{}/messages", self.config.base(), self.config.account_id);
        let (status, body) =
            graph_call(self.http.post(url).bearer_auth(&self.config.access_token).json(request)).await?;
        parse(status, &body)
    }

    /// The Attachment Upload API: `POST {base}/{account_id}/message_attachments`, multipart (`message` with
    /// the attachment's type and `is_reusable`, `platform=instagram` on Instagram, and the `filedata`): the
    /// id the message then sends the file by.
    #[tracing::instrument(skip_all, fields(account_id = %self.config.account_id, mime = %file.mime, bytes = file.bytes.len()))]
    pub async fn upload(
        &self,
        kind: &str,
        file: &crate::channels::port::OutboundFile,
    ) -> Result<String, ProviderFailure> {
        let url = format!("{}/{}/message_attachments", self.config.base(), self.config.account_id);
        let message =
            serde_json::json!({ "attachment": { "type": kind, "payload": { "is_reusable": true } } });
        let part = file_part(file)?;
        let mut form = reqwest::multipart::Form::new().text("message", message.to_string());
        if self.config.kind == ChannelKind::Instagram {
            form = form.text("platform", "instagram");
        }
        let request = self
            .http
            .post(url)
            .bearer_auth(&self.config.access_token)
            .multipart(form.part("filedata", part))
            .timeout(UPLOAD_TIMEOUT);
        let (status, body) = graph_call(request).await?;
        let uploaded: wire::UploadedAttachment = parse(status, &body)?;
        Ok(uploaded.attachment_id)
    }

    /// `POST {base}/{account_id}/messages` with a `sender_action` (`mark_seen`, `typing_on`): no message.
    pub async fn sender_action(&self, to: &str, action: &str) -> Result<(), ProviderFailure> {
        let url = format!("{}/{}/messages", self.config.base(), self.config.account_id);
        let body = serde_json::json!({ "recipient": { "id": to }, "sender_action": action });
        graph_call(self.http.post(url).bearer_auth(&self.config.access_token).json(&body)).await.map(|_| ())
    }

    /// "Reagir": `POST {base}/{account_id}/messages` with `sender_action` `react` (the Send API's one reaction,
    /// `love`) or `unreact` on the person's message `mid`. The Send API gives such an action no message id.
    pub async fn react(&self, to: &str, mid: &str, on: bool) -> Result<(), ProviderFailure> {
        let url = format!("{}/{}/messages", self.config.base(), self.config.account_id);
        let (action, payload) = if on {
            ("react", serde_json::json!({ "message_id": mid, "reaction": "love" }))
        } else {
            ("unreact", serde_json::json!({ "message_id": mid }))
        };
        let body =
            serde_json::json!({ "recipient": { "id": to }, "sender_action": action, "payload": payload });
        graph_call(self.http.post(url).bearer_auth(&self.config.access_token).json(&body)).await.map(|_| ())
    }

    /// The person's public profile: first and last name on Messenger, name and username on Instagram.
    pub async fn profile(&self, scoped_id: &str) -> Result<Profile, ProviderFailure> {
        let fields = match self.config.kind {
            ChannelKind::Instagram => "name,username",
            _ => "first_name,last_name",
        };
        let url = format!("{}/{}", self.config.base(), scoped_id);
        let request = self.http.get(url).bearer_auth(&self.config.access_token).query(&[("fields", fields)]);
        let (status, body) = graph_call(request).await?;
        parse(status, &body)
    }
}
