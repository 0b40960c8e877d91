//! Atende's server: renders the console, serves the WASM client, runs the server functions, owns persistence.
//!
//! `main.rs` only reads the settings and runs [`Application`]; tests build the same application on port 0 or
//! call [`router`] directly.

// Leptos views are deeply nested types; computing their layout needs more than the default 128.
#![recursion_limit = "256"]

pub mod access;
mod admin;
pub mod auth;
mod boundary;
pub mod channels;
mod client;
pub mod inbox;
pub mod live;
pub mod media;
pub mod outbox;
mod presence;
pub mod providers;
pub mod public_api;
pub mod runtime;
#[cfg(feature = "sandbox")]
pub mod sandbox;
mod serve;
pub mod settings;
pub mod store;
pub mod telemetry;

pub use channels::config::SANDBOX_CHANNEL;
pub use runtime::SystemClock;
pub use settings::{Database, Settings};

use anyhow::Context;
use atende_app::ssr::Services;
use atende_app::{shell, App};
use atende_domain::ports::Clock;
use atende_domain::time::Timestamp;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use inbox::{WebhookProcessor, WebhookState};
use leptos::prelude::{provide_context, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use outbox::{DispatchSettings, Dispatcher};
use providers::whatsapp::templates::sync_templates;
use providers::whatsapp::CloudApiClient;
#[cfg(feature = "sandbox")]
use sandbox::SandboxState;
use std::net::SocketAddr;
use std::sync::Arc;
use store::{Backend, SqlStore};
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    pub store: SqlStore,
    pub auth: auth::AuthState,
    pub live: live::LiveState,
    pub media: media::serve::MediaFiles,
}

/// Every route: the server-rendered console, its server functions, `/health`, and the static site.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/health", get(health))
        .route("/entrar", axum::routing::post(auth::sign_in))
        .route("/sair", axum::routing::post(auth::sign_out))
        .route("/eventos", get(live::events))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(services.clone()),
            move || console_shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(console_shell))
        .layer(tower_http::compression::CompressionLayer::new())
        // The client's files are compressed when they are built (brotli, gzip): served as they are.
        .nest_service("/pkg", client::files(std::path::Path::new(state.leptos_options.site_root.as_ref())))
        // Files are served as they are kept (compressing would break `Range`, and they are compressed already).
        .route("/midia/{message_id}", get(media::serve::file))
        .route("/midia/enviar/{conversation_id}", axum::routing::post(media::upload::upload))
        .route(media::upload::HEADER_UPLOAD_PATH, axum::routing::post(media::upload::upload_header))
        .route(media::upload::ANSWER_UPLOAD_PATH, axum::routing::post(media::upload::upload_answer_file))
        .with_state(state)
}

/// The console's document, with the Content-Security-Policy that names its scripts' nonce.
fn console_shell(options: LeptosOptions) -> impl leptos::IntoView {
    boundary::set_console_csp();
    shell(options)
}

/// A receipt the processor has not looked at for this long means it is stuck (it looks within a second).
const PROCESSOR_LATE_AFTER_SECONDS: i64 = 60;

/// `GET /health`, answered within a second whatever the database does: 503 when it cannot be read or written
/// (saying why), else 200 with `"status": "ok"`, or `"atrasado"` when the webhook processor has left a
/// receipt unlooked at for over a minute; with the age of the oldest pending receipt and how many were set
/// aside for an admin.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let store = &state.store;
    let database = match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let now = state.services.clock.now();
    let checked = tokio::time::timeout(std::time::Duration::from_millis(900), async {
        store.ping().await.map_err(|_| "o banco de dados não responde".to_owned())?;
        if let Some(error) = store.writes_failing() {
            // Writes failed last time: one real write tells whether they work again (space freed).
            if store.probe_write(now).await.is_err() {
                return Err(format!("o banco de dados não aceita gravações ({error})"));
            }
        }
        store.webhook_backlog().await.map_err(|_| "o banco de dados não responde".to_owned())
    })
    .await
    .unwrap_or_else(|_| Err("o banco de dados não respondeu em 1 s".to_owned()));
    match checked {
        Ok(backlog) => {
            let waiting = backlog.oldest_pending.map(|at| (now.as_millis() - at.as_millis()).max(0) / 1000);
            let late = waiting.is_some_and(|seconds| seconds > PROCESSOR_LATE_AFTER_SECONDS);
            let body = serde_json::json!({
                "status": if late { "atrasado" } else { "ok" },
                "database": database,
                "webhooks": { "oldest_pending_seconds": waiting, "set_aside": backlog.set_aside },
            });
            (StatusCode::OK, Json(body))
        }
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "indisponível", "database": database, "reason": reason })),
        ),
    }
}

