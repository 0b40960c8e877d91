//! Test harness: fresh databases of each backend, and the whole application on port 0.
#![allow(dead_code)] // not every helper is used by every build of the suite

use atende_server::store::SqlStore;
use atende_server::{Application, Database, Settings};
use sqlx::{AnyConnection, Connection, Executor};
use std::sync::atomic::{AtomicU32, Ordering};

/// A database that exists for one test.
pub(crate) struct TestDb {
    pub database: Database,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>, // (admin url, database name)
}

impl TestDb {
    pub(crate) async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = Database::Sqlite(dir.path().join("data").join("atende.db"));
        Self { database, _dir: Some(dir), postgres: None }
    }

    /// An SQLite database in `dir` (which the caller owns, e.g. a small filesystem of its own).
    pub(crate) fn sqlite_in(dir: &std::path::Path) -> Self {
        Self { database: Database::Sqlite(dir.join("atende.db")), _dir: None, postgres: None }
    }

    /// A fresh PostgreSQL database, or `None` (said loudly) where no server answers outside CI.
    pub(crate) async fn postgres() -> Option<Self> {
        let admin = std::env::var("ATENDE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let on_ci = std::env::var("CI").is_ok_and(|v| v == "true");
        if admin == "skip" && !on_ci {
            eprintln!("!!! PostgreSQL leg SKIPPED (ATENDE_TEST_POSTGRES_URL=skip) !!!");
            return None;
        }
        sqlx::any::install_default_drivers();
        let mut conn = match AnyConnection::connect(&admin).await {
            Ok(conn) => conn,
            Err(e) if !on_ci => {
                eprintln!("!!! PostgreSQL leg SKIPPED: no server at {admin}: {e} !!!");
                return None;
            }
            Err(e) => panic!("CI=true and PostgreSQL is unreachable at {admin}: {e}"),
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!("atende_t_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        conn.execute(format!("DROP DATABASE IF EXISTS {name}").as_str()).await.expect("drop old test db");
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test db");
        conn.close().await.ok();
        let url = match admin.rsplit_once('/') {
            Some((server, _db)) => format!("{server}/{name}"),
            None => panic!("ATENDE_TEST_POSTGRES_URL needs a database name: {admin}"),
        };
        Some(Self { database: Database::Postgres(url), _dir: None, postgres: Some((admin, name)) })
    }

    /// The same database again, owned by someone else (a second instance of the application): dropping this
    /// one drops nothing.
    pub(crate) fn shared(&self) -> Self {
        Self { database: self.database.clone(), _dir: None, postgres: None }
    }

    pub(crate) async fn store(&self) -> SqlStore {
        SqlStore::connect(&self.database).await.expect("connect and migrate")
    }

    /// Drops the PostgreSQL database (the SQLite folder goes with the TempDir).
    pub(crate) async fn drop_database(self) {
        if let Some((admin, name)) = &self.postgres {
            if let Ok(mut conn) = AnyConnection::connect(admin).await {
                let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
            }
        }
    }
}

/// Runs a contract test body over SQLite and, where it answers, PostgreSQL.
#[macro_export]
macro_rules! contract {
    ($name:ident, |$db:ident| $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let $db = $crate::common::TestDb::sqlite().await;
                $body;
                $db.drop_database().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some($db) = $crate::common::TestDb::postgres().await else { return };
                $body;
                $db.drop_database().await;
            }
        }
    };
}

/// The whole application on a free port, with its own database and an empty site folder.
pub(crate) struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    /// The embedded provider sandbox (on in tests).
    pub sandbox: atende_server::sandbox::SandboxState,
    /// Its Evolution API, Messenger and Instagram.
    pub others: atende_server::sandbox::others::OthersSandbox,
    /// A second connection to the app's database, to look at what it stored.
    pub store: SqlStore,
    _site: tempfile::TempDir,
}

/// Polls `check` every 50 ms for up to 10 s; panics with `what` when it never holds.
pub(crate) async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    eventually_for(10, what, check).await
}

