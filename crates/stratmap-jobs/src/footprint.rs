//! `stratmap footprint`: towers, records and areas to the daily footprint
//! per area (`footprint.geojson`) and per category (`footprint_by_category.csv`).

use crate::pipeline::{counted, read_file, Failure, Notes};
use chrono_tz::Tz;
use std::io::Read;
use std::path::Path;
use stratmap_core::Epsg;
use stratmap_core::{
    category_numbers, FootprintAreas, FootprintMethod, FootprintReport, FootprintTotals,
    PHONE_SHARES,
};
use stratmap_io::write_geojson;
use stratmap_io::Config;
use stratmap_io::Problem;
use stratmap_io::{footprint_category_rows, footprint_layer, FOOTPRINT_CATEGORY_COLUMNS};
use stratmap_io::{is_parquet, read_parquet_records};
use stratmap_io::{
    parse_tz, read_records, read_towers, tower_weights, Categories, MemoryPlan, RecordContext,
    RecordFootprint, RecordStats, Towers,
};
use stratmap_io::{read_areas_file_with, AreaTable};
use stratmap_io::{write_csv, write_data_csv};
use stratmap_io::{Layer, Value};

/// The method's settings, from the command line over the config over the defaults.
pub struct FootprintParams {
    /// The disc radius in metres.
    pub radius: f64,
    /// The time zone of the calendar days and of naive timestamps.
    pub tz: Tz,
    /// Areas touched by fewer distinct phones are blanked; 0 turns it off.
    pub min_phones: u64,
    /// Stop on any record left out instead of counting it.
    pub strict: bool,
    /// The working CRS, also the CRS of `x,y` columns.
    pub epsg: Epsg,
    /// The areas file's CRS when it does not say (default WGS 84).
    pub areas_crs: Option<Epsg>,
    /// Also make the tower → area weight table (`--weights-out`).
    pub weight_table: bool,
    /// The areas' field names and layer (`[areas]`, `--areas-layer`).
    pub areas: stratmap_io::AreaOptions,
    /// The towers file's encoding when not UTF-8 (`[inputs] encoding`).
    pub encoding: Option<String>,
    /// The records come in time order (`--sorted-by-time`, `[footprint]
    /// sorted_by_time`): each day is finished as soon as a later one
    /// begins, so memory holds one day's phone-days.
    pub sorted_by_time: bool,
    /// Bytes the phone-days may take (`--memory`, `[footprint] memory`):
    /// past it the records are read again a share of the phones at a time.
    pub memory: Option<u64>,
}

impl FootprintParams {
    /// The settings from the flags over `[footprint]` over the method's
    /// defaults, checked.
    pub fn new(
        config: &Config,
        radius: Option<f64>,
        tz: Option<&str>,
        min_phones: Option<u32>,
    ) -> Result<Self, Failure> {
        let f = &config.footprint;
        let default = FootprintMethod::default();
        let method = FootprintMethod::new(
            radius.or(f.radius).unwrap_or(default.radius()),
            min_phones
                .map(u64::from)
                .or(f.min_phones.map(u64::from))
                .unwrap_or(default.min_phones),
        )
        .map_err(|e| Failure::Usage(e.to_string()))?;
        let tz = parse_tz(tz.or(f.tz.as_deref()).unwrap_or("Europe/Stockholm"))
            .map_err(|e| Failure::Usage(e.to_string()))?;
        let epsg = crate::analysis::config_spec(config)?.epsg;
        Ok(FootprintParams {
            radius: method.radius(),
            tz,
            min_phones: method.min_phones,
            strict: false,
            epsg,
            areas_crs: None,
            weight_table: false,
            areas: config.area_options(None),
            encoding: config.inputs.encoding.clone(),
            sorted_by_time: f.sorted_by_time.unwrap_or(false),
            memory: f
                .memory
                .as_deref()
                .map(stratmap_io::config::parse_size)
                .transpose()
                .map_err(|e| Failure::Usage(format!("[footprint] memory = {e}")))?,
        })
    }
}

/// The footprint layer and table, and a summary line.
pub struct FootprintOutput {
    /// The `footprint` layer.
    pub layer: Layer,
    /// The rows of `footprint_by_category.csv`.
    pub rows: Vec<Vec<Value>>,
    /// The line said when the layer is written.
    pub summary: String,
    /// What happened to the records.
    pub stats: RecordStats,
    /// Distinct phone-days in all.
    pub phone_days: u64,
    /// Areas blanked by disclosure control.
    pub suppressed: usize,
    /// Of them, those blanked to protect others (secondary suppression).
    pub secondary: usize,
    /// `tower_id, area, category, weight` rows, when asked for.
    pub weight_rows: Vec<Vec<Value>>,
}

