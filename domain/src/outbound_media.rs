//! A file the agent sends from their own computer ("Anexar", dropped on the conversation or pasted): checked
//! against what the channel's provider takes before a byte leaves the browser, and again on the server with
//! the bytes that arrived (the same rule, so the two never disagree). Like a text, it is then sent now, held
//! until the contact writes, or refused (`crate::queue::compose_decision`).
//!
//! What each provider takes (see `shared/reference/media.md`):
//! - WhatsApp (Cloud API): images JPEG/PNG up to 5 MB, videos MP4/3GP up to 16 MB, audio AAC/AMR/MP3/M4A/OGG
//!   up to 16 MB, documents (PDF, text, Office) up to 100 MB; WebP only as a sticker.
//! - WhatsApp through a gateway (Evolution): the same kinds and sizes, and any other file as a document.
//! - Messenger: images (JPEG, PNG, GIF) up to 8 MB, any video, audio or file up to 25 MB; no caption.
//! - Instagram: images PNG/JPEG/GIF up to 8 MB; video MP4, OGG, AVI, MOV, WebM, audio AAC, M4A, WAV, MP4 and
//!   PDF files up to 25 MB; no caption.

use crate::channel::ChannelKind;
pub use crate::inbound_media::type_of_name;
use crate::inbound_media::{clean_mime, essence, safe_file_name, size_label};
use crate::media::MediaKind;
use crate::queue::{MessageText, MessageTextError};
use crate::template::{HeaderFile, MediaFormat};
use serde::{Deserialize, Serialize};

/// Longest caption WhatsApp takes on an image, video or document.
pub const CAPTION_MAX_CHARS: usize = 1024;

/// Most files chosen, dropped or pasted at once (each goes as its own message, in order).
pub const MAX_FILES_AT_ONCE: usize = 10;

const KB: u64 = 1024;
const MB: u64 = 1024 * KB;

/// How a channel takes a type of file: the kind of message it goes as and the largest size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub kind: MediaKind,
    pub max_bytes: u64,
}

const fn allow(kind: MediaKind, max_bytes: u64) -> Option<Allowance> {
    Some(Allowance { kind, max_bytes })
}

