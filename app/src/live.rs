//! Live updates in the browser: one `EventSource` on `/eventos` (server-sent events, gloo-net) tells the
//! console which conversations the agent may see just changed; the list and the open conversation then fetch
//! again through their server functions. Nothing is polled. Events that arrive together (a queue flushing ten
//! messages) are gathered for [`SETTLE`] and cause one fetch.
//!
//! When the stream opens (`ready`: the page may be older than the stream) or the server says changes may
//! have been missed (`resync`), everything on screen is fetched again. A dropped stream is retried by the
//! browser (the console says it is offline meanwhile); one the browser gave up on is opened again, unless the
//! session ended, and then the sign-in page is shown.

use leptos::prelude::*;

/// How long events are gathered before the screen fetches again.
pub const SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// What changed since the last burst.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// Counts bursts, so two bursts about the same conversation are two changes.
    pub burst: u32,
    pub conversations: Vec<i64>,
    /// Changes may have been missed: everything on screen should be fetched again.
    pub everything: bool,
}

impl Changed {
    pub fn touches(&self, conversation: i64) -> bool {
        self.everything || self.conversations.contains(&conversation)
    }

    /// Adds one event's news to the burst being gathered.
    pub fn add(&mut self, event: &str, data: &str) {
        match event {
            "change" => {
                if let Ok(id) = data.trim().parse::<i64>() {
                    if !self.conversations.contains(&id) {
                        self.conversations.push(id);
                    }
                }
            }
            _ => self.everything = true,
        }
    }
}

/// The console's live state, provided as context by the screens that follow it.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    /// The last burst of changes (`burst` 0: none yet).
    pub changed: RwSignal<Changed>,
    /// Whether the stream is open (the console says so when it is not).
    pub connected: RwSignal<bool>,
}

impl Live {
    /// Creates the live state, provides it to the children and, in the browser, connects to `/eventos` for as
    /// long as the calling component lives.
    pub fn provide() -> Self {
        let live = Self::still();
        provide_context(live);
        #[cfg(feature = "hydrate")]
        Effect::new(move |_| browser::follow(live));
        live
    }

    /// The live state of the screen around, or a still one (a component shown outside such a screen).
    pub fn current() -> Self {
        use_context::<Self>().unwrap_or_else(Self::still)
    }

    /// No change yet, connected (until the stream says otherwise).
    fn still() -> Self {
        Self { changed: RwSignal::new(Changed::default()), connected: RwSignal::new(true) }
    }

    /// A counter that moves with every burst: a resource that depends on it fetches again.
    pub fn any_change(self) -> Memo<u32> {
        Memo::new(move |_| self.changed.with(|c| c.burst))
    }

    /// A counter that moves with every burst that concerns `conversation`.
    pub fn change_of(self, conversation: i64) -> Memo<u32> {
        self.counter(move |c| c.touches(conversation))
    }

    /// A counter that moves with every burst that says changes may have been missed (the stream opened again,
    /// or the server said so): everything on screen is to be read again.
    pub fn missed(self) -> Memo<u32> {
        self.counter(|c| c.everything)
    }

