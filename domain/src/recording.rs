//! A voice note recorded in the agent's browser ("Gravar áudio"). Chromium's `MediaRecorder` records Opus only
//! inside WebM (`audio/webm;codecs=opus`); WhatsApp plays a voice note only as OGG/Opus (the Cloud API refuses
//! any other OGG with 131053, and a WebM is no voice note). The Opus packets are the same in both: they are
//! moved, untouched, from the WebM's blocks into OGG pages (RFC 7845), the way `ffmpeg -c:a copy` does, so
//! nothing is re-encoded and the file keeps its quality and size. Firefox records OGG/Opus itself, which needs
//! none of this.
//!
//! Only what a recorder writes is read: one Opus track, its blocks in `SimpleBlock`s or `BlockGroup`s (laced or
//! not), Segments and Clusters of unknown size (a recorder does not know how long it will record).

/// Opus always runs at 48 kHz in OGG, whatever the input rate (RFC 7845 §4).
const OPUS_RATE: u64 = 48_000;

/// Whether a file of type `mime` (as `outbound_media::file_type` says it) is a browser recording
/// that goes as an OGG/Opus voice note once [`voice_note`] made it one.
pub fn is_recording(mime: &str) -> bool {
    crate::inbound_media::essence(mime) == "audio/webm"
}

/// The name a recording is sent under: its own with `.ogg` for its extension.
pub fn voice_note_name(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    format!("{}.ogg", if stem.trim().is_empty() { "gravacao" } else { stem })
}

/// Why a recording could not be made a voice note (said to the agent after "o áudio gravado …").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordingError {
    #[error("não é um arquivo WebM")]
    NotWebm,
    #[error("não tem áudio Opus")]
    NoOpus,
    #[error("está incompleto")]
    Truncated,
    #[error("não tem nenhum som gravado")]
    Empty,
}

/// The OGG/Opus file that holds the same Opus packets as the WebM `bytes`.
pub fn voice_note(bytes: &[u8]) -> Result<Vec<u8>, RecordingError> {
    let recording = read_webm(bytes)?;
    if recording.packets.is_empty() {
        return Err(RecordingError::Empty);
    }
    Ok(write_ogg(&recording))
}

struct Recording<'a> {
    /// The `OpusHead` the WebM carries (its `CodecPrivate`), or one made from its channels and codec delay.
    head: Vec<u8>,
    packets: Vec<&'a [u8]>,
}

// Matroska element ids (with their length marker bits, as they are written).
const EBML: u32 = 0x1A45_DFA3;
const SEGMENT: u32 = 0x1853_8067;
const CLUSTER: u32 = 0x1F43_B675;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const CODEC_DELAY: u32 = 0x56AA;
const AUDIO: u32 = 0xE1;
const CHANNELS: u32 = 0x9F;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const SIMPLE_BLOCK: u32 = 0xA3;

/// The elements whose children are read in place (the others are skipped whole, by their size).
const fn is_parent(id: u32) -> bool {
    matches!(id, SEGMENT | CLUSTER | TRACKS | TRACK_ENTRY | AUDIO | BLOCK_GROUP)
}

/// An element's id at `at`: its bytes as written, and its length (1 to 4).
fn element_id(bytes: &[u8], at: usize) -> Option<(u32, usize)> {
    let first = *bytes.get(at)?;
    let length = first.leading_zeros() as usize + 1;
    if length > 4 {
        return None;
    }
    let id = bytes.get(at..at + length)?.iter().fold(0u32, |id, &b| id << 8 | u32::from(b));
    Some((id, length))
}

/// A variable-length integer at `at` (an element's size, a block's track): its value (`None` inside for an
/// unknown size, all ones) and its length (1 to 8).
fn vint(bytes: &[u8], at: usize) -> Option<(Option<u64>, usize)> {
    let first = *bytes.get(at)?;
    let length = first.leading_zeros() as usize + 1;
    if length > 8 {
        return None;
    }
    let marker = 0x80u8 >> (length - 1);
    let value = bytes
        .get(at + 1..at + length)?
        .iter()
        .fold(u64::from(first & (marker - 1)), |value, &b| value << 8 | u64::from(b));
    let unknown = value == (1u64 << (7 * length)) - 1;
    Some(((!unknown).then_some(value), length))
}

