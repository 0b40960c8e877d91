//! A file the contact sent (photo, voice note, video, document, sticker): whether Atende keeps it, how an
//! agent's browser is given it, and when a failed download is tried again or given up.
//!
//! The server downloads the file after the message is stored (the message shows "Carregando mídia…" until
//! then), checks it against what the provider declared, and keeps the bytes; the rules of each step are here.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The most bytes kept of one file unless configured otherwise: the largest file Meta delivers (100 MB).
pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;

/// Downloads tried before a transient failure becomes permanent.
pub const MAX_ATTEMPTS: u32 = 8;

/// The first retry's wait; each later one waits twice as long, up to [`MAX_RETRY_DELAY_MS`].
pub const FIRST_RETRY_DELAY_MS: i64 = 5_000;
pub const MAX_RETRY_DELAY_MS: i64 = 10 * 60 * 1000;

/// Where a file stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MediaState {
    /// Not downloaded yet: "Carregando mídia…".
    Pending,
    /// Kept: the agent sees it.
    Ready,
    /// Left at the provider, by Meta's rule for Instagram story mentions ("you must not store or cache the
    /// media"): the agent sees it through Atende while the provider keeps it, and nothing is stored.
    Linked,
    /// Given up, with the reason the agent reads.
    Failed(String),
}

impl MediaState {
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ready => "ready",
            Self::Linked => "linked",
            Self::Failed(_) => "failed",
        }
    }

    /// The state stored as `code` (with its reason, for a failure).
    pub fn from_code(code: &str, reason: Option<&str>) -> Option<Self> {
        match code {
            "pending" => Some(Self::Pending),
            "ready" => Some(Self::Ready),
            "linked" => Some(Self::Linked),
            "failed" => Some(Self::Failed(reason.unwrap_or("arquivo não baixado").to_owned())),
            _ => None,
        }
    }
}

/// Why a file was not kept: each says so to the agent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum NotKept {
    #[error("Mídia expirada no provedor")]
    Expired,
    #[error("arquivo não baixado: maior que o limite de {} MB", .limit / (1024 * 1024))]
    TooLarge { limit: u64 },
    #[error("arquivo não baixado: o conteúdo não confere com o que o provedor informou")]
    Corrupted,
    #[error("arquivo não baixado: o provedor recusou ({0})")]
    Refused(String),
    #[error("arquivo não baixado: o provedor não respondeu depois de {attempts} tentativas")]
    Unreachable { attempts: u32 },
}

/// A downloaded file, checked against what the provider declared: its size within `max_bytes`, and its
/// SHA-256 (`actual`) the one declared (Meta sends it in base64 in webhooks, hex elsewhere: both accepted).
/// A provider that declares none (Evolution, Messenger) is taken at its bytes.
pub fn check_download(
    size: u64,
    max_bytes: u64,
    declared_sha256: Option<&str>,
    actual: &[u8; 32],
) -> Result<(), NotKept> {
    if size > max_bytes {
        return Err(NotKept::TooLarge { limit: max_bytes });
    }
    match declared_sha256 {
        Some(declared) if !digest_matches(declared, actual) => Err(NotKept::Corrupted),
        _ => Ok(()),
    }
}

/// Whether `declared` (hex, or standard / URL-safe base64 with or without padding) is `digest`.
pub fn digest_matches(declared: &str, digest: &[u8; 32]) -> bool {
    let declared = declared.trim();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if declared.eq_ignore_ascii_case(&hex) {
        return true;
    }
    let standard = base64(digest);
    let normalise = |s: &str| s.trim_end_matches('=').replace('-', "+").replace('_', "/");
    normalise(declared) == normalise(&standard)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What to do after a download failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// Try again then.
    At(Timestamp),
    /// Stop: the file is not kept, for this reason.
    GiveUp(NotKept),
}

/// After the `attempts`-th download failed for a reason that may pass (the provider down, a timeout):
/// wait longer each time, and give up after [`MAX_ATTEMPTS`], or once the provider no longer keeps the file
/// (`expires_at`: a Cloud API media id lives 7 days), whichever comes first.
pub fn after_transient_failure(attempts: u32, now: Timestamp, expires_at: Option<Timestamp>) -> Retry {
    if attempts >= MAX_ATTEMPTS {
        return Retry::GiveUp(NotKept::Unreachable { attempts });
    }
    let shift = attempts.saturating_sub(1).min(20);
    let delay = FIRST_RETRY_DELAY_MS.saturating_mul(1_i64 << shift).min(MAX_RETRY_DELAY_MS);
    let at = now.plus_millis(delay);
    match expires_at {
        Some(expiry) if at >= expiry => Retry::GiveUp(NotKept::Expired),
        _ => Retry::At(at),
    }
}

