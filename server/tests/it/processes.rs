//! Atende as real processes: killed with SIGKILL in the middle of a send and started again, and two instances
//! side by side on one PostgreSQL database. A sandbox in this test process plays Meta (it outlives the
//! killed server and retries its webhooks, as Meta does), so what reached the contact is counted outside
//! Atende.

use crate::common::TestDb;
use atende_domain::conversation::Tab;
use atende_domain::ports::Store;
use atende_server::sandbox::{self, Fault, SandboxConfig, SandboxState, SimulatedContent, SimulatedInbound};
use atende_server::store::SqlStore;
use atende_server::Database;
use axum::Router;
use sqlx::{Connection, Row};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const TOKEN: &str = "token-de-teste";
const SECRET: &str = "segredo-de-teste";

/// A free port on loopback (bound, then released for the child to take).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

/// The sandbox over HTTP, sending its webhooks to `atende_port` and retrying them for a while.
async fn sandbox_for(atende_port: u16) -> (SandboxState, String) {
    let config = SandboxConfig {
        webhook_url: format!("http://127.0.0.1:{atende_port}/webhooks/whatsapp"),
        app_secret: SECRET.into(),
        access_token: TOKEN.into(),
        status_delay: Duration::from_millis(300),
        webhook_retry_for: Duration::from_secs(30),
        rate_limit_per_second: 0,
        pair_burst: 0,
        ..SandboxConfig::default()
    };
    let sandbox = SandboxState::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("bound");
    let router = Router::new().nest("/sandbox", sandbox::router(sandbox.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sandbox, format!("http://{address}/sandbox/graph/v23.0"))
}

/// One `atende` process, killed when dropped.
struct Server {
    child: Child,
    base: String,
    /// Signed in as the admin.
    client: reqwest::Client,
}

impl Server {
    async fn start(
        port: u16,
        database: &Database,
        graph_url: &str,
        sandbox: &SandboxState,
        dir: &Path,
    ) -> Self {
        Self::start_with(port, database, graph_url, sandbox, dir, &[]).await
    }

    /// With `env` on top of the usual settings.
    async fn start_with(
        port: u16,
        database: &Database,
        graph_url: &str,
        sandbox: &SandboxState,
        dir: &Path,
        env: &[(&str, &str)],
    ) -> Self {
        Self::start_limited(port, database, graph_url, sandbox, dir, env, None).await
    }

    /// With at most `files` open file descriptors (`prlimit`), when given.
    async fn start_limited(
        port: u16,
        database: &Database,
        graph_url: &str,
        sandbox: &SandboxState,
        dir: &Path,
        env: &[(&str, &str)],
        files: Option<u32>,
    ) -> Self {
        let site = dir.join("site");
        std::fs::create_dir_all(site.join("pkg")).expect("site dir");
        let config = sandbox.config();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("atende-{port}.log")))
            .expect("log file");
        let mut command = match files {
            Some(files) => {
                let mut limited = Command::new("prlimit");
                limited.arg(format!("--nofile={files}:{files}")).arg("--").arg(env!("CARGO_BIN_EXE_atende"));
                limited
            }
            None => Command::new(env!("CARGO_BIN_EXE_atende")),
        };
        let child = command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("ATENDE_DATABASE_URL", database.url())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", &site)
            // Its files (the media store) in the test's folder, kept across a restart.
            .env("ATENDE_DATA_DIR", dir)
            .env("ATENDE_SANDBOX", "off")
            .env("ATENDE_WA_GRAPH_URL", graph_url)
            .env("ATENDE_WA_TOKEN", TOKEN)
            .env("ATENDE_WA_PHONE_NUMBER_ID", &config.phone_number_id)
            .env("ATENDE_WA_WABA_ID", &config.waba_id)
            .env("ATENDE_META_APP_SECRET", SECRET)
            .env("ATENDE_META_VERIFY_TOKEN", "verifica")
            .env("ATENDE_SEND_LEASE_SECONDS", "10")
            .env("ATENDE_WA_PAIR_BURST", "100")
            .env("RUST_LOG", "info")
            .env("ATENDE_ADMIN_EMAIL", crate::common::ADMIN_EMAIL)
            .env("ATENDE_ADMIN_PASSWORD", crate::common::ADMIN_PASSWORD)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("atende starts");
        let mut server =
            Self { child, base: format!("http://127.0.0.1:{port}"), client: crate::common::client() };
        for _ in 0..200 {
            if let Ok(response) = server.client.get(format!("{}/health", server.base)).send().await {
                if response.status().is_success() {
                    server.client = crate::common::sign_in(
                        &server.base,
                        crate::common::ADMIN_EMAIL,
                        crate::common::ADMIN_PASSWORD,
                    )
                    .await;
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("atende did not answer /health on port {port}; see {}", dir.display());
    }

    /// SIGTERM, then waits up to 15 s for a clean exit.
    async fn terminate(&mut self) {
        self.signal_term();
        self.exits_within(Duration::from_secs(15)).await;
    }

    fn signal_term(&self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM").success());
    }

    /// Waits up to `most` for the process to exit, and for that exit to be a clean one.
    async fn exits_within(&mut self, most: Duration) {
        let until = std::time::Instant::now() + most;
        while std::time::Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "exited with {status}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not exit within {most:?} of SIGTERM");
    }

    /// SIGKILL: no shutdown, no cleanup, whatever was in flight stays in flight.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// A file from the agent's computer, as the console sends it.
    async fn send_file(&self, conversation: i64, name: &str, mime: &str, bytes: &[u8]) {
        let url = format!("{}/midia/enviar/{conversation}", self.base);
        let request = crate::upload::file_request(&self.client, &url, name, mime, bytes);
        let response = request.send().await.expect("POST");
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    }

    async fn send(&self, conversation: i64, text: &str) {
        let response = self
            .client
            .post(format!("{}/api/send_message", self.base))
            .form(&[("conversation", conversation.to_string()), ("text", text.to_owned())])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The contact writes (through the sandbox, to whichever instance receives webhooks); returns the id of
/// their conversation once Atende has it.
async fn contact_writes(sandbox: &SandboxState, store: &SqlStore, number: &str, name: &str) -> i64 {
    sandbox
        .simulate_inbound(SimulatedInbound {
            number: number.into(),
            name: name.into(),
            content: SimulatedContent::Text("Oi".into()),
        })
        .await
        .expect("the webhook reached Atende");
    crate::common::eventually(&format!("a conversation with {name}"), || async {
        let conversations = store.list_conversations(Tab::All).await.ok()?;
        conversations.into_iter().find(|c| c.contact_name.as_str() == name).map(|c| c.id.0)
    })
    .await
}

/// What reached each contact, in order, by `wa_id`.
async fn received(sandbox: &SandboxState) -> BTreeMap<String, Vec<String>> {
    let mut by_contact: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for message in sandbox.sent_messages().await {
        by_contact.entry(message.wa_id).or_default().push(message.summary);
    }
    by_contact
}

/// Waits (up to `seconds`) until every outbound message of the database is sent or beyond.
async fn all_sent(store: &SqlStore, conversations: &[i64], expected: usize, seconds: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let mut done = 0;
        let mut pending = Vec::new();
        for conversation in conversations {
            let messages = store.conversation_messages(*conversation).await.expect("messages");
            for (_direction, _kind, body, status) in messages.into_iter().filter(|m| m.0 == "out") {
                if ["sent", "delivered", "read"].contains(&status.as_str()) {
                    done += 1;
                } else {
                    pending.push((body, status));
                }
            }
        }
        if done == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {done} of {expected} sent; pending {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_send_and_started_again_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = Database::Sqlite(dir.path().join("atende.db"));
    let port = free_port();
    let (sandbox, graph_url) = sandbox_for(port).await;
    let server = Server::start(port, &database, &graph_url, &sandbox, dir.path()).await;
    let store = SqlStore::connect(&database).await.expect("the same database");
    let conversation = contact_writes(&sandbox, &store, "5511987654321", "Maria").await;

    server.send(conversation, "um").await;
    server.send(conversation, "dois").await;
    crate::common::eventually("two sends reached Meta", || async {
        (sandbox.sent_messages().await.len() == 2).then_some(())
    })
    .await;
    // Meta takes "três" but the server dies before it hears so; "quatro" and "cinco" are still queued.
    sandbox.inject_fault(Fault::LoseAnswer { seconds: Some(30) }, 1).await;
    server.send(conversation, "três").await;
    server.send(conversation, "quatro").await;
    server.send(conversation, "cinco").await;
    crate::common::eventually("Meta took três", || async {
        (sandbox.sent_messages().await.len() == 3).then_some(())
    })
    .await;
    server.kill();

    // Meta's "sent" webhook for "três" finds no server; it is retried until the new process answers.
    let server = Server::start(port, &database, &graph_url, &sandbox, dir.path()).await;
    all_sent(&store, &[conversation], 5, 40).await;
    let received = received(&sandbox).await;
    assert_eq!(received["5511987654321"], ["um", "dois", "três", "quatro", "cinco"]);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_a_files_upload_or_before_its_answer_sends_it_once_in_order() {
    use base64::Engine as _;
    use sha2::Digest;
    let dir = tempfile::tempdir().expect("temp dir");
    let database = Database::Sqlite(dir.path().join("atende.db"));
    let port = free_port();
    let (sandbox, graph_url) = sandbox_for(port).await;
    // A file send owns its job for 3 s here (15 minutes by default): the restarted server takes it back soon.
    let env = [("ATENDE_FILE_SEND_LEASE_SECONDS", "3")];
    let server = Server::start_with(port, &database, &graph_url, &sandbox, dir.path(), &env).await;
    let store = SqlStore::connect(&database).await.expect("the same database");
    let conversation = contact_writes(&sandbox, &store, "5511987650099", "Joana").await;
    let photo = crate::media::PNG;
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".as_slice();

    // The photo's upload hangs: the server dies with the file on its way to Meta, before any send.
    sandbox.inject_fault(Fault::Timeout { seconds: Some(30) }, 1).await;
    server.send_file(conversation, "foto.png", "image/png", photo).await;
    server.send(conversation, "depois da foto").await;
    crate::common::eventually("the upload started", || async {
        (sandbox.faults_left().await == 0).then_some(())
    })
    .await;
    server.kill();
    assert!(sandbox.sent_messages().await.is_empty(), "nothing reached the contact");

    // Started again: the photo goes (uploaded anew), then the text, once each and in order. Then a PDF whose
    // send Meta takes but whose answer is lost as the server dies again: its status webhook says it left.
    let server = Server::start_with(port, &database, &graph_url, &sandbox, dir.path(), &env).await;
    all_sent(&store, &[conversation], 2, 40).await;
    sandbox.inject_fault(Fault::LoseAnswer { seconds: Some(30) }, 1).await;
    server.send_file(conversation, "nota.pdf", "application/pdf", pdf).await;
    crate::common::eventually("Meta took the PDF", || async {
        (sandbox.sent_messages().await.len() == 3).then_some(())
    })
    .await;
    server.kill();
    let server = Server::start_with(port, &database, &graph_url, &sandbox, dir.path(), &env).await;
    all_sent(&store, &[conversation], 3, 40).await;
    // A moment past the file's lease: nothing more leaves.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let sent = sandbox.sent_messages().await;
    let kinds: Vec<&str> = sent.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["image", "text", "document"], "once each, in order");
    let digest = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes));
    assert_eq!(sent[0].media, Some((digest(photo), "image/png".to_owned())), "the photo's own bytes");
    assert_eq!(sent[2].media, Some((digest(pdf), "application/pdf".to_owned())));
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_database_send_each_message_once_in_order() {
    let Some(db) = TestDb::postgres().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let (first_port, second_port) = (free_port(), free_port());
    let (sandbox, graph_url) = sandbox_for(first_port).await;
    let first = Server::start(first_port, &db.database, &graph_url, &sandbox, dir.path()).await;
    let second = Server::start(second_port, &db.database, &graph_url, &sandbox, dir.path()).await;
    let store = db.store().await;
    let numbers = ["5511911112222", "5521922223333", "5531933334444"];
    let mut conversations = Vec::new();
    for (i, number) in numbers.iter().enumerate() {
        conversations.push(contact_writes(&sandbox, &store, number, &format!("Cliente {i}")).await);
    }
    // Each conversation's messages are written alternately through both instances; both workers claim.
    const PER_CONVERSATION: usize = 12;
    for n in 0..PER_CONVERSATION {
        for (i, conversation) in conversations.iter().enumerate() {
            let server = if (n + i) % 2 == 0 { &first } else { &second };
            server.send(*conversation, &format!("c{i} m{n:02}")).await;
        }
    }
    all_sent(&store, &conversations, numbers.len() * PER_CONVERSATION, 60).await;
    let received = received(&sandbox).await;
    for (i, number) in numbers.iter().enumerate() {
        let expected: Vec<String> = (0..PER_CONVERSATION).map(|n| format!("c{i} m{n:02}")).collect();
        assert_eq!(received[*number], expected, "conversation {i}: once each, in order");
    }
    drop((first, second));
    store.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_asked_to_stop_with_live_streams_open_ends_them_and_exits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = Database::Sqlite(dir.path().join("atende.db"));
    let port = free_port();
    let (sandbox, graph_url) = sandbox_for(port).await;
    let mut server = Server::start(port, &database, &graph_url, &sandbox, dir.path()).await;
    let mut stream =
        server.client.get(format!("{}/eventos", server.base)).send().await.expect("GET /eventos");
    assert_eq!(stream.status(), 200);
    let first = stream.chunk().await.expect("readable").expect("the ready event");
    assert!(String::from_utf8_lossy(&first).contains("event: ready"));
    // SIGTERM, as a service manager stops it: the open stream ends and the process exits on its own.
    server.signal_term();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the live stream was not ended by the shutdown");
    server.exits_within(Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_asked_to_stop_mid_send_records_the_answer_before_it_exits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = Database::Sqlite(dir.path().join("atende.db"));
    let port = free_port();
    let (sandbox, graph_url) = sandbox_for(port).await;
    let mut server = Server::start(port, &database, &graph_url, &sandbox, dir.path()).await;
    let store = SqlStore::connect(&database).await.expect("the same database");
    let conversation = contact_writes(&sandbox, &store, "5511987654321", "Maria").await;
    // Meta takes the message and answers only 2 s later; the server is asked to stop meanwhile.
    sandbox.inject_fault(Fault::SlowAnswer { seconds: Some(2) }, 1).await;
    server.send(conversation, "um").await;
    crate::common::eventually("Meta took the message", || async {
        (sandbox.sent_messages().await.len() == 1).then_some(())
    })
    .await;
    server.terminate().await;
    // The answer was recorded before the exit: no lease left to run out, nothing to send again.
    let jobs = sqlx::query("SELECT state FROM outbound_job")
        .fetch_all(&mut sqlx::AnyConnection::connect(&database.url()).await.expect("connect"))
        .await
        .expect("jobs");
    let states: Vec<String> = jobs.iter().map(|row| row.try_get("state").expect("state")).collect();
    assert_eq!(states, ["done"]);
    let messages = store.conversation_messages(conversation).await.expect("messages");
    assert!(messages.iter().any(|(direction, _, body, status)| direction == "out"
        && body.as_deref() == Some("um")
        && status != "queued"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_asked_to_stop_puts_back_at_once_what_it_claimed_and_had_not_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = Database::Sqlite(dir.path().join("atende.db"));
    let port = free_port();
    let (sandbox, graph_url) = sandbox_for(port).await;
    // One send waiting for Meta at a time: while Meta is slow to answer Maria's message, João's is claimed
    // and waits for its turn.
    let env = [("ATENDE_SEND_WORKERS", "1")];
    let mut server = Server::start_with(port, &database, &graph_url, &sandbox, dir.path(), &env).await;
    let store = SqlStore::connect(&database).await.expect("the same database");
    let maria = contact_writes(&sandbox, &store, "5511987654321", "Maria").await;
    let joao = contact_writes(&sandbox, &store, "5511912345678", "João").await;
    sandbox.inject_fault(Fault::SlowAnswer { seconds: Some(3) }, 1).await;
    server.send(maria, "um").await;
    crate::common::eventually("Meta took Maria's message", || async {
        (sandbox.sent_messages().await.len() == 1).then_some(())
    })
    .await;
    server.send(joao, "dois").await;
    let mut conn = sqlx::AnyConnection::connect(&database.url()).await.expect("connect");
    let jobs = "SELECT m.body, j.state, j.attempts, j.lease_until FROM outbound_job j \
                JOIN message m ON m.message_id = j.message_id ORDER BY j.outbound_job_id";
    crate::common::eventually("João's message claimed behind Maria's", || async {
        let rows = sqlx::query(jobs)
            .fetch_all(&mut sqlx::AnyConnection::connect(&database.url()).await.ok()?)
            .await
            .ok()?;
        let states: Vec<String> = rows.iter().map(|row| row.try_get("state").expect("state")).collect();
        (states == ["in_flight", "in_flight"]).then_some(())
    })
    .await;
    server.terminate().await;
    let rows = sqlx::query(jobs).fetch_all(&mut conn).await.expect("jobs");
    let jobs: Vec<(String, String, i64, Option<i64>)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get(0).expect("body"),
                row.try_get(1).expect("state"),
                row.try_get(2).expect("attempts"),
                row.try_get(3).expect("lease"),
            )
        })
        .collect();
    // Maria's was answered and recorded; João's is ready for the next start, not held by a lease, and the
    // claim that never sent it is not counted as an attempt.
    assert_eq!(
        jobs,
        [("um".to_owned(), "done".to_owned(), 1, None), ("dois".to_owned(), "ready".to_owned(), 0, None)]
    );
    assert_eq!(sandbox.sent_messages().await.len(), 1, "João's message did not leave");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_at_random_points_while_sending_and_receiving_loses_and_duplicates_nothing() {
    use atende_server::store::queue::{Dispatch, NewOutbound};
    const CONTACTS: usize = 10;
    const EACH: usize = 12;
    const INBOUND: usize = 40;
    const KILLS: usize = 3;
    // The kill points come from the clock; the seed is printed so a failing run can be replayed.
    let mut seed = std::env::var("ATENDE_KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    eprintln!("kill points from ATENDE_KILL_SEED={seed}");
    let mut next = move |below: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % below
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let database = Database::Sqlite(dir.path().join("atende.db"));
    let port = free_port();
    let (sandbox, graph_url) = sandbox_for(port).await;
    let mut server = Server::start(port, &database, &graph_url, &sandbox, dir.path()).await;
    let store = SqlStore::connect(&database).await.expect("the same database");
    let channel = store
        .channel_id_by_provider(
            atende_domain::conversation::ChannelKind::WhatsappOfficial,
            &sandbox.config().phone_number_id,
        )
        .await
        .expect("lookup")
        .expect("the official channel");
    let mut conversations = Vec::new();
    for i in 0..CONTACTS {
        conversations.push(
            contact_writes(&sandbox, &store, &format!("55119870000{i:02}"), &format!("Cliente {i}")).await,
        );
    }
    // Now and then Meta takes a send but its answer is lost for 2 s: a send in flight for the killer to hit.
    for n in 0..CONTACTS * EACH {
        let fault = if n % 4 == 3 { Fault::LoseAnswer { seconds: Some(2) } } else { Fault::Pass };
        sandbox.inject_fault(fault, 1).await;
    }
    // Every message is queued at once; the server sends them while it is being killed.
    let now = atende_domain::ports::Clock::now(&atende_server::SystemClock);
    for n in 0..EACH {
        for conversation in &conversations {
            let outbound = NewOutbound::text(*conversation, channel, format!("{conversation}:{n}"));
            store.enqueue(&outbound, Dispatch::Now, now).await.expect("queued");
        }
    }
    // Meanwhile contacts keep writing; the sandbox retries each webhook until a server takes it.
    let writer = sandbox.clone();
    let inbound = tokio::spawn(async move {
        for i in 0..INBOUND {
            writer
                .simulate_inbound(SimulatedInbound {
                    number: format!("55119870000{:02}", i % CONTACTS),
                    name: format!("Cliente {}", i % CONTACTS),
                    content: SimulatedContent::Text(format!("entrada {i}")),
                })
                .await
                .expect("delivered, perhaps after a restart");
        }
    });
    for _ in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(200 + next(1200))).await;
        // Each kill hits a send on its way (claimed, not yet answered).
        crate::common::eventually("a send in flight", || async {
            let mut conn = sqlx::AnyConnection::connect(&database.url()).await.ok()?;
            let in_flight: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM outbound_job WHERE state = 'in_flight'")
                    .fetch_one(&mut conn)
                    .await
                    .ok()?
                    .try_get("n")
                    .ok()?;
            (in_flight > 0).then_some(())
        })
        .await;
        server.kill();
        server = Server::start(port, &database, &graph_url, &sandbox, dir.path()).await;
    }
    inbound.await.expect("the writer");
    all_sent(&store, &conversations, CONTACTS * EACH, 120).await;
    // Each contact got each message once, in the order it was queued.
    let received = received(&sandbox).await;
    for (i, conversation) in conversations.iter().enumerate() {
        let expected: Vec<String> = (0..EACH).map(|n| format!("{conversation}:{n}")).collect();
        assert_eq!(received[&format!("55119870000{i:02}")], expected, "contact {i}");
    }
    // Each message a contact wrote is stored once.
    let mut stored = Vec::new();
    for conversation in &conversations {
        for (direction, _kind, body, _status) in
            store.conversation_messages(*conversation).await.expect("messages")
        {
            if direction == "in" && body.as_deref().is_some_and(|b| b.starts_with("entrada ")) {
                stored.push(body.unwrap_or_default());
            }
        }
    }
    stored.sort();
    let mut expected: Vec<String> = (0..INBOUND).map(|i| format!("entrada {i}")).collect();
    expected.sort();
    assert_eq!(stored, expected, "every inbound message stored exactly once");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_beyond_the_open_file_limit_never_keep_health_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = Database::Sqlite(dir.path().join("atende.db"));
    let port = free_port();
    let (sandbox, graph_url) = sandbox_for(port).await;
    let env = [("ATENDE_MAX_CONNECTIONS", "64"), ("ATENDE_REQUEST_HEAD_SECONDS", "2")];
    let server =
        Server::start_limited(port, &database, &graph_url, &sandbox, dir.path(), &env, Some(256)).await;
    // More stalled clients than the process may open files: each sends half a head and waits.
    let mut stalled = Vec::new();
    for _ in 0..300 {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Ok(mut stream) => {
                use tokio::io::AsyncWriteExt;
                let _ = stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await;
                stalled.push(stream);
            }
            Err(_) => break,
        }
    }
    assert!(stalled.len() > 256, "only {} connections could be opened", stalled.len());
    // Health is still answered, within a few head timeouts, while they all hang on.
    let began = std::time::Instant::now();
    let answer = crate::common::client()
        .get(format!("{}/health", server.base))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("health answered");
    assert_eq!(answer.status(), 200);
    assert!(began.elapsed() < Duration::from_secs(20), "/health waited {:?}", began.elapsed());
    drop(stalled);
}
