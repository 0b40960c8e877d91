//! Atende's agent console: the Leptos components and the server functions behind them.
//!
//! Rendered on the server (`ssr`) for the first load and hydrated in the browser (`hydrate`, wasm32). The rules
//! both sides apply (phone numbers, contact forms, the window, templates) live in `atende-domain`, so the
//! browser gives instant feedback and the server stays the authority.

// Leptos views are deeply nested types; computing their layout needs more than the default 128.
#![recursion_limit = "256"]

pub mod admin;
pub mod api;
mod clock;
mod components;
pub mod error;
pub mod hours;
pub mod labels;
pub mod live;
mod pages;
pub mod quick_answers;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod ssr;
#[cfg(feature = "ssr")]
pub mod usecases;
mod wire;

pub use shell::{shell, App};

// The server's HTML is what the client hydrates, and `erase_components` changes the views' shapes: a build
// without it (a `RUSTFLAGS` of one's own makes cargo skip `.cargo/config.toml`) would hydrate nothing.
#[cfg(not(erase_components))]
compile_error!(
    "built without `--cfg erase_components`: see .cargo/config.toml (RUSTFLAGS set elsewhere replaces it)"
);

/// The browser's entry point, called by the script Leptos puts in the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Hydrated asynchronously: a first load of a screen that comes in its own file (see `shell`) waits for that
    // file before hydrating it.
    // (`hydrate_from_async` sets the browser's event loop to drive the reactive system as it starts.)
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body().expect("a <body>");
        leptos::mount::hydrate_from_async(body.clone(), App).await.forget();
        // Says "interactive now" to people's tools and to the end-to-end tests, which must not click earlier.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
