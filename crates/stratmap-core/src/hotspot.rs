//! Hot spots (SPEC §4.4): the Getis-Ord Gi* statistic with binary
//! distance-band weights, its two-sided normal p-value, an optional
//! Benjamini–Hochberg false-discovery-rate correction, and ArcGIS-style
//! confidence bins.
//!
//! Gi*ᵢ = (Σⱼ wᵢⱼ xⱼ − x̄ Wᵢ) / (S √[(n Wᵢ − Wᵢ²) / (n − 1)]) with wᵢⱼ = 1 when
//! the distance between i and j is at most the band (i itself included),
//! Wᵢ = Σⱼ wᵢⱼ, and x̄ and S (population standard deviation) over all n
//! points (Ord & Getis 1995, eq. 14, binary weights so Σ wᵢⱼ² = Wᵢ).
//!
//! PySAL esda's published test case (G_Local, star, binary band of 15):
//!
//! ```
//! use stratmap_core::gi_star;
//!
//! let pts = [(10.0, 10.0), (20.0, 10.0), (40.0, 10.0), (15.0, 20.0), (30.0, 20.0), (30.0, 30.0)];
//! let y = [2.0, 3.0, 3.2, 5.0, 8.0, 7.0];
//! let gi = gi_star(&pts, &y, 15.0).unwrap();
//! let z: Vec<f64> = gi.iter().map(|g| g.z.unwrap()).collect();
//! let esda = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331];
//! for (a, b) in z.iter().zip(esda) {
//!     assert!((a - b).abs() < 1e-8);
//! }
//! ```

use crate::grid::GridSpec;
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

/// Gi* of one point: `None` where it is undefined (every value equal, or
/// every point a neighbour of this one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GiStar {
    /// Gi*ᵢ, a z-score: positive where high values cluster, negative where low ones do.
    pub z: Option<f64>,
    /// Two-sided p-value of z under the standard normal.
    pub p: Option<f64>,
    /// Wᵢ: the neighbours within the band, the point itself included.
    pub neighbours: u32,
}

/// A distance band that is not a distance: zero, negative, NaN or infinite.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("band {0}: expected a positive, finite distance in metres")]
pub struct BandError(pub f64);

/// The hot-spot method's settings (SPEC §4.4), checked when made; the
/// default is the method's: a 500 m band, no FDR correction.
///
/// ```
/// use stratmap_core::HotspotMethod;
/// assert_eq!(HotspotMethod::default(), HotspotMethod::new(500.0, false).unwrap());
/// assert!(HotspotMethod::new(f64::NAN, false).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HotspotMethod {
    band: f64,
    /// Benjamini–Hochberg correction of the bins.
    pub fdr: bool,
}

impl Default for HotspotMethod {
    fn default() -> Self {
        HotspotMethod {
            band: 500.0,
            fdr: false,
        }
    }
}

impl HotspotMethod {
    /// The settings, when the band is a positive, finite distance.
    pub fn new(band: f64, fdr: bool) -> Result<Self, BandError> {
        check_band(band)?;
        Ok(HotspotMethod { band, fdr })
    }

    /// The distance band in metres.
    pub fn band(&self) -> f64 {
        self.band
    }
}

pub(crate) fn check_band(band: f64) -> Result<(), BandError> {
    if band > 0.0 && band.is_finite() {
        Ok(())
    } else {
        Err(BandError(band))
    }
}

/// Gi* of every point, with neighbours found through an R-tree.
pub fn gi_star(points: &[(f64, f64)], values: &[f64], band: f64) -> Result<Vec<GiStar>, BandError> {
    check_band(band)?;
    let tree = RTree::bulk_load(
        points
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new([p.0, p.1], i))
            .collect(),
    );
    let band2 = band * band;
    Ok(gi_from_neighbours(values, |i, f| {
        let p = points[i];
        for n in tree.locate_within_distance([p.0, p.1], band2) {
            f(n.data);
        }
    }))
}

/// Gi* of the cells of a square grid (lower-left corners in metres, on
/// `grid`), with neighbours found from the grid's own structure (see
/// [`crate::neighbours::band_sums`]): the work is bounded by the grid, not by
/// the band.
pub fn gi_star_grid(
    cells: &[(i64, i64)],
    grid: GridSpec,
    values: &[f64],
    band: f64,
) -> Result<Vec<GiStar>, BandError> {
    let sums = crate::neighbours::band_sums(cells, grid, values, band, true)?;
    Ok(gi_from_sums(values, |i| sums[i]))
}

fn gi_from_neighbours(
    values: &[f64],
    neighbours: impl Fn(usize, &mut dyn FnMut(usize)) + Sync,
) -> Vec<GiStar> {
    gi_from_sums(values, |i| {
        let (mut w, mut sum) = (0u32, 0.0);
        neighbours(i, &mut |j| {
            w += 1;
            sum += values[j];
        });
        (w, sum)
    })
}

