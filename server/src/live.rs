//! Live updates for the console: `GET /eventos`, a stream of server-sent events that tells each signed-in
//! agent which conversations they may see just changed (a message in or out, a status, a queue flush, the
//! window, an assignment, the contact's name). The browser then fetches what changed through the same
//! authorised server functions as always: an event carries only a conversation's id, never its content.
//!
//! Where changes come from: database triggers (migration `change_log`), so no write path can forget to
//! announce one, whatever instance made it.
//! - SQLite (one process): the triggers fill `change_log`; [`LiveFeed::run`] reads the rows after the last one
//!   it saw every [`SQLITE_POLL`] and prunes what it has read.
//! - PostgreSQL (any number of instances): the triggers `NOTIFY atende_changes`; each instance `LISTEN`s, so a
//!   message stored by one instance reaches the agents connected to another.
//!
//! When changes may have been missed (the Postgres connection dropped and came back, a slow browser fell more
//! than [`BACKLOG`] changes behind), the agent's browser is told to look at everything again (`resync`).

use crate::auth::{AuthState, SessionHash};
use crate::store::{unavailable, Backend, SqlStore};
use crate::Database;
use atende_domain::access::Viewer;
use atende_domain::ports::StoreError;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use futures_util::stream::Stream;
use sqlx::Row;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;

/// How often SQLite's change log is read.
pub const SQLITE_POLL: Duration = Duration::from_millis(200);
/// How many changes a connected browser may fall behind before it is told to resync.
pub const BACKLOG: usize = 4096;
/// How often an open stream checks that its session is still valid (signed out, expired, deactivated, teams
/// changed).
pub const SESSION_CHECK: Duration = Duration::from_secs(30);
/// Most ids read from the change log at once.
const BATCH: i64 = 1000;

/// One thing the console should look at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Something of this conversation changed; `team` is the team it belongs to now (who may see it).
    Conversation { id: i64, team: Option<i64> },
    /// Changes may have been missed: look at everything again.
    Everything,
}

/// The changes of this instance's database, for every open stream.
#[derive(Clone)]
pub struct LiveFeed {
    sender: broadcast::Sender<Change>,
}

impl Default for LiveFeed {
    fn default() -> Self {
        Self { sender: broadcast::channel(BACKLOG).0 }
    }
}

impl LiveFeed {
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    /// Reads the database's changes and announces them, until the server stops.
    pub async fn run(self, store: SqlStore, database: Database) {
        match (store.backend(), database) {
            (Backend::Postgres, Database::Postgres(url)) => self.listen_postgres(&store, &url).await,
            _ => self.poll_sqlite(&store).await,
        }
    }

    async fn poll_sqlite(&self, store: &SqlStore) {
        let mut cursor = loop {
            match store.last_change().await {
                Ok(last) => break last,
                Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        };
        let mut reads = 0_u32;
        loop {
            tokio::time::sleep(SQLITE_POLL).await;
            match store.changes_after(cursor, BATCH).await {
                Ok(changes) => {
                    let Some(&(last, _)) = changes.last() else { continue };
                    cursor = last;
                    self.announce(store, changes.into_iter().map(|(_, id)| id).collect()).await;
                    reads += 1;
                    // Now and then, forget what has been read (one process reads SQLite's log).
                    if reads.is_multiple_of(50) {
                        let _ = store.prune_changes(cursor).await;
                    }
                }
                Err(_) => self.everything(),
            }
        }
    }

    async fn listen_postgres(&self, store: &SqlStore, url: &str) {
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect(url).await {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "live updates: cannot connect to PostgreSQL; retrying");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
            };
            if let Err(error) = listener.listen("atende_changes").await {
                tracing::warn!(%error, "live updates: LISTEN failed; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
            // Whatever happened while nobody listened is unknown.
            self.everything();
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        let mut ids = BTreeSet::new();
                        ids.extend(notification.payload().parse::<i64>().ok());
                        // Take what else has arrived already, to look the teams up in one query.
                        while ids.len() < 500 {
                            match listener.next_buffered() {
                                Some(more) => ids.extend(more.payload().parse::<i64>().ok()),
                                None => break,
                            }
                        }
                        self.announce(store, ids.into_iter().collect()).await;
                    }
                    // The connection was lost and is back: notifications in between are gone.
                    Ok(None) => self.everything(),
                    Err(error) => {
                        tracing::warn!(%error, "live updates: the PostgreSQL listener failed; reconnecting");
                        break;
                    }
                }
            }
        }
    }

    /// Announces each conversation once, with the team it belongs to now.
    async fn announce(&self, store: &SqlStore, mut ids: Vec<i64>) {
        ids.sort_unstable();
        ids.dedup();
        match store.teams_of_conversations(&ids).await {
            Ok(teams) => {
                for (id, team) in teams {
                    let _ = self.sender.send(Change::Conversation { id, team });
                }
            }
            Err(_) => self.everything(),
        }
    }

    fn everything(&self) {
        let _ = self.sender.send(Change::Everything);
    }
}

