//! Emerging hot spots (ArcGIS's Emerging Hot Spot Analysis): a space-time
//! cube of event counts per cell and period, Getis-Ord Gi* of every bin with
//! neighbours in space and in the previous periods, a Mann–Kendall test of
//! each cell's series of z-scores, and each cell classed into ArcGIS's
//! seventeen patterns.
//!
//! **Gi\* of a bin** (cell i, period t): its neighbours are the cells whose
//! centres lie within the band of i's (i itself included) in period t and in
//! the `time_window` periods before it (as many as there are). With xⱼ the
//! counts of the n = cells × periods bins, x̄ and S (population sd) over the
//! whole cube, and W the number of neighbouring bins:
//! Gi* = (Σ neighbours xⱼ − x̄ W) / (S √[(n W − W²)/(n − 1)]).
//! A bin is a hot (cold) spot when its p < 0.10 and z > 0 (< 0): gi_bin ≠ 0
//! as for [`crate::hotspot::gi_bins`], with the Benjamini–Hochberg correction
//! over all bins when asked.
//!
//! **Patterns**, with n periods, the last one the final period, "90 %" at
//! least 90 % of the periods, and the trend the Mann–Kendall test of the
//! cell's z series at p < 0.10 ([`TREND_ALPHA`]):
//!
//! | pattern | rule |
//! |---|---|
//! | new hot spot | hot in the final period, never hot before |
//! | consecutive hot spot | hot in a run of ≥ 2 periods ending with the final one, never hot before the run, under 90 % |
//! | intensifying hot spot | hot in ≥ 90 % including the final period, z rising significantly |
//! | persistent hot spot | hot in ≥ 90 % including the final period, no significant trend |
//! | diminishing hot spot | hot in ≥ 90 % including the final period, z falling significantly |
//! | sporadic hot spot | hot in the final period, on and off before, under 90 %, never cold |
//! | oscillating hot spot | hot in the final period, under 90 %, cold in some earlier period |
//! | historical hot spot | not hot (nor cold) in the final period, hot in ≥ 90 % |
//!
//! and the same for cold spots (intensifying: z falling); otherwise `no
//! pattern`. A cell hot in the final period is judged by the hot rules, one
//! cold in it by the cold rules.
//!
//! ```
//! use stratmap_core::{classify, Pattern};
//! // bins per period: +1 hot, −1 cold, 0 neither
//! let z: Vec<Option<f64>> = (0..10).map(|t| Some(2.0 + t as f64)).collect();
//! assert_eq!(classify(&[1; 10], &z).0, Pattern::IntensifyingHot);
//! assert_eq!(classify(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1], &z).0, Pattern::NewHot);
//! assert_eq!(classify(&[0, 0, 0, 0, 0, 0, 0, 1, 1, 1], &z).0, Pattern::ConsecutiveHot);
//! assert_eq!(classify(&[0, 1, 0, 0, -1, 0, 0, 1, 0, 1], &z).0, Pattern::OscillatingHot);
//! assert_eq!(classify(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 0], &z).0, Pattern::HistoricalHot);
//! ```

use crate::grid::GridSpec;
use crate::hotspot::{gi_bins, two_sided_p, BandError, GiStar};
use crate::neighbours::band_sums;
use crate::trend::{mann_kendall, MannKendall, Trend};

/// The significance of the trend of a cell's z series.
pub const TREND_ALPHA: f64 = 0.10;

/// A cell's pattern over the periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Hot only in the final period.
    NewHot,
    /// Hot in an unbroken final run, never before it.
    ConsecutiveHot,
    /// Hot in ≥ 90 % of periods, growing hotter.
    IntensifyingHot,
    /// Hot in ≥ 90 % of periods, no trend.
    PersistentHot,
    /// Hot in ≥ 90 % of periods, cooling.
    DiminishingHot,
    /// Hot now and on and off before, never cold.
    SporadicHot,
    /// Hot now, cold at some earlier time.
    OscillatingHot,
    /// Hot in ≥ 90 % of periods, not now.
    HistoricalHot,
    /// Cold only in the final period.
    NewCold,
    /// Cold in an unbroken final run, never before it.
    ConsecutiveCold,
    /// Cold in ≥ 90 % of periods, growing colder.
    IntensifyingCold,
    /// Cold in ≥ 90 % of periods, no trend.
    PersistentCold,
    /// Cold in ≥ 90 % of periods, warming.
    DiminishingCold,
    /// Cold now and on and off before, never hot.
    SporadicCold,
    /// Cold now, hot at some earlier time.
    OscillatingCold,
    /// Cold in ≥ 90 % of periods, not now.
    HistoricalCold,
    /// None of the above.
    NoPattern,
}

