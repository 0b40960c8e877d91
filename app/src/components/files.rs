//! Files from the agent's computer: chosen with "Anexar" → "Escolher arquivos", dropped on the conversation,
//! or pasted into the message box (Ctrl+V of a screenshot). Each waits in "Arquivos a enviar" with its
//! preview, size and caption, checked at once by the domain's rule for the channel (the server applies the
//! same one again); "Enviar" uploads them one after another, in order, each with its progress bar, and each
//! becomes one message — sent now, or held with the conversation's queue until the contact answers.

use atende_domain::channel::ChannelKind;
use atende_domain::inbound_media::size_label;
use atende_domain::outbound_media::{OutgoingFile, MAX_FILES_AT_ONCE};
use atende_domain::template::MediaFormat;
use leptos::prelude::*;

/// One file waiting to be sent.
#[derive(Clone)]
pub(crate) struct Chosen {
    key: u32,
    name: String,
    /// The type the browser gave, or the one the name's extension says.
    mime: String,
    size: u64,
    /// An object URL of the file, for a picture's thumbnail or an audio's player.
    preview: Option<String>,
    // Reference-counted, not owned by the component that happened to add the file (the picker's form closes as
    // the files arrive, and would take owned signals with it).
    caption: ArcRwSignal<String>,
    /// While uploading: how much of it arrived (0 to 1).
    progress: ArcRwSignal<Option<f64>>,
    /// Why the server refused it.
    error: ArcRwSignal<Option<String>>,
    #[cfg(feature = "hydrate")]
    file: send_wrapper::SendWrapper<web_sys::File>,
}

impl Chosen {
    fn verdict(&self, channel: ChannelKind) -> Result<OutgoingFile, String> {
        OutgoingFile::check(channel, &self.name, &self.mime, self.size, &self.caption.get(), u64::MAX)
            .map_err(|e| e.to_string())
    }
}

/// The files waiting in the open conversation, shared by the picker, the drop zone and the message box.
#[derive(Clone, Copy)]
pub(crate) struct Tray {
    files: RwSignal<Vec<Chosen>>,
    /// The next file's key (files are only added in the browser).
    #[cfg_attr(not(feature = "hydrate"), expect(dead_code, reason = "files are only added in the browser"))]
    next: StoredValue<u32>,
    /// A refusal of the whole batch (too many at once).
    notice: RwSignal<Option<String>>,
    sending: RwSignal<bool>,
}

impl Tray {
    pub(crate) fn new() -> Self {
        Self {
            files: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
            notice: RwSignal::new(None),
            sending: RwSignal::new(false),
        }
    }

    pub(crate) fn current() -> Self {
        expect_context::<Self>()
    }

    /// Forgets every file (their previews too). Safe as the conversation closes.
    pub(crate) fn clear(&self) {
        for chosen in self.files.try_get_untracked().unwrap_or_default() {
            chosen.preview.as_deref().map(revoke_picture);
        }
        self.files.try_set(Vec::new());
        self.notice.try_set(None);
    }

    fn remove(&self, key: u32) {
        self.files.update(|files| {
            for gone in files.iter().filter(|f| f.key == key) {
                gone.preview.as_deref().map(revoke_picture);
            }
            files.retain(|f| f.key != key);
        });
    }

    /// Adds the files of a picker, a drop or a paste (nothing when there are none).
    #[cfg(feature = "hydrate")]
    pub(crate) fn add(&self, list: Option<web_sys::FileList>) {
        let Some(list) = list else { return };
        self.add_files((0..list.length()).filter_map(|index| list.get(index)).collect());
    }

