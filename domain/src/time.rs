//! Instants as plain values. The caller reads the clock; the domain only compares.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// `self + millis`, saturating instead of overflowing.
    pub const fn plus_millis(self, millis: i64) -> Self {
        Self(self.0.saturating_add(millis))
    }

    /// Webhooks carry Unix seconds (`"timestamp": "1749416383"`).
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds.saturating_mul(1000))
    }

    /// Midnight UTC of a calendar date (proleptic Gregorian), or `None` if the date does not exist or lies
    /// beyond what milliseconds in an `i64` can count (about 292 million years either side of 1970). Used for
    /// effective dates in configuration (rate cards), never for "now".
    pub const fn from_utc_date(year: i32, month: u32, day: u32) -> Option<Self> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let month_days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if day == 0 || day > month_days {
            return None;
        }
        // Days from civil (H. Hinnant): 1970-01-01 is day 0.
        let y = if month <= 2 { year as i64 - 1 } else { year as i64 };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let year_of_era = y - era * 400;
        let m = month as i64;
        let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        let days = era * 146_097 + day_of_era - 719_468;
        // `days` always fits (a year is an i32), but in milliseconds it may not: a typo in a configured year
        // must give `None`, never an overflow.
        match days.checked_mul(Duration::DAY) {
            Some(millis) => Some(Self(millis)),
            None => None,
        }
    }

    /// The UTC calendar date of this instant, as "dd/mm/aaaa".
    pub fn utc_date_label(self) -> String {
        let (year, month, day) = self.utc_civil();
        format!("{day:02}/{month:02}/{year}")
    }

    /// The calendar year of this instant `offset_minutes` east of UTC (-180 in Brasília).
    pub fn local_year(self, offset_minutes: i32) -> i64 {
        let shift = i64::from(offset_minutes).saturating_mul(60_000);
        Self(self.0.saturating_add(shift)).utc_civil().0
    }

    /// Year, month and day of this instant in UTC (civil from days, H. Hinnant).
    fn utc_civil(self) -> (i64, i64, i64) {
        let days = self.0.div_euclid(Duration::DAY) + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days.rem_euclid(146_097);
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        (year_of_era + era * 400 + i64::from(month <= 2), month, day)
    }

    /// The time of day where the agent is (`offset_minutes` east of UTC: -180 in Brasília), as "14:05"; with
    /// the date before it ("05/12/2026 14:05") when that is not the day of `today` there.
    pub fn local_label(self, offset_minutes: i32, today: Timestamp) -> String {
        let shift = i64::from(offset_minutes).saturating_mul(60_000);
        let local = Self(self.0.saturating_add(shift));
        let day = local.0.div_euclid(Duration::DAY);
        let minutes = local.0.rem_euclid(Duration::DAY) / 60_000;
        let time = format!("{:02}:{:02}", minutes / 60, minutes % 60);
        if day == today.0.saturating_add(shift).div_euclid(Duration::DAY) {
            time
        } else {
            format!("{} {time}", local.utc_date_label())
        }
    }

    /// `self + duration`, or `None` if the instant cannot be represented.
    pub const fn checked_plus(self, duration: Duration) -> Option<Self> {
        match self.0.checked_add(duration.0) {
            Some(millis) => Some(Self(millis)),
            None => None,
        }
    }

    /// `self + duration`, saturating instead of overflowing.
    pub const fn plus(self, duration: Duration) -> Self {
        self.plus_millis(duration.0)
    }

    /// How long from `earlier` to `self`; zero if `earlier` is not earlier.
    pub const fn since(self, earlier: Timestamp) -> Duration {
        let millis = self.0.saturating_sub(earlier.0);
        Duration(if millis > 0 { millis } else { 0 })
    }
}

/// A span of time in milliseconds, never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Duration(i64);

impl Duration {
    pub const ZERO: Duration = Duration(0);
    const MINUTE: i64 = 60 * 1000;
    const HOUR: i64 = 60 * Self::MINUTE;
    const DAY: i64 = 24 * Self::HOUR;

    /// Negative spans become zero.
    pub const fn from_millis(millis: i64) -> Self {
        Self(if millis > 0 { millis } else { 0 })
    }

    pub const fn minutes(minutes: i64) -> Self {
        Self::from_millis(minutes.saturating_mul(Self::MINUTE))
    }

    pub const fn hours(hours: i64) -> Self {
        Self::from_millis(hours.saturating_mul(Self::HOUR))
    }

