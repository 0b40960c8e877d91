//! What the simulated contacts send: a picture, a file, a video, a voice note and a place.

/// The picture a simulated contact sends: a 480×360 JPEG (an order slip, 7.7 KB), like a phone's photo.
pub(super) const SAMPLE_IMAGE: &[u8] = include_bytes!("samples/amostra.jpg");
pub(super) const SAMPLE_IMAGE_MIME: &str = "image/jpeg";
/// The file a simulated contact sends.
pub(super) const SAMPLE_DOCUMENT: &str = "Comprovante de pagamento\nPedido A-10423\nValor: R$ 89,90\n";
pub(super) const SAMPLE_DOCUMENT_NAME: &str = "comprovante.txt";
pub(super) const SAMPLE_DOCUMENT_MIME: &str = "text/plain";
/// The video a simulated contact sends: one second of the brand's green, H.264 in MP4.
pub(super) const SAMPLE_VIDEO: &[u8] = include_bytes!("samples/amostra.mp4");
pub(super) const SAMPLE_VIDEO_MIME: &str = "video/mp4";
pub(super) const SAMPLE_VIDEO_NAME: &str = "amostra.mp4";
/// The voice note a simulated contact records: one second of a 440 Hz tone, Opus in OGG (WhatsApp's format).
pub(super) const SAMPLE_VOICE: &[u8] = include_bytes!("samples/amostra.ogg");
pub(super) const SAMPLE_VOICE_MIME: &str = "audio/ogg; codecs=opus";
pub(super) const SAMPLE_VOICE_NAME: &str = "amostra.ogg";
/// The place a simulated contact shares: latitude, longitude, address.
pub(super) const SAMPLE_LOCATION: (f64, f64, &str) =
    (-23.561_414, -46.655_881, "Avenida Paulista, 1578 - Bela Vista, São Paulo - SP");

/// The contact card a simulated contact shares: name, number as the card writes it, WhatsApp id.
pub(super) const SAMPLE_CONTACT: (&str, &str, &str) = ("Ana Silva", "+55 11 98765-4321", "5511987654321");
