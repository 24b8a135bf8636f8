//! Change over time: `stratmap emerging` (emerging hot spots over periods),
//! `stratmap change` (two editions of the index) and the events-by-period
//! tables of `stratmap indicators --by`.

use crate::analysis::config_spec;
use crate::pipeline::{counted, format_of, read_input, write_layer, Failure, Notes};
use rustc_hash::FxHashMap;
use std::path::Path;
use stratmap_core::GridSpec;
use stratmap_core::PolygonIndex;
use stratmap_core::{emerging_hot_spots, EmergingMethod, Pattern};
use stratmap_core::{match_editions, transitions, CellChange, ChangeStatus, EditionCell};
use stratmap_core::{span, By};
use stratmap_core::{LivingConditionsIndex, Variable};
use stratmap_io::write_csv;
use stratmap_io::Events;
use stratmap_io::GridTable;
use stratmap_io::Problem;
use stratmap_io::{change_layer, emerging_layer, transition_rows, StudyGrid, TRANSITION_COLUMNS};
use stratmap_io::{parse_by, Config};
use stratmap_io::{read_areas_file_with, AreaTable};
use stratmap_io::{Layer, Value};

/// The period length: the flag over the config's key; `None` when neither
/// gives one.
pub fn period_by(
    flag: Option<&str>,
    config_key: Option<&str>,
    section: &str,
) -> Result<Option<By>, Failure> {
    match (flag, config_key) {
        (Some(f), _) => parse_by(f)
            .map(Some)
            .map_err(|e| Failure::Usage(format!("--{e}"))),
        (None, Some(c)) => parse_by(c)
            .map(Some)
            .map_err(|e| Failure::Usage(format!("[{section}] {e}"))),
        (None, None) => Ok(None),
    }
}

/// Events counted per study cell and period.
pub struct PeriodCounts {
    /// The periods, first to last without gaps.
    pub periods: Vec<i64>,
    /// Counts by period, then by cell.
    pub counts: Vec<Vec<f64>>,
    /// Events without a date.
    pub undated: usize,
    /// Dated events outside the study grid.
    pub outside: usize,
}

/// Counts the dated events per cell and period.
pub fn period_counts(grid: &StudyGrid, events: &Events, by: By) -> PeriodCounts {
    let at: FxHashMap<(i64, i64), usize> = grid
        .cells
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i))
        .collect();
    let keys: Vec<Option<i64>> = events.dates.iter().map(|d| d.map(|d| by.key(d))).collect();
    let periods = span(keys.iter().flatten().copied());
    let first = periods.first().copied().unwrap_or(0);
    let mut counts = vec![vec![0.0; grid.cells.len()]; periods.len()];
    let (mut undated, mut outside) = (0, 0);
    for (&(x, y), key) in events.positions.iter().zip(&keys) {
        let Some(k) = key else {
            undated += 1;
            continue;
        };
        let (c, r) = grid.spec.cell_of_point(x, y);
        match at.get(&grid.spec.corner(c, r)) {
            Some(&i) => counts[(k - first) as usize][i] += 1.0,
            None => outside += 1,
        }
    }
    PeriodCounts {
        periods,
        counts,
        undated,
        outside,
    }
}

/// The emerging hot-spot layer of dated events on a study grid, and a
/// summary line.
pub fn emerging(
    grid: &StudyGrid,
    events: &Events,
    by: By,
    method: &EmergingMethod,
    outside_said: bool,
    notes: &Notes,
) -> Result<(Layer, String), Failure> {
    emerging_cube(grid, events, by, method, outside_said, notes).map(|(l, s, _)| (l, s))
}

/// The columns of the space-time cube's table (`--bins-out`).
pub const BIN_COLUMNS: [&str; 6] = ["cell_id", "period", "count", "gi_z", "gi_p", "gi_bin"];

