//! "Notificações": the counts of what the agent has not seen (per conversation, per tab, in the page's title),
//! a short sound when something new arrives in a conversation they may answer (or a note names them), and —
//! with the browser's permission — a notification while the console's tab is hidden. What counts and what
//! rings is the domain's ([`atende_domain::unread`]); this only reads it after each live change.

use atende_domain::conversation::Queue;
use atende_domain::unread::{notices, page_title, tab_count, Unseen};
use leptos::prelude::*;

/// What the agent has not seen, for the tabs' and rows' counts: empty until the browser first reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnseenState {
    pub(crate) unseen: RwSignal<Vec<Unseen>>,
    /// Bumped when the agent opens a conversation (it is seen then): read again.
    pub(crate) seen: RwSignal<u32>,
    /// The browser's notification permission: "granted", "denied", "default" (not asked), "" (none).
    permission: RwSignal<String>,
}

impl UnseenState {
    pub(crate) fn provide() -> Self {
        let state = Self {
            unseen: RwSignal::new(Vec::new()),
            seen: RwSignal::new(0),
            permission: RwSignal::new(String::new()),
        };
        provide_context(state);
        state
    }

    /// The state, where a screen provided it (elsewhere nothing counts).
    pub(crate) fn current() -> Option<Self> {
        use_context::<Self>()
    }

    /// How many conversations of `queue` have something unseen (read in a view's closure: it follows them).
    /// Plain reads of the screen's own signal, not derived signals of a row: a row's own reactive values are
    /// gone once the list is rendered again, and a last update reaching them would panic.
    pub(crate) fn tab(self, queue: Queue) -> usize {
        self.unseen.with(|unseen| tab_count(unseen, queue))
    }

    /// The unseen messages and mentions of one conversation (read in a view's closure: it follows them).
    pub(crate) fn of(self, conversation: i64) -> u32 {
        self.unseen.with(|unseen| {
            unseen.iter().find(|u| u.conversation.0 == conversation).map_or(0, |u| u.messages + u.mentions)
        })
    }
}

/// The server's count of what the signed-in agent has not seen.
#[leptos::server(endpoint = "unseen")]
pub async fn unseen_counts() -> Result<Vec<Unseen>, crate::error::AppError> {
    let services = crate::ssr::Services::signed_in()?;
    let viewer = crate::ssr::viewer()?;
    let facts = services.seen.unseen_facts(viewer.me(), viewer.team_filter()).await?;
    Ok(atende_domain::unread::unseen(facts, viewer.me()))
}

/// The sound's switch, kept in the browser ("atende.som": "nao" when muted).
const MUTE_KEY: &str = "atende.som";

/// Reads the counts after every live change and rings for what went up; the bell's switch lives in the
/// list's header ([`NotifyPermission`] asks for the browser's permission).
#[component]
pub(crate) fn Notifier(on_open: Callback<i64>) -> impl IntoView {
    let state = UnseenState::current().expect("UnseenState provided by the screen");
    let live = crate::live::Live::current().any_change();
    let read = LocalResource::new(move || {
        live.get();
        state.seen.get();
        unseen_counts()
    });
    let muted = RwSignal::new(false);
    let permission = state.permission;
    Effect::new(move |_| {
        muted.set(browser::stored(MUTE_KEY).as_deref() == Some("nao"));
        permission.set(browser::permission());
    });
    let last = StoredValue::new(None::<Vec<Unseen>>);
    Effect::new(move |_| {
        let Some(Ok(now)) = read.get() else { return };
        let rung = last.with_value(|before| notices(before.as_deref(), &now));
        browser::set_title(&page_title(&now));
        if !rung.is_empty() {
            if !muted.get_untracked() {
                browser::ring();
            }
            if browser::hidden() {
                for notice in &rung {
                    let id = notice.conversation.0;
                    // Clicked after the agent left this screen (the callback is gone): its address opens it.
                    browser::notify(&notice.title, &notice.body, move || {
                        if on_open.try_run(id).is_none() {
                            browser::go(&format!("/atendimentos/{id}"));
                        }
                    });
                }
            }
        }
        last.set_value(Some(now.clone()));
        state.unseen.set(now);
    });
    // Leaving the screen: the title no longer counts.
    on_cleanup(|| browser::set_title("Atende"));
    view! {
        <div class="notify-controls">
            <button
                type="button"
                class="icon-button"
                aria-pressed=move || (!muted.get()).to_string()
                aria-label=move || if muted.get() { "Som das notificações: desligado" } else { "Som das notificações: ligado" }
                title=move || if muted.get() { "Ligar o som" } else { "Desligar o som" }
                on:click=move |_| {
                    let now = !muted.get_untracked();
                    muted.set(now);
                    browser::store(MUTE_KEY, if now { "nao" } else { "sim" });
                    if !now {
                        browser::ring();
                    }
                }
            >
                {move || if muted.get() { "🔕" } else { "🔔" }}
            </button>
        </div>
    }
}

