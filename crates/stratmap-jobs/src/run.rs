//! `stratmap run CONFIG.toml`: every layer the config's inputs allow, in
//! one output directory, with `summary.json` (provenance) and the viewer.
//! `stratmap demo` is this pipeline on the embedded sample town.

use crate::analysis::{
    assessments, config_spec, hotspot_params, hotspots, indicator_table, study_grid_covering,
    study_grid_of,
};
use crate::footprint::{FootprintInputs, FootprintParams, RecordsInput};
use crate::output::{Products, Table, Written};
use crate::pipeline::{compute_index, counted, youth_layer_of, Failure, Notes};
use rayon::prelude::*;
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;
use stratmap_core::Contiguity;
use stratmap_core::{Group, Variable};
use stratmap_io::config::LisaVariable;
use stratmap_io::read_events;
use stratmap_io::read_grid;
use stratmap_io::write_atomic;
use stratmap_io::Config;
use stratmap_io::Layer;
use stratmap_io::{
    assessment_layer, assessment_rows, living_conditions_layer, ASSESSMENT_COLUMNS,
    CONCORDANCE_COLUMNS, FOOTPRINT_CATEGORY_COLUMNS, INDICATOR_COLUMNS, TRANSITION_COLUMNS,
};
use stratmap_io::{is_geojson, read_areas_gdal_with, read_areas_with};
use stratmap_io::{Error, Problem};

/// Where an input comes from: a file, or text built into the binary.
pub enum Source {
    /// A file: its path as the config gives it, and resolved.
    File {
        /// As the config gives it.
        given: String,
        /// Resolved against the config's folder.
        path: PathBuf,
    },
    /// Text built into the binary (the sample town).
    Embedded {
        /// The name to show.
        given: String,
        /// The contents.
        text: &'static str,
    },
}

impl Source {
    /// The name used in messages.
    pub fn name(&self) -> String {
        match self {
            Source::File { path, .. } => path.display().to_string(),
            Source::Embedded { given, .. } => format!("sample-town/{given}"),
        }
    }

    /// The path as the config gives it.
    fn given(&self) -> &str {
        match self {
            Source::File { given, .. } | Source::Embedded { given, .. } => given,
        }
    }

    /// A CSV input: [`Source::bytes`] decoded from the config's `[inputs]
    /// encoding` to UTF-8. The SHA-256 of the summary is of the file as it is.
    fn text(&self, config: &Config) -> Result<(Vec<u8>, String), Error> {
        let bytes = self.bytes()?;
        let sha = sha256_hex(&bytes);
        let text =
            stratmap_io::decode_text(&self.name(), bytes, config.inputs.encoding.as_deref())?;
        Ok((text, sha))
    }

    /// The whole input; a text input is checked as it is read (no NUL byte,
    /// no CSV line over 1 MiB), a GeoPackage or Shapefile is read as it is.
    fn bytes(&self) -> Result<Vec<u8>, Error> {
        use stratmap_io::{read_text_file, TextLimits};
        match self {
            Source::File { path, .. } => match stratmap_io::extension(path).as_str() {
                "geojson" | "json" => read_text_file(path, &self.name(), TextLimits::GEOJSON),
                "gpkg" | "shp" | "fgb" | "gml" | "kml" | "sqlite" | "zip" => {
                    std::fs::read(path).map_err(|e| Error::io(path, e))
                }
                _ => read_text_file(path, &self.name(), TextLimits::CSV),
            },
            Source::Embedded { text, .. } => Ok(text.as_bytes().to_vec()),
        }
    }

    /// The path of a Parquet file (by its extension); embedded inputs are CSV.
    fn parquet_path(&self) -> Option<&Path> {
        match self {
            Source::File { path, .. } if stratmap_io::is_parquet(path) => Some(path),
            _ => None,
        }
    }

    fn open(&self) -> Result<(Box<dyn Read + Send>, Option<u64>), Error> {
        match self {
            Source::File { path, .. } => {
                let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
                let size = f.metadata().ok().map(|m| m.len());
                Ok((Box::new(f), size))
            }
            Source::Embedded { text, .. } => {
                Ok((Box::new(text.as_bytes()), Some(text.len() as u64)))
            }
        }
    }
}

