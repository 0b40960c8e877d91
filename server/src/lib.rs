//! Atende's server: renders the console, serves the WASM client, runs the server functions, owns persistence.
//!
//! `main.rs` only reads the settings and runs [`Application`]; tests build the same application on port 0 or
//! call [`router`] directly.

// Leptos views are deeply nested types; computing their layout needs more than the default 128.
#![recursion_limit = "256"]

pub mod settings;
pub mod store;
pub mod telemetry;

pub use settings::{Database, Settings};

use atende_app::ssr::Services;
use atende_app::{shell, App};
use atende_domain::ports::Clock;
use atende_domain::time::Timestamp;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::{provide_context, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use store::{Backend, SqlStore};
use tokio::net::TcpListener;

/// The wall clock. The only place the server reads the time for the domain.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp::from_millis(millis)
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    pub store: SqlStore,
}

/// Every route: the server-rendered console, its server functions, `/health`, and the static site.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/health", get(health))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(services.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

async fn health(State(store): State<SqlStore>) -> impl IntoResponse {
    let database = match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    match store.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({ "status": "ok", "database": database }))),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "indisponível", "database": database })),
        ),
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    store: SqlStore,
}

impl Application {
    /// Connects to the database (migrating it), binds the address, builds the router.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = SqlStore::connect(&settings.database).await?;
        let listener = TcpListener::bind(settings.address)
            .await
            .map_err(|e| anyhow::anyhow!("Failed to listen on {}: {e}", settings.address))?;
        let address = listener.local_addr()?;
        let leptos_options = LeptosOptions::builder()
            .output_name("atende")
            .site_root(settings.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(address)
            .build();
        let services = Services { store: Arc::new(store.clone()), clock: Arc::new(SystemClock) };
        let router = router(AppState { leptos_options, services, store: store.clone() });
        Ok(Self { listener, router, store })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    /// Serves until Ctrl-C or SIGTERM, then closes the database cleanly.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown_signal()).await?;
        self.store.close().await;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
