//! The layers of SPEC §5, built from the results with the contract's property
//! names, in the grid CRS. Writers in `geojson_out` and `gdal_out` turn them
//! into files.

use crate::areas::AreaTable;
use crate::grid_csv::GridTable;
use crate::layer::{Feature, Field, FieldType, Layer, Value};
use rayon::prelude::*;
use stratmap_core::Assessment;
use stratmap_core::ConcordanceRow;
use stratmap_core::EmergingCell;
use stratmap_core::GiStar;
use stratmap_core::Lisa;
use stratmap_core::YouthGroup;
use stratmap_core::{class_color, Group, LivingConditionsIndex, Unit, Variable};
use stratmap_core::{AreaOverlap, Candidate};
use stratmap_core::{CategoryFootprint, FootprintReport};
use stratmap_core::{CellChange, Transition};
use stratmap_core::{GridSpec, IdStyle};
use stratmap_core::{IndicatorRow, PeriodRow};

/// Nodata of the index raster.
pub const INDEX_NODATA: f64 = -9999.0;

/// The bands of the index raster (SPEC §5's `living_conditions.tif`), fields
/// of the [`living_conditions_layer`]: the index, and its class 1–5 (written
/// beside it as a paletted Byte raster).
pub const INDEX_BANDS: [&str; 2] = ["index", "class"];

fn field(name: &str, kind: FieldType) -> Field {
    Field {
        name: name.to_string(),
        kind,
    }
}

/// Integer when every value is a whole number that [`Value::count`] writes as
/// an integer, else real: counts stay integers in GIS tools.
fn count_kind(values: impl IntoIterator<Item = Option<f64>>) -> FieldType {
    if values
        .into_iter()
        .all(|v| matches!(Value::count(v), Value::Integer(_) | Value::Null))
    {
        FieldType::Integer
    } else {
        FieldType::Real
    }
}

fn typed(kind: FieldType, v: Option<f64>) -> Value {
    match kind {
        FieldType::Integer => Value::count(v),
        _ => v.into(),
    }
}

fn cell_polygon(grid: &GridTable, i: usize) -> geo::Geometry<f64> {
    let (x, y) = grid.cells[i];
    cell_square(grid.spec, x, y)
}

/// The square of the cell with lower-left corner (x, y) on `spec`.
fn cell_square(spec: GridSpec, x: i64, y: i64) -> geo::Geometry<f64> {
    let s = f64::from(spec.cell_size);
    let (x, y) = (x as f64, y as f64);
    geo::Geometry::Polygon(geo::Rect::new((x, y), (x + s, y + s)).to_polygon())
}

/// `living_conditions`: one polygon per input cell, valid or not.
pub fn living_conditions_layer(grid: &GridTable, lci: &LivingConditionsIndex) -> Layer {
    let pop_kind = count_kind(grid.stats.iter().map(|c| c.population));
    let var_kinds: Vec<FieldType> = Variable::ALL
        .iter()
        .map(|v| match v.unit() {
            Unit::Share => FieldType::Real,
            Unit::Count | Unit::Money => {
                count_kind(grid.stats.iter().map(|c| c.values[v.position()]))
            }
        })
        .collect();

    let mut fields = vec![
        field("cell_id", FieldType::Text),
        field("population", pop_kind),
    ];
    fields.extend(
        Variable::ALL
            .iter()
            .zip(&var_kinds)
            .map(|(v, k)| field(v.name(), *k)),
    );
    fields.extend(
        Group::ALL
            .iter()
            .map(|g| field(g.score_name(), FieldType::Real)),
    );
    fields.extend([
        field("index", FieldType::Real),
        field("class", FieldType::Integer),
        field("color", FieldType::Text),
        field("status", FieldType::Text),
    ]);

    let features = (0..grid.cells.len())
        .into_par_iter()
        .map(|i| {
            let stats = &grid.stats[i];
            let r = &lci.cells[i];
            let id = grid.id(i);
            let mut values = vec![Value::Text(id.clone()), typed(pop_kind, stats.population)];
            values.extend(
                var_kinds
                    .iter()
                    .zip(stats.values)
                    .map(|(k, v)| typed(*k, v)),
            );
            values.extend((0..3).map(|g| r.group_scores.map(|s| s[g]).into()));
            values.push(r.index.into());
            values.push(
                r.class
                    .map_or(Value::Null, |c| Value::Integer(i64::from(c))),
            );
            values.push(
                r.class
                    .and_then(class_color)
                    .map_or(Value::Null, |c| Value::Text(c.to_string())),
            );
            values.push(Value::Text(r.status.as_str().to_string()));
            Feature {
                id: Value::Text(id),
                geometry: cell_polygon(grid, i),
                values,
            }
        })
        .collect();
    Layer {
        name: "living_conditions".into(),
        epsg: grid.spec.epsg,
        fields,
        features,
    }
}

