//! `stratmap`: the command-line tool. Thin: it parses arguments into the
//! settings of a job of `stratmap-jobs`, runs it with the terminal as its
//! sink, and turns its failure into an exit code.

mod demo;
mod terminal;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "stratmap",
    version,
    propagate_version = true,
    about = "Map layers for a police strategic map and hot-spot analysis"
)]
struct Cli {
    /// Print no notes or warnings on stderr (results still go to stdout).
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct GridArgs {
    /// Grid statistics CSV: cell_id or x,y, population and the eight variables.
    #[arg(long)]
    grid: PathBuf,
    /// TOML config (sections grid, index, youth).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output file; its extension chooses the format.
    #[arg(long)]
    out: PathBuf,
}

impl GridArgs {
    fn input(&self) -> stratmap_jobs::GridInput<'_> {
        stratmap_jobs::GridInput {
            grid: &self.grid,
            config: self.config.as_deref(),
            out: &self.out,
        }
    }
}

#[derive(clap::Args)]
struct FootprintArgs {
    /// Towers CSV: tower_id plus lon,lat or x,y.
    #[arg(long)]
    towers: PathBuf,
    /// Connection records, CSV or Parquet (by the extension .parquet; `-` is
    /// CSV from stdin): phone_id, timestamp, and tower_id or lon,lat / x,y.
    #[arg(long)]
    records: PathBuf,
    /// Area polygons (GeoJSON FeatureCollection with name and category).
    #[arg(long)]
    areas: PathBuf,
    /// Disc radius in metres [default: 500].
    #[arg(long)]
    radius: Option<f64>,
    /// Time zone of the calendar days and of naive timestamps [default: Europe/Stockholm].
    #[arg(long)]
    tz: Option<String>,
    /// Blank areas with fewer distinct phones than this; 0 turns it off [default: 3].
    #[arg(long)]
    min_phones: Option<u32>,
    /// Stop on any unknown tower, bad timestamp or bad row instead of leaving it out.
    #[arg(long)]
    strict: bool,
    /// The records come in time order: finish and free each local day as soon as a
    /// later one begins (memory holds one day's phone-days); a record of an earlier
    /// day than one before it is an error.
    #[arg(long)]
    sorted_by_time: bool,
    /// How much memory the phone-days may take (e.g. 512M, 2G): past it the records
    /// are read again a share of the phones at a time, with the same outputs (a file,
    /// not standard input) [default: no limit, or `[footprint] memory`].
    #[arg(long, value_name = "SIZE")]
    memory: Option<String>,
    /// The working CRS, and the CRS of x,y columns [default: EPSG:3006].
    #[arg(long)]
    crs: Option<String>,
    /// CRS of the areas file when it does not name one [default: EPSG:4326].
    #[arg(long)]
    areas_crs: Option<String>,
    /// TOML config (sections grid and footprint).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Also write the tower → area weight table (CSV: tower_id, area, category, weight).
    #[arg(long)]
    weights_out: Option<PathBuf>,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// The layer of an areas file with several (else the config's `[areas]` layer).
    #[arg(long)]
    areas_layer: Option<String>,
}

impl FootprintArgs {
    fn run(&self, notes: &stratmap_jobs::Notes) -> Result<(), stratmap_jobs::Failure> {
        let config = stratmap_jobs::load_config(self.config.as_deref())?;
        // the flag named in the message (the config's key names itself)
        if let Some(r) = self.radius {
            stratmap_core::check_radius(r)
                .map_err(|e| stratmap_jobs::Failure::Usage(format!("--{e}")))?;
        }
        let mut p = stratmap_jobs::FootprintParams::new(
            &config,
            self.radius,
            self.tz.as_deref(),
            self.min_phones,
        )?;
        p.strict = self.strict;
        p.sorted_by_time |= self.sorted_by_time;
        if let Some(m) = &self.memory {
            p.memory = Some(
                stratmap_io::config::parse_size(m)
                    .map_err(|e| stratmap_jobs::Failure::Usage(format!("--memory {e}")))?,
            );
        }
        p.weight_table = self.weights_out.is_some();
        let epsg = |flag: &str, v: &str| {
            stratmap_io::parse_epsg(v)
                .map_err(|m| stratmap_jobs::Failure::Usage(format!("--{flag} {v}: {m}")))
        };
        if let Some(c) = &self.crs {
            p.epsg = stratmap_io::parse_working_epsg(c)
                .map_err(|m| stratmap_jobs::Failure::Usage(format!("--crs {c}: {m}")))?;
        }
        if let Some(c) = &self.areas_crs {
            p.areas_crs = Some(epsg("areas-crs", c)?);
        }
        if let Some(l) = &self.areas_layer {
            p.areas.layer = Some(l.clone());
        }
        let files = stratmap_jobs::FootprintFiles {
            towers: &self.towers,
            records: &self.records,
            areas: &self.areas,
            out: &self.out,
            weights_out: self.weights_out.as_deref(),
        };
        stratmap_jobs::footprint_command(&files, &p, notes)
    }
}

