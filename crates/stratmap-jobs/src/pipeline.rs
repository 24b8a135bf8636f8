//! What each command does, from files to files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use stratmap_core::{youth_groups, YouthCell};
use stratmap_core::{Group, LivingConditionsIndex, Status, Variable};
use stratmap_core::{Level, Notice};
use stratmap_io::read_towers;
use stratmap_io::Config;
use stratmap_io::Layer;
use stratmap_io::{living_conditions_layer, youth_layer};
use stratmap_io::{read_grid, GridTable};
use stratmap_io::{read_text_file, TextLimits};
use stratmap_io::{Error, Problem};

/// A failure of a command, with its exit code (SPEC §6).
#[derive(Debug)]
pub enum Failure {
    /// Wrong use of the command line (exit 2).
    Usage(String),
    /// Bad input (1) or I/O (3).
    Io(Error),
    /// Validation found problems (1); they were already printed.
    Invalid(usize),
    /// Validation could not read some files (3), and found problems in
    /// others; all were already printed.
    Unreadable {
        /// Files that could not be read.
        files: usize,
        /// Problems found in the others.
        problems: usize,
    },
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Io(e)
    }
}

impl From<Problem> for Failure {
    fn from(p: Problem) -> Self {
        Failure::Io(p.into())
    }
}

impl Failure {
    /// The failure as the sentence to print (`error: …`).
    pub fn report(&self) -> String {
        match self {
            Failure::Usage(m) => format!("error: {m}"),
            Failure::Io(Error::Input(p)) if p.len() > 1 => {
                format!(
                    "error: {} problems in the input:\n{}",
                    p.len(),
                    Error::Input(p.clone())
                )
            }
            Failure::Io(e) => format!("error: {e}"),
            Failure::Invalid(n) => format!("error: {} found", counted(*n, "problem")),
            Failure::Unreadable { files, problems } => format!(
                "error: {} could not be read{}",
                counted(*files, "file"),
                if *problems > 0 {
                    format!(
                        ", and {} found in the others",
                        counted(*problems, "problem")
                    )
                } else {
                    String::new()
                }
            ),
        }
    }

    /// Its exit code: 1 bad input, 2 usage, 3 I/O.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Io(e) => e.exit_code() as u8,
            Failure::Invalid(_) => 1,
            Failure::Unreadable { .. } => 3,
        }
    }
}

/// Where a job's progress, notices and result lines go: the command line
/// draws them on a terminal; a program may log them or ignore them.
pub trait Sink: Send + Sync {
    /// What is being done now (a progress line; may be dropped).
    fn stage(&self, _msg: &str) {}
    /// A notice or hint for the user (the CLI: stderr, unless `--quiet`).
    fn message(&self, line: &str);
    /// A line of results (the CLI: stdout), such as `wrote x.geojson (…)`.
    fn result(&self, line: &str);
    /// The job is over: clear any progress drawn.
    fn finish(&self) {}
}

/// A sink that drops everything (for programs that only want the files and
/// [`Notes::warnings`]).
pub struct Silent;

impl Sink for Silent {
    fn message(&self, _line: &str) {}
    fn result(&self, _line: &str) {}
}

/// What a job says while it works, passed to a [`Sink`]; warnings are also
/// kept, for the run's summary.
pub struct Notes {
    sink: Box<dyn Sink>,
    /// Every warning given, for the run's summary.
    warnings: std::sync::Mutex<Vec<String>>,
}