/// `youth_groups`: one point per group at its youth-weighted centroid,
/// `group_id` 1 for the largest.
pub fn youth_layer(grid: &GridTable, groups: &[YouthGroup]) -> Layer {
    let kind = count_kind(
        groups
            .iter()
            .flat_map(|g| [Some(g.age_0_15), Some(g.age_16_19)]),
    );
    let fields = vec![
        field("group_id", FieldType::Integer),
        field("cells", FieldType::Integer),
        field("age_0_15", kind),
        field("age_16_19", kind),
        field("youth", kind),
        field("radius_m", FieldType::Real),
    ];
    let features = groups
        .iter()
        .zip(1i64..)
        .map(|(g, id)| Feature {
            id: Value::Integer(id),
            geometry: geo::Geometry::Point(geo::Point::new(g.centroid.0, g.centroid.1)),
            values: vec![
                Value::Integer(id),
                Value::Integer(g.cells.len() as i64),
                typed(kind, Some(g.age_0_15)),
                typed(kind, Some(g.age_16_19)),
                typed(kind, Some(g.youth)),
                Value::Real(g.radius_m),
            ],
        })
        .collect();
    debug_assert!(grid.cells.len() >= groups.len());
    Layer {
        name: "youth_groups".into(),
        epsg: grid.spec.epsg,
        fields,
        features,
    }
}

/// The areas' geometries: Polygons when every area is one, else all MultiPolygons
/// (a GeoPackage layer has one geometry type).
fn area_geometries(areas: &AreaTable) -> Vec<geo::Geometry<f64>> {
    let all_single = areas.areas.iter().all(|a| a.single);
    areas
        .areas
        .iter()
        .map(|a| &a.geometry)
        .map(|mp| match (all_single, mp.0.as_slice()) {
            (true, [p]) => geo::Geometry::Polygon(p.clone()),
            _ => geo::Geometry::MultiPolygon(mp.clone()),
        })
        .collect()
}

/// `footprint`: the areas with their daily footprint; blanks where
/// disclosure control suppressed them.
pub fn footprint_layer(areas: &AreaTable, report: &FootprintReport) -> Layer {
    let fields = vec![
        field("name", FieldType::Text),
        field("category", FieldType::Text),
        field("footprint", FieldType::Real),
        field("phone_days", FieldType::Integer),
        field("unique_phones", FieldType::Integer),
        field("share_pct", FieldType::Real),
        field("suppressed", FieldType::Boolean),
    ];
    let int = |v: Option<u64>| v.map_or(Value::Null, |n| Value::Integer(n as i64));
    let features = area_geometries(areas)
        .into_iter()
        .zip(&report.areas)
        .enumerate()
        .map(|(i, (geometry, r))| Feature {
            id: Value::Text(areas.areas[i].name.clone()),
            geometry,
            values: vec![
                Value::Text(areas.areas[i].name.clone()),
                Value::Text(areas.areas[i].category.clone()),
                r.footprint.into(),
                int(r.phone_days),
                int(r.unique_phones),
                r.share_pct.into(),
                Value::Boolean(r.suppressed),
            ],
        })
        .collect();
    Layer {
        name: "footprint".into(),
        epsg: areas.epsg,
        fields,
        features,
    }
}

/// The columns of `footprint_by_category.csv` (SPEC §4.3).
pub const FOOTPRINT_CATEGORY_COLUMNS: [&str; 10] = [
    "category",
    "areas",
    "footprint",
    "share_pct",
    "footprint_mean",
    "footprint_min",
    "footprint_max",
    "unique_phones_mean",
    "unique_phones_min",
    "unique_phones_max",
];