/// The inputs of a run, by the names of `[inputs]`.
#[derive(Default)]
pub struct Inputs {
    /// Grid statistics (SPEC §3.1).
    pub grid: Option<Source>,
    /// An earlier edition of the grid statistics (`[change] before`).
    pub grid_before: Option<Source>,
    /// Areas (§3.2).
    pub areas: Option<Source>,
    /// Towers (§3.3).
    pub towers: Option<Source>,
    /// Connection records (§3.3).
    pub records: Option<Source>,
    /// Events (§3.4).
    pub events: Option<Source>,
    /// Assessment answers (§3.5).
    pub answers: Option<Source>,
}

/// The output formats of `[output] formats`.
pub const FORMATS: [&str; 7] = ["geojson", "csv", "gpkg", "tif", "html", "png", "tiles"];

/// The formats written when `[output] formats` is not given: all but the
/// vector tiles, which a run writes anyway for a grid layer too large for
/// the viewer.
pub const DEFAULT_FORMATS: [&str; 6] = ["geojson", "csv", "gpkg", "tif", "html", "png"];

/// A SHA-256 as lowercase hex.
fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The SHA-256 of a file as lowercase hex, read in pieces.
fn sha256_file(path: &Path) -> Result<String, Error> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(format!("{:x}", h.finalize()))
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: std::sync::Arc<std::sync::Mutex<Sha256>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut h) = self.hash.lock() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Data rows of a CSV text: its non-blank lines less the header.
fn csv_rows(bytes: &[u8]) -> usize {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count()
        .saturating_sub(1)
}

/// What a run wrote and noticed, for `summary.json` and the closing lines.
struct Record {
    inputs: Map<String, Json>,
    outputs: Vec<Json>,
    counts: Map<String, Json>,
    timings: Map<String, Json>,
    layers: Vec<String>,
    skipped: Vec<String>,
    /// What to say of an output file, by file name.
    said: std::collections::BTreeMap<String, String>,
}

impl Record {
    fn input(&mut self, key: &str, src: &Source, sha: String, rows: usize, what: &str) {
        self.inputs.insert(
            key.into(),
            json!({ "path": src.given(), "sha256": sha, what: rows }),
        );
    }

    fn time(&mut self, step: &str, since: Instant) {
        let secs = (since.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        self.timings.insert(step.into(), json!(secs));
    }
}

/// Writes the products in each format, in the order given; each format's
/// files and seconds, or nothing for a format not begun. The GeoPackage
/// (SQLite inserts on one thread) is written on a thread of its own beside
/// the formats after it, whose writers use the pool; their files are those
/// of writing one at a time. A failure stops the formats not yet begun.
#[allow(clippy::type_complexity)]
fn write_formats(
    formats: &[&dyn crate::output::OutputFormat],
    products: &Products,
    out: &Path,
    notes: &Notes,
) -> Vec<Option<(Result<Vec<Written>, Failure>, f64)>> {
    let failed = std::sync::atomic::AtomicBool::new(false);
    let write = |f: &dyn crate::output::OutputFormat| {
        let t = Instant::now();
        let files = f.write_into(products, out, notes);
        if files.is_err() {
            failed.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        (files, (t.elapsed().as_secs_f64() * 1000.0).round() / 1000.0)
    };
    let mut done: Vec<Option<_>> = formats.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let mut side = None;
        for (k, f) in formats.iter().enumerate() {
            if failed.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            if f.name() == "gpkg" {
                let write = &write;
                side = Some((k, scope.spawn(move || write(*f))));
            } else {
                done[k] = Some(write(*f));
            }
        }
        if let Some((k, thread)) = side {
            done[k] = Some(
                thread
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            );
        }
    });
    done
}