    /// Adds files (a recording too); all of them or, past [`MAX_FILES_AT_ONCE`], none and the reason why.
    /// Nothing once the conversation closed.
    #[cfg(feature = "hydrate")]
    pub(crate) fn add_files(&self, files: Vec<web_sys::File>) {
        let Some(waiting) = self.files.try_with_untracked(Vec::len) else { return };
        if let Err(error) = atende_domain::outbound_media::check_batch(waiting + files.len()) {
            self.notice.set(Some(error.to_string()));
            return;
        }
        let mut added = Vec::new();
        for file in files {
            let name = file.name();
            let mime = atende_domain::outbound_media::file_type(&file.type_(), &name);
            let size = file.size() as u64;
            // A picture's thumbnail, or a recording's player.
            let preview = (mime.starts_with("image/") || mime.starts_with("audio/"))
                .then(|| web_sys::Url::create_object_url_with_blob(&file).ok())
                .flatten();
            let key = self.next.get_value();
            self.next.set_value(key + 1);
            added.push(Chosen {
                key,
                name,
                mime,
                size,
                preview,
                caption: ArcRwSignal::new(String::new()),
                progress: ArcRwSignal::new(None),
                error: ArcRwSignal::new(None),
                file: send_wrapper::SendWrapper::new(file),
            });
        }
        if !added.is_empty() {
            self.notice.set(None);
            self.files.update(|files| files.extend(added));
        }
    }
}

/// "Escolher arquivos": the computer's file picker (several at once); `on_chosen` once they are in the tray.
#[component]
pub(crate) fn FilePicker(on_chosen: Callback<()>) -> impl IntoView {
    let tray = Tray::current();
    let chosen = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                tray.add(input.files());
                input.set_value("");
                on_chosen.run(());
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, tray, on_chosen);
    };
    view! {
        <label class="file-picker">
            "Escolher arquivos do computador"
            <input type="file" multiple on:change=chosen />
        </label>
        <p class="muted">"Ou arraste até " {MAX_FILES_AT_ONCE} " arquivos para a conversa, ou cole uma imagem (Ctrl+V) na mensagem."</p>
    }
    // Type-erased: the composer's view type (built three ways: render, hydrate, rebuild) does not carry it.
    .into_any()
}

/// "Arquivos a enviar", above the message box while files wait.
#[component]
pub(crate) fn FileTray(
    id: i64,
    channel: Signal<Option<ChannelKind>>,
    refused: Signal<bool>,
    reload: Callback<()>,
) -> impl IntoView {
    let tray = Tray::current();
    let all_valid = move || {
        channel
            .get()
            .is_some_and(|kind| tray.files.with(|files| files.iter().all(|f| f.verdict(kind).is_ok())))
    };
    let send = move |_| {
        if tray.sending.get_untracked() || !all_valid() || refused.get_untracked() {
            return;
        }
        tray.sending.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let files = tray.files.get_untracked();
            let count = files.len();
            for (index, chosen) in files.into_iter().enumerate() {
                chosen.error.set(None);
                chosen.progress.set(Some(0.0));
                let headers = [
                    ("X-Atende-Tipo", chosen.mime.as_str()),
                    ("X-Atende-Nome", chosen.name.as_str()),
                    ("X-Atende-Legenda", &chosen.caption.get_untracked()),
                ];
                let url = format!("/midia/enviar/{id}");
                match post_file(&url, &chosen.file, &headers, chosen.progress.clone()).await.map(drop) {
                    Ok(()) => {
                        tray.remove(chosen.key);
                        // The agent may have left the conversation meanwhile: nothing to redraw then.
                        let _ = reload.try_run(());
                    }
                    Err(why) => {
                        chosen.progress.set(None);
                        let rest = if index + 1 < count { " Remova-o para enviar os outros." } else { "" };
                        chosen.error.set(Some(format!("{why}{rest}")));
                        break;
                    }
                }
            }
            tray.sending.try_set(false);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, reload);
    };
    // Reactive parts as `Signal`s: the same few instantiations the rest of the console uses, not a new one per
    // closure (the client's size).
    let busy: Signal<bool> = tray.sending.into();
    let blocked = Signal::derive(move || {
        tray.sending.get() || refused.get() || !all_valid() || tray.files.with(Vec::is_empty)
    });
    let send_label = Signal::derive(move || match tray.files.with(Vec::len) {
        1 => "Enviar arquivo".to_owned(),
        n => format!("Enviar {n} arquivos"),
    });
    let notice: Signal<Option<String>> = tray.notice.into();
    let rows = move || {
        // The channel does not change while the conversation is open: whether a caption goes is read once.
        let kind = channel.get_untracked();
        tray.files
            .get()
            .into_iter()
            .map(|chosen| {
                let key = chosen.key;
                let name = chosen.name.clone();
                let with_caption = kind.is_some_and(|kind| {
                    !matches!(kind, ChannelKind::Messenger | ChannelKind::Instagram)
                        && chosen
                            .verdict(kind)
                            .is_ok_and(|f| f.kind() != atende_domain::media::MediaKind::Audio)
                });
                let problem = {
                    let chosen = chosen.clone();
                    Signal::derive(move || {
                        chosen.error.get().or_else(|| kind.and_then(|kind| chosen.verdict(kind).err()))
                    })
                };
                let audio = chosen.mime.starts_with("audio/");
                let picture =
                    chosen.preview.clone().filter(|_| !audio).map(|url| view! { <img src=url alt="" /> });
                let player = chosen.preview.clone().filter(|_| audio).map(|url| {
                    view! { <audio controls preload="metadata" src=url></audio> }
                });
                let icon = picture.is_none().then_some(if audio { "🎤" } else { "📄" });
                let caption = RwSignal::from(chosen.caption.clone());
                let progress = {
                    let progress = chosen.progress.clone();
                    Signal::derive(move || progress.get().unwrap_or_default())
                };
                let idle = {
                    let progress = chosen.progress.clone();
                    Signal::derive(move || progress.get().is_none())
                };
                let caption_label = format!("Legenda de {name}");
                let progress_label = format!("Enviando {name}");
                let size = format!(" · {}", size_label(chosen.size));
                view! {
                    <li class="chosen">
                        <span class="thumb" aria-hidden="true">{picture}{icon}</span>
                        <div class="chosen-body">
                            <p><strong>{name}</strong> <span class="muted">{size}</span></p>
                            {player}
                            {with_caption.then(|| view! {
                                <input type="text" placeholder="Legenda (opcional)"
                                    aria-label=caption_label bind:value=caption />
                            })}
                            <progress max="1" value=progress hidden=idle aria-label=progress_label></progress>
                            <p class="field-error" role="alert">{problem}</p>
                        </div>
                        <button type="button" class="secondary" disabled=busy
                            on:click=move |_| tray.remove(key)>"Remover"</button>
                    </li>
                }
                .into_any()
            })
            .collect_view()
    };
    view! {
        <Show when=move || !tray.files.with(Vec::is_empty) || tray.notice.with(Option::is_some)>
            <section class="file-tray" aria-label="Arquivos a enviar">
                <p class="field-error" role="alert">{notice}</p>
                <ul>{rows}</ul>
                <div class="form-actions">
                    <button type="button" class="secondary" disabled=busy
                        on:click=move |_| tray.clear()>"Cancelar"</button>
                    <button type="button" class="primary" on:click=send disabled=blocked>{send_label}</button>
                </div>
            </section>
        </Show>
    }
    .into_any()
}

