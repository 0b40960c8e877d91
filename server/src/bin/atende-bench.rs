//! `atende-bench`: Atende's own load generator. It starts the release server (`target/release/atende`) on
//! loopback with the provider sandbox and a fresh database, drives it, and prints what it measured.
//!
//! ```text
//! atende-bench ingest [--messages 20000] [--contacts 2000] [--concurrency 64] [--postgres URL]
//! atende-bench page   [--conversations 10000] [--messages 200000] [--requests 300] [--concurrency 4]
//! atende-bench search [--contacts 100000] [--messages 1000000] [--requests 300] [--concurrency 4] [--postgres URL]
//!                     [--keep yes]
//! atende-bench growth [--sizes 10000,100000,1000000,4000000] [--requests 200] [--webhooks 2000] [--postgres URL]
//! atende-bench dispatch [--rate 80] [--conversations 400] [--per-conversation 5] [--answer-every-ms 0]
//! atende-bench kill   [--messages 10000] [--webhooks 10000] [--contacts 1000] [--kills 5] [--seed N]
//!                     [--postgres URL]
//! ```
//!
//! - `ingest`: signed Cloud API webhooks (one text message each, from `--contacts` numbers) posted as fast as
//!   `--concurrency` connections allow; the ack latency of each, the acknowledged rate, and how long until
//!   every message is stored (the processor works behind the acknowledgement). `--postgres` runs it on a
//!   fresh database of that server instead of SQLite.
//! - `page`: the server-rendered Atendimentos screen, signed in, after seeding `--conversations` conversations
//!   (assigned to the admin, so "Meus" is full) with `--messages` messages between them; also a page deep in
//!   the list, read as "Carregar mais" reads it.
//!
//! - `search`: what the Atendimentos search asks as the agent types (`search_contacts`, by name or number, and
//!   `search_messages`, "Busca" by message text) at `--contacts` contacts (each with a conversation) and
//!   `--messages` messages of three words from a small vocabulary and a number.
//!
//! - `growth`: how the cost grows with the data: for each of `--sizes` messages (a conversation and a contact
//!   for every 20), on a fresh database, the first page (`GET /`), both searches, opening a conversation
//!   (`conversation_view`), `--webhooks` messages from new numbers applied end to end, and the server's memory.
//!
//! - `dispatch`: `--conversations` contacts whose window closed 25 hours ago (written through the sandbox's
//!   "Simulador de contato"), `--per-conversation` messages held for each, then every contact answers: the
//!   queue flushes to the sandbox's Cloud API under the cap `--rate` (`ATENDE_WA_RATE`). Measured: the rate
//!   Meta accepted sends at against the cap, 130429 (rate limit) errors, and how long from a contact's answer
//!   until their first held message was accepted (p50/p99); with `--answer-every-ms` the contacts answer one at
//!   a time that far apart (the flush without a backlog), else all at once, 16 at a time.
//!
//! - `kill`: the fault test at full size. A provider sandbox lives in this process (so it outlives the
//!   server and retries its webhooks as Meta does); `--contacts` contacts whose window closed have
//!   `--messages` messages held between them, then write `--webhooks` messages (their first answer releases
//!   what was held) while the server is killed with `kill -9` `--kills` times at random points (each while a
//!   send is on its way; `--seed` replays the points) and started again on the same data. Checked at the end:
//!   every held message reached its contact exactly once and in order, every message a contact wrote is
//!   stored exactly once.
//!
//! All report the server's memory (RSS) idle and at its peak. `bash .ci/atende bench` builds and runs them all.

use anyhow::{bail, Context};
use atende_domain::ports::Clock;
use atende_server::providers::whatsapp::wire::signature_header;
use atende_server::SystemClock;
use sqlx::{AnyPool, Connection, Executor, Row};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sandbox's app secret (`ATENDE_SANDBOX_APP_SECRET`) and business number (its default): the server
/// accepts webhooks signed with it.
const APP_SECRET: &str = "segredo-do-bench";
const PHONE_NUMBER_ID: &str = "106540352242922";
const ADMIN_EMAIL: &str = "bench@atende.local";
const ADMIN_PASSWORD: &str = "senha-do-bench";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first().cloned() else {
        bail!("uso: atende-bench ingest|page|search|growth|dispatch|kill|signin [--opção valor]…");
    };
    let options = Options::parse(&args[1..])?;
    match command.as_str() {
        "ingest" => ingest(&options).await,
        "page" => page(&options).await,
        "dispatch" => dispatch(&options).await,
        "kill" => kill(&options).await,
        "signin" => signin(&options).await,
        "search" => search(&options).await,
        "growth" => growth(&options).await,
        other => {
            bail!("comando desconhecido: {other} (ingest, page, search, growth, dispatch, kill ou signin)")
        }
    }
}

struct Options(Vec<(String, String)>);

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut pairs = Vec::new();
        let mut rest = args.iter();
        while let Some(name) = rest.next() {
            let Some(name) = name.strip_prefix("--") else { bail!("opção inválida: {name}") };
            let value = rest.next().with_context(|| format!("--{name} precisa de um valor"))?;
            pairs.push((name.to_owned(), value.clone()));
        }
        Ok(Self(pairs))
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn number(&self, name: &str, default: usize) -> anyhow::Result<usize> {
        self.text(name).map_or(Ok(default), |v| v.parse().with_context(|| format!("--{name} {v}")))
    }
}

/// The server under load, on a free port, with its own data.
struct Server {
    child: Child,
    base: String,
    data_dir: PathBuf,
    database_url: String,
    /// A PostgreSQL database made for this run: (admin url, name), dropped at the end.
    postgres: Option<(String, String)>,
    /// How it was started, to start it again on the same data after a `kill -9`.
    binary: PathBuf,
    port: u16,
    env: Vec<(String, String)>,
}

impl Server {
    async fn start(postgres: Option<&str>) -> anyhow::Result<Self> {
        Self::start_with(postgres, &[]).await
    }

    async fn start_with(postgres: Option<&str>, env: &[(&str, String)]) -> anyhow::Result<Self> {
        Self::start_on(free_port()?, postgres, env).await
    }

