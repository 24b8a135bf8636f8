//! Timestamps of connection records to calendar days in the analysis time
//! zone (SPEC §3.3): RFC 3339 with an offset, naive local time, or Unix
//! time in seconds, milliseconds, microseconds or nanoseconds.
//!
//! [`parse_timestamp`] reads every accepted form through chrono. A records
//! file has millions of timestamps in one or two shapes, so [`DayReader`]
//! reads the common shapes by hand and keeps the zone's UTC offset per hour
//! (an hour in which the offset changes is worked out record by record),
//! falling back on [`parse_timestamp`] for anything else: the two give the
//! same day, or the same refusal, for every input (a property test says so).

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// How a timestamp was written. Unix times are told apart by their size:
/// seconds of any date from 1970 to the year 5000 stay below 10¹¹, the same
/// dates in milliseconds lie between 10¹¹ and 10¹⁴, and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// RFC 3339 or naive local time.
    Text,
    /// Unix time in seconds (below 10¹¹).
    UnixSeconds,
    /// Unix time in milliseconds (10¹¹ to 10¹⁴).
    UnixMilliseconds,
    /// Unix time in microseconds (10¹⁴ to 10¹⁷).
    UnixMicroseconds,
    /// Unix time in nanoseconds (10¹⁷ to 10²⁰).
    UnixNanoseconds,
}

impl TimeUnit {
    /// The Unix units, in the order of `RecordStats::unix_units`.
    pub const UNIX: [TimeUnit; 4] = [
        TimeUnit::UnixSeconds,
        TimeUnit::UnixMilliseconds,
        TimeUnit::UnixMicroseconds,
        TimeUnit::UnixNanoseconds,
    ];

    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Text => "text",
            TimeUnit::UnixSeconds => "Unix seconds",
            TimeUnit::UnixMilliseconds => "Unix milliseconds",
            TimeUnit::UnixMicroseconds => "Unix microseconds",
            TimeUnit::UnixNanoseconds => "Unix nanoseconds",
        }
    }
}

/// Why a timestamp could not be read. The messages never quote the field:
/// in a records file a timestamp column may hold anything, a phone id too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The field is empty.
    #[error("expected a timestamp, found an empty field")]
    Empty,
    /// Neither RFC 3339, naive local time nor a number.
    #[error("expected RFC 3339 (2026-10-05T09:07:42+02:00), local time (2026-10-05 09:07[:42]) or Unix time, found something else")]
    Format,
    /// A number too large for a Unix time in any unit, or a date out of range.
    #[error("expected a Unix time in seconds, milliseconds, microseconds or nanoseconds since 1970, found a number out of range")]
    OutOfRange,
    /// A naive local time that the zone skips when clocks are put forward.
    #[error("the local time does not exist in {0} (clocks were put forward): expected a real local time, or an offset (RFC 3339)")]
    Nonexistent(Tz),
}

/// The calendar day (days since 0001-01-01) of a timestamp in `tz`:
/// RFC 3339 with an offset (`2026-10-05T09:07:42+02:00`, `…Z`), naive local
/// time `YYYY-MM-DD HH:MM[:SS]` (also with `T`), or Unix time. A naive
/// time that does not exist in `tz` (in the hour skipped when clocks go
/// forward) is refused; one that occurs twice (when clocks go back) is on
/// the same day either way.
pub fn local_day(raw: &str, tz: &Tz) -> Result<i32, TimestampError> {
    parse_timestamp(raw, tz).map(|(d, _)| d)
}