/// Where the records come from: CSV through a reader or from a file, or a
/// Parquet file (read by row group, its columns in parallel). A file can
/// be read again, a share of the phones at a time, when the phone-days
/// pass the memory budget (`FootprintParams::memory`).
pub enum RecordsInput<'a, R: Read> {
    /// CSV text, streamed from a reader (standard input, text in memory):
    /// read once, whatever the memory budget.
    Csv(R),
    /// A CSV file.
    CsvFile(&'a Path),
    /// A Parquet file.
    Parquet(&'a Path),
}

/// Where the inputs come from: names for messages and their contents.
pub struct FootprintInputs<'a, R: Read> {
    /// The areas, read.
    pub areas: &'a AreaTable,
    /// The towers file: its name for messages and its bytes.
    pub towers: (&'a str, &'a [u8]),
    /// The records file: its name for messages and where it is read from.
    pub records: (&'a str, RecordsInput<'a, R>),
    /// Size of the records in bytes, for progress, when known.
    pub records_size: Option<u64>,
}

/// The footprint of the records over the areas: the layer, the table and
/// the counts, with notes on what was left out (an error with `strict`).
pub fn compute<R: Read + Send>(
    input: FootprintInputs<R>,
    p: &FootprintParams,
    notes: &Notes,
) -> Result<FootprintOutput, Failure> {
    let started = std::time::Instant::now();
    let areas = input.areas;
    let towers = read_towers(input.towers.0, input.towers.1, p.epsg, p.epsg)?;
    note_far_areas(
        areas,
        towers.positions.iter().copied(),
        "every tower",
        notes,
    );
    notes.stage("computing each tower's disc over the areas");
    let fa = FootprintAreas::with_overlaps(areas.polygons(), areas.overlaps().to_vec(), p.radius);
    let weights = tower_weights(&fa, &towers);
    let weight_rows = if p.weight_table {
        weight_table(areas, &fa, &towers)
    } else {
        Vec::new()
    };
    let (cat, names) = category_numbers(&areas.categories());
    let mut ctx = RecordContext {
        areas: &fa,
        towers: &towers,
        tower_weights: &weights,
        tz: p.tz,
        xy_epsg: p.epsg,
        working: p.epsg,
        sorted_by_time: p.sorted_by_time.then_some(Categories {
            of_area: &cat,
            count: names.len(),
        }),
        memory: Default::default(),
    };
    let (rname, reader) = input.records;
    let size = input.records_size;
    let progress = |records: u64, bytes: u64| {
        let pct = size
            .filter(|s| *s > 0)
            .map(|s| format!(", {:.0} %", 100.0 * bytes as f64 / s as f64))
            .unwrap_or_default();
        notes.stage(&format!(
            "reading {rname}: {:.1} M records{pct}",
            records as f64 / 1e6
        ));
    };
    let prepared = started.elapsed();
    let place = match reader {
        RecordsInput::Parquet(_) => "row",
        _ => "line",
    };
    let categories = Categories {
        of_area: &cat,
        count: names.len(),
    };
    let fp = sum_records(
        (rname, reader),
        &mut ctx,
        categories,
        p.memory,
        size,
        &progress,
        notes,
    )?;
    let read = started.elapsed();
    for n in &fp.notes {
        notes.say(n);
    }
    report_skipped(rname, &fp.stats, place, p.strict, notes)?;
    notes.stage("summing per area");
    let totals = fp.totals;
    if std::env::var_os("STRATMAP_ENGINE_STATS").is_some() {
        // for the benchmarks (docs/benchmarks.md): the engine's memory and
        // the time of each step
        let (bytes, days) = (fp.state_bytes, fp.phone_days.max(1));
        eprintln!(
            "engine state: {:.1} MB at the end{}, {:.1} bytes per phone-day ({days} phone-days); towers and discs {:.2} s, records {:.2} s, totals {:.2} s",
            bytes as f64 / 1e6,
            match fp.shares {
                1 => String::new(),
                n => format!(" (of the last of {n} shares of the phones)"),
            },
            bytes as f64 / days as f64,
            prepared.as_secs_f64(),
            (read - prepared).as_secs_f64(),
            (started.elapsed() - read).as_secs_f64(),
        );
    }
    let report = FootprintReport::new(&totals, &cat, &names, p.min_phones);
    let summary = format!(
        "{}, {} suppressed (< {} phones){}; {} → {}{}",
        counted(areas.len(), "area"),
        report.suppressed - report.secondary,
        p.min_phones,
        match report.secondary {
            0 => String::new(),
            n => format!(" and {n} more so that none can be worked out from the published figures"),
        },
        counted(fp.stats.used as usize, "record"),
        counted(totals.total_phone_days as usize, "phone-day"),
        match fp.stats.skipped() {
            0 => String::new(),
            n => format!(", {} skipped", counted(n as usize, "record")),
        }
    );
    Ok(FootprintOutput {
        layer: footprint_layer(areas, &report),
        rows: footprint_category_rows(&report.categories),
        summary,
        stats: fp.stats.clone(),
        phone_days: totals.total_phone_days,
        suppressed: report.suppressed,
        secondary: report.secondary,
        weight_rows,
    })
}

