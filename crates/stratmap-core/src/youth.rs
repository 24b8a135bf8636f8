//! Youth groups (SPEC §4.2): where many children and young people live, as
//! rings whose area is proportional to the number of youth.
//!
//! Cells with at least `min_youth_cell` youth (ages 0–15 plus 16–19) are joined
//! into groups by 8-neighbour contiguity (cells that share an edge or a corner).
//! A group's ring is centred on the youth-weighted centroid of its cell centres;
//! its radius grows with the square root of the group's total so that the
//! ring's *area* is proportional to it, the largest group getting `max_radius_m`.
//!
//! ```
//! use stratmap_core::GridSpec;
//! use stratmap_core::{youth_groups, YouthCell, YouthParams};
//!
//! let cell = |x, y, n| YouthCell { x, y, age_0_15: Some(n), age_16_19: Some(0.0) };
//! // two diagonal neighbours form one group of 60
//! let cells = [cell(0, 0, 30.0), cell(250, 250, 30.0)];
//! let groups = youth_groups(&cells, GridSpec::scb(250), &YouthParams::default());
//! assert_eq!(groups.len(), 1);
//! assert_eq!(groups[0].youth, 60.0);
//! assert_eq!(groups[0].centroid, (250.0, 250.0));
//! assert_eq!(groups[0].radius_m, 500.0);
//! ```

use crate::grid::GridSpec;
use rustc_hash::FxHashMap;

/// The youth counts of one cell; `None` is missing (suppressed at source).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YouthCell {
    /// Easting of the lower-left corner, metres.
    pub x: i64,
    /// Northing of the lower-left corner, metres.
    pub y: i64,
    /// Number of children aged 0–15.
    pub age_0_15: Option<f64>,
    /// Number of young people aged 16–19.
    pub age_16_19: Option<f64>,
}

impl YouthCell {
    /// Youth = age_0_15 + age_16_19, over the counts that are present; `None`
    /// when both are missing.
    ///
    /// ```
    /// use stratmap_core::YouthCell;
    /// let c = YouthCell { x: 0, y: 0, age_0_15: Some(12.0), age_16_19: None };
    /// assert_eq!(c.youth(), Some(12.0));
    /// assert_eq!(YouthCell { age_0_15: None, ..c }.youth(), None);
    /// ```
    pub fn youth(&self) -> Option<f64> {
        match (self.age_0_15, self.age_16_19) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        }
    }
}

/// Parameters of youth groups (config section `[youth]`).
#[derive(Debug, Clone, PartialEq)]
pub struct YouthParams {
    /// A cell joins a group when it has at least this many youth.
    pub min_youth_cell: f64,
    /// Groups with fewer youth in total are dropped.
    pub min_youth_group: f64,
    /// Radius of the largest group's ring, metres.
    pub max_radius_m: f64,
}

impl Default for YouthParams {
    fn default() -> Self {
        YouthParams {
            min_youth_cell: 20.0,
            min_youth_group: 50.0,
            max_radius_m: 500.0,
        }
    }
}

/// One group of contiguous cells.
#[derive(Debug, Clone, PartialEq)]
pub struct YouthGroup {
    /// Indices into the input cells, ascending by (x, y).
    pub cells: Vec<usize>,
    /// Children aged 0–15 in the group's cells (a missing count counts as 0).
    pub age_0_15: f64,
    /// Young people aged 16–19 in the group's cells (a missing count counts as 0).
    pub age_16_19: f64,
    /// Youth in all: `age_0_15` + `age_16_19`.
    pub youth: f64,
    /// Youth-weighted centroid of the cell centres, in the grid CRS.
    pub centroid: (f64, f64),
    /// Ring radius, metres: `max_radius_m · √(youth / largest youth)`.
    pub radius_m: f64,
}

/// Finds the youth groups. The result is ordered by youth, largest first
/// (ties: the group with the lowest (x, y) cell first), which is the order of
/// the `group_id`s 1, 2, …; it does not depend on the order of `cells`.
pub fn youth_groups(cells: &[YouthCell], grid: GridSpec, params: &YouthParams) -> Vec<YouthGroup> {
    let mut members: Vec<usize> = (0..cells.len())
        .filter(|&i| cells[i].youth().is_some_and(|y| y >= params.min_youth_cell))
        .collect();
    members.sort_unstable_by_key(|&i| (cells[i].x, cells[i].y)); // keys are unique cells
                                                                 // Fx hashing: cell coordinates are not attacker-chosen keys, and SipHash
                                                                 // was most of the time on a national grid.
    let at: FxHashMap<(i64, i64), usize> = members
        .iter()
        .map(|&i| (grid.col_row(cells[i].x, cells[i].y), i))
        .collect();

    let mut seen = vec![false; cells.len()];
    let mut groups = Vec::new();
    for &start in &members {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![start];
        let mut found = Vec::new();
        while let Some(i) = stack.pop() {
            found.push(i);
            let (c, r) = grid.col_row(cells[i].x, cells[i].y);
            for dc in -1..=1 {
                for dr in -1..=1 {
                    if let Some(&j) = at.get(&(c + dc, r + dr)) {
                        if !seen[j] {
                            seen[j] = true;
                            stack.push(j);
                        }
                    }
                }
            }
        }
        found.sort_unstable_by_key(|&i| (cells[i].x, cells[i].y));
        groups.push(summarise(cells, grid, found));
    }
    groups.retain(|g| g.youth >= params.min_youth_group);
    // `groups` is in order of each group's lowest cell; the stable sort keeps that for ties.
    groups.sort_by(|a, b| b.youth.total_cmp(&a.youth));
    let largest = groups.first().map_or(0.0, |g| g.youth);
    for g in &mut groups {
        g.radius_m = if largest > 0.0 {
            params.max_radius_m * (g.youth / largest).sqrt()
        } else {
            0.0
        };
    }
    groups
}

