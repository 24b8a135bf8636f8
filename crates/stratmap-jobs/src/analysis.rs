//! `stratmap hotspots`, `stratmap indicators` and `stratmap assess`.

use crate::output::Table;
use crate::pipeline::{counted, drop_aside, format_of, read_input, write_layer, Failure, Notes};
use rayon::prelude::*;
use std::path::Path;
use stratmap_core::mann_kendall;
use stratmap_core::rect_overlap;
use stratmap_core::CellLookup;
use stratmap_core::GridSpec;
use stratmap_core::HotspotMethod;
use stratmap_core::Variable;
use stratmap_core::{areas_of_events, indicators, indicators_by_period, IndicatorInput};
use stratmap_core::{assess, Assessment};
use stratmap_core::{gi_bins, gi_star_grid};
use stratmap_core::{span, By};
use stratmap_io::write_csv;
use stratmap_io::Config;
use stratmap_io::{
    assessment_layer, assessment_rows, hotspots_layer, indicator_rows, period_rows, StudyGrid,
    AREA_PERIOD_COLUMNS, AREA_TREND_COLUMNS, ASSESSMENT_COLUMNS, INDICATOR_COLUMNS, PERIOD_COLUMNS,
};
use stratmap_io::{read_answers, read_events, Events};
use stratmap_io::{read_areas_file_with, AreaTable};
use stratmap_io::{read_grid, read_grid_cells, GridTable};
use stratmap_io::{Layer, Value};

/// The working grid of the config: its CRS and cell size (EPSG:3006, 250 m).
pub fn config_spec(config: &Config) -> Result<GridSpec, Failure> {
    config
        .working_spec()
        .map_err(|m| Failure::Usage(format!("[grid] crs: {m}")))
}

/// The study grid of a grid file: all its cells.
pub fn study_grid_of(grid: &GridTable) -> StudyGrid {
    StudyGrid {
        spec: grid.spec,
        style: grid.style.clone(),
        cells: grid.cells.clone(),
    }
}

/// The most cells the bounding boxes of the areas may span when the study
/// grid is made of the cells covering them (SPEC §4.4): 2 million cells,
/// 125 000 km² of 250 m cells (a box of 350 × 350 km). A hot-spot layer
/// takes about 700 bytes a cell, so this keeps a run under 1.5 GB. Beyond it
/// the command is refused with a note to give the study grid as a file.
pub const MAX_COVERING_CELLS: u64 = 2_000_000;

/// The cells of `spec` that overlap some area by a positive area; refused
/// (usage, exit 2) when the areas' bounding boxes span more than
/// [`MAX_COVERING_CELLS`].
pub fn study_grid_covering(areas: &AreaTable, spec: GridSpec) -> Result<StudyGrid, Failure> {
    use geo::BoundingRect;
    let s = i64::from(spec.cell_size);
    let span = |a: &geo::MultiPolygon<f64>| {
        let bb = a.bounding_rect()?;
        let cols = ((bb.max().x.ceil() - bb.min().x.floor()) / s as f64).floor() + 2.0;
        let rows = ((bb.max().y.ceil() - bb.min().y.floor()) / s as f64).floor() + 2.0;
        Some(cols * rows)
    };
    let spanned: f64 = areas
        .areas
        .iter()
        .map(|a| &a.geometry)
        .filter_map(span)
        .sum();
    if spanned > MAX_COVERING_CELLS as f64 {
        return Err(Failure::Usage(format!(
            "the cells covering the areas: their bounding boxes span {spanned:.0} cells of {} m, more than the limit of {MAX_COVERING_CELLS}: give the study grid as a grid file (--grid FILE, or [inputs] grid in a run config), or use a coarser [grid] cell_size",
            spec.cell_size
        )));
    }
    let mut cells = Vec::new();
    for a in areas.areas.iter().map(|a| &a.geometry) {
        let Some(bb) = a.bounding_rect() else {
            continue;
        };
        // a maximum within a metre below an edge takes the cell above it too
        let (c0, r0) = spec.cell_of_point(bb.min().x, bb.min().y);
        let (c1, r1) = spec.cell_of_point(bb.max().x.ceil(), bb.max().y.ceil());
        for c in c0..=c1 {
            for r in r0..=r1 {
                let corner = spec.corner(c, r);
                let (x, y) = (corner.0 as f64, corner.1 as f64);
                if rect_overlap([x, y, x + s as f64, y + s as f64], a) > 0.0 {
                    cells.push(corner);
                }
            }
        }
    }
    let style = spec.default_style();
    let mut cells: Vec<(i64, i64)> = spec
        .id_order(&style, &cells)
        .into_iter()
        .map(|i| cells[i])
        .collect();
    cells.dedup();
    Ok(StudyGrid { spec, style, cells })
}