/// The rows of `footprint_by_category.csv`.
pub fn footprint_category_rows(rows: &[CategoryFootprint]) -> Vec<Vec<Value>> {
    let int = |v: Option<u64>| v.map_or(Value::Null, |n| Value::Integer(n as i64));
    rows.iter()
        .map(|c| {
            vec![
                Value::Text(c.category.clone()),
                int(c.areas.map(|a| a as u64)),
                c.footprint.into(),
                c.share_pct.into(),
                c.footprint_mean.into(),
                c.footprint_min.into(),
                c.footprint_max.into(),
                c.unique_phones_mean.into(),
                int(c.unique_phones_min),
                int(c.unique_phones_max),
            ]
        })
        .collect()
}

/// A study grid for hot spots: cells (lower-left corners) on a grid, in
/// the order of their ids.
pub struct StudyGrid {
    /// The grid's CRS and cell size.
    pub spec: GridSpec,
    /// The style cell ids are written in.
    pub style: IdStyle,
    /// Lower-left corners in metres.
    pub cells: Vec<(i64, i64)>,
}

/// `hotspots`: one polygon per study cell with its event count and Gi*.
pub fn hotspots_layer(grid: &StudyGrid, counts: &[u64], gi: &[GiStar], bins: &[i8]) -> Layer {
    let fields = vec![
        field("cell_id", FieldType::Text),
        field("count", FieldType::Integer),
        field("gi_z", FieldType::Real),
        field("gi_p", FieldType::Real),
        field("gi_bin", FieldType::Integer),
    ];
    let features = grid
        .cells
        .par_iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            let id = grid.spec.format_id(&grid.style, x, y);
            Feature {
                id: Value::Text(id.clone()),
                geometry: cell_square(grid.spec, x, y),
                values: vec![
                    Value::Text(id),
                    Value::Integer(counts[i] as i64),
                    gi[i].z.into(),
                    gi[i].p.into(),
                    Value::Integer(i64::from(bins[i])),
                ],
            }
        })
        .collect();
    Layer {
        name: "hotspots".into(),
        epsg: grid.spec.epsg,
        fields,
        features,
    }
}

/// `candidates`: one MultiPolygon per candidate area, `candidate_id` 1 the
/// most populous; with the areas, how much of it they cover. Several areas
/// overlapped are named in `overlaps` separated by `"; "`.
pub fn candidates_layer(
    grid: &GridTable,
    candidates: &[Candidate],
    areas: Option<(&AreaTable, &[AreaOverlap])>,
) -> Layer {
    let pop_kind = count_kind(candidates.iter().map(|c| Some(c.population)));
    let youth_kind = count_kind(candidates.iter().map(|c| c.youth));
    let mut fields = vec![
        field("candidate_id", FieldType::Integer),
        field("cells", FieldType::Integer),
        field("population", pop_kind),
        field("youth", youth_kind),
        field("mean_index", FieldType::Real),
        field("max_index", FieldType::Real),
    ];
    if areas.is_some() {
        fields.extend([
            field("overlap_pct", FieldType::Real),
            field("overlaps", FieldType::Text),
            field("status", FieldType::Text),
        ]);
    }
    let features = candidates
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let id = k as i64 + 1;
            let mut values = vec![
                Value::Integer(id),
                Value::Integer(c.cells.len() as i64),
                typed(pop_kind, Some(c.population)),
                typed(youth_kind, c.youth),
                Value::Real(c.mean_index),
                Value::Real(c.max_index),
            ];
            if let Some((table, overlaps)) = areas {
                let o = &overlaps[k];
                let names: Vec<&str> = o
                    .areas
                    .iter()
                    .map(|&a| table.areas[a].name.as_str())
                    .collect();
                values.extend([
                    o.overlap_pct.into(),
                    Value::Text(names.join("; ")),
                    Value::Text(if o.is_new { "new" } else { "known" }.into()),
                ]);
            }
            Feature {
                id: Value::Integer(id),
                geometry: geo::Geometry::MultiPolygon(c.outline.clone()),
                values,
            }
        })
        .collect();
    Layer {
        name: "candidates".into(),
        epsg: grid.spec.epsg,
        fields,
        features,
    }
}

