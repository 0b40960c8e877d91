//! What the simulated contacts send: a picture, a file, a video, a voice note and a place.

/// A 1×1 PNG: the picture a simulated contact sends.
pub(super) const SAMPLE_IMAGE: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00,
    0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0xf8, 0xcf, 0x50, 0x0f, 0x00, 0x03,
    0x86, 0x01, 0x80, 0x5a, 0x34, 0x7d, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42,
    0x60, 0x82,
];
pub(super) const SAMPLE_IMAGE_MIME: &str = "image/png";
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
