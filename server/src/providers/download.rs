//! Downloading a provider's file from a URL it gave (Messenger's and Instagram's attachment links, which
//! expire), with a cap on its size: what the answer means for the media worker.

use crate::channels::port::{FetchFailure, FetchedMedia};
use std::time::Duration;

/// How long one download may take (a 25 MB video on a slow link).
const TIMEOUT: Duration = Duration::from_secs(300);

/// Only web addresses are fetched.
pub(crate) fn web_url(url: &str) -> Option<&str> {
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

/// The answer to `request`, at most `max_bytes`: a link that is gone (403, 404, 410) has expired; 429 and
/// 5xx, a timeout or a broken connection may pass.
pub(crate) async fn capped(
    request: reqwest::RequestBuilder,
    max_bytes: u64,
) -> Result<FetchedMedia, FetchFailure> {
    let transient = |e: reqwest::Error| FetchFailure::Transient(super::whatsapp::cloud_api::error_chain(&e));
    let mut response = request.timeout(TIMEOUT).send().await.map_err(transient)?;
    let status = response.status();
    match status.as_u16() {
        200..=299 => {}
        403 | 404 | 410 => return Err(FetchFailure::Expired),
        429 | 500..=599 => return Err(FetchFailure::Transient(format!("HTTP {status}"))),
        _ => return Err(FetchFailure::Refused(format!("HTTP {status}"))),
    }
    if response.content_length().is_some_and(|length| length > max_bytes) {
        return Err(FetchFailure::TooLarge);
    }
    let mime_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transient)? {
        if (bytes.len() + chunk.len()) as u64 > max_bytes {
            return Err(FetchFailure::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(FetchedMedia { bytes: bytes.into(), mime_type, sha256: None })
}