/// The records summed: what was read and left out, notes, the totals, and
/// for the benchmarks' report the engine's state at the end, the
/// phone-days and the shares of the phones read.
struct Summed {
    stats: RecordStats,
    notes: Vec<stratmap_core::Notice>,
    totals: FootprintTotals,
    state_bytes: usize,
    phone_days: usize,
    shares: usize,
}

impl Summed {
    fn of(fp: RecordFootprint, c: Categories) -> Self {
        Summed {
            totals: fp.totals(c.of_area, c.count),
            state_bytes: fp.engine.state_bytes(),
            phone_days: fp.engine.phone_days(),
            stats: fp.stats,
            notes: fp.notes,
            shares: 1,
        }
    }
}

/// Reads the records into totals over `ctx`. With a memory budget, a file
/// whose phone-days pass it is read again a share of the phones at a time
/// (each phone in one share: the shares' totals add up, in integers, to
/// the same as one reading); more shares when one still does not fit, up
/// to [`PHONE_SHARES`], which is summed whatever it takes.
fn sum_records<R: Read + Send>(
    (rname, input): (&str, RecordsInput<R>),
    ctx: &mut RecordContext,
    categories: Categories,
    budget: Option<u64>,
    size: Option<u64>,
    progress: &(dyn Fn(u64, u64) + Sync),
    notes: &Notes,
) -> Result<Summed, Failure> {
    let path = match input {
        RecordsInput::Csv(r) => {
            return Ok(Summed::of(
                read_records(rname, r, ctx, progress)?,
                categories,
            ));
        }
        RecordsInput::CsvFile(path) => Ok(path),
        RecordsInput::Parquet(path) => Err(path),
    };
    let budget = budget.map(|b| usize::try_from(b).unwrap_or(usize::MAX));
    ctx.memory = MemoryPlan {
        budget,
        share: None,
    };
    let passed_at = match read_records_file(rname, path, ctx, progress) {
        Ok(fp) => return Ok(Summed::of(fp, categories)),
        Err(stratmap_io::Error::OverBudget { read }) => read.max(1),
        Err(e) => return Err(e.into()),
    };
    // Read again, the file must give the same records: a pipe or device
    // would give nothing the second time, and the shares would silently
    // miss phones.
    let file = path.unwrap_or_else(|p| p);
    if !std::fs::metadata(file).is_ok_and(|m| m.is_file()) {
        return Err(Problem::file(
            rname,
            "the phone-days pass --memory, and the records would be read again a share of the phones at a time: expected a regular file that can be read again (not a pipe or device), or a larger --memory",
        )
        .into());
    }
    // the state grows no faster than the input: the share read when the
    // budget was passed says how many shares of the phones fit, with room
    let whole = size.unwrap_or(0).max(passed_at) as f64 / passed_at as f64;
    let mut shares = ((whole * 1.5).ceil() as usize).clamp(2, PHONE_SHARES);
    'shares: loop {
        notes.note(&format!(
            "{rname}: the phone-days pass --memory {}: the records are read again for {shares} shares of the phones, one at a time",
            shown_size(budget.unwrap_or(0) as u64)
        ));
        let mut sum: Option<Summed> = None;
        let n = shares;
        for share in 0..n {
            ctx.memory = MemoryPlan {
                // the last split: summed whatever it takes
                budget: budget.filter(|_| n < PHONE_SHARES),
                share: Some((share, n)),
            };
            let fp = match read_records_file(rname, path, ctx, progress) {
                Ok(fp) => Summed::of(fp, categories),
                Err(stratmap_io::Error::OverBudget { .. }) => {
                    shares = (n * 2).min(PHONE_SHARES);
                    continue 'shares;
                }
                Err(e) => return Err(e.into()),
            };
            if sum.as_ref().is_some_and(|s| s.stats != fp.stats) {
                return Err(Problem::file(
                    rname,
                    "the file changed while it was read again for --memory (another count of records or of rows left out): expected the same file throughout the run",
                )
                .into());
            }
            sum = Some(match sum {
                None => fp,
                Some(mut s) => {
                    s.totals.merge(&fp.totals);
                    s.state_bytes = fp.state_bytes;
                    s.phone_days += fp.phone_days;
                    s
                }
            });
        }
        if let Some(s) = sum {
            return Ok(Summed { shares, ..s });
        }
    }
}

