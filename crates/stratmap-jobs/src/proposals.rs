//! `stratmap candidates` (candidate areas and the index's concordance with
//! the assessed areas) and `stratmap lisa` (local Moran's I).

use crate::analysis::{count_events, study_grid_of};
use crate::pipeline::{
    compute_index, counted, format_of, load_config, load_grid, read_input, write_layer, Failure,
    Notes,
};
use std::path::{Path, PathBuf};
use stratmap_core::YouthCell;
use stratmap_core::{area_overlaps, candidate_areas, CandidateCell, CandidateParams};
use stratmap_core::{concordance, ConcordanceCell};
use stratmap_core::{local_moran_grid, LisaMethod, Quadrant};
use stratmap_core::{LivingConditionsIndex, Variable};
use stratmap_io::config::LisaVariable;
use stratmap_io::write_csv;
use stratmap_io::Config;
use stratmap_io::GridTable;
use stratmap_io::{candidates_layer, concordance_rows, lisa_layer, CONCORDANCE_COLUMNS};
use stratmap_io::{read_areas_file_with, AreaTable};
use stratmap_io::{read_events, Events};
use stratmap_io::{Layer, Value};

/// The cells as the candidate rule sees them.
pub fn candidate_cells(grid: &GridTable, lci: &LivingConditionsIndex) -> Vec<CandidateCell> {
    grid.cells
        .iter()
        .zip(&grid.stats)
        .zip(&lci.cells)
        .map(|((&(x, y), s), c)| CandidateCell {
            x,
            y,
            class: c.class,
            index: c.index,
            population: s.population.unwrap_or(0.0),
            youth: YouthCell {
                x,
                y,
                age_0_15: s.get(Variable::Age0To15),
                age_16_19: s.get(Variable::Age16To19),
            }
            .youth(),
        })
        .collect()
}

/// What the candidate job made.
pub struct Proposals {
    /// The `candidates` layer.
    pub layer: Layer,
    /// The rows of `concordance.csv`, when areas were given.
    pub concordance: Option<Vec<Vec<Value>>>,
    /// Candidates found, and of them `new` (with areas).
    pub found: usize,
    /// Candidates under 10 % inside any area.
    pub new: Option<usize>,
    /// A line for the user.
    pub summary: String,
}

/// The candidate areas of a grid with its index, and with areas their
/// overlap and the concordance table.
pub fn proposals(
    grid: &GridTable,
    lci: &LivingConditionsIndex,
    areas: Option<&AreaTable>,
    params: &CandidateParams,
    notes: &Notes,
) -> Proposals {
    let cells = candidate_cells(grid, lci);
    let found = candidate_areas(&cells, grid.spec, params);
    let chosen = cells
        .iter()
        .filter(|c| c.class.is_some_and(|k| k >= params.min_class))
        .count();
    if lci.valid > 0 && found.is_empty() {
        notes.note(&format!(
            "no candidate area: {} of class ≥ {}, none in a group of ≥ {} with ≥ {} residents",
            counted(chosen, "cell"),
            params.min_class,
            counted(params.min_cells as usize, "cell"),
            params.min_population
        ));
    }
    let (layer, concordance_table, new) = match areas {
        Some(a) => {
            let overlaps = area_overlaps(&found, &cells, grid.spec, &a.polygons());
            let new = overlaps.iter().filter(|o| o.is_new).count();
            let s = f64::from(grid.spec.cell_size) / 2.0;
            let ccells: Vec<ConcordanceCell> = cells
                .iter()
                .map(|c| ConcordanceCell {
                    centre: (c.x as f64 + s, c.y as f64 + s),
                    index: c.index,
                    class: c.class,
                    population: c.population,
                })
                .collect();
            let rows = concordance(&ccells, &a.polygons(), &a.categories());
            (
                candidates_layer(grid, &found, Some((a, &overlaps))),
                Some(concordance_rows(&rows)),
                Some(new),
            )
        }
        None => (candidates_layer(grid, &found, None), None, None),
    };
    let summary = match new {
        Some(n) => format!(
            "{} ({n} new, under 10 % inside any area) from {} of class ≥ {}",
            counted(found.len(), "candidate area"),
            counted(chosen, "cell"),
            params.min_class
        ),
        None => format!(
            "{} from {} of class ≥ {}",
            counted(found.len(), "candidate area"),
            counted(chosen, "cell"),
            params.min_class
        ),
    };
    Proposals {
        layer,
        concordance: concordance_table,
        found: found.len(),
        new,
        summary,
    }
}

