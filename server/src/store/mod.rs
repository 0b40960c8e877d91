//! The store port over SQLite and PostgreSQL: one implementation on sqlx's `Any` driver, each backend with its
//! own migrations. SQL stays portable (`$n` binds, `RETURNING`, BIGINT instants); where the backends differ the
//! adapter says so next to the query.

use crate::settings::Database;
use anyhow::Context;
use async_trait::async_trait;
use atende_domain::contact::{fold_for_search, Contact, ContactId, ContactName, NewContact};
use atende_domain::conversation::{
    AgentId, Assignee, ChannelKind, ConversationId, ConversationStatus, ConversationSummary, Tab,
};
use atende_domain::label::{AgentChoice, ListFilter, TeamChoice};
use atende_domain::lifecycle::{Attempt, Lifecycle};
use atende_domain::listing::{ListPage, ListRange};
use atende_domain::phone::Phone;
use atende_domain::ports::{ContactQuery, Store, StoreError};
use atende_domain::template::TemplateCategory;
use atende_domain::time::Timestamp;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, FromRow, Row};
use std::sync::Arc;
use std::time::Duration;

pub mod agents;
pub mod changes;
pub mod channels;
mod contact_messages;
pub mod hours;
pub mod inbound;
pub mod labels;
pub mod media;
pub mod notes;
pub mod outbox;
pub mod queue;
pub mod quick_answers;
pub mod search;
pub mod templates;
pub mod unread;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct SqlStore {
    /// For reads (and, on PostgreSQL, for everything).
    pub(crate) pool: AnyPool,
    /// For writes. On SQLite one connection: SQLite has one writer at a time, and writers queued here wait
    /// their turn in order, instead of each polling the database's lock with growing sleeps (which, with
    /// many workers, made a long transaction stall every other writer for seconds). A transaction that
    /// writes must never wait for another writer connection meanwhile. On PostgreSQL the same pool.
    pub(crate) writer: AnyPool,
    pub(crate) backend: Backend,
    /// Whether the last write failed (a full disk, a database that refuses writes): `/health` says so.
    pub(crate) writes: Arc<WriteHealth>,
    /// How many callers wait to begin a write transaction: on SQLite, a long one (the webhook processor's)
    /// commits sooner while someone waits.
    writers_waiting: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a caller among those waiting for the writer for as long as it lives (it is dropped once the
/// transaction began, or failed, or the caller gave up waiting).
struct WaitingWriter<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> WaitingWriter<'a> {
    fn enter(count: &'a std::sync::atomic::AtomicUsize) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for WaitingWriter<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The outcome of the latest write, for `/health`.
#[derive(Debug, Default)]
pub(crate) struct WriteHealth(std::sync::Mutex<Option<String>>);

impl WriteHealth {
    fn record<T>(&self, result: &Result<T, sqlx::Error>) {
        let mut failing = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *failing = result.as_ref().err().map(ToString::to_string);
    }
}

impl SqlStore {
    /// Connects (creating the SQLite file and its folder on first start) and applies the migrations.
    pub async fn connect(database: &Database) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = match database {
            Database::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("Failed to create the data directory {}", dir.display()))?;
                }
                Backend::Sqlite
            }
            Database::Postgres(_) => Backend::Postgres,
        };
        let url = database.url();
        let connect = |max: u32| {
            // A database that does not answer fails fast (PostgreSQL down: seconds, not half a minute); SQLite's
            // one writer may be queued behind a burst, and waits longer. A connection that comes back to be
            // used inside a transaction (a commit failed on a full disk, and SQLite had already rolled back:
            // its driver still counts the transaction open) is closed and replaced, never used again.
            let acquire = match backend {
                Backend::Sqlite => Duration::from_secs(30),
                Backend::Postgres => Duration::from_secs(3),
            };
            let mut options = AnyPoolOptions::new().acquire_timeout(acquire).before_acquire(|conn, _| {
                Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
            });
            if backend == Backend::Sqlite {
                // WAL lets readers go on while the writer writes.
                options = options.max_connections(max).after_connect(|conn, _| {
                    Box::pin(async move {
                        use sqlx::Executor;
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                        Ok(())
                    })
                });
            }
            options.connect(&url)
        };
        let pool = connect(4).await.with_context(|| format!("Failed to connect to {database:?}"))?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await.context("Failed to apply the database migrations")?;
        let writer = match backend {
            Backend::Sqlite => {
                connect(1).await.with_context(|| format!("Failed to connect to {database:?}"))?
            }
            Backend::Postgres => pool.clone(),
        };
        Ok(Self { pool, writer, backend, writes: Arc::default(), writers_waiting: Arc::default() })
    }

    /// A transaction that writes. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// transaction that reads first never fails on a writer that committed meanwhile.
    pub(crate) async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        self.begin_write().await.map_err(unavailable)
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let _waiting = WaitingWriter::enter(&self.writers_waiting);
        let begun = match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        };
        if begun.is_err() {
            self.writes.record(&begun);
        }
        begun
    }

    /// Whether someone waits to begin a write transaction now.
    pub(crate) fn writers_waiting(&self) -> bool {
        self.writers_waiting.load(std::sync::atomic::Ordering::Relaxed) > 0
    }

    /// Commits a write transaction. Success is answered only from here: a commit that fails (a full disk) is
    /// an error to the caller, and `/health` says writes fail until one succeeds again.
    pub(crate) async fn commit(&self, tx: sqlx::Transaction<'static, sqlx::Any>) -> Result<(), StoreError> {
        self.commit_raw(tx).await.map_err(unavailable)
    }

    async fn commit_raw(&self, tx: sqlx::Transaction<'static, sqlx::Any>) -> Result<(), sqlx::Error> {
        let committed = tx.commit().await;
        self.writes.record(&committed);
        committed
    }

    /// One statement that writes and returns at most one row, in a transaction of its own. On SQLite a
    /// statement whose row was read before its end commits when it is reset, and a commit that fails there
    /// (a full disk) would go unnoticed: the caller would answer "saved" for a row that is not.
    pub(crate) async fn write_returning<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<Option<AnyRow>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let row = query.fetch_optional(&mut *tx).await?;
        self.commit_raw(tx).await?;
        Ok(row)
    }

    /// Why writes fail, when the latest one did.
    pub fn writes_failing(&self) -> Option<String> {
        self.writes.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// A real write (the disk must take it), for `/health` to learn that writes work again.
    pub async fn probe_write(&self, now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO setting (setting_key, value, updated_at) VALUES ('health_probe', '', $1) \
             ON CONFLICT (setting_key) DO UPDATE SET updated_at = excluded.updated_at",
        )
        .bind(now.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        self.commit(tx).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// One row of the conversation list.
    pub async fn conversation_summary(&self, id: i64) -> Result<Option<ConversationSummary>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CONVERSATION_COLUMNS}, {CONTACT_COLUMNS} FROM conversation \
             JOIN contact ON contact.contact_id = conversation.contact_id WHERE conversation_id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    /// `SELECT 1`, for the health check.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ()).map_err(unavailable)
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

pub(crate) fn unavailable(error: sqlx::Error) -> StoreError {
    tracing::error!(error = %error, "store query failed");
    StoreError::Unavailable(error.to_string())
}

/// A row's text that the domain refuses means the database was changed behind our back.
pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Unavailable(format!("invalid {what} stored: {value:?}"))
}

