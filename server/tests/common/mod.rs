//! Test harness: fresh databases of each backend, and the whole application on port 0.
#![allow(dead_code)] // each test binary uses its own part of the harness

use atende_server::store::SqlStore;
use atende_server::{Application, Database, Settings};
use sqlx::{AnyConnection, Connection, Executor};
use std::sync::atomic::{AtomicU32, Ordering};

/// A database that exists for one test.
pub struct TestDb {
    pub database: Database,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>, // (admin url, database name)
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = Database::Sqlite(dir.path().join("data").join("atende.db"));
        Self { database, _dir: Some(dir), postgres: None }
    }

    /// A fresh PostgreSQL database, or `None` (said loudly) where no server answers outside CI.
    pub async fn postgres() -> Option<Self> {
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

    pub async fn store(&self) -> SqlStore {
        SqlStore::connect(&self.database).await.expect("connect and migrate")
    }

    /// Drops the PostgreSQL database (the SQLite folder goes with the TempDir).
    pub async fn drop_database(self) {
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
                let $db = common::TestDb::sqlite().await;
                $body;
                $db.drop_database().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some($db) = common::TestDb::postgres().await else { return };
                $body;
                $db.drop_database().await;
            }
        }
    };
}

/// The whole application on a free port, with its own database and an empty site folder.
pub struct TestApp {
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
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

pub async fn spawn_app() -> TestApp {
    let db = TestDb::sqlite().await;
    let site = tempfile::tempdir().expect("site dir");
    std::fs::create_dir_all(site.path().join("pkg")).expect("pkg dir");
    std::fs::write(site.path().join("pkg").join("atende.css"), "body{}").expect("css");
    let settings = Settings::for_tests(db.database.clone(), site.path().to_path_buf());
    let app = Application::build(settings).await.expect("application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let sandbox = app.sandbox().expect("the sandbox is on in tests");
    let others = app.other_channels_sandbox().expect("the sandbox is on in tests");
    tokio::spawn(app.run_until_stopped());
    let store = db.store().await;
    TestApp { address, client: reqwest::Client::new(), db, sandbox, others, store, _site: site }
}
