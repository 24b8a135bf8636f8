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
//! use stratmap_core::hotspot::gi_star;
//!
//! let pts = [(10.0, 10.0), (20.0, 10.0), (40.0, 10.0), (15.0, 20.0), (30.0, 20.0), (30.0, 30.0)];
//! let y = [2.0, 3.0, 3.2, 5.0, 8.0, 7.0];
//! let gi = gi_star(&pts, &y, 15.0);
//! let z: Vec<f64> = gi.iter().map(|g| g.z.unwrap()).collect();
//! let esda = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331];
//! for (a, b) in z.iter().zip(esda) {
//!     assert!((a - b).abs() < 1e-8);
//! }
//! ```

use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

/// Gi* of one point: `None` where it is undefined (every value equal, or
/// every point a neighbour of this one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GiStar {
    pub z: Option<f64>,
    /// Two-sided p-value of z under the standard normal.
    pub p: Option<f64>,
    /// Wᵢ: the neighbours within the band, the point itself included.
    pub neighbours: u32,
}

/// Gi* of every point, with neighbours found through an R-tree.
pub fn gi_star(points: &[(f64, f64)], values: &[f64], band: f64) -> Vec<GiStar> {
    let tree = RTree::bulk_load(
        points
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new([p.0, p.1], i))
            .collect(),
    );
    let band2 = band * band;
    gi_from_neighbours(values, |i, f| {
        let p = points[i];
        for n in tree.locate_within_distance([p.0, p.1], band2) {
            f(n.data);
        }
    })
}

/// Gi* of the cells of a square grid (lower-left corners in metres, cell size
/// `size`), with neighbours found from the grid's own structure: the offsets
/// whose centres lie within the band, looked up in a hash of the cells.
pub fn gi_star_grid(cells: &[(i64, i64)], size: i64, values: &[f64], band: f64) -> Vec<GiStar> {
    let at = CellLookup::new(cells, size);
    // cell-centre offsets within the band, exactly: (dx² + dy²)·size² ≤ band²
    let reach = (band / size as f64).floor() as i64;
    let offsets: Vec<(i64, i64)> = (-reach..=reach)
        .flat_map(|dx| (-reach..=reach).map(move |dy| (dx, dy)))
        .filter(|&(dx, dy)| ((dx * dx + dy * dy) as f64) * (size * size) as f64 <= band * band)
        .collect();
    gi_from_neighbours(values, |i, f| {
        let (cx, cy) = (cells[i].0.div_euclid(size), cells[i].1.div_euclid(size));
        for &(dx, dy) in &offsets {
            if let Some(j) = at.get(cx + dx, cy + dy) {
                f(j);
            }
        }
    })
}

/// Cells by column and row: a dense table over the bounding box when the
/// cells fill at least a quarter of it, else a hash map.
enum CellLookup {
    Dense {
        c0: i64,
        r0: i64,
        cols: i64,
        rows: i64,
        index: Vec<u32>,
    },
    Sparse(rustc_hash::FxHashMap<(i64, i64), usize>),
}

impl CellLookup {
    fn new(cells: &[(i64, i64)], size: i64) -> Self {
        let cr: Vec<(i64, i64)> = cells
            .iter()
            .map(|&(x, y)| (x.div_euclid(size), y.div_euclid(size)))
            .collect();
        let (c0, c1) = cr
            .iter()
            .fold((i64::MAX, i64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let (r0, r1) = cr
            .iter()
            .fold((i64::MAX, i64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let (cols, rows) = (
            c1.saturating_sub(c0).saturating_add(1),
            r1.saturating_sub(r0).saturating_add(1),
        );
        let dense = !cells.is_empty()
            && cells.len() < u32::MAX as usize
            && (cols as i128) * (rows as i128) <= 4 * cells.len() as i128;
        if dense {
            let mut index = vec![u32::MAX; (cols * rows) as usize];
            for (i, &(c, r)) in cr.iter().enumerate() {
                index[((c - c0) * rows + (r - r0)) as usize] = i as u32;
            }
            CellLookup::Dense {
                c0,
                r0,
                cols,
                rows,
                index,
            }
        } else {
            CellLookup::Sparse(cr.into_iter().enumerate().map(|(i, k)| (k, i)).collect())
        }
    }

    fn get(&self, c: i64, r: i64) -> Option<usize> {
        match self {
            CellLookup::Dense {
                c0,
                r0,
                cols,
                rows,
                index,
            } => {
                let (dc, dr) = (c - c0, r - r0);
                if dc < 0 || dr < 0 || dc >= *cols || dr >= *rows {
                    return None;
                }
                let i = index[(dc * rows + dr) as usize];
                (i != u32::MAX).then_some(i as usize)
            }
            CellLookup::Sparse(m) => m.get(&(c, r)).copied(),
        }
    }
}

fn gi_from_neighbours(
    values: &[f64],
    neighbours: impl Fn(usize, &mut dyn FnMut(usize)) + Sync,
) -> Vec<GiStar> {
    let n = values.len() as f64;
    let (mean, sd) = crate::stats::mean_sd_population(values.iter().copied()).unwrap_or((0.0, 0.0));
    (0..values.len())
        .into_par_iter()
        .map(|i| {
            let (mut w, mut sum) = (0u32, 0.0);
            neighbours(i, &mut |j| {
                w += 1;
                sum += values[j];
            });
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
pub fn two_sided_p(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// The significance levels of the bins: 90, 95 and 99 % confidence.
pub const LEVELS: [f64; 3] = [0.10, 0.05, 0.01];

/// ArcGIS's Gi_Bin: ±3 at 99 % confidence, ±2 at 95 %, ±1 at 90 %, signed as
/// z, else 0. With `fdr`, a point is significant at level α only when its p
/// passes the Benjamini–Hochberg threshold for α over all points.
pub fn gi_bins(gi: &[GiStar], fdr: bool) -> Vec<i8> {
    // a point is significant at level k when p ≤ thresholds[k] (FDR) or p < α
    let thresholds: [f64; 3] = if fdr {
        let mut ps: Vec<f64> = gi.iter().filter_map(|g| g.p).collect();
        ps.sort_by(f64::total_cmp);
        let m = ps.len() as f64;
        LEVELS.map(|alpha| {
            // the largest p(k) with p(k) ≤ k/m·α; nothing passes when none does
            ps.iter()
                .enumerate()
                .filter(|(k, p)| **p <= (*k as f64 + 1.0) / m * alpha)
                .map(|(_, p)| *p)
                .next_back()
                .unwrap_or(-1.0)
        })
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

    #[test]
    fn sparse_grids_agree_with_dense_ones() {
        // the same cells far apart (hash lookup) and packed (dense table)
        let cells: Vec<(i64, i64)> = (0..50).map(|k| (k % 7 * 250, k / 7 * 250)).collect();
        let mut sparse = cells.clone();
        sparse.push((250_000_000, 0));
        let values: Vec<f64> = (0..51).map(|k| f64::from(k % 5)).collect();
        let a = gi_star_grid(&cells, 250, &values[..50], 500.0);
        let b = gi_star_grid(&sparse, 250, &values, 500.0);
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
        let a = gi_star_grid(&cells, 250, &values, 500.0);
        let b = gi_star(&centres, &values, 500.0);
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

    #[test]
    fn constant_values_have_no_z() {
        let gi = gi_star(&[(0.0, 0.0), (1.0, 0.0), (5.0, 0.0)], &[2.0; 3], 1.5);
        assert!(gi.iter().all(|g| g.z.is_none() && g.p.is_none()));
    }
}