/// Uploads one file to `url` with `XMLHttpRequest` (fetch has no upload progress), with `headers`
/// percent-encoded (a header is ASCII), telling its progress (0 to 1) in `progress`; the answer's body, or
/// the server's reason when it refuses.
#[cfg(feature = "hydrate")]
pub(crate) async fn post_file(
    url: &str,
    file: &web_sys::File,
    headers: &[(&str, &str)],
    progress: ArcRwSignal<Option<f64>>,
) -> Result<String, String> {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let failed = |_| "Não foi possível enviar o arquivo: verifique a conexão e tente de novo.".to_owned();
    let request = web_sys::XmlHttpRequest::new().map_err(failed)?;
    request.open("POST", url).map_err(failed)?;
    request.set_request_header("Content-Type", "application/octet-stream").map_err(failed)?;
    for (name, value) in headers {
        let encoded: String = js_sys::encode_uri_component(value.trim()).into();
        request.set_request_header(name, &encoded).map_err(failed)?;
    }
    let moving = progress;
    let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
        if ev.length_computable() && ev.total() > 0.0 {
            moving.set(Some(ev.loaded() / ev.total()));
        }
    });
    if let Ok(upload) = request.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        // A small file may go in one piece with no progress event: its end fills the bar.
        upload.set_onload(Some(on_progress.as_ref().unchecked_ref()));
    }
    let (done, finished) = futures::channel::oneshot::channel::<()>();
    let done = std::cell::RefCell::new(Some(done));
    let on_end = Closure::<dyn FnMut()>::new(move || {
        if let Some(done) = done.borrow_mut().take() {
            let _ = done.send(());
        }
    });
    request.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    request.send_with_opt_blob(Some(file)).map_err(failed)?;
    let _ = finished.await;
    drop((on_progress, on_end));
    let status = request.status().unwrap_or(0);
    let body = request.response_text().ok().flatten().unwrap_or_default();
    if status == 200 {
        return Ok(body);
    }
    let reason = answer_field(&body, "erro")
        // The gate answers in plain Portuguese ("Entre com seu e-mail e senha.").
        .or_else(|| (!body.trim().is_empty() && body.len() < 200).then(|| body.trim().to_owned()));
    // The server says why in Portuguese; without an answer (no connection) the agent is told to try again.
    Err(reason.unwrap_or_else(|| {
        "Não foi possível enviar o arquivo: verifique a conexão e tente de novo.".to_owned()
    }))
}