impl Notes {
    /// Notes that go to `sink`.
    pub fn new(sink: Box<dyn Sink>) -> Self {
        Notes {
            sink,
            warnings: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Shows what is being done now.
    pub fn stage(&self, msg: &str) {
        self.sink.stage(msg);
    }

    /// Says a notice; a warning is also kept for the run's summary.
    pub fn say(&self, n: &Notice) {
        if n.level == Level::Warning {
            if let Ok(mut ws) = self.warnings.lock() {
                ws.push(n.text.clone());
            }
        }
        self.sink.message(&n.to_string());
    }

    /// A warning: something that may make the result not what was meant.
    pub fn warn(&self, text: &str) {
        self.say(&Notice::warning(text));
    }

    /// A note: how the input was read, what was chosen.
    pub fn note(&self, text: &str) {
        self.say(&Notice::note(text));
    }

    /// A line for the user that is neither (a hint, a greeting).
    pub fn tell(&self, text: &str) {
        self.sink.message(text);
    }

    /// A line of results.
    pub fn result(&self, line: &str) {
        self.sink.result(line);
    }

    /// The warnings given so far.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// The job is over.
    pub fn finish(&self) {
        self.sink.finish();
    }
}

/// Reads a CSV input whole, refusing a NUL byte or a line over 1 MiB as
/// soon as it is read (see `stratmap_io::limited`).
pub fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    read_text_file(path, &path.display().to_string(), TextLimits::CSV)
}

/// A CSV input of a config: [`read_file`], then decoded to UTF-8 from the
/// `[inputs] encoding` the config declares (Windows-1252, …).
pub fn read_input(path: &Path, config: &Config) -> Result<Vec<u8>, Error> {
    let bytes = read_file(path)?;
    Ok(stratmap_io::decode_text(
        &path.display().to_string(),
        bytes,
        config.inputs.encoding.as_deref(),
    )?)
}

/// The config file, or the defaults when there is none; bounded in size
/// and checked (every numeric setting in range).
pub fn load_config(path: Option<&Path>) -> Result<Config, Error> {
    match path {
        None => Ok(Config::default()),
        Some(p) => {
            let bytes = read_text_file(p, &p.display().to_string(), TextLimits::CONFIG)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Problem::file(&p.display().to_string(), "expected UTF-8 text"))?;
            Config::parse(&p.display().to_string(), &text)
        }
    }
}

pub use crate::output::layer_format as format_of;

/// A grid file read and checked for the index, or for youth groups. An
/// absent variable column is not an error but is said in a note, so nothing
/// is treated as missing silently.
pub fn load_grid(
    name: &str,
    bytes: &[u8],
    config: &Config,
    for_index: bool,
    notes: &Notes,
) -> Result<GridTable, Error> {
    let grid = read_grid(name, bytes, config)?;
    let problems = if for_index {
        grid.index_problems(name, config)
    } else {
        grid.youth_problems(name, config)
    };
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    note_missing_columns(name, &grid, config, for_index, notes);
    Ok(grid)
}

/// A note for each variable column the grid does not have, so that nothing
/// counts as missing silently.
pub fn note_missing_columns(
    name: &str,
    grid: &GridTable,
    config: &Config,
    for_index: bool,
    notes: &Notes,
) {
    for v in Variable::ALL {
        let needed = for_index || v.group() == Group::Family && v != Variable::SingleParents;
        if needed && !grid.has_variable[v.position()] {
            notes.note(&format!(
                "{name} has no column {:?}: it counts as missing in every cell",
                config.column(v.name()).0
            ));
        }
    }
}

/// The index of a grid, with a one-line summary.
pub fn compute_index(
    grid: &GridTable,
    config: &Config,
    notes: &Notes,
) -> Result<(LivingConditionsIndex, String), Error> {
    let params = config
        .index_params()
        .map_err(|e| Problem::file("config", e.to_string()))?;
    let lci = LivingConditionsIndex::compute(&grid.stats, &params);
    for v in Variable::ALL {
        if let Some((mean, 0.0)) = lci.standardisation[v.position()] {
            if lci.valid > 1 {
                notes.warn(&format!(
                    "{} is the same in every valid cell ({}; sd = 0): it cannot tell cells apart, so its z is 0 in every cell",
                    config.column(v.name()).0,
                    if v.higher_is_worse() { mean } else { -mean }
                ));
            }
        }
    }
    let count = |s: Status| lci.cells.iter().filter(|c| c.status == s).count();
    let mut summary = format!(
        "{}: {} ok, {} low_population, {} incomplete",
        counted(lci.cells.len(), "cell"),
        count(Status::Ok),
        count(Status::LowPopulation),
        count(Status::Incomplete)
    );
    if let Some(b) = lci.breaks {
        let _ = write!(
            summary,
            "; class breaks {:.3}, {:.3}, {:.3}, {:.3}",
            b[0], b[1], b[2], b[3]
        );
    }
    Ok((lci, summary))
}

