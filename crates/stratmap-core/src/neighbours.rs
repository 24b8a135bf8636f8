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
    Ok(match &at.0 {
        Lookup::Dense {
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
        Lookup::Columns { .. } | Lookup::Sparse(_) => {
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
/// cells fill at least a quarter of it; else each column's cells sorted
/// by row (a national grid of populated cells: a neighbour is a short
/// search in a column just visited, not a hash lookup of a table far
/// larger than the caches), or a hash map when there are far more
/// columns than cells. A cell given twice is found at its last place.
pub struct CellLookup(Lookup);

enum Lookup {
    /// Cell numbers over the bounding box, column by column.
    Dense {
        c0: i64,
        r0: i64,
        cols: i64,
        rows: i64,
        index: Vec<u32>,
    },
    /// The cells of column `c0 + k` are `cells[starts[k]..starts[k + 1]]`,
    /// as (row, number) by row.
    Columns {
        c0: i64,
        starts: Vec<usize>,
        cells: Vec<(i64, u32)>,
    },
    /// (column, row) → number.
    Sparse(rustc_hash::FxHashMap<(i64, i64), usize>),
}

impl CellLookup {
    /// The lookup of `cells` (corners) by column and row of `grid`.
    pub fn new(cells: &[(i64, i64)], grid: GridSpec) -> Self {
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
            CellLookup(Lookup::Dense {
                c0,
                r0,
                cols,
                rows,
                index,
            })
        } else if !cells.is_empty()
            && cells.len() < u32::MAX as usize
            && (cols as i128) <= 4 * cells.len() as i128
        {
            // each column's cells by row, from (column, row, number) in
            // that order
            let mut starts = Vec::with_capacity(cols as usize + 1);
            let mut by_row = Vec::with_capacity(cells.len());
            let mut push = |(c, r, i): (i64, i64, u32)| {
                while (starts.len() as i64) <= c - c0 {
                    starts.push(by_row.len());
                }
                by_row.push((r, i));
            };
            if cr.windows(2).all(|w| w[0] < w[1]) {
                // a grid in id order (SCB ids, by x then y) is in this order
                // already, and is not copied to be
                for (i, &(c, r)) in cr.iter().enumerate() {
                    push((c, r, i as u32));
                }
            } else {
                let mut order: Vec<(i64, i64, u32)> = cr
                    .iter()
                    .enumerate()
                    .map(|(i, &(c, r))| (c, r, i as u32))
                    .collect();
                order.par_sort_unstable();
                // a cell given twice: the last number, as the map would keep
                order.dedup_by(|later, earlier| {
                    let same = (later.0, later.1) == (earlier.0, earlier.1);
                    if same {
                        earlier.2 = later.2;
                    }
                    same
                });
                order.into_iter().for_each(push);
            }
            starts.resize(cols as usize + 1, by_row.len());
            CellLookup(Lookup::Columns {
                c0,
                starts,
                cells: by_row,
            })
        } else {
            CellLookup(Lookup::Sparse(
                cr.into_iter().enumerate().map(|(i, k)| (k, i)).collect(),
            ))
        }
    }

    /// The number of the cell at column `c`, row `r`, if there is one.
    #[inline]
    pub fn get(&self, c: i64, r: i64) -> Option<usize> {
        match &self.0 {
            Lookup::Dense {
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
            Lookup::Columns { c0, starts, cells } => {
                let k = usize::try_from(c.checked_sub(*c0)?).ok()?;
                let column = &cells[*starts.get(k)?..*starts.get(k + 1)?];
                let at = column.binary_search_by_key(&r, |&(r, _)| r).ok()?;
                Some(column[at].1 as usize)
            }
            Lookup::Sparse(m) => m.get(&(c, r)).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kind(at: &CellLookup) -> &'static str {
        match at.0 {
            Lookup::Dense { .. } => "dense",
            Lookup::Columns { .. } => "columns",
            Lookup::Sparse(_) => "sparse",
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Every lookup finds what a map of (column, row) → last number
        /// finds, at every place in and around the cells' box, whatever
        /// the cells' order, repeats and spread (each of the three kinds).
        #[test]
        fn a_lookup_finds_what_a_map_finds(
            picks in proptest::collection::vec((-3i64..3, -5i64..5), 0..60),
            spread in prop_oneof![Just(1i64), Just(7), Just(100_000)],
        ) {
            let grid = GridSpec::scb(250);
            let drawn: Vec<(i64, i64)> = picks
                .iter()
                .map(|&(c, r)| grid.corner(c * spread, r))
                .collect();
            // as drawn, and in id order (a grid file as it comes)
            let mut in_order = drawn.clone();
            in_order.sort_unstable();
            in_order.dedup();
            for cells in [drawn, in_order] {
                let mut want = rustc_hash::FxHashMap::default();
                for (i, &(x, y)) in cells.iter().enumerate() {
                    want.insert(grid.col_row(x, y), i);
                }
                let at = CellLookup::new(&cells, grid);
                // dense when the cells fill a quarter of their box, by column
                // when there are not four times more columns than cells
                let (cols, rows) = extent(&cells, grid);
                let n = cells.len() as i64;
                let expected = if n == 0 {
                    "sparse"
                } else if cols * rows <= 4 * n {
                    "dense"
                } else if cols <= 4 * n {
                    "columns"
                } else {
                    "sparse"
                };
                prop_assert_eq!(kind(&at), expected);
                for c in -4 * spread..=4 * spread {
                    if spread > 7 && c % spread != 0 && c.abs() > 2 {
                        continue;
                    }
                    for r in -7..=7 {
                        prop_assert_eq!(at.get(c, r), want.get(&(c, r)).copied(), "{} at {:?}", kind(&at), (c, r));
                    }
                }
            }
        }
    }

    #[test]
    fn a_national_spread_is_looked_up_by_column() {
        // populated cells along a few far-apart columns, in id order and not
        let grid = GridSpec::scb(250);
        let mut cells: Vec<(i64, i64)> = (0..200)
            .map(|k| grid.corner(1_000 + 3 * (k % 5), 20_000 + 40 * k))
            .collect();
        assert_eq!(kind(&CellLookup::new(&cells, grid)), "columns");
        cells.reverse();
        let at = CellLookup::new(&cells, grid);
        assert_eq!(kind(&at), "columns");
        assert_eq!(at.get(1_000, 20_000), Some(199));
        assert_eq!(at.get(1_000, 20_001), None);
        assert_eq!(at.get(999, 20_000), None);
        assert_eq!(at.get(i64::MIN, 0), None);
        assert_eq!(at.get(i64::MAX, 0), None);
    }
}
