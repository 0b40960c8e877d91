//! A message's file in the conversation: "Carregando mídia…" until the server has it, then the photo (a click
//! opens it full size; Escape closes), the voice note or audio player, the video player, or the document with
//! its size and "Baixar"; a file that could not be kept says why.

use atende_domain::inbound_media::{size_label, MediaState};
use atende_domain::ports::MediaView;
use leptos::prelude::*;

#[component]
pub(crate) fn MediaBlock(message_id: i64, kind: String, media: MediaView, inbound: bool) -> impl IntoView {
    let url = format!("/midia/{message_id}");
    match media.state {
        MediaState::Pending => view! { <p class="media-loading">"Carregando mídia…"</p> }.into_any(),
        MediaState::Failed(reason) => view! { <p class="media-failed">{reason}</p> }.into_any(),
        // Kept, or shown from the provider (an Instagram story mention): the same to the agent. A template's
        // media header shows as the kind of file it is.
        MediaState::Ready | MediaState::Linked => match shown_kind(&kind, media.mime_type.as_deref()) {
            "image" | "sticker" => view! { <Photo url sticker=kind == "sticker" inbound /> }.into_any(),
            "audio" => {
                let label = if media.voice { "Mensagem de voz" } else { "Áudio" };
                view! {
                    <figure class="media-audio">
                        <figcaption>{label}</figcaption>
                        <audio controls preload="metadata" src=url></audio>
                    </figure>
                }
                .into_any()
            }
            "video" => {
                view! { <video class="media-video" controls preload="metadata" src=url></video> }.into_any()
            }
            _ => {
                let name = media.file_name.clone().unwrap_or_else(|| "Documento".to_owned());
                let size = media.size_bytes.map(size_label);
                let pdf = media.mime_type.as_deref().is_some_and(|m| m.starts_with("application/pdf"));
                view! {
                    <p class="media-document">
                        <span class="doc-icon" aria-hidden="true">{if pdf { "PDF" } else { "📄" }}</span>
                        {if pdf {
                            view! { <a href=url.clone() target="_blank" rel="noopener">{name.clone()}</a> }.into_any()
                        } else {
                            view! { <span>{name.clone()}</span> }.into_any()
                        }}
                        <span class="muted">{size.map(|s| format!(" · {s}"))}</span>
                        " "
                        <a class="download" href=url download=name>"Baixar"</a>
                    </p>
                }
                .into_any()
            }
        },
    }
}

/// How a message's file shows: as its message's kind, or, for a template's media header, as its type's.
fn shown_kind<'a>(kind: &'a str, mime: Option<&str>) -> &'a str {
    match kind {
        "template" => atende_domain::media::MediaKind::of_type(mime.unwrap_or_default()).code(),
        kind => kind,
    }
}

/// The photo shown whole over the conversation (its address), kept by the conversation pane: a message list
/// redrawn by a new message does not close it.
#[derive(Clone, Copy)]
pub(crate) struct Lightbox(pub(crate) RwSignal<Option<String>>);

/// A photo or sticker (the contact's or the agent's): small in the conversation; a click shows it whole ([`LightboxView`]).
#[component]
fn Photo(url: String, sticker: bool, inbound: bool) -> impl IntoView {
    let lightbox = use_context::<Lightbox>();
    let alt = match (sticker, inbound) {
        (true, _) => "Figurinha enviada pelo contato",
        (false, true) => "Foto enviada pelo contato",
        (false, false) => "Foto enviada pelo atendimento",
    };
    let class = if sticker { "thumb sticker" } else { "thumb" };
    let full = url.clone();
    view! {
        <button
            type="button"
            class=class
            on:click=move |_| {
                if let Some(lightbox) = lightbox {
                    lightbox.0.set(Some(full.clone()));
                }
            }
            aria-label="Abrir a foto"
        >
            <img src=url alt=alt loading="lazy" />
        </button>
    }
}

/// The photo whole, with "Baixar" and "Fechar"; Escape or a click outside closes it.
#[component]
pub(crate) fn LightboxView(lightbox: Lightbox) -> impl IntoView {
    let overlay = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if lightbox.0.get().is_some() {
            if let Some(element) = overlay.get() {
                let _ = element.focus();
            }
        }
    });
    let close = move || lightbox.0.set(None);
    move || {
        lightbox.0.get().map(|url| {
            view! {
                <div
                    class="lightbox"
                    role="dialog"
                    aria-modal="true"
                    aria-label="Foto"
                    tabindex="-1"
                    node_ref=overlay
                    on:keydown=move |e| {
                        if e.key() == "Escape" {
                            close();
                        }
                    }
                    on:click=move |_| close()
                >
                    <img src=url.clone() alt="Foto em tamanho real" on:click=|e| e.stop_propagation() />
                    <p class="lightbox-actions" on:click=|e| e.stop_propagation()>
                        <a class="button" href=url download="">"Baixar"</a>
                        <button type="button" on:click=move |_| close()>"Fechar"</button>
                    </p>
                </div>
            }
        })
    }
}
