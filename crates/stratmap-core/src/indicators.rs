//! Indicators by area category (SPEC §4.5): for each category of police area
//! and for the rest (`outside`), and for each event type, the events inside,
//! their share of all events of the type, the area and its share of the total
//! area, the population (grid cells apportioned by exact cell ∩ area), and
//! events per 1 000 inhabitants. The structure of the police report's tables:
//! "28 % of shootings on 0.02 % of the area".
//!
//! Areas of one category that overlap are counted once (their union); an
//! event in two categories' areas counts in both; `outside` is what lies in no
//! area at all.

use crate::footprint::category_numbers;
use crate::geom::{overlapping_pairs, rect_overlap, PolygonIndex};
use crate::grid::GridSpec;
use geo::{Area, BoundingRect, Intersects, MultiPolygon, Point};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Everything the indicators are computed from, in one projected CRS (metres).
pub struct IndicatorInput<'a> {
    /// The police areas.
    pub areas: &'a [MultiPolygon<f64>],
    /// Each area's category (`SUO`, `RO`, `UO`, …), parallel to `areas`.
    pub categories: &'a [String],
    /// Event positions.
    pub events: &'a [(f64, f64)],
    /// Each event's type, an index into `type_names`.
    pub event_types: &'a [u32],
    /// The names of the event types.
    pub type_names: &'a [String],
    /// Lower-left corners of the grid cells.
    pub cells: &'a [(i64, i64)],
    /// The grid of `cells`.
    pub grid: GridSpec,
    /// Residents of each cell, parallel to `cells` (0 where missing).
    pub population: &'a [f64],
    /// Children and youth (age_0_15 + age_16_19) of each cell, parallel to
    /// `cells` (0 where missing); `None` when the grid has no age columns.
    pub youth: Option<&'a [f64]>,
    /// The total area in m² (the study extent, or e.g. Sweden's 447 425 km²).
    pub total_area_m2: f64,
}

/// One row of `indicators.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    /// An area category, or `outside` (what lies in no area).
    pub category: String,
    /// An event type, or `all`.
    pub event_type: String,
    /// Events of the type inside an area of the category.
    pub events: u64,
    /// `events` / all events of the type × 100; `None` when the type has none.
    pub share_events_pct: Option<f64>,
    /// Area of the union of the category's polygons, km² (for `outside`, the
    /// total area less the union of all areas).
    pub area_km2: f64,
    /// `area_km2` / the total area × 100; `None` when the total area is not positive.
    pub share_area_pct: Option<f64>,
    /// Residents inside: each cell's population times the share of the cell in the
    /// category's union (for `outside`, the grid's total less all areas').
    pub population: f64,
    /// Events per 1 000 residents; `None` when no one lives there.
    pub per_1000: Option<f64>,
    /// Children and youth inside, apportioned as `population`; `None` without age columns.
    pub youth: Option<f64>,
    /// Events per 1 000 children and youth; `None` when there are none.
    pub per_1000_youth: Option<f64>,
}

/// One row of `indicators_by_period.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodRow {
    /// The period's index into the periods given.
    pub period: usize,
    /// An area category, or `outside`.
    pub category: String,
    /// An event type, or `all`.
    pub event_type: String,
    /// Events of the type in the period inside an area of the category.
    pub events: u64,
    /// Events per 1 000 residents (the one grid's population); `None` when no one lives there.
    pub per_1000: Option<f64>,
    /// `events` less the previous period's; `None` for the first period.
    pub change: Option<i64>,
    /// Events per 1 000 children and youth.
    pub per_1000_youth: Option<f64>,
}

/// The union of polygons: their parts as they are when none overlap (exact),
/// else geo's boolean union.
fn union(parts: Vec<MultiPolygon<f64>>) -> MultiPolygon<f64> {
    let index = PolygonIndex::new(parts);
    if overlapping_pairs(&index).is_empty() {
        MultiPolygon::new(index.polygons().iter().flat_map(|m| m.0.clone()).collect())
    } else {
        geo::unary_union(index.polygons().iter())
    }
}

/// Residents inside `area`: each cell's population times the share of the
/// cell inside it.
fn population_in(
    area: &MultiPolygon<f64>,
    input: &IndicatorInput,
    values: &[f64],
    cells: &FxHashMap<(i64, i64), usize>,
) -> f64 {
    // The parts of a union do not overlap: each part over the cells of its
    // own bounding box (a category's parts can be spread over the country).
    let parts: Vec<f64> = area
        .0
        .par_iter()
        .map(|p| population_in_part(&MultiPolygon::new(vec![p.clone()]), input, values, cells))
        .collect();
    parts.iter().sum()
}

