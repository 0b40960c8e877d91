//! Configuration, read once at start and passed explicitly. Secrets are never printed.

use anyhow::{bail, Context};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file, created on first start.
    Sqlite(PathBuf),
    /// `postgres://…` (the URL may carry a password: it is never printed).
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "SQLite em {}", path.display()),
            Self::Postgres(_) => f.write_str("PostgreSQL"),
        }
    }
}

impl Database {
    /// The URL sqlx connects to.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}?mode=rwc", path.display()),
            Self::Postgres(url) => url.clone(),
        }
    }
}

/// An official WhatsApp channel (Cloud API), from `ATENDE_WA_*` and `ATENDE_META_*`.
#[derive(Clone, PartialEq, Eq)]
pub struct WhatsappSettings {
    /// `ATENDE_WA_GRAPH_URL`, default `https://graph.facebook.com/v23.0`.
    pub graph_url: String,
    pub token: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub app_secret: String,
    pub verify_token: String,
}

impl std::fmt::Debug for WhatsappSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsappSettings")
            .field("graph_url", &self.graph_url)
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .finish_non_exhaustive()
    }
}

/// The unofficial WhatsApp channel: an Evolution API v2 instance (`ATENDE_EVOLUTION_*`).
#[derive(Clone, PartialEq, Eq)]
pub struct EvolutionSettings {
    pub url: String,
    pub instance: String,
    pub api_key: String,
    /// What the instance's webhook sends as `Authorization: Bearer …`.
    pub webhook_token: String,
}

impl std::fmt::Debug for EvolutionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvolutionSettings")
            .field("url", &self.url)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

/// A Messenger page or an Instagram account (`ATENDE_MESSENGER_*`, `ATENDE_INSTAGRAM_*`).
#[derive(Clone, PartialEq, Eq)]
pub struct MetaPageSettings {
    /// The page id or the Instagram professional account id.
    pub account_id: String,
    pub token: String,
    /// The page passed Meta's review for the HUMAN_AGENT tag (answers up to 7 days).
    pub human_agent_tag: bool,
}

impl std::fmt::Debug for MetaPageSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaPageSettings")
            .field("account_id", &self.account_id)
            .field("human_agent_tag", &self.human_agent_tag)
            .finish_non_exhaustive()
    }
}

/// The Meta app that signs webhooks. `Debug` prints neither secret.
#[derive(Clone, PartialEq, Eq)]
pub struct MetaApp {
    pub app_secret: String,
    pub verify_token: String,
}

impl std::fmt::Debug for MetaApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetaApp { .. }")
    }
}

/// The first admin, from `ATENDE_ADMIN_EMAIL` and `ATENDE_ADMIN_PASSWORD` (and `ATENDE_ADMIN_NAME`).
#[derive(Clone, PartialEq, Eq)]
pub struct AdminSettings {
    pub email: atende_domain::access::Email,
    pub name: String,
    pub password: String,
}

impl std::fmt::Debug for AdminSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSettings")
            .field("email", &self.email)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The sandbox's signing key; `Debug` never prints it.
#[derive(Clone)]
pub struct SandboxSecret(pub String);