#[derive(clap::Args)]
struct HotspotArgs {
    /// Events CSV: type plus lon,lat or x,y.
    #[arg(long)]
    events: PathBuf,
    /// The study grid: the cells of this grid file…
    #[arg(long, conflicts_with = "areas", required_unless_present = "areas")]
    grid: Option<PathBuf>,
    /// …or the cells covering these areas.
    #[arg(long)]
    areas: Option<PathBuf>,
    /// Distance band between cell centres in metres [default: 500].
    #[arg(long)]
    band: Option<f64>,
    /// Benjamini–Hochberg false-discovery-rate correction of the bins.
    #[arg(long)]
    fdr: bool,
    /// Only events of this type (repeat for several).
    #[arg(long = "type")]
    types: Vec<String>,
    /// TOML config (sections grid and hotspots).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output file; its extension chooses the format (see the command's help).
    #[arg(long)]
    out: PathBuf,
    /// The layer of an areas file with several (else the config's `[areas]` layer).
    #[arg(long)]
    areas_layer: Option<String>,
}

#[derive(clap::Args)]
struct IndicatorArgs {
    /// Events CSV: type plus lon,lat or x,y.
    #[arg(long)]
    events: PathBuf,
    /// Area polygons with name and category.
    #[arg(long)]
    areas: PathBuf,
    /// Grid statistics with population.
    #[arg(long)]
    grid: PathBuf,
    /// Total area in km² [default: the bounding box of the grid's cells].
    #[arg(long)]
    total_area_km2: Option<f64>,
    /// Also count by period (year, quarter or month): indicators_by_period.csv,
    /// events_by_area_period.csv and trends_by_area.csv beside --out.
    #[arg(long)]
    by: Option<String>,
    /// Only events of this type (repeat for several).
    #[arg(long = "type")]
    types: Vec<String>,
    /// TOML config (sections grid and indicators).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output file (.csv).
    #[arg(long)]
    out: PathBuf,
    /// The layer of an areas file with several (else the config's `[areas]` layer).
    #[arg(long)]
    areas_layer: Option<String>,
}

#[derive(clap::Args)]
struct AssessArgs {
    /// Answers CSV: area, year, question, domain, score (+ uncertainty).
    #[arg(long)]
    answers: PathBuf,
    /// Areas to join the latest assessment onto.
    #[arg(long)]
    areas: Option<PathBuf>,
    /// TOML config (section grid).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output file (.csv, or .geojson/.gpkg with --areas).
    #[arg(long)]
    out: PathBuf,
    /// The layer of an areas file with several (else the config's `[areas]` layer).
    #[arg(long)]
    areas_layer: Option<String>,
}

#[derive(clap::Args)]
struct CandidateArgs {
    /// Grid statistics CSV (as for index).
    #[arg(long)]
    grid: PathBuf,
    /// Assessed areas: adds overlap_pct, overlaps and status, and writes concordance.csv beside --out.
    #[arg(long)]
    areas: Option<PathBuf>,
    /// TOML config (sections grid, index, candidates).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output file; its extension chooses the format (see the command's help).
    #[arg(long)]
    out: PathBuf,
    /// The layer of an areas file with several (else the config's `[areas]` layer).
    #[arg(long)]
    areas_layer: Option<String>,
}