    /// On `port`; `env` comes last: it may replace the defaults (the built-in sandbox, say).
    async fn start_on(port: u16, postgres: Option<&str>, env: &[(&str, String)]) -> anyhow::Result<Self> {
        let root = PathBuf::from(std::env::var("ATENDE_ROOT").unwrap_or_else(|_| ".".into()));
        let binary = root.join("target/release/atende");
        if !binary.exists() {
            bail!(
                "{} não existe: rode `cargo build --release -p atende-server --bin atende`",
                binary.display()
            );
        }
        let data_dir = std::env::temp_dir().join(format!("atende-bench-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&data_dir)?;
        let (database_url, postgres) = match postgres {
            Some(admin) => {
                sqlx::any::install_default_drivers();
                let name = format!("atende_bench_{}_{port}", std::process::id());
                let mut conn = sqlx::AnyConnection::connect(admin).await.context("PostgreSQL")?;
                conn.execute(format!("CREATE DATABASE {name}").as_str()).await?;
                let (server, _) = admin.rsplit_once('/').context("a URL com o nome do banco")?;
                (format!("{server}/{name}"), Some((admin.to_owned(), name)))
            }
            None => (format!("sqlite://{}?mode=rwc", data_dir.join("atende.db").display()), None),
        };
        let mut all_env: Vec<(String, String)> = vec![
            ("ATENDE_DATA_DIR".into(), data_dir.display().to_string()),
            (
                "ATENDE_DATABASE_URL".into(),
                if postgres.is_some() { database_url.clone() } else { String::new() },
            ),
            ("LEPTOS_SITE_ADDR".into(), format!("127.0.0.1:{port}")),
            ("LEPTOS_SITE_ROOT".into(), root.join("target/site").display().to_string()),
            ("ATENDE_ADMIN_EMAIL".into(), ADMIN_EMAIL.into()),
            ("ATENDE_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
            ("ATENDE_SANDBOX".into(), "on".into()),
            ("ATENDE_SANDBOX_APP_SECRET".into(), APP_SECRET.into()),
            ("RUST_LOG".into(), "warn".into()),
        ];
        all_env.extend(env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let child = Self::spawn(&binary, &all_env)?;
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data_dir,
            database_url,
            postgres,
            binary,
            port,
            env: all_env,
        };
        server.wait_until_ready().await?;
        Ok(server)
    }

    fn spawn(binary: &PathBuf, env: &[(String, String)]) -> anyhow::Result<Child> {
        let mut command = Command::new(binary);
        // Only what is set here: a provider configured in the caller's environment must not change the run
        // (or reach a real provider).
        command.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
        command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("iniciar {}", binary.display()))
    }

    async fn wait_until_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client.get(format!("{}/health", self.base)).send().await.is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("o servidor na porta {} não respondeu em 30 s", self.port)
    }

    /// `kill -9`, then the same binary again on the same data and port.
    async fn kill_and_restart(&mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        self.child = Self::spawn(&self.binary, &self.env)?;
        self.wait_until_ready().await
    }

    /// (current RSS, peak RSS) in MiB, from /proc.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// The server's database, through Atende's own store.
    async fn store(&self) -> anyhow::Result<atende_server::store::SqlStore> {
        let database = match &self.postgres {
            Some(_) => atende_server::Database::Postgres(self.database_url.clone()),
            None => atende_server::Database::Sqlite(self.data_dir.join("atende.db")),
        };
        atende_server::store::SqlStore::connect(&database).await
    }

    async fn database(&self) -> anyhow::Result<AnyPool> {
        sqlx::any::install_default_drivers();
        Ok(sqlx::any::AnyPoolOptions::new().max_connections(2).connect(&self.database_url).await?)
    }

    /// A client signed in as the admin (cookie and this site's Origin on every request).
    async fn signed_in(&self) -> anyhow::Result<reqwest::Client> {
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?
            .post(format!("{}/entrar", self.base))
            .header("Origin", &self.base)
            .form(&[("email", ADMIN_EMAIL), ("senha", ADMIN_PASSWORD)])
            .send()
            .await?;
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .context("entrar")?
            .to_owned();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cookie", cookie.parse()?);
        headers.insert("origin", self.base.parse()?);
        Ok(reqwest::Client::builder().default_headers(headers).build()?)
    }

    async fn stop(mut self) {
        self.kill();
        if let Some((admin, name)) = self.postgres.take() {
            if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
            }
        }
    }
}