/// The records of a CSV file (`Ok`) or a Parquet file (`Err`).
fn read_records_file<'a>(
    rname: &str,
    path: Result<&Path, &Path>,
    ctx: &RecordContext<'a>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<RecordFootprint<'a>, stratmap_io::Error> {
    match path {
        Ok(csv) => {
            let f = std::fs::File::open(csv).map_err(|e| stratmap_io::Error::io(csv, e))?;
            read_records(rname, f, ctx, progress)
        }
        Err(parquet) => read_parquet_records(rname, parquet, ctx, progress),
    }
}

/// A size in bytes as `--memory` takes it: `256 MiB`, `2 GiB`.
fn shown_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{:.0} MiB", b as f64 / f64::from(1 << 20)),
        b => format!("{b} bytes"),
    }
}

/// The columns of the `--weights-out` table.
pub const WEIGHT_COLUMNS: [&str; 4] = ["tower_id", "area", "category", "weight"];

/// Every tower's disc fraction in every area it overlaps, exactly (not
/// rounded as the sums are), by tower id then area name.
fn weight_table(areas: &AreaTable, fa: &FootprintAreas, towers: &Towers) -> Vec<Vec<Value>> {
    let mut ids: Vec<(&String, &u32)> = towers.ids.iter().collect();
    ids.sort();
    let mut rows = Vec::new();
    for (id, &t) in ids {
        for (a, f) in fa.fractions(towers.positions[t as usize]) {
            rows.push(vec![
                Value::Text(id.clone()),
                Value::Text(areas.areas[a].name.clone()),
                Value::Text(areas.areas[a].category.clone()),
                Value::Real(f),
            ]);
        }
    }
    rows
}

/// Warns about areas that overlap (SPEC §3.2: allowed, always warned
/// about), whatever the command does with them.
pub fn note_overlaps(areas: &AreaTable, notes: &Notes) {
    let overlaps = areas.overlaps();
    for &(i, j, a) in overlaps.iter().take(10) {
        notes.warn(&format!(
            "areas {:?} and {:?} overlap by {:.0} m²; what falls in the overlap counts in both (a footprint disc once in \"outside\")",
            areas.name(i), areas.name(j), a
        ));
    }
    if overlaps.len() > 10 {
        notes.warn(&format!(
            "… {} overlapping pairs of areas in all",
            overlaps.len()
        ));
    }
}

/// How far from every input point an area may lie before it is warned
/// about: further than a footprint disc, a hot-spot band or a grid cell can
/// reach, it most likely sits in the wrong place (a CRS mix-up).
pub const FAR_AREA_M: f64 = 50_000.0;

/// Warns about areas lying more than [`FAR_AREA_M`] from the bounding box of
/// `points` (`what` says what the points are: "every tower", …).
pub fn note_far_areas(
    areas: &AreaTable,
    points: impl Iterator<Item = (f64, f64)>,
    what: &str,
    notes: &Notes,
) {
    use geo::BoundingRect;
    let (mut x0, mut y0, mut x1, mut y1) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for (x, y) in points {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        return;
    }
    let far: Vec<(String, f64)> = areas
        .areas
        .iter()
        .filter_map(|a| {
            let (p, n) = (&a.geometry, &a.name);
            let b = p.bounding_rect()?;
            let dx = (x0 - b.max().x).max(b.min().x - x1).max(0.0);
            let dy = (y0 - b.max().y).max(b.min().y - y1).max(0.0);
            let d = dx.hypot(dy);
            (d > FAR_AREA_M).then(|| (n.clone(), d))
        })
        .collect();
    if let Some((name, d)) = far.first() {
        notes.warn(&format!(
            "{} {} {} km or more from {what} (area {name:?}: {:.0} km): is a CRS wrong?",
            crate::pipeline::counted(far.len(), "area"),
            if far.len() == 1 { "lies" } else { "lie" },
            FAR_AREA_M / 1000.0,
            d / 1000.0
        ));
    }
}

