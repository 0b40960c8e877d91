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
use crate::settings::Database;
use crate::store::{Backend, SqlStore};
use atende_domain::access::Viewer;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use futures_util::stream::Stream;
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

/// How long PostgreSQL's notifications are gathered after the first, to look their conversations' teams up in
/// one query: the socket hands a commit's notifications over one by one (a batch of webhooks names a hundred
/// conversations at once), and looking each up alone cost the ingest bench 20,000 queries for 20,000 messages.
const GATHER: Duration = Duration::from_millis(5);

/// One thing the console should look at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Something of this conversation changed; `team` is the team it belongs to now (who may see it), `left`
    /// the team it was moved away from by this change, if it was (`Some(None)`: it left the shared inbox), so
    /// that those who may no longer see it still hear that it went.
    Conversation { id: i64, team: Option<i64>, left: Option<Option<i64>> },
    /// Changes may have been missed: look at everything again.
    Everything,
}

/// The changes of this instance's database, for every open stream.
#[derive(Clone)]
pub struct LiveFeed {
    sender: broadcast::Sender<Change>,
    /// Set when the server stops: every open stream ends, so the graceful shutdown does not wait for them.
    stopping: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
}

impl Default for LiveFeed {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
            stopping: std::sync::Arc::new(tokio::sync::watch::channel(false).0),
        }
    }
}

/// One row of the change log: a conversation and, when the write moved it, the team it left (0: none).
type Logged = (i64, Option<i64>);

impl LiveFeed {
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    /// Ends every open stream (the server is stopping).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
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
        let mut full = false;
        let mut failing = false;
        loop {
            // A full batch means more is waiting: read on at once.
            if !full {
                tokio::time::sleep(SQLITE_POLL).await;
            }
            match store.changes_after(cursor, BATCH).await {
                Ok(changes) => {
                    // What changed while the log could not be read is unknown: once, look at everything.
                    if std::mem::take(&mut failing) {
                        self.everything();
                    }
                    full = changes.len() == usize::try_from(BATCH).unwrap_or(usize::MAX);
                    let Some(&(last, ..)) = changes.last() else { continue };
                    cursor = last;
                    self.announce(store, changes.into_iter().map(|(_, id, left)| (id, left)).collect()).await;
                    reads += 1;
                    // Now and then, forget what has been read (one process reads SQLite's log).
                    if reads.is_multiple_of(50) {
                        let _ = store.prune_changes(cursor).await;
                    }
                }
                Err(_) => {
                    failing = true;
                    full = false;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
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
            // What the gathering below got instead of a notification, handled as if received here.
            let mut handed_back = None;
            loop {
                let received = match handed_back.take() {
                    Some(received) => received,
                    None => listener.try_recv().await,
                };
                match received {
                    Ok(Some(notification)) => {
                        let mut changes = BTreeSet::new();
                        changes.extend(parse_notification(notification.payload()));
                        // Take what else arrives within [`GATHER`], to look the teams up in one query. Waiting
                        // for a notification may be given up: sqlx's listener loses nothing then.
                        let until = tokio::time::Instant::now() + GATHER;
                        while changes.len() < 500 {
                            if let Some(more) = listener.next_buffered() {
                                changes.extend(parse_notification(more.payload()));
                                continue;
                            }
                            match tokio::time::timeout_at(until, listener.try_recv()).await {
                                Ok(Ok(Some(more))) => changes.extend(parse_notification(more.payload())),
                                Ok(other) => {
                                    handed_back = Some(other);
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        self.announce(store, changes.into_iter().collect()).await;
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

    /// Announces each conversation once (once per team it left, too), with the team it belongs to now.
    async fn announce(&self, store: &SqlStore, mut changes: Vec<Logged>) {
        changes.sort_unstable();
        changes.dedup();
        let mut ids: Vec<i64> = changes.iter().map(|(id, _)| *id).collect();
        ids.dedup();
        let teams = match store.teams_of_conversations(&ids).await {
            Ok(teams) => teams.into_iter().collect::<std::collections::HashMap<_, _>>(),
            Err(_) => return self.everything(),
        };
        let mut announced = std::collections::HashSet::new();
        for (id, left) in changes {
            let Some(&team) = teams.get(&id) else { continue };
            let left = left.map(|team| (team > 0).then_some(team));
            // A plain change is said once; each move away from a team is said too.
            if left.is_some() || announced.insert(id) {
                let _ = self.sender.send(Change::Conversation { id, team, left });
            }
        }
    }

    fn everything(&self) {
        let _ = self.sender.send(Change::Everything);
    }
}

/// A notification's payload: `<conversation>` or, when the write moved it, `<conversation>:<team it left>`
/// (0: the shared inbox).
fn parse_notification(payload: &str) -> Option<Logged> {
    match payload.split_once(':') {
        Some((id, left)) => Some((id.parse().ok()?, Some(left.parse().ok()?))),
        None => Some((payload.parse().ok()?, None)),
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
        stopping: state.feed.stopping.subscribe(),
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
    stopping: tokio::sync::watch::Receiver<bool>,
}

impl Subscriber {
    /// The next event this agent may have, or `None` when the stream should end.
    async fn next_event(&mut self) -> Option<Event> {
        if *self.stopping.borrow() {
            return None;
        }
        if !self.greeted {
            self.greeted = true;
            return Some(Event::default().event("ready").data("{}"));
        }
        loop {
            let received = tokio::select! {
                received = self.changes.recv() => received,
                _ = self.stopping.changed() => return None,
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
                Ok(Change::Conversation { id, team, left })
                    if self.viewer.may_see(team) || left.is_some_and(|old| self.viewer.may_see(old)) =>
                {
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