/// What `GET /eventos` needs.
#[derive(Clone)]
pub struct LiveState {
    pub feed: LiveFeed,
    pub auth: AuthState,
}

/// `GET /eventos`: `ready` when the stream opens, then `change` (data: the conversation's id, in digits) for each
/// conversation the agent may see, and `resync` when changes may have been missed. The stream ends when the
/// session does.
pub async fn events(
    State(state): State<LiveState>,
    Extension(viewer): Extension<Viewer>,
    Extension(session): Extension<SessionHash>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let subscriber = Subscriber {
        changes: state.feed.subscribe(),
        viewer,
        session,
        auth: state.auth,
        next_check: tokio::time::Instant::now() + SESSION_CHECK,
        greeted: false,
    };
    let stream = futures_util::stream::unfold(subscriber, |mut subscriber| async move {
        let event = subscriber.next_event().await?;
        Some((Ok(event), subscriber))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

struct Subscriber {
    changes: broadcast::Receiver<Change>,
    viewer: Viewer,
    session: SessionHash,
    auth: AuthState,
    next_check: tokio::time::Instant,
    greeted: bool,
}

impl Subscriber {
    /// The next event this agent may have, or `None` when the stream should end.
    async fn next_event(&mut self) -> Option<Event> {
        if !self.greeted {
            self.greeted = true;
            return Some(Event::default().event("ready").data("{}"));
        }
        loop {
            let received = tokio::select! {
                received = self.changes.recv() => received,
                () = tokio::time::sleep_until(self.next_check) => {
                    self.next_check = tokio::time::Instant::now() + SESSION_CHECK;
                    let now = self.auth.clock.now();
                    match self.auth.store.session_viewer(&self.session.0, now).await {
                        Ok(Some(viewer)) => self.viewer = viewer,
                        Ok(None) => return None,
                        Err(_) => {}
                    }
                    continue;
                }
            };
            match received {
                Ok(Change::Conversation { id, team }) if self.viewer.may_see(team) => {
                    return Some(Event::default().event("change").data(id.to_string()));
                }
                Ok(Change::Conversation { .. }) => {}
                Ok(Change::Everything) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Some(Event::default().event("resync").data("{}"));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

impl SqlStore {
    /// The last change SQLite's log holds (0 when empty).
    pub async fn last_change(&self) -> Result<i64, StoreError> {
        sqlx::query("SELECT COALESCE(MAX(change_id), 0) AS last FROM change_log")
            .fetch_one(&self.pool)
            .await
            .and_then(|row| row.try_get("last"))
            .map_err(unavailable)
    }

    /// SQLite's log after `cursor`, oldest first: (change, conversation).
    pub async fn changes_after(&self, cursor: i64, limit: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT change_id, conversation_id FROM change_log WHERE change_id > $1 ORDER BY change_id LIMIT $2",
        )
        .bind(cursor)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter()
            .map(|row| Ok((row.try_get("change_id")?, row.try_get("conversation_id")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(unavailable)
    }

    /// Forgets SQLite's log up to `cursor` (read already).
    pub async fn prune_changes(&self, cursor: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM change_log WHERE change_id <= $1")
            .bind(cursor)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// The team each of these conversations belongs to now (conversations that do not exist are left out).
    pub async fn teams_of_conversations(&self, ids: &[i64]) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
        let mut teams = Vec::with_capacity(ids.len());
        // Portable and bounded: a few hundred ids at a time, bound one by one.
        for chunk in ids.chunks(200) {
            let binds = (1..=chunk.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT conversation_id, team_id FROM conversation WHERE conversation_id IN ({binds})"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
            for row in rows {
                teams.push((
                    row.try_get("conversation_id").map_err(unavailable)?,
                    row.try_get::<Option<i64>, _>("team_id").map_err(unavailable)?,
                ));
            }
        }
        Ok(teams)
    }
}