/// A template's media header from the agent's computer ("Escolher do computador"): checked at once by the
/// domain (the types and sizes Meta takes in such a header), then uploaded to `POST /midia/cabecalho` with
/// its progress. `on_kept` gets the field's value that names the kept file and, for a picture, an address of
/// it for the preview; `None` when the agent removes it. `chosen` is the name of the file the field's value
/// names now.
#[component]
pub(crate) fn HeaderFilePicker(
    format: MediaFormat,
    chosen: Signal<Option<String>>,
    on_kept: Callback<Option<(String, Option<String>)>>,
) -> impl IntoView {
    let accept = format.file_types().0.join(",");
    let error = RwSignal::new(None::<String>);
    // While uploading: the file's name and how much of it arrived.
    let uploading = RwSignal::new(None::<String>);
    let progress = ArcRwSignal::new(None::<f64>);
    let moving = progress.clone();
    let pick = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = one_file_chosen(&ev, uploading, error) else { return };
            let (file_name, declared) = (file.name(), file.type_());
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a file's size in bytes"
            )]
            let size = file.size() as u64;
            let checked = OutgoingFile::for_header(format, &file_name, &declared, size, u64::MAX);
            error.set(checked.err().map(|refused| refused.to_string()));
            if error.get_untracked().is_some() {
                return;
            }
            uploading.set(Some(file_name.clone()));
            let progress = moving.clone();
            leptos::task::spawn_local(async move {
                let url = format!("/midia/cabecalho?formato={}", format.code());
                let headers = [("X-Atende-Tipo", declared.as_str()), ("X-Atende-Nome", file_name.as_str())];
                progress.set(Some(0.0));
                let answer = post_file(&url, &file, &headers, progress.clone()).await;
                progress.set(None);
                uploading.set(None);
                let value = answer.and_then(|body| {
                    answer_field(&body, "valor")
                        .ok_or_else(|| "O servidor não guardou o arquivo: tente de novo.".to_owned())
                });
                match value {
                    Ok(value) => {
                        let picture = (format == MediaFormat::Image)
                            .then(|| web_sys::Url::create_object_url_with_blob(&file).ok())
                            .flatten();
                        // The form may have closed while the file went up ("Voltar", Escape).
                        if on_kept.try_run(Some((value, picture.clone()))).is_none() {
                            picture.as_deref().map(revoke_picture);
                        }
                    }
                    Err(refused) => error.set(Some(refused)),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, &moving, on_kept, uploading);
    };
    let shown = move || uploading.get().or_else(|| chosen.get()).map(|name| format!("📎 {name}"));
    let value = move || progress.get();
    view! {
        <div class="header-file">
            <label class="file-picker">
                "Escolher do computador"
                <input type="file" accept=accept on:change=pick />
            </label>
            <span class="chosen-name">{shown}</span>
            <progress max="1" value=value aria-label="Enviando o arquivo do cabeçalho"></progress>
            <button type="button" class="secondary" hidden=move || chosen.with(Option::is_none) on:click=move |_| on_kept.run(None)>
                "Remover"
            </button>
            <p class="field-error" role="alert">{move || error.get()}</p>
        </div>
    }
    .into_any()
}