/// [`local_day`] and how the timestamp was written: Unix time in seconds,
/// milliseconds, microseconds or nanoseconds is told by its size.
pub fn parse_timestamp(raw: &str, tz: &Tz) -> Result<(i32, TimeUnit), TimestampError> {
    use chrono::Datelike;
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(TimestampError::Empty);
    }
    let day = |d: NaiveDate| d.num_days_from_ce();
    let b = raw.as_bytes();
    if b.iter()
        .all(|c| c.is_ascii_digit() || *c == b'-' || *c == b'.')
        && !raw[1..].contains('-')
    {
        let value: f64 = raw.parse().map_err(|_| TimestampError::Format)?;
        let (unit, per_second) = match value.abs() {
            v if v < 1e11 => (TimeUnit::UnixSeconds, 1i64),
            v if v < 1e14 => (TimeUnit::UnixMilliseconds, 1_000),
            v if v < 1e17 => (TimeUnit::UnixMicroseconds, 1_000_000),
            v if v < 1e20 => (TimeUnit::UnixNanoseconds, 1_000_000_000),
            _ => return Err(TimestampError::OutOfRange),
        };
        // whole numbers exactly (nanoseconds pass 2⁵³); fractions by floor
        let secs = match raw.parse::<i64>() {
            Ok(n) => n.div_euclid(per_second),
            Err(_) => (value / per_second as f64).floor() as i64,
        };
        let t = DateTime::from_timestamp(secs, 0).ok_or(TimestampError::OutOfRange)?;
        return Ok((day(t.with_timezone(tz).date_naive()), unit));
    }
    if let Some(t) = naive_common(raw) {
        return local_naive_day(t, tz).map(|d| (d, TimeUnit::Text));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok((day(t.with_timezone(tz).date_naive()), TimeUnit::Text));
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok());
    match naive {
        Some(t) => local_naive_day(t, tz).map(|d| (d, TimeUnit::Text)),
        None => Err(TimestampError::Format),
    }
}

/// The day of a naive local time, refused when `tz` skips it.
fn local_naive_day(t: NaiveDateTime, tz: &Tz) -> Result<i32, TimestampError> {
    use chrono::Datelike;
    match tz.from_local_datetime(&t) {
        LocalResult::None => Err(TimestampError::Nonexistent(*tz)),
        _ => Ok(t.date().num_days_from_ce()),
    }
}