/// Notes on the records left out; with `strict` they are an error. `place`
/// is what the numbers count: "line" (CSV) or "row" (Parquet).
fn report_skipped(
    file: &str,
    stats: &RecordStats,
    place: &str,
    strict: bool,
    notes: &Notes,
) -> Result<(), Failure> {
    let mut problems = Vec::new();
    for (kind, s) in stats.kinds() {
        if s.count == 0 {
            continue;
        }
        let lines: Vec<String> = s
            .first
            .iter()
            .map(|(l, why)| format!("{place} {l}: {why}"))
            .collect();
        let more = if s.count > s.first.len() as u64 {
            ", …"
        } else {
            ""
        };
        if !strict {
            notes.warn(&format!(
                "{file}: {} left out ({kind}): {}{more}",
                counted(s.count as usize, "record"),
                lines.join("; ")
            ));
        }
        problems.extend(s.first.iter().map(|(l, why)| match place {
            "line" => Problem::file(file, format!("{why} ({kind})")).at_line(*l),
            _ => Problem::file(file, format!("{place} {l}: {why} ({kind})")),
        }));
    }
    if strict && !problems.is_empty() {
        return Err(Failure::Io(stratmap_io::Error::Input(problems)));
    }
    Ok(())
}

/// Writes `footprint.geojson` and `footprint_by_category.csv` into `dir`.
pub fn write(out: &FootprintOutput, dir: &Path, notes: &Notes) -> Result<(), Failure> {
    let layer_path = dir.join("footprint.geojson");
    write_geojson(&out.layer, &layer_path)?;
    say!(notes, "wrote {} ({})", layer_path.display(), out.summary);
    let table = dir.join("footprint_by_category.csv");
    write_csv(&FOOTPRINT_CATEGORY_COLUMNS, &out.rows, &table)?;
    say!(
        notes,
        "wrote {} ({})",
        table.display(),
        counted(out.rows.len(), "row")
    );
    Ok(())
}

/// The files a `footprint` command was given.
pub struct FootprintFiles<'a> {
    /// The towers CSV.
    pub towers: &'a Path,
    /// The connection records: CSV, or Parquet by the extension `.parquet`.
    pub records: &'a Path,
    /// The areas.
    pub areas: &'a Path,
    /// The output directory.
    pub out: &'a Path,
    /// Where to write the tower → area weight table, if anywhere.
    pub weights_out: Option<&'a Path>,
}

/// `stratmap footprint`: reads, computes and writes the footprint layer,
/// its table and, when asked, the tower → area weight table.
pub fn footprint_command(
    files: &FootprintFiles,
    p: &FootprintParams,
    notes: &Notes,
) -> Result<(), Failure> {
    if matches!(
        stratmap_io::extension(files.out).as_str(),
        "geojson" | "json" | "csv" | "gpkg"
    ) {
        return Err(Failure::Usage(format!(
            "--out {}: expected a directory (footprint.geojson and footprint_by_category.csv go in it)",
            files.out.display()
        )));
    }
    notes.stage(&format!("reading {}", files.areas.display()));
    let areas = read_areas_file_with(files.areas, p.epsg, p.areas_crs, &p.areas)?;
    note_overlaps(&areas, notes);
    let towers = stratmap_io::decode_text(
        &files.towers.display().to_string(),
        read_file(files.towers)?,
        p.encoding.as_deref(),
    )?;
    // `--records -`: CSV from standard input (an export piped from a
    // database); a `.parquet` file by its extension
    let (records, size): (RecordsInput<Box<dyn std::io::Read + Send>>, Option<u64>) =
        if stratmap_io::is_stdio(files.records) {
            if p.memory.is_some() {
                return Err(Failure::Usage(
                    "--memory reads the records again when their phone-days do not fit: expected a records file, not standard input (--records -)".into(),
                ));
            }
            (RecordsInput::Csv(Box::new(std::io::stdin())), None)
        } else if is_parquet(files.records) {
            let size = std::fs::metadata(files.records).ok().map(|m| m.len());
            (RecordsInput::Parquet(files.records), size)
        } else {
            let size = std::fs::metadata(files.records)
                .map_err(|e| stratmap_io::Error::io(files.records, e))?
                .len();
            (RecordsInput::CsvFile(files.records), Some(size))
        };
    let (tn, rn) = (
        files.towers.display().to_string(),
        files.records.display().to_string(),
    );
    let out = compute(
        FootprintInputs {
            areas: &areas,
            towers: (&tn, &towers),
            records: (&rn, records),
            records_size: size,
        },
        p,
        notes,
    )?;
    write(&out, files.out, notes)?;
    if let Some(path) = files.weights_out {
        write_data_csv(&WEIGHT_COLUMNS, &out.weight_rows, path)?;
        say!(
            notes,
            "wrote {} (tower → area weights: {})",
            path.display(),
            counted(out.weight_rows.len(), "row")
        );
    }
    Ok(())
}