impl std::fmt::Debug for SandboxSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SandboxSecret(…)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: Database,
    /// Where the server listens. Port 0 picks a free port (tests).
    pub address: SocketAddr,
    /// The built site: `pkg/` with the WASM client and CSS, plus the public files.
    pub site_root: PathBuf,
    pub whatsapp: Option<WhatsappSettings>,
    pub evolution: Option<EvolutionSettings>,
    pub messenger: Option<MetaPageSettings>,
    pub instagram: Option<MetaPageSettings>,
    /// `ATENDE_META_APP_SECRET` and `ATENDE_META_VERIFY_TOKEN`, for Messenger and Instagram webhooks (the
    /// WhatsApp channel carries its own copy).
    pub meta_app: Option<MetaApp>,
    /// `ATENDE_META_GRAPH_URL` for Messenger and Instagram, default `https://graph.facebook.com/v23.0`.
    pub meta_graph_url: String,
    /// Created on a database with no agents, as an admin of the team "Geral".
    pub admin: Option<AdminSettings>,
    /// `ATENDE_SECURE_COOKIES=on` when Atende is served over HTTPS (behind a proxy): the session cookie is then
    /// `Secure`.
    pub secure_cookies: bool,
    /// The built-in provider sandbox: `ATENDE_SANDBOX=on|off`, or `None` when unset: on only when no provider
    /// is configured, from the environment or the console ([`Settings::sandbox_on`], decided at start).
    pub sandbox: Option<bool>,
    /// The key the sandbox signs its webhooks with (`ATENDE_SANDBOX_APP_SECRET`; random at each start when
    /// unset). The load generator sets it to sign webhooks of its own.
    pub sandbox_app_secret: Option<SandboxSecret>,
    /// Sends per second per business number (`ATENDE_WA_RATE`, 1 to 1,000; default 80).
    pub outbound_rate: u32,
    /// Messages that may leave at once to one person before the pair pacing (one per 6 seconds) starts
    /// (`ATENDE_WA_PAIR_BURST`, 1 to 1,000; default 10).
    pub pair_burst: u32,
    /// How long a worker owns a send it claimed before another worker (or this one, restarted) may take it
    /// back (`ATENDE_SEND_LEASE_SECONDS`, 1 to 3,600; default 60). Keep it above the time Meta takes to send
    /// the first status webhook: a send whose answer was lost is recognised by that webhook, not sent again.
    pub send_lease_seconds: u64,
    /// The same for a send that carries a file from the agent's computer, which may take long to upload
    /// (`ATENDE_FILE_SEND_LEASE_SECONDS`, 1 to 7,200; default 900). Keep it above the provider's time limit
    /// for one file (5 minutes for the upload, then the send): a send still on its way is never taken over.
    pub file_send_lease_seconds: u64,
    /// Sends in flight at once (`ATENDE_SEND_WORKERS`, 1 to 1,000; default 32): with a provider answering
    /// in 250 ms, 32 in flight allow 128 sends per second.
    pub send_workers: usize,
    /// `ATENDE_RATE_CARD`: a JSON rate card file; default `server/config/rate-card.json`, built in.
    pub rate_card_file: Option<PathBuf>,
    /// How many days processed webhook bodies are kept (`ATENDE_WEBHOOK_RETENTION_DAYS`, 1 to 3,650;
    /// default 30). Bodies set aside are kept until an admin acts.
    pub webhook_retention_days: u32,
    /// Connections served at once (`ATENDE_MAX_CONNECTIONS`, 16 to 100,000; default 1,024): each open
    /// console keeps one for its live updates. More wait to be accepted; keep it below the open-file limit.
    pub max_connections: usize,
    /// How long a request's head may take to arrive, and a kept-alive connection may wait idle for the next
    /// (`ATENDE_REQUEST_HEAD_SECONDS`, 1 to 300; default 15).
    pub request_head_timeout: std::time::Duration,
    /// How long a request's whole body may take to arrive (`ATENDE_REQUEST_BODY_SECONDS`, 1 to 3,600;
    /// default 30): a client trickling it is cut off and its connection freed.
    pub request_body_timeout: std::time::Duration,
    /// `ATENDE_DATA_DIR` (default `data`): the SQLite file and the media folder, unless configured elsewhere.
    pub data_dir: PathBuf,
    /// Where the files of messages are kept: `ATENDE_MEDIA_URL=s3://bucket/prefix` (with the `AWS_*`
    /// variables), or a folder; default `media` under the data folder.
    pub media_url: Option<String>,
    /// The largest file kept (`ATENDE_MEDIA_MAX_MB`, 1 to 100; default 100, the largest Meta delivers).
    pub media_max_bytes: u64,
}

impl Settings {
    /// Whether the sandbox runs: as `ATENDE_SANDBOX` says, else only when no provider is configured, from the
    /// environment or (`console_channels`) in Administração → Canais. A production install whose channels
    /// were all added in the console must not also serve a simulator anyone can post to.
    pub fn sandbox_on(&self, console_channels: bool) -> bool {
        let no_provider = self.whatsapp.is_none()
            && self.evolution.is_none()
            && self.messenger.is_none()
            && self.instagram.is_none()
            && !console_channels;
        self.sandbox.unwrap_or(no_provider)
    }
}

/// The rate card shipped with Atende (data, not code: replace it with `ATENDE_RATE_CARD`).
const DEFAULT_RATE_CARD: &str = include_str!("../config/rate-card.json");

impl Settings {
    /// The rate card in force: the configured file, or the one shipped with Atende.
    pub fn rate_card(&self) -> anyhow::Result<atende_domain::pricing::RateCard> {
        let text = match &self.rate_card_file {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("ATENDE_RATE_CARD: não foi possível ler {}", path.display()))?,
            None => DEFAULT_RATE_CARD.to_owned(),
        };
        serde_json::from_str(&text).context("ATENDE_RATE_CARD: tabela de preços inválida")
    }
}