fn unsigned(bytes: &[u8]) -> u64 {
    bytes.iter().take(8).fold(0, |value, &b| value << 8 | u64::from(b))
}

/// The track entry being read.
#[derive(Default)]
struct Entry<'a> {
    number: Option<u64>,
    opus: bool,
    private: Option<&'a [u8]>,
    codec_delay: u64,
    channels: u8,
}

impl Entry<'_> {
    /// The Opus track's number and `OpusHead`, once its entry was read whole.
    fn opus(&self) -> Option<(u64, Vec<u8>)> {
        let number = self.number.filter(|_| self.opus)?;
        let head = match self.private.filter(|private| private.starts_with(b"OpusHead")) {
            Some(private) => private.to_vec(),
            None => opus_head(self.channels, self.codec_delay),
        };
        Some((number, head))
    }
}

fn read_webm(bytes: &[u8]) -> Result<Recording<'_>, RecordingError> {
    if element_id(bytes, 0).map(|(id, _)| id) != Some(EBML) {
        return Err(RecordingError::NotWebm);
    }
    let mut opus_track: Option<(u64, Vec<u8>)> = None;
    let mut entry: Option<Entry<'_>> = None;
    let mut packets = Vec::new();
    let mut at = 0;
    // A recording cut short (the browser closed during the last block) keeps what arrived whole.
    while let Some((id, id_length)) = element_id(bytes, at) {
        let Some((size, size_length)) = vint(bytes, at + id_length) else { break };
        let body = at + id_length + size_length;
        // An entry ends where the next one, or the first block, begins.
        if matches!(id, TRACK_ENTRY | SIMPLE_BLOCK | BLOCK | CLUSTER) {
            if let Some(done) = entry.take() {
                opus_track = opus_track.or_else(|| done.opus());
            }
        }
        if is_parent(id) {
            if id == TRACK_ENTRY {
                entry = Some(Entry { channels: 1, ..Entry::default() });
            }
            at = body;
            continue;
        }
        let Some(size) = size.and_then(|size| usize::try_from(size).ok()) else {
            return Err(RecordingError::Truncated);
        };
        let Some(content) = bytes.get(body..body.saturating_add(size)) else { break };
        match (id, entry.as_mut()) {
            (TRACK_NUMBER, Some(entry)) => entry.number = Some(unsigned(content)),
            (CODEC_ID, Some(entry)) => entry.opus = content == b"A_OPUS",
            (CODEC_PRIVATE, Some(entry)) => entry.private = Some(content),
            (CODEC_DELAY, Some(entry)) => entry.codec_delay = unsigned(content),
            (CHANNELS, Some(entry)) => entry.channels = u8::try_from(unsigned(content)).unwrap_or(1),
            (SIMPLE_BLOCK | BLOCK, _) => {
                let (number, frames) = block_frames(content).ok_or(RecordingError::Truncated)?;
                if opus_track.as_ref().is_some_and(|(opus, _)| *opus == number) {
                    packets.extend(frames);
                }
            }
            _ => {}
        }
        at = body + size;
    }
    let (_, head) =
        opus_track.or_else(|| entry.and_then(|done| done.opus())).ok_or(RecordingError::NoOpus)?;
    Ok(Recording { head, packets })
}