/// "Ativar notificações", under the list's header while the browser has not been asked.
#[component]
pub(crate) fn NotifyPermission() -> impl IntoView {
    let permission = UnseenState::current().expect("UnseenState provided by the screen").permission;
    view! {
        <Show when=move || permission.get() == "default">
            <p class="notify-ask">
                <button
                    type="button"
                    class="link small"
                    on:click=move |_| browser::ask_permission(move |answer| permission.set(answer))
                >
                    "Ativar notificações"
                </button>
                " para saber de mensagens novas com o Atende em outra aba."
            </p>
        </Show>
    }
}

/// The browser's side: the title, the sound, the notifications, the switch kept in `localStorage`. On the
/// server (the first render) each does nothing.
mod browser {
    #[cfg(feature = "hydrate")]
    pub(super) fn set_title(title: &str) {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(title);
        }
    }

    #[cfg(feature = "hydrate")]
    pub(super) fn go(path: &str) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().assign(path);
        }
    }

    #[cfg(feature = "hydrate")]
    pub(super) fn hidden() -> bool {
        web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden())
    }

    #[cfg(feature = "hydrate")]
    pub(super) fn stored(key: &str) -> Option<String> {
        web_sys::window()?.local_storage().ok()??.get_item(key).ok()?
    }

    #[cfg(feature = "hydrate")]
    pub(super) fn store(key: &str, value: &str) {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(key, value);
        }
    }

    #[cfg(feature = "hydrate")]
    thread_local! {
        /// One audio context for the page's life: browsers allow only a few, and each holds the audio device.
        static AUDIO: std::cell::RefCell<Option<web_sys::AudioContext>> = const { std::cell::RefCell::new(None) };
    }

    /// A short two-note chime, made by the browser (no file to download).
    #[cfg(feature = "hydrate")]
    pub(super) fn ring() {
        let context = AUDIO.with(|audio| {
            let mut audio = audio.borrow_mut();
            if audio.is_none() {
                *audio = web_sys::AudioContext::new().ok();
            }
            audio.clone()
        });
        let Some(context) = context else { return };
        // Made before the agent touched the page, it starts suspended: each chime asks it to run.
        let _ = context.resume();
        let start = context.current_time();
        for (n, frequency) in [880.0_f32, 1320.0].into_iter().enumerate() {
            let (Ok(tone), Ok(gain)) = (context.create_oscillator(), context.create_gain()) else { return };
            tone.frequency().set_value(frequency);
            let at = start + 0.12 * n as f64;
            let _ = gain.gain().set_value_at_time(0.0001, at);
            let _ = gain.gain().exponential_ramp_to_value_at_time(0.2, at + 0.02);
            let _ = gain.gain().exponential_ramp_to_value_at_time(0.0001, at + 0.18);
            let _ = tone.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&context.destination());
            let _ = tone.start_with_when(at);
            let _ = tone.stop_with_when(at + 0.2);
        }
    }

    /// "granted", "denied" or "default" (not asked yet); "" where the browser has no notifications.
    #[cfg(feature = "hydrate")]
    pub(super) fn permission() -> String {
        use wasm_bindgen::JsValue;
        let supported = web_sys::window()
            .is_some_and(|w| js_sys::Reflect::has(&w, &JsValue::from_str("Notification")).unwrap_or(false));
        if !supported {
            return String::new();
        }
        match web_sys::Notification::permission() {
            web_sys::NotificationPermission::Granted => "granted",
            web_sys::NotificationPermission::Denied => "denied",
            _ => "default",
        }
        .to_owned()
    }

    #[cfg(feature = "hydrate")]
    pub(super) fn ask_permission(answered: impl FnOnce(String) + 'static) {
        let Ok(asked) = web_sys::Notification::request_permission() else { return };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(asked).await;
            answered(permission());
        });
    }

    #[cfg(feature = "hydrate")]
    pub(super) fn notify(title: &str, body: &str, on_click: impl FnOnce() + 'static) {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        if permission() != "granted" {
            return;
        }
        let options = web_sys::NotificationOptions::new();
        options.set_body(body);
        options.set_tag(title);
        let Ok(notification) = web_sys::Notification::new_with_options(title, &options) else { return };
        let clicked = Closure::once_into_js(move || {
            if let Some(window) = web_sys::window() {
                let _ = window.focus();
            }
            on_click();
        });
        notification.set_onclick(Some(clicked.unchecked_ref()));
    }

    #[cfg(not(feature = "hydrate"))]
    pub(super) fn set_title(_: &str) {}
    #[cfg(not(feature = "hydrate"))]
    pub(super) fn go(_: &str) {}
    #[cfg(not(feature = "hydrate"))]
    pub(super) fn hidden() -> bool {
        false
    }
    #[cfg(not(feature = "hydrate"))]
    pub(super) fn stored(_: &str) -> Option<String> {
        None
    }
    #[cfg(not(feature = "hydrate"))]
    pub(super) fn store(_: &str, _: &str) {}
    #[cfg(not(feature = "hydrate"))]
    pub(super) fn ring() {}
    #[cfg(not(feature = "hydrate"))]
    pub(super) fn permission() -> String {
        String::new()
    }
    #[cfg(not(feature = "hydrate"))]
    pub(super) fn ask_permission(_: impl FnOnce(String) + 'static) {}
    #[cfg(not(feature = "hydrate"))]
    pub(super) fn notify(_: &str, _: &str, _: impl FnOnce() + 'static) {}
}