impl Settings {
    /// `ATENDE_DATABASE_URL` (sqlite://… or postgres://…; default an SQLite file in `ATENDE_DATA_DIR`,
    /// itself `data` by default), `LEPTOS_SITE_ADDR` (default 127.0.0.1:3000), `LEPTOS_SITE_ROOT`
    /// (default `target/site`).
    /// A variable named `ATENDE_…` that Atende does not read is warned about, with the closest one it does
    /// (a mistyped name would otherwise leave its setting at the default without a word).
    pub fn from_env() -> anyhow::Result<Self> {
        for warning in unknown_variables(std::env::vars_os().filter_map(|(key, _)| key.into_string().ok())) {
            tracing::warn!("{warning}");
        }
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let data_dir = PathBuf::from(get("ATENDE_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database = match get("ATENDE_DATABASE_URL").filter(|url| !url.trim().is_empty()) {
            None => Database::Sqlite(data_dir.join("atende.db")),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres(url)
            }
            Some(url) => match url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
                Some(path) => Database::Sqlite(PathBuf::from(path.split('?').next().unwrap_or(path))),
                None => bail!("ATENDE_DATABASE_URL deve começar com sqlite:// ou postgres://"),
            },
        };
        let address = get("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .context("LEPTOS_SITE_ADDR deve ser um endereço como 127.0.0.1:3000")?;
        let site_root = PathBuf::from(get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()));
        let whatsapp = whatsapp_settings(&get)?;
        let admin = admin_settings(&get)?;
        let evolution = all_or_none(
            &get,
            &[
                "ATENDE_EVOLUTION_URL",
                "ATENDE_EVOLUTION_INSTANCE",
                "ATENDE_EVOLUTION_API_KEY",
                "ATENDE_EVOLUTION_WEBHOOK_TOKEN",
            ],
            "o canal WhatsApp Não Oficial",
        )?
        .map(|v| EvolutionSettings {
            url: v[0].clone(),
            instance: v[1].clone(),
            api_key: v[2].clone(),
            webhook_token: v[3].clone(),
        });
        let page = |prefix: &str, id: &str, label: &str| -> anyhow::Result<Option<MetaPageSettings>> {
            let keys = [format!("ATENDE_{prefix}_{id}"), format!("ATENDE_{prefix}_TOKEN")];
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            let Some(values) = all_or_none(&get, &keys, label)? else { return Ok(None) };
            let human_agent_tag = switch(&get, &format!("ATENDE_{prefix}_HUMAN_AGENT"), false)?;
            Ok(Some(MetaPageSettings {
                account_id: values[0].clone(),
                token: values[1].clone(),
                human_agent_tag,
            }))
        };
        let messenger = page("MESSENGER", "PAGE_ID", "o canal Messenger")?;
        let instagram = page("INSTAGRAM", "ACCOUNT_ID", "o canal Instagram")?;
        let meta_app = match (get("ATENDE_META_APP_SECRET"), get("ATENDE_META_VERIFY_TOKEN")) {
            (Some(app_secret), Some(verify_token))
                if !app_secret.trim().is_empty() && !verify_token.trim().is_empty() =>
            {
                Some(MetaApp { app_secret, verify_token })
            }
            _ => None,
        };
        if (messenger.is_some() || instagram.is_some()) && meta_app.is_none() {
            bail!(
                "Messenger e Instagram precisam também de ATENDE_META_APP_SECRET e ATENDE_META_VERIFY_TOKEN"
            );
        }
        let meta_graph_url = get("ATENDE_META_GRAPH_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "https://graph.facebook.com/v23.0".into());
        let sandbox = match get("ATENDE_SANDBOX").filter(|v| !v.trim().is_empty()) {
            Some(_) => Some(switch(&get, "ATENDE_SANDBOX", false)?),
            None => None,
        };
        let sandbox_app_secret =
            get("ATENDE_SANDBOX_APP_SECRET").filter(|v| !v.trim().is_empty()).map(SandboxSecret);
        let secure_cookies = switch(&get, "ATENDE_SECURE_COOKIES", false)?;
        let outbound_rate = bounded(&get, "ATENDE_WA_RATE", 80, 1..=1000, "mensagens por segundo")?;
        let pair_burst =
            bounded(&get, "ATENDE_WA_PAIR_BURST", 10, 1..=1000, "mensagens seguidas por contato")?;
        let send_lease_seconds = bounded(&get, "ATENDE_SEND_LEASE_SECONDS", 60, 1..=3600, "segundos")?;
        let file_send_lease_seconds =
            bounded(&get, "ATENDE_FILE_SEND_LEASE_SECONDS", 900, 1..=7200, "segundos")?;
        let send_workers = bounded(&get, "ATENDE_SEND_WORKERS", 32, 1..=1000, "envios simultâneos")?;
        let rate_card_file = get("ATENDE_RATE_CARD").filter(|v| !v.trim().is_empty()).map(PathBuf::from);
        let webhook_retention_days = bounded(&get, "ATENDE_WEBHOOK_RETENTION_DAYS", 30, 1..=3650, "dias")?;
        let max_connections = bounded(&get, "ATENDE_MAX_CONNECTIONS", 1024, 16..=100_000, "conexões")?;
        let head_seconds = bounded(&get, "ATENDE_REQUEST_HEAD_SECONDS", 15, 1..=300, "segundos")?;
        let body_seconds = bounded(&get, "ATENDE_REQUEST_BODY_SECONDS", 30, 1..=3600, "segundos")?;
        let media_url = get("ATENDE_MEDIA_URL").filter(|v| !v.trim().is_empty());
        let media_max_mb: u64 = bounded(&get, "ATENDE_MEDIA_MAX_MB", 100, 1..=100, "MB")?;
        Ok(Self {
            database,
            address,
            site_root,
            whatsapp,
            evolution,
            messenger,
            instagram,
            meta_app,
            meta_graph_url,
            admin,
            secure_cookies,
            sandbox,
            sandbox_app_secret,
            outbound_rate,
            pair_burst,
            send_lease_seconds,
            file_send_lease_seconds,
            send_workers: usize::try_from(send_workers).unwrap_or(32),
            rate_card_file,
            webhook_retention_days,
            max_connections,
            request_head_timeout: std::time::Duration::from_secs(head_seconds),
            request_body_timeout: std::time::Duration::from_secs(body_seconds),
            data_dir,
            media_url,
            media_max_bytes: media_max_mb * 1024 * 1024,
        })
    }
}