/// A block's track number and its frames (one, or several when laced).
fn block_frames(block: &[u8]) -> Option<(u64, Vec<&[u8]>)> {
    let (track, length) = vint(block, 0)?;
    let flags = *block.get(length + 2)?;
    let data = block.get(length + 3..)?;
    let frames = match (flags >> 1) & 3 {
        0 => vec![data],
        lacing => {
            let count = usize::from(*data.first()?) + 1;
            let mut at = 1;
            let mut sizes = Vec::with_capacity(count);
            match lacing {
                // Xiph: each size but the last as a run of 255s and one smaller byte.
                1 => {
                    for _ in 1..count {
                        let mut size = 0;
                        loop {
                            let byte = *data.get(at)?;
                            at += 1;
                            size += usize::from(byte);
                            if byte < 255 {
                                break;
                            }
                        }
                        sizes.push(size);
                    }
                }
                // Fixed: all the same size.
                2 => {
                    let each = (data.len() - 1) / count;
                    sizes.resize(count - 1, each);
                }
                // EBML: the first size, then each as a signed difference from the one before.
                _ => {
                    let (first, length) = vint(data, at)?;
                    at += length;
                    let mut size = i64::try_from(first?).ok()?;
                    sizes.push(usize::try_from(size).ok()?);
                    for _ in 2..count {
                        let (raw, length) = vint(data, at)?;
                        at += length;
                        let bias = (1i64 << (7 * length - 1)) - 1;
                        size = size.checked_add(i64::try_from(raw?).ok()? - bias)?;
                        sizes.push(usize::try_from(size).ok()?);
                    }
                }
            }
            let mut frames = Vec::with_capacity(count);
            for size in sizes {
                let end = at.checked_add(size)?;
                frames.push(data.get(at..end)?);
                at = end;
            }
            frames.push(data.get(at..)?);
            frames
        }
    };
    Some((track?, frames))
}

/// An `OpusHead` for a track that carried none (RFC 7845 §5.1): mono or stereo, the codec delay (ns) as the
/// pre-skip, the 48 kHz input rate, no gain, the default channel mapping.
fn opus_head(channels: u8, codec_delay_ns: u64) -> Vec<u8> {
    let pre_skip = u16::try_from(codec_delay_ns * OPUS_RATE / 1_000_000_000).unwrap_or(0);
    let mut head = b"OpusHead".to_vec();
    head.push(1);
    head.push(channels.clamp(1, 2));
    head.extend(pre_skip.to_le_bytes());
    head.extend(48_000u32.to_le_bytes());
    head.extend([0, 0, 0]);
    head
}

/// How many 48 kHz samples an Opus packet decodes to, from its TOC byte (RFC 6716 §3.1).
fn packet_samples(packet: &[u8]) -> u64 {
    let Some(&toc) = packet.first() else { return 0 };
    let config = toc >> 3;
    // Frame length in 1/400 s (2.5 ms, 120 samples).
    let quarters: u64 = match config {
        0..=11 => [4, 8, 16, 24][usize::from(config % 4)],
        12..=15 => [4, 8][usize::from(config % 2)],
        _ => [1, 2, 4, 8][usize::from(config % 4)],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => packet.get(1).map_or(0, |count| u64::from(count & 0x3F)),
    };
    quarters * 120 * frames
}