/// What `channel` takes of files of type `mime` (parameters ignored); `None`: it does not take them.
pub fn allowance(channel: ChannelKind, mime: &str) -> Option<Allowance> {
    use MediaKind::{Audio, Document, Image, Video};
    let mime = essence(mime);
    // A voice note recorded in the browser goes as the OGG/Opus it is made into (`crate::recording`).
    if crate::recording::is_recording(&mime) {
        return allowance(channel, "audio/ogg");
    }
    let whatsapp_document = matches!(
        mime.as_str(),
        "application/pdf"
            | "text/plain"
            | "application/msword"
            | "application/vnd.ms-excel"
            | "application/vnd.ms-powerpoint"
            | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            | "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    );
    match channel {
        ChannelKind::WhatsappOfficial | ChannelKind::WhatsappUnofficial => match mime.as_str() {
            "image/jpeg" | "image/png" => allow(Image, 5 * MB),
            "video/mp4" | "video/3gpp" => allow(Video, 16 * MB),
            "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => allow(Audio, 16 * MB),
            // The Cloud API takes WebP only as a sticker, which Atende does not send.
            "image/webp" if channel == ChannelKind::WhatsappOfficial => None,
            _ if whatsapp_document => allow(Document, 100 * MB),
            // A gateway sends any file as a document, as the phone's app does.
            _ if channel == ChannelKind::WhatsappUnofficial => allow(Document, 100 * MB),
            _ => None,
        },
        ChannelKind::Messenger => match mime.split_once('/').map_or("", |(kind, _)| kind) {
            _ if matches!(mime.as_str(), "image/jpeg" | "image/png" | "image/gif") => allow(Image, 8 * MB),
            "video" => allow(Video, 25 * MB),
            "audio" => allow(Audio, 25 * MB),
            _ => allow(Document, 25 * MB),
        },
        ChannelKind::Instagram => match mime.as_str() {
            "image/jpeg" | "image/png" | "image/gif" => allow(Image, 8 * MB),
            "video/mp4" | "video/ogg" | "video/x-msvideo" | "video/quicktime" | "video/webm" => {
                allow(Video, 25 * MB)
            }
            "audio/aac" | "audio/mp4" | "audio/wav" => allow(Audio, 25 * MB),
            "application/pdf" => allow(Document, 25 * MB),
            _ => None,
        },
    }
}

/// The type a file is sent as: the browser's (made safe by [`clean_mime`], its other names made the one
/// providers know: Safari's `audio/x-m4a` is `audio/mp4`) or, when it had none worth the name, the one its
/// extension says.
pub fn file_type(declared: &str, name: &str) -> String {
    match clean_mime(declared) {
        Some(mime) if essence(&mime) != "application/octet-stream" => {
            let usual = match essence(&mime).as_str() {
                "image/jpg" | "image/pjpeg" => "image/jpeg",
                "audio/x-m4a" | "audio/m4a" => "audio/mp4",
                "audio/mp3" | "audio/x-mp3" | "audio/mpeg3" => "audio/mpeg",
                "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "audio/wav",
                "audio/opus" | "audio/x-opus+ogg" | "application/ogg" => "audio/ogg",
                "audio/x-aac" => "audio/aac",
                _ => return mime,
            };
            usual.to_owned()
        }
        _ => type_of_name(name).to_owned(),
    }
}

/// The name a file is sent under: its own, made safe, shortened (if it must be) before the extension, which
/// providers read the type from (Evolution, WhatsApp's document icon); a document without one gets its type's.
fn sent_name(name: &str, mime: &str) -> String {
    const LONGEST: usize = 120;
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let extension = base
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| (1..=10).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphanumeric()));
    match extension {
        Some(ext) => {
            let stem = &base[..base.len() - ext.len() - 1];
            let stem = safe_file_name(Some(stem), "arquivo");
            let stem: String = stem.chars().take(LONGEST - 1 - ext.len()).collect();
            format!("{}.{ext}", stem.trim_end())
        }
        None => {
            let name = safe_file_name(Some(base), "arquivo");
            match crate::inbound_media::extension(mime) {
                Some(ext) => {
                    format!("{}.{ext}", name.chars().take(LONGEST - 1 - ext.len()).collect::<String>())
                }
                None => name,
            }
        }
    }
}

/// Whether the first bytes of a file are what its type says, for the types whose files begin with a known
/// signature (a PNG renamed `.jpg` is refused by the provider with 131053, "media upload error"); `true` for
/// types without one.
pub fn content_matches(mime: &str, head: &[u8]) -> bool {
    let at = |offset: usize, signature: &[u8]| head.get(offset..offset + signature.len()) == Some(signature);
    match essence(mime).as_str() {
        "image/jpeg" => at(0, &[0xFF, 0xD8, 0xFF]),
        "image/png" => at(0, b"\x89PNG\r\n\x1a\n"),
        "image/gif" => at(0, b"GIF8"),
        "image/webp" => at(0, b"RIFF") && at(8, b"WEBP"),
        "application/pdf" => head.windows(5).take(1024).any(|w| w == b"%PDF-"),
        "audio/ogg" | "video/ogg" => at(0, b"OggS"),
        "video/mp4" | "video/3gpp" | "video/quicktime" | "audio/mp4" => at(4, b"ftyp"),
        "video/webm" => at(0, &[0x1A, 0x45, 0xDF, 0xA3]),
        _ => true,
    }
}