impl Server {
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// A run that fails half-way leaves no server behind (its PostgreSQL database, if any, is left: dropping it
/// needs the runtime).
impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A flood of sign-ins (`--parallel`, default 1,000, all at once, with e-mails nobody has): how they are
/// answered, and the server's memory during the flood and 10 s after (target: under 200 MB). Argon2id
/// takes 19 MiB a password: unbounded, 250 at once took gigabytes.
async fn signin(options: &Options) -> anyhow::Result<()> {
    let parallel = options.number("parallel", 1_000)?;
    let server = Server::start(None).await?;
    let (idle, _) = server.memory();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(60))
        .build()?;
    let started = Instant::now();
    let attempts: Vec<_> = (0..parallel)
        .map(|i| {
            let client = client.clone();
            let base = server.base.clone();
            tokio::spawn(async move {
                let email = format!("ninguem{i}@bench.local");
                let sent = client
                    .post(format!("{base}/entrar"))
                    .header("Origin", &base)
                    .form(&[("email", email.as_str()), ("senha", "senha-errada")])
                    .send()
                    .await;
                sent.map(|r| r.status().as_u16()).unwrap_or(0)
            })
        })
        .collect();
    let mut peak: f64 = idle;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut pending = attempts;
    while !pending.is_empty() {
        peak = peak.max(server.memory().0);
        let (done, rest): (Vec<_>, Vec<_>) =
            pending.into_iter().partition(tokio::task::JoinHandle::is_finished);
        for attempt in done {
            *statuses.entry(attempt.await.unwrap_or(0)).or_default() += 1;
        }
        pending = rest;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (after, high_water) = server.memory();
    let answered: Vec<String> = statuses.iter().map(|(status, n)| format!("{n} × {status}")).collect();
    println!(
        "## signin: {parallel} at once in {:.1} s: {}; RSS idle {idle:.0} MiB, peak {peak:.0} MiB (VmHWM \
         {high_water:.0} MiB), 10 s after {after:.0} MiB (target < 200 MB)",
        took.as_secs_f64(),
        answered.join(", ")
    );
    server.stop().await;
    if high_water * 1.048_576 >= 200.0 {
        bail!("RSS reached {high_water:.0} MiB: over 200 MB");
    }
    Ok(())
}

/// A free port on loopback (bound, then released for the server to take).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// p50, p99 and max of `samples`, in milliseconds.
fn percentiles(samples: &mut [Duration]) -> (f64, f64, f64) {
    samples.sort_unstable();
    let at = |p: usize| {
        let index = (samples.len() * p / 100).min(samples.len().saturating_sub(1));
        samples.get(index).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    (at(50), at(99), samples.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0))
}

/// Runs `requests` calls of `call` over `concurrency` tasks; the latency of each.
async fn drive<F, Fut>(
    requests: usize,
    concurrency: usize,
    call: F,
) -> anyhow::Result<(Vec<Duration>, Duration)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let call = Arc::new(call);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (next, call) = (next.clone(), call.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= requests {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let sent = Instant::now();
                call(index).await?;
                latencies.push(sent.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(requests);
    for worker in workers {
        all.extend(worker.await??);
    }
    Ok((all, started.elapsed()))
}

fn webhook_body(run: i64, index: usize, contacts: usize) -> String {
    let contact = index % contacts.max(1);
    let number = format!("55119{contact:08}");
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "551140028922", "phone_number_id": PHONE_NUMBER_ID },
                    "contacts": [{ "profile": { "name": format!("Cliente {contact}") }, "wa_id": number }],
                    "messages": [{
                        "from": number,
                        "id": format!("wamid.BENCH.{run}.{index}"),
                        "timestamp": (run / 1000).to_string(),
                        "type": "text",
                        "text": { "body": format!("Mensagem {index} do cliente {contact}") }
                    }]
                }
            }]
        }]
    })
    .to_string()
}

/// Posts webhook `index` (`body`, signed with `signature`) to `url`; any answer but a success fails.
async fn post_webhook(
    client: &reqwest::Client,
    url: &str,
    body: String,
    signature: &str,
    index: usize,
) -> anyhow::Result<()> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("webhook {index}: {}", response.status());
    }
    Ok(())
}

async fn ingest(options: &Options) -> anyhow::Result<()> {
    let messages = options.number("messages", 20_000)?;
    let contacts = options.number("contacts", 2_000)?;
    let concurrency = options.number("concurrency", 64)?;
    let server = Server::start(options.text("postgres")).await?;
    let backend = if server.postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = server.memory();
    let run = epoch_millis();
    let bodies: Arc<Vec<(String, String)>> = Arc::new(
        (0..messages)
            .map(|i| {
                let body = webhook_body(run, i, contacts);
                let signature = signature_header(APP_SECRET.as_bytes(), body.as_bytes());
                (body, signature)
            })
            .collect(),
    );
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let url = format!("{}/webhooks/whatsapp", server.base);
    let (mut latencies, took) = drive(messages, concurrency, move |index| {
        let (client, url, bodies) = (client.clone(), url.clone(), bodies.clone());
        async move {
            let (body, signature) = &bodies[index];
            post_webhook(&client, &url, body.clone(), signature, index).await
        }
    })
    .await?;
    let acked_at = Instant::now();
    let database = server.database().await?;
    let pattern = format!("wamid.BENCH.{run}.%");
    let stored = loop {
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM message WHERE provider_message_id LIKE $1")
            .bind(&pattern)
            .fetch_one(&database)
            .await?
            .try_get("n")?;
        if usize::try_from(count).unwrap_or(0) >= messages || acked_at.elapsed() > Duration::from_secs(300) {
            break count;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let processed = took + acked_at.elapsed();
    let peak = server.memory();
    let (p50, p99, max) = percentiles(&mut latencies);
    println!(
        "## ingest ({backend}): {messages} webhooks from {contacts} contacts, {concurrency} connections"
    );
    println!("acknowledged: {:.0}/s ({:.2} s)", messages as f64 / took.as_secs_f64(), took.as_secs_f64());
    println!("ack latency: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms");
    println!(
        "stored: {stored} of {messages} messages after {:.2} s ({:.0}/s end to end)",
        processed.as_secs_f64(),
        stored as f64 / processed.as_secs_f64()
    );
    println!("server RSS: idle {:.1} MiB, peak {:.1} MiB", idle.0, peak.1);
    database.close().await;
    server.stop().await;
    if usize::try_from(stored).unwrap_or(0) != messages {
        bail!("{stored} mensagens guardadas de {messages}: alguma se perdeu");
    }
    Ok(())
}

/// A server on a fresh database (`--postgres` or SQLite) seeded with `conversations` conversations, each with a
/// contact of its own, and `messages` messages; signed in; and how many requests to make over how many
/// connections (`--requests`, `--concurrency`).
struct Seeded {
    server: Server,
    client: reqwest::Client,
    database: AnyPool,
    took: Duration,
    requests: usize,
    concurrency: usize,
    /// "SQLite" or "PostgreSQL", for the results' headings.
    store: &'static str,
}

async fn seeded(options: &Options, conversations: usize, messages: usize) -> anyhow::Result<Seeded> {
    let server = Server::start(options.text("postgres")).await?;
    let client = server.signed_in().await?;
    let database = server.database().await?;
    let seeding = Instant::now();
    seed(&database, conversations, messages).await?;
    Ok(Seeded {
        server,
        client,
        database,
        took: seeding.elapsed(),
        requests: options.number("requests", 300)?,
        concurrency: options.number("concurrency", 4)?,
        store: if options.text("postgres").is_some() { "PostgreSQL" } else { "SQLite" },
    })
}

async fn page(options: &Options) -> anyhow::Result<()> {
    let conversations = options.number("conversations", 10_000)?;
    let messages = options.number("messages", 200_000)?;
    let Seeded { server, client, database, took: seeded, requests, concurrency, store } =
        seeded(options, conversations, messages).await?;
    let idle = server.memory();
    let url = format!("{}/", server.base);
    let first = client.get(&url).send().await?.text().await?;
    let rows = first.matches("<li class=\"row").count();
    let deep_client = client.clone();
    let (mut latencies, took) = drive(requests, concurrency, move |_| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let response = client.get(&url).send().await?;
            if !response.status().is_success() {
                bail!("GET /: {}", response.status());
            }
            response.bytes().await?;
            Ok(())
        }
    })
    .await?;
    // A page deep in the list: the one after the row half-way down ("Carregar mais" far into it).
    let middle = sqlx::query(
        "SELECT updated_at, conversation_id FROM conversation ORDER BY updated_at DESC, conversation_id DESC \
         LIMIT 1 OFFSET $1",
    )
    .bind(i64::try_from(conversations / 2)?)
    .fetch_one(&database)
    .await?;
    let after =
        serde_json::json!({ "updated_at": middle.try_get::<i64, _>(0)?, "id": middle.try_get::<i64, _>(1)? });
    let deep_url = format!("{}/api/list_filtered", server.base);
    let body = serde_json::json!({ "tab": "Mine", "filter": {}, "after": after }).to_string();
    let (mut deep, _) = drive(requests, concurrency, move |_| {
        let (client, url, body) = (deep_client.clone(), deep_url.clone(), body.clone());
        async move {
            let response = client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await?;
            if !response.status().is_success() {
                bail!("list_filtered: {}", response.status());
            }
            let page: serde_json::Value = response.json().await?;
            if page["rows"].as_array().map_or(0, Vec::len) != atende_domain::listing::PAGE as usize {
                bail!("a página do meio não veio cheia: {page}");
            }
            Ok(())
        }
    })
    .await?;
    let peak = server.memory();
    let (p50, p99, max) = percentiles(&mut latencies);
    let (d50, d99, _) = percentiles(&mut deep);
    println!(
        "## first page load ({store}): {conversations} conversations, {messages} messages (seeded in {:.1} s)",
        seeded.as_secs_f64()
    );
    println!("GET / signed in: {} bytes of HTML, {rows} rows in \"Meus\"", first.len());
    if rows != atende_domain::listing::PAGE as usize {
        bail!("{rows} linhas na primeira página, e não {}", atende_domain::listing::PAGE);
    }
    println!(
        "{requests} requests over {concurrency} connections: {:.0} req/s; p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms",
        requests as f64 / took.as_secs_f64()
    );
    println!(
        "the page after row {} (list_filtered, JSON): p50 {d50:.1} ms, p99 {d99:.1} ms",
        conversations / 2
    );
    println!("server RSS: after seeding {:.1} MiB, peak {:.1} MiB", idle.0, peak.1);
    database.close().await;
    server.stop().await;
    Ok(())
}

