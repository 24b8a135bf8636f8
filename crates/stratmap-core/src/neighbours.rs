//! Neighbours within a distance band on a square grid, found from the grid's
//! own structure: for each cell, how many cells lie within the band of its
//! centre and the sum of their values. Gi* ([`crate::hotspot`]) counts the
//! cell itself; local Moran's I ([`crate::lisa`]) does not.
//!
//! ```
//! use stratmap_core::GridSpec;
//! use stratmap_core::band_sums;
//!
//! // three cells in a row, 250 m apart; a band of 300 m reaches the next one
//! let cells = [(0, 0), (250, 0), (500, 0)];
//! let sums = band_sums(&cells, GridSpec::scb(250), &[1.0, 2.0, 4.0], 300.0, false).unwrap();
//! assert_eq!(sums, [(1, 2.0), (2, 5.0), (1, 2.0)]);
//! ```

use crate::grid::GridSpec;
use crate::hotspot::{check_band, BandError};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

/// The most offsets tried per cell before neighbours are counted another
/// way: a band of 36 cells of 250 m (9 km) stays below it.
const MAX_OFFSETS: usize = 4096;

/// For each cell (lower-left corners in metres, on `grid`), the number of
/// cells whose centres lie within `band` metres of its centre and the sum of
/// their `values`; the cell itself is counted when `self_too`.
///
/// The work is bounded by the grid, not by the band: a band that reaches
/// across the cells' whole extent makes every cell a neighbour of every
/// cell; a band wider than the offset table allows is summed per column of a
/// dense grid, or found through an R-tree of a sparse one. The distance test
/// is exact: (dx² + dy²)·size² ≤ band² in whole cells.
pub fn band_sums(
    cells: &[(i64, i64)],
    grid: GridSpec,
    values: &[f64],
    band: f64,
    self_too: bool,
) -> Result<Vec<(u32, f64)>, BandError> {
    check_band(band)?;
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    let own = |i: usize| if self_too { (0, 0.0) } else { (1, values[i]) };
    let size = i64::from(grid.cell_size);
    let at = CellLookup::new(cells, grid);
    let (size2, band2) = ((size as f64) * (size as f64), band * band);
    let within = move |dx: i64, dy: i64| {
        let (dx, dy) = (dx as f64, dy as f64);
        (dx * dx + dy * dy) * size2 <= band2
    };
    let (cols, rows) = extent(cells, grid);
    // no two cells are further apart than the extent's diagonal
    let reach = ((band / size as f64).floor() as i64).min(cols.max(rows));
    if within(cols - 1, rows - 1) {
        // every cell is a neighbour of every cell
        let total: f64 = values.iter().sum();
        let n = cells.len() as u32;
        return Ok(collect(cells.len(), |i| {
            let (w, v) = own(i);
            (n - w, total - v)
        }));
    }
    let side = 2 * reach as i128 + 1;
    if side * side <= MAX_OFFSETS.max(cells.len()) as i128 {
        let offsets: Vec<(i64, i64)> = (-reach..=reach)
            .flat_map(|dx| (-reach..=reach).map(move |dy| (dx, dy)))
            .filter(|&(dx, dy)| within(dx, dy) && (self_too || (dx, dy) != (0, 0)))
            .collect();
        return Ok(collect(cells.len(), |i| {
            let (cx, cy) = grid.col_row(cells[i].0, cells[i].1);
            let (mut w, mut sum) = (0u32, 0.0);
            for &(dx, dy) in &offsets {
                if let Some(j) = at.get(cx + dx, cy + dy) {
                    w += 1;
                    sum += values[j];
                }
            }
            (w, sum)
        }));
    }
    Ok(match &at {
        CellLookup::Dense {
            c0,
            r0,
            cols,
            rows,
            index,
        } => {
            // half the height of the band's disc at each column offset: |dy| ≤ half[|dx|]
            let half: Vec<i64> = (0..=reach)
                .map(|dx| {
                    let r = band / size as f64;
                    let mut k = (r * r - (dx as f64) * (dx as f64)).max(0.0).sqrt().floor() as i64;
                    while k > 0 && !within(dx, k) {
                        k -= 1;
                    }
                    while within(dx, k + 1) {
                        k += 1;
                    }
                    if within(dx, k) {
                        k
                    } else {
                        -1
                    }
                })
                .collect();
            // per column, running sums of the values and the cells below each row
            let (cols, rows) = (*cols as usize, *rows as usize);
            let mut sum = vec![0.0; cols * (rows + 1)];
            let mut count = vec![0u32; cols * (rows + 1)];
            for c in 0..cols {
                for r in 0..rows {
                    let (s, n) = match index[c * rows + r] {
                        u32::MAX => (0.0, 0),
                        i => (values[i as usize], 1),
                    };
                    sum[c * (rows + 1) + r + 1] = sum[c * (rows + 1) + r] + s;
                    count[c * (rows + 1) + r + 1] = count[c * (rows + 1) + r] + n;
                }
            }
            let (c0, r0) = (*c0, *r0);
            collect(cells.len(), |i| {
                let (c, r) = grid.col_row(cells[i].0, cells[i].1);
                let (c, r) = (c - c0, r - r0);
                let (mut w, mut s) = (0u32, 0.0);
                let lo_c = (c - reach).max(0);
                let hi_c = (c + reach).min(cols as i64 - 1);
                for cc in lo_c..=hi_c {
                    let h = half[(cc - c).unsigned_abs() as usize];
                    if h < 0 {
                        continue;
                    }
                    let lo = (r - h).max(0) as usize;
                    let hi = ((r + h).min(rows as i64 - 1) + 1) as usize;
                    if lo >= hi {
                        continue;
                    }
                    let base = cc as usize * (rows + 1);
                    w += count[base + hi] - count[base + lo];
                    s += sum[base + hi] - sum[base + lo];
                }
                let (ow, ov) = own(i);
                (w - ow, s - ov)
            })
        }
        CellLookup::Sparse(_) => {
            // an R-tree of the cells' columns and rows, with the exact test
            let tree = RTree::bulk_load(
                cells
                    .iter()
                    .enumerate()
                    .map(|(i, &(x, y))| {
                        let (c, r) = grid.col_row(x, y);
                        GeomWithData::new([c as f64, r as f64], i)
                    })
                    .collect(),
            );
            let r = band / size as f64 + 1.0;
            collect(cells.len(), |i| {
                let (cx, cy) = grid.col_row(cells[i].0, cells[i].1);
                let (mut w, mut sum) = (0u32, 0.0);
                for n in tree.locate_within_distance([cx as f64, cy as f64], r * r) {
                    let (x, y) = cells[n.data];
                    let (c, r) = grid.col_row(x, y);
                    if within(c - cx, r - cy) && (self_too || n.data != i) {
                        w += 1;
                        sum += values[n.data];
                    }
                }
                (w, sum)
            })
        }
    })
}

