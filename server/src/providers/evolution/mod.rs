//! The "API Não Oficial": WhatsApp through an Evolution API v2 instance. No window and no templates: text
//! and media go out whenever the agent writes. The same client talks to a real Evolution server and to the
//! embedded sandbox.

pub mod inbound;
pub mod media;
pub mod sender;
pub mod wire;

use crate::providers::http::error_chain;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use wire::{ErrorEnvelope, MessageRecord, SendText, API_KEY_HEADER};

/// Where and as whom the client talks. `Debug` never prints the API key.
#[derive(Clone)]
pub struct EvolutionConfig {
    /// `https://evolution.example.com` (no trailing slash needed).
    pub base_url: String,
    /// The instance **name** (Evolution routes by name).
    pub instance: String,
    /// The global API key or the instance's token (header `apikey`).
    pub api_key: String,
    pub timeout: Duration,
}

impl fmt::Debug for EvolutionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvolutionConfig")
            .field("base_url", &self.base_url)
            .field("instance", &self.instance)
            .field("api_key", &"[oculto]")
            .finish()
    }
}

/// How a call to Evolution failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvolutionFailure {
    /// The HTTP status, when Evolution answered.
    pub http_status: Option<u16>,
    /// No answer in time, or no connection.
    pub unreachable: bool,
    /// Evolution said the number has no WhatsApp (`[{"exists":false}]`).
    pub number_without_whatsapp: bool,
    /// Every text of `response.message`, or the transport error.
    pub messages: Vec<String>,
}

impl EvolutionFailure {
    /// The instance lost its WhatsApp session ("Connection Closed"): it may come back.
    fn disconnected(&self) -> bool {
        self.messages.iter().any(|m| m.contains("Connection Closed"))
    }

    /// Worth trying again later: no answer, 5xx, 429, or a disconnected instance.
    pub fn is_transient(&self) -> bool {
        self.unreachable || self.disconnected() || self.http_status.is_some_and(|s| s >= 500 || s == 429)
    }

    /// What the agent reads.
    pub fn explanation(&self, instance: &str) -> String {
        if self.number_without_whatsapp {
            return "Este número não tem WhatsApp: a mensagem não pode ser entregue.".into();
        }
        if self.disconnected() {
            return "O WhatsApp do canal não oficial está desconectado da Evolution API. O envio será tentado \
                    de novo quando ele voltar."
                .into();
        }
        match self.http_status {
            None => "A Evolution API não respondeu. O envio será tentado de novo em instantes.".into(),
            Some(401 | 403) => {
                "A Evolution API recusou a chave de acesso do canal. Peça ao administrador para \
                                conferir a configuração."
                    .into()
            }
            Some(404) => format!("A instância “{instance}” não existe na Evolution API."),
            Some(status) if status >= 500 || status == 429 => {
                "A Evolution API está com problemas. O envio será tentado de novo em instantes.".into()
            }
            Some(_) => match self.messages.first() {
                Some(reason) => format!("A Evolution API recusou o envio: {reason}"),
                None => "A Evolution API recusou o envio.".into(),
            },
        }
    }
}

/// Evolution API over HTTP. Cheap to clone.
#[derive(Clone, Debug)]
pub struct EvolutionClient {
    http: reqwest::Client,
    config: Arc<EvolutionConfig>,
}