/// Every `ATENDE_…` variable Atende reads: the server's settings (checked by a test against what
/// [`Settings::from_lookup`] asks for), then those of its scripts and tests.
pub const KNOWN_VARIABLES: &[&str] = &[
    "ATENDE_ADMIN_EMAIL",
    "ATENDE_ADMIN_NAME",
    "ATENDE_ADMIN_PASSWORD",
    "ATENDE_DATABASE_URL",
    "ATENDE_DATA_DIR",
    "ATENDE_EVOLUTION_API_KEY",
    "ATENDE_EVOLUTION_INSTANCE",
    "ATENDE_EVOLUTION_URL",
    "ATENDE_EVOLUTION_WEBHOOK_TOKEN",
    "ATENDE_INSTAGRAM_ACCOUNT_ID",
    "ATENDE_INSTAGRAM_HUMAN_AGENT",
    "ATENDE_INSTAGRAM_TOKEN",
    "ATENDE_MAX_CONNECTIONS",
    "ATENDE_MEDIA_MAX_MB",
    "ATENDE_MEDIA_URL",
    "ATENDE_MESSENGER_HUMAN_AGENT",
    "ATENDE_MESSENGER_PAGE_ID",
    "ATENDE_MESSENGER_TOKEN",
    "ATENDE_META_APP_SECRET",
    "ATENDE_META_GRAPH_URL",
    "ATENDE_META_VERIFY_TOKEN",
    "ATENDE_RATE_CARD",
    "ATENDE_REQUEST_BODY_SECONDS",
    "ATENDE_REQUEST_HEAD_SECONDS",
    "ATENDE_SANDBOX",
    "ATENDE_SANDBOX_APP_SECRET",
    "ATENDE_SECURE_COOKIES",
    "ATENDE_SEND_LEASE_SECONDS",
    "ATENDE_FILE_SEND_LEASE_SECONDS",
    "ATENDE_SEND_WORKERS",
    "ATENDE_WA_GRAPH_URL",
    "ATENDE_WA_PAIR_BURST",
    "ATENDE_WA_PHONE_NUMBER_ID",
    "ATENDE_WA_RATE",
    "ATENDE_WA_TOKEN",
    "ATENDE_WA_WABA_ID",
    "ATENDE_WEBHOOK_RETENTION_DAYS",
    // `.ci/atende`, the load generator and the tests.
    "ATENDE_BIN",
    "ATENDE_CACHE",
    "ATENDE_E2E_EMAIL",
    "ATENDE_E2E_PASSWORD",
    "ATENDE_E2E_PORT",
    "ATENDE_KILL_SEED",
    "ATENDE_ROOT",
    "ATENDE_TEST_POSTGRES_URL",
    "ATENDE_TEST_S3_URL",
    "ATENDE_TOOLCHAIN",
];

