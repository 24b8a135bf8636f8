//! Concordance of the living-conditions index with the assessed police
//! areas: how well the index tells the cells inside the areas of a category
//! from the cells outside every area (the number behind the police report's
//! claim that the areas agree "with relatively high accuracy" with the worst
//! cells).
//!
//! A cell is inside an area when its centre is (on the boundary counts).
//! Only cells with an index take part. For a category (and for `all`
//! areas together):
//!
//! - `cells_inside`: cells inside an area of the category;
//! - `auc`: the ROC AUC of the index for "inside an area of the category"
//!   against the cells outside every area, ties counted half: the chance that
//!   a random inside cell has a higher index than a random outside one
//!   (Mann–Whitney U / (n₁ n₀); 0.5 is no better than chance);
//! - `share_class5_pop_inside`: of the residents of class-5 cells, the
//!   fraction living inside an area of the category;
//! - `share_inside_pop_class45`: of the residents of the cells inside, the
//!   fraction living in class 4 or 5 cells.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use stratmap_core::{concordance, ConcordanceCell};
//!
//! let area = MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 500.0, y: 0.0), (x: 500.0, y: 250.0), (x: 0.0, y: 250.0)]]);
//! let cell = |x: f64, index: f64, class: u8| ConcordanceCell { centre: (x, 125.0), index: Some(index), class: Some(class), population: 100.0 };
//! // inside: indices 2 and 1; outside: 1 and 0 → pairs (2>1, 2>0, 1=1, 1>0): AUC = 3.5/4
//! let cells = [cell(125.0, 2.0, 5), cell(375.0, 1.0, 4), cell(625.0, 1.0, 5), cell(875.0, 0.0, 1)];
//! let rows = concordance(&cells, &[area], &["UO".to_string()]);
//! assert_eq!(rows[0].category, "UO");
//! assert_eq!(rows[0].auc, Some(0.875));
//! assert_eq!(rows[0].share_class5_pop_inside, Some(0.5));
//! assert_eq!(rows[0].share_inside_pop_class45, Some(1.0));
//! assert_eq!(rows[1].category, "all");
//! ```

use crate::footprint::category_numbers;
use crate::geom::PolygonIndex;
use geo::{Intersects, MultiPolygon, Point};
use rayon::prelude::*;

/// One grid cell as the concordance sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConcordanceCell {
    /// The cell's centre, metres.
    pub centre: (f64, f64),
    /// Its index; cells without one take no part.
    pub index: Option<f64>,
    /// Its class, 1–5.
    pub class: Option<u8>,
    /// Residents (0 where missing).
    pub population: f64,
}

/// One row of `concordance.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConcordanceRow {
    /// An area category, or `all`.
    pub category: String,
    /// Cells with an index whose centre is inside an area of the category.
    pub cells_inside: u64,
    /// The ROC AUC; `None` when there are no cells inside or none outside.
    pub auc: Option<f64>,
    /// Fraction of the class-5 residents living inside; `None` without class-5 residents.
    pub share_class5_pop_inside: Option<f64>,
    /// Fraction of the residents inside living in class 4–5 cells; `None` when no one lives inside.
    pub share_inside_pop_class45: Option<f64>,
}

/// The concordance of the cells' index with the areas, per category in the
/// report's order, then `all`.
pub fn concordance(
    cells: &[ConcordanceCell],
    areas: &[MultiPolygon<f64>],
    categories: &[String],
) -> Vec<ConcordanceRow> {
    let (numbers, names) = category_numbers(categories);
    let index = PolygonIndex::new(areas.to_vec());
    // for each cell with an index, the categories its centre is inside
    let inside: Vec<Vec<u32>> = cells
        .par_iter()
        .map(|c| {
            if c.index.is_none() {
                return Vec::new();
            }
            let (x, y) = c.centre;
            let p = Point::new(x, y);
            let mut cats: Vec<u32> = index
                .candidates([x, y], [x, y])
                .into_iter()
                .filter(|&a| index.polygons()[a].intersects(&p))
                .map(|a| numbers[a])
                .collect();
            cats.sort_unstable();
            cats.dedup();
            cats
        })
        .collect();
    let outside: Vec<f64> = cells
        .iter()
        .zip(&inside)
        .filter_map(|(c, k)| if k.is_empty() { c.index } else { None })
        .collect();
    let class5_pop: f64 = cells
        .iter()
        .filter(|c| c.class == Some(5))
        .fold(0.0, |sum, c| sum + c.population);
    let row = |category: String, member: &dyn Fn(&[u32]) -> bool| {
        let chosen: Vec<&ConcordanceCell> = cells
            .iter()
            .zip(&inside)
            .filter(|(_, k)| member(k))
            .map(|(c, _)| c)
            .collect();
        let scores: Vec<f64> = chosen.iter().filter_map(|c| c.index).collect();
        let pop = |f: &dyn Fn(&ConcordanceCell) -> bool| -> f64 {
            // from +0: an empty f64 sum is −0, which would be written "-0"
            chosen
                .iter()
                .filter(|c| f(c))
                .fold(0.0, |sum, c| sum + c.population)
        };
        let pop_classed = pop(&|c| c.class.is_some());
        let pop_45 = pop(&|c| matches!(c.class, Some(4 | 5)));
        let pop_5 = pop(&|c| c.class == Some(5));
        ConcordanceRow {
            category,
            cells_inside: chosen.len() as u64,
            auc: auc(&scores, &outside),
            share_class5_pop_inside: (class5_pop > 0.0).then(|| pop_5 / class5_pop),
            share_inside_pop_class45: (pop_classed > 0.0).then(|| pop_45 / pop_classed),
        }
    };
    let mut rows: Vec<ConcordanceRow> = names
        .iter()
        .enumerate()
        .map(|(k, name)| row(name.clone(), &|cats| cats.contains(&(k as u32))))
        .collect();
    rows.push(row("all".into(), &|cats| !cats.is_empty()));
    rows
}

/// The ROC AUC of scores for positives against negatives, ties counted
/// half: the Mann–Whitney U over n₁ n₀ from mid-ranks. `None` when either
/// side is empty.
///
/// ```
/// use stratmap_core::auc;
/// assert_eq!(auc(&[3.0, 2.0], &[1.0, 2.0]), Some(0.875));
/// assert_eq!(auc(&[1.0], &[]), None);
/// ```
pub fn auc(positives: &[f64], negatives: &[f64]) -> Option<f64> {
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    let mut all: Vec<(f64, bool)> = positives
        .iter()
        .map(|&s| (s, true))
        .chain(negatives.iter().map(|&s| (s, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // the sum of the positives' mid-ranks (ranks from 1), doubled to stay whole
    let mut rank2_sum: u128 = 0;
    let mut k = 0;
    while k < all.len() {
        let mut end = k;
        while end < all.len() && all[end].0 == all[k].0 {
            end += 1;
        }
        // ranks k+1 ..= end: mid-rank (k + 1 + end) / 2
        let pos = all[k..end].iter().filter(|a| a.1).count() as u128;
        rank2_sum += pos * (k as u128 + 1 + end as u128);
        k = end;
    }
    let (n1, n0) = (positives.len() as u128, negatives.len() as u128);
    // U = R₁ − n₁(n₁ + 1)/2; doubled: 2R₁ − n₁(n₁ + 1)
    let u2 = rank2_sum - n1 * (n1 + 1);
    Some(u2 as f64 / (2 * n1 * n0) as f64)
}
