//! Candidate areas: contiguous groups of the worst-class cells, proposed as
//! areas to look at (the police report's "data-driven model that can propose
//! areas"). Cells of class ≥ `min_class` are joined to their neighbours —
//! the eight around them by default, or only the four sharing an edge
//! (`Contiguity::Rook`) — and a group is kept when it has at least
//! `min_cells` cells and `min_population` residents. Each is dissolved into
//! the exact outline of its cells (holes kept).
//!
//! With the eight-neighbour rule two cells that meet only at a corner are
//! one group (a diagonal "bridge"), and its outline is two polygons touching
//! at that corner; with the rook rule they are two groups.
//!
//! ```
//! use stratmap_core::{candidate_areas, CandidateCell, CandidateParams, Contiguity};
//! use stratmap_core::GridSpec;
//!
//! // two pairs of class-5 cells meeting at a corner, 200 residents each
//! let cell = |x, y| CandidateCell { x, y, class: Some(5), index: Some(1.0), population: 200.0, youth: None };
//! let cells = [cell(0, 0), cell(250, 0), cell(500, 250), cell(750, 250)];
//! let queen = candidate_areas(&cells, GridSpec::scb(250), &CandidateParams::default());
//! assert_eq!(queen.len(), 1);
//! assert_eq!((queen[0].cells.len(), queen[0].population), (4, 800.0));
//! let rook = CandidateParams { contiguity: Contiguity::Rook, ..CandidateParams::default() };
//! assert!(candidate_areas(&cells, GridSpec::scb(250), &rook).is_empty());
//! ```

use crate::geom::cells_outline;
use crate::grid::GridSpec;
use geo::MultiPolygon;
use rustc_hash::FxHashMap;

/// Which cells are neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Contiguity {
    /// The eight cells around (edges and corners): "queen".
    #[default]
    Queen,
    /// The four cells sharing an edge: "rook".
    Rook,
}

/// Settings that cannot work.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum CandidateError {
    /// A class outside 1–5.
    #[error("min_class = {0}: expected a class from 1 to 5")]
    MinClass(i64),
    /// Fewer than one cell.
    #[error("min_cells = {0}: expected a whole number of cells ≥ 1")]
    MinCells(i64),
    /// A negative or non-finite population.
    #[error("min_population = {0}: expected a number of residents ≥ 0")]
    MinPopulation(f64),
}

/// The rule for a candidate area (SPEC issue 14: class ≥ 5, ≥ 4 cells,
/// ≥ 500 residents, eight-neighbour contiguity).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidateParams {
    /// The lowest class a cell of a candidate may have.
    pub min_class: u8,
    /// The fewest cells a candidate may have.
    pub min_cells: u32,
    /// The fewest residents a candidate may have.
    pub min_population: f64,
    /// Which cells are neighbours.
    pub contiguity: Contiguity,
}

impl Default for CandidateParams {
    fn default() -> Self {
        CandidateParams {
            min_class: 5,
            min_cells: 4,
            min_population: 500.0,
            contiguity: Contiguity::Queen,
        }
    }
}

impl CandidateParams {
    /// The rule, when the class is 1–5, the cells at least 1 and the
    /// population a number ≥ 0.
    ///
    /// ```
    /// use stratmap_core::{CandidateParams, Contiguity};
    /// assert!(CandidateParams::new(5, 0, 500.0, Contiguity::Queen).is_err());
    /// assert!(CandidateParams::new(6, 4, 500.0, Contiguity::Queen).is_err());
    /// assert_eq!(CandidateParams::new(5, 4, 500.0, Contiguity::Queen).unwrap(), CandidateParams::default());
    /// ```
    pub fn new(
        min_class: i64,
        min_cells: i64,
        min_population: f64,
        contiguity: Contiguity,
    ) -> Result<Self, CandidateError> {
        let min_class = u8::try_from(min_class)
            .ok()
            .filter(|c| (1..=5).contains(c))
            .ok_or(CandidateError::MinClass(min_class))?;
        let min_cells = u32::try_from(min_cells)
            .ok()
            .filter(|c| *c >= 1)
            .ok_or(CandidateError::MinCells(min_cells))?;
        if !(min_population >= 0.0 && min_population.is_finite()) {
            return Err(CandidateError::MinPopulation(min_population));
        }
        Ok(CandidateParams {
            min_class,
            min_cells,
            min_population,
            contiguity,
        })
    }
}

