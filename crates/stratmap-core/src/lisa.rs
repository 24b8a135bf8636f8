//! Local Moran's I (Anselin 1995) on a square grid, as PySAL esda's
//! `Moran_Local` computes it with its defaults: binary distance-band weights
//! (neighbours are the other cells whose centres lie within the band),
//! row-standardised, and conditional-permutation pseudo p-values.
//!
//! With zᵢ = (yᵢ − ȳ)/s (s the population sd) and the spatial lag
//! lagᵢ = Σⱼ wᵢⱼ zⱼ = the mean z of i's kᵢ neighbours,
//!
//! Iᵢ = (n − 1) · zᵢ · lagᵢ / Σⱼ zⱼ².
//!
//! The quadrant of the Moran scatterplot is HH (zᵢ > 0, lagᵢ > 0), LH
//! (zᵢ ≤ 0, lagᵢ > 0), LL (both ≤ 0) or HL (zᵢ > 0, lagᵢ ≤ 0), as esda's `q`
//! 1–4. The pseudo p-value holds zᵢ fixed and draws kᵢ of the other n − 1
//! values at random, R times: with G the number of draws whose Iᵢ is at
//! least the observed one and L the number at most it, p = (min(G, L) + 1) /
//! (R + 1). Without ties L = R − G and this is esda's default ("directed")
//! p; a draw tied with the observed value (to 10⁻⁹ of it) counts on both
//! sides, where esda counts it on one side or the other by floating-point
//! rounding. With tied values, as event counts have, this matters: a cell
//! whose z is 0 ties with every draw and gets p = 1, where esda's count gives
//! it 1/(R + 1). `lisa_z` is (Iᵢ − mean of the draws) / their sd.
//!
//! The draws follow esda's scheme: R rows of k_max distinct indices into the
//! other cells are drawn once (from a PCG-64 generator seeded by the seed),
//! and cell i uses the first kᵢ of each row, skipping itself. The rows are
//! drawn before the cells are spread over threads, so the result depends on
//! the seed only, never on the thread count.
//!
//! A cell with no neighbour within the band (an island) has Iᵢ = 0, as in
//! esda, and no p-value; when every value is the same (s = 0) no Iᵢ is
//! defined at all.
//!
//! ```
//! use stratmap_core::GridSpec;
//! use stratmap_core::{local_moran_grid, LisaMethod, Quadrant};
//!
//! // a row of four cells, 250 m apart: each cell's neighbours are the next ones
//! let cells = [(0, 0), (250, 0), (500, 0), (750, 0)];
//! let y = [1.0, 2.0, 3.0, 10.0];
//! let method = LisaMethod::new(300.0, 0, 1, false).unwrap();
//! let lisa = local_moran_grid(&cells, GridSpec::scb(250), &y, &method).unwrap();
//! // ȳ = 4, s = √12.5; z = (−3, −2, −1, 6)/s, Σz² = 4; the last cell's lag is z₃
//! let s = 12.5f64.sqrt();
//! let i3 = 3.0 * (6.0 / s) * (-1.0 / s) / 4.0;
//! assert!((lisa.cells[3].i.unwrap() - i3).abs() < 1e-12);
//! assert_eq!(lisa.cells[3].quadrant, Some(Quadrant::HighLow));
//! assert_eq!(lisa.cells[0].quadrant, Some(Quadrant::LowLow));
//! ```

use crate::grid::GridSpec;
use crate::hotspot::{check_band, BandError};
use crate::neighbours::band_sums;
use rand::SeedableRng;
use rayon::prelude::*;

/// The significance level of the quadrants: a cell's quadrant is shown when
/// its pseudo p-value is below it (or, with the FDR correction, at most the
/// Benjamini–Hochberg threshold for it).
pub const SIGNIFICANCE: f64 = 0.05;

/// The most permutations allowed: 99 999 gives p-values to 10⁻⁵.
pub const MAX_PERMUTATIONS: u32 = 99_999;