/// Everything the server runs besides answering requests.
struct Background {
    processor: WebhookProcessor,
    dispatcher: Dispatcher,
    /// Channels whose templates are synced at start.
    template_sync: Vec<(i64, CloudApiClient)>,
    /// Fetches the files contacts send.
    media: media::worker::MediaWorker,
    media_wake: Arc<Notify>,
    webhook_stored: Arc<Notify>,
    outbound_wake: Arc<Notify>,
    /// Console channels another instance saves are picked up from the database.
    registry: Arc<channels::registry::ChannelRegistry>,
    links: channels::config::Links,
    /// The database's changes, for the console's live updates.
    live: (live::LiveFeed, Database),
    /// How long the sends on their way get to finish at shutdown (a little more than one send may take).
    drain: std::time::Duration,
    /// How long processed webhook bodies are kept.
    webhook_retention: std::time::Duration,
}

pub struct Application {
    listener: TcpListener,
    limits: serve::Limits,
    router: Router,
    store: SqlStore,
    background: Background,
    #[cfg(feature = "sandbox")]
    sandbox: Option<SandboxState>,
    #[cfg(feature = "sandbox")]
    others: Option<sandbox::others::OthersSandbox>,
}

impl Application {
    /// Connects to the database (migrating it), binds the address, configures the channels and builds the
    /// router. Nothing runs until [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = SqlStore::connect(&settings.database).await?;
        let listener = TcpListener::bind(settings.address)
            .await
            .map_err(|e| anyhow::anyhow!("Failed to listen on {}: {e}", settings.address))?;
        let address = listener.local_addr()?;
        // Where this server can reach itself (the sandbox calls back its webhooks).
        let loopback = if address.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], address.port()))
        } else {
            address
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let now = clock.now();
        let geral = store.ensure_team("Geral", now).await.context("Failed to create the team Geral")?;
        bootstrap_admin(&store, settings.admin.as_ref(), geral, now).await?;

        #[cfg(feature = "sandbox")]
        let channels::config::Configured { registry, sandbox, others } =
            channels::config::configure(&store, &settings, loopback, now).await?;
        #[cfg(not(feature = "sandbox"))]
        let channels::config::Configured { registry } =
            channels::config::configure(&store, &settings, loopback, now).await?;
        let links = channels::config::Links::from_settings(&settings);
        channels::config::load_console_channels(&store, &registry, &links)
            .await
            .context("Failed to read the channels configured in the console")?;

        let webhook_stored = Arc::new(Notify::new());
        let outbound_wake = Arc::new(Notify::new());
        let media_wake = Arc::new(Notify::new());
        let blobs = media::blob::open(settings.media_url.as_deref(), &settings.data_dir)
            .context("Failed to open the media store (ATENDE_MEDIA_URL)")?;
        let leptos_options = LeptosOptions::builder()
            .output_name(client::NAME)
            .site_root(settings.site_root.to_string_lossy().into_owned())
            .site_pkg_dir(client::directory(&settings.site_root))
            .site_addr(address)
            .build();
        let services = Services {
            store: Arc::new(store.clone()),
            outbox: Arc::new(store.clone()),
            clock: clock.clone(),
            rate_card: Some(Arc::new(settings.rate_card()?)),
            admin: Arc::new(admin::Admin {
                store: store.clone(),
                channels: registry.clone(),
                links: links.clone(),
            }),
            presence: Arc::new(presence::ProviderPresence {
                store: store.clone(),
                channels: registry.clone(),
            }),
            files: Arc::new(media::upload::BlobFiles {
                blobs: blobs.clone(),
                max_bytes: settings.media_max_bytes,
            }),
            quick_answers: Arc::new(store.clone()),
            notes: Arc::new(store.clone()),
            labels: Arc::new(store.clone()),
            seen: Arc::new(store.clone()),
            search: Arc::new(store.clone()),
            hours: Arc::new(store.clone()),
        };
        let auth = auth::AuthState {
            store: store.clone(),
            clock: clock.clone(),
            secure_cookies: settings.secure_cookies,
        };
        let api = public_api::router(services.clone());
        let feed = live::LiveFeed::default();
        let live = live::LiveState { feed: feed.clone(), auth: auth.clone() };
        let router = router(AppState {
            leptos_options,
            services,
            store: store.clone(),
            auth: auth.clone(),
            live,
            media: media::serve::MediaFiles {
                store: store.clone(),
                blobs: blobs.clone(),
                channels: registry.clone(),
            },
        })
        .merge(api)
        .merge(inbox::router(WebhookState {
            store: store.clone(),
            clock: clock.clone(),
            gates: Arc::new(channels::config::gates(&registry)),
            stored: webhook_stored.clone(),
            receipts: inbox::ReceiptWriter::start(store.clone(), clock.clone(), webhook_stored.clone()),
        }));
        #[cfg(feature = "sandbox")]
        let router = {
            let mut router = router;
            if let Some(sandbox) = &sandbox {
                router = router.nest("/sandbox", crate::sandbox::router(sandbox.clone()));
            }
            if let Some(others) = &others {
                router = router.nest("/sandbox", crate::sandbox::others::router(others.clone()));
            }
            router
        };
        let router = router
            .layer(axum::middleware::from_fn_with_state(auth, auth::gate))
            .layer(axum::middleware::from_fn_with_state(settings.request_body_timeout, boundary::guard));
        if settings.file_send_lease_seconds < 330 {
            tracing::warn!(
                seconds = settings.file_send_lease_seconds,
                "ATENDE_FILE_SEND_LEASE_SECONDS is under the 5.5 minutes one file's upload and send may take: a slow \
                 upload may be taken over by another worker and sent twice"
            );
        }
        let background = Background {
            processor: WebhookProcessor {
                store: store.clone(),
                clock: clock.clone(),
                released: outbound_wake.clone(),
                media: media_wake.clone(),
                unknown_status_grace: std::time::Duration::from_secs(60),
                handlers: Arc::new(channels::config::handlers(&store, &registry)),
            },
            dispatcher: Dispatcher::new(
                store.clone(),
                clock,
                registry.clone(),
                DispatchSettings {
                    per_channel_rate: settings.outbound_rate,
                    pair_burst: settings.pair_burst,
                    lease: std::time::Duration::from_secs(settings.send_lease_seconds),
                    file_lease: std::time::Duration::from_secs(settings.file_send_lease_seconds),
                    workers: settings.send_workers,
                    ..DispatchSettings::default()
                },
            )
            .with_files(blobs.clone()),
            template_sync: registry.template_clients(),
            media: media::worker::MediaWorker {
                store: store.clone(),
                channels: registry.clone(),
                blobs,
                clock: Arc::new(SystemClock),
                max_bytes: settings.media_max_bytes,
            },
            media_wake,
            webhook_stored,
            outbound_wake,
            registry,
            links,
            live: (feed, settings.database.clone()),
            drain: channels::config::send_timeout(&settings) + std::time::Duration::from_secs(1),
            webhook_retention: std::time::Duration::from_secs(
                u64::from(settings.webhook_retention_days) * 86_400,
            ),
        };
        let limits =
            serve::Limits { connections: settings.max_connections, head: settings.request_head_timeout };
        Ok(Self {
            listener,
            limits,
            router,
            store,
            background,
            #[cfg(feature = "sandbox")]
            sandbox,
            #[cfg(feature = "sandbox")]
            others,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn port(&self) -> u16 {
        self.address().port()
    }

    /// The embedded provider sandbox, when it is on.
    #[cfg(feature = "sandbox")]
    pub fn sandbox(&self) -> Option<SandboxState> {
        self.sandbox.clone()
    }

    /// The sandbox's Evolution API, Messenger and Instagram, when it is on.
    #[cfg(feature = "sandbox")]
    pub fn other_channels_sandbox(&self) -> Option<sandbox::others::OthersSandbox> {
        self.others.clone()
    }

    /// Serves until Ctrl-C or SIGTERM, with the webhook processor, the outbound worker and the template sync
    /// running beside; then closes the database cleanly.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Background {
            processor,
            dispatcher,
            template_sync,
            media,
            media_wake,
            webhook_stored,
            outbound_wake,
            registry,
            links,
            live: (feed, database),
            drain,
            webhook_retention,
        } = self.background;
        let store = self.store.clone();
        // What providers delivered before a crash is applied before any lease is recovered: a send whose
        // status webhook is already stored must be recognised, not sent again.
        if let Err(error) = processor.process_pending().await {
            tracing::error!(%error, "webhook processing at start failed");
        }
        let watched = self.store.clone();
        let tasks = vec![
            tokio::spawn(async move {
                // Another instance on the same Postgres may save a channel: reload when the stamp moves.
                let mut seen = watched.console_channels_stamp().await.ok();
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                    let now = watched.console_channels_stamp().await.ok();
                    if now.is_some() && now != seen {
                        if let Err(error) =
                            channels::config::load_console_channels(&watched, &registry, &links).await
                        {
                            tracing::warn!(%error, "could not reload the console channels");
                            continue;
                        }
                        seen = now;
                    }
                }
            }),
            tokio::spawn(feed.clone().run(self.store.clone(), database)),
            tokio::spawn(prune_webhooks(self.store.clone(), webhook_retention)),
            tokio::spawn(processor.run(webhook_stored)),
            tokio::spawn(media.run(media_wake)),
            tokio::spawn(async move {
                for (channel, client) in template_sync {
                    let _ = sync_templates(&store, channel, &client).await;
                }
            }),
        ];
        let (stop_sending, stopping) = tokio::sync::watch::channel(false);
        let sending = tokio::spawn(dispatcher.run(outbound_wake, stopping, drain));
        // Live streams never end by themselves: they are told to, or the shutdown would wait for every tab.
        let served = serve::serve(self.listener, self.router, self.limits, async move {
            shutdown_signal().await;
            feed.stop();
            let _ = stop_sending.send(true);
        })
        .await;
        // The sends on their way are answered and recorded before the database closes.
        if let Err(error) = sending.await {
            tracing::error!(%error, "the outbound dispatcher stopped abnormally");
        }
        for task in tasks {
            task.abort();
        }
        self.store.close().await;
        served
    }
}