/// A conversation's columns the rules read ([`Lifecycle`]): status, the contact's last message, the attempt
/// waiting for the contact, and the provider's report of a closed window.
#[derive(sqlx::FromRow)]
pub(crate) struct LifecycleRow {
    status: String,
    last_inbound_at: Option<i64>,
    attempt_category: Option<String>,
    attempt_started_at: Option<i64>,
    provider_closed_at: Option<i64>,
}

impl LifecycleRow {
    pub(crate) fn lifecycle(&self) -> Result<Lifecycle, StoreError> {
        let attempt = match &self.attempt_category {
            Some(code) => Some(Attempt::new(
                TemplateCategory::from_code(code).ok_or_else(|| corrupt("attempt category", code))?,
                Timestamp::from_millis(self.attempt_started_at.unwrap_or(0)),
            )),
            None => None,
        };
        let lifecycle = Lifecycle::from_parts(
            ConversationStatus::from_code(&self.status).ok_or_else(|| corrupt("status", &self.status))?,
            self.last_inbound_at.map(Timestamp::from_millis),
            attempt,
        );
        Ok(match self.provider_closed_at {
            Some(at) => lifecycle.provider_reported_closed(Timestamp::from_millis(at)),
            None => lifecycle,
        })
    }
}

/// The two forms under which a number may be stored: with and without the ninth digit (the same twice for
/// a number that has one form only), for `phone = $1 OR phone = $2`.
pub(crate) fn phone_forms(phone: &Phone) -> (String, String) {
    let mut variants = phone.variants().into_iter();
    let first = variants.next().unwrap_or_else(|| phone.digits().to_owned());
    let second = variants.next().unwrap_or_else(|| first.clone());
    (first, second)
}

