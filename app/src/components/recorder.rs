//! "Gravar áudio": a voice note recorded in the browser (`MediaRecorder`), put in "Arquivos a enviar" when
//! the agent stops it, where it can be heard before it goes. Chromium records WebM, which the server makes
//! the OGG/Opus voice note WhatsApp plays (`atende_domain::recording`); Firefox records OGG/Opus itself.

use super::files::Tray;
use atende_domain::channel::ChannelKind;
use leptos::prelude::*;

/// The longest recording: a WhatsApp voice note may hold 16 MB, but an agent's answer is a few minutes.
#[cfg(feature = "hydrate")]
const MOST_SECONDS: u32 = 15 * 60;

/// A recording under way.
#[cfg(feature = "hydrate")]
struct Recording {
    recorder: web_sys::MediaRecorder,
    stream: web_sys::MediaStream,
    /// The recorded pieces (`Blob`s), in order.
    chunks: js_sys::Array,
    _on_data: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::BlobEvent)>,
    timer: Option<leptos::prelude::IntervalHandle>,
}

#[cfg(feature = "hydrate")]
impl Recording {
    /// Asks for the microphone and starts recording; the reason in Portuguese when it cannot.
    async fn start() -> Result<Self, String> {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let devices = web_sys::window()
            .and_then(|w| w.navigator().media_devices().ok())
            .filter(|devices| !devices.is_undefined())
            .ok_or(
                "Este navegador não grava áudio nesta página (o console precisa ser aberto em https://).",
            )?;
        let constraints = web_sys::MediaStreamConstraints::new();
        constraints.set_audio(&true.into());
        let asked = devices.get_user_media_with_constraints(&constraints).map_err(|_| NO_MICROPHONE)?;
        let stream: web_sys::MediaStream =
            wasm_bindgen_futures::JsFuture::from(asked).await.map_err(|_| NO_MICROPHONE)?.unchecked_into();
        // Firefox records OGG/Opus, Chromium WebM/Opus (made OGG by the server).
        let options = web_sys::MediaRecorderOptions::new();
        let ogg = "audio/ogg;codecs=opus";
        options.set_mime_type(if web_sys::MediaRecorder::is_type_supported(ogg) {
            ogg
        } else {
            "audio/webm;codecs=opus"
        });
        let recorder = web_sys::MediaRecorder::new_with_media_stream_and_media_recorder_options(
            &stream, &options,
        )
        .map_err(|_| {
            stop_tracks(&stream);
            "Este navegador não grava áudio em Opus: envie um arquivo de áudio pelo \u{201c}Anexar\u{201d}."
        })?;
        let chunks = js_sys::Array::new();
        let kept = chunks.clone();
        let on_data = Closure::<dyn FnMut(web_sys::BlobEvent)>::new(move |ev: web_sys::BlobEvent| {
            if let Some(data) = ev.data().filter(|data| data.size() > 0.0) {
                kept.push(&data);
            }
        });
        recorder.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
        recorder.start().map_err(|_| {
            stop_tracks(&stream);
            NO_MICROPHONE
        })?;
        Ok(Self { recorder, stream, chunks, _on_data: on_data, timer: None })
    }

    /// Stops recording and frees the microphone; the recording then waits in `tray`, if there is one.
    fn finish(mut self, tray: Option<Tray>) {
        use wasm_bindgen::JsCast;
        if let Some(timer) = self.timer.take() {
            timer.clear();
        }
        // The recorder stops before the microphone does (a recorder whose tracks end stops by itself).
        let (recorder, stream) = (self.recorder.clone(), self.stream.clone());
        let Some(tray) = tray else {
            recorder.set_ondataavailable(None);
            let _ = recorder.stop();
            stop_tracks(&stream);
            return;
        };
        // The last piece arrives after `stop`, then `stop` fires: the file is made then.
        let done = wasm_bindgen::closure::Closure::once_into_js(move || {
            let Self { recorder, chunks, _on_data, .. } = self;
            recorder.set_ondataavailable(None);
            drop(_on_data);
            let mime = recorder.mime_type();
            let name = if mime.starts_with("audio/ogg") { "gravacao.ogg" } else { "gravacao.webm" };
            let bag = web_sys::FilePropertyBag::new();
            bag.set_type(mime.split(';').next().unwrap_or_default());
            if let Ok(file) = web_sys::File::new_with_blob_sequence_and_options(&chunks, name, &bag) {
                tray.add_files(vec![file]);
            }
        });
        recorder.set_onstop(Some(done.unchecked_ref()));
        let _ = recorder.stop();
        stop_tracks(&stream);
    }
}