/// The effective settings of a run, defaults filled in.
fn effective_config(config: &Config, formats: &[String], out: &Path) -> Result<Json, Failure> {
    let spec = config_spec(config)?;
    let index = config
        .index_params()
        .map_err(|e| Failure::Io(Problem::file("config", e.to_string()).into()))?;
    let fp = FootprintParams::new(config, None, None, None)?;
    let (band, fdr) = hotspot_params(config, None, false)?;
    let columns: Map<String, Json> = Variable::ALL
        .iter()
        .map(|v| v.name())
        .chain(["population", "cell_id", "x", "y"])
        .map(|c| {
            let (name, percent) = config.column(c);
            (c.to_string(), json!({ "name": name, "percent": percent }))
        })
        .collect();
    let youth = config.youth_params();
    let candidates = config
        .candidate_params()
        .map_err(|e| Failure::Usage(format!("[candidates] {e}")))?;
    let lisa = config
        .lisa_method(None, None, None, false)
        .map_err(|e| Failure::Usage(format!("[lisa] {e}")))?;
    let emerging = crate::change::emerging_method(config, None, None, false)?;
    Ok(json!({
        "output": { "dir": out.display().to_string(), "formats": formats },
        "grid": { "crs": format!("EPSG:{}", spec.epsg), "cell_size": spec.cell_size },
        "index": {
            "min_population": index.min_population(),
            "weights": Group::ALL.iter().map(|g| (g.weight_key().to_string(), json!(index.weights()[*g as usize]))).collect::<Map<_, _>>(),
            "classes": match index.classes() { stratmap_core::ClassMethod::Quantile => "quantile", stratmap_core::ClassMethod::StdDev => "sd" },
            "columns": columns,
        },
        "youth": {
            "min_youth_cell": youth.min_youth_cell,
            "min_youth_group": youth.min_youth_group,
            "max_radius_m": youth.max_radius_m,
        },
        "footprint": { "radius": fp.radius, "tz": fp.tz.name(), "min_phones": fp.min_phones },
        "hotspots": { "band": band, "fdr": fdr },
        "indicators": { "total_area_km2": config.indicators.total_area_km2.map_or(json!("the bounding box of the grid's cells"), |v| json!(v)), "by": config.indicators.by },
        "candidates": {
            "min_class": candidates.min_class,
            "min_cells": candidates.min_cells,
            "min_population": candidates.min_population,
            "contiguity": match candidates.contiguity { Contiguity::Queen => "queen", Contiguity::Rook => "rook" },
        },
        "change": {
            "before": config.change.before.as_ref().map(|p| p.display().to_string()),
            "reference": match crate::change::reference_of(config) { crate::change::Reference::Before => "before", crate::change::Reference::Pooled => "pooled" },
        },
        "emerging": {
            "by": config.emerging.by,
            "band": emerging.band(),
            "time_window": emerging.time_window,
            "fdr": emerging.fdr,
        },
        "lisa": {
            "variable": crate::proposals::lisa_variable(config, None)?.name(),
            "band": lisa.band(),
            "permutations": lisa.permutations(),
            "seed": lisa.seed,
            "fdr": lisa.fdr(),
        },
    }))
}