/// Deletes the webhook bodies processed longer than `retention` ago, at start and every hour, a few thousand
/// to a short transaction (SQLite's one writer is not held for long). Bodies set aside stay until an admin acts.
async fn prune_webhooks(store: SqlStore, retention: std::time::Duration) {
    const CHUNK: i64 = 5_000;
    let retention = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    loop {
        let before = SystemClock.now().plus_millis(-retention);
        let mut deleted = 0;
        loop {
            match store.prune_webhooks(before, CHUNK).await {
                Ok(count) => {
                    deleted += count;
                    if count < CHUNK.unsigned_abs() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(error) => {
                    tracing::warn!(%error, "could not delete old webhook bodies");
                    break;
                }
            }
        }
        if deleted > 0 {
            tracing::info!(deleted, "old webhook bodies deleted");
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}

/// The first admin: from `ATENDE_ADMIN_EMAIL`/`ATENDE_ADMIN_PASSWORD`, or, on a database with no agents and
/// nothing configured, `admin@atende.local` with a random password printed once on the terminal (so the run
/// command works on a fresh machine without a password anybody could know in advance).
async fn bootstrap_admin(
    store: &SqlStore,
    configured: Option<&settings::AdminSettings>,
    team: i64,
    now: Timestamp,
) -> anyhow::Result<()> {
    let generated;
    let admin = match configured {
        Some(admin) => admin,
        None if store.agent_count().await.context("Failed to count the agents")? == 0 => {
            generated = settings::AdminSettings {
                email: atende_domain::access::Email::parse("admin@atende.local")
                    .map_err(anyhow::Error::msg)?,
                name: "Administrador".into(),
                password: runtime::random_secret().chars().take(16).collect(),
            };
            &generated
        }
        None => return Ok(()),
    };
    let agent = store::agents::NewAgent {
        email: admin.email.clone(),
        name: admin.name.clone(),
        password_hash: access::hash_password(&admin.password)?,
        role: atende_domain::access::Role::Admin,
    };
    match store.ensure_first_admin(&agent, team, now).await.context("Failed to create the first admin")? {
        Some(_) if configured.is_none() => eprintln!(
            "\n  Primeiro acesso ao Atende: entre com {} e a senha {}\n  (defina ATENDE_ADMIN_EMAIL e \
             ATENDE_ADMIN_PASSWORD para escolher; esta senha não será mostrada de novo)\n",
            admin.email.as_str(),
            admin.password
        ),
        Some(_) => tracing::info!(email = admin.email.as_str(), "first admin created in the team Geral"),
        None => tracing::info!("agents exist already: ATENDE_ADMIN_EMAIL/PASSWORD left unused"),
    }
    Ok(())
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
