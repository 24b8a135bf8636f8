//! `stratmap`: the command-line tool. Thin: it parses arguments, reads files
//! through `stratmap-io`, computes with `stratmap-core` and writes the layers.

mod demo;
mod pipeline;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "stratmap",
    version,
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
    fn input(&self) -> pipeline::GridInput<'_> {
        pipeline::GridInput {
            grid: &self.grid,
            config: self.config.as_deref(),
            out: &self.out,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the built-in sample town and write every layer.
    Demo {
        /// Output directory.
        #[arg(long, default_value = "stratmap-demo")]
        out: PathBuf,
    },
    /// Living-conditions index on the grid (--out .geojson, .gpkg or .tif).
    Index(GridArgs),
    /// Youth groups as proportional rings (--out .geojson or .gpkg).
    Youth(GridArgs),
    /// Check input files and list every problem found.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let notes = pipeline::Notes::new(cli.quiet);
    let result = match cli.command {
        Command::Demo { out } => demo::run(&out, &notes),
        Command::Index(args) => pipeline::index_command(&args.input(), &notes),
        Command::Youth(args) => pipeline::youth_command(&args.input(), &notes),
        Command::Validate { files, config } => {
            pipeline::validate_command(&files, config.as_deref(), &notes)
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
