//! A message's file in the conversation: "Carregando mídia…" until the server has it, then the photo (a click
//! opens it full size; Escape closes), the voice note or audio player, the video player, or the document with
//! its size and "Baixar"; a file that could not be kept says why.

use atende_domain::inbound_media::{size_label, MediaState};
use atende_domain::ports::MediaView;
use leptos::prelude::*;

#[component]
pub(crate) fn MediaBlock(message_id: i64, kind: String, media: MediaView) -> impl IntoView {
    let url = format!("/midia/{message_id}");
    match media.state {
        MediaState::Pending => view! { <p class="media-loading">"Carregando mídia…"</p> }.into_any(),
        MediaState::Failed(reason) => view! { <p class="media-failed">{reason}</p> }.into_any(),
        MediaState::Ready => match kind.as_str() {
            "image" | "sticker" => view! { <Photo url sticker=kind == "sticker" /> }.into_any(),
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

/// A photo or sticker: small in the conversation, full size in a lightbox with "Baixar".
#[component]
fn Photo(url: String, sticker: bool) -> impl IntoView {
    let open = RwSignal::new(false);
    let overlay = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(element) = overlay.get() {
                let _ = element.focus();
            }
        }
    });
    let alt = if sticker { "Figurinha enviada pelo contato" } else { "Foto enviada pelo contato" };
    let class = if sticker { "thumb sticker" } else { "thumb" };
    let full = url.clone();
    view! {
        <button type="button" class=class on:click=move |_| open.set(true) aria-label="Abrir a foto">
            <img src=url alt=alt loading="lazy" />
        </button>
        <Show when=move || open.get()>
            <div
                class="lightbox"
                role="dialog"
                aria-modal="true"
                aria-label="Foto"
                tabindex="-1"
                node_ref=overlay
                on:keydown=move |e| {
                    if e.key() == "Escape" {
                        open.set(false);
                    }
                }
                on:click=move |_| open.set(false)
            >
                <img src=full.clone() alt=alt on:click=|e| e.stop_propagation() />
                <p class="lightbox-actions" on:click=|e| e.stop_propagation()>
                    <a class="button" href=full.clone() download="">"Baixar"</a>
                    <button type="button" on:click=move |_| open.set(false)>"Fechar"</button>
                </p>
            </div>
        </Show>
    }
}
