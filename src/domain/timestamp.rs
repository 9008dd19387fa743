//! Timestamps as custody writes them (manifest, transcript): RFC 3339 in UTC with whole seconds,
//! `YYYY-MM-DDTHH:MM:SSZ` (e.g. `2026-11-26T20:40:05Z`), years 1970 to 9999. Formatting and the
//! calendar are humantime's; this module adds the strictness: only the form custody writes, and
//! only real dates. No I/O.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 9999-12-31T23:59:59Z: four-digit years only.
const MAX_UNIX_SECONDS: u64 = 253_402_300_799;

/// The length of `YYYY-MM-DDTHH:MM:SSZ`.
const FORM_LEN: usize = 20;

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
        if text.len() != FORM_LEN || !text.is_ascii() || !text.ends_with('Z') {
            return None;
        }
        let moment = humantime::parse_rfc3339(text).ok()?;
        let seconds = moment.duration_since(UNIX_EPOCH).ok()?.as_secs();
        let parsed = Self::from_unix_seconds(seconds)?;
        // humantime accepts 23:59:60 as the next second; custody writes no leap seconds.
        (parsed.to_string() == text).then_some(parsed)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let moment = UNIX_EPOCH + Duration::from_secs(self.unix_seconds);
        write!(f, "{}", humantime::format_rfc3339_seconds(moment))
    }
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
            let moment = Timestamp::from_unix_seconds(days * 86_400 + 3661).unwrap();
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