/// How an agent's browser is given a file a contact sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown in the page (a picture, a player, a PDF in its own tab).
    Inline,
    /// Only downloaded: anything a browser could run (HTML, SVG, scripts) or does not show.
    Attachment,
}

/// Media types shown in the page. Anything else, SVG included (it can carry script), is an attachment: a
/// contact must not be able to run script in an agent's browser.
pub fn disposition(mime: &str) -> Disposition {
    let essence = essence(mime);
    let shown = matches!(
        essence.as_str(),
        "image/jpeg" | "image/png" | "image/webp" | "image/gif" | "application/pdf"
    ) || (essence.starts_with("audio/") || essence.starts_with("video/"));
    if shown {
        Disposition::Inline
    } else {
        Disposition::Attachment
    }
}

/// A media type as Atende keeps and serves it: `type/subtype` in lower case, made only of the characters a
/// media type may have, with `; codecs=…` kept for audio and video (`audio/ogg; codecs=opus`); `None` for
/// anything else. What a provider (or a contact, through a gateway) declares goes through here, so a type
/// such as `application/pdf;,text/html` can never reach a browser.
pub fn clean_mime(raw: &str) -> Option<String> {
    let mut parts = raw.split(';');
    let essence = parts.next()?.trim().to_ascii_lowercase();
    let (kind, subtype) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    if !token(kind) || !token(subtype) {
        return None;
    }
    let codecs = parts
        .map(str::trim)
        .filter_map(|p| p.strip_prefix("codecs="))
        .find(|c| token(c))
        .filter(|_| kind == "audio" || kind == "video");
    Some(match codecs {
        Some(codecs) => format!("{kind}/{subtype}; codecs={codecs}"),
        None => format!("{kind}/{subtype}"),
    })
}

/// The media type without parameters, lower case (`audio/ogg; codecs=opus` → `audio/ogg`).
pub fn essence(mime: &str) -> String {
    mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// A file name safe to put in a `Content-Disposition` header and to show: no folders, no control or quote
/// characters, at most 120 characters; `fallback` when nothing is left.
pub fn safe_file_name(name: Option<&str>, fallback: &str) -> String {
    let base = name.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/' | ';')).take(120).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() {
        fallback.to_owned()
    } else {
        cleaned
    }
}

/// The usual extension of a media type, for a file that came without a name (photos and voice notes do).
pub fn extension(mime: &str) -> Option<&'static str> {
    Some(match essence(mime).as_str() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/mp4" | "audio/aac" => "m4a",
        "audio/amr" => "amr",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => return None,
    })
}

/// The name a file is saved under: its own, made safe, or "arquivo-<id>" with the extension of its type.
pub fn download_name(name: Option<&str>, message_id: i64, mime: &str) -> String {
    let fallback = match extension(mime) {
        Some(ext) => format!("arquivo-{message_id}.{ext}"),
        None => format!("arquivo-{message_id}"),
    };
    safe_file_name(name, &fallback)
}

/// A file's size as a person reads it: "820 bytes", "340 KB", "1,2 MB".
pub fn size_label(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    match bytes {
        0..KB => format!("{bytes} bytes"),
        KB..MB => format!("{} KB", bytes.div_ceil(KB)),
        _ => {
            let tenths = (bytes * 10).div_ceil(MB);
            format!("{},{} MB", tenths / 10, tenths % 10)
        }
    }
}

/// The line that tells what arrived, in the list and above the file: "📷 Foto", "🎤 Áudio 0:42",
/// "📄 boleto.pdf", "🎬 Vídeo", "💟 Figurinha". A caption, when there is one, follows the emoji.
pub fn preview(
    kind: &str,
    voice: bool,
    seconds: Option<u32>,
    file_name: Option<&str>,
    caption: Option<&str>,
) -> String {
    let duration = seconds.map(|s| format!(" {}:{:02}", s / 60, s % 60)).unwrap_or_default();
    let (emoji, label) = match kind {
        "image" => ("📷", "Foto".to_owned()),
        "video" => ("🎬", "Vídeo".to_owned()),
        "audio" if voice => ("🎤", format!("Áudio{duration}")),
        "audio" => ("🎵", format!("Áudio{duration}")),
        "document" => ("📄", file_name.map_or_else(|| "Documento".to_owned(), str::to_owned)),
        "sticker" => ("💟", "Figurinha".to_owned()),
        _ => ("📎", "Arquivo".to_owned()),
    };
    match caption.map(str::trim).filter(|c| !c.is_empty()) {
        Some(caption) => format!("{emoji} {caption}"),
        None => format!("{emoji} {label}"),
    }
}