impl Pattern {
    /// As the `pattern` property writes it (ArcGIS's names): `new hot spot`, …, `no pattern`.
    pub fn as_str(self) -> &'static str {
        use Pattern::*;
        match self {
            NewHot => "new hot spot",
            ConsecutiveHot => "consecutive hot spot",
            IntensifyingHot => "intensifying hot spot",
            PersistentHot => "persistent hot spot",
            DiminishingHot => "diminishing hot spot",
            SporadicHot => "sporadic hot spot",
            OscillatingHot => "oscillating hot spot",
            HistoricalHot => "historical hot spot",
            NewCold => "new cold spot",
            ConsecutiveCold => "consecutive cold spot",
            IntensifyingCold => "intensifying cold spot",
            PersistentCold => "persistent cold spot",
            DiminishingCold => "diminishing cold spot",
            SporadicCold => "sporadic cold spot",
            OscillatingCold => "oscillating cold spot",
            HistoricalCold => "historical cold spot",
            NoPattern => "no pattern",
        }
    }

    /// Every pattern, hot ones first.
    pub const ALL: [Pattern; 17] = {
        use Pattern::*;
        [
            NewHot,
            ConsecutiveHot,
            IntensifyingHot,
            PersistentHot,
            DiminishingHot,
            SporadicHot,
            OscillatingHot,
            HistoricalHot,
            NewCold,
            ConsecutiveCold,
            IntensifyingCold,
            PersistentCold,
            DiminishingCold,
            SporadicCold,
            OscillatingCold,
            HistoricalCold,
            NoPattern,
        ]
    };
}

/// The pattern of a cell from its bins (+ hot, − cold, 0 neither) in
/// period order, and the Mann–Kendall test of its z series (`None` when a z
/// is undefined or there are fewer than two periods).
pub fn classify(bins: &[i8], z: &[Option<f64>]) -> (Pattern, Option<MannKendall>) {
    let series: Option<Vec<f64>> = z.iter().copied().collect();
    let mk = series.and_then(|s| mann_kendall(&s, TREND_ALPHA));
    let trend = mk.map_or(Trend::None, |m| m.trend);
    let n = bins.len();
    let Some(&last) = bins.last() else {
        return (Pattern::NoPattern, mk);
    };
    let hot: Vec<bool> = bins.iter().map(|b| *b > 0).collect();
    let cold: Vec<bool> = bins.iter().map(|b| *b < 0).collect();
    let ninety = |v: &[bool]| (v.iter().filter(|b| **b).count() as f64) >= 0.9 * n as f64;
    // the hot (or cold) rules for a cell hot (or cold) in the final period
    let side = |me: &[bool], other: &[bool], rising: bool, falling: bool, p: [Pattern; 7]| {
        let count = me.iter().filter(|b| **b).count();
        let run = me.iter().rev().take_while(|b| **b).count();
        if ninety(me) {
            if rising {
                p[0]
            } else if falling {
                p[1]
            } else {
                p[2]
            }
        } else if count == 1 {
            p[3]
        } else if run == count {
            p[4]
        } else if other.iter().any(|b| *b) {
            p[5]
        } else {
            p[6]
        }
    };
    use Pattern::*;
    let pattern = if last > 0 {
        side(
            &hot,
            &cold,
            trend == Trend::Increasing,
            trend == Trend::Decreasing,
            [
                IntensifyingHot,
                DiminishingHot,
                PersistentHot,
                NewHot,
                ConsecutiveHot,
                OscillatingHot,
                SporadicHot,
            ],
        )
    } else if last < 0 {
        side(
            &cold,
            &hot,
            trend == Trend::Decreasing,
            trend == Trend::Increasing,
            [
                IntensifyingCold,
                DiminishingCold,
                PersistentCold,
                NewCold,
                ConsecutiveCold,
                OscillatingCold,
                SporadicCold,
            ],
        )
    } else if ninety(&hot) {
        HistoricalHot
    } else if ninety(&cold) {
        HistoricalCold
    } else {
        NoPattern
    };
    (pattern, mk)
}

