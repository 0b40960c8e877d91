//! Live updates in the browser: one `EventSource` on `/eventos` (server-sent events, gloo-net) tells the
//! console which conversations the agent may see just changed; the list and the open conversation then fetch
//! again through their server functions. Nothing is polled. Events that arrive together (a queue flushing ten
//! messages) are gathered for [`SETTLE`] and cause one fetch.
//!
//! When the stream drops, the browser reconnects by itself; when it comes back (a second `ready`), or the
//! server says changes may have been missed (`resync`), everything on screen is fetched again.

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
        let live = Self { changed: RwSignal::new(Changed::default()), connected: RwSignal::new(true) };
        provide_context(live);
        #[cfg(feature = "hydrate")]
        Effect::new(move |_| browser::follow(live));
        live
    }

    /// The live state of the screen around, or a still one (a component shown outside such a screen).
    pub fn current() -> Self {
        use_context::<Self>()
            .unwrap_or(Self { changed: RwSignal::new(Changed::default()), connected: RwSignal::new(true) })
    }

    /// A counter that moves with every burst: a resource that depends on it fetches again.
    pub fn any_change(self) -> Memo<u32> {
        Memo::new(move |_| self.changed.with(|c| c.burst))
    }

    /// A counter that moves with every burst that concerns `conversation`.
    pub fn change_of(self, conversation: i64) -> Memo<u32> {
        Memo::new(move |previous: Option<&u32>| {
            let previous = previous.copied().unwrap_or(0);
            self.changed.with(|c| if c.touches(conversation) { c.burst } else { previous })
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

    /// How long to wait before opening a new stream when the browser gave up on one.
    const RETRY: std::time::Duration = std::time::Duration::from_secs(5);

    pub(super) fn follow(live: Live) {
        let stopped = Rc::new(Cell::new(false));
        let current: Rc<RefCell<Option<EventSource>>> = Rc::new(RefCell::new(None));
        let stop = SendWrapper::new((stopped.clone(), current.clone()));
        on_cleanup(move || {
            let (stopped, current) = stop.take();
            stopped.set(true);
            let source = current.borrow_mut().take();
            if let Some(source) = source {
                source.close();
            }
        });
        leptos::task::spawn_local(async move {
            let pending = Rc::new(RefCell::new(Changed::default()));
            let mut opened = 0_u32;
            while !stopped.get() {
                listen(live, &current, &pending, &mut opened).await;
                live.connected.set(false);
                if stopped.get() {
                    break;
                }
                sleep(RETRY).await;
            }
        });
    }

    /// One `EventSource`, until the browser closes it.
    async fn listen(
        live: Live,
        current: &Rc<RefCell<Option<EventSource>>>,
        pending: &Rc<RefCell<Changed>>,
        opened: &mut u32,
    ) {
        let Ok(mut source) = EventSource::new("/eventos") else { return };
        let (Ok(ready), Ok(change), Ok(resync)) =
            (source.subscribe("ready"), source.subscribe("change"), source.subscribe("resync"))
        else {
            return;
        };
        *current.borrow_mut() = Some(source);
        let mut events = futures::stream::select(ready, futures::stream::select(change, resync));
        while let Some(Ok((kind, message))) = events.next().await {
            let data = message.data().as_string().unwrap_or_default();
            if kind == "ready" {
                *opened += 1;
                live.connected.set(true);
                if *opened == 1 {
                    continue;
                }
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