#[derive(clap::Args)]
struct LisaArgs {
    /// Grid statistics CSV.
    #[arg(long)]
    grid: PathBuf,
    /// Events CSV, counted per cell for --variable count.
    #[arg(long)]
    events: Option<PathBuf>,
    /// index, count, or a grid column such as income [default: index].
    #[arg(long)]
    variable: Option<String>,
    /// Distance band between cell centres in metres [default: 500].
    #[arg(long)]
    band: Option<f64>,
    /// Conditional permutations for the pseudo p-values; 0 for none [default: 999].
    #[arg(long)]
    permutations: Option<u64>,
    /// Seed of the permutations [default: 1].
    #[arg(long)]
    seed: Option<u64>,
    /// Benjamini–Hochberg false-discovery-rate correction of the quadrants' significance.
    #[arg(long)]
    fdr: bool,
    /// TOML config (sections grid, index, lisa).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output file; its extension chooses the format (see the command's help).
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args)]
struct EmergingArgs {
    /// Events CSV with a date column (ISO date or RFC 3339).
    #[arg(long)]
    events: PathBuf,
    /// The study grid: the cells of this grid file…
    #[arg(long, conflicts_with = "areas", required_unless_present = "areas")]
    grid: Option<PathBuf>,
    /// …or the cells covering these areas.
    #[arg(long)]
    areas: Option<PathBuf>,
    /// The periods: year, quarter or month [default: the config's emerging.by].
    #[arg(long)]
    by: Option<String>,
    /// Distance band between cell centres in metres [default: 500].
    #[arg(long)]
    band: Option<f64>,
    /// Previous periods in a bin's neighbourhood [default: 1].
    #[arg(long)]
    time_window: Option<u32>,
    /// Benjamini–Hochberg false-discovery-rate correction over the whole cube.
    #[arg(long)]
    fdr: bool,
    /// Only events of this type (repeat for several).
    #[arg(long = "type")]
    types: Vec<String>,
    /// TOML config (sections grid and emerging).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output file; its extension chooses the format (see the command's help).
    #[arg(long)]
    out: PathBuf,
    /// Also write every bin of the space-time cube (CSV: cell_id, period, count, gi_z, gi_p, gi_bin).
    #[arg(long)]
    bins_out: Option<PathBuf>,
    /// The layer of an areas file with several (else the config's `[areas]` layer).
    #[arg(long)]
    areas_layer: Option<String>,
}