/// The youth counts of every cell of the grid.
pub fn youth_cells(grid: &GridTable) -> Vec<YouthCell> {
    grid.cells
        .iter()
        .zip(&grid.stats)
        .map(|(&(x, y), s)| YouthCell {
            x,
            y,
            age_0_15: s.get(Variable::Age0To15),
            age_16_19: s.get(Variable::Age16To19),
        })
        .collect()
}

/// The youth-groups layer of a grid.
pub fn youth_layer_of(grid: &GridTable, config: &Config) -> Layer {
    let groups = youth_groups(&youth_cells(grid), grid.spec, &config.youth_params());
    youth_layer(grid, &groups)
}

/// Frees `value` on a thread of its own, so that a command returns
/// without first freeing a national grid's layers one allocation at a
/// time (a tenth of `stratmap hotspots` on 1 M cells); when the process
/// ends before the thread does, its memory goes back at once.
pub fn drop_aside<T: Send + 'static>(value: T) {
    // a thread that cannot be started: freed here instead
    let _ = std::thread::Builder::new()
        .name("drop".into())
        .spawn(move || drop(value));
}

/// Writes one layer in the format chosen for it.
pub fn write_layer(
    layer: &Layer,
    path: &Path,
    format: &dyn crate::output::OutputFormat,
    notes: &Notes,
) -> Result<(), Failure> {
    format.write_layer(layer, path, notes)
}

/// The grid file and config a grid command was given.
pub struct GridInput<'a> {
    /// The grid statistics CSV.
    pub grid: &'a Path,
    /// The config, if any.
    pub config: Option<&'a Path>,
    /// The file to write; its extension chooses the format.
    pub out: &'a Path,
}

impl GridInput<'_> {
    /// The config, the grid's name for messages, and the grid read and
    /// checked for the index or for youth groups.
    fn load(&self, for_index: bool, notes: &Notes) -> Result<(Config, String, GridTable), Failure> {
        let config = load_config(self.config)?;
        let name = self.grid.display().to_string();
        notes.stage(&format!("reading {name}"));
        let grid = load_grid(
            &name,
            &read_input(self.grid, &config)?,
            &config,
            for_index,
            notes,
        )?;
        Ok((config, name, grid))
    }
}

/// `stratmap index`: the living-conditions index as a layer or a raster.
pub fn index_command(input: &GridInput, notes: &Notes) -> Result<(), Failure> {
    let out = input.out;
    let format = format_of(out, "living_conditions")?;
    let (config, _, grid) = input.load(true, notes)?;
    notes.stage("computing the index");
    let (lci, summary) = compute_index(&grid, &config, notes)?;
    notes.stage(&format!("writing {}", out.display()));
    let layer = living_conditions_layer(&grid, &lci);
    write_layer(&layer, out, format, notes)?;
    if lci.valid == 0 {
        notes
            .warn("no cell is valid (population and every group present), so no cell has an index");
    }
    say!(notes, "wrote {} ({summary})", out.display());
    drop_aside((layer, grid, lci));
    Ok(())
}

/// `stratmap youth`: youth groups as proportional rings.
pub fn youth_command(input: &GridInput, notes: &Notes) -> Result<(), Failure> {
    let out = input.out;
    let format = format_of(out, "youth_groups")?;
    let (config, _, grid) = input.load(false, notes)?;
    notes.stage("finding youth groups");
    let layer = youth_layer_of(&grid, &config);
    notes.stage(&format!("writing {}", out.display()));
    write_layer(&layer, out, format, notes)?;
    say!(
        notes,
        "wrote {} ({})",
        out.display(),
        counted(layer.features.len(), "youth group")
    );
    Ok(())
}