/// What agents type in the Atendimentos search: each is asked of both searches the screen makes (contacts by
/// name or number, and "Busca" by message text), in turn.
const SEARCHES: [&str; 6] =
    ["boleto atrasado", "troca tamanho", "Cliente 4242", "552190004", "garantia", "pix"];

async fn search(options: &Options) -> anyhow::Result<()> {
    let contacts = options.number("contacts", 100_000)?;
    let messages = options.number("messages", 1_000_000)?;
    let Seeded { server, client, database, took: seeded, requests, concurrency, store } =
        seeded(options, contacts, messages).await?;
    println!(
        "## search ({store}): {contacts} contacts, {messages} messages (seeded in {:.1} s)",
        seeded.as_secs_f64()
    );
    for function in ["search_contacts", "search_messages"] {
        let url = format!("{}/api/{function}", server.base);
        // Each search twice first, not counted: the server's connections read the indexes' catalogs and
        // pages once (a server in use has them), and the first of each took up to 80 ms on PostgreSQL.
        let warm = (client.clone(), url.clone());
        measured(2 * SEARCHES.len(), move |i| {
            warm.0.post(&warm.1).form(&[("text", SEARCHES[i % SEARCHES.len()])])
        })
        .await?;
        let found = Arc::new(AtomicUsize::new(0));
        let counted = found.clone();
        let client = client.clone();
        let (mut latencies, took) = drive(requests, concurrency, move |i| {
            let (client, url, counted) = (client.clone(), url.clone(), counted.clone());
            async move {
                let response =
                    client.post(&url).form(&[("text", SEARCHES[i % SEARCHES.len()])]).send().await?;
                if !response.status().is_success() {
                    bail!("{url}: {}", response.status());
                }
                let hits: Vec<serde_json::Value> = response.json().await?;
                counted.fetch_add(hits.len(), Ordering::Relaxed);
                Ok(())
            }
        })
        .await?;
        let (p50, p99, max) = percentiles(&mut latencies);
        println!(
            "{function}: {requests} searches over {concurrency} connections ({:.0}/s), {:.1} results each: \
             p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms",
            requests as f64 / took.as_secs_f64(),
            found.load(Ordering::Relaxed) as f64 / requests as f64
        );
    }
    println!("server RSS: peak {:.1} MiB", server.memory().1);
    database.close().await;
    // `--keep yes` leaves a PostgreSQL database behind, to read the plans of its searches with psql.
    if options.text("keep").is_some() {
        println!("kept: {}", server.database_url);
        return Ok(());
    }
    server.stop().await;
    Ok(())
}