/// " AND …" narrowing conversations to those an agent of `teams` may see (theirs and the shared inbox's;
/// `None`: all), with the teams bound from `$first` on, in order. The same rule as
/// [`atende_domain::access::Viewer::may_see`].
fn visible_to(teams: Option<&[i64]>, first: usize) -> String {
    theirs_or_shared("conversation.team_id", teams, first).map(|c| format!(" AND {c}")).unwrap_or_default()
}

/// A value bound to a list's filter.
enum Bind {
    Id(i64),
    Code(&'static str),
}

/// The SQL that narrows a list to the rows [`ListFilter::keeps`] (which decides, applied to every row), so
/// that the list's limit counts only what is shown; binds from `$first` on, in order.
fn filter_narrowing(filter: &ListFilter, first: usize) -> (String, Vec<Bind>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    let mut condition = |text: &str, bind: Option<Bind>| {
        let text = match bind {
            Some(bind) => {
                binds.push(bind);
                text.replace('?', &format!("${}", first + binds.len() - 1))
            }
            None => text.to_owned(),
        };
        sql.push_str(" AND ");
        sql.push_str(&text);
    };
    if let Some(label) = filter.label {
        condition(
            "EXISTS (SELECT 1 FROM conversation_label WHERE conversation_label.conversation_id = \
             conversation.conversation_id AND conversation_label.label_id = ?)",
            Some(Bind::Id(label)),
        );
    }
    match filter.team {
        None => {}
        Some(TeamChoice::NoTeam) => condition("conversation.team_id IS NULL", None),
        Some(TeamChoice::Team(team)) => condition("conversation.team_id = ?", Some(Bind::Id(team))),
    }
    if let Some(channel) = filter.channel {
        condition("conversation.channel = ?", Some(Bind::Code(channel.code())));
    }
    if let Some(status) = filter.status {
        condition("conversation.status = ?", Some(Bind::Code(status.code())));
    }
    match filter.agent {
        None => {}
        Some(AgentChoice::Nobody) => condition("conversation.assignee_id IS NULL", None),
        Some(AgentChoice::Agent(agent)) => condition("conversation.assignee_id = ?", Some(Bind::Id(agent.0))),
    }
    (sql, binds)
}

/// The condition that `column` (a team) is one of `teams` or none (`None`: no condition), with the teams
/// bound from `$first` on, in order.
pub(crate) fn theirs_or_shared(column: &str, teams: Option<&[i64]>, first: usize) -> Option<String> {
    match teams? {
        [] => Some(format!("{column} IS NULL")),
        teams => Some(format!("({column} IS NULL OR {column} IN ({}))", placeholders(first, teams.len()))),
    }
}

/// `$first, $first+1, …`, `count` of them: binds for an `IN (…)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Whether a statement about `rows` rows (or ids), one of many texts that differ only in their length, is kept
/// prepared on `conn`. Each length makes a text of its own, and the connection keeps 100: on SQLite the short
/// ones are kept (preparing one costs more than running it; a longer one is prepared again, its cost spread
/// over its rows), so those of the other writers are not pushed out. On PostgreSQL none is: each is planned
/// with its values, which lets PostgreSQL hash a long `IN` list instead of comparing each row with every value
/// (measured at 2,000 contacts whose statistics were not taken yet: 2.4 ms for the identities of 128 messages
/// with the generic plan of a kept statement).
pub(crate) fn kept(conn: &sqlx::AnyConnection, rows: usize) -> bool {
    conn.backend_name() != "PostgreSQL" && rows <= 8
}

/// `count` rows of a `VALUES` list, each of `cells`; in a cell, `?` is the next numbered placeholder, from
/// `$first` on: `values_rows(2, 3, &["?", "'in'", "CAST(? AS TEXT)"])` is
/// `($3, 'in', CAST($4 AS TEXT)), ($5, 'in', CAST($6 AS TEXT))`.
pub(crate) fn values_rows(count: usize, first: usize, cells: &[&str]) -> String {
    let mut next = first;
    let mut rows = Vec::with_capacity(count);
    for _ in 0..count {
        let row: Vec<String> = cells
            .iter()
            .map(|cell| {
                if !cell.contains('?') {
                    return (*cell).to_owned();
                }
                let filled = cell.replacen('?', &format!("${next}"), 1);
                next += 1;
                filled
            })
            .collect();
        rows.push(format!("({})", row.join(", ")));
    }
    rows.join(", ")
}

/// On SQLite, the contacts in name order tested one by one before the trigram index is asked (see
/// `search_contacts`).
const CONTACTS_WALKED: i64 = 2_000;

/// What the contact search looks for: `text` (folded) in the names, `digits` in the numbers.
struct ContactSearch<'a> {
    text: &'a str,
    digits: Option<&'a str>,
    label: Option<i64>,
}

