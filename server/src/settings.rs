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

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: Database,
    /// Where the server listens. Port 0 picks a free port (tests).
    pub address: SocketAddr,
    /// The built site: `pkg/` with the WASM client and CSS, plus the public files.
    pub site_root: PathBuf,
}

impl Settings {
    /// `ATENDE_DATABASE_URL` (sqlite://… or postgres://…; default an SQLite file in `ATENDE_DATA_DIR`,
    /// itself `data` by default), `LEPTOS_SITE_ADDR` (default 127.0.0.1:3000), `LEPTOS_SITE_ROOT`
    /// (default `target/site`).
    pub fn from_env() -> anyhow::Result<Self> {
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
        Ok(Self { database, address, site_root })
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
    fn a_bad_database_url_or_address_is_refused() {
        assert!(settings(&[("ATENDE_DATABASE_URL", "mysql://x")]).is_err());
        assert!(settings(&[("LEPTOS_SITE_ADDR", "porta 3000")]).is_err());
    }
}