/// The settings of the emerging hot-spot analysis: the band, the previous
/// periods in a bin's neighbourhood (ArcGIS's neighbourhood time step), the
/// FDR correction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmergingMethod {
    band: f64,
    /// Previous periods in a bin's neighbourhood (default 1).
    pub time_window: u32,
    /// Benjamini–Hochberg correction of the bins over the whole cube.
    pub fdr: bool,
}

impl Default for EmergingMethod {
    fn default() -> Self {
        EmergingMethod {
            band: 500.0,
            time_window: 1,
            fdr: false,
        }
    }
}

impl EmergingMethod {
    /// The settings, when the band is a positive, finite distance.
    pub fn new(band: f64, time_window: u32, fdr: bool) -> Result<Self, BandError> {
        crate::hotspot::check_band(band)?;
        Ok(EmergingMethod {
            band,
            time_window,
            fdr,
        })
    }

    /// The distance band in metres.
    pub fn band(&self) -> f64 {
        self.band
    }
}

/// One cell over the periods.
#[derive(Debug, Clone, PartialEq)]
pub struct EmergingCell {
    /// Its pattern.
    pub pattern: Pattern,
    /// The Mann–Kendall test of its z series.
    pub trend: Option<MannKendall>,
    /// Periods it was a hot spot in.
    pub hot: usize,
    /// Periods it was a cold spot in.
    pub cold: usize,
    /// Gi* of its final bin.
    pub last_z: Option<f64>,
    /// The bin (−3 … 3) of its final period.
    pub last_bin: i8,
}

/// The space-time cube's result.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceTime {
    /// Gi* of every bin, by period then cell.
    pub gi: Vec<Vec<GiStar>>,
    /// The bin of every bin, by period then cell.
    pub bins: Vec<Vec<i8>>,
    /// Each cell's pattern, in cell order.
    pub cells: Vec<EmergingCell>,
}