/// The OGG file: the `OpusHead` page, the `OpusTags` page, then the packets, each page's granule position
/// the samples decoded by its end.
fn write_ogg(recording: &Recording<'_>) -> Vec<u8> {
    const SERIAL: u32 = 0x4174_656E; // "Aten"
    let mut tags = b"OpusTags".to_vec();
    let vendor = b"Atende";
    tags.extend(u32::try_from(vendor.len()).unwrap_or(0).to_le_bytes());
    tags.extend(vendor);
    tags.extend(0u32.to_le_bytes());
    let mut out = Vec::with_capacity(recording.packets.iter().map(|p| p.len() + 2).sum::<usize>() + 1024);
    let mut sequence = 0;
    let mut page = |out: &mut Vec<u8>, packets: &[&[u8]], granule: u64, flags: u8| {
        let lacing: Vec<u8> = packets
            .iter()
            .flat_map(|packet| {
                let full = packet.len() / 255;
                std::iter::repeat_n(255u8, full).chain([u8::try_from(packet.len() % 255).unwrap_or(0)])
            })
            .collect();
        let start = out.len();
        out.extend(b"OggS\0");
        out.push(flags);
        out.extend(granule.to_le_bytes());
        out.extend(SERIAL.to_le_bytes());
        out.extend(u32::to_le_bytes(sequence));
        out.extend([0; 4]);
        out.push(u8::try_from(lacing.len()).unwrap_or(255));
        out.extend(&lacing);
        for packet in packets {
            out.extend(*packet);
        }
        let crc = ogg_crc(&out[start..]);
        out[start + 22..start + 26].copy_from_slice(&crc.to_le_bytes());
        sequence += 1;
    };
    page(&mut out, &[&recording.head], 0, 0x02);
    page(&mut out, &[&tags], 0, 0);
    // About a second of audio to a page, as encoders write them, and never more than 255 lacing values.
    let mut granule = 0;
    let mut pending: Vec<&[u8]> = Vec::new();
    let mut segments = 0;
    let last = recording.packets.len() - 1;
    for (index, packet) in recording.packets.iter().enumerate() {
        let needs = packet.len() / 255 + 1;
        if segments + needs > 255 {
            page(&mut out, &pending, granule, 0);
            pending.clear();
            segments = 0;
        }
        pending.push(packet);
        segments += needs;
        granule += packet_samples(packet);
        if index == last || pending.len() >= 50 {
            page(&mut out, &pending, granule, if index == last { 0x04 } else { 0 });
            pending.clear();
            segments = 0;
        }
    }
    out
}