/// Events counted per study cell, and how many fell outside the grid.
pub fn count_events(grid: &StudyGrid, events: &Events) -> (Vec<u64>, usize) {
    let at = CellLookup::new(&grid.cells, grid.spec);
    // each event's cell, found in parallel: the cell whose corner is the
    // corner of the event's column and row
    let found: Vec<Option<u32>> = events
        .positions
        .par_iter()
        .map(|&(x, y)| {
            let (c, r) = grid.spec.cell_of_point(x, y);
            let key = grid.spec.corner(c, r);
            at.get(c, r)
                .filter(|&i| grid.cells[i] == key)
                .map(|i| i as u32)
        })
        .collect();
    let mut counts = vec![0u64; grid.cells.len()];
    let mut outside = 0;
    for i in found {
        match i {
            Some(i) => counts[i as usize] += 1,
            None => outside += 1,
        }
    }
    (counts, outside)
}

/// The hot-spot layer of events on a study grid, a summary line, and the
/// number of events outside the grid.
pub fn hotspots(
    grid: &StudyGrid,
    events: &Events,
    band: f64,
    fdr: bool,
    notes: &Notes,
) -> Result<(Layer, String, usize), Failure> {
    let (counts, outside) = count_events(grid, events);
    if outside > 0 {
        notes.warn(&format!(
            "{} outside the study grid, not counted",
            counted(outside, "event")
        ));
    }
    let values: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let gi = gi_star_grid(&grid.cells, grid.spec, &values, band)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let bins = gi_bins(&gi, fdr);
    let undefined = gi.iter().filter(|g| g.z.is_none()).count();
    if undefined == gi.len() && !gi.is_empty() {
        let why = if values.iter().all(|v| *v == values[0]) {
            "every cell has the same count"
        } else {
            "every cell's band covers the whole study grid (or it has one cell)"
        };
        notes.warn(&format!(
            "Gi* is undefined in every cell ({why}): gi_z and gi_p are null and gi_bin 0, which does not mean \"no hot spots\""
        ));
    } else if undefined > 0 {
        notes.note(&format!(
            "Gi* is undefined in {} (their band covers the whole grid): gi_z null, gi_bin 0",
            counted(undefined, "cell")
        ));
    }
    let hot = bins.iter().filter(|b| **b > 0).count();
    let cold = bins.iter().filter(|b| **b < 0).count();
    let summary = format!(
        "{}, {} on the grid ({} outside); {hot} hot and {cold} cold at ≥ 90 % confidence{}",
        counted(grid.cells.len(), "cell"),
        counted(events.positions.len() - outside, "event"),
        outside,
        if fdr { " (FDR)" } else { "" }
    );
    Ok((hotspots_layer(grid, &counts, &gi, &bins), summary, outside))
}

/// Warns when an events file has no events: every count would be 0, and
/// that is not a finding.
pub fn note_no_events(name: &str, events: &Events, notes: &Notes) {
    if events.positions.is_empty() {
        notes.warn(&format!(
            "{name} has a header but no events: every count is 0 and no cell can be a hot spot"
        ));
    }
}

