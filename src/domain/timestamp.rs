//! Timestamps as the manifest writes them: RFC 3339 in UTC with whole seconds,
//! `YYYY-MM-DDTHH:MM:SSZ` (e.g. `2026-11-26T20:40:05Z`), years 1970 to 9999. This module owns
//! formatting from the system clock and strict parsing (only the form custody writes, and only
//! real dates). Civil-date arithmetic after Howard Hinnant's `days_from_civil`; no I/O.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

const SECONDS_PER_DAY: u64 = 86_400;
/// 9999-12-31T23:59:59Z: four-digit years only.
const MAX_UNIX_SECONDS: u64 = 253_402_300_799;

/// A moment in UTC, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    unix_seconds: u64,
}

impl Timestamp {
    /// Now, from the system clock (a clock before 1970 reads as 1970).
    pub fn now() -> Self {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        Self {
            unix_seconds: seconds.min(MAX_UNIX_SECONDS),
        }
    }

    /// Seconds since 1970-01-01T00:00:00Z; `None` past the year 9999.
    pub fn from_unix_seconds(unix_seconds: u64) -> Option<Self> {
        (unix_seconds <= MAX_UNIX_SECONDS).then_some(Self { unix_seconds })
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> u64 {
        self.unix_seconds
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SSZ` naming a real moment (no leap seconds, no offsets,
    /// no fractions); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let separators = [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'Z'),
        ];
        if bytes.len() != 20 || separators.iter().any(|&(at, byte)| bytes[at] != byte) {
            return None;
        }
        let number = |from: usize, to: usize| -> Option<u64> {
            let digits = &bytes[from..to];
            digits
                .iter()
                .all(u8::is_ascii_digit)
                .then(|| digits.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
        };
        let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
        let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
        if year < 1970 || !(1..=12).contains(&month) || day == 0 || day > 31 {
            return None;
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let parsed =
            Self::from_unix_seconds(days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second)?;
        // A day past the month's end (Feb 30) formats as another date: refuse it.
        (parsed.to_string() == text).then_some(parsed)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(self.unix_seconds / SECONDS_PER_DAY);
        let in_day = self.unix_seconds % SECONDS_PER_DAY;
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            in_day / 3600,
            in_day % 3600 / 60,
            in_day % 60
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date with year >= 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year % 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers checked with GNU date: `date -u -d @SECONDS +%Y-%m-%dT%H:%M:%SZ`.
    const KNOWN: [(u64, &str); 6] = [
        (0, "1970-01-01T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_709_164_799, "2024-02-28T23:59:59Z"),
        (1_795_725_605, "2026-11-26T20:40:05Z"),
        (4_107_542_400, "2100-03-01T00:00:00Z"),
        (MAX_UNIX_SECONDS, "9999-12-31T23:59:59Z"),
    ];

    #[test]
    fn formats_and_parses_known_moments() {
        for (seconds, text) in KNOWN {
            let moment = Timestamp::from_unix_seconds(seconds).unwrap();
            assert_eq!(moment.to_string(), text);
            assert_eq!(Timestamp::parse(text), Some(moment));
        }
    }

    #[test]
    fn every_day_for_four_centuries_round_trips() {
        for days in (0..146_097 * 4).step_by(7) {
            let moment = Timestamp::from_unix_seconds(days * SECONDS_PER_DAY + 3661).unwrap();
            assert_eq!(Timestamp::parse(&moment.to_string()), Some(moment));
        }
    }

    #[test]
    fn refuses_every_other_form() {
        for bad in [
            "",
            "2026-11-26",
            "2026-11-26T20:40:05",
            "2026-11-26T20:40:05+00:00",
            "2026-11-26T20:40:05.5Z",
            "2026-11-26t20:40:05z",
            "2026-11-26 20:40:05Z",
            "2026-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T23:60:00Z",
            "2026-11-26T23:59:60Z",
            "1969-12-31T23:59:59Z",
            "+026-11-26T20:40:05Z",
            "2026-11-2٦T20:40:05Z",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Timestamp::from_unix_seconds(MAX_UNIX_SECONDS + 1), None);
    }

    #[test]
    fn now_is_after_this_code_was_written() {
        assert!(Timestamp::now().unix_seconds() > 1_700_000_000);
    }
}