impl EvolutionClient {
    pub fn new(config: EvolutionConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("atende/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("Failed to build the Evolution HTTP client: {}", error_chain(&e)))?;
        Ok(Self { http, config: Arc::new(config) })
    }

    pub fn config(&self) -> &EvolutionConfig {
        &self.config
    }

    /// `POST {base}/message/sendText/{instance}`; returns the WhatsApp message id (`key.id`), which the
    /// `messages.update` receipts carry as `keyId`.
    #[tracing::instrument(skip_all, fields(instance = %self.config.instance))]
    pub async fn send_text(&self, request: &SendText) -> Result<String, EvolutionFailure> {
        self.send("sendText", request, None).await
    }

    /// `POST /message/sendReaction/{instance}`: an emoji on a message; answers the reaction's message id.
    pub async fn send_reaction(&self, request: &wire::SendReaction) -> Result<String, EvolutionFailure> {
        self.send("sendReaction", request, None).await
    }

    /// `POST /message/sendMedia/{instance}`: an attachment by link or in base64; answers the message id.
    /// `carried`: the file travels in the request (base64), so it may take up to [`FILE_TIMEOUT`].
    pub async fn send_media(
        &self,
        request: &wire::SendMedia,
        carried: bool,
    ) -> Result<String, EvolutionFailure> {
        self.send("sendMedia", request, carried.then_some(FILE_TIMEOUT)).await
    }

    /// `POST /message/sendWhatsAppAudio/{instance}`: an audio as a voice note; answers the message id.
    pub async fn send_audio(
        &self,
        request: &wire::SendAudio,
        carried: bool,
    ) -> Result<String, EvolutionFailure> {
        self.send("sendWhatsAppAudio", request, carried.then_some(FILE_TIMEOUT)).await
    }

    /// `POST /chat/markMessageAsRead/{instance}`: the person's message `id` in the chat `remote_jid` shows as
    /// read on their phone; with `typing`, `POST /chat/sendPresence/{instance}` ("composing" for 10 s, as long as the
    /// console waits before saying it again) too.
    pub async fn acknowledge(&self, remote_jid: &str, id: &str, typing: bool) -> Result<(), String> {
        let base = self.config.base_url.trim_end_matches('/');
        let instance = &self.config.instance;
        let read =
            serde_json::json!({ "readMessages": [{ "remoteJid": remote_jid, "fromMe": false, "id": id }] });
        self.post_plain(&format!("{base}/chat/markMessageAsRead/{instance}"), &read).await?;
        if typing {
            let number = remote_jid.split('@').next().unwrap_or(remote_jid);
            let presence = serde_json::json!({ "number": number, "presence": "composing", "delay": 10_000 });
            self.post_plain(&format!("{base}/chat/sendPresence/{instance}"), &presence).await?;
        }
        Ok(())
    }

    async fn post_plain(&self, url: &str, body: &serde_json::Value) -> Result<(), String> {
        let response = self
            .http
            .post(url)
            .header(API_KEY_HEADER, &self.config.api_key)
            .json(body)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        match response.status() {
            status if status.is_success() => Ok(()),
            status => Err(format!("Evolution API answered {status}")),
        }
    }

    /// `timeout`: longer than the client's own, for a request that carries a file.
    async fn send(
        &self,
        endpoint: &str,
        request: &impl serde::Serialize,
        timeout: Option<Duration>,
    ) -> Result<String, EvolutionFailure> {
        let url = format!(
            "{}/message/{endpoint}/{}",
            self.config.base_url.trim_end_matches('/'),
            self.config.instance
        );
        let unreachable = |e: reqwest::Error| EvolutionFailure {
            http_status: None,
            unreachable: true,
            number_without_whatsapp: false,
            messages: vec![error_chain(&e)],
        };
        let mut post = self.http.post(url).header(API_KEY_HEADER, &self.config.api_key).json(request);
        if let Some(timeout) = timeout {
            post = post.timeout(timeout);
        }
        let response = post.send().await.map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            let envelope = serde_json::from_slice::<ErrorEnvelope>(&body).ok();
            let failure = EvolutionFailure {
                http_status: Some(status.as_u16()),
                unreachable: false,
                number_without_whatsapp: envelope
                    .as_ref()
                    .is_some_and(ErrorEnvelope::number_without_whatsapp),
                messages: envelope
                    .map(|e| e.messages())
                    .unwrap_or_else(|| vec![String::from_utf8_lossy(&body).chars().take(200).collect()]),
            };
            tracing::warn!(http_status = status.as_u16(), messages = ?failure.messages, "Evolution refused");
            return Err(failure);
        }
        serde_json::from_slice::<MessageRecord>(&body).map(|record| record.key.id).map_err(|e| {
            EvolutionFailure {
                http_status: Some(status.as_u16()),
                unreachable: false,
                number_without_whatsapp: false,
                messages: vec![format!("unreadable answer: {e}")],
            }
        })
    }
}

/// How long a send that carries a file (up to 100 MB in base64) may take: Evolution decodes it, may convert it
/// (sharp, ffmpeg) and uploads it to WhatsApp before it answers.
pub const FILE_TIMEOUT: Duration = Duration::from_secs(300);

/// What authenticates one instance's webhooks. `Debug` prints no secret.
#[derive(Clone)]
pub struct EvolutionWebhookAuth {
    pub instance: String,
    /// The instance's token (or the global key), which Evolution may put in the body's `apikey`.
    pub api_key: Arc<str>,
    /// What the instance's webhook headers send as `Authorization: Bearer …`.
    pub webhook_token: Arc<str>,
}

impl fmt::Debug for EvolutionWebhookAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvolutionWebhookAuth").field("instance", &self.instance).finish_non_exhaustive()
    }
}
