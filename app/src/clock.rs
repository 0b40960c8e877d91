//! The time as this side sees it: the browser's clock in the client, the system clock while rendering on the
//! server. The domain never reads a clock; components pass it this.

use atende_domain::time::Timestamp;

#[cfg(feature = "hydrate")]
pub fn now() -> Timestamp {
    // f64 milliseconds since the epoch; whole milliseconds are all the rules need.
    #[allow(clippy::cast_possible_truncation)]
    Timestamp::from_millis(js_sys::Date::now() as i64)
}

#[cfg(not(feature = "hydrate"))]
pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_millis(millis)
}

/// The time, moving every `every` for as long as the calling component lives (countdowns read it). On the
/// server it stands still at the moment of rendering.
pub fn ticking(every: std::time::Duration) -> leptos::prelude::RwSignal<Timestamp> {
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