/// A warning for each `ATENDE_…` name among `names` that Atende does not read, naming the closest one it
/// does.
pub fn unknown_variables(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut unknown: Vec<String> = names
        .into_iter()
        .filter(|name| name.starts_with("ATENDE_") && !KNOWN_VARIABLES.contains(&name.as_str()))
        .collect();
    unknown.sort();
    unknown
        .into_iter()
        .map(|name| {
            let closest = KNOWN_VARIABLES.iter().min_by_key(|known| edit_distance(&name, known));
            match closest {
                Some(known) => {
                    format!("{name} não é uma variável do Atende e será ignorada; quis dizer {known}?")
                }
                None => format!("{name} não é uma variável do Atende e será ignorada"),
            }
        })
        .collect()
}

/// How many letters to insert, delete or replace to turn `a` into `b` (Levenshtein).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `on`/`off` (also `1`/`0`, `true`/`false`) from `key`, or `default` when unset.
fn switch(get: &impl Fn(&str) -> Option<String>, key: &str, default: bool) -> anyhow::Result<bool> {
    match get(key).as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some("on" | "1" | "true") => Ok(true),
        Some("off" | "0" | "false") => Ok(false),
        Some(other) => bail!("{key} deve ser on ou off, não {other:?}"),
    }
}

/// The values of all `keys`, or `None` when none is set; an error naming the missing ones otherwise.
fn all_or_none(
    get: &impl Fn(&str) -> Option<String>,
    keys: &[&str],
    what: &str,
) -> anyhow::Result<Option<Vec<String>>> {
    let values: Vec<Option<String>> =
        keys.iter().map(|key| get(key).filter(|v| !v.trim().is_empty())).collect();
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let missing: Vec<&str> =
        keys.iter().zip(&values).filter(|(_, v)| v.is_none()).map(|(key, _)| *key).collect();
    if !missing.is_empty() {
        bail!("{what} precisa também de {}", missing.join(", "));
    }
    Ok(Some(values.into_iter().flatten().collect()))
}

/// A whole number from `key`, within `range`, or `default` when unset.
fn bounded<T>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
) -> anyhow::Result<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let Some(value) = get(key).filter(|v| !v.trim().is_empty()) else { return Ok(default) };
    match value.trim().parse::<T>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => bail!("{key} deve ser um número de {} a {} ({unit})", range.start(), range.end()),
    }
}

/// Both e-mail and password, or neither; checked by the same rules as the console's forms.
fn admin_settings(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<AdminSettings>> {
    use atende_domain::access::{agent_name, check_new_password, Email};
    let email = get("ATENDE_ADMIN_EMAIL").filter(|v| !v.trim().is_empty());
    let password = get("ATENDE_ADMIN_PASSWORD").filter(|v| !v.is_empty());
    let (email, password) = match (email, password) {
        (None, None) => return Ok(None),
        (Some(email), Some(password)) => (email, password),
        (Some(_), None) => bail!("ATENDE_ADMIN_EMAIL precisa de ATENDE_ADMIN_PASSWORD"),
        (None, Some(_)) => bail!("ATENDE_ADMIN_PASSWORD precisa de ATENDE_ADMIN_EMAIL"),
    };
    let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("ATENDE_ADMIN_EMAIL: {e}"))?;
    check_new_password(&password).map_err(|e| anyhow::anyhow!("ATENDE_ADMIN_PASSWORD: {e}"))?;
    let name = agent_name(&get("ATENDE_ADMIN_NAME").unwrap_or_else(|| "Administrador".into()))
        .map_err(|e| anyhow::anyhow!("ATENDE_ADMIN_NAME: {e}"))?;
    Ok(Some(AdminSettings { email, name, password }))
}