/// Which contacts one reading of the search tests.
enum ContactReach {
    All,
    /// Those up to `key` (name_folded, contact_id) in name order, `key` included.
    UpTo((String, i64)),
    /// Those after `key` (name_folded, contact_id) in name order; only those the trigram index finds with
    /// `candidates` ((column, pattern) each) when there are some.
    After {
        key: (String, i64),
        candidates: Option<Vec<(&'static str, String)>>,
    },
}

/// Most matches the trigram index may hold for the store to read the contacts it names (10,000 read that way
/// took 85 ms; the contacts in name order, read until the limit, take at most 25 ms at 100,000).
const INDEX_CANDIDATES_MAX: i64 = 1_000;

/// The trigram index finds `LIKE` patterns of three characters or more, without an `ESCAPE` (with one, or
/// shorter, SQLite reads the whole index: slower than reading the contacts).
fn trigram_pattern(text: &str) -> Option<String> {
    (text.chars().count() >= 3 && !text.contains(['%', '_', '\\'])).then(|| format!("%{text}%"))
}

/// What to ask the trigram index for `search`: (column, pattern) for the name and, with digits, the number;
/// `None` when a part of it is not one the index finds.
fn trigram_patterns(search: &ContactSearch<'_>) -> Option<Vec<(&'static str, String)>> {
    let mut patterns = vec![("name_folded", trigram_pattern(search.text)?)];
    if let Some(digits) = search.digits {
        patterns.push(("phone", trigram_pattern(digits)?));
    }
    Some(patterns)
}

impl SqlStore {
    /// The contacts of `reach` matching `search`, in name order, at most `limit`.
    async fn contacts_matching(
        &self,
        search: &ContactSearch<'_>,
        reach: ContactReach,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError> {
        let mut narrowing = String::new();
        let mut after = None;
        let mut patterns = Vec::new();
        match reach {
            ContactReach::All => {}
            ContactReach::UpTo(key) => {
                narrowing.push_str(" AND (contact.name_folded, contact.contact_id) <= ($5, $6)");
                after = Some(key);
            }
            ContactReach::After { key, candidates } => {
                narrowing.push_str(" AND (contact.name_folded, contact.contact_id) > ($5, $6)");
                after = Some(key);
                if let Some(candidates) = candidates {
                    let asked: Vec<String> = candidates
                        .iter()
                        .enumerate()
                        .map(|(n, (column, _))| {
                            format!("SELECT rowid FROM contact_trigram WHERE {column} LIKE ${}", n + 7)
                        })
                        .collect();
                    narrowing.push_str(&format!(" AND contact.contact_id IN ({})", asked.join(" UNION ")));
                    patterns.extend(candidates.into_iter().map(|(_, pattern)| pattern));
                }
            }
        }
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contact \
             WHERE (contact.name_folded LIKE $1 ESCAPE '\\' \
               OR ($2 IS NOT NULL AND contact.phone LIKE $2 ESCAPE '\\')) \
             AND ($4 IS NULL OR contact.contact_id IN (SELECT contact_id FROM contact_label WHERE label_id = $4))\
             {narrowing} ORDER BY contact.name_folded, contact.contact_id LIMIT $3"
        );
        // On PostgreSQL planned for the text typed, not once for any (see `search_messages`).
        let mut statement = sqlx::query(&sql)
            .persistent(self.backend == Backend::Sqlite)
            .bind(like_pattern(search.text))
            .bind(search.digits.map(like_pattern))
            .bind(i64::from(limit))
            .bind(search.label);
        if let Some((name, id)) = after {
            statement = statement.bind(name).bind(id);
        }
        for pattern in patterns {
            statement = statement.bind(pattern);
        }
        let rows = statement.fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter().map(contact_from_row).collect()
    }
}

/// `%` and `_` typed by an agent are letters, not wildcards.
fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// A contact's columns ([`CONTACT_COLUMNS`]).
#[derive(sqlx::FromRow)]
struct ContactRow {
    contact_id: i64,
    name: String,
    phone: Option<String>,
}

impl ContactRow {
    fn contact(self) -> Result<Contact, StoreError> {
        Ok(Contact {
            id: ContactId(self.contact_id),
            name: ContactName::parse(&self.name).map_err(|_| corrupt("contact name", &self.name))?,
            phone: self
                .phone
                .map(|digits| Phone::parse(&format!("+{digits}")).map_err(|_| corrupt("phone", &digits)))
                .transpose()?,
        })
    }
}

/// A conversation's columns in a list ([`CONVERSATION_COLUMNS`] and its contact's).
#[derive(sqlx::FromRow)]
struct ConversationRow {
    #[sqlx(flatten)]
    contact: ContactRow,
    conversation_id: i64,
    channel: String,
    status: String,
    assignee_id: Option<i64>,
    last_message: Option<String>,
    last_inbound_at: Option<i64>,
    provider_closed_at: Option<i64>,
    updated_at: i64,
    created_at: i64,
    team_id: Option<i64>,
}

impl ConversationRow {
    fn summary(self) -> Result<ConversationSummary, StoreError> {
        let contact = self.contact.contact()?;
        let (channel, status) = (&self.channel, &self.status);
        Ok(ConversationSummary {
            id: ConversationId(self.conversation_id),
            contact_id: contact.id,
            contact_name: contact.name,
            contact_phone: contact.phone,
            channel: ChannelKind::from_code(channel).ok_or_else(|| corrupt("channel", channel))?,
            status: ConversationStatus::from_code(status).ok_or_else(|| corrupt("status", status))?,
            assignee: self.assignee_id.map_or(Assignee::Unassigned, |agent| Assignee::Agent(AgentId(agent))),
            last_message: self.last_message,
            last_inbound_at: self.last_inbound_at.map(Timestamp::from_millis),
            provider_closed_at: self.provider_closed_at.map(Timestamp::from_millis),
            updated_at: Timestamp::from_millis(self.updated_at),
            created_at: Timestamp::from_millis(self.created_at),
            team: self.team_id,
            labels: Vec::new(),
        })
    }
}

fn contact_from_row(row: &AnyRow) -> Result<Contact, StoreError> {
    ContactRow::from_row(row).map_err(unavailable)?.contact()
}

fn conversation_from_row(row: &AnyRow) -> Result<ConversationSummary, StoreError> {
    ConversationRow::from_row(row).map_err(unavailable)?.summary()
}

const CONTACT_COLUMNS: &str = "contact.contact_id, contact.name, contact.phone";
const CONVERSATION_COLUMNS: &str =
    "conversation.conversation_id, conversation.channel, conversation.status, conversation.assignee_id, \
     conversation.last_message, conversation.last_inbound_at, conversation.provider_closed_at, \
     conversation.updated_at, conversation.created_at, conversation.team_id";

#[async_trait]
impl Store for SqlStore {
    #[tracing::instrument(skip_all)]
    async fn create_contact(&self, contact: NewContact, now: Timestamp) -> Result<Contact, StoreError> {
        if let Some(existing) = self.find_contact_by_phone(&contact.phone).await? {
            return Err(StoreError::DuplicatePhone {
                existing: existing.id,
                name: existing.name.as_str().to_owned(),
            });
        }
        let inserted = self
            .write_returning(
                sqlx::query(
                    "INSERT INTO contact (name, name_folded, phone, created_at) VALUES ($1, $2, $3, $4) \
                     RETURNING contact_id",
                )
                .bind(contact.name.as_str())
                .bind(fold_for_search(contact.name.as_str()))
                .bind(contact.phone.digits())
                .bind(now.as_millis()),
            )
            .await
            .and_then(|row| row.ok_or(sqlx::Error::RowNotFound));
        match inserted {
            Ok(row) => Ok(Contact {
                id: ContactId(row.try_get("contact_id").map_err(unavailable)?),
                name: contact.name,
                phone: Some(contact.phone),
            }),
            // Another agent saved the same number between our check and our insert.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                match self.find_contact_by_phone(&contact.phone).await? {
                    Some(existing) => Err(StoreError::DuplicatePhone {
                        existing: existing.id,
                        name: existing.name.as_str().to_owned(),
                    }),
                    None => Err(StoreError::Unavailable(e.to_string())),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn update_contact(&self, id: ContactId, contact: NewContact) -> Result<Contact, StoreError> {
        if let Some(existing) = self.find_contact_by_phone(&contact.phone).await? {
            if existing.id != id {
                return Err(StoreError::DuplicatePhone {
                    existing: existing.id,
                    name: existing.name.as_str().to_owned(),
                });
            }
        }
        let changed =
            sqlx::query("UPDATE contact SET name = $2, name_folded = $3, phone = $4 WHERE contact_id = $1")
                .bind(id.0)
                .bind(contact.name.as_str())
                .bind(fold_for_search(contact.name.as_str()))
                .bind(contact.phone.digits())
                .execute(&self.writer)
                .await;
        match changed {
            Ok(done) if done.rows_affected() == 0 => Err(StoreError::NotFound),
            Ok(_) => Ok(Contact { id, name: contact.name, phone: Some(contact.phone) }),
            // Another agent saved the number meanwhile.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                match self.find_contact_by_phone(&contact.phone).await? {
                    Some(existing) => Err(StoreError::DuplicatePhone {
                        existing: existing.id,
                        name: existing.name.as_str().to_owned(),
                    }),
                    None => Err(StoreError::Unavailable(e.to_string())),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn contact(&self, id: ContactId) -> Result<Contact, StoreError> {
        let row = sqlx::query(&format!("SELECT {CONTACT_COLUMNS} FROM contact WHERE contact_id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .ok_or(StoreError::NotFound)?;
        contact_from_row(&row)
    }

    #[tracing::instrument(skip_all)]
    async fn find_contact_by_phone(&self, phone: &Phone) -> Result<Option<Contact>, StoreError> {
        let (first, second) = phone_forms(phone);
        let row =
            sqlx::query(&format!("SELECT {CONTACT_COLUMNS} FROM contact WHERE phone = $1 OR phone = $2"))
                .bind(first)
                .bind(second)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        row.as_ref().map(contact_from_row).transpose()
    }

    /// On PostgreSQL one statement, planned for the text typed: its trigram indexes serve a rare text, its
    /// name order a common one. SQLite cannot tell which the text is, so the store asks in turn: the first
    /// [`CONTACTS_WALKED`] contacts in name order, each tested; when they hold fewer than `limit` matches,
    /// the rest come from the trigram index (`contact_trigram`) if it holds at most
    /// [`INDEX_CANDIDATES_MAX`] matches for the name and for the number, else from the contacts after those
    /// in name order. Both parts are bounded by the same contact, read first, so a contact written
    /// meanwhile is neither listed twice nor skipped. The bounds are row values, which SQLite reads as a
    /// range of the name index (16 ms → 12 ms at 100,000 with an `OR` instead).
    #[tracing::instrument(skip_all)]
    async fn search_contacts(&self, query: &ContactQuery) -> Result<Vec<Contact>, StoreError> {
        let text = fold_for_search(&query.text);
        let digits: String = query.text.chars().filter(char::is_ascii_digit).collect();
        // Only a query with digits searches the numbers: "Ana" must not match every phone.
        let search = ContactSearch {
            text: &text,
            digits: (!digits.is_empty()).then_some(digits.as_str()),
            label: query.label,
        };
        if self.backend == Backend::Postgres {
            return self.contacts_matching(&search, ContactReach::All, query.limit).await;
        }
        let last = sqlx::query(
            "SELECT name_folded, contact_id FROM contact ORDER BY name_folded, contact_id LIMIT 1 OFFSET $1",
        )
        .bind(CONTACTS_WALKED - 1)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        // Fewer contacts than that: each is tested.
        let Some(last) = last else {
            return self.contacts_matching(&search, ContactReach::All, query.limit).await;
        };
        let key: (String, i64) = (
            last.try_get("name_folded").map_err(unavailable)?,
            last.try_get("contact_id").map_err(unavailable)?,
        );
        let mut found = self.contacts_matching(&search, ContactReach::UpTo(key.clone()), query.limit).await?;
        let wanted = query.limit.saturating_sub(u32::try_from(found.len()).unwrap_or(u32::MAX));
        if wanted == 0 {
            return Ok(found);
        }
        // The index's matches, if they are few; else the contacts in name order (a text in many of them is
        // found soon).
        let mut candidates = trigram_patterns(&search);
        for (column, pattern) in candidates.clone().unwrap_or_default() {
            let held: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM (SELECT rowid FROM contact_trigram WHERE {column} LIKE $1 LIMIT $2)"
            ))
            .bind(pattern)
            .bind(INDEX_CANDIDATES_MAX + 1)
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
            if held > INDEX_CANDIDATES_MAX {
                candidates = None;
            }
        }
        found.extend(self.contacts_matching(&search, ContactReach::After { key, candidates }, wanted).await?);
        Ok(found)
    }

    #[tracing::instrument(skip_all)]
    async fn open_conversation(
        &self,
        contact: ContactId,
        channel: ChannelKind,
        now: Timestamp,
    ) -> Result<ConversationSummary, StoreError> {
        let row = self
            .write_returning(
                sqlx::query(
                    "INSERT INTO conversation (contact_id, channel, status, created_at, updated_at) \
                     SELECT contact_id, $2, $3, $4, $4 FROM contact WHERE contact_id = $1 \
                     RETURNING conversation_id",
                )
                .bind(contact.0)
                .bind(channel.code())
                .bind(ConversationStatus::Open.code())
                .bind(now.as_millis()),
            )
            .await
            .map_err(unavailable)?
            .ok_or(StoreError::NotFound)?;
        let id: i64 = row.try_get("conversation_id").map_err(unavailable)?;
        let row = sqlx::query(&format!(
            "SELECT {CONVERSATION_COLUMNS}, {CONTACT_COLUMNS} FROM conversation \
             JOIN contact ON contact.contact_id = conversation.contact_id WHERE conversation_id = $1"
        ))
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?;
        conversation_from_row(&row)
    }

    async fn latest_conversation(
        &self,
        contact: ContactId,
        teams: Option<&[i64]>,
    ) -> Result<Option<ConversationId>, StoreError> {
        let sql = format!(
            "SELECT conversation_id FROM conversation WHERE contact_id = $1{} \
             ORDER BY updated_at DESC, conversation_id DESC LIMIT 1",
            visible_to(teams, 2)
        );
        let mut query = sqlx::query(&sql).bind(contact.0);
        for team in teams.unwrap_or_default() {
            query = query.bind(*team);
        }
        query
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .map(|row| row.try_get("conversation_id").map(ConversationId))
            .transpose()
            .map_err(unavailable)
    }

    async fn contact_conversations(
        &self,
        contact: ContactId,
        teams: Option<&[i64]>,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS}, {CONTACT_COLUMNS} FROM conversation \
             JOIN contact ON contact.contact_id = conversation.contact_id \
             WHERE conversation.contact_id = $1{} ORDER BY conversation.updated_at DESC, conversation_id DESC",
            visible_to(teams, 2)
        );
        let mut query = sqlx::query(&sql).bind(contact.0);
        for team in teams.unwrap_or_default() {
            query = query.bind(*team);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.iter().map(conversation_from_row).collect()
    }

    async fn unfinished_conversation_teams(
        &self,
        contact: ContactId,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        sqlx::query("SELECT team_id FROM conversation WHERE contact_id = $1 AND status <> 'concluded'")
            .bind(contact.0)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .iter()
            .map(|row| row.try_get::<Option<i64>, _>("team_id"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(unavailable)
    }

    async fn list_conversations(&self, tab: Tab) -> Result<Vec<ConversationSummary>, StoreError> {
        // No agent has id 0: "Meus" is empty, the other tabs list everything.
        let everything = ListRange::Page { after: None, limit: atende_domain::listing::PAGE_MAX };
        Ok(self.list_visible(tab, None, AgentId(0), &ListFilter::default(), &everything).await?.rows)
    }

    #[tracing::instrument(skip_all)]
    async fn list_visible(
        &self,
        tab: Tab,
        teams: Option<&[i64]>,
        me: AgentId,
        filter: &ListFilter,
        range: &ListRange,
    ) -> Result<ListPage, StoreError> {
        // The tab's rule is the domain's (applied to every row below); the SQL narrows to the same rows so
        // the limit counts only what is listed.
        let narrowing = match tab {
            Tab::Mine => "status <> 'concluded' AND conversation.assignee_id = $1",
            Tab::Unassigned => "status <> 'concluded' AND conversation.assignee_id IS NULL AND $1 = $1",
            Tab::All => "status <> 'concluded' AND $1 = $1",
            Tab::Concluded => "status = 'concluded' AND $1 = $1",
        };
        let team_filter = visible_to(teams, 2);
        let team_count = teams.map_or(0, <[i64]>::len);
        let (filtered, mut binds) = filter_narrowing(filter, 2 + team_count);
        let next = 2 + team_count + binds.len();
        // The page's keyset, or the conversations named (as many binds as names).
        let ranged = match range {
            ListRange::Page { after: Some(after), .. } => {
                binds.extend([Bind::Id(after.updated_at.as_millis()), Bind::Id(after.id.0)]);
                let (at, id) = (next, next + 1);
                // The first part bounds the index range; the second drops the cursor's own millisecond up to
                // its row.
                format!(
                    " AND conversation.updated_at <= ${at} AND (conversation.updated_at < ${at} \
                     OR conversation.conversation_id < ${id})"
                )
            }
            ListRange::Page { after: None, .. } => String::new(),
            ListRange::Only(ids) => {
                binds.extend(ids.iter().map(|id| Bind::Id(id.0)));
                let placeholders =
                    (next..next + ids.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
                format!(" AND conversation.conversation_id IN ({placeholders})")
            }
        };
        let limit = range.read_limit().map(|limit| format!(" LIMIT {limit}")).unwrap_or_default();
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS}, {CONTACT_COLUMNS} FROM conversation \
             JOIN contact ON contact.contact_id = conversation.contact_id \
             WHERE {narrowing}{team_filter}{filtered}{ranged} \
             ORDER BY conversation.updated_at DESC, conversation.conversation_id DESC{limit}"
        );
        let mut query = sqlx::query(&sql).bind(me.0);
        for team in teams.unwrap_or_default() {
            query = query.bind(*team);
        }
        for bind in binds {
            query = match bind {
                Bind::Id(id) => query.bind(id),
                Bind::Code(code) => query.bind(code),
            };
        }
        let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        let mut listed = rows.iter().map(conversation_from_row).collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<ConversationId> = listed.iter().map(|c| c.id).collect();
        for (conversation, label) in self.labels_of(&ids).await? {
            if let Some(listed) = listed.iter_mut().find(|c| c.id == conversation) {
                listed.labels.push(label);
            }
        }
        Ok(ListPage::from_read(range, listed, |c| tab.lists(c.status, c.assignee, me) && filter.keeps(c)))
    }

    async fn conversation_team(&self, id: ConversationId) -> Result<Option<i64>, StoreError> {
        sqlx::query("SELECT team_id FROM conversation WHERE conversation_id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .ok_or(StoreError::NotFound)?
            .try_get("team_id")
            .map_err(unavailable)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_rows_number_the_placeholders_across_rows_and_keep_the_rest() {
        assert_eq!(
            super::values_rows(2, 3, &["?", "'in'", "CAST(? AS TEXT)", "$1"]),
            "($3, 'in', CAST($4 AS TEXT), $1), ($5, 'in', CAST($6 AS TEXT), $1)"
        );
        assert_eq!(super::values_rows(0, 1, &["?"]), "");
    }
}
