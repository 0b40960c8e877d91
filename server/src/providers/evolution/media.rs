//! The files people send through Evolution API (Baileys): WhatsApp keeps them encrypted on its servers, so
//! Atende asks the gateway for the decrypted bytes with `POST /chat/getBase64FromMediaMessage/{instance}`,
//! giving the whole message (its key and content), not only its id: Evolution finds a message it never saved
//! only that way.
//!
//! Chosen: the `base64` an instance may put in its webhooks is not used. Users report it missing now and then
//! (evolution-api#942, #1555, #1636, #2233), and the same request after the message is stored always works.

use super::wire::MessageRecord;
use super::EvolutionClient;
use crate::channels::port::{FetchFailure, FetchedMedia, MediaSource};
use async_trait::async_trait;
use base64::Engine;
use std::time::Duration;

/// How long one download may take.
const TIMEOUT: Duration = Duration::from_secs(300);

/// What the inbound parsing stores for the media worker: the message's key and content, without any file
/// bytes the webhook carried.
pub(crate) fn source_of(record: &MessageRecord) -> String {
    let mut message = record.message.clone().unwrap_or_default();
    if let Some(content) = message.as_object_mut() {
        content.remove("base64");
    }
    serde_json::json!({ "key": record.key, "message": message }).to_string()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaAnswer {
    base64: String,
    #[serde(default)]
    mimetype: Option<String>,
}

#[async_trait]
impl MediaSource for EvolutionClient {
    async fn fetch(&self, source: &str, max_bytes: u64) -> Result<FetchedMedia, FetchFailure> {
        let message: serde_json::Value = serde_json::from_str(source)
            .map_err(|_| FetchFailure::Refused(format!("fonte de mídia ilegível: {source}")))?;
        let url = format!(
            "{}/chat/getBase64FromMediaMessage/{}",
            self.config.base_url.trim_end_matches('/'),
            self.config.instance
        );
        let body = serde_json::json!({ "message": message, "convertToMp4": false });
        let transient = |e: reqwest::Error| FetchFailure::Transient(crate::providers::http::error_chain(&e));
        let mut response = self
            .http
            .post(url)
            .header(super::wire::API_KEY_HEADER, &self.config.api_key)
            .timeout(TIMEOUT)
            .json(&body)
            .send()
            .await
            .map_err(transient)?;
        let status = response.status();
        // Base64 is a third larger than the file; a little room for the rest of the answer.
        let most = max_bytes.saturating_mul(4) / 3 + 64 * 1024;
        let answer = crate::providers::download::body_capped(&mut response, most)
            .await
            .map_err(transient)?
            .ok_or(FetchFailure::TooLarge)?;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(FetchFailure::Transient(format!("Evolution API answered {status}")));
        }
        if !status.is_success() {
            // "Message not found", a file WhatsApp no longer has: asking again does not help.
            let said: String = String::from_utf8_lossy(&answer).chars().take(200).collect();
            return Err(FetchFailure::Refused(format!("Evolution API answered {status}: {said}")));
        }
        let answer: MediaAnswer = serde_json::from_slice(&answer)
            .map_err(|e| FetchFailure::Refused(format!("Evolution API answered an unreadable file: {e}")))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(answer.base64.trim())
            .map_err(|e| FetchFailure::Refused(format!("Evolution API answered invalid base64: {e}")))?;
        if bytes.len() as u64 > max_bytes {
            return Err(FetchFailure::TooLarge);
        }
        Ok(FetchedMedia { bytes: bytes.into(), mime_type: answer.mimetype, sha256: None })
    }
}