fn population_in_part(
    area: &MultiPolygon<f64>,
    input: &IndicatorInput,
    values: &[f64],
    cells: &FxHashMap<(i64, i64), usize>,
) -> f64 {
    let Some(bb) = area.bounding_rect() else {
        return 0.0;
    };
    let s = f64::from(input.grid.cell_size);
    let (c0, r0) = input.grid.cell_of_point(bb.min().x, bb.min().y);
    let (c1, r1) = input.grid.cell_of_point(bb.max().x, bb.max().y);
    let candidates: Vec<usize> =
        if ((c1 - c0 + 1) as f64) * ((r1 - r0 + 1) as f64) < input.cells.len() as f64 {
            (c0..=c1)
                .flat_map(|c| (r0..=r1).map(move |r| (c, r)))
                .filter_map(|k| cells.get(&k).copied())
                .collect()
        } else {
            (0..input.cells.len())
                .filter(|&i| {
                    let (c, r) = input.grid.col_row(input.cells[i].0, input.cells[i].1);
                    (c0..=c1).contains(&c) && (r0..=r1).contains(&r)
                })
                .collect()
        };
    let mut sorted = candidates;
    sorted.sort_unstable();
    sorted
        .par_iter()
        .map(|&i| {
            let pop = values[i];
            if pop == 0.0 {
                return 0.0;
            }
            let (x, y) = (input.cells[i].0 as f64, input.cells[i].1 as f64);
            pop * rect_overlap([x, y, x + s, y + s], area) / (s * s)
        })
        .collect::<Vec<f64>>()
        .iter()
        .sum()
}

/// What the indicator rows are made of: the categories, the rows each event
/// counts in, and each row's area, residents and youth.
struct Frame {
    names: Vec<String>,
    /// For each event, the rows it counts in (categories, or `outside`).
    rows_of: Vec<Vec<u32>>,
    areas_m2: Vec<f64>,
    pops: Vec<f64>,
    youths: Option<Vec<f64>>,
}

fn frame(input: &IndicatorInput) -> Frame {
    let (cat_of, names) = category_numbers(input.categories);
    let by_cat: Vec<MultiPolygon<f64>> = (0..names.len())
        .map(|c| {
            union(
                input
                    .areas
                    .iter()
                    .zip(&cat_of)
                    .filter(|(_, k)| **k as usize == c)
                    .map(|(a, _)| a.clone())
                    .collect(),
            )
        })
        .collect();
    let all = union(input.areas.to_vec());
    let cells: FxHashMap<(i64, i64), usize> = input
        .cells
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| (input.grid.col_row(x, y), i))
        .collect();
    // which categories (or none: outside) each event falls in
    let cat_index = PolygonIndex::new(by_cat.clone());
    let outside = names.len() as u32;
    let rows_of: Vec<Vec<u32>> = input
        .events
        .par_iter()
        .map(|&(x, y)| {
            let p = Point::new(x, y);
            let inside: Vec<u32> = cat_index
                .candidates([x, y], [x, y])
                .into_iter()
                .filter(|&c| cat_index.polygons()[c].intersects(&p))
                .map(|c| c as u32)
                .collect();
            if inside.is_empty() {
                vec![outside]
            } else {
                inside
            }
        })
        .collect();
    let mut areas_m2: Vec<f64> = by_cat.iter().map(|m| m.unsigned_area()).collect();
    areas_m2.push((input.total_area_m2 - all.unsigned_area()).max(0.0));
    let apportion = |values: &[f64]| -> Vec<f64> {
        let total: f64 = values.iter().sum();
        let mut v: Vec<f64> = by_cat
            .iter()
            .map(|m| population_in(m, input, values, &cells))
            .collect();
        v.push((total - population_in(&all, input, values, &cells)).max(0.0));
        v
    };
    Frame {
        names,
        rows_of,
        areas_m2,
        pops: apportion(input.population),
        youths: input.youth.map(apportion),
    }
}

/// Rate per 1 000 of `n` in `of` people.
fn per_1000(n: u64, of: f64) -> Option<f64> {
    (of > 0.0).then(|| n as f64 / of * 1000.0)
}