/// `lisa`: the cells local Moran's I was computed on (those with a value),
/// with Iᵢ, its z among the permutations, the pseudo p-value and the
/// quadrant where it is significant (`ns` where it is not, or cannot be
/// told). Without permutations the quadrant is the scatterplot's, untested.
pub fn lisa_layer(grid: &GridTable, cells: &[usize], lisa: &Lisa) -> Layer {
    let fields = vec![
        field("cell_id", FieldType::Text),
        field("lisa_i", FieldType::Real),
        field("lisa_z", FieldType::Real),
        field("lisa_p", FieldType::Real),
        field("quadrant", FieldType::Text),
    ];
    let features = cells
        .par_iter()
        .zip(&lisa.cells)
        .map(|(&i, m)| {
            let id = grid.id(i);
            let quadrant = match (m.quadrant, m.significant) {
                (Some(q), Some(true) | None) => q.as_str(),
                _ => "ns",
            };
            Feature {
                id: Value::Text(id.clone()),
                geometry: cell_polygon(grid, i),
                values: vec![
                    Value::Text(id),
                    m.i.into(),
                    m.z.into(),
                    m.p.into(),
                    Value::Text(quadrant.into()),
                ],
            }
        })
        .collect();
    Layer {
        name: "lisa".into(),
        epsg: grid.spec.epsg,
        fields,
        features,
    }
}

/// `emerging`: one polygon per study cell with its emerging hot-spot
/// pattern over the periods, the Mann–Kendall test of its Gi* series, how
/// many periods it was hot and cold in, and its final period's z and bin.
pub fn emerging_layer(grid: &StudyGrid, periods: usize, cells: &[EmergingCell]) -> Layer {
    let fields = vec![
        field("cell_id", FieldType::Text),
        field("pattern", FieldType::Text),
        field("trend_tau", FieldType::Real),
        field("trend_p", FieldType::Real),
        field("periods", FieldType::Integer),
        field("periods_hot", FieldType::Integer),
        field("periods_cold", FieldType::Integer),
        field("last_z", FieldType::Real),
        field("last_bin", FieldType::Integer),
    ];
    let features = grid
        .cells
        .par_iter()
        .zip(cells)
        .map(|(&(x, y), c)| {
            let id = grid.spec.format_id(&grid.style, x, y);
            Feature {
                id: Value::Text(id.clone()),
                geometry: cell_square(grid.spec, x, y),
                values: vec![
                    Value::Text(id),
                    Value::Text(c.pattern.as_str().into()),
                    c.trend.map(|t| t.tau).into(),
                    c.trend.map(|t| t.p).into(),
                    Value::Integer(periods as i64),
                    Value::Integer(c.hot as i64),
                    Value::Integer(c.cold as i64),
                    c.last_z.into(),
                    Value::Integer(i64::from(c.last_bin)),
                ],
            }
        })
        .collect();
    Layer {
        name: "emerging".into(),
        epsg: grid.spec.epsg,
        fields,
        features,
    }
}

/// `change`: one polygon per cell of either edition, sorted by `cell_id`:
/// both indices on the common scale, their difference, both classes, the
/// transition and which editions the cell is in.
pub fn change_layer(spec: GridSpec, style: &IdStyle, changes: &[CellChange]) -> Layer {
    let fields = vec![
        field("cell_id", FieldType::Text),
        field("index_before", FieldType::Real),
        field("index_after", FieldType::Real),
        field("delta", FieldType::Real),
        field("class_before", FieldType::Integer),
        field("class_after", FieldType::Integer),
        field("transition", FieldType::Text),
        field("status", FieldType::Text),
    ];
    let class = |c: Option<u8>| c.map_or(Value::Null, |c| Value::Integer(i64::from(c)));
    let mut features: Vec<Feature> = changes
        .par_iter()
        .map(|c| {
            let id = spec.format_id(style, c.x, c.y);
            Feature {
                id: Value::Text(id.clone()),
                geometry: cell_square(spec, c.x, c.y),
                values: vec![
                    Value::Text(id),
                    c.before.and_then(|b| b.index).into(),
                    c.after.and_then(|a| a.index).into(),
                    c.delta.into(),
                    class(c.class_before()),
                    class(c.class_after()),
                    c.transition().map_or(Value::Null, Value::Text),
                    Value::Text(c.status.as_str().into()),
                ],
            }
        })
        .collect();
    features.sort_by(|a, b| match (&a.id, &b.id) {
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        _ => std::cmp::Ordering::Equal,
    });
    Layer {
        name: "change".into(),
        epsg: spec.epsg,
        fields,
        features,
    }
}

