//! An attachment the agent sends by link ("Anexar"): an image, video, audio or document the provider fetches
//! from a public `https://` address. Free-form like a text: the same window rules decide whether it leaves
//! now, waits in the queue or is refused.

use crate::channel::ChannelKind;
use crate::queue::{MessageText, MessageTextError};
use serde::{Deserialize, Serialize};

/// Longest link accepted (providers refuse longer ones).
pub const LINK_MAX_CHARS: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
}

impl MediaKind {
    pub const ALL: [Self; 4] = [Self::Image, Self::Video, Self::Audio, Self::Document];

    /// The message kind stored and sent (`image`, `video`, `audio`, `document`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind a file of type `mime` is, by its top-level type (a document unless image, video or audio):
    /// how a template's media header is shown and sent.
    pub fn of_type(mime: &str) -> Self {
        match mime.split('/').next() {
            Some("image") => Self::Image,
            Some("video") => Self::Video,
            Some("audio") => Self::Audio,
            _ => Self::Document,
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Image => "Imagem",
            Self::Video => "Vídeo",
            Self::Audio => "Áudio",
            Self::Document => "Documento",
        }
    }
}

/// Why an attachment was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum MediaError {
    #[error("Cole o link do arquivo.")]
    LinkMissing,
    #[error("O link precisa começar com https:// e apontar para um arquivo público.")]
    LinkNotHttps,
    #[error("O link pode ter no máximo {max} caracteres.")]
    LinkTooLong { max: usize },
    #[error("Áudios não têm legenda: envie o texto numa mensagem separada.")]
    CaptionOnAudio,
    #[error("No {} o anexo vai sem legenda: envie o texto numa mensagem separada.", .channel.label())]
    CaptionNotSupported { channel: ChannelKind },
    #[error("{0}")]
    Caption(MessageTextError),
    #[error("O tipo de anexo “{0}” não existe: use imagem, vídeo, áudio ou documento.")]
    UnknownKind(String),
}

/// A checked attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaMessage {
    kind: MediaKind,
    link: String,
    caption: Option<MessageText>,
}

impl MediaMessage {
    /// `caption` may be blank (none).
    pub fn parse(kind: MediaKind, link: &str, caption: &str) -> Result<Self, MediaError> {
        let link = link.trim();
        if link.is_empty() {
            return Err(MediaError::LinkMissing);
        }
        if link.chars().count() > LINK_MAX_CHARS {
            return Err(MediaError::LinkTooLong { max: LINK_MAX_CHARS });
        }
        let host = link.strip_prefix("https://").unwrap_or_default();
        if host.is_empty()
            || host.starts_with('/')
            || link.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(MediaError::LinkNotHttps);
        }
        let caption = match caption.trim() {
            "" => None,
            _ if kind == MediaKind::Audio => return Err(MediaError::CaptionOnAudio),
            text => Some(MessageText::parse(text).map_err(MediaError::Caption)?),
        };
        Ok(Self { kind, link: link.to_owned(), caption })
    }

    /// Messenger and Instagram attachments carry no caption.
    pub fn check_channel(&self, channel: ChannelKind) -> Result<(), MediaError> {
        match channel {
            ChannelKind::Messenger | ChannelKind::Instagram if self.caption.is_some() => {
                Err(MediaError::CaptionNotSupported { channel })
            }
            _ => Ok(()),
        }
    }

    pub const fn kind(&self) -> MediaKind {
        self.kind
    }

    pub fn link(&self) -> &str {
        &self.link
    }

    pub fn caption(&self) -> Option<&str> {
        self.caption.as_ref().map(MessageText::as_str)
    }

    /// A document's file name as the contact sees it: the link's last segment, without its query.
    pub fn file_name(&self) -> Option<String> {
        if self.kind != MediaKind::Document {
            return None;
        }
        let path = self.link.split(['?', '#']).next().unwrap_or_default();
        path.rsplit('/')
            .next()
            .filter(|name| !name.is_empty() && path.matches('/').count() > 2)
            .map(percent_decoded)
    }
}

/// `nota%20fiscal.pdf` → `nota fiscal.pdf` (invalid escapes and non-UTF-8 results are kept as written).
pub fn percent_decoded(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_must_be_public_https_and_audio_has_no_caption() {
        let image =
            MediaMessage::parse(MediaKind::Image, " https://loja.com.br/fotos/bolo.jpg ", " Seu bolo! ")
                .expect("valid");
        assert_eq!(
            (image.link(), image.caption()),
            ("https://loja.com.br/fotos/bolo.jpg", Some("Seu bolo!"))
        );
        assert_eq!(MediaMessage::parse(MediaKind::Image, "", ""), Err(MediaError::LinkMissing));
        for bad in
            ["http://loja.com.br/a.jpg", "https://", "https:///a.jpg", "ftp://x/a", "https://a b.com/x"]
        {
            assert_eq!(
                MediaMessage::parse(MediaKind::Image, bad, ""),
                Err(MediaError::LinkNotHttps),
                "{bad}"
            );
        }
        let long = format!("https://loja.com.br/{}", "a".repeat(LINK_MAX_CHARS));
        assert_eq!(
            MediaMessage::parse(MediaKind::Video, &long, ""),
            Err(MediaError::LinkTooLong { max: LINK_MAX_CHARS })
        );
        assert_eq!(
            MediaMessage::parse(MediaKind::Audio, "https://x.com/a.ogg", "oi"),
            Err(MediaError::CaptionOnAudio)
        );
        assert!(MediaMessage::parse(MediaKind::Audio, "https://x.com/a.ogg", "  ").is_ok());
    }

    #[test]
    fn messenger_attachments_go_without_caption_and_documents_keep_their_file_name() {
        let captioned =
            MediaMessage::parse(MediaKind::Image, "https://x.com/a.jpg", "legenda").expect("valid");
        assert_eq!(captioned.check_channel(ChannelKind::WhatsappUnofficial), Ok(()));
        assert_eq!(
            captioned.check_channel(ChannelKind::Instagram),
            Err(MediaError::CaptionNotSupported { channel: ChannelKind::Instagram })
        );
        let plain = MediaMessage::parse(MediaKind::Image, "https://x.com/a.jpg", "").expect("valid");
        assert_eq!(plain.check_channel(ChannelKind::Messenger), Ok(()));
        let pdf = MediaMessage::parse(MediaKind::Document, "https://x.com/notas/nf-123.pdf?v=2", "")
            .expect("valid");
        assert_eq!(pdf.file_name().as_deref(), Some("nf-123.pdf"));
        let spaced = MediaMessage::parse(MediaKind::Document, "https://x.com/d/nota%20fiscal%C3%A9.pdf", "")
            .expect("ok");
        assert_eq!(spaced.file_name().as_deref(), Some("nota fiscalé.pdf"));
        let odd = MediaMessage::parse(MediaKind::Document, "https://x.com/d/100%25%zz.pdf", "").expect("ok");
        assert_eq!(odd.file_name().as_deref(), Some("100%%zz.pdf"));
        let bare = MediaMessage::parse(MediaKind::Document, "https://x.com/", "").expect("valid");
        assert_eq!(bare.file_name(), None);
        assert_eq!(plain.file_name(), None, "only documents have a file name");
    }
}