/// The band and FDR setting: flags over `[hotspots]` over 500 m, off.
pub fn hotspot_params(
    config: &Config,
    band: Option<f64>,
    fdr: bool,
) -> Result<(f64, bool), Failure> {
    let (flag, band) = match band {
        Some(b) => ("--band", b),
        None => (
            "[hotspots] band =",
            config
                .hotspots
                .band
                .unwrap_or(HotspotMethod::default().band()),
        ),
    };
    let method =
        HotspotMethod::new(band, fdr || config.hotspots.fdr.unwrap_or(false)).map_err(|_| {
            Failure::Usage(format!(
                "{flag} {band}: expected a positive distance in metres"
            ))
        })?;
    Ok((method.band(), method.fdr))
}

/// The study grid of a command given `--grid` or `--areas` (one of them),
/// and its events of the types asked for (all when none): what `stratmap
/// hotspots` and `stratmap emerging` both start from.
pub fn study_grid_and_events(
    grid: Option<&Path>,
    areas: Option<&Path>,
    events: &Path,
    types: &[String],
    config: &Config,
    notes: &Notes,
) -> Result<(StudyGrid, Events), Failure> {
    let grid = match (grid, areas) {
        (Some(g), None) => {
            let name = g.display().to_string();
            read_grid_cells(&name, &read_input(g, config)?, config)?
        }
        (None, Some(ar)) => {
            let spec = config_spec(config)?;
            let areas = read_areas_file_with(ar, spec.epsg, None, &config.area_options(None))?;
            crate::footprint::note_overlaps(&areas, notes);
            study_grid_covering(&areas, spec)?
        }
        _ => {
            return Err(Failure::Usage(
                "give the study grid as --grid FILE or --areas FILE (one of them)".into(),
            ))
        }
    };
    let name = events.display().to_string();
    let read = read_events(
        &name,
        &read_input(events, config)?,
        grid.spec.epsg,
        grid.spec.epsg,
    )?;
    note_no_events(&name, &read, notes);
    let selected = read.select(&name, types)?;
    Ok((grid, selected))
}

/// The files and settings of `stratmap hotspots`.
pub struct HotspotArgs<'a> {
    /// The events CSV.
    pub events: &'a Path,
    /// The study grid: the cells of this grid file…
    pub grid: Option<&'a Path>,
    /// …or the cells covering these areas.
    pub areas: Option<&'a Path>,
    /// The distance band in metres (else the config's, else 500).
    pub band: Option<f64>,
    /// Benjamini–Hochberg correction of the bins.
    pub fdr: bool,
    /// Only events of these types (all when empty).
    pub types: &'a [String],
    /// The config (sections grid and hotspots).
    pub config: &'a Config,
    /// The layer to write; its extension chooses the format ([`crate::output::layer_format`]).
    pub out: &'a Path,
}

/// `stratmap hotspots`: Gi* of events on the study grid, written as a layer.
pub fn hotspots_command(a: &HotspotArgs, notes: &Notes) -> Result<(), Failure> {
    let format = format_of(a.out, "hotspots")?;
    let (band, fdr) = hotspot_params(a.config, a.band, a.fdr)?;
    let (grid, events) =
        study_grid_and_events(a.grid, a.areas, a.events, a.types, a.config, notes)?;
    notes.stage("computing Gi*");
    let (layer, summary, _) = hotspots(&grid, &events, band, fdr, notes)?;
    write_layer(&layer, a.out, format, notes)?;
    say!(notes, "wrote {} ({summary})", a.out.display());
    drop_aside((layer, grid, events));
    Ok(())
}

/// The tables `stratmap indicators` writes.
pub struct IndicatorTables {
    /// The rows of `indicators.csv`.
    pub rows: Vec<Vec<Value>>,
    /// A line for the user.
    pub summary: String,
    /// With a period length: `indicators_by_period.csv`,
    /// `events_by_area_period.csv` and `trends_by_area.csv`.
    pub by_period: Option<[Table; 3]>,
}