/// Why a file was not accepted (said as it is chosen, and by the server to an API caller).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum FileError {
    #[error("O arquivo “{name}” está vazio.")]
    Empty { name: String },
    #[error("O {} não aceita arquivos do tipo {what} (“{name}”).", .channel.label())]
    NotAccepted { channel: ChannelKind, name: String, what: String },
    #[error(
        "“{name}” tem {size}: o {} aceita {} de até {max}.",
        .channel.label(),
        kind_plural(*.kind)
    )]
    TooLarge { channel: ChannelKind, name: String, kind: MediaKind, size: String, max: String },
    #[error(
        "O conteúdo de “{name}” não é um arquivo {what} de verdade: exporte ou salve o arquivo de novo."
    )]
    ContentMismatch { name: String, what: String },
    #[error("“{name}” tem {size}: este servidor aceita arquivos de até {max}.")]
    OverServerLimit { name: String, size: String, max: String },
    #[error(
        "O WhatsApp só aceita áudio OGG gravado com o codec Opus (“{name}” não é): envie em MP3, M4A ou AAC."
    )]
    NotOpus { name: String },
    #[error("O áudio gravado “{name}” não pôde virar mensagem de voz: {why}. Grave de novo.")]
    Recording { name: String, why: String },
    #[error("Áudios não têm legenda: envie o texto numa mensagem separada.")]
    CaptionOnAudio,
    #[error("No {} o anexo vai sem legenda: envie o texto numa mensagem separada.", .channel.label())]
    CaptionNotSupported { channel: ChannelKind },
    #[error("A legenda pode ter no máximo {max} caracteres.")]
    CaptionTooLong { max: usize },
    #[error("{0}")]
    Caption(MessageTextError),
    #[error("Envie no máximo {max} arquivos de uma vez.")]
    TooMany { max: usize },
    #[error("O cabeçalho deste modelo é {}: escolha um arquivo {expected} (“{name}” é {what}).", .format.label())]
    NotForHeader { format: MediaFormat, name: String, what: String, expected: String },
    #[error("“{name}” tem {size}: nenhum canal aceita arquivos deste tipo com mais de {max}.")]
    TooLargeEverywhere { name: String, size: String, max: String },
    #[error("Um arquivo sozinho não responde a uma mensagem: escreva um texto junto ou cancele a resposta.")]
    ReplyNeedsText,
}

fn kind_plural(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "imagens",
        MediaKind::Video => "vídeos",
        MediaKind::Audio => "áudios",
        MediaKind::Document => "documentos",
    }
}

/// How a type is named to the agent: its extension in capitals ("PDF", "WEBP"), or the type itself.
fn type_label(mime: &str, name: &str) -> String {
    let from_name = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()));
    match from_name {
        Some(ext) => ext.to_ascii_uppercase(),
        None => essence(mime),
    }
}

/// A file checked for its channel: what it goes as, its type, its name as the contact sees it, its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingFile {
    kind: MediaKind,
    mime: String,
    name: String,
    size: u64,
    caption: Option<MessageText>,
    channel: ChannelKind,
}

impl OutgoingFile {
    /// `declared` is the type the browser gave (may be blank); `caption` may be blank (none). `limit` is the
    /// deployment's own cap per file (`ATENDE_MEDIA_MAX_MB`), applied on top of the provider's.
    pub fn check(
        channel: ChannelKind,
        name: &str,
        declared: &str,
        size: u64,
        caption: &str,
        limit: u64,
    ) -> Result<Self, FileError> {
        let mime = file_type(declared, name);
        let name = sent_name(name, &mime);
        if size == 0 {
            return Err(FileError::Empty { name });
        }
        let Some(allowance) = allowance(channel, &mime) else {
            return Err(FileError::NotAccepted { channel, what: type_label(&mime, &name), name });
        };
        if size > allowance.max_bytes {
            return Err(FileError::TooLarge {
                channel,
                name,
                kind: allowance.kind,
                size: size_label(size),
                max: size_label(allowance.max_bytes),
            });
        }
        if size > limit {
            return Err(FileError::OverServerLimit { name, size: size_label(size), max: size_label(limit) });
        }
        let caption = match caption.trim() {
            "" => None,
            _ if allowance.kind == MediaKind::Audio => return Err(FileError::CaptionOnAudio),
            _ if matches!(channel, ChannelKind::Messenger | ChannelKind::Instagram) => {
                return Err(FileError::CaptionNotSupported { channel })
            }
            text if text.chars().count() > CAPTION_MAX_CHARS => {
                return Err(FileError::CaptionTooLong { max: CAPTION_MAX_CHARS })
            }
            text => Some(MessageText::parse(text).map_err(FileError::Caption)?),
        };
        Ok(Self { kind: allowance.kind, mime, name, size, caption, channel })
    }