/// Settings of local Moran's I that cannot work.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum LisaError {
    /// The band is no distance.
    #[error(transparent)]
    Band(#[from] BandError),
    /// More permutations than [`MAX_PERMUTATIONS`].
    #[error("permutations = {0}: expected a whole number from 0 to {MAX_PERMUTATIONS}")]
    Permutations(u64),
    /// The FDR correction of p-values that are not computed.
    #[error("permutations 0 with the FDR correction: there are no p-values to correct; expected permutations of at least 1 (999 is usual)")]
    FdrWithoutPermutations,
}

/// The settings of local Moran's I, checked when made. The default is
/// esda's: a 500 m band, 999 permutations, seed 1, no FDR correction.
///
/// ```
/// use stratmap_core::LisaMethod;
/// let m = LisaMethod::default();
/// assert_eq!((m.band(), m.permutations(), m.seed, m.fdr()), (500.0, 999, 1, false));
/// assert!(LisaMethod::new(500.0, 0, 1, true).is_err());
/// assert!(LisaMethod::new(0.0, 999, 1, false).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LisaMethod {
    band: f64,
    permutations: u32,
    /// The seed of the permutation draws.
    pub seed: u64,
    fdr: bool,
}

impl Default for LisaMethod {
    fn default() -> Self {
        LisaMethod {
            band: 500.0,
            permutations: 999,
            seed: 1,
            fdr: false,
        }
    }
}

impl LisaMethod {
    /// The settings, when the band is a distance, the permutations at most
    /// [`MAX_PERMUTATIONS`], and there are permutations to correct with `fdr`.
    pub fn new(band: f64, permutations: u64, seed: u64, fdr: bool) -> Result<Self, LisaError> {
        check_band(band)?;
        let permutations = u32::try_from(permutations)
            .ok()
            .filter(|p| *p <= MAX_PERMUTATIONS)
            .ok_or(LisaError::Permutations(permutations))?;
        if fdr && permutations == 0 {
            return Err(LisaError::FdrWithoutPermutations);
        }
        Ok(LisaMethod {
            band,
            permutations,
            seed,
            fdr,
        })
    }

    /// The distance band in metres.
    pub fn band(&self) -> f64 {
        self.band
    }

    /// The number of permutations (0: no p-values).
    pub fn permutations(&self) -> u32 {
        self.permutations
    }

    /// Whether the quadrants' significance is Benjamini–Hochberg corrected.
    pub fn fdr(&self) -> bool {
        self.fdr
    }
}

/// A quadrant of the Moran scatterplot (esda's `q`: 1 HH, 2 LH, 3 LL, 4 HL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quadrant {
    /// A high value among high values (a hot cluster).
    HighHigh,
    /// A low value among high values.
    LowHigh,
    /// A low value among low values (a cold cluster).
    LowLow,
    /// A high value among low values (an outlier).
    HighLow,
}

impl Quadrant {
    /// As the `quadrant` property writes it: `HH`, `LH`, `LL` or `HL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Quadrant::HighHigh => "HH",
            Quadrant::LowHigh => "LH",
            Quadrant::LowLow => "LL",
            Quadrant::HighLow => "HL",
        }
    }
}

/// Local Moran's I of one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalMoran {
    /// Iᵢ; `None` when every value is the same; 0 for an island.
    pub i: Option<f64>,
    /// (Iᵢ − mean of the permuted Iᵢ) / their sd; `None` without
    /// permutations, for an island, or when the draws do not vary.
    pub z: Option<f64>,
    /// The pseudo p-value; `None` without permutations and for an island.
    pub p: Option<f64>,
    /// The scatterplot quadrant; `None` where Iᵢ is undefined and for an island.
    pub quadrant: Option<Quadrant>,
    /// Whether `p` passes the significance test; `None` where there is no p.
    pub significant: Option<bool>,
    /// kᵢ: the other cells within the band.
    pub neighbours: u32,
}

