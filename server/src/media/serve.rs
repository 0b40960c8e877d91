//! `GET /midia/{message_id}`: a message's file, to an agent who may see its conversation (anyone else gets
//! the same 404 as for a file that does not exist). Served with the type Atende verified and `nosniff`;
//! anything a browser could run (HTML, SVG, scripts) goes as `application/octet-stream`, `Content-Disposition:
//! attachment` and a sandboxing Content-Security-Policy: a contact must not be able to run script in an agent's
//! browser. `Range` is honoured
//! (audio and video seek), and a key names its bytes for good (long private caching).

use super::blob::{BlobError, BlobStore};
use crate::store::SqlStore;
use atende_domain::access::Viewer;
use atende_domain::inbound_media::{
    clean_mime, disposition, download_name, essence, Disposition, MediaState,
};
use atende_domain::ports::Store;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::ops::Range;
use std::sync::Arc;

/// What the route reads.
#[derive(Clone)]
pub struct MediaFiles {
    pub store: SqlStore,
    pub blobs: Arc<dyn BlobStore>,
    /// The providers, for the files shown from them without being kept ([`MediaState::Linked`]).
    pub channels: Arc<crate::channels::registry::ChannelRegistry>,
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Arquivo não encontrado.").into_response()
}

pub async fn file(
    State(files): State<MediaFiles>,
    Extension(viewer): Extension<Viewer>,
    Path(message_id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let media = match files.store.media_of(message_id).await {
        Ok(Some(media)) => media,
        Ok(None) => return not_found(),
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "Tente novamente em instantes.").into_response(),
    };
    let team = match files
        .store
        .conversation_team(atende_domain::conversation::ConversationId(media.conversation_id))
        .await
    {
        Ok(team) => team,
        Err(_) => return not_found(),
    };
    if !viewer.may_see(team) {
        return not_found();
    }
    if media.state == MediaState::Linked {
        return linked(&files, &media).await;
    }
    let (MediaState::Ready, Some(key)) = (&media.state, media.sha256.as_deref()) else {
        return (StatusCode::NOT_FOUND, "O arquivo ainda não foi baixado do provedor.").into_response();
    };
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(&format!("\"{key}\"")) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(asked) => {
            // A template header's row is written before its size is known: the store of bytes knows it.
            let size = match media.size_bytes.and_then(|s| u64::try_from(s).ok()) {
                Some(size) => size,
                None => files.blobs.get(key, Some(0..0)).await.map_or(0, |blob| blob.total),
            };
            match byte_range(asked, size) {
                Asked::Part(range) => Some(range),
                Asked::Whole => None,
                Asked::Unsatisfiable => {
                    let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                        response.headers_mut().insert(header::CONTENT_RANGE, value);
                    }
                    return response;
                }
            }
        }
        None => None,
    };
    let blob = match files.blobs.get(key, range.clone()).await {
        Ok(blob) => blob,
        Err(BlobError::NotFound | BlobError::BadKey) => return not_found(),
        Err(error) => {
            tracing::warn!(%error, message_id, "media blob unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "Tente novamente em instantes.").into_response();
        }
    };
    // Cleaned again here: a row written before the worker cleaned types, or by hand, is served as bytes.
    let mime = media
        .mime_type
        .as_deref()
        .and_then(clean_mime)
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let name = download_name(media.file_name.as_deref(), message_id, &mime);
    let shown = disposition(&mime) == Disposition::Inline;
    let mut response = match &range {
        Some(range) => {
            let mut response = (StatusCode::PARTIAL_CONTENT, blob.bytes).into_response();
            let end = range.end.min(blob.total).saturating_sub(1);
            if let Ok(value) = HeaderValue::from_str(&format!("bytes {}-{end}/{}", range.start, blob.total)) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            response
        }
        None => blob.bytes.into_response(),
    };
    let headers = response.headers_mut();
    file_headers(headers, &mime, &name, shown);
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{key}\"")) {
        headers.insert(header::ETAG, tag);
    }
    response
}

/// What every file is served with: its type (bytes for anything a browser would run), `nosniff`, a
/// sandboxing policy, and how it opens (inline or as a download) under its name.
fn file_headers(headers: &mut HeaderMap, mime: &str, name: &str, shown: bool) {
    // What a browser would run is declared as bytes, not as what it claims to be.
    let served_type = if shown { mime } else { "application/octet-stream" };
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(served_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if essence(mime) != "application/pdf" {
        // Opened in a tab of its own: nothing in it may run. Not on a PDF: Chromium refuses to show a PDF in a
        // sandboxed document (and its viewer runs none of the file's script).
        headers
            .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    }
    let kind = if shown { "inline" } else { "attachment" };
    // `safe_file_name` leaves no quote, backslash or control character; the UTF-8 form carries accents.
    let ascii: String = name.chars().map(|c| if c.is_ascii() { c } else { '_' }).collect();
    let disposition = format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encode(name));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
}