#[cfg(feature = "hydrate")]
const NO_MICROPHONE: &str =
    "Não foi possível usar o microfone: permita o acesso a ele no navegador e tente de novo.";

#[cfg(feature = "hydrate")]
fn stop_tracks(stream: &web_sys::MediaStream) {
    use wasm_bindgen::JsCast;
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// "Gravar áudio" beside "Anexar", on the channels that take a voice note; while recording, the time and
/// "Descartar" / "Parar".
#[component]
pub(crate) fn VoiceRecorder(channel: Signal<Option<ChannelKind>>, refused: Signal<bool>) -> impl IntoView {
    // Seconds recorded, while recording.
    let seconds = RwSignal::new(None::<u32>);
    let starting = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    let current = StoredValue::new_local(None::<Recording>);
    let tray = Tray::current();
    let finish = move |keep: bool| {
        seconds.try_set(None);
        #[cfg(feature = "hydrate")]
        if let Some(recording) = current.try_update_value(Option::take).flatten() {
            recording.finish(keep.then_some(tray));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (keep, tray);
    };
    let start = move |_| {
        if starting.get_untracked() || seconds.get_untracked().is_some() {
            return;
        }
        problem.set(None);
        starting.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let started = Recording::start().await;
            starting.try_set(false);
            match started {
                Ok(mut recording) => {
                    seconds.try_set(Some(0));
                    let tick = move || {
                        let now = seconds.get_untracked().map(|s| s + 1);
                        seconds.try_set(now);
                        if now.is_some_and(|s| s >= MOST_SECONDS) {
                            finish(true);
                        }
                    };
                    recording.timer = set_interval_with_handle(tick, std::time::Duration::from_secs(1)).ok();
                    // The agent may have left the conversation while the browser asked for the microphone.
                    if let Some(Some(orphan)) = current.try_set_value(Some(recording)) {
                        orphan.finish(None);
                    }
                }
                Err(why) => {
                    problem.try_set(Some(why));
                }
            }
        });
    };
    // Leaving the conversation while recording frees the microphone and forgets the recording.
    on_cleanup(move || finish(false));
    // Shown and hidden by attributes, as `Signal`s: no view branches (the client's size).
    let not_offered: Signal<bool> = Signal::derive(move || {
        channel
            .get()
            .is_none_or(|kind| atende_domain::outbound_media::allowance(kind, "audio/webm").is_none())
    });
    let idle: Signal<bool> = Signal::derive(move || seconds.with(Option::is_none));
    let recording: Signal<bool> = Signal::derive(move || seconds.with(Option::is_some));
    let unavailable: Signal<bool> = Signal::derive(move || refused.get() || starting.get());
    let clock = move || seconds.get().map(|s| format!("● Gravando {}:{:02}", s / 60, s % 60));
    view! {
        <div class="recorder" hidden=not_offered>
            <button type="button" class="secondary" hidden=recording disabled=unavailable on:click=start>
                "🎤 Gravar áudio"
            </button>
            <span class="recording" role="status" hidden=idle>{clock}</span>
            <button type="button" class="secondary" hidden=idle on:click=move |_| finish(false)>"Descartar"</button>
            <button type="button" class="primary" hidden=idle on:click=move |_| finish(true)>"Parar"</button>
            <p class="field-error" role="alert">{move || problem.get()}</p>
        </div>
    }
    .into_any()
}