/// Local Moran's I over a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Lisa {
    /// One per input cell, in input order.
    pub cells: Vec<LocalMoran>,
    /// Every value is the same (sd = 0): no Iᵢ is defined.
    pub constant: bool,
    /// Cells with no neighbour within the band.
    pub islands: usize,
    /// The p-value a cell must be at most to be significant, with the FDR
    /// correction (`None` when none passes); without it, p < 0.05.
    pub fdr_threshold: Option<f64>,
}

/// Local Moran's I of `values` on the cells of a square grid (lower-left
/// corners in metres), with neighbours within `method.band()` of each
/// cell's centre (the cell itself not counted).
pub fn local_moran_grid(
    cells: &[(i64, i64)],
    grid: GridSpec,
    values: &[f64],
    method: &LisaMethod,
) -> Result<Lisa, BandError> {
    check_band(method.band)?;
    let n = values.len();
    let undefined = LocalMoran {
        i: None,
        z: None,
        p: None,
        quadrant: None,
        significant: None,
        neighbours: 0,
    };
    let sd = crate::stats::mean_sd_population(values.iter().copied()).filter(|(_, sd)| *sd > 0.0);
    let Some((mean, sd)) = sd else {
        let counts = band_sums(cells, grid, values, method.band, false)?;
        return Ok(Lisa {
            cells: counts
                .iter()
                .map(|&(k, _)| LocalMoran {
                    neighbours: k,
                    ..undefined
                })
                .collect(),
            constant: true,
            islands: counts.iter().filter(|c| c.0 == 0).count(),
            fdr_threshold: None,
        });
    };
    let z: Vec<f64> = values.iter().map(|v| (v - mean) / sd).collect();
    let den: f64 = z.iter().map(|z| z * z).sum();
    let n_1 = (n - 1) as f64;
    let sums = band_sums(cells, grid, &z, method.band, false)?;
    let lags: Vec<f64> = sums
        .iter()
        .map(|&(k, s)| if k == 0 { 0.0 } else { s / f64::from(k) })
        .collect();
    let draws = Draws::new(&sums, n, method);
    let scaling = n_1 / den;
    let mut out: Vec<LocalMoran> = (0..n)
        .into_par_iter()
        .map(|i| {
            let (k, lag) = (sums[i].0, lags[i]);
            let observed = n_1 * z[i] * lag / den;
            if k == 0 {
                return LocalMoran {
                    i: Some(observed),
                    neighbours: 0,
                    ..undefined
                };
            }
            let quadrant = match (z[i] > 0.0, lag > 0.0) {
                (true, true) => Quadrant::HighHigh,
                (false, true) => Quadrant::LowHigh,
                (false, false) => Quadrant::LowLow,
                (true, false) => Quadrant::HighLow,
            };
            let (p, zs) = match &draws {
                Some(d) => {
                    let (p, zs) = d.pseudo_p(i, k as usize, &z, observed, scaling);
                    (Some(p), zs)
                }
                None => (None, None),
            };
            LocalMoran {
                i: Some(observed),
                z: zs,
                p,
                quadrant: Some(quadrant),
                significant: None,
                neighbours: k,
            }
        })
        .collect();
    let ps: Vec<f64> = out.iter().filter_map(|c| c.p).collect();
    let fdr_threshold = if method.fdr {
        crate::stats::bh_threshold(&ps, SIGNIFICANCE)
    } else {
        None
    };
    for c in &mut out {
        c.significant = c.p.map(|p| match (method.fdr, fdr_threshold) {
            (true, Some(t)) => p <= t,
            (true, None) => false,
            (false, _) => p < SIGNIFICANCE,
        });
    }
    Ok(Lisa {
        islands: out.iter().filter(|c| c.neighbours == 0).count(),
        cells: out,
        constant: false,
        fdr_threshold,
    })
}

/// The permutation draws: R rows of k_max distinct indices into the n − 1
/// cells other than the one tested.
struct Draws {
    rows: usize,
    width: usize,
    ids: Vec<u32>,
}