/// `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS` (or with `T`), the common
/// case, read without a format parser; anything else is `None`.
fn naive_common(raw: &str) -> Option<NaiveDateTime> {
    let b = raw.as_bytes();
    if !(b.len() == 16 || b.len() == 19) {
        return None;
    }
    let num = |i: usize, n: usize| -> Option<u32> {
        b[i..i + n].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let seps = b[4] == b'-' && b[7] == b'-' && (b[10] == b' ' || b[10] == b'T') && b[13] == b':';
    if !seps || (b.len() == 19 && b[16] != b':') {
        return None;
    }
    let sec = if b.len() == 19 { num(17, 2)? } else { 0 };
    NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?.and_hms_opt(
        num(11, 2)?,
        num(14, 2)?,
        sec,
    )
}

/// Days from 0001-01-01 (day 1) to 1970-01-01.
const CE_TO_UNIX: i64 = 719_163;
/// Hours of the offset cache (a power of two).
const CACHED_HOURS: usize = 1 << 12;
/// An hour in which the offset changes: worked out record by record.
const MIXED: i32 = i32::MIN;

/// Reads timestamps to local days as [`parse_timestamp`] does, faster:
/// the shapes of exports (`2026-10-05T09:07:42+02:00`, `…Z`, with
/// fractions, `2026-10-05 09:07:42`, Unix seconds to microseconds) by hand,
/// the zone's offsets from a cache by hour, everything else through
/// [`parse_timestamp`]. One per worker thread (it is not `Sync`).
pub struct DayReader {
    tz: Tz,
    /// By UTC hour: (hour, the zone's offset in seconds through the hour,
    /// or [`MIXED`]).
    utc: Box<[(i64, i32)]>,
    /// By local hour (naive time read as UTC): (hour, whether every time
    /// of it exists in the zone, or [`MIXED`]: worked out record by record).
    local: Box<[(i64, i32)]>,
    /// The last date read, (year, month, day), and its day number.
    last_date: ((i64, i64, i64), i64),
}

impl DayReader {
    /// A reader for days in `tz`.
    pub fn new(tz: Tz) -> Self {
        DayReader {
            tz,
            utc: vec![(i64::MIN, 0); CACHED_HOURS].into_boxed_slice(),
            local: vec![(i64::MIN, 0); CACHED_HOURS].into_boxed_slice(),
            last_date: ((0, 0, 0), 0),
        }
    }

    /// The zone it reads days in.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The day and the way it was written, as [`parse_timestamp`] gives them.
    pub fn read(&mut self, raw: &str) -> Result<(i32, TimeUnit), TimestampError> {
        let b = raw.as_bytes();
        let fast = match b.first() {
            Some(c) if c.is_ascii_digit() => match b.get(4) {
                Some(b'-') => self.text(b),
                _ => self.unix(b),
            },
            _ => None,
        };
        match fast {
            Some(r) => r,
            None => parse_timestamp(raw, &self.tz),
        }
    }

    /// Days from 1970-01-01 to the date, `None` when there is no such
    /// date; the last date asked is kept (a file's records share a few).
    #[inline]
    fn unix_day(&mut self, y: i64, m: i64, d: i64) -> Option<i64> {
        let ymd = (y, m, d);
        if self.last_date.0 == ymd {
            return Some(self.last_date.1);
        }
        let date = NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32)?;
        let day = i64::from(chrono::Datelike::num_days_from_ce(&date)) - CE_TO_UNIX;
        self.last_date = (ymd, day);
        Some(day)
    }

    /// The local day of the instant `utc` seconds after 1970-01-01 UTC (a
    /// typed timestamp with a zone, as Parquet has them), as
    /// `DateTime::with_timezone` gives it.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub fn instant_day(&mut self, utc: i64) -> Result<i32, TimestampError> {
        self.day_of_instant(utc).ok_or(TimestampError::OutOfRange)
    }

    /// The day of the naive local time `local` seconds after 1970-01-01
    /// 00:00 (a typed timestamp without a zone), refused when the zone
    /// skips it. A fraction of a second changes neither: the zone's changes
    /// fall on whole seconds.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub fn naive_day(&mut self, local: i64) -> Result<i32, TimestampError> {
        match self.exists(local) {
            None => Err(TimestampError::OutOfRange),
            Some(false) => Err(TimestampError::Nonexistent(self.tz)),
            Some(true) => i32::try_from(local.div_euclid(86_400) + CE_TO_UNIX)
                .map_err(|_| TimestampError::OutOfRange),
        }
    }

    /// The zone's offset from UTC at the instant `utc` (seconds).
    fn offset_at(&self, utc: i64) -> Option<i32> {
        let t = DateTime::from_timestamp(utc, 0)?.naive_utc();
        Some(self.tz.offset_from_utc_datetime(&t).fix().local_minus_utc())
    }

    /// The local day of the instant `utc` (seconds since 1970).
    fn day_of_instant(&mut self, utc: i64) -> Option<i32> {
        let hour = utc.div_euclid(3600);
        let slot = hour as usize & (CACHED_HOURS - 1);
        let (h, cached) = self.utc[slot];
        let off = if h == hour {
            cached
        } else {
            let start = self.offset_at(hour * 3600)?;
            let end = self.offset_at(hour * 3600 + 3599)?;
            let off = if start == end { start } else { MIXED };
            self.utc[slot] = (hour, off);
            off
        };
        let off = if off == MIXED {
            self.offset_at(utc)?
        } else {
            off
        };
        i32::try_from((utc + i64::from(off)).div_euclid(86_400) + CE_TO_UNIX).ok()
    }

    /// Whether the naive local time `local` (seconds, read as if UTC)
    /// exists in the zone.
    fn exists(&mut self, local: i64) -> Option<bool> {
        let hour = local.div_euclid(3600);
        let slot = hour as usize & (CACHED_HOURS - 1);
        let naive = |s: i64| DateTime::from_timestamp(s, 0).map(|t| t.naive_utc());
        let (h, cached) = self.local[slot];
        let state = if h == hour {
            cached
        } else {
            let at = |s: i64| naive(s).map(|t| self.tz.from_local_datetime(&t));
            let same = |a: LocalResult<DateTime<Tz>>, b: LocalResult<DateTime<Tz>>| {
                let fix = |t: &DateTime<Tz>| t.offset().fix();
                match (a, b) {
                    (LocalResult::Single(x), LocalResult::Single(y)) => fix(&x) == fix(&y),
                    (LocalResult::Ambiguous(x0, x1), LocalResult::Ambiguous(y0, y1)) => {
                        fix(&x0) == fix(&y0) && fix(&x1) == fix(&y1)
                    }
                    _ => false,
                }
            };
            // the hour exists throughout when its first and last second
            // exist with the same offsets: a zone never changes its offset
            // twice within an hour
            let state = if same(at(hour * 3600)?, at(hour * 3600 + 3599)?) {
                1
            } else {
                MIXED
            };
            self.local[slot] = (hour, state);
            state
        };
        if state == MIXED {
            let t = naive(local)?;
            Some(!matches!(
                self.tz.from_local_datetime(&t),
                LocalResult::None
            ))
        } else {
            Some(true)
        }
    }

    /// `YYYY-MM-DD[T ]HH:MM[:SS[.f…]]` naive, or with `T` and `Z` or
    /// `±HH:MM`; `None` for any other shape (left to [`parse_timestamp`]).
    fn text(&mut self, b: &[u8]) -> Option<Result<(i32, TimeUnit), TimestampError>> {
        let num = |i: usize, n: usize| -> Option<i64> {
            b.get(i..i + n)?.iter().try_fold(0i64, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
            })
        };
        if b.len() < 16 || b[7] != b'-' || b[13] != b':' {
            return None;
        }
        let sep = b[10];
        if sep != b'T' && sep != b' ' {
            return None;
        }
        let (y, mo, d, h, mi) = (num(0, 4)?, num(5, 2)?, num(8, 2)?, num(11, 2)?, num(14, 2)?);
        let (mut i, s) = if b.get(16) == Some(&b':') {
            (19, num(17, 2)?)
        } else {
            (16, 0)
        };
        let seconds_given = i == 19;
        if !(1900..=2999).contains(&y) || h > 23 || mi > 59 || s > 59 {
            return None;
        }
        let unix_day = self.unix_day(y, mo, d)?;
        if seconds_given && b.get(i) == Some(&b'.') {
            let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if !(1..=9).contains(&digits) {
                return None;
            }
            i += 1 + digits;
        }
        let local = unix_day * 86_400 + h * 3600 + mi * 60 + s;
        let rest = &b[i..];
        if rest.is_empty() {
            // naive local time (minutes only: no fraction)
            return Some(match self.exists(local)? {
                true => Ok(((unix_day + CE_TO_UNIX) as i32, TimeUnit::Text)),
                false => Err(TimestampError::Nonexistent(self.tz)),
            });
        }
        if sep != b'T' || !seconds_given {
            return None;
        }
        let offset = match rest {
            b"Z" => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let two = |a: u8, b: u8| {
                    (a.is_ascii_digit() && b.is_ascii_digit())
                        .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
                };
                let (oh, om) = (two(*h1, *h2)?, two(*m1, *m2)?);
                if oh > 23 || om > 59 {
                    return None;
                }
                let o = oh * 3600 + om * 60;
                if *sign == b'-' {
                    -o
                } else {
                    o
                }
            }
            _ => return None,
        };
        Some(Ok((self.day_of_instant(local - offset)?, TimeUnit::Text)))
    }

    /// Unix time written as digits only, below 10¹⁶ (so its unit is told
    /// exactly as [`parse_timestamp`] tells it in floating point).
    fn unix(&mut self, b: &[u8]) -> Option<Result<(i32, TimeUnit), TimestampError>> {
        if b.is_empty() || b.len() > 16 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: i64 = b.iter().fold(0i64, |acc, c| acc * 10 + i64::from(c - b'0'));
        let (unit, per_second) = match n {
            n if n < 100_000_000_000 => (TimeUnit::UnixSeconds, 1),
            n if n < 100_000_000_000_000 => (TimeUnit::UnixMilliseconds, 1_000),
            _ => (TimeUnit::UnixMicroseconds, 1_000_000),
        };
        Some(Ok((self.day_of_instant(n.div_euclid(per_second))?, unit)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stockholm() -> Tz {
        "Europe/Stockholm".parse().unwrap()
    }

    /// The hand-read shapes agree with chrono on chosen edges: both
    /// changes of summer time, midnights, leap days, fractions, offsets,
    /// odd shapes left to chrono.
    #[test]
    fn fast_reader_agrees_on_edges() {
        for tz in [
            stockholm(),
            "America/St_Johns".parse().unwrap(),
            "Asia/Kathmandu".parse().unwrap(),
            Tz::UTC,
        ] {
            let mut r = DayReader::new(tz);
            for raw in [
                "2026-03-29 02:30",
                "2026-03-29 02:00:00",
                "2026-03-29 01:59:59",
                "2026-03-29 03:00:00",
                "2026-10-25 02:30:00",
                "2026-10-25T02:30:00.25",
                "2026-10-25T00:59:59Z",
                "2026-10-25T01:00:00Z",
                "2026-10-25T22:59:59Z",
                "2026-10-25T23:00:00Z",
                "2026-10-25T23:00:00.123456789Z",
                "2026-10-25T23:00:00.1234567891Z",
                "2026-10-25T23:00:00+01:00",
                "2026-10-25T23:00:00-03:30",
                "2026-10-25T23:00:00+24:00",
                "2026-10-25T23:00:00+0100",
                "2026-10-25 23:00:00Z",
                "2026-10-25t23:00:00z",
                "2024-02-29 12:00",
                "2025-02-29 12:00",
                "2026-12-31T23:59:60Z",
                "2026-13-01 00:00",
                "2026-10-05 24:00",
                "1792969200",
                "1792969199",
                "1792969200000",
                "1792969200000000",
                "17929692000000000",
                "0",
                "-5",
                "12.5",
                "2026-10-05",
                "2026-10-05 9:07",
                "1899-12-31 23:59",
                "3000-01-01 00:00",
            ] {
                assert_eq!(r.read(raw), parse_timestamp(raw, &tz), "{raw} in {tz}");
            }
        }
    }

    proptest! {
        /// Any instant of 1990–2040, in any of the shapes, in zones with
        /// odd offsets and changes: the hand reader gives chrono's answer.
        #[test]
        fn fast_reader_agrees_with_chrono(
            secs in 631_152_000i64..2_208_988_800,
            shape in 0usize..6,
            zone in 0usize..4,
            off_q in -48i64..56,
        ) {
            let tz: Tz = ["Europe/Stockholm", "America/St_Johns", "Australia/Lord_Howe", "Pacific/Chatham"][zone].parse().unwrap();
            let t = DateTime::from_timestamp(secs, 0).unwrap().naive_utc();
            let off = off_q * 900;
            let shifted = DateTime::from_timestamp(secs + off, 0).unwrap().naive_utc();
            let sign = if off < 0 { '-' } else { '+' };
            let raw = match shape {
                0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                1 => format!("{}{sign}{:02}:{:02}", shifted.format("%Y-%m-%dT%H:%M:%S%.3f"), off.abs() / 3600, off.abs() / 60 % 60),
                2 => t.format("%Y-%m-%d %H:%M:%S").to_string(),
                3 => t.format("%Y-%m-%dT%H:%M").to_string(),
                4 => secs.to_string(),
                _ => (secs * 1000 + 7).to_string(),
            };
            let mut r = DayReader::new(tz);
            prop_assert_eq!(r.read(&raw), parse_timestamp(&raw, &tz), "{}", raw);
        }
    }
}