/// `n` and a noun, plural unless n is 1.
pub fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// The header of a CSV text, lowercased, without a UTF-8 byte-order mark.
fn header_of(bytes: &[u8]) -> String {
    bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .split(|b| *b == b'\n')
        .next()
        .map(|h| String::from_utf8_lossy(h).to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether a header (as [`header_of`] gives it) names the column `col`
/// (commas or semicolons between names, quotes around them or not).
fn header_has(header: &str, col: &str) -> bool {
    header
        .split([',', ';'])
        .any(|h| h.trim().trim_matches('"') == col)
}

/// The header of a regular file from its first 64 KiB, when it ends there;
/// `None` for a pipe (which cannot be read twice) or a file that cannot be
/// read (the full read then says why).
fn first_line(path: &Path) -> Option<String> {
    use std::io::Read;
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(64 << 10)
        .read_to_end(&mut head)
        .ok()?;
    head.contains(&b'\n').then(|| header_of(&head))
}

/// `stratmap validate`: checks each file by its kind and lists every problem.
pub fn validate_command(
    files: &[PathBuf],
    config: Option<&Path>,
    notes: &Notes,
) -> Result<(), Failure> {
    let config = load_config(config)?;
    let (mut total, mut unreadable) = (0, 0);
    let epsg = config
        .working_spec()
        .map_or(stratmap_io::DEFAULT_EPSG, |s| s.epsg);
    for path in files {
        let name = path.display().to_string();
        let ext = stratmap_io::extension(path);
        if matches!(ext.as_str(), "tif" | "tiff" | "toml") {
            say!(notes,
                "{name}: validate checks grid statistics, towers, events and answers (CSV) and areas (GeoJSON, GeoPackage, Shapefile), and this is a .{ext} file"
            );
            total += 1;
            continue;
        }
        if stratmap_io::is_parquet(path) {
            say!(
                notes,
                "{name}: connection records are checked by stratmap footprint, against the towers"
            );
            continue;
        }
        if matches!(ext.as_str(), "gpkg" | "shp") {
            match stratmap_io::read_areas_file_with(path, epsg, None, &config.area_options(None)) {
                Ok(a) => say!(notes, "{name}: ok, {}", counted(a.len(), "area")),
                Err(Error::Input(problems)) => {
                    for p in &problems {
                        say!(notes, "{p}");
                    }
                    total += problems.len();
                }
                Err(e) => {
                    say!(notes, "{e}");
                    unreadable += 1;
                }
            }
            continue;
        }
        // connection records are told by their header, without reading a
        // file of billions of rows
        if first_line(path).is_some_and(|h| header_has(&h, "phone_id")) {
            say!(
                notes,
                "{name}: connection records are checked by stratmap footprint, against the towers"
            );
            continue;
        }
        let bytes = match read_input(path, &config) {
            Ok(b) => b,
            Err(e) => {
                say!(notes, "{e}");
                match e {
                    Error::Input(p) => total += p.len(),
                    _ => unreadable += 1,
                }
                continue;
            }
        };
        let header = header_of(&bytes);
        let has = |col: &str| header_has(&header, col);
        let result = if matches!(ext.as_str(), "geojson" | "json") {
            stratmap_io::read_areas_with(&name, &bytes, epsg, None, &config.area_options(None))
                .map(|a| format!("{name}: ok, {}", counted(a.len(), "area")))
        } else if has("phone_id") {
            say!(
                notes,
                "{name}: connection records are checked by stratmap footprint, against the towers"
            );
            continue;
        } else if has("tower_id") {
            read_towers(&name, &bytes, epsg, epsg)
                .map(|t| format!("{name}: ok, {}", counted(t.positions.len(), "tower")))
        } else if has("score") && has("domain") {
            stratmap_io::read_answers(&name, &bytes)
                .map(|a| format!("{name}: ok, {}", counted(a.len(), "answer")))
        } else if has("type") {
            stratmap_io::read_events(&name, &bytes, epsg, epsg).map(|e| {
                format!(
                    "{name}: ok, {} of {}",
                    counted(e.positions.len(), "event"),
                    counted(e.type_names.len(), "type")
                )
            })
        } else {
            load_grid(&name, &bytes, &config, true, notes).map(|grid| {
                format!(
                    "{name}: ok, a grid of {} on the {}",
                    counted(grid.cells.len(), "cell"),
                    grid.spec
                )
            })
        };
        match result {
            Ok(line) => say!(notes, "{line}"),
            Err(Error::Input(problems)) => {
                let mut s = String::new();
                for p in &problems {
                    let _ = writeln!(s, "{p}");
                }
                say!(notes, "{}", s.trim_end_matches('\n'));
                total += problems.len();
            }
            Err(e) => return Err(e.into()),
        }
    }
    if unreadable > 0 {
        Err(Failure::Unreadable {
            files: unreadable,
            problems: total,
        })
    } else if total > 0 {
        Err(Failure::Invalid(total))
    } else {
        Ok(())
    }
}