/// Gi* from each point's neighbour count Wᵢ and the sum of their values.
fn gi_from_sums(values: &[f64], sums: impl Fn(usize) -> (u32, f64) + Sync) -> Vec<GiStar> {
    let n = values.len() as f64;
    // sd exactly 0 when the counts are all the same up to rounding
    let (mean, sd) = crate::stats::mean_sd_population(values.iter().copied()).unwrap_or((0.0, 0.0));
    (0..values.len())
        .into_par_iter()
        .map(|i| {
            let (w, sum) = sums(i);
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
}

/// P(|Z| ≥ |z|) for a standard normal Z.
///
/// ```
/// use stratmap_core::two_sided_p;
/// assert_eq!(two_sided_p(0.0), 1.0);
/// assert!((two_sided_p(-1.959963984540054) - 0.05).abs() < 1e-12);
/// ```
pub fn two_sided_p(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// The significance levels of the bins: 90, 95 and 99 % confidence.
pub const LEVELS: [f64; 3] = [0.10, 0.05, 0.01];

/// ArcGIS's Gi_Bin: ±3 at 99 % confidence, ±2 at 95 %, ±1 at 90 %, signed as
/// z, else 0. With `fdr`, a point is significant at level α only when its p
/// passes the Benjamini–Hochberg threshold for α over all points.
///
/// ```
/// use stratmap_core::{gi_bins, two_sided_p, GiStar};
/// let g = |z: f64| GiStar { z: Some(z), p: Some(two_sided_p(z)), neighbours: 13 };
/// // p = 0.0027, 0.046, 0.089 and 0.11
/// assert_eq!(gi_bins(&[g(3.0), g(-2.0), g(1.7), g(1.6)], false), [3, -2, 1, 0]);
/// ```
pub fn gi_bins(gi: &[GiStar], fdr: bool) -> Vec<i8> {
    // a point is significant at level k when p ≤ thresholds[k] (FDR) or p < α
    let thresholds: [f64; 3] = if fdr {
        let ps: Vec<f64> = gi.iter().filter_map(|g| g.p).collect();
        LEVELS.map(|alpha| crate::stats::bh_threshold(&ps, alpha).unwrap_or(-1.0))
    } else {
        LEVELS
    };
    let passes = |p: f64, t: f64| if fdr { p <= t } else { p < t };
    gi.iter()
        .map(|g| match (g.z, g.p) {
            (Some(z), Some(p)) => {
                let level = thresholds.iter().filter(|t| passes(p, **t)).count() as i8;
                if z > 0.0 {
                    level
                } else {
                    -level
                }
            }
            _ => 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grid of the tests: 250 m cells.
    const GRID: GridSpec = GridSpec {
        epsg: crate::grid::Epsg::SWEREF99_TM,
        cell_size: 250,
    };

    #[test]
    fn sparse_grids_agree_with_dense_ones() {
        // the same cells far apart (hash lookup) and packed (dense table)
        let cells: Vec<(i64, i64)> = (0..50).map(|k| (k % 7 * 250, k / 7 * 250)).collect();
        let mut sparse = cells.clone();
        sparse.push((250_000_000, 0));
        let values: Vec<f64> = (0..51).map(|k| f64::from(k % 5)).collect();
        let a = gi_star_grid(&cells, GRID, &values[..50], 500.0).unwrap();
        let b = gi_star_grid(&sparse, GRID, &values, 500.0).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.neighbours, y.neighbours);
        }
    }

    #[test]
    fn grid_neighbours_match_the_r_tree_and_the_13_cell_band() {
        // a 9 × 9 block of 250 m cells with varied counts
        let cells: Vec<(i64, i64)> = (0..81).map(|k| (k % 9 * 250, k / 9 * 250)).collect();
        let values: Vec<f64> = (0..81).map(|k| f64::from((k * 37 % 11) as u32)).collect();
        let centres: Vec<(f64, f64)> = cells
            .iter()
            .map(|&(x, y)| (x as f64 + 125.0, y as f64 + 125.0))
            .collect();
        let a = gi_star_grid(&cells, GRID, &values, 500.0).unwrap();
        let b = gi_star(&centres, &values, 500.0).unwrap();
        assert_eq!(a[40].neighbours, 13); // the centre cell: itself, 4 + 4 + 4
        assert_eq!(a[0].neighbours, 6); // a corner: itself, 2 at 250 m, 1 at 354 m, 2 at 500 m
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.neighbours, y.neighbours);
            assert!((x.z.unwrap() - y.z.unwrap()).abs() < 1e-12);
        }
    }

    #[test]
    fn p_values_and_bins() {
        assert!((two_sided_p(1.959963984540054) - 0.05).abs() < 1e-12);
        assert!((two_sided_p(-2.5758293035489004) - 0.01).abs() < 1e-12);
        assert_eq!(two_sided_p(0.0), 1.0);
        let g = |z: f64| GiStar {
            z: Some(z),
            p: Some(two_sided_p(z)),
            neighbours: 1,
        };
        let gi = [g(3.0), g(-2.0), g(1.7), g(1.6), g(-0.5)];
        assert_eq!(gi_bins(&gi, false), [3, -2, 1, 0, 0]);
        let none = GiStar {
            z: None,
            p: None,
            neighbours: 1,
        };
        assert_eq!(gi_bins(&[none], false), [0]);
        let fdr = gi_bins(&gi, true);
        // sorted p: 0.0027, 0.0455, 0.0891, 0.1096, 0.617
        // α = 0.10: thresholds k/5·0.1 = 0.02, 0.04, 0.06, 0.08, 0.1 → largest passing: p(1) = 0.0027
        // α = 0.05: 0.01, … → p(1) passes; α = 0.01: 0.002 → none
        assert_eq!(fdr, [2, 0, 0, 0, 0]);
    }

    /// The grid's cells, their centres and varied values.
    type Block = (Vec<(i64, i64)>, Vec<(f64, f64)>, Vec<f64>);

    fn block(side: i64, step: i64) -> Block {
        let cells: Vec<(i64, i64)> = (0..side * side)
            .map(|k| (k % side * step * 250, k / side * step * 250))
            .collect();
        let centres = cells
            .iter()
            .map(|&(x, y)| (x as f64 + 125.0, y as f64 + 125.0))
            .collect();
        let values = (0..side * side).map(|k| (k * 37 % 11) as f64).collect();
        (cells, centres, values)
    }

    fn assert_agree(a: &[GiStar], b: &[GiStar]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.neighbours, y.neighbours);
            match (x.z, y.z) {
                (Some(p), Some(q)) => assert!((p - q).abs() < 1e-9, "{p} {q}"),
                (p, q) => assert_eq!(p, q),
            }
        }
    }

    #[test]
    fn wide_bands_on_a_dense_grid_are_summed_per_column() {
        // 60 × 60 cells, a band of 40 cells: 81² offsets are more than the cells
        let (cells, centres, values) = block(60, 1);
        for band in [10_050.0, 14_142.0] {
            let a = gi_star_grid(&cells, GRID, &values, band).unwrap();
            assert_agree(&a, &gi_star(&centres, &values, band).unwrap());
        }
        let a = gi_star_grid(&cells, GRID, &values, 10_000.0).unwrap();
        assert_eq!(a[0].neighbours, 1_297); // a corner: the lattice points of a quarter disc of radius 40
    }

    #[test]
    fn wide_bands_on_a_sparse_grid_use_the_r_tree() {
        // every third cell in each direction: a ninth of the bounding box
        let (cells, centres, values) = block(40, 3);
        for band in [20_000.0, 21_100.0] {
            let a = gi_star_grid(&cells, GRID, &values, band).unwrap();
            assert_agree(&a, &gi_star(&centres, &values, band).unwrap());
        }
    }

    #[test]
    fn a_band_beyond_the_grid_makes_every_cell_a_neighbour() {
        let (cells, _, values) = block(30, 1);
        for band in [1e6, 1e9, 1e30, f64::MAX] {
            let a = gi_star_grid(&cells, GRID, &values, band).unwrap();
            assert!(a.iter().all(|g| g.neighbours == 900 && g.z.is_none()));
        }
        // a band just short of the diagonal leaves the far corner out
        let diagonal = 29.0 * 250.0 * 2f64.sqrt();
        let a = gi_star_grid(&cells, GRID, &values, diagonal - 1.0).unwrap();
        assert_eq!(a[0].neighbours, 899);
        // two cells a thousand kilometres apart, far beyond any offset table
        let far = [(0, 0), (1_000_000_000, 0)];
        let a = gi_star_grid(&far, GRID, &[1.0, 2.0], 1e9).unwrap();
        assert_eq!(a.iter().map(|g| g.neighbours).collect::<Vec<_>>(), [2, 2]);
        let a = gi_star_grid(&far, GRID, &[1.0, 2.0], 1e8).unwrap();
        assert_eq!(a.iter().map(|g| g.neighbours).collect::<Vec<_>>(), [1, 1]);
    }

    #[test]
    fn a_band_that_is_no_distance_is_refused() {
        let (cells, centres, values) = block(3, 1);
        for band in [0.0, -500.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let want = format!("band {band}: expected a positive, finite distance in metres");
            let e = gi_star_grid(&cells, GRID, &values, band).unwrap_err();
            assert_eq!(e.to_string(), want);
            assert_eq!(
                gi_star(&centres, &values, band).unwrap_err().to_string(),
                want
            );
        }
    }

    #[test]
    fn constant_values_have_no_z() {
        let gi = gi_star(&[(0.0, 0.0), (1.0, 0.0), (5.0, 0.0)], &[2.0; 3], 1.5).unwrap();
        assert!(gi.iter().all(|g| g.z.is_none() && g.p.is_none()));
    }
}