/// Emerging hot spots of `counts` (by period, then by cell of `cells`, lower-left
/// corners on `grid`), periods in time order without gaps.
pub fn emerging_hot_spots(
    cells: &[(i64, i64)],
    grid: GridSpec,
    counts: &[Vec<f64>],
    method: &EmergingMethod,
) -> Result<SpaceTime, BandError> {
    let periods = counts.len();
    let flat: Vec<f64> = counts.iter().flatten().copied().collect();
    let n = flat.len() as f64;
    let (mean, sd) = crate::stats::mean_sd_population(flat.iter().copied()).unwrap_or((0.0, 0.0));
    let sums: Vec<Vec<(u32, f64)>> = counts
        .iter()
        .map(|c| band_sums(cells, grid, c, method.band, true))
        .collect::<Result<_, _>>()?;
    let window = method.time_window as usize;
    let gi: Vec<Vec<GiStar>> = (0..periods)
        .map(|t| {
            let from = t.saturating_sub(window);
            (0..cells.len())
                .map(|i| {
                    let (mut w, mut sum) = (0u32, 0.0);
                    for s in &sums[from..=t] {
                        w += s[i].0;
                        sum += s[i].1;
                    }
                    let wi = f64::from(w);
                    let var = (n * wi - wi * wi) / (n - 1.0);
                    let z = (sd > 0.0 && var > 0.0).then(|| (sum - mean * wi) / (sd * var.sqrt()));
                    GiStar {
                        z,
                        p: z.map(two_sided_p),
                        neighbours: w,
                    }
                })
                .collect()
        })
        .collect();
    let all: Vec<GiStar> = gi.iter().flatten().copied().collect();
    let flat_bins = gi_bins(&all, method.fdr);
    let bins: Vec<Vec<i8>> = flat_bins
        .chunks(cells.len().max(1))
        .map(<[i8]>::to_vec)
        .take(periods)
        .collect();
    let out = (0..cells.len())
        .map(|i| {
            let b: Vec<i8> = bins.iter().map(|p| p[i]).collect();
            let z: Vec<Option<f64>> = gi.iter().map(|p| p[i].z).collect();
            let (pattern, trend) = classify(&b, &z);
            EmergingCell {
                pattern,
                trend,
                hot: b.iter().filter(|x| **x > 0).count(),
                cold: b.iter().filter(|x| **x < 0).count(),
                last_z: z.last().copied().flatten(),
                last_bin: b.last().copied().unwrap_or(0),
            }
        })
        .collect();
    Ok(SpaceTime {
        gi,
        bins,
        cells: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(n: usize, f: impl Fn(usize) -> f64) -> Vec<Option<f64>> {
        (0..n).map(|t| Some(f(t))).collect()
    }

    #[test]
    fn every_rule() {
        let up = z(10, |t| t as f64);
        let down = z(10, |t| -(t as f64));
        let flat = z(10, |t| if t % 2 == 0 { 1.0 } else { 2.0 });
        use Pattern::*;
        type Case<'a> = (&'a [i8], &'a [Option<f64>], Pattern);
        let cases: [Case; 14] = [
            (&[1; 10], &up, IntensifyingHot),
            (&[1; 10], &down, DiminishingHot),
            (&[1; 10], &flat, PersistentHot),
            (&[0, 1, 1, 1, 1, 1, 1, 1, 1, 1], &flat, PersistentHot), // 90 %
            (&[0, 0, 0, 0, 0, 0, 0, 0, 1, 1], &flat, ConsecutiveHot),
            (&[-1, 0, 0, 0, 0, 0, 0, 0, 0, 1], &flat, NewHot),
            (&[1, 0, 1, 0, 0, 0, 0, 0, 0, 1], &flat, SporadicHot),
            (&[1, 0, -1, 0, 0, 0, 0, 0, 1, 1], &flat, OscillatingHot),
            (&[1, 1, 1, 1, 1, 1, 1, 1, 1, 0], &flat, HistoricalHot),
            (&[-1; 10], &down, IntensifyingCold),
            (&[-1; 10], &up, DiminishingCold),
            (&[0, 0, 0, 0, 0, 0, 0, 0, 0, -1], &flat, NewCold),
            (
                &[-1, -1, -1, -1, -1, -1, -1, -1, -1, 0],
                &flat,
                HistoricalCold,
            ),
            (&[1, 1, 0, 0, -1, 0, 0, 0, 0, 0], &flat, NoPattern),
        ];
        for (b, zs, want) in cases {
            assert_eq!(classify(b, zs).0, want, "{b:?}");
        }
    }

    #[test]
    fn a_cluster_that_grows_is_hot_at_the_end() {
        // 5 × 5 cells, 6 periods; the centre cell's block fills up in the last three
        let cells: Vec<(i64, i64)> = (0..25).map(|k| (k % 5 * 250, k / 5 * 250)).collect();
        let counts: Vec<Vec<f64>> = (0..6)
            .map(|t| {
                (0..25)
                    .map(|k| {
                        if t >= 3 && [6, 7, 8, 11, 12, 13, 16, 17, 18].contains(&k) {
                            5.0
                        } else {
                            (k % 2) as f64
                        }
                    })
                    .collect()
            })
            .collect();
        let st = emerging_hot_spots(
            &cells,
            GridSpec::scb(250),
            &counts,
            &EmergingMethod::default(),
        )
        .unwrap();
        assert!(st.cells[12].last_bin > 0);
        assert_eq!(st.cells[12].pattern, Pattern::ConsecutiveHot);
        // the bin's neighbours: 13 cells × 2 periods
        assert_eq!(st.gi[5][12].neighbours, 26);
        assert_eq!(st.gi[0][12].neighbours, 13);
    }
}