fn summarise(cells: &[YouthCell], grid: GridSpec, members: Vec<usize>) -> YouthGroup {
    let (mut a, mut b, mut youth, mut sx, mut sy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &i in &members {
        let c = &cells[i];
        let y = c.youth().unwrap_or(0.0);
        let (cx, cy) = grid.centre(c.x, c.y);
        a += c.age_0_15.unwrap_or(0.0);
        b += c.age_16_19.unwrap_or(0.0);
        youth += y;
        sx += y * cx;
        sy += y * cy;
    }
    YouthGroup {
        cells: members,
        age_0_15: a,
        age_16_19: b,
        youth,
        centroid: (sx / youth, sy / youth),
        radius_m: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(col: i64, row: i64, a: f64, b: f64) -> YouthCell {
        YouthCell {
            x: col * 250,
            y: row * 250,
            age_0_15: Some(a),
            age_16_19: Some(b),
        }
    }

    /// Grid (columns → , rows ↑), youth per cell:
    ///
    /// row 2:  30  .   .   .  40
    /// row 1:  .  25   .   .  10
    /// row 0:  .   .   .   .  60
    ///
    /// Cells (0,2) and (1,1) touch at a corner: group of 55, centre
    /// ((30·125 + 25·375)/55, (30·625 + 25·375)/55) = (238.636…, 511.363…).
    /// (4,2) has 40 ≥ 20 but (4,1) has 10 < 20, so (4,2) and (4,0) are not
    /// joined: 40 is dropped (< 50), 60 stays alone.
    /// Largest = 60 → radius 500; 55 → 500·√(55/60).
    #[test]
    fn groups_by_hand() {
        let cells = [
            cell(0, 2, 20.0, 10.0),
            cell(1, 1, 25.0, 0.0),
            cell(4, 2, 40.0, 0.0),
            cell(4, 1, 5.0, 5.0),
            cell(4, 0, 50.0, 10.0),
        ];
        let g = youth_groups(&cells, GridSpec::scb(250), &YouthParams::default());
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].cells, vec![4]);
        assert_eq!(
            (g[0].youth, g[0].age_0_15, g[0].age_16_19),
            (60.0, 50.0, 10.0)
        );
        assert_eq!(g[0].centroid, (1125.0, 125.0));
        assert_eq!(g[0].radius_m, 500.0);
        assert_eq!(g[1].cells, vec![0, 1]);
        assert_eq!(
            (g[1].youth, g[1].age_0_15, g[1].age_16_19),
            (55.0, 45.0, 10.0)
        );
        let (cx, cy) = g[1].centroid;
        assert!((cx - (30.0 * 125.0 + 25.0 * 375.0) / 55.0).abs() < 1e-9);
        assert!((cy - (30.0 * 625.0 + 25.0 * 375.0) / 55.0).abs() < 1e-9);
        assert!((g[1].radius_m - 500.0 * (55.0f64 / 60.0).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn missing_counts() {
        let c = YouthCell {
            x: 0,
            y: 0,
            age_0_15: None,
            age_16_19: Some(7.0),
        };
        assert_eq!(c.youth(), Some(7.0));
        let c = YouthCell {
            x: 0,
            y: 0,
            age_0_15: None,
            age_16_19: None,
        };
        assert_eq!(c.youth(), None);
    }

    #[test]
    fn order_of_cells_does_not_matter() {
        let mut cells: Vec<YouthCell> = (0..40)
            .map(|i| cell(i % 7, i / 7, ((i * 37) % 50) as f64, ((i * 11) % 9) as f64))
            .collect();
        let a = youth_groups(&cells, GridSpec::scb(250), &YouthParams::default());
        let coords = |g: &[YouthGroup], cells: &[YouthCell]| -> Vec<Vec<(i64, i64)>> {
            g.iter()
                .map(|g| g.cells.iter().map(|&i| (cells[i].x, cells[i].y)).collect())
                .collect()
        };
        let ca = coords(&a, &cells);
        cells.reverse();
        let b = youth_groups(&cells, GridSpec::scb(250), &YouthParams::default());
        assert_eq!(ca, coords(&b, &cells));
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (x.youth, x.centroid, x.radius_m),
                (y.youth, y.centroid, y.radius_m)
            );
        }
        assert!(!a.is_empty());
    }
}