/// The files of `stratmap candidates`.
pub struct CandidateArgs<'a> {
    /// The grid statistics CSV.
    pub grid: &'a Path,
    /// The assessed areas, for overlap and concordance.
    pub areas: Option<&'a Path>,
    /// The config (sections grid, index, candidates).
    pub config: Option<&'a Path>,
    /// The layer of an areas file with several (else `[areas] layer`).
    pub areas_layer: Option<&'a str>,
    /// The layer to write, its extension choosing the format; `concordance.csv` goes beside it.
    pub out: &'a Path,
}

/// Where `concordance.csv` goes: beside the candidates layer.
pub fn concordance_path(out: &Path) -> PathBuf {
    out.parent()
        .unwrap_or(Path::new(""))
        .join("concordance.csv")
}

/// `stratmap candidates`: candidate areas, and with areas the concordance.
pub fn candidates_command(a: &CandidateArgs, notes: &Notes) -> Result<(), Failure> {
    let format = format_of(a.out, "candidates")?;
    let config = load_config(a.config)?;
    let params = config
        .candidate_params()
        .map_err(|e| Failure::Usage(format!("[candidates] {e}")))?;
    let name = a.grid.display().to_string();
    notes.stage(&format!("reading {name}"));
    let grid = load_grid(&name, &read_input(a.grid, &config)?, &config, true, notes)?;
    let spec = crate::analysis::config_spec(&config)?;
    let areas = match a.areas {
        Some(p) => {
            let t = read_areas_file_with(p, spec.epsg, None, &config.area_options(a.areas_layer))?;
            crate::footprint::note_overlaps(&t, notes);
            Some(t)
        }
        None => None,
    };
    notes.stage("computing the index");
    let (lci, _) = compute_index(&grid, &config, notes)?;
    notes.stage("finding candidate areas");
    let p = proposals(&grid, &lci, areas.as_ref(), &params, notes);
    write_layer(&p.layer, a.out, format, notes)?;
    say!(notes, "wrote {} ({})", a.out.display(), p.summary);
    if let Some(rows) = &p.concordance {
        let path = concordance_path(a.out);
        write_csv(&CONCORDANCE_COLUMNS, rows, &path)?;
        say!(
            notes,
            "wrote {} ({} area categories and all)",
            path.display(),
            rows.len() - 1
        );
    }
    Ok(())
}

/// The values local Moran's I is computed on, and which grid cells have one.
pub fn lisa_values(
    grid: &GridTable,
    lci: Option<&LivingConditionsIndex>,
    events: Option<&Events>,
    variable: &LisaVariable,
    config: &Config,
) -> Result<(Vec<usize>, Vec<f64>), Failure> {
    let pairs: Vec<(usize, f64)> = match variable {
        LisaVariable::Index => {
            let lci = lci.ok_or_else(|| {
                Failure::Usage(
                    "variable index: the grid has no index (see stratmap validate)".into(),
                )
            })?;
            lci.cells
                .iter()
                .enumerate()
                .filter_map(|(i, c)| c.index.map(|v| (i, v)))
                .collect()
        }
        LisaVariable::Count => {
            let events = events.ok_or_else(|| {
                Failure::Usage(
                    "variable count: expected events to count (--events FILE, or [inputs] events)"
                        .into(),
                )
            })?;
            let (counts, _) = count_events(&study_grid_of(grid), events);
            counts
                .iter()
                .enumerate()
                .map(|(i, &c)| (i, c as f64))
                .collect()
        }
        LisaVariable::Column(c) => {
            let (header, _) = config.column(c);
            let value: Box<dyn Fn(usize) -> Option<f64>> = if c == "population" {
                if !grid.has_population {
                    return Err(Failure::Usage(format!(
                        "variable population: the grid has no column {header:?}"
                    )));
                }
                Box::new(|i| grid.stats[i].population)
            } else {
                let v = Variable::ALL
                    .into_iter()
                    .find(|v| v.name() == c)
                    .ok_or_else(|| Failure::Usage(format!("variable {c:?}: not a grid column")))?;
                if !grid.has_variable[v.position()] {
                    return Err(Failure::Usage(format!(
                        "variable {c}: the grid has no column {header:?}"
                    )));
                }
                Box::new(move |i| grid.stats[i].get(v))
            };
            (0..grid.cells.len())
                .filter_map(|i| value(i).map(|v| (i, v)))
                .collect()
        }
    };
    Ok(pairs.into_iter().unzip())
}