/// The indicator table of events, areas and a grid, with a summary line;
/// with `by`, the tables by period too.
pub fn indicator_table(
    events: &Events,
    areas: &AreaTable,
    grid: &GridTable,
    total_area_km2: Option<f64>,
    by: Option<By>,
    notes: &Notes,
) -> Result<IndicatorTables, Failure> {
    let s = f64::from(grid.spec.cell_size);
    let total_area_m2 = match total_area_km2 {
        Some(km2) if km2 > 0.0 && km2.is_finite() => km2 * 1e6,
        Some(km2) => {
            return Err(Failure::Usage(format!(
                "total area {km2} km²: expected a positive number"
            )))
        }
        None => {
            let xs = grid.cells.iter().map(|c| c.0 as f64);
            let ys = grid.cells.iter().map(|c| c.1 as f64);
            let (x0, x1) = (
                xs.clone().fold(f64::INFINITY, f64::min),
                xs.fold(f64::NEG_INFINITY, f64::max),
            );
            let (y0, y1) = (
                ys.clone().fold(f64::INFINITY, f64::min),
                ys.fold(f64::NEG_INFINITY, f64::max),
            );
            if grid.cells.is_empty() {
                0.0
            } else {
                (x1 + s - x0) * (y1 + s - y0)
            }
        }
    };
    // what the areas themselves cover: the total cannot be less
    let union_m2: f64 = {
        use geo::Area;
        geo::unary_union(areas.areas.iter().map(|a| &a.geometry)).unsigned_area()
    };
    if total_area_m2 + 1e-6 * union_m2 < union_m2 {
        let what = match total_area_km2 {
            Some(km2) => format!("--total-area-km2 {km2}"),
            None => "the grid's bounding box (the default total area)".to_string(),
        };
        return Err(Failure::Usage(format!(
            "{what} is {:.3} km², less than the areas' own {:.3} km²: expected a total area that holds them (for Sweden 447425)",
            total_area_m2 / 1e6,
            union_m2 / 1e6
        )));
    }
    let population: Vec<f64> = grid
        .stats
        .iter()
        .map(|c| c.population.unwrap_or(0.0))
        .collect();
    let has_youth = grid.has_variable[Variable::Age0To15.position()]
        || grid.has_variable[Variable::Age16To19.position()];
    let youth: Vec<f64> = crate::pipeline::youth_cells(grid)
        .iter()
        .map(|c| c.youth().unwrap_or(0.0))
        .collect();
    let (polygons, categories) = (areas.polygons(), areas.categories());
    let input = IndicatorInput {
        areas: &polygons,
        categories: &categories,
        events: &events.positions,
        event_types: &events.types,
        type_names: &events.type_names,
        cells: &grid.cells,
        grid: grid.spec,
        population: &population,
        youth: has_youth.then_some(youth.as_slice()),
        total_area_m2,
    };
    let rows = indicators(&input);
    let summary = format!(
        "{} of {} event types and all, total area {:.3} km²",
        counted(rows.len(), "row"),
        events.type_names.len(),
        total_area_m2 / 1e6
    );
    let by_period = by.map(|by| tables_by_period(&input, events, areas, by, notes));
    Ok(IndicatorTables {
        rows: indicator_rows(&rows),
        summary,
        by_period,
    })
}

/// The significance of the areas' trends (Mann–Kendall).
pub const AREA_TREND_ALPHA: f64 = 0.05;