/// Polls `check` every 50 ms for up to `seconds`; panics with `what` when it never holds.
pub(crate) async fn eventually_for<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..seconds * 20 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// The admin every test application starts with.
pub(crate) const ADMIN_EMAIL: &str = "admin@teste.local";
pub(crate) const ADMIN_PASSWORD: &str = "senha-de-teste";

/// How long any request of these tests may take, answer and body: a server that stops answering fails its
/// test with a message instead of hanging the whole run (CI gives up on the run at 90 minutes, silently).
pub(crate) const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// A client builder with [`REQUEST_TIMEOUT`]: every test client starts here.
pub(crate) fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().timeout(REQUEST_TIMEOUT)
}

/// A plain client with [`REQUEST_TIMEOUT`].
pub(crate) fn client() -> reqwest::Client {
    client_builder().build().expect("client")
}

/// Signs in at `address` (`http://127.0.0.1:port`) and returns a client that carries the session cookie and
/// this site's `Origin` on every request, as the agent's browser does.
pub(crate) async fn sign_in(address: &str, email: &str, password: &str) -> reqwest::Client {
    let response = sign_in_response(address, email, password).await;
    let cookie = response
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{email} could not sign in: {}", response.status()));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().expect("cookie header"));
    headers.insert(reqwest::header::ORIGIN, address.parse().expect("origin header"));
    crate::common::client_builder().default_headers(headers).build().expect("client")
}

/// The raw answer to `POST /entrar` (not following its redirect).
pub(crate) async fn sign_in_response(address: &str, email: &str, password: &str) -> reqwest::Response {
    let client =
        crate::common::client_builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    client
        .post(format!("{address}/entrar"))
        .header(reqwest::header::ORIGIN, address)
        .form(&[("email", email), ("senha", password)])
        .send()
        .await
        .expect("POST /entrar")
}

pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::sqlite().await).await
}

/// The whole application on `db` (several may share one PostgreSQL database, as instances behind a balancer).
pub(crate) async fn spawn_app_on(db: TestDb) -> TestApp {
    spawn_app_configured(db, |_| {}).await
}