/// `f` of every cell, in parallel, in cell order.
fn collect(n: usize, f: impl Fn(usize) -> (u32, f64) + Sync + Send) -> Vec<(u32, f64)> {
    (0..n).into_par_iter().map(f).collect()
}

/// The columns and rows of the cells' bounding box.
fn extent(cells: &[(i64, i64)], grid: GridSpec) -> (i64, i64) {
    let (mut c0, mut c1, mut r0, mut r1) = (i64::MAX, i64::MIN, i64::MAX, i64::MIN);
    for &(x, y) in cells {
        let (c, r) = grid.col_row(x, y);
        (c0, c1, r0, r1) = (c0.min(c), c1.max(c), r0.min(r), r1.max(r));
    }
    (
        c1.saturating_sub(c0).saturating_add(1),
        r1.saturating_sub(r0).saturating_add(1),
    )
}

/// Cells by column and row: a dense table over the bounding box when the
/// cells fill at least a quarter of it, else a hash map.
pub(crate) enum CellLookup {
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
    pub(crate) fn new(cells: &[(i64, i64)], grid: GridSpec) -> Self {
        let cr: Vec<(i64, i64)> = cells.iter().map(|&(x, y)| grid.col_row(x, y)).collect();
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

    pub(crate) fn get(&self, c: i64, r: i64) -> Option<usize> {
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
