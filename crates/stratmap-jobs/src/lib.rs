#![deny(missing_docs)]
//! The layers of **stratmap** as library jobs: each reads its input files
//! through `stratmap-io`, computes with `stratmap-core`, writes its layer
//! files and says what it did through [`Notes`]. The `stratmap` binary is a
//! thin layer over these functions (arguments in, a [`Sink`] for the
//! terminal), and [`run::run`] loops over the same jobs, so a command and
//! `stratmap run` cannot drift apart.
//!
//! ```no_run
//! use stratmap_jobs::{pipeline::GridInput, Notes, Silent};
//! use std::path::Path;
//!
//! let notes = Notes::new(Box::new(Silent));
//! stratmap_jobs::pipeline::index_command(
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

pub mod analysis;
pub mod change;
pub mod footprint;
pub mod output;
pub mod pipeline;
pub mod proposals;
pub mod run;
pub mod serve;
pub mod viewer;

pub use pipeline::{Failure, Notes, Silent, Sink};