/// The whole application on `db`, with the test settings changed by `configure` first.
pub(crate) async fn spawn_app_configured(db: TestDb, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let site = tempfile::tempdir().expect("site dir");
    std::fs::create_dir_all(site.path().join("pkg")).expect("pkg dir");
    std::fs::write(site.path().join("pkg").join("atende.css"), "body{}").expect("css");
    let mut settings = Settings::for_tests(db.database.clone(), site.path().to_path_buf());
    settings.admin = Some(atende_server::settings::AdminSettings {
        email: atende_domain::access::Email::parse(ADMIN_EMAIL).expect("valid"),
        name: "Admin de Teste".into(),
        password: ADMIN_PASSWORD.into(),
    });
    configure(&mut settings);
    let app = Application::build(settings).await.expect("application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let sandbox = app.sandbox().expect("the sandbox is on in tests");
    let others = app.other_channels_sandbox().expect("the sandbox is on in tests");
    tokio::spawn(app.run_until_stopped());
    let store = db.store().await;
    let client = sign_in(&address, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    TestApp { address, client, db, sandbox, others, store, _site: site }
}

impl TestApp {
    /// "Novo contato" through the server function, as the signed-in admin; returns the contact's id.
    pub(crate) async fn create_contact(&self, name: &str, phone: &str) -> i64 {
        let response = self
            .client
            .post(format!("{}/api/create_contact", self.address))
            .form(&[("form[name]", name), ("form[phone]", phone)])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 200, "contact {name}");
        let contact: serde_json::Value = response.json().await.expect("json");
        contact["id"].as_i64().expect("an id")
    }

    /// An agent of `teams` (password "senha-do-agente"), created in the database and signed in.
    pub(crate) async fn agent_in(&self, email: &str, teams: &[i64]) -> reqwest::Client {
        let agent = atende_server::store::agents::NewAgent {
            email: atende_domain::access::Email::parse(email).expect("valid"),
            name: email.split('@').next().unwrap_or_default().into(),
            password_hash: atende_server::access::hash_password("senha-do-agente").expect("hash"),
            role: atende_domain::access::Role::Agent,
        };
        self.store
            .create_agent(&agent, teams, atende_domain::time::Timestamp::from_millis(0))
            .await
            .expect("agent");
        sign_in(&self.address, email, "senha-do-agente").await
    }

    /// The conversation with the contact `name`, once it is stored.
    pub(crate) async fn conversation_with(
        &self,
        name: &str,
    ) -> atende_domain::conversation::ConversationSummary {
        use atende_domain::ports::Store;
        eventually(&format!("a conversation with {name}"), || async {
            let conversations =
                self.store.list_conversations(atende_domain::conversation::Tab::All).await.ok()?;
            conversations.into_iter().find(|c| c.contact_name.as_str() == name)
        })
        .await
    }

    /// A contact writes `text` on the official channel: the sandbox signs and delivers the webhook.
    pub(crate) async fn contact_writes(&self, number: &str, name: &str, text: &str) {
        self.sandbox
            .simulate_inbound(atende_server::sandbox::SimulatedInbound {
                number: number.into(),
                name: name.into(),
                content: atende_server::sandbox::SimulatedContent::Text(text.into()),
            })
            .await
            .expect("the webhook reached Atende");
    }

    /// The composer's "Enviar", as the signed-in admin; the answer must be 200.
    pub(crate) async fn send_text(&self, conversation: i64, text: &str) {
        let sent = self
            .client
            .post(format!("{}/api/send_message", self.address))
            .form(&[("conversation", conversation.to_string().as_str()), ("text", text)])
            .send()
            .await
            .expect("POST");
        assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap_or_default());
    }

    /// The conversation as the console shows it (`conversation_view`), as JSON.
    pub(crate) async fn conversation_view(&self, conversation: i64) -> serde_json::Value {
        self.client
            .post(format!("{}/api/conversation_view", self.address))
            .form(&[("conversation", conversation.to_string())])
            .send()
            .await
            .expect("POST")
            .json()
            .await
            .expect("json")
    }

    /// "Iniciar atendimento" on the sandbox's unofficial channel (no template), for `team`.
    pub(crate) async fn start_unofficial(&self, contact: i64, team: i64) -> i64 {
        let channel = self
            .store
            .channel_id_by_provider(
                atende_domain::conversation::ChannelKind::WhatsappUnofficial,
                &self.others.config().evolution_instance,
            )
            .await
            .expect("lookup")
            .expect("the sandbox's unofficial channel");
        let started = self
            .client
            .post(format!("{}/api/start_conversation", self.address))
            .json(&serde_json::json!({ "contact": contact, "channel": channel, "team": team, "template": null, "values": [] }))
            .send()
            .await
            .expect("POST");
        assert_eq!(started.status(), 200, "no template on the unofficial channel");
        started.json().await.expect("the conversation id")
    }
}

/// POSTs `body` to `/webhooks/{webhook}` (`whatsapp` or `meta`) signed with `secret`, as Meta does; the status.
pub(crate) async fn post_signed(app: &TestApp, webhook: &str, body: &str, secret: &[u8]) -> u16 {
    use atende_server::providers::whatsapp::wire::signature_header;
    app.client
        .post(format!("{}/webhooks/{webhook}", app.address))
        .header("X-Hub-Signature-256", signature_header(secret, body.as_bytes()))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

/// POSTs JSON to the server function `function`: its status and answer (`null` when it is not JSON).
pub(crate) async fn post_json(
    client: &reqwest::Client,
    app: &TestApp,
    function: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response =
        client.post(format!("{}/api/{function}", app.address)).json(&body).send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// POSTs a form to the server function `function`: its status and answer (`null` when it is not JSON).
pub(crate) async fn post_form(
    client: &reqwest::Client,
    app: &TestApp,
    function: &str,
    form: &[(&str, String)],
) -> (u16, serde_json::Value) {
    let response =
        client.post(format!("{}/api/{function}", app.address)).form(form).send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}