/// OGG's page checksum: CRC-32 with the polynomial 0x04C11DB7, not reflected, starting at 0.
fn ogg_crc(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |crc, &byte| {
        let mut crc = crc ^ (u32::from(byte) << 24);
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { crc << 1 ^ 0x04C1_1DB7 } else { crc << 1 };
        }
        crc
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound_media::opus_seconds;

    fn element(id: &[u8], body: &[u8]) -> Vec<u8> {
        let size = u64::try_from(body.len()).expect("size") | 1 << 56; // an 8-byte size
        [id, &size.to_be_bytes(), body].concat()
    }

    /// A parent of unknown size, as a recorder writes its Segment and Clusters.
    fn open(id: &[u8], children: &[Vec<u8>]) -> Vec<u8> {
        [id.to_vec(), vec![0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], children.concat()].concat()
    }

    /// A 20 ms CELT frame (config 31: 20 ms; one frame), `fill` bytes long.
    fn frame(fill: usize) -> Vec<u8> {
        [vec![31 << 3], vec![7; fill]].concat()
    }

    fn simple_block(track: u8, frame: &[u8]) -> Vec<u8> {
        element(&[0xA3], &[&[0x80 | track, 0, 0, 0x80], frame].concat())
    }

    fn webm(head: Option<&[u8]>, blocks: Vec<Vec<u8>>) -> Vec<u8> {
        let mut opus = vec![element(&[0xD7], &[1]), element(&[0x86], b"A_OPUS")];
        if let Some(head) = head {
            opus.push(element(&[0x63, 0xA2], head));
        }
        opus.push(element(&[0x56, 0xAA], &6_500_000u32.to_be_bytes()));
        opus.push(element(&[0xE1], &element(&[0x9F], &[1])));
        let video = [element(&[0xD7], &[2]), element(&[0x86], b"V_VP8")].concat();
        let tracks = element(
            &[0x16, 0x54, 0xAE, 0x6B],
            &[element(&[0xAE], &opus.concat()), element(&[0xAE], &video)].concat(),
        );
        let half = blocks.len() / 2;
        let cluster = |blocks: &[Vec<u8>]| {
            open(&[0x1F, 0x43, 0xB6, 0x75], &[&[element(&[0xE7], &[0])], blocks].concat())
        };
        [
            element(&[0x1A, 0x45, 0xDF, 0xA3], &element(&[0x42, 0x82], b"webm")),
            open(&[0x18, 0x53, 0x80, 0x67], &[tracks, cluster(&blocks[..half]), cluster(&blocks[half..])]),
        ]
        .concat()
    }

    /// The OGG file's pages: (header type, granule, packets), each page's CRC checked.
    fn pages(ogg: &[u8]) -> Vec<(u8, u64, Vec<Vec<u8>>)> {
        let mut at = 0;
        let mut pages = Vec::new();
        while at < ogg.len() {
            assert_eq!(&ogg[at..at + 5], b"OggS\0");
            let count = usize::from(ogg[at + 26]);
            let lacing = &ogg[at + 27..at + 27 + count];
            let length = 27 + count + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
            let mut page = ogg[at..at + length].to_vec();
            let crc = u32::from_le_bytes(page[22..26].try_into().expect("crc"));
            page[22..26].fill(0);
            assert_eq!(ogg_crc(&page), crc, "page at {at}");
            let mut packets = vec![];
            let mut packet = vec![];
            let mut body = at + 27 + count;
            for &l in lacing {
                packet.extend(&ogg[body..body + usize::from(l)]);
                body += usize::from(l);
                if l < 255 {
                    packets.push(std::mem::take(&mut packet));
                }
            }
            let granule = u64::from_le_bytes(ogg[at + 6..at + 14].try_into().expect("granule"));
            pages.push((ogg[at + 5], granule, packets));
            at += length;
        }
        pages
    }

    #[test]
    fn a_webm_recording_becomes_an_ogg_voice_note_with_the_same_packets() {
        // 150 frames of 20 ms (3 s), one of them 600 bytes long (three lacing values), and a video track's
        // block that must be left out.
        let frames: Vec<Vec<u8>> = (0..150).map(|i| frame(if i == 70 { 600 } else { 40 + i % 7 })).collect();
        let mut blocks: Vec<Vec<u8>> = frames.iter().map(|f| simple_block(1, f)).collect();
        blocks.insert(3, simple_block(2, b"not audio"));
        let head = opus_head(1, 0);
        let ogg = voice_note(&webm(Some(&head), blocks)).expect("remuxed");
        let pages = pages(&ogg);
        assert_eq!(pages[0], (0x02, 0, vec![head]));
        assert!(pages[1].2[0].starts_with(b"OpusTags"));
        let packets: Vec<Vec<u8>> = pages[2..].iter().flat_map(|p| p.2.clone()).collect();
        assert_eq!(packets, frames);
        assert_eq!(pages.last().map(|p| (p.0, p.1)), Some((0x04, 150 * 960)));
        assert!(pages[2..].iter().all(|p| p.2.len() <= 50));
        assert_eq!(opus_seconds(&ogg), Some(3));
        // What the server checks before sending it as a voice note.
        assert_eq!(ogg.get(28..36), Some(b"OpusHead".as_slice()));
    }

    #[test]
    fn without_a_codec_private_the_head_is_made_from_the_track() {
        let ogg = voice_note(&webm(None, vec![simple_block(1, &frame(10))])).expect("remuxed");
        let head = &pages(&ogg)[0].2[0];
        assert_eq!(head, &opus_head(1, 6_500_000));
        // 6.5 ms of codec delay: 312 samples of pre-skip.
        assert_eq!(u16::from_le_bytes([head[10], head[11]]), 312);
    }

    #[test]
    fn laced_blocks_give_each_of_their_frames() {
        let (a, b, c) = (frame(3), frame(300), frame(5));
        // Xiph lacing: count - 1, then the sizes of all but the last.
        let xiph = [&[0x81, 0, 0, 0x82, 2], &[4u8, 255, 46][..], &a, &b, &c].concat();
        assert_eq!(block_frames(&xiph), Some((1, vec![a.as_slice(), &b, &c])));
        // Fixed lacing.
        let fixed = [&[0x81, 0, 0, 0x84, 1][..], &frame(3), &frame(3)].concat();
        assert_eq!(block_frames(&fixed).map(|(_, f)| f.len()), Some(2));
        // EBML lacing: 4, then +297 (signed, bias 8191 in two bytes: 8488 = 0x6128 with marker 0x40).
        let ebml = [&[0x81, 0, 0, 0x86, 2, 0x84, 0x61, 0x28][..], &a, &b, &c].concat();
        assert_eq!(block_frames(&ebml), Some((1, vec![a.as_slice(), &b, &c])));
    }

    #[test]
    fn what_is_not_a_recording_is_refused_with_its_reason() {
        assert_eq!(voice_note(b"OggS not webm"), Err(RecordingError::NotWebm));
        assert_eq!(voice_note(&webm(None, vec![])), Err(RecordingError::Empty));
        let video_only = [
            element(&[0x1A, 0x45, 0xDF, 0xA3], &[]),
            open(
                &[0x18, 0x53, 0x80, 0x67],
                &[element(&[0x16, 0x54, 0xAE, 0x6B], &element(&[0xAE], &element(&[0x86], b"V_VP8")))],
            ),
        ]
        .concat();
        assert_eq!(voice_note(&video_only), Err(RecordingError::NoOpus));
        // Cut short in the middle of a block: what arrived whole is kept.
        let whole = webm(None, (0..10).map(|_| simple_block(1, &frame(20))).collect());
        let ogg = voice_note(&whole[..whole.len() - 5]).expect("the blocks before");
        assert_eq!(pages(&ogg)[2..].iter().map(|p| p.2.len()).sum::<usize>(), 9);
        assert!(is_recording("audio/webm;codecs=opus"));
        assert!(!is_recording("audio/ogg"));
        assert_eq!(voice_note_name("gravacao 12-30.webm"), "gravacao 12-30.ogg");
        assert_eq!(voice_note_name(".webm"), "gravacao.ogg");
    }

    #[test]
    fn chromiums_own_recording_becomes_a_voice_note() {
        // One second recorded by Chromium 156's MediaRecorder (`audio/webm;codecs=opus`) from its fake
        // microphone: a Segment of known size with SeekHead, Info, Tracks, one Cluster and Cues.
        let webm = include_bytes!("../tests/chromium-recording.webm");
        let ogg = voice_note(webm).expect("remuxed");
        let pages = pages(&ogg);
        assert!(pages[0].2[0].starts_with(b"OpusHead"));
        // Chromium's packets are 60 ms: sixteen or seventeen for the second, and the last page's granule is
        // what they all decode to.
        let packets: Vec<&Vec<u8>> = pages[2..].iter().flat_map(|p| &p.2).collect();
        assert!(packets.iter().all(|p| packet_samples(p) == 2880), "60 ms each");
        let samples = packets.iter().map(|p| packet_samples(p)).sum::<u64>();
        assert!((43_200..=52_800).contains(&samples), "{samples} samples");
        assert_eq!(pages.last().map(|p| (p.0, p.1)), Some((0x04, samples)));
        assert_eq!(opus_seconds(&ogg), Some(1));
        assert!(ogg.len() < webm.len() + 1024);
    }

    proptest::proptest! {
        /// Whatever a browser (or anyone posting to the API) uploads as a recording, the server answers: a
        /// voice note or a reason, never a panic.
        #[test]
        fn any_bytes_give_a_voice_note_or_a_reason(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = voice_note(&bytes);
            let mut webm = include_bytes!("../tests/chromium-recording.webm").to_vec();
            for (at, byte) in bytes.iter().enumerate().step_by(2) {
                let at = (at * 37) % webm.len();
                webm[at] = *byte;
            }
            let _ = voice_note(&webm);
        }
    }

    #[test]
    fn an_opus_packet_says_how_long_it_plays() {
        assert_eq!(packet_samples(&[31 << 3]), 960); // CELT 20 ms
        assert_eq!(packet_samples(&[(3 << 3) | 1]), 2 * 2880); // SILK 60 ms, two frames
        assert_eq!(packet_samples(&[(16 << 3) | 3, 4]), 4 * 120); // CELT 2.5 ms, four frames
        assert_eq!(packet_samples(&[]), 0);
    }

    #[test]
    fn the_page_checksum_is_oggs() {
        // The CRC of "123456789" under OGG's parameters (CRC-32/MPEG-2 without its initial ones: 0x89A1897F).
        assert_eq!(ogg_crc(b"123456789"), 0x89A1_897F);
    }
}