/// `indicators_by_period.csv`, `events_by_area_period.csv` and
/// `trends_by_area.csv`: events by period per category, per area, and each
/// area's Mann–Kendall trend per type.
fn tables_by_period(
    input: &IndicatorInput,
    events: &Events,
    areas: &AreaTable,
    by: By,
    notes: &Notes,
) -> [Table; 3] {
    let keys: Vec<Option<i64>> = events.dates.iter().map(|d| d.map(|d| by.key(d))).collect();
    let periods = span(keys.iter().flatten().copied());
    let first = periods.first().copied().unwrap_or(0);
    let index: Vec<Option<usize>> = keys
        .iter()
        .map(|k| k.map(|k| (k - first) as usize))
        .collect();
    let undated = keys.iter().filter(|k| k.is_none()).count();
    if undated > 0 {
        notes.warn(&format!(
            "{} without a date, not in the tables by {}",
            counted(undated, "event"),
            by.name()
        ));
    }
    if periods.is_empty() {
        notes.warn("no event has a date: the tables by period are empty");
    }
    let labels: Vec<String> = periods.iter().map(|k| by.label(*k)).collect();
    let by_cat = indicators_by_period(input, &index, periods.len());
    // per area: counts[area][type (+ all)][period]
    let n_types = events.type_names.len();
    let inside = areas_of_events(input.areas, input.events);
    let mut counts = vec![vec![vec![0u64; periods.len()]; n_types + 1]; areas.areas.len()];
    for ((list, &t), p) in inside.iter().zip(&events.types).zip(&index) {
        let Some(p) = *p else { continue };
        for &a in list {
            counts[a][t as usize][p] += 1;
            counts[a][n_types][p] += 1;
        }
    }
    let type_name = |t: usize| {
        events
            .type_names
            .get(t)
            .cloned()
            .unwrap_or_else(|| "all".into())
    };
    let (mut area_rows, mut trend_rows) = (Vec::new(), Vec::new());
    for (a, area) in areas.areas.iter().enumerate() {
        for (t, series) in counts[a].iter().enumerate() {
            for (p, label) in labels.iter().enumerate() {
                area_rows.push(vec![
                    Value::Text(area.name.clone()),
                    Value::Text(area.category.clone()),
                    Value::Text(label.clone()),
                    Value::Text(type_name(t)),
                    Value::Integer(series[p] as i64),
                ]);
            }
            let values: Vec<f64> = series.iter().map(|&c| c as f64).collect();
            let mk = mann_kendall(&values, AREA_TREND_ALPHA);
            trend_rows.push(vec![
                Value::Text(area.name.clone()),
                Value::Text(area.category.clone()),
                Value::Text(type_name(t)),
                Value::Integer(labels.len() as i64),
                Value::Integer(series.iter().sum::<u64>() as i64),
                mk.map(|m| m.tau).into(),
                mk.map(|m| m.p).into(),
                Value::Text(mk.map_or("no trend", |m| m.trend.as_str()).into()),
            ]);
        }
    }
    [
        (
            "indicators_by_period.csv",
            &PERIOD_COLUMNS,
            period_rows(&by_cat, &labels),
        ),
        ("events_by_area_period.csv", &AREA_PERIOD_COLUMNS, area_rows),
        ("trends_by_area.csv", &AREA_TREND_COLUMNS, trend_rows),
    ]
}

/// The files and settings of `stratmap indicators`.
pub struct IndicatorArgs<'a> {
    /// The events CSV.
    pub events: &'a Path,
    /// The areas (name, category).
    pub areas: &'a Path,
    /// The grid statistics, for population and the default total area.
    pub grid: &'a Path,
    /// The total area in km² (else the config's, else the grid's bounding box).
    pub total_area_km2: Option<f64>,
    /// Also by period: `year`, `quarter` or `month` (else `[indicators] by`).
    pub by: Option<&'a str>,
    /// Only events of these types (all when empty).
    pub types: &'a [String],
    /// The config (sections grid and indicators).
    pub config: &'a Config,
    /// The table to write (.csv).
    pub out: &'a Path,
}

