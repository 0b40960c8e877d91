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