/// The indicator table: categories in report order, then `outside`; within
/// each, the event types in alphabetical order, then `all`.
pub fn indicators(input: &IndicatorInput) -> Vec<IndicatorRow> {
    let f = frame(input);
    let n_types = input.type_names.len();
    let n_rows = f.names.len() + 1;
    let mut counts = vec![vec![0u64; n_types]; n_rows];
    for (rows, &t) in f.rows_of.iter().zip(input.event_types) {
        for &r in rows {
            counts[r as usize][t as usize] += 1;
        }
    }
    let mut type_totals = vec![0u64; n_types];
    for &t in input.event_types {
        type_totals[t as usize] += 1;
    }
    let mut order: Vec<usize> = (0..n_types).collect();
    order.sort_by(|a, b| input.type_names[*a].cmp(&input.type_names[*b]));
    let mut rows = Vec::new();
    for r in 0..n_rows {
        let category = f
            .names
            .get(r)
            .cloned()
            .unwrap_or_else(|| "outside".to_string());
        let youth = f.youths.as_ref().map(|y| y[r]);
        let row = |event_type: &str, events: u64, of: u64| IndicatorRow {
            category: category.clone(),
            event_type: event_type.to_string(),
            events,
            share_events_pct: (of > 0).then(|| events as f64 / of as f64 * 100.0),
            area_km2: f.areas_m2[r] / 1e6,
            share_area_pct: (input.total_area_m2 > 0.0)
                .then(|| f.areas_m2[r] / input.total_area_m2 * 100.0),
            population: f.pops[r],
            per_1000: per_1000(events, f.pops[r]),
            youth,
            per_1000_youth: youth.and_then(|y| per_1000(events, y)),
        };
        for &t in &order {
            rows.push(row(&input.type_names[t], counts[r][t], type_totals[t]));
        }
        rows.push(row(
            "all",
            counts[r].iter().sum(),
            input.events.len() as u64,
        ));
    }
    rows
}

/// Events by period: for each period (`periods[e]` is event e's period, an
/// index into `n_periods` periods; `None` for an event without a date), each
/// category and `outside`, and each type and `all`, the events, their rate
/// per 1 000 residents and children and youth (the one grid's), and the
/// change from the previous period. Periods first, then categories in report
/// order, then types alphabetically and `all`.
pub fn indicators_by_period(
    input: &IndicatorInput,
    periods: &[Option<usize>],
    n_periods: usize,
) -> Vec<PeriodRow> {
    let f = frame(input);
    let n_types = input.type_names.len();
    let n_rows = f.names.len() + 1;
    // counts[period][row][type], the last type slot being `all`
    let mut counts = vec![vec![vec![0u64; n_types + 1]; n_rows]; n_periods];
    for ((rows, &t), p) in f.rows_of.iter().zip(input.event_types).zip(periods) {
        let Some(p) = *p else { continue };
        for &r in rows {
            counts[p][r as usize][t as usize] += 1;
            counts[p][r as usize][n_types] += 1;
        }
    }
    let mut order: Vec<usize> = (0..n_types).collect();
    order.sort_by(|a, b| input.type_names[*a].cmp(&input.type_names[*b]));
    order.push(n_types);
    let mut out = Vec::new();
    for p in 0..n_periods {
        for r in 0..n_rows {
            let category = f
                .names
                .get(r)
                .cloned()
                .unwrap_or_else(|| "outside".to_string());
            for &t in &order {
                let events = counts[p][r][t];
                out.push(PeriodRow {
                    period: p,
                    category: category.clone(),
                    event_type: input
                        .type_names
                        .get(t)
                        .cloned()
                        .unwrap_or_else(|| "all".to_string()),
                    events,
                    per_1000: per_1000(events, f.pops[r]),
                    change: (p > 0).then(|| events as i64 - counts[p - 1][r][t] as i64),
                    per_1000_youth: f.youths.as_ref().and_then(|y| per_1000(events, y[r])),
                });
            }
        }
    }
    out
}

