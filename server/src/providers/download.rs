//! Downloading a provider's file from a URL it gave (Messenger's and Instagram's attachment links, which
//! expire), with a cap on its size: what the answer means for the media worker.

use crate::channels::port::{FetchFailure, FetchedMedia};
use std::time::Duration;

/// How long one download may take (a 25 MB video on a slow link).
const TIMEOUT: Duration = Duration::from_secs(300);

/// Where Meta keeps the files of WhatsApp, Messenger and Instagram messages.
const META_HOSTS: [&str; 6] =
    ["fbcdn.net", "fbsbx.com", "facebook.com", "whatsapp.net", "cdninstagram.com", "instagram.com"];

/// Whether a file's link may be fetched (and, for the Cloud API, given the token): `https` on one of Meta's
/// hosts, or the provider's own address Atende was configured with (the sandbox's, on this machine). Nothing
/// else a webhook or an answer names is ever asked for.
pub(crate) fn trusted_url<'a>(url: &'a str, configured: &str) -> Option<&'a str> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let base = reqwest::Url::parse(configured).ok()?;
    let same_origin = parsed.scheme() == base.scheme()
        && parsed.host_str() == base.host_str()
        && parsed.port_or_known_default() == base.port_or_known_default();
    let host = parsed.host_str()?;
    let meta = parsed.scheme() == "https"
        && META_HOSTS.iter().any(|known| host == *known || host.ends_with(&format!(".{known}")));
    (same_origin || meta).then_some(url)
}

/// The body of `response`, read as it arrives; `Ok(None)` as soon as it passes `max_bytes` (the rest is never
/// read).
pub(crate) async fn body_capped(
    response: &mut reqwest::Response,
    max_bytes: u64,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if (bytes.len() + chunk.len()) as u64 > max_bytes {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// The answer to `request`, at most `max_bytes`: a link that is gone (403, 404, 410) has expired; 429 and
/// 5xx, a timeout or a broken connection may pass.
pub(crate) async fn capped(
    request: reqwest::RequestBuilder,
    max_bytes: u64,
) -> Result<FetchedMedia, FetchFailure> {
    let transient = |e: reqwest::Error| FetchFailure::Transient(super::http::error_chain(&e));
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
    let bytes =
        body_capped(&mut response, max_bytes).await.map_err(transient)?.ok_or(FetchFailure::TooLarge)?;
    Ok(FetchedMedia { bytes: bytes.into(), mime_type, sha256: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_metas_hosts_or_the_configured_one_are_fetched() {
        let graph = "https://graph.facebook.com/v23.0";
        assert!(
            trusted_url("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", graph).is_some()
        );
        assert!(trusted_url("https://scontent.xx.fbcdn.net/v/t1/a.jpg?oh=1", graph).is_some());
        assert!(trusted_url("http://lookaside.fbsbx.com/x", graph).is_none(), "not over plain http");
        assert!(trusted_url("https://evil.example/fbsbx.com", graph).is_none());
        assert!(trusted_url("https://fbsbx.com.evil.example/x", graph).is_none());
        assert!(trusted_url("http://169.254.169.254/latest/meta-data", graph).is_none());
        let sandbox = "http://127.0.0.1:3000/sandbox/graph/v23.0";
        assert!(trusted_url("http://127.0.0.1:3000/sandbox/media/1?expira=9", sandbox).is_some());
        assert!(trusted_url("http://127.0.0.1:9999/x", sandbox).is_none(), "another port");
    }
}
