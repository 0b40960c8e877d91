//! The time as this side sees it: the browser's clock in the client, the system clock while rendering on the
//! server. The domain never reads a clock; components pass it this.

use atende_domain::time::Timestamp;

#[cfg(feature = "hydrate")]
pub(crate) fn now() -> Timestamp {
    // f64 milliseconds since the epoch; whole milliseconds are all the rules need.
    #[expect(clippy::cast_possible_truncation)]
    Timestamp::from_millis(js_sys::Date::now() as i64)
}

#[cfg(not(feature = "hydrate"))]
pub(crate) fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_millis(millis)
}

/// The time, moving every `every` for as long as the calling component lives (countdowns read it). On the
/// server it stands still at the moment of rendering.
pub(crate) fn ticking(every: std::time::Duration) -> leptos::prelude::RwSignal<Timestamp> {
    use leptos::prelude::*;
    let time = RwSignal::new(now());
    Effect::new(move |_| {
        let handle = set_interval_with_handle(move || time.set(now()), every).ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
    time
}

/// The one clock of the Atendimentos page: the list's countdowns and the open conversation's read the same
/// time, so they say the same; it moves every `COUNTDOWN`, and again as soon as the live stream reports a
/// change (a contact's message just in is counted from now, not from the last tick).
#[derive(Clone, Copy)]
struct PageClock(leptos::prelude::RwSignal<Timestamp>);

/// How often the window's countdown moves (it reads in minutes).
pub(crate) const COUNTDOWN: std::time::Duration = std::time::Duration::from_secs(10);

/// The page's clock, made (and shared below the caller) by the first component that asks for it.
pub(crate) fn page_clock() -> leptos::prelude::RwSignal<Timestamp> {
    use leptos::prelude::*;
    if let Some(PageClock(time)) = use_context::<PageClock>() {
        return time;
    }
    let time = ticking(COUNTDOWN);
    let changes = crate::live::Live::current().any_change();
    Effect::new(move |_| {
        changes.track();
        time.set(now());
    });
    provide_context(PageClock(time));
    time
}

/// Minutes east of UTC where the agent is: Brasília's (-180) while rendering on the server, where most
/// Brazilian businesses are; the browser's own once the page is live (set after hydration, so the first
/// render matches the server's). Each caller gets its own signal, owned by it.
pub(crate) const BRASILIA: i32 = -180;

pub(crate) fn utc_offset() -> leptos::prelude::RwSignal<i32> {
    use leptos::prelude::*;
    let offset = RwSignal::new(BRASILIA);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        // JavaScript counts minutes *behind* UTC (180 in Brasília), always whole.
        #[expect(clippy::cast_possible_truncation)]
        let behind = js_sys::Date::new_0().get_timezone_offset() as i32;
        offset.set(-behind);
    });
    offset
}
