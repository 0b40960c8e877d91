//! The files contacts send on the Cloud API: the webhook gives a media id; `GET /{media-id}` gives a URL
//! that lives 5 minutes, its type, size and SHA-256; the URL, with the token, gives the bytes. Both steps run
//! again at every attempt (a retry after 5 minutes needs a fresh URL).

use super::cloud_api::{CloudApiClient, FailureKind, ProviderFailure};
use crate::channels::port::{FetchFailure, FetchedMedia, MediaSource};
use async_trait::async_trait;

/// What the inbound parsing stores for the media worker: the media id.
pub(crate) fn source_of(media_id: &str) -> String {
    serde_json::json!({ "id": media_id }).to_string()
}

/// Meta's media ids are digits; anything else in a stored source is not sent in a URL.
fn media_id_of(source: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(source).ok()?;
    let id = value.get("id")?.as_str()?;
    let safe = !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    safe.then(|| id.to_owned())
}

/// A failure's meaning for the file: Meta's "object does not exist" (code 100, or a 404) once the id
/// expired; authentication (190) and other 4xx refused; the rest may pass.
fn failure_of(failure: &ProviderFailure) -> FetchFailure {
    if failure.is_transient() || matches!(failure.kind, FailureKind::Timeout | FailureKind::Transport) {
        return FetchFailure::Transient(failure.to_string());
    }
    match (failure.http_status, failure.code) {
        (Some(404), _) | (_, Some(100)) => FetchFailure::Expired,
        // A token expired or revoked (190, 401): fixed by an admin, while the media id lives 7 days.
        (Some(401), _) | (_, Some(190)) => FetchFailure::Transient(failure.to_string()),
        _ => FetchFailure::Refused(failure.to_string()),
    }
}

#[async_trait]
impl MediaSource for CloudApiClient {
    async fn fetch(&self, source: &str, max_bytes: u64) -> Result<FetchedMedia, FetchFailure> {
        let Some(media_id) = media_id_of(source) else {
            return Err(FetchFailure::Refused(format!("fonte de mídia ilegível: {source}")));
        };
        let info = self.media_info(&media_id).await.map_err(|f| failure_of(&f))?;
        if info.file_size.is_some_and(|size| size > max_bytes) {
            return Err(FetchFailure::TooLarge);
        }
        // The token goes only to Meta's media hosts or the configured address, whatever the answer names.
        if crate::providers::download::trusted_url(&info.url, &self.config().base_url).is_none() {
            return Err(FetchFailure::Refused(format!("endereço de mídia fora da Meta: {}", info.url)));
        }
        // A URL that died between the two calls answers 404: the next attempt asks for a new one.
        let downloaded = self.download(&info.url, max_bytes).await.map_err(|f| match f.http_status {
            Some(404) => FetchFailure::Transient(f.to_string()),
            _ => failure_of(&f),
        })?;
        let Some((bytes, content_type)) = downloaded else { return Err(FetchFailure::TooLarge) };
        Ok(FetchedMedia {
            bytes: bytes.into(),
            mime_type: info.mime_type.or(content_type),
            sha256: info.sha256,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_media_id_reaches_a_url() {
        assert_eq!(media_id_of(&source_of("1234567890")).as_deref(), Some("1234567890"));
        assert_eq!(media_id_of(&source_of("../me?fields=x")), None);
        assert_eq!(media_id_of(&source_of("")), None);
        assert_eq!(media_id_of("not json"), None);
    }
}
