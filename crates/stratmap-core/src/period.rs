//! Calendar periods of dated events: years, quarters or months, numbered so
//! that consecutive periods have consecutive keys.
//!
//! ```
//! use stratmap_core::{By, Day};
//! let d = Day { year: 2024, month: 5, day: 17 };
//! assert_eq!(By::Quarter.label(By::Quarter.key(d)), "2024-Q2");
//! assert_eq!(By::Month.key(Day { year: 2025, month: 1, day: 1 }), By::Month.key(Day { year: 2024, month: 12, day: 31 }) + 1);
//! ```

/// A calendar date (checked when read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day {
    /// The year.
    pub year: i32,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
}

/// The length of the periods events are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// Calendar years: `2024`.
    Year,
    /// Calendar quarters: `2024-Q2`.
    Quarter,
    /// Calendar months: `2024-05`.
    Month,
}

impl By {
    /// `year`, `quarter` or `month`.
    pub fn parse(s: &str) -> Option<By> {
        match s {
            "year" => Some(By::Year),
            "quarter" => Some(By::Quarter),
            "month" => Some(By::Month),
            _ => None,
        }
    }

    /// As [`By::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            By::Year => "year",
            By::Quarter => "quarter",
            By::Month => "month",
        }
    }

    /// The period of a day: consecutive periods have consecutive keys.
    pub fn key(self, d: Day) -> i64 {
        let (y, m) = (i64::from(d.year), i64::from(d.month) - 1);
        match self {
            By::Year => y,
            By::Quarter => y * 4 + m / 3,
            By::Month => y * 12 + m,
        }
    }

    /// The period's label: `2024`, `2024-Q2` or `2024-05`.
    pub fn label(self, key: i64) -> String {
        match self {
            By::Year => key.to_string(),
            By::Quarter => format!("{}-Q{}", key.div_euclid(4), key.rem_euclid(4) + 1),
            By::Month => format!("{}-{:02}", key.div_euclid(12), key.rem_euclid(12) + 1),
        }
    }
}

/// Every period from the first to the last key of `keys` (the periods
/// without events included, so a series has no gaps); empty without keys.
pub fn span(keys: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for k in keys {
        (lo, hi) = (lo.min(k), hi.max(k));
    }
    if lo > hi {
        Vec::new()
    } else {
        (lo..=hi).collect()
    }
}