/// The local Moran's I layer of `values` on the grid cells `cells`, with a
/// summary line; warns where the statistic is undefined.
pub fn lisa(
    grid: &GridTable,
    cells: &[usize],
    values: &[f64],
    variable: &LisaVariable,
    method: &LisaMethod,
    notes: &Notes,
) -> Result<(Layer, String), Failure> {
    let corners: Vec<(i64, i64)> = cells.iter().map(|&i| grid.cells[i]).collect();
    let result = local_moran_grid(&corners, grid.spec, values, method)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let name = variable.name();
    if cells.is_empty() {
        notes.warn(&format!(
            "no cell has a value of {name}: the lisa layer is empty"
        ));
    } else if result.constant {
        notes.warn(&format!(
            "{name} is the same in every cell (sd = 0): local Moran's I is undefined, so lisa_i, lisa_z and lisa_p are null and every quadrant ns"
        ));
    }
    if result.islands > 0 && !result.constant {
        notes.note(&format!(
            "{} no other cell within {} m: lisa_i is 0 (no neighbours, as in esda), lisa_p null, quadrant ns",
            if result.islands == 1 { "1 cell has".to_string() } else { format!("{} cells have", result.islands) },
            method.band()
        ));
    }
    if method.permutations() == 0 && !cells.is_empty() {
        notes.note(
            "permutations 0: no p-values, so the quadrants are the scatterplot's, untested for significance",
        );
    }
    let count = |q: Quadrant| {
        result
            .cells
            .iter()
            .filter(|c| c.quadrant == Some(q) && c.significant != Some(false))
            .count()
    };
    let summary = format!(
        "{} of {name}: {} HH, {} LL, {} HL, {} LH{}{}",
        counted(cells.len(), "cell"),
        count(Quadrant::HighHigh),
        count(Quadrant::LowLow),
        count(Quadrant::HighLow),
        count(Quadrant::LowHigh),
        if method.permutations() > 0 {
            format!(
                " at p < 0.05 ({} permutations, seed {})",
                method.permutations(),
                method.seed
            )
        } else {
            " (untested)".into()
        },
        if method.fdr() { ", FDR" } else { "" }
    );
    Ok((lisa_layer(grid, cells, &result), summary))
}

/// The files and settings of `stratmap lisa`.
pub struct LisaArgs<'a> {
    /// The grid statistics CSV.
    pub grid: &'a Path,
    /// Events, for `--variable count`.
    pub events: Option<&'a Path>,
    /// `index`, `count` or a grid column (else the config's, else index).
    pub variable: Option<&'a str>,
    /// Distance band, metres.
    pub band: Option<f64>,
    /// Conditional permutations.
    pub permutations: Option<u64>,
    /// Seed of the permutations.
    pub seed: Option<u64>,
    /// Benjamini–Hochberg correction.
    pub fdr: bool,
    /// The config (sections grid, index, lisa).
    pub config: Option<&'a Path>,
    /// The layer to write; its extension chooses the format ([`crate::output::layer_format`]).
    pub out: &'a Path,
}

/// The variable: the flag over `[lisa] variable` over `index`.
pub fn lisa_variable(config: &Config, flag: Option<&str>) -> Result<LisaVariable, Failure> {
    match flag {
        Some(v) => LisaVariable::parse(v).map_err(|e| Failure::Usage(format!("--{e}"))),
        None => config
            .lisa
            .variable
            .as_deref()
            .map_or(Ok(LisaVariable::Index), LisaVariable::parse)
            .map_err(|e| Failure::Usage(format!("[lisa] {e}"))),
    }
}

/// `stratmap lisa`: local Moran's I of the index, event counts or a grid column.
pub fn lisa_command(a: &LisaArgs, notes: &Notes) -> Result<(), Failure> {
    let format = format_of(a.out, "lisa")?;
    let config = load_config(a.config)?;
    let variable = lisa_variable(&config, a.variable)?;
    let method = config
        .lisa_method(a.band, a.permutations, a.seed, a.fdr)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let name = a.grid.display().to_string();
    notes.stage(&format!("reading {name}"));
    let for_index = variable == LisaVariable::Index;
    let grid = if for_index {
        load_grid(&name, &read_input(a.grid, &config)?, &config, true, notes)?
    } else {
        stratmap_io::read_grid(&name, &read_input(a.grid, &config)?, &config)?
    };
    let lci = if for_index {
        Some(compute_index(&grid, &config, notes)?.0)
    } else {
        None
    };
    let events = match (a.events, &variable) {
        (Some(p), _) => {
            let n = p.display().to_string();
            let e = read_events(&n, &read_input(p, &config)?, grid.spec.epsg, grid.spec.epsg)?;
            crate::analysis::note_no_events(&n, &e, notes);
            Some(e)
        }
        (None, _) => None,
    };
    if a.events.is_some() && variable != LisaVariable::Count {
        notes.note(&format!(
            "--events is used only with --variable count; this is local Moran's I of {}",
            variable.name()
        ));
    }
    let (cells, values) = lisa_values(&grid, lci.as_ref(), events.as_ref(), &variable, &config)?;
    notes.stage("computing local Moran's I");
    let (layer, summary) = lisa(&grid, &cells, &values, &variable, &method, notes)?;
    write_layer(&layer, a.out, format, notes)?;
    say!(notes, "wrote {} ({summary})", a.out.display());
    Ok(())
}