    pub const fn days(days: i64) -> Self {
        Self::from_millis(days.saturating_mul(Self::DAY))
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Duration {
    /// How a countdown reads to an agent: `2 d 3 h`, `23 h 05 min`, `7 min`, `menos de 1 min`; a day or less in
    /// hours (`24 h 00 min`: a 24-hour window that has just opened never reads "1 d"). Rounded down: a
    /// countdown never promises more time than is left.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minutes = self.0 % Self::HOUR / Self::MINUTE;
        if self.0 > Self::DAY {
            return write!(f, "{} d {} h", self.0 / Self::DAY, self.0 % Self::DAY / Self::HOUR);
        }
        match (self.0 / Self::HOUR, minutes) {
            (0, 0) => write!(f, "menos de 1 min"),
            (0, m) => write!(f, "{m} min"),
            (h, m) => write!(f, "{h} h {m:02} min"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_time_reads_in_the_agents_time_zone_with_the_date_when_not_today() {
        // 2026-12-06 01:30 UTC is 22:30 of the 5th in Brasília.
        let at = Timestamp::from_utc_date(2026, 12, 6).expect("date").plus_millis(90 * 60_000);
        assert_eq!(at.local_label(0, at), "01:30");
        assert_eq!(at.local_label(-180, at.plus_millis(60_000)), "22:30");
        let next_morning = at.plus(Duration::hours(12));
        assert_eq!(at.local_label(-180, next_morning), "05/12/2026 22:30");
        assert_eq!(at.local_label(0, next_morning), "01:30", "still the 6th in UTC");
    }

    #[test]
    fn a_countdown_reads_in_days_hours_and_minutes_rounded_down() {
        let left = Duration::hours(23).as_millis() + Duration::minutes(5).as_millis() + 59_999;
        assert_eq!(Duration::from_millis(left).to_string(), "23 h 05 min");
        assert_eq!(Duration::minutes(7).to_string(), "7 min");
        assert_eq!(Duration::from_millis(59_999).to_string(), "menos de 1 min");
        assert_eq!(
            Duration::from_millis(Duration::days(2).as_millis() + 3 * 3_600_000).to_string(),
            "2 d 3 h"
        );
        assert_eq!(Duration::hours(24).to_string(), "24 h 00 min", "a day reads in hours");
        assert_eq!(Duration::from_millis(Duration::hours(25).as_millis() + 1).to_string(), "1 d 1 h");
    }

    #[test]
    fn calendar_dates_become_midnight_utc() {
        assert_eq!(Timestamp::from_utc_date(1970, 1, 1), Some(Timestamp::from_millis(0)));
        assert_eq!(Timestamp::from_utc_date(2026, 1, 1), Some(Timestamp::from_millis(1_767_225_600_000)));
        assert_eq!(Timestamp::from_utc_date(2026, 10, 1), Some(Timestamp::from_millis(1_790_812_800_000)));
        assert_eq!(Timestamp::from_utc_date(2024, 2, 29), Some(Timestamp::from_millis(1_709_164_800_000)));
        assert_eq!(Timestamp::from_utc_date(2026, 2, 29), None);
        assert_eq!(Timestamp::from_utc_date(2026, 13, 1), None);
    }

    proptest! {
        #[test]
        fn a_date_label_reads_back_the_calendar_date(year in 1800i32..2400, month in 1u32..=12, day in 1u32..=28) {
            let at = Timestamp::from_utc_date(year, month, day).expect("exists");
            prop_assert_eq!(at.utc_date_label(), format!("{day:02}/{month:02}/{year}"));
            prop_assert_eq!(at.plus_millis(Duration::DAY - 1).utc_date_label(), format!("{day:02}/{month:02}/{year}"));
        }
    }

    #[test]
    fn a_date_too_far_from_1970_for_milliseconds_is_none_instead_of_an_overflow() {
        assert_eq!(Timestamp::from_utc_date(i32::MAX, 12, 31), None);
        assert_eq!(Timestamp::from_utc_date(i32::MIN, 1, 1), None);
        assert_eq!(Timestamp::from_utc_date(1_000_000_000, 1, 1), None);
        assert!(Timestamp::from_utc_date(200_000_000, 1, 1).is_some());
        assert!(Timestamp::from_utc_date(-200_000_000, 1, 1).is_some());
    }

    #[test]
    fn adding_to_the_last_instant_saturates_or_says_none() {
        let last = Timestamp::from_millis(i64::MAX);
        assert_eq!(last.plus(Duration::days(1)), last);
        assert_eq!(last.checked_plus(Duration::days(1)), None);
        assert_eq!(
            Timestamp::from_millis(0).checked_plus(Duration::hours(1)),
            Some(Timestamp::from_millis(3_600_000))
        );
        assert_eq!(Duration::days(i64::MAX).as_millis(), i64::MAX);
        assert_eq!(Duration::days(i64::MIN), Duration::ZERO);
        assert_eq!(Timestamp::from_unix_seconds(i64::MAX).as_millis(), i64::MAX);
    }

    #[test]
    fn webhook_seconds_become_milliseconds() {
        assert_eq!(Timestamp::from_unix_seconds(1_749_416_383).as_millis(), 1_749_416_383_000);
    }

    proptest! {
        #[test]
        fn a_duration_is_never_negative(a in any::<i64>(), b in any::<i64>()) {
            let (a, b) = (Timestamp::from_millis(a), Timestamp::from_millis(b));
            prop_assert!(a.since(b).as_millis() >= 0);
            prop_assert!(Duration::from_millis(a.as_millis()).as_millis() >= 0);
        }

        #[test]
        fn no_calendar_date_overflows(year in any::<i32>(), month in any::<u32>(), day in any::<u32>()) {
            let _ = Timestamp::from_utc_date(year, month, day);
        }

        #[test]
        fn consecutive_dates_are_one_day_apart(year in 1900i32..2200, month in 1u32..=12, day in 1u32..=28) {
            let today = Timestamp::from_utc_date(year, month, day).expect("days 1 to 28 exist in every month");
            let next = Timestamp::from_utc_date(year, month, day + 1)
                .or_else(|| Timestamp::from_utc_date(year, month + 1, 1))
                .or_else(|| Timestamp::from_utc_date(year + 1, 1, 1))
                .expect("some next day");
            prop_assert_eq!(next.since(today), Duration::days(1));
        }

        #[test]
        fn adding_the_time_since_gives_the_later_instant(a in -1_000_000_000_000i64..4_000_000_000_000, d in 0i64..1_000_000_000_000) {
            let earlier = Timestamp::from_millis(a);
            let later = earlier.plus(Duration::from_millis(d));
            prop_assert_eq!(later.since(earlier), Duration::from_millis(d));
            prop_assert_eq!(earlier.since(later), Duration::ZERO);
        }
    }
}