/// The columns of `class_transitions.csv`.
pub const TRANSITION_COLUMNS: [&str; 4] =
    ["class_before", "class_after", "cells", "population_after"];

/// The rows of `class_transitions.csv`.
pub fn transition_rows(rows: &[Transition]) -> Vec<Vec<Value>> {
    let class = |c: Option<u8>| c.map_or(Value::Null, |c| Value::Integer(i64::from(c)));
    rows.iter()
        .map(|r| {
            vec![
                class(r.before),
                class(r.after),
                Value::Integer(r.cells as i64),
                Value::count(Some(r.population_after)),
            ]
        })
        .collect()
}

/// The columns of `concordance.csv`.
pub const CONCORDANCE_COLUMNS: [&str; 5] = [
    "category",
    "cells_inside",
    "auc",
    "share_class5_pop_inside",
    "share_inside_pop_class45",
];

/// The rows of `concordance.csv`, in [`CONCORDANCE_COLUMNS`] order.
pub fn concordance_rows(rows: &[ConcordanceRow]) -> Vec<Vec<Value>> {
    rows.iter()
        .map(|r| {
            vec![
                Value::Text(r.category.clone()),
                Value::Integer(r.cells_inside as i64),
                r.auc.into(),
                r.share_class5_pop_inside.into(),
                r.share_inside_pop_class45.into(),
            ]
        })
        .collect()
}

/// The columns of `indicators.csv` (SPEC §5).
pub const INDICATOR_COLUMNS: [&str; 10] = [
    "category",
    "event_type",
    "events",
    "share_events_pct",
    "area_km2",
    "share_area_pct",
    "population",
    "per_1000",
    "youth",
    "per_1000_youth",
];

/// The rows of `indicators.csv`, in [`INDICATOR_COLUMNS`] order.
pub fn indicator_rows(rows: &[IndicatorRow]) -> Vec<Vec<Value>> {
    rows.iter()
        .map(|r| {
            vec![
                Value::Text(r.category.clone()),
                Value::Text(r.event_type.clone()),
                Value::Integer(r.events as i64),
                r.share_events_pct.into(),
                Value::Real(r.area_km2),
                r.share_area_pct.into(),
                Value::Real(r.population),
                r.per_1000.into(),
                r.youth.into(),
                r.per_1000_youth.into(),
            ]
        })
        .collect()
}

/// The columns of `indicators_by_period.csv`.
pub const PERIOD_COLUMNS: [&str; 7] = [
    "period",
    "category",
    "event_type",
    "events",
    "per_1000",
    "change",
    "per_1000_youth",
];

/// The rows of `indicators_by_period.csv`, with the periods' labels.
pub fn period_rows(rows: &[PeriodRow], labels: &[String]) -> Vec<Vec<Value>> {
    rows.iter()
        .map(|r| {
            vec![
                Value::Text(labels[r.period].clone()),
                Value::Text(r.category.clone()),
                Value::Text(r.event_type.clone()),
                Value::Integer(r.events as i64),
                r.per_1000.into(),
                r.change.map_or(Value::Null, Value::Integer),
                r.per_1000_youth.into(),
            ]
        })
        .collect()
}

/// The columns of `events_by_area_period.csv`.
pub const AREA_PERIOD_COLUMNS: [&str; 5] = ["area", "category", "period", "event_type", "events"];

/// The columns of `trends_by_area.csv`.
pub const AREA_TREND_COLUMNS: [&str; 8] = [
    "area",
    "category",
    "event_type",
    "periods",
    "events",
    "tau",
    "p",
    "trend",
];

/// The columns of `assessment.csv` (SPEC §5).
pub const ASSESSMENT_COLUMNS: [&str; 7] = [
    "area",
    "year",
    "problem_level",
    "living_environment",
    "societal_systems",
    "social_development",
    "trend",
];

fn assessment_values(a: &Assessment) -> Vec<Value> {
    vec![
        Value::Real(a.problem_level),
        a.domains[0].into(),
        a.domains[1].into(),
        a.domains[2].into(),
        Value::Text(a.trend.as_str().to_string()),
    ]
}