/// [`emerging`], and the rows of every bin of the cube (cell by cell, periods in order).
pub fn emerging_cube(
    grid: &StudyGrid,
    events: &Events,
    by: By,
    method: &EmergingMethod,
    outside_said: bool,
    notes: &Notes,
) -> Result<(Layer, String, Vec<Vec<Value>>), Failure> {
    let pc = period_counts(grid, events, by);
    if pc.undated > 0 {
        notes.warn(&format!(
            "{} without a date, not in the space-time cube",
            counted(pc.undated, "event")
        ));
    }
    if pc.outside > 0 && !outside_said {
        notes.warn(&format!(
            "{} outside the study grid, not counted",
            counted(pc.outside, "dated event")
        ));
    }
    if pc.periods.is_empty() {
        return Err(Failure::Usage(
            "emerging hot spots: no event has a date (a date column with ISO dates or RFC 3339 times): there are no periods to compare".into(),
        ));
    }
    if pc.periods.len() < 10 {
        notes.note(&format!(
            "{} of a {}: the 90 % rules and the trend test need many periods to say much (ArcGIS asks for 10)",
            counted(pc.periods.len(), "period"),
            by.name()
        ));
    }
    let st = emerging_hot_spots(&grid.cells, grid.spec, &pc.counts, method)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    if st.gi.iter().flatten().all(|g| g.z.is_none()) {
        notes.warn("Gi* is undefined in every bin (every bin has the same count, or every band covers the whole cube): every pattern is \"no pattern\"");
    }
    let mut tally: Vec<(Pattern, usize)> = Pattern::ALL
        .iter()
        .map(|p| (*p, st.cells.iter().filter(|c| c.pattern == *p).count()))
        .filter(|(p, n)| *n > 0 && *p != Pattern::NoPattern)
        .collect();
    tally.sort_by_key(|t| std::cmp::Reverse(t.1));
    let first = by.label(pc.periods[0]);
    let last = by.label(pc.periods[pc.periods.len() - 1]);
    let summary = format!(
        "{}, {} {first}–{last}; {}",
        counted(grid.cells.len(), "cell"),
        counted(pc.periods.len(), by.name()),
        if tally.is_empty() {
            "no pattern anywhere".to_string()
        } else {
            tally
                .iter()
                .map(|(p, n)| format!("{n} {}", p.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let mut bins = Vec::with_capacity(grid.cells.len() * pc.periods.len());
    for (i, &(x, y)) in grid.cells.iter().enumerate() {
        let id = grid.spec.format_id(&grid.style, x, y);
        for (t, key) in pc.periods.iter().enumerate() {
            let g = st.gi[t][i];
            bins.push(vec![
                Value::Text(id.clone()),
                Value::Text(by.label(*key)),
                Value::count(Some(pc.counts[t][i])),
                g.z.into(),
                g.p.into(),
                Value::Integer(i64::from(st.bins[t][i])),
            ]);
        }
    }
    Ok((
        emerging_layer(grid, pc.periods.len(), &st.cells),
        summary,
        bins,
    ))
}

/// The emerging-hot-spot settings: flags over `[emerging]` over the defaults.
pub fn emerging_method(
    config: &Config,
    band: Option<f64>,
    time_window: Option<u32>,
    fdr: bool,
) -> Result<EmergingMethod, Failure> {
    let e = &config.emerging;
    let d = EmergingMethod::default();
    let window = match (time_window, e.time_window) {
        (Some(w), _) => w,
        (None, Some(w)) => u32::try_from(w).map_err(|_| {
            Failure::Usage(format!(
                "[emerging] time_window = {w}: expected a whole number of periods ≥ 0"
            ))
        })?,
        (None, None) => d.time_window,
    };
    EmergingMethod::new(
        band.or(e.band).unwrap_or(d.band()),
        window,
        fdr || e.fdr.unwrap_or(false),
    )
    .map_err(|e| Failure::Usage(e.to_string()))
}

/// The files and settings of `stratmap emerging`.
pub struct EmergingArgs<'a> {
    /// The events CSV, with a date column.
    pub events: &'a Path,
    /// The study grid: the cells of this grid file…
    pub grid: Option<&'a Path>,
    /// …or the cells covering these areas.
    pub areas: Option<&'a Path>,
    /// `year`, `quarter` or `month` (else `[emerging] by`).
    pub by: Option<&'a str>,
    /// Distance band, metres.
    pub band: Option<f64>,
    /// Previous periods in a bin's neighbourhood.
    pub time_window: Option<u32>,
    /// Benjamini–Hochberg correction over the cube.
    pub fdr: bool,
    /// Only events of these types.
    pub types: &'a [String],
    /// The config.
    pub config: &'a Config,
    /// The layer to write.
    pub out: &'a Path,
    /// Also the cube's bins as CSV (cell_id, period, count, gi_z, gi_p, gi_bin).
    pub bins_out: Option<&'a Path>,
}

/// `stratmap emerging`: emerging hot spots of dated events.
pub fn emerging_command(a: &EmergingArgs, notes: &Notes) -> Result<(), Failure> {
    let format = format_of(a.out, "emerging")?;
    let by = period_by(a.by, a.config.emerging.by.as_deref(), "emerging")?.ok_or_else(|| {
        Failure::Usage(
            "expected --by year, quarter or month (or [emerging] by in the config)".into(),
        )
    })?;
    let method = emerging_method(a.config, a.band, a.time_window, a.fdr)?;
    let (grid, events) = crate::analysis::study_grid_and_events(
        a.grid, a.areas, a.events, a.types, a.config, notes,
    )?;
    notes.stage("computing the space-time cube");
    let (layer, summary, bins) = emerging_cube(&grid, &events, by, &method, false, notes)?;
    write_layer(&layer, a.out, format, notes)?;
    say!(notes, "wrote {} ({summary})", a.out.display());
    if let Some(path) = a.bins_out {
        write_csv(&BIN_COLUMNS, &bins, path)?;
        say!(
            notes,
            "wrote {} ({})",
            path.display(),
            counted(bins.len(), "bin")
        );
    }
    Ok(())
}

/// What both editions are standardised and classed against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The earlier edition's means, sds and class breaks (default).
    Before,
    /// Both editions together.
    Pooled,
}

/// `[change] reference`.
pub fn reference_of(config: &Config) -> Reference {
    match config.change.reference.as_deref() {
        Some("pooled") => Reference::Pooled,
        _ => Reference::Before,
    }
}

/// What the change of the index made.
pub struct IndexChange {
    /// The `change` layer.
    pub layer: Layer,
    /// The rows of `class_transitions.csv`.
    pub transitions: Vec<Vec<Value>>,
    /// The rows of `change_by_area.csv`, with areas.
    pub by_area: Option<Vec<Vec<Value>>>,
    /// A line for the user.
    pub summary: String,
    /// Cells by status: both, new, gone, no_index.
    pub statuses: [usize; 4],
}

/// The columns of `change_by_area.csv`.
pub const CHANGE_BY_AREA_COLUMNS: [&str; 6] = [
    "area",
    "category",
    "cells",
    "mean_delta",
    "share_class5_before",
    "share_class5_after",
];

/// The index of two editions of the grid on one scale, matched cell by cell.
pub fn index_change(
    before: &GridTable,
    after: &GridTable,
    config: &Config,
    areas: Option<&AreaTable>,
    names: (&str, &str),
    notes: &Notes,
) -> Result<IndexChange, Failure> {
    if before.spec != after.spec {
        return Err(Failure::Usage(format!(
            "{} is on the {} and {} on the {}: expected two editions of the same grid",
            names.0, before.spec, names.1, after.spec
        )));
    }
    for v in Variable::ALL {
        let (b, a) = (
            before.has_variable[v.position()],
            after.has_variable[v.position()],
        );
        if b != a {
            notes.warn(&format!(
                "{} has a column {:?} and {} has not: the editions' indices are made of different variables",
                if b { names.0 } else { names.1 },
                config.column(v.name()).0,
                if b { names.1 } else { names.0 }
            ));
        }
    }
    let params = config
        .index_params()
        .map_err(|m| Failure::Io(Problem::file("config", m.to_string()).into()))?;
    let reference = reference_of(config);
    let (lb, la) = match reference {
        Reference::Before => {
            let lb = LivingConditionsIndex::compute(&before.stats, &params);
            let la = LivingConditionsIndex::compute_against(&after.stats, &params, &lb);
            (lb, la)
        }
        Reference::Pooled => {
            let pooled: Vec<_> = before.stats.iter().chain(&after.stats).copied().collect();
            let lp = LivingConditionsIndex::compute(&pooled, &params);
            (
                LivingConditionsIndex::compute_against(&before.stats, &params, &lp),
                LivingConditionsIndex::compute_against(&after.stats, &params, &lp),
            )
        }
    };
    for v in Variable::ALL {
        if let Some((_, 0.0)) = lb.standardisation[v.position()] {
            notes.warn(&format!(
                "{} is the same in every valid cell of the reference (sd = 0): its change cannot show in the index",
                config.column(v.name()).0
            ));
        }
    }
    if lb.breaks.is_none() {
        notes.warn("the reference edition has no valid cell: no cell has an index or a class");
    }
    let cells = |g: &GridTable, l: &LivingConditionsIndex| -> Vec<EditionCell> {
        g.cells
            .iter()
            .zip(&g.stats)
            .zip(&l.cells)
            .map(|((&(x, y), s), c)| EditionCell {
                x,
                y,
                population: s.population,
                index: c.index,
                class: c.class,
            })
            .collect()
    };
    let changes = match_editions(&cells(before, &lb), &cells(after, &la));
    let statuses = [
        ChangeStatus::Both,
        ChangeStatus::New,
        ChangeStatus::Gone,
        ChangeStatus::NoIndex,
    ]
    .map(|s| changes.iter().filter(|c| c.status == s).count());
    let rows = transitions(&changes);
    let up = changes
        .iter()
        .filter(|c| matches!((c.class_before(), c.class_after()), (Some(b), Some(a)) if a > b))
        .count();
    let down = changes
        .iter()
        .filter(|c| matches!((c.class_before(), c.class_after()), (Some(b), Some(a)) if a < b))
        .count();
    let summary = format!(
        "{}: {} in both editions, {} new, {} gone, {} without an index in one; {up} to a worse class, {down} to a better one (reference: {})",
        counted(changes.len(), "cell"),
        statuses[0],
        statuses[1],
        statuses[2],
        statuses[3],
        match reference {
            Reference::Before => "the earlier edition",
            Reference::Pooled => "both editions pooled",
        }
    );
    let by_area = areas.map(|a| change_by_area(&changes, a, after.spec));
    Ok(IndexChange {
        layer: change_layer(after.spec, &after.style, &changes),
        transitions: transition_rows(&rows),
        by_area,
        summary,
        statuses,
    })
}

/// Per area: the cells (centre inside) in both editions, their mean delta,
/// and the fraction of the residents of its cells with a class living in
/// class-5 cells, before and after.
fn change_by_area(changes: &[CellChange], areas: &AreaTable, spec: GridSpec) -> Vec<Vec<Value>> {
    use geo::Intersects;
    let index = PolygonIndex::new(areas.polygons());
    let h = f64::from(spec.cell_size) / 2.0;
    let mut inside: Vec<Vec<&CellChange>> = vec![Vec::new(); areas.areas.len()];
    for c in changes {
        let (x, y) = (c.x as f64 + h, c.y as f64 + h);
        let p = geo::Point::new(x, y);
        for k in index.candidates([x, y], [x, y]) {
            if index.polygons()[k].intersects(&p) {
                inside[k].push(c);
            }
        }
    }
    let share5 = |cells: &[&CellChange], side: fn(&CellChange) -> Option<EditionCell>| {
        let (mut all, mut five) = (0.0, 0.0);
        for c in cells.iter().filter_map(|c| side(c)) {
            if let (Some(class), Some(p)) = (c.class, c.population) {
                all += p;
                if class == 5 {
                    five += p;
                }
            }
        }
        (all > 0.0).then(|| five / all)
    };
    areas
        .areas
        .iter()
        .zip(&inside)
        .map(|(a, cells)| {
            let both: Vec<f64> = cells.iter().filter_map(|c| c.delta).collect();
            vec![
                Value::Text(a.name.clone()),
                Value::Text(a.category.clone()),
                Value::Integer(both.len() as i64),
                (!both.is_empty())
                    .then(|| both.iter().sum::<f64>() / both.len() as f64)
                    .into(),
                share5(cells, |c| c.before).into(),
                share5(cells, |c| c.after).into(),
            ]
        })
        .collect()
}

/// The files of `stratmap change`.
pub struct ChangeArgs<'a> {
    /// The earlier edition.
    pub before: &'a Path,
    /// The later edition.
    pub after: &'a Path,
    /// Areas, for `change_by_area.csv`.
    pub areas: Option<&'a Path>,
    /// The config (sections grid, index, change).
    pub config: Option<&'a Path>,
    /// The layer of an areas file with several (else `[areas] layer`).
    pub areas_layer: Option<&'a str>,
    /// The layer; `class_transitions.csv` (and `change_by_area.csv`) go beside it.
    pub out: &'a Path,
}

/// `stratmap change`: two editions of the index on one scale.
pub fn change_command(a: &ChangeArgs, notes: &Notes) -> Result<(), Failure> {
    let format = format_of(a.out, "change")?;
    let config = crate::pipeline::load_config(a.config)?;
    let load = |p: &Path| -> Result<(String, GridTable), Failure> {
        let name = p.display().to_string();
        notes.stage(&format!("reading {name}"));
        let g = crate::pipeline::load_grid(&name, &read_input(p, &config)?, &config, true, notes)?;
        Ok((name, g))
    };
    let (bn, before) = load(a.before)?;
    let (an, after) = load(a.after)?;
    let areas = match a.areas {
        Some(p) => Some(read_areas_file_with(
            p,
            config_spec(&config)?.epsg,
            None,
            &config.area_options(a.areas_layer),
        )?),
        None => None,
    };
    notes.stage("comparing the editions");
    let ch = index_change(&before, &after, &config, areas.as_ref(), (&bn, &an), notes)?;
    write_layer(&ch.layer, a.out, format, notes)?;
    say!(notes, "wrote {} ({})", a.out.display(), ch.summary);
    let dir = a.out.parent().unwrap_or(Path::new(""));
    let path = dir.join("class_transitions.csv");
    write_csv(&TRANSITION_COLUMNS, &ch.transitions, &path)?;
    say!(
        notes,
        "wrote {} ({})",
        path.display(),
        counted(ch.transitions.len(), "row")
    );
    if let Some(rows) = &ch.by_area {
        let path = dir.join("change_by_area.csv");
        write_csv(&CHANGE_BY_AREA_COLUMNS, rows, &path)?;
        say!(
            notes,
            "wrote {} ({})",
            path.display(),
            counted(rows.len(), "area")
        );
    }
    Ok(())
}