/// All of token, phone number id, business account id, app secret and verify token, or none of them.
fn whatsapp_settings(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<WhatsappSettings>> {
    const REQUIRED: [&str; 5] = [
        "ATENDE_WA_TOKEN",
        "ATENDE_WA_PHONE_NUMBER_ID",
        "ATENDE_WA_WABA_ID",
        "ATENDE_META_APP_SECRET",
        "ATENDE_META_VERIFY_TOKEN",
    ];
    let wa = ["ATENDE_WA_TOKEN", "ATENDE_WA_PHONE_NUMBER_ID", "ATENDE_WA_WABA_ID"];
    // The app secret and verify token also serve Messenger and Instagram: only the WA_ keys decide.
    if wa.iter().all(|key| get(key).filter(|v| !v.trim().is_empty()).is_none()) {
        return Ok(None);
    }
    let Some(values) = all_or_none(get, &REQUIRED, "o canal WhatsApp Oficial")? else { return Ok(None) };
    let mut values = values.into_iter();
    let mut next = || values.next().unwrap_or_default();
    Ok(Some(WhatsappSettings {
        token: next(),
        phone_number_id: next(),
        waba_id: next(),
        app_secret: next(),
        verify_token: next(),
        graph_url: get("ATENDE_WA_GRAPH_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "https://graph.facebook.com/v23.0".into()),
    }))
}

impl Settings {
    /// Settings for tests: SQLite at `database`, port 0, the sandbox on.
    pub fn for_tests(database: Database, site_root: PathBuf) -> Self {
        let database_dir = match &database {
            Database::Sqlite(path) => path.parent().map(std::path::Path::to_path_buf),
            Database::Postgres(_) => None,
        };
        Self {
            database,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            site_root,
            whatsapp: None,
            evolution: None,
            messenger: None,
            instagram: None,
            meta_app: None,
            meta_graph_url: "https://graph.facebook.com/v23.0".into(),
            admin: None,
            secure_cookies: false,
            sandbox: Some(true),
            sandbox_app_secret: None,
            outbound_rate: 80,
            pair_burst: 10,
            send_lease_seconds: 60,
            file_send_lease_seconds: 900,
            send_workers: 32,
            rate_card_file: None,
            webhook_retention_days: 30,
            max_connections: 1024,
            request_head_timeout: std::time::Duration::from_secs(15),
            request_body_timeout: std::time::Duration::from_secs(30),
            // Beside the test's SQLite file; content-addressed, so tests on PostgreSQL may share one.
            data_dir: match &database_dir {
                Some(dir) => dir.clone(),
                None => std::env::temp_dir().join("atende-tests"),
            },
            media_url: None,
            media_max_bytes: 100 * 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let env: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|key| env.get(key).cloned())
    }

    #[test]
    fn a_mistyped_variable_is_named_with_the_one_it_was_meant_to_be() {
        let names = ["PATH", "ATENDE_WA_RAET", "ATENDE_WA_RATE", "ATENDE_SANBOX", "LEPTOS_SITE_ADDR"];
        assert_eq!(
            unknown_variables(names.map(str::to_owned)),
            [
                "ATENDE_SANBOX não é uma variável do Atende e será ignorada; quis dizer ATENDE_SANDBOX?",
                "ATENDE_WA_RAET não é uma variável do Atende e será ignorada; quis dizer ATENDE_WA_RATE?",
            ]
        );
        assert_eq!(edit_distance("ATENDE_SEND_WORKER", "ATENDE_SEND_WORKERS"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn every_variable_the_settings_read_is_known() {
        // Every branch asks: each setting gets a value it accepts.
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let value = |key: &str| -> String {
            let numeric = ["_SECONDS", "_RATE", "_BURST", "_WORKERS", "_DAYS", "_CONNECTIONS"];
            match key {
                "ATENDE_DATABASE_URL" => "sqlite://dados.db".into(),
                "ATENDE_ADMIN_EMAIL" => "admin@exemplo.com.br".into(),
                "ATENDE_ADMIN_PASSWORD" => "uma senha longa e boa 2026".into(),
                "LEPTOS_SITE_ADDR" => "127.0.0.1:3000".into(),
                "ATENDE_MEDIA_MAX_MB" => "16".into(),
                _ if numeric.iter().any(|end| key.ends_with(end)) => "60".into(),
                _ if key.ends_with("HUMAN_AGENT") || key.ends_with("SANDBOX") || key.ends_with("COOKIES") => {
                    "on".into()
                }
                _ => "valor".into(),
            }
        };
        Settings::from_lookup(|key| {
            asked.borrow_mut().insert(key.to_owned());
            Some(value(key))
        })
        .expect("every setting given");
        let asked: Vec<String> =
            asked.into_inner().into_iter().filter(|k| k.starts_with("ATENDE_")).collect();
        let unknown: Vec<&String> = asked.iter().filter(|k| !KNOWN_VARIABLES.contains(&k.as_str())).collect();
        assert!(unknown.is_empty(), "read but not in KNOWN_VARIABLES: {unknown:?}");
        let server_part =
            &KNOWN_VARIABLES[..KNOWN_VARIABLES.iter().position(|k| *k == "ATENDE_BIN").unwrap_or(0)];
        let never_read: Vec<&&str> =
            server_part.iter().filter(|k| !asked.contains(&(**k).to_owned())).collect();
        assert!(never_read.is_empty(), "known but never read: {never_read:?}");
    }

    #[test]
    fn with_nothing_configured_it_uses_sqlite_in_the_data_dir_on_port_3000() -> anyhow::Result<()> {
        let s = settings(&[])?;
        assert_eq!(s.database, Database::Sqlite(PathBuf::from("data/atende.db")));
        assert_eq!(s.address.to_string(), "127.0.0.1:3000");
        Ok(())
    }

    #[test]
    fn a_postgres_url_selects_postgres_and_is_never_printed() -> anyhow::Result<()> {
        let s = settings(&[("ATENDE_DATABASE_URL", "postgres://u:segredo@db/atende")])?;
        assert_eq!(s.database.url(), "postgres://u:segredo@db/atende");
        assert!(!format!("{s:?}").contains("segredo"));
        Ok(())
    }

    #[test]
    fn the_sandbox_is_on_by_default_only_when_no_provider_is_configured() -> anyhow::Result<()> {
        assert!(settings(&[])?.sandbox_on(false));
        assert!(!settings(&[])?.sandbox_on(true), "channels added in the console are providers too");
        assert!(settings(&[("ATENDE_SANDBOX", "on")])?.sandbox_on(true), "an explicit on wins");
        assert!(!settings(&[("ATENDE_SANDBOX", "off")])?.sandbox_on(false));
        let official = [
            ("ATENDE_WA_TOKEN", "EAAG-segredo"),
            ("ATENDE_WA_PHONE_NUMBER_ID", "123"),
            ("ATENDE_WA_WABA_ID", "456"),
            ("ATENDE_META_APP_SECRET", "app-segredo"),
            ("ATENDE_META_VERIFY_TOKEN", "verifica"),
        ];
        let s = settings(&official)?;
        assert!(!s.sandbox_on(false));
        let whatsapp = s.whatsapp.clone().expect("configured");
        assert_eq!(whatsapp.graph_url, "https://graph.facebook.com/v23.0");
        assert_eq!((whatsapp.phone_number_id.as_str(), whatsapp.waba_id.as_str()), ("123", "456"));
        assert!(!format!("{s:?}").contains("segredo"), "a secret was printed");
        let pages = [
            ("ATENDE_MESSENGER_PAGE_ID", "111"),
            ("ATENDE_MESSENGER_TOKEN", "pagina-segredo"),
            ("ATENDE_MESSENGER_HUMAN_AGENT", "on"),
            ("ATENDE_EVOLUTION_URL", "https://evo.loja.com.br"),
            ("ATENDE_EVOLUTION_INSTANCE", "loja"),
            ("ATENDE_EVOLUTION_API_KEY", "evo-segredo"),
            ("ATENDE_EVOLUTION_WEBHOOK_TOKEN", "hook-segredo"),
            ("ATENDE_META_APP_SECRET", "app-segredo"),
            ("ATENDE_META_VERIFY_TOKEN", "verifica"),
        ];
        let s = settings(&pages)?;
        assert!(!s.sandbox_on(false) && s.whatsapp.is_none());
        assert_eq!(
            s.messenger.as_ref().map(|m| (m.account_id.as_str(), m.human_agent_tag)),
            Some(("111", true))
        );
        assert_eq!(s.evolution.as_ref().map(|e| e.instance.as_str()), Some("loja"));
        assert!(!format!("{s:?}").contains("segredo"), "a secret was printed");
        let error = settings(&pages[..2]).expect_err("no app secret");
        assert!(error.to_string().contains("ATENDE_META_APP_SECRET"), "{error}");
        let error = settings(&pages[3..5]).expect_err("half an Evolution instance");
        assert!(
            error.to_string().contains("ATENDE_EVOLUTION_API_KEY, ATENDE_EVOLUTION_WEBHOOK_TOKEN"),
            "{error}"
        );
        let mut both = official.to_vec();
        both.push(("ATENDE_SANDBOX", "on"));
        assert!(settings(&both)?.sandbox_on(true));
        Ok(())
    }

    #[test]
    fn instagram_is_configured_from_the_environment_like_messenger_and_its_token_is_never_printed(
    ) -> anyhow::Result<()> {
        let instagram = [
            ("ATENDE_INSTAGRAM_ACCOUNT_ID", "17841400000000001"),
            ("ATENDE_INSTAGRAM_TOKEN", "insta-segredo"),
            ("ATENDE_INSTAGRAM_HUMAN_AGENT", "on"),
            ("ATENDE_META_APP_SECRET", "app-segredo"),
            ("ATENDE_META_VERIFY_TOKEN", "verifica"),
        ];
        let s = settings(&instagram)?;
        assert!(!s.sandbox_on(false), "a provider is configured");
        assert_eq!(
            s.instagram.as_ref().map(|i| (i.account_id.as_str(), i.token.as_str(), i.human_agent_tag)),
            Some(("17841400000000001", "insta-segredo", true))
        );
        assert_eq!(s.messenger, None);
        assert!(!format!("{s:?}").contains("segredo"), "a secret was printed");
        let without_tag = settings(&[instagram[0], instagram[1], instagram[3], instagram[4]])?;
        assert_eq!(without_tag.instagram.map(|i| i.human_agent_tag), Some(false), "HUMAN_AGENT is opt-in");
        let error = settings(&instagram[..1]).expect_err("no token");
        assert!(error.to_string().contains("ATENDE_INSTAGRAM_TOKEN"), "{error}");
        let error = settings(&instagram[..2]).expect_err("no app secret");
        assert!(error.to_string().contains("ATENDE_META_APP_SECRET"), "{error}");
        let error = settings(&[instagram[0], instagram[1], ("ATENDE_INSTAGRAM_HUMAN_AGENT", "talvez")])
            .expect_err("not on or off");
        assert!(error.to_string().contains("ATENDE_INSTAGRAM_HUMAN_AGENT"), "{error}");
        Ok(())
    }

    #[test]
    fn a_partly_configured_provider_says_what_is_missing() {
        let error = settings(&[("ATENDE_WA_TOKEN", "x")]).expect_err("incomplete");
        assert!(error.to_string().contains("ATENDE_WA_PHONE_NUMBER_ID"), "{error}");
        assert!(settings(&[("ATENDE_SANDBOX", "talvez")]).is_err());
        assert!(settings(&[("ATENDE_WA_RATE", "5000")]).is_err());
        assert_eq!(settings(&[("ATENDE_WA_RATE", "1000")]).map(|s| s.outbound_rate).ok(), Some(1000));
        let error = settings(&[("ATENDE_SEND_LEASE_SECONDS", "0")]).expect_err("too short");
        assert!(
            error.to_string().contains("ATENDE_SEND_LEASE_SECONDS deve ser um número de 1 a 3600"),
            "{error}"
        );
        assert!(settings(&[("ATENDE_WA_PAIR_BURST", "muitas")]).is_err());
        let s = settings(&[("ATENDE_WA_PAIR_BURST", "3"), ("ATENDE_SEND_LEASE_SECONDS", "5")]);
        assert_eq!(s.map(|s| (s.pair_burst, s.send_lease_seconds)).ok(), Some((3, 5)));
    }

    #[test]
    fn the_shipped_rate_card_prices_a_brazilian_marketing_template() -> anyhow::Result<()> {
        use atende_domain::pricing::{Money, PricingCategory, RateScope};
        let card = settings(&[])?.rate_card()?;
        let phone = atende_domain::phone::Phone::parse("(11) 98765-4321").map_err(anyhow::Error::msg)?;
        let market = card.market_of(&phone).cloned().ok_or_else(|| anyhow::anyhow!("no market"))?;
        let at = atende_domain::time::Timestamp::from_millis(1_780_000_000_000);
        let price = card.rate(&market, PricingCategory::Marketing, RateScope::Regular, at);
        assert_eq!(price, Some(Money::from_micros(atende_domain::pricing::Currency::Usd, 62_500)));
        Ok(())
    }

    #[test]
    fn the_first_admin_needs_a_valid_email_and_a_long_enough_password_never_printed() -> anyhow::Result<()> {
        assert_eq!(settings(&[])?.admin, None);
        let s = settings(&[
            ("ATENDE_ADMIN_EMAIL", " Dona@Loja.com.br "),
            ("ATENDE_ADMIN_PASSWORD", "segredo-123"),
        ])?;
        let admin = s.admin.clone().expect("configured");
        assert_eq!((admin.email.as_str(), admin.name.as_str()), ("dona@loja.com.br", "Administrador"));
        assert!(!format!("{s:?}").contains("segredo-123"), "the password was printed");
        let error = settings(&[("ATENDE_ADMIN_EMAIL", "dona@loja.com.br")]).expect_err("no password");
        assert!(error.to_string().contains("ATENDE_ADMIN_PASSWORD"), "{error}");
        let error = settings(&[("ATENDE_ADMIN_EMAIL", "dona"), ("ATENDE_ADMIN_PASSWORD", "segredo-123")])
            .expect_err("bad e-mail");
        assert!(error.to_string().starts_with("ATENDE_ADMIN_EMAIL: O e-mail “dona” não é válido"), "{error}");
        let error =
            settings(&[("ATENDE_ADMIN_EMAIL", "dona@loja.com.br"), ("ATENDE_ADMIN_PASSWORD", "curta")])
                .expect_err("short password");
        assert!(error.to_string().contains("pelo menos 8 caracteres"), "{error}");
        Ok(())
    }

    #[test]
    fn a_bad_database_url_or_address_is_refused() {
        assert!(settings(&[("ATENDE_DATABASE_URL", "mysql://x")]).is_err());
        assert!(settings(&[("LEPTOS_SITE_ADDR", "porta 3000")]).is_err());
    }
}
