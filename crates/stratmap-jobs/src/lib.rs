#![deny(missing_docs, unnameable_types)]
//! The layers of **stratmap** as library jobs: each reads its input files
//! through `stratmap-io`, computes with `stratmap-core`, writes its layer
//! files and says what it did through [`Notes`]. The `stratmap` binary is a
//! thin layer over these functions (arguments in, a [`Sink`] for the
//! terminal), and [`run::run`] loops over the same jobs, so a command and
//! `stratmap run` cannot drift apart.
//!
//! ```no_run
//! use stratmap_jobs::{GridInput, Notes, Silent};
//! use std::path::Path;
//!
//! let notes = Notes::new(Box::new(Silent));
//! stratmap_jobs::index_command(
//!     &GridInput { grid: Path::new("grid.csv"), config: None, out: Path::new("lc.geojson") },
//!     &notes,
//! )
//! .unwrap();
//! println!("{} warnings", notes.warnings().len());
//! ```

/// Says a line of results through the notes, like `println!`.
macro_rules! say {
    ($notes:expr, $($arg:tt)*) => {
        $notes.result(&format!($($arg)*))
    };
}

mod analysis;
pub use analysis::{
    assess_command, hotspots_command, indicators_command, HotspotArgs, IndicatorArgs,
};
mod change;
pub use change::{change_command, emerging_command, ChangeArgs, EmergingArgs};
mod footprint;
pub use footprint::{footprint_command, FootprintFiles, FootprintParams};
mod output;
pub use output::{
    layer_format, run_outputs, OutputFormat, Products, Table, Tiles, Written, ALL as FORMATS,
    GRID_LAYERS, RUN_LAYERS, RUN_TABLES, TILE_LAYERS,
};
mod pipeline;
pub use pipeline::{
    index_command, load_config, validate_command, youth_command, Failure, GridInput, Notes, Silent,
    Sink,
};
mod proposals;
pub use proposals::{candidates_command, lisa_command, CandidateArgs, LisaArgs};
mod run;
pub use run::{run, run_command, Inputs, Source, DEFAULT_FORMATS};
mod serve;
pub use serve::{serve, ServeArgs};
mod viewer;