/// "Anexo" of a quick answer ("Escolher arquivo"): uploaded to `POST /midia/resposta-rapida` with its
/// progress; the server checks it (some channel takes its type and size, its bytes are what its type says)
/// and keeps it. `on_kept` gets the kept file, `None` when the agent removes it; `chosen` is the one the
/// answer has now.
#[component]
pub(crate) fn AnswerFilePicker(
    chosen: Signal<Option<atende_domain::quick_answer::AnswerFile>>,
    on_kept: Callback<Option<atende_domain::quick_answer::AnswerFile>>,
    /// While a file goes up, its name (the form waits for it before "Salvar").
    uploading: RwSignal<Option<String>>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let progress = ArcRwSignal::new(None::<f64>);
    let moving = progress.clone();
    let pick = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = one_file_chosen(&ev, uploading, error) else { return };
            error.set(None);
            let (file_name, declared) = (file.name(), file.type_());
            uploading.set(Some(file_name.clone()));
            let progress = moving.clone();
            leptos::task::spawn_local(async move {
                let headers = [("X-Atende-Tipo", declared.as_str()), ("X-Atende-Nome", file_name.as_str())];
                progress.set(Some(0.0));
                let answer = post_file("/midia/resposta-rapida", &file, &headers, progress.clone()).await;
                progress.set(None);
                uploading.set(None);
                let kept = answer.and_then(|body| {
                    kept_answer_file(&body)
                        .ok_or_else(|| "O servidor não guardou o arquivo: tente de novo.".to_owned())
                });
                match kept {
                    // The form may have gone meanwhile.
                    Ok(kept) => drop(on_kept.try_run(Some(kept))),
                    Err(refused) => drop(error.try_set(Some(refused))),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, &moving, on_kept, uploading);
    };
    let shown = move || {
        uploading
            .get()
            .map(|name| format!("📎 {name}"))
            .or_else(|| chosen.get().map(|file| format!("📎 {} ({})", file.name, size_label(file.size))))
    };
    let value = move || progress.get();
    view! {
        <div class="header-file answer-file">
            <label class="file-picker">
                "Anexo: escolher arquivo"
                <input type="file" on:change=pick />
            </label>
            <span class="chosen-name">{shown}</span>
            <progress max="1" value=value aria-label="Enviando o anexo"></progress>
            <button type="button" class="secondary" hidden=move || chosen.with(Option::is_none) on:click=move |_| on_kept.run(None)>
                "Remover anexo"
            </button>
            <p class="field-error" role="alert">{move || error.get()}</p>
        </div>
    }
    .into_any()
}

/// The file `POST /midia/resposta-rapida` kept: `{"sha256": …, "name": …, "size": …}`.
#[cfg(feature = "hydrate")]
fn kept_answer_file(body: &str) -> Option<atende_domain::quick_answer::AnswerFile> {
    let answer = js_sys::JSON::parse(body).ok()?;
    let field = |name: &str| js_sys::Reflect::get(&answer, &name.into()).ok();
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a file's size in bytes")]
    let size = field("size")?.as_f64()? as u64;
    Some(atende_domain::quick_answer::AnswerFile {
        sha256: field("sha256")?.as_string()?,
        name: field("name")?.as_string()?,
        size,
    })
}

/// The file just chosen in a one-file picker (the picker emptied, so the same file can be chosen again); none
/// while another is still `uploading` (then `error` says so).
#[cfg(feature = "hydrate")]
fn one_file_chosen(
    ev: &leptos::ev::Event,
    uploading: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
) -> Option<web_sys::File> {
    use wasm_bindgen::JsCast;
    let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())?;
    let file = input.files().and_then(|list| list.get(0))?;
    input.set_value("");
    if uploading.get_untracked().is_some() {
        error.set(Some("Aguarde o arquivo anterior terminar de subir.".to_owned()));
        return None;
    }
    Some(file)
}

/// The text field `name` of a JSON answer (`{"erro": "…"}`, `{"valor": "…"}`).
#[cfg(feature = "hydrate")]
fn answer_field(body: &str, name: &str) -> Option<String> {
    let answer = js_sys::JSON::parse(body).ok()?;
    js_sys::Reflect::get(&answer, &name.into()).ok()?.as_string()
}

/// Lets the browser free a picture's address made for a preview.
pub(crate) fn revoke_picture(url: &str) {
    #[cfg(feature = "hydrate")]
    let _ = web_sys::Url::revoke_object_url(url);
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}