/// Runs every layer `inputs` allow and writes them into `out`.
pub fn run(
    config: &Config,
    inputs: &Inputs,
    formats: &[String],
    out: &Path,
    notes: &Notes,
) -> Result<(), Failure> {
    for f in formats {
        if !FORMATS.contains(&f.as_str()) {
            return Err(Failure::Usage(format!(
                "[output] formats: unknown format {f:?}; expected some of {}",
                FORMATS.join(", ")
            )));
        }
    }
    crate::viewer::check_basemap(config.output.basemap.as_deref())?;
    let wants = |f: &str| formats.iter().any(|x| x == f);
    let mut settings = effective_config(config, formats, out)?;
    // the viewer's basemap, recorded when set only (off by default)
    if let Some(url) = &config.output.basemap {
        settings["output"]["basemap"] = json!(url);
    }
    let mut rec = Record {
        inputs: Map::new(),
        outputs: Vec::new(),
        counts: Map::new(),
        timings: Map::new(),
        layers: Vec::new(),
        skipped: Vec::new(),
        said: Default::default(),
    };
    let spec = config_spec(config)?;
    let mut layers: Vec<Layer> = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    let steps = 10;
    let stage = |k: usize, what: &str| notes.stage(&format!("step {k}/{steps}: {what}"));

    // 1–2. The grid: living conditions and youth groups.
    stage(1, "living-conditions index");
    let t = Instant::now();
    let grid = match &inputs.grid {
        Some(src) => {
            let (bytes, sha) = src.text(config)?;
            rec.input("grid", src, sha, csv_rows(&bytes), "rows");
            let g = read_grid(&src.name(), &bytes, config)?;
            crate::pipeline::note_missing_columns(&src.name(), &g, config, true, notes);
            Some(g)
        }
        None => None,
    };
    let index_problems = grid.as_ref().map(|g| g.index_problems("grid", config));
    let mut index = None;
    match (&grid, index_problems.as_deref()) {
        (Some(g), Some([])) => {
            let (lci, summary) = compute_index(g, config, notes)?;
            rec.said.insert("living_conditions.geojson".into(), summary);
            rec.counts.insert("cells".into(), json!(g.cells.len()));
            rec.counts
                .insert("cells_with_index".into(), json!(lci.valid));
            layers.push(living_conditions_layer(g, &lci));
            index = Some(lci);
        }
        (_, Some([first, ..])) => rec
            .skipped
            .push(format!("living_conditions: {}", first.message)),
        _ => rec
            .skipped
            .push("living_conditions: no [inputs] grid".into()),
    }
    rec.time("living_conditions", t);
    stage(2, "youth groups");
    let t = Instant::now();
    match &grid {
        Some(g) if g.youth_problems("grid", config).is_empty() => {
            let layer = youth_layer_of(g, config);
            rec.said.insert(
                "youth_groups.geojson".into(),
                counted(layer.features.len(), "youth group"),
            );
            layers.push(layer);
        }
        Some(_) => rec
            .skipped
            .push("youth_groups: the grid has no age_0_15 or age_16_19".into()),
        None => rec.skipped.push("youth_groups: no [inputs] grid".into()),
    }
    rec.time("youth_groups", t);

    // Areas, read once for the layers that need them.
    let areas = match &inputs.areas {
        Some(src) => {
            let bytes = src.bytes()?;
            // GeoJSON from the bytes already read (and hashed); other
            // formats through GDAL, which opens the file itself
            let a = match src {
                Source::File { path, .. } if !is_geojson(path) => {
                    read_areas_gdal_with(path, spec.epsg, None, &config.area_options(None))?
                }
                _ => read_areas_with(
                    &src.name(),
                    &bytes,
                    spec.epsg,
                    None,
                    &config.area_options(None),
                )?,
            };
            rec.input("areas", src, sha256_hex(&bytes), a.len(), "features");
            crate::footprint::note_overlaps(&a, notes);
            Some(a)
        }
        None => None,
    };

    // 3. Footprint.
    stage(3, "daily footprint");
    let t = Instant::now();
    match (&areas, &inputs.towers, &inputs.records) {
        (Some(area_table), Some(towers), Some(records)) => {
            let (tower_bytes, tower_sha) = towers.text(config)?;
            rec.input("towers", towers, tower_sha, csv_rows(&tower_bytes), "rows");
            let hash = std::sync::Arc::new(std::sync::Mutex::new(Sha256::new()));
            let mut p = FootprintParams::new(config, None, None, None)?;
            p.epsg = spec.epsg;
            let parquet = records.parquet_path();
            // a file read again when its phone-days pass [footprint] memory
            let again = match records {
                Source::File { path, .. } if p.memory.is_some() && parquet.is_none() => {
                    Some(path.as_path())
                }
                _ => None,
            };
            let size_of = |path: &Path| std::fs::metadata(path).ok().map(|m| m.len());
            let (input, size) = match (parquet, again) {
                // a Parquet file is read by row group, out of order: hashed whole
                (Some(path), _) => (RecordsInput::Parquet(path), size_of(path)),
                (None, Some(path)) => (RecordsInput::CsvFile(path), size_of(path)),
                (None, None) => {
                    let (reader, size) = records.open()?;
                    let hashing = Hashing {
                        inner: reader,
                        hash: hash.clone(),
                    };
                    (RecordsInput::Csv(hashing), size)
                }
            };
            let (tn, rn) = (towers.name(), records.name());
            let fp = crate::footprint::compute(
                FootprintInputs {
                    areas: area_table,
                    towers: (&tn, &tower_bytes),
                    records: (&rn, input),
                    records_size: size,
                },
                &p,
                notes,
            )?;
            let sha = match parquet.or(again) {
                Some(path) => sha256_file(path)?,
                None => hash
                    .lock()
                    .map(|h| format!("{:x}", h.clone().finalize()))
                    .unwrap_or_default(),
            };
            rec.input("records", records, sha, (fp.stats.read) as usize, "rows");
            rec.said
                .insert("footprint.geojson".into(), fp.summary.clone());
            let skipped: Map<String, Json> = fp
                .stats
                .kinds()
                .iter()
                .map(|(k, s)| (k.replace(' ', "_"), json!(s.count)))
                .collect();
            rec.counts
                .insert("records_used".into(), json!(fp.stats.used));
            rec.counts
                .insert("records_left_out".into(), Json::Object(skipped));
            rec.counts.insert("phone_days".into(), json!(fp.phone_days));
            rec.counts
                .insert("areas_suppressed".into(), json!(fp.suppressed));
            rec.counts
                .insert("areas_suppressed_secondary".into(), json!(fp.secondary));
            tables.push((
                "footprint_by_category.csv",
                &FOOTPRINT_CATEGORY_COLUMNS,
                fp.rows,
            ));
            layers.push(fp.layer);
        }
        _ => rec
            .skipped
            .push("footprint: needs [inputs] areas, towers and records".into()),
    }
    rec.time("footprint", t);

    // 4–5. Events: hot spots and indicators.
    let events = match &inputs.events {
        Some(src) => {
            let (bytes, sha) = src.text(config)?;
            rec.input("events", src, sha, csv_rows(&bytes), "rows");
            let e = read_events(&src.name(), &bytes, spec.epsg, spec.epsg)?;
            crate::analysis::note_no_events(&src.name(), &e, notes);
            Some(e)
        }
        None => None,
    };
    stage(4, "hot spots");
    // the hot spots warn of events outside the study grid; emerging hot spots need not again
    let hotspots_ran = events.is_some() && (grid.is_some() || areas.is_some());
    let t = Instant::now();
    let study = match (&grid, &areas) {
        (Some(g), _) => Some(study_grid_of(g)),
        (None, Some(a)) => Some(study_grid_covering(a, spec)?),
        _ => None,
    };
    match (&events, &study) {
        (Some(ev), Some(study)) => {
            let (band, fdr) = hotspot_params(config, None, false)?;
            let (layer, summary, outside) = hotspots(study, ev, band, fdr, notes)?;
            rec.said.insert("hotspots.geojson".into(), summary);
            rec.counts
                .insert("events".into(), json!(ev.positions.len()));
            rec.counts
                .insert("events_outside_study_grid".into(), json!(outside));
            layers.push(layer);
        }
        (None, _) => rec.skipped.push("hotspots: no [inputs] events".into()),
        (Some(_), None) => rec
            .skipped
            .push("hotspots: needs [inputs] grid or areas as the study grid".into()),
    }
    rec.time("hotspots", t);
    stage(5, "indicators");
    let t = Instant::now();
    match (&events, &areas, &grid) {
        (Some(ev), Some(a), Some(g)) if g.has_population => {
            let by = crate::change::period_by(None, config.indicators.by.as_deref(), "indicators")?;
            let t = indicator_table(ev, a, g, config.indicators.total_area_km2, by, notes)?;
            rec.said.insert("indicators.csv".into(), t.summary);
            tables.push(("indicators.csv", &INDICATOR_COLUMNS, t.rows));
            tables.extend(t.by_period.into_iter().flatten());
        }
        _ => rec
            .skipped
            .push("indicators: needs [inputs] events, areas and a grid with population".into()),
    }
    rec.time("indicators", t);

    // 6. Assessment.
    stage(6, "assessment");
    let t = Instant::now();
    match &inputs.answers {
        Some(src) => {
            let (bytes, sha) = src.text(config)?;
            rec.input("answers", src, sha, csv_rows(&bytes), "rows");
            let rows = assessments(&src.name(), &bytes, areas.as_ref(), notes)?;
            rec.counts
                .insert("area_years_assessed".into(), json!(rows.len()));
            rec.said
                .insert("assessment.csv".into(), counted(rows.len(), "area-year"));
            if let Some(a) = &areas {
                layers.push(assessment_layer(a, &rows));
            }
            tables.push((
                "assessment.csv",
                &ASSESSMENT_COLUMNS,
                assessment_rows(&rows),
            ));
        }
        None => rec.skipped.push("assessment: no [inputs] answers".into()),
    }
    rec.time("assessment", t);

    // 7. Candidate areas and, with areas, the concordance.
    stage(7, "candidate areas");
    let t = Instant::now();
    match (&grid, &index) {
        (Some(g), Some(lci)) => {
            let params = config
                .candidate_params()
                .map_err(|e| Failure::Usage(format!("[candidates] {e}")))?;
            let p = crate::proposals::proposals(g, lci, areas.as_ref(), &params, notes);
            rec.said
                .insert("candidates.geojson".into(), p.summary.clone());
            rec.counts.insert("candidate_areas".into(), json!(p.found));
            if let Some(new) = p.new {
                rec.counts.insert("candidate_areas_new".into(), json!(new));
            }
            if let Some(rows) = p.concordance {
                tables.push(("concordance.csv", &CONCORDANCE_COLUMNS, rows));
            } else {
                rec.skipped.push("concordance: needs [inputs] areas".into());
            }
            layers.push(p.layer);
        }
        _ => rec
            .skipped
            .push("candidates: needs a grid with an index".into()),
    }
    rec.time("candidates", t);

    // 8. Local Moran's I.
    stage(8, "local Moran's I");
    let t = Instant::now();
    let variable = crate::proposals::lisa_variable(config, None)?;
    let method = config
        .lisa_method(None, None, None, false)
        .map_err(|e| Failure::Usage(format!("[lisa] {e}")))?;
    let have = match (&variable, &grid) {
        _ if !config.lisa.asked => Err(
            "lisa: no [lisa] section in the config (local Moran's I runs 999 permutations a cell: ask for it)"
                .to_string(),
        ),
        (_, None) => Err("lisa: no [inputs] grid".to_string()),
        (LisaVariable::Index, Some(_)) if index.is_none() => {
            Err("lisa: the grid has no index".to_string())
        }
        (LisaVariable::Count, Some(_)) if events.is_none() => {
            Err("lisa: variable count needs [inputs] events".to_string())
        }
        (_, Some(g)) => Ok(g),
    };
    match have {
        Ok(g) => {
            let (cells, values) = crate::proposals::lisa_values(
                g,
                index.as_ref(),
                events.as_ref(),
                &variable,
                config,
            )?;
            let (layer, summary) =
                crate::proposals::lisa(g, &cells, &values, &variable, &method, notes)?;
            rec.said.insert("lisa.geojson".into(), summary);
            rec.counts.insert("lisa_cells".into(), json!(cells.len()));
            layers.push(layer);
        }
        Err(why) => rec.skipped.push(why),
    }
    rec.time("lisa", t);

    // 9. Change between the editions of the index.
    stage(9, "change since the earlier edition");
    let t = Instant::now();
    match (&inputs.grid_before, &grid) {
        (Some(src), Some(g)) if index.is_some() => {
            let (bytes, sha) = src.text(config)?;
            rec.input("grid_before", src, sha, csv_rows(&bytes), "rows");
            let before = crate::pipeline::load_grid(&src.name(), &bytes, config, true, notes)?;
            let names = (
                src.name(),
                inputs.grid.as_ref().map(Source::name).unwrap_or_default(),
            );
            let ch = crate::change::index_change(
                &before,
                g,
                config,
                areas.as_ref(),
                (&names.0, &names.1),
                notes,
            )?;
            rec.said.insert("change.geojson".into(), ch.summary.clone());
            for (k, n) in [
                "cells_in_both_editions",
                "cells_new",
                "cells_gone",
                "cells_without_index_in_one",
            ]
            .iter()
            .zip(ch.statuses)
            {
                rec.counts.insert((*k).into(), json!(n));
            }
            tables.push(("class_transitions.csv", &TRANSITION_COLUMNS, ch.transitions));
            if let Some(rows) = ch.by_area {
                tables.push((
                    "change_by_area.csv",
                    &crate::change::CHANGE_BY_AREA_COLUMNS,
                    rows,
                ));
            }
            layers.push(ch.layer);
        }
        (None, _) => rec
            .skipped
            .push("change: no [change] before (an earlier edition of the grid)".into()),
        _ => rec
            .skipped
            .push("change: needs a grid with an index and [change] before".into()),
    }
    rec.time("change", t);

    // 10. Emerging hot spots.
    stage(10, "emerging hot spots");
    let t = Instant::now();
    let by = crate::change::period_by(None, config.emerging.by.as_deref(), "emerging")?;
    match (&events, &study, by) {
        (Some(ev), Some(study), Some(by)) => {
            let method = crate::change::emerging_method(config, None, None, false)?;
            let (layer, summary) =
                crate::change::emerging(study, ev, by, &method, hotspots_ran, notes)?;
            rec.said.insert("emerging.geojson".into(), summary);
            // cells by pattern, in the layer's words
            let mut patterns: std::collections::BTreeMap<String, usize> = Default::default();
            for f in &layer.features {
                if let Some(stratmap_io::Value::Text(p)) = f.values.get(1) {
                    *patterns.entry(p.clone()).or_default() += 1;
                }
            }
            rec.counts
                .insert("emerging_patterns".into(), json!(patterns));
            layers.push(layer);
        }
        (_, _, None) => rec
            .skipped
            .push("emerging: no [emerging] by (year, quarter or month)".into()),
        _ => rec
            .skipped
            .push("emerging: needs [inputs] events and a study grid".into()),
    }
    rec.time("emerging", t);

    // Writing. The inputs are not needed any more: their memory (a national
    // grid's statistics are 80 MB) is given back before the layers are
    // written, which is when a run holds the most.
    drop((grid, index, areas, events, study));
    notes.stage(&format!("writing to {}", out.display()));
    let t = Instant::now();
    for layer in &layers {
        rec.layers.push(layer.name.clone());
    }
    // a raster that cannot be made is refused before any file is written
    if wants("tif") {
        if let Some(l) = layers.iter().find(|l| l.name == "living_conditions") {
            stratmap_io::check_raster(l).map_err(|e| {
                Problem::file(
                    &inputs.grid.as_ref().map(Source::name).unwrap_or_default(),
                    e.to_string(),
                )
            })?;
        }
    }
    let products = Products {
        layers: &layers,
        tables: &tables,
        epsg: spec.epsg,
        basemap: config.output.basemap.as_deref(),
    };
    let mut written: Vec<Written> = Vec::new();
    // a grid layer too large for the viewer gets its vector tiles, asked or not
    let too_big: Vec<&str> = layers
        .iter()
        .filter(|l| {
            crate::output::TILE_LAYERS.contains(&l.name.as_str())
                && l.features.len() > crate::viewer::MAX_VIEWER_FEATURES
        })
        .map(|l| l.name.as_str())
        .collect();
    let tiles = wants("tiles") || !too_big.is_empty();
    if tiles && !wants("tiles") {
        notes.note(&format!(
            "writing vector tiles (.mbtiles) although [output] formats does not ask for \"tiles\": {} {} more than the viewer's {} features; stratmap serve {} shows them",
            too_big.join(", "),
            if too_big.len() == 1 { "has" } else { "have" },
            crate::viewer::MAX_VIEWER_FEATURES,
            out.display()
        ));
    }
    let chosen: Vec<&dyn crate::output::OutputFormat> = crate::output::ALL
        .into_iter()
        .filter(|f| wants(f.name()) || (f.name() == "tiles" && tiles))
        .collect();
    let done = write_formats(&chosen, &products, out, notes);
    for (format, (files, t)) in chosen.iter().zip(done).filter_map(|(f, d)| Some((f, d?))) {
        written.extend(files?);
        rec.timings
            .insert(format!("writing_{}", format.name()), json!(t));
    }
    for w in &written {
        if let Some(said) = &w.said {
            rec.said.insert(w.file.clone(), said.clone());
        }
    }
    rec.time("writing", t);
    // Outputs an earlier run left here that this run did not make would sit
    // beside the new ones as if they were of this run: remove them, and say so.
    for file in crate::output::run_outputs() {
        let path = out.join(&file);
        if path.is_file() && !written.iter().any(|w| w.file == file) {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            notes.note(&format!(
                "removed {} left by an earlier run (this run does not make it)",
                path.display()
            ));
        }
    }
    // each output's size and SHA-256, files read in pieces, in parallel
    let t = Instant::now();
    let hashed: Vec<(u64, String)> = written
        .par_iter()
        .map(|w| {
            let path = out.join(&w.file);
            let bytes = std::fs::metadata(&path)
                .map_err(|e| Error::io(&path, e))?
                .len();
            Ok((bytes, sha256_file(&path)?))
        })
        .collect::<Result<_, Error>>()?;
    rec.time("hashing_outputs", t);
    for (
        Written {
            file,
            content: what,
            count: n,
            unit,
            ..
        },
        (bytes, sha),
    ) in written.iter().zip(hashed)
    {
        let path = out.join(file);
        rec.outputs.push(
            json!({ "file": file, "content": what, *unit: n, "bytes": bytes, "sha256": sha }),
        );
        let said = rec
            .said
            .get(file)
            .cloned()
            .unwrap_or_else(|| counted(*n, unit.trim_end_matches('s')));
        say!(notes, "wrote {} ({said})", path.display());
    }

    let warnings = notes.warnings();
    let summary = json!({
        "stratmap": { "version": env!("CARGO_PKG_VERSION") },
        "config": settings,
        "inputs": rec.inputs,
        "outputs": rec.outputs,
        "layers_skipped": rec.skipped,
        "counts": rec.counts,
        "warnings": warnings,
        "timings_s": rec.timings,
    });
    let path = out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary)
        .map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
    write_atomic(&path, |w| writeln!(w, "{text}"))?;
    say!(
        notes,
        "wrote {} (provenance: inputs with SHA-256, settings, counts)",
        path.display()
    );
    for s in &rec.skipped {
        notes.note(&format!("skipped {s}"));
    }
    say!(
        notes,
        "stratmap run: {} ({}), {}; outputs in {}",
        counted(rec.layers.len(), "layer"),
        rec.layers.join(", "),
        counted(warnings.len(), "warning"),
        out.display()
    );
    crate::pipeline::drop_aside((layers, tables));
    Ok(())
}