/// See the module's documentation.
async fn growth(options: &Options) -> anyhow::Result<()> {
    let sizes = options
        .text("sizes")
        .unwrap_or("10000,100000,1000000,4000000")
        .split(',')
        .map(|size| size.trim().parse::<usize>().with_context(|| format!("--sizes {size}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let requests = options.number("requests", 200)?;
    let webhooks = options.number("webhooks", 2_000)?;
    let store = if options.text("postgres").is_some() { "PostgreSQL" } else { "SQLite" };
    println!(
        "## growth ({store}): each size on a fresh database, a conversation (and a contact) for every 20 \
         messages; {requests} requests of each kind over 4 connections; then {webhooks} webhooks from new \
         numbers, 16 at a time, applied end to end"
    );
    println!(
        "| messages | conversations | seeded in | `GET /` p50 / p99 | search_contacts p50 / p99 | \
         search_messages p50 / p99 | conversation_view p50 / p99 | webhooks applied | RSS after seeding / peak |"
    );
    println!("|---:|---:|---:|---|---|---|---|---:|---|");
    for messages in sizes {
        let conversations = (messages / 20).max(1);
        let Seeded { server, client, database, took: seeded, .. } =
            seeded(options, conversations, messages).await?;
        let idle = server.memory();
        let base = server.base.clone();
        let page = measured(requests, {
            let (client, url) = (client.clone(), format!("{base}/"));
            move |_| client.get(&url)
        })
        .await?;
        let mut searches = Vec::new();
        for function in ["search_contacts", "search_messages"] {
            let (client, url) = (client.clone(), format!("{base}/api/{function}"));
            searches.push(
                measured(requests, move |i| {
                    client.post(&url).form(&[("text", SEARCHES[i % SEARCHES.len()])])
                })
                .await?,
            );
        }
        let ids: Vec<i64> = sqlx::query("SELECT conversation_id FROM conversation ORDER BY conversation_id")
            .fetch_all(&database)
            .await?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<_, _>>()?;
        let ids = Arc::new(ids);
        let opened = measured(requests, {
            let (client, url) = (client.clone(), format!("{base}/api/conversation_view"));
            move |i| {
                let id = ids[i.wrapping_mul(7_919) % ids.len()];
                client.post(&url).form(&[("conversation", id)])
            }
        })
        .await?;
        let applied = applied_rate(&server, &database, webhooks).await?;
        let peak = server.memory();
        let pair = |(p50, p99): (f64, f64)| format!("{p50:.1} / {p99:.1} ms");
        println!(
            "| {messages} | {conversations} | {:.1} s | {} | {} | {} | {} | {applied:.0}/s | {:.0} / {:.0} MiB |",
            seeded.as_secs_f64(),
            pair(page),
            pair(searches[0]),
            pair(searches[1]),
            pair(opened),
            idle.0,
            peak.1
        );
        database.close().await;
        server.stop().await;
    }
    Ok(())
}

/// p50 and p99 of `requests` requests built by `call`, over 4 connections; any answer but a success fails.
async fn measured<F>(requests: usize, call: F) -> anyhow::Result<(f64, f64)>
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let (mut latencies, _) = drive(requests, 4, move |i| {
        let request = call(i);
        async move {
            let response = request.send().await?;
            if !response.status().is_success() {
                bail!("{}", response.status());
            }
            response.bytes().await?;
            Ok(())
        }
    })
    .await?;
    let (p50, p99, _) = percentiles(&mut latencies);
    Ok((p50, p99))
}

/// `webhooks` signed messages, each from a number the server has not seen (a contact, a conversation and a
/// message to make), posted 16 at a time: how many a second were stored, from the first post until the last
/// was.
async fn applied_rate(server: &Server, database: &AnyPool, webhooks: usize) -> anyhow::Result<f64> {
    let last: i64 = sqlx::query("SELECT COALESCE(MAX(message_id), 0) FROM message")
        .fetch_one(database)
        .await?
        .try_get(0)?;
    let run = epoch_millis();
    let client = reqwest::Client::new();
    let url = format!("{}/webhooks/whatsapp", server.base);
    let started = Instant::now();
    drive(webhooks, 16, move |i| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let body = webhook_body(run, i, usize::MAX);
            let signature = signature_header(APP_SECRET.as_bytes(), body.as_bytes());
            post_webhook(&client, &url, body, &signature, i).await
        }
    })
    .await?;
    loop {
        let stored: i64 = sqlx::query("SELECT COUNT(*) FROM message WHERE message_id > $1")
            .bind(last)
            .fetch_one(database)
            .await?
            .try_get(0)?;
        if usize::try_from(stored)? >= webhooks {
            return Ok(webhooks as f64 / started.elapsed().as_secs_f64());
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("{stored} de {webhooks} mensagens guardadas em 300 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The contact writes through the sandbox's "Simulador de contato" (`hours_ago` 0 or 25).
async fn contact_writes(
    client: &reqwest::Client,
    base: &str,
    number: &str,
    text: &str,
    hours_ago: u8,
) -> anyhow::Result<()> {
    // The simulator is a browser form: like the console, it takes posts from its own site only.
    let response = client
        .post(format!("{base}/sandbox/simulador"))
        .header(reqwest::header::ORIGIN, base)
        .form(&[
            ("numero", number),
            ("nome", &format!("Cliente {number}")),
            ("texto", text),
            ("horas_atras", &hours_ago.to_string()),
            ("canal", "oficial"),
        ])
        .send()
        .await?;
    let page = response.text().await?;
    if !page.contains("Mensagem entregue ao Atende") {
        bail!("o simulador não entregou a mensagem de {number}");
    }
    Ok(())
}

/// The wall clock in milliseconds, as the server reads it ([`SystemClock`]).
fn epoch_millis() -> i64 {
    SystemClock.now().as_millis()
}

async fn dispatch(options: &Options) -> anyhow::Result<()> {
    use atende_server::store::queue::{Dispatch, NewOutbound};
    let rate = options.number("rate", 80)?;
    let conversations = options.number("conversations", 400)?;
    let per_conversation = options.number("per-conversation", 5)?;
    let total = conversations * per_conversation;
    let server =
        Server::start_with(options.text("postgres"), &[("ATENDE_WA_RATE", rate.to_string())]).await?;
    let client = reqwest::Client::new();
    let numbers: Arc<Vec<String>> = Arc::new((0..conversations).map(|i| format!("55319{i:08}")).collect());
    // Contacts whose window closed: what the agents write for them is held.
    let (base, list) = (server.base.clone(), numbers.clone());
    let writer = client.clone();
    drive(conversations, 16, move |i| {
        let (client, base, list) = (writer.clone(), base.clone(), list.clone());
        async move { contact_writes(&client, &base, &list[i], "Oi, ontem", 25).await }
    })
    .await?;
    let database = server.database().await?;
    // The simulator's webhooks are acknowledged at once and applied right after: wait for every conversation.
    let waiting = Instant::now();
    let rows = loop {
        let rows = sqlx::query(
            "SELECT c.conversation_id, c.channel_id, k.phone FROM conversation c \
             JOIN contact k ON k.contact_id = c.contact_id WHERE k.phone LIKE '55319%'",
        )
        .fetch_all(&database)
        .await?;
        if rows.len() >= conversations {
            break rows;
        }
        if waiting.elapsed() > Duration::from_secs(120) {
            bail!("{} conversas de {conversations}", rows.len());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let store = server.store().await?;
    let now = SystemClock.now();
    let mut by_phone = std::collections::HashMap::new();
    for row in &rows {
        let (conversation, channel, phone): (i64, i64, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        by_phone.insert(phone, conversation);
        for n in 0..per_conversation {
            let outbound = NewOutbound::text(conversation, channel, format!("Mensagem {n} na fila"));
            store.enqueue(&outbound, Dispatch::Hold, now).await?;
        }
    }
    // Every contact answers; the moment each answer was acknowledged, by conversation.
    let answered = Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
    let (base, list, record) = (server.base.clone(), numbers.clone(), answered.clone());
    let answering = Instant::now();
    // All at once (16 at a time), or one every `--answer-every-ms`: then, with the gap over the cap's interval,
    // nothing waits for the pacing and what is measured is the path from an answer to its first send.
    let gap = options.number("answer-every-ms", 0)?;
    drive(conversations, if gap > 0 { 1 } else { 16 }, move |i| {
        let (client, base, list, record) = (client.clone(), base.clone(), list.clone(), record.clone());
        async move {
            if gap > 0 {
                tokio::time::sleep_until((answering + Duration::from_millis((gap * i) as u64)).into()).await;
            }
            // The answer counts from the moment the contact sends it.
            let at = epoch_millis();
            contact_writes(&client, &base, &list[i], "Pode mandar", 0).await?;
            record.lock().map_err(|_| anyhow::anyhow!("lock"))?.insert(list[i].clone(), at);
            Ok(())
        }
    })
    .await?;
    let answers_took = answering.elapsed();
    let deadline = Instant::now() + Duration::from_secs(u64::try_from(total / rate.max(1))? * 3 + 60);
    loop {
        let done: i64 = sqlx::query(
            "SELECT COUNT(*) FROM message m JOIN conversation c ON c.conversation_id = m.conversation_id \
             JOIN contact k ON k.contact_id = c.contact_id \
             WHERE k.phone LIKE '55319%' AND m.direction = 'out' AND m.status IN ('sent', 'delivered', 'read', 'failed')",
        )
        .fetch_one(&database)
        .await?
        .try_get(0)?;
        if usize::try_from(done).unwrap_or(0) >= total || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent = sqlx::query(
        "SELECT k.phone, m.provider_at, m.status FROM message m JOIN conversation c ON c.conversation_id = m.conversation_id \
         JOIN contact k ON k.contact_id = c.contact_id WHERE k.phone LIKE '55319%' AND m.direction = 'out'",
    )
    .fetch_all(&database)
    .await?;
    let mut accepted = Vec::new();
    let mut first_by_phone: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let mut failed = 0;
    for row in &sent {
        let (phone, at, status): (String, Option<i64>, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if status == "failed" {
            failed += 1;
        }
        if let Some(at) = at {
            accepted.push(at);
            let first = first_by_phone.entry(phone).or_insert(at);
            *first = (*first).min(at);
        }
    }
    accepted.sort_unstable();
    let throttled: i64 =
        sqlx::query("SELECT COUNT(*) FROM outbound_job WHERE last_error LIKE '%130429%' OR attempts > 1")
            .fetch_one(&database)
            .await?
            .try_get(0)?;
    let answered = answered.lock().map_err(|_| anyhow::anyhow!("lock"))?.clone();
    let mut flush: Vec<Duration> = first_by_phone
        .iter()
        .filter_map(|(phone, first)| {
            let answer = answered.get(phone)?;
            Some(Duration::from_millis(u64::try_from(first - answer).unwrap_or(0)))
        })
        .collect();
    let (f50, f99, fmax) = percentiles(&mut flush);
    let span = match (accepted.first(), accepted.last()) {
        (Some(first), Some(last)) if last > first => (last - first) as f64 / 1000.0,
        _ => f64::NAN,
    };
    let achieved = (accepted.len().saturating_sub(1)) as f64 / span;
    let peak = server.memory();
    println!(
        "## dispatch at cap {rate}/s: {total} held messages in {conversations} conversations, released by the contacts' answers"
    );
    println!(
        "accepted by the sandbox: {} of {total} ({failed} failed); {achieved:.1} msg/s between the first and the last ({:+.1}% of the cap)",
        accepted.len(),
        (achieved / rate as f64 - 1.0) * 100.0
    );
    if let Some(first) = accepted.first() {
        // Accepted in each whole second from the first: where the rate held and where it fell short.
        let mut seconds = vec![0_usize; usize::try_from((accepted[accepted.len() - 1] - first) / 1000 + 1)?];
        for at in &accepted {
            seconds[usize::try_from((at - first) / 1000)?] += 1;
        }
        let seconds: Vec<String> = seconds.iter().map(ToString::to_string).collect();
        println!("accepted in each second: {}", seconds.join(" "));
    }
    println!("jobs retried or refused with 130429: {throttled}");
    println!("answer → first held message accepted ({} contacts): p50 {f50:.0} ms, p99 {f99:.0} ms, max {fmax:.0} ms (the answers took {:.1} s)", flush.len(), answers_took.as_secs_f64());
    println!("server RSS: peak {:.1} MiB", peak.1);
    database.close().await;
    server.stop().await;
    if accepted.len() != total {
        bail!("{} de {total} mensagens aceitas", accepted.len());
    }
    Ok(())
}

/// The words the seeded messages are made of (three each, and a number), so a search finds some and not all.
const WORDS: [&str; 23] = [
    "boleto",
    "atrasado",
    "pedido",
    "entrega",
    "troca",
    "tamanho",
    "pix",
    "nota",
    "fiscal",
    "cancelamento",
    "garantia",
    "frete",
    "cupom",
    "desconto",
    "endereco",
    "obrigado",
    "bom",
    "dia",
    "quando",
    "chega",
    "cor",
    "devolucao",
    "reembolso",
];

/// Contacts, their conversations (assigned to the admin, in the sandbox's official channel, team Geral) and
/// their messages, inserted in bulk.
async fn seed(database: &AnyPool, conversations: usize, messages: usize) -> anyhow::Result<()> {
    let one = |sql: &'static str| async move {
        sqlx::query(sql).fetch_one(database).await?.try_get::<i64, _>(0).map_err(anyhow::Error::from)
    };
    let admin = one("SELECT agent_id FROM agent ORDER BY agent_id LIMIT 1").await?;
    let team = one("SELECT team_id FROM team WHERE name = 'Geral'").await?;
    let channel =
        one("SELECT channel_id FROM channel WHERE kind = 'whatsapp_official' ORDER BY channel_id LIMIT 1")
            .await?;
    let now = epoch_millis();
    const CHUNK: usize = 500;
    let mut tx = database.begin().await?;
    for start in (0..conversations).step_by(CHUNK) {
        let end = (start + CHUNK).min(conversations);
        let mut sql = String::from("INSERT INTO contact (name, name_folded, phone, created_at) VALUES ");
        for (n, i) in (start..end).enumerate() {
            if n > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("('Cliente {i}', 'cliente {i}', '55219{i:08}', {now})"));
        }
        tx.execute(sql.as_str()).await?;
    }
    let first_contact: i64 = sqlx::query("SELECT MIN(contact_id) FROM contact WHERE phone LIKE '55219%'")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    for start in (0..conversations).step_by(CHUNK) {
        let end = (start + CHUNK).min(conversations);
        let mut sql = String::from(
            "INSERT INTO conversation (contact_id, channel, status, last_message, last_inbound_at, created_at, \
             updated_at, channel_id, team_id, assignee_id) VALUES ",
        );
        for (n, i) in (start..end).enumerate() {
            if n > 0 {
                sql.push(',');
            }
            let at = now - i64::try_from(i)? * 1000;
            let contact = first_contact + i64::try_from(i)?;
            sql.push_str(&format!(
                "({contact}, 'whatsapp_official', 'open', 'Mensagem do cliente {i}', {at}, {at}, {at}, \
                 {channel}, {team}, {admin})"
            ));
        }
        tx.execute(sql.as_str()).await?;
    }
    let first_conversation: i64 =
        sqlx::query("SELECT MIN(conversation_id) FROM conversation WHERE contact_id >= $1")
            .bind(first_contact)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
    for start in (0..messages).step_by(CHUNK) {
        let end = (start + CHUNK).min(messages);
        let mut sql = String::from(
            "INSERT INTO message (conversation_id, direction, kind, body, detail, provider_message_id, status, \
             status_rank, created_at, provider_at) VALUES ",
        );
        for (n, i) in (start..end).enumerate() {
            if n > 0 {
                sql.push(',');
            }
            let conversation = first_conversation + i64::try_from(i % conversations.max(1))?;
            let at = now - i64::try_from(messages - i)?;
            let body = format!(
                "{} {} {} {i}",
                WORDS[i % WORDS.len()],
                WORDS[(i / 7) % WORDS.len()],
                WORDS[(i / 49) % WORDS.len()]
            );
            sql.push_str(&format!(
                "({conversation}, 'in', 'text', '{body}', '{{}}', 'wamid.SEED.{i}', 'received', 0, {at}, {at})"
            ));
        }
        tx.execute(sql.as_str()).await?;
    }
    tx.commit().await?;
    // The planner's statistics, as a database in use has them (PostgreSQL's autovacuum gathers them a while
    // after a bulk load; measured before that, a page of 10,000 conversations took 23 ms, not 3).
    database.execute("ANALYZE").await?;
    Ok(())
}

/// See the module's documentation.
async fn kill(options: &Options) -> anyhow::Result<()> {
    use atende_server::sandbox::{SandboxConfig, SandboxState, SimulatedContent, SimulatedInbound};
    use atende_server::store::queue::{Dispatch, NewOutbound};
    let messages = options.number("messages", 10_000)?;
    let webhooks = options.number("webhooks", 10_000)?;
    let contacts = options.number("contacts", 1_000)?.max(1);
    let kills = options.number("kills", 5)?;
    let mut seed: u64 = match options.text("seed") {
        Some(seed) => seed.parse().context("--seed")?,
        None => u64::try_from(epoch_millis()).unwrap_or(1),
    };
    println!("## kill -9 during dispatch and ingest (--seed {seed})");
    let mut next = move |below: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % below.max(1)
    };
    // Meta, outside the server: it takes the sends, reports their statuses and retries every webhook until
    // a server acknowledges it.
    let port = free_port()?;
    let token = "token-do-bench".to_owned();
    let sandbox = SandboxState::new(SandboxConfig {
        webhook_url: format!("http://127.0.0.1:{port}/webhooks/whatsapp"),
        app_secret: APP_SECRET.into(),
        access_token: token.clone(),
        status_delay: Duration::from_millis(200),
        webhook_retry_for: Duration::from_secs(1_800),
        rate_limit_per_second: 0,
        pair_burst: 0,
        ..SandboxConfig::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let graph = format!("http://{}/sandbox/graph/v23.0", listener.local_addr()?);
    let router = axum::Router::new().nest("/sandbox", atende_server::sandbox::router(sandbox.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let config = sandbox.config().clone();
    let mut server = Server::start_on(
        port,
        options.text("postgres"),
        &[
            ("ATENDE_SANDBOX", "off".into()),
            ("ATENDE_WA_GRAPH_URL", graph),
            ("ATENDE_WA_TOKEN", token),
            ("ATENDE_WA_PHONE_NUMBER_ID", config.phone_number_id.clone()),
            ("ATENDE_WA_WABA_ID", config.waba_id.clone()),
            ("ATENDE_META_APP_SECRET", APP_SECRET.into()),
            ("ATENDE_META_VERIFY_TOKEN", "verifica".into()),
            ("ATENDE_SEND_LEASE_SECONDS", "10".into()),
            ("ATENDE_WA_RATE", "1000".into()),
            ("ATENDE_WA_PAIR_BURST", "1000".into()),
        ],
    )
    .await?;
    let started = Instant::now();
    let numbers: Arc<Vec<String>> = Arc::new((0..contacts).map(|i| format!("55319{i:08}")).collect());
    // Each contact wrote 25 hours ago: their window is closed and what agents write is held.
    let (list, writer) = (numbers.clone(), sandbox.clone());
    drive(contacts, 32, move |i| {
        let (list, sandbox) = (list.clone(), writer.clone());
        async move {
            let inbound = SimulatedInbound {
                number: list[i].clone(),
                name: format!("Cliente {i}"),
                content: SimulatedContent::Text("Oi, ontem".into()),
            };
            sandbox.simulate_inbound_at(inbound, 25 * 3600).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            Ok(())
        }
    })
    .await?;
    let database = server.database().await?;
    let conversations = wait_for_conversations(&database, contacts).await?;
    let store = server.store().await?;
    let now = SystemClock.now();
    let mut expected: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for n in 0..messages {
        let (phone, conversation, channel) = &conversations[n % contacts];
        let body = format!("{conversation}:{n}");
        let outbound = NewOutbound::text(*conversation, *channel, body.clone());
        store.enqueue(&outbound, Dispatch::Hold, now).await?;
        expected.entry(phone.clone()).or_default().push(body);
    }
    store.close().await;
    println!(
        "{messages} messages held for {contacts} contacts after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The contacts write; their first answer releases what was held for them. The sandbox retries each
    // webhook until a server acknowledges it.
    let (list, writer) = (numbers.clone(), sandbox.clone());
    let writing = tokio::spawn(drive(webhooks, 32, move |i| {
        let (list, sandbox) = (list.clone(), writer.clone());
        async move {
            let inbound = SimulatedInbound {
                number: list[i % list.len()].clone(),
                name: format!("Cliente {}", i % list.len()),
                content: SimulatedContent::Text(format!("entrada {i}")),
            };
            sandbox.simulate_inbound(inbound).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            Ok(())
        }
    }));
    let mut killed = 0;
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(300 + next(2_000))).await;
        // Only while a send is on its way (claimed, not yet answered), so each kill leaves a lease to recover.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let in_flight: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM outbound_job WHERE state = 'in_flight'")
                    .fetch_one(&database)
                    .await
                    .map_or(0, |row| row.try_get("n").unwrap_or(0));
            if in_flight > 0 || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill_and_restart().await?;
        killed += 1;
        println!("kill -9 number {killed} after {:.1} s; started again", started.elapsed().as_secs_f64());
    }
    writing.await??;
    // Everything arrives in the end: every held message sent, every message of the contacts stored.
    let deadline = Instant::now() + Duration::from_secs(600);
    let (sent, stored) = loop {
        let sent: i64 = sqlx::query(
            "SELECT COUNT(*) FROM message WHERE direction = 'out' AND status IN ('sent', 'delivered', 'read')",
        )
        .fetch_one(&database)
        .await?
        .try_get(0)?;
        let stored: i64 =
            sqlx::query("SELECT COUNT(*) FROM message WHERE direction = 'in' AND body LIKE 'entrada %'")
                .fetch_one(&database)
                .await?
                .try_get(0)?;
        let done = usize::try_from(sent)? >= messages && usize::try_from(stored)? >= webhooks;
        if done || Instant::now() > deadline {
            break (sent, stored);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let took = started.elapsed();
    let recovered: i64 = sqlx::query("SELECT COUNT(*) FROM outbound_job WHERE attempts > 1")
        .fetch_one(&database)
        .await?
        .try_get(0)?;
    let distinct: i64 = sqlx::query(
        "SELECT COUNT(DISTINCT body) FROM message WHERE direction = 'in' AND body LIKE 'entrada %'",
    )
    .fetch_one(&database)
    .await?
    .try_get(0)?;
    let mut received: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for message in sandbox.sent_messages().await {
        received.entry(message.to).or_default().push(message.summary);
    }
    let mut wrong = Vec::new();
    for (phone, bodies) in &expected {
        let got = received.get(phone).map(Vec::as_slice).unwrap_or_default();
        if got != bodies.as_slice() {
            wrong.push(format!("{phone}: esperadas {} mensagens, recebeu {got:?}", bodies.len()));
        }
    }
    let delivered: usize = received.values().map(Vec::len).sum();
    println!("killed {killed} times; everything settled after {:.1} s", took.as_secs_f64());
    println!(
        "held messages: {sent} of {messages} sent; the sandbox received {delivered} ({} contacts with a wrong \
         sequence); {recovered} jobs were claimed more than once (leases recovered after a kill)",
        wrong.len()
    );
    println!("contact messages: {stored} stored for {webhooks} written ({distinct} distinct)");
    database.close().await;
    server.stop().await;
    if let Some(first) = wrong.first() {
        bail!("{} contatos receberam algo diferente do esperado; o primeiro: {first}", wrong.len());
    }
    if delivered != messages || usize::try_from(sent)? != messages {
        bail!("{delivered} mensagens entregues e {sent} marcadas como enviadas, de {messages}");
    }
    if usize::try_from(stored)? != webhooks || usize::try_from(distinct)? != webhooks {
        bail!("{stored} mensagens de contatos guardadas ({distinct} distintas), de {webhooks}");
    }
    Ok(())
}

/// Waits until `contacts` conversations exist: (phone, conversation, channel) of each, in the order of the
/// bench's numbers.
async fn wait_for_conversations(
    database: &AnyPool,
    contacts: usize,
) -> anyhow::Result<Vec<(String, i64, i64)>> {
    let waiting = Instant::now();
    loop {
        let rows = sqlx::query(
            "SELECT k.phone, c.conversation_id, c.channel_id FROM conversation c \
             JOIN contact k ON k.contact_id = c.contact_id WHERE k.phone LIKE '55319%' ORDER BY k.phone",
        )
        .fetch_all(database)
        .await?;
        if rows.len() >= contacts {
            return rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))).collect();
        }
        if waiting.elapsed() > Duration::from_secs(120) {
            bail!("{} conversas de {contacts}", rows.len());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