#[derive(clap::Args)]
struct ChangeArgs {
    /// The earlier edition of the grid statistics.
    #[arg(long)]
    before: PathBuf,
    /// The later edition.
    #[arg(long)]
    after: PathBuf,
    /// Areas: also write change_by_area.csv beside --out.
    #[arg(long)]
    areas: Option<PathBuf>,
    /// TOML config (sections grid, index, change).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output file, its extension choosing the format; class_transitions.csv goes beside it.
    #[arg(long)]
    out: PathBuf,
    /// The layer of an areas file with several (else the config's `[areas]` layer).
    #[arg(long)]
    areas_layer: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the built-in sample town and write every layer.
    Demo {
        /// Output directory.
        #[arg(long, default_value = "stratmap-demo")]
        out: PathBuf,
    },
    /// The whole pipeline from a config: every layer its inputs allow.
    Run {
        /// The run config (TOML); paths in it are relative to it.
        config: PathBuf,
        /// Output directory [default: dir in the output section, else out/ beside the config].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Living-conditions index on the grid (--out .geojson, .gpkg, .csv, .html, .png, .tif or .mbtiles).
    Index(GridArgs),
    /// Youth groups as proportional rings (--out .geojson, .gpkg, .csv, .html, .png or .mbtiles).
    Youth(GridArgs),
    /// Daily footprint of phones at cell towers, per area and category (--out DIR).
    Footprint(FootprintArgs),
    /// Getis-Ord Gi* hot spots of events on the grid (--out .geojson, .gpkg, .csv, .html, .tif or .mbtiles).
    Hotspots(HotspotArgs),
    /// Events, area and population by area category (--out .csv).
    Indicators(IndicatorArgs),
    /// Problem level and trend per area and year (--out .csv, or .geojson/.gpkg with --areas).
    Assess(AssessArgs),
    /// Candidate areas: contiguous groups of worst-class cells (--out .geojson, .gpkg, .csv, .html or .mbtiles).
    Candidates(CandidateArgs),
    /// Local Moran's I of the index, event counts or a grid column (--out .geojson, .gpkg, .csv, .html, .tif or .mbtiles).
    Lisa(LisaArgs),
    /// Emerging hot spots: Gi* over periods and ArcGIS's 17 patterns (--out .geojson, .gpkg, .csv, .html, .tif or .mbtiles).
    Emerging(EmergingArgs),
    /// Change between two editions of the index on one reference (--out .geojson, .gpkg, .csv, .html, .tif or .mbtiles).
    Change(ChangeArgs),
    /// Serve a run folder's viewer and vector tiles on this machine (127.0.0.1 only).
    Serve {
        /// The run folder (`index.html`, `<layer>.mbtiles`).
        dir: PathBuf,
        /// The port (0: any free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The address to listen on: a loopback address only.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `stratmap man > stratmap.1`.
    Man,
    /// Check input files and list every problem found.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// A `println!` that met a closed stdout panics with "failed printing to
/// stdout: Broken pipe"; that is no failure of stratmap's, so it ends the
/// program quietly with exit 0 as the terminal sink does.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// On SIGINT, SIGTERM or SIGHUP: removes the temporary files and
/// directories of the writes under way (SPEC §5: an interrupted run leaves
/// no temp file behind) and exits with 128 + the signal (130, 143, 129).
fn clean_up_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // The other threads run on until the exit: a library writing a
            // file just removed (GDAL) would report it on stderr, after or
            // before the line below. So stderr goes to /dev/null first and
            // the line to a copy of it.
            let said = quiet_stderr();
            // held locked until the exit: no write renames into place now
            let _list = stratmap_io::remove_live_temps();
            let name = match signal {
                SIGINT => "SIGINT",
                SIGTERM => "SIGTERM",
                _ => "SIGHUP",
            };
            let line = format!("stratmap: stopped by {name}; no partial output left\n");
            match said {
                Some(mut err) => {
                    use std::io::Write as _;
                    let _ = err.write_all(line.as_bytes());
                }
                None => eprint!("{line}"),
            }
            std::process::exit(128 + signal);
        }
    });
}

/// Points file descriptor 2 at `/dev/null` and gives the stderr it had, or
/// `None` (stderr unchanged) when that cannot be done.
fn quiet_stderr() -> Option<std::fs::File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .ok()?;
    // SAFETY: dup and dup2 take and return plain descriptors; the copy is
    // a new descriptor that the File below owns alone.
    unsafe {
        let copy = libc::dup(2);
        if copy < 0 {
            return None;
        }
        if libc::dup2(null.as_raw_fd(), 2) < 0 {
            libc::close(copy);
            return None;
        }
        Some(std::fs::File::from_raw_fd(copy))
    }
}

