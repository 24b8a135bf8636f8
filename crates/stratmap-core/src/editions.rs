//! Change between two editions of the living-conditions index. Both
//! editions are put on one scale — standardised with the same means and sds
//! and classed by the same breaks (by default the earlier edition's, or
//! both editions pooled) — so a cell whose statistics did not change keeps
//! exactly its index and class, and a change of index is a change of the
//! cell, not of the re-ranking of every other cell (the warning of the UK
//! IMD and CDC SVI publishers).
//!
//! ```
//! use stratmap_core::{match_editions, ChangeStatus, EditionCell};
//! let cell = |x, index: Option<f64>, class| EditionCell { x, y: 0, population: Some(50.0), index, class };
//! let before = [cell(0, Some(0.5), Some(3)), cell(250, Some(1.0), Some(4))];
//! let after = [cell(250, Some(2.0), Some(5)), cell(500, Some(0.1), Some(2))];
//! let c = match_editions(&before, &after);
//! assert_eq!(c.iter().map(|c| c.status).collect::<Vec<_>>(), [ChangeStatus::Gone, ChangeStatus::Both, ChangeStatus::New]);
//! assert_eq!(c[1].delta, Some(1.0));
//! assert_eq!(c[1].transition().as_deref(), Some("4→5"));
//! ```

use std::collections::BTreeMap;

/// One cell of one edition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EditionCell {
    /// Lower-left corner, metres.
    pub x: i64,
    /// Lower-left corner, metres.
    pub y: i64,
    /// Residents.
    pub population: Option<f64>,
    /// Its index on the common scale.
    pub index: Option<f64>,
    /// Its class on the common breaks.
    pub class: Option<u8>,
}

/// Which editions a cell is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeStatus {
    /// In both, with an index in both.
    Both,
    /// Only in the later edition.
    New,
    /// Only in the earlier edition.
    Gone,
    /// In both, but without an index in one or both.
    NoIndex,
}

impl ChangeStatus {
    /// `both`, `new`, `gone` or `no_index`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Both => "both",
            ChangeStatus::New => "new",
            ChangeStatus::Gone => "gone",
            ChangeStatus::NoIndex => "no_index",
        }
    }
}

/// A cell across the two editions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellChange {
    /// Lower-left corner, metres.
    pub x: i64,
    /// Lower-left corner, metres.
    pub y: i64,
    /// The earlier edition's cell, if it has one.
    pub before: Option<EditionCell>,
    /// The later edition's cell, if it has one.
    pub after: Option<EditionCell>,
    /// index_after − index_before, where both have an index.
    pub delta: Option<f64>,
    /// Which editions it is in.
    pub status: ChangeStatus,
}

impl CellChange {
    /// The class before.
    pub fn class_before(&self) -> Option<u8> {
        self.before.and_then(|c| c.class)
    }

    /// The class after.
    pub fn class_after(&self) -> Option<u8> {
        self.after.and_then(|c| c.class)
    }

    /// `"3→5"`, where both editions have a class.
    pub fn transition(&self) -> Option<String> {
        Some(format!("{}→{}", self.class_before()?, self.class_after()?))
    }
}

/// The cells of both editions, matched by position, in (x, y) order.
pub fn match_editions(before: &[EditionCell], after: &[EditionCell]) -> Vec<CellChange> {
    let mut by_cell: BTreeMap<(i64, i64), (Option<EditionCell>, Option<EditionCell>)> =
        BTreeMap::new();
    for c in before {
        by_cell.entry((c.x, c.y)).or_default().0 = Some(*c);
    }
    for c in after {
        by_cell.entry((c.x, c.y)).or_default().1 = Some(*c);
    }
    by_cell
        .into_iter()
        .map(|((x, y), (b, a))| {
            let delta = match (b.and_then(|c| c.index), a.and_then(|c| c.index)) {
                (Some(ib), Some(ia)) => Some(ia - ib),
                _ => None,
            };
            let status = match (b, a) {
                (Some(_), None) => ChangeStatus::Gone,
                (None, _) => ChangeStatus::New,
                (Some(_), Some(_)) if delta.is_some() => ChangeStatus::Both,
                _ => ChangeStatus::NoIndex,
            };
            CellChange {
                x,
                y,
                before: b,
                after: a,
                delta,
                status,
            }
        })
        .collect()
}

/// A row of `class_transitions.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    /// The class before (`None`: no class, or not in the edition).
    pub before: Option<u8>,
    /// The class after.
    pub after: Option<u8>,
    /// Cells that went from `before` to `after`.
    pub cells: u64,
    /// Their residents in the later edition.
    pub population_after: f64,
}

/// Every class-to-class transition (all 25, zeros included), then the rows
/// with no class on one side or both that have cells: the rows sum to all
/// the cells of both editions.
pub fn transitions(changes: &[CellChange]) -> Vec<Transition> {
    let mut rows: Vec<Transition> = Vec::new();
    let keys: Vec<Option<u8>> = (1..=5).map(Some).chain([None]).collect();
    for &b in &keys {
        for &a in &keys {
            let cells: Vec<&CellChange> = changes
                .iter()
                .filter(|c| c.class_before() == b && c.class_after() == a)
                .collect();
            if (b.is_none() || a.is_none()) && cells.is_empty() {
                continue;
            }
            rows.push(Transition {
                before: b,
                after: a,
                cells: cells.len() as u64,
                population_after: cells
                    .iter()
                    .filter_map(|c| c.after.and_then(|a| a.population))
                    .fold(0.0, |s, p| s + p),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_sum_to_the_cells() {
        let cell = |x, class: Option<u8>| EditionCell {
            x,
            y: 0,
            population: Some(10.0),
            index: class.map(f64::from),
            class,
        };
        let before = [
            cell(0, Some(1)),
            cell(1, Some(5)),
            cell(2, None),
            cell(3, Some(2)),
        ];
        let after = [
            cell(0, Some(1)),
            cell(1, Some(3)),
            cell(2, Some(4)),
            cell(4, Some(5)),
        ];
        let c = match_editions(&before, &after);
        let t = transitions(&c);
        assert_eq!(t.iter().map(|r| r.cells).sum::<u64>(), 5);
        let row = |b, a| t.iter().find(|r| r.before == b && r.after == a).unwrap();
        assert_eq!(row(Some(5), Some(3)).cells, 1);
        assert_eq!(row(Some(1), Some(1)).population_after, 10.0);
        assert_eq!(row(Some(2), None).population_after, 0.0); // gone
        assert_eq!(row(None, Some(4)).cells, 1); // no index before
        assert_eq!(c[2].status, ChangeStatus::NoIndex);
        assert_eq!(t.len(), 25 + 3);
    }
}