    /// The same file, once its bytes arrived: refused if they are not what its type says. An OGG audio is a
    /// voice note only when it is Opus (its first page says `OpusHead`), and then is sent as
    /// `audio/ogg; codecs=opus`; the Cloud API takes no other OGG (131053).
    pub fn with_content(mut self, head: &[u8]) -> Result<Self, FileError> {
        if !content_matches(&self.mime, head) {
            return Err(FileError::ContentMismatch {
                name: self.name.clone(),
                what: type_label(&self.mime, &self.name),
            });
        }
        if essence(&self.mime) == "audio/ogg" {
            if head.get(28..36) == Some(b"OpusHead".as_slice()) {
                self.mime = "audio/ogg; codecs=opus".to_owned();
            } else if self.channel == ChannelKind::WhatsappOfficial {
                return Err(FileError::NotOpus { name: self.name });
            }
        }
        Ok(self)
    }

    /// A file for a template's media header of `format` (the Cloud API's; see [`MediaFormat::file_types`]).
    /// Its type is the one its name says (the name, given its type's extension where it had none, is what
    /// the field's value keeps: [`HeaderFile`]).
    pub fn for_header(
        format: MediaFormat,
        name: &str,
        declared: &str,
        size: u64,
        limit: u64,
    ) -> Result<Self, FileError> {
        let name = sent_name(name, &file_type(declared, name));
        let mime = type_of_name(&name).to_owned();
        let (types, expected, max_bytes) = format.file_types();
        let kind = match format {
            MediaFormat::Image => MediaKind::Image,
            MediaFormat::Video | MediaFormat::Gif => MediaKind::Video,
            MediaFormat::Document => MediaKind::Document,
        };
        if size == 0 {
            return Err(FileError::Empty { name });
        }
        if !types.contains(&mime.as_str()) {
            let what = type_label(&mime, &name);
            return Err(FileError::NotForHeader { format, name, what, expected: expected.to_owned() });
        }
        let channel = ChannelKind::WhatsappOfficial;
        if size > max_bytes {
            let (size, max) = (size_label(size), size_label(max_bytes));
            return Err(FileError::TooLarge { channel, name, kind, size, max });
        }
        if size > limit {
            return Err(FileError::OverServerLimit { name, size: size_label(size), max: size_label(limit) });
        }
        Ok(Self { kind, mime, name, size, caption: None, channel })
    }

    /// A file kept with a quick answer ("Respostas rápidas" → "Anexo"): no larger than some channel takes
    /// of its type (each conversation's channel checks it again as it is sent: [`Self::check`]; a gateway
    /// takes any type as a document), within the deployment's `limit`, and its first bytes what its type
    /// says. Its type is the one its name says, as a
    /// header file's ([`HeaderFile`]): the name alone is kept.
    /// The answer is the name it is kept under.
    pub fn for_answer(
        name: &str,
        declared: &str,
        size: u64,
        head: &[u8],
        limit: u64,
    ) -> Result<String, FileError> {
        let name = sent_name(name, &file_type(declared, name));
        let mime = type_of_name(&name);
        if size == 0 {
            return Err(FileError::Empty { name });
        }
        let largest = crate::channel::ChannelKind::ALL
            .into_iter()
            .filter_map(|channel| allowance(channel, mime))
            .map(|allowance| allowance.max_bytes)
            .max()
            .unwrap_or(0);
        if size > limit {
            return Err(FileError::OverServerLimit { name, size: size_label(size), max: size_label(limit) });
        }
        if size > largest {
            let (size, max) = (size_label(size), size_label(largest));
            return Err(FileError::TooLargeEverywhere { name, size, max });
        }
        if !content_matches(mime, head) {
            return Err(FileError::ContentMismatch { what: type_label(mime, &name), name });
        }
        Ok(name)
    }

    /// The header's value for this file once kept under `sha256`.
    pub fn header_file(&self, sha256: &str) -> HeaderFile {
        HeaderFile { sha256: sha256.to_owned(), name: self.name.clone() }
    }

    pub const fn kind(&self) -> MediaKind {
        self.kind
    }