    /// A counter that moves with the bursts `moves` says so of.
    fn counter(self, moves: impl Fn(&Changed) -> bool + Send + Sync + 'static) -> Memo<u32> {
        Memo::new(move |previous: Option<&u32>| {
            let previous = previous.copied().unwrap_or(0);
            self.changed.with(|c| if moves(c) { c.burst } else { previous })
        })
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{Changed, Live, SETTLE};
    use futures::StreamExt;
    use gloo_net::eventsource::futures::EventSource;
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    /// How long to wait before opening a new stream when the browser gave up on one (doubling up to a minute).
    const RETRY: std::time::Duration = std::time::Duration::from_secs(5);
    /// How often the stream's state is looked at (the browser retries a dropped stream silently).
    const WATCH: std::time::Duration = std::time::Duration::from_secs(2);

    pub(super) fn follow(live: Live) {
        let stopped = Rc::new(Cell::new(false));
        let current: Rc<RefCell<Option<EventSource>>> = Rc::new(RefCell::new(None));
        // While the browser retries a dropped stream (server restarting, network down) the console says so.
        let watched = current.clone();
        let watch = set_interval_with_handle(
            move || {
                let state = watched.borrow().as_ref().map(EventSource::state);
                live.connected.set(state == Some(gloo_net::eventsource::State::Open));
            },
            WATCH,
        )
        .ok();
        let stop = SendWrapper::new((stopped.clone(), current.clone()));
        on_cleanup(move || {
            let (stopped, current) = stop.take();
            stopped.set(true);
            if let Some(watch) = watch {
                watch.clear();
            }
            let source = current.borrow_mut().take();
            if let Some(source) = source {
                source.close();
            }
        });
        leptos::task::spawn_local(async move {
            let pending = Rc::new(RefCell::new(Changed::default()));
            let mut retry = RETRY;
            while !stopped.get() {
                if listen(live, &current, &pending).await {
                    retry = RETRY;
                }
                live.connected.set(false);
                if stopped.get() || signed_out().await {
                    break;
                }
                sleep(retry).await;
                retry = (retry * 2).min(std::time::Duration::from_secs(60));
            }
        });
    }

    /// After the browser gave up on the stream: whether that is because the session ended (then the sign-in
    /// page is shown, as any other page would after the session).
    async fn signed_out() -> bool {
        let probe =
            gloo_net::http::Request::get("/eventos").method(gloo_net::http::Method::HEAD).send().await;
        let out = probe.is_ok_and(|response| response.status() == 401);
        if out {
            let _ = window().location().set_href("/entrar");
        }
        out
    }

    /// One `EventSource`, until the browser closes it; whether it ever opened.
    async fn listen(
        live: Live,
        current: &Rc<RefCell<Option<EventSource>>>,
        pending: &Rc<RefCell<Changed>>,
    ) -> bool {
        let Ok(mut source) = EventSource::new("/eventos") else { return false };
        let (Ok(ready), Ok(change), Ok(resync)) =
            (source.subscribe("ready"), source.subscribe("change"), source.subscribe("resync"))
        else {
            return false;
        };
        *current.borrow_mut() = Some(source);
        let mut opened = false;
        let mut events = futures::stream::select(ready, futures::stream::select(change, resync));
        while let Some(Ok((kind, message))) = events.next().await {
            let data = message.data().as_string().unwrap_or_default();
            // Every opening, the first too, counts as "look at everything again": what changed between the
            // server rendering the page (or the stream dropping) and the stream opening is fetched.
            if kind == "ready" {
                opened = true;
                live.connected.set(true);
            }
            let first = {
                let mut gathering = pending.borrow_mut();
                let first = *gathering == Changed::default();
                gathering.add(&kind, &data);
                first
            };
            if first {
                let pending = pending.clone();
                set_timeout(
                    move || {
                        let burst = std::mem::take(&mut *pending.borrow_mut());
                        live.changed.update(|changed| {
                            *changed = Changed { burst: changed.burst.wrapping_add(1), ..burst };
                        });
                    },
                    SETTLE,
                );
            }
        }
        current.borrow_mut().take();
        opened
    }

    async fn sleep(duration: std::time::Duration) {
        let (done, wait) = futures::channel::oneshot::channel::<()>();
        set_timeout(
            move || {
                let _ = done.send(());
            },
            duration,
        );
        let _ = wait.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_gathers_each_conversation_once_and_anything_else_means_everything() {
        let mut burst = Changed::default();
        burst.add("change", "12");
        burst.add("change", "7");
        burst.add("change", "12");
        burst.add("change", "not a number");
        assert_eq!(burst.conversations, vec![12, 7]);
        assert!(burst.touches(7) && !burst.touches(8) && !burst.everything);
        burst.add("resync", "{}");
        assert!(burst.everything && burst.touches(8));
    }
}