/// The most bytes fetched for a file shown from the provider (Instagram's own limit is 25 MB).
const LINKED_MAX_BYTES: u64 = 25 * 1024 * 1024;

/// A file Atende may not keep (an Instagram story mention), fetched from the provider for this request only
/// and never cached; once the provider no longer has it, it says so.
async fn linked(files: &MediaFiles, media: &crate::store::media::StoredMedia) -> Response {
    use crate::channels::port::FetchFailure;
    let Some(source) = files.channels.media_source(media.channel_id) else {
        return (StatusCode::NOT_FOUND, "O canal deste atendimento não está mais configurado.")
            .into_response();
    };
    let fetched = match source.fetch(&media.source, LINKED_MAX_BYTES).await {
        Ok(fetched) => fetched,
        Err(FetchFailure::Transient(detail)) => {
            tracing::warn!(%detail, message_id = media.message_id, "linked media unavailable");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "O Instagram não respondeu: tente novamente em instantes.",
            )
                .into_response();
        }
        Err(_) => {
            return (StatusCode::NOT_FOUND, "A menção no story expirou: o Instagram não mostra mais a mídia.")
                .into_response()
        }
    };
    let mime = fetched
        .mime_type
        .as_deref()
        .and_then(clean_mime)
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let name = download_name(media.file_name.as_deref(), media.message_id, &mime);
    let shown = disposition(&mime) == Disposition::Inline;
    let mut response = fetched.bytes.into_response();
    let headers = response.headers_mut();
    file_headers(headers, &mime, &name, shown);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// RFC 5987 encoding of a file name.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// What a `Range` header asks of a file.
#[derive(Debug, PartialEq, Eq)]
enum Asked {
    /// All of it: no header, or one this route does not read (another unit, bad syntax, several ranges),
    /// which HTTP says to ignore.
    Whole,
    Part(Range<u64>),
    /// A range that starts past the end: 416.
    Unsatisfiable,
}

/// The bytes `Range: bytes=…` asks of a file of `size` bytes (one range: `a-b`, `a-`, `-n`).
fn byte_range(asked: &str, size: u64) -> Asked {
    let Some(spec) = asked.trim().strip_prefix("bytes=") else { return Asked::Whole };
    let Some((start, end)) = spec.split_once('-').filter(|_| !spec.contains(',')) else {
        return Asked::Whole;
    };
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        let Ok(suffix) = end.parse::<u64>() else { return Asked::Whole };
        if suffix == 0 {
            return Asked::Unsatisfiable;
        }
        size.saturating_sub(suffix)..size
    } else {
        let Ok(start) = start.parse::<u64>() else { return Asked::Whole };
        let end = match end {
            "" => size,
            end => match end.parse::<u64>() {
                Ok(end) if end >= start => end.saturating_add(1).min(size),
                _ => return Asked::Whole,
            },
        };
        start..end
    };
    if range.start < range.end && range.start < size {
        Asked::Part(range)
    } else {
        Asked::Unsatisfiable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_header_asks_for_part_of_the_file() {
        assert_eq!(byte_range("bytes=0-99", 1000), Asked::Part(0..100));
        assert_eq!(byte_range("bytes=900-", 1000), Asked::Part(900..1000));
        assert_eq!(byte_range("bytes=-100", 1000), Asked::Part(900..1000));
        assert_eq!(byte_range("bytes=0-5000", 1000), Asked::Part(0..1000));
        assert_eq!(byte_range("bytes=1000-", 1000), Asked::Unsatisfiable);
        // What HTTP says to ignore is ignored: the whole file.
        assert_eq!(byte_range("bytes=0-1, 5-9", 1000), Asked::Whole);
        assert_eq!(byte_range("bytes=5-2", 1000), Asked::Whole);
        assert_eq!(byte_range("items=0-1", 1000), Asked::Whole);
        assert_eq!(byte_range("bytes=abc", 1000), Asked::Whole);
    }

    #[test]
    fn file_names_are_encoded_for_the_header() {
        assert_eq!(percent_encode("recibo pix.pdf"), "recibo%20pix.pdf");
        assert_eq!(percent_encode("ação.pdf"), "a%C3%A7%C3%A3o.pdf");
    }
}