/// For each event, the areas (indices into `areas`) whose closed polygon
/// holds it.
pub fn areas_of_events(areas: &[MultiPolygon<f64>], events: &[(f64, f64)]) -> Vec<Vec<usize>> {
    let index = PolygonIndex::new(areas.to_vec());
    events
        .par_iter()
        .map(|&(x, y)| {
            let p = Point::new(x, y);
            index
                .candidates([x, y], [x, y])
                .into_iter()
                .filter(|&a| index.polygons()[a].intersects(&p))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }

    #[test]
    fn a_hand_worked_town() {
        // 4 × 4 cells of 100 m with 10 residents each: 160 residents on 0.16 km²
        let cells: Vec<(i64, i64)> = (0..16).map(|k| (k % 4 * 100, k / 4 * 100)).collect();
        let population = vec![10.0; 16];
        // SUO: the lower-left 100 × 150 m (1.5 cells → 15 residents); RO: two
        // overlapping squares making the 200 × 100 m strip at y 300–400 (20 residents)
        let areas = [
            rect(0.0, 0.0, 100.0, 150.0),
            rect(200.0, 300.0, 350.0, 400.0),
            rect(250.0, 300.0, 400.0, 400.0),
        ];
        let categories = ["SUO".to_string(), "RO".into(), "RO".into()];
        let events = [
            (50.0, 50.0),
            (60.0, 140.0),
            (300.0, 350.0),
            (10.0, 390.0),
            (390.0, 10.0),
        ];
        let types = [0, 1, 1, 0, 0];
        let names = ["shooting".to_string(), "narcotics".into()];
        let input = IndicatorInput {
            areas: &areas,
            categories: &categories,
            events: &events,
            event_types: &types,
            type_names: &names,
            cells: &cells,
            grid: GridSpec::scb(100),
            population: &population,
            youth: Some(&[2.0; 16]),
            total_area_m2: 160_000.0,
        };
        let rows = indicators(&input);
        let key: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.category.as_str(), r.event_type.as_str()))
            .collect();
        assert_eq!(
            key,
            [
                ("SUO", "narcotics"),
                ("SUO", "shooting"),
                ("SUO", "all"),
                ("RO", "narcotics"),
                ("RO", "shooting"),
                ("RO", "all"),
                ("outside", "narcotics"),
                ("outside", "shooting"),
                ("outside", "all"),
            ]
        );
        let get = |c: &str, t: &str| {
            rows.iter()
                .find(|r| r.category == c && r.event_type == t)
                .unwrap()
        };
        let suo = get("SUO", "shooting");
        assert_eq!(suo.events, 1);
        assert_eq!(suo.share_events_pct, Some(1.0 / 3.0 * 100.0));
        assert_eq!(suo.area_km2, 0.015);
        assert_eq!(suo.share_area_pct, Some(9.375));
        assert_eq!(suo.population, 15.0);
        assert_eq!(suo.per_1000, Some(1000.0 / 15.0));
        let ro = get("RO", "narcotics");
        assert_eq!((ro.events, ro.share_events_pct), (1, Some(50.0)));
        assert!((ro.area_km2 - 0.02).abs() < 1e-12, "{}", ro.area_km2); // the union, not 0.03
        assert!((ro.population - 20.0).abs() < 1e-9);
        let out = get("outside", "all");
        assert_eq!(out.events, 2);
        assert!((out.area_km2 - 0.125).abs() < 1e-12);
        assert!((out.population - 125.0).abs() < 1e-9);
        assert_eq!(get("outside", "narcotics").share_events_pct, Some(0.0));
        // youth apportioned as the residents: 2 a cell, 1.5 cells in SUO
        assert_eq!(suo.youth, Some(3.0));
        assert_eq!(suo.per_1000_youth, Some(1000.0 / 3.0));
        // by period: events 0, 2 in period 0; 1 in period 1; 3, 4 undated
        let by = indicators_by_period(&input, &[Some(0), Some(1), Some(0), None, None], 2);
        let get = |p: usize, c: &str, t: &str| {
            by.iter()
                .find(|r| r.period == p && r.category == c && r.event_type == t)
                .unwrap()
        };
        assert_eq!(get(0, "SUO", "shooting").events, 1);
        assert_eq!(get(1, "SUO", "narcotics").events, 1);
        assert_eq!(get(1, "SUO", "narcotics").change, Some(1));
        assert_eq!(get(1, "RO", "all").change, Some(-1));
        assert_eq!(get(0, "RO", "all").change, None);
        assert_eq!(get(0, "outside", "all").events, 0);
        assert_eq!(by.len(), 2 * 3 * 3);
    }
}