impl Draws {
    fn new(sums: &[(u32, f64)], n: usize, method: &LisaMethod) -> Option<Draws> {
        let width = sums.iter().map(|s| s.0).max().unwrap_or(0) as usize;
        let rows = method.permutations as usize;
        if rows == 0 || width == 0 {
            return None;
        }
        let mut rng = rand_pcg::Pcg64::seed_from_u64(method.seed);
        let mut ids = Vec::with_capacity(rows * width);
        for _ in 0..rows {
            // k_max ≤ n − 1: every neighbour is another cell
            ids.extend(
                rand::seq::index::sample(&mut rng, n - 1, width)
                    .into_iter()
                    .map(|j| j as u32),
            );
        }
        Some(Draws { rows, width, ids })
    }

    /// The pseudo p-value of cell `i` (with `k` neighbours) and the z of its
    /// observed I among the draws.
    fn pseudo_p(
        &self,
        i: usize,
        k: usize,
        z: &[f64],
        observed: f64,
        scaling: f64,
    ) -> (f64, Option<f64>) {
        let w = 1.0 / k as f64;
        let sims: Vec<f64> = (0..self.rows)
            .map(|r| {
                let row = &self.ids[r * self.width..r * self.width + k];
                // an index into the other cells: those from i on are one further
                let lag: f64 = row
                    .iter()
                    .map(|&j| {
                        let j = j as usize;
                        z[if j >= i { j + 1 } else { j }] * w
                    })
                    .sum();
                z[i] * lag * scaling
            })
            .collect();
        // ties (within rounding) count on both sides: with tied values, as
        // in event counts, a draw equal to the observed I is neither more
        // nor less extreme, and a cell whose z is 0 gets p = 1, not 1/(R+1)
        let tol = 1e-9 * observed.abs();
        let at_least = sims.iter().filter(|s| **s >= observed - tol).count();
        let at_most = sims.iter().filter(|s| **s <= observed + tol).count();
        let extreme = at_least.min(at_most);
        let p = (extreme as f64 + 1.0) / (self.rows as f64 + 1.0);
        let mean = sims.iter().sum::<f64>() / self.rows as f64;
        let var = sims.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / self.rows as f64;
        let sd = var.sqrt();
        (p, (sd > 0.0).then(|| (observed - mean) / sd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRID: GridSpec = GridSpec {
        epsg: crate::grid::Epsg::SWEREF99_TM,
        cell_size: 250,
    };

    /// A block of cells with a hot corner, in the order the grid gives.
    fn block(side: i64) -> (Vec<(i64, i64)>, Vec<f64>) {
        let cells: Vec<(i64, i64)> = (0..side * side)
            .map(|k| (k % side * 250, k / side * 250))
            .collect();
        let values = (0..side * side)
            .map(|k| {
                let (c, r) = (k % side, k / side);
                if c < 3 && r < 3 {
                    20.0 + (k % 3) as f64
                } else {
                    (k * 37 % 11) as f64
                }
            })
            .collect();
        (cells, values)
    }

    #[test]
    fn the_statistic_is_the_brute_force_one() {
        let (cells, y) = block(9);
        let lisa = local_moran_grid(&cells, GRID, &y, &LisaMethod::default()).unwrap();
        let n = y.len() as f64;
        let mean = y.iter().sum::<f64>() / n;
        let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let z: Vec<f64> = y.iter().map(|v| (v - mean) / sd).collect();
        for (i, &(xi, yi)) in cells.iter().enumerate() {
            let nb: Vec<usize> = (0..cells.len())
                .filter(|&j| {
                    let (dx, dy) = ((cells[j].0 - xi) as f64, (cells[j].1 - yi) as f64);
                    j != i && dx * dx + dy * dy <= 500.0 * 500.0
                })
                .collect();
            let lag = nb.iter().map(|&j| z[j]).sum::<f64>() / nb.len() as f64;
            let want = (n - 1.0) * z[i] * lag / n;
            let got = lisa.cells[i];
            assert_eq!(got.neighbours as usize, nb.len());
            assert!((got.i.unwrap() - want).abs() < 1e-12);
        }
        // the hot corner is a significant high-high cluster
        assert_eq!(lisa.cells[10].quadrant, Some(Quadrant::HighHigh));
        assert_eq!(lisa.cells[10].significant, Some(true));
    }

    #[test]
    fn p_values_are_reproducible_by_seed_and_follow_the_null() {
        let (cells, y) = block(12);
        let m = LisaMethod::new(500.0, 199, 7, false).unwrap();
        let a = local_moran_grid(&cells, GRID, &y, &m).unwrap();
        let b = local_moran_grid(&cells, GRID, &y, &m).unwrap();
        assert_eq!(a, b);
        let other = LisaMethod { seed: 8, ..m };
        let c = local_moran_grid(&cells, GRID, &y, &other).unwrap();
        assert_ne!(a, c);
        for cell in &a.cells {
            let p = cell.p.unwrap();
            // (min(G, L) + 1)/(R + 1): from 1/200 up; above 1/2 only with ties
            assert!((1.0 / 200.0..=1.0).contains(&p), "{p}");
            assert!(((p * 200.0).round() - p * 200.0).abs() < 1e-9);
        }
        // values with no pattern: the folded p is below 0.05 in either tail,
        // so about 10 % of cells (40 ± 18 at 99.9 %)
        let noise: Vec<f64> = (0..400u64)
            .map(|k| {
                // splitmix64: independent of position
                let mut x = k.wrapping_add(0x9E37_79B9_7F4A_7C15);
                x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                ((x ^ (x >> 31)) % 1000) as f64
            })
            .collect();
        let cells: Vec<(i64, i64)> = (0..400).map(|k| (k % 20 * 250, k / 20 * 250)).collect();
        let m = LisaMethod::new(500.0, 999, 3, false).unwrap();
        let l = local_moran_grid(&cells, GRID, &noise, &m).unwrap();
        let low = l.cells.iter().filter(|c| c.p.unwrap() < 0.05).count();
        assert!((22..=58).contains(&low), "{low}");
    }

    #[test]
    fn a_cell_at_the_mean_ties_with_every_draw() {
        // the middle cell's value is the mean: z = 0, so I = 0 in every draw
        let cells: Vec<(i64, i64)> = (0..5).map(|k| (k * 250, 0)).collect();
        let l = local_moran_grid(
            &cells,
            GRID,
            &[1.0, 5.0, 3.0, 0.0, 6.0],
            &LisaMethod::default(),
        )
        .unwrap();
        assert_eq!(l.cells[2].i, Some(0.0));
        assert_eq!(l.cells[2].p, Some(1.0));
        assert_eq!(l.cells[2].significant, Some(false));
    }

    #[test]
    fn constant_values_islands_and_no_permutations() {
        let cells = [(0, 0), (250, 0), (5_000, 0)];
        let l = local_moran_grid(&cells, GRID, &[3.0; 3], &LisaMethod::default()).unwrap();
        assert!(l.constant && l.cells.iter().all(|c| c.i.is_none()));
        assert_eq!(l.islands, 1);
        let l = local_moran_grid(&cells, GRID, &[1.0, 2.0, 9.0], &LisaMethod::default()).unwrap();
        assert_eq!(l.islands, 1);
        assert_eq!(l.cells[2].i, Some(0.0));
        assert_eq!((l.cells[2].p, l.cells[2].quadrant), (None, None));
        assert!(l.cells[0].p.is_some());
        let m = LisaMethod::new(500.0, 0, 1, false).unwrap();
        let l = local_moran_grid(&cells, GRID, &[1.0, 2.0, 9.0], &m).unwrap();
        assert!(l
            .cells
            .iter()
            .all(|c| c.p.is_none() && c.significant.is_none()));
        assert_eq!(l.cells[0].quadrant, Some(Quadrant::LowLow));
    }

    #[test]
    fn bad_settings_are_refused() {
        assert_eq!(
            LisaMethod::new(500.0, 0, 1, true).unwrap_err(),
            LisaError::FdrWithoutPermutations
        );
        assert!(LisaMethod::new(500.0, 100_000, 1, false).is_err());
        assert!(LisaMethod::new(f64::NAN, 99, 1, false).is_err());
    }
}