/// The config with `--areas-layer`, when given, over its `[areas] layer`.
fn with_areas_layer(
    mut config: stratmap_io::Config,
    layer: &Option<String>,
) -> stratmap_io::Config {
    if let Some(l) = layer {
        config.areas.layer = Some(l.clone());
    }
    config
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    clean_up_on_signals();
    let cli = Cli::parse();
    // `--out -` puts the data on stdout, so the lines about it go to stderr
    let args: Vec<String> = std::env::args().collect();
    let to_stdout = args.windows(2).any(|w| w[0] == "--out" && w[1] == "-")
        || args.iter().any(|a| a == "--out=-");
    let notes = stratmap_jobs::Notes::new(Box::new(terminal::Terminal::new(cli.quiet, to_stdout)));
    let result = match cli.command {
        Command::Demo { out } => demo::run(&out, &notes),
        Command::Run { config, out } => stratmap_jobs::run_command(&config, out.as_deref(), &notes),
        Command::Serve { dir, port, host } => stratmap_jobs::serve(
            &stratmap_jobs::ServeArgs {
                dir: &dir,
                host,
                port,
            },
            &notes,
        ),
        Command::Index(args) => stratmap_jobs::index_command(&args.input(), &notes),
        Command::Youth(args) => stratmap_jobs::youth_command(&args.input(), &notes),
        Command::Footprint(args) => args.run(&notes),
        Command::Hotspots(a) => stratmap_jobs::load_config(a.config.as_deref())
            .map_err(Into::into)
            .map(|c| with_areas_layer(c, &a.areas_layer))
            .and_then(|config| {
                stratmap_jobs::hotspots_command(
                    &stratmap_jobs::HotspotArgs {
                        events: &a.events,
                        grid: a.grid.as_deref(),
                        areas: a.areas.as_deref(),
                        band: a.band,
                        fdr: a.fdr,
                        types: &a.types,
                        config: &config,
                        out: &a.out,
                    },
                    &notes,
                )
            }),
        Command::Indicators(a) => stratmap_jobs::load_config(a.config.as_deref())
            .map_err(Into::into)
            .map(|c| with_areas_layer(c, &a.areas_layer))
            .and_then(|config| {
                stratmap_jobs::indicators_command(
                    &stratmap_jobs::IndicatorArgs {
                        events: &a.events,
                        areas: &a.areas,
                        grid: &a.grid,
                        total_area_km2: a.total_area_km2,
                        by: a.by.as_deref(),
                        types: &a.types,
                        config: &config,
                        out: &a.out,
                    },
                    &notes,
                )
            }),
        Command::Assess(a) => stratmap_jobs::load_config(a.config.as_deref())
            .map_err(Into::into)
            .map(|c| with_areas_layer(c, &a.areas_layer))
            .and_then(|config| {
                stratmap_jobs::assess_command(
                    &a.answers,
                    a.areas.as_deref(),
                    &config,
                    &a.out,
                    &notes,
                )
            }),
        Command::Candidates(a) => stratmap_jobs::candidates_command(
            &stratmap_jobs::CandidateArgs {
                grid: &a.grid,
                areas: a.areas.as_deref(),
                config: a.config.as_deref(),
                areas_layer: a.areas_layer.as_deref(),
                out: &a.out,
            },
            &notes,
        ),
        Command::Lisa(a) => stratmap_jobs::lisa_command(
            &stratmap_jobs::LisaArgs {
                grid: &a.grid,
                events: a.events.as_deref(),
                variable: a.variable.as_deref(),
                band: a.band,
                permutations: a.permutations,
                seed: a.seed,
                fdr: a.fdr,
                config: a.config.as_deref(),
                out: &a.out,
            },
            &notes,
        ),
        Command::Emerging(a) => stratmap_jobs::load_config(a.config.as_deref())
            .map_err(Into::into)
            .map(|c| with_areas_layer(c, &a.areas_layer))
            .and_then(|config| {
                stratmap_jobs::emerging_command(
                    &stratmap_jobs::EmergingArgs {
                        events: &a.events,
                        grid: a.grid.as_deref(),
                        areas: a.areas.as_deref(),
                        by: a.by.as_deref(),
                        band: a.band,
                        time_window: a.time_window,
                        fdr: a.fdr,
                        types: &a.types,
                        config: &config,
                        out: &a.out,
                        bins_out: a.bins_out.as_deref(),
                    },
                    &notes,
                )
            }),
        Command::Change(a) => stratmap_jobs::change_command(
            &stratmap_jobs::ChangeArgs {
                before: &a.before,
                after: &a.after,
                areas: a.areas.as_deref(),
                config: a.config.as_deref(),
                areas_layer: a.areas_layer.as_deref(),
                out: &a.out,
            },
            &notes,
        ),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "stratmap", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            use clap::CommandFactory;
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                // a closed pipe (`stratmap man | head`) is no failure
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(
                    stratmap_jobs::Failure::Io(stratmap_io::Error::io("stdout", e)),
                ),
                _ => Ok(()),
            }
        }
        Command::Validate { files, config } => {
            stratmap_jobs::validate_command(&files, config.as_deref(), &notes)
        }
    };
    notes.finish();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", e.report());
            ExitCode::from(e.exit_code())
        }
    }
}