    pub fn mime(&self) -> &str {
        &self.mime
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub const fn size(&self) -> u64 {
        self.size
    }

    pub fn caption(&self) -> Option<&str> {
        self.caption.as_ref().map(MessageText::as_str)
    }

    /// An OGG/Opus audio goes as a WhatsApp voice note (the play button and transcription), as the phone's
    /// app records them (known once its bytes are read: [`Self::with_content`]).
    pub fn voice(&self) -> bool {
        self.kind == MediaKind::Audio && self.mime == "audio/ogg; codecs=opus"
    }
}

/// A voice note recorded in the browser as it is sent: its name with `.ogg` and the OGG/Opus made of its
/// WebM (`crate::recording`).
pub fn voice_note_file(name: &str, webm: &[u8]) -> Result<(String, Vec<u8>), FileError> {
    let ogg = crate::recording::voice_note(webm)
        .map_err(|why| FileError::Recording { name: name.to_owned(), why: why.to_string() })?;
    Ok((crate::recording::voice_note_name(name), ogg))
}

/// Several files at once go as several messages; more than [`MAX_FILES_AT_ONCE`] is refused as a whole.
pub fn check_batch(count: usize) -> Result<(), FileError> {
    if count > MAX_FILES_AT_ONCE {
        Err(FileError::TooMany { max: MAX_FILES_AT_ONCE })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChannelKind::{Instagram, Messenger, WhatsappOfficial, WhatsappUnofficial};

    const NO_CAP: u64 = u64::MAX;

    fn check(channel: ChannelKind, name: &str, mime: &str, size: u64) -> Result<OutgoingFile, FileError> {
        OutgoingFile::check(channel, name, mime, size, "", NO_CAP)
    }

    #[test]
    fn whatsapp_takes_each_kind_up_to_its_own_size() {
        let photo = check(WhatsappOfficial, "foto.jpg", "image/jpeg", 5 * MB).expect("5 MB photo");
        assert_eq!((photo.kind(), photo.mime(), photo.size()), (MediaKind::Image, "image/jpeg", 5 * MB));
        assert_eq!(
            check(WhatsappOfficial, "foto.png", "image/png", 5 * MB + 1),
            Err(FileError::TooLarge {
                channel: WhatsappOfficial,
                name: "foto.png".into(),
                kind: MediaKind::Image,
                size: "5,1 MB".into(),
                max: "5,0 MB".into(),
            })
        );
        assert_eq!(
            check(WhatsappOfficial, "foto.png", "image/png", 6 * MB).map_err(|e| e.to_string()),
            Err("“foto.png” tem 6,0 MB: o WhatsApp (API Oficial) aceita imagens de até 5,0 MB.".into())
        );
        assert_eq!(
            check(WhatsappOfficial, "v.mp4", "video/mp4", 16 * MB).map(|f| f.kind()),
            Ok(MediaKind::Video)
        );
        assert!(check(WhatsappOfficial, "v.mp4", "video/mp4", 16 * MB + 1).is_err());
        assert_eq!(
            check(WhatsappOfficial, "nota.pdf", "application/pdf", 100 * MB).map(|f| f.kind()),
            Ok(MediaKind::Document)
        );
        assert!(check(WhatsappOfficial, "nota.pdf", "application/pdf", 100 * MB + 1).is_err());
        let opus = [b"OggS".as_slice(), &[0; 24], b"OpusHead"].concat();
        let voice = check(WhatsappOfficial, "audio.ogg", "audio/ogg", 40 * KB).expect("ogg");
        assert!(!voice.voice(), "not before its bytes are read");
        let voice = voice.with_content(&opus).expect("opus");
        assert!(voice.voice());
        assert_eq!(voice.mime(), "audio/ogg; codecs=opus");
        let vorbis = [b"OggS".as_slice(), &[0; 24], b"\x01vorbis\0"].concat();
        assert_eq!(
            check(WhatsappOfficial, "musica.ogg", "audio/ogg", KB).and_then(|f| f.with_content(&vorbis)),
            Err(FileError::NotOpus { name: "musica.ogg".into() })
        );
        let gateway =
            check(WhatsappUnofficial, "musica.ogg", "audio/ogg", KB).and_then(|f| f.with_content(&vorbis));
        assert!(gateway.is_ok_and(|f| !f.voice()), "the gateway converts it itself");
        assert!(!check(WhatsappOfficial, "musica.mp3", "audio/mpeg", MB).expect("mp3").voice());
    }

    #[test]
    fn the_official_api_refuses_what_meta_does_not_take_and_a_gateway_sends_it_as_a_document() {
        assert_eq!(
            check(WhatsappOfficial, "planilha.zip", "application/zip", KB).map_err(|e| e.to_string()),
            Err("O WhatsApp (API Oficial) não aceita arquivos do tipo ZIP (“planilha.zip”).".into())
        );
        assert!(check(WhatsappOfficial, "figura.webp", "image/webp", KB).is_err());
        assert_eq!(
            check(WhatsappUnofficial, "planilha.zip", "application/zip", KB).map(|f| f.kind()),
            Ok(MediaKind::Document)
        );
        assert_eq!(
            check(WhatsappUnofficial, "figura.webp", "image/webp", KB).map(|f| f.kind()),
            Ok(MediaKind::Document)
        );
    }

    #[test]
    fn messenger_and_instagram_have_their_own_limits_and_no_caption() {
        assert_eq!(check(Messenger, "a.gif", "image/gif", 8 * MB).map(|f| f.kind()), Ok(MediaKind::Image));
        assert!(check(Messenger, "a.gif", "image/gif", 8 * MB + 1).is_err());
        assert_eq!(
            check(Messenger, "a.zip", "application/zip", 25 * MB).map(|f| f.kind()),
            Ok(MediaKind::Document)
        );
        assert!(check(Messenger, "a.zip", "application/zip", 25 * MB + 1).is_err());
        assert_eq!(check(Instagram, "a.mov", "video/quicktime", MB).map(|f| f.kind()), Ok(MediaKind::Video));
        assert_eq!(
            check(Instagram, "a.pdf", "application/pdf", MB).map(|f| f.kind()),
            Ok(MediaKind::Document)
        );
        assert!(matches!(check(Instagram, "a.docx", "", MB), Err(FileError::NotAccepted { .. })));
        assert_eq!(
            OutgoingFile::check(Instagram, "a.jpg", "image/jpeg", KB, "legenda", NO_CAP),
            Err(FileError::CaptionNotSupported { channel: Instagram })
        );
        assert_eq!(
            OutgoingFile::check(Messenger, "a.jpg", "image/jpeg", KB, "  ", NO_CAP)
                .map(|f| f.caption().is_none()),
            Ok(true)
        );
    }

    #[test]
    fn captions_go_on_images_videos_and_documents_only_and_within_1024_characters() {
        let captioned =
            OutgoingFile::check(WhatsappOfficial, "a.jpg", "image/jpeg", KB, " Seu pedido ", NO_CAP)
                .expect("ok");
        assert_eq!(captioned.caption(), Some("Seu pedido"));
        assert_eq!(
            OutgoingFile::check(WhatsappOfficial, "a.ogg", "audio/ogg", KB, "oi", NO_CAP),
            Err(FileError::CaptionOnAudio)
        );
        let long = "a".repeat(CAPTION_MAX_CHARS + 1);
        assert_eq!(
            OutgoingFile::check(WhatsappUnofficial, "a.pdf", "application/pdf", KB, &long, NO_CAP),
            Err(FileError::CaptionTooLong { max: CAPTION_MAX_CHARS })
        );
    }

    #[test]
    fn a_file_without_a_type_is_known_by_its_extension_and_an_empty_or_oversized_one_is_refused() {
        assert_eq!(
            check(WhatsappOfficial, "Boleto.PDF", "", KB).map(|f| f.mime().to_owned()),
            Ok("application/pdf".into())
        );
        assert_eq!(
            check(WhatsappOfficial, "foto.jpeg", "application/octet-stream", KB).map(|f| f.kind()),
            Ok(MediaKind::Image)
        );
        assert_eq!(
            check(WhatsappOfficial, "a.pdf", "application/pdf", 0),
            Err(FileError::Empty { name: "a.pdf".into() })
        );
        assert_eq!(
            OutgoingFile::check(WhatsappOfficial, "a.pdf", "application/pdf", 3 * MB, "", 2 * MB)
                .map_err(|e| e.to_string()),
            Err("“a.pdf” tem 3,0 MB: este servidor aceita arquivos de até 2,0 MB.".into())
        );
        let tricky = check(WhatsappUnofficial, "../../etc/passwd", "text/plain", 10).expect("text");
        assert_eq!(tricky.name(), "passwd.txt", "a document's name carries its type's extension");
        let long = format!("{}.pdf", "nota fiscal ".repeat(20));
        let shortened = check(WhatsappOfficial, &long, "application/pdf", KB).expect("pdf");
        assert!(
            shortened.name().ends_with(".pdf") && shortened.name().chars().count() <= 120,
            "{}",
            shortened.name()
        );
        // Other names browsers give a type by.
        for (declared, usual) in
            [("audio/x-m4a", "audio/mp4"), ("audio/mp3", "audio/mpeg"), ("image/jpg", "image/jpeg")]
        {
            assert_eq!(file_type(declared, "x"), usual);
        }
        assert_eq!(
            check(WhatsappOfficial, "recado.m4a", "audio/x-m4a", KB).map(|f| f.kind()),
            Ok(MediaKind::Audio)
        );
        assert_eq!(check_batch(MAX_FILES_AT_ONCE), Ok(()));
        assert_eq!(check_batch(MAX_FILES_AT_ONCE + 1), Err(FileError::TooMany { max: MAX_FILES_AT_ONCE }));
    }

    #[test]
    fn the_bytes_must_be_what_the_type_says() {
        let jpeg = check(WhatsappOfficial, "foto.jpg", "image/jpeg", KB).expect("jpeg");
        assert!(jpeg.clone().with_content(&[0xFF, 0xD8, 0xFF, 0xE0]).is_ok());
        assert_eq!(
            jpeg.with_content(b"\x89PNG\r\n\x1a\n").map_err(|e| e.to_string()),
            Err("O conteúdo de “foto.jpg” não é um arquivo JPG de verdade: exporte ou salve o arquivo de novo."
                .into())
        );
        assert!(content_matches("application/pdf", b"%PDF-1.7"));
        assert!(!content_matches("application/pdf", b"<html>"));
        assert!(content_matches("audio/ogg; codecs=opus", b"OggS\0"));
        assert!(content_matches("video/mp4", b"\0\0\0\x18ftypmp42"));
        assert!(!content_matches("video/mp4", b"\0\0"));
        assert!(content_matches("text/plain", b"anything"));
    }

    #[test]
    fn a_template_header_takes_the_types_and_sizes_meta_takes_there() {
        let header =
            |format, name: &str, mime: &str, size| OutgoingFile::for_header(format, name, mime, size, NO_CAP);
        let photo = header(MediaFormat::Image, "promo.png", "image/png", 5 * MB).expect("png");
        assert_eq!((photo.kind(), photo.mime(), photo.caption()), (MediaKind::Image, "image/png", None));
        assert_eq!(
            header(MediaFormat::Image, "promo.pdf", "application/pdf", KB).map_err(|e| e.to_string()),
            Err("O cabeçalho deste modelo é Imagem: escolha um arquivo JPG ou PNG (“promo.pdf” é PDF)."
                .into())
        );
        assert!(header(MediaFormat::Image, "promo.jpg", "image/jpeg", 5 * MB + 1).is_err());
        assert!(header(MediaFormat::Video, "v.3gp", "video/3gpp", KB).is_err(), "MP4 only");
        assert!(header(MediaFormat::Gif, "g.mp4", "video/mp4", 4 * MB).is_err(), "3.5 MB");
        assert!(header(MediaFormat::Document, "boleto.docx", "", KB).is_err(), "PDF only");
        assert_eq!(
            header(MediaFormat::Document, "boleto.pdf", "application/pdf", 0),
            Err(FileError::Empty { name: "boleto.pdf".into() })
        );
        // A screenshot without an extension gets its type's, which the header's value keeps.
        let pasted = header(MediaFormat::Image, "captura", "image/png", KB).expect("png");
        assert_eq!(pasted.name(), "captura.png");
        let kept = pasted.header_file(&"ab".repeat(32));
        assert_eq!(crate::template::HeaderFile::parse(&kept.value()), Some(kept.clone()));
        assert_eq!(kept.mime(), "image/png");
        assert!(OutgoingFile::for_header(MediaFormat::Image, "p.png", "image/png", 2 * KB, KB).is_err());
        let pdf = header(MediaFormat::Document, "boleto.pdf", "", KB).expect("pdf");
        assert!(pdf.clone().with_content(b"%PDF-1.4").is_ok());
        assert!(pdf.with_content(b"<svg>").is_err());
    }
}