/// `stratmap run CONFIG.toml [--out DIR]`: paths in the config are relative
/// to it.
pub fn run_command(config_path: &Path, out: Option<&Path>, notes: &Notes) -> Result<(), Failure> {
    let config = crate::pipeline::load_config(Some(config_path))?;
    let base = config_path.parent().unwrap_or(Path::new("."));
    let src = |p: &Option<PathBuf>| {
        p.as_ref().map(|p| Source::File {
            given: p.display().to_string(),
            path: base.join(p),
        })
    };
    let i = &config.inputs;
    if [
        &i.grid, &i.areas, &i.towers, &i.records, &i.events, &i.answers,
    ]
    .iter()
    .all(|p| p.is_none())
    {
        return Err(Failure::Usage(format!(
            "{}: expected an [inputs] section naming at least one input file (grid, areas, towers, records, events, answers)",
            config_path.display()
        )));
    }
    let inputs = Inputs {
        grid: src(&i.grid),
        grid_before: src(&config.change.before),
        areas: src(&i.areas),
        towers: src(&i.towers),
        records: src(&i.records),
        events: src(&i.events),
        answers: src(&i.answers),
    };
    let out = match (out, &config.output.dir) {
        (Some(o), _) => o.to_path_buf(),
        (None, Some(d)) => base.join(d),
        (None, None) => base.join("out"),
    };
    let formats = config
        .output
        .formats
        .clone()
        .unwrap_or_else(|| DEFAULT_FORMATS.iter().map(|f| f.to_string()).collect());
    run(&config, &inputs, &formats, &out, notes)
}