/// One grid cell as the candidates see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidateCell {
    /// Lower-left corner, metres.
    pub x: i64,
    /// Lower-left corner, metres.
    pub y: i64,
    /// The index class, 1–5; `None` without an index.
    pub class: Option<u8>,
    /// The index value.
    pub index: Option<f64>,
    /// Residents (0 where missing).
    pub population: f64,
    /// Children and youth (age_0_15 + age_16_19), where known.
    pub youth: Option<f64>,
}

/// A candidate area.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Its cells, as indices into the input, ascending.
    pub cells: Vec<usize>,
    /// Residents of its cells.
    pub population: f64,
    /// Children and youth of its cells; `None` when no cell has a figure.
    pub youth: Option<f64>,
    /// The mean index of its cells.
    pub mean_index: f64,
    /// The highest index of its cells.
    pub max_index: f64,
    /// The outline of its cells; its area is the cells × the cell area.
    pub outline: MultiPolygon<f64>,
}

/// The candidate areas of a grid, the most populous first (then the most
/// cells, then the one whose first cell comes first in the input).
pub fn candidate_areas(
    cells: &[CandidateCell],
    grid: GridSpec,
    params: &CandidateParams,
) -> Vec<Candidate> {
    let chosen: Vec<usize> = (0..cells.len())
        .filter(|&i| cells[i].class.is_some_and(|c| c >= params.min_class))
        .collect();
    let at: FxHashMap<(i64, i64), usize> = chosen
        .iter()
        .enumerate()
        .map(|(k, &i)| (grid.col_row(cells[i].x, cells[i].y), k))
        .collect();
    let mut parent: Vec<usize> = (0..chosen.len()).collect();
    fn root(parent: &mut [usize], mut k: usize) -> usize {
        while parent[k] != k {
            parent[k] = parent[parent[k]];
            k = parent[k];
        }
        k
    }
    let forward: &[(i64, i64)] = match params.contiguity {
        Contiguity::Queen => &[(1, 0), (0, 1), (1, 1), (1, -1)],
        Contiguity::Rook => &[(1, 0), (0, 1)],
    };
    for (k, &i) in chosen.iter().enumerate() {
        let (c, r) = grid.col_row(cells[i].x, cells[i].y);
        for (dc, dr) in forward {
            if let Some(&j) = at.get(&(c + dc, r + dr)) {
                let (a, b) = (root(&mut parent, k), root(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut groups: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    for (k, &i) in chosen.iter().enumerate() {
        let g = root(&mut parent, k);
        groups.entry(g).or_default().push(i);
    }
    let size = i64::from(grid.cell_size);
    let mut out: Vec<Candidate> = groups
        .into_values()
        .filter(|members| members.len() >= params.min_cells as usize)
        .filter_map(|mut members| {
            members.sort_unstable();
            let population: f64 = members.iter().map(|&i| cells[i].population).sum();
            if population < params.min_population {
                return None;
            }
            let youths: Vec<f64> = members.iter().filter_map(|&i| cells[i].youth).collect();
            let index: Vec<f64> = members.iter().filter_map(|&i| cells[i].index).collect();
            let corners: Vec<(i64, i64)> =
                members.iter().map(|&i| (cells[i].x, cells[i].y)).collect();
            Some(Candidate {
                population,
                youth: (!youths.is_empty()).then(|| youths.iter().sum()),
                mean_index: index.iter().sum::<f64>() / index.len() as f64,
                max_index: index.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                outline: cells_outline(&corners, size),
                cells: members,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.population
            .total_cmp(&a.population)
            .then(b.cells.len().cmp(&a.cells.len()))
            .then(a.cells[0].cmp(&b.cells[0]))
    });
    out
}

/// How a candidate lies against the police areas.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaOverlap {
    /// The share of its residents living inside any area, in percent (each
    /// cell's residents times the part of the cell inside the union of the
    /// areas); `None` when it has no residents.
    pub overlap_pct: Option<f64>,
    /// The areas it overlaps by a positive area, by their indices, ascending.
    pub areas: Vec<usize>,
    /// `new` when under [`NEW_BELOW_PCT`] of its residents live inside any
    /// area (or, with no residents, when it overlaps none), else `known`.
    pub is_new: bool,
}

/// A candidate with less than this share of its residents inside the areas
/// is `new`.
pub const NEW_BELOW_PCT: f64 = 10.0;

/// How each candidate lies against the areas (in the grid's CRS).
pub fn area_overlaps(
    candidates: &[Candidate],
    cells: &[CandidateCell],
    grid: GridSpec,
    areas: &[MultiPolygon<f64>],
) -> Vec<AreaOverlap> {
    use crate::geom::{overlapping_pairs, rect_overlap, union_parts, PolygonIndex};
    let index = PolygonIndex::new(areas.to_vec());
    // the union of the areas, so that a cell in two areas counts once
    let union = if overlapping_pairs(&index).is_empty() {
        None
    } else {
        Some(PolygonIndex::new(union_parts(&index)))
    };
    let union = union.as_ref().unwrap_or(&index);
    let s = f64::from(grid.cell_size);
    let rect = |i: usize| {
        let (x, y) = (cells[i].x as f64, cells[i].y as f64);
        [x, y, x + s, y + s]
    };
    candidates
        .iter()
        .map(|c| {
            let mut inside_pop = 0.0;
            let mut touched: Vec<usize> = Vec::new();
            for &i in &c.cells {
                let r = rect(i);
                let frac: f64 = union
                    .candidates([r[0], r[1]], [r[2], r[3]])
                    .into_iter()
                    .map(|k| rect_overlap(r, &union.polygons()[k]))
                    .sum::<f64>()
                    / (s * s);
                inside_pop += cells[i].population * frac.min(1.0);
                touched.extend(
                    index
                        .candidates([r[0], r[1]], [r[2], r[3]])
                        .into_iter()
                        .filter(|&k| rect_overlap(r, &index.polygons()[k]) > 0.0),
                );
            }
            touched.sort_unstable();
            touched.dedup();
            let overlap_pct = (c.population > 0.0).then(|| 100.0 * inside_pop / c.population);
            AreaOverlap {
                is_new: match overlap_pct {
                    Some(p) => p < NEW_BELOW_PCT,
                    None => touched.is_empty(),
                },
                overlap_pct,
                areas: touched,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    fn grid_of(pattern: &[&str]) -> Vec<CandidateCell> {
        let h = pattern.len() as i64;
        pattern
            .iter()
            .enumerate()
            .flat_map(|(r, row)| {
                row.chars().enumerate().map(move |(c, ch)| CandidateCell {
                    x: c as i64 * 250,
                    y: (h - 1 - r as i64) * 250,
                    class: ch.to_digit(10).map(|d| d as u8),
                    index: ch.to_digit(10).map(f64::from),
                    population: 150.0,
                    youth: Some(30.0),
                })
            })
            .collect()
    }

    #[test]
    fn groups_sizes_and_order() {
        let cells = grid_of(&["5511155", "5511.55", "1111155", "5.5.111", ".5.5111"]);
        let c = candidate_areas(&cells, GridSpec::scb(250), &CandidateParams::default());
        // right block: 6 cells; left block: 4; the checkerboard: 4 by corners
        assert_eq!(
            c.iter().map(|c| c.cells.len()).collect::<Vec<_>>(),
            [6, 4, 4]
        );
        assert_eq!(c[0].population, 900.0);
        assert_eq!(c[0].youth, Some(180.0));
        assert_eq!(c[0].outline.unsigned_area(), 6.0 * 62_500.0);
        // the checkerboard's four cells meet at corners only: four polygons
        assert_eq!(c[2].outline.0.len(), 4);
        let rook = CandidateParams {
            contiguity: Contiguity::Rook,
            ..Default::default()
        };
        let r = candidate_areas(&cells, GridSpec::scb(250), &rook);
        assert_eq!(r.len(), 2);
        let fewer = CandidateParams {
            min_population: 700.0,
            ..Default::default()
        };
        assert_eq!(candidate_areas(&cells, GridSpec::scb(250), &fewer).len(), 1);
        let lower = CandidateParams {
            min_class: 1,
            min_cells: 1,
            min_population: 0.0,
            ..Default::default()
        };
        let all = candidate_areas(&cells, GridSpec::scb(250), &lower);
        let total: usize = all.iter().map(|c| c.cells.len()).sum();
        assert_eq!(total, cells.iter().filter(|c| c.class.is_some()).count());
    }
}