/// The type of a file the browser did not recognise (`""`, `application/octet-stream`), from its extension.
pub fn type_of_name(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "3gp" => "video/3gpp",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "avi" => "video/x-msvideo",
        "ogg" | "opus" | "oga" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "wav" => "audio/wav",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "doc" => "application/msword",
        "xls" => "application/vnd.ms-excel",
        "ppt" => "application/vnd.ms-powerpoint",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => "application/octet-stream",
    }
}

/// How long an OGG/Opus recording lasts (a WhatsApp voice note), in whole seconds (rounded): the last page's
/// granule position, less the pre-skip its `OpusHead` declares, at Opus's 48,000 samples a second. `None`
/// when the bytes are not OGG/Opus or their last page says no length.
pub fn opus_seconds(bytes: &[u8]) -> Option<u32> {
    if bytes.get(..4) != Some(b"OggS".as_slice()) || bytes.get(28..36) != Some(b"OpusHead".as_slice()) {
        return None;
    }
    let pre_skip = u64::from(u16::from_le_bytes(bytes.get(38..40)?.try_into().ok()?));
    // The last page of this stream: version 0 and the first page's serial number (audio bytes that happen to
    // read "OggS" are not a page).
    let serial = bytes.get(14..18)?;
    let last = (0..bytes.len()).rev().find(|&at| {
        bytes.get(at..at + 5) == Some(b"OggS\0".as_slice()) && bytes.get(at + 14..at + 18) == Some(serial)
    })?;
    let granule = u64::from_le_bytes(bytes.get(last + 6..last + 14)?.try_into().ok()?);
    // A granule of -1: no packet ends on that page.
    let samples = granule.checked_sub(pre_skip).filter(|_| granule != u64::MAX)?;
    u32::try_from((samples + 24_000) / 48_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: [u8; 32] = [
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27,
        0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
    ];

    #[test]
    fn a_declared_digest_is_read_in_hex_or_base64() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert!(digest_matches(hex, &EMPTY_SHA256));
        assert!(digest_matches(&hex.to_uppercase(), &EMPTY_SHA256));
        assert!(digest_matches("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", &EMPTY_SHA256));
        assert!(digest_matches("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU", &EMPTY_SHA256));
        assert!(!digest_matches("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFA=", &EMPTY_SHA256));
        assert!(!digest_matches("", &EMPTY_SHA256));
    }

    #[test]
    fn a_download_is_kept_only_within_the_limit_and_matching_what_was_declared() {
        assert_eq!(check_download(10, 10, None, &EMPTY_SHA256), Ok(()));
        assert_eq!(check_download(11, 10, None, &EMPTY_SHA256), Err(NotKept::TooLarge { limit: 10 }));
        assert_eq!(check_download(0, 10, Some("abc"), &EMPTY_SHA256), Err(NotKept::Corrupted));
        assert_eq!(
            NotKept::TooLarge { limit: DEFAULT_MAX_BYTES }.to_string(),
            "arquivo não baixado: maior que o limite de 100 MB"
        );
        assert_eq!(NotKept::Expired.to_string(), "Mídia expirada no provedor");
    }

    #[test]
    fn failed_downloads_wait_longer_each_time_and_stop_when_the_file_expires_or_attempts_run_out() {
        let now = Timestamp::from_millis(1_000_000);
        assert_eq!(after_transient_failure(1, now, None), Retry::At(now.plus_millis(5_000)));
        assert_eq!(after_transient_failure(2, now, None), Retry::At(now.plus_millis(10_000)));
        assert_eq!(after_transient_failure(7, now, None), Retry::At(now.plus_millis(320_000)));
        assert_eq!(
            after_transient_failure(MAX_ATTEMPTS, now, None),
            Retry::GiveUp(NotKept::Unreachable { attempts: MAX_ATTEMPTS })
        );
        assert_eq!(
            after_transient_failure(1, now, Some(now.plus_millis(4_999))),
            Retry::GiveUp(NotKept::Expired)
        );
    }

    #[test]
    fn a_declared_type_is_kept_only_in_its_plain_form() {
        assert_eq!(clean_mime("audio/ogg; codecs=opus").as_deref(), Some("audio/ogg; codecs=opus"));
        assert_eq!(clean_mime("IMAGE/JPEG").as_deref(), Some("image/jpeg"));
        assert_eq!(clean_mime("application/pdf;,text/html").as_deref(), Some("application/pdf"));
        assert_eq!(clean_mime("image/png; codecs=x").as_deref(), Some("image/png"));
        assert_eq!(clean_mime("text/html,image/png"), None);
        assert_eq!(clean_mime("image/png\r\nX-Evil: 1"), None);
        assert_eq!(clean_mime("nothing"), None);
    }

    #[test]
    fn only_what_a_browser_shows_safely_is_inline() {
        for shown in [
            "image/jpeg",
            "image/png",
            "image/webp",
            "audio/ogg; codecs=opus",
            "video/mp4",
            "application/pdf",
        ] {
            assert_eq!(disposition(shown), Disposition::Inline, "{shown}");
        }
        for not in [
            "text/html",
            "image/svg+xml",
            "application/javascript",
            "text/xml",
            "application/octet-stream",
            "",
        ] {
            assert_eq!(disposition(not), Disposition::Attachment, "{not}");
        }
    }

    #[test]
    fn file_names_lose_their_folders_and_header_breaking_characters() {
        assert_eq!(safe_file_name(Some("../../etc/passwd"), "arquivo"), "passwd");
        assert_eq!(safe_file_name(Some("C:\\temp\\boleto.pdf"), "arquivo"), "boleto.pdf");
        assert_eq!(safe_file_name(Some("a\"b;\r\nc.pdf"), "arquivo"), "abc.pdf");
        assert_eq!(safe_file_name(Some(".."), "arquivo"), "arquivo");
        assert_eq!(safe_file_name(None, "arquivo"), "arquivo");
        assert_eq!(download_name(None, 7, "audio/ogg; codecs=opus"), "arquivo-7.ogg");
        assert_eq!(download_name(None, 7, "application/x-unknown"), "arquivo-7");
        assert_eq!(download_name(Some("boleto.pdf"), 7, "application/pdf"), "boleto.pdf");
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_label(820), "820 bytes");
        assert_eq!(size_label(340 * 1024), "340 KB");
        assert_eq!(size_label(1_258_291), "1,2 MB");
        assert_eq!(size_label(100 * 1024 * 1024), "100,0 MB");
    }

    #[test]
    fn the_preview_says_what_arrived() {
        assert_eq!(preview("image", false, None, None, None), "📷 Foto");
        assert_eq!(preview("image", false, None, None, Some("meu pedido")), "📷 meu pedido");
        assert_eq!(preview("audio", true, Some(42), None, None), "🎤 Áudio 0:42");
        assert_eq!(preview("document", false, None, Some("boleto.pdf"), None), "📄 boleto.pdf");
        assert_eq!(preview("sticker", false, None, None, None), "💟 Figurinha");
    }

    #[test]
    fn a_voice_notes_length_is_read_from_its_last_ogg_page() {
        // First page: OpusHead with a pre-skip of 312 samples; last page: granule 312 + 42 s at 48 kHz.
        let page = |granule: u64, body: &[u8]| {
            [b"OggS\0\0".as_slice(), &granule.to_le_bytes(), &[0; 12], &[1, 19], body].concat()
        };
        let head = page(0, &[b"OpusHead".as_slice(), &[1, 1], &312u16.to_le_bytes(), &[0; 7]].concat());
        let voice = [head.clone(), page(312 + 42 * 48_000, b"audio")].concat();
        assert_eq!(head.get(28..36), Some(b"OpusHead".as_slice()));
        assert_eq!(opus_seconds(&voice), Some(42));
        assert_eq!(opus_seconds(&[head.clone(), page(312 + 48_000 / 3, b"x")].concat()), Some(0));
        assert_eq!(opus_seconds(&[head.clone(), page(u64::MAX, b"x")].concat()), None);
        assert_eq!(opus_seconds(b"ID3 an mp3"), None);
        // Audio bytes that read "OggS" after the last page are not taken for one.
        let noisy = [voice.clone(), b"OggS\x07junkjunkjunkjunkjunk".to_vec()].concat();
        assert_eq!(opus_seconds(&noisy), Some(42));
        assert_eq!(preview("audio", true, opus_seconds(&voice), None, None), "🎤 Áudio 0:42");
    }
}