/// `stratmap indicators`: events, area and population by area category, as CSV.
pub fn indicators_command(a: &IndicatorArgs, notes: &Notes) -> Result<(), Failure> {
    if stratmap_io::is_stdio(a.out) && a.by.or(a.config.indicators.by.as_deref()).is_some() {
        return Err(Failure::Usage(
            "--out -: with --by the tables by period go beside --out; give --out a file".into(),
        ));
    }
    if stratmap_io::extension(a.out) != "csv" && !stratmap_io::is_stdio(a.out) {
        return Err(Failure::Usage(format!(
            "--out {}: expected a file ending in .csv",
            a.out.display()
        )));
    }
    let grid_name = a.grid.display().to_string();
    let grid = read_grid(&grid_name, &read_input(a.grid, a.config)?, a.config)?;
    if !grid.has_population {
        return Err(Failure::Io(
            stratmap_io::Problem::file(
                &grid_name,
                "expected a population column: the indicators apportion residents to areas",
            )
            .at_line(1)
            .into(),
        ));
    }
    let epsg = grid.spec.epsg;
    let areas = read_areas_file_with(a.areas, epsg, None, &a.config.area_options(None))?;
    crate::footprint::note_overlaps(&areas, notes);
    let name = a.events.display().to_string();
    let events = read_events(&name, &read_input(a.events, a.config)?, epsg, epsg)?;
    note_no_events(&name, &events, notes);
    let events = events.select(&name, a.types)?;
    crate::footprint::note_far_areas(
        &areas,
        grid.cells
            .iter()
            .map(|c| grid.spec.centre(c.0, c.1))
            .chain(events.positions.iter().copied()),
        "every cell and event",
        notes,
    );
    notes.stage("apportioning population and counting events");
    if let Some(km2) = a.total_area_km2.filter(|x| !(*x > 0.0 && x.is_finite())) {
        return Err(Failure::Usage(format!(
            "--total-area-km2 {km2}: expected a positive number of km²"
        )));
    }
    let total = a.total_area_km2.or(a.config.indicators.total_area_km2);
    let by = crate::change::period_by(a.by, a.config.indicators.by.as_deref(), "indicators")?;
    let t = indicator_table(&events, &areas, &grid, total, by, notes)?;
    write_csv(&INDICATOR_COLUMNS, &t.rows, a.out)?;
    say!(notes, "wrote {} ({})", a.out.display(), t.summary);
    for (file, columns, rows) in t.by_period.iter().flatten() {
        let path = a.out.parent().unwrap_or(Path::new("")).join(file);
        write_csv(columns, rows, &path)?;
        say!(
            notes,
            "wrote {} ({})",
            path.display(),
            counted(rows.len(), "row")
        );
    }
    Ok(())
}

/// Assessments of an answers file, with notes on areas that are not in the
/// areas file.
pub fn assessments(
    answers_name: &str,
    answers: &[u8],
    areas: Option<&AreaTable>,
    notes: &Notes,
) -> Result<Vec<Assessment>, Failure> {
    let rows = assess(&read_answers(answers_name, answers)?);
    if let Some(areas) = areas {
        let mut unknown: Vec<&str> = rows
            .iter()
            .map(|a| a.area.as_str())
            .filter(|a| areas.find(a).is_none())
            .collect();
        unknown.dedup();
        if !unknown.is_empty() {
            notes.warn(&format!(
                "{answers_name}: {} not among the areas: {}",
                counted(unknown.len(), "area"),
                unknown.join(", ")
            ));
        }
    }
    Ok(rows)
}

/// `stratmap assess`: problem levels and trends, as CSV or joined onto the areas.
pub fn assess_command(
    answers: &Path,
    areas: Option<&Path>,
    config: &Config,
    out: &Path,
    notes: &Notes,
) -> Result<(), Failure> {
    let csv = stratmap_io::extension(out) == "csv" || stratmap_io::is_stdio(out);
    let format = if csv {
        None
    } else {
        Some(format_of(out, "assessment")?)
    };
    let areas = match areas {
        Some(p) => {
            let a = read_areas_file_with(
                p,
                config_spec(config)?.epsg,
                None,
                &config.area_options(None),
            )?;
            crate::footprint::note_overlaps(&a, notes);
            Some(a)
        }
        None if format.is_some() => {
            return Err(Failure::Usage(format!(
                "--out {}: a map layer needs --areas to join the assessment onto; or write .csv",
                out.display()
            )))
        }
        None => None,
    };
    let rows = assessments(
        &answers.display().to_string(),
        &read_input(answers, config)?,
        areas.as_ref(),
        notes,
    )?;
    match (format, &areas) {
        (Some(f), Some(areas)) => write_layer(&assessment_layer(areas, &rows), out, f, notes)?,
        _ => write_csv(&ASSESSMENT_COLUMNS, &assessment_rows(&rows), out)?,
    }
    say!(
        notes,
        "wrote {} ({})",
        out.display(),
        counted(rows.len(), "area-year")
    );
    Ok(())
}