/// The rows of `assessment.csv`, in [`ASSESSMENT_COLUMNS`] order.
pub fn assessment_rows(rows: &[Assessment]) -> Vec<Vec<Value>> {
    rows.iter()
        .map(|a| {
            let mut v = vec![
                Value::Text(a.area.clone()),
                Value::Integer(i64::from(a.year)),
            ];
            v.extend(assessment_values(a));
            v
        })
        .collect()
}

/// `assessment`: the areas (`name`, `category`) with their latest year's
/// assessment joined on `name` = `area`, with the properties of
/// `assessment.csv` (blank but `area` for an area without answers).
pub fn assessment_layer(areas: &AreaTable, rows: &[Assessment]) -> Layer {
    // the area's own fields, then SPEC §5's assessment properties
    let mut fields = vec![
        field("name", FieldType::Text),
        field("category", FieldType::Text),
        field("area", FieldType::Text),
        field("year", FieldType::Integer),
    ];
    fields.extend(
        ASSESSMENT_COLUMNS[2..6]
            .iter()
            .map(|n| field(n, FieldType::Real)),
    );
    fields.push(field("trend", FieldType::Text));
    // each area's latest year, found once (not a scan of every row per area)
    let mut latest_of: std::collections::HashMap<&str, &Assessment> = Default::default();
    for a in rows {
        let e = latest_of.entry(a.area.as_str()).or_insert(a);
        if a.year > e.year {
            *e = a;
        }
    }
    let features = area_geometries(areas)
        .into_iter()
        .enumerate()
        .map(|(i, geometry)| {
            let name = &areas.areas[i].name;
            let latest = latest_of.get(name.as_str()).copied();
            let mut values = vec![
                Value::Text(name.clone()),
                Value::Text(areas.areas[i].category.clone()),
                Value::Text(name.clone()),
                latest.map_or(Value::Null, |a| Value::Integer(i64::from(a.year))),
            ];
            match latest {
                Some(a) => values.extend(assessment_values(a)),
                None => values.extend([
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ]),
            }
            Feature {
                id: Value::Text(name.clone()),
                geometry,
                values,
            }
        })
        .collect();
    Layer {
        name: "assessment".into(),
        epsg: areas.epsg,
        fields,
        features,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use stratmap_core::Epsg;
    use stratmap_core::{GridCell, IndexParams};
    use stratmap_core::{GridSpec, IdStyle};

    fn grid(cells: Vec<(i64, i64)>, cell_size: u32) -> GridTable {
        let cell = GridCell {
            population: Some(100.0),
            values: [Some(1.0); 8],
        };
        GridTable {
            spec: GridSpec {
                epsg: Epsg(3006),
                cell_size,
            },
            style: IdStyle::Scb,
            stats: vec![cell; cells.len()],
            cells,
            has_population: true,
            has_variable: [true; 8],
        }
    }

    #[test]
    fn index_raster_places_cells_north_up() {
        // Cells at columns 0 and 2 of row 0, and column 1 of row 1 (250 m).
        let g = grid(
            vec![
                (500_000, 6_500_000),
                (500_500, 6_500_000),
                (500_250, 6_500_250),
            ],
            250,
        );
        let lci = LivingConditionsIndex::compute(&g.stats, &IndexParams::default());
        let layer = living_conditions_layer(&g, &lci);
        let mut b =
            crate::raster::RasterBuilder::new(&layer.schema(), &INDEX_BANDS, INDEX_NODATA).unwrap();
        for f in &layer.features {
            b.feature(f).unwrap();
        }
        let r = b.finish().unwrap();
        assert_eq!((r.width(), r.height()), (3, 2));
        assert_eq!(r.origin, (500_000.0, 6_500_500.0));
        // Top row first: only the middle pixel of the top row has a cell.
        let has: Vec<bool> = r
            .band(0)
            .iter()
            .map(|v| f64::from(*v) != INDEX_NODATA)
            .collect();
        let classes: Vec<bool> = r.band(1).iter().map(|v| (1.0..=5.0).contains(v)).collect();
        assert_eq!(has, classes);
        assert_eq!(has, [false, true, false, true, false, true]);
    }
}
